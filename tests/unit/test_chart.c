/*
 * test_chart.c - chart axes: y steps are round numbers, time steps round
 * spans with few enough ticks, ticks fall on round local times, and the
 * SVG carries its legend, labels and data.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"
#include "logs/chart.h"

static void
y_steps_are_one_two_two_and_a_half_or_five(void **state)
{
	assert_true(chart_nice_step(1.0, 4) == 0.25);
	assert_true(chart_nice_step(7.3, 4) == 2);
	assert_true(chart_nice_step(1234, 4) == 500);
	assert_true(chart_nice_step(9.9e6, 4) == 2.5e6);
	for (double max = 0.003; max < 1e9; max *= 1.37) {
		double s = chart_nice_step(max, 4), m = s / pow(10, floor(log10(s) + 1e-9));

		assert_true(max / s <= 4 + 1e-9);
		assert_true(fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 2.5) < 1e-9 ||
		    fabs(m - 5) < 1e-9);
	}
}

static void
time_steps_keep_ticks_few_and_round(void **state)
{
	assert_int_equal(chart_time_step(55 * 60000LL, 12), 300000);
	assert_int_equal(chart_time_step(2 * 86400000LL, 12), 6 * 3600000LL);
	assert_int_equal(chart_time_step(30000, 12), 5000);
	assert_int_equal(chart_time_step(400LL * 86400000, 12), 7776000000LL);
	for (int64_t span = 1000; span < 40LL * 86400000; span = span * 3 / 2)
		assert_true(span / chart_time_step(span, 10) <= 10);
}

static void
ticks_fall_on_round_local_times(void **state)
{
	/* 2026-11-27 07:23:41.5 UTC; New York is 5 hours behind in November */
	int64_t t = 1795764221500LL;

	assert_int_equal(chart_first_tick(t, 300000), 1795764300000LL);	/* 07:25 */
	assert_int_equal(chart_first_tick(t, 3600000), 1795766400000LL);	/* 08:00 */
	setenv("TZ", "America/New_York", 1);
	tzset();
	/* the next local midnight is 05:00 UTC on the 28th */
	assert_int_equal(chart_first_tick(t, 86400000), 1795842000000LL);
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(chart_first_tick(1795766400000LL, 3600000), 1795766400000LL);
}

static void
numbers_for_axes(void **state)
{
	char s[32];

	chart_fmt_number(0, s, sizeof(s));
	assert_string_equal(s, "0");
	chart_fmt_number(2.5, s, sizeof(s));
	assert_string_equal(s, "2.5");
	chart_fmt_number(25000, s, sizeof(s));
	assert_string_equal(s, "25k");
	chart_fmt_number(1500000, s, sizeof(s));
	assert_string_equal(s, "1.5M");
}

static void
svg_has_legend_axes_and_data(void **state)
{
	double a[3] = { 1, 2, NAN }, b[3] = { 0.5, NAN, 2500000 };
	struct chart_series s[2] = { { "p50", "#111", a }, { "p99", "#222", b } };
	struct chart c = { "ch-x", 600, 200, 1795764000000LL, 60000, 3, s, 2, 0, CHART_US,
	    "request time", 0 };
	struct buf out = BUF_INIT(1 << 20);
	const char *h;

	chart_svg(&out, &c);
	h = buf_str(&out);
	assert_non_null(strstr(h, "<div class=\"legend\">"));
	assert_non_null(strstr(h, ">p99</span>"));
	assert_non_null(strstr(h, "id=\"ch-x\""));
	assert_non_null(strstr(h, "data-v='[[1,2,null],[0.5,null,2.5e+06]]'"));
	/* the y axis in the unit of its step, the time axis in local time */
	assert_non_null(strstr(h, ">1 s</text>"));
	assert_non_null(strstr(h, ">07:21</text>"));
	assert_non_null(strstr(h, "class=\"cur\""));
	buf_release(&out);
}

