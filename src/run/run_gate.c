/*
 * run_gate.c - see run_gate.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/units.h"
#include "run/run_backoff.h"
#include "run/run_gate.h"
#include "run/run_signal.h"

int
run_gate_enabled(const struct run_gate *g)
{
	return g->max_load >= 0;
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

int
run_gate_check(const struct run_gate *g, char *why)
{
	why[0] = '\0';
	return load_open(g, why);
}

enum run_gate_result
run_gate_wait(const struct run_gate *g, int64_t *waited_ms, int *sig, char *why)
{
	int64_t t0 = clock_mono_ms(), left, delay;
	char d[32];

	*sig = 0;
	for (int attempt = 1;; attempt++) {
		if (run_gate_check(g, why)) {
			*waited_ms = clock_mono_ms() - t0;
			return RUN_GATE_OPEN;
		}
		left = t0 + g->timeout_ms - clock_mono_ms();
		if (left <= 0) {
			*waited_ms = clock_mono_ms() - t0;
			return RUN_GATE_TIMEOUT;
		}
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
