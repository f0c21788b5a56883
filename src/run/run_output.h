/*
 * run_output.h - what brace run does with the job's output.
 *
 * Every chunk the job writes on stdout or stderr comes through here. By
 * default it is passed straight on to the same stream of the governor. With
 * hold set (--quiet) it is held instead, as chronic does, and written out
 * only if the caller asks (the job failed): first in memory up to mem_cap,
 * then in an unlinked temporary file up to file_cap; past that the rest is
 * counted and dropped, and the replay says how much went missing before
 * printing the tail. Chunks are held with their stream, so a replay keeps
 * stdout and stderr apart and in the order they were written.
 *
 * Either way the last RUN_OUTPUT_TAIL bytes (both streams interleaved) are
 * kept for the run's journal record and the monitoring ping.
 */
#ifndef BRACE_RUN_OUTPUT_H
#define BRACE_RUN_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define RUN_OUTPUT_TAIL (64 * 1024)
#define RUN_OUTPUT_MEM_CAP (1024 * 1024)
#define RUN_OUTPUT_FILE_CAP (256ULL * 1024 * 1024)

enum run_stream { RUN_STDOUT = 1, RUN_STDERR = 2 };

typedef struct run_output run_output;

/*
 * A new output handler. out_fd and err_fd are where the job's stdout and
 * stderr go (passed through, or replayed when held). Returns NULL + err.
 * The temporary file, if one is needed, is created in $TMPDIR or /tmp.
 */
run_output *run_output_new(int hold, int out_fd, int err_fd, size_t mem_cap,
    uint64_t file_cap, char *err);
void run_output_free(run_output *o);

/*
 * Take n bytes the job wrote on stream. Passing through never fails the job:
 * a write error on the governor's own stdout (a closed pipe) is remembered
 * and later chunks are still kept in the tail. Returns 0, or -1 + err if
 * held output could not be stored (the chunk is still in the tail).
 */
int run_output_add(run_output *o, enum run_stream stream, const char *p, size_t n,
    char *err);

/* Write the held output to the streams, in order. 0 / -1 + err. */
int run_output_replay(run_output *o, char *err);

/* Append the last RUN_OUTPUT_TAIL bytes, oldest first, to out. 0 / -1 (cap). */
int run_output_tail(const run_output *o, struct buf *out);

/* Bytes seen since the last reset, and bytes of held output dropped at the caps. */
uint64_t run_output_total(const run_output *o);
uint64_t run_output_dropped(const run_output *o);

/* Forget everything (before another attempt); the temporary file is closed. */
void run_output_reset(run_output *o);

#endif
