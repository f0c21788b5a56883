/*
 * report_html.c - --html FILE: one self-contained page (inline CSS and SVG,
 * no scripts, nothing fetched) with the same panels as the terminal report
 * drawn as charts: lines over time, templates with their own small charts,
 * periodic jobs, bursts marked on their template's chart, and for access
 * logs requests per second with 4xx/5xx, and bar charts of the top tables.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "logs/report.h"

#define NB 120

static void
esc(struct buf *b, const char *s, size_t n)
{
	report_clean(b, s, n, SIZE_MAX, 1);
}

static void
escs(struct buf *b, const char *s)
{
	esc(b, s, strlen(s));
}

/* An area chart of n values, w x h pixels; extra series as lines. */
static void
chart(struct buf *b, const double *const *series, const char *const *colors, int ns, size_t n,
    int w, int h, int64_t start_ms, int64_t bucket_ms, int axis)
{
	double max = 0;

	for (int s = 0; s < ns; s++)
		for (size_t i = 0; i < n; i++)
			if (series[s][i] > max)
				max = series[s][i];
	if (max <= 0)
		max = 1;
	buf_printf(b, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">", w,
	    h + (axis ? 16 : 0), w, h + (axis ? 16 : 0));
	for (int s = 0; s < ns; s++) {
		buf_printf(b, "<path d=\"M0,%d", h);
		for (size_t i = 0; i < n; i++) {
			double x0 = (double)i * w / n, x1 = (double)(i + 1) * w / n;
			double y = h - series[s][i] / max * (h - 2);

			buf_printf(b, " L%.1f,%.1f L%.1f,%.1f", x0, y, x1, y);
		}
		buf_printf(b, " L%d,%d Z\" fill=\"%s\" fill-opacity=\"%s\" stroke=\"%s\"/>", w, h,
		    colors[s], s == 0 ? "0.35" : "0.6", colors[s]);
	}
	if (axis && n > 0) {
		char a[CLOCK_FMT_LEN], z[CLOCK_FMT_LEN];

		clock_fmt_local(start_ms, a, sizeof(a));
		clock_fmt_local(start_ms + bucket_ms * (int64_t)n, z, sizeof(z));
		buf_printf(b, "<text x=\"0\" y=\"%d\" class=\"ax\">%.16s</text>", h + 13, a);
		buf_printf(b, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%.16s</text>", w,
		    h + 13, z);
		buf_printf(b, "<text x=\"2\" y=\"10\" class=\"ax\">max %.3g</text>", max);
	}
	buf_puts(b, "</svg>");
}

static void
bars(struct buf *b, const char *title, const char *const *labels, const size_t *lens,
    const uint64_t *counts, size_t n)
{
	uint64_t max = 1;

	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (counts[i] > max)
			max = counts[i];
	buf_printf(b, "<section><h2>%s</h2><table class=\"bars\">", title);
	for (size_t i = 0; i < n; i++) {
		char c[32];

		report_fmt_count(counts[i], c, sizeof(c));
		buf_printf(b, "<tr><td class=\"n\">%s</td><td class=\"bar\"><svg width=\"200\" "
		    "height=\"12\"><rect width=\"%.1f\" height=\"12\" fill=\"#4a7fb5\"/></svg></td>"
		    "<td><code>", c, 200.0 * counts[i] / max);
		esc(b, labels[i], lens[i]);
		buf_puts(b, "</code></td></tr>");
	}
	buf_puts(b, "</table></section>");
}

static void
top_bars(struct buf *b, const char *title, const struct topk *k, size_t max)
{
	struct topk_item it[64];
	const char *labels[64];
	size_t lens[64], n = topk_top(k, it, max < 64 ? max : 64);
	uint64_t counts[64];

	for (size_t i = 0; i < n; i++) {
		labels[i] = it[i].s;
		lens[i] = it[i].len;
		counts[i] = it[i].count;
	}
	bars(b, title, labels, lens, counts, n);
}

