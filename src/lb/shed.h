/*
 * shed.h - what brace lb does past maxconn client connections.
 *
 * Clients past the cap used to wait in the kernel's backlog for as long as
 * it took (a new client gave up after 5 s beside 300 idle keep-alive ones).
 * Now, as nginx and HAProxy do, room is made first: an idle keep-alive
 * client (between two requests, nothing sent) is closed, the oldest first;
 * only when no worker has one is the new client answered at once: HTTP 503
 * with "Retry-After: 1" and "Connection: close", or a plain close in TCP
 * mode. Both are counted.
 *
 * A worker at the cap closes its own idle clients (it may touch no one
 * else's streams) and, when it has none, asks the others to close some on
 * their next turn of the loop; the request lapses after a second.
 */
#ifndef BRACE_LB_SHED_H
#define BRACE_LB_SHED_H

#include <stdatomic.h>
#include <stdint.h>

struct frontend;
struct worker;

/* Clients answered at once past maxconn (503 or closed), since the start. */
extern _Atomic uint64_t shed_refused;
/* Idle keep-alive clients closed to make room, since the start. */
extern _Atomic uint64_t shed_idle_closed;

/*
 * w is at maxconn with a client waiting: close one of its idle keep-alive
 * clients (the one idle longest) and return 1, or return 0 when it has none
 * (the other workers are then asked to close one).
 */
int shed_make_room(struct worker *w);
/*
 * A client accepted past the cap with no room made: answer it at once, the
 * way fe speaks (HTTP: 503 with Retry-After; TCP: nothing), and close it.
 */
void shed_refuse(struct worker *w, const struct frontend *fe, int fd);
/* Once per turn of w's loop: close idle clients the other workers asked for. */
void shed_help(struct worker *w);

#endif
