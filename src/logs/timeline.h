/*
 * timeline.h - one shared time axis for every per-template series.
 *
 * TIMELINE_BINS bins of equal width starting at origin. The axis starts at
 * one-second bins around the first time stamp and, when a time stamp falls
 * outside, doubles its bin width (re-anchored on a multiple of the new
 * width) until both the old range and the new point fit; the owner of each
 * series then folds its bins with timeline_remap(). A series is therefore a
 * fixed TIMELINE_BINS counters whatever the span of the log: a day of log
 * gives 256-second bins, a year about 17-hour bins.
 */
#ifndef BRACE_LOGS_TIMELINE_H
#define BRACE_LOGS_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#define TIMELINE_BINS 512

struct timeline {
	int64_t origin;         /* ms; start of bin 0 */
	int64_t width;          /* ms; 0 = no time stamp seen yet */
};

/*
 * Make ts fit. Returns 0 when the axis is unchanged, 1 when it changed (the
 * previous axis is stored in *old: remap every series from it).
 */
int timeline_fit(struct timeline *t, int64_t ts, struct timeline *old);
/* Bin of ts (which must fit). */
static inline size_t
timeline_bin(const struct timeline *t, int64_t ts)
{
	return (size_t)((ts - t->origin) / t->width);
}
/* Fold bins laid out on old onto t (whose width is a multiple of old's). */
void timeline_remap(const struct timeline *old, const struct timeline *t, uint32_t *bins);
/* Bins from the first to the last non-zero one across [lo, hi). */
void timeline_used(const uint32_t *bins, size_t *lo, size_t *hi);

#endif
