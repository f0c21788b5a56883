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

struct db {
	enum db_kind kind;
	int version;            /* server version number */
	int mariadb;
	int lost;               /* the connection is gone */
	int query_timeout_ms;
	volatile int *cancel;   /* see struct db_connect_opts */
	void *conn;             /* PGconn * or MYSQL * */
};

/* Fill d->conn, d->version (and d->mariadb); 0, or -1 with *why and err. */
int db_pg_connect(db *d, const struct db_url *u, const struct db_connect_opts *o,
    enum db_failure *why, char *err);
int db_pg_query(db *d, const char *sql, db_row_fn row, void *arg, char *err);
void db_pg_close(db *d);
const char *db_pg_headroom_sql(const db *d);
/* Statements for a lock name (key and name already worked out by db.c). */
int db_pg_lock_sql(char *out, size_t n, int64_t key, int release);

int db_my_connect(db *d, const struct db_url *u, const struct db_connect_opts *o,
    enum db_failure *why, char *err);
int db_my_query(db *d, const char *sql, db_row_fn row, void *arg, char *err);
void db_my_close(db *d);
const char *db_my_headroom_sql(const db *d);
int db_my_lock_sql(db *d, char *out, size_t n, const char *name, int release);

#endif
