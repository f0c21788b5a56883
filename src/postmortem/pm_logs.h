/*
 * pm_logs.h - what the logs say, through brace logs' engine.
 *
 * Each log given with --logs goes once, whole, through the engine into its
 * own digest (so "first seen" means first seen in the file, not in the
 * window); the digests are kept for the later stages. From them come:
 *  - timeline rows: bursts, error templates first seen in the window,
 *    periodic templates active in it, bursts of 5xx responses (access logs),
 *    each with its file and line number (from the engine's per-line template
 *    ids);
 *  - request and 5xx rates from access logs, for when no journal has the
 *    load balancer's samples;
 *  - the firing times of each template in the window, and of each frequent
 *    value of a template's variable (user=<*> split by user): the engine runs
 *    again over the lines that hold that value, so one user's periodic
 *    bursts show even when every user shares the template.
 */
#ifndef BRACE_PM_LOGS_H
#define BRACE_PM_LOGS_H

#include <stdint.h>

#include "postmortem/pm.h"

/* Most value runs (extra passes over a log) per log. */
#define PM_VALUE_RUNS 12
/* Most firing times considered per template. */
#define PM_MAX_FIRINGS 4096

typedef struct pm_logs pm_logs;

/* One set of firings: a template, or one value of a template's variable. */
struct pm_firings {
	char what[PM_TEXT_LEN];         /* the template, with the value in place */
	char value[64];                 /* "" for a whole template */
	char of[PM_TEXT_LEN];           /* the template the value was split out of */
	char origin[160];               /* the log file */
	const int64_t *t;               /* firing times in the window, ascending */
	size_t n;
	uint64_t lines;                 /* lines in the window */
	int error_like;                 /* the template reads like an error */
};

pm_logs *pm_logs_new(void);
void pm_logs_free(pm_logs *l);

/*
 * Run path through the engine and keep its digest; n->logs gets the file's
 * entry. 0, or -1 with err when the file cannot be read (the entry says so).
 */
int pm_logs_read(pm_logs *l, struct pm_night *n, const char *path, char *err);
/* The first and last time stamps over all logs read; 0 when none. */
void pm_logs_span(const pm_logs *l, int64_t *first, int64_t *last);
/* Fill n's request and 5xx curves from the access logs (n->traffic_from names them). */
void pm_logs_traffic(const pm_logs *l, struct pm_night *n);
/* Add the logs' rows to n's timeline (after pm_window). */
void pm_logs_rows(pm_logs *l, struct pm_night *n);
/*
 * Call cb for each template with firings in the window, then for each
 * frequent value of a variable (through another engine run). A non-zero cb
 * stops the walk. -1 when memory runs out.
 */
int pm_logs_each_firings(pm_logs *l, struct pm_night *n,
    int (*cb)(const struct pm_firings *f, void *arg), void *arg);

#endif
