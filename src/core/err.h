/*
 * err.h - the one error convention every brace module follows.
 *
 * A function that can fail returns 0 (or a valid pointer) on success and -1
 * (or NULL) on failure, and writes a human sentence into a caller-provided
 * buffer of ERR_LEN bytes: what failed and why, without the program name and
 * without a trailing newline ("cannot bind 0.0.0.0:80: Permission denied").
 * The caller decides whether to log it, wrap it with more context, or exit.
 * The err argument may be NULL when the caller does not care.
 */
#ifndef BRACE_ERR_H
#define BRACE_ERR_H

#define ERR_LEN 256

/* Format a message into err (ERR_LEN bytes); truncates safely; NULL err is ignored. */
void err_set(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix an existing message in err with more context: "ctx: old message". */
void err_prefix(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
