/*
 * pm_journal.h - reading the journals of a night and merging them by time.
 *
 * Each journal (one per machine, say) is opened, never created: a path that
 * does not exist, a file that is not a journal or a journal of a newer
 * schema is an error for that journal only; the caller notes it and goes on
 * with the rest. Events are read whole (the window is found from them),
 * samples only within the window. Both keep the host that recorded them.
 */
#ifndef BRACE_PM_JOURNAL_H
#define BRACE_PM_JOURNAL_H

#include "postmortem/pm.h"

/* Append path's events to n. 0, or -1 with err (nothing appended). */
int pm_journal_read_events(struct pm_night *n, const char *path, char *err);
/* Append path's samples in [since, until) to n. 0, or -1 with err. */
int pm_journal_read_samples(struct pm_night *n, const char *path, int64_t since,
    int64_t until, char *err);
/* Put events and samples of all journals in time order (hosts break ties). */
void pm_journal_merge(struct pm_night *n);

#endif
