/*
 * term.c - see term.h.
 */
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/json.h"
#include "core/term.h"

int
term_color_parse(const char *s, enum term_color *out)
{
	static const char *const names[] = { "auto", "always", "never" };

	for (int i = 0; i < 3; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum term_color)i;
			return 0;
		}
	}
	return -1;
}

int
term_color_decide(enum term_color when, int is_tty, const char *no_color, const char *term)
{
	if (when == TERM_COLOR_ALWAYS)
		return 1;
	if (when == TERM_COLOR_NEVER || !is_tty || no_color != NULL)
		return 0;
	return term == NULL || strcmp(term, "dumb") != 0;
}

int
term_color_use(enum term_color when, int fd)
{
	return term_color_decide(when, isatty(fd), getenv("NO_COLOR"), getenv("TERM"));
}

int
term_can_move(int fd)
{
	const char *t = getenv("TERM");

	return isatty(fd) && (t == NULL || strcmp(t, "dumb") != 0);
}

int
term_utf8(void)
{
	static int known = -1;

	if (known < 0) {
		const char *cs;

		/* Asked once, before any thread starts; the C locale is put back. */
		setlocale(LC_CTYPE, "");
		cs = nl_langinfo(CODESET);
		known = cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
		setlocale(LC_CTYPE, "C");
	}
	return known;
}

void
term_size(int fd, int *cols, int *rows)
{
	struct winsize ws;

	*cols = 80;
	*rows = 24;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
	}
}

void
term_sgr(struct buf *b, int color, const char *seq)
{
	if (color)
		buf_puts(b, seq);
}

void
term_paint(struct buf *b, int color, const char *seq, const char *s)
{
	if (color && seq != NULL && *seq != '\0') {
		buf_puts(b, seq);
		buf_puts(b, s);
		buf_puts(b, TERM_RESET);
	} else {
		buf_puts(b, s);
	}
}

const char *
term_status_seq(const char *word)
{
	static const struct { const char *word, *seq; } colors[] = {
		{ "OK", TERM_GREEN }, { "WARNING", TERM_YELLOW }, { "CRITICAL", TERM_RED },
		{ "UNKNOWN", TERM_MAGENTA },
		{ "debug", TERM_DIM }, { "notice", TERM_CYAN }, { "warning", TERM_YELLOW },
		{ "error", TERM_RED }, { "critical", TERM_BOLD TERM_RED },
	};

	for (size_t i = 0; word != NULL && i < sizeof(colors) / sizeof(colors[0]); i++)
		if (strcmp(word, colors[i].word) == 0)
			return colors[i].seq;
	return "";
}

/* The length of the JSON string starting with the quote at s[0]. */
static size_t
json_string_len(const char *s, size_t n)
{
	size_t i = 1;

	while (i < n && s[i] != '"')
		i += s[i] == '\\' && i + 1 < n ? 2 : 1;
	return i < n ? i + 1 : n;
}

int
term_json(struct buf *b, const char *json, size_t n, int color)
{
	size_t i = 0;
	int rc = 0;

	if (!color)
		return buf_append(b, json, n);
	while (i < n) {
		const char *seq = NULL;
		size_t len = 1, j;

		if (json[i] == '"') {
			len = json_string_len(json + i, n - i);
			/* A key is a string followed by a colon. */
			for (j = i + len; j < n && (json[j] == ' ' || json[j] == '\t'); j++)
				;
			seq = j < n && json[j] == ':' ? TERM_BOLD TERM_BLUE : TERM_GREEN;
		} else if (n - i >= 4 && memcmp(json + i, "null", 4) == 0) {
			len = 4;
			seq = TERM_DIM;
		}
		if (seq != NULL && buf_puts(b, seq) < 0)
			rc = -1;
		if (buf_append(b, json + i, len) < 0)
			rc = -1;
		if (seq != NULL && buf_puts(b, TERM_RESET) < 0)
			rc = -1;
		i += len;
	}
	return rc;
}

/* Code point ranges, sorted, for the width table. */
struct range {
	uint32_t lo, hi;
};

/* Combining marks and other zero-width characters. */
static const struct range zero_width[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd }, { 0x0610, 0x061a },
	{ 0x064b, 0x065f }, { 0x0e31, 0x0e31 }, { 0x0e34, 0x0e3a }, { 0x0e47, 0x0e4e },
	{ 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200f }, { 0x2028, 0x202e },
	{ 0x2060, 0x2064 }, { 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
	{ 0xfeff, 0xfeff }, { 0xe0100, 0xe01ef },
};

