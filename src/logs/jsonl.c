/*
 * jsonl.c - see jsonl.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "logs/jsonl.h"
#include "logs/timing.h"

struct scan {
	const char *p, *end;
};

static void
ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r'))
		s->p++;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
put_utf8(struct buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp; n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3f)); n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f)); n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); u[3] = (char)(0x80 | (cp & 0x3f)); n = 4;
	}
	return buf_append(b, u, n);
}

/* Read the four hex digits after a backslash-u; -1 on bad hex. */
static int
u4(struct scan *s, unsigned *cp)
{
	unsigned v = 0;

	if (s->end - s->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = hexval((unsigned char)s->p[i]);

		if (h < 0)
			return -1;
		v = v << 4 | (unsigned)h;
	}
	s->p += 4;
	*cp = v;
	return 0;
}

/*
 * A string at s->p (on the opening quote). When out is not NULL the decoded
 * text is stored: raw pointer if no escapes, else appended to scratch.
 */
static int
string(struct scan *s, struct jsonl_value *out, struct buf *scratch)
{
	const char *start = ++s->p;
	size_t off = 0;
	int esc = 0;

	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\') {
			esc = 1;
			s->p++;
		}
		s->p++;
	}
	if (s->p >= s->end)
		return -1;
	s->p++;
	if (out == NULL)
		return 0;
	out->is_string = 1;
	if (!esc) {
		out->p = start;
		out->len = (size_t)(s->p - 1 - start);
		return 0;
	}
	/* Decode into scratch; record the offset, fix the pointer at the end. */
	off = scratch->len;
	for (struct scan t = { start, s->p - 1 }; t.p < t.end;) {
		char c = *t.p++;
		unsigned cp, lo;

		if (c != '\\') {
			if (buf_putc(scratch, c) < 0)
				return -1;
			continue;
		}
		if (t.p >= t.end)
			break;
		c = *t.p++;
		switch (c) {
		case 'n': c = '\n'; break;
		case 't': c = '\t'; break;
		case 'r': c = '\r'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'u':
			if (u4(&t, &cp) < 0)
				return -1;
			if (cp >= 0xd800 && cp < 0xdc00 && t.end - t.p >= 6 && t.p[0] == '\\' &&
			    t.p[1] == 'u') {
				t.p += 2;
				if (u4(&t, &lo) < 0)
					return -1;
				if (lo >= 0xdc00 && lo < 0xe000)
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				else
					cp = 0xfffd;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd;
			}
			if (put_utf8(scratch, cp) < 0)
				return -1;
			continue;
		default: break;
		}
		if (buf_putc(scratch, c) < 0)
			return -1;
	}
	out->p = (const char *)(uintptr_t)(off + 1);	/* an offset + 1, fixed up later */
	out->len = scratch->len - off;
	out->is_string = 2;
	return 0;
}

/* Skip any value; nested containers by depth counting outside strings. */
static int
skip_value(struct scan *s)
{
	int depth = 0;

	do {
		if (s->p >= s->end)
			return -1;
		if (*s->p == '"') {
			if (string(s, NULL, NULL) < 0)
				return -1;
			continue;
		}
		if (*s->p == '{' || *s->p == '[')
			depth++;
		else if (*s->p == '}' || *s->p == ']')
			depth--;
		else if (depth == 0 && (*s->p == ',' ))
			return 0;
		s->p++;
		if (depth < 0)
			return -1;
	} while (depth > 0 || (s->p < s->end && *s->p != ',' && *s->p != '}'));
	return 0;
}

static int
key_is(const struct jsonl_value *k, const char *name)
{
	size_t n = strlen(name);

	return k->len == n && memcmp(k->p, name, n) == 0;
}

/* The first of the names that k is, or -1. */
static int
key_in(const struct jsonl_value *k, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (key_is(k, names[i]))
			return i;
	return -1;
}

