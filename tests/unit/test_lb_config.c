/*
 * test_lb_config.c - the load balancer's configuration: the builders shared
 * by the command line and the file, config_finish's checks, the file reader
 * (every error with its line, several in one run) and dump/load round trips.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "core/err.h"
#include "lb/config.h"
#include "lb/config_file.h"
#include "lb/config_key.h"

/* ---- helpers ---- */

/*
 * Set key to v in a section, as the file does: fe for [listen], p for
 * [pool], neither for [global].
 */
static int
set_key(struct lb_config *cfg, struct frontend *fe, struct pool *p, const char *key,
    const char *v, char *err)
{
	struct config_at at = { cfg, fe, p, 0 };
	const struct config_key *k = config_key_find(fe ? SECT_LISTEN : p ? SECT_POOL : SECT_GLOBAL,
	    key);

	assert_non_null(k);
	return config_key_set(&at, k, v, key, err);
}

#define add_bind(fe, v, err)            set_key(NULL, (fe), NULL, "bind", (v), (err))
#define set_mode(fe, v, err)            set_key(NULL, (fe), NULL, "mode", (v), (err))
#define set_check(p, v, err)            set_key(NULL, NULL, (p), "check", (v), (err))
#define set_admin(cfg, v, err)          set_key((cfg), NULL, NULL, "admin", (v), (err))
#define set_access_log(cfg, v, err)     set_key((cfg), NULL, NULL, "access-log", (v), (err))
#define set_access_format(cfg, v, err)  set_key((cfg), NULL, NULL, "access-log-format", (v), (err))

#define MAX_PROBLEMS 64

/* What config_load_file and config_finish reported, in order. */
struct problems {
	int n;
	int line[MAX_PROBLEMS];
	char msg[MAX_PROBLEMS][ERR_LEN];
};

static void
collect(void *arg, int line, const char *msg)
{
	struct problems *p = arg;

	if (p->n < MAX_PROBLEMS) {
		p->line[p->n] = line;
		snprintf(p->msg[p->n], sizeof(p->msg[0]), "%s", msg);
	}
	p->n++;
}

/* Is there a problem on this line whose message contains want? */
static int
has_problem(const struct problems *p, int line, const char *want)
{
	for (int i = 0; i < p->n && i < MAX_PROBLEMS; i++)
		if (p->line[i] == line && strstr(p->msg[i], want) != NULL)
			return 1;
	return 0;
}

static void
print_problems(const struct problems *p)
{
	for (int i = 0; i < p->n && i < MAX_PROBLEMS; i++)
		fprintf(stderr, "    line %d: %s\n", p->line[i], p->msg[i]);
}

#define assert_problem(p, line, want) do { \
	if (!has_problem((p), (line), (want))) { \
		print_problems(p); \
		fail_msg("no problem on line %d with '%s'", (line), (want)); \
	} \
} while (0)

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Write text to a file of the test directory and load it into a new config. */
static struct lb_config *
load_text(const char *name, const char *text, struct problems *p, int *nerr)
{
	char path[256], err[ERR_LEN] = "";
	struct lb_config *cfg = config_new();

	assert_non_null(cfg);
	unit_tmpdir_path(path, sizeof(path), name);
	write_file(path, text);
	memset(p, 0, sizeof(*p));
	*nerr = config_file_load(cfg, path, collect, p, err);
	assert_true(*nerr >= 0);
	assert_int_equal(*nerr, p->n);
	return cfg;
}

/* Load text and expect it to be good, config_finish included. */
static struct lb_config *
load_good(const char *text)
{
	struct problems p;
	int nerr;
	struct lb_config *cfg = load_text("good.conf", text, &p, &nerr);

	if (nerr != 0 || config_finish(cfg, collect, &p) != 0) {
		print_problems(&p);
		fail_msg("expected a good configuration");
	}
	return cfg;
}

/* The dump, without its first line (which names the file it came from). */
static char *
dump_body(const struct lb_config *cfg)
{
	char *text = NULL, *nl;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	config_file_dump(cfg, f);
	assert_int_equal(fclose(f), 0);
	nl = strchr(text, '\n');
	assert_non_null(nl);
	memmove(text, nl + 1, strlen(nl + 1) + 1);
	return text;
}

static int
port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static struct frontend *
new_fe(struct lb_config *cfg, const char *name)
{
	char err[ERR_LEN];
	struct frontend *fe = config_add_frontend(cfg, name, err);

	assert_non_null(fe);
	return fe;
}

static struct pool *
new_pool(struct lb_config *cfg, const char *name)
{
	char err[ERR_LEN];
	struct pool *p = config_add_pool(cfg, name, err);

	assert_non_null(p);
	return p;
}

/* ---- builders ---- */

static void
new_config_has_documented_defaults(void **state)
{
	struct lb_config *cfg = config_new();
	struct frontend *fe = new_fe(cfg, "web");
	struct pool *p = new_pool(cfg, "app");

	assert_true(cfg->threads >= 1);
	assert_int_equal(cfg->maxconn, 20000);
	assert_int_equal(cfg->t_grace, 30000);
	assert_int_equal(cfg->access_format, ALOG_COMBINED);
	assert_string_equal(cfg->access_log, "");
	assert_string_equal(cfg->admin.str, "");
	assert_int_equal(cfg->log_level, LOG_LVL_NOTICE);
	assert_int_equal(fe->mode, MODE_HTTP);
	assert_int_equal(fe->t_client, 60000);
	assert_int_equal(fe->t_request, 10000);
	assert_int_equal(fe->t_tunnel, 3600000);
	assert_int_equal(fe->max_body, 0);
	assert_int_equal(fe->lim.max_line, 8192);
	assert_int_equal(fe->lim.max_head, 15360);
	assert_int_equal(fe->lim.max_hdrs, 100);
	assert_int_equal(p->balance, BAL_ROUNDROBIN);
	assert_int_equal(p->t_connect, 5000);
	assert_int_equal(p->t_server, 60000);
	assert_int_equal(p->t_queue, 10000);
	assert_int_equal(p->t_pool_idle, 30000);
	assert_int_equal(p->retries, 3);
	assert_int_equal(p->max_idle, 1024);
	assert_int_equal(p->check.type, CHECK_NONE);
	assert_string_equal(p->check.path, "/");
	assert_string_equal(p->check.host, "");
	assert_int_equal(p->check.expect, 2);
	assert_int_equal(p->check.interval, 2000);
	assert_int_equal(p->check.timeout, 1000);
	assert_int_equal(p->check.rise, 2);
	assert_int_equal(p->check.fall, 3);
	assert_int_equal(p->passive_fall, 3);
	assert_int_equal(p->passive_rest, 2000);
	assert_int_equal(p->slow_start, 0);
	config_free(cfg);
}

static void
names_are_checked_and_unique(void **state)
{
	struct lb_config *cfg = config_new();
	char err[ERR_LEN], long_name[LB_NAME_LEN + 1];

	new_fe(cfg, "web-1_a.b:c");
	assert_null(config_add_frontend(cfg, "web-1_a.b:c", err));
	assert_non_null(strstr(err, "defined twice"));
	assert_null(config_add_frontend(cfg, "a b", err));
	assert_non_null(strstr(err, "invalid name 'a b'"));
	assert_null(config_add_frontend(cfg, "", err));
	assert_non_null(strstr(err, "1 to 63 characters"));
	memset(long_name, 'x', LB_NAME_LEN);
	long_name[LB_NAME_LEN] = '\0';
	assert_null(config_add_pool(cfg, long_name, err));
	assert_non_null(strstr(err, "1 to 63 characters"));
	long_name[LB_NAME_LEN - 1] = '\0';
	new_pool(cfg, long_name);
	assert_null(config_add_pool(cfg, long_name, err));
	assert_non_null(strstr(err, "defined twice"));
	/* an IPv6 server's default name is its address: a valid name */
	new_pool(cfg, "[::1]:8080");
	assert_null(config_add_pool(cfg, "p/q", err));
	assert_non_null(strstr(err, "invalid name"));
	/* a listener and a pool may share a name */
	new_pool(cfg, "web-1_a.b:c");
	assert_ptr_equal(config_find_frontend(cfg, "web-1_a.b:c"), &cfg->fe[0]);
	assert_ptr_equal(config_find_pool(cfg, "web-1_a.b:c"), &cfg->pool[2]);
	assert_null(config_find_pool(cfg, "nope"));
	config_free(cfg);
}

static void
frontends_and_pools_are_capped(void **state)
{
	struct lb_config *cfg = config_new();
	char err[ERR_LEN], name[16];

	for (int i = 0; i < LB_MAX_FRONTENDS; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		new_fe(cfg, name);
	}
	assert_null(config_add_frontend(cfg, "one-more", err));
	assert_non_null(strstr(err, "too many listeners (at most 32)"));
	for (int i = 0; i < LB_MAX_POOLS; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		new_pool(cfg, name);
	}
	assert_null(config_add_pool(cfg, "one-more", err));
	assert_non_null(strstr(err, "too many pools (at most 64)"));
	config_free(cfg);
}

static void
binds_accept_ipv4_ipv6_and_wildcards(void **state)
{
	struct lb_config *cfg = config_new();
	struct frontend *fe = new_fe(cfg, "web");
	char err[ERR_LEN];

	assert_int_equal(add_bind(fe, "127.0.0.1:8080", err), 0);
	assert_int_equal(add_bind(fe, "[::1]:8081", err), 0);
	assert_int_equal(add_bind(fe, ":8082", err), 0);
	assert_int_equal(add_bind(fe, "*:8083", err), 0);
	assert_int_equal(add_bind(fe, "[::]:8084", err), 0);
	assert_int_equal(add_bind(fe, "0.0.0.0:65535", err), 0);
	assert_int_equal(fe->nbind, 6);
	assert_string_equal(fe->bind[0].str, "127.0.0.1:8080");
	assert_int_equal(fe->bind[0].addr.ss_family, AF_INET);
	assert_int_equal(port_of(&fe->bind[0].addr), 8080);
	assert_int_equal(fe->bind[1].addr.ss_family, AF_INET6);
	assert_true(IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&fe->bind[1].addr)->sin6_addr));
	assert_int_equal(port_of(&fe->bind[1].addr), 8081);
	for (int i = 2; i <= 3; i++) {
		/* ":PORT" and "*:PORT" are every IPv4 address */
		struct sockaddr_in *sin = (struct sockaddr_in *)&fe->bind[i].addr;

		assert_int_equal(sin->sin_family, AF_INET);
		assert_int_equal(sin->sin_addr.s_addr, htonl(INADDR_ANY));
		assert_int_equal(port_of(&fe->bind[i].addr), 8082 + i - 2);
	}
	assert_int_equal(fe->bind[4].addr.ss_family, AF_INET6);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&fe->bind[4].addr)->sin6_addr));
	assert_int_equal(port_of(&fe->bind[5].addr), 65535);
	config_free(cfg);
}

