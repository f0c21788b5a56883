/*
 * conns_term.c - see conns_term.h.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "conns/conns_term.h"
#include "core/clock.h"
#include "core/term.h"

static const char enter_seq[] = TERM_ALT_ON TERM_CURSOR_OFF TERM_CLEAR;
static const char leave_seq[] = TERM_CURSOR_ON TERM_ALT_OFF;

static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;     /* saved_tio is valid and changed */
static volatile sig_atomic_t screen_on;     /* in the alternate screen */
static volatile sig_atomic_t quit_flag, winch_flag, tstp_flag;
static volatile int cancel_flag;
static int full;

/* Async-signal-safe: write(2) and tcsetattr(3) only. */
static void
restore_now(void)
{
	if (screen_on) {
		ssize_t w = write(STDOUT_FILENO, leave_seq, sizeof(leave_seq) - 1);

		(void)w;
		screen_on = 0;
	}
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		tio_saved = 0;
	}
}

static void
on_quit(int sig)
{
	(void)sig;
	if (quit_flag) {
		/* A second Ctrl-C: the loop is stuck somewhere; leave now. */
		restore_now();
		_exit(130);
	}
	quit_flag = 1;
	cancel_flag = 1;
}

static void
on_winch(int sig)
{
	(void)sig;
	winch_flag = 1;
}

static void
on_tstp(int sig)
{
	(void)sig;
	tstp_flag = 1;
}

static void
handle(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;        /* no SA_RESTART: poll() returns EINTR */
	sigaction(sig, &sa, NULL);
}

static void
setup_screen(void)
{
	struct termios t;

	if (!full)
		return;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		t = saved_tio;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
			tio_saved = 1;
	}
	conns_term_write(enter_seq, sizeof(enter_seq) - 1);
	screen_on = 1;
}

void
conns_term_enter(int full_screen)
{
	full = full_screen;
	handle(SIGINT, on_quit);
	handle(SIGTERM, on_quit);
	handle(SIGHUP, on_quit);
	if (full) {
		handle(SIGWINCH, on_winch);
		handle(SIGTSTP, on_tstp);
	}
	setup_screen();
}

void
conns_term_leave(void)
{
	sigset_t block, old;

	/* No handler may run halfway through the restore. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	restore_now();
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Ctrl-Z: put the terminal back, stop, and set it up again once continued. */
static void
suspend(void)
{
	conns_term_leave();
	signal(SIGTSTP, SIG_DFL);
	raise(SIGTSTP);
	/* ...stopped here until SIGCONT... */
	handle(SIGTSTP, on_tstp);
	setup_screen();
}

enum conns_term_event
conns_term_wait(int64_t ms)
{
	int64_t deadline = clock_mono_ms() + ms;
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

	for (;;) {
		int64_t left = deadline - clock_mono_ms();
		int rc;

		if (quit_flag)
			return CONNS_TERM_QUIT;
		if (tstp_flag) {
			tstp_flag = 0;
			suspend();
			return CONNS_TERM_REDRAW;
		}
		if (winch_flag) {
			winch_flag = 0;
			return CONNS_TERM_REDRAW;
		}
		if (left <= 0)
			return CONNS_TERM_TIMEOUT;
		rc = poll(&p, tio_saved ? 1 : 0, (int)(left > 1000 ? 1000 : left));
		if (rc > 0 && (p.revents & POLLIN)) {
			char c;

			if (read(STDIN_FILENO, &c, 1) == 1) {
				if (c == 'q' || c == 'Q') {
					quit_flag = 1;
					return CONNS_TERM_QUIT;
				}
				if (c == ' ' || c == 'r' || c == 'R')
					return CONNS_TERM_REFRESH;
			}
		} else if (rc > 0) {
			/* stdin hung up: stop listening to it, keep the view going. */
			p.fd = -1;
		}
	}
}

int
conns_term_quitting(void)
{
	return quit_flag != 0;
}

volatile int *
conns_term_cancel_flag(void)
{
	return &cancel_flag;
}

int
conns_term_write(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}
