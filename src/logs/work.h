/*
 * work.h - the per-block job: parse, filter and mask a block of lines.
 *
 * The input is read in blocks of whole lines; worker threads turn each block
 * into records (time stamp, masked key, client, status) with block-local
 * string tables, and the digest consumes the blocks in input order. Nothing
 * a worker does depends on earlier blocks, which is what lets two cores
 * share the parsing while the result stays the same as a single pass.
 */
#ifndef BRACE_LOGS_WORK_H
#define BRACE_LOGS_WORK_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "logs/format.h"
#include "logs/header.h"
#include "logs/reader.h"
#include "logs/strtab.h"
#include "logs/timestamp.h"
#include "logs/topk.h"

#define WORK_NONE UINT32_MAX

enum {
	WORK_CUT = 1,           /* the line was longer than --max-line and was cut */
	WORK_UNPARSED = 2,      /* the line did not match its format */
	WORK_SKIP = 4,          /* nothing to mine (format metadata, --grep) */
	WORK_GREP_OUT = 8,      /* dropped by --grep */
	WORK_COUNT_LATE = 16,   /* a request whose client and agent the digest
	                           counts: only it knows the time of a line that
	                           has none, for --since and --until */
};

/* The top-k caps for clients and user agents (topk.h). */
#define WORK_TOP_CLIENTS 65536
#define WORK_TOP_AGENTS 2000

struct work_rec {
	int64_t ts;             /* TIMESTAMP_NONE if the line has none */
	uint32_t key;           /* index into keys, WORK_NONE = nothing to mine */
	uint32_t client;        /* index into clients, WORK_NONE = not an access line */
	uint32_t ua;            /* index into uas */
	uint32_t msg_off;       /* message offset in the block's data (msg_len 0: unknown) */
	uint32_t msg_len;
	uint32_t req_us;        /* request time in microseconds, WORK_NONE = unknown */
	uint32_t up_us;         /* upstream time, WORK_NONE = unknown */
	uint16_t status;
	uint8_t flags;
};

struct work_block {
	uint64_t seq;           /* consumption order */
	const char *data;       /* whole lines, '\n'-separated (last may lack it) */
	size_t len;
	struct buf own;         /* the block's copy of its lines (data points into
	                           it), kept for the next block when recycled */
	const uint16_t *line_src; /* source of each line, NULL: all from src */
	int src;
	int last;               /* 1 on the final block of the run */
	/* a range of a regular file, read by the thread that processes the
	   block (reader_range) when from is set; data and len are then set,
	   and left empty after processing when no record's message is kept
	   (requests: the digest reads only the records) */
	const struct reader *from;
	uint64_t at, end;
	uint64_t ended_at;      /* UINT64_MAX, or where the file ended (it shrank) */
	char err[ERR_LEN];      /* why processing failed */
	/* outputs */
	struct work_rec *recs;
	size_t nrecs, caprecs;
	struct strtab keys, clients, uas;
	uint32_t *client_ua;    /* the user agent last seen with each client */
	size_t client_ua_cap;
	uint64_t bytes_sent;
};

/* Read-only settings shared by all workers. */
struct work_cfg {
	const enum format_id *formats;  /* per source */
	const header *hdr;              /* --header, or NULL */
	const void *grep;               /* pcre2_code *, or NULL */
	size_t max_line;
	int64_t now_ms;
	const unsigned char *int_secs;  /* per source: a bare integer time is in seconds
	                                   (Apache %T), not microseconds (%D); NULL: all %D */
	int64_t since_ms, until_ms;     /* --since and --until, 0 = open */
};

/*
 * Per-thread state. The requests of every client and user agent a thread
 * parsed are counted in its own top-k tables (they are large and would
 * cost the digesting thread its cache); the engine adds them into the
 * digest's when the threads rest.
 */
struct work_ctx {
	struct timestamp_ctx tc;
	header_match *hm;
	void *grep_md;          /* pcre2_match_data * */
	struct buf scratch, masked;
	struct buf range;       /* a file range is read here, then copied to
	                           the block only when the digest will read it */
	struct topk clients, uas;
};

int work_ctx_init(struct work_ctx *c, const struct work_cfg *cfg);
void work_ctx_release(struct work_ctx *c);

struct work_block *work_block_new(void);
/* Free the block, its records, tables and owned data. */
void work_block_free(struct work_block *b);

/*
 * Fill b's outputs from its data (read first when b->from is set). -1 with
 * b->err set when memory runs out or the read fails.
 */
int work_block_process(struct work_block *b, const struct work_cfg *cfg, struct work_ctx *c);

#endif
