/*
 * run_job.c - see run_job.h.
 *
 * The loop is one poll() over the signalfd and the two output pipes. A failed
 * exec is reported through a close-on-exec pipe: the parent reads EOF when
 * the exec succeeds, or the stage and errno of the failure.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "run/run_guard.h"
#include "run/run_job.h"
#include "run/run_signal.h"

#define INHERITED_MAX 256
#define READ_CHUNK (64 * 1024)
#define GROUP_POLL_MS 100
#define KILL_GRACE_MS 2000

enum stage { STAGE_SETUP, STAGE_NICE, STAGE_IONICE, STAGE_EXEC };

struct start_failure {
	int stage;
	int errnum;
};

static int inherited[INHERITED_MAX];
static int ninherited = -1;

/* Call fn(fd, arg) for each open descriptor of this process. */
static void
each_fd(void (*fn)(int fd, void *arg), void *arg)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int self;

	if (d == NULL)
		return;
	self = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end == '\0' && end != de->d_name && fd != self)
			fn((int)fd, arg);
	}
	closedir(d);
}

static void
note_fd(int fd, void *arg)
{
	(void)arg;
	if (ninherited < INHERITED_MAX)
		inherited[ninherited++] = fd;
}

void
run_job_note_inherited_fds(void)
{
	ninherited = 0;
	each_fd(note_fd, NULL);
}

static void
cloexec_fd(int fd, void *arg)
{
	int flags;

	(void)arg;
	if (fd <= 2)
		return;
	for (int i = 0; i < ninherited; i++)
		if (inherited[i] == fd)
			return;
	flags = fcntl(fd, F_GETFD);
	if (flags >= 0 && !(flags & FD_CLOEXEC))
		fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

int
run_job_parse_ionice(const char *s, int *ioprio, char *err)
{
	static const struct { const char *name; int cls; } classes[] = {
		{ "realtime", 1 }, { "rt", 1 }, { "1", 1 },
		{ "best-effort", 2 }, { "be", 2 }, { "2", 2 },
		{ "idle", 3 }, { "3", 3 },
	};
	const char *colon = strchr(s, ':');
	size_t len = colon ? (size_t)(colon - s) : strlen(s);
	int cls = -1, level = 4;

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strlen(classes[i].name) == len && strncasecmp(s, classes[i].name, len) == 0)
			cls = classes[i].cls;
	if (cls < 0) {
		err_set(err, "unknown I/O class '%.*s' (use realtime, best-effort or idle)",
		    (int)len, s);
		return -1;
	}
	if (colon != NULL) {
		if (cls == 3) {
			err_set(err, "the idle I/O class takes no level ('%s')", s);
			return -1;
		}
		if (colon[1] < '0' || colon[1] > '7' || colon[2] != '\0') {
			err_set(err, "I/O level in '%s' must be 0 (highest) to 7", s);
			return -1;
		}
		level = colon[1] - '0';
	}
	if (cls == 3)
		level = 0;
	*ioprio = cls << 13 | level;
	return 0;
}

/* In the child: report why it could not become the job, and leave. */
static void __attribute__((noreturn))
child_fail(int report_fd, int stage, int errnum)
{
	struct start_failure f = { stage, errnum };

	if (write(report_fd, &f, sizeof(f)) < 0) {
		/* nothing more can be done */
	}
	_exit(stage == STAGE_EXEC ?
	    (errnum == ENOENT ? RUN_EXIT_NOTFOUND : RUN_EXIT_NOEXEC) : RUN_EXIT_FAILED);
}

static void __attribute__((noreturn))
child_exec(const struct run_job_opts *o, pid_t governor, int out_w, int err_w,
    int report_fd)
{
	run_signal_child_reset();
	if (setpgid(0, 0) < 0)
		child_fail(report_fd, STAGE_SETUP, errno);
	/* Before anything can fail: the guard must know the group from now on. */
	if (o->guard_fd > 0)
		run_guard_announce(o->guard_fd);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != governor)
		_exit(RUN_EXIT_FAILED);	/* the governor died before we got here */
	if (dup2(out_w, STDOUT_FILENO) < 0 || dup2(err_w, STDERR_FILENO) < 0)
		child_fail(report_fd, STAGE_SETUP, errno);
	if (o->nice != 0) {
		errno = 0;
		if (nice(o->nice) == -1 && errno != 0)
			child_fail(report_fd, STAGE_NICE, errno);
	}
	if (o->ioprio >= 0 && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0,
	    o->ioprio) < 0)
		child_fail(report_fd, STAGE_IONICE, errno);
	execvp(o->argv[0], o->argv);
	child_fail(report_fd, STAGE_EXEC, errno);
}

