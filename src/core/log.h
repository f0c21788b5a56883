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

#define log_error(...)  log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)  log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
