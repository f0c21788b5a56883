/*
 * lpipe.c - see lpipe.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "lb/lpipe.h"

void
lpipe_pool_init(struct lpipe_pool *pp, int max)
{
	pp->free = NULL;
	pp->nfree = 0;
	pp->nused = 0;
	pp->max = max;
	pp->cooldown = 0;
}

static void
lpipe_close(struct lpipe *p)
{
	close(p->fd[0]);
	close(p->fd[1]);
	free(p);
}

static struct lpipe *
lpipe_new(void)
{
	struct lpipe *p = malloc(sizeof(*p));
	int sz;

	if (p == NULL)
		return NULL;
	if (pipe2(p->fd, O_NONBLOCK | O_CLOEXEC) < 0) {
		free(p);
		return NULL;
	}
	/* Past the user's pipe allowance the kernel refuses: take what it gave, if it is enough. */
	(void)fcntl(p->fd[1], F_SETPIPE_SZ, LB_PIPESIZE);
	sz = fcntl(p->fd[1], F_GETPIPE_SZ);
	if (sz < LB_SPLICE_MIN) {
		lpipe_close(p);
		return NULL;
	}
	p->cap = (uint32_t)sz;
	return p;
}

struct lpipe *
lpipe_get(struct lpipe_pool *pp)
{
	struct lpipe *p = pp->free;

	if (pp->nused >= pp->max)
		return NULL;
	if (p != NULL) {
		pp->free = p->next;
		pp->nfree--;
	} else if (pp->cooldown > 0) {
		pp->cooldown--;
		return NULL;
	} else if ((p = lpipe_new()) == NULL) {
		pp->cooldown = LB_PIPE_COOLDOWN;
		return NULL;
	}
	p->next = NULL;
	p->len = 0;
	p->wait_room = 0;
	pp->nused++;
	return p;
}

void
lpipe_release(struct lpipe_pool *pp, struct lpipe *p)
{
	if (p == NULL)
		return;
	pp->nused--;
	/* bytes left in a pipe are someone else's body: never hand them on */
	if (p->len > 0 || pp->nfree >= LB_FREE_PIPES) {
		lpipe_close(p);
		return;
	}
	p->next = pp->free;
	pp->free = p;
	pp->nfree++;
}

void
lpipe_drop_empty(struct lpipe_pool *pp, struct lpipe **p)
{
	if (*p != NULL && (*p)->len == 0) {
		lpipe_release(pp, *p);
		*p = NULL;
	}
}

void
lpipe_pool_release(struct lpipe_pool *pp)
{
	struct lpipe *p;

	while ((p = pp->free) != NULL) {
		pp->free = p->next;
		lpipe_close(p);
	}
	pp->nfree = 0;
}

ssize_t
lpipe_fill(struct lpipe *p, struct lconn *c, size_t max)
{
	size_t room = p->cap - p->len;
	ssize_t n;

	if (!(c->ready & RD_IN) || p->wait_room || room == 0 || max == 0)
		return 0;
	if (max > room)
		max = room;
	do
		n = splice(c->fd, NULL, p->fd[1], NULL, max, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		p->len += (uint32_t)n;
		return n;
	}
	if (n < 0 && errno == EAGAIN) {
		/* the socket is empty, or the pipe is out of slots: only an empty pipe tells */
		if (p->len == 0)
			c->ready &= (uint8_t)~RD_IN;
		else
			p->wait_room = 1;
		return 0;
	}
	c->ready &= (uint8_t)~RD_IN;
	if (n == 0)
		errno = 0;
	return -1;
}

ssize_t
lpipe_flush(struct lpipe *p, struct lconn *c)
{
	uint32_t want = p->len;
	ssize_t n;

	if (!(c->ready & RD_OUT) || want == 0)
		return 0;
	do
		n = splice(p->fd[0], NULL, c->fd, NULL, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN)
			return -1;
		n = 0;
	}
	if ((uint32_t)n < want)
		c->ready &= (uint8_t)~RD_OUT;
	if (n > 0) {
		p->len -= (uint32_t)n;
		p->wait_room = 0;
	}
	return n;
}
