/*
 * db_pg.c - the PostgreSQL backend of db.c, on libpq.
 *
 * Connecting is asynchronous (PQconnectStartParams + PQconnectPoll + poll)
 * for two reasons: the timeout can be in milliseconds rather than libpq's
 * whole seconds, and the error verbosity can be raised before the server
 * answers, so that a refusal carries its SQLSTATE ("FATAL:  53300: sorry, too
 * many clients already"). Classifying by SQLSTATE keeps "the server is full"
 * recognisable whatever language the server's messages are in.
 *
 * Anything the URL leaves out is left to libpq, which then applies its
 * environment variables (PGHOST, PGPASSWORD, PGSERVICE...), service file and
 * password file, exactly as psql would.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/clock.h"
#include "core/db_int.h"
#include "core/dl.h"
#include "core/err.h"
#include "core/resolve.h"

/*
 * Every libpq function this file calls, through a table filled in when the
 * first connection is made (see core/dl.h): libpq and the Kerberos, LDAP and
 * TLS libraries it brings are not loaded at start.
 */
#define PQ_FUNCS(X) \
	X(PQclear) X(PQconndefaults) X(PQconnectPoll) X(PQconnectStartParams) \
	X(PQconsumeInput) X(PQerrorMessage) X(PQfinish) X(PQflush) X(PQgetResult) \
	X(PQgetisnull) X(PQgetvalue) X(PQhost) X(PQisBusy) X(PQnfields) X(PQntuples) \
	X(PQport) X(PQresultErrorField) X(PQresultStatus) X(PQsendQuery) X(PQserverVersion) \
	X(PQsetErrorVerbosity) X(PQsetNoticeProcessor) X(PQsocket) X(PQstatus)

static struct pq_fns { PQ_FUNCS(DL_FN) } pq;
#define PQ_SYM(fn) DL_SYM(struct pq_fns, fn),
static const struct dl_sym pq_syms[] = { PQ_FUNCS(PQ_SYM) };
static struct dl_lib pq_lib = DL_LIB_INIT("libpq.so.5", "libpq5", pq_syms, &pq);

#define PG_MAX_KEYWORDS (DB_URL_MAX_PARAMS + 12)

/* Server notices (a WARNING from pg_advisory_unlock) are not for the terminal. */
static void
quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* The SQLSTATE classes a refused connection is sorted by. */
static enum db_failure
classify_sqlstate(const char *st)
{
	if (strcmp(st, "53300") == 0)           /* too_many_connections */
		return DB_FAIL_FULL;
	if (strncmp(st, "28", 2) == 0 ||        /* invalid authorization */
	    strcmp(st, "3D000") == 0 ||         /* database does not exist */
	    strcmp(st, "42501") == 0)           /* insufficient privilege (CONNECT) */
		return DB_FAIL_AUTH;
	if (strncmp(st, "57P", 3) == 0 ||       /* shutting down, starting up */
	    strncmp(st, "08", 2) == 0)          /* connection exception */
		return DB_FAIL_UNREACHABLE;
	return DB_FAIL_OTHER;
}

/* libpq's own (client-side) messages, which carry no SQLSTATE. */
static enum db_failure
classify_client(const char *line)
{
	static const char *const unreachable[] = {
		"Connection refused", "No such file or directory", "could not translate host",
		"timeout expired", "Network is unreachable", "No route to host",
		"server closed the connection", "could not connect", "Connection reset",
		"Connection timed out", "Host is unreachable", "could not receive data",
	};
	static const char *const bad_url[] = {
		"invalid connection option", "invalid port", "invalid integer value",
		"invalid sslmode", "invalid value", "definition of service", "service file",
		"invalid URI", "missing \"=\"", "unterminated quoted string",
		"invalid target_session_attrs", "is not a valid",
	};
	static const char *const auth[] = {
		"no password supplied", "password authentication failed",
		"authentication method", "SCRAM", "pg_hba.conf",
	};

	for (size_t i = 0; i < sizeof(auth) / sizeof(auth[0]); i++)
		if (strstr(line, auth[i]) != NULL)
			return DB_FAIL_AUTH;
	for (size_t i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++)
		if (strstr(line, bad_url[i]) != NULL)
			return DB_FAIL_BAD_URL;
	for (size_t i = 0; i < sizeof(unreachable) / sizeof(unreachable[0]); i++)
		if (strstr(line, unreachable[i]) != NULL)
			return DB_FAIL_UNREACHABLE;
	return DB_FAIL_OTHER;
}