static void
bad_binds_say_why(void **state)
{
	static const struct { const char *spec, *want; } bad[] = {
		{ "127.0.0.1", "expected HOST:PORT" },
		{ "127.0.0.1:", "invalid port ''" },
		{ "127.0.0.1:0", "invalid port '0'" },
		{ "127.0.0.1:65536", "invalid port '65536'" },
		{ "127.0.0.1:123456", "invalid port" },
		{ "127.0.0.1:80a", "invalid port '80a'" },
		{ "127.0.0.1:-1", "invalid port" },
		{ "[::1]8080", "expected [IPv6]:PORT" },
		{ "[::1", "expected [IPv6]:PORT" },
		{ "[::1]:", "invalid port" },
	};
	struct lb_config *cfg = config_new();
	struct frontend *fe = new_fe(cfg, "web");
	char err[ERR_LEN], long_spec[LB_ADDR_LEN + 8];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(add_bind(fe, bad[i].spec, err), -1);
		if (strstr(err, bad[i].want) == NULL)
			fail_msg("bind '%s': '%s' lacks '%s'", bad[i].spec, err, bad[i].want);
	}
	assert_int_equal(fe->nbind, 0);
	memset(long_spec, '1', sizeof(long_spec) - 1);
	long_spec[sizeof(long_spec) - 1] = '\0';
	assert_int_equal(add_bind(fe, long_spec, err), -1);
	assert_non_null(strstr(err, "too long"));
	for (int i = 0; i < LB_MAX_LISTEN; i++)
		assert_int_equal(add_bind(fe, "127.0.0.1:80", err), 0);
	assert_int_equal(add_bind(fe, "127.0.0.1:81", err), -1);
	assert_non_null(strstr(err, "bind: too many (at most 16 in one section)"));
	config_free(cfg);
}

static void
server_spec_takes_every_option(void **state)
{
	struct lb_config *cfg = config_new();
	struct pool *p = new_pool(cfg, "app");
	char err[ERR_LEN];

	assert_int_equal(config_add_server_spec(cfg, p, "127.0.0.1:9000,weight=3,maxconn=10,name=a",
	    err), 0);
	assert_int_equal(config_add_server_spec(cfg, p, "127.0.0.1:9001", err), 0);
	assert_int_equal(config_add_server_spec(cfg, p, "[::1]:9002,maxconn=0,weight=0", err), 0);
	assert_int_equal(config_add_server_spec(cfg, p, "127.0.0.1:9003,weight=256,maxconn=1000000",
	    err), 0);
	assert_int_equal(p->nsrv, 4);
	assert_int_equal(cfg->nservers, 4);
	assert_string_equal(p->srv[0]->name, "a");
	assert_string_equal(p->srv[0]->addr_str, "127.0.0.1:9000");
	assert_int_equal(p->srv[0]->weight, 3);
	assert_int_equal(p->srv[0]->maxconn, 10);
	assert_ptr_equal(p->srv[0]->pool, p);
	assert_int_equal(p->srv[0]->index, 0);
	/* without name=, the address is the name; weight 1 and no cap by default */
	assert_string_equal(p->srv[1]->name, "127.0.0.1:9001");
	assert_int_equal(p->srv[1]->weight, 1);
	assert_int_equal(p->srv[1]->maxconn, 0);
	assert_int_equal(p->srv[2]->addr.ss_family, AF_INET6);
	assert_int_equal(port_of(&p->srv[2]->addr), 9002);
	assert_int_equal(p->srv[2]->weight, 0);
	assert_int_equal(p->srv[3]->weight, 256);
	assert_int_equal(p->srv[3]->maxconn, 1000000);
	assert_int_equal(p->srv[3]->index, 3);
	config_free(cfg);
}

static void
server_spec_bad_values_are_refused(void **state)
{
	static const struct { const char *spec, *want; } bad[] = {
		{ "", "empty server" },
		{ ",,,", "empty server" },
		{ "127.0.0.1", "expected HOST:PORT" },
		{ ":9000", "missing host" },
		{ "127.0.0.1:70000", "invalid port" },
		{ "127.0.0.1:9000,weight=257", "weight must be a whole number from 0 to 256, not '257'" },
		{ "127.0.0.1:9000,weight=-1", "weight must be a whole number from 0 to 256" },
		{ "127.0.0.1:9000,weight=", "weight must be" },
		{ "127.0.0.1:9000,weight=2x", "not '2x'" },
		{ "127.0.0.1:9000,weight=99999999999999999999", "weight must be" },
		{ "127.0.0.1:9000,maxconn=1000001", "maxconn must be a whole number from 0 to 1000000" },
		{ "127.0.0.1:9000,maxconn=-5", "maxconn must be" },
		{ "127.0.0.1:9000,weight", "expected KEY=VALUE, got 'weight'" },
		{ "127.0.0.1:9000,color=red", "unknown server option 'color' (weight, maxconn, name)" },
		{ "127.0.0.1:9000,name=", "a name must be 1 to 63 characters" },
		{ "127.0.0.1:9000,name=a/b", "invalid name 'a/b'" },
	};
	struct lb_config *cfg = config_new();
	struct pool *p = new_pool(cfg, "app");
	char err[ERR_LEN], long_spec[600];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (config_add_server_spec(cfg, p, bad[i].spec, err) != -1)
			fail_msg("server '%s' accepted", bad[i].spec);
		if (strstr(err, bad[i].want) == NULL)
			fail_msg("server '%s': '%s' lacks '%s'", bad[i].spec, err, bad[i].want);
	}
	assert_int_equal(p->nsrv, 0);
	assert_int_equal(cfg->nservers, 0);
	memset(long_spec, 'a', sizeof(long_spec) - 1);
	long_spec[sizeof(long_spec) - 1] = '\0';
	assert_int_equal(config_add_server_spec(cfg, p, long_spec, err), -1);
	assert_non_null(strstr(err, "too long"));
	/* two servers of a pool cannot share a name; a failed one leaves no trace */
	assert_int_equal(config_add_server_spec(cfg, p, "127.0.0.1:9000,name=x", err), 0);
	assert_int_equal(config_add_server_spec(cfg, p, "127.0.0.1:9001,name=x", err), -1);
	assert_non_null(strstr(err, "pool 'app' already has a server named 'x'"));
	assert_int_equal(config_add_server_spec(cfg, p, "127.0.0.1:9000", err), 0);
	assert_int_equal(config_add_server_spec(cfg, p, "127.0.0.1:9000", err), -1);
	assert_non_null(strstr(err, "already has a server named '127.0.0.1:9000'"));
	assert_int_equal(p->nsrv, 2);
	assert_int_equal(cfg->nservers, 2);
	config_free(cfg);
}

static void
server_line_takes_name_address_and_options(void **state)
{
	struct lb_config *cfg = config_new();
	struct pool *p = new_pool(cfg, "app");
	struct pool *q = new_pool(cfg, "other");
	char err[ERR_LEN];

	assert_int_equal(config_add_server_line(cfg, p, "web1 127.0.0.1:9000 weight=5 maxconn=7",
	    err), 0);
	assert_int_equal(config_add_server_line(cfg, p, "web2\t[::1]:9001\t maxconn=0", err), 0);
	/* the same name in another pool is another server */
	assert_int_equal(config_add_server_line(cfg, q, "web1 127.0.0.1:9000", err), 0);
	assert_string_equal(p->srv[0]->name, "web1");
	assert_string_equal(p->srv[0]->addr_str, "127.0.0.1:9000");
	assert_int_equal(p->srv[0]->weight, 5);
	assert_int_equal(p->srv[0]->maxconn, 7);
	assert_string_equal(p->srv[1]->name, "web2");
	assert_string_equal(p->srv[1]->addr_str, "[::1]:9001");
	assert_int_equal(p->srv[1]->weight, 1);
	assert_int_equal(q->nsrv, 1);
	assert_int_equal(cfg->nservers, 3);
	assert_int_equal(q->srv[0]->index, 2);
	config_free(cfg);
}

static void
server_line_bad_values_are_refused(void **state)
{
	static const struct { const char *line, *want; } bad[] = {
		{ "", "expected 'server = NAME HOST:PORT [weight=N] [maxconn=N]'" },
		{ "web1", "expected 'server = NAME HOST:PORT" },
		{ "127.0.0.1:9000", "expected 'server = NAME HOST:PORT" },
		{ "web/1 127.0.0.1:9000", "invalid name 'web/1'" },
		{ "web1 127.0.0.1", "expected HOST:PORT" },
		{ "web1 127.0.0.1:0", "invalid port '0'" },
		{ "web1 127.0.0.1:9000 weight=300", "weight must be a whole number from 0 to 256" },
		{ "web1 127.0.0.1:9000 maxconn=x", "maxconn must be a whole number" },
		{ "web1 127.0.0.1:9000 name=other", "unknown server option 'name' (weight, maxconn)" },
		{ "web1 127.0.0.1:9000 weight=2,maxconn=3", "weight must be" },
		{ "web1 127.0.0.1:9000 backup", "expected KEY=VALUE, got 'backup'" },
	};
	struct lb_config *cfg = config_new();
	struct pool *p = new_pool(cfg, "app");
	char err[ERR_LEN], long_line[600];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(config_add_server_line(cfg, p, bad[i].line, err), -1);
		if (strstr(err, bad[i].want) == NULL)
			fail_msg("server '%s': '%s' lacks '%s'", bad[i].line, err, bad[i].want);
	}
	memset(long_line, 'a', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	assert_int_equal(config_add_server_line(cfg, p, long_line, err), -1);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(config_add_server_line(cfg, p, "a 127.0.0.1:1", err), 0);
	assert_int_equal(config_add_server_line(cfg, p, "a 127.0.0.1:2", err), -1);
	assert_non_null(strstr(err, "already has a server named 'a'"));
	assert_int_equal(p->nsrv, 1);
	config_free(cfg);
}

static void
servers_are_capped_across_pools(void **state)
{
	struct lb_config *cfg = config_new();
	struct pool *p = new_pool(cfg, "a"), *q = new_pool(cfg, "b");
	char err[ERR_LEN], spec[64];

	for (int i = 0; i < LB_MAX_SERVERS; i++) {
		snprintf(spec, sizeof(spec), "127.0.0.1:%d", 1000 + i);
		assert_int_equal(config_add_server_spec(cfg, i % 2 ? q : p, spec, err), 0);
	}
	assert_int_equal(config_add_server_line(cfg, p, "last 127.0.0.1:9", err), -1);
	assert_non_null(strstr(err, "too many servers (at most 256 in all pools)"));
	assert_int_equal(p->nsrv + q->nsrv, LB_MAX_SERVERS);
	config_free(cfg);
}

