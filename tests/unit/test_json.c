/*
 * test_json.c - JSON string escaping and numbers.
 */
#include <math.h>
#include <string.h>

#include "unit.h"
#include "core/json.h"

static const char *
quote(struct buf *b, const char *s, size_t n)
{
	buf_reset(b);
	assert_int_equal(json_strn(b, s, n), 0);
	return buf_str(b);
}

static void
escapes_quotes_backslashes_and_controls(void **state)
{
	struct buf b = BUF_INIT(1024);

	assert_string_equal(quote(&b, "a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	assert_string_equal(quote(&b, "\n\r\t\x01", 4), "\"\\n\\r\\t\\u0001\"");
	assert_string_equal(quote(&b, "x\0y", 3), "\"x\\u0000y\"");
	buf_release(&b);
}

static void
keeps_valid_utf8_and_replaces_invalid(void **state)
{
	struct buf b = BUF_INIT(1024);

	assert_string_equal(quote(&b, "caf\xc3\xa9", 5), "\"caf\xc3\xa9\"");
	assert_string_equal(quote(&b, "\xff", 1), "\"\\ufffd\"");
	/* overlong encoding of '/', a lone surrogate, a truncated sequence */
	assert_string_equal(quote(&b, "\xc0\xaf", 2), "\"\\ufffd\\ufffd\"");
	assert_string_equal(quote(&b, "\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(quote(&b, "a\xe2\x82", 3), "\"a\\ufffd\\ufffd\"");
	buf_release(&b);
}

static void
null_string_is_json_null(void **state)
{
	struct buf b = BUF_INIT(64);

	assert_int_equal(json_str(&b, NULL), 0);
	assert_string_equal(buf_str(&b), "null");
	buf_release(&b);
}

static void
numbers_and_keys(void **state)
{
	struct buf b = BUF_INIT(256);
	int first = 1;

	buf_putc(&b, '{');
	json_key(&b, &first, "a");
	json_num(&b, 3);
	json_key(&b, &first, "b");
	json_num(&b, 0.5);
	json_key(&b, &first, "c");
	json_num(&b, NAN);
	json_key(&b, &first, "d");
	json_int(&b, -9000000000LL);
	buf_putc(&b, '}');
	assert_string_equal(buf_str(&b), "{\"a\":3,\"b\":0.5,\"c\":null,\"d\":-9000000000}");
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escapes_quotes_backslashes_and_controls),
		cmocka_unit_test(keeps_valid_utf8_and_replaces_invalid),
		cmocka_unit_test(null_string_is_json_null),
		cmocka_unit_test(numbers_and_keys),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
