/*
 * relay.h - bytes both ways: TCP mode, and HTTP after a 101 (WebSocket).
 *
 * Each direction has one buffer; a side is read only while its buffer has
 * room, so a slow reader slows the writer down instead of growing memory.
 * A FIN is passed on once what came before it is written (half-close), and
 * the stream ends when both directions are closed.
 */
#ifndef BRACE_LB_RELAY_H
#define BRACE_LB_RELAY_H

struct stream;

/* ST_TUNNEL: move bytes both ways as far as the sockets allow; may free s. */
void relay_run(struct stream *s);

#endif
