/*
 * conns.c - `brace conns`: how many connections a PostgreSQL or
 * MySQL/MariaDB server has, how many it can still take, who holds them.
 *
 * One-shot forms (table, --json, --prometheus, --nagios) connect, take one
 * sample and exit with the Monitoring Plugins status; --watch hands over to
 * conns_watch.c. With --nagios even a usage error answers in the plugin's
 * terms ("CONNS UNKNOWN: ...", exit 3), so a typo in a service definition
 * shows up as UNKNOWN rather than CRITICAL.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "conns/conns_report.h"
#include "conns/conns_sample.h"
#include "conns/conns_watch.h"
#include "core/buf.h"
#include "core/cli.h"
#include "core/cmdline.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "core/journal.h"
#include "core/journal_async.h"
#include "core/log.h"
#include "core/term.h"
#include "core/units.h"

static const char conns_usage[] =
    "usage: brace conns [--json | --prometheus | --nagios] [-w T] [-c T] [-t DUR]\n"
    "                   [--watch [INTERVAL]] [--journal PATH] [--on-alert CMD]\n"
    "                   [--password-file FILE] [-H HOST] [-p PORT] URL\n"
    "\n"
    "How many connections a database has, how many it can still take, who holds\n"
    "them and in what state, and whether it is already refusing clients.\n"
    "\n"
    "URL:\n"
    "  postgresql://[user[:password]@][host][:port][/db][?param=value&...]\n"
    "  mysql://[user[:password]@][host][:port][/db]     (also mariadb://)\n"
    "  A unix socket path may stand for the host, percent-encoded\n"
    "  (postgresql://app@%2Frun%2Fpostgresql/appdb) or as ?host=/run/postgresql\n"
    "  (?socket=/run/mysqld/mysqld.sock for MySQL). For PostgreSQL, other\n"
    "  parameters go to libpq (sslmode, service, ...) and what the URL leaves\n"
    "  out comes from PGHOST, PGUSER, PGPASSWORD, PGSERVICE, ~/.pgpass, ...\n"
    "  Passwords are never printed.\n"
    "\n"
    "Output (default: a table):\n"
    "  --json              one JSON object\n"
    "  --prometheus        Prometheus text exposition (brace_db_connections*)\n"
    "  --nagios            one Monitoring Plugins line:\n"
    "                      CONNS OK: ... | 'used'=N;warn;crit;0;usable\n"
    "  --watch [INTERVAL]  a live view refreshed every INTERVAL (default 2s) that\n"
    "                      rides out a restart of the server; q or Ctrl-C quits.\n"
    "                      Every sample and every threshold crossing goes to the\n"
    "                      journal. Not on a terminal: one line per sample.\n"
    "\n"
    "Options:\n"
    "  -w, --warn, --warning T\n"
    "  -c, --crit, --critical T\n"
    "                      thresholds on connections in use: a count (15), a\n"
    "                      percent of usable (80%), or a Monitoring Plugins range\n"
    "                      (10: ~:10 10:20 @10:20). Default 80% and 90%.\n"
    "  --on-alert CMD      with --watch, run CMD (with /bin/sh) on every status\n"
    "                      change; BRACE_CONNS_STATUS, BRACE_CONNS_PREVIOUS,\n"
    "                      BRACE_CONNS_USED, BRACE_CONNS_USABLE, BRACE_CONNS_PERCENT,\n"
    "                      BRACE_CONNS_SERVER and BRACE_CONNS_MESSAGE describe it\n"
    "  --journal PATH      the journal (default $BRACE_JOURNAL, see brace journal);\n"
    "                      one-shot forms record their sample only when given\n"
    "  --password-file F   read the password from the first line of F\n"
    "  -t, --timeout DUR   the whole check's limit: name resolution, connect, TLS,\n"
    "                      login and queries (default 10s; a bare number is\n"
    "                      seconds). Past it the answer is UNKNOWN and names the\n"
    "                      stage that hung: connect, login or a query. With\n"
    "                      --watch, each sample's limit (default 5s).\n"
    "  -H, --hostname HOST the server's host (or unix socket directory/file),\n"
    "                      instead of the URL's\n"
    "  -p, --port PORT     the server's port, instead of the URL's\n"
    "  --color WHEN        auto, always or never (default auto: colour on a terminal,\n"
    "                      unless NO_COLOR is set or TERM is dumb)\n"
    "  --no-color          the same as --color never\n"
    "  -h, --help          show this help\n"
    "  -V, --version       print the version\n"
    "\n"
    "Used counts client connections, brace's own included. Usable is\n"
    "max_connections minus superuser_reserved_connections (and\n"
    "reserved_connections from PostgreSQL 16); for MySQL/MariaDB it is\n"
    "max_connections (the server lets one more administrator in).\n"
    "\n"
    "Exit status: 0 OK, 1 WARNING, 2 CRITICAL (above --crit, or the server refused\n"
    "brace for lack of slots), 3 UNKNOWN (unreachable, login refused, bad URL).\n"
    "--prometheus exits 0 whenever it wrote metrics. Usage errors exit 2 (3 with\n"
    "--nagios). --watch exits 0 when stopped.\n";

enum {
	OPT_JSON = 256, OPT_PROM, OPT_NAGIOS, OPT_WARN, OPT_CRIT, OPT_WATCH, OPT_JOURNAL,
	OPT_ON_ALERT, OPT_PASSWORD_FILE, OPT_NO_COLOR,
};

static const struct option conns_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "prometheus", no_argument, NULL, OPT_PROM },
	{ "nagios", no_argument, NULL, OPT_NAGIOS },
	{ "warn", required_argument, NULL, OPT_WARN },
	{ "warning", required_argument, NULL, OPT_WARN },
	{ "crit", required_argument, NULL, OPT_CRIT },
	{ "critical", required_argument, NULL, OPT_CRIT },
	{ "hostname", required_argument, NULL, 'H' },
	{ "port", required_argument, NULL, 'p' },
	{ "watch", optional_argument, NULL, OPT_WATCH },
	{ "journal", required_argument, NULL, OPT_JOURNAL },
	{ "on-alert", required_argument, NULL, OPT_ON_ALERT },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "timeout", required_argument, NULL, 't' },
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },
	CLI_COLOR_OPTION,
	{ "help", no_argument, NULL, 'h' },
	CLI_VERSION_OPTION,
	{ NULL, 0, NULL, 0 },
};

enum form { FORM_TABLE, FORM_JSON, FORM_PROM, FORM_NAGIOS };

struct conns_args {
	enum form form;
	const char *warn_text, *crit_text;
	int watch;
	const char *watch_interval;
	const char *journal;
	const char *on_alert;
	const char *password_file;
	const char *timeout;
	const char *hostname, *port;
	enum term_color color;
	char *url;
};

static int nagios_mode;

/* A usage error: the plugin's UNKNOWN with --nagios, else exit 2. */
static void __attribute__((format(printf, 1, 2), noreturn))
usage_error(const char *fmt, ...)
{
	char msg[ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (nagios_mode) {
		printf("CONNS UNKNOWN: %s | 'used'=U;;;0;\n", msg);
		exit(CONNS_UNKNOWN);
	}
	cli_usage_error("%s", msg);
}

static void
set_form(struct conns_args *a, enum form f)
{
	if (a->form != FORM_TABLE && a->form != f)
		usage_error("--json, --prometheus and --nagios exclude each other");
	a->form = f;
}

static void
parse_args(int argc, char **argv, struct conns_args *a)
{
	int c, npos;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--nagios") == 0)
			nagios_mode = 1;
	optind = 0;
	opterr = !nagios_mode;
	while ((c = getopt_long(argc, argv, "w:c:t:H:p:Vh", conns_opts, NULL)) != -1) {
		switch (c) {
		case 'w': a->warn_text = optarg; break;
		case 'c': a->crit_text = optarg; break;
		case 't': a->timeout = optarg; break;
		case 'H': a->hostname = optarg; break;
		case 'p': a->port = optarg; break;
		case OPT_JSON: set_form(a, FORM_JSON); break;
		case OPT_PROM: set_form(a, FORM_PROM); break;
		case OPT_NAGIOS: set_form(a, FORM_NAGIOS); break;
		case OPT_WARN: a->warn_text = optarg; break;
		case OPT_CRIT: a->crit_text = optarg; break;
		case OPT_WATCH:
			a->watch = 1;
			a->watch_interval = optarg;
			break;
		case OPT_JOURNAL: a->journal = optarg; break;
		case OPT_ON_ALERT: a->on_alert = optarg; break;
		case OPT_PASSWORD_FILE: a->password_file = optarg; break;
		case OPT_NO_COLOR: a->color = TERM_COLOR_NEVER; break;
		case CLI_OPT_COLOR:
			if (term_color_parse(optarg, &a->color) < 0)
				usage_error("--color: use auto, always or never, not '%s'", optarg);
			break;
		case 'h': cli_print_help(conns_usage);
		case 'V':       /* the Monitoring Plugins' spelling of --version */
		case CLI_OPT_VERSION: cli_print_version();
		default:
			if (nagios_mode)
				usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
			cli_try_help();
		}
	}
	npos = argc - optind;
	/* "--watch 5s URL": the interval is the first of two words. */
	if (a->watch && a->watch_interval == NULL && npos == 2) {
		a->watch_interval = argv[optind++];
		npos--;
	}
	if (npos == 0)
		usage_error("missing URL (postgresql://... or mysql://...)");
	if (npos > 1)
		usage_error("unexpected argument '%s'", argv[optind + 1]);
	a->url = argv[optind];
	if (a->watch && a->form != FORM_TABLE)
		usage_error("--watch is a view of its own: leave out --json, --prometheus and "
		    "--nagios");
	if (a->on_alert != NULL && !a->watch)
		usage_error("--on-alert works with --watch");
}

static void
parse_threshold(const char *opt, const char *text, const char *dflt, struct db_threshold *t)
{
	char err[ERR_LEN];

	if (db_threshold_parse(text ? text : dflt, 1, t, err) < 0)
		usage_error("%s: %s", opt, err);
}

/* Record a one-shot sample (only when --journal was given). */
static void
record_once(const char *path, const struct conns_result *r)
{
	journal_async *ja;
	char err[ERR_LEN];
	journal *j;

	if (path == NULL || (j = journal_open_or_warn(path)) == NULL)
		return;
	if ((ja = journal_async_start(j, 256, err)) == NULL)
		log_warn("%s; the sample is not recorded", err);
	conns_watch_record_sample(ja, r->target, r->s, r->failure == DB_FAIL_FULL);
	/* A busy journal is not waited for: the check's answer matters more. */
	journal_async_stop(ja, 2000);
	journal_close(j);
}

static int
run_once(const struct conns_args *a, const struct db_url *u, struct db_connect_opts *copts,
    struct conns_result *r)
{
	struct conns_sampler sp = { 0 };
	struct conns_sample *s = malloc(sizeof(*s));
	struct buf out = BUF_INIT(1 << 22);
	char err[ERR_LEN];
	db *d = NULL;
	int rc;

	if (s == NULL) {
		log_error("out of memory");
		return CONNS_UNKNOWN;
	}
	if (u != NULL)
		d = db_connect(u, copts, &r->failure, r->reason);
	if (d != NULL) {
		if (conns_sample_take(d, &sp, s, r->reason) == 0) {
			r->s = s;
		} else {
			r->failure = DB_FAIL_OTHER;
			err_prefix(r->reason, "sample");
		}
		db_close(d);
	}
	conns_report_evaluate(r);
	switch (a->form) {
	case FORM_JSON: conns_report_json(&out, r); break;
	case FORM_PROM:
		if (conns_report_prometheus(&out, r, err) < 0)
			log_error("%s", err);
		break;
	case FORM_NAGIOS: conns_report_nagios(&out, r); break;
	case FORM_TABLE:
		conns_report_table(&out, r, term_color_use(a->color, STDOUT_FILENO));
		break;
	}
	fwrite(out.data ? out.data : "", 1, out.len, stdout);
	/* People and scripts reading the table or JSON also get the reason on stderr. */
	if (r->s == NULL && (a->form == FORM_TABLE || a->form == FORM_PROM))
		log_error("%s: %s", db_failure_name(r->failure), r->reason);
	record_once(a->journal, r);
	rc = r->status;
	if (a->form == FORM_PROM)
		rc = 0;
	if (fflush(stdout) != 0 && rc == 0)
		rc = a->form == FORM_NAGIOS ? CONNS_UNKNOWN : 1;
	buf_release(&out);
	free(s); s = NULL;
	return rc;
}

int
cmd_conns(int argc, char **argv)
{
	struct conns_args a = { 0 };
	struct db_threshold warn, crit;
	struct db_connect_opts copts = { .application_name = "brace conns" };
	struct conns_result r = { 0 };
	struct db_url u = { 0 };
	char err[ERR_LEN], password[DB_PASSWORD_MAX] = "", redacted[DB_URL_MAX], target[DB_URL_MAX];
	char shown[DB_URL_MAX];
	int rc, usable_url = 1;

	argv = cmdline_own(argc, argv);
	parse_args(argc, argv, &a);
	parse_threshold("--warn", a.warn_text, "80%", &warn);
	parse_threshold("--crit", a.crit_text, "90%", &crit);
	copts.timeout_ms = a.watch ? 5000 : 10000;
	if (a.timeout != NULL) {
		int64_t ms;

		if (units_duration(a.timeout, &ms, err) < 0)
			usage_error("--timeout: %s", err);
		if (ms < 1 || ms > 3600000)
			usage_error("--timeout: expected a duration from 1ms to 1h");
		copts.timeout_ms = (int)ms;
	}
	r.warn = &warn;
	r.crit = &crit;
	r.url = redacted;
	r.target = target;
	/* A bad URL or password file is the check's UNKNOWN, reported in the chosen form. */
	if (db_url_parse(a.url, &u, err) < 0) {
		usable_url = 0;
		r.failure = DB_FAIL_BAD_URL;
		db_redact(a.url, redacted, sizeof(redacted));
		snprintf(target, sizeof(target), "%s", redacted);
		err_set(r.reason, "%s", err);
	} else if ((a.hostname != NULL || a.port != NULL) &&
	    db_url_override(&u, a.hostname, a.port, err) < 0) {
		db_url_release(&u);
		usage_error("%s", err);
	} else {
		db_url_redacted(&u, redacted, sizeof(redacted));
		db_url_target(&u, target, sizeof(target));
	}
	/* The password is in our copy now: hide it from ps(1), length included. */
	db_redact(a.url, shown, sizeof(shown));
	cmdline_hide(a.url, shown);
	cmdline_publish();
	if (usable_url && a.password_file != NULL) {
		if (db_read_password_file(a.password_file, password, sizeof(password), err) < 0) {
			usable_url = 0;
			r.failure = DB_FAIL_OTHER;
			err_set(r.reason, "--password-file: %s", err);
		}
		copts.password = password;
	}
	if (!usable_url && a.watch) {
		log_error("%s: %s", db_failure_name(r.failure), r.reason);
		rc = CONNS_UNKNOWN;
	} else if (a.watch) {
		struct conns_watch_opts w = {
			.url = &u, .redacted = redacted, .target = target, .connect = copts,
			.warn = &warn, .crit = &crit, .journal = a.journal, .on_alert = a.on_alert,
			.color = a.color,
		};
		int64_t ms = 2000;

		if (a.watch_interval != NULL && units_duration(a.watch_interval, &ms, err) < 0)
			usage_error("--watch: %s", err);
		if (ms < 100 || ms > 86400000)
			usage_error("--watch: the interval must be between 100ms and 1d");
		w.interval_ms = ms;
		rc = conns_watch_run(&w);
	} else {
		/* -t bounds the whole check, queries included, not each step. */
		copts.deadline_ms = clock_mono_ms() + copts.timeout_ms;
		rc = run_once(&a, usable_url ? &u : NULL, &copts, &r);
	}
	explicit_bzero(password, sizeof(password));
	db_url_release(&u);
	return rc;
}
