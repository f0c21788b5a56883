/*
 * sconn.h - connections to servers and the workers' idle pools.
 *
 * A server connection belongs to one worker. While a request uses it, it is
 * attached to that stream; afterwards, if it can carry another request, it
 * waits in the worker's idle list for its server (most recently used first)
 * until the pool's idle time runs out, the server closes it, or a request to
 * the same server takes it. Idle connections count against the server's
 * maxconn together with the active ones (exactly with one worker; with
 * several, a worker cannot use another's idle connections, so the total can
 * pass maxconn by what other workers hold idle).
 */
#ifndef BRACE_LB_SCONN_H
#define BRACE_LB_SCONN_H

#include <stdint.h>

#include "lb/lconn.h"
#include "lb/timer.h"

struct server;
struct stream;
struct worker;

struct sconn {
	struct lconn c;
	struct worker *w;
	struct server *srv;
	struct stream *s;               /* owner, or NULL while idle */
	struct sconn *inext, *iprev;    /* idle list of the worker, per server */
	struct timer tmr;               /* idle timeout */
	uint8_t connecting;             /* connect() in progress */
	uint8_t reused;                 /* taken from the idle list */
};

/*
 * Give s (holding a slot on s->srv) a connection to its server: the most
 * recent idle one still open (one that might be closed is checked first
 * for a request that must not be retried), or a new one, connecting
 * without blocking. 0 with s->sc set, or -1 with errno.
 */
int sconn_attach(struct stream *s);
/*
 * s is done with its server: its connection goes to the idle list when
 * reusable is set and the pool, the worker and the server's cap allow,
 * else it is closed; then the slot on s->srv is given back.
 */
void sconn_detach(struct stream *s, int reusable);
/* Close sc (idle or attached; its stream is not touched); safe to call twice. */
void sconn_close(struct worker *w, struct sconn *sc);
/* An epoll event on sc: run its stream, or close it if idle and the server spoke or left. */
void sconn_event(struct sconn *sc);
/* sc stayed idle for the pool's idle time: close it. */
void sconn_idle_timeout(struct sconn *sc);

#endif
