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
 * corrupt, unreadable or locked they warn (once a minute at most, with a
 * count of what was dropped) and carry on, and no call of theirs waits for a
 * busy journal longer than JOURNAL_SERVICE_WAIT_MS: a broken or locked
 * journal never stops or delays a load balancer or a cron job. Commands
 * that only read open it read-only.
 *
 * The journal can be turned off: a path of "off" (BRACE_JOURNAL=off,
 * --journal off) or /dev/null (or any device) records nothing and creates no
 * file; writers stay silent about it, readers say so.
 */
#ifndef BRACE_JOURNAL_H
#define BRACE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define JOURNAL_SCHEMA_VERSION 2
/* How long a person's command waits for a journal another process holds. */
#define JOURNAL_WAIT_MS 15000
/* How long a service writer waits, per call: well under a second. */
#define JOURNAL_SERVICE_WAIT_MS 250

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

/* 1 when path turns the journal off: "off" (any case), /dev/null, a device. */
int journal_is_off(const char *path);

/*
 * Open (creating the file and its directories as needed) and migrate the
 * schema, for a person's command that writes (note, prune): each call waits
 * up to JOURNAL_WAIT_MS for a busy journal. Returns NULL with err set on
 * failure (an off journal too). path NULL = resolved default.
 */
journal *journal_open(const char *path, char *err);
/*
 * Open for reading only (list, samples, history, postmortem): nothing is
 * created, and a read-only file or directory is fine. A file of an older
 * schema is migrated first when it can be written (migrations only add),
 * else refused with a message, as is one of a newer schema. NULL with err on
 * failure; errno is ENOENT when nothing is recorded yet (no file, or one
 * still being created), 0 otherwise.
 */
journal *journal_open_readonly(const char *path, char *err);
/*
 * For a service that records: as journal_open, but every call waits at most
 * JOURNAL_SERVICE_WAIT_MS, and failures are warnings (see above). NULL, after
 * a warning, when it cannot be opened; NULL silently when it is off.
 */
journal *journal_open_or_warn(const char *path);
/*
 * Make every wait of j's calls end at once from now on, a call in progress
 * included (from any thread; for a writer thread that must stop now).
 */
void journal_abandon(journal *j);
/* Records journal_record*() could not write on j (0 for NULL). */
int64_t journal_dropped(journal *j);
void journal_close(journal *j);
const char *journal_path(const journal *j);

/* Append an event / a sample. -1 with err on failure. */
int journal_add(journal *j, const struct journal_event *ev, char *err);
int journal_add_sample(journal *j, const struct journal_sample *s, char *err);

/*
 * Append without failing: j may be NULL (nothing happens); a failure is
 * counted and logged as a warning, once a minute at most per cause.
 */
void journal_record(journal *j, const struct journal_event *ev);
void journal_record_sample(journal *j, const struct journal_sample *s);

/* Call cb for each matching event in time order; a non-zero cb stops the walk. */
int journal_each(journal *j, const struct journal_filter *f,
    int (*cb)(const struct journal_event *ev, void *arg), void *arg, char *err);
int journal_each_sample(journal *j, const struct journal_filter *f,
    int (*cb)(const struct journal_sample *s, void *arg), void *arg, char *err);

/* How many events and samples are older than before_ms (what prune would delete). */
int journal_count_before(journal *j, int64_t before_ms, int64_t *events, int64_t *samples,
    char *err);
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
/*
 * A text line of a reader: journal_print_begin() empties pr->line and starts
 * it with ts_ms in local time and two spaces, and returns it for the caller
 * to go on; journal_print_end() writes it on stdout: 0, or 1 on a write error.
 */
struct buf *journal_print_begin(struct journal_printer *pr, int64_t ts_ms);
int journal_print_end(struct journal_printer *pr);

#endif
