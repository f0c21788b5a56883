/*
 * miner.c - see miner.h.
 *
 * A template is an array of tokens; "<*>" marks a variable. Groups (token
 * count, first token) are found through a strtab of "N first-token" strings;
 * each group is a list of template ids scanned for the best match, as in
 * Drain's leaf nodes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "logs/mask.h"
#include "logs/miner.h"
#include "logs/strtab.h"

#define MINER_MAX_GROUP 2000	/* templates compared per group, the newest first */
#define MINER_WORD_VALUES 3	/* distinct words that make a position variable */

struct tmpl {
	int ntok;
	char **tok;
	int parent;             /* union-find: itself while it is a template */
	int next;               /* next id in its group, 0 = end */
	int dirty;
	char *text;
};

struct group {
	int head;               /* newest template id */
	int n;
};

struct cache_slot {
	uint64_t hash;          /* 0 = empty */
	int id;
};

struct miner {
	struct miner_opts o;
	struct tmpl *t;         /* t[0] is the overflow template */
	size_t n, cap;
	struct strtab groups;   /* "N<sp>first" -> group index */
	struct group *g;
	size_t gcap;
	struct cache_slot *cache;
	size_t cache_n, cache_cap;
	/* merges not yet taken by miner_next_merge() */
	int *merges;
	size_t nmerges, capmerges, mhead;
	/* scratch tokenisation of the current key */
	const char **tk;
	size_t *tl;
	size_t tkcap;
};

miner *
miner_new(const struct miner_opts *o)
{
	miner *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->o = *o;
	if (m->o.similarity <= 0)
		m->o.similarity = MINER_DEFAULT_SIMILARITY;
	if (m->o.max_templates == 0)
		m->o.max_templates = 10000;
	strtab_init(&m->groups, m->o.max_templates + 1, 64u << 20);
	m->cap = 64;
	m->t = calloc(m->cap, sizeof(*m->t));
	m->cache_cap = 1024;
	m->cache = calloc(m->cache_cap, sizeof(*m->cache));
	if (m->t == NULL || m->cache == NULL) {
		miner_free(m);
		return NULL;
	}
	m->t[0].text = strdup("(more templates than --max-templates)");
	m->n = 1;
	return m;
}

void
miner_free(miner *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++) {
		for (int k = 0; k < m->t[i].ntok; k++)
			free(m->t[i].tok[k]);
		free(m->t[i].tok);
		free(m->t[i].text);
	}
	free(m->t);
	free(m->g);
	free(m->cache);
	free(m->tk);
	free(m->tl);
	free(m->merges);
	strtab_release(&m->groups);
	free(m);
}

size_t
miner_size(const miner *m)
{
	return m->n;
}

int
miner_resolve(const miner *m, int id)
{
	while (id > 0 && (size_t)id < m->n && m->t[id].parent != id)
		id = m->t[id].parent;
	return id;
}

static int
cache_get(const miner *m, uint64_t h)
{
	h |= 1;
	for (size_t j = h & (m->cache_cap - 1); m->cache[j].hash != 0; j = (j + 1) & (m->cache_cap - 1))
		if (m->cache[j].hash == h)
			return miner_resolve(m, m->cache[j].id);
	return -1;
}

static void
cache_put(miner *m, uint64_t h, int id)
{
	size_t j;

	h |= 1;
	if (m->cache_n >= MINER_MAX_KEYS)
		return;
	if ((m->cache_n + 1) * 2 > m->cache_cap) {
		size_t nc = m->cache_cap * 2;
		struct cache_slot *c = calloc(nc, sizeof(*c));

		if (c == NULL)
			return;
		for (size_t i = 0; i < m->cache_cap; i++) {
			if (m->cache[i].hash == 0)
				continue;
			for (j = m->cache[i].hash & (nc - 1); c[j].hash != 0; j = (j + 1) & (nc - 1))
				;
			c[j] = m->cache[i];
		}
		free(m->cache);
		m->cache = c;
		m->cache_cap = nc;
	}
	for (j = h & (m->cache_cap - 1); m->cache[j].hash != 0; j = (j + 1) & (m->cache_cap - 1))
		if (m->cache[j].hash == h)
			return;
	m->cache[j].hash = h;
	m->cache[j].id = id;
	m->cache_n++;
}

