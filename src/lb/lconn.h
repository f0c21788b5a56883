/*
 * lconn.h - the part of every socket the event loop knows about.
 *
 * Listening sockets, client connections, server connections and a worker's
 * wake-up eventfd all start with a struct lconn, so one epoll event pointer
 * leads to any of them (worker.c dispatches on the type). Sockets are
 * registered once, edge-triggered for both directions: `ready` records the
 * directions an edge said were ready and that no EAGAIN has taken back since,
 * so reads and writes are tried first and waited for only after EAGAIN.
 *
 * The transport seam. The proxy moves a connection's bytes in one of two
 * ways: through buffers, with lconn_read() and lconn_writev(), or without
 * copying them, with splice(2) through a pipe (lpipe.h), which only a
 * plaintext socket allows (lconn_can_splice()). Everything that decrypts or
 * encrypts belongs behind these three: a TLS connection reads and writes
 * with SSL_read/SSL_write inside lconn_read/lconn_writev and answers 0 to
 * lconn_can_splice(), and the proxy then keeps its bodies in buffers.
 */
#ifndef BRACE_LB_LCONN_H
#define BRACE_LB_LCONN_H

#include <stddef.h>
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
 * Read up to n bytes from c into p if it is readable: bytes read, 0 when it
 * must wait (RD_IN is cleared and the next edge says when), -1 at the end of
 * the stream (errno 0) or on an error (errno set); RD_IN is cleared then too.
 * A read shorter than n drained the socket and clears RD_IN, unless the
 * peer's FIN came with the edge (no other edge would follow: read on until
 * the end is seen). EINTR is retried. A TLS connection reads its plaintext
 * through its session (tls_read()), with the same answers; bytes OpenSSL
 * already holds are read whatever RD_IN says.
 */
ssize_t lconn_read(struct lconn *c, char *p, size_t n);
/*
 * Write iov to c if it is writable: bytes written, 0 when it must wait (the
 * socket is full; RD_OUT is cleared and the next edge says when), -1 on an
 * error (errno set). A short write also clears RD_OUT. EINTR is retried.
 * A TLS connection writes through its session (tls_writev()).
 */
ssize_t lconn_writev(struct lconn *c, const struct iovec *iov, int cnt);
/*
 * May c's bytes be moved by splice(2)? 1 for a plaintext socket; never for
 * a TLS connection, whose bytes on the wire are not its plaintext.
 */
static inline int
lconn_can_splice(const struct lconn *c)
{
	return c->ssl == NULL && (c->type == LC_CLIENT || c->type == LC_SERVER);
}

#endif
