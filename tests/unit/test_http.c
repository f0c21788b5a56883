/*
 * test_http.c - the HTTP/1.x head parser and the chunked framer (lb/http).
 *
 * One case per framing rule of RFC 9112 / RFC 9110 that brace enforces, named
 * after the rule. Every input is copied into a heap block of exactly its
 * length, so a read one byte past the end is an AddressSanitizer error rather
 * than a silent pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "lb/http.h"

#define NHDRS 40

static struct http_hdr hdrs[NHDRS];
static struct http_msg msg;
static char *owned;             /* exact-size copy of the last parsed input */

/* Small limits so that the limit cases stay small. */
static const struct http_limits lim = { 256, 2048, 16 };

static int
parse_with(int response, const char *s, size_t n, const struct http_limits *l)
{
	free(owned);
	owned = malloc(n ? n : 1);
	assert_non_null(owned);
	memcpy(owned, s, n);
	memset(&msg, 0xa5, sizeof(msg));        /* the parser must reset every field */
	msg.hdrs = hdrs;
	if (response)
		return http_parse_response(owned, n, l, &msg);
	return http_parse_request(owned, n, l, &msg);
}

static int
req_n(const char *s, size_t n)
{
	return parse_with(0, s, n, &lim);
}

static int
resp_n(const char *s, size_t n)
{
	return parse_with(1, s, n, &lim);
}

/* For string literals, which may hold NUL bytes. */
#define REQ(lit)  req_n((lit), sizeof(lit) - 1)
#define RESP(lit) resp_n((lit), sizeof(lit) - 1)

/* The literal parses in full: the return value is its length. */
#define assert_req_ok(lit)  assert_int_equal(REQ(lit), (int)sizeof(lit) - 1)
#define assert_resp_ok(lit) assert_int_equal(RESP(lit), (int)sizeof(lit) - 1)

#define assert_rejected(rc, status) do { \
	assert_int_equal((rc), HTTP_ERROR); \
	assert_int_equal(msg.error_status, (status)); \
	assert_non_null(msg.error); \
} while (0)

/* Offset of a pointer the parser returned inside the last input. */
#define OFF(ptr) ((ptr) - owned)

/* Concatenate pre + mid[0..midlen) + post into out; returns the length. */
static size_t
build(char *out, size_t cap, const char *pre, const char *mid, size_t midlen, const char *post)
{
	size_t a = strlen(pre), c = strlen(post);

	assert_true(a + midlen + c <= cap);
	memcpy(out, pre, a);
	memcpy(out + a, mid, midlen);
	memcpy(out + a + midlen, post, c);
	return a + midlen + c;
}

/* Parse pre+mid+post as a request (or response) and demand an error status. */
static void
expect_error(int response, const char *pre, const char *mid, size_t midlen, const char *post,
    int status)
{
	char b[4096];
	size_t n = build(b, sizeof(b), pre, mid, midlen, post);
	int rc = parse_with(response, b, n, &lim);

	if (rc != HTTP_ERROR || msg.error_status != status || msg.error == NULL)
		fail_msg("%s [%.*s]: rc %d status %d, want error %d", response ? "response" : "request",
		    (int)midlen, mid, rc, rc == HTTP_ERROR ? msg.error_status : 0, status);
}

/* Parse pre+mid+post and demand success. */
static void
expect_ok(int response, const char *pre, const char *mid, size_t midlen, const char *post)
{
	char b[4096];
	size_t n = build(b, sizeof(b), pre, mid, midlen, post);
	int rc = parse_with(response, b, n, &lim);

	if (rc != (int)n)
		fail_msg("%s [%.*s]: rc %d (%s), want %zu", response ? "response" : "request",
		    (int)midlen, mid, rc, rc == HTTP_ERROR ? msg.error : "", n);
}

/* Every proper prefix of s[0..n) needs more bytes; all of it parses in full. */
static void
expect_prefixes_need_more(int response, const char *s, size_t n)
{
	int rc;

	for (size_t k = 0; k < n; k++) {
		rc = parse_with(response, s, k, &lim);
		if (rc != HTTP_NEED_MORE)
			fail_msg("prefix %zu of [%.*s]: rc %d (%s)", k, (int)n, s, rc,
			    rc == HTTP_ERROR ? msg.error : "");
	}
	rc = parse_with(response, s, n, &lim);
	if (rc != (int)n)
		fail_msg("[%.*s]: rc %d (%s), want %zu", (int)n, s, rc,
		    rc == HTTP_ERROR ? msg.error : "", n);
}

#define REQ_PRE "GET / HTTP/1.1\r\nHost: a\r\n"
#define RESP_PRE "HTTP/1.1 200 OK\r\n"

/* Request with one extra header line "NAME: VALUE" whose value is mid. */
static void
expect_value_error(const char *name, const char *value, size_t vlen, int status)
{
	char pre[128];

	snprintf(pre, sizeof(pre), "%s%s: ", REQ_PRE, name);
	expect_error(0, pre, value, vlen, "\r\n\r\n", status);
}

static void
expect_value_ok(const char *name, const char *value)
{
	char pre[128];

	snprintf(pre, sizeof(pre), "%s%s: ", REQ_PRE, name);
	expect_ok(0, pre, value, strlen(value), "\r\n\r\n");
}

/* ---- request line ---------------------------------------------------- */

static void
request_line_fields_point_into_the_buffer(void **state)
{
	int rc = REQ("POST /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nX-Y:  z z \r\n\r\n");

	assert_int_equal(rc, 57);
	assert_int_equal(msg.head_len, 57);
	assert_int_equal(OFF(msg.method), 0);
	assert_int_equal(msg.method_len, 4);
	assert_int_equal(OFF(msg.target), 5);
	assert_int_equal(msg.target_len, 8);
	assert_memory_equal(msg.target, "/a/b?c=d", 8);
	assert_int_equal(msg.version, 11);
	assert_int_equal(msg.nhdrs, 2);
	assert_int_equal(OFF(hdrs[0].name), 24);
	assert_int_equal(hdrs[0].name_len, 4);
	assert_int_equal(OFF(hdrs[0].value), 30);
	assert_int_equal(hdrs[0].value_len, 11);
	assert_memory_equal(hdrs[1].name, "X-Y", 3);
	assert_int_equal(hdrs[1].value_len, 3);
	assert_memory_equal(hdrs[1].value, "z z", 3);
	assert_int_equal(msg.content_length, -1);
	assert_int_equal(msg.status, 0);
	assert_null(msg.reason);
}

static void
request_head_length_stops_before_pipelined_bytes(void **state)
{
	static const char two[] = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
	int rc = REQ(two);

	assert_int_equal(rc, 28);
	assert_int_equal(msg.nhdrs, 1);
	rc = req_n(two + 28, sizeof(two) - 1 - 28);
	assert_int_equal(rc, 28);
	assert_memory_equal(msg.target, "/2", 2);
}

static void
request_with_lf_only_line_endings_is_accepted(void **state)
{
	int rc = REQ("GET / HTTP/1.1\nHost: a\nX: b\n\n");

	assert_int_equal(rc, 29);
	assert_int_equal(msg.nhdrs, 2);
	assert_int_equal(hdrs[0].value_len, 1);
	assert_int_equal(hdrs[1].value_len, 1);
	assert_req_ok("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\n");
	assert_int_equal(msg.nhdrs, 2);
}

/* Every proper prefix of these heads must ask for more bytes, never fail. */
static const char *const valid_requests[] = {
	"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1\nHost: a\n\n",
	"POST /upload?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nContent-Length: 10\r\n"
	    "Connection: keep-alive, X-A\r\nX-A: 1\r\nExpect: 100-continue\r\n\r\n",
	"PUT /c HTTP/1.1\r\nHost: [::1]:80\r\nTransfer-Encoding: gzip, chunked\r\nTE: trailers\r\n\r\n",
	"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
	"GET / HTTP/1.0\r\n\r\n",
	"OPTIONS * HTTP/1.1\r\nHost:\r\n\r\n",
};

static void
every_proper_prefix_of_a_valid_request_head_needs_more(void **state)
{
	for (size_t t = 0; t < sizeof(valid_requests) / sizeof(valid_requests[0]); t++)
		expect_prefixes_need_more(0, valid_requests[t], strlen(valid_requests[t]));
}