/* Split the key on single spaces into m->tk/m->tl; returns the count. */
static int
split(miner *m, const char *key, size_t len)
{
	size_t n = 0, s = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && key[i] != ' ')
			continue;
		if (n == m->tkcap) {
			size_t nc = m->tkcap ? m->tkcap * 2 : 64;
			const char **tk = realloc(m->tk, nc * sizeof(*tk));
			size_t *tl;

			if (tk == NULL)
				return -1;
			m->tk = tk;
			tl = realloc(m->tl, nc * sizeof(*tl));
			if (tl == NULL)
				return -1;
			m->tl = tl;
			m->tkcap = nc;
		}
		m->tk[n] = key + s;
		m->tl[n] = i - s;
		n++;
		s = i + 1;
	}
	return (int)n;
}

static int
tok_eq(const char *a, const char *b, size_t bl)
{
	return strlen(a) == bl && memcmp(a, b, bl) == 0;
}

static int
is_var(const char *a)
{
	return a[0] == '<' && a[1] == '*' && a[2] == '>' && a[3] == '\0';
}

/* Drain's similarity: equal non-variable tokens over the token count. */
static double
similarity(const miner *m, const struct tmpl *t, int n, int *params)
{
	int same = 0;

	*params = 0;
	for (int i = 0; i < n; i++) {
		if (is_var(t->tok[i]))
			(*params)++;
		else if (tok_eq(t->tok[i], m->tk[i], m->tl[i]))
			same++;
	}
	return n ? (double)same / n : 1.0;
}

static int
delim(char c)
{
	return strchr("=:([{<\"'/@#,;|)]}>.!? -", c) != NULL;
}

/*
 * The merge of two different tokens: their common prefix and suffix cut
 * back to a delimiter, around one variable ("user=root" and "user=admin"
 * give "user=<*>", "()" and "(<*>)" give "(<*>)").
 */
static char *
merge_tok(const char *a, const char *b, size_t bl)
{
	size_t al = strlen(a), p = 0, s = 0;
	char *r;

	while (p < al && p < bl && a[p] == b[p])
		p++;
	while (p > 0 && !delim(a[p - 1]))
		p--;
	while (s < al - p && s < bl - p && a[al - 1 - s] == b[bl - 1 - s])
		s++;
	while (s > 0 && !delim(a[al - s]))
		s--;
	/* a variable already at the edge absorbs the cut ("<*>" + "<*>," stays one) */
	if (p >= 3 && memcmp(a + p - 3, MASK_VAR, 3) == 0)
		p -= 3;
	if (s >= 3 && memcmp(a + al - s, MASK_VAR, 3) == 0)
		s -= 3;
	r = malloc(p + 3 + s + 1);
	if (r == NULL)
		return NULL;
	memcpy(r, a, p);
	memcpy(r + p, MASK_VAR, 3);
	memcpy(r + p + 3, a + al - s, s);
	r[p + 3 + s] = '\0';
	return r;
}

static void
set_tok(struct tmpl *t, int i, const char *b, size_t bl)
{
	char *r;

	if (is_var(t->tok[i]) || tok_eq(t->tok[i], b, bl))
		return;
	r = merge_tok(t->tok[i], b, bl);
	if (r == NULL)
		return;
	free(t->tok[i]);
	t->tok[i] = r;
	t->dirty = 1;
}

static void
generalise(miner *m, struct tmpl *t)
{
	for (int i = 0; i < t->ntok; i++)
		set_tok(t, i, m->tk[i], m->tl[i]);
}

/*
 * Where two tokens differ: their common prefix and suffix cut back to a
 * delimiter, as merge_tok() does; the middles are left in (a, al), (b, bl).
 */
static void
middles(const char **a, size_t *al, const char **b, size_t *bl)
{
	size_t p = 0, s = 0;

	while (p < *al && p < *bl && (*a)[p] == (*b)[p])
		p++;
	while (p > 0 && !delim((*a)[p - 1]))
		p--;
	while (s < *al - p && s < *bl - p && (*a)[*al - 1 - s] == (*b)[*bl - 1 - s])
		s++;
	while (s > 0 && !delim((*a)[*al - s]))
		s--;
	*a += p;
	*b += p;
	*al -= p + s;
	*bl -= p + s;
}

