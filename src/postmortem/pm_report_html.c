/*
 * pm_report_html.c - the postmortem as one self-contained HTML page: the
 * document's sections, and inline SVG charts that share one time axis
 * (database connections used against usable, requests and 5xx per second,
 * the load balancer's queue, job runs as marks), with the saturation
 * episodes shaded and the standard moments drawn across all of them.
 * No script, no external resource: it reads the same with no network.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "postmortem/pm_report.h"

#define W 1000          /* view box width */
#define LEFT 70         /* room for the y labels */
#define RIGHT 40
#define H 150           /* one chart's height */
#define TOP 22
#define BOTTOM 24

static const char style[] =
    "body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
    "color:#222}h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;"
    "margin-top:1.6em}code{background:#f3f3f3;padding:0 .25em;border-radius:3px}"
    "blockquote{border-left:4px solid #e0b040;background:#fffaf0;margin:1em 0;"
    "padding:.4em 1em;color:#555}table{border-collapse:collapse;width:100%;font-size:13px}"
    "td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}"
    "th{background:#f6f6f6}.chart{display:block;width:100%;height:auto;margin:.5em 0}"
    ".chart text{font:11px system-ui,sans-serif;fill:#555}.legend{font-size:12px;color:#555}";

/* Text with `code` and **strong** spans, HTML-escaped. */
static void
text(FILE *f, const char *s)
{
	int code = 0, strong = 0;

	for (; *s; s++) {
		if (*s == '`') {
			fputs(code ? "</code>" : "<code>", f);
			code = !code;
		} else if (!code && s[0] == '*' && s[1] == '*') {
			fputs(strong ? "</strong>" : "<strong>", f);
			strong = !strong;
			s++;
		} else if (*s == '<') {
			fputs("&lt;", f);
		} else if (*s == '>') {
			fputs("&gt;", f);
		} else if (*s == '&') {
			fputs("&amp;", f);
		} else if (*s == '"') {
			fputs("&quot;", f);
		} else {
			fputc(*s, f);
		}
	}
	if (code)
		fputs("</code>", f);
	if (strong)
		fputs("</strong>", f);
}

static void
cells(FILE *f, const char *s, const char *tag)
{
	char buf[4096];
	const char *p = s;

	fputs("<tr>", f);
	for (;;) {
		const char *t = strchr(p, '\t');
		size_t len = t ? (size_t)(t - p) : strlen(p);

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, p, len);
		buf[len] = '\0';
		fprintf(f, "<%s>", tag);
		text(f, buf);
		fprintf(f, "</%s>", tag);
		if (t == NULL)
			break;
		p = t + 1;
	}
	fputs("</tr>\n", f);
}

static double
x_of(const struct pm_night *n, int64_t ts)
{
	double span = (double)(n->until - n->since);

	return LEFT + (W - LEFT - RIGHT) * (double)(ts - n->since) / (span > 0 ? span : 1);
}

static double
y_of(double v, double max)
{
	return TOP + (H - TOP - BOTTOM) * (1 - v / max);
}

static double
series_max(const double *s, size_t nb, double floor)
{
	double m = floor;

	for (size_t i = 0; i < nb; i++)
		if (!isnan(s[i]) && s[i] > m)
			m = s[i];
	return m * 1.1;
}

/* Episodes shaded, moments drawn, the time axis labelled: the same on every chart. */
static void
frame(FILE *f, const struct pm_night *n, const char *title, double max)
{
	static const char *const names[] = { "began", "detected", "mitigated", "resolved" };
	const int64_t at[] = { n->began, n->detected, n->mitigated, n->resolved };
	char c[16];

	fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "xmlns=\"http://www.w3.org/2000/svg\"><title>", W, H);
	text(f, title);
	fputs("</title>\n", f);
	fprintf(f, "<text x=\"%d\" y=\"14\" style=\"font-weight:600\">", LEFT);
	text(f, title);
	fputs("</text>\n", f);
	for (size_t i = 0; i < n->nep; i++) {
		double x0 = x_of(n, n->ep[i].start), x1 = x_of(n, n->ep[i].end + n->bin_ms);

		fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#f7d4d4\"/>\n",
		    x0, TOP, x1 - x0 > 1 ? x1 - x0 : 1, H - TOP - BOTTOM);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", LEFT,
	    H - BOTTOM, W - RIGHT, H - BOTTOM);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f</text>\n", LEFT - 6, TOP + 8,
	    max / 1.1);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", LEFT - 6, H - BOTTOM);
	for (int i = 0; i <= 6; i++) {
		int64_t t = n->since + (n->until - n->since) * i / 6;

		pm_fmt_clock(t, c, sizeof(c));
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x_of(n, t),
		    H - 6, c);
	}
	for (int i = 0; i < 4; i++) {
		if (at[i] == 0)
			continue;
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\" "
		    "stroke-dasharray=\"3,3\"/><text x=\"%.1f\" y=\"%d\">%s</text>\n", x_of(n, at[i]),
		    TOP, x_of(n, at[i]), H - BOTTOM, x_of(n, at[i]) + 3, TOP + 10 + 11 * i, names[i]);
	}
}