static void
steps_are_one_segment_per_change(void **state)
{
	double v[6] = { 2, 2, 2, 0, 0, 2 }, a[4] = { 1, 1, 3, 3 }, z[4] = { 1, 1, 1, 1 };
	struct chart_series s[2] = { { "2xx", "#111", a }, { "5xx", "#222", z } };
	struct chart c = { "ch-s", 600, 200, 1795764000000LL, 60000, 4, s, 2, 1, CHART_NUMBER,
	    "requests/s", 0 };
	struct buf out = BUF_INIT(1 << 20);
	const char *h;

	/* a sparkline: up, a run, down at the 4th value, up at the 6th, back to the base */
	chart_spark(&out, v, 6, 60, 22, "#333");
	assert_non_null(strstr(buf_str(&out), "d=\"M0,22V2.0H30.0V22.0H50.0V2.0H60.0V22Z\""));
	buf_reset(&out);
	/* stacked areas: each series' path steps where its top or its base changes */
	chart_svg(&out, &c);
	h = buf_str(&out);
	for (const char *p = strstr(h, "<path"); p != NULL; p = strstr(p + 1, "<path")) {
		const char *d = strstr(p, " d=\"") + 4, *e = strchr(d, '"');
		int segs = 0;

		for (const char *q = d; q < e; q++) {
			assert_true(*q != 'L');
			segs += *q == 'H' || *q == 'V';
		}
		assert_true(segs >= 4 && segs <= 8);
	}
	buf_release(&out);
}

static void
log_axis_shows_every_percentile(void **state)
{
	/* p50 about 30 ms, p99 about 5 s: on a linear axis p50 would lie on the base line */
	double p50[4] = { 30e3, 32e3, NAN, 28e3 }, p99[4] = { 5e6, 4.2e6, NAN, 6e6 };
	struct chart_series s[2] = { { "p50", "#111", p50 }, { "p99", "#222", p99 } };
	struct chart c = { "ch-l", 600, 200, 1795764000000LL, 60000, 4, s, 2, 0, CHART_US,
	    "request time", 1 };
	struct buf out = BUF_INIT(1 << 20);
	const char *h, *p;
	double y10ms = 0, y50;

	chart_svg(&out, &c);
	h = buf_str(&out);
	/* ticks at the powers of ten from 10 ms to 10 s, each in its own unit */
	assert_non_null(strstr(h, ">10 ms</text>"));
	assert_non_null(strstr(h, ">100 ms</text>"));
	assert_non_null(strstr(h, ">1 s</text>"));
	assert_non_null(strstr(h, ">10 s</text>"));
	assert_null(strstr(h, ">2 s</text>"));
	/* p50's first point lies about a sixth of the plot above the 10 ms base line */
	p = strstr(h, ">10 ms</text>");
	while (p > h && strncmp(p, " y=\"", 4) != 0)
		p--;
	y10ms = strtod(p + 4, NULL) - 3.5;
	p = strstr(h, "stroke=\"#111\"");
	assert_non_null(p);
	p = strstr(p, "d=\"M");
	y50 = strtod(strchr(p, ',') + 1, NULL);
	assert_true(y10ms - y50 > 20 && y10ms - y50 < 60);
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(y_steps_are_one_two_two_and_a_half_or_five, unit_utc_setup),
		cmocka_unit_test_setup(time_steps_keep_ticks_few_and_round, unit_utc_setup),
		cmocka_unit_test_setup(ticks_fall_on_round_local_times, unit_utc_setup),
		cmocka_unit_test_setup(numbers_for_axes, unit_utc_setup),
		cmocka_unit_test_setup(svg_has_legend_axes_and_data, unit_utc_setup),
		cmocka_unit_test_setup(steps_are_one_segment_per_change, unit_utc_setup),
		cmocka_unit_test_setup(log_axis_shows_every_percentile, unit_utc_setup),
	};

	return cmocka_run_group_tests_name("chart", tests, NULL, NULL);
}
