/*
 * lb.h - the types the load balancer's modules share.
 *
 * brace lb runs one event loop per worker thread (worker.c). Each worker owns
 * its listening socket (SO_REUSEPORT), its client streams, its idle server
 * connections and its buffer and object pools, so the hot path takes no lock
 * and allocates nothing once the pools are warm. What threads share is the
 * configuration (read-only after start) and, per server, a few atomic
 * counters; the FIFO of requests waiting for a server slot takes a mutex, but
 * only when a server is at maxconn.
 *
 *   stream   one client connection and, while a request is in flight, the
 *            server connection it uses (proxy.c for HTTP, relay.c for bytes)
 *   sconn    one server connection: attached to a stream, or idle in the
 *            worker's pool for its server (backend.c)
 *   lbuf     a fixed-size pooled buffer (buffer.c)
 */
#ifndef BRACE_LB_LB_H
#define BRACE_LB_LB_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/types.h>
#include <time.h>

#include "core/buf.h"
#include "lb/config.h"
#include "lb/http.h"
#include "lb/timer.h"

#define LB_BUFSIZE      16384   /* like HAProxy's tune.bufsize */
#define LB_MAX_HDRS     100

/* ---- buffers (buffer.c) ---- */

struct lbuf {
	struct lbuf *next;      /* free list link */
	uint32_t head;          /* first unread byte */
	uint32_t tail;          /* one past the last byte */
	char data[LB_BUFSIZE];
};

struct worker;

/* A buffer from the worker's pool (NULL when memory is out), and back. */
struct lbuf *lbuf_get(struct worker *w);
void lbuf_release(struct worker *w, struct lbuf *b);
/* Give *b back if it holds nothing, so idle streams hold no memory. */
void lbuf_drop_empty(struct worker *w, struct lbuf **b);
/* Move unread bytes to the front so the tail has room. */
void lbuf_compact(struct lbuf *b);

static inline uint32_t lbuf_len(const struct lbuf *b) { return b->tail - b->head; }
static inline uint32_t lbuf_room(const struct lbuf *b) { return LB_BUFSIZE - b->tail; }
static inline char *lbuf_rptr(struct lbuf *b) { return b->data + b->head; }

/* Append n bytes at the tail; -1 when they do not fit. */
static inline int
lbuf_add(struct lbuf *b, const char *p, size_t n)
{
	if (n > lbuf_room(b))
		return -1;
	memcpy(b->data + b->tail, p, n);
	b->tail += (uint32_t)n;
	return 0;
}

#define LBUF_ADD_LIT(b, lit) lbuf_add((b), (lit), sizeof(lit) - 1)

/* ---- runtime state of pools and servers (backend.c) ---- */

/* What an operator asked of a server through the admin API. */
enum srv_admin { ADM_READY = 0, ADM_DRAIN, ADM_MAINT };

/* Response status classes counted per server: 1xx..5xx, and "other". */
#define LB_CLASSES 6

/*
 * A server's life, shared by every worker and carried across reloads (by
 * pool name, server name and address): its slots, its health, what an
 * operator said about it, and its counters. All fields are atomics.
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
	_Atomic int passive_down;       /* requests failed fall times in a row */
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
	int64_t check_next;
	char check_msg[96];
};

#define LB_HIST_BUCKETS 14

struct waitq {
	pthread_mutex_t lock;
	struct stream *head, *tail;
	_Atomic int n;
};

/* A pool's shared life: the wait queue and its histograms. */
struct pool_state {
	struct pool_state *next;
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
};

extern const double lb_hist_bounds[LB_HIST_BUCKETS];  /* seconds */

struct hash_point {
	uint64_t hash;
	int server;
};

/* ---- event loop objects ---- */

enum lconn_type { LC_LISTENER = 1, LC_CLIENT, LC_SERVER, LC_WAKE };

#define RD_IN   0x01    /* readable (edge seen, no EAGAIN since) */
#define RD_OUT  0x02    /* writable */
#define RD_HUP  0x04    /* peer closed or error reported by epoll */

/* The part of every socket the event loop knows about. */
struct lconn {
	int fd;
	uint8_t type;
	uint8_t ready;
};

/* A listening socket of a worker, for one bind address of a frontend. */
struct listener {
	struct lconn c;
	struct frontend *fe;
};

struct sconn {
	struct lconn c;
	struct worker *w;
	struct server *srv;
	struct stream *s;               /* owner, or NULL while idle */
	struct sconn *inext, *iprev;    /* idle list of the worker, per server */
	struct timer tmr;               /* idle timeout */
	uint8_t connecting;
	uint8_t reused;
	int64_t idle_since;
};

