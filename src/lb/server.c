/*
 * server.c - see server.h.
 */
#include <stdlib.h>
#include <string.h>

#include "lb/balance.h"
#include "lb/events.h"
#include "lb/server.h"
#include "lb/stream.h"
#include "lb/worker.h"

#define QS_NONE     0
#define QS_WAITING  1
#define QS_ASSIGNED 2

const double server_hist_bounds[LB_HIST_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};

static struct srv_state *srv_states;
static struct pool_state *pool_states;

/* ---- runtime states ---- */

int
server_states_attach(struct lb_config *cfg, char *err)
{
	for (int i = 0; i < cfg->npools; i++) {
		struct pool *p = &cfg->pool[i];
		struct pool_state *ps;

		for (ps = pool_states; ps != NULL; ps = ps->next)
			if (strcmp(ps->name, p->name) == 0)
				break;
		if (ps == NULL) {
			if ((ps = calloc(1, sizeof(*ps))) == NULL) {
				err_set(err, "out of memory");
				return -1;
			}
			snprintf(ps->name, sizeof(ps->name), "%s", p->name);
			pthread_mutex_init(&ps->q.lock, NULL);
			ps->next = pool_states;
			pool_states = ps;
		}
		ps->refs++;
		p->st = ps;
	}
	for (int i = 0; i < cfg->nservers; i++) {
		struct server *sv = &cfg->servers[i];
		struct srv_state *st;

		for (st = srv_states; st != NULL; st = st->next)
			if (strcmp(st->pool, sv->pool->name) == 0 && strcmp(st->name, sv->name) == 0 &&
			    strcmp(st->addr, sv->addr_str) == 0)
				break;
		if (st == NULL) {
			if ((st = calloc(1, sizeof(*st))) == NULL) {
				err_set(err, "out of memory");
				return -1;
			}
			snprintf(st->pool, sizeof(st->pool), "%s", sv->pool->name);
			snprintf(st->name, sizeof(st->name), "%s", sv->name);
			snprintf(st->addr, sizeof(st->addr), "%s", sv->addr_str);
			st->next = srv_states;
			srv_states = st;
		}
		st->refs++;
		sv->st = st;
	}
	return 0;
}

void
server_states_detach(struct lb_config *cfg)
{
	for (int i = 0; i < cfg->nservers; i++)
		if (cfg->servers[i].st != NULL)
			cfg->servers[i].st->refs--;
	for (int i = 0; i < cfg->npools; i++)
		if (cfg->pool[i].st != NULL)
			cfg->pool[i].st->refs--;
	for (struct srv_state **pp = &srv_states; *pp != NULL;) {
		struct srv_state *st = *pp;

		if (st->refs > 0) {
			pp = &st->next;
			continue;
		}
		*pp = st->next;
		free(st);
	}
	for (struct pool_state **pp = &pool_states; *pp != NULL;) {
		struct pool_state *ps = *pp;

		if (ps->refs > 0) {
			pp = &ps->next;
			continue;
		}
		*pp = ps->next;
		pthread_mutex_destroy(&ps->q.lock);
		free(ps);
	}
}

