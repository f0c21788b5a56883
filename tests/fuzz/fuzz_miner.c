/*
 * fuzz_miner.c - libFuzzer target for the template miner.
 *
 * One input is a log: its lines are masked and mined in order (each line's
 * first byte also gives it a weight, so that evidence builds up), then the
 * waiting patterns are settled. The first byte picks a small template cap,
 * so the overflow path is reached too. Invariants: every id handed out
 * resolves to an id in use, templates are C strings without a tab or a
 * newline, a key seen again gets the id it got before (resolved), and every
 * merge and merged value names ids in use.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "core/buf.h"
#include "logs/mask.h"
#include "logs/miner.h"
#include "logs/strtab.h"

#define MAX_LINES 256

static void
drain(miner *m)
{
	int from, to;
	struct miner_value v;

	while (miner_next_merge(m, &from, &to))
		CHECK(from > 0 && (size_t)from < miner_size(m) && to > 0 && (size_t)to < miner_size(m));
	while (miner_next_value(m, &v))
		CHECK(v.id > 0 && (size_t)v.id < miner_size(m) && v.pos >= 0 && v.value != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct miner_opts o;
	struct buf key = BUF_INIT(1 << 20);
	int ids[MAX_LINES];
	uint64_t hashes[MAX_LINES];
	size_t n = 0;
	miner *m;

	memset(&o, 0, sizeof(o));
	o.max_templates = size > 0 ? 10 + data[0] % 50 : 10;
	if ((m = miner_new(&o)) == NULL)
		return 0;
	while (p < end && n < MAX_LINES) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		uint64_t w = len > 0 ? 1 + (unsigned char)p[0] % 8 : 1;

		mask_message(p, len, &key);
		if (key.len > 0) {
			hashes[n] = strtab_hash(key.data, key.len);
			ids[n] = miner_add(m, key.data, key.len, hashes[n], w);
			CHECK(ids[n] >= 0 && (size_t)ids[n] < miner_size(m));
			/* the same key again: the same template */
			CHECK(miner_resolve(m, miner_add(m, key.data, key.len, hashes[n], 1)) ==
			    miner_resolve(m, ids[n]));
			n++;
		}
		drain(m);
		p = nl ? nl + 1 : end;
	}
	miner_settle(m);
	drain(m);
	for (size_t i = 0; i < n; i++) {
		int id = miner_resolve(m, ids[i]);
		const char *t = miner_template(m, id);

		CHECK(id >= 0 && (size_t)id < miner_size(m));
		CHECK(t != NULL && strchr(t, '\t') == NULL && strchr(t, '\n') == NULL);
	}
	buf_release(&key);
	miner_free(m);
	return 0;
}
