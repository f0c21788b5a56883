/*
 * http.h - a zero-copy, allocation-free HTTP/1.x message head parser and a
 * chunked-body framer, strict about framing (RFC 9112, RFC 9110).
 *
 * The parser hands back pointer/length pairs into the caller's buffer, in the
 * manner of picohttpparser: it returns the head length on success,
 * HTTP_NEED_MORE when the head is not complete yet, or HTTP_ERROR with the
 * status to answer (400, 414, 431, 502) and a short static reason.
 *
 * What it refuses, and why, is listed in docs/SECURITY.md: everything that
 * could let two parties disagree about where a message ends (request
 * smuggling) is an error, never guessed at.
 *
 * The chunked framer does not decode: brace forwards chunked bodies as they
 * came and only needs to know where each message ends.
 */
#ifndef BRACE_LB_HTTP_H
#define BRACE_LB_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_NEED_MORE (-2)
#define HTTP_ERROR     (-1)

/* Flags describing a parsed head. */
#define HTTP_F_CHUNKED        0x0001  /* Transfer-Encoding ends in chunked */
#define HTTP_F_CONN_CLOSE     0x0002  /* Connection: close */
#define HTTP_F_CONN_KEEPALIVE 0x0004  /* Connection: keep-alive */
#define HTTP_F_CONN_UPGRADE   0x0008  /* Connection: upgrade */
#define HTTP_F_UPGRADE        0x0010  /* an Upgrade header is present */
#define HTTP_F_EXPECT_100     0x0020  /* Expect: 100-continue */
#define HTTP_F_HOST           0x0040  /* a Host header is present */
#define HTTP_F_TE             0x0080  /* a Transfer-Encoding header is present */
#define HTTP_F_CL             0x0100  /* a Content-Length header is present */
#define HTTP_F_CONN_OTHER     0x0200  /* Connection names other headers */

/* What a header is to the proxy; set by the parser to spare a second lookup. */
enum http_hdr_kind {
	HDR_OTHER = 0,
	HDR_HOST,
	HDR_CONTENT_LENGTH,
	HDR_TRANSFER_ENCODING,
	HDR_CONNECTION,
	HDR_KEEP_ALIVE,
	HDR_PROXY_CONNECTION,
	HDR_TE,
	HDR_UPGRADE,
	HDR_EXPECT,
	HDR_X_FORWARDED_FOR,
	HDR_X_FORWARDED_PROTO,
	HDR_X_FORWARDED_HOST,
	HDR_TRAILER,
};

struct http_hdr {
	const char *name;
	const char *value;      /* without surrounding whitespace */
	uint32_t name_len;
	uint32_t value_len;
	uint8_t kind;           /* enum http_hdr_kind */
	uint8_t hop;            /* named in Connection: drop when forwarding */
};

struct http_limits {
	size_t max_line;        /* request line (414 past it) */
	size_t max_head;        /* whole head (431 past it) */
	size_t max_hdrs;        /* header count (431 past it); <= the caller's array */
};

struct http_msg {
	/* request line */
	const char *method;
	const char *target;
	uint32_t method_len;
	uint32_t target_len;
	/* status line */
	int status;
	const char *reason;
	uint32_t reason_len;
	int version;            /* 10 or 11 */
	/* headers: the caller provides the array (hdrs, max in limits) */
	struct http_hdr *hdrs;
	size_t nhdrs;
	size_t head_len;
	/* framing */
	int64_t content_length; /* -1 when absent */
	uint32_t flags;
	/* on HTTP_ERROR */
	int error_status;
	const char *error;
};

/* Parse a request head. hdrs/max_hdrs must be set in m by the caller. */
int http_parse_request(const char *buf, size_t len, const struct http_limits *lim,
    struct http_msg *m);

/*
 * Parse a response head. Whether a body follows also depends on the request
 * (HEAD) and the status (http_status_has_no_body): that is the caller's call.
 */
int http_parse_response(const char *buf, size_t len, const struct http_limits *lim,
    struct http_msg *m);

/*
 * Look for the end of a head (an empty line) in buf[0..len), starting the
 * search near *scan (where the previous call stopped), so that a head arriving
 * a byte at a time is scanned once, not once per byte. Returns the head length
 * or 0 when not complete yet, updating *scan.
 */
size_t http_head_end(const char *buf, size_t len, size_t *scan);

/* Does a response to this request carry no body whatever its headers say? */
int http_status_has_no_body(int status);

/* Case-insensitive comparison of a token with a NUL-terminated lower-case word. */
int http_token_eq(const char *p, size_t n, const char *lower);

/* The chunked framer. Zero it before the first chunk of a message. */
struct http_chunked {
	uint8_t state;
	uint8_t digits;
	uint16_t line_len;      /* length of the current extension/trailer line */
	uint32_t trailer_bytes;
	uint64_t remaining;     /* data bytes left in the current chunk */
};

/*
 * Feed body bytes. Returns how many of the n bytes belong to this message
 * (all of them unless the message ended inside the buffer), sets *done when
 * the last chunk and its trailer section have been seen, or returns -1 with
 * *reason set when the framing is malformed.
 */
ssize_t http_chunked_feed(struct http_chunked *c, const char *p, size_t n, int *done,
    const char **reason);
/*
 * Chunk data bytes the framer still expects before the chunk's CRLF, when
 * it is inside a chunk's data; 0 anywhere else (a size line, a CRLF, the
 * trailer section). That many bytes may pass without being looked at.
 */
uint64_t http_chunked_data_left(const struct http_chunked *c);
/* n data bytes (at most http_chunked_data_left()) went by without being fed. */
void http_chunked_skip(struct http_chunked *c, uint64_t n);

#endif
