/*
 * test_lb_balance.c - choosing a server: smooth weighted round robin,
 * consistent hashing (the ring, the spread of keys, what moves when a server
 * goes away) and its bounded load, and the servers every algorithm skips.
 * Real runtime states and a worker's per-server state, no threads.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "lb/balance.h"
#include "lb/config.h"
#include "lb/ring.h"
#include "lb/server.h"
#include "lb/stream.h"
#include "lb/worker.h"

/* One pool, its servers' runtime states, a worker and a stream to place. */
struct bench {
	struct lb_config *cfg;
	struct pool *p;
	struct worker w;
	struct stream s;
};

/* A pool balanced by balance with the servers given as file lines ("a 127.0.0.1:1 weight=5"). */
static void
bench_init(struct bench *b, const char *balance, const char *const *servers, int n)
{
	char err[ERR_LEN];

	memset(b, 0, sizeof(*b));
	assert_non_null(b->cfg = config_new());
	assert_non_null(b->p = config_add_pool(b->cfg, "p", err));
	for (int i = 0; i < n; i++)
		if (config_add_server_line(b->cfg, b->p, servers[i], err) < 0)
			fail_msg("%s: %s", servers[i], err);
	assert_int_equal(config_set_balance(b->p, balance, err), 0);
	if (strncmp(balance, "hash", 4) == 0)
		assert_int_equal(ring_build(b->p, err), 0);
	assert_int_equal(server_states_attach(b->cfg, err), 0);
	b->w.cfg = b->cfg;
	b->w.now = 1000000;
	b->w.rng = 0x9e3779b97f4a7c15ULL;
	assert_non_null(b->w.sl = calloc((size_t)n, sizeof(*b->w.sl)));
	b->s.w = &b->w;
	b->s.pool = b->p;
}

static void
bench_release(struct bench *b)
{
	server_states_detach(b->cfg);
	config_free(b->cfg);
	free(b->w.sl);
}

/* Place the stream (by key when hashing); the server's index, -1 none up, -2 all full. */
static int
pick(struct bench *b, const char *key, int keep_slot)
{
	int rc;
	struct server *sv;

	b->s.srv = NULL;
	b->s.flags = 0;
	if (key != NULL) {
		b->s.hash = ring_hash(key, strlen(key));
		b->s.flags |= SF_HASHED;
	}
	rc = balance_select(&b->w, &b->s);
	if (rc != 1)
		return rc == 0 ? -2 : -1;
	sv = b->s.srv;
	if (!keep_slot)
		server_release(&b->w, sv);
	return sv->index;
}

static int
active(const struct bench *b, int i)
{
	return atomic_load(&b->cfg->servers[i].st->active);
}

/* ---- smooth weighted round robin ---- */

static void
roundrobin_interleaves_weights_5_1_1_as_nginx_does(void **state)
{
	static const char *const srv[] = {
		"a 127.0.0.1:1 weight=5", "b 127.0.0.1:2", "c 127.0.0.1:3",
	};
	static const char want[] = "aabacaa" "aabacaa" "aabacaa";
	struct bench b;
	char got[sizeof(want)];

	bench_init(&b, "roundrobin", srv, 3);
	for (size_t i = 0; i < sizeof(want) - 1; i++)
		got[i] = (char)('a' + pick(&b, NULL, 0));
	got[sizeof(want) - 1] = '\0';
	assert_string_equal(got, want);
	/* every request was counted on its server */
	assert_int_equal(atomic_load(&b.cfg->servers[0].st->requests), 15);
	assert_int_equal(atomic_load(&b.cfg->servers[1].st->requests), 3);
	bench_release(&b);
}

static void
roundrobin_takes_equal_weights_in_turn(void **state)
{
	static const char *const srv[] = { "a 127.0.0.1:1", "b 127.0.0.1:2", "c 127.0.0.1:3" };
	struct bench b;
	char got[10];

	bench_init(&b, "roundrobin", srv, 3);
	for (int i = 0; i < 9; i++)
		got[i] = (char)('a' + pick(&b, NULL, 0));
	got[9] = '\0';
	assert_string_equal(got, "abcabcabc");
	bench_release(&b);
}

