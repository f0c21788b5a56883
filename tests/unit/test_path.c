/*
 * test_path.c - lock and state directories: who owns them and who may
 * write to them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "core/err.h"
#include "core/path.h"

static void
sub(char *out, size_t n, const char *name, mode_t mode)
{
	unit_tmpdir_path(out, n, name);
	assert_int_equal(mkdir(out, 0700), 0);
	assert_int_equal(chmod(out, mode), 0);
}

static void
private_directory_must_be_ours_and_closed(void **state)
{
	char p[256], err[ERR_LEN];

	sub(p, sizeof(p), "private", 0700);
	assert_int_equal(path_check_private(p, "lock directory", err), 0);
	sub(p, sizeof(p), "open", 0755);
	assert_int_equal(path_check_private(p, "lock directory", err), -1);
	assert_non_null(strstr(err, "mode 0755"));
	assert_non_null(strstr(err, p));
	if (geteuid() == 0) {
		sub(p, sizeof(p), "theirs", 0700);
		assert_int_equal(chown(p, 1, 1), 0);
		assert_int_equal(path_check_private(p, "lock directory", err), -1);
		assert_non_null(strstr(err, "belongs to"));
		assert_non_null(strstr(err, "(uid 1)"));
	}
}

static void
safe_directory_refuses_world_writable_unless_sticky(void **state)
{
	char p[256], err[ERR_LEN];

	sub(p, sizeof(p), "shared", 0775);
	assert_int_equal(path_check_safe(p, "lock directory", err), 0);
	sub(p, sizeof(p), "world", 0777);
	assert_int_equal(path_check_safe(p, "lock directory", err), -1);
	assert_non_null(strstr(err, "every user"));
	sub(p, sizeof(p), "sticky", 01777);
	assert_int_equal(path_check_safe(p, "lock directory", err), 0);
}

static void
a_symbolic_link_is_refused(void **state)
{
	char p[256], link[300], err[ERR_LEN];

	sub(p, sizeof(p), "target", 0700);
	unit_tmpdir_path(link, sizeof(link), "link");
	assert_int_equal(symlink(p, link), 0);
	assert_int_equal(path_check_private(link, "lock directory", err), -1);
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(path_check_safe(link, "journal directory", err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(private_directory_must_be_ours_and_closed),
		cmocka_unit_test(safe_directory_refuses_world_writable_unless_sticky),
		cmocka_unit_test(a_symbolic_link_is_refused),
	};

	return cmocka_run_group_tests_name("path", tests, unit_tmpdir_setup,
	    unit_tmpdir_teardown);
}
