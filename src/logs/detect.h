/*
 * detect.h - which format an input is in, from its first lines.
 *
 * Up to DETECT_LINES whole lines from the start of the input (peeked, not
 * consumed) vote through format_detect(). Shared by brace logs and the
 * postmortem, which both read logs whose format nobody named.
 */
#ifndef BRACE_LOGS_DETECT_H
#define BRACE_LOGS_DETECT_H

#include "logs/format.h"
#include "logs/reader.h"
#include "logs/timestamp.h"

#define DETECT_LINES 100

/* The format of r's first lines in *out. 0, or -1 with err when r cannot be read. */
int detect_input(struct reader *r, struct timestamp_ctx *tc, enum format_id *out, char *err);

/*
 * The format of the first lines of data[0..len) (FORMAT_GENERIC when it
 * holds none): for an input whose first lines come later (--follow).
 */
enum format_id detect_data(struct timestamp_ctx *tc, const char *data, size_t len);

/*
 * How the bare integer time of the first lines of data[0..len) (an access
 * log of format f) reads: 1 seconds (Apache %T), 0 microseconds (%D; also
 * when f is no access log). See format_int_secs().
 */
int detect_int_secs(struct timestamp_ctx *tc, enum format_id f, const char *data, size_t len);

/*
 * 1 when the first lines of data[0..len) (format f) are an access log: the
 * combined or Common format, or JSON Lines of which most records are
 * requests (jsonl.h).
 */
int detect_access(struct timestamp_ctx *tc, enum format_id f, const char *data, size_t len);

#endif
