/*
 * conns_view.c - see conns_view.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conns/conns_view.h"
#include "core/clock.h"
#include "core/term.h"
#include "core/units.h"

#define LINE_MAX_BYTES 8192

/* The colour of a status: the same words, the same colours everywhere. */
static const char *
status_seq(enum conns_status st)
{
	return term_status_seq(conns_report_status_name(st));
}

/* The frame being built: lines are cut to cols and counted against rows. */
struct frame {
	struct buf *out;
	struct buf line;
	int cols, rows, n;
	int color, utf8;
};

/* Append the current line to the frame, cut at the window width. */
static void
end_line(struct frame *f)
{
	if (f->n >= f->rows) {
		buf_reset(&f->line);
		return;
	}
	if (f->n > 0)
		buf_puts(f->out, TERM_CLEAR_EOL "\n");
	term_cut(f->out, buf_str(&f->line), f->line.len, (size_t)f->cols);
	term_sgr(f->out, f->color, TERM_RESET);
	f->n++;
	buf_reset(&f->line);
}

static void
put(struct frame *f, const char *s)
{
	buf_puts(&f->line, s);
}

static void __attribute__((format(printf, 2, 3)))
putf(struct frame *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&f->line, fmt, ap);
	va_end(ap);
}

static void
color_on(struct frame *f, const char *seq)
{
	term_sgr(&f->line, f->color, seq);
}

/* "08:41:37" in local time. */
static void
hms(int64_t ms, char *out, size_t n)
{
	char full[CLOCK_FMT_LEN];

	clock_fmt_local(ms, full, sizeof(full));
	snprintf(out, n, "%.8s", strlen(full) >= 19 ? full + 11 : full);
}

void
conns_view_push_point(struct conns_view *v, const struct conns_point *p)
{
	v->hist[v->hist_head] = *p;
	v->hist_head = (v->hist_head + 1) % CONNS_HISTORY;
	if (v->hist_n < CONNS_HISTORY)
		v->hist_n++;
}

void
conns_view_push_event(struct conns_view *v, const struct conns_view_event *e)
{
	if (v->nevents == CONNS_VIEW_EVENTS) {
		memmove(&v->events[0], &v->events[1], sizeof(v->events[0]) * (CONNS_VIEW_EVENTS - 1));
		v->nevents--;
	}
	v->events[v->nevents++] = *e;
}

/* The i-th of the last n points (0 = oldest of them). */
static const struct conns_point *
point(const struct conns_view *v, size_t n, size_t i)
{
	size_t idx = (v->hist_head + CONNS_HISTORY - n + i) % CONNS_HISTORY;

	return &v->hist[idx];
}

/* Where a plain "above N" threshold sits, in connections; -1 for ranges. */
static double
threshold_mark(const struct db_threshold *t, int64_t usable)
{
	if (t == NULL || !t->set || t->inside || !t->has_hi)
		return -1;
	return t->hi_pct ? t->hi * (double)usable / 100.0 : t->hi;
}

static void
draw_bar(struct frame *f, const struct conns_view *v, const struct conns_sample *s,
    enum conns_status st)
{
	int width = f->cols - 12;
	double used = (double)s->h.used, usable = (double)(s->h.usable > 0 ? s->h.usable : 1);
	int filled, wpos, cpos;

	if (width < 10)
		width = 10;
	filled = (int)lround(used / usable * width);
	if (filled > width)
		filled = width;
	wpos = (int)floor(threshold_mark(v->now->warn, s->h.usable) / usable * width);
	cpos = (int)floor(threshold_mark(v->now->crit, s->h.usable) / usable * width);
	put(f, "[");
	color_on(f, status_seq(st));
	for (int i = 0; i < width; i++) {
		if (i == filled)
			color_on(f, TERM_RESET TERM_DIM);
		if (i == wpos || i == cpos)
			put(f, f->utf8 ? "\xe2\x94\x82" : "|");        /* │ */
		else if (i < filled)
			put(f, f->utf8 ? "\xe2\x96\x88" : "#");        /* █ */
		else
			put(f, f->utf8 ? "\xe2\x96\x91" : ".");        /* ░ */
	}
	color_on(f, TERM_RESET);
	putf(f, "] %5.1f%%", s->h.percent);
	end_line(f);
}

