/*
 * stream.c - the life of a client connection, whatever it carries.
 *
 * A stream is born in stream_accepted(), moves through the states of stream.h
 * under stream_run(), and dies in stream_free(). This file holds what HTTP
 * and TCP mode share: reading into the stream's buffers, choosing a server
 * or waiting for a slot, connecting, retrying elsewhere when a server fails
 * before answering, timeouts, and replies of brace's own (400, 408, 413, 414,
 * 431, 502, 503, 504) followed by a lingering close. The HTTP transaction
 * itself is proxy.c; the byte relay is relay.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "lb/alog.h"
#include "lb/balance.h"
#include "lb/events.h"
#include "lb/lbuf.h"
#include "lb/lpipe.h"
#include "lb/proxy.h"
#include "lb/relay.h"
#include "lb/ring.h"
#include "lb/sample.h"
#include "lb/sconn.h"
#include "lb/server.h"
#include "lb/stream.h"
#include "lb/tls.h"
#include "lb/worker.h"

static void stream_begin(struct stream *s);

/* ---- replies of our own ---- */

struct canned {
	int status;
	const char *text;
};

static const struct canned canned[] = {
	{ 400, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 12\r\nConnection: close\r\n\r\nBad Request\n" },
	{ 408, "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 16\r\nConnection: close\r\n\r\nRequest Timeout\n" },
	{ 413, "HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 18\r\nConnection: close\r\n\r\nContent Too Large\n" },
	{ 414, "HTTP/1.1 414 URI Too Long\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 13\r\nConnection: close\r\n\r\nURI Too Long\n" },
	{ 431, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 32\r\nConnection: close\r\n\r\nRequest Header Fields Too Large\n" },
	{ 502, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 12\r\nConnection: close\r\n\r\nBad Gateway\n" },
	{ 503, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 20\r\nConnection: close\r\n\r\nService Unavailable\n" },
	{ 504, "HTTP/1.1 504 Gateway Timeout\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 16\r\nConnection: close\r\n\r\nGateway Timeout\n" },
};

/* Buffers and pipes: a pipe with bytes left in it is closed, never reused. */
static void
release_buffers(struct stream *s)
{
	struct worker *w = s->w;

	lbuf_release(&w->bufs, s->hq); s->hq = NULL;
	lbuf_release(&w->bufs, s->hs); s->hs = NULL;
	lbuf_release(&w->bufs, s->rs); s->rs = NULL;
	lbuf_release(&w->bufs, s->rq); s->rq = NULL;
	lpipe_release(&w->pipes, s->pipe); s->pipe = NULL;
}

/*
 * Read what c has into *bp (taken from the pool when NULL). A large body
 * streaming (big) reads into a big buffer, swapped in while *bp is empty.
 */
static int
read_into(struct lconn *c, struct worker *w, struct lbuf **bp, int big, uint32_t eof_flag,
    struct stream *s)
{
	struct lbuf *b = *bp;
	uint32_t room;
	ssize_t n;

	if ((!(c->ready & RD_IN) && (c->ssl == NULL || !tls_pending(c))) || (s->flags & eof_flag))
		return 0;
	if (big && b != NULL && b->size < LB_BIGBUFSIZE && lbuf_len(b) == 0) {
		lbuf_release(&w->bufs, b);
		b = *bp = NULL;
	}
	if (b == NULL && (b = *bp = big ? lbuf_get_big(&w->bufs) : lbuf_get(&w->bufs)) == NULL)
		return 0;
	if (lbuf_room(b) == 0)
		lbuf_compact(b);
	room = lbuf_room(b);
	if (room == 0)
		return 0;
	n = lconn_read(c, b->data + b->tail, room);
	if (n > 0)
		b->tail += (uint32_t)n;
	else if (n < 0)
		s->flags |= eof_flag;
	return (int)n;
}

int
stream_cli_read(struct stream *s)
{
	return read_into(&s->cli, s->w, &s->rq, (s->flags & SF_RQ_BULK) != 0, SF_CLI_EOF, s);
}

int
stream_srv_read(struct stream *s)
{
	if (s->sc == NULL || s->sc->connecting)
		return 0;
	return read_into(&s->sc->c, s->w, &s->rs, (s->flags & SF_RS_BULK) != 0, SF_SRV_EOF, s);
}


void
stream_accepted(struct worker *w, struct frontend *fe, int fd,
    const struct sockaddr_storage *ss)
{
	struct stream *s = w->freestreams;

	if (s != NULL)
		w->freestreams = s->fnext;
	else if ((s = calloc(1, sizeof(*s))) == NULL) {
		close(fd);
		return;
	}
	{
		void *logrec = s->logrec;   /* kept with the object for its next life */

		memset(s, 0, offsetof(struct stream, cip));
		s->logrec = logrec;
	}
	s->cli.fd = fd;
	s->cli.type = LC_CLIENT;
	s->cli.ready = RD_IN | RD_OUT;  /* try the first read before waiting */
	s->w = w;
	s->fe = fe;
	s->t_req = w->now;
	s->t_req_us = clock_mono_us();
	timer_init(&s->tmr, TK_STREAM);
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, s->cip,
		    sizeof(s->cip));
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, s->cip,
		    sizeof(s->cip));
	else
		snprintf(s->cip, sizeof(s->cip), "unknown");
	if (worker_watch(w, &s->cli) < 0) {
		static struct log_limit said = LOG_LIMIT_INIT;

		log_limited(&said, LOG_LVL_WARN, "cannot watch a client connection: %s",
		    strerror(errno));
		close(fd);
		s->fnext = w->freestreams;
		w->freestreams = s;
		return;
	}
	s->snext = w->streams;
	if (w->streams)
		w->streams->sprev = s;
	w->streams = s;
	w->nstreams++;
	atomic_fetch_add_explicit(&worker_nclients, 1, memory_order_relaxed);
	if (w->stopping)
		s->flags |= SF_CLI_CLOSE;
	if (fe->tls != NULL) {
		if (tls_accept(&s->cli, fe) < 0) {
			log_warn("cannot start a TLS session: out of memory");
			stream_free(s);
			return;
		}
		/* the whole handshake, counted from the accept: trickling does not extend it */
		s->state = ST_HANDSHAKE;
		stream_arm(s, &stream_fet(s)->handshake);
	} else {
		stream_begin(s);
	}
	stream_run(s);
}

/* The client is there (its TLS handshake done, if any): read a request, or pick a server. */
static void
stream_begin(struct stream *s)
{
	struct frontend *fe = s->fe;

	if (fe->mode == MODE_TCP) {
		s->pool = fe->default_pool;
		s->flags |= SF_REPLAYABLE;
		s->retries_left = (uint8_t)s->pool->retries;
		if (s->pool->balance == BAL_HASH_SOURCE) {
			s->hash = ring_hash(s->cip, strlen(s->cip));
			s->flags |= SF_HASHED;
		}
		stream_dispatch(s);
	} else {
		s->state = ST_HEAD;
		s->t_req = s->w->now;
		stream_arm(s, &stream_fet(s)->request);
	}
}

/* The answer to plain HTTP on a TLS port, in plain HTTP (as nginx gives it). */
static const char plain_http_reply[] =
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 49\r\n"
    "Connection: close\r\n\r\nThis port speaks HTTPS: ask for an https:// URL.\n";

static void
handshake_step(struct stream *s)
{
	int rc = tls_handshake(&s->cli, NULL);

	if (rc == 0)
		return;
	if (rc > 0) {
		stream_begin(s);
		return;
	}
	if (tls_was_plain_http(&s->cli) && s->fe->mode == MODE_HTTP) {
		/* the session is dead: what follows is plain, then a lingering close */
		tls_free(&s->cli);
		s->cli.ready |= RD_OUT;
		stream_reply_text(s, 400, plain_http_reply, sizeof(plain_http_reply) - 1);
		return;
	}
	stream_free(s);
}

void
stream_free(struct stream *s)
{
	struct worker *w = s->w;

	if (s->state == ST_DEAD)
		return;
	if (s->state == ST_FWD || s->state == ST_QUEUED || s->state == ST_CONNECT)
		/* cut short: what the client got, or 499 (it left first) as nginx says */
		alog_request(s, (s->flags & SF_RSP_HEAD) ? s->status : 499);
	if ((s->flags & SF_IN_QUEUE) && !server_dequeue_waiting(s)) {
		/* A slot is on its way to us: the run list will give it back. */
		s->flags |= SF_IN_TRANSIT;
	}
	s->flags &= ~SF_IN_QUEUE;
	if (s->sc != NULL) {
		sconn_close(w, s->sc);
		s->sc = NULL;
	}
	if (s->srv != NULL && !(s->flags & SF_IN_TRANSIT)) {
		struct server *sv = s->srv;

		s->srv = NULL;
		server_release(w, sv);
	}
	timer_disarm(&s->tmr);
	tls_shutdown(&s->cli);
	tls_free(&s->cli);
	close(s->cli.fd);
	s->cli.fd = -1;
	release_buffers(s);
	if (s->sprev)
		s->sprev->snext = s->snext;
	else
		w->streams = s->snext;
	if (s->snext)
		s->snext->sprev = s->sprev;
	s->snext = s->sprev = NULL;
	w->nstreams--;
	atomic_fetch_sub_explicit(&worker_nclients, 1, memory_order_relaxed);
	s->state = ST_DEAD;
	if (!(s->flags & SF_IN_TRANSIT)) {
		s->fnext = w->dead_streams;
		w->dead_streams = s;
	}
}

/* Close the client after what we sent is out, reading what it still sends so
 * that unread input does not turn our last answer into a reset. */
void
stream_linger(struct stream *s)
{
	tls_shutdown(&s->cli);
	shutdown(s->cli.fd, SHUT_WR);
	s->state = ST_LINGER;
	lbuf_release(&s->w->bufs, s->rq);
	s->rq = NULL;
	stream_arm(s, &s->w->t_linger);
	s->cli.ready |= RD_IN;
}

void
stream_reply(struct stream *s, int status)
{
	const char *text = NULL;

	for (size_t i = 0; i < sizeof(canned) / sizeof(canned[0]); i++)
		if (canned[i].status == status)
			text = canned[i].text;
	stream_reply_text(s, status, text, text != NULL ? strlen(text) : 0);
}

void
stream_reply_text(struct stream *s, int status, const char *text, size_t n)
{
	struct worker *w = s->w;

	if (s->sc != NULL) {
		sconn_close(w, s->sc);
		s->sc = NULL;
	}
	if (s->srv != NULL) {
		struct server *sv = s->srv;

		s->srv = NULL;
		server_release(w, sv);
	}
	s->status = status;
	/* an answer of ours to a request routed to a pool counts in its samples */
	if ((s->flags & SF_LOGGABLE) && s->pool != NULL)
		sample_answer(w, s->pool, s->srv_logged, status, clock_mono_us() - s->t_req_us);
	if (s->fe->mode == MODE_HTTP) {
		if (!(s->flags & SF_LOGGABLE))  /* refused before the head was understood */
			alog_capture_raw(s, s->rq ? lbuf_rptr(s->rq) : "", s->rq ? lbuf_len(s->rq) : 0);
		alog_request(s, status);
	}
	lbuf_release(&w->bufs, s->hq); s->hq = NULL;
	lbuf_release(&w->bufs, s->rs); s->rs = NULL;
	lpipe_release(&w->pipes, s->pipe); s->pipe = NULL;
	if (s->hs == NULL)
		s->hs = lbuf_get(&w->bufs);
	if (text == NULL || s->hs == NULL) {
		stream_free(s);
		return;
	}
	s->hs->head = s->hs->tail = 0;
	if (lbuf_add(s->hs, text, n) < 0) {
		stream_free(s);
		return;
	}
	s->flags |= SF_CLI_CLOSE;
	s->state = ST_REPLY;
	stream_arm(s, &stream_fet(s)->client);
}

/* Write what hs holds to the client; 1 when it is all out, 0 not yet, -1 error. */
static int
flush_hs(struct stream *s)
{
	while (s->hs != NULL && lbuf_len(s->hs) > 0) {
		struct iovec iov = { lbuf_rptr(s->hs), lbuf_len(s->hs) };
		ssize_t n = lconn_writev(&s->cli, &iov, 1);

		if (n <= 0)
			return (int)n;
		s->hs->head += (uint32_t)n;
	}
	return 1;
}

static void
reply_step(struct stream *s)
{
	int rc = flush_hs(s);

	if (rc < 0) {
		stream_free(s);
		return;
	}
	if (rc == 1)
		stream_linger(s);
}

static void
linger_step(struct stream *s)
{
	char sink[4096];

	for (;;) {
		ssize_t n = read(s->cli.fd, sink, sizeof(sink));

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			s->cli.ready &= (uint8_t)~RD_IN;
			return;
		}
		stream_free(s);
		return;
	}
}


static int
any_tried(const struct stream *s)
{
	for (size_t i = 0; i < sizeof(s->tried) / sizeof(s->tried[0]); i++)
		if (s->tried[i])
			return 1;
	return 0;
}

void
stream_dispatch(struct stream *s)
{
	struct worker *w = s->w;
	int rc;

	if (s->pool == NULL) {
		/* No route and no default pool for this request. */
		stream_reply(s, 503);
		return;
	}
	rc = balance_select(w, s);
	if (rc == 1) {
		if (atomic_load_explicit(&s->pool->st->all_down, memory_order_relaxed))
			atomic_store(&s->pool->st->all_down, 0);
		stream_server_ready(s);
		return;
	}
	if (rc == 0) {
		s->state = ST_QUEUED;
		s->t_queued = clock_mono_us();
		stream_arm(s, &stream_pt(s)->queue);
		server_enqueue(s);
		return;
	}
	/* Nobody to ask: every server is down or already failed this request. */
	if (s->fe->mode == MODE_TCP) {
		stream_free(s);
		return;
	}
	if (atomic_exchange(&s->pool->st->all_down, 1) == 0 && !any_tried(s))
		events_record("all_servers_down", "critical", s->pool->name,
		    "no server of pool %s can take requests", s->pool->name);
	stream_reply(s, any_tried(s) ? 502 : 503);
}

/* A TCP connection is relayed from now on: that is its "request", in the samples. */
static void
relay_started(struct stream *s)
{
	sample_answer(s->w, s->pool, s->srv, 0, clock_mono_us() - s->t_req_us);
}

void
stream_server_ready(struct stream *s)
{
	struct worker *w = s->w;

	s->flags &= ~(SF_IN_TRANSIT | SF_IN_QUEUE);
	if (s->t_queued > 0 && s->state != ST_DEAD) {
		int64_t now = clock_mono_us();

		server_observe(s->pool, now - s->t_queued, -1);
		s->t_queued = 0;
	}
	if (s->state == ST_DEAD) {
		/* The client left while the slot travelled to us. */
		struct server *sv = s->srv;

		s->srv = NULL;
		if (sv != NULL)
			server_release(w, sv);
		s->fnext = w->dead_streams;
		w->dead_streams = s;
		return;
	}
	s->t_sent = clock_mono_us();
	s->srv_logged = s->srv;
	if (sconn_attach(s) < 0) {
		static struct log_limit said = LOG_LIMIT_INIT;

		log_limited(&said, LOG_LVL_WARN, "cannot connect to server %s (%s): %s",
		    s->srv->name, s->srv->addr_str, strerror(errno));
		s->state = ST_CONNECT;
		stream_server_failed(s, 0);
		return;
	}
	if (s->sc->connecting) {
		s->state = ST_CONNECT;
		stream_arm(s, &stream_pt(s)->connect);
	} else {
		if (s->fe->mode == MODE_TCP)
			relay_started(s);
		s->state = s->fe->mode == MODE_TCP ? ST_TUNNEL : ST_FWD;
		stream_arm(s, s->fe->mode == MODE_TCP ? &stream_fet(s)->tunnel : &stream_pt(s)->server);
	}
}

/* The TLS handshake with a server: 1 done, 0 waiting, -1 failed (s has moved on). */
static int
server_handshake(struct stream *s)
{
	struct sconn *sc = s->sc;
	char err[ERR_LEN];
	int rc;

	if (sc->c.ssl == NULL && tls_connect(&sc->c, s->srv, &s->w->sl[s->srv->index].tls_session,
	    1) < 0) {
		log_warn("server %s (%s): cannot start a TLS session: out of memory", s->srv->name,
		    s->srv->addr_str);
		stream_server_failed(s, 0);
		return -1;
	}
	if ((rc = tls_handshake(&sc->c, err)) < 0) {
		log_warn("server %s (%s): %s", s->srv->name, s->srv->addr_str, err);
		stream_server_failed(s, 0);
	}
	return rc;
}

/*
 * A connection in progress: the TCP connection, then the TLS handshake for a
 * server with tls (both within the connect timeout). 1 when it finished, one
 * way or the other; 0 still waiting.
 */
static int
connect_step(struct stream *s)
{
	struct sconn *sc = s->sc;

	if (sc->c.ssl == NULL) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(sc->c.ready & (RD_OUT | RD_HUP)))
			return 0;
		if (getsockopt(sc->c.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err == 0 && (sc->c.ready & RD_HUP) && !(sc->c.ready & RD_OUT))
			err = ECONNRESET;
		if (err != 0) {
			log_info("server %s (%s): connect: %s", s->srv->name, s->srv->addr_str,
			    strerror(err));
			stream_server_failed(s, 0);
			return 1;
		}
	}
	if (s->srv->tls) {
		int rc = server_handshake(s);

		if (rc <= 0)
			return rc < 0;
	}
	sc->connecting = 0;
	if (s->fe->mode == MODE_TCP) {
		relay_started(s);
		s->state = ST_TUNNEL;
		stream_arm(s, &stream_fet(s)->tunnel);
	} else {
		s->state = ST_FWD;
		stream_arm(s, &stream_pt(s)->server);
	}
	return 1;
}

