/*
 * run.c - `brace run`: wrap a cron job so that it never overlaps itself,
 * spreads and paces its starts, waits while the machine or the database is
 * overloaded, cannot outlive its timeout, and leaves a history.
 *
 * This file is the command: options, and the order of things. The parts
 * live next to it: run_lock (no overlap), run_gate (load and database
 * headroom), run_job (process group, timeout, signals), run_output (pass
 * through or hold, tail), run_ping (heartbeats), run_history (the journal).
 *
 *   jitter -> lock -> min-interval -> gates -> ping start -> job [-> retry]
 *   -> record -> ping success/fail -> replay held output on failure
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "core/buf.h"
#include "core/cli.h"
#include "core/cmdline.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "core/journal.h"
#include "core/log.h"
#include "core/term.h"
#include "core/units.h"
#include "run/run_backoff.h"
#include "run/run_gate.h"
#include "run/run_guard.h"
#include "run/run_history.h"
#include "run/run_job.h"
#include "run/run_lock.h"
#include "run/run_lockdb.h"
#include "run/run_output.h"
#include "run/run_ping.h"
#include "run/run_signal.h"

#define EXIT_GATE 75            /* EX_TEMPFAIL */
#define RETRY_DELAY_CAP_MS (3600 * 1000LL)
#define LOCK_POLL_FIRST_MS 50
#define LOCK_POLL_MAX_MS 1000
#define GATE_FIRST_DELAY_MS 1000
#define GATE_MAX_DELAY_MS 60000
#define HISTORY_DEFAULT_LIMIT 100

static const char run_usage[] =
    "usage: brace run [OPTIONS] -- COMMAND [ARGS...]\n"
    "       brace run --history [NAME] [--json] [--limit N] [--since T]\n"
    "\n"
    "Run a cron job under a governor: no overlapping runs, jitter, gates on load\n"
    "and database headroom, a timeout that kills the whole job, retries, a\n"
    "monitoring heartbeat, and a history in the journal.\n"
    "\n"
    "No overlap:\n"
    "  --lock NAME            run only if no other run holds lock NAME (flock on\n"
    "                         a file; released by the kernel however brace dies)\n"
    "  --wait DUR             wait up to DUR for the lock instead of skipping\n"
    "  --max-concurrent N     allow N runs holding NAME at once (default 1)\n"
    "  --busy-exit N          exit status when skipped for a busy lock (default 0)\n"
    "  --lock-dir DIR         lock files' directory; default $BRACE_LOCK_DIR, else\n"
    "                         /run/brace/locks (root), $XDG_RUNTIME_DIR/brace/locks,\n"
    "                         /tmp/brace-UID/locks\n"
    "  --lock-db URL          take lock NAME in this database instead (an advisory\n"
    "                         lock: one run across every machine sharing it). The\n"
    "                         session is kept alive (idle timeouts raised, a\n"
    "                         heartbeat every 3s) and watched while the job runs\n"
    "  --on-lock-lost kill|warn\n"
    "                         when that session is lost (server restart, network\n"
    "                         cut) another machine can take the lock: kill (the\n"
    "                         default) stops the job as --timeout does, exit 125;\n"
    "                         warn lets it finish. Either way an error is logged\n"
    "                         and recorded (lock_lost)\n"
    "Spreading and pacing:\n"
    "  --jitter DUR           sleep a random time between 0 and DUR first\n"
    "  --min-interval DUR     skip if the last successful run started less than\n"
    "                         DUR ago (read from the journal)\n"
    "Gates (wait with exponential backoff and jitter while closed):\n"
    "  --max-load L           while the 1-minute load average is above L\n"
    "  --db URL --db-max-used N|N%\n"
    "                         while more than N connections (or N% of the usable\n"
    "                         ones) are in use, counted as brace conns does\n"
    "  --gate-timeout DUR     then give up: exit 75, recorded (default 10m); every\n"
    "                         database call is bounded by it, and by 5s\n"
    "  --gate-unreachable skip|run\n"
    "                         a database that cannot be reached (refused, timed\n"
    "                         out, unknown host): skip (the default) counts it as\n"
    "                         a closed gate (wait, then exit 75); run fails open:\n"
    "                         the job runs at once, with a warning and a journal\n"
    "                         event (gate_failed_open)\n"
    "Timeouts and signals:\n"
    "  --timeout DUR          SIGTERM the job's process group after DUR, exit 124\n"
    "  --kill-after DUR       SIGKILL the group DUR after that (default 10s)\n"
    "                         SIGTERM, SIGINT and SIGHUP are passed on to the job.\n"
    "                         If brace run itself is killed (kill -9, OOM), a guard\n"
    "                         process stops the job's group the same way and holds\n"
    "                         the lock until none of it is left: never two runs\n"
    "Resource manners:\n"
    "  --nice N               add N to the job's niceness\n"
    "  --ionice CLASS[:LEVEL] I/O class: realtime, best-effort or idle; level 0-7\n"
    "Output:\n"
    "  -q, --quiet            hold the job's output; print it only if the job fails\n"
    "                         or times out (as chronic does); nothing on success\n"
    "Retries:\n"
    "  --retries N            run again up to N times after a failing exit status\n"
    "  --retry-delay DUR      first delay between attempts, doubling, with jitter\n"
    "                         (default 10s)\n"
    "  --retry-on-timeout     retry after a timeout too\n"
    "Heartbeat:\n"
    "  --ping URL             report to URL/start, URL (success), URL/fail\n"
    "                         (Healthchecks.io style)\n"
    "  --ping-timeout DUR     limit for each report (default 5s); a dead endpoint\n"
    "                         never fails the job. The URL's path and password\n"
    "                         are shown as *** in messages and in ps(1)\n"
    "History:\n"
    "  --name NAME            the job's name in the journal (default: the lock\n"
    "                         name, else the command's file name)\n"
    "  --journal PATH         the journal file (see brace journal --help)\n"
    "  --history [NAME]       list runs, skips and gate timeouts (all jobs, or NAME)\n"
    "  --json                 with --history: JSON Lines, with the output tails\n"
    "  --limit N              with --history: the newest N entries (default 100)\n"
    "  --since T              with --history: from time T (e.g. 2h, 2026-11-27)\n"
    "  --color WHEN           with --history: auto, always or never (default auto:\n"
    "                         colour on a terminal, unless NO_COLOR is set or TERM\n"
    "                         is dumb)\n"
    "Other:\n"
    "  -v, --verbose          say what the governor does (waits, skips)\n"
    "  -h, --help             show this help\n"
    "  --version              print the version\n"
    "\n"
    "Options end at the first word that is not one (or at --): what follows is\n"
    "the job's own command line, --help and --version included.\n"
    "\n"
    "Durations: 500ms, 30s, 5m, 1h, 2d. Those that wait long (--wait, --jitter,\n"
    "--min-interval, --gate-timeout, --retry-delay) need a unit: a bare number is\n"
    "refused rather than read as seconds; --timeout, --kill-after and\n"
    "--ping-timeout read a bare number as seconds, as timeout(1) does.\n"
    "\n"
    "Database URLs: postgresql://USER[:PASSWORD]@HOST[:PORT]/DB, mysql://...,\n"
    "mariadb://...; passwords are hidden from ps(1) and never printed. libpq's\n"
    "PG* variables and ~/.pgpass apply to what a PostgreSQL URL leaves out.\n"
    "\n"
    "Exit status: the job's own; 128+N if it died of signal N; 124 if it timed\n"
    "out; 75 if a gate kept it from running; 0 (or --busy-exit) if another run\n"
    "held the lock; 0 if skipped by --min-interval; 125 if brace run itself\n"
    "failed (a usage error included, as for timeout(1) and env(1), so that it is\n"
    "never mistaken for the job's own status; or the lock was lost); 126 if\n"
    "COMMAND cannot be executed, 127 if it is not found.\n"
    "\n"
    "Example crontab line (one line; in a crontab, % is written \\%):\n"
    "  * * * * * brace run --lock invsync --timeout 50s -q -- /usr/local/bin/invsync\n";

