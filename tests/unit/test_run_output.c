/*
 * test_run_output.c - passing output through, holding it (memory, then a
 * temporary file, then dropping with a note), replaying it, and the tail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "core/err.h"
#include "run/run_output.h"

struct sink {
	int out, err;
};

static int
tmpfd(void)
{
	char path[] = "/tmp/brace-test-out-XXXXXX";
	int fd = mkstemp(path);

	unlink(path);
	return fd;
}

static int
setup(void **state)
{
	struct sink *s = malloc(sizeof(*s));

	s->out = tmpfd();
	s->err = tmpfd();
	*state = s;
	return s->out < 0 || s->err < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
	struct sink *s = *state;

	close(s->out);
	close(s->err);
	free(s);
	return 0;
}

/* Everything written to fd so far, as a malloc'd string; *len set. */
static char *
slurp(int fd, size_t *len)
{
	off_t n = lseek(fd, 0, SEEK_END);
	char *p = malloc((size_t)n + 1);

	assert_int_equal(pread(fd, p, (size_t)n, 0), n);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

static void
add(run_output *o, enum run_stream s, const char *text)
{
	char err[ERR_LEN];

	assert_int_equal(run_output_add(o, s, text, strlen(text), err), 0);
}

static void
pass_through_goes_to_each_stream(void **state)
{
	struct sink *s = *state;
	char err[ERR_LEN], *out, *er;
	run_output *o = run_output_new(0, s->out, s->err, 1024, 4096, err);
	size_t n;

	add(o, RUN_STDOUT, "one\n");
	add(o, RUN_STDERR, "two\n");
	add(o, RUN_STDOUT, "three\n");
	out = slurp(s->out, &n);
	er = slurp(s->err, &n);
	assert_string_equal(out, "one\nthree\n");
	assert_string_equal(er, "two\n");
	assert_int_equal(run_output_total(o), 14);
	free(out);
	free(er);
	run_output_free(o);
}

static void
held_output_is_written_only_on_replay_in_order(void **state)
{
	struct sink *s = *state;
	char err[ERR_LEN], *out, *er;
	run_output *o = run_output_new(1, s->out, s->err, 1024, 4096, err);
	struct buf tail = BUF_INIT(RUN_OUTPUT_TAIL);
	size_t n;

	add(o, RUN_STDOUT, "one\n");
	add(o, RUN_STDERR, "two\n");
	add(o, RUN_STDOUT, "three\n");
	out = slurp(s->out, &n);
	assert_int_equal(n, 0);
	free(out);
	assert_int_equal(run_output_replay(o, err), 0);
	out = slurp(s->out, &n);
	er = slurp(s->err, &n);
	assert_string_equal(out, "one\nthree\n");
	assert_string_equal(er, "two\n");
	run_output_tail(o, &tail);
	assert_string_equal(buf_str(&tail), "one\ntwo\nthree\n");
	buf_release(&tail);
	free(out);
	free(er);
	run_output_free(o);
}

static void
held_output_past_memory_cap_moves_to_a_file(void **state)
{
	struct sink *s = *state;
	char err[ERR_LEN], line[32], *out;
	run_output *o = run_output_new(1, s->out, s->err, 64, 1 << 20, err);
	struct buf want = BUF_INIT(1 << 20);
	size_t n;

	for (int i = 0; i < 1000; i++) {
		snprintf(line, sizeof(line), "line %d\n", i);
		add(o, RUN_STDOUT, line);
		buf_puts(&want, line);
	}
	assert_int_equal(run_output_dropped(o), 0);
	assert_int_equal(run_output_replay(o, err), 0);
	out = slurp(s->out, &n);
	assert_string_equal(out, buf_str(&want));
	free(out);
	buf_release(&want);
	run_output_free(o);
}

static void
big_chunks_are_held_and_replayed_whole(void **state)
{
	struct sink *s = *state;
	size_t big = 300 * 1024, n;
	char err[ERR_LEN], *data = malloc(big), *out;
	run_output *o = run_output_new(1, s->out, s->err, 1024, 1 << 20, err);

	for (size_t i = 0; i < big; i++)
		data[i] = (char)('a' + i % 23);
	assert_int_equal(run_output_add(o, RUN_STDOUT, data, big, err), 0);
	assert_int_equal(run_output_replay(o, err), 0);
	out = slurp(s->out, &n);
	assert_int_equal(n, big);
	assert_memory_equal(out, data, big);
	free(out);
	free(data);
	run_output_free(o);
}

static void
drops_within_the_tail_replay_everything(void **state)
{
	struct sink *s = *state;
	char err[ERR_LEN], line[32], *out, *er;
	run_output *o = run_output_new(1, s->out, s->err, 64, 1000, err);
	struct buf want = BUF_INIT(1 << 20);
	size_t n;

	for (int i = 0; i < 500; i++) {
		snprintf(line, sizeof(line), "line %d\n", i);
		add(o, RUN_STDOUT, line);
		buf_puts(&want, line);
	}
	assert_true(run_output_dropped(o) > 0);
	assert_int_equal(run_output_replay(o, err), 0);
	out = slurp(s->out, &n);
	assert_string_equal(out, buf_str(&want));
	er = slurp(s->err, &n);
	assert_int_equal(n, 0);
	free(out);
	free(er);
	buf_release(&want);
	run_output_free(o);
}

static void
drops_past_the_tail_are_noted_and_the_tail_follows(void **state)
{
	struct sink *s = *state;
	char err[ERR_LEN], chunk[1000], *out, *er;
	run_output *o = run_output_new(1, s->out, s->err, 64, 4096, err);
	size_t n;

	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < 200; i++)
		assert_int_equal(run_output_add(o, RUN_STDOUT, chunk, sizeof(chunk), err), 0);
	add(o, RUN_STDOUT, "THE END\n");
	assert_int_equal(run_output_replay(o, err), 0);
	er = slurp(s->err, &n);
	assert_non_null(strstr(er, "bytes of output were not kept"));
	out = slurp(s->out, &n);
	assert_true(n < 4096 + RUN_OUTPUT_TAIL);
	assert_string_equal(out + n - 8, "THE END\n");
	free(out);
	free(er);
	run_output_free(o);
}

