/*
 * pm_window.h - the incident window and the time axis every chart shares.
 *
 * Given --since/--until, the window is what they say. Otherwise it is found:
 * the span from the first to the last warning-or-worse event, padded by a
 * quarter of its length (at least a minute) on each side, then fitted to what
 * was recorded in it; without any such event, everything the journals and
 * logs hold. The axis cuts the window into at most PM_AXIS_BINS bins of a
 * round width (1 s, 2 s, 5 s, 10 s, ... 1 day).
 */
#ifndef BRACE_PM_WINDOW_H
#define BRACE_PM_WINDOW_H

#include "postmortem/pm.h"

#define PM_AXIS_BINS 300

/*
 * First guess from the events (since/until 0 = not given): sets n->since,
 * n->until, n->window_auto and n->window_why. Samples are then read for it.
 */
void pm_window_guess(struct pm_night *n, int64_t since, int64_t until, int64_t log_first,
    int64_t log_last);
/*
 * Fit a found window to the events, samples and log span inside it, and lay
 * the axis. -1 with err when nothing at all was recorded in the window.
 */
int pm_window_fit(struct pm_night *n, int64_t log_first, int64_t log_last, char *err);

#endif
