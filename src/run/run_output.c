/*
 * run_output.c - see run_output.h.
 *
 * Held output is a sequence of frames: one byte for the stream, four bytes
 * of length (host order; the frames never leave this process), then the
 * bytes. The frames live in a capped struct buf until it is full, then move
 * to a temporary file, so a chatty job costs a bounded amount of memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "run/run_output.h"

#define FRAME_HDR 5

struct run_output {
	int hold;
	int fd[3];              /* [RUN_STDOUT], [RUN_STDERR] */
	int broken[3];          /* passing through to this stream failed */
	struct buf mem;         /* held frames, until they outgrow mem_cap */
	int tmp_fd;             /* held frames after that; -1 until needed */
	uint64_t file_len, file_cap;
	int full;               /* a chunk was dropped: keep no later ones either */
	uint64_t dropped;
	uint64_t total;
	char ring[RUN_OUTPUT_TAIL];
	unsigned char stream[RUN_OUTPUT_TAIL];  /* each ring byte's stream */
};

run_output *
run_output_new(int hold, int out_fd, int err_fd, size_t mem_cap, uint64_t file_cap,
    char *err)
{
	run_output *o = calloc(1, sizeof(*o));

	if (o == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	o->hold = hold;
	o->fd[RUN_STDOUT] = out_fd;
	o->fd[RUN_STDERR] = err_fd;
	buf_init(&o->mem, mem_cap);
	o->tmp_fd = -1;
	o->file_cap = file_cap;
	return o;
}

void
run_output_free(run_output *o)
{
	if (o == NULL)
		return;
	buf_release(&o->mem);
	if (o->tmp_fd >= 0)
		close(o->tmp_fd);
	free(o);
}

/* Write everything, waiting on a non-blocking descriptor. 0 / -1 with errno. */
static int
write_all(int fd, const char *p, size_t n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EAGAIN) {
			poll(&pfd, 1, 1000);
		} else if (w < 0 && errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

static void
ring_add(run_output *o, enum run_stream stream, const char *p, size_t n)
{
	size_t pos, first;

	if (n >= RUN_OUTPUT_TAIL) {
		p += n - RUN_OUTPUT_TAIL;
		o->total += n - RUN_OUTPUT_TAIL;
		n = RUN_OUTPUT_TAIL;
	}
	pos = (size_t)(o->total % RUN_OUTPUT_TAIL);
	first = RUN_OUTPUT_TAIL - pos < n ? RUN_OUTPUT_TAIL - pos : n;
	memcpy(o->ring + pos, p, first);
	memcpy(o->ring, p + first, n - first);
	memset(o->stream + pos, stream, first);
	memset(o->stream, stream, n - first);
	o->total += n;
}

static int
open_tmp(char *err)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* File systems without O_TMPFILE: create, then unlink at once. */
	snprintf(path, sizeof(path), "%s/brace-run-XXXXXX", dir);
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0) {
		err_set(err, "cannot create a temporary file in %s: %s", dir, strerror(errno));
		return -1;
	}
	unlink(path);
	return fd;
}

/* Move the held frames from memory to a new temporary file. */
static int
spill(run_output *o, char *err)
{
	if ((o->tmp_fd = open_tmp(err)) < 0)
		return -1;
	if (write_all(o->tmp_fd, o->mem.data, o->mem.len) < 0) {
		err_set(err, "cannot write held output to a temporary file: %s", strerror(errno));
		return -1;
	}
	o->file_len = o->mem.len;
	buf_release(&o->mem);
	return 0;
}

static int
hold_chunk(run_output *o, enum run_stream stream, const char *p, size_t n, char *err)
{
	unsigned char hdr[FRAME_HDR];
	uint32_t len = (uint32_t)n;

	hdr[0] = (unsigned char)stream;
	memcpy(hdr + 1, &len, sizeof(len));
	if (o->full)
		goto drop;
	if (o->tmp_fd < 0) {
		if (o->mem.len + FRAME_HDR + n <= o->mem.max) {
			buf_append(&o->mem, hdr, FRAME_HDR);
			buf_append(&o->mem, p, n);
			return 0;
		}
		if (spill(o, err) < 0)
			goto drop_err;
	}
	if (o->file_len + FRAME_HDR + n > o->file_cap)
		goto drop;
	if (write_all(o->tmp_fd, (const char *)hdr, FRAME_HDR) < 0 ||
	    write_all(o->tmp_fd, p, n) < 0) {
		err_set(err, "cannot write held output to a temporary file: %s", strerror(errno));
		goto drop_err;
	}
	o->file_len += FRAME_HDR + n;
	return 0;
drop_err:
	o->full = 1;
	o->dropped += n;
	return -1;
drop:
	o->full = 1;
	o->dropped += n;
	return 0;
}

int
run_output_add(run_output *o, enum run_stream stream, const char *p, size_t n, char *err)
{
	if (n == 0)
		return 0;
	ring_add(o, stream, p, n);
	if (o->hold) {
		/* Frames stay small enough for replay_file()'s window. */
		for (size_t off = 0; off < n; off += RUN_OUTPUT_TAIL) {
			size_t k = n - off < RUN_OUTPUT_TAIL ? n - off : RUN_OUTPUT_TAIL;

			if (hold_chunk(o, stream, p + off, k, err) < 0)
				return -1;
		}
		return 0;
	}
	if (!o->broken[stream] && write_all(o->fd[stream], p, n) < 0)
		o->broken[stream] = 1;
	return 0;
}

