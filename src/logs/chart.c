/*
 * chart.c - see chart.h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "logs/chart.h"

#define ML 56   /* margins around the plot: room for the y labels */
#define MR 12
#define MT 8
#define MB 34   /* two lines of time labels */
#define TICK_PX 96      /* at least this far apart: "23:45" and a date never touch */

double
chart_nice_step(double max, int ticks)
{
	static const double mult[] = { 1, 2, 2.5, 5, 10 };
	double raw = max / (ticks > 0 ? ticks : 1), mag = pow(10, floor(log10(raw)));

	for (size_t i = 0; i < sizeof(mult) / sizeof(mult[0]); i++)
		if (mult[i] * mag >= raw * (1 - 1e-9))
			return mult[i] * mag;
	return 10 * mag;
}

int64_t
chart_time_step(int64_t span_ms, int ticks)
{
	static const int64_t steps[] = {
		1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
		86400, 172800, 604800, 2592000, 7776000, 31536000,
	};
	size_t i;

	if (ticks < 1)
		ticks = 1;
	for (i = 0; i + 1 < sizeof(steps) / sizeof(steps[0]); i++)
		if (span_ms / (steps[i] * 1000) <= ticks)
			break;
	return steps[i] * 1000;
}

/* The local time's offset from UTC at ms, in ms. */
static int64_t
local_offset(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (int64_t)tm.tm_gmtoff * 1000;
}

int64_t
chart_first_tick(int64_t ms, int64_t step)
{
	int64_t off = local_offset(ms), local = ms + off, t;

	t = (local / step) * step;
	if (t < local)
		t += step;
	return t - off;
}

void
chart_fmt_number(double v, char *out, size_t n)
{
	double a = fabs(v);

	if (a >= 1e9)
		snprintf(out, n, "%gG", v / 1e9);
	else if (a >= 1e6)
		snprintf(out, n, "%gM", v / 1e6);
	else if (a >= 1e4)
		snprintf(out, n, "%gk", v / 1e3);
	else
		snprintf(out, n, "%g", (double)(int64_t)(v * 1000 + (v < 0 ? -0.5 : 0.5)) / 1000);
}

/*
 * An axis label: a number, or a time in the unit of the axis's step (so
 * that every label of an axis has the same unit: 0, 2.5 s, 5 s, 7.5 s).
 */
static void
fmt_value(enum chart_unit unit, double v, double step, char *out, size_t n)
{
	char num[24];

	if (unit != CHART_US || v == 0) {
		chart_fmt_number(v, out, n);
		return;
	}
	if (step >= 60e6) {
		chart_fmt_number(v / 60e6, num, sizeof(num));
		snprintf(out, n, "%s min", num);
	} else if (step >= 1e5) {
		chart_fmt_number(v / 1e6, num, sizeof(num));
		snprintf(out, n, "%s s", num);
	} else if (step >= 100) {
		chart_fmt_number(v / 1e3, num, sizeof(num));
		snprintf(out, n, "%s ms", num);
	} else {
		chart_fmt_number(v, num, sizeof(num));
		snprintf(out, n, "%s \u00b5s", num);
	}
}

/* An axis label for time t: the time, and the date on a second line when asked. */
static void
time_label(struct buf *b, double x, int y, int64_t t, int64_t step, int with_date, int anchor)
{
	time_t s = (time_t)(t / 1000);
	struct tm tm;
	char hm[16], day[16];
	const char *a = anchor < 0 ? "start" : anchor > 0 ? "end" : "middle";

	if (localtime_r(&s, &tm) == NULL)
		return;
	strftime(hm, sizeof(hm), step < 60000 ? "%H:%M:%S" : "%H:%M", &tm);
	strftime(day, sizeof(day), "%b %d", &tm);
	if (step >= 86400000) {
		buf_printf(b, "<text x=\"%.1f\" y=\"%d\" class=\"ax\" text-anchor=\"%s\">%s</text>", x,
		    y, a, day);
		return;
	}
	buf_printf(b, "<text x=\"%.1f\" y=\"%d\" class=\"ax\" text-anchor=\"%s\">%s</text>", x, y, a,
	    hm);
	if (with_date)
		buf_printf(b, "<text x=\"%.1f\" y=\"%d\" class=\"ax\" text-anchor=\"%s\">%s</text>", x,
		    y + 12, a, day);
}

static void
x_axis(struct buf *b, const struct chart *c, int pw, int ph)
{
	int64_t span = c->step_ms * (int64_t)c->n, step, t;
	int last_day = -1;

	if (span <= 0)
		return;
	step = chart_time_step(span, pw / TICK_PX);
	for (t = chart_first_tick(c->start_ms, step); t <= c->start_ms + span; t += step) {
		double x = ML + (double)(t - c->start_ms) * pw / (double)span;
		time_t s = (time_t)(t / 1000);
		struct tm tm;
		int day;

		if (localtime_r(&s, &tm) == NULL)
			break;
		day = tm.tm_year * 400 + tm.tm_yday;
		buf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" class=\"tk\"/>", x, x,
		    MT + ph, MT + ph + 4);
		/* labels near an edge are anchored inside the chart */
		time_label(b, x, MT + ph + 15, t, step, day != last_day, x < ML + 24 ? -1 :
		    x > ML + pw - 24 ? 1 : 0);
		last_day = day;
	}
}

