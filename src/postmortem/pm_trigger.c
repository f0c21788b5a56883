/*
 * pm_trigger.c - see pm_trigger.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/sort.h"
#include "postmortem/pm_trigger.h"

#define MIN_LEAD_MS 3000
/* Firings closer than this are one burst (a batch of connections takes a while). */
#define BURST_GAP_MS 2000
#define MIN_SCORE 0.05

struct rank {
	struct pm_night *n;
	int64_t lead;
};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A slot for a candidate of score s: a free one, or the weakest if s beats it. */
static struct pm_candidate *
slot(struct pm_night *n, double s)
{
	size_t w = 0;

	if (n->ncand < PM_MAX_CANDIDATES)
		return &n->cand[n->ncand++];
	for (size_t i = 1; i < n->ncand; i++)
		if (n->cand[i].score < n->cand[w].score)
			w = i;
	return n->cand[w].score < s ? &n->cand[w] : NULL;
}

/* Episodes at whose start name was the top holder, and the median count it held. */
static int
holder_starts(const struct pm_night *n, const char *name, double *median, double *usable)
{
	double v[PM_MAX_EPISODES];
	int k = 0;

	for (size_t i = 0; i < n->nep; i++) {
		if (strcmp(n->ep[i].top_holder, name) != 0)
			continue;
		v[k++] = n->ep[i].top_count;
		*usable = n->ep[i].usable;
	}
	if (k == 0)
		return 0;
	for (int i = 1; i < k; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*median = v[k / 2];
	return k;
}

/* Fold chains of firings less than BURST_GAP_MS apart into their first; the new count. */
static size_t
bursts(int64_t *t, size_t n)
{
	size_t k = 0;
	int64_t prev = 0;

	for (size_t i = 0; i < n; i++) {
		int64_t v = t[i];

		if (i == 0 || v - prev >= BURST_GAP_MS)
			t[k++] = v;
		prev = v;
	}
	return k;
}

/* "bursts of 16 lines every 5.0 s ± 0.1 s" or "12 firings (31 lines), irregular" */
static void
rhythm(struct buf *b, const int64_t *t, size_t nf, uint64_t lines)
{
	double iv[PM_MAX_FIRINGS], mean = 0, var = 0, med;
	size_t k = nf - 1;

	if (nf < 3) {
		buf_printf(b, "%zu burst%s (%llu lines)", nf, nf == 1 ? "" : "s",
		    (unsigned long long)lines);
		return;
	}

	for (size_t i = 0; i < k; i++) {
		iv[i] = (double)(t[i + 1] - t[i]) / 1000.0;
		mean += iv[i];
	}
	mean /= (double)k;
	for (size_t i = 0; i < k; i++)
		var += (iv[i] - mean) * (iv[i] - mean);
	qsort(iv, k, sizeof(iv[0]), cmp_double);
	med = iv[k / 2];
	if (lines >= 2 * nf)
		buf_printf(b, "bursts of %.0f lines", (double)lines / (double)nf);
	else
		buf_printf(b, "%zu bursts (%llu lines)", nf, (unsigned long long)lines);
	if (sqrt(var / (double)k) <= 0.2 * med)
		buf_printf(b, " every %.1f s ± %.1f s", med, sqrt(var / (double)k));
	else
		buf_puts(b, " at irregular intervals");
}

/* Is word in text as a whole token or a token's value ("user=word")? */
static int
has_word(const char *text, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = strstr(text, word); p != NULL; p = strstr(p + 1, word)) {
		char before = p == text ? ' ' : p[-1], after = p[wl];

		if ((before == ' ' || before == '=' || before == ':' || before == '"' ||
		    before == '\'') && (after == '\0' || after == ' ' || after == ',' ||
		    after == '"' || after == '\'' || after == ';'))
			return 1;
	}
	return 0;
}

/* A top holder of the episodes that the template names outright, or NULL. */
static const char *
named_holder(const struct pm_night *n, const char *text)
{
	for (size_t e = 0; e < n->nep; e++)
		if (n->ep[e].top_holder[0] != '\0' && has_word(text, n->ep[e].top_holder))
			return n->ep[e].top_holder;
	return NULL;
}

