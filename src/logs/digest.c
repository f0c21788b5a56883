/*
 * digest.c - see digest.h.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/hugemap.h"
#include "core/sort.h"
#include "logs/digest.h"
#include "logs/mask.h"

#define FIRE_GAP_MS 1000        /* events closer than this are one firing */
#define VAR_SAMPLE_ALL 256      /* sample every line of a template up to this many samples */
#define VAR_SAMPLE_EVERY 64     /* then one line in this many */
#define RING_MAX (DIGEST_FIRE_RING > DIGEST_PAIR_RING ? DIGEST_FIRE_RING : DIGEST_PAIR_RING)

/*
 * The pair tables (two, used in turn), their key array, the sketch in
 * front of them and the pairs' firing rings, in one hugemap: its pages,
 * zero already, are faulted in only as pairs come, and asked to be huge
 * pages: every request probes these tables at random, and with small pages
 * nearly every probe also misses the TLB.
 *
 * Rings start at 8 firings and double up to DIGEST_PAIR_RING (most pairs
 * fire a few times). They are cut from the front of their area and given
 * back to a stack per size, reused last-freed first, so the rings in
 * use stay packed. At most PAIR_RINGS rings of a size are in use at once
 * (one per pair the table holds), which bounds the area.
 */
#define PAIR_RINGS (DIGEST_MAX_PAIRS * 3 / 4)
#define SPACE_PAIRS (DIGEST_MAX_PAIRS * sizeof(struct digest_pair))
#define SPACE_KEYS (DIGEST_MAX_PAIRS * sizeof(uint64_t))
#define SPACE_DOOR ((size_t)1 << DIGEST_DOOR_BITS)
#define SPACE_RINGS ((size_t)PAIR_RINGS * (2 * DIGEST_PAIR_RING - 8) * sizeof(int64_t))
#define SPACE_FREE ((size_t)DIGEST_RING_CLASSES * PAIR_RINGS * sizeof(uint32_t))
#define SPACE_LEN (2 * SPACE_PAIRS + SPACE_KEYS + SPACE_DOOR + SPACE_RINGS + SPACE_FREE)

static int
space_map(struct digest *d)
{
	char *base = hugemap_new(SPACE_LEN);

	if (base == NULL)
		return -1;
	d->space = base;
	d->pairs = (struct digest_pair *)base;
	d->pairs_next = (struct digest_pair *)(base + SPACE_PAIRS);
	d->pair_keys = (uint64_t *)(base + 2 * SPACE_PAIRS);
	d->door = (uint8_t *)(base + 2 * SPACE_PAIRS + SPACE_KEYS);
	d->rings = (int64_t *)(base + 2 * SPACE_PAIRS + SPACE_KEYS + SPACE_DOOR);
	d->ring_free = (uint32_t *)(base + 2 * SPACE_PAIRS + SPACE_KEYS + SPACE_DOOR + SPACE_RINGS);
	return 0;
}

int
digest_init(struct digest *d, const struct digest_opts *o)
{
	memset(d, 0, sizeof(*d));
	d->o = *o;
	d->first_ts = d->last_ts = d->last_seen_ts = TIMESTAMP_NONE;
	d->m = miner_new(&o->miner);
	if (d->m == NULL || space_map(d) < 0)
		return -1;
	topk_init(&d->clients, WORK_TOP_CLIENTS);
	topk_init(&d->uas, WORK_TOP_AGENTS);
	topk_init(&d->methods, 64);
	return 0;
}

void
digest_release(struct digest *d)
{
	for (size_t i = 0; i < d->nt; i++) {
		free(d->t[i].bins);
		free(d->t[i].fire);
		free(d->t[i].vars);
		free(d->t[i].lat);
	}
	free(d->t); d->t = NULL;
	miner_free(d->m);
	topk_release(&d->clients);
	topk_release(&d->uas);
	topk_release(&d->methods);
	hugemap_free(d->space, SPACE_LEN);
	d->space = NULL;
	d->pairs = d->pairs_next = NULL;
	d->pair_keys = NULL;
	d->door = NULL;
	free(d->gid); d->gid = NULL;
	free(d->order); d->order = NULL;
	free(d->lat_bins); d->lat_bins = NULL;
}

const char *
digest_template(struct digest *d, int id)
{
	return miner_template(d->m, id);
}

uint64_t
digest_overflow_lines(const struct digest *d)
{
	return d->nt > MINER_OVERFLOW ? d->t[MINER_OVERFLOW].count : 0;
}

