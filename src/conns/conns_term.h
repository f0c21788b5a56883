/*
 * conns_term.h - the terminal under `brace conns --watch`: the alternate
 * screen, no echo, keys without Enter, and putting it all back.
 *
 * The terminal is restored on every way out: q, Ctrl-C and SIGTERM (the
 * main loop sees a flag and leaves cleanly), a second Ctrl-C while the loop
 * is stuck (the handler restores the terminal itself with async-signal-safe
 * calls and exits), and Ctrl-Z (restored before stopping, set up again on
 * SIGCONT). One terminal per process: the state is static.
 */
#ifndef BRACE_CONNS_TERM_H
#define BRACE_CONNS_TERM_H

#include <stddef.h>
#include <stdint.h>

enum conns_term_event {
	CONNS_TERM_TIMEOUT = 0,         /* the wait ran out: time for a sample */
	CONNS_TERM_QUIT,                /* q, Ctrl-C, SIGTERM, SIGHUP */
	CONNS_TERM_REDRAW,              /* the window changed size, or back from Ctrl-Z */
	CONNS_TERM_REFRESH,             /* space or r: sample now */
};

/*
 * Install the signal handlers and, when full_screen is set (stdout is a
 * terminal that moves its cursor, core/term.h), switch to the alternate screen, hide the cursor and turn off
 * echo and line buffering on stdin (when stdin is a terminal).
 */
void conns_term_enter(int full_screen);
/* Undo conns_term_enter(); safe to call twice. */
void conns_term_leave(void);
/*
 * Wait up to ms for a key or a signal. Handles Ctrl-Z itself (restore,
 * stop, set up again) and then reports CONNS_TERM_REDRAW.
 */
enum conns_term_event conns_term_wait(int64_t ms);
/* 1 once a quit was asked for (Ctrl-C, SIGTERM, SIGHUP, q). */
int conns_term_quitting(void);
/* The flag a signal sets to interrupt a database call (db_connect_opts.cancel). */
volatile int *conns_term_cancel_flag(void);
/* Write all of p to stdout (retrying on EINTR); -1 when stdout is gone. */
int conns_term_write(const char *p, size_t n);

#endif