static void
roundrobin_skips_drained_down_resting_and_zero_weight_servers(void **state)
{
	static const char *const srv[] = {
		"a 127.0.0.1:1", "b 127.0.0.1:2", "c 127.0.0.1:3", "d 127.0.0.1:4 weight=0",
		"e 127.0.0.1:5",
	};
	struct bench b;

	bench_init(&b, "roundrobin", srv, 5);
	atomic_store(&b.cfg->servers[1].st->admin, ADM_DRAIN);
	atomic_store(&b.cfg->servers[2].st->check_down, 1);
	atomic_store(&b.cfg->servers[4].st->down_until, b.w.now + 1);
	for (int i = 0; i < 6; i++)
		assert_int_equal(pick(&b, NULL, 0), 0);
	/* the rest is over: e is back */
	b.w.now++;
	assert_int_equal(pick(&b, NULL, 0) + pick(&b, NULL, 0), 0 + 4);
	/* nobody left */
	atomic_store(&b.cfg->servers[0].st->admin, ADM_MAINT);
	atomic_store(&b.cfg->servers[4].st->admin, ADM_MAINT);
	assert_int_equal(pick(&b, NULL, 0), -1);
	bench_release(&b);
}

static void
roundrobin_passes_over_a_full_server_and_says_when_all_are_full(void **state)
{
	static const char *const srv[] = {
		"a 127.0.0.1:1 maxconn=1 weight=3", "b 127.0.0.1:2 maxconn=2",
	};
	struct bench b;

	bench_init(&b, "roundrobin", srv, 2);
	assert_int_equal(pick(&b, NULL, 1), 0);
	/* a is full: the next ones go to b, whatever the weights say */
	assert_int_equal(pick(&b, NULL, 1), 1);
	assert_int_equal(pick(&b, NULL, 1), 1);
	assert_int_equal(active(&b, 0) + active(&b, 1), 3);
	assert_int_equal(pick(&b, NULL, 1), -2);
	server_release(&b.w, &b.cfg->servers[0]);
	assert_int_equal(pick(&b, NULL, 1), 0);
	bench_release(&b);
}

static void
a_server_already_tried_for_the_request_is_not_picked_again(void **state)
{
	static const char *const srv[] = { "a 127.0.0.1:1", "b 127.0.0.1:2" };
	struct bench b;

	bench_init(&b, "roundrobin", srv, 2);
	b.s.tried[0] = 1;               /* a */
	for (int i = 0; i < 4; i++)
		assert_int_equal(pick(&b, NULL, 0), 1);
	b.s.tried[0] = 3;
	assert_int_equal(pick(&b, NULL, 0), -1);
	bench_release(&b);
}

static void
slow_start_ramps_the_weight_from_a_tenth_to_all_of_it(void **state)
{
	static const char *const srv[] = { "a 127.0.0.1:1 weight=10" };
	struct bench b;
	struct server *sv;

	bench_init(&b, "roundrobin", srv, 1);
	sv = &b.cfg->servers[0];
	assert_int_equal(server_weight(&b.w, sv), 160);         /* 16 times finer */
	b.p->slow_start = 10000;
	atomic_store(&sv->st->up_since, b.w.now);
	assert_int_equal(server_weight(&b.w, sv), 16);
	atomic_store(&sv->st->up_since, b.w.now - 5000);
	assert_int_equal(server_weight(&b.w, sv), 160 * 55 / 100);
	atomic_store(&sv->st->up_since, b.w.now - 10000);
	assert_int_equal(server_weight(&b.w, sv), 160);
	bench_release(&b);
}

/* ---- consistent hashing ---- */