static void
request_line_with_extra_spaces_is_400(void **state)
{
	static const char *const bad[] = {
		"GET  / HTTP/1.1",      /* two spaces after the method */
		"GET /  HTTP/1.1",      /* two spaces before the version */
		"GET / HTTP/1.1 ",      /* trailing space */
		" GET / HTTP/1.1",      /* leading space */
		"GET / HTTP/1.1  ",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(0, "", bad[i], strlen(bad[i]), "\r\nHost: a\r\n\r\n", 400);
}

static void
request_line_with_space_in_target_is_400(void **state)
{
	assert_rejected(REQ("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_rejected(REQ("GET /a HTTP/1.1 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

static void
request_line_with_tab_separator_is_400(void **state)
{
	assert_rejected(REQ("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_rejected(REQ("GET /\tHTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

static void
request_line_with_unknown_version_is_400(void **state)
{
	static const char *const bad[] = {
		"HTTP/1.2", "HTTP/2.0", "HTTP/2", "HTTP/0.9", "HTTP/3.0", "HTTP/1.10", "HTTP/1.",
		"HTTP/1", "HTTP/11", "HTTP/1.1.", "HTTP/ 1.1", "HTTPS/1.1", "HTTP-1.1", "FOO",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(0, "GET / ", bad[i], strlen(bad[i]), "\r\nHost: a\r\n\r\n", 400);
}

static void
request_line_with_lowercase_version_is_400(void **state)
{
	assert_rejected(REQ("GET / http/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_rejected(REQ("GET / Http/1.1\r\nHost: a\r\n\r\n"), 400);
}

static void
request_line_without_version_http_0_9_style_is_400(void **state)
{
	assert_rejected(REQ("GET /\r\n\r\n"), 400);
	assert_rejected(REQ("GET\r\n\r\n"), 400);
	assert_rejected(REQ("GET / \r\n\r\n"), 400);
}

static void
request_line_with_invalid_method_is_400(void **state)
{
	assert_rejected(REQ(" / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_rejected(REQ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_rejected(REQ("G\"T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_rejected(REQ("GE/T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

static void
request_line_with_control_characters_is_400(void **state)
{
	for (int c = 0; c < 0x20; c++) {
		char ch = (char)c;

		if (c == '\n')
			continue;
		expect_error(0, "GET /a", &ch, 1, "b HTTP/1.1\r\nHost: a\r\n\r\n", 400);
		expect_error(0, "GE", &ch, 1, "T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
		expect_error(0, "GET / HTTP/1.1", &ch, 1, "\r\nHost: a\r\n\r\n", 400);
	}
	expect_error(0, "GET /a", "\x7f", 1, " HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

static void
request_line_with_nul_is_400(void **state)
{
	assert_rejected(REQ("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_rejected(REQ("GET / HTTP/1.1\0\r\nHost: a\r\n\r\n"), 400);
}

static void
request_line_with_bare_cr_is_400(void **state)
{
	assert_rejected(REQ("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400);
	assert_rejected(REQ("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_rejected(REQ("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n"), 400);
}

/* RFC 9112 2.2 lets a server ignore one empty line before a request; brace refuses it. */
static void
empty_line_before_request_line_is_400(void **state)
{
	assert_rejected(REQ("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_rejected(REQ("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

static void
request_line_may_carry_absolute_form_and_asterisk_targets(void **state)
{
	assert_req_ok("GET http://a/b HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(msg.target_len, 10);
	assert_int_equal(REQ("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 31);
	assert_int_equal(msg.target_len, 1);
	assert_int_equal(REQ("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"), 39);
}

static void
request_http_1_0_is_version_10_and_needs_no_host(void **state)
{
	assert_int_equal(REQ("GET / HTTP/1.0\r\n\r\n"), 18);
	assert_int_equal(msg.version, 10);
	assert_false(msg.flags & HTTP_F_HOST);
	assert_int_equal(REQ("GET / HTTP/1.0\r\nHost: a\r\n\r\n"), 27);
	assert_true(msg.flags & HTTP_F_HOST);
}

/* ---- Host ------------------------------------------------------------ */

static void
request_http_1_1_without_host_is_400(void **state)
{
	assert_rejected(REQ("GET / HTTP/1.1\r\n\r\n"), 400);
	assert_rejected(REQ("GET / HTTP/1.1\r\nX-Host: a\r\nHosts: a\r\n\r\n"), 400);
}

static void
request_with_more_than_one_host_is_400(void **state)
{
	assert_rejected(REQ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
	assert_rejected(REQ("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), 400);
	assert_rejected(REQ("GET / HTTP/1.0\r\nHost: a\r\nHOST: b\r\n\r\n"), 400);
}

/* RFC 9112 3.2: a Host field with an invalid value is a 400. */
static void
request_with_invalid_host_value_is_400(void **state)
{
	static const char *const bad[] = {
		"a b", "a/b", "a@b", "user@host", "a?b", "a#b", "a\\b", "a\"b", "a<b", "a>b",
		"a{b", "a|b", "a^b", "a`b", "a,b", "\xc3\xa9.example", "a\tb",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(0, "GET / HTTP/1.1\r\nHost: ", bad[i], strlen(bad[i]), "\r\n\r\n", 400);
}

static void
request_with_valid_host_forms_is_accepted(void **state)
{
	static const char *const good[] = {
		"example.com", "example.com:8080", "127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:443",
		"[v1.fe80::a+en1]", "xn--bcher-kva.example", "a_b.example", "%41.example", "a-b~c",
		"sub!$&'()*+;=.example", "",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		expect_ok(0, "GET / HTTP/1.1\r\nHost: ", good[i], strlen(good[i]), "\r\n\r\n");
}

/* ---- Content-Length ---------------------------------------------------- */

static void
request_content_length_is_parsed(void **state)
{
	assert_req_ok(REQ_PRE "Content-Length: 42\r\n\r\n");
	assert_int_equal(msg.content_length, 42);
	assert_true(msg.flags & HTTP_F_CL);
	assert_false(msg.flags & (HTTP_F_TE | HTTP_F_CHUNKED));
	assert_req_ok(REQ_PRE "Content-Length: 0\r\n\r\n");
	assert_int_equal(msg.content_length, 0);
	assert_req_ok(REQ_PRE "Content-Length: 1099511627776\r\n\r\n");
	assert_int_equal(msg.content_length, 1099511627776LL);
	assert_req_ok(REQ_PRE "Content-Length: 007\r\n\r\n");
	assert_int_equal(msg.content_length, 7);
	assert_req_ok(REQ_PRE "Content-Length:\t 9 \t\r\n\r\n");
	assert_int_equal(msg.content_length, 9);
}

static void
request_without_content_length_has_minus_one(void **state)
{
	assert_req_ok(REQ_PRE "\r\n");
	assert_int_equal(msg.content_length, -1);
	assert_false(msg.flags & HTTP_F_CL);
}

static void
request_with_both_content_length_and_transfer_encoding_is_400(void **state)
{
	assert_rejected(REQ(REQ_PRE "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n"), 400);
}

static void
request_with_differing_content_length_headers_is_400(void **state)
{
	assert_rejected(REQ(REQ_PRE "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "Content-Length: 0\r\ncontent-length: 10\r\n\r\n"), 400);
}

static void
request_with_differing_content_length_list_is_400(void **state)
{
	assert_rejected(REQ(REQ_PRE "Content-Length: 5, 6\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "Content-Length: 5,5,6\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "Content-Length: 5, 5\r\nContent-Length: 6\r\n\r\n"), 400);
}

static void
request_with_identical_repeated_content_length_is_accepted(void **state)
{
	assert_true(REQ(REQ_PRE "Content-Length: 5\r\nContent-Length: 5\r\n\r\n") > 0);
	assert_int_equal(msg.content_length, 5);
	assert_true(REQ(REQ_PRE "Content-Length: 5, 5\r\n\r\n") > 0);
	assert_int_equal(msg.content_length, 5);
	assert_true(REQ(REQ_PRE "Content-Length: 5 ,\t5,5\r\nContent-Length: 05\r\n\r\n") > 0);
	assert_int_equal(msg.content_length, 5);
}

static void
request_with_content_length_not_plain_digits_is_400(void **state)
{
	static const char *const bad[] = {
		"abc", "5a", "a5", "0x10", "5 5", "5.0", "1e3", "five", "5;", "\"5\"", "٣", "5\xa0",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_value_error("Content-Length", bad[i], strlen(bad[i]), 400);
}

static void
request_with_signed_content_length_is_400(void **state)
{
	expect_value_error("Content-Length", "+5", 2, 400);
	expect_value_error("Content-Length", "-5", 2, 400);
	expect_value_error("Content-Length", "-0", 2, 400);
	expect_value_error("Content-Length", "-1", 2, 400);
}

static void
request_with_overflowing_content_length_is_400(void **state)
{
	expect_value_error("Content-Length", "9223372036854775808", 19, 400);
	expect_value_error("Content-Length", "18446744073709551616", 20, 400);
	expect_value_error("Content-Length", "99999999999999999999999999999", 29, 400);
	expect_value_ok("Content-Length", "999999999999999999");
	assert_int_equal(msg.content_length, 999999999999999999LL);
}

static void
request_with_empty_content_length_is_400(void **state)
{
	assert_rejected(REQ(REQ_PRE "Content-Length:\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "Content-Length:   \r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "Content-Length: ,\r\n\r\n"), 400);
}

/* A field that carries no value after a valid one must not pass as "5". */
static void
request_with_empty_content_length_after_a_valid_one_is_400(void **state)
{
	assert_rejected(REQ(REQ_PRE "Content-Length: 5\r\nContent-Length: ,\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "Content-Length: 5\r\nContent-Length:\r\n\r\n"), 400);
}

static void
request_with_empty_element_in_content_length_list_is_400(void **state)
{
	expect_value_error("Content-Length", "5,", 2, 400);
	expect_value_error("Content-Length", ",5", 2, 400);
	expect_value_error("Content-Length", "5,,5", 4, 400);
	expect_value_error("Content-Length", "5, ,5", 5, 400);
}

/* ---- Transfer-Encoding ------------------------------------------------- */

static void
request_with_chunked_transfer_encoding_sets_chunked(void **state)
{
	assert_true(REQ(REQ_PRE "Transfer-Encoding: chunked\r\n\r\n") > 0);
	assert_true(msg.flags & HTTP_F_CHUNKED);
	assert_true(msg.flags & HTTP_F_TE);
	assert_false(msg.flags & HTTP_F_CL);
	assert_int_equal(msg.content_length, -1);
	expect_value_ok("Transfer-Encoding", "Chunked");
	assert_true(msg.flags & HTTP_F_CHUNKED);
	expect_value_ok("Transfer-Encoding", "CHUNKED");
	assert_true(msg.flags & HTTP_F_CHUNKED);
}

static void
request_with_known_codings_before_chunked_is_accepted(void **state)
{
	expect_value_ok("Transfer-Encoding", "gzip, chunked");
	assert_true(msg.flags & HTTP_F_CHUNKED);
	expect_value_ok("Transfer-Encoding", "deflate,chunked");
	expect_value_ok("Transfer-Encoding", "x-gzip ,\tcompress, chunked");
	assert_true(REQ(REQ_PRE "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n") > 0);
	assert_true(msg.flags & HTTP_F_CHUNKED);
}

static void
request_with_transfer_encoding_not_ending_in_chunked_is_400(void **state)
{
	expect_value_error("Transfer-Encoding", "gzip", 4, 400);
	expect_value_error("Transfer-Encoding", "deflate, gzip", 13, 400);
	assert_rejected(REQ(REQ_PRE "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"), 400);
}

static void
request_with_chunked_then_another_coding_is_400(void **state)
{
	expect_value_error("Transfer-Encoding", "chunked, gzip", 13, 400);
	expect_value_error("Transfer-Encoding", "chunked,deflate", 15, 400);
}

static void
request_with_chunked_twice_is_400(void **state)
{
	expect_value_error("Transfer-Encoding", "chunked, chunked", 16, 400);
	assert_rejected(REQ(REQ_PRE "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
	    400);
}

static void
request_with_unknown_transfer_coding_is_400(void **state)
{
	static const char *const bad[] = {
		"identity", "br", "zstd", "foo, chunked", "identity, chunked", "trailers, chunked",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_value_error("Transfer-Encoding", bad[i], strlen(bad[i]), 400);
}

static void
request_with_quoted_or_parameterised_transfer_encoding_is_400(void **state)
{
	static const char *const bad[] = {
		"\"chunked\"", "'chunked'", "chunked;x", "chunked; q=1", "chunked;", "gzip;q=1, chunked",
		"chunked=1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_value_error("Transfer-Encoding", bad[i], strlen(bad[i]), 400);
}

static void
request_with_obfuscated_transfer_encoding_is_400(void **state)
{
	static const char *const bad[] = {
		"xchunked", "chunkedx", "chunk", "chunked-", "ch unked", "chunk ed", "chunked chunked",
		"chunked\xc2\xa0", "\xc2\xa0" "chunked", "chunKed\xff", "chunked/1.1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_value_error("Transfer-Encoding", bad[i], strlen(bad[i]), 400);
	expect_value_error("Transfer-Encoding", "chunked\x0b", 8, 400);
	expect_value_error("Transfer-Encoding", "\x0c" "chunked", 8, 400);
}

/* Empty list elements around chunked are a classic obfuscation: refused. */
static void
request_with_empty_element_in_transfer_encoding_is_400(void **state)
{
	expect_value_error("Transfer-Encoding", "chunked,", 8, 400);
	expect_value_error("Transfer-Encoding", ",chunked", 8, 400);
	expect_value_error("Transfer-Encoding", "gzip,,chunked", 13, 400);
	expect_value_error("Transfer-Encoding", ", chunked", 9, 400);
}

static void
request_with_empty_transfer_encoding_is_400(void **state)
{
	assert_rejected(REQ(REQ_PRE "Transfer-Encoding:\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "Transfer-Encoding: \r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "Transfer-Encoding: chunked\r\nTransfer-Encoding:\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "Transfer-Encoding: chunked\r\nTransfer-Encoding: ,\r\n\r\n"), 400);
}

static void
request_with_transfer_encoding_in_http_1_0_is_400(void **state)
{
	assert_rejected(REQ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
	assert_rejected(REQ("POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
	    400);
}

/* ---- field syntax -------------------------------------------------------- */

static void
request_with_whitespace_between_field_name_and_colon_is_400(void **state)
{
	assert_rejected(REQ(REQ_PRE "Transfer-Encoding : chunked\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "Content-Length\t: 5\r\n\r\n"), 400);
	assert_rejected(REQ("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "X-A  : b\r\n\r\n"), 400);
}

static void
request_with_framing_header_spelled_with_underscore_is_400(void **state)
{
	/* servers that read '_' as '-' would take these as framing */
	assert_rejected(REQ(REQ_PRE "Transfer_Encoding: chunked\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "content_length: 5\r\n\r\n"), 400);
}

static void
request_with_obs_fold_is_400(void **state)
{
	assert_rejected(REQ(REQ_PRE "X-A: b\r\n c\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "X-A: b\r\n\tc\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "Transfer-Encoding: gzip,\r\n chunked\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "X-A: b\n c\n\n"), 400);
}

static void
request_with_whitespace_before_first_field_is_400(void **state)
{
	assert_rejected(REQ("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400);
	assert_rejected(REQ("GET / HTTP/1.1\r\n\tHost: a\r\n\r\n"), 400);
}

static void
request_with_nul_in_field_name_is_400(void **state)
{
	assert_rejected(REQ(REQ_PRE "X-\0A: b\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "\0: b\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "Content-Length\0: 5\r\n\r\n"), 400);
}

static void
request_with_nul_in_field_value_is_400(void **state)
{
	assert_rejected(REQ(REQ_PRE "X-A: b\0c\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "X-A: \0\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "Transfer-Encoding: chunked\0\r\n\r\n"), 400);
}

static void
request_with_bare_cr_in_field_name_is_400(void **state)
{
	assert_rejected(REQ(REQ_PRE "X-\rA: b\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "\rX-A: b\r\n\r\n"), 400);
}

static void
request_with_bare_cr_in_field_value_is_400(void **state)
{
	assert_rejected(REQ(REQ_PRE "X-A: b\rc\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "X-A: b\r\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "X-A: b\rTransfer-Encoding: chunked\r\n\r\n"), 400);
}

static void
request_with_bare_cr_as_end_of_head_is_400(void **state)
{
	assert_rejected(REQ(REQ_PRE "\rX"), 400);
	assert_rejected(REQ(REQ_PRE "\r\r\n"), 400);
}

static void
request_with_control_characters_in_field_value_is_400(void **state)
{
	for (int c = 1; c < 0x20; c++) {
		char ch = (char)c;

		if (c == '\t' || c == '\n')
			continue;
		expect_value_error("X-A", &ch, 1, 400);
		{
			char v[3] = { 'a', ch, 'b' };

			expect_value_error("X-A", v, 3, 400);
		}
	}
	expect_value_error("X-A", "a\x7f" "b", 3, 400);
}

static void
request_with_invalid_characters_in_field_name_is_400(void **state)
{
	static const char seps[] = "()<>@,;\\\"/[]?={} \t\x7f\x80\xff";

	for (int c = 0; c < 0x20; c++) {
		char ch = (char)c;

		if (c == '\n' || c == '\t')
			continue;
		expect_error(0, REQ_PRE "X", &ch, 1, "A: b\r\n\r\n", 400);
	}
	for (size_t i = 0; i < sizeof(seps) - 1; i++)
		expect_error(0, REQ_PRE "X", &seps[i], 1, "A: b\r\n\r\n", 400);
}

static void
request_with_empty_field_name_is_400(void **state)
{
	assert_rejected(REQ(REQ_PRE ": b\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE ":\r\n\r\n"), 400);
}

static void
request_field_line_without_colon_is_400(void **state)
{
	assert_rejected(REQ(REQ_PRE "X-A b\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "X-A\r\n\r\n"), 400);
	assert_rejected(REQ(REQ_PRE "GET / HTTP/1.1\r\n\r\n"), 400);
}

static void
request_field_value_may_hold_tab_obs_text_and_be_empty(void **state)
{
	assert_true(REQ(REQ_PRE "X-A: a\tb \xe2\x82\xac c\r\nX-B:\r\nX-C:   \r\n\r\n") > 0);
	assert_int_equal(msg.nhdrs, 4);
	assert_int_equal(hdrs[1].value_len, 9);
	assert_memory_equal(hdrs[1].value, "a\tb \xe2\x82\xac c", 9);
	assert_int_equal(hdrs[2].value_len, 0);
	assert_int_equal(hdrs[3].value_len, 0);
}

static void
request_field_value_is_trimmed_of_surrounding_whitespace(void **state)
{
	assert_true(REQ(REQ_PRE "X-A: \t a b \t \r\nX-B:c\r\n\r\n") > 0);
	assert_int_equal(hdrs[1].value_len, 3);
	assert_memory_equal(hdrs[1].value, "a b", 3);
	assert_int_equal(hdrs[2].value_len, 1);
	assert_memory_equal(hdrs[2].value, "c", 1);
}

static void
request_field_names_may_use_every_token_character(void **state)
{
	assert_true(REQ(REQ_PRE "!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n") > 0);
	assert_int_equal(hdrs[1].name_len, 21);
	assert_int_equal(hdrs[1].kind, HDR_OTHER);
}

/* ---- limits -------------------------------------------------------------- */

static void
request_line_longer_than_the_limit_is_414(void **state)
{
	char b[600];
	size_t n;

	memset(b, 'a', sizeof(b));
	memcpy(b, "GET /", 5);
	n = (size_t)snprintf(b + 300, 300, " HTTP/1.1\r\nHost: a\r\n\r\n") + 300;
	assert_rejected(req_n(b, n), 414);
	assert_rejected(req_n(b, 300), 414);    /* not even complete yet */
	assert_rejected(req_n(b, 257), 414);
	assert_int_equal(req_n(b, 256), HTTP_NEED_MORE);
}

/* A request line of exactly the limit passes, even while its CRLF arrives. */
static void
request_line_of_exactly_the_limit_is_accepted_at_every_prefix(void **state)
{
	char b[300];
	size_t n;

	memset(b, 'a', sizeof(b));
	memcpy(b, "GET /", 5);
	memcpy(b + 256 - 9, " HTTP/1.1", 9);        /* request line of 256 bytes */
	n = 256 + (size_t)snprintf(b + 256, 44, "\r\nHost: a\r\n\r\n");
	expect_prefixes_need_more(0, b, n);
	/* LF-only: the same line ends one byte earlier */
	n = 256 + (size_t)snprintf(b + 256, 44, "\nHost: a\n\n");
	assert_int_equal(req_n(b, n), (int)n);
}

static void
head_larger_than_the_limit_is_431(void **state)
{
	char b[3000], v[2100];
	size_t n;

	memset(v, 'v', sizeof(v));
	v[sizeof(v) - 1] = '\0';
	n = (size_t)snprintf(b, sizeof(b), REQ_PRE "X-Big: %s\r\n\r\n", v);
	assert_rejected(req_n(b, n), 431);
	assert_rejected(req_n(b, 2100), 431);   /* incomplete, already past the limit */
}

static void
head_of_exactly_the_limit_is_accepted(void **state)
{
	char b[2100];
	size_t pre = strlen(REQ_PRE "X-Big: "), n = 2048;

	memcpy(b, REQ_PRE "X-Big: ", pre);
	memset(b + pre, 'v', n - pre - 4);
	memcpy(b + n - 4, "\r\n\r\n", 4);
	assert_int_equal(req_n(b, n), (int)n);
	memset(b + pre, 'v', n + 1 - pre - 4);
	memcpy(b + n + 1 - 4, "\r\n\r\n", 4);
	assert_rejected(req_n(b, n + 1), 431);
}

static void
more_headers_than_the_limit_is_431(void **state)
{
	char b[1024];
	size_t n = (size_t)snprintf(b, sizeof(b), "GET / HTTP/1.1\r\nHost: a\r\n");

	for (int i = 1; i < 16; i++)
		n += (size_t)snprintf(b + n, sizeof(b) - n, "X-%d: v\r\n", i);
	memcpy(b + n, "\r\n", 2);
	assert_int_equal(req_n(b, n + 2), (int)n + 2);   /* 16 headers: the limit */
	assert_int_equal(msg.nhdrs, 16);
	n += (size_t)snprintf(b + n, sizeof(b) - n, "X-16: v\r\n\r\n");
	assert_rejected(req_n(b, n), 431);
}

/* ---- classification and flags -------------------------------------------- */

static void
header_kinds_are_classified_case_insensitively(void **state)
{
	static const struct {
		const char *name, *value;
		int kind;
	} t[] = {
		{ "hOST", "b", HDR_HOST }, { "CONTENT-length", "0", HDR_CONTENT_LENGTH },
		{ "transfer-ENCODING", "chunked", HDR_TRANSFER_ENCODING },
		{ "Connection", "x", HDR_CONNECTION }, { "Keep-Alive", "timeout=5", HDR_KEEP_ALIVE },
		{ "Proxy-Connection", "close", HDR_PROXY_CONNECTION }, { "te", "trailers", HDR_TE },
		{ "UPGRADE", "websocket", HDR_UPGRADE }, { "Expect", "x", HDR_EXPECT },
		{ "X-Forwarded-For", "1.2.3.4", HDR_X_FORWARDED_FOR },
		{ "x-forwarded-proto", "https", HDR_X_FORWARDED_PROTO },
		{ "X-FORWARDED-HOST", "h", HDR_X_FORWARDED_HOST }, { "Trailer", "X", HDR_TRAILER },
		{ "Hosts", "x", HDR_OTHER }, { "Content-Lengths", "x", HDR_OTHER },
		{ "X_Custom_Header", "x", HDR_OTHER }, { "Transfer-Encodin", "x", HDR_OTHER },
		{ "T", "x", HDR_OTHER }, { "X-Forwarded-Fox", "x", HDR_OTHER },
		{ "Trailers", "x", HDR_OTHER }, { "Connections", "x", HDR_OTHER },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char b[256];
		int host = t[i].kind == HDR_HOST;
		int n = snprintf(b, sizeof(b), "GET / HTTP/1.1\r\n%s%s: %s\r\n\r\n",
		    host ? "" : "Host: a\r\n", t[i].name, t[i].value);
		int rc = req_n(b, (size_t)n);
		size_t at = host ? 0 : 1;

		if (rc != n || msg.nhdrs != at + 1 || hdrs[at].kind != t[i].kind)
			fail_msg("%s: rc %d kind %d, want %d", t[i].name, rc, hdrs[at].kind, t[i].kind);
	}
}

static void
connection_close_sets_close_flag(void **state)
{
	assert_true(REQ(REQ_PRE "Connection: close\r\n\r\n") > 0);
	assert_int_equal(msg.flags & (HTTP_F_CONN_CLOSE | HTTP_F_CONN_KEEPALIVE | HTTP_F_CONN_UPGRADE |
	    HTTP_F_CONN_OTHER), HTTP_F_CONN_CLOSE);
	assert_true(REQ(REQ_PRE "Connection: CLOSE\r\n\r\n") > 0);
	assert_true(msg.flags & HTTP_F_CONN_CLOSE);
	assert_true(REQ(REQ_PRE "\r\n") > 0);
	assert_false(msg.flags & HTTP_F_CONN_CLOSE);
}

static void
connection_keep_alive_sets_keepalive_flag(void **state)
{
	assert_true(REQ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n") > 0);
	assert_int_equal(msg.flags & (HTTP_F_CONN_CLOSE | HTTP_F_CONN_KEEPALIVE | HTTP_F_CONN_OTHER),
	    HTTP_F_CONN_KEEPALIVE);
}

static void
connection_upgrade_sets_upgrade_flags(void **state)
{
	assert_true(REQ(REQ_PRE "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\r\n") > 0);
	assert_true(msg.flags & HTTP_F_CONN_UPGRADE);
	assert_true(msg.flags & HTTP_F_CONN_KEEPALIVE);
	assert_true(msg.flags & HTTP_F_UPGRADE);
	assert_false(msg.flags & HTTP_F_CONN_OTHER);
	assert_true(REQ(REQ_PRE "Upgrade: websocket\r\n\r\n") > 0);
	assert_true(msg.flags & HTTP_F_UPGRADE);
	assert_false(msg.flags & HTTP_F_CONN_UPGRADE);
}

static void
connection_options_from_several_fields_add_up(void **state)
{
	assert_true(REQ(REQ_PRE "Connection: upgrade\r\nConnection: ,, close ,\r\n\r\n") > 0);
	assert_true(msg.flags & HTTP_F_CONN_UPGRADE);
	assert_true(msg.flags & HTTP_F_CONN_CLOSE);
}

static void
expect_100_continue_sets_expect_flag(void **state)
{
	assert_true(REQ(REQ_PRE "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n") > 0);
	assert_true(msg.flags & HTTP_F_EXPECT_100);
	assert_true(REQ(REQ_PRE "Expect: 100-Continue\r\n\r\n") > 0);
	assert_true(msg.flags & HTTP_F_EXPECT_100);
	assert_true(REQ(REQ_PRE "Expect: 100-continued\r\n\r\n") > 0);
	assert_false(msg.flags & HTTP_F_EXPECT_100);
	assert_true(REQ(REQ_PRE "\r\n") > 0);
	assert_false(msg.flags & HTTP_F_EXPECT_100);
}

/* RFC 9110 10.1.1: a server MUST ignore 100-continue in an HTTP/1.0 request. */
static void
expect_100_continue_in_http_1_0_is_ignored(void **state)
{
	assert_true(REQ("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n") > 0);
	assert_false(msg.flags & HTTP_F_EXPECT_100);
}

static void
headers_named_in_connection_are_marked_hop_by_hop(void **state)
{
	assert_true(REQ(REQ_PRE "X-A: 1\r\nConnection: close, x-a, X-C\r\nX-B: 2\r\nx-c: 3\r\n"
	    "X-A: 4\r\n\r\n") > 0);
	assert_int_equal(msg.nhdrs, 6);
	assert_true(msg.flags & HTTP_F_CONN_OTHER);
	assert_int_equal(hdrs[0].hop, 0);       /* Host */
	assert_int_equal(hdrs[1].hop, 1);       /* X-A */
	assert_int_equal(hdrs[2].hop, 0);       /* Connection (dropped by kind) */
	assert_int_equal(hdrs[3].hop, 0);       /* X-B */
	assert_int_equal(hdrs[4].hop, 1);       /* x-c */
	assert_int_equal(hdrs[5].hop, 1);       /* X-A again */
}

static void
headers_are_not_hop_by_hop_unless_connection_names_them(void **state)
{
	assert_true(REQ(REQ_PRE "X-A: 1\r\nConnection: keep-alive\r\nKeep-Alive: 5\r\n\r\n") > 0);
	for (size_t i = 0; i < msg.nhdrs; i++)
		assert_int_equal(hdrs[i].hop, 0);
	assert_false(msg.flags & HTTP_F_CONN_OTHER);
}

/* A client must not get the proxy to drop the framing or routing fields. */
static void
connection_never_marks_content_length_transfer_encoding_or_host(void **state)
{
	assert_true(REQ(REQ_PRE "Content-Length: 3\r\nConnection: Content-Length, Host, X-A\r\n"
	    "X-A: 1\r\n\r\n") > 0);
	assert_int_equal(hdrs[0].hop, 0);
	assert_int_equal(hdrs[1].hop, 0);
	assert_int_equal(hdrs[3].hop, 1);
	assert_true(REQ(REQ_PRE "Transfer-Encoding: chunked\r\nConnection: transfer-encoding, X-A\r\n"
	    "X-A: 1\r\n\r\n") > 0);
	assert_int_equal(hdrs[0].hop, 0);
	assert_int_equal(hdrs[1].hop, 0);
	assert_int_equal(hdrs[3].hop, 1);
}

/* Upgrade is forwarded or dropped by its kind and flags, whatever Connection lists. */
static void
connection_never_marks_upgrade_hop_by_hop(void **state)
{
	assert_true(REQ(REQ_PRE "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
	    "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n") > 0);
	assert_true(msg.flags & HTTP_F_CONN_UPGRADE);
	assert_true(msg.flags & HTTP_F_UPGRADE);
	assert_int_equal(hdrs[2].kind, HDR_UPGRADE);
	assert_int_equal(hdrs[2].hop, 0);
	assert_int_equal(hdrs[3].hop, 1);       /* HTTP2-Settings */
	assert_true(REQ(REQ_PRE "Upgrade: websocket\r\nConnection: upgrade\r\n\r\n") > 0);
	assert_int_equal(hdrs[1].hop, 0);
}

/* ---- responses ------------------------------------------------------------- */

static void
response_status_line_fields_point_into_the_buffer(void **state)
{
	int rc = RESP("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n");

	assert_int_equal(rc, 45);
	assert_int_equal(msg.status, 404);
	assert_int_equal(msg.version, 11);
	assert_int_equal(OFF(msg.reason), 13);
	assert_int_equal(msg.reason_len, 9);
	assert_int_equal(msg.content_length, 9);
	assert_int_equal(msg.nhdrs, 1);
	assert_int_equal(OFF(hdrs[0].value), 40);
	assert_null(msg.method);
	assert_null(msg.target);
}

static void
response_http_1_0_status_line_is_accepted(void **state)
{
	assert_int_equal(RESP("HTTP/1.0 200 OK\r\n\r\n"), 19);
	assert_int_equal(msg.version, 10);
	assert_int_equal(msg.status, 200);
}

static void
response_reason_phrase_may_be_absent_empty_or_hold_spaces(void **state)
{
	assert_int_equal(RESP("HTTP/1.1 200\r\n\r\n"), 16);
	assert_int_equal(msg.reason_len, 0);
	assert_int_equal(RESP("HTTP/1.1 200 \r\n\r\n"), 17);
	assert_int_equal(msg.reason_len, 0);
	assert_resp_ok("HTTP/1.1 500 Internal  Server\tError \xe2\x9c\x97\r\n\r\n");
	assert_int_equal(msg.reason_len, 26);
	assert_int_equal(msg.status, 500);
	assert_int_equal(RESP("HTTP/1.1 200 OK\n\n"), 17);
}

static void
response_status_codes_from_100_to_999_are_accepted(void **state)
{
	assert_true(RESP("HTTP/1.1 100 Continue\r\n\r\n") > 0);
	assert_int_equal(msg.status, 100);
	assert_true(RESP("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\n\r\n") > 0);
	assert_int_equal(msg.status, 101);
	assert_true(msg.flags & HTTP_F_UPGRADE);
	assert_true(msg.flags & HTTP_F_CONN_UPGRADE);
	assert_true(RESP("HTTP/1.1 999 X\r\n\r\n") > 0);
	assert_int_equal(msg.status, 999);
}

static void
response_with_malformed_status_line_is_502(void **state)
{
	static const char *const bad[] = {
		"HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1  200 OK", "HTTP/1.1 099 OK",
		"HTTP/1.1 abc OK", "HTTP/1.1 -20 OK", "HTTP/2 200 OK", "HTTP/2.0 200 OK",
		"HTTP/1.2 200 OK", "HTTP/0.9 200 OK", "http/1.1 200 OK", "HTTP/1.1\t200 OK",
		"HTTP/1.1 200\tOK", "HTTP/1.1", "HTTP/1.1 ", "HTTP/1.1 200OK", " HTTP/1.1 200 OK",
		"", "ICY 200 OK", "HTTP/1.1 2 0 OK",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(1, "", bad[i], strlen(bad[i]), "\r\nContent-Length: 0\r\n\r\n", 502);
}

static void
response_reason_phrase_with_control_characters_is_502(void **state)
{
	assert_rejected(RESP("HTTP/1.1 200 O\0K\r\n\r\n"), 502);
	assert_rejected(RESP("HTTP/1.1 200 O\rK\r\n\r\n"), 502);
	assert_rejected(RESP("HTTP/1.1 200 O\x01K\r\n\r\n"), 502);
	assert_rejected(RESP("HTTP/1.1 200 OK\r\r\n\r\n"), 502);
}

static void
response_with_ambiguous_framing_is_502(void **state)
{
	static const char *const bad[] = {
		"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
		"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
		"Content-Length: 5\r\nContent-Length: 6\r\n",
		"Content-Length: 5, 6\r\n",
		"Content-Length: -1\r\n",
		"Content-Length: 0x10\r\n",
		"Content-Length: 99999999999999999999\r\n",
		"Content-Length:\r\n",
		"Content-Length: 5\r\nContent-Length: ,\r\n",
		"Transfer-Encoding: gzip\r\n",
		"Transfer-Encoding: chunked, gzip\r\n",
		"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
		"Transfer-Encoding: \"chunked\"\r\n",
		"Transfer-Encoding: chunked;x\r\n",
		"Transfer-Encoding: xchunked\r\n",
		"Transfer-Encoding: chunked,\r\n",
		"Transfer-Encoding : chunked\r\n",
		"X-A: b\r\n c\r\n",
		" X-A: b\r\n",
		"X-A: b\rc\r\n",
		"X-\x01" "A: b\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(1, RESP_PRE, bad[i], strlen(bad[i]), "\r\n", 502);
	assert_rejected(RESP("HTTP/1.1 200 OK\r\nX-A: b\0c\r\n\r\n"), 502);
}

static void
response_with_transfer_encoding_in_http_1_0_is_502(void **state)
{
	assert_rejected(RESP("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), 502);
}

static void
response_head_too_large_or_with_too_many_headers_is_502(void **state)
{
	char b[3000];
	size_t n = (size_t)snprintf(b, sizeof(b), RESP_PRE);

	for (int i = 0; i < 17; i++)
		n += (size_t)snprintf(b + n, sizeof(b) - n, "X-%d: v\r\n", i);
	memcpy(b + n, "\r\n", 2);
	assert_rejected(resp_n(b, n + 2), 502);
	memset(b, 'x', sizeof(b));
	memcpy(b, RESP_PRE "X: ", strlen(RESP_PRE "X: "));
	memcpy(b + 2500, "\r\n\r\n", 4);
	assert_rejected(resp_n(b, 2504), 502);
	assert_rejected(resp_n(b, 2400), 502);  /* incomplete, already past the limit */
	memset(b, 'x', sizeof(b));
	memcpy(b, "HTTP/1.1 200 ", 13);     /* a status line past the limit */
	assert_rejected(resp_n(b, 2400), 502);
}

static void
response_needs_no_host_and_may_repeat_it(void **state)
{
	assert_true(RESP("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") > 0);
	assert_true(RESP("HTTP/1.1 200 OK\r\nHost: a\r\nHost: b\r\n\r\n") > 0);
	assert_true(RESP("HTTP/1.1 200 OK\r\nHost: a b\r\n\r\n") > 0);
}

static void
response_framing_fields_are_parsed(void **state)
{
	assert_true(RESP("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
	    > 0);
	assert_true(msg.flags & HTTP_F_CHUNKED);
	assert_true(msg.flags & HTTP_F_CONN_CLOSE);
	assert_true(RESP("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\nConnection: keep-alive\r\n\r\n")
	    > 0);
	assert_int_equal(msg.content_length, 5);
	assert_true(msg.flags & HTTP_F_CONN_KEEPALIVE);
	assert_true(RESP("HTTP/1.1 200 OK\r\n\r\n") > 0);
	assert_int_equal(msg.content_length, -1);
	assert_false(msg.flags & (HTTP_F_CHUNKED | HTTP_F_CL | HTTP_F_TE));
}

static const char *const valid_responses[] = {
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n",
	"HTTP/1.1 204\r\n\r\n",
	"HTTP/1.0 304 Not Modified\nETag: \"x\"\n\n",
	"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nTrailer: X-T\r\n\r\n",
};

static void
every_proper_prefix_of_a_valid_response_head_needs_more(void **state)
{
	for (size_t t = 0; t < sizeof(valid_responses) / sizeof(valid_responses[0]); t++)
		expect_prefixes_need_more(1, valid_responses[t], strlen(valid_responses[t]));
}

static void
status_1xx_204_and_304_have_no_body(void **state)
{
	for (int s = 100; s < 200; s++)
		assert_true(http_status_has_no_body(s));
	assert_true(http_status_has_no_body(204));
	assert_true(http_status_has_no_body(304));
	assert_false(http_status_has_no_body(200));
	assert_false(http_status_has_no_body(201));
	assert_false(http_status_has_no_body(205));
	assert_false(http_status_has_no_body(301));
	assert_false(http_status_has_no_body(404));
	assert_false(http_status_has_no_body(500));
	assert_false(http_status_has_no_body(99));
	assert_false(http_status_has_no_body(0));
}

static void
token_comparison_is_case_insensitive_and_exact_in_length(void **state)
{
	assert_true(http_token_eq("Chunked", 7, "chunked"));
	assert_true(http_token_eq("CHUNKED", 7, "chunked"));
	assert_false(http_token_eq("chunke", 6, "chunked"));
	assert_false(http_token_eq("chunkedx", 8, "chunked"));
	assert_false(http_token_eq("chunked", 7, "chunkee"));
	assert_true(http_token_eq("", 0, ""));
}

/* ---- http_head_end ---------------------------------------------------------- */

static const char *const heads[] = {
	"GET / HTTP/1.1\r\nHost: a\r\n\r\nbody",
	"GET / HTTP/1.1\nHost: a\n\nGET / HTTP/1.1\n\n",
	"GET / HTTP/1.1\nHost: a\n\r\nX",
	"GET / HTTP/1.1\r\nHost: a\r\n\nX",
	"GET / HTTP/1.0\r\n\r\n",
	"\r\n\r\n",
	"\n\n",
	"GET / HTTP/1.1\r\nX: \r\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\n",                       /* incomplete */
	"GET / HTTP/1.1\r\nHost: a\r\n\r",                     /* incomplete */
	"GET / HTTP/1.1\r\nHost: a\r\n\rX\r\n\r\n",
	"no newline at all",
	"",
};

static void
head_end_finds_the_first_empty_line(void **state)
{
	static const size_t want[] = { 27, 24, 25, 26, 18, 4, 2, 24, 0, 0, 31, 0, 0 };

	for (size_t t = 0; t < sizeof(heads) / sizeof(heads[0]); t++) {
		size_t scan = 0, got = http_head_end(heads[t], strlen(heads[t]), &scan);

		if (got != want[t])
			fail_msg("head %zu: %zu, want %zu", t, got, want[t]);
	}
}

static void
head_end_fed_one_byte_at_a_time_matches_whole_buffer(void **state)
{
	for (size_t t = 0; t < sizeof(heads) / sizeof(heads[0]); t++) {
		const char *s = heads[t];
		size_t n = strlen(s), scan = 0, whole = http_head_end(s, n, &scan), got = 0, k;

		scan = 0;
		for (k = 1; k <= n; k++) {
			size_t before = scan;

			got = http_head_end(s, k, &scan);
			assert_true(scan >= before);        /* never rescans from the start */
			assert_true(scan <= k);
			if (got != 0)
				break;
		}
		if (got != whole)
			fail_msg("head %zu: byte by byte %zu, whole %zu", t, got, whole);
		if (whole != 0)
			assert_int_equal(k, whole);         /* found as soon as complete */
	}
}

static void
head_end_agrees_with_the_parser_on_head_length(void **state)
{
	for (size_t t = 0; t < sizeof(valid_requests) / sizeof(valid_requests[0]); t++) {
		size_t n = strlen(valid_requests[t]), scan = 0;

		assert_int_equal(http_head_end(valid_requests[t], n, &scan), n);
	}
	for (size_t t = 0; t < sizeof(valid_responses) / sizeof(valid_responses[0]); t++) {
		size_t n = strlen(valid_responses[t]), scan = 0;

		assert_int_equal(http_head_end(valid_responses[t], n, &scan), n);
	}
}

/* ---- chunked framer ------------------------------------------------------------ */

struct fed {
	ssize_t used;           /* bytes of the message, or -1 */
	int done;
	const char *reason;
};

static struct fed
feed_all(const char *s, size_t n)
{
	struct http_chunked c;
	struct fed f = { 0, 0, NULL };
	char *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, s, n);
	memset(&c, 0, sizeof(c));
	f.used = http_chunked_feed(&c, p, n, &f.done, &f.reason);
	if (f.used < 0)
		assert_non_null(f.reason);
	else
		assert_true((size_t)f.used <= n);
	free(p);
	return f;
}

/* Feed in pieces of at most step bytes, as a socket might deliver them. */
static struct fed
feed_steps(const char *s, size_t n, size_t step)
{
	struct http_chunked c;
	struct fed f = { 0, 0, NULL };

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < n && !f.done; i += step) {
		size_t k = n - i < step ? n - i : step;
		char *p = malloc(k);
		ssize_t r;

		assert_non_null(p);
		memcpy(p, s + i, k);
		r = http_chunked_feed(&c, p, k, &f.done, &f.reason);
		free(p);
		if (r < 0) {
			f.used = -1;
			return f;
		}
		assert_true((size_t)r <= k);
		if (!f.done)
			assert_int_equal(r, k);     /* all of it belongs to the message */
		f.used += r;
	}
	return f;
}

#define CHUNKED(lit) feed_all((lit), sizeof(lit) - 1)

#define assert_chunked_rejected(lit) do { \
	struct fed f_ = CHUNKED(lit); \
	assert_int_equal(f_.used, -1); \
	assert_non_null(f_.reason); \
	f_ = feed_steps((lit), sizeof(lit) - 1, 1); \
	assert_int_equal(f_.used, -1); \
} while (0)

#define assert_chunked_complete(lit) do { \
	struct fed f_ = CHUNKED(lit); \
	if (f_.used != (ssize_t)(sizeof(lit) - 1) || !f_.done) \
		fail_msg("%s: used %zd done %d (%s)", #lit, f_.used, f_.done, \
		    f_.used < 0 ? f_.reason : ""); \
} while (0)

static void
chunked_body_ends_after_last_chunk(void **state)
{
	assert_chunked_complete("5\r\nhello\r\n0\r\n\r\n");
	assert_chunked_complete("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
	assert_chunked_complete("0\r\n\r\n");
	assert_chunked_complete("000\r\n\r\n");
}

static void
chunked_body_is_not_done_before_its_end(void **state)
{
	static const char body[] = "5\r\nhello\r\n0\r\n\r\n";

	for (size_t k = 0; k < sizeof(body) - 1; k++) {
		struct fed f = feed_all(body, k);

		assert_int_equal(f.used, k);
		assert_false(f.done);
	}
}

static void
chunked_framer_stops_at_message_end_leaving_pipelined_bytes(void **state)
{
	static const char two[] = "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_chunked c;
	int done;
	const char *why;
	ssize_t r;

	memset(&c, 0, sizeof(c));
	r = http_chunked_feed(&c, two, sizeof(two) - 1, &done, &why);
	assert_int_equal(r, 13);
	assert_true(done);
	/* fed again after the end: consumes nothing and stays done */
	r = http_chunked_feed(&c, two + 13, sizeof(two) - 1 - 13, &done, &why);
	assert_int_equal(r, 0);
	assert_true(done);
	r = http_chunked_feed(&c, two + 13, 0, &done, &why);
	assert_int_equal(r, 0);
	assert_true(done);
	/* the next message in the same read */
	memset(&c, 0, sizeof(c));
	r = http_chunked_feed(&c, "0\r\n\r\n0\r\n\r\n", 10, &done, &why);
	assert_int_equal(r, 5);
	assert_true(done);
}

static void
chunked_size_is_case_insensitive_hex(void **state)
{
	assert_chunked_complete("a\r\n0123456789\r\n0\r\n\r\n");
	assert_chunked_complete("A\r\n0123456789\r\n0\r\n\r\n");
	assert_chunked_complete("0a\r\n0123456789\r\n0\r\n\r\n");
	assert_chunked_complete("10\r\n0123456789abcdef\r\n0\r\n\r\n");
}

static void
chunked_size_not_hex_is_rejected(void **state)
{
	assert_chunked_rejected("g\r\n");
	assert_chunked_rejected("z\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("5g\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected(";ext\r\n");
	assert_chunked_rejected("\xef\xbc\x95\r\n");       /* full-width 5 */
}

static void
chunked_size_negative_or_signed_is_rejected(void **state)
{
	assert_chunked_rejected("-5\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("+5\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("-0\r\n\r\n");
}

static void
chunked_size_with_prefix_or_whitespace_is_rejected(void **state)
{
	assert_chunked_rejected("0x5\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected(" 5\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("5 \r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("5\t\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("5 x\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("5 5\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("0 \r\n\r\n");
	assert_chunked_rejected("5\0\r\nhello\r\n0\r\n\r\n");
}

static void
chunked_size_with_too_many_digits_is_rejected(void **state)
{
	struct fed f = CHUNKED("fffffffffffffff\r\n");    /* 15 digits: 2^60 - 1, fine */

	assert_int_equal(f.used, 17);
	assert_false(f.done);
	assert_chunked_rejected("1000000000000000\r\n");            /* 2^60 */
	assert_chunked_rejected("10000000000000000\r\n");           /* 2^64: would wrap to 0 */
	assert_chunked_rejected("ffffffffffffffffffffffff\r\n");
	assert_chunked_rejected("0000000000000005\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("00000000000000000\r\n\r\n");       /* a long last-chunk */
}

static void
chunked_data_longer_than_its_size_is_rejected(void **state)
{
	assert_chunked_rejected("3\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("5\r\nhello!\r\n0\r\n\r\n");
}

static void
chunked_data_shorter_than_its_size_is_rejected(void **state)
{
	assert_chunked_rejected("6\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("7\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("8\r\nhello\r\n0\r\n\r\n0\r\n\r\n");
}

static void
chunked_extensions_are_accepted(void **state)
{
	assert_chunked_complete("5;name=value\r\nhello\r\n0\r\n\r\n");
	assert_chunked_complete("5;a;b=c;d=\"q r\"\r\nhello\r\n0;last\r\n\r\n");
	assert_chunked_complete("5;\r\nhello\r\n0\r\n\r\n");
	assert_chunked_complete("5;\xe2\x82\xac\t\r\nhello\r\n0\r\n\r\n");
}

/* RFC 9112 7.1.1 / RFC 9110 5.6.3: BWS before ";" must be accepted. */
static void
chunked_whitespace_before_extension_is_accepted(void **state)
{
	static char b[5000];
	struct fed f;

	assert_chunked_complete("5 ;a=b\r\nhello\r\n0\r\n\r\n");
	assert_chunked_complete("5\t \t;a\r\nhello\r\n0 ;z\r\n\r\n");
	/* but not without end */
	memset(b, ' ', sizeof(b));
	b[0] = '1';
	memcpy(b + 4098, ";\r\nA\r\n0\r\n\r\n", 11);
	f = feed_all(b, 4098 + 11);
	assert_int_equal(f.used, -1);
	memcpy(b + 4097, ";\r\nA\r\n0\r\n\r\n", 11);
	f = feed_all(b, 4097 + 11);
	assert_int_equal(f.used, 4097 + 11);
	assert_true(f.done);
}

static void
chunked_extension_with_control_characters_is_rejected(void **state)
{
	assert_chunked_rejected("5;a\0b\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("5;a\x01\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("5;a\x7f\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("5;a\rb\r\nhello\r\n0\r\n\r\n");
}

static void
chunked_extension_longer_than_the_cap_is_rejected(void **state)
{
	static char b[5000];
	struct fed f;

	memset(b, 'x', sizeof(b));
	memcpy(b, "1;", 2);
	memcpy(b + 2 + 4096, "\r\nA\r\n0\r\n\r\n", 10);
	f = feed_all(b, 2 + 4096 + 10);
	assert_int_equal(f.used, 2 + 4096 + 10);
	assert_true(f.done);
	memset(b, 'x', sizeof(b));
	memcpy(b, "1;", 2);
	memcpy(b + 2 + 4097, "\r\nA\r\n0\r\n\r\n", 10);
	f = feed_all(b, 2 + 4097 + 10);
	assert_int_equal(f.used, -1);
}

static void
chunked_bare_cr_is_rejected(void **state)
{
	assert_chunked_rejected("5\rhello\r\n0\r\n\r\n");
	assert_chunked_rejected("5\r\nhello\rX0\r\n\r\n");
	assert_chunked_rejected("5\r\nhello\r\n0\r\r\n");
	assert_chunked_rejected("5\r\nhello\r\n0\r\n\rX");
	assert_chunked_rejected("0\r\nX-T: 1\rX\r\n\r\n");
}

/* RFC 9112 7.1: chunk lines end in CRLF; a bare LF is refused in chunked framing. */
static void
chunked_lines_ending_in_bare_lf_are_rejected(void **state)
{
	assert_chunked_rejected("5\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("5;ext\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("5\r\nhello\n0\r\n\r\n");
	assert_chunked_rejected("5\r\nhello\r\n0\n\r\n");
	assert_chunked_rejected("5\r\nhello\r\n0\r\n\n");
	assert_chunked_rejected("0\r\nX-T: 1\n\r\n");
	assert_chunked_rejected("5\nhello\n0\n\n");
	/* the size said 3: "ab\r" is the data, and a lone LF cannot end it */
	assert_chunked_rejected("3\r\nab\r\n0\r\n\r\n");
}

static void
chunked_trailers_are_accepted_and_end_the_message(void **state)
{
	assert_chunked_complete("5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n");
	assert_chunked_complete("0\r\nA: 1\r\nB: 2\t\xc3\xa9\r\n\r\n");
	{
		struct fed f = CHUNKED("0\r\nA: 1\r\n\r\nNEXT");

		assert_int_equal(f.used, 11);
		assert_true(f.done);
	}
}

static void
chunked_trailer_with_control_characters_is_rejected(void **state)
{
	assert_chunked_rejected("0\r\nA: 1\0\r\n\r\n");
	assert_chunked_rejected("0\r\nA: \x1b[1m\r\n\r\n");
	assert_chunked_rejected("0\r\n\x7f: 1\r\n\r\n");
}

static void
chunked_trailer_line_that_is_not_a_field_is_rejected(void **state)
{
	assert_chunked_rejected("0\r\nhello\r\n0\r\n\r\n");
	assert_chunked_rejected("0\r\nX-T : 1\r\n\r\n");
	assert_chunked_rejected("0\r\nX-T: 1\r\n folded\r\n\r\n");
	assert_chunked_rejected("0\r\n X-T: 1\r\n\r\n");
	assert_chunked_rejected("0\r\n: 1\r\n\r\n");
	assert_chunked_rejected("0\r\nX(T): 1\r\n\r\n");
	assert_chunked_complete("0\r\nX-T:\r\nY:z\r\n\r\n");
}

static void
chunked_trailer_section_larger_than_the_cap_is_rejected(void **state)
{
	static char b[20000];
	size_t n = 3;
	struct fed f;

	memcpy(b, "0\r\n", 3);
	while (n < 16000) {
		memcpy(b + n, "X-Trailer: 0123456789012345678901234567890123456789\r\n", 53);
		n += 53;
	}
	memcpy(b + n, "\r\n", 2);
	f = feed_all(b, n + 2);
	assert_int_equal(f.used, (ssize_t)n + 2);
	assert_true(f.done);
	while (n < 17000) {
		memcpy(b + n, "X-Trailer: 0123456789012345678901234567890123456789\r\n", 53);
		n += 53;
	}
	memcpy(b + n, "\r\n", 2);
	f = feed_all(b, n + 2);
	assert_int_equal(f.used, -1);
}

static void
chunked_large_chunk_streams_across_calls(void **state)
{
	struct http_chunked c;
	static char data[70000];
	int done;
	const char *why;

	memset(&c, 0, sizeof(c));
	memset(data, 'd', sizeof(data));
	assert_int_equal(http_chunked_feed(&c, "10000\r\n", 7, &done, &why), 7);
	assert_int_equal(c.remaining, 0x10000);
	assert_int_equal(http_chunked_feed(&c, data, 40000, &done, &why), 40000);
	assert_int_equal(c.remaining, 0x10000 - 40000);
	assert_int_equal(http_chunked_feed(&c, data, 0x10000 - 40000, &done, &why),
	    0x10000 - 40000);
	assert_false(done);
	assert_int_equal(http_chunked_feed(&c, "\r\n0\r\n\r\nZ", 8, &done, &why), 7);
	assert_true(done);
}

static void
chunked_data_left_is_the_chunk_rest_only_inside_chunk_data(void **state)
{
	struct http_chunked c;
	int done;
	const char *why;

	memset(&c, 0, sizeof(c));
	assert_int_equal(http_chunked_data_left(&c), 0);        /* a size line comes first */
	assert_int_equal(http_chunked_feed(&c, "10000", 5, &done, &why), 5);
	assert_int_equal(http_chunked_data_left(&c), 0);        /* size line not ended */
	assert_int_equal(http_chunked_feed(&c, ";x=1\r\nab", 8, &done, &why), 8);
	assert_int_equal(http_chunked_data_left(&c), 0x10000 - 2);
	assert_int_equal(http_chunked_feed(&c, "0\r\n", 0, &done, &why), 0);
	assert_int_equal(http_chunked_data_left(&c), 0x10000 - 2);
}

static void
chunked_skipped_data_then_fed_framing_ends_the_message(void **state)
{
	struct http_chunked c;
	int done;
	const char *why;

	memset(&c, 0, sizeof(c));
	assert_int_equal(http_chunked_feed(&c, "8000\r\n", 6, &done, &why), 6);
	/* what a pipe carried, in two moves, without the framer seeing it */
	http_chunked_skip(&c, 0x5000);
	assert_int_equal(http_chunked_data_left(&c), 0x3000);
	http_chunked_skip(&c, 0x3000);
	assert_int_equal(http_chunked_data_left(&c), 0);
	assert_int_equal(http_chunked_feed(&c, "\r\n3\r\nabc\r\n0\r\n\r\nNEXT", 19, &done, &why),
	    15);
	assert_true(done);
}

static void
chunked_skip_past_the_chunk_data_cannot_swallow_its_crlf(void **state)
{
	struct http_chunked c;
	int done;
	const char *why = NULL;

	memset(&c, 0, sizeof(c));
	assert_int_equal(http_chunked_feed(&c, "4\r\n", 3, &done, &why), 3);
	http_chunked_skip(&c, 100);             /* more than the chunk holds: held to 4 */
	assert_int_equal(http_chunked_data_left(&c), 0);
	http_chunked_skip(&c, 5);               /* outside chunk data: no effect */
	/* the CRLF after the data is still required */
	assert_int_equal(http_chunked_feed(&c, "XX", 2, &done, &why), -1);
	assert_non_null(why);
}

static const char *const chunked_bodies[] = {
	"5\r\nhello\r\n0\r\n\r\n",
	"5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
	"1;a=b\r\nx\r\n2;c\r\nyy\r\n0;d\r\nT: 1\r\nU: 2\r\n\r\nrest",
	"A\r\n0123456789\r\n0\r\n\r\n",
	"3\r\nabcd\r\n0\r\n\r\n",
	"3\r\nab\r\n0\r\n\r\n",
	"5\nhello\n0\n\n",
	"-1\r\n",
	"fffffffffffffff\r\nabc",
	"1000000000000000\r\n",
	"5;a\x01\r\nhello\r\n0\r\n\r\n",
	"0\r\nX: 1\rY\r\n\r\n",
	"0\r\n\r\n0\r\n\r\n",
	"0\r\n\r",
	"",
};

static void
chunked_fed_one_byte_at_a_time_equals_fed_at_once(void **state)
{
	for (size_t t = 0; t < sizeof(chunked_bodies) / sizeof(chunked_bodies[0]); t++) {
		const char *s = chunked_bodies[t];
		size_t n = strlen(s);
		struct fed whole = feed_all(s, n), bytes = feed_steps(s, n, 1);

		if (whole.used != bytes.used || whole.done != bytes.done)
			fail_msg("body %zu: whole %zd/%d, bytes %zd/%d", t, whole.used, whole.done,
			    bytes.used, bytes.done);
	}
}

static void
chunked_fed_in_any_two_pieces_equals_fed_at_once(void **state)
{
	for (size_t t = 0; t < sizeof(chunked_bodies) / sizeof(chunked_bodies[0]); t++) {
		const char *s = chunked_bodies[t];
		size_t n = strlen(s);
		struct fed whole = feed_all(s, n);

		for (size_t cut = 1; cut < n; cut++) {
			struct http_chunked c;
			struct fed f = { 0, 0, NULL };
			ssize_t r;

			memset(&c, 0, sizeof(c));
			r = http_chunked_feed(&c, s, cut, &f.done, &f.reason);
			if (r >= 0 && !f.done) {
				ssize_t r2 = http_chunked_feed(&c, s + cut, n - cut, &f.done, &f.reason);

				r = r2 < 0 ? -1 : r + r2;
			}
			f.used = r;
			if (f.used != whole.used || f.done != whole.done)
				fail_msg("body %zu cut %zu: %zd/%d, whole %zd/%d", t, cut, f.used, f.done,
				    whole.used, whole.done);
		}
	}
}

static int
teardown(void **state)
{
	free(owned);
	owned = NULL;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		/* request line */
		cmocka_unit_test(request_line_fields_point_into_the_buffer),
		cmocka_unit_test(request_head_length_stops_before_pipelined_bytes),
		cmocka_unit_test(request_with_lf_only_line_endings_is_accepted),
		cmocka_unit_test(every_proper_prefix_of_a_valid_request_head_needs_more),
		cmocka_unit_test(request_line_with_extra_spaces_is_400),
		cmocka_unit_test(request_line_with_space_in_target_is_400),
		cmocka_unit_test(request_line_with_tab_separator_is_400),
		cmocka_unit_test(request_line_with_unknown_version_is_400),
		cmocka_unit_test(request_line_with_lowercase_version_is_400),
		cmocka_unit_test(request_line_without_version_http_0_9_style_is_400),
		cmocka_unit_test(request_line_with_invalid_method_is_400),
		cmocka_unit_test(request_line_with_control_characters_is_400),
		cmocka_unit_test(request_line_with_nul_is_400),
		cmocka_unit_test(request_line_with_bare_cr_is_400),
		cmocka_unit_test(empty_line_before_request_line_is_400),
		cmocka_unit_test(request_line_may_carry_absolute_form_and_asterisk_targets),
		cmocka_unit_test(request_http_1_0_is_version_10_and_needs_no_host),
		/* Host */
		cmocka_unit_test(request_http_1_1_without_host_is_400),
		cmocka_unit_test(request_with_more_than_one_host_is_400),
		cmocka_unit_test(request_with_invalid_host_value_is_400),
		cmocka_unit_test(request_with_valid_host_forms_is_accepted),
		/* Content-Length */
		cmocka_unit_test(request_content_length_is_parsed),
		cmocka_unit_test(request_without_content_length_has_minus_one),
		cmocka_unit_test(request_with_both_content_length_and_transfer_encoding_is_400),
		cmocka_unit_test(request_with_differing_content_length_headers_is_400),
		cmocka_unit_test(request_with_differing_content_length_list_is_400),
		cmocka_unit_test(request_with_identical_repeated_content_length_is_accepted),
		cmocka_unit_test(request_with_content_length_not_plain_digits_is_400),
		cmocka_unit_test(request_with_signed_content_length_is_400),
		cmocka_unit_test(request_with_overflowing_content_length_is_400),
		cmocka_unit_test(request_with_empty_content_length_is_400),
		cmocka_unit_test(request_with_empty_content_length_after_a_valid_one_is_400),
		cmocka_unit_test(request_with_empty_element_in_content_length_list_is_400),
		/* Transfer-Encoding */
		cmocka_unit_test(request_with_chunked_transfer_encoding_sets_chunked),
		cmocka_unit_test(request_with_known_codings_before_chunked_is_accepted),
		cmocka_unit_test(request_with_transfer_encoding_not_ending_in_chunked_is_400),
		cmocka_unit_test(request_with_chunked_then_another_coding_is_400),
		cmocka_unit_test(request_with_chunked_twice_is_400),
		cmocka_unit_test(request_with_unknown_transfer_coding_is_400),
		cmocka_unit_test(request_with_quoted_or_parameterised_transfer_encoding_is_400),
		cmocka_unit_test(request_with_obfuscated_transfer_encoding_is_400),
		cmocka_unit_test(request_with_empty_element_in_transfer_encoding_is_400),
		cmocka_unit_test(request_with_empty_transfer_encoding_is_400),
		cmocka_unit_test(request_with_transfer_encoding_in_http_1_0_is_400),
		/* field syntax */
		cmocka_unit_test(request_with_whitespace_between_field_name_and_colon_is_400),
		cmocka_unit_test(request_with_framing_header_spelled_with_underscore_is_400),
		cmocka_unit_test(request_with_obs_fold_is_400),
		cmocka_unit_test(request_with_whitespace_before_first_field_is_400),
		cmocka_unit_test(request_with_nul_in_field_name_is_400),
		cmocka_unit_test(request_with_nul_in_field_value_is_400),
		cmocka_unit_test(request_with_bare_cr_in_field_name_is_400),
		cmocka_unit_test(request_with_bare_cr_in_field_value_is_400),
		cmocka_unit_test(request_with_bare_cr_as_end_of_head_is_400),
		cmocka_unit_test(request_with_control_characters_in_field_value_is_400),
		cmocka_unit_test(request_with_invalid_characters_in_field_name_is_400),
		cmocka_unit_test(request_with_empty_field_name_is_400),
		cmocka_unit_test(request_field_line_without_colon_is_400),
		cmocka_unit_test(request_field_value_may_hold_tab_obs_text_and_be_empty),
		cmocka_unit_test(request_field_value_is_trimmed_of_surrounding_whitespace),
		cmocka_unit_test(request_field_names_may_use_every_token_character),
		/* limits */
		cmocka_unit_test(request_line_longer_than_the_limit_is_414),
		cmocka_unit_test(request_line_of_exactly_the_limit_is_accepted_at_every_prefix),
		cmocka_unit_test(head_larger_than_the_limit_is_431),
		cmocka_unit_test(head_of_exactly_the_limit_is_accepted),
		cmocka_unit_test(more_headers_than_the_limit_is_431),
		/* classification and flags */
		cmocka_unit_test(header_kinds_are_classified_case_insensitively),
		cmocka_unit_test(connection_close_sets_close_flag),
		cmocka_unit_test(connection_keep_alive_sets_keepalive_flag),
		cmocka_unit_test(connection_upgrade_sets_upgrade_flags),
		cmocka_unit_test(connection_options_from_several_fields_add_up),
		cmocka_unit_test(expect_100_continue_sets_expect_flag),
		cmocka_unit_test(expect_100_continue_in_http_1_0_is_ignored),
		cmocka_unit_test(headers_named_in_connection_are_marked_hop_by_hop),
		cmocka_unit_test(headers_are_not_hop_by_hop_unless_connection_names_them),
		cmocka_unit_test(connection_never_marks_content_length_transfer_encoding_or_host),
		cmocka_unit_test(connection_never_marks_upgrade_hop_by_hop),
		/* responses */
		cmocka_unit_test(response_status_line_fields_point_into_the_buffer),
		cmocka_unit_test(response_http_1_0_status_line_is_accepted),
		cmocka_unit_test(response_reason_phrase_may_be_absent_empty_or_hold_spaces),
		cmocka_unit_test(response_status_codes_from_100_to_999_are_accepted),
		cmocka_unit_test(response_with_malformed_status_line_is_502),
		cmocka_unit_test(response_reason_phrase_with_control_characters_is_502),
		cmocka_unit_test(response_with_ambiguous_framing_is_502),
		cmocka_unit_test(response_with_transfer_encoding_in_http_1_0_is_502),
		cmocka_unit_test(response_head_too_large_or_with_too_many_headers_is_502),
		cmocka_unit_test(response_needs_no_host_and_may_repeat_it),
		cmocka_unit_test(response_framing_fields_are_parsed),
		cmocka_unit_test(every_proper_prefix_of_a_valid_response_head_needs_more),
		cmocka_unit_test(status_1xx_204_and_304_have_no_body),
		cmocka_unit_test(token_comparison_is_case_insensitive_and_exact_in_length),
		/* http_head_end */
		cmocka_unit_test(head_end_finds_the_first_empty_line),
		cmocka_unit_test(head_end_fed_one_byte_at_a_time_matches_whole_buffer),
		cmocka_unit_test(head_end_agrees_with_the_parser_on_head_length),
		/* chunked framer */
		cmocka_unit_test(chunked_body_ends_after_last_chunk),
		cmocka_unit_test(chunked_body_is_not_done_before_its_end),
		cmocka_unit_test(chunked_framer_stops_at_message_end_leaving_pipelined_bytes),
		cmocka_unit_test(chunked_size_is_case_insensitive_hex),
		cmocka_unit_test(chunked_size_not_hex_is_rejected),
		cmocka_unit_test(chunked_size_negative_or_signed_is_rejected),
		cmocka_unit_test(chunked_size_with_prefix_or_whitespace_is_rejected),
		cmocka_unit_test(chunked_size_with_too_many_digits_is_rejected),
		cmocka_unit_test(chunked_data_longer_than_its_size_is_rejected),
		cmocka_unit_test(chunked_data_shorter_than_its_size_is_rejected),
		cmocka_unit_test(chunked_extensions_are_accepted),
		cmocka_unit_test(chunked_whitespace_before_extension_is_accepted),
		cmocka_unit_test(chunked_extension_with_control_characters_is_rejected),
		cmocka_unit_test(chunked_extension_longer_than_the_cap_is_rejected),
		cmocka_unit_test(chunked_bare_cr_is_rejected),
		cmocka_unit_test(chunked_lines_ending_in_bare_lf_are_rejected),
		cmocka_unit_test(chunked_trailers_are_accepted_and_end_the_message),
		cmocka_unit_test(chunked_trailer_with_control_characters_is_rejected),
		cmocka_unit_test(chunked_trailer_line_that_is_not_a_field_is_rejected),
		cmocka_unit_test(chunked_trailer_section_larger_than_the_cap_is_rejected),
		cmocka_unit_test(chunked_large_chunk_streams_across_calls),
		cmocka_unit_test(chunked_data_left_is_the_chunk_rest_only_inside_chunk_data),
		cmocka_unit_test(chunked_skipped_data_then_fed_framing_ends_the_message),
		cmocka_unit_test(chunked_skip_past_the_chunk_data_cannot_swallow_its_crlf),
		cmocka_unit_test(chunked_fed_one_byte_at_a_time_equals_fed_at_once),
		cmocka_unit_test(chunked_fed_in_any_two_pieces_equals_fed_at_once),
	};

	return cmocka_run_group_tests_name("http", tests, NULL, teardown);
}
