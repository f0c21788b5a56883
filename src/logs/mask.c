/*
 * mask.c - see mask.h.
 */
#include <string.h>
#include <strings.h>

#include "logs/mask.h"
#include "logs/timestamp.h"

#define ISDIGIT(c) ((unsigned)((c) - '0') <= 9)
#define ISALPHA(c) ((unsigned)(((c) | 0x20) - 'a') <= 25)
#define ISHEX(c) (ISDIGIT(c) || (unsigned)(((c) | 0x20) - 'a') <= 5)
#define ISLOWER(c) ((unsigned)((c) - 'a') <= 25)
#define ISALNUM(c) (ISDIGIT(c) || ISALPHA(c))

/*
 * Character classes, one table lookup per byte: what a token holds decides
 * which forms are worth trying (most tokens are plain words and try none).
 */
enum {
	C_ALPHA = 1, C_DIGIT = 2, C_DELIM = 4, C_DOT = 8, C_COLON = 16, C_SLASH = 32, C_AT = 64,
	C_EQ = 128, C_SPACE = 256, C_NUL = 512,
};

static const uint16_t cls[256] = {
	['a' ... 'z'] = C_ALPHA, ['A' ... 'Z'] = C_ALPHA, ['0' ... '9'] = C_DIGIT,
	['='] = C_DELIM | C_EQ, [':'] = C_DELIM | C_COLON, ['/'] = C_DELIM | C_SLASH,
	['\\'] = C_DELIM | C_SLASH, ['@'] = C_DELIM | C_AT, ['.'] = C_DOT,
	[','] = C_DELIM, ['('] = C_DELIM, [')'] = C_DELIM, ['['] = C_DELIM, [']'] = C_DELIM,
	['{'] = C_DELIM, ['}'] = C_DELIM, [';'] = C_DELIM, ['|'] = C_DELIM, ['<'] = C_DELIM,
	['>'] = C_DELIM, ['#'] = C_DELIM, ['"'] = C_DELIM, ['\''] = C_DELIM,
	[' '] = C_SPACE, ['\t'] = C_SPACE, ['\r'] = C_SPACE, ['\n'] = C_SPACE, ['\v'] = C_SPACE,
	['\f'] = C_SPACE, ['\0'] = C_NUL,
};

static int
is_delim(unsigned char c)
{
	return (cls[c] & C_DELIM) != 0;
}

/* The classes of s[0..n) together. */
static unsigned
classes(const char *s, size_t n)
{
	unsigned f = 0;

	for (size_t i = 0; i < n; i++)
		f |= cls[(unsigned char)s[i]];
	return f;
}

/*
 * Appends to the masked key. mask_message() reserves room for the worst
 * case first, so these are a copy; past the buffer's cap they fall back.
 */
static inline void
put(struct buf *out, const char *s, size_t n)
{
	if (out->len + n <= out->cap) {
		memcpy(out->data + out->len, s, n);
		out->len += n;
		out->data[out->len] = '\0';
	} else {
		buf_append(out, s, n);
	}
}

static inline void
put_var(struct buf *out)
{
	put(out, MASK_VAR, 3);
}

static inline void
put_c(struct buf *out, char c)
{
	put(out, &c, 1);
}

int
mask_is_variable(const char *s, size_t n)
{
	size_t digits = 0, hex = 0, i = 0;

	if (n == 0)
		return 0;
	if ((s[0] == '-' || s[0] == '+') && n > 1)
		i = 1;
	if (ISDIGIT((unsigned char)s[i]))
		return 1;
	for (; i < n; i++) {
		digits += ISDIGIT((unsigned char)s[i]);
		hex += ISHEX((unsigned char)s[i]);
	}
	/* two digits, or a long run of hex digits that happens to hold none */
	return digits >= 2 || (n >= 16 && hex == n);
}

/*
 * A host name: two or more dot-separated labels of lower-case letters,
 * digits and hyphens (two characters at least), the last one letters (a
 * top-level domain, and by the same shape a file's extension or a
 * package's last part: "cdn.example.net", "kubelet.go", "com.acme.app";
 * not "workerEnv.init" or "NameSystem.delete", which name code).
 */
static int
is_host(const char *s, size_t n)
{
	size_t i = 0, labels = 0;

	if (n < 5 || memchr(s, '.', n) == NULL)
		return 0;
	while (i < n) {
		size_t st = i, lower = 0;

		while (i < n && (ISLOWER((unsigned char)s[i]) || ISDIGIT((unsigned char)s[i]) ||
		    s[i] == '-')) {
			lower += ISLOWER((unsigned char)s[i]);
			i++;
		}
		if (i - st < 2 || s[st] == '-' || s[i - 1] == '-')
			return 0;
		labels++;
		if (i == n)
			return labels >= 2 && lower == i - st && i - st <= 24;
		if (s[i] != '.')
			return 0;
		i++;
	}
	return 0;
}

