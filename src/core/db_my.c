/*
 * db_my.c - the MySQL/MariaDB backend of db.c, on MariaDB Connector/C.
 *
 * Failures are sorted by error number, which both servers send in the same
 * numbering: 1040 "Too many connections" is the full server, 1045 and
 * friends a refused login, 2002/2003/2013 nobody answering. The connector
 * is driven through its non-blocking calls (see my_wait() below), so every
 * wait is brace's own poll(2) with a deadline in milliseconds and a cancel
 * descriptor; its own timeouts (whole seconds) are only a backstop. Host
 * names are resolved before it is called, within the deadline.
 *
 * A host that is a path is the server's unix socket file. Any other host is
 * reached over TCP, "localhost" included: a URL that names a port means
 * that port (the mysql client would silently use its default socket).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <mysql.h>
#include <errmsg.h>

#include "core/clock.h"
#include "core/db_int.h"
#include "core/dl.h"
#include "core/err.h"
#include "core/resolve.h"

/*
 * Every connector function this file calls, through a table filled in when
 * the first connection is made (see core/dl.h): the connector and what it
 * brings are not loaded at start.
 */
#define MY_FUNCS(X) \
	X(mysql_close) X(mysql_close_cont) X(mysql_close_start) X(mysql_errno) \
	X(mysql_error) X(mysql_fetch_row) X(mysql_field_count) X(mysql_free_result) \
	X(mysql_get_server_info) X(mysql_get_server_version) X(mysql_get_socket) \
	X(mysql_get_timeout_value_ms) X(mysql_init) X(mysql_num_fields) X(mysql_optionsv) \
	X(mysql_real_connect_cont) X(mysql_real_connect_start) X(mysql_real_escape_string) \
	X(mysql_real_query_cont) X(mysql_real_query_start) X(mysql_server_init) \
	X(mysql_store_result_cont) X(mysql_store_result_start)

static struct my_fns { MY_FUNCS(DL_FN) } my;
#define MY_SYM(fn) DL_SYM(struct my_fns, fn),
static const struct dl_sym my_syms[] = { MY_FUNCS(MY_SYM) };
static struct dl_lib my_lib = DL_LIB_INIT("libmariadb.so.3", "libmariadb3", my_syms, &my);

