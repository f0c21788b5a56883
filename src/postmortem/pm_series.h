/*
 * pm_series.h - the curves of the night on the shared axis, and its
 * saturation episodes.
 *
 * From the samples: database connections used against usable (brace conns;
 * with several servers, the one that came closest to full), requests and 5xx
 * responses per second and the queue (brace lb's pool rows, each count
 * spread over the interval it covers), and job runs as marks (brace run's
 * events). An episode is a run of database samples at PM_SATURATED of
 * usable or more (or refused as full); without database samples, a run of
 * bins with 5xx responses.
 */
#ifndef BRACE_PM_SERIES_H
#define BRACE_PM_SERIES_H

#include "postmortem/pm.h"

#define PM_SATURATED 0.9

/* Fill n's curves, marks and episodes from its samples and events (after pm_window_fit). */
void pm_series_build(struct pm_night *n);
/*
 * Once the requests are known (from the samples or the access logs): 5xx at
 * 0 where requests were counted without any, and, for a night without
 * database samples, episodes from the 5xx curve.
 */
void pm_series_finish(struct pm_night *n);

#endif
