/*
 * lb.c - `brace lb`: command line, generations of workers, signals.
 *
 * Everything that can be wrong with the command line, the configuration or
 * the machine (a bad flag, an unresolvable server, a port already taken) is
 * found here, before the first worker starts: exit 2 for usage, 1 for the
 * rest.
 *
 * A generation is a configuration and the workers running it. A reload
 * (SIGHUP) reads the file again; if it is good, a new generation starts on
 * copies of the old listening sockets (so nothing in a backlog is lost), the
 * old workers stop accepting, finish their requests, close idle keep-alive
 * connections, and are reaped here. If the file is bad, the running
 * generation stays and the errors are logged and journaled.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "commands.h"
#include "core/cli.h"
#include "core/err.h"
#include "core/log.h"
#include "core/units.h"
#include "lb/admin.h"
#include "lb/alog.h"
#include "lb/events.h"
#include "lb/health.h"
#include "lb/lb.h"

_Atomic int lb_nclients;
_Atomic int lb_stop;
_Atomic uint64_t lb_reloads;
_Atomic uint64_t lb_reload_failures;

struct gen {
	struct gen *next;               /* older generations, still draining */
	struct lb_config *cfg;
	struct worker *w;
	int n;
	struct health *hc;
};

static struct gen *current;

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
		if (c != 'c' && c != OPT_CHECK && c != OPT_DUMP && c != OPT_LOG_LEVEL && c != 'h')
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

struct report_ctx {
	const char *file;
	int n;
};

static void
report_error(void *arg, int line, const char *msg)
{
	struct report_ctx *r = arg;

	r->n++;
	if (r->file && line > 0)
		log_error("%s:%d: %s", r->file, line, msg);
	else if (r->file)
		log_error("%s: %s", r->file, msg);
	else
		log_error("%s", msg);
}

/* Read and check a configuration file; NULL with the errors logged. */
static struct lb_config *
load_config(const char *file, int *nerrors)
{
	struct report_ctx r = { file, 0 };
	struct lb_config *cfg = config_new();
	char err[ERR_LEN];

	if (cfg == NULL) {
		log_error("out of memory");
		*nerrors = 1;
		return NULL;
	}
	if (config_load_file(cfg, file, report_error, &r, err) < 0) {
		log_error("%s", err);
		r.n++;
	} else {
		/* also after errors: the user gets every problem in one go */
		config_finish(cfg, report_error, &r);
	}
	*nerrors = r.n;
	if (r.n > 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* Make room for maxconn clients and their server connections. */
static void
raise_fd_limit(struct lb_config *cfg)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cfg->maxconn * 2 + 256 + (rlim_t)cfg->threads * 16;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < want) {
		int fit = (int)((rl.rlim_cur - 256 - (rlim_t)cfg->threads * 16) / 2);

		if (fit < 1)
			fit = 1;
		if (cfg->maxconn_set) {
			/* Chosen: kept. Past the limit accepts pause (EMFILE), nothing breaks. */
			log_warn("the open files limit (%lu) is enough for about %d client "
			    "connections, not maxconn %d; raise it (LimitNOFILE=, ulimit -n)",
			    (unsigned long)rl.rlim_cur, fit, cfg->maxconn);
			return;
		}
		log_info("maxconn %d (what the open files limit allows)", fit);
		cfg->maxconn = fit;
	}
}

static int
open_listener(const struct frontend *fe, const struct lb_listen *l, char *err)
{
	int fd, one = 1;

	fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set(err, "cannot create a socket for %s: %s", l->str, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* Accepted sockets inherit it: answers go out without Nagle's delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) < 0) {
		err_set(err, "cannot bind %s: %s", l->str, strerror(errno));
		close(fd);
		return -1;
	}
	if (listen(fd, 4096) < 0) {
		err_set(err, "cannot listen on %s: %s", l->str, strerror(errno));
		close(fd);
		return -1;
	}
	(void)fe;
	return fd;
}

static int
same_sockaddr(const struct sockaddr_storage *a, socklen_t al, const struct sockaddr_storage *b,
    socklen_t bl)
{
	return al == bl && memcmp(a, b, al) == 0;
}

static int
add_listener(struct worker *w, struct frontend *fe, int fd)
{
	struct listener *n = realloc(w->listeners, sizeof(*n) * (size_t)(w->nlisteners + 1));
	/* An HTTP client speaks first: accept once its request is there. A TCP
	 * protocol may have the server speak first (MySQL): accept at once. */
	int defer = fe->mode == MODE_HTTP ? 1 : 0;

	if (n == NULL)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer));
	w->listeners = n;
	memset(&n[w->nlisteners], 0, sizeof(*n));
	n[w->nlisteners].c.fd = fd;
	n[w->nlisteners].fe = fe;
	w->nlisteners++;
	return 0;
}

/*
 * Give every worker of g a socket for every bind address. Sockets of the old
 * generation are taken over (dup) where the address is still wanted, so the
 * clients in their backlogs are served by the new workers; an old socket with
 * no counterpart still goes to some new worker, for the same reason.
 */