enum {
	OPT_LOCK = 256, OPT_WAIT, OPT_MAX_CONCURRENT, OPT_BUSY_EXIT, OPT_LOCK_DIR,
	OPT_JITTER, OPT_MIN_INTERVAL, OPT_MAX_LOAD, OPT_GATE_TIMEOUT, OPT_TIMEOUT,
	OPT_KILL_AFTER, OPT_NICE, OPT_IONICE, OPT_RETRIES, OPT_RETRY_DELAY,
	OPT_RETRY_ON_TIMEOUT, OPT_PING, OPT_PING_TIMEOUT, OPT_NAME, OPT_JOURNAL,
	OPT_HISTORY, OPT_JSON, OPT_LIMIT, OPT_SINCE, OPT_DB, OPT_DB_MAX_USED, OPT_LOCK_DB,
	OPT_ON_LOCK_LOST, OPT_GATE_UNREACHABLE,
};

static const struct option run_opts[] = {
	{ "lock", required_argument, NULL, OPT_LOCK },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "max-concurrent", required_argument, NULL, OPT_MAX_CONCURRENT },
	{ "busy-exit", required_argument, NULL, OPT_BUSY_EXIT },
	{ "lock-dir", required_argument, NULL, OPT_LOCK_DIR },
	{ "lock-db", required_argument, NULL, OPT_LOCK_DB },
	{ "on-lock-lost", required_argument, NULL, OPT_ON_LOCK_LOST },
	{ "gate-unreachable", required_argument, NULL, OPT_GATE_UNREACHABLE },
	{ "db", required_argument, NULL, OPT_DB },
	{ "db-max-used", required_argument, NULL, OPT_DB_MAX_USED },
	{ "jitter", required_argument, NULL, OPT_JITTER },
	{ "min-interval", required_argument, NULL, OPT_MIN_INTERVAL },
	{ "max-load", required_argument, NULL, OPT_MAX_LOAD },
	{ "gate-timeout", required_argument, NULL, OPT_GATE_TIMEOUT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "kill-after", required_argument, NULL, OPT_KILL_AFTER },
	{ "nice", required_argument, NULL, OPT_NICE },
	{ "ionice", required_argument, NULL, OPT_IONICE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "retry-delay", required_argument, NULL, OPT_RETRY_DELAY },
	{ "retry-on-timeout", no_argument, NULL, OPT_RETRY_ON_TIMEOUT },
	{ "ping", required_argument, NULL, OPT_PING },
	{ "ping-timeout", required_argument, NULL, OPT_PING_TIMEOUT },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "journal", required_argument, NULL, OPT_JOURNAL },
	{ "history", no_argument, NULL, OPT_HISTORY },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	CLI_COLOR_OPTION,
	CLI_VERSION_OPTION,
	{ NULL, 0, NULL, 0 },
};

