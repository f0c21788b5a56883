/*
 * proxy.h - one HTTP transaction after another on a client connection.
 *
 * A stream reads a request head (ST_HEAD), parses it in place, writes a
 * rewritten head (hop-by-hop headers removed, X-Forwarded-* added) into a
 * small buffer, picks a server or waits for a slot, then streams the request
 * body and the response both ways (ST_FWD) without ever holding a whole
 * body. Called from stream_run() only.
 */
#ifndef BRACE_LB_PROXY_H
#define BRACE_LB_PROXY_H

struct stream;

/* ST_HEAD: read and parse the next request head; start its transaction when whole. */
void proxy_head_step(struct stream *s);
/* ST_FWD: move request and response bytes as far as the sockets allow. */
void proxy_fwd_step(struct stream *s);

#endif
