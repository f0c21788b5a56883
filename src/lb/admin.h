/*
 * admin.h - the admin listener: metrics, stats and server controls.
 *
 *   GET  /metrics                      Prometheus text exposition (brace_*)
 *   GET  /stats                        the same numbers as one JSON object
 *   POST /servers/NAME/drain           no new requests; those in flight finish
 *   POST /servers/NAME/disable         no new requests (maintenance)
 *   POST /servers/NAME/enable          back to normal
 *   (/pools/POOL/servers/NAME/... when a name is in several pools)
 *
 * Off unless --admin/admin= is given; loopback only unless the file says
 * admin-allow-remote = yes; with a token, every request needs
 * "Authorization: Bearer TOKEN". What an operator sets here lives in the
 * server's shared state and so survives reloads.
 */
#ifndef BRACE_LB_ADMIN_H
#define BRACE_LB_ADMIN_H

struct buf;
struct lb_config;

/* Bind the admin socket of cfg, if any (before workers start). */
int admin_open(struct lb_config *cfg, char *err);
/* Serve it from a thread of its own. */
void admin_start(void);
/* After a reload: answer for this configuration from now on. */
void admin_use(struct lb_config *cfg);
/* cfg is about to be freed: make sure the admin thread no longer looks at it. */
void admin_forget(struct lb_config *cfg);
/* Stop the thread (it notices within 200 ms) and close the socket. */
void admin_stop(void);

/*
 * Append the /metrics page for cfg (runtime states attached) to b: the
 * Prometheus text exposition format, one HELP and TYPE per family, label
 * values escaped. What does not fit in b is left out (b's cap).
 */
void admin_metrics(struct buf *b, const struct lb_config *cfg);

#endif