static void
hist_add(_Atomic uint64_t *hist, _Atomic uint64_t *sum, int64_t us)
{
	double sec = (double)us / 1e6;
	int b = 0;

	while (b < LB_HIST_BUCKETS && sec > server_hist_bounds[b])
		b++;
	atomic_fetch_add_explicit(&hist[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(sum, (uint64_t)(us > 0 ? us : 0), memory_order_relaxed);
}

void
server_observe(struct pool *p, int64_t queue_us, int64_t resp_us)
{
	if (queue_us >= 0)
		hist_add(p->st->queue_hist, &p->st->queue_sum_us, queue_us);
	if (resp_us >= 0)
		hist_add(p->st->resp_hist, &p->st->resp_sum_us, resp_us);
}

/* ---- slots and the queue ---- */

int
server_take_slot(struct server *sv)
{
	struct srv_state *st = sv->st;
	int cur;

	if (sv->maxconn == 0) {
		atomic_fetch_add(&st->active, 1);
		return 1;
	}
	cur = atomic_load(&st->active);
	while (cur < sv->maxconn)
		if (atomic_compare_exchange_weak(&st->active, &cur, cur + 1))
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

/*
 * Give free slots to waiters, oldest first. The waiter may belong to another
 * worker, even to another configuration during a reload, so only state shared
 * by all (the servers' counters) is used to choose.
 */
void
server_kick_queue(struct worker *w, struct pool_state *ps)
{
	struct waitq *q = &ps->q;

	pthread_mutex_lock(&q->lock);
	while (q->head != NULL) {
		struct stream *s = q->head;

		if (balance_select_shared(w, s) != 1)
			break;
		q_unlink(q, s);
		handover(w, s);
	}
	pthread_mutex_unlock(&q->lock);
}

void
server_enqueue(struct stream *s)
{
	struct worker *w = s->w;
	struct waitq *q = &s->pool->st->q;

	pthread_mutex_lock(&q->lock);
	s->qprev = q->tail;
	s->qnext = NULL;
	if (q->tail)
		q->tail->qnext = s;
	else
		q->head = s;
	q->tail = s;
	/* the lock is held: no other writer of the peak but the sampler's exchange */
	if (atomic_fetch_add(&q->n, 1) + 1 > atomic_load(&s->pool->st->q_peak))
		atomic_store(&s->pool->st->q_peak, atomic_load(&q->n));
	s->queued_state = QS_WAITING;
	s->flags |= SF_IN_QUEUE;
	/* A slot freed between our first look and now would not have seen us. */
	if (q->head == s && balance_select(w, s) == 1) {
		q_unlink(q, s);
		handover(w, s);
	}
	pthread_mutex_unlock(&q->lock);
}

int
server_dequeue_waiting(struct stream *s)
{
	struct waitq *q = &s->pool->st->q;
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

/* ---- health as requests see it ---- */

int
server_is_up(const struct worker *w, const struct server *sv)
{
	const struct srv_state *st = sv->st;

	return atomic_load_explicit(&st->admin, memory_order_relaxed) == ADM_READY &&
	    !atomic_load_explicit(&st->check_down, memory_order_relaxed) &&
	    atomic_load_explicit(&st->down_until, memory_order_relaxed) <= w->now;
}

int
server_weight(const struct worker *w, const struct server *sv)
{
	/* Weights are used 16 times finer inside, so a slow start can lower
	 * even a weight of 1. */
	int64_t full = (int64_t)sv->weight * 16, ramp = sv->pool->slow_start, since, wt;

	if (ramp <= 0 || full == 0)
		return (int)full;
	since = w->now - atomic_load_explicit(&sv->st->up_since, memory_order_relaxed);
	if (since >= ramp || since < 0)
		return (int)full;
	/* From a tenth of the weight up to all of it. */
	wt = full * (10 + 90 * since / ramp) / 100;
	return wt > 0 ? (int)wt : 1;
}

void
server_note_ok(struct server *sv)
{
	if (atomic_load_explicit(&sv->st->fails, memory_order_relaxed) != 0)
		atomic_store(&sv->st->fails, 0);
}

/* One more bad outcome in a row on sv (what): past passive-fall it goes down. */
static void
passive_mark(struct worker *w, struct server *sv, const char *what)
{
	struct srv_state *st = sv->st;
	struct pool *p = sv->pool;
	int f = atomic_fetch_add(&st->fails, 1) + 1;

	if (p->passive_fall <= 0 || f < p->passive_fall)
		return;
	if (p->check.type != CHECK_NONE) {
		/* The active check will bring it back after rise good checks. */
		if (atomic_exchange(&st->check_down, 1) == 0) {
			atomic_fetch_add(&st->downs, 1);
			events_server(sv, 0, "%s %d times in a row", what, f);
			server_pool_check(p, w->now);
		}
		return;
	}
	/* No check to ask: rest, then let one request try it again. */
	atomic_store(&st->down_until, w->now + p->passive_rest);
	atomic_store(&st->up_since, w->now + p->passive_rest);
	if (f == p->passive_fall) {
		atomic_fetch_add(&st->downs, 1);
		events_server(sv, 0, "%s %d times in a row; resting %lld ms", what, f,
		    (long long)p->passive_rest);
		server_pool_check(p, w->now);
	}
}

void
server_note_fail(struct worker *w, struct server *sv)
{
	atomic_fetch_add(&sv->st->failures, 1);
	passive_mark(w, sv, "requests failed");
}

void
server_note_5xx(struct worker *w, struct server *sv)
{
	passive_mark(w, sv, "answered 5xx");
}

/* ---- the panic threshold ---- */

int
server_pool_health(const struct pool *p, int64_t now, int *total)
{
	int healthy = 0;

	*total = 0;
	for (int i = 0; i < p->nsrv; i++) {
		const struct srv_state *st = p->srv[i]->st;

		/* An operator's drain or disable is no health signal: not counted. */
		if (p->srv[i]->weight == 0 || atomic_load(&st->admin) != ADM_READY)
			continue;
		(*total)++;
		if (!atomic_load(&st->check_down) && atomic_load(&st->down_until) <= now)
			healthy++;
	}
	return healthy;
}

void
server_pool_check(struct pool *p, int64_t now)
{
	int total, healthy = server_pool_health(p, now, &total);
	int want = p->panic_threshold > 0 && total > 0 &&
	    healthy * 100 < p->panic_threshold * total;

	if (atomic_exchange(&p->st->panic, want) == want)
		return;
	if (want)
		atomic_fetch_add(&p->st->panics, 1);
	events_panic(p, want, healthy, total);
}

