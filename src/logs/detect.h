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

#endif