static void
draw_sparkline(struct frame *f, const struct conns_view *v)
{
	double val[CONNS_HISTORY];
	size_t width = f->cols > 50 ? (size_t)f->cols - 40 : 10, n = v->hist_n;
	int64_t lo = -1, hi = 0, scale = 1, down = 0;
	struct term_spark opt = { .ascii = !f->utf8, .gap_seq = status_seq(CONNS_UNKNOWN),
	    .color = f->color };
	char span[32];

	if (n > width)
		n = width;
	for (size_t i = 0; i < n; i++) {
		const struct conns_point *p = point(v, n, i);

		if (p->used < 0) {
			val[i] = NAN;           /* no answer: a gap mark */
			down++;
			continue;
		}
		val[i] = (double)p->used;
		if (lo < 0 || p->used < lo)
			lo = p->used;
		if (p->used > hi)
			hi = p->used;
		if (p->usable > scale)
			scale = p->usable;
	}
	opt.max = (double)(hi > scale ? hi : scale);
	put(f, "history  ");
	term_sparkline(&f->line, val, n, &opt);
	units_fmt_duration(n > 0 ? (int64_t)n * v->interval_ms : 0, span, sizeof(span));
	putf(f, "  last %s", span);
	if (lo >= 0)
		putf(f, ": %lld..%lld used", (long long)lo, (long long)hi);
	if (down > 0)
		putf(f, ", %lld without answer", (long long)down);
	end_line(f);
}

static void
draw_breakdown(struct frame *f, const char *label, const struct conns_tally *t)
{
	struct buf b = BUF_INIT(LINE_MAX_BYTES);

	conns_report_breakdown(&b, t, 12);
	putf(f, "%-10s %s", label, buf_str(&b));
	buf_release(&b);
	end_line(f);
}

static void
draw_sessions(struct frame *f, const struct conns_sample *s, int room)
{
	if (room <= 1)
		return;
	color_on(f, TERM_BOLD);
	putf(f, "%-8s %-12s %-12s %-16s %-22s %8s %8s  %s", "PID", "USER", "DATABASE", "CLIENT",
	    "STATE", "XACT", "IN STATE", "QUERY");
	color_on(f, TERM_RESET);
	end_line(f);
	for (int i = 0; i < s->ntop && i < room - 1; i++) {
		const struct conns_session *x = &s->top[i];
		char xa[32], sa[32];

		conns_report_age(x->xact_age_s, xa, sizeof(xa));
		conns_report_age(x->state_age_s, sa, sizeof(sa));
		putf(f, "%-8lld ", (long long)x->pid);
		term_cell(&f->line, x->user, 12);
		put(f, " ");
		term_cell(&f->line, x->database, 12);
		put(f, " ");
		term_cell(&f->line, x->client, 16);
		put(f, " ");
		if (strncmp(x->state, "idle in transaction", 19) == 0)
			color_on(f, status_seq(CONNS_WARNING));
		term_cell(&f->line, x->state, 22);
		color_on(f, TERM_RESET);
		putf(f, " %8s %8s  %s", xa, sa, x->waiting ? "[lock] " : "");
		for (const char *p = x->query; *p; p++)
			buf_putc(&f->line, *p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p);
		end_line(f);
	}
}

static void
draw_events(struct frame *f, const struct conns_view *v)
{
	for (int i = 0; i < v->nevents; i++) {
		const struct conns_view_event *e = &v->events[i];
		char t[16];

		hms(e->ts_ms, t, sizeof(t));
		putf(f, "%s  ", t);
		if (e->initial) {
			put(f, "start");
		} else {
			color_on(f, status_seq(e->from));
			put(f, conns_report_status_name(e->from));
			color_on(f, TERM_RESET);
		}
		put(f, f->utf8 ? " \xe2\x86\x92 " : " -> ");               /* → */
		color_on(f, status_seq(e->to));
		put(f, conns_report_status_name(e->to));
		color_on(f, TERM_RESET);
		putf(f, "  %s", e->text);
		end_line(f);
	}
}

static void
draw_status(struct frame *f, const struct conns_view *v)
{
	const struct conns_result *r = v->now;
	const struct conns_sample *s = r->s;

	color_on(f, TERM_BOLD);
	color_on(f, status_seq(r->status));
	putf(f, "%-8s", conns_report_status_name(r->status));
	color_on(f, TERM_RESET);
	if (s == NULL) {
		char since[16];

		hms(v->down_since_ms, since, sizeof(since));
		putf(f, " %s: %s (since %s, retrying)", db_failure_name(r->failure), r->reason,
		    since);
		end_line(f);
		return;
	}
	putf(f, " %lld of %lld usable (%.1f%%), %lld free   max_connections %lld",
	    (long long)s->h.used, (long long)s->h.usable, s->h.percent,
	    (long long)(s->h.usable > s->h.used ? s->h.usable - s->h.used : 0),
	    (long long)s->h.max);
	if (s->kind == DB_POSTGRES)
		putf(f, ", %lld reserved", (long long)s->h.reserved);
	else
		putf(f, ", max used %lld, refused %lld", (long long)s->h.max_used,
		    (long long)s->h.errors_max_connections);
	if (r->warn && r->warn->set)
		putf(f, "   warn %s", r->warn->text);
	if (r->crit && r->crit->set)
		putf(f, " crit %s", r->crit->text);
	end_line(f);
}

