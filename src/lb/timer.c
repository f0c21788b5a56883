/*
 * timer.c - see timer.h.
 */
#include <stddef.h>

#include "lb/timer.h"

void
tlist_init(struct tlist *l, int64_t timeout_ms)
{
	l->head.prev = l->head.next = &l->head;
	l->head.list = l;
	l->timeout = timeout_ms;
}

void
timer_init(struct timer *t, enum timer_kind kind)
{
	t->prev = t->next = NULL;
	t->list = NULL;
	t->when = 0;
	t->kind = (uint8_t)kind;
}

void
timer_disarm(struct timer *t)
{
	if (t->next == NULL)
		return;
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->prev = t->next = NULL;
	t->list = NULL;
}

void
timer_arm(struct timer *t, struct tlist *l, int64_t now)
{
	t->when = now + l->timeout;
	/* Already last on this list: the new deadline keeps the order. */
	if (t->list == l && t->next == &l->head)
		return;
	timer_disarm(t);
	t->list = l;
	t->prev = l->head.prev;
	t->next = &l->head;
	l->head.prev->next = t;
	l->head.prev = t;
}

struct timer *
tlist_due(struct tlist *l, int64_t now)
{
	struct timer *t = l->head.next;

	if (t == &l->head || t->when > now)
		return NULL;
	return t;
}

int64_t
tlist_next(const struct tlist *l)
{
	const struct timer *t = l->head.next;

	return t == &l->head ? INT64_MAX : t->when;
}
