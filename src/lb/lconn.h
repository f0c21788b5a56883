/*
 * lconn.h - the part of every socket the event loop knows about.
 *
 * Listening sockets, client connections, server connections and a worker's
 * wake-up eventfd all start with a struct lconn, so one epoll event pointer
 * leads to any of them (worker.c dispatches on the type). Sockets are
 * registered once, edge-triggered for both directions: `ready` records the
 * directions an edge said were ready and that no EAGAIN has taken back since,
 * so reads and writes are tried first and waited for only after EAGAIN.
 */
#ifndef BRACE_LB_LCONN_H
#define BRACE_LB_LCONN_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

enum lconn_type { LC_LISTENER = 1, LC_CLIENT, LC_SERVER, LC_WAKE };

#define RD_IN   0x01    /* readable (edge seen, no EAGAIN since) */
#define RD_OUT  0x02    /* writable */
#define RD_HUP  0x04    /* peer closed or error reported by epoll */

struct ssl_st;

struct lconn {
	int fd;
	uint8_t type;           /* enum lconn_type */
	uint8_t ready;          /* RD_* */
	uint8_t tls;            /* the TLS session's state bits (tls.c) */
	struct ssl_st *ssl;     /* the TLS session; NULL for plaintext */
};

/*
 * Write iov to c if it is writable (through its TLS session if it has one): bytes written, 0 when it must wait (the
 * socket is full; RD_OUT is cleared and the next edge says when), -1 on an
 * error (errno set). A short write also clears RD_OUT. EINTR is retried.
 */
ssize_t lconn_writev(struct lconn *c, const struct iovec *iov, int cnt);

#endif
