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

	for (;;) {
		const char *d;
		char *owned;
		ssize_t n = reader_next(r, want, &d, &owned, err);

		assert_true(n >= 0);
		if (n == 0)
			break;
		assert_true(d[n - 1] == '\n' || r->eof || (r->map != NULL && r->map_off == r->map_len));
		buf_append(&all, d, (size_t)n);
		free(owned);
	}
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_file_comes_in_whole_lines),
		cmocka_unit_test(gzip_is_read_and_long_lines_are_cut),
		cmocka_unit_test(missing_files_and_directories_are_errors),
		cmocka_unit_test(follow_rereads_after_truncation),
	};

	return cmocka_run_group_tests_name("reader", tests, NULL, NULL);
}
