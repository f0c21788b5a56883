/*
 * sconn.c - see sconn.h.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lb/sconn.h"
#include "lb/server.h"
#include "lb/stream.h"
#include "lb/tls.h"
#include "lb/worker.h"

static void
idle_unlink(struct worker *w, struct sconn *sc)
{
	struct srv_local *sl = &w->sl[sc->srv->index];

	if (sc->iprev)
		sc->iprev->inext = sc->inext;
	else
		sl->idle = sc->inext;
	if (sc->inext)
		sc->inext->iprev = sc->iprev;
	sc->inext = sc->iprev = NULL;
	sl->nidle--;
	atomic_fetch_sub(&sc->srv->st->idle, 1);
}

void
sconn_close(struct worker *w, struct sconn *sc)
{
	if (sc->c.fd < 0)
		return;
	if (sc->s == NULL)
		idle_unlink(w, sc);
	timer_disarm(&sc->tmr);
	tls_shutdown(&sc->c);
	tls_free(&sc->c);
	close(sc->c.fd);
	sc->c.fd = -1;
	sc->s = NULL;
	sc->inext = w->dead_sconns;
	w->dead_sconns = sc;
}

void
sconn_idle_timeout(struct sconn *sc)
{
	sconn_close(sc->w, sc);
}

void
sconn_event(struct sconn *sc)
{
	if (sc->s != NULL) {
		stream_run(sc->s);
		return;
	}
	/* Idle: the server closed it, or sent something nobody asked for (TLS
	 * may send session tickets by itself: those are taken in). */
	if ((sc->c.ready & (RD_IN | RD_HUP)) && !(sc->c.ssl != NULL && !(sc->c.ready & RD_HUP) &&
	    tls_idle_ok(&sc->c)))
		sconn_close(sc->w, sc);
}

/* Is an idle connection still open? One recv(MSG_PEEK); used before risking
 * a request that must not be retried. A TLS connection with bytes waiting
 * is asked what they are. */
static int
sconn_alive(struct sconn *sc)
{
	char c;
	ssize_t n = recv(sc->c.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n > 0 && sc->c.ssl != NULL) {
		sc->c.ready |= RD_IN;
		return tls_idle_ok(&sc->c);
	}
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static void
sconn_recycle(struct worker *w, struct sconn *sc, int fd)
{
	int e = errno;

	close(fd);
	sc->c.fd = -1;
	sc->inext = w->freesconns;
	w->freesconns = sc;
	errno = e;
}

static struct sconn *
sconn_new(struct worker *w, struct server *sv)
{
	struct sconn *sc = w->freesconns;
	int fd, one = 1;

	fd = socket(sv->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (sc != NULL)
		w->freesconns = sc->inext;
	else if ((sc = malloc(sizeof(*sc))) == NULL) {
		close(fd);
		return NULL;
	}
	memset(sc, 0, sizeof(*sc));
	sc->c.fd = fd;
	sc->c.type = LC_SERVER;
	sc->srv = sv;
	sc->w = w;
	timer_init(&sc->tmr, TK_SCONN_IDLE);
	if (connect(fd, (struct sockaddr *)&sv->addr, sv->addrlen) < 0) {
		if (errno != EINPROGRESS) {
			sconn_recycle(w, sc, fd);
			return NULL;
		}
		sc->connecting = 1;
	} else {
		sc->c.ready = RD_OUT;
	}
	/* a TLS server: "connecting" until the handshake is done too */
	if (sv->tls)
		sc->connecting = 1;
	if (worker_watch(w, &sc->c) < 0) {
		sconn_recycle(w, sc, fd);
		return NULL;
	}
	return sc;
}

int
sconn_attach(struct stream *s)
{
	struct worker *w = s->w;
	struct server *sv = s->srv;
	struct srv_local *sl = &w->sl[sv->index];
	struct sconn *sc;

	while (!(s->flags & SF_FRESH) && (sc = sl->idle) != NULL) {
		idle_unlink(w, sc);
		timer_disarm(&sc->tmr);
		if ((sc->c.ready & RD_HUP) || ((sc->c.ready & RD_IN) && (sc->c.ssl == NULL ||
		    !tls_idle_ok(&sc->c))) || (!(s->flags & SF_IDEMPOTENT) && !sconn_alive(sc))) {
			sc->s = s;      /* not idle any more: close without unlinking */
			sconn_close(w, sc);
			continue;
		}
		sc->s = s;
		sc->reused = 1;
		s->sc = sc;
		return 0;
	}
	s->flags &= ~SF_FRESH;
	if ((sc = sconn_new(w, sv)) == NULL)
		return -1;
	sc->s = s;
	s->sc = sc;
	return 0;
}

void
sconn_detach(struct stream *s, int reusable)
{
	struct worker *w = s->w;
	struct sconn *sc = s->sc;
	struct server *sv = s->srv;

	s->sc = NULL;
	if (sc != NULL) {
		struct server *csv = sc->srv;
		struct srv_local *sl = &w->sl[csv->index];

		/* A body spliced to its last byte leaves the socket marked readable
		 * (only EAGAIN says a socket is drained): ask it. */
		if (reusable && (sc->c.ready & (RD_IN | RD_HUP)) == RD_IN && sconn_alive(sc))
			sc->c.ready &= (uint8_t)~RD_IN;
		if (reusable && !w->stopping && sl->nidle < csv->pool->max_idle &&
		    !(sc->c.ready & (RD_IN | RD_HUP)) &&
		    (csv->maxconn == 0 ||
		    atomic_load(&csv->st->active) + atomic_load(&csv->st->idle) <= csv->maxconn)) {
			sc->s = NULL;
			sc->iprev = NULL;
			sc->inext = sl->idle;
			if (sl->idle)
				sl->idle->iprev = sc;
			sl->idle = sc;
			sl->nidle++;
			atomic_fetch_add(&csv->st->idle, 1);
			worker_arm(w, &sc->tmr, &w->pt[csv->pool->index].idle);
		} else {
			sconn_close(w, sc);
		}
	}
	if (sv != NULL) {
		s->srv = NULL;
		server_release(w, sv);
	}
}