static struct digest_tmpl *
tmpl_at(struct digest *d, int id)
{
	if ((size_t)id >= d->capt) {
		size_t nc = d->capt ? d->capt * 2 : 256;
		struct digest_tmpl *t;

		while (nc <= (size_t)id)
			nc *= 2;
		t = realloc(d->t, nc * sizeof(*t));
		if (t == NULL)
			return NULL;
		memset(t + d->capt, 0, (nc - d->capt) * sizeof(*t));
		d->t = t;
		d->capt = nc;
	}
	while (d->nt <= (size_t)id) {
		d->t[d->nt].first = d->t[d->nt].last = TIMESTAMP_NONE;
		d->nt++;
	}
	return &d->t[id];
}

static void
remap_all(struct digest *d, const struct timeline *old)
{
	for (size_t i = 0; i < d->nt; i++)
		if (d->t[i].bins != NULL)
			timeline_remap(old, &d->tl, d->t[i].bins);
	timeline_remap(old, &d->tl, d->req_bins);
	timeline_remap(old, &d->tl, d->err3_bins);
	timeline_remap(old, &d->tl, d->err4_bins);
	timeline_remap(old, &d->tl, d->err5_bins);
	for (size_t k = 0; d->lat_bins != NULL && k < LATENCY_BUCKETS; k++)
		timeline_remap(old, &d->tl, d->lat_bins + k * TIMELINE_BINS);
}

/* Time stamps outside 1990..now+1 year are garbage for the time axis. */
static int
plausible(int64_t ts)
{
	return ts > 631152000000LL && ts < 4102444800000LL;
}

/*
 * Note a firing in a ring of cap (a power of two) times; events within
 * FIRE_GAP_MS of the last one (*last, kept beside the counters so the ring
 * is only touched for a new firing) are the same firing. 1 if new.
 */
static inline int
fire(int64_t *ring, uint32_t cap, uint32_t *n, uint32_t *head, int64_t *last, int64_t ts)
{
	uint32_t mask = cap - 1;

	if (*n > 0 && ts >= *last && ts - *last < FIRE_GAP_MS)
		return 0;
	*last = ts;
	if (*n < cap) {
		ring[(*head + *n) & mask] = ts;
		(*n)++;
	} else {
		ring[*head] = ts;
		*head = (*head + 1) & mask;
	}
	return 1;
}

/* Copy a ring into out in time order (rings are filled in input order). */
static size_t
ring_copy(const int64_t *ring, uint32_t cap, uint32_t n, uint32_t head, int64_t *out)
{
	for (uint32_t i = 0; i < n; i++)
		out[i] = ring[(head + i) & (cap - 1)];
	return n;
}

/* Record one value of a variable position (a NUL byte in it as \0). */
static void
var_add(struct digest_var *v, const char *s, size_t len)
{
	char val[DIGEST_VAR_LEN];
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < DIGEST_VAR_LEN; i++) {
		if (s[i] != '\0') {
			val[n++] = s[i];
		} else if (n + 2 < DIGEST_VAR_LEN) {
			val[n++] = '\\';
			val[n++] = '0';
		} else {
			break;
		}
	}
	val[n] = '\0';
	for (int i = 0; i < DIGEST_VAR_TOP; i++) {
		if (v->n[i] == 0) {
			memcpy(v->v[i], val, n + 1);
			v->n[i] = 1;
			return;
		}
		if (strcmp(v->v[i], val) == 0) {
			v->n[i]++;
			return;
		}
	}
	v->other++;
}

/* The next whitespace-separated token of [*p, end): its start, *n its length. */
static const char *
next_tok(const char **p, const char *end, size_t *n)
{
	const char *s = *p, *e;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	for (e = s; e < end && *e != ' ' && *e != '\t'; e++)
		;
	*p = e;
	*n = (size_t)(e - s);
	return s;
}

/*
 * Align the raw message with the template and note what each variable
 * held. A variable may stand for several tokens of the message (a list, a
 * time, a reason in words): it takes them up to the template's next word.
 */
