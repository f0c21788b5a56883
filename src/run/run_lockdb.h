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
 */
#ifndef BRACE_RUN_LOCKDB_H
#define BRACE_RUN_LOCKDB_H

#include "core/db.h"

#define RUN_LOCKDB_TIMEOUT_MS 5000

struct run_lockdb {
	db *d;                  /* the session holding (or trying for) the lock */
	int slot;               /* 1..N once taken, 0 before */
};

/*
 * Connect to u if not yet connected, and try the slots of name without
 * waiting. 1 when a slot was taken (the session stays open in lk), 0 when
 * every slot is held by another session, -1 when the database could not be
 * asked (*why says what kind of failure, err the reason; the connection is
 * closed so that the next call starts afresh).
 */
int run_lockdb_try(struct run_lockdb *lk, const struct db_url *u, const char *name,
    int slots, enum db_failure *why, char *err);

/* Release the lock and close the session (no-op when not connected). */
void run_lockdb_release(struct run_lockdb *lk, const char *name);

#endif
