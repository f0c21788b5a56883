/*
 * logs_cmd.c - `brace logs`: dig server logs for their templates, periodic
 * jobs, bursts and top talkers.
 *
 * This file is the command: options, format detection per input, and the
 * choice of report. The work is in the modules beside it: reader (inputs),
 * format/header/timestamp (parsing), mask/miner (templates), work/engine
 * (blocks and threads), digest/period/burst/topk (analysis) and report_*.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <getopt.h>
#include <pcre2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "core/buf.h"
#include "core/cli.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "core/term.h"
#include "logs/detect.h"
#include "logs/digest.h"
#include "logs/engine.h"
#include "logs/format.h"
#include "logs/header.h"
#include "logs/reader.h"
#include "logs/report.h"

static const char logs_usage[] =
    "usage: brace logs [OPTIONS] [FILE...]\n"
    "\n"
    "Group log lines into templates (the message with its variable parts as <*>),\n"
    "count them, find the ones that fire on a fixed period (cron jobs) or in\n"
    "bursts, and for web access logs show the top clients, paths and status codes,\n"
    "the paths that fail (4xx, 5xx) and the slow paths when the lines say how\n"
    "long requests took (brace lb's log, nginx's $request_time, Apache's %D,\n"
    "JSON keys such as duration_ms).\n"
    "FILE may be gzip-compressed; none or \"-\" reads standard input. Several files\n"
    "are merged by time.\n"
    "\n"
    "Input:\n"
    "  --format NAME      the log format instead of detecting it: auto, combined,\n"
    "                     common, syslog, rfc5424, journal, journal-iso, postgres,\n"
    "                     mysql, mysql-slow, jsonl, generic\n"
    "  --header FMT       the line layout, Loghub style: \"<Date> <Time> <Level>\n"
    "                     <Component>: <Content>\" (<Content> is the message)\n"
    "  -f, --follow       keep reading as the files grow (like tail -F: survives\n"
    "                     rotation and truncation) and refresh the report\n"
    "  --interval DUR     refresh period with --follow (default 2s)\n"
    "  --since T, --until T  only lines in [T, T) (2026-11-27T07:00Z, 2h, ...)\n"
    "  --grep PCRE        only lines matching the regular expression\n"
    "\n"
    "Output (default: a report for the terminal):\n"
    "  --json             one JSON object: templates, periodic, bursts, access\n"
    "  --html FILE        a self-contained HTML page with charts and sortable\n"
    "                     tables (nothing is fetched)\n"
    "  --assign           one JSON object per input line, in input order:\n"
    "                     {\"line\": N, \"template_id\": ID, \"template\": TEXT}\n"
    "  --top N            rows per table (default 15; --json: all templates)\n"
    "  --color WHEN       auto, always or never (default auto: colour on a terminal,\n"
    "                     unless NO_COLOR is set or TERM is dumb)\n"
    "\n"
    "Tuning and limits:\n"
    "  --similarity X     share of their words two templates must share to be\n"
    "                     compared (default 0.6)\n"
    "  --var-values N     a word position is a variable when it takes at least N\n"
    "  --var-log X        distinct values and at least X * log2(its lines) of\n"
    "                     them (defaults 4 and 0.3)\n"
    "  --max-templates N  cap on templates (default 10000)\n"
    "  --max-line SIZE    longer lines are cut and counted (default 64k)\n"
    "  --threads N        threads besides the main one that parse and test for\n"
    "                     periods (default: CPUs - 1, at most 3; 0: the main\n"
    "                     thread only)\n"
    "  -h, --help         show this help\n"
    "  --version          print the version\n"
    "\n"
    "A file that shrinks while it is read (logrotate's copytruncate) is reported\n"
    "up to where it ended, with a warning. A truncated or corrupt .gz input is an\n"
    "error naming the file and how many lines could be read.\n"
    "\n"
    "Exit status: 0 on success, 1 when an input cannot be read (missing,\n"
    "unreadable, truncated or corrupt .gz), 2 on usage errors.\n";

enum {
	OPT_FORMAT = 256, OPT_HEADER, OPT_INTERVAL, OPT_SINCE, OPT_UNTIL, OPT_GREP, OPT_JSON,
	OPT_HTML, OPT_ASSIGN, OPT_TOP, OPT_SIM, OPT_VARN, OPT_VARLOG, OPT_MAXT, OPT_MAXLINE,
	OPT_THREADS,
};

static const struct option logs_opts[] = {
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "header", required_argument, NULL, OPT_HEADER },
	{ "follow", no_argument, NULL, 'f' },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "grep", required_argument, NULL, OPT_GREP },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "assign", no_argument, NULL, OPT_ASSIGN },
	{ "top", required_argument, NULL, OPT_TOP },
	CLI_COLOR_OPTION,
	{ "similarity", required_argument, NULL, OPT_SIM },
	{ "var-values", required_argument, NULL, OPT_VARN },
	{ "var-log", required_argument, NULL, OPT_VARLOG },
	{ "max-templates", required_argument, NULL, OPT_MAXT },
	{ "max-line", required_argument, NULL, OPT_MAXLINE },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "help", no_argument, NULL, 'h' },
	CLI_VERSION_OPTION,
	{ NULL, 0, NULL, 0 },
};

struct logs_args {
	enum format_id format;
	const char *header;
	int follow, json, assign;
	enum term_color color;
	const char *html;
	int64_t interval_ms, since_ms, until_ms;
	const char *grep;
	long top;
	double similarity, var_log;
	long var_values, max_templates, threads;
	uint64_t max_line;
};

static volatile sig_atomic_t logs_stop;

static void
on_signal(int sig)
{
	(void)sig;
	logs_stop = 1;
}

/* A number in (0, max], or a usage error naming the option. */
static double
fraction(const char *opt, const char *s, double max)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || !(v > 0 && v <= max))
		cli_usage_error("%s: '%s' is not a number in (0, %g]", opt, s, max);
	return v;
}

