/*
 * lb.c - `brace lb`: the command line, the start, signals and the stop.
 *
 * Everything that can be wrong with the command line, the configuration or
 * the machine (a bad flag, an unresolvable server, a port already taken) is
 * found here, before the first worker starts: exit 2 for usage, 1 for the
 * rest.
 *
 * Then the main thread starts the first generation of workers (gen.c), the
 * admin listener, the access log and the journal writer, and waits for
 * signals: SIGHUP reloads (gen.c), SIGUSR1 reopens the access log, SIGTERM
 * and SIGINT stop gracefully.
 */
#include <getopt.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "core/cli.h"
#include "core/clock.h"
#include "core/cmdline.h"
#include "core/err.h"
#include "core/log.h"
#include "core/sdnotify.h"
#include "core/units.h"
#include "lb/admin.h"
#include "lb/alog.h"
#include "lb/config.h"
#include "lb/config_file.h"
#include "lb/config_key.h"
#include "lb/events.h"
#include "lb/gen.h"
#include "lb/preflight.h"
#include "lb/tls.h"

static const char usage_head[] =
    "usage: brace lb --listen ADDR:PORT [--listen ...]\n"
    "                --backend HOST:PORT[,weight=N][,maxconn=N][,name=NAME] [--backend ...]\n"
    "                [OPTIONS]\n"
    "       brace lb -c FILE [--check | --dump-config]\n"
    "       brace lb [quick flags] --dump-config\n"
    "\n"
    "An HTTP/1.1 and TCP load balancer that caps the connections each server\n"
    "gets and queues the rest, instead of letting a server drown.\n"
    "\n"
    "Quick form (defaults in brackets; each flag is a key of the file, see\n"
    "--dump-config):\n";

static const char usage_tail[] =
    "\n"
    "Configuration file:\n"
    "  -c, --config FILE          read listeners, pools and routes from FILE\n"
    "                             (docs/lb.md); SIGHUP reloads it\n"
    "      --check                check the configuration and exit: 0 if valid, else\n"
    "                             1 with FILE:LINE: reason for each error; also\n"
    "                             checks what the start opens (the access log's\n"
    "                             directory, the token file; the journal: a warning)\n"
    "      --dump-config          print the configuration (from flags or FILE) as a\n"
    "                             file, and exit\n"
    "  -h, --help                 show this help\n"
    "  -V, --version              print the version\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop gracefully, SIGHUP reloads the file, SIGUSR1\n"
    "reopens the access log. Under systemd (Type=notify) it says READY=1 once\n"
    "every listener is served, RELOADING=1/READY=1 around a reload, STOPPING=1.\n"
    "An address another brace lb already serves is refused at start.\n"
    "Answers of brace's own: 400, 408, 413, 414, 431, 502 (server failed),\n"
    "503 (no server, queue timeout, or past maxconn with Retry-After), 504\n"
    "(timeout).\n"
    "\n"
    "Examples:\n"
    "  brace lb -l :80 -b 10.0.0.11:8080 -b 10.0.0.12:8080 --check-interval 2s\n"
    "  brace lb -m tcp -l 127.0.0.1:6432 -b db1:5432,maxconn=80 --queue-timeout 30s\n"
    "  brace lb -c /etc/brace/lb.conf --check\n";

/* Options of the command itself; the quick-form flags come from the key table. */
enum { OPT_CHECK = 256, OPT_DUMP, OPT_NO_JOURNAL, OPT_NO_SPLICE, OPT_KEY /* + row index */ };

static const struct option cmd_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "dump-config", no_argument, NULL, OPT_DUMP },
	{ "no-journal", no_argument, NULL, OPT_NO_JOURNAL },
	{ "no-splice", no_argument, NULL, OPT_NO_SPLICE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
};

#define NCMD_OPTS (sizeof(cmd_opts) / sizeof(cmd_opts[0]))

/* A flag that also goes with -c FILE, kept to be applied over the file. */
struct with_file {
	const struct config_key *k;
	const char *v;
};

struct lb_args {
	const char *file;
	int check, dump, quick;
	struct with_file *over;         /* argc of them at most (static: see parse_args) */
	int nover;
};

static void print_help(void) __attribute__((noreturn));

