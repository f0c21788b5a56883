/*
 * run_lockdb.h - the no-overlap lock taken in a database (--lock-db), so a
 * job installed on every web server runs once per schedule.
 *
 * The lock is an advisory lock of the database session (core/db.h:
 * pg_try_advisory_lock on PostgreSQL, GET_LOCK on MySQL/MariaDB), so the
 * governor keeps its connection open while the job runs, and the server
 * drops the lock when that session ends however the governor ends. Slots
 * for --max-concurrent N are the names NAME, NAME.2 ... NAME.N, as for lock
 * files. The connection is close-on-exec like every governor descriptor.
 *
 * A session can die under a running job (a server restart, wait_timeout or
 * idle_session_timeout, a network cut), and then another machine takes the
 * lock while this job still runs. So once the lock is taken a keeper
 * thread owns the session: it asks the server not to end it for being idle
 * (db_keep_session()), sends a heartbeat query every
 * RUN_LOCKDB_HEARTBEAT_MS, and when one fails or goes unanswered for
 * RUN_LOCKDB_QUERY_TIMEOUT_MS it reports the loss once: through the
 * callback (from the keeper's thread) and through a descriptor that is
 * readable from then on, which the job's watch polls.
 */
#ifndef BRACE_RUN_LOCKDB_H
#define BRACE_RUN_LOCKDB_H

#include <pthread.h>
#include <stdint.h>

#include "core/db.h"
#include "core/err.h"

#define RUN_LOCKDB_TIMEOUT_MS 5000
#define RUN_LOCKDB_QUERY_TIMEOUT_MS 10000
#define RUN_LOCKDB_HEARTBEAT_MS 3000

/* Called once, from the keeper's thread, when the session is found dead. */
typedef void (*run_lockdb_lost_fn)(void *arg, const char *why);

struct run_lockdb {
	db *d;                  /* the session holding (or trying for) the lock */
	int slot;               /* 1..N once taken, 0 before */
	/* The keeper, while it runs: */
	pthread_t thread;
	int keeping;
	int stop_fd;            /* eventfd: asks the keeper to stop */
	int lost_fd;            /* eventfd: readable once the session is lost */
	_Atomic int lost;       /* set by the keeper before lost_fd is written */
	char why[ERR_LEN];      /* why the session is considered lost */
	run_lockdb_lost_fn on_lost;
	void *arg;
};

/*
 * Connect to u if not yet connected (within deadline_ms, monotonic; given
 * up at once when cancel_fd > 0 becomes readable), and try the slots of
 * name without waiting. 1 when a slot was taken (the session stays open in
 * lk), 0 when every slot is held by another session, -1 when the database
 * could not be asked (*why says what kind of failure, err the reason; the
 * connection is closed so that the next call starts afresh).
 */
int run_lockdb_try(struct run_lockdb *lk, const struct db_url *u, const char *name,
    int slots, int64_t deadline_ms, int cancel_fd, enum db_failure *why, char *err);

/*
 * Start the keeper on a held lock. on_lost (may be NULL) gets arg and the
 * reason. 0 / -1 + err (the lock is still held; it is only not watched).
 */
int run_lockdb_keep(struct run_lockdb *lk, run_lockdb_lost_fn on_lost, void *arg, char *err);

/* The keeper's loss descriptor (readable once lost), or -1 when not keeping. */
int run_lockdb_lost_fd(const struct run_lockdb *lk);

/* 1 when the keeper found the session lost (its reason in lk->why). */
int run_lockdb_is_lost(struct run_lockdb *lk);

/*
 * Stop the keeper (if any), release the lock and close the session (no-op
 * when not connected).
 */
void run_lockdb_release(struct run_lockdb *lk, const char *name);

#endif
