/*
 * pm_report_json.c - the postmortem as one JSON object, for other tools:
 * the window, the inputs and what was left out, the moments, the impact,
 * the episodes, the timeline and the trigger candidates. Times are UTC
 * ISO 8601 with ts_ms beside them; unknown moments are null.
 */
#include <stdio.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "postmortem/pm_report.h"

static void
time_field(struct buf *b, int *first, const char *key, int64_t ms)
{
	char t[CLOCK_FMT_LEN];

	json_key(b, first, key);
	if (ms == 0) {
		buf_puts(b, "null");
		return;
	}
	clock_fmt_utc(ms, t, sizeof(t));
	json_str(b, t);
}

static void
num(struct buf *b, int *first, const char *key, double v)
{
	json_key(b, first, key);
	json_num(b, v);
}

static void
str(struct buf *b, int *first, const char *key, const char *v)
{
	json_key(b, first, key);
	json_str(b, v);
}

static void
moments(struct buf *b, int *first, const struct pm_night *n)
{
	int f = 1;

	json_key(b, first, "moments");
	buf_putc(b, '{');
	time_field(b, &f, "began", n->began);
	str(b, &f, "began_why", n->began_why);
	time_field(b, &f, "detected", n->detected);
	str(b, &f, "detected_why", n->detected_why);
	time_field(b, &f, "mitigated", n->mitigated);
	str(b, &f, "mitigated_why", n->mitigated_why);
	time_field(b, &f, "resolved", n->resolved);
	str(b, &f, "resolved_why", n->resolved_why);
	json_key(b, &f, "time_to_detect_s");
	if (n->began && n->detected)
		json_num(b, (double)(n->detected - n->began) / 1000);
	else
		buf_puts(b, "null");
	json_key(b, &f, "time_to_mitigate_s");
	if (n->began && n->mitigated)
		json_num(b, (double)(n->mitigated - n->began) / 1000);
	else
		buf_puts(b, "null");
	buf_putc(b, '}');
}

static void
impact(struct buf *b, int *first, const struct pm_night *n)
{
	int f = 1, g = 1;

	json_key(b, first, "impact");
	buf_putc(b, '{');
	json_key(b, &f, "requests");
	if (n->have_traffic) {
		json_num(b, n->requests);
		num(b, &f, "failed", n->failed);
		num(b, &f, "error_rate", n->requests > 0 ? n->failed / n->requests : 0);
		str(b, &f, "traffic_from", n->traffic_from);
	} else {
		buf_puts(b, "null");
	}
	if (n->have_queue) {
		num(b, &f, "queue_peak", n->queue_peak);
		num(b, &f, "queue_timeouts", n->queue_timeouts);
	}
	if (n->p99_peak_ms > 0)
		num(b, &f, "latency_p99_peak_ms", n->p99_peak_ms);
	str(b, &f, "db_server", n->db_server[0] ? n->db_server : NULL);
	num(b, &f, "db_peak_used", n->db_peak_used);
	num(b, &f, "db_peak_usable", n->db_peak_usable);
	num(b, &f, "db_saturated_s", (double)n->db_saturated_ms / 1000);
	num(b, &f, "db_refused_samples", (double)n->db_refused_samples);
	num(b, &f, "saturation_episodes", n->ep_saturation ? (double)n->nep : 0);
	json_key(b, &f, "jobs");
	buf_putc(b, '{');
	num(b, &g, "run", (double)n->jobs_run);
	num(b, &g, "failed", (double)n->jobs_failed);
	num(b, &g, "killed", (double)n->jobs_killed);
	num(b, &g, "skipped", (double)n->jobs_skipped);
	num(b, &g, "gated", (double)n->jobs_gated);
	buf_putc(b, '}');
	json_key(b, &f, "duration_s");
	if (n->began)
		json_num(b, (double)((n->resolved ? n->resolved : n->until) - n->began) / 1000);
	else
		buf_puts(b, "null");
	buf_putc(b, '}');
}