/* Stream states. */
enum {
	ST_HEAD = 0,    /* reading a request head */
	ST_QUEUED,      /* waiting for a server slot */
	ST_CONNECT,     /* server connection being set up */
	ST_FWD,         /* request and response flowing */
	ST_TUNNEL,      /* raw bytes both ways (TCP mode, WebSocket after 101) */
	ST_REPLY,       /* sending a reply of our own */
	ST_LINGER,      /* reply sent, draining the client before closing */
	ST_DEAD,
};

/* Body framing. */
enum { BODY_NONE = 0, BODY_CL, BODY_CHUNKED, BODY_CLOSE };

/* Stream flags. */
#define SF_CLI_CLOSE    0x0001  /* close the client after this response */
#define SF_REQ_FRAMED   0x0002  /* the whole request body has been seen */
#define SF_RSP_HEAD     0x0004  /* final response head parsed */
#define SF_RSP_FRAMED   0x0008  /* the whole response body has been seen */
#define SF_RSP_STARTED  0x0010  /* a response byte arrived: no more retries */
#define SF_REPLAYABLE   0x0020  /* the request can be sent again as it was */
#define SF_SRV_CLOSE    0x0040  /* do not pool the server connection */
#define SF_CLI_EOF      0x0080  /* client sent FIN */
#define SF_SRV_EOF      0x0100  /* server sent FIN */
#define SF_HEAD_REQ     0x0200  /* the request is HEAD */
#define SF_UPGRADE      0x0400  /* the request asks for a protocol upgrade */
#define SF_IDEMPOTENT   0x0800
#define SF_SHUT_SRV     0x1000  /* we sent FIN to the server (relay) */
#define SF_SHUT_CLI     0x2000  /* we sent FIN to the client (relay) */
#define SF_IN_QUEUE     0x4000
#define SF_V10          0x8000  /* HTTP/1.0 client */
#define SF_FRESH        0x10000 /* next attempt must not reuse an idle connection */
#define SF_HASHED       0x20000 /* s->hash holds a balancing key */
#define SF_IN_TRANSIT   0x40000 /* handed a slot, waiting in a worker's inbox */
#define SF_SAID_CLOSE   0x80000 /* the response head sent says Connection: close */

struct stream {
	struct lconn cli;
	struct worker *w;
	struct frontend *fe;            /* where the client came in */
	struct pool *pool;              /* where the current request goes */
	struct sconn *sc;
	struct server *srv;             /* holds a slot on it while set */
	struct lbuf *rq;                /* bytes from the client */
	struct lbuf *rs;                /* bytes from the server */
	struct lbuf *hq;                /* rewritten request head */
	struct lbuf *hs;                /* rewritten response head, or our own reply */
	struct timer tmr;
	struct stream *qnext, *qprev;   /* pool wait queue, or the worker's inbox */
	struct stream *fnext;           /* free list */
	struct stream *snext, *sprev;   /* the worker's live streams */
	uint32_t flags;
	uint8_t state;
	uint8_t req_body, rsp_body;
	uint8_t retries_left;
	uint8_t queued_state;           /* QS_* under the queue lock */
	int status;
	size_t scan;                    /* http_head_end resume point */
	uint32_t rq_sent;               /* bytes of rq written but kept for a replay */
	uint32_t rq_body;               /* bytes of rq known to belong to the body */
	uint32_t rs_body;
	uint64_t body_seen;             /* request body bytes framed so far */
	int64_t req_left, rsp_left;
	struct http_chunked req_ch, rsp_ch;
	uint64_t tried[LB_MAX_SERVERS / 64]; /* servers already tried for this request */
	uint32_t hq_sent;               /* bytes of hq written */
	uint64_t hash;                  /* balancing key, when hashing */
	int64_t t_accept, t_req;        /* monotonic ms */
	int64_t t_queued, t_sent;       /* monotonic us: queued, request sent to a server */
	int64_t t_req_us;               /* monotonic us: first byte of the request */
	struct server *srv_logged;      /* the server that answered, for the access log */
	void *logrec;                   /* what the access log keeps of the request */
	uint64_t bytes_in, bytes_out;   /* of the current request and response */
	char cip[INET6_ADDRSTRLEN];
};

/* Per worker, per server state. */
struct srv_local {
	struct sconn *idle;             /* most recently used first */
	int nidle;
	int64_t cw;                     /* smooth weighted round robin */
};

