/*
 * format.c - see format.h.
 *
 * The access log parser is the hot path of the benchmark (a 200 MB file in a
 * fraction of a second), so it walks the line once with memchr and fixed
 * offsets; the others are plain and clear.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "logs/format.h"
#include "logs/jsonl.h"
#include "logs/timing.h"

static const char *const names[FORMAT_COUNT] = {
	[FORMAT_AUTO] = "auto",
	[FORMAT_COMBINED] = "combined",
	[FORMAT_COMMON] = "common",
	[FORMAT_SYSLOG] = "syslog",
	[FORMAT_RFC5424] = "rfc5424",
	[FORMAT_JOURNAL] = "journal",
	[FORMAT_JOURNAL_ISO] = "journal-iso",
	[FORMAT_POSTGRES] = "postgres",
	[FORMAT_MYSQL] = "mysql",
	[FORMAT_MYSQL_SLOW] = "mysql-slow",
	[FORMAT_JSONL] = "jsonl",
	[FORMAT_GENERIC] = "generic",
	[FORMAT_HEADER] = "header",
};

const char *
format_name(enum format_id f)
{
	return f < FORMAT_COUNT ? names[f] : "?";
}

const char *
format_names(void)
{
	return "auto, combined, common, syslog, rfc5424, journal, journal-iso, postgres, mysql, "
	    "mysql-slow, jsonl, generic";
}

int
format_by_name(const char *name, enum format_id *out)
{
	static const struct { const char *alias; enum format_id f; } aliases[] = {
		{ "nginx", FORMAT_COMBINED }, { "apache", FORMAT_COMBINED },
		{ "clf", FORMAT_COMMON }, { "rfc3164", FORMAT_SYSLOG },
		{ "short", FORMAT_JOURNAL }, { "short-iso", FORMAT_JOURNAL_ISO },
		{ "journalctl", FORMAT_JOURNAL }, { "postgresql", FORMAT_POSTGRES },
		{ "mariadb", FORMAT_MYSQL }, { "json", FORMAT_JSONL },
		{ "slow", FORMAT_MYSQL_SLOW }, { "mariadb-slow", FORMAT_MYSQL_SLOW },
	};

	for (int i = 0; i < FORMAT_COUNT; i++)
		if (i != FORMAT_HEADER && strcasecmp(name, names[i]) == 0) {
			*out = (enum format_id)i;
			return 0;
		}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcasecmp(name, aliases[i].alias) == 0) {
			*out = aliases[i].f;
			return 0;
		}
	return -1;
}

void
format_rec_clear(struct format_rec *r, const char *line, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->ts = TIMESTAMP_NONE;
	r->msg = line;
	r->msg_len = len;
	r->req_us = r->up_us = r->bare_int = TIMING_NONE;
}

/* The times after an access log's own fields, from p on. */
static void
access_timing(const char *p, const char *end, struct format_rec *r)
{
	struct timing t;

	if (p >= end)
		return;
	timing_trailer(p, (size_t)(end - p), &t);
	r->req_us = t.req_us;
	r->up_us = t.up_us;
	r->bare_int = t.bare_int;
}

