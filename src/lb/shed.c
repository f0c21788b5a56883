/*
 * shed.c - see shed.h.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "lb/events.h"
#include "lb/lbuf.h"
#include "lb/shed.h"
#include "lb/stream.h"
#include "lb/worker.h"

#define SHED_SCAN      256      /* timers looked at for one idle client */
#define SHED_ASK_MS    1000     /* how long a request for room holds */
#define SHED_MAX_ASKED 64       /* idle closes asked of the other workers at once */
#define SHED_SAY_MS    60000    /* one overload event a minute at most */

_Atomic uint64_t shed_refused;
_Atomic uint64_t shed_idle_closed;

static _Atomic int shed_asked;          /* idle clients the other workers should close */
static _Atomic int64_t shed_asked_at;   /* monotonic ms of the last request */
static _Atomic int64_t shed_said_at;    /* monotonic ms of the last overload event */

static const char reply_503[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
    "Content-Length: 20\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    "Service Unavailable\n";

/*
 * The client of w that has been idle the longest between two requests: the
 * keep-alive timers of a listener are in the order they were armed, so the
 * first idle stream of each list is its oldest. NULL when none is idle.
 */
static struct stream *
oldest_idle(struct worker *w)
{
	struct stream *best = NULL;

	for (int f = 0; f < w->cfg->nfe; f++) {
		struct tlist *l = &w->fet[f].client;
		int scanned = 0;

		for (struct timer *t = l->head.next; t != &l->head && scanned < SHED_SCAN;
		    t = t->next, scanned++) {
			struct stream *s = (struct stream *)(void *)((char *)t -
			    offsetof(struct stream, tmr));

			if (s->state != ST_HEAD || (s->rq != NULL && lbuf_len(s->rq) > 0))
				continue;
			if (best == NULL || t->when < best->tmr.when)
				best = s;
			break;
		}
	}
	return best;
}

static void
close_idle(struct stream *s)
{
	stream_free(s);
	atomic_fetch_add_explicit(&shed_idle_closed, 1, memory_order_relaxed);
}

int
shed_make_room(struct worker *w)
{
	struct stream *s = oldest_idle(w);

	if (s != NULL) {
		close_idle(s);
		return 1;
	}
	if (atomic_load(&shed_asked) < SHED_MAX_ASKED)
		atomic_fetch_add(&shed_asked, 1);
	atomic_store(&shed_asked_at, w->now);
	return 0;
}

void
shed_help(struct worker *w)
{
	int want;

	if (atomic_load_explicit(&shed_asked, memory_order_relaxed) == 0)
		return;
	if (w->now - atomic_load(&shed_asked_at) > SHED_ASK_MS) {
		atomic_store(&shed_asked, 0);   /* lapsed: the pressure is gone */
		return;
	}
	while ((want = atomic_load(&shed_asked)) > 0) {
		struct stream *s = oldest_idle(w);

		if (s == NULL)
			return;
		if (atomic_compare_exchange_weak(&shed_asked, &want, want - 1))
			close_idle(s);
	}
}

void
shed_refuse(struct worker *w, const struct frontend *fe, int fd)
{
	uint64_t n = atomic_fetch_add(&shed_refused, 1) + 1;
	int64_t said = atomic_load(&shed_said_at);

	if (fe->mode == MODE_HTTP) {
		char sink[4096];
		int rounds = 16;

		/* The request is normally there already (TCP_DEFER_ACCEPT): read it, so
		 * that closing with unread input does not turn the answer into a reset. */
		if (send(fd, reply_503, sizeof(reply_503) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
			shutdown(fd, SHUT_WR);
		while (rounds-- > 0 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
	}
	close(fd);
	if ((said == 0 || w->now - said >= SHED_SAY_MS) &&
	    atomic_compare_exchange_strong(&shed_said_at, &said, w->now))
		events_record("maxconn_reached", "warning", fe->name,
		    "%d client connections (maxconn): new clients are answered at once (%s) "
		    "when no idle keep-alive client can make room; %llu so far",
		    w->cfg->maxconn, fe->mode == MODE_HTTP ? "503, Retry-After: 1" : "closed",
		    (unsigned long long)n);
}