static void
print_help(void)
{
	static char *text;              /* static: still reachable after exit() */
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL) {
		log_error("out of memory");
		exit(1);
	}
	fputs(usage_head, f);
	config_key_help(f);
	fputs(usage_tail, f);
	if (fclose(f) != 0) {
		log_error("out of memory");
		exit(1);
	}
	cli_print_help(text);
}

/* getopt_long's table: the command's options, then one per flag of the key table. */
static struct option *
build_options(char *shorts, size_t n)
{
	struct option *o = calloc(NCMD_OPTS + config_nkeys + 1, sizeof(*o));
	size_t k = NCMD_OPTS, len = (size_t)snprintf(shorts, n, "c:hV");

	if (o == NULL) {
		log_error("out of memory");
		exit(1);
	}
	memcpy(o, cmd_opts, sizeof(cmd_opts));
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *key = &config_keys[i];

		if (key->flag == NULL)
			continue;
		o[k].name = key->flag;
		/* a yes/no key's flag takes no value: given, it says yes */
		o[k].has_arg = key->kind == KIND_BOOL ? no_argument : required_argument;
		o[k].val = key->short_flag ? key->short_flag : OPT_KEY + (int)i;
		k++;
		if (key->short_flag && len + 2 < n)
			len += (size_t)snprintf(shorts + len, n - len, "%c%s", key->short_flag,
			    key->kind == KIND_BOOL ? "" : ":");
	}
	return o;
}

/* The row of a quick-form flag from getopt's answer, or NULL. */
static const struct config_key *
flag_key(int c)
{
	if (c >= OPT_KEY && (size_t)(c - OPT_KEY) < config_nkeys)
		return &config_keys[c - OPT_KEY];
	for (size_t i = 0; i < config_nkeys && c > 0 && c < 128; i++)
		if (config_keys[i].short_flag == c)
			return &config_keys[i];
	return NULL;
}

static void
quick_flag(struct lb_config *cfg, struct lb_args *a, const struct config_key *k, const char *v)
{
	char err[ERR_LEN];

	if (k->flags & KEY_WITH_FILE)
		a->over[a->nover++] = (struct with_file){ k, v };
	else
		a->quick = 1;
	if (config_key_flag(cfg, k, v, err) < 0)
		cli_usage_error("%s", err);
}