static void
the_ring_has_points_in_proportion_to_weight_and_is_sorted(void **state)
{
	static const char *const srv[] = {
		"a 127.0.0.1:1", "b 127.0.0.1:2 weight=3", "c 127.0.0.1:3 weight=0",
	};
	struct bench b;
	int per[3] = { 0 };

	bench_init(&b, "hash-uri", srv, 3);
	assert_int_equal(b.p->nring, 4 * RING_POINTS_PER_WEIGHT);
	for (int i = 0; i < b.p->nring; i++) {
		per[b.p->ring[i].server]++;
		if (i > 0)
			assert_true(b.p->ring[i - 1].hash <= b.p->ring[i].hash);
	}
	assert_int_equal(per[0], RING_POINTS_PER_WEIGHT);
	assert_int_equal(per[1], 3 * RING_POINTS_PER_WEIGHT);
	assert_int_equal(per[2], 0);
	/* a key starts at the first point at or after its hash, wrapping past the last */
	assert_int_equal(ring_find(b.p->ring, b.p->nring, 0), 0);
	assert_int_equal(ring_find(b.p->ring, b.p->nring, b.p->ring[7].hash), 7);
	assert_int_equal(ring_find(b.p->ring, b.p->nring, b.p->ring[7].hash + 1), 8);
	assert_int_equal(ring_find(b.p->ring, b.p->nring, UINT64_MAX), b.p->nring);
	bench_release(&b);
}

static void
the_ring_is_capped(void **state)
{
	struct lb_config *cfg = config_new();
	struct pool *p;
	char err[ERR_LEN], line[64];

	assert_non_null(p = config_add_pool(cfg, "p", err));
	for (int i = 0; i < 10; i++) {
		snprintf(line, sizeof(line), "s%d 127.0.0.1:%d weight=256", i, i + 1);
		assert_int_equal(config_add_server_line(cfg, p, line, err), 0);
	}
	assert_int_equal(ring_build(p, err), 0);
	assert_int_equal(p->nring, RING_MAX_POINTS);
	config_free(cfg);
}

static void
hashing_spreads_keys_in_proportion_to_weight(void **state)
{
	static const char *const srv[] = {
		"a 127.0.0.1:1", "b 127.0.0.1:2", "c 127.0.0.1:3", "d 127.0.0.1:4 weight=3",
	};
	static const int weight[] = { 1, 1, 1, 3 };
	enum { KEYS = 60000 };
	struct bench b;
	int count[4] = { 0 };

	bench_init(&b, "hash-uri", srv, 4);
	for (int i = 0; i < KEYS; i++) {
		char key[32];

		snprintf(key, sizeof(key), "/item/%d", i);
		count[pick(&b, key, 0)]++;
	}
	for (int i = 0; i < 4; i++) {
		double share = (double)count[i] / KEYS, want = weight[i] / 6.0;

		if (share < want * 0.6 || share > want * 1.4)
			fail_msg("server %c has %.3f of the keys, its weight says %.3f", 'a' + i, share,
			    want);
	}
	bench_release(&b);
}

static void
hashing_moves_only_the_keys_of_a_server_that_goes_away(void **state)
{
	static const char *const srv[] = {
		"a 127.0.0.1:1", "b 127.0.0.1:2", "c 127.0.0.1:3", "d 127.0.0.1:4",
	};
	enum { KEYS = 5000 };
	struct bench b;
	static int before[KEYS];
	int moved = 0, on_c = 0;

	bench_init(&b, "hash-header:X-User", srv, 4);
	for (int i = 0; i < KEYS; i++) {
		char key[32];

		snprintf(key, sizeof(key), "user-%d", i);
		before[i] = pick(&b, key, 0);
		/* the same key, the same server */
		assert_int_equal(pick(&b, key, 0), before[i]);
	}
	atomic_store(&b.cfg->servers[2].st->check_down, 1);
	for (int i = 0; i < KEYS; i++) {
		char key[32];
		int now;

		snprintf(key, sizeof(key), "user-%d", i);
		now = pick(&b, key, 0);
		assert_int_not_equal(now, 2);
		if (before[i] == 2)
			on_c++;
		else if (now != before[i])
			moved++;
	}
	assert_int_equal(moved, 0);
	assert_true(on_c > KEYS / 8);
	bench_release(&b);
}

