/*
 * test_reader.c - inputs: plain files in whole-line chunks, gzip, cut
 * overlong lines, and following through truncation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "unit.h"
#include "core/err.h"
#include "logs/reader.h"

static char *
tmpname(void)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/brace-reader-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	return path;
}

/* Read everything; return the concatenation (caller frees). */
static char *
slurp(struct reader *r, size_t want)
{
	struct buf all = BUF_INIT(1 << 26);
	char err[ERR_LEN];

	struct buf chunk = BUF_INIT(READER_BUF_MAX);

	for (;;) {
		ssize_t n = reader_next(r, want, &chunk, err);

		assert_true(n >= 0);
		if (n == 0)
			break;
		assert_true(chunk.data[n - 1] == '\n' || r->eof);
		buf_append(&all, chunk.data, (size_t)n);
	}
	buf_release(&chunk);
	return all.data ? buf_detach(&all) : strdup("");
}

static void
plain_file_comes_in_whole_lines(void **state)
{
	char *path = tmpname(), err[ERR_LEN], *got;
	FILE *f = fopen(path, "w");
	struct reader r;

	for (int i = 0; i < 1000; i++)
		fprintf(f, "line %d\n", i);
	fprintf(f, "last without newline");
	fclose(f);
	assert_int_equal(reader_open(&r, path, 0, 1024, err), 0);
	got = slurp(&r, 100);
	assert_non_null(strstr(got, "line 999\nlast without newline"));
	assert_int_equal(strncmp(got, "line 0\nline 1\n", 14), 0);
	free(got);
	reader_close(&r);
	unlink(path);
}

static void
gzip_is_read_and_long_lines_are_cut(void **state)
{
	char *path = tmpname(), err[ERR_LEN], *got;
	gzFile g = gzopen(path, "wb");
	struct reader r;
	char *big = malloc(300000);

	memset(big, 'x', 299999);
	big[299999] = '\0';
	gzprintf(g, "first\n");
	gzputs(g, big);
	gzprintf(g, "\nafter\n");
	gzclose(g);
	assert_int_equal(reader_open(&r, path, 0, 1000, err), 0);
	got = slurp(&r, 4096);
	/* the long line is cut to max_line + 1 bytes, the rest skipped */
	assert_int_equal(strncmp(got, "first\n", 6), 0);
	assert_int_equal(strspn(got + 6, "x"), 1001);
	assert_non_null(strstr(got, "\nafter\n"));
	assert_true(strlen(got) < 2000);
	free(got);
	free(big);
	reader_close(&r);
	unlink(path);
}

static void
missing_files_and_directories_are_errors(void **state)
{
	struct reader r;
	char err[ERR_LEN];

	assert_int_equal(reader_open(&r, "/nonexistent/x.log", 0, 100, err), -1);
	assert_non_null(strstr(err, "/nonexistent/x.log"));
	reader_close(&r);
	assert_int_equal(reader_open(&r, "/tmp", 0, 100, err), -1);
	assert_non_null(strstr(err, "directory"));
	reader_close(&r);
}

static void
follow_rereads_after_truncation(void **state)
{
	char *path = tmpname(), err[ERR_LEN], *got;
	FILE *f = fopen(path, "w");
	struct reader r;

	fputs("one\ntwo\n", f);
	fclose(f);
	assert_int_equal(reader_open(&r, path, 1, 1000, err), 0);
	got = slurp(&r, 1000);
	assert_string_equal(got, "one\ntwo\n");
	free(got);
	f = fopen(path, "w");	/* truncated and rewritten */
	fputs("3\n", f);
	fclose(f);
	assert_int_equal(reader_follow_poll(&r, err), 1);
	assert_int_equal(r.truncations, 1);
	got = slurp(&r, 1000);
	assert_string_equal(got, "3\n");
	free(got);
	reader_close(&r);
	unlink(path);
}

static void
file_truncated_while_read_ends_early_and_says_it_shrank(void **state)
{
	char *path = tmpname(), err[ERR_LEN], *got;
	FILE *f = fopen(path, "w");
	struct reader r;
	struct buf chunk = BUF_INIT(READER_BUF_MAX);
	ssize_t n;

	for (int i = 0; i < 100000; i++)
		fprintf(f, "line %06d of a log that logrotate will cut\n", i);
	fclose(f);
	assert_int_equal(reader_open(&r, path, 0, 1024, err), 0);
	n = reader_next(&r, 65536, &chunk, err);
	assert_true(n > 0 && chunk.data[n - 1] == '\n');
	buf_release(&chunk);
	assert_int_equal(truncate(path, 200000), 0);	/* copytruncate, while we read */
	got = slurp(&r, 65536);	/* a mapping would die here with SIGBUS */
	assert_true(strlen(got) <= 200000);
	assert_int_equal(r.shrank, 1);
	assert_true(r.size > 4000000);
	free(got);
	reader_close(&r);
	unlink(path);
}

/* A gzip file of many lines, cut in half or with bytes flipped. */
static char *
broken_gzip(int corrupt)
{
	char *path = tmpname();
	gzFile g = gzopen(path, "wb");
	FILE *f;
	static unsigned char data[1 << 20];
	size_t n;

	for (int i = 0; i < 20000; i++)
		gzprintf(g, "line %d: worker %d started on host%d\n", i, i * 7, i % 13);
	gzclose(g);
	f = fopen(path, "r+");
	n = fread(data, 1, sizeof(data), f);
	assert_true(n > 4000);
	if (corrupt) {
		for (size_t i = 100; i < 300; i++)
			data[i] ^= 0x55;
		rewind(f);
		assert_int_equal(fwrite(data, 1, n, f), n);
		fclose(f);
	} else {
		fclose(f);
		assert_int_equal(truncate(path, (off_t)(n / 2)), 0);
	}
	return path;
}

