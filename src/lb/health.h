/*
 * health.h - active health checks of the servers of a configuration.
 *
 * One thread per running configuration probes every server of every pool
 * that has a check: a TCP connect, or an HTTP GET whose status must match
 * the expected class or code. A server up is taken out after `fall` failed
 * probes in a row and brought back after `rise` good ones (then its weight
 * ramps up over the pool's slow start). The verdict is written to the
 * server's shared state, which workers read when they choose a server.
 */
#ifndef BRACE_LB_HEALTH_H
#define BRACE_LB_HEALTH_H

struct lb_config;
struct health;

/* Start checking (NULL when no pool has checks, or on failure: logged). */
struct health *health_start(struct lb_config *cfg);
/* Stop the thread and free; h may be NULL. */
void health_stop(struct health *h);

#endif
