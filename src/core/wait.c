/*
 * wait.c - see wait.h.
 */
#include <errno.h>
#include <poll.h>

#include "core/clock.h"
#include "core/wait.h"

int
wait_fd(int fd, short events, int64_t deadline_ms, int cancel_fd, volatile int *cancel)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = events },
		{ .fd = cancel_fd > 0 ? cancel_fd : -1, .events = POLLIN },
	};
	int64_t left;
	int rc;

	for (;;) {
		if (cancel != NULL && *cancel)
			return -1;
		left = deadline_ms - clock_mono_ms();
		if (left <= 0)
			return 0;
		rc = poll(p, 2, (int)(left > 60000 ? 60000 : left));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return 1;
		if (rc > 0 && p[0].revents != 0)
			return 1;
		if (rc > 0 && p[1].revents != 0)
			return -1;
	}
}
