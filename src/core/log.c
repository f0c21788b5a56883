/*
 * log.c - see log.h.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

static const char *log_progname = "brace";
static enum log_level log_level = LOG_LVL_NOTICE;
static int log_stamps;

static const char *const level_names[] = { "error", "warn", "notice", "info", "debug" };

void
log_init(const char *prog)
{
	log_progname = prog;
}

const char *
log_prog(void)
{
	return log_progname;
}

void
log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

int
log_parse_level(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -1;
}

void
log_set_timestamps(int on)
{
	log_stamps = on;
}

static void log_vmsg(enum log_level lvl, const char *suffix, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, "", fmt, ap);
	va_end(ap);
}

int
log_limited(struct log_limit *l, enum log_level lvl, const char *fmt, ...)
{
	long long now = clock_mono_ms(), next = atomic_load(&l->next_ms);
	long long interval = l->interval_ms > 0 ? l->interval_ms : LOG_LIMIT_INTERVAL_MS;
	unsigned long long held;
	char suffix[96] = "";
	va_list ap;

	/* Whoever moves next_ms forward prints; everyone else counts. */
	if ((next != 0 && now < next) ||
	    !atomic_compare_exchange_strong(&l->next_ms, &next, now + interval)) {
		atomic_fetch_add(&l->held, 1);
		return 0;
	}
	if ((held = atomic_exchange(&l->held, 0)) > 0)
		snprintf(suffix, sizeof(suffix), " (%llu more like this in the last %lld s)",
		    held, (interval + 999) / 1000);
	va_start(ap, fmt);
	log_vmsg(lvl, suffix, fmt, ap);
	va_end(ap);
	return 1;
}

unsigned long long
log_limit_take_held(struct log_limit *l)
{
	return atomic_exchange(&l->held, 0);
}

static void
log_vmsg(enum log_level lvl, const char *suffix, const char *fmt, va_list ap)
{
	char line[2048], msg[1800], stamp[40] = "";
	int n;

	if (lvl > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);

	if (log_stamps) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		n = (int)strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(stamp + n, sizeof(stamp) - (size_t)n, ".%03ld ",
		    ts.tv_nsec / 1000000);
	}
	n = snprintf(line, sizeof(line), "%s%s: %s%s%s%s\n", stamp, log_progname,
	    lvl == LOG_LVL_WARN ? "warning: " : "",
	    lvl == LOG_LVL_DEBUG ? "debug: " : "", msg, suffix);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* One write per line: lines from several threads never interleave. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