static int
open_listeners(struct gen *g, struct gen *old, char *err)
{
	struct lb_config *cfg = g->cfg;
	int nold = 0, *used = NULL;
	struct listener **olds = NULL;

	if (old != NULL) {
		for (int i = 0; i < old->n; i++)
			nold += old->w[i].nlisteners;
		olds = calloc((size_t)nold + 1, sizeof(*olds));
		used = calloc((size_t)nold + 1, sizeof(*used));
		if (olds == NULL || used == NULL)
			goto nomem;
		nold = 0;
		for (int i = 0; i < old->n; i++)
			for (int k = 0; k < old->w[i].nlisteners; k++)
				olds[nold++] = &old->w[i].listeners[k];
	}
	for (int i = 0; i < g->n; i++) {
		for (int f = 0; f < cfg->nfe; f++) {
			struct frontend *fe = &cfg->fe[f];

			for (int b = 0; b < fe->nbind; b++) {
				const struct lb_listen *l = &fe->bind[b];
				int fd = -1;

				for (int k = 0; k < nold && fd < 0; k++) {
					struct sockaddr_storage sa;
					socklen_t sl = sizeof(sa);

					if (used[k] || olds[k]->c.fd < 0 ||
					    getsockname(olds[k]->c.fd, (struct sockaddr *)&sa, &sl) < 0 ||
					    !same_sockaddr(&sa, sl, &l->addr, l->addrlen))
						continue;
					fd = fcntl(olds[k]->c.fd, F_DUPFD_CLOEXEC, 0);
					used[k] = 1;
				}
				if (fd < 0 && (fd = open_listener(fe, l, err)) < 0)
					goto fail;
				if (add_listener(&g->w[i], fe, fd) < 0) {
					close(fd);
					goto nomem;
				}
			}
		}
	}
	/* Old sockets nobody took: keep their backlogs alive if the address stays. */
	for (int k = 0, i = 0; k < nold; k++) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);

		if (used[k] || olds[k]->c.fd < 0 ||
		    getsockname(olds[k]->c.fd, (struct sockaddr *)&sa, &sl) < 0)
			continue;
		for (int f = 0; f < cfg->nfe; f++) {
			for (int b = 0; b < cfg->fe[f].nbind; b++) {
				if (used[k] || !same_sockaddr(&sa, sl, &cfg->fe[f].bind[b].addr,
				    cfg->fe[f].bind[b].addrlen))
					continue;
				int fd = fcntl(olds[k]->c.fd, F_DUPFD_CLOEXEC, 0);

				if (fd >= 0 && add_listener(&g->w[i++ % g->n], &cfg->fe[f], fd) < 0)
					close(fd);
				used[k] = 1;
			}
		}
	}
	free(olds);
	free(used);
	return 0;
nomem:
	err_set(err, "out of memory");
fail:
	for (int i = 0; i < g->n; i++) {
		for (int k = 0; k < g->w[i].nlisteners; k++)
			close(g->w[i].listeners[k].c.fd);
		g->w[i].nlisteners = 0;
	}
	free(olds);
	free(used);
	return -1;
}

static struct gen *
gen_new(struct lb_config *cfg)
{
	struct gen *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->cfg = cfg;
	g->n = cfg->threads;
	g->w = calloc((size_t)g->n, sizeof(*g->w));
	if (g->w == NULL) {
		free(g);
		return NULL;
	}
	for (int i = 0; i < g->n; i++) {
		g->w[i].id = i;
		g->w[i].cfg = cfg;
		g->w[i].epfd = -1;
		g->w[i].wake.fd = -1;
		pthread_mutex_init(&g->w[i].inbox_lock, NULL);
	}
	return g;
}

static int
gen_start(struct gen *g, char *err)
{
	for (int i = 0; i < g->n; i++) {
		if (worker_start(&g->w[i]) < 0) {
			err_set(err, "cannot start worker %d: %s", i, strerror(errno));
			/* workers already started stop at once: nothing reached them yet */
			for (int k = 0; k < i; k++) {
				atomic_store(&g->w[k].stop_req, 1);
				worker_wake(&g->w[k]);
				pthread_join(g->w[k].th, NULL);
			}
			return -1;
		}
	}
	g->hc = health_start(g->cfg);
	return 0;
}

static void
gen_stop(struct gen *g)
{
	health_stop(g->hc);
	g->hc = NULL;
	for (int i = 0; i < g->n; i++) {
		atomic_store(&g->w[i].stop_req, 1);
		worker_wake(&g->w[i]);
	}
}

/* Free a generation whose workers have all been joined. */
static void
gen_free(struct gen *g)
{
	for (int i = 0; i < g->n; i++)
		worker_release(&g->w[i]);
	admin_forget(g->cfg);
	backend_states_detach(g->cfg);
	config_free(g->cfg);
	free(g->w);
	free(g);
}

