/*
 * burst.h - windows where a template's rate is far above its own baseline.
 *
 * On a series of TIMELINE_BINS counters, a bin is hot when its count is at
 * least max(5, 4 b, b + 5 sqrt(b + 1)) both for b = the median of the bins
 * between the template's first and last occurrence and for b = the mean
 * of the 32 bins around it (so daily peaks of day-shaped traffic are not
 * bursts); hot bins up to two apart make one burst, reported with its
 * start, end, peak bin and peak count.
 */
#ifndef BRACE_LOGS_BURST_H
#define BRACE_LOGS_BURST_H

#include <stddef.h>
#include <stdint.h>

#include "logs/timeline.h"

struct burst {
	int64_t start_ms, end_ms, peak_ms;
	uint32_t peak;          /* events in the peak bin */
	uint64_t events;        /* events in the burst */
	double baseline;        /* median events per bin */
};

/* Up to max bursts of the series, in time order; returns how many. */
size_t burst_detect(const uint32_t *bins, const struct timeline *tl, struct burst *out,
    size_t max);

#endif
