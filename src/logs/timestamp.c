/*
 * timestamp.c - see timestamp.h.
 *
 * Each form has a small hand-written matcher working on (pointer, length)
 * with no allocation; timestamp_parse() tries them in order of how cheaply
 * they reject a non-match.
 */
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "logs/timestamp.h"

#define D(c) ((unsigned)((c) - '0') <= 9)

struct cur {
	const char *p;
	const char *end;
};

static int
peek(const struct cur *c, size_t i)
{
	return c->p + i < c->end ? (unsigned char)c->p[i] : -1;
}

/* Read exactly k digits. */
static int
num(struct cur *c, int k, int *out)
{
	int v = 0;

	if (c->end - c->p < k)
		return -1;
	for (int i = 0; i < k; i++) {
		if (!D(c->p[i]))
			return -1;
		v = v * 10 + (c->p[i] - '0');
	}
	c->p += k;
	*out = v;
	return 0;
}

/* Read 1 or 2 digits. */
static int
num12(struct cur *c, int *out)
{
	if (c->p >= c->end || !D(c->p[0]))
		return -1;
	if (c->p + 1 < c->end && D(c->p[1]))
		return num(c, 2, out);
	return num(c, 1, out);
}

static int
lit(struct cur *c, char ch)
{
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return 0;
	}
	return -1;
}

/* Optional fraction after '.' or ','; milliseconds out. */
static void
frac(struct cur *c, int *msec)
{
	int scale = 100, v = 0;

	if (c->p + 1 >= c->end || (c->p[0] != '.' && c->p[0] != ',') || !D(c->p[1]))
		return;
	c->p++;
	while (c->p < c->end && D(*c->p)) {
		v += (*c->p - '0') * scale;
		scale /= 10;
		c->p++;
	}
	*msec = v;
}

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

int
timestamp_month(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (s[0] == months[i * 3] && s[1] == months[i * 3 + 1] && s[2] == months[i * 3 + 2])
			return i + 1;
	return 0;
}

static int
month_at(struct cur *c, int *mon)
{
	if (c->end - c->p < 3 || (*mon = timestamp_month(c->p)) == 0)
		return -1;
	c->p += 3;
	return 0;
}

/* Optional zone: Z, +HH:MM, +HHMM, +HH, " UTC", " GMT", " +0100". */
static int32_t
zone(struct cur *c)
{
	struct cur s = *c;
	int sign, h, m = 0;

	if (peek(&s, 0) == ' ' && (peek(&s, 1) == '+' || peek(&s, 1) == '-' || peek(&s, 1) == 'U' ||
	    peek(&s, 1) == 'G'))
		s.p++;
	if (peek(&s, 0) == 'Z' || peek(&s, 0) == 'z') {
		c->p = s.p + 1;
		return 0;
	}
	if (s.end - s.p >= 3 && (memcmp(s.p, "UTC", 3) == 0 || memcmp(s.p, "GMT", 3) == 0)) {
		c->p = s.p + 3;
		return 0;
	}
	if (peek(&s, 0) != '+' && peek(&s, 0) != '-')
		return TIMESTAMP_LOCAL;
	sign = *s.p == '-' ? -1 : 1;
	s.p++;
	if (num(&s, 2, &h) < 0)
		return TIMESTAMP_LOCAL;
	if (peek(&s, 0) == ':')
		s.p++;
	if (num(&s, 2, &m) < 0 && peek(&s, 0) >= '0' && peek(&s, 0) <= '9')
		return TIMESTAMP_LOCAL;
	if (h > 14 || m > 59)
		return TIMESTAMP_LOCAL;
	c->p = s.p;
	return sign * (h * 3600 + m * 60);
}

void
timestamp_ctx_init(struct timestamp_ctx *c, int64_t now_ms)
{
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	c->now_ms = now_ms;
	c->ref_year = tm.tm_year + 1900;
	c->cache_key = -1;
	c->cache_epoch = 0;
	memset(c->clf_key, 0, sizeof(c->clf_key));
	c->clf_minute = 0;
}

static int64_t
local_hour(struct timestamp_ctx *c, int y, int mo, int d, int h)
{
	int64_t key = ((int64_t)y * 10000 + mo * 100 + d) * 100 + h;
	struct tm tm = { 0 };

	if (key == c->cache_key)
		return c->cache_epoch;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_isdst = -1;
	c->cache_epoch = (int64_t)mktime(&tm);
	c->cache_key = key;
	return c->cache_epoch;
}

int64_t
timestamp_civil(struct timestamp_ctx *c, int year, int mon, int day, int h, int mi, int s,
    int msec, int32_t zone_s)
{
	int64_t sec;

	if (mon < 1 || mon > 12 || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60)
		return TIMESTAMP_NONE;
	if (year == 0) {
		year = c->ref_year;
		if (timestamp_civil(c, year, mon, day, h, mi, s, msec, zone_s) >
		    c->now_ms + 2 * 86400000LL)
			year--;
	}
	if (zone_s == TIMESTAMP_LOCAL)
		sec = local_hour(c, year, mon, day, h) + mi * 60 + s;
	else
		sec = clock_civil_to_epoch(year, mon, day, h, mi, s) - zone_s;
	return sec * 1000 + msec;
}

