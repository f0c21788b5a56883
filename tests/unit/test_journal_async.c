/*
 * test_journal_async.c - the journal writer thread: order, times taken at
 * enqueue, a bounded queue that drops rather than blocks, and the deadline
 * at stop.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "unit.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/journal.h"
#include "core/journal_async.h"

static char path[256];

static int
setup(void **state)
{
	if (unit_tmpdir_setup(state) < 0)
		return -1;
	unit_tmpdir_path(path, sizeof(path), "journal.db");
	return 0;
}

static int64_t
count(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static journal *
fresh_journal(void)
{
	char err[ERR_LEN];
	journal *j;

	unlink(path);
	j = journal_open(path, err);
	assert_non_null(j);
	return j;
}

static void
records_are_written_in_order(void **state)
{
	journal *j = fresh_journal();
	char err[ERR_LEN];
	journal_async *a = journal_async_start(j, 256, err);
	char msg[32];

	assert_non_null(a);
	for (int i = 0; i < 50; i++) {
		struct journal_sample s = { .source = "t", .series = "x", .value = i };

		snprintf(msg, sizeof(msg), "event %d", i);
		struct journal_event ev = { .source = "t", .kind = "k", .message = msg,
		    .details = "{\"i\":1}" };

		assert_int_equal(journal_async_sample(a, &s), 0);
		assert_int_equal(journal_async_event(a, &ev), 0);
	}
	assert_int_equal(journal_async_stop(a, 60000), 0);
	journal_close(j);
	assert_int_equal(count("SELECT count(*) FROM samples"), 50);
	assert_int_equal(count("SELECT count(*) FROM events"), 50);
	/* In order: the ids follow the values. */
	assert_int_equal(count("SELECT count(*) FROM samples a JOIN samples b"
	    " ON b.id > a.id AND b.value < a.value"), 0);
	assert_int_equal(count("SELECT count(*) FROM events WHERE message = 'event 49'"
	    " AND id = (SELECT max(id) FROM events)"), 1);
}

static void
zero_time_is_taken_at_enqueue(void **state)
{
	journal *j = fresh_journal();
	char err[ERR_LEN];
	journal_async *a = journal_async_start(j, 8, err);
	struct journal_sample s = { .source = "t", .series = "x", .value = 1 };
	int64_t before = clock_now_ms(), after;

	assert_int_equal(journal_async_sample(a, &s), 0);
	after = clock_now_ms();
	usleep(50000);
	journal_async_stop(a, 60000);
	journal_close(j);
	assert_true(count("SELECT min(ts) FROM samples") >= before);
	assert_true(count("SELECT max(ts) FROM samples") <= after);
}

/* Another process-like connection holding the write lock for a while. */
struct blocker {
	sqlite3 *db;
	int release_after_ms;
};

static void *
release_later(void *arg)
{
	struct blocker *b = arg;

	usleep((useconds_t)b->release_after_ms * 1000);
	sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL);
	return NULL;
}

static void
lock_journal(struct blocker *b)
{
	assert_int_equal(sqlite3_open(path, &b->db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(b->db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
}

static void
full_queue_drops_instead_of_blocking(void **state)
{
	journal *j = fresh_journal();
	char err[ERR_LEN];
	struct blocker b = { 0 };
	journal_async *a;
	int failed = 0;

	lock_journal(&b);
	a = journal_async_start(j, 2, err);
	for (int i = 0; i < 10; i++) {
		struct journal_sample s = { .source = "t", .series = "x", .value = i };

		if (journal_async_sample(a, &s) < 0)
			failed++;
	}
	/* At most the queue's two and the one being written got through. */
	assert_true(failed >= 7);
	sqlite3_exec(b.db, "COMMIT", NULL, NULL, NULL);
	assert_int_equal(journal_async_stop(a, 60000), failed);
	journal_close(j);
	sqlite3_close(b.db);
	assert_int_equal(count("SELECT count(*) FROM samples"), 10 - failed);
}

static void
stop_deadline_counts_what_was_left(void **state)
{
	journal *j = fresh_journal();
	char err[ERR_LEN];
	struct blocker b = { .release_after_ms = 200 };
	pthread_t t;
	journal_async *a;
	int64_t dropped;

	lock_journal(&b);
	a = journal_async_start(j, 8, err);
	for (int i = 0; i < 5; i++) {
		struct journal_sample s = { .source = "t", .series = "x", .value = i };

		assert_int_equal(journal_async_sample(a, &s), 0);
	}
	assert_int_equal(pthread_create(&t, NULL, release_later, &b), 0);
	dropped = journal_async_stop(a, 0);
	pthread_join(t, NULL);
	journal_close(j);
	sqlite3_close(b.db);
	/* Nothing waits past the deadline: the record being written is given up too. */
	assert_true(dropped >= 4);
	assert_int_equal(count("SELECT count(*) FROM samples"), 5 - dropped);
}

static void
null_journal_and_null_writer_are_harmless(void **state)
{
	char err[ERR_LEN];
	journal_async *a = journal_async_start(NULL, 4, err);
	struct journal_event ev = { .source = "t", .kind = "k" };

	assert_non_null(a);
	assert_int_equal(journal_async_event(a, &ev), 0);
	assert_int_equal(journal_async_stop(a, 1000), 0);
	assert_int_equal(journal_async_event(NULL, &ev), 0);
	assert_int_equal(journal_async_stop(NULL, 0), 0);
	assert_null(journal_async_start(NULL, 0, err));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records_are_written_in_order),
		cmocka_unit_test(zero_time_is_taken_at_enqueue),
		cmocka_unit_test(full_queue_drops_instead_of_blocking),
		cmocka_unit_test(stop_deadline_counts_what_was_left),
		cmocka_unit_test(null_journal_and_null_writer_are_harmless),
	};

	return cmocka_run_group_tests(tests, setup, unit_tmpdir_teardown);
}
