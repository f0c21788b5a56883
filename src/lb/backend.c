/*
 * backend.c - servers: connection slots, the wait queue, idle connections.
 *
 * A server's maxconn is a count of connections serving a request (HTTP) or a
 * session (TCP), kept in an atomic shared by all workers: taking a slot is a
 * compare-and-swap, never a lock. When every eligible server is full, the
 * stream waits in its pool's FIFO queue (a mutex, touched only at
 * saturation). A worker that frees a slot while someone waits hands the slot
 * straight to the head of the queue, through the waiter's worker inbox and
 * eventfd when it belongs to another thread. Both sides change their counter
 * first and then look at the other's (sequentially consistent atomics), so a
 * freed slot and a new waiter can never miss each other.
 *
 * Idle keep-alive connections are kept per worker and per server, most
 * recently used first, and closed after --pool-idle or when the server closes
 * them. They count against maxconn together with the active ones, exactly
 * with one worker; with several, a worker cannot use another's idle
 * connections, so the total can pass maxconn by what other workers hold idle.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "lb/lb.h"

#define QS_NONE     0
#define QS_WAITING  1
#define QS_ASSIGNED 2

int
server_take_slot(struct server *sv)
{
	int cur;

	if (sv->maxconn == 0) {
		atomic_fetch_add(&sv->active, 1);
		return 1;
	}
	cur = atomic_load(&sv->active);
	while (cur < sv->maxconn)
		if (atomic_compare_exchange_weak(&sv->active, &cur, cur + 1))
			return 1;
	return 0;
}

/* Hand s (slot already taken on s->srv) to its own worker. Queue lock held. */
static void
handover(struct worker *w, struct stream *s)
{
	struct worker *owner = s->w;

	s->queued_state = QS_ASSIGNED;
	s->flags |= SF_IN_TRANSIT;
	if (owner == w) {
		s->qnext = w->runq;
		w->runq = s;
		return;
	}
	pthread_mutex_lock(&owner->inbox_lock);
	s->qnext = owner->inbox;
	owner->inbox = s;
	pthread_mutex_unlock(&owner->inbox_lock);
	worker_wake(owner);
}

static void
q_unlink(struct waitq *q, struct stream *s)
{
	if (s->qprev)
		s->qprev->qnext = s->qnext;
	else
		q->head = s->qnext;
	if (s->qnext)
		s->qnext->qprev = s->qprev;
	else
		q->tail = s->qprev;
	s->qnext = s->qprev = NULL;
	atomic_fetch_sub(&q->n, 1);
}

/* Give free slots to waiters, oldest first. */
static void
kick_queue(struct worker *w, struct pool *p)
{
	struct waitq *q = &p->q;

	pthread_mutex_lock(&q->lock);
	while (q->head != NULL) {
		struct stream *s = q->head;

		if (balance_select(w, p, s) != 1)
			break;
		q_unlink(q, s);
		handover(w, s);
	}
	pthread_mutex_unlock(&q->lock);
}

void
server_release(struct worker *w, struct server *sv)
{
	struct pool *p = &w->cfg->pool;

	atomic_fetch_sub(&sv->active, 1);
	if (atomic_load(&p->q.n) > 0)
		kick_queue(w, p);
}

void
backend_enqueue(struct stream *s)
{
	struct worker *w = s->w;
	struct waitq *q = &w->cfg->pool.q;

	pthread_mutex_lock(&q->lock);
	s->qprev = q->tail;
	s->qnext = NULL;
	if (q->tail)
		q->tail->qnext = s;
	else
		q->head = s;
	q->tail = s;
	atomic_fetch_add(&q->n, 1);
	s->queued_state = QS_WAITING;
	s->flags |= SF_IN_QUEUE;
	/* A slot freed between our first look and now would not have seen us. */
	if (q->head == s && balance_select(w, &w->cfg->pool, s) == 1) {
		q_unlink(q, s);
		handover(w, s);
	}
	pthread_mutex_unlock(&q->lock);
}

/*
 * Take s out of the queue. Returns 1 if it was still waiting, 0 if a slot was
 * already handed to it (it is in transit to its worker's run list).
 */
int
backend_dequeue_waiting(struct stream *s)
{
	struct waitq *q = &s->w->cfg->pool.q;
	int was_waiting = 0;

	pthread_mutex_lock(&q->lock);
	if (s->queued_state == QS_WAITING) {
		q_unlink(q, s);
		s->queued_state = QS_NONE;
		s->flags &= ~SF_IN_QUEUE;
		was_waiting = 1;
	}
	pthread_mutex_unlock(&q->lock);
	return was_waiting;
}

int
server_is_up(const struct worker *w, const struct server *sv)
{
	return atomic_load_explicit(&sv->down_until, memory_order_relaxed) <= w->now;
}

void
server_note_ok(struct server *sv)
{
	if (atomic_load_explicit(&sv->fails, memory_order_relaxed) != 0)
		atomic_store(&sv->fails, 0);
}