static void
routes_take_host_path_and_pool(void **state)
{
	struct lb_config *cfg = config_new();
	struct frontend *fe = new_fe(cfg, "web");
	char err[ERR_LEN];

	assert_int_equal(config_add_route(fe, "host=API.Example.ORG pool=api", err), 0);
	assert_int_equal(config_add_route(fe, "path=/static/ pool=static", err), 0);
	assert_int_equal(config_add_route(fe, "pool=x\thost=*.example.org  path=/a", err), 0);
	assert_int_equal(fe->nroutes, 3);
	/* hosts are kept in lower case: matching ignores case */
	assert_string_equal(fe->route[0].host, "api.example.org");
	assert_string_equal(fe->route[0].path, "");
	assert_string_equal(fe->route[0].pool_name, "api");
	assert_string_equal(fe->route[1].host, "");
	assert_string_equal(fe->route[1].path, "/static/");
	assert_string_equal(fe->route[2].host, "*.example.org");
	assert_string_equal(fe->route[2].path, "/a");
	assert_string_equal(fe->route[2].pool_name, "x");
	/* the path keeps its case */
	assert_int_equal(config_add_route(fe, "path=/Admin pool=x", err), 0);
	assert_string_equal(fe->route[3].path, "/Admin");
	config_free(cfg);
}

static void
bad_routes_say_why(void **state)
{
	static const struct { const char *spec, *want; } bad[] = {
		{ "", "a route needs pool=NAME" },
		{ "host=a", "a route needs pool=NAME" },
		{ "pool=x", "a route needs host= or path= (use default-pool for the rest)" },
		{ "path=api pool=x", "path must start with '/', not 'api'" },
		{ "host= pool=x", "host must be 1 to 127 characters" },
		{ "host=a pool=", "pool must be 1 to 63 characters" },
		{ "host=a pool=x method=GET", "unknown route key 'method' (host, path, pool)" },
		{ "host=a x", "expected host=H, path=/P or pool=NAME, got 'x'" },
	};
	struct lb_config *cfg = config_new();
	struct frontend *fe = new_fe(cfg, "web");
	char err[ERR_LEN], spec[600];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(config_add_route(fe, bad[i].spec, err), -1);
		if (strstr(err, bad[i].want) == NULL)
			fail_msg("route '%s': '%s' lacks '%s'", bad[i].spec, err, bad[i].want);
	}
	snprintf(spec, sizeof(spec), "host=%0128d pool=x", 0);
	assert_int_equal(config_add_route(fe, spec, err), -1);
	assert_non_null(strstr(err, "host must be 1 to 127 characters"));
	snprintf(spec, sizeof(spec), "path=/%0256d pool=x", 0);
	assert_int_equal(config_add_route(fe, spec, err), -1);
	assert_non_null(strstr(err, "path must be 1 to 255 characters"));
	memset(spec, 'a', sizeof(spec) - 1);
	spec[sizeof(spec) - 1] = '\0';
	assert_int_equal(config_add_route(fe, spec, err), -1);
	assert_non_null(strstr(err, "route too long"));
	assert_int_equal(fe->nroutes, 0);
	for (int i = 0; i < LB_MAX_ROUTES; i++)
		assert_int_equal(config_add_route(fe, "path=/ pool=x", err), 0);
	assert_int_equal(config_add_route(fe, "path=/ pool=x", err), -1);
	assert_non_null(strstr(err, "too many routes in listener 'web' (at most 64)"));
	config_free(cfg);
}

static void
balance_names_and_hash_header_case(void **state)
{
	static const struct { const char *name; enum lb_balance b; } good[] = {
		{ "roundrobin", BAL_ROUNDROBIN }, { "leastconn", BAL_LEASTCONN },
		{ "random2", BAL_RANDOM2 }, { "random", BAL_RANDOM2 },
		{ "hash-source", BAL_HASH_SOURCE }, { "hash-uri", BAL_HASH_URI },
	};
	struct lb_config *cfg = config_new();
	struct pool *p = new_pool(cfg, "app");
	char err[ERR_LEN], spec[128];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(config_set_balance(p, good[i].name, err), 0);
		assert_int_equal(p->balance, good[i].b);
	}
	assert_string_equal(config_balance_name(BAL_RANDOM2), "random2");
	assert_string_equal(config_balance_name(BAL_HASH_HEADER), "hash-header");
	assert_int_equal(config_set_balance(p, "hash-header:X-Session-ID", err), 0);
	assert_int_equal(p->balance, BAL_HASH_HEADER);
	assert_string_equal(p->hash_header, "x-session-id");
	assert_int_equal(config_set_balance(p, "hash-header:x_a!#$%&'*+-.^`|~9", err), 0);
	assert_string_equal(p->hash_header, "x_a!#$%&'*+-.^`|~9");
	assert_int_equal(config_set_balance(p, "hash-header:X-Session-ID", err), 0);
	assert_int_equal(p->balance, BAL_HASH_HEADER);
	assert_string_equal(p->hash_header, "x-session-id");
	p->balance = BAL_ROUNDROBIN;
	static const char *const bad[] = {
		"", "RoundRobin", "hash-header", "hash-header:", "round robin", "source",
		/* a header name is a token */
		"hash-header:X User", "hash-header:a:b", "hash-header:a\"b", "hash-header:a\tb",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(config_set_balance(p, bad[i], err), -1);
		assert_non_null(strstr(err, "unknown balancing"));
		assert_non_null(strstr(err, "hash-header:NAME"));
	}
	snprintf(spec, sizeof(spec), "hash-header:%064d", 0);
	assert_int_equal(config_set_balance(p, spec, err), -1);
	snprintf(spec, sizeof(spec), "hash-header:%063d", 0);
	assert_int_equal(config_set_balance(p, spec, err), 0);
	config_free(cfg);
}

static void
mode_check_and_expect_values(void **state)
{
	struct lb_config *cfg = config_new();
	struct frontend *fe = new_fe(cfg, "web");
	struct pool *p = new_pool(cfg, "app");
	char err[ERR_LEN];

	assert_int_equal(set_mode(fe, "tcp", err), 0);
	assert_int_equal(fe->mode, MODE_TCP);
	assert_string_equal(config_mode_name(fe->mode), "tcp");
	assert_int_equal(set_mode(fe, "http", err), 0);
	assert_int_equal(fe->mode, MODE_HTTP);
	assert_int_equal(set_mode(fe, "HTTP", err), -1);
	assert_non_null(strstr(err, "mode must be http or tcp, not 'HTTP'"));

	assert_int_equal(set_check(p, "tcp", err), 0);
	assert_int_equal(p->check.type, CHECK_TCP);
	assert_int_equal(set_check(p, "http", err), 0);
	assert_int_equal(p->check.type, CHECK_HTTP);
	assert_int_equal(set_check(p, "none", err), 0);
	assert_int_equal(p->check.type, CHECK_NONE);
	assert_int_equal(set_check(p, "ping", err), -1);
	assert_non_null(strstr(err, "check must be none, tcp or http, not 'ping'"));

	static const struct { const char *v; int expect; } good[] = {
		{ "1xx", 1 }, { "2xx", 2 }, { "3xx", 3 }, { "5xx", 5 },
		{ "100", 100 }, { "200", 200 }, { "204", 204 }, { "599", 599 },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(config_set_expect(p, good[i].v, err), 0);
		assert_int_equal(p->check.expect, good[i].expect);
	}
	static const char *const bad[] = {
		"", "2", "20", "2XX", "6xx", "0xx", "x2x", "099", "600", "2000", "20a", "-20",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(config_set_expect(p, bad[i], err), -1);
		assert_non_null(strstr(err, "a class like 2xx or a code like 200"));
	}
	assert_int_equal(p->check.expect, 599);
	config_free(cfg);
}

static void
admin_and_access_log_values(void **state)
{
	struct lb_config *cfg = config_new();
	char err[ERR_LEN], path[PATH_MAX + 8];

	assert_int_equal(set_admin(cfg, "127.0.0.1:9100", err), 0);
	assert_string_equal(cfg->admin.str, "127.0.0.1:9100");
	assert_int_equal(port_of(&cfg->admin.addr), 9100);
	assert_int_equal(set_admin(cfg, "9100", err), -1);
	assert_non_null(strstr(err, "expected HOST:PORT"));
	assert_string_equal(cfg->admin.str, "127.0.0.1:9100");

	assert_int_equal(set_access_log(cfg, "/var/log/brace/access.log", err), 0);
	assert_string_equal(cfg->access_log, "/var/log/brace/access.log");
	assert_int_equal(set_access_log(cfg, "syslog", err), 0);
	assert_string_equal(cfg->access_log, "syslog");
	assert_int_equal(set_access_log(cfg, "off", err), 0);
	assert_string_equal(cfg->access_log, "");
	assert_int_equal(set_access_log(cfg, "access.log", err), -1);
	assert_non_null(strstr(err, "absolute path, syslog or off, not 'access.log'"));
	path[0] = '/';
	memset(path + 1, 'a', sizeof(path) - 2);
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(set_access_log(cfg, path, err), -1);
	assert_non_null(strstr(err, "too long"));

	assert_int_equal(set_access_format(cfg, "json", err), 0);
	assert_int_equal(cfg->access_format, ALOG_JSON);
	assert_int_equal(set_access_format(cfg, "combined", err), 0);
	assert_int_equal(cfg->access_format, ALOG_COMBINED);
	assert_int_equal(set_access_format(cfg, "common", err), -1);
	assert_non_null(strstr(err, "combined or json, not 'common'"));
	config_free(cfg);
}

/* ---- config_finish ---- */

/* A minimal good configuration built as the command line builds it. */
static struct lb_config *
quick_config(void)
{
	struct lb_config *cfg = config_new();
	struct frontend *fe = new_fe(cfg, "main");
	struct pool *p = new_pool(cfg, "default");
	char err[ERR_LEN];

	assert_int_equal(add_bind(fe, "127.0.0.1:8080", err), 0);
	assert_int_equal(config_add_server_spec(cfg, p, "127.0.0.1:9000", err), 0);
	return cfg;
}