static void
line(FILE *f, const struct pm_night *n, const double *s, double max, const char *colour,
    const char *dash)
{
	int open = 0;

	for (size_t b = 0; b < n->nbins; b++) {
		double x = x_of(n, n->since + (int64_t)b * n->bin_ms + n->bin_ms / 2);

		if (isnan(s[b])) {
			if (open)
				fputs("\"/>\n", f);
			open = 0;
			continue;
		}
		if (!open)
			fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s%s%s "
			    "points=\"", colour, dash ? " stroke-dasharray=\"" : "", dash ? dash : "",
			    dash ? "\"" : "");
		fprintf(f, "%.1f,%.1f ", x, y_of(s[b], max));
		open = 1;
	}
	if (open)
		fputs("\"/>\n", f);
}

static void
legend(FILE *f, const char *s)
{
	fputs("<div class=\"legend\">", f);
	text(f, s);
	fputs("</div>\n", f);
}

static void
charts(FILE *f, const struct pm_night *n)
{
	double max;

	max = series_max(n->db_used, n->nbins, 1);
	if (series_max(n->db_usable, n->nbins, 1) > max)
		max = series_max(n->db_usable, n->nbins, 1);
	frame(f, n, "Database connections: used (blue) against usable (grey)", max);
	line(f, n, n->db_usable, max, "#888", "6,4");
	line(f, n, n->db_used, max, "#2060c0", NULL);
	fputs("</svg>\n", f);
	if (n->db_server[0] == '\0')
		legend(f, "No brace conns samples were recorded.");
	max = series_max(n->rps, n->nbins, 1);
	frame(f, n, "Requests per second (green) and 5xx responses per second (red)", max);
	line(f, n, n->rps, max, "#2a9a40", NULL);
	line(f, n, n->err_rps, max, "#d02020", NULL);
	fputs("</svg>\n", f);
	legend(f, n->traffic_from[0] ? n->traffic_from : "No requests were recorded.");
	max = series_max(n->queue, n->nbins, 1);
	frame(f, n, "Load balancer queue (peak waiting per sample)", max);
	line(f, n, n->queue, max, "#a050c0", NULL);
	fputs("</svg>\n", f);
	if (!n->have_queue)
		legend(f, "No brace lb queue samples were recorded.");
	frame(f, n, "Jobs: runs (green), failures and kills (red), skips (grey), gate timeouts "
	    "(orange)", 1.1);
	for (size_t i = 0; i < n->nmarks; i++) {
		const struct pm_mark *m = &n->marks[i];
		const char *c = strcmp(m->kind, "run_ok") == 0 ? "#2a9a40" :
		    strcmp(m->kind, "skip") == 0 ? "#999" :
		    strcmp(m->kind, "gate_timeout") == 0 ? "#e08020" : "#d02020";

		fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"3\" height=\"%d\" fill=\"%s\"><title>",
		    x_of(n, m->ts) - 1.5, TOP + 20, H - TOP - BOTTOM - 30, c);
		text(f, m->kind);
		fputc(' ', f);
		text(f, m->subject);
		fputs("</title></rect>\n", f);
	}
	fputs("</svg>\n", f);
	legend(f, "Shaded: saturation (or failure) episodes. Dashed lines: when the impact began, "
	    "was detected, mitigated and resolved.");
}

int
pm_report_html(const struct pm_doc *d, const struct pm_night *n, FILE *f, char *err)
{
	int in_list = 0, in_table = 0;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
	text(f, n->title);
	fprintf(f, "</title>\n<style>%s</style></head><body>\n", style);
	for (size_t i = 0; i < d->n; i++) {
		const struct pm_block *b = &d->b[i];

		if (in_list && b->kind != PM_LI) {
			fputs("</ul>\n", f);
			in_list = 0;
		}
		if (in_table && b->kind != PM_TROW) {
			fputs("</table>\n", f);
			in_table = 0;
		}
		switch (b->kind) {
		case PM_TITLE: fputs("<h1>", f); text(f, b->text); fputs("</h1>\n", f); break;
		case PM_H2: fputs("<h2>", f); text(f, b->text); fputs("</h2>\n", f); break;
		case PM_H3: fputs("<h3>", f); text(f, b->text); fputs("</h3>\n", f); break;
		case PM_P: fputs("<p>", f); text(f, b->text); fputs("</p>\n", f); break;
		case PM_PROMPT:
			fputs("<blockquote>", f);
			text(f, b->text);
			fputs("</blockquote>\n", f);
			break;
		case PM_LI:
			if (!in_list)
				fputs("<ul>\n", f);
			in_list = 1;
			fputs("<li>", f);
			text(f, b->text);
			fputs("</li>\n", f);
			break;
		case PM_THEAD:
			fputs("<table>\n", f);
			cells(f, b->text, "th");
			in_table = 1;
			break;
		case PM_TROW:
			if (!in_table)
				fputs("<table>\n", f);
			in_table = 1;
			cells(f, b->text, "td");
			break;
		case PM_CHARTS:
			charts(f, n);
			break;
		}
	}
	if (in_list)
		fputs("</ul>\n", f);
	if (in_table)
		fputs("</table>\n", f);
	fputs("</body></html>\n", f);
	if (fflush(f) != 0 || ferror(f)) {
		err_set(err, "cannot write the HTML report");
		return -1;
	}
	return 0;
}
