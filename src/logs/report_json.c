/*
 * report_json.c - the --json report: one JSON object (see README for the
 * keys). Times are UTC ISO 8601, null when a template had no time stamp.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "logs/report.h"

#define JSON_MAX ((size_t)1 << 30)

static void
time_or_null(struct buf *b, int64_t ms)
{
	char ts[CLOCK_FMT_LEN];

	if (ms == TIMESTAMP_NONE) {
		buf_puts(b, "null");
		return;
	}
	clock_fmt_utc(ms, ts, sizeof(ts));
	json_str(b, ts);
}

static void
series(struct buf *b, const uint32_t *bins, size_t lo, size_t hi)
{
	buf_putc(b, '[');
	for (size_t i = lo; i < hi; i++) {
		if (i > lo)
			buf_putc(b, ',');
		json_int(b, bins[i]);
	}
	buf_putc(b, ']');
}

static void
variables(struct buf *b, const struct digest_tmpl *t)
{
	buf_putc(b, '[');
	for (int k = 0; t->vars != NULL && k < t->vars->npos; k++) {
		const struct digest_var *v = &t->vars->p[k];
		int first = 1;

		if (k > 0)
			buf_putc(b, ',');
		buf_puts(b, "{\"position\":");
		json_int(b, v->pos);
		buf_puts(b, ",\"values\":[");
		for (int i = 0; i < DIGEST_VAR_TOP && v->n[i] > 0; i++) {
			if (!first)
				buf_putc(b, ',');
			first = 0;
			buf_puts(b, "{\"value\":");
			json_str(b, v->v[i]);
			buf_puts(b, ",\"share\":");
			json_num(b, (double)v->n[i] / t->vars->samples);
			buf_putc(b, '}');
		}
		buf_puts(b, "]}");
	}
	buf_putc(b, ']');
}

static void
period_fields(struct buf *b, const struct period_result *p)
{
	buf_puts(b, ",\"period_s\":");
	if (p->periodic)
		json_num(b, (double)(int64_t)(p->period_s * 1000 + 0.5) / 1000);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"period_spread_s\":");
	if (p->periodic)
		json_num(b, (double)(int64_t)(p->spread_s * 1000 + 0.5) / 1000);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"period_runs\":");
	if (p->periodic)
		json_int(b, (int64_t)p->runs);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"period_first_run\":");
	time_or_null(b, p->periodic && p->first_ms > 0 ? p->first_ms : TIMESTAMP_NONE);
	buf_puts(b, ",\"period_last_run\":");
	time_or_null(b, p->periodic && p->last_ms > 0 ? p->last_ms : TIMESTAMP_NONE);
}

/* Seconds from microseconds, to the microsecond. */
static void
secs(struct buf *b, double us)
{
	json_num(b, (double)(int64_t)(us + 0.5) / 1e6);
}

/* The figures of one latency histogram (after an opening brace and a key). */
static void
latency_fields(struct buf *b, const struct latency *l, uint64_t all_us)
{
	buf_puts(b, ",\"count\":");
	json_int(b, (int64_t)l->n);
	buf_puts(b, ",\"total_s\":");
	secs(b, (double)l->sum_us);
	buf_puts(b, ",\"share\":");
	json_num(b, all_us ? (double)l->sum_us / (double)all_us : 0);
	buf_puts(b, ",\"mean_s\":");
	secs(b, l->n ? (double)l->sum_us / (double)l->n : 0);
	buf_puts(b, ",\"p50_s\":");
	secs(b, latency_q(l, 0.50));
	buf_puts(b, ",\"p95_s\":");
	secs(b, latency_q(l, 0.95));
	buf_puts(b, ",\"p99_s\":");
	secs(b, latency_q(l, 0.99));
	buf_puts(b, ",\"max_s\":");
	secs(b, (double)l->max_us);
	buf_puts(b, ",\"upstream_s\":");
	if (l->up_n > 0)
		secs(b, (double)l->up_sum_us);
	else
		buf_puts(b, "null");
}

static void
latency_list(struct report *r, struct buf *b, const char *key, int by)
{
	struct digest *d = r->d;
	size_t max = r->top ? r->top : d->nlat, n;
	int *ids = calloc(max ? max : 1, sizeof(*ids));

	buf_printf(b, ",\"%s\":[", key);
	n = ids != NULL ? report_slow(d, by, ids, max) : 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_puts(b, "{\"template_id\":");
		json_int(b, ids[i]);
		buf_puts(b, ",\"template\":");
		json_str(b, digest_template(d, ids[i]));
		latency_fields(b, d->t[ids[i]].lat, d->lat_all.sum_us);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
	free(ids);
}

