/*
 * balance.c - choosing a server for a request or connection.
 *
 *   roundrobin   smooth weighted round robin (the interleaving nginx uses:
 *                each pick adds every weight to its server's current value,
 *                takes the largest and subtracts the total from it)
 *   leastconn    fewest active connections relative to weight
 *   random2      two random servers (by weight), the less loaded of the two
 *   hash-*       consistent hashing on a ring of points per server, with
 *                bounded load: a server already above 1.25 x the average load
 *                passes the key on to the next point, so one hot key cannot
 *                drown a server
 *
 * Every choice skips servers that are down, drained or already tried for
 * this request, and takes a slot on the chosen server (server_take_slot); a
 * full server is skipped. Weights are lowered during a slow start. Round-
 * robin state is per worker, so the hot path shares nothing but the servers'
 * atomic counters. A request leaving the wait queue is placed by least
 * connections (balance_select_shared), which needs no worker's state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "lb/lb.h"

#define RING_POINTS_PER_WEIGHT 40
#define RING_MAX_POINTS        65536
#define LOAD_FACTOR_NUM        5       /* bounded load c = 5/4 */
#define LOAD_FACTOR_DEN        4

uint64_t
balance_hash(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	/* FNV alone clusters short keys; finish with a 64-bit mix. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static int
point_cmp(const void *a, const void *b)
{
	const struct hash_point *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

int
balance_build_ring(struct pool *p, char *err)
{
	int total = 0, n = 0;

	for (int i = 0; i < p->nsrv; i++)
		total += p->srv[i]->weight * RING_POINTS_PER_WEIGHT;
	if (total > RING_MAX_POINTS)
		total = RING_MAX_POINTS;
	free(p->ring);
	p->ring = calloc((size_t)total, sizeof(*p->ring));
	if (p->ring == NULL) {
		err_set(err, "out of memory for the hash ring");
		return -1;
	}
	for (int i = 0; i < p->nsrv && n < total; i++) {
		for (int k = 0; k < p->srv[i]->weight * RING_POINTS_PER_WEIGHT && n < total; k++) {
			char key[LB_NAME_LEN + 16];
			int len = snprintf(key, sizeof(key), "%s#%d", p->srv[i]->name, k);

			p->ring[n].hash = balance_hash(key, (size_t)len);
			p->ring[n].server = i;
			n++;
		}
	}
	qsort(p->ring, (size_t)n, sizeof(*p->ring), point_cmp);
	p->nring = n;
	return 0;
}

static inline int
tried(const struct stream *s, int i)
{
	return (int)((s->tried[i / 64] >> (i % 64)) & 1);
}

static inline int
eligible(struct worker *w, const struct stream *s, const struct server *sv)
{
	return sv->weight > 0 && server_is_up(w, sv) && !tried(s, sv->index);
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
	int lo = 0, hi = p->nring, n_up = 0;
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
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (p->ring[mid].hash < s->hash)
			lo = mid + 1;
		else
			hi = mid;
	}
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
