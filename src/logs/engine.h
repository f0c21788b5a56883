/*
 * engine.h - running the inputs through the workers into the digest.
 *
 * A single regular file that is not followed is tiled into ranges of
 * ENGINE_RANGE bytes that the threads read themselves (reader_range), so
 * the main thread only digests; a file that grows while it is read is
 * read up to the size it had when opened. Other inputs are cut by the
 * main thread into blocks of whole lines (about ENGINE_BLOCK). Worker
 * threads parse and mask blocks (work.h); the main thread folds the
 * processed blocks into the digest strictly in input order, so the
 * result is the same with one thread or many. While the block it needs
 * next is not ready, the main thread processes a queued block itself, so
 * N workers keep N + 1 cores busy. At most ENGINE_INFLIGHT blocks exist
 * at once, which bounds memory. Several inputs are merged by time (each
 * line goes out in time-stamp order; a line without one stays behind the
 * line before it in its file). With follow set, inputs are polled until
 * *stop is set and refresh() is called every interval_ms.
 */
#ifndef BRACE_LOGS_ENGINE_H
#define BRACE_LOGS_ENGINE_H

#include <signal.h>

#include "logs/digest.h"
#include "logs/reader.h"
#include "logs/work.h"

#define ENGINE_INFLIGHT 8
#define ENGINE_MAX_THREADS 8     /* worker threads at most (--threads) */
#define ENGINE_BLOCK ((size_t)1 << 20)
#define ENGINE_RANGE ((uint64_t)256 << 10)  /* a block of a file read in ranges */

struct engine_opts {
	int threads;                    /* worker threads besides the main one; 0 = none,
	                                   at most ENGINE_MAX_THREADS */
	int follow;
	int64_t interval_ms;            /* follow: refresh period */
	volatile sig_atomic_t *stop;    /* follow: set by a signal handler */
	void (*refresh)(void *arg);
	/*
	 * Called in the main thread with each block it reads from input src
	 * (one input after the other, or following; not for a file read in
	 * ranges, whose format is known before the run) before any thread
	 * parses it: the place to settle the format of a followed file from
	 * its first lines. -1 stops the run with err set.
	 */
	int (*before_block)(void *arg, int src, const char *data, size_t len, char *err);
	void *arg;
	void (*progress)(void *arg, uint64_t done, uint64_t total);
};

/*
 * Read every input to its end (or until *stop when following) and fold it
 * into d. Returns 0, or -1 with err set.
 */
int engine_run(const struct engine_opts *o, struct reader *in, int nin,
    const struct work_cfg *cfg, struct digest *d, char *err);

#endif
