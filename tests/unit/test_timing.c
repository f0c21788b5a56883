/*
 * test_timing.c - request times read from the fields after an access log's
 * format (brace lb's, nginx's bare, quoted and keyed, Apache's %D and %T),
 * from JSON keys with their units, and durations as programs write them.
 */
#include <string.h>

#include "unit.h"
#include "logs/timing.h"

static struct timing
trailer(const char *s)
{
	struct timing t;

	timing_trailer(s, strlen(s), &t);
	return t;
}

static void
brace_lb_upstream_address_then_times(void **state)
{
	struct timing t = trailer(" 10.0.0.7:8080 0.120 0.125");

	assert_int_equal(t.req_us, 125000);
	assert_int_equal(t.up_us, 120000);
	/* no server answered: address and upstream time are "-" */
	t = trailer(" - - 0.003");
	assert_int_equal(t.req_us, 3000);
	assert_int_equal(t.up_us, TIMING_NONE);
}

static void
nginx_bare_times_in_either_order(void **state)
{
	struct timing a = trailer(" 0.250 0.200"), b = trailer(" 0.200 0.250");

	assert_int_equal(a.req_us, 250000);
	assert_int_equal(a.up_us, 200000);
	assert_int_equal(b.req_us, 250000);
	assert_int_equal(b.up_us, 200000);
	/* $request_time $upstream_connect_time $upstream_header_time $upstream_response_time */
	a = trailer(" 0.500 0.001 0.300 0.450");
	assert_int_equal(a.req_us, 500000);
	assert_int_equal(a.up_us, 450000);
}

static void
nginx_keyed_and_quoted_values(void **state)
{
	struct timing t = trailer(" rt=0.120 uct=\"0.000\" uht=\"0.080\" urt=\"0.100\"");

	assert_int_equal(t.req_us, 120000);
	assert_int_equal(t.up_us, 100000);
	t = trailer(" \"0.040\" \"0.038\" \"-\"");
	assert_int_equal(t.req_us, 40000);
	assert_int_equal(t.up_us, 38000);
	t = trailer(" request_time=1.5 upstream_response_time=1.25");
	assert_int_equal(t.req_us, 1500000);
	assert_int_equal(t.up_us, 1250000);
}

static void
nginx_upstream_lists_add_up(void **state)
{
	/* a second upstream tried after the first failed, then an internal redirect */
	struct timing t = trailer(" 0.400 0.002, 0.300");

	assert_int_equal(t.req_us, 400000);
	assert_int_equal(t.up_us, 302000);
	t = trailer(" 0.400 0.100 : 0.200");
	assert_int_equal(t.up_us, 300000);
	t = trailer(" rt=0.400 urt=\"0.002, 0.300\"");
	assert_int_equal(t.up_us, 302000);
}

static void
apache_integers_are_left_to_the_caller(void **state)
{
	struct timing t = trailer(" 53012");

	assert_int_equal(t.req_us, TIMING_NONE);
	assert_int_equal(t.bare_int, 53012);
	/* mod_logio's %I %O are sizes, not times */
	t = trailer(" 512 3024");
	assert_int_equal(t.bare_int, TIMING_NONE);
	assert_int_equal(t.req_us, TIMING_NONE);
	/* with a decimal time beside them, integers are not times */
	t = trailer(" 512 0.020");
	assert_int_equal(t.req_us, 20000);
	assert_int_equal(t.bare_int, TIMING_NONE);
}

static void
what_is_not_a_time_is_skipped(void **state)
{
	struct timing t = trailer(" \"10.0.0.1, 10.0.0.2\" example.com 1.2.3.4 -");

	assert_int_equal(t.req_us, TIMING_NONE);
	assert_int_equal(t.up_us, TIMING_NONE);
	assert_int_equal(t.bare_int, TIMING_NONE);
	/* $msec, an epoch time with a point, is no request's time */
	t = trailer(" 1764201600.123 0.050");
	assert_int_equal(t.req_us, 50000);
	assert_int_equal(t.up_us, TIMING_NONE);
	/* a user agent's "5.0" inside quotes is not a time */
	t = trailer(" \"Mozilla/5.0 (X11) 5.0\"");
	assert_int_equal(t.req_us, TIMING_NONE);
	t = trailer("");
	assert_int_equal(t.req_us, TIMING_NONE);
	t = trailer(" rt=\"unterminated");
	assert_int_equal(t.req_us, TIMING_NONE);
}

