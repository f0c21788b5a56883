/*
 * timing.h - how long a request took, as access logs and JSON Lines write it.
 *
 * Access logs put their times after the fields of the Common or combined
 * format, in whatever order the administrator chose: brace lb writes
 * "UPSTREAM_ADDR UPSTREAM_TIME REQUEST_TIME", nginx setups append
 * $request_time and $upstream_response_time bare, quoted or as key=value
 * (rt=0.120 urt="0.100"), Apache appends %D (microseconds) or %T (seconds).
 * Nothing here is keyed on one layout. The fields are read by their shape:
 *   - key=value with a known key: rt, request_time, urt,
 *     upstream_response_time, ... (see timing_key());
 *   - bare numbers with a decimal point are seconds (nginx writes every time
 *     that way). The largest is the request's time: every other time
 *     (upstream connect, header, response) is part of it; the largest of the
 *     rest is the upstream's. nginx's lists ("0.002, 0.010" when a second
 *     upstream was tried, "0.002 : 0.010" after an internal redirect) add up;
 *   - with no decimal number, one bare integer is Apache's %D or %T, which
 *     the caller tells apart (timing_int_secs()); two or more bare integers
 *     are sizes (mod_logio's %I %O) and are not read as times;
 *   - "-" (no upstream) and anything else (addresses, host names) are skipped.
 * A time over a day is not a request's time (an epoch stamp such as $msec)
 * and is skipped.
 *
 * Parsers here never allocate and never fail: what cannot be read is absent.
 */
#ifndef BRACE_LOGS_TIMING_H
#define BRACE_LOGS_TIMING_H

#include <stddef.h>
#include <stdint.h>

#define TIMING_NONE (-1)
#define TIMING_MAX_US (86400LL * 1000000)  /* longer is not a request's time */

enum timing_kind {
	TIMING_OTHER = 0,       /* not a time brace reads */
	TIMING_REQUEST,         /* the request as the client saw it */
	TIMING_UPSTREAM,        /* the upstream server's part */
};

/* What the fields after an access log's own fields said; -1 = absent. */
struct timing {
	int64_t req_us;         /* request time, microseconds */
	int64_t up_us;          /* upstream time, microseconds */
	int64_t bare_int;       /* the one bare integer (%D or %T: the caller's unit) */
};

/*
 * Read the trailing fields s[0, n) of an access log line into t (fields
 * that are absent are -1).
 */
void timing_trailer(const char *s, size_t n, struct timing *t);

/*
 * What key k[0, n) of a JSON record or a key=value field holds, and the
 * unit of a bare number under it in microseconds (*unit_us): a unit suffix
 * (_ms, _us, _ns, _s, _sec, _seconds, Ms, Millis, ...) says it, else
 * seconds; Traefik's "Duration" and "OriginDuration" are nanoseconds.
 * Request keys: request_time, response_time, duration, elapsed, latency,
 * took, time_taken, request_duration, rt, ...; upstream keys:
 * upstream_response_time, upstream_time, upstream_duration, backend_time,
 * urt, ut.
 */
enum timing_kind timing_key(const char *k, size_t n, double *unit_us);

/*
 * A duration s[0, n): a number in unit_us microseconds, or a number with
 * its own unit ("12ms", "1.5 s", "350µs", "2m3.5s" as Go writes them),
 * quotes around it allowed. TIMING_NONE when it is not one, negative or
 * longer than a day.
 */
int64_t timing_value(const char *s, size_t n, double unit_us);

/*
 * The unit of the bare integers of sample values v[0, n) (-1 entries are
 * skipped): 1 when they read as seconds (Apache %T: at least a third are
 * 0 and none reaches 3600), else 0 (microseconds, %D, which is never 0).
 */
int timing_int_secs(const int64_t *v, size_t n);

#endif
