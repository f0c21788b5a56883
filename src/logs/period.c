/*
 * period.c - see period.h for the method.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/sort.h"
#include "logs/period.h"

#define PERIOD_MAX_SAMPLES 4096
#define BIN_OUT INT16_MIN

/* Round to the nearest integer (nearest() is a library call in the hot loop). */
static inline long
nearest(double x)
{
	return (long)floor(x + 0.5);
}

/* Mode of the intervals on a log scale (bins 5 % wide), refined by their median. */
static int64_t
mode_interval(const int64_t *d, size_t n)
{
	enum { NB = 256 };
	unsigned cnt[NB] = { 0 };
	size_t best = 0;
	double lo = log((double)PERIOD_MIN_MS * 0.8), step = log(1.05);
	int64_t sel[PERIOD_MAX_SAMPLES];
	int16_t bin[PERIOD_MAX_SAMPLES];        /* each interval's bin (-1 and NB are
	                                           next to the ends), or BIN_OUT */
	size_t ns = 0;

	if (n > PERIOD_MAX_SAMPLES)
		n = PERIOD_MAX_SAMPLES;
	for (size_t i = 0; i < n; i++) {
		double b = d[i] > 0 ? (log((double)d[i]) - lo) / step : -10;

		bin[i] = b >= -1 && b < NB + 1 ? (int16_t)floor(b) : BIN_OUT;
		if (bin[i] >= 0 && bin[i] < NB)
			cnt[bin[i]]++;
	}
	for (size_t b = 1; b < NB; b++)
		if (cnt[b] + cnt[b - 1] + (b + 1 < NB ? cnt[b + 1] : 0) >
		    cnt[best] + (best ? cnt[best - 1] : 0) + (best + 1 < NB ? cnt[best + 1] : 0))
			best = b;
	if (cnt[best] == 0)
		return 0;
	/* the intervals of the best bin and its two neighbours */
	for (size_t i = 0; i < n; i++)
		if (bin[i] != BIN_OUT && bin[i] >= (int)best - 1 && bin[i] <= (int)best + 1)
			sel[ns++] = d[i];
	return ns ? sort_select_i64(sel, ns, ns / 2) : 0;
}

/* A tick of the grid a + P k and the firing nearest to it. */
struct tick {
	long k;
	double t;
};

/*
 * The ticks k <= kmax of the grid a + P k that have a firing within tol,
 * each with its nearest firing (a run logged twice, or another line of the
 * template a little before the run, is not taken for it), into out (room
 * for n). Returns how many.
 */
static size_t
grid_ticks(const int64_t *t, size_t n, double a, double P, double tol, long kmax, struct tick *out)
{
	size_t m = 0;
	double best = 0;

	for (size_t i = 0; i < n; i++) {
		long k = nearest(((double)t[i] - a) / P);
		double res = fabs((double)t[i] - (a + P * (double)k));

		if (k > kmax)
			break;
		if (res > tol)
			continue;
		if (m > 0 && out[m - 1].k == k) {
			if (res < best) {
				out[m - 1].t = (double)t[i];
				best = res;
			}
			continue;
		}
		out[m].k = k;
		out[m].t = (double)t[i];
		best = res;
		m++;
	}
	return m;
}

/*
 * Fit t = a + P k by least squares to the firing nearest each tick up to
 * kmax (within a quarter period of it). Returns the ticks used; *a and *P
 * are updated when there are at least 4.
 */
static size_t
fit_grid(const int64_t *t, size_t n, double *a, double *P, long kmax, struct tick *tk)
{
	double sk = 0, st = 0, skk = 0, skt = 0, m;
	size_t nt = grid_ticks(t, n, *a, *P, 0.25 * *P, kmax, tk);

	if (nt < 4)
		return nt;
	for (size_t i = 0; i < nt; i++) {
		sk += (double)tk[i].k;
		st += tk[i].t;
		skk += (double)tk[i].k * (double)tk[i].k;
		skt += (double)tk[i].k * tk[i].t;
	}
	m = (double)nt;
	if (m * skk - sk * sk > 0) {
		double np = (m * skt - sk * st) / (m * skk - sk * sk);

		if (np <= 0)
			return 0;
		*P = np;
	}
	*a = (st - *P * sk) / m;
	return nt;
}