/* Timer lists of a frontend and of a pool, per worker (one per timeout value). */
struct fe_timers {
	struct tlist request, client, tunnel;
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
	struct lbuf *freebufs;
	int nfreebufs;
	struct stream *freestreams;
	struct sconn *freesconns;
	struct srv_local *sl;           /* by server index */
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

/* Global counters shared by workers. */
extern _Atomic int lb_nclients;
extern _Atomic int lb_stop;

/*
 * Write iov to c if it is writable: bytes written, 0 when it must wait (the
 * socket is full; RD_OUT is cleared and the next edge says when), -1 on an
 * error. A short write also clears RD_OUT.
 */
ssize_t lconn_writev(struct lconn *c, const struct iovec *iov, int cnt);

/* ---- worker.c ---- */
int worker_start(struct worker *w);
void worker_wake(struct worker *w);
void worker_arm(struct worker *w, struct timer *t, struct tlist *l);
int worker_watch(struct worker *w, struct lconn *c);
void worker_begin_stop(struct worker *w);
/* After the thread is joined: give back what the worker allocated. */
void worker_release(struct worker *w);

/* ---- stream.c: a client connection's life ---- */
void stream_accepted(struct worker *w, struct frontend *fe, int fd,
    const struct sockaddr_storage *ss);
/* Move s along as far as its sockets allow. */
void stream_run(struct stream *s);
void stream_timeout(struct stream *s, const struct tlist *which);
/* Close everything s holds; safe to call twice. */
void stream_free(struct stream *s);
/* Answer with one of our own replies, then close. */
void stream_reply(struct stream *s, int status);
/* Shut our side, drain the client a moment, then close. */
void stream_linger(struct stream *s);
/* Pick a server for s, or queue it; sets the state, does not run it. */
void stream_dispatch(struct stream *s);
/* s holds a slot on s->srv: attach a connection. */
void stream_server_ready(struct stream *s);
/* The server failed before answering: retry elsewhere or answer 502/504. */
void stream_server_failed(struct stream *s, int timed_out);
/* Read into rq / rs: bytes read, 0 nothing now, -1 EOF or error (flag set). */
int stream_cli_read(struct stream *s);
int stream_srv_read(struct stream *s);

static inline void
stream_arm(struct stream *s, struct tlist *l)
{
	timer_arm(&s->tmr, l, s->w->now);
}

/* The timer lists of the stream's frontend and of its current pool. */
static inline struct fe_timers *
stream_fet(const struct stream *s)
{
	return &s->w->fet[s->fe->index];
}

static inline struct pool_timers *
stream_pt(const struct stream *s)
{
	return &s->w->pt[s->pool->index];
}

/* ---- proxy.c: HTTP transactions ---- */
void proxy_head_step(struct stream *s);
void proxy_fwd_step(struct stream *s);

/* ---- relay.c (TCP mode and tunnels) ---- */
void relay_run(struct stream *s);

/* ---- backend.c ---- */
int server_take_slot(struct server *sv);
void server_release(struct worker *w, struct server *sv);
/* A request or connection went well / failed on sv (passive health). */
void server_note_ok(struct server *sv);
void server_note_fail(struct worker *w, struct server *sv);
/* May sv take new requests? (health, admin state, passive rest) */
int server_is_up(const struct worker *w, const struct server *sv);
/* Its weight now: lower during a slow start. */
int server_weight(const struct worker *w, const struct server *sv);
/* Runtime states for a new configuration, reusing those of the old by name. */
int backend_states_attach(struct lb_config *cfg, char *err);
void backend_states_detach(struct lb_config *cfg);
/* Count a response time / a queue time into the pool's histograms. */
void backend_observe(struct pool *p, int64_t queue_us, int64_t resp_us);
/* Attach a connection to s->srv: an idle one or a new one. -1 with errno. */
int backend_attach(struct stream *s);
void sconn_close(struct worker *w, struct sconn *sc);
void sconn_event(struct sconn *sc);
/* Give the stream's server connection back (pool it if reusable) and its slot. */
void backend_detach(struct stream *s, int reusable);
void backend_enqueue(struct stream *s);
/* 1 if s was still waiting (now removed), 0 if a slot is already on its way. */
int backend_dequeue_waiting(struct stream *s);
void sconn_idle_timeout(struct sconn *sc);

/* ---- balance.c ---- */
int balance_build_ring(struct pool *p, char *err);
/* Pick a server of s->pool and take a slot: 1 got one (s->srv), 0 all busy, -1 none up. */
int balance_select(struct worker *w, struct stream *s);
/* The same, by least connections on shared counters only (any worker may call it). */
int balance_select_shared(struct worker *w, struct stream *s);
uint64_t balance_hash(const void *p, size_t n);

#endif
