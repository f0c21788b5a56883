/*
 * events.h - what the load balancer tells the journal (and the log).
 *
 * Workers must never wait on SQLite's busy timeout, so events go through
 * the journal's asynchronous writer (core/journal_async), whose queue is
 * bounded. Every event is also logged at once.
 */
#ifndef BRACE_LB_EVENTS_H
#define BRACE_LB_EVENTS_H

#include <stdint.h>

struct server;
struct pool;

/* Start the writer (journal path NULL = the default; off = log only). */
void events_start(const char *journal_path, int off);
/* Is there a journal to write to? */
int events_on(void);
/* Write what is queued and stop the writer. */
void events_stop(void);

/*
 * sv came back (up) or went down, for the reason fmt says: logged, and
 * journaled as server_up / server_down with pool, server, address, reason.
 */
void events_server(struct server *sv, int up, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Pool p went into panic (on: healthy of total servers is below its
 * threshold, health is ignored) or out of it: logged, and journaled as
 * pool_panic / pool_panic_over with pool, healthy, total and threshold.
 */
void events_panic(struct pool *p, int on, int healthy, int total);
/* Requests of pool p waited past the queue timeout (one event per 10 s at most). */
void events_queue_timeout(struct pool *p);
/*
 * One point of a time series (source lb), through the same writer: never
 * waits; dropped and counted when the queue is full, nothing when off.
 */
void events_sample(int64_t ts_ms, const char *series, const char *labels, double value);
/* Any other event: kind (e.g. "reload"), severity, subject. */
void events_record(const char *kind, const char *severity, const char *subject,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
