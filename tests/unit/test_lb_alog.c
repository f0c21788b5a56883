/*
 * test_lb_alog.c - the access log's line formatter: the combined format
 * (with nginx's upstream fields), JSON Lines, escaping, absent fields, and
 * a full buffer dropping a line whole.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"
#include "core/buf.h"
#include "lb/alog.h"

#define STAMP "[27/Nov/2026:07:20:07 +0000]"

/* 2026-11-27T07:20:07.123Z */
#define T_MS 1795764007123LL

static const struct alog_line served = {
	.client = "203.0.113.7", .request = "GET /a?b=1 HTTP/1.1", .host = "www.example.org",
	.referer = "https://example.org/", .user_agent = "curl/8.0", .frontend = "web",
	.pool = "app", .server = "app1", .upstream = "10.0.0.11:8080", .status = 200,
	.bytes = 612, .time_ms = T_MS, .upstream_time = 0.004, .request_time = 0.005,
};

static const struct alog_line refused = {
	.client = "203.0.113.9", .request = "GET /b HTTP/1.1", .host = "", .referer = "",
	.user_agent = "", .frontend = "web", .pool = "app", .status = 503, .bytes = 0,
	.time_ms = T_MS, .upstream_time = -1, .request_time = 10.002,
};

static void
combined_line_has_the_upstream_fields_nginx_gives(void **state)
{
	struct buf b = BUF_INIT(4096);

	assert_int_equal(alog_format(&b, ALOG_COMBINED, &served, STAMP), 0);
	assert_int_equal(alog_format(&b, ALOG_COMBINED, &refused, STAMP), 0);
	assert_string_equal(buf_str(&b),
	    "203.0.113.7 - - [27/Nov/2026:07:20:07 +0000] \"GET /a?b=1 HTTP/1.1\" 200 612 "
	    "\"https://example.org/\" \"curl/8.0\" 10.0.0.11:8080 0.004 0.005\n"
	    "203.0.113.9 - - [27/Nov/2026:07:20:07 +0000] \"GET /b HTTP/1.1\" 503 0 "
	    "\"-\" \"-\" - - 10.002\n");
	buf_release(&b);
}

static void
combined_quoted_fields_escape_quotes_backslashes_and_controls(void **state)
{
	struct alog_line l = served;
	struct buf b = BUF_INIT(4096);

	l.request = "GET /\"x\\y\x01 HTTP/1.1";
	l.user_agent = "Mozilla/5.0 (\"quoted\")\x7f";
	l.referer = NULL;
	assert_int_equal(alog_format(&b, ALOG_COMBINED, &l, STAMP), 0);
	assert_non_null(strstr(buf_str(&b), " \"GET /\\\"x\\\\y\\x01 HTTP/1.1\" "));
	assert_non_null(strstr(buf_str(&b), " \"-\" \"Mozilla/5.0 (\\\"quoted\\\")\\x7f\" "));
	buf_release(&b);
}

static void
json_line_has_every_field_and_nulls_for_the_absent(void **state)
{
	struct buf b = BUF_INIT(4096);

	assert_int_equal(alog_format(&b, ALOG_JSON, &served, NULL), 0);
	assert_int_equal(alog_format(&b, ALOG_JSON, &refused, NULL), 0);
	assert_string_equal(buf_str(&b),
	    "{\"time\":\"2026-11-27T07:20:07.123Z\",\"client\":\"203.0.113.7\","
	    "\"request\":\"GET /a?b=1 HTTP/1.1\",\"host\":\"www.example.org\",\"status\":200,"
	    "\"bytes\":612,\"referer\":\"https://example.org/\",\"user_agent\":\"curl/8.0\","
	    "\"frontend\":\"web\",\"pool\":\"app\",\"server\":\"app1\","
	    "\"upstream_addr\":\"10.0.0.11:8080\",\"upstream_response_time\":0.004,"
	    "\"request_time\":0.005,\"tls_version\":null,\"tls_cipher\":null}\n"
	    "{\"time\":\"2026-11-27T07:20:07.123Z\",\"client\":\"203.0.113.9\","
	    "\"request\":\"GET /b HTTP/1.1\",\"host\":null,\"status\":503,\"bytes\":0,"
	    "\"referer\":null,\"user_agent\":null,\"frontend\":\"web\",\"pool\":\"app\","
	    "\"server\":null,\"upstream_addr\":null,\"upstream_response_time\":null,"
	    "\"request_time\":10.002,\"tls_version\":null,\"tls_cipher\":null}\n");
	buf_release(&b);
}