static void
sample_vars(struct digest *d, struct digest_tmpl *t, int id, const char *msg, size_t len)
{
	const char *tp = miner_template(d->m, id), *mp = msg, *mend = msg + len;
	int pos = 0;

	if (t->vars == NULL && (t->vars = calloc(1, sizeof(*t->vars))) == NULL)
		return;
	t->vars->samples++;
	while (*tp != '\0' && mp < mend) {
		const char *te = strchr(tp, ' '), *ms, *me, *v, *next = NULL;
		size_t tl, ml, nl = 0;

		if (te == NULL)
			te = tp + strlen(tp);
		tl = (size_t)(te - tp);
		ms = next_tok(&mp, mend, &ml);
		me = ms + ml;
		if (ml == 0)
			return;
		if ((v = memmem(tp, tl, MASK_VAR, 3)) != NULL) {
			size_t pre = (size_t)(v - tp), post = tl - pre - 3;
			struct digest_vars *vs = t->vars;
			int k;

			/* the template's next word, if it has one, ends the value */
			if (*te == ' ') {
				const char *ne = strchr(te + 1, ' ');

				next = te + 1;
				nl = ne ? (size_t)(ne - next) : strlen(next);
				if (memmem(next, nl, MASK_VAR, 3) != NULL)
					next = NULL;
			} else {
				me = mend;	/* the last variable takes the rest */
				while (me > ms && (me[-1] == ' ' || me[-1] == '\t'))
					me--;
				mp = mend;
			}
			while (next != NULL && mp < mend) {
				const char *q = mp, *ns;
				size_t n;

				ns = next_tok(&q, mend, &n);
				if (n == 0 || (n == nl && memcmp(ns, next, nl) == 0))
					break;
				me = ns + n;
				mp = q;
			}
			for (k = 0; k < vs->npos && vs->p[k].pos != pos; k++)
				;
			if (k == vs->npos && vs->npos < DIGEST_VAR_POS)
				vs->p[vs->npos++].pos = pos;
			if (k < vs->npos && (size_t)(me - ms) >= pre + post)
				var_add(&vs->p[k], ms + pre, (size_t)(me - ms) - pre - post);
		}
		pos++;
		tp = *te ? te + 1 : te;
	}
}

/* The slot of key: where it is, or the empty slot where it would go. */
static size_t
pair_slot(const uint64_t *keys, uint64_t key)
{
	size_t j = key & (DIGEST_MAX_PAIRS - 1);

	while (keys[j] != 0 && keys[j] != key)
		j = (j + 1) & (DIGEST_MAX_PAIRS - 1);
	return j;
}

/* The size class of a ring of cap firings (8 << class). */
static int
ring_class(uint32_t cap)
{
	return __builtin_ctz(cap) - 3;
}

/*
 * A ring of cap firings: a given-back one, else cut from the area. The
 * stacks hold offsets, so taking a ring reads nothing of it.
 */
static int64_t *
ring_get(struct digest *d, uint32_t cap)
{
	int c = ring_class(cap);
	int64_t *r;

	if (d->nring_free[c] > 0)
		return d->rings + d->ring_free[(size_t)c * PAIR_RINGS + --d->nring_free[c]];
	if ((d->rings_top + cap) * sizeof(int64_t) > SPACE_RINGS)
		return NULL;	/* cannot be: the area holds the most rings in use */
	r = d->rings + d->rings_top;
	d->rings_top += cap;
	return r;
}

static void
ring_put(struct digest *d, int64_t *r, uint32_t cap)
{
	int c = ring_class(cap);

	/* at most PAIR_RINGS rings of a size were ever cut */
	d->ring_free[(size_t)c * PAIR_RINGS + d->nring_free[c]++] = (uint32_t)(r - d->rings);
}

/*
 * Room for the next firing of pair p: a ring of 8 at first, doubled (order
 * kept) when full, up to DIGEST_PAIR_RING. -1 when there is none.
 */
static int
pair_ring(struct digest *d, struct digest_pair *p)
{
	uint32_t nc = p->fire == NULL ? 8 : p->cap * 2;
	int64_t *r;

	if (p->fire != NULL && (p->nfire < p->cap || p->cap >= DIGEST_PAIR_RING))
		return 0;
	if ((r = ring_get(d, nc)) == NULL)
		return -1;
	if (p->fire != NULL) {
		ring_copy(p->fire, p->cap, p->nfire, p->head, r);
		ring_put(d, p->fire, p->cap);
	}
	p->fire = r;
	p->head = 0;
	p->cap = nc;
	return 0;
}

/* Give pair p's ring back. */
static void
pair_unring(struct digest *d, struct digest_pair *p)
{
	if (p->fire != NULL)
		ring_put(d, p->fire, p->cap);
	p->fire = NULL;
}