/* Write the frames held in p[0..n) to their streams. */
static int
replay_frames(run_output *o, const char *p, size_t n, size_t *used)
{
	size_t off = 0;
	uint32_t len;

	while (n - off >= FRAME_HDR) {
		memcpy(&len, p + off + 1, sizeof(len));
		if (n - off - FRAME_HDR < len)
			break;
		if (write_all(o->fd[(unsigned char)p[off] == RUN_STDERR ? RUN_STDERR : RUN_STDOUT],
		    p + off + FRAME_HDR, len) < 0)
			return -1;
		off += FRAME_HDR + len;
	}
	*used = off;
	return 0;
}

/* The file is read back in pieces that always hold at least one whole frame. */
static int
replay_file(run_output *o, char *err)
{
	size_t size = RUN_OUTPUT_TAIL * 2 + FRAME_HDR, have = 0, used;
	char *chunk = malloc(size);
	uint64_t off = 0;
	ssize_t r;
	int rc = -1;

	if (chunk == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	while (off < o->file_len || have > 0) {
		r = 0;
		if (off < o->file_len) {
			r = pread(o->tmp_fd, chunk + have, size - have, (off_t)off);
			if (r < 0) {
				err_set(err, "cannot read held output back: %s", strerror(errno));
				goto out;
			}
		}
		if (r == 0 && have == 0)
			break;
		off += (uint64_t)r;
		have += (size_t)r;
		if (replay_frames(o, chunk, have, &used) < 0) {
			err_set(err, "cannot write output: %s", strerror(errno));
			goto out;
		}
		if (used == 0 && r == 0)
			break;	/* a torn frame at the end: nothing more to do */
		memmove(chunk, chunk + used, have - used);
		have -= used;
	}
	rc = 0;
out:
	free(chunk);
	return rc;
}

/*
 * Write the last n bytes of the tail to their own streams, each run of bytes
 * of one stream in one write, in the order they came.
 */
static int
replay_tail_part(run_output *o, size_t n)
{
	size_t have = o->total < RUN_OUTPUT_TAIL ? (size_t)o->total : RUN_OUTPUT_TAIL;
	size_t end = (size_t)(o->total % RUN_OUTPUT_TAIL), at, run;

	if (n > have)
		n = have;
	at = (end + RUN_OUTPUT_TAIL - n) % RUN_OUTPUT_TAIL;
	while (n > 0) {
		unsigned char s = o->stream[at];

		/* A run stops at the ring's end or where the stream changes. */
		for (run = 1; run < n && at + run < RUN_OUTPUT_TAIL && o->stream[at + run] == s; run++)
			;
		if (write_all(o->fd[s == RUN_STDERR ? RUN_STDERR : RUN_STDOUT], o->ring + at, run) < 0)
			return -1;
		n -= run;
		at = (at + run) % RUN_OUTPUT_TAIL;
	}
	return 0;
}

/* After drops: the part of the tail past what was held, with a note of any gap. */
static int
replay_dropped_tail(run_output *o, char *err)
{
	size_t have = o->total < RUN_OUTPUT_TAIL ? (size_t)o->total : RUN_OUTPUT_TAIL;
	char note[160];

	if (o->dropped > have) {
		snprintf(note, sizeof(note), "[brace run: %" PRIu64 " bytes of output were not "
		    "kept; the last %zu follow]\n", o->dropped - have, have);
		write_all(o->fd[RUN_STDERR], note, strlen(note));
	}
	if (replay_tail_part(o, o->dropped < have ? (size_t)o->dropped : have) < 0) {
		err_set(err, "cannot write output: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
run_output_replay(run_output *o, char *err)
{
	size_t used;

	if (o->tmp_fd >= 0) {
		if (replay_file(o, err) < 0)
			return -1;
	} else if (o->mem.len > 0 && replay_frames(o, o->mem.data, o->mem.len, &used) < 0) {
		err_set(err, "cannot write output: %s", strerror(errno));
		return -1;
	}
	if (o->dropped > 0 && o->total > 0)
		return replay_dropped_tail(o, err);
	return 0;
}

int
run_output_tail(const run_output *o, struct buf *out)
{
	size_t pos = (size_t)(o->total % RUN_OUTPUT_TAIL);

	if (o->total < RUN_OUTPUT_TAIL)
		return buf_append(out, o->ring, (size_t)o->total);
	if (buf_append(out, o->ring + pos, RUN_OUTPUT_TAIL - pos) < 0)
		return -1;
	return buf_append(out, o->ring, pos);
}

uint64_t
run_output_total(const run_output *o)
{
	return o->total;
}

uint64_t
run_output_dropped(const run_output *o)
{
	return o->dropped;
}

void
run_output_reset(run_output *o)
{
	buf_reset(&o->mem);
	if (o->tmp_fd >= 0) {
		close(o->tmp_fd);
		o->tmp_fd = -1;
	}
	o->file_len = 0;
	o->full = 0;
	o->dropped = 0;
	o->total = 0;
	o->broken[RUN_STDOUT] = o->broken[RUN_STDERR] = 0;
}
