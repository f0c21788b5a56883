/*
 * conns_watch.c - see conns_watch.h. The sampling loop, the journal, status
 * changes and --on-alert; drawing is conns_view.c, the terminal conns_term.c.
 *
 * One connection is kept across samples (a fresh connection per sample would
 * itself churn the server being watched). When a sample fails because the
 * connection was lost (a restart, a terminated backend) the loop reconnects
 * at once, so only a server that really does not answer shows as down.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conns/conns_report.h"
#include "conns/conns_term.h"
#include "conns/conns_view.h"
#include "conns/conns_watch.h"
#include "core/clock.h"
#include "core/journal_async.h"
#include "core/json.h"
#include "core/log.h"
#include "core/term.h"

/* Most --on-alert commands running at once; more changes are recorded, not run. */
#define MAX_CHILDREN 4
/* Holders recorded per sample and per kind (user, application, client). */
#define HOLDERS_TOP 10
/* Holders named in a threshold event's message. */
#define HOLDERS_MSG 3
/* Journal records waiting for the writer: minutes of samples at any interval. */
#define JOURNAL_QUEUE 8192
/* How long the end of a watch waits for the journal to take what is queued. */
#define JOURNAL_DRAIN_MS 5000

struct watch {
	const struct conns_watch_opts *o;
	struct db_connect_opts copts;
	journal *j;
	journal_async *ja;      /* writes to j from its own thread */
	db *d;
	struct conns_sampler sp;
	struct conns_sample *bufs[2];           /* owned; cur and last point into them */
	struct conns_sample *cur, *last;        /* last: the last good sample or NULL */
	struct conns_view *view;
	struct conns_result r;
	int have_prev;
	enum conns_status prev;
	int prev_full;                          /* the last tick was refused: server full */
	int children;
	int full_screen, color, utf8;
};

/* The kinds of holder recorded, in the order the message prefers them. */
static const char *const holder_kinds[3] = { "user", "application", "client" };

/* The sample's tally of holder kind k (sorted, largest first, by the sampler). */
static const struct conns_tally *
holder_tally(const struct conns_sample *s, int k)
{
	return k == 0 ? &s->by_user : k == 1 ? &s->by_application : &s->by_client;
}

/*
 * The kind that tells the holders apart: the first of user, application and
 * client with two keys or more (a stack where everything connects as one
 * user is told apart by application or address), else user.
 */
static int
holder_kind(const struct conns_sample *s)
{
	for (int k = 0; k < 3; k++)
		if (holder_tally(s, k)->n >= 2)
			return k;
	return 0;
}

/* "; held by user invsync 16, webapp 1" */
static void
holders_text(struct buf *b, const struct conns_sample *s)
{
	int k = holder_kind(s);
	const struct conns_tally *t = holder_tally(s, k);

	if (t->n == 0)
		return;
	buf_printf(b, "; held by %s ", holder_kinds[k]);
	for (size_t i = 0; i < t->n && i < HOLDERS_MSG; i++)
		buf_printf(b, "%s%s %lld", i ? ", " : "", t->item[i].key,
		    (long long)t->item[i].count);
	if (t->n > HOLDERS_MSG || t->other > 0)
		buf_puts(b, ", ...");
}

/* "holders": {"user": [{"name": "invsync", "count": 16}, ...], ...} */
static void
holders_json(struct buf *b, int *first, const struct conns_sample *s)
{
	int kfirst = 1;

	json_key(b, first, "holders");
	buf_putc(b, '{');
	for (int k = 0; k < 3; k++) {
		const struct conns_tally *t = holder_tally(s, k);

		json_key(b, &kfirst, holder_kinds[k]);
		buf_putc(b, '[');
		for (size_t i = 0; i < t->n && i < HOLDERS_TOP; i++) {
			int f = 1;

			buf_puts(b, i ? ",{" : "{");
			json_key(b, &f, "name");
			json_str(b, t->item[i].key);
			json_key(b, &f, "count");
			json_int(b, t->item[i].count);
			buf_putc(b, '}');
		}
		buf_putc(b, ']');
	}
	buf_putc(b, '}');
}

