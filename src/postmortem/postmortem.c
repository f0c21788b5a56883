/*
 * postmortem.c - `brace postmortem`: the draft of an incident's postmortem,
 * from what brace recorded in its journals and what the logs say.
 *
 * This file is the command: options, the order of the stages (pm.h lists
 * them), what a bad input costs (that input only: the report is written from
 * the rest and says what was left out, and the exit status is 1) and where
 * the report goes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "core/cli.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/journal.h"
#include "core/log.h"
#include "postmortem/pm.h"
#include "postmortem/pm_impact.h"
#include "postmortem/pm_journal.h"
#include "postmortem/pm_logs.h"
#include "postmortem/pm_report.h"
#include "postmortem/pm_series.h"
#include "postmortem/pm_timeline.h"
#include "postmortem/pm_trigger.h"
#include "postmortem/pm_window.h"

#define MAX_JOURNALS 64

static const char pm_usage[] =
    "usage: brace postmortem [--journal PATH]... [--since T] [--until T] [--logs FILE]...\n"
    "                        [-o FILE.md] [--html FILE.html] [--json] [--title TEXT]\n"
    "\n"
    "Draft an incident's postmortem from the journal (events and samples that brace lb,\n"
    "conns, run and people recorded) and the logs: summary, impact, trigger candidates\n"
    "with their evidence, detection and resolution times, a timeline in which every\n"
    "row names its source, and prompts for what only people can write (root causes,\n"
    "lessons, action items), in the sections of the Google SRE book's template.\n"
    "\n"
    "Input:\n"
    "  --journal PATH   a journal; repeat it for several machines (merged by time, each\n"
    "                   event keeps its host). Default: the journal brace journal path\n"
    "                   names\n"
    "  --since T, --until T  the window; without --since it is found from the first\n"
    "                   and last warning-or-worse event, padded, and the report says so\n"
    "  --logs FILE      a log to dig with brace logs' engine (a database log, a web\n"
    "                   access log, syslog...); repeatable\n"
    "\n"
    "Output (default: Markdown on standard output):\n"
    "  -o FILE.md       write the Markdown here\n"
    "  --html FILE      one self-contained HTML page with charts on one time axis\n"
    "  --json           one JSON object on standard output\n"
    "  --title TEXT     the report's title\n"
    "  -h, --help       show this help\n"
    "  --version        print the version\n"
    "\n"
    "Times (T): 2026-11-27T07:20:00Z, \"2026-11-27 08:20\" (local), @EPOCH, or a\n"
    "duration meaning that long ago (30m, 2h).\n"
    "\n"
    "Exit status: 0 when every input was used; 1 when one could not be (a missing or\n"
    "unreadable journal or log, a journal of a newer schema: the report is still\n"
    "written from the rest and says what was left out) or nothing was recorded in\n"
    "the window; 2 on usage errors.\n";

enum { OPT_JOURNAL = 256, OPT_SINCE, OPT_UNTIL, OPT_LOGS, OPT_HTML, OPT_JSON, OPT_TITLE };

static const struct option pm_opts[] = {
	{ "journal", required_argument, NULL, OPT_JOURNAL },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "logs", required_argument, NULL, OPT_LOGS },
	{ "output", required_argument, NULL, 'o' },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "help", no_argument, NULL, 'h' },
	CLI_VERSION_OPTION,
	{ NULL, 0, NULL, 0 },
};

struct pm_args {
	const char *journals[MAX_JOURNALS];
	int njournals;
	const char *logs[PM_MAX_LOGS];
	int nlogs;
	int64_t since, until;
	const char *md, *html, *title;
	int json;
};

static void
parse_args(int argc, char **argv, struct pm_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	optind = 0;
	while ((c = getopt_long(argc, argv, "o:h", pm_opts, NULL)) != -1) {
		switch (c) {
		case OPT_JOURNAL:
			if (a->njournals >= MAX_JOURNALS)
				cli_usage_error("--journal: at most %d journals", MAX_JOURNALS);
			a->journals[a->njournals++] = optarg;
			break;
		case OPT_SINCE: a->since = cli_time("--since", optarg); break;
		case OPT_UNTIL: a->until = cli_time("--until", optarg); break;
		case OPT_LOGS:
			if (a->nlogs >= PM_MAX_LOGS)
				cli_usage_error("--logs: at most %d logs", PM_MAX_LOGS);
			a->logs[a->nlogs++] = optarg;
			break;
		case 'o': a->md = optarg; break;
		case OPT_HTML: a->html = optarg; break;
		case OPT_JSON: a->json = 1; break;
		case OPT_TITLE: a->title = optarg; break;
		case 'h': cli_print_help(pm_usage);
		case CLI_OPT_VERSION: cli_print_version();
		default: cli_try_help();
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s' (logs go with --logs FILE)", argv[optind]);
	if (a->since && a->until && a->until <= a->since)
		cli_usage_error("--until is not after --since");
	if (a->json && a->md != NULL && strcmp(a->md, "-") == 0)
		cli_usage_error("--json and -o - both write to standard output; pick one");
}

/* The default journal when none was named; NULL (and a note) when there is none. */
static const char *
default_journal(char *path, size_t n, char *err)
{
	struct stat st;

	if (journal_resolve_path(NULL, path, n, err) < 0)
		return NULL;
	if (stat(path, &st) < 0) {
		err_set(err, "no journal at %s (name one with --journal PATH)", path);
		return NULL;
	}
	return path;
}

