/*
 * balance.h - choosing a server for a request or connection.
 *
 *   roundrobin   smooth weighted round robin (the interleaving nginx uses:
 *                each pick adds every weight to its server's current value,
 *                takes the largest and subtracts the total from it)
 *   leastconn    fewest active connections relative to weight
 *   random2      two random servers (by weight), the less loaded of the two
 *   hash-*       consistent hashing on the pool's ring (ring.h), with
 *                bounded load: a server already at ceil(1.25 x the average
 *                load), and never less than 2, passes the key on to the next
 *                point, so one hot key cannot drown a server
 *
 * Every choice skips servers that are down, drained, of weight 0 or already
 * tried for this request, and takes a slot on the chosen server; a full
 * server is skipped. Round-robin state is per worker, so the hot path shares
 * nothing but the servers' atomic counters.
 */
#ifndef BRACE_LB_BALANCE_H
#define BRACE_LB_BALANCE_H

struct stream;
struct worker;

/*
 * Pick a server of s->pool for s by the pool's algorithm and take a slot on
 * it: 1 got one (s->srv set, its request counter counted), 0 every eligible
 * server is full (queue), -1 no server can take it at all (all down or
 * tried). Hashing uses s->hash when SF_HASHED is set, else round robin.
 */
int balance_select(struct worker *w, struct stream *s);
/*
 * The same by least connections on shared counters only, for a stream
 * leaving the wait queue: any worker may call it for any worker's stream.
 */
int balance_select_shared(struct worker *w, struct stream *s);

#endif
