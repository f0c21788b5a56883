/*
 * test_digest.c - blocks folded into the digest: statistics follow merged
 * templates, filters apply, periods and bursts come out of analyse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"
#include "logs/digest.h"

#define BASE 1795764000000LL

/* Fold text in as lines of format f. */
static void
feed_as(struct digest *d, enum format_id f, const char *text)
{
	enum format_id formats[1] = { f };
	struct work_cfg cfg = { .formats = formats, .max_line = 65536, .now_ms = BASE };
	struct work_ctx c;
	struct work_block *b = work_block_new();

	assert_non_null(b);
	assert_int_equal(work_ctx_init(&c, &cfg), 0);
	buf_append(&b->own, text, strlen(text));
	b->data = b->own.data;
	b->len = b->own.len;
	assert_int_equal(work_block_process(b, &cfg, &c), 0);
	assert_int_equal(digest_block(d, b), 0);
	work_block_free(b);
	work_ctx_release(&c);
}

static void
feed(struct digest *d, const char *text)
{
	feed_as(d, FORMAT_GENERIC, text);
}

static void
merged_templates_keep_all_their_lines(void **state)
{
	struct digest d;
	struct digest_opts o = { 0 };
	int id;

	assert_int_equal(digest_init(&d, &o), 0);
	feed(&d, "2026-11-27 07:20:00 user alice logged in\n"
	    "2026-11-27 07:21:00 user bob logged in\n"
	    "2026-11-27 07:22:00 user carol logged in\n"
	    "2026-11-27 07:23:00 user dave logged in\n"
	    "2026-11-27 07:24:00 disk full\n");
	digest_analyse(&d);
	assert_int_equal(d.norder, 2);
	id = d.order[0];
	assert_string_equal(digest_template(&d, id), "user <*> logged in");
	assert_int_equal(d.t[id].count, 4);
	assert_int_equal(d.t[id].first, BASE);
	assert_int_equal(d.t[id].last, BASE + 180000);
	assert_int_equal(d.lines, 5);
	digest_release(&d);
}

static void
access_templates_count_their_errors(void **state)
{
	struct digest d;
	struct digest_opts o = { 0 };
	struct buf text = BUF_INIT(1 << 20);
	static const int status[4] = { 500, 404, 200, 503 };

	/* a feed whose ids are masked fails one way or another three times in four */
	assert_int_equal(digest_init(&d, &o), 0);
	for (int i = 0; i < 40; i++)
		buf_printf(&text, "10.0.0.1 - - [27/Nov/2026:07:20:%02d +0000] \"GET /u/%d/feed "
		    "HTTP/1.1\" %d 1 \"-\" \"c\"\n", i, 1000 + i, status[i % 4]);
	buf_puts(&text, "10.0.0.1 - - [27/Nov/2026:07:21:00 +0000] \"GET / HTTP/1.1\" 200 1 "
	    "\"-\" \"c\"\n");
	feed_as(&d, FORMAT_COMBINED, buf_str(&text));
	digest_analyse(&d);
	assert_int_equal(d.norder, 2);
	assert_string_equal(digest_template(&d, d.order[0]), "GET /u/<*>/feed");
	assert_int_equal(d.t[d.order[0]].count, 40);
	assert_int_equal(d.t[d.order[0]].e4, 10);
	assert_int_equal(d.t[d.order[0]].e5, 20);
	assert_int_equal(d.t[d.order[1]].e4 + d.t[d.order[1]].e5, 0);
	buf_release(&text);
	digest_release(&d);
}

static void
since_until_filter_lines(void **state)
{
	struct digest d;
	struct digest_opts o = { 0 };

	o.since_ms = BASE + 60000;
	o.until_ms = BASE + 120000;
	assert_int_equal(digest_init(&d, &o), 0);
	feed(&d, "2026-11-27 07:20:00 a 1\n2026-11-27 07:21:00 a 2\ncontinued without time\n"
	    "2026-11-27 07:22:00 a 3\n");
	digest_analyse(&d);
	assert_int_equal(d.mined, 2);	/* 07:21 and the line after it */
	assert_int_equal(d.filtered, 2);
	digest_release(&d);
}

