/*
 * run_backoff.h - random delays for brace run: jitter before a job, and
 * exponential backoff with jitter between gate checks and between retries.
 *
 * Randomness comes from getrandom(2), so fifty machines started by the same
 * cron minute (with the same pid and the same clock) still pick different
 * delays. The functions are pure apart from that draw, which keeps their
 * bounds easy to test.
 */
#ifndef BRACE_RUN_BACKOFF_H
#define BRACE_RUN_BACKOFF_H

#include <stdint.h>

/* A uniform random integer in [0, max] (max >= 0; 0 for max <= 0). */
int64_t run_backoff_random(int64_t max);

/*
 * The delay before try number attempt (1 for the first wait): base_ms doubled
 * for each earlier attempt and capped at cap_ms, then "equal jitter": a
 * uniform pick in [d/2, d]. Never negative; 0 when base_ms <= 0.
 */
int64_t run_backoff_delay(int64_t base_ms, int attempt, int64_t cap_ms);

#endif
