/*
 * proxy.c - one HTTP transaction after another on a client connection.
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
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "lb/alog.h"
#include "lb/lbuf.h"
#include "lb/lpipe.h"
#include "lb/proxy.h"
#include "lb/ring.h"
#include "lb/sample.h"
#include "lb/sconn.h"
#include "lb/server.h"
#include "lb/stream.h"
#include "lb/worker.h"

static void proxy_end_txn(struct stream *s);

/* ---- request heads ---- */

static int
put_header(struct lbuf *b, const struct http_hdr *h)
{
	/* name, colon and value are contiguous and validated in the source */
	size_t n = (size_t)(h->value + h->value_len - h->name);

	if (h->value_len == 0)
		n = h->name_len + 1;
	if (lbuf_add(b, h->name, n) < 0)
		return -1;
	return LBUF_ADD_LIT(b, "\r\n");
}

static int
put_content_length(struct lbuf *b, int64_t v)
{
	char line[48];
	int n = snprintf(line, sizeof(line), "Content-Length: %lld\r\n", (long long)v);

	return lbuf_add(b, line, (size_t)n);
}

/*
 * Copy h to b unless it is hop-by-hop. Content-Length goes once, as the
 * parsed value: "5, 5" or a repeated header was accepted as 5.
 */
static int
pass_header(struct lbuf *b, const struct http_msg *m, const struct http_hdr *h, int *cl_done)
{
	if (h->kind == HDR_CONTENT_LENGTH)
		return (*cl_done)++ == 0 ? put_content_length(b, m->content_length) : 0;
	return h->hop ? 0 : put_header(b, h);
}

