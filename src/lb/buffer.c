/*
 * buffer.c - the worker's pool of fixed-size buffers.
 *
 * A stream takes a buffer only while it has bytes to hold and gives it back
 * as soon as it is empty, so ten thousand idle keep-alive clients hold no
 * buffer at all. The free list is per worker (no lock) and keeps at most
 * LB_FREE_BUFS buffers; past that, memory goes back to the allocator so a
 * burst does not pin its peak for ever.
 */
#include <stdlib.h>
#include <string.h>

#include "lb/lb.h"

#define LB_FREE_BUFS 256

struct lbuf *
lbuf_get(struct worker *w)
{
	struct lbuf *b = w->freebufs;

	if (b != NULL) {
		w->freebufs = b->next;
		w->nfreebufs--;
	} else if ((b = malloc(sizeof(*b))) == NULL) {
		return NULL;
	}
	b->next = NULL;
	b->head = b->tail = 0;
	return b;
}

void
lbuf_release(struct worker *w, struct lbuf *b)
{
	if (b == NULL)
		return;
	if (w->nfreebufs >= LB_FREE_BUFS) {
		free(b);
		return;
	}
	b->next = w->freebufs;
	w->freebufs = b;
	w->nfreebufs++;
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
lbuf_drop_empty(struct worker *w, struct lbuf **b)
{
	if (*b != NULL && lbuf_len(*b) == 0) {
		lbuf_release(w, *b);
		*b = NULL;
	}
}
