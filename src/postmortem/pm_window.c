/*
 * pm_window.c - see pm_window.h.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "core/clock.h"
#include "core/err.h"
#include "postmortem/pm_window.h"

#define MIN_PAD_MS 60000

void
pm_window_guess(struct pm_night *n, int64_t since, int64_t until, int64_t log_first,
    int64_t log_last)
{
	int64_t first = 0, last = 0, pad;
	size_t warn = 0;
	char a[CLOCK_FMT_LEN], b[CLOCK_FMT_LEN];

	n->since = since;
	n->until = until ? until : INT64_MAX;
	if (since != 0) {
		pm_textf(n->window_why, sizeof(n->window_why), "the window was given (--since%s)",
		    until ? ", --until" : "");
		return;
	}
	n->window_auto = 1;
	for (size_t i = 0; i < n->nev; i++) {
		const struct pm_event *e = &n->ev[i];

		if (e->sev < 3 || (until && e->ts >= until))
			continue;
		if (warn++ == 0)
			first = e->ts;
		last = e->ts;
	}
	if (warn == 0) {
		pm_textf(n->window_why, sizeof(n->window_why), "no warning-or-worse event was "
		    "recorded, so the window is everything the journals and logs hold");
		n->since = 0;
		return;
	}
	pad = (last - first) / 4;
	if (pad < MIN_PAD_MS)
		pad = MIN_PAD_MS;
	n->since = first - pad;
	if (!until)
		n->until = last + pad + 1;
	clock_fmt_utc_s(first, a, sizeof(a));
	clock_fmt_utc_s(last, b, sizeof(b));
	pm_textf(n->window_why, sizeof(n->window_why), "found from the %zu warning-or-worse "
	    "events (the first at %s, the last at %s), padded by %llds on each side and fitted to "
	    "what was recorded", warn, a, b, (long long)(pad / 1000));
	(void)log_first;
	(void)log_last;
}

static void
widen(int64_t ts, int64_t *lo, int64_t *hi)
{
	if (*lo == 0 || ts < *lo)
		*lo = ts;
	if (ts > *hi)
		*hi = ts;
}

int
pm_window_fit(struct pm_night *n, int64_t log_first, int64_t log_last, char *err)
{
	static const int64_t widths[] = { 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000,
	    300000, 600000, 900000, 1800000, 3600000, 7200000, 10800000, 21600000, 43200000,
	    86400000 };
	int64_t lo = 0, hi = 0, span;
	size_t i;

	for (i = 0; i < n->nev; i++)
		if (n->ev[i].ts >= n->since && n->ev[i].ts < n->until)
			widen(n->ev[i].ts, &lo, &hi);
	for (i = 0; i < n->nsmp; i++)
		if (n->smp[i].ts >= n->since && n->smp[i].ts < n->until)
			widen(n->smp[i].ts, &lo, &hi);
	if (log_first != 0 && log_last >= n->since && log_first < n->until) {
		widen(log_first > n->since ? log_first : n->since, &lo, &hi);
		widen(log_last < n->until ? log_last : n->until - 1, &lo, &hi);
	}
	if (lo == 0) {
		char a[CLOCK_FMT_LEN], b[CLOCK_FMT_LEN];

		if (n->since == 0 && n->until == INT64_MAX) {
			err_set(err, "nothing was recorded: the journals and logs are empty");
			return -1;
		}
		clock_fmt_utc_s(n->since, a, sizeof(a));
		clock_fmt_utc_s(n->until == INT64_MAX ? clock_now_ms() : n->until, b, sizeof(b));
		err_set(err, "nothing was recorded between %s and %s", a, b);
		return -1;
	}
	/* A window that was given is kept as given where it is bounded. */
	if (n->window_auto || n->since == 0)
		n->since = lo;
	if (n->window_auto || n->until == INT64_MAX)
		n->until = hi + 1000;
	span = n->until - n->since;
	for (i = 0; i < sizeof(widths) / sizeof(widths[0]) - 1; i++)
		if (span / widths[i] < PM_AXIS_BINS)
			break;
	n->bin_ms = widths[i];
	n->since -= n->since % n->bin_ms;
	n->nbins = (size_t)((n->until - n->since + n->bin_ms - 1) / n->bin_ms);
	if (n->nbins > PM_MAX_BINS) {
		n->nbins = PM_MAX_BINS;
		n->until = n->since + (int64_t)PM_MAX_BINS * n->bin_ms;
	}
	n->until = n->since + (int64_t)n->nbins * n->bin_ms;
	for (i = 0; i < PM_MAX_BINS; i++)
		n->db_used[i] = n->db_usable[i] = n->rps[i] = n->err_rps[i] = n->queue[i] = NAN;
	return 0;
}
