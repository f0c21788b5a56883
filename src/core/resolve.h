/*
 * resolve.h - host names to addresses within a deadline.
 *
 * getaddrinfo(3) has no timeout of its own: with a DNS server that does not
 * answer it blocks for as long as resolv.conf's timeouts and attempts add
 * up to (10 s and more), and no signal interrupts it. A database check with
 * a 2 s deadline must not wait that long, so the lookup runs on a detached
 * thread and the caller waits for it with poll(2), together with its
 * deadline and an optional cancel descriptor. A caller that gives up leaves
 * the thread to finish on its own; the thread then frees what it used. At
 * most RESOLVE_MAX_ABANDONED such lookups may hang at once: past that a new
 * lookup fails at once rather than piling up threads.
 *
 * Numeric addresses ("127.0.0.1", "::1") are converted without a thread.
 */
#ifndef BRACE_RESOLVE_H
#define BRACE_RESOLVE_H

#include <netinet/in.h>
#include <stdint.h>

/* Most addresses returned for one name. */
#define RESOLVE_MAX_ADDRS 8
/* Most abandoned lookups still running before new ones are refused. */
#define RESOLVE_MAX_ABANDONED 8

struct resolve_result {
	int n;                  /* addresses found, 1..RESOLVE_MAX_ADDRS */
	char addr[RESOLVE_MAX_ADDRS][INET6_ADDRSTRLEN];    /* numeric, in getaddrinfo order */
};

enum resolve_status {
	RESOLVE_OK = 0,
	RESOLVE_FAILED = -1,    /* the name does not resolve (err says why) */
	RESOLVE_TIMEOUT = -2,   /* the deadline passed first */
	RESOLVE_CANCELLED = -3, /* cancel_fd became readable, or *cancel was set */
};

/*
 * Resolve host (TCP addresses of any family) before deadline_ms (monotonic,
 * clock_mono_ms()). cancel_fd > 0 is polled for readability alongside (it
 * is not read); cancel, when not NULL, is checked whenever a signal
 * interrupts the wait. Fills out and returns RESOLVE_OK, or a negative
 * status with err set ("cannot resolve db.example: Name or service not
 * known", "name resolution of db.example timed out after 2000 ms").
 */
enum resolve_status resolve_host(const char *host, int64_t deadline_ms, int cancel_fd,
    volatile int *cancel, struct resolve_result *out, char *err);

/* 1 when host is already a numeric IPv4 or IPv6 address. */
int resolve_is_numeric(const char *host);

#endif
