/*
 * term.h - what every command that prints for people shares about the
 * terminal: the colour policy, the escape sequences, display widths of
 * UTF-8 text, and sparklines.
 *
 * One colour policy for every command (`--color auto|always|never`):
 *   always  colour, wherever the output goes;
 *   never   no colour;
 *   auto    (the default) colour only when the stream is a terminal, the
 *           environment has no NO_COLOR (set to any value, even empty:
 *           https://no-color.org) and TERM is not "dumb".
 * So escape sequences never reach a pipe or a file unless asked for.
 * Cursor movement (full-screen views, progress bars) has its own test,
 * term_can_move(): a terminal whose TERM is not "dumb", whatever NO_COLOR.
 *
 * Everything that draws appends to a struct buf; nothing here writes to a
 * file descriptor, so output built for a terminal is tested as text.
 */
#ifndef BRACE_TERM_H
#define BRACE_TERM_H

#include <stddef.h>

#include "core/buf.h"

enum term_color {
	TERM_COLOR_AUTO = 0,
	TERM_COLOR_ALWAYS,
	TERM_COLOR_NEVER,
};

/* "auto", "always", "never" -> *out: 0, or -1 for anything else. */
int term_color_parse(const char *s, enum term_color *out);
/*
 * The decision, from its inputs alone: is_tty for the stream, no_color and
 * term the values of NO_COLOR and TERM (NULL when unset). 1 = colour.
 */
int term_color_decide(enum term_color when, int is_tty, const char *no_color,
    const char *term);
/* The decision for file descriptor fd, from isatty(fd) and the environment. */
int term_color_use(enum term_color when, int fd);
/* 1 when fd is a terminal that understands cursor movement (TERM not "dumb"). */
int term_can_move(int fd);
/* 1 when the locale's character set is UTF-8 (LANG, LC_ALL, LC_CTYPE). */
int term_utf8(void);
/* The window size of terminal fd; 80x24 when it cannot be known. */
void term_size(int fd, int *cols, int *rows);

/* Select Graphic Rendition and cursor sequences (ECMA-48). */
#define TERM_RESET      "\033[0m"
#define TERM_BOLD       "\033[1m"
#define TERM_DIM        "\033[2m"
#define TERM_RED        "\033[31m"
#define TERM_GREEN      "\033[32m"
#define TERM_YELLOW     "\033[33m"
#define TERM_BLUE       "\033[34m"
#define TERM_MAGENTA    "\033[35m"
#define TERM_CYAN       "\033[36m"
#define TERM_HOME       "\033[H"        /* cursor to the top left */
#define TERM_CLEAR_EOL  "\033[K"        /* erase to the end of the line */
#define TERM_CLEAR_EOS  "\033[J"        /* erase to the end of the screen */
#define TERM_CLEAR      "\033[H\033[2J" /* home and erase the screen */
#define TERM_ALT_ON     "\033[?1049h"   /* the alternate screen (as less, top) */
#define TERM_ALT_OFF    "\033[?1049l"
#define TERM_CURSOR_OFF "\033[?25l"
#define TERM_CURSOR_ON  "\033[?25h"

/* Append seq when color is set (nothing otherwise). */
void term_sgr(struct buf *b, int color, const char *seq);
/* Append s, wrapped in seq ... TERM_RESET when color is set. */
void term_paint(struct buf *b, int color, const char *seq, const char *s);
/*
 * The colour of a status or severity word, or "" for none: OK green,
 * WARNING yellow, CRITICAL red, UNKNOWN magenta; syslog's severities
 * (debug dim, notice cyan, warning yellow, error and critical red).
 */
const char *term_status_seq(const char *word);
/*
 * Append one JSON text coloured as jq colours it (keys bold blue, strings
 * green, null dim) when color is set, unchanged otherwise. The text is not
 * validated: what is not a string or null is copied as is. 0, or -1 when b
 * reached its cap (b then holds part of the text).
 */
int term_json(struct buf *b, const char *json, size_t n, int color);

/*
 * Display width of s[0, n) in terminal columns: UTF-8 decoded, East Asian
 * wide characters 2, combining marks, control characters and escape
 * sequences (CSI ... final byte) 0, a byte that is not UTF-8 1.
 */
size_t term_width(const char *s, size_t n);
/*
 * Append s[0, n) cut to at most cols columns, escape sequences before the
 * cut kept, never half a character. Returns the columns appended.
 */
size_t term_cut(struct buf *b, const char *s, size_t n, size_t cols);
/* Append s cut and padded with spaces to exactly cols columns (a table cell). */
void term_cell(struct buf *b, const char *s, size_t cols);
/*
 * Pad with spaces until what b holds from offset from on is cols columns
 * wide (nothing when it is wider): printf's %-*s for coloured UTF-8 text.
 */
void term_pad(struct buf *b, size_t from, size_t cols);

/* How a sparkline is drawn. */
struct term_spark {
	double max;             /* the top of the scale; <= 0: the largest value */
	int ascii;              /* "_.-:=+*#" instead of U+2581..U+2588 */
	int blank_zero;         /* a zero is a space rather than the lowest bar */
	const char *gap_seq;    /* colour of the gap mark (when color), or NULL */
	int color;
};
/*
 * Append one character per value: 8 levels, a value above zero never drawn
 * as zero, NaN (no value, e.g. the server did not answer) as a gap mark
 * (U+00D7, or 'x' in ASCII).
 */
void term_sparkline(struct buf *b, const double *v, size_t n, const struct term_spark *opt);

#endif
