/*
 * test_log.c - the rate-limited warnings: one line per cause and interval,
 * and the count of what was held back said with the next line.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "core/log.h"

/* Run fn with stderr going to a temporary file; return what it wrote. */
static char *
capture(void (*fn)(void *), void *arg)
{
	char path[] = "/tmp/brace-unit-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	off_t n;
	char *out;

	assert_true(fd >= 0 && saved >= 0);
	unlink(path);
	dup2(fd, STDERR_FILENO);
	fn(arg);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = lseek(fd, 0, SEEK_END);
	out = calloc(1, (size_t)n + 1);
	assert_int_equal(pread(fd, out, (size_t)n, 0), n);
	close(fd);
	return out;
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void
five_of_one_cause(void *arg)
{
	struct log_limit *l = arg;

	for (int i = 0; i < 5; i++)
		log_limited(l, LOG_LVL_WARN, "disk full (%d)", i);
}

static void
repeats_within_the_interval_print_one_line(void **state)
{
	struct log_limit l = LOG_LIMIT_INIT;
	char *out;

	log_init("brace test");
	out = capture(five_of_one_cause, &l);
	assert_int_equal(count_lines(out), 1);
	assert_string_equal(out, "brace test: warning: disk full (0)\n");
	assert_int_equal(log_limit_take_held(&l), 4);
	assert_int_equal(log_limit_take_held(&l), 0);
	free(out);
}

static void
next_line_after_the_interval_counts_what_was_held(void **state)
{
	struct log_limit l = { .interval_ms = 20 };
	char *out;

	log_init("brace test");
	out = capture(five_of_one_cause, &l);
	free(out);
	usleep(60 * 1000);      /* past the (short) interval */
	out = capture(five_of_one_cause, &l);
	assert_int_equal(count_lines(out), 1);
	assert_non_null(strstr(out, "disk full (0) (4 more like this in the last 1 s)"));
	free(out);
}

static void
causes_are_limited_apart(void **state)
{
	struct log_limit a = LOG_LIMIT_INIT, b = LOG_LIMIT_INIT;
	char *out;

	log_init("brace test");
	out = capture(five_of_one_cause, &a);
	free(out);
	out = capture(five_of_one_cause, &b);
	assert_int_equal(count_lines(out), 1);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(repeats_within_the_interval_print_one_line),
		cmocka_unit_test(next_line_after_the_interval_counts_what_was_held),
		cmocka_unit_test(causes_are_limited_apart),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
