/*
 * timer.h - O(1) timeouts for the event loop.
 *
 * Every timeout of a given kind has the same length (all request-head
 * timeouts are --timeout-request long), so a list per kind, appended at the
 * tail on each (re)arm, stays sorted by deadline without any heap: arming,
 * re-arming and disarming are a few pointer moves, and the next deadline of
 * a kind is its list head. A worker keeps one list per timeout kind.
 */
#ifndef BRACE_LB_TIMER_H
#define BRACE_LB_TIMER_H

#include <stdint.h>

enum timer_kind { TK_STREAM = 1, TK_SCONN_IDLE, TK_ACCEPT };

struct tlist;

struct timer {
	struct timer *prev, *next;      /* NULL, NULL when not armed */
	struct tlist *list;
	int64_t when;                   /* monotonic ms */
	uint8_t kind;                   /* enum timer_kind: what the timer is part of */
};

struct tlist {
	struct timer head;              /* sentinel of a circular list */
	int64_t timeout;                /* every timer of the list lasts this long */
};

/* An empty list whose timers all last timeout_ms. */
void tlist_init(struct tlist *l, int64_t timeout_ms);
/* A timer not armed, part of an object of this kind (what the loop calls when it fires). */
void timer_init(struct timer *t, enum timer_kind kind);
/* (Re)arm t to fire l->timeout after now, at the tail of list l (off any other list). */
void timer_arm(struct timer *t, struct tlist *l, int64_t now);
/* Take t off its list; nothing if it is not armed. */
void timer_disarm(struct timer *t);
/* Is t on a list? */
static inline int timer_armed(const struct timer *t) { return t->next != 0; }
/* The first timer of l due at now, or NULL. */
struct timer *tlist_due(struct tlist *l, int64_t now);
/* The deadline of l's first timer, or INT64_MAX when empty. */
int64_t tlist_next(const struct tlist *l);

#endif
