/*
 * timing.c - see timing.h.
 */
#include <string.h>

#include "logs/timing.h"

#define MAX_DECIMALS 8

static int
digit(char c)
{
	return (unsigned)(c - '0') <= 9;
}

/*
 * A plain number at s[0, n): digits, optionally a point and more digits.
 * Returns the bytes read (0: none); *v the value, *dec 1 with a point.
 */
static size_t
number(const char *s, size_t n, double *v, int *dec)
{
	size_t i = 0;
	double x = 0, scale = 1;

	*dec = 0;
	while (i < n && digit(s[i]) && i < 18)
		x = x * 10 + (s[i++] - '0');
	if (i == 0)
		return 0;
	if (i < n && s[i] == '.' && i + 1 < n && digit(s[i + 1])) {
		*dec = 1;
		for (i++; i < n && digit(s[i]); i++)
			if (scale > 1e-9) {
				scale /= 10;
				x += (s[i] - '0') * scale;
			}
	}
	*v = x;
	return i;
}

/* A unit word at s[0, n) in microseconds, 0 when it is none. */
static double
unit_of(const char *s, size_t n)
{
	static const struct { const char *w; double us; } units[] = {
		{ "ns", 0.001 }, { "us", 1 }, { "\xc2\xb5s", 1 }, { "\xce\xbcs", 1 }, { "ms", 1e3 },
		{ "s", 1e6 }, { "sec", 1e6 }, { "secs", 1e6 }, { "m", 60e6 }, { "min", 60e6 },
		{ "h", 3600e6 },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].w) == n && memcmp(units[i].w, s, n) == 0)
			return units[i].us;
	return 0;
}

static int64_t
clamp(double us)
{
	if (!(us >= 0) || us > (double)TIMING_MAX_US)
		return TIMING_NONE;
	return (int64_t)(us + 0.5);
}

int64_t
timing_value(const char *s, size_t n, double unit_us)
{
	double total = 0;
	size_t i = 0;
	int parts = 0;

	while (n > 0 && (s[0] == '"' || s[0] == ' ')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == '"' || s[n - 1] == ' '))
		n--;
	/* one number, or (number unit)+ as Go's time.Duration writes it */
	while (i < n) {
		double v, u;
		int dec;
		size_t k = number(s + i, n - i, &v, &dec), w;

		if (k == 0)
			return TIMING_NONE;
		i += k;
		if (i < n && s[i] == ' ')
			i++;
		for (w = 0; i + w < n && !digit(s[i + w]) && s[i + w] != ' '; w++)
			;
		if (w == 0) {
			if (parts > 0 || i < n)
				return TIMING_NONE;
			return clamp(v * unit_us);
		}
		if ((u = unit_of(s + i, w)) == 0)
			return TIMING_NONE;
		total += v * u;
		parts++;
		i += w;
	}
	return parts > 0 ? clamp(total) : TIMING_NONE;
}

/* Does key k[0, n) end with suffix? Then *base_n is the length before it. */
static int
ends(const char *k, size_t n, const char *suffix, size_t *base_n)
{
	size_t l = strlen(suffix);

	if (n <= l || memcmp(k + n - l, suffix, l) != 0)
		return 0;
	*base_n = n - l;
	return 1;
}

/* k[0, n) lower-cased without '_' and '-' (requestTime = request_time), in out. */
static void
flatten(const char *k, size_t n, char *out)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (k[i] != '_' && k[i] != '-')
			out[m++] = (k[i] >= 'A' && k[i] <= 'Z') ? (char)(k[i] | 0x20) : k[i];
	out[m] = '\0';
}

enum timing_kind
timing_key(const char *k, size_t n, double *unit_us)
{
	static const struct { const char *suffix; double us; } suffixes[] = {
		{ "_ms", 1e3 }, { "_msec", 1e3 }, { "_millis", 1e3 }, { "Ms", 1e3 }, { "Millis", 1e3 },
		{ "_us", 1 }, { "_usec", 1 }, { "_micros", 1 }, { "Us", 1 }, { "Micros", 1 },
		{ "_ns", 0.001 }, { "_nanos", 0.001 }, { "Ns", 0.001 }, { "Nanos", 0.001 },
		{ "_s", 1e6 }, { "_sec", 1e6 }, { "_secs", 1e6 }, { "_seconds", 1e6 },
		{ "Sec", 1e6 }, { "Seconds", 1e6 },
	};
	/* flattened: request_time, requestTime and request-time are one key */
	static const char *const request[] = {
		"requesttime", "responsetime", "duration", "elapsed", "latency", "took", "timetaken",
		"requestduration", "reqtime", "rt", "elapsedtime", "processingtime", "requestlatency",
		NULL,
	};
	static const char *const upstream[] = {
		"upstreamresponsetime", "upstreamtime", "upstreamduration", "upstreamlatency",
		"backendtime", "backendduration", "backendresponsetime", "urt", "ut", NULL,
	};
	char flat[40];
	size_t base = n;

	*unit_us = 1e6;
	if (n == 8 && memcmp(k, "Duration", 8) == 0) {
		*unit_us = 0.001;	/* Traefik writes nanoseconds */
		return TIMING_REQUEST;
	}
	if (n == 14 && memcmp(k, "OriginDuration", 14) == 0) {
		*unit_us = 0.001;
		return TIMING_UPSTREAM;
	}
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (ends(k, n, suffixes[i].suffix, &base)) {
			*unit_us = suffixes[i].us;
			break;
		}
	if (base == 0 || base >= sizeof(flat))
		return TIMING_OTHER;
	flatten(k, base, flat);
	for (int i = 0; request[i]; i++)
		if (strcmp(flat, request[i]) == 0)
			return TIMING_REQUEST;
	for (int i = 0; upstream[i]; i++)
		if (strcmp(flat, upstream[i]) == 0)
			return TIMING_UPSTREAM;
	return TIMING_OTHER;
}

