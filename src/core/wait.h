/*
 * wait.h - the one way brace waits for a descriptor: with a deadline, and
 * with a way out.
 *
 * Every wait has a deadline and signals still work while waiting. A wait
 * here is a poll(2) on the descriptor, up to a monotonic deadline, that also
 * ends when a cancel descriptor becomes readable (brace run's signalfd of
 * SIGTERM, SIGINT and SIGHUP; a stop eventfd) or a cancel flag is set (by a
 * signal handler, whose signal interrupts the poll).
 */
#ifndef BRACE_WAIT_H
#define BRACE_WAIT_H

#include <stdint.h>

/*
 * Wait until fd has one of events (POLLIN, POLLOUT) or an error, until
 * deadline_ms (clock_mono_ms()). cancel_fd > 0 is polled for readability
 * (never read); cancel may be NULL. Returns 1 when fd is ready (a poll
 * error counts as ready, so that whoever reads it sees the error), 0 when
 * the deadline passed, -1 when cancelled.
 */
int wait_fd(int fd, short events, int64_t deadline_ms, int cancel_fd, volatile int *cancel);

#endif
