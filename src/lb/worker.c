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
#include "lb/alog.h"
#include "lb/sample.h"
#include "lb/sconn.h"
#include "lb/shed.h"
#include "lb/stream.h"
#include "lb/tls.h"
#include "lb/worker.h"

#define MAX_EVENTS      512
#define ACCEPT_BATCH    64
#define ACCEPT_PAUSE_MS 100

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

_Atomic int worker_nclients;
_Atomic int worker_shutdown;

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

	static struct log_limit said = LOG_LIMIT_INIT;

	if (write(w->wake.fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_limited(&said, LOG_LVL_WARN, "worker %d: cannot wake: %s", w->id,
		    strerror(errno));
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
	static struct log_limit out_of_fds = LOG_LIMIT_INIT, other = LOG_LIMIT_INIT;
	int budget = ACCEPT_BATCH;

	w->listen_ready = 0;
	for (int i = 0; i < w->nlisteners && budget > 0; i++) {
		struct lconn *l = &w->listeners[i].c;

		while ((l->ready & RD_IN) && budget > 0) {
			struct sockaddr_storage ss;
			socklen_t len = sizeof(ss);
			int fd;

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
					log_limited(&out_of_fds, LOG_LVL_WARN, "cannot accept a connection: "
					    "%s; pausing accepts for %d ms", strerror(errno),
					    ACCEPT_PAUSE_MS);
					pause_accept(w, ACCEPT_PAUSE_MS);
					return;
				}
				log_limited(&other, LOG_LVL_WARN, "accept: %s", strerror(errno));
				l->ready &= (uint8_t)~RD_IN;
				break;
			}
			budget--;
			/* Full: close an idle keep-alive client to make room, or else
			 * answer the new one at once (shed.c), never leave it waiting. */
			if (atomic_load_explicit(&worker_nclients, memory_order_relaxed) >=
			    w->cfg->maxconn && !shed_make_room(w))
				shed_refuse(w, w->listeners[i].fe, fd);
			else
				stream_accepted(w, w->listeners[i].fe, fd, &ss);
		}
		if (l->ready & RD_IN)
			w->listen_ready = 1;
	}
}

/*
 * Forget the listening sockets. After a reload the new workers hold copies
 * of them (dup), so the sockets and the clients waiting in their backlogs
 * live on; unregister first, since epoll would otherwise keep reporting a
 * socket that another descriptor still holds open.
 */
static void
close_listeners(struct worker *w)
{
	for (int i = 0; i < w->nlisteners; i++) {
		struct lconn *l = &w->listeners[i].c;

		if (l->fd >= 0) {
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, l->fd, NULL);
			close(l->fd);
		}
		l->fd = -1;
		l->ready = 0;
	}
	w->nlisteners = 0;
	w->listen_ready = 0;
}

/*
 * Stop accepting, close what is idle, let the rest finish within the grace
 * time (the loop exits when no stream is left).
 */
static void
worker_begin_stop(struct worker *w)
{
	struct stream *s, *next;

	w->stopping = 1;
	close_listeners(w);
	timer_disarm(&w->accept_tmr);
	worker_arm(w, &w->accept_tmr, &w->t_grace);
	for (s = w->streams; s != NULL; s = next) {
		next = s->snext;
		s->flags |= SF_CLI_CLOSE;
		if (s->state != ST_HEAD || (s->rq != NULL && lbuf_len(s->rq) > 0))
			continue;
		/*
		 * An idle keep-alive client. Stopping for good: close it now.
		 * Making way for a reload: a client may be sending its next
		 * request right now, and closing under it would be an error on
		 * its side; answer that request with "Connection: close" instead,
		 * and close the ones that stay silent a moment later.
		 */
		if (atomic_load(&worker_shutdown))
			stream_free(s);
		else
			stream_arm(s, &w->t_linger);
	}
	for (int i = 0; i < w->cfg->nservers; i++)
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
	if ((atomic_load(&worker_shutdown) || atomic_load(&w->stop_req)) && !w->stopping)
		worker_begin_stop(w);
}

/* Every timer list of the worker, in one array built at start. */
static void
run_list(struct worker *w, struct tlist *l)
{
	struct timer *t;

	while ((t = tlist_due(l, w->now)) != NULL) {
		timer_disarm(t);
		switch (t->kind) {
		case TK_STREAM:
			stream_timeout(container_of(t, struct stream, tmr), l);
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
					w->listeners[k].c.ready |= RD_IN;
			}
			break;
		}
	}
}

static void
run_timers(struct worker *w)
{
	for (int i = 0; i < w->nlists; i++)
		run_list(w, w->lists[i]);
}

