/*
 * test_journal.c - the journal: writes, reads, migrations from older schemas.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "unit.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/journal.h"


struct collected {
	int n;
	char msgs[8][64];
	char details[8][128];
};

static int
collect(const struct journal_event *ev, void *arg)
{
	struct collected *c = arg;

	if (c->n < 8) {
		snprintf(c->msgs[c->n], sizeof(c->msgs[0]), "%s", ev->message ? ev->message : "");
		snprintf(c->details[c->n], sizeof(c->details[0]), "%s",
		    ev->details ? ev->details : "");
	}
	c->n++;
	return 0;
}

static void
new_journal_has_latest_schema_and_round_trips(void **state)
{
	char path[256], err[ERR_LEN];
	struct collected c = { 0 };
	struct journal_filter f = { 0 };
	journal *j;

	unit_tmpdir_path(path, sizeof(path), "new.db");
	j = journal_open(path, err);
	assert_non_null(j);
	assert_int_equal(journal_schema_version(j), JOURNAL_SCHEMA_VERSION);
	struct journal_event ev = { .source = "test", .kind = "k", .message = "one",
	    .details = "{\"a\":1}" };
	assert_int_equal(journal_add(j, &ev, err), 0);
	ev.message = "two";
	ev.details = "not json";
	assert_int_equal(journal_add(j, &ev, err), 0);
	assert_int_equal(journal_each(j, &f, collect, &c, err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.msgs[0], "one");
	assert_string_equal(c.details[0], "{\"a\":1}");
	/* Text that is not JSON is kept as a JSON string. */
	assert_string_equal(c.details[1], "\"not json\"");
	journal_close(j);
}

/* Build a journal at path the way schema version 1 left it. */
static void
make_version_1_journal(const char *path)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "CREATE TABLE events (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
	    " host TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL,"
	    " severity TEXT NOT NULL, subject TEXT, message TEXT, details TEXT);"
	    "CREATE TABLE samples (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
	    " source TEXT NOT NULL, series TEXT NOT NULL, labels TEXT, value REAL NOT NULL);"
	    "INSERT INTO events VALUES (1, 1000, 'h', 'run', 'skip', 'warning', 'job',"
	    " 'from version 1', NULL);"
	    "INSERT INTO samples VALUES (1, 1000, 'conns', 'used', NULL, 5);"
	    "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
version_1_journal_is_migrated_and_keeps_rows(void **state)
{
	char path[256], err[ERR_LEN];
	struct collected c = { 0 };
	struct journal_filter f = { 0 };
	sqlite3 *db;
	journal *j;

	unit_tmpdir_path(path, sizeof(path), "v1.db");
	make_version_1_journal(path);
	j = journal_open(path, err);
	assert_non_null(j);
	assert_int_equal(journal_schema_version(j), JOURNAL_SCHEMA_VERSION);
	assert_int_equal(journal_each(j, &f, collect, &c, err), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.msgs[0], "from version 1");
	/* The version 2 column exists and new samples can be written. */
	struct journal_sample s = { .source = "conns", .series = "used", .value = 6 };
	assert_int_equal(journal_add_sample(j, &s, err), 0);
	journal_close(j);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db,
	    "SELECT count(*), sum(value) FROM samples", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2);
	assert_int_equal(sqlite3_column_int(st, 1), 11);
	sqlite3_finalize(st);
	sqlite3_close(db);
}


/* A reader given an older file it may write brings it up to date first, so
 * its queries find the columns they name; the rows are kept. */
static void
reader_of_an_older_writable_journal_migrates_it(void **state)
{
	char path[256], err[ERR_LEN];
	struct collected c = { 0 };
	struct journal_filter f = { 0 };
	journal *j;

	unit_tmpdir_path(path, sizeof(path), "v1-read.db");
	make_version_1_journal(path);
	j = journal_open_readonly(path, err);
	assert_non_null(j);
	assert_int_equal(journal_schema_version(j), JOURNAL_SCHEMA_VERSION);
	assert_int_equal(journal_each(j, &f, collect, &c, err), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.msgs[0], "from version 1");
	journal_close(j);
}

/* A file of a newer schema is refused by readers too, with the versions. */
static void
reader_refuses_a_newer_journal(void **state)
{
	char path[256], err[ERR_LEN];
	sqlite3 *db;

	unit_tmpdir_path(path, sizeof(path), "v99.db");
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x); PRAGMA user_version = 99;",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(journal_open_readonly(path, err));
	assert_non_null(strstr(err, "newer than this brace"));
}
static void
newer_schema_is_refused_with_reason(void **state)
{
	char path[256], err[ERR_LEN] = "";
	sqlite3 *db;

	unit_tmpdir_path(path, sizeof(path), "future.db");
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_null(journal_open(path, err));
	assert_non_null(strstr(err, "schema version 99"));
}

