/*
 * digest.h - everything brace logs learns from the records, in input order.
 *
 * The digest owns the miner, per-template statistics (count, first and last
 * time, a TIMELINE_BINS series, a ring of the last DIGEST_FIRE_RING firing
 * times, a sample of what the variables held) and the access-log panels.
 * digest_block() folds one processed block in; digest_analyse() runs the
 * period and burst detection and orders the templates for the reports.
 *
 * Caps (documented in README): --max-templates templates (10000), 1 M cached
 * keys, DIGEST_FIRE_RING firing times per template and per (client, path)
 * pair, DIGEST_MAX_PAIRS pairs (admitted through a 128 KiB counting sketch
 * once seen DIGEST_DOOR_MIN times, so one-off requests do not churn the
 * table), top-k tables of WORK_TOP_CLIENTS clients and WORK_TOP_AGENTS
 * user agents (and as many in each parsing thread), latency histograms for
 * DIGEST_LAT_MAX templates (the times of the others are counted together).
 * So memory stays bounded on endless input.
 */
#ifndef BRACE_LOGS_DIGEST_H
#define BRACE_LOGS_DIGEST_H

#include <stdint.h>
#include <stdio.h>

#include "logs/burst.h"
#include "logs/latency.h"
#include "logs/miner.h"
#include "logs/period.h"
#include "logs/timeline.h"
#include "logs/topk.h"
#include "logs/work.h"

#define DIGEST_FIRE_RING 1024   /* powers of two */
#define DIGEST_PAIR_RING 512
#define DIGEST_RING_CLASSES 7   /* pair rings of 8, 16, ... DIGEST_PAIR_RING */
#define DIGEST_MAX_PAIRS 4096   /* slots; three quarters are used, then the */
                                /* less frequent half is dropped */
#define DIGEST_DOOR_BITS 17     /* 128 KiB sketch: a pair enters the table */
#define DIGEST_DOOR_MIN 3       /* on its third request */
#define DIGEST_VAR_POS 4
#define DIGEST_VAR_TOP 4
#define DIGEST_VAR_LEN 48
#define DIGEST_BURSTS 3
#define DIGEST_LAT_MAX 4096     /* templates with a latency histogram of their own */
#define DIGEST_ANALYSE_THREADS 8

struct digest_var {
	int pos;                /* token position in the template */
	uint32_t n[DIGEST_VAR_TOP];
	char v[DIGEST_VAR_TOP][DIGEST_VAR_LEN];
	uint32_t other;
};

struct digest_vars {
	int npos;
	uint32_t samples;
	struct digest_var p[DIGEST_VAR_POS];
};

struct digest_tmpl {
	uint64_t count;
	int64_t first, last;
	uint32_t *bins;
	int64_t *fire;          /* ring of firing times */
	int64_t last_fire;
	uint32_t nfire, fire_head;
	uint64_t firings;       /* firings ever (the ring keeps the latest) */
	struct digest_vars *vars;
	struct latency *lat;    /* request times, NULL until one is seen */
	uint64_t e4, e5;        /* 4xx and 5xx responses (access logs) */
	/* filled by digest_analyse */
	struct period_result period;
	struct burst bursts[DIGEST_BURSTS];
	size_t nbursts;
};

struct digest_pair {
	/* hot: touched for every request, kept in the first cache line */
	uint64_t count;         /* requests seen while tracked */
	uint64_t key;           /* 0 = empty slot */
	uint64_t score;         /* count plus the credit it started with */
	int64_t last;           /* time of the last firing */
	int64_t first;          /* time of the first request counted */
	int64_t *fire;          /* ring of cap, from the second request, growing */
	uint32_t nfire, head;   /* up to DIGEST_PAIR_RING as firings come */
	uint32_t cap;
	/* cold: once a firing, and for the report */
	uint64_t firings;
	int tid;
	char client[64];
	struct period_result period;
} __attribute__((aligned(64)));

struct digest_opts {
	int64_t since_ms, until_ms;     /* 0 = open */
	int access_exact;               /* access logs: keys are templates */
	struct miner_opts miner;
	FILE *assign;                   /* per-line template ids are written here */
	int threads;                    /* digest_analyse: threads besides the caller,
	                                   at most DIGEST_ANALYSE_THREADS */
};

struct digest {
	struct digest_opts o;
	miner *m;
	struct digest_tmpl *t;
	size_t nt, capt;
	struct timeline tl;
	uint64_t lines, mined, cut, unparsed, no_ts, filtered, grep_out;
	int64_t first_ts, last_ts, last_seen_ts;
	/* access panels */
	uint64_t requests, bytes_sent, status[600];
	uint32_t req_bins[TIMELINE_BINS], err3_bins[TIMELINE_BINS], err4_bins[TIMELINE_BINS],
	    err5_bins[TIMELINE_BINS];   /* requests; 3xx, 4xx and 5xx responses */
	/* request times: all, those of templates past DIGEST_LAT_MAX, and over
	   time (LATENCY_BUCKETS rows of TIMELINE_BINS, NULL until one is seen) */
	struct latency lat_all, lat_other;
	size_t nlat;
	uint32_t *lat_bins;
	struct topk clients, uas, methods;
	void *space;                    /* the mapping that holds the six below */
	struct digest_pair *pairs;
	struct digest_pair *pairs_next; /* the table drop_pairs() fills next */
	uint64_t *pair_keys;            /* pairs[i].key, probed without touching pairs */
	size_t npairs;
	uint64_t pair_floor;            /* score of the last pairs dropped */
	uint8_t *door;                  /* counting sketch in front of the pair table */
	uint64_t door_adds;
	int64_t *rings;                 /* the pairs' firing rings, cut from the front */
	size_t rings_top;               /* elements cut so far */
	uint32_t *ring_free;            /* per size, a stack of the rings given back */
	uint32_t nring_free[DIGEST_RING_CLASSES];
	/* scratch */
	int *gid;
	size_t gidcap;
	/* after digest_analyse */
	struct burst err_bursts[2][DIGEST_BURSTS];	/* 4xx, 5xx responses */
	size_t nerr_bursts[2];
	int *order;             /* template ids by count, descending */
	size_t norder;
};

int digest_init(struct digest *d, const struct digest_opts *o);
void digest_release(struct digest *d);
/* Fold a processed block in (blocks must come in input order). */
int digest_block(struct digest *d, struct work_block *b);
/*
 * Periods, bursts and ordering; may be called again after more blocks.
 * The period tests run on o.threads more threads.
 */
void digest_analyse(struct digest *d);
/* The current id of a template id handed out earlier (templates merge). */
int digest_resolve(const struct digest *d, int id);
/* The text of template id. */
const char *digest_template(struct digest *d, int id);
/* Lines that fell into the overflow template (more templates than the cap). */
uint64_t digest_overflow_lines(const struct digest *d);

#endif