static void
finish_accepts_good_and_resolves_pools(void **state)
{
	struct lb_config *cfg = quick_config();
	struct problems p = { 0 };
	char err[ERR_LEN];
	struct pool *api = new_pool(cfg, "api");

	assert_int_equal(config_add_server_spec(cfg, api, "127.0.0.1:9001", err), 0);
	assert_int_equal(config_add_server_spec(cfg, api, "127.0.0.1:9002,weight=2", err), 0);
	assert_int_equal(config_set_balance(api, "hash-uri", err), 0);
	assert_int_equal(config_add_route(&cfg->fe[0], "path=/api pool=api", err), 0);
	snprintf(cfg->fe[0].default_pool_name, LB_NAME_LEN, "default");
	assert_int_equal(config_finish(cfg, collect, &p), 0);
	assert_ptr_equal(cfg->fe[0].default_pool, &cfg->pool[0]);
	assert_ptr_equal(cfg->fe[0].route[0].pool, api);
	/* hash balancing gets its ring */
	assert_non_null(api->ring);
	assert_true(api->nring > 0);
	assert_null(cfg->pool[0].ring);
	config_free(cfg);
}

static void
finish_makes_the_only_pool_the_default(void **state)
{
	struct lb_config *cfg = quick_config();
	struct problems p = { 0 };

	assert_int_equal(config_finish(cfg, collect, &p), 0);
	assert_ptr_equal(cfg->fe[0].default_pool, &cfg->pool[0]);
	config_free(cfg);
}

static void
finish_reports_every_problem_with_its_line(void **state)
{
	struct lb_config *cfg = config_new();
	struct problems p = { 0 };
	char err[ERR_LEN];
	struct frontend *a = new_fe(cfg, "a"), *b = new_fe(cfg, "b"), *c = new_fe(cfg, "c");
	struct frontend *d = new_fe(cfg, "d"), *e = new_fe(cfg, "e");
	struct pool *p1 = new_pool(cfg, "p1"), *p2 = new_pool(cfg, "p2");
	struct pool *p3 = new_pool(cfg, "p3");

	a->line = 10;
	b->line = 20;
	c->line = 30;
	d->line = 40;
	e->line = 50;
	p1->line = 60;
	p2->line = 70;
	p3->line = 80;
	assert_int_equal(set_admin(cfg, "0.0.0.0:9100", err), 0);
	/* a: no bind, and a default pool that does not exist */
	snprintf(a->default_pool_name, LB_NAME_LEN, "nope");
	/* b: several pools, no routes and no default */
	assert_int_equal(add_bind(b, "127.0.0.1:8001", err), 0);
	/* c: tcp with routes, one to a pool that does not exist, and a hash-uri default */
	assert_int_equal(add_bind(c, "127.0.0.1:8002", err), 0);
	assert_int_equal(set_mode(c, "tcp", err), 0);
	assert_int_equal(config_add_route(c, "path=/ pool=p1", err), 0);
	c->route[0].line = 31;
	assert_int_equal(config_add_route(c, "path=/x pool=ghost", err), 0);
	c->route[1].line = 32;
	snprintf(c->default_pool_name, LB_NAME_LEN, "p2");
	/* d: binds an address twice, and one b has */
	assert_int_equal(add_bind(d, "127.0.0.1:8003", err), 0);
	assert_int_equal(add_bind(d, "127.0.0.1:8003", err), 0);
	assert_int_equal(add_bind(d, "127.0.0.1:8001", err), 0);
	snprintf(d->default_pool_name, LB_NAME_LEN, "p1");
	/* e: routes but no default: that is fine (no match is a 503) */
	assert_int_equal(add_bind(e, "[::1]:8004", err), 0);
	assert_int_equal(config_add_route(e, "host=x pool=p1", err), 0);
	e->route[0].line = 51;
	/* p1: no server; p2: hash-uri behind tcp, check timeout not below interval */
	assert_int_equal(config_add_server_spec(cfg, p2, "127.0.0.1:9000", err), 0);
	assert_int_equal(config_set_balance(p2, "hash-uri", err), 0);
	assert_int_equal(set_check(p2, "tcp", err), 0);
	p2->check.interval = 1000;
	p2->check.timeout = 1000;
	p2->check.timeout_set = 1;
	/* p3: the same timeouts, but no check: not a problem */
	assert_int_equal(config_add_server_spec(cfg, p3, "127.0.0.1:9001", err), 0);
	p3->check.interval = 500;

	assert_int_equal(config_finish(cfg, collect, &p), 11);
	assert_int_equal(p.n, 11);
	assert_problem(&p, 0, "admin address 0.0.0.0:9100 is not loopback: set "
	    "admin-allow-remote = yes");
	assert_problem(&p, 10, "listener 'a' has no bind address");
	assert_problem(&p, 10, "listener 'a': default-pool 'nope' does not exist");
	assert_problem(&p, 20, "listener 'b' needs default-pool = NAME");
	assert_problem(&p, 31, "listener 'c' is tcp: routes need mode = http");
	assert_problem(&p, 32, "route to pool 'ghost', which does not exist");
	assert_problem(&p, 40, "address 127.0.0.1:8003 is bound twice");
	assert_problem(&p, 40, "address 127.0.0.1:8001 is bound twice");
	assert_problem(&p, 70, "pool 'p2' balances by hash-uri, which listener 'c' (tcp) cannot "
	    "provide");
	assert_problem(&p, 60, "pool 'p1' has no server");
	assert_problem(&p, 70, "pool 'p2': check-timeout must be shorter than check-interval");

	/* admin-allow-remote lifts the loopback rule, but then a token is a must */
	cfg->admin_any = 1;
	memset(&p, 0, sizeof(p));
	assert_int_equal(config_finish(cfg, collect, &p), 11);
	assert_problem(&p, 0, "admin address 0.0.0.0:9100 is reachable from other machines "
	    "(admin-allow-remote = yes) but needs no token");
	snprintf(cfg->admin_token_file, sizeof(cfg->admin_token_file), "/etc/brace/token");
	memset(&p, 0, sizeof(p));
	assert_int_equal(config_finish(cfg, collect, &p), 10);
	assert_false(has_problem(&p, 0, "admin"));
	/* one token, not two */
	snprintf(cfg->admin_token, sizeof(cfg->admin_token), "s3cret");
	memset(&p, 0, sizeof(p));
	assert_int_equal(config_finish(cfg, collect, &p), 11);
	assert_problem(&p, 0, "admin-token and admin-token-file are both set: keep one");
	config_free(cfg);
}

static void
finish_refuses_spaces_and_controls_in_http_checks(void **state)
{
	struct lb_config *cfg = quick_config();
	struct pool *p = &cfg->pool[0];
	struct problems pr = { 0 };

	p->line = 7;
	snprintf(p->check.path, sizeof(p->check.path), "/health check");
	snprintf(p->check.host, sizeof(p->check.host), "a\rb");
	/* not used without an HTTP check: not a problem */
	assert_int_equal(config_finish(cfg, collect, &pr), 0);
	p->check.type = CHECK_TCP;
	assert_int_equal(config_finish(cfg, collect, &pr), 0);
	p->check.type = CHECK_HTTP;
	assert_int_equal(config_finish(cfg, collect, &pr), 2);
	assert_problem(&pr, 7, "pool 'default': check-path '/health check' has a space or control "
	    "character");
	assert_problem(&pr, 7, "pool 'default': check-host");
	memset(&pr, 0, sizeof(pr));
	snprintf(p->check.path, sizeof(p->check.path), "/health?full=1&x=%%20");
	snprintf(p->check.host, sizeof(p->check.host), "app.internal:8080");
	assert_int_equal(config_finish(cfg, collect, &pr), 0);
	config_free(cfg);
}

static void
finish_reports_no_listener(void **state)
{
	struct lb_config *cfg = config_new();
	struct problems p = { 0 };
	char err[ERR_LEN];

	assert_int_equal(set_admin(cfg, "[::1]:9100", err), 0);
	assert_int_equal(config_finish(cfg, collect, &p), 1);
	assert_problem(&p, 0, "no listener: add a [listen NAME] section with bind = ADDR:PORT");
	config_free(cfg);
}

static void
finish_refuses_hash_header_and_accepts_hash_source_for_tcp(void **state)
{
	struct lb_config *cfg = quick_config();
	struct problems p = { 0 };
	char err[ERR_LEN];

	assert_int_equal(set_mode(&cfg->fe[0], "tcp", err), 0);
	assert_int_equal(config_set_balance(&cfg->pool[0], "hash-header:X-User", err), 0);
	assert_int_equal(config_finish(cfg, collect, &p), 1);
	assert_problem(&p, 0, "balances by hash-header, which listener 'main' (tcp)");
	assert_int_equal(config_set_balance(&cfg->pool[0], "hash-source", err), 0);
	memset(&p, 0, sizeof(p));
	assert_int_equal(config_finish(cfg, collect, &p), 0);
	config_free(cfg);
}

/* ---- the key table ---- */

static void assert_round_trip(const struct lb_config *cfg, const char *name);

/* The configuration of the walk: what the quick form builds from -l and -b. */
#define WALK_BASE \
	"[listen main]\nbind = 127.0.0.1:1\n[pool default]\nserver = a 127.0.0.1:2\n"

/* WALK_BASE with "key = value" (and more lines) added to key's section. */
static void
walk_text(char *out, size_t n, const struct config_key *k, const char *value, const char *more)
{
	snprintf(out, n, "[global]\n%s%s%s%s"
	    "[listen main]\nbind = 127.0.0.1:1\n%s%s%s%s"
	    "[pool default]\nserver = a 127.0.0.1:2\n%s%s%s%s",
	    k->sect == SECT_GLOBAL ? k->name : "", k->sect == SECT_GLOBAL ? " = " : "",
	    k->sect == SECT_GLOBAL ? value : "", k->sect == SECT_GLOBAL ? "\n" : "",
	    k->sect == SECT_LISTEN ? k->name : "", k->sect == SECT_LISTEN ? " = " : "",
	    k->sect == SECT_LISTEN ? value : "", k->sect == SECT_LISTEN ? "\n" : "",
	    k->sect == SECT_POOL ? k->name : "", k->sect == SECT_POOL ? " = " : "",
	    k->sect == SECT_POOL ? value : "", k->sect == SECT_POOL ? "\n" : "");
	strncat(out, more, n - strlen(out) - 1);
}

/* The walk's configuration built as brace lb builds it from flags: -l, -b, then k's flag
 * (without the default-pool = default brace lb adds: WALK_BASE has none either). */
static struct lb_config *
walk_flags(const struct config_key *k, const char *value, struct problems *p)
{
	struct lb_config *cfg = config_new();
	char err[ERR_LEN];

	assert_int_equal(config_key_flag(cfg, config_key_find(SECT_LISTEN, "bind"), "127.0.0.1:1",
	    err), 0);
	assert_int_equal(config_key_flag(cfg, config_key_find(SECT_POOL, "server"),
	    "127.0.0.1:2,name=a", err), 0);
	memset(p, 0, sizeof(*p));
	if (k != NULL && config_key_flag(cfg, k, value, err) < 0)
		collect(p, 0, err);
	return cfg;
}

