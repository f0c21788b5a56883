/*
 * events.c - see events.h.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/journal.h"
#include "core/json.h"
#include "core/log.h"
#include "lb/events.h"
#include "lb/lb.h"

#define EV_QUEUE 1024
#define EV_TEXT  256

struct ev {
	char kind[32], severity[16], subject[LB_NAME_LEN * 2 + 2];
	char message[EV_TEXT];
	char details[EV_TEXT + 128];
};

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cond = PTHREAD_COND_INITIALIZER;
static struct ev ev_queue[EV_QUEUE];
static int ev_head, ev_count, ev_dropped, ev_running, ev_stop;
static pthread_t ev_thread;
static journal *ev_journal;

static void *
writer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&ev_lock);
	for (;;) {
		while (ev_count == 0 && !ev_stop)
			pthread_cond_wait(&ev_cond, &ev_lock);
		if (ev_count == 0 && ev_stop)
			break;
		struct ev e = ev_queue[ev_head];
		int dropped = ev_dropped;

		ev_head = (ev_head + 1) % EV_QUEUE;
		ev_count--;
		ev_dropped = 0;
		pthread_mutex_unlock(&ev_lock);
		if (dropped > 0)
			log_warn("journal too slow: %d events were not recorded", dropped);
		struct journal_event je = {
			.source = "lb", .kind = e.kind, .severity = e.severity,
			.subject = e.subject, .message = e.message,
			.details = e.details[0] ? e.details : NULL,
		};
		journal_record(ev_journal, &je);
		pthread_mutex_lock(&ev_lock);
	}
	pthread_mutex_unlock(&ev_lock);
	return NULL;
}

void
events_start(const char *journal_path, int off)
{
	if (ev_running)
		return;
	if (!off)
		ev_journal = journal_open_or_warn(journal_path);
	if (ev_journal == NULL)
		return;
	ev_stop = 0;
	if (pthread_create(&ev_thread, NULL, writer, NULL) == 0)
		ev_running = 1;
}

void
events_stop(void)
{
	if (!ev_running)
		return;
	pthread_mutex_lock(&ev_lock);
	ev_stop = 1;
	pthread_cond_signal(&ev_cond);
	pthread_mutex_unlock(&ev_lock);
	pthread_join(ev_thread, NULL);
	ev_running = 0;
	journal_close(ev_journal);
	ev_journal = NULL;
}

static void
push(const char *kind, const char *severity, const char *subject, const char *message,
    const char *details)
{
	struct ev *e;

	if (!ev_running)
		return;
	pthread_mutex_lock(&ev_lock);
	if (ev_count == EV_QUEUE) {
		ev_dropped++;
		pthread_mutex_unlock(&ev_lock);
		return;
	}
	e = &ev_queue[(ev_head + ev_count) % EV_QUEUE];
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	snprintf(e->severity, sizeof(e->severity), "%s", severity);
	snprintf(e->subject, sizeof(e->subject), "%s", subject);
	snprintf(e->message, sizeof(e->message), "%s", message);
	snprintf(e->details, sizeof(e->details), "%s", details ? details : "");
	ev_count++;
	pthread_cond_signal(&ev_cond);
	pthread_mutex_unlock(&ev_lock);
}

static void
server_event(struct server *sv, const char *kind, const char *severity, const char *fmt,
    va_list ap)
{
	char msg[EV_TEXT], subject[LB_NAME_LEN * 2 + 2];
	struct buf d = BUF_INIT(EV_TEXT + 127);
	int first = 1;

	vsnprintf(msg, sizeof(msg), fmt, ap);
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
	if (strcmp(kind, "server_down") == 0)
		log_warn("server %s (%s) is down: %s", subject, sv->addr_str, msg);
	else
		log_notice("server %s (%s) is up: %s", subject, sv->addr_str, msg);
	push(kind, severity, subject, msg, buf_str(&d));
	buf_release(&d);
}

void
events_server_down(struct server *sv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	server_event(sv, "server_down", "error", fmt, ap);
	va_end(ap);
}

void
events_server_up(struct server *sv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	server_event(sv, "server_up", "notice", fmt, ap);
	va_end(ap);
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
	char msg[EV_TEXT];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(severity, "error") == 0 || strcmp(severity, "critical") == 0 ||
	    strcmp(severity, "warning") == 0)
		log_warn("%s: %s", subject, msg);
	else
		log_notice("%s: %s", subject, msg);
	push(kind, severity, subject, msg, NULL);
}
