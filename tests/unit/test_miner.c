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

/* Mine msg as `lines` lines; its template id. */
static int
add_n(miner *m, const char *msg, uint64_t lines)
{
	struct buf b = BUF_INIT(1 << 20);
	int id;

	mask_message(msg, strlen(msg), &b);
	id = miner_add(m, buf_str(&b), b.len, strtab_hash(buf_str(&b), b.len), lines);
	buf_release(&b);
	return id;
}

static int
add(miner *m, const char *msg)
{
	return add_n(m, msg, 1);
}

static miner *
fresh(void)
{
	struct miner_opts o = { 0 };
	miner *m = miner_new(&o);

	assert_non_null(m);
	return m;
}

/* The current template text of an id handed out earlier. */
static const char *
text(miner *m, int id)
{
	return miner_template(m, miner_resolve(m, id));
}

static void
variables_that_differ_become_wildcards(void **state)
{
	miner *m = fresh();
	int a = add(m, "Connection closed by 10.0.0.1 port 22 [preauth]");
	int b = add(m, "Connection closed by 10.0.0.2 port 2222 [preauth]");

	assert_int_equal(a, b);
	assert_string_equal(text(m, a), "Connection closed by <*> port <*> [preauth]");
	miner_free(m);
}

static void
variable_parts_of_any_length_are_one_template(void **state)
{
	miner *m = fresh();
	int a = add(m, "10.0.0.1:443 close, 0 bytes sent, 1036 bytes (1.01 KB) received, lifetime <1 sec");
	int b = add(m, "cdn.example.net:80 close, 1036 bytes (1.01 KB) sent, 0 bytes received, lifetime 00:01");
	int c = add(m, "disk full on sda1");
	int d = add(m, "disk full on sda1 again");

	assert_int_equal(miner_resolve(m, a), miner_resolve(m, b));
	assert_string_equal(text(m, a), "<*> close, <*> bytes <*> sent, <*> bytes <*> received, lifetime <*>");
	assert_int_not_equal(miner_resolve(m, c), miner_resolve(m, d));	/* a word more is another event */
	miner_free(m);
}

static void
first_token_that_varies_does_not_key_the_group(void **state)
{
	miner *m = fresh();
	int a = add(m, "api.example.com:443 connect failed");
	int b = add(m, "worker-7f3a: job finished in 3 s");
	int c = add(m, "cdn.example.net:80 connect failed");
	int d = add(m, "worker-9b2c: job finished in 12 s");

	assert_int_equal(miner_resolve(m, a), miner_resolve(m, c));
	assert_int_equal(miner_resolve(m, b), miner_resolve(m, d));
	assert_string_equal(text(m, b), "worker-<*>: job finished in <*>");
	miner_free(m);
}

static void
user_names_merge_when_many_and_distinct(void **state)
{
	miner *m = fresh();
	const char *users[] = { "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi" };
	int ids[8];
	char line[128];

	for (int i = 0; i < 8; i++) {
		snprintf(line, sizeof(line), "Invalid user %s from 10.0.0.%d", users[i], i + 1);
		ids[i] = add(m, line);
	}
	miner_settle(m);
	for (int i = 0; i < 8; i++)
		assert_int_equal(miner_resolve(m, ids[i]), miner_resolve(m, ids[0]));
	assert_string_equal(text(m, ids[0]), "Invalid user <*> from <*>");
	/* a name that is masked (it holds digits) is the same event */
	assert_int_equal(miner_resolve(m, add(m, "Invalid user admin01 from 10.0.0.9")),
	    miner_resolve(m, ids[0]));
	/* and a new name joins at once */
	assert_int_equal(miner_resolve(m, add(m, "Invalid user zoe from 10.0.0.9")), miner_resolve(m, ids[0]));
	miner_free(m);
}

static void
three_events_seen_often_stay_three(void **state)
{
	miner *m = fresh();
	int a = add_n(m, "disk attached to vm 7", 400);
	int b = add_n(m, "disk detached from vm 7", 350);
	int c = add_n(m, "disk attached to vm 8", 1);
	int d = add_n(m, "volume resized on host 3", 300);
	int e = add_n(m, "disk resized on vm 9", 300);

	miner_settle(m);
	assert_int_equal(miner_resolve(m, a), miner_resolve(m, c));
	assert_int_not_equal(miner_resolve(m, a), miner_resolve(m, b));
	assert_int_not_equal(miner_resolve(m, a), miner_resolve(m, e));
	assert_int_not_equal(miner_resolve(m, b), miner_resolve(m, e));
	assert_int_not_equal(miner_resolve(m, d), miner_resolve(m, e));
	miner_free(m);
}

