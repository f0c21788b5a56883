/*
 * run_ping.h - heartbeats to a monitoring endpoint, Healthchecks.io style.
 *
 * A job's start is reported to URL/start, its success to URL and its failure
 * to URL/fail, each an HTTP POST whose body says what happened (the exit
 * status and the tail of the output). The request has a hard time limit and
 * its failure is only reported back, so a dead monitoring endpoint can delay
 * the job by that limit at most and never changes its outcome.
 */
#ifndef BRACE_RUN_PING_H
#define BRACE_RUN_PING_H

#include <stddef.h>
#include <stdint.h>

#define RUN_PING_BODY_MAX (10 * 1024)

enum run_ping_kind { RUN_PING_START, RUN_PING_SUCCESS, RUN_PING_FAIL };

/*
 * The URL for one report: base with "/start" or "/fail" added to its path
 * (before any query string, without doubling a trailing slash), or base
 * itself for a success. 0 / -1 + err if it does not fit in n bytes.
 */
int run_ping_url(const char *base, enum run_ping_kind kind, char *out, size_t n, char *err);

/*
 * Write url as it may be shown (messages, ps(1)): the password of its user
 * information and everything after the host (the path holds the check's
 * UUID or ping key, the query may hold a token) become "***":
 * "https://hc-ping.com/" followed by "***". Always NUL-terminates.
 */
void run_ping_redact(const char *url, char *out, size_t n);

/*
 * Send one report and wait at most timeout_ms for the answer. body may be
 * NULL; at most RUN_PING_BODY_MAX bytes of it are sent (its end, where the
 * last of the output is). 0 when the endpoint answered 2xx, -1 + err
 * otherwise. Only http and https URLs are followed.
 */
int run_ping_send(const char *base, enum run_ping_kind kind, const char *body, size_t len,
    int64_t timeout_ms, char *err);

#endif
