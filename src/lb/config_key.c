/*
 * config_key.c - see config_key.h: the table of keys, the table of server
 * options, and what each kind of value accepts and how it is written back.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/log.h"
#include "core/units.h"
#include "lb/config.h"
#include "lb/config_key.h"

const char *const config_sect_names[SECT_COUNT] = { "global", "listen NAME", "pool NAME" };

/* ---- setters and dumpers of the keys with a syntax of their own ---- */

static int
set_route(const struct config_at *at, const char *v, char *err)
{
	if (config_add_route(at->fe, v, err) < 0)
		return -1;
	at->fe->route[at->fe->nroutes - 1].line = at->line;
	return 0;
}

static void
dump_route(const struct config_at *at, const struct config_key *k, FILE *out)
{
	for (int i = 0; i < at->fe->nroutes; i++) {
		const struct route *r = &at->fe->route[i];

		fprintf(out, "%s =", k->name);
		if (r->host[0])
			fprintf(out, " host=%s", r->host);
		if (r->path[0])
			fprintf(out, " path=%s", r->path);
		fprintf(out, " pool=%s\n", r->pool_name);
	}
}

static int
set_server(const struct config_at *at, const char *v, char *err)
{
	if (config_add_server_line(at->cfg, at->pool, v, err) < 0)
		return -1;
	at->pool->srv[at->pool->nsrv - 1]->line = at->line;
	return 0;
}

static int
set_server_spec(const struct config_at *at, const char *v, char *err)
{
	return config_add_server_spec(at->cfg, at->pool, v, err);
}

static void
dump_server(const struct config_at *at, const struct config_key *k, FILE *out)
{
	for (int i = 0; i < at->pool->nsrv; i++) {
		const struct server *sv = at->pool->srv[i];

		fprintf(out, "%s = %s %s", k->name, sv->name, sv->addr_str);
		config_key_server_options_dump(sv, out);
		fputc('\n', out);
	}
}

static int
set_balance(const struct config_at *at, const char *v, char *err)
{
	return config_set_balance(at->pool, v, err);
}

static void
dump_balance(const struct config_at *at, const struct config_key *k, FILE *out)
{
	if (at->pool->balance == BAL_HASH_HEADER)
		fprintf(out, "%s = hash-header:%s\n", k->name, at->pool->hash_header);
	else
		fprintf(out, "%s = %s\n", k->name, config_balance_name(at->pool->balance));
}

static int
set_expect(const struct config_at *at, const char *v, char *err)
{
	return config_set_expect(at->pool, v, err);
}

static void
dump_expect(const struct config_at *at, const struct config_key *k, FILE *out)
{
	int e = at->pool->check.expect;

	if (e < 10)
		fprintf(out, "%s = %dxx\n", k->name, e);
	else
		fprintf(out, "%s = %d\n", k->name, e);
}

/* "off" records no events and keeps the path (a later flag may turn it back on). */
static int
set_journal(const struct config_at *at, const char *v, char *err)
{
	struct lb_config *cfg = at->cfg;

	if (strcmp(v, "off") == 0) {
		cfg->journal_off = 1;
		return 0;
	}
	if (strlen(v) >= sizeof(cfg->journal)) {
		err_set(err, "path too long (at most %zu characters)", sizeof(cfg->journal) - 1);
		return -1;
	}
	cfg->journal_off = 0;
	snprintf(cfg->journal, sizeof(cfg->journal), "%s", v);
	return 0;
}

static void
dump_journal(const struct config_at *at, const struct config_key *k, FILE *out)
{
	if (at->cfg->journal_off)
		fprintf(out, "%s = off\n", k->name);
	else if (at->cfg->journal[0])
		fprintf(out, "%s = %s\n", k->name, at->cfg->journal);
}

/* A tls-cert line: a bundle or a directory; its key, if separate, comes with tls-key. */
static int
set_tls_cert(const struct config_at *at, const char *v, char *err)
{
	struct frontend *fe = at->fe;
	struct tls_cert_cfg *c;

	if (fe->ntls_cert >= LB_MAX_CERTS) {
		err_set(err, "too many (at most %d in one listener; a directory counts as one)",
		    LB_MAX_CERTS);
		return -1;
	}
	if (strlen(v) >= sizeof(c->cert)) {
		err_set(err, "file name too long (at most %zu characters)", sizeof(c->cert) - 1);
		return -1;
	}
	c = &fe->tls_cert[fe->ntls_cert++];
	memset(c, 0, sizeof(*c));
	snprintf(c->cert, sizeof(c->cert), "%s", v);
	c->line = at->line;
	return 0;
}

/* Each certificate, then the key file given for it: the order tls-key needs. */
static void
dump_tls_cert(const struct config_at *at, const struct config_key *k, FILE *out)
{
	for (int i = 0; i < at->fe->ntls_cert; i++) {
		const struct tls_cert_cfg *c = &at->fe->tls_cert[i];

		fprintf(out, "%s = %s\n", k->name, c->cert);
		if (c->key[0])
			fprintf(out, "tls-key = %s\n", c->key);
	}
}

static int
set_tls_key(const struct config_at *at, const char *v, char *err)
{
	struct frontend *fe = at->fe;
	struct tls_cert_cfg *c = fe->ntls_cert > 0 ? &fe->tls_cert[fe->ntls_cert - 1] : NULL;

	if (c == NULL) {
		err_set(err, "a key goes right after the tls-cert it belongs to");
		return -1;
	}
	if (c->key[0]) {
		err_set(err, "certificate %s already has key %s", c->cert, c->key);
		return -1;
	}
	if (strlen(v) >= sizeof(c->key)) {
		err_set(err, "file name too long (at most %zu characters)", sizeof(c->key) - 1);
		return -1;
	}
	snprintf(c->key, sizeof(c->key), "%s", v);
	return 0;
}

