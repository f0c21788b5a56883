/*
 * fuzz_response.c - libFuzzer target for http_parse_response.
 *
 * As fuzz_request.c, for backend responses: any error is a 502 (whatever
 * rule or limit was broken, it is the backend's fault), a success gives a
 * status from 100 to 999 and pointers inside the head, http_head_end finds
 * the same end, the head parsed alone gives the same result and its proper
 * prefix needs more, and small limits only ever turn a success into a 502.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "lb/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BIG_HDRS   100
#define SMALL_HDRS 8

static struct http_hdr big_hdrs[BIG_HDRS];
static struct http_hdr small_hdrs[SMALL_HDRS];

static const struct http_limits big = { 8192, 65536, BIG_HDRS };
static const struct http_limits small = { 64, 256, SMALL_HDRS };

static void
check_response(const char *buf, size_t size, const struct http_limits *lim, struct http_msg *m,
    int rc)
{
	CHECK(rc == HTTP_NEED_MORE || rc == HTTP_ERROR || (rc > 0 && (size_t)rc <= size));
	if (rc == HTTP_ERROR) {
		CHECK(m->error != NULL);
		CHECK(m->error_status == 502);
		return;
	}
	if (rc == HTTP_NEED_MORE) {
		CHECK(size <= lim->max_head);
		return;
	}
	CHECK(m->head_len == (size_t)rc);
	CHECK(m->head_len <= lim->max_head);
	CHECK(m->version == 10 || m->version == 11);
	CHECK(m->status >= 100 && m->status <= 999);
	CHECK(m->method == NULL && m->target == NULL);
	if (m->reason != NULL) {
		CHECK_IN(buf, rc, m->reason, m->reason_len);
		CHECK(m->reason == buf + 13);
		for (uint32_t k = 0; k < m->reason_len; k++)
			CHECK(fuzz_is_value_octet((unsigned char)m->reason[k]));
	} else {
		CHECK(m->reason_len == 0);
	}
	CHECK(m->nhdrs <= lim->max_hdrs);
	check_headers(buf, (size_t)rc, m, 0);
	if (m->version == 10)
		CHECK(!(m->flags & HTTP_F_TE));
	(void)http_status_has_no_body(m->status);
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
	rc = http_parse_response(buf, size, &big, &m);
	check_response(buf, size, &big, &m, rc);

	end = http_head_end(buf, size, &scan);
	if (rc > 0)
		CHECK(end == (size_t)rc);
	if (rc == HTTP_NEED_MORE)
		CHECK(end == 0);
	check_head_end_incremental(buf, size, end);

	if (rc > 0) {
		memset(&again, 0, sizeof(again));
		again.hdrs = big_hdrs;
		rc2 = http_parse_response(buf, (size_t)rc, &big, &again);
		CHECK(rc2 == rc);
		CHECK(again.flags == m.flags && again.content_length == m.content_length);
		CHECK(again.status == m.status && again.nhdrs == m.nhdrs);
		rc2 = http_parse_response(buf, (size_t)rc - 1, &big, &again);
		CHECK(rc2 == HTTP_NEED_MORE);
		rc2 = http_parse_response(buf, (size_t)data[0] % (size_t)rc, &big, &again);
		CHECK(rc2 == HTTP_NEED_MORE);
	}

	memset(&again, 0, sizeof(again));
	again.hdrs = small_hdrs;
	rc2 = http_parse_response(buf, size, &small, &again);
	check_response(buf, size, &small, &again, rc2);
	if (rc2 > 0)
		CHECK(rc2 == rc && again.flags == m.flags && again.status == m.status);
	else if (rc2 != rc)
		CHECK(rc2 == HTTP_ERROR);
	return 0;
}
