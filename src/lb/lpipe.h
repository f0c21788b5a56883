/*
 * lpipe.h - pipes for moving body bytes from socket to socket with
 * splice(2), and the workers' pools of them.
 *
 * A large plaintext body goes from one socket into a pipe and from the pipe
 * into the other socket without ever being copied to user space (the kernel
 * passes page references). Each worker has its own pool (no lock): a stream
 * takes a pipe when it starts splicing and gives it back as soon as the pipe
 * is empty, so only streams with bytes in flight hold one. The pool caps
 * the pipes in use (LB_MAX_PIPES per worker: two descriptors each) and keeps
 * at most LB_FREE_PIPES of them free; when the cap is reached or pipe()
 * fails, lpipe_get() says no and the stream keeps to its buffers. After a
 * failure (out of descriptors, or a pipe the kernel would only make too
 * small: a user past pipe-user-pages-soft gets two pages), the next
 * LB_PIPE_COOLDOWN requests for a new pipe are refused without trying.
 *
 * A pipe holds at most its capacity (LB_PIPESIZE asked for, F_GETPIPE_SZ
 * believed), so a stream never has more than that in flight through it.
 */
#ifndef BRACE_LB_LPIPE_H
#define BRACE_LB_LPIPE_H

#include <stdint.h>
#include <sys/types.h>

#include "lb/lconn.h"

#define LB_PIPESIZE    (64 * 1024)     /* bytes a pipe is asked to hold */
#define LB_MAX_PIPES   64              /* pipes in use per worker */
#define LB_FREE_PIPES  16              /* free pipes a worker keeps */
#define LB_PIPE_COOLDOWN 256           /* new pipes refused after pipe() failed */
/*
 * A body starts through a pipe when at least this much of it is still to
 * come: below that, a read and a write of a buffer cost the same system
 * calls and the copy is small.
 */
#define LB_SPLICE_MIN  (16 * 1024)

struct lpipe {
	struct lpipe *next;     /* free list link */
	int fd[2];              /* read end, write end */
	uint32_t len;           /* bytes in the pipe */
	uint32_t cap;           /* what it holds at most */
	uint8_t wait_room;      /* a fill found no room: none until a flush moved some */
};

/* A worker's pipes. Zero-initialised is an empty pool that hands out none (max 0). */
struct lpipe_pool {
	struct lpipe *free;
	int nfree;
	int nused;              /* handed out, not given back */
	int max;                /* cap on nused; 0: no splicing */
	int cooldown;           /* new pipes still to refuse after a failure */
};

/* Let pp hand out up to max pipes (0: none, splicing off). */
void lpipe_pool_init(struct lpipe_pool *pp, int max);
/* An empty pipe from the pool, or a new one; NULL at the cap, or when a new one cannot be had. */
struct lpipe *lpipe_get(struct lpipe_pool *pp);
/* Give p back (kept if empty and the pool has room, else closed); p may be NULL. */
void lpipe_release(struct lpipe_pool *pp, struct lpipe *p);
/* Give *p back and set it to NULL if it holds nothing. */
void lpipe_drop_empty(struct lpipe_pool *pp, struct lpipe **p);
/* Close every free pipe of the pool (the worker is gone; none may be in use). */
void lpipe_pool_release(struct lpipe_pool *pp);

/*
 * Move up to max bytes from socket c into p: bytes moved; 0 when nothing
 * can move now; -1 at the end of the stream (errno 0) or on an error (errno
 * set), RD_IN cleared. Nothing moves while c is not readable, p is full, or
 * p->wait_room is set. EAGAIN with an empty pipe means c is drained (RD_IN
 * cleared); with bytes in the pipe it may mean the pipe is full, so c is
 * left readable and p waits for lpipe_flush() to make room (wait_room).
 */
ssize_t lpipe_fill(struct lpipe *p, struct lconn *c, size_t max);
/*
 * Move what p holds into socket c: bytes moved, 0 when c must wait (RD_OUT
 * cleared, as after a short move), -1 on an error (errno set).
 */
ssize_t lpipe_flush(struct lpipe *p, struct lconn *c);


#endif