static int
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!ISDIGIT((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/* A host name alone, with a port ("api.example.com:443") or with a path. */
static int
is_host_ref(const char *s, size_t n)
{
	const char *c = memchr(s, ':', n), *sl = memchr(s, '/', n);

	if (sl != NULL && (c == NULL || sl < c))
		return sl > s && sl + 1 < s + n && is_host(s, (size_t)(sl - s));
	if (c != NULL)
		return is_host(s, (size_t)(c - s)) && all_digits(c + 1, (size_t)(s + n - c - 1));
	return is_host(s, n);
}

/*
 * A relative path: segments of letters, digits and ._- joined by / or \,
 * three of them or more, or two whose last has an extension
 * ("static/js/app.js", "src/main.c"; not "read/write", "I/O").
 */
static int
is_relative_path(const char *s, size_t n)
{
	size_t segs = 1, seglen = 0, dot = 0;
	char sep = 0;

	if (memchr(s, '/', n) == NULL && memchr(s, '\\', n) == NULL)
		return 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '/' || c == '\\') {
			if (seglen == 0 || (sep != 0 && c != sep))
				return 0;
			sep = (char)c;
			segs++;
			seglen = 0;
			dot = 0;
		} else if (ISALNUM(c) || c == '_' || c == '-' || c == '.') {
			if (c == '.' && seglen > 0)
				dot = 1;
			seglen++;
		} else {
			return 0;
		}
	}
	return sep != 0 && seglen > 0 && (segs >= 3 || (segs == 2 && dot));
}

