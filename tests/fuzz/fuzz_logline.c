/*
 * fuzz_logline.c - libFuzzer target for the parsers of brace logs.
 *
 * One input is one log line (no newline handling: the reader splits lines).
 * Every format's parser reads it, then the masker and the request-path
 * masker, the JSON Lines scanner, the time stamp parser and the reader of
 * request times. Invariants: a record's message and fields point inside
 * the line (or, for JSON Lines, inside the scratch buffer), lengths fit,
 * request times are absent (-1) or within a day, and masking the masked
 * text again changes nothing that is already a variable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "core/buf.h"
#include "logs/format.h"
#include "logs/jsonl.h"
#include "logs/mask.h"
#include "logs/timestamp.h"
#include "logs/timing.h"

/* p[0..n) lies in line[0..len) or in the scratch buffer. */
static void
check_in(const char *line, size_t len, const struct buf *s, const char *p, size_t n)
{
	if (p == NULL)
		return;
	if (p >= line && p <= line + len) {
		CHECK(n <= (size_t)(line + len - p));
		return;
	}
	CHECK(s->data != NULL && p >= s->data && p <= s->data + s->len);
	CHECK(n <= (size_t)(s->data + s->len - p));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct timestamp_ctx tc;
	struct buf scratch = BUF_INIT(1 << 20), m = BUF_INIT(1 << 20);
	struct format_rec r;
	struct jsonl_fields f;
	int64_t ms;

	timestamp_ctx_init(&tc, 1795764000000LL);
	for (int i = 1; i < FORMAT_COUNT; i++) {
		if (i == FORMAT_HEADER)
			continue;
		format_parse((enum format_id)i, &tc, line, size, &r, &scratch);
		check_in(line, size, &scratch, r.msg, r.msg_len);
		check_in(line, size, &scratch, r.level, r.level_len);
		CHECK(r.req_us == TIMING_NONE || (r.req_us >= 0 && r.req_us <= TIMING_MAX_US));
		CHECK(r.up_us == TIMING_NONE || (r.up_us >= 0 && r.up_us <= TIMING_MAX_US));
		CHECK(r.bare_int >= TIMING_NONE);
		if (r.access) {
			if (!(r.client_len == 1 && r.client[0] == '-'))	/* "-": no client */
				check_in(line, size, &scratch, r.client, r.client_len);
			if (!(r.method_len == 1 && r.method[0] == '-'))	/* "-": no method */
				check_in(line, size, &scratch, r.method, r.method_len);
			check_in(line, size, &scratch, r.path, r.path_len);
			check_in(line, size, &scratch, r.ua, r.ua_len);
			CHECK(r.status >= 0 && r.status <= 999);
		}
	}
	CHECK(timestamp_parse(&tc, line, size, &ms) <= size);
	if (jsonl_parse(line, size, &f, &scratch) == 0) {
		check_in(line, size, &scratch, f.time.p, f.time.len);
		check_in(line, size, &scratch, f.msg.p, f.msg.len);
		check_in(line, size, &scratch, f.req.p, f.req.len);
		check_in(line, size, &scratch, f.request.p, f.request.len);
		check_in(line, size, &scratch, f.path.p, f.path.len);
	}
	{
		struct timing t;

		timing_trailer(line, size, &t);
		CHECK(t.req_us == TIMING_NONE || (t.req_us >= 0 && t.req_us <= TIMING_MAX_US));
		CHECK(t.up_us == TIMING_NONE || (t.up_us >= 0 && t.up_us <= TIMING_MAX_US));
		CHECK(timing_value(line, size, 1e6) <= TIMING_MAX_US);
	}
	CHECK(mask_message(line, size, &m) <= MASK_MAX_TOKENS + 1);
	CHECK(memchr(buf_str(&m), '\t', m.len) == NULL);
	buf_reset(&m);
	mask_path(line, size, &m);
	CHECK(m.len <= 3 * size + 1);
	buf_release(&scratch);
	buf_release(&m);
	return 0;
}
