/*
 * pm_timeline.h - the timeline of the night: journal events, the crossings
 * the samples show, and what the logs found, in time order; every row names
 * its source (journal event id and host, or log file and line).
 */
#ifndef BRACE_PM_TIMELINE_H
#define BRACE_PM_TIMELINE_H

#include "postmortem/pm.h"

/*
 * Add a row (text printf-style; `code` spans are kept for the renderers).
 * Past PM_MAX_ROWS rows the least severe ones are dropped and counted.
 */
void pm_timeline_add(struct pm_night *n, int64_t ts, int sev, const char *source,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * Add the journal events and the saturation episodes of the window, then
 * sort. An event that repeats (same host, source, kind, severity and
 * subject, each within a minute of the last) stays one row, its first,
 * saying how many more times it happened and until when: a server flapping
 * all night does not bury the rest.
 */
void pm_timeline_build(struct pm_night *n);

#endif
