/*
 * proxy.c - the life of a client connection in HTTP mode.
 *
 * A stream reads a request head (ST_HEAD), parses it in place, writes a
 * rewritten head (hop-by-hop headers removed, X-Forwarded-* added) into a
 * small buffer, picks a server (balance.c) or waits for a slot (ST_QUEUED),
 * takes an idle keep-alive connection to it or opens one (ST_CONNECT), then
 * streams the request body and the response both ways (ST_FWD) without ever
 * holding a whole body: bodies go from one socket's buffer straight to the
 * other socket with writev, next to the rewritten head.
 *
 * Until the first response byte arrives the request is kept (head and, when
 * it fits in the buffer, body), so a connection refused or an idle pooled
 * connection the server had closed is retried elsewhere without the client
 * noticing. After the response, the server connection goes back to the pool
 * and the client's next (possibly already pipelined) request starts over.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/log.h"
#include "lb/lb.h"

static void proxy_end_txn(struct stream *s);

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

/* ---- small helpers ---- */

static inline int
put(struct lbuf *b, const char *p, size_t n)
{
	if (n > lbuf_room(b))
		return -1;
	memcpy(b->data + b->tail, p, n);
	b->tail += (uint32_t)n;
	return 0;
}

#define PUTS(b, lit) put((b), (lit), sizeof(lit) - 1)

static void
release_buffers(struct stream *s)
{
	struct worker *w = s->w;

	lbuf_put(w, s->hq); s->hq = NULL;
	lbuf_put(w, s->hs); s->hs = NULL;
	lbuf_put(w, s->rs); s->rs = NULL;
	lbuf_put(w, s->rq); s->rq = NULL;
}

/* Drop a buffer that holds nothing, so idle streams hold no memory. */
static inline void
drop_if_empty(struct worker *w, struct lbuf **b)
{
	if (*b != NULL && lbuf_len(*b) == 0) {
		lbuf_put(w, *b);
		*b = NULL;
	}
}

static inline void
arm(struct stream *s, struct tlist *l)
{
	timer_arm(&s->tmr, l, s->w->now);
}

/* ---- reading ---- */

static int
read_into(struct lconn *c, struct worker *w, struct lbuf **bp, uint32_t eof_flag,
    struct stream *s)
{
	struct lbuf *b = *bp;
	uint32_t room;
	ssize_t n;

	if (!(c->ready & RD_IN) || (s->flags & eof_flag))
		return 0;
	if (b == NULL && (b = *bp = lbuf_get(w)) == NULL)
		return 0;
	if (lbuf_room(b) == 0)
		lbuf_compact(b);
	room = lbuf_room(b);
	if (room == 0)
		return 0;
	for (;;) {
		n = read(c->fd, b->data + b->tail, room);
		if (n > 0) {
			b->tail += (uint32_t)n;
			/* A short read drained the socket: wait for the next edge. */
			if ((uint32_t)n < room)
				c->ready &= (uint8_t)~RD_IN;
			return (int)n;
		}
		if (n == 0) {
			s->flags |= eof_flag;
			c->ready &= (uint8_t)~RD_IN;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			c->ready &= (uint8_t)~RD_IN;
			return 0;
		}
		s->flags |= eof_flag;
		c->ready &= (uint8_t)~RD_IN;
		return -1;
	}
}

int
stream_cli_read(struct stream *s)
{
	return read_into(&s->cli, s->w, &s->rq, SF_CLI_EOF, s);
}

int
stream_srv_read(struct stream *s)
{
	if (s->sc == NULL || s->sc->connecting)
		return 0;
	return read_into(&s->sc->c, s->w, &s->rs, SF_SRV_EOF, s);
}

/* ---- life and death ---- */

void
stream_accepted(struct worker *w, int fd, const struct sockaddr_storage *ss)
{
	struct stream *s = w->freestreams;

	if (s != NULL)
		w->freestreams = s->fnext;
	else if ((s = malloc(sizeof(*s))) == NULL) {
		close(fd);
		return;
	}
	memset(s, 0, offsetof(struct stream, cip));
	s->cli.fd = fd;
	s->cli.type = LC_CLIENT;
	s->cli.ready = RD_IN | RD_OUT;  /* try the first read before waiting */
	s->w = w;
	s->t_accept = s->t_req = w->now;
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
		log_warn("cannot watch a client connection: %s", strerror(errno));
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
	atomic_fetch_add_explicit(&lb_nclients, 1, memory_order_relaxed);
	if (w->stopping)
		s->flags |= SF_CLI_CLOSE;
	if (w->cfg->mode == MODE_TCP) {
		s->flags |= SF_REPLAYABLE;
		s->retries_left = (uint8_t)w->cfg->retries;
		if (w->cfg->pool.balance == BAL_HASH_SOURCE) {
			s->hash = balance_hash(s->cip, strlen(s->cip));
			s->flags |= SF_HASHED;
		}
		stream_dispatch(s);
	} else {
		s->state = ST_HEAD;
		arm(s, &w->t_request);
	}
	stream_run(s);
}

