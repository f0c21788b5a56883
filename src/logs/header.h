/*
 * header.h - --header FMT: a line layout written as the Loghub benchmark
 * writes them, e.g. "<Date> <Time> <Level> <Component>: <Content>".
 *
 * Each <Name> is a field (a lazy group), every run of spaces matches any
 * whitespace, and everything else is regular expression text, so fragments
 * such as "(\[<PID>\])?" or "\[<Process>\]" work as written. The whole is
 * anchored at both ends and compiled once with PCRE2 (JIT when available).
 * <Content> is the message to mine; Date, Time, Month, Day, Year and
 * Timestamp fields, where present, make the time stamp.
 */
#ifndef BRACE_LOGS_HEADER_H
#define BRACE_LOGS_HEADER_H

#include <stddef.h>

#include "logs/format.h"
#include "logs/timestamp.h"

typedef struct header header;
typedef struct header_match header_match;

/* Compile FMT; NULL with err set when it has no <Content> or does not compile. */
header *header_compile(const char *fmt, char *err);
void header_free(header *h);

/* Per-thread match state (PCRE2 match data). */
header_match *header_match_new(const header *h);
void header_match_free(header_match *m);

/*
 * Match one line: 0 and r filled (msg = Content, ts from the time fields,
 * level from a Level field) or -1 when the line does not fit (r untouched).
 * scratch holds the joined time text.
 */
int header_parse(const header *h, header_match *m, struct timestamp_ctx *tc, const char *line,
    size_t len, struct format_rec *r, struct buf *scratch);

#endif