/*
 * Every key parses from the file, from its flag where it has one, and
 * round-trips through the dump; the flag gives exactly the configuration
 * the file's key does.
 */
static void
every_key_parses_from_file_and_flag_and_round_trips(void **state)
{
	char text[1024], *base_dump;
	struct problems p;
	int nerr;
	struct lb_config *cfg = load_good(WALK_BASE);

	base_dump = dump_body(cfg);
	config_free(cfg);
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		char more[64] = "", line[128], *file_dump;

		/* a flag that also sets a key: the file says both (such keys are the pool's,
		 * the last section of the text) */
		if (k->flag != NULL && k->also != NULL) {
			const char *eq = strchr(k->also, '=');

			assert_int_equal(k->sect, SECT_POOL);
			snprintf(more, sizeof(more), "%.*s = %s\n", (int)(eq - k->also), k->also,
			    eq + 1);
		}
		walk_text(text, sizeof(text), k, k->example, more);
		cfg = load_text("walk.conf", text, &p, &nerr);
		if (nerr != 0 || config_finish(cfg, collect, &p) != 0) {
			print_problems(&p);
			fail_msg("key %s = %s is refused from the file", k->name, k->example);
		}
		file_dump = dump_body(cfg);
		snprintf(line, sizeof(line), "\n%s = ", k->name);
		if (strstr(file_dump, line) == NULL)
			fail_msg("the dump has no line for %s:\n%s", k->name, file_dump);
		if (strcmp(file_dump, base_dump) == 0)
			fail_msg("%s = %s changes nothing (is the example the default?)", k->name,
			    k->example);
		assert_round_trip(cfg, "walk-dump.conf");
		config_free(cfg);

		if (k->flag != NULL) {
			char *flag_dump;

			cfg = walk_flags(k, k->flag_example ? k->flag_example : k->example, &p);
			if (p.n != 0 || config_finish(cfg, collect, &p) != 0) {
				print_problems(&p);
				fail_msg("--%s %s is refused", k->flag, k->example);
			}
			flag_dump = dump_body(cfg);
			if (strcmp(flag_dump, file_dump) != 0)
				fail_msg("--%s and %s differ:\n--- flag\n%s--- file\n%s", k->flag, k->name,
				    flag_dump, file_dump);
			free(flag_dump);
			config_free(cfg);
		}
		free(file_dump);
	}
	free(base_dump);
}

/* What the code relies on about the rows, checked once for all. */
static void
key_rows_are_well_formed(void **state)
{
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->example == NULL)
			fail_msg("%s has no example", k->name);
		if (config_key_find(k->sect, k->name) != k)
			fail_msg("%s is in [%s] twice", k->name, config_sect_names[k->sect]);
		if (k->kind == KIND_FUNC && (k->set == NULL || k->dump == NULL))
			fail_msg("%s: a KIND_FUNC row needs set and dump", k->name);
		if (k->kind == KIND_ENUM && k->names == NULL)
			fail_msg("%s: a KIND_ENUM row needs names", k->name);
		if ((k->flags & KEY_REPEAT) && k->kind != KIND_FUNC && (k->nmax < 1 || !k->count_off))
			fail_msg("%s: a repeatable array needs its count and capacity", k->name);
		if ((k->flags & KEY_WITH_FILE) && k->sect != SECT_GLOBAL)
			fail_msg("%s: only [global] flags can go with -c FILE", k->name);
		if (k->flag != NULL && k->help == NULL)
			fail_msg("--%s needs help", k->flag);
		/* a yes/no key's flag takes no value (given, it says yes); the others one */
		if (k->flag != NULL && (k->kind == KIND_BOOL) != (k->arg == NULL))
			fail_msg("--%s: arg is for flags that take a value, and only them", k->flag);
		if (k->flag_set != NULL && k->flag_example == NULL)
			fail_msg("--%s has a syntax of its own but no flag_example", k->flag);
		if (k->also != NULL) {
			char key[32];
			const char *eq = strchr(k->also, '=');

			assert_non_null(eq);
			snprintf(key, sizeof(key), "%.*s", (int)(eq - k->also), k->also);
			if (config_key_find(k->sect, key) == NULL)
				fail_msg("--%s also sets %s, not a key of its section", k->flag, key);
		}
		for (size_t j = 0; j < i && k->flag != NULL; j++)
			if (config_keys[j].flag != NULL && strcmp(config_keys[j].flag, k->flag) == 0)
				fail_msg("--%s is the flag of two keys", k->flag);
	}
	assert_null(config_key_find(SECT_GLOBAL, "no-such-key"));
	assert_ptr_equal(config_key_named("server"), config_key_find(SECT_POOL, "server"));
}

/* Format v as key k is written, with a unit for durations. */
static void
num_text(const struct config_key *k, int64_t v, char *out, size_t n)
{
	snprintf(out, n, k->kind == KIND_DUR ? "%lldms" : "%lld", (long long)v);
}

/*
 * Numbers have one set of bounds, whatever sets them: the file and the flag
 * accept and refuse the same values, and config_finish() refuses a value
 * code set past them (so --dump-config never prints what --check refuses).
 */
static void
numbers_have_the_same_bounds_from_file_flag_and_code(void **state)
{
	int tested = 0;

	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		int64_t vals[4] = { k->min, k->max, k->min - 1, -1 };

		if ((k->kind != KIND_INT && k->kind != KIND_DUR && k->kind != KIND_SIZE) ||
		    (k->flags & KEY_REPEAT))
			continue;
		if (k->max < INT64_MAX)
			vals[3] = k->max + 1;   /* else no number is past it */
		for (int v = 0; v < 4; v++) {
			int ok = v < 2, nerr;
			char value[32], text[1024];
			struct problems p;
			struct lb_config *cfg;

			if (vals[v] < 0)
				continue;
			num_text(k, vals[v], value, sizeof(value));
			walk_text(text, sizeof(text), k, value, "");
			cfg = load_text("bounds.conf", text, &p, &nerr);
			if (nerr == 0)
				nerr = config_finish(cfg, collect, &p);
			if ((nerr == 0) != ok) {
				print_problems(&p);
				fail_msg("file: %s = %s", k->name, value);
			}
			config_free(cfg);

			if (k->flag != NULL) {
				cfg = walk_flags(k, value, &p);
				if ((p.n == 0 && config_finish(cfg, collect, &p) == 0) != ok) {
					print_problems(&p);
					fail_msg("flag: --%s %s", k->flag, value);
				}
				if (!ok && strstr(p.msg[0], k->flag) == NULL)
					fail_msg("'%s' does not name --%s", p.msg[0], k->flag);
				config_free(cfg);
			}

			/* set by code, past the parsers: config_finish holds it to the same */
			cfg = walk_flags(NULL, NULL, &p);
			{
				struct config_at at = { cfg, &cfg->fe[0], &cfg->pool[0], 0 };
				char *f = k->sect == SECT_GLOBAL ? (char *)cfg : k->sect == SECT_LISTEN ?
				    (char *)at.fe : (char *)at.pool;

				if (k->size == sizeof(int)) {
					int x = (int)vals[v];

					memcpy(f + k->off, &x, sizeof(x));
				} else {
					memcpy(f + k->off, &vals[v], sizeof(vals[v]));
				}
				cfg->pool[0].check.timeout_set = 0;
			}
			if ((config_finish(cfg, collect, &p) == 0) != ok) {
				print_problems(&p);
				fail_msg("code: %s = %s", k->name, value);
			}
			if (!ok && strstr(p.msg[0], k->name) == NULL)
				fail_msg("'%s' does not name %s", p.msg[0], k->name);
			config_free(cfg);
			tested++;
		}
	}
	assert_true(tested >= 4 * 20);
}

/*
 * --check-interval 1s and check-interval = 1s give the same: a check timeout
 * not given (1s) gives way to half the interval; one given must be shorter.
 */
static void
check_interval_alone_shortens_the_default_timeout_in_file_and_flag(void **state)
{
	struct problems p;
	int nerr;
	struct lb_config *cfg = load_text("interval.conf", WALK_BASE "check = tcp\n"
	    "check-interval = 1s\n", &p, &nerr);

	assert_int_equal(nerr, 0);
	assert_int_equal(config_finish(cfg, collect, &p), 0);
	assert_int_equal(cfg->pool[0].check.interval, 1000);
	assert_int_equal(cfg->pool[0].check.timeout, 500);
	config_free(cfg);

	cfg = walk_flags(config_key_find(SECT_POOL, "check-interval"), "1s", &p);
	assert_int_equal(config_finish(cfg, collect, &p), 0);
	assert_int_equal(cfg->pool[0].check.type, CHECK_TCP);
	assert_int_equal(cfg->pool[0].check.timeout, 500);
	config_free(cfg);

	/* a timeout given is kept, and must be shorter */
	cfg = load_text("interval2.conf", WALK_BASE "check = tcp\ncheck-interval = 1s\n"
	    "check-timeout = 1s\n", &p, &nerr);
	assert_int_equal(config_finish(cfg, collect, &p), 1);
	assert_problem(&p, 3, "check-timeout must be shorter than check-interval");
	config_free(cfg);
	cfg = load_text("interval3.conf", WALK_BASE "check-interval = 3s\ncheck-timeout = 2s\n",
	    &p, &nerr);
	assert_int_equal(config_finish(cfg, collect, &p), 0);
	assert_int_equal(cfg->pool[0].check.timeout, 2000);
	config_free(cfg);
}

/* The flags that imply a check: --check-path an HTTP one, --check-interval a TCP one
 * unless --check-path said HTTP, in either order. */
static void
check_flags_choose_the_check_in_any_order(void **state)
{
	const struct config_key *path = config_key_find(SECT_POOL, "check-path");
	const struct config_key *interval = config_key_find(SECT_POOL, "check-interval");
	struct problems p;
	char err[ERR_LEN];
	struct lb_config *cfg = walk_flags(interval, "1s", &p);

	assert_int_equal(config_key_flag(cfg, path, "/h", err), 0);
	assert_int_equal(cfg->pool[0].check.type, CHECK_HTTP);
	config_free(cfg);
	cfg = walk_flags(path, "/h", &p);
	assert_int_equal(config_key_flag(cfg, interval, "1s", err), 0);
	assert_int_equal(cfg->pool[0].check.type, CHECK_HTTP);
	assert_string_equal(cfg->pool[0].check.path, "/h");
	config_free(cfg);
	cfg = walk_flags(path, "health", &p);
	assert_int_equal(p.n, 1);
	assert_non_null(strstr(p.msg[0], "--check-path: must start with '/'"));
	config_free(cfg);
}

