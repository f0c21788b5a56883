/*
 * test_latency.c - the fixed histogram of request times: buckets cover
 * every time without a gap, quantiles read from it stay within the
 * bucket's width of the exact ones, and merging adds.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "logs/latency.h"

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void
buckets_cover_every_time_in_order(void **state)
{
	size_t prev = 0;

	for (uint64_t us = 0; us <= UINT32_MAX; us = us < 64 ? us + 1 : us + us / 7) {
		size_t b = latency_bucket((uint32_t)us);
		double lo, hi;

		assert_true(b < LATENCY_BUCKETS);
		assert_true(b >= prev);
		latency_bucket_range(b, &lo, &hi);
		assert_true((double)us >= lo && (double)us < hi);
		/* never wider than a quarter of where it starts (exact below 8 µs) */
		assert_true(hi - lo <= (lo < 8 ? 1 : lo / 4));
		prev = b;
	}
	assert_int_equal(latency_bucket(UINT32_MAX), LATENCY_BUCKETS - 1);
}

static void
quantiles_are_within_a_bucket_of_the_exact_ones(void **state)
{
	enum { N = 20000 };
	static uint32_t v[N];
	struct latency l;
	const double qs[] = { 0.5, 0.9, 0.95, 0.99 };

	memset(&l, 0, sizeof(l));
	for (size_t i = 0; i < N; i++) {
		/* lognormal around 50 ms with a long tail */
		double z = sqrt(-2 * log(1 - unit_uniform())) * cos(2 * M_PI * unit_uniform());

		v[i] = (uint32_t)(50000 * exp(z));
		latency_add(&l, v[i], UINT32_MAX);
	}
	qsort(v, N, sizeof(v[0]), cmp_u32);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		double exact = v[(size_t)(qs[k] * N) - 1], got = latency_q(&l, qs[k]);

		assert_true(fabs(got - exact) <= 0.125 * exact);
	}
	assert_int_equal(l.max_us, v[N - 1]);
	assert_true(latency_q(&l, 1.0) <= l.max_us);
	assert_int_equal(l.up_n, 0);
}

static void
merge_adds_counts_sums_and_upstream(void **state)
{
	struct latency a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	latency_add(&a, 1000, 900);
	latency_add(&b, 5000000, 4900000);
	latency_add(&b, 3000, UINT32_MAX);
	latency_merge(&a, &b);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.sum_us, 5004000);
	assert_int_equal(a.up_n, 2);
	assert_int_equal(a.up_sum_us, 4900900);
	assert_int_equal(a.max_us, 5000000);
	assert_true(latency_q(&a, 1.0) <= 5000000 && latency_q(&a, 1.0) > 4000000);
}

static void
empty_histogram_reads_zero(void **state)
{
	struct latency l;

	memset(&l, 0, sizeof(l));
	assert_true(latency_q(&l, 0.99) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buckets_cover_every_time_in_order),
		cmocka_unit_test(quantiles_are_within_a_bucket_of_the_exact_ones),
		cmocka_unit_test(merge_adds_counts_sums_and_upstream),
		cmocka_unit_test(empty_histogram_reads_zero),
	};

	return cmocka_run_group_tests_name("latency", tests, NULL, NULL);
}