static void
overview(struct report *r, struct buf *b, size_t lo, size_t hi)
{
	struct digest *d = r->d;
	double all[NB], *s[1] = { all };
	const char *col[1] = { "#4a7fb5" };
	uint32_t sum[TIMELINE_BINS];
	int64_t bucket;
	size_t n;

	if (hi <= lo)
		return;
	memset(sum, 0, sizeof(sum));
	for (size_t i = 0; i < d->nt; i++)
		for (size_t k = lo; d->t[i].bins != NULL && k < hi; k++)
			sum[k] += d->t[i].bins[k];
	n = hi - lo < NB ? hi - lo : NB;
	report_buckets(&d->tl, sum, lo, hi, NB, all, &bucket);
	buf_puts(b, "<section><h2>Lines over time</h2>");
	chart(b, (const double *const *)s, col, 1, n, 900, 120,
	    d->tl.origin + (int64_t)lo * d->tl.width, bucket, 1);
	buf_puts(b, "</section>");
}

static void
templates(struct report *r, struct buf *b, size_t lo, size_t hi)
{
	struct digest *d = r->d;
	size_t n = r->top < d->norder ? r->top : d->norder;

	buf_puts(b, "<section><h2>Templates</h2><table><tr><th>count</th><th>share</th>"
	    "<th>over time</th><th>template</th></tr>");
	for (size_t i = 0; i < n; i++) {
		int id = d->order[i];
		const struct digest_tmpl *t = &d->t[id];
		double v[NB], *s[1] = { v };
		const char *col[1] = { t->period.periodic ? "#2e8b57" : t->nbursts ? "#c0392b" :
		    "#4a7fb5" };
		char c[32];

		report_fmt_count(t->count, c, sizeof(c));
		buf_printf(b, "<tr><td class=\"n\">%s</td><td class=\"n\">%.1f%%</td><td>", c,
		    d->mined ? 100.0 * t->count / d->mined : 0);
		if (t->bins != NULL && hi > lo) {
			report_buckets(&d->tl, t->bins, lo, hi, 60, v, NULL);
			chart(b, (const double *const *)s, col, 1, hi - lo < 60 ? hi - lo : 60, 180, 24, 0,
			    0, 0);
		}
		buf_puts(b, "</td><td><code>");
		escs(b, digest_template(d, id));
		buf_puts(b, "</code>");
		if (t->period.periodic)
			buf_printf(b, " <span class=\"tag p\">every %.0f s</span>", t->period.period_s);
		if (t->nbursts)
			buf_printf(b, " <span class=\"tag b\">%zu burst%s</span>", t->nbursts,
			    t->nbursts > 1 ? "s" : "");
		for (int k = 0; t->vars != NULL && k < t->vars->npos && i < 10; k++) {
			const struct digest_var *v2 = &t->vars->p[k];

			if (v2->n[0] == 0)
				continue;
			if (v2->n[0] * 10 < t->vars->samples) {
				buf_printf(b, "<div class=\"var\">&lt;*&gt;#%d takes many values, e.g. <code>",
				    k + 1);
				escs(b, v2->v[0]);
				buf_puts(b, "</code></div>");
				continue;
			}
			buf_printf(b, "<div class=\"var\">&lt;*&gt;#%d = <code>", k + 1);
			escs(b, v2->v[0]);
			buf_printf(b, "</code> in %.0f %% of lines</div>",
			    100.0 * v2->n[0] / t->vars->samples);
		}
		buf_puts(b, "</td></tr>");
	}
	buf_puts(b, "</table></section>");
}

