/*
 * test_clock.c - time formatting and the --since/--until parser.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"
#include "core/clock.h"
#include "core/err.h"

#define NOW 1795764000000LL	/* 2026-11-27T07:20:00Z */

static int64_t
parse(const char *s)
{
	char err[ERR_LEN];
	int64_t ms = 0;

	assert_int_equal(clock_parse(s, NOW, &ms, err), 0);
	return ms;
}

static void
utc_formatting_is_iso8601(void **state)
{
	char out[CLOCK_FMT_LEN];

	clock_fmt_utc(NOW + 123, out, sizeof(out));
	assert_string_equal(out, "2026-11-27T07:20:00.123Z");
	clock_fmt_utc_s(0, out, sizeof(out));
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	clock_fmt_utc(-1, out, sizeof(out));
	assert_string_equal(out, "1969-12-31T23:59:59.999Z");
}

static void
local_formatting_carries_zone(void **state)
{
	char out[CLOCK_FMT_LEN];

	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	clock_fmt_local(NOW, out, sizeof(out));
	assert_string_equal(out, "2026-11-27 08:20:00 +0100");
	setenv("TZ", "UTC", 1);
	tzset();
}

static void
parse_absolute_forms(void **state)
{
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(parse("2026-11-27T07:20:00Z"), NOW);
	assert_int_equal(parse("2026-11-27T07:20:00.250Z"), NOW + 250);
	assert_int_equal(parse("2026-11-27T08:20:00+01:00"), NOW);
	assert_int_equal(parse("2026-11-27T02:20:00-0500"), NOW);
	assert_int_equal(parse("2026-11-27 07:20"), NOW);
	assert_int_equal(parse("2026-11-27"), NOW - (7 * 3600 + 20 * 60) * 1000LL);
	assert_int_equal(parse("@1795764000"), NOW);
	assert_int_equal(parse("now"), NOW);
}

static void
parse_local_time_honours_tz(void **state)
{
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	assert_int_equal(parse("2026-11-27 08:20:00"), NOW);
	setenv("TZ", "UTC", 1);
	tzset();
}

static void
parse_relative_means_ago(void **state)
{
	assert_int_equal(parse("30m"), NOW - 30 * 60000);
	assert_int_equal(parse("2h"), NOW - 2 * 3600000);
	assert_int_equal(parse("-1d"), NOW - 86400000);
}

static void
parse_rejects_garbage(void **state)
{
	const char *bad[] = { "", "yesterday-ish", "2026-13-01", "2026-11-27T25:00",
	    "2026-11-27T06:40:00Q", "2026", "@", "@12x", "2026-11-2" };
	char err[ERR_LEN];
	int64_t ms;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(clock_parse(bad[i], NOW, &ms, err), -1);
		assert_true(strlen(err) > 0);
	}
}

static void
civil_to_epoch_matches_known_dates(void **state)
{
	assert_int_equal(clock_civil_to_epoch(1970, 1, 1, 0, 0, 0), 0);
	assert_int_equal(clock_civil_to_epoch(2000, 3, 1, 0, 0, 0), 951868800);
	assert_int_equal(clock_civil_to_epoch(2026, 11, 27, 7, 20, 0), NOW / 1000);
	assert_int_equal(clock_civil_to_epoch(2024, 2, 29, 12, 0, 0), 1709208000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utc_formatting_is_iso8601),
		cmocka_unit_test(local_formatting_carries_zone),
		cmocka_unit_test(parse_absolute_forms),
		cmocka_unit_test(parse_local_time_honours_tz),
		cmocka_unit_test(parse_relative_means_ago),
		cmocka_unit_test(parse_rejects_garbage),
		cmocka_unit_test(civil_to_epoch_matches_known_dates),
	};

	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
