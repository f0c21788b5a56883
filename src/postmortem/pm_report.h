/*
 * pm_report.h - the postmortem as a document: built once from the night
 * (pm_report_doc.c) in the sections of the Google SRE book's template, then
 * written as Markdown (pm_report_md.c) or as one self-contained HTML page
 * with inline SVG charts on one shared time axis (pm_report_html.c); JSON
 * for other tools comes from the night itself (pm_report_json.c).
 *
 * Text in blocks may hold `code` spans; each writer renders them its way.
 * Table rows are cells separated by tabs.
 */
#ifndef BRACE_PM_REPORT_H
#define BRACE_PM_REPORT_H

#include <stdio.h>

#include "postmortem/pm.h"

enum pm_block_kind {
	PM_TITLE, PM_H2, PM_H3, PM_P, PM_LI, PM_PROMPT, PM_THEAD, PM_TROW, PM_CHARTS,
};

struct pm_block {
	enum pm_block_kind kind;
	char *text;
};

struct pm_doc {
	struct pm_block *b;
	size_t n, cap;
	int oom;
};

#define PM_DOC_MAX_BLOCKS 4000

/* Build the document; -1 when memory ran out. pm_doc_release() in any case. */
int pm_report_doc(const struct pm_night *n, struct pm_doc *d);
void pm_doc_release(struct pm_doc *d);

/* Write d (or n, for JSON) to f. 0, or -1 with err on a write error. */
int pm_report_md(const struct pm_doc *d, FILE *f, char *err);
int pm_report_html(const struct pm_doc *d, const struct pm_night *n, FILE *f, char *err);
int pm_report_json(const struct pm_night *n, FILE *f, char *err);

#endif