/* Server error numbers (mysqld_error.h is not part of the connector). */
enum {
	ER_CON_COUNT_ERROR = 1040,
	ER_DBACCESS_DENIED_ERROR = 1044,
	ER_ACCESS_DENIED_ERROR = 1045,
	ER_BAD_DB_ERROR = 1049,
	ER_SERVER_SHUTDOWN = 1053,
	ER_HOST_NOT_PRIVILEGED = 1130,
	ER_TOO_MANY_USER_CONNECTIONS = 1203,
	ER_NOT_SUPPORTED_AUTH_MODE = 1251,
	ER_ACCESS_DENIED_NO_PASSWORD = 1698,
	ER_CONNECTION_KILLED = 1927,
	ER_ACCOUNT_HAS_BEEN_LOCKED = 3118,
	ER_MUST_CHANGE_PASSWORD_LOGIN = 1862,
	ER_SECURE_TRANSPORT_REQUIRED = 3159,    /* MySQL 5.7+; MariaDB says 1045 */
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void
library_init(void)
{
	my.mysql_server_init(0, NULL, NULL);   /* mysql_library_init() */
}

static enum db_failure
classify(unsigned int e)
{
	switch (e) {
	case ER_CON_COUNT_ERROR:
	case ER_TOO_MANY_USER_CONNECTIONS:
		return DB_FAIL_FULL;
	case ER_DBACCESS_DENIED_ERROR:
	case ER_ACCESS_DENIED_ERROR:
	case ER_BAD_DB_ERROR:
	case ER_HOST_NOT_PRIVILEGED:
	case ER_NOT_SUPPORTED_AUTH_MODE:
	case ER_ACCESS_DENIED_NO_PASSWORD:
	case ER_ACCOUNT_HAS_BEEN_LOCKED:
	case ER_MUST_CHANGE_PASSWORD_LOGIN:
	case ER_SECURE_TRANSPORT_REQUIRED:
		return DB_FAIL_AUTH;
	case ER_SERVER_SHUTDOWN:
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_UNKNOWN_HOST:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
		return DB_FAIL_UNREACHABLE;
	}
	return DB_FAIL_OTHER;
}

/* Errors after which the session is gone. */
static int
is_lost(unsigned int e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == ER_SERVER_SHUTDOWN ||
	    e == ER_CONNECTION_KILLED || e == CR_SERVER_LOST_EXTENDED;
}

static unsigned int
seconds_up(int64_t ms)
{
	return (unsigned int)((ms + 999) / 1000);
}

/*
 * The connector is driven through its non-blocking interface: each call
 * returns what it waits for (MYSQL_WAIT_READ, _WRITE, _TIMEOUT), and the
 * waiting is done here, with poll(2), the deadline and the cancel flag and
 * descriptor. When the deadline passes or the call is cancelled, the socket
 * is shut down so that the connector's call ends at once with an error.
 */
struct my_wait {
	MYSQL *m;
	int64_t deadline;
	volatile int *cancel;
	int cancel_fd;
	enum db_stage stage;    /* CONNECT until the first wait for reading */
	int sock_err;           /* errno of a failed TCP connect, 0 if none */
	int outcome;            /* 0 going on, 1 timed out, -1 cancelled */
};

static int
my_wait(struct my_wait *w, int status)
{
	int fd = (int)my.mysql_get_socket(w->m), rc;
	int64_t until = w->deadline, now;
	struct pollfd p[2] = {
		{ .fd = fd, .events = 0 },
		{ .fd = w->cancel_fd > 0 ? w->cancel_fd : -1, .events = POLLIN },
	};

	if (w->outcome != 0)
		return MYSQL_WAIT_READ | MYSQL_WAIT_WRITE;     /* finishing an aborted call */
	if ((status & MYSQL_WAIT_READ) && w->stage == DB_STAGE_CONNECT)
		w->stage = DB_STAGE_LOGIN;
	if (status & MYSQL_WAIT_READ)
		p[0].events |= POLLIN;
	if (status & MYSQL_WAIT_WRITE)
		p[0].events |= POLLOUT;
	if (status & MYSQL_WAIT_EXCEPT)
		p[0].events |= POLLPRI;
	now = clock_mono_ms();
	if ((status & MYSQL_WAIT_TIMEOUT) && now + my.mysql_get_timeout_value_ms(w->m) < until)
		until = now + my.mysql_get_timeout_value_ms(w->m);
	for (;;) {
		if (w->cancel != NULL && *w->cancel) {
			w->outcome = -1;
			break;
		}
		if (until - clock_mono_ms() <= 0) {
			if (until < w->deadline)
				return MYSQL_WAIT_TIMEOUT;      /* the connector's own limit */
			w->outcome = 1;
			break;
		}
		rc = poll(p, 2, (int)(until - clock_mono_ms()));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc > 0 && p[1].revents != 0) {
			w->outcome = -1;
			break;
		}
		if (rc < 0)
			return status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE);
		if (rc == 0)
			continue;
		if (w->stage == DB_STAGE_CONNECT && (p[0].revents & (POLLERR | POLLHUP))) {
			socklen_t len = sizeof(w->sock_err);

			/* The connector reports a refused connect as EINPROGRESS: keep the truth. */
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &w->sock_err, &len);
		}
		return (p[0].revents & (POLLIN | POLLERR | POLLHUP) ? MYSQL_WAIT_READ : 0) |
		    (p[0].revents & (POLLOUT | POLLERR | POLLHUP) ? MYSQL_WAIT_WRITE : 0) |
		    (p[0].revents & POLLPRI ? MYSQL_WAIT_EXCEPT : 0);
	}
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	return MYSQL_WAIT_READ | MYSQL_WAIT_WRITE;
}

/* Write the outcome of an aborted call into err; 1 if the call was aborted. */
static int
aborted(const struct my_wait *w, int64_t t0, char *err)
{
	if (w->outcome == 0)
		return 0;
	if (w->outcome < 0)
		err_set(err, "interrupted");
	else
		db_timeout_message(w->stage, clock_mono_ms() - t0, err);
	return 1;
}

/*
 * The connector's message with an errno in parentheses ("Can't connect to
 * server on '10.0.0.5' (115)") made readable: the errno's text instead, and
 * the real reason of a refused connect, which the connector reports as 115
 * (EINPROGRESS).
 */
static void
my_message(const struct my_wait *w, char *out, size_t n)
{
	const char *msg = my.mysql_error(w->m);
	unsigned int e = my.mysql_errno(w->m);
	size_t len = strlen(msg);
	const char *open = len > 0 && msg[len - 1] == ')' ? strrchr(msg, '(') : NULL;
	char *end;
	long errnum = open ? strtol(open + 1, &end, 10) : 0;

	if (w->sock_err != 0 && (e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR ||
	    e == CR_SERVER_LOST || e == CR_SERVER_GONE_ERROR)) {
		snprintf(out, n, "%s", strerror(w->sock_err));
		return;
	}
	if (open != NULL && e >= CR_MIN_ERROR && e <= CR_MAX_ERROR && end == msg + len - 1 &&
	    errnum > 0 && open > msg) {
		size_t keep = (size_t)(open - msg);

		while (keep > 0 && msg[keep - 1] == ' ')
			keep--;
		snprintf(out, n, "%.*s: %s", (int)keep, msg, strerror((int)errnum));
		return;
	}
	snprintf(out, n, "%s", msg);
}

