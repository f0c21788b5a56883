/*
 * work.c - see work.h.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "logs/mask.h"
#include "logs/reader.h"
#include "logs/timing.h"
#include "logs/work.h"

#define WORK_KEYS_MAX (1u << 20)
#define WORK_ARENA_MAX ((size_t)256 << 20)

int
work_ctx_init(struct work_ctx *c, const struct work_cfg *cfg)
{
	memset(c, 0, sizeof(*c));
	timestamp_ctx_init(&c->tc, cfg->now_ms);
	buf_init(&c->scratch, 64u << 20);
	buf_init(&c->masked, 64u << 20);
	buf_init(&c->range, READER_BUF_MAX);
	if (cfg->hdr != NULL && (c->hm = header_match_new(cfg->hdr)) == NULL)
		return -1;
	if (cfg->grep != NULL &&
	    (c->grep_md = pcre2_match_data_create_from_pattern(cfg->grep, NULL)) == NULL)
		return -1;
	topk_init(&c->clients, WORK_TOP_CLIENTS);
	topk_init(&c->uas, WORK_TOP_AGENTS);
	return 0;
}

void
work_ctx_release(struct work_ctx *c)
{
	header_match_free(c->hm);
	pcre2_match_data_free(c->grep_md);
	buf_release(&c->scratch);
	buf_release(&c->masked);
	buf_release(&c->range);
	topk_release(&c->clients);
	topk_release(&c->uas);
}

struct work_block *
work_block_new(void)
{
	struct work_block *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	buf_init(&b->own, READER_BUF_MAX);
	strtab_init(&b->keys, WORK_KEYS_MAX, WORK_ARENA_MAX);
	strtab_init(&b->clients, WORK_KEYS_MAX, WORK_ARENA_MAX);
	strtab_init(&b->uas, WORK_KEYS_MAX, WORK_ARENA_MAX);
	return b;
}

void
work_block_free(struct work_block *b)
{
	if (b == NULL)
		return;
	buf_release(&b->own);
	free((void *)b->line_src);
	free(b->recs);
	free(b->client_ua);
	strtab_release(&b->keys);
	strtab_release(&b->clients);
	strtab_release(&b->uas);
	free(b);
}

static uint32_t
intern_h(struct strtab *t, const char *s, size_t n, uint64_t h)
{
	long i = strtab_intern(t, s, n, h);

	return i < 0 ? WORK_NONE : (uint32_t)i;
}

static uint32_t
intern(struct strtab *t, const char *s, size_t n)
{
	return intern_h(t, s, n, strtab_hash(s, n));
}

/*
 * A client mostly sends the same user agent: compare with the one it sent
 * last before hashing (saves a hash and a probe on most lines).
 */
static uint32_t
agent(struct work_block *b, uint32_t client, const char *ua, size_t len)
{
	uint32_t u;

	if (client != WORK_NONE && client < b->client_ua_cap && (u = b->client_ua[client]) != WORK_NONE &&
	    b->uas.e[u].len == len && memcmp(strtab_str(&b->uas, u), ua, len) == 0)
		return u;
	u = intern_h(&b->uas, ua, len, strtab_hash_ends(ua, len));
	if (client == WORK_NONE)
		return u;
	if (client >= b->client_ua_cap) {
		size_t nc = b->client_ua_cap ? b->client_ua_cap * 2 : 4096;
		uint32_t *n;

		while (nc <= client)
			nc *= 2;
		n = realloc(b->client_ua, nc * sizeof(*n));
		if (n == NULL)
			return u;
		memset(n + b->client_ua_cap, 0xff, (nc - b->client_ua_cap) * sizeof(*n));
		b->client_ua = n;
		b->client_ua_cap = nc;
	}
	b->client_ua[client] = u;
	return u;
}

static int
push(struct work_block *b, const struct work_rec *r)
{
	if (ARRAY_GROW(b->recs, b->nrecs, b->caprecs, 4096) < 0)
		return -1;
	b->recs[b->nrecs++] = *r;
	return 0;
}

/* A time in microseconds as a record holds it (capped at 71 minutes). */
static uint32_t
rec_us(int64_t us)
{
	if (us < 0)
		return WORK_NONE;
	return us >= (int64_t)WORK_NONE ? WORK_NONE - 1 : (uint32_t)us;
}

