/*
 * lb.c - `brace lb`: command line, listening sockets, workers, signals.
 *
 * Everything that can be wrong with the command line or the machine (a bad
 * flag, an unresolvable server, a port already taken) is found here, before
 * the first worker starts: exit 2 for usage, 1 for the rest.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
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
#include "lb/lb.h"

_Atomic int lb_nclients;
_Atomic int lb_stop;

static struct worker *workers;
static int nworkers;

struct worker *
lb_worker(int id)
{
	return &workers[id];
}

int
lb_nworkers(void)
{
	return nworkers;
}

static const char lb_usage[] =
    "usage: brace lb --listen ADDR:PORT [--listen ...]\n"
    "                --backend HOST:PORT[,weight=N][,maxconn=N][,name=NAME] [--backend ...]\n"
    "                [OPTIONS]\n"
    "\n"
    "An HTTP/1.1 and TCP load balancer that caps the connections each server\n"
    "gets and queues the rest, instead of letting a server drown.\n"
    "\n"
    "Options (defaults in brackets):\n"
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
    "                             kernel's backlog [20000]\n"
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
    "      --pool-idle DUR        idle keep-alive connections to servers are closed\n"
    "                             after this [30s]\n"
    "      --grace DUR            on SIGTERM/SIGINT, stop accepting and let requests\n"
    "                             in flight finish for this long, then exit 0 [30s]\n"
    "      --log-level LEVEL      error, warn, notice, info or debug [notice]\n"
    "  -h, --help                 show this help\n"
    "\n"
    "Durations: 500ms, 30s, 5m, 1h. Answers of brace's own: 400, 408, 413, 414,\n"
    "431, 502 (server failed), 503 (no server, or queue timeout), 504 (timeout).\n"
    "\n"
    "Examples:\n"
    "  brace lb -l :80 -b 10.0.0.11:8080 -b 10.0.0.12:8080\n"
    "  brace lb -m tcp -l 127.0.0.1:6432 -b db1:5432,maxconn=80 --queue-timeout 30s\n";

enum {
	OPT_BALANCE = 256, OPT_MAXCONN, OPT_QUEUE_TIMEOUT, OPT_RETRIES, OPT_T_CONNECT,
	OPT_T_SERVER, OPT_T_CLIENT, OPT_T_REQUEST, OPT_T_TUNNEL, OPT_POOL_IDLE, OPT_GRACE,
	OPT_LOG_LEVEL,
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
	{ "pool-idle", required_argument, NULL, OPT_POOL_IDLE },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*
 * Resolve "host:port", "[v6]:port", ":port" or "*:port". passive: an empty or
 * "*" host means every address (for listening).
 */
