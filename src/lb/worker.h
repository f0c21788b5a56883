/*
 * worker.h - one event loop per thread.
 *
 * A worker owns an epoll instance, its own SO_REUSEPORT listening socket per
 * bind address (the kernel spreads new connections over them), its client
 * streams, its idle server connections, its buffer, pipe and object pools and its
 * timer lists, so the hot path takes no lock and allocates nothing once the
 * pools are warm. What it shares with other threads: the configuration
 * (read-only), the servers' runtime states (atomics), the pool queues (a
 * mutex at saturation) and its inbox, through which other workers hand it
 * server slots for its queued streams.
 */
#ifndef BRACE_LB_WORKER_H
#define BRACE_LB_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "lb/config.h"
#include "lb/http.h"
#include "lb/lbuf.h"
#include "lb/lconn.h"
#include "lb/lpipe.h"
#include "lb/timer.h"

struct sample_count;
struct sconn;
struct ssl_session_st;
struct stream;

/* A listening socket of a worker, for one bind address of a frontend. */
struct listener {
	struct lconn c;
	struct frontend *fe;
};

/* Per worker, per server state. */
struct srv_local {
	struct sconn *idle;             /* most recently used first */
	int nidle;
	int64_t cw;                     /* smooth weighted round robin */
	struct ssl_session_st *tls_session;     /* the last TLS session with it, to resume */
};

/* Timer lists of a frontend and of a pool, per worker (one per timeout value). */
struct fe_timers {
	struct tlist request, client, tunnel, handshake;
};

struct pool_timers {
	struct tlist queue, connect, server, idle;
};

struct worker {
	int id;
	pthread_t th;
	_Atomic int stop_req;           /* this worker's generation is being replaced */
	int epfd;
	struct lb_config *cfg;
	int64_t now;                    /* monotonic ms, refreshed each loop */
	struct listener *listeners;
	int nlisteners;
	int accept_paused;
	int listen_ready;               /* a listener may have more to accept */
	struct lconn wake;              /* eventfd: stop requests, queue handovers */
	struct timer accept_tmr;
	struct fe_timers *fet;          /* by frontend index */
	struct pool_timers *pt;         /* by pool index */
	struct tlist t_linger, t_accept, t_grace;
	struct tlist **lists;           /* all of the above, for the loop */
	int nlists;
	struct lbuf_pool bufs;
	struct lpipe_pool pipes;        /* for splicing bodies; max 0 when splicing is off */
	struct stream *freestreams;
	struct sconn *freesconns;
	struct srv_local *sl;           /* by server index */
	struct sample_count *samples;   /* by pool index, then npools + server index (sample.h) */
	pthread_mutex_t inbox_lock;
	struct stream *inbox;           /* streams handed a server slot by another worker */
	struct stream *runq;            /* streams handed a slot by this worker */
	struct stream *streams;         /* live streams */
	struct stream *dead_streams;    /* freed this loop turn, recycled after it */
	struct sconn *dead_sconns;
	int nstreams;
	int stopping;
	uint64_t rng;
	struct http_hdr hdrs[LB_MAX_HDRS];
	struct buf alog;                /* access log lines not written yet */
	int64_t alog_flushed;
	int alog_dropped;
	time_t alog_sec;
	char alog_stamp[40];
};

/* Client connections open in every worker of every generation (maxconn caps it). */
extern _Atomic int worker_nclients;
/* Set once brace lb stops for good: idle clients are closed at once, not lingered. */
extern _Atomic int worker_shutdown;

/*
 * Prepare w (id, cfg and listeners set, the rest zero) and start its thread:
 * epoll, the wake-up eventfd, the timer lists, per-server state. 0, or -1
 * with errno; what was made is given back by worker_release().
 */
int worker_start(struct worker *w);
/* Wake w's loop (its inbox has streams, or it must look at stop_req). Any thread. */
void worker_wake(struct worker *w);
/* (Re)arm t on list l of w, from w's current time. */
void worker_arm(struct worker *w, struct timer *t, struct tlist *l);
/* Register c with w's epoll (edge-triggered, both directions): 0 or -1 with errno. */
int worker_watch(struct worker *w, struct lconn *c);
/* After the thread is joined (or never started): give back what the worker allocated. */
void worker_release(struct worker *w);

#endif