/* Join what the old generations have finished; free a generation once done. */
static void
reap(int wait)
{
	struct gen **pp = &current->next;

	while (*pp != NULL) {
		struct gen *g = *pp;
		int live = 0;

		for (int i = 0; i < g->n; i++) {
			if (g->w[i].th == 0)
				continue;
			if (wait ? pthread_join(g->w[i].th, NULL) == 0 :
			    pthread_tryjoin_np(g->w[i].th, NULL) == 0)
				g->w[i].th = 0;
			else
				live++;
		}
		if (live == 0) {
			*pp = g->next;
			gen_free(g);
		} else {
			pp = &g->next;
		}
	}
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

static void
reload(void)
{
	const char *file = current->cfg->path;
	struct lb_config *cfg;
	struct gen *g, *old = current;
	char err[ERR_LEN];
	int nerr;

	if (file[0] == '\0') {
		log_notice("SIGHUP: started from the command line, nothing to reload");
		return;
	}
	log_notice("SIGHUP: reloading %s", file);
	if ((cfg = load_config(file, &nerr)) == NULL) {
		atomic_fetch_add(&lb_reload_failures, 1);
		events_record("reload_failed", "error", file,
		    "%d error%s in %s; the running configuration is kept", nerr,
		    nerr == 1 ? "" : "s", file);
		return;
	}
	raise_fd_limit(cfg);
	if (cfg->log_level_set)
		log_set_level(cfg->log_level);
	if (backend_states_attach(cfg, err) < 0 || (g = gen_new(cfg)) == NULL) {
		log_error("reload: %s", err[0] ? err : "out of memory");
		backend_states_detach(cfg);
		config_free(cfg);
		return;
	}
	if (open_listeners(g, old, err) < 0 || gen_start(g, err) < 0) {
		atomic_fetch_add(&lb_reload_failures, 1);
		events_record("reload_failed", "error", file, "%s; the running configuration is "
		    "kept", err);
		for (int i = 0; i < g->n; i++)
			for (int k = 0; k < g->w[i].nlisteners; k++)
				close(g->w[i].listeners[k].c.fd);
		gen_free(g);
		return;
	}
	alog_configure(cfg);
	admin_use(cfg);
	g->next = old;
	current = g;
	gen_stop(old);
	atomic_fetch_add(&lb_reloads, 1);
	events_record("reload", "notice", file, "configuration reloaded: %d listener%s, %d pool%s, "
	    "%d server%s", cfg->nfe, cfg->nfe == 1 ? "" : "s", cfg->npools,
	    cfg->npools == 1 ? "" : "s", cfg->nservers, cfg->nservers == 1 ? "" : "s");
}

int
cmd_lb(int argc, char **argv)
{
	struct lb_args a = { 0 };
	struct lb_config *cfg = config_new();
	char err[ERR_LEN];
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
		int lvl_set = cfg->log_level_set;

		config_free(cfg);
		if ((cfg = load_config(a.file, &nerr)) == NULL) {
			if (a.check)
				fprintf(stderr, "%s: configuration %s has %d error%s\n", log_prog(),
				    a.file, nerr, nerr == 1 ? "" : "s");
			return 1;
		}
		if (lvl_set) {
			cfg->log_level = lvl;
			cfg->log_level_set = 1;
		}
		if (cfg->log_level_set)
			log_set_level(cfg->log_level);
	} else {
		struct report_ctx r = { NULL, 0 };

		if (config_finish(cfg, report_error, &r) > 0) {
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
	raise_fd_limit(cfg);
	if (backend_states_attach(cfg, err) < 0 || (current = gen_new(cfg)) == NULL) {
		log_error("%s", err);
		return 1;
	}
	/* Every socket is bound before any thread starts: a taken port is an
	 * error now, not a half-started balancer. */
	if (open_listeners(current, NULL, err) < 0) {
		log_error("%s", err);
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
	if (gen_start(current, err) < 0) {
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

		reap(0);
		if (sig == SIGTERM || sig == SIGINT) {
			char gr[32];

			units_fmt_duration(current->cfg->t_grace, gr, sizeof(gr));
			log_notice("%s: no new connections; finishing requests in flight "
			    "(at most %s)", sig == SIGTERM ? "SIGTERM" : "SIGINT", gr);
			break;
		}
		if (sig == SIGHUP)
			reload();
		else if (sig == SIGUSR1)
			alog_reopen();
	}
	atomic_store(&lb_stop, 1);
	for (struct gen *g = current; g != NULL; g = g->next)
		gen_stop(g);
	for (struct gen *g = current; g != NULL; g = g->next)
		for (int i = 0; i < g->n; i++)
			if (g->w[i].th != 0) {
				pthread_join(g->w[i].th, NULL);
				g->w[i].th = 0;
			}
	reap(1);
	admin_stop();
	alog_close();
	events_record("stop", "notice", current->cfg->path[0] ? current->cfg->path : "brace lb",
	    "load balancer stopped");
	events_stop();
	gen_free(current);
	current = NULL;
	log_notice("stopped");
	return 0;
}
