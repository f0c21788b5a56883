/*
 * test_postmortem.c - the postmortem's stages on nights built in memory:
 * labels, durations, the window and its axis, episodes and holders from
 * samples, the moments, holder candidates, and the timeline's cap.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "core/err.h"
#include "postmortem/pm.h"
#include "postmortem/pm_impact.h"
#include "postmortem/pm_series.h"
#include "postmortem/pm_timeline.h"
#include "postmortem/pm_trigger.h"
#include "postmortem/pm_window.h"

#define T0 1764228000000LL

static struct pm_night *
night_new(void)
{
	struct pm_night *n = calloc(1, sizeof(*n));

	assert_non_null(n);
	n->hosts[n->nhosts++] = strdup("db1");
	n->capsmp = 4096;
	n->smp = calloc(n->capsmp, sizeof(*n->smp));
	n->capev = 64;
	n->ev = calloc(n->capev, sizeof(*n->ev));
	assert_non_null(n->smp);
	assert_non_null(n->ev);
	return n;
}

static void
night_free(struct pm_night *n)
{
	pm_night_release(n);
	free(n);
}

static void
sample(struct pm_night *n, int64_t t_s, const char *source, const char *series,
    const char *labels, double v)
{
	struct pm_sample *s = &n->smp[n->nsmp++];

	assert_true(n->nsmp <= n->capsmp);
	s->ts = T0 + t_s * 1000;
	s->host = n->hosts[0];
	s->source = strdup(source);
	s->series = strdup(series);
	s->labels = strdup(labels);
	s->value = v;
}

static void
event(struct pm_night *n, int64_t t_s, const char *kind, const char *severity)
{
	struct pm_event *e = &n->ev[n->nev++];

	memset(e, 0, sizeof(*e));
	e->id = (int64_t)n->nev;
	e->ts = T0 + t_s * 1000;
	e->host = n->hosts[0];
	e->source = strdup("conns");
	e->kind = strdup(kind);
	e->severity = strdup(severity);
	e->sev = pm_severity(severity);
	e->message = strdup("m");
}

/* 60 s of database samples every 2 s; full (17 of 17) from 20 s to 26 s and 40 s to 44 s. */
static void
database_night(struct pm_night *n)
{
	const char *srv = "{\"server\":\"db\"}";

	for (int t = 0; t <= 60; t += 2) {
		int full = (t >= 20 && t <= 26) || (t >= 40 && t <= 44);

		sample(n, t, "conns", "db_connections_used", srv, full ? 17 : 3);
		sample(n, t, "conns", "db_connections_usable", srv, 17);
		sample(n, t, "conns", "db_connections_percent", srv, full ? 100 : 17.6);
		sample(n, t, "conns", "db_connections_holder",
		    "{\"server\":\"db\",\"by\":\"user\",\"holder\":\"batch\"}", full ? 15 : 1);
		sample(n, t, "conns", "db_connections_holder",
		    "{\"server\":\"db\",\"by\":\"user\",\"holder\":\"web\"}", 2);
	}
	event(n, 21, "threshold_crossed", "critical");
	event(n, 28, "threshold_cleared", "notice");
	event(n, 41, "threshold_crossed", "critical");
}

/* The database night with its window, axis, curves and episodes built. */
static struct pm_night *
built_night(void)
{
	struct pm_night *n = night_new();
	char err[ERR_LEN];

	database_night(n);
	pm_window_guess(n, 0, 0, 0, 0);
	assert_int_equal(pm_window_fit(n, 0, 0, err), 0);
	pm_series_build(n);
	pm_series_finish(n);
	return n;
}

static void
labels_are_read_with_escapes_and_only_as_strings(void **state)
{
	char v[32];

	assert_int_equal(pm_label("{\"a\": \"x\", \"by\":\"us\\\"er\"}", "by", v, sizeof(v)), 0);
	assert_string_equal(v, "us\"er");
	assert_int_equal(pm_label("{\"pool\":\"web\",\"server\":\"a\"}", "server", v, sizeof(v)), 0);
	assert_string_equal(v, "a");
	/* A key's name inside a value is not the key. */
	assert_int_equal(pm_label("{\"x\":\"server\",\"y\":1}", "server", v, sizeof(v)), -1);
	assert_int_equal(pm_label("{\"n\": 5}", "n", v, sizeof(v)), -1);
	assert_int_equal(pm_label("{\"a\":\"b\"", "c", v, sizeof(v)), -1);
	assert_int_equal(pm_label(NULL, "c", v, sizeof(v)), -1);
	/* Cut to the buffer, still terminated. */
	assert_int_equal(pm_label("{\"k\":\"abcdefgh\"}", "k", v, 4), 0);
	assert_string_equal(v, "abc");
}

static void
durations_read_like_a_person_writes_them(void **state)
{
	char b[32];

	pm_fmt_duration(1234, b, sizeof(b));
	assert_string_equal(b, "1.2s");
	pm_fmt_duration(45000, b, sizeof(b));
	assert_string_equal(b, "45s");
	pm_fmt_duration(432000, b, sizeof(b));
	assert_string_equal(b, "7m 12s");
	pm_fmt_duration(7260000, b, sizeof(b));
	assert_string_equal(b, "2h 01m");
	pm_fmt_duration(-5, b, sizeof(b));
	assert_string_equal(b, "0.0s");
}

static void
window_is_found_from_warnings_padded_and_fitted(void **state)
{
	struct pm_night *n = night_new();
	char err[ERR_LEN];

	database_night(n);
	pm_window_guess(n, 0, 0, 0, 0);
	assert_true(n->window_auto);
	/* First and last critical at 21 s and 41 s: padded by a minute. */
	assert_true(n->since == T0 + 21000 - 60000);
	assert_true(n->until == T0 + 41000 + 60000 + 1);
	assert_int_equal(pm_window_fit(n, 0, 0, err), 0);
	/* Fitted to what was recorded: 0 s to 60 s, one-second bins. */
	assert_true(n->since == T0);
	assert_int_equal(n->bin_ms, 1000);
	assert_int_equal(n->nbins, 61);
	assert_true(isnan(n->db_used[0]));
	night_free(n);
}

