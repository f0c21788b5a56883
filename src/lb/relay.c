/*
 * relay.c - bytes both ways: TCP mode, and HTTP after a 101 (WebSocket).
 *
 * Each direction has one buffer; a side is read only while its buffer has
 * room, so a slow reader slows the writer down instead of growing memory.
 * A FIN is passed on once what came before it is written (half-close), and
 * the stream ends when both directions are closed. Empty buffers go back to
 * the pool, so an idle database session through the balancer holds none.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lb/lbuf.h"
#include "lb/relay.h"
#include "lb/sconn.h"
#include "lb/stream.h"
#include "lb/tls.h"
#include "lb/worker.h"

/* Write what b holds to c: bytes written, 0 if it must wait, -1 on error. */
static ssize_t
relay_write(struct lconn *c, struct lbuf *b)
{
	struct iovec iov;
	ssize_t n;

	if (b == NULL || lbuf_len(b) == 0)
		return 0;
	iov.iov_base = lbuf_rptr(b);
	iov.iov_len = lbuf_len(b);
	if ((n = lconn_writev(c, &iov, 1)) > 0)
		b->head += (uint32_t)n;
	return n;
}

void
relay_run(struct stream *s)
{
	struct worker *w = s->w;
	struct sconn *sc = s->sc;
	int moved = 0, progress;

	if (sc == NULL || sc->connecting)
		return;
	do {
		ssize_t n;

		progress = 0;
		/* A 101 head (or anything we owe the client) goes first. */
		if ((n = relay_write(&s->cli, s->hs)) < 0)
			goto gone;
		progress |= n > 0;
		lbuf_drop_empty(&w->bufs, &s->hs);

		if (stream_cli_read(s) > 0)
			progress = 1;
		if ((n = relay_write(&sc->c, s->rq)) < 0)
			goto gone;
		progress |= n > 0;
		if ((s->flags & SF_CLI_EOF) && (s->rq == NULL || lbuf_len(s->rq) == 0) &&
		    !(s->flags & SF_SHUT_SRV)) {
			tls_shutdown(&sc->c);
			shutdown(sc->c.fd, SHUT_WR);
			s->flags |= SF_SHUT_SRV;
		}

		if (s->hs == NULL) {
			if (stream_srv_read(s) > 0)
				progress = 1;
			if ((n = relay_write(&s->cli, s->rs)) < 0)
				goto gone;
			progress |= n > 0;
			if ((s->flags & SF_SRV_EOF) && (s->rs == NULL || lbuf_len(s->rs) == 0) &&
			    !(s->flags & SF_SHUT_CLI)) {
				tls_shutdown(&s->cli);
				shutdown(s->cli.fd, SHUT_WR);
				s->flags |= SF_SHUT_CLI;
			}
		}
		moved |= progress;
	} while (progress);

	if ((s->flags & (SF_SHUT_SRV | SF_SHUT_CLI)) == (SF_SHUT_SRV | SF_SHUT_CLI)) {
		stream_free(s);
		return;
	}
	lbuf_drop_empty(&w->bufs, &s->rq);
	lbuf_drop_empty(&w->bufs, &s->rs);
	if (moved || !timer_armed(&s->tmr))
		timer_arm(&s->tmr, &stream_fet(s)->tunnel, w->now);
	return;
gone:
	stream_free(s);
}
