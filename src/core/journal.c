/*
 * journal.c - see journal.h.
 *
 * Concurrency: every writer is its own short transaction; SQLite's WAL mode
 * lets readers go on while one writer writes, and the busy timeout makes
 * concurrent writers (fifty cron jobs finishing in the same second) queue
 * instead of failing. Creating and migrating the schema happens inside a
 * BEGIN IMMEDIATE transaction that re-reads the version, so two processes
 * opening a new file at once cannot both migrate it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/journal.h"
#include "core/json.h"
#include "core/term.h"
#include "core/log.h"

#define BUSY_TIMEOUT_MS 15000

struct journal {
	sqlite3 *db;
	char path[PATH_MAX];
	char host[256];
	sqlite3_stmt *ins_event;
	sqlite3_stmt *ins_sample;
	int warned;
};

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

static int
exec_sql(journal *j, const char *sql, char *err)
{
	char *msg = NULL;

	if (sqlite3_exec(j->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(err, "journal %s: %s", j->path, msg ? msg : sqlite3_errmsg(j->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
query_int(journal *j, const char *sql, int *out, char *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
		err_set(err, "journal %s: %s", j->path, sqlite3_errmsg(j->db));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		err_set(err, "journal %s: %s", j->path, sqlite3_errmsg(j->db));
		sqlite3_finalize(st);
		return -1;
	}
	*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
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
	sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int
set_wal(journal *j, char *err)
{
	sqlite3_stmt *st;
	int rc, tries;

	/* Switching needs a moment alone with the file; retry if others hold it. */
	for (tries = 0; tries < 50; tries++) {
		if (sqlite3_prepare_v2(j->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK)
			break;
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_ROW)
			return 0;
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			break;
		usleep(20000);
	}
	err_set(err, "journal %s: %s", j->path, sqlite3_errmsg(j->db));
	return -1;
}

journal *
journal_open(const char *path, char *err)
{
	char resolved[PATH_MAX], dir[PATH_MAX];
	const char *slash;
	journal *j;

	if (path == NULL) {
		if (journal_resolve_path(NULL, resolved, sizeof(resolved), err) < 0)
			return NULL;
		path = resolved;
	}
	if (strlen(path) >= sizeof(j->path)) {
		err_set(err, "journal path too long");
		return NULL;
	}
	if ((slash = strrchr(path, '/')) != NULL && slash != path) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		if (mkdirs(dir, err) < 0) {
			err_prefix(err, "journal %s", path);
			return NULL;
		}
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	snprintf(j->path, sizeof(j->path), "%s", path);
	if (gethostname(j->host, sizeof(j->host)) < 0)
		snprintf(j->host, sizeof(j->host), "localhost");
	j->host[sizeof(j->host) - 1] = '\0';

	if (sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)
	    != SQLITE_OK) {
		err_set(err, "cannot open journal %s: %s", path,
		    j->db ? sqlite3_errmsg(j->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(j->db, BUSY_TIMEOUT_MS);
	if (set_wal(j, err) < 0 || exec_sql(j, "PRAGMA synchronous=NORMAL", err) < 0 ||
	    migrate(j, err) < 0)
		goto fail;
	return j;
fail:
	journal_close(j);
	return NULL;
}

journal *
journal_open_or_warn(const char *path)
{
	char err[ERR_LEN];
	journal *j = journal_open(path, err);

	if (j == NULL)
		log_warn("%s; carrying on without recording events", err);
	return j;
}

void
journal_close(journal *j)
{
	if (j == NULL)
		return;
	sqlite3_finalize(j->ins_event);
	sqlite3_finalize(j->ins_sample);
	sqlite3_close(j->db);
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

	query_int(j, "PRAGMA user_version", &v, NULL);
	return v;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* Prepare once per handle, reset between uses. */
static sqlite3_stmt *
cached_stmt(journal *j, sqlite3_stmt **slot, const char *sql, char *err)
{
	if (*slot == NULL &&
	    sqlite3_prepare_v2(j->db, sql, -1, slot, NULL) != SQLITE_OK) {
		err_set(err, "journal %s: %s", j->path, sqlite3_errmsg(j->db));
		return NULL;
	}
	sqlite3_reset(*slot);
	sqlite3_clear_bindings(*slot);
	return *slot;
}

static int
step_done(journal *j, sqlite3_stmt *st, char *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		err_set(err, "cannot write to journal %s: %s", j->path, sqlite3_errmsg(j->db));
		return -1;
	}
	return 0;
}

int
journal_add(journal *j, const struct journal_event *ev, char *err)
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
	sqlite3_bind_int64(st, 1, ev->ts_ms ? ev->ts_ms : clock_now_ms());
	bind_text(st, 2, ev->host ? ev->host : j->host);
	bind_text(st, 3, ev->source ? ev->source : "brace");
	bind_text(st, 4, ev->kind ? ev->kind : "event");
	bind_text(st, 5, ev->severity ? ev->severity : "info");
	bind_text(st, 6, ev->subject);
	bind_text(st, 7, ev->message);
	bind_text(st, 8, ev->details);
	return step_done(j, st, err);
}

int
journal_add_sample(journal *j, const struct journal_sample *s, char *err)
{
	static const char sql[] =
	    "INSERT INTO samples(ts, source, series, labels, value, host) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *st = cached_stmt(j, &j->ins_sample, sql, err);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, s->ts_ms ? s->ts_ms : clock_now_ms());
	bind_text(st, 2, s->source ? s->source : "brace");
	bind_text(st, 3, s->series);
	bind_text(st, 4, s->labels);
	sqlite3_bind_double(st, 5, s->value);
	bind_text(st, 6, s->host ? s->host : j->host);
	return step_done(j, st, err);
}

void
journal_record(journal *j, const struct journal_event *ev)
{
	char err[ERR_LEN];

	if (j == NULL || journal_add(j, ev, err) == 0)
		return;
	if (!j->warned)
		log_warn("%s; carrying on without recording events", err);
	j->warned = 1;
}

void
journal_record_sample(journal *j, const struct journal_sample *s)
{
	char err[ERR_LEN];

	if (j == NULL || journal_add_sample(j, s, err) == 0)
		return;
	if (!j->warned)
		log_warn("%s; carrying on without recording samples", err);
	j->warned = 1;
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
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void
bind_named_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, v);
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
	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
		err_set(err, "cannot read journal %s: %s", j->path, sqlite3_errmsg(j->db));
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
	return (const char *)sqlite3_column_text(st, i);
}