/* How bad a failure is for picking the one reason among several attempts. */
static int
failure_rank(enum db_failure f)
{
	switch (f) {
	case DB_FAIL_FULL: return 5;
	case DB_FAIL_AUTH: return 4;
	case DB_FAIL_BAD_URL: return 3;
	case DB_FAIL_OTHER: return 2;
	case DB_FAIL_UNREACHABLE: return 1;
	case DB_OK: break;
	}
	return 0;
}

/*
 * Sort a libpq connection error (one line per attempted address, server
 * errors as "FATAL:  53300: text", continuation lines indented or labelled
 * DETAIL/HINT/LOCATION) into a failure kind and a one-line reason with the
 * severity and SQLSTATE taken out.
 */
static enum db_failure
classify_message(const char *msg, char *err)
{
	enum db_failure best = DB_FAIL_OTHER;
	int best_rank = -1;
	const char *line = msg;

	err_set(err, "cannot connect");
	while (line != NULL && *line != '\0') {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char text[ERR_LEN], clean[ERR_LEN];
		const char *sev;
		enum db_failure f;

		snprintf(text, sizeof(text), "%.*s", (int)len, line);
		line = nl ? nl + 1 : NULL;
		if (text[0] == '\t' || text[0] == ' ' || text[0] == '\0' ||
		    strncmp(text, "DETAIL:", 7) == 0 || strncmp(text, "HINT:", 5) == 0 ||
		    strncmp(text, "LOCATION:", 9) == 0)
			continue;
		snprintf(clean, sizeof(clean), "%s", text);
		f = DB_FAIL_OTHER;
		if ((sev = strstr(text, "FATAL:  ")) != NULL || (sev = strstr(text, "ERROR:  ")) != NULL) {
			const char *code = sev + 8;

			if (strlen(code) > 7 && code[5] == ':' && code[6] == ' ') {
				char st[6];

				memcpy(st, code, 5);
				st[5] = '\0';
				f = classify_sqlstate(st);
				snprintf(clean, sizeof(clean), "%.*s%s", (int)(sev - text), text,
				    code + 7);
			} else {
				f = classify_client(code);
				snprintf(clean, sizeof(clean), "%.*s%s", (int)(sev - text), text, code);
			}
		} else {
			f = classify_client(text);
		}
		if (failure_rank(f) > best_rank) {
			best = f;
			best_rank = failure_rank(f);
			err_set(err, "%s", clean);
		}
	}
	return best;
}

/* Which stage a connection in progress is in, for a timeout message. */
static enum db_stage
stage_of(PGconn *c)
{
	switch (pq.PQstatus(c)) {
	case CONNECTION_STARTED:
		return DB_STAGE_CONNECT;
	default:        /* TLS or GSS negotiation, authentication, session setup */
		return DB_STAGE_LOGIN;
	}
}

/* The host libpq would use when the URL names none (a service file is libpq's business). */
static const char *
effective_host(const struct db_url *u)
{
	const char *env;

	if (u->host != NULL)
		return u->host;
	for (size_t i = 0; i < u->nparams; i++)
		if (strcmp(u->param_key[i], "service") == 0)
			return NULL;
	if (getenv("PGSERVICE") != NULL)
		return NULL;
	env = getenv("PGHOST");
	return env != NULL && *env != '\0' ? env : NULL;
}

/*
 * libpq resolves host names with a blocking getaddrinfo() that no deadline
 * bounds. A name is resolved here instead, within the deadline, and given
 * to libpq as hostaddr (one per address, with the name repeated in host so
 * that TLS verification and ~/.pgpass still see the name). 1 when done, 0
 * when there is nothing to resolve, -1 with *why and err.
 */
static int
pre_resolve(const struct db_url *u, const struct db_connect_opts *o, int64_t deadline,
    int64_t t0, char *hosts, char *addrs, size_t n, enum db_failure *why, char *err)
{
	const char *host = effective_host(u);
	struct resolve_result res;
	size_t hl = 0, al = 0;

	if (host == NULL || host[0] == '/' || host[0] == '@' || strchr(host, ',') != NULL ||
	    resolve_is_numeric(host))
		return 0;
	for (size_t i = 0; i < u->nparams; i++)
		if (strcmp(u->param_key[i], "hostaddr") == 0)
			return 0;
	if (db_resolve(host, deadline, t0, o->cancel, o->cancel_fd, &res, why, err) < 0) {
		char port[16] = "";

		if (u->port != 0)
			snprintf(port, sizeof(port), ", port %d", u->port);
		err_prefix(err, "connection to server at \"%s\"%s failed", host, port);
		return -1;
	}
	hosts[0] = addrs[0] = '\0';
	for (int i = 0; i < res.n; i++) {
		int w1 = snprintf(hosts + hl, n - hl, "%s%s", i ? "," : "", host);
		int w2 = snprintf(addrs + al, n - al, "%s%s", i ? "," : "", res.addr[i]);

		if (w1 < 0 || w2 < 0 || (size_t)w1 >= n - hl || (size_t)w2 >= n - al)
			break;
		hl += (size_t)w1;
		al += (size_t)w2;
	}
	return 1;
}

