/*
 * journal_cmd.c - `brace journal`: add notes to, read and prune the journal.
 *
 * The journal itself lives in core/journal.c because every command writes to
 * it; this file is only the person-facing command.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "core/buf.h"
#include "core/cli.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/journal.h"
#include "core/json.h"
#include "core/log.h"
#include "core/term.h"

static const char journal_usage[] =
    "usage: brace journal [--journal PATH] COMMAND [OPTIONS]\n"
    "\n"
    "The journal is the SQLite file every brace command records events in.\n"
    "list and samples only read it (a read-only file is fine); a journal that\n"
    "does not exist yet lists nothing.\n"
    "\n"
    "Commands:\n"
    "  note [--kind K] [--severity S] [--subject S] [--source S] [--details JSON]\n"
    "       [--at T] [--host NAME] TEXT...\n"
    "                 add an entry of your own to the timeline (\"deployed r1234\");\n"
    "                 --at dates it (default now), --host names another machine\n"
    "  sample [--source S] [--labels JSON] [--at T] [--host NAME] SERIES VALUE\n"
    "                 add one point of a time series (default source: journal)\n"
    "  list [--since T] [--until T] [--kind K] [--source S] [--subject S]\n"
    "       [--limit N] [--json]\n"
    "                 show events in time order; --json prints JSON Lines\n"
    "  samples [--since T] [--until T] [--source S] [--series NAME] [--limit N]\n"
    "                 show time series samples as JSON Lines\n"
    "  prune --older-than DUR\n"
    "                 delete events and samples older than DUR, which needs a\n"
    "                 unit (30d, 12h: a bare 30 is refused); says how many\n"
    "                 and the cut-off time first\n"
    "  path           print the journal's path\n"
    "\n"
    "Options:\n"
    "  --journal PATH  the journal file; default $BRACE_JOURNAL, else\n"
    "                  /var/lib/brace/journal.db when writable, else\n"
    "                  $XDG_STATE_HOME/brace/journal.db (~/.local/state/brace/journal.db).\n"
    "                  \"off\" (or /dev/null) turns the journal off: commands record\n"
    "                  nothing and create no file\n"
    "  --color WHEN    auto, always or never: severities in colour, JSON coloured\n"
    "                  as jq does (default auto: on a terminal, unless NO_COLOR\n"
    "                  is set or TERM is dumb)\n"
    "  -h, --help      show this help\n"
    "  --version       print the version\n"
    "\n"
    "Times (T): 2026-11-27T07:20:00Z, \"2026-11-27 08:20\" (local), a date, now,\n"
    "@EPOCH, or a duration meaning that long ago (30m, 2h, 7d).\n"
    "Severities: debug, info, notice, warning, error, critical.\n";

enum {
	OPT_JOURNAL = 256, OPT_SINCE, OPT_UNTIL, OPT_KIND, OPT_SOURCE, OPT_SUBJECT,
	OPT_LIMIT, OPT_JSON, OPT_OLDER, OPT_SEVERITY, OPT_SERIES, OPT_AT, OPT_HOST, OPT_LABELS,
	OPT_DETAILS,
};

static const struct option journal_opts[] = {
	{ "journal", required_argument, NULL, OPT_JOURNAL },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "subject", required_argument, NULL, OPT_SUBJECT },
	{ "series", required_argument, NULL, OPT_SERIES },
	{ "severity", required_argument, NULL, OPT_SEVERITY },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "older-than", required_argument, NULL, OPT_OLDER },
	{ "at", required_argument, NULL, OPT_AT },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "labels", required_argument, NULL, OPT_LABELS },
	{ "details", required_argument, NULL, OPT_DETAILS },
	{ "help", no_argument, NULL, 'h' },
	CLI_COLOR_OPTION,
	CLI_VERSION_OPTION,
	{ NULL, 0, NULL, 0 },
};

struct journal_args {
	const char *path;
	struct journal_filter filter;
	const char *severity;
	const char *older_than;
	int json;
	int64_t at_ms;          /* note, sample: 0 = now */
	const char *host, *labels, *details;
	enum term_color color;
};

static const char *const severities[] = {
	"debug", "info", "notice", "warning", "error", "critical",
};

static int
valid_severity(const char *s)
{
	for (size_t i = 0; i < sizeof(severities) / sizeof(severities[0]); i++)
		if (strcmp(s, severities[i]) == 0)
			return 1;
	return 0;
}