/* The y axis: linear from 0 to top in steps, or logarithmic from lo to top. */
struct scale {
	double top, step, lo;
	int log;
};

/* The y pixel of value v on a plot ph pixels high. */
static double
y_px(const struct scale *s, double v, int ph)
{
	double f;

	if (!s->log)
		return MT + ph - v / s->top * ph;
	f = (log10(v > s->lo ? v : s->lo) - log10(s->lo)) / (log10(s->top) - log10(s->lo));
	return MT + ph - (f < 1 ? f : 1) * ph;
}

/*
 * A logarithmic axis for lines of positive values: from the power of ten at
 * or below the smallest value (1 at least, 6 decades below the top at most)
 * to the power of ten at or above the largest.
 */
static void
log_scale(const struct chart *c, struct scale *sc)
{
	double min = INFINITY, max = 0;

	for (int s = 0; s < c->ns; s++)
		for (size_t i = 0; i < c->n; i++) {
			double v = c->s[s].v[i];

			if (isnan(v) || v <= 0)
				continue;
			if (v < min)
				min = v;
			if (v > max)
				max = v;
		}
	if (max <= 0) {
		min = 1;
		max = 10;
	}
	sc->log = 1;
	sc->top = pow(10, ceil(log10(max) - 1e-9));
	sc->lo = pow(10, floor(log10(min) + 1e-9));
	if (sc->lo < 1)
		sc->lo = 1;
	if (sc->lo > sc->top / 10)
		sc->lo = sc->top / 10;
	if (sc->lo < sc->top / 1e6)
		sc->lo = sc->top / 1e6;
	sc->step = 0;
}

/* The top of the y axis (a multiple of the tick step) and the step. */
static double
y_scale(const struct chart *c, double *step)
{
	double max = 0;

	for (size_t i = 0; i < c->n; i++) {
		double sum = 0;

		for (int s = 0; s < c->ns; s++) {
			double v = c->s[s].v[i];

			if (isnan(v))
				continue;
			if (c->stacked)
				sum += v;
			else if (v > max)
				max = v;
		}
		if (c->stacked && sum > max)
			max = sum;
	}
	if (max <= 0)
		max = 1;
	*step = chart_nice_step(max, 4);
	return ceil(max / *step - 1e-9) * *step;
}

static void
y_tick(struct buf *b, double y, int pw, const char *label, int base)
{
	buf_printf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>", ML,
	    ML + pw, y, y, base ? "base" : "grid");
	buf_printf(b, "<text x=\"%d\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">%s</text>",
	    ML - 6, y + 3.5, label);
}

static void
y_axis(struct buf *b, const struct chart *c, int pw, int ph, const struct scale *sc)
{
	char l[32];

	if (sc->log) {
		/* every power of ten; also 2 and 5 times it when there are few */
		int few = sc->top / sc->lo <= 100;

		for (double d = sc->lo; d <= sc->top * (1 + 1e-9); d *= 10)
			for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
				double v = d * m;

				if ((m > 1 && !few) || v > sc->top * (1 + 1e-9))
					continue;
				/* each label in its own unit: 100 µs, 10 ms, 1 s */
				fmt_value(c->unit, v, v < 1e3 ? 1 : v < 1e6 ? 100 : 1e6, l, sizeof(l));
				y_tick(b, y_px(sc, v, ph), pw, l, v == sc->lo);
			}
		return;
	}
	for (double v = 0; v <= sc->top * (1 + 1e-9); v += sc->step) {
		fmt_value(c->unit, v, sc->step, l, sizeof(l));
		y_tick(b, y_px(sc, v, ph), pw, l, v == 0);
	}
}

/*
 * Steps through the points y[0, n) (bar i spans x0 + i * w to x0 + (i + 1) *
 * w), from the pen's point (*at, in tenths of a pixel) forward, or backward
 * from the right end: a run of equal heights is one H, a change one V.
 */
static void
steps(struct buf *b, const double *y, size_t n, double x0, double w, long *at, int backward)
{
	for (size_t k = 0; k < n; k++) {
		size_t i = backward ? n - 1 - k : k;
		long yi = lround(y[i] * 10);

		if (yi == *at)
			continue;
		if (k > 0)
			buf_printf(b, "H%.1f", x0 + (double)(backward ? i + 1 : i) * w);
		buf_printf(b, "V%.1f", (double)yi / 10.0);
		*at = yi;
	}
	buf_printf(b, "H%.1f", backward ? x0 : x0 + (double)n * w);
}

