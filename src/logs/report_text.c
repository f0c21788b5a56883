/*
 * report_text.c - the terminal report: a summary line, then tables with
 * sparklines (templates, periodic jobs, bursts, access panels). Local time
 * for people; colour only when asked for (a terminal by default).
 */
#include <errno.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/term.h"
#include "logs/report.h"

#define SPARK 24

struct out {
	struct buf b;
	int color;
};

static void
hl(struct out *o, const char *s)
{
	term_paint(&o->b, o->color, TERM_BOLD, s);
	buf_putc(&o->b, '\n');
}

/* Counts over time, scaled to their own peak; an empty bucket is blank. */
static void
sparkline(struct out *o, const double *v, size_t n)
{
	static const struct term_spark opt = { .blank_zero = 1 };

	term_sparkline(&o->b, v, n, &opt);
}

static void
spark(struct out *o, const struct digest *d, const uint32_t *bins, size_t lo, size_t hi)
{
	double v[SPARK];

	if (bins == NULL || hi <= lo) {
		buf_printf(&o->b, "%*s", SPARK, "");
		return;
	}
	report_buckets(&d->tl, bins, lo, hi, SPARK, v, NULL);
	if (hi - lo < SPARK) {
		sparkline(o, v, hi - lo);
		buf_printf(&o->b, "%*s", (int)(SPARK - (hi - lo)), "");
	} else {
		sparkline(o, v, SPARK);
	}
}

/* Print log text cut to width characters, made safe for a terminal. */
static void
cell(struct out *o, const char *s, size_t len, size_t width)
{
	report_clean(&o->b, s, len, width, 0);
}

static void
summary(struct report *r, struct out *o)
{
	struct digest *d = r->d;
	char a[CLOCK_FMT_LEN], z[CLOCK_FMT_LEN], n1[32], n2[32];

	report_fmt_count(d->lines, n1, sizeof(n1));
	report_fmt_count(d->norder, n2, sizeof(n2));
	buf_printf(&o->b, "%s line%s, %s template%s", n1, d->lines == 1 ? "" : "s",
	    n2, d->norder == 1 ? "" : "s");
	for (int i = 0; i < r->ninputs && i < 4; i++) {
		buf_puts(&o->b, i ? ", " : " from ");
		cell(o, r->paths[i], strlen(r->paths[i]), 200);
		buf_printf(&o->b, " (%s)", format_name(r->formats[i]));
	}
	if (r->ninputs > 4)
		buf_printf(&o->b, " and %d more", r->ninputs - 4);
	buf_putc(&o->b, '\n');
	if (d->first_ts != TIMESTAMP_NONE) {
		clock_fmt_local(d->first_ts, a, sizeof(a));
		clock_fmt_local(d->last_ts, z, sizeof(z));
		buf_printf(&o->b, "from %s to %s\n", a, z);
	}
	if (d->cut || d->unparsed || d->no_ts || d->filtered || d->grep_out)
		buf_printf(&o->b, "(%llu cut, %llu not in the expected format, %llu without a time, "
		    "%llu filtered out)\n", (unsigned long long)d->cut, (unsigned long long)d->unparsed,
		    (unsigned long long)d->no_ts, (unsigned long long)(d->filtered + d->grep_out));
	if (digest_overflow_lines(d) > 0)
		buf_printf(&o->b, "(%llu lines fell into the overflow template: more templates than "
		    "--max-templates)\n", (unsigned long long)digest_overflow_lines(d));
	buf_putc(&o->b, '\n');
}

static void
templates(struct report *r, struct out *o, size_t lo, size_t hi)
{
	struct digest *d = r->d;
	size_t n = r->top < d->norder ? r->top : d->norder;

	hl(o, r->access ? "Requests (paths with ids masked)" : "Templates");
	buf_printf(&o->b, "%10s %6s  %-*s  %s\n", "count", "share", SPARK, "over time", "template");
	for (size_t i = 0; i < n; i++) {
		int id = d->order[i];
		const struct digest_tmpl *t = &d->t[id];
		const char *s = digest_template(d, id);
		char c[32];

		report_fmt_count(t->count, c, sizeof(c));
		buf_printf(&o->b, "%10s %5.1f%%  ", c, d->mined ? 100.0 * t->count / d->mined : 0);
		spark(o, d, t->bins, lo, hi);
		buf_puts(&o->b, "  ");
		cell(o, s, strlen(s), 100);
		buf_putc(&o->b, '\n');
		for (int k = 0; t->vars != NULL && k < t->vars->npos && i < 5; k++) {
			const struct digest_var *v = &t->vars->p[k];

			if (v->n[0] == 0)
				continue;
			buf_printf(&o->b, "%10s %6s  %*s  <*>#%d ", "", "", SPARK, "", k + 1);
			if (v->n[0] * 10 < t->vars->samples) {
				/* no value stands out: say so, with an example */
				buf_puts(&o->b, "takes many values, e.g. ");
				cell(o, v->v[0], strlen(v->v[0]), 40);
			} else {
				buf_puts(&o->b, "= ");
				cell(o, v->v[0], strlen(v->v[0]), 40);
				buf_printf(&o->b, " in %.0f %% of lines", 100.0 * v->n[0] / t->vars->samples);
				if (v->n[1] * 10 >= t->vars->samples) {
					buf_puts(&o->b, ", ");
					cell(o, v->v[1], strlen(v->v[1]), 40);
					buf_printf(&o->b, " %.0f %%", 100.0 * v->n[1] / t->vars->samples);
				}
			}
			buf_putc(&o->b, '\n');
		}
	}
	if (d->norder > n)
		buf_printf(&o->b, "(%zu more; --top N shows more)\n", d->norder - n);
	buf_putc(&o->b, '\n');
}