static struct jsonl_value *
slot(struct jsonl_fields *f, const struct jsonl_value *k)
{
	static const char *const tkeys[] = { "time", "timestamp", "ts", "@timestamp", "t",
	    "datetime", "date", NULL };
	static const char *const lkeys[] = { "level", "severity", "lvl", "log.level", "loglevel",
	    "PRIORITY", NULL };
	static const char *const mkeys[] = { "msg", "message", "MESSAGE", "log", "text", NULL };
	/* access logs: brace lb, nginx (escape=json, its variables' names), Traefik */
	static const struct {
		size_t off;
		const char *names[9];
	} access[] = {
		{ offsetof(struct jsonl_fields, request), { "request", NULL } },
		{ offsetof(struct jsonl_fields, method), { "method", "request_method", "http_method",
		    "RequestMethod", NULL } },
		{ offsetof(struct jsonl_fields, path), { "path", "uri", "request_uri", "url",
		    "request_path", "RequestPath", NULL } },
		{ offsetof(struct jsonl_fields, client), { "client", "remote_addr", "client_ip",
		    "remote_ip", "ip", "clientip", "ClientHost", "remote_host", NULL } },
		{ offsetof(struct jsonl_fields, status), { "status", "status_code", "statusCode",
		    "response_status", "DownstreamStatus", NULL } },
		{ offsetof(struct jsonl_fields, bytes), { "bytes", "body_bytes_sent", "bytes_sent",
		    "response_size", "size", "DownstreamContentSize", NULL } },
		{ offsetof(struct jsonl_fields, ua), { "user_agent", "http_user_agent", "userAgent",
		    "ua", "request_User-Agent", NULL } },
	};
	double unit;

	if (key_in(k, tkeys) >= 0)
		return f->time.p ? NULL : &f->time;
	if (key_in(k, lkeys) >= 0)
		return f->level.p ? NULL : &f->level;
	if (key_in(k, mkeys) >= 0)
		return f->msg.p ? NULL : &f->msg;
	for (size_t i = 0; i < sizeof(access) / sizeof(access[0]); i++)
		if (key_in(k, access[i].names) >= 0) {
			struct jsonl_value *v = (struct jsonl_value *)(void *)((char *)f + access[i].off);

			return v->p ? NULL : v;
		}
	switch (timing_key(k->p, k->len, &unit)) {
	case TIMING_REQUEST:
		if (f->req.p != NULL)
			return NULL;
		f->req_unit = unit;
		return &f->req;
	case TIMING_UPSTREAM:
		if (f->up.p != NULL)
			return NULL;
		f->up_unit = unit;
		return &f->up;
	default:
		return NULL;
	}
}

static void
fixup(struct jsonl_value *v, struct buf *scratch)
{
	if (v->p != NULL && v->is_string == 2) {
		v->p = scratch->data + (uintptr_t)v->p - 1;
		v->is_string = 1;
	}
}

int
jsonl_parse(const char *line, size_t len, struct jsonl_fields *f, struct buf *scratch)
{
	struct scan s = { line, line + len };

	memset(f, 0, sizeof(*f));
	buf_reset(scratch);
	ws(&s);
	if (s.p >= s.end || *s.p != '{')
		return -1;
	s.p++;
	for (;;) {
		struct jsonl_value key = { 0 }, *dst;

		ws(&s);
		if (s.p < s.end && *s.p == '}')
			break;
		if (s.p >= s.end || *s.p != '"' || string(&s, &key, scratch) < 0)
			return -1;
		if (key.is_string == 2)
			key.p = scratch->data + (uintptr_t)key.p - 1;
		ws(&s);
		if (s.p >= s.end || *s.p != ':')
			return -1;
		s.p++;
		ws(&s);
		if (s.p >= s.end)
			return -1;
		dst = slot(f, &key);
		if (dst != NULL && *s.p == '"') {
			if (string(&s, dst, scratch) < 0)
				return -1;
		} else if (dst != NULL && *s.p != '{' && *s.p != '[') {
			const char *v = s.p;

			if (skip_value(&s) < 0)
				return -1;
			dst->p = v;
			dst->len = (size_t)(s.p - v);
			while (dst->len > 0 && (v[dst->len - 1] == ' ' || v[dst->len - 1] == '\t'))
				dst->len--;
			dst->is_string = 0;
		} else if (skip_value(&s) < 0) {
			return -1;
		}
		ws(&s);
		if (s.p < s.end && *s.p == ',') {
			s.p++;
			continue;
		}
		if (s.p < s.end && *s.p == '}')
			break;
		return -1;
	}
	fixup(&f->time, scratch);
	fixup(&f->level, scratch);
	fixup(&f->msg, scratch);
	fixup(&f->req, scratch);
	fixup(&f->up, scratch);
	fixup(&f->request, scratch);
	fixup(&f->method, scratch);
	fixup(&f->path, scratch);
	fixup(&f->client, scratch);
	fixup(&f->status, scratch);
	fixup(&f->bytes, scratch);
	fixup(&f->ua, scratch);
	return 0;
}
