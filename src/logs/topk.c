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
	strtab_init(&k->t, cap, cap * TOPK_ARENA_PER_ITEM);
}

void
topk_release(struct topk *k)
{
	strtab_release(&k->t);
}

static int
cmp_count_desc(const void *a, const void *b)
{
	const struct strtab_entry *x = *(struct strtab_entry *const *)a;
	const struct strtab_entry *y = *(struct strtab_entry *const *)b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return (x > y) - (x < y);
}

/* Keep the larger half; rebuild the table. */
static void
shrink(struct topk *k)
{
	size_t n = k->t.n, keep = n / 2;
	struct strtab_entry **idx = malloc(n * sizeof(*idx));
	struct strtab nt;

	if (idx == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		idx[i] = &k->t.e[i];
	qsort(idx, n, sizeof(*idx), cmp_count_desc);
	strtab_init(&nt, k->cap, k->cap * TOPK_ARENA_PER_ITEM);
	for (size_t i = 0; i < n; i++) {
		long j;

		if (i >= keep) {
			k->dropped += idx[i]->count;
			continue;
		}
		j = strtab_intern(&nt, k->t.arena + idx[i]->off, idx[i]->len, idx[i]->hash);
		if (j >= 0)
			nt.e[j].count = idx[i]->count;
	}
	free(idx);
	strtab_release(&k->t);
	k->t = nt;
	k->approximate = 1;
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

size_t
topk_top(const struct topk *k, struct topk_item *out, size_t max)
{
	size_t n = k->t.n, m;
	struct strtab_entry **idx;

	if (n == 0 || max == 0)
		return 0;
	idx = malloc(n * sizeof(*idx));
	if (idx == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		idx[i] = &k->t.e[i];
	qsort(idx, n, sizeof(*idx), cmp_count_desc);
	m = n < max ? n : max;
	for (size_t i = 0; i < m; i++) {
		out[i].s = k->t.arena + idx[i]->off;
		out[i].len = idx[i]->len;
		out[i].count = idx[i]->count;
	}
	free(idx);
	return m;
}

size_t
topk_size(const struct topk *k)
{
	return k->t.n;
}