/*
 * The table is full: drop the pairs scoring at or below the median (at
 * least half), as top-k counting does. New pairs then start with that
 * score as credit, so a client that shows up late but keeps coming (the
 * cron job) is not dropped before it can prove itself.
 */
static void
drop_pairs(struct digest *d)
{
	struct digest_pair *np = d->pairs_next;
	int64_t scores[DIGEST_MAX_PAIRS];	/* request counts: far below 2^63 */
	uint64_t median;
	uint16_t live[DIGEST_MAX_PAIRS];
	size_t n = 0;

	/*
	 * Two tables in turn (a fresh one each time cost its page faults),
	 * and the other one is not cleared: a slot is in use only where
	 * pair_keys holds a key, and a pair moved into one is written whole.
	 */
	for (size_t i = 0; i < DIGEST_MAX_PAIRS; i++)
		if (d->pair_keys[i] != 0) {
			live[n] = (uint16_t)i;
			scores[n++] = (int64_t)d->pairs[i].score;
		}
	median = n ? (uint64_t)sort_select_i64(scores, n, n / 2) : 0;
	memset(d->pair_keys, 0, DIGEST_MAX_PAIRS * sizeof(*d->pair_keys));
	d->npairs = 0;
	for (size_t k = 0; k < n; k++) {
		struct digest_pair *p = &d->pairs[live[k]];
		size_t j;

		if (p->score <= median) {
			pair_unring(d, p);
			continue;
		}
		j = pair_slot(d->pair_keys, p->key);
		d->pair_keys[j] = p->key;
		np[j] = *p;
		d->npairs++;
	}
	d->pairs_next = d->pairs;
	d->pairs = np;
	d->pair_floor = median;
}

/*
 * Count a request of a pair not in the table in a counting sketch
 * (saturating bytes, halved every 2^(DIGEST_DOOR_BITS + 1) requests, so it
 * tells what came often lately); 1 once the pair has been counted
 * DIGEST_DOOR_MIN times. Collisions only let a pair in early.
 */
static int
door_admits(struct digest *d, uint64_t key)
{
	size_t mask = ((size_t)1 << DIGEST_DOOR_BITS) - 1;
	uint8_t *a = &d->door[(key >> 17) & mask];

	if (++d->door_adds >= (uint64_t)2 << DIGEST_DOOR_BITS) {
		for (size_t i = 0; i <= mask; i++)
			d->door[i] >>= 1;
		d->door_adds = 0;
	}
	if (*a < 255)
		(*a)++;
	return *a >= DIGEST_DOOR_MIN;
}

/* The key of a (client, template) pair; never 0. */
static inline uint64_t
pair_key(uint64_t chash, int tid)
{
	return (chash ^ ((uint64_t)tid * 0x9e3779b97f4a7c15ULL)) | 1;
}

static struct digest_pair *
pair_at(struct digest *d, const char *client, size_t clen, uint64_t chash, int tid)
{
	uint64_t key = pair_key(chash, tid);
	size_t j = pair_slot(d->pair_keys, key);
	struct digest_pair *p;

	if (d->pair_keys[j] == key)
		return &d->pairs[j];
	if (!door_admits(d, key))
		return NULL;
	/* keep a quarter of the slots free so probing stays short */
	if (d->npairs >= DIGEST_MAX_PAIRS * 3 / 4) {
		drop_pairs(d);
		j = pair_slot(d->pair_keys, key);
	}
	d->pair_keys[j] = key;
	p = &d->pairs[j];
	memset(p, 0, sizeof(*p));
	p->key = key;
	p->tid = tid;
	/* the sketch saw its first requests: count them (their times are lost) */
	p->count = DIGEST_DOOR_MIN - 1;
	p->score = d->pair_floor + DIGEST_DOOR_MIN - 1;
	if (clen >= sizeof(p->client))
		clen = sizeof(p->client) - 1;
	memcpy(p->client, client, clen);
	p->client[clen] = '\0';
	d->npairs++;
	return p;
}

/* Rings fill in input order, which is time order unless inputs were unordered. */
static void
sort_times(int64_t *t, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (t[i] < t[i - 1]) {
			sort_i64(t, n);
			return;
		}
}

/*
 * The miner made a word of template id a variable (at token position pos)
 * and the lines it had merged held value: a sample of that variable, so
 * that a variable born in a merge has values too (one sample per template
 * merged: the lines themselves are gone).
 */