/* The head sent to the server: hop-by-hop headers out, X-Forwarded-* in. */
static int
write_request_head(struct stream *s, const struct http_msg *m, struct lbuf *b)
{
	const struct http_hdr *host = NULL;
	int xff = 0, cl_done = 0;

	if (lbuf_add(b, m->method, m->method_len) < 0 || LBUF_ADD_LIT(b, " ") < 0 ||
	    lbuf_add(b, m->target, m->target_len) < 0 ||
	    lbuf_add(b, m->version == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n", 11) < 0)
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
		if (pass_header(b, m, h, &cl_done) < 0)
			return -1;
	}
	if (LBUF_ADD_LIT(b, "X-Forwarded-For: ") < 0)
		return -1;
	if (xff) {
		for (size_t i = 0; i < m->nhdrs; i++) {
			const struct http_hdr *h = &m->hdrs[i];

			if (h->kind != HDR_X_FORWARDED_FOR || h->value_len == 0)
				continue;
			if (lbuf_add(b, h->value, h->value_len) < 0 || LBUF_ADD_LIT(b, ", ") < 0)
				return -1;
		}
	}
	if (lbuf_add(b, s->cip, strlen(s->cip)) < 0 || (s->cli.ssl != NULL ?
	    LBUF_ADD_LIT(b, "\r\nX-Forwarded-Proto: https\r\n") :
	    LBUF_ADD_LIT(b, "\r\nX-Forwarded-Proto: http\r\n")) < 0)
		return -1;
	if (host != NULL && (LBUF_ADD_LIT(b, "X-Forwarded-Host: ") < 0 ||
	    lbuf_add(b, host->value, host->value_len) < 0 || LBUF_ADD_LIT(b, "\r\n") < 0))
		return -1;
	if (s->flags & SF_UPGRADE) {
		if (LBUF_ADD_LIT(b, "Connection: upgrade\r\n") < 0)
			return -1;
	} else if (m->version == 10) {
		/* keep the server connection reusable behind a 1.0 client */
		if (LBUF_ADD_LIT(b, "Connection: keep-alive\r\n") < 0)
			return -1;
	}
	return LBUF_ADD_LIT(b, "\r\n");
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

/* Does a request for host (len n, any case, port removed) match a route's host? */
static int
host_match(const char *want, const char *host, size_t n)
{
	size_t wl = strlen(want);

	if (want[0] == '*' && want[1] == '.') {
		/* "*.example.org": any name ending in ".example.org" */
		return n > wl - 1 && strncasecmp(host + n - (wl - 1), want + 1, wl - 1) == 0;
	}
	return n == wl && strncasecmp(host, want, n) == 0;
}

/*
 * The host a request is for (its absolute-form target's authority, else its
 * Host header; the port left out; NULL when it has none) and the path of
 * its target.
 */
static void
request_host_path(const struct http_msg *m, const char **hostp, size_t *hlenp,
    const char **pathp, size_t *plenp)
{
	const char *host = NULL, *path = m->target;
	size_t hlen = 0, plen = m->target_len;

	/* absolute-form target (RFC 9112 3.2.2): its authority is the host */
	if (plen > 8 && (strncasecmp(path, "http://", 7) == 0 ||
	    strncasecmp(path, "https://", 8) == 0)) {
		const char *a = memchr(path, '/', plen) + 2;
		const char *e = memchr(a, '/', plen - (size_t)(a - path));

		host = a;
		hlen = e ? (size_t)(e - a) : plen - (size_t)(a - path);
		path = e ? e : "/";
		plen = e ? m->target_len - (size_t)(e - m->target) : 1;
	}
	for (size_t i = 0; host == NULL && i < m->nhdrs; i++) {
		if (m->hdrs[i].kind == HDR_HOST) {
			host = m->hdrs[i].value;
			hlen = m->hdrs[i].value_len;
		}
	}
	if (host != NULL && hlen > 0 && host[0] != '[') {
		const char *colon = memchr(host, ':', hlen);

		if (colon != NULL)
			hlen = (size_t)(colon - host);
	} else if (host != NULL && hlen > 0) {
		const char *close = memchr(host, ']', hlen);

		if (close != NULL)
			hlen = (size_t)(close - host) + 1;
	}
	*hostp = host;
	*hlenp = hlen;
	*pathp = path;
	*plenp = plen;
}

/* Choose the pool for a request: the first route that matches, else the default. */
static struct pool *
route_request(const struct frontend *fe, const struct http_msg *m)
{
	const char *host, *path;
	size_t hlen, plen;

	if (fe->nroutes == 0)
		return fe->default_pool;
	request_host_path(m, &host, &hlen, &path, &plen);
	for (int i = 0; i < fe->nroutes; i++) {
		const struct route *r = &fe->route[i];
		size_t rl = strlen(r->path);

		if (r->host[0] && (host == NULL || !host_match(r->host, host, hlen)))
			continue;
		if (rl > 0 && (plen < rl || memcmp(path, r->path, rl) != 0))
			continue;
		return r->pool;
	}
	return fe->default_pool;
}

/* HTTP-01 challenges (RFC 8555 8.3) pass a redirecting listener on to its pool. */
#define ACME_PATH "/.well-known/acme-challenge/"

/* The port https:// URLs need: the first TLS listener's, unless it is 443 (then 0). */
static int
https_port(const struct lb_config *cfg)
{
	for (int i = 0; i < cfg->nfe; i++) {
		const struct frontend *fe = &cfg->fe[i];
		int port;

		if (fe->ntls_cert == 0 || fe->nbind == 0)
			continue;
		port = ntohs(fe->bind[0].addr.ss_family == AF_INET6 ?
		    ((const struct sockaddr_in6 *)&fe->bind[0].addr)->sin6_port :
		    ((const struct sockaddr_in *)&fe->bind[0].addr)->sin_port);
		return port == 443 ? 0 : port;
	}
	return 0;
}

/*
 * redirect-https: the same URL over https, host without its port (the TLS
 * listener's port added when it is not 443). GET and HEAD get a 301, other
 * methods a 308, which keeps the method and the body. 1 when answered (s
 * may be gone), 0 when the request goes on to the pool (an ACME challenge).
 */
static int
redirect_https(struct stream *s, const struct http_msg *m)
{
	char text[LB_BUFSIZE / 2], port[8] = "";
	const char *host, *path;
	size_t hlen, plen;
	int n, moved = (m->method_len == 3 && memcmp(m->method, "GET", 3) == 0) ||
	    (m->method_len == 4 && memcmp(m->method, "HEAD", 4) == 0);
	int p = https_port(s->w->cfg);

	request_host_path(m, &host, &hlen, &path, &plen);
	if (s->pool != NULL && plen >= sizeof(ACME_PATH) - 1 &&
	    memcmp(path, ACME_PATH, sizeof(ACME_PATH) - 1) == 0)
		return 0;
	if (host == NULL || hlen == 0 || strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._[]:") < hlen) {
		stream_reply(s, 400);
		return 1;
	}
	if (plen == 0 || path[0] != '/') {     /* "OPTIONS *" */
		path = "/";
		plen = 1;
	}
	if (p != 0)
		snprintf(port, sizeof(port), ":%d", p);
	n = snprintf(text, sizeof(text), "HTTP/1.1 %s\r\nLocation: https://%.*s%s%.*s\r\n"
	    "Content-Type: text/plain\r\nContent-Length: 15\r\nConnection: close\r\n\r\n"
	    "%s", moved ? "301 Moved Permanently" : "308 Permanent Redirect",
	    (int)hlen, host, port, (int)plen, path, (s->flags & SF_HEAD_REQ) ? "" :
	    "Moved to https\n");
	if (n < 0 || (size_t)n >= sizeof(text)) {
		stream_reply(s, 414);
		return 1;
	}
	s->flags |= SF_CLI_CLOSE;
	stream_reply_text(s, moved ? 301 : 308, text, (size_t)n);
	return 1;
}

static void
set_hash_key(struct stream *s, const struct http_msg *m)
{
	const struct pool *p = s->pool;
	size_t hl;

	if (p == NULL)
		return;
	hl = strlen(p->hash_header);

	switch (p->balance) {
	case BAL_HASH_SOURCE:
		s->hash = ring_hash(s->cip, strlen(s->cip));
		break;
	case BAL_HASH_URI:
		s->hash = ring_hash(m->target, m->target_len);
		break;
	case BAL_HASH_HEADER:
		for (size_t i = 0; i < m->nhdrs; i++) {
			const struct http_hdr *h = &m->hdrs[i];

			if (h->name_len == hl && http_token_eq(h->name, hl, p->hash_header)) {
				s->hash = ring_hash(h->value, h->value_len);
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
		s->flags |= SF_RQ_BULK;
	} else if (m->content_length > 0) {
		if (s->fe->max_body && (uint64_t)m->content_length > s->fe->max_body) {
			s->flags |= SF_CLI_CLOSE;
			stream_reply(s, 413);
			return;
		}
		s->req_body = BODY_CL;
		s->req_left = m->content_length;
		if (m->content_length >= LB_SPLICE_MIN)
			s->flags |= SF_RQ_BULK;
	} else {
		s->req_body = BODY_NONE;
		s->flags |= SF_REQ_FRAMED;
	}
	s->rsp_body = BODY_NONE;
	s->rq_sent = s->rq_body = s->rs_body = 0;
	s->body_seen = 0;
	s->hq_sent = 0;
	s->scan = 0;
	memset(s->tried, 0, sizeof(s->tried));
	s->flags |= SF_REPLAYABLE;
	s->pool = route_request(s->fe, m);
	s->srv_logged = NULL;
	s->t_sent = 0;
	alog_capture(s, m);
	s->flags |= SF_LOGGABLE;
	if (s->fe->redirect_https && redirect_https(s, m))
		return;
	s->retries_left = s->pool ? (uint8_t)s->pool->retries : 0;
	s->bytes_in = s->bytes_out = 0;
	s->t_queued = 0;
	set_hash_key(s, m);
	if ((s->hq = lbuf_get(&w->bufs)) == NULL || write_request_head(s, m, s->hq) < 0) {
		stream_reply(s, 431);
		return;
	}
	s->rq->head += (uint32_t)m->head_len;
	stream_dispatch(s);
}

void
proxy_head_step(struct stream *s)
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
		lbuf_drop_empty(&w->bufs, &s->rq);
		return;
	}
	/* Empty lines before a request line are allowed (RFC 9112 2.2). */
	while (lbuf_len(b) > 0 && (b->data[b->head] == '\r' || b->data[b->head] == '\n') &&
	    s->scan == 0)
		b->head++;
	if (lbuf_len(b) == 0)
		return;
	if (s->tmr.list == &stream_fet(s)->client) {
		/* The first byte of the next request: its head must now hurry. */
		s->t_req = w->now;
		s->t_req_us = clock_mono_us();
		stream_arm(s, &stream_fet(s)->request);
	}
	end = http_head_end(lbuf_rptr(b), lbuf_len(b), &s->scan);
	if (end == 0) {
		/* No LF yet: the line may still end in a CR not counted in its length. */
		int line_too_long = lbuf_len(b) > s->fe->lim.max_line + 1 &&
		    memchr(lbuf_rptr(b), '\n', lbuf_len(b)) == NULL;

		if (lbuf_len(b) >= s->fe->lim.max_head || (lbuf_room(b) == 0 && b->head == 0)) {
			stream_reply(s, line_too_long ? 414 : 431);
			return;
		}
		if (line_too_long) {
			stream_reply(s, 414);
			return;
		}
		if (s->flags & SF_CLI_EOF)
			stream_free(s);
		return;
	}
	m.hdrs = w->hdrs;
	rc = http_parse_request(lbuf_rptr(b), end, &s->fe->lim, &m);
	if (rc < 0) {
		log_info("%s: rejected request: %s", s->cip,
		    rc == HTTP_ERROR ? m.error : "incomplete head");
		stream_reply(s, rc == HTTP_ERROR ? m.error_status : 400);
		return;
	}
	start_txn(s, &m);
}


/*
 * How many of avail new bytes at p belong to a body framed by kind
 * (BODY_CL: *left bytes to go; BODY_CHUNKED: the framer ch). *done when
 * the body ends within them; -1 with *why on bad chunked framing.
 */
static ssize_t
frame_body(int kind, int64_t *left, struct http_chunked *ch, const char *p, uint32_t avail,
    int *done, const char **why)
{
	if (kind == BODY_CL) {
		uint32_t take = (int64_t)avail < *left ? avail : (uint32_t)*left;

		*left -= take;
		*done = *left == 0;
		return take;
	}
	return http_chunked_feed(ch, p, avail, done, why);
}

#define NOT_SPLICING (-3)

/*
 * The stream's one pipe carries one direction's body at a time: that of
 * the request (req set) or of the response. Does direction req hold it?
 */
static inline int
pipe_ours(const struct stream *s, int req)
{
	return s->pipe != NULL && !(s->flags & SF_PIPE_REQ) == !req;
}

/* Bytes of direction req in the pipe; 0 when the pipe is the other direction's. */
static inline uint32_t
piped(const struct stream *s, int req)
{
	return pipe_ours(s, req) ? s->pipe->len : 0;
}

/*
 * What the buffers held of direction req is out: write what the pipe holds
 * of it to `to`, counting it in *count. 1 on progress, 0 none, -1 on an error.
 */
static int
send_piped(struct stream *s, int req, struct lconn *to, uint64_t *count)
{
	ssize_t n;

	if (piped(s, req) == 0)
		return 0;
	if ((n = lpipe_flush(s->pipe, to)) <= 0)
		return (int)n;
	*count += (uint64_t)n;
	return 1;
}

/*
 * Splice what may pass unseen of a body framed by kind (BODY_CL: *left
 * bytes to go; BODY_CHUNKED: the rest of the current chunk's data, per ch;
 * BODY_CLOSE: all, until the end) from socket `from` into the stream's pipe
 * for direction req. A direction that does not hold the pipe yet takes it
 * (from the pool, or from the other direction once that one's bytes are
 * out) when may_start is set, at least LB_SPLICE_MIN bytes may pass and
 * both sockets can splice. Returns the bytes moved (the framing accounted
 * for, *done when the body ended with them), 0 when none moved, -1 at the
 * end of the stream or on an error, or NOT_SPLICING: the next bytes go
 * through the buffer (chunk framing to read, a small body, splicing off, no
 * pipe to be had).
 */
static ssize_t
splice_body(struct stream *s, int req, struct lconn *from, const struct lconn *to,
    int may_start, int kind, int64_t *left, struct http_chunked *ch, int *done)
{
	uint64_t unseen = kind == BODY_CL ? (uint64_t)*left :
	    kind == BODY_CHUNKED ? http_chunked_data_left(ch) : kind == BODY_CLOSE ? UINT64_MAX : 0;
	int ours = pipe_ours(s, req);
	ssize_t n;

	*done = 0;
	if (unseen == 0)
		return NOT_SPLICING;
	if (!ours) {
		if (!may_start || unseen < LB_SPLICE_MIN || !(from->ready & RD_IN) ||
		    !lconn_can_splice(from) || !lconn_can_splice(to) ||
		    (s->pipe != NULL && s->pipe->len > 0) ||
		    (s->pipe == NULL && (s->pipe = lpipe_get(&s->w->pipes)) == NULL))
			return NOT_SPLICING;
		s->flags = req ? s->flags | SF_PIPE_REQ : s->flags & ~SF_PIPE_REQ;
	}
	n = lpipe_fill(s->pipe, from, unseen > SIZE_MAX ? SIZE_MAX : (size_t)unseen);
	if (n > 0 && kind == BODY_CL) {
		*left -= n;
		*done = *left == 0;
	} else if (n > 0 && kind == BODY_CHUNKED) {
		http_chunked_skip(ch, (uint64_t)n);
	}
	return n;
}

/*
 * Has a chunked request body passed max-body? Counted with the chunk
 * framing the buffers saw: a little generous, never less.
 */
static int
body_too_large(const struct stream *s)
{
	if (!s->fe->max_body || s->req_body != BODY_CHUNKED || s->body_seen <= s->fe->max_body)
		return 0;
	log_info("%s: chunked request body larger than %llu bytes", s->cip,
	    (unsigned long long)s->fe->max_body);
	return 1;
}

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
	{
		const char *why = NULL;
		int done;
		ssize_t n = frame_body(s->req_body, &s->req_left, &s->req_ch,
		    lbuf_rptr(b) + s->rq_body, avail, &done, &why);

		if (n < 0) {
			log_info("%s: rejected request body: %s", s->cip, why);
			return -1;
		}
		s->rq_body += (uint32_t)n;
		if (done)
			s->flags |= SF_REQ_FRAMED;
	}
	s->body_seen += avail;
	return body_too_large(s) ? -2 : 1;
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

/* Has the server been sent everything the buffers hold of the request (head and body)? */
static inline int
request_flushed(const struct stream *s)
{
	return (s->hq == NULL || s->hq_sent == lbuf_len(s->hq)) && s->rq_sent == s->rq_body;
}

/*
 * Read the client's next request body bytes: into the pipe while they may
 * pass unseen, else into rq, and into rq only while the pipe is empty, so
 * that the bytes leave in the order they came. A body starts through the
 * pipe only once the server has everything before it: bytes in a pipe
 * cannot be sent twice, so the request stops being replayable there.
 * Returns 1 on progress, 0 none, -1 at the end or on an error (SF_CLI_EOF
 * set), -2 past max-body (chunked; counted before the server sees them).
 */
static int
read_request(struct stream *s)
{
	struct sconn *sc = s->sc;
	int may_start = sc != NULL && !sc->connecting && request_flushed(s), done;
	ssize_t n = NOT_SPLICING;

	if (sc != NULL)
		n = splice_body(s, 1, &s->cli, &sc->c, may_start, s->req_body, &s->req_left,
		    &s->req_ch, &done);
	if (n == NOT_SPLICING)
		return piped(s, 1) == 0 ? stream_cli_read(s) : 0;
	if (n < 0) {
		s->flags |= SF_CLI_EOF;
		return -1;
	}
	if (n == 0)
		return 0;
	s->flags &= ~SF_REPLAYABLE;
	commit_request(s);
	if (done)
		s->flags |= SF_REQ_FRAMED;
	s->body_seen += (uint64_t)n;
	return body_too_large(s) ? -2 : 1;
}

/*
 * Write to the server what the buffers hold (the head, then body bytes),
 * then what the pipe holds. 1 on progress, 0 none, -1 on an error.
 */
static int
send_request(struct stream *s)
{
	struct sconn *sc = s->sc;
	struct iovec iov[2];
	int cnt = 0;
	ssize_t n;

	if (sc == NULL || sc->connecting || !(sc->c.ready & RD_OUT))
		return 0;
	if (s->hq != NULL && s->hq_sent < lbuf_len(s->hq)) {
		iov[cnt].iov_base = lbuf_rptr(s->hq) + s->hq_sent;
		iov[cnt].iov_len = lbuf_len(s->hq) - s->hq_sent;
		cnt++;
	}
	if (s->rq != NULL && s->rq_body > s->rq_sent) {
		iov[cnt].iov_base = lbuf_rptr(s->rq) + s->rq_sent;
		iov[cnt].iov_len = s->rq_body - s->rq_sent;
		cnt++;
	}
	if (cnt == 0)
		return send_piped(s, 1, &sc->c, &s->bytes_in);
	if ((n = lconn_writev(&sc->c, iov, cnt)) <= 0)
		return (int)n;
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
	s->bytes_in += (uint64_t)n;
	/* Once the answer has begun, or the buffer must make room, keep nothing. */
	if ((s->flags & (SF_RSP_STARTED)) || !(s->flags & SF_REPLAYABLE))
		commit_request(s);
	return 1;
}

static inline int
request_sent(const struct stream *s)
{
	return (s->flags & SF_REQ_FRAMED) && request_flushed(s) && piped(s, 1) == 0;
}

/* The head sent to the client: our own version, hop-by-hop headers out. */
static int
write_response_head(struct stream *s, const struct http_msg *m, struct lbuf *b, int final)
{
	char line[16];
	int cl_done = 0;

	/* the parser took exactly three digits: no printf on every answer */
	memcpy(line, "HTTP/1.1 ", 9);
	line[9] = (char)('0' + m->status / 100);
	line[10] = (char)('0' + m->status / 10 % 10);
	line[11] = (char)('0' + m->status % 10);
	line[12] = ' ';
	if (lbuf_add(b, line, 13) < 0 || lbuf_add(b, m->reason ? m->reason : "", m->reason_len) < 0 ||
	    LBUF_ADD_LIT(b, "\r\n") < 0)
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
		if (pass_header(b, m, h, &cl_done) < 0)
			return -1;
	}
	if (m->status == 101) {
		if (LBUF_ADD_LIT(b, "Connection: upgrade\r\n") < 0)
			return -1;
	} else if (final && (s->flags & SF_CLI_CLOSE)) {
		if (LBUF_ADD_LIT(b, "Connection: close\r\n") < 0)
			return -1;
		s->flags |= SF_SAID_CLOSE;
	} else if (final && (s->flags & SF_V10)) {
		if (LBUF_ADD_LIT(b, "Connection: keep-alive\r\n") < 0)
			return -1;
	}
	return LBUF_ADD_LIT(b, "\r\n");
}

/* Bad response from the server: 502 if the client has nothing yet. */
static void
bad_response(struct stream *s, const char *why)
{
	static struct log_limit said = LOG_LIMIT_INIT;

	log_limited(&said, LOG_LVL_WARN, "server %s (%s): invalid response: %s",
	    s->srv ? s->srv->name : "?", s->srv ? s->srv->addr_str : "?", why);
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
			if (lbuf_len(s->rs) >= s->fe->lim.max_head || lbuf_room(s->rs) == 0) {
				bad_response(s, "head too large");
				return -1;
			}
			return 0;
		}
		m.hdrs = w->hdrs;
		rc = http_parse_response(lbuf_rptr(s->rs), end, &s->fe->lim, &m);
		if (rc < 0) {
			bad_response(s, rc == HTTP_ERROR ? m.error : "incomplete head");
			return -1;
		}
		if (s->hs == NULL && (s->hs = lbuf_get(&w->bufs)) == NULL) {
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
				stream_arm(s, &stream_fet(s)->tunnel);
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
		{
			int cls = m.status / 100 - 1;
			struct srv_state *st = s->srv->st;

			int64_t now = clock_mono_us();

			atomic_fetch_add_explicit(&st->responses[cls >= 0 && cls < 5 ? cls : 5], 1,
			    memory_order_relaxed);
			server_observe(s->pool, -1, now - s->t_sent);
			sample_answer(w, s->pool, s->srv, m.status, now - s->t_req_us);
		}
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
		else if (s->rsp_body != BODY_CL || s->rsp_left >= LB_SPLICE_MIN)
			s->flags |= SF_RS_BULK;
		if (write_response_head(s, &m, s->hs, 1) < 0) {
			bad_response(s, "head too large");
			return -1;
		}
		s->rs->head += (uint32_t)end;
		s->flags |= SF_RSP_HEAD;
		s->rs_body = 0;
		/* a 5xx counts against the server's passive health only where asked */
		if (m.status >= 500 && s->pool->passive_5xx)
			server_note_5xx(w, s->srv);
		else
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
	{
		const char *why = NULL;
		int done;
		ssize_t n = frame_body(s->rsp_body, &s->rsp_left, &s->rsp_ch,
		    lbuf_rptr(b) + s->rs_body, avail, &done, &why);

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

/*
 * Read what the server sent: the response body into the pipe while it may
 * pass unseen, everything else into rs, and into rs only while the pipe is
 * empty (bytes leave in the order they came). 1 on progress, 0 none, -1
 * at the end or on an error (SF_SRV_EOF set).
 */
static int
read_response(struct stream *s)
{
	struct sconn *sc = s->sc;
	ssize_t n = NOT_SPLICING;
	int done;

	if ((s->flags & (SF_RSP_HEAD | SF_RSP_FRAMED)) == SF_RSP_HEAD && sc != NULL)
		n = splice_body(s, 0, &sc->c, &s->cli, 1, s->rsp_body, &s->rsp_left, &s->rsp_ch,
		    &done);
	if (n == NOT_SPLICING)
		return piped(s, 0) == 0 ? stream_srv_read(s) : 0;
	if (n < 0) {
		s->flags |= SF_SRV_EOF;
		return -1;
	}
	if (n > 0 && done)
		s->flags |= SF_RSP_FRAMED;
	return n > 0;
}

/* Have the client's buffers nothing left to write (the head and body bytes of rs)? */
static inline int
response_flushed(const struct stream *s)
{
	return (s->hs == NULL || lbuf_len(s->hs) == 0) && s->rs_body == 0;
}

/*
 * Write to the client what the buffers hold (a head, then body bytes),
 * then what the pipe holds. 1 on progress, 0 none, -1 on an error.
 */
static int
send_response(struct stream *s)
{
	struct iovec iov[2];
	int cnt = 0;
	size_t h = 0;
	ssize_t n;

	if (!(s->cli.ready & RD_OUT))
		return 0;
	if (s->hs != NULL && lbuf_len(s->hs) > 0) {
		iov[cnt].iov_base = lbuf_rptr(s->hs);
		iov[cnt].iov_len = h = lbuf_len(s->hs);
		cnt++;
	}
	if ((s->flags & SF_RSP_HEAD) && s->rs_body > 0) {
		iov[cnt].iov_base = lbuf_rptr(s->rs);
		iov[cnt].iov_len = s->rs_body;
		cnt++;
	}
	if (cnt == 0)
		return send_piped(s, 0, &s->cli, &s->bytes_out);
	if ((n = lconn_writev(&s->cli, iov, cnt)) <= 0)
		return (int)n;
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
	s->bytes_out += (uint64_t)n;
	return 1;
}

void
proxy_fwd_step(struct stream *s)
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
			rc = read_request(s);
			if (rc > 0)
				progress = 1;
			if (rc == -2 || (rc = frame_request(s)) < 0) {
				if (s->flags & SF_RSP_HEAD)
					stream_free(s);
				else
					stream_reply(s, rc == -2 ? 413 : 400);
				return;
			}
			if ((s->flags & SF_CLI_EOF) && !(s->flags & SF_REQ_FRAMED)) {
				stream_free(s);  /* the client gave up mid-request */
				return;
			}
		}
		rc = send_request(s);
		if (rc < 0) {
			stream_server_failed(s, 0);
			return;
		}
		progress |= rc;

		/* server -> client */
		rc = read_response(s);
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
				lbuf_release(&w->bufs, s->hq);
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
		if ((s->flags & SF_RSP_FRAMED) && response_flushed(s) && piped(s, 0) == 0) {
			proxy_end_txn(s);
			return;
		}
		if ((s->flags & SF_SRV_EOF) && !(s->flags & SF_RSP_FRAMED)) {
			if (!(s->flags & SF_RSP_STARTED)) {
				stream_server_failed(s, 0);
				return;
			}
			if (!(s->flags & SF_RSP_HEAD)) {
				bad_response(s, "connection closed before the head ended");
				return;
			}
			/* Body cut short: pass on what came, then close; the client
			 * sees the short body, never a made-up ending. */
			if (response_flushed(s) && piped(s, 0) == 0) {
				stream_free(s);
				return;
			}
		}
	} while (progress && s->state == ST_FWD);

	if (s->state == ST_FWD) {
		/* Waiting on the client (body or reading) or on the server? */
		struct tlist *l = (!(s->flags & SF_REQ_FRAMED) && !(s->cli.ready & RD_IN)) ||
		    !(s->cli.ready & RD_OUT) ? &stream_fet(s)->client : &stream_pt(s)->server;

		stream_arm(s, l);
		/* Waiting holds only what is in flight: empty buffers and pipes go back. */
		lpipe_drop_empty(&w->pipes, &s->pipe);
		lbuf_drop_empty(&w->bufs, &s->rq);
		lbuf_drop_empty(&w->bufs, &s->rs);
	}
}