static int
parse_hostport(const char *spec, int passive, struct sockaddr_storage *ss,
    socklen_t *len, char *err)
{
	char host[256];
	const char *colon, *port;
	struct addrinfo hints, *res;
	int rc;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || close[1] != ':') {
			err_set(err, "'%s': expected [IPv6]:PORT", spec);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(close - spec - 1), spec + 1);
		port = close + 2;
	} else {
		if ((colon = strrchr(spec, ':')) == NULL) {
			err_set(err, "'%s': expected HOST:PORT", spec);
			return -1;
		}
		if ((size_t)(colon - spec) >= sizeof(host)) {
			err_set(err, "'%s': host name too long", spec);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
		port = colon + 1;
	}
	if (*port == '\0' || strspn(port, "0123456789") != strlen(port) || atoi(port) < 1 ||
	    atoi(port) > 65535) {
		err_set(err, "'%s': invalid port '%s'", spec, port);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	if (passive && (host[0] == '\0' || strcmp(host, "*") == 0)) {
		hints.ai_family = AF_INET;
		rc = getaddrinfo(NULL, port, &hints, &res);
	} else {
		if (host[0] == '\0') {
			err_set(err, "'%s': missing host", spec);
			return -1;
		}
		rc = getaddrinfo(host, port, &hints, &res);
	}
	if (rc != 0) {
		err_set(err, "cannot resolve '%s': %s", host[0] ? host : "*", gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static long
parse_kv_long(const char *spec, const char *key, const char *val, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (end == val || *end != '\0' || errno != 0 || v < min || v > max)
		cli_usage_error("--backend '%s': %s must be a whole number from %ld to %ld",
		    spec, key, min, max);
	return v;
}

static void
add_backend(struct lb_config *cfg, const char *spec)
{
	struct pool *p = &cfg->pool;
	struct server *sv;
	char buf[512], err[ERR_LEN], *opt, *save = NULL;

	if (p->nsrv >= LB_MAX_SERVERS)
		cli_usage_error("--backend: at most %d servers", LB_MAX_SERVERS);
	if (strlen(spec) >= sizeof(buf))
		cli_usage_error("--backend '%.40s...': too long", spec);
	snprintf(buf, sizeof(buf), "%s", spec);
	sv = &p->srv[p->nsrv];
	memset(sv, 0, sizeof(*sv));
	sv->index = p->nsrv;
	sv->weight = 1;
	opt = strtok_r(buf, ",", &save);
	if (opt == NULL)
		cli_usage_error("--backend: empty server");
	if (strlen(opt) >= sizeof(sv->addr_str))
		cli_usage_error("--backend '%s': address too long", spec);
	snprintf(sv->addr_str, sizeof(sv->addr_str), "%s", opt);
	snprintf(sv->name, sizeof(sv->name), "%s", opt);
	if (parse_hostport(opt, 0, &sv->addr, &sv->addrlen, err) < 0)
		cli_usage_error("--backend %s", err);
	while ((opt = strtok_r(NULL, ",", &save)) != NULL) {
		char *eq = strchr(opt, '=');

		if (eq == NULL)
			cli_usage_error("--backend '%s': expected KEY=VALUE, got '%s'", spec, opt);
		*eq++ = '\0';
		if (strcmp(opt, "weight") == 0)
			sv->weight = (int)parse_kv_long(spec, "weight", eq, 0, 256);
		else if (strcmp(opt, "maxconn") == 0)
			sv->maxconn = (int)parse_kv_long(spec, "maxconn", eq, 0, 1000000);
		else if (strcmp(opt, "name") == 0) {
			if (*eq == '\0' || strlen(eq) >= sizeof(sv->name) ||
			    strcspn(eq, " /\t\"") != strlen(eq))
				cli_usage_error("--backend '%s': name must be 1 to %zu characters "
				    "without spaces, quotes or slashes", spec, sizeof(sv->name) - 1);
			snprintf(sv->name, sizeof(sv->name), "%s", eq);
		} else
			cli_usage_error("--backend '%s': unknown option '%s' (weight, maxconn, "
			    "name)", spec, opt);
	}
	for (int i = 0; i < p->nsrv; i++)
		if (strcmp(p->srv[i].name, sv->name) == 0)
			cli_usage_error("--backend '%s': a server named '%s' already exists",
			    spec, sv->name);
	p->nsrv++;
}

static void
set_balance(struct lb_config *cfg, const char *v)
{
	struct pool *p = &cfg->pool;

	if (strcmp(v, "roundrobin") == 0)
		p->balance = BAL_ROUNDROBIN;
	else if (strcmp(v, "leastconn") == 0)
		p->balance = BAL_LEASTCONN;
	else if (strcmp(v, "random2") == 0 || strcmp(v, "random") == 0)
		p->balance = BAL_RANDOM2;
	else if (strcmp(v, "hash-source") == 0)
		p->balance = BAL_HASH_SOURCE;
	else if (strcmp(v, "hash-uri") == 0)
		p->balance = BAL_HASH_URI;
	else if (strncmp(v, "hash-header:", 12) == 0 && v[12] != '\0' &&
	    strlen(v + 12) < sizeof(p->hash_header)) {
		p->balance = BAL_HASH_HEADER;
		for (size_t i = 0; v[12 + i] != '\0'; i++)
			p->hash_header[i] = (char)(v[12 + i] >= 'A' && v[12 + i] <= 'Z' ?
			    v[12 + i] + 32 : v[12 + i]);
	} else
		cli_usage_error("--balance: unknown algorithm '%s' (roundrobin, leastconn, "
		    "random2, hash-source, hash-uri, hash-header:NAME)", v);
}

static void
config_defaults(struct lb_config *cfg)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = MODE_HTTP;
	cfg->threads = ncpu > 0 ? (int)ncpu : 1;
	cfg->maxconn = 20000;
	cfg->retries = 3;
	cfg->t_queue = 10000;
	cfg->t_connect = 5000;
	cfg->t_server = 60000;
	cfg->t_client = 60000;
	cfg->t_request = 10000;
	cfg->t_tunnel = 3600000;
	cfg->t_grace = 30000;
	cfg->t_pool_idle = 30000;
	cfg->pool_max_idle = 1024;
	cfg->fall = 3;
	cfg->t_down = 2000;
	cfg->lim.max_line = 8192;
	cfg->lim.max_head = LB_BUFSIZE - 1024;  /* room left for what we add */
	cfg->lim.max_hdrs = LB_MAX_HDRS;
}

static void
parse_args(struct lb_config *cfg, int argc, char **argv)
{
	enum log_level lvl;
	int c;

	cfg->pool.srv = calloc(LB_MAX_SERVERS, sizeof(struct server));
	if (cfg->pool.srv == NULL) {
		log_error("out of memory");
		exit(1);
	}
	optind = 0;
	while ((c = getopt_long(argc, argv, "l:b:m:t:h", lb_opts, NULL)) != -1) {
		switch (c) {
		case 'l': {
			struct lb_listen *l;
			char err[ERR_LEN];

			if (cfg->nlisten >= LB_MAX_LISTEN)
				cli_usage_error("--listen: at most %d addresses", LB_MAX_LISTEN);
			l = &cfg->listen[cfg->nlisten];
			if (strlen(optarg) >= sizeof(l->str))
				cli_usage_error("--listen '%.40s...': too long", optarg);
			snprintf(l->str, sizeof(l->str), "%s", optarg);
			if (parse_hostport(optarg, 1, &l->addr, &l->addrlen, err) < 0)
				cli_usage_error("--listen %s", err);
			cfg->nlisten++;
			break;
		}
		case 'b': add_backend(cfg, optarg); break;
		case 'm':
			if (strcmp(optarg, "http") == 0)
				cfg->mode = MODE_HTTP;
			else if (strcmp(optarg, "tcp") == 0)
				cfg->mode = MODE_TCP;
			else
				cli_usage_error("--mode: expected http or tcp, got '%s'", optarg);
			break;
		case OPT_BALANCE: set_balance(cfg, optarg); break;
		case 't': cfg->threads = (int)cli_long("--threads", optarg, 1, 256); break;
		case OPT_MAXCONN:
			cfg->maxconn = (int)cli_long("--maxconn", optarg, 1, 10000000);
			cfg->maxconn_set = 1;
			break;
		case OPT_QUEUE_TIMEOUT: cfg->t_queue = cli_duration("--queue-timeout", optarg); break;
		case OPT_RETRIES: cfg->retries = (int)cli_long("--retries", optarg, 0, 100); break;
		case OPT_T_CONNECT: cfg->t_connect = cli_duration("--timeout-connect", optarg); break;
		case OPT_T_SERVER: cfg->t_server = cli_duration("--timeout-server", optarg); break;
		case OPT_T_CLIENT: cfg->t_client = cli_duration("--timeout-client", optarg); break;
		case OPT_T_REQUEST: cfg->t_request = cli_duration("--timeout-request", optarg); break;
		case OPT_T_TUNNEL: cfg->t_tunnel = cli_duration("--timeout-tunnel", optarg); break;
		case OPT_POOL_IDLE: cfg->t_pool_idle = cli_duration("--pool-idle", optarg); break;
		case OPT_GRACE: cfg->t_grace = cli_duration("--grace", optarg); break;
		case OPT_LOG_LEVEL:
			if (log_parse_level(optarg, &lvl) < 0)
				cli_usage_error("--log-level: unknown level '%s'", optarg);
			log_set_level(lvl);
			break;
		case 'h': cli_print_help(lb_usage);
		default: cli_try_help();
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (cfg->nlisten == 0)
		cli_usage_error("no --listen address");
	if (cfg->pool.nsrv == 0)
		cli_usage_error("no --backend server");
	if (cfg->t_queue <= 0 || cfg->t_connect <= 0 || cfg->t_server <= 0 ||
	    cfg->t_client <= 0 || cfg->t_request <= 0 || cfg->t_tunnel <= 0)
		cli_usage_error("timeouts must be longer than 0");
}

/* Make room for maxconn clients and their server connections. */
static void
raise_fd_limit(struct lb_config *cfg, int explicit_maxconn)
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

		if (!explicit_maxconn) {
			/* The default adapts to the machine; only a chosen value is worth a warning. */
			cfg->maxconn = fit > 1 ? fit : 1;
			log_info("--maxconn %d (what the open files limit allows)", cfg->maxconn);
			return;
		}
		log_warn("the open files limit (%lu) allows %d client connections, not %d; "
		    "raise it (LimitNOFILE=, ulimit -n) for more", (unsigned long)rl.rlim_cur,
		    fit > 1 ? fit : 1, cfg->maxconn);
		cfg->maxconn = fit > 1 ? fit : 1;
	}
}

static int
open_listener(const struct lb_config *cfg, const struct lb_listen *l, char *err)
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
	if (cfg->mode == MODE_HTTP) {
		/* An HTTP client speaks first: accept once its request is there. */
		int secs = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs));
	}
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
	return fd;
}

