/*
 * http.c - see http.h. Strict HTTP/1.x head parsing and chunked framing.
 *
 * The grammar references are RFC 9112 (message syntax) and RFC 9110
 * (semantics). Where the RFCs let a recipient choose between rejecting and
 * repairing a message whose framing is doubtful, this parser rejects: a
 * proxy that repairs what the server behind it reads differently is how
 * request smuggling happens.
 */
#include <string.h>

#include "lb/http.h"

/* Character classes, one bit each. */
#define C_TCHAR  0x01   /* token character (RFC 9110 5.6.2) */
#define C_VALUE  0x02   /* field-value octet: VCHAR, obs-text, SP, HTAB */
#define C_TARGET 0x04   /* request-target octet: visible, no SP/CTL */
#define C_HEX    0x08
#define C_HOST   0x10   /* Host octet: reg-name, IP-literal, ":" port (RFC 3986 3.2.2) */

static uint8_t ctab[256];
static uint8_t lowertab[256];

__attribute__((constructor)) static void
http_init_tables(void)
{
	const char *tspecial = "!#$%&'*+-.^_`|~";
	/*
	 * unreserved, pct-encoded, sub-delims but the comma (a list separator
	 * to a recipient that joins repeated fields), and the IP-literal and
	 * port delimiters.
	 */
	const char *hostchars = "-._~%!$&'()*+;=:[]";

	for (int c = 0; c < 256; c++) {
		uint8_t f = 0;

		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c != 0 && strchr(tspecial, c) != NULL))
			f |= C_TCHAR;
		if (c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7e) || c >= 0x80)
			f |= C_VALUE;
		if ((c >= 0x21 && c <= 0x7e) || c >= 0x80)
			f |= C_TARGET;
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			f |= C_HEX;
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c != 0 && strchr(hostchars, c) != NULL))
			f |= C_HOST;
		ctab[c] = f;
		lowertab[c] = (uint8_t)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
}

int
http_token_eq(const char *p, size_t n, const char *lower)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (lower[i] == '\0' || lowertab[(unsigned char)p[i]] != (unsigned char)lower[i])
			return 0;
	}
	return lower[i] == '\0';
}

int
http_status_has_no_body(int status)
{
	return (status >= 100 && status < 200) || status == 204 || status == 304;
}

size_t
http_head_end(const char *buf, size_t len, size_t *scan)
{
	size_t i = *scan;

	for (;;) {
		const char *nl = i < len ? memchr(buf + i, '\n', len - i) : NULL;

		if (nl == NULL) {
			*scan = len;
			return 0;
		}
		i = (size_t)(nl - buf);
		if (i + 1 >= len) {
			*scan = i;
			return 0;
		}
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r') {
			if (i + 2 >= len) {
				*scan = i;
				return 0;
			}
			if (buf[i + 2] == '\n')
				return i + 3;
		}
		i++;
	}
}

static int
fail(struct http_msg *m, int status, const char *why)
{
	m->error_status = status;
	m->error = why;
	return HTTP_ERROR;
}

/*
 * "Transfer_Encoding" or "Content_Length": some servers and frameworks read
 * '_' as '-' (CGI-style variables), so such a field could frame the message
 * behind brace's back. Refused rather than forwarded.
 */
static int
underscore_framing(const char *n, size_t len)
{
	static const char *const names[] = { "content-length", "transfer-encoding" };
	int underscore = 0;

	if (memchr(n, '_', len) == NULL)
		return 0;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		size_t i;

		if (strlen(names[k]) != len)
			continue;
		for (i = 0; i < len; i++) {
			unsigned char c = lowertab[(unsigned char)n[i]];

			if (c == '_') {
				underscore = 1;
				c = '-';
			}
			if (c != (unsigned char)names[k][i])
				break;
		}
		if (i == len && underscore)
			return 1;
	}
	return 0;
}

