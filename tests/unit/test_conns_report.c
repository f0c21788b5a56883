/*
 * test_conns_report.c - the status of a sample against its thresholds and
 * the exact Nagios, Prometheus and JSON text for a known sample.
 */
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "conns/conns_report.h"

static struct conns_sample sample;
static struct db_threshold warn, crit;

/* 14 of 17 usable on PostgreSQL: 9 idle, 4 active, 1 idle in transaction. */
static int
setup(void **state)
{
	char err[ERR_LEN];

	memset(&sample, 0, sizeof(sample));
	sample.ts_ms = 1795765852883;
	sample.kind = DB_POSTGRES;
	sample.server_version = 150004;
	sample.h = (struct db_headroom){ .used = 14, .max = 20, .reserved = 3, .max_used = -1,
	    .threads_running = -1, .errors_max_connections = -1, .aborted_connects = -1 };
	db_headroom_compute(&sample.h);
	conns_tally_add(&sample.by_state, "idle", 9);
	conns_tally_add(&sample.by_state, "active", 4);
	conns_tally_add(&sample.by_state, "idle in transaction", 1);
	conns_tally_sort(&sample.by_state);
	conns_tally_add(&sample.by_user, "app", 13);
	conns_tally_add(&sample.by_user, "we\"ird\\", 1);
	conns_tally_add(&sample.by_state_user_db, "idle\x1f" "app\x1f" "appdb", 9);
	sample.oldest_xact_s = 12.5;
	sample.longest_idle_xact_s = 10;
	sample.oldest_xact.pid = 4242;
	snprintf(sample.oldest_xact.state, sizeof(sample.oldest_xact.state), "idle in transaction");
	assert_int_equal(db_threshold_parse("80%", 1, &warn, err), 0);
	assert_int_equal(db_threshold_parse("90%", 1, &crit, err), 0);
	return 0;
}

static struct conns_result
result(const struct conns_sample *s)
{
	struct conns_result r = { .url = "postgresql://app:***@db:5432/appdb",
	    .target = "db:5432/appdb", .s = s, .warn = &warn, .crit = &crit };

	conns_report_evaluate(&r);
	return r;
}

static void
status_follows_thresholds(void **state)
{
	struct conns_result r = result(&sample);

	assert_int_equal(r.status, CONNS_WARNING);
	sample.h.used = 16;
	db_headroom_compute(&sample.h);
	r = result(&sample);
	assert_int_equal(r.status, CONNS_CRITICAL);
	sample.h.used = 13;
	db_headroom_compute(&sample.h);
	r = result(&sample);
	assert_int_equal(r.status, CONNS_OK);
}

static void
failures_are_critical_only_when_full(void **state)
{
	struct conns_result r = result(NULL);

	r.failure = DB_FAIL_FULL;
	conns_report_evaluate(&r);
	assert_int_equal(r.status, CONNS_CRITICAL);
	for (int f = DB_FAIL_AUTH; f <= DB_FAIL_OTHER; f++) {
		r.failure = (enum db_failure)f;
		conns_report_evaluate(&r);
		assert_int_equal(r.status, CONNS_UNKNOWN);
	}
}

static void
nagios_line_is_exact(void **state)
{
	struct conns_result r = result(&sample);
	struct buf b = BUF_INIT(4096);

	conns_report_nagios(&b, &r);
	assert_string_equal(buf_str(&b),
	    "CONNS WARNING: 14 of 17 usable connections in use (82.4%) on db:5432/appdb, "
	    "warn 80% (13.6), crit 90% (15.3), 1 idle in transaction | "
	    "'used'=14;13.6;15.3;0;17 'max'=20 'active'=4 'idle'=9 'idle_in_transaction'=1 "
	    "'waiting_on_lock'=0 'oldest_transaction'=12.500s\n");
	buf_release(&b);
}

static void
nagios_refused_has_undetermined_used(void **state)
{
	struct conns_result r = result(NULL);
	struct db_threshold w5, c8;
	struct buf b = BUF_INIT(4096);
	char err[ERR_LEN];

	r.failure = DB_FAIL_FULL;
	snprintf(r.reason, sizeof(r.reason), "sorry, too many clients already");
	conns_report_evaluate(&r);
	conns_report_nagios(&b, &r);
	assert_string_equal(buf_str(&b), "CONNS CRITICAL: server full: sorry, too many clients "
	    "already on db:5432/appdb | 'used'=U;;;0;\n");
	/* Count thresholds need no usable to be written. */
	assert_int_equal(db_threshold_parse("5", 1, &w5, err), 0);
	assert_int_equal(db_threshold_parse("8", 1, &c8, err), 0);
	r.warn = &w5;
	r.crit = &c8;
	buf_reset(&b);
	conns_report_nagios(&b, &r);
	assert_non_null(strstr(buf_str(&b), "| 'used'=U;5;8;0;\n"));
	buf_release(&b);
}

static void
prometheus_escapes_label_values(void **state)
{
	struct conns_result r = result(&sample);
	struct buf b = BUF_INIT(1 << 16);

	assert_int_equal(conns_report_prometheus(&b, &r, NULL), 0);
	assert_non_null(strstr(buf_str(&b),
	    "brace_db_connections_by_user{server=\"db:5432/appdb\",user=\"we\\\"ird\\\\\"} 1\n"));
	assert_non_null(strstr(buf_str(&b), "brace_db_connections{server=\"db:5432/appdb\","
	    "state=\"idle\",user=\"app\",database=\"appdb\"} 9\n"));
	assert_non_null(strstr(buf_str(&b), "brace_db_connections_status{server=\"db:5432/appdb\"} 1\n"));
	/* MySQL-only counters are left out for PostgreSQL. */
	assert_null(strstr(buf_str(&b), "threads_running"));
	buf_release(&b);
}

static void
json_reports_failure_without_sample(void **state)
{
	struct conns_result r = result(NULL);
	struct buf b = BUF_INIT(4096);

	r.failure = DB_FAIL_AUTH;
	snprintf(r.reason, sizeof(r.reason), "password authentication failed for user \"app\"");
	conns_report_evaluate(&r);
	conns_report_json(&b, &r);
	assert_non_null(strstr(buf_str(&b), "\"status\":\"UNKNOWN\""));
	assert_non_null(strstr(buf_str(&b), "\"failure\":\"login refused\""));
	assert_non_null(strstr(buf_str(&b),
	    "\"error\":\"password authentication failed for user \\\"app\\\"\""));
	assert_non_null(strstr(buf_str(&b), "\"warn\":{\"threshold\":\"80%\",\"range\":null}"));
	buf_release(&b);
}

static void
breakdown_lists_then_summarises(void **state)
{
	struct conns_tally t = { 0 };
	struct buf b = BUF_INIT(4096);

	conns_report_breakdown(&b, &t, 2);
	assert_string_equal(buf_str(&b), "-");
	conns_tally_add(&t, "a", 3);
	conns_tally_add(&t, "b", 2);
	conns_tally_add(&t, "c", 1);
	buf_reset(&b);
	conns_report_breakdown(&b, &t, 2);
	assert_string_equal(buf_str(&b), "a 3, b 2, others 1");
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(status_follows_thresholds, setup),
		cmocka_unit_test_setup(failures_are_critical_only_when_full, setup),
		cmocka_unit_test_setup(nagios_line_is_exact, setup),
		cmocka_unit_test_setup(nagios_refused_has_undetermined_used, setup),
		cmocka_unit_test_setup(prometheus_escapes_label_values, setup),
		cmocka_unit_test_setup(json_reports_failure_without_sample, setup),
		cmocka_unit_test_setup(breakdown_lists_then_summarises, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
