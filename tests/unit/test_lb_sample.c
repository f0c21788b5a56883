/*
 * test_lb_sample.c - the load balancer's samples: the latency histogram's
 * buckets and percentiles, and the sums over workers that survive a worker
 * exiting (a reload) without counting anything twice.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "lb/config.h"
#include "lb/sample.h"
#include "lb/server.h"
#include "lb/worker.h"

static void
buckets_are_two_per_octave_from_128us_to_67s(void **state)
{
	assert_int_equal(sample_bucket(0), 0);
	assert_int_equal(sample_bucket(127), 0);
	assert_int_equal(sample_bucket(128), 1);
	assert_int_equal(sample_bucket(191), 1);
	assert_int_equal(sample_bucket(192), 2);
	assert_int_equal(sample_bucket(256), 3);
	assert_int_equal(sample_bucket(1000), 6);       /* [768, 1024) */
	assert_int_equal(sample_bucket(1024), 7);
	assert_int_equal(sample_bucket((1 << 26) - 1), SAMPLE_BUCKETS - 2);
	assert_int_equal(sample_bucket(1 << 26), SAMPLE_BUCKETS - 1);
	assert_int_equal(sample_bucket(INT64_MAX), SAMPLE_BUCKETS - 1);
	/* every bucket starts where the one before ends, and holds its own start */
	for (int b = 1; b < SAMPLE_BUCKETS; b++) {
		assert_true(sample_bucket_lo(b) > sample_bucket_lo(b - 1));
		assert_int_equal(sample_bucket(sample_bucket_lo(b)), b);
		assert_int_equal(sample_bucket(sample_bucket_lo(b) - 1), b - 1);
	}
}

static void
percentiles_come_from_the_bucket_they_fall_in(void **state)
{
	uint64_t h[SAMPLE_BUCKETS] = { 0 };
	double p50, p99;

	assert_true(sample_quantile(h, 0, 0.5) < 0);
	/* 98 answers at about 1.5 ms, 2 at about 200 ms */
	h[sample_bucket(1500)] = 98;
	h[sample_bucket(200000)] = 2;
	p50 = sample_quantile(h, 100, 0.50);
	p99 = sample_quantile(h, 100, 0.99);
	assert_true(p50 >= 1.024 && p50 <= 1.536);
	assert_true(p99 >= 196.608 && p99 <= 262.144);
	/* one answer: every percentile is in its bucket */
	memset(h, 0, sizeof(h));
	h[sample_bucket(5000)] = 1;
	assert_true(sample_quantile(h, 1, 0.5) > 4.096 && sample_quantile(h, 1, 0.5) <= 6.144);
	assert_true(sample_quantile(h, 1, 0.99) <= 6.144);
	/* past the last bound the bound is said */
	memset(h, 0, sizeof(h));
	h[SAMPLE_BUCKETS - 1] = 3;
	assert_true(sample_quantile(h, 3, 0.99) == (double)(1 << 26) / 1000);
}

/* A configuration of one pool with two servers and their runtime states. */
static struct lb_config *
two_servers(void)
{
	struct lb_config *cfg = config_new();
	struct pool *p;
	char err[ERR_LEN];

	assert_non_null(cfg);
	assert_non_null(p = config_add_pool(cfg, "web", err));
	assert_int_equal(config_add_server_line(cfg, p, "a 127.0.0.1:1", err), 0);
	assert_int_equal(config_add_server_line(cfg, p, "b 127.0.0.1:2", err), 0);
	assert_int_equal(server_states_attach(cfg, err), 0);
	return cfg;
}

static void
sums_survive_a_worker_exiting_and_count_nothing_twice(void **state)
{
	struct lb_config *cfg = two_servers();
	struct worker w1, w2;
	struct pool *p = &cfg->pool[0];
	struct sample_sums *ps = &p->st->sums, *sa = &cfg->servers[0].st->sums;

	memset(&w1, 0, sizeof(w1));
	memset(&w2, 0, sizeof(w2));
	w1.cfg = w2.cfg = cfg;
	assert_int_equal(sample_worker_init(&w1), 0);
	assert_int_equal(sample_worker_init(&w2), 0);
	sample_answer(&w1, p, &cfg->servers[0], 200, 900);
	sample_answer(&w1, p, &cfg->servers[1], 503, 1500);
	sample_answer(&w2, p, &cfg->servers[0], 404, 800);
	sample_answer(&w2, p, NULL, 503, 10);           /* ours: no server */
	sample_answer(&w2, p, &cfg->servers[0], 0, 20); /* a TCP relay: no class */

	sample_collect_start(cfg);
	sample_collect_worker(&w1);
	sample_collect_worker(&w2);
	sample_write(cfg, 1000);
	assert_int_equal(ps->prev.answered, 5);
	assert_int_equal(ps->prev.cls[0], 1);
	assert_int_equal(ps->prev.cls[2], 1);
	assert_int_equal(ps->prev.cls[3], 2);
	assert_int_equal(sa->prev.answered, 3);
	assert_int_equal(sa->prev.lat[sample_bucket(900)], 2);     /* 900 and 800 us */

	/* w1 exits (its generation was replaced): its counts are kept, once */
	sample_retire(&w1);
	sample_answer(&w2, p, &cfg->servers[1], 200, 700);
	sample_collect_start(cfg);
	sample_collect_worker(&w2);
	sample_write(cfg, 2000);
	assert_int_equal(ps->prev.answered, 6);
	assert_int_equal(sa->prev.answered, 3);
	assert_int_equal(cfg->servers[1].st->sums.prev.answered, 2);

	sample_worker_release(&w1);
	sample_worker_release(&w2);
	server_states_detach(cfg);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buckets_are_two_per_octave_from_128us_to_67s),
		cmocka_unit_test(percentiles_come_from_the_bucket_they_fall_in),
		cmocka_unit_test(sums_survive_a_worker_exiting_and_count_nothing_twice),
	};

	return cmocka_run_group_tests_name("lb_sample", tests, NULL, NULL);
}