/* Every server option parses in both forms (name= only in --backend's) and round-trips. */
static void
every_server_option_parses_and_round_trips(void **state)
{
	for (size_t i = 0; i < config_nserver_opts; i++) {
		const struct config_key *o = &config_server_opts[i];
		struct lb_config *cfg = config_new();
		struct pool *p = new_pool(cfg, "default");
		char spec[128], line[128], err[ERR_LEN];

		snprintf(spec, sizeof(spec), "127.0.0.1:9000,%s=%s", o->name, o->example);
		if (config_add_server_spec(cfg, p, spec, err) != 0)
			fail_msg("--backend %s: %s", spec, err);
		snprintf(line, sizeof(line), "s 127.0.0.1:9001 %s=%s", o->name, o->example);
		if (o->flags & KEY_SPEC_ONLY) {
			assert_int_equal(config_add_server_line(cfg, p, line, err), -1);
			assert_non_null(strstr(err, "unknown server option"));
		} else {
			char *text = NULL, want[128];
			size_t len = 0;
			FILE *f = open_memstream(&text, &len);

			if (config_add_server_line(cfg, p, line, err) != 0)
				fail_msg("server = %s: %s", line, err);
			assert_non_null(f);
			config_key_server_options_dump(p->srv[1], f);
			assert_int_equal(fclose(f), 0);
			snprintf(want, sizeof(want), " %s=%s", o->name, o->example);
			assert_string_equal(text, want);
			free(text);
		}
		config_free(cfg);
	}
}

/* ---- the file ---- */

#define GOOD_FILE \
	"# a comment\n" \
	"; another comment\n" \
	"\n" \
	"[global]\n" \
	"threads = 3\n" \
	"maxconn = 5000\n" \
	"grace = 1m30s\n" \
	"admin = 127.0.0.1:9100\n" \
	"admin-token = s3cret\n" \
	"admin-allow-remote = no\n" \
	"access-log = /var/log/brace/lb-access.log\n" \
	"access-log-format = json\n" \
	"journal = /var/lib/brace/journal.db\n" \
	"log-level = info\n" \
	"\n" \
	"[listen web]\n" \
	"bind = 127.0.0.1:8080\n" \
	"bind = [::1]:8080\n" \
	"mode = http\n" \
	"route = host=api.example.org pool=api\n" \
	"route = host=*.example.org path=/static/ pool=static\n" \
	"default-pool = app\n" \
	"timeout-client = 30s\n" \
	"timeout-request = 5s\n" \
	"timeout-tunnel = 2h\n" \
	"max-body = 10M\n" \
	"max-request-line = 4k\n" \
	"max-header-size = 12k\n" \
	"max-headers = 64\n" \
	"\n" \
	"[listen db]\n" \
	"bind = 127.0.0.1:6432\n" \
	"mode = tcp\n" \
	"default-pool = pg\n" \
	"\n" \
	"[pool app]\n" \
	"balance = leastconn\n" \
	"server = app1 127.0.0.1:9001 weight=2 maxconn=100\n" \
	"server = app2 127.0.0.1:9002\n" \
	"timeout-connect = 2s\n" \
	"timeout-server = 30s\n" \
	"queue-timeout = 5s\n" \
	"pool-idle = 10s\n" \
	"retries = 2\n" \
	"max-idle = 64\n" \
	"check = http\n" \
	"check-path = /healthz\n" \
	"check-host = app.internal\n" \
	"check-expect = 200\n" \
	"check-interval = 1s\n" \
	"check-timeout = 500ms\n" \
	"rise = 3\n" \
	"fall = 2\n" \
	"passive-fall = 5\n" \
	"passive-rest = 10s\n" \
	"slow-start = 30s\n" \
	"\n" \
	"[pool api]\n" \
	"balance = hash-header:X-User\n" \
	"server = api1 127.0.0.1:9101\n" \
	"check = tcp\n" \
	"\n" \
	"[pool static]\n" \
	"server = s1 127.0.0.1:9201\n" \
	"\n" \
	"[pool pg]\n" \
	"balance = hash-source\n" \
	"server = pg1 127.0.0.1:5432 maxconn=80\n" \
	"passive-fall = 0\n"

static void
file_sets_every_key(void **state)
{
	struct lb_config *cfg = load_good(GOOD_FILE);
	struct frontend *web = config_find_frontend(cfg, "web");
	struct frontend *db = config_find_frontend(cfg, "db");
	struct pool *app = config_find_pool(cfg, "app"), *api = config_find_pool(cfg, "api");
	struct pool *pg = config_find_pool(cfg, "pg");

	assert_int_equal(cfg->threads, 3);
	assert_int_equal(cfg->maxconn, 5000);
	assert_int_equal(cfg->maxconn_set, 1);
	assert_int_equal(cfg->t_grace, 90000);
	assert_string_equal(cfg->admin.str, "127.0.0.1:9100");
	assert_string_equal(cfg->admin_token, "s3cret");
	assert_int_equal(cfg->admin_any, 0);
	assert_string_equal(cfg->access_log, "/var/log/brace/lb-access.log");
	assert_int_equal(cfg->access_format, ALOG_JSON);
	assert_string_equal(cfg->journal, "/var/lib/brace/journal.db");
	assert_int_equal(cfg->log_level, LOG_LVL_INFO);
	assert_int_equal(cfg->log_level_set, 1);
	assert_non_null(strstr(cfg->path, "good.conf"));

	assert_non_null(web);
	assert_int_equal(web->line, 16);
	assert_int_equal(web->nbind, 2);
	assert_int_equal(web->nroutes, 2);
	assert_int_equal(web->route[0].line, 20);
	assert_int_equal(web->route[1].line, 21);
	assert_ptr_equal(web->route[0].pool, api);
	assert_ptr_equal(web->default_pool, app);
	assert_int_equal(web->t_client, 30000);
	assert_int_equal(web->t_request, 5000);
	assert_int_equal(web->t_tunnel, 7200000);
	assert_int_equal(web->max_body, 10 << 20);
	assert_int_equal(web->lim.max_line, 4096);
	assert_int_equal(web->lim.max_head, 12288);
	assert_int_equal(web->lim.max_hdrs, 64);
	assert_int_equal(db->mode, MODE_TCP);
	assert_ptr_equal(db->default_pool, pg);

	assert_int_equal(app->line, 36);
	assert_int_equal(app->balance, BAL_LEASTCONN);
	assert_int_equal(app->nsrv, 2);
	assert_int_equal(app->srv[0]->line, 38);
	assert_int_equal(app->srv[0]->weight, 2);
	assert_int_equal(app->srv[0]->maxconn, 100);
	assert_int_equal(app->t_connect, 2000);
	assert_int_equal(app->t_server, 30000);
	assert_int_equal(app->t_queue, 5000);
	assert_int_equal(app->t_pool_idle, 10000);
	assert_int_equal(app->retries, 2);
	assert_int_equal(app->max_idle, 64);
	assert_int_equal(app->check.type, CHECK_HTTP);
	assert_string_equal(app->check.path, "/healthz");
	assert_string_equal(app->check.host, "app.internal");
	assert_int_equal(app->check.expect, 200);
	assert_int_equal(app->check.interval, 1000);
	assert_int_equal(app->check.timeout, 500);
	assert_int_equal(app->check.rise, 3);
	assert_int_equal(app->check.fall, 2);
	assert_int_equal(app->passive_fall, 5);
	assert_int_equal(app->passive_rest, 10000);
	assert_int_equal(app->slow_start, 30000);
	assert_int_equal(api->balance, BAL_HASH_HEADER);
	assert_string_equal(api->hash_header, "x-user");
	assert_int_equal(api->check.type, CHECK_TCP);
	assert_int_equal(pg->balance, BAL_HASH_SOURCE);
	assert_int_equal(pg->passive_fall, 0);
	config_free(cfg);
}

static void
file_yes_no_journal_off_and_log_levels(void **state)
{
	struct lb_config *cfg = load_good(
	    "[global]\nadmin = 0.0.0.0:9100\nadmin-allow-remote = yes\n"
	    "admin-token-file = /etc/brace/token\njournal = off\n"
	    "log-level = warning\n"
	    "[listen w]\nbind = 127.0.0.1:1\n[pool p]\nserver = a 127.0.0.1:2\n");

	assert_int_equal(cfg->admin_any, 1);
	assert_int_equal(cfg->journal_off, 1);
	assert_int_equal(cfg->log_level, LOG_LVL_WARN);
	config_free(cfg);
	static const char *const yes[] = { "yes", "on", "true" }, *const no[] = { "no", "off",
	    "false" };
	char text[256];

	for (int i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "[global]\nadmin-allow-remote = %s\n"
		    "[listen w]\nbind = 127.0.0.1:1\n[pool p]\nserver = a 127.0.0.1:2\n", yes[i]);
		cfg = load_good(text);
		assert_int_equal(cfg->admin_any, 1);
		config_free(cfg);
		snprintf(text, sizeof(text), "[global]\nadmin-allow-remote = %s\n"
		    "[listen w]\nbind = 127.0.0.1:1\n[pool p]\nserver = a 127.0.0.1:2\n", no[i]);
		cfg = load_good(text);
		assert_int_equal(cfg->admin_any, 0);
		config_free(cfg);
	}
}

