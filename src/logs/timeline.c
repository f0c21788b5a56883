/*
 * timeline.c - see timeline.h.
 */
#include <string.h>

#include "logs/timeline.h"

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int
timeline_fit(struct timeline *t, int64_t ts, struct timeline *old)
{
	int64_t lo, hi, w, origin;

	if (t->width == 0) {
		t->width = 1000;
		t->origin = floor_div(ts, 1000) * 1000 - (TIMELINE_BINS / 8) * 1000;
		return 0;
	}
	if (ts >= t->origin && ts < t->origin + TIMELINE_BINS * t->width)
		return 0;
	*old = *t;
	lo = ts < t->origin ? ts : t->origin;
	hi = t->origin + TIMELINE_BINS * t->width - 1;
	if (ts > hi)
		hi = ts;
	w = t->width;
	do {
		w *= 2;
		origin = floor_div(lo, w) * w;
	} while (hi >= origin + TIMELINE_BINS * w && w < (INT64_MAX / 4) / TIMELINE_BINS);
	t->width = w;
	t->origin = origin;
	return 1;
}

void
timeline_remap(const struct timeline *old, const struct timeline *t, uint32_t *bins)
{
	uint32_t tmp[TIMELINE_BINS];

	memset(tmp, 0, sizeof(tmp));
	for (size_t i = 0; i < TIMELINE_BINS; i++) {
		int64_t at;
		size_t j;

		if (bins[i] == 0)
			continue;
		at = old->origin + (int64_t)i * old->width;
		j = (size_t)floor_div(at - t->origin, t->width);
		if (j < TIMELINE_BINS)
			tmp[j] += bins[i];
	}
	memcpy(bins, tmp, sizeof(tmp));
}

void
timeline_used(const uint32_t *bins, size_t *lo, size_t *hi)
{
	size_t a = 0, b = TIMELINE_BINS;

	while (a < b && bins[a] == 0)
		a++;
	while (b > a && bins[b - 1] == 0)
		b--;
	*lo = a;
	*hi = b;
}