static void
periodic(struct report *r, struct buf *b)
{
	struct digest *d = r->d;
	size_t shown = 0, pi[64], np;

	for (size_t i = 0; i < d->norder; i++) {
		const struct digest_tmpl *t = &d->t[d->order[i]];
		char p[32];

		if (!t->period.periodic)
			continue;
		if (shown++ == 0)
			buf_puts(b, "<section><h2>Periodic jobs</h2><table><tr><th>every</th><th>spread</th>"
			    "<th>runs</th><th>what</th></tr>");
		report_fmt_period(t->period.period_s, p, sizeof(p));
		buf_printf(b, "<tr><td>%s</td><td>± %.1f s</td><td class=\"n\">%llu</td><td><code>", p,
		    t->period.spread_s, (unsigned long long)t->period.runs);
		escs(b, digest_template(d, d->order[i]));
		buf_puts(b, "</code></td></tr>");
	}
	np = report_periodic_pairs(d, pi, 64);
	for (size_t i = 0; i < np; i++) {
		const struct digest_pair *q = &d->pairs[pi[i]];
		char p[32];

		if (shown++ == 0)
			buf_puts(b, "<section><h2>Periodic jobs</h2><table><tr><th>every</th><th>spread</th>"
			    "<th>runs</th><th>what</th></tr>");
		report_fmt_period(q->period.period_s, p, sizeof(p));
		buf_printf(b, "<tr><td>%s</td><td>± %.1f s</td><td class=\"n\">%llu</td><td>client "
		    "<code>", p, q->period.spread_s, (unsigned long long)q->period.runs);
		escs(b, q->client);
		buf_puts(b, "</code> → <code>");
		escs(b, digest_template(d, q->tid));
		buf_puts(b, "</code></td></tr>");
	}
	if (shown)
		buf_puts(b, "</table></section>");
}

static void
bursts(struct report *r, struct buf *b)
{
	struct report_burst list[32];
	size_t n = report_bursts(r->d, list, 20);

	if (n == 0)
		return;
	buf_puts(b, "<section><h2>Bursts</h2><table><tr><th>from</th><th>to</th><th>peak</th>"
	    "<th>events</th><th>template</th></tr>");
	for (size_t i = 0; i < n; i++) {
		char a[CLOCK_FMT_LEN], z[CLOCK_FMT_LEN];

		clock_fmt_local(list[i].b->start_ms, a, sizeof(a));
		clock_fmt_local(list[i].b->end_ms, z, sizeof(z));
		buf_printf(b, "<tr><td>%.19s</td><td>%.19s</td><td class=\"n\">%u</td>"
		    "<td class=\"n\">%llu</td><td><code>", a, z, list[i].b->peak,
		    (unsigned long long)list[i].b->events);
		escs(b, report_burst_label(r->d, list[i].tid));
		buf_puts(b, "</code></td></tr>");
	}
	buf_puts(b, "</table></section>");
}

