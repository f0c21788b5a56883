/*
 * lbuf.c - see lbuf.h.
 */
#include <stdlib.h>
#include <string.h>

#include "lb/lbuf.h"

static struct lbuf *
take(struct lbuf **list, int *n, uint32_t size)
{
	struct lbuf *b = *list;

	if (b != NULL) {
		*list = b->next;
		(*n)--;
	} else if ((b = malloc(sizeof(*b) + size)) == NULL) {
		return NULL;
	}
	b->next = NULL;
	b->head = b->tail = 0;
	b->size = size;
	return b;
}

struct lbuf *
lbuf_get(struct lbuf_pool *bp)
{
	return take(&bp->free, &bp->nfree, LB_BUFSIZE);
}

struct lbuf *
lbuf_get_big(struct lbuf_pool *bp)
{
	return take(&bp->freebig, &bp->nfreebig, LB_BIGBUFSIZE);
}

void
lbuf_release(struct lbuf_pool *bp, struct lbuf *b)
{
	int big;

	if (b == NULL)
		return;
	big = b->size == LB_BIGBUFSIZE;
	if ((big ? bp->nfreebig : bp->nfree) >= (big ? LB_FREE_BIGBUFS : LB_FREE_BUFS)) {
		free(b);
		return;
	}
	if (big) {
		b->next = bp->freebig;
		bp->freebig = b;
		bp->nfreebig++;
	} else {
		b->next = bp->free;
		bp->free = b;
		bp->nfree++;
	}
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

static void
free_list(struct lbuf **list, int *n)
{
	struct lbuf *b;

	while ((b = *list) != NULL) {
		*list = b->next;
		free(b);
	}
	*n = 0;
}

void
lbuf_pool_release(struct lbuf_pool *bp)
{
	free_list(&bp->free, &bp->nfree);
	free_list(&bp->freebig, &bp->nfreebig);
}
