/*
 * run_signal.c - see run_signal.h.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "run/run_signal.h"

static int sig_fd = -1;
static int stop_fd = -1;
static sigset_t sig_oldmask;
static struct sigaction sig_oldpipe;

int
run_signal_init(char *err)
{
	struct sigaction ign;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &sig_oldmask) < 0) {
		err_set(err, "cannot block signals: %s", strerror(errno));
		return -1;
	}
	if ((sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		err_set(err, "cannot create a signalfd: %s", strerror(errno));
		return -1;
	}
	sigdelset(&set, SIGCHLD);
	if ((stop_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		err_set(err, "cannot create a signalfd: %s", strerror(errno));
		return -1;
	}
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &sig_oldpipe);
	return 0;
}

int
run_signal_fd(void)
{
	return sig_fd;
}

int
run_signal_stop_fd(void)
{
	return stop_fd;
}

int
run_signal_take_stop(void)
{
	int sig;

	while ((sig = run_signal_take()) != 0)
		if (sig != SIGCHLD)
			return sig;
	return 0;
}

int
run_signal_take(void)
{
	struct signalfd_siginfo si;
	ssize_t n;

	if (sig_fd < 0)
		return 0;
	n = read(sig_fd, &si, sizeof(si));
	if (n != (ssize_t)sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

int
run_signal_sleep(int64_t ms)
{
	int64_t end = clock_mono_ms() + ms, left;
	struct pollfd pfd;
	int sig;

	while ((left = end - clock_mono_ms()) > 0) {
		if (sig_fd < 0) {
			usleep((useconds_t)(left > 1000 ? 1000000 : left * 1000));
			continue;
		}
		pfd.fd = sig_fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, left > 60000 ? 60000 : (int)left) <= 0)
			continue;
		if ((sig = run_signal_take_stop()) != 0)
			return sig;
	}
	return 0;
}

void
run_signal_child_reset(void)
{
	sigaction(SIGPIPE, &sig_oldpipe, NULL);
	sigprocmask(SIG_SETMASK, &sig_oldmask, NULL);
}
