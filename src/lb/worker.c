/*
 * worker.c - one event loop per thread: epoll, accept, timers, wake-ups.
 *
 * Sockets are registered once, edge-triggered for both directions
 * (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET), and never modified again: the
 * loop records which directions are ready and the stream code tries its reads
 * and writes first, waiting only after EAGAIN (speculative I/O). A proxied
 * keep-alive request thus costs no epoll_ctl at all.
 *
 * Objects closed during one turn of the loop are recycled only after it, so
 * an event still queued in the same epoll batch for a closed connection finds
 * a dead object (fd -1), never someone else's.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "lb/lb.h"

#define MAX_EVENTS      512
#define ACCEPT_BATCH    64
#define ACCEPT_PAUSE_MS 100

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

int
worker_watch(struct worker *w, struct lconn *c)
{
	struct epoll_event ev;

	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.ptr = c;
	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

void
worker_arm(struct worker *w, struct timer *t, struct tlist *l)
{
	timer_arm(t, l, w->now);
}

void
worker_wake(struct worker *w)
{
	uint64_t one = 1;

	if (write(w->wake.fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("worker %d: cannot wake: %s", w->id, strerror(errno));
}

static void
pause_accept(struct worker *w, int64_t ms)
{
	struct tlist *l = &w->t_accept;

	w->accept_paused = 1;
	l->timeout = ms;
	worker_arm(w, &w->accept_tmr, l);
}

static void
do_accept(struct worker *w)
{
	int budget = ACCEPT_BATCH;

	w->listen_ready = 0;
	for (int i = 0; i < w->nlisteners && budget > 0; i++) {
		struct lconn *l = &w->listeners[i];

		while ((l->ready & RD_IN) && budget > 0) {
			struct sockaddr_storage ss;
			socklen_t len = sizeof(ss);
			int fd;

			if (atomic_load_explicit(&lb_nclients, memory_order_relaxed) >= w->cfg->maxconn) {
				/* Full: leave new clients in the backlog and look again soon. */
				pause_accept(w, 10);
				return;
			}
			fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd < 0) {
				if (errno == EINTR || errno == ECONNABORTED)
					continue;
				if (errno == EAGAIN) {
					l->ready &= (uint8_t)~RD_IN;
					break;
				}
				if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
				    errno == ENOMEM) {
					/* Out of descriptors: spinning on accept would burn the CPU. */
					log_warn("cannot accept a connection: %s; pausing accepts "
					    "for %d ms", strerror(errno), ACCEPT_PAUSE_MS);
					pause_accept(w, ACCEPT_PAUSE_MS);
					return;
				}
				log_warn("accept: %s", strerror(errno));
				l->ready &= (uint8_t)~RD_IN;
				break;
			}
			budget--;
			stream_accepted(w, fd, &ss);
		}
		if (l->ready & RD_IN)
			w->listen_ready = 1;
	}
}

static void
close_listeners(struct worker *w)
{
	for (int i = 0; i < w->nlisteners; i++) {
		if (w->listeners[i].fd >= 0)
			close(w->listeners[i].fd);
		w->listeners[i].fd = -1;
		w->listeners[i].ready = 0;
	}
	w->nlisteners = 0;
	w->listen_ready = 0;
}

/* Stop accepting, close what is idle, let the rest finish within the grace time. */
static void
begin_stop(struct worker *w)
{
	struct stream *s, *next;

	w->stopping = 1;
	close_listeners(w);
	timer_disarm(&w->accept_tmr);
	worker_arm(w, &w->accept_tmr, &w->t_grace);
	for (s = w->streams; s != NULL; s = next) {
		next = s->snext;
		s->flags |= SF_CLI_CLOSE;
		if (s->state == ST_HEAD && (s->rq == NULL || lbuf_len(s->rq) == 0))
			stream_free(s);
	}
	for (int i = 0; i < w->cfg->pool.nsrv; i++)
		while (w->sl[i].idle != NULL)
			sconn_close(w, w->sl[i].idle);
}

static void
grace_expired(struct worker *w)
{
	struct stream *s, *next;

	if (w->nstreams > 0)
		log_notice("worker %d: grace time over, closing %d connections", w->id,
		    w->nstreams);
	for (s = w->streams; s != NULL; s = next) {
		next = s->snext;
		stream_free(s);
	}
}

static void
handle_wake(struct worker *w)
{
	struct stream *s, *list;
	uint64_t v;

	while (read(w->wake.fd, &v, sizeof(v)) > 0)
		;
	w->wake.ready &= (uint8_t)~RD_IN;
	pthread_mutex_lock(&w->inbox_lock);
	list = w->inbox;
	w->inbox = NULL;
	pthread_mutex_unlock(&w->inbox_lock);
	while ((s = list) != NULL) {
		list = s->qnext;
		s->qnext = NULL;
		stream_server_ready(s);
		stream_run(s);
	}
	if (atomic_load(&lb_stop) && !w->stopping)
		begin_stop(w);
}