/* ", 07:20 to 08:15": the first and the last run, local time, the date when it differs. */
static void
runs_span(struct out *o, const struct period_result *p)
{
	char a[CLOCK_FMT_LEN], z[CLOCK_FMT_LEN];

	if (p->first_ms <= 0 || p->last_ms <= 0)
		return;
	clock_fmt_local(p->first_ms, a, sizeof(a));
	clock_fmt_local(p->last_ms, z, sizeof(z));
	if (memcmp(a, z, 10) == 0)
		buf_printf(&o->b, ", %.5s to %.5s", a + 11, z + 11);
	else
		buf_printf(&o->b, ", %.16s to %.16s", a, z);
}

static void
periodic(struct report *r, struct out *o)
{
	struct digest *d = r->d;
	size_t shown = 0, np, pi[64];

	for (size_t i = 0; i < d->norder && shown < r->top; i++) {
		const struct digest_tmpl *t = &d->t[d->order[i]];
		const char *s;
		char p[32], c[32];

		if (!t->period.periodic)
			continue;
		if (shown++ == 0)
			hl(o, "Periodic");
		s = digest_template(d, d->order[i]);
		report_fmt_period(t->period.period_s, p, sizeof(p));
		report_fmt_count(t->period.runs, c, sizeof(c));
		buf_printf(&o->b, "  every %s ± %.1f s, %s times", p, t->period.spread_s, c);
		runs_span(o, &t->period);
		buf_puts(&o->b, "  ");
		cell(o, s, strlen(s), 90);
		buf_putc(&o->b, '\n');
	}
	np = report_periodic_pairs(d, pi, r->top < 64 ? r->top : 64);
	for (size_t i = 0; i < np; i++) {
		const struct digest_pair *q = &d->pairs[pi[i]];
		const char *s = digest_template(d, q->tid);
		char p[32], c[32];

		if (shown++ == 0)
			hl(o, "Periodic");
		report_fmt_period(q->period.period_s, p, sizeof(p));
		report_fmt_count(q->period.runs, c, sizeof(c));
		buf_printf(&o->b, "  every %s ± %.1f s, %s times", p, q->period.spread_s, c);
		runs_span(o, &q->period);
		buf_puts(&o->b, "  client ");
		cell(o, q->client, strlen(q->client), 40);
		buf_puts(&o->b, "  ");
		cell(o, s, strlen(s), 80);
		buf_putc(&o->b, '\n');
	}
	if (shown)
		buf_putc(&o->b, '\n');
}

static void
bursts(struct report *r, struct out *o)
{
	struct report_burst list[32];
	size_t n = report_bursts(r->d, list, r->top < 10 ? r->top : 10);

	if (n == 0)
		return;
	hl(o, "Bursts");
	for (size_t i = 0; i < n; i++) {
		char a[CLOCK_FMT_LEN], z[CLOCK_FMT_LEN], pk[CLOCK_FMT_LEN];
		const char *s = report_burst_label(r->d, list[i].tid);

		clock_fmt_local(list[i].b->start_ms, a, sizeof(a));
		clock_fmt_local(list[i].b->end_ms, z, sizeof(z));
		clock_fmt_local(list[i].b->peak_ms, pk, sizeof(pk));
		buf_printf(&o->b, "  %.19s to %.8s  peak %u at %.8s (baseline %.1f)  ", a, z + 11,
		    list[i].b->peak, pk + 11, list[i].b->baseline);
		cell(o, s, strlen(s), 70);
		buf_putc(&o->b, '\n');
	}
	buf_putc(&o->b, '\n');
}