static void
label_json(struct buf *b, const char *server, const char *key, const char *val)
{
	int first = 1;

	buf_reset(b);
	buf_putc(b, '{');
	json_key(b, &first, "server");
	json_str(b, server);
	if (key != NULL) {
		json_key(b, &first, key);
		json_str(b, val);
	}
	buf_putc(b, '}');
}

static void
sample_one(journal_async *j, int64_t ts, const char *series, const char *labels, double v)
{
	struct journal_sample js = { .ts_ms = ts, .source = "conns", .series = series,
	    .labels = labels, .value = v };

	journal_async_sample(j, &js);
}

void
conns_watch_record_sample(journal_async *j, const char *target, const struct conns_sample *s,
    int full)
{
	struct buf lab = BUF_INIT(4096);
	int64_t ts = s ? s->ts_ms : clock_now_ms();

	if (j == NULL)
		return;
	label_json(&lab, target, NULL, NULL);
	sample_one(j, ts, "db_connections_up", buf_str(&lab), s != NULL);
	if (s == NULL) {
		if (full)
			sample_one(j, ts, "db_connections_refused_full", buf_str(&lab), 1);
		buf_release(&lab);
		return;
	}
	sample_one(j, ts, "db_connections_used", buf_str(&lab), (double)s->h.used);
	sample_one(j, ts, "db_connections_usable", buf_str(&lab), (double)s->h.usable);
	sample_one(j, ts, "db_connections_max", buf_str(&lab), (double)s->h.max);
	sample_one(j, ts, "db_connections_percent", buf_str(&lab), s->h.percent);
	sample_one(j, ts, "db_connections_waiting_on_lock", buf_str(&lab),
	    (double)s->waiting_on_lock);
	sample_one(j, ts, "db_connections_oldest_transaction_s", buf_str(&lab),
	    s->oldest_xact_s > 0 ? s->oldest_xact_s : 0);
	for (size_t i = 0; i < s->by_state.n; i++) {
		label_json(&lab, target, "state", s->by_state.item[i].key);
		sample_one(j, ts, "db_connections_by_state", buf_str(&lab),
		    (double)s->by_state.item[i].count);
	}
	for (int k = 0; k < 3; k++) {
		const struct conns_tally *t = holder_tally(s, k);

		for (size_t i = 0; i < t->n && i < HOLDERS_TOP; i++) {
			int first = 1;

			buf_reset(&lab);
			buf_putc(&lab, '{');
			json_key(&lab, &first, "server");
			json_str(&lab, target);
			json_key(&lab, &first, "by");
			json_str(&lab, holder_kinds[k]);
			json_key(&lab, &first, "holder");
			json_str(&lab, t->item[i].key);
			buf_putc(&lab, '}');
			sample_one(j, ts, "db_connections_holder", buf_str(&lab),
			    (double)t->item[i].count);
		}
	}
	buf_release(&lab);
}

/* Rank of a status among the threshold levels. */
static int
level(enum conns_status st)
{
	return st == CONNS_UNKNOWN ? -1 : (int)st;
}

/* "14 of 17 usable connections in use (82.4%)" */
static void
usage_text(struct buf *b, const struct conns_sample *s)
{
	buf_printf(b, "%lld of %lld usable connections in use (%.1f%%)", (long long)s->h.used,
	    (long long)s->h.usable, s->h.percent);
}

