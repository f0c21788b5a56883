/*
 * engine.c - see engine.h.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "logs/engine.h"

/* Where a slot of the queue is in its life; a slot goes round in this order. */
enum job_state {
	JOB_FREE,               /* no block */
	JOB_QUEUED,             /* a block waits for a thread */
	JOB_TAKEN,              /* a thread is processing it */
	JOB_DONE,               /* processed, waits to be digested in order */
	JOB_FAILED,             /* processing ran out of memory */
};

struct queue {
	pthread_mutex_t mu;
	struct work_ctx ctx[ENGINE_MAX_THREADS];    /* one per worker */
	int nstarted;           /* workers that took their ctx */
	pthread_cond_t work, done;
	struct work_block *slot[ENGINE_INFLIGHT];   /* by seq % ENGINE_INFLIGHT */
	enum job_state state[ENGINE_INFLIGHT];
	int quit;
	const struct work_cfg *cfg;
};

struct engine {
	const struct engine_opts *o;
	const struct work_cfg *cfg;
	struct digest *d;
	struct queue q;
	pthread_t th[ENGINE_MAX_THREADS];
	int nth;
	uint64_t next_seq, next_consume;
	struct work_ctx inline_ctx;
	int64_t last_refresh;
	/* consumed blocks kept for reuse: their tables and record arrays have
	 * grown to size already (main thread only) */
	struct work_block *pool[ENGINE_INFLIGHT];
	int npool;
	struct reader *split;   /* the file read in ranges by the threads, or NULL */
};

/* Done with b: keep it for the next block, or free it. */
static void
recycle(struct engine *e, struct work_block *b)
{
	if (b == NULL)
		return;
	buf_reset(&b->own);	/* the memory stays for the next block */
	free((void *)b->line_src);
	b->line_src = NULL;
	if (e->npool < ENGINE_INFLIGHT)
		e->pool[e->npool++] = b;
	else
		work_block_free(b);
}

/* A digested block: note where a file range ended early, then recycle it. */
static void
done_block(struct engine *e, struct work_block *b)
{
	if (b->from != NULL && b->ended_at != UINT64_MAX &&
	    (!e->split->shrank || b->ended_at < (uint64_t)e->split->off)) {
		e->split->shrank = 1;
		e->split->off = (off_t)b->ended_at;
	}
	recycle(e, b);
}

