/*
 * run_history.c - see run_history.h.
 */
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "core/term.h"
#include "run/run_history.h"

/* Details can carry 64 KiB of output, escaped up to six times its size. */
#define DETAILS_MAX (512 * 1024)

static const char *
severity_of(const char *kind)
{
	if (strcmp(kind, RUN_EV_FAILED) == 0 || strcmp(kind, RUN_EV_TIMEOUT) == 0 ||
	    strcmp(kind, RUN_EV_LOCK_LOST) == 0)
		return "error";
	if (strcmp(kind, RUN_EV_GATE) == 0 || strcmp(kind, RUN_EV_GATE_OPEN) == 0)
		return "warning";
	return "info";
}

static void
put_time(struct buf *b, int *first, const char *key, int64_t ms)
{
	char ts[CLOCK_FMT_LEN];

	json_key(b, first, key);
	if (ms == 0) {
		buf_puts(b, "null");
		return;
	}
	clock_fmt_utc(ms, ts, sizeof(ts));
	json_str(b, ts);
}

static void
put_int(struct buf *b, int *first, const char *key, int64_t v)
{
	json_key(b, first, key);
	json_int(b, v);
}

static int
build_details(struct buf *b, const struct run_record *r)
{
	int first = 1;

	buf_putc(b, '{');
	json_key(b, &first, "name");
	json_str(b, r->name);
	json_key(b, &first, "command");
	buf_putc(b, '[');
	for (int i = 0; r->argv != NULL && r->argv[i] != NULL; i++) {
		if (i > 0)
			buf_putc(b, ',');
		json_str(b, r->argv[i]);
	}
	buf_putc(b, ']');
	put_time(b, &first, "start", r->start_ms);
	put_time(b, &first, "end", r->end_ms);
	put_int(b, &first, "duration_ms", r->duration_ms);
	put_int(b, &first, "status", r->status);
	json_key(b, &first, "exit_code");
	if (r->exit_code >= 0)
		json_int(b, r->exit_code);
	else
		buf_puts(b, "null");
	json_key(b, &first, "signal");
	if (r->signal > 0) {
		const char *abbrev = sigabbrev_np(r->signal);

		buf_printf(b, "\"SIG%s\"", abbrev ? abbrev : "?");
	} else {
		buf_puts(b, "null");
	}
	json_key(b, &first, "reason");
	json_str(b, r->reason);
	put_int(b, &first, "attempt", r->attempt);
	put_int(b, &first, "attempts", r->attempts);
	put_int(b, &first, "jitter_ms", r->jitter_ms);
	put_int(b, &first, "waited_ms", r->waited_ms);
	json_key(b, &first, "pid");
	if (r->pid > 0)
		json_int(b, r->pid);
	else
		buf_puts(b, "null");
	put_int(b, &first, "output_bytes", (int64_t)r->output_total);
	json_key(b, &first, "output_tail");
	json_strn(b, r->output ? r->output : "", r->output ? r->output_len : 0);
	return buf_putc(b, '}');
}

void
run_history_record(journal *j, const struct run_record *r)
{
	struct buf details = BUF_INIT(DETAILS_MAX);
	struct journal_event ev = {
		.ts_ms = r->start_ms,
		.source = "run",
		.kind = r->kind,
		.severity = severity_of(r->kind),
		.subject = r->name,
		.message = r->message,
	};

	if (j == NULL)
		return;
	if (build_details(&details, r) == 0)
		ev.details = buf_str(&details);
	journal_record(j, &ev);
	buf_release(&details);
}

struct last_ok {
	int found;
	int64_t ts;
};

static int
note_last(const struct journal_event *ev, void *arg)
{
	struct last_ok *l = arg;

	l->found = 1;
	if (ev->ts_ms > l->ts)
		l->ts = ev->ts_ms;
	return 0;
}

int
run_history_last_ok(journal *j, const char *name, int64_t since_ms, int64_t *ts_ms,
    char *err)
{
	struct journal_filter f = {
		.since_ms = since_ms, .source = "run", .kind = RUN_EV_OK, .subject = name,
		.limit = 1,
	};
	struct last_ok l = { 0, 0 };

	if (journal_each(j, &f, note_last, &l, err) < 0)
		return -1;
	if (l.found)
		*ts_ms = l.ts;
	return l.found;
}

static int
print_text(const struct journal_event *ev, void *arg)
{
	struct journal_printer *pr = arg;
	struct buf *b = journal_print_begin(pr, ev->ts_ms);
	size_t at = b->len;

	buf_puts(b, ev->subject ? ev->subject : "-");
	term_pad(b, at, 16);
	buf_putc(b, ' ');
	at = b->len;
	term_paint(b, pr->color, term_status_seq(ev->severity), ev->kind);
	term_pad(b, at, 12);
	buf_printf(b, " %s\n", ev->message ? ev->message : "");
	return journal_print_end(pr);
}

int
run_history_list(journal *j, const char *name, int64_t since_ms, int64_t limit, int json,
    int color, char *err)
{
	struct journal_filter f = {
		.since_ms = since_ms, .source = "run", .subject = name, .limit = limit,
	};
	struct journal_printer pr = { BUF_INIT(DETAILS_MAX + 4096), color };
	int rc;

	rc = journal_each(j, &f, json ? journal_print_event_json : print_text, &pr, err);
	buf_release(&pr.line);
	if (fflush(stdout) != 0 && rc == 0) {
		err_set(err, "cannot write the history to stdout");
		rc = -1;
	}
	return rc;
}
