/*
 * test_period.c - periodic templates are found within 5 % of their period,
 * random (Poisson) and bursty ones get no period.
 */
#include <math.h>
#include <stdlib.h>

#include "unit.h"
#include "logs/period.h"

static double
expo(double mean)
{
	return -mean * log(1.0 - unit_uniform());
}

static int
cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* n firings every period_s seconds, jitter +- jitter_s, some missed. */
static size_t
periodic(int64_t *t, size_t n, double period_s, double jitter_s, double miss)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (unit_uniform() < miss)
			continue;
		t[k++] = (int64_t)(1.7e12 + ((double)i * period_s + (unit_uniform() * 2 - 1) * jitter_s) * 1000);
	}
	qsort(t, k, sizeof(*t), cmp);
	return k;
}

static void
assert_period(const int64_t *t, size_t n, double period_s)
{
	struct period_result r;

	period_detect(t, n, &r);
	assert_true(r.periodic);
	assert_true(fabs(r.period_s - period_s) <= 0.05 * period_s);
}

static void
fixed_periods_with_jitter_are_found(void **state)
{
	static int64_t t[4096];
	const double periods[] = { 5, 60, 300, 3600, 86400 };

	for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++) {
		size_t n = periodic(t, periods[i] >= 3600 ? 30 : 500, periods[i], periods[i] * 0.02, 0);

		assert_period(t, n, periods[i]);
	}
}

static void
missed_runs_and_noise_do_not_hide_a_period(void **state)
{
	static int64_t t[4096];
	size_t n = periodic(t, 600, 60, 1, 0.1);

	assert_period(t, n, 60);
	/* the same job plus some unrelated lines of the same template */
	for (int i = 0; i < 40; i++)
		t[n++] = t[0] + (int64_t)(unit_uniform() * 36000000.0);
	qsort(t, n, sizeof(*t), cmp);
	assert_period(t, n, 60);
}

static void
a_drifting_sleep_loop_is_periodic(void **state)
{
	static int64_t t[2048];
	double at = 1.7e9;

	for (size_t i = 0; i < 1000; i++) {
		t[i] = (int64_t)(at * 1000);
		at += 60 + (unit_uniform() * 2 - 1);	/* sleep 60 plus the job's own time */
	}
	assert_period(t, 1000, 60);
}

static void
poisson_templates_have_no_period(void **state)
{
	static int64_t t[4096];
	const double means[] = { 1, 10, 60, 600, 3600 };

	for (int seed = 0; seed < 20; seed++)
		for (size_t m = 0; m < sizeof(means) / sizeof(means[0]); m++) {
			struct period_result r;
			double at = 1.7e9;
			size_t n = 50 + (size_t)(unit_uniform() * 2000);

			for (size_t i = 0; i < n; i++) {
				at += expo(means[m]);
				t[i] = (int64_t)(at * 1000);
			}
			period_detect(t, n, &r);
			assert_false(r.periodic);
		}
}

static void
bursty_templates_have_no_period(void **state)
{
	static int64_t t[8192];

	for (int seed = 0; seed < 20; seed++) {
		struct period_result r;
		size_t n = 0;
		double start = 1.7e9;

		for (int b = 0; b < 12; b++) {
			double at;

			start += expo(7200);
			at = start;
			for (int i = 0; i < 40 + (int)(unit_uniform() * 100); i++) {
				at += expo(3);
				t[n++] = (int64_t)(at * 1000);
			}
		}
		qsort(t, n, sizeof(*t), cmp);
		period_detect(t, n, &r);
		assert_false(r.periodic);
	}
}

static void
too_few_runs_are_not_a_period(void **state)
{
	int64_t t[8];
	struct period_result r;

	for (int i = 0; i < 7; i++)
		t[i] = 1700000000000LL + i * 60000LL;
	period_detect(t, 7, &r);
	assert_false(r.periodic);
	period_detect(t, 0, &r);
	assert_false(r.periodic);
}

static void
runs_are_cycles_hit_not_firings(void **state)
{
	static int64_t t[512];
	struct period_result r;
	size_t n = 0;
	int64_t base = 1795764000000LL;

	/* 56 runs a minute apart; a quarter of them make a second request 1.5 s later */
	for (int i = 0; i < 56; i++) {
		t[n++] = base + i * 60000LL + (int64_t)((unit_uniform() * 2 - 1) * 300);
		if (i % 4 == 1)
			t[n++] = base + i * 60000LL + 1500;
	}
	/* and other clients now and then on the same path */
	for (int i = 0; i < 20; i++)
		t[n++] = base + 17000 + (int64_t)(unit_uniform() * 55 * 60000.0);
	qsort(t, n, sizeof(*t), cmp);
	period_detect(t, n, &r);
	assert_true(r.periodic);
	assert_true(r.runs >= 55 && r.runs <= 57);
	assert_true(llabs(r.first_ms - base) <= 300);
	assert_true(llabs(r.last_ms - (base + 55 * 60000LL)) <= 300);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fixed_periods_with_jitter_are_found),
		cmocka_unit_test(missed_runs_and_noise_do_not_hide_a_period),
		cmocka_unit_test(a_drifting_sleep_loop_is_periodic),
		cmocka_unit_test(poisson_templates_have_no_period),
		cmocka_unit_test(bursty_templates_have_no_period),
		cmocka_unit_test(too_few_runs_are_not_a_period),
		cmocka_unit_test(runs_are_cycles_hit_not_firings),
	};

	return cmocka_run_group_tests_name("period", tests, NULL, NULL);
}
