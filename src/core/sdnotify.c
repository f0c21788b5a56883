/*
 * sdnotify.c - see sdnotify.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/sdnotify.h"

size_t
sdnotify_address(const char *value, void *addr)
{
	struct sockaddr_un *sun = addr;
	size_t n = value != NULL ? strlen(value) : 0;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n < 2 || (value[0] != '/' && value[0] != '@') || n > sizeof(sun->sun_path) - 1)
		return 0;
	memcpy(sun->sun_path, value, n);
	if (value[0] == '@')
		sun->sun_path[0] = '\0';        /* abstract: no trailing NUL counted */
	return offsetof(struct sockaddr_un, sun_path) + n + (value[0] == '/');
}

int
sdnotify(const char *state, char *err)
{
	const char *where = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	size_t len;
	int fd;

	if (where == NULL || where[0] == '\0')
		return 0;
	if ((len = sdnotify_address(where, &sun)) == 0) {
		err_set(err, "NOTIFY_SOCKET='%s' is not a socket path or @name", where);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		err_set(err, "cannot tell systemd: socket: %s", strerror(errno));
		return -1;
	}
	/* A datagram socket does not block the sender on a live receiver; the
	 * flag covers a full queue. */
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT,
	    (const struct sockaddr *)&sun, (socklen_t)len) < 0) {
		err_set(err, "cannot tell systemd (%s): %s", where, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
sdnotifyf(char *err, const char *fmt, ...)
{
	char state[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(state, sizeof(state), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(state)) {
		err_set(err, "notification too long");
		return -1;
	}
	return sdnotify(state, err);
}

int
sdnotify_reloading(char *err)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return sdnotifyf(err, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}
