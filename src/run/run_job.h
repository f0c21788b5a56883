/*
 * run_job.h - start the job and watch it until it ends: brace run's core.
 *
 * The job runs in a process group of its own. A timeout sends SIGTERM to the
 * whole group, so grandchildren die too, and SIGKILL to the group if anything
 * of it is left after the kill-after delay. SIGTERM, SIGINT and SIGHUP sent to
 * the governor are passed on to the group (run_signal.h takes them). The
 * job's stdout and stderr come back through pipes into a run_output. The
 * governor's own descriptors (locks, database and journal connections) are
 * made close-on-exec before the fork, so the job inherits only what the
 * governor itself was given. The governor is a child subreaper: orphaned
 * grandchildren are reaped by it, so after a timeout it can tell when the
 * whole group is gone. If the governor is killed, the job's first
 * process gets SIGTERM (PR_SET_PDEATHSIG), and the guard (run_guard.h), told
 * the job's process group by the job itself before its exec, ends the
 * whole group before it lets the lock go.
 *
 * An abort descriptor (the lock keeper's, run_lockdb.h) is watched too:
 * once it is readable the attempt is marked aborted and, with abort_kill,
 * the group is stopped as a timeout stops it (SIGTERM, SIGKILL after
 * kill-after).
 *
 * Exit status of an attempt, as the user sees it: the job's own; 128+N if it
 * died of signal N; 124 if it timed out; 125 if it was stopped on an abort
 * (the lock was lost), if --nice/--ionice could not be applied or the
 * governor could not start it at all; 127 if the command was not found
 * ("No such file or directory" for a path), 126 if it could not be executed.
 */
#ifndef BRACE_RUN_JOB_H
#define BRACE_RUN_JOB_H

#include <stdint.h>
#include <sys/types.h>

#include "run/run_output.h"

#define RUN_EXIT_TIMEOUT 124
#define RUN_EXIT_FAILED 125
#define RUN_EXIT_NOEXEC 126
#define RUN_EXIT_NOTFOUND 127

struct run_job_opts {
	char *const *argv;      /* the command, argv[0] looked up in PATH */
	int64_t timeout_ms;     /* 0 = no timeout */
	int64_t kill_after_ms;  /* SIGTERM to SIGKILL */
	int nice;               /* added to the niceness; 0 = unchanged */
	int ioprio;             /* an ioprio_set(2) value; -1 = unchanged */
	run_output *out;
	/* Descriptors are > 0 when set: 0 (stdin) or -1 mean none. */
	int guard_fd;           /* run_guard_fd() */
	int abort_fd;           /* readable: the attempt is aborted (see above) */
	int abort_kill;         /* on abort, stop the group too */
};

struct run_job_result {
	int status;             /* the exit status contract above */
	int exit_code;          /* the job's exit code; -1 if signalled or not started */
	int signal;             /* the signal that ended the job, 0 if none */
	int timed_out;
	int aborted;            /* abort_fd became readable while the job ran */
	int forwarded;          /* the last signal passed on to the job, 0 if none */
	int64_t start_ms;       /* wall clock, ms since the epoch */
	int64_t end_ms;
	int64_t duration_ms;    /* monotonic */
	pid_t pid;
};

/*
 * Remember the descriptors the governor was started with (call first thing):
 * only these are left open for the job.
 */
void run_job_note_inherited_fds(void);

/*
 * Run the job once and fill r. Returns 0 when it ran (whatever its exit
 * status), -1 + err when it could not be started (r->status is then 125, 126
 * or 127 and the caller should not retry).
 */
int run_job_run(const struct run_job_opts *o, struct run_job_result *r, char *err);

/*
 * Parse --ionice CLASS[:LEVEL]: CLASS is realtime (rt), best-effort (be),
 * idle, or 1, 2, 3; LEVEL 0 (highest) to 7, default 4; idle takes no level.
 * Writes the ioprio_set(2) value. 0 / -1 + err.
 */
int run_job_parse_ionice(const char *s, int *ioprio, char *err);

#endif