static enum http_hdr_kind
classify(const char *n, size_t len)
{
	switch (len) {
	case 2:
		return http_token_eq(n, len, "te") ? HDR_TE : HDR_OTHER;
	case 4:
		return http_token_eq(n, len, "host") ? HDR_HOST : HDR_OTHER;
	case 6:
		return http_token_eq(n, len, "expect") ? HDR_EXPECT : HDR_OTHER;
	case 7:
		if (http_token_eq(n, len, "upgrade"))
			return HDR_UPGRADE;
		return http_token_eq(n, len, "trailer") ? HDR_TRAILER : HDR_OTHER;
	case 10:
		if (http_token_eq(n, len, "connection"))
			return HDR_CONNECTION;
		return http_token_eq(n, len, "keep-alive") ? HDR_KEEP_ALIVE : HDR_OTHER;
	case 14:
		return http_token_eq(n, len, "content-length") ? HDR_CONTENT_LENGTH : HDR_OTHER;
	case 15:
		return http_token_eq(n, len, "x-forwarded-for") ? HDR_X_FORWARDED_FOR : HDR_OTHER;
	case 16:
		if (http_token_eq(n, len, "proxy-connection"))
			return HDR_PROXY_CONNECTION;
		return http_token_eq(n, len, "x-forwarded-host") ? HDR_X_FORWARDED_HOST : HDR_OTHER;
	case 17:
		if (http_token_eq(n, len, "transfer-encoding"))
			return HDR_TRANSFER_ENCODING;
		return http_token_eq(n, len, "x-forwarded-proto") ? HDR_X_FORWARDED_PROTO : HDR_OTHER;
	default:
		return HDR_OTHER;
	}
}

/*
 * Walk a comma-separated list (RFC 9110 5.6.1), calling fn for each
 * non-empty element with its surrounding whitespace removed. With strict
 * set, an empty element (so also an empty value) is an error: RFC 9110 lets
 * a recipient skip them, but in a framing field ("chunked,", ", chunked",
 * "5,,5") they are obfuscation that another parser may read differently.
 */
static int
each_list_item(const char *v, size_t n, int strict, int (*fn)(const char *, size_t, void *),
    void *arg)
{
	size_t i = 0;

	while (i <= n) {
		size_t s = i, e;

		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (s < e && (v[s] == ' ' || v[s] == '\t'))
			s++;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e == s) {
			if (strict)
				return -1;
		} else if (fn(v + s, e - s, arg) < 0) {
			return -1;
		}
		i++;
	}
	return 0;
}

/* RFC 9112 3.2: Host = uri-host [ ":" port ]; checked by octet class only. */
static int
host_valid(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(ctab[(unsigned char)v[i]] & C_HOST))
			return 0;
	return 1;
}

struct cl_state {
	int64_t value;          /* -1 until the first value */
	int bad;                /* 1 not digits/overflow, 2 values differ */
};

static int
cl_item(const char *p, size_t n, void *arg)
{
	struct cl_state *st = arg;
	int64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' || v > (INT64_MAX - 9) / 10) {
			st->bad = 1;
			return -1;
		}
		v = v * 10 + (p[i] - '0');
	}
	if (st->value >= 0 && st->value != v) {
		st->bad = 2;
		return -1;
	}
	st->value = v;
	return 0;
}

struct te_state {
	int chunked_seen;       /* chunked appeared (must then be last) */
	int last_chunked;
	int bad;                /* 1 unknown coding or syntax, 2 chunked not last/twice */
};

static int
te_item(const char *p, size_t n, void *arg)
{
	static const char *const known[] = {
		"gzip", "x-gzip", "deflate", "compress", "x-compress",
	};
	struct te_state *st = arg;
	int ok = 0;

	for (size_t i = 0; i < n; i++) {
		if (!(ctab[(unsigned char)p[i]] & C_TCHAR)) {
			st->bad = 1;    /* parameters, quotes, stray bytes */
			return -1;
		}
	}
	if (st->chunked_seen) {
		st->bad = 2;    /* anything after chunked, chunked included */
		return -1;
	}
	if (http_token_eq(p, n, "chunked")) {
		st->chunked_seen = 1;
		st->last_chunked = 1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (http_token_eq(p, n, known[i]))
			ok = 1;
	if (!ok) {
		st->bad = 1;
		return -1;
	}
	st->last_chunked = 0;
	return 0;
}

struct conn_state {
	uint32_t flags;
};

static int
conn_item(const char *p, size_t n, void *arg)
{
	struct conn_state *st = arg;

	if (http_token_eq(p, n, "close"))
		st->flags |= HTTP_F_CONN_CLOSE;
	else if (http_token_eq(p, n, "keep-alive"))
		st->flags |= HTTP_F_CONN_KEEPALIVE;
	else if (http_token_eq(p, n, "upgrade"))
		st->flags |= HTTP_F_CONN_UPGRADE;
	else
		st->flags |= HTTP_F_CONN_OTHER;
	return 0;
}

struct hop_state {
	struct http_msg *m;
};

static int
ci_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lowertab[(unsigned char)a[i]] != lowertab[(unsigned char)b[i]])
			return 0;
	return 1;
}

