/*
 * report.h - what the three reports (terminal, JSON, HTML) share: the
 * report's inputs and the helpers that turn the digest into panels.
 */
#ifndef BRACE_LOGS_REPORT_H
#define BRACE_LOGS_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/buf.h"
#include "logs/digest.h"
#include "logs/format.h"

struct report {
	struct digest *d;
	const char *const *paths;       /* input names */
	const enum format_id *formats;
	int ninputs;
	size_t top;                     /* rows per table */
	int color;                      /* terminal colours */
	int access;                     /* any input is an access log */
};

/* One row of the paths panel (templates of access logs merged over methods). */
struct report_path {
	const char *path;               /* points into a template text */
	size_t len;
	uint64_t count;
};

/*
 * Fold bins[lo, hi) into n buckets (n <= TIMELINE_BINS) by summing; the
 * bucket width in ms goes to *bucket_ms.
 */
void report_buckets(const struct timeline *tl, const uint32_t *bins, size_t lo, size_t hi,
    size_t n, double *out, int64_t *bucket_ms);
/* The used bin range across every template (first to last non-empty bin). */
void report_range(const struct digest *d, size_t *lo, size_t *hi);
/*
 * Append text from a log for people: valid UTF-8 is kept, invalid bytes
 * and control characters become '?', at most max characters (then "…").
 * html: also escape < > & ".
 */
void report_clean(struct buf *b, const char *s, size_t n, size_t max, int html);
/* Up to max paths by count; returns how many (out is caller-owned). */
size_t report_paths(struct report *r, struct report_path *out, size_t max);
/* Pairs with a period, by count; returns how many (indexes into d->pairs). */
size_t report_periodic_pairs(const struct digest *d, size_t *out, size_t max);
/* "60 s", "5 min", "1 h 30 min": a period for people. */
void report_fmt_period(double s, char *out, size_t n);
/* "1,234,567" */
void report_fmt_count(uint64_t v, char *out, size_t n);
/*
 * Burst list across templates, biggest first. tid is the template, or
 * REPORT_4XX / REPORT_5XX for the error responses of an access log.
 */
#define REPORT_4XX (-1)
#define REPORT_5XX (-2)
struct report_burst {
	int tid;
	const struct burst *b;
};
/* What a burst is about: the template text or "HTTP 5xx responses". */
const char *report_burst_label(struct digest *d, int tid);
size_t report_bursts(const struct digest *d, struct report_burst *out, size_t max);

/* "850 µs", "12.5 ms", "1.25 s", "3.5 min", "2.1 h": a time for people. */
void report_fmt_us(double us, char *out, size_t n);

/*
 * Slow requests: the templates with request times, by their total time
 * (REPORT_BY_TOTAL) or by their 99th percentile (REPORT_BY_P99, among
 * templates with at least REPORT_P99_MIN timed requests, so that one slow
 * request does not make a template "slow"). Up to max template ids into
 * out; returns how many.
 */
#define REPORT_BY_TOTAL 0
#define REPORT_BY_P99 1
#define REPORT_P99_MIN 10
size_t report_slow(const struct digest *d, int by, int *out, size_t max);
/*
 * Errors by template: the templates of an access log with 4xx or 5xx
 * responses, the most 5xx first, then the most 4xx. Up to max template ids
 * into out; returns how many.
 */
size_t report_errors(const struct digest *d, int *out, size_t max);
/*
 * The q-quantile of the request times over time: bins[lo, hi) folded into n
 * columns as report_buckets() does, in microseconds; NAN for a column
 * without a timed request. *count (optional) gets each column's requests.
 */
void report_latency_series(const struct digest *d, size_t lo, size_t hi, size_t n, double q,
    double *out, double *count);
/* The used bin range of the request times (lo == hi when there are none). */
void report_latency_range(const struct digest *d, size_t *lo, size_t *hi);

/* Write the reports to f. 0, or -1 with err set (write errors). */
int report_json(struct report *r, FILE *f, char *err);
int report_text(struct report *r, FILE *f, char *err);
int report_html(struct report *r, FILE *f, char *err);

#endif
