/*
 * jsonl.h - the few fields brace logs wants from one JSON Lines record.
 *
 * Not a general JSON reader: it walks the top-level object of one line and
 * picks the time (time, timestamp, ts, @timestamp, t), the level (level,
 * severity, lvl, log.level), the message (msg, message, MESSAGE, log) and
 * how long a request took (the keys of timing_key(): request_time,
 * duration_ms, upstream_response_time, ...), and the fields of an access
 * log written as JSON (brace lb's, nginx's with escape=json, Traefik's):
 * request or method and path, client, status, bytes, user agent.
 * Nested objects and arrays are skipped. Strings with escapes are decoded
 * into the caller's scratch buffer (UTF-16 escapes become UTF-8).
 */
#ifndef BRACE_LOGS_JSONL_H
#define BRACE_LOGS_JSONL_H

#include <stddef.h>

#include "core/buf.h"

struct jsonl_value {
	const char *p;          /* NULL when absent */
	size_t len;
	int is_string;          /* 0: a bare number/literal */
};

struct jsonl_fields {
	struct jsonl_value time, level, msg;
	struct jsonl_value req, up;     /* request and upstream time */
	double req_unit, up_unit;       /* their bare numbers' unit, in microseconds */
	/* access log fields */
	struct jsonl_value request;     /* "GET /path HTTP/1.1" */
	struct jsonl_value method, path, client, status, bytes, ua;
};

/*
 * Scan one line. Returns 0 when it is a JSON object (fields that are absent
 * have p == NULL), -1 when it is not one. Decoded strings live in scratch,
 * which is reset first; pointers stay valid until scratch changes.
 */
int jsonl_parse(const char *line, size_t len, struct jsonl_fields *f, struct buf *scratch);

#endif
