/*
 * report.c - see report.h: the helpers shared by the three reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "logs/report.h"

void
report_buckets(const struct timeline *tl, const uint32_t *bins, size_t lo, size_t hi, size_t n,
    double *out, int64_t *bucket_ms)
{
	size_t span = hi > lo ? hi - lo : 1;

	memset(out, 0, n * sizeof(*out));
	if (n > span)
		n = span;
	for (size_t i = lo; i < hi; i++)
		out[(i - lo) * n / span] += bins[i];
	if (bucket_ms != NULL)
		*bucket_ms = tl->width * (int64_t)span / (int64_t)(n ? n : 1);
}

void
report_range(const struct digest *d, size_t *lo, size_t *hi)
{
	size_t a = TIMELINE_BINS, b = 0;

	for (size_t i = 0; i < d->nt; i++) {
		size_t l, h;

		if (d->t[i].bins == NULL)
			continue;
		timeline_used(d->t[i].bins, &l, &h);
		if (l < h && l < a)
			a = l;
		if (l < h && h > b)
			b = h;
	}
	if (a >= b)
		a = b = 0;
	*lo = a;
	*hi = b;
}

void
report_clean(struct buf *b, const char *s, size_t n, size_t max, int html)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;

	for (size_t i = 0; i < n;) {
		size_t l = json_utf8_seq(p + i, n - i);

		if (chars++ == max) {
			buf_puts(b, "\u2026");
			return;
		}
		if (l == 0 || (l == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
			buf_putc(b, '?');
			i++;
			continue;
		}
		if (html && l == 1 && strchr("<>&\"", p[i]) != NULL) {
			buf_puts(b, p[i] == '<' ? "&lt;" : p[i] == '>' ? "&gt;" : p[i] == '&' ? "&amp;" :
			    "&quot;");
			i++;
			continue;
		}
		buf_append(b, p + i, l);
		i += l;
	}
}

static int
cmp_path(const void *a, const void *b)
{
	const struct report_path *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->path, y->path, x->len);
}

size_t
report_paths(struct report *r, struct report_path *out, size_t max)
{
	struct digest *d = r->d;
	struct report_path *all = calloc(d->norder ? d->norder : 1, sizeof(*all));
	size_t n = 0, m;

	if (all == NULL)
		return 0;
	for (size_t i = 0; i < d->norder; i++) {
		const char *t = digest_template(d, d->order[i]), *sp = strchr(t, ' ');
		size_t k;

		if (sp == NULL || d->order[i] == MINER_OVERFLOW)
			continue;
		sp++;
		for (k = 0; k < n; k++)
			if (all[k].len == strlen(sp) && memcmp(all[k].path, sp, all[k].len) == 0)
				break;
		if (k == n) {
			all[n].path = sp;
			all[n].len = strlen(sp);
			all[n].count = 0;
			n++;
		}
		all[k].count += d->t[d->order[i]].count;
		if (n > 4 * max + 64)
			break;	/* the rest are the long tail */
	}
	qsort(all, n, sizeof(*all), cmp_path);
	m = n < max ? n : max;
	memcpy(out, all, m * sizeof(*out));
	free(all);
	return m;
}

static const struct digest *pair_digest;

static int
cmp_pair(const void *a, const void *b)
{
	const struct digest_pair *x = &pair_digest->pairs[*(const size_t *)a];
	const struct digest_pair *y = &pair_digest->pairs[*(const size_t *)b];

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

size_t
report_periodic_pairs(const struct digest *d, size_t *out, size_t max)
{
	size_t idx[DIGEST_MAX_PAIRS], n = 0;

	for (size_t i = 0; i < DIGEST_MAX_PAIRS; i++)
		if (d->pairs[i].key != 0 && d->pairs[i].period.periodic)
			idx[n++] = i;
	pair_digest = d;
	qsort(idx, n, sizeof(idx[0]), cmp_pair);
	if (n > max)
		n = max;
	memcpy(out, idx, n * sizeof(*out));
	return n;
}

void
report_fmt_period(double s, char *out, size_t n)
{
	if (s < 90)
		snprintf(out, n, "%.0f s", s);
	else if (s < 5400)
		snprintf(out, n, "%.1f min", s / 60);
	else
		snprintf(out, n, "%.1f h", s / 3600);
	/* "5.0 min" reads better as "5 min" */
	{
		char *dot = strstr(out, ".0 ");

		if (dot != NULL)
			memmove(dot, dot + 2, strlen(dot + 2) + 1);
	}
}

void
report_fmt_count(uint64_t v, char *out, size_t n)
{
	char tmp[32];
	int len = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v), o = 0;

	for (int i = 0; i < len && (size_t)o + 2 < n; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = tmp[i];
	}
	out[o] = '\0';
}

const char *
report_burst_label(struct digest *d, int tid)
{
	if (tid == REPORT_4XX)
		return "HTTP 4xx responses";
	if (tid == REPORT_5XX)
		return "HTTP 5xx responses";
	return digest_template(d, tid);
}

static int
cmp_burst(const void *a, const void *b)
{
	const struct report_burst *x = a, *y = b;

	if (x->b->events != y->b->events)
		return x->b->events < y->b->events ? 1 : -1;
	return x->tid - y->tid;
}

size_t
report_bursts(const struct digest *d, struct report_burst *out, size_t max)
{
	size_t n = 0, cap = 0;
	struct report_burst *all = NULL;

	for (size_t i = 0; i < d->nt; i++)
		cap += d->t[i].nbursts;
	cap += d->nerr_bursts[0] + d->nerr_bursts[1];
	if (cap == 0 || (all = calloc(cap, sizeof(*all))) == NULL)
		return 0;
	for (int e = 0; e < 2; e++)
		for (size_t k = 0; k < d->nerr_bursts[e]; k++) {
			all[n].tid = e == 0 ? REPORT_4XX : REPORT_5XX;
			all[n].b = &d->err_bursts[e][k];
			n++;
		}
	for (size_t i = 0; i < d->nt; i++)
		for (size_t k = 0; k < d->t[i].nbursts; k++) {
			all[n].tid = (int)i;
			all[n].b = &d->t[i].bursts[k];
			n++;
		}
	qsort(all, n, sizeof(*all), cmp_burst);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}
