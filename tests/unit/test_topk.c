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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_under_the_cap),
		cmocka_unit_test(heavy_hitters_survive_many_distinct_strings),
	};

	return cmocka_run_group_tests_name("topk", tests, NULL, NULL);
}
