/*
 * journal_async.c - see journal_async.h. A ring of pointers guarded by one
 * mutex; each record is one allocation holding the struct and its strings.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/journal_async.h"

struct record {
	int is_event;
	struct journal_event ev;
	struct journal_sample s;
	/* the strings follow */
};

struct journal_async {
	journal *j;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t more;    /* a record was queued, or stop was asked */
	struct record **ring;
	size_t cap, head, n;
	int stopping;
	int64_t deadline_ms;    /* monotonic; while stopping */
	int failing;            /* the last write failed (a busy or broken journal) */
	int64_t dropped;
	int64_t failed0;        /* journal_dropped() when the writer started */
};

static void *
writer(void *arg)
{
	journal_async *a = arg;

	pthread_mutex_lock(&a->lock);
	for (;;) {
		struct record *r;

		int64_t before;

		while (a->n == 0 && !a->stopping)
			pthread_cond_wait(&a->more, &a->lock);
		/* At the end, a journal that fails is not waited for record after record. */
		if (a->n == 0 || (a->stopping && (a->failing || clock_mono_ms() >= a->deadline_ms)))
			break;
		r = a->ring[a->head];
		a->head = (a->head + 1) % a->cap;
		a->n--;
		pthread_mutex_unlock(&a->lock);
		/*
		 * SQLite may wait here on other writers (a service journal waits a
		 * moment at most); the queue stays open meanwhile.
		 */
		before = journal_dropped(a->j);
		if (r->is_event)
			journal_record(a->j, &r->ev);
		else
			journal_record_sample(a->j, &r->s);
		free(r);
		pthread_mutex_lock(&a->lock);
		a->failing = journal_dropped(a->j) > before;
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

journal_async *
journal_async_start(journal *j, size_t cap, char *err)
{
	journal_async *a = calloc(1, sizeof(*a));

	if (a == NULL || cap == 0 || (a->ring = calloc(cap, sizeof(*a->ring))) == NULL) {
		err_set(err, cap == 0 ? "a journal queue needs room" : "out of memory");
		free(a);
		return NULL;
	}
	a->j = j;
	a->cap = cap;
	a->failed0 = journal_dropped(j);
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->more, NULL);
	if ((errno = pthread_create(&a->thread, NULL, writer, a)) != 0) {
		err_set(err, "cannot start the journal writer: %s", strerror(errno));
		pthread_mutex_destroy(&a->lock);
		pthread_cond_destroy(&a->more);
		free(a->ring); a->ring = NULL;
		free(a); a = NULL;
		return NULL;
	}
	return a;
}

/* Copy s after the record (at *p), return the copy; NULL stays NULL. */
static const char *
put_str(char **p, const char *s)
{
	size_t n;
	char *out;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	out = memcpy(*p, s, n);
	*p += n;
	return out;
}

static size_t
len0(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static int
enqueue(journal_async *a, struct record *r)
{
	int rc = 0;

	pthread_mutex_lock(&a->lock);
	if (r == NULL || a->n == a->cap || a->stopping) {
		a->dropped++;
		rc = -1;
	} else {
		a->ring[(a->head + a->n) % a->cap] = r;
		a->n++;
		r = NULL;
		pthread_cond_signal(&a->more);
	}
	pthread_mutex_unlock(&a->lock);
	free(r);
	return rc;
}

int
journal_async_event(journal_async *a, const struct journal_event *ev)
{
	struct record *r;
	char *p;

	if (a == NULL)
		return 0;
	r = malloc(sizeof(*r) + len0(ev->host) + len0(ev->source) + len0(ev->kind) +
	    len0(ev->severity) + len0(ev->subject) + len0(ev->message) + len0(ev->details));
	if (r != NULL) {
		p = (char *)(r + 1);
		r->is_event = 1;
		r->ev = *ev;
		r->ev.ts_ms = ev->ts_ms ? ev->ts_ms : clock_now_ms();
		r->ev.host = put_str(&p, ev->host);
		r->ev.source = put_str(&p, ev->source);
		r->ev.kind = put_str(&p, ev->kind);
		r->ev.severity = put_str(&p, ev->severity);
		r->ev.subject = put_str(&p, ev->subject);
		r->ev.message = put_str(&p, ev->message);
		r->ev.details = put_str(&p, ev->details);
	}
	return enqueue(a, r);
}

int
journal_async_sample(journal_async *a, const struct journal_sample *s)
{
	struct record *r;
	char *p;

	if (a == NULL)
		return 0;
	r = malloc(sizeof(*r) + len0(s->source) + len0(s->series) + len0(s->labels) +
	    len0(s->host));
	if (r != NULL) {
		p = (char *)(r + 1);
		r->is_event = 0;
		r->s = *s;
		r->s.ts_ms = s->ts_ms ? s->ts_ms : clock_now_ms();
		r->s.source = put_str(&p, s->source);
		r->s.series = put_str(&p, s->series);
		r->s.labels = put_str(&p, s->labels);
		r->s.host = put_str(&p, s->host);
	}
	return enqueue(a, r);
}

int64_t
journal_async_stop(journal_async *a, int64_t wait_ms)
{
	int64_t dropped;

	if (a == NULL)
		return 0;
	pthread_mutex_lock(&a->lock);
	a->stopping = 1;
	a->deadline_ms = clock_mono_ms() + (wait_ms > 0 ? wait_ms : 0);
	pthread_cond_broadcast(&a->more);
	pthread_mutex_unlock(&a->lock);
	/*
	 * The writer leaves once the queue is empty, the deadline has passed or
	 * the journal fails; a write still waiting at the deadline is given up.
	 */
	if (wait_ms >= 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)(wait_ms / 1000);
		ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(a->thread, NULL, &ts) == 0)
			goto joined;
	}
	journal_abandon(a->j);
	pthread_join(a->thread, NULL);
joined:
	dropped = a->dropped + (int64_t)a->n + journal_dropped(a->j) - a->failed0;
	while (a->n > 0) {
		free(a->ring[a->head]);
		a->head = (a->head + 1) % a->cap;
		a->n--;
	}
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->more);
	free(a->ring); a->ring = NULL;
	free(a); a = NULL;
	return dropped;
}
