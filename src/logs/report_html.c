/*
 * report_html.c - --html FILE: one self-contained page (inline CSS, SVG and
 * a little script; nothing is fetched) with the terminal report's panels:
 * a row of headline figures, charts over time with real axes (requests per
 * second stacked by status class, or lines per second; the latency's
 * percentiles), slow requests, errors by template, periodic jobs, the top
 * tables of an access log, templates and bursts.
 *
 * Every table is sortable by a click on its header and has a filter box;
 * numbers are written for people (1,234, 2.4 GiB, 180 ms) and carry their
 * raw value in data-v for sorting. The page reads without its script: it
 * only sorts, filters and shows the charts' tooltips. A string shows its
 * first CELL_MAX characters, so that the page stays small whatever the log.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/units.h"
#include "logs/chart.h"
#include "logs/report.h"

#define NB 120          /* columns of a chart over time */
#define CHART_W 1200
#define ROWS_MAX 64     /* rows of a table */
#define CELL_MAX 200    /* characters of a string shown, then "…" */

static const char *const status_colors[4] = { "#4a90c4", "#9aa5b1", "#e6a23c", "#d9534f" };

static void
esc(struct buf *b, const char *s, size_t n)
{
	report_clean(b, s, n, CELL_MAX, 1);
}

static void
escs(struct buf *b, const char *s)
{
	esc(b, s, strlen(s));
}

/* ---- tables ----------------------------------------------------------- */

struct col {
	const char *name;
	int num;                /* sorted as a number, largest first */
};

/*
 * Open a panel with a sortable table: a title, an optional note, a filter
 * box when there are enough rows to need one.
 */
static void
table_open(struct buf *b, const char *id, const char *title, const char *note,
    const struct col *cols, size_t ncols, size_t nrows)
{
	buf_printf(b, "<section class=\"panel\"><div class=\"head\"><h2>%s</h2>", title);
	if (nrows > 5)
		buf_printf(b, "<input class=\"filter\" type=\"search\" placeholder=\"filter\" "
		    "aria-label=\"filter %s\" data-for=\"%s\">", title, id);
	buf_puts(b, "</div>");
	if (note != NULL)
		buf_printf(b, "<p class=\"note\">%s</p>", note);
	buf_printf(b, "<table id=\"%s\" class=\"sort\"><thead><tr>", id);
	for (size_t i = 0; i < ncols; i++)
		buf_printf(b, "<th%s>%s</th>", cols[i].num ? " data-num class=\"n\"" : "", cols[i].name);
	buf_puts(b, "</tr></thead><tbody>");
}

static void
table_close(struct buf *b)
{
	buf_puts(b, "</tbody></table></section>");
}

/* A number cell: text for people, v for sorting. */
static void
td_num(struct buf *b, double v, const char *text)
{
	buf_printf(b, "<td class=\"n\" data-v=\"%.10g\">%s</td>", v, text);
}

static void
td_count(struct buf *b, uint64_t v)
{
	char c[32];

	report_fmt_count(v, c, sizeof(c));
	td_num(b, (double)v, c);
}

static void
td_us(struct buf *b, double us)
{
	char c[32];

	report_fmt_us(us, c, sizeof(c));
	td_num(b, us, c);
}

/* A share of a total with a bar scaled to the largest share of the table. */
static void
td_share(struct buf *b, double share, double max_share)
{
	buf_printf(b, "<td class=\"n share\" data-v=\"%.10g\">%.1f%%<span class=\"bar\">"
	    "<i style=\"width:%.1f%%\"></i></span></td>", share, 100.0 * share,
	    max_share > 0 ? 100.0 * share / max_share : 0);
}

static void
td_code(struct buf *b, const char *s, size_t n)
{
	buf_puts(b, "<td><code>");
	esc(b, s, n);
	buf_puts(b, "</code></td>");
}

static void
td_time(struct buf *b, int64_t ms)
{
	char t[CLOCK_FMT_LEN];

	if (ms <= 0) {
		buf_puts(b, "<td data-v=\"0\">-</td>");
		return;
	}
	clock_fmt_local(ms, t, sizeof(t));
	buf_printf(b, "<td data-v=\"%lld\">%.19s</td>", (long long)ms, t);
}

/* A table of counts by string: count, share of total, the string. */
static void
count_table(struct buf *b, const char *id, const char *title, const char *what,
    const char *const *labels, const size_t *lens, const uint64_t *counts, size_t n,
    uint64_t total)
{
	const struct col cols[] = { { "requests", 1 }, { "share", 1 }, { what, 0 } };
	double max = 0;

	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (total && (double)counts[i] / (double)total > max)
			max = (double)counts[i] / (double)total;
	table_open(b, id, title, NULL, cols, 3, n);
	for (size_t i = 0; i < n; i++) {
		buf_puts(b, "<tr>");
		td_count(b, counts[i]);
		td_share(b, total ? (double)counts[i] / (double)total : 0, max);
		td_code(b, labels[i], lens[i]);
		buf_puts(b, "</tr>");
	}
	table_close(b);
}

