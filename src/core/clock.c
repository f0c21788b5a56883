/*
 * clock.c - see clock.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/units.h"

int64_t
clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
split_ms(int64_t ms, time_t *sec, int *frac)
{
	int64_t s = ms / 1000, f = ms % 1000;

	if (f < 0) {
		f += 1000;
		s -= 1;
	}
	*sec = (time_t)s;
	*frac = (int)f;
}

void
clock_fmt_utc(int64_t ms, char *out, size_t n)
{
	struct tm tm;
	time_t sec;
	int frac;

	split_ms(ms, &sec, &frac);
	gmtime_r(&sec, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

void
clock_fmt_utc_s(int64_t ms, char *out, size_t n)
{
	struct tm tm;
	time_t sec;
	int frac;

	split_ms(ms, &sec, &frac);
	gmtime_r(&sec, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void
clock_fmt_local(int64_t ms, char *out, size_t n)
{
	struct tm tm;
	time_t sec;
	int frac;

	split_ms(ms, &sec, &frac);
	localtime_r(&sec, &tm);
	if (strftime(out, n, "%Y-%m-%d %H:%M:%S %z", &tm) == 0 && n > 0)
		out[0] = '\0';
}

int64_t
clock_civil_to_epoch(int year, int mon, int day, int h, int m, int s)
{
	/* Days from civil, after H. Hinnant's public-domain algorithm. */
	int64_t y = year - (mon <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;

	return days * 86400 + h * 3600 + m * 60 + s;
}

static int
read_int(const char **pp, int digits, int *out)
{
	const char *p = *pp;
	int v = 0;

	for (int i = 0; i < digits; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + digits;
	*out = v;
	return 0;
}

/* Parse "YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|±HH[:]MM]". */
static int
parse_absolute(const char *s, int64_t *out_ms)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, se = 0, ms = 0, have_zone = 0, off = 0;
	int64_t epoch;

	if (read_int(&p, 4, &y) < 0 || *p++ != '-' || read_int(&p, 2, &mo) < 0 ||
	    *p++ != '-' || read_int(&p, 2, &d) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (read_int(&p, 2, &h) < 0 || *p++ != ':' || read_int(&p, 2, &mi) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if (read_int(&p, 2, &se) < 0)
				return -1;
			if (*p == '.' || *p == ',') {
				int scale = 100;

				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				while (isdigit((unsigned char)*p)) {
					ms += (*p - '0') * scale;
					scale /= 10;
					p++;
				}
			}
		}
		if (h > 23 || mi > 59 || se > 60)
			return -1;
	}
	if (*p == ' ')
		p++;
	if (*p == 'Z' || *p == 'z') {
		have_zone = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om = 0;

		p++;
		if (read_int(&p, 2, &oh) < 0)
			return -1;
		if (*p == ':')
			p++;
		if (isdigit((unsigned char)*p) && read_int(&p, 2, &om) < 0)
			return -1;
		off = sign * (oh * 3600 + om * 60);
		have_zone = 1;
	}
	if (*p != '\0')
		return -1;
	if (have_zone) {
		epoch = clock_civil_to_epoch(y, mo, d, h, mi, se) - off;
	} else {
		struct tm tm = { 0 };

		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = se;
		tm.tm_isdst = -1;
		epoch = (int64_t)mktime(&tm);
	}
	*out_ms = epoch * 1000 + ms;
	return 0;
}

int
clock_parse(const char *s, int64_t now_ms, int64_t *out_ms, char *err)
{
	char derr[ERR_LEN];
	int64_t d;

	if (s == NULL || *s == '\0') {
		err_set(err, "empty time");
		return -1;
	}
	if (strcmp(s, "now") == 0) {
		*out_ms = now_ms;
		return 0;
	}
	if (s[0] == '@') {
		char *end;
		double v = strtod(s + 1, &end);

		if (end == s + 1 || *end != '\0') {
			err_set(err, "invalid time '%s': expected @SECONDS since the epoch", s);
			return -1;
		}
		*out_ms = (int64_t)(v * 1000);
		return 0;
	}
	if (parse_absolute(s, out_ms) == 0)
		return 0;
	/* A relative time needs its unit: "2026" alone is not 2026 seconds ago. */
	if (isalpha((unsigned char)s[strlen(s) - 1]) &&
	    units_duration(s[0] == '-' ? s + 1 : s, &d, derr) == 0) {
		*out_ms = now_ms - d;
		return 0;
	}
	err_set(err, "invalid time '%s' (expected e.g. 2026-11-27T07:20:00Z, "
	    "\"2026-11-27 08:20\", now, @1764228000, or 30m meaning 30 minutes ago)", s);
	return -1;
}
