/*
 * fuzz_response.c - libFuzzer target for http_parse_response.
 *
 * As fuzz_request.c, for backend responses: besides the common checks of
 * fuzz_head() (fuzz_check.h), any error is a 502 (whatever rule or limit was
 * broken, it is the backend's fault), and a success gives a status from 100
 * to 999, a reason phrase without control characters, pointers inside the
 * head, and fields that agree with the framing flags.
 */
#include <stdint.h>

#include "fuzz_check.h"
#include "lb/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_response(const char *buf, size_t len, const struct http_limits *lim,
    const struct http_msg *m, int rc)
{
	CHECK(m->status >= 100 && m->status <= 999);
	CHECK(m->method == NULL && m->target == NULL);
	if (m->reason != NULL) {
		CHECK_IN(buf, len, m->reason, m->reason_len);
		CHECK(m->reason == buf + 13);
		for (uint32_t k = 0; k < m->reason_len; k++)
			CHECK(fuzz_is_value_octet((unsigned char)m->reason[k]));
	} else {
		CHECK(m->reason_len == 0);
	}
	check_headers(buf, len, m, 0);
	if (m->version == 10)
		CHECK(!(m->flags & HTTP_F_TE));
	(void)http_status_has_no_body(m->status);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_head(data, size, 0, check_response);
	return 0;
}