void
conns_view_frame(struct buf *b, const struct conns_view *v, int cols, int rows,
    int utf8, int color)
{
	struct frame f = { .out = b, .cols = cols, .rows = rows, .color = color, .utf8 = utf8 };
	const struct conns_sample *s = v->now->s ? v->now->s : v->last;
	char now[16], every[32], ver[32] = "", oldest[32], idle[32];

	buf_init(&f.line, LINE_MAX_BYTES);
	buf_puts(b, TERM_HOME);
	hms(v->now->s ? v->now->s->ts_ms : clock_now_ms(), now, sizeof(now));
	units_fmt_duration(v->interval_ms, every, sizeof(every));
	if (s != NULL)
		conns_sample_version(s, ver, sizeof(ver));
	color_on(&f, TERM_BOLD);
	put(&f, "brace conns");
	color_on(&f, TERM_RESET);
	putf(&f, "  %s  %s %s  every %s  %s  (q quits)", v->redacted,
	    s == NULL ? "" : s->kind == DB_POSTGRES ? "PostgreSQL" : s->mariadb ? "MariaDB" :
	    "MySQL", ver, every, now);
	end_line(&f);
	draw_status(&f, v);
	if (s != NULL)
		draw_bar(&f, v, s, v->now->status);
	else
		end_line(&f);
	draw_sparkline(&f, v);
	end_line(&f);
	if (s != NULL) {
		if (v->now->s == NULL) {
			char at[16];

			hms(s->ts_ms, at, sizeof(at));
			color_on(&f, TERM_DIM);
			putf(&f, "last answer at %s:", at);
			color_on(&f, TERM_RESET);
			end_line(&f);
		}
		draw_breakdown(&f, "states", &s->by_state);
		draw_breakdown(&f, "users", &s->by_user);
		draw_breakdown(&f, "databases", &s->by_database);
		draw_breakdown(&f, "clients", &s->by_client);
		if (s->kind == DB_POSTGRES)
			draw_breakdown(&f, "apps", &s->by_application);
		conns_report_age(s->oldest_xact_s, oldest, sizeof(oldest));
		conns_report_age(s->longest_idle_xact_s, idle, sizeof(idle));
		putf(&f, "%-10s %lld waiting   oldest transaction %s   longest idle in "
		    "transaction %s   sample %.1fms", "locks", (long long)s->waiting_on_lock, oldest,
		    idle, s->elapsed_ms);
		end_line(&f);
		end_line(&f);
		draw_sessions(&f, s, rows - f.n - (v->nevents > 0 ? v->nevents + 1 : 0));
	}
	if (v->nevents > 0 && f.n + v->nevents < rows) {
		while (f.n < rows - v->nevents - 1)
			end_line(&f);
		color_on(&f, TERM_DIM);
		put(&f, "status changes");
		color_on(&f, TERM_RESET);
		end_line(&f);
		draw_events(&f, v);
	}
	buf_puts(b, TERM_CLEAR_EOL TERM_CLEAR_EOS);
	buf_release(&f.line);
}

void
conns_view_line(struct buf *b, const struct conns_result *r, int color)
{
	const struct conns_sample *s = r->s;
	char ts[CLOCK_FMT_LEN];

	clock_fmt_utc_s(s ? s->ts_ms : clock_now_ms(), ts, sizeof(ts));
	buf_printf(b, "%s ", ts);
	term_paint(b, color, status_seq(r->status), conns_report_status_name(r->status));
	if (s == NULL) {
		buf_printf(b, " %s: %s\n", db_failure_name(r->failure), r->reason);
		return;
	}
	buf_printf(b, " used=%lld usable=%lld max=%lld percent=%.1f", (long long)s->h.used,
	    (long long)s->h.usable, (long long)s->h.max, s->h.percent);
	for (size_t i = 0; i < s->by_state.n; i++) {
		buf_putc(b, ' ');
		for (const char *p = s->by_state.item[i].key; *p; p++)
			buf_putc(b, *p == ' ' ? '_' : *p);
		buf_printf(b, "=%lld", (long long)s->by_state.item[i].count);
	}
	buf_printf(b, " waiting=%lld oldest_transaction_s=%.1f sample_ms=%.2f\n",
	    (long long)s->waiting_on_lock, s->oldest_xact_s > 0 ? s->oldest_xact_s : 0.0,
	    s->elapsed_ms);
}
