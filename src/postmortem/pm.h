/*
 * pm.h - the night a postmortem tells: what the journals and logs hold,
 * and what is computed from them.
 *
 * brace postmortem works in stages, one module each, all filling this one
 * structure (the layout is shared on purpose: every stage reads what the
 * earlier ones wrote):
 *   pm_journal   reads and merges the journals (events, samples, hosts)
 *   pm_logs      runs brace logs' engine over the logs
 *   pm_window    the incident window and the shared time axis
 *   pm_series    curves on that axis, saturation episodes, job marks
 *   pm_impact    impact figures and the standard moments
 *   pm_trigger   trigger candidates, ranked, with their evidence
 *   pm_timeline  the timeline rows, each naming its source
 *   pm_report    Markdown, HTML and JSON
 * Everything that grows has a cap (PM_MAX_*); what a cap or a bad input left
 * out is noted in pm_night.left_out and said in the report.
 */
#ifndef BRACE_PM_H
#define BRACE_PM_H

#include <stddef.h>
#include <stdint.h>

#define PM_MAX_EVENTS 200000
#define PM_MAX_SAMPLES 2000000
#define PM_MAX_HOSTS 64
#define PM_MAX_LOGS 16
#define PM_MAX_NOTES 32
#define PM_MAX_BINS 400
#define PM_MAX_EPISODES 256
#define PM_MAX_ROWS 400
#define PM_MAX_CANDIDATES 64
#define PM_MAX_MARKS 2000
#define PM_NOTE_LEN 320
#define PM_TEXT_LEN 512

/* One event, copied out of its journal. */
struct pm_event {
	int64_t id, ts;
	char *host, *source, *kind, *severity, *subject, *message, *details;
	int sev;                /* 0 debug .. 5 critical */
};

/* One sample, copied out of its journal. */
struct pm_sample {
	int64_t ts;
	char *host, *source, *series, *labels;
	double value;
};

/* A span where the database was saturated (or, without database samples, clients failed). */
struct pm_episode {
	int64_t start, end;     /* first and last sample (or bin) of the span */
	double peak, usable;    /* largest used; usable then */
	char top_holder[64];    /* who held the most at the start ("" = not recorded) */
	char top_by[16];        /* user, application or client */
	double top_count;
	const char *host;       /* the host whose samples showed it (owned by the night) */
};

/* A run, skip, gate or kill of a job, drawn as a mark on the time axis. */
struct pm_mark {
	int64_t ts;
	char kind[16];          /* the run event's kind */
	char subject[64];
};

/* One row of the timeline. */
struct pm_row {
	int64_t ts;
	char source[160];       /* "journal #12 on db1" or "postgres.log:1234" */
	char text[PM_TEXT_LEN];
	int sev;
};

/* Something whose firings line up with the saturation, with its evidence. */
struct pm_candidate {
	char what[PM_TEXT_LEN]; /* a template, a template with one value, or a holder */
	char evidence[3 * PM_TEXT_LEN];
	char origin[160];       /* log file or "brace conns holders" */
	double score;
	int hits, episodes;     /* episodes that began within the lead after a firing */
	uint64_t firings;
};

/* What one log file gave. */
struct pm_log {
	const char *path;
	int ok;
	char format[24];
	uint64_t lines;
	int access;             /* a web access log: requests and status codes */
};

struct pm_night {
	const char *title;
	/* inputs */
	struct pm_event *ev;
	size_t nev, capev;
	struct pm_sample *smp;
	size_t nsmp, capsmp;
	char *hosts[PM_MAX_HOSTS];
	size_t nhosts;
	int njournals;          /* journals read */
	struct pm_log logs[PM_MAX_LOGS];
	size_t nlogs;
	char left_out[PM_MAX_NOTES][PM_NOTE_LEN];
	size_t nleft;
	/* window and axis */
	int64_t since, until;
	int window_auto;        /* found from the events, not given */
	char window_why[PM_NOTE_LEN];
	int64_t bin_ms;
	size_t nbins;
	/* curves, one value per bin; NAN where nothing was recorded */
	char db_server[160];
	double db_used[PM_MAX_BINS], db_usable[PM_MAX_BINS];
	double rps[PM_MAX_BINS], err_rps[PM_MAX_BINS], queue[PM_MAX_BINS];
	char traffic_from[PM_NOTE_LEN];  /* "brace lb samples" or "access log FILE" ("" = none) */
	struct pm_mark marks[PM_MAX_MARKS];
	size_t nmarks;
	/* episodes */
	struct pm_episode ep[PM_MAX_EPISODES];
	size_t nep;
	int ep_saturation;      /* 1: database saturation, 0: client failures */
	int64_t sample_gap_ms;  /* median interval of the database samples */
	/* impact */
	double requests, failed, queue_peak, queue_timeouts;
	double p99_peak_ms;     /* the load balancer's worst p99 latency; 0 = not recorded */
	int have_traffic, have_queue;
	double db_peak_used, db_peak_usable;
	int64_t db_saturated_ms, db_refused_samples;
	int64_t jobs_run, jobs_skipped, jobs_gated, jobs_killed, jobs_failed;
	/* moments; 0 = unknown */
	int64_t began, detected, mitigated, resolved;
	char began_why[PM_NOTE_LEN], detected_why[PM_NOTE_LEN], mitigated_why[PM_NOTE_LEN],
	    resolved_why[PM_NOTE_LEN];
	/* results */
	struct pm_row *rows;
	size_t nrows;
	size_t rows_dropped;
	struct pm_candidate cand[PM_MAX_CANDIDATES];
	size_t ncand;
};

/* Note what was left out of the report (a bad input, a cap); printf-style. */
void pm_note(struct pm_night *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* snprintf for texts that may be cut at n bytes (a long template, a long path). */
void pm_textf(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Forget the events (samples) from index from on, freeing what they own. */
void pm_drop_events(struct pm_night *n, size_t from);
void pm_drop_samples(struct pm_night *n, size_t from);
/* Free everything n owns. */
void pm_night_release(struct pm_night *n);
/* Severity rank of a name: debug 0 .. critical 5; unknown names rank as info. */
int pm_severity(const char *s);
/* The string value of key in a flat JSON object (labels); 0 when found, -1 if not. */
int pm_label(const char *json, const char *key, char *out, size_t n);
/* Add count, spread evenly over [t0, t1), to series as a rate per second per bin. */
void pm_spread(const struct pm_night *n, double *series, int64_t t0, int64_t t1, double count);
/* "7m 12s", "45s", "1.2s" */
void pm_fmt_duration(int64_t ms, char *out, size_t n);
/* "07:20:05" (UTC, seconds) */
void pm_fmt_clock(int64_t ms, char *out, size_t n);

#endif
