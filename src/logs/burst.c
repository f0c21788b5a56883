/*
 * burst.c - see burst.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "logs/burst.h"

#define BURST_AROUND 16

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/*
 * The baseline of bin i: the mean of the bins around it (BURST_AROUND on
 * each side, the three bins at i left out), so a day-shaped series is judged
 * against its own hour rather than the night; never below the series'
 * median.
 */
static double
local_base(const uint32_t *bins, size_t lo, size_t hi, size_t i, double median)
{
	size_t a = i > lo + BURST_AROUND ? i - BURST_AROUND : lo;
	size_t b = i + BURST_AROUND + 1 < hi ? i + BURST_AROUND + 1 : hi;
	double sum = 0;
	size_t n = 0;

	for (size_t k = a; k < b; k++) {
		if (k + 1 >= i && k <= i + 1)
			continue;
		sum += bins[k];
		n++;
	}
	return fmax(median, n ? sum / (double)n : 0);
}

static double
threshold(double base)
{
	return fmax(fmax(5.0, 4.0 * base), base + 5.0 * sqrt(base + 1.0));
}

size_t
burst_detect(const uint32_t *bins, const struct timeline *tl, struct burst *out, size_t max)
{
	uint32_t sorted[TIMELINE_BINS];
	size_t lo, hi, n, nb = 0;
	double median;

	if (tl->width == 0)
		return 0;
	timeline_used(bins, &lo, &hi);
	n = hi - lo;
	if (n < 3)
		return 0;
	memcpy(sorted, bins + lo, n * sizeof(*bins));
	qsort(sorted, n, sizeof(*sorted), cmp_u32);
	median = sorted[n / 2];
	for (size_t i = lo; i < hi && nb < max;) {
		size_t j, end, peak;
		uint64_t ev = 0;
		double base;

		if (bins[i] < threshold(median) ||
		    bins[i] < threshold(base = local_base(bins, lo, hi, i, median))) {
			i++;
			continue;
		}
		peak = i;
		end = i;
		for (j = i + 1; j < hi && j <= end + 2; j++)
			if ((double)bins[j] >= threshold(base))
				end = j;
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
