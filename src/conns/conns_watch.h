/*
 * conns_watch.h - `brace conns --watch`: a live, top-like view of a
 * database's connections during an incident.
 *
 * Every INTERVAL it samples the server (keeping one connection open, and
 * reconnecting when the server restarts), draws the headroom bar, a
 * sparkline of the recent minutes, the breakdowns and the oldest sessions,
 * records the sample in the journal, and records every change of status
 * (OK, WARNING, CRITICAL, UNKNOWN) as an event, running --on-alert's
 * command on each. The terminal is put back as it was on q, Ctrl-C,
 * SIGTERM and Ctrl-Z. When stdout is not a terminal (or TERM is dumb) it
 * prints one line per sample instead.
 */
#ifndef BRACE_CONNS_WATCH_H
#define BRACE_CONNS_WATCH_H

#include <stdint.h>

#include "conns/conns_sample.h"
#include "core/db.h"
#include "core/journal_async.h"
#include "core/term.h"

struct conns_watch_opts {
	const struct db_url *url;
	const char *redacted;           /* the URL to show */
	const char *target;             /* "host:port/db", for labels and subjects */
	struct db_connect_opts connect;
	const struct db_threshold *warn, *crit;
	int64_t interval_ms;
	const char *journal;            /* NULL = the default journal */
	const char *on_alert;           /* NULL = none */
	enum term_color color;          /* --color */
};

/* Run until stopped; returns the exit status (0). */
int conns_watch_run(const struct conns_watch_opts *o);

/*
 * Queue a sample's time series for the journal (NULL ja: nothing): db_connections_up,
 * _used, _usable, _max, _percent, _waiting_on_lock,
 * _oldest_transaction_s, _by_state (label "state") and _holder (labels
 * "by": user, application or client, and "holder": its name; the top 10 of
 * each kind), all labelled {"server": target}. s NULL records only db_connections_up = 0 (and
 * db_connections_refused_full = 1 when full is set).
 */
void conns_watch_record_sample(journal_async *ja, const char *target,
    const struct conns_sample *s, int full);

#endif
