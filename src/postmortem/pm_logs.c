/*
 * pm_logs.c - see pm_logs.h.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <math.h>
#include <pcre2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "logs/detect.h"
#include "logs/digest.h"
#include "logs/engine.h"
#include "logs/mask.h"
#include "logs/reader.h"
#include "postmortem/pm_logs.h"
#include "postmortem/pm_timeline.h"

#define MAX_LINE (64 * 1024)
/* Per-line template ids kept for line numbers: 64 MiB of them at most. */
#define MAX_ASSIGN_LINES ((size_t)16 << 20)

struct pm_logfile {
	const char *path;
	char name[128];                 /* the file's base name, for row sources */
	enum format_id fmt;
	struct digest d;
	uint32_t *ids;                  /* template id of each line, NULL when too many */
	size_t nids;
};

struct pm_logs {
	struct pm_logfile f[PM_MAX_LOGS];
	size_t n;
	int64_t scratch[PM_MAX_FIRINGS];
};

static volatile sig_atomic_t never_stop;

pm_logs *
pm_logs_new(void)
{
	return calloc(1, sizeof(struct pm_logs));
}

void
pm_logs_free(pm_logs *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		digest_release(&l->f[i].d);
		free(l->f[i].ids); l->f[i].ids = NULL;
	}
	free(l);
}

static int
is_access(enum format_id f)
{
	return f == FORMAT_COMBINED || f == FORMAT_COMMON;
}

/*
 * One pass of the engine over path into d (initialised here; released by
 * the caller when 0 is returned). grep, when set, keeps only matching lines.
 */
static int
run_engine(const char *path, const pcre2_code *grep, FILE *assign, struct digest *d,
    enum format_id *fmt, char *err)
{
	struct reader r;
	struct timestamp_ctx tc;
	struct digest_opts o;
	struct work_cfg cfg;
	struct engine_opts eo;