/*
 * The server connection failed before the response began, or timed out.
 * Retry on another server when that is safe, else answer 502/504.
 */
void
stream_server_failed(struct stream *s, int timed_out)
{
	struct worker *w = s->w;
	struct server *sv = s->srv;
	struct sconn *sc = s->sc;
	int connecting = s->state == ST_CONNECT;
	int stale = sc != NULL && sc->reused && !connecting;
	int nothing_sent = connecting || (s->hq_sent == 0 && s->rq_sent == 0);
	int can_retry;

	can_retry = !(s->flags & SF_RSP_STARTED) && (s->flags & SF_REPLAYABLE) &&
	    (nothing_sent || (s->flags & SF_IDEMPOTENT));
	if (sc != NULL) {
		sconn_close(w, sc);
		s->sc = NULL;
	}
	if (can_retry) {
		/* The next attempt starts clean: nothing of this answer is kept. */
		s->flags &= ~(SF_SRV_EOF | SF_SRV_CLOSE);
		s->scan = 0;
		if (s->rs != NULL)
			s->rs->head = s->rs->tail = 0;
	}
	if (stale && can_retry && !timed_out) {
		/* An idle pooled connection the server had closed: not the
		 * server's fault, not a retry; try again on a fresh one. */
		s->flags |= SF_FRESH;
		s->hq_sent = 0;
		s->rq_sent = 0;
		stream_server_ready(s);
		return;
	}
	if (sv != NULL) {
		server_note_fail(w, sv);
		s->tried[sv->index / 64] |= 1ULL << (sv->index % 64);
		s->srv = NULL;
		server_release(w, sv);
	}
	if (can_retry && s->retries_left > 0 && !(timed_out && !connecting)) {
		if (sv != NULL)
			atomic_fetch_add_explicit(&sv->st->retries, 1, memory_order_relaxed);
		s->retries_left--;
		s->hq_sent = 0;
		s->rq_sent = 0;
		s->flags |= SF_FRESH;
		stream_dispatch(s);
		return;
	}
	if (s->fe->mode == MODE_TCP) {
		stream_free(s);
		return;
	}
	if ((s->flags & SF_RSP_HEAD) || s->hs != NULL) {
		stream_free(s);         /* the client already has part of an answer */
		return;
	}
	stream_reply(s, timed_out ? 504 : 502);
}