static void
corrupt_file_is_an_error_not_a_crash(void **state)
{
	char path[256], err[ERR_LEN] = "";
	FILE *f;

	unit_tmpdir_path(path, sizeof(path), "corrupt.db");
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("garbage garbage garbage\n", f);
	fclose(f);
	assert_null(journal_open(path, err));
	assert_non_null(strstr(err, path));
	/* The forgiving opener returns NULL, and recording into NULL is a no-op. */
	struct journal_event ev = { .message = "lost on purpose" };
	journal_record(NULL, &ev);
}

static void
filters_select_by_kind_time_and_limit(void **state)
{
	char path[256], err[ERR_LEN];
	struct journal_filter f = { 0 };
	struct collected c = { 0 };
	journal *j;

	unit_tmpdir_path(path, sizeof(path), "filter.db");
	j = journal_open(path, err);
	assert_non_null(j);
	for (int i = 1; i <= 5; i++) {
		char msg[16];

		snprintf(msg, sizeof(msg), "m%d", i);
		struct journal_event ev = { .ts_ms = i * 1000, .kind = i % 2 ? "odd" : "even",
		    .message = msg };
		assert_int_equal(journal_add(j, &ev, err), 0);
	}
	f.kind = "odd";
	assert_int_equal(journal_each(j, &f, collect, &c, err), 0);
	assert_int_equal(c.n, 3);
	memset(&c, 0, sizeof(c));
	memset(&f, 0, sizeof(f));
	f.since_ms = 2000;
	f.until_ms = 4000;
	assert_int_equal(journal_each(j, &f, collect, &c, err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.msgs[0], "m2");
	memset(&c, 0, sizeof(c));
	memset(&f, 0, sizeof(f));
	f.limit = 2;
	assert_int_equal(journal_each(j, &f, collect, &c, err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.msgs[0], "m4");
	assert_string_equal(c.msgs[1], "m5");

	int64_t ne, ns;
	assert_int_equal(journal_prune(j, 3000, &ne, &ns, err), 0);
	assert_int_equal(ne, 2);
	journal_close(j);
}

static void
event_json_line_has_every_field_and_nested_details(void **state)
{
	struct journal_event ev = {
		.id = 7, .ts_ms = 1000, .host = "web1", .source = "run", .kind = "skip",
		.severity = "info", .subject = "inv", .message = "a \"quoted\" word",
		.details = "{\"reason\":\"busy\"}",
	};
	struct journal_printer b = { BUF_INIT(4096), 0 };
	char path[256], line[512];
	int saved = dup(STDOUT_FILENO);
	FILE *f;

	unit_tmpdir_path(path, sizeof(path), "event.json");
	fflush(stdout);
	assert_non_null(freopen(path, "w", stdout));
	assert_int_equal(journal_print_event_json(&ev, &b), 0);
	ev.details = NULL;
	assert_int_equal(journal_print_event_json(&ev, &b), 0);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	f = fopen(path, "r");
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "{\"id\":7,\"time\":\"1970-01-01T00:00:01.000Z\",\"ts_ms\":1000,"
	    "\"host\":\"web1\",\"source\":\"run\",\"kind\":\"skip\",\"severity\":\"info\","
	    "\"subject\":\"inv\",\"message\":\"a \\\"quoted\\\" word\","
	    "\"details\":{\"reason\":\"busy\"}}\n");
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, "\"details\":null}\n"));
	fclose(f);
	buf_release(&b.line);
}

static void
off_journal_opens_nothing_and_creates_no_file(void **state)
{
	char err[ERR_LEN];

	assert_true(journal_is_off("off"));
	assert_true(journal_is_off("OFF"));
	assert_true(journal_is_off("/dev/null"));
	assert_true(journal_is_off("/dev/zero"));
	assert_false(journal_is_off("/tmp/x.db"));
	assert_null(journal_open_or_warn("off"));
	assert_null(journal_open_or_warn("/dev/null"));
	assert_null(journal_open("/dev/null", err));
	assert_non_null(strstr(err, "the journal is off"));
	assert_int_equal(access("/dev/null-journal", F_OK), -1);
	assert_int_equal(access("/dev/null-wal", F_OK), -1);
}