static int
next_timeout(struct worker *w)
{
	int64_t next = INT64_MAX;

	if ((w->listen_ready && !w->accept_paused) || w->runq != NULL)
		return 0;
	for (int i = 0; i < w->nlists; i++) {
		int64_t t = tlist_next(w->lists[i]);

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
		w->listeners[i].c.ready |= RD_IN;
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
		shed_help(w);
		run_timers(w);
		alog_flush(w, 0);
		recycle(w);
		if ((atomic_load_explicit(&worker_shutdown, memory_order_relaxed) ||
		    atomic_load_explicit(&w->stop_req, memory_order_relaxed)) && !w->stopping)
			worker_begin_stop(w);
		if (w->stopping && w->nstreams == 0)
			break;
	}
	recycle(w);     /* what closed in the last turn, so worker_release frees it */
	alog_flush(w, 1);
	return NULL;
}

/* Collect every timer list of the worker, so the loop can walk them. */
static int
worker_lists(struct worker *w)
{
	const struct lb_config *cfg = w->cfg;
	int n = 3 + 4 * cfg->nfe + 4 * cfg->npools, k = 0;

	w->fet = calloc((size_t)(cfg->nfe ? cfg->nfe : 1), sizeof(*w->fet));
	w->pt = calloc((size_t)(cfg->npools ? cfg->npools : 1), sizeof(*w->pt));
	w->lists = calloc((size_t)n, sizeof(*w->lists));
	if (w->fet == NULL || w->pt == NULL || w->lists == NULL)
		return -1;
	tlist_init(&w->t_linger, 1000);
	tlist_init(&w->t_accept, ACCEPT_PAUSE_MS);
	tlist_init(&w->t_grace, cfg->t_grace);
	w->lists[k++] = &w->t_linger;
	w->lists[k++] = &w->t_accept;
	w->lists[k++] = &w->t_grace;
	for (int i = 0; i < cfg->nfe; i++) {
		const struct frontend *fe = &cfg->fe[i];

		tlist_init(&w->fet[i].request, fe->t_request);
		tlist_init(&w->fet[i].client, fe->t_client);
		tlist_init(&w->fet[i].tunnel, fe->t_tunnel);
		tlist_init(&w->fet[i].handshake, fe->t_handshake);
		w->lists[k++] = &w->fet[i].request;
		w->lists[k++] = &w->fet[i].client;
		w->lists[k++] = &w->fet[i].tunnel;
		w->lists[k++] = &w->fet[i].handshake;
	}
	for (int i = 0; i < cfg->npools; i++) {
		const struct pool *p = &cfg->pool[i];

		tlist_init(&w->pt[i].queue, p->t_queue);
		tlist_init(&w->pt[i].connect, p->t_connect);
		tlist_init(&w->pt[i].server, p->t_server);
		tlist_init(&w->pt[i].idle, p->t_pool_idle);
		w->lists[k++] = &w->pt[i].queue;
		w->lists[k++] = &w->pt[i].connect;
		w->lists[k++] = &w->pt[i].server;
		w->lists[k++] = &w->pt[i].idle;
	}
	w->nlists = k;
	return 0;
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
		w->listeners[i].c.type = LC_LISTENER;
		if (worker_watch(w, &w->listeners[i].c) < 0)
			return -1;
	}
	if (worker_lists(w) < 0)
		return -1;
	lpipe_pool_init(&w->pipes, cfg->splice ? LB_MAX_PIPES : 0);
	timer_init(&w->accept_tmr, TK_ACCEPT);
	w->sl = calloc((size_t)(cfg->nservers ? cfg->nservers : 1), sizeof(*w->sl));
	if (w->sl == NULL || sample_worker_init(w) < 0)
		return -1;
	w->rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(w->id + 1) ^ (uint64_t)clock_now_ms();
	errno = pthread_create(&w->th, NULL, worker_main, w);
	return errno == 0 ? 0 : -1;
}

/* After the thread is joined: give back what the worker allocated. */
void
worker_release(struct worker *w)
{
	struct stream *s;
	struct sconn *sc;

	alog_flush(w, 1);
	buf_release(&w->alog);
	while ((s = w->freestreams) != NULL) {
		w->freestreams = s->fnext;
		free(s->logrec);
		free(s);
	}
	while ((sc = w->freesconns) != NULL) {
		w->freesconns = sc->inext;
		free(sc);
	}
	lbuf_pool_release(&w->bufs);
	for (int i = 0; w->sl != NULL && i < w->cfg->nservers; i++)
		tls_session_free(&w->sl[i].tls_session);
	lpipe_pool_release(&w->pipes);
	if (w->wake.fd >= 0)
		close(w->wake.fd);
	if (w->epfd >= 0)
		close(w->epfd);
	pthread_mutex_destroy(&w->inbox_lock);
	free(w->fet);
	free(w->pt);
	free(w->lists);
	free(w->sl);
	sample_worker_release(w);
	free(w->listeners);
	w->fet = NULL;
	w->pt = NULL;
	w->lists = NULL;
	w->sl = NULL;
	w->listeners = NULL;
}
