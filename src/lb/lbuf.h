/*
 * lbuf.h - pooled buffers for the workers' sockets.
 *
 * A buffer holds LB_BUFSIZE bytes, or LB_BIGBUFSIZE for a body that streams
 * through buffers (not spliced: chunk framing to follow, splicing off, or a
 * connection that cannot splice), so that a large body is read in a quarter
 * of the reads; [head, tail) are unread. Each worker has its own pool of
 * free buffers of each size (no lock), capped at LB_FREE_BUFS and
 * LB_FREE_BIGBUFS: a stream takes a buffer only while it has bytes to hold
 * and gives it back as soon as it is empty, so idle keep-alive clients hold
 * no buffer at all, and memory past the caps goes back to the allocator
 * after a burst. What a stream holds per direction is thus one buffer at
 * most, however slow the side that drains it.
 */
#ifndef BRACE_LB_LBUF_H
#define BRACE_LB_LBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lb/config.h"

#define LB_BIGBUFSIZE   (64 * 1024)
#define LB_FREE_BUFS    256
#define LB_FREE_BIGBUFS 32

struct lbuf {
	struct lbuf *next;      /* free list link */
	uint32_t head;          /* first unread byte */
	uint32_t tail;          /* one past the last byte */
	uint32_t size;          /* LB_BUFSIZE or LB_BIGBUFSIZE */
	char data[];
};

/* A worker's free buffers. Zero-initialised is an empty pool. */
struct lbuf_pool {
	struct lbuf *free;      /* LB_BUFSIZE */
	struct lbuf *freebig;   /* LB_BIGBUFSIZE */
	int nfree, nfreebig;
};

/* An empty buffer of LB_BUFSIZE from the pool (or the allocator); NULL when memory is out. */
struct lbuf *lbuf_get(struct lbuf_pool *bp);
/* The same with LB_BIGBUFSIZE bytes. */
struct lbuf *lbuf_get_big(struct lbuf_pool *bp);
/* Give b back to the pool of its size (freed when that pool is full); b may be NULL. */
void lbuf_release(struct lbuf_pool *bp, struct lbuf *b);
/* Give *b back and set it to NULL if it holds nothing, so idle streams hold no memory. */
void lbuf_drop_empty(struct lbuf_pool *bp, struct lbuf **b);
/* Move unread bytes to the front so the tail has room. */
void lbuf_compact(struct lbuf *b);
/* Free every buffer of the pool (the worker is gone). */
void lbuf_pool_release(struct lbuf_pool *bp);

static inline uint32_t lbuf_len(const struct lbuf *b) { return b->tail - b->head; }
static inline uint32_t lbuf_room(const struct lbuf *b) { return b->size - b->tail; }
static inline char *lbuf_rptr(struct lbuf *b) { return b->data + b->head; }

/* Append n bytes at the tail; -1 (nothing written) when they do not fit. */
static inline int
lbuf_add(struct lbuf *b, const char *p, size_t n)
{
	if (n > lbuf_room(b))
		return -1;
	memcpy(b->data + b->tail, p, n);
	b->tail += (uint32_t)n;
	return 0;
}

#define LBUF_ADD_LIT(b, lit) lbuf_add((b), (lit), sizeof(lit) - 1)

#endif