/* Test one candidate (tk: room for n ticks); returns 1 and fills r when it passes. */
static int
test_candidate(const int64_t *t, size_t n, double P, struct period_result *r, struct tick *tk)
{
	double a = (double)t[0], span = (double)(t[n - 1] - t[0]);
	double w, rate, p0, z, sum = 0, sum2 = 0, K;
	long kmin = 0, kmax = 0, nint = 0;
	size_t hits;

	if (P < 0.9 * PERIOD_MIN_MS || P > 1.1 * PERIOD_MAX_MS || span < (PERIOD_MIN_RUNS - 1) * P)
		return 0;
	/*
	 * Refine a and P by least squares, on the first 8 cycles, then 16, 32,
	 * ... so that a candidate a few percent off (the median pulled by a
	 * run logged twice) is corrected before its error adds up to a quarter
	 * period; then twice on the whole span.
	 */
	for (long kfit = 8;; kfit *= 2) {
		if (fit_grid(t, n, &a, &P, kfit, tk) < 4 || P < 0.9 * PERIOD_MIN_MS)
			return 0;
		if ((double)kfit * P > span)
			break;
	}
	for (int iter = 0; iter < 2; iter++)
		if (fit_grid(t, n, &a, &P, LONG_MAX, tk) < 4 || P < 0.9 * PERIOD_MIN_MS)
			return 0;
	if (P < 0.9 * PERIOD_MIN_MS || P > 1.1 * PERIOD_MAX_MS)
		return 0;
	w = fmax(1000.0, 0.05 * P);
	for (size_t i = 0; i < n; i++) {
		long k = nearest(((double)t[i] - a) / P);

		if (i == 0 || k < kmin)
			kmin = k;
		if (i == 0 || k > kmax)
			kmax = k;
	}
	hits = grid_ticks(t, n, a, P, w, LONG_MAX, tk);
	for (size_t i = 1; i < hits; i++)
		if (tk[i].k == tk[i - 1].k + 1) {
			double iv = tk[i].t - tk[i - 1].t;

			sum += iv;
			sum2 += iv * iv;
			nint++;
		}
	K = (double)(kmax - kmin + 1);
	rate = (double)n / fmax(span, 1.0);
	p0 = 1.0 - exp(-2.0 * w * rate);
	z = ((double)hits - K * p0) / sqrt(fmax(K * p0 * (1 - p0), 1e-9));
	if (K < PERIOD_MIN_RUNS || hits < PERIOD_MIN_RUNS || (double)hits < 0.7 * K || p0 > 0.5 ||
	    z < 4)
		return 0;
	r->periodic = 1;
	r->period_s = P / 1000.0;
	r->runs = (uint64_t)hits;
	r->cycles = (uint64_t)K;
	r->first_ms = (int64_t)tk[0].t;
	r->last_ms = (int64_t)tk[hits - 1].t;
	r->spread_s = 0;
	if (nint > 1) {
		double mean = sum / (double)nint;

		r->spread_s = sqrt(fmax(sum2 / (double)nint - mean * mean, 0)) / 1000.0;
	}
	return 1;
}

/*
 * The interval test, for jobs that drift ("sleep 60" loops): most intervals
 * between firings are close to one, two or three periods, far more than
 * exponential intervals of the same mean would be, and the one-period
 * intervals cover at least half of the span. iv: the n - 1 intervals, in
 * any order (left permuted).
 */