int
journal_each(journal *j, const struct journal_filter *f,
    int (*cb)(const struct journal_event *ev, void *arg), void *arg, char *err)
{
	sqlite3_stmt *st = prepare_filter(j, f,
	    "id, ts, host, source, kind, severity, subject, message, details",
	    "events", 0, err);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct journal_event ev = {
			.id = sqlite3_column_int64(st, 0),
			.ts_ms = sqlite3_column_int64(st, 1),
			.host = col_text(st, 2),
			.source = col_text(st, 3),
			.kind = col_text(st, 4),
			.severity = col_text(st, 5),
			.subject = col_text(st, 6),
			.message = col_text(st, 7),
			.details = col_text(st, 8),
		};

		if (cb(&ev, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		err_set(err, "cannot read journal %s: %s", j->path, sqlite3_errmsg(j->db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
journal_each_sample(journal *j, const struct journal_filter *f,
    int (*cb)(const struct journal_sample *s, void *arg), void *arg, char *err)
{
	sqlite3_stmt *st = prepare_filter(j, f, "id, ts, source, series, labels, value, host",
	    "samples", 1, err);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct journal_sample s = {
			.ts_ms = sqlite3_column_int64(st, 1),
			.source = col_text(st, 2),
			.series = col_text(st, 3),
			.labels = col_text(st, 4),
			.value = sqlite3_column_double(st, 5),
			.host = col_text(st, 6),
		};

		if (cb(&s, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		err_set(err, "cannot read journal %s: %s", j->path, sqlite3_errmsg(j->db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
delete_before(journal *j, const char *table, int64_t before_ms, int64_t *count, char *err)
{
	char sql[96];
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE ts < ?1", table);
	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
		err_set(err, "journal %s: %s", j->path, sqlite3_errmsg(j->db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, before_ms);
	if (sqlite3_step(st) != SQLITE_DONE) {
		err_set(err, "cannot prune journal %s: %s", j->path, sqlite3_errmsg(j->db));
		sqlite3_finalize(st);
		return -1;
	}
	*count = sqlite3_changes64(j->db);
	sqlite3_finalize(st);
	return 0;
}

int
journal_prune(journal *j, int64_t before_ms, int64_t *events, int64_t *samples, char *err)
{
	if (exec_sql(j, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if (delete_before(j, "events", before_ms, events, err) < 0 ||
	    delete_before(j, "samples", before_ms, samples, err) < 0) {
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (exec_sql(j, "COMMIT", err) < 0)
		return -1;
	/* Give the space back to the file system without blocking writers long. */
	sqlite3_exec(j->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	return 0;
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
