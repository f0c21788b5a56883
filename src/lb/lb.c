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
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "core/cli.h"
#include "core/err.h"
#include "core/log.h"
#include "core/units.h"
#include "lb/admin.h"
#include "lb/alog.h"
#include "lb/config.h"
#include "lb/config_file.h"
#include "lb/events.h"
#include "lb/gen.h"

static const char lb_usage[] =
    "usage: brace lb --listen ADDR:PORT [--listen ...]\n"
    "                --backend HOST:PORT[,weight=N][,maxconn=N][,name=NAME] [--backend ...]\n"
    "                [OPTIONS]\n"
    "       brace lb -c FILE [--check | --dump-config]\n"
    "       brace lb [quick flags] --dump-config\n"
    "\n"
    "An HTTP/1.1 and TCP load balancer that caps the connections each server\n"
    "gets and queues the rest, instead of letting a server drown.\n"
    "\n"
    "Quick form (defaults in brackets):\n"
    "  -l, --listen ADDR:PORT     where to accept clients; \"*:8080\" or \":8080\" for\n"
    "                             every address, \"[::1]:8080\" for IPv6; repeatable\n"
    "  -b, --backend SPEC         a server: HOST:PORT, then optional ,weight=N (0-256) [1]\n"
    "                             ,maxconn=N (connections it may get; 0 = no cap) [0]\n"
    "                             ,name=NAME [HOST:PORT]; repeatable\n"
    "  -m, --mode http|tcp        HTTP reverse proxy, or a byte relay for anything\n"
    "                             else (databases) [http]\n"
    "      --balance ALGO         roundrobin (smooth, weighted), leastconn, random2\n"
    "                             (best of two random), hash-source, hash-uri,\n"
    "                             hash-header:NAME (consistent, bounded load) [roundrobin]\n"
    "  -t, --threads N            worker threads, each with its own event loop and\n"
    "                             listening socket [one per CPU]\n"
    "      --maxconn N            client connections at once; more wait in the\n"
    "                             kernel's backlog [20000, or what the open files\n"
    "                             limit allows]\n"
    "      --queue-timeout DUR    how long a request waits for a server slot before\n"
    "                             503 (HTTP) or a closed connection (TCP) [10s]\n"
    "      --retries N            other servers tried when connecting fails or a\n"
    "                             connection resets before any answer [3]\n"
    "      --timeout-connect DUR  connecting to a server [5s]\n"
    "      --timeout-server DUR   waiting for the server's answer, and between its\n"
    "                             reads [60s]\n"
    "      --timeout-client DUR   keep-alive idle time between requests, and a client\n"
    "                             silent mid-request or not reading [60s]\n"
    "      --timeout-request DUR  receiving a whole request head (slowloris guard;\n"
    "                             answered with 408) [10s]\n"
    "      --timeout-tunnel DUR   idle time of TCP mode sessions and WebSocket\n"
    "                             tunnels [1h]\n"
    "      --max-body SIZE        largest request body (413 past it); 0 = no limit [0]\n"
    "      --pool-idle DUR        idle keep-alive connections to servers are closed\n"
    "                             after this [30s]\n"
    "      --check-interval DUR   check every server this often (TCP connect, or an\n"
    "                             HTTP GET with --check-path); off by default\n"
    "      --check-path PATH      check with GET PATH, expecting 2xx\n"
    "      --slow-start DUR       a server coming back gets its full weight over\n"
    "                             this time [0: at once]\n"
    "      --admin ADDR:PORT      serve /metrics, /stats and the server controls\n"
    "                             (loopback only unless the file allows more)\n"
    "      --admin-token TOKEN    require \"Authorization: Bearer TOKEN\" there\n"
    "      --access-log FILE      one line per request (or \"syslog\"); reopened on\n"
    "                             SIGUSR1 for logrotate\n"
    "      --access-log-format combined|json   [combined, with upstream times]\n"
    "      --journal PATH         where events go (server down/up, reloads, ...)\n"
    "                             [the default journal]; --no-journal: nowhere\n"
    "      --grace DUR            on SIGTERM/SIGINT, stop accepting and let requests\n"
    "                             in flight finish for this long, then exit 0 [30s]\n"
    "      --log-level LEVEL      error, warn, notice, info or debug [notice]\n"
    "\n"
    "Configuration file:\n"
    "  -c, --config FILE          read listeners, pools and routes from FILE\n"
    "                             (docs/lb.md); SIGHUP reloads it\n"
    "      --check                check the configuration and exit: 0 if valid, else\n"
    "                             1 with FILE:LINE: reason for each error\n"
    "      --dump-config          print the configuration (from flags or FILE) as a\n"
    "                             file, and exit\n"
    "  -h, --help                 show this help\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop gracefully, SIGHUP reloads the file, SIGUSR1\n"
    "reopens the access log. Answers of brace's own: 400, 408, 413, 414, 431,\n"
    "502 (server failed), 503 (no server, or queue timeout), 504 (timeout).\n"
    "\n"
    "Examples:\n"
    "  brace lb -l :80 -b 10.0.0.11:8080 -b 10.0.0.12:8080 --check-interval 2s\n"
    "  brace lb -m tcp -l 127.0.0.1:6432 -b db1:5432,maxconn=80 --queue-timeout 30s\n"
    "  brace lb -c /etc/brace/lb.conf --check\n";

