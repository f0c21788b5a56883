/*
 * sdnotify.h - telling systemd how a service is doing (Type=notify).
 *
 * The protocol is one datagram of "KEY=VALUE" lines to the AF_UNIX socket
 * named by $NOTIFY_SOCKET: a path, or an abstract name written with a
 * leading '@'. Without the variable (not under systemd, or Type=simple)
 * nothing is sent and nothing fails. The usual states:
 *
 *   READY=1                  start-up finished: listeners bound, serving
 *   RELOADING=1              reading the configuration again (with
 *                            MONOTONIC_USEC=, as systemd asks)
 *   STOPPING=1               shutting down
 *   STATUS=text              a line shown by systemctl status
 *
 * No library: the datagram is a few lines, and libsystemd would be one more
 * dependency for them.
 */
#ifndef BRACE_SDNOTIFY_H
#define BRACE_SDNOTIFY_H

#include <stddef.h>

/*
 * Send state (one or more "KEY=VALUE" lines, '\n' between them) to
 * $NOTIFY_SOCKET. 0 when sent or when there is nowhere to send it; -1 with
 * err set when the variable names a socket that cannot be reached.
 */
int sdnotify(const char *state, char *err);
/*
 * The same, formatted; RELOADING=1 gets its MONOTONIC_USEC= line added by
 * sdnotify_reloading(). Both return as sdnotify() does.
 */
int sdnotifyf(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sdnotify_reloading(char *err);
/*
 * Fill addr (a struct sockaddr_un) from a $NOTIFY_SOCKET value: a path
 * starting with '/', or '@' for an abstract name. Its length comes back;
 * 0 when the value is neither or too long. For tests.
 */
size_t sdnotify_address(const char *value, void *addr);

#endif