static void
truncated_gzip_is_an_error_naming_the_file_and_what_was_read(void **state)
{
	char *path = broken_gzip(0), err[ERR_LEN];
	struct reader r;
	struct buf chunk = BUF_INIT(READER_BUF_MAX);
	ssize_t n;
	size_t total = 0;

	assert_int_equal(reader_open(&r, path, 0, 1024, err), 0);
	while ((n = reader_next(&r, 65536, &chunk, err)) > 0)
		total += (size_t)n;
	buf_release(&chunk);
	assert_int_equal(n, -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "truncated"));
	assert_non_null(strstr(err, " lines ("));
	assert_true(total < 20000 * 30);
	reader_close(&r);
	unlink(path);
}

static void
corrupt_gzip_is_an_error_naming_the_file(void **state)
{
	char *path = broken_gzip(1), err[ERR_LEN];
	struct reader r;
	struct buf chunk = BUF_INIT(READER_BUF_MAX);
	ssize_t n;

	assert_int_equal(reader_open(&r, path, 0, 1024, err), 0);
	while ((n = reader_next(&r, 65536, &chunk, err)) > 0)
		;
	buf_release(&chunk);
	assert_int_equal(n, -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "corrupt"));
	assert_null(strstr(err, "<fd:"));
	reader_close(&r);
	unlink(path);
}

/* Each line of s cut to max + 1 bytes, as the reader hands long lines out. */
static char *
cut_lines(const char *s, size_t max)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	while (*s != '\0') {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);

		memcpy(o, s, n > max + 1 ? max + 1 : n);
		o += n > max + 1 ? max + 1 : n;
		if (nl != NULL)
			*o++ = '\n';
		s += n + (nl != NULL);
	}
	*o = '\0';
	return out;
}

/* Every range of a tiling, concatenated. */
static char *
read_ranges(struct reader *r, uint64_t step, uint64_t *ended_at)
{
	struct buf all = BUF_INIT(1 << 26), chunk = BUF_INIT(READER_BUF_MAX);
	char err[ERR_LEN];

	for (uint64_t at = 0; at < r->size; at += step) {
		const char *lines;
		uint64_t end = r->size - at > step ? at + step : r->size;
		ssize_t n = reader_range(r, at, end, &chunk, &lines, ended_at, err);

		assert_true(n >= 0);
		if (n > 0)
			buf_append(&all, lines, (size_t)n);
	}
	buf_release(&chunk);
	return all.data ? buf_detach(&all) : strdup("");
}

static void
ranges_hand_out_every_line_once_whatever_the_range_size(void **state)
{
	static const uint64_t steps[] = { 1, 2, 7, 64, 999, 1000, 1001, 4096, 100000, 1 << 30 };
	size_t max = 1000;

	srand(7);
	for (int trial = 0; trial < 4; trial++) {
		char *path = tmpname(), err[ERR_LEN], *want;
		const char *text;
		struct buf b = BUF_INIT(1 << 24);
		FILE *f = fopen(path, "w");
		struct reader r;

		for (int i = 0; i < 300; i++) {
			int n = rand() % 9 == 0 ? 900 + rand() % 2000 : rand() % 120;

			for (int k = 0; k < n; k++)
				buf_putc(&b, (char)('a' + (i + k) % 26));
			if (i < 299 || trial % 2 == 0)
				buf_putc(&b, '\n');	/* odd trials end without one */
		}
		text = buf_str(&b);
		fputs(text, f);
		fclose(f);
		want = cut_lines(text, max);
		assert_int_equal(reader_open(&r, path, 0, max, err), 0);
		assert_true(r.regular);
		for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
			uint64_t ended = UINT64_MAX;
			char *got = read_ranges(&r, steps[s], &ended), *cut = cut_lines(got, max);

			/* a long line inside a range comes whole, the parser cuts it */
			assert_string_equal(cut, want);
			assert_true(ended == UINT64_MAX);
			free(got);
			free(cut);
		}
		reader_close(&r);
		free(want);
		buf_release(&b);
		unlink(path);
	}
}

static void
a_range_past_the_end_of_a_shrunk_file_says_where_it_ended(void **state)
{
	char *path = tmpname(), err[ERR_LEN], *got;
	FILE *f = fopen(path, "w");
	struct reader r;
	uint64_t ended = UINT64_MAX;

	for (int i = 0; i < 1000; i++)
		fprintf(f, "line %04d\n", i);
	fclose(f);
	assert_int_equal(reader_open(&r, path, 0, 100, err), 0);
	assert_int_equal(truncate(path, 5000), 0);
	got = read_ranges(&r, 4096, &ended);
	assert_true(ended == 5000);
	assert_int_equal(strlen(got), 5000);
	assert_int_equal(strncmp(got + 4990, "line 0499\n", 10), 0);
	free(got);
	reader_close(&r);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_file_comes_in_whole_lines),
		cmocka_unit_test(gzip_is_read_and_long_lines_are_cut),
		cmocka_unit_test(missing_files_and_directories_are_errors),
		cmocka_unit_test(follow_rereads_after_truncation),
		cmocka_unit_test(file_truncated_while_read_ends_early_and_says_it_shrank),
		cmocka_unit_test(truncated_gzip_is_an_error_naming_the_file_and_what_was_read),
		cmocka_unit_test(corrupt_gzip_is_an_error_naming_the_file),
		cmocka_unit_test(ranges_hand_out_every_line_once_whatever_the_range_size),
		cmocka_unit_test(a_range_past_the_end_of_a_shrunk_file_says_where_it_ended),
	};

	return cmocka_run_group_tests_name("reader", tests, NULL, NULL);
}