/* Parse options; stops at the first non-option when stop_at_word is set. */
static void
parse_opts(int argc, char **argv, struct journal_args *a, int stop_at_word)
{
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, stop_at_word ? "+h" : "h", journal_opts, NULL)) != -1) {
		switch (c) {
		case OPT_JOURNAL: a->path = optarg; break;
		case OPT_SINCE: a->filter.since_ms = cli_time("--since", optarg); break;
		case OPT_UNTIL: a->filter.until_ms = cli_time("--until", optarg); break;
		case OPT_KIND: a->filter.kind = optarg; break;
		case OPT_SOURCE: a->filter.source = optarg; break;
		case OPT_SUBJECT: a->filter.subject = optarg; break;
		case OPT_SERIES: a->filter.series = optarg; break;
		case OPT_LIMIT:
			a->filter.limit = cli_long("--limit", optarg, 1, 1000000000);
			break;
		case OPT_JSON: a->json = 1; break;
		case OPT_OLDER: a->older_than = optarg; break;
		case OPT_AT: a->at_ms = cli_time("--at", optarg); break;
		case OPT_HOST:
			if (*optarg == '\0')
				cli_usage_error("--host: empty name");
			a->host = optarg;
			break;
		case OPT_LABELS: a->labels = optarg; break;
		case OPT_DETAILS: a->details = optarg; break;
		case OPT_SEVERITY:
			if (!valid_severity(optarg))
				cli_usage_error("--severity: unknown severity '%s' (use debug, info, "
				    "notice, warning, error or critical)", optarg);
			a->severity = optarg;
			break;
		case CLI_OPT_COLOR: a->color = cli_color(optarg); break;
		case 'h': cli_print_help(journal_usage);
		case CLI_OPT_VERSION: cli_print_version();
		default: cli_try_help();
		}
	}
}

/* Who typed the note: the login name, for the timeline. */
static const char *
user_name(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *s = getenv("SUDO_USER");

	if (s != NULL && *s != '\0')
		return s;
	return pw != NULL ? pw->pw_name : NULL;
}

static journal *
open_or_die(const char *path)
{
	char err[ERR_LEN];
	journal *j = journal_open(path, err);

	if (j == NULL) {
		log_error("%s", err);
		exit(1);
	}
	return j;
}

/*
 * Read commands open the journal read-only. A journal that does not exist
 * yet holds nothing: NULL, and the command prints nothing.
 */
static journal *
open_to_read(const char *path)
{
	char err[ERR_LEN];
	journal *j = journal_open_readonly(path, err);

	if (j == NULL && errno != ENOENT) {
		log_error("%s", err);
		exit(1);
	}
	return j;
}

static int
do_note(struct journal_args *a, int argc, char **argv)
{
	struct buf text = BUF_INIT(64 * 1024);
	char err[ERR_LEN];
	journal *j;
	int rc = 0;

	if (optind >= argc)
		cli_usage_error("note: missing TEXT");
	for (int i = optind; i < argc; i++) {
		if ((i > optind && buf_putc(&text, ' ') < 0) || buf_puts(&text, argv[i]) < 0)
			cli_usage_error("note: TEXT is longer than 64 KiB");
	}
	j = open_or_die(a->path);
	struct journal_event ev = {
		.ts_ms = a->at_ms,
		.host = a->host,
		.source = a->filter.source ? a->filter.source : "journal",
		.kind = a->filter.kind ? a->filter.kind : "note",
		.severity = a->severity ? a->severity : "info",
		.subject = a->filter.subject ? a->filter.subject : user_name(),
		.message = buf_str(&text),
		.details = a->details,
	};
	if (journal_add(j, &ev, err) < 0) {
		log_error("%s", err);
		rc = 1;
	}
	journal_close(j);
	buf_release(&text);
	return rc;
}

static int
do_sample(struct journal_args *a, int argc, char **argv)
{
	char err[ERR_LEN], *end;
	double v;
	journal *j;
	int rc = 0;

	if (argc - optind != 2)
		cli_usage_error("sample: give SERIES VALUE");
	v = strtod(argv[optind + 1], &end);
	if (end == argv[optind + 1] || *end != '\0' || v != v)
		cli_usage_error("sample: VALUE '%s' is not a number", argv[optind + 1]);
	if (argv[optind][0] == '\0')
		cli_usage_error("sample: empty SERIES");
	j = open_or_die(a->path);
	struct journal_sample s = {
		.ts_ms = a->at_ms,
		.host = a->host,
		.source = a->filter.source ? a->filter.source : "journal",
		.series = argv[optind],
		.labels = a->labels,
		.value = v,
	};
	if (journal_add_sample(j, &s, err) < 0) {
		log_error("%s", err);
		rc = 1;
	}
	journal_close(j);
	return rc;
}

static int
print_event_text(const struct journal_event *ev, void *arg)
{
	struct journal_printer *pr = arg;
	struct buf *b = journal_print_begin(pr, ev->ts_ms);
	size_t at = b->len;

	term_paint(b, pr->color, term_status_seq(ev->severity), ev->severity);
	term_pad(b, at, 8);
	buf_printf(b, " %-8s %-16s ", ev->source, ev->kind);
	term_paint(b, pr->color, TERM_BOLD, ev->subject ? ev->subject : "");
	buf_printf(b, "%s%s\n", ev->subject ? ": " : "", ev->message ? ev->message : "");
	return journal_print_end(pr);
}

