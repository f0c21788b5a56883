/*
 * json.h - writing JSON into a struct buf.
 *
 * Only output: brace emits JSON (journal lines, reports, metrics as JSON) but
 * never needs a general JSON reader in C; where it reads JSON (log lines) the
 * reader lives next to its one user. Strings are escaped per RFC 8259; bytes
 * that are not valid UTF-8 become U+FFFD so that output built from garbage
 * input is still valid JSON.
 */
#ifndef BRACE_JSON_H
#define BRACE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Append s as a quoted JSON string ("null" when s is NULL). */
int json_str(struct buf *b, const char *s);
int json_strn(struct buf *b, const char *s, size_t n);
/* Append "key": (with a leading comma unless *first; clears *first). */
int json_key(struct buf *b, int *first, const char *key);
/* Append a number; non-finite doubles become null. */
int json_num(struct buf *b, double v);
int json_int(struct buf *b, int64_t v);
/* Length of the valid UTF-8 sequence at p (n bytes available), 0 if invalid. */
size_t json_utf8_seq(const unsigned char *p, size_t n);

#endif
