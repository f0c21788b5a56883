/*
 * server.h - servers and pools at run time: slots, the wait queue, passive
 * health, counters, and the registry that carries them over a reload.
 *
 * A server's maxconn is a count of connections serving a request (HTTP) or
 * a session (TCP), kept in an atomic shared by all workers: taking a slot is
 * a compare-and-swap, never a lock. When every eligible server of a pool is
 * full, the stream waits in the pool's FIFO queue (a mutex, touched only at
 * saturation). Whoever frees a slot while someone waits hands one straight
 * to the head of the queue, through the waiter's worker inbox and eventfd
 * when it belongs to another thread. Both sides change their counter first
 * and then look at the other's (sequentially consistent atomics), so a freed
 * slot and a new waiter can never miss each other.
 *
 * Runtime states (srv_state, pool_state) are found by name when a
 * configuration is attached, so health, drain and counters survive a
 * reload; the registry itself is touched by the main thread only.
 */
#ifndef BRACE_LB_SERVER_H
#define BRACE_LB_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "lb/config.h"
#include "lb/sample.h"

struct stream;
struct worker;

/* What an operator asked of a server through the admin API. */
enum srv_admin { ADM_READY = 0, ADM_DRAIN, ADM_MAINT };

/* Response status classes counted per server: 1xx..5xx, and "other". */
#define LB_CLASSES 6

/*
 * A server's life, shared by every worker and carried across reloads (by
 * pool name, server name and address): its slots, its health, what an
 * operator said about it, and its counters. All shared fields are atomics.
 */
struct srv_state {
	struct srv_state *next;         /* registry (main thread only) */
	int refs;                       /* configurations using it (main thread only) */
	char pool[LB_NAME_LEN], name[LB_NAME_LEN], addr[LB_ADDR_LEN];
	_Atomic int active;             /* connections serving a request or session */
	_Atomic int idle;               /* idle pooled connections, all workers */
	_Atomic int fails;              /* consecutive failures seen by requests */
	_Atomic int64_t down_until;     /* monotonic ms; a passive rest */
	_Atomic int check_down;         /* the active check says down */
	_Atomic int admin;              /* enum srv_admin */
	_Atomic int64_t up_since;       /* monotonic ms it last came back (slow start) */
	_Atomic uint64_t requests;
	_Atomic uint64_t responses[LB_CLASSES];
	_Atomic uint64_t failures;      /* connect errors, resets, bad or no answers */
	_Atomic uint64_t retries;       /* requests sent elsewhere after it failed */
	_Atomic uint64_t bytes_in;      /* from clients, through to it */
	_Atomic uint64_t bytes_out;     /* from it, through to clients */
	_Atomic uint64_t downs;         /* times it went down */
	/* the health checker's own (one thread) */
	int check_ok, check_ko;
	char check_msg[96];
	struct sample_sums sums;        /* the main thread's, for the journal's samples */
};

#define LB_HIST_BUCKETS 14

/* Streams waiting for a slot on a pool's servers, oldest first. */
struct waitq {
	pthread_mutex_t lock;
	struct stream *head, *tail;
	_Atomic int n;                  /* read without the lock: "anyone waiting?" */
};

/* A pool's shared life: the wait queue and its histograms. */
struct pool_state {
	struct pool_state *next;        /* registry (main thread only) */
	int refs;
	char name[LB_NAME_LEN];
	struct waitq q;
	_Atomic uint64_t queue_hist[LB_HIST_BUCKETS + 1];     /* ms buckets, last = +Inf */
	_Atomic uint64_t queue_sum_us;
	_Atomic uint64_t resp_hist[LB_HIST_BUCKETS + 1];
	_Atomic uint64_t resp_sum_us;
	_Atomic uint64_t queue_timeouts;
	_Atomic int64_t overflow_said;  /* monotonic ms of the last queue_overflow event */
	_Atomic int all_down;           /* last seen: every server out */
	_Atomic int panic;              /* too few healthy servers: health is ignored */
	_Atomic uint64_t panics;        /* times it went into panic */
	_Atomic int q_peak;             /* the longest queue since the last sample */
	struct sample_sums sums;        /* the main thread's, for the journal's samples */
};

