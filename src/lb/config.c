/*
 * config.c - the configuration model: defaults, builders for sections,
 * servers and routes, and the checks of the whole (config_finish).
 *
 * Values reach the model through the key table (config_key.c), the same
 * way from the command line and from the file.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lb/config.h"
#include "lb/config_key.h"
#include "lb/ring.h"

struct lb_config *
config_new(void)
{
	struct lb_config *cfg = calloc(1, sizeof(*cfg));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (cfg == NULL)
		return NULL;
	cfg->threads = ncpu > 0 ? (int)ncpu : 1;
	cfg->maxconn = 20000;
	cfg->t_grace = 30000;
	cfg->sample_interval = 10000;
	cfg->access_format = ALOG_COMBINED;
	cfg->log_level = LOG_LVL_NOTICE;
	cfg->splice = 1;
	return cfg;
}

void
config_free(struct lb_config *cfg)
{
	if (cfg == NULL)
		return;
	for (int i = 0; i < cfg->npools; i++)
		free(cfg->pool[i].ring);
	free(cfg);
}

const struct server config_server_defaults = { .weight = 1 };

int
config_valid_name(const char *name, char *err)
{
	size_t n = strlen(name);

	if (n == 0 || n >= LB_NAME_LEN) {
		err_set(err, "a name must be 1 to %d characters", LB_NAME_LEN - 1);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		/* '[' and ']': an IPv6 server's default name is its "[addr]:port" */
		if (!isalnum(c) && c != '-' && c != '_' && c != '.' && c != ':' && c != '[' &&
		    c != ']') {
			err_set(err, "invalid name '%s': use letters, digits, '-', '_', '.', ':', "
			    "'[' and ']'", name);
			return 0;
		}
	}
	return 1;
}

struct frontend *
config_find_frontend(struct lb_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->nfe; i++)
		if (strcmp(cfg->fe[i].name, name) == 0)
			return &cfg->fe[i];
	return NULL;
}

struct pool *
config_find_pool(struct lb_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->npools; i++)
		if (strcmp(cfg->pool[i].name, name) == 0)
			return &cfg->pool[i];
	return NULL;
}

struct frontend *
config_add_frontend(struct lb_config *cfg, const char *name, char *err)
{
	struct frontend *fe;

	if (!config_valid_name(name, err))
		return NULL;
	if (config_find_frontend(cfg, name) != NULL) {
		err_set(err, "listener '%s' is defined twice", name);
		return NULL;
	}
	if (cfg->nfe >= LB_MAX_FRONTENDS) {
		err_set(err, "too many listeners (at most %d)", LB_MAX_FRONTENDS);
		return NULL;
	}
	fe = &cfg->fe[cfg->nfe];
	memset(fe, 0, sizeof(*fe));
	snprintf(fe->name, sizeof(fe->name), "%s", name);
	fe->index = cfg->nfe++;
	fe->mode = MODE_HTTP;
	fe->t_client = 60000;
	fe->t_request = 10000;
	fe->t_tunnel = 3600000;
	fe->lim.max_line = 8192;
	fe->lim.max_head = LB_BUFSIZE - 1024;   /* room left for what we add */
	fe->lim.max_hdrs = LB_MAX_HDRS;
	fe->tls_min = TLS_MIN_12;
	snprintf(fe->tls_ciphers, sizeof(fe->tls_ciphers), "%s", LB_TLS_CIPHERS);
	snprintf(fe->tls_ciphersuites, sizeof(fe->tls_ciphersuites), "%s", LB_TLS_CIPHERSUITES);
	snprintf(fe->tls_alpn, sizeof(fe->tls_alpn), "http/1.1");
	fe->tls_session_timeout = 300000;
	fe->t_handshake = 10000;
	return fe;
}

struct pool *
config_add_pool(struct lb_config *cfg, const char *name, char *err)
{
	struct pool *p;

	if (!config_valid_name(name, err))
		return NULL;
	if (config_find_pool(cfg, name) != NULL) {
		err_set(err, "pool '%s' is defined twice", name);
		return NULL;
	}
	if (cfg->npools >= LB_MAX_POOLS) {
		err_set(err, "too many pools (at most %d)", LB_MAX_POOLS);
		return NULL;
	}
	p = &cfg->pool[cfg->npools];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->index = cfg->npools++;
	p->balance = BAL_ROUNDROBIN;
	p->t_queue = 10000;
	p->t_connect = 5000;
	p->t_server = 60000;
	p->t_pool_idle = 30000;
	p->retries = 3;
	p->max_idle = 1024;
	p->check.type = CHECK_NONE;
	snprintf(p->check.path, sizeof(p->check.path), "/");
	p->check.expect = 2;
	p->check.interval = 2000;
	p->check.timeout = 1000;
	p->check.rise = 2;
	p->check.fall = 3;
	p->passive_fall = 3;
	p->passive_rest = 2000;
	p->panic_threshold = 50;
	return p;
}

