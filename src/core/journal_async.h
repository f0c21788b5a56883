/*
 * journal_async.h - recording into the journal from a loop that must not
 * wait for it.
 *
 * journal_add() can wait for a busy journal (many processes writing at
 * once, another holding a long transaction): a moment for a service handle
 * (journal_open_or_warn()), longer for others. A loop that draws a live
 * view or serves traffic hands its events and samples to a writer thread
 * instead: enqueueing copies the record into a bounded queue and never
 * blocks; the thread writes them in order with journal_record() and
 * journal_record_sample(), so a broken or locked journal only costs counted,
 * rate-limited warnings. When the queue is full the newest record is
 * dropped and counted.
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
 * Write what is queued for at most wait_ms, then stop the thread and free a;
 * the journal stays open for the caller to close. A journal that fails a
 * write meanwhile (locked by another process, full) is not tried again for
 * the rest, and a write still waiting at the deadline is given up
 * (journal_abandon()), so this returns within wait_ms and a moment. Returns
 * the number of records dropped over the writer's life (queue full, or left
 * unwritten at the end). NULL a returns 0.
 */
int64_t journal_async_stop(journal_async *a, int64_t wait_ms);

#endif
