/*
 * db_my.c - the MySQL/MariaDB backend of db.c, on MariaDB Connector/C.
 *
 * Failures are sorted by error number, which both servers send in the same
 * numbering: 1040 "Too many connections" is the full server, 1045 and
 * friends a refused login, 2002/2003/2013 nobody answering. Timeouts are
 * the connector's, in whole seconds (rounded up).
 *
 * A host that is a path is the server's unix socket file. Any other host is
 * reached over TCP, "localhost" included: a URL that names a port means
 * that port (the mysql client would silently use its default socket).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <errmsg.h>

#include "core/db_int.h"
#include "core/err.h"

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
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void
library_init(void)
{
	mysql_library_init(0, NULL, NULL);
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
seconds_up(int ms)
{
	return (unsigned int)((ms + 999) / 1000);
}

int
db_my_connect(db *d, const struct db_url *u, const struct db_connect_opts *o,
    enum db_failure *why, char *err)
{
	unsigned int ctimeout = seconds_up(o->timeout_ms), qtimeout = seconds_up(o->query_timeout_ms);
	unsigned int proto;
	const char *host = u->host, *sock = NULL;
	MYSQL *m;

	pthread_once(&library_once, library_init);
	if ((m = mysql_init(NULL)) == NULL) {
		*why = DB_FAIL_OTHER;
		err_set(err, "out of memory");
		return -1;
	}
	mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &ctimeout);
	mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &qtimeout);
	mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &qtimeout);
	mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_optionsv(m, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", o->application_name);
	if (db_url_is_socket(u)) {
		sock = u->host;
		host = "localhost";
		proto = MYSQL_PROTOCOL_SOCKET;
		mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &proto);
	} else if (host != NULL) {
		proto = MYSQL_PROTOCOL_TCP;
		mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &proto);
	}
	if (mysql_real_connect(m, host, u->user, o->password ? o->password : u->password,
	    u->dbname, (unsigned int)u->port, sock, 0) == NULL) {
		char where[300];

		if (sock != NULL)
			snprintf(where, sizeof(where), "socket %s", sock);
		else
			snprintf(where, sizeof(where), "%s, port %u", host ? host : "localhost",
			    u->port ? (unsigned int)u->port : (unsigned int)MYSQL_PORT);
		*why = classify(mysql_errno(m));
		err_set(err, "connection to server at %s failed: %s (error %u)", where,
		    mysql_error(m), mysql_errno(m));
		mysql_close(m);
		return -1;
	}
	d->conn = m;
	d->version = (int)mysql_get_server_version(m);
	d->mariadb = strstr(mysql_get_server_info(m), "MariaDB") != NULL;
	return 0;
}

int
db_my_query(db *d, const char *sql, db_row_fn row, void *arg, char *err)
{
	MYSQL *m = d->conn;
	MYSQL_RES *res;
	MYSQL_ROW r;
	unsigned int nf;
	int stop = 0;

	if (mysql_real_query(m, sql, strlen(sql)) != 0)
		goto fail;
	if ((res = mysql_store_result(m)) == NULL) {
		if (mysql_field_count(m) != 0)
			goto fail;
		return 0;
	}
	nf = mysql_num_fields(res);
	while (!stop && (r = mysql_fetch_row(res)) != NULL) {
		if (row != NULL)
			stop = row(arg, (int)nf, (const char *const *)r);
	}
	mysql_free_result(res);
	return 0;
fail:
	err_set(err, "%s (error %u)", mysql_error(m), mysql_errno(m));
	if (is_lost(mysql_errno(m)))
		d->lost = 1;
	return -1;
}

void
db_my_close(db *d)
{
	if (d->conn != NULL)
		mysql_close(d->conn);
	d->conn = NULL;
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
	mysql_real_escape_string(d->conn, esc, name, (unsigned long)len);
	w = snprintf(out, n, "SELECT %s('%s'%s)", release ? "RELEASE_LOCK" : "GET_LOCK", esc,
	    release ? "" : ", 0");
	return w < 0 || (size_t)w >= n ? -1 : 0;
}
