/*
 * db_threshold.c - connection-count thresholds: "N", "N%" and the Monitoring
 * Plugins range syntax, each end a count or a percent of usable.
 *
 * A percent end is turned into a count only when it is compared (usable can
 * change between samples), so "80%" of 17 usable slots alerts above 13.6,
 * that is from 14 connections on, and perfdata shows 13.6.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/err.h"

/* A non-negative number with an optional fraction and '%': s[0..n). */
static int
parse_end(const char *s, size_t n, double *v, int *pct)
{
	char tmp[32], *end;
	size_t digits = 0, dots = 0;

	*pct = n > 0 && s[n - 1] == '%';
	if (*pct)
		n--;
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '.')
			dots++;
		else
			return -1;
	}
	if (digits == 0 || dots > 1)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*v = strtod(tmp, &end);
	return *end == '\0' && isfinite(*v) ? 0 : -1;
}

int
db_threshold_parse(const char *s, int allow_range, struct db_threshold *t, char *err)
{
	struct db_threshold r = { .set = 1, .has_lo = 1 };
	const char *p = s, *colon;

	if (strlen(s) >= sizeof(r.text)) {
		err_set(err, "threshold '%.20s...' is too long", s);
		return -1;
	}
	snprintf(r.text, sizeof(r.text), "%s", s);
	if (!allow_range) {
		if (parse_end(s, strlen(s), &r.hi, &r.hi_pct) < 0) {
			err_set(err, "invalid threshold '%s' (expected a count like 15 or a "
			    "percent of usable connections like 80%%)", s);
			return -1;
		}
		r.has_hi = 1;
		*t = r;
		return 0;
	}
	if (*p == '@') {
		r.inside = 1;
		p++;
	}
	colon = strchr(p, ':');
	if (colon == NULL) {
		r.has_hi = 1;
		if (parse_end(p, strlen(p), &r.hi, &r.hi_pct) < 0)
			goto bad;
	} else {
		size_t lo_len = (size_t)(colon - p);

		if (lo_len == 1 && p[0] == '~')
			r.has_lo = 0;
		else if (lo_len > 0 && parse_end(p, lo_len, &r.lo, &r.lo_pct) < 0)
			goto bad;
		if (colon[1] != '\0') {
			r.has_hi = 1;
			if (parse_end(colon + 1, strlen(colon + 1), &r.hi, &r.hi_pct) < 0)
				goto bad;
		}
		if (!r.has_hi && !r.has_lo)
			goto bad;
	}
	if (r.has_lo && r.has_hi && r.lo_pct == r.hi_pct && r.lo > r.hi) {
		err_set(err, "invalid threshold range '%s': the start is above the end", s);
		return -1;
	}
	*t = r;
	return 0;
bad:
	err_set(err, "invalid threshold '%s' (expected N, N%%, or a range such as 10:, "
	    "~:10, 10:20 or @10:20, each end a count or a percent)", s);
	return -1;
}

static double
resolve(double v, int pct, int64_t usable)
{
	return pct ? v * (double)usable / 100.0 : v;
}

int
db_threshold_alert(const struct db_threshold *t, int64_t used, int64_t usable)
{
	double u = (double)used;
	int below, above;

	if (t == NULL || !t->set)
		return 0;
	below = t->has_lo && u < resolve(t->lo, t->lo_pct, usable);
	above = t->has_hi && u > resolve(t->hi, t->hi_pct, usable);
	return t->inside ? !(below || above) : (below || above);
}

int64_t
db_threshold_limit(const struct db_threshold *t, int64_t usable)
{
	if (t == NULL || !t->set || t->inside || !t->has_hi || !t->has_lo || t->lo != 0)
		return -1;
	return (int64_t)floor(resolve(t->hi, t->hi_pct, usable) + 1e-9);
}

/* A count for perfdata: "14", "13.6", "13.33". */
static void
fmt_num(double v, char *out, size_t n)
{
	size_t len;

	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(out, n, "%lld", (long long)v);
		return;
	}
	snprintf(out, n, "%.2f", v);
	len = strlen(out);
	while (len > 0 && out[len - 1] == '0')
		out[--len] = '\0';
}

void
db_threshold_format(const struct db_threshold *t, int64_t usable, char *out, size_t n)
{
	char lo[32] = "", hi[32] = "";

	if (t == NULL || !t->set) {
		snprintf(out, n, "%s", "");
		return;
	}
	if (t->has_lo)
		fmt_num(resolve(t->lo, t->lo_pct, usable), lo, sizeof(lo));
	if (t->has_hi)
		fmt_num(resolve(t->hi, t->hi_pct, usable), hi, sizeof(hi));
	if (!t->has_lo)
		snprintf(out, n, "%s~:%s", t->inside ? "@" : "", hi);
	else if (!t->has_hi)
		snprintf(out, n, "%s%s:", t->inside ? "@" : "", lo);
	else if (t->lo == 0 && !t->inside)
		snprintf(out, n, "%s", hi);
	else
		snprintf(out, n, "%s%s:%s", t->inside ? "@" : "", lo, hi);
}