void
stream_free(struct stream *s)
{
	struct worker *w = s->w;

	if (s->state == ST_DEAD)
		return;
	if ((s->flags & SF_IN_QUEUE) && !backend_dequeue_waiting(s)) {
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
	atomic_fetch_sub_explicit(&lb_nclients, 1, memory_order_relaxed);
	s->state = ST_DEAD;
	if (!(s->flags & SF_IN_TRANSIT)) {
		s->fnext = w->dead_streams;
		w->dead_streams = s;
	}
}

/* Close the client after what we sent is out, reading what it still sends so
 * that unread input does not turn our last answer into a reset. */
static void
stream_linger(struct stream *s)
{
	shutdown(s->cli.fd, SHUT_WR);
	s->state = ST_LINGER;
	lbuf_put(s->w, s->rq);
	s->rq = NULL;
	arm(s, &s->w->t_linger);
	s->cli.ready |= RD_IN;
}

void
stream_reply(struct stream *s, int status)
{
	struct worker *w = s->w;
	const char *text = NULL;

	for (size_t i = 0; i < sizeof(canned) / sizeof(canned[0]); i++)
		if (canned[i].status == status)
			text = canned[i].text;
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
	lbuf_put(w, s->hq); s->hq = NULL;
	lbuf_put(w, s->rs); s->rs = NULL;
	if (s->hs == NULL)
		s->hs = lbuf_get(w);
	if (text == NULL || s->hs == NULL) {
		stream_free(s);
		return;
	}
	s->hs->head = s->hs->tail = 0;
	put(s->hs, text, strlen(text));
	s->flags |= SF_CLI_CLOSE;
	s->state = ST_REPLY;
	arm(s, &w->t_client);
}

/* Write what hs holds to the client; 1 when it is all out, 0 not yet, -1 error. */
static int
flush_hs(struct stream *s)
{
	while (s->hs != NULL && lbuf_len(s->hs) > 0) {
		ssize_t n;

		if (!(s->cli.ready & RD_OUT))
			return 0;
		n = write(s->cli.fd, lbuf_rptr(s->hs), lbuf_len(s->hs));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				s->cli.ready &= (uint8_t)~RD_OUT;
				return 0;
			}
			return -1;
		}
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

/* ---- choosing and reaching a server ---- */

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
	int rc = balance_select(w, &w->cfg->pool, s);

	if (rc == 1) {
		stream_server_ready(s);
		return;
	}
	if (rc == 0) {
		s->state = ST_QUEUED;
		arm(s, &w->t_queue);
		backend_enqueue(s);
		return;
	}
	/* Nobody to ask: every server is down or already failed this request. */
	if (w->cfg->mode == MODE_TCP) {
		stream_free(s);
		return;
	}
	stream_reply(s, any_tried(s) ? 502 : 503);
}

void
stream_server_ready(struct stream *s)
{
	struct worker *w = s->w;

	s->flags &= ~(SF_IN_TRANSIT | SF_IN_QUEUE);
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
	if (backend_attach(s) < 0) {
		log_warn("cannot connect to server %s (%s): %s", s->srv->name, s->srv->addr_str,
		    strerror(errno));
		s->state = ST_CONNECT;
		proxy_server_failed(s, 0);
		return;
	}
	if (s->sc->connecting) {
		s->state = ST_CONNECT;
		arm(s, &w->t_connect);
	} else {
		s->state = w->cfg->mode == MODE_TCP ? ST_TUNNEL : ST_FWD;
		arm(s, w->cfg->mode == MODE_TCP ? &w->t_tunnel : &w->t_server);
	}
}

/* A connection in progress finished, one way or the other. */
static int
connect_step(struct stream *s)
{
	struct sconn *sc = s->sc;
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
		proxy_server_failed(s, 0);
		return 1;
	}
	sc->connecting = 0;
	if (s->w->cfg->mode == MODE_TCP) {
		s->state = ST_TUNNEL;
		arm(s, &s->w->t_tunnel);
	} else {
		s->state = ST_FWD;
		arm(s, &s->w->t_server);
	}
	return 1;
}

