/*
 * journal.c - see journal.h.
 *
 * Concurrency: every writer is its own short transaction; SQLite's WAL mode
 * lets readers go on while one writer writes, and a busy handler makes
 * concurrent writers (fifty cron jobs finishing in the same second) queue
 * instead of failing. How long a handle may wait is its budget: a person's
 * command (note, prune) waits up to JOURNAL_WAIT_MS, a service writer (a
 * load balancer, a cron job's governor, a watch) JOURNAL_SERVICE_WAIT_MS,
 * so that a journal another process keeps locked never holds up service;
 * what such a writer cannot write in time is dropped and counted. Creating
 * and migrating the schema happens inside a BEGIN IMMEDIATE transaction
 * that re-reads the version, so two processes opening a new file at once
 * cannot both migrate it. A handle can be used from several threads: each
 * call takes the handle's mutex.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/dl.h"
#include "core/err.h"
#include "core/journal.h"
#include "core/json.h"
#include "core/term.h"
#include "core/log.h"
#include "core/path.h"

/*
 * Every SQLite function this file calls, through a table filled in when a
 * journal is first opened (see core/dl.h): commands that never open one
 * (brace logs) do not map libsqlite3 at start.
 */
#define SQ_FUNCS(X) \
	X(sqlite3_bind_double) X(sqlite3_bind_int64) X(sqlite3_bind_null) \
	X(sqlite3_bind_parameter_index) X(sqlite3_bind_text) X(sqlite3_busy_handler) \
	X(sqlite3_changes64) X(sqlite3_clear_bindings) X(sqlite3_close) X(sqlite3_column_double) \
	X(sqlite3_column_int) X(sqlite3_column_int64) X(sqlite3_column_text) X(sqlite3_errmsg) \
	X(sqlite3_exec) X(sqlite3_extended_errcode) X(sqlite3_extended_result_codes) \
	X(sqlite3_finalize) X(sqlite3_free) X(sqlite3_interrupt) X(sqlite3_open_v2) \
	X(sqlite3_prepare_v2) X(sqlite3_reset) X(sqlite3_step) X(sqlite3_system_errno)

static struct sq_fns { SQ_FUNCS(DL_FN) } sq;
#define SQ_SYM(fn) DL_SYM(struct sq_fns, fn),
static const struct dl_sym sq_syms[] = { SQ_FUNCS(SQ_SYM) };
static struct dl_lib sq_lib = DL_LIB_INIT("libsqlite3.so.0", "libsqlite3-0", sq_syms, &sq);

/* Rows deleted per transaction by prune, so that writers wait little. */
#define PRUNE_BATCH 5000

struct journal {
	sqlite3 *db;
	char path[PATH_MAX];
	char host[256];
	sqlite3_stmt *ins_event;
	sqlite3_stmt *ins_sample;
	pthread_mutex_t lock;
	int64_t budget_ms;      /* how long one call may wait for a busy journal */
	int64_t deadline_ms;    /* the current call's end (monotonic) */
	atomic_int give_up;     /* journal_abandon(): stop waiting at once */
	int service;            /* failures are warnings, rate limited and counted */
	int64_t dropped;        /* records a service writer could not write */
};

static int each_event(journal *j, const struct journal_filter *f,
    int (*cb)(const struct journal_event *ev, void *arg), void *arg, char *err);
static int each_sample(journal *j, const struct journal_filter *f,
    int (*cb)(const struct journal_sample *s, void *arg), void *arg, char *err);

/* Service writers' warnings: at most one a minute per cause, with counts. */
static struct log_limit warn_busy = LOG_LIMIT_INIT;
static struct log_limit warn_other = LOG_LIMIT_INIT;

/*
 * Migrations: entry i takes the schema from version i to version i + 1.
 * Never edit a released entry; add a new one.
 */
