/*
 * alog.c - see alog.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "lb/alog.h"
#include "lb/stream.h"
#include "lb/worker.h"

#define ALOG_BUF_MAX   (256u << 10)
#define ALOG_FLUSH_AT  (32u << 10)

static int alog_fd = -1;                /* dup2 keeps the number across reopens */
static int alog_syslog;
static _Atomic int alog_on;
static _Atomic int alog_fmt;
static char alog_path[PATH_MAX];
/* A full disk fails every flush of every worker: one line a minute, with a count. */
static struct log_limit alog_write_fail = LOG_LIMIT_INIT;
static struct log_limit alog_full = LOG_LIMIT_INIT;

static int
open_file(const char *path, char *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		err_set(err, "cannot open access log %s: %s", path, strerror(errno));
	return fd;
}

int
alog_open(struct lb_config *cfg, char *err)
{
	atomic_store(&alog_fmt, cfg->access_format);
	if (cfg->access_log[0] == '\0')
		return 0;
	snprintf(alog_path, sizeof(alog_path), "%s", cfg->access_log);
	if (strcmp(cfg->access_log, "syslog") == 0) {
		alog_syslog = 1;
		openlog("brace-lb", LOG_NDELAY, LOG_LOCAL0);
	} else if ((alog_fd = open_file(cfg->access_log, err)) < 0) {
		return -1;
	}
	atomic_store(&alog_on, 1);
	return 0;
}

void
alog_reopen(void)
{
	char err[ERR_LEN];
	int fd;

	if (alog_fd < 0)
		return;
	if ((fd = open_file(alog_path, err)) < 0) {
		log_error("%s; still writing to the old file", err);
		return;
	}
	/* Atomic for the workers: the same descriptor now means the new file. */
	dup2(fd, alog_fd);
	close(fd);
	log_notice("access log %s reopened", alog_path);
}

void
alog_configure(struct lb_config *cfg)
{
	char err[ERR_LEN];

	atomic_store(&alog_fmt, cfg->access_format);
	if (strcmp(cfg->access_log, alog_path) == 0)
		return;
	if (cfg->access_log[0] == '\0' || strcmp(cfg->access_log, "syslog") == 0 ||
	    alog_syslog) {
		log_warn("access log: moving between off, syslog and a file needs a restart");
		return;
	}
	if (alog_fd < 0) {
		if ((alog_fd = open_file(cfg->access_log, err)) < 0) {
			log_error("%s", err);
			return;
		}
	} else {
		int fd = open_file(cfg->access_log, err);

		if (fd < 0) {
			log_error("%s", err);
			return;
		}
		dup2(fd, alog_fd);
		close(fd);
	}
	snprintf(alog_path, sizeof(alog_path), "%s", cfg->access_log);
	atomic_store(&alog_on, 1);
}

void
alog_close(void)
{
	unsigned long long held = log_limit_take_held(&alog_write_fail) +
	    log_limit_take_held(&alog_full);

	if (held > 0)
		log_warn("access log: %llu more warnings like the last one were not shown", held);
	atomic_store(&alog_on, 0);
	if (alog_fd >= 0)
		close(alog_fd);
	alog_fd = -1;
	if (alog_syslog)
		closelog();
}

static int
alog_enabled(void)
{
	return atomic_load_explicit(&alog_on, memory_order_relaxed);
}

struct alog_rec {
	char req[512];
	char referer[256];
	char ua[256];
	char host[128];
	int logged;
};

static void
copy_field(char *dst, size_t cap, const char *p, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/*
 * The stream's record, emptied for a new request whose first byte came at
 * s->t_req; NULL when the log is off (or memory is out: no line then). The
 * record stays with the stream object for its next requests and lives.
 */
static struct alog_rec *
rec_start(struct stream *s)
{
	struct alog_rec *r;

	if (!alog_enabled())
		return NULL;
	if (s->logrec == NULL && (s->logrec = malloc(sizeof(struct alog_rec))) == NULL)
		return NULL;
	r = s->logrec;
	r->referer[0] = r->ua[0] = r->host[0] = '\0';
	r->logged = 0;
	return r;
}

void
alog_capture(struct stream *s, const struct http_msg *m)
{
	struct alog_rec *r;

	if ((r = rec_start(s)) == NULL)
		return;
	snprintf(r->req, sizeof(r->req), "%.*s %.*s HTTP/1.%d", (int)m->method_len, m->method,
	    (int)(m->target_len > 400 ? 400 : m->target_len), m->target, m->version % 10);
	for (size_t i = 0; i < m->nhdrs; i++) {
		const struct http_hdr *h = &m->hdrs[i];

		if (h->kind == HDR_HOST)
			copy_field(r->host, sizeof(r->host), h->value, h->value_len);
		else if (h->name_len == 7 && http_token_eq(h->name, 7, "referer"))
			copy_field(r->referer, sizeof(r->referer), h->value, h->value_len);
		else if (h->name_len == 10 && http_token_eq(h->name, 10, "user-agent"))
			copy_field(r->ua, sizeof(r->ua), h->value, h->value_len);
	}
}

void
alog_capture_raw(struct stream *s, const char *p, size_t n)
{
	struct alog_rec *r;
	const char *nl = n ? memchr(p, '\n', n) : NULL;

	if ((r = rec_start(s)) == NULL)
		return;
	if (nl != NULL)
		n = (size_t)(nl - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	copy_field(r->req, sizeof(r->req), p, n);
	s->srv_logged = NULL;
	s->t_sent = 0;
	s->bytes_out = 0;
}

/* A quoted field of the combined format: '"' and '\' escaped, controls as \xHH. */
static void
put_quoted(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	if (*s == '\0')
		buf_putc(b, '-');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\x%02x", c);
		else
			buf_putc(b, (char)c);
	}
	buf_putc(b, '"');
}

void
alog_stamp(int64_t ms, char *out, size_t n)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&sec, &tm);
	if (strftime(out, n, "[%d/%b/%Y:%H:%M:%S %z]", &tm) == 0 && n > 0)
		out[0] = '\0';
}

