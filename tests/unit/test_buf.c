/*
 * test_buf.c - the growable buffer and its hard cap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "core/buf.h"

static void
append_and_printf_build_a_string(void **state)
{
	struct buf b = BUF_INIT(1024);

	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_puts(&b, "hello"), 0);
	assert_int_equal(buf_putc(&b, ' '), 0);
	assert_int_equal(buf_printf(&b, "%s #%d", "world", 42), 0);
	assert_string_equal(buf_str(&b), "hello world #42");
	assert_int_equal(b.len, 15);
	buf_release(&b);
}

static void
append_past_cap_fails_and_keeps_contents(void **state)
{
	struct buf b = BUF_INIT(10);

	assert_int_equal(buf_puts(&b, "0123456789"), 0);
	errno = 0;
	assert_int_equal(buf_putc(&b, 'x'), -1);
	assert_int_equal(errno, ENOBUFS);
	assert_int_equal(b.len, 10);
	assert_string_equal(buf_str(&b), "0123456789");
	buf_release(&b);
}

static void
printf_past_cap_fails_and_keeps_contents(void **state)
{
	struct buf b = BUF_INIT(16);

	assert_int_equal(buf_puts(&b, "abc"), 0);
	assert_int_equal(buf_printf(&b, "%0100d", 7), -1);
	assert_int_equal(errno, ENOBUFS);
	assert_string_equal(buf_str(&b), "abc");
	assert_int_equal(buf_printf(&b, "%d", 123456), 0);
	assert_string_equal(buf_str(&b), "abc123456");
	buf_release(&b);
}

static void
huge_append_does_not_overflow_size(void **state)
{
	struct buf b = BUF_INIT((size_t)-1);

	assert_int_equal(buf_puts(&b, "x"), 0);
	assert_int_equal(buf_reserve(&b, (size_t)-1), -1);
	assert_int_equal(errno, ENOBUFS);
	buf_release(&b);
}

static void
grows_across_many_appends(void **state)
{
	struct buf b = BUF_INIT(1 << 20);

	for (int i = 0; i < 10000; i++)
		assert_int_equal(buf_append(&b, "0123456789", 10), 0);
	assert_int_equal(b.len, 100000);
	assert_true(b.cap >= b.len);
	assert_int_equal(b.data[b.len], '\0');
	buf_release(&b);
}

static void
consume_drops_prefix(void **state)
{
	struct buf b = BUF_INIT(64);

	buf_puts(&b, "GET / HTTP/1.1\r\n");
	buf_consume(&b, 4);
	assert_string_equal(buf_str(&b), "/ HTTP/1.1\r\n");
	buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_release(&b);
}

static void
reset_keeps_memory_and_detach_takes_it(void **state)
{
	struct buf b = BUF_INIT(64);
	char *s;

	buf_puts(&b, "abc");
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_non_null(b.data);
	buf_puts(&b, "xyz");
	s = buf_detach(&b);
	assert_string_equal(s, "xyz");
	assert_null(b.data);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(append_and_printf_build_a_string),
		cmocka_unit_test(append_past_cap_fails_and_keeps_contents),
		cmocka_unit_test(printf_past_cap_fails_and_keeps_contents),
		cmocka_unit_test(huge_append_does_not_overflow_size),
		cmocka_unit_test(grows_across_many_appends),
		cmocka_unit_test(consume_drops_prefix),
		cmocka_unit_test(reset_keeps_memory_and_detach_takes_it),
	};

	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