static void
one_line(struct work_block *b, const struct work_cfg *cfg, struct work_ctx *c, const char *line,
    size_t len, int src, struct work_rec *w)
{
	struct format_rec r;
	enum format_id f = cfg->formats[src];

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > cfg->max_line) {
		len = cfg->max_line;
		w->flags |= WORK_CUT;
	}
	if (cfg->grep != NULL && pcre2_match(cfg->grep, (PCRE2_SPTR)line, len, 0, 0, c->grep_md,
	    NULL) < 0) {
		w->flags |= WORK_GREP_OUT | WORK_SKIP;
		return;
	}
	if (cfg->hdr != NULL) {
		if (header_parse(cfg->hdr, c->hm, &c->tc, line, len, &r, &c->scratch) < 0) {
			format_parse_generic(&c->tc, line, len, &r);
			w->flags |= WORK_UNPARSED;
		}
	} else if (format_parse(f, &c->tc, line, len, &r, &c->scratch) < 0) {
		w->flags |= WORK_UNPARSED;
	}
	w->ts = r.ts;
	if (r.req_us < 0 && r.bare_int >= 0) {
		r.req_us = r.bare_int;
		if (cfg->int_secs != NULL && cfg->int_secs[src])
			r.req_us = r.bare_int <= TIMING_MAX_US / 1000000 ? r.bare_int * 1000000 :
			    TIMING_NONE;
	}
	w->req_us = rec_us(r.req_us);
	w->up_us = rec_us(r.up_us);
	if (r.msg == NULL) {
		w->flags |= WORK_SKIP;
		return;
	}
	if (r.msg >= b->data && r.msg + r.msg_len <= b->data + b->len) {
		w->msg_off = (uint32_t)(r.msg - b->data);
		w->msg_len = (uint32_t)r.msg_len;
	}
	buf_reset(&c->masked);
	if (r.access) {
		if (buf_reserve(&c->masked, r.method_len + 1) == 0) {
			memcpy(c->masked.data, r.method, r.method_len);
			c->masked.data[r.method_len] = ' ';
			c->masked.len = r.method_len + 1;
		}
		mask_path(r.path, r.path_len, &c->masked);
		w->client = intern(&b->clients, r.client, r.client_len);
		w->ua = r.ua != NULL ? agent(b, w->client, r.ua, r.ua_len) : WORK_NONE;
		w->status = (uint16_t)r.status;
		b->bytes_sent += (uint64_t)r.bytes;
	} else {
		mask_message(r.msg, r.msg_len, &c->masked);
	}
	if (c->masked.len == 0 && !r.access) {
		w->flags |= WORK_SKIP;
		return;
	}
	if ((w->key = intern(&b->keys, buf_str(&c->masked), c->masked.len)) == WORK_NONE)
		return;
	b->keys.e[w->key].count++;
	if (w->client == WORK_NONE)
		return;
	/* the request counts for its client and agent when it is in the window */
	if (w->ts == TIMESTAMP_NONE && (cfg->since_ms || cfg->until_ms)) {
		w->flags |= WORK_COUNT_LATE;
	} else if (w->ts == TIMESTAMP_NONE || ((!cfg->since_ms || w->ts >= cfg->since_ms) &&
	    (!cfg->until_ms || w->ts < cfg->until_ms))) {
		b->clients.e[w->client].count++;
		if (w->ua != WORK_NONE)
			b->uas.e[w->ua].count++;
	}
}

int
work_block_process(struct work_block *b, const struct work_cfg *cfg, struct work_ctx *c)
{
	const char *p, *end;
	size_t li = 0;
	int keep = 0;

	/*
	 * A range is read into the thread's own buffer, which stays in its
	 * cache from one block to the next; the block keeps a copy only when
	 * the digest will read a message from it.
	 */
	if (b->from != NULL) {
		ssize_t n = reader_range(b->from, b->at, b->end, &c->range, &b->data, &b->ended_at,
		    b->err);

		if (n < 0)
			return -1;
		b->len = (size_t)n;
	}
	p = b->data;
	end = b->data + b->len;
	strtab_reset(&b->keys);
	strtab_reset(&b->clients);
	strtab_reset(&b->uas);
	if (b->client_ua != NULL)
		memset(b->client_ua, 0xff, b->client_ua_cap * sizeof(*b->client_ua));
	b->nrecs = 0;
	b->bytes_sent = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		struct work_rec w = { TIMESTAMP_NONE, WORK_NONE, WORK_NONE, WORK_NONE, 0, 0, WORK_NONE,
		    WORK_NONE, 0, 0 };

		one_line(b, cfg, c, p, len, b->line_src ? b->line_src[li] : b->src, &w);
		keep |= w.client == WORK_NONE && w.msg_len > 0;
		if (push(b, &w) < 0) {
			err_set(b->err, "out of memory");
			return -1;
		}
		li++;
		p = nl ? nl + 1 : end;
	}
	if (b->from != NULL && keep) {
		buf_reset(&b->own);
		if (buf_append(&b->own, b->data, b->len) < 0) {
			err_set(b->err, "out of memory");
			return -1;
		}
		b->data = b->own.data;
	} else if (b->from != NULL) {
		b->data = "";
		b->len = 0;
	}
	/* what the block counted goes to the thread's top-k tables */
	topk_add_counted(&c->clients, &b->clients);
	topk_add_counted(&c->uas, &b->uas);
	return 0;
}
