/*
 * reader.c - see reader.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/err.h"
#include "logs/reader.h"

#define READER_CARRY_MAX ((size_t)1 << 30)

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
	buf_init(&r->carry, READER_CARRY_MAX);
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
	if (S_ISREG(st.st_mode) && st.st_size > 0 &&
	    pread(r->fd, magic, 2, 0) == 2 && !(magic[0] == 0x1f && magic[1] == 0x8b)) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, r->fd, 0);

		if (m != MAP_FAILED) {
			madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL | MADV_WILLNEED);
			r->map = m;
			r->map_len = (size_t)st.st_size;
			return 0;
		}
	}
	if (S_ISREG(st.st_mode) && st.st_size == 0)
		return 0;	/* nothing to read; gzdopen would do, but keep it simple */
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
	if (r->map != NULL)
		munmap((void *)r->map, r->map_len);
	r->map = NULL;
	if (r->gz != NULL)
		gzclose(r->gz);
	r->gz = NULL;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	buf_release(&r->carry);
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
		int e;

		got = gzread(r->gz, r->carry.data + r->carry.len, (unsigned)n);
		if (got < 0) {
			const char *msg = gzerror(r->gz, &e);

			err_set(err, "%s: %s", r->path, e == Z_ERRNO ? strerror(errno) : msg);
			return -1;
		}
	} else if (r->fd >= 0) {
		do
			got = read(r->fd, r->carry.data + r->carry.len, n);
		while (got < 0 && errno == EINTR);
		if (got < 0) {
			err_set(err, "%s: %s", r->path, strerror(errno));
			return -1;
		}
		r->off += got;
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
	if (r->map != NULL) {
		*data = r->map;
		*len = r->map_len < want ? r->map_len : want;
		return 0;
	}
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

ssize_t
reader_next(struct reader *r, size_t want, const char **data, char **owned, char *err)
{
	size_t n;

	*owned = NULL;
	if (r->map != NULL) {
		const char *p = r->map + r->map_off;

		n = r->map_len - r->map_off;

		if (n > want) {
			const char *nl = memrchr(p, '\n', want);

			n = nl ? (size_t)(nl + 1 - p) : want;
			if (nl == NULL) {
				/* a line longer than want: hand it whole, the parser cuts it */
				const char *e = memchr(p + want, '\n', r->map_len - r->map_off - want);

				n = e ? (size_t)(e + 1 - p) : r->map_len - r->map_off;
			}
		}
		*data = p;
		r->map_off += n;
		return (ssize_t)n;
	}
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
				*owned = malloc(n + 1);
				if (*owned == NULL) {
					err_set(err, "out of memory");
					return -1;
				}
				memcpy(*owned, r->carry.data, n);
				(*owned)[n] = '\n';
				buf_consume(&r->carry, n);
				r->skipping = 1;
				skip_cut(r);
				*data = *owned;
				return (ssize_t)(n + 1);
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
	*owned = malloc(n + 1);
	if (*owned == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	memcpy(*owned, r->carry.data, n);
	(*owned)[n] = '\0';
	buf_consume(&r->carry, n);
	*data = *owned;
	return (ssize_t)n;
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