/* Upper bounds of the histogram buckets, in seconds (the last bucket is +Inf). */
extern const double server_hist_bounds[LB_HIST_BUCKETS];

/*
 * Give every pool and server of cfg its runtime state: the one of the same
 * name (and, for a server, pool and address) from a configuration attached
 * before, or a new one. Main thread only. 0, or -1 with err set when memory
 * is out; cfg may then hold some states: server_states_detach() gives them
 * back.
 */
int server_states_attach(struct lb_config *cfg, char *err);
/* cfg no longer runs: drop its references, free states no configuration uses. */
void server_states_detach(struct lb_config *cfg);

/* Take a slot on sv if it has one free (always, without maxconn): 1 taken, 0 full. */
int server_take_slot(struct server *sv);
/*
 * Hand free slots of the pool to waiters, oldest first, while a server has
 * one (least connections on shared counters: the waiter may belong to any
 * worker or configuration). Takes the queue lock.
 */
void server_kick_queue(struct worker *w, struct pool_state *ps);

/*
 * Give back a slot taken on sv and, if someone waits in its pool's queue,
 * hand free slots on. Inline: every request ends with it, and the queue is
 * looked at only when it is not empty.
 */
static inline void
server_release(struct worker *w, struct server *sv)
{
	struct pool_state *ps = sv->pool->st;

	atomic_fetch_sub(&sv->st->active, 1);
	if (atomic_load(&ps->q.n) > 0)
		server_kick_queue(w, ps);
}

/*
 * Put s (s->pool set, no slot) at the tail of its pool's queue. If it is
 * the only waiter and a slot came free meanwhile, it is handed one at once
 * (through the worker's run queue). The stream's timer is the caller's.
 */
void server_enqueue(struct stream *s);
/* 1 if s was still waiting (now out of the queue), 0 if a slot is already on its way. */
int server_dequeue_waiting(struct stream *s);

/* May sv take new requests now? (health, admin state, passive rest) */
int server_is_up(const struct worker *w, const struct server *sv);
/* sv's weight now, 16 times finer than configured: lower during a slow start. */
int server_weight(const struct worker *w, const struct server *sv);
/* A request went well on sv: the count of consecutive failures starts over. */
void server_note_ok(struct server *sv);
/*
 * A request failed on sv (connect error, reset, bad answer, timeout):
 * counted as a failure and, after the pool's passive-fall in a row, the
 * server goes down: until its check passes again, or for passive-rest when
 * the pool has no check.
 */
void server_note_fail(struct worker *w, struct server *sv);
/* sv answered 5xx in a pool with passive-5xx: the same passive marking, not a failure. */
void server_note_5xx(struct worker *w, struct server *sv);
/*
 * How many servers of p are healthy at now (monotonic ms): up by the check
 * and not resting. *total gets how many count at all: a server of weight 0
 * or set to drain or maint by an operator is neither.
 */
int server_pool_health(const struct pool *p, int64_t now, int *total);
/*
 * Look at p's health and put it in or out of panic: below panic-threshold
 * percent of healthy servers, the balancer ignores health and spreads over
 * every server an operator left ready (as Envoy does), so that wrong health
 * marks cannot take a whole pool out. A change is logged and journaled
 * (pool_panic / pool_panic_over). Any thread; called on every health
 * change and once a second by the main thread.
 */
void server_pool_check(struct pool *p, int64_t now);
/* Is p in panic (health ignored)? */
static inline int
server_pool_panic(const struct pool *p)
{
	return atomic_load_explicit(&p->st->panic, memory_order_relaxed);
}
/* Count a queue time and/or a response time (us; < 0: none) into p's histograms. */
void server_observe(struct pool *p, int64_t queue_us, int64_t resp_us);

#endif
