/*
 * test_miner.c - template mining on small hand-made logs whose templates
 * are known.
 */
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "core/buf.h"
#include "logs/mask.h"
#include "logs/miner.h"
#include "logs/strtab.h"

static int
add(miner *m, const char *msg)
{
	struct buf b = BUF_INIT(1 << 20);
	int id;

	mask_message(msg, strlen(msg), &b);
	id = miner_add(m, buf_str(&b), b.len, strtab_hash(buf_str(&b), b.len));
	buf_release(&b);
	return id;
}

static miner *
fresh(void)
{
	struct miner_opts o = { 0 };
	miner *m = miner_new(&o);

	assert_non_null(m);
	return m;
}

static void
variables_that_differ_become_wildcards(void **state)
{
	miner *m = fresh();
	int a = add(m, "Connection closed by 10.0.0.1 port 22 [preauth]");
	int b = add(m, "Connection closed by 10.0.0.2 port 2222 [preauth]");

	assert_int_equal(a, b);
	assert_string_equal(miner_template(m, a), "Connection closed by <*> port <*> [preauth]");
	miner_free(m);
}

static void
user_names_merge_after_three_values(void **state)
{
	miner *m = fresh();
	int ids[5];
	const char *users[] = { "alice", "bob", "carol", "dave", "erin" };
	char line[128];

	for (int i = 0; i < 5; i++) {
		snprintf(line, sizeof(line), "Invalid user %s from 10.0.0.%d", users[i], i + 1);
		ids[i] = add(m, line);
	}
	for (int i = 0; i < 5; i++)
		assert_int_equal(miner_resolve(m, ids[i]), miner_resolve(m, ids[4]));
	assert_string_equal(miner_template(m, ids[0]), "Invalid user <*> from <*>");
	miner_free(m);
}

static void
different_words_are_different_events(void **state)
{
	miner *m = fresh();
	int up = add(m, "cupsd startup succeeded");
	int down = add(m, "cupsd shutdown succeeded");
	int r1 = add(m, "Task attempt_1445_01 Transitioned from NEW to RUNNING");
	int r2 = add(m, "Task attempt_1445_02 Transitioned from RUNNING to SUCCEEDED");
	int r3 = add(m, "Task attempt_1445_03 Transitioned from SCHEDULED to FAILED");

	assert_int_not_equal(up, down);
	assert_int_not_equal(r1, r2);
	assert_int_not_equal(r2, r3);
	assert_string_equal(miner_template(m, r1), "Task <*> Transitioned from NEW to RUNNING");
	miner_free(m);
}

static void
key_value_tokens_keep_their_keys(void **state)
{
	miner *m = fresh();
	int a = add(m, "session opened user=alice by (uid=0)");
	int b = add(m, "session opened user=bob by (uid=1000)");
	int c = add(m, "session opened user=carol by (uid=5)");

	assert_int_equal(miner_resolve(m, a), miner_resolve(m, c));
	assert_int_equal(miner_resolve(m, b), miner_resolve(m, c));
	assert_string_equal(miner_template(m, a), "session opened user=<*> by (uid=<*>)");
	miner_free(m);
}

static void
lengths_never_mix(void **state)
{
	miner *m = fresh();
	int a = add(m, "disk full on sda1");
	int b = add(m, "disk full on sda1 again");

	assert_int_not_equal(a, b);
	miner_free(m);
}

static void
template_cap_sends_the_rest_to_overflow(void **state)
{
	struct miner_opts o = { 0 };
	miner *m;
	char line[64];
	int last = -1;

	o.max_templates = 10;
	m = miner_new(&o);
	for (int i = 0; i < 50; i++) {
		snprintf(line, sizeof(line), "w%c%c event", 'a' + i % 26, 'a' + i / 26);
		last = add(m, line);
	}
	assert_int_equal(last, MINER_OVERFLOW);
	assert_true(miner_size(m) <= 11);
	miner_free(m);
}

static void
exact_mode_keeps_every_key(void **state)
{
	struct miner_opts o = { 0 };
	miner *m;

	o.exact = 1;
	m = miner_new(&o);
	assert_int_not_equal(miner_add(m, "GET /a", 6, strtab_hash("GET /a", 6)),
	    miner_add(m, "GET /b", 6, strtab_hash("GET /b", 6)));
	miner_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(variables_that_differ_become_wildcards),
		cmocka_unit_test(user_names_merge_after_three_values),
		cmocka_unit_test(different_words_are_different_events),
		cmocka_unit_test(key_value_tokens_keep_their_keys),
		cmocka_unit_test(lengths_never_mix),
		cmocka_unit_test(template_cap_sends_the_rest_to_overflow),
		cmocka_unit_test(exact_mode_keeps_every_key),
	};

	return cmocka_run_group_tests_name("miner", tests, NULL, NULL);
}
