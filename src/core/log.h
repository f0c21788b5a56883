/*
 * log.h - diagnostics on stderr.
 *
 * Every line is prefixed with the program name as the user typed it
 * ("brace lb: cannot bind 0.0.0.0:80: Permission denied"), so messages from
 * several tools in one cron mail or terminal are told apart. Long-running
 * commands (the load balancer) turn on timestamps. One write(2) per message,
 * so lines from several threads never interleave.
 */
#ifndef BRACE_LOG_H
#define BRACE_LOG_H

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_NOTICE,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* Set the prefix, e.g. "brace lb". The string must outlive the program. */
void log_init(const char *prog);
const char *log_prog(void);
void log_set_level(enum log_level lvl);
/* Parse "error", "warn", "notice", "info", "debug"; -1 on unknown names. */
int log_parse_level(const char *s, enum log_level *out);
void log_set_timestamps(int on);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Repeated warnings of one cause (a full disk, a busy journal, a dead
 * endpoint) are printed at most once per interval (LOG_LIMIT_INTERVAL_MS by
 * default), and the next line printed says how many were held back
 * meanwhile: "... (14 more like this in the last 60 s)". A struct log_limit
 * is one cause: usually a static next to the call site. It is safe to use
 * from several threads at once (atomics, no lock), and needs no init beyond
 * LOG_LIMIT_INIT (zero).
 */
#define LOG_LIMIT_INTERVAL_MS 60000

struct log_limit {
	_Atomic long long next_ms;      /* monotonic ms before which lines are held back */
	_Atomic unsigned long long held;        /* lines held back since the last printed */
	long long interval_ms;          /* 0 = LOG_LIMIT_INTERVAL_MS */
};

#define LOG_LIMIT_INIT { 0, 0, 0 }

/*
 * Print like log_msg(), unless a line of this cause was printed less than
 * the interval ago: then only count it. Returns 1 when the line was printed.
 */
int log_limited(struct log_limit *l, enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Lines of this cause held back and not yet reported (read and reset), for
 * a last word at exit: "... 3 more were not shown".
 */
unsigned long long log_limit_take_held(struct log_limit *l);

#define log_error(...)  log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)  log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
