/*
 * conns_view.h - drawing `brace conns --watch`: one full-screen frame per
 * sample (headroom bar, sparkline, breakdowns, oldest sessions, recent
 * status changes), or one plain line per sample when not on a terminal.
 *
 * A frame is built in a struct buf and written with one write(2), starting
 * at the home position and clearing each line's rest, so the view never
 * flickers. Lines are cut at the window width (escape sequences and UTF-8
 * continuation bytes do not count).
 */
#ifndef BRACE_CONNS_VIEW_H
#define BRACE_CONNS_VIEW_H

#include <stdint.h>

#include "conns/conns_report.h"
#include "conns/conns_sample.h"
#include "core/buf.h"

/* Samples remembered for the sparkline (about an hour at 2 s). */
#define CONNS_HISTORY 2048
/* Status changes shown at the bottom. */
#define CONNS_VIEW_EVENTS 5

struct conns_point {
	int64_t ts_ms;
	int64_t used;           /* -1 when the server did not answer */
	int64_t usable;
};

struct conns_view_event {
	int64_t ts_ms;
	int initial;            /* the status the watch started in (no from) */
	enum conns_status from, to;
	char text[192];
};

struct conns_view {
	const char *redacted;           /* the URL shown in the title */
	int64_t interval_ms;
	const struct conns_result *now; /* this tick's result */
	const struct conns_sample *last;        /* the last good sample, or NULL */
	int64_t down_since_ms;          /* when the failures began; 0 = up */
	int64_t nsamples;
	/* Ring of points, oldest first from (head - n). */
	size_t hist_n, hist_head;
	struct conns_point hist[CONNS_HISTORY];
	int nevents;                    /* newest last */
	struct conns_view_event events[CONNS_VIEW_EVENTS];
};

void conns_view_push_point(struct conns_view *v, const struct conns_point *p);
void conns_view_push_event(struct conns_view *v, const struct conns_view_event *e);
/* Append a full frame for a cols x rows window. */
void conns_view_frame(struct buf *b, const struct conns_view *v, int cols, int rows,
    int utf8, int color);
/*
 * Append one line describing r ("2026-11-27T07:41:37Z OK used=5 usable=17 ...");
 * color: the status word in its colour.
 */
void conns_view_line(struct buf *b, const struct conns_result *r, int color);

#endif