static void
merged_value(struct digest *d, const struct miner_value *v)
{
	int id = miner_resolve(d->m, v->id);
	struct digest_tmpl *t;
	struct digest_vars *vs;
	int k;

	if ((t = tmpl_at(d, id)) == NULL)
		return;
	if (t->vars == NULL && (t->vars = calloc(1, sizeof(*t->vars))) == NULL)
		return;
	vs = t->vars;
	for (k = 0; k < vs->npos && vs->p[k].pos != v->pos; k++)
		;
	if (k == vs->npos) {
		if (vs->npos == DIGEST_VAR_POS)
			return;
		vs->p[vs->npos++].pos = v->pos;
	}
	var_add(&vs->p[k], v->value, strlen(v->value));
}

/* Template `from` was merged into `to` by the miner: fold its statistics in. */
static int
merge_tmpl(struct digest *d, int to, int from)
{
	struct digest_tmpl *a, *b;
	int64_t *all;
	uint32_t n = 0;

	if ((size_t)from >= d->nt)
		return 0;	/* it never had a line */
	if ((a = tmpl_at(d, to)) == NULL)
		return -1;
	b = &d->t[from];
	a->count += b->count;
	a->firings += b->firings;
	a->e4 += b->e4;
	a->e5 += b->e5;
	if (b->first != TIMESTAMP_NONE && (a->first == TIMESTAMP_NONE || b->first < a->first))
		a->first = b->first;
	if (b->last != TIMESTAMP_NONE && (a->last == TIMESTAMP_NONE || b->last > a->last))
		a->last = b->last;
	if (b->bins != NULL) {
		if (a->bins == NULL) {
			a->bins = b->bins;
			b->bins = NULL;
		} else {
			for (size_t i = 0; i < TIMELINE_BINS; i++)
				a->bins[i] += b->bins[i];
		}
	}
	if (b->fire != NULL && b->nfire > 0) {
		if ((all = malloc(2 * DIGEST_FIRE_RING * sizeof(*all))) == NULL)
			return -1;
		if (a->fire != NULL)
			n = (uint32_t)ring_copy(a->fire, DIGEST_FIRE_RING, a->nfire, a->fire_head, all);
		n += (uint32_t)ring_copy(b->fire, DIGEST_FIRE_RING, b->nfire, b->fire_head, all + n);
		sort_i64(all, n);
		if (a->fire == NULL && (a->fire = malloc(DIGEST_FIRE_RING * sizeof(*a->fire))) == NULL) {
			free(all);
			return -1;
		}
		a->nfire = 0;
		a->fire_head = 0;
		for (uint32_t i = n > DIGEST_FIRE_RING ? n - DIGEST_FIRE_RING : 0; i < n; i++)
			fire(a->fire, DIGEST_FIRE_RING, &a->nfire, &a->fire_head, &a->last_fire, all[i]);
		free(all);
	}
	/* the samples of the variables: keep the larger set (they read the same template) */
	if (b->vars != NULL && (a->vars == NULL || b->vars->samples > a->vars->samples)) {
		struct digest_vars *v = a->vars;

		a->vars = b->vars;
		b->vars = v;
	}
	if (b->lat != NULL) {
		if (a->lat == NULL) {
			a->lat = b->lat;
			b->lat = NULL;
		} else {
			latency_merge(a->lat, b->lat);
			d->nlat--;
		}
	}
	free(b->bins);
	free(b->fire);
	free(b->vars);
	free(b->lat);
	memset(b, 0, sizeof(*b));
	b->first = b->last = TIMESTAMP_NONE;
	return 0;
}

int
digest_resolve(const struct digest *d, int id)
{
	return miner_resolve(d->m, id);
}

static int
grow_scratch(struct digest *d, size_t nkeys)
{
	if (nkeys > d->gidcap) {
		int *g = realloc(d->gid, nkeys * sizeof(*g));

		if (g == NULL)
			return -1;
		d->gid = g;
		d->gidcap = nkeys;
	}
	return 0;
}

/*
 * Count a request's time: in its template's histogram (or, past
 * DIGEST_LAT_MAX templates, with the others), in all, and in its time bin.
 */
