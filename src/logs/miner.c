/*
 * miner.c - see miner.h.
 *
 * A template is a skeleton of elements (words and symbols) with a gap
 * before each element and one after the last; a gap is NULL when empty,
 * else the text of the variable tokens it holds. An element is a literal
 * (equal text matches), a wildcard word ("user=<*>": any word with that
 * prefix and suffix) or a span ("<*>" standing for 1..MINER_MAX_SPAN
 * elements).
 *
 * Lookups, in order of cost: the key cache; the exact map (hash of a
 * skeleton of literals -> template); the word index (each literal real
 * word -> the templates holding it), which finds the templates whose
 * literal words the key holds (a count filter) so that those with
 * wildcards can be matched against it, and the near templates that a new
 * template may be a sibling of. Patterns of siblings are "slots", found by
 * the hash of their shared prefix and suffix.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/buf.h"
#include "logs/mask.h"
#include "logs/miner.h"
#include "logs/strtab.h"

#define MINER_CANDIDATES 24     /* near templates a new template is compared with */
#define MINER_SLOT_MEMBERS 256  /* siblings remembered per pattern */
#define MINER_SETTLE_ROUNDS 8
#define MINER_MAX_SPANS 3       /* spans per template (matching tries each length) */
#define WID_NONE (-1)

enum elem_kind {
	E_LIT,                  /* the same text */
	E_WILD,                 /* s[0..plen) + anything + s[plen+3..len) */
	E_SPAN,                 /* 1..MINER_MAX_SPAN elements */
};

struct elem {
	char *s;
	uint32_t len, plen;
	int32_t wid;            /* word index of a literal real word, else WID_NONE */
	uint8_t kind;
	uint8_t real;           /* holds a letter outside "<*>" (literals and wildcards) */
};

struct tmpl {
	struct elem *e;
	char **gap;             /* ne + 1 gaps; NULL = empty */
	int ne;
	int nreal;              /* distinct literal real words: what the index holds */
	int nwild;              /* wildcard and span elements */
	int nspan;              /* span elements */
	int parent;             /* union-find: itself while it is a template */
	uint64_t weight;        /* lines, merged ones included */
	int dirty;
	char *text;
	/* count filter scratch */
	uint32_t stamp, wstamp;
	int cnt;
};

struct ivec {                   /* a growing array of ids */
	int *v;
	uint32_t n, cap;
};

enum slot_kind {
	SLOT_WORD,              /* a stretch of plain words: variable on evidence */
	SLOT_VALUE,             /* a word holding a variable: variable by form */
	SLOT_FAMILY,            /* templates that differ in values of keys (or quoted
	                           strings) only: variables on evidence */
};

struct slot {
	uint64_t key;
	int pre, suf;           /* shared elements before and after the stretch */
	uint8_t kind, done;
	int root;               /* the merged template once done */
	struct ivec m;          /* sibling template ids */
};

struct cache_slot {
	uint64_t hash;          /* 0 = empty */
	int id;
};

struct hmap {                   /* 64-bit key -> int, open addressing */
	uint64_t *k;            /* 0 = empty */
	int *v;
	size_t n, cap;
};

/* One element of the key being mined. */
struct kel {
	const char *s;
	uint64_t h;             /* strtab_hash of its text */
	uint32_t len;
	int32_t wid;
	uint8_t real;
};

struct miner {
	struct miner_opts o;
	struct tmpl *t;         /* t[0] is the overflow template */
	size_t n, cap;
	struct cache_slot *cache;
	size_t cache_n, cache_cap;
	struct hmap exact;      /* skeleton hash -> template */
	struct hmap vmap;       /* value-normalised skeleton hash -> template */
	struct hmap wildw;      /* hashes of the words of templates with variables */
	struct strtab words;
	struct ivec *post;
	size_t npost;
	struct hmap slotmap;    /* pattern hash -> index into slots */
	struct slot *slots;
	size_t nslots, capslots, maxslots;
	uint32_t stamp, wstamp;
	struct ivec cand;       /* candidates of the count filter, or members of a slot */
	/* merges not yet taken by miner_next_merge() */
	int *merges;
	size_t nmerges, capmerges, mhead;
	/* values of merged templates not yet taken by miner_next_value() */
	struct miner_value *vals;
	size_t nvals, capvals, vhead;
	/* the key being mined: elements and the gaps before them (gap nk ends it) */
	struct kel *k;
	const char **kg;
	uint32_t *kgl;
	int nk, kcap;
	int *map;               /* glob alignment scratch */
	int mapcap;
	uint32_t *wgen, *wcnt, *wlast;  /* per word: counts over a slot's stretches */
	size_t wcap;
	uint32_t gen;
	int *order;             /* slots in the order miner_settle() weighs them */
};

/* ---- tokens ------------------------------------------------------------- */

static int
is_var_at(const char *s, size_t n, size_t i)
{
	return i + 3 <= n && s[i] == '<' && s[i + 1] == '*' && s[i + 2] == '>';
}

/* A letter outside "<*>". */
static int
has_letter(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_var_at(s, n, i))
			i += 2;
		else if ((unsigned)((c | 0x20) - 'a') <= 25 || c >= 0x80)
			return 1;
	}
	return 0;
}

/*
 * A token that is a variable part only: holds "<*>" and no letter, or is
 * an empty pair of brackets or quotes ("()", "''": a value that is empty).
 */
static int
gap_token(const char *s, size_t n)
{
	int var = 0;

	if (n == 2 && strchr("([{<\"'", s[0]) != NULL && strchr(")]}>\"'", s[1]) != NULL)
		return 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_var_at(s, n, i)) {
			var = 1;
			i += 2;
		} else if ((unsigned)((c | 0x20) - 'a') <= 25 || c >= 0x80) {
			return 0;
		}
	}
	return var;
}

static uint64_t
mix(uint64_t h, uint64_t x)
{
	h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static int
delim(char c)
{
	return strchr("=:([{<\"'/@#,;|)]}>.!? -", c) != NULL;
}

/*
 * The merge of two different tokens: their common prefix and suffix cut
 * back to a delimiter, around one variable ("user=root" and "user=admin"
 * give "user=<*>", "()" and "(<*>)" give "(<*>)"). *plen is where the
 * variable starts.
 */
static char *
merge_tok(const char *a, size_t al, const char *b, size_t bl, uint32_t *plen)
{
	size_t p = 0, s = 0;
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
	*plen = (uint32_t)p;
	return r;
}

static char quoted(const char *s, size_t n);

/*
 * The key of a key=value (or key:value) token, with its separator; 0 if
 * none. A value that opens a quote and does not close it in the token is
 * the start of free text (msg="Starting the server), not a value.
 */
static size_t
key_len(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == '(' || s[i] == '[' || s[i] == '{'))
		i++;
	for (size_t k = i; k < n; k++) {
		unsigned char c = (unsigned char)s[k];

		if ((c == '=' || c == ':') && k > i && k + 1 < n) {
			if ((s[k + 1] == '"' || s[k + 1] == '\'') && !quoted(s + k + 1, n - k - 1))
				return 0;
			return k + 1;
		}
		if (!((unsigned)((c | 0x20) - 'a') <= 25 || (unsigned)(c - '0') <= 9 || c == '_' ||
		    c == '.' || c == '-'))
			return 0;
	}
	return 0;
}

/* A quoted string, maybe followed by punctuation: its quote character, or 0. */
static char
quoted(const char *s, size_t n)
{
	char q = n > 1 ? s[0] : 0;

	if (q != '"' && q != '\'' && q != '`')
		return 0;
	while (n > 1 && strchr(",;:.)]}", s[n - 1]) != NULL)
		n--;
	return n > 1 && s[n - 1] == q ? q : 0;
}

/*
 * The value of a key=value word or of a quoted string: its start, and its
 * length in *vl; NULL when the word is neither.
 */
static const char *
value_of(const char *s, size_t n, size_t *vl)
{
	size_t k = key_len(s, n);

	if (k > 0) {
		*vl = n - k;
		return s + k;
	}
	if (quoted(s, n)) {
		*vl = n;
		return s;
	}
	return NULL;
}

