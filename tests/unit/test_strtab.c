/*
 * test_strtab.c - the capped interning table: dense indexes, equal strings
 * found again, caps refused cleanly, reset keeps working; a mapped table
 * moves into its hugemap on the way and keeps every entry.
 */
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "logs/strtab.h"

static long
put(struct strtab *t, const char *s)
{
	return strtab_intern(t, s, strlen(s), strtab_hash(s, strlen(s)));
}

static void
indexes_are_dense_and_stable(void **state)
{
	struct strtab t;
	char s[32];

	strtab_init(&t, 10000, 1 << 20);
	for (int i = 0; i < 5000; i++) {
		snprintf(s, sizeof(s), "key-%d", i);
		assert_int_equal(put(&t, s), i);
	}
	for (int i = 0; i < 5000; i += 7) {
		snprintf(s, sizeof(s), "key-%d", i);
		assert_int_equal(put(&t, s), i);
		assert_int_equal(strtab_find(&t, s, strlen(s), strtab_hash(s, strlen(s))), i);
	}
	assert_memory_equal(strtab_str(&t, 42), "key-42", 6);
	assert_int_equal(strtab_find(&t, "nope", 4, strtab_hash("nope", 4)), -1);
	strtab_release(&t);
}

static void
caps_refuse_without_damage(void **state)
{
	struct strtab t;

	strtab_init(&t, 2, 1 << 20);
	assert_int_equal(put(&t, "a"), 0);
	assert_int_equal(put(&t, "b"), 1);
	assert_int_equal(put(&t, "c"), -1);
	assert_int_equal(put(&t, "a"), 0);
	strtab_release(&t);
	strtab_init(&t, 100, 8);
	assert_int_equal(put(&t, "12345678"), 0);
	assert_int_equal(put(&t, "x"), -1);
	strtab_reset(&t);
	assert_int_equal(put(&t, "x"), 0);
	assert_int_equal(t.n, 1);
	strtab_release(&t);
}

static void
hashes_agree_on_equal_strings(void **state)
{
	const char *ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
	    "Chrome/120.0.0.0 Safari/537.36";
	char copy[256];

	snprintf(copy, sizeof(copy), "%s", ua);
	assert_true(strtab_hash(ua, strlen(ua)) == strtab_hash(copy, strlen(copy)));
	assert_true(strtab_hash_ends(ua, strlen(ua)) == strtab_hash_ends(copy, strlen(copy)));
	assert_true(strtab_hash("ab", 2) != strtab_hash("ba", 2));
	assert_true(strtab_hash("", 0) != strtab_hash("\0", 1));
}

/* The same strings in a plain and a mapped table: the same indexes, before and after the move. */
static void
mapped_table_moves_and_keeps_entries(void **state)
{
	struct strtab a, b;
	char s[48];
	int n = STRTAB_MAP_AT * 20;

	strtab_init(&a, (size_t)n + 10, (size_t)n * 48);
	strtab_init_mapped(&b, (size_t)n + 10, (size_t)n * 48);
	for (int i = 0; i < n; i++) {
		snprintf(s, sizeof(s), "client-%d.example.net", i * 7919);
		assert_int_equal(put(&a, s), i);
		assert_int_equal(put(&b, s), i);
		b.e[i].count = (uint64_t)i;
		if (i == STRTAB_MAP_AT - 1)
			assert_null(b.map);	/* small tables stay on the heap */
	}
	assert_non_null(b.map);
	for (int i = 0; i < n; i++) {
		snprintf(s, sizeof(s), "client-%d.example.net", i * 7919);
		assert_int_equal(strtab_find(&b, s, strlen(s), strtab_hash(s, strlen(s))), i);
		assert_int_equal(b.e[i].len, strlen(s));
		assert_memory_equal(strtab_str(&b, (size_t)i), s, strlen(s));
		assert_int_equal(b.e[i].count, i);
	}
	/* the caps hold in the mapping too */
	for (int i = 0; i < 10; i++) {
		snprintf(s, sizeof(s), "late-%d", i);
		assert_int_equal(put(&b, s), n + i);
	}
	assert_int_equal(put(&b, "one too many"), -1);
	/* reset empties it and it fills again */
	strtab_reset(&b);
	assert_int_equal(b.n, 0);
	assert_int_equal(strtab_find(&b, "late-1", 6, strtab_hash("late-1", 6)), -1);
	for (int i = 0; i < 3 * STRTAB_MAP_AT; i++) {
		snprintf(s, sizeof(s), "again-%d", i);
		assert_int_equal(put(&b, s), i);
	}
	snprintf(s, sizeof(s), "again-%d", 2 * STRTAB_MAP_AT);
	assert_int_equal(put(&b, s), 2 * STRTAB_MAP_AT);
	strtab_release(&a);
	strtab_release(&b);
	assert_null(b.map);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(indexes_are_dense_and_stable),
		cmocka_unit_test(caps_refuse_without_damage),
		cmocka_unit_test(hashes_agree_on_equal_strings),
		cmocka_unit_test(mapped_table_moves_and_keeps_entries),
	};

	return cmocka_run_group_tests_name("strtab", tests, NULL, NULL);
}
