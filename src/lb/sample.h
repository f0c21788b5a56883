/*
 * sample.h - the load balancer's time series in the journal.
 *
 * Every sample-interval (10 s by default, 0 = off) brace lb writes, per
 * pool and per server, what the interval saw: requests answered, responses
 * by status class, errors, retries, the queue (length, peak, timeouts),
 * active server connections, and latency p50/p99 (docs/lb.md, "Time
 * series"). Counts are deltas over the interval, not running totals.
 *
 * The hot path takes no lock and shares no cache line: each worker counts
 * into its own array (one struct sample_count per pool, then per server, by
 * index in its configuration), with relaxed atomic loads and stores that
 * only it makes. Latency goes into a small fixed histogram per pool and
 * server: 40 buckets, two per octave from 128 us to 67 s, so a percentile
 * is within a fifth of the truth. The main thread adds the workers' arrays
 * up (sample_collect_*), keeping per runtime state (srv_state,
 * pool_state) what workers that have exited had counted and what the last
 * sample said, subtracts, and hands rows to the journal's asynchronous
 * writer (events.c): no worker ever waits on it.
 */
#ifndef BRACE_LB_SAMPLE_H
#define BRACE_LB_SAMPLE_H

#include <stdatomic.h>
#include <stdint.h>

#include "lb/config.h"

#define SAMPLE_BUCKETS 40

struct worker;

/* What one worker counted for one pool or server, since it started. */
struct sample_count {
	_Atomic uint64_t answered;              /* HTTP: answers; TCP: relays started */
	_Atomic uint64_t cls[4];                /* 2xx, 3xx, 4xx, 5xx */
	_Atomic uint64_t lat[SAMPLE_BUCKETS];   /* response times */
};

/* The same, added up over workers (main thread only), with the shared counters' values. */
struct sample_total {
	uint64_t answered, cls[4], lat[SAMPLE_BUCKETS];
	uint64_t errors, retries, queue_timeouts;
};

/* A pool's or a server's sums: exited workers', the sum being made, and the last written. */
struct sample_sums {
	struct sample_total retired, cur, prev;
};

/* The histogram bucket of a latency in microseconds. */
static inline int
sample_bucket(int64_t us)
{
	int o, b;

	if (us < 128)
		return 0;
	if (us >= (int64_t)1 << 26)
		return SAMPLE_BUCKETS - 1;
	o = 63 - __builtin_clzll((unsigned long long)us);          /* 7 .. 25 */
	b = 1 + (o - 7) * 2 + (int)((us >> (o - 1)) & 1);
	return b;
}

/* Lower bound of bucket b in microseconds; sample_bucket_lo(SAMPLE_BUCKETS) is the end. */
int64_t sample_bucket_lo(int b);
/*
 * The q-quantile (0 < q <= 1) of n latencies counted in hist, in
 * milliseconds, interpolated within its bucket; -1 when n is 0.
 */
double sample_quantile(const uint64_t *hist, uint64_t n, double q);

/* Give w its counters (npools + nservers of its configuration): 0, or -1 when memory is out. */
int sample_worker_init(struct worker *w);
void sample_worker_release(struct worker *w);

/* Only w's own thread writes its counters: a relaxed load and store, no locked add. */
static inline void
sample_bump(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
	    memory_order_relaxed);
}

/*
 * Count an answer for pool p (and server sv, if one was involved): status
 * (0 for a TCP relay started) and the time it took in us. The worker's
 * thread only; p and sv belong to w's configuration.
 */
void sample_answer(struct worker *w, const struct pool *p, const struct server *sv, int status,
    int64_t us);

/*
 * Main thread. A sample is made in three steps: sample_collect_start() for
 * the configuration of every generation still running (its states' sums
 * start from what exited workers counted), sample_collect_worker() for
 * every live worker, then sample_write() for the current configuration: the
 * deltas since the last write go to the journal with time stamp ts_ms.
 */
void sample_collect_start(struct lb_config *cfg);
void sample_collect_worker(struct worker *w);
void sample_write(struct lb_config *cfg, int64_t ts_ms);
/* A worker has exited and is about to be freed: keep what it counted. */
void sample_retire(struct worker *w);

#endif
