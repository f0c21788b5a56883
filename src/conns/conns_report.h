/*
 * conns_report.h - what `brace conns` says about a sample: the status
 * against the thresholds, and the four one-shot output forms (a table for
 * people, JSON, Prometheus text exposition, a Monitoring Plugins line).
 *
 * Every renderer appends to a struct buf and takes a conns_result, which is
 * either a sample or the reason there is none (the server refused the
 * connection, is down, the login failed). A server that refuses for lack of
 * slots is CRITICAL: it is the very thing the check is for.
 */
#ifndef BRACE_CONNS_REPORT_H
#define BRACE_CONNS_REPORT_H

#include "conns/conns_sample.h"
#include "core/buf.h"
#include "core/db.h"
#include "core/err.h"

enum conns_status {
	CONNS_OK = 0,           /* the values are the plugin exit codes */
	CONNS_WARNING = 1,
	CONNS_CRITICAL = 2,
	CONNS_UNKNOWN = 3,
};

struct conns_result {
	const char *url;                /* redacted */
	const char *target;             /* "host:port/db", for labels and messages */
	const struct conns_sample *s;   /* NULL when there is no sample */
	enum db_failure failure;        /* why there is no sample */
	char reason[ERR_LEN];           /* one line, when s is NULL */
	const struct db_threshold *warn, *crit;
	enum conns_status status;       /* filled by conns_report_evaluate() */
};

/* "OK", "WARNING", "CRITICAL", "UNKNOWN" */
const char *conns_report_status_name(enum conns_status st);
/* Set r->status from the sample and thresholds, or from the failure. */
void conns_report_evaluate(struct conns_result *r);

/* An age in seconds as "250ms", "12.3s", "2m05s"; "-" for a negative (absent) one. */
void conns_report_age(double s, char *out, size_t n);
/* "active 1, idle 3, idle in transaction 1" (at most max items, then "+N more"). */
void conns_report_breakdown(struct buf *b, const struct conns_tally *t, size_t max);
/* "12.3s pid 4242 app@appdb from 10.0.0.7 (idle in transaction): UPDATE ..." */
void conns_report_session(struct buf *b, const struct conns_session *x, double age_s);

/* Append the output form to b. color: ANSI colour for the table (a terminal). */
void conns_report_table(struct buf *b, const struct conns_result *r, int color);
void conns_report_json(struct buf *b, const struct conns_result *r);
/* 0, or -1 + err when the page could not be written whole (it holds whole lines). */
int conns_report_prometheus(struct buf *b, const struct conns_result *r, char *err);
void conns_report_nagios(struct buf *b, const struct conns_result *r);

#endif