static const char *const migrations[] = {
	/* 0 -> 1: the two tables. */
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  ts INTEGER NOT NULL,"          /* ms since the epoch, UTC */
	"  host TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  severity TEXT NOT NULL,"
	"  subject TEXT,"
	"  message TEXT,"
	"  details TEXT"                  /* JSON object */
	");"
	"CREATE TABLE samples ("
	"  id INTEGER PRIMARY KEY,"
	"  ts INTEGER NOT NULL,"
	"  source TEXT NOT NULL,"
	"  series TEXT NOT NULL,"
	"  labels TEXT,"
	"  value REAL NOT NULL"
	");",
	/* 1 -> 2: time indexes for list/prune, and the host on samples. */
	"CREATE INDEX events_ts ON events(ts);"
	"CREATE INDEX samples_series_ts ON samples(series, ts);"
	"CREATE INDEX samples_ts ON samples(ts);"
	"ALTER TABLE samples ADD COLUMN host TEXT NOT NULL DEFAULT '';",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == JOURNAL_SCHEMA_VERSION,
    "one migration per schema version");

static int
mkdirs(const char *path, char *err)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(tmp)) {
		err_set(err, "path too long: %s", path);
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST) {
			err_set(err, "cannot create directory %s: %s", tmp, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST) {
		err_set(err, "cannot create directory %s: %s", tmp, strerror(errno));
		return -1;
	}
	return 0;
}

int
journal_resolve_path(const char *explicit_path, char *out, size_t n, char *err)
{
	const char *env, *home;
	int w;

	if (explicit_path != NULL && *explicit_path != '\0')
		w = snprintf(out, n, "%s", explicit_path);
	else if ((env = getenv("BRACE_JOURNAL")) != NULL && *env != '\0')
		w = snprintf(out, n, "%s", env);
	else if (access("/var/lib/brace", W_OK) == 0 ||
	    (access("/var/lib/brace", F_OK) < 0 && access("/var/lib", W_OK) == 0))
		w = snprintf(out, n, "/var/lib/brace/journal.db");
	else if ((env = getenv("XDG_STATE_HOME")) != NULL && *env == '/')
		w = snprintf(out, n, "%s/brace/journal.db", env);
	else if ((home = getenv("HOME")) != NULL && *home != '\0')
		w = snprintf(out, n, "%s/.local/state/brace/journal.db", home);
	else {
		err_set(err, "no journal path: set --journal, BRACE_JOURNAL or HOME");
		return -1;
	}
	if (w < 0 || (size_t)w >= n) {
		err_set(err, "journal path too long");
		return -1;
	}
	return 0;
}

int
journal_is_off(const char *path)
{
	struct stat st;

	if (path == NULL)
		return 0;
	if (strcasecmp(path, "off") == 0 || strcmp(path, "/dev/null") == 0)
		return 1;
	/* A device is never a journal: SQLite would create PATH-journal next to it. */
	return stat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode));
}

/* What went wrong, in words an operator acts on. */
static const char *
why(journal *j)
{
	int code = sq.sqlite3_extended_errcode(j->db);

	if ((code & 0xff) == SQLITE_FULL || sq.sqlite3_system_errno(j->db) == ENOSPC)
		return "no space left on device";
	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
		return "the journal is locked by another process";
	if ((code & 0xff) == SQLITE_READONLY)
		return "the journal is read-only here (attempt to write a readonly database)";
	if ((code & 0xff) == SQLITE_INTERRUPT)
		return "given up (the journal is busy)";
	return sq.sqlite3_errmsg(j->db);
}

/* SQLite's busy handler: wait in short steps until the call's deadline. */
static int
busy_wait(void *arg, int count)
{
	journal *j = arg;
	int64_t left = j->deadline_ms - clock_mono_ms();

	if (atomic_load(&j->give_up) || left <= 0)
		return 0;
	usleep((useconds_t)(count < 10 ? 1000 : left < 10 ? left * 1000 : 10000));
	return 1;
}

/* Start a call: take the handle and set its deadline. */
static void
call_begin(journal *j)
{
	pthread_mutex_lock(&j->lock);
	j->deadline_ms = clock_mono_ms() + j->budget_ms;
}

static void
call_end(journal *j)
{
	pthread_mutex_unlock(&j->lock);
}