static void *
worker_main(void *arg)
{
	struct queue *q = arg;
	struct work_ctx *c;
	int ok;

	pthread_mutex_lock(&q->mu);
	c = &q->ctx[q->nstarted++];
	ok = work_ctx_init(c, q->cfg) == 0;
	for (;;) {
		int k = -1;

		/* the oldest first: the digest needs them in order */
		for (int i = 0; i < ENGINE_INFLIGHT; i++)
			if (q->state[i] == JOB_QUEUED && (k < 0 || q->slot[i]->seq < q->slot[k]->seq))
				k = i;
		if (k < 0) {
			if (q->quit)
				break;
			pthread_cond_wait(&q->work, &q->mu);
			continue;
		}
		q->state[k] = JOB_TAKEN;
		pthread_mutex_unlock(&q->mu);
		{
			int rc = ok ? work_block_process(q->slot[k], q->cfg, c) : -1;

			pthread_mutex_lock(&q->mu);
			q->state[k] = rc == 0 ? JOB_DONE : JOB_FAILED;
		}
		pthread_cond_broadcast(&q->done);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/*
 * Add the requests each thread counted by client and agent into the
 * digest. Only while no block is in flight: the threads rest, and the
 * lock they last released orders their counting before this.
 */
static void
collect(struct engine *e)
{
	struct work_ctx *all[ENGINE_MAX_THREADS + 1];
	int n = 0;

	pthread_mutex_lock(&e->q.mu);
	for (int i = 0; i < e->q.nstarted; i++)
		all[n++] = &e->q.ctx[i];
	pthread_mutex_unlock(&e->q.mu);
	all[n++] = &e->inline_ctx;
	/* the largest first: into an empty digest its table moves, not copied */
	for (int i = 1; i < n; i++)
		if (all[i]->clients.t.n > all[0]->clients.t.n) {
			struct work_ctx *t = all[0];

			all[0] = all[i];
			all[i] = t;
		}
	for (int i = 0; i < n; i++) {
		topk_merge(&e->d->clients, &all[i]->clients);
		topk_merge(&e->d->uas, &all[i]->uas);
	}
}

/* Wait for the oldest block, fold it into the digest, free it. */
static int
consume_one(struct engine *e, char *err)
{
	int k = (int)(e->next_consume % ENGINE_INFLIGHT), rc;
	enum job_state st;
	struct work_block *b;

	pthread_mutex_lock(&e->q.mu);
	while (e->q.state[k] != JOB_DONE && e->q.state[k] != JOB_FAILED) {
		/*
		 * Rather than wait, process the block needed here when no thread
		 * has taken it yet; else the newest queued one, which the threads,
		 * taking the oldest first, will come to last.
		 */
		int j = e->q.state[k] == JOB_QUEUED ? k : -1;

		for (uint64_t s = e->next_seq; j < 0 && s-- > e->next_consume;)
			if (e->q.state[s % ENGINE_INFLIGHT] == JOB_QUEUED)
				j = (int)(s % ENGINE_INFLIGHT);
		if (j < 0) {
			pthread_cond_wait(&e->q.done, &e->q.mu);
			continue;
		}
		e->q.state[j] = JOB_TAKEN;
		pthread_mutex_unlock(&e->q.mu);
		rc = work_block_process(e->q.slot[j], e->cfg, &e->inline_ctx);
		pthread_mutex_lock(&e->q.mu);
		e->q.state[j] = rc == 0 ? JOB_DONE : JOB_FAILED;
	}
	st = e->q.state[k];
	b = e->q.slot[k];
	e->q.slot[k] = NULL;
	e->q.state[k] = JOB_FREE;
	pthread_mutex_unlock(&e->q.mu);
	e->next_consume++;
	if (st == JOB_FAILED || digest_block(e->d, b) < 0) {
		err_set(err, "%s", st == JOB_FAILED && b->err[0] ? b->err : "out of memory while digesting");
		work_block_free(b);
		return -1;
	}
	done_block(e, b);
	return 0;
}

/* Hand a block to the workers (or process it here); consume as needed. */
static int
submit(struct engine *e, struct work_block *b, char *err)
{
	if (e->nth == 0) {
		int rc = work_block_process(b, e->cfg, &e->inline_ctx);

		if (rc < 0 || digest_block(e->d, b) < 0) {
			err_set(err, "%s", rc < 0 && b->err[0] ? b->err : "out of memory while digesting");
			work_block_free(b);
			return -1;
		}
		done_block(e, b);
		return 0;
	}
	while (e->next_seq - e->next_consume >= ENGINE_INFLIGHT)
		if (consume_one(e, err) < 0) {
			work_block_free(b);
			return -1;
		}
	b->seq = e->next_seq++;
	pthread_mutex_lock(&e->q.mu);
	e->q.slot[b->seq % ENGINE_INFLIGHT] = b;
	e->q.state[b->seq % ENGINE_INFLIGHT] = JOB_QUEUED;
	pthread_cond_signal(&e->q.work);
	pthread_mutex_unlock(&e->q.mu);
	return 0;
}

static int
drain(struct engine *e, char *err)
{
	while (e->next_consume < e->next_seq)
		if (consume_one(e, err) < 0)
			return -1;
	return 0;
}

/* A block for lines of input src, from the pool when there is one. */
static struct work_block *
block_get(struct engine *e, int src)
{
	struct work_block *b = e->npool > 0 ? e->pool[--e->npool] : work_block_new();

	if (b == NULL)
		return NULL;
	b->data = NULL;
	b->len = 0;
	b->src = src;
	b->from = NULL;
	b->ended_at = UINT64_MAX;
	b->err[0] = '\0';
	return b;
}

/*
 * One regular file, not followed: the threads read it in ranges
 * themselves (reader_range), so the main thread only digests and the
 * bytes are copied once, by the core that parses them.
 */
static int
run_split(struct engine *e, struct reader *r, char *err)
{
	uint64_t size = r->size;

	e->split = r;
	for (uint64_t at = 0; at < size; at += ENGINE_RANGE) {
		struct work_block *b = block_get(e, 0);

		if (b == NULL) {
			err_set(err, "out of memory");
			return -1;
		}
		b->from = r;
		b->at = at;
		b->end = size - at > ENGINE_RANGE ? at + ENGINE_RANGE : size;
		if (submit(e, b, err) < 0)
			return -1;
		if (e->o->progress != NULL)
			e->o->progress(e->o->arg, b->end, size);
	}
	if (drain(e, err) < 0)
		return -1;
	if (!r->shrank)
		r->off = (off_t)size;
	r->eof = 1;
	return 0;
}

/* One input after the other (a single file, or following). */
static int
run_sequential(struct engine *e, struct reader *in, int nin, char *err)
{
	uint64_t total = 0, done = 0;

	for (int i = 0; i < nin; i++)
		total += in[i].size;
	for (;;) {
		int got_any = 0;

		for (int i = 0; i < nin; i++) {
			for (;;) {
				struct work_block *b = block_get(e, i);
				ssize_t n;

				if (b == NULL) {
					err_set(err, "out of memory");
					return -1;
				}
				if ((n = reader_next(&in[i], ENGINE_BLOCK, &b->own, err)) <= 0) {
					recycle(e, b);
					if (n < 0)
						return -1;
					break;
				}
				got_any = 1;
				b->data = b->own.data;
				b->len = (size_t)n;
				if (e->o->before_block != NULL &&
				    e->o->before_block(e->o->arg, i, b->data, b->len, err) < 0) {
					recycle(e, b);
					return -1;
				}
				if (submit(e, b, err) < 0)
					return -1;
				done += (uint64_t)n;
				if (e->o->progress != NULL && total > 0)
					e->o->progress(e->o->arg, done < total ? done : total, total);
				if (e->o->follow)
					break;	/* take turns between followed files */
			}
			if (e->o->follow && reader_follow_poll(&in[i], err) < 0)
				return -1;
		}
		if (!e->o->follow)
			return drain(e, err);
		if (drain(e, err) < 0)
			return -1;
		collect(e);
		if (clock_mono_ms() - e->last_refresh >= e->o->interval_ms) {
			e->last_refresh = clock_mono_ms();
			if (e->o->refresh != NULL)
				e->o->refresh(e->o->arg);
		}
		if (*e->o->stop)
			return 0;
		if (!got_any) {
			struct timespec ts = { 0, 200 * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
}

/* ---- merging several inputs by time ---------------------------------- */

struct mstream {
	struct buf chunk;       /* current chunk of whole lines */
	size_t pos;
	int64_t ts, last_ts;    /* time of the current line */
	int parsed, done;
};

static int
mstream_line(struct engine *e, struct reader *r, struct mstream *m, int src,
    struct work_ctx *c, char *err)
{
	struct format_rec rec;
	const char *line, *nl;
	size_t len;

	if (m->done)
		return 0;
	if (m->pos >= m->chunk.len) {
		ssize_t n = reader_next(r, 1 << 20, &m->chunk, err);

		if (n < 0)
			return -1;
		if (n == 0) {
			m->done = 1;
			return 0;
		}
		m->pos = 0;
	}
	if (m->parsed)
		return 1;
	line = m->chunk.data + m->pos;
	nl = memchr(line, '\n', m->chunk.len - m->pos);
	len = (size_t)((nl ? nl : m->chunk.data + m->chunk.len) - line);
	if (len > e->cfg->max_line)
		len = e->cfg->max_line;
	if (e->cfg->hdr != NULL) {
		if (header_parse(e->cfg->hdr, c->hm, &c->tc, line, len, &rec, &c->scratch) < 0)
			rec.ts = TIMESTAMP_NONE;
	} else {
		format_parse(e->cfg->formats[src], &c->tc, line, len, &rec, &c->scratch);
	}
	m->ts = rec.ts != TIMESTAMP_NONE ? rec.ts : m->last_ts;
	if (rec.ts != TIMESTAMP_NONE)
		m->last_ts = rec.ts;
	m->parsed = 1;
	return 1;
}

static int
run_merged(struct engine *e, struct reader *in, int nin, char *err)
{
	struct mstream *ms = calloc((size_t)nin, sizeof(*ms));
	struct work_ctx c;
	struct work_block *cur = NULL;  /* the block being filled */
	uint16_t *src = NULL;
	size_t nsrc = 0, capsrc = 0;
	int rc = -1;

	if (ms == NULL || work_ctx_init(&c, e->cfg) < 0) {
		free(ms);
		err_set(err, "out of memory");
		return -1;
	}
	for (int i = 0; i < nin; i++) {
		ms[i].ts = ms[i].last_ts = INT64_MIN;
		buf_init(&ms[i].chunk, READER_BUF_MAX);
	}
	for (;;) {
		int best = -1;
		const char *line, *nl;
		size_t len;

		for (int i = 0; i < nin; i++) {
			int got = mstream_line(e, &in[i], &ms[i], i, &c, err);

			if (got < 0)
				goto out;
			if (got > 0 && (best < 0 || ms[i].ts < ms[best].ts))
				best = i;
		}
		if (cur != NULL && (best < 0 || cur->own.len >= ENGINE_BLOCK)) {
			cur->data = cur->own.data;
			cur->len = cur->own.len;
			cur->line_src = src;
			src = NULL;
			nsrc = capsrc = 0;
			rc = submit(e, cur, err);
			cur = NULL;
			if (rc < 0)
				goto out;
			rc = -1;
		}
		if (best < 0)
			break;
		if (cur == NULL && (cur = block_get(e, 0)) == NULL)
			goto oom;
		line = ms[best].chunk.data + ms[best].pos;
		nl = memchr(line, '\n', ms[best].chunk.len - ms[best].pos);
		len = (size_t)((nl ? nl : ms[best].chunk.data + ms[best].chunk.len) - line);
		if (buf_append(&cur->own, line, len) < 0 || buf_putc(&cur->own, '\n') < 0)
			goto oom;
		if (nsrc == capsrc) {
			size_t ncap = capsrc ? capsrc * 2 : 65536;
			uint16_t *ns = realloc(src, ncap * sizeof(*ns));

			if (ns == NULL)
				goto oom;
			src = ns;
			capsrc = ncap;
		}
		src[nsrc++] = (uint16_t)best;
		ms[best].pos += len + (nl != NULL);
		ms[best].parsed = 0;
	}
	rc = drain(e, err);
	goto out;
oom:
	err_set(err, "out of memory");
out:
	for (int i = 0; i < nin; i++)
		buf_release(&ms[i].chunk);
	free(ms);
	free(src);
	work_block_free(cur);
	work_ctx_release(&c);
	return rc;
}

int
engine_run(const struct engine_opts *o, struct reader *in, int nin,
    const struct work_cfg *cfg, struct digest *d, char *err)
{
	struct engine e;
	int rc;

	memset(&e, 0, sizeof(e));
	e.o = o;
	e.cfg = cfg;
	e.d = d;
	e.last_refresh = clock_mono_ms();
	e.nth = o->threads > ENGINE_MAX_THREADS ? ENGINE_MAX_THREADS : o->threads;
	if (work_ctx_init(&e.inline_ctx, cfg) < 0) {
		err_set(err, "out of memory");
		return -1;
	}
	pthread_mutex_init(&e.q.mu, NULL);
	pthread_cond_init(&e.q.work, NULL);
	pthread_cond_init(&e.q.done, NULL);
	e.q.cfg = cfg;
	for (int i = 0; i < e.nth; i++)
		if (pthread_create(&e.th[i], NULL, worker_main, &e.q) != 0) {
			e.nth = i;
			break;
		}
	if (nin == 1 && !o->follow && in[0].regular && in[0].gz == NULL)
		rc = run_split(&e, &in[0], err);
	else if (nin > 1 && !o->follow)
		rc = run_merged(&e, in, nin, err);
	else
		rc = run_sequential(&e, in, nin, err);
	if (rc < 0 && e.nth > 0) {
		/* let the workers finish what they hold before stopping them */
		char ignore[ERR_LEN];

		drain(&e, ignore);
	}
	pthread_mutex_lock(&e.q.mu);
	e.q.quit = 1;
	pthread_cond_broadcast(&e.q.work);
	pthread_mutex_unlock(&e.q.mu);
	for (int i = 0; i < e.nth; i++)
		pthread_join(e.th[i], NULL);
	collect(&e);
	for (int i = 0; i < e.q.nstarted; i++)
		work_ctx_release(&e.q.ctx[i]);
	for (int i = 0; i < ENGINE_INFLIGHT; i++)
		work_block_free(e.q.slot[i]);
	for (int i = 0; i < e.npool; i++)
		work_block_free(e.pool[i]);
	work_ctx_release(&e.inline_ctx);
	pthread_mutex_destroy(&e.q.mu);
	pthread_cond_destroy(&e.q.work);
	pthread_cond_destroy(&e.q.done);
	return rc;
}