/* "HH:MM[:SS[.fff]]" with a one-digit hour allowed. */
static int
clocktime(struct cur *c, int *h, int *mi, int *s, int *msec)
{
	*s = 0;
	*msec = 0;
	if (num12(c, h) < 0 || lit(c, ':') < 0 || num(c, 2, mi) < 0)
		return -1;
	if (peek(c, 0) == ':' && D(peek(c, 1))) {
		c->p++;
		if (num(c, 2, s) < 0)
			return -1;
		frac(c, msec);
	}
	return 0;
}

/* YYYY-MM-DD or YYYY/MM/DD, then T/space(s)/'-' and a clock time, and a zone. */
static int
iso(struct timestamp_ctx *tc, struct cur *c, int64_t *ms)
{
	int y, mo, d, h, mi, s, msec;
	int32_t z;
	char sep;

	if (num(c, 4, &y) < 0 || (peek(c, 0) != '-' && peek(c, 0) != '/' && peek(c, 0) != '.'))
		return -1;
	sep = *c->p++;
	if (num12(c, &mo) < 0 || lit(c, sep) < 0 || num12(c, &d) < 0)
		return -1;
	if (peek(c, 0) == '-' && D(peek(c, 1))) {
		/* BGL: 2005-06-03-15.42.50.675872 */
		c->p++;
		if (num(c, 2, &h) < 0 || lit(c, '.') < 0 || num(c, 2, &mi) < 0 || lit(c, '.') < 0 ||
		    num(c, 2, &s) < 0)
			return -1;
		msec = 0;
		frac(c, &msec);
	} else {
		if (peek(c, 0) == 'T' || peek(c, 0) == ' ' || peek(c, 0) == ':' || peek(c, 0) == '_')
			c->p++;
		else
			return -1;
		while (peek(c, 0) == ' ')
			c->p++;
		if (clocktime(c, &h, &mi, &s, &msec) < 0)
			return -1;
	}
	z = zone(c);
	*ms = timestamp_civil(tc, y, mo, d, h, mi, s, msec, z);
	return *ms == TIMESTAMP_NONE ? -1 : 0;
}

/* YY/MM/DD HH:MM:SS (Spark) or MM/DD/YY, YYMMDD HHMMSS (HDFS), YYMMDD  H:MM:SS (MySQL 5). */
static int
compact(struct timestamp_ctx *tc, struct cur *c, int64_t *ms)
{
	int a, b, d, h, mi, s = 0, msec = 0, y, mo, dd;

	if (num(c, 2, &a) < 0)
		return -1;
	if (peek(c, 0) == '/' || peek(c, 0) == '-') {
		char sep = *c->p++;

		if (num(c, 2, &b) < 0 || lit(c, sep) < 0 || num(c, 2, &d) < 0)
			return -1;
		if (a > 12) {
			y = 2000 + a; mo = b; dd = d;
		} else {
			mo = a; dd = b; y = 2000 + d;
		}
	} else {
		if (num(c, 2, &b) < 0 || num(c, 2, &d) < 0)
			return -1;
		y = 2000 + a; mo = b; dd = d;
	}
	if (peek(c, 0) != ' ')
		return -1;
	while (peek(c, 0) == ' ')
		c->p++;
	if (peek(c, 1) == ':' || peek(c, 2) == ':') {
		if (clocktime(c, &h, &mi, &s, &msec) < 0)
			return -1;
	} else if (num(c, 2, &h) < 0 || num(c, 2, &mi) < 0 || num(c, 2, &s) < 0) {
		return -1;
	}
	*ms = timestamp_civil(tc, y, mo, dd, h, mi, s, msec, zone(c));
	return *ms == TIMESTAMP_NONE ? -1 : 0;
}

/* MM-DD HH:MM:SS.fff (Android logcat). */
static int
monthday(struct timestamp_ctx *tc, struct cur *c, int64_t *ms)
{
	int mo, d, h, mi, s, msec;

	if (num(c, 2, &mo) < 0 || lit(c, '-') < 0 || num(c, 2, &d) < 0 || lit(c, ' ') < 0 ||
	    clocktime(c, &h, &mi, &s, &msec) < 0)
		return -1;
	*ms = timestamp_civil(tc, 0, mo, d, h, mi, s, msec, zone(c));
	return *ms == TIMESTAMP_NONE ? -1 : 0;
}

/*
 * DD/Mon/YYYY:HH:MM:SS +ZZZZ (access logs). Consecutive lines mostly share
 * the minute and zone, so the last minute is cached: only the seconds are
 * read then.
 */