static void
inputs(struct buf *b, int *first, const struct pm_night *n)
{
	int f = 1;

	json_key(b, first, "inputs");
	buf_putc(b, '{');
	num(b, &f, "journals", n->njournals);
	num(b, &f, "events", (double)n->nev);
	num(b, &f, "samples", (double)n->nsmp);
	json_key(b, &f, "hosts");
	buf_putc(b, '[');
	for (size_t i = 0; i < n->nhosts; i++) {
		if (i)
			buf_putc(b, ',');
		json_str(b, n->hosts[i]);
	}
	buf_putc(b, ']');
	json_key(b, &f, "logs");
	buf_putc(b, '[');
	for (size_t i = 0; i < n->nlogs; i++) {
		int g = 1;

		buf_puts(b, i ? ",{" : "{");
		str(b, &g, "path", n->logs[i].path);
		json_key(b, &g, "ok");
		buf_puts(b, n->logs[i].ok ? "true" : "false");
		str(b, &g, "format", n->logs[i].ok ? n->logs[i].format : NULL);
		num(b, &g, "lines", (double)n->logs[i].lines);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
	json_key(b, &f, "left_out");
	buf_putc(b, '[');
	for (size_t i = 0; i < n->nleft; i++) {
		if (i)
			buf_putc(b, ',');
		json_str(b, n->left_out[i]);
	}
	buf_puts(b, "]}");
}

static void
lists(struct buf *b, int *first, const struct pm_night *n)
{
	json_key(b, first, "episodes");
	buf_putc(b, '[');
	for (size_t i = 0; i < n->nep; i++) {
		const struct pm_episode *p = &n->ep[i];
		int f = 1;

		buf_puts(b, i ? ",{" : "{");
		time_field(b, &f, "start", p->start);
		time_field(b, &f, "end", p->end);
		num(b, &f, "peak", p->peak);
		num(b, &f, "usable", p->usable);
		str(b, &f, "top_holder", p->top_holder[0] ? p->top_holder : NULL);
		str(b, &f, "top_by", p->top_by[0] ? p->top_by : NULL);
		str(b, &f, "host", p->host);
		num(b, &f, "top_count", p->top_count);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
	json_key(b, first, "timeline");
	buf_putc(b, '[');
	for (size_t i = 0; i < n->nrows; i++) {
		const struct pm_row *r = &n->rows[i];
		int f = 1;

		buf_puts(b, i ? ",{" : "{");
		time_field(b, &f, "time", r->ts);
		num(b, &f, "ts_ms", (double)r->ts);
		str(b, &f, "source", r->source);
		num(b, &f, "severity", r->sev);
		str(b, &f, "text", r->text);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
	json_key(b, first, "trigger_candidates");
	buf_putc(b, '[');
	for (size_t i = 0; i < n->ncand; i++) {
		const struct pm_candidate *c = &n->cand[i];
		int f = 1;

		buf_puts(b, i ? ",{" : "{");
		str(b, &f, "what", c->what);
		str(b, &f, "origin", c->origin);
		num(b, &f, "score", c->score);
		num(b, &f, "hits", c->hits);
		num(b, &f, "episodes", c->episodes);
		num(b, &f, "firings", (double)c->firings);
		str(b, &f, "evidence", c->evidence);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

int
pm_report_json(const struct pm_night *n, FILE *f, char *err)
{
	struct buf b = BUF_INIT((size_t)64 << 20);
	int first = 1, g = 1, rc = 0;

	buf_putc(&b, '{');
	str(&b, &first, "title", n->title);
	json_key(&b, &first, "window");
	buf_putc(&b, '{');
	time_field(&b, &g, "since", n->since);
	time_field(&b, &g, "until", n->until);
	json_key(&b, &g, "found");
	buf_puts(&b, n->window_auto ? "true" : "false");
	str(&b, &g, "why", n->window_why);
	num(&b, &g, "bin_s", (double)n->bin_ms / 1000);
	buf_putc(&b, '}');
	inputs(&b, &first, n);
	moments(&b, &first, n);
	impact(&b, &first, n);
	lists(&b, &first, n);
	buf_puts(&b, "}\n");
	if (b.data == NULL || fwrite(b.data, 1, b.len, f) != b.len || fflush(f) != 0) {
		err_set(err, "cannot write the JSON report");
		rc = -1;
	}
	buf_release(&b);
	return rc;
}
