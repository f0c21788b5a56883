/*
 * admin.h - the admin listener: metrics, stats and server controls.
 *
 *   GET  /metrics                      Prometheus text exposition (brace_*, metrics.h)
 *   GET  /stats                        the same numbers as one JSON object
 *   POST /servers/NAME/drain           no new requests; those in flight finish
 *   POST /servers/NAME/disable         no new requests (maintenance)
 *   POST /servers/NAME/enable          back to normal
 *   (/pools/POOL/servers/NAME/... when a name is in several pools)
 *
 * Off unless --admin/admin= is given; loopback only unless the file says
 * admin-allow-remote = yes (which then needs a token); with a token, every
 * request needs "Authorization: Bearer TOKEN". Connections are served
 * together on one poll loop, each with a 5 s deadline, at most 64 at once.
 * What an operator sets here lives in the server's shared state and so
 * survives reloads.
 */
#ifndef BRACE_LB_ADMIN_H
#define BRACE_LB_ADMIN_H

#include <stddef.h>

struct lb_config;

/*
 * Bind the admin socket of cfg, if any (before workers start), and take its
 * token (admin-token, or the first line of admin-token-file). 0, or -1 with
 * err set.
 */
int admin_open(struct lb_config *cfg, char *err);
/*
 * The token in the first line of the file at path (a trailing CR and blanks
 * dropped): 1 to 127 printable ASCII characters, no space. 0 with it in out
 * (n bytes), or -1 with err naming the file and what is wrong.
 */
int admin_read_token(const char *path, char *out, size_t n, char *err);
/* Serve it from a thread of its own. */
void admin_start(void);
/* After a reload: answer for this configuration from now on. */
void admin_use(struct lb_config *cfg);
/* cfg is about to be freed: make sure the admin thread no longer looks at it. */
void admin_forget(struct lb_config *cfg);
/* Stop the thread (it notices within 200 ms), close the socket and forget the token. */
void admin_stop(void);


#endif
