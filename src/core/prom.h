/*
 * prom.h - the Prometheus text exposition format (version 0.0.4), written
 * into a capped struct buf.
 *
 * Every metrics page brace serves or prints goes through this writer, so
 * the rules are kept in one place: metric and label names are checked,
 * label values escaped (backslash, double quote, newline; bytes that are
 * not UTF-8 become U+FFFD, since a scraper rejects the whole page for one
 * bad byte), "# HELP" and "# TYPE" come once per family before its samples,
 * and values are formatted as Prometheus reads them (integers exactly,
 * other floats in the shortest form that reads back the same, NaN, +Inf,
 * -Inf).
 *
 * A family is opened with prom_family(); its samples follow, each built as
 *
 *	prom_begin(&p, NULL);             (or "_bucket", "_sum", "_count")
 *	prom_label(&p, "pool", name);     (any number of labels)
 *	prom_end_u64(&p, count);          (or prom_end() for a double)
 *
 * Each header and each sample is written whole or not at all: a bad name
 * or a buffer that reached its cap rolls the line back, records the first
 * error and lets the writer carry on, so a page cut by its cap still holds
 * only whole lines. prom_finish() then says whether the page is complete,
 * which lets a server answer 500 rather than serve half a page as if it
 * were all of it. Nothing here allocates but the buffer.
 */
#ifndef BRACE_PROM_H
#define BRACE_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

enum prom_type {
	PROM_GAUGE,
	PROM_COUNTER,
	PROM_HISTOGRAM,         /* samples NAME_bucket{le=...}, NAME_sum, NAME_count */
	PROM_SUMMARY,           /* samples NAME{quantile=...}, NAME_sum, NAME_count */
	PROM_UNTYPED,
};

/* Families one page may hold (each is remembered to refuse a second header). */
#define PROM_MAX_FAMILIES 512
/* Longest metric or label name accepted. */
#define PROM_NAME_MAX 128
/* The buffer needed by prom_fmt_float(). */
#define PROM_FLOAT_LEN 32

struct prom {
	struct buf *b;
	char family[PROM_NAME_MAX];     /* the open family, "" before the first */
	enum prom_type type;
	size_t nseen;                   /* families opened so far */
	uint64_t seen[PROM_MAX_FAMILIES];       /* their names' hashes */
	/* The sample being built. */
	size_t mark;                    /* b->len before it: where a rollback goes */
	int in_sample, bad, nlabels;
	int failed;                     /* some line was dropped */
	char err[ERR_LEN];              /* why, for the first one */
};

/* Start a page appended to b (which keeps its own cap). */
void prom_init(struct prom *p, struct buf *b);

/*
 * Open family name of type t: "# HELP name help" (help escaped) and
 * "# TYPE name t". Opening the family that is already open does nothing, so
 * loops may call it before each of their samples; opening a family that was
 * closed earlier on the page is an error (its samples must be together).
 * 0, or -1 with the error recorded.
 */
int prom_family(struct prom *p, const char *name, enum prom_type t, const char *help);

/*
 * Begin a sample of the open family. suffix is NULL or "" for the family's
 * own samples, "_bucket"/"_sum"/"_count" for a histogram's, "_sum"/"_count"
 * for a summary's; anything else is an error that drops the sample.
 */
void prom_begin(struct prom *p, const char *suffix);
/* Add a label; value NULL is written as "". */
void prom_label(struct prom *p, const char *name, const char *value);
/* Add a label whose value is a number, formatted as values are ("0.25", "+Inf"). */
void prom_label_float(struct prom *p, const char *name, double v);
/* End the sample with its value and a newline. */
void prom_end(struct prom *p, double v);
void prom_end_u64(struct prom *p, uint64_t v);
void prom_end_i64(struct prom *p, int64_t v);

/* 0 when every line was written; -1 with the first error copied into err. */
int prom_finish(const struct prom *p, char *err);

/* A value as Prometheus parses it: "42", "0.1", "1.5e-07", "NaN", "+Inf", "-Inf". */
void prom_fmt_float(double v, char *out, size_t n);
/* 1 when s is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*). */
int prom_valid_metric_name(const char *s);
/* 1 when s is a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting "__"). */
int prom_valid_label_name(const char *s);

#endif
