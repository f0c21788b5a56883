/*
 * timestamp.h - reading the time stamps that server logs start with.
 *
 * One parser for every form brace logs meets: ISO 8601 and its log variants
 * ("2026-11-27 07:20:07,123", "2026-11-27T07:20:07.123456+01:00",
 * MariaDB's "2026-11-27  7:20:07", BGL's "2005-06-03-15.42.50.675872"),
 * syslog's "Nov 27 07:20:07" (no year), ctime ("Fri Nov 27 07:20:07 2026"),
 * the access log's "27/Nov/2026:07:20:07 +0100", compact "261127 072007" and
 * "261127  7:20:07", slashed dates ("2026/11/27", "26/11/27"), Android's
 * "11-27 07:20:07.123" and epoch seconds or milliseconds.
 *
 * A zone in the text is honoured; a time without one is local time (TZ).
 * A date without a year gets the year that puts it at most two days after
 * the reference time (the time brace started), so December lines read in
 * January land in the previous year. Converting local time goes through
 * mktime() only once per hour of log time (cached in the context): it is
 * called for every line of a large file.
 */
#ifndef BRACE_LOGS_TIMESTAMP_H
#define BRACE_LOGS_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

#define TIMESTAMP_NONE INT64_MIN

struct timestamp_ctx {
	int64_t now_ms;         /* reference for year inference */
	int ref_year;           /* local year of now_ms */
	int64_t cache_key;      /* y/m/d/h of the cached local hour, -1 = none */
	int64_t cache_epoch;    /* epoch seconds of that local hour's start */
	char clf_key[24];       /* "27/Nov/2026:07:20" and zone of the last access-log time */
	int64_t clf_minute;     /* its minute in ms since the epoch */
};

/* Set up a context; now_ms is the reference for years (clock_now_ms()). */
void timestamp_ctx_init(struct timestamp_ctx *c, int64_t now_ms);

/*
 * Parse a time stamp at the very start of s (n bytes; s need not be
 * NUL-terminated). A leading '[' is skipped. Returns the number of bytes
 * consumed (including the closing ']' when there was an opening one) and
 * sets *ms (milliseconds since the epoch, UTC); 0 when s does not start with
 * a time stamp (*ms untouched).
 */
size_t timestamp_parse(struct timestamp_ctx *c, const char *s, size_t n, int64_t *ms);

/*
 * The access-log form only, "[27/Nov/2026:07:20:07 +0100]" (with or without
 * the brackets): the hot path of access logs. Same contract as
 * timestamp_parse().
 */
size_t timestamp_parse_clf(struct timestamp_ctx *c, const char *s, size_t n, int64_t *ms);

/*
 * Convert civil time to ms since the epoch: zone_s is the offset east of
 * UTC in seconds, or TIMESTAMP_LOCAL for local time. year 0 = infer.
 */
#define TIMESTAMP_LOCAL INT32_MIN
int64_t timestamp_civil(struct timestamp_ctx *c, int year, int mon, int day, int h, int mi,
    int s, int msec, int32_t zone_s);

/* Month number (1-12) of a three-letter English month name, 0 if none. */
int timestamp_month(const char *s);

#endif
