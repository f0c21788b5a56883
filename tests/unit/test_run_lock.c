/*
 * test_run_lock.c - lock names, the lock directory, slots, and that a lock
 * is not inherited across exec.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "core/err.h"
#include "run/run_lock.h"


static void
names_allow_safe_characters_only(void **state)
{
	char err[ERR_LEN];

	assert_int_equal(run_lock_check_name("invsync", err), 0);
	assert_int_equal(run_lock_check_name("db-backup_2.nightly@web1+x", err), 0);
	assert_int_equal(run_lock_check_name("", err), -1);
	assert_int_equal(run_lock_check_name(".hidden", err), -1);
	assert_int_equal(run_lock_check_name("../etc/passwd", err), -1);
	assert_int_equal(run_lock_check_name("a/b", err), -1);
	assert_non_null(strstr(err, "a/b"));
	assert_int_equal(run_lock_check_name("with space", err), -1);
}

static void
names_longer_than_the_cap_are_refused(void **state)
{
	char err[ERR_LEN], name[RUN_LOCK_NAME_MAX + 2];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(run_lock_check_name(name, err), -1);
	name[RUN_LOCK_NAME_MAX] = '\0';
	assert_int_equal(run_lock_check_name(name, err), 0);
}

static void
explicit_directory_is_created(void **state)
{
	char err[ERR_LEN], want[256], out[256];
	struct stat st;

	snprintf(want, sizeof(want), "%s/locks", unit_tmpdir());
	assert_int_equal(run_lock_dir(want, out, sizeof(out), err), 0);
	assert_string_equal(out, want);
	assert_int_equal(stat(want, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
}

static void
environment_directory_is_used(void **state)
{
	char err[ERR_LEN], out[256];

	setenv("BRACE_LOCK_DIR", unit_tmpdir(), 1);
	assert_int_equal(run_lock_dir(NULL, out, sizeof(out), err), 0);
	assert_string_equal(out, unit_tmpdir());
	unsetenv("BRACE_LOCK_DIR");
}

static void
a_file_in_the_way_is_a_clear_error(void **state)
{
	char err[ERR_LEN], path[256], out[256];
	int fd;

	snprintf(path, sizeof(path), "%s/file", unit_tmpdir());
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(run_lock_dir(path, out, sizeof(out), err), -1);
	assert_non_null(strstr(err, "not a directory"));
}

static void
second_try_is_busy_and_names_the_holder(void **state)
{
	struct run_lock a, b;
	char err[ERR_LEN];
	pid_t holder = -1;

	assert_int_equal(run_lock_try(unit_tmpdir(), "job", 1, &a, &holder, err), 1);
	assert_int_equal(a.slot, 1);
	/* A second open file description conflicts even within one process. */
	assert_int_equal(run_lock_try(unit_tmpdir(), "job", 1, &b, &holder, err), 0);
	assert_int_equal(holder, getpid());
	assert_int_equal(b.fd, -1);
	run_lock_release(&a);
	assert_int_equal(a.fd, -1);
	assert_int_equal(run_lock_try(unit_tmpdir(), "job", 1, &b, &holder, err), 1);
	run_lock_release(&b);
}

static void
slots_allow_n_holders(void **state)
{
	struct run_lock l[3];
	char err[ERR_LEN];
	pid_t holder;

	assert_int_equal(run_lock_try(unit_tmpdir(), "pair", 2, &l[0], &holder, err), 1);
	assert_int_equal(run_lock_try(unit_tmpdir(), "pair", 2, &l[1], &holder, err), 1);
	assert_int_equal(l[1].slot, 2);
	assert_non_null(strstr(l[1].path, "pair.2.lock"));
	assert_int_equal(run_lock_try(unit_tmpdir(), "pair", 2, &l[2], &holder, err), 0);
	run_lock_release(&l[0]);
	assert_int_equal(run_lock_try(unit_tmpdir(), "pair", 2, &l[2], &holder, err), 1);
	assert_int_equal(l[2].slot, 1);
	run_lock_release(&l[1]);
	run_lock_release(&l[2]);
}

static void
lock_descriptor_is_close_on_exec(void **state)
{
	struct run_lock l;
	char err[ERR_LEN];
	pid_t holder;

	assert_int_equal(run_lock_try(unit_tmpdir(), "cloexec", 1, &l, &holder, err), 1);
	assert_true(fcntl(l.fd, F_GETFD) & FD_CLOEXEC);
	run_lock_release(&l);
}

static void
symlinked_lock_file_is_refused(void **state)
{
	struct run_lock l;
	char err[ERR_LEN], path[256];
	pid_t holder;

	snprintf(path, sizeof(path), "%s/evil.lock", unit_tmpdir());
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(run_lock_try(unit_tmpdir(), "evil", 1, &l, &holder, err), -1);
	assert_non_null(strstr(err, "evil.lock"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_allow_safe_characters_only),
		cmocka_unit_test(names_longer_than_the_cap_are_refused),
		cmocka_unit_test(explicit_directory_is_created),
		cmocka_unit_test(environment_directory_is_used),
		cmocka_unit_test(a_file_in_the_way_is_a_clear_error),
		cmocka_unit_test(second_try_is_busy_and_names_the_holder),
		cmocka_unit_test(slots_allow_n_holders),
		cmocka_unit_test(lock_descriptor_is_close_on_exec),
		cmocka_unit_test(symlinked_lock_file_is_refused),
	};

	return cmocka_run_group_tests_name("run_lock", tests, unit_tmpdir_setup,
	    unit_tmpdir_teardown);
}
