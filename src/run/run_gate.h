/*
 * run_gate.h - the gates a job waits at before it runs: the load average,
 * and the database's connection headroom.
 *
 * A closed gate is checked again after an exponentially growing delay with
 * jitter (first_delay_ms doubling up to max_delay_ms), until every gate is
 * open or timeout_ms has passed. The database is checked with a fresh
 * connection each time, never one held while waiting: a governor waiting for
 * headroom must not take any.
 */
#ifndef BRACE_RUN_GATE_H
#define BRACE_RUN_GATE_H

#include <stddef.h>
#include <stdint.h>

#define RUN_GATE_WHY_LEN 256

struct run_gate {
	double max_load;        /* wait while the 1-minute load is above; < 0 = no gate */
	int64_t timeout_ms;     /* give up after this long */
	int64_t first_delay_ms; /* the first wait between checks */
	int64_t max_delay_ms;   /* the longest wait between checks */
};

enum run_gate_result {
	RUN_GATE_OPEN,          /* every gate is open: run */
	RUN_GATE_TIMEOUT,       /* still closed after timeout_ms: why says what */
	RUN_GATE_SIGNAL,        /* SIGTERM, SIGINT or SIGHUP arrived while waiting */
};

/* Is any gate configured? */
int run_gate_enabled(const struct run_gate *g);

/*
 * Check every gate once. 1 when all are open, 0 when one is closed (why
 * says which and by how much, in RUN_GATE_WHY_LEN bytes).
 */
int run_gate_check(const struct run_gate *g, char *why);

/*
 * Wait until every gate is open, the time is up, or a signal arrives (its
 * number in *sig). *waited_ms is the time spent; why holds the last reason
 * a gate was closed.
 */
enum run_gate_result run_gate_wait(const struct run_gate *g, int64_t *waited_ms, int *sig,
    char *why);

#endif