/* The event for a change of status: kind, severity and message. */
static void
describe_change(const struct watch *w, int initial, enum conns_status from, struct buf *msg,
    const char **kind, const char **severity)
{
	const struct conns_result *r = &w->r;
	const struct db_threshold *t;

	buf_reset(msg);
	if (!initial && w->prev_full && r->s != NULL && r->status == from) {
		/* Still CRITICAL, but brace got in again. */
		*kind = "db_reachable";
		*severity = "notice";
		buf_puts(msg, "accepting connections again: ");
		usage_text(msg, r->s);
		return;
	}
	if (r->status == CONNS_UNKNOWN) {
		*kind = "db_unreachable";
		*severity = "error";
		buf_printf(msg, "%s: %s", db_failure_name(r->failure), r->reason);
		return;
	}
	if (r->s == NULL) {             /* CRITICAL without a sample: refused, full */
		*kind = "threshold_crossed";
		*severity = "critical";
		buf_printf(msg, "server full, refusing connections: %s", r->reason);
		return;
	}
	if (!initial && from != CONNS_UNKNOWN && level(r->status) < level(from)) {
		*kind = "threshold_cleared";
		*severity = "notice";
		t = from == CONNS_CRITICAL ? r->crit : r->warn;
		usage_text(msg, r->s);
		buf_printf(msg, ", back below the %s threshold %s",
		    from == CONNS_CRITICAL ? "critical" : "warning", t->text);
		return;
	}
	if (r->status == CONNS_OK) {
		*kind = "db_reachable";
		*severity = "notice";
		buf_puts(msg, "reachable again: ");
		usage_text(msg, r->s);
		return;
	}
	*kind = "threshold_crossed";
	*severity = r->status == CONNS_CRITICAL ? "critical" : "warning";
	t = r->status == CONNS_CRITICAL ? r->crit : r->warn;
	usage_text(msg, r->s);
	buf_printf(msg, ", above the %s threshold %s",
	    r->status == CONNS_CRITICAL ? "critical" : "warning", t->text);
	holders_text(msg, r->s);
}

static void
change_details(const struct watch *w, int initial, enum conns_status from, struct buf *b)
{
	const struct conns_result *r = &w->r;
	int first = 1;

	buf_reset(b);
	buf_putc(b, '{');
	json_key(b, &first, "from");
	json_str(b, initial ? NULL : conns_report_status_name(from));
	json_key(b, &first, "to");
	json_str(b, conns_report_status_name(r->status));
	json_key(b, &first, "url");
	json_str(b, r->url);
	json_key(b, &first, "warn");
	json_str(b, r->warn->text);
	json_key(b, &first, "crit");
	json_str(b, r->crit->text);
	if (r->s != NULL) {
		json_key(b, &first, "used");
		json_int(b, r->s->h.used);
		json_key(b, &first, "usable");
		json_int(b, r->s->h.usable);
		json_key(b, &first, "max");
		json_int(b, r->s->h.max);
		json_key(b, &first, "percent");
		json_num(b, r->s->h.percent);
		holders_json(b, &first, r->s);
	} else {
		json_key(b, &first, "failure");
		json_str(b, db_failure_name(r->failure));
		json_key(b, &first, "reason");
		json_str(b, r->reason);
	}
	buf_putc(b, '}');
}

/* Collect finished --on-alert commands. */
static void
reap(struct watch *w)
{
	while (w->children > 0 && waitpid(-1, NULL, WNOHANG) > 0)
		w->children--;
}

extern char **environ;

/*
 * The --on-alert command's environment: ours without any BRACE_CONNS_*
 * variable, then the change's. Built before fork() because the child of a
 * threaded process (the journal writer) should only exec.
 */
static char **
alert_env(const struct watch *w, int initial, enum conns_status from, const char *message,
    struct buf *strings)
{
	const char *names[] = { "STATUS", "PREVIOUS", "USED", "USABLE", "PERCENT", "SERVER",
	    "URL", "MESSAGE" };
	char vals[5][32] = { "", "", "", "", "" };
	const char *v[8];
	size_t n = 0, k = 0, off[8];
	char **env;

	snprintf(vals[0], sizeof(vals[0]), "%s", conns_report_status_name(w->r.status));
	snprintf(vals[1], sizeof(vals[1]), "%s", initial ? "" : conns_report_status_name(from));
	if (w->r.s != NULL) {
		snprintf(vals[2], sizeof(vals[2]), "%lld", (long long)w->r.s->h.used);
		snprintf(vals[3], sizeof(vals[3]), "%lld", (long long)w->r.s->h.usable);
		snprintf(vals[4], sizeof(vals[4]), "%.1f", w->r.s->h.percent);
	}
	for (int i = 0; i < 5; i++)
		v[i] = vals[i];
	v[5] = w->o->target;
	v[6] = w->o->redacted;
	v[7] = message;
	for (int i = 0; i < 8; i++) {
		off[i] = strings->len;
		if (buf_printf(strings, "BRACE_CONNS_%s=%s", names[i], v[i]) < 0 ||
		    buf_putc(strings, '\0') < 0)
			return NULL;
	}
	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + 9, sizeof(*env))) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "BRACE_CONNS_", 12) != 0)
			env[k++] = environ[i];
	for (int i = 0; i < 8; i++)
		env[k++] = strings->data + off[i];
	env[k] = NULL;
	return env;
}

