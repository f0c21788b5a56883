/*
 * pm_impact.c - see pm_impact.h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "postmortem/pm_impact.h"

/* First and last bins with 5xx responses; -1 when none. */
static void
failing_bins(const struct pm_night *n, long *first, long *last)
{
	*first = *last = -1;
	for (size_t b = 0; b < n->nbins; b++) {
		if (isnan(n->err_rps[b]) || n->err_rps[b] <= 0)
			continue;
		if (*first < 0)
			*first = (long)b;
		*last = (long)b;
	}
}

/* The latest journal entry of kind k in the window (a person's word). */
static const struct pm_event *
entry(const struct pm_night *n, const char *k)
{
	const struct pm_event *found = NULL;

	for (size_t i = 0; i < n->nev; i++)
		if (strcmp(n->ev[i].kind, k) == 0 && n->ev[i].ts >= n->since &&
		    n->ev[i].ts < n->until)
			found = &n->ev[i];
	return found;
}

static void
began(struct pm_night *n, long f5)
{
	char c[16];

	if (n->nep > 0 && n->ep_saturation) {
		n->began = n->ep[0].start;
		pm_fmt_clock(n->began, c, sizeof(c));
		pm_textf(n->began_why, sizeof(n->began_why), "the first saturated database sample "
		    "(%.0f of %.0f usable connections)", n->ep[0].peak, n->ep[0].usable);
	}
	if (f5 >= 0 && (n->began == 0 || n->since + f5 * n->bin_ms < n->began)) {
		n->began = n->since + f5 * n->bin_ms;
		pm_textf(n->began_why, sizeof(n->began_why), "the first 5xx responses (%s)",
		    n->traffic_from);
	}
	if (n->began == 0) {
		for (size_t i = 0; i < n->nev; i++) {
			if (n->ev[i].sev >= 3 && n->ev[i].ts >= n->since && n->ev[i].ts < n->until) {
				n->began = n->ev[i].ts;
				pm_textf(n->began_why, sizeof(n->began_why), "no saturation or 5xx was "
				    "recorded; the first warning-or-worse event (journal #%lld)",
				    (long long)n->ev[i].id);
				break;
			}
		}
	}
}

static void
detected(struct pm_night *n)
{
	int64_t from = n->began - (n->sample_gap_ms > 0 ? n->sample_gap_ms : n->bin_ms);

	for (size_t i = 0; i < n->nev; i++) {
		const struct pm_event *e = &n->ev[i];

		if (e->sev < 3 || e->ts < from || e->ts >= n->until)
			continue;
		n->detected = e->ts;
		pm_textf(n->detected_why, sizeof(n->detected_why), "the first alert: %s %s "
		    "(journal #%lld on %s)", e->source, e->kind, (long long)e->id, e->host);
		return;
	}
	pm_textf(n->detected_why, sizeof(n->detected_why), "no warning-or-worse event was "
	    "recorded after the impact began: nothing alerted");
}

void
pm_impact_compute(struct pm_night *n)
{
	const struct pm_event *m = entry(n, "mitigated"), *r = entry(n, "resolved");
	int64_t end5 = 0, endsat = 0, last;
	long f5, l5;
	char c[16];

	failing_bins(n, &f5, &l5);
	if (l5 >= 0)
		end5 = n->since + (l5 + 1) * n->bin_ms;
	if (n->nep > 0 && n->ep_saturation)
		endsat = n->ep[n->nep - 1].end + n->sample_gap_ms;
	began(n, f5);
	if (n->began == 0)
		return;
	detected(n);
	if (m != NULL) {
		n->mitigated = m->ts;
		pm_textf(n->mitigated_why, sizeof(n->mitigated_why), "recorded by a person: "
		    "\"%s\" (journal #%lld on %s)", m->message, (long long)m->id, m->host);
	} else if (end5 > 0 || endsat > 0) {
		n->mitigated = end5 > 0 ? end5 : endsat;
		pm_fmt_clock(n->mitigated, c, sizeof(c));
		pm_textf(n->mitigated_why, sizeof(n->mitigated_why), "%s: the end of the last %s",
		    c, end5 > 0 ? "5xx responses" : "saturation");
	}
	last = end5 > endsat ? end5 : endsat;
	if (r != NULL) {
		n->resolved = r->ts;
		pm_textf(n->resolved_why, sizeof(n->resolved_why), "recorded by a person: \"%s\" "
		    "(journal #%lld on %s)", r->message, (long long)r->id, r->host);
	} else if (last > 0) {
		n->resolved = last > n->mitigated ? last : n->mitigated;
		pm_textf(n->resolved_why, sizeof(n->resolved_why), "no 5xx response and no "
		    "saturation after this");
	}
}