/* tls-cert writes the key right after its certificate. */
static void
dump_nothing(const struct config_at *at, const struct config_key *k, FILE *out)
{
}

/* A share of a pool's servers: "50%" or "50", 0 to 100. */
static int
set_panic(const struct config_at *at, const char *v, char *err)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (end == v || errno != 0 || (*end != '\0' && strcmp(end, "%") != 0) || n < 0 ||
	    n > 100) {
		err_set(err, "expected a share of the servers from 0%% to 100%%, not '%s'", v);
		return -1;
	}
	at->pool->panic_threshold = (int)n;
	return 0;
}

static void
dump_panic(const struct config_at *at, const struct config_key *k, FILE *out)
{
	fprintf(out, "%s = %d%%\n", k->name, at->pool->panic_threshold);
}

/* ---- checks of text values ---- */

/* An OpenSSL cipher list: names, separators and operators, nothing else. */
static int
check_ciphers(const char *v, char *err)
{
	if (strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "-_:+!@=.,") != strlen(v)) {
		err_set(err, "'%s' is not a cipher list (names separated by ':')", v);
		return -1;
	}
	return 0;
}

/* "http/1.1" or "h2,http/1.1": protocol names of 1 to 255 visible characters. */
static int
check_alpn(const char *v, char *err)
{
	const char *p = v;

	for (;;) {
		size_t n = strcspn(p, ",");

		if (n == 0 || n > 255) {
			err_set(err, "'%s': expected protocol names separated by ',' (http/1.1)", v);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			if (p[i] <= ' ' || p[i] >= 0x7f) {
				err_set(err, "'%s': a protocol name has a space or control character", v);
				return -1;
			}
		}
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

/* A DNS name, as SNI carries it and a certificate names it. */
static int
check_dns_name(const char *v, char *err)
{
	if (strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") !=
	    strlen(v) || v[0] == '.' || v[0] == '-') {
		err_set(err, "'%s' is not a host name", v);
		return -1;
	}
	return 0;
}

static int
check_path(const char *v, char *err)
{
	if (v[0] != '/') {
		err_set(err, "must start with '/', not '%s'", v);
		return -1;
	}
	return 0;
}

static int
check_abs_path(const char *v, char *err)
{
	if (v[0] != '/') {
		err_set(err, "must be an absolute path, not '%s'", v);
		return -1;
	}
	return 0;
}

static int
check_access_log(const char *v, char *err)
{
	if (strcmp(v, "syslog") != 0 && v[0] != '/') {
		err_set(err, "access log must be an absolute path, syslog or off, not '%s'", v);
		return -1;
	}
	return 0;
}

static int
check_name(const char *v, char *err)
{
	return config_valid_name(v, err) ? 0 : -1;
}

/* ---- the tables ---- */

static const struct config_name mode_names[] = {
	{ "http", MODE_HTTP }, { "tcp", MODE_TCP }, { NULL, 0 },
};

static const struct config_name check_names[] = {
	{ "none", CHECK_NONE }, { "tcp", CHECK_TCP }, { "http", CHECK_HTTP }, { NULL, 0 },
};

static const struct config_name format_names[] = {
	{ "combined", ALOG_COMBINED }, { "combined-tls", ALOG_COMBINED_TLS }, { "json", ALOG_JSON },
	{ NULL, 0 },
};

static const struct config_name tls_min_names[] = {
	{ "1.2", TLS_MIN_12 }, { "1.3", TLS_MIN_13 }, { NULL, 0 },
};

static const struct config_name level_names[] = {
	{ "error", LOG_LVL_ERROR }, { "warn", LOG_LVL_WARN }, { "warning", LOG_LVL_WARN },
	{ "notice", LOG_LVL_NOTICE }, { "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG },
	{ NULL, 0 },
};

#define MEMBER_SIZE(type, f) sizeof(((type *)0)->f)
/* A field of the global section, of a [listen NAME] or of a [pool NAME]. */
#define G(f) .sect = SECT_GLOBAL, .off = offsetof(struct lb_config, f), \
	.size = MEMBER_SIZE(struct lb_config, f)
#define L(f) .sect = SECT_LISTEN, .off = offsetof(struct frontend, f), \
	.size = MEMBER_SIZE(struct frontend, f)
#define P(f) .sect = SECT_POOL, .off = offsetof(struct pool, f), \
	.size = MEMBER_SIZE(struct pool, f)
/* A repeatable key stored in array arr of type, counted by count. */
#define LIST(sect_, type, arr, count) .sect = (sect_), .off = offsetof(type, arr), \
	.size = MEMBER_SIZE(type, arr[0]), .count_off = offsetof(type, count), \
	.nmax = (int)(MEMBER_SIZE(type, arr) / MEMBER_SIZE(type, arr[0]))
/* The int that records that a key was given. */
#define MARK(type, f) .set_off = offsetof(type, f)

#define DAY  86400000LL
#define HOUR 3600000LL

const struct config_key config_keys[] = {
	/* [global] */
	{ .name = "threads", G(threads), .kind = KIND_INT, .min = 1, .max = 256,
	  MARK(struct lb_config, threads_set), .note = "default: one per CPU",
	  .example = "3", .flag = "threads", .short_flag = 't', .arg = "N",
	  .help = "worker threads, each with its own event loop and\n"
	  "listening socket [one per CPU]" },
	{ .name = "maxconn", G(maxconn), .kind = KIND_INT, .min = 1, .max = 10000000,
	  MARK(struct lb_config, maxconn_set),
	  .note = "default: as many as the open files limit allows",
	  .example = "5000", .flag = "maxconn", .arg = "N",
	  .help = "client connections at once; past it an idle\n"
	  "keep-alive client makes room, or the new one gets\n"
	  "503 (Retry-After: 1) at once [20000, or what the\nopen files limit allows]" },
	{ .name = "grace", G(t_grace), .kind = KIND_DUR, .min = 0, .max = DAY,
	  .example = "1m30s", .flag = "grace", .arg = "DUR",
	  .help = "on SIGTERM/SIGINT, stop accepting and let requests\n"
	  "in flight finish for this long, then exit 0 [30s]" },
	{ .name = "admin", G(admin), .kind = KIND_ADDR,
	  .example = "127.0.0.1:9100", .flag = "admin", .arg = "ADDR:PORT",
	  .help = "serve /metrics, /stats and the server controls\n"
	  "(loopback only unless the file allows more)" },
	{ .name = "admin-token", G(admin_token), .kind = KIND_STR, .min = 1,
	  .max = LB_TOKEN_LEN - 1, .flags = KEY_SECRET, .example = "s3cret", .flag = "admin-token", .arg = "TOKEN",
	  .help = "require \"Authorization: Bearer TOKEN\" there (hidden\n"
	  "from ps; --admin-token-file keeps it off the\ncommand line)" },
	{ .name = "admin-token-file", G(admin_token_file), .kind = KIND_STR, .min = 1,
	  .max = PATH_MAX - 1, .check = check_abs_path, .example = "/etc/brace/admin-token",
	  .flag = "admin-token-file", .arg = "FILE",
	  .help = "the token is the first line of FILE (read at\nstart and by --check)" },
	{ .name = "admin-allow-remote", G(admin_any), .kind = KIND_BOOL, .flags = KEY_QUIET,
	  .example = "yes" },
	{ .name = "access-log", G(access_log), .kind = KIND_STR, .min = 1, .max = PATH_MAX - 1,
	  .empty = "off", .check = check_access_log, .example = "/var/log/brace/lb-access.log",
	  .flag = "access-log", .arg = "FILE",
	  .help = "one line per request (or \"syslog\"); reopened on\nSIGUSR1 for logrotate" },
	{ .name = "access-log-format", G(access_format), .kind = KIND_ENUM, .names = format_names,
	  .example = "json", .flag = "access-log-format", .arg = "FORMAT",
	  .help = "combined, combined-tls (with the TLS version and\n"
	  "cipher) or json [combined, with upstream times]" },
	{ .name = "journal", .sect = SECT_GLOBAL, .kind = KIND_FUNC, .set = set_journal,
	  .dump = dump_journal, .flags = KEY_WITH_FILE, .example = "/var/lib/brace/journal.db",
	  .flag = "journal", .arg = "PATH",
	  .help = "where events go (server down/up, reloads, ...)\n"
	  "[the default journal]; --no-journal: nowhere" },
	{ .name = "splice", G(splice), .kind = KIND_BOOL, .flags = KEY_WITH_FILE,
	  .example = "no", .flag = "splice",
	  .help = "move large bodies between sockets with splice(2),\n"
	  "never copying them [on]; --no-splice: buffers only" },
	{ .name = "sample-interval", G(sample_interval), .kind = KIND_DUR, .min = 0, .max = DAY,
	  .example = "1m", .flag = "sample-interval", .arg = "DUR",
	  .help = "write requests, errors, the queue and latency per\n"
	  "pool and server to the journal this often; 0 = never\n[10s]" },
	{ .name = "log-level", G(log_level), .kind = KIND_ENUM, .names = level_names,
	  MARK(struct lb_config, log_level_set), .flags = KEY_WITH_FILE | KEY_ANY_CASE,
	  .example = "debug",
	  .flag = "log-level", .arg = "LEVEL",
	  .help = "error, warn, notice, info or debug [notice]" },

	/* [listen NAME] */
	{ .name = "bind", LIST(SECT_LISTEN, struct frontend, bind, nbind), .kind = KIND_ADDR,
	  .flags = KEY_REPEAT, .example = "127.0.0.1:8080",
	  .flag = "listen", .short_flag = 'l', .arg = "ADDR:PORT",
	  .help = "where to accept clients; \"*:8080\" or \":8080\" for\n"
	  "every address, \"[::1]:8080\" for IPv6; repeatable" },
	{ .name = "mode", L(mode), .kind = KIND_ENUM, .names = mode_names, .example = "tcp",
	  .flag = "mode", .short_flag = 'm', .arg = "http|tcp",
	  .help = "HTTP reverse proxy, or a byte relay for anything\nelse (databases) [http]" },
	{ .name = "route", .sect = SECT_LISTEN, .kind = KIND_FUNC, .set = set_route,
	  .dump = dump_route, .flags = KEY_REPEAT,
	  .example = "host=*.example.org path=/api/ pool=" LB_QUICK_POOL },
	{ .name = "default-pool", L(default_pool_name), .kind = KIND_STR, .min = 1,
	  .max = LB_NAME_LEN - 1, .example = LB_QUICK_POOL },
	{ .name = "timeout-client", L(t_client), .kind = KIND_DUR, .min = 1, .max = DAY,
	  .example = "30s", .flag = "timeout-client", .arg = "DUR",
	  .help = "keep-alive idle time between requests, and a client\n"
	  "silent mid-request or not reading [60s]" },
	{ .name = "timeout-request", L(t_request), .kind = KIND_DUR, .min = 1, .max = DAY,
	  .example = "5s", .flag = "timeout-request", .arg = "DUR",
	  .help = "receiving a whole request head (slowloris guard;\nanswered with 408) [10s]" },
	{ .name = "timeout-tunnel", L(t_tunnel), .kind = KIND_DUR, .min = 1, .max = 7 * DAY,
	  .example = "2h", .flag = "timeout-tunnel", .arg = "DUR",
	  .help = "idle time of TCP mode sessions and WebSocket\ntunnels [1h]" },
	{ .name = "max-body", L(max_body), .kind = KIND_SIZE, .min = 0, .max = 1LL << 50,
	  .example = "10M", .flag = "max-body", .arg = "SIZE",
	  .help = "largest request body (413 past it); 0 = no limit [0]" },
	{ .name = "max-request-line", L(lim.max_line), .kind = KIND_SIZE, .min = 64, .max = 8192,
	  .example = "4k" },
	{ .name = "max-header-size", L(lim.max_head), .kind = KIND_SIZE, .min = 256,
	  .max = LB_BUFSIZE - 1024, .example = "12k" },
	{ .name = "max-headers", L(lim.max_hdrs), .kind = KIND_INT, .min = 1, .max = LB_MAX_HDRS,
	  .example = "64" },
	{ .name = "redirect-https", L(redirect_https), .kind = KIND_BOOL,
	  .flags = KEY_QUIET, .example = "yes", .flag = "redirect-https",
	  .help = "answer every request with a redirect to the same\n"
	  "URL over https (a plain listener; no server needed)" },
	{ .name = "tls-cert", LIST(SECT_LISTEN, struct frontend, tls_cert, ntls_cert),
	  .kind = KIND_FUNC, .set = set_tls_cert, .dump = dump_tls_cert, .flags = KEY_REPEAT,
	  .example = "/etc/brace/site.pem", .flag = "tls-cert", .arg = "FILE|DIR",
	  .help = "terminate TLS: a PEM bundle (certificate, chain,\n"
	  "key), or a directory of them; the first is the\n"
	  "default, the others are chosen by SNI; repeatable" },
	{ .name = "tls-key", .sect = SECT_LISTEN, .kind = KIND_FUNC, .set = set_tls_key,
	  .dump = dump_nothing, .needs = "tls-cert", .example = "/etc/brace/site.key",
	  .flag = "tls-key", .arg = "FILE",
	  .help = "the key of the --tls-cert just before, when it is\n"
	  "neither in the bundle nor beside it (NAME.key)" },
	{ .name = "tls-min", L(tls_min), .kind = KIND_ENUM, .names = tls_min_names,
	  .needs = "tls-cert", .example = "1.3", .flag = "tls-min", .arg = "1.2|1.3",
	  .help = "the oldest TLS version accepted [1.2]" },
	{ .name = "tls-ciphers", L(tls_ciphers), .kind = KIND_STR, .min = 1,
	  .max = LB_CIPHERS_LEN - 1, .check = check_ciphers, .needs = "tls-cert",
	  .example = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256" },
	{ .name = "tls-ciphersuites", L(tls_ciphersuites), .kind = KIND_STR, .min = 1,
	  .max = LB_CIPHERS_LEN - 1, .check = check_ciphers, .needs = "tls-cert",
	  .example = "TLS_AES_128_GCM_SHA256" },
	{ .name = "tls-alpn", L(tls_alpn), .kind = KIND_STR, .min = 1, .max = LB_ALPN_LEN - 1,
	  .empty = "off", .check = check_alpn, .needs = "tls-cert", .example = "off" },
	{ .name = "tls-session-timeout", L(tls_session_timeout), .kind = KIND_DUR, .min = 0,
	  .max = 7 * DAY, .needs = "tls-cert", .example = "1h" },
	{ .name = "timeout-handshake", L(t_handshake), .kind = KIND_DUR, .min = 1, .max = HOUR,
	  .needs = "tls-cert", .example = "3s", .flag = "timeout-handshake", .arg = "DUR",
	  .help = "a client's whole TLS handshake, from its accept;\n"
	  "closed past it [10s]" },

	/* [pool NAME] */
	{ .name = "server", .sect = SECT_POOL, .kind = KIND_FUNC, .set = set_server,
	  .dump = dump_server, .flags = KEY_REPEAT, .example = "b 127.0.0.1:9002 weight=2 maxconn=10",
	  .flag = "backend", .short_flag = 'b', .arg = "SPEC", .flag_set = set_server_spec,
	  .flag_example = "127.0.0.1:9002,weight=2,maxconn=10,name=b",
	  .help = "a server: HOST:PORT, then optional ,weight=N (0-256) [1]\n"
	  ",maxconn=N (connections it may get; 0 = no cap) [0]\n"
	  ",name=NAME [HOST:PORT], ,tls (TLS to it, verified)\n"
	  ",verify=CAFILE|none [the system's CAs]\n"
	  ",sni=NAME (sent and verified) [its host]; repeatable" },
	{ .name = "balance", .sect = SECT_POOL, .kind = KIND_FUNC, .set = set_balance,
	  .dump = dump_balance, .example = "hash-header:X-User", .flag = "balance", .arg = "ALGO",
	  .help = "roundrobin (smooth, weighted), leastconn, random2\n"
	  "(best of two random), hash-source, hash-uri,\n"
	  "hash-header:NAME (consistent, bounded load) [roundrobin]" },
	{ .name = "timeout-connect", P(t_connect), .kind = KIND_DUR, .min = 1, .max = HOUR,
	  .example = "2s", .flag = "timeout-connect", .arg = "DUR",
	  .help = "connecting to a server [5s]" },
	{ .name = "timeout-server", P(t_server), .kind = KIND_DUR, .min = 1, .max = DAY,
	  .example = "30s", .flag = "timeout-server", .arg = "DUR",
	  .help = "waiting for the server's answer, and between its\nreads [60s]" },
	{ .name = "queue-timeout", P(t_queue), .kind = KIND_DUR, .min = 1, .max = DAY,
	  .example = "30s", .flag = "queue-timeout", .arg = "DUR",
	  .help = "how long a request waits for a server slot before\n"
	  "503 (HTTP) or a closed connection (TCP) [10s]" },
	{ .name = "pool-idle", P(t_pool_idle), .kind = KIND_DUR, .min = 1, .max = DAY,
	  .example = "10s", .flag = "pool-idle", .arg = "DUR",
	  .help = "idle keep-alive connections to servers are closed\nafter this [30s]" },
	{ .name = "retries", P(retries), .kind = KIND_INT, .min = 0, .max = 100, .example = "0",
	  .flag = "retries", .arg = "N",
	  .help = "other servers tried when connecting fails or a\n"
	  "connection resets before any answer [3]" },
	{ .name = "max-idle", P(max_idle), .kind = KIND_INT, .min = 0, .max = 100000,
	  .example = "64" },
	{ .name = "check", P(check.type), .kind = KIND_ENUM, .names = check_names,
	  .example = "http" },
	{ .name = "check-path", P(check.path), .kind = KIND_STR, .min = 1, .max = LB_PATH_LEN - 1,
	  .check = check_path, .example = "/healthz", .flag = "check-path", .arg = "PATH",
	  .also = "check=http", .help = "check with GET PATH, expecting 2xx" },
	{ .name = "check-host", P(check.host), .kind = KIND_STR, .min = 1,
	  .max = LB_HOST_LEN - 1, .example = "app.internal" },
	{ .name = "check-expect", .sect = SECT_POOL, .kind = KIND_FUNC, .set = set_expect,
	  .dump = dump_expect, .example = "200" },
	{ .name = "check-interval", P(check.interval), .kind = KIND_DUR, .min = 10, .max = DAY,
	  .example = "5s", .flag = "check-interval", .arg = "DUR",
	  .also = "check=tcp", .flags = KEY_ALSO_IF_0,
	  .help = "check every server this often (TCP connect, or an\n"
	  "HTTP GET with --check-path); off by default" },
	{ .name = "check-timeout", P(check.timeout), .kind = KIND_DUR, .min = 1, .max = HOUR,
	  MARK(struct pool, check.timeout_set), .example = "500ms" },
	{ .name = "rise", P(check.rise), .kind = KIND_INT, .min = 1, .max = 100, .example = "3" },
	{ .name = "fall", P(check.fall), .kind = KIND_INT, .min = 1, .max = 100, .example = "2" },
	{ .name = "passive-fall", P(passive_fall), .kind = KIND_INT, .min = 0, .max = 1000,
	  .example = "0" },
	{ .name = "passive-5xx", P(passive_5xx), .kind = KIND_BOOL, .example = "yes",
	  .flag = "passive-5xx",
	  .help = "5xx answers count against a server's passive\n"
	  "health too (off: only failed connections, resets,\n"
	  "bad answers and timeouts do)" },
	{ .name = "panic-threshold", .sect = SECT_POOL, .kind = KIND_FUNC, .set = set_panic,
	  .dump = dump_panic, .example = "25%", .flag = "panic-threshold", .arg = "PCT",
	  .help = "below this share of healthy servers a pool\n"
	  "balances over all of them, healthy or not\n"
	  "(0 = never) [50%]" },
	{ .name = "passive-rest", P(passive_rest), .kind = KIND_DUR, .min = 1, .max = DAY,
	  .example = "10s" },
	{ .name = "slow-start", P(slow_start), .kind = KIND_DUR, .min = 0, .max = DAY,
	  .example = "30s", .flag = "slow-start", .arg = "DUR",
	  .help = "a server coming back gets its full weight over\nthis time [0: at once]" },
};

const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);

#define O(f) .off = offsetof(struct server, f), .size = MEMBER_SIZE(struct server, f)

/* The options of a server; the file gives the name before the address instead of name=. */
const struct config_key config_server_opts[] = {
	{ .name = "weight", O(weight), .kind = KIND_INT, .min = 0, .max = 256, .example = "3" },
	{ .name = "maxconn", O(maxconn), .kind = KIND_INT, .min = 0, .max = 1000000,
	  .example = "80" },
	{ .name = "name", O(name), .kind = KIND_STR, .min = 1, .max = LB_NAME_LEN - 1,
	  .check = check_name, .flags = KEY_SPEC_ONLY, .example = "app1" },
	{ .name = "tls", O(tls), .kind = KIND_BOOL, .example = "yes" },
	{ .name = "verify", O(verify), .kind = KIND_STR, .min = 1, .max = LB_FILE_LEN - 1,
	  .example = "/etc/ssl/certs/ca-certificates.crt" },
	{ .name = "sni", O(sni), .kind = KIND_STR, .min = 1, .max = LB_HOST_LEN - 1,
	  .check = check_dns_name, .example = "api.internal" },
};

const size_t config_nserver_opts = sizeof(config_server_opts) / sizeof(config_server_opts[0]);

/* ---- values ---- */

static void *
section_base(const struct config_at *at, enum config_sect s)
{
	return s == SECT_GLOBAL ? (void *)at->cfg : s == SECT_LISTEN ? (void *)at->fe :
	    (void *)at->pool;
}

/* Numbers live in int, enum, int64_t, uint64_t or size_t fields: 4 or 8 bytes. */
static int64_t
get_num(const void *p, size_t size)
{
	if (size == sizeof(int32_t)) {
		int32_t v;

		memcpy(&v, p, sizeof(v));
		return v;
	}
	int64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void
put_num(void *p, size_t size, int64_t v)
{
	if (size == sizeof(int32_t)) {
		int32_t x = (int32_t)v;

		memcpy(p, &x, sizeof(x));
	} else {
		memcpy(p, &v, sizeof(v));
	}
}

static int *
int_at(const void *base, size_t off)
{
	return (int *)(void *)((char *)(uintptr_t)base + off);
}

/* A number as its key writes it: a duration, a size or a plain number. */
static void
format_num(const struct config_key *k, int64_t v, char *out, size_t n)
{
	if (k->kind == KIND_DUR)
		units_fmt_duration(v, out, n);
	else if (k->kind == KIND_SIZE && v > 0 && v % (1024 * 1024) == 0)
		snprintf(out, n, "%lldM", (long long)(v >> 20));
	else if (k->kind == KIND_SIZE && v > 0 && v % 1024 == 0)
		snprintf(out, n, "%lldk", (long long)(v >> 10));
	else
		snprintf(out, n, "%lld", (long long)v);
}

/* "http or tcp", "none, tcp or http": the words of an enum, aliases left out. */
static void
enum_words(const struct config_name *names, char *out, size_t n)
{
	size_t len = 0;
	int count = 0, k = 0;

	for (int i = 0; names[i].name != NULL; i++)
		if (i == 0 || names[i].value != names[i - 1].value)
			count++;
	out[0] = '\0';
	for (int i = 0; names[i].name != NULL && len < n; i++) {
		if (i > 0 && names[i].value == names[i - 1].value)
			continue;
		k++;
		len += (size_t)snprintf(out + len, n - len, "%s%s", k == 1 ? "" :
		    k == count ? " or " : ", ", names[i].name);
	}
}

static int
yes_no(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "on", "true" }, *const no[] = { "no", "off", "false" };

	for (int i = 0; i < 3; i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* k's bounds as a message gives them: durations with units, other numbers plain. */
static void
bounds_text(const struct config_key *k, char *lo, char *hi, size_t n)
{
	if (k->kind == KIND_DUR) {
		units_fmt_duration(k->min, lo, n);
		units_fmt_duration(k->max, hi, n);
	} else {
		snprintf(lo, n, "%lld", (long long)k->min);
		snprintf(hi, n, "%lld", (long long)k->max);
	}
}

static int
out_of_range(const struct config_key *k, const char *subject, const char *v, char *err)
{
	char lo[32], hi[32];

	bounds_text(k, lo, hi, sizeof(lo));
	err_set(err, "%s: %s is out of range (%s to %s)", subject, v, lo, hi);
	return -1;
}

/* Parse v (not empty) for key or option k into the field at f. */
static int
parse_value(const struct config_key *k, void *f, const char *v, const char *subject, char *err)
{
	char e[ERR_LEN];

	switch (k->kind) {
	case KIND_INT: {
		char *end;
		long long n;

		errno = 0;
		n = strtoll(v, &end, 10);
		if (end == v || *end != '\0' || errno != 0 || n < k->min || n > k->max) {
			err_set(err, "%s must be a whole number from %lld to %lld, not '%s'", subject,
			    (long long)k->min, (long long)k->max, v);
			return -1;
		}
		put_num(f, k->size, n);
		return 0;
	}
	case KIND_DUR:
	case KIND_SIZE: {
		int64_t n;
		uint64_t b = 0;

		if ((k->kind == KIND_DUR ? units_duration(v, &n, e) : units_size(v, &b, e)) < 0) {
			err_set(err, "%s: %s", subject, e);
			return -1;
		}
		if (k->kind == KIND_SIZE)
			n = b > (uint64_t)INT64_MAX ? -1 : (int64_t)b;
		if (n < k->min || n > k->max)
			return out_of_range(k, subject, v, err);
		put_num(f, k->size, n);
		return 0;
	}
	case KIND_BOOL: {
		int b;

		if (yes_no(v, &b) < 0) {
			err_set(err, "%s: expected yes or no, not '%s'", subject, v);
			return -1;
		}
		put_num(f, k->size, b);
		return 0;
	}
	case KIND_STR: {
		size_t n = strlen(v);

		if (k->empty != NULL && strcmp(v, k->empty) == 0) {
			*(char *)f = '\0';
			return 0;
		}
		if (k->check != NULL && k->check(v, e) < 0) {
			err_set(err, "%s: %s", subject, e);
			return -1;
		}
		if ((int64_t)n > k->max || n >= k->size) {
			err_set(err, "%s: too long (at most %lld characters)", subject,
			    (long long)k->max);
			return -1;
		}
		if ((int64_t)n < k->min) {
			err_set(err, "%s: too short (at least %lld characters)", subject,
			    (long long)k->min);
			return -1;
		}
		memcpy(f, v, n + 1);
		return 0;
	}
	case KIND_ENUM:
		for (const struct config_name *nm = k->names; nm->name != NULL; nm++) {
			if ((k->flags & KEY_ANY_CASE) ? strcasecmp(v, nm->name) == 0 :
			    strcmp(v, nm->name) == 0) {
				put_num(f, k->size, nm->value);
				return 0;
			}
		}
		enum_words(k->names, e, sizeof(e));
		err_set(err, "%s must be %s, not '%s'", subject, e, v);
		return -1;
	case KIND_ADDR: {
		struct lb_listen l;

		if (strlen(v) >= sizeof(l.str)) {
			err_set(err, "%s: address '%.40s...' too long", subject, v);
			return -1;
		}
		if (config_parse_hostport(v, 1, &l.addr, &l.addrlen, e) < 0) {
			err_set(err, "%s: %s", subject, e);
			return -1;
		}
		snprintf(l.str, sizeof(l.str), "%s", v);
		memcpy(f, &l, sizeof(l));
		return 0;
	}
	case KIND_FUNC:
		break;
	}
	err_set(err, "%s: cannot be set this way", subject);
	return -1;
}

/* The value at f as key k writes it; 0 when the key writes nothing for it. */
static int
format_value(const struct config_key *k, const void *f, char *out, size_t n)
{
	switch (k->kind) {
	case KIND_INT:
	case KIND_DUR:
	case KIND_SIZE:
		format_num(k, get_num(f, k->size), out, n);
		return 1;
	case KIND_BOOL:
		if ((k->flags & KEY_QUIET) && get_num(f, k->size) == 0)
			return 0;
		snprintf(out, n, "%s", get_num(f, k->size) ? "yes" : "no");
		return 1;
	case KIND_STR:
		if (*(const char *)f == '\0' && k->empty == NULL)
			return 0;
		snprintf(out, n, "%s", *(const char *)f ? (const char *)f : k->empty);
		return 1;
	case KIND_ENUM:
		for (const struct config_name *nm = k->names; nm->name != NULL; nm++) {
			if (nm->value == get_num(f, k->size)) {
				snprintf(out, n, "%s", nm->name);
				return 1;
			}
		}
		return 0;
	case KIND_ADDR:
		if (((const struct lb_listen *)f)->str[0] == '\0')
			return 0;
		snprintf(out, n, "%s", ((const struct lb_listen *)f)->str);
		return 1;
	case KIND_FUNC:
		break;
	}
	return 0;
}

/* ---- keys ---- */

const struct config_key *
config_key_find(enum config_sect sect, const char *name)
{
	for (size_t i = 0; i < config_nkeys; i++)
		if (config_keys[i].sect == sect && strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

const struct config_key *
config_key_named(const char *name)
{
	for (size_t i = 0; i < config_nkeys; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

int
config_key_set(const struct config_at *at, const struct config_key *k, const char *v,
    const char *subject, char *err)
{
	char *base = section_base(at, k->sect);
	char e[ERR_LEN];

	if (v[0] == '\0') {
		err_set(err, "%s: missing value", subject);
		return -1;
	}
	if (k->kind == KIND_FUNC) {
		if (k->set(at, v, e) < 0) {
			err_set(err, "%s: %s", subject, e);
			return -1;
		}
	} else if (k->flags & KEY_REPEAT) {
		int *count = int_at(base, k->count_off);

		if (*count >= k->nmax) {
			err_set(err, "%s: too many (at most %d in one section)", subject, k->nmax);
			return -1;
		}
		if (parse_value(k, base + k->off + (size_t)*count * k->size, v, subject, err) < 0)
			return -1;
		(*count)++;
	} else if (parse_value(k, base + k->off, v, subject, err) < 0) {
		return -1;
	}
	if (k->set_off != 0)
		*int_at(base, k->set_off) = 1;
	return 0;
}

int
config_key_flag(struct lb_config *cfg, const struct config_key *k, const char *v, char *err)
{
	struct config_at at = { .cfg = cfg };
	char subject[64];

	snprintf(subject, sizeof(subject), "--%s", k->flag);
	if (k->sect == SECT_LISTEN && (at.fe = config_find_frontend(cfg, LB_QUICK_LISTEN)) == NULL &&
	    (at.fe = config_add_frontend(cfg, LB_QUICK_LISTEN, err)) == NULL)
		return -1;
	if (k->sect == SECT_POOL && (at.pool = config_find_pool(cfg, LB_QUICK_POOL)) == NULL &&
	    (at.pool = config_add_pool(cfg, LB_QUICK_POOL, err)) == NULL)
		return -1;
	if (k->also != NULL) {
		char also[64], *val;
		const struct config_key *a;

		snprintf(also, sizeof(also), "%s", k->also);
		val = strchr(also, '=');
		*val++ = '\0';
		a = config_key_find(k->sect, also);
		if (!(k->flags & KEY_ALSO_IF_0) ||
		    get_num((char *)section_base(&at, a->sect) + a->off, a->size) == 0)
			if (config_key_set(&at, a, val, subject, err) < 0)
				return -1;
	}
	if (k->flag_set != NULL) {
		char e[ERR_LEN];

		if (v[0] == '\0') {
			err_set(err, "%s: missing value", subject);
			return -1;
		}
		if (k->flag_set(&at, v, e) < 0) {
			err_set(err, "%s: %s", subject, e);
			return -1;
		}
		return 0;
	}
	return config_key_set(&at, k, v, subject, err);
}

/* Does the repeatable key `name` of k's section have lines at `at`? */
static int
needed_present(const struct config_at *at, const struct config_key *k)
{
	const struct config_key *n = config_key_find(k->sect, k->needs);

	return n != NULL && n->count_off != 0 &&
	    *int_at(section_base(at, n->sect), n->count_off) > 0;
}

void
config_key_dump(const struct config_at *at, const struct config_key *k, FILE *out)
{
	const char *base = section_base(at, k->sect);
	char v[PATH_MAX + 32];

	if (k->needs != NULL && !needed_present(at, k))
		return;
	if (k->kind == KIND_FUNC) {
		k->dump(at, k, out);
		return;
	}
	if (k->flags & KEY_REPEAT) {
		int n = *int_at(base, k->count_off);

		for (int i = 0; i < n; i++)
			if (format_value(k, base + k->off + (size_t)i * k->size, v, sizeof(v)))
				fprintf(out, "%s = %s\n", k->name, v);
		return;
	}
	if (!format_value(k, base + k->off, v, sizeof(v)))
		return;
	if (k->note != NULL && k->set_off != 0 && !*int_at(base, k->set_off))
		fprintf(out, "; %s = %s  (%s)\n", k->name, v, k->note);
	else
		fprintf(out, "%s = %s\n", k->name, v);
}

int
config_key_check_bounds(struct lb_config *cfg, void (*report)(void *arg, int line, const char *msg),
    void *arg)
{
	int errors = 0;

	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		int count = k->sect == SECT_GLOBAL ? 1 : k->sect == SECT_LISTEN ? cfg->nfe :
		    cfg->npools;

		if ((k->kind != KIND_INT && k->kind != KIND_DUR && k->kind != KIND_SIZE) ||
		    (k->flags & KEY_REPEAT))
			continue;
		for (int n = 0; n < count; n++) {
			struct config_at at = { .cfg = cfg };
			const char *where = "";
			char msg[ERR_LEN], v[32], lo[32], hi[32];
			int64_t val;

			if (k->sect == SECT_LISTEN) {
				at.fe = &cfg->fe[n];
				at.line = at.fe->line;
				where = at.fe->name;
			} else if (k->sect == SECT_POOL) {
				at.pool = &cfg->pool[n];
				at.line = at.pool->line;
				where = at.pool->name;
			}
			val = get_num((const char *)section_base(&at, k->sect) + k->off, k->size);
			if (val >= k->min && val <= k->max)
				continue;
			format_num(k, val, v, sizeof(v));
			bounds_text(k, lo, hi, sizeof(lo));
			if (snprintf(msg, sizeof(msg), "%s%s%s%s %s is out of range (%s to %s)",
			    k->sect == SECT_LISTEN ? "listener '" : k->sect == SECT_POOL ? "pool '" : "",
			    where, k->sect == SECT_GLOBAL ? "" : "': ", k->name, v, lo, hi) >=
			    (int)sizeof(msg))
				msg[sizeof(msg) - 1] = '\0';
			report(arg, at.line, msg);
			errors++;
		}
	}
	return errors;
}

/* The first column of --help: "  -l, --listen ADDR:PORT" or "      --grace DUR". */
#define HELP_COLUMN 29

void
config_key_help(FILE *out)
{
	static const enum config_sect order[] = { SECT_LISTEN, SECT_POOL, SECT_GLOBAL };

	for (size_t s = 0; s < sizeof(order) / sizeof(order[0]); s++) {
		for (size_t i = 0; i < config_nkeys; i++) {
			const struct config_key *k = &config_keys[i];
			int n;

			if (k->sect != order[s] || k->flag == NULL)
				continue;
			/* a yes/no key's flag takes no value: given, it says yes */
			if (k->short_flag)
				n = fprintf(out, "  -%c, --%s%s%s", k->short_flag, k->flag,
				    k->arg ? " " : "", k->arg ? k->arg : "");
			else
				n = fprintf(out, "      --%s%s%s", k->flag, k->arg ? " " : "",
				    k->arg ? k->arg : "");
			fprintf(out, "%*s", HELP_COLUMN - n >= 2 ? HELP_COLUMN - n : 3, "");
			for (const char *h = k->help; *h; h++) {
				fputc(*h, out);
				if (*h == '\n')
					fprintf(out, "%*s", HELP_COLUMN, "");
			}
			fputc('\n', out);
		}
	}
}

/* ---- server options ---- */

int
config_key_server_option(struct server *sv, char *opt, int spec_form, char *err)
{
	char *eq = strchr(opt, '=');
	const struct config_key *o = NULL;

	if (eq != NULL)
		*eq++ = '\0';
	for (size_t i = 0; i < config_nserver_opts; i++)
		if (strcmp(config_server_opts[i].name, opt) == 0 &&
		    (spec_form || !(config_server_opts[i].flags & KEY_SPEC_ONLY)))
			o = &config_server_opts[i];
	if (eq == NULL && (o == NULL || o->kind != KIND_BOOL)) {
		err_set(err, "expected KEY=VALUE, got '%s'", opt);
		return -1;
	}
	if (o == NULL) {
		char names[128];
		size_t len = 0;

		names[0] = '\0';
		for (size_t i = 0; i < config_nserver_opts && len < sizeof(names); i++)
			if (spec_form || !(config_server_opts[i].flags & KEY_SPEC_ONLY))
				len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
				    len ? ", " : "", config_server_opts[i].name);
		err_set(err, "unknown server option '%s' (%s)", opt, names);
		return -1;
	}
	return parse_value(o, (char *)sv + o->off, eq != NULL ? eq : "yes", o->name, err);
}

void
config_key_server_options_dump(const struct server *sv, FILE *out)
{
	char v[PATH_MAX + 32];

	for (size_t i = 0; i < config_nserver_opts; i++) {
		const struct config_key *o = &config_server_opts[i];
		const char *f = (const char *)sv + o->off;

		if ((o->flags & KEY_SPEC_ONLY) ||
		    memcmp(f, (const char *)&config_server_defaults + o->off, o->size) == 0)
			continue;
		if (o->kind == KIND_BOOL && get_num(f, o->size) != 0)
			fprintf(out, " %s", o->name);
		else if (format_value(o, f, v, sizeof(v)))
			fprintf(out, " %s=%s", o->name, v);
	}
}