/*
 * The server connection failed before the response began, or timed out.
 * Retry on another server when that is safe, else answer 502/504.
 */
void
proxy_server_failed(struct stream *s, int timed_out)
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
		s->retries_left--;
		s->hq_sent = 0;
		s->rq_sent = 0;
		s->flags |= SF_FRESH;
		stream_dispatch(s);
		return;
	}
	if (w->cfg->mode == MODE_TCP) {
		stream_free(s);
		return;
	}
	if ((s->flags & SF_RSP_HEAD) || s->hs != NULL) {
		stream_free(s);         /* the client already has part of an answer */
		return;
	}
	stream_reply(s, timed_out ? 504 : 502);
}

/* ---- request heads ---- */

static int
put_header(struct lbuf *b, const struct http_hdr *h)
{
	/* name, colon and value are contiguous and validated in the source */
	size_t n = (size_t)(h->value + h->value_len - h->name);

	if (h->value_len == 0)
		n = h->name_len + 1;
	if (put(b, h->name, n) < 0)
		return -1;
	return PUTS(b, "\r\n");
}

/* The head sent to the server: hop-by-hop headers out, X-Forwarded-* in. */
static int
write_request_head(struct stream *s, const struct http_msg *m, struct lbuf *b)
{
	const struct http_hdr *host = NULL;
	int xff = 0;

	if (put(b, m->method, m->method_len) < 0 || PUTS(b, " ") < 0 ||
	    put(b, m->target, m->target_len) < 0 ||
	    put(b, m->version == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n", 11) < 0)
		return -1;
	for (size_t i = 0; i < m->nhdrs; i++) {
		const struct http_hdr *h = &m->hdrs[i];

		switch (h->kind) {
		case HDR_CONNECTION:
		case HDR_KEEP_ALIVE:
		case HDR_PROXY_CONNECTION:
		case HDR_TE:
		case HDR_X_FORWARDED_PROTO:
		case HDR_X_FORWARDED_HOST:
			continue;
		case HDR_X_FORWARDED_FOR:
			xff = 1;
			continue;
		case HDR_UPGRADE:
			if (!(s->flags & SF_UPGRADE))
				continue;
			break;
		case HDR_HOST:
			host = h;
			break;
		default:
			break;
		}
		if (h->hop)
			continue;
		if (put_header(b, h) < 0)
			return -1;
	}
	if (PUTS(b, "X-Forwarded-For: ") < 0)
		return -1;
	if (xff) {
		for (size_t i = 0; i < m->nhdrs; i++) {
			const struct http_hdr *h = &m->hdrs[i];

			if (h->kind != HDR_X_FORWARDED_FOR || h->value_len == 0)
				continue;
			if (put(b, h->value, h->value_len) < 0 || PUTS(b, ", ") < 0)
				return -1;
		}
	}
	if (put(b, s->cip, strlen(s->cip)) < 0 || PUTS(b, "\r\nX-Forwarded-Proto: http\r\n") < 0)
		return -1;
	if (host != NULL && (PUTS(b, "X-Forwarded-Host: ") < 0 ||
	    put(b, host->value, host->value_len) < 0 || PUTS(b, "\r\n") < 0))
		return -1;
	if (s->flags & SF_UPGRADE) {
		if (PUTS(b, "Connection: upgrade\r\n") < 0)
			return -1;
	} else if (m->version == 10) {
		/* keep the server connection reusable behind a 1.0 client */
		if (PUTS(b, "Connection: keep-alive\r\n") < 0)
			return -1;
	}
	return PUTS(b, "\r\n");
}

static int
is_idempotent(const char *m, size_t n)
{
	static const char *const safe[] = { "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" };

	for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++)
		if (strlen(safe[i]) == n && memcmp(m, safe[i], n) == 0)
			return 1;
	return 0;
}

static void
set_hash_key(struct stream *s, const struct http_msg *m)
{
	const struct pool *p = &s->w->cfg->pool;
	size_t hl = strlen(p->hash_header);

	switch (p->balance) {
	case BAL_HASH_SOURCE:
		s->hash = balance_hash(s->cip, strlen(s->cip));
		break;
	case BAL_HASH_URI:
		s->hash = balance_hash(m->target, m->target_len);
		break;
	case BAL_HASH_HEADER:
		for (size_t i = 0; i < m->nhdrs; i++) {
			const struct http_hdr *h = &m->hdrs[i];

			if (h->name_len == hl && http_token_eq(h->name, hl, p->hash_header)) {
				s->hash = balance_hash(h->value, h->value_len);
				s->flags |= SF_HASHED;
			}
		}
		return;
	default:
		return;
	}
	s->flags |= SF_HASHED;
}

/* A complete request head sits at the front of rq: set up its transaction. */
static void
start_txn(struct stream *s, const struct http_msg *m)
{
	struct worker *w = s->w;

	s->flags &= SF_CLI_CLOSE;
	if (m->version == 10) {
		s->flags |= SF_V10;
		if (!(m->flags & HTTP_F_CONN_KEEPALIVE))
			s->flags |= SF_CLI_CLOSE;
	} else if (m->flags & HTTP_F_CONN_CLOSE) {
		s->flags |= SF_CLI_CLOSE;
	}
	if (m->method_len == 4 && memcmp(m->method, "HEAD", 4) == 0)
		s->flags |= SF_HEAD_REQ;
	if (is_idempotent(m->method, m->method_len))
		s->flags |= SF_IDEMPOTENT;
	if ((m->flags & HTTP_F_UPGRADE) && (m->flags & HTTP_F_CONN_UPGRADE))
		s->flags |= SF_UPGRADE;
	s->status = 0;
	s->req_left = 0;
	memset(&s->req_ch, 0, sizeof(s->req_ch));
	memset(&s->rsp_ch, 0, sizeof(s->rsp_ch));
	if (m->flags & HTTP_F_CHUNKED) {
		s->req_body = BODY_CHUNKED;
	} else if (m->content_length > 0) {
		s->req_body = BODY_CL;
		s->req_left = m->content_length;
	} else {
		s->req_body = BODY_NONE;
		s->flags |= SF_REQ_FRAMED;
	}
	s->rsp_body = BODY_NONE;
	s->rq_sent = s->rq_body = s->rs_body = 0;
	s->hq_sent = 0;
	s->scan = 0;
	memset(s->tried, 0, sizeof(s->tried));
	s->retries_left = (uint8_t)w->cfg->retries;
	s->flags |= SF_REPLAYABLE;
	set_hash_key(s, m);
	if ((s->hq = lbuf_get(w)) == NULL || write_request_head(s, m, s->hq) < 0) {
		stream_reply(s, 431);
		return;
	}
	s->rq->head += (uint32_t)m->head_len;
	stream_dispatch(s);
}

static void
head_step(struct stream *s)
{
	struct worker *w = s->w;
	struct http_msg m;
	struct lbuf *b;
	size_t end;
	int rc;

	stream_cli_read(s);
	b = s->rq;
	if (b == NULL || lbuf_len(b) == 0) {
		if (s->flags & SF_CLI_EOF) {
			stream_free(s);
			return;
		}
		drop_if_empty(w, &s->rq);
		return;
	}
	/* Empty lines before a request line are allowed (RFC 9112 2.2). */
	while (lbuf_len(b) > 0 && (b->data[b->head] == '\r' || b->data[b->head] == '\n') &&
	    s->scan == 0)
		b->head++;
	if (lbuf_len(b) == 0)
		return;
	if (s->tmr.list == &w->t_client) {
		/* The first byte of the next request: its head must now hurry. */
		s->t_req = w->now;
		arm(s, &w->t_request);
	}
	end = http_head_end(lbuf_rptr(b), lbuf_len(b), &s->scan);
	if (end == 0) {
		if (lbuf_len(b) >= w->cfg->lim.max_head || (lbuf_room(b) == 0 && b->head == 0)) {
			stream_reply(s, memchr(lbuf_rptr(b), '\n', lbuf_len(b)) == NULL &&
			    lbuf_len(b) > w->cfg->lim.max_line ? 414 : 431);
			return;
		}
		if (lbuf_len(b) > w->cfg->lim.max_line &&
		    memchr(lbuf_rptr(b), '\n', lbuf_len(b)) == NULL) {
			stream_reply(s, 414);
			return;
		}
		if (s->flags & SF_CLI_EOF)
			stream_free(s);
		return;
	}
	m.hdrs = w->hdrs;
	rc = http_parse_request(lbuf_rptr(b), end, &w->cfg->lim, &m);
	if (rc < 0) {
		log_info("%s: rejected request: %s", s->cip,
		    rc == HTTP_ERROR ? m.error : "incomplete head");
		stream_reply(s, rc == HTTP_ERROR ? m.error_status : 400);
		return;
	}
	start_txn(s, &m);
}

/* ---- forwarding ---- */

/* Find how much of what rq holds belongs to the request body. */
static int
frame_request(struct stream *s)
{
	struct lbuf *b = s->rq;
	uint32_t avail;

	if ((s->flags & SF_REQ_FRAMED) || b == NULL)
		return 0;
	avail = lbuf_len(b) - s->rq_body;
	if (avail == 0)
		return 0;
	if (s->req_body == BODY_CL) {
		uint32_t take = (int64_t)avail < s->req_left ? avail : (uint32_t)s->req_left;

		s->rq_body += take;
		s->req_left -= take;
		if (s->req_left == 0)
			s->flags |= SF_REQ_FRAMED;
	} else {
		const char *why = NULL;
		int done;
		ssize_t n = http_chunked_feed(&s->req_ch, lbuf_rptr(b) + s->rq_body, avail,
		    &done, &why);

		if (n < 0) {
			log_info("%s: rejected request body: %s", s->cip, why);
			return -1;
		}
		s->rq_body += (uint32_t)n;
		if (done)
			s->flags |= SF_REQ_FRAMED;
	}
	return 1;
}

/* Forget the request bytes already sent: no replay from now on. */
static void
commit_request(struct stream *s)
{
	if (s->rq_sent > 0) {
		s->rq->head += s->rq_sent;
		s->rq_body -= s->rq_sent;
		s->rq_sent = 0;
	}
}

static int
send_request(struct stream *s)
{
	struct sconn *sc = s->sc;
	struct iovec iov[2];
	int cnt = 0;
	size_t total = 0;
	ssize_t n;

	if (sc == NULL || sc->connecting || !(sc->c.ready & RD_OUT))
		return 0;
	if (s->hq != NULL && s->hq_sent < lbuf_len(s->hq)) {
		iov[cnt].iov_base = lbuf_rptr(s->hq) + s->hq_sent;
		iov[cnt].iov_len = lbuf_len(s->hq) - s->hq_sent;
		total += iov[cnt++].iov_len;
	}
	if (s->rq != NULL && s->rq_body > s->rq_sent) {
		iov[cnt].iov_base = lbuf_rptr(s->rq) + s->rq_sent;
		iov[cnt].iov_len = s->rq_body - s->rq_sent;
		total += iov[cnt++].iov_len;
	}
	if (total == 0)
		return 0;
	do
		n = writev(sc->c.fd, iov, cnt);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN) {
			sc->c.ready &= (uint8_t)~RD_OUT;
			return 0;
		}
		return -1;
	}
	if ((size_t)n < total)
		sc->c.ready &= (uint8_t)~RD_OUT;
	if (s->hq != NULL && s->hq_sent < lbuf_len(s->hq)) {
		uint32_t h = lbuf_len(s->hq) - s->hq_sent;

		if ((size_t)n <= h) {
			s->hq_sent += (uint32_t)n;
			return 1;
		}
		s->hq_sent += h;
		n -= h;
	}
	s->rq_sent += (uint32_t)n;
	/* Once the answer has begun, or the buffer must make room, keep nothing. */
	if ((s->flags & (SF_RSP_STARTED)) || !(s->flags & SF_REPLAYABLE))
		commit_request(s);
	return 1;
}