int
db_pg_connect(db *d, const struct db_url *u, const struct db_connect_opts *o,
    enum db_failure *why, char *err)
{
	const char *keys[PG_MAX_KEYWORDS + 1], *vals[PG_MAX_KEYWORDS + 1];
	char port[8], hosts[2048], addrs[RESOLVE_MAX_ADDRS * (INET6_ADDRSTRLEN + 1)];
	int n = 0, resolved;
	int64_t t0 = clock_mono_ms(), deadline = db_deadline(o->timeout_ms, o->deadline_ms);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	PGconn *c;

	if (dl_load(&pq_lib, err) < 0) {
		*why = DB_FAIL_OTHER;
		return -1;
	}
	if ((resolved = pre_resolve(u, o, deadline, t0, hosts, addrs,
	    sizeof(addrs) < sizeof(hosts) ? sizeof(addrs) : sizeof(hosts), why, err)) < 0)
		return -1;
#define KV(k, v) do { if ((v) != NULL) { keys[n] = (k); vals[n] = (v); n++; } } while (0)
	KV("fallback_application_name", o->application_name);
	KV("client_encoding", "UTF8");
	KV("host", resolved ? hosts : u->host);
	if (resolved)
		KV("hostaddr", addrs);
	if (u->port != 0) {
		snprintf(port, sizeof(port), "%d", u->port);
		KV("port", port);
	}
	KV("user", u->user);
	KV("dbname", u->dbname);
	for (size_t i = 0; i < u->nparams; i++)
		KV(u->param_key[i], u->param_val[i]);
	KV("password", o->password ? o->password : u->password);
#undef KV
	keys[n] = vals[n] = NULL;

	c = pq.PQconnectStartParams(keys, vals, 0);
	if (c == NULL) {
		*why = DB_FAIL_OTHER;
		err_set(err, "out of memory");
		return -1;
	}
	pq.PQsetErrorVerbosity(c, PQERRORS_VERBOSE);
	pq.PQsetNoticeProcessor(c, quiet_notice, NULL);
	while (pq.PQstatus(c) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
	    st != PGRES_POLLING_FAILED) {
		int rc = db_wait(pq.PQsocket(c), st == PGRES_POLLING_WRITING, deadline, o->cancel,
		    o->cancel_fd);

		if (rc < 0) {
			*why = DB_FAIL_OTHER;
			err_set(err, "interrupted");
			pq.PQfinish(c);
			return -1;
		}
		if (rc == 0) {
			*why = DB_FAIL_UNREACHABLE;
			db_timeout_message(stage_of(c), clock_mono_ms() - t0, err);
			err_prefix(err, "connection to server at \"%s\", port %s failed",
			    pq.PQhost(c) && *pq.PQhost(c) ? pq.PQhost(c) : "?", pq.PQport(c) ? pq.PQport(c) : "?");
			pq.PQfinish(c);
			return -1;
		}
		st = pq.PQconnectPoll(c);
	}
	if (pq.PQstatus(c) != CONNECTION_OK) {
		*why = classify_message(pq.PQerrorMessage(c), err);
		pq.PQfinish(c);
		return -1;
	}
	pq.PQsetErrorVerbosity(c, PQERRORS_DEFAULT);
	d->conn = c;
	d->version = pq.PQserverVersion(c);
	return 0;
}

/* A one-line message from a failed result or the connection. */
static void
result_error(PGconn *c, PGresult *r, char *err)
{
	const char *m = r ? pq.PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char line[ERR_LEN];
	size_t len;

	if (m == NULL)
		m = pq.PQerrorMessage(c);
	snprintf(line, sizeof(line), "%s", m && *m ? m : "unknown error");
	len = strcspn(line, "\n");
	line[len] = '\0';
	err_set(err, "%s", line);
}