/*
 * The whole of s[0, n) as one time in seconds or a list of them
 * ("0.002, 0.010", "0.002 : 0.010": added up). -1 when it is not.
 */
static double
seconds_list(const char *s, size_t n, int *dec)
{
	double total = 0, v;
	size_t i = 0;
	int d, any = 0;

	*dec = 0;
	while (i < n) {
		size_t k = number(s + i, n - i, &v, &d);

		if (k == 0)
			return -1;
		total += v;
		*dec |= d;
		any = 1;
		i += k;
		if (i == n)
			break;
		if (n - i >= 2 && s[i] == ',' && s[i + 1] == ' ')
			i += 2;
		else if (n - i >= 3 && memcmp(s + i, " : ", 3) == 0)
			i += 3;
		else
			return -1;
	}
	return any ? total : -1;
}

/* The next field of [*p, end): quoted (without its quotes) or up to a space. */
static const char *
field(const char **p, const char *end, size_t *n, int *quoted)
{
	const char *s = *p, *e;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	*quoted = s < end && *s == '"';
	if (*quoted) {
		s++;
		e = memchr(s, '"', (size_t)(end - s));
		if (e == NULL)
			e = end;
		*p = e < end ? e + 1 : end;
	} else {
		for (e = s; e < end && *e != ' ' && *e != '\t'; e++)
			;
		*p = e;
	}
	*n = (size_t)(e - s);
	return s;
}

void
timing_trailer(const char *s, size_t n, struct timing *t)
{
	const char *p = s, *end = s + n;
	double dec[MAX_DECIMALS];
	int ndec = 0, nint = 0, cont = 0;
	int64_t key_req = TIMING_NONE, key_up = TIMING_NONE, last_int = TIMING_NONE;

	t->req_us = t->up_us = t->bare_int = TIMING_NONE;
	while (p < end) {
		size_t len;
		int quoted, d;
		const char *f = field(&p, end, &len, &quoted), *eq;
		double v;

		if (len == 0)
			break;
		eq = quoted ? NULL : memchr(f, '=', len);
		if (eq != NULL && eq > f) {
			double unit;
			enum timing_kind kind = timing_key(f, (size_t)(eq - f), &unit);
			const char *val = eq + 1;
			size_t vlen = len - (size_t)(val - f);
			int64_t us;

			cont = 0;
			/* a quoted value may hold spaces: rt="0.002, 0.010" */
			if (vlen > 0 && *val == '"' && (vlen == 1 || val[vlen - 1] != '"')) {
				const char *q = memchr(val + 1, '"', (size_t)(end - val - 1));

				if (q != NULL) {
					vlen = (size_t)(q + 1 - val);
					p = q + 1;
				}
			}
			if (kind == TIMING_OTHER)
				continue;
			if (vlen >= 2 && val[0] == '"') {
				val++;
				vlen -= 2;
			}
			us = timing_value(val, vlen, unit);
			if (us == TIMING_NONE) {
				v = seconds_list(val, vlen, &d);
				us = v >= 0 ? clamp(v * unit) : TIMING_NONE;
			}
			if (kind == TIMING_REQUEST && key_req == TIMING_NONE)
				key_req = us;
			else if (kind == TIMING_UPSTREAM && key_up == TIMING_NONE)
				key_up = us;
			continue;
		}
		if (!quoted && len == 1 && *f == ':' && cont == 0 && ndec > 0) {
			cont = 1;	/* "0.002 : 0.010" */
			continue;
		}
		{
			int comma = !quoted && f[len - 1] == ',';

			v = seconds_list(f, len - (size_t)comma, &d);
			if (v >= 0 && !d) {
				/* an integer: %D (microseconds) or %T (seconds), told by the caller */
				nint++;
				last_int = v <= (double)TIMING_MAX_US ? (int64_t)v : TIMING_NONE;
				cont = 0;
				continue;
			}
			if (v < 0 || v * 1e6 > (double)TIMING_MAX_US) {
				cont = 0;
				continue;
			}
			if (cont && ndec > 0)
				dec[ndec - 1] += v;
			else if (ndec < MAX_DECIMALS)
				dec[ndec++] = v;
			cont = comma;
		}
	}
	if (ndec > 0) {
		int top = 0, second = -1;

		for (int i = 1; i < ndec; i++)
			if (dec[i] > dec[top])
				top = i;
		for (int i = 0; i < ndec; i++)
			if (i != top && (second < 0 || dec[i] > dec[second]))
				second = i;
		t->req_us = clamp(dec[top] * 1e6);
		if (second >= 0)
			t->up_us = clamp(dec[second] * 1e6);
	} else if (nint == 1) {
		t->bare_int = last_int;
	}
	if (key_req != TIMING_NONE)
		t->req_us = key_req;
	if (key_up != TIMING_NONE)
		t->up_us = key_up;
}

int
timing_int_secs(const int64_t *v, size_t n)
{
	size_t seen = 0, zero = 0;

	for (size_t i = 0; i < n; i++) {
		if (v[i] < 0)
			continue;
		seen++;
		if (v[i] == 0)
			zero++;
		if (v[i] >= 3600)
			return 0;
	}
	return seen > 0 && zero * 3 >= seen;
}
