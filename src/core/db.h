/*
 * db.h - talking to PostgreSQL (libpq) and MySQL/MariaDB (libmariadb).
 *
 * Several commands ask a database the same few questions: can I connect and,
 * if not, why (is the server full, or is it down)?  How many connections are
 * in use out of how many usable?  Is this job's lock free?  This module
 * answers them behind one opaque handle so that a command never includes
 * libpq-fe.h or mysql.h itself.
 *
 *   URLs        postgresql:// postgres:// mysql:// mariadb://
 *               user[:password]@host[:port]/db?param=value&...
 *               A host that is a path (percent-encoded, "%2Frun%2Fpostgresql",
 *               or given as ?host=/path, or ?socket=/path for MySQL) is a unix
 *               socket: the socket directory for PostgreSQL, the socket file
 *               for MySQL. For PostgreSQL every other query parameter is handed
 *               to libpq as a connection keyword (sslmode, service, ...), and
 *               whatever the URL leaves out comes from libpq's own defaults:
 *               PG* environment variables, service files, ~/.pgpass.
 *   Failures    db_connect() says which kind of failure it met (enum
 *               db_failure) besides the one-line reason, so that a monitoring
 *               check can tell "the server is full" (the alarm it exists for)
 *               from "the server is down" or "the password is wrong".
 *   Headroom    used / usable, computed the same way for every caller.
 *   Thresholds  "N", "N%" (of usable), and the Monitoring Plugins ranges.
 *   Locks       advisory locks by name, held by the session.
 *
 * Passwords never leave this module in printable form: db_url_redacted()
 * and db_redact() replace them with "***". Nothing here logs or exits.
 * A db handle is used by one thread at a time.
 */
#ifndef BRACE_DB_H
#define BRACE_DB_H

#include <stddef.h>
#include <stdint.h>

/* Longest URL accepted (and so longest redacted URL written). */
#define DB_URL_MAX 4096
/* Most query parameters in one URL. */
#define DB_URL_MAX_PARAMS 32
/* Longest password read from a file or a URL. */
#define DB_PASSWORD_MAX 1024

enum db_kind {
	DB_POSTGRES = 1,
	DB_MYSQL,               /* MySQL and MariaDB */
};

/* A parsed URL. Every string is percent-decoded and owned by the struct. */
struct db_url {
	enum db_kind kind;
	char scheme[16];        /* as written: "postgresql", "postgres", "mysql", "mariadb" */
	char *user;             /* NULL when absent */
	char *password;         /* NULL when absent (not the same as "") */
	char *host;             /* NULL = the library's default; "/..." = unix socket */
	int port;               /* 0 = the default port */
	char *dbname;           /* NULL when absent */
	size_t nparams;         /* other query parameters, in URL order */
	char *param_key[DB_URL_MAX_PARAMS];
	char *param_val[DB_URL_MAX_PARAMS];
};

/*
 * Parse text into u (which the caller provides; no init needed). host, port,
 * user, password and dbname given as query parameters override the authority
 * part, as libpq does; for MySQL "socket" and "database" are accepted too and
 * any other parameter is an error. Returns 0, or -1 with err set to a reason
 * that never contains the password. On success free with db_url_release().
 */
int db_url_parse(const char *text, struct db_url *u, char *err);
/*
 * Replace the host (when host is not NULL; a path is a unix socket) and the
 * port (when port is not NULL: 1 to 65535) of a parsed URL, as
 * -H/--hostname and -p/--port do. 0 / -1 with err.
 */
int db_url_override(struct db_url *u, const char *host, const char *port, char *err);
/* Free the strings of u; u can be parsed into again. Safe on a zeroed struct. */
void db_url_release(struct db_url *u);
/* 1 when the host is a unix socket path. */
int db_url_is_socket(const struct db_url *u);
/*
 * Write u back as a URL with the password (if any) as "***", e.g.
 * "postgresql://app:***@127.0.0.1:5432/appdb". Always NUL-terminates.
 */
void db_url_redacted(const struct db_url *u, char *out, size_t n);
/*
 * A short name for the server, for subjects and labels: "host:port/db",
 * "/socket/path/db" (port and db left out when the URL has none).
 */
void db_url_target(const struct db_url *u, char *out, size_t n);

/*
 * Copy text into out with any password hidden: the password part of a URL's
 * user info and the value of a "password=" parameter become "***". For text
 * that may not even parse (an error message quoting what the user typed).
 */
void db_redact(const char *text, char *out, size_t n);

/*
 * Read a password from the first line of path (the newline and a CR before
 * it are dropped) into out (n bytes). An empty file or first line is an
 * error, as is a password longer than n - 1 bytes. 0 / -1 with err.
 */
