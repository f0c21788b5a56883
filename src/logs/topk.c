/*
 * topk.c - see topk.h.
 */
#include <stdlib.h>
#include <string.h>

#include "logs/topk.h"

#define TOPK_ARENA_PER_ITEM 256

void
topk_init(struct topk *k, size_t cap)
{
	memset(k, 0, sizeof(*k));
	k->cap = cap;
	strtab_init_mapped(&k->t, cap, cap * TOPK_ARENA_PER_ITEM);
}

void
topk_release(struct topk *k)
{
	strtab_release(&k->t);
}

/*
 * Entry indexes descending by count, ties by the strings' bytes: the order
 * cannot depend on which thread counted what first.
 */
static int
cmp_count_desc(const void *a, const void *b, void *arg)
{
	const struct strtab *t = arg;
	const struct strtab_entry *x = &t->e[*(const uint32_t *)a], *y = &t->e[*(const uint32_t *)b];
	int c;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	c = memcmp(t->arena + x->off, t->arena + y->off, x->len < y->len ? x->len : y->len);
	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/* The indexes of k's entries in cmp_count_desc order (caller frees), or NULL. */
static uint32_t *
sorted(const struct topk *k)
{
	uint32_t *idx = malloc((k->t.n ? k->t.n : 1) * sizeof(*idx));

	if (idx == NULL)
		return NULL;
	for (size_t i = 0; i < k->t.n; i++)
		idx[i] = (uint32_t)i;
	qsort_r(idx, k->t.n, sizeof(*idx), cmp_count_desc, (void *)&k->t);
	return idx;
}

/* Keep the larger half; rebuild the table. */
static void
shrink(struct topk *k)
{
	size_t n = k->t.n, keep = n / 2;
	uint32_t *idx = sorted(k);
	struct strtab nt;

	if (idx == NULL)
		return;
	strtab_init_mapped(&nt, k->cap, k->cap * TOPK_ARENA_PER_ITEM);
	for (size_t i = 0; i < n; i++) {
		const struct strtab_entry *e = &k->t.e[idx[i]];
		long j;

		if (i >= keep) {
			k->dropped += e->count;
			continue;
		}
		j = strtab_intern(&nt, k->t.arena + e->off, e->len, e->hash);
		if (j >= 0)
			nt.e[j].count = e->count;
	}
	free(idx);
	strtab_release(&k->t);
	k->t = nt;
	k->approximate = 1;
}

void
topk_reset(struct topk *k)
{
	strtab_reset(&k->t);
	k->total = k->dropped = 0;
	k->approximate = 0;
}

void
topk_merge(struct topk *into, struct topk *from)
{
	if (into->t.n == 0 && into->total == 0 && into->cap == from->cap) {
		/* nothing counted here yet: take from's table as it is */
		struct topk t = *into;

		*into = *from;
		*from = t;
		return;
	}
	topk_add_counted(into, &from->t);
	into->total += from->dropped;
	into->dropped += from->dropped;
	into->approximate |= from->approximate;
	topk_reset(from);
}

void
topk_add(struct topk *k, const char *s, size_t len, uint64_t hash, uint64_t n)
{
	long i;

	if (len > TOPK_ARENA_PER_ITEM)
		len = TOPK_ARENA_PER_ITEM;	/* the hash still covers the whole string */
	k->total += n;
	i = strtab_intern(&k->t, s, len, hash);
	if (i < 0) {
		shrink(k);
		i = strtab_intern(&k->t, s, len, hash);
		if (i < 0) {
			k->dropped += n;
			return;
		}
	}
	k->t.e[i].count += n;
}

void
topk_add_counted(struct topk *k, const struct strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].count > 0)
			topk_add(k, strtab_str(t, i), t->e[i].len, t->e[i].hash, t->e[i].count);
}

/* Sift entry idx[i] down a heap whose root is the worst kept (cmp_count_desc). */
static void
sift(uint32_t *h, size_t n, size_t i, const struct strtab *t)
{
	for (;;) {
		size_t c = 2 * i + 1, w = i;
		uint32_t x;

		if (c < n && cmp_count_desc(&h[c], &h[w], (void *)t) > 0)
			w = c;
		if (c + 1 < n && cmp_count_desc(&h[c + 1], &h[w], (void *)t) > 0)
			w = c + 1;
		if (w == i)
			return;
		x = h[i];
		h[i] = h[w];
		h[w] = x;
		i = w;
	}
}

size_t
topk_top(const struct topk *k, struct topk_item *out, size_t max)
{
	uint32_t *idx;
	size_t m;

	if (k->t.n == 0 || max == 0)
		return 0;
	if (max >= k->t.n) {
		if ((idx = sorted(k)) == NULL)
			return 0;
		m = k->t.n;
	} else {
		/* the best max in a heap of max, then those sorted: not all n */
		if ((idx = malloc(max * sizeof(*idx))) == NULL)
			return 0;
		for (size_t i = 0; i < max; i++)
			idx[i] = (uint32_t)i;
		for (size_t i = max / 2; i-- > 0;)
			sift(idx, max, i, &k->t);
		for (size_t i = max; i < k->t.n; i++) {
			uint32_t c = (uint32_t)i;

			if (cmp_count_desc(&c, &idx[0], (void *)&k->t) < 0) {
				idx[0] = c;
				sift(idx, max, 0, &k->t);
			}
		}
		qsort_r(idx, max, sizeof(*idx), cmp_count_desc, (void *)&k->t);
		m = max;
	}
	for (size_t i = 0; i < m; i++) {
		out[i].s = strtab_str(&k->t, idx[i]);
		out[i].len = k->t.e[idx[i]].len;
		out[i].count = k->t.e[idx[i]].count;
	}
	free(idx);
	return m;
}

size_t
topk_size(const struct topk *k)
{
	return k->t.n;
}