/* Mark the headers a Connection option names as hop-by-hop. */
static int
hop_item(const char *p, size_t n, void *arg)
{
	struct hop_state *st = arg;

	for (size_t i = 0; i < st->m->nhdrs; i++) {
		struct http_hdr *h = &st->m->hdrs[i];

		/*
		 * Never let a client drop framing or routing headers this way.
		 * Upgrade is the caller's to forward or drop from HTTP_F_UPGRADE
		 * and HTTP_F_CONN_UPGRADE: marking it only when Connection also
		 * names another option ("Upgrade, HTTP2-Settings") would drop it
		 * from exactly those upgrades.
		 */
		if (h->kind == HDR_CONTENT_LENGTH || h->kind == HDR_TRANSFER_ENCODING ||
		    h->kind == HDR_HOST || h->kind == HDR_UPGRADE)
			continue;
		if (h->name_len == n && ci_eq(h->name, p, n))
			h->hop = 1;
	}
	return 0;
}

/*
 * Parse the header lines starting at p (just after the start line) up to the
 * empty line. Common to requests and responses; err_status is the status to
 * answer for a malformed header (400 for requests, 502 for responses).
 */
static int
parse_headers(const char *buf, const char *p, const char *end, const struct http_limits *lim,
    struct http_msg *m, int err_status)
{
	struct cl_state cl = { -1, 0 };
	struct te_state te = { 0, 0, 0 };
	struct conn_state cs = { 0 };
	int hosts = 0, request = err_status == 400;