struct run_args {
	const char *name, *lock, *lock_dir, *journal, *ping;
	int64_t wait_ms, jitter_ms, min_interval_ms, timeout_ms, kill_after_ms;
	int64_t retry_delay_ms, ping_timeout_ms;
	int has_wait, max_concurrent, busy_exit, nice, ioprio, quiet, retries;
	int retry_on_timeout, verbose;
	int lock_lost_warn;     /* --on-lock-lost warn */
	struct run_gate gate;
	struct db_url db, lock_db;      /* kind 0 when not given */
	const char *db_max_used;
	int history, json, color_given;
	enum term_color color;
	int64_t limit, since_ms;
	char **argv;            /* the command */
};

struct held_lock {
	struct run_lock file;
	struct run_lockdb db;
	pid_t holder;           /* who holds a busy lock file, if known */
};

/* What one invocation has done so far, for its journal records. */
struct governor {
	struct run_args *a;
	journal *j;
	run_output *out;
	int64_t jitter_ms;
	int64_t waited_ms;
	int attempt;
	int sig;                /* a signal that stopped the governor before the job */
	char why[ERR_LEN];      /* why the lock database was unavailable */
	int failed;             /* the attempts ended in failure ... */
	char failure[ERR_LEN + 32];     /* ... described here */
	struct run_guard guard;
	struct held_lock *lk;
};

static double
parse_load(const char *val)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(val, &end);
	if (end == val || *end != '\0' || errno != 0 || !(v >= 0) || v > 1e6)
		cli_usage_error("--max-load: '%s' is not a load average (e.g. 4 or 2.5)", val);
	return v;
}

/* From the next cmdline_publish() on, ps(1) shows val in its redacted form. */
static void
hide_arg(const char *val, void (*redact)(const char *text, char *out, size_t n))
{
	char shown[DB_URL_MAX];

	redact(val, shown, sizeof(shown));
	cmdline_hide(val, shown);
}

/*
 * Parse a database URL, then hide its password in the command line so that
 * ps(1) does not show it for as long as the job runs.
 */
static void
parse_url(const char *opt, char *val, struct db_url *u)
{
	char err[ERR_LEN];

	if (u->kind != 0)
		cli_usage_error("%s given twice", opt);
	if (db_url_parse(val, u, err) < 0)
		cli_usage_error("%s: %s", opt, err);
	hide_arg(val, db_redact);
}

