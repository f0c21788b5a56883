/*
 * pm_journal.c - see pm_journal.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/array.h"
#include "core/err.h"
#include "core/journal.h"
#include "postmortem/pm_journal.h"

struct load {
	struct pm_night *n;
	int failed;             /* out of memory */
	int capped;
};

static char *
dup0(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* The host's name as kept by n (one copy per host); NULL when the cap is reached. */
static char *
host_of(struct pm_night *n, const char *h)
{
	if (h == NULL)
		h = "";
	for (size_t i = 0; i < n->nhosts; i++)
		if (strcmp(n->hosts[i], h) == 0)
			return n->hosts[i];
	if (n->nhosts >= PM_MAX_HOSTS)
		return NULL;
	if ((n->hosts[n->nhosts] = strdup(h)) == NULL)
		return NULL;
	return n->hosts[n->nhosts++];
}

static int
take_event(const struct journal_event *je, void *arg)
{
	struct load *l = arg;
	struct pm_night *n = l->n;
	struct pm_event *e;

	if (n->nev >= PM_MAX_EVENTS) {
		l->capped = 1;
		return 1;
	}
	if (ARRAY_GROW(n->ev, n->nev, n->capev, 1024) < 0)
		goto oom;
	e = &n->ev[n->nev];
	memset(e, 0, sizeof(*e));
	e->id = je->id;
	e->ts = je->ts_ms;
	e->sev = pm_severity(je->severity);
	e->host = host_of(n, je->host);
	e->source = dup0(je->source ? je->source : "");
	e->kind = dup0(je->kind ? je->kind : "");
	e->severity = dup0(je->severity ? je->severity : "info");
	e->subject = dup0(je->subject);
	e->message = dup0(je->message ? je->message : "");
	e->details = dup0(je->details);
	n->nev++;
	if (e->host == NULL || e->source == NULL || e->kind == NULL || e->severity == NULL ||
	    e->message == NULL)
		goto oom;
	return 0;
oom:
	l->failed = 1;
	return 1;
}

static int
take_sample(const struct journal_sample *js, void *arg)
{
	struct load *l = arg;
	struct pm_night *n = l->n;
	struct pm_sample *s;

	if (n->nsmp >= PM_MAX_SAMPLES) {
		l->capped = 1;
		return 1;
	}
	if (ARRAY_GROW(n->smp, n->nsmp, n->capsmp, 4096) < 0)
		goto oom;
	s = &n->smp[n->nsmp];
	s->ts = js->ts_ms;
	s->value = js->value;
	s->host = host_of(n, js->host);
	s->source = dup0(js->source ? js->source : "");
	s->series = dup0(js->series ? js->series : "");
	s->labels = dup0(js->labels ? js->labels : "{}");
	n->nsmp++;
	if (s->host == NULL || s->source == NULL || s->series == NULL || s->labels == NULL)
		goto oom;
	return 0;
oom:
	l->failed = 1;
	return 1;
}

/* Open an existing journal; never create one where the path was mistyped. */
static journal *
open_existing(const char *path, char *err)
{
	struct stat st;
	journal *j;

	if (stat(path, &st) < 0) {
		err_set(err, "journal %s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(err, "journal %s: not a regular file", path);
		return NULL;
	}
	if ((j = journal_open_readonly(path, err)) == NULL)
		return NULL;
	return j;
}

static int
finish(struct load *l, const char *path, const char *what, int rc, char *err)
{
	if (rc < 0)
		return -1;
	if (l->failed) {
		err_set(err, "journal %s: out of memory reading its %s", path, what);
		return -1;
	}
	if (l->capped)
		pm_note(l->n, "journal %s: only the first %d %s were read (the cap)", path,
		    strcmp(what, "events") == 0 ? PM_MAX_EVENTS : PM_MAX_SAMPLES, what);
	return 0;
}

int
pm_journal_read_events(struct pm_night *n, const char *path, char *err)
{
	struct load l = { .n = n };
	struct journal_filter f = { 0 };
	journal *j = open_existing(path, err);
	size_t before = n->nev;
	int rc;

	if (j == NULL)
		return -1;
	rc = journal_each(j, &f, take_event, &l, err);
	journal_close(j);
	if (finish(&l, path, "events", rc, err) < 0) {
		pm_drop_events(n, before);
		return -1;
	}
	n->njournals++;
	return 0;
}

int
pm_journal_read_samples(struct pm_night *n, const char *path, int64_t since, int64_t until,
    char *err)
{
	struct load l = { .n = n };
	struct journal_filter f = { .since_ms = since, .until_ms = until };
	journal *j = open_existing(path, err);
	size_t before = n->nsmp;
	int rc;

	if (j == NULL)
		return -1;
	rc = journal_each_sample(j, &f, take_sample, &l, err);
	journal_close(j);
	if (finish(&l, path, "samples", rc, err) < 0) {
		pm_drop_samples(n, before);
		return -1;
	}
	return 0;
}

static int
cmp_event(const void *a, const void *b)
{
	const struct pm_event *x = a, *y = b;
	int c;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if ((c = strcmp(x->host, y->host)) != 0)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
cmp_sample(const void *a, const void *b)
{
	const struct pm_sample *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return strcmp(x->host, y->host);
}

void
pm_journal_merge(struct pm_night *n)
{
	if (n->nev > 1)
		qsort(n->ev, n->nev, sizeof(*n->ev), cmp_event);
	if (n->nsmp > 1)
		qsort(n->smp, n->nsmp, sizeof(*n->smp), cmp_sample);
}
