/*
 * test_strtab.c - the capped interning table: dense indexes, equal strings
 * found again, caps refused cleanly, reset keeps working.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(indexes_are_dense_and_stable),
		cmocka_unit_test(caps_refuse_without_damage),
		cmocka_unit_test(hashes_agree_on_equal_strings),
	};

	return cmocka_run_group_tests_name("strtab", tests, NULL, NULL);
}