void
server_note_fail(struct worker *w, struct server *sv)
{
	int f = atomic_fetch_add(&sv->fails, 1) + 1;

	atomic_fetch_add(&sv->failures, 1);
	if (f == w->cfg->fall) {
		atomic_store(&sv->down_until, w->now + w->cfg->t_down);
		log_warn("server %s (%s) marked down after %d consecutive failures",
		    sv->name, sv->addr_str, f);
	} else if (f > w->cfg->fall) {
		/* A trial after the rest failed again: another rest. */
		atomic_store(&sv->down_until, w->now + w->cfg->t_down);
	}
}

/* ---- server connections ---- */

static void
idle_unlink(struct worker *w, struct sconn *sc)
{
	struct srv_local *sl = &w->sl[sc->srv->index];

	if (sc->iprev)
		sc->iprev->inext = sc->inext;
	else
		sl->idle = sc->inext;
	if (sc->inext)
		sc->inext->iprev = sc->iprev;
	sc->inext = sc->iprev = NULL;
	sl->nidle--;
	atomic_fetch_sub(&sc->srv->idle, 1);
}

void
sconn_close(struct worker *w, struct sconn *sc)
{
	if (sc->c.fd < 0)
		return;
	if (sc->s == NULL)
		idle_unlink(w, sc);
	timer_disarm(&sc->tmr);
	close(sc->c.fd);
	sc->c.fd = -1;
	sc->s = NULL;
	sc->inext = w->dead_sconns;
	w->dead_sconns = sc;
}

void
sconn_idle_timeout(struct sconn *sc)
{
	struct worker *w = sc->w;

	sconn_close(w, sc);
}

void
sconn_event(struct sconn *sc)
{
	if (sc->s != NULL) {
		stream_run(sc->s);
		return;
	}
	/* Idle: the server closed it, or sent something nobody asked for. */
	if (sc->c.ready & (RD_IN | RD_HUP))
		sconn_close(sc->w, sc);
}

/* Is an idle connection still open? One recv(MSG_PEEK); used before risking
 * a request that must not be retried. */
static int
sconn_alive(struct sconn *sc)
{
	char c;
	ssize_t n = recv(sc->c.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static struct sconn *
sconn_new(struct worker *w, struct server *sv)
{
	struct sconn *sc = w->freesconns;
	int fd, one = 1;

	fd = socket(sv->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (sc != NULL)
		w->freesconns = sc->inext;
	else if ((sc = malloc(sizeof(*sc))) == NULL) {
		close(fd);
		return NULL;
	}
	memset(sc, 0, sizeof(*sc));
	sc->c.fd = fd;
	sc->c.type = LC_SERVER;
	sc->srv = sv;
	sc->w = w;
	timer_init(&sc->tmr, TK_SCONN_IDLE);
	if (connect(fd, (struct sockaddr *)&sv->addr, sv->addrlen) < 0) {
		if (errno != EINPROGRESS) {
			int e = errno;

			close(fd);
			sc->c.fd = -1;
			sc->inext = w->freesconns;
			w->freesconns = sc;
			errno = e;
			return NULL;
		}
		sc->connecting = 1;
	} else {
		sc->c.ready = RD_OUT;
	}
	if (worker_watch(w, &sc->c) < 0) {
		int e = errno;

		close(fd);
		sc->c.fd = -1;
		sc->inext = w->freesconns;
		w->freesconns = sc;
		errno = e;
		return NULL;
	}
	return sc;
}

int
backend_attach(struct stream *s)
{
	struct worker *w = s->w;
	struct server *sv = s->srv;
	struct srv_local *sl = &w->sl[sv->index];
	struct sconn *sc;

	while (!(s->flags & SF_FRESH) && (sc = sl->idle) != NULL) {
		idle_unlink(w, sc);
		timer_disarm(&sc->tmr);
		if ((sc->c.ready & (RD_IN | RD_HUP)) ||
		    (!(s->flags & SF_IDEMPOTENT) && !sconn_alive(sc))) {
			sc->s = s;      /* not idle any more: close without unlinking */
			sconn_close(w, sc);
			continue;
		}
		sc->s = s;
		sc->reused = 1;
		s->sc = sc;
		return 0;
	}
	s->flags &= ~SF_FRESH;
	if ((sc = sconn_new(w, sv)) == NULL)
		return -1;
	sc->s = s;
	s->sc = sc;
	return 0;
}

void
backend_detach(struct stream *s, int reusable)
{
	struct worker *w = s->w;
	struct sconn *sc = s->sc;
	struct server *sv = s->srv;

	s->sc = NULL;
	if (sc != NULL) {
		struct srv_local *sl = &w->sl[sc->srv->index];

		if (reusable && !w->stopping && sl->nidle < w->cfg->pool_max_idle &&
		    !(sc->c.ready & (RD_IN | RD_HUP)) &&
		    (sc->srv->maxconn == 0 ||
		    atomic_load(&sc->srv->active) + atomic_load(&sc->srv->idle) <=
		    sc->srv->maxconn)) {
			sc->s = NULL;
			sc->iprev = NULL;
			sc->inext = sl->idle;
			if (sl->idle)
				sl->idle->iprev = sc;
			sl->idle = sc;
			sl->nidle++;
			atomic_fetch_add(&sc->srv->idle, 1);
			sc->idle_since = w->now;
			worker_arm(w, &sc->tmr, &w->t_idle);
		} else {
			sconn_close(w, sc);
		}
	}
	if (sv != NULL) {
		s->srv = NULL;
		server_release(w, sv);
	}
}