static int
print_sample_json(const struct journal_sample *s, void *arg)
{
	struct journal_printer *pr = arg;
	struct buf json = BUF_INIT(pr->line.max);
	char ts[CLOCK_FMT_LEN];
	int first = 1, rc;

	clock_fmt_utc(s->ts_ms, ts, sizeof(ts));
	buf_putc(&json, '{');
	json_key(&json, &first, "time");
	json_str(&json, ts);
	json_key(&json, &first, "ts_ms");
	json_int(&json, s->ts_ms);
	json_key(&json, &first, "host");
	json_str(&json, s->host);
	json_key(&json, &first, "source");
	json_str(&json, s->source);
	json_key(&json, &first, "series");
	json_str(&json, s->series);
	json_key(&json, &first, "labels");
	buf_puts(&json, s->labels ? s->labels : "{}");
	json_key(&json, &first, "value");
	json_num(&json, s->value);
	buf_puts(&json, "}\n");
	rc = journal_print_json_line(pr, &json);
	buf_release(&json);
	return rc;
}

static int
do_list(struct journal_args *a, int samples)
{
	struct journal_printer pr = { BUF_INIT(1 << 24), term_color_use(a->color, STDOUT_FILENO) };
	char err[ERR_LEN];
	journal *j = open_to_read(a->path);
	int rc;

	if (j == NULL)
		return 0;

	if (samples)
		rc = journal_each_sample(j, &a->filter, print_sample_json, &pr, err);
	else
		rc = journal_each(j, &a->filter, a->json ? journal_print_event_json : print_event_text,
		    &pr, err);
	if (rc < 0)
		log_error("%s", err);
	buf_release(&pr.line);
	journal_close(j);
	if (fflush(stdout) != 0)
		return 1;
	return rc < 0 ? 1 : 0;
}

/*
 * Deleting history is not undone: the cut-off must have a unit (30 is not
 * 30 days), and what will go is said before it goes.
 */
static int
do_prune(struct journal_args *a)
{
	int64_t ms, cut, nev = 0, nsamp = 0;
	char err[ERR_LEN], when[CLOCK_FMT_LEN];
	journal *j;

	if (a->older_than == NULL)
		cli_usage_error("prune: --older-than DUR is required (e.g. --older-than 30d)");
	ms = cli_duration_unit("--older-than", a->older_than);
	j = open_or_die(a->path);
	cut = clock_now_ms() - ms;
	clock_fmt_local(cut, when, sizeof(when));
	if (journal_count_before(j, cut, &nev, &nsamp, err) < 0)
		goto fail;
	printf("pruning %lld events and %lld samples older than %s (before %s)\n",
	    (long long)nev, (long long)nsamp, a->older_than, when);
	fflush(stdout);
	if (journal_prune(j, cut, &nev, &nsamp, err) < 0)
		goto fail;
	printf("pruned %lld events and %lld samples older than %s\n",
	    (long long)nev, (long long)nsamp, a->older_than);
	journal_close(j);
	return 0;
fail:
	log_error("%s", err);
	journal_close(j);
	return 1;
}

int
cmd_journal(int argc, char **argv)
{
	struct journal_args a = { 0 };
	const char *sub;
	char path[4096], err[ERR_LEN];

	parse_opts(argc, argv, &a, 1);
	if (optind >= argc)
		cli_usage_error("missing command (note, sample, list, samples, prune or path)");
	sub = argv[optind];
	/* Options may also follow the command word. */
	argc -= optind;
	argv += optind;
	argv[0] = (char *)log_prog();	/* getopt names the program from argv[0] */
	parse_opts(argc, argv, &a, 0);

	if (strcmp(sub, "note") == 0)
		return do_note(&a, argc, argv);
	if (strcmp(sub, "sample") == 0)
		return do_sample(&a, argc, argv);
	if (optind < argc)
		cli_usage_error("%s: unexpected argument '%s'", sub, argv[optind]);
	if (strcmp(sub, "list") == 0)
		return do_list(&a, 0);
	if (strcmp(sub, "samples") == 0)
		return do_list(&a, 1);
	if (strcmp(sub, "prune") == 0)
		return do_prune(&a);
	if (strcmp(sub, "path") == 0) {
		if (journal_resolve_path(a.path, path, sizeof(path), err) < 0) {
			log_error("%s", err);
			return 1;
		}
		puts(path);
		return 0;
	}
	cli_usage_error("unknown command '%s' (note, sample, list, samples, prune or path)", sub);
}
