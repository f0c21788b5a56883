/*
 * test_run_signal.c - signals taken through the signalfd: a pending SIGTERM
 * ends a sleep at once, a SIGCHLD does not, and the child gets its mask back.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "core/clock.h"
#include "core/err.h"
#include "run/run_signal.h"

static int
setup(void **state)
{
	char err[ERR_LEN];

	return run_signal_init(err);
}

static void
pending_term_ends_a_sleep_at_once(void **state)
{
	raise(SIGTERM);	/* blocked: it stays pending, and nothing dies */
	assert_int_equal(run_signal_sleep(3600 * 1000), SIGTERM);
	assert_int_equal(run_signal_take(), 0);
}

static void
hup_and_int_end_a_sleep_too(void **state)
{
	raise(SIGHUP);
	assert_int_equal(run_signal_sleep(3600 * 1000), SIGHUP);
	raise(SIGINT);
	assert_int_equal(run_signal_sleep(3600 * 1000), SIGINT);
}

static void
sigchld_does_not_end_a_sleep(void **state)
{
	int64_t t0 = clock_mono_ms();
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	/* The child's SIGCHLD arrives during the sleep, which still runs out. */
	assert_int_equal(run_signal_sleep(200), 0);
	assert_true(clock_mono_ms() - t0 >= 200);
	waitpid(p, NULL, 0);
}

static void
child_gets_the_original_mask_back(void **state)
{
	sigset_t now;
	int st;
	pid_t p = fork();

	if (p == 0) {
		run_signal_child_reset();
		sigprocmask(SIG_SETMASK, NULL, &now);
		_exit(sigismember(&now, SIGTERM) ? 1 : 0);
	}
	assert_int_equal(waitpid(p, &st, 0), p);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	while (run_signal_take() != 0)
		;
}

static void
signalfd_is_close_on_exec(void **state)
{
	assert_true(run_signal_fd() >= 0);
	assert_true(fcntl(run_signal_fd(), F_GETFD) & FD_CLOEXEC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pending_term_ends_a_sleep_at_once),
		cmocka_unit_test(hup_and_int_end_a_sleep_too),
		cmocka_unit_test(sigchld_does_not_end_a_sleep),
		cmocka_unit_test(child_gets_the_original_mask_back),
		cmocka_unit_test(signalfd_is_close_on_exec),
	};

	return cmocka_run_group_tests_name("run_signal", tests, setup, NULL);
}
