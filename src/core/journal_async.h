/*
 * journal_async.h - recording into the journal from a loop that must not
 * wait for it.
 *
 * journal_add() can wait up to the journal's 15 s busy timeout when many
 * processes write at once (a burst of cron jobs finishing). A loop that
 * draws a live view or serves traffic hands its events and samples to a
 * writer thread instead: enqueueing copies the record into a bounded queue
 * and never blocks; the thread writes them in order with journal_record()
 * and journal_record_sample(), so a broken journal still only warns once.
 * When the queue is full the newest record is dropped and counted.
 */
#ifndef BRACE_JOURNAL_ASYNC_H
#define BRACE_JOURNAL_ASYNC_H

#include <stddef.h>
#include <stdint.h>

#include "core/journal.h"

typedef struct journal_async journal_async;

/*
 * Start a writer thread for j, which it uses alone from now on (j may be
 * NULL: records are then discarded, as journal_record() does). cap is the
 * most records waiting at once. NULL with err when the thread cannot start.
 */
journal_async *journal_async_start(journal *j, size_t cap, char *err);
/*
 * Queue a copy of an event / a sample (a zero ts_ms becomes now, the time
 * it happened rather than the time it is written). 0, or -1 when the queue
 * is full or memory is short (the record is dropped and counted). a NULL:
 * nothing happens.
 */
int journal_async_event(journal_async *a, const struct journal_event *ev);
int journal_async_sample(journal_async *a, const struct journal_sample *s);
/*
 * Write what is queued for at most wait_ms (plus the record being written
 * when the time is up), then stop the thread and free a; the journal stays
 * open for the caller to close. Returns the number of records dropped over
 * the writer's life (queue full, or left unwritten at the deadline). NULL a
 * returns 0.
 */
int64_t journal_async_stop(journal_async *a, int64_t wait_ms);

#endif
