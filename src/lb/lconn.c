/*
 * lconn.c - see lconn.h.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lb/lconn.h"
#include "lb/tls.h"

ssize_t
lconn_read(struct lconn *c, char *p, size_t n)
{
	ssize_t r;

	if (c->ssl != NULL)
		return n == 0 ? 0 : tls_read(c, p, n);
	if (!(c->ready & RD_IN) || n == 0)
		return 0;
	do
		r = read(c->fd, p, n);
	while (r < 0 && errno == EINTR);
	if (r > 0) {
		if ((size_t)r < n && !(c->ready & RD_HUP))
			c->ready &= (uint8_t)~RD_IN;
		return r;
	}
	c->ready &= (uint8_t)~RD_IN;
	if (r == 0) {
		errno = 0;
		return -1;
	}
	return errno == EAGAIN ? 0 : -1;
}

ssize_t
lconn_writev(struct lconn *c, const struct iovec *iov, int cnt)
{
	size_t total = 0;
	ssize_t n;

	if (!(c->ready & RD_OUT))
		return 0;
	if (c->ssl != NULL)
		return tls_writev(c, iov, cnt);
	for (int i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	if (total == 0)
		return 0;
	do
		n = writev(c->fd, iov, cnt);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN)
			return -1;
		n = 0;
	}
	if ((size_t)n < total)
		c->ready &= (uint8_t)~RD_OUT;
	return n;
}
