/*
 * ring.c - see ring.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/hash.h"
#include "lb/config.h"
#include "lb/ring.h"

uint64_t
ring_hash(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return hash_mix64(h);
}

static int
point_cmp(const void *a, const void *b)
{
	const struct ring_point *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

int
ring_build(struct pool *p, char *err)
{
	int total = 0, n = 0;

	for (int i = 0; i < p->nsrv; i++)
		total += p->srv[i]->weight * RING_POINTS_PER_WEIGHT;
	if (total > RING_MAX_POINTS)
		total = RING_MAX_POINTS;
	free(p->ring);
	p->nring = 0;
	p->ring = calloc((size_t)(total > 0 ? total : 1), sizeof(*p->ring));
	if (p->ring == NULL) {
		err_set(err, "out of memory for the hash ring");
		return -1;
	}
	for (int i = 0; i < p->nsrv && n < total; i++) {
		for (int k = 0; k < p->srv[i]->weight * RING_POINTS_PER_WEIGHT && n < total; k++) {
			char key[LB_NAME_LEN + 16];
			int len = snprintf(key, sizeof(key), "%s#%d", p->srv[i]->name, k);

			p->ring[n].hash = ring_hash(key, (size_t)len);
			p->ring[n].server = i;
			n++;
		}
	}
	qsort(p->ring, (size_t)n, sizeof(*p->ring), point_cmp);
	p->nring = n;
	return 0;
}