/* Minutes at which the unrelated message shows up: now and then, irregularly. */
static int
irregular(int i)
{
	static const int at[] = { 7, 19, 23, 71, 140, 141, 199, 333, 410, 411, 590 };

	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++)
		if (at[k] == i)
			return 1;
	return 0;
}

static void
analyse_finds_period_and_burst(void **state)
{
	struct digest d;
	struct digest_opts o = { 0 };
	struct buf text = BUF_INIT(1 << 24);
	char ts[32];

	assert_int_equal(digest_init(&d, &o), 0);
	for (int i = 0; i < 600; i++) {
		time_t t = (time_t)(BASE / 1000 + i * 60);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		buf_printf(&text, "%s backup job %d done\n", ts, i);
		if (i == 300)
			for (int k = 0; k < 200; k++)
				buf_printf(&text, "%s connection refused by db %d\n", ts, k);
		else if (irregular(i))
			buf_printf(&text, "%s connection refused by db %d\n", ts, i);
	}
	feed(&d, buf_str(&text));
	digest_analyse(&d);
	for (size_t i = 0; i < d.norder; i++) {
		const struct digest_tmpl *t = &d.t[d.order[i]];
		const char *s = digest_template(&d, d.order[i]);

		if (strncmp(s, "backup", 6) == 0) {
			assert_true(t->period.periodic);
			assert_true(t->period.period_s > 57 && t->period.period_s < 63);
			assert_int_equal(t->nbursts, 0);
		} else {
			assert_false(t->period.periodic);
			assert_int_equal(t->nbursts, 1);
			assert_true(t->bursts[0].peak >= 200);
		}
	}
	buf_release(&text);
	digest_release(&d);
}

static void
request_times_go_to_their_template_and_over_time(void **state)
{
	struct digest d;
	struct digest_opts o = { 0 };
	struct buf text = BUF_INIT(1 << 20);

	o.miner.exact = 1;
	assert_int_equal(digest_init(&d, &o), 0);
	for (int i = 0; i < 100; i++) {
		buf_printf(&text, "10.0.0.1 - - [27/Nov/2026:07:%02d:%02d +0000] \"GET /report.php?id=%d "
		    "HTTP/1.1\" 200 10 \"-\" \"curl\" 2.%03d 1.900\n", 20 + i / 60, i % 60, i, i);
		buf_printf(&text, "10.0.0.2 - - [27/Nov/2026:07:%02d:%02d +0000] \"GET /static/a.css "
		    "HTTP/1.1\" 200 10 \"-\" \"curl\" 0.001 -\n", 20 + i / 60, i % 60);
	}
	buf_puts(&text, "10.0.0.2 - - [27/Nov/2026:07:22:00 +0000] \"GET /untimed HTTP/1.1\" 200 1 "
	    "\"-\" \"curl\"\n");
	feed_as(&d, FORMAT_COMBINED, buf_str(&text));
	digest_analyse(&d);
	assert_int_equal(d.lat_all.n, 200);
	assert_int_equal(d.nlat, 2);
	for (size_t i = 0; i < d.norder; i++) {
		const struct digest_tmpl *t = &d.t[d.order[i]];
		const char *s = digest_template(&d, d.order[i]);

		if (strstr(s, "report.php") != NULL) {
			assert_int_equal(t->lat->n, 100);
			assert_int_equal(t->lat->up_n, 100);
			assert_int_equal(t->lat->max_us, 2099000);
			assert_true(latency_q(t->lat, 0.5) > 1.9e6 && latency_q(t->lat, 0.5) < 2.2e6);
		} else if (strstr(s, "a.css") != NULL) {
			assert_int_equal(t->lat->n, 100);
			assert_int_equal(t->lat->up_n, 0);
		} else {
			assert_null(t->lat);
		}
	}
	{
		uint64_t over_time = 0;

		for (size_t k = 0; k < (size_t)LATENCY_BUCKETS * TIMELINE_BINS; k++)
			over_time += d.lat_bins[k];
		assert_int_equal(over_time, 200);
	}
	buf_release(&text);
	digest_release(&d);
}

