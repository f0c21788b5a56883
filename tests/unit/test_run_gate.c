/*
 * test_run_gate.c - the load gate opens and closes on its threshold, and a
 * closed gate gives up after its timeout with the reason.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "run/run_gate.h"

static double
load_now(void)
{
	double l[1];

	assert_int_equal(getloadavg(l, 1), 1);
	return l[0];
}

static void
no_gate_configured_is_disabled(void **state)
{
	struct run_gate g = { .max_load = -1 };

	assert_false(run_gate_enabled(&g));
}

static void
load_below_threshold_is_open(void **state)
{
	struct run_gate g = { .max_load = 1e6, .timeout_ms = 1000, .first_delay_ms = 10,
	    .max_delay_ms = 10 };
	char why[RUN_GATE_WHY_LEN];
	int64_t waited = -1;
	int sig = -1;

	assert_true(run_gate_enabled(&g));
	assert_int_equal(run_gate_check(&g, 0, why), 1);
	assert_int_equal(run_gate_wait(&g, &waited, &sig, why), RUN_GATE_OPEN);
	assert_int_equal(sig, 0);
	assert_true(waited >= 0);
}

static void
load_above_threshold_times_out_with_reason(void **state)
{
	struct run_gate g = { .max_load = 0, .timeout_ms = 50, .first_delay_ms = 10,
	    .max_delay_ms = 20 };
	char why[RUN_GATE_WHY_LEN];
	int64_t waited;
	int sig;

	if (load_now() == 0)
		skip();	/* an idle machine: the gate is open at 0 */
	assert_int_equal(run_gate_check(&g, 0, why), 0);
	assert_non_null(strstr(why, "above --max-load 0.00"));
	assert_int_equal(run_gate_wait(&g, &waited, &sig, why), RUN_GATE_TIMEOUT);
	assert_true(waited >= 50);
	assert_non_null(strstr(why, "load average"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_gate_configured_is_disabled),
		cmocka_unit_test(load_below_threshold_is_open),
		cmocka_unit_test(load_above_threshold_times_out_with_reason),
	};

	return cmocka_run_group_tests_name("run_gate", tests, NULL, NULL);
}
