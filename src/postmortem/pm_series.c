/*
 * pm_series.c - see pm_series.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sort.h"
#include "postmortem/pm_series.h"

static size_t
bin_of(const struct pm_night *n, int64_t ts)
{
	return (size_t)((ts - n->since) / n->bin_ms);
}

static int
in_window(const struct pm_night *n, int64_t ts)
{
	return ts >= n->since && ts < n->until;
}

/* The database server that came closest to full: its name into n->db_server. */
static void
pick_server(struct pm_night *n)
{
	double best = -1;
	char srv[160];

	for (size_t i = 0; i < n->nsmp; i++) {
		const struct pm_sample *s = &n->smp[i];

		if (strcmp(s->series, "db_connections_percent") != 0 || !in_window(n, s->ts))
			continue;
		if (s->value > best && pm_label(s->labels, "server", srv, sizeof(srv)) == 0) {
			best = s->value;
			pm_textf(n->db_server, sizeof(n->db_server), "%s", srv);
		}
	}
}

static int
of_server(const struct pm_night *n, const struct pm_sample *s)
{
	char srv[160];

	return pm_label(s->labels, "server", srv, sizeof(srv)) == 0 &&
	    strcmp(srv, n->db_server) == 0;
}

static void
put_max(double *series, size_t b, double v)
{
	if (isnan(series[b]) || v > series[b])
		series[b] = v;
}

/* The holder with the most connections at ts, of the kind that tells holders apart. */
static void
top_holder(const struct pm_night *n, int64_t ts, struct pm_episode *p)
{
	static const char *const kinds[] = { "user", "application", "client" };

	for (int k = 0; k < 3; k++) {
		int distinct = 0;
		double best = -1;
		char by[16], name[64], bestname[64] = "";

		for (size_t i = 0; i < n->nsmp; i++) {
			const struct pm_sample *s = &n->smp[i];

			if (s->ts != ts || strcmp(s->series, "db_connections_holder") != 0 ||
			    !of_server(n, s) || pm_label(s->labels, "by", by, sizeof(by)) < 0 ||
			    strcmp(by, kinds[k]) != 0 ||
			    pm_label(s->labels, "holder", name, sizeof(name)) < 0)
				continue;
			distinct++;
			if (s->value > best) {
				best = s->value;
				pm_textf(bestname, sizeof(bestname), "%s", name);
			}
		}
		if (distinct >= 2 || (k == 2 && best >= 0)) {
			pm_textf(p->top_holder, sizeof(p->top_holder), "%s", bestname);
			pm_textf(p->top_by, sizeof(p->top_by), "%s", kinds[k]);
			p->top_count = best;
			return;
		}
	}
}

/* Database curves and saturation episodes. */
static void
database(struct pm_night *n)
{
	int64_t *ts = NULL;
	size_t nts = 0;
	double usable = NAN;
	struct pm_episode *open = NULL;

	pick_server(n);
	if (n->db_server[0] == '\0')
		return;
	ts = malloc(n->nsmp * sizeof(*ts));
	for (size_t i = 0; i < n->nsmp; i++) {
		const struct pm_sample *s = &n->smp[i];
		int used = strcmp(s->series, "db_connections_used") == 0;
		int full = strcmp(s->series, "db_connections_refused_full") == 0 && s->value > 0;
		int sat;

		if (strcmp(s->series, "db_connections_usable") == 0 && of_server(n, s) &&
		    in_window(n, s->ts)) {
			usable = s->value;
			put_max(n->db_usable, bin_of(n, s->ts), s->value);
			if (s->value > n->db_peak_usable)
				n->db_peak_usable = s->value;
			continue;
		}
		if ((!used && !full) || !of_server(n, s) || !in_window(n, s->ts))
			continue;
		if (full)
			n->db_refused_samples++;
		if (used) {
			/* The matching usable sample comes next in the same tick: look ahead. */
			for (size_t j = i + 1; j < n->nsmp && n->smp[j].ts == s->ts; j++)
				if (strcmp(n->smp[j].series, "db_connections_usable") == 0 &&
				    of_server(n, &n->smp[j]))
					usable = n->smp[j].value;
			put_max(n->db_used, bin_of(n, s->ts), s->value);
			if (s->value > n->db_peak_used)
				n->db_peak_used = s->value;
			if (ts != NULL)
				ts[nts++] = s->ts;
		}
		sat = full || (!isnan(usable) && usable > 0 && s->value >= PM_SATURATED * usable);
		if (sat && open == NULL && n->nep < PM_MAX_EPISODES) {
			open = &n->ep[n->nep++];
			memset(open, 0, sizeof(*open));
			open->start = s->ts;
			open->host = s->host;
			top_holder(n, s->ts, open);
		}
		if (sat && open != NULL) {
			open->end = s->ts;
			if (used && s->value > open->peak) {
				open->peak = s->value;
				open->usable = usable;
			}
		} else if (!sat && used) {
			open = NULL;
		}
	}
	n->ep_saturation = n->nep > 0;
	if (nts > 1) {
		for (size_t i = 0; i + 1 < nts; i++)
			ts[i] = ts[i + 1] - ts[i];
		sort_i64(ts, nts - 1);
		n->sample_gap_ms = ts[(nts - 1) / 2];
	}
	for (size_t i = 0; i < n->nep; i++)
		n->db_saturated_ms += n->ep[i].end - n->ep[i].start + n->sample_gap_ms;
	free(ts);
}

