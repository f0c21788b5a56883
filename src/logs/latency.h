/*
 * latency.h - how long requests took, in a fixed amount of memory.
 *
 * A histogram of LATENCY_BUCKETS counters over microseconds: exact below
 * 8 µs, then four buckets per power of two (each at most 25 % wide, so a
 * quantile read from it, interpolated inside its bucket, is within about
 * 12 % of the true one), up to 2^32 µs (71 minutes). Beside it the count,
 * the sum and the maximum, and the upstream server's share when the log
 * says it. One per template of a digest (at most DIGEST_LAT_MAX of them),
 * and one per time bin for the latency over time.
 */
#ifndef BRACE_LOGS_LATENCY_H
#define BRACE_LOGS_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#define LATENCY_BUCKETS 124

struct latency {
	uint64_t n;             /* requests with a time */
	uint64_t sum_us;
	uint64_t up_n;          /* of them, with an upstream time */
	uint64_t up_sum_us;
	uint32_t max_us;
	uint32_t h[LATENCY_BUCKETS];
};

/* The bucket of a time in microseconds. */
size_t latency_bucket(uint32_t us);
/* The bucket's range [lo, hi) in microseconds. */
void latency_bucket_range(size_t b, double *lo, double *hi);
/*
 * Count one request: us its time (the request's, else the upstream's),
 * up_us the upstream's part or UINT32_MAX when the log does not say.
 */
void latency_add(struct latency *l, uint32_t us, uint32_t up_us);
/* Add from's counts to to's. */
void latency_merge(struct latency *to, const struct latency *from);
/*
 * The q-quantile (0 < q <= 1) of counts h[0, LATENCY_BUCKETS) holding n
 * requests, in microseconds, interpolated inside its bucket; 0 when n is 0.
 */
double latency_quantile(const uint32_t *h, uint64_t n, double q);
/* The same for a struct latency, never above its maximum. */
double latency_q(const struct latency *l, double q);

#endif