static void
parse_args(int argc, char **argv, struct logs_args *a)
{
	int c;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(a, 0, sizeof(*a));
	a->interval_ms = 2000;
	a->top = -1;
	a->similarity = MINER_DEFAULT_SIMILARITY;
	a->var_values = MINER_DEFAULT_VAR_MIN;
	a->var_log = MINER_DEFAULT_VAR_LOG;
	a->max_templates = 10000;
	a->max_line = 64 * 1024;
	a->threads = cpus <= 1 ? 0 : cpus > 4 ? 3 : cpus - 1;
	optind = 0;
	while ((c = getopt_long(argc, argv, "fh", logs_opts, NULL)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			if (format_by_name(optarg, &a->format) < 0)
				cli_usage_error("--format: unknown format '%s' (use %s)", optarg,
				    format_names());
			break;
		case OPT_HEADER: a->header = optarg; break;
		case 'f': a->follow = 1; break;
		case OPT_INTERVAL: a->interval_ms = cli_duration("--interval", optarg); break;
		case OPT_SINCE: a->since_ms = cli_time("--since", optarg); break;
		case OPT_UNTIL: a->until_ms = cli_time("--until", optarg); break;
		case OPT_GREP: a->grep = optarg; break;
		case OPT_JSON: a->json = 1; break;
		case OPT_HTML: a->html = optarg; break;
		case OPT_ASSIGN: a->assign = 1; break;
		case OPT_TOP: a->top = cli_long("--top", optarg, 1, 1000000); break;
		case CLI_OPT_COLOR: a->color = cli_color(optarg); break;
		case OPT_SIM: a->similarity = fraction("--similarity", optarg, 1); break;
		case OPT_VARN: a->var_values = cli_long("--var-values", optarg, 2, 1000); break;
		case OPT_VARLOG: a->var_log = fraction("--var-log", optarg, 100); break;
		case OPT_MAXT: a->max_templates = cli_long("--max-templates", optarg, 10, 1000000); break;
		case OPT_MAXLINE:
			a->max_line = cli_size("--max-line", optarg);
			if (a->max_line < 80 || a->max_line > ((uint64_t)1 << 30))
				cli_usage_error("--max-line: use a size from 80 to 1G");
			break;
		case OPT_THREADS: a->threads = cli_long("--threads", optarg, 0, ENGINE_MAX_THREADS); break;
		case 'h': cli_print_help(logs_usage);
		case CLI_OPT_VERSION: cli_print_version();
		default: cli_try_help();
		}
	}
	if (a->json + a->assign > 1)
		cli_usage_error("--json and --assign both write to standard output; pick one");
	if (a->follow && a->assign)
		cli_usage_error("--assign needs the whole input; it cannot be used with --follow");
	if (a->header != NULL && a->format != FORMAT_AUTO)
		cli_usage_error("--header and --format are alternatives; pick one");
	if (a->since_ms && a->until_ms && a->until_ms <= a->since_ms)
		cli_usage_error("--until is not after --since");
}

/* 1 when every input whose format is known is an access log (and one is). */
static int
all_access_logs(const unsigned char *access, const unsigned char *pending, int nin)
{
	int known = 0;

	for (int i = 0; i < nin; i++) {
		if (pending[i])
			continue;
		if (!access[i])
			return 0;
		known++;
	}
	return known > 0;
}

