/*
 * test_conns_view.c - the --watch frame: lines cut at the window width,
 * never more lines than rows, outages in the sparkline, status changes,
 * and the one-line form for a pipe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "conns/conns_view.h"

static struct conns_sample sample;
static struct db_threshold warn, crit;
static struct conns_result res;
static struct conns_view *view;

static int
setup(void **state)
{
	char err[ERR_LEN];

	memset(&sample, 0, sizeof(sample));
	sample.ts_ms = 1795765852883;
	sample.kind = DB_POSTGRES;
	sample.server_version = 150004;
	sample.h = (struct db_headroom){ .used = 5, .max = 20, .reserved = 3 };
	db_headroom_compute(&sample.h);
	sample.oldest_xact_s = -1;
	sample.longest_idle_xact_s = -1;
	conns_tally_add(&sample.by_state, "idle", 4);
	conns_tally_add(&sample.by_state, "active", 1);
	sample.ntop = 1;
	sample.top[0] = (struct conns_session){ .pid = 77, .user = "app", .database = "appdb",
	    .client = "10.0.0.7", .state = "idle in transaction", .xact_age_s = 61,
	    .state_age_s = 60, .conn_age_s = 3600,
	    .query = "UPDATE accounts SET balance = balance - 1 WHERE id = 42 AND a_very_long"
	    "_condition_that_goes_on_and_on_past_any_reasonable_terminal_width = 1" };
	db_threshold_parse("80%", 1, &warn, err);
	db_threshold_parse("90%", 1, &crit, err);
	res = (struct conns_result){ .url = "postgresql://app:***@db/appdb", .target = "db/appdb",
	    .s = &sample, .warn = &warn, .crit = &crit };
	conns_report_evaluate(&res);
	view = calloc(1, sizeof(*view));
	view->redacted = res.url;
	view->interval_ms = 2000;
	view->now = &res;
	view->last = &sample;
	for (int i = 0; i < 50; i++) {
		struct conns_point p = { .ts_ms = i * 2000, .used = i % 10 == 9 ? -1 : i % 8,
		    .usable = 17 };
		conns_view_push_point(view, &p);
	}
	return view == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	free(view); view = NULL;
	return 0;
}

/* Visible characters of one line: escapes and UTF-8 continuation bytes do not count. */
static int
visible(const char *p, size_t n)
{
	int count = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\033' && i + 1 < n && p[i + 1] == '[') {
			i += 2;
			while (i < n && !(p[i] >= '@' && p[i] <= '~'))
				i++;
			continue;
		}
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			count++;
	}
	return count;
}

static void
check_frame(int cols, int rows, int utf8, int color)
{
	struct buf b = BUF_INIT(1 << 20);
	const char *p, *nl;
	int lines = 0;

	conns_view_frame(&b, view, cols, rows, utf8, color);
	p = buf_str(&b);
	assert_true(strncmp(p, "\033[H", 3) == 0);
	for (;; p = nl + 1) {
		nl = strchr(p, '\n');
		lines++;
		if (visible(p, nl ? (size_t)(nl - p) : strlen(p)) > cols)
			fail_msg("line %d is wider than %d: %.*s", lines, cols,
			    (int)(nl ? nl - p : (long)strlen(p)), p);
		if (nl == NULL)
			break;
	}
	assert_true(lines <= rows);
	buf_release(&b);
}

static void
frame_fits_any_window(void **state)
{
	check_frame(80, 24, 1, 1);
	check_frame(40, 10, 1, 0);
	check_frame(200, 60, 0, 1);
	check_frame(20, 5, 0, 0);
}

static void
frame_shows_bar_sparkline_outages_and_sessions(void **state)
{
	struct buf b = BUF_INIT(1 << 20);

	conns_view_frame(&b, view, 160, 40, 1, 0);
	assert_non_null(strstr(buf_str(&b), "\xe2\x96\x88"));        /* the bar's █ */
	assert_non_null(strstr(buf_str(&b), "\xc3\x97"));            /* an outage's × */
	assert_non_null(strstr(buf_str(&b), "without answer"));
	assert_non_null(strstr(buf_str(&b), "5 of 17 usable (29.4%)"));
	assert_non_null(strstr(buf_str(&b), "idle in transaction"));
	assert_non_null(strstr(buf_str(&b), "UPDATE accounts"));
	assert_null(strstr(buf_str(&b), "\033[3"));                  /* no colour asked */
	buf_reset(&b);
	conns_view_frame(&b, view, 160, 40, 0, 0);
	assert_null(strstr(buf_str(&b), "\xe2"));                    /* ASCII only */
	buf_release(&b);
}

static void
frame_during_outage_shows_reason_and_last_answer(void **state)
{
	struct conns_result down = res;
	struct conns_view_event ev = { .ts_ms = 1000, .from = CONNS_OK, .to = CONNS_UNKNOWN,
	    .text = "unreachable: Connection refused" };
	struct buf b = BUF_INIT(1 << 20);

	down.s = NULL;
	down.failure = DB_FAIL_UNREACHABLE;
	snprintf(down.reason, sizeof(down.reason), "Connection refused");
	conns_report_evaluate(&down);
	view->now = &down;
	view->down_since_ms = 1000;
	conns_view_push_event(view, &ev);
	conns_view_frame(&b, view, 120, 40, 1, 0);
	assert_non_null(strstr(buf_str(&b), "UNKNOWN  unreachable: Connection refused (since"));
	assert_non_null(strstr(buf_str(&b), "last answer at"));
	assert_non_null(strstr(buf_str(&b), "OK \xe2\x86\x92 UNKNOWN"));
	view->now = &res;
	buf_release(&b);
}

static void
events_keep_the_newest(void **state)
{
	for (int i = 0; i < CONNS_VIEW_EVENTS + 3; i++) {
		struct conns_view_event ev = { .ts_ms = i };

		conns_view_push_event(view, &ev);
	}
	assert_int_equal(view->nevents, CONNS_VIEW_EVENTS);
	assert_int_equal(view->events[0].ts_ms, 3);
	assert_int_equal(view->events[CONNS_VIEW_EVENTS - 1].ts_ms, CONNS_VIEW_EVENTS + 2);
}

static void
history_ring_wraps(void **state)
{
	for (int i = 0; i < CONNS_HISTORY + 5; i++) {
		struct conns_point p = { .ts_ms = i, .used = 1, .usable = 17 };

		conns_view_push_point(view, &p);
	}
	assert_int_equal(view->hist_n, CONNS_HISTORY);
	check_frame(100, 30, 1, 1);
}

static void
line_form_is_one_line_of_fields(void **state)
{
	struct buf b = BUF_INIT(4096);

	conns_view_line(&b, &res, 0);
	assert_non_null(strstr(buf_str(&b),
	    " OK used=5 usable=17 max=20 percent=29.4 idle=4 active=1 waiting=0 "
	    "oldest_transaction_s=0.0 sample_ms=0.00\n"));
	assert_non_null(strchr(buf_str(&b), '\n'));
	assert_int_equal(strchr(buf_str(&b), '\n')[1], '\0');
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(frame_fits_any_window, setup, teardown),
		cmocka_unit_test_setup_teardown(frame_shows_bar_sparkline_outages_and_sessions,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(frame_during_outage_shows_reason_and_last_answer,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(events_keep_the_newest, setup, teardown),
		cmocka_unit_test_setup_teardown(history_ring_wraps, setup, teardown),
		cmocka_unit_test_setup_teardown(line_form_is_one_line_of_fields, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