static void
bounded_load_keeps_a_hot_key_from_drowning_its_server(void **state)
{
	static const char *const srv[] = {
		"a 127.0.0.1:1", "b 127.0.0.1:2", "c 127.0.0.1:3", "d 127.0.0.1:4",
	};
	struct bench b;
	int home, used = 0, total = 0;

	bench_init(&b, "hash-uri", srv, 4);
	home = pick(&b, "/hot", 0);
	/* at low load the key stays home: the bound is never below 2 */
	assert_int_equal(pick(&b, "/hot", 1), home);
	assert_int_equal(pick(&b, "/hot", 1), home);
	total = 2;
	/* then no server gets past ceil(5/4 x the average load, this request counted) */
	for (int i = 0; i < 60; i++) {
		int64_t limit = ((int64_t)(total + 1) * 5 + 4 * 4 - 1) / (4 * 4);
		int got = pick(&b, "/hot", 1);

		if (limit < 2)
			limit = 2;
		total++;
		if (active(&b, got) > limit)
			fail_msg("request %d: server %c has %d, past the bound %lld", i, 'a' + got,
			    active(&b, got), (long long)limit);
	}
	assert_true(active(&b, home) <= (62 * 5 + 15) / 16);
	for (int i = 0; i < 4; i++)
		used += active(&b, i) > 0;
	assert_int_equal(used, 4);
	assert_int_equal(active(&b, 0) + active(&b, 1) + active(&b, 2) + active(&b, 3), 62);
	bench_release(&b);
}

static void
a_request_without_a_hash_key_is_spread_by_round_robin(void **state)
{
	static const char *const srv[] = { "a 127.0.0.1:1", "b 127.0.0.1:2" };
	struct bench b;

	bench_init(&b, "hash-header:X-User", srv, 2);
	assert_int_equal(pick(&b, NULL, 0), 0);
	assert_int_equal(pick(&b, NULL, 0), 1);
	assert_int_equal(pick(&b, NULL, 0), 0);
	bench_release(&b);
}

/* ---- least connections ---- */

static void
leastconn_picks_the_fewest_connections_for_the_weight(void **state)
{
	static const char *const srv[] = { "a 127.0.0.1:1 weight=2", "b 127.0.0.1:2" };
	struct bench b;

	bench_init(&b, "leastconn", srv, 2);
	atomic_store(&b.cfg->servers[0].st->active, 3);
	atomic_store(&b.cfg->servers[1].st->active, 2);
	/* 3 for a weight of 2 is lighter than 2 for a weight of 1 */
	assert_int_equal(pick(&b, NULL, 0), 0);
	atomic_store(&b.cfg->servers[0].st->active, 5);
	assert_int_equal(pick(&b, NULL, 0), 1);
	/* the queue's choice, on shared counters only, agrees */
	assert_int_equal(balance_select_shared(&b.w, &b.s), 1);
	assert_int_equal(b.s.srv->index, 1);
	server_release(&b.w, b.s.srv);
	bench_release(&b);
}

/* ---- the panic threshold ---- */

