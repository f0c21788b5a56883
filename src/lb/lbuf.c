/*
 * lbuf.c - see lbuf.h.
 */
#include <stdlib.h>
#include <string.h>

#include "lb/lbuf.h"

struct lbuf *
lbuf_get(struct lbuf_pool *bp)
{
	struct lbuf *b = bp->free;

	if (b != NULL) {
		bp->free = b->next;
		bp->nfree--;
	} else if ((b = malloc(sizeof(*b))) == NULL) {
		return NULL;
	}
	b->next = NULL;
	b->head = b->tail = 0;
	return b;
}

void
lbuf_release(struct lbuf_pool *bp, struct lbuf *b)
{
	if (b == NULL)
		return;
	if (bp->nfree >= LB_FREE_BUFS) {
		free(b);
		return;
	}
	b->next = bp->free;
	bp->free = b;
	bp->nfree++;
}

void
lbuf_compact(struct lbuf *b)
{
	uint32_t n = b->tail - b->head;

	if (b->head == 0)
		return;
	if (n > 0)
		memmove(b->data, b->data + b->head, n);
	b->head = 0;
	b->tail = n;
}

void
lbuf_drop_empty(struct lbuf_pool *bp, struct lbuf **b)
{
	if (*b != NULL && lbuf_len(*b) == 0) {
		lbuf_release(bp, *b);
		*b = NULL;
	}
}

void
lbuf_pool_release(struct lbuf_pool *bp)
{
	struct lbuf *b;

	while ((b = bp->free) != NULL) {
		bp->free = b->next;
		free(b);
	}
	bp->nfree = 0;
}