enum {
	OPT_BALANCE = 256, OPT_MAXCONN, OPT_QUEUE_TIMEOUT, OPT_RETRIES, OPT_T_CONNECT,
	OPT_T_SERVER, OPT_T_CLIENT, OPT_T_REQUEST, OPT_T_TUNNEL, OPT_POOL_IDLE, OPT_GRACE,
	OPT_LOG_LEVEL, OPT_MAX_BODY, OPT_CHECK_INTERVAL, OPT_CHECK_PATH, OPT_SLOW_START,
	OPT_ADMIN, OPT_ADMIN_TOKEN, OPT_ACCESS_LOG, OPT_ACCESS_FORMAT, OPT_JOURNAL,
	OPT_NO_JOURNAL, OPT_CHECK, OPT_DUMP,
};

static const struct option lb_opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "backend", required_argument, NULL, 'b' },
	{ "mode", required_argument, NULL, 'm' },
	{ "balance", required_argument, NULL, OPT_BALANCE },
	{ "threads", required_argument, NULL, 't' },
	{ "maxconn", required_argument, NULL, OPT_MAXCONN },
	{ "queue-timeout", required_argument, NULL, OPT_QUEUE_TIMEOUT },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "timeout-connect", required_argument, NULL, OPT_T_CONNECT },
	{ "timeout-server", required_argument, NULL, OPT_T_SERVER },
	{ "timeout-client", required_argument, NULL, OPT_T_CLIENT },
	{ "timeout-request", required_argument, NULL, OPT_T_REQUEST },
	{ "timeout-tunnel", required_argument, NULL, OPT_T_TUNNEL },
	{ "max-body", required_argument, NULL, OPT_MAX_BODY },
	{ "pool-idle", required_argument, NULL, OPT_POOL_IDLE },
	{ "check-interval", required_argument, NULL, OPT_CHECK_INTERVAL },
	{ "check-path", required_argument, NULL, OPT_CHECK_PATH },
	{ "slow-start", required_argument, NULL, OPT_SLOW_START },
	{ "admin", required_argument, NULL, OPT_ADMIN },
	{ "admin-token", required_argument, NULL, OPT_ADMIN_TOKEN },
	{ "access-log", required_argument, NULL, OPT_ACCESS_LOG },
	{ "access-log-format", required_argument, NULL, OPT_ACCESS_FORMAT },
	{ "journal", required_argument, NULL, OPT_JOURNAL },
	{ "no-journal", no_argument, NULL, OPT_NO_JOURNAL },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "config", required_argument, NULL, 'c' },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "dump-config", no_argument, NULL, OPT_DUMP },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct lb_args {
	const char *file;
	int check, dump, quick;
};

/* The quick form's frontend "main" and pool "default", made on first use. */
static struct frontend *
quick_fe(struct lb_config *cfg)
{
	char err[ERR_LEN];
	struct frontend *fe = config_find_frontend(cfg, "main");

	if (fe == NULL && (fe = config_add_frontend(cfg, "main", err)) == NULL)
		cli_usage_error("%s", err);
	return fe;
}

static struct pool *
quick_pool(struct lb_config *cfg)
{
	char err[ERR_LEN];
	struct pool *p = config_find_pool(cfg, "default");

	if (p == NULL && (p = config_add_pool(cfg, "default", err)) == NULL)
		cli_usage_error("%s", err);
	return p;
}

