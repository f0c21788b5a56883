/*
 * test_timestamp.c - every time stamp form brace logs reads, zones and the
 * year inferred for syslog.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"
#include "logs/timestamp.h"

#define NOW 1795764000000LL	/* 2026-11-27T07:20:00Z */

static int64_t
ts(const char *s, size_t *used)
{
	struct timestamp_ctx c;
	int64_t ms = TIMESTAMP_NONE;

	timestamp_ctx_init(&c, NOW);
	*used = timestamp_parse(&c, s, strlen(s), &ms);
	return ms;
}

static int64_t
ok(const char *s)
{
	size_t used;
	int64_t ms = ts(s, &used);

	assert_true(used > 0);
	return ms;
}

static void
iso_forms_with_zones(void **state)
{
	assert_int_equal(ok("2026-11-27T07:20:00Z"), NOW);
	assert_int_equal(ok("2026-11-27T08:20:00+01:00 host"), NOW);
	assert_int_equal(ok("2026-11-27T02:20:00-0500"), NOW);
	assert_int_equal(ok("2026-11-27 07:20:00,250 INFO"), NOW + 250);
	assert_int_equal(ok("2026-11-27 07:20:00.123456 UTC [1]"), NOW + 123);
	assert_int_equal(ok("2026/11/27 07:20:00"), NOW);
}

static void
database_and_benchmark_forms(void **state)
{
	assert_int_equal(ok("2026-11-27  7:20:00 0 [Note] x"), NOW);	/* MariaDB */
	assert_int_equal(ok("261127  7:20:00 [Note] x"), NOW);	/* MySQL 5 */
	assert_int_equal(ok("261127 072000 148 INFO"), NOW);	/* HDFS */
	assert_int_equal(ok("26/11/27 07:20:00 INFO"), NOW);	/* Spark */
	assert_int_equal(ok("2026-11-27-07.20.00.675872 R02"), NOW + 675);	/* BGL */
}

static void
access_log_time_honours_zone(void **state)
{
	size_t used;

	assert_int_equal(ts("[27/Nov/2026:08:20:00 +0100] \"GET", &used), NOW);
	assert_int_equal(used, strlen("[27/Nov/2026:08:20:00 +0100]"));
}

static void
syslog_year_is_inferred(void **state)
{
	/* a November date in November: this year */
	assert_int_equal(ok("Nov 27 07:20:00 host sshd[1]: x"), NOW);
	/* December read in November is last December, not one in the future */
	assert_int_equal(ok("Dec 31 23:00:00 host x"), 1767222000000LL);
	assert_int_equal(ok("Nov  3 07:20:00 host x"), NOW - 24 * 86400000LL);
	/* ctime with a year, with and without weekday */
	assert_int_equal(ok("Fri Nov 27 07:20:00 2026"), NOW);
	assert_int_equal(ok("Sun Dec 04 04:47:44 2005] [notice]"), 1133671664000LL);
}

static void
local_time_without_zone_uses_tz(void **state)
{
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	assert_int_equal(ok("2026-11-27 08:20:00 x"), NOW);
	assert_int_equal(ok("2026-11-27T07:20:00Z"), NOW);
	setenv("TZ", "UTC", 1);
	tzset();
}

static void
epoch_and_android(void **state)
{
	assert_int_equal(ok("1795764000 x"), NOW);
	assert_int_equal(ok("1795764000123 x"), NOW + 123);
	assert_int_equal(ok("11-27 07:20:00.811  1702"), NOW + 811);
}

static void
non_times_are_refused(void **state)
{
	const char *bad[] = { "", "hello", "2026-13-01 00:00:00", "123", "12:00", "Nov 99 07:20:00",
	    "2026-11-27T25:00:00", "Mon", "[27/Nov/2026:08:20:00", "\xff\xfe", "99999999999999999" };
	size_t used;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ts(bad[i], &used);
		assert_int_equal(used, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(iso_forms_with_zones, unit_utc_setup),
		cmocka_unit_test_setup(database_and_benchmark_forms, unit_utc_setup),
		cmocka_unit_test_setup(access_log_time_honours_zone, unit_utc_setup),
		cmocka_unit_test_setup(syslog_year_is_inferred, unit_utc_setup),
		cmocka_unit_test_setup(local_time_without_zone_uses_tz, unit_utc_setup),
		cmocka_unit_test_setup(epoch_and_android, unit_utc_setup),
		cmocka_unit_test_setup(non_times_are_refused, unit_utc_setup),
	};

	return cmocka_run_group_tests_name("timestamp", tests, NULL, NULL);
}
