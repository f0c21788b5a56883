/*
 * stream.h - a client connection and the request it carries.
 *
 * A stream is born in stream_accepted(), moves through its states under
 * stream_run(), and dies in stream_free():
 *
 *  [ST_HANDSHAKE: a TLS listener's client, until its handshake is done]
 *   ST_HEAD --> ST_QUEUED --> ST_CONNECT --> ST_FWD --> ST_HEAD (keep-alive)
 *      |          (no slot)   (new server     (request       |
 *      |                       connection)    and response)  +-> ST_TUNNEL
 *      +-> ST_REPLY --> ST_LINGER --> ST_DEAD   (our own answer, then close)
 *
 * TCP mode starts at ST_QUEUED/ST_CONNECT and ends in ST_TUNNEL. ST_CONNECT
 * includes the TLS handshake with a server that has `tls`. What HTTP
 * and TCP share lives in stream.c; the HTTP transaction is proxy.c and the
 * byte relay relay.c. A stream belongs to one worker and is touched by that
 * worker's thread only, except for the queue fields, under the pool's queue
 * lock (server.c).
 */
#ifndef BRACE_LB_STREAM_H
#define BRACE_LB_STREAM_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "lb/config.h"
#include "lb/http.h"
#include "lb/lconn.h"
#include "lb/timer.h"
#include "lb/worker.h"

struct lbuf;
struct lpipe;
struct sconn;

/* Stream states. */
enum {
	ST_HEAD = 0,    /* reading a request head */
	ST_HANDSHAKE,   /* a TLS client's handshake (then ST_HEAD, or the server for TCP) */
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
#define SF_LOGGABLE     0x100000 /* the access log holds this request's line */
#define SF_RQ_BULK      0x200000 /* a large request body streams: read it in big buffers */
#define SF_RS_BULK      0x400000 /* a large response body streams: read it in big buffers */
#define SF_PIPE_REQ     0x800000 /* the pipe carries the request body (else the response's) */

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
	struct lpipe *pipe;             /* body bytes spliced after rq's (SF_PIPE_REQ) or rs's */
	struct timer tmr;
	struct stream *qnext, *qprev;   /* pool wait queue, or the worker's inbox */
	struct stream *fnext;           /* free list */
	struct stream *snext, *sprev;   /* the worker's live streams */
	uint32_t flags;
	uint8_t state;
	uint8_t req_body, rsp_body;
	uint8_t retries_left;
	uint8_t queued_state;           /* under the queue lock (server.c) */
	int status;
	size_t scan;                    /* http_head_end resume point */
	uint32_t rq_sent;               /* bytes of rq written but kept for a replay */
	uint32_t rq_body;               /* bytes of rq known to belong to the body */
	uint32_t rs_body;
	uint32_t hq_sent;               /* bytes of hq written */
	uint64_t body_seen;             /* request body bytes framed so far */
	int64_t req_left, rsp_left;
	struct http_chunked req_ch, rsp_ch;
	uint64_t tried[LB_MAX_SERVERS / 64]; /* servers already tried for this request */
	uint64_t hash;                  /* balancing key, when hashing */
	int64_t t_req;                  /* monotonic ms: the current request's first byte */
	int64_t t_queued, t_sent;       /* monotonic us: queued, request sent to a server */
	int64_t t_req_us;               /* monotonic us: first byte of the request */
	struct server *srv_logged;      /* the server that answered, for the access log */
	void *logrec;                   /* what the access log keeps of the request */
	uint64_t bytes_in, bytes_out;   /* of the current request and response */
	char cip[INET6_ADDRSTRLEN];
};

/*
 * A client connection fd was accepted by w on a listener of fe: make it a
 * stream (from the worker's free list) and start it: read a request head
 * (HTTP), or pick a server (TCP). On failure fd is closed and nothing is
 * left behind.
 */
void stream_accepted(struct worker *w, struct frontend *fe, int fd,
    const struct sockaddr_storage *ss);
/* Move s along as far as its sockets allow; s may be freed on return. */
void stream_run(struct stream *s);
/* The timer of s expired on list which: answer 408/503/504, retry, or close. */
void stream_timeout(struct stream *s, const struct tlist *which);
/* Close everything s holds and give it back to the worker; safe to call twice. */
void stream_free(struct stream *s);
/* Answer with one of our own replies (400, 408, ... 504), then close. */
void stream_reply(struct stream *s, int status);
/* Answer with the n bytes of text (a whole response, logged with status), then close. */
void stream_reply_text(struct stream *s, int status, const char *text, size_t n);
/* Shut our side, drain the client a moment, then close. */
void stream_linger(struct stream *s);
/*
 * Pick a server of s->pool and take a slot (then attach a connection), or
 * queue s, or answer 502/503 when no server can take it. Sets the state; the
 * caller runs s.
 */
void stream_dispatch(struct stream *s);
/* s holds a slot on s->srv (picked, or handed from the queue): attach a connection. */
void stream_server_ready(struct stream *s);
/* The server failed before answering, or timed out: retry elsewhere or answer 502/504. */
void stream_server_failed(struct stream *s, int timed_out);
/*
 * Read what the client (rq) / the server (rs) sent, if its socket is
 * readable: bytes read, 0 nothing now, -1 at EOF or on an error (SF_CLI_EOF
 * or SF_SRV_EOF set).
 */
int stream_cli_read(struct stream *s);
int stream_srv_read(struct stream *s);

/* (Re)arm the stream's timer on list l. */
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

#endif
