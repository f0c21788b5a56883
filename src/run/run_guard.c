/*
 * run_guard.c - see run_guard.h.
 *
 * The pipe carries 32-bit words, each written whole (a pipe write of 4
 * bytes is atomic): a positive pgid when an attempt's process group starts,
 * its negation when it is over, and 0 when the governor ends normally.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "run/run_guard.h"

#define GUARD_POLL_MS 50
/* How long the guard waits for a SIGKILLed group (a process stuck in the kernel). */
#define GUARD_KILL_WAIT_MS 30000
/* How long run_guard_stop() waits for the guard to exit. */
#define GUARD_STOP_WAIT_MS 2000

/* Is a process (not a zombie) of group pgid alive? Read from /proc. */
static int
group_alive(pid_t pgid)
{
	char path[300], stat[512];
	struct dirent *de;
	int alive = 0, fd;
	DIR *d;

	if (kill(-pgid, 0) < 0 && errno == ESRCH)
		return 0;
	if ((d = opendir("/proc")) == NULL)
		return 1;
	while (!alive && (de = readdir(d)) != NULL) {
		const char *close_paren;
		char state;
		long pgrp;
		ssize_t n;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, stat, sizeof(stat) - 1);
		close(fd);
		if (n <= 0)
			continue;
		stat[n] = '\0';
		/* "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses. */
		if ((close_paren = strrchr(stat, ')')) == NULL ||
		    sscanf(close_paren + 1, " %c %*d %ld", &state, &pgrp) != 2)
			continue;
		alive = pgrp == pgid && state != 'Z' && state != 'X';
	}
	closedir(d);
	return alive;
}

/* Wait up to ms for group pgid to be gone; 1 when it is. */
static int
wait_gone(pid_t pgid, int64_t ms)
{
	int64_t end = clock_mono_ms() + ms;

	while (group_alive(pgid)) {
		if (clock_mono_ms() >= end)
			return 0;
		usleep(GUARD_POLL_MS * 1000);
	}
	return 1;
}

static void
say(const char *msg)
{
	if (write(STDERR_FILENO, msg, strlen(msg)) < 0) {
		/* nobody to tell */
	}
}

/* The governor died while group pgid ran: end it, then let the lock go. */
static void
end_group(pid_t pgid, int64_t kill_after_ms)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "brace run: the governor died; stopping the job's process "
	    "group %ld before the lock is released\n", (long)pgid);
	say(msg);
	kill(-pgid, SIGTERM);
	if (wait_gone(pgid, kill_after_ms))
		return;
	kill(-pgid, SIGKILL);
	wait_gone(pgid, GUARD_KILL_WAIT_MS);
}

static void __attribute__((noreturn))
guard_main(int rfd, int64_t kill_after_ms)
{
	pid_t live = 0;
	int32_t word;
	ssize_t n;

	prctl(PR_SET_NAME, "brace-run-guard");
	/* Out of the cron job's process group: its signals are not for us. */
	setpgid(0, 0);
	for (;;) {
		n = read(rfd, &word, sizeof(word));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(word))
			break;  /* the governor is gone */
		if (word == 0)
			_exit(0);
		if (word > 0)
			live = word;
		else if (-word == live)
			live = 0;
	}
	if (live > 0)
		end_group(live, kill_after_ms);
	_exit(0);
}

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* In the child: close every descriptor but stderr, rfd and keep. */
static void
close_others(int rfd, const int *keep, int nkeep)
{
	int fds[RUN_GUARD_KEEP_MAX + 2], n = 0;
	unsigned int from = 0;

	fds[n++] = STDERR_FILENO;
	fds[n++] = rfd;
	for (int i = 0; i < nkeep; i++)
		if (keep[i] >= 0)
			fds[n++] = keep[i];
	qsort(fds, (size_t)n, sizeof(fds[0]), cmp_int);
	for (int i = 0; i < n; i++) {
		if ((unsigned int)fds[i] > from)
			close_range(from, (unsigned int)fds[i] - 1, 0);
		from = (unsigned int)fds[i] + 1;
	}
	close_range(from, ~0U, 0);
	/* The kept descriptors must outlive nothing but us. */
	for (int i = 0; i < n; i++)
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
}

int
run_guard_start(struct run_guard *g, const int *keep, int nkeep, int64_t kill_after_ms,
    char *err)
{
	int p[2];

	g->pid = 0;
	g->fd = -1;
	if (nkeep > RUN_GUARD_KEEP_MAX) {
		err_set(err, "too many descriptors for the guard");
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		err_set(err, "cannot start the guard: pipe: %s", strerror(errno));
		return -1;
	}
	if ((g->pid = fork()) < 0) {
		err_set(err, "cannot start the guard: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		g->pid = 0;
		return -1;
	}
	if (g->pid == 0) {
		close_others(p[0], keep, nkeep);
		guard_main(p[0], kill_after_ms);
	}
	close(p[0]);
	g->fd = p[1];
	return 0;
}

int
run_guard_fd(const struct run_guard *g)
{
	return g->fd;
}

static void
send_word(int fd, int32_t word)
{
	ssize_t n;

	do
		n = write(fd, &word, sizeof(word));
	while (n < 0 && errno == EINTR);
}

void
run_guard_announce(int fd)
{
	if (fd >= 0)
		send_word(fd, (int32_t)getpid());
}

void
run_guard_ended(struct run_guard *g, pid_t pgid)
{
	if (g->fd >= 0 && pgid > 0)
		send_word(g->fd, -(int32_t)pgid);
}

void
run_guard_stop(struct run_guard *g)
{
	int64_t end = clock_mono_ms() + GUARD_STOP_WAIT_MS;
	pid_t r;

	if (g->fd < 0)
		return;
	send_word(g->fd, 0);
	close(g->fd);
	g->fd = -1;
	/* It may have been reaped already, by the job's watch (it collects every child). */
	while ((r = waitpid(g->pid, NULL, WNOHANG)) == 0 && clock_mono_ms() < end)
		usleep(2000);
	g->pid = 0;
}