static void
slow_row(struct out *o, struct digest *d, const struct latency *l, const char *label)
{
	char tot[24], mean[24], p95[24], p99[24], max[24], c[32];

	report_fmt_us((double)l->sum_us, tot, sizeof(tot));
	report_fmt_us((double)l->sum_us / (double)l->n, mean, sizeof(mean));
	report_fmt_us(latency_q(l, 0.95), p95, sizeof(p95));
	report_fmt_us(latency_q(l, 0.99), p99, sizeof(p99));
	report_fmt_us((double)l->max_us, max, sizeof(max));
	report_fmt_count(l->n, c, sizeof(c));
	buf_printf(&o->b, "%10s %5.1f%% %9s %9s %9s %9s %9s  ", tot,
	    d->lat_all.sum_us ? 100.0 * (double)l->sum_us / (double)d->lat_all.sum_us : 0, c, mean,
	    p95, p99, max);
	if (l->up_n > 0 && l->sum_us > 0)
		buf_printf(&o->b, "%7.0f%%  ", 100.0 * (double)l->up_sum_us / (double)l->sum_us);
	else
		buf_printf(&o->b, "%8s  ", "-");
	cell(o, label, strlen(label), 80);
	buf_putc(&o->b, '\n');
}

/*
 * Slow requests: where the time went (templates by total time) and what
 * is slow for its callers (by p99), with the 95th percentile over time.
 */
static void
slow(struct report *r, struct out *o)
{
	struct digest *d = r->d;
	const struct latency *all = &d->lat_all;
	size_t max = r->top < 64 ? r->top : 64, n, lo, hi;
	int ids[64];
	char c[32], p50[24], p95[24], p99[24], mx[24];
	double v[60];

	if (all->n == 0)
		return;
	report_fmt_count(all->n, c, sizeof(c));
	report_fmt_us(latency_q(all, 0.50), p50, sizeof(p50));
	report_fmt_us(latency_q(all, 0.95), p95, sizeof(p95));
	report_fmt_us(latency_q(all, 0.99), p99, sizeof(p99));
	report_fmt_us((double)all->max_us, mx, sizeof(mx));
	hl(o, "Slow requests");
	buf_printf(&o->b, "  %s requests with a time: p50 %s, p95 %s, p99 %s, max %s\n", c, p50, p95,
	    p99, mx);
	report_latency_range(d, &lo, &hi);
	if (hi > lo) {
		double peak = 0;

		n = hi - lo < 60 ? hi - lo : 60;
		report_latency_series(d, lo, hi, 60, 0.95, v, NULL);
		for (size_t i = 0; i < n; i++)
			if (v[i] > peak)
				peak = v[i];
		report_fmt_us(peak, p95, sizeof(p95));
		buf_puts(&o->b, "  p95 over time ");
		sparkline(o, v, n);
		buf_printf(&o->b, "  (peak %s)\n", p95);
	}
	for (int by = REPORT_BY_TOTAL; by <= REPORT_BY_P99; by++) {
		n = report_slow(d, by, ids, by == REPORT_BY_TOTAL ? max : (max < 5 ? max : 5));
		if (n == 0)
			continue;
		if (by == REPORT_BY_TOTAL)
			buf_puts(&o->b, "  by total time\n");
		else
			buf_printf(&o->b, "  by p99 (templates with %d timed requests or more)\n",
			    REPORT_P99_MIN);
		buf_printf(&o->b, "%10s %6s %9s %9s %9s %9s %9s %9s  %s\n", "total", "share", "requests",
		    "mean", "p95", "p99", "max", "upstream", "template");
		for (size_t i = 0; i < n; i++)
			slow_row(o, d, d->t[ids[i]].lat, digest_template(d, ids[i]));
		if (by == REPORT_BY_TOTAL && d->lat_other.n > 0)
			slow_row(o, d, &d->lat_other, "(templates past the histogram cap)");
	}
	buf_putc(&o->b, '\n');
}

/* Which endpoints fail: templates with 4xx or 5xx responses, the most 5xx first. */
static void
errors(struct report *r, struct out *o)
{
	struct digest *d = r->d;
	size_t max = r->top < 64 ? r->top : 64;
	int ids[64];
	size_t n = report_errors(d, ids, max);

	if (n == 0)
		return;
	hl(o, "Errors by template");
	buf_printf(&o->b, "%10s %10s %10s %6s  %s\n", "5xx", "4xx", "requests", "rate", "template");
	for (size_t i = 0; i < n; i++) {
		const struct digest_tmpl *t = &d->t[ids[i]];
		const char *s = digest_template(d, ids[i]);
		char c5[32], c4[32], c[32];

		report_fmt_count(t->e5, c5, sizeof(c5));
		report_fmt_count(t->e4, c4, sizeof(c4));
		report_fmt_count(t->count, c, sizeof(c));
		buf_printf(&o->b, "%10s %10s %10s %5.1f%%  ", c5, c4, c,
		    t->count ? 100.0 * (double)(t->e4 + t->e5) / (double)t->count : 0);
		cell(o, s, strlen(s), 80);
		buf_putc(&o->b, '\n');
	}
	buf_putc(&o->b, '\n');
}