/* A series of quantiles over time, null where no request had a time. */
static void
latency_series(struct buf *b, const struct digest *d, size_t lo, size_t hi, double q)
{
	double v[TIMELINE_BINS];

	report_latency_series(d, lo, hi, hi - lo, q, v, NULL);
	buf_putc(b, '[');
	for (size_t i = 0; i + lo < hi; i++) {
		if (i > 0)
			buf_putc(b, ',');
		if (isnan(v[i]))
			buf_puts(b, "null");
		else
			secs(b, v[i]);
	}
	buf_putc(b, ']');
}

/*
 * "latency": the request times (null when the inputs have none): all of
 * them, the templates by total time and by p99, the quantiles over time.
 */
static void
latency(struct report *r, struct buf *b)
{
	struct digest *d = r->d;
	size_t lo, hi;

	buf_puts(b, ",\"latency\":");
	if (d->lat_all.n == 0) {
		buf_puts(b, "null");
		return;
	}
	buf_puts(b, "{\"all\":{\"template\":null");
	latency_fields(b, &d->lat_all, d->lat_all.sum_us);
	buf_putc(b, '}');
	buf_puts(b, ",\"other_templates\":");
	if (d->lat_other.n > 0) {
		buf_puts(b, "{\"template\":null");
		latency_fields(b, &d->lat_other, d->lat_all.sum_us);
		buf_putc(b, '}');
	} else {
		buf_puts(b, "null");
	}
	latency_list(r, b, "by_total", REPORT_BY_TOTAL);
	latency_list(r, b, "by_p99", REPORT_BY_P99);
	report_latency_range(d, &lo, &hi);
	buf_puts(b, ",\"timeline\":{\"start\":");
	time_or_null(b, lo < hi ? d->tl.origin + (int64_t)lo * d->tl.width : TIMESTAMP_NONE);
	buf_puts(b, ",\"bin_s\":");
	json_num(b, (double)d->tl.width / 1000);
	buf_puts(b, ",\"p50_s\":");
	latency_series(b, d, lo, hi, 0.50);
	buf_puts(b, ",\"p95_s\":");
	latency_series(b, d, lo, hi, 0.95);
	buf_puts(b, ",\"p99_s\":");
	latency_series(b, d, lo, hi, 0.99);
	buf_puts(b, "}}");
}

