/*
 * test_topk.c - top-k counting stays exact under its cap and keeps the
 * heavy hitters past it.
 */
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "logs/topk.h"

static void
add(struct topk *k, const char *s, uint64_t n)
{
	topk_add(k, s, strlen(s), strtab_hash(s, strlen(s)), n);
}

static void
exact_under_the_cap(void **state)
{
	struct topk k;
	struct topk_item it[3];

	topk_init(&k, 100);
	add(&k, "a", 5);
	add(&k, "b", 7);
	add(&k, "a", 3);
	assert_int_equal(topk_top(&k, it, 3), 2);
	assert_memory_equal(it[0].s, "a", 1);
	assert_int_equal(it[0].count, 8);
	assert_int_equal(it[1].count, 7);
	assert_false(k.approximate);
	topk_release(&k);
}

static void
heavy_hitters_survive_many_distinct_strings(void **state)
{
	struct topk k;
	struct topk_item it[1];
	char s[32];

	topk_init(&k, 64);
	for (int i = 0; i < 10000; i++) {
		add(&k, "10.0.0.1", 1);
		snprintf(s, sizeof(s), "client-%d", i);
		add(&k, s, 1);
	}
	assert_true(topk_size(&k) <= 64);
	assert_true(k.approximate);
	assert_int_equal(topk_top(&k, it, 1), 1);
	assert_memory_equal(it[0].s, "10.0.0.1", 8);
	assert_true(it[0].count >= 9000);
	assert_int_equal(k.total, 20000);
	topk_release(&k);
}

/* The same strings counted in three tables, merged, come out as counted in one. */
static void
merged_tables_count_as_one_and_ties_go_in_byte_order(void **state)
{
	struct topk one, part[3], all;
	struct topk_item a[50], b[50];
	char s[32];
	size_t n;

	topk_init(&one, 100);
	topk_init(&all, 100);
	for (int p = 0; p < 3; p++)
		topk_init(&part[p], 100);
	for (int i = 0; i < 3000; i++) {
		snprintf(s, sizeof(s), "client-%d", (i * 7) % 40);
		add(&one, s, 1);
		add(&part[i % 3], s, 1);
	}
	for (int p = 0; p < 3; p++) {
		topk_merge(&all, &part[p]);	/* the first moves, the others add */
		assert_int_equal(topk_size(&part[p]), 0);
	}
	n = topk_top(&one, a, 50);
	assert_int_equal(n, 40);
	assert_int_equal(topk_top(&all, b, 50), n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(a[i].count, b[i].count);
		assert_int_equal(a[i].len, b[i].len);
		assert_memory_equal(a[i].s, b[i].s, a[i].len);
		/* equal counts: in byte order of the strings */
		if (i > 0 && a[i].count == a[i - 1].count)
			assert_true(memcmp(a[i - 1].s, a[i].s, a[i].len < a[i - 1].len ? a[i].len :
			    a[i - 1].len) <= 0);
	}
	assert_int_equal(all.total, 3000);
	topk_release(&one);
	topk_release(&all);
	for (int p = 0; p < 3; p++)
		topk_release(&part[p]);
}

/* A block's counted strings go in with their counts; uncounted ones not at all. */
static void
a_counted_table_adds_its_counts(void **state)
{
	struct strtab t;
	struct topk k;
	struct topk_item it[300];
	char s[32];

	strtab_init(&t, 1000, 1 << 16);
	topk_init(&k, 1000);
	for (int i = 0; i < 200; i++) {
		long j;

		snprintf(s, sizeof(s), "ua-%d", i);
		j = strtab_intern(&t, s, strlen(s), strtab_hash(s, strlen(s)));
		assert_true(j >= 0);
		t.e[j].count = (uint64_t)(i % 4);
	}
	topk_add_counted(&k, &t);
	assert_int_equal(topk_size(&k), 150);
	assert_int_equal(k.total, 50 * (1 + 2 + 3));
	assert_int_equal(topk_top(&k, it, 300), 150);
	assert_int_equal(it[0].count, 3);
	strtab_release(&t);
	topk_release(&k);
}

/* The first few of the ranking are those of the whole ranking, ties included. */
static void
a_short_top_is_the_head_of_the_whole_ranking(void **state)
{
	struct topk k;
	struct topk_item all[1000], few[10];
	char s[32];

	topk_init(&k, 2000);
	srand(3);
	for (int i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "c%d", rand() % 5000);
		add(&k, s, (uint64_t)(rand() % 7) + 1);
	}
	for (size_t m = 1; m <= 10; m++) {
		size_t n = topk_top(&k, few, m), na = topk_top(&k, all, 1000);

		assert_int_equal(n, m);
		assert_true(na > m);
		for (size_t i = 0; i < m; i++) {
			assert_int_equal(few[i].count, all[i].count);
			assert_int_equal(few[i].len, all[i].len);
			assert_memory_equal(few[i].s, all[i].s, few[i].len);
		}
	}
	topk_release(&k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_under_the_cap),
		cmocka_unit_test(heavy_hitters_survive_many_distinct_strings),
		cmocka_unit_test(merged_tables_count_as_one_and_ties_go_in_byte_order),
		cmocka_unit_test(a_counted_table_adds_its_counts),
		cmocka_unit_test(a_short_top_is_the_head_of_the_whole_ranking),
	};

	return cmocka_run_group_tests_name("topk", tests, NULL, NULL);
}