static void
file_errors_name_their_lines_all_in_one_run(void **state)
{
	static const char text[] =
	    "threads = 2\n"                                     /* 1 */
	    "[global]\n"                                        /* 2 */
	    "threads = 0\n"                                     /* 3 */
	    "threads = many\n"                                  /* 4 */
	    "maxconn = 0\n"                                     /* 5 */
	    "grace = soon\n"                                    /* 6 */
	    "grace = 2d\n"                                      /* 7 */
	    "admin = nowhere\n"                                 /* 8 */
	    "admin-allow-remote = maybe\n"                      /* 9 */
	    "access-log = relative.log\n"                       /* 10 */
	    "access-log-format = xml\n"                         /* 11 */
	    "log-level = loud\n"                                /* 12 */
	    "bind = 127.0.0.1:80\n"                             /* 13 */
	    "colour = blue\n"                                   /* 14 */
	    "[listen web]\n"                                    /* 15 */
	    "bind = 127.0.0.1\n"                                /* 16 */
	    "mode = udp\n"                                      /* 17 */
	    "route = pool=app\n"                                /* 18 */
	    "timeout-client = 0\n"                              /* 19 */
	    "max-body = lots\n"                                 /* 20 */
	    "max-request-line = 32\n"                           /* 21 */
	    "max-header-size = 1M\n"                            /* 22 */
	    "max-headers = 101\n"                               /* 23 */
	    "server = a 127.0.0.1:1\n"                          /* 24 */
	    "default-pool =\n"                                  /* 25 */
	    "[pool app]\n"                                      /* 26 */
	    "server = a 127.0.0.1:1 weight=1000\n"              /* 27 */
	    "balance = fastest\n"                               /* 28 */
	    "retries = 101\n"                                   /* 29 */
	    "check = icmp\n"                                    /* 30 */
	    "check-path = healthz\n"                            /* 31 */
	    "check-expect = ok\n"                               /* 32 */
	    "check-interval = 5ms\n"                            /* 33 */
	    "rise = 0\n"                                        /* 34 */
	    "passive-rest = 0\n"                                /* 35 */
	    "slow-start = -1s\n"                                /* 36 */
	    "just some words\n"                                 /* 37 */
	    "[frontend x]\n"                                    /* 38 */
	    "bind = 127.0.0.1:2\n"                              /* 39 */
	    "[listen web]\n"                                    /* 40 */
	    "bind = 127.0.0.1:3\n"                              /* 41 */
	    "[pool bad name]\n"                                 /* 42 */
	    "[pool q\n"                                         /* 43 */
	    "server = b 127.0.0.1:4\n";                         /* 44 */
	struct problems p;
	int nerr;
	struct lb_config *cfg = load_text("errors.conf", text, &p, &nerr);

	assert_problem(&p, 1, "'threads' outside any section: start with [global]");
	assert_problem(&p, 3, "threads must be a whole number from 1 to 256, not '0'");
	assert_problem(&p, 4, "threads must be a whole number from 1 to 256, not 'many'");
	assert_problem(&p, 5, "maxconn must be a whole number from 1 to 10000000, not '0'");
	assert_problem(&p, 6, "grace: ");
	assert_problem(&p, 7, "grace: 2d is out of range");
	assert_problem(&p, 8, "admin: 'nowhere': expected HOST:PORT");
	assert_problem(&p, 9, "admin-allow-remote: expected yes or no, not 'maybe'");
	assert_problem(&p, 10, "access-log: access log must be an absolute path");
	assert_problem(&p, 11, "access-log-format must be combined or json, not 'xml'");
	assert_problem(&p, 12, "log-level must be error, warn, notice, info or debug, not 'loud'");
	assert_problem(&p, 13, "'bind' belongs in a [listen NAME] section");
	assert_problem(&p, 14, "unknown key 'colour' in [global]");
	assert_problem(&p, 16, "bind: '127.0.0.1': expected HOST:PORT");
	assert_problem(&p, 17, "mode must be http or tcp, not 'udp'");
	assert_problem(&p, 18, "route: a route needs host= or path=");
	assert_problem(&p, 19, "timeout-client: 0 is out of range");
	assert_problem(&p, 20, "max-body: ");
	assert_problem(&p, 21, "max-request-line: 32 is out of range (64 to 8192)");
	assert_problem(&p, 22, "max-header-size: 1M is out of range (256 to 15360)");
	assert_problem(&p, 23, "max-headers must be a whole number from 1 to 100, not '101'");
	assert_problem(&p, 24, "'server' belongs in a [pool NAME] section");
	assert_problem(&p, 25, "default-pool: missing value");
	assert_problem(&p, 27, "server: weight must be a whole number from 0 to 256, not '1000'");
	assert_problem(&p, 28, "balance: unknown balancing 'fastest'");
	assert_problem(&p, 29, "retries must be a whole number from 0 to 100, not '101'");
	assert_problem(&p, 30, "check must be none, tcp or http, not 'icmp'");
	assert_problem(&p, 31, "check-path: must start with '/', not 'healthz'");
	assert_problem(&p, 32, "check-expect: expected status must be a class like 2xx");
	assert_problem(&p, 33, "check-interval: 5ms is out of range");
	assert_problem(&p, 34, "rise must be a whole number from 1 to 100, not '0'");
	assert_problem(&p, 35, "passive-rest: 0 is out of range");
	assert_problem(&p, 36, "slow-start: ");
	assert_problem(&p, 37, "expected KEY = VALUE, [SECTION] or a comment");
	assert_problem(&p, 38, "unknown section [frontend x] (global, listen NAME, pool NAME)");
	assert_problem(&p, 40, "[listen web]: listener 'web' is defined twice");
	assert_problem(&p, 42, "[pool bad name]: invalid name 'bad name'");
	assert_problem(&p, 43, "section header without ']'");
	/* keys of a bad section are not reported again, one by one */
	assert_false(has_problem(&p, 39, ""));
	assert_false(has_problem(&p, 41, ""));
	assert_false(has_problem(&p, 44, ""));
	assert_int_equal(nerr, 38);

	/* config_finish does not say again what a refused line already said: web's
	 * only bind line (16) was refused, so "no bind address" would be a cascade */
	memset(&p, 0, sizeof(p));
	config_finish(cfg, collect, &p);
	assert_false(has_problem(&p, 15, "has no bind address"));
	config_free(cfg);
}

static void
file_ignores_comments_blanks_and_indentation(void **state)
{
	struct lb_config *cfg = load_good(
	    "  # indented comment\n"
	    "\t; tab comment\n"
	    "   \n"
	    "\t\n"
	    "  [ global ]  \n"
	    "\tthreads=4\n"
	    "    grace   =   5s   \n"
	    "[listen\t\tweb]\n"
	    "  bind = 127.0.0.1:8080 ; an inline comment after a space\n"
	    "  route = path=/api pool=app\n"
	    "[pool   app]\n"
	    "    server = a 127.0.0.1:9000   weight=2\n"
	    "    server = b 127.0.0.1:9001\n"
	    "    check-path=/x;y\n");

	assert_int_equal(cfg->threads, 4);
	assert_int_equal(cfg->t_grace, 5000);
	assert_non_null(config_find_frontend(cfg, "web"));
	assert_string_equal(cfg->fe[0].bind[0].str, "127.0.0.1:8080");
	assert_non_null(config_find_pool(cfg, "app"));
	assert_int_equal(cfg->pool[0].nsrv, 2);
	assert_int_equal(cfg->pool[0].srv[0]->weight, 2);
	/* ';' is a comment only after white space */
	assert_string_equal(cfg->pool[0].check.path, "/x;y");
	config_free(cfg);
}

static void
file_reads_crlf_and_a_utf8_bom(void **state)
{
	struct lb_config *cfg = load_good(
	    "\xEF\xBB\xBF[global]\r\n"
	    "threads = 2\r\n"
	    "\r\n"
	    "# comment\r\n"
	    "[listen web]\r\n"
	    "bind = 127.0.0.1:8080\r\n"
	    "route = host=a.example path=/p pool=app\r\n"
	    "[pool app]\r\n"
	    "server = a 127.0.0.1:9000 weight=3\r\n"
	    "check-path = /health\r\n");

	assert_int_equal(cfg->threads, 2);
	assert_string_equal(cfg->fe[0].bind[0].str, "127.0.0.1:8080");
	assert_string_equal(cfg->fe[0].route[0].path, "/p");
	assert_string_equal(cfg->pool[0].srv[0]->addr_str, "127.0.0.1:9000");
	assert_int_equal(cfg->pool[0].srv[0]->weight, 3);
	assert_string_equal(cfg->pool[0].check.path, "/health");
	config_free(cfg);

	/* errors in a CRLF file still name the right line */
	struct problems p;
	int nerr;

	cfg = load_text("crlf-bad.conf", "[global]\r\nthreads = 2\r\n\r\nthreads = x\r\n"
	    "[listen w]\r\nmode = udp\r\n", &p, &nerr);
	assert_int_equal(nerr, 2);
	assert_problem(&p, 4, "not 'x'");
	assert_problem(&p, 6, "not 'udp'");
	config_free(cfg);
}

static void
file_long_lines_up_to_the_limit_are_read(void **state)
{
	/* 1024 characters is the limit, not some smaller line buffer */
	char *text = malloc(4096);
	char comment[1025], route[600];
	struct lb_config *cfg;

	assert_non_null(text);
	comment[0] = '#';
	memset(comment + 1, 'c', sizeof(comment) - 2);
	comment[sizeof(comment) - 1] = '\0';
	assert_int_equal(strlen(comment), 1024);
	snprintf(route, sizeof(route), "route = host=%0127d path=/%0254d pool=app", 0, 0);
	snprintf(text, 4096, "%s\n[listen web]\nbind = 127.0.0.1:8080\n%s\n[pool app]\n"
	    "server = a 127.0.0.1:9000\n%s\r\n", comment, route, comment);
	cfg = load_good(text);
	assert_int_equal(strlen(cfg->fe[0].route[0].host), 127);
	assert_int_equal(strlen(cfg->fe[0].route[0].path), 255);
	config_free(cfg);
	free(text);
}

static void
file_over_long_lines_are_reported_and_skipped(void **state)
{
	char *text = malloc(8192), *line = malloc(4000);
	struct problems p;
	int nerr;
	struct lb_config *cfg;

	assert_non_null(text);
	assert_non_null(line);
	memset(line, 'x', 3999);
	line[3999] = '\0';
	/* 1025 characters: one too many, also with CRLF */
	snprintf(text, 8192, "[global]\n# %.1023s\nthreads = 2\n# %.1023s\r\nthreads = %s\n"
	    "threads = 3\n# %.1022s", line, line, line, line);
	cfg = load_text("long.conf", text, &p, &nerr);
	assert_int_equal(nerr, 3);
	assert_problem(&p, 2, "line longer than 1024 characters");
	assert_problem(&p, 4, "line longer than 1024 characters");
	assert_problem(&p, 5, "line longer than 1024 characters");
	/* the lines after are read, and counted right */
	assert_int_equal(cfg->threads, 3);
	config_free(cfg);
	free(text);
	free(line);
}

/* A NUL byte, a line that starts with '=' and "key: value" are errors, each on its line. */
static void
file_nul_bytes_and_lines_without_a_key_are_reported(void **state)
{
	static const char text[] = "[global]\nmaxconn = 7\0x\n= 3\nthreads: 4\n"
	    "grace = 5s ; five seconds\n";
	char path[256], err[ERR_LEN];
	struct problems p = { 0 };
	struct lb_config *cfg = config_new();
	FILE *f;

	unit_tmpdir_path(path, sizeof(path), "nul.conf");
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(config_file_load(cfg, path, collect, &p, err), 3);
	assert_problem(&p, 2, "a NUL byte in the line");
	assert_problem(&p, 3, "expected KEY = VALUE, [SECTION] or a comment");
	assert_problem(&p, 4, "expected KEY = VALUE, [SECTION] or a comment");
	/* the line with a NUL byte set nothing; the line after it is read */
	assert_int_equal(cfg->maxconn, 20000);
	assert_int_equal(cfg->t_grace, 5000);
	config_free(cfg);
}

