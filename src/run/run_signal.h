/*
 * run_signal.h - how the brace run governor takes its signals.
 *
 * The governor blocks SIGTERM, SIGINT, SIGHUP and SIGCHLD and reads them from
 * a signalfd, so one poll() loop can wait at once for the job's output, the
 * job's exit, a signal to pass on and a timeout, with no race between
 * checking a flag and going to sleep. SIGPIPE is ignored so that a closed
 * stdout (a cron mailer gone away) never kills the governor of a running job.
 * The child undoes all of this before exec, so the job starts with the mask
 * and dispositions the governor was given.
 */
#ifndef BRACE_RUN_SIGNAL_H
#define BRACE_RUN_SIGNAL_H

#include <stdint.h>

/* Block the signals and open the signalfd (close-on-exec). 0 / -1 + err. */
int run_signal_init(char *err);

/* The signalfd, readable when a signal is pending (-1 before init). */
int run_signal_fd(void);

/*
 * A second signalfd for SIGTERM, SIGINT and SIGHUP only, readable while one
 * of them is pending (-1 before init). It is only polled, never read: a
 * database call given it as its cancel descriptor gives up at once when
 * one arrives, and run_signal_take_stop() then takes the signal itself.
 */
int run_signal_stop_fd(void);

/*
 * Take a pending SIGTERM, SIGINT or SIGHUP without blocking (a SIGCHLD met
 * on the way is dropped): its number, or 0.
 */
int run_signal_take_stop(void);

/*
 * Take one pending signal off the signalfd without blocking: its number, or
 * 0 when none is pending.
 */
int run_signal_take(void);

/*
 * Sleep for ms milliseconds unless SIGTERM, SIGINT or SIGHUP arrives first:
 * returns that signal's number, or 0 after the full sleep. A SIGCHLD is
 * consumed and does not end the sleep.
 */
int run_signal_sleep(int64_t ms);

/*
 * In a forked child, before exec: restore the signal mask and the SIGPIPE
 * disposition the governor started with. Async-signal-safe.
 */
void run_signal_child_reset(void);

#endif