static void
axis_width_keeps_bins_under_the_cap(void **state)
{
	struct pm_night *n = night_new();
	char err[ERR_LEN];

	sample(n, 0, "conns", "db_connections_used", "{}", 1);
	sample(n, 86400, "conns", "db_connections_used", "{}", 1);
	pm_window_guess(n, T0 - 1000, 0, 0, 0);
	assert_int_equal(pm_window_fit(n, 0, 0, err), 0);
	assert_int_equal(n->bin_ms, 300000);
	assert_true(n->nbins <= PM_AXIS_BINS);
	night_free(n);
}

static void
empty_window_is_an_error_naming_it(void **state)
{
	struct pm_night *n = night_new();
	char err[ERR_LEN];

	database_night(n);
	pm_window_guess(n, T0 + 3600000, T0 + 7200000, 0, 0);
	assert_int_equal(pm_window_fit(n, 0, 0, err), -1);
	assert_non_null(strstr(err, "nothing was recorded between 2025-11-27T08:20:00Z"));
	night_free(n);
}

static void
episodes_come_from_saturated_samples_with_their_top_holder(void **state)
{
	struct pm_night *n = built_night();

	assert_string_equal(n->db_server, "db");
	assert_int_equal(n->nep, 2);
	assert_true(n->ep_saturation);
	assert_true(n->ep[0].start == T0 + 20000 && n->ep[0].end == T0 + 26000);
	assert_true(n->ep[1].start == T0 + 40000 && n->ep[1].end == T0 + 44000);
	assert_string_equal(n->ep[0].top_holder, "batch");
	assert_string_equal(n->ep[0].top_by, "user");
	assert_true(n->ep[0].top_count == 15);
	assert_int_equal(n->sample_gap_ms, 2000);
	/* Two spans of 6 s and 4 s, each plus one sampling interval. */
	assert_int_equal(n->db_saturated_ms, 14000);
	assert_true(n->db_used[20] == 17 && n->db_usable[20] == 17);
	night_free(n);
}

static void
moments_follow_the_samples_and_the_first_alert(void **state)
{
	struct pm_night *n = built_night();

	pm_impact_compute(n);
	assert_true(n->began == T0 + 20000);
	assert_true(n->detected == T0 + 21000);
	/* No 5xx recorded: mitigated at the end of the last saturation. */
	assert_true(n->mitigated == T0 + 46000);
	assert_true(n->resolved == T0 + 46000);
	night_free(n);
}

static void
holders_alone_are_candidates_when_no_log_names_them(void **state)
{
	struct pm_night *n = built_night();

	assert_int_equal(pm_trigger_rank(n, NULL), 0);
	assert_int_equal(n->ncand, 1);
	assert_string_equal(n->cand[0].what, "user batch (connection holder)");
	assert_non_null(strstr(n->cand[0].evidence, "at 2 of the 2 saturation starts"));
	assert_non_null(strstr(n->cand[0].evidence, "a median 15 of 17 usable"));
	night_free(n);
}

static void
timeline_past_its_cap_drops_the_least_severe_rows(void **state)
{
	struct pm_night *n = night_new();

	for (int i = 0; i < PM_MAX_ROWS; i++)
		pm_timeline_add(n, T0 + i, 1, "x", "info %d", i);
	pm_timeline_add(n, T0 + 5000000, 5, "y", "critical");
	pm_timeline_add(n, T0 + 5000001, 0, "y", "debug");
	assert_int_equal(n->nrows, PM_MAX_ROWS);
	assert_int_equal(n->rows_dropped, 2);
	pm_timeline_build(n);
	assert_string_equal(n->rows[n->nrows - 1].text, "critical");
	night_free(n);
}

static void
repeated_events_fold_into_their_first_row(void **state)
{
	struct pm_night *n = night_new();

	event(n, 10, "server_down", "error");
	event(n, 20, "server_down", "error");
	event(n, 25, "threshold_crossed", "critical");
	event(n, 70, "server_down", "error");
	event(n, 200, "server_down", "error");   /* more than a minute after: a row again */
	n->since = T0;
	n->until = T0 + 300000;
	pm_timeline_build(n);
	assert_int_equal(n->nrows, 3);
	assert_non_null(strstr(n->rows[0].text, "server_down: m (and 2 more times until 07:21:10)"));
	assert_non_null(strstr(n->rows[0].source, "journal #1 on db1"));
	assert_null(strstr(n->rows[1].text, "more time"));
	assert_true(n->rows[2].ts == T0 + 200000);
	assert_null(strstr(n->rows[2].text, "more time"));
	night_free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(labels_are_read_with_escapes_and_only_as_strings),
		cmocka_unit_test(durations_read_like_a_person_writes_them),
		cmocka_unit_test(window_is_found_from_warnings_padded_and_fitted),
		cmocka_unit_test(axis_width_keeps_bins_under_the_cap),
		cmocka_unit_test(empty_window_is_an_error_naming_it),
		cmocka_unit_test(episodes_come_from_saturated_samples_with_their_top_holder),
		cmocka_unit_test(moments_follow_the_samples_and_the_first_alert),
		cmocka_unit_test(holders_alone_are_candidates_when_no_log_names_them),
		cmocka_unit_test(timeline_past_its_cap_drops_the_least_severe_rows),
		cmocka_unit_test(repeated_events_fold_into_their_first_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