static void
top_table(struct buf *b, const char *id, const char *title, const char *what,
    const struct topk *k, size_t max, uint64_t total)
{
	struct topk_item it[ROWS_MAX];
	const char *labels[ROWS_MAX];
	size_t lens[ROWS_MAX], n = topk_top(k, it, max < ROWS_MAX ? max : ROWS_MAX);
	uint64_t counts[ROWS_MAX];

	for (size_t i = 0; i < n; i++) {
		labels[i] = it[i].s;
		lens[i] = it[i].len;
		counts[i] = it[i].count;
	}
	count_table(b, id, title, what, labels, lens, counts, n, total);
}

/* ---- headline figures --------------------------------------------------- */

static void
card(struct buf *b, const char *id, const char *label, const char *value, const char *sub)
{
	buf_printf(b, "<div class=\"card\" id=\"card-%s\"><div class=\"k\">%s</div>"
	    "<div class=\"v\">%s</div><div class=\"s\">%s</div></div>", id, label, value,
	    sub ? sub : "");
}

/* "2 d 6 h", "3 h 12 min", "55 min", "40 s": a span for people. */
static void
fmt_span(int64_t ms, char *out, size_t n)
{
	int64_t s = ms / 1000;

	if (s >= 86400)
		snprintf(out, n, "%lld d %lld h", (long long)(s / 86400), (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(out, n, "%lld h %lld min", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(out, n, "%lld min", (long long)((s + 30) / 60));
	else
		snprintf(out, n, "%lld s", (long long)s);
}

static void
cards(struct report *r, struct buf *b)
{
	struct digest *d = r->d;
	char v[64], s[160], c1[32], c2[32];

	buf_puts(b, "<div class=\"cards\">");
	if (r->access) {
		uint64_t e4 = 0, e5 = 0;

		for (int i = 400; i < 500; i++)
			e4 += d->status[i];
		for (int i = 500; i < 600; i++)
			e5 += d->status[i];
		report_fmt_count(d->requests, v, sizeof(v));
		card(b, "requests", "Requests", v, NULL);
		report_fmt_count(topk_size(&d->clients), c1, sizeof(c1));
		snprintf(v, sizeof(v), "%s%s", d->clients.approximate ? "&gt; " : "", c1);
		card(b, "clients", "Distinct clients", v, NULL);
		snprintf(v, sizeof(v), "%.1f %%", d->requests ? 100.0 * (double)(e4 + e5) /
		    (double)d->requests : 0);
		report_fmt_count(e4, c1, sizeof(c1));
		report_fmt_count(e5, c2, sizeof(c2));
		snprintf(s, sizeof(s), "4xx %s · 5xx %s", c1, c2);
		card(b, "errors", "Error rate", v, s);
		units_fmt_size(d->bytes_sent, c1, sizeof(c1));
		{
			size_t k = strspn(c1, "0123456789.");

			/* "2.3GiB" as "2.3 GiB", the exact count below it */
			snprintf(v, sizeof(v), "%.*s%s%s", (int)k, c1, c1[k] ? " " : "", c1 + k);
		}
		report_fmt_count(d->bytes_sent, c2, sizeof(c2));
		snprintf(s, sizeof(s), "%s bytes", c2);
		card(b, "bytes", "Bytes sent", v, s);
	} else {
		size_t periodic = 0, nbursts = 0;

		for (size_t i = 0; i < d->norder; i++) {
			periodic += d->t[d->order[i]].period.periodic != 0;
			nbursts += d->t[d->order[i]].nbursts;
		}
		report_fmt_count(d->lines, v, sizeof(v));
		card(b, "lines", "Lines", v, NULL);
		report_fmt_count(d->norder, v, sizeof(v));
		card(b, "templates", "Templates", v, NULL);
		snprintf(v, sizeof(v), "%zu", periodic);
		snprintf(s, sizeof(s), "%zu burst%s", nbursts, nbursts == 1 ? "" : "s");
		card(b, "periodic", "Periodic jobs", v, s);
	}
	if (d->first_ts != TIMESTAMP_NONE) {
		char a[CLOCK_FMT_LEN], z[CLOCK_FMT_LEN];

		fmt_span(d->last_ts - d->first_ts, v, sizeof(v));
		clock_fmt_local(d->first_ts, a, sizeof(a));
		clock_fmt_local(d->last_ts, z, sizeof(z));
		snprintf(s, sizeof(s), "%.16s to %.16s", a, z);
		card(b, "span", "Time span", v, s);
	}
	report_fmt_count(d->unparsed, v, sizeof(v));
	report_fmt_count(d->lines, c1, sizeof(c1));
	report_fmt_count(d->cut, c2, sizeof(c2));
	snprintf(s, sizeof(s), "of %s lines · %s cut", c1, c2);
	card(b, "unparsed", "Lines not parsed", v, s);
	if (d->lat_all.n > 0) {
		char p50[24], p99[24];

		report_fmt_us(latency_q(&d->lat_all, 0.95), v, sizeof(v));
		report_fmt_us(latency_q(&d->lat_all, 0.50), p50, sizeof(p50));
		report_fmt_us(latency_q(&d->lat_all, 0.99), p99, sizeof(p99));
		snprintf(s, sizeof(s), "p50 %s · p99 %s", p50, p99);
		card(b, "p95", "Request time p95", v, s);
	}
	buf_puts(b, "</div>");
}

/* ---- charts -------------------------------------------------------------- */

static int64_t
bin_start(const struct digest *d, size_t bin)
{
	return d->tl.origin + (int64_t)bin * d->tl.width;
}

/* The time a chart's column covers when bins [lo, hi) are folded into NB columns. */
static int64_t
column_ms(const struct digest *d, size_t lo, size_t hi)
{
	size_t span = hi - lo, n = span < NB ? span : NB;

	return d->tl.width * (int64_t)span / (int64_t)n;
}

/* A panel with a title and a chart. */
static void
chart_panel(struct buf *b, const char *title, const struct chart *c)
{
	buf_printf(b, "<section class=\"panel wide\"><h2>%s</h2>", title);
	chart_svg(b, c);
	buf_puts(b, "</section>");
}

/* Counts per column of bucket_ms into counts per second. */
static void
per_second(double *v, size_t n, int64_t bucket_ms)
{
	for (size_t i = 0; i < n; i++)
		v[i] = v[i] * 1000.0 / (double)bucket_ms;
}

/* Requests per second, stacked 2xx (and the rest) / 3xx / 4xx / 5xx. */
static void
requests_chart(struct report *r, struct buf *b, size_t lo, size_t hi)
{
	struct digest *d = r->d;
	double all[NB], v[4][NB];
	struct chart_series s[4] = {
		{ "2xx", status_colors[0], v[0] }, { "3xx", status_colors[1], v[1] },
		{ "4xx", status_colors[2], v[2] }, { "5xx", status_colors[3], v[3] },
	};
	int64_t bucket;
	size_t n = hi - lo < NB ? hi - lo : NB;
	struct chart c = { "ch-requests", CHART_W, 230, bin_start(d, lo), 0, n, s, 4, 1,
	    CHART_NUMBER, "requests/s", 0 };

	report_buckets(&d->tl, d->req_bins, lo, hi, NB, all, &bucket);
	report_buckets(&d->tl, d->err3_bins, lo, hi, NB, v[1], NULL);
	report_buckets(&d->tl, d->err4_bins, lo, hi, NB, v[2], NULL);
	report_buckets(&d->tl, d->err5_bins, lo, hi, NB, v[3], NULL);
	for (size_t i = 0; i < n; i++)
		v[0][i] = all[i] - v[1][i] - v[2][i] - v[3][i];
	for (int k = 0; k < 4; k++)
		per_second(v[k], n, bucket);
	c.step_ms = bucket;
	chart_panel(b, "Requests per second", &c);
}

/* Lines per second of every template (logs other than access logs). */
static void
lines_chart(struct report *r, struct buf *b, size_t lo, size_t hi)
{
	struct digest *d = r->d;
	double v[NB];
	uint32_t sum[TIMELINE_BINS];
	struct chart_series s[1] = { { "lines", status_colors[0], v } };
	int64_t bucket;
	size_t n = hi - lo < NB ? hi - lo : NB;
	struct chart c = { "ch-lines", CHART_W, 200, bin_start(d, lo), 0, n, s, 1, 1, CHART_NUMBER,
	    "lines/s", 0 };

	memset(sum, 0, sizeof(sum));
	for (size_t i = 0; i < d->nt; i++)
		for (size_t k = lo; d->t[i].bins != NULL && k < hi; k++)
			sum[k] += d->t[i].bins[k];
	report_buckets(&d->tl, sum, lo, hi, NB, v, &bucket);
	per_second(v, n, bucket);
	c.step_ms = bucket;
	chart_panel(b, "Lines per second", &c);
}

/* ---- slow requests ------------------------------------------------------- */

static void
latency_chart(struct report *r, struct buf *b, size_t lo, size_t hi)
{
	struct digest *d = r->d;
	double p50[NB], p95[NB], p99[NB];
	struct chart_series s[3] = {
		{ "p50", status_colors[0], p50 }, { "p95", status_colors[2], p95 },
		{ "p99", status_colors[3], p99 },
	};
	size_t n = hi - lo < NB ? hi - lo : NB;
	struct chart c = { "ch-latency", CHART_W, 200, bin_start(d, lo), column_ms(d, lo, hi), n, s,
	    3, 0, CHART_US, "request time", 1 };

	report_latency_series(d, lo, hi, NB, 0.50, p50, NULL);
	report_latency_series(d, lo, hi, NB, 0.95, p95, NULL);
	report_latency_series(d, lo, hi, NB, 0.99, p99, NULL);
	chart_svg(b, &c);
}

static void
slow_row(struct buf *b, const struct digest *d, const struct latency *l, const char *label,
    double max_share)
{
	double all = (double)d->lat_all.sum_us;

	buf_puts(b, "<tr>");
	td_code(b, label, strlen(label));
	td_count(b, l->n);
	td_us(b, (double)l->sum_us);
	td_share(b, all > 0 ? (double)l->sum_us / all : 0, max_share);
	td_us(b, l->n ? (double)l->sum_us / (double)l->n : 0);
	td_us(b, latency_q(l, 0.50));
	td_us(b, latency_q(l, 0.95));
	td_us(b, latency_q(l, 0.99));
	td_us(b, (double)l->max_us);
	if (l->up_n > 0 && l->sum_us > 0) {
		char c[16];
		double share = (double)l->up_sum_us / (double)l->sum_us;

		snprintf(c, sizeof(c), "%.0f%%", 100 * share);
		td_num(b, share, c);
	} else {
		buf_puts(b, "<td class=\"n\" data-v=\"-1\">-</td>");
	}
	buf_puts(b, "</tr>");
}

/*
 * Where the time went: the templates by total time, and the slowest by p99
 * among those with REPORT_P99_MIN timed requests (added when they are not
 * among the first), in one table sorted by total time.
 */
static void
slow(struct report *r, struct buf *b, size_t lo, size_t hi)
{
	struct digest *d = r->d;
	static const struct col cols[] = {
		{ "template", 0 }, { "requests", 1 }, { "total time", 1 }, { "share of time", 1 },
		{ "mean", 1 }, { "p50", 1 }, { "p95", 1 }, { "p99", 1 }, { "max", 1 },
		{ "upstream", 1 },
	};
	size_t max = r->top < ROWS_MAX / 2 ? r->top : ROWS_MAX / 2, n, np;
	int ids[ROWS_MAX], p99[ROWS_MAX / 2];
	double top_share = 0;
	char note[256], c[32];

	if (d->lat_all.n == 0)
		return;
	n = report_slow(d, REPORT_BY_TOTAL, ids, max);
	np = report_slow(d, REPORT_BY_P99, p99, max < 10 ? max : 10);
	for (size_t i = 0; i < np; i++) {
		size_t k;

		for (k = 0; k < n && ids[k] != p99[i]; k++)
			;
		if (k == n)
			ids[n++] = p99[i];
	}
	for (size_t i = 0; i < n; i++)
		if ((double)d->t[ids[i]].lat->sum_us > top_share)
			top_share = (double)d->t[ids[i]].lat->sum_us;
	top_share = d->lat_all.sum_us ? top_share / (double)d->lat_all.sum_us : 0;
	report_fmt_count(d->lat_all.n, c, sizeof(c));
	buf_printf(b, "<section class=\"panel wide\" id=\"slow\"><h2>Slow requests</h2>"
	    "<p class=\"note\">%s requests with a time. Request time percentiles over time (a logarithmic scale):</p>", c);
	if (hi > lo)
		latency_chart(r, b, lo, hi);
	buf_puts(b, "</section>");
	snprintf(note, sizeof(note), "Templates by the total time their requests took (where the "
	    "time went), and the slowest by p99 among those with %d timed requests or more. Click a "
	    "header to sort; upstream is the share of the time spent waiting for the server behind.",
	    REPORT_P99_MIN);
	table_open(b, "t-slow", "Slow requests by template", note, cols,
	    sizeof(cols) / sizeof(cols[0]), n);
	for (size_t i = 0; i < n; i++) {
		const char *t = digest_template(d, ids[i]);

		slow_row(b, d, d->t[ids[i]].lat, t, top_share);
	}
	if (d->lat_other.n > 0)
		slow_row(b, d, &d->lat_other, "(templates past the histogram cap)", top_share);
	table_close(b);
}

/*
 * Which endpoints fail: the templates with 4xx or 5xx responses, the most
 * 5xx first, with the share of their own requests that failed.
 */
static void
errors(struct report *r, struct buf *b)
{
	struct digest *d = r->d;
	static const struct col cols[] = {
		{ "template", 0 }, { "requests", 1 }, { "5xx", 1 }, { "4xx", 1 },
		{ "error rate", 1 },
	};
	size_t max = r->top < ROWS_MAX ? r->top : ROWS_MAX;
	int ids[ROWS_MAX];
	size_t n = report_errors(d, ids, max);
	double rate[ROWS_MAX], top_rate = 0;

	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct digest_tmpl *t = &d->t[ids[i]];

		rate[i] = t->count ? (double)(t->e4 + t->e5) / (double)t->count : 0;
		if (rate[i] > top_rate)
			top_rate = rate[i];
	}
	table_open(b, "t-errors", "Errors by template", "Templates with 4xx or 5xx responses, "
	    "the most 5xx first; the error rate is the share of the template's own requests.",
	    cols, sizeof(cols) / sizeof(cols[0]), n);
	for (size_t i = 0; i < n; i++) {
		const struct digest_tmpl *t = &d->t[ids[i]];
		const char *s = digest_template(d, ids[i]);

		buf_puts(b, "<tr>");
		td_code(b, s, strlen(s));
		td_count(b, t->count);
		td_count(b, t->e5);
		td_count(b, t->e4);
		td_share(b, rate[i], top_rate);
		buf_puts(b, "</tr>");
	}
	table_close(b);
}

/* ---- the other panels ---------------------------------------------------- */

static void
periodic_row(struct buf *b, const struct period_result *p)
{
	char e[32];

	report_fmt_period(p->period_s, e, sizeof(e));
	buf_puts(b, "<tr>");
	td_num(b, p->period_s, e);
	buf_printf(b, "<td class=\"n\" data-v=\"%.3f\">± %.1f s</td>", p->spread_s, p->spread_s);
	td_count(b, p->runs);
	td_time(b, p->first_ms);
	td_time(b, p->last_ms);
}

static void
periodic(struct report *r, struct buf *b)
{
	static const struct col cols[] = {
		{ "every", 1 }, { "spread", 1 }, { "runs", 1 }, { "first run", 0 }, { "last run", 0 },
		{ "what", 0 },
	};
	struct digest *d = r->d;
	size_t pi[ROWS_MAX], np = report_periodic_pairs(d, pi, ROWS_MAX), nt = 0;

	for (size_t i = 0; i < d->norder; i++)
		nt += d->t[d->order[i]].period.periodic != 0;
	if (nt + np == 0)
		return;
	table_open(b, "t-periodic", "Periodic jobs", "Runs are the cycles of the period in which "
	    "the job was seen.", cols, sizeof(cols) / sizeof(cols[0]), nt + np);
	for (size_t i = 0; i < d->norder; i++) {
		const struct digest_tmpl *t = &d->t[d->order[i]];

		if (!t->period.periodic)
			continue;
		periodic_row(b, &t->period);
		buf_puts(b, "<td><code>");
		escs(b, digest_template(d, d->order[i]));
		buf_puts(b, "</code></td></tr>");
	}
	for (size_t i = 0; i < np; i++) {
		const struct digest_pair *q = &d->pairs[pi[i]];

		periodic_row(b, &q->period);
		buf_puts(b, "<td>client <code>");
		escs(b, q->client);
		buf_puts(b, "</code> → <code>");
		escs(b, digest_template(d, q->tid));
		buf_puts(b, "</code></td></tr>");
	}
	table_close(b);
}

static void
bursts(struct report *r, struct buf *b)
{
	static const struct col cols[] = {
		{ "from", 0 }, { "to", 0 }, { "peak", 1 }, { "events", 1 }, { "template", 0 },
	};
	struct report_burst list[32];
	size_t n = report_bursts(r->d, list, 20);

	if (n == 0)
		return;
	table_open(b, "t-bursts", "Bursts", NULL, cols, sizeof(cols) / sizeof(cols[0]), n);
	for (size_t i = 0; i < n; i++) {
		const char *t = report_burst_label(r->d, list[i].tid);

		buf_puts(b, "<tr>");
		td_time(b, list[i].b->start_ms);
		td_time(b, list[i].b->end_ms);
		td_count(b, list[i].b->peak);
		td_count(b, list[i].b->events);
		td_code(b, t, strlen(t));
		buf_puts(b, "</tr>");
	}
	table_close(b);
}

static void
templates(struct report *r, struct buf *b, size_t lo, size_t hi)
{
	static const struct col cols[] = {
		{ "count", 1 }, { "share", 1 }, { "over time", 0 }, { "template", 0 },
	};
	struct digest *d = r->d;
	size_t n = r->top < d->norder ? r->top : d->norder;
	double max = 0;

	if (n == 0)
		return;
	if (n > ROWS_MAX)
		n = ROWS_MAX;
	for (size_t i = 0; i < n; i++)
		if (d->mined && (double)d->t[d->order[i]].count / (double)d->mined > max)
			max = (double)d->t[d->order[i]].count / (double)d->mined;
	table_open(b, "t-templates", r->access ? "Requests (paths with ids masked)" : "Templates",
	    NULL, cols, sizeof(cols) / sizeof(cols[0]), n);
	for (size_t i = 0; i < n; i++) {
		int id = d->order[i];
		const struct digest_tmpl *t = &d->t[id];
		double v[60];

		buf_puts(b, "<tr>");
		td_count(b, t->count);
		td_share(b, d->mined ? (double)t->count / (double)d->mined : 0, max);
		buf_puts(b, "<td>");
		if (t->bins != NULL && hi > lo) {
			report_buckets(&d->tl, t->bins, lo, hi, 60, v, NULL);
			chart_spark(b, v, hi - lo < 60 ? hi - lo : 60, 160, 22, t->period.periodic ?
			    "#2e8b57" : t->nbursts ? "#c0392b" : "#4a7fb5");
		}
		buf_puts(b, "</td><td><code>");
		escs(b, digest_template(d, id));
		buf_puts(b, "</code>");
		if (t->period.periodic) {
			char p[32];

			report_fmt_period(t->period.period_s, p, sizeof(p));
			buf_printf(b, " <span class=\"tag p\">every %s</span>", p);
		}
		if (t->nbursts)
			buf_printf(b, " <span class=\"tag b\">%zu burst%s</span>", t->nbursts,
			    t->nbursts > 1 ? "s" : "");
		for (int k = 0; t->vars != NULL && k < t->vars->npos && i < 10; k++) {
			const struct digest_var *v2 = &t->vars->p[k];

			if (v2->n[0] == 0)
				continue;
			buf_printf(b, "<div class=\"var\">&lt;*&gt;#%d ", k + 1);
			if (v2->n[0] * 10 < t->vars->samples) {
				buf_puts(b, "takes many values, e.g. <code>");
				escs(b, v2->v[0]);
				buf_puts(b, "</code></div>");
				continue;
			}
			buf_puts(b, "= <code>");
			escs(b, v2->v[0]);
			buf_printf(b, "</code> in %.0f %% of lines</div>",
			    100.0 * v2->n[0] / t->vars->samples);
		}
		buf_puts(b, "</td></tr>");
	}
	table_close(b);
}

static void
access_tables(struct report *r, struct buf *b)
{
	struct digest *d = r->d;
	size_t max = r->top < ROWS_MAX ? r->top : ROWS_MAX, np, ns = 0;
	struct report_path paths[ROWS_MAX];
	const char *labels[ROWS_MAX];
	size_t lens[ROWS_MAX];
	uint64_t counts[ROWS_MAX];
	char st[ROWS_MAX][12];

	buf_puts(b, "<div class=\"grid\">");
	top_table(b, "t-clients", "Top clients", "client", &d->clients, max, d->requests);
	np = report_paths(r, paths, max);
	for (size_t i = 0; i < np; i++) {
		labels[i] = paths[i].path;
		lens[i] = paths[i].len;
		counts[i] = paths[i].count;
	}
	count_table(b, "t-paths", "Top paths", "path", labels, lens, counts, np, d->requests);
	for (int s = 0; s < 600 && ns < ROWS_MAX; s++)
		if (d->status[s] > 0) {
			snprintf(st[ns], sizeof(st[ns]), "%d", s);
			labels[ns] = st[ns];
			lens[ns] = strlen(st[ns]);
			counts[ns] = d->status[s];
			ns++;
		}
	count_table(b, "t-status", "Status codes", "status", labels, lens, counts, ns, d->requests);
	top_table(b, "t-methods", "Methods", "method", &d->methods, max, d->requests);
	buf_puts(b, "</div>");
	top_table(b, "t-agents", "User agents", "user agent", &d->uas, max, d->requests);
}

/* ---- the page ------------------------------------------------------------ */

static const char css[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1f2328;background:#f4f5f7}"
    "main{max-width:1280px;margin:0 auto;padding:1.2em 1.5em}"
    "h1{font-size:1.35em;margin:.2em 0}h2{font-size:1.05em;margin:0 0 .5em}"
    ".sub{color:#57606a;margin:0 0 1em}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;"
    "margin-bottom:14px}.card{background:#fff;border-radius:6px;padding:10px 14px;"
    "border-top:3px solid #4a90c4;box-shadow:0 1px 2px #0001}"
    ".card .k{color:#57606a;font-size:12px;text-transform:uppercase;letter-spacing:.03em}"
    ".card .v{font-size:1.6em;font-weight:600;font-variant-numeric:tabular-nums}"
    ".card .s{color:#57606a;font-size:12px}#card-errors{border-color:#d9534f}"
    "#card-p95{border-color:#e6a23c}"
    ".panel{background:#fff;border-radius:6px;padding:12px 14px;margin-bottom:14px;"
    "box-shadow:0 1px 2px #0001;overflow-x:auto}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:0 14px}"
    ".note{color:#57606a;font-size:12.5px;margin:-.2em 0 .6em}"
    "table{border-collapse:collapse;width:100%}td,th{padding:3px 8px;border-bottom:1px solid #eaeef2;"
    "text-align:left;vertical-align:top}th{font-size:12px;color:#57606a;cursor:pointer;"
    "user-select:none;white-space:nowrap}th:hover{color:#1f2328}"
    "th[aria-sort=descending]::after{content:' \\25BE'}th[aria-sort=ascending]::after{content:' \\25B4'}"
    ".n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "code{font-size:12.5px;word-break:break-all}td>code:only-child{display:inline-block;min-width:16em}"
    "span.bar{display:inline-block;width:90px;height:9px;margin-left:8px;background:#eaeef2;"
    "border-radius:2px;vertical-align:0}span.bar i{display:block;height:100%;"
    "background:#4a90c4;border-radius:2px}"
    ".tag{font-size:11px;padding:1px 5px;border-radius:3px;color:#fff}.p{background:#2e8b57}"
    ".b{background:#c0392b}.var{color:#57606a;font-size:12px}"
    ".head{display:flex;justify-content:space-between;align-items:baseline;gap:1em}"
    ".filter{padding:2px 6px;border:1px solid #d0d7de;border-radius:4px;font:inherit;"
    "font-size:12.5px;margin-bottom:.4em}"
    ".legend{font-size:12px;color:#57606a;margin-bottom:2px}.legend span{margin-right:14px}"
    ".legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px;"
    "vertical-align:-1px}"
    "svg.chart{width:100%;height:auto;display:block}.ax{font-size:10.5px;fill:#57606a}"
    ".grid line,line.grid{stroke:#eaeef2}line.base{stroke:#8c959f}line.tk{stroke:#8c959f}"
    "line.cur{stroke:#1f2328;stroke-dasharray:2 2}"
    ".tip{position:fixed;pointer-events:none;background:#1f2328e6;color:#fff;font-size:12px;"
    "padding:5px 8px;border-radius:4px;z-index:9}"
    "footer{color:#8c959f;font-size:12px;margin:1em 0}";

/*
 * The page's script: sorting, filtering, the charts' tooltips. No network,
 * no library; ES5 so that old browsers on a jump host read it too.
 */
static const char js[] =
    "(function(){"
    "function key(c){var v=c.getAttribute('data-v');"
    "return v===null?c.textContent.toLowerCase():parseFloat(v)}"
    "[].forEach.call(document.querySelectorAll('table.sort'),function(t){"
    "var hs=t.tHead.rows[0].cells;"
    "[].forEach.call(hs,function(h,i){h.tabIndex=0;"
    "function go(){var cur=h.getAttribute('aria-sort'),"
    "dir=cur?(cur==='ascending'?-1:1):(h.hasAttribute('data-num')?-1:1),"
    "rows=[].slice.call(t.tBodies[0].rows);"
    "rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]);"
    "return (x<y?-1:x>y?1:0)*dir});"
    "rows.forEach(function(r){t.tBodies[0].appendChild(r)});"
    "[].forEach.call(hs,function(o){o.removeAttribute('aria-sort')});"
    "h.setAttribute('aria-sort',dir>0?'ascending':'descending')}"
    "h.addEventListener('click',go);"
    "h.addEventListener('keydown',function(e){if(e.key==='Enter')go()})})});"
    "[].forEach.call(document.querySelectorAll('input.filter'),function(f){"
    "f.addEventListener('input',function(){var q=f.value.toLowerCase(),"
    "t=document.getElementById(f.getAttribute('data-for'));"
    "[].forEach.call(t.tBodies[0].rows,function(r){"
    "r.hidden=q!==''&&r.textContent.toLowerCase().indexOf(q)<0})})});"
    "var tip=document.createElement('div');tip.className='tip';tip.hidden=true;"
    "document.body.appendChild(tip);"
    "function fus(v){return v<1e3?Math.round(v)+' \\u00b5s':v<1e4?(v/1e3).toFixed(1)+' ms':"
    "v<1e6?Math.round(v/1e3)+' ms':v<1e8?(v/1e6).toFixed(2)+' s':(v/6e7).toFixed(1)+' min'}"
    "function fn(v){return v>=100?Math.round(v).toLocaleString():v>=10?v.toFixed(1):"
    "v.toFixed(2)}"
    "function p2(v){return (v<10?'0':'')+v}"
    "function ft(t){var d=new Date(t);return d.getFullYear()+'-'+p2(d.getMonth()+1)+'-'+"
    "p2(d.getDate())+' '+p2(d.getHours())+':'+p2(d.getMinutes())+':'+p2(d.getSeconds())}"
    "[].forEach.call(document.querySelectorAll('svg.chart'),function(s){"
    "var d=JSON.parse(s.getAttribute('data-v')),nm=JSON.parse(s.getAttribute('data-names')),"
    "t0=+s.getAttribute('data-t0'),dt=+s.getAttribute('data-dt'),x0=+s.getAttribute('data-x0'),"
    "pw=+s.getAttribute('data-pw'),us=s.getAttribute('data-unit')==='us',n=d[0].length,"
    "w=s.viewBox.baseVal.width,cur=s.querySelector('line.cur');"
    "s.addEventListener('mousemove',function(e){var r=s.getBoundingClientRect(),"
    "x=(e.clientX-r.left)*w/r.width,i=Math.floor((x-x0)/pw*n);"
    "if(i<0||i>=n){tip.hidden=true;cur.style.display='none';return}"
    "var h='<b>'+ft(t0+i*dt)+'</b> '+s.getAttribute('data-what');"
    "for(var j=0;j<nm.length;j++)h+='<br>'+nm[j]+': '+"
    "(d[j][i]===null?'-':us?fus(d[j][i]):fn(d[j][i]));"
    "tip.innerHTML=h;tip.hidden=false;tip.style.left=Math.min(e.clientX+12,"
    "innerWidth-tip.offsetWidth-4)+'px';tip.style.top=(e.clientY+12)+'px';"
    "var cx=x0+(i+.5)*pw/n;cur.setAttribute('x1',cx);cur.setAttribute('x2',cx);"
    "cur.style.display=''});"
    "s.addEventListener('mouseleave',function(){tip.hidden=true;cur.style.display='none'})})"
    "})();";

int
report_html(struct report *r, FILE *f, char *err)
{
	struct digest *d = r->d;
	struct buf b = BUF_INIT((size_t)256 << 20);
	char a[CLOCK_FMT_LEN], z[CLOCK_FMT_LEN];
	size_t lo, hi;
	int rc = 0;

	report_range(d, &lo, &hi);
	buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	    "<title>brace logs: ");
	escs(&b, r->ninputs > 0 ? r->paths[0] : "-");
	buf_printf(&b, "</title><style>%s</style></head><body><main><h1>brace logs: ", css);
	for (int i = 0; i < r->ninputs && i < 8; i++) {
		if (i > 0)
			buf_puts(&b, ", ");
		escs(&b, r->paths[i]);
	}
	if (r->ninputs > 8)
		buf_printf(&b, " and %d more", r->ninputs - 8);
	buf_printf(&b, "</h1><p class=\"sub\">format %s",
	    r->ninputs > 0 ? format_name(r->formats[0]) : "?");
	if (d->first_ts != TIMESTAMP_NONE) {
		clock_fmt_local(d->first_ts, a, sizeof(a));
		clock_fmt_local(d->last_ts, z, sizeof(z));
		buf_printf(&b, ", from %s to %s", a, z);
	}
	buf_puts(&b, "</p>");
	cards(r, &b);
	if (hi > lo) {
		if (r->access)
			requests_chart(r, &b, lo, hi);
		else
			lines_chart(r, &b, lo, hi);
	}
	slow(r, &b, lo, hi);
	if (r->access)
		errors(r, &b);
	periodic(r, &b);
	if (r->access)
		access_tables(r, &b);
	templates(r, &b, lo, hi);
	bursts(r, &b);
	buf_printf(&b, "<footer>brace logs %s · this page fetches nothing</footer></main>"
	    "<script>%s</script></body></html>\n", BRACE_VERSION, js);
	if (b.len == 0 || b.data[b.len - 1] != '\n') {
		err_set(err, "the page is larger than 256 MiB");
		rc = -1;
	} else if (fwrite(b.data, 1, b.len, f) != b.len) {
		err_set(err, "%s", strerror(errno));
		rc = -1;
	}
	buf_release(&b);
	return rc;
}