static int
count_time(struct digest *d, struct digest_tmpl *t, const struct work_rec *r, size_t bin)
{
	uint32_t us = r->req_us != WORK_NONE ? r->req_us : r->up_us;
	struct latency *l = t->lat;

	if (l == NULL && d->nlat < DIGEST_LAT_MAX) {
		if ((l = t->lat = calloc(1, sizeof(*l))) == NULL)
			return -1;
		d->nlat++;
	}
	latency_add(l != NULL ? l : &d->lat_other, us, r->up_us);
	latency_add(&d->lat_all, us, r->up_us);
	if (bin == SIZE_MAX)
		return 0;
	if (d->lat_bins == NULL &&
	    (d->lat_bins = calloc((size_t)LATENCY_BUCKETS * TIMELINE_BINS, sizeof(uint32_t))) == NULL)
		return -1;
	d->lat_bins[latency_bucket(us) * TIMELINE_BINS + bin]++;
	return 0;
}

static void
count_access(struct digest *d, const struct work_block *b, const struct work_rec *r,
    struct digest_tmpl *t, int tid, int64_t ts, size_t bin)
{
	d->requests++;
	d->status[r->status < 600 ? r->status : 0]++;
	t->e4 += r->status >= 400 && r->status < 500;
	t->e5 += r->status >= 500 && r->status < 600;
	if (r->flags & WORK_COUNT_LATE) {
		const struct strtab_entry *c = &b->clients.e[r->client];

		topk_add(&d->clients, strtab_str(&b->clients, r->client), c->len, c->hash, 1);
		if (r->ua != WORK_NONE)
			topk_add(&d->uas, strtab_str(&b->uas, r->ua), b->uas.e[r->ua].len,
			    b->uas.e[r->ua].hash, 1);
	}
	if (bin != SIZE_MAX) {
		d->req_bins[bin]++;
		if (r->status >= 300 && r->status < 400)
			d->err3_bins[bin]++;
		else if (r->status >= 400 && r->status < 500)
			d->err4_bins[bin]++;
		else if (r->status >= 500 && r->status < 600)
			d->err5_bins[bin]++;
		{
			const char *c = strtab_str(&b->clients, r->client);
			struct digest_pair *p = pair_at(d, c, b->clients.e[r->client].len,
			    b->clients.e[r->client].hash, tid);

			if (p != NULL) {
				if (p->first == 0)
					p->first = ts;
				p->count++;
				p->score++;
				if (p->count >= 2 && pair_ring(d, p) == 0)
					p->firings += (uint64_t)fire(p->fire, p->cap, &p->nfire,
					    &p->head, &p->last, ts);
			}
		}
	}
}

int
digest_block(struct digest *d, struct work_block *b)
{
	if (grow_scratch(d, b->keys.n ? b->keys.n : 1) < 0)
		return -1;
	for (size_t k = 0; k < b->keys.n; k++) {
		int from, to;
		struct miner_value mv;

		d->gid[k] = miner_add(d->m, strtab_str(&b->keys, k), b->keys.e[k].len,
		    b->keys.e[k].hash, b->keys.e[k].count);
		while (miner_next_merge(d->m, &from, &to))
			if (merge_tmpl(d, to, from) < 0)
				return -1;
		while (miner_next_value(d->m, &mv))
			merged_value(d, &mv);
	}
	for (size_t k = 0; k < b->keys.n; k++)
		d->gid[k] = miner_resolve(d->m, d->gid[k]);
	d->bytes_sent += b->bytes_sent;
	for (size_t i = 0; i < b->nrecs; i++) {
		const struct work_rec *r = &b->recs[i];
		struct digest_tmpl *t;
		int64_t ts = r->ts;
		int tid;
		size_t bin = SIZE_MAX;
		uint32_t out;

		d->lines++;
		d->cut += (r->flags & WORK_CUT) != 0;
		d->unparsed += (r->flags & WORK_UNPARSED) != 0;
		if (ts != TIMESTAMP_NONE)
			d->last_seen_ts = ts;
		else
			ts = d->last_seen_ts;	/* continuation lines take the time before them */
		out = UINT32_MAX;
		if (r->flags & WORK_GREP_OUT) {
			d->grep_out++;
			goto next;
		}
		if ((d->o.since_ms && (ts == TIMESTAMP_NONE || ts < d->o.since_ms)) ||
		    (d->o.until_ms && (ts == TIMESTAMP_NONE || ts >= d->o.until_ms))) {
			d->filtered++;
			goto next;
		}
		if (r->key == WORK_NONE)
			goto next;
		tid = d->gid[r->key];
		if ((t = tmpl_at(d, tid)) == NULL)
			return -1;
		d->mined++;
		t->count++;
		out = (uint32_t)tid;
		if (ts == TIMESTAMP_NONE || !plausible(ts)) {
			d->no_ts++;
		} else {
			struct timeline old;

			if (timeline_fit(&d->tl, ts, &old))
				remap_all(d, &old);
			if (d->first_ts == TIMESTAMP_NONE || ts < d->first_ts)
				d->first_ts = ts;
			if (d->last_ts == TIMESTAMP_NONE || ts > d->last_ts)
				d->last_ts = ts;
			if (t->first == TIMESTAMP_NONE || ts < t->first)
				t->first = ts;
			if (t->last == TIMESTAMP_NONE || ts > t->last)
				t->last = ts;
			if (t->bins == NULL && (t->bins = calloc(TIMELINE_BINS, sizeof(*t->bins))) == NULL)
				return -1;
			bin = timeline_bin(&d->tl, ts);
			t->bins[bin]++;
			if (t->fire == NULL && (t->fire = malloc(DIGEST_FIRE_RING * sizeof(*t->fire))) == NULL)
				return -1;
			t->firings += (uint64_t)fire(t->fire, DIGEST_FIRE_RING, &t->nfire, &t->fire_head,
			    &t->last_fire, ts);
		}
		if ((r->req_us != WORK_NONE || r->up_us != WORK_NONE) && count_time(d, t, r, bin) < 0)
			return -1;
		if (r->client != WORK_NONE)
			count_access(d, b, r, t, tid, ts, bin);
		else if (r->msg_len > 0 && (t->vars == NULL || t->vars->samples < VAR_SAMPLE_ALL ||
		    t->count % VAR_SAMPLE_EVERY == 0))
			sample_vars(d, t, tid, b->data + r->msg_off, r->msg_len);
next:
		if (d->o.assign != NULL)
			fwrite(&out, sizeof(out), 1, d->o.assign);
	}
	return 0;
}