static void
different_words_are_different_events(void **state)
{
	miner *m = fresh();
	int up = add(m, "cupsd startup succeeded");
	int down = add(m, "cupsd shutdown succeeded");
	const char *states[][2] = { { "NEW", "RUNNING" }, { "RUNNING", "SUCCEEDED" },
	    { "SCHEDULED", "FAILED" }, { "NEW", "SCHEDULED" }, { "SCHEDULED", "RUNNING" },
	    { "RUNNING", "FAILED" } };
	int ids[6];
	char line[128];

	for (int i = 0; i < 6; i++) {
		snprintf(line, sizeof(line), "Task attempt_1445_%02d Transitioned from %s to %s", i,
		    states[i][0], states[i][1]);
		ids[i] = add_n(m, line, 20);
	}
	miner_settle(m);
	assert_int_not_equal(miner_resolve(m, up), miner_resolve(m, down));
	/* "to" is in every stretch: the words around it are the events, not one variable */
	for (int i = 1; i < 6; i++)
		assert_int_not_equal(miner_resolve(m, ids[0]), miner_resolve(m, ids[i]));
	assert_string_equal(text(m, ids[0]), "Task <*> Transitioned from NEW to RUNNING");
	miner_free(m);
}

static void
masked_tokens_are_not_shared_words(void **state)
{
	miner *m = fresh();
	const char *words[] = { "alpha", "bravo", "cedar", "delta", "ember", "falcon", "garnet",
	    "harbor" };
	int ids[8];
	char line[64];

	for (int i = 0; i < 8; i++) {
		snprintf(line, sizeof(line), "10.0.0.%d: %s", i, words[i]);
		ids[i] = add(m, line);
	}
	miner_settle(m);
	for (int i = 1; i < 8; i++)
		assert_int_not_equal(miner_resolve(m, ids[0]), miner_resolve(m, ids[i]));
	miner_free(m);
}

static void
values_of_keys_and_quoted_merge_on_evidence(void **state)
{
	miner *m = fresh();
	const char *users[] = { "alice", "bob", "carol", "dave", "erin" };
	const char *dbs[] = { "orders", "inventory", "shop", "crm", "billing" };
	int u[5], q[5];
	char line[128];

	for (int i = 0; i < 5; i++) {
		snprintf(line, sizeof(line), "session opened user=%s by (uid=%d) tty=pts/%d", users[i], i, i);
		u[i] = add(m, line);
		snprintf(line, sizeof(line), "database \"%s\" does not exist", dbs[i]);
		q[i] = add(m, line);
	}
	/* two values are two events until there is evidence (webapp, invsync) */
	assert_int_not_equal(miner_resolve(m, u[0]), miner_resolve(m, u[1]));
	miner_settle(m);
	for (int i = 1; i < 5; i++) {
		assert_int_equal(miner_resolve(m, u[i]), miner_resolve(m, u[0]));
		assert_int_equal(miner_resolve(m, q[i]), miner_resolve(m, q[0]));
	}
	assert_string_equal(text(m, u[0]), "session opened user=<*> by (uid=<*>) tty=pts/<*>");
	assert_string_equal(text(m, q[0]), "database \"<*>\" does not exist");
	assert_int_equal(miner_resolve(m, add(m, "database \"users\" does not exist")),
	    miner_resolve(m, q[0]));
	miner_free(m);
}

static void
a_family_is_decided_one_key_at_a_time(void **state)
{
	miner *m = fresh();
	const char *pods[] = { "web", "api", "cart", "redis", "search", "billing", "auth", "queue" };
	int started = -1, died = -1;
	char line[128];

	for (int i = 0; i < 8; i++) {
		snprintf(line, sizeof(line), "event for pod pod=\"%s\" type=ContainerStarted", pods[i]);
		started = add_n(m, line, 50);
		snprintf(line, sizeof(line), "event for pod pod=\"%s\" type=ContainerDied", pods[i]);
		died = add_n(m, line, 30);
	}
	miner_settle(m);
	/* eight pods over 640 lines make pod a variable; two types stay two events */
	assert_string_equal(text(m, started), "event for pod pod=\"<*>\" type=ContainerStarted");
	assert_string_equal(text(m, died), "event for pod pod=\"<*>\" type=ContainerDied");
	miner_free(m);
}