static const char *
skip_spaces(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* ---- access logs ------------------------------------------------------ */

/* The closing quote of a quoted field starting after p (escaped quotes kept). */
static const char *
close_quote(const char *p, const char *end)
{
	while ((p = memchr(p, '"', (size_t)(end - p))) != NULL) {
		if (p[-1] != '\\')
			return p;
		p++;
	}
	return NULL;
}

static int
parse_access(struct timestamp_ctx *tc, const char *line, size_t len, struct format_rec *r,
    int combined)
{
	const char *end = line + len, *p, *q, *sp;
	size_t used;

	p = memchr(line, ' ', len);
	if (p == NULL || p == line)
		return -1;
	r->client = line;
	r->client_len = (size_t)(p - line);
	q = memchr(p, '[', (size_t)(end - p));
	if (q == NULL)
		return -1;
	used = timestamp_parse_clf(tc, q, (size_t)(end - q), &r->ts);
	if (used == 0)
		return -1;
	p = q + used;
	if (end - p < 3 || p[0] != ' ' || p[1] != '"')
		return -1;
	p += 2;
	q = close_quote(p, end);
	if (q == NULL)
		return -1;
	/* request: METHOD SP TARGET SP PROTOCOL; anything else is kept as path */
	sp = memchr(p, ' ', (size_t)(q - p));
	if (sp != NULL) {
		const char *sp2;

		r->method = p;
		r->method_len = (size_t)(sp - p);
		sp++;
		sp2 = memchr(sp, ' ', (size_t)(q - sp));
		r->path = sp;
		r->path_len = (size_t)((sp2 ? sp2 : q) - sp);
	} else {
		r->method = "-";
		r->method_len = 1;
		r->path = p;
		r->path_len = (size_t)(q - p);
	}
	p = q + 1;
	if (end - p < 4 || p[0] != ' ' || (unsigned)(p[1] - '0') > 9 || (unsigned)(p[2] - '0') > 9 ||
	    (unsigned)(p[3] - '0') > 9)
		return -1;
	r->status = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
	p += 4;
	r->bytes = 0;
	if (p < end && *p == ' ') {
		p++;
		while (p < end && (unsigned)(*p - '0') <= 9) {
			if (r->bytes < INT64_MAX / 10 - 10)
				r->bytes = r->bytes * 10 + (*p - '0');
			p++;
		}
		if (p < end && *p == '-')
			p++;
	}
	r->access = 1;
	r->msg = r->path;
	r->msg_len = r->path_len;
	if (!combined) {
		access_timing(p, end, r);
		return 0;
	}
	/* "referer" "user agent" */
	if (end - p < 2 || p[0] != ' ' || p[1] != '"')
		return -1;
	q = close_quote(p + 2, end);
	if (q == NULL)
		return -1;
	p = q + 1;
	if (end - p < 2 || p[0] != ' ' || p[1] != '"')
		return -1;
	q = close_quote(p + 2, end);
	if (q == NULL)
		return -1;
	r->ua = p + 2;
	r->ua_len = (size_t)(q - (p + 2));
	access_timing(q + 1, end, r);
	return 0;
}

/* ---- levels ----------------------------------------------------------- */

static const char *const level_words[] = {
	"TRACE", "DEBUG", "INFO", "NOTICE", "NOTE", "WARN", "WARNING", "ERROR", "ERR", "FATAL",
	"CRITICAL", "CRIT", "ALERT", "EMERG", "SEVERE", "PANIC", "LOG", "SYSTEM", NULL,
};

/* Length of a level word at p (optionally bracketed or followed by ':'), 0 if none. */
static size_t
level_at(const char *p, const char *end, const char **lv, size_t *lvlen)
{
	const char *s = p, *e;
	int br = 0;

	if (s < end && (*s == '[' || *s == '<')) {
		br = 1;
		s++;
	}
	e = s;
	while (e < end && ((*e | 0x20) >= 'a' && (*e | 0x20) <= 'z'))
		e++;
	if (e == s || e - s > 8)
		return 0;
	for (int i = 0; level_words[i]; i++) {
		size_t n = strlen(level_words[i]);

		if ((size_t)(e - s) == n && strncasecmp(s, level_words[i], n) == 0) {
			if (br) {
				if (e >= end || (*e != ']' && *e != '>'))
					return 0;
				e++;
			} else if (e < end && *e == ':') {
				e++;
			}
			if (e < end && *e != ' ' && *e != '\t')
				return 0;
			*lv = br ? s : s;
			*lvlen = (size_t)(br ? (e - 1 - s) : (e - s - (e[-1] == ':')));
			return (size_t)(e - p);
		}
	}
	return 0;
}

int
format_parse_generic(struct timestamp_ctx *tc, const char *line, size_t len,
    struct format_rec *r)
{
	const char *end = line + len, *p = line;
	size_t used;

	format_rec_clear(r, line, len);
	used = timestamp_parse(tc, line, len, &r->ts);
	if (used > 0) {
		p = line + used;
		while (p < end && (*p == ' ' || *p == '\t' || *p == ',' || *p == '|' ||
		    (*p == '-' && p + 1 < end && p[1] == ' ') || *p == ']' || *p == ':'))
			p++;
	}
	if (level_at(p, end, &r->level, &r->level_len) == 0)
		r->level = NULL;
	r->msg = p;
	r->msg_len = (size_t)(end - p);
	return 0;
}

/* ---- syslog, journal -------------------------------------------------- */

static int
parse_syslog(struct timestamp_ctx *tc, const char *line, size_t len, struct format_rec *r)
{
	const char *end = line + len, *p = line, *host, *tag;
	size_t used;

	if (p < end && *p == '<') {
		const char *q = p + 1;

		while (q < end && (unsigned)(*q - '0') <= 9)
			q++;
		if (q == p + 1 || q >= end || *q != '>')
			return -1;
		p = q + 1;
	}
	used = timestamp_parse(tc, p, (size_t)(end - p), &r->ts);
	if (used == 0)
		return -1;
	p += used;
	if (p >= end || *p != ' ')
		return -1;
	host = p + 1;
	p = memchr(host, ' ', (size_t)(end - host));
	if (p == NULL || p == host)
		return -1;
	tag = p + 1;
	/* a tag is word characters up to '[' or ':' */
	for (p = tag; p < end && *p != ':' && *p != '[' && *p != ' '; p++)
		;
	if (p == tag || p >= end || (*p != ':' && *p != '['))
		return -1;
	r->msg = tag;
	r->msg_len = (size_t)(end - tag);
	return 0;
}

static int
parse_rfc5424(struct timestamp_ctx *tc, const char *line, size_t len, struct format_rec *r)
{
	const char *end = line + len, *p = line, *app, *f;
	size_t used;
	int sev = 0;

	if (p >= end || *p != '<')
		return -1;
	for (p++; p < end && (unsigned)(*p - '0') <= 9 && sev < 1000; p++)
		sev = sev * 10 + (*p - '0');
	if (end - p < 3 || p[0] != '>' || p[1] != '1' || p[2] != ' ')
		return -1;
	p += 3;
	if (p < end && *p == '-')
		p++;
	else if ((used = timestamp_parse(tc, p, (size_t)(end - p), &r->ts)) > 0)
		p += used;
	else
		return -1;
	/* HOSTNAME APP-NAME PROCID MSGID */
	p = skip_spaces(p, end);
	p = memchr(p, ' ', (size_t)(end - p));
	if (p == NULL)
		return -1;
	app = p + 1;
	f = app;
	for (int i = 0; i < 3 && f != NULL; i++) {
		f = memchr(f, ' ', (size_t)(end - f));
		if (f != NULL)
			f++;
	}
	if (f == NULL)
		return -1;
	/* STRUCTURED-DATA: "-" or [..][..] */
	if (f < end && *f == '-') {
		f++;
	} else {
		while (f < end && *f == '[') {
			const char *q = f + 1;

			while (q < end && *q != ']') {
				if (*q == '\\' && q + 1 < end)
					q++;
				q++;
			}
			if (q >= end)
				return -1;
			f = q + 1;
		}
	}
	f = skip_spaces(f, end);
	if (f + 3 <= end && (unsigned char)f[0] == 0xef && (unsigned char)f[1] == 0xbb &&
	    (unsigned char)f[2] == 0xbf)
		f += 3;
	(void)sev;
	/* message = "APP: MSG"; keep it contiguous by pointing at APP and noting the rest */
	r->msg = f;
	r->msg_len = (size_t)(end - f);
	{
		const char *ae = memchr(app, ' ', (size_t)(end - app));

		if (ae != NULL && !(ae - app == 1 && *app == '-')) {
			r->level = app;	/* shown as the program in reports */
			r->level_len = (size_t)(ae - app);
		}
	}
	return 0;
}

/* ---- databases --------------------------------------------------------- */

static int
parse_postgres(struct timestamp_ctx *tc, const char *line, size_t len, struct format_rec *r)
{
	const char *end = line + len, *p;
	size_t used = timestamp_parse(tc, line, len, &r->ts);

	if (used == 0)
		return -1;
	p = line + used;
	if (end - p < 4 || p[0] != ' ' || p[1] != '[')
		return -1;
	p += 2;
	while (p < end && ((unsigned)(*p - '0') <= 9 || *p == '-'))
		p++;
	if (p >= end || *p != ']')
		return -1;
	p = skip_spaces(p + 1, end);
	/* optional user@db before the level, as in Debian's '%m [%p] %q%u@%d ' */
	{
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		const char *lv;
		size_t lvlen;

		if (sp != NULL && memchr(p, '@', (size_t)(sp - p)) != NULL &&
		    level_at(sp + 1, end, &lv, &lvlen) == 0 && memchr(p, ':', (size_t)(sp - p)) == NULL)
			;
		else if (sp != NULL && memchr(p, '@', (size_t)(sp - p)) != NULL)
			p = sp + 1;
	}
	{
		const char *q = p;

		while (q < end && ((*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
			q++;
		if (q == p || q >= end || *q != ':')
			return -1;
		r->level = p;
		r->level_len = (size_t)(q - p);
	}
	r->msg = p;
	r->msg_len = (size_t)(end - p);
	return 0;
}

static int
parse_mysql(struct timestamp_ctx *tc, const char *line, size_t len, struct format_rec *r)
{
	const char *end = line + len, *p;
	size_t used = timestamp_parse(tc, line, len, &r->ts);

	if (used == 0)
		return -1;
	p = skip_spaces(line + used, end);
	/* thread id (MySQL 5.7+/MariaDB 10+), then [Level] */
	while (p < end && (unsigned)(*p - '0') <= 9)
		p++;
	p = skip_spaces(p, end);
	if (p >= end || *p != '[')
		return -1;
	{
		const char *q = memchr(p, ']', (size_t)(end - p));

		if (q == NULL || q - p > 12)
			return -1;
		r->level = p + 1;
		r->level_len = (size_t)(q - p - 1);
	}
	r->msg = p;
	r->msg_len = (size_t)(end - p);
	return 0;
}

static int
starts(const char *p, size_t len, const char *s)
{
	size_t n = strlen(s);

	return len >= n && memcmp(p, s, n) == 0;
}

static int
parse_mysql_slow(struct timestamp_ctx *tc, const char *line, size_t len, struct format_rec *r)
{
	if (starts(line, len, "# Time: ")) {
		size_t used = timestamp_parse(tc, line + 8, len - 8, &r->ts);

		r->msg = NULL;
		return used > 0 ? 0 : -1;
	}
	if (starts(line, len, "SET timestamp=")) {
		int64_t v = 0;

		for (size_t i = 14; i < len && (unsigned)(line[i] - '0') <= 9 && v < INT64_MAX / 10000; i++)
			v = v * 10 + (line[i] - '0');
		r->ts = v * 1000;
		r->msg = NULL;
		return 0;
	}
	if (starts(line, len, "# User@Host: ") || starts(line, len, "# Query_time: ") ||
	    starts(line, len, "Tcp port: ") || starts(line, len, "Time ") || starts(line, len, "# ") ||
	    (len > 0 && line[0] == '/'))
		return 0;
	/* a statement line */
	return 0;
}

/* ---- JSON Lines -------------------------------------------------------- */

/* A number in a JSON value, bare or quoted ("200"); -1 when it is none. */
static int64_t
json_int_value(const struct jsonl_value *v)
{
	int64_t n = 0;
	size_t i = 0;

	if (v->p == NULL || v->len == 0)
		return -1;
	for (; i < v->len && (unsigned)(v->p[i] - '0') <= 9 && n < INT64_MAX / 10 - 10; i++)
		n = n * 10 + (v->p[i] - '0');
	return i > 0 && (i == v->len || v->p[i] == '.') ? n : -1;
}

/*
 * A JSON record without a message that holds a request (brace lb's,
 * nginx's escape=json, Traefik's access logs) is an access log line: its
 * method and path are what is mined, as for the combined format.
 */
static void
jsonl_access(const struct jsonl_fields *f, struct format_rec *r)
{
	int64_t status = json_int_value(&f->status), bytes = json_int_value(&f->bytes);

	if (f->request.p != NULL) {
		const char *p = f->request.p, *end = p + f->request.len;
		const char *sp = memchr(p, ' ', f->request.len), *sp2;

		if (sp == NULL || sp == p)
			return;
		sp2 = memchr(sp + 1, ' ', (size_t)(end - sp - 1));
		r->method = p;
		r->method_len = (size_t)(sp - p);
		r->path = sp + 1;
		r->path_len = (size_t)((sp2 ? sp2 : end) - (sp + 1));
	} else if (f->method.p != NULL && f->path.p != NULL && f->method.len > 0) {
		r->method = f->method.p;
		r->method_len = f->method.len;
		r->path = f->path.p;
		r->path_len = f->path.len;
	} else {
		return;
	}
	if (r->path_len == 0)
		return;
	r->access = 1;
	r->client = f->client.p != NULL ? f->client.p : "-";
	r->client_len = f->client.p != NULL ? f->client.len : 1;
	r->status = status >= 0 && status < 1000 ? (int)status : 0;
	r->bytes = bytes >= 0 ? bytes : 0;
	if (f->ua.p != NULL) {
		r->ua = f->ua.p;
		r->ua_len = f->ua.len;
	}
	r->msg = r->path;
	r->msg_len = r->path_len;
}

static int
parse_jsonl(struct timestamp_ctx *tc, const char *line, size_t len, struct format_rec *r,
    struct buf *scratch)
{
	struct jsonl_fields f;

	if (jsonl_parse(line, len, &f, scratch) < 0)
		return -1;
	if (f.time.p != NULL) {
		if (f.time.is_string) {
			if (timestamp_parse(tc, f.time.p, f.time.len, &r->ts) == 0)
				r->ts = TIMESTAMP_NONE;
		} else {
			char num[32];
			double v;

			/* the value is not NUL-terminated: copy it before strtod */
			snprintf(num, sizeof(num), "%.*s", (int)(f.time.len < 31 ? f.time.len : 31),
			    f.time.p);
			v = strtod(num, NULL);
			/* seconds, milliseconds or microseconds since the epoch */
			if (!(v >= 0 && v < 1e17))
				r->ts = TIMESTAMP_NONE;
			else
				r->ts = v > 1e14 ? (int64_t)(v / 1000) : v > 1e11 ? (int64_t)v :
				    (int64_t)(v * 1000);
		}
	}
	if (f.level.p != NULL) {
		r->level = f.level.p;
		r->level_len = f.level.len;
	}
	if (f.msg.p != NULL) {
		r->msg = f.msg.p;
		r->msg_len = f.msg.len;
	}
	if (f.msg.p == NULL)
		jsonl_access(&f, r);
	if (f.req.p != NULL)
		r->req_us = timing_value(f.req.p, f.req.len, f.req_unit);
	if (f.up.p != NULL)
		r->up_us = timing_value(f.up.p, f.up.len, f.up_unit);
	return 0;
}

int
format_parse(enum format_id f, struct timestamp_ctx *tc, const char *line, size_t len,
    struct format_rec *r, struct buf *scratch)
{
	int rc;

	format_rec_clear(r, line, len);
	switch (f) {
	case FORMAT_COMBINED: rc = parse_access(tc, line, len, r, 1); break;
	case FORMAT_COMMON: rc = parse_access(tc, line, len, r, 0); break;
	case FORMAT_SYSLOG:
	case FORMAT_JOURNAL:
	case FORMAT_JOURNAL_ISO: rc = parse_syslog(tc, line, len, r); break;
	case FORMAT_RFC5424: rc = parse_rfc5424(tc, line, len, r); break;
	case FORMAT_POSTGRES: rc = parse_postgres(tc, line, len, r); break;
	case FORMAT_MYSQL: rc = parse_mysql(tc, line, len, r); break;
	case FORMAT_MYSQL_SLOW: rc = parse_mysql_slow(tc, line, len, r); break;
	case FORMAT_JSONL: rc = parse_jsonl(tc, line, len, r, scratch); break;
	default: return format_parse_generic(tc, line, len, r);
	}
	if (rc < 0) {
		format_parse_generic(tc, line, len, r);
		return -1;
	}
	return 0;
}

/* ---- detection --------------------------------------------------------- */

int
format_int_secs(enum format_id f, struct timestamp_ctx *tc, const char *const *lines,
    const size_t *lens, size_t n)
{
	int64_t v[128];
	size_t k = 0;
	struct buf scratch = BUF_INIT(1 << 20);
	struct format_rec r;

	if (f != FORMAT_COMBINED && f != FORMAT_COMMON)
		return 0;
	for (size_t i = 0; i < n && k < sizeof(v) / sizeof(v[0]); i++)
		if (format_parse(f, tc, lines[i], lens[i], &r, &scratch) == 0)
			v[k++] = r.bare_int;
	buf_release(&scratch);
	return timing_int_secs(v, k);
}

static int
journal_marker(const char *l, size_t n)
{
	return starts(l, n, "-- Logs begin at ") || starts(l, n, "-- Journal begins at ") ||
	    starts(l, n, "-- Boot ") || starts(l, n, "-- No entries --");
}

static int
slow_marker(const char *l, size_t n)
{
	return starts(l, n, "# Time: ") || starts(l, n, "# User@Host: ") ||
	    starts(l, n, "# Query_time: ") || starts(l, n, "SET timestamp=");
}

enum format_id
format_detect(struct timestamp_ctx *tc, const char *const *lines, const size_t *lens, size_t n)
{
	static const enum format_id order[] = {
		FORMAT_COMBINED, FORMAT_COMMON, FORMAT_RFC5424, FORMAT_POSTGRES, FORMAT_MYSQL,
		FORMAT_SYSLOG, FORMAT_JSONL,
	};
	size_t score[FORMAT_COUNT] = { 0 }, nonempty = 0, journal = 0, slow = 0, iso = 0;
	struct buf scratch = BUF_INIT(1 << 20);
	struct format_rec r;
	enum format_id best = FORMAT_GENERIC;
	size_t best_score = 0;

	for (size_t i = 0; i < n; i++) {
		if (lens[i] == 0)
			continue;
		nonempty++;
		if (journal_marker(lines[i], lens[i])) {
			journal++;
			continue;
		}
		if (slow_marker(lines[i], lens[i]))
			slow++;
		for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
			format_rec_clear(&r, lines[i], lens[i]);
			if (format_parse(order[k], tc, lines[i], lens[i], &r, &scratch) == 0 &&
			    (order[k] != FORMAT_JSONL || r.msg != lines[i] || r.ts != TIMESTAMP_NONE))
				score[order[k]]++;
		}
		if (lens[i] > 4 && (unsigned)(lines[i][0] - '0') <= 9 && lines[i][4] == '-')
			iso++;
	}
	buf_release(&scratch);
	if (nonempty == 0)
		return FORMAT_GENERIC;
	if (slow * 5 >= nonempty && slow >= 2)
		return FORMAT_MYSQL_SLOW;
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		if (score[order[k]] > best_score) {
			best_score = score[order[k]];
			best = order[k];
		}
	if (best_score * 10 < (nonempty - journal) * 6)
		return FORMAT_GENERIC;
	if (best == FORMAT_SYSLOG && journal > 0)
		return iso * 2 >= nonempty ? FORMAT_JOURNAL_ISO : FORMAT_JOURNAL;
	return best;
}
