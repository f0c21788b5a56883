/*
 * reader.c - see reader.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/err.h"
#include "logs/reader.h"


int
reader_open(struct reader *r, const char *path, int follow, size_t max_line, char *err)
{
	struct stat st;
	unsigned char magic[2];

	memset(r, 0, sizeof(*r));
	r->path = path;
	r->follow = follow;
	r->max_line = max_line;
	r->fd = -1;
	buf_init(&r->carry, READER_BUF_MAX);
	if (strcmp(path, "-") == 0) {
		r->fd = dup(0);
		if (r->fd < 0) {
			err_set(err, "standard input: %s", strerror(errno));
			return -1;
		}
		r->follow = 0;
	} else if ((r->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		err_set(err, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(r->fd, &st) < 0) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		err_set(err, "%s is a directory", path);
		goto fail;
	}
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	if (r->follow)
		return 0;
	if (S_ISREG(st.st_mode)) {
		r->size = (uint64_t)st.st_size;
		if (st.st_size == 0 || pread(r->fd, magic, 2, 0) != 2 ||
		    !(magic[0] == 0x1f && magic[1] == 0x8b)) {
			r->regular = 1;
			posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
			return 0;
		}
	}
	r->gz = gzdopen(dup(r->fd), "rb");
	if (r->gz == NULL) {
		err_set(err, "%s: cannot start reading", path);
		goto fail;
	}
	gzbuffer(r->gz, 256 * 1024);
	return 0;
fail:
	close(r->fd);
	r->fd = -1;
	return -1;
}

void
reader_close(struct reader *r)
{
	if (r->gz != NULL)
		gzclose(r->gz);
	r->gz = NULL;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	buf_release(&r->carry);
}

/* What was read before an error, for its message. */
static void
gz_fail(struct reader *r, const char *what, const char *why, char *err)
{
	uint64_t lines = r->lines;

	for (const char *p = r->carry.data, *e = p + r->carry.len;
	    p != NULL && (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
		lines++;
	err_set(err, "%s: %s gzip data (%s): %llu lines (%llu bytes) could be read before it", r->path,
	    what, why, (unsigned long long)lines, (unsigned long long)(r->handed + r->carry.len));
}

/*
 * The reason zlib gives, without the "<fd:N>: " it puts in front of it (the
 * stream was opened from a descriptor; the message names the path itself).
 */
static const char *
gz_reason(const char *msg)
{
	const char *p;

	if (strncmp(msg, "<fd:", 4) == 0 && (p = strstr(msg, ": ")) != NULL)
		return p + 2;
	return msg;
}

/* Read up to n bytes from the gzip stream; 0 at its clean end, -1. */
static ssize_t
gz_fill(struct reader *r, size_t n, char *err)
{
	int e;
	int got = gzread(r->gz, r->carry.data + r->carry.len, (unsigned)n);

	if (got < 0) {
		const char *msg = gzerror(r->gz, &e);

		if (e == Z_ERRNO)
			err_set(err, "%s: %s", r->path, strerror(errno));
		else
			gz_fail(r, "corrupt", gz_reason(msg), err);
		return -1;
	}
	if (got == 0) {
		/* a stream cut inside a member ends with Z_BUF_ERROR, not an error */
		gzerror(r->gz, &e);
		if (e == Z_BUF_ERROR) {
			gz_fail(r, "truncated", "it ends inside a compressed member", err);
			return -1;
		}
		if (e != Z_OK) {
			gz_fail(r, "corrupt", gz_reason(gzerror(r->gz, &e)), err);
			return -1;
		}
	}
	return got;
}

/* Append up to n new bytes to carry; returns bytes read, 0 at EOF, -1. */
static ssize_t
fill(struct reader *r, size_t n, char *err)
{
	ssize_t got;

	if (buf_reserve(&r->carry, n) < 0) {
		err_set(err, "%s: out of memory", r->path);
		return -1;
	}
	if (r->gz != NULL) {
		if ((got = gz_fill(r, n, err)) < 0)
			return -1;
	} else if (r->fd >= 0) {
		do
			got = read(r->fd, r->carry.data + r->carry.len, n);
		while (got < 0 && errno == EINTR);
		if (got < 0) {
			err_set(err, "%s: %s", r->path, strerror(errno));
			return -1;
		}
		r->off += got;
		if (got == 0 && r->regular && (uint64_t)r->off < r->size)
			r->shrank = 1;
	} else {
		got = 0;
	}
	r->carry.len += (size_t)got;
	r->carry.data[r->carry.len] = '\0';
	return got;
}

int
reader_peek(struct reader *r, size_t want, const char **data, size_t *len, char *err)
{
	while (r->carry.len < want && !r->eof) {
		ssize_t got = fill(r, want - r->carry.len, err);

		if (got < 0)
			return -1;
		if (got == 0) {
			if (!r->follow)
				r->eof = 1;
			break;
		}
	}
	*data = buf_str(&r->carry);
	*len = r->carry.len;
	return 0;
}

/* Drop the rest of a cut line from the front of carry; 1 while still inside it. */
static int
skip_cut(struct reader *r)
{
	char *nl;

	if (!r->skipping)
		return 0;
	nl = memchr(r->carry.data, '\n', r->carry.len);
	if (nl == NULL) {
		buf_reset(&r->carry);
		return 1;
	}
	buf_consume(&r->carry, (size_t)(nl + 1 - r->carry.data));
	r->skipping = 0;
	return 0;
}

/* Swap the memory of two buffers, each keeping its own cap. */
static void
swap_bufs(struct buf *a, struct buf *b)
{
	struct buf t = *a;

	a->data = b->data;
	a->len = b->len;
	a->cap = b->cap;
	b->data = t.data;
	b->len = t.len;
	b->cap = t.cap;
}

ssize_t
reader_next(struct reader *r, size_t want, struct buf *out, char *err)
{
	size_t n;

	buf_reset(out);
	for (;;) {
		char *nl;

		if (r->carry.len > 0 && !skip_cut(r) && r->carry.len > 0) {
			nl = memrchr(r->carry.data, '\n', r->carry.len);
			if (nl != NULL && (r->carry.len >= want || r->eof || r->follow)) {
				n = (size_t)(nl + 1 - r->carry.data);
				goto hand_out;
			}
			if (nl == NULL && r->carry.len > r->max_line) {
				/* cut an overlong line to max_line + 1 bytes, skip its rest */
				n = r->max_line + 1;
				if (buf_append(out, r->carry.data, n) < 0 || buf_putc(out, '\n') < 0) {
					err_set(err, "out of memory");
					return -1;
				}
				buf_consume(&r->carry, n);
				r->skipping = 1;
				skip_cut(r);
				r->handed += n;
				r->lines++;
				return (ssize_t)out->len;
			}
			if (r->eof) {
				n = r->carry.len;
				goto hand_out;
			}
		}
		if (r->eof)
			return 0;
		{
			ssize_t got = fill(r, want > r->carry.len ? want - r->carry.len : 65536, err);

			if (got < 0)
				return -1;
			if (got == 0) {
				if (r->follow) {
					if (r->carry.len > 0 && memchr(r->carry.data, '\n', r->carry.len))
						continue;
					return 0;
				}
				r->eof = 1;
			}
		}
	}
hand_out:
	/*
	 * Hand out carry's memory and make out's the new carry, holding what
	 * follows the last line: one small copy instead of the whole block.
	 */
	if (n < r->carry.len && buf_append(out, r->carry.data + n, r->carry.len - n) < 0) {
		err_set(err, "out of memory");
		return -1;
	}
	swap_bufs(&r->carry, out);
	out->len = n;
	out->data[n] = '\0';
	r->handed += n;
	if (r->gz != NULL)
		for (const char *p = out->data; (p = memchr(p, '\n', (size_t)(out->data + n - p))) != NULL; p++)
			r->lines++;
	return (ssize_t)n;
}

/* pread n bytes at off into p (fewer only at the end of the file); -1. */
static ssize_t
pread_all(int fd, char *p, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(fd, p + got, n - got, (off_t)(off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

ssize_t
reader_range(const struct reader *r, uint64_t start, uint64_t end, struct buf *out,
    const char **lines, uint64_t *ended_at, char *err)
{
	uint64_t from = start > 0 ? start - 1 : 0;	/* the byte before tells a line start */
	size_t want = (size_t)(end - from), first = 0, line;
	ssize_t got;
	const char *nl;

	buf_reset(out);
	*lines = "";
	if (end <= start)
		return 0;
	if (buf_reserve(out, want) < 0)
		goto oom;
	if ((got = pread_all(r->fd, out->data, want, from)) < 0)
		goto ioerr;
	out->len = (size_t)got;
	if ((size_t)got < want && from + (uint64_t)got < *ended_at)
		*ended_at = from + (uint64_t)got;
	if (start > 0) {
		if ((nl = memchr(out->data, '\n', out->len)) == NULL)
			return 0;
		first = (size_t)(nl + 1 - out->data);
	}
	if (first >= out->len)
		return 0;
	/* the last line: read on to its end, or cut it */
	nl = memrchr(out->data + first, '\n', out->len - first);
	line = nl != NULL ? (size_t)(nl + 1 - out->data) : first;
	if ((size_t)got == want && out->data[out->len - 1] != '\n') {
		for (;;) {
			size_t room = 65536, seen = out->len;

			if (out->len - line > r->max_line) {
				/* cut it as reader_next does: max_line + 1 bytes and a '\n' */
				out->len = line + r->max_line + 1;
				if (buf_putc(out, '\n') < 0)
					goto oom;
				break;
			}
			if (out->len - line + room > r->max_line + 1)
				room = r->max_line + 1 - (out->len - line);
			if (buf_reserve(out, room) < 0)
				goto oom;
			if ((got = pread_all(r->fd, out->data + out->len, room, from + out->len)) < 0)
				goto ioerr;
			out->len += (size_t)got;
			if ((nl = memchr(out->data + seen, '\n', out->len - seen)) != NULL) {
				out->len = (size_t)(nl + 1 - out->data);
				break;
			}
			if (got == 0)
				break;	/* the file ends without a '\n' */
		}
	}
	out->data[out->len] = '\0';
	*lines = out->data + first;
	return (ssize_t)(out->len - first);
oom:
	err_set(err, "%s: out of memory", r->path);
	return -1;
ioerr:
	err_set(err, "%s: %s", r->path, strerror(errno));
	return -1;
}

int
reader_follow_poll(struct reader *r, char *err)
{
	struct stat st;
	int fd;

	if (!r->follow)
		return 0;
	if (stat(r->path, &st) < 0)
		return 0;	/* rotated away and not recreated yet */
	if (st.st_ino != r->ino || st.st_dev != r->dev) {
		/* the caller has drained the old file (reads returned 0) */
		if ((fd = open(r->path, O_RDONLY | O_CLOEXEC)) < 0)
			return 0;
		close(r->fd);
		r->fd = fd;
		r->ino = st.st_ino;
		r->dev = st.st_dev;
		r->off = 0;
		r->skipping = 0;
		r->rotations++;
		return 1;
	}
	if (st.st_size < r->off) {
		if (lseek(r->fd, 0, SEEK_SET) < 0) {
			err_set(err, "%s: %s", r->path, strerror(errno));
			return -1;
		}
		r->off = 0;
		buf_reset(&r->carry);
		r->skipping = 0;
		r->truncations++;
		return 1;
	}
	return 0;
}