/* A pool row of the load balancer (no "server" label), with its class if asked. */
static int
pool_row(const struct pm_sample *s, const char *series, const char *cls)
{
	char v[16];

	if (strcmp(s->series, series) != 0 || strstr(s->labels, "\"server\"") != NULL)
		return 0;
	if (cls == NULL)
		return 1;
	return pm_label(s->labels, "class", v, sizeof(v)) == 0 && strcmp(v, cls) == 0;
}

/* The time of the previous sample of the same series, labels and host; 0 if none. */
static int64_t
previous(const struct pm_night *n, size_t i)
{
	const struct pm_sample *s = &n->smp[i];

	while (i-- > 0) {
		const struct pm_sample *p = &n->smp[i];

		if (s->ts - p->ts > 3600000)
			return 0;
		if (p->host == s->host && strcmp(p->series, s->series) == 0 &&
		    strcmp(p->labels, s->labels) == 0)
			return p->ts;
	}
	return 0;
}


static void
traffic(struct pm_night *n)
{
	for (size_t i = 0; i < n->nsmp; i++) {
		const struct pm_sample *s = &n->smp[i];
		int req = pool_row(s, "lb_requests", NULL), err = pool_row(s, "lb_responses", "5xx");
		int64_t prev;

		if (!in_window(n, s->ts) || strcmp(s->source, "lb") != 0)
			continue;
		if (req || err) {
			n->have_traffic = 1;
			if (req)
				n->requests += s->value;
			else
				n->failed += s->value;
			prev = previous(n, i);
			if (prev == 0)
				prev = s->ts - 10000;   /* the default interval */
			pm_spread(n, req ? n->rps : n->err_rps, prev, s->ts, s->value);
		} else if (pool_row(s, "lb_queue_peak", NULL)) {
			n->have_queue = 1;
			put_max(n->queue, bin_of(n, s->ts), s->value);
			if (s->value > n->queue_peak)
				n->queue_peak = s->value;
		} else if (pool_row(s, "lb_queue_timeouts", NULL)) {
			n->queue_timeouts += s->value;
		} else if (pool_row(s, "lb_latency_p99_ms", NULL) && s->value > n->p99_peak_ms) {
			n->p99_peak_ms = s->value;
		}
	}
	if (n->have_traffic)
		pm_textf(n->traffic_from, sizeof(n->traffic_from), "brace lb samples");
}

static void
marks(struct pm_night *n)
{
	for (size_t i = 0; i < n->nev; i++) {
		const struct pm_event *e = &n->ev[i];
		struct pm_mark *m;

		if (strcmp(e->source, "run") != 0 || !in_window(n, e->ts))
			continue;
		if (strcmp(e->kind, "skip") == 0)
			n->jobs_skipped++;
		else if (strcmp(e->kind, "gate_timeout") == 0)
			n->jobs_gated++;
		else if (strncmp(e->kind, "run_", 4) == 0)
			n->jobs_run++;
		if (strcmp(e->kind, "run_timeout") == 0)
			n->jobs_killed++;
		if (strcmp(e->kind, "run_failed") == 0)
			n->jobs_failed++;
		if (n->nmarks >= PM_MAX_MARKS)
			continue;
		m = &n->marks[n->nmarks++];
		m->ts = e->ts;
		pm_textf(m->kind, sizeof(m->kind), "%s", e->kind);
		pm_textf(m->subject, sizeof(m->subject), "%s", e->subject ? e->subject : "");
	}
}

void
pm_series_build(struct pm_night *n)
{
	database(n);
	traffic(n);
	marks(n);
}

void
pm_series_finish(struct pm_night *n)
{
	struct pm_episode *open = NULL;

	/* Where requests were counted and no 5xx, there were none: 0, not a gap. */
	for (size_t b = 0; b < n->nbins; b++)
		if (!isnan(n->rps[b]) && isnan(n->err_rps[b]))
			n->err_rps[b] = 0;
	if (n->nep > 0)
		return;
	for (size_t b = 0; b < n->nbins; b++) {
		int bad = !isnan(n->err_rps[b]) && n->err_rps[b] > 0;
		int64_t t = n->since + (int64_t)b * n->bin_ms;

		if (bad && open == NULL && n->nep < PM_MAX_EPISODES) {
			open = &n->ep[n->nep++];
			memset(open, 0, sizeof(*open));
			open->start = t;
		}
		if (bad && open != NULL)
			open->end = t + n->bin_ms;
		else
			open = NULL;
	}
}