/* The URL's TLS parameters (ssl-mode, ssl-ca, ...), checked by db_url_parse(). */
struct my_tls {
	enum { TLS_DEFAULT, TLS_DISABLED, TLS_REQUIRED, TLS_VERIFY_CA, TLS_VERIFY_IDENTITY } mode;
	const char *ca, *capath, *cert, *key;
};

static void
tls_params(const struct db_url *u, struct my_tls *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < u->nparams; i++) {
		const char *k = u->param_key[i], *v = u->param_val[i];

		if (strcmp(k, "ssl-mode") == 0) {
			if (strcasecmp(v, "DISABLED") == 0)
				t->mode = TLS_DISABLED;
			else if (strcasecmp(v, "REQUIRED") == 0)
				t->mode = TLS_REQUIRED;
			else if (strcasecmp(v, "VERIFY_CA") == 0)
				t->mode = TLS_VERIFY_CA;
			else if (strcasecmp(v, "VERIFY_IDENTITY") == 0)
				t->mode = TLS_VERIFY_IDENTITY;
		} else if (strcmp(k, "ssl-ca") == 0) {
			t->ca = v;
		} else if (strcmp(k, "ssl-capath") == 0) {
			t->capath = v;
		} else if (strcmp(k, "ssl-cert") == 0) {
			t->cert = v;
		} else if (strcmp(k, "ssl-key") == 0) {
			t->key = v;
		}
	}
	/* A CA given without a mode asks for a verified chain, as the mysql client reads it. */
	if (t->mode == TLS_DEFAULT && (t->ca != NULL || t->capath != NULL))
		t->mode = TLS_VERIFY_CA;
}

/*
 * REQUIRED: TLS, no verification. VERIFY_CA: the chain against ssl-ca
 * (the system's CAs without one); the connector verifies the chain whenever
 * a CA is set. VERIFY_IDENTITY: the chain and the host name.
 */
static void
apply_tls(MYSQL *m, const struct my_tls *t)
{
	my_bool on = 1, off = 0;

	if (t->mode == TLS_DEFAULT || t->mode == TLS_DISABLED)
		return;
	my.mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
	my.mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
	    t->mode == TLS_VERIFY_IDENTITY ? &on : &off);
	if (t->ca != NULL)
		my.mysql_optionsv(m, MYSQL_OPT_SSL_CA, t->ca);
	if (t->capath != NULL)
		my.mysql_optionsv(m, MYSQL_OPT_SSL_CAPATH, t->capath);
	else if (t->ca == NULL && t->mode != TLS_REQUIRED)
		my.mysql_optionsv(m, MYSQL_OPT_SSL_CAPATH, "/etc/ssl/certs");
	if (t->cert != NULL)
		my.mysql_optionsv(m, MYSQL_OPT_SSL_CERT, t->cert);
	if (t->key != NULL)
		my.mysql_optionsv(m, MYSQL_OPT_SSL_KEY, t->key);
}

struct my_target {
	const char *host;       /* what the connector is given */
	const char *sock;       /* unix socket file, or NULL */
	unsigned int port;
};

/* One connection attempt, within w's deadline. NULL on failure (m is kept for errors). */
static MYSQL *
connect_once(MYSQL *m, const struct db_url *u, const struct db_connect_opts *o,
    const struct my_target *tg, const struct my_tls *t, struct my_wait *w)
{
	unsigned int ctimeout = seconds_up(o->timeout_ms);
	unsigned int qtimeout = seconds_up(o->query_timeout_ms);
	unsigned int proto = tg->sock != NULL ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
	MYSQL *ret = NULL;
	int st;

	my.mysql_optionsv(m, MYSQL_OPT_NONBLOCK, 0);
	my.mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &ctimeout);
	my.mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &qtimeout);
	my.mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &qtimeout);
	my.mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	my.mysql_optionsv(m, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", o->application_name);
	if (tg->sock != NULL || tg->host != NULL)
		my.mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &proto);
	apply_tls(m, t);
	w->m = m;
	w->stage = DB_STAGE_CONNECT;
	st = my.mysql_real_connect_start(&ret, m, tg->host, u->user,
	    o->password ? o->password : u->password, u->dbname, tg->port, tg->sock, 0);
	for (int guard = 0; st != 0 && guard < 100000; guard++)
		st = my.mysql_real_connect_cont(&ret, m, my_wait(w, st));
	return ret;
}