static void
durations_with_units(void **state)
{
	assert_int_equal(timing_value("12ms", 4, 1e6), 12000);
	assert_int_equal(timing_value("1.5 s", 5, 1e6), 1500000);
	assert_int_equal(timing_value("350\xc2\xb5s", 6, 1e6), 350);
	assert_int_equal(timing_value("2m3.5s", 6, 1e6), 123500000);
	assert_int_equal(timing_value("\"0.25\"", 6, 1e6), 250000);
	assert_int_equal(timing_value("250", 3, 1e3), 250000);
	assert_int_equal(timing_value("1500000", 7, 0.001), 1500);
	assert_int_equal(timing_value("fast", 4, 1e6), TIMING_NONE);
	assert_int_equal(timing_value("12parsecs", 9, 1e6), TIMING_NONE);
	assert_int_equal(timing_value("-1", 2, 1e6), TIMING_NONE);
	assert_int_equal(timing_value("90000", 5, 1e6), TIMING_NONE);	/* more than a day */
	assert_int_equal(timing_value("", 0, 1e6), TIMING_NONE);
}

static void
json_keys_and_their_units(void **state)
{
	double u;

	assert_int_equal(timing_key("request_time", 12, &u), TIMING_REQUEST);
	assert_true(u == 1e6);
	assert_int_equal(timing_key("duration_ms", 11, &u), TIMING_REQUEST);
	assert_true(u == 1e3);
	assert_int_equal(timing_key("latencyMs", 9, &u), TIMING_REQUEST);
	assert_true(u == 1e3);
	assert_int_equal(timing_key("responseTime", 12, &u), TIMING_REQUEST);
	assert_int_equal(timing_key("upstream_response_time", 22, &u), TIMING_UPSTREAM);
	assert_int_equal(timing_key("upstreamTime_us", 15, &u), TIMING_UPSTREAM);
	assert_true(u == 1);
	assert_int_equal(timing_key("Duration", 8, &u), TIMING_REQUEST);	/* Traefik */
	assert_true(u == 0.001);
	assert_int_equal(timing_key("OriginDuration", 14, &u), TIMING_UPSTREAM);
	assert_int_equal(timing_key("time", 4, &u), TIMING_OTHER);
	assert_int_equal(timing_key("status", 6, &u), TIMING_OTHER);
	assert_int_equal(timing_key("_ms", 3, &u), TIMING_OTHER);
}

static void
apache_seconds_are_told_by_their_zeros(void **state)
{
	const int64_t t_secs[] = { 0, 0, 1, 0, 0, 2, -1, 0 };
	const int64_t d_us[] = { 52011, 713, 1230040, 8811, 402, 99000 };
	const int64_t none[] = { -1, -1 };

	assert_int_equal(timing_int_secs(t_secs, 8), 1);
	assert_int_equal(timing_int_secs(d_us, 6), 0);
	assert_int_equal(timing_int_secs(none, 2), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(brace_lb_upstream_address_then_times),
		cmocka_unit_test(nginx_bare_times_in_either_order),
		cmocka_unit_test(nginx_keyed_and_quoted_values),
		cmocka_unit_test(nginx_upstream_lists_add_up),
		cmocka_unit_test(apache_integers_are_left_to_the_caller),
		cmocka_unit_test(what_is_not_a_time_is_skipped),
		cmocka_unit_test(durations_with_units),
		cmocka_unit_test(json_keys_and_their_units),
		cmocka_unit_test(apache_seconds_are_told_by_their_zeros),
	};

	return cmocka_run_group_tests_name("timing", tests, NULL, NULL);
}