	for (;;) {
		const char *nl, *le, *q, *v;
		struct http_hdr *h;

		if (p >= end)
			goto more;
		if (*p == '\r') {
			if (p + 1 >= end)
				goto more;
			if (p[1] != '\n')
				return fail(m, err_status, "bare CR in header section");
			p += 2;
			break;
		}
		if (*p == '\n') {
			p++;
			break;
		}
		if (*p == ' ' || *p == '\t')
			return fail(m, err_status, "obsolete line folding (obs-fold)");
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			goto more;
		if ((size_t)(nl + 1 - buf) > lim->max_head)
			return fail(m, err_status == 400 ? 431 : err_status, "header section too large");
		le = nl;
		if (le > p && le[-1] == '\r')
			le--;
		/* field-name ":" with nothing in between */
		for (q = p; q < le && (ctab[(unsigned char)*q] & C_TCHAR); q++)
			;
		if (q == le || *q != ':') {
			if (q < le && (*q == ' ' || *q == '\t'))
				return fail(m, err_status, "whitespace between header name and colon");
			return fail(m, err_status, "invalid character in header name");
		}
		if (q == p)
			return fail(m, err_status, "empty header name");
		if (m->nhdrs >= lim->max_hdrs)
			return fail(m, err_status == 400 ? 431 : err_status, "too many headers");
		h = &m->hdrs[m->nhdrs++];
		h->name = p;
		h->name_len = (uint32_t)(q - p);
		h->hop = 0;
		v = q + 1;
		while (v < le && (*v == ' ' || *v == '\t'))
			v++;
		for (q = v; q < le; q++)
			if (!(ctab[(unsigned char)*q] & C_VALUE))
				return fail(m, err_status, *q == '\r' ? "bare CR in header value" :
				    *q == '\0' ? "NUL in header value" :
				    "control character in header value");
		while (q > v && (q[-1] == ' ' || q[-1] == '\t'))
			q--;
		h->value = v;
		h->value_len = (uint32_t)(q - v);
		h->kind = (uint8_t)classify(h->name, h->name_len);
		if (h->kind == HDR_OTHER && underscore_framing(h->name, h->name_len))
			return fail(m, err_status, "underscore in a framing header name");
		switch (h->kind) {
		case HDR_HOST:
			/* Host routes requests only; a response may carry anything there */
			if (++hosts > 1 && request)
				return fail(m, 400, "more than one Host header");
			if (request && !host_valid(h->value, h->value_len))
				return fail(m, 400, "invalid Host header");
			break;
		case HDR_CONTENT_LENGTH:
			m->flags |= HTTP_F_CL;
			if (each_list_item(h->value, h->value_len, 1, cl_item, &cl) < 0)
				return fail(m, err_status, cl.bad == 2 ?
				    "Content-Length values differ" : "invalid Content-Length");
			break;
		case HDR_TRANSFER_ENCODING:
			m->flags |= HTTP_F_TE;
			if (each_list_item(h->value, h->value_len, 1, te_item, &te) < 0)
				return fail(m, err_status, te.bad == 2 ?
				    "Transfer-Encoding codings after chunked" :
				    "unknown or malformed Transfer-Encoding");
			break;
		case HDR_CONNECTION:
			each_list_item(h->value, h->value_len, 0, conn_item, &cs);
			break;
		case HDR_UPGRADE:
			m->flags |= HTTP_F_UPGRADE;
			break;
		case HDR_EXPECT:
			if (http_token_eq(h->value, h->value_len, "100-continue"))
				m->flags |= HTTP_F_EXPECT_100;
			break;
		default:
			break;
		}
		p = nl + 1;
	}
	if ((size_t)(p - buf) > lim->max_head)
		return fail(m, err_status == 400 ? 431 : err_status, "header section too large");
	m->head_len = (size_t)(p - buf);
	m->flags |= cs.flags;
	if (hosts > 0)
		m->flags |= HTTP_F_HOST;
	m->content_length = cl.value;
	if (m->flags & HTTP_F_TE) {
		if (m->flags & HTTP_F_CL)
			return fail(m, err_status, "both Content-Length and Transfer-Encoding");
		if (m->version == 10)
			return fail(m, err_status, "Transfer-Encoding in an HTTP/1.0 message");
		if (!te.last_chunked)
			return fail(m, err_status, "Transfer-Encoding does not end in chunked");
		m->flags |= HTTP_F_CHUNKED;
	}
	if (cs.flags & HTTP_F_CONN_OTHER) {
		struct hop_state hs = { m };

		for (size_t i = 0; i < m->nhdrs; i++)
			if (m->hdrs[i].kind == HDR_CONNECTION)
				each_list_item(m->hdrs[i].value, m->hdrs[i].value_len, 0, hop_item,
				    &hs);
	}
	return (int)m->head_len;
more:
	if ((size_t)(end - buf) > lim->max_head)
		return fail(m, err_status == 400 ? 431 : err_status, "header section too large");
	return HTTP_NEED_MORE;
}

static void
msg_reset(struct http_msg *m)
{
	m->method = m->target = m->reason = NULL;
	m->method_len = m->target_len = m->reason_len = 0;
	m->status = 0;
	m->version = 0;
	m->nhdrs = 0;
	m->head_len = 0;
	m->content_length = -1;
	m->flags = 0;
	m->error_status = 0;
	m->error = NULL;
}

/* "HTTP/1.0" or "HTTP/1.1" exactly; 10, 11, or -1. */
static int
parse_version(const char *p, size_t n)
{
	if (n != 8 || memcmp(p, "HTTP/1.", 7) != 0)
		return -1;
	if (p[7] == '1')
		return 11;
	if (p[7] == '0')
		return 10;
	return -1;
}

int
http_parse_request(const char *buf, size_t len, const struct http_limits *lim,
    struct http_msg *m)
{
	const char *p = buf, *end = buf + len, *nl, *le, *q;
	int rc;