struct follow_ctx {
	struct report *rep;
	const struct logs_args *a;
	/* inputs that were empty when followed: their format waits for lines */
	enum format_id *formats;
	unsigned char *pending, *int_secs, *access;
	int nin;
	struct timestamp_ctx *tc;
	struct digest_opts *dopts;
};

static void
show(struct report *rep, const struct logs_args *a, int refresh)
{
	char err[ERR_LEN];

	digest_analyse(rep->d);
	if (a->json) {
		if (report_json(rep, stdout, err) < 0)
			log_error("%s", err);
		return;
	}
	if (a->assign || (a->html != NULL && !refresh))
		return;
	if (refresh && term_can_move(STDOUT_FILENO))
		fputs(TERM_CLEAR, stdout);
	if (report_text(rep, stdout, err) < 0)
		log_error("%s", err);
	fflush(stdout);
}

static void
on_refresh(void *arg)
{
	struct follow_ctx *f = arg;

	show(f->rep, f->a, 1);
}

/*
 * A followed input that was empty at the start gets its format from its
 * first lines. When that makes every input an access log (or not), and
 * nothing was mined yet, the digest starts over in the matching mode.
 */
static int
on_block(void *arg, int src, const char *data, size_t len, char *err)
{
	struct follow_ctx *f = arg;
	struct digest *d = f->rep->d;
	int access;

	if (!f->pending[src])
		return 0;
	f->formats[src] = detect_data(f->tc, data, len);
	f->int_secs[src] = (unsigned char)detect_int_secs(f->tc, f->formats[src], data, len);
	f->access[src] = (unsigned char)detect_access(f->tc, f->formats[src], data, len);
	f->pending[src] = 0;
	access = all_access_logs(f->access, f->pending, f->nin);
	if (access == f->rep->access || d->lines > 0)
		return 0;
	digest_release(d);
	f->dopts->miner.exact = access;
	if (digest_init(d, f->dopts) < 0) {
		err_set(err, "out of memory");
		return -1;
	}
	f->rep->access = access;
	return 0;
}

static void
on_progress(void *arg, uint64_t done, uint64_t total)
{
	static int last = -1;
	int pct = (int)(done * 100 / total);

	(void)arg;
	if (pct == last)
		return;
	last = pct;
	fprintf(stderr, "\r%3d%% [%-40.*s]", pct, pct * 40 / 100,
	    "########################################");
	if (done >= total)
		fputs("\r" TERM_CLEAR_EOL, stderr);
	fflush(stderr);
}

/*
 * The end of an --assign line for template id (resolved), from "," on,
 * rendered once per id: the lines of a large log share a few templates.
 */
struct tail {
	const char *s;
	size_t len;
};

static const struct tail *
assign_tail(struct digest *d, struct tail **cache, size_t *ncache, uint32_t id)
{
	struct buf b = BUF_INIT(64u << 20);

	if (id >= *ncache) {
		size_t nc = *ncache ? *ncache : 256;
		struct tail *c;

		while (nc <= id)
			nc *= 2;
		if ((c = realloc(*cache, nc * sizeof(*c))) == NULL)
			return NULL;
		memset(c + *ncache, 0, (nc - *ncache) * sizeof(*c));
		*cache = c;
		*ncache = nc;
	}
	if ((*cache)[id].s != NULL)
		return &(*cache)[id];
	buf_puts(&b, ",\"template_id\":");
	json_int(&b, id);
	buf_puts(&b, ",\"template\":");
	json_str(&b, digest_template(d, (int)id));
	buf_puts(&b, "}\n");
	(*cache)[id].len = b.len;
	(*cache)[id].s = buf_detach(&b);
	return (*cache)[id].s != NULL ? &(*cache)[id] : NULL;
}

/*
 * Print the --assign lines from the id file, with the final template
 * texts. Lines are put together in a buffer of their own and written in
 * large pieces: a million lines, three stdio calls each, cost more than
 * the mining.
 */