static void
below_the_healthy_share_a_pool_balances_over_every_ready_server(void **state)
{
	static const char *const srv[] = {
		"a 127.0.0.1:1", "b 127.0.0.1:2", "c 127.0.0.1:3", "d 127.0.0.1:4",
	};
	struct bench b;
	int total, seen[4] = { 0 };

	bench_init(&b, "roundrobin", srv, 4);
	/* two of four down: 50 % healthy, not below the default 50 %: no panic */
	atomic_store(&b.cfg->servers[0].st->check_down, 1);
	atomic_store(&b.cfg->servers[1].st->down_until, b.w.now + 5000);       /* resting */
	assert_int_equal(server_pool_health(b.p, b.w.now, &total), 2);
	assert_int_equal(total, 4);
	server_pool_check(b.p, b.w.now);
	assert_false(server_pool_panic(b.p));
	for (int i = 0; i < 8; i++)
		seen[pick(&b, NULL, 0)]++;
	assert_int_equal(seen[0] + seen[1], 0);
	/* three down: panic, and every server gets requests again */
	atomic_store(&b.cfg->servers[2].st->check_down, 1);
	server_pool_check(b.p, b.w.now);
	assert_true(server_pool_panic(b.p));
	assert_int_equal(atomic_load(&b.p->st->panics), 1);
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 8; i++)
		seen[pick(&b, NULL, 0)]++;
	for (int i = 0; i < 4; i++)
		assert_int_equal(seen[i], 2);
	/* an operator's word holds even in panic, and such a server is not counted */
	atomic_store(&b.cfg->servers[3].st->admin, ADM_MAINT);
	assert_int_equal(server_pool_health(b.p, b.w.now, &total), 0);
	assert_int_equal(total, 3);
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 9; i++)
		seen[pick(&b, NULL, 0)]++;
	assert_int_equal(seen[3], 0);
	/* the rest ends and the checks pass: out of panic */
	atomic_store(&b.cfg->servers[0].st->check_down, 0);
	atomic_store(&b.cfg->servers[2].st->check_down, 0);
	server_pool_check(b.p, b.w.now + 6000);
	assert_false(server_pool_panic(b.p));
	assert_int_equal(atomic_load(&b.p->st->panics), 1);
	bench_release(&b);
}

static void
panic_threshold_0_never_panics_and_100_panics_at_the_first_server_down(void **state)
{
	static const char *const srv[] = { "a 127.0.0.1:1", "b 127.0.0.1:2" };
	struct bench b;

	bench_init(&b, "leastconn", srv, 2);
	atomic_store(&b.cfg->servers[0].st->check_down, 1);
	atomic_store(&b.cfg->servers[1].st->check_down, 1);
	b.p->panic_threshold = 0;
	server_pool_check(b.p, b.w.now);
	assert_false(server_pool_panic(b.p));
	assert_int_equal(pick(&b, NULL, 0), -1);
	atomic_store(&b.cfg->servers[1].st->check_down, 0);
	b.p->panic_threshold = 100;
	server_pool_check(b.p, b.w.now);
	assert_true(server_pool_panic(b.p));
	bench_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(below_the_healthy_share_a_pool_balances_over_every_ready_server),
		cmocka_unit_test(panic_threshold_0_never_panics_and_100_panics_at_the_first_server_down),
		cmocka_unit_test(roundrobin_interleaves_weights_5_1_1_as_nginx_does),
		cmocka_unit_test(roundrobin_takes_equal_weights_in_turn),
		cmocka_unit_test(roundrobin_skips_drained_down_resting_and_zero_weight_servers),
		cmocka_unit_test(roundrobin_passes_over_a_full_server_and_says_when_all_are_full),
		cmocka_unit_test(a_server_already_tried_for_the_request_is_not_picked_again),
		cmocka_unit_test(slow_start_ramps_the_weight_from_a_tenth_to_all_of_it),
		cmocka_unit_test(the_ring_has_points_in_proportion_to_weight_and_is_sorted),
		cmocka_unit_test(the_ring_is_capped),
		cmocka_unit_test(hashing_spreads_keys_in_proportion_to_weight),
		cmocka_unit_test(hashing_moves_only_the_keys_of_a_server_that_goes_away),
		cmocka_unit_test(bounded_load_keeps_a_hot_key_from_drowning_its_server),
		cmocka_unit_test(a_request_without_a_hash_key_is_spread_by_round_robin),
		cmocka_unit_test(leastconn_picks_the_fewest_connections_for_the_weight),
	};

	return cmocka_run_group_tests_name("lb_balance", tests, NULL, NULL);
}