static int
exec_sql(journal *j, const char *sql, char *err)
{
	char *msg = NULL;

	if (sq.sqlite3_exec(j->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(err, "journal %s: %s", j->path, why(j));
		sq.sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
query_int(journal *j, const char *sql, int *out, char *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sq.sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
		err_set(err, "journal %s: %s", j->path, why(j));
		return -1;
	}
	rc = sq.sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		err_set(err, "journal %s: %s", j->path, why(j));
		sq.sqlite3_finalize(st);
		return -1;
	}
	*out = sq.sqlite3_column_int(st, 0);
	sq.sqlite3_finalize(st);
	return 0;
}

static int
migrate(journal *j, char *err)
{
	int ver;

	if (query_int(j, "PRAGMA user_version", &ver, err) < 0)
		return -1;
	if (ver == JOURNAL_SCHEMA_VERSION)
		return 0;
	if (ver > JOURNAL_SCHEMA_VERSION) {
		err_set(err, "journal %s has schema version %d, newer than this brace "
		    "understands (%d): upgrade brace", j->path, ver, JOURNAL_SCHEMA_VERSION);
		return -1;
	}
	if (exec_sql(j, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	/* Another process may have migrated while we waited for the lock. */
	if (query_int(j, "PRAGMA user_version", &ver, err) < 0)
		goto fail;
	for (; ver < JOURNAL_SCHEMA_VERSION; ver++) {
		char sql[64];

		if (exec_sql(j, migrations[ver], err) < 0) {
			err_prefix(err, "migrating to schema %d", ver + 1);
			goto fail;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", ver + 1);
		if (exec_sql(j, sql, err) < 0)
			goto fail;
	}
	if (exec_sql(j, "COMMIT", err) < 0)
		goto fail;
	return 0;
fail:
	sq.sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int
set_wal(journal *j, char *err)
{
	sqlite3_stmt *st;
	int rc, tries;

	/* Switching needs a moment alone with the file; retry while others hold it. */
	for (tries = 0; tries == 0 || clock_mono_ms() < j->deadline_ms; tries++) {
		if (sq.sqlite3_prepare_v2(j->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK)
			break;
		rc = sq.sqlite3_step(st);
		sq.sqlite3_finalize(st);
		if (rc == SQLITE_ROW)
			return 0;
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			break;
		usleep(20000);
	}
	err_set(err, "journal %s: %s", j->path, why(j));
	return -1;
}

/* The handle, before the file is opened. */
static journal *
journal_new(const char *path, int64_t budget_ms, char *err)
{
	journal *j;

	if (strlen(path) >= sizeof(j->path)) {
		err_set(err, "journal path too long");
		return NULL;
	}
	if (dl_load(&sq_lib, err) < 0) {
		err_prefix(err, "journal %s", path);
		return NULL;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	snprintf(j->path, sizeof(j->path), "%s", path);
	if (gethostname(j->host, sizeof(j->host)) < 0)
		snprintf(j->host, sizeof(j->host), "localhost");
	j->host[sizeof(j->host) - 1] = '\0';
	pthread_mutex_init(&j->lock, NULL);
	j->budget_ms = budget_ms;
	atomic_init(&j->give_up, 0);
	return j;
}

/* The path to open (resolved when NULL), or NULL with err when it is off. */
static const char *
usable_path(const char *path, char resolved[PATH_MAX], char *err)
{
	if (path == NULL) {
		if (journal_resolve_path(NULL, resolved, PATH_MAX, err) < 0) {
			errno = 0;
			return NULL;
		}
		path = resolved;
	}
	if (journal_is_off(path)) {
		err_set(err, "the journal is off (%s)", path);
		errno = 0;
		return NULL;
	}
	return path;
}

static journal *
open_rw(const char *path, int64_t budget_ms, char *err)
{
	char resolved[PATH_MAX], dir[PATH_MAX];
	const char *slash, *env = getenv("BRACE_JOURNAL");
	int chosen = path != NULL || (env != NULL && *env != '\0');
	journal *j;

	if ((path = usable_path(path, resolved, err)) == NULL)
		return NULL;
	if ((slash = strrchr(path, '/')) != NULL && slash != path) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		if (mkdirs(dir, err) < 0) {
			err_prefix(err, "journal %s", path);
			return NULL;
		}
		/*
		 * Another user who can write there can replace what we record: the
		 * default directories must be ours (or root's); one an administrator
		 * named only must not be open to every user.
		 */
		if ((chosen ? path_check_chosen(dir, "journal directory", err) :
		    path_check_safe(dir, "journal directory", err)) < 0)
			return NULL;
	}
	if ((j = journal_new(path, budget_ms, err)) == NULL)
		return NULL;
	call_begin(j);
	if (sq.sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)
	    != SQLITE_OK) {
		err_set(err, "cannot open journal %s: %s", path,
		    j->db ? why(j) : "out of memory");
		goto fail;
	}
	sq.sqlite3_extended_result_codes(j->db, 1);
	sq.sqlite3_busy_handler(j->db, busy_wait, j);
	if (set_wal(j, err) < 0 || exec_sql(j, "PRAGMA synchronous=NORMAL", err) < 0 ||
	    migrate(j, err) < 0)
		goto fail;
	call_end(j);
	return j;
fail:
	call_end(j);
	journal_close(j);
	return NULL;
}

journal *
journal_open(const char *path, char *err)
{
	return open_rw(path, JOURNAL_WAIT_MS, err);
}

/*
 * A reader found an older schema: the queries it is about to run name
 * columns the file does not have yet. Migrations only add, so bring the file
 * up to date through a writing open when we may write it; otherwise say what
 * is wrong rather than fail later on a missing column.
 */
static journal *
reopen_migrated(journal *j, const char *path, int version, char *err)
{
	char copy[PATH_MAX];
	journal *w;

	snprintf(copy, sizeof(copy), "%s", path);
	journal_close(j);
	if (access(copy, W_OK) < 0) {
		err_set(err, "journal %s has schema version %d, older than this brace's (%d), "
		    "and it is read-only here: run a writing command on it once (brace journal "
		    "note) where it can be written", copy, version, JOURNAL_SCHEMA_VERSION);
		errno = 0;
		return NULL;
	}
	if ((w = journal_open(copy, err)) == NULL)
		return NULL;
	journal_close(w);
	return journal_open_readonly(copy, err);
}

journal *
journal_open_readonly(const char *path, char *err)
{
	char resolved[PATH_MAX], uri[PATH_MAX + 32];
	int rc, version;
	journal *j;

	if ((path = usable_path(path, resolved, err)) == NULL)
		return NULL;
	if (access(path, F_OK) < 0) {
		int e = errno;

		err_set(err, "cannot open journal %s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	if ((j = journal_new(path, JOURNAL_WAIT_MS, err)) == NULL)
		return NULL;
	call_begin(j);
	rc = sq.sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK) {
		sq.sqlite3_extended_result_codes(j->db, 1);
		sq.sqlite3_busy_handler(j->db, busy_wait, j);
		/* A WAL journal in a directory we cannot write needs its -shm file: */
		rc = sq.sqlite3_exec(j->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY) {
		/* without one, read the file as it is (nobody can be writing it anyway). */
		sq.sqlite3_close(j->db);
		j->db = NULL;
		snprintf(uri, sizeof(uri), "file:%s?immutable=1", path);
		rc = sq.sqlite3_open_v2(uri, &j->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
		if (rc == SQLITE_OK)
			sq.sqlite3_busy_handler(j->db, busy_wait, j);
	}
	if (rc != SQLITE_OK) {
		err_set(err, "cannot open journal %s: %s", path, j->db ? why(j) : "out of memory");
		goto fail;
	}
	/*
	 * A file another process is creating (or migrating from nothing) has no
	 * tables yet in the snapshot we read: nothing is recorded in it yet.
	 */
	if (query_int(j, "PRAGMA user_version", &version, err) < 0)
		goto fail;
	if (version == 0) {
		err_set(err, "journal %s: nothing recorded yet", path);
		call_end(j);
		journal_close(j);
		errno = ENOENT;
		return NULL;
	}
	if (version > JOURNAL_SCHEMA_VERSION) {
		err_set(err, "journal %s has schema version %d, newer than this brace "
		    "understands (%d): upgrade brace", path, version, JOURNAL_SCHEMA_VERSION);
		goto fail;
	}
	call_end(j);
	if (version < JOURNAL_SCHEMA_VERSION)
		return reopen_migrated(j, path, version, err);
	return j;
fail:
	call_end(j);
	journal_close(j);
	errno = 0;
	return NULL;
}

journal *
journal_open_or_warn(const char *path)
{
	char err[ERR_LEN], resolved[PATH_MAX];
	journal *j;

	if (path == NULL && journal_resolve_path(NULL, resolved, sizeof(resolved), NULL) == 0)
		path = resolved;
	if (journal_is_off(path))
		return NULL;    /* turned off on purpose: nothing to say */
	if ((j = open_rw(path, JOURNAL_SERVICE_WAIT_MS, err)) == NULL) {
		log_warn("%s; carrying on without recording events", err);
		return NULL;
	}
	j->service = 1;
	return j;
}

void
journal_abandon(journal *j)
{
	if (j == NULL)
		return;
	atomic_store(&j->give_up, 1);
	sq.sqlite3_interrupt(j->db);
}

int64_t
journal_dropped(journal *j)
{
	int64_t n;

	if (j == NULL)
		return 0;
	pthread_mutex_lock(&j->lock);
	n = j->dropped;
	pthread_mutex_unlock(&j->lock);
	return n;
}

void
journal_close(journal *j)
{
	unsigned long long held;

	if (j == NULL)
		return;
	if (j->service && j->dropped > 0 &&
	    ((held = log_limit_take_held(&warn_busy) + log_limit_take_held(&warn_other)) > 0))
		log_warn("journal %s: %llu more records could not be recorded (%lld in all)",
		    j->path, held, (long long)j->dropped);
	sq.sqlite3_finalize(j->ins_event);
	sq.sqlite3_finalize(j->ins_sample);
	sq.sqlite3_close(j->db);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

const char *
journal_path(const journal *j)
{
	return j->path;
}

int
journal_schema_version(journal *j)
{
	int v = -1;

	call_begin(j);
	query_int(j, "PRAGMA user_version", &v, NULL);
	call_end(j);
	return v;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sq.sqlite3_bind_null(st, i);
	else
		sq.sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* Prepare once per handle, reset between uses. */
static sqlite3_stmt *
cached_stmt(journal *j, sqlite3_stmt **slot, const char *sql, char *err)
{
	if (*slot == NULL &&
	    sq.sqlite3_prepare_v2(j->db, sql, -1, slot, NULL) != SQLITE_OK) {
		err_set(err, "journal %s: %s", j->path, why(j));
		return NULL;
	}
	sq.sqlite3_reset(*slot);
	sq.sqlite3_clear_bindings(*slot);
	return *slot;
}

static int
step_done(journal *j, sqlite3_stmt *st, char *err)
{
	int rc = sq.sqlite3_step(st);

	sq.sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		err_set(err, "cannot write to journal %s: %s", j->path, why(j));
		return -1;
	}
	return 0;
}

static int
add_event(journal *j, const struct journal_event *ev, char *err)
{
	/* Details must be JSON; text that is not is kept, as a JSON string. */
	static const char sql[] =
	    "INSERT INTO events(ts, host, source, kind, severity, subject, message, details) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	    "CASE WHEN ?8 IS NULL THEN NULL WHEN json_valid(?8) THEN json(?8) "
	    "ELSE json_quote(?8) END)";
	sqlite3_stmt *st = cached_stmt(j, &j->ins_event, sql, err);

	if (st == NULL)
		return -1;
	sq.sqlite3_bind_int64(st, 1, ev->ts_ms ? ev->ts_ms : clock_now_ms());
	bind_text(st, 2, ev->host ? ev->host : j->host);
	bind_text(st, 3, ev->source ? ev->source : "brace");
	bind_text(st, 4, ev->kind ? ev->kind : "event");
	bind_text(st, 5, ev->severity ? ev->severity : "info");
	bind_text(st, 6, ev->subject);
	bind_text(st, 7, ev->message);
	bind_text(st, 8, ev->details);
	return step_done(j, st, err);
}

static int
add_sample(journal *j, const struct journal_sample *s, char *err)
{
	static const char sql[] =
	    "INSERT INTO samples(ts, source, series, labels, value, host) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *st = cached_stmt(j, &j->ins_sample, sql, err);

	if (st == NULL)
		return -1;
	sq.sqlite3_bind_int64(st, 1, s->ts_ms ? s->ts_ms : clock_now_ms());
	bind_text(st, 2, s->source ? s->source : "brace");
	bind_text(st, 3, s->series);
	bind_text(st, 4, s->labels);
	sq.sqlite3_bind_double(st, 5, s->value);
	bind_text(st, 6, s->host ? s->host : j->host);
	return step_done(j, st, err);
}

int
journal_add(journal *j, const struct journal_event *ev, char *err)
{
	int rc;

	call_begin(j);
	rc = add_event(j, ev, err);
	call_end(j);
	return rc;
}

int
journal_add_sample(journal *j, const struct journal_sample *s, char *err)
{
	int rc;

	call_begin(j);
	rc = add_sample(j, s, err);
	call_end(j);
	return rc;
}

/*
 * A record a service writer could not write: counted, and said at most
 * once a minute per cause, with how many were held back meanwhile.
 */
static void
dropped(journal *j, const char *what, const char *err)
{
	int busy = strstr(err, "locked by another process") != NULL ||
	    strstr(err, "given up") != NULL;

	pthread_mutex_lock(&j->lock);
	j->dropped++;
	pthread_mutex_unlock(&j->lock);
	log_limited(busy ? &warn_busy : &warn_other, LOG_LVL_WARN,
	    "%s; %s not recorded, carrying on", err, what);
}

void
journal_record(journal *j, const struct journal_event *ev)
{
	char err[ERR_LEN];

	if (j == NULL || journal_add(j, ev, err) == 0)
		return;
	dropped(j, "an event was", err);
}

void
journal_record_sample(journal *j, const struct journal_sample *s)
{
	char err[ERR_LEN];

	if (j == NULL || journal_add_sample(j, s, err) == 0)
		return;
	dropped(j, "a sample was", err);
}

/*
 * Build "WHERE ..." for a filter. Parameters are bound by name so the same
 * text serves events and samples.
 */
static void
filter_sql(const struct journal_filter *f, const char *cols, const char *table,
    int samples, char *sql, size_t n)
{
	int w = snprintf(sql, n, "SELECT %s FROM %s WHERE 1", cols, table);

	if (f->since_ms)
		w += snprintf(sql + w, n - (size_t)w, " AND ts >= :since");
	if (f->until_ms)
		w += snprintf(sql + w, n - (size_t)w, " AND ts < :until");
	if (f->source)
		w += snprintf(sql + w, n - (size_t)w, " AND source = :source");
	if (!samples && f->kind)
		w += snprintf(sql + w, n - (size_t)w, " AND kind = :kind");
	if (!samples && f->subject)
		w += snprintf(sql + w, n - (size_t)w, " AND subject = :subject");
	if (samples && f->series)
		w += snprintf(sql + w, n - (size_t)w, " AND series = :series");
	if (f->limit > 0)
		snprintf(sql + w, n - (size_t)w,
		    " ORDER BY ts DESC, id DESC LIMIT :limit");
	else
		snprintf(sql + w, n - (size_t)w, " ORDER BY ts, id");
}

static void
bind_named_text(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sq.sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sq.sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void
bind_named_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sq.sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sq.sqlite3_bind_int64(st, i, v);
}

static sqlite3_stmt *
prepare_filter(journal *j, const struct journal_filter *f, const char *cols,
    const char *table, int samples, char *err)
{
	char inner[1024], sql[1200];
	sqlite3_stmt *st;

	filter_sql(f, cols, table, samples, inner, sizeof(inner));
	/* "The newest N" is selected newest first, then put back in time order. */
	if (f->limit > 0)
		snprintf(sql, sizeof(sql), "SELECT * FROM (%s) ORDER BY ts, id", inner);
	else
		snprintf(sql, sizeof(sql), "%s", inner);
	if (sq.sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
		err_set(err, "cannot read journal %s: %s", j->path, why(j));
		return NULL;
	}
	bind_named_int(st, ":since", f->since_ms);
	bind_named_int(st, ":until", f->until_ms);
	bind_named_int(st, ":limit", f->limit);
	bind_named_text(st, ":source", f->source);
	bind_named_text(st, ":kind", f->kind);
	bind_named_text(st, ":subject", f->subject);
	bind_named_text(st, ":series", f->series);
	return st;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sq.sqlite3_column_text(st, i);
}

int
journal_each(journal *j, const struct journal_filter *f,
    int (*cb)(const struct journal_event *ev, void *arg), void *arg, char *err)
{
	int rc;

	call_begin(j);
	rc = each_event(j, f, cb, arg, err);
	call_end(j);
	return rc;
}

/*
 * Step st to its end, handing each row to row(st, ctx) (non-zero stops
 * early), then finalize it: 0, or -1 with err on a read error.
 */
static int
each_row(journal *j, sqlite3_stmt *st, int (*row)(sqlite3_stmt *st, void *ctx), void *ctx,
    char *err)
{
	int rc;

	while ((rc = sq.sqlite3_step(st)) == SQLITE_ROW) {
		if (row(st, ctx) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		err_set(err, "cannot read journal %s: %s", j->path, why(j));
	sq.sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

struct event_cb {
	int (*cb)(const struct journal_event *ev, void *arg);
	void *arg;
};

static int
event_row(sqlite3_stmt *st, void *ctx)
{
	const struct event_cb *e = ctx;
	struct journal_event ev = {
		.id = sq.sqlite3_column_int64(st, 0),
		.ts_ms = sq.sqlite3_column_int64(st, 1),
		.host = col_text(st, 2),
		.source = col_text(st, 3),
		.kind = col_text(st, 4),
		.severity = col_text(st, 5),
		.subject = col_text(st, 6),
		.message = col_text(st, 7),
		.details = col_text(st, 8),
	};

	return e->cb(&ev, e->arg);
}

static int
each_event(journal *j, const struct journal_filter *f,
    int (*cb)(const struct journal_event *ev, void *arg), void *arg, char *err)
{
	sqlite3_stmt *st = prepare_filter(j, f,
	    "id, ts, host, source, kind, severity, subject, message, details",
	    "events", 0, err);
	struct event_cb e = { cb, arg };

	return st == NULL ? -1 : each_row(j, st, event_row, &e, err);
}

int
journal_each_sample(journal *j, const struct journal_filter *f,
    int (*cb)(const struct journal_sample *s, void *arg), void *arg, char *err)
{
	int rc;

	call_begin(j);
	rc = each_sample(j, f, cb, arg, err);
	call_end(j);
	return rc;
}

struct sample_cb {
	int (*cb)(const struct journal_sample *s, void *arg);
	void *arg;
};

static int
sample_row(sqlite3_stmt *st, void *ctx)
{
	const struct sample_cb *e = ctx;
	struct journal_sample s = {
		.ts_ms = sq.sqlite3_column_int64(st, 1),
		.source = col_text(st, 2),
		.series = col_text(st, 3),
		.labels = col_text(st, 4),
		.value = sq.sqlite3_column_double(st, 5),
		.host = col_text(st, 6),
	};

	return e->cb(&s, e->arg);
}

static int
each_sample(journal *j, const struct journal_filter *f,
    int (*cb)(const struct journal_sample *s, void *arg), void *arg, char *err)
{
	sqlite3_stmt *st = prepare_filter(j, f, "id, ts, source, series, labels, value, host",
	    "samples", 1, err);
	struct sample_cb e = { cb, arg };

	return st == NULL ? -1 : each_row(j, st, sample_row, &e, err);
}

static int
count_before(journal *j, const char *table, int64_t before_ms, int64_t *count, char *err)
{
	char sql[96];
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE ts < ?1", table);
	if (sq.sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
		err_set(err, "journal %s: %s", j->path, why(j));
		return -1;
	}
	sq.sqlite3_bind_int64(st, 1, before_ms);
	if (sq.sqlite3_step(st) != SQLITE_ROW) {
		err_set(err, "cannot read journal %s: %s", j->path, why(j));
		sq.sqlite3_finalize(st);
		return -1;
	}
	*count = sq.sqlite3_column_int64(st, 0);
	sq.sqlite3_finalize(st);
	return 0;
}

int
journal_count_before(journal *j, int64_t before_ms, int64_t *events, int64_t *samples,
    char *err)
{
	int rc;

	call_begin(j);
	rc = count_before(j, "events", before_ms, events, err) < 0 ||
	    count_before(j, "samples", before_ms, samples, err) < 0 ? -1 : 0;
	call_end(j);
	return rc;
}

/*
 * Delete in batches, each its own short transaction, so that the writers
 * of running services (whose wait is short) get in between.
 */
static int
delete_before(journal *j, const char *table, int64_t before_ms, int64_t *count, char *err)
{
	char sql[160];
	sqlite3_stmt *st;
	int64_t n;

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id IN "
	    "(SELECT id FROM %s WHERE ts < ?1 LIMIT %d)", table, table, PRUNE_BATCH);
	if (sq.sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
		err_set(err, "journal %s: %s", j->path, why(j));
		return -1;
	}
	*count = 0;
	do {
		j->deadline_ms = clock_mono_ms() + j->budget_ms;
		sq.sqlite3_reset(st);
		sq.sqlite3_bind_int64(st, 1, before_ms);
		if (sq.sqlite3_step(st) != SQLITE_DONE) {
			err_set(err, "cannot prune journal %s: %s", j->path, why(j));
			sq.sqlite3_finalize(st);
			return -1;
		}
		n = sq.sqlite3_changes64(j->db);
		*count += n;
	} while (n == PRUNE_BATCH);
	sq.sqlite3_finalize(st);
	return 0;
}

int
journal_prune(journal *j, int64_t before_ms, int64_t *events, int64_t *samples, char *err)
{
	int rc = -1;

	call_begin(j);
	if (delete_before(j, "events", before_ms, events, err) < 0 ||
	    delete_before(j, "samples", before_ms, samples, err) < 0)
		goto out;
	/* Give the space back to the file system without blocking writers long. */
	sq.sqlite3_exec(j->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	rc = 0;
out:
	call_end(j);
	return rc;
}

int
journal_event_json(struct buf *b, const struct journal_event *ev)
{
	char ts[CLOCK_FMT_LEN];
	int first = 1;

	clock_fmt_utc(ev->ts_ms, ts, sizeof(ts));
	buf_putc(b, '{');
	json_key(b, &first, "id");
	json_int(b, ev->id);
	json_key(b, &first, "time");
	json_str(b, ts);
	json_key(b, &first, "ts_ms");
	json_int(b, ev->ts_ms);
	json_key(b, &first, "host");
	json_str(b, ev->host);
	json_key(b, &first, "source");
	json_str(b, ev->source);
	json_key(b, &first, "kind");
	json_str(b, ev->kind);
	json_key(b, &first, "severity");
	json_str(b, ev->severity);
	json_key(b, &first, "subject");
	json_str(b, ev->subject);
	json_key(b, &first, "message");
	json_str(b, ev->message);
	json_key(b, &first, "details");
	/* Stored details are valid JSON (journal_add guarantees it). */
	buf_puts(b, ev->details ? ev->details : "null");
	return buf_puts(b, "}\n");
}

int
journal_print_json_line(struct journal_printer *pr, const struct buf *json)
{
	const struct buf *out = &pr->line;

	buf_reset(&pr->line);
	/* A line too long to colour within the cap is printed plain. */
	if (term_json(&pr->line, buf_str(json), json->len, pr->color) < 0)
		out = json;
	return fwrite(buf_str(out), 1, out->len, stdout) == out->len ? 0 : 1;
}

struct buf *
journal_print_begin(struct journal_printer *pr, int64_t ts_ms)
{
	char ts[CLOCK_FMT_LEN];

	buf_reset(&pr->line);
	clock_fmt_local(ts_ms, ts, sizeof(ts));
	buf_printf(&pr->line, "%s  ", ts);
	return &pr->line;
}

int
journal_print_end(struct journal_printer *pr)
{
	const struct buf *b = &pr->line;

	return fwrite(buf_str(b), 1, b->len, stdout) == b->len ? 0 : 1;
}

int
journal_print_event_json(const struct journal_event *ev, void *arg)
{
	struct journal_printer *pr = arg;
	struct buf json = BUF_INIT(pr->line.max);
	int rc;

	journal_event_json(&json, ev);
	rc = journal_print_json_line(pr, &json);
	buf_release(&json);
	return rc;
}