static void
parse_args(struct lb_config *cfg, struct lb_args *a, int argc, char **argv)
{
	char err[ERR_LEN];
	enum log_level lvl;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "l:b:m:t:c:h", lb_opts, NULL)) != -1) {
		if (c != 'c' && c != OPT_CHECK && c != OPT_DUMP && c != OPT_LOG_LEVEL && c != 'h' &&
		    c != OPT_JOURNAL && c != OPT_NO_JOURNAL)
			a->quick = 1;
		switch (c) {
		case 'l':
			if (config_add_bind(quick_fe(cfg), optarg, err) < 0)
				cli_usage_error("--listen %s", err);
			break;
		case 'b':
			if (config_add_server_spec(cfg, quick_pool(cfg), optarg, err) < 0)
				cli_usage_error("--backend '%s': %s", optarg, err);
			break;
		case 'm':
			if (config_set_mode(quick_fe(cfg), optarg, err) < 0)
				cli_usage_error("--mode: %s", err);
			break;
		case OPT_BALANCE:
			if (config_set_balance(quick_pool(cfg), optarg, err) < 0)
				cli_usage_error("--balance: %s", err);
			break;
		case 't': cfg->threads = (int)cli_long("--threads", optarg, 1, 256); break;
		case OPT_MAXCONN:
			cfg->maxconn = (int)cli_long("--maxconn", optarg, 1, 10000000);
			cfg->maxconn_set = 1;
			break;
		case OPT_QUEUE_TIMEOUT:
			quick_pool(cfg)->t_queue = cli_duration("--queue-timeout", optarg);
			break;
		case OPT_RETRIES:
			quick_pool(cfg)->retries = (int)cli_long("--retries", optarg, 0, 100);
			break;
		case OPT_T_CONNECT:
			quick_pool(cfg)->t_connect = cli_duration("--timeout-connect", optarg);
			break;
		case OPT_T_SERVER:
			quick_pool(cfg)->t_server = cli_duration("--timeout-server", optarg);
			break;
		case OPT_POOL_IDLE:
			quick_pool(cfg)->t_pool_idle = cli_duration("--pool-idle", optarg);
			break;
		case OPT_CHECK_INTERVAL: {
			struct pool *p = quick_pool(cfg);

			p->check.interval = cli_duration("--check-interval", optarg);
			if (p->check.type == CHECK_NONE)
				p->check.type = CHECK_TCP;
			/* a check must end before the next one starts */
			if (p->check.timeout >= p->check.interval)
				p->check.timeout = p->check.interval / 2 > 0 ? p->check.interval / 2 : 1;
			break;
		}
		case OPT_CHECK_PATH: {
			struct pool *p = quick_pool(cfg);

			if (optarg[0] != '/' || strlen(optarg) >= sizeof(p->check.path))
				cli_usage_error("--check-path must start with '/' and be shorter than %zu",
				    sizeof(p->check.path));
			snprintf(p->check.path, sizeof(p->check.path), "%s", optarg);
			p->check.type = CHECK_HTTP;
			break;
		}
		case OPT_SLOW_START:
			quick_pool(cfg)->slow_start = cli_duration("--slow-start", optarg);
			break;
		case OPT_T_CLIENT:
			quick_fe(cfg)->t_client = cli_duration("--timeout-client", optarg);
			break;
		case OPT_T_REQUEST:
			quick_fe(cfg)->t_request = cli_duration("--timeout-request", optarg);
			break;
		case OPT_T_TUNNEL:
			quick_fe(cfg)->t_tunnel = cli_duration("--timeout-tunnel", optarg);
			break;
		case OPT_MAX_BODY:
			quick_fe(cfg)->max_body = cli_size("--max-body", optarg);
			break;
		case OPT_ADMIN:
			if (config_set_admin(cfg, optarg, err) < 0)
				cli_usage_error("--admin %s", err);
			break;
		case OPT_ADMIN_TOKEN:
			if (strlen(optarg) == 0 || strlen(optarg) >= sizeof(cfg->admin_token))
				cli_usage_error("--admin-token must be 1 to %zu characters",
				    sizeof(cfg->admin_token) - 1);
			snprintf(cfg->admin_token, sizeof(cfg->admin_token), "%s", optarg);
			break;
		case OPT_ACCESS_LOG:
			if (config_set_access_log(cfg, optarg, err) < 0)
				cli_usage_error("--access-log: %s", err);
			break;
		case OPT_ACCESS_FORMAT:
			if (config_set_access_format(cfg, optarg, err) < 0)
				cli_usage_error("--access-log-format: %s", err);
			break;
		case OPT_JOURNAL:
			if (strlen(optarg) >= sizeof(cfg->journal))
				cli_usage_error("--journal: path too long");
			snprintf(cfg->journal, sizeof(cfg->journal), "%s", optarg);
			break;
		case OPT_NO_JOURNAL: cfg->journal_off = 1; break;
		case OPT_GRACE: cfg->t_grace = cli_duration("--grace", optarg); break;
		case OPT_LOG_LEVEL:
			if (log_parse_level(optarg, &lvl) < 0)
				cli_usage_error("--log-level: unknown level '%s'", optarg);
			cfg->log_level = lvl;
			cfg->log_level_set = 1;
			break;
		case 'c': a->file = optarg; break;
		case OPT_CHECK: a->check = 1; break;
		case OPT_DUMP: a->dump = 1; break;
		case 'h': cli_print_help(lb_usage);
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
		if (config_find_frontend(cfg, "main") == NULL || quick_fe(cfg)->nbind == 0)
			cli_usage_error("no --listen address");
		if (config_find_pool(cfg, "default") == NULL || quick_pool(cfg)->nsrv == 0)
			cli_usage_error("no --backend server");
		snprintf(quick_fe(cfg)->default_pool_name, LB_NAME_LEN, "default");
	}
}

