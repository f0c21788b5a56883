/*
 * test_mask.c - what the masker treats as a variable, and what it keeps.
 */
#include <string.h>

#include "unit.h"
#include "core/buf.h"
#include "logs/mask.h"

static const char *
m(struct buf *b, const char *s)
{
	mask_message(s, strlen(s), b);
	return buf_str(b);
}

static const char *
path(struct buf *b, const char *s)
{
	buf_reset(b);
	mask_path(s, strlen(s), b);
	return buf_str(b);
}

static void
numbers_hex_and_ids(void **state)
{
	struct buf b = BUF_INIT(1 << 20);

	assert_string_equal(m(&b, "took 250 ms, 3.5 s and 0x7fed806e"), "took <*>, <*> and <*>");
	assert_string_equal(m(&b, "block blk_-6952295868487656571 done"), "block <*> done");
	assert_string_equal(m(&b, "node node-246 down"), "node node-<*> down");
	assert_string_equal(m(&b, "generating core.2275"), "generating core.<*>");
	assert_string_equal(m(&b, "old msra-sa-41:8030"), "old <*>");
	assert_string_equal(m(&b, "uid=0 euid=0 (pid 1234)"), "uid=<*> euid=<*> (pid <*>)");
	buf_release(&b);
}

static void
addresses_paths_urls_uuids(void **state)
{
	struct buf b = BUF_INIT(1 << 20);

	assert_string_equal(m(&b, "from 10.0.0.5 port 22"), "from <*> port <*>");
	assert_string_equal(m(&b, "to 10.251.73.220:50010 ok"), "to <*> ok");
	assert_string_equal(m(&b, "peer [fe80::1ff:fe23:4567:890a]:443"), "peer <*>");
	assert_string_equal(m(&b, "open /var/lib/pgsql/data failed"), "open <*> failed");
	assert_string_equal(m(&b, "GET https://example.com/a?b=1 now"), "GET <*> now");
	assert_string_equal(m(&b, "mail bob@example.com sent"), "mail <*> sent");
	assert_string_equal(m(&b, "id 123e4567-e89b-12d3-a456-426614174000."),
	    "id <*>.");
	buf_release(&b);
}

static void
times_sizes_and_values(void **state)
{
	struct buf b = BUF_INIT(1 << 20);

	assert_string_equal(m(&b, "connection at Sun Jul 17 15:09:17 2005 closed"),
	    "connection at <*> closed");
	assert_string_equal(m(&b, "estimated size 16.0 KB, free 317.5 KB)"),
	    "estimated size <*>, free <*>)");
	assert_string_equal(m(&b, "session opened for user root by (uid=0)"),
	    "session opened for user root by (uid=<*>)");
	assert_string_equal(m(&b, "force=false, ok=true"), "force=<*>, ok=<*>");
	assert_string_equal(m(&b, "it is true that null"), "it is true that null");
	buf_release(&b);
}

static void
host_names_ports_and_paths_by_shape(void **state)
{
	struct buf b = BUF_INIT(1 << 20);

	assert_string_equal(m(&b, "api.example.com:443 connect failed"), "<*> connect failed");
	assert_string_equal(m(&b, "via cdn.example.net, then proxy.corp.local."), "via <*>, then <*>.");
	assert_string_equal(m(&b, "com.example.sync.agent: job finished"), "<*>: job finished");
	assert_string_equal(m(&b, "rhost=mail.example.org user=bob"), "rhost=<*> user=bob");
	assert_string_equal(m(&b, "load static/js/app.js and src/main.c"), "load <*> and <*>");
	assert_string_equal(m(&b, "read/write I/O and n.state"), "read/write I/O and n.state");
	assert_string_equal(m(&b, "see example.com/docs/x now"), "see <*> now");
	assert_string_equal(m(&b, "peer 3c-22-fb-08-7a-11 up"), "peer <*> up");
	buf_release(&b);
}