	memset(&r, 0, sizeof(r));
	r.fd = -1;
	timestamp_ctx_init(&tc, clock_now_ms());
	if (reader_open(&r, path, 0, MAX_LINE, err) < 0)
		return -1;
	if (detect_input(&r, &tc, fmt, err) < 0) {
		reader_close(&r);
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.miner.similarity = MINER_DEFAULT_SIMILARITY;
	o.miner.max_templates = 10000;
	o.miner.exact = is_access(*fmt);
	o.assign = assign;
	if (digest_init(d, &o) < 0) {
		err_set(err, "%s: out of memory", path);
		reader_close(&r);
		return -1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.formats = fmt;
	cfg.grep = grep;
	cfg.max_line = MAX_LINE;
	cfg.now_ms = clock_now_ms();
	memset(&eo, 0, sizeof(eo));
	eo.threads = 1;
	eo.stop = &never_stop;
	if (engine_run(&eo, &r, 1, &cfg, d, err) < 0) {
		err_prefix(err, "%s", path);
		digest_release(d);
		reader_close(&r);
		return -1;
	}
	digest_analyse(d);
	reader_close(&r);
	return 0;
}

/* Read the per-line ids back from the engine's assign file. */
static void
load_ids(struct pm_logfile *lf, FILE *assign)
{
	long len;

	if (fflush(assign) != 0 || fseek(assign, 0, SEEK_END) != 0 || (len = ftell(assign)) < 0)
		return;
	lf->nids = (size_t)len / sizeof(uint32_t);
	if (lf->nids == 0 || lf->nids > MAX_ASSIGN_LINES ||
	    (lf->ids = malloc(lf->nids * sizeof(uint32_t))) == NULL) {
		lf->nids = 0;
		return;
	}
	rewind(assign);
	if (fread(lf->ids, sizeof(uint32_t), lf->nids, assign) != lf->nids) {
		free(lf->ids); lf->ids = NULL;
		lf->nids = 0;
	}
}

int
pm_logs_read(pm_logs *l, struct pm_night *n, const char *path, char *err)
{
	struct pm_logfile *lf;
	struct pm_log *pl;
	const char *slash = strrchr(path, '/');
	FILE *assign;
	int rc;

	if (l->n >= PM_MAX_LOGS || n->nlogs >= PM_MAX_LOGS) {
		err_set(err, "%s: more than %d logs", path, PM_MAX_LOGS);
		return -1;
	}
	pl = &n->logs[n->nlogs++];
	memset(pl, 0, sizeof(*pl));
	pl->path = path;
	lf = &l->f[l->n];
	memset(lf, 0, sizeof(*lf));
	lf->path = path;
	pm_textf(lf->name, sizeof(lf->name), "%s", slash ? slash + 1 : path);
	if ((assign = tmpfile()) == NULL) {
		err_set(err, "%s: cannot create a temporary file", path);
		return -1;
	}
	rc = run_engine(path, NULL, assign, &lf->d, &lf->fmt, err);
	if (rc == 0)
		load_ids(lf, assign);
	fclose(assign);
	if (rc < 0)
		return -1;
	l->n++;
	pl->ok = 1;
	pl->lines = lf->d.lines;
	pl->access = is_access(lf->fmt);
	pm_textf(pl->format, sizeof(pl->format), "%s", format_name(lf->fmt));
	return 0;
}

void
pm_logs_span(const pm_logs *l, int64_t *first, int64_t *last)
{
	*first = *last = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct digest *d = &l->f[i].d;

		if (d->first_ts == TIMESTAMP_NONE)
			continue;
		if (*first == 0 || d->first_ts < *first)
			*first = d->first_ts;
		if (d->last_ts > *last)
			*last = d->last_ts;
	}
}


void
pm_logs_traffic(const pm_logs *l, struct pm_night *n)
{
	struct buf names = BUF_INIT(PM_NOTE_LEN - 16);

	for (size_t i = 0; i < l->n; i++) {
		const struct digest *d = &l->f[i].d;

		if (!is_access(l->f[i].fmt) || d->tl.width == 0)
			continue;
		buf_printf(&names, "%s%s", names.len ? ", " : "", l->f[i].name);
		for (size_t b = 0; b < TIMELINE_BINS; b++) {
			int64_t t0 = d->tl.origin + (int64_t)b * d->tl.width, t1 = t0 + d->tl.width;

			if (t1 > n->since && t0 < n->until) {
				n->requests += d->req_bins[b];
				n->failed += d->err5_bins[b];
				n->have_traffic = 1;
			}
			if (d->req_bins[b] > 0)
				pm_spread(n, n->rps, t0, t1, d->req_bins[b]);
			if (d->err5_bins[b] > 0)
				pm_spread(n, n->err_rps, t0, t1, d->err5_bins[b]);
		}
	}
	if (names.len > 0)
		pm_textf(n->traffic_from, sizeof(n->traffic_from), "the access log %s",
		    buf_str(&names));
	buf_release(&names);
}

/* Words that make a template read like an error, wherever it comes from. */
static int
error_like(const char *s)
{
	static const char *const words[] = { "error", "fatal", "fail", "refus", "denied", "panic",
	    "critical", "timeout", "timed out", "too many", "unavailable", "abort", "cannot",
	    "could not", "exception", "killed", "reset", "unreachable", "exceeded", "out of" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(s, words[i]) != NULL)
			return 1;
	return 0;
}

/* Occurrences of template id before time ts, from its bins (exact to a bin). */
static uint64_t
count_before(const struct digest *d, const struct digest_tmpl *t, int64_t ts)
{
	uint64_t k = 0;
	size_t b;

	if (t->bins == NULL || d->tl.width == 0 || ts <= d->tl.origin)
		return 0;
	b = timeline_bin(&d->tl, ts);
	for (size_t i = 0; i < b && i < TIMELINE_BINS; i++)
		k += t->bins[i];
	return k;
}

/* The line number of template id's occurrence number k + 1; 0 when unknown. */
static uint64_t
line_of(const struct pm_logfile *lf, int id, uint64_t k)
{
	uint64_t seen = 0;

	for (size_t i = 0; i < lf->nids; i++) {
		if (lf->ids[i] == UINT32_MAX || digest_resolve(&lf->d, (int)lf->ids[i]) != id)
			continue;
		if (seen++ == k)
			return i + 1;
	}
	return 0;
}

static void
row_source(const struct pm_logfile *lf, uint64_t line, char *out, size_t n)
{
	if (line > 0)
		pm_textf(out, n, "%s:%llu", lf->name, (unsigned long long)line);
	else
		pm_textf(out, n, "%s", lf->name);
}

/* The firings of template t inside the window, into out (at most max). */
static size_t
window_firings(const struct digest_tmpl *t, const struct pm_night *n, int64_t *out, size_t max)
{
	size_t k = 0;

	for (uint32_t i = 0; i < t->nfire && k < max; i++) {
		int64_t ts = t->fire[(t->fire_head + i) & (DIGEST_FIRE_RING - 1)];

		if (ts >= n->since && ts < n->until)
			out[k++] = ts;
	}
	return k;
}

static void
template_rows(pm_logs *l, struct pm_logfile *lf, struct pm_night *n, int id)
{
	struct digest *d = &lf->d;
	struct digest_tmpl *t = &d->t[id];
	const char *text = digest_template(d, id);
	char src[160];
	size_t nf;

	if (t->count == 0 || t->first == TIMESTAMP_NONE)
		return;
	if (t->first >= n->since && t->first < n->until && error_like(text) &&
	    t->first > d->first_ts) {
		row_source(lf, line_of(lf, id, 0), src, sizeof(src));
		pm_timeline_add(n, t->first, 4, src, "first time in this log: `%s`", text);
	}
	for (size_t b = 0; b < t->nbursts; b++) {
		const struct burst *u = &t->bursts[b];

		if (u->start_ms < n->since || u->start_ms >= n->until)
			continue;
		row_source(lf, line_of(lf, id, count_before(d, t, u->start_ms)), src, sizeof(src));
		pm_timeline_add(n, u->start_ms, error_like(text) ? 3 : 1, src,
		    "burst of `%s`: %llu lines, peak %u in one %llds bin (usually %.1f)", text,
		    (unsigned long long)u->events, u->peak, (long long)(d->tl.width / 1000),
		    u->baseline);
	}
	nf = window_firings(t, n, l->scratch, PM_MAX_FIRINGS);
	if (t->period.periodic && nf > 0) {
		row_source(lf, line_of(lf, id, count_before(d, t, l->scratch[0])), src, sizeof(src));
		pm_timeline_add(n, l->scratch[0], 1, src,
		    "periodic `%s` (every %.1f s ± %.1f s) fires %zu times in the window", text,
		    t->period.period_s, t->period.spread_s, nf);
	}
}

void
pm_logs_rows(pm_logs *l, struct pm_night *n)
{
	for (size_t i = 0; i < l->n; i++) {
		struct pm_logfile *lf = &l->f[i];
		struct digest *d = &lf->d;
		char src[160];

		for (size_t k = 0; k < d->norder; k++) {
			int id = d->order[k];

			if (digest_resolve(d, id) == id)
				template_rows(l, lf, n, id);
		}
		for (size_t b = 0; is_access(lf->fmt) && b < d->nerr_bursts[1]; b++) {
			const struct burst *u = &d->err_bursts[1][b];

			if (u->start_ms < n->since || u->start_ms >= n->until)
				continue;
			row_source(lf, 0, src, sizeof(src));
			pm_timeline_add(n, u->start_ms, 4, src,
			    "burst of 5xx responses: %llu, peak %u in one %llds bin (usually %.1f)",
			    (unsigned long long)u->events, u->peak, (long long)(d->tl.width / 1000),
			    u->baseline);
		}
	}
}

/* Append s to b with every regex metacharacter escaped. */
static void
re_escape(struct buf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80 && !isalnum(c) && c != '_')
			buf_putc(b, '\\');
		buf_putc(b, (char)c);
	}
}

