/*
 * run_gate.c - see run_gate.h.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/units.h"
#include "run/run_backoff.h"
#include "run/run_gate.h"
#include "run/run_signal.h"

int
run_gate_parse_unreachable(const char *s, enum run_gate_unreachable *out)
{
	if (strcmp(s, "skip") == 0)
		*out = RUN_GATE_UNREACHABLE_SKIP;
	else if (strcmp(s, "run") == 0)
		*out = RUN_GATE_UNREACHABLE_RUN;
	else
		return -1;
	return 0;
}

int
run_gate_enabled(const struct run_gate *g)
{
	return g->max_load >= 0 || g->db != NULL;
}

static int
load_open(const struct run_gate *g, char *why)
{
	double load[1];

	if (g->max_load < 0)
		return 1;
	if (getloadavg(load, 1) != 1) {
		snprintf(why, RUN_GATE_WHY_LEN, "cannot read the load average");
		return 0;
	}
	if (load[0] <= g->max_load)
		return 1;
	snprintf(why, RUN_GATE_WHY_LEN, "load average %.2f above --max-load %.2f", load[0],
	    g->max_load);
	return 0;
}

/* Did SIGTERM, SIGINT or SIGHUP arrive (and cut a database call short)? */
static int
stop_pending(void)
{
	struct pollfd p = { .fd = run_signal_stop_fd(), .events = POLLIN };

	return p.fd >= 0 && poll(&p, 1, 0) > 0;
}

static int
db_open(const struct run_gate *g, int64_t deadline_ms, char *why)
{
	struct db_connect_opts o = {
		.timeout_ms = RUN_GATE_DB_TIMEOUT_MS, .query_timeout_ms = RUN_GATE_DB_TIMEOUT_MS,
		.deadline_ms = deadline_ms, .application_name = "brace run",
		.cancel_fd = run_signal_stop_fd() > 0 ? run_signal_stop_fd() : 0,
	};
	char err[ERR_LEN], target[128];
	struct db_headroom h;
	enum db_failure f;
	db *d;
	int rc;

	if (g->db == NULL)
		return 1;
	db_url_target(g->db, target, sizeof(target));
	if ((d = db_connect(g->db, &o, &f, err)) == NULL) {
		snprintf(why, RUN_GATE_WHY_LEN, "database %s: %s: %s", target, db_failure_name(f),
		    err);
		if (stop_pending())
			return -3;
		if (f == DB_FAIL_AUTH || f == DB_FAIL_BAD_URL)
			return -1;
		return f == DB_FAIL_UNREACHABLE ? -2 : 0;
	}
	rc = db_headroom(d, &h, err);
	if (rc < 0) {
		int lost = db_connection_lost(d);

		db_close(d);
		snprintf(why, RUN_GATE_WHY_LEN, "database %s: %s", target, err);
		if (stop_pending())
			return -3;
		return lost ? -2 : 0;
	}
	db_close(d);
	if (!db_threshold_alert(&g->db_max_used, h.used, h.usable))
		return 1;
	snprintf(why, RUN_GATE_WHY_LEN, "database %s: %lld of %lld usable connections in use "
	    "(%.0f%%), above --db-max-used %s", target, (long long)h.used, (long long)h.usable,
	    h.percent, g->db_max_used.text);
	return 0;
}

int
run_gate_check(const struct run_gate *g, int64_t deadline_ms, char *why)
{
	int rc;

	why[0] = '\0';
	if ((rc = load_open(g, why)) != 1)
		return rc;
	return db_open(g, deadline_ms, why);
}

enum run_gate_result
run_gate_wait(const struct run_gate *g, int64_t *waited_ms, int *sig, char *why)
{
	int64_t t0 = clock_mono_ms(), deadline = t0 + g->timeout_ms, left, delay;
	char d[32];

	*sig = 0;
	why[0] = '\0';
	for (int attempt = 1;; attempt++) {
		char now_why[RUN_GATE_WHY_LEN];
		int rc = run_gate_check(g, deadline, now_why);

		*waited_ms = clock_mono_ms() - t0;
		/*
		 * A last check that only ran out of the gate's time says nothing new:
		 * keep the reason the gate was closed ("above --db-max-used 5").
		 */
		if (rc != -2 || why[0] == '\0' || clock_mono_ms() < deadline)
			snprintf(why, RUN_GATE_WHY_LEN, "%s", now_why);
		if (rc == 1)
			return RUN_GATE_OPEN;
		if (rc == -1)
			return RUN_GATE_BROKEN;
		if (rc == -3 && (*sig = run_signal_take_stop()) != 0)
			return RUN_GATE_SIGNAL;
		if (rc == -2 && g->unreachable == RUN_GATE_UNREACHABLE_RUN)
			return RUN_GATE_OPEN_UNREACHABLE;
		left = deadline - clock_mono_ms();
		if (left <= 0)
			return RUN_GATE_TIMEOUT;
		delay = run_backoff_delay(g->first_delay_ms, attempt, g->max_delay_ms);
		if (delay > left)
			delay = left;
		units_fmt_duration(delay, d, sizeof(d));
		log_info("waiting: %s; checking again in %s", why, d);
		if ((*sig = run_signal_sleep(delay)) != 0) {
			*waited_ms = clock_mono_ms() - t0;
			return RUN_GATE_SIGNAL;
		}
	}
}
