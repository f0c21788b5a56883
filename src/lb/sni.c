/*
 * sni.c - see sni.h.
 */
#include <stdlib.h>
#include <string.h>

#include "lb/sni.h"

void
sni_init(struct sni_table *t)
{
	memset(t, 0, sizeof(*t));
}

int
sni_normalize(const char *name, char *out)
{
	size_t n = strlen(name), label = 0;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > SNI_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '_') {
			label++;
		} else {
			return -1;
		}
		out[i] = c;
	}
	if (label == 0)
		return -1;
	out[n] = '\0';
	return 0;
}

static int
push(struct sni_entry **arr, size_t *n, size_t *cap, const char *name, int cert)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct sni_entry *a = realloc(*arr, ncap * sizeof(*a));

		if (a == NULL)
			return -1;
		*arr = a;
		*cap = ncap;
	}
	if (((*arr)[*n].name = strdup(name)) == NULL)
		return -1;
	(*arr)[*n].cert = cert;
	(*n)++;
	return 0;
}

int
sni_add(struct sni_table *t, const char *name, int cert, char *err)
{
	char norm[SNI_NAME_MAX + 1];
	int wild = strncmp(name, "*.", 2) == 0;

	if (t->nexact + t->nwild >= SNI_MAX_NAMES) {
		err_set(err, "more than %d names in one listener", SNI_MAX_NAMES);
		return -1;
	}
	if (sni_normalize(wild ? name + 2 : name, norm) < 0) {
		err_set(err, "'%.80s' is not a host name%s", name,
		    strchr(name, '*') != NULL ? " (only \"*.\" and a name are a wildcard)" : "");
		return -1;
	}
	if (wild ? push(&t->wild, &t->nwild, &t->capwild, norm, cert) :
	    push(&t->exact, &t->nexact, &t->capexact, norm, cert)) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

/* By name, then by certificate: the first certificate of a name comes first. */
static int
cmp_entry(const void *a, const void *b)
{
	const struct sni_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : (x->cert > y->cert) - (x->cert < y->cert);
}

/* Sort, and keep the first certificate of every name. */
static void
sort_unique(struct sni_entry *a, size_t *n)
{
	size_t k = 0;

	if (*n == 0)
		return;
	qsort(a, *n, sizeof(*a), cmp_entry);
	for (size_t i = 1; i < *n; i++) {
		if (strcmp(a[i].name, a[k].name) == 0) {
			free(a[i].name);
			continue;
		}
		a[++k] = a[i];
	}
	*n = k + 1;
}

void
sni_finish(struct sni_table *t)
{
	sort_unique(t->exact, &t->nexact);
	sort_unique(t->wild, &t->nwild);
}

static int
find(const struct sni_entry *a, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, a[mid].name);

		if (c == 0)
			return a[mid].cert;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

int
sni_lookup(const struct sni_table *t, const char *name)
{
	char norm[SNI_NAME_MAX + 1];
	const char *dot;
	int c;

	if (name == NULL || sni_normalize(name, norm) < 0)
		return -1;
	if ((c = find(t->exact, t->nexact, norm)) >= 0)
		return c;
	/* "a.example.org" against "*.example.org": the wildcard stands for one label */
	if ((dot = strchr(norm, '.')) == NULL)
		return -1;
	return find(t->wild, t->nwild, dot + 1);
}

void
sni_release(struct sni_table *t)
{
	for (size_t i = 0; i < t->nexact; i++)
		free(t->exact[i].name);
	for (size_t i = 0; i < t->nwild; i++)
		free(t->wild[i].name);
	free(t->exact);
	free(t->wild);
	sni_init(t);
}
