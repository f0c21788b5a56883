/*
 * prom.c - see prom.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/prom.h"

static const char *const type_names[] = {
	[PROM_GAUGE] = "gauge",
	[PROM_COUNTER] = "counter",
	[PROM_HISTOGRAM] = "histogram",
	[PROM_SUMMARY] = "summary",
	[PROM_UNTYPED] = "untyped",
};

void
prom_init(struct prom *p, struct buf *b)
{
	memset(p, 0, sizeof(*p));
	p->b = b;
}

/* Record the first failure; later ones only count as failed. */
static void __attribute__((format(printf, 2, 3)))
fail(struct prom *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->failed) {
		va_start(ap, fmt);
		vsnprintf(p->err, sizeof(p->err), fmt, ap);
		va_end(ap);
	}
	p->failed = 1;
}

/* An append failed: say why (the cap, usually) once. */
static void
fail_write(struct prom *p)
{
	if (errno == ENOBUFS)
		fail(p, "the metrics page is larger than its cap of %zu bytes", p->b->max);
	else
		fail(p, "cannot build the metrics page: %s", strerror(errno));
}

static int
name_char(char c, int first, int colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return 1;
	if (c == ':')
		return colon;
	return !first && c >= '0' && c <= '9';
}

static int
valid_name(const char *s, int colon)
{
	size_t n;

	if (s == NULL || *s == '\0')
		return 0;
	for (n = 0; s[n]; n++)
		if (!name_char(s[n], n == 0, colon))
			return 0;
	return n < PROM_NAME_MAX;
}

int
prom_valid_metric_name(const char *s)
{
	return valid_name(s, 1);
}

int
prom_valid_label_name(const char *s)
{
	return valid_name(s, 0) && strncmp(s, "__", 2) != 0;
}

/* FNV-1a: families are told apart by their names' hashes. */
static uint64_t
name_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/*
 * Append s escaped: backslash and newline always, the double quote in
 * label values (quote set); invalid UTF-8 becomes U+FFFD.
 */
static int
put_escaped(struct buf *b, const char *s, int quote)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s);
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0;) {
		size_t l = json_utf8_seq(u + i, n - i);

		if (l == 0) {
			rc = buf_puts(b, "\xef\xbf\xbd");
			i++;
		} else if (u[i] == '\\') {
			rc = buf_puts(b, "\\\\");
			i++;
		} else if (u[i] == '\n') {
			rc = buf_puts(b, "\\n");
			i++;
		} else if (u[i] == '"' && quote) {
			rc = buf_puts(b, "\\\"");
			i++;
		} else {
			rc = buf_append(b, u + i, l);
			i += l;
		}
	}
	return rc;
}

int
prom_family(struct prom *p, const char *name, enum prom_type t, const char *help)
{
	size_t mark = p->b->len;
	uint64_t h;

	if (p->in_sample) {
		fail(p, "family %s opened inside a sample of %s", name, p->family);
		buf_truncate(p->b, p->mark);
		p->in_sample = 0;
	}
	if (strcmp(p->family, name) == 0 && p->type == t)
		return 0;
	if (!prom_valid_metric_name(name) || (unsigned)t > PROM_UNTYPED) {
		fail(p, "'%s' is not a valid metric name", name);
		p->family[0] = '\0';
		return -1;
	}
	h = name_hash(name);
	for (size_t i = 0; i < p->nseen; i++) {
		if (p->seen[i] == h) {
			fail(p, "family %s appears twice on the page", name);
			p->family[0] = '\0';
			return -1;
		}
	}
	if (p->nseen == PROM_MAX_FAMILIES) {
		fail(p, "more than %d metric families on one page", PROM_MAX_FAMILIES);
		p->family[0] = '\0';
		return -1;
	}
	if (buf_printf(p->b, "# HELP %s", name) < 0 ||
	    (help != NULL && *help != '\0' &&
	    (buf_putc(p->b, ' ') < 0 || put_escaped(p->b, help, 0) < 0)) ||
	    buf_printf(p->b, "\n# TYPE %s %s\n", name, type_names[t]) < 0) {
		fail_write(p);
		buf_truncate(p->b, mark);
		p->family[0] = '\0';
		return -1;
	}
	p->seen[p->nseen++] = h;
	snprintf(p->family, sizeof(p->family), "%s", name);
	p->type = t;
	return 0;
}