static void
top_table(struct out *o, const char *title, const struct topk *k, size_t max, uint64_t total)
{
	struct topk_item items[64];
	size_t n = topk_top(k, items, max < 64 ? max : 64);

	if (n == 0)
		return;
	hl(o, title);
	for (size_t i = 0; i < n; i++) {
		char c[32];

		report_fmt_count(items[i].count, c, sizeof(c));
		buf_printf(&o->b, "%10s %5.1f%%  ", c, total ? 100.0 * items[i].count / total : 0);
		cell(o, items[i].s, items[i].len, 100);
		buf_putc(&o->b, '\n');
	}
	buf_putc(&o->b, '\n');
}

static void
access_panels(struct report *r, struct out *o)
{
	struct digest *d = r->d;
	struct report_path paths[64];
	size_t np = report_paths(r, paths, r->top < 64 ? r->top : 64), lo, hi;
	uint64_t e4 = 0, e5 = 0;
	char c4[32], c5[32];
	double v[60];
	int64_t bucket;

	for (int s = 400; s < 500; s++)
		e4 += d->status[s];
	for (int s = 500; s < 600; s++)
		e5 += d->status[s];
	report_fmt_count(e4, c4, sizeof(c4));
	report_fmt_count(e5, c5, sizeof(c5));
	timeline_used(d->req_bins, &lo, &hi);
	hl(o, "Traffic");
	if (hi > lo) {
		double peak = 0;

		report_buckets(&d->tl, d->req_bins, lo, hi, 60, v, &bucket);
		for (size_t i = 0; i < 60; i++)
			if (v[i] > peak)
				peak = v[i];
		buf_puts(&o->b, "  requests ");
		sparkline(o, v, hi - lo < 60 ? hi - lo : 60);
		buf_printf(&o->b, "  (peak %.1f req/s)\n", bucket > 0 ? peak * 1000.0 / bucket : 0);
		report_buckets(&d->tl, d->err4_bins, lo, hi, 60, v, NULL);
		buf_puts(&o->b, "  4xx      ");
		sparkline(o, v, hi - lo < 60 ? hi - lo : 60);
		buf_printf(&o->b, "  %s\n", c4);
		report_buckets(&d->tl, d->err5_bins, lo, hi, 60, v, NULL);
		buf_puts(&o->b, "  5xx      ");
		sparkline(o, v, hi - lo < 60 ? hi - lo : 60);
		buf_printf(&o->b, "  %s\n", c5);
	}
	buf_putc(&o->b, '\n');
	top_table(o, "Top clients", &d->clients, r->top, d->requests);
	if (np > 0) {
		hl(o, "Top paths");
		for (size_t i = 0; i < np; i++) {
			char c[32];

			report_fmt_count(paths[i].count, c, sizeof(c));
			buf_printf(&o->b, "%10s %5.1f%%  ", c, d->requests ? 100.0 * paths[i].count /
			    d->requests : 0);
			cell(o, paths[i].path, paths[i].len, 100);
			buf_putc(&o->b, '\n');
		}
		buf_putc(&o->b, '\n');
	}
	hl(o, "Status codes");
	for (int s = 0; s < 600; s++)
		if (d->status[s] > 0) {
			char c[32];

			report_fmt_count(d->status[s], c, sizeof(c));
			buf_printf(&o->b, "%10s %5.1f%%  %d\n", c,
			    100.0 * d->status[s] / (d->requests ? d->requests : 1), s);
		}
	buf_putc(&o->b, '\n');
	top_table(o, "Methods", &d->methods, r->top, d->requests);
	top_table(o, "User agents", &d->uas, r->top, d->requests);
}

int
report_text(struct report *r, FILE *f, char *err)
{
	struct out o = { BUF_INIT((size_t)64 << 20), r->color };
	size_t lo, hi;
	int rc = 0;

	report_range(r->d, &lo, &hi);
	summary(r, &o);
	if (r->d->lines == 0)
		buf_puts(&o.b, "(no input lines)\n");
	else
		templates(r, &o, lo, hi);
	periodic(r, &o);
	bursts(r, &o);
	slow(r, &o);
	if (r->access) {
		errors(r, &o);
		access_panels(r, &o);
	}
	if (fwrite(o.b.data ? o.b.data : "", 1, o.b.len, f) != o.b.len) {
		err_set(err, "cannot write the report: %s", strerror(errno));
		rc = -1;
	}
	buf_release(&o.b);
	return rc;
}
