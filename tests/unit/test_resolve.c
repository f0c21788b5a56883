/*
 * test_resolve.c - name resolution with a deadline: numeric addresses pass
 * through without a thread, names come back from the resolver thread, and a
 * cancel descriptor ends the wait.
 */
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "unit.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/resolve.h"

static void
numeric_addresses_pass_through(void **state)
{
	struct resolve_result r;
	char err[ERR_LEN];

	assert_true(resolve_is_numeric("127.0.0.1"));
	assert_true(resolve_is_numeric("::1"));
	assert_false(resolve_is_numeric("localhost"));
	/* A deadline in the past does not matter: no lookup happens. */
	assert_int_equal(resolve_host("10.1.2.3", 0, 0, NULL, &r, err), RESOLVE_OK);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.addr[0], "10.1.2.3");
}

static void
localhost_resolves_from_the_hosts_file(void **state)
{
	struct resolve_result r;
	char err[ERR_LEN];

	assert_int_equal(resolve_host("localhost", clock_mono_ms() + 30000, 0, NULL, &r, err),
	    RESOLVE_OK);
	assert_true(r.n >= 1);
	assert_true(strcmp(r.addr[0], "127.0.0.1") == 0 || strcmp(r.addr[0], "::1") == 0);
}

static void
a_past_deadline_or_a_readable_cancel_fd_ends_the_wait(void **state)
{
	struct resolve_result r;
	char err[ERR_LEN];
	uint64_t one = 1;
	int fd = eventfd(0, EFD_CLOEXEC);
	volatile int flag = 1;

	/* The answer may win the race for a name in /etc/hosts; a failure must say which. */
	enum resolve_status st = resolve_host("localhost", clock_mono_ms() - 1, 0, NULL, &r, err);
	assert_true(st == RESOLVE_TIMEOUT);
	assert_non_null(strstr(err, "timed out"));
	assert_int_equal(write(fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	st = resolve_host("localhost", clock_mono_ms() + 30000, fd, NULL, &r, err);
	assert_true(st == RESOLVE_CANCELLED || st == RESOLVE_OK);
	st = resolve_host("localhost", clock_mono_ms() + 30000, 0, &flag, &r, err);
	assert_true(st == RESOLVE_CANCELLED);
	assert_non_null(strstr(err, "interrupted"));
	close(fd);
	/* Give the abandoned lookups time to finish and free what they hold. */
	usleep(200 * 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numeric_addresses_pass_through),
		cmocka_unit_test(localhost_resolves_from_the_hosts_file),
		cmocka_unit_test(a_past_deadline_or_a_readable_cancel_fd_ends_the_wait),
	};

	return cmocka_run_group_tests_name("resolve", tests, NULL, NULL);
}