int db_read_password_file(const char *path, char *out, size_t n, char *err);

/* Why a connection attempt failed. */
enum db_failure {
	DB_OK = 0,
	DB_FAIL_FULL,           /* the server refused us for lack of connection slots */
	DB_FAIL_AUTH,           /* login refused: password, user, database, access rules */
	DB_FAIL_UNREACHABLE,    /* no server there, timed out, starting up or shutting down */
	DB_FAIL_BAD_URL,        /* the URL or a connection option is wrong */
	DB_FAIL_OTHER,          /* anything else */
};

/* "ok", "server full", "login refused", "unreachable", "bad URL", "error". */
const char *db_failure_name(enum db_failure f);

typedef struct db db;

struct db_connect_opts {
	/*
	 * The connection's time limit: name resolution, TCP connect, TLS and
	 * login together; 0 = 10 s.
	 */
	int timeout_ms;
	int query_timeout_ms;   /* each query's limit; 0 = 30 s */
	/*
	 * An overall deadline (monotonic, clock_mono_ms()) that caps the
	 * connection and every later query on the handle, whatever the limits
	 * above say; 0 = none. db_set_deadline() moves it.
	 */
	int64_t deadline_ms;
	/* Used instead of the URL's password when not NULL (--password-file). */
	const char *password;
	/* Shown by the server as the session's application (NULL = "brace"). */
	const char *application_name;
	/*
	 * When not NULL, a signal handler may set *cancel to make a connect or
	 * query that is waiting give up at once (DB_FAIL_OTHER, "interrupted"),
	 * so that Ctrl-C is not held up by a timeout. The wait is a poll(2) that
	 * the signal interrupts, so the handler must not use SA_RESTART.
	 */
	volatile int *cancel;
	/*
	 * A descriptor (> 0) polled alongside every wait: once it is readable,
	 * the call gives up with "interrupted" (it is never read here). brace
	 * run passes a signalfd of SIGTERM, SIGINT and SIGHUP. 0 = none.
	 */
	int cancel_fd;
};

/*
 * Every wait of this module (name resolution, connect, TLS, login, each
 * query) is a poll(2) with a deadline, on both backends: a server that
 * accepts the TCP connection and then never answers costs at most the
 * limit. A timeout is reported as DB_FAIL_UNREACHABLE with the stage that
 * hung in err: "timed out after 2s during login (the server accepted the
 * connection, then said nothing)". A handle whose query timed out or was
 * interrupted is lost (db_connection_lost()), since its session is in an
 * unknown state.
 */

/*
 * Connect to the server u names. opts may be NULL for the defaults. Returns
 * a handle, or NULL with *why (when why is not NULL) set to the kind of
 * failure and err to a one-line reason, e.g. "server full: sorry, too many
 * clients already" is reported as DB_FAIL_FULL with err
 * "connection to server at "127.0.0.1", port 5432 failed: sorry, too many
 * clients already". The handle keeps no pointer into u or opts.
 */
db *db_connect(const struct db_url *u, const struct db_connect_opts *opts,
    enum db_failure *why, char *err);
/* Close the connection and free the handle; NULL is ignored. */
void db_close(db *d);
enum db_kind db_kind_of(const db *d);
/* The server's version as a number: 150004 for PostgreSQL 15.4, 101106 for 10.11.6. */
int db_server_version(const db *d);
/* 1 when the server is MariaDB rather than MySQL (0 for PostgreSQL). */
int db_is_mariadb(const db *d);

/*
 * Called for each row of a result: ncol values as NUL-terminated text, NULL
 * for SQL NULL; the strings are valid during the call only. A non-zero
 * return stops the walk (db_query then returns 0).
 */
typedef int (*db_row_fn)(void *arg, int ncol, const char *const *vals);

/*
 * Run one SQL statement and hand every row of its result to row (which may
 * be NULL to discard rows). Returns 0, or -1 with err set (a server error,
 * a timeout, a lost connection; after the latter db_connection_lost() is 1
 * and the handle only wants db_close()).
 */
int db_query(db *d, const char *sql, db_row_fn row, void *arg, char *err);
/* 1 once the connection is known to be gone (server restarted, network). */
int db_connection_lost(const db *d);
/* Move the handle's overall deadline (see db_connect_opts); 0 = none. */
void db_set_deadline(db *d, int64_t deadline_ms);
/* Change the cancel descriptor (see db_connect_opts); 0 = none. */
void db_set_cancel_fd(db *d, int fd);
/*
 * The connection's socket, e.g. to keep it open in another process so that
 * the server keeps the session (and its locks) until that process exits.
 * -1 when there is none.
 */