static void
a_masked_value_and_a_word_value_of_one_key_merge_at_once(void **state)
{
	miner *m = fresh();
	int a = add(m, "4F3A21C0B2: to=<bob@example.com>, relay=mx.example.net[10.0.0.1]:25, status=sent");
	int b = add(m, "9B2C1D0E7F: to=<eve@example.org>, relay=unknown[10.0.0.2]:25, status=sent");

	assert_int_equal(miner_resolve(m, a), miner_resolve(m, b));
	miner_free(m);
}

static void
masked_and_word_values_of_one_place_merge(void **state)
{
	miner *m = fresh();
	int a = add(m, "connect from mx.example.net[10.0.0.1]");
	int b = add(m, "connect from unknown[10.0.0.2]");

	miner_settle(m);
	assert_int_equal(miner_resolve(m, a), miner_resolve(m, b));
	assert_string_equal(text(m, a), "connect from <*>[<*>]");
	miner_free(m);
}

static void
a_variable_may_span_several_words(void **state)
{
	miner *m = fresh();
	const char *why[] = { "connection reset by peer", "timed out", "no route to host",
	    "broken pipe", "certificate has expired", "host is down" };
	int ids[6];
	char line[128];

	for (int i = 0; i < 6; i++) {
		snprintf(line, sizeof(line), "open through proxy 10.1.2.%d:8080 failed with error: %s", i,
		    why[i]);
		ids[i] = add(m, line);
	}
	miner_settle(m);
	for (int i = 1; i < 6; i++)
		assert_int_equal(miner_resolve(m, ids[0]), miner_resolve(m, ids[i]));
	assert_string_equal(text(m, ids[0]), "open through proxy <*> failed with error: <*>");
	assert_int_equal(miner_resolve(m, add(m, "open through proxy 10.9.9.9:80 failed with error: end of file")),
	    miner_resolve(m, ids[0]));
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
	/* a message that fits a template still finds it */
	assert_int_equal(add(m, "waa event"), add(m, "waa event"));
	assert_int_not_equal(add(m, "waa event"), MINER_OVERFLOW);
	miner_free(m);
}

static void
exact_mode_keeps_every_key(void **state)
{
	struct miner_opts o = { 0 };
	miner *m;

	o.exact = 1;
	m = miner_new(&o);
	assert_int_not_equal(miner_add(m, "GET /a", 6, strtab_hash("GET /a", 6), 1),
	    miner_add(m, "GET /b", 6, strtab_hash("GET /b", 6), 1));
	miner_free(m);
}

static void
merges_are_handed_out_once(void **state)
{
	miner *m = fresh();
	const char *users[] = { "alice", "bob", "carol", "dave", "erin", "frank" };
	int from, to, n = 0;
	char line[64];

	for (int i = 0; i < 6; i++) {
		snprintf(line, sizeof(line), "Invalid user %s from 10.0.0.1", users[i]);
		add(m, line);
	}
	miner_settle(m);
	while (miner_next_merge(m, &from, &to)) {
		assert_int_equal(miner_resolve(m, from), miner_resolve(m, to));
		n++;
	}
	assert_int_equal(n, 5);
	assert_int_equal(miner_next_merge(m, &from, &to), 0);
	miner_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(variables_that_differ_become_wildcards),
		cmocka_unit_test(variable_parts_of_any_length_are_one_template),
		cmocka_unit_test(first_token_that_varies_does_not_key_the_group),
		cmocka_unit_test(user_names_merge_when_many_and_distinct),
		cmocka_unit_test(three_events_seen_often_stay_three),
		cmocka_unit_test(different_words_are_different_events),
		cmocka_unit_test(masked_tokens_are_not_shared_words),
		cmocka_unit_test(values_of_keys_and_quoted_merge_on_evidence),
		cmocka_unit_test(a_family_is_decided_one_key_at_a_time),
		cmocka_unit_test(a_masked_value_and_a_word_value_of_one_key_merge_at_once),
		cmocka_unit_test(masked_and_word_values_of_one_place_merge),
		cmocka_unit_test(a_variable_may_span_several_words),
		cmocka_unit_test(template_cap_sends_the_rest_to_overflow),
		cmocka_unit_test(exact_mode_keeps_every_key),
		cmocka_unit_test(merges_are_handed_out_once),
	};

	return cmocka_run_group_tests_name("miner", tests, NULL, NULL);
}
