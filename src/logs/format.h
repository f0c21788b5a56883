/*
 * format.h - the log formats brace logs reads, their detection, and the
 * parse of one line into a record.
 *
 * A parser never allocates: the record points into the line, except for
 * JSON Lines whose message may need unescaping into the caller's scratch
 * buffer. A line that does not match its format still yields a record (the
 * whole line as message, the time stamp if one starts the line), so one odd
 * line never stops a digest.
 */
#ifndef BRACE_LOGS_FORMAT_H
#define BRACE_LOGS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "logs/timestamp.h"

enum format_id {
	FORMAT_AUTO = 0,
	FORMAT_COMBINED,        /* nginx/Apache combined */
	FORMAT_COMMON,          /* Common Log Format */
	FORMAT_SYSLOG,          /* RFC 3164, /var/log/syslog (also ISO time stamps) */
	FORMAT_RFC5424,
	FORMAT_JOURNAL,         /* journalctl -o short */
	FORMAT_JOURNAL_ISO,     /* journalctl -o short-iso */
	FORMAT_POSTGRES,        /* stderr log, log_line_prefix '%m [%p] ' */
	FORMAT_MYSQL,           /* MySQL/MariaDB error log */
	FORMAT_MYSQL_SLOW,      /* MySQL/MariaDB slow query log */
	FORMAT_JSONL,           /* JSON Lines */
	FORMAT_GENERIC,         /* a time stamp first, then the message */
	FORMAT_HEADER,          /* --header FMT (see header.h) */
	FORMAT_COUNT,
};

/* One parsed line; every pointer points into the line or the scratch buffer. */
struct format_rec {
	int64_t ts;                     /* ms since the epoch, TIMESTAMP_NONE if none */
	const char *msg;                /* the message to mine; NULL = nothing to mine */
	size_t msg_len;
	const char *level;
	size_t level_len;
	/* access logs */
	int access;                     /* 1 when the fields below are set */
	const char *client, *method, *path, *ua;
	size_t client_len, method_len, path_len, ua_len;
	int status;                     /* 0 when absent */
	int64_t bytes;
	/*
	 * How long the request took (timing.h), in microseconds, -1 when the
	 * line does not say: access logs' fields after their format, JSON keys.
	 */
	int64_t req_us, up_us;
	int64_t bare_int;               /* one bare integer after the access fields:
	                                   Apache %D or %T, the input's unit */
};

/* An empty record: the whole line as message, no time stamp, no timing. */
void format_rec_clear(struct format_rec *r, const char *line, size_t len);

/* "combined", "syslog", ...; "auto" for FORMAT_AUTO. */
const char *format_name(enum format_id f);
/* Look up a --format NAME; -1 if unknown. */
int format_by_name(const char *name, enum format_id *out);
/* The list of names for --help and error messages ("combined, common, ..."). */
const char *format_names(void);

/*
 * Pick the format that parses most of the n sample lines (at least 60 % of
 * the non-empty ones), else FORMAT_GENERIC.
 */
enum format_id format_detect(struct timestamp_ctx *tc, const char *const *lines,
    const size_t *lens, size_t n);

/*
 * Parse one line (len bytes, no newline) as format f into r. Returns 0 when
 * the line matched the format, -1 when it did not (r then holds the
 * fallback: a leading time stamp if any and the whole line as message).
 * scratch is used (reset) only when the message needs rewriting.
 */
int format_parse(enum format_id f, struct timestamp_ctx *tc, const char *line, size_t len,
    struct format_rec *r, struct buf *scratch);

/*
 * The unit of the bare integer that access log lines of format f among the
 * n sample lines carry (timing_int_secs()): 1 seconds, 0 microseconds.
 */
int format_int_secs(enum format_id f, struct timestamp_ctx *tc, const char *const *lines,
    const size_t *lens, size_t n);

/* The generic parse: time stamp, optional level word, message. Always 0. */
int format_parse_generic(struct timestamp_ctx *tc, const char *line, size_t len,
    struct format_rec *r);

#endif
