/*
 * pm_report_md.c - the postmortem as Markdown (see pm_report.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "postmortem/pm_report.h"

/* A table row: "| a | b | c |", cells split on tabs, pipes escaped. */
static void
row(FILE *f, const char *s)
{
	fputs("| ", f);
	for (; *s; s++) {
		if (*s == '\t')
			fputs(" | ", f);
		else if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s, f);
	}
	fputs(" |\n", f);
}

int
pm_report_md(const struct pm_doc *d, FILE *f, char *err)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct pm_block *b = &d->b[i];
		enum pm_block_kind next = i + 1 < d->n ? d->b[i + 1].kind : PM_P;

		switch (b->kind) {
		case PM_TITLE: fprintf(f, "# %s\n\n", b->text); break;
		case PM_H2: fprintf(f, "## %s\n\n", b->text); break;
		case PM_H3: fprintf(f, "### %s\n\n", b->text); break;
		case PM_P: fprintf(f, "%s\n\n", b->text); break;
		case PM_LI: fprintf(f, "- %s\n%s", b->text, next == PM_LI ? "" : "\n"); break;
		case PM_PROMPT: fprintf(f, "> %s\n\n", b->text); break;
		case PM_THEAD: {
			size_t cells = 1;

			row(f, b->text);
			for (const char *p = b->text; *p; p++)
				cells += *p == '\t';
			for (size_t c = 0; c < cells; c++)
				fputs(c ? "---|" : "|---|", f);
			fputc('\n', f);
			break;
		}
		case PM_TROW:
			row(f, b->text);
			if (next != PM_TROW)
				fputc('\n', f);
			break;
		case PM_CHARTS:
			fputs("(The HTML version of this report draws the curves on one time axis.)\n\n",
			    f);
			break;
		}
	}
	if (fflush(f) != 0 || ferror(f)) {
		err_set(err, "cannot write the Markdown report");
		return -1;
	}
	return 0;
}
