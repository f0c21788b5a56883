/*
 * json.c - see json.h.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"

size_t
json_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int
json_strn(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	if (buf_putc(b, '"') < 0)
		return -1;
	while (i < n) {
		unsigned char c = p[i];
		const char *e;
		char esc[8];
		size_t l;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			run++;
			continue;
		}
		if (run > 0 && buf_append(b, p + i - run, run) < 0)
			return -1;
		run = 0;
		if (c >= 0x80) {
			l = json_utf8_seq(p + i, n - i);
			if (l == 0) {
				if (buf_puts(b, "\\ufffd") < 0)
					return -1;
				i++;
			} else {
				if (buf_append(b, p + i, l) < 0)
					return -1;
				i += l;
			}
			continue;
		}
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			e = esc;
			break;
		}
		if (buf_puts(b, e) < 0)
			return -1;
		i++;
	}
	if (run > 0 && buf_append(b, p + i - run, run) < 0)
		return -1;
	return buf_putc(b, '"');
}

int
json_str(struct buf *b, const char *s)
{
	if (s == NULL)
		return buf_puts(b, "null");
	return json_strn(b, s, strlen(s));
}

int
json_key(struct buf *b, int *first, const char *key)
{
	if (!*first && buf_putc(b, ',') < 0)
		return -1;
	*first = 0;
	if (json_str(b, key) < 0)
		return -1;
	return buf_putc(b, ':');
}

int
json_num(struct buf *b, double v)
{
	if (!isfinite(v))
		return buf_puts(b, "null");
	if (v == floor(v) && fabs(v) < 1e15)
		return buf_printf(b, "%.0f", v);
	return buf_printf(b, "%.9g", v);
}

int
json_int(struct buf *b, int64_t v)
{
	return buf_printf(b, "%" PRId64, v);
}