static int
write_assign(struct digest *d, FILE *ids, char *err)
{
	static const char none_s[] = ",\"template_id\":null,\"template\":null}\n";
	static const struct tail none = { none_s, sizeof(none_s) - 1 };
	uint32_t id[4096];
	uint64_t line = 0;
	struct tail *cache = NULL;
	size_t ncache = 0, n;
	struct buf out = BUF_INIT((size_t)1 << 30);
	int rc = 0;

	rewind(ids);
	while (rc == 0 && (n = fread(id, sizeof(id[0]), sizeof(id) / sizeof(id[0]), ids)) > 0) {
		for (size_t i = 0; i < n; i++) {
			const struct tail *tail = &none;
			char num[24];
			size_t k = sizeof(num);
			uint64_t v = ++line;

			if (id[i] != UINT32_MAX &&
			    (tail = assign_tail(d, &cache, &ncache, (uint32_t)digest_resolve(d, (int)id[i]))) == NULL) {
				err_set(err, "out of memory");
				rc = -1;
				break;
			}
			do
				num[--k] = (char)('0' + v % 10);
			while ((v /= 10) > 0);
			if (buf_append(&out, "{\"line\":", 8) < 0 || buf_append(&out, num + k, sizeof(num) - k) < 0 ||
			    buf_append(&out, tail->s, tail->len) < 0) {
				err_set(err, "out of memory");
				rc = -1;
				break;
			}
			if (out.len >= 256 * 1024) {
				if (fwrite(out.data, 1, out.len, stdout) != out.len) {
					err_set(err, "cannot write to standard output");
					rc = -1;
					break;
				}
				buf_reset(&out);
			}
		}
	}
	if (rc == 0 && out.len > 0 && fwrite(out.data, 1, out.len, stdout) != out.len) {
		err_set(err, "cannot write to standard output");
		rc = -1;
	}
	buf_release(&out);
	for (size_t i = 0; i < ncache; i++)
		free((char *)cache[i].s);
	free(cache);
	return rc;
}