/* A template token as a pattern: literal text, each <*> as \S*. */
static void
re_token(struct buf *b, const char *tok, size_t len)
{
	const char *v;

	while ((v = memmem(tok, len, MASK_VAR, 3)) != NULL) {
		re_escape(b, tok, (size_t)(v - tok));
		buf_puts(b, "\\S*");
		len -= (size_t)(v - tok) + 3;
		tok = v + 3;
	}
	re_escape(b, tok, len);
}

/*
 * The lines of template text whose variable token at position pos holds
 * value: the (up to three) tokens before it, then the token with the value
 * in place of its <*>, followed by a space or the end of the line.
 */
static int
value_pattern(const char *text, int pos, const char *value, struct buf *re, char *what,
    size_t whatlen)
{
	const char *tok[256];
	size_t len[256], nt = 0;
	const char *p = text;
	struct buf w = BUF_INIT(PM_TEXT_LEN - 1);

	while (*p != '\0' && nt < 256) {
		const char *e = strchr(p, ' ');

		if (e == NULL)
			e = p + strlen(p);
		tok[nt] = p;
		len[nt++] = (size_t)(e - p);
		p = *e ? e + 1 : e;
	}
	if (pos < 0 || (size_t)pos >= nt)
		return -1;
	for (int i = pos >= 3 ? pos - 3 : 0; i < pos; i++) {
		re_token(re, tok[i], len[i]);
		buf_puts(re, "\\s+");
	}
	{
		const char *v = memmem(tok[pos], len[pos], MASK_VAR, 3);
		size_t pre;

		if (v == NULL)
			return -1;
		pre = (size_t)(v - tok[pos]);
		re_token(re, tok[pos], pre);
		re_escape(re, value, strlen(value));
		re_token(re, v + 3, len[pos] - pre - 3);
		buf_puts(re, "(?=\\s|$)");
	}
	for (size_t i = 0; i < nt; i++) {
		if (i > 0)
			buf_putc(&w, ' ');
		if ((int)i == pos) {
			const char *v = memmem(tok[i], len[i], MASK_VAR, 3);

			buf_append(&w, tok[i], (size_t)(v - tok[i]));
			buf_puts(&w, value);
			buf_append(&w, v + 3, len[i] - (size_t)(v - tok[i]) - 3);
		} else {
			buf_append(&w, tok[i], len[i]);
		}
	}
	pm_textf(what, whatlen, "%s", buf_str(&w));
	buf_release(&w);
	return re->len > 0 ? 0 : -1;
}

