/*
 * units.c - see units.h.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/units.h"

struct unit {
	const char *name;
	double factor;
};

static const struct unit duration_units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "sec", 1000 }, { "m", 60000 }, { "min", 60000 },
	{ "h", 3600000 }, { "d", 86400000 }, { "w", 604800000 },
	{ "us", 0.001 },
};

static const struct unit size_units[] = {
	{ "", 1 }, { "b", 1 },
	{ "k", 1024.0 }, { "kb", 1024.0 }, { "kib", 1024.0 },
	{ "m", 1048576.0 }, { "mb", 1048576.0 }, { "mib", 1048576.0 },
	{ "g", 1073741824.0 }, { "gb", 1073741824.0 }, { "gib", 1073741824.0 },
	{ "t", 1099511627776.0 }, { "tb", 1099511627776.0 }, { "tib", 1099511627776.0 },
};

/* Read an unsigned decimal number with an optional fraction; returns chars used. */
static size_t
read_number(const char *s, double *out)
{
	const char *p = s;
	double v = 0, scale = 1;
	int digits = 0;

	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (*p++ - '0');
		digits++;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return 0;	/* "1." is not a number */
		while (isdigit((unsigned char)*p)) {
			scale /= 10;
			v += (*p++ - '0') * scale;
			digits++;
		}
	}
	if (digits == 0)
		return 0;
	*out = v;
	return (size_t)(p - s);
}

static const struct unit *
find_unit(const struct unit *units, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(units[i].name) == len && strncasecmp(units[i].name, name, len) == 0)
			return &units[i];
	return NULL;
}

static int units_parse_duration(const char *s, int need_unit, int64_t *ms, char *err);

int
units_duration(const char *s, int64_t *ms, char *err)
{
	return units_parse_duration(s, 0, ms, err);
}

int
units_duration_unit(const char *s, int64_t *ms, char *err)
{
	return units_parse_duration(s, 1, ms, err);
}

static int
units_parse_duration(const char *s, int need_unit, int64_t *ms, char *err)
{
	const char *p = s;
	double total = 0;
	int parts = 0;

	if (s == NULL || *s == '\0') {
		err_set(err, "empty duration (expected e.g. 500ms, 30s, 5m, 1h, 2d)");
		return -1;
	}
	while (*p != '\0') {
		const struct unit *u;
		double v;
		size_t n = read_number(p, &v), ulen = 0;

		if (n == 0) {
			err_set(err, "invalid duration '%s' (expected e.g. 500ms, 30s, 5m, 1h, 2d)", s);
			return -1;
		}
		p += n;
		while (isalpha((unsigned char)p[ulen]))
			ulen++;
		if (ulen == 0 && need_unit) {
			err_set(err, "'%s' has no unit: write e.g. %ss, %sm, %sh or %sd (a bare number "
			    "is not taken as seconds here)", s, s, s, s, s);
			return -1;
		}
		if (ulen == 0) {
			if (parts > 0 || *p != '\0') {
				err_set(err, "invalid duration '%s': missing unit after %.*s", s, (int)n, p - n);
				return -1;
			}
			u = &duration_units[1];	/* a bare number is seconds */
		} else if ((u = find_unit(duration_units, sizeof(duration_units) / sizeof(duration_units[0]),
		    p, ulen)) == NULL) {
			err_set(err, "invalid duration '%s': unknown unit '%.*s' (use ms, s, m, h, d or w)",
			    s, (int)ulen, p);
			return -1;
		}
		p += ulen;
		total += v * u->factor;
		parts++;
	}
	if (total > 9.2e15) {
		err_set(err, "duration '%s' is too large", s);
		return -1;
	}
	*ms = (int64_t)llround(total);
	return 0;
}

int
units_size(const char *s, uint64_t *bytes, char *err)
{
	const struct unit *u;
	const char *p;
	double v, total;
	size_t n;

	if (s == NULL || *s == '\0') {
		err_set(err, "empty size (expected e.g. 512, 64k, 10MB)");
		return -1;
	}
	n = read_number(s, &v);
	if (n == 0) {
		err_set(err, "invalid size '%s' (expected e.g. 512, 64k, 10MB)", s);
		return -1;
	}
	p = s + n;
	u = find_unit(size_units, sizeof(size_units) / sizeof(size_units[0]), p, strlen(p));
	if (u == NULL) {
		err_set(err, "invalid size '%s': unknown unit '%s' (use k, M, G or T)", s, p);
		return -1;
	}
	total = v * u->factor;
	if (total >= 1.8e19) {
		err_set(err, "size '%s' is too large", s);
		return -1;
	}
	if (total != floor(total)) {
		err_set(err, "invalid size '%s': not a whole number of bytes", s);
		return -1;
	}
	*bytes = (uint64_t)total;
	return 0;
}

void
units_fmt_duration(int64_t ms, char *out, size_t n)
{
	const char *sign = "";
	int64_t d, h, m, s;

	if (ms < 0) {
		sign = "-";
		ms = -ms;
	}
	if (ms < 1000) {
		snprintf(out, n, "%s%" PRId64 "ms", sign, ms);
		return;
	}
	if (ms < 60000) {
		if (ms % 1000 == 0)
			snprintf(out, n, "%s%" PRId64 "s", sign, ms / 1000);
		else
			snprintf(out, n, "%s%.1fs", sign, (double)ms / 1000);
		return;
	}
	s = ms / 1000;
	d = s / 86400;
	h = s % 86400 / 3600;
	m = s % 3600 / 60;
	s %= 60;
	if (d > 0)
		snprintf(out, n, "%s%" PRId64 "d%" PRId64 "h", sign, d, h);
	else if (h > 0)
		snprintf(out, n, "%s%" PRId64 "h%02" PRId64 "m", sign, h, m);
	else
		snprintf(out, n, "%s%" PRId64 "m%02" PRId64 "s", sign, m, s);
}

void
units_fmt_size(uint64_t bytes, char *out, size_t n)
{
	static const char *const names[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	int i = -1;

	if (bytes < 1024) {
		snprintf(out, n, "%" PRIu64 "B", bytes);
		return;
	}
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(out, n, "%.1f%s", v, names[i]);
}
