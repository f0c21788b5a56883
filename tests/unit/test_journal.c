/*
 * test_journal.c - the journal: writes, reads, migrations from older schemas.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "unit.h"
#include "core/buf.h"
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

static void
version_1_journal_is_migrated_and_keeps_rows(void **state)
{
	char path[256], err[ERR_LEN];
	struct collected c = { 0 };
	struct journal_filter f = { 0 };
	sqlite3 *db;
	journal *j;

	/* Build a journal the way schema version 1 left it. */
	unit_tmpdir_path(path, sizeof(path), "v1.db");
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_journal_has_latest_schema_and_round_trips),
		cmocka_unit_test(version_1_journal_is_migrated_and_keeps_rows),
		cmocka_unit_test(newer_schema_is_refused_with_reason),
		cmocka_unit_test(corrupt_file_is_an_error_not_a_crash),
		cmocka_unit_test(filters_select_by_kind_time_and_limit),
		cmocka_unit_test(event_json_line_has_every_field_and_nested_details),
	};

	return cmocka_run_group_tests_name("journal", tests, unit_tmpdir_setup, unit_tmpdir_teardown);
}