/* Merge two ascending arrays of firing times into out (at most max). */
static size_t
merge_times(const int64_t *a, size_t na, const int64_t *b, size_t nb, int64_t *out, size_t max)
{
	size_t i = 0, j = 0, k = 0;

	while ((i < na || j < nb) && k < max)
		out[k++] = j >= nb || (i < na && a[i] <= b[j]) ? a[i++] : b[j++];
	return k;
}

/*
 * One value of a variable: run the engine over the lines holding it and
 * gather the firings of every template those lines formed.
 */
static int
value_run(pm_logs *l, struct pm_logfile *lf, struct pm_night *n, const char *text, int pos,
    const char *value, int (*cb)(const struct pm_firings *f, void *arg), void *arg, int *stop)
{
	struct buf re = BUF_INIT(8192);
	struct pm_firings f;
	struct digest d;
	enum format_id fmt;
	pcre2_code *code = NULL;
	int64_t *all = NULL, *tmp = NULL;
	size_t nall = 0;
	char err[ERR_LEN];
	int ec, rc = 0;
	PCRE2_SIZE off;

	memset(&f, 0, sizeof(f));
	if (value_pattern(text, pos, value, &re, f.what, sizeof(f.what)) < 0)
		goto out;
	code = pcre2_compile((PCRE2_SPTR)buf_str(&re), PCRE2_ZERO_TERMINATED, 0, &ec, &off, NULL);
	if (code == NULL)
		goto out;
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	if (run_engine(lf->path, code, NULL, &d, &fmt, err) < 0)
		goto out;
	all = malloc(PM_MAX_FIRINGS * sizeof(*all));
	tmp = malloc(PM_MAX_FIRINGS * sizeof(*tmp));
	if (all == NULL || tmp == NULL) {
		rc = -1;
		goto release;
	}
	for (size_t i = 0; i < d.nt; i++) {
		struct digest_tmpl *t = &d.t[i];
		size_t k;

		if (t->count == 0 || digest_resolve(&d, (int)i) != (int)i)
			continue;
		k = window_firings(t, n, l->scratch, PM_MAX_FIRINGS);
		nall = merge_times(all, nall, l->scratch, k, tmp, PM_MAX_FIRINGS);
		memcpy(all, tmp, nall * sizeof(*all));
		f.lines += t->count;    /* lines of the whole file; cut to the window below */
	}
	if (nall >= 3) {
		pm_textf(f.value, sizeof(f.value), "%s", value);
		pm_textf(f.of, sizeof(f.of), "%s", text);
		pm_textf(f.origin, sizeof(f.origin), "%s", lf->name);
		f.t = all;
		f.n = nall;
		f.error_like = error_like(text);
		if (d.tl.width > 0 && d.lines > 0) {
			/* Lines in the window: the timeline's bins, summed over the window. */
			uint64_t in = 0;

			for (size_t i = 0; i < d.nt; i++) {
				struct digest_tmpl *t = &d.t[i];

				for (size_t b = 0; t->bins != NULL && b < TIMELINE_BINS; b++) {
					int64_t t0 = d.tl.origin + (int64_t)b * d.tl.width;

					if (t0 + d.tl.width > n->since && t0 < n->until)
						in += t->bins[b];
				}
			}
			f.lines = in;
		}
		*stop = cb(&f, arg);
	}
release:
	digest_release(&d);
out:
	free(all);
	free(tmp);
	pcre2_code_free(code);
	buf_release(&re);
	return rc;
}