static inline int
request_sent(const struct stream *s)
{
	return (s->flags & SF_REQ_FRAMED) && (s->hq == NULL || s->hq_sent == lbuf_len(s->hq)) &&
	    s->rq_sent == s->rq_body;
}

/* The head sent to the client: our own version, hop-by-hop headers out. */
static int
write_response_head(struct stream *s, const struct http_msg *m, struct lbuf *b, int final)
{
	char line[16];

	snprintf(line, sizeof(line), "HTTP/1.1 %03d ", m->status);
	if (put(b, line, 13) < 0 || put(b, m->reason ? m->reason : "", m->reason_len) < 0 ||
	    PUTS(b, "\r\n") < 0)
		return -1;
	for (size_t i = 0; i < m->nhdrs; i++) {
		const struct http_hdr *h = &m->hdrs[i];

		switch (h->kind) {
		case HDR_CONNECTION:
		case HDR_KEEP_ALIVE:
		case HDR_PROXY_CONNECTION:
			continue;
		case HDR_UPGRADE:
			if (m->status != 101)
				continue;
			break;
		default:
			break;
		}
		if (h->hop)
			continue;
		if (put_header(b, h) < 0)
			return -1;
	}
	if (m->status == 101) {
		if (PUTS(b, "Connection: upgrade\r\n") < 0)
			return -1;
	} else if (final && (s->flags & SF_CLI_CLOSE)) {
		if (PUTS(b, "Connection: close\r\n") < 0)
			return -1;
	} else if (final && (s->flags & SF_V10)) {
		if (PUTS(b, "Connection: keep-alive\r\n") < 0)
			return -1;
	}
	return PUTS(b, "\r\n");
}

