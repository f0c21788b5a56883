/*
 * test_run_job.c - the job's exit status contract, timeouts that reach the
 * whole process group, start failures, output capture, descriptors not
 * leaking into the job, and --ionice parsing.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "core/err.h"
#include "run/run_job.h"
#include "run/run_signal.h"

static int
setup(void **state)
{
	char err[ERR_LEN];

	run_job_note_inherited_fds();
	return run_signal_init(err);
}

/* Run sh -c script with a held output; returns the result. */
static struct run_job_result
sh(const char *script, int64_t timeout_ms, struct buf *tail)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	char err[ERR_LEN];
	run_output *out = run_output_new(1, STDOUT_FILENO, STDERR_FILENO, 1024, 1 << 20, err);
	struct run_job_opts o = {
		.argv = argv, .timeout_ms = timeout_ms, .kill_after_ms = 500, .ioprio = -1,
		.out = out,
	};
	struct run_job_result r;

	assert_non_null(out);
	assert_int_equal(run_job_run(&o, &r, err), 0);
	if (tail != NULL)
		run_output_tail(out, tail);
	run_output_free(out);
	return r;
}

static void
exit_code_passes_through(void **state)
{
	struct run_job_result r = sh("exit 42", 0, NULL);

	assert_int_equal(r.status, 42);
	assert_int_equal(r.exit_code, 42);
	assert_int_equal(r.signal, 0);
	assert_false(r.timed_out);
	assert_true(r.pid > 0);
	assert_true(r.end_ms >= r.start_ms);
}

static void
signal_death_is_128_plus_n(void **state)
{
	struct run_job_result r = sh("kill -USR1 $$", 0, NULL);

	assert_int_equal(r.status, 128 + SIGUSR1);
	assert_int_equal(r.signal, SIGUSR1);
	assert_int_equal(r.exit_code, -1);
}

static void
output_of_both_streams_is_captured(void **state)
{
	struct buf tail = BUF_INIT(RUN_OUTPUT_TAIL);
	struct run_job_result r = sh("echo out; echo err >&2", 0, &tail);

	assert_int_equal(r.status, 0);
	assert_string_equal(buf_str(&tail), "out\nerr\n");
	buf_release(&tail);
}

static int
alive(pid_t pid)
{
	char path[64], line[128];
	FILE *f;
	int live = 0;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "State:", 6) == 0)
			live = strchr(line, 'Z') == NULL;
	fclose(f);
	return live;
}

static void
timeout_kills_the_group_and_is_124(void **state)
{
	struct buf tail = BUF_INIT(RUN_OUTPUT_TAIL);
	/* The grandchild ignores SIGTERM: only the SIGKILL after kill-after ends it. */
	struct run_job_result r = sh("(trap '' TERM; exec sleep 60) & echo $!; wait", 2000, &tail);
	long grandchild = strtol(buf_str(&tail), NULL, 10);

	assert_int_equal(r.status, RUN_EXIT_TIMEOUT);
	assert_true(r.timed_out);
	assert_true(grandchild > 0);
	assert_false(alive((pid_t)grandchild));
	buf_release(&tail);
}

static void
missing_command_is_127_and_unrunnable_is_126(void **state)
{
	char path[] = "/tmp/brace-test-noexec-XXXXXX";
	char *missing[] = { "brace-no-such-command", NULL };
	char *noexec[] = { path, NULL };
	char err[ERR_LEN];
	int fd = mkstemp(path);

	/* A file without any execute bit cannot be run, not even by root. */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "echo hi\n", 8), 8);
	fchmod(fd, 0644);
	close(fd);
	run_output *out = run_output_new(1, 1, 2, 1024, 4096, err);
	struct run_job_opts o = { .argv = missing, .ioprio = -1, .out = out };
	struct run_job_result r;

	assert_int_equal(run_job_run(&o, &r, err), -1);
	assert_int_equal(r.status, RUN_EXIT_NOTFOUND);
	assert_non_null(strstr(err, "command not found"));
	o.argv = noexec;
	assert_int_equal(run_job_run(&o, &r, err), -1);
	assert_int_equal(r.status, RUN_EXIT_NOEXEC);
	assert_non_null(strstr(err, path));
	unlink(path);
	run_output_free(out);
}

static void
governor_descriptors_do_not_reach_the_job(void **state)
{
	char script[128];
	struct run_job_result r;
	/* Opened after note_inherited_fds, without O_CLOEXEC, as a library might. */
	int fd = open("/dev/null", O_RDONLY);

	assert_true(fd > 2);
	snprintf(script, sizeof(script), "test -e /proc/self/fd/%d && exit 1; exit 0", fd);
	r = sh(script, 0, NULL);
	assert_int_equal(r.status, 0);
	close(fd);
}

static void
nice_is_applied_to_the_job(void **state)
{
	char *argv[] = { "sh", "-c", "exit $(cut -d' ' -f19 /proc/self/stat)", NULL };
	char err[ERR_LEN];
	run_output *out = run_output_new(1, 1, 2, 1024, 4096, err);
	struct run_job_opts o = { .argv = argv, .nice = 5, .ioprio = -1, .out = out };
	struct run_job_result r;
	int before = nice(0);

	assert_int_equal(run_job_run(&o, &r, err), 0);
	assert_int_equal(r.exit_code, before + 5 > 19 ? 19 : before + 5);
	run_output_free(out);
}

static void
ionice_classes_and_levels_parse(void **state)
{
	char err[ERR_LEN];
	int p;

	assert_int_equal(run_job_parse_ionice("idle", &p, err), 0);
	assert_int_equal(p, 3 << 13);
	assert_int_equal(run_job_parse_ionice("best-effort:7", &p, err), 0);
	assert_int_equal(p, 2 << 13 | 7);
	assert_int_equal(run_job_parse_ionice("be", &p, err), 0);
	assert_int_equal(p, 2 << 13 | 4);
	assert_int_equal(run_job_parse_ionice("rt:0", &p, err), 0);
	assert_int_equal(p, 1 << 13);
	assert_int_equal(run_job_parse_ionice("2:3", &p, err), 0);
	assert_int_equal(p, 2 << 13 | 3);
}

static void
ionice_bad_values_are_refused(void **state)
{
	char err[ERR_LEN];
	int p = 77;

	assert_int_equal(run_job_parse_ionice("fast", &p, err), -1);
	assert_non_null(strstr(err, "fast"));
	assert_int_equal(run_job_parse_ionice("be:8", &p, err), -1);
	assert_int_equal(run_job_parse_ionice("be:", &p, err), -1);
	assert_int_equal(run_job_parse_ionice("be:12", &p, err), -1);
	assert_int_equal(run_job_parse_ionice("idle:3", &p, err), -1);
	assert_int_equal(p, 77);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_code_passes_through),
		cmocka_unit_test(signal_death_is_128_plus_n),
		cmocka_unit_test(output_of_both_streams_is_captured),
		cmocka_unit_test(timeout_kills_the_group_and_is_124),
		cmocka_unit_test(missing_command_is_127_and_unrunnable_is_126),
		cmocka_unit_test(governor_descriptors_do_not_reach_the_job),
		cmocka_unit_test(nice_is_applied_to_the_job),
		cmocka_unit_test(ionice_classes_and_levels_parse),
		cmocka_unit_test(ionice_bad_values_are_refused),
	};

	return cmocka_run_group_tests_name("run_job", tests, setup, NULL);
}