static void
parse_args(struct lb_config *cfg, struct lb_args *a, int argc, char **argv)
{
	static const struct config_key *journal, *splice;
	/* static, so that what exits from within (--help, usage errors) or after
	 * (the command) leaves nothing unreachable behind */
	static struct option *opts;
	static struct with_file *over;
	char shorts[64];
	int c;

	if (journal == NULL)
		journal = config_key_find(SECT_GLOBAL, "journal");
	if (splice == NULL)
		splice = config_key_find(SECT_GLOBAL, "splice");
	free(opts);
	opts = build_options(shorts, sizeof(shorts));
	free(over);
	if ((a->over = over = calloc((size_t)argc + 1, sizeof(*over))) == NULL) {
		log_error("out of memory");
		exit(1);
	}
	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		const struct config_key *k = flag_key(c);

		if (k != NULL) {
			/* a secret leaves ps(1) without a trace of its length */
			if ((k->flags & KEY_SECRET) && optarg != NULL)
				cmdline_hide(optarg, "***");
			quick_flag(cfg, a, k, optarg != NULL ? optarg : "yes");
			continue;
		}
		switch (c) {
		case 'c': a->file = optarg; break;
		case OPT_CHECK: a->check = 1; break;
		case OPT_DUMP: a->dump = 1; break;
		case OPT_NO_JOURNAL: quick_flag(cfg, a, journal, "off"); break;
		case OPT_NO_SPLICE: quick_flag(cfg, a, splice, "off"); break;
		case 'h': print_help();
		case 'V':
			printf("brace %s\n", BRACE_VERSION);
			exit(0);
		default: cli_try_help();
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (a->file && a->quick)
		cli_usage_error("use either -c FILE or the quick flags (--listen, --backend, ...), "
		    "not both");
	if (a->check && !a->file)
		cli_usage_error("--check needs -c FILE");
	if (!a->file) {
		struct frontend *fe = config_find_frontend(cfg, LB_QUICK_LISTEN);
		struct pool *p = config_find_pool(cfg, LB_QUICK_POOL);

		if (fe == NULL || fe->nbind == 0)
			cli_usage_error("no --listen address");
		/* a listener that only redirects to https needs no server */
		if ((p == NULL || p->nsrv == 0) && !fe->redirect_https)
			cli_usage_error("no --backend server");
		if (p != NULL)
			snprintf(fe->default_pool_name, sizeof(fe->default_pool_name), "%s",
			    LB_QUICK_POOL);
	}
}

/* The flags that go with -c FILE win over the file: apply them again. */
static void
apply_over_file(struct lb_config *cfg, const struct lb_args *a)
{
	char err[ERR_LEN];

	for (int i = 0; i < a->nover; i++)
		if (config_key_flag(cfg, a->over[i].k, a->over[i].v, err) < 0)
			cli_usage_error("%s", err);
}

/* A problem --check found beyond the file (TLS files), with the line it comes from. */
static void
report_check_problem(void *arg, int line, int warning, const char *msg)
{
	const char *file = arg;

	if (line > 0)
		log_msg(warning ? LOG_LVL_WARN : LOG_LVL_ERROR, "%s:%d: %s", file, line, msg);
	else
		log_msg(warning ? LOG_LVL_WARN : LOG_LVL_ERROR, "%s: %s", file, msg);
}

/* A problem of a configuration built from flags: no file, no line to name. */
static void
report_flag_problem(void *arg, int line, const char *msg)
{
	log_error("%s", msg);
}

/* Tell systemd (Type=notify) where brace lb stands; a failure is worth a warning only. */
static void
tell_systemd(int reloading, const char *fmt, ...)
{
	char state[512], err[ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(state, sizeof(state), fmt, ap);
	va_end(ap);
	if ((reloading && sdnotify_reloading(err) < 0) || sdnotify(state, err) < 0)
		log_warn("%s", err);
}

static void
describe(const struct lb_config *cfg)
{
	for (int f = 0; f < cfg->nfe; f++) {
		const struct frontend *fe = &cfg->fe[f];

		for (int b = 0; b < fe->nbind; b++)
			log_notice("listening on %s (%s%s, %s%s, %d thread%s, %d pool%s, %d server%s)",
			    fe->bind[b].str, fe->mode == MODE_HTTP && fe->ntls_cert ? "https" :
			    config_mode_name(fe->mode), fe->mode == MODE_TCP && fe->ntls_cert ? "+tls" : "",
			    fe->redirect_https ? "redirect to https" : fe->default_pool ?
			    config_balance_name(fe->default_pool->balance) : "routes",
			    fe->nroutes ? " + routes" : "", cfg->threads, cfg->threads == 1 ? "" : "s",
			    cfg->npools, cfg->npools == 1 ? "" : "s", cfg->nservers,
			    cfg->nservers == 1 ? "" : "s");
	}
}

int
cmd_lb(int argc, char **argv)
{
	struct lb_args a = { 0 };
	struct lb_config *cfg = config_new();
	char err[ERR_LEN], subject[PATH_MAX];
	sigset_t set;
	int nerr;

	if (cfg == NULL) {
		log_error("out of memory");
		return 1;
	}
	argv = cmdline_own(argc, argv);
	parse_args(cfg, &a, argc, argv);
	if (cmdline_publish() < 0)
		log_warn("cannot rewrite the command line: --admin-token stays visible in ps(1)");
	if (cfg->log_level_set)
		log_set_level(cfg->log_level);
	if (a.file) {
		config_free(cfg);
		if ((cfg = config_file_read(a.file, &nerr)) == NULL) {
			if (a.check)
				fprintf(stderr, "%s: configuration %s has %d error%s\n", log_prog(),
				    a.file, nerr, nerr == 1 ? "" : "s");
			return 1;
		}
		/* --log-level, --journal, --splice and their --no- forms win over the file */
		apply_over_file(cfg, &a);
		if (cfg->log_level_set)
			log_set_level(cfg->log_level);
	} else {
		if (config_finish(cfg, report_flag_problem, NULL) > 0) {
			config_free(cfg);
			return EXIT_USAGE;
		}
	}
	if (a.check) {
		/* What the start would open, each cause said once; every
		 * certificate, key and CA file, as the start would load them. */
		nerr = preflight_check(cfg);
		nerr += tls_check(cfg, report_check_problem, (void *)a.file);
		if (nerr > 0) {
			fprintf(stderr, "%s: configuration %s has %d error%s\n", log_prog(),
			    a.file, nerr, nerr == 1 ? "" : "s");
			config_free(cfg);
			return 1;
		}
		printf("configuration %s is valid: %d listener%s, %d pool%s, %d server%s\n", a.file,
		    cfg->nfe, cfg->nfe == 1 ? "" : "s", cfg->npools, cfg->npools == 1 ? "" : "s",
		    cfg->nservers, cfg->nservers == 1 ? "" : "s");
		config_free(cfg);
		return 0;
	}
	if (a.dump) {
		config_file_dump(cfg, stdout);
		config_free(cfg);
		return fflush(stdout) == 0 ? 0 : 1;
	}

	log_set_timestamps(1);
	/* Signals are blocked before any thread starts, so that every thread
	 * inherits the mask and only sigtimedwait() below takes them. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* The journal first: loading certificates records events. */
	events_start(cfg->journal[0] ? cfg->journal : NULL, cfg->journal_off);
	preflight_secrets(cfg);
	/* Every socket is bound and every certificate loaded before any worker
	 * starts: a taken port or a bad key is an error now, not a half-started
	 * balancer. */
	if (gen_open(cfg, err) < 0) {
		log_error("%s", err);
		config_free(cfg);
		events_stop();
		return 1;
	}
	if (admin_open(cfg, err) < 0 || alog_open(cfg, err) < 0) {
		log_error("%s", err);
		events_stop();
		return 1;
	}
	if (gen_start(err) < 0) {
		log_error("%s", err);
		events_stop();
		return 1;
	}
	admin_start();
	describe(cfg);
	/* Every listener is bound and served: systemd may start what depends on us. */
	tell_systemd(0, "READY=1\nSTATUS=serving %d listener%s, %d pool%s, %d server%s",
	    cfg->nfe, cfg->nfe == 1 ? "" : "s", cfg->npools, cfg->npools == 1 ? "" : "s",
	    cfg->nservers, cfg->nservers == 1 ? "" : "s");
	events_record("start", "notice", cfg->path[0] ? cfg->path : "brace lb",
	    "load balancer started: %d listener%s, %d pool%s, %d server%s", cfg->nfe,
	    cfg->nfe == 1 ? "" : "s", cfg->npools, cfg->npools == 1 ? "" : "s", cfg->nservers,
	    cfg->nservers == 1 ? "" : "s");

	for (int64_t wait = gen_tick(clock_mono_ms());;) {
		struct timespec ts = { wait / 1000, (wait % 1000) * 1000000 };
		int sig = sigtimedwait(&set, NULL, &ts);

		gen_reap();
		wait = gen_tick(clock_mono_ms());
		tls_tick(gen_config());
		if (sig == SIGTERM || sig == SIGINT) {
			char gr[32];

			units_fmt_duration(gen_config()->t_grace, gr, sizeof(gr));
			log_notice("%s: no new connections; finishing requests in flight "
			    "(at most %s)", sig == SIGTERM ? "SIGTERM" : "SIGINT", gr);
			tell_systemd(0, "STOPPING=1\nSTATUS=stopping: finishing requests in flight");
			break;
		}
		if (sig == SIGHUP) {
			tell_systemd(1, "STATUS=reloading");
			tell_systemd(0, "READY=1\nSTATUS=%s", gen_reload() == 0 ?
			    "serving the reloaded configuration" :
			    "reload refused: serving the previous configuration");
		} else if (sig == SIGUSR1)
			alog_reopen();
	}
	snprintf(subject, sizeof(subject), "%s", gen_config()->path[0] ? gen_config()->path :
	    "brace lb");
	gen_stop_all();
	admin_stop();
	events_record("stop", "notice", subject, "load balancer stopped");
	events_stop();
	alog_close();   /* after the workers wrote their last lines */
	log_notice("stopped");
	return 0;
}