/* Bad response from the server: 502 if the client has nothing yet. */
static void
bad_response(struct stream *s, const char *why)
{
	log_warn("server %s (%s): invalid response: %s", s->srv ? s->srv->name : "?",
	    s->srv ? s->srv->addr_str : "?", why);
	if (s->srv)
		server_note_fail(s->w, s->srv);
	if (s->flags & SF_RSP_HEAD) {
		stream_free(s);
		return;
	}
	stream_reply(s, 502);
}

/* Parse response heads from rs: interim ones are passed on, the final one
 * sets the framing. Returns 1 on progress, 0 waiting, -1 stream gone/replied. */
static int
response_head(struct stream *s)
{
	struct worker *w = s->w;
	struct http_msg m;
	size_t end;
	int rc;

	while (!(s->flags & SF_RSP_HEAD) && s->rs != NULL && lbuf_len(s->rs) > 0) {
		end = http_head_end(lbuf_rptr(s->rs), lbuf_len(s->rs), &s->scan);
		if (end == 0) {
			if (lbuf_len(s->rs) >= w->cfg->lim.max_head || lbuf_room(s->rs) == 0) {
				bad_response(s, "head too large");
				return -1;
			}
			return 0;
		}
		m.hdrs = w->hdrs;
		rc = http_parse_response(lbuf_rptr(s->rs), end, &w->cfg->lim, &m);
		if (rc < 0) {
			bad_response(s, rc == HTTP_ERROR ? m.error : "incomplete head");
			return -1;
		}
		if (s->hs == NULL && (s->hs = lbuf_get(w)) == NULL) {
			stream_free(s);
			return -1;
		}
		if (lbuf_room(s->hs) < LB_BUFSIZE / 2)
			lbuf_compact(s->hs);
		s->scan = 0;
		if (m.status >= 100 && m.status < 200) {
			if (m.status == 101) {
				if (!(s->flags & SF_UPGRADE)) {
					bad_response(s, "101 without an upgrade request");
					return -1;
				}
				if (write_response_head(s, &m, s->hs, 1) < 0) {
					bad_response(s, "head too large");
					return -1;
				}
				s->rs->head += (uint32_t)end;
				s->status = 101;
				s->flags |= SF_RSP_HEAD;
				s->state = ST_TUNNEL;
				arm(s, &w->t_tunnel);
				return 1;
			}
			/* 100 Continue and friends: HTTP/1.0 clients never see them. */
			if (!(s->flags & SF_V10) && write_response_head(s, &m, s->hs, 0) < 0) {
				bad_response(s, "head too large");
				return -1;
			}
			s->rs->head += (uint32_t)end;
			continue;
		}
		s->status = m.status;
		if ((s->flags & SF_HEAD_REQ) || http_status_has_no_body(m.status)) {
			s->rsp_body = BODY_NONE;
		} else if (m.flags & HTTP_F_CHUNKED) {
			s->rsp_body = BODY_CHUNKED;
		} else if (m.content_length >= 0) {
			s->rsp_body = m.content_length > 0 ? BODY_CL : BODY_NONE;
			s->rsp_left = m.content_length;
		} else {
			/* Delimited by the server closing: the client must be closed too. */
			s->rsp_body = BODY_CLOSE;
			s->flags |= SF_CLI_CLOSE | SF_SRV_CLOSE;
		}
		if ((m.flags & HTTP_F_CONN_CLOSE) ||
		    (m.version == 10 && !(m.flags & HTTP_F_CONN_KEEPALIVE)))
			s->flags |= SF_SRV_CLOSE;
		if (!request_sent(s))
			s->flags |= SF_CLI_CLOSE | SF_SRV_CLOSE;  /* answered early */
		if (s->rsp_body == BODY_NONE)
			s->flags |= SF_RSP_FRAMED;
		if (write_response_head(s, &m, s->hs, 1) < 0) {
			bad_response(s, "head too large");
			return -1;
		}
		s->rs->head += (uint32_t)end;
		s->flags |= SF_RSP_HEAD;
		s->rs_body = 0;
		server_note_ok(s->srv);
		return 1;
	}
	return 0;
}

