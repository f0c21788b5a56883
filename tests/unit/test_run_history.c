/*
 * test_run_history.c - run records in the journal: fields, details, the
 * last successful run for --min-interval, and the history listing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/journal.h"
#include "run/run_history.h"

static int
setup(void **state)
{
	char path[256], err[ERR_LEN];
	journal *j;

	if (unit_tmpdir_setup(state) < 0)
		return -1;
	unit_tmpdir_path(path, sizeof(path), "j.db");
	if ((j = journal_open(path, err)) == NULL)
		return -1;
	*state = j;
	return 0;
}

static int
teardown(void **state)
{
	journal_close(*state);
	return unit_tmpdir_teardown(state);
}

static void
record(journal *j, const char *name, const char *kind, int64_t start_ms, int status)
{
	char *argv[] = { "/usr/local/bin/invsync", "--all", NULL };
	struct run_record r = {
		.name = name, .kind = kind, .message = "exited", .argv = argv,
		.start_ms = start_ms, .end_ms = start_ms + 1500, .duration_ms = 1500,
		.status = status, .exit_code = status, .attempt = 1, .attempts = 1,
		.pid = 4242, .output = "line\n\xff\n", .output_len = 7, .output_total = 7,
	};

	run_history_record(j, &r);
}

struct seen {
	int n;
	char kind[32], severity[16], details[2048];
};

static int
keep_last(const struct journal_event *ev, void *arg)
{
	struct seen *s = arg;

	s->n++;
	snprintf(s->kind, sizeof(s->kind), "%s", ev->kind);
	snprintf(s->severity, sizeof(s->severity), "%s", ev->severity);
	snprintf(s->details, sizeof(s->details), "%s", ev->details ? ev->details : "");
	return 0;
}

static void
record_has_kind_severity_and_details(void **state)
{
	struct journal_filter f = { .source = "run", .subject = "inv" };
	struct seen s = { 0 };
	char err[ERR_LEN];

	record(*state, "inv", RUN_EV_FAILED, 1000000, 3);
	assert_int_equal(journal_each(*state, &f, keep_last, &s, err), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.kind, "run_failed");
	assert_string_equal(s.severity, "error");
	assert_non_null(strstr(s.details, "\"command\":[\"/usr/local/bin/invsync\",\"--all\"]"));
	assert_non_null(strstr(s.details, "\"status\":3"));
	assert_non_null(strstr(s.details, "\"duration_ms\":1500"));
	assert_non_null(strstr(s.details, "\"start\":\"1970-01-01T00:16:40.000Z\""));
	/* Invalid UTF-8 in the output becomes U+FFFD: the details stay valid JSON. */
	assert_non_null(strstr(s.details, "\"output_tail\":\"line\\n\\ufffd\\n\""));
}

static void
last_ok_finds_the_newest_success_only(void **state)
{
	int64_t now = clock_now_ms(), ts = 0;
	char err[ERR_LEN];

	record(*state, "inv", RUN_EV_OK, now - 50000, 0);
	record(*state, "inv", RUN_EV_OK, now - 20000, 0);
	record(*state, "inv", RUN_EV_FAILED, now - 1000, 1);
	record(*state, "other", RUN_EV_OK, now - 500, 0);
	assert_int_equal(run_history_last_ok(*state, "inv", now - 60000, &ts, err), 1);
	assert_int_equal(ts, now - 20000);
	assert_int_equal(run_history_last_ok(*state, "inv", now - 10000, &ts, err), 0);
	assert_int_equal(run_history_last_ok(*state, "nobody", 0, &ts, err), 0);
}

static void
gate_timeouts_are_warnings_and_skips_info(void **state)
{
	struct journal_filter f = { .source = "run", .subject = "g" };
	struct seen s = { 0 };
	char err[ERR_LEN];

	record(*state, "g", RUN_EV_GATE, 0, 75);
	assert_int_equal(journal_each(*state, &f, keep_last, &s, err), 0);
	assert_string_equal(s.severity, "warning");
	record(*state, "g", RUN_EV_SKIP, 0, 0);
	assert_int_equal(journal_each(*state, &f, keep_last, &s, err), 0);
	assert_string_equal(s.severity, "info");
}

static void
history_json_is_the_journal_event_shape(void **state)
{
	char path[256], line[4096], err[ERR_LEN];
	FILE *f;
	int saved = dup(STDOUT_FILENO);

	record(*state, "lister", RUN_EV_OK, 0, 0);
	unit_tmpdir_path(path, sizeof(path), "out.txt");
	fflush(stdout);
	assert_non_null(freopen(path, "w", stdout));
	assert_int_equal(run_history_list(*state, "lister", 0, 10, 1, 0, err), 0);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	f = fopen(path, "r");
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_non_null(strstr(line, "{\"id\":"));
	assert_non_null(strstr(line, "\"source\":\"run\",\"kind\":\"run_ok\""));
	assert_non_null(strstr(line, "\"details\":{\"name\":\"lister\",\"command\":"));
	assert_string_equal(line + strlen(line) - 4, "\"}}\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(record_has_kind_severity_and_details, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(last_ok_finds_the_newest_success_only, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(gate_timeouts_are_warnings_and_skips_info, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(history_json_is_the_journal_event_shape, setup,
		    teardown),
	};

	return cmocka_run_group_tests_name("run_history", tests, NULL, NULL);
}