/*
 * Two words that are values of one key (or quoted strings), one of them
 * masked already ("relay=<*>[<*>]" and "relay=unknown[<*>]"): the other is
 * a value by its form. Two plain words ("user=alice", "user=bob") are left
 * to the evidence, as any word.
 */
static int
value_pair(const char *a, size_t al, const char *b, size_t bl)
{
	size_t ka = key_len(a, al), kb = key_len(b, bl), va = 0, vb = 0;
	const char *pa, *pb;
	char qa, qb;

	if (ka > 0 || kb > 0) {
		if (ka != kb || memcmp(a, b, ka) != 0)
			return 0;
	} else {
		qa = quoted(a, al);
		qb = quoted(b, bl);
		if (qa == 0 || qa != qb)
			return 0;
	}
	pa = value_of(a, al, &va);
	pb = value_of(b, bl, &vb);
	return pa != NULL && pb != NULL && (!has_letter(pa, va) || !has_letter(pb, vb));
}

/* ---- tables --------------------------------------------------------------- */

static int
hmap_get(const struct hmap *h, uint64_t key)
{
	key |= 1;
	if (h->cap == 0)
		return -1;
	for (size_t j = key & (h->cap - 1); h->k[j] != 0; j = (j + 1) & (h->cap - 1))
		if (h->k[j] == key)
			return h->v[j];
	return -1;
}

/* Insert or replace; -1 when memory runs out. */
static int
hmap_put(struct hmap *h, uint64_t key, int v)
{
	size_t j;

	key |= 1;
	if ((h->n + 1) * 2 > h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 1024;
		uint64_t *k = calloc(nc, sizeof(*k));
		int *vv = calloc(nc, sizeof(*vv));

		if (k == NULL || vv == NULL) {
			free(k);
			free(vv);
			return -1;
		}
		for (size_t i = 0; i < h->cap; i++) {
			if (h->k[i] == 0)
				continue;
			for (j = h->k[i] & (nc - 1); k[j] != 0; j = (j + 1) & (nc - 1))
				;
			k[j] = h->k[i];
			vv[j] = h->v[i];
		}
		free(h->k);
		free(h->v);
		h->k = k;
		h->v = vv;
		h->cap = nc;
	}
	for (j = key & (h->cap - 1); h->k[j] != 0; j = (j + 1) & (h->cap - 1))
		if (h->k[j] == key) {
			h->v[j] = v;
			return 0;
		}
	h->k[j] = key;
	h->v[j] = v;
	h->n++;
	return 0;
}

static void
hmap_release(struct hmap *h)
{
	free(h->k);
	free(h->v);
	memset(h, 0, sizeof(*h));
}

/* Append id; -1 on memory. */
static int
ivec_push(struct ivec *a, int id)
{
	if (ARRAY_GROW(a->v, a->n, a->cap, 8) < 0)
		return -1;
	a->v[a->n++] = id;
	return 0;
}

/* ---- life ----------------------------------------------------------------- */