static int
frame_response(struct stream *s)
{
	struct lbuf *b = s->rs;
	uint32_t avail;

	if (!(s->flags & SF_RSP_HEAD) || (s->flags & SF_RSP_FRAMED))
		return 0;
	if (s->rsp_body == BODY_CLOSE) {
		s->rs_body = b ? lbuf_len(b) : 0;
		if (s->flags & SF_SRV_EOF)
			s->flags |= SF_RSP_FRAMED;
		return 0;
	}
	if (b == NULL || (avail = lbuf_len(b) - s->rs_body) == 0)
		return 0;
	if (s->rsp_body == BODY_CL) {
		uint32_t take = (int64_t)avail < s->rsp_left ? avail : (uint32_t)s->rsp_left;

		s->rs_body += take;
		s->rsp_left -= take;
		if (s->rsp_left == 0)
			s->flags |= SF_RSP_FRAMED;
	} else {
		const char *why = NULL;
		int done;
		ssize_t n = http_chunked_feed(&s->rsp_ch, lbuf_rptr(b) + s->rs_body, avail,
		    &done, &why);

		if (n < 0) {
			bad_response(s, why);
			return -1;
		}
		s->rs_body += (uint32_t)n;
		if (done)
			s->flags |= SF_RSP_FRAMED;
	}
	return 1;
}

