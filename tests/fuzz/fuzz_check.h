/*
 * fuzz_check.h - invariant checks shared by the HTTP fuzz targets.
 *
 * A broken invariant aborts with the file and line, which libFuzzer reports
 * as a crash and saves the input for.
 */
#ifndef BRACE_FUZZ_CHECK_H
#define BRACE_FUZZ_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "lb/http.h"

/* p[0..n) lies inside buf[0..len) (an empty range may sit at its very end). */
#define CHECK_IN(buf, len, p, n) do { \
	CHECK((p) != NULL); \
	CHECK((p) >= (buf) && (size_t)((p) - (buf)) <= (size_t)(len)); \
	CHECK((size_t)(n) <= (size_t)(len) - (size_t)((p) - (buf))); \
} while (0)

static inline int
fuzz_is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static inline int
fuzz_is_value_octet(unsigned char c)
{
	return c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7e) || c >= 0x80;
}

/* The kind the parser must have given a field of this name. */
static inline int
fuzz_expected_kind(const char *name, size_t n)
{
	static const struct {
		const char *name;
		int kind;
	} kinds[] = {
		{ "host", HDR_HOST }, { "content-length", HDR_CONTENT_LENGTH },
		{ "transfer-encoding", HDR_TRANSFER_ENCODING }, { "connection", HDR_CONNECTION },
		{ "keep-alive", HDR_KEEP_ALIVE }, { "proxy-connection", HDR_PROXY_CONNECTION },
		{ "te", HDR_TE }, { "upgrade", HDR_UPGRADE }, { "expect", HDR_EXPECT },
		{ "x-forwarded-for", HDR_X_FORWARDED_FOR },
		{ "x-forwarded-proto", HDR_X_FORWARDED_PROTO },
		{ "x-forwarded-host", HDR_X_FORWARDED_HOST }, { "trailer", HDR_TRAILER },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].name) == n && strncasecmp(name, kinds[i].name, n) == 0)
			return kinds[i].kind;
	return HDR_OTHER;
}

/* Every element of a Content-Length value is plain digits equal to want. */
static inline void
fuzz_check_content_length(const char *v, size_t n, int64_t want)
{
	size_t i = 0;

	CHECK(want >= 0);
	while (i <= n) {
		int64_t x = 0;
		size_t digits = 0;

		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		while (i < n && v[i] >= '0' && v[i] <= '9') {
			CHECK(x <= (INT64_MAX - 9) / 10);
			x = x * 10 + (v[i] - '0');
			i++;
			digits++;
		}
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		CHECK(digits > 0 && x == want);
		CHECK(i == n || v[i] == ',');
		i++;
	}
}

/*
 * What must hold of the header fields of any head the parser accepted:
 * pointers inside the head, names made of token characters, values trimmed
 * and free of control characters, kinds matching names, framing flags
 * matching the fields, and no framing, routing or Upgrade field ever
 * hop-by-hop.
 */
static inline void
check_headers(const char *buf, size_t len, const struct http_msg *m, int request)
{
	int hosts = 0, cls = 0, tes = 0, expect = 0;

	CHECK((m->content_length >= 0) == !!(m->flags & HTTP_F_CL));
	if (m->flags & HTTP_F_CHUNKED)
		CHECK((m->flags & HTTP_F_TE) && !(m->flags & HTTP_F_CL));
	if (m->flags & HTTP_F_TE)
		CHECK(m->flags & HTTP_F_CHUNKED);
	for (size_t i = 0; i < m->nhdrs; i++) {
		const struct http_hdr *h = &m->hdrs[i];

		CHECK_IN(buf, len, h->name, h->name_len);
		CHECK_IN(buf, len, h->value, h->value_len);
		CHECK(h->name_len > 0);
		CHECK(h->value >= h->name + h->name_len + 1);
		CHECK(h->name[h->name_len] == ':');
		for (size_t k = 0; k < h->name_len; k++)
			CHECK(fuzz_is_tchar((unsigned char)h->name[k]));
		for (size_t k = 0; k < h->value_len; k++)
			CHECK(fuzz_is_value_octet((unsigned char)h->value[k]));
		if (h->value_len > 0) {
			CHECK(h->value[0] != ' ' && h->value[0] != '\t');
			CHECK(h->value[h->value_len - 1] != ' ' && h->value[h->value_len - 1] != '\t');
		}
		CHECK(h->kind == fuzz_expected_kind(h->name, h->name_len));
		CHECK(h->hop == 0 || h->hop == 1);
		switch (h->kind) {
		case HDR_HOST:
			hosts++;
			CHECK(h->hop == 0);
			break;
		case HDR_CONTENT_LENGTH:
			cls++;
			CHECK(h->hop == 0);
			fuzz_check_content_length(h->value, h->value_len, m->content_length);
			break;
		case HDR_TRANSFER_ENCODING:
			tes++;
			CHECK(h->hop == 0);
			break;
		case HDR_UPGRADE:
			CHECK(h->hop == 0);
			break;
		case HDR_EXPECT:
			if (h->value_len == 12 && strncasecmp(h->value, "100-continue", 12) == 0)
				expect = 1;
			break;
		default:
			break;
		}
	}
	CHECK(!!(m->flags & HTTP_F_CL) == (cls > 0));
	CHECK(!!(m->flags & HTTP_F_TE) == (tes > 0));
	CHECK(!!(m->flags & HTTP_F_HOST) == (hosts > 0));
	if (request)
		CHECK(hosts <= 1);
	if (m->flags & HTTP_F_EXPECT_100)
		CHECK(expect);
	if (m->flags & HTTP_F_CHUNKED) {
		/* the last element of the last Transfer-Encoding field is chunked */
		for (size_t i = m->nhdrs; i-- > 0;) {
			const struct http_hdr *h = &m->hdrs[i];

			if (h->kind != HDR_TRANSFER_ENCODING)
				continue;
			CHECK(h->value_len >= 7);
			CHECK(strncasecmp(h->value + h->value_len - 7, "chunked", 7) == 0);
			break;
		}
	}
}

