/*
 * fuzz_check.h - invariant checks shared by the HTTP fuzz targets.
 *
 * A broken invariant aborts with the file and line, which libFuzzer reports
 * as a crash and saves the input for.
 */
#ifndef BRACE_FUZZ_CHECK_H
#define BRACE_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lb/http.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

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

#endif