static int
suffix_allowed(enum prom_type t, const char *suffix)
{
	if (*suffix == '\0')
		return t != PROM_HISTOGRAM;
	if (strcmp(suffix, "_sum") == 0 || strcmp(suffix, "_count") == 0)
		return t == PROM_HISTOGRAM || t == PROM_SUMMARY;
	return strcmp(suffix, "_bucket") == 0 && t == PROM_HISTOGRAM;
}

void
prom_begin(struct prom *p, const char *suffix)
{
	if (suffix == NULL)
		suffix = "";
	if (p->in_sample)
		buf_truncate(p->b, p->mark);
	p->mark = p->b->len;
	p->in_sample = 1;
	p->bad = 0;
	p->nlabels = 0;
	if (p->family[0] == '\0') {
		fail(p, "a sample%s%s outside any metric family", *suffix ? " " : "", suffix);
		p->bad = 1;
		return;
	}
	if (!suffix_allowed(p->type, suffix)) {
		fail(p, "%s%s is not a sample name of %s %s", p->family, suffix,
		    type_names[p->type], p->family);
		p->bad = 1;
		return;
	}
	if (buf_puts(p->b, p->family) < 0 || buf_puts(p->b, suffix) < 0) {
		fail_write(p);
		p->bad = 1;
	}
}

void
prom_label(struct prom *p, const char *name, const char *value)
{
	if (!p->in_sample || p->bad)
		return;
	if (!prom_valid_label_name(name)) {
		fail(p, "'%s' is not a valid label name (on %s)", name ? name : "", p->family);
		p->bad = 1;
		return;
	}
	if (buf_putc(p->b, p->nlabels++ == 0 ? '{' : ',') < 0 || buf_puts(p->b, name) < 0 ||
	    buf_puts(p->b, "=\"") < 0 || put_escaped(p->b, value ? value : "", 1) < 0 ||
	    buf_putc(p->b, '"') < 0) {
		fail_write(p);
		p->bad = 1;
	}
}

void
prom_label_float(struct prom *p, const char *name, double v)
{
	char s[PROM_FLOAT_LEN];

	prom_fmt_float(v, s, sizeof(s));
	prom_label(p, name, s);
}

/* Close the sample with its formatted value, or roll it back. */
static void
end_with(struct prom *p, const char *value)
{
	if (!p->in_sample)
		return;
	p->in_sample = 0;
	if (!p->bad && ((p->nlabels > 0 && buf_putc(p->b, '}') < 0) ||
	    buf_putc(p->b, ' ') < 0 || buf_puts(p->b, value) < 0 || buf_putc(p->b, '\n') < 0)) {
		fail_write(p);
		p->bad = 1;
	}
	if (p->bad)
		buf_truncate(p->b, p->mark);
}

void
prom_end(struct prom *p, double v)
{
	char s[PROM_FLOAT_LEN];

	prom_fmt_float(v, s, sizeof(s));
	end_with(p, s);
}

void
prom_end_u64(struct prom *p, uint64_t v)
{
	char s[PROM_FLOAT_LEN];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	end_with(p, s);
}

void
prom_end_i64(struct prom *p, int64_t v)
{
	char s[PROM_FLOAT_LEN];

	snprintf(s, sizeof(s), "%" PRId64, v);
	end_with(p, s);
}

int
prom_finish(const struct prom *p, char *err)
{
	if (p->in_sample) {
		err_set(err, "the sample of %s was not ended", p->family);
		return -1;
	}
	if (p->failed) {
		err_set(err, "%s", p->err);
		return -1;
	}
	return 0;
}

void
prom_fmt_float(double v, char *out, size_t n)
{
	if (isnan(v)) {
		snprintf(out, n, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, n, "%s", v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* Whole numbers as integers (exact below 2^53), the rest as short as reads back. */
	if (v == trunc(v) && fabs(v) < 9007199254740992.0) {
		snprintf(out, n, "%.0f", v);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, n, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}