/* What the child wrote on the report pipe: 0 when exec succeeded (EOF). */
static int
read_start_failure(int fd, struct start_failure *f)
{
	ssize_t n;

	do
		n = read(fd, f, sizeof(*f));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*f);
}

static void
describe_start_failure(const struct start_failure *f, const char *cmd, char *err)
{
	switch (f->stage) {
	case STAGE_NICE:
		err_set(err, "cannot apply --nice to %s: %s", cmd, strerror(f->errnum));
		break;
	case STAGE_IONICE:
		err_set(err, "cannot apply --ionice to %s: %s", cmd, strerror(f->errnum));
		break;
	case STAGE_EXEC:
		/* As a shell says it: a path names a file, a bare word is looked up. */
		if (f->errnum == ENOENT && strchr(cmd, '/') != NULL)
			err_set(err, "%s: No such file or directory", cmd);
		else if (f->errnum == ENOENT)
			err_set(err, "%s: command not found", cmd);
		else
			err_set(err, "cannot execute %s: %s", cmd, strerror(f->errnum));
		break;
	default:
		err_set(err, "cannot start %s: %s", cmd, strerror(f->errnum));
		break;
	}
}

struct watch {
	const struct run_job_opts *o;
	struct run_job_result *r;
	int pipes[3];           /* read ends by stream; -1 once at EOF */
	int reaped;
	int killed;             /* SIGKILL sent to the group */
	int64_t killed_at;
	int warned;             /* held output could not be stored */
	int64_t deadline;       /* monotonic ms; 0 = none */
	int64_t kill_at;        /* monotonic ms; 0 = none */
	int stopping;           /* SIGTERM sent to the group: timeout or abort */
};