/* The top holders brace conns recorded at the episode starts, each once. */
static size_t
episode_holders(const struct pm_night *n, const char **out, size_t max)
{
	size_t k = 0;

	for (size_t e = 0; e < n->nep && k < max; e++) {
		size_t i;

		if (n->ep[e].top_holder[0] == '\0')
			continue;
		for (i = 0; i < k && strcmp(out[i], n->ep[e].top_holder) != 0; i++)
			;
		if (i == k)
			out[k++] = n->ep[e].top_holder;
	}
	return k;
}

/* The values worth a run at one variable position: the holders, then frequent values. */
static size_t
position_values(const struct digest_var *v, const char *const *holders, size_t nh,
    const char **out)
{
	size_t k = 0;

	for (size_t h = 0; h < nh; h++)
		out[k++] = holders[h];
	if (v->n[1] == 0 && v->other == 0)
		return k;       /* one value only: the template says it all */
	for (int i = 0; i < DIGEST_VAR_TOP; i++) {
		size_t j;

		if (v->n[i] < 3 || v->v[i][0] == '\0')
			continue;
		for (j = 0; j < k && strcmp(out[j], v->v[i]) != 0; j++)
			;
		if (j == k)
			out[k++] = v->v[i];
	}
	return k;
}

/*
 * Value runs worth doing, at most PM_VALUE_RUNS per log: at each variable
 * position of a template active in the window, the holders brace conns saw
 * at the episode starts (the digest keeps only a few values per position,
 * so a holder may not be among them), then the values the digest saw three
 * times or more where the position took two values or more.
 */
static int
file_values(pm_logs *l, struct pm_logfile *lf, struct pm_night *n,
    int (*cb)(const struct pm_firings *f, void *arg), void *arg, int *stop)
{
	struct digest *d = &lf->d;
	const char *holders[4], *values[4 + DIGEST_VAR_TOP];
	size_t nh = episode_holders(n, holders, 4);
	int runs = 0;

	for (size_t k = 0; k < d->norder && runs < PM_VALUE_RUNS && !*stop; k++) {
		int id = d->order[k];
		struct digest_tmpl *t = &d->t[id];
		char text[PM_TEXT_LEN];

		if (digest_resolve(d, id) != id || t->vars == NULL || t->last < n->since ||
		    t->first >= n->until)
			continue;
		pm_textf(text, sizeof(text), "%s", digest_template(d, id));
		for (int p = 0; p < t->vars->npos && runs < PM_VALUE_RUNS && !*stop; p++) {
			size_t nv = position_values(&t->vars->p[p], holders, nh, values);

			for (size_t i = 0; i < nv && runs < PM_VALUE_RUNS && !*stop; i++) {
				runs++;
				if (value_run(l, lf, n, text, t->vars->p[p].pos, values[i], cb, arg,
				    stop) < 0)
					return -1;
			}
		}
	}
	return 0;
}

int
pm_logs_each_firings(pm_logs *l, struct pm_night *n,
    int (*cb)(const struct pm_firings *f, void *arg), void *arg)
{
	int stop = 0;

	for (size_t i = 0; i < l->n && !stop; i++) {
		struct pm_logfile *lf = &l->f[i];
		struct digest *d = &lf->d;

		for (size_t k = 0; k < d->norder && !stop; k++) {
			int id = d->order[k];
			struct digest_tmpl *t = &d->t[id];
			struct pm_firings f;

			if (digest_resolve(d, id) != id)
				continue;
			memset(&f, 0, sizeof(f));
			f.n = window_firings(t, n, l->scratch, PM_MAX_FIRINGS);
			if (f.n < 3)
				continue;
			pm_textf(f.what, sizeof(f.what), "%s", digest_template(d, id));
			pm_textf(f.origin, sizeof(f.origin), "%s", lf->name);
			f.t = l->scratch;
			f.lines = t->count - count_before(d, t, n->since) -
			    (t->last >= n->until ? t->count - count_before(d, t, n->until) : 0);
			f.error_like = error_like(f.what);
			stop = cb(&f, arg);
		}
		if (!stop && file_values(l, lf, n, cb, arg, &stop) < 0)
			return -1;
	}
	return 0;
}
