/*
 * test_header.c - Loghub header formats compiled to PCRE2 patterns.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"
#include "core/err.h"
#include "logs/header.h"

static void
parse(const char *fmt, const char *line, struct format_rec *r, int expect)
{
	char err[ERR_LEN];
	header *h = header_compile(fmt, err);
	header_match *m;
	struct timestamp_ctx tc;
	struct buf s = BUF_INIT(1 << 16);

	assert_non_null(h);
	m = header_match_new(h);
	timestamp_ctx_init(&tc, 1795764000000LL);
	assert_int_equal(header_parse(h, m, &tc, line, strlen(line), r, &s), expect);
	header_match_free(m);
	header_free(h);
	buf_release(&s);
}

static void
fields_content_and_time(void **state)
{
	struct format_rec r;

	setenv("TZ", "UTC", 1);
	tzset();
	parse("<Date> <Time> <Level> \\[<Process>\\] <Component>: <Content>",
	    "2015-10-18 18:01:47,978 INFO [main] org.apache.App: Created MRAppMaster for x", &r, 0);
	assert_int_equal(r.msg_len, strlen("Created MRAppMaster for x"));
	assert_memory_equal(r.msg, "Created MRAppMaster for x", r.msg_len);
	assert_memory_equal(r.level, "INFO", r.level_len);
	assert_int_equal(r.ts, 1445191307978LL);
}

static void
optional_groups_and_month_day_fields(void **state)
{
	struct format_rec r;
	const char *fmt = "<Month> <Date> <Time> <Level> <Component>(\\[<PID>\\])?: <Content>";

	parse(fmt, "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown", &r, 0);
	assert_memory_equal(r.msg, "check pass; user unknown", r.msg_len);
	assert_true(r.ts != TIMESTAMP_NONE);
	parse(fmt, "Jun 14 15:16:02 combo kernel: Linux version 2.6.5", &r, 0);
	assert_memory_equal(r.msg, "Linux version 2.6.5", r.msg_len);
	/* runs of spaces match any whitespace */
	parse("<Date> <Time>  <Pid>  <Tid> <Level> <Component>: <Content>",
	    "03-17 16:13:38.811 1702 2395 D WindowManager: printFreezing", &r, 0);
	assert_memory_equal(r.msg, "printFreezing", r.msg_len);
}

static void
lines_that_do_not_fit_are_refused(void **state)
{
	struct format_rec r;

	parse("\\[<Time>\\] \\[<Level>\\] <Content>", "no brackets here", &r, -1);
}

static void
bad_formats_are_errors(void **state)
{
	char err[ERR_LEN];

	assert_null(header_compile("<Date> <Time>", err));
	assert_non_null(strstr(err, "Content"));
	assert_null(header_compile("(<Date> <Content>", err));
	assert_true(strlen(err) > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fields_content_and_time),
		cmocka_unit_test(optional_groups_and_month_day_fields),
		cmocka_unit_test(lines_that_do_not_fit_are_refused),
		cmocka_unit_test(bad_formats_are_errors),
	};

	return cmocka_run_group_tests_name("header", tests, NULL, NULL);
}