miner *
miner_new(const struct miner_opts *o)
{
	miner *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->o = *o;
	if (m->o.similarity <= 0)
		m->o.similarity = MINER_DEFAULT_SIMILARITY;
	if (m->o.var_min <= 0)
		m->o.var_min = MINER_DEFAULT_VAR_MIN;
	if (m->o.var_log <= 0)
		m->o.var_log = MINER_DEFAULT_VAR_LOG;
	if (m->o.max_templates == 0)
		m->o.max_templates = 10000;
	m->maxslots = 16 * m->o.max_templates;
	strtab_init(&m->words, 64 * m->o.max_templates, 256u << 20);
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

static void
tmpl_release(struct tmpl *t)
{
	for (int k = 0; k < t->ne; k++)
		free(t->e[k].s);
	for (int k = 0; t->gap != NULL && k <= t->ne; k++)
		free(t->gap[k]);
	free(t->e);
	free(t->gap);
	free(t->text);
	t->e = NULL;
	t->gap = NULL;
	t->text = NULL;
}

void
miner_free(miner *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		tmpl_release(&m->t[i]);
	free(m->t);
	free(m->cache);
	hmap_release(&m->exact);
	hmap_release(&m->vmap);
	hmap_release(&m->wildw);
	hmap_release(&m->slotmap);
	for (size_t i = 0; i < m->npost; i++)
		free(m->post[i].v);
	free(m->post);
	strtab_release(&m->words);
	for (size_t i = 0; i < m->nslots; i++)
		free(m->slots[i].m.v);
	free(m->slots);
	free(m->cand.v);
	free(m->merges);
	for (size_t i = 0; i < m->nvals; i++)
		free(m->vals[i].value);
	free(m->vals);
	free(m->k);
	free(m->kg);
	free(m->kgl);
	free(m->map);
	free(m->wgen);
	free(m->wcnt);
	free(m->wlast);
	free(m->order);
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

/* miner_resolve() that also shortens the path for the next time. */
static int
root(miner *m, int id)
{
	while (id > 0 && m->t[id].parent != id) {
		m->t[id].parent = m->t[m->t[id].parent].parent;
		id = m->t[id].parent;
	}
	return id;
}

/* ---- the key cache -------------------------------------------------------- */

static int
cache_get(miner *m, uint64_t h)
{
	h |= 1;
	for (size_t j = h & (m->cache_cap - 1); m->cache[j].hash != 0; j = (j + 1) & (m->cache_cap - 1))
		if (m->cache[j].hash == h)
			return root(m, m->cache[j].id);
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

/* ---- reading a key -------------------------------------------------------- */

/* Room for n elements (and n + 1 gaps) in the key scratch; -1 on memory. */
static int
key_room(miner *m, int n)
{
	int nc = m->kcap ? m->kcap : 64;
	struct kel *k;
	const char **kg;
	uint32_t *kgl;

	if (n + 1 <= m->kcap)
		return 0;
	while (nc < n + 1)
		nc *= 2;
	if ((k = realloc(m->k, (size_t)nc * sizeof(*k))) == NULL)
		return -1;
	m->k = k;
	if ((kg = realloc(m->kg, (size_t)nc * sizeof(*kg))) == NULL)
		return -1;
	m->kg = kg;
	if ((kgl = realloc(m->kgl, (size_t)nc * sizeof(*kgl))) == NULL)
		return -1;
	m->kgl = kgl;
	m->kcap = nc;
	return 0;
}

/* Split the key into elements and gaps (m->k, m->kg); -1 on memory. */
static int
parse_key(miner *m, const char *key, size_t len)
{
	size_t i = 0;
	const char *gs = NULL, *ge = NULL;

	m->nk = 0;
	while (i <= len) {
		size_t s = i;

		while (i < len && key[i] != ' ')
			i++;
		if (i > s || m->kcap == 0) {
			if (key_room(m, m->nk + 1) < 0)
				return -1;
			if (i == s) {
				/* an empty key: only the room was wanted */
			} else if (gap_token(key + s, i - s)) {
				if (gs == NULL)
					gs = key + s;
				ge = key + i;
			} else {
				struct kel *k = &m->k[m->nk];

				m->kg[m->nk] = gs;
				m->kgl[m->nk] = gs ? (uint32_t)(ge - gs) : 0;
				gs = NULL;
				k->s = key + s;
				k->len = (uint32_t)(i - s);
				k->h = strtab_hash(k->s, k->len);
				k->real = (uint8_t)has_letter(k->s, k->len);
				k->wid = WID_NONE;
				m->nk++;
			}
		}
		i++;
	}
	m->kg[m->nk] = gs;
	m->kgl[m->nk] = gs ? (uint32_t)(ge - gs) : 0;
	return 0;
}

static uint64_t
elem_hash(const char *s, size_t n)
{
	return strtab_hash(s, n);
}

static uint64_t
key_skeleton_hash(const miner *m)
{
	uint64_t h = 0x5bd1e995u + (uint64_t)m->nk;

	for (int i = 0; i < m->nk; i++)
		h = mix(h, m->k[i].h);
	return h;
}

static uint64_t
tmpl_skeleton_hash(const struct tmpl *t)
{
	uint64_t h = 0x5bd1e995u + (uint64_t)t->ne;

	for (int i = 0; i < t->ne; i++)
		h = mix(h, elem_hash(t->e[i].s, t->e[i].len));
	return h;
}

/*
 * An element as the value-normalised skeleton sees it: a key=value word as
 * its key, a quoted string as its quote, a variable alone as "<*>" (values
 * of one key are one event whatever they hold).
 */
static uint64_t
norm_hash_h(const char *s, size_t n, int kind, uint64_t h)
{
	size_t k;
	char q;

	if (kind == E_SPAN)
		return 0x5be0cd19137e2179ULL;
	if ((memchr(s, '=', n) != NULL || memchr(s, ':', n) != NULL) && (k = key_len(s, n)) > 0)
		return mix(0x6a09e667f3bcc908ULL, elem_hash(s, k));
	if ((q = quoted(s, n)) != 0)
		return mix(0xbb67ae8584caa73bULL, (uint64_t)(unsigned char)q);
	return h;
}

static uint64_t
norm_hash(const char *s, size_t n, int kind)
{
	return norm_hash_h(s, n, kind, elem_hash(s, n));
}

static uint64_t
key_value_hash(const miner *m)
{
	uint64_t h = 0x3c6ef372fe94f82bULL + (uint64_t)m->nk;

	for (int i = 0; i < m->nk; i++)
		h = mix(h, norm_hash_h(m->k[i].s, m->k[i].len, E_LIT, m->k[i].h));
	return h;
}

static uint64_t
tmpl_value_hash(const struct tmpl *t)
{
	uint64_t h = 0x3c6ef372fe94f82bULL + (uint64_t)t->ne;

	for (int i = 0; i < t->ne; i++)
		h = mix(h, norm_hash(t->e[i].s, t->e[i].len, t->e[i].kind));
	return h;
}

/* Word ids of the key's real words (those in the index). */
static void
key_words(miner *m)
{
	for (int i = 0; i < m->nk; i++) {
		struct kel *k = &m->k[i];

		k->wid = WID_NONE;
		if (k->real)
			k->wid = (int32_t)strtab_find(&m->words, k->s, k->len, k->h);
	}
}

/* ---- templates ------------------------------------------------------------ */

static char *
dup_n(const char *s, size_t n)
{
	char *r = malloc(n + 1);

	if (r != NULL) {
		memcpy(r, s, n);
		r[n] = '\0';
	}
	return r;
}

static struct tmpl *
tmpl_slot(miner *m)
{
	if (m->n == m->cap) {
		size_t nc = m->cap * 2;
		struct tmpl *nt = realloc(m->t, nc * sizeof(*nt));

		if (nt == NULL)
			return NULL;
		memset(nt + m->cap, 0, (nc - m->cap) * sizeof(*nt));
		m->t = nt;
		m->cap = nc;
	}
	memset(&m->t[m->n], 0, sizeof(m->t[m->n]));
	return &m->t[m->n];
}

static int
posting_add(miner *m, int32_t wid, int id)
{
	struct ivec *p;

	if ((size_t)wid >= m->npost) {
		size_t nc = m->npost ? m->npost * 2 : 1024;
		struct ivec *np;

		while (nc <= (size_t)wid)
			nc *= 2;
		if ((np = realloc(m->post, nc * sizeof(*np))) == NULL)
			return -1;
		memset(np + m->npost, 0, (nc - m->npost) * sizeof(*np));
		m->post = np;
		m->npost = nc;
	}
	p = &m->post[wid];
	if (p->n > 0 && p->v[p->n - 1] == id)
		return 0;
	return ivec_push(p, id);
}

/* Count the distinct literal real words and the wildcards of t. */
static void
tmpl_count(struct tmpl *t)
{
	t->nreal = 0;
	t->nwild = 0;
	t->nspan = 0;
	for (int i = 0; i < t->ne; i++) {
		int dup = 0;

		if (t->e[i].kind != E_LIT) {
			t->nwild++;
			t->nspan += t->e[i].kind == E_SPAN;
			continue;
		}
		if (t->e[i].wid == WID_NONE)
			continue;
		for (int j = 0; j < i && !dup; j++)
			dup = t->e[j].kind == E_LIT && t->e[j].wid == t->e[i].wid;
		t->nreal += !dup;
	}
}

/* A new template from the key; its id, or -1. */
static int
tmpl_new(miner *m, int index)
{
	struct tmpl *t = tmpl_slot(m);
	int id = (int)m->n;

	if (t == NULL)
		return -1;
	t->e = calloc((size_t)(m->nk ? m->nk : 1), sizeof(*t->e));
	t->gap = calloc((size_t)m->nk + 1, sizeof(*t->gap));
	if (t->e == NULL || t->gap == NULL)
		goto fail;
	for (int i = 0; i < m->nk; i++) {
		struct elem *e = &t->e[i];
		const struct kel *k = &m->k[i];

		if ((e->s = dup_n(k->s, k->len)) == NULL)
			goto fail;
		t->ne = i + 1;
		e->len = k->len;
		e->kind = E_LIT;
		e->real = k->real;
		e->wid = WID_NONE;
		if (index && k->real) {
			long w = strtab_intern(&m->words, k->s, k->len, strtab_hash(k->s, k->len));

			if (w >= 0 && posting_add(m, (int32_t)w, id) == 0)
				e->wid = (int32_t)w;
		}
	}
	t->ne = m->nk;
	for (int i = 0; i <= m->nk; i++)
		if (m->kg[i] != NULL && (t->gap[i] = dup_n(m->kg[i], m->kgl[i])) == NULL)
			goto fail;
	tmpl_count(t);
	t->parent = id;
	t->dirty = 1;
	m->n++;
	return id;
fail:
	tmpl_release(t);
	return -1;
}

/* Merge gap b into *a: equal stays, else token by token, else one "<*>". */
static void
gap_merge(char **a, const char *b, size_t bl)
{
	const char *x = *a;
	size_t xl = x ? strlen(x) : 0;
	struct buf out = BUF_INIT(1 << 20);
	size_t i = 0, j = 0, nx = 0, nb = 0;

	if ((x == NULL && b == NULL) || (x != NULL && b != NULL && xl == bl && memcmp(x, b, bl) == 0))
		return;
	if (x != NULL && strcmp(x, MASK_VAR) == 0)
		return;
	for (size_t k = 0; k < xl; k++)
		nx += x[k] == ' ';
	for (size_t k = 0; b != NULL && k < bl; k++)
		nb += b[k] == ' ';
	if (x == NULL || b == NULL || nx != nb) {
		free(*a);
		*a = strdup(MASK_VAR);
		return;
	}
	while (i <= xl) {
		size_t ie = i, je = j;
		uint32_t plen;

		while (ie < xl && x[ie] != ' ')
			ie++;
		while (je < bl && b[je] != ' ')
			je++;
		if (out.len > 0)
			buf_putc(&out, ' ');
		if (ie - i == je - j && memcmp(x + i, b + j, ie - i) == 0) {
			buf_append(&out, x + i, ie - i);
		} else {
			char *r = merge_tok(x + i, ie - i, b + j, je - j, &plen);

			if (r != NULL)
				buf_puts(&out, r);
			free(r);
		}
		i = ie + 1;
		j = je + 1;
	}
	if (out.data != NULL) {
		free(*a);
		*a = buf_detach(&out);
	}
}

/* ---- matching a key against a template with wildcards ---------------------- */

static int
wild_match(const struct elem *e, const char *s, size_t n)
{
	size_t sl = e->len - e->plen - 3;

	return n > (size_t)e->plen + sl && memcmp(s, e->s, e->plen) == 0 &&
	    memcmp(s + n - sl, e->s + e->plen + 3, sl) == 0;
}

/*
 * Do the key's elements j.. fit template elements i..? map[i] = the first
 * key element element i took. A variable without letters ("<*>", "'<*>'",
 * a span) also takes none where the key has a gap instead: "user <*> from"
 * fits both "user alice from" and "user <*> from" (a masked name).
 */
static int
glob(miner *m, const struct tmpl *t, int i, int j)
{
	const struct elem *e;

	if (i == t->ne) {
		m->map[i] = j;
		return j == m->nk;
	}
	m->map[i] = j;
	e = &t->e[i];
	if (j < m->nk) {
		switch (e->kind) {
		case E_LIT:
			return e->len == m->k[j].len && memcmp(e->s, m->k[j].s, e->len) == 0 &&
			    glob(m, t, i + 1, j + 1);
		case E_WILD:
			if (wild_match(e, m->k[j].s, m->k[j].len) && glob(m, t, i + 1, j + 1))
				return 1;
			break;
		default:
			for (int l = 1; l <= MINER_MAX_SPAN && j + l <= m->nk; l++) {
				if (glob(m, t, i + 1, j + l)) {
					m->map[i] = j;
					return 1;
				}
			}
			break;
		}
	}
	if (e->kind == E_LIT || e->real || m->kg[j] == NULL)
		return 0;
	m->map[i] = j;
	return glob(m, t, i + 1, j);
}

/* Room in m->map for an alignment with template t; -1 on memory. */
static int
map_room(miner *m, const struct tmpl *t)
{
	if (t->ne + 1 > m->mapcap) {
		int nc = t->ne + 64;
		int *mp = realloc(m->map, (size_t)nc * sizeof(*mp));

		if (mp == NULL)
			return -1;
		m->map = mp;
		m->mapcap = nc;
	}
	return 0;
}

static int
fits(miner *m, const struct tmpl *t)
{
	return map_room(m, t) == 0 && glob(m, t, 0, 0);
}

/*
 * The key fits t (m->map holds where): fold its gaps into t's. Where a
 * variable of t took no element, the key's gap there is that variable.
 */
static void
join(miner *m, struct tmpl *t)
{
	for (int i = 0; i <= t->ne; i++) {
		int j = m->map[i];
		const char *g = m->kg[j];

		if ((i < t->ne && m->map[i + 1] == j) || (i > 0 && m->map[i - 1] == j))
			continue;
		gap_merge(&t->gap[i], g, g ? m->kgl[j] : 0);
	}
	t->dirty = 1;
}

static void note_wild(miner *m, const struct tmpl *t);

/* Element e takes the word s[0..n) too: it becomes their merge ("user=<*>"). */
static int
widen_to(struct elem *e, const char *s, size_t n)
{
	uint32_t plen;
	char *r;

	if ((e->kind == E_LIT && e->len == n && memcmp(e->s, s, n) == 0) ||
	    (e->kind == E_WILD && wild_match(e, s, n)))
		return 0;
	if ((r = merge_tok(e->s, e->len, s, n, &plen)) == NULL)
		return -1;
	free(e->s);
	e->s = r;
	e->len = (uint32_t)strlen(r);
	e->plen = plen;
	e->kind = E_WILD;
	e->real = (uint8_t)has_letter(r, e->len);
	e->wid = WID_NONE;
	return 0;
}

/* Do two words differ as values of one key, or as quoted strings? */
static int
same_value_form(const char *a, size_t al, const char *b, size_t bl)
{
	size_t ka = key_len(a, al), kb = key_len(b, bl);
	char qa, qb;

	if (ka > 0 || kb > 0)
		return ka == kb && memcmp(a, b, ka) == 0;
	qa = quoted(a, al);
	qb = quoted(b, bl);
	return qa != 0 && qa == qb;
}

/*
 * How the key stands to t, element by element, where words that differ
 * are values of the same key ("pod=<*>", "user=bob") or quoted strings:
 * VALUES_FIT when every one of them is a value by its form (value_pair()),
 * VALUES_WORDS when some differ as words (the evidence decides), 0 when
 * the key is not of t's family at all.
 */
enum { VALUES_WORDS = 1, VALUES_FIT = 2 };

static int
value_fit(const miner *m, const struct tmpl *t)
{
	int fit = VALUES_FIT;

	if (t->ne != m->nk)
		return 0;
	for (int i = 0; i < t->ne; i++) {
		const struct elem *e = &t->e[i];
		const struct kel *k = &m->k[i];

		if (e->kind == E_SPAN)
			return 0;
		if ((e->kind == E_LIT && e->len == k->len && memcmp(e->s, k->s, k->len) == 0) ||
		    (e->kind == E_WILD && wild_match(e, k->s, k->len)))
			continue;
		if (!same_value_form(e->s, e->len, k->s, k->len))
			return 0;
		if (!value_pair(e->s, e->len, k->s, k->len))
			fit = VALUES_WORDS;
	}
	return fit;
}

/* The key fits t as value_fit() says: its values become t's variables. */
static int
value_join(miner *m, struct tmpl *t)
{
	for (int i = 0; i < t->ne; i++)
		widen_to(&t->e[i], m->k[i].s, m->k[i].len);
	tmpl_count(t);
	note_wild(m, t);
	for (int i = 0; i <= t->ne; i++)
		m->map[i] = i;
	join(m, t);
	return 1;
}

/* ---- the count filter ------------------------------------------------------ */

/*
 * For every template holding some of the words wids[0..n): how many of
 * them (t->cnt), listed in m->cand. self is left out.
 */
static void
count_filter(miner *m, const int32_t *wids, int n, size_t stride, int self)
{
	m->stamp++;
	m->cand.n = 0;
	for (int i = 0; i < n; i++) {
		int32_t w = *(const int32_t *)(const void *)((const char *)wids + (size_t)i * stride);
		struct ivec *p;

		if (w == WID_NONE || (size_t)w >= m->npost)
			continue;
		p = &m->post[w];
		m->wstamp++;
		for (uint32_t j = 0; j < p->n; j++) {
			int r = root(m, p->v[j]);
			struct tmpl *t = &m->t[r];

			if (r == self || r <= 0)
				continue;
			if (t->stamp != m->stamp) {
				t->stamp = m->stamp;
				t->cnt = 0;
				t->wstamp = 0;
				if (ivec_push(&m->cand, r) < 0)
					continue;
			}
			if (t->wstamp == m->wstamp)
				continue;
			t->wstamp = m->wstamp;
			t->cnt++;
		}
	}
}

/*
 * Template t has wildcards: note its words, so that a key none of whose
 * words is noted skips the search below (the common case on input that
 * is all new, past the template cap).
 */
static void
note_wild(miner *m, const struct tmpl *t)
{
	for (int i = 0; i < t->ne && t->nwild > 0; i++)
		if (t->e[i].kind == E_LIT && t->e[i].real)
			hmap_put(&m->wildw, elem_hash(t->e[i].s, t->e[i].len), 1);
}

/* The best template with wildcards that the key fits, or 0. */
static int
wild_lookup(miner *m)
{
	int best = 0, any = 0;

	for (int i = 0; i < m->nk && !any; i++)
		any = m->k[i].real && hmap_get(&m->wildw, m->k[i].h) >= 0;
	if (!any)
		return 0;
	key_words(m);
	count_filter(m, &m->k[0].wid, m->nk, sizeof(struct kel), 0);
	for (size_t c = 0; c < m->cand.n; c++) {
		int id = m->cand.v[c];
		struct tmpl *t = &m->t[id];

		if (t->nwild == 0 || t->cnt < t->nreal)
			continue;
		if (best != 0 && (t->nreal < m->t[best].nreal ||
		    (t->nreal == m->t[best].nreal && t->weight <= m->t[best].weight)))
			continue;
		if (fits(m, t))
			best = id;
	}
	if (best != 0)
		fits(m, &m->t[best]);	/* leave its alignment in m->map */
	return best;
}

/* ---- merges ---------------------------------------------------------------- */

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

/*
 * Template `from` held the literal elem text (s, n) where element k of `to`
 * is now a variable: remember the value, for miner_next_value().
 */
static void
note_value(miner *m, int to, int k, const char *s, size_t n, uint64_t lines)
{
	const struct tmpl *a = &m->t[to];
	const struct elem *e = &a->e[k];
	int pos = k;
	size_t pre = 0, post = 0;
	struct miner_value *v;

	if (e->kind == E_LIT || lines == 0)
		return;
	if (e->kind == E_WILD) {
		pre = e->plen;
		post = e->len - e->plen - 3;
		if (n < pre + post)
			return;
	}
	for (int i = 0; i <= k; i++)
		for (const char *g = a->gap[i]; g != NULL; g = strchr(g + 1, ' '))
			pos++;
	if (ARRAY_GROW(m->vals, m->nvals, m->capvals, 64) < 0)
		return;
	v = &m->vals[m->nvals];
	if ((v->value = dup_n(s + pre, n - pre - post)) == NULL)
		return;
	v->id = to;
	v->pos = pos;
	v->lines = lines;
	m->nvals++;
}

int
miner_next_value(miner *m, struct miner_value *out)
{
	if (m->vhead >= m->nvals) {
		for (size_t i = 0; i < m->nvals; i++)
			free(m->vals[i].value);
		m->vhead = m->nvals = 0;
		return 0;
	}
	*out = m->vals[m->vhead++];
	return 1;
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

static int
elem_eq(const struct elem *a, const struct elem *b)
{
	return a->kind == b->kind && a->len == b->len && a->plen == b->plen &&
	    memcmp(a->s, b->s, a->len) == 0;
}

/* Equal in a frame: the same element, or values of one key (or quoted). */
static int
frame_eq(const struct elem *a, const struct elem *b)
{
	return elem_eq(a, b) || (a->kind != E_SPAN && b->kind != E_SPAN &&
	    same_value_form(a->s, a->len, b->s, b->len));
}

/* Do a and b share their first pre and last suf elements? */
static int
same_frame(const struct tmpl *a, const struct tmpl *b, int pre, int suf)
{
	if (a->ne < pre + suf || b->ne < pre + suf)
		return 0;
	for (int i = 0; i < pre; i++)
		if (!frame_eq(&a->e[i], &b->e[i]))
			return 0;
	for (int i = 1; i <= suf; i++)
		if (!frame_eq(&a->e[a->ne - i], &b->e[b->ne - i]))
			return 0;
	return 1;
}

/* Element a takes b's value too: "user=alice" and "user=bob" give "user=<*>". */
static int
widen(struct elem *a, const struct elem *b)
{
	return elem_eq(a, b) ? 0 : widen_to(a, b->s, b->len);
}

/*
 * Template `from` now lives on in `to`: its lines count there, its memory
 * goes, and the merge is handed out by miner_next_merge(). reshaped: the
 * elements of `to` changed, so its counts and lookups follow.
 */
static void
merged(miner *m, int to, int from, int reshaped)
{
	struct tmpl *a = &m->t[to], *b = &m->t[from];

	if (reshaped) {
		tmpl_count(a);
		note_wild(m, a);
		hmap_put(&m->vmap, tmpl_value_hash(a), to);
	}
	a->weight += b->weight;
	a->dirty = 1;
	b->parent = to;
	tmpl_release(b);
	b->ne = 0;
	log_merge(m, from, to);
}

/* Turn element i of t into the variable of gap i, written as var. */
static int
drop_elem(struct tmpl *t, int i, const char *var)
{
	char *v = strdup(var);

	if (v == NULL)
		return -1;
	free(t->e[i].s);
	free(t->gap[i]);
	free(t->gap[i + 1]);
	t->gap[i] = v;
	memmove(&t->e[i], &t->e[i + 1], (size_t)(t->ne - i - 1) * sizeof(*t->e));
	memmove(&t->gap[i + 1], &t->gap[i + 2], (size_t)(t->ne - i - 1) * sizeof(*t->gap));
	t->ne--;
	return 0;
}

/*
 * Fold `from` into `to` where one of them has a variable (a gap) and the
 * other a word holding one ("<*>[<*>]" and "unknown[<*>]"): the word is a
 * value, and the place stays a gap in `to`.
 */
static int
absorb_gap(miner *m, int to, int from, int pre, int suf)
{
	struct tmpl *a = &m->t[to], *b = &m->t[from];
	int dropped = 0;

	/* the variable is written as the side with a gap writes it ("<*>,") */
	if (a->ne == pre + suf + 1) {
		if (b->ne != pre + suf || drop_elem(a, pre, b->gap[pre] ? b->gap[pre] : MASK_VAR) < 0)
			return -1;
		dropped = 1;
	}
	if (a->ne != pre + suf)
		return -1;
	for (int i = 0; i < pre; i++)
		widen(&a->e[i], &b->e[i]);
	for (int i = 1; i <= suf; i++)
		widen(&a->e[a->ne - i], &b->e[b->ne - i]);
	for (int i = 0; i < pre; i++)
		gap_merge(&a->gap[i], b->gap[i], b->gap[i] ? strlen(b->gap[i]) : 0);
	for (int i = 0; i < suf; i++)
		gap_merge(&a->gap[a->ne - i], b->gap[b->ne - i],
		    b->gap[b->ne - i] ? strlen(b->gap[b->ne - i]) : 0);
	if (!dropped && b->ne == pre + suf)
		gap_merge(&a->gap[pre], b->gap[pre], b->gap[pre] ? strlen(b->gap[pre]) : 0);
	merged(m, to, from, 1);
	return 0;
}

/*
 * Fold `from` into `to`, of one family (the same words but for values of
 * keys): the values that differ become variables ("user=<*>").
 */
static int
absorb_family(miner *m, int to, int from)
{
	struct tmpl *a = &m->t[to], *b = &m->t[from];

	if (a->ne != b->ne)
		return -1;
	for (int i = 0; i < a->ne; i++) {
		int was = a->e[i].kind == E_LIT && !elem_eq(&a->e[i], &b->e[i]);
		char *own = was ? dup_n(a->e[i].s, a->e[i].len) : NULL;
		size_t own_len = a->e[i].len;

		widen(&a->e[i], &b->e[i]);
		if (own != NULL)
			note_value(m, to, i, own, own_len, a->weight);
		free(own);
		if (b->e[i].kind == E_LIT && a->e[i].kind != E_LIT)
			note_value(m, to, i, b->e[i].s, b->e[i].len, b->weight);
	}
	for (int i = 0; i <= a->ne; i++)
		gap_merge(&a->gap[i], b->gap[i], b->gap[i] ? strlen(b->gap[i]) : 0);
	merged(m, to, from, 1);
	return 0;
}

/*
 * Fold template `from` into `to`; both share their first pre and last suf
 * elements (same_frame), and the stretch between becomes a variable: the
 * two words' merge when both are one word, else a span.
 */
static int
absorb(miner *m, int to, int from, int pre, int suf)
{
	struct tmpl *a = &m->t[to], *b = &m->t[from];
	int ma = a->ne - pre - suf, mb = b->ne - pre - suf, mid_was_lit = 0;
	struct elem mid;
	char *lit_text = NULL;
	size_t lit_len = 0;

	if (ma == 0 || mb == 0)
		return absorb_gap(m, to, from, pre, suf);
	/* `to`'s own word there, if it was one: its lines held that value */
	if (ma == 1 && a->e[pre].kind == E_LIT && (lit_text = dup_n(a->e[pre].s, a->e[pre].len)) != NULL) {
		mid_was_lit = 1;
		lit_len = a->e[pre].len;
	}
	memset(&mid, 0, sizeof(mid));
	mid.wid = WID_NONE;
	if (ma == 1 && mb == 1 && a->e[pre].kind != E_SPAN && b->e[pre].kind != E_SPAN) {
		if (elem_eq(&a->e[pre], &b->e[pre])) {
			mid = a->e[pre];
			a->e[pre].s = NULL;
		} else {
			mid.s = merge_tok(a->e[pre].s, a->e[pre].len, b->e[pre].s, b->e[pre].len, &mid.plen);
			mid.kind = E_WILD;
		}
	} else {
		mid.s = strdup(MASK_VAR);
		mid.kind = E_SPAN;
	}
	if (mid.s == NULL) {
		free(lit_text);
		return -1;
	}
	mid.len = (uint32_t)strlen(mid.s);
	if (mid.kind != E_LIT)
		mid.real = (uint8_t)has_letter(mid.s, mid.len);
	/* the frame's values widen ("user=<*>") */
	for (int i = 0; i < pre; i++)
		widen(&a->e[i], &b->e[i]);
	for (int i = 1; i <= suf; i++)
		widen(&a->e[a->ne - i], &b->e[b->ne - i]);
	/*
	 * Gaps around and outside the stretch merge pairwise; inside it they
	 * go. Where b's stretch is empty its gap there is the variable itself.
	 */
	for (int i = 0; i <= pre; i++)
		if (!(mb == 0 && i == pre))
			gap_merge(&a->gap[i], b->gap[i], b->gap[i] ? strlen(b->gap[i]) : 0);
	for (int i = 0; i <= suf; i++)
		if (!(mb == 0 && i == suf))
			gap_merge(&a->gap[a->ne - i], b->gap[b->ne - i],
			    b->gap[b->ne - i] ? strlen(b->gap[b->ne - i]) : 0);
	for (int i = pre; i < pre + ma; i++)
		free(a->e[i].s);
	for (int i = pre + 1; i < pre + ma; i++)
		free(a->gap[i]);
	if (ma > 1) {
		memmove(&a->e[pre + 1], &a->e[pre + ma], (size_t)suf * sizeof(*a->e));
		memmove(&a->gap[pre + 1], &a->gap[pre + ma], (size_t)(suf + 1) * sizeof(*a->gap));
		a->ne -= ma - 1;
	}
	a->e[pre] = mid;
	if (mb == 1 && b->e[pre].kind == E_LIT)
		note_value(m, to, pre, b->e[pre].s, b->e[pre].len, b->weight);
	if (ma == 1 && mid_was_lit)
		note_value(m, to, pre, lit_text, lit_len, a->weight);
	merged(m, to, from, 1);
	free(lit_text);
	return 0;
}

/* Read template t as if it were a key (its elements literally), for glob(). */
static int
load_as_key(miner *m, const struct tmpl *t)
{
	if (key_room(m, t->ne) < 0)
		return -1;
	m->nk = t->ne;
	for (int i = 0; i < t->ne; i++) {
		m->k[i].s = t->e[i].s;
		m->k[i].len = t->e[i].len;
		m->k[i].h = elem_hash(t->e[i].s, t->e[i].len);
		m->k[i].real = t->e[i].real;
		m->k[i].wid = t->e[i].wid;
	}
	for (int i = 0; i <= t->ne; i++) {
		m->kg[i] = t->gap[i];
		m->kgl[i] = t->gap[i] ? (uint32_t)strlen(t->gap[i]) : 0;
	}
	return 0;
}

/*
 * After a merge, root r may now stand for templates kept apart so far
 * (the same message with the value masked, "user <*> from"): fold every
 * template that fits r into it.
 */
static void
sweep(miner *m, int r)
{
	int32_t wids[MASK_MAX_TOKENS + 2];
	int nw = 0;

	for (int i = 0; i < m->t[r].ne && nw < (int)(sizeof(wids) / sizeof(wids[0])); i++)
		if (m->t[r].e[i].kind == E_LIT && m->t[r].e[i].wid != WID_NONE)
			wids[nw++] = m->t[r].e[i].wid;
	if (nw == 0 || m->t[r].nwild == 0)
		return;
	count_filter(m, wids, nw, sizeof(wids[0]), r);
	for (size_t c = 0; c < m->cand.n; c++) {
		int id = m->cand.v[c];
		struct tmpl *t = &m->t[id];

		if (t->cnt < m->t[r].nreal || t->ne < m->t[r].ne - m->t[r].nwild ||
		    load_as_key(m, t) < 0 || !fits(m, &m->t[r]))
			continue;
		join(m, &m->t[r]);
		merged(m, r, id, 0);
	}
}

/* ---- patterns of siblings ---------------------------------------------------- */

static uint64_t
pattern_hash(const struct tmpl *a, int pre, int suf, int kind, size_t keylen)
{
	uint64_t h = 0x27d4eb2f165667c5ULL ^ ((uint64_t)pre << 32) ^ (uint64_t)suf ^
	    ((uint64_t)kind << 60);

	for (int i = 0; i < pre; i++)
		h = mix(h, norm_hash(a->e[i].s, a->e[i].len, a->e[i].kind));
	h = mix(h, 0x2a);
	for (int i = a->ne - suf; i < a->ne; i++)
		h = mix(h, norm_hash(a->e[i].s, a->e[i].len, a->e[i].kind));
	if (keylen > 0)
		h = mix(h, elem_hash(a->e[pre].s, keylen));
	return h;
}

/* Real elements of t (with repeats) in [from, to). */
static int
reals(const struct tmpl *t, int from, int to)
{
	int n = 0;

	for (int i = from; i < to; i++)
		n += t->e[i].real;
	return n;
}

/*
 * Are a and b siblings: equal but for one stretch in the middle, of literal
 * words, sharing real words (at least one and the `similarity` share of
 * each)? Sets *pre, *suf and *kind.
 */
static int
siblings(const miner *m, const struct tmpl *a, const struct tmpl *b, int *pre, int *suf,
    int *kind, size_t *keylen)
{
	int p = 0, s = 0, ma, mb, shared;

	while (p < a->ne && p < b->ne && frame_eq(&a->e[p], &b->e[p]))
		p++;
	while (s < a->ne - p && s < b->ne - p && frame_eq(&a->e[a->ne - 1 - s], &b->e[b->ne - 1 - s]))
		s++;
	ma = a->ne - p - s;
	mb = b->ne - p - s;
	if ((ma == 0 && mb == 1) || (ma == 1 && mb == 0)) {
		/*
		 * A variable in one ("connect from <*>[<*>]", masked) where the
		 * other has a word holding one ("connect from unknown[<*>]"): a
		 * value by its form.
		 */
		const struct tmpl *w = ma ? a : b, *g = ma ? b : a;

		if (g->gap[p] == NULL || w->e[p].kind != E_LIT ||
		    memmem(w->e[p].s, w->e[p].len, MASK_VAR, 3) == NULL)
			return 0;
		shared = reals(a, 0, p) + reals(a, a->ne - s, a->ne);
		if (shared < 1)
			return 0;
		*pre = p;
		*suf = s;
		*kind = SLOT_VALUE;
		*keylen = 0;
		return 1;
	}
	if (ma < 1 || mb < 1 || ma > MINER_MAX_SPAN || mb > MINER_MAX_SPAN)
		return 0;
	/* a stretch is literal words, or the one variable of a merged template */
	for (int i = p; i < p + ma; i++)
		if (a->e[i].kind != E_LIT && ma > 1)
			return 0;
	for (int i = p; i < p + mb; i++)
		if (b->e[i].kind != E_LIT && mb > 1)
			return 0;
	/* no more spans than a match can afford to try */
	if ((ma > 1 || mb > 1) && (a->nspan >= MINER_MAX_SPANS || b->nspan >= MINER_MAX_SPANS))
		return 0;
	shared = reals(a, 0, p) + reals(a, a->ne - s, a->ne);
	if (shared < 1 || shared < m->o.similarity * reals(a, 0, a->ne) ||
	    shared < m->o.similarity * reals(b, 0, b->ne))
		return 0;
	*pre = p;
	*suf = s;
	*kind = SLOT_WORD;
	*keylen = 0;
	if (ma == 1 && mb == 1 &&
	    value_pair(a->e[p].s, a->e[p].len, b->e[p].s, b->e[p].len)) {
		*kind = SLOT_VALUE;
		*keylen = key_len(a->e[p].s, a->e[p].len);
	}
	return 1;
}

static struct slot *
slot_get(miner *m, uint64_t key, int pre, int suf, int kind)
{
	int i = hmap_get(&m->slotmap, key);
	struct slot *s;

	if (i >= 0)
		return &m->slots[i];
	if (m->nslots >= m->maxslots)
		return NULL;
	if (ARRAY_GROW(m->slots, m->nslots, m->capslots, 256) < 0)
		return NULL;
	if (hmap_put(&m->slotmap, key, (int)m->nslots) < 0)
		return NULL;
	s = &m->slots[m->nslots++];
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->pre = pre;
	s->suf = suf;
	s->kind = (uint8_t)kind;
	return s;
}

static void
slot_add(struct slot *s, int id)
{
	for (uint32_t i = 0; i < s->m.n; i++)
		if (s->m.v[i] == id)
			return;
	if (s->m.n < MINER_SLOT_MEMBERS)
		ivec_push(&s->m, id);
}

/*
 * Count, per word, the stretches of the slot's members (m->cand) that hold
 * it (m->wcnt, for words whose m->wgen is m->gen). -1 on memory.
 */
static int
count_stretch_words(miner *m, const struct slot *s)
{
	if (m->wcap < m->npost) {
		uint32_t *g = realloc(m->wgen, m->npost * sizeof(*g));

		if (g == NULL)
			return -1;
		m->wgen = g;
		if ((g = realloc(m->wcnt, m->npost * sizeof(*g))) == NULL)
			return -1;
		m->wcnt = g;
		if ((g = realloc(m->wlast, m->npost * sizeof(*g))) == NULL)
			return -1;
		m->wlast = g;
		memset(m->wgen + m->wcap, 0, (m->npost - m->wcap) * sizeof(*g));
		m->wcap = m->npost;
	}
	m->gen++;
	for (size_t c = 0; c < m->cand.n; c++) {
		const struct tmpl *t = &m->t[m->cand.v[c]];

		for (int i = s->pre; i < t->ne - s->suf; i++) {
			int32_t w = t->e[i].wid;

			if (t->e[i].kind != E_LIT || w == WID_NONE || (size_t)w >= m->wcap)
				continue;
			if (m->wgen[w] != m->gen) {
				m->wgen[w] = m->gen;
				m->wcnt[w] = 0;
				m->wlast[w] = UINT32_MAX;
			}
			if (m->wlast[w] != c) {
				m->wlast[w] = (uint32_t)c;
				m->wcnt[w]++;
			}
		}
	}
	return 0;
}

/*
 * The distinct templates of slot s that still fit its frame (members merge
 * elsewhere too), into m->cand; their lines in *lines. The first is the
 * heaviest (ties: the oldest). A stretch of several words that shares a
 * word with the stretches of var_min members or more is not a value but a
 * longer frame ("from NEW to RUNNING", "invalid user <*>" among user
 * names): those members are left out.
 */
static size_t
slot_members(miner *m, struct slot *s, uint64_t *lines)
{
	int ref = 0, multi = 0;
	size_t keep = 0;

	m->cand.n = 0;
	*lines = 0;
	m->stamp++;
	for (uint32_t i = 0; i < s->m.n; i++) {
		int r = root(m, s->m.v[i]);
		struct tmpl *t = &m->t[r];

		if (r <= 0 || t->stamp == m->stamp)
			continue;
		t->stamp = m->stamp;
		if (s->kind == SLOT_FAMILY) {
			/* a family: the same words but for the values of keys */
			if (ref == 0)
				ref = r;
			else if (t->ne != m->t[ref].ne || tmpl_value_hash(t) != tmpl_value_hash(&m->t[ref]))
				continue;
			if (ivec_push(&m->cand, r) < 0)
				break;
			continue;
		}
		if (ref == 0)
			ref = r;
		else if (!same_frame(&m->t[ref], t, s->pre, s->suf))
			continue;
		/* an empty stretch: only for a value, where the gap holds it */
		if (t->ne == s->pre + s->suf && (s->kind != SLOT_VALUE || t->gap[s->pre] == NULL))
			continue;
		/* a stretch of several elements with a variable in it is a merged frame */
		if (t->ne - s->pre - s->suf > 1) {
			int plain = 1;

			for (int k = s->pre; k < t->ne - s->suf; k++)
				plain &= t->e[k].kind == E_LIT;
			if (!plain)
				continue;
		}
		if (ivec_push(&m->cand, r) < 0)
			break;
		multi |= t->ne - s->pre - s->suf > 1;
	}
	if (multi && count_stretch_words(m, s) == 0) {
		for (size_t c = 0; c < m->cand.n; c++) {
			const struct tmpl *t = &m->t[m->cand.v[c]];
			int shared = 0;

			for (int i = s->pre; i < t->ne - s->suf && t->ne - s->pre - s->suf > 1; i++) {
				int32_t w = t->e[i].wid;

				shared |= t->e[i].kind == E_LIT && w != WID_NONE && (size_t)w < m->wcap &&
				    m->wgen[w] == m->gen && m->wcnt[w] >= (uint32_t)m->o.var_min;
			}
			if (!shared)
				m->cand.v[keep++] = m->cand.v[c];
		}
		m->cand.n = keep;
	}
	for (size_t c = 0; c < m->cand.n; c++)
		*lines += m->t[m->cand.v[c]].weight;
	for (size_t i = 1; i < m->cand.n; i++) {
		struct tmpl *a = &m->t[m->cand.v[i]], *b = &m->t[m->cand.v[0]];

		if (a->weight > b->weight || (a->weight == b->weight && m->cand.v[i] < m->cand.v[0])) {
			int x = m->cand.v[0];

			m->cand.v[0] = m->cand.v[i];
			m->cand.v[i] = x;
		}
	}
	return m->cand.n;
}

/* Are d distinct values over `lines` lines a variable? */
static int
variable(const miner *m, int kind, size_t d, uint64_t lines)
{
	if (kind == SLOT_VALUE)
		return d >= 2;
	return d >= (size_t)m->o.var_min && (double)d >= m->o.var_log * log2((double)lines + 1);
}

/* Merge the slot's members into the heaviest. */
static int
slot_merge(miner *m, struct slot *s)
{
	uint64_t lines;
	size_t d = slot_members(m, s, &lines);
	int to;

	if (d < 1)
		return 0;
	to = m->cand.v[0];
	for (size_t i = 1; i < d; i++)
		if (absorb(m, to, m->cand.v[i], s->pre, s->suf) < 0)
			return -1;
	s->done = 1;
	s->root = to;
	sweep(m, to);
	return 1;
}

/*
 * Record the patterns template id is a sibling of. A pattern already
 * proven variable takes id at once; others merge when the evidence is
 * overwhelming (online) and are otherwise left to miner_settle(). Returns
 * 1 if id was merged.
 */
static int
discover(miner *m, int id)
{
	struct tmpl *t = &m->t[id];
	int32_t wids[MASK_MAX_TOKENS + 2];
	int nw = 0, merged = 0;
	size_t ncand;
	int cand[MINER_CANDIDATES];

	for (int i = 0; i < t->ne && nw < (int)(sizeof(wids) / sizeof(wids[0])); i++)
		if (t->e[i].kind == E_LIT && t->e[i].wid != WID_NONE)
			wids[nw++] = t->e[i].wid;
	if (nw == 0)
		return 0;
	count_filter(m, wids, nw, sizeof(wids[0]), id);
	/* the nearest MINER_CANDIDATES first: most shared words, then the oldest */
	ncand = 0;
	for (size_t i = 0; i < m->cand.n; i++) {
		int c = m->cand.v[i];
		size_t j = ncand < MINER_CANDIDATES ? ncand++ : MINER_CANDIDATES;

		while (j > 0 && (m->t[cand[j - 1]].cnt < m->t[c].cnt ||
		    (m->t[cand[j - 1]].cnt == m->t[c].cnt && cand[j - 1] > c))) {
			if (j < MINER_CANDIDATES)
				cand[j] = cand[j - 1];
			j--;
		}
		if (j < MINER_CANDIDATES)
			cand[j] = c;
	}
	for (size_t c = 0; c < ncand && !merged; c++) {
		int other = root(m, cand[c]), pre, suf, kind;
		size_t keylen, d;
		uint64_t lines;
		struct slot *s;

		if (other == id || other <= 0 ||
		    !siblings(m, &m->t[id], &m->t[other], &pre, &suf, &kind, &keylen))
			continue;
		s = slot_get(m, pattern_hash(&m->t[id], pre, suf, kind, keylen), pre, suf, kind);
		if (s == NULL)
			continue;
		if (s->done) {
			int r = root(m, s->root);

			if (r != id && same_frame(&m->t[r], &m->t[id], pre, suf)) {
				absorb(m, r, id, pre, suf);
				merged = 1;
			}
			continue;
		}
		slot_add(s, id);
		slot_add(s, other);
		d = slot_members(m, s, &lines);
		if (variable(m, kind, d, lines) &&
		    (kind == SLOT_VALUE || d >= MINER_ONLINE_VALUES)) {
			slot_merge(m, s);
			merged = root(m, id) != id;
		}
	}
	return merged;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Decide a family (templates with the same words but for the values of
 * keys) one key at a time: a position whose values pass the evidence is a
 * variable, the others keep their words, and the members that agree on
 * every kept word merge ("pod=<*> Type:Started" and "pod=<*> Type:Died"
 * stay two when Type has two values and pod many). 1 if anything merged.
 */
static int
family_merge(miner *m, struct slot *s)
{
	uint8_t var[MASK_MAX_TOKENS + 2];
	uint64_t lines, h[MINER_SLOT_MEMBERS];
	size_t d = slot_members(m, s, &lines), nheads = 0;
	int ne, any = 0, done[MINER_SLOT_MEMBERS], heads[MINER_SLOT_MEMBERS];

	if (d < 2)
		return 0;
	ne = m->t[m->cand.v[0]].ne;
	if (ne > (int)sizeof(var))
		return 0;
	for (int i = 0; i < ne; i++) {
		size_t nv = 0;

		var[i] = 0;
		for (size_t c = 0; c < d; c++) {
			const struct elem *e = &m->t[m->cand.v[c]].e[i];

			var[i] |= e->kind != E_LIT;	/* proven in an earlier decision */
			h[c] = elem_hash(e->s, e->len);
		}
		qsort(h, d, sizeof(h[0]), cmp_u64);
		for (size_t c = 0; c < d; c++)
			nv += c == 0 || h[c] != h[c - 1];
		if (nv > 1 && !var[i])
			var[i] = (uint8_t)variable(m, SLOT_WORD, nv, lines);
		if (nv == 1)
			var[i] = 0;
	}
	memset(done, 0, sizeof(done));
	for (size_t a = 0; a < d; a++) {
		int head = m->cand.v[a], took = 0;

		if (done[a])
			continue;
		for (size_t b = a + 1; b < d; b++) {
			const struct tmpl *x = &m->t[head], *y = &m->t[m->cand.v[b]];
			int same = !done[b];

			for (int i = 0; i < ne && same; i++)
				same = var[i] || elem_eq(&x->e[i], &y->e[i]);
			if (same && absorb_family(m, head, m->cand.v[b]) == 0) {
				done[b] = 1;
				took = any = 1;
			}
		}
		if (took)
			heads[nheads++] = head;
	}
	/* the same messages with the value masked fit the heads now */
	for (size_t k = 0; k < nheads; k++)
		sweep(m, root(m, heads[k]));
	return any;
}

/*
 * New template id differs from fam, of its family (value hash vh), in the
 * values of keys that are words: record it, and decide the family when the
 * evidence is overwhelming (else miner_settle() does).
 */
static void
family(miner *m, uint64_t vh, int fam, int id)
{
	struct slot *s = slot_get(m, mix(vh, 0x5f3759df), 0, 0, SLOT_FAMILY);
	uint64_t lines;

	if (s == NULL)
		return;
	slot_add(s, fam);
	slot_add(s, id);
	/* at 32 members, then at each doubling: deciding costs a pass over them */
	if (s->m.n >= MINER_ONLINE_VALUES && (s->m.n & (s->m.n - 1)) == 0 &&
	    slot_members(m, s, &lines) >= MINER_ONLINE_VALUES)
		family_merge(m, s);
}

static const struct slot *sort_slots;

/* Longer frames first: the narrower pattern is decided before the wider. */
static int
cmp_frame(const void *a, const void *b)
{
	const struct slot *x = &sort_slots[*(const int *)a], *y = &sort_slots[*(const int *)b];
	int fx = x->pre + x->suf, fy = y->pre + y->suf;

	if (fx != fy)
		return fy - fx;
	return *(const int *)a - *(const int *)b;
}

void
miner_settle(miner *m)
{
	if (m->o.exact)
		return;
	for (int round = 0; round < MINER_SETTLE_ROUNDS; round++) {
		int changed = 0;
		size_t n = 0, ns = m->nslots;
		int *order = realloc(m->order, (ns ? ns : 1) * sizeof(*order));

		if (order == NULL)
			return;
		m->order = order;
		for (size_t i = 0; i < ns; i++)
			if (!m->slots[i].done)
				order[n++] = (int)i;
		sort_slots = m->slots;
		qsort(order, n, sizeof(*order), cmp_frame);
		for (size_t k = 0; k < n; k++) {
			struct slot *s = &m->slots[m->order[k]];
			uint64_t lines;
			size_t d;

			if (s->done)
				continue;
			if (s->kind == SLOT_FAMILY) {
				changed |= family_merge(m, s);
				continue;
			}
			d = slot_members(m, s, &lines);
			if (d < 2 || !variable(m, s->kind, d, lines))
				continue;
			if (slot_merge(m, s) > 0) {
				changed = 1;
				/* the merged template may be a sibling of others now */
				discover(m, root(m, s->root));
			}
		}
		if (!changed)
			break;
	}
}

/* ---- adding a key ----------------------------------------------------------- */

static int
add_new(miner *m, uint64_t lines)
{
	uint64_t h = key_skeleton_hash(m), vh;
	int id = hmap_get(&m->exact, h), fam, vfit = 0;
	struct tmpl *t;

	if (m->o.exact) {
		if ((id = tmpl_new(m, 0)) < 0)
			return MINER_OVERFLOW;
		m->t[id].weight = lines;
		return id;
	}
	if (id > 0) {
		id = root(m, id);
		if (fits(m, &m->t[id])) {
			join(m, &m->t[id]);
			m->t[id].weight += lines;
			return id;
		}
	}
	vh = key_value_hash(m);
	if ((fam = hmap_get(&m->vmap, vh)) > 0) {
		fam = root(m, fam);
		if ((vfit = value_fit(m, &m->t[fam])) == VALUES_FIT && map_room(m, &m->t[fam]) == 0) {
			value_join(m, &m->t[fam]);
			m->t[fam].weight += lines;
			return fam;
		}
	}
	if ((id = wild_lookup(m)) > 0) {
		join(m, &m->t[id]);
		m->t[id].weight += lines;
		return id;
	}
	if (m->n > m->o.max_templates)
		return MINER_OVERFLOW;
	if ((id = tmpl_new(m, 1)) < 0)
		return MINER_OVERFLOW;
	t = &m->t[id];
	t->weight = lines;
	hmap_put(&m->exact, tmpl_skeleton_hash(t), id);
	if (vfit == VALUES_WORDS)
		family(m, vh, fam, id);
	else
		hmap_put(&m->vmap, tmpl_value_hash(t), id);
	if (root(m, id) == id)
		discover(m, id);
	return root(m, id);
}

int
miner_add(miner *m, const char *key, size_t len, uint64_t hash, uint64_t lines)
{
	int id = cache_get(m, hash);

	if (id >= 0) {
		m->t[id].weight += lines;
		return id;
	}
	if (parse_key(m, key, len) < 0)
		return MINER_OVERFLOW;
	id = add_new(m, lines);
	/*
	 * Keys that overflow are not remembered: past the cap, input that is
	 * all new (random tokens) would only fill the cache with keys never
	 * seen again, and a cache that large costs a memory miss per lookup.
	 */
	if (id == MINER_OVERFLOW)
		m->t[0].weight += lines;
	else
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
	t = &m->t[root(m, id)];
	if (!t->dirty && t->text != NULL)
		return t->text;
	for (int i = 0; i <= t->ne; i++) {
		if (t->gap[i] != NULL) {
			if (b.len > 0)
				buf_putc(&b, ' ');
			buf_puts(&b, t->gap[i]);
		}
		if (i < t->ne) {
			if (b.len > 0)
				buf_putc(&b, ' ');
			buf_append(&b, t->e[i].s, t->e[i].len);
		}
	}
	free(t->text);
	t->text = b.data ? buf_detach(&b) : strdup("");
	t->dirty = 0;
	return t->text;
}
