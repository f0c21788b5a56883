/*
 * report.c - see report.h: the helpers shared by the three reports.
 */
#include <math.h>
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

/* Widen [*a, *b) to take in the used bins of one series. */
static void
widen_used(const uint32_t *bins, size_t *a, size_t *b)
{
	size_t l, h;

	timeline_used(bins, &l, &h);
	if (l < h && l < *a)
		*a = l;
	if (l < h && h > *b)
		*b = h;
}

void
report_range(const struct digest *d, size_t *lo, size_t *hi)
{
	*lo = TIMELINE_BINS;
	*hi = 0;
	for (size_t i = 0; i < d->nt; i++)
		if (d->t[i].bins != NULL)
			widen_used(d->t[i].bins, lo, hi);
	if (*lo >= *hi)
		*lo = *hi = 0;
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

/* Copy the first max (at most n) of all[] into out, free all; returns how many. */
static size_t
take_first(void *out, void *all, size_t n, size_t max, size_t size)
{
	if (n > max)
		n = max;
	memcpy(out, all, n * size);
	free(all);
	return n;
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
	size_t n = 0;

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
	return take_first(out, all, n, max, sizeof(*all));
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
		if (d->pair_keys[i] != 0 && d->pairs[i].period.periodic)
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
	return take_first(out, all, n, max, sizeof(*all));
}

void
report_fmt_us(double us, char *out, size_t n)
{
	if (us < 1000)
		snprintf(out, n, "%.0f \u00b5s", us);
	else if (us < 10000)
		snprintf(out, n, "%.1f ms", us / 1e3);
	else if (us < 1e6)
		snprintf(out, n, "%.0f ms", us / 1e3);
	else if (us < 10e6)
		snprintf(out, n, "%.2f s", us / 1e6);
	else if (us < 100e6)
		snprintf(out, n, "%.1f s", us / 1e6);
	else if (us < 5400e6)
		snprintf(out, n, "%.1f min", us / 60e6);
	else
		snprintf(out, n, "%.1f h", us / 3600e6);
}

/* The digest and the order qsort() sorts template ids by (reports run on one thread). */
static const struct digest *sort_digest;
static int sort_by;

#define SORT_ERRORS 2   /* beside REPORT_BY_TOTAL and REPORT_BY_P99 */

static double
sort_key(int id)
{
	const struct digest_tmpl *t = &sort_digest->t[id];

	if (sort_by == SORT_ERRORS)     /* 5xx first, then 4xx */
		return (double)t->e5 * 4294967296.0 + (double)t->e4;
	return sort_by == REPORT_BY_TOTAL ? (double)t->lat->sum_us : latency_q(t->lat, 0.99);
}

static int
cmp_tmpl(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	double kx = sort_key(x), ky = sort_key(y);

	if (kx != ky)
		return kx < ky ? 1 : -1;
	return x - y;
}

/* Whether a template has a row in the table sorted by by. */
static int
sort_keeps(const struct digest_tmpl *t, int by)
{
	if (by == SORT_ERRORS)
		return t->e4 + t->e5 > 0;
	return t->lat != NULL && t->lat->n > 0 && (by == REPORT_BY_TOTAL ||
	    t->lat->n >= REPORT_P99_MIN);
}

/* The first max template ids of the table sorted by by into out; how many. */
static size_t
sort_tmpls(const struct digest *d, int by, int *out, size_t max)
{
	int *all = calloc(d->norder ? d->norder : 1, sizeof(*all));
	size_t n = 0;

	if (all == NULL)
		return 0;
	for (size_t i = 0; i < d->norder; i++)
		if (sort_keeps(&d->t[d->order[i]], by))
			all[n++] = d->order[i];
	sort_digest = d;
	sort_by = by;
	qsort(all, n, sizeof(*all), cmp_tmpl);
	return take_first(out, all, n, max, sizeof(*all));
}

size_t
report_slow(const struct digest *d, int by, int *out, size_t max)
{
	return sort_tmpls(d, by, out, max);
}

size_t
report_errors(const struct digest *d, int *out, size_t max)
{
	return sort_tmpls(d, SORT_ERRORS, out, max);
}

void
report_latency_range(const struct digest *d, size_t *lo, size_t *hi)
{
	*lo = TIMELINE_BINS;
	*hi = 0;
	for (size_t k = 0; d->lat_bins != NULL && k < LATENCY_BUCKETS; k++)
		widen_used(d->lat_bins + k * TIMELINE_BINS, lo, hi);
	if (*lo >= *hi)
		*lo = *hi = 0;
}

void
report_latency_series(const struct digest *d, size_t lo, size_t hi, size_t n, double q,
    double *out, double *count)
{
	size_t span = hi > lo ? hi - lo : 1;

	if (n > span)
		n = span;
	for (size_t c = 0; c < n; c++) {
		uint32_t h[LATENCY_BUCKETS];
		uint64_t total = 0;
		/* the bins report_buckets() folds into column c */
		size_t from = lo + (c * span + n - 1) / n, to = lo + ((c + 1) * span + n - 1) / n;

		memset(h, 0, sizeof(h));
		for (size_t k = 0; d->lat_bins != NULL && k < LATENCY_BUCKETS; k++)
			for (size_t i = from; i < to && i < hi; i++) {
				h[k] += d->lat_bins[k * TIMELINE_BINS + i];
				total += d->lat_bins[k * TIMELINE_BINS + i];
			}
		out[c] = total ? latency_quantile(h, total, q) : NAN;
		/* interpolation inside the top bucket may pass the largest time seen */
		if (total && out[c] > d->lat_all.max_us)
			out[c] = d->lat_all.max_us;
		if (count != NULL)
			count[c] = (double)total;
	}
}
