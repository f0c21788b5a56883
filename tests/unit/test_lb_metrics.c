/*
 * test_lb_metrics.c - the /metrics page: well-formed Prometheus text (one
 * HELP and TYPE per family, before its samples), the counters and gauges of
 * servers and pools as their runtime states hold them, cumulative
 * histograms, escaped label values, a page too large for its buffer
 * refused rather than cut; and /stats as JSON.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "core/buf.h"
#include "lb/metrics.h"
#include "lb/config.h"
#include "lb/server.h"

struct page {
	struct lb_config *cfg;
	struct buf out;
};

static const struct metrics_process proc = { 1795418409792, 3 };

/* The page of cfg into out, which must be whole. */
static void
render(struct page *pg)
{
	char err[ERR_LEN];

	if (metrics_page(&pg->out, pg->cfg, &proc, err) < 0)
		fail_msg("%s", err);
}

/* Two pools, three servers, their runtime states attached: new for each test. */
static int
setup(void **state)
{
	struct page *pg = calloc(1, sizeof(*pg));
	char err[ERR_LEN];
	struct pool *app, *db;

	if (pg == NULL || (pg->cfg = config_new()) == NULL)
		return -1;
	app = config_add_pool(pg->cfg, "app", err);
	db = config_add_pool(pg->cfg, "db", err);
	if (app == NULL || db == NULL ||
	    config_add_server_line(pg->cfg, app, "web1 127.0.0.1:8001 weight=2", err) < 0 ||
	    config_add_server_line(pg->cfg, app, "web2 [::1]:8002", err) < 0 ||
	    config_add_server_line(pg->cfg, db, "pg1 127.0.0.1:5432 maxconn=80", err) < 0 ||
	    server_states_attach(pg->cfg, err) < 0)
		return -1;
	buf_init(&pg->out, 1 << 20);
	*state = pg;
	return 0;
}

static int
teardown(void **state)
{
	struct page *pg = *state;

	server_states_detach(pg->cfg);
	config_free(pg->cfg);
	buf_release(&pg->out);
	free(pg);
	return 0;
}

/* The value of the sample line that starts with prefix ("name{labels} "), or -1. */
static double
sample(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = text; *p; p = strchr(p, '\n') + 1) {
		if (strncmp(p, prefix, n) == 0)
			return strtod(p + n, NULL);
		if (strchr(p, '\n') == NULL)
			break;
	}
	return -1;
}

static void
every_family_has_one_help_and_type_before_its_samples(void **state)
{
	struct page *pg = *state;
	char seen[64][64];
	int nseen = 0, samples = 0;
	char *text, *line, *save = NULL;

	render(pg);
	text = strdup(buf_str(&pg->out));
	assert_non_null(text);
	assert_int_equal(text[strlen(text) - 1], '\n');
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64], type[16];

		if (sscanf(line, "# HELP %63s", name) == 1) {
			for (int i = 0; i < nseen; i++)
				if (strcmp(seen[i], name) == 0)
					fail_msg("HELP of %s twice", name);
			assert_true(nseen < 64);
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", name);
			continue;
		}
		if (sscanf(line, "# TYPE %63s %15s", name, type) == 2) {
			assert_string_equal(name, seen[nseen - 1]);
			assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
			    strcmp(type, "histogram") == 0);
			continue;
		}
		/* a sample of the current family (a histogram's have suffixes), then a value */
		{
			static const char *const suffix[] = { "", "_bucket", "_sum", "_count" };
			size_t n = strcspn(line, "{ ");
			int ok = 0;
			char *end;

			assert_true(nseen > 0);
			for (int i = 0; i < 4; i++) {
				char want[96];

				snprintf(want, sizeof(want), "%s%s", seen[nseen - 1], suffix[i]);
				ok |= strlen(want) == n && strncmp(line, want, n) == 0;
			}
			if (!ok)
				fail_msg("sample '%s' is not of family %s", line, seen[nseen - 1]);
			strtod(strrchr(line, ' ') + 1, &end);
			assert_int_equal(*end, '\0');
			samples++;
		}
	}
	assert_true(nseen >= 20);
	assert_true(samples > 3 * 20);
	free(text);
}

static void
server_counters_and_states_are_what_the_runtime_states_hold(void **state)
{
	struct page *pg = *state;
	struct srv_state *web1 = pg->cfg->servers[0].st, *web2 = pg->cfg->servers[1].st;
	const char *text;

	atomic_store(&web1->responses[1], 18002);
	atomic_store(&web1->responses[4], 4);
	atomic_store(&web1->requests, 18006);
	atomic_store(&web1->active, 5);
	atomic_store(&web2->check_down, 1);
	atomic_store(&web2->admin, ADM_DRAIN);
	atomic_store(&pg->cfg->pool[1].st->q.n, 7);
	render(pg);
	text = buf_str(&pg->out);
	assert_true(sample(text, "brace_requests_total{pool=\"app\",server=\"web1\",code=\"2xx\"} ")
	    == 18002);
	assert_true(sample(text, "brace_requests_total{pool=\"app\",server=\"web1\",code=\"5xx\"} ")
	    == 4);
	assert_true(sample(text, "brace_server_sent_total{pool=\"app\",server=\"web1\"} ") == 18006);
	assert_true(sample(text, "brace_server_active_connections{pool=\"app\",server=\"web1\"} ")
	    == 5);
	assert_true(sample(text,
	    "brace_server_up{pool=\"app\",server=\"web1\",address=\"127.0.0.1:8001\"} ") == 1);
	assert_true(sample(text,
	    "brace_server_up{pool=\"app\",server=\"web2\",address=\"[::1]:8002\"} ") == 0);
	assert_true(sample(text, "brace_server_state{pool=\"app\",server=\"web2\",state=\"drain\"} ")
	    == 1);
	assert_true(sample(text, "brace_server_state{pool=\"app\",server=\"web2\",state=\"ready\"} ")
	    == 0);
	assert_true(sample(text, "brace_queue_length{pool=\"db\"} ") == 7);
	assert_true(sample(text, "brace_queue_length{pool=\"app\"} ") == 0);
}