/* Parse options from argv[first] on (first = 0: from the start). */
static void
parse_args(int argc, char **argv, struct run_args *a, int first)
{
	char err[ERR_LEN];
	int c;

	optind = first;
	while ((c = getopt_long(argc, argv, "+qvh", run_opts, NULL)) != -1) {
		switch (c) {
		case OPT_LOCK: a->lock = optarg; break;
		case OPT_WAIT:
			a->wait_ms = cli_duration_unit("--wait", optarg);
			a->has_wait = 1;
			break;
		case OPT_MAX_CONCURRENT:
			a->max_concurrent = (int)cli_long("--max-concurrent", optarg, 1,
			    RUN_LOCK_SLOTS_MAX);
			break;
		case OPT_BUSY_EXIT:
			a->busy_exit = (int)cli_long("--busy-exit", optarg, 0, 255);
			break;
		case OPT_LOCK_DIR: a->lock_dir = optarg; break;
		case OPT_LOCK_DB: parse_url("--lock-db", optarg, &a->lock_db); break;
		case OPT_DB: parse_url("--db", optarg, &a->db); break;
		case OPT_DB_MAX_USED: a->db_max_used = optarg; break;
		case OPT_JITTER: a->jitter_ms = cli_duration_unit("--jitter", optarg); break;
		case OPT_MIN_INTERVAL:
			a->min_interval_ms = cli_duration_unit("--min-interval", optarg);
			break;
		case OPT_MAX_LOAD: a->gate.max_load = parse_load(optarg); break;
		case OPT_GATE_TIMEOUT:
			a->gate.timeout_ms = cli_duration_unit("--gate-timeout", optarg);
			break;
		case OPT_TIMEOUT: a->timeout_ms = cli_duration("--timeout", optarg); break;
		case OPT_KILL_AFTER: a->kill_after_ms = cli_duration("--kill-after", optarg); break;
		case OPT_NICE: a->nice = (int)cli_long("--nice", optarg, -39, 39); break;
		case OPT_IONICE:
			if (run_job_parse_ionice(optarg, &a->ioprio, err) < 0)
				cli_usage_error("--ionice: %s", err);
			break;
		case 'q': a->quiet = 1; break;
		case OPT_RETRIES: a->retries = (int)cli_long("--retries", optarg, 0, 100); break;
		case OPT_RETRY_DELAY:
			a->retry_delay_ms = cli_duration_unit("--retry-delay", optarg);
			break;
		case OPT_RETRY_ON_TIMEOUT: a->retry_on_timeout = 1; break;
		case OPT_PING:
			a->ping = optarg;
			hide_arg(optarg, run_ping_redact);
			break;
		case OPT_ON_LOCK_LOST:
			if (strcmp(optarg, "kill") != 0 && strcmp(optarg, "warn") != 0)
				cli_usage_error("--on-lock-lost: '%s' is not kill or warn", optarg);
			a->lock_lost_warn = strcmp(optarg, "warn") == 0;
			break;
		case OPT_GATE_UNREACHABLE:
			if (run_gate_parse_unreachable(optarg, &a->gate.unreachable) < 0)
				cli_usage_error("--gate-unreachable: '%s' is not skip or run", optarg);
			break;
		case OPT_PING_TIMEOUT:
			a->ping_timeout_ms = cli_duration("--ping-timeout", optarg);
			if (a->ping_timeout_ms <= 0)
				cli_usage_error("--ping-timeout: must be more than 0");
			break;
		case OPT_NAME: a->name = optarg; break;
		case OPT_JOURNAL: a->journal = optarg; break;
		case OPT_HISTORY: a->history = 1; break;
		case OPT_JSON: a->json = 1; break;
		case OPT_LIMIT: a->limit = cli_long("--limit", optarg, 0, 1000000000); break;
		case OPT_SINCE:
			if (clock_parse(optarg, clock_now_ms(), &a->since_ms, err) < 0)
				cli_usage_error("--since: %s", err);
			break;
		case 'v': a->verbose = 1; break;
		case CLI_OPT_COLOR:
			a->color = cli_color(optarg);
			a->color_given = 1;
			break;
		case 'h': cli_print_help(run_usage);
		case CLI_OPT_VERSION: cli_print_version();
		default: cli_try_help();
		}
	}
}

/* Checks that need all options at once. */
static void
check_args(struct run_args *a, int argc, char **argv)
{
	char err[ERR_LEN];

	if (a->history) {
		/* Options may follow the NAME: brace run --history invsync --json */
		while (optind < argc) {
			if (a->name != NULL)
				cli_usage_error("--history takes at most one NAME");
			a->name = argv[optind++];
			parse_args(argc, argv, a, optind);
		}
		return;
	}
	if (a->json || a->since_ms || a->limit != HISTORY_DEFAULT_LIMIT || a->color_given)
		cli_usage_error("--json, --limit, --since and --color go with --history");
	if (optind >= argc)
		cli_usage_error("missing COMMAND (brace run [OPTIONS] -- COMMAND [ARGS...])");
	a->argv = argv + optind;
	if (a->lock != NULL && run_lock_check_name(a->lock, err) < 0)
		cli_usage_error("--lock: %s", err);
	if (a->lock == NULL && (a->has_wait || a->max_concurrent > 1 || a->lock_db.kind != 0))
		cli_usage_error("--wait, --max-concurrent and --lock-db need --lock NAME");
	if ((a->db.kind != 0) != (a->db_max_used != NULL))
		cli_usage_error("--db URL and --db-max-used N|N%% go together");
	if (a->db_max_used != NULL) {
		if (db_threshold_parse(a->db_max_used, 0, &a->gate.db_max_used, err) < 0)
			cli_usage_error("--db-max-used: %s", err);
		a->gate.db = &a->db;
	}
	if (a->name == NULL)
		a->name = a->lock;
	if (a->name == NULL) {
		const char *slash = strrchr(a->argv[0], '/');

		a->name = slash ? slash + 1 : a->argv[0];
	}
	if (strlen(a->name) > RUN_LOCK_NAME_MAX || a->name[0] == '\0')
		cli_usage_error("--name: the job name must be 1 to %d characters",
		    RUN_LOCK_NAME_MAX);
}

/* cron may start us with a standard descriptor closed; give it /dev/null. */
static void
ensure_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", O_RDWR);

			if (n >= 0 && n != fd)
				close(n);
		}
	}
}

static void
base_record(const struct governor *g, struct run_record *rec, const char *kind)
{
	memset(rec, 0, sizeof(*rec));
	rec->name = g->a->name;
	rec->kind = kind;
	rec->argv = g->a->argv;
	rec->exit_code = -1;
	rec->attempt = g->attempt;
	rec->attempts = g->a->retries + 1;
	rec->jitter_ms = g->jitter_ms;
	rec->waited_ms = g->waited_ms;
}

