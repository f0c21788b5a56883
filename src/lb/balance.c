/*
 * balance.c - see balance.h.
 *
 * A request leaving the wait queue is placed by least connections
 * (balance_select_shared), which needs no worker's state: the worker handing
 * out the slot may not be the stream's.
 */
#include <stdatomic.h>
#include <stdint.h>

#include "lb/balance.h"
#include "lb/ring.h"
#include "lb/server.h"
#include "lb/stream.h"
#include "lb/worker.h"

#define LOAD_FACTOR_NUM        5       /* bounded load c = 5/4 */
#define LOAD_FACTOR_DEN        4

static inline int
tried(const struct stream *s, int i)
{
	return (int)((s->tried[i / 64] >> (i % 64)) & 1);
}

/*
 * May sv take s? In panic (too few healthy servers) health is ignored, but
 * not what an operator said.
 */
static inline int
eligible(struct worker *w, const struct stream *s, const struct server *sv)
{
	return sv->weight > 0 && !tried(s, sv->index) && (server_pool_panic(sv->pool) ?
	    atomic_load_explicit(&sv->st->admin, memory_order_relaxed) == ADM_READY :
	    server_is_up(w, sv));
}

static inline int
active(const struct server *sv)
{
	return atomic_load_explicit(&sv->st->active, memory_order_relaxed);
}

static uint64_t
rng_next(struct worker *w)
{
	/* xorshift64* */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 0x2545f4914f6cdd1dULL;
}

static int
pick_roundrobin(struct worker *w, struct pool *p, struct stream *s, int *any)
{
	uint64_t full[LB_MAX_SERVERS / 64] = { 0 };

	for (int attempt = 0; attempt < p->nsrv; attempt++) {
		struct server *best = NULL;
		int64_t total = 0;

		for (int i = 0; i < p->nsrv; i++) {
			struct server *sv = p->srv[i];
			struct srv_local *sl = &w->sl[sv->index];
			int wt;

			if (!eligible(w, s, sv))
				continue;
			*any = 1;
			if ((full[i / 64] >> (i % 64)) & 1)
				continue;
			wt = server_weight(w, sv);
			sl->cw += wt;
			total += wt;
			if (best == NULL || sl->cw > w->sl[best->index].cw)
				best = sv;
		}
		if (best == NULL)
			return 0;
		w->sl[best->index].cw -= total;
		if (server_take_slot(best)) {
			s->srv = best;
			return 1;
		}
		for (int i = 0; i < p->nsrv; i++)
			if (p->srv[i] == best)
				full[i / 64] |= 1ULL << (i % 64);
	}
	return 0;
}

/* a is less loaded than b (active connections per unit of weight)? */
static inline int
lighter(struct worker *w, const struct server *a, const struct server *b)
{
	return (int64_t)active(a) * server_weight(w, b) < (int64_t)active(b) * server_weight(w, a);
}

static inline int
has_room(const struct server *sv)
{
	return sv->maxconn == 0 || active(sv) < sv->maxconn;
}

static int
pick_leastconn(struct worker *w, struct pool *p, struct stream *s, int *any)
{
	/* Rotate the starting point so ties spread instead of piling on server 0. */
	int start = (int)(rng_next(w) % (uint64_t)p->nsrv);

	for (int attempt = 0; attempt < 4; attempt++) {
		struct server *best = NULL;

		for (int k = 0; k < p->nsrv; k++) {
			struct server *sv = p->srv[(start + k) % p->nsrv];

			if (!eligible(w, s, sv))
				continue;
			*any = 1;
			if (has_room(sv) && (best == NULL || lighter(w, sv, best)))
				best = sv;
		}
		if (best == NULL)
			return 0;
		if (server_take_slot(best)) {
			s->srv = best;
			return 1;
		}
	}
	return 0;
}

static struct server *
weighted_random(struct worker *w, struct pool *p, struct stream *s, int total)
{
	int64_t r = (int64_t)(rng_next(w) % (uint64_t)total);

	for (int i = 0; i < p->nsrv; i++) {
		struct server *sv = p->srv[i];

		if (!eligible(w, s, sv) || !has_room(sv))
			continue;
		if ((r -= server_weight(w, sv)) < 0)
			return sv;
	}
	return NULL;
}

static int
pick_random2(struct worker *w, struct pool *p, struct stream *s, int *any)
{
	int total = 0;
	struct server *a, *b;

	for (int i = 0; i < p->nsrv; i++) {
		if (!eligible(w, s, p->srv[i]))
			continue;
		*any = 1;
		if (has_room(p->srv[i]))
			total += server_weight(w, p->srv[i]);
	}
	if (total == 0)
		return 0;
	a = weighted_random(w, p, s, total);
	b = weighted_random(w, p, s, total);
	if (a != NULL && b != NULL && lighter(w, b, a))
		a = b;
	if (a != NULL && server_take_slot(a)) {
		s->srv = a;
		return 1;
	}
	return pick_leastconn(w, p, s, any);
}

static int
pick_hash(struct worker *w, struct pool *p, struct stream *s, int *any)
{
	int lo, n_up = 0;
	int64_t load = 0, limit;

	for (int i = 0; i < p->nsrv; i++) {
		if (!eligible(w, s, p->srv[i]))
			continue;
		n_up++;
		load += active(p->srv[i]);
	}
	if (n_up == 0 || p->nring == 0)
		return 0;
	*any = 1;
	/*
	 * ceil(c * (load + 1) / n), but never below 2: at near-zero load the
	 * bound would push a key on because of one request just finishing.
	 */
	limit = ((load + 1) * LOAD_FACTOR_NUM + (int64_t)n_up * LOAD_FACTOR_DEN - 1) /
	    ((int64_t)n_up * LOAD_FACTOR_DEN);
	if (limit < 2)
		limit = 2;
	lo = ring_find(p->ring, p->nring, s->hash);
	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < p->nring; k++) {
			struct server *sv = p->srv[p->ring[(lo + k) % p->nring].server];

			if (!eligible(w, s, sv))
				continue;
			if (pass == 0 && active(sv) >= limit)
				continue;
			if (server_take_slot(sv)) {
				s->srv = sv;
				return 1;
			}
		}
	}
	return 0;
}

int
balance_select(struct worker *w, struct stream *s)
{
	struct pool *p = s->pool;
	int any = 0, rc;

	switch (p->balance) {
	case BAL_LEASTCONN:
		rc = pick_leastconn(w, p, s, &any);
		break;
	case BAL_RANDOM2:
		rc = pick_random2(w, p, s, &any);
		break;
	case BAL_HASH_SOURCE:
	case BAL_HASH_URI:
	case BAL_HASH_HEADER:
		if (s->flags & SF_HASHED) {
			rc = pick_hash(w, p, s, &any);
			break;
		}
		/* no key (the header is missing): spread evenly */
		/* FALLTHROUGH */
	default:
		rc = pick_roundrobin(w, p, s, &any);
		break;
	}
	if (rc == 1) {
		atomic_fetch_add_explicit(&s->srv->st->requests, 1, memory_order_relaxed);
		return 1;
	}
	return any ? 0 : -1;
}

int
balance_select_shared(struct worker *w, struct stream *s)
{
	int any = 0;

	if (pick_leastconn(w, s->pool, s, &any) == 1) {
		atomic_fetch_add_explicit(&s->srv->st->requests, 1, memory_order_relaxed);
		return 1;
	}
	return any ? 0 : -1;
}
