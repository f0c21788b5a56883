/*
 * db.c - the generic half of the database module: the handle, dispatch to
 * the PostgreSQL and MySQL backends, headroom and advisory locks.
 *
 * Both backends' headroom statements return rows of (name, value) text, so
 * that one reader below turns them into a struct db_headroom and the
 * arithmetic of "usable" lives in one place.
 */
#include <inttypes.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/db_int.h"
#include "core/err.h"
#include "core/resolve.h"
#include "core/units.h"
#include "core/wait.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_QUERY_TIMEOUT_MS 30000

const char *
db_failure_name(enum db_failure f)
{
	switch (f) {
	case DB_OK: return "ok";
	case DB_FAIL_FULL: return "server full";
	case DB_FAIL_AUTH: return "login refused";
	case DB_FAIL_UNREACHABLE: return "unreachable";
	case DB_FAIL_BAD_URL: return "bad URL";
	case DB_FAIL_OTHER: break;
	}
	return "error";
}

db *
db_connect(const struct db_url *u, const struct db_connect_opts *opts,
    enum db_failure *why, char *err)
{
	struct db_connect_opts o = { 0 };
	enum db_failure f = DB_FAIL_OTHER;
	db *d;
	int rc;

	if (opts != NULL)
		o = *opts;
	if (o.timeout_ms <= 0)
		o.timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	if (o.query_timeout_ms <= 0)
		o.query_timeout_ms = DEFAULT_QUERY_TIMEOUT_MS;
	if (o.application_name == NULL)
		o.application_name = "brace";
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		err_set(err, "out of memory");
		goto fail;
	}
	d->kind = u->kind;
	d->query_timeout_ms = o.query_timeout_ms;
	d->deadline_ms = o.deadline_ms;
	d->cancel = o.cancel;
	d->cancel_fd = o.cancel_fd;
	if (u->kind == DB_POSTGRES)
		rc = db_pg_connect(d, u, &o, &f, err);
	else
		rc = db_my_connect(d, u, &o, &f, err);
	if (rc < 0)
		goto fail;
	if (why != NULL)
		*why = DB_OK;
	return d;
fail:
	free(d); d = NULL;
	if (why != NULL)
		*why = f;
	return NULL;
}

void
db_close(db *d)
{
	if (d == NULL)
		return;
	if (d->kind == DB_POSTGRES)
		db_pg_close(d);
	else
		db_my_close(d);
	free(d);
}

enum db_kind
db_kind_of(const db *d)
{
	return d->kind;
}

int
db_server_version(const db *d)
{
	return d->version;
}

int
db_is_mariadb(const db *d)
{
	return d->mariadb;
}

int
db_connection_lost(const db *d)
{
	return d->lost;
}

void
db_set_deadline(db *d, int64_t deadline_ms)
{
	d->deadline_ms = deadline_ms;
}

void
db_set_cancel_fd(db *d, int fd)
{
	d->cancel_fd = fd;
}

int
db_socket(const db *d)
{
	if (d->conn == NULL)
		return -1;
	return d->kind == DB_POSTGRES ? db_pg_socket(d) : db_my_socket(d);
}

int
db_keep_session(db *d, char *err)
{
	const char *sql = d->kind == DB_POSTGRES ? db_pg_keep_session_sql(d) :
	    db_my_keep_session_sql(d);

	if (sql == NULL)
		return 0;
	if (db_query(d, sql, NULL, NULL, err) < 0) {
		err_prefix(err, "keeping the session open");
		return -1;
	}
	return 0;
}

int64_t
db_deadline(int64_t limit_ms, int64_t overall_ms)
{
	int64_t end = clock_mono_ms() + limit_ms;

	return overall_ms > 0 && overall_ms < end ? overall_ms : end;
}

int
db_wait(int fd, int for_write, int64_t deadline_ms, volatile int *cancel, int cancel_fd)
{
	return wait_fd(fd, for_write ? POLLOUT : POLLIN, deadline_ms, cancel_fd, cancel);
}

void
db_timeout_message(enum db_stage stage, int64_t spent_ms, char *err)
{
	static const char *const what[] = {
		[DB_STAGE_RESOLVE] = "name resolution",
		[DB_STAGE_CONNECT] = "connect (no answer to the TCP connection)",
		[DB_STAGE_LOGIN] = ("login (the server accepted the connection but did not "
		    "answer the login)"),
		[DB_STAGE_QUERY] = "a query (the server did not answer it)",
	};
	char d[32];

	units_fmt_duration(spent_ms, d, sizeof(d));
	err_set(err, "timed out after %s during %s", d, what[stage]);
}

int
db_resolve(const char *host, int64_t deadline_ms, int64_t t0, volatile int *cancel,
    int cancel_fd, struct resolve_result *out, enum db_failure *why, char *err)
{
	switch (resolve_host(host, deadline_ms, cancel_fd, cancel, out, err)) {
	case RESOLVE_OK:
		return 0;
	case RESOLVE_TIMEOUT:
		*why = DB_FAIL_UNREACHABLE;
		db_timeout_message(DB_STAGE_RESOLVE, clock_mono_ms() - t0, err);
		return -1;
	case RESOLVE_CANCELLED:
		*why = DB_FAIL_OTHER;
		err_set(err, "interrupted");
		return -1;
	case RESOLVE_FAILED:
		break;
	}
	*why = DB_FAIL_UNREACHABLE;
	return -1;
}