/*
 * http_head_end fed the input one growing prefix at a time (keeping its scan
 * position) finds the same end as one call over the whole input, as soon as
 * the prefix holds it, and never moves its scan position backwards.
 */
static inline void
check_head_end_incremental(const char *buf, size_t size, size_t whole)
{
	size_t scan = 0, got = 0, k;

	CHECK(whole <= size);
	for (k = 1; k <= size; k++) {
		size_t before = scan;

		got = http_head_end(buf, k, &scan);
		CHECK(scan >= before && scan <= k);
		if (got != 0)
			break;
	}
	CHECK(got == whole);
	if (whole != 0)
		CHECK(k == whole);
}


typedef int (*fuzz_parse_fn)(const char *, size_t, const struct http_limits *,
    struct http_msg *);
typedef void (*fuzz_check_fn)(const char *, size_t, const struct http_limits *,
    const struct http_msg *, int);

#define FUZZ_BIG_HDRS   100
#define FUZZ_SMALL_HDRS 8

/*
 * What holds of any result: NEED_MORE only while the input fits the head
 * limit, ERROR with a reason and an allowed status (400/414/431 for a
 * request, always 502 for a response), or a head length within the input
 * and the limit. A success is then vetted by check().
 */
static inline void
fuzz_check_result(const char *buf, size_t size, const struct http_limits *lim,
    const struct http_msg *m, int rc, int request, fuzz_check_fn check)
{
	CHECK(rc == HTTP_NEED_MORE || rc == HTTP_ERROR || (rc > 0 && (size_t)rc <= size));
	if (rc == HTTP_ERROR) {
		CHECK(m->error != NULL);
		if (request)
			CHECK(m->error_status == 400 || m->error_status == 414 ||
			    m->error_status == 431);
		else
			CHECK(m->error_status == 502);
		return;
	}
	if (rc == HTTP_NEED_MORE) {
		CHECK(size <= lim->max_head);
		return;
	}
	CHECK(m->head_len == (size_t)rc && m->head_len <= lim->max_head);
	CHECK(m->version == 10 || m->version == 11);
	CHECK(m->nhdrs <= lim->max_hdrs);
	check(buf, (size_t)rc, lim, m, rc);
}

/*
 * The checks common to requests and responses. The input is parsed with
 * generous limits and with small ones (so the limit paths are reached), each
 * result goes through fuzz_check_result(), and check() vets the head of a
 * success (buf, its length, the limits, the message, the result). Then:
 *   - http_head_end finds the same end (0 when the parser needs more), also
 *     when fed one growing prefix at a time;
 *   - the head parsed alone gives the same result, and a proper prefix of it
 *     (one byte short, and a length chosen by the input) needs more;
 *   - the small limits give the same result or a limit error (414/431 for a
 *     request, 502 for a response).
 */
static inline void
fuzz_head(const uint8_t *data, size_t size, int request, fuzz_check_fn check)
{
	/* separate arrays of the exact size: an overrun hits an ASan redzone */
	static struct http_hdr big_hdrs[FUZZ_BIG_HDRS];
	static struct http_hdr small_hdrs[FUZZ_SMALL_HDRS];
	static const struct http_limits big = { 8192, 65536, FUZZ_BIG_HDRS };
	static const struct http_limits small = { 64, 256, FUZZ_SMALL_HDRS };
	fuzz_parse_fn parse = request ? http_parse_request : http_parse_response;
	const char *buf = (const char *)data;
	struct http_msg m, again;
	size_t scan = 0, end;
	int rc, rc2;

	memset(&m, 0, sizeof(m));
	m.hdrs = big_hdrs;
	rc = parse(buf, size, &big, &m);
	fuzz_check_result(buf, size, &big, &m, rc, request, check);

	end = http_head_end(buf, size, &scan);
	if (rc > 0)
		CHECK(end == (size_t)rc);
	if (rc == HTTP_NEED_MORE)
		CHECK(end == 0);
	check_head_end_incremental(buf, size, end);

	if (rc > 0) {
		memset(&again, 0, sizeof(again));
		again.hdrs = big_hdrs;
		rc2 = parse(buf, (size_t)rc, &big, &again);
		CHECK(rc2 == rc && again.nhdrs == m.nhdrs && again.status == m.status);
		CHECK(again.flags == m.flags && again.content_length == m.content_length);
		CHECK(parse(buf, (size_t)rc - 1, &big, &again) == HTTP_NEED_MORE);
		CHECK(parse(buf, (size_t)data[0] % (size_t)rc, &big, &again) == HTTP_NEED_MORE);
	}

	memset(&again, 0, sizeof(again));
	again.hdrs = small_hdrs;
	rc2 = parse(buf, size, &small, &again);
	fuzz_check_result(buf, size, &small, &again, rc2, request, check);
	if (rc2 > 0) {
		CHECK(rc2 == rc && again.flags == m.flags && again.status == m.status);
		CHECK(again.content_length == m.content_length);
	} else if (rc2 != rc || (rc == HTTP_ERROR && again.error_status != m.error_status)) {
		CHECK(rc2 == HTTP_ERROR);
		CHECK(!request || again.error_status == 414 || again.error_status == 431);
	}
}

#endif