/* The time stamp, computed once a second per worker. */
static const char *
clf_time(struct worker *w, int64_t now_ms)
{
	time_t sec = (time_t)(now_ms / 1000);

	if (sec != w->alog_sec) {
		alog_stamp(now_ms, w->alog_stamp, sizeof(w->alog_stamp));
		w->alog_sec = sec;
	}
	return w->alog_stamp;
}

static const char *
or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

int
alog_format(struct buf *b, enum alog_format fmt, const struct alog_line *l, const char *stamp)
{
	size_t mark = b->len;

	if (fmt == ALOG_JSON) {
		char ts[CLOCK_FMT_LEN];
		int first = 1;

		clock_fmt_utc(l->time_ms, ts, sizeof(ts));
		buf_putc(b, '{');
		json_key(b, &first, "time");
		json_str(b, ts);
		json_key(b, &first, "client");
		json_str(b, l->client);
		json_key(b, &first, "request");
		json_str(b, l->request);
		json_key(b, &first, "host");
		json_str(b, or_null(l->host));
		json_key(b, &first, "status");
		json_int(b, l->status);
		json_key(b, &first, "bytes");
		json_int(b, (int64_t)l->bytes);
		json_key(b, &first, "referer");
		json_str(b, or_null(l->referer));
		json_key(b, &first, "user_agent");
		json_str(b, or_null(l->user_agent));
		json_key(b, &first, "frontend");
		json_str(b, l->frontend);
		json_key(b, &first, "pool");
		json_str(b, l->pool);
		json_key(b, &first, "server");
		json_str(b, l->server);
		json_key(b, &first, "upstream_addr");
		json_str(b, l->upstream);
		json_key(b, &first, "upstream_response_time");
		if (l->upstream_time >= 0)
			buf_printf(b, "%.3f", l->upstream_time);
		else
			buf_puts(b, "null");
		json_key(b, &first, "request_time");
		buf_printf(b, "%.3f}\n", l->request_time);
	} else {
		buf_printf(b, "%s - - %s ", l->client, stamp);
		put_quoted(b, l->request);
		buf_printf(b, " %d %llu ", l->status, (unsigned long long)l->bytes);
		put_quoted(b, l->referer ? l->referer : "");
		buf_putc(b, ' ');
		put_quoted(b, l->user_agent ? l->user_agent : "");
		if (l->upstream_time >= 0)
			buf_printf(b, " %s %.3f %.3f\n", l->upstream ? l->upstream : "-",
			    l->upstream_time, l->request_time);
		else
			buf_printf(b, " - - %.3f\n", l->request_time);
	}
	if (b->len == mark || b->data[b->len - 1] != '\n') {
		/* the buffer is full: drop this line whole rather than write half */
		b->len = mark;
		if (b->data)
			b->data[mark] = '\0';
		return -1;
	}
	return 0;
}

void
alog_request(struct stream *s, int status)
{
	struct worker *w = s->w;
	struct alog_rec *r = s->logrec;
	struct buf *b = &w->alog;
	struct alog_line l;
	int64_t now_us, now_ms;
	enum alog_format fmt;

	if (!alog_enabled() || r == NULL || r->logged)
		return;
	r->logged = 1;
	now_us = clock_mono_us();
	now_ms = clock_now_ms();
	fmt = (enum alog_format)atomic_load_explicit(&alog_fmt, memory_order_relaxed);
	l = (struct alog_line){
		.client = s->cip, .request = r->req, .host = r->host, .referer = r->referer,
		.user_agent = r->ua, .frontend = s->fe->name,
		.pool = s->pool ? s->pool->name : NULL,
		.server = s->srv_logged ? s->srv_logged->name : NULL,
		.upstream = s->srv_logged ? s->srv_logged->addr_str : NULL,
		.status = status, .bytes = s->bytes_out, .time_ms = now_ms,
		.upstream_time = s->t_sent > 0 ? (double)(now_us - s->t_sent) / 1e6 : -1,
		.request_time = (double)(now_us - s->t_req_us) / 1e6,
	};
	if (b->max == 0)
		buf_init(b, ALOG_BUF_MAX);
	if (alog_format(b, fmt, &l, fmt == ALOG_COMBINED ? clf_time(w, now_ms) : NULL) < 0)
		w->alog_dropped++;
	if (b->len >= ALOG_FLUSH_AT)
		alog_flush(w, 1);
}

void
alog_flush(struct worker *w, int force)
{
	struct buf *b = &w->alog;
	int64_t now = w->now;

	if (b->len == 0 || (!force && now - w->alog_flushed < 1000))
		return;
	w->alog_flushed = now;
	if (alog_syslog) {
		char *line = b->data, *nl;

		while ((nl = memchr(line, '\n', b->len - (size_t)(line - b->data))) != NULL) {
			*nl = '\0';
			syslog(LOG_INFO, "%s", line);
			line = nl + 1;
		}
	} else if (alog_fd >= 0 && write(alog_fd, b->data, b->len) < 0) {
		log_limited(&alog_write_fail, LOG_LVL_WARN, "access log: cannot write to %s: %s; "
		    "lines are lost", alog_path, strerror(errno));
	}
	buf_reset(b);
	if (w->alog_dropped > 0) {
		log_limited(&alog_full, LOG_LVL_WARN, "access log: %d lines dropped (buffer full)",
		    w->alog_dropped);
		w->alog_dropped = 0;
	}
}
