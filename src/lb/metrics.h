/*
 * metrics.h - what the admin listener shows: the /metrics page (Prometheus
 * text, through core/prom) and /stats (the same numbers as one JSON
 * object), read from a configuration's runtime states and the process's
 * counters. docs/lb.md, "Metrics", lists every family.
 */
#ifndef BRACE_LB_METRICS_H
#define BRACE_LB_METRICS_H

#include <stdint.h>

struct buf;
struct lb_config;

/* What the page says about the process beside the configuration. */
struct metrics_process {
	int64_t started_ms;             /* wall clock ms brace lb started */
	uint64_t admin_evicted;         /* admin connections closed to make room */
};

/*
 * Append the /metrics page for cfg (runtime states attached) to b: one
 * HELP and TYPE per family, label values escaped, every line whole. 0, or
 * -1 with err set when a line did not fit in b's cap (the page is then
 * incomplete and must not be served as if it were whole).
 */
int metrics_page(struct buf *b, const struct lb_config *cfg, const struct metrics_process *pr,
    char *err);
/* Append the /stats JSON object for cfg to b, with a newline. */
void metrics_stats(struct buf *b, const struct lb_config *cfg, const struct metrics_process *pr);

/* An operator's state of a server (enum srv_admin) as /stats and the controls name it. */
const char *metrics_admin_name(int state);

#endif