int db_socket(const db *d);
/*
 * Ask the server not to end this session for being idle: PostgreSQL's
 * idle_session_timeout and idle_in_transaction_session_timeout (14+),
 * MySQL/MariaDB's wait_timeout (to its largest value). For a session that
 * holds a lock for a long job. 0 / -1 with err.
 */
int db_keep_session(db *d, char *err);

/* Connection headroom, as every brace command computes and reports it. */
struct db_headroom {
	int64_t used;           /* client connections now, the caller's included */
	int64_t max;            /* max_connections */
	int64_t reserved;       /* slots ordinary roles cannot use (PostgreSQL) */
	int64_t usable;         /* max - reserved: what ordinary roles get */
	double percent;         /* 100 * used / usable */
	/* MySQL/MariaDB status counters; -1 for PostgreSQL. */
	int64_t max_used;       /* Max_used_connections */
	int64_t threads_running;        /* Threads_running */
	int64_t errors_max_connections; /* Connection_errors_max_connections */
	int64_t aborted_connects;       /* Aborted_connects */
};

/*
 * Fill h with one cheap query. PostgreSQL: used = client backends in
 * pg_stat_activity (other roles' sessions, whose backend_type a role
 * without pg_read_all_stats cannot see, are counted when they are connected
 * to a database), usable = max_connections - superuser_reserved_connections
 * - reserved_connections (the latter from version 16). MySQL/MariaDB: used =
 * Threads_connected, usable = max_connections (the server admits one more
 * connection for an administrator, which is not counted as usable).
 * 0 / -1 with err.
 */
int db_headroom(db *d, struct db_headroom *h, char *err);
/*
 * Compute usable and percent from used, max and reserved (the other fields
 * are left alone), so that a caller with its own query reports the same
 * numbers as db_headroom().
 */
void db_headroom_compute(struct db_headroom *h);

/*
 * A threshold on the number of connections in use. "N" and "N%" alert when
 * used is above N (a count, or a percent of usable). With ranges allowed the
 * Monitoring Plugins syntax works too, each end a count or a percent:
 *   "10:"     alert when used < 10
 *   "~:10"    alert when used > 10
 *   "10:20"   alert when used is outside 10..20
 *   "@10:20"  alert when used is inside 10..20 (inclusive)
 */
struct db_threshold {
	int set;                /* 0 = no threshold (never alerts) */
	int inside;             /* '@': alert inside the range rather than outside */
	int has_lo, has_hi;     /* a missing end is -infinity / +infinity */
	double lo, hi;
	int lo_pct, hi_pct;     /* the end is a percent of usable */
	char text[32];          /* as written, for messages */
};

/*
 * Parse s into t. allow_range 0 accepts only "N" and "N%" (what a gate like
 * --db-max-used wants); 1 accepts the ranges as well. Numbers are
 * non-negative and may have a fraction. 0 / -1 with err naming s.
 */
int db_threshold_parse(const char *s, int allow_range, struct db_threshold *t, char *err);
/* 1 when used (out of usable) is in the alert zone of t; 0 when t is not set. */
int db_threshold_alert(const struct db_threshold *t, int64_t used, int64_t usable);
/*
 * The largest count that is not above a plain "N" / "N%" threshold given
 * usable (for "80%" of 17: 13); -1 when t is not set or is a range.
 */
int64_t db_threshold_limit(const struct db_threshold *t, int64_t usable);
/*
 * Write t as a Monitoring Plugins range in counts (percent ends resolved
 * against usable, e.g. "80%" of 17 gives "13.6"), for perfdata. "" when unset.
 */
void db_threshold_format(const struct db_threshold *t, int64_t usable, char *out, size_t n);

/*
 * The 64-bit key a lock name maps to on PostgreSQL (FNV-1a of the name),
 * so that an operator can find the lock in pg_locks.
 */
int64_t db_lock_key(const char *name);
/*
 * Try, without waiting, to take the advisory lock called name for this
 * session: pg_try_advisory_lock(db_lock_key(name)) on PostgreSQL,
 * GET_LOCK(name, 0) on MySQL/MariaDB (a name longer than 64 bytes is
 * replaced by "brace-" and its key in hex, as MySQL limits lock names).
 * *acquired is 1 when this session holds the lock now, 0 when another
 * session does. The lock lasts until db_lock_release() or the connection
 * closes. 0 / -1 with err.
 */
int db_lock_try(db *d, const char *name, int *acquired, char *err);
/* Release a lock taken by db_lock_try(). -1 with err if this session did not hold it. */
int db_lock_release(db *d, const char *name, char *err);

#endif
