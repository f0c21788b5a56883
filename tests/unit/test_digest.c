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

static void
feed(struct digest *d, const char *text)
{
	static const enum format_id formats[1] = { FORMAT_GENERIC };
	struct work_cfg cfg = { formats, NULL, NULL, 65536, BASE };
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

static int
utc(void **state)
{
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(merged_templates_keep_all_their_lines),
		cmocka_unit_test(since_until_filter_lines),
		cmocka_unit_test(analyse_finds_period_and_burst),
	};

	return cmocka_run_group_tests_name("digest", tests, utc, NULL);
}
