/*
 * test_unit_tmpdir.c - the unit tests' temporary-directory fixture (unit.h):
 * it removes everything it holds, and nothing a symbolic link in it points to.
 */
#include <string.h>
#include <unistd.h>

#include "unit.h"

static void
put(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("x\n", f);
	fclose(f);
}

static void
teardown_removes_the_tree_but_not_what_links_point_to(void **state)
{
	char outside[UNIT_TMPDIR_MAX], keep[256], path[256];

	/* A directory of its own outside the fixture's, with a file to keep. */
	assert_int_equal(unit_tmpdir_setup(state), 0);
	snprintf(outside, sizeof(outside), "%s", unit_tmpdir());
	snprintf(keep, sizeof(keep), "%s/keep", outside);
	put(keep);

	assert_int_equal(unit_tmpdir_setup(state), 0);
	assert_string_not_equal(unit_tmpdir(), outside);
	unit_tmpdir_path(path, sizeof(path), "a");
	assert_int_equal(mkdir(path, 0700), 0);
	unit_tmpdir_path(path, sizeof(path), "a/b");
	assert_int_equal(mkdir(path, 0700), 0);
	unit_tmpdir_path(path, sizeof(path), "a/b/file");
	put(path);
	unit_tmpdir_path(path, sizeof(path), "top");
	put(path);
	unit_tmpdir_path(path, sizeof(path), "link");
	assert_int_equal(symlink(outside, path), 0);
	snprintf(path, sizeof(path), "%s", unit_tmpdir());

	assert_int_equal(unit_tmpdir_teardown(state), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(access(keep, F_OK), 0);
	assert_string_equal(unit_tmpdir(), "");
	assert_int_equal(unit_tmpdir_teardown(state), 0);     /* nothing left: fine */

	snprintf(unit_tmpdir(), UNIT_TMPDIR_MAX, "%s", outside);
	assert_int_equal(unit_tmpdir_teardown(state), 0);
	assert_int_equal(access(outside, F_OK), -1);
}

static void
a_too_long_tmpdir_fails_the_setup(void **state)
{
	char long_dir[UNIT_TMPDIR_MAX + 16];

	memset(long_dir, 'd', sizeof(long_dir) - 1);
	long_dir[0] = '/';
	long_dir[sizeof(long_dir) - 1] = '\0';
	setenv("TMPDIR", long_dir, 1);
	assert_int_equal(unit_tmpdir_setup(state), -1);
	assert_string_equal(unit_tmpdir(), "");
	unsetenv("TMPDIR");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(teardown_removes_the_tree_but_not_what_links_point_to),
		cmocka_unit_test(a_too_long_tmpdir_fails_the_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