static void
readonly_open_reads_and_never_creates(void **state)
{
	char path[256], err[ERR_LEN];
	struct collected c = { 0 };
	struct journal_filter f = { 0 };
	journal *j;

	unit_tmpdir_path(path, sizeof(path), "ro.db");
	errno = 0;
	assert_null(journal_open_readonly(path, err));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(access(path, F_OK), -1);
	/* A file another process has only begun to create: nothing recorded yet either. */
	fclose(fopen(path, "w"));
	errno = 0;
	assert_null(journal_open_readonly(path, err));
	assert_int_equal(errno, ENOENT);
	j = journal_open(path, err);
	struct journal_event ev = { .source = "test", .kind = "k", .message = "kept" };
	assert_int_equal(journal_add(j, &ev, err), 0);
	journal_close(j);
	j = journal_open_readonly(path, err);
	assert_non_null(j);
	assert_int_equal(journal_each(j, &f, collect, &c, err), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(journal_add(j, &ev, err), -1);
	assert_non_null(strstr(err, "read-only"));
	journal_close(j);
}

static void
prune_counts_first_and_deletes_in_batches(void **state)
{
	char path[256], err[ERR_LEN];
	int64_t ev_n = 0, s_n = 0;
	journal *j;

	unit_tmpdir_path(path, sizeof(path), "prune.db");
	j = journal_open(path, err);
	for (int i = 0; i < 12000; i++) {
		struct journal_sample s = { .ts_ms = 1000 + i, .source = "t", .series = "x",
		    .value = i };

		assert_int_equal(journal_add_sample(j, &s, err), 0);
	}
	struct journal_event ev = { .ts_ms = 500, .source = "t", .kind = "old" };
	assert_int_equal(journal_add(j, &ev, err), 0);
	ev.ts_ms = 99999999;
	assert_int_equal(journal_add(j, &ev, err), 0);
	assert_int_equal(journal_count_before(j, 11000, &ev_n, &s_n, err), 0);
	assert_int_equal(ev_n, 1);
	assert_int_equal(s_n, 10000);
	assert_int_equal(journal_prune(j, 11000, &ev_n, &s_n, err), 0);
	assert_int_equal(ev_n, 1);
	assert_int_equal(s_n, 10000);
	assert_int_equal(journal_count_before(j, 99999999999LL, &ev_n, &s_n, err), 0);
	assert_int_equal(ev_n, 1);
	assert_int_equal(s_n, 2000);
	journal_close(j);
}

static void
a_locked_journal_delays_a_service_writer_a_moment_only(void **state)
{
	char path[256], err[ERR_LEN];
	sqlite3 *db;
	journal *j, *setup_j;
	int64_t t0;

	unit_tmpdir_path(path, sizeof(path), "locked.db");
	setup_j = journal_open(path, err);
	journal_close(setup_j);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	t0 = clock_mono_ms();
	j = journal_open_or_warn(path);
	assert_non_null(j);
	struct journal_event ev = { .source = "test", .kind = "k", .message = "dropped" };
	journal_record(j, &ev);
	journal_record(j, &ev);
	assert_int_equal(journal_dropped(j), 2);
	/* Generous: the point is that it is not the 15 s a person's command waits. */
	assert_true(clock_mono_ms() - t0 < 10 * JOURNAL_SERVICE_WAIT_MS + 5000);
	journal_close(j);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_journal_has_latest_schema_and_round_trips),
		cmocka_unit_test(version_1_journal_is_migrated_and_keeps_rows),
		cmocka_unit_test(reader_of_an_older_writable_journal_migrates_it),
		cmocka_unit_test(reader_refuses_a_newer_journal),
		cmocka_unit_test(newer_schema_is_refused_with_reason),
		cmocka_unit_test(corrupt_file_is_an_error_not_a_crash),
		cmocka_unit_test(filters_select_by_kind_time_and_limit),
		cmocka_unit_test(event_json_line_has_every_field_and_nested_details),
		cmocka_unit_test(off_journal_opens_nothing_and_creates_no_file),
		cmocka_unit_test(readonly_open_reads_and_never_creates),
		cmocka_unit_test(prune_counts_first_and_deletes_in_batches),
		cmocka_unit_test(a_locked_journal_delays_a_service_writer_a_moment_only),
	};

	return cmocka_run_group_tests_name("journal", tests, unit_tmpdir_setup, unit_tmpdir_teardown);
}
