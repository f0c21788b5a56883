/*
 * buf.h - a growable byte buffer with a hard cap.
 *
 * Every buffer that grows from outside input has a limit set at init time
 * (as curl's dynbuf does): an append that would pass it fails with
 * errno = ENOBUFS and leaves the buffer as it was, so a hostile or broken
 * input turns into a clear error instead of an out-of-memory kill.
 * The content is always NUL-terminated (not counted in len) so it can be
 * handed to C string functions.
 */
#ifndef BRACE_BUF_H
#define BRACE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;     /* NULL until the first append */
	size_t len;     /* bytes in use */
	size_t cap;     /* bytes allocated (excluding the terminating NUL) */
	size_t max;     /* hard cap on len */
};

#define BUF_INIT(maxlen) { NULL, 0, 0, (maxlen) }

void buf_init(struct buf *b, size_t max);
/* Free the contents; the buffer can be reused afterwards with the same cap. */
void buf_release(struct buf *b);
/* Forget the contents but keep the memory. */
void buf_reset(struct buf *b);
/* Cut the contents back to their first n bytes (n <= len): undo appends. */
void buf_truncate(struct buf *b, size_t n);
/* Make room for extra more bytes. -1 with errno ENOBUFS past the cap, ENOMEM. */
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Drop the first n bytes (n <= len), moving the rest to the front. */
void buf_consume(struct buf *b, size_t n);
/* The contents as a C string ("" for an empty buffer); valid until the next change. */
const char *buf_str(const struct buf *b);
/* Take ownership of the allocated string; the buffer is left empty. NULL if empty. */
char *buf_detach(struct buf *b);

#endif
