/*
 * test_lb_gen.c - starting a generation when the machine says no: the
 * reason reaches the caller, and nothing is kept.
 */
#include <limits.h>
#include <string.h>

#include "unit.h"
#include "lb/config.h"
#include "lb/config_key.h"
#include "lb/gen.h"

/* Let an allocation too large to ever succeed return NULL, as glibc does, instead of aborting. */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static void
no_problem(void *arg, int line, const char *msg)
{
	fail_msg("line %d: %s", line, msg);
}

static void
workers_that_cannot_be_allocated_fail_the_start_with_a_reason(void **state)
{
	struct lb_config *cfg = config_new();
	char err[ERR_LEN];

	assert_non_null(cfg);
	assert_int_equal(config_key_flag(cfg, config_key_find(SECT_LISTEN, "bind"),
	    "127.0.0.1:1", err), 0);
	assert_int_equal(config_key_flag(cfg, config_key_find(SECT_POOL, "server"),
	    "127.0.0.1:2", err), 0);
	assert_int_equal(config_finish(cfg, no_problem, NULL), 0);
	cfg->threads = INT_MAX;         /* past any bound, and any memory */
	memset(err, 'x', sizeof(err) - 1);
	err[sizeof(err) - 1] = '\0';
	assert_int_equal(gen_open(cfg, err), -1);
	assert_non_null(strstr(err, "out of memory"));
	assert_null(gen_config());
	/* cfg is still ours, its runtime states given back: it can try again */
	assert_int_equal(gen_open(cfg, err), -1);
	assert_non_null(strstr(err, "out of memory"));
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(workers_that_cannot_be_allocated_fail_the_start_with_a_reason),
	};

	return cmocka_run_group_tests_name("lb_gen", tests, NULL, NULL);
}
