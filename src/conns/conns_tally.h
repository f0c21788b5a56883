/*
 * conns_tally.h - counting sessions by a key (state, user, database...),
 * with a cap on the number of distinct keys.
 *
 * A server can have thousands of sessions from hundreds of clients; a
 * breakdown keeps the first CONNS_TALLY_MAX distinct keys and counts every
 * later newcomer under "other", so a sample never grows without bound.
 */
#ifndef BRACE_CONNS_TALLY_H
#define BRACE_CONNS_TALLY_H

#include <stddef.h>
#include <stdint.h>

#define CONNS_TALLY_MAX 128
#define CONNS_KEY_LEN 128

struct conns_count {
	char key[CONNS_KEY_LEN];
	int64_t count;
};

struct conns_tally {
	size_t n;
	int64_t other;          /* sessions whose key found no free slot */
	struct conns_count item[CONNS_TALLY_MAX];
};

/* Add n to key's count (a key longer than CONNS_KEY_LEN - 1 bytes is cut). */
void conns_tally_add(struct conns_tally *t, const char *key, int64_t n);
/* The count of key, 0 when absent. */
int64_t conns_tally_get(const struct conns_tally *t, const char *key);
/* Order by count, largest first, then by key. */
void conns_tally_sort(struct conns_tally *t);

#endif