/*
 * MariaDB refuses a plain-text login with the same "Access denied" as a
 * wrong password when require_secure_transport is on. When the server
 * offers TLS, one more login over TLS tells the two apart.
 */
static int
needs_tls(const struct db_url *u, const struct db_connect_opts *o,
    const struct my_target *tg, struct my_wait *w)
{
	struct my_tls t = { .mode = TLS_REQUIRED };
	MYSQL *m = my.mysql_init(NULL), *ok;
	struct my_wait probe = *w;

	if (m == NULL)
		return 0;
	probe.sock_err = 0;
	ok = connect_once(m, u, o, tg, &t, &probe);
	if (ok != NULL) {
		int st = my.mysql_close_start(m);

		while (st != 0)
			st = my.mysql_close_cont(m, my_wait(&probe, st));
	} else {
		my.mysql_close(m);
	}
	return ok != NULL;
}

int
db_my_connect(db *d, const struct db_url *u, const struct db_connect_opts *o,
    enum db_failure *why, char *err)
{
	int64_t t0 = clock_mono_ms(), deadline = db_deadline(o->timeout_ms, o->deadline_ms);
	struct my_wait w = { .deadline = deadline, .cancel = o->cancel, .cancel_fd = o->cancel_fd };
	struct my_target tg = { .host = u->host, .port = (unsigned int)u->port };
	struct resolve_result res = { .n = 0 };
	struct my_tls t;
	char where[300], msg[ERR_LEN];
	unsigned int e = 0;
	MYSQL *m = NULL;

	if (dl_load(&my_lib, err) < 0) {
		*why = DB_FAIL_OTHER;
		return -1;
	}
	pthread_once(&library_once, library_init);
	tls_params(u, &t);
	if (db_url_is_socket(u)) {
		tg.sock = u->host;
		tg.host = "localhost";
		snprintf(where, sizeof(where), "socket %s", u->host);
	} else {
		snprintf(where, sizeof(where), "%s, port %u", u->host ? u->host : "localhost",
		    u->port ? (unsigned int)u->port : (unsigned int)MYSQL_PORT);
		/*
		 * The connector's own lookup has no deadline: resolve here, and hand it
		 * the address. Verifying the host name needs the name itself; it was
		 * just resolved, so the connector's lookup is answered the same way.
		 */
		if (u->host != NULL && t.mode != TLS_VERIFY_IDENTITY &&
		    db_resolve(u->host, deadline, t0, o->cancel, o->cancel_fd, &res, why, err) < 0) {
			err_prefix(err, "connection to server at %s failed", where);
			return -1;
		}
	}
	for (int i = 0; i == 0 || i < res.n; i++) {
		if (res.n > 0)
			tg.host = res.addr[i];
		if (m != NULL)
			my.mysql_close(m);
		if ((m = my.mysql_init(NULL)) == NULL) {
			*why = DB_FAIL_OTHER;
			err_set(err, "out of memory");
			return -1;
		}
		w.sock_err = 0;
		if (connect_once(m, u, o, &tg, &t, &w) != NULL) {
			d->conn = m;
			d->version = (int)my.mysql_get_server_version(m);
			d->mariadb = strstr(my.mysql_get_server_info(m), "MariaDB") != NULL;
			return 0;
		}
		e = my.mysql_errno(m);
		/* Another address of the name, if this one did not answer at all. */
		if (w.outcome != 0 || classify(e) != DB_FAIL_UNREACHABLE || w.stage != DB_STAGE_CONNECT)
			break;
	}
	if (aborted(&w, t0, msg)) {
		*why = w.outcome < 0 ? DB_FAIL_OTHER : DB_FAIL_UNREACHABLE;
		err_set(err, "connection to server at %s failed: %s", where, msg);
	} else if (e == ER_ACCESS_DENIED_ERROR && t.mode == TLS_DEFAULT && tg.sock == NULL &&
	    (m->server_capabilities & CLIENT_SSL) && needs_tls(u, o, &tg, &w)) {
		*why = DB_FAIL_AUTH;
		err_set(err, "connection to server at %s failed: the server accepts only TLS "
		    "connections (require_secure_transport): add ?ssl-mode=REQUIRED (or "
		    "VERIFY_CA, VERIFY_IDENTITY) to the URL", where);
	} else {
		*why = w.sock_err != 0 ? DB_FAIL_UNREACHABLE : classify(e);
		my_message(&w, msg, sizeof(msg));
		if (w.sock_err != 0)
			err_set(err, "connection to server at %s failed: %s", where, msg);
		else
			err_set(err, "connection to server at %s failed: %s (error %u)", where, msg, e);
	}
	my.mysql_close(m);
	return -1;
}

