/*
 * strtab.h - a capped string interning table (open addressing).
 *
 * Maps byte strings to dense indexes 0..n-1 in insertion order and keeps a
 * 64-bit counter per entry. The strings live in one arena owned by the
 * table. Both the number of entries and the arena have caps set at init: an
 * insert past either fails (-1) and the table stays usable, so callers
 * decide what "full" means (count elsewhere, evict, or fold into "other").
 * strtab_hash() is the hash every brace logs table uses.
 *
 * A table made with strtab_init_mapped() starts the same way but, once it
 * holds STRTAB_MAP_AT entries, moves into one hugemap (core/hugemap.h)
 * reserved at its caps: from then on nothing is copied as it grows, and its
 * pages come 2 MiB at a time where the kernel allows. For the few tables
 * that grow large (the client counters of a big access log).
 */
#ifndef BRACE_LOGS_STRTAB_H
#define BRACE_LOGS_STRTAB_H

#include <stddef.h>
#include <stdint.h>

struct strtab_entry {
	uint64_t hash;
	uint64_t count;
	uint32_t off;           /* into the arena */
	uint32_t len;
};

struct strtab {
	struct strtab_entry *e; /* n used, in insertion order */
	uint32_t *slots;        /* index + 1; 0 = empty */
	size_t n, cap_entries, max_entries;
	size_t nslots;          /* power of two */
	char *arena;
	size_t arena_len, arena_cap, arena_max;
	int mappable;           /* made by strtab_init_mapped */
	char *map;              /* the hugemap once moved into it, or NULL */
	size_t map_len;
};

#define STRTAB_MAP_AT 1024

uint64_t strtab_hash(const void *p, size_t n);
/*
 * A cheaper hash for long strings that mostly differ at the ends (user
 * agents): the length, the first 16 and the last 48 bytes. Equal strings
 * still get equal hashes; the table compares the bytes anyway.
 */
uint64_t strtab_hash_ends(const void *p, size_t n);

/* max_entries and arena_max (bytes) are the caps. */
void strtab_init(struct strtab *t, size_t max_entries, size_t arena_max);
void strtab_init_mapped(struct strtab *t, size_t max_entries, size_t arena_max);
void strtab_release(struct strtab *t);
/* Forget every entry, keep the memory. */
void strtab_reset(struct strtab *t);

/* Index of s (added with count 0 if new); -1 when full or out of memory. */
long strtab_intern(struct strtab *t, const char *s, size_t n, uint64_t hash);
/* Index of s or -1 if absent. */
long strtab_find(const struct strtab *t, const char *s, size_t n, uint64_t hash);
/* The string of entry i (not NUL-terminated; use strtab_len). */
static inline const char *
strtab_str(const struct strtab *t, size_t i)
{
	return t->arena + t->e[i].off;
}

#endif