/* East Asian wide and fullwidth characters, and emoji presentation. */
static const struct range wide[] = {
	{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a }, { 0x23e9, 0x23ec },
	{ 0x25fd, 0x25fe }, { 0x2614, 0x2615 }, { 0x2648, 0x2653 }, { 0x26a1, 0x26a1 },
	{ 0x26bd, 0x26be }, { 0x26c4, 0x26c5 }, { 0x26d4, 0x26d4 }, { 0x26ea, 0x26ea },
	{ 0x26f2, 0x26f5 }, { 0x26fa, 0x26fd }, { 0x2705, 0x2705 }, { 0x270a, 0x270b },
	{ 0x274c, 0x274c }, { 0x2753, 0x2755 }, { 0x2795, 0x2797 }, { 0x2b1b, 0x2b1c },
	{ 0x2e80, 0x303e }, { 0x3041, 0x33ff }, { 0x3400, 0x4dbf }, { 0x4e00, 0x9fff },
	{ 0xa000, 0xa4cf }, { 0xa960, 0xa97f }, { 0xac00, 0xd7a3 }, { 0xf900, 0xfaff },
	{ 0xfe10, 0xfe19 }, { 0xfe30, 0xfe6f }, { 0xff00, 0xff60 }, { 0xffe0, 0xffe6 },
	{ 0x16fe0, 0x16fe4 }, { 0x17000, 0x18cff }, { 0x1b000, 0x1b2ff }, { 0x1f004, 0x1f004 },
	{ 0x1f0cf, 0x1f0cf }, { 0x1f18e, 0x1f18e }, { 0x1f191, 0x1f19a }, { 0x1f200, 0x1f251 },
	{ 0x1f300, 0x1f64f }, { 0x1f680, 0x1f6ff }, { 0x1f900, 0x1f9ff }, { 0x1fa70, 0x1faff },
	{ 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

static int
in_ranges(uint32_t c, const struct range *r, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c < r[mid].lo)
			hi = mid;
		else if (c > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

static uint32_t
decode(const unsigned char *p, size_t l)
{
	static const unsigned char lead_mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t c = p[0] & lead_mask[l];

	for (size_t i = 1; i < l; i++)
		c = (c << 6) | (p[i] & 0x3f);
	return c;
}

/*
 * The item at s[0, n): *len bytes and their width. An escape sequence
 * (ESC [ ... final byte, or ESC and one byte) is 0 wide, as are other
 * control characters.
 */
static size_t
item(const char *s, size_t n, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t l;
	uint32_t c;

	if (p[0] == 0x1b) {
		l = 1;
		if (n > 1 && p[1] == '[') {
			for (l = 2; l < n && !(p[l] >= 0x40 && p[l] <= 0x7e); l++)
				;
			l = l < n ? l + 1 : n;
		} else if (n > 1) {
			l = 2;
		}
		*len = l;
		return 0;
	}
	if ((l = json_utf8_seq(p, n)) == 0) {
		*len = 1;
		return 1;
	}
	*len = l;
	c = decode(p, l);
	if (c < 0x20 || (c >= 0x7f && c < 0xa0))
		return 0;
	if (in_ranges(c, zero_width, sizeof(zero_width) / sizeof(zero_width[0])))
		return 0;
	return in_ranges(c, wide, sizeof(wide) / sizeof(wide[0])) ? 2 : 1;
}

size_t
term_width(const char *s, size_t n)
{
	size_t w = 0, len;

	for (size_t i = 0; i < n; i += len)
		w += item(s + i, n - i, &len);
	return w;
}

size_t
term_cut(struct buf *b, const char *s, size_t n, size_t cols)
{
	size_t w = 0, len;

	for (size_t i = 0; i < n; i += len) {
		size_t iw = item(s + i, n - i, &len);

		if (w + iw > cols)
			break;
		buf_append(b, s + i, len);
		w += iw;
	}
	return w;
}

void
term_cell(struct buf *b, const char *s, size_t cols)
{
	size_t w = term_cut(b, s ? s : "", s ? strlen(s) : 0, cols);

	for (; w < cols; w++)
		buf_putc(b, ' ');
}

void
term_pad(struct buf *b, size_t from, size_t cols)
{
	size_t w = from < b->len ? term_width(b->data + from, b->len - from) : 0;

	for (; w < cols; w++)
		buf_putc(b, ' ');
}

void
term_sparkline(struct buf *b, const double *v, size_t n, const struct term_spark *opt)
{
	static const char *const bars[] = {
		"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
		"\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88",
	};
	static const char ascii[] = "_.-:=+*#";
	double max = opt->max;

	if (max <= 0)
		for (size_t i = 0; i < n; i++)
			if (!isnan(v[i]) && v[i] > max)
				max = v[i];
	for (size_t i = 0; i < n; i++) {
		int k;

		if (isnan(v[i])) {
			term_sgr(b, opt->color && opt->gap_seq, opt->gap_seq);
			buf_puts(b, opt->ascii ? "x" : "\xc3\x97");        /* × */
			term_sgr(b, opt->color && opt->gap_seq, TERM_RESET);
			continue;
		}
		if (v[i] <= 0 || max <= 0) {
			if (opt->blank_zero)
				buf_putc(b, ' ');
			else if (opt->ascii)
				buf_putc(b, ascii[0]);
			else
				buf_puts(b, bars[0]);
			continue;
		}
		k = (int)ceil(v[i] / max * 8.0);
		k = k < 1 ? 1 : k > 8 ? 8 : k;
		if (opt->ascii)
			buf_putc(b, ascii[k - 1]);
		else
			buf_puts(b, bars[k - 1]);
	}
}