static int
write_file(const char *path, const struct pm_doc *d, const struct pm_night *n, int html)
{
	char err[ERR_LEN];
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	int rc;

	if (f == NULL) {
		log_error("cannot write %s: %m", path);
		return -1;
	}
	rc = html ? pm_report_html(d, n, f, err) : pm_report_md(d, f, err);
	if (f != stdout && fclose(f) != 0 && rc == 0) {
		err_set(err, "cannot write %s", path);
		rc = -1;
	}
	if (rc < 0)
		log_error("%s: %s", path, err);
	return rc;
}

/* Read every journal's events and every log; a bad one is noted and skipped. */
static int
read_inputs(const struct pm_args *a, struct pm_night *n, pm_logs *l, int *ok)
{
	char err[ERR_LEN];
	int bad = 0;

	for (int i = 0; i < a->njournals; i++) {
		ok[i] = pm_journal_read_events(n, a->journals[i], err) == 0;
		if (!ok[i]) {
			log_error("%s", err);
			pm_note(n, "%s", err);
			bad = 1;
		}
	}
	for (int i = 0; i < a->nlogs; i++) {
		if (pm_logs_read(l, n, a->logs[i], err) < 0) {
			log_error("%s", err);
			pm_note(n, "log %s", err);
			bad = 1;
		}
	}
	return bad;
}

static int
read_samples(const struct pm_args *a, struct pm_night *n, const int *ok)
{
	char err[ERR_LEN];
	int bad = 0;

	for (int i = 0; i < a->njournals; i++) {
		if (!ok[i])
			continue;
		if (pm_journal_read_samples(n, a->journals[i], n->since,
		    n->until == INT64_MAX ? 0 : n->until, err) < 0) {
			log_error("%s", err);
			pm_note(n, "%s (its samples)", err);
			bad = 1;
		}
	}
	return bad;
}

static int
write_reports(const struct pm_args *a, struct pm_night *n)
{
	struct pm_doc d;
	char err[ERR_LEN];
	int rc = 0;

	if (pm_report_doc(n, &d) < 0) {
		log_error("out of memory");
		pm_doc_release(&d);
		return -1;
	}
	if (a->md != NULL || (a->html == NULL && !a->json))
		rc |= write_file(a->md ? a->md : "-", &d, n, 0);
	if (a->html != NULL)
		rc |= write_file(a->html, &d, n, 1);
	if (a->json && pm_report_json(n, stdout, err) < 0) {
		log_error("%s", err);
		rc = -1;
	}
	pm_doc_release(&d);
	return rc;
}

int
cmd_postmortem(int argc, char **argv)
{
	struct pm_args a;
	struct pm_night *n = calloc(1, sizeof(*n));
	pm_logs *l = pm_logs_new();
	char path[4096], err[ERR_LEN], title[128];
	int ok[MAX_JOURNALS] = { 0 }, bad = 0, rc = 1, logs_ok = 0;
	int64_t lfirst, llast;

	parse_args(argc, argv, &a);
	if (n == NULL || l == NULL) {
		log_error("out of memory");
		goto out;
	}
	if (a.njournals == 0) {
		if (default_journal(path, sizeof(path), err) != NULL) {
			a.journals[a.njournals++] = path;
		} else {
			log_error("%s", err);
			if (a.nlogs == 0)
				goto out;
			pm_note(n, "%s", err);
			bad = 1;
		}
	}
	bad |= read_inputs(&a, n, l, ok);
	for (size_t i = 0; i < n->nlogs; i++)
		logs_ok += n->logs[i].ok;
	if (n->njournals == 0 && logs_ok == 0) {
		log_error("no journal or log could be read: nothing to write a postmortem from");
		goto out;
	}
	pm_journal_merge(n);
	pm_logs_span(l, &lfirst, &llast);
	pm_window_guess(n, a.since, a.until, lfirst, llast);
	bad |= read_samples(&a, n, ok);
	pm_journal_merge(n);
	if (pm_window_fit(n, lfirst, llast, err) < 0) {
		log_error("%s", err);
		goto out;
	}
	pm_series_build(n);
	if (!n->have_traffic)
		pm_logs_traffic(l, n);
	pm_series_finish(n);
	pm_impact_compute(n);
	pm_logs_rows(l, n);
	pm_timeline_build(n);
	if (pm_trigger_rank(n, l) < 0) {
		log_error("out of memory");
		goto out;
	}
	if (a.title != NULL) {
		n->title = a.title;
	} else {
		char t[CLOCK_FMT_LEN];

		clock_fmt_utc_s(n->began ? n->began : n->since, t, sizeof(t));
		pm_textf(title, sizeof(title), "Postmortem: the incident of %s (draft)", t);
		n->title = title;
	}
	if (write_reports(&a, n) < 0)
		goto out;
	rc = bad ? 1 : 0;
out:
	if (n != NULL)
		pm_night_release(n);
	free(n);
	pm_logs_free(l);
	return rc;
}
