/*
 * gen.h - generations of workers, listener takeover and reload.
 *
 * A generation is a configuration and the workers (and health checker)
 * running it. brace lb starts one; each good SIGHUP starts another on copies
 * (dup) of the old listening sockets, so clients waiting in the kernel's
 * backlogs are accepted by the new workers and none is dropped, and tells
 * the old one to stop: its workers stop accepting, finish what is in flight
 * and exit, and are reaped here. A bad file leaves the running generation
 * alone. Everything here runs on the main thread.
 */
#ifndef BRACE_LB_GEN_H
#define BRACE_LB_GEN_H

#include <stdatomic.h>
#include <stdint.h>

struct lb_config;

/* Reloads that took effect, and reloads refused (for /metrics and /stats). */
extern _Atomic uint64_t gen_reloads;
extern _Atomic uint64_t gen_reload_failures;

/*
 * Make cfg (accepted by config_finish) the first generation: raise the open
 * files limit for its maxconn, attach the servers' runtime states and bind
 * every listening socket, so a taken port is an error before any thread
 * runs. The workers start with gen_start(). 0, with cfg now owned by the
 * generation; or -1 with err set, nothing kept, cfg still the caller's.
 */
int gen_open(struct lb_config *cfg, char *err);
/* Start the workers and the health checker of the current generation. 0 or -1 with err. */
int gen_start(char *err);
/* The current generation's configuration (NULL before gen_open). */
const struct lb_config *gen_config(void);
/*
 * SIGHUP: read the file of the current configuration again and, if it is
 * good and its sockets can be had, make it the current generation and stop
 * the old one. Every outcome is logged and journaled; 0 when the new
 * configuration took effect, -1 when the running one stays.
 */
int gen_reload(void);
/* Join the workers old generations have finished, without waiting; free a generation once done. */
void gen_reap(void);
/*
 * The main thread's periodic work (now: monotonic ms): the pools' panic
 * state (a rest that ended changes it with no event of its own), and every
 * sample-interval a sample of every pool and server to the journal
 * (sample.h). Returns how many ms may pass before the next call (at most
 * 1000).
 */
int64_t gen_tick(int64_t now);
/*
 * Stop every generation for good, wait for their workers (they finish what
 * is in flight within the grace time), write the last sample (the interval
 * since the one before) and free them all.
 */
void gen_stop_all(void);

#endif
