/*
 * conns_tally.c - see conns_tally.h. A linear search: a breakdown has at
 * most CONNS_TALLY_MAX keys and is filled once per sample.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conns/conns_tally.h"

void
conns_tally_add(struct conns_tally *t, const char *key, int64_t n)
{
	char k[CONNS_KEY_LEN];

	snprintf(k, sizeof(k), "%s", key);
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->item[i].key, k) == 0) {
			t->item[i].count += n;
			return;
		}
	}
	if (t->n == CONNS_TALLY_MAX) {
		t->other += n;
		return;
	}
	memcpy(t->item[t->n].key, k, sizeof(k));
	t->item[t->n].count = n;
	t->n++;
}

int64_t
conns_tally_get(const struct conns_tally *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->item[i].key, key) == 0)
			return t->item[i].count;
	return 0;
}

static int
by_count_then_key(const void *a, const void *b)
{
	const struct conns_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->key, y->key);
}

void
conns_tally_sort(struct conns_tally *t)
{
	qsort(t->item, t->n, sizeof(t->item[0]), by_count_then_key);
}