	msg_reset(m);
	nl = memchr(p, '\n', len);
	if (nl == NULL) {
		/* the CR of the line's CRLF may be here already: not part of the line */
		if (len - (len > 0 && buf[len - 1] == '\r') > lim->max_line)
			return fail(m, 414, "request line too long");
		return HTTP_NEED_MORE;
	}
	le = nl;
	if (le > p && le[-1] == '\r')
		le--;
	if ((size_t)(le - p) > lim->max_line)
		return fail(m, 414, "request line too long");
	/* method SP request-target SP HTTP-version */
	for (q = p; q < le && (ctab[(unsigned char)*q] & C_TCHAR); q++)
		;
	if (q == p || q == le || *q != ' ')
		return fail(m, 400, "malformed request line");
	m->method = p;
	m->method_len = (uint32_t)(q - p);
	p = q + 1;
	for (q = p; q < le && (ctab[(unsigned char)*q] & C_TARGET); q++)
		;
	if (q == p || q == le || *q != ' ')
		return fail(m, 400, "malformed request line");
	m->target = p;
	m->target_len = (uint32_t)(q - p);
	p = q + 1;
	if ((m->version = parse_version(p, (size_t)(le - p))) < 0)
		return fail(m, 400, "malformed request line or unsupported HTTP version");
	rc = parse_headers(buf, nl + 1, end, lim, m, 400);
	if (rc < 0)
		return rc;
	if (m->version == 11 && !(m->flags & HTTP_F_HOST))
		return fail(m, 400, "missing Host header");
	/* RFC 9110 10.1.1: a 1.0 client cannot take a 100 (Continue); ignore it */
	if (m->version == 10)
		m->flags &= ~(uint32_t)HTTP_F_EXPECT_100;
	return rc;
}

int
http_parse_response(const char *buf, size_t len, const struct http_limits *lim,
    struct http_msg *m)
{
	const char *p = buf, *end = buf + len, *nl, *le;
	int rc;

	msg_reset(m);
	nl = memchr(p, '\n', len);
	if (nl == NULL) {
		if (len > lim->max_head)
			return fail(m, 502, "status line too long");
		return HTTP_NEED_MORE;
	}
	le = nl;
	if (le > p && le[-1] == '\r')
		le--;
	if (le - p < 12 || (m->version = parse_version(p, 8)) < 0 || p[8] != ' ' ||
	    (unsigned)(p[9] - '1') > 8 || (unsigned)(p[10] - '0') > 9 ||
	    (unsigned)(p[11] - '0') > 9 || (le - p > 12 && p[12] != ' '))
		return fail(m, 502, "malformed status line");
	m->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (le - p > 12) {
		m->reason = p + 13;
		m->reason_len = (uint32_t)(le - p - 13);
		for (const char *q = m->reason; q < le; q++)
			if (!(ctab[(unsigned char)*q] & C_VALUE))
				return fail(m, 502, "control character in reason phrase");
	}
	rc = parse_headers(buf, nl + 1, end, lim, m, 502);
	if (rc == HTTP_ERROR && m->error_status == 400)
		m->error_status = 502;  /* a backend's fault, whatever the rule */
	return rc;
}

/*
 * Chunked framer states. Every line of the chunked framing ends in CRLF
 * (RFC 9112 7.1): a bare LF is refused here although the head parser takes
 * one (RFC 9112 2.2 allows that for the start line and header fields only).
 * Parsers that disagree on a lone LF in a chunk line are a known way to
 * smuggle a request through a proxy that forwards the body as it came.
 */
enum {
	CH_SIZE = 0, CH_SIZE_BWS, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF,
	CH_TRAILER, CH_TRAILER_NAME, CH_TRAILER_VALUE, CH_TRAILER_LF, CH_END_LF, CH_DONE,
};

#define CH_MAX_DIGITS   15      /* 60 bits: no overflow, far past any real body */
#define CH_MAX_LINE     4096
#define CH_MAX_TRAILERS 16384