/*
 * The runs of a period found on a ring of firing times. A ring that held
 * every firing (held == firings) counted them all; one that kept the
 * latest only did not see the cycles from first_seen to its first firing
 * (ring_first): they are counted at the rate the ring's cycles were hit,
 * and the first run is the first firing seen.
 */
static void
runs_before_ring(struct period_result *p, uint64_t firings, uint32_t held, int64_t first_seen,
    int64_t ring_first)
{
	double cycles;

	if (!p->periodic || firings <= held || first_seen == TIMESTAMP_NONE || first_seen <= 0 ||
	    first_seen >= ring_first || p->cycles == 0)
		return;
	cycles = (double)(ring_first - first_seen) / (p->period_s * 1000);
	p->runs += (uint64_t)(cycles * (double)p->runs / (double)p->cycles + 0.5);
	if (p->runs > firings)
		p->runs = firings;	/* a run is a firing at least */
	p->first_ms = first_seen;
}

/*
 * A pair enters the table on its DIGEST_DOOR_MIN-th request: the requests
 * before were counted but their times are not known. At the rate of runs
 * to requests seen since, they were this many runs, one period apart
 * before the first one seen, and none before the path's first request
 * (path_first).
 */
static void
runs_before_door(struct period_result *p, uint64_t count, int64_t path_first)
{
	const uint64_t unseen = DIGEST_DOOR_MIN - 1;
	uint64_t runs, room;

	if (!p->periodic || count <= unseen || path_first == TIMESTAMP_NONE || path_first <= 0 ||
	    path_first > p->first_ms)
		return;
	runs = (unseen * p->runs + (count - unseen) / 2) / (count - unseen);
	room = (uint64_t)((double)(p->first_ms - path_first) / (p->period_s * 1000) + 0.5);
	if (runs > unseen)
		runs = unseen;
	if (runs > room)
		runs = room;
	if (p->runs + runs > count)
		runs = count > p->runs ? count - p->runs : 0;
	p->runs += runs;
	p->first_ms -= (int64_t)((double)runs * p->period_s * 1000);
	/* the path's first request, when it is that run */
	if (runs > 0 && llabs(p->first_ms - path_first) <= (int64_t)fmax(1000, 50 * p->period_s))
		p->first_ms = path_first;
}

static struct digest *sort_digest;

static int
cmp_count(const void *a, const void *b)
{
	const struct digest_tmpl *x = &sort_digest->t[*(const int *)a];
	const struct digest_tmpl *y = &sort_digest->t[*(const int *)b];

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return *(const int *)a - *(const int *)b;
}