static int
consider(const struct pm_firings *f, void *arg)
{
	struct rank *r = arg;
	struct pm_night *n = r->n;
	int64_t *t = malloc(f->n * sizeof(*t));
	size_t hits = 0, followed = 0, inside = 0, nb;
	double recall, precision, symptom, score, hmed = 0, husable = 0;
	int held = 0;
	const char *name;
	struct pm_candidate *c;
	struct buf ev = BUF_INIT(sizeof(c->evidence) - 1);

	if (t == NULL || n->nep == 0 || f->n < 2)
		goto out;
	memcpy(t, f->t, f->n * sizeof(*t));
	sort_i64(t, f->n);
	nb = bursts(t, f->n);
	for (size_t e = 0, i = 0; e < n->nep; e++) {
		int64_t s = n->ep[e].start;

		while (i < nb && t[i] < s - r->lead)
			i++;
		if (i < nb && t[i] <= s)
			hits++;
	}
	for (size_t i = 0, e = 0; i < nb; i++) {
		while (e < n->nep && n->ep[e].end < t[i])
			e++;
		if (e < n->nep && n->ep[e].start <= t[i] + r->lead && n->ep[e].start >= t[i])
			followed++;
		else if (e < n->nep && t[i] > n->ep[e].start && t[i] <= n->ep[e].end)
			inside++;
	}
	recall = (double)hits / (double)n->nep;
	precision = (double)followed / (double)nb;
	symptom = (double)inside / (double)nb;
	score = recall * precision * (1 - symptom);
	name = f->value[0] != '\0' ? f->value : named_holder(n, f->what);
	if (name != NULL && (held = holder_starts(n, name, &hmed, &husable)) > 0)
		score += 0.5 * (double)held / (double)n->nep;
	if (f->error_like)
		score *= 0.5;   /* refusals and errors are what saturation causes */
	if (hits == 0 || score < MIN_SCORE || (c = slot(n, score)) == NULL)
		goto out;
	memset(c, 0, sizeof(*c));
	pm_textf(c->what, sizeof(c->what), "%s", f->what);
	pm_textf(c->origin, sizeof(c->origin), "%s", f->origin);
	c->score = score;
	c->hits = (int)hits;
	c->episodes = (int)n->nep;
	c->firings = nb;
	if (f->value[0] != '\0')
		buf_printf(&ev, "the lines of `%s` holding %s: ", f->of, f->value);
	rhythm(&ev, t, nb, f->lines);
	buf_printf(&ev, "; %zu of the %zu %s began within %.0f s after it fired", hits, n->nep,
	    n->ep_saturation ? "saturation episodes" : "failure episodes",
	    (double)r->lead / 1000.0);
	buf_printf(&ev, "; %zu of its %zu bursts in the window were followed by one", followed,
	    nb);
	if (inside > 0)
		buf_printf(&ev, "; %zu fired during one (%.0f%%, as a symptom would)", inside,
		    100 * symptom);
	if (f->error_like)
		buf_puts(&ev, "; it reads like an error, which a saturation causes rather than "
		    "follows (its score is halved)");
	if (held > 0)
		buf_printf(&ev, "; at %d of the %zu saturation starts %s held the most connections "
		    "(a median %.0f of %.0f usable)", held, n->nep, name, hmed, husable);
	pm_textf(c->evidence, sizeof(c->evidence), "%s", buf_str(&ev));
out:
	buf_release(&ev);
	free(t);
	return 0;
}

/* Top holders that no log candidate named: candidates of their own. */
static void
holders(struct pm_night *n)
{
	for (size_t e = 0; e < n->nep; e++) {
		const char *name = n->ep[e].top_holder;
		double med = 0, usable = 0, score;
		int held, seen = 0;
		struct pm_candidate *c;

		if (name[0] == '\0')
			continue;
		for (size_t i = 0; i < e && !seen; i++)
			seen = strcmp(n->ep[i].top_holder, name) == 0;
		for (size_t i = 0; i < n->ncand && !seen; i++)
			seen = strstr(n->cand[i].evidence, name) != NULL &&
			    strstr(n->cand[i].evidence, "held the most") != NULL;
		if (seen)
			continue;
		held = holder_starts(n, name, &med, &usable);
		score = 0.5 * (double)held / (double)n->nep * (usable > 0 ? med / usable : 0.5);
		if (score < MIN_SCORE || (c = slot(n, score)) == NULL)
			continue;
		memset(c, 0, sizeof(*c));
		pm_textf(c->what, sizeof(c->what), "%s %s (connection holder)", n->ep[e].top_by, name);
		pm_textf(c->origin, sizeof(c->origin), "brace conns samples");
		pm_textf(c->evidence, sizeof(c->evidence), "at %d of the %zu saturation starts %s %s "
		    "held the most connections (a median %.0f of %.0f usable); no log line was found "
		    "to say when it connected", held, n->nep, n->ep[e].top_by, name, med, usable);
		c->score = score;
		c->hits = held;
		c->episodes = (int)n->nep;
	}
}

static int
cmp_cand(const void *a, const void *b)
{
	const struct pm_candidate *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return strcmp(x->what, y->what);
}

int
pm_trigger_rank(struct pm_night *n, pm_logs *l)
{
	struct rank r = { .n = n };

	if (n->nep == 0)
		return 0;
	r.lead = 2 * (n->ep_saturation && n->sample_gap_ms > 0 ? n->sample_gap_ms : n->bin_ms);
	if (r.lead < MIN_LEAD_MS)
		r.lead = MIN_LEAD_MS;
	if (l != NULL && pm_logs_each_firings(l, n, consider, &r) < 0)
		return -1;
	holders(n);
	qsort(n->cand, n->ncand, sizeof(n->cand[0]), cmp_cand);
	return 0;
}
