/*
 * test_run_ping.c - the Healthchecks.io style URLs, and that a dead endpoint
 * is an error within the time limit, not a hang.
 */
#include <string.h>

#include "unit.h"
#include "core/err.h"
#include "run/run_ping.h"

static const char *
url(const char *base, enum run_ping_kind k)
{
	static char out[512];
	char err[ERR_LEN];

	assert_int_equal(run_ping_url(base, k, out, sizeof(out), err), 0);
	return out;
}

static void
start_success_and_fail_urls(void **state)
{
	const char *b = "https://hc-ping.com/0b5b8f2e-1c1e-4a43-9f0c-0123456789ab";

	assert_string_equal(url(b, RUN_PING_START),
	    "https://hc-ping.com/0b5b8f2e-1c1e-4a43-9f0c-0123456789ab/start");
	assert_string_equal(url(b, RUN_PING_SUCCESS), b);
	assert_string_equal(url(b, RUN_PING_FAIL),
	    "https://hc-ping.com/0b5b8f2e-1c1e-4a43-9f0c-0123456789ab/fail");
}

static void
trailing_slash_is_not_doubled(void **state)
{
	assert_string_equal(url("http://mon/ping/x/", RUN_PING_FAIL), "http://mon/ping/x/fail");
}

static void
suffix_goes_before_the_query(void **state)
{
	assert_string_equal(url("http://mon/p/x?create=1", RUN_PING_START),
	    "http://mon/p/x/start?create=1");
	assert_string_equal(url("http://mon/p/x?create=1", RUN_PING_SUCCESS),
	    "http://mon/p/x?create=1");
}

static void
redacted_url_hides_path_query_and_password(void **state)
{
	char out[256];

	run_ping_redact("https://hc-ping.com/0f3c1d2e-uuid", out, sizeof(out));
	assert_string_equal(out, "https://hc-ping.com/***");
	run_ping_redact("http://bob:s3cret@mon:8080/ping/key/slug?token=t", out, sizeof(out));
	assert_string_equal(out, "http://bob:***@mon:8080/***");
	run_ping_redact("http://mon:8080/", out, sizeof(out));
	assert_string_equal(out, "http://mon:8080/");
	run_ping_redact("http://mon", out, sizeof(out));
	assert_string_equal(out, "http://mon");
	run_ping_redact("not a url", out, sizeof(out));
	assert_string_equal(out, "***");
}

static void
too_long_url_is_an_error(void **state)
{
	char out[16], err[ERR_LEN];

	assert_int_equal(run_ping_url("http://example.com/abc", RUN_PING_START, out,
	    sizeof(out), err), -1);
	assert_non_null(strstr(err, "too long"));
}

static void
non_http_scheme_is_refused(void **state)
{
	char err[ERR_LEN];

	assert_int_equal(run_ping_send("file:///etc/passwd", RUN_PING_START, NULL, 0, 1000,
	    err), -1);
	/* Refused, and said without the path (it would be the check's secret). */
	assert_non_null(strstr(err, "ping (start) to file:///***"));
	assert_null(strstr(err, "passwd"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(start_success_and_fail_urls),
		cmocka_unit_test(trailing_slash_is_not_doubled),
		cmocka_unit_test(suffix_goes_before_the_query),
		cmocka_unit_test(redacted_url_hides_path_query_and_password),
		cmocka_unit_test(too_long_url_is_an_error),
		cmocka_unit_test(non_http_scheme_is_refused),
	};

	return cmocka_run_group_tests_name("run_ping", tests, NULL, NULL);
}