static void
access_panels(struct report *r, struct buf *b)
{
	struct digest *d = r->d;
	size_t lo, hi, np;
	struct report_path paths[64];
	const char *labels[64];
	size_t lens[64];
	uint64_t counts[64];
	char st[64][16];
	size_t ns = 0;

	timeline_used(d->req_bins, &lo, &hi);
	if (hi > lo) {
		double v0[NB], v4[NB], v5[NB], *s[3] = { v0, v4, v5 };
		const char *col[3] = { "#4a7fb5", "#e67e22", "#c0392b" };
		int64_t bucket;
		size_t n = hi - lo < NB ? hi - lo : NB;

		report_buckets(&d->tl, d->req_bins, lo, hi, NB, v0, &bucket);
		report_buckets(&d->tl, d->err4_bins, lo, hi, NB, v4, NULL);
		report_buckets(&d->tl, d->err5_bins, lo, hi, NB, v5, NULL);
		for (size_t i = 0; i < n; i++) {
			v0[i] = v0[i] * 1000.0 / (double)bucket;
			v4[i] = v4[i] * 1000.0 / (double)bucket;
			v5[i] = v5[i] * 1000.0 / (double)bucket;
		}
		buf_puts(b, "<section><h2>Requests per second <span class=\"k4\">4xx</span> "
		    "<span class=\"k5\">5xx</span></h2>");
		chart(b, (const double *const *)s, col, 3, n, 900, 140,
		    d->tl.origin + (int64_t)lo * d->tl.width, bucket, 1);
		buf_puts(b, "</section>");
	}
	buf_puts(b, "<div class=\"grid\">");
	top_bars(b, "Top clients", &d->clients, r->top);
	np = report_paths(r, paths, r->top < 64 ? r->top : 64);
	for (size_t i = 0; i < np; i++) {
		labels[i] = paths[i].path;
		lens[i] = paths[i].len;
		counts[i] = paths[i].count;
	}
	bars(b, "Top paths", labels, lens, counts, np);
	for (int s2 = 0; s2 < 600 && ns < 64; s2++)
		if (d->status[s2] > 0) {
			snprintf(st[ns], sizeof(st[ns]), "%d", s2);
			labels[ns] = st[ns];
			lens[ns] = strlen(st[ns]);
			counts[ns] = d->status[s2];
			ns++;
		}
	bars(b, "Status codes", labels, lens, counts, ns);
	top_bars(b, "Methods", &d->methods, r->top);
	top_bars(b, "User agents", &d->uas, r->top);
	buf_puts(b, "</div>");
}

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;background:#fafafa}"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin:1.2em 0 .4em}"
    "table{border-collapse:collapse;background:#fff}td,th{padding:3px 8px;"
    "border-bottom:1px solid #eee;text-align:left;vertical-align:top}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:13px}"
    ".tag{font-size:11px;padding:1px 5px;border-radius:3px;color:#fff}.p{background:#2e8b57}"
    ".b{background:#c0392b}.var{color:#555;font-size:12px}.ax{font-size:10px;fill:#666}"
    ".grid{display:flex;flex-wrap:wrap;gap:2em}.k4{color:#e67e22}.k5{color:#c0392b}"
    "section{margin-bottom:1.5em}";

int
report_html(struct report *r, FILE *f, char *err)
{
	struct digest *d = r->d;
	struct buf b = BUF_INIT((size_t)256 << 20);
	char a[CLOCK_FMT_LEN], z[CLOCK_FMT_LEN], n1[32], n2[32];
	size_t lo, hi;
	int rc = 0;

	report_range(d, &lo, &hi);
	buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>brace logs</title><style>%s</style></head><body><h1>brace logs: ", css);
	for (int i = 0; i < r->ninputs && i < 8; i++) {
		if (i > 0)
			buf_puts(&b, ", ");
		escs(&b, r->paths[i]);
	}
	report_fmt_count(d->lines, n1, sizeof(n1));
	report_fmt_count(d->norder, n2, sizeof(n2));
	buf_printf(&b, "</h1><p>%s lines, %s templates, format %s", n1, n2,
	    r->ninputs > 0 ? format_name(r->formats[0]) : "?");
	if (d->first_ts != TIMESTAMP_NONE) {
		clock_fmt_local(d->first_ts, a, sizeof(a));
		clock_fmt_local(d->last_ts, z, sizeof(z));
		buf_printf(&b, ", from %s to %s", a, z);
	}
	buf_printf(&b, ". %llu lines cut, %llu not in the expected format.</p>",
	    (unsigned long long)d->cut, (unsigned long long)d->unparsed);
	overview(r, &b, lo, hi);
	periodic(r, &b);
	if (r->access)
		access_panels(r, &b);
	templates(r, &b, lo, hi);
	bursts(r, &b);
	if (buf_puts(&b, "</body></html>\n") < 0) {
		err_set(err, "the page is larger than 256 MiB");
		rc = -1;
	} else if (fwrite(b.data, 1, b.len, f) != b.len) {
		err_set(err, "%s", strerror(errno));
		rc = -1;
	}
	buf_release(&b);
	return rc;
}
