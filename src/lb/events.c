/*
 * events.c - see events.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/journal.h"
#include "core/journal_async.h"
#include "core/json.h"
#include "core/log.h"
#include "lb/events.h"
#include "lb/server.h"

/* Room for a sample of the largest configuration (about 14 rows per pool
 * and 11 per server) beside the events. */
#define EV_QUEUE (1024 + 16 * LB_MAX_POOLS + 12 * LB_MAX_SERVERS)
#define EV_TEXT  256

static journal *ev_journal;
static journal_async *ev_writer;

void
events_start(const char *journal_path, int off)
{
	char err[ERR_LEN];

	if (ev_writer != NULL || off)
		return;
	if ((ev_journal = journal_open_or_warn(journal_path)) == NULL)
		return;
	if ((ev_writer = journal_async_start(ev_journal, EV_QUEUE, err)) == NULL) {
		log_warn("%s; carrying on without recording events", err);
		journal_close(ev_journal);
		ev_journal = NULL;
	}
}

void
events_stop(void)
{
	int64_t dropped;

	if (ev_writer == NULL)
		return;
	dropped = journal_async_stop(ev_writer, 5000);
	if (dropped > 0)
		log_warn("journal too slow: %lld events were not recorded", (long long)dropped);
	ev_writer = NULL;
	journal_close(ev_journal);
	ev_journal = NULL;
}

static void
push(const char *kind, const char *severity, const char *subject, const char *message,
    const char *details)
{
	struct journal_event ev = {
		.source = "lb", .kind = kind, .severity = severity, .subject = subject,
		.message = message, .details = details,
	};

	journal_async_event(ev_writer, &ev);
}

void
events_sample(int64_t ts_ms, const char *series, const char *labels, double value)
{
	struct journal_sample s = { .ts_ms = ts_ms, .source = "lb", .series = series,
	    .labels = labels, .value = value };

	journal_async_sample(ev_writer, &s);
}

int
events_on(void)
{
	return ev_writer != NULL;
}

void
events_server(struct server *sv, int up, const char *fmt, ...)
{
	char msg[EV_TEXT], subject[LB_NAME_LEN * 2 + 2];
	struct buf d = BUF_INIT(EV_TEXT + 127);
	int first = 1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(subject, sizeof(subject), "%s/%s", sv->pool->name, sv->name);
	buf_putc(&d, '{');
	json_key(&d, &first, "pool");
	json_str(&d, sv->pool->name);
	json_key(&d, &first, "server");
	json_str(&d, sv->name);
	json_key(&d, &first, "address");
	json_str(&d, sv->addr_str);
	json_key(&d, &first, "reason");
	json_str(&d, msg);
	buf_putc(&d, '}');
	if (up)
		log_notice("server %s (%s) is up: %s", subject, sv->addr_str, msg);
	else
		log_warn("server %s (%s) is down: %s", subject, sv->addr_str, msg);
	push(up ? "server_up" : "server_down", up ? "notice" : "error", subject, msg, buf_str(&d));
	buf_release(&d);
}

void
events_panic(struct pool *p, int on, int healthy, int total)
{
	char msg[EV_TEXT];
	struct buf d = BUF_INIT(EV_TEXT);
	int first = 1;

	if (on)
		snprintf(msg, sizeof(msg), "pool %s: %d of %d servers healthy, below its panic "
		    "threshold of %d%%: balancing over all of them, healthy or not", p->name,
		    healthy, total, p->panic_threshold);
	else
		snprintf(msg, sizeof(msg), "pool %s: %d of %d servers healthy again: out of panic, "
		    "balancing over the healthy ones", p->name, healthy, total);
	buf_putc(&d, '{');
	json_key(&d, &first, "pool");
	json_str(&d, p->name);
	json_key(&d, &first, "healthy");
	json_int(&d, healthy);
	json_key(&d, &first, "total");
	json_int(&d, total);
	json_key(&d, &first, "threshold_percent");
	json_int(&d, p->panic_threshold);
	buf_putc(&d, '}');
	if (on)
		log_warn("%s", msg);
	else
		log_notice("%s", msg);
	push(on ? "pool_panic" : "pool_panic_over", on ? "warning" : "notice", p->name, msg,
	    buf_str(&d));
	buf_release(&d);
}

void
events_queue_timeout(struct pool *p)
{
	int64_t now = clock_mono_ms(), last = atomic_load(&p->st->overflow_said);

	if (last != 0 && now - last < 10000)
		return;
	if (!atomic_compare_exchange_strong(&p->st->overflow_said, &last, now))
		return;
	events_record("queue_overflow", "warning", p->name,
	    "requests waited longer than the queue timeout for a server of pool %s "
	    "(%llu so far)", p->name, (unsigned long long)atomic_load(&p->st->queue_timeouts));
}

void
events_record(const char *kind, const char *severity, const char *subject,
    const char *fmt, ...)
{
	const char *subject_shown = subject;
	char msg[EV_TEXT];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The program's own name as the subject is already the log's prefix. */
	if (strcmp(subject, log_prog()) == 0)
		subject_shown = "";
	if (strcmp(severity, "error") == 0 || strcmp(severity, "critical") == 0 ||
	    strcmp(severity, "warning") == 0)
		log_warn("%s%s%s", subject_shown, subject_shown[0] ? ": " : "", msg);
	else
		log_notice("%s%s%s", subject_shown, subject_shown[0] ? ": " : "", msg);
	push(kind, severity, subject, msg, NULL);
}
