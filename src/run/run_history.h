/*
 * run_history.h - brace run's record in the journal, and reading it back.
 *
 * Every attempt at running the job, every skip and every gate timeout is one
 * journal event with source "run" and the job's name as subject:
 *   run_ok        the job exited 0                        (severity info)
 *   run_failed    non-zero exit, a signal, or no start    (error)
 *   run_timeout   killed after --timeout                  (error)
 *   skip          not run: lock busy, --min-interval, or the governor
 *                 was stopped before the job started      (info)
 *   gate_timeout  not run: a gate stayed closed           (warning)
 *   gate_failed_open  the database gate could not be asked and
 *                 --gate-unreachable run let the job run  (warning)
 *   lock_lost     the --lock-db session died while the job held the
 *                 lock (--on-lock-lost says what followed) (error)
 * The event's time is when the attempt started (or when the decision was
 * taken); details hold start, end, duration, exit status, reason, attempt
 * number and the tail of the output. --min-interval reads the run_ok events
 * back, so the journal is the only state a job's pacing needs.
 */
#ifndef BRACE_RUN_HISTORY_H
#define BRACE_RUN_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/journal.h"

#define RUN_EV_OK "run_ok"
#define RUN_EV_FAILED "run_failed"
#define RUN_EV_TIMEOUT "run_timeout"
#define RUN_EV_SKIP "skip"
#define RUN_EV_GATE "gate_timeout"
#define RUN_EV_LOCK_LOST "lock_lost"
#define RUN_EV_GATE_OPEN "gate_failed_open"

struct run_record {
	const char *name;       /* the job's name (event subject) */
	const char *kind;       /* RUN_EV_* */
	const char *message;    /* one human sentence */
	const char *reason;     /* short machine word(s) for skips: "busy", ... or NULL */
	char *const *argv;      /* the command, NULL-terminated */
	int64_t start_ms;       /* event time; 0 = now */
	int64_t end_ms;         /* 0 when the job did not run */
	int64_t duration_ms;
	int status;             /* brace run's exit status for this outcome */
	int exit_code;          /* -1 when none */
	int signal;             /* 0 when none */
	int attempt, attempts;  /* 1-based; attempts = 1 + --retries */
	int64_t jitter_ms;      /* the random delay taken first */
	int64_t waited_ms;      /* time spent waiting for the lock and gates */
	pid_t pid;              /* the job's pid, 0 when it did not run */
	const char *output;     /* the output tail, may be NULL */
	size_t output_len;
	uint64_t output_total;  /* bytes of output in all */
};

/* Write one record (the journal may be NULL: nothing is written). */
void run_history_record(journal *j, const struct run_record *rec);

/*
 * The time of the newest run_ok of name at or after since_ms: 1 with *ts_ms
 * set, 0 when there is none, -1 + err when the journal cannot be read.
 */
int run_history_last_ok(journal *j, const char *name, int64_t since_ms, int64_t *ts_ms,
    char *err);

/*
 * Print the history of one job (name) or of all (NULL), newest limit entries
 * in time order (limit 0 = all), as a table or as JSON Lines; color: kinds
 * in their severity's colour, JSON coloured as jq does. 0 / -1 + err.
 */
int run_history_list(journal *j, const char *name, int64_t since_ms, int64_t limit,
    int json, int color, char *err);

#endif