static void
stacked(struct buf *b, const struct chart *c, int pw, int ph, const struct scale *sc)
{
	double base[1024], lo[1024], hi[1024], w = (double)pw / (double)c->n;
	size_t n = c->n < 1024 ? c->n : 1024;

	memset(base, 0, sizeof(base));
	for (int s = 0; s < c->ns; s++) {
		long at;

		for (size_t i = 0; i < n; i++) {
			lo[i] = y_px(sc, base[i], ph);
			base[i] += isnan(c->s[s].v[i]) ? 0 : c->s[s].v[i];
			hi[i] = y_px(sc, base[i], ph);
		}
		at = lround(lo[0] * 10);
		buf_printf(b, "<path fill=\"%s\" d=\"M%d,%.1f", c->s[s].color, ML, (double)at / 10.0);
		steps(b, hi, n, ML, w, &at, 0);
		steps(b, lo, n, ML, w, &at, 1);
		buf_puts(b, "Z\"/>");
	}
}

static void
lines(struct buf *b, const struct chart *c, int pw, int ph, const struct scale *sc)
{
	double w = (double)pw / (double)c->n;

	for (int s = 0; s < c->ns; s++) {
		int pen = 0;

		buf_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" d=\"",
		    c->s[s].color);
		for (size_t i = 0; i < c->n; i++) {
			double v = c->s[s].v[i];

			if (isnan(v)) {
				pen = 0;
				continue;
			}
			buf_printf(b, "%c%.1f,%.1f", pen ? 'L' : 'M', ML + (i + 0.5) * w,
			    y_px(sc, v, ph));
			/* a lone value is a short dash, not an invisible point */
			if (!pen && (i + 1 >= c->n || isnan(c->s[s].v[i + 1])))
				buf_printf(b, "h%.1f", w > 2 ? w / 2 : 1);
			pen = 1;
		}
		buf_puts(b, "\"/>");
	}
}

/* The values for the tooltip: [[series 0], [series 1], ...], 4 significant digits. */
static void
data_attr(struct buf *b, const struct chart *c)
{
	buf_puts(b, " data-names='[");
	for (int s = 0; s < c->ns; s++)
		buf_printf(b, "%s\"%s\"", s ? "," : "", c->s[s].name);
	buf_puts(b, "]' data-v='[");
	for (int s = 0; s < c->ns; s++) {
		buf_puts(b, s ? ",[" : "[");
		for (size_t i = 0; i < c->n; i++) {
			double v = c->s[s].v[i];

			if (i > 0)
				buf_putc(b, ',');
			if (isnan(v))
				buf_puts(b, "null");
			else
				buf_printf(b, "%.4g", v);
		}
		buf_putc(b, ']');
	}
	buf_puts(b, "]'");
}

void
chart_svg(struct buf *b, const struct chart *c)
{
	int pw = c->width - ML - MR, ph = c->height - MT - MB;
	struct scale sc = { 0 };

	if (c->n == 0 || pw <= 0 || ph <= 0)
		return;
	buf_puts(b, "<div class=\"legend\">");
	for (int s = 0; s < c->ns; s++)
		buf_printf(b, "<span><i style=\"background:%s\"></i>%s</span>", c->s[s].color,
		    c->s[s].name);
	buf_puts(b, "</div>");
	if (c->log_y && !c->stacked)
		log_scale(c, &sc);
	else
		sc.top = y_scale(c, &sc.step);
	buf_printf(b, "<svg id=\"%s\" class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "role=\"img\" data-t0=\"%lld\" data-dt=\"%lld\" data-x0=\"%d\" data-pw=\"%d\" "
	    "data-unit=\"%s\" data-what=\"%s\"", c->id, c->width, c->height, c->width, c->height,
	    (long long)c->start_ms, (long long)c->step_ms, ML, pw, c->unit == CHART_US ? "us" : "n",
	    c->what);
	data_attr(b, c);
	buf_putc(b, '>');
	y_axis(b, c, pw, ph, &sc);
	if (c->stacked)
		stacked(b, c, pw, ph, &sc);
	else
		lines(b, c, pw, ph, &sc);
	x_axis(b, c, pw, ph);
	/* the tooltip's cursor, moved by the page's script */
	buf_printf(b, "<line class=\"cur\" x1=\"0\" x2=\"0\" y1=\"%d\" y2=\"%d\" "
	    "style=\"display:none\"/></svg>", MT, MT + ph);
}

void
chart_spark(struct buf *b, const double *v, size_t n, int w, int h, const char *color)
{
	double max = 0, ys[1024];
	long y = (long)h * 10;

	if (n > 1024)
		n = 1024;
	for (size_t i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	if (max <= 0)
		max = 1;
	buf_printf(b, "<svg class=\"spark\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">"
	    "<path fill=\"%s\" fill-opacity=\"0.4\" stroke=\"%s\" d=\"M0,%d", w, h, w, h, color, color,
	    h);
	for (size_t i = 0; i < n; i++)
		ys[i] = h - v[i] / max * (h - 2);
	steps(b, ys, n, 0, (double)w / (double)n, &y, 0);
	buf_printf(b, "V%dZ\"/></svg>", h);
}
