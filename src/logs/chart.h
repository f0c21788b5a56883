/*
 * chart.h - SVG charts over time for the HTML report: real axes (y ticks
 * at round numbers or powers of ten, time ticks at round minutes, hours or
 * days of local time), stacked areas for counts or lines for times, a legend, and the
 * values for the page's tooltip.
 *
 * Everything is appended to a struct buf; nothing is fetched and no script
 * is needed to read a chart (the tooltip is the page's own script reading
 * the data-* attributes of the <svg>).
 */
#ifndef BRACE_LOGS_CHART_H
#define BRACE_LOGS_CHART_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum chart_unit {
	CHART_NUMBER = 0,       /* counts, rates: 0, 0.5, 1k, 2.5M */
	CHART_US,               /* times in microseconds: 0, 200 ms, 1.5 s */
};

struct chart_series {
	const char *name;
	const char *color;      /* CSS colour */
	const double *v;        /* n values; NAN = no value (a gap in a line) */
};

struct chart {
	const char *id;         /* the <svg>'s id */
	int width, height;      /* of the whole <svg>, axes included */
	int64_t start_ms;       /* the time of v[0]'s start */
	int64_t step_ms;        /* the time each value covers */
	size_t n;               /* values per series */
	const struct chart_series *s;
	int ns;
	int stacked;            /* 1: stacked areas (from the first series up), 0: lines */
	enum chart_unit unit;
	const char *what;       /* what a value is, for the tooltip ("requests/s") */
	int log_y;              /* lines only: a logarithmic y axis, ticks at powers of ten */
};

/* Append the chart's legend (an HTML line of coloured keys) and the <svg>. */
void chart_svg(struct buf *b, const struct chart *c);

/* A tiny chart without axes (a sparkline) of v[0, n), n <= 1024, w x h pixels. */
void chart_spark(struct buf *b, const double *v, size_t n, int w, int h, const char *color);

/*
 * The step between y ticks: 1, 2, 2.5 or 5 times a power of ten, so that
 * [0, max] takes at most ticks steps. max > 0.
 */
double chart_nice_step(double max, int ticks);
/*
 * The step between time ticks in ms (1 s, 5 s, 1 min, 15 min, 1 h, 6 h,
 * 1 day, ...): the smallest that puts at most ticks ticks on span_ms.
 */
int64_t chart_time_step(int64_t span_ms, int ticks);
/*
 * The first tick at or after ms: a multiple of step in local time (hours
 * and days start at local midnight).
 */
int64_t chart_first_tick(int64_t ms, int64_t step);
/* "1.5k", "250", "2.5M", "0.25": a number for an axis. */
void chart_fmt_number(double v, char *out, size_t n);

#endif
