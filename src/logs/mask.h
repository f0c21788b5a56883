/*
 * mask.h - replacing the obvious variables of a log message with "<*>".
 *
 * The message is split on whitespace; each token keeps its surrounding
 * punctuation and has its variable parts replaced: whole-token forms (URLs,
 * e-mail addresses, paths, IPv4/IPv6 addresses with ports, UUIDs) become one
 * "<*>"; otherwise the token is cut at the delimiters = : , ( ) [ ] { } ; |
 * < > @ # / \ and each piece that starts with a digit or holds two or more
 * digits (numbers, hex, sizes, durations, ids like blk_-1608 or node-246)
 * becomes "<*>" (a word joined to a number keeps the word: "node-246" gives
 * "node-<*>", "core.2275" gives "core.<*>"). Variables joined by
 * : . / @ # - collapse into one. Words with a single digit (ssh2, eth0,
 * log4j) are kept: they name things rather than count them. What else
 * varies is left to the miner, which compares messages.
 *
 * The result is the message's "key": masked tokens joined by single spaces.
 */
#ifndef BRACE_LOGS_MASK_H
#define BRACE_LOGS_MASK_H

#include <stddef.h>

#include "core/buf.h"

#define MASK_VAR "<*>"
#define MASK_MAX_TOKENS 200	/* tokens past this are dropped (one "<*>" stands for them) */

/* Mask msg into out (reset first). Returns the number of tokens. */
size_t mask_message(const char *msg, size_t len, struct buf *out);

/*
 * Mask an HTTP request target for the access-log panels: path segments that
 * are ids (numbers, hex, UUIDs, long tokens) become "<*>", query values too
 * ("/api/users/<*>/orders?page=<*>"). Appends to out.
 */
void mask_path(const char *p, size_t len, struct buf *out);

/* 1 if the bytes look like a variable on their own (a number, an id). */
int mask_is_variable(const char *s, size_t n);

#endif
