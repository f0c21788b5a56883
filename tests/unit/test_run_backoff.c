/*
 * test_run_backoff.c - jitter and backoff stay within their bounds.
 */
#include "unit.h"
#include "run/run_backoff.h"

static void
random_stays_within_zero_and_max(void **state)
{
	int seen_low = 0, seen_high = 0;

	for (int i = 0; i < 2000; i++) {
		int64_t v = run_backoff_random(9);

		assert_true(v >= 0 && v <= 9);
		seen_low |= v == 0;
		seen_high |= v == 9;
	}
	/* 2000 draws of 10 values: both ends show up unless the range is wrong. */
	assert_true(seen_low && seen_high);
}

static void
random_of_zero_or_negative_is_zero(void **state)
{
	assert_int_equal(run_backoff_random(0), 0);
	assert_int_equal(run_backoff_random(-5), 0);
}

static void
random_handles_the_largest_range(void **state)
{
	for (int i = 0; i < 100; i++)
		assert_true(run_backoff_random(INT64_MAX) >= 0);
}

static void
delay_doubles_per_attempt_with_equal_jitter(void **state)
{
	for (int i = 0; i < 200; i++) {
		int64_t d1 = run_backoff_delay(1000, 1, 60000);
		int64_t d3 = run_backoff_delay(1000, 3, 60000);

		assert_true(d1 >= 500 && d1 <= 1000);
		assert_true(d3 >= 2000 && d3 <= 4000);
	}
}

static void
delay_is_capped(void **state)
{
	for (int i = 0; i < 200; i++) {
		int64_t d = run_backoff_delay(1000, 40, 60000);

		assert_true(d >= 30000 && d <= 60000);
	}
	/* A huge attempt number must not overflow. */
	assert_true(run_backoff_delay(1000, 1000000, 5000) <= 5000);
}

static void
delay_of_zero_base_is_zero(void **state)
{
	assert_int_equal(run_backoff_delay(0, 3, 1000), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_stays_within_zero_and_max),
		cmocka_unit_test(random_of_zero_or_negative_is_zero),
		cmocka_unit_test(random_handles_the_largest_range),
		cmocka_unit_test(delay_doubles_per_attempt_with_equal_jitter),
		cmocka_unit_test(delay_is_capped),
		cmocka_unit_test(delay_of_zero_base_is_zero),
	};

	return cmocka_run_group_tests_name("run_backoff", tests, NULL, NULL);
}