static int
send_response(struct stream *s)
{
	struct iovec iov[2];
	int cnt = 0;
	size_t total = 0, h = 0;
	ssize_t n;

	if (!(s->cli.ready & RD_OUT))
		return 0;
	if (s->hs != NULL && lbuf_len(s->hs) > 0) {
		iov[cnt].iov_base = lbuf_rptr(s->hs);
		iov[cnt].iov_len = h = lbuf_len(s->hs);
		total += iov[cnt++].iov_len;
	}
	if ((s->flags & SF_RSP_HEAD) && s->rs_body > 0) {
		iov[cnt].iov_base = lbuf_rptr(s->rs);
		iov[cnt].iov_len = s->rs_body;
		total += iov[cnt++].iov_len;
	}
	if (total == 0)
		return 0;
	do
		n = writev(s->cli.fd, iov, cnt);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN) {
			s->cli.ready &= (uint8_t)~RD_OUT;
			return 0;
		}
		return -1;
	}
	if ((size_t)n < total)
		s->cli.ready &= (uint8_t)~RD_OUT;
	if (h > 0) {
		if ((size_t)n <= h) {
			s->hs->head += (uint32_t)n;
			return 1;
		}
		s->hs->head += (uint32_t)h;
		n -= (ssize_t)h;
	}
	s->rs->head += (uint32_t)n;
	s->rs_body -= (uint32_t)n;
	return 1;
}

static void
fwd_step(struct stream *s)
{
	struct worker *w = s->w;
	int progress;

	do {
		int rc;

		progress = 0;
		/* client -> server */
		if (!(s->flags & SF_REQ_FRAMED)) {
			if (s->rq != NULL && lbuf_room(s->rq) == 0 && s->rq->head == 0 &&
			    s->rq_sent > 0) {
				/* The body outgrows the buffer: give up the replay copy. */
				s->flags &= ~SF_REPLAYABLE;
				commit_request(s);
			}
			if (stream_cli_read(s) > 0)
				progress = 1;
			if (frame_request(s) < 0) {
				if (s->flags & SF_RSP_HEAD)
					stream_free(s);
				else
					stream_reply(s, 400);
				return;
			}
			if ((s->flags & SF_CLI_EOF) && !(s->flags & SF_REQ_FRAMED)) {
				stream_free(s);  /* the client gave up mid-request */
				return;
			}
		}
		rc = send_request(s);
		if (rc < 0) {
			proxy_server_failed(s, 0);
			return;
		}
		progress |= rc;

		/* server -> client */
		rc = stream_srv_read(s);
		if (rc > 0) {
			progress = 1;
			if (!(s->flags & SF_RSP_STARTED)) {
				s->flags |= SF_RSP_STARTED;
				commit_request(s);
			}
		}
		if (!(s->flags & SF_RSP_HEAD)) {
			rc = response_head(s);
			if (rc < 0)
				return;
			if (s->state == ST_TUNNEL) {
				lbuf_put(w, s->hq);
				s->hq = NULL;
				return;
			}
			progress |= rc;
		}
		if (frame_response(s) < 0)
			return;
		rc = send_response(s);
		if (rc < 0) {
			stream_free(s);  /* the client went away */
			return;
		}
		progress |= rc;
		if ((s->flags & SF_RSP_FRAMED) && (s->hs == NULL || lbuf_len(s->hs) == 0) &&
		    s->rs_body == 0) {
			proxy_end_txn(s);
			return;
		}
		if ((s->flags & SF_SRV_EOF) && !(s->flags & SF_RSP_FRAMED)) {
			if (!(s->flags & SF_RSP_STARTED)) {
				proxy_server_failed(s, 0);
				return;
			}
			if (!(s->flags & SF_RSP_HEAD)) {
				bad_response(s, "connection closed before the head ended");
				return;
			}
			/* Body cut short: pass on what came, then close; the client
			 * sees the short body, never a made-up ending. */
			if (s->rs_body == 0 && (s->hs == NULL || lbuf_len(s->hs) == 0)) {
				stream_free(s);
				return;
			}
		}
	} while (progress && s->state == ST_FWD);

	if (s->state == ST_FWD) {
		/* Waiting on the client (body or reading) or on the server? */
		struct tlist *l = (!(s->flags & SF_REQ_FRAMED) && !(s->cli.ready & RD_IN)) ||
		    !(s->cli.ready & RD_OUT) ? &w->t_client : &w->t_server;

		arm(s, l);
	}
}

