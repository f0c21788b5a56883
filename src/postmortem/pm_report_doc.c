/*
 * pm_report_doc.c - the postmortem's sections, from the night.
 *
 * What brace computed is stated; what only people can know (root causes,
 * lessons, action items) is left as a prompt with the evidence beside it.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/clock.h"
#include "postmortem/pm_report.h"

static void
add(struct pm_doc *d, enum pm_block_kind k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add(struct pm_doc *d, enum pm_block_kind k, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (d->oom || d->n >= PM_DOC_MAX_BLOCKS)
		return;
	if (ARRAY_GROW(d->b, d->n, d->cap, 64) < 0) {
		d->oom = 1;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		d->oom = 1;
		s = NULL;
	}
	va_end(ap);
	if (s == NULL)
		return;
	d->b[d->n].kind = k;
	d->b[d->n++].text = s;
}

void
pm_doc_release(struct pm_doc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->b[i].text); d->b[i].text = NULL;
	}
	free(d->b); d->b = NULL;
	d->n = d->cap = 0;
}

static void
when(int64_t ms, char *out, size_t n)
{
	char full[CLOCK_FMT_LEN];

	clock_fmt_utc_s(ms, full, sizeof(full));
	pm_textf(out, n, "%s", full);
}

static void
summary(const struct pm_night *n, struct pm_doc *d)
{
	char a[CLOCK_FMT_LEN], b[16], dur[32], ttd[32], ttm[32];

	add(d, PM_H2, "Summary");
	if (n->began == 0) {
		add(d, PM_P, "Nothing in this window shows an impact: no saturated database sample, "
		    "no 5xx response and no warning-or-worse event. %zu events and %zu samples were "
		    "read.", n->nev, n->nsmp);
		return;
	}
	when(n->began, a, sizeof(a));
	pm_fmt_clock(n->resolved ? n->resolved : n->until, b, sizeof(b));
	pm_fmt_duration((n->resolved ? n->resolved : n->until) - n->began, dur, sizeof(dur));
	{
		char s[1024];
		size_t o = 0;

		o += (size_t)snprintf(s + o, sizeof(s) - o, "From %s to %s UTC (%s)", a, b, dur);
		if (n->ep_saturation)
			o += (size_t)snprintf(s + o, sizeof(s) - o, ", the database %s ran out of "
			    "connections %zu time%s (at most %.0f of %.0f usable in use)", n->db_server,
			    n->nep, n->nep == 1 ? "" : "s", n->db_peak_used, n->db_peak_usable);
		if (o < sizeof(s) && n->have_traffic)
			o += (size_t)snprintf(s + o, sizeof(s) - o, "%s %.0f of %.0f requests failed "
			    "with a 5xx response (%.1f%%)", n->ep_saturation ? " and" : ",", n->failed,
			    n->requests, n->requests > 0 ? 100 * n->failed / n->requests : 0.0);
		if (o < sizeof(s))
			pm_textf(s + o, sizeof(s) - o, ".");
		add(d, PM_P, "%s", s);
	}
	if (n->detected) {
		pm_fmt_duration(n->detected - n->began, ttd, sizeof(ttd));
		add(d, PM_P, "The first alert came %s after the impact began.", ttd);
	} else {
		add(d, PM_P, "No alert was recorded.");
	}
	if (n->mitigated) {
		pm_fmt_duration(n->mitigated - n->began, ttm, sizeof(ttm));
		add(d, PM_P, "It was mitigated %s after it began.", ttm);
	}
	if (n->ncand > 0)
		add(d, PM_P, "The leading trigger candidate is `%s` (%s); see Trigger.",
		    n->cand[0].what, n->cand[0].origin);
	add(d, PM_PROMPT, "This draft was computed by brace postmortem from what brace recorded. "
	    "Root causes, lessons and action items are for people to write: the prompts below "
	    "hold the evidence.");
}

static void
impact(const struct pm_night *n, struct pm_doc *d)
{
	char dur[32];

	add(d, PM_H2, "Impact");
	if (n->have_traffic)
		add(d, PM_LI, "Requests: %.0f answered, %.0f failed with 5xx (error rate %.2f%%), "
		    "from %s", n->requests, n->failed,
		    n->requests > 0 ? 100 * n->failed / n->requests : 0.0, n->traffic_from);
	else
		add(d, PM_LI, "Requests: not recorded (no brace lb samples in the journals and no "
		    "access log given)");
	if (n->have_queue)
		add(d, PM_LI, "Load balancer queue: peak %.0f waiting, %.0f gave up waiting",
		    n->queue_peak, n->queue_timeouts);
	if (n->p99_peak_ms > 0)
		add(d, PM_LI, "Response time: the worst 99th percentile over a sampling interval "
		    "was %.0f ms", n->p99_peak_ms);
	if (n->db_server[0]) {
		pm_fmt_duration(n->db_saturated_ms, dur, sizeof(dur));
		add(d, PM_LI, "Database %s: peak %.0f of %.0f usable connections; saturated "
		    "(%.0f%% or more) %zu time%s for about %s in all; %lld sample%s refused as full",
		    n->db_server, n->db_peak_used, n->db_peak_usable, 100 * 0.9,
		    n->ep_saturation ? n->nep : 0, n->ep_saturation && n->nep == 1 ? "" : "s",
		    n->ep_saturation ? dur : "0s", (long long)n->db_refused_samples,
		    n->db_refused_samples == 1 ? "" : "s");
	} else {
		add(d, PM_LI, "Database: not recorded (no brace conns samples)");
	}
	if (n->jobs_run + n->jobs_skipped + n->jobs_gated > 0)
		add(d, PM_LI, "Jobs (brace run): %lld ran (%lld failed, %lld killed at their "
		    "timeout), %lld skipped, %lld held back by the gate", (long long)n->jobs_run,
		    (long long)n->jobs_failed, (long long)n->jobs_killed,
		    (long long)n->jobs_skipped, (long long)n->jobs_gated);
	if (n->began) {
		pm_fmt_duration((n->resolved ? n->resolved : n->until) - n->began, dur, sizeof(dur));
		add(d, PM_LI, "Duration: %s, from the impact's beginning to its resolution", dur);
	}
	add(d, PM_CHARTS, "charts");
	add(d, PM_PROMPT, "Who was affected, and how (users, orders, pages)? The figures above "
	    "are what the tools saw.");
}

static void
trigger(const struct pm_night *n, struct pm_doc *d)
{
	add(d, PM_H2, "Root causes");
	add(d, PM_PROMPT, "Why could the trigger do harm? Write the causes here; brace does not "
	    "guess them.%s", n->ncand > 0 ? " The evidence: see the trigger candidates below." :
	    "");
	if (n->ncand > 0)
		add(d, PM_LI, "Evidence: `%s` (%s): %s", n->cand[0].what, n->cand[0].origin,
		    n->cand[0].evidence);
	add(d, PM_H2, "Trigger");
	if (n->ncand == 0) {
		add(d, PM_P, "No candidate: %s", n->nep == 0 ? "no saturation or failure episode "
		    "was recorded to line firings up with." : "nothing in the logs or the holders "
		    "lines up with the episodes (give the database's log with --logs).");
		return;
	}
	add(d, PM_P, "Candidates, ranked by how well their firings line up with the %s "
	    "episodes (a candidate is evidence, not a verdict):",
	    n->ep_saturation ? "saturation" : "failure");
	for (size_t i = 0; i < n->ncand && i < 5; i++)
		add(d, PM_LI, "%zu. `%s` (%s, score %.2f): %s", i + 1, n->cand[i].what,
		    n->cand[i].origin, n->cand[i].score, n->cand[i].evidence);
}

static void
detection_resolution(const struct pm_night *n, struct pm_doc *d)
{
	char a[CLOCK_FMT_LEN], t[32];

	add(d, PM_H2, "Detection");
	if (n->began) {
		when(n->began, a, sizeof(a));
		add(d, PM_LI, "Impact began: %s, %s", a, n->began_why);
	}
	if (n->detected) {
		when(n->detected, a, sizeof(a));
		pm_fmt_duration(n->detected - n->began, t, sizeof(t));
		add(d, PM_LI, "Detected: %s, %s", a, n->detected_why);
		add(d, PM_LI, "Time to detect: %s", t);
	} else if (n->began) {
		add(d, PM_LI, "Detected: %s", n->detected_why);
	}
	add(d, PM_PROMPT, "Who was told, and how? Did the alert reach a person in time?");
	add(d, PM_H2, "Resolution");
	if (n->mitigated) {
		when(n->mitigated, a, sizeof(a));
		pm_fmt_duration(n->mitigated - n->began, t, sizeof(t));
		add(d, PM_LI, "Mitigated: %s, %s", a, n->mitigated_why);
		add(d, PM_LI, "Time to mitigate: %s", t);
	}
	if (n->resolved) {
		when(n->resolved, a, sizeof(a));
		add(d, PM_LI, "Resolved: %s, %s", a, n->resolved_why);
	}
	add(d, PM_PROMPT, "What was done to mitigate and to resolve? (The journal's notes are in "
	    "the timeline.)");
}

static void
people(const struct pm_night *n, struct pm_doc *d)
{
	add(d, PM_H2, "Action items");
	add(d, PM_THEAD, "Item\tType\tOwner\tTicket");
	add(d, PM_TROW, "_to be written_\tprevent / mitigate / detect\t\t");
	if (n->ncand > 0)
		add(d, PM_PROMPT, "Evidence to start from: the leading trigger candidate `%s`.",
		    n->cand[0].what);
	add(d, PM_H2, "Lessons learned");
	add(d, PM_H3, "What went well");
	add(d, PM_PROMPT, "To be written.%s", n->detected && n->detected - n->began <= 60000 ?
	    " Evidence: the first alert came within a minute of the impact." : "");
	add(d, PM_H3, "What went wrong");
	add(d, PM_PROMPT, "To be written.%s", n->have_traffic && n->failed > 0 ?
	    " Evidence: clients saw 5xx responses while the database was full." : "");
	add(d, PM_H3, "Where we got lucky");
	add(d, PM_PROMPT, "To be written.");
}

/* Escape a cell's tabs and pipes away (the writers split cells on tabs). */
static void
cell(char *s)
{
	for (; *s; s++)
		if (*s == '\t' || *s == '\n')
			*s = ' ';
}