static void
file_empty_and_missing(void **state)
{
	struct problems p;
	int nerr;
	struct lb_config *cfg = load_text("empty.conf", "", &p, &nerr);
	char err[ERR_LEN], path[300];

	assert_int_equal(nerr, 0);
	memset(&p, 0, sizeof(p));
	assert_int_equal(config_finish(cfg, collect, &p), 1);
	assert_problem(&p, 0, "no listener");
	config_free(cfg);

	cfg = config_new();
	unit_tmpdir_path(path, sizeof(path), "does-not-exist.conf");
	assert_int_equal(config_file_load(cfg, path, collect, &p, err), -1);
	assert_non_null(strstr(err, "cannot read"));
	assert_non_null(strstr(err, "No such file or directory"));
	config_free(cfg);
}

static void
file_finish_problems_carry_file_lines(void **state)
{
	struct problems p;
	int nerr;
	struct lb_config *cfg = load_text("finish.conf",
	    "[global]\n"                        /* 1 */
	    "admin = 0.0.0.0:9100\n"            /* 2 */
	    "[listen web]\n"                    /* 3 */
	    "bind = 127.0.0.1:8080\n"           /* 4 */
	    "route = host=x pool=ghost\n"       /* 5 */
	    "[listen tcp]\n"                    /* 6 */
	    "bind = 127.0.0.1:8080\n"           /* 7 */
	    "mode = tcp\n"                      /* 8 */
	    "route = path=/ pool=a\n"           /* 9 */
	    "[pool a]\n"                        /* 10 */
	    "check = tcp\n"                     /* 11 */
	    "check-timeout = 2s\n"              /* 12 */
	    "[pool b]\n"                        /* 13 */
	    "server = s 127.0.0.1:1\n",         /* 14 */
	    &p, &nerr);

	assert_int_equal(nerr, 0);
	assert_int_equal(config_finish(cfg, collect, &p), 7);
	assert_problem(&p, 0, "admin address 0.0.0.0:9100 is not loopback");
	assert_problem(&p, 5, "route to pool 'ghost', which does not exist");
	assert_problem(&p, 6, "listener 'tcp' needs default-pool = NAME");
	assert_problem(&p, 9, "listener 'tcp' is tcp: routes need mode = http");
	assert_problem(&p, 6, "address 127.0.0.1:8080 is bound twice");
	assert_problem(&p, 10, "pool 'a' has no server");
	/* check-timeout (given: 2s) is not below check-interval (2s by default) */
	assert_problem(&p, 10, "pool 'a': check-timeout must be shorter than check-interval");
	memset(&p, 0, sizeof(p));
	config_free(cfg);
	cfg = load_text("finish2.conf", "[listen w]\nbind = 127.0.0.1:1\n[pool a]\n"
	    "server = s 127.0.0.1:2\ncheck = http\ncheck-interval = 1s\ncheck-timeout = 1s\n",
	    &p, &nerr);
	assert_int_equal(config_finish(cfg, collect, &p), 1);
	assert_problem(&p, 3, "pool 'a': check-timeout must be shorter than check-interval");
	config_free(cfg);
}

/* ---- round trips ---- */

static void
assert_round_trip(const struct lb_config *cfg, const char *name)
{
	char path[256], err[ERR_LEN];
	char *first = dump_body(cfg), *second;
	struct lb_config *again = config_new();
	struct problems p = { 0 };
	FILE *f;

	unit_tmpdir_path(path, sizeof(path), name);
	f = fopen(path, "w");
	assert_non_null(f);
	config_file_dump(cfg, f);
	assert_int_equal(fclose(f), 0);
	if (config_file_load(again, path, collect, &p, err) != 0 ||
	    config_finish(again, collect, &p) != 0) {
		print_problems(&p);
		fail_msg("the dump of %s does not read back", name);
	}
	second = dump_body(again);
	if (strcmp(first, second) != 0)
		fail_msg("dumps differ:\n--- first\n%s\n--- second\n%s", first, second);
	free(first);
	free(second);
	config_free(again);
}

static void
dump_of_flags_reads_back_the_same(void **state)
{
	struct lb_config *cfg = config_new();
	struct frontend *fe = new_fe(cfg, "main");
	struct pool *p = new_pool(cfg, "default");
	struct problems pr = { 0 };
	char err[ERR_LEN];

	/* what `brace lb` builds from its quick flags */
	assert_int_equal(add_bind(fe, ":8080", err), 0);
	assert_int_equal(add_bind(fe, "[::1]:8081", err), 0);
	assert_int_equal(config_add_server_spec(cfg, p, "127.0.0.1:9000,weight=3,maxconn=10,name=a",
	    err), 0);
	assert_int_equal(config_add_server_spec(cfg, p, "127.0.0.1:9001", err), 0);
	assert_int_equal(config_add_server_spec(cfg, p, "[::1]:9002,weight=0", err), 0);
	assert_int_equal(config_set_balance(p, "hash-header:X-Tenant", err), 0);
	snprintf(fe->default_pool_name, LB_NAME_LEN, "default");
	cfg->maxconn = 1234;
	cfg->maxconn_set = 1;
	cfg->t_grace = 1500;
	p->t_queue = 250;
	p->retries = 0;
	p->t_connect = 3600000;
	p->t_server = 90000;
	p->t_pool_idle = 86400000;
	p->check.type = CHECK_HTTP;
	snprintf(p->check.path, sizeof(p->check.path), "/health");
	p->check.interval = 500;
	p->check.timeout = 250;
	p->slow_start = 20000;
	fe->t_client = 61000;
	fe->t_request = 1;
	fe->t_tunnel = 7 * 86400000LL;
	fe->max_body = 1536;
	assert_int_equal(set_admin(cfg, "127.0.0.1:9100", err), 0);
	snprintf(cfg->admin_token, sizeof(cfg->admin_token), "tok");
	assert_int_equal(set_access_log(cfg, "/var/log/brace/access.log", err), 0);
	assert_int_equal(set_access_format(cfg, "json", err), 0);
	snprintf(cfg->journal, sizeof(cfg->journal), "/tmp/j.db");
	cfg->log_level = LOG_LVL_DEBUG;
	if (config_finish(cfg, collect, &pr) != 0) {
		print_problems(&pr);
		fail();
	}
	assert_round_trip(cfg, "flags.conf");

	/* and the defaults alone, with the journal off */
	config_free(cfg);
	cfg = quick_config();
	cfg->journal_off = 1;
	assert_round_trip(cfg, "quick.conf");
	config_free(cfg);
}

static void
dump_of_file_reads_back_the_same(void **state)
{
	struct lb_config *cfg = load_good(GOOD_FILE);
	char *text = dump_body(cfg);

	/* what was set is in the dump, as the file spells it */
	assert_non_null(strstr(text, "threads = 3\n"));
	assert_non_null(strstr(text, "maxconn = 5000\n"));
	assert_non_null(strstr(text, "grace = 1m30s\n"));
	assert_non_null(strstr(text, "admin-token = s3cret\n"));
	assert_non_null(strstr(text, "route = host=*.example.org path=/static/ pool=static\n"));
	assert_non_null(strstr(text, "server = app1 127.0.0.1:9001 weight=2 maxconn=100\n"));
	assert_non_null(strstr(text, "balance = hash-header:x-user\n"));
	assert_non_null(strstr(text, "check-expect = 200\n"));
	assert_non_null(strstr(text, "max-body = 10M\n"));
	assert_non_null(strstr(text, "max-request-line = 4k\n"));
	free(text);
	assert_round_trip(cfg, "file.conf");
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_config_has_documented_defaults),
		cmocka_unit_test(names_are_checked_and_unique),
		cmocka_unit_test(frontends_and_pools_are_capped),
		cmocka_unit_test(binds_accept_ipv4_ipv6_and_wildcards),
		cmocka_unit_test(bad_binds_say_why),
		cmocka_unit_test(server_spec_takes_every_option),
		cmocka_unit_test(server_spec_bad_values_are_refused),
		cmocka_unit_test(server_line_takes_name_address_and_options),
		cmocka_unit_test(server_line_bad_values_are_refused),
		cmocka_unit_test(servers_are_capped_across_pools),
		cmocka_unit_test(routes_take_host_path_and_pool),
		cmocka_unit_test(bad_routes_say_why),
		cmocka_unit_test(balance_names_and_hash_header_case),
		cmocka_unit_test(mode_check_and_expect_values),
		cmocka_unit_test(admin_and_access_log_values),
		cmocka_unit_test(finish_accepts_good_and_resolves_pools),
		cmocka_unit_test(finish_makes_the_only_pool_the_default),
		cmocka_unit_test(finish_reports_every_problem_with_its_line),
		cmocka_unit_test(finish_refuses_spaces_and_controls_in_http_checks),
		cmocka_unit_test(finish_reports_no_listener),
		cmocka_unit_test(finish_refuses_hash_header_and_accepts_hash_source_for_tcp),
		cmocka_unit_test(every_key_parses_from_file_and_flag_and_round_trips),
		cmocka_unit_test(key_rows_are_well_formed),
		cmocka_unit_test(numbers_have_the_same_bounds_from_file_flag_and_code),
		cmocka_unit_test(check_interval_alone_shortens_the_default_timeout_in_file_and_flag),
		cmocka_unit_test(check_flags_choose_the_check_in_any_order),
		cmocka_unit_test(every_server_option_parses_and_round_trips),
		cmocka_unit_test(file_sets_every_key),
		cmocka_unit_test(file_yes_no_journal_off_and_log_levels),
		cmocka_unit_test(file_errors_name_their_lines_all_in_one_run),
		cmocka_unit_test(file_ignores_comments_blanks_and_indentation),
		cmocka_unit_test(file_reads_crlf_and_a_utf8_bom),
		cmocka_unit_test(file_long_lines_up_to_the_limit_are_read),
		cmocka_unit_test(file_over_long_lines_are_reported_and_skipped),
		cmocka_unit_test(file_nul_bytes_and_lines_without_a_key_are_reported),
		cmocka_unit_test(file_empty_and_missing),
		cmocka_unit_test(file_finish_problems_carry_file_lines),
		cmocka_unit_test(dump_of_flags_reads_back_the_same),
		cmocka_unit_test(dump_of_file_reads_back_the_same),
	};

	return cmocka_run_group_tests_name("lb_config", tests, unit_tmpdir_setup,
	    unit_tmpdir_teardown);
}
