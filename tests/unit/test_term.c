/*
 * test_term.c - the colour policy's decision table, display widths of UTF-8
 * text, cutting and padding, sparklines and JSON colouring.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "core/term.h"

static void
color_names_parse(void **state)
{
	enum term_color c;

	assert_int_equal(term_color_parse("auto", &c), 0);
	assert_int_equal(c, TERM_COLOR_AUTO);
	assert_int_equal(term_color_parse("always", &c), 0);
	assert_int_equal(c, TERM_COLOR_ALWAYS);
	assert_int_equal(term_color_parse("never", &c), 0);
	assert_int_equal(c, TERM_COLOR_NEVER);
	assert_int_equal(term_color_parse("yes", &c), -1);
	assert_int_equal(term_color_parse("", &c), -1);
	assert_int_equal(term_color_parse("Always", &c), -1);
}

/* Every row of the policy: mode, terminal or not, NO_COLOR, TERM. */
static void
color_decision_table(void **state)
{
	static const struct {
		enum term_color when;
		int tty;
		const char *no_color, *term;
		int want;
	} rows[] = {
		{ TERM_COLOR_AUTO, 1, NULL, "xterm-256color", 1 },
		{ TERM_COLOR_AUTO, 1, NULL, NULL, 1 },           /* TERM unset is not dumb */
		{ TERM_COLOR_AUTO, 0, NULL, "xterm", 0 },        /* a pipe or a file */
		{ TERM_COLOR_AUTO, 1, "1", "xterm", 0 },         /* NO_COLOR, any value */
		{ TERM_COLOR_AUTO, 1, "0", "xterm", 0 },
		{ TERM_COLOR_AUTO, 1, "", "xterm", 0 },          /* even empty */
		{ TERM_COLOR_AUTO, 1, NULL, "dumb", 0 },
		{ TERM_COLOR_AUTO, 0, "1", "dumb", 0 },
		{ TERM_COLOR_ALWAYS, 0, NULL, "xterm", 1 },      /* asked for: wherever it goes */
		{ TERM_COLOR_ALWAYS, 1, "1", "dumb", 1 },
		{ TERM_COLOR_ALWAYS, 0, "1", NULL, 1 },
		{ TERM_COLOR_NEVER, 1, NULL, "xterm", 0 },
		{ TERM_COLOR_NEVER, 0, NULL, NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int got = term_color_decide(rows[i].when, rows[i].tty, rows[i].no_color,
		    rows[i].term);

		if (got != rows[i].want)
			fail_msg("row %zu: got %d, want %d", i, got, rows[i].want);
	}
}

/* A file is never a terminal: auto means no colour, whatever the environment. */
static void
color_use_on_a_file_follows_the_mode(void **state)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	unsetenv("NO_COLOR");
	setenv("TERM", "xterm", 1);
	assert_int_equal(term_color_use(TERM_COLOR_AUTO, fileno(f)), 0);
	assert_int_equal(term_color_use(TERM_COLOR_ALWAYS, fileno(f)), 1);
	assert_int_equal(term_color_use(TERM_COLOR_NEVER, fileno(f)), 0);
	assert_int_equal(term_can_move(fileno(f)), 0);
	fclose(f);
}

static void
width_counts_columns_not_bytes(void **state)
{
	static const struct { const char *s; size_t w; } cases[] = {
		{ "", 0 },
		{ "abc", 3 },
		{ "caf\xc3\xa9", 4 },                            /* café: é is two bytes */
		{ "e\xcc\x81", 1 },                              /* e + combining acute */
		{ "\xe6\x97\xa5\xe6\x9c\xac", 4 },               /* 日本: wide */
		{ "\xea\xb0\x80", 2 },                           /* Hangul */
		{ "\xf0\x9f\x98\x80", 2 },                       /* an emoji */
		{ "\xe2\x96\x81\xe2\x96\x88", 2 },               /* sparkline bars */
		{ "\033[1;31mred\033[0m", 3 },                   /* escapes are 0 wide */
		{ "a\tb", 2 },                                   /* control characters too */
		{ "x\xff" "y", 3 },                              /* a stray byte is one column */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t w = term_width(cases[i].s, strlen(cases[i].s));

		if (w != cases[i].w)
			fail_msg("case %zu: width %zu, want %zu", i, w, cases[i].w);
	}
}

static void
cut_never_splits_a_character(void **state)
{
	struct buf b = BUF_INIT(256);
	const char *jp = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";    /* 日本語, 6 columns */

	assert_int_equal(term_cut(&b, jp, strlen(jp), 5), 4);
	assert_string_equal(buf_str(&b), "\xe6\x97\xa5\xe6\x9c\xac");
	buf_reset(&b);
	assert_int_equal(term_cut(&b, "caf\xc3\xa9 au lait", 14, 4), 4);
	assert_string_equal(buf_str(&b), "caf\xc3\xa9");
	buf_reset(&b);
	/* Escape sequences before the cut are kept, the text after it is not. */
	assert_int_equal(term_cut(&b, "\033[31mabcdef\033[0m", 15, 3), 3);
	assert_memory_equal(buf_str(&b), "\033[31mabc", 8);
	buf_release(&b);
}

