/*
 * run_gate.h - the gates a job waits at before it runs: the load average,
 * and the database's connection headroom.
 *
 * A closed gate is checked again after an exponentially growing delay with
 * jitter (first_delay_ms doubling up to max_delay_ms), until every gate is
 * open or timeout_ms has passed. The database is checked with a fresh
 * connection each time, never one held while waiting: a governor waiting for
 * headroom must not take any. Its usage is computed by db_headroom(), the
 * same numbers brace conns reports (the check's own connection included).
 *
 * Every database check is bounded by RUN_GATE_DB_TIMEOUT_MS and by the
 * gate's own deadline, name resolution, connect, login and query included,
 * and gives up at once when SIGTERM, SIGINT or SIGHUP arrives: the wait ends
 * at most a moment after --gate-timeout, or after the signal.
 *
 * What a database that cannot be asked means is a choice (--gate-unreachable):
 *   skip (the default)  an unreachable database (refused, timed out, a name
 *                       that does not resolve) is a closed gate: wait, and
 *                       exit 75 at the timeout, as for a busy database;
 *   run                 fail open: the gate opens at once, with a warning
 *                       and a journal event, so that a monitoring database
 *                       that is down does not stop the job.
 * A database that refuses the login, or a URL it rejects, is a gate that
 * will not open either way: the wait ends at once.
 */
#ifndef BRACE_RUN_GATE_H
#define BRACE_RUN_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"

#define RUN_GATE_WHY_LEN 512
/* Connect and query limits of one database check. */
#define RUN_GATE_DB_TIMEOUT_MS 5000

enum run_gate_unreachable {
	RUN_GATE_UNREACHABLE_SKIP = 0,  /* a closed gate: wait, then give up */
	RUN_GATE_UNREACHABLE_RUN,       /* fail open: run */
};

struct run_gate {
	double max_load;        /* wait while the 1-minute load is above; < 0 = no gate */
	const struct db_url *db;        /* the database to watch; NULL = no gate */
	struct db_threshold db_max_used;        /* wait while used is above ("N", "N%") */
	enum run_gate_unreachable unreachable;
	int64_t timeout_ms;     /* give up after this long */
	int64_t first_delay_ms; /* the first wait between checks */
	int64_t max_delay_ms;   /* the longest wait between checks */
};

enum run_gate_result {
	RUN_GATE_OPEN,          /* every gate is open: run */
	RUN_GATE_OPEN_UNREACHABLE,      /* opened because the database is unreachable
					 * and --gate-unreachable=run: why says what */
	RUN_GATE_TIMEOUT,       /* still closed after timeout_ms: why says what */
	RUN_GATE_SIGNAL,        /* SIGTERM, SIGINT or SIGHUP arrived while waiting */
	RUN_GATE_BROKEN,        /* a gate cannot open (login refused): why says what */
};

/* Parse "run" or "skip" for --gate-unreachable. 0 / -1. */
int run_gate_parse_unreachable(const char *s, enum run_gate_unreachable *out);

/* Is any gate configured? */
int run_gate_enabled(const struct run_gate *g);

/*
 * Check every gate once, the database within deadline_ms (monotonic; 0 =
 * only the check's own limit). 1 when all are open, 0 when one is closed,
 * -1 when one cannot open, -2 when the database could not be reached
 * (closed or open as g->unreachable says), -3 when a signal interrupted the
 * check (it is still pending); why says which and by how much
 * (RUN_GATE_WHY_LEN bytes).
 */
int run_gate_check(const struct run_gate *g, int64_t deadline_ms, char *why);

/*
 * Wait until every gate is open, the time is up, or a signal arrives (its
 * number in *sig). *waited_ms is the time spent; why holds the last reason
 * a gate was closed.
 */
enum run_gate_result run_gate_wait(const struct run_gate *g, int64_t *waited_ms, int *sig,
    char *why);

#endif
