/*
 * period.h - does a template fire on a fixed period?
 *
 * The method (epoch folding against a Poisson null, documented in
 * docs/PERFORMANCE.md and README):
 *  1. Input: the template's firing times (events closer than a second are
 *     one firing), sorted.
 *  2. Candidate period P: the median inter-firing interval, then the mode
 *     of a histogram of intervals (so a few missed or extra firings do not
 *     move it).
 *  3. Refine: number each firing by its cycle k = round((t - t0) / P),
 *     keep the firing nearest to each expected tick, and fit t = a + P k by
 *     least squares; twice.
 *  4. Test: over the K cycles of the span, a cycle is a hit when a firing
 *     lies within w = max(1 s, 5 % of P) of its tick. A Poisson process of
 *     the same rate r would hit a window of 2w with p0 = 1 - exp(-2wr). The
 *     template is periodic when P is between 5 s and one day, K >= 4,
 *     the hit rate is at least 70 %, p0 <= 0.5 and the hits exceed the
 *     Poisson expectation by at least 4 standard deviations.
 *  5. Jobs that drift (a "sleep 60" loop) fail the fixed grid; for them the
 *     intervals between firings are tested instead: at least 80 % must lie
 *     within w of one, two or three periods (exponential intervals of the
 *     same mean would, with probability preg, computed), at least 4 sigma
 *     above that expectation, and the one-period intervals must cover half
 *     of the span.
 * At least PERIOD_MIN_RUNS firings are needed either way.
 * Random (Poisson) templates fail on the hit rate (a window of 10 % of the
 * median interval is rarely occupied); bursty ones fail because the bursts
 * leave most cycles empty; a dense random stream fails on p0.
 */
#ifndef BRACE_LOGS_PERIOD_H
#define BRACE_LOGS_PERIOD_H

#include <stddef.h>
#include <stdint.h>

#define PERIOD_MIN_MS 5000
#define PERIOD_MAX_MS 86400000
#define PERIOD_MIN_RUNS 8	/* fewer firings never make a period */

struct period_result {
	int periodic;
	double period_s;        /* fitted period */
	double spread_s;        /* standard deviation of the intervals between hits */
	uint64_t runs;          /* cycles hit: the runs observed */
	uint64_t cycles;        /* cycles in the span */
	int64_t first_ms;       /* the first and the last run (ms since the epoch) */
	int64_t last_ms;
};

/* t: n firing times in ms, ascending. Fills r (r->periodic 0 when not). */
void period_detect(const int64_t *t, size_t n, struct period_result *r);

#endif