static int
clf(struct timestamp_ctx *tc, struct cur *c, int64_t *ms)
{
	const char *start = c->p;
	int d, mo, y, h, mi, s, msec = 0;

	if (c->end - c->p >= 26 && c->p[20] == ' ' && (c->p[21] == '+' || c->p[21] == '-') &&
	    c->p[26 - 1] >= '0' && memcmp(c->p, tc->clf_key, 17) == 0 &&
	    memcmp(c->p + 20, tc->clf_key + 17, 6) == 0 && c->p[17] == ':' &&
	    D(c->p[18]) && D(c->p[19]) && (c->end - c->p == 26 || !D(c->p[26]))) {
		*ms = tc->clf_minute + ((c->p[18] - '0') * 10 + (c->p[19] - '0')) * 1000;
		c->p += 26;
		return 0;
	}
	if (num(c, 2, &d) < 0 || lit(c, '/') < 0 || month_at(c, &mo) < 0 || lit(c, '/') < 0 ||
	    num(c, 4, &y) < 0 || lit(c, ':') < 0 || num(c, 2, &h) < 0 || lit(c, ':') < 0 ||
	    num(c, 2, &mi) < 0 || lit(c, ':') < 0 || num(c, 2, &s) < 0)
		return -1;
	frac(c, &msec);
	{
		const char *z = c->p;
		int32_t off = zone(c);

		*ms = timestamp_civil(tc, y, mo, d, h, mi, s, msec, off);
		if (*ms == TIMESTAMP_NONE)
			return -1;
		/* cache "DD/Mon/YYYY:HH:MM" + " +ZZZZ" for the next line */
		if (z - start == 20 && c->p - z == 6 && off != TIMESTAMP_LOCAL) {
			memcpy(tc->clf_key, start, 17);
			memcpy(tc->clf_key + 17, z, 6);
			tc->clf_minute = *ms - s * 1000;
		}
	}
	return 0;
}

/* [Www ]Mon DD HH:MM:SS[.fff][ YYYY] (syslog, ctime). */
static int
monthname(struct timestamp_ctx *tc, struct cur *c, int64_t *ms)
{
	int mo, d, h, mi, s, msec, y = 0;
	struct cur save;

	if (c->end - c->p >= 4 && c->p[3] == ' ' && timestamp_month(c->p) == 0)
		c->p += 4;	/* a weekday */
	if (month_at(c, &mo) < 0 || lit(c, ' ') < 0)
		return -1;
	if (peek(c, 0) == ' ')
		c->p++;
	if (num12(c, &d) < 0 || lit(c, ' ') < 0 || clocktime(c, &h, &mi, &s, &msec) < 0)
		return -1;
	save = *c;
	if (lit(c, ' ') < 0 || num(c, 4, &y) < 0 || (peek(c, 0) >= '0' && peek(c, 0) <= '9') ||
	    peek(c, 0) == ':') {
		*c = save;
		y = 0;
	}
	*ms = timestamp_civil(tc, y, mo, d, h, mi, s, msec, zone(c));
	return *ms == TIMESTAMP_NONE ? -1 : 0;
}

/* 10-digit epoch seconds (optionally .fff) or 13-digit milliseconds. */
static int
epoch(struct cur *c, int64_t *ms)
{
	int64_t v = 0;
	int k = 0, msec = 0;

	while (c->p + k < c->end && D(c->p[k]) && k < 14) {
		v = v * 10 + (c->p[k] - '0');
		k++;
	}
	if (c->p + k < c->end && (D(c->p[k]) || ((c->p[k] | 0x20) >= 'a' && (c->p[k] | 0x20) <= 'z')))
		return -1;
	if (k == 10) {
		c->p += k;
		frac(c, &msec);
		*ms = v * 1000 + msec;
		return 0;
	}
	if (k == 13) {
		c->p += k;
		*ms = v;
		return 0;
	}
	return -1;
}

size_t
timestamp_parse_clf(struct timestamp_ctx *tc, const char *s, size_t n, int64_t *ms)
{
	struct cur c = { s, s + n };
	int bracket = n > 0 && *s == '[';
	int64_t v;

	c.p += bracket;
	if (clf(tc, &c, &v) < 0)
		return timestamp_parse(tc, s, n, ms);
	if (bracket) {
		if (c.p >= c.end || *c.p != ']')
			return 0;
		c.p++;
	}
	*ms = v;
	return (size_t)(c.p - s);
}

size_t
timestamp_parse(struct timestamp_ctx *tc, const char *s, size_t n, int64_t *ms)
{
	struct cur c0 = { s, s + n }, c;
	int bracket = 0;
	int64_t v = TIMESTAMP_NONE;

	if (n > 0 && *s == '[') {
		c0.p++;
		bracket = 1;
	}
	if (c0.p >= c0.end)
		return 0;
	c = c0;
	if (D(*c.p)) {
		if (iso(tc, &c, &v) == 0)
			goto ok;
		c = c0;
		if (clf(tc, &c, &v) == 0)
			goto ok;
		c = c0;
		if (monthday(tc, &c, &v) == 0)
			goto ok;
		c = c0;
		if (compact(tc, &c, &v) == 0)
			goto ok;
		c = c0;
		if (epoch(&c, &v) == 0)
			goto ok;
		return 0;
	}
	if (*c.p >= 'A' && *c.p <= 'Z' && monthname(tc, &c, &v) == 0)
		goto ok;
	return 0;
ok:
	if (bracket) {
		if (c.p < c.end && *c.p == ']')
			c.p++;
		else
			return 0;
	}
	*ms = v;
	return (size_t)(c.p - s);
}