static void
timeline(const struct pm_night *n, struct pm_doc *d)
{
	add(d, PM_H2, "Timeline");
	add(d, PM_P, "All times UTC. Every row names its source: a journal event (id and host) "
	    "or a log file and line.");
	add(d, PM_THEAD, "Time\tSource\tWhat happened");
	for (size_t i = 0; i < n->nrows; i++) {
		char t[16], text[PM_TEXT_LEN], src[160];

		pm_fmt_clock(n->rows[i].ts, t, sizeof(t));
		pm_textf(text, sizeof(text), "%s", n->rows[i].text);
		pm_textf(src, sizeof(src), "%s", n->rows[i].source);
		cell(text);
		cell(src);
		add(d, PM_TROW, "%s\t%s\t%s%s%s", t, src, n->rows[i].sev >= 4 ? "**" : "", text,
		    n->rows[i].sev >= 4 ? "**" : "");
	}
	if (n->rows_dropped > 0)
		add(d, PM_P, "%zu less severe rows were left out (at most %d rows).", n->rows_dropped,
		    PM_MAX_ROWS);
}

static void
supporting(const struct pm_night *n, struct pm_doc *d)
{
	char a[CLOCK_FMT_LEN], b[CLOCK_FMT_LEN];

	add(d, PM_H2, "Supporting information");
	when(n->since, a, sizeof(a));
	when(n->until, b, sizeof(b));
	add(d, PM_LI, "Window: %s to %s; %s", a, b, n->window_why);
	add(d, PM_LI, "Journals: %d read, %zu events and %zu samples in all, from %zu host%s",
	    n->njournals, n->nev, n->nsmp, n->nhosts, n->nhosts == 1 ? "" : "s");
	for (size_t i = 0; i < n->nhosts; i++)
		add(d, PM_LI, "Host: `%s`", n->hosts[i][0] ? n->hosts[i] : "?");
	for (size_t i = 0; i < n->nlogs; i++)
		if (n->logs[i].ok)
			add(d, PM_LI, "Log `%s`: %llu lines, %s format", n->logs[i].path,
			    (unsigned long long)n->logs[i].lines, n->logs[i].format);
	if (n->traffic_from[0])
		add(d, PM_LI, "Requests and 5xx come from %s", n->traffic_from);
	for (size_t i = 0; i < n->nleft; i++)
		add(d, PM_LI, "Left out: %s", n->left_out[i]);
}

int
pm_report_doc(const struct pm_night *n, struct pm_doc *d)
{
	memset(d, 0, sizeof(*d));
	add(d, PM_TITLE, "%s", n->title);
	if (n->nleft > 0)
		add(d, PM_PROMPT, "Incomplete: %zu input%s could not be used (see Supporting "
		    "information).", n->nleft, n->nleft == 1 ? "" : "s");
	summary(n, d);
	impact(n, d);
	trigger(n, d);
	detection_resolution(n, d);
	people(n, d);
	timeline(n, d);
	supporting(n, d);
	return d->oom ? -1 : 0;
}
