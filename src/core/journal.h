/*
 * journal.h - the shared event journal every brace command writes to.
 *
 * One SQLite file (WAL mode, busy timeout, schema version in user_version with
 * forward migrations) holding two tables:
 *   events  - things that happened: a run skipped, a server down, a note typed
 *             by a person; each with time, host, source tool, kind, severity,
 *             subject, a one-line message and details as a JSON object;
 *   samples - time series points (connection counts and the like): time,
 *             source, series name, labels as a JSON object, value.
 * postmortem reads both back to draw the timeline of a night.
 *
 * Tools that only want to record something open the journal with
 * journal_open_or_warn() and record with journal_record(): if the file is
 * corrupt, unreadable or locked for too long they warn once and carry on, so
 * a broken journal never stops a load balancer or a cron job.
 */
#ifndef BRACE_JOURNAL_H
#define BRACE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define JOURNAL_SCHEMA_VERSION 2

typedef struct journal journal;

struct journal_event {
	int64_t id;             /* set when read back */
	int64_t ts_ms;          /* ms since the epoch; 0 = now (on write) */
	const char *host;       /* NULL = this host (on write) */
	const char *source;     /* "lb", "conns", "run", "journal", ... */
	const char *kind;       /* "note", "server_down", "run", "skip", ... */
	const char *severity;   /* info, notice, warning, error, critical; NULL = info */
	const char *subject;    /* what it is about: a server, a job, a database */
	const char *message;    /* one human sentence */
	const char *details;    /* a JSON object as text, or NULL */
};

struct journal_sample {
	int64_t ts_ms;          /* 0 = now (on write) */
	const char *source;
	const char *series;     /* e.g. "db_connections_used" */
	const char *labels;     /* JSON object text, or NULL */
	double value;
	const char *host;       /* NULL = this host (on write); set when read back */
};

struct journal_filter {
	int64_t since_ms;       /* inclusive; 0 = from the start */
	int64_t until_ms;       /* exclusive; 0 = to the end */
	const char *kind;       /* NULL = any */
	const char *source;
	const char *subject;
	const char *series;     /* samples only */
	int64_t limit;          /* the newest N, in time order; 0 = no limit */
};

/*
 * Work out the journal path: explicit (from --journal) if not NULL, else
 * $BRACE_JOURNAL, else /var/lib/brace/journal.db when that is writable, else
 * $XDG_STATE_HOME/brace/journal.db (default ~/.local/state/brace/journal.db).
 */
int journal_resolve_path(const char *explicit_path, char *out, size_t n, char *err);

/*
 * Open (creating the file and its directories as needed) and migrate the
 * schema. Returns NULL with err set on failure. path NULL = resolved default.
 */
journal *journal_open(const char *path, char *err);
/* As journal_open, but log one warning and return NULL on failure. */
journal *journal_open_or_warn(const char *path);
void journal_close(journal *j);
const char *journal_path(const journal *j);

/* Append an event / a sample. -1 with err on failure. */
int journal_add(journal *j, const struct journal_event *ev, char *err);
int journal_add_sample(journal *j, const struct journal_sample *s, char *err);

/*
 * Append without failing: j may be NULL (nothing happens); an error is
 * logged once per journal handle and later ones are silent.
 */
void journal_record(journal *j, const struct journal_event *ev);
void journal_record_sample(journal *j, const struct journal_sample *s);

/* Call cb for each matching event in time order; a non-zero cb stops the walk. */
int journal_each(journal *j, const struct journal_filter *f,
    int (*cb)(const struct journal_event *ev, void *arg), void *arg, char *err);
int journal_each_sample(journal *j, const struct journal_filter *f,
    int (*cb)(const struct journal_sample *s, void *arg), void *arg, char *err);

/* Delete events and samples older than before_ms; counts come back. */
int journal_prune(journal *j, int64_t before_ms, int64_t *events, int64_t *samples, char *err);

/* The schema version of an open journal (JOURNAL_SCHEMA_VERSION after open). */
int journal_schema_version(journal *j);

/*
 * Append ev to b as one JSON line: id, time (UTC ISO 8601), ts_ms, host,
 * source, kind, severity, subject, message, details (the stored JSON object,
 * or null); the one JSON shape of an event every command prints. 0, or -1
 * when b's cap was reached (the line is then incomplete).
 */
int journal_event_json(struct buf *b, const struct journal_event *ev);
/* How events and samples are printed for a reader: see journal_print_event_json(). */
struct journal_printer {
	struct buf line;        /* scratch space; its cap is the longest line allowed */
	int color;              /* colour the JSON as jq does (core/term.h) */
};
/*
 * A journal_each() callback that prints ev on stdout with journal_event_json().
 * arg is a struct journal_printer. Non-zero (stop) on a write error.
 */
int journal_print_event_json(const struct journal_event *ev, void *arg);
/* Print a JSON line on stdout, coloured when pr->color: 0, or 1 on a write error. */
int journal_print_json_line(struct journal_printer *pr, const struct buf *json);

#endif