int
db_query(db *d, const char *sql, db_row_fn row, void *arg, char *err)
{
	if (d->lost) {
		err_set(err, "the connection to the server was lost");
		return -1;
	}
	if (d->kind == DB_POSTGRES)
		return db_pg_query(d, sql, row, arg, err);
	return db_my_query(d, sql, row, arg, err);
}

void
db_headroom_compute(struct db_headroom *h)
{
	h->usable = h->max - h->reserved;
	if (h->usable < 0)
		h->usable = 0;
	h->percent = h->usable > 0 ? 100.0 * (double)h->used / (double)h->usable : 100.0;
}

static const struct {
	const char *name;
	size_t off;
} headroom_fields[] = {
	{ "used", offsetof(struct db_headroom, used) },
	{ "threads_connected", offsetof(struct db_headroom, used) },
	{ "max", offsetof(struct db_headroom, max) },
	{ "reserved", offsetof(struct db_headroom, reserved) },
	{ "max_used_connections", offsetof(struct db_headroom, max_used) },
	{ "threads_running", offsetof(struct db_headroom, threads_running) },
	{ "connection_errors_max_connections",
	  offsetof(struct db_headroom, errors_max_connections) },
	{ "aborted_connects", offsetof(struct db_headroom, aborted_connects) },
};

/* One (name, value) row of a headroom statement. */
static int
headroom_row(void *arg, int ncol, const char *const *vals)
{
	struct db_headroom *h = arg;

	if (ncol < 2 || vals[0] == NULL || vals[1] == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(headroom_fields) / sizeof(headroom_fields[0]); i++) {
		if (strcasecmp(vals[0], headroom_fields[i].name) == 0) {
			*(int64_t *)((char *)h + headroom_fields[i].off) = strtoll(vals[1], NULL, 10);
			break;
		}
	}
	return 0;
}

int
db_headroom(db *d, struct db_headroom *h, char *err)
{
	const char *sql = d->kind == DB_POSTGRES ? db_pg_headroom_sql(d) : db_my_headroom_sql(d);

	memset(h, 0, sizeof(*h));
	h->used = h->max = -1;
	if (d->kind == DB_MYSQL)
		h->max_used = h->threads_running = h->errors_max_connections =
		    h->aborted_connects = 0;
	else
		h->max_used = h->threads_running = h->errors_max_connections =
		    h->aborted_connects = -1;
	if (db_query(d, sql, headroom_row, h, err) < 0) {
		err_prefix(err, "headroom query");
		return -1;
	}
	if (h->used < 0 || h->max <= 0) {
		err_set(err, "headroom query: the server did not report %s",
		    h->used < 0 ? "the connections in use" : "max_connections");
		return -1;
	}
	db_headroom_compute(h);
	return 0;
}

int64_t
db_lock_key(const char *name)
{
	uint64_t h = 14695981039346656037ULL;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return (int64_t)h;
}

struct lock_answer {
	int seen;
	const char *val;        /* copied below; NULL for SQL NULL */
	char buf[8];
};

static int
lock_row(void *arg, int ncol, const char *const *vals)
{
	struct lock_answer *a = arg;

	a->seen = 1;
	if (ncol > 0 && vals[0] != NULL) {
		snprintf(a->buf, sizeof(a->buf), "%s", vals[0]);
		a->val = a->buf;
	}
	return 1;
}

/* Run the lock statement; *yes is 1 for "t" or "1". */
static int
lock_statement(db *d, const char *name, int release, int *yes, char *err)
{
	struct lock_answer a = { 0 };
	char sql[512];
	int rc;

	if (name == NULL || *name == '\0') {
		err_set(err, "a lock needs a name");
		return -1;
	}
	if (d->kind == DB_POSTGRES)
		rc = db_pg_lock_sql(sql, sizeof(sql), db_lock_key(name), release);
	else
		rc = db_my_lock_sql(d, sql, sizeof(sql), name, release);
	if (rc < 0) {
		err_set(err, "cannot build the lock statement for '%s'", name);
		return -1;
	}
	if (db_query(d, sql, lock_row, &a, err) < 0) {
		err_prefix(err, "lock '%s'", name);
		return -1;
	}
	if (!a.seen || a.val == NULL) {
		err_set(err, "lock '%s': the server gave no answer%s", name,
		    release ? " (the lock does not exist)" : "");
		return -1;
	}
	*yes = strcmp(a.val, "t") == 0 || strcmp(a.val, "1") == 0;
	return 0;
}

int
db_lock_try(db *d, const char *name, int *acquired, char *err)
{
	return lock_statement(d, name, 0, acquired, err);
}

int
db_lock_release(db *d, const char *name, char *err)
{
	int released = 0;

	if (lock_statement(d, name, 1, &released, err) < 0)
		return -1;
	if (!released) {
		err_set(err, "lock '%s' was not held by this session", name);
		return -1;
	}
	return 0;
}
