/*
 * test_lb_sni.c - choosing a TLS listener's certificate by the client's
 * server name: exact names, one-label wildcards, case, a final dot, the
 * first certificate of a name winning, and names that are not host names.
 */
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "lb/sni.h"

static void
add(struct sni_table *t, const char *name, int cert)
{
	char err[ERR_LEN];

	if (sni_add(t, name, cert, err) != 0)
		fail_msg("sni_add(%s): %s", name, err);
}

static void
exact_names_match_in_any_case_and_with_a_final_dot(void **state)
{
	struct sni_table t;

	sni_init(&t);
	add(&t, "www.example.org", 0);
	add(&t, "API.Example.ORG", 1);
	sni_finish(&t);
	assert_int_equal(sni_lookup(&t, "www.example.org"), 0);
	assert_int_equal(sni_lookup(&t, "WWW.EXAMPLE.ORG"), 0);
	assert_int_equal(sni_lookup(&t, "www.example.org."), 0);
	assert_int_equal(sni_lookup(&t, "api.example.org"), 1);
	assert_int_equal(sni_lookup(&t, "example.org"), -1);
	assert_int_equal(sni_lookup(&t, "other.example.org"), -1);
	assert_int_equal(sni_lookup(&t, NULL), -1);
	sni_release(&t);
}

static void
a_wildcard_stands_for_exactly_one_label(void **state)
{
	struct sni_table t;

	sni_init(&t);
	add(&t, "*.example.org", 3);
	sni_finish(&t);
	assert_int_equal(sni_lookup(&t, "a.example.org"), 3);
	assert_int_equal(sni_lookup(&t, "Shop.EXAMPLE.org."), 3);
	assert_int_equal(sni_lookup(&t, "example.org"), -1);
	assert_int_equal(sni_lookup(&t, "a.b.example.org"), -1);
	assert_int_equal(sni_lookup(&t, "aexample.org"), -1);
	assert_int_equal(sni_lookup(&t, ".example.org"), -1);
	sni_release(&t);
}

static void
an_exact_name_wins_over_a_wildcard_whatever_the_order(void **state)
{
	struct sni_table t;

	sni_init(&t);
	add(&t, "*.example.org", 0);
	add(&t, "api.example.org", 1);
	sni_finish(&t);
	assert_int_equal(sni_lookup(&t, "api.example.org"), 1);
	assert_int_equal(sni_lookup(&t, "www.example.org"), 0);
	sni_release(&t);
}

static void
the_first_certificate_of_a_name_answers_for_it(void **state)
{
	struct sni_table t;

	sni_init(&t);
	add(&t, "www.example.org", 5);
	add(&t, "*.example.org", 7);
	add(&t, "WWW.example.org", 2);
	add(&t, "www.example.org", 9);
	add(&t, "*.Example.org", 4);
	sni_finish(&t);
	assert_int_equal(t.nexact, 1);
	assert_int_equal(t.nwild, 1);
	assert_int_equal(sni_lookup(&t, "www.example.org"), 2);
	assert_int_equal(sni_lookup(&t, "x.example.org"), 4);
	sni_release(&t);
}

static void
names_that_are_not_host_names_are_refused_or_match_nothing(void **state)
{
	static const char *const bad[] = {
		"", ".", "a..b", ".a.b", "w*.example.org", "*", "*.", "**.example.org",
		"a b.org", "a\tb", "ex\xc3\xa4mple.org", "a.*.org", "a/b",
	};
	struct sni_table t;
	char err[ERR_LEN], long_name[300];

	sni_init(&t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sni_add(&t, bad[i], 0, err) == 0)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(err, "is not a host name"));
	}
	assert_int_equal(sni_add(&t, "w*.example.org", 0, err), -1);
	assert_non_null(strstr(err, "only \"*.\" and a name are a wildcard"));
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(sni_add(&t, long_name, 0, err), -1);
	add(&t, "good.example.org", 1);
	sni_finish(&t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sni_lookup(&t, bad[i]), -1);
	assert_int_equal(sni_lookup(&t, long_name), -1);
	assert_int_equal(sni_lookup(&t, "good.example.org\n"), -1);
	assert_int_equal(sni_lookup(&t, "good.example.org"), 1);
	sni_release(&t);
}

static void
many_names_are_found_by_bisection(void **state)
{
	struct sni_table t;
	char name[64];

	sni_init(&t);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "host%d.example.org", 4999 - i);
		add(&t, name, i);
	}
	sni_finish(&t);
	for (int i = 0; i < 5000; i += 7) {
		snprintf(name, sizeof(name), "HOST%d.example.org", i);
		assert_int_equal(sni_lookup(&t, name), 4999 - i);
	}
	assert_int_equal(sni_lookup(&t, "host5000.example.org"), -1);
	sni_release(&t);
	assert_int_equal(t.nexact, 0);
	assert_int_equal(sni_lookup(&t, "host1.example.org"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_names_match_in_any_case_and_with_a_final_dot),
		cmocka_unit_test(a_wildcard_stands_for_exactly_one_label),
		cmocka_unit_test(an_exact_name_wins_over_a_wildcard_whatever_the_order),
		cmocka_unit_test(the_first_certificate_of_a_name_answers_for_it),
		cmocka_unit_test(names_that_are_not_host_names_are_refused_or_match_nothing),
		cmocka_unit_test(many_names_are_found_by_bisection),
	};

	return cmocka_run_group_tests_name("lb_sni", tests, NULL, NULL);
}