void
stream_timeout(struct stream *s, const struct tlist *which)
{
	switch (s->state) {
	case ST_HANDSHAKE:
		tls_handshake_timed_out(&s->cli);
		stream_free(s);
		return;
	case ST_HEAD:
		if (s->rq != NULL && lbuf_len(s->rq) > 0)
			stream_reply(s, 408);
		else
			stream_free(s);
		break;
	case ST_QUEUED:
		if (!server_dequeue_waiting(s))
			return;         /* a slot is already on its way */
		atomic_fetch_add(&s->pool->st->queue_timeouts, 1);
		events_queue_timeout(s->pool);
		if (s->fe->mode == MODE_TCP) {
			stream_free(s);
			return;
		}
		log_info("%s: no server slot within the queue timeout", s->cip);
		stream_reply(s, 503);
		break;
	case ST_CONNECT:
		log_info("server %s (%s): connect timeout", s->srv->name, s->srv->addr_str);
		stream_server_failed(s, 1);
		break;
	case ST_FWD:
		if (which == &stream_fet(s)->client || (s->flags & SF_RSP_HEAD)) {
			stream_free(s);
			return;
		}
		log_info("server %s (%s): no response within the server timeout",
		    s->srv ? s->srv->name : "?", s->srv ? s->srv->addr_str : "?");
		stream_server_failed(s, 1);
		break;
	default:
		stream_free(s);
		return;
	}
	stream_run(s);
}


void
stream_run(struct stream *s)
{
	for (;;) {
		uint8_t st = s->state;

		switch (st) {
		case ST_HANDSHAKE:
			handshake_step(s);
			break;
		case ST_HEAD:
			proxy_head_step(s);
			break;
		case ST_CONNECT:
			if (!connect_step(s))
				return;
			break;
		case ST_FWD:
			proxy_fwd_step(s);
			break;
		case ST_TUNNEL:
			relay_run(s);
			return;
		case ST_REPLY:
			reply_step(s);
			break;
		case ST_LINGER:
			linger_step(s);
			return;
		default:        /* ST_QUEUED waits for a slot; ST_DEAD is gone */
			return;
		}
		if (s->state == st)
			return;
	}
}
