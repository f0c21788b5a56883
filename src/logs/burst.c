/*
 * burst.c - see burst.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "logs/burst.h"

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

size_t
burst_detect(const uint32_t *bins, const struct timeline *tl, struct burst *out, size_t max)
{
	uint32_t sorted[TIMELINE_BINS];
	size_t lo, hi, n, nb = 0;
	double base, thr;

	if (tl->width == 0)
		return 0;
	timeline_used(bins, &lo, &hi);
	n = hi - lo;
	if (n < 3)
		return 0;
	memcpy(sorted, bins + lo, n * sizeof(*bins));
	qsort(sorted, n, sizeof(*sorted), cmp_u32);
	base = sorted[n / 2];
	thr = fmax(fmax(5.0, 4.0 * base), base + 5.0 * sqrt(base + 1.0));
	for (size_t i = lo; i < hi && nb < max;) {
		size_t j, end, peak;
		uint64_t ev = 0;

		if (bins[i] < thr) {
			i++;
			continue;
		}
		peak = i;
		end = i;
		for (j = i; j < hi; j++) {
			if (bins[j] >= thr)
				end = j;
			else if (j > end + 1)
				break;
		}
		for (j = i; j <= end; j++) {
			ev += bins[j];
			if (bins[j] > bins[peak])
				peak = j;
		}
		out[nb].start_ms = tl->origin + (int64_t)i * tl->width;
		out[nb].end_ms = tl->origin + (int64_t)(end + 1) * tl->width;
		out[nb].peak_ms = tl->origin + (int64_t)peak * tl->width;
		out[nb].peak = bins[peak];
		out[nb].events = ev;
		out[nb].baseline = base;
		nb++;
		i = end + 1;
	}
	return nb;
}