static int
interval_test(const int64_t *t, size_t n, int64_t *iv, double P0, struct period_result *r)
{
	double span = (double)(t[n - 1] - t[0]), P, w, mu, preg = 0, z, sum = 0, sum2 = 0;
	size_t lo = 0, hi = n - 1, regular = 0, single = 0;
	int64_t first = 0, last = 0;

	if (P0 < 0.9 * PERIOD_MIN_MS || P0 > 1.1 * PERIOD_MAX_MS)
		return 0;
	/*
	 * refine: the median of the intervals within 20 % of the candidate,
	 * whose ranks among all the intervals run from lo to hi
	 */
	for (size_t i = 0; i + 1 < n; i++) {
		lo += (double)iv[i] < 0.8 * P0;
		hi -= (double)iv[i] > 1.2 * P0;
	}
	if (hi <= lo)
		return 0;
	P = (double)sort_select_i64(iv, n - 1, (lo + hi - 1) / 2);
	if (P < 0.9 * PERIOD_MIN_MS || P > 1.1 * PERIOD_MAX_MS || span < PERIOD_MIN_RUNS * P)
		return 0;
	w = fmax(1000.0, 0.05 * P);
	for (size_t i = 0; i + 1 < n; i++) {
		double d = (double)(t[i + 1] - t[i]);
		long m = nearest(d / P);

		if (m < 1 || m > 3 || fabs(d - (double)m * P) > w)
			continue;
		if (regular == 0)
			first = t[i];
		last = t[i + 1];
		regular++;
		if (m == 1) {
			single++;
			sum += d;
			sum2 += d * d;
		}
	}
	mu = span / (double)(n - 1);
	for (int m = 1; m <= 3; m++)
		preg += exp(-((double)m * P - w) / mu) - exp(-((double)m * P + w) / mu);
	z = ((double)regular - (double)(n - 1) * preg) /
	    sqrt(fmax((double)(n - 1) * preg * (1 - preg), 1e-9));
	if ((double)regular < 0.8 * (double)(n - 1) || single < PERIOD_MIN_RUNS ||
	    (double)single < 0.5 * span / P || z < 4)
		return 0;
	r->periodic = 1;
	r->period_s = sum / (double)single / 1000.0;
	r->spread_s = sqrt(fmax(sum2 / (double)single - (sum / (double)single) *
	    (sum / (double)single), 0)) / 1000.0;
	r->runs = single + 1;
	r->cycles = (uint64_t)(span / P) + 1;
	r->first_ms = first;
	r->last_ms = last;
	return 1;
}

void
period_detect(const int64_t *t, size_t n, struct period_result *r)
{
	int64_t *d;
	int64_t med, mode;
	struct tick *tk;

	memset(r, 0, sizeof(*r));
	if (n < PERIOD_MIN_RUNS)
		return;
	if (n > PERIOD_MAX_SAMPLES) {
		t += n - PERIOD_MAX_SAMPLES;
		n = PERIOD_MAX_SAMPLES;
	}
	/* both tests below want PERIOD_MIN_RUNS - 1 periods of 0.9 PERIOD_MIN_MS at least */
	if ((double)(t[n - 1] - t[0]) < (PERIOD_MIN_RUNS - 1) * 0.9 * PERIOD_MIN_MS)
		return;
	d = malloc((n - 1) * sizeof(*d));
	tk = malloc(n * sizeof(*tk));
	if (d == NULL || tk == NULL) {
		free(d);
		free(tk);
		return;
	}
	for (size_t i = 0; i + 1 < n; i++)
		d[i] = t[i + 1] - t[i];
	mode = mode_interval(d, n - 1);
	med = sort_select_i64(d, n - 1, (n - 1) / 2);
	/*
	 * The mode is tried whenever it differs from the median: a job that logs
	 * twice in some runs, or other lines of its template, pull the median a
	 * few percent below the period, and a few percent over 50 cycles is
	 * enough to lose the grid.
	 */
	if (!test_candidate(t, n, (double)med, r, tk) && !interval_test(t, n, d, (double)med, r) &&
	    mode > 0 && mode != med && !test_candidate(t, n, (double)mode, r, tk))
		interval_test(t, n, d, (double)mode, r);
	free(d);
	free(tk);
}
