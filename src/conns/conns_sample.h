/*
 * conns_sample.h - one sample of a database's connections: headroom, who
 * holds the connections and in what state, the oldest transactions.
 *
 * A sample costs one query on PostgreSQL (pg_stat_activity joined with the
 * settings) and two on MySQL/MariaDB (the status counters through
 * db_headroom(), then the process list joined with InnoDB's transactions).
 * Everything is aggregated while the rows stream in, so a sample has a fixed
 * size whatever the number of sessions.
 *
 * State names are PostgreSQL's own ("active", "idle", "idle in transaction",
 * "idle in transaction (aborted)", "fastpath function call", "disabled");
 * MySQL/MariaDB sessions are "active" (running a command), "idle" (Sleep) or
 * "idle in transaction" (Sleep with an open InnoDB transaction). Sessions the
 * monitoring role may not inspect are counted as "unknown".
 */
#ifndef BRACE_CONNS_SAMPLE_H
#define BRACE_CONNS_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"
#include "conns/conns_tally.h"

/* How many of the oldest sessions a sample keeps. */
#define CONNS_TOP_SESSIONS 10

struct conns_session {
	int64_t pid;            /* backend pid / MySQL thread id */
	char user[64];
	char database[64];
	char client[64];        /* address, "local" for a unix socket */
	char application[64];
	char state[32];
	double xact_age_s;      /* age of the open transaction; -1 when none */
	double state_age_s;     /* time in the current state; -1 when unknown */
	double conn_age_s;      /* time since the session connected; -1 when unknown */
	int waiting;            /* waiting on a lock */
	char query[201];        /* the current or last statement, cut at 200 bytes */
};

struct conns_sample {
	int64_t ts_ms;
	enum db_kind kind;
	int server_version;
	int mariadb;
	struct db_headroom h;
	struct conns_tally by_state, by_user, by_database, by_client, by_application;
	/* State x user x database, for the labelled Prometheus metric. */
	struct conns_tally by_state_user_db;
	int64_t seen;           /* sessions listed */
	int64_t hidden;         /* sessions whose state the role may not see */
	int64_t waiting_on_lock;
	double oldest_xact_s;   /* -1 when no other session has a transaction open */
	struct conns_session oldest_xact;
	double longest_idle_xact_s;     /* -1 when no session is idle in transaction */
	struct conns_session longest_idle_xact;
	/* Other sessions, open transactions first (oldest first), then the oldest connections. */
	int ntop;
	struct conns_session top[CONNS_TOP_SESSIONS];
	double elapsed_ms;      /* time the queries took */
};

/* What a sampler remembers between samples on one connection. */
struct conns_sampler {
	int no_innodb_trx;      /* MySQL: INNODB_TRX refused (no PROCESS privilege) */
};

/*
 * Take a sample through d into s (which the caller owns; it is overwritten).
 * 0, or -1 with err set; after a failure db_connection_lost(d) tells whether
 * to reconnect.
 */
int conns_sample_take(db *d, struct conns_sampler *sp, struct conns_sample *s, char *err);

/* "15.4", "10.11.6" */
void conns_sample_version(const struct conns_sample *s, char *out, size_t n);

#endif
