/*
 * sample.c - see sample.h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/json.h"
#include "lb/events.h"
#include "lb/sample.h"
#include "lb/server.h"
#include "lb/worker.h"

static const char *const class_names[4] = { "2xx", "3xx", "4xx", "5xx" };

int64_t
sample_bucket_lo(int b)
{
	int o;

	if (b <= 0)
		return 0;
	if (b >= SAMPLE_BUCKETS - 1)
		return (int64_t)1 << 26;
	o = 7 + (b - 1) / 2;
	return ((int64_t)1 << o) + ((b - 1) % 2 ? (int64_t)1 << (o - 1) : 0);
}

double
sample_quantile(const uint64_t *hist, uint64_t n, double q)
{
	uint64_t rank, cum = 0;

	if (n == 0)
		return -1;
	/* the smallest latency with at least q of them at or below it */
	rank = (uint64_t)(q * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	for (int b = 0; b < SAMPLE_BUCKETS; b++) {
		double lo, hi;

		if (hist[b] == 0 || cum + hist[b] < rank) {
			cum += hist[b];
			continue;
		}
		lo = (double)sample_bucket_lo(b);
		if (b == SAMPLE_BUCKETS - 1)
			return lo / 1000;       /* past the last bound: say the bound */
		hi = (double)sample_bucket_lo(b + 1);
		return (lo + (hi - lo) * (double)(rank - cum) / (double)hist[b]) / 1000;
	}
	return (double)sample_bucket_lo(SAMPLE_BUCKETS - 1) / 1000;
}

int
sample_worker_init(struct worker *w)
{
	size_t n = (size_t)(w->cfg->npools + w->cfg->nservers);

	w->samples = calloc(n ? n : 1, sizeof(*w->samples));
	return w->samples != NULL ? 0 : -1;
}

void
sample_worker_release(struct worker *w)
{
	free(w->samples);
	w->samples = NULL;
}

static void
count(struct sample_count *c, int status, int b)
{
	int cls = status / 100 - 2;

	sample_bump(&c->answered);
	if (cls >= 0 && cls < 4)
		sample_bump(&c->cls[cls]);
	sample_bump(&c->lat[b]);
}

void
sample_answer(struct worker *w, const struct pool *p, const struct server *sv, int status,
    int64_t us)
{
	int b = sample_bucket(us);

	if (w->samples == NULL)
		return;
	count(&w->samples[p->index], status, b);
	if (sv != NULL)
		count(&w->samples[w->cfg->npools + sv->index], status, b);
}

/* ---- adding up (main thread) ---- */

static void
add_count(struct sample_total *t, const struct sample_count *c)
{
	t->answered += atomic_load_explicit(&c->answered, memory_order_relaxed);
	for (int k = 0; k < 4; k++)
		t->cls[k] += atomic_load_explicit(&c->cls[k], memory_order_relaxed);
	for (int k = 0; k < SAMPLE_BUCKETS; k++)
		t->lat[k] += atomic_load_explicit(&c->lat[k], memory_order_relaxed);
}

/* What w counted, added into the sums chosen by which (retired or cur) of its states. */
static void
add_worker(struct worker *w, int retired)
{
	const struct lb_config *cfg = w->cfg;

	if (w->samples == NULL)
		return;
	for (int i = 0; i < cfg->npools; i++) {
		struct sample_sums *s = &cfg->pool[i].st->sums;

		add_count(retired ? &s->retired : &s->cur, &w->samples[i]);
	}
	for (int i = 0; i < cfg->nservers; i++) {
		struct sample_sums *s = &cfg->servers[i].st->sums;

		add_count(retired ? &s->retired : &s->cur, &w->samples[cfg->npools + i]);
	}
}

void
sample_collect_start(struct lb_config *cfg)
{
	for (int i = 0; i < cfg->npools; i++)
		cfg->pool[i].st->sums.cur = cfg->pool[i].st->sums.retired;
	for (int i = 0; i < cfg->nservers; i++)
		cfg->servers[i].st->sums.cur = cfg->servers[i].st->sums.retired;
}

void
sample_collect_worker(struct worker *w)
{
	add_worker(w, 0);
}

void
sample_retire(struct worker *w)
{
	add_worker(w, 1);
}

/* ---- writing ---- */

/* The labels {"pool": P[, "server": S][, "class": C]}. */
static const char *
labels(struct buf *b, const char *pool, const char *server, const char *cls)
{
	int first = 1;

	buf_reset(b);
	buf_putc(b, '{');
	json_key(b, &first, "pool");
	json_str(b, pool);
	if (server != NULL) {
		json_key(b, &first, "server");
		json_str(b, server);
	}
	if (cls != NULL) {
		json_key(b, &first, "class");
		json_str(b, cls);
	}
	buf_putc(b, '}');
	return buf_str(b);
}