static void
run_timers(struct worker *w)
{
	struct tlist *lists[] = {
		&w->t_request, &w->t_client, &w->t_server, &w->t_connect, &w->t_queue,
		&w->t_idle, &w->t_tunnel, &w->t_linger, &w->t_accept, &w->t_grace,
	};
	struct timer *t;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		while ((t = tlist_due(lists[i], w->now)) != NULL) {
			timer_disarm(t);
			switch (t->kind) {
			case TK_STREAM:
				stream_timeout(container_of(t, struct stream, tmr), lists[i]);
				break;
			case TK_SCONN_IDLE:
				sconn_idle_timeout(container_of(t, struct sconn, tmr));
				break;
			case TK_ACCEPT:
				if (w->stopping) {
					grace_expired(w);
				} else {
					w->accept_paused = 0;
					w->listen_ready = 1;
					for (int k = 0; k < w->nlisteners; k++)
						w->listeners[k].ready |= RD_IN;
				}
				break;
			}
		}
	}
}

static int
next_timeout(struct worker *w)
{
	const struct tlist *lists[] = {
		&w->t_request, &w->t_client, &w->t_server, &w->t_connect, &w->t_queue,
		&w->t_idle, &w->t_tunnel, &w->t_linger, &w->t_accept, &w->t_grace,
	};
	int64_t next = INT64_MAX;

	if ((w->listen_ready && !w->accept_paused) || w->runq != NULL)
		return 0;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		int64_t t = tlist_next(lists[i]);

		if (t < next)
			next = t;
	}
	if (next == INT64_MAX)
		return 1000;
	next -= w->now;
	if (next < 0)
		return 0;
	return next > 1000 ? 1000 : (int)next + 1;
}

/* Give back what was closed during this turn. */
static void
recycle(struct worker *w)
{
	while (w->dead_streams != NULL) {
		struct stream *s = w->dead_streams;

		w->dead_streams = s->fnext;
		s->fnext = w->freestreams;
		w->freestreams = s;
	}
	while (w->dead_sconns != NULL) {
		struct sconn *sc = w->dead_sconns;

		w->dead_sconns = sc->inext;
		sc->inext = w->freesconns;
		w->freesconns = sc;
	}
}

static void
dispatch(struct worker *w, struct epoll_event *ev)
{
	struct lconn *c = ev->data.ptr;
	uint32_t e = ev->events;

	if (c->fd < 0)
		return;         /* closed earlier in this turn */
	if (e & EPOLLIN)
		c->ready |= RD_IN;
	if (e & EPOLLOUT)
		c->ready |= RD_OUT;
	if (e & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
		c->ready |= RD_HUP | RD_IN;
	switch (c->type) {
	case LC_LISTENER:
		w->listen_ready = 1;
		break;
	case LC_CLIENT:
		stream_run(container_of(c, struct stream, cli));
		break;
	case LC_SERVER:
		sconn_event(container_of(c, struct sconn, c));
		break;
	case LC_WAKE:
		handle_wake(w);
		break;
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[MAX_EVENTS];

	w->now = clock_mono_ms();
	for (int i = 0; i < w->nlisteners; i++)
		w->listeners[i].ready |= RD_IN;
	w->listen_ready = 1;
	for (;;) {
		int n = epoll_wait(w->epfd, evs, MAX_EVENTS, next_timeout(w));

		if (n < 0 && errno != EINTR) {
			log_error("worker %d: epoll_wait: %s", w->id, strerror(errno));
			break;
		}
		w->now = clock_mono_ms();
		for (int i = 0; i < n; i++)
			dispatch(w, &evs[i]);
		while (w->runq != NULL) {
			struct stream *s = w->runq;

			w->runq = s->qnext;
			s->qnext = NULL;
			stream_server_ready(s);
			stream_run(s);
		}
		if (w->listen_ready && !w->accept_paused && !w->stopping)
			do_accept(w);
		run_timers(w);
		recycle(w);
		if (atomic_load_explicit(&lb_stop, memory_order_relaxed) && !w->stopping)
			begin_stop(w);
		if (w->stopping && w->nstreams == 0)
			break;
	}
	return NULL;
}

int
worker_start(struct worker *w)
{
	const struct lb_config *cfg = w->cfg;

	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return -1;
	w->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wake.fd < 0)
		return -1;
	w->wake.type = LC_WAKE;
	if (worker_watch(w, &w->wake) < 0)
		return -1;
	for (int i = 0; i < w->nlisteners; i++) {
		w->listeners[i].type = LC_LISTENER;
		if (worker_watch(w, &w->listeners[i]) < 0)
			return -1;
	}
	pthread_mutex_init(&w->inbox_lock, NULL);
	tlist_init(&w->t_request, cfg->t_request);
	tlist_init(&w->t_client, cfg->t_client);
	tlist_init(&w->t_server, cfg->t_server);
	tlist_init(&w->t_connect, cfg->t_connect);
	tlist_init(&w->t_queue, cfg->t_queue);
	tlist_init(&w->t_idle, cfg->t_pool_idle);
	tlist_init(&w->t_tunnel, cfg->t_tunnel);
	tlist_init(&w->t_linger, 1000);
	tlist_init(&w->t_accept, ACCEPT_PAUSE_MS);
	tlist_init(&w->t_grace, cfg->t_grace);
	timer_init(&w->accept_tmr, TK_ACCEPT);
	w->sl = calloc((size_t)cfg->pool.nsrv, sizeof(*w->sl));
	if (w->sl == NULL)
		return -1;
	w->rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(w->id + 1) ^ (uint64_t)clock_now_ms();
	errno = pthread_create(&w->th, NULL, worker_main, w);
	return errno == 0 ? 0 : -1;
}