/* A MAC address written with hyphens ("3c-22-fb-08-7a-11"). */
static int
is_mac_dashed(const char *s, size_t n)
{
	if (n != 17)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (i % 3 == 2 ? s[i] != '-' : !ISHEX((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
is_ipv4(const char *s, size_t n)
{
	size_t i = 0;
	int parts = 0;

	while (parts < 4) {
		size_t d = 0;

		while (i < n && ISDIGIT((unsigned char)s[i]) && d < 4) {
			i++;
			d++;
		}
		if (d == 0 || d > 3)
			return 0;
		parts++;
		if (parts < 4) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < n && s[i] == ':') {
		size_t d = 0;

		for (i++; i < n && ISDIGIT((unsigned char)s[i]); i++)
			d++;
		if (d == 0)
			return 0;
	}
	return i == n;
}

static int
is_ipv6(const char *s, size_t n)
{
	size_t colons = 0, hex = 0;

	if (n < 3)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ':')
			colons++;
		else if (ISHEX((unsigned char)s[i]))
			hex++;
		else if (s[i] != '.' && s[i] != '%')
			return 0;
	}
	return colons >= 2 && hex > 0;
}

static int
is_uuid(const char *s, size_t n)
{
	static const int dash[] = { 8, 13, 18, 23 };

	if (n != 36)
		return 0;
	for (size_t i = 0, k = 0; i < n; i++) {
		if (k < 4 && (int)i == dash[k]) {
			if (s[i] != '-')
				return 0;
			k++;
		} else if (!ISHEX((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* Whole-token forms that are always variables; f = classes(s, n). */
static int
whole_variable(const char *s, size_t n, unsigned f)
{
	const char *at;

	if (n >= 2 && (s[0] == '/' || (s[0] == '~' && s[1] == '/') || (s[0] == '.' && s[1] == '/')) &&
	    !(n == 2 && s[1] == '/'))
		return s[1] != '/' || n > 2;
	if (n >= 3 && ISALPHA((unsigned char)s[0]) && s[1] == ':' && s[2] == '\\')
		return 1;
	if (f & C_COLON) {
		const char *colon = n > 6 ? memchr(s, ':', n) : NULL;

		if (colon != NULL && s + n - colon > 3 && colon[1] == '/' && colon[2] == '/')
			return 1;
		if (is_ipv6(s, n))
			return 1;
	}
	if ((f & (C_AT | C_DOT)) == (C_AT | C_DOT) && !(f & (C_SLASH | C_EQ)) &&
	    (at = memchr(s, '@', n)) != NULL && at > s && memchr(at, '.', (size_t)(s + n - at)) &&
	    ISALPHA((unsigned char)s[n - 1]))
		return 1;
	if ((f & C_DOT) && ISDIGIT((unsigned char)s[0]) && is_ipv4(s, n))
		return 1;
	if ((n == 36 && is_uuid(s, n)) || (n == 17 && is_mac_dashed(s, n)))
		return 1;
	if (!ISALNUM((unsigned char)s[0]))
		return 0;
	return ((f & C_DOT) && is_host_ref(s, n)) || ((f & C_SLASH) && is_relative_path(s, n));
}

/* Literals that are values wherever a key names them: booleans and null. */
static int
literal_value(const char *s, size_t n)
{
	static const char *const words[] = { "true", "false", "null", "none", "nil", NULL };
	char c;

	if (n < 3 || n > 5)
		return 0;
	c = (char)(s[0] | 0x20);
	if (c != 't' && c != 'f' && c != 'n')
		return 0;
	for (int i = 0; words[i]; i++)
		if (words[i][0] == c && strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
			return 1;
	return 0;
}

/*
 * Append bytes of the message as they are, but a NUL byte as the two
 * characters \0: keys and templates are C strings, and a NUL inside a word
 * would cut the rest of it off.
 */
static __thread int msg_has_nul;       /* the message being masked holds a NUL */

static void
put_raw(struct buf *out, const char *s, size_t n)
{
	const char *z;

	while (msg_has_nul && n > 0 && (z = memchr(s, '\0', n)) != NULL) {
		put(out, s, (size_t)(z - s));
		put(out, "\\0", 2);
		n -= (size_t)(z - s) + 1;
		s = z + 1;
	}
	put(out, s, n);
}

static int
ends_with_var(const struct buf *b, size_t from)
{
	return b->len >= from + 3 && memcmp(b->data + b->len - 3, MASK_VAR, 3) == 0;
}

/* Append one piece of a token: the piece itself, or <*>, or WORD-<*>. */
static void
piece(struct buf *out, const char *s, size_t n, size_t tok_start)
{
	size_t k = 0;
	int host;

	if (n == 0)
		return;
	host = is_host(s, n);
	while (!host && k < n && ISALPHA((unsigned char)s[k]))
		k++;
	/*
	 * A word joined to a number keeps the word and numbers it: node-246,
	 * node-9, core.2275, BP-1088 (but ssh2 and eth0 are names).
	 */
	if (k >= 2 && k + 1 < n && (s[k] == '-' || s[k] == '.') &&
	    ISDIGIT((unsigned char)s[k + 1])) {
		put_raw(out, s, k + 1);
		put_var(out);
		return;
	}
	/* a boolean or null is a value after a key ("force=false", "ok:true") */
	if (!host && !mask_is_variable(s, n) && !(literal_value(s, n) &&
	    out->len > tok_start && (out->data[out->len - 1] == '=' || out->data[out->len - 1] == ':'))) {
		put_raw(out, s, n);
		return;
	}
	/* <*>:<*>, <*>/<*>, <*>@<*>, <*>#<*> and lists (<*>,<*>, <*>|<*>) are one variable */
	if (out->len >= tok_start + 4) {
		char d = out->data[out->len - 1];

		if ((d == ':' || d == '/' || d == '@' || d == '#' || d == ',' || d == ';' || d == '|') &&
		    memcmp(out->data + out->len - 4, MASK_VAR, 3) == 0) {
			out->len--;
			out->data[out->len] = '\0';
			return;
		}
	}
	if (ends_with_var(out, tok_start))
		return;
	put_var(out);
}

static int
lead_punct(unsigned char c)
{
	return c == '(' || c == '[' || c == '{' || c == '<' || c == '"' || c == '\'';
}

static int
trail_punct(unsigned char c)
{
	return c == ')' || c == ']' || c == '}' || c == '>' || c == '"' || c == '\'' || c == ',' ||
	    c == ';' || c == ':' || c == '.' || c == '!' || c == '?';
}

/* Mask one token of n bytes, whose byte classes together are all. */
static void
token(struct buf *out, const char *t, size_t n, unsigned all)
{
	size_t a = 0, b = n, start = out->len;
	unsigned f;

	/* the common case first: a plain word ("failed") is itself */
	if (all == C_ALPHA && n < 12) {
		put(out, t, n);
		return;
	}

	/* [v6 address]:port is one variable */
	if (n > 4 && t[0] == '[' && memmem(t, n, "]:", 2) != NULL &&
	    is_ipv6(t + 1, (size_t)((const char *)memmem(t, n, "]:", 2) - t - 1))) {
		put_var(out);
		return;
	}
	while (b > 0 && trail_punct((unsigned char)t[b - 1]))
		b--;
	/* the common case first: a plain word ("failed", "user,") is itself */
	if (b > 0 && b < 12 && classes(t, b) == C_ALPHA) {
		put(out, t, n);
		return;
	}
	/* a bound is a number: "<1", ">=5", "~3" */
	if (b > 1 && (t[0] == '<' || t[0] == '>' || t[0] == '~')) {
		size_t c = t[1] == '=' ? 2 : 1;

		if (c < b && ISDIGIT((unsigned char)t[c]) && mask_is_variable(t + c, b - c)) {
			put_var(out);
			put_raw(out, t + b, n - b);
			return;
		}
	}
	while (a < b && lead_punct((unsigned char)t[a]))
		a++;
	put_raw(out, t, a);
	f = a == 0 && b == n ? all : classes(t + a, b - a);
	if (b > a && whole_variable(t + a, b - a, f)) {
		put_var(out);
		put_raw(out, t + b, n - b);
		return;
	}
	/* key=value whose value is one of the forms above: "MAC=00:1a:...", "url=http://..." */
	if (f & C_EQ) {
		const char *eq = memchr(t + a, '=', b - a), *v = eq + 1;

		while (v < t + b && lead_punct((unsigned char)*v))
			v++;
		if (eq > t + a && v < t + b && whole_variable(v, (size_t)(t + b - v),
		    classes(v, (size_t)(t + b - v)))) {
			put_raw(out, t + a, (size_t)(v - t - a));
			put_var(out);
			put_raw(out, t + b, n - b);
			return;
		}
	}
	if (f & C_DELIM) {
		size_t s = a;

		for (size_t i = a; i < b; i++) {
			if (is_delim((unsigned char)t[i])) {
				piece(out, t + s, i - s, start);
				put_c(out, t[i]);
				s = i + 1;
			}
		}
		piece(out, t + s, b - s, start);
	} else {
		piece(out, t + a, b - a, start);
	}
	put_raw(out, t + b, n - b);
}

/*
 * A unit written apart from its number ("16.0 KB", "250 ms", "<1 sec"):
 * the length of the unit, which belongs to the number before it, or 0.
 * Abbreviations only; "seconds" and "bytes" are words of the message.
 */
static size_t
unit_len(const char *s, size_t n)
{
	static const struct { char s[5]; uint8_t n; } units[] = { { "B", 1 }, { "kB", 2 }, { "KB", 2 },
	    { "MB", 2 }, { "GB", 2 }, { "TB", 2 }, { "PB", 2 }, { "KiB", 3 }, { "MiB", 3 },
	    { "GiB", 3 }, { "TiB", 3 }, { "ns", 2 }, { "us", 2 }, { "\xc2\xb5s", 3 }, { "ms", 2 },
	    { "s", 1 }, { "sec", 3 }, { "secs", 4 }, { "min", 3 }, { "mins", 4 }, { "h", 1 },
	    { "hr", 2 }, { "hrs", 3 } };
	size_t u = n;

	if (n == 0 || n > 6 || strchr("BkKMGTPnu\xc2msh", s[0]) == NULL)
		return 0;
	while (u > 0 && strchr(",);.]}", s[u - 1]) != NULL)
		u--;
	if (u == 0 || u > 4)
		return 0;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (units[i].n == u && memcmp(s, units[i].s, u) == 0)
			return u;
	return 0;
}

/*
 * A time stamp inside the message ("at Sun Jul 17 15:09:17 2005") is one
 * variable however many tokens it spans: its length, or 0.
 */
static size_t
embedded_time(const char *s, size_t n)
{
	static __thread struct timestamp_ctx tc;
	static __thread int ready;
	int64_t ms;
	size_t used, k = 0;

	/* cheap refusals first: this runs at every token */
	if (ISDIGIT((unsigned char)s[0])) {
		/* "2026-11-27", "27/Nov/2026", "11-27 07:20", "261127 072007" */
		while (k < n && k < 9 && ISDIGIT((unsigned char)s[k]))
			k++;
		if (k >= n || !((s[k] == '-' || s[k] == '/') ? k == 2 || k == 4 :
		    s[k] == ' ' && k == 6))
			return 0;
	} else if (s[0] >= 'A' && s[0] <= 'Z') {
		/* "Sun Jul 17 ...", "Jul 17 ..." */
		static const char days[] = "MonTueWedThuFriSatSun";
		int day = 0;

		if (n < 8 || s[3] != ' ')
			return 0;
		for (int d = 0; d < 7 && !day; d++)
			day = memcmp(s, days + 3 * d, 3) == 0;
		if (!day && timestamp_month(s) == 0)
			return 0;
	} else {
		return 0;
	}
	if (!ready) {
		timestamp_ctx_init(&tc, 0);
		ready = 1;
	}
	used = timestamp_parse(&tc, s, n, &ms);
	if (used < 8 || (used < n && s[used] != ' ' && s[used] != '\t' && s[used] != ',' &&
	    s[used] != ')' && s[used] != ']' && s[used] != '.'))
		return 0;
	/* a bare number is left to the token rules */
	for (size_t i = 0; i < used; i++)
		if (!((unsigned)(s[i] - '0') <= 9 || s[i] == '.'))
			return used;
	return 0;
}

size_t
mask_message(const char *msg, size_t len, struct buf *out)
{
	size_t i = 0, ntok = 0;

	buf_reset(out);
	/* room for the worst case (every byte a "<*>"), so appends are copies */
	buf_reserve(out, 3 * len + 8);
	msg_has_nul = memchr(msg, '\0', len) != NULL;
	while (i < len) {
		size_t s;
		unsigned f = 0;

		while (i < len && (cls[(unsigned char)msg[i]] & C_SPACE))
			i++;
		if (i >= len)
			break;
		s = i;
		if (ntok == MASK_MAX_TOKENS) {
			put(out, " " MASK_VAR, 4);
			ntok++;
			break;
		}
		{
			size_t t = embedded_time(msg + i, len - i);

			if (t > 0) {
				if (ntok > 0)
					put_c(out, ' ');
				put_var(out);
				ntok++;
				i += t;
				continue;
			}
		}
		{
			unsigned c;

			/* to the end of the token, noting the classes of its bytes */
			while (i < len && !((c = cls[(unsigned char)msg[i]]) & C_SPACE)) {
				f |= c;
				i++;
			}
		}
		if (ntok > 0 && out->len >= 3 && memcmp(out->data + out->len - 3, MASK_VAR, 3) == 0) {
			size_t u = unit_len(msg + s, i - s);

			if (u > 0) {
				/* "16.0 KB,": the unit belongs to the number, its comma stays */
				put_raw(out, msg + s + u, i - s - u);
				continue;
			}
		}
		if (ntok > 0)
			put_c(out, ' ');
		token(out, msg + s, i - s, f);
		ntok++;
	}
	return ntok;
}

/*
 * A path segment that is an id: a number (or anything starting with a
 * digit), two or more digits, a UUID, 16+ hex digits, or a long token with
 * a digit in it. One pass: this runs for every segment of every request.
 */
static int
id_segment(const char *s, size_t n)
{
	size_t digits = 0, hex = 0;

	if (n == 0)
		return 0;
	if (ISDIGIT((unsigned char)s[0]) || ((s[0] == '-' || s[0] == '+') && n > 1 &&
	    ISDIGIT((unsigned char)s[1])))
		return 1;
	for (size_t i = 0; i < n; i++)
		digits += ISDIGIT((unsigned char)s[i]);
	if (digits >= 2)
		return 1;
	if (n < 16)
		return 0;
	for (size_t i = 0; i < n; i++)
		hex += ISHEX((unsigned char)s[i]);
	return hex == n || (n >= 20 && digits > 0);
}

void
mask_path(const char *p, size_t len, struct buf *out)
{
	const char *end = p + len, *q = memchr(p, '?', len), *pe = q ? q : end;
	char *o;

	/* one reservation: a one-byte piece becoming "<*>" is the worst case */
	if (buf_reserve(out, 3 * len + 1) < 0)
		return;
	o = out->data + out->len;
	while (p < pe) {
		const char *s = p, *e;

		if (*p == '/') {
			*o++ = '/';
			p++;
			continue;
		}
		e = memchr(s, '/', (size_t)(pe - s));
		if (e == NULL)
			e = pe;
		if (id_segment(s, (size_t)(e - s))) {
			memcpy(o, MASK_VAR, 3);
			o += 3;
		} else {
			memcpy(o, s, (size_t)(e - s));
			o += e - s;
		}
		p = e;
	}
	if (q != NULL) {
		/* query: keep the names, mask the values */
		*o++ = '?';
		p = q + 1;
		while (p < end) {
			const char *amp = memchr(p, '&', (size_t)(end - p)), *pe2 = amp ? amp : end;
			const char *eq = memchr(p, '=', (size_t)(pe2 - p));

			if (eq != NULL) {
				memcpy(o, p, (size_t)(eq - p + 1));
				o += eq - p + 1;
				memcpy(o, MASK_VAR, 3);
				o += 3;
			} else {
				memcpy(o, p, (size_t)(pe2 - p));
				o += pe2 - p;
			}
			if (amp == NULL)
				break;
			*o++ = '&';
			p = amp + 1;
		}
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
}