/* Does an HTTP listener send requests to p? (A TCP pool has no status classes.) */
static int
speaks_http(const struct lb_config *cfg, const struct pool *p)
{
	for (int f = 0; f < cfg->nfe; f++) {
		const struct frontend *fe = &cfg->fe[f];

		if (fe->mode != MODE_HTTP)
			continue;
		if (fe->default_pool == p)
			return 1;
		for (int r = 0; r < fe->nroutes; r++)
			if (fe->route[r].pool == p)
				return 1;
	}
	return 0;
}

/* The rows every pool and server has: requests, classes, errors, retries, latency. */
static void
write_common(struct buf *b, int64_t ts, const char *pool, const char *server,
    const struct sample_total *d, int http)
{
	uint64_t timed = 0;

	events_sample(ts, "lb_requests", labels(b, pool, server, NULL), (double)d->answered);
	for (int k = 0; k < 4 && http; k++)
		events_sample(ts, "lb_responses", labels(b, pool, server, class_names[k]),
		    (double)d->cls[k]);
	events_sample(ts, "lb_errors", labels(b, pool, server, NULL), (double)d->errors);
	events_sample(ts, "lb_retries", labels(b, pool, server, NULL), (double)d->retries);
	for (int k = 0; k < SAMPLE_BUCKETS; k++)
		timed += d->lat[k];
	if (timed == 0)
		return;         /* no latency without a request */
	events_sample(ts, "lb_latency_p50_ms", labels(b, pool, server, NULL),
	    sample_quantile(d->lat, timed, 0.50));
	events_sample(ts, "lb_latency_p99_ms", labels(b, pool, server, NULL),
	    sample_quantile(d->lat, timed, 0.99));
}

/* a - b, or 0 where a sum went down (a pool's server left it at a reload) */
static uint64_t
sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* d = cur - prev, then prev = cur. */
static void
delta(struct sample_sums *s, struct sample_total *d)
{
	const struct sample_total *c = &s->cur, *p = &s->prev;

	d->answered = sub(c->answered, p->answered);
	for (int k = 0; k < 4; k++)
		d->cls[k] = sub(c->cls[k], p->cls[k]);
	for (int k = 0; k < SAMPLE_BUCKETS; k++)
		d->lat[k] = sub(c->lat[k], p->lat[k]);
	d->errors = sub(c->errors, p->errors);
	d->retries = sub(c->retries, p->retries);
	d->queue_timeouts = sub(c->queue_timeouts, p->queue_timeouts);
	s->prev = s->cur;
}

void
sample_write(struct lb_config *cfg, int64_t ts)
{
	struct buf b = BUF_INIT(4 * LB_NAME_LEN + 64);

	for (int i = 0; i < cfg->npools; i++) {
		struct pool *p = &cfg->pool[i];
		struct pool_state *ps = p->st;
		struct sample_total d;
		int http = speaks_http(cfg, p), qlen = atomic_load(&ps->q.n);

		ps->sums.cur.errors = ps->sums.cur.retries = 0;
		for (int k = 0; k < p->nsrv; k++) {
			struct srv_state *st = p->srv[k]->st;
			struct sample_total ds;

			st->sums.cur.errors = atomic_load(&st->failures);
			st->sums.cur.retries = atomic_load(&st->retries);
			ps->sums.cur.errors += st->sums.cur.errors;
			ps->sums.cur.retries += st->sums.cur.retries;
			delta(&st->sums, &ds);
			write_common(&b, ts, p->name, p->srv[k]->name, &ds, http);
			events_sample(ts, "lb_server_connections", labels(&b, p->name,
			    p->srv[k]->name, NULL), (double)atomic_load(&st->active));
		}
		ps->sums.cur.queue_timeouts = atomic_load(&ps->queue_timeouts);
		delta(&ps->sums, &d);
		write_common(&b, ts, p->name, NULL, &d, http);
		events_sample(ts, "lb_queue_length", labels(&b, p->name, NULL, NULL), qlen);
		/* the peak starts over from the length now */
		events_sample(ts, "lb_queue_peak", labels(&b, p->name, NULL, NULL),
		    (double)atomic_exchange(&ps->q_peak, qlen));
		events_sample(ts, "lb_queue_timeouts", labels(&b, p->name, NULL, NULL),
		    (double)d.queue_timeouts);
	}
	buf_release(&b);
}
