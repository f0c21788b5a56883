/*
 * test_timeline.c - the shared time axis doubles its bins to take in new
 * times and folds the series without losing counts.
 */
#include "unit.h"
#include "logs/timeline.h"

static void
first_time_sets_one_second_bins(void **state)
{
	struct timeline t = { 0, 0 }, old;

	assert_int_equal(timeline_fit(&t, 1700000000500LL, &old), 0);
	assert_int_equal(t.width, 1000);
	assert_true(1700000000500LL >= t.origin);
	assert_true(timeline_bin(&t, 1700000000500LL) < TIMELINE_BINS);
}

static void
growth_keeps_every_count(void **state)
{
	struct timeline t = { 0, 0 }, old;
	uint32_t bins[TIMELINE_BINS] = { 0 };
	int64_t base = 1700000000000LL;
	uint64_t total = 0;

	for (int64_t i = 0; i < 100000; i += 7) {
		int64_t ts = base + i * 1000;

		if (timeline_fit(&t, ts, &old))
			timeline_remap(&old, &t, bins);
		bins[timeline_bin(&t, ts)]++;
	}
	/* a time before the start extends the axis to the left */
	if (timeline_fit(&t, base - 86400000LL, &old))
		timeline_remap(&old, &t, bins);
	bins[timeline_bin(&t, base - 86400000LL)]++;
	for (size_t i = 0; i < TIMELINE_BINS; i++)
		total += bins[i];
	assert_int_equal(total, 100000 / 7 + 1 + 1);
	assert_true(t.width >= 256000);
}

static void
used_range_skips_empty_ends(void **state)
{
	uint32_t bins[TIMELINE_BINS] = { 0 };
	size_t lo, hi;

	timeline_used(bins, &lo, &hi);
	assert_int_equal(lo, hi);
	bins[10] = 1;
	bins[20] = 2;
	timeline_used(bins, &lo, &hi);
	assert_int_equal(lo, 10);
	assert_int_equal(hi, 21);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_time_sets_one_second_bins),
		cmocka_unit_test(growth_keeps_every_count),
		cmocka_unit_test(used_range_skips_empty_ends),
	};

	return cmocka_run_group_tests_name("timeline", tests, NULL, NULL);
}