int
db_my_query(db *d, const char *sql, db_row_fn row, void *arg, char *err)
{
	MYSQL *m = d->conn;
	int64_t t0 = clock_mono_ms();
	struct my_wait w = {
		.m = m, .deadline = db_deadline(d->query_timeout_ms, d->deadline_ms),
		.cancel = d->cancel, .cancel_fd = d->cancel_fd, .stage = DB_STAGE_QUERY,
	};
	MYSQL_RES *res = NULL;
	MYSQL_ROW r;
	unsigned int nf;
	int st, rc = 0, stop = 0;

	st = my.mysql_real_query_start(&rc, m, sql, (unsigned long)strlen(sql));
	while (st != 0)
		st = my.mysql_real_query_cont(&rc, m, my_wait(&w, st));
	if (rc != 0)
		goto fail;
	st = my.mysql_store_result_start(&res, m);
	while (st != 0)
		st = my.mysql_store_result_cont(&res, m, my_wait(&w, st));
	if (res == NULL) {
		if (my.mysql_field_count(m) != 0 || w.outcome != 0)
			goto fail;
		return 0;
	}
	nf = my.mysql_num_fields(res);
	while (!stop && (r = my.mysql_fetch_row(res)) != NULL) {
		if (row != NULL)
			stop = row(arg, (int)nf, (const char *const *)r);
	}
	my.mysql_free_result(res);
	return 0;
fail:
	if (aborted(&w, t0, err)) {
		d->lost = 1;    /* the socket is shut down */
		return -1;
	}
	err_set(err, "%s (error %u)", my.mysql_error(m), my.mysql_errno(m));
	if (is_lost(my.mysql_errno(m)))
		d->lost = 1;
	return -1;
}

void
db_my_close(db *d)
{
	struct my_wait w = {
		.m = d->conn, .deadline = db_deadline(1000, 0), .stage = DB_STAGE_QUERY,
	};
	int st;

	if (d->conn == NULL)
		return;
	/* A lost session has nothing to say goodbye to; a live one gets a second. */
	if (d->lost) {
		int fd = (int)my.mysql_get_socket(d->conn);

		if (fd >= 0)
			shutdown(fd, SHUT_RDWR);
	}
	st = my.mysql_close_start(d->conn);
	while (st != 0)
		st = my.mysql_close_cont(d->conn, my_wait(&w, st));
	d->conn = NULL;
}

int
db_my_socket(const db *d)
{
	return (int)my.mysql_get_socket(d->conn);
}

const char *
db_my_keep_session_sql(const db *d)
{
	(void)d;
	/* The largest wait_timeout both servers accept: a year. */
	return "SET SESSION wait_timeout = 31536000";
}

const char *
db_my_headroom_sql(const db *d)
{
	/* MariaDB keeps status in information_schema, MySQL 5.7+ in performance_schema. */
	if (d->mariadb)
		return "SELECT 'max', @@max_connections UNION ALL"
		    " SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
		    " WHERE VARIABLE_NAME IN ('THREADS_CONNECTED', 'MAX_USED_CONNECTIONS',"
		    " 'THREADS_RUNNING', 'CONNECTION_ERRORS_MAX_CONNECTIONS', 'ABORTED_CONNECTS')";
	return "SELECT 'max', @@max_connections UNION ALL"
	    " SELECT VARIABLE_NAME, VARIABLE_VALUE FROM performance_schema.global_status"
	    " WHERE VARIABLE_NAME IN ('Threads_connected', 'Max_used_connections',"
	    " 'Threads_running', 'Connection_errors_max_connections', 'Aborted_connects')";
}

int
db_my_lock_sql(db *d, char *out, size_t n, const char *name, int release)
{
	char hashed[32], esc[2 * 64 + 1];
	size_t len = strlen(name);
	int w;

	/* MySQL 5.7+ refuses lock names over 64 characters. */
	if (len > 64) {
		snprintf(hashed, sizeof(hashed), "brace-%016llx",
		    (unsigned long long)db_lock_key(name));
		name = hashed;
		len = strlen(name);
	}
	my.mysql_real_escape_string(d->conn, esc, name, (unsigned long)len);
	w = snprintf(out, n, "SELECT %s('%s'%s)", release ? "RELEASE_LOCK" : "GET_LOCK", esc,
	    release ? "" : ", 0");
	return w < 0 || (size_t)w >= n ? -1 : 0;
}