static void
proxy_end_txn(struct stream *s)
{
	struct worker *w = s->w;
	int reusable = !(s->flags & (SF_SRV_CLOSE | SF_SRV_EOF)) && request_sent(s) &&
	    s->rsp_body != BODY_CLOSE && (s->rs == NULL || lbuf_len(s->rs) == 0);

	backend_detach(s, reusable);
	lbuf_put(w, s->hq); s->hq = NULL;
	lbuf_put(w, s->hs); s->hs = NULL;
	drop_if_empty(w, &s->rs);
	if (s->rs != NULL) {            /* bytes past the response: not ours to keep */
		lbuf_put(w, s->rs);
		s->rs = NULL;
	}
	if (s->flags & SF_CLI_CLOSE) {
		stream_linger(s);
		return;
	}
	commit_request(s);
	if (s->rq != NULL) {
		s->rq->head += s->rq_body;
		s->rq_body = 0;
	}
	s->flags &= SF_CLI_CLOSE;
	s->state = ST_HEAD;
	s->scan = 0;
	drop_if_empty(w, &s->rq);
	if (s->rq == NULL) {
		arm(s, &w->t_client);   /* keep-alive: idle until the next request */
	} else {
		s->t_req = w->now;
		arm(s, &w->t_request);
	}
}

void
stream_timeout(struct stream *s, const struct tlist *which)
{
	struct worker *w = s->w;

	switch (s->state) {
	case ST_HEAD:
		if (s->rq != NULL && lbuf_len(s->rq) > 0)
			stream_reply(s, 408);
		else
			stream_free(s);
		break;
	case ST_QUEUED:
		if (!backend_dequeue_waiting(s))
			return;         /* a slot is already on its way */
		if (w->cfg->mode == MODE_TCP) {
			stream_free(s);
			return;
		}
		log_info("%s: no server slot within the queue timeout", s->cip);
		stream_reply(s, 503);
		break;
	case ST_CONNECT:
		log_info("server %s (%s): connect timeout", s->srv->name, s->srv->addr_str);
		proxy_server_failed(s, 1);
		break;
	case ST_FWD:
		if (which == &w->t_client || (s->flags & SF_RSP_HEAD)) {
			stream_free(s);
			return;
		}
		log_info("server %s (%s): no response within the server timeout",
		    s->srv ? s->srv->name : "?", s->srv ? s->srv->addr_str : "?");
		proxy_server_failed(s, 1);
		break;
	default:
		stream_free(s);
		return;
	}
	stream_run(s);
}

void
proxy_run(struct stream *s)
{
	for (;;) {
		uint8_t st = s->state;

		switch (st) {
		case ST_HEAD:
			head_step(s);
			break;
		case ST_CONNECT:
			if (!connect_step(s))
				return;
			break;
		case ST_FWD:
			fwd_step(s);
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
		default:
			return;
		}
		if (s->state == st)
			return;
	}
}

void
stream_run(struct stream *s)
{
	if (s->state == ST_DEAD)
		return;
	proxy_run(s);
}