static void
drops_past_the_cap_keep_stdout_and_stderr_apart(void **state)
{
	struct sink *s = *state;
	char err[ERR_LEN], chunk[1000], *out, *er;
	run_output *o = run_output_new(1, s->out, s->err, 64, 4096, err);
	size_t n;

	/* Past the file cap (256 MiB for real, 4 KiB here) everything else is dropped. */
	memset(chunk, 'o', sizeof(chunk));
	for (int i = 0; i < 20; i++)
		assert_int_equal(run_output_add(o, RUN_STDOUT, chunk, sizeof(chunk), err), 0);
	add(o, RUN_STDERR, "ERROR ON STDERR\n");
	add(o, RUN_STDOUT, "last words on stdout\n");
	add(o, RUN_STDERR, "and a last error\n");
	assert_true(run_output_dropped(o) > 0);
	assert_int_equal(run_output_replay(o, err), 0);
	out = slurp(s->out, &n);
	er = slurp(s->err, &n);
	assert_null(strstr(out, "ERROR"));
	assert_null(strstr(out, "last error"));
	assert_non_null(strstr(out, "last words on stdout\n"));
	assert_non_null(strstr(er, "ERROR ON STDERR\nand a last error\n"));
	assert_null(strstr(er, "ooo"));
	free(out);
	free(er);
	run_output_free(o);
}

static void
tail_keeps_the_last_64k_across_wraparound(void **state)
{
	struct sink *s = *state;
	size_t total = 200 * 1000 + 7;
	char err[ERR_LEN], *data = malloc(total);
	run_output *o = run_output_new(0, s->out, s->err, 64, 64, err);
	struct buf tail = BUF_INIT(RUN_OUTPUT_TAIL);

	for (size_t i = 0; i < total; i++)
		data[i] = (char)(i * 7 % 251);
	for (size_t off = 0; off < total; off += 999)
		run_output_add(o, RUN_STDERR, data + off, total - off < 999 ? total - off : 999, err);
	assert_int_equal(run_output_tail(o, &tail), 0);
	assert_int_equal(tail.len, RUN_OUTPUT_TAIL);
	assert_memory_equal(tail.data, data + total - RUN_OUTPUT_TAIL, RUN_OUTPUT_TAIL);
	assert_int_equal(run_output_total(o), total);
	buf_release(&tail);
	free(data);
	run_output_free(o);
}

static void
reset_forgets_held_output_and_tail(void **state)
{
	struct sink *s = *state;
	char err[ERR_LEN], *out;
	run_output *o = run_output_new(1, s->out, s->err, 16, 4096, err);
	struct buf tail = BUF_INIT(RUN_OUTPUT_TAIL);
	size_t n;

	add(o, RUN_STDOUT, "first attempt, long enough to spill\n");
	run_output_reset(o);
	add(o, RUN_STDOUT, "second\n");
	assert_int_equal(run_output_total(o), 7);
	run_output_tail(o, &tail);
	assert_string_equal(buf_str(&tail), "second\n");
	assert_int_equal(run_output_replay(o, err), 0);
	out = slurp(s->out, &n);
	assert_string_equal(out, "second\n");
	free(out);
	buf_release(&tail);
	run_output_free(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pass_through_goes_to_each_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(held_output_is_written_only_on_replay_in_order,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(held_output_past_memory_cap_moves_to_a_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(big_chunks_are_held_and_replayed_whole, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(drops_within_the_tail_replay_everything, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(drops_past_the_tail_are_noted_and_the_tail_follows,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(drops_past_the_cap_keep_stdout_and_stderr_apart,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(tail_keeps_the_last_64k_across_wraparound, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(reset_forgets_held_output_and_tail, setup, teardown),
	};

	return cmocka_run_group_tests_name("run_output", tests, NULL, NULL);
}
