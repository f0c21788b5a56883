/*
 * test_conns_tally.c - counting sessions by key, with a cap on keys.
 */
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "conns/conns_tally.h"

static void
counts_add_up_per_key(void **state)
{
	struct conns_tally t = { 0 };

	conns_tally_add(&t, "idle", 1);
	conns_tally_add(&t, "active", 1);
	conns_tally_add(&t, "idle", 2);
	assert_int_equal(t.n, 2);
	assert_int_equal(conns_tally_get(&t, "idle"), 3);
	assert_int_equal(conns_tally_get(&t, "active"), 1);
	assert_int_equal(conns_tally_get(&t, "absent"), 0);
}

static void
sort_is_by_count_then_key(void **state)
{
	struct conns_tally t = { 0 };

	conns_tally_add(&t, "b", 1);
	conns_tally_add(&t, "c", 5);
	conns_tally_add(&t, "a", 1);
	conns_tally_sort(&t);
	assert_string_equal(t.item[0].key, "c");
	assert_string_equal(t.item[1].key, "a");
	assert_string_equal(t.item[2].key, "b");
}

static void
keys_past_the_cap_go_to_other(void **state)
{
	struct conns_tally t = { 0 };
	char key[32];

	for (int i = 0; i < CONNS_TALLY_MAX + 10; i++) {
		snprintf(key, sizeof(key), "client%d", i);
		conns_tally_add(&t, key, 1);
	}
	assert_int_equal(t.n, CONNS_TALLY_MAX);
	assert_int_equal(t.other, 10);
	/* Known keys still count after the cap is hit. */
	conns_tally_add(&t, "client0", 1);
	assert_int_equal(conns_tally_get(&t, "client0"), 2);
}

static void
long_keys_are_cut_not_overflowed(void **state)
{
	struct conns_tally t = { 0 };
	char key[CONNS_KEY_LEN * 2];

	memset(key, 'x', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	conns_tally_add(&t, key, 1);
	conns_tally_add(&t, key, 1);
	assert_int_equal(t.n, 1);
	assert_int_equal(strlen(t.item[0].key), CONNS_KEY_LEN - 1);
	assert_int_equal(t.item[0].count, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts_add_up_per_key),
		cmocka_unit_test(sort_is_by_count_then_key),
		cmocka_unit_test(keys_past_the_cap_go_to_other),
		cmocka_unit_test(long_keys_are_cut_not_overflowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
