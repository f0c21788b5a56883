/*
 * fuzz_request.c - libFuzzer target for http_parse_request and http_head_end.
 *
 * Besides the checks common to requests and responses (fuzz_head() in
 * fuzz_check.h), every result is held to what the contract in lb/http.h
 * promises, not only checked for crashes:
 *   - the return value is NEED_MORE, ERROR with 400/414/431, or a head length
 *     within the input; every pointer returned lies inside that head;
 *   - the framing result agrees with the header fields: Content-Length is
 *     what every Content-Length element says, chunked excludes it, HTTP/1.1
 *     has exactly one Host, Content-Length, Transfer-Encoding, Host and
 *     Upgrade are never hop-by-hop, and header kinds match their names.
 * The input buffer from libFuzzer is exactly the input's size, so
 * AddressSanitizer catches a read past it.
 */
#include <stdint.h>

#include "fuzz_check.h"
#include "lb/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_request(const char *buf, size_t len, const struct http_limits *lim,
    const struct http_msg *m, int rc)
{
	CHECK_IN(buf, len, m->method, m->method_len);
	CHECK_IN(buf, len, m->target, m->target_len);
	CHECK(m->method_len > 0 && m->target_len > 0);
	CHECK(m->method == buf);
	check_headers(buf, len, m, 1);
	if (m->version == 11)
		CHECK(m->flags & HTTP_F_HOST);
	if (m->version == 10)
		CHECK(!(m->flags & (HTTP_F_TE | HTTP_F_EXPECT_100)));
	CHECK(m->status == 0 && m->reason == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_head(data, size, 1, check_request);
	return 0;
}