/* combined-tls: combined, then the client's TLS version and cipher ("- -" for plain). */
static void
combined_tls_adds_the_version_and_cipher_at_the_end(void **state)
{
	struct alog_line l = served;
	struct buf b = BUF_INIT(4096);

	l.tls_version = "TLSv1.3";
	l.tls_cipher = "TLS_AES_128_GCM_SHA256";
	assert_int_equal(alog_format(&b, ALOG_COMBINED_TLS, &l, STAMP), 0);
	assert_int_equal(alog_format(&b, ALOG_COMBINED_TLS, &refused, STAMP), 0);
	/* combined has no TLS field, json has both */
	assert_int_equal(alog_format(&b, ALOG_COMBINED, &l, STAMP), 0);
	assert_int_equal(alog_format(&b, ALOG_JSON, &l, NULL), 0);
	assert_string_equal(buf_str(&b),
	    "203.0.113.7 - - [27/Nov/2026:07:20:07 +0000] \"GET /a?b=1 HTTP/1.1\" 200 612 "
	    "\"https://example.org/\" \"curl/8.0\" 10.0.0.11:8080 0.004 0.005 "
	    "TLSv1.3 TLS_AES_128_GCM_SHA256\n"
	    "203.0.113.9 - - [27/Nov/2026:07:20:07 +0000] \"GET /b HTTP/1.1\" 503 0 "
	    "\"-\" \"-\" - - 10.002 - -\n"
	    "203.0.113.7 - - [27/Nov/2026:07:20:07 +0000] \"GET /a?b=1 HTTP/1.1\" 200 612 "
	    "\"https://example.org/\" \"curl/8.0\" 10.0.0.11:8080 0.004 0.005\n"
	    "{\"time\":\"2026-11-27T07:20:07.123Z\",\"client\":\"203.0.113.7\","
	    "\"request\":\"GET /a?b=1 HTTP/1.1\",\"host\":\"www.example.org\",\"status\":200,"
	    "\"bytes\":612,\"referer\":\"https://example.org/\",\"user_agent\":\"curl/8.0\","
	    "\"frontend\":\"web\",\"pool\":\"app\",\"server\":\"app1\","
	    "\"upstream_addr\":\"10.0.0.11:8080\",\"upstream_response_time\":0.004,"
	    "\"request_time\":0.005,\"tls_version\":\"TLSv1.3\","
	    "\"tls_cipher\":\"TLS_AES_128_GCM_SHA256\"}\n");
	buf_release(&b);
}

static void
json_escapes_what_json_must(void **state)
{
	struct alog_line l = served;
	struct buf b = BUF_INIT(4096);

	l.user_agent = "a\"b\\c\nd";
	assert_int_equal(alog_format(&b, ALOG_JSON, &l, NULL), 0);
	assert_non_null(strstr(buf_str(&b), "\"user_agent\":\"a\\\"b\\\\c\\nd\""));
	buf_release(&b);
}

static void
a_line_that_does_not_fit_is_dropped_whole(void **state)
{
	struct buf b = BUF_INIT(200);
	size_t first;

	assert_int_equal(alog_format(&b, ALOG_COMBINED, &refused, STAMP), 0);
	first = b.len;
	assert_int_equal(alog_format(&b, ALOG_COMBINED, &served, STAMP), -1);
	assert_int_equal(b.len, first);
	assert_int_equal(strlen(buf_str(&b)), first);
	assert_int_equal(buf_str(&b)[first - 1], '\n');
	/* and with nothing at all written: still no half line, still -1 */
	assert_int_equal(alog_format(&b, ALOG_JSON, &served, NULL), -1);
	assert_int_equal(b.len, first);
	buf_release(&b);
}

static void
stamp_is_local_time_with_its_offset(void **state)
{
	char out[40];

	setenv("TZ", "UTC", 1);
	tzset();
	alog_stamp(T_MS, out, sizeof(out));
	assert_string_equal(out, STAMP);
	setenv("TZ", "EST5", 1);
	tzset();
	alog_stamp(T_MS, out, sizeof(out));
	assert_string_equal(out, "[27/Nov/2026:02:20:07 -0500]");
	alog_stamp(T_MS, out, 5);       /* too small: empty, never cut */
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(combined_line_has_the_upstream_fields_nginx_gives),
		cmocka_unit_test(combined_quoted_fields_escape_quotes_backslashes_and_controls),
		cmocka_unit_test(combined_tls_adds_the_version_and_cipher_at_the_end),
		cmocka_unit_test(json_line_has_every_field_and_nulls_for_the_absent),
		cmocka_unit_test(json_escapes_what_json_must),
		cmocka_unit_test(a_line_that_does_not_fit_is_dropped_whole),
		cmocka_unit_test(stamp_is_local_time_with_its_offset),
	};

	return cmocka_run_group_tests_name("lb_alog", tests, NULL, NULL);
}
