/*
 * lconn.c - see lconn.h.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/uio.h>

#include "lb/lconn.h"
#include "lb/tls.h"

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
