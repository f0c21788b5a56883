/*
 * run_lock.h - the no-overlap lock of brace run: flock(2) on a file.
 *
 * A lock NAME is a file NAME.lock in the lock directory; --max-concurrent N
 * adds the slots NAME.2.lock ... NAME.N.lock, and a run takes the first free
 * one. flock locks belong to the open file description, so the kernel drops
 * them when the governor dies however it dies (kill -9 included): there is
 * never a stale lock to clean up, and lock files are never removed (removing
 * them would let two runs lock two different files of the same name). The
 * descriptor is close-on-exec, so neither the job nor a daemon it starts
 * inherits the lock.
 *
 * The directory: --lock-dir, else $BRACE_LOCK_DIR, else /run/brace/locks for
 * root, else $XDG_RUNTIME_DIR/brace/locks, else /tmp/brace-UID/locks (cron
 * does not set XDG_RUNTIME_DIR). Whichever it is, its owner and mode are
 * checked (core/path.h) and a directory another user controls is refused
 * with a message naming it and its owner: /tmp/brace-UID must belong to the
 * user and be closed to others (someone else may have created it first);
 * the others must belong to the user or root and not be writable by
 * everyone. There is no fallback to another directory: two runs must agree
 * on where the lock is, whatever a third user does meanwhile.
 */
#ifndef BRACE_RUN_LOCK_H
#define BRACE_RUN_LOCK_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define RUN_LOCK_NAME_MAX 100
#define RUN_LOCK_SLOTS_MAX 1000

struct run_lock {
	int fd;                 /* -1 when not held */
	int slot;               /* 1..N */
	char path[PATH_MAX];
};

/*
 * Check a lock or job name: 1 to RUN_LOCK_NAME_MAX letters, digits, '.',
 * '_', '-', '@' or '+', not starting with '.'. 0 / -1 + err.
 */
int run_lock_check_name(const char *name, char *err);

/*
 * Work out the lock directory (see above) into out and create it if needed.
 * explicit_dir may be NULL. 0 / -1 + err.
 */
int run_lock_dir(const char *explicit_dir, char *out, size_t n, char *err);

/*
 * Try, without blocking, to take one of the slots of name in dir. Returns 1
 * with lk filled when a slot was taken, 0 when all are held (*holder is then
 * the pid written by a holder, or 0 if unknown), -1 + err on failure.
 */
int run_lock_try(const char *dir, const char *name, int slots, struct run_lock *lk,
    pid_t *holder, char *err);

/* Release a held lock (no-op when not held). */
void run_lock_release(struct run_lock *lk);

#endif
