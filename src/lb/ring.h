/*
 * ring.h - the consistent hashing ring of a pool (hash-source, hash-uri,
 * hash-header).
 *
 * Each server gets points on a 64-bit ring in proportion to its weight
 * (RING_POINTS_PER_WEIGHT each, RING_MAX_POINTS in all); a key belongs to
 * the first point at or after its hash, wrapping around. A server that goes
 * away takes only its own points with it, so only its own keys move. The
 * ring is built once per configuration (config_finish) and read by every
 * worker without a lock; balance.c walks it with the bounded-load rule.
 *
 * This is configuration-side code: it knows pools and servers, not workers.
 */
#ifndef BRACE_LB_RING_H
#define BRACE_LB_RING_H

#include <stddef.h>
#include <stdint.h>

#define RING_POINTS_PER_WEIGHT 40
#define RING_MAX_POINTS        65536

struct pool;

struct ring_point {
	uint64_t hash;
	int server;             /* index in the pool's srv[] */
};

/*
 * The 64-bit hash of n bytes at p (FNV-1a, then a 64-bit finaliser: FNV
 * alone clusters short keys). The same bytes always give the same hash, in
 * every process: keys keep their server across reloads and restarts.
 */
uint64_t ring_hash(const void *p, size_t n);

/*
 * Build p->ring and p->nring from p's servers and weights, replacing any
 * ring it had (freed). A server of weight 0 gets no point. 0, or -1 with
 * err set when memory is out (p keeps no ring then). The pool owns the
 * ring; config_free() frees it.
 */
int ring_build(struct pool *p, char *err);

/*
 * Where a key of this hash starts on a ring of n points sorted by hash:
 * the index of the first point at or after hash, or n when hash is past
 * the last point (the caller wraps to 0). A binary search, inline because
 * it runs for every hashed request.
 */
static inline int
ring_find(const struct ring_point *ring, int n, uint64_t hash)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (ring[mid].hash < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#endif