static void
durations_sizes_and_lists_are_one_variable(void **state)
{
	struct buf b = BUF_INIT(1 << 20);

	assert_string_equal(m(&b, "lifetime <1 sec"), "lifetime <*>");
	assert_string_equal(m(&b, "lifetime 00:01"), "lifetime <*>");
	assert_string_equal(m(&b, "1036 bytes (1.01 KB) sent"), "<*> bytes (<*>) sent");
	assert_string_equal(m(&b, "waited 250 ms"), "waited <*>");
	assert_string_equal(m(&b, "waited 1.5s"), "waited <*>");
	assert_string_equal(m(&b, "peers 10.0.0.1,10.0.0.2,10.0.0.3 up"), "peers <*> up");
	assert_string_equal(m(&b, "peers 10.0.0.1 up"), "peers <*> up");
	assert_string_equal(m(&b, "ids 4|5|6 ok"), "ids <*> ok");
	buf_release(&b);
}

static void
words_joined_to_numbers_keep_the_word(void **state)
{
	struct buf b = BUF_INIT(1 << 20);

	assert_string_equal(m(&b, "node node-9 and node-246 down"), "node node-<*> and node-<*> down");
	assert_string_equal(m(&b, "from worker-7 to core.2275"), "from worker-<*> to core.<*>");
	assert_string_equal(m(&b, "key deadbeefcafebabedeadbeef"), "key <*>");
	buf_release(&b);
}

static void
names_with_one_digit_are_kept(void **state)
{
	struct buf b = BUF_INIT(1 << 20);

	assert_string_equal(m(&b, "Accepted publickey port 22 ssh2 on eth0 via log4j"),
	    "Accepted publickey port <*> ssh2 on eth0 via log4j");
	buf_release(&b);
}

static void
whitespace_is_normalised_and_tokens_capped(void **state)
{
	struct buf b = BUF_INIT(1 << 20);
	char big[4000];

	assert_string_equal(m(&b, "  a\t\tb   c  "), "a b c");
	assert_int_equal(mask_message("", 0, &b), 0);
	assert_string_equal(buf_str(&b), "");
	for (size_t i = 0; i < sizeof(big) - 1; i++)
		big[i] = i % 2 ? ' ' : 'x';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mask_message(big, strlen(big), &b), MASK_MAX_TOKENS + 1);
	buf_release(&b);
}

static void
nul_byte_inside_a_word_is_kept_escaped(void **state)
{
	struct buf b = BUF_INIT(1 << 20);
	static const char msg[] = "open ab\0cd failed\0 now";

	mask_message(msg, sizeof(msg) - 1, &b);
	assert_int_equal(b.len, strlen(buf_str(&b)));
	assert_string_equal(buf_str(&b), "open ab\\0cd failed\\0 now");
	buf_release(&b);
}

static void
request_paths_keep_words_and_mask_ids(void **state)
{
	struct buf b = BUF_INIT(1 << 20);

	assert_string_equal(path(&b, "/api/users/12345/orders?page=2&sort=new"),
	    "/api/users/<*>/orders?page=<*>&sort=<*>");
	assert_string_equal(path(&b, "/images/123e4567-e89b-12d3-a456-426614174000.jpg"),
	    "/images/<*>");
	assert_string_equal(path(&b, "/v1/health"), "/v1/health");
	assert_string_equal(path(&b, "/"), "/");
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numbers_hex_and_ids),
		cmocka_unit_test(addresses_paths_urls_uuids),
		cmocka_unit_test(times_sizes_and_values),
		cmocka_unit_test(host_names_ports_and_paths_by_shape),
		cmocka_unit_test(durations_sizes_and_lists_are_one_variable),
		cmocka_unit_test(words_joined_to_numbers_keep_the_word),
		cmocka_unit_test(names_with_one_digit_are_kept),
		cmocka_unit_test(whitespace_is_normalised_and_tokens_capped),
		cmocka_unit_test(nul_byte_inside_a_word_is_kept_escaped),
		cmocka_unit_test(request_paths_keep_words_and_mask_ids),
	};

	return cmocka_run_group_tests_name("mask", tests, NULL, NULL);
}