/* "2026-11-27 07:20:00" for BASE + ms */
static void
stamp(char *out, size_t n, int64_t ms)
{
	time_t t = (time_t)((BASE + ms) / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

static void
runs_of_a_job_are_not_its_firings(void **state)
{
	struct digest d;
	struct digest_opts o = { 0 };
	struct buf text = BUF_INIT(1 << 20);
	const int extra[] = { 100, 777, 1234, 1800, 2222, 2501, 2900, 3100 };
	char ts[32];
	size_t e = 0;

	/* 56 runs in 55 minutes; every fourth run logs twice, 2 s apart; other lines now and then */
	assert_int_equal(digest_init(&d, &o), 0);
	for (int i = 0; i < 56; i++) {
		for (; e < sizeof(extra) / sizeof(extra[0]) && extra[e] < i * 60; e++) {
			stamp(ts, sizeof(ts), extra[e] * 1000LL);
			buf_printf(&text, "%s sync started\n", ts);
		}
		stamp(ts, sizeof(ts), i * 60000LL);
		buf_printf(&text, "%s sync started\n", ts);
		if (i % 4 == 1) {
			stamp(ts, sizeof(ts), i * 60000LL + 2000);
			buf_printf(&text, "%s sync started\n", ts);
		}
	}
	feed(&d, buf_str(&text));
	digest_analyse(&d);
	assert_true(d.t[d.order[0]].period.periodic);
	assert_int_equal(d.t[d.order[0]].period.runs, 56);
	assert_int_equal(d.t[d.order[0]].period.first_ms, BASE);
	assert_int_equal(d.t[d.order[0]].period.last_ms, BASE + 55 * 60000LL);
	buf_release(&text);
	digest_release(&d);
}

static void
runs_before_the_firing_ring_are_counted(void **state)
{
	struct digest d;
	struct digest_opts o = { 0 };
	struct buf text = BUF_INIT(1 << 24);
	char ts[32];

	/* 3000 runs a minute apart: more than the ring of firing times holds */
	assert_int_equal(digest_init(&d, &o), 0);
	for (int i = 0; i < 3000; i++) {
		time_t t = (time_t)(BASE / 1000 + i * 60);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		buf_printf(&text, "%s backup started\n", ts);
	}
	feed(&d, buf_str(&text));
	digest_analyse(&d);
	assert_int_equal(d.norder, 1);
	assert_true(d.t[d.order[0]].period.periodic);
	assert_true(d.t[d.order[0]].period.runs >= 2990 && d.t[d.order[0]].period.runs <= 3010);
	assert_int_equal(d.t[d.order[0]].period.first_ms, BASE);
	assert_int_equal(d.t[d.order[0]].period.last_ms, BASE + 2999 * 60000LL);
	buf_release(&text);
	digest_release(&d);
}

struct event {
	int64_t ms;
	char line[160];
};

static int
by_time(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	return (x->ms > y->ms) - (x->ms < y->ms);
}

static void
clf_time(char *out, size_t n, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%d/%b/%Y:%H:%M:%S +0000", &tm);
}

/*
 * Thousands of clients come and go, so the pair table fills and drops
 * pairs again and again (their rings given back and handed out anew),
 * while one client's job calls every 5 minutes for 10 hours and a few
 * busy clients fire often enough to fill and wrap the largest ring: the
 * job is still found, with every run.
 */
static void
a_job_survives_pair_churn(void **state)
{
	enum { CLIENTS = 9000, JOB_RUNS = 120, BUSY = 3, BUSY_HITS = 1500 };
	size_t cap = (size_t)CLIENTS * 4 + JOB_RUNS + BUSY * BUSY_HITS, n = 0;
	struct event *ev = calloc(cap, sizeof(*ev));
	struct buf text = BUF_INIT((size_t)1 << 26);
	struct digest d;
	struct digest_opts o = { 0 };
	int64_t span = 10 * 3600 * 1000LL;
	unsigned seed = 7;
	int found = 0, wrapped = 0;

	assert_non_null(ev);
	for (int c = 0; c < CLIENTS; c++) {
		int64_t at = (int64_t)(rand_r(&seed) % (unsigned)(span / 1000 - 60)) * 1000;

		for (int k = 0; k < 4; k++, n++) {
			ev[n].ms = BASE + at + k * 5000LL;
			snprintf(ev[n].line, sizeof(ev[n].line), "10.%d.%d.%d \"GET /page/%d HTTP/1.1\" 200",
			    c / 65536, c / 256 % 256, c % 256, c);
		}
	}
	for (int r = 0; r < JOB_RUNS; r++, n++) {
		ev[n].ms = BASE + r * 300000LL + 1000;
		snprintf(ev[n].line, sizeof(ev[n].line), "192.0.2.99 \"POST /cron/sync HTTP/1.1\" 200");
	}
	for (int c = 0; c < BUSY; c++)
		for (int k = 0; k < BUSY_HITS; k++, n++) {
			ev[n].ms = BASE + k * 20000LL + c * 3000;
			snprintf(ev[n].line, sizeof(ev[n].line), "198.51.100.%d \"GET /feed HTTP/1.1\" 200", c);
		}
	qsort(ev, n, sizeof(*ev), by_time);
	for (size_t i = 0; i < n; i++) {
		char ts[40], *sp = strchr(ev[i].line, ' ');

		clf_time(ts, sizeof(ts), ev[i].ms);
		buf_printf(&text, "%.*s - - [%s] %s 512 \"-\" \"agent\"\n", (int)(sp - ev[i].line),
		    ev[i].line, ts, sp + 1);
	}
	assert_int_equal(digest_init(&d, &o), 0);
	feed_as(&d, FORMAT_COMBINED, buf_str(&text));
	digest_analyse(&d);
	assert_int_equal(d.requests, n);
	for (size_t i = 0; i < DIGEST_MAX_PAIRS; i++) {
		const struct digest_pair *p = &d.pairs[i];

		if (d.pair_keys[i] != 0 && p->nfire == DIGEST_PAIR_RING)
			wrapped++;
		if (d.pair_keys[i] == 0 || strcmp(p->client, "192.0.2.99") != 0)
			continue;
		found = 1;
		assert_true(p->period.periodic);
		assert_true(p->period.period_s > 299 && p->period.period_s < 301);
		assert_int_equal(p->period.runs, JOB_RUNS);
	}
	assert_true(found);
	assert_true(d.pair_floor > 0);	/* pairs were dropped */
	assert_int_equal(wrapped, BUSY);	/* and the largest rings filled */
	digest_release(&d);
	buf_release(&text);
	free(ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(merged_templates_keep_all_their_lines),
		cmocka_unit_test(access_templates_count_their_errors),
		cmocka_unit_test(since_until_filter_lines),
		cmocka_unit_test(analyse_finds_period_and_burst),
		cmocka_unit_test(request_times_go_to_their_template_and_over_time),
		cmocka_unit_test(runs_of_a_job_are_not_its_firings),
		cmocka_unit_test(runs_before_the_firing_ring_are_counted),
		cmocka_unit_test(a_job_survives_pair_churn),
	};

	return cmocka_run_group_tests_name("digest", tests, unit_utc_setup, NULL);
}