static pcre2_code *
compile_grep(const char *pat)
{
	int ec;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &ec, &off, NULL);

	if (re == NULL) {
		PCRE2_UCHAR msg[128];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		cli_usage_error("--grep '%s': %s at offset %zu", pat, (char *)msg, (size_t)off);
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

int
cmd_logs(int argc, char **argv)
{
	struct logs_args a;
	char err[ERR_LEN];
	const char *stdin_only[] = { "-" };
	const char *const *paths;
	int nin, rc = 1, all_access;
	struct reader *in = NULL;
	enum format_id *formats = NULL;
	unsigned char *pending = NULL, *int_secs = NULL, *access = NULL;
	header *hdr = NULL;
	pcre2_code *grep = NULL;
	struct digest d;
	struct digest_opts dopts;
	struct work_cfg cfg;
	struct engine_opts eo;
	struct report rep;
	struct timestamp_ctx tc;
	FILE *assign = NULL;
	int have_digest = 0;

	parse_args(argc, argv, &a);
	nin = argc - optind;
	paths = nin > 0 ? (const char *const *)argv + optind : stdin_only;
	if (nin == 0)
		nin = 1;
	if (nin > 1000)
		cli_usage_error("more than 1000 inputs");
	if (a.header != NULL && (hdr = header_compile(a.header, err)) == NULL)
		cli_usage_error("%s", err);
	if (a.grep != NULL)
		grep = compile_grep(a.grep);
	for (int i = 0; i < nin; i++)
		if (a.follow && strcmp(paths[i], "-") == 0)
			cli_usage_error("--follow needs files, not standard input");
	in = calloc((size_t)(unsigned)nin, sizeof(*in));
	formats = calloc((size_t)(unsigned)nin, sizeof(*formats));
	pending = calloc((size_t)(unsigned)nin, 1);
	int_secs = calloc((size_t)(unsigned)nin, 1);
	access = calloc((size_t)(unsigned)nin, 1);
	if (in == NULL || formats == NULL || pending == NULL || int_secs == NULL || access == NULL) {
		log_error("out of memory");
		goto out;
	}
	for (int i = 0; i < nin; i++)
		in[i].fd = -1;
	timestamp_ctx_init(&tc, clock_now_ms());
	for (int i = 0; i < nin; i++) {
		const char *first;
		size_t n = 0;

		if (reader_open(&in[i], paths[i], a.follow, (size_t)a.max_line, err) < 0) {
			log_error("%s", err);
			goto out;
		}
		if (hdr != NULL)
			formats[i] = FORMAT_HEADER;
		else if (a.format != FORMAT_AUTO)
			formats[i] = a.format;
		else if (detect_input(&in[i], &tc, &formats[i], err) < 0 ||
		    (a.follow && reader_peek(&in[i], 1, &first, &n, err) < 0)) {
			log_error("%s", err);
			goto out;
		}
		/* an empty file followed: detect again when its first lines come */
		pending[i] = hdr == NULL && a.format == FORMAT_AUTO && a.follow && n == 0;
		/*
		 * From the first lines: JSON Lines of requests are an access log,
		 * and Apache's bare integer time is %D (µs) or %T (s)
		 */
		if (formats[i] == FORMAT_COMBINED || formats[i] == FORMAT_COMMON ||
		    formats[i] == FORMAT_JSONL) {
			if (reader_peek(&in[i], 64 * 1024, &first, &n, err) < 0) {
				log_error("%s", err);
				goto out;
			}
			int_secs[i] = (unsigned char)detect_int_secs(&tc, formats[i], first, n);
			access[i] = (unsigned char)detect_access(&tc, formats[i], first, n);
		}
	}
	all_access = all_access_logs(access, pending, nin);
	if (a.assign && (assign = tmpfile()) == NULL) {
		log_error("cannot create a temporary file for --assign");
		goto out;
	}
	memset(&dopts, 0, sizeof(dopts));
	dopts.since_ms = a.since_ms;
	dopts.until_ms = a.until_ms;
	dopts.miner.similarity = a.similarity;
	dopts.miner.var_min = (int)a.var_values;
	dopts.miner.var_log = a.var_log;
	dopts.miner.max_templates = (size_t)a.max_templates;
	dopts.miner.exact = all_access;
	dopts.assign = assign;
	dopts.threads = (int)a.threads;
	if (digest_init(&d, &dopts) < 0) {
		log_error("out of memory");
		goto out;
	}
	have_digest = 1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.formats = formats;
	cfg.hdr = hdr;
	cfg.grep = grep;
	cfg.max_line = (size_t)a.max_line;
	cfg.since_ms = dopts.since_ms;
	cfg.until_ms = dopts.until_ms;
	cfg.now_ms = clock_now_ms();
	cfg.int_secs = int_secs;
	memset(&rep, 0, sizeof(rep));
	rep.d = &d;
	rep.paths = paths;
	rep.formats = formats;
	rep.ninputs = nin;
	rep.top = a.top > 0 ? (size_t)a.top : a.json ? 0 : 15;
	rep.color = term_color_use(a.color, STDOUT_FILENO);
	rep.access = all_access;
	memset(&eo, 0, sizeof(eo));
	eo.threads = (int)a.threads;
	eo.follow = a.follow;
	eo.interval_ms = a.interval_ms;
	eo.stop = &logs_stop;
	{
		static struct follow_ctx fc;

		fc.rep = &rep;
		fc.a = &a;
		fc.formats = formats;
		fc.pending = pending;
		fc.int_secs = int_secs;
		fc.access = access;
		fc.nin = nin;
		fc.tc = &tc;
		fc.dopts = &dopts;
		eo.refresh = on_refresh;
		eo.before_block = on_block;
		eo.arg = &fc;
	}
	if (!a.follow && term_can_move(STDERR_FILENO) && nin == 1 && in[0].size > ((uint64_t)64 << 20))
		eo.progress = on_progress;
	if (a.follow) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
	}
	if (engine_run(&eo, in, nin, &cfg, &d, err) < 0) {
		log_error("%s", err);
		goto out;
	}
	for (int i = 0; i < nin; i++)
		if (in[i].shrank)
			log_warn("%s shrank while it was read (truncated, as by logrotate's copytruncate?): "
			    "%llu of its %llu bytes were read and are reported", in[i].path,
			    (unsigned long long)in[i].off, (unsigned long long)in[i].size);
	show(&rep, &a, 0);
	if (digest_overflow_lines(&d) > 0)
		log_warn("%llu lines fell into the overflow template: more than --max-templates (%ld) "
		    "templates", (unsigned long long)digest_overflow_lines(&d), a.max_templates);
	if (a.assign && write_assign(&d, assign, err) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (a.html != NULL) {
		FILE *f = fopen(a.html, "w");

		if (f == NULL) {
			log_error("cannot write %s: %m", a.html);
			goto out;
		}
		if (report_html(&rep, f, err) < 0) {
			log_error("%s: %s", a.html, err);
			fclose(f);
			goto out;
		}
		if (fclose(f) != 0) {
			log_error("cannot write %s: %m", a.html);
			goto out;
		}
	}
	if (fflush(stdout) != 0) {
		log_error("cannot write to standard output");
		goto out;
	}
	rc = 0;
out:
	if (have_digest)
		digest_release(&d);
	for (int i = 0; in != NULL && i < nin; i++)
		reader_close(&in[i]);
	free(in);
	free(formats);
	free(pending);
	free(int_secs);
	free(access);
	header_free(hdr);
	pcre2_code_free(grep);
	if (assign != NULL)
		fclose(assign);
	return rc;
}