static void
histograms_are_cumulative_with_sum_and_count(void **state)
{
	struct page *pg = *state;
	struct pool *app = &pg->cfg->pool[0];
	const char *text;

	server_observe(app, -1, 800);           /* 0.8 ms */
	server_observe(app, -1, 3000);          /* 3 ms */
	server_observe(app, -1, 3000);
	server_observe(app, 20000, 45000000);   /* 45 s: past the last bound */
	render(pg);
	text = buf_str(&pg->out);
	assert_true(sample(text, "brace_response_time_seconds_bucket{pool=\"app\",le=\"0.001\"} ")
	    == 1);
	assert_true(sample(text, "brace_response_time_seconds_bucket{pool=\"app\",le=\"0.0025\"} ")
	    == 1);
	assert_true(sample(text, "brace_response_time_seconds_bucket{pool=\"app\",le=\"0.005\"} ")
	    == 3);
	assert_true(sample(text, "brace_response_time_seconds_bucket{pool=\"app\",le=\"30\"} ") == 3);
	assert_true(sample(text, "brace_response_time_seconds_bucket{pool=\"app\",le=\"+Inf\"} ")
	    == 4);
	assert_true(sample(text, "brace_response_time_seconds_count{pool=\"app\"} ") == 4);
	assert_float_equal(sample(text, "brace_response_time_seconds_sum{pool=\"app\"} "), 45.0068,
	    1e-6);
	assert_true(sample(text, "brace_queue_time_seconds_bucket{pool=\"app\",le=\"0.025\"} ") == 1);
	assert_true(sample(text, "brace_queue_time_seconds_count{pool=\"app\"} ") == 1);
	assert_true(sample(text, "brace_queue_time_seconds_count{pool=\"db\"} ") == 0);
}

static void
label_values_are_escaped(void **state)
{
	struct page *pg = *state;
	struct server *sv = &pg->cfg->servers[2];

	/* names from the file cannot hold these; the writer must not trust that */
	snprintf(sv->name, sizeof(sv->name), "a\"b\\c\nd");
	render(pg);
	assert_non_null(strstr(buf_str(&pg->out),
	    "brace_server_sent_total{pool=\"db\",server=\"a\\\"b\\\\c\\nd\"} 0\n"));
}

static void
panic_overload_and_admin_families_are_there(void **state)
{
	struct page *pg = *state;
	const char *text;

	atomic_store(&pg->cfg->pool[1].st->panic, 1);
	atomic_store(&pg->cfg->pool[1].st->panics, 2);
	render(pg);
	text = buf_str(&pg->out);
	assert_true(sample(text, "brace_pool_panic{pool=\"db\"} ") == 1);
	assert_true(sample(text, "brace_pool_panic{pool=\"app\"} ") == 0);
	assert_true(sample(text, "brace_pool_panics_total{pool=\"db\"} ") == 2);
	assert_true(sample(text, "brace_client_refused_total ") >= 0);
	assert_true(sample(text, "brace_client_idle_closed_total ") >= 0);
	assert_true(sample(text, "brace_admin_connections_evicted_total ") == 3);
	assert_float_equal(sample(text, "brace_start_time_seconds "), 1795418409.792, 1e-3);
	assert_non_null(strstr(text, "brace_build_info{version=\"" BRACE_VERSION "\"} 1\n"));
}

static void
a_page_too_large_for_its_buffer_is_refused_not_cut(void **state)
{
	struct page *pg = *state;
	struct buf small = BUF_INIT(2048);
	char err[ERR_LEN];

	assert_int_equal(metrics_page(&small, pg->cfg, &proc, err), -1);
	assert_true(strlen(err) > 0);
	/* what is there is whole lines */
	assert_true(small.len <= 2048);
	assert_int_equal(small.data[small.len - 1], '\n');
	buf_release(&small);
}

static void
stats_is_one_json_object_with_the_pools_and_servers(void **state)
{
	struct page *pg = *state;
	const char *text;

	atomic_store(&pg->cfg->pool[0].st->panic, 1);
	metrics_stats(&pg->out, pg->cfg, &proc);
	text = buf_str(&pg->out);
	assert_true(strncmp(text, "{\"version\":\"", 12) == 0);
	assert_non_null(strstr(text, "\"started\":\"2026-11-23T07:20:09.792Z\""));
	assert_non_null(strstr(text, "\"name\":\"app\",\"balance\":\"roundrobin\",\"queue\":0,"
	    "\"queue_timeouts\":0,\"panic\":true"));
	assert_non_null(strstr(text, "\"name\":\"pg1\",\"address\":\"127.0.0.1:5432\""));
	assert_non_null(strstr(text, "\"client_refused\":"));
	assert_int_equal(text[strlen(text) - 1], '\n');
}

int
main(void)
{
	/* each test has a page of its own */
#define T(test) cmocka_unit_test_setup_teardown(test, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(every_family_has_one_help_and_type_before_its_samples),
		T(server_counters_and_states_are_what_the_runtime_states_hold),
		T(histograms_are_cumulative_with_sum_and_count),
		T(label_values_are_escaped),
		T(panic_overload_and_admin_families_are_there),
		T(a_page_too_large_for_its_buffer_is_refused_not_cut),
		T(stats_is_one_json_object_with_the_pools_and_servers),
	};

	return cmocka_run_group_tests_name("lb_metrics", tests, NULL, NULL);
}
