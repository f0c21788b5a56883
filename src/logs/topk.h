/*
 * topk.h - counting the most frequent strings with a memory cap.
 *
 * Exact while there are at most `cap` distinct strings; past that, when the
 * table is full, the half with the smallest counts is dropped (their counts
 * go to `dropped`) and counting goes on, so the heavy hitters (top clients,
 * user agents) stay and their counts are lower bounds. The string arena is
 * capped too.
 */
#ifndef BRACE_LOGS_TOPK_H
#define BRACE_LOGS_TOPK_H

#include <stddef.h>
#include <stdint.h>

#include "logs/strtab.h"

struct topk {
	struct strtab t;
	size_t cap;
	uint64_t total, dropped;
	int approximate;        /* 1 once something was dropped */
};

struct topk_item {
	const char *s;
	size_t len;
	uint64_t count;
};

void topk_init(struct topk *k, size_t cap);
void topk_release(struct topk *k);
/* Add n occurrences of s (len bytes, hash: any hash of the bytes, the same for equal strings). */
void topk_add(struct topk *k, const char *s, size_t len, uint64_t hash, uint64_t n);
/* Add every string of t with a count above 0, that many times each. */
void topk_add_counted(struct topk *k, const struct strtab *t);
/*
 * Add everything from counted into into (what from dropped stays dropped);
 * from is left empty.
 */
void topk_merge(struct topk *into, struct topk *from);
/* Forget every count, keep the memory. */
void topk_reset(struct topk *k);
/*
 * The top max items by count (ties in byte order of the strings), into out
 * (caller-owned array of max). Returns how many. Strings stay valid until
 * the next add.
 */
size_t topk_top(const struct topk *k, struct topk_item *out, size_t max);
/* Number of distinct strings currently held. */
size_t topk_size(const struct topk *k);

#endif