/* Read what one pipe has now. Returns -1 at EOF (the pipe is closed). */
static int
pump(struct watch *w, enum run_stream s)
{
	static char chunk[READ_CHUNK];
	char err[ERR_LEN];
	ssize_t n;

	for (;;) {
		n = read(w->pipes[s], chunk, sizeof(chunk));
		if (n > 0) {
			if (run_output_add(w->o->out, s, chunk, (size_t)n, err) < 0 &&
			    !w->warned) {
				log_warn("%s; keeping only the last of the output", err);
				w->warned = 1;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		close(w->pipes[s]);
		w->pipes[s] = -1;
		return -1;
	}
}

/*
 * Collect every child that has ended: the job's first process, and the
 * orphaned grandchildren that come to us as subreaper (reaped at once, so a
 * dead process group does not linger as zombies).
 */
static void
reap(struct watch *w)
{
	int st;
	pid_t p;

	for (;;) {
		p = waitpid(-1, &st, WNOHANG);
		if (p < 0 && errno == EINTR)
			continue;
		if (p <= 0)
			return;
		if (p != w->r->pid)
			continue;
		w->reaped = 1;
		if (WIFEXITED(st)) {
			w->r->exit_code = WEXITSTATUS(st);
			w->r->status = w->r->exit_code;
		} else if (WIFSIGNALED(st)) {
			w->r->signal = WTERMSIG(st);
			w->r->status = 128 + w->r->signal;
		}
	}
}

static void
take_signals(struct watch *w)
{
	int sig;

	while ((sig = run_signal_take()) != 0) {
		if (sig == SIGCHLD) {
			reap(w);
		} else if (!w->reaped) {
			kill(-w->r->pid, sig);
			w->r->forwarded = sig;
		}
	}
}

/* Is anything of the job's process group still alive? */
static int
group_alive(pid_t pgid)
{
	return kill(-pgid, 0) == 0 || errno == EPERM;
}

static int
min_wait(int64_t now, int64_t at, int cur)
{
	int64_t d;

	if (at == 0)
		return cur;
	d = at > now ? at - now : 0;
	if (cur < 0 || d < cur)
		return (int)(d > 60000 ? 60000 : d);
	return cur;
}

/* Stop the group as a timeout does: SIGTERM now, SIGKILL after kill-after. */
static void
stop_group(struct watch *w, int64_t now)
{
	if (w->stopping)
		return;
	w->stopping = 1;
	kill(-w->r->pid, SIGTERM);
	w->kill_at = now + w->o->kill_after_ms;
}

/* One turn of the loop; returns 1 when the watch is over. */
static int
watch_step(struct watch *w)
{
	struct pollfd pfd[4];
	int64_t now = clock_mono_ms();
	int timeout = -1, n = 0, abort_at = -1;

	if (w->deadline && !w->r->timed_out && !w->r->aborted && now >= w->deadline) {
		w->r->timed_out = 1;
		stop_group(w, now);
	}
	if (w->kill_at && !w->killed && now >= w->kill_at) {
		kill(-w->r->pid, SIGKILL);
		w->killed = 1;
		w->killed_at = now;
	}
	if (w->reaped) {
		/*
		 * After a timeout, the rest of the group gets until kill-after,
		 * then a moment to die of the SIGKILL (a process stuck in the
		 * kernel may take longer; it is not waited for beyond that).
		 */
		if (!w->stopping || !group_alive(w->r->pid) ||
		    (w->killed && now - w->killed_at >= KILL_GRACE_MS))
			return 1;
		timeout = w->killed ? GROUP_POLL_MS / 10 : GROUP_POLL_MS;
	}
	if (!w->stopping)
		timeout = min_wait(now, w->deadline, timeout);
	if (!w->killed)
		timeout = min_wait(now, w->kill_at, timeout);

	pfd[n].fd = run_signal_fd();
	pfd[n++].events = POLLIN;
	for (int s = RUN_STDOUT; s <= RUN_STDERR; s++) {
		if (w->pipes[s] >= 0) {
			pfd[n].fd = w->pipes[s];
			pfd[n++].events = POLLIN;
		}
	}
	if (w->o->abort_fd > 0 && !w->r->aborted && !w->reaped) {
		abort_at = n;
		pfd[n].fd = w->o->abort_fd;
		pfd[n++].events = POLLIN;
	}
	if (poll(pfd, (nfds_t)n, timeout) <= 0)
		return 0;
	for (int s = RUN_STDOUT; s <= RUN_STDERR; s++)
		if (w->pipes[s] >= 0)
			pump(w, s);
	if (abort_at >= 0 && pfd[abort_at].revents != 0) {
		w->r->aborted = 1;
		if (w->o->abort_kill)
			stop_group(w, clock_mono_ms());
	}
	take_signals(w);
	return 0;
}

static void
close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
}

int
run_job_run(const struct run_job_opts *o, struct run_job_result *r, char *err)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, rep[2] = { -1, -1 };
	struct watch w = { .o = o, .r = r };
	struct start_failure f;
	int64_t mono0;
	pid_t governor = getpid();

	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
	r->status = RUN_EXIT_FAILED;
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    pipe2(rep, O_CLOEXEC) < 0) {
		err_set(err, "cannot create a pipe: %s", strerror(errno));
		goto fail;
	}
	if (ninherited >= 0)
		each_fd(cloexec_fd, NULL);
	/* Orphaned grandchildren come to us, so we can tell when the group is gone. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	fflush(NULL);
	r->start_ms = clock_now_ms();
	mono0 = clock_mono_ms();
	if ((r->pid = fork()) < 0) {
		err_set(err, "cannot fork: %s", strerror(errno));
		goto fail;
	}
	if (r->pid == 0)
		child_exec(o, governor, outp[1], errp[1], rep[1]);
	/* Both sides set the group, so a signal sent right now already reaches it. */
	setpgid(r->pid, r->pid);
	close(outp[1]);
	close(errp[1]);
	close(rep[1]);
	outp[1] = errp[1] = rep[1] = -1;

	if (read_start_failure(rep[0], &f)) {
		describe_start_failure(&f, o->argv[0], err);
		while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
			;
		/* Drop the SIGCHLD of this child: it must not confuse a later watch. */
		while (run_signal_take() != 0)
			;
		r->status = f.stage == STAGE_EXEC ?
		    (f.errnum == ENOENT ? RUN_EXIT_NOTFOUND : RUN_EXIT_NOEXEC) : RUN_EXIT_FAILED;
		r->end_ms = clock_now_ms();
		goto fail;
	}
	close(rep[0]);
	rep[0] = -1;

	w.pipes[RUN_STDOUT] = outp[0];
	w.pipes[RUN_STDERR] = errp[0];
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	if (o->timeout_ms > 0)
		w.deadline = mono0 + o->timeout_ms;
	/* The SIGCHLD may already be pending; checking once avoids waiting for it. */
	reap(&w);
	while (!watch_step(&w))
		;
	/*
	 * Take what is in the pipes now, and stop there: a daemon the job left
	 * behind may hold them open for ever.
	 */
	for (int s = RUN_STDOUT; s <= RUN_STDERR; s++) {
		if (w.pipes[s] >= 0 && pump(&w, s) == 0)
			close(w.pipes[s]);
	}
	if (r->timed_out)
		r->status = RUN_EXIT_TIMEOUT;
	else if (r->aborted && o->abort_kill)
		r->status = RUN_EXIT_FAILED;
	r->end_ms = clock_now_ms();
	r->duration_ms = clock_mono_ms() - mono0;
	return 0;
fail:
	close_pair(outp);
	close_pair(errp);
	close_pair(rep);
	return -1;
}
