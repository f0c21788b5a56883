/*
 * test_burst.c - bursts stand out from a template's own baseline; steady
 * traffic has none.
 */
#include "unit.h"
#include "logs/burst.h"

static void
a_spike_is_one_burst_with_its_peak(void **state)
{
	uint32_t bins[TIMELINE_BINS] = { 0 };
	struct timeline tl = { 1700000000000LL, 60000 };
	struct burst b[4];
	size_t n;

	for (size_t i = 10; i < 400; i++)
		bins[i] = 3 + (uint32_t)(i % 3);
	bins[200] = 40;
	bins[201] = 90;
	bins[202] = 50;
	n = burst_detect(bins, &tl, b, 4);
	assert_int_equal(n, 1);
	assert_int_equal(b[0].start_ms, tl.origin + 200 * tl.width);
	assert_int_equal(b[0].end_ms, tl.origin + 203 * tl.width);
	assert_int_equal(b[0].peak_ms, tl.origin + 201 * tl.width);
	assert_int_equal(b[0].peak, 90);
	assert_int_equal(b[0].events, 180);
}

static void
steady_traffic_has_no_burst(void **state)
{
	uint32_t bins[TIMELINE_BINS] = { 0 };
	struct timeline tl = { 0, 1000 };
	struct burst b[4];

	for (size_t i = 0; i < TIMELINE_BINS; i++)
		bins[i] = 20 + (uint32_t)(i % 7);
	assert_int_equal(burst_detect(bins, &tl, b, 4), 0);
	tl.width = 0;
	assert_int_equal(burst_detect(bins, &tl, b, 4), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_spike_is_one_burst_with_its_peak),
		cmocka_unit_test(steady_traffic_has_no_burst),
	};

	return cmocka_run_group_tests_name("burst", tests, NULL, NULL);
}
