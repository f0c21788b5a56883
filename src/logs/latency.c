/*
 * latency.c - see latency.h.
 */
#include <string.h>

#include "logs/latency.h"

size_t
latency_bucket(uint32_t us)
{
	unsigned e;

	if (us < 8)
		return us;
	e = 31u - (unsigned)__builtin_clz(us);
	return 4 * (e - 1) + ((us >> (e - 2)) & 3);
}

void
latency_bucket_range(size_t b, double *lo, double *hi)
{
	unsigned e;

	if (b < 8) {
		*lo = (double)b;
		*hi = (double)b + 1;
		return;
	}
	e = (unsigned)(b / 4) + 1;
	*lo = (double)((4 + b % 4) << (e - 2));
	*hi = *lo + (double)(1ull << (e - 2));
}

void
latency_add(struct latency *l, uint32_t us, uint32_t up_us)
{
	l->n++;
	l->sum_us += us;
	if (us > l->max_us)
		l->max_us = us;
	l->h[latency_bucket(us)]++;
	if (up_us != UINT32_MAX) {
		l->up_n++;
		l->up_sum_us += up_us;
	}
}

void
latency_merge(struct latency *to, const struct latency *from)
{
	to->n += from->n;
	to->sum_us += from->sum_us;
	to->up_n += from->up_n;
	to->up_sum_us += from->up_sum_us;
	if (from->max_us > to->max_us)
		to->max_us = from->max_us;
	for (size_t i = 0; i < LATENCY_BUCKETS; i++)
		to->h[i] += from->h[i];
}

double
latency_quantile(const uint32_t *h, uint64_t n, double q)
{
	double rank, seen = 0, lo, hi;

	if (n == 0)
		return 0;
	rank = q * (double)n;
	for (size_t b = 0; b < LATENCY_BUCKETS; b++) {
		if (h[b] == 0)
			continue;
		if (seen + h[b] >= rank) {
			latency_bucket_range(b, &lo, &hi);
			/* the bucket's requests spread evenly over its range */
			return lo + (hi - lo) * (rank - seen) / h[b];
		}
		seen += h[b];
	}
	latency_bucket_range(LATENCY_BUCKETS - 1, &lo, &hi);
	return hi;
}

double
latency_q(const struct latency *l, double q)
{
	double v = latency_quantile(l->h, l->n, q);

	return v > l->max_us ? l->max_us : v;
}
