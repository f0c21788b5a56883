/*
 * db_int.h - what db.c shares with its two backends, db_pg.c (libpq) and
 * db_my.c (libmariadb). Nothing outside src/core/db*.c includes this.
 *
 * db.c owns the generic half (the handle, dispatch, headroom arithmetic,
 * locks' names and keys); each backend implements connect, query, close,
 * the headroom query and the lock statements for its server.
 */
#ifndef BRACE_DB_INT_H
#define BRACE_DB_INT_H

#include "core/db.h"
#include "core/resolve.h"

#include <stdint.h>

struct db {
	enum db_kind kind;
	int version;            /* server version number */
	int mariadb;
	int lost;               /* the connection is gone */
	int query_timeout_ms;
	int64_t deadline_ms;    /* overall, monotonic; 0 = none */
	volatile int *cancel;   /* see struct db_connect_opts */
	int cancel_fd;
	void *conn;             /* PGconn * or MYSQL * */
};

/* The stages a connection goes through, for saying which one hung. */
enum db_stage {
	DB_STAGE_RESOLVE,       /* name resolution */
	DB_STAGE_CONNECT,       /* TCP connect */
	DB_STAGE_LOGIN,         /* greeting, TLS, authentication, session setup */
	DB_STAGE_QUERY,
};

/*
 * The end of a wait: the earlier of now + limit_ms and the handle's
 * overall deadline (0 = none).
 */
int64_t db_deadline(int64_t limit_ms, int64_t overall_ms);
/*
 * Wait for fd to be ready (for_write: writable, else readable) until
 * deadline_ms, watching the cancel flag and descriptor too: core/wait.h's
 * wait_fd(), 1 ready, 0 the deadline passed, -1 cancelled.
 */
int db_wait(int fd, int for_write, int64_t deadline_ms, volatile int *cancel, int cancel_fd);
/*
 * Write the timeout message for a stage into err: "timed out after 2s
 * during login (...)"; spent_ms is how long the whole call took.
 */
void db_timeout_message(enum db_stage stage, int64_t spent_ms, char *err);
/*
 * Resolve a TCP host name within deadline_ms (numeric addresses pass
 * through) for a backend that must not let its library block on DNS. 0,
 * or -1 with *why (UNREACHABLE, or OTHER when cancelled) and err.
 */
int db_resolve(const char *host, int64_t deadline_ms, int64_t t0, volatile int *cancel,
    int cancel_fd, struct resolve_result *out, enum db_failure *why, char *err);

/* Fill d->conn, d->version (and d->mariadb); 0, or -1 with *why and err. */
int db_pg_connect(db *d, const struct db_url *u, const struct db_connect_opts *o,
    enum db_failure *why, char *err);
int db_pg_query(db *d, const char *sql, db_row_fn row, void *arg, char *err);
void db_pg_close(db *d);
const char *db_pg_headroom_sql(const db *d);
/* Statements for a lock name (key and name already worked out by db.c). */
int db_pg_lock_sql(char *out, size_t n, int64_t key, int release);
/* 1 when key is a connection keyword libpq knows; for checking URLs early. */
int db_pg_known_param(const char *key);
int db_pg_socket(const db *d);
const char *db_pg_keep_session_sql(const db *d);

int db_my_connect(db *d, const struct db_url *u, const struct db_connect_opts *o,
    enum db_failure *why, char *err);
int db_my_query(db *d, const char *sql, db_row_fn row, void *arg, char *err);
void db_my_close(db *d);
const char *db_my_headroom_sql(const db *d);
int db_my_lock_sql(db *d, char *out, size_t n, const char *name, int release);
int db_my_socket(const db *d);
const char *db_my_keep_session_sql(const db *d);

#endif
