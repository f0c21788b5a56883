/*
 * run_guard.h - what keeps two runs of a job from overlapping when the
 * governor itself is killed (kill -9, the OOM killer).
 *
 * The lock alone cannot: the kernel drops a flock and the database ends a
 * session the moment the governor dies, while the job (a process group the
 * governor no longer watches) may run on, a TERM-ignoring job for ever. So
 * the governor forks a guard before the first attempt: a small process of
 * its own process group (terminal signals and kill(-pgid) sent to the cron
 * job's group do not reach it) that keeps a copy of every descriptor that
 * holds the lock (the lock file, the lock database's socket) and nothing
 * else. The guard learns each attempt's process group from the job itself,
 * before the job's exec, and waits on a pipe from the governor:
 *
 *   - the governor ends normally: it says so, the guard exits at once, and
 *     the lock goes as before;
 *   - the pipe closes without that word (the governor died): the guard sends
 *     SIGTERM to the job's process group, SIGKILL after the kill-after delay,
 *     waits until no process of the group is left, and only then exits,
 *     which releases the lock.
 *
 * So the next run, however soon it starts, finds the lock held while any
 * process of the job's group lives, and never runs beside it. Processes
 * that leave the group (setsid daemons) are outside it, as they are for
 * --timeout. A cgroup would catch those too, but needs a delegated cgroup
 * tree that cron jobs of ordinary users do not have.
 */
#ifndef BRACE_RUN_GUARD_H
#define BRACE_RUN_GUARD_H

#include <stdint.h>
#include <sys/types.h>

#define RUN_GUARD_KEEP_MAX 4

struct run_guard {
	pid_t pid;              /* the guard process; 0 when none */
	int fd;                 /* the governor's end of the pipe; -1 when none */
};

/*
 * Fork the guard. keep: the descriptors it must hold (nkeep of them, at
 * most RUN_GUARD_KEEP_MAX; -1 entries are skipped). kill_after_ms: its
 * delay between SIGTERM and SIGKILL. 0 / -1 + err.
 */
int run_guard_start(struct run_guard *g, const int *keep, int nkeep, int64_t kill_after_ms,
    char *err);

/*
 * The descriptor a job's first process writes its pid (= its process
 * group) to before exec, with run_guard_announce(); -1 when there is no
 * guard. Close-on-exec.
 */
int run_guard_fd(const struct run_guard *g);

/* In the forked job, before exec: tell the guard our process group. Async-signal-safe. */
void run_guard_announce(int fd);

/* After an attempt: the group pgid is over, the guard forgets it. */
void run_guard_ended(struct run_guard *g, pid_t pgid);

/*
 * The governor is done with the job: tell the guard to stand down, and wait
 * (a moment at most) for it to exit, so that the lock is free when this
 * returns. No-op without a guard.
 */
void run_guard_stop(struct run_guard *g);

#endif
