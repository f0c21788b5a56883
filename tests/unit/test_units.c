/*
 * test_units.c - durations and sizes, good and bad.
 */
#include <string.h>

#include "unit.h"
#include "core/err.h"
#include "core/units.h"

static int64_t
dur(const char *s)
{
	char err[ERR_LEN];
	int64_t ms = -12345;

	assert_int_equal(units_duration(s, &ms, err), 0);
	return ms;
}

static void
dur_bad(const char *s, const char *want_in_err)
{
	char err[ERR_LEN] = "";
	int64_t ms = 777;

	assert_int_equal(units_duration(s, &ms, err), -1);
	assert_int_equal(ms, 777);
	assert_non_null(strstr(err, want_in_err));
}

static void
duration_units_are_milliseconds(void **state)
{
	assert_int_equal(dur("500ms"), 500);
	assert_int_equal(dur("30s"), 30000);
	assert_int_equal(dur("5m"), 300000);
	assert_int_equal(dur("1h"), 3600000);
	assert_int_equal(dur("2d"), 172800000);
	assert_int_equal(dur("1w"), 604800000);
	assert_int_equal(dur("0s"), 0);
}

static void
duration_bare_number_is_seconds(void **state)
{
	assert_int_equal(dur("10"), 10000);
	assert_int_equal(dur("0"), 0);
}

static void
duration_with_unit_required_refuses_a_bare_number(void **state)
{
	char err[ERR_LEN];
	int64_t ms;

	assert_int_equal(units_duration_unit("30", &ms, err), -1);
	assert_non_null(strstr(err, "no unit"));
	assert_non_null(strstr(err, "30d"));
	assert_int_equal(units_duration_unit("30d", &ms, err), 0);
	assert_int_equal(ms, 30LL * 86400 * 1000);
	assert_int_equal(units_duration_unit("1h30m", &ms, err), 0);
	assert_int_equal(ms, 5400000);
	assert_int_equal(units_duration("30", &ms, err), 0);
	assert_int_equal(ms, 30000);
}

static void
duration_fractions_and_sums(void **state)
{
	assert_int_equal(dur("1.5s"), 1500);
	assert_int_equal(dur("1h30m"), 5400000);
	assert_int_equal(dur("1m30s250ms"), 90250);
	assert_int_equal(dur("0.25h"), 900000);
	assert_int_equal(dur("2S"), 2000);
}

static void
duration_rejects_bad_input(void **state)
{
	dur_bad("", "empty");
	dur_bad("abc", "invalid duration 'abc'");
	dur_bad("-5s", "invalid duration '-5s'");
	dur_bad("5 s", "invalid duration");
	dur_bad("5x", "unknown unit 'x'");
	dur_bad("5parsecs", "unknown unit 'parsecs'");
	dur_bad("1m30", "missing unit");
	dur_bad("1.s", "invalid duration");
	dur_bad("99999999999999999d", "too large");
	dur_bad("s", "invalid duration");
}

static uint64_t
size(const char *s)
{
	char err[ERR_LEN];
	uint64_t v = 12345;

	assert_int_equal(units_size(s, &v, err), 0);
	return v;
}

static void
size_bad(const char *s, const char *want_in_err)
{
	char err[ERR_LEN] = "";
	uint64_t v = 777;

	assert_int_equal(units_size(s, &v, err), -1);
	assert_int_equal(v, 777);
	assert_non_null(strstr(err, want_in_err));
}

static void
size_units_are_binary(void **state)
{
	assert_int_equal(size("512"), 512);
	assert_int_equal(size("512b"), 512);
	assert_int_equal(size("64k"), 65536);
	assert_int_equal(size("64K"), 65536);
	assert_int_equal(size("64KiB"), 65536);
	assert_int_equal(size("10MB"), 10485760);
	assert_int_equal(size("10m"), 10485760);
	assert_int_equal(size("2GiB"), 2147483648ULL);
	assert_int_equal(size("1.5k"), 1536);
	assert_int_equal(size("1T"), 1099511627776ULL);
}

static void
size_rejects_bad_input(void **state)
{
	size_bad("", "empty");
	size_bad("-1k", "invalid size '-1k'");
	size_bad("k", "invalid size");
	size_bad("10 MB", "unknown unit");
	size_bad("10XB", "unknown unit 'XB'");
	size_bad("1.3", "whole number");
	size_bad("99999999999T", "too large");
}

static void
duration_formatting_is_compact(void **state)
{
	char out[32];

	units_fmt_duration(250, out, sizeof(out));
	assert_string_equal(out, "250ms");
	units_fmt_duration(1500, out, sizeof(out));
	assert_string_equal(out, "1.5s");
	units_fmt_duration(30000, out, sizeof(out));
	assert_string_equal(out, "30s");
	units_fmt_duration(150000, out, sizeof(out));
	assert_string_equal(out, "2m30s");
	units_fmt_duration(3 * 3600000 + 60000, out, sizeof(out));
	assert_string_equal(out, "3h01m");
	units_fmt_duration(86400000LL * 2 + 3600000, out, sizeof(out));
	assert_string_equal(out, "2d1h");
	units_fmt_duration(-2000, out, sizeof(out));
	assert_string_equal(out, "-2s");
}

static void
size_formatting_uses_binary_units(void **state)
{
	char out[32];

	units_fmt_size(512, out, sizeof(out));
	assert_string_equal(out, "512B");
	units_fmt_size(65536, out, sizeof(out));
	assert_string_equal(out, "64.0KiB");
	units_fmt_size(10485760, out, sizeof(out));
	assert_string_equal(out, "10.0MiB");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(duration_units_are_milliseconds),
		cmocka_unit_test(duration_bare_number_is_seconds),
		cmocka_unit_test(duration_with_unit_required_refuses_a_bare_number),
		cmocka_unit_test(duration_fractions_and_sums),
		cmocka_unit_test(duration_rejects_bad_input),
		cmocka_unit_test(size_units_are_binary),
		cmocka_unit_test(size_rejects_bad_input),
		cmocka_unit_test(duration_formatting_is_compact),
		cmocka_unit_test(size_formatting_uses_binary_units),
	};

	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