static const char *
balance_name(const struct pool *p)
{
	static const char *const names[] = {
		"roundrobin", "leastconn", "random2", "hash-source", "hash-uri", "hash-header",
	};

	return names[p->balance];
}

int
cmd_lb(int argc, char **argv)
{
	static struct lb_config cfg;
	char err[ERR_LEN];
	sigset_t set;
	int sig;

	config_defaults(&cfg);
	parse_args(&cfg, argc, argv);
	log_set_timestamps(1);
	raise_fd_limit(&cfg, cfg.maxconn_set);
	pthread_mutex_init(&cfg.pool.q.lock, NULL);
	if ((cfg.pool.balance == BAL_HASH_SOURCE || cfg.pool.balance == BAL_HASH_URI ||
	    cfg.pool.balance == BAL_HASH_HEADER) && balance_build_ring(&cfg.pool, err) < 0) {
		log_error("%s", err);
		return 1;
	}
	if (cfg.mode == MODE_TCP && (cfg.pool.balance == BAL_HASH_URI ||
	    cfg.pool.balance == BAL_HASH_HEADER))
		cli_usage_error("--balance %s needs --mode http", balance_name(&cfg.pool));

	nworkers = cfg.threads;
	workers = calloc((size_t)nworkers, sizeof(*workers));
	if (workers == NULL) {
		log_error("out of memory");
		return 1;
	}
	/* Every socket is bound before any thread starts: a taken port is an
	 * error now, not a half-started balancer. */
	for (int i = 0; i < nworkers; i++) {
		struct worker *w = &workers[i];

		w->id = i;
		w->cfg = &cfg;
		for (int k = 0; k < cfg.nlisten; k++) {
			int fd = open_listener(&cfg, &cfg.listen[k], err);

			if (fd < 0) {
				log_error("%s", err);
				return 1;
			}
			w->listeners[k].fd = fd;
		}
		w->nlisteners = cfg.nlisten;
	}

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	for (int i = 0; i < nworkers; i++) {
		if (worker_start(&workers[i]) < 0) {
			log_error("cannot start worker %d: %s", i, strerror(errno));
			return 1;
		}
	}
	for (int k = 0; k < cfg.nlisten; k++)
		log_notice("listening on %s (%s, %s, %d thread%s, %d server%s)", cfg.listen[k].str,
		    cfg.mode == MODE_HTTP ? "http" : "tcp", balance_name(&cfg.pool), nworkers,
		    nworkers == 1 ? "" : "s", cfg.pool.nsrv, cfg.pool.nsrv == 1 ? "" : "s");

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGTERM || sig == SIGINT) {
			char g[32];

			units_fmt_duration(cfg.t_grace, g, sizeof(g));
			log_notice("%s: no new connections; finishing requests in flight "
			    "(at most %s)", sig == SIGTERM ? "SIGTERM" : "SIGINT", g);
			atomic_store(&lb_stop, 1);
			for (int i = 0; i < nworkers; i++)
				worker_wake(&workers[i]);
			break;
		}
		if (sig == SIGHUP)
			log_notice("SIGHUP: started from the command line, nothing to reload");
	}
	for (int i = 0; i < nworkers; i++)
		pthread_join(workers[i].th, NULL);
	log_notice("stopped");
	return 0;
}
