/*
 * miner.h - the online template miner (Drain family).
 *
 * Input is a masked key (mask.h: tokens joined by single spaces). A key seen
 * before goes straight to its template through a hash cache. A new key is
 * compared with the templates of the same token count and the same first
 * token (Drain's fixed-depth prefix tree, with depth two); the most similar
 * one (share of equal non-variable tokens) takes it when the similarity
 * reaches the threshold, and the positions that differ become "<*>".
 * Otherwise the key starts a new template.
 *
 * Memory is bounded: at most max_templates templates (past it a new key
 * joins its most similar template whatever the similarity, or the overflow
 * template, id 0) and at most MINER_MAX_KEYS cached keys (past it new keys
 * are matched through the tree every time, which is slower but no larger).
 * In exact mode (access logs, whose keys are already templates) every key
 * is its own template.
 */
#ifndef BRACE_LOGS_MINER_H
#define BRACE_LOGS_MINER_H

#include <stddef.h>
#include <stdint.h>

#define MINER_OVERFLOW 0
#define MINER_MAX_KEYS (1u << 20)

typedef struct miner miner;

struct miner_opts {
	double similarity;      /* 0..1, default MINER_DEFAULT_SIMILARITY */
	size_t max_templates;   /* default 10000 */
	int exact;              /* no generalisation: one template per key */
};

#define MINER_DEFAULT_SIMILARITY 0.5

miner *miner_new(const struct miner_opts *o);
void miner_free(miner *m);

/* The template id (1..) for a key of len bytes with hash strtab_hash(key). */
int miner_add(miner *m, const char *key, size_t len, uint64_t hash);
/*
 * Templates can merge later (when a position turns out to be variable): the
 * id a key got earlier may then stand for another one. miner_resolve()
 * gives the current id; miner_next_merge() hands out each merge once
 * (from, to), so that statistics kept per id can follow. 1 while there are.
 */
int miner_resolve(const miner *m, int id);
int miner_next_merge(miner *m, int *from, int *to);
/* Number of ids in use, counting the overflow id 0 (so ids are < this). */
size_t miner_size(const miner *m);
/* The template text of id, valid until the next miner_add(). */
const char *miner_template(miner *m, int id);

#endif
