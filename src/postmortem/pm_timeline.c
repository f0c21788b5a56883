/*
 * pm_timeline.c - see pm_timeline.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postmortem/pm_timeline.h"

/* An event repeated within this long of its last repeat is folded into one row. */
#define PM_FOLD_MS 60000

/* The least severe row (the latest among equals), to make room for a worse one. */
static size_t
weakest(const struct pm_night *n)
{
	size_t w = 0;

	for (size_t i = 1; i < n->nrows; i++)
		if (n->rows[i].sev <= n->rows[w].sev)
			w = i;
	return w;
}

void
pm_timeline_add(struct pm_night *n, int64_t ts, int sev, const char *source, const char *fmt,
    ...)
{
	struct pm_row *r;
	va_list ap;

	if (n->rows == NULL && (n->rows = calloc(PM_MAX_ROWS, sizeof(*n->rows))) == NULL) {
		n->rows_dropped++;
		return;
	}
	if (n->nrows < PM_MAX_ROWS) {
		r = &n->rows[n->nrows++];
	} else {
		size_t w = weakest(n);

		n->rows_dropped++;
		if (n->rows[w].sev > sev)
			return;
		r = &n->rows[w];
	}
	r->ts = ts;
	r->sev = sev;
	pm_textf(r->source, sizeof(r->source), "%s", source);
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

static int
cmp_row(const void *a, const void *b)
{
	const struct pm_row *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return strcmp(x->source, y->source);
}

/* Repeats of one event (same host, source, kind and subject) folded into its row. */
struct fold {
	const struct pm_event *first;
	size_t row;
	int64_t last;
	unsigned more;
};

static int
same_key(const struct pm_event *a, const struct pm_event *b)
{
	return a->host == b->host && strcmp(a->source, b->source) == 0 &&
	    strcmp(a->kind, b->kind) == 0 && strcmp(a->severity, b->severity) == 0 &&
	    (a->subject == NULL ? b->subject == NULL :
	    b->subject != NULL && strcmp(a->subject, b->subject) == 0);
}

/* The fold e joins (a repeat within PM_FOLD_MS of the last), or NULL. */
static struct fold *
find_fold(struct fold *f, size_t nf, const struct pm_event *e)
{
	for (size_t i = nf; i-- > 0;)
		if (same_key(f[i].first, e))
			return e->ts - f[i].last <= PM_FOLD_MS ? &f[i] : NULL;
	return NULL;
}

/* "... (and 11 more times until 07:21:15)" on each folded row still in place. */
static void
close_folds(struct pm_night *n, const struct fold *f, size_t nf)
{
	for (size_t i = 0; i < nf; i++) {
		struct pm_row *r = &n->rows[f[i].row];
		size_t len = strlen(r->text);
		char c[16];

		if (f[i].more == 0 || f[i].row >= n->nrows || r->ts != f[i].first->ts)
			continue;
		pm_fmt_clock(f[i].last, c, sizeof(c));
		pm_textf(r->text + len, sizeof(r->text) - len, " (and %u more time%s until %s)",
		    f[i].more, f[i].more == 1 ? "" : "s", c);
	}
}

static void
event_rows(struct pm_night *n)
{
	struct fold *f = calloc(PM_MAX_ROWS, sizeof(*f));
	size_t nf = 0;
	char src[160], text[PM_TEXT_LEN];

	for (size_t i = 0; i < n->nev; i++) {
		const struct pm_event *e = &n->ev[i];
		struct fold *k;

		if (e->ts < n->since || e->ts >= n->until)
			continue;
		if (f != NULL && (k = find_fold(f, nf, e)) != NULL) {
			k->more++;
			k->last = e->ts;
			continue;
		}
		pm_textf(src, sizeof(src), "journal #%lld on %s", (long long)e->id,
		    e->host[0] ? e->host : "?");
		pm_textf(text, sizeof(text), "%s %s%s%s: %s", e->source, e->kind,
		    e->subject ? " " : "", e->subject ? e->subject : "", e->message);
		pm_timeline_add(n, e->ts, e->sev, src, "%s", text);
		if (f != NULL && nf < PM_MAX_ROWS && n->nrows > 0) {
			f[nf].first = e;
			f[nf].row = n->nrows - 1;
			f[nf].last = e->ts;
			f[nf++].more = 0;
		}
	}
	if (f != NULL)
		close_folds(n, f, nf);
	free(f);
}

void
pm_timeline_build(struct pm_night *n)
{
	char src[160];

	event_rows(n);
	for (size_t i = 0; i < n->nep; i++) {
		const struct pm_episode *p = &n->ep[i];

		if (n->ep_saturation)
			pm_textf(src, sizeof(src), "brace conns samples on %s",
			    p->host && p->host[0] ? p->host : "?");
		else
			pm_textf(src, sizeof(src), "%s", n->traffic_from);
		if (n->ep_saturation && p->top_holder[0])
			pm_timeline_add(n, p->start, 4, src, "database saturated: %.0f of %.0f usable "
			    "connections in use; top holder: %s %s with %.0f", p->peak, p->usable,
			    p->top_by, p->top_holder, p->top_count);
		else if (n->ep_saturation)
			pm_timeline_add(n, p->start, 4, src, "database saturated: %.0f of %.0f usable "
			    "connections in use", p->peak, p->usable);
		else
			pm_timeline_add(n, p->start, 4, src, "clients fail: 5xx responses begin");
	}
	if (n->nrows > 1)
		qsort(n->rows, n->nrows, sizeof(*n->rows), cmp_row);
}