static void
run_on_alert(struct watch *w, int initial, enum conns_status from, const char *message)
{
	struct buf strings = BUF_INIT(64 * 1024);
	char *argv[] = { "sh", "-c", (char *)w->o->on_alert, NULL };
	char **env;
	pid_t pid;

	reap(w);
	if (w->children >= MAX_CHILDREN) {
		static struct log_limit busy = LOG_LIMIT_INIT;

		log_limited(&busy, LOG_LVL_WARN,
		    "--on-alert: %d commands still running; not starting another", w->children);
		return;
	}
	if ((env = alert_env(w, initial, from, message, &strings)) == NULL) {
		log_warn("--on-alert: out of memory");
		buf_release(&strings);
		return;
	}
	fflush(stdout);
	if ((pid = fork()) < 0) {
		static struct log_limit nofork = LOG_LIMIT_INIT;

		log_limited(&nofork, LOG_LVL_WARN, "--on-alert: cannot fork: %m");
	} else if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			/* On the full-screen view the command's output would scribble over it. */
			if (w->full_screen) {
				dup2(null, STDOUT_FILENO);
				dup2(null, STDERR_FILENO);
			}
		}
		execve("/bin/sh", argv, env);
		_exit(127);
	} else {
		w->children++;
	}
	free(env); env = NULL;
	buf_release(&strings);
}

static void
status_changed(struct watch *w)
{
	struct buf msg = BUF_INIT(2048), details = BUF_INIT(8192);
	int initial = !w->have_prev;
	enum conns_status from = w->prev;
	const char *kind, *severity;
	struct conns_view_event ve = { 0 };

	describe_change(w, initial, from, &msg, &kind, &severity);
	change_details(w, initial, from, &details);
	struct journal_event ev = {
		.source = "conns", .kind = kind, .severity = severity, .subject = w->o->target,
		.message = buf_str(&msg), .details = buf_str(&details),
	};
	journal_async_event(w->ja, &ev);
	ve.ts_ms = clock_now_ms();
	ve.initial = initial;
	ve.from = from;
	ve.to = w->r.status;
	snprintf(ve.text, sizeof(ve.text), "%s", buf_str(&msg));
	conns_view_push_event(w->view, &ve);
	if (w->o->on_alert != NULL)
		run_on_alert(w, initial, from, buf_str(&msg));
	buf_release(&msg);
	buf_release(&details);
}

/* Connect if need be and take a sample into w->cur; fills w->r. */
static void
take(struct watch *w)
{
	struct conns_result *r = &w->r;

	r->s = NULL;
	r->failure = DB_OK;
	r->reason[0] = '\0';
	/* --timeout bounds each sample, reconnection included. */
	w->copts.deadline_ms = clock_mono_ms() + w->o->connect.timeout_ms;
	for (int attempt = 0; attempt < 2 && r->s == NULL; attempt++) {
		int lost;

		if (w->d == NULL &&
		    (w->d = db_connect(w->o->url, &w->copts, &r->failure, r->reason)) == NULL)
			return;
		db_set_deadline(w->d, w->copts.deadline_ms);
		if (conns_sample_take(w->d, &w->sp, w->cur, r->reason) == 0) {
			r->s = w->cur;
			r->failure = DB_OK;
			return;
		}
		lost = db_connection_lost(w->d);
		db_close(w->d);
		w->d = NULL;
		r->failure = lost ? DB_FAIL_UNREACHABLE : DB_FAIL_OTHER;
		if (!lost || conns_term_quitting())
			return;
		/* The connection was lost (a restart?): try a fresh one right away. */
	}
}

