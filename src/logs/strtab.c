/*
 * strtab.c - see strtab.h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/hugemap.h"
#include "logs/strtab.h"

/*
 * One multiply per 8 bytes and a full mix at the end: the hot tables hash
 * every client address and user agent of an access log.
 */
uint64_t
strtab_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)n * 0xff51afd7ed558ccdULL);

	while (n >= 8) {
		uint64_t v;

		memcpy(&v, s, 8);
		h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	if (n > 0) {
		uint64_t v = 0;

		memcpy(&v, s, n);
		h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
	}
	return hash_mix64(h);
}

uint64_t
strtab_hash_ends(const void *p, size_t n)
{
	const unsigned char *s = p;

	if (n <= 64)
		return strtab_hash(p, n);
	return strtab_hash(s, 16) ^ (strtab_hash(s + n - 48, 48) * 31) ^ (uint64_t)n;
}

void
strtab_init(struct strtab *t, size_t max_entries, size_t arena_max)
{
	memset(t, 0, sizeof(*t));
	t->max_entries = max_entries;
	t->arena_max = arena_max;
}

void
strtab_init_mapped(struct strtab *t, size_t max_entries, size_t arena_max)
{
	strtab_init(t, max_entries, arena_max);
	t->mappable = 1;
}

void
strtab_release(struct strtab *t)
{
	if (t->map != NULL) {
		hugemap_free(t->map, t->map_len);
		t->map = NULL;
	} else {
		free(t->e);
		free(t->slots);
		free(t->arena);
	}
	t->e = NULL;
	t->slots = NULL;
	t->arena = NULL;
	t->n = t->cap_entries = t->nslots = t->arena_len = t->arena_cap = 0;
}

void
strtab_reset(struct strtab *t)
{
	if (t->slots != NULL && t->n > 0)
		memset(t->slots, 0, t->nslots * sizeof(*t->slots));
	t->n = 0;
	t->arena_len = 0;
}

/* Slots enough for max_entries at the load grow_slots keeps (half). */
static size_t
max_slots(const struct strtab *t)
{
	size_t ns = 64;

	while (ns < 2 * t->max_entries)
		ns *= 2;
	return ns;
}

/*
 * In a hugemap the slots take turns between two areas of max_slots(): a
 * doubling rehashes from one into the other, whose pages are mostly
 * touched already.
 */
static uint32_t *
map_slots(struct strtab *t, size_t ns)
{
	uint32_t *a = (uint32_t *)t->map, *b = a + max_slots(t);
	uint32_t *s = t->slots == a ? b : a;

	memset(s, 0, ns * sizeof(*s));
	return s;
}

/*
 * Move the table into a hugemap reserved at its caps: the slots' two
 * areas, then the entries, then the arena. -1 when the address space
 * cannot be had; the table is then left as it was.
 */
static int
move_to_map(struct strtab *t)
{
	size_t sl = max_slots(t) * sizeof(uint32_t);
	size_t el = t->max_entries * sizeof(struct strtab_entry);
	size_t len = 2 * sl + el + t->arena_max;
	char *m = hugemap_new(len);

	if (m == NULL)
		return -1;
	memcpy(m, t->slots, t->nslots * sizeof(*t->slots));
	memcpy(m + 2 * sl, t->e, t->n * sizeof(*t->e));
	memcpy(m + 2 * sl + el, t->arena, t->arena_len);
	free(t->slots);
	free(t->e);
	free(t->arena);
	t->map = m;
	t->map_len = len;
	t->slots = (uint32_t *)m;
	t->e = (struct strtab_entry *)(m + 2 * sl);
	t->arena = m + 2 * sl + el;
	t->cap_entries = t->max_entries;
	t->arena_cap = t->arena_max;
	return 0;
}

static int
grow_slots(struct strtab *t)
{
	size_t ns = t->nslots ? t->nslots * 2 : 64;
	uint32_t *s = t->map != NULL ? map_slots(t, ns) : calloc(ns, sizeof(*s));

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		size_t j = t->e[i].hash & (ns - 1);

		while (s[j] != 0)
			j = (j + 1) & (ns - 1);
		s[j] = (uint32_t)(i + 1);
	}
	if (t->map == NULL)
		free(t->slots);
	t->slots = s;
	t->nslots = ns;
	return 0;
}

long
strtab_find(const struct strtab *t, const char *s, size_t n, uint64_t hash)
{
	size_t j;

	if (t->nslots == 0)
		return -1;
	for (j = hash & (t->nslots - 1); t->slots[j] != 0; j = (j + 1) & (t->nslots - 1)) {
		const struct strtab_entry *e = &t->e[t->slots[j] - 1];

		if (e->hash == hash && e->len == n && memcmp(t->arena + e->off, s, n) == 0)
			return (long)(t->slots[j] - 1);
	}
	return -1;
}

long
strtab_intern(struct strtab *t, const char *s, size_t n, uint64_t hash)
{
	struct strtab_entry *e;
	long i = strtab_find(t, s, n, hash);
	size_t j;

	if (i >= 0)
		return i;
	if (t->n >= t->max_entries || n > UINT32_MAX || t->arena_len + n > t->arena_max)
		return -1;
	/* a hugemap, when the address space is there; else on as before */
	if (t->mappable && t->map == NULL && t->n >= STRTAB_MAP_AT && t->n == t->cap_entries)
		t->mappable = move_to_map(t) == 0;
	if ((t->n + 1) * 2 > t->nslots && grow_slots(t) < 0)
		return -1;
	if (t->n == t->cap_entries) {
		size_t nc = t->cap_entries ? t->cap_entries * 2 : 32;

		e = realloc(t->e, nc * sizeof(*e));
		if (e == NULL)
			return -1;
		t->e = e;
		t->cap_entries = nc;
	}
	if (t->arena_len + n > t->arena_cap) {
		size_t nc = t->arena_cap ? t->arena_cap * 2 : 4096;
		char *a;

		while (nc < t->arena_len + n)
			nc *= 2;
		if (nc > t->arena_max)
			nc = t->arena_max;
		a = realloc(t->arena, nc ? nc : 1);
		if (a == NULL)
			return -1;
		t->arena = a;
		t->arena_cap = nc;
	}
	if (n > 0)
		memcpy(t->arena + t->arena_len, s, n);
	e = &t->e[t->n];
	e->hash = hash;
	e->count = 0;
	e->off = (uint32_t)t->arena_len;
	e->len = (uint32_t)n;
	t->arena_len += n;
	for (j = hash & (t->nslots - 1); t->slots[j] != 0; j = (j + 1) & (t->nslots - 1))
		;
	t->slots[j] = (uint32_t)(t->n + 1);
	return (long)t->n++;
}
