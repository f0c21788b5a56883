/*
 * test_run_guard.c - the guard that outlives a killed governor: it ends the
 * job's whole process group (SIGTERM, then SIGKILL for what ignores it) and
 * holds the lock until nothing of the group is left; told to stand down, it
 * leaves the job alone and exits at once.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "core/clock.h"
#include "core/err.h"
#include "run/run_guard.h"

static char lockpath[] = "/tmp/brace-unit-guard-XXXXXX";

static int
setup(void **state)
{
	int fd = mkstemp(lockpath);

	/* The job's orphaned child comes to us (to be reaped), as it comes to brace run. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	unlink(lockpath);
	return 0;
}

/* A held lock, as brace run holds it. */
static int
take_lock(void)
{
	int fd = open(lockpath, O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	return fd;
}

static int
lock_is_free(void)
{
	int fd = open(lockpath, O_RDWR | O_CLOEXEC), ok;

	ok = flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd);
	return ok;
}

/* A job that ignores SIGTERM, with a child in its group that does too. */
static pid_t
start_job(int guard_fd, int lock_fd)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGTERM, SIG_IGN);
		setpgid(0, 0);
		run_guard_announce(guard_fd);
		/* What exec does to close-on-exec descriptors. */
		close(guard_fd);
		close(lock_fd);
		if (fork() == 0)
			for (;;)
				pause();
		for (;;)
			pause();
	}
	setpgid(pid, pid);
	return pid;
}

static int
group_gone(pid_t pgid)
{
	int64_t end = clock_mono_ms() + 60000;

	while (clock_mono_ms() < end) {
		/* Our zombie children do not count, and are reaped here. */
		while (waitpid(-pgid, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) < 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

static void
a_dead_governor_leaves_no_job_and_then_the_lock(void **state)
{
	struct run_guard g;
	char err[ERR_LEN];
	int lock = take_lock(), st;
	pid_t job;

	assert_int_equal(run_guard_start(&g, &lock, 1, 300, err), 0);
	job = start_job(run_guard_fd(&g), lock);
	usleep(100 * 1000);
	/* The governor "dies": its end of the pipe closes without a word, its lock with it. */
	close(g.fd);
	close(lock);
	assert_false(lock_is_free());   /* the guard still holds it */
	assert_true(group_gone(job));
	assert_int_equal(waitpid(g.pid, &st, 0), g.pid);
	assert_true(WIFEXITED(st));
	assert_true(lock_is_free());
}

static void
a_guard_told_to_stand_down_leaves_the_job_alone(void **state)
{
	struct run_guard g;
	char err[ERR_LEN];
	int lock = take_lock();
	pid_t job;

	assert_int_equal(run_guard_start(&g, &lock, 1, 300, err), 0);
	job = start_job(run_guard_fd(&g), lock);
	usleep(100 * 1000);
	run_guard_stop(&g);
	close(lock);
	assert_true(lock_is_free());
	assert_int_equal(kill(-job, 0), 0);     /* still there */
	kill(-job, SIGKILL);
	assert_true(group_gone(job));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_dead_governor_leaves_no_job_and_then_the_lock),
		cmocka_unit_test(a_guard_told_to_stand_down_leaves_the_job_alone),
	};

	return cmocka_run_group_tests_name("run_guard", tests, setup, teardown);
}