/* The period tests of template i (i < nt) or pair i - nt; buf holds a ring. */
static void
analyse_one(struct digest *d, size_t i, int64_t *buf)
{
	if (i < d->nt) {
		struct digest_tmpl *t = &d->t[i];

		memset(&t->period, 0, sizeof(t->period));
		t->nbursts = 0;
		if (t->count == 0)
			return;
		if (t->fire != NULL && t->nfire >= 5) {
			size_t k = ring_copy(t->fire, DIGEST_FIRE_RING, t->nfire, t->fire_head, buf);

			sort_times(buf, k);
			period_detect(buf, k, &t->period);
			runs_before_ring(&t->period, t->firings, t->nfire, t->first, buf[0]);
		}
		if (t->bins != NULL)
			t->nbursts = burst_detect(t->bins, &d->tl, t->bursts, DIGEST_BURSTS);
	} else {
		struct digest_pair *p = &d->pairs[i - d->nt];

		if (d->pair_keys[i - d->nt] == 0)
			return;	/* an empty slot: its page may never have been touched */
		memset(&p->period, 0, sizeof(p->period));
		if (p->fire != NULL && p->nfire >= PERIOD_MIN_RUNS) {
			size_t k = ring_copy(p->fire, p->cap, p->nfire, p->head, buf);

			sort_times(buf, k);
			period_detect(buf, k, &p->period);
			runs_before_ring(&p->period, p->firings, p->nfire, p->first, buf[0]);
			runs_before_door(&p->period, p->count, d->t[p->tid].first);
		}
	}
}

/* Threads share the items in chunks taken from one counter. */
struct analysis {
	struct digest *d;
	size_t next, n;         /* next chunk (atomic), items in all */
};

#define ANALYSE_CHUNK 64

static void *
analyse_items(void *arg)
{
	struct analysis *a = arg;
	int64_t buf[RING_MAX];
	size_t lo;

	while ((lo = __atomic_fetch_add(&a->next, ANALYSE_CHUNK, __ATOMIC_RELAXED)) < a->n)
		for (size_t i = lo; i < a->n && i < lo + ANALYSE_CHUNK; i++)
			analyse_one(a->d, i, buf);
	return NULL;
}

void
digest_analyse(struct digest *d)
{
	struct analysis a = { d, 0, d->nt + DIGEST_MAX_PAIRS };
	pthread_t th[DIGEST_ANALYSE_THREADS];
	int nth = 0;
	size_t n = 0;
	int from, to;
	struct miner_value mv;

	/* patterns that waited for evidence are decided with every line read so far */
	miner_settle(d->m);
	while (miner_next_merge(d->m, &from, &to))
		merge_tmpl(d, to, from);
	while (miner_next_value(d->m, &mv))
		merged_value(d, &mv);

	free(d->order);
	d->order = calloc(d->nt ? d->nt : 1, sizeof(*d->order));
	if (d->order == NULL) {
		d->norder = 0;
		return;
	}
	for (size_t i = 0; i < d->nt; i++)
		if (d->t[i].count > 0)
			d->order[n++] = (int)i;
	/* each template and pair stands alone: the period tests share the cores */
	while (nth < d->o.threads && nth < DIGEST_ANALYSE_THREADS &&
	    pthread_create(&th[nth], NULL, analyse_items, &a) == 0)
		nth++;
	analyse_items(&a);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	/* methods: the first word of each request template */
	if (d->requests > 0) {
		topk_release(&d->methods);
		topk_init(&d->methods, 64);
		for (size_t i = 0; i < n; i++) {
			const char *t = miner_template(d->m, d->order[i]), *sp = strchr(t, ' ');

			if (sp != NULL && d->order[i] != MINER_OVERFLOW)
				topk_add(&d->methods, t, (size_t)(sp - t), strtab_hash(t, (size_t)(sp - t)),
				    d->t[d->order[i]].count);
		}
	}
	d->nerr_bursts[0] = burst_detect(d->err4_bins, &d->tl, d->err_bursts[0], DIGEST_BURSTS);
	d->nerr_bursts[1] = burst_detect(d->err5_bins, &d->tl, d->err_bursts[1], DIGEST_BURSTS);
	sort_digest = d;
	qsort(d->order, n, sizeof(*d->order), cmp_count);
	d->norder = n;
}