ssize_t
http_chunked_feed(struct http_chunked *c, const char *p, size_t n, int *done,
    const char **reason)
{
	size_t i = 0;

	*done = c->state == CH_DONE;
	if (*done)
		return 0;
	while (i < n) {
		unsigned char ch = (unsigned char)p[i];

		switch (c->state) {
		case CH_SIZE:
			if (ctab[ch] & C_HEX) {
				if (++c->digits > CH_MAX_DIGITS) {
					*reason = "chunk size too large";
					return -1;
				}
				c->remaining = c->remaining * 16 +
				    (uint64_t)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
				i++;
				break;
			}
			if (c->digits == 0) {
				*reason = "chunk size is not a hexadecimal number";
				return -1;
			}
			if (ch == ';') {
				c->state = CH_EXT;
				c->line_len = 0;
			} else if (ch == '\r') {
				c->state = CH_SIZE_LF;
			} else if (ch == ' ' || ch == '\t') {
				c->state = CH_SIZE_BWS;
				c->line_len = 1;
			} else {
				*reason = ch == '\n' ? "chunk size line ends in a bare LF" :
				    "invalid character after chunk size";
				return -1;
			}
			i++;
			break;
		case CH_SIZE_BWS:
			/*
			 * RFC 9112 7.1.1 allows BWS before the ";" of an extension and
			 * RFC 9110 5.6.3 says a recipient MUST accept it; whitespace
			 * that is not followed by an extension is not in the grammar.
			 */
			if (ch == ';') {
				c->state = CH_EXT;
				c->line_len = 0;
			} else if ((ch != ' ' && ch != '\t') || ++c->line_len > CH_MAX_LINE) {
				*reason = "whitespace after chunk size not followed by an extension";
				return -1;
			}
			i++;
			break;
		case CH_EXT:
			if (ch == '\r') {
				c->state = CH_SIZE_LF;
			} else if ((ch < 0x20 && ch != '\t') || ch == 0x7f ||
			    ++c->line_len > CH_MAX_LINE) {
				*reason = "malformed chunk extension";
				return -1;
			}
			i++;
			break;
		case CH_SIZE_LF:
			if (ch != '\n') {
				*reason = "bare CR in chunk size line";
				return -1;
			}
			i++;
			c->digits = 0;
			c->state = c->remaining == 0 ? CH_TRAILER : CH_DATA;
			break;
		case CH_DATA: {
			size_t take = n - i;

			if (take > c->remaining)
				take = (size_t)c->remaining;
			i += take;
			c->remaining -= take;
			if (c->remaining == 0)
				c->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
		case CH_DATA_LF:
			if (ch != (c->state == CH_DATA_CR ? '\r' : '\n')) {
				*reason = "chunk data does not end where its size said";
				return -1;
			}
			c->state = c->state == CH_DATA_CR ? CH_DATA_LF : CH_SIZE;
			i++;
			break;
		case CH_TRAILER:
			/* the empty line that ends the message, or a trailer field */
			if (ch == '\r') {
				c->state = CH_END_LF;
				i++;
				break;
			}
			if (!(ctab[ch] & C_TCHAR)) {
				*reason = "malformed trailer field";
				return -1;
			}
			c->state = CH_TRAILER_NAME;
			continue;       /* look at this byte again as part of the name */
		case CH_TRAILER_NAME:
		case CH_TRAILER_VALUE:
			if (++c->trailer_bytes > CH_MAX_TRAILERS) {
				*reason = "trailer section too large";
				return -1;
			}
			if (c->state == CH_TRAILER_NAME) {
				if (ch == ':') {
					c->state = CH_TRAILER_VALUE;
				} else if (!(ctab[ch] & C_TCHAR)) {
					*reason = "malformed trailer field name";
					return -1;
				}
			} else if (ch == '\r') {
				c->state = CH_TRAILER_LF;
			} else if (!(ctab[ch] & C_VALUE)) {
				*reason = "control character in trailer";
				return -1;
			}
			i++;
			break;
		case CH_TRAILER_LF:
		case CH_END_LF:
			if (ch != '\n') {
				*reason = "bare CR in trailer section";
				return -1;
			}
			i++;
			if (c->state == CH_END_LF) {
				c->state = CH_DONE;
				*done = 1;
				return (ssize_t)i;
			}
			c->state = CH_TRAILER;
			break;
		}
	}
	return (ssize_t)i;
}

uint64_t
http_chunked_data_left(const struct http_chunked *c)
{
	return c->state == CH_DATA ? c->remaining : 0;
}

void
http_chunked_skip(struct http_chunked *c, uint64_t n)
{
	if (c->state != CH_DATA)
		return;
	c->remaining -= n < c->remaining ? n : c->remaining;
	if (c->remaining == 0)
		c->state = CH_DATA_CR;
}