int
db_pg_query(db *d, const char *sql, db_row_fn row, void *arg, char *err)
{
	PGconn *c = d->conn;
	int64_t t0 = clock_mono_ms(), deadline = db_deadline(d->query_timeout_ms, d->deadline_ms);
	const char **vals = NULL;
	PGresult *r;
	int rc = 0, stop = 0;

	if (!pq.PQsendQuery(c, sql)) {
		result_error(c, NULL, err);
		goto lost_check;
	}
	/* The query may not have gone out whole: flush it, then wait for the answer. */
	for (int flushing = 1; flushing || pq.PQisBusy(c);) {
		int w;

		if (flushing && (flushing = pq.PQflush(c)) < 0) {
			result_error(c, NULL, err);
			goto lost_check;
		}
		w = db_wait(pq.PQsocket(c), flushing, deadline, d->cancel, d->cancel_fd);
		if (w <= 0) {
			/*
			 * No PQcancel(): it opens a connection of its own and waits for the
			 * server without a limit. The session is given up instead; the
			 * server ends the query when it finds the connection gone.
			 */
			if (w < 0)
				err_set(err, "interrupted");
			else
				db_timeout_message(DB_STAGE_QUERY, clock_mono_ms() - t0, err);
			d->lost = 1;    /* the session's state is unknown: start again */
			return -1;
		}
		if (!pq.PQconsumeInput(c)) {
			result_error(c, NULL, err);
			goto lost_check;
		}
	}
	while ((r = pq.PQgetResult(c)) != NULL) {
		ExecStatusType s = pq.PQresultStatus(r);

		if (s == PGRES_TUPLES_OK && row != NULL && !stop && rc == 0) {
			int nf = pq.PQnfields(r), nt = pq.PQntuples(r);

			free(vals);
			vals = calloc((size_t)nf + 1, sizeof(*vals));
			if (vals == NULL) {
				err_set(err, "out of memory");
				rc = -1;
			}
			for (int i = 0; rc == 0 && i < nt && !stop; i++) {
				for (int j = 0; j < nf; j++)
					vals[j] = pq.PQgetisnull(r, i, j) ? NULL : pq.PQgetvalue(r, i, j);
				stop = row(arg, nf, vals);
			}
		} else if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK && rc == 0) {
			result_error(c, r, err);
			rc = -1;
		}
		pq.PQclear(r);
	}
	free(vals); vals = NULL;
	if (rc < 0)
		goto lost_check;
	return 0;
lost_check:
	if (pq.PQstatus(c) == CONNECTION_BAD)
		d->lost = 1;
	return -1;
}

void
db_pg_close(db *d)
{
	if (d->conn != NULL)
		pq.PQfinish(d->conn);
	d->conn = NULL;
}

const char *
db_pg_headroom_sql(const db *d)
{
	/*
	 * backend_type (version 10) tells client sessions from background
	 * processes, but a role without pg_read_all_stats sees it as NULL for
	 * other roles' sessions; those are counted when they have a database
	 * (background processes other than autovacuum workers have none).
	 */
	if (d->version >= 100000)
		return "SELECT 'used', count(*)::text FROM pg_stat_activity"
		    " WHERE backend_type = 'client backend'"
		    " OR (backend_type IS NULL AND datid IS NOT NULL)"
		    " UNION ALL SELECT 'max', current_setting('max_connections')"
		    " UNION ALL SELECT 'reserved',"
		    " (current_setting('superuser_reserved_connections')::int"
		    " + coalesce(current_setting('reserved_connections', true), '0')::int)::text";
	return "SELECT 'used', count(*)::text FROM pg_stat_activity WHERE datid IS NOT NULL"
	    " UNION ALL SELECT 'max', current_setting('max_connections')"
	    " UNION ALL SELECT 'reserved', current_setting('superuser_reserved_connections')";
}

int
db_pg_lock_sql(char *out, size_t n, int64_t key, int release)
{
	int len = snprintf(out, n, "SELECT %s(%lld)",
	    release ? "pg_advisory_unlock" : "pg_try_advisory_lock", (long long)key);

	return len < 0 || (size_t)len >= n ? -1 : 0;
}

int
db_pg_socket(const db *d)
{
	return pq.PQsocket(d->conn);
}

const char *
db_pg_keep_session_sql(const db *d)
{
	/* idle_session_timeout is from version 14; the other from 9.6. */
	if (d->version >= 140000)
		return "SET idle_session_timeout = 0; SET idle_in_transaction_session_timeout = 0";
	if (d->version >= 90600)
		return "SET idle_in_transaction_session_timeout = 0";
	return NULL;
}

static PQconninfoOption *pg_known;
static pthread_once_t pg_known_once = PTHREAD_ONCE_INIT;

static void
load_known(void)
{
	/* Kept for the life of the process: it is what this libpq accepts. */
	if (dl_load(&pq_lib, NULL) == 0)
		pg_known = pq.PQconndefaults();
}

int
db_pg_known_param(const char *key)
{
	pthread_once(&pg_known_once, load_known);
	if (pg_known == NULL)
		return 1;       /* cannot tell: let libpq (or its absence) speak at connect time */
	for (const PQconninfoOption *o = pg_known; o->keyword != NULL; o++)
		if (strcmp(o->keyword, key) == 0)
			return 1;
	return 0;
}