/* A word (letters, at most one trailing digit: eth0, ssh2) or nothing at all. */
static int
wordish(const char *s, size_t n, int *caps)
{
	size_t upper = 0, letters = 0;

	*caps = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			upper++, letters++;
		else if (c >= 'a' && c <= 'z')
			letters++;
		else if (c == '_' && i > 0 && i + 1 < n)
			continue;
		else if (!(c >= '0' && c <= '9' && i == n - 1 && i > 0))
			return 0;
	}
	*caps = upper >= 2 && upper == letters;
	return 1;
}

/* The key of a key=value token ("flags=<*>" -> "flags"), 0 when there is none. */
static size_t
key_len(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=' || (s[i] == ':' && i + 1 < n))
			return i;
		if (!((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') && s[i] != '_' && s[i] != '.' &&
		    !(s[i] >= '0' && s[i] <= '9'))
			return 0;
	}
	return 0;
}

/*
 * Do two different tokens differ in a way that names another event (a
 * different word, a different key) rather than another value? *caps is set
 * for upper-case words (states such as RUNNING), which never merge.
 */
static int
word_difference(const char *a, size_t al, const char *b, size_t bl, int *caps)
{
	size_t ka = key_len(a, al), kb = key_len(b, bl);
	int c1, c2;

	*caps = 0;
	if (ka > 0 && kb > 0 && (ka != kb || memcmp(a, b, ka) != 0))
		return 1;
	middles(&a, &al, &b, &bl);
	if (!wordish(a, al, &c1) || !wordish(b, bl, &c2) || (al == 0 && bl == 0))
		return 0;
	*caps = c1 && c2;
	return 1;
}

static void
log_merge(miner *m, int from, int to)
{
	if (m->nmerges == m->capmerges) {
		size_t nc = m->capmerges ? m->capmerges * 2 : 64;
		int *g = realloc(m->merges, nc * 2 * sizeof(*g));

		if (g == NULL)
			return;
		m->merges = g;
		m->capmerges = nc;
	}
	m->merges[2 * m->nmerges] = from;
	m->merges[2 * m->nmerges + 1] = to;
	m->nmerges++;
}

int
miner_next_merge(miner *m, int *from, int *to)
{
	if (m->mhead >= m->nmerges) {
		m->mhead = m->nmerges = 0;
		return 0;
	}
	*from = m->merges[2 * m->mhead];
	*to = m->merges[2 * m->mhead + 1];
	m->mhead++;
	return 1;
}

/* Fold template `from` into `to` (same group): positions that differ become variables. */
static void
absorb(miner *m, int to, int from)
{
	struct tmpl *a = &m->t[to], *b = &m->t[from];

	for (int i = 0; i < a->ntok && i < b->ntok; i++)
		set_tok(a, i, b->tok[i], strlen(b->tok[i]));
	b->parent = to;
	log_merge(m, from, to);
}

/*
 * Words that differ are constants until proven otherwise: "cupsd startup
 * succeeded" and "cupsd shutdown succeeded" are two events, while a user
 * name is a variable. So a key that differs from its best template in
 * plain words joins it only when MINER_WORD_VALUES templates differ from
 * it in just those places (then they are all merged); upper-case words
 * (RUNNING, LOOKING) are states and never merged. Returns 1 to join.
 */
static int
words_allow_join(miner *m, int best, long gi, int n)
{
	struct tmpl *t = &m->t[best];
	int diff[64], nd = 0, siblings[MINER_WORD_VALUES], ns = 0, k = 0;

	for (int i = 0; i < n; i++) {
		int caps;

		if (is_var(t->tok[i]) || tok_eq(t->tok[i], m->tk[i], m->tl[i]))
			continue;
		if (!word_difference(t->tok[i], strlen(t->tok[i]), m->tk[i], m->tl[i], &caps))
			continue;
		if (caps)
			return 0;
		if (nd == 64)
			return 0;
		diff[nd++] = i;
	}
	if (nd == 0)
		return 1;
	/* templates equal to the key outside the differing words */
	for (int s = m->g[gi].head; s != 0 && k < MINER_MAX_GROUP; s = m->t[s].next, k++) {
		struct tmpl *u = &m->t[s];
		int ok = u->parent == s && u->ntok == n, d = 0;

		for (int i = 0; ok && i < n; i++) {
			if (d < nd && diff[d] == i) {
				d++;
				ok = !is_var(u->tok[i]) && !tok_eq(u->tok[i], m->tk[i], m->tl[i]);
				continue;
			}
			ok = is_var(u->tok[i]) || tok_eq(u->tok[i], m->tk[i], m->tl[i]) ||
			    !word_difference(u->tok[i], strlen(u->tok[i]), m->tk[i], m->tl[i], &(int){ 0 });
		}
		if (ok && ns < MINER_WORD_VALUES)
			siblings[ns++] = s;
	}
	if (ns + 1 < MINER_WORD_VALUES)
		return 0;
	for (int i = 0; i < ns; i++)
		if (siblings[i] != best)
			absorb(m, best, siblings[i]);
	return 1;
}

static int
new_template(miner *m, int n, long gi)
{
	struct tmpl *t;

	if (m->n == m->cap) {
		size_t nc = m->cap * 2;
		struct tmpl *nt = realloc(m->t, nc * sizeof(*nt));

		if (nt == NULL)
			return -1;
		memset(nt + m->cap, 0, (nc - m->cap) * sizeof(*nt));
		m->t = nt;
		m->cap = nc;
	}
	t = &m->t[m->n];
	t->tok = calloc((size_t)(n ? n : 1), sizeof(char *));
	if (t->tok == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		t->tok[i] = strndup(m->tk[i], m->tl[i]);
		if (t->tok[i] == NULL)
			return -1;
		t->ntok = i + 1;
	}
	t->ntok = n;
	t->dirty = 1;
	t->parent = (int)m->n;
	t->next = m->g[gi].head;
	m->g[gi].head = (int)m->n;
	m->g[gi].n++;
	return (int)m->n++;
}

static long
group_of(miner *m, int n)
{
	char gk[512];
	int gl;
	long gi;

	gl = snprintf(gk, sizeof(gk), "%d %.*s", n, n > 0 ? (int)(m->tl[0] < 400 ? m->tl[0] : 400) : 0,
	    n > 0 ? m->tk[0] : "");
	gi = strtab_intern(&m->groups, gk, (size_t)gl, strtab_hash(gk, (size_t)gl));
	if (gi < 0)
		return -1;
	if ((size_t)gi >= m->gcap) {
		size_t nc = m->gcap ? m->gcap * 2 : 64;
		struct group *g = realloc(m->g, nc * sizeof(*g));

		if (g == NULL)
			return -1;
		memset(g + m->gcap, 0, (nc - m->gcap) * sizeof(*g));
		m->g = g;
		m->gcap = nc;
	}
	return gi;
}

int
miner_add(miner *m, const char *key, size_t len, uint64_t hash)
{
	int id = cache_get(m, hash), n, best = -1, best_params = -1, k = 0;
	double best_sim = -1;
	long gi;

	if (id >= 0)
		return id;
	n = split(m, key, len);
	if (n < 0 || (gi = group_of(m, n)) < 0)
		return MINER_OVERFLOW;
	if (!m->o.exact) {
		for (int i = m->g[gi].head; i != 0 && k < MINER_MAX_GROUP; i = m->t[i].next, k++) {
			int params;
			double s;

			if (m->t[i].parent != i)
				continue;
			s = similarity(m, &m->t[i], n, &params);

			if (s > best_sim || (s == best_sim && params > best_params)) {
				best_sim = s;
				best = i;
				best_params = params;
			}
		}
	}
	if (best > 0 && ((best_sim >= m->o.similarity && words_allow_join(m, best, gi, n)) ||
	    m->n > m->o.max_templates)) {
		generalise(m, &m->t[best]);
		id = best;
	} else if (m->n > m->o.max_templates) {
		id = MINER_OVERFLOW;
	} else if ((id = new_template(m, n, gi)) < 0) {
		id = MINER_OVERFLOW;
	}
	cache_put(m, hash, id);
	return id;
}

const char *
miner_template(miner *m, int id)
{
	struct tmpl *t;
	struct buf b = BUF_INIT(1 << 20);

	if (id < 0 || (size_t)id >= m->n)
		return "";
	t = &m->t[miner_resolve(m, id)];
	if (!t->dirty && t->text != NULL)
		return t->text;
	for (int i = 0; i < t->ntok; i++) {
		if (i > 0)
			buf_putc(&b, ' ');
		buf_puts(&b, t->tok[i]);
	}
	free(t->text);
	t->text = b.data ? buf_detach(&b) : strdup("");
	t->dirty = 0;
	return t->text;
}
