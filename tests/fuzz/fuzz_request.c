/*
 * fuzz_request.c - libFuzzer target for http_parse_request and http_head_end.
 *
 * Every input is parsed twice, with generous limits and with small ones (so
 * the 414/431 paths are reached), and the results are checked against what
 * the contract in lb/http.h promises, not only for crashes:
 *   - the return value is NEED_MORE, ERROR with 400/414/431, or a head length
 *     within the input; every pointer returned lies inside that head;
 *   - http_head_end finds the same end (0 when the parser needs more), and
 *     finds it too when fed one growing prefix at a time;
 *   - the head parsed alone gives the same result, its proper prefix needs
 *     more, and the small limits only ever turn a success into 414/431;
 *   - the framing result agrees with the header fields: Content-Length is
 *     what every Content-Length element says, chunked excludes it, HTTP/1.1
 *     has exactly one Host, Content-Length/Transfer-Encoding/Host/Upgrade are never
 *     hop-by-hop, and header kinds match their names.
 * The input buffer from libFuzzer is exactly the input's size, so AddressSanitizer
 * catches a read past it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "lb/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BIG_HDRS   100
#define SMALL_HDRS 8

/* Separate arrays of the exact size: an overrun hits an ASan redzone. */
static struct http_hdr big_hdrs[BIG_HDRS];
static struct http_hdr small_hdrs[SMALL_HDRS];

static const struct http_limits big = { 8192, 65536, BIG_HDRS };
static const struct http_limits small = { 64, 256, SMALL_HDRS };

static void
check_request(const char *buf, size_t size, const struct http_limits *lim, struct http_msg *m,
    int rc)
{
	CHECK(rc == HTTP_NEED_MORE || rc == HTTP_ERROR || (rc > 0 && (size_t)rc <= size));
	if (rc == HTTP_ERROR) {
		CHECK(m->error != NULL);
		CHECK(m->error_status == 400 || m->error_status == 414 || m->error_status == 431);
		return;
	}
	if (rc == HTTP_NEED_MORE) {
		CHECK(size <= lim->max_head);
		return;
	}
	CHECK(m->head_len == (size_t)rc);
	CHECK(m->head_len <= lim->max_head);
	CHECK(m->version == 10 || m->version == 11);
	CHECK_IN(buf, rc, m->method, m->method_len);
	CHECK_IN(buf, rc, m->target, m->target_len);
	CHECK(m->method_len > 0 && m->target_len > 0);
	CHECK(m->method == buf);
	CHECK(m->nhdrs <= lim->max_hdrs);
	check_headers(buf, (size_t)rc, m, 1);
	if (m->version == 11)
		CHECK(m->flags & HTTP_F_HOST);
	if (m->version == 10)
		CHECK(!(m->flags & (HTTP_F_TE | HTTP_F_EXPECT_100)));
	CHECK(m->status == 0 && m->reason == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_msg m, again;
	int rc, rc2;
	size_t scan = 0, end;

	memset(&m, 0, sizeof(m));
	m.hdrs = big_hdrs;
	rc = http_parse_request(buf, size, &big, &m);
	check_request(buf, size, &big, &m, rc);

	/* http_head_end agrees, whole and fed a growing prefix at a time */
	end = http_head_end(buf, size, &scan);
	if (rc > 0)
		CHECK(end == (size_t)rc);
	if (rc == HTTP_NEED_MORE)
		CHECK(end == 0);
	check_head_end_incremental(buf, size, end);

	/* the head alone parses the same; one byte less needs more */
	if (rc > 0) {
		memset(&again, 0, sizeof(again));
		again.hdrs = big_hdrs;
		rc2 = http_parse_request(buf, (size_t)rc, &big, &again);
		CHECK(rc2 == rc);
		CHECK(again.flags == m.flags && again.content_length == m.content_length);
		CHECK(again.nhdrs == m.nhdrs);
		rc2 = http_parse_request(buf, (size_t)rc - 1, &big, &again);
		CHECK(rc2 == HTTP_NEED_MORE);
		/* and a prefix cut elsewhere, chosen by the input */
		rc2 = http_parse_request(buf, (size_t)data[0] % (size_t)rc, &big, &again);
		CHECK(rc2 == HTTP_NEED_MORE);
	}

	/* small limits: the same answer, or a limit status */
	memset(&again, 0, sizeof(again));
	again.hdrs = small_hdrs;
	rc2 = http_parse_request(buf, size, &small, &again);
	check_request(buf, size, &small, &again, rc2);
	if (rc2 > 0)
		CHECK(rc2 == rc && again.flags == m.flags && again.content_length == m.content_length);
	else if (rc2 != rc)
		CHECK(rc2 == HTTP_ERROR && (again.error_status == 414 || again.error_status == 431));
	else if (rc == HTTP_ERROR && again.error_status != m.error_status)
		CHECK(again.error_status == 414 || again.error_status == 431);
	return 0;
}