/* A problem of a configuration built from flags: no file, no line to name. */
static void
report_flag_problem(void *arg, int line, const char *msg)
{
	log_error("%s", msg);
}

static void
describe(const struct lb_config *cfg)
{
	for (int f = 0; f < cfg->nfe; f++) {
		const struct frontend *fe = &cfg->fe[f];

		for (int b = 0; b < fe->nbind; b++)
			log_notice("listening on %s (%s, %s%s, %d thread%s, %d pool%s, %d server%s)",
			    fe->bind[b].str, config_mode_name(fe->mode),
			    fe->default_pool ? config_balance_name(fe->default_pool->balance) : "routes",
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
	parse_args(cfg, &a, argc, argv);
	if (cfg->log_level_set)
		log_set_level(cfg->log_level);
	if (a.file) {
		enum log_level lvl = cfg->log_level;
		int lvl_set = cfg->log_level_set, jr_off = cfg->journal_off;
		char jr[PATH_MAX];

		snprintf(jr, sizeof(jr), "%s", cfg->journal);
		config_free(cfg);
		if ((cfg = config_file_read(a.file, &nerr)) == NULL) {
			if (a.check)
				fprintf(stderr, "%s: configuration %s has %d error%s\n", log_prog(),
				    a.file, nerr, nerr == 1 ? "" : "s");
			return 1;
		}
		if (lvl_set) {
			cfg->log_level = lvl;
			cfg->log_level_set = 1;
		}
		/* --journal and --no-journal override the file, as --log-level does */
		if (jr[0])
			snprintf(cfg->journal, sizeof(cfg->journal), "%s", jr);
		if (jr_off)
			cfg->journal_off = 1;
		if (cfg->log_level_set)
			log_set_level(cfg->log_level);
	} else {
		if (config_finish(cfg, report_flag_problem, NULL) > 0) {
			config_free(cfg);
			return EXIT_USAGE;
		}
	}
	if (a.check) {
		printf("configuration %s is valid: %d listener%s, %d pool%s, %d server%s\n", a.file,
		    cfg->nfe, cfg->nfe == 1 ? "" : "s", cfg->npools, cfg->npools == 1 ? "" : "s",
		    cfg->nservers, cfg->nservers == 1 ? "" : "s");
		config_free(cfg);
		return 0;
	}
	if (a.dump) {
		config_dump(cfg, stdout);
		config_free(cfg);
		return fflush(stdout) == 0 ? 0 : 1;
	}

	log_set_timestamps(1);
	/* Every socket is bound before any thread starts: a taken port is an
	 * error now, not a half-started balancer. */
	if (gen_open(cfg, err) < 0) {
		log_error("%s", err);
		config_free(cfg);
		return 1;
	}
	if (admin_open(cfg, err) < 0 || alog_open(cfg, err) < 0) {
		log_error("%s", err);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	events_start(cfg->journal[0] ? cfg->journal : NULL, cfg->journal_off);
	if (gen_start(err) < 0) {
		log_error("%s", err);
		events_stop();
		return 1;
	}
	admin_start();
	describe(cfg);
	events_record("start", "notice", cfg->path[0] ? cfg->path : "brace lb",
	    "load balancer started: %d listener%s, %d pool%s, %d server%s", cfg->nfe,
	    cfg->nfe == 1 ? "" : "s", cfg->npools, cfg->npools == 1 ? "" : "s", cfg->nservers,
	    cfg->nservers == 1 ? "" : "s");

	for (;;) {
		struct timespec ts = { 1, 0 };
		int sig = sigtimedwait(&set, NULL, &ts);

		gen_reap();
		if (sig == SIGTERM || sig == SIGINT) {
			char gr[32];

			units_fmt_duration(gen_config()->t_grace, gr, sizeof(gr));
			log_notice("%s: no new connections; finishing requests in flight "
			    "(at most %s)", sig == SIGTERM ? "SIGTERM" : "SIGINT", gr);
			break;
		}
		if (sig == SIGHUP)
			gen_reload();
		else if (sig == SIGUSR1)
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
