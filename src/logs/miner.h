/*
 * miner.h - the online template miner.
 *
 * Input is a masked key (mask.h: tokens joined by single spaces, the
 * obvious variables already "<*>"). A key seen before goes straight to its
 * template through a hash cache; only new keys are mined.
 *
 * A key is read as a skeleton: its words and symbols in order, with the
 * runs of tokens that are variables only ("<*>", "(<*>)", "<*>,") between
 * them as gaps. Keys with the same skeleton are one template whatever their
 * gaps hold: a gap whose contents differ becomes one "<*>", however many
 * tokens it spans ("<*> bytes sent" and "<*> bytes (<*>) sent" are one
 * event). Nothing is keyed on the first token or on the token count.
 *
 * Templates whose skeletons differ in words are different events until
 * evidence says otherwise. Two templates that share their words but for one
 * stretch in the middle (a word, or up to MINER_MAX_SPAN of them) are
 * siblings of one pattern: "Invalid user alice from <*>", "Invalid user bob
 * from <*>" are siblings of "Invalid user * from <*>". Only real words
 * (holding a letter; never a masked token or a symbol) count as shared, at
 * least one and at least a share `similarity` of each template's words. A
 * pattern becomes a variable when its siblings' values are many relative to
 * the lines they cover: at least var_min distinct values, and at least
 * var_log * log2(lines) of them, so that three events seen a thousand times
 * ("disk attached", "disk detached", "disk resized") stay three while user
 * names seen a few times each merge. Templates that differ only in the
 * values of keys ("user=alice", "user=bob") or in quoted strings form a
 * family, decided on the same evidence one key at a time: the keys whose
 * values pass become variables, the members that agree on the others
 * merge (many pods, two event types: two templates).
 * A word holding a masked part where the other template has a variable
 * ("unknown[<*>]" and "<*>[<*>]", "relay=unknown[<*>]" and "relay=<*>")
 * is a value by its form: it merges at once. When a pattern is a variable
 * its siblings merge into one template, the stretch becoming "<*>" (or the
 * words' common prefix and suffix around it: "user=<*>", "'<*>'"), and a
 * new key that fits it joins it directly. A variable may then span several
 * words.
 *
 * Evidence that is strong already (MINER_ONLINE_VALUES distinct values)
 * merges at once, which keeps the number of templates small on endless
 * input; the rest is decided by miner_settle(), with the counts of all the
 * lines read so far (call it before reporting).
 *
 * Memory is bounded: at most max_templates templates (past it a new key
 * joins a template it fits, or the overflow template, id 0, at the cost of
 * a cache hit) and at most MINER_MAX_KEYS cached keys (past it new keys are
 * looked up every time, which is slower but no larger). In exact mode
 * (access logs, whose keys are already templates) every key is its own
 * template.
 */
#ifndef BRACE_LOGS_MINER_H
#define BRACE_LOGS_MINER_H

#include <stddef.h>
#include <stdint.h>

#define MINER_OVERFLOW 0
#define MINER_MAX_KEYS (1u << 20)
#define MINER_MAX_SPAN 8        /* words one variable may span */
#define MINER_ONLINE_VALUES 32  /* distinct values that merge without waiting */

typedef struct miner miner;

struct miner_opts {
	double similarity;      /* share of real words siblings share, default below */
	int var_min;            /* distinct values that can make a word variable */
	double var_log;         /* ... and at least var_log * log2(lines) of them */
	size_t max_templates;   /* default 10000 */
	int exact;              /* no generalisation: one template per key */
};

#define MINER_DEFAULT_SIMILARITY 0.6
#define MINER_DEFAULT_VAR_MIN 4
#define MINER_DEFAULT_VAR_LOG 0.3

miner *miner_new(const struct miner_opts *o);
void miner_free(miner *m);

/*
 * The template id (1.., or MINER_OVERFLOW) for a key of len bytes with hash
 * strtab_hash(key), seen in `lines` more lines (its weight in the evidence).
 */
int miner_add(miner *m, const char *key, size_t len, uint64_t hash, uint64_t lines);
/*
 * Decide the patterns that wait for evidence, with the lines counted so
 * far; templates may merge. Call before reporting (again after more keys).
 */
void miner_settle(miner *m);
/*
 * Templates can merge later (when a position turns out to be variable): the
 * id a key got earlier may then stand for another one. miner_resolve()
 * gives the current id; miner_next_merge() hands out each merge once
 * (from, to), so that statistics kept per id can follow. 1 while there are.
 */
int miner_resolve(const miner *m, int id);
int miner_next_merge(miner *m, int *from, int *to);
/*
 * When a word of a template becomes a variable in a merge, the lines the
 * template had held that word: miner_next_value() hands out each such
 * value once (the template's id, the variable's token position in its
 * text, the value, the lines), valid until the next call. 1 while there are.
 */
struct miner_value {
	int id;
	int pos;
	char *value;
	uint64_t lines;
};
int miner_next_value(miner *m, struct miner_value *v);
/* Number of ids in use, counting the overflow id 0 (so ids are < this). */
size_t miner_size(const miner *m);
/* The template text of id, valid until the next miner_add() or miner_settle(). */
const char *miner_template(miner *m, int id);

#endif