static void
proxy_end_txn(struct stream *s)
{
	struct worker *w = s->w;
	int reusable = !(s->flags & (SF_SRV_CLOSE | SF_SRV_EOF)) && request_sent(s) &&
	    s->rsp_body != BODY_CLOSE && (s->rs == NULL || lbuf_len(s->rs) == 0);

	if (s->srv != NULL) {
		struct srv_state *st = s->srv->st;

		atomic_fetch_add_explicit(&st->bytes_in, s->bytes_in, memory_order_relaxed);
		atomic_fetch_add_explicit(&st->bytes_out, s->bytes_out, memory_order_relaxed);
	}
	alog_request(s, s->status);
	sconn_detach(s, reusable);
	lbuf_release(&w->bufs, s->hq); s->hq = NULL;
	lbuf_release(&w->bufs, s->hs); s->hs = NULL;
	lpipe_release(&w->pipes, s->pipe); s->pipe = NULL;
	lbuf_drop_empty(&w->bufs, &s->rs);
	if (s->rs != NULL) {            /* bytes past the response: not ours to keep */
		lbuf_release(&w->bufs, s->rs);
		s->rs = NULL;
	}
	/*
	 * Close only after a head that said so. A close decided later (the
	 * worker is making way for a reload) waits for the next response: the
	 * client was promised this connection would stay open.
	 */
	if (s->flags & SF_SAID_CLOSE) {
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
	lbuf_drop_empty(&w->bufs, &s->rq);
	if (s->rq == NULL) {
		/* keep-alive: idle until the next request; briefly when stopping */
		stream_arm(s, w->stopping ? &w->t_linger : &stream_fet(s)->client);
	} else {
		s->t_req = w->now;
		s->t_req_us = clock_mono_us();
		stream_arm(s, &stream_fet(s)->request);
	}
}