static void
cell_cuts_and_pads_to_exact_width(void **state)
{
	struct buf b = BUF_INIT(256);

	term_cell(&b, "\xc3\xa9t\xc3\xa9", 5);                 /* été */
	buf_putc(&b, '|');
	term_cell(&b, "a_very_long_user_name", 6);
	buf_putc(&b, '|');
	term_cell(&b, NULL, 2);
	buf_putc(&b, '|');
	assert_string_equal(buf_str(&b), "\xc3\xa9t\xc3\xa9  |a_very|  |");
	buf_release(&b);
}

static void
pad_counts_what_was_appended_since_the_mark(void **state)
{
	struct buf b = BUF_INIT(256);
	size_t at;

	buf_puts(&b, "ts  ");
	at = b.len;
	term_paint(&b, 1, TERM_RED, "error");
	term_pad(&b, at, 8);
	buf_putc(&b, '|');
	assert_string_equal(buf_str(&b), "ts  \033[31merror\033[0m   |");
	at = b.len;
	buf_puts(&b, "much-too-long");
	term_pad(&b, at, 4);                    /* wider: left alone */
	assert_string_equal(buf_str(&b) + at, "much-too-long");
	buf_release(&b);
}

static void
paint_and_sgr_write_nothing_without_colour(void **state)
{
	struct buf b = BUF_INIT(256);

	term_paint(&b, 0, TERM_GREEN, "OK");
	term_sgr(&b, 0, TERM_BOLD);
	assert_string_equal(buf_str(&b), "OK");
	term_paint(&b, 1, term_status_seq("OK"), "OK");
	term_paint(&b, 1, term_status_seq("info"), "info");      /* no colour of its own */
	assert_string_equal(buf_str(&b), "OK\033[32mOK\033[0minfo");
	assert_string_equal(term_status_seq("CRITICAL"), TERM_RED);
	assert_string_equal(term_status_seq("warning"), TERM_YELLOW);
	assert_string_equal(term_status_seq(NULL), "");
	buf_release(&b);
}

static void
sparkline_levels_gaps_and_zero(void **state)
{
	double v[] = { 0, 1, 4, 8, NAN, 8.5 };
	struct term_spark opt = { .max = 8 };
	struct buf b = BUF_INIT(256);

	term_sparkline(&b, v, 6, &opt);
	/* 0 is the lowest bar, a small value never looks like zero, NaN is ×, the top clamps. */
	assert_string_equal(buf_str(&b), "\xe2\x96\x81\xe2\x96\x81\xe2\x96\x84\xe2\x96\x88"
	    "\xc3\x97\xe2\x96\x88");
	buf_reset(&b);
	opt.ascii = 1;
	opt.blank_zero = 1;
	opt.max = 0;                            /* scale to the largest value, 8.5 */
	term_sparkline(&b, v, 6, &opt);
	assert_string_equal(buf_str(&b), " _:#x#");
	buf_reset(&b);
	opt.color = 1;
	opt.gap_seq = TERM_MAGENTA;
	term_sparkline(&b, v + 4, 1, &opt);
	assert_string_equal(buf_str(&b), "\033[35mx\033[0m");
	buf_reset(&b);
	/* All zeros (or nothing) draws blanks, not a division by zero. */
	double z[] = { 0, 0 };
	term_sparkline(&b, z, 2, &opt);
	assert_string_equal(buf_str(&b), "  ");
	buf_release(&b);
}

static void
json_is_coloured_as_jq_does(void **state)
{
	const char *j = "{\"k\":\"v\",\"n\":1,\"z\":null,\"e\":\"a\\\"b\"}\n";
	struct buf b = BUF_INIT(1024);

	assert_int_equal(term_json(&b, j, strlen(j), 0), 0);
	assert_string_equal(buf_str(&b), j);
	buf_reset(&b);
	assert_int_equal(term_json(&b, j, strlen(j), 1), 0);
	assert_string_equal(buf_str(&b),
	    "{" TERM_BOLD TERM_BLUE "\"k\"" TERM_RESET ":" TERM_GREEN "\"v\"" TERM_RESET ","
	    TERM_BOLD TERM_BLUE "\"n\"" TERM_RESET ":1,"
	    TERM_BOLD TERM_BLUE "\"z\"" TERM_RESET ":" TERM_DIM "null" TERM_RESET ","
	    TERM_BOLD TERM_BLUE "\"e\"" TERM_RESET ":" TERM_GREEN "\"a\\\"b\"" TERM_RESET "}\n");
	buf_release(&b);
	/* Past the cap: -1, so a caller can print the line plain instead. */
	struct buf small = BUF_INIT(20);
	assert_int_equal(term_json(&small, j, strlen(j), 1), -1);
	buf_release(&small);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(color_names_parse),
		cmocka_unit_test(color_decision_table),
		cmocka_unit_test(color_use_on_a_file_follows_the_mode),
		cmocka_unit_test(width_counts_columns_not_bytes),
		cmocka_unit_test(cut_never_splits_a_character),
		cmocka_unit_test(cell_cuts_and_pads_to_exact_width),
		cmocka_unit_test(pad_counts_what_was_appended_since_the_mark),
		cmocka_unit_test(paint_and_sgr_write_nothing_without_colour),
		cmocka_unit_test(sparkline_levels_gaps_and_zero),
		cmocka_unit_test(json_is_coloured_as_jq_does),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