/* Record a run that did not happen, and return the exit status for it. */
static int
not_run(struct governor *g, const char *kind, const char *reason, int status,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
not_run(struct governor *g, const char *kind, const char *reason, int status,
    const char *fmt, ...)
{
	struct run_record rec;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	base_record(g, &rec, kind);
	rec.reason = reason;
	rec.message = msg;
	rec.status = status;
	run_history_record(g->j, &rec);
	return status;
}

static int
interrupted(struct governor *g, int sig, const char *before)
{
	const char *abbrev = sigabbrev_np(sig);

	log_notice("stopped by SIG%s %s", abbrev ? abbrev : "?", before);
	return not_run(g, RUN_EV_SKIP, "interrupted", 128 + sig, "not run: stopped by SIG%s %s",
	    abbrev ? abbrev : "?", before);
}

enum lock_result { LOCK_TAKEN, LOCK_BUSY, LOCK_SIGNAL, LOCK_ERROR, LOCK_UNAVAILABLE };


/*
 * One try at the lock, in a file or in the database: 1 taken, 0 busy, -1 a
 * failure of the lock file (LOCK_ERROR), -2 a failure to ask the database
 * (worth trying again), -3 a database that will not let us in.
 */
static int
try_lock(struct governor *g, const char *dir, int64_t deadline, struct held_lock *lk,
    char *err)
{
	struct run_args *a = g->a;
	enum db_failure why;
	int rc;

	if (a->lock_db.kind == 0)
		return run_lock_try(dir, a->lock, a->max_concurrent, &lk->file, &lk->holder, err);
	rc = run_lockdb_try(&lk->db, &a->lock_db, a->lock, a->max_concurrent, deadline,
	    run_signal_stop_fd(), &why, err);
	if (rc >= 0)
		return rc;
	err_prefix(err, "--lock-db %s", db_failure_name(why));
	return why == DB_FAIL_AUTH || why == DB_FAIL_BAD_URL ? -3 : -2;
}

/*
 * Take the lock, waiting up to --wait while it is busy. A lock database
 * that cannot be reached is tried again, with backoff, for up to
 * --gate-timeout: like a closed gate, it keeps the job from running.
 */
static enum lock_result
take_lock(struct governor *g, struct held_lock *lk)
{
	struct run_args *a = g->a;
	char dir[4096] = "", err[ERR_LEN], d[32];
	int64_t t0 = clock_mono_ms(), left, delay;
	int rc, busy = 0, failed = 0, sig;

	if (a->lock_db.kind == 0 && run_lock_dir(a->lock_dir, dir, sizeof(dir), err) < 0) {
		log_error("%s", err);
		return LOCK_ERROR;
	}
	for (;;) {
		rc = try_lock(g, dir, t0 + a->gate.timeout_ms, lk, err);
		g->waited_ms = clock_mono_ms() - t0;
		if (rc == 1)
			return LOCK_TAKEN;
		/* A database call given up for SIGTERM, SIGINT or SIGHUP. */
		if (rc < -1 && (sig = run_signal_take_stop()) != 0) {
			g->sig = sig;
			return LOCK_SIGNAL;
		}
		if (rc == -1) {
			log_error("%s", err);
			return LOCK_ERROR;
		}
		if (rc < 0) {
			left = t0 + a->gate.timeout_ms - clock_mono_ms();
			if (rc == -3 || left <= 0) {
				log_warn("not running %s: %s", a->name, err);
				snprintf(g->why, sizeof(g->why), "%s", err);
				return LOCK_UNAVAILABLE;
			}
			delay = run_backoff_delay(a->gate.first_delay_ms, ++failed,
			    a->gate.max_delay_ms);
			units_fmt_duration(delay < left ? delay : left, d, sizeof(d));
			log_info("%s; trying again in %s", err, d);
		} else {
			left = t0 + a->wait_ms - clock_mono_ms();
			if (!a->has_wait || left <= 0)
				return LOCK_BUSY;
			if (busy++ == 0) {
				units_fmt_duration(a->wait_ms, d, sizeof(d));
				log_info("waiting up to %s for lock %s", d, a->lock);
			}
			delay = run_backoff_delay(LOCK_POLL_FIRST_MS, busy, LOCK_POLL_MAX_MS);
		}
		if ((sig = run_signal_sleep(delay < left ? delay : left)) != 0) {
			g->sig = sig;
			return LOCK_SIGNAL;
		}
	}
}

static void
release_lock(struct governor *g, struct held_lock *lk)
{
	run_lock_release(&lk->file);
	run_lockdb_release(&lk->db, g->a->lock);
}

static int
min_interval_skip(struct governor *g)
{
	char err[ERR_LEN], ago[32], iv[32];
	int64_t last, now = clock_now_ms();
	int rc;

	if (g->a->min_interval_ms <= 0)
		return 0;
	if (g->j == NULL) {
		log_warn("no journal: cannot check --min-interval; running");
		return 0;
	}
	rc = run_history_last_ok(g->j, g->a->name, now - g->a->min_interval_ms, &last, err);
	if (rc < 0) {
		log_warn("%s: cannot check --min-interval; running", err);
		return 0;
	}
	if (rc == 0)
		return 0;
	units_fmt_duration(now - last, ago, sizeof(ago));
	units_fmt_duration(g->a->min_interval_ms, iv, sizeof(iv));
	log_info("skipped: the last successful run started %s ago (--min-interval %s)", ago, iv);
	not_run(g, RUN_EV_SKIP, "min-interval", 0,
	    "skipped: the last successful run started %s ago (--min-interval %s)", ago, iv);
	return 1;
}

/* Wait at the gates; returns -1 when they opened, else the exit status. */
static int
pass_gates(struct governor *g)
{
	char why[RUN_GATE_WHY_LEN], d[32];
	int64_t waited = 0;
	int sig;

	if (!run_gate_enabled(&g->a->gate))
		return -1;
	switch (run_gate_wait(&g->a->gate, &waited, &sig, why)) {
	case RUN_GATE_OPEN:
		g->waited_ms += waited;
		return -1;
	case RUN_GATE_OPEN_UNREACHABLE:
		g->waited_ms += waited;
		log_warn("%s; running %s anyway (--gate-unreachable run)", why, g->a->name);
		not_run(g, RUN_EV_GATE_OPEN, "gate-unreachable", 0,
		    "gate failed open: %s; running anyway (--gate-unreachable run)", why);
		return -1;
	case RUN_GATE_SIGNAL:
		g->waited_ms += waited;
		return interrupted(g, sig, "while waiting at a gate");
	case RUN_GATE_BROKEN:
		g->waited_ms += waited;
		log_warn("not running %s: %s", g->a->name, why);
		return not_run(g, RUN_EV_GATE, "gate-error", EXIT_GATE, "not run: %s", why);
	case RUN_GATE_TIMEOUT:
		break;
	}
	g->waited_ms += waited;
	units_fmt_duration(waited, d, sizeof(d));
	log_warn("not running %s: %s after waiting %s", g->a->name, why, d);
	return not_run(g, RUN_EV_GATE, "gate", EXIT_GATE, "not run: %s after waiting %s",
	    why, d);
}

static void
ping(struct governor *g, enum run_ping_kind kind, int status, const char *what)
{
	struct buf body = BUF_INIT(RUN_PING_BODY_MAX);
	char err[ERR_LEN];
	size_t room;

	if (g->a->ping == NULL)
		return;
	if (kind != RUN_PING_START) {
		struct buf tail = BUF_INIT(RUN_OUTPUT_TAIL);

		buf_printf(&body, "%s: exit status %d%s%s\n", g->a->name, status,
		    what ? ", " : "", what ? what : "");
		run_output_tail(g->out, &tail);
		room = body.max - body.len;
		buf_append(&body, tail.data + (tail.len > room ? tail.len - room : 0),
		    tail.len > room ? room : tail.len);
		buf_release(&tail);
	}
	if (run_ping_send(g->a->ping, kind, body.data, body.len, g->a->ping_timeout_ms, err) < 0) {
		/* A dead endpoint fails start, retries and the end alike: say it once a minute. */
		static struct log_limit dead = LOG_LIMIT_INIT;

		log_limited(&dead, LOG_LVL_WARN, "%s (the job is not affected)", err);
	}
	buf_release(&body);
}

/* Describe an attempt's end for people: "exited 3 after 1.2s". */
static void
describe(const struct run_job_result *r, const struct run_args *a, char *out, size_t n)
{
	char dur[32], lim[32];
	const char *abbrev = r->signal ? sigabbrev_np(r->signal) : NULL;

	units_fmt_duration(r->duration_ms, dur, sizeof(dur));
	if (r->aborted && !a->lock_lost_warn) {
		snprintf(out, n, "stopped after %s: the lock was lost (--on-lock-lost kill)", dur);
	} else if (r->timed_out) {
		units_fmt_duration(a->timeout_ms, lim, sizeof(lim));
		snprintf(out, n, "timed out after %s (--timeout %s), killed", dur, lim);
	} else if (r->signal) {
		snprintf(out, n, "killed by SIG%s after %s%s", abbrev ? abbrev : "?", dur,
		    r->forwarded ? " (passed on by brace run)" : "");
	} else {
		snprintf(out, n, "exited %d after %s", r->exit_code, dur);
	}
}

static void
record_attempt(struct governor *g, const struct run_job_result *r, const char *start_err)
{
	struct buf tail = BUF_INIT(RUN_OUTPUT_TAIL);
	struct run_record rec;
	char msg[ERR_LEN + 32];

	base_record(g, &rec, r->status == 0 ? RUN_EV_OK :
	    r->timed_out ? RUN_EV_TIMEOUT : RUN_EV_FAILED);
	if (start_err != NULL) {
		snprintf(msg, sizeof(msg), "could not start: %s", start_err);
		rec.reason = "start";
	} else {
		describe(r, g->a, msg, sizeof(msg));
		rec.reason = r->aborted && !g->a->lock_lost_warn ? "lock-lost" :
		    r->timed_out ? "timeout" : r->signal ? "signal" : r->status ? "exit" : NULL;
	}
	run_output_tail(g->out, &tail);
	rec.message = msg;
	rec.start_ms = r->start_ms;
	rec.end_ms = r->end_ms;
	rec.duration_ms = r->duration_ms;
	rec.status = r->status;
	rec.exit_code = r->exit_code;
	rec.signal = r->signal;
	rec.pid = r->pid;
	rec.output = tail.data;
	rec.output_len = tail.len;
	rec.output_total = run_output_total(g->out);
	run_history_record(g->j, &rec);
	buf_release(&tail);
}

static int
should_retry(const struct governor *g, const struct run_job_result *r)
{
	if (r->status == 0 || r->forwarded || g->attempt > g->a->retries ||
	    run_lockdb_is_lost(&g->lk->db))
		return 0;
	return !r->timed_out || g->a->retry_on_timeout;
}

/*
 * Run the attempts; returns the exit status. On a failure of any kind (the
 * last attempt failed, a gate stayed closed before a retry, a signal came
 * during the retry delay) g->failure says what, for finish().
 */
static int
attempts(struct governor *g)
{
	struct run_args *a = g->a;
	struct run_job_opts jo = {
		.argv = a->argv, .timeout_ms = a->timeout_ms, .kill_after_ms = a->kill_after_ms,
		.nice = a->nice, .ioprio = a->ioprio, .out = g->out,
		.guard_fd = run_guard_fd(&g->guard), .abort_fd = run_lockdb_lost_fd(&g->lk->db),
		.abort_kill = !a->lock_lost_warn,
	};
	struct run_job_result r;
	char err[ERR_LEN], d[32], *what = g->failure;
	size_t wsize = sizeof(g->failure);
	int64_t delay;
	int rc, sig, status;

	for (g->attempt = 1;; g->attempt++) {
		if ((status = pass_gates(g)) >= 0) {
			snprintf(what, wsize, "not run: a gate stayed closed");
			goto failed;
		}
		if (g->attempt == 1)
			ping(g, RUN_PING_START, 0, NULL);
		run_output_reset(g->out);
		rc = run_job_run(&jo, &r, err);
		run_guard_ended(&g->guard, r.pid);
		if (rc < 0)
			log_error("%s", err);
		record_attempt(g, &r, rc < 0 ? err : NULL);
		g->waited_ms = 0;
		if (rc < 0) {
			snprintf(what, wsize, "could not start: %s", err);
			status = r.status;
			goto failed;
		}
		if (r.status == 0)
			return 0;
		describe(&r, a, what, wsize);
		status = r.status;
		if (r.timed_out || (r.signal && !r.forwarded) || (r.aborted && jo.abort_kill))
			log_warn("%s %s", a->name, what);
		else
			log_info("%s %s", a->name, what);
		if (!should_retry(g, &r))
			goto failed;
		delay = run_backoff_delay(a->retry_delay_ms, g->attempt,
		    a->retry_delay_ms > RETRY_DELAY_CAP_MS ? a->retry_delay_ms : RETRY_DELAY_CAP_MS);
		units_fmt_duration(delay, d, sizeof(d));
		log_notice("attempt %d of %d: %s; retrying in %s", g->attempt, a->retries + 1,
		    what, d);
		if ((sig = run_signal_sleep(delay)) != 0) {
			g->attempt++;
			status = interrupted(g, sig, "before a retry");
			goto failed;
		}
	}
failed:
	g->failed = 1;
	return status;
}

/*
 * After the job, with the lock already released: the held output if it
 * failed (--quiet), then the heartbeat.
 */
static void
finish(struct governor *g, int status)
{
	char err[ERR_LEN];

	if (!g->failed) {
		ping(g, RUN_PING_SUCCESS, 0, NULL);
		return;
	}
	if (g->a->quiet && run_output_replay(g->out, err) < 0)
		log_error("%s", err);
	ping(g, RUN_PING_FAIL, status, g->failure);
}

/*
 * The keeper found the lock's database session dead (from its thread): say
 * so and record it now, while the job may still be running. Stopping the job
 * is the watch's part (run_job.h), through the keeper's descriptor.
 */
static void
lock_lost(void *arg, const char *why)
{
	struct governor *g = arg;
	struct run_record rec;
	char msg[ERR_LEN + 160];

	snprintf(msg, sizeof(msg), "lock %s lost: the database session holding it ended (%s); "
	    "another run may take it: %s", g->a->lock, why, g->a->lock_lost_warn ?
	    "the job goes on (--on-lock-lost warn)" : "stopping the job (--on-lock-lost kill)");
	log_error("%s", msg);
	base_record(g, &rec, RUN_EV_LOCK_LOST);
	rec.reason = "lock-lost";
	rec.message = msg;
	rec.status = g->a->lock_lost_warn ? 0 : RUN_EXIT_FAILED;
	run_history_record(g->j, &rec);
}

/*
 * Before the first attempt: the guard (a fork, so before any thread of
 * ours), which keeps the lock's descriptors; then the keeper of a database
 * lock. Failing either only weakens the guarantees, with a warning.
 */
static void
start_watchers(struct governor *g, struct held_lock *lk)
{
	int keep[2] = { lk->file.fd, lk->db.d != NULL ? db_socket(lk->db.d) : -1 };
	char err[ERR_LEN];

	if (run_guard_start(&g->guard, keep, 2, g->a->kill_after_ms, err) < 0)
		log_warn("%s: if brace run is killed, the job may outlive the lock", err);
	if (lk->db.d != NULL && run_lockdb_keep(&lk->db, lock_lost, g, err) < 0)
		log_warn("%s: a lost lock session will not be noticed", err);
}

static int
governed(struct run_args *a)
{
	struct held_lock lk = { .file = { .fd = -1 } };
	struct governor g = { .a = a, .lk = &lk, .guard = { .fd = -1 } };
	char err[ERR_LEN];
	int status, sig;

	if (run_signal_init(err) < 0) {
		log_error("%s", err);
		return RUN_EXIT_FAILED;
	}
	g.j = journal_open_or_warn(a->journal);
	g.out = run_output_new(a->quiet, STDOUT_FILENO, STDERR_FILENO, RUN_OUTPUT_MEM_CAP,
	    RUN_OUTPUT_FILE_CAP, err);
	if (g.out == NULL) {
		log_error("%s", err);
		journal_close(g.j);
		return RUN_EXIT_FAILED;
	}
	if (a->jitter_ms > 0) {
		g.jitter_ms = run_backoff_random(a->jitter_ms);
		log_info("jitter: sleeping %lld ms", (long long)g.jitter_ms);
		if ((sig = run_signal_sleep(g.jitter_ms)) != 0) {
			status = interrupted(&g, sig, "during --jitter");
			goto out;
		}
	}
	if (a->lock != NULL) {
		switch (take_lock(&g, &lk)) {
		case LOCK_TAKEN:
			break;
		case LOCK_BUSY:
			if (lk.holder > 0)
				snprintf(err, sizeof(err), " (pid %ld)", (long)lk.holder);
			else
				err[0] = '\0';
			log_info("skipped: another run holds lock %s%s", a->lock, err);
			status = not_run(&g, RUN_EV_SKIP, "busy", a->busy_exit,
			    "skipped: another run holds lock %s%s", a->lock, err);
			goto out;
		case LOCK_UNAVAILABLE:
			status = not_run(&g, RUN_EV_GATE, "lock-db", EXIT_GATE, "not run: %s",
			    g.why);
			ping(&g, RUN_PING_FAIL, status, "not run: the lock database is unavailable");
			goto out;
		case LOCK_SIGNAL:
			status = interrupted(&g, g.sig, "while waiting for the lock");
			goto out;
		case LOCK_ERROR:
			status = not_run(&g, RUN_EV_FAILED, "lock", RUN_EXIT_FAILED,
			    "not run: cannot take lock %s", a->lock);
			goto out;
		}
	}
	if (min_interval_skip(&g)) {
		status = 0;
		goto out;
	}
	start_watchers(&g, &lk);
	status = attempts(&g);
	run_guard_stop(&g.guard);
	release_lock(&g, &lk);
	finish(&g, status);
out:
	run_guard_stop(&g.guard);
	release_lock(&g, &lk);
	run_output_free(g.out);
	journal_close(g.j);
	return status;
}

static int
history(const struct run_args *a)
{
	char err[ERR_LEN];
	journal *j = journal_open_readonly(a->journal, err);
	int rc;

	if (j == NULL && errno == ENOENT)
		return 0;       /* nothing recorded yet */
	if (j == NULL) {
		log_error("%s", err);
		return RUN_EXIT_FAILED;
	}
	rc = run_history_list(j, a->name, a->since_ms, a->limit, a->json,
	    term_color_use(a->color, STDOUT_FILENO), err);
	if (rc < 0)
		log_error("%s", err);
	journal_close(j);
	return rc < 0 ? RUN_EXIT_FAILED : 0;
}

int
cmd_run(int argc, char **argv)
{
	struct run_args a = {
		.max_concurrent = 1, .ioprio = -1, .kill_after_ms = 10000,
		.retry_delay_ms = 10000, .ping_timeout_ms = 5000, .limit = HISTORY_DEFAULT_LIMIT,
		.gate = {
			.max_load = -1, .timeout_ms = 600000,
			.first_delay_ms = GATE_FIRST_DELAY_MS, .max_delay_ms = GATE_MAX_DELAY_MS,
		},
	};
	int status;

	ensure_std_fds();
	run_job_note_inherited_fds();
	/* brace run's own failures, usage errors included, must not look like the job's. */
	cli_set_usage_status(RUN_EXIT_FAILED);
	argv = cmdline_own(argc, argv);
	parse_args(argc, argv, &a, 0);
	check_args(&a, argc, argv);
	if (cmdline_publish() < 0)
		log_warn("cannot rewrite the command line: passwords stay visible in ps(1)");
	if (a.history)
		return history(&a);
	if (a.verbose)
		log_set_level(LOG_LVL_INFO);
	else if (a.quiet)
		log_set_level(LOG_LVL_WARN);
	status = governed(&a);
	db_url_release(&a.db);
	db_url_release(&a.lock_db);
	return status;
}