int
config_parse_hostport(const char *spec, int passive, struct sockaddr_storage *ss,
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
	if (*port == '\0' || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 ||
	    atoi(port) < 1 || atoi(port) > 65535) {
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

static struct server *
new_server(struct lb_config *cfg, struct pool *p, const char *addr, char *err)
{
	struct server *sv;

	if (cfg->nservers >= LB_MAX_SERVERS) {
		err_set(err, "too many servers (at most %d in all pools)", LB_MAX_SERVERS);
		return NULL;
	}
	if (strlen(addr) >= sizeof(sv->addr_str)) {
		err_set(err, "address '%.40s...' too long", addr);
		return NULL;
	}
	sv = &cfg->servers[cfg->nservers];
	*sv = config_server_defaults;
	snprintf(sv->addr_str, sizeof(sv->addr_str), "%s", addr);
	snprintf(sv->name, sizeof(sv->name), "%s", addr);
	sv->pool = p;
	if (config_parse_hostport(addr, 0, &sv->addr, &sv->addrlen, err) < 0)
		return NULL;
	return sv;
}

/* Accept a server new_server() filled in: check its name and count it. */
static int
commit_server(struct lb_config *cfg, struct pool *p, struct server *sv, char *err)
{
	for (int i = 0; i < p->nsrv; i++) {
		if (strcmp(p->srv[i]->name, sv->name) == 0) {
			err_set(err, "pool '%s' already has a server named '%s'", p->name, sv->name);
			return -1;
		}
	}
	sv->index = cfg->nservers++;
	p->srv[p->nsrv++] = sv;
	return 0;
}

int
config_add_server_spec(struct lb_config *cfg, struct pool *p, const char *spec, char *err)
{
	char buf[512], *opt, *save = NULL;
	struct server *sv;

	if (strlen(spec) >= sizeof(buf)) {
		err_set(err, "'%.40s...' too long", spec);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	if ((opt = strtok_r(buf, ",", &save)) == NULL) {
		err_set(err, "empty server");
		return -1;
	}
	if ((sv = new_server(cfg, p, opt, err)) == NULL)
		return -1;
	while ((opt = strtok_r(NULL, ",", &save)) != NULL)
		if (config_key_server_option(sv, opt, 1, err) < 0)
			return -1;
	return commit_server(cfg, p, sv, err);
}

int
config_add_server_line(struct lb_config *cfg, struct pool *p, const char *line, char *err)
{
	char buf[512], *name, *addr, *opt, *save = NULL;
	struct server *sv;

	if (strlen(line) >= sizeof(buf)) {
		err_set(err, "'%.40s...' too long", line);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", line);
	name = strtok_r(buf, " \t", &save);
	addr = strtok_r(NULL, " \t", &save);
	if (name == NULL || addr == NULL) {
		err_set(err, "expected 'server = NAME HOST:PORT [weight=N] [maxconn=N]'");
		return -1;
	}
	if (!config_valid_name(name, err) || (sv = new_server(cfg, p, addr, err)) == NULL)
		return -1;
	snprintf(sv->name, sizeof(sv->name), "%s", name);
	while ((opt = strtok_r(NULL, " \t", &save)) != NULL)
		if (config_key_server_option(sv, opt, 0, err) < 0)
			return -1;
	return commit_server(cfg, p, sv, err);
}

int
config_add_route(struct frontend *fe, const char *spec, char *err)
{
	char buf[LB_HOST_LEN + LB_PATH_LEN + LB_NAME_LEN + 32], *opt, *save = NULL;
	struct route *r;

	if (fe->nroutes >= LB_MAX_ROUTES) {
		err_set(err, "too many routes in listener '%s' (at most %d)", fe->name,
		    LB_MAX_ROUTES);
		return -1;
	}
	if (strlen(spec) >= sizeof(buf)) {
		err_set(err, "route too long");
		return -1;
	}
	r = &fe->route[fe->nroutes];
	memset(r, 0, sizeof(*r));
	snprintf(buf, sizeof(buf), "%s", spec);
	for (opt = strtok_r(buf, " \t", &save); opt != NULL; opt = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(opt, '=');
		char *dst;
		size_t cap;

		if (eq == NULL) {
			err_set(err, "expected host=H, path=/P or pool=NAME, got '%s'", opt);
			return -1;
		}
		*eq++ = '\0';
		if (strcmp(opt, "host") == 0) {
			dst = r->host;
			cap = sizeof(r->host);
		} else if (strcmp(opt, "path") == 0) {
			if (eq[0] != '/') {
				err_set(err, "path must start with '/', not '%s'", eq);
				return -1;
			}
			dst = r->path;
			cap = sizeof(r->path);
		} else if (strcmp(opt, "pool") == 0) {
			dst = r->pool_name;
			cap = sizeof(r->pool_name);
		} else {
			err_set(err, "unknown route key '%s' (host, path, pool)", opt);
			return -1;
		}
		if (*eq == '\0' || strlen(eq) >= cap) {
			err_set(err, "%s must be 1 to %zu characters", opt, cap - 1);
			return -1;
		}
		snprintf(dst, cap, "%s", eq);
	}
	if (r->pool_name[0] == '\0') {
		err_set(err, "a route needs pool=NAME");
		return -1;
	}
	if (r->host[0] == '\0' && r->path[0] == '\0') {
		err_set(err, "a route needs host= or path= (use default-pool for the rest)");
		return -1;
	}
	for (char *c = r->host; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	fe->nroutes++;
	return 0;
}

static const char *const balance_names[] = {
	"roundrobin", "leastconn", "random2", "hash-source", "hash-uri", "hash-header",
};

const char *
config_balance_name(enum lb_balance b)
{
	return balance_names[b];
}

const char *
config_mode_name(enum lb_mode m)
{
	return m == MODE_TCP ? "tcp" : "http";
}

int
config_set_balance(struct pool *p, const char *v, char *err)
{
	for (int i = 0; i <= BAL_HASH_URI; i++) {
		if (strcmp(v, balance_names[i]) == 0) {
			p->balance = (enum lb_balance)i;
			return 0;
		}
	}
	if (strcmp(v, "random") == 0) {
		p->balance = BAL_RANDOM2;
		return 0;
	}
	/* a header name is an RFC 9110 token: anything else would never match */
	if (strncmp(v, "hash-header:", 12) == 0 && v[12] != '\0' &&
	    strlen(v + 12) < sizeof(p->hash_header) &&
	    strspn(v + 12, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "!#$%&'*+-.^_`|~") == strlen(v + 12)) {
		p->balance = BAL_HASH_HEADER;
		for (size_t i = 0; i <= strlen(v + 12); i++)
			p->hash_header[i] = (char)tolower((unsigned char)v[12 + i]);
		return 0;
	}
	err_set(err, "unknown balancing '%s' (roundrobin, leastconn, random2, hash-source, "
	    "hash-uri, hash-header:NAME)", v);
	return -1;
}

int
config_set_expect(struct pool *p, const char *v, char *err)
{
	if (strlen(v) == 3 && v[0] >= '1' && v[0] <= '5' && strcmp(v + 1, "xx") == 0) {
		p->check.expect = v[0] - '0';
		return 0;
	}
	if (strlen(v) == 3 && strspn(v, "0123456789") == 3 && atoi(v) >= 100 && atoi(v) <= 599) {
		p->check.expect = atoi(v);
		return 0;
	}
	err_set(err, "expected status must be a class like 2xx or a code like 200, not '%s'", v);
	return -1;
}

static int
is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return 0;
}

static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return memcmp(a, b, sizeof(struct sockaddr_in)) == 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0 &&
	    ((const struct sockaddr_in6 *)a)->sin6_port == ((const struct sockaddr_in6 *)b)->sin6_port;
}

/* Health check requests carry these as they are: no space or control. */
static int
request_safe(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

int
config_finish(struct lb_config *cfg, void (*report)(void *arg, int line, const char *msg),
    void *arg)
{
	char msg[ERR_LEN];
	int errors = 0;

	/* A message cut at ERR_LEN is still a message. */
#define PROBLEM(line, ...) do { \
	if (snprintf(msg, sizeof(msg), __VA_ARGS__) >= (int)sizeof(msg)) \
		msg[sizeof(msg) - 1] = '\0'; \
	report(arg, (line), msg); \
	errors++; \
} while (0)

	if (cfg->nfe == 0)
		PROBLEM(0, "no listener: add a [listen NAME] section with bind = ADDR:PORT");
	/* Flags set numbers without the file's bounds: hold them to the same ones,
	 * so --dump-config never prints what --check refuses. */
	errors += config_key_check_bounds(cfg, report, arg);
	if (cfg->admin.str[0] && !cfg->admin_any && !is_loopback(&cfg->admin.addr))
		PROBLEM(0, "admin address %s is not loopback: set admin-allow-remote = yes "
		    "(and admin-token-file) to expose it", cfg->admin.str);
	/* Open to other machines, the controls would let anyone take servers out. */
	if (cfg->admin.str[0] && cfg->admin_any && !is_loopback(&cfg->admin.addr) &&
	    !cfg->admin_token[0] && !cfg->admin_token_file[0])
		PROBLEM(0, "admin address %s is reachable from other machines "
		    "(admin-allow-remote = yes) but needs no token, so anyone could drain or "
		    "disable servers: set admin-token-file (or admin-token)", cfg->admin.str);
	if (cfg->admin_token[0] && cfg->admin_token_file[0])
		PROBLEM(0, "admin-token and admin-token-file are both set: keep one");
	if (cfg->sample_interval > 0 && cfg->sample_interval < 1000)
		PROBLEM(0, "sample-interval must be 0 (no samples) or at least 1s");
	for (int i = 0; i < cfg->nfe; i++) {
		struct frontend *fe = &cfg->fe[i];

		/* One error per cause: a bind line refused already said why there is none. */
		if (fe->nbind == 0 && fe->refused == 0)
			PROBLEM(fe->line, "listener '%s' has no bind address", fe->name);
		if (fe->redirect_https && fe->ntls_cert > 0)
			PROBLEM(fe->line, "listener '%s': redirect-https is for a plain listener, "
			    "not one with tls-cert", fe->name);
		if (fe->redirect_https && fe->mode == MODE_TCP)
			PROBLEM(fe->line, "listener '%s' is tcp: redirect-https needs mode = http",
			    fe->name);
		if (fe->default_pool_name[0]) {
			fe->default_pool = config_find_pool(cfg, fe->default_pool_name);
			if (fe->default_pool == NULL)
				PROBLEM(fe->line, "listener '%s': default-pool '%s' does not exist",
				    fe->name, fe->default_pool_name);
		} else if (cfg->npools == 1) {
			fe->default_pool = &cfg->pool[0];
		} else if ((fe->nroutes == 0 || fe->mode == MODE_TCP) && !fe->redirect_https) {
			PROBLEM(fe->line, "listener '%s' needs default-pool = NAME", fe->name);
		}
		if (fe->mode == MODE_TCP && fe->nroutes > 0)
			PROBLEM(fe->route[0].line, "listener '%s' is tcp: routes need mode = http",
			    fe->name);
		for (int k = 0; k < fe->nroutes; k++) {
			struct route *r = &fe->route[k];

			if ((r->pool = config_find_pool(cfg, r->pool_name)) == NULL)
				PROBLEM(r->line, "route to pool '%s', which does not exist", r->pool_name);
		}
		for (int k = 0; k < fe->nbind; k++)
			for (int j = 0; j <= i; j++)
				for (int m = 0; m < (j == i ? k : cfg->fe[j].nbind); m++)
					if (same_addr(&fe->bind[k].addr, &cfg->fe[j].bind[m].addr))
						PROBLEM(fe->line, "address %s is bound twice",
						    fe->bind[k].str);
		if (fe->mode == MODE_TCP) {
			struct pool *p = fe->default_pool;

			if (p && (p->balance == BAL_HASH_URI || p->balance == BAL_HASH_HEADER))
				PROBLEM(p->line, "pool '%s' balances by %s, which listener '%s' (tcp) "
				    "cannot provide", p->name, config_balance_name(p->balance), fe->name);
		}
	}
	for (int i = 0; i < cfg->npools; i++) {
		struct pool *p = &cfg->pool[i];
		char err[ERR_LEN];

		if (p->nsrv == 0 && p->refused == 0)
			PROBLEM(p->line, "pool '%s' has no server", p->name);
		for (int k = 0; k < p->nsrv; k++) {
			const struct server *sv = p->srv[k];

			if (!sv->tls && (sv->verify[0] || sv->sni[0]))
				PROBLEM(sv->line ? sv->line : p->line, "server '%s' of pool '%s': "
				    "verify= and sni= need tls", sv->name, p->name);
		}
		if (p->check.type == CHECK_HTTP && !request_safe(p->check.path))
			PROBLEM(p->line, "pool '%s': check-path '%s' has a space or control character",
			    p->name, p->check.path);
		if (p->check.type == CHECK_HTTP && !request_safe(p->check.host))
			PROBLEM(p->line, "pool '%s': check-host '%s' has a space or control character",
			    p->name, p->check.host);
		/* a check must end before the next one starts: a timeout not given
		 * gives way (to half the interval), one given is an error */
		if (!p->check.timeout_set && p->check.timeout >= p->check.interval)
			p->check.timeout = p->check.interval / 2 > 0 ? p->check.interval / 2 : 1;
		if (p->check.timeout >= p->check.interval && p->check.type != CHECK_NONE)
			PROBLEM(p->line, "pool '%s': check-timeout must be shorter than check-interval",
			    p->name);
		if ((p->balance == BAL_HASH_SOURCE || p->balance == BAL_HASH_URI ||
		    p->balance == BAL_HASH_HEADER) && p->nsrv > 0 && ring_build(p, err) < 0)
			PROBLEM(p->line, "pool '%s': %s", p->name, err);
	}
#undef PROBLEM
	return errors;
}