static void
render(struct watch *w)
{
	struct buf out = BUF_INIT(1 << 20);
	int cols, rows;

	if (w->full_screen) {
		term_size(STDOUT_FILENO, &cols, &rows);
		conns_view_frame(&out, w->view, cols, rows, w->utf8, w->color);
	} else {
		conns_view_line(&out, &w->r, w->color);
	}
	conns_term_write(out.data ? out.data : "", out.len);
	buf_release(&out);
}

static void
tick(struct watch *w)
{
	struct conns_point p;
	int full;

	take(w);
	if (conns_term_quitting())
		return;
	conns_report_evaluate(&w->r);
	w->view->nsamples++;
	p.ts_ms = w->r.s ? w->r.s->ts_ms : clock_now_ms();
	p.used = w->r.s ? w->r.s->h.used : -1;
	p.usable = w->r.s ? w->r.s->h.usable : 0;
	conns_view_push_point(w->view, &p);
	if (w->r.s != NULL) {
		/* This sample becomes the last good one; the other buffer takes the next. */
		w->last = w->cur;
		w->cur = w->cur == w->bufs[0] ? w->bufs[1] : w->bufs[0];
		w->view->down_since_ms = 0;
	} else if (w->view->down_since_ms == 0) {
		w->view->down_since_ms = p.ts_ms;
	}
	w->view->last = w->last;
	full = w->r.s == NULL && w->r.failure == DB_FAIL_FULL;
	conns_watch_record_sample(w->ja, w->o->target, w->r.s, full);
	/* A change of status, or CRITICAL turning into (or out of) a refusal. */
	if (!w->have_prev ? w->r.status != CONNS_OK :
	    w->r.status != w->prev || full != w->prev_full)
		status_changed(w);
	w->have_prev = 1;
	w->prev = w->r.status;
	w->prev_full = full;
	render(w);
}

int
conns_watch_run(const struct conns_watch_opts *o)
{
	struct watch w = { .o = o };
	char err[ERR_LEN];
	int64_t next, dropped;
	int rc = 0;

	w.copts = o->connect;
	w.copts.cancel = conns_term_cancel_flag();
	w.bufs[0] = malloc(sizeof(*w.bufs[0]));
	w.bufs[1] = malloc(sizeof(*w.bufs[1]));
	w.cur = w.bufs[0];
	w.view = calloc(1, sizeof(*w.view));
	if (w.bufs[0] == NULL || w.bufs[1] == NULL || w.view == NULL) {
		log_error("out of memory");
		rc = 1;
		goto done;
	}
	w.view->redacted = o->redacted;
	w.view->interval_ms = o->interval_ms;
	w.view->now = &w.r;
	w.r.url = o->redacted;
	w.r.target = o->target;
	w.r.warn = o->warn;
	w.r.crit = o->crit;
	w.full_screen = term_can_move(STDOUT_FILENO);
	w.color = term_color_use(o->color, STDOUT_FILENO);
	w.utf8 = term_utf8();
	w.j = journal_open_or_warn(o->journal);
	if (w.j != NULL && (w.ja = journal_async_start(w.j, JOURNAL_QUEUE, err)) == NULL)
		log_warn("%s; carrying on without recording", err);
	conns_term_enter(w.full_screen);
	for (;;) {
		enum conns_term_event ev;

		tick(&w);
		next = clock_mono_ms() + o->interval_ms;
		do {
			ev = conns_term_wait(next - clock_mono_ms());
			if (ev == CONNS_TERM_REDRAW)
				render(&w);
		} while (ev == CONNS_TERM_REDRAW);
		if (ev == CONNS_TERM_QUIT)
			break;
		reap(&w);
	}
	conns_term_leave();
done:
	db_close(w.d);
	if ((dropped = journal_async_stop(w.ja, JOURNAL_DRAIN_MS)) > 0)
		log_warn("%lld samples and events could not be recorded in time", (long long)dropped);
	journal_close(w.j);
	free(w.bufs[0]); w.bufs[0] = NULL;
	free(w.bufs[1]); w.bufs[1] = NULL;
	free(w.view); w.view = NULL;
	return rc;
}