static void
templates(struct report *r, struct buf *b)
{
	struct digest *d = r->d;
	size_t n = r->top ? (r->top < d->norder ? r->top : d->norder) : d->norder;

	buf_puts(b, "\"templates\":[");
	for (size_t i = 0; i < n; i++) {
		int id = d->order[i];
		const struct digest_tmpl *t = &d->t[id];

		if (i > 0)
			buf_putc(b, ',');
		buf_puts(b, "{\"id\":");
		json_int(b, id);
		buf_puts(b, ",\"template\":");
		json_str(b, digest_template(d, id));
		buf_puts(b, ",\"count\":");
		json_int(b, (int64_t)t->count);
		buf_puts(b, ",\"share\":");
		json_num(b, d->mined ? (double)t->count / d->mined : 0);
		period_fields(b, &t->period);
		buf_puts(b, ",\"first_seen\":");
		time_or_null(b, t->first);
		buf_puts(b, ",\"last_seen\":");
		time_or_null(b, t->last);
		buf_puts(b, ",\"bursts\":");
		json_int(b, (int64_t)t->nbursts);
		buf_puts(b, ",\"variables\":");
		variables(b, t);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

static void
bursts(struct report *r, struct buf *b)
{
	struct report_burst list[64];
	size_t n = report_bursts(r->d, list, r->top && r->top < 64 ? r->top : 64);

	buf_puts(b, ",\"bursts\":[");
	for (size_t i = 0; i < n; i++) {
		const struct burst *u = list[i].b;

		if (i > 0)
			buf_putc(b, ',');
		buf_puts(b, "{\"template_id\":");
		if (list[i].tid >= 0)
			json_int(b, list[i].tid);
		else
			buf_puts(b, "null");
		buf_puts(b, ",\"template\":");
		json_str(b, report_burst_label(r->d, list[i].tid));
		buf_puts(b, ",\"start\":");
		time_or_null(b, u->start_ms);
		buf_puts(b, ",\"end\":");
		time_or_null(b, u->end_ms);
		buf_puts(b, ",\"peak\":");
		time_or_null(b, u->peak_ms);
		buf_puts(b, ",\"peak_count\":");
		json_int(b, u->peak);
		buf_puts(b, ",\"events\":");
		json_int(b, (int64_t)u->events);
		buf_puts(b, ",\"baseline_per_bin\":");
		json_num(b, u->baseline);
		buf_puts(b, ",\"bin_s\":");
		json_num(b, (double)r->d->tl.width / 1000);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

static void
top_list(struct buf *b, const char *key, const char *field, const struct topk *k, size_t max)
{
	struct topk_item items[256];
	size_t n = topk_top(k, items, max < 256 ? max : 256);

	buf_printf(b, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_printf(b, "{\"%s\":", field);
		json_strn(b, items[i].s, items[i].len);
		buf_puts(b, ",\"count\":");
		json_int(b, (int64_t)items[i].count);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

/* The templates with 4xx or 5xx responses, the most 5xx first. */
static void
errors_by_template(struct buf *b, struct digest *d, size_t max)
{
	int ids[256];
	size_t n = report_errors(d, ids, max < 256 ? max : 256);

	buf_puts(b, ",\"errors_by_template\":[");
	for (size_t i = 0; i < n; i++) {
		const struct digest_tmpl *t = &d->t[ids[i]];

		buf_puts(b, i > 0 ? ",{\"template_id\":" : "{\"template_id\":");
		json_int(b, ids[i]);
		buf_puts(b, ",\"template\":");
		json_str(b, digest_template(d, ids[i]));
		buf_puts(b, ",\"count\":");
		json_int(b, (int64_t)t->count);
		buf_puts(b, ",\"status_4xx\":");
		json_int(b, (int64_t)t->e4);
		buf_puts(b, ",\"status_5xx\":");
		json_int(b, (int64_t)t->e5);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

static void
access_panels(struct report *r, struct buf *b)
{
	struct digest *d = r->d;
	size_t max = r->top ? r->top : 20, np, lo, hi, pi[64];
	struct report_path paths[256];
	uint64_t e4 = 0, e5 = 0;
	int first = 1;

	for (int s = 400; s < 500; s++)
		e4 += d->status[s];
	for (int s = 500; s < 600; s++)
		e5 += d->status[s];
	buf_puts(b, ",\"access\":{\"requests\":");
	json_int(b, (int64_t)d->requests);
	buf_puts(b, ",\"bytes\":");
	json_int(b, (int64_t)d->bytes_sent);
	buf_puts(b, ",\"errors\":{\"4xx\":");
	json_int(b, (int64_t)e4);
	buf_puts(b, ",\"5xx\":");
	json_int(b, (int64_t)e5);
	buf_putc(b, '}');
	top_list(b, "clients", "client", &d->clients, max);
	np = report_paths(r, paths, max < 256 ? max : 256);
	buf_puts(b, ",\"paths\":[");
	for (size_t i = 0; i < np; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_puts(b, "{\"path\":");
		json_strn(b, paths[i].path, paths[i].len);
		buf_puts(b, ",\"count\":");
		json_int(b, (int64_t)paths[i].count);
		buf_putc(b, '}');
	}
	buf_puts(b, "],\"status\":[");
	for (int s = 0; s < 600; s++) {
		if (d->status[s] == 0)
			continue;
		if (!first)
			buf_putc(b, ',');
		first = 0;
		buf_puts(b, "{\"status\":");
		json_int(b, s);
		buf_puts(b, ",\"count\":");
		json_int(b, (int64_t)d->status[s]);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
	top_list(b, "methods", "method", &d->methods, max);
	top_list(b, "user_agents", "user_agent", &d->uas, max);
	timeline_used(d->req_bins, &lo, &hi);
	buf_puts(b, ",\"timeline\":{\"start\":");
	time_or_null(b, lo < hi ? d->tl.origin + (int64_t)lo * d->tl.width : TIMESTAMP_NONE);
	buf_puts(b, ",\"bin_s\":");
	json_num(b, (double)d->tl.width / 1000);
	buf_puts(b, ",\"requests\":");
	series(b, d->req_bins, lo, hi);
	buf_puts(b, ",\"4xx\":");
	series(b, d->err4_bins, lo, hi);
	buf_puts(b, ",\"5xx\":");
	series(b, d->err5_bins, lo, hi);
	buf_puts(b, ",\"3xx\":");
	series(b, d->err3_bins, lo, hi);
	buf_puts(b, ",\"requests_per_s\":[");
	for (size_t i = lo; i < hi; i++) {
		if (i > lo)
			buf_putc(b, ',');
		json_num(b, (double)(int64_t)((double)d->req_bins[i] * 1000.0 / (double)d->tl.width *
		    1000 + 0.5) / 1000);
	}
	buf_puts(b, "]}");
	errors_by_template(b, d, max);
	np = report_periodic_pairs(d, pi, max < 64 ? max : 64);
	buf_puts(b, ",\"periodic_clients\":[");
	for (size_t i = 0; i < np; i++) {
		const struct digest_pair *p = &d->pairs[pi[i]];
		const char *t = digest_template(d, p->tid), *sp = strchr(t, ' ');

		if (i > 0)
			buf_putc(b, ',');
		buf_puts(b, "{\"client\":");
		json_str(b, p->client);
		buf_puts(b, ",\"request\":");
		json_str(b, t);
		buf_puts(b, ",\"path\":");
		json_str(b, sp ? sp + 1 : t);
		buf_puts(b, ",\"count\":");
		json_int(b, (int64_t)p->count);
		period_fields(b, &p->period);
		buf_putc(b, '}');
	}
	buf_puts(b, "]}");
}

int
report_json(struct report *r, FILE *f, char *err)
{
	struct digest *d = r->d;
	struct buf b = BUF_INIT(JSON_MAX);
	size_t np = 0;
	int rc = 0;

	buf_puts(&b, "{\"inputs\":[");
	for (int i = 0; i < r->ninputs; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		buf_puts(&b, "{\"path\":");
		json_str(&b, r->paths[i]);
		buf_puts(&b, ",\"format\":");
		json_str(&b, format_name(r->formats[i]));
		buf_putc(&b, '}');
	}
	buf_puts(&b, "],\"lines\":");
	json_int(&b, (int64_t)d->lines);
	buf_puts(&b, ",\"mined_lines\":");
	json_int(&b, (int64_t)d->mined);
	buf_puts(&b, ",\"cut_lines\":");
	json_int(&b, (int64_t)d->cut);
	buf_puts(&b, ",\"unparsed_lines\":");
	json_int(&b, (int64_t)d->unparsed);
	buf_puts(&b, ",\"overflow_lines\":");
	json_int(&b, (int64_t)digest_overflow_lines(d));
	buf_puts(&b, ",\"lines_without_time\":");
	json_int(&b, (int64_t)d->no_ts);
	buf_puts(&b, ",\"filtered_lines\":");
	json_int(&b, (int64_t)(d->filtered + d->grep_out));
	buf_puts(&b, ",\"template_count\":");
	json_int(&b, (int64_t)d->norder);
	buf_puts(&b, ",\"first_seen\":");
	time_or_null(&b, d->first_ts);
	buf_puts(&b, ",\"last_seen\":");
	time_or_null(&b, d->last_ts);
	buf_putc(&b, ',');
	templates(r, &b);
	buf_puts(&b, ",\"periodic\":[");
	for (size_t i = 0; i < d->norder; i++) {
		const struct digest_tmpl *t = &d->t[d->order[i]];

		if (!t->period.periodic)
			continue;
		if (np++ > 0)
			buf_putc(&b, ',');
		buf_puts(&b, "{\"template_id\":");
		json_int(&b, d->order[i]);
		buf_puts(&b, ",\"template\":");
		json_str(&b, digest_template(d, d->order[i]));
		buf_puts(&b, ",\"count\":");
		json_int(&b, (int64_t)t->count);
		period_fields(&b, &t->period);
		buf_putc(&b, '}');
	}
	buf_putc(&b, ']');
	bursts(r, &b);
	latency(r, &b);
	if (r->access)
		access_panels(r, &b);
	if (buf_puts(&b, "}\n") < 0) {
		err_set(err, "the JSON report is larger than 1 GiB");
		rc = -1;
	} else if (fwrite(b.data, 1, b.len, f) != b.len || fflush(f) != 0) {
		err_set(err, "cannot write the report: %s", strerror(errno));
		rc = -1;
	}
	buf_release(&b);
	return rc;
}
