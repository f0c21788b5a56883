/*
 * reader.h - where lines come from: files, .gz files, standard input, and
 * files followed like tail -F.
 *
 * A regular uncompressed file is read with read(2); everything else goes
 * through zlib's gzread, which reads gzip and plain data alike (so "-" may
 * be either). Files are not mapped: a mapping dies with SIGBUS when the
 * file is truncated under it (logrotate's copytruncate), while read(2) only
 * ends early. A regular file that ends before the size it had when opened
 * is noted (shrank), so the caller can say so. A gzip stream that ends
 * inside a member is "truncated", one that does not inflate is "corrupt":
 * both are errors naming the file and how much was read. Data is handed
 * out in chunks of whole lines; a line longer than max_line is cut to
 * max_line + 1 bytes (the parser notes the cut) and the rest of it is
 * skipped, so one endless line cannot exhaust memory.
 *
 * Following (reader_follow_poll) re-reads the path: a new inode means the
 * file was rotated (the old one is read to its end first, then the new one
 * from its start), a size below the read offset means it was truncated
 * (read again from the start).
 */
#ifndef BRACE_LOGS_READER_H
#define BRACE_LOGS_READER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"

struct reader {
	const char *path;       /* "-" = standard input */
	int fd;
	void *gz;               /* gzFile, or NULL */
	uint64_t size;          /* a regular file's size when opened, else 0 */
	int regular;            /* a regular file (not following) */
	int shrank;             /* it ended before size: truncated while read */
	uint64_t handed;        /* bytes handed out so far */
	uint64_t lines;         /* lines handed out so far (gzip inputs only) */
	int follow;
	dev_t dev;
	ino_t ino;
	off_t off;              /* bytes read from fd (follow mode) */
	struct buf carry;       /* buffered bytes not handed out yet */
	size_t max_line;
	int skipping;           /* inside the rest of a cut line */
	int eof;
	uint64_t rotations, truncations;
};

/* Open path ("-" for stdin). follow: no mapping, keep reading at EOF. */
int reader_open(struct reader *r, const char *path, int follow, size_t max_line, char *err);
void reader_close(struct reader *r);

/*
 * Up to want bytes of whole lines (more when one line is longer) into out,
 * which is reset first and whose memory is reused (the reader may swap it
 * with its own buffer: give each call a buffer of the caller's, with a cap
 * of at least want plus the longest line). Returns out->len; 0 at the end
 * (or, when following, when nothing new is there yet); -1 with err on
 * errors, among them truncated or corrupt gzip data. A final line without
 * '\n' is handed out at the end of input (not while following, where the
 * writer may still be writing it).
 */
ssize_t reader_next(struct reader *r, size_t want, struct buf *out, char *err);

/* A cap for the buffers given to reader_next(). */
#define READER_BUF_MAX ((size_t)1 << 30)

/* Bytes at the start of the input, for format detection (up to want). */
int reader_peek(struct reader *r, size_t want, const char **data, size_t *len, char *err);

/*
 * Reading a regular file (r->regular) in ranges, several threads at once
 * (pread(2) only; r is not changed): the whole lines that start in
 * [start, end) go to out (reset first, memory reused) and *lines points at
 * the first of them ("" when there are none). A line that starts before
 * start belongs to the range before; the last line is read past end to
 * its '\n', and like reader_next's, a line longer than max_line is cut to
 * max_line + 1 bytes. Every line of the file is in exactly one of the
 * ranges that tile it. Returns the bytes of lines (0: no line starts in
 * the range); when the file ends before end (it shrank), *ended_at is
 * lowered to where it ended (the least over all ranges is its length),
 * else left alone. -1 with err on a read error or out of memory.
 */
ssize_t reader_range(const struct reader *r, uint64_t start, uint64_t end, struct buf *out,
    const char **lines, uint64_t *ended_at, char *err);

/* Follow mode: check for rotation/truncation. 1 if reopened/rewound, 0, -1. */
int reader_follow_poll(struct reader *r, char *err);

#endif
