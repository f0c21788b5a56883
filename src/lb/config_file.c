/*
 * config_file.c - reading and writing the load balancer's configuration file.
 *
 * The file is INI, read with inih (Debian libinih):
 *
 *   [global]            threads, maxconn, grace, admin, access-log, journal, ...
 *   [listen NAME]       bind (repeatable), mode, route (repeatable), default-pool, ...
 *   [pool NAME]         server (repeatable), balance, timeouts, checks, ...
 *
 * inih is driven through ini_parse_stream() with our own line reader, which
 * counts lines (so every error names its line, not only the first) and
 * catches what inih would silently cut or skip: over-long lines and lines
 * that are neither a section, a key = value nor a comment. Every key is in
 * one table with its section, type and bounds; values go through the same
 * builders as the command-line flags (config.c). docs/lb.md is the reference.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "core/units.h"
#include "lb/config.h"
#include "lb/config_file.h"

#define LINE_MAX_LEN 1024

enum sect { S_GLOBAL, S_LISTEN, S_POOL };
enum kind { K_DUR, K_INT, K_SIZE, K_FUNC };

struct ctx {
	struct lb_config *cfg;
	FILE *f;
	int line;
	enum sect sect;
	int sect_ok;            /* the current section header was good */
	int in_section;         /* a section header has been seen */
	struct frontend *fe;
	struct pool *pool;
	void (*report)(void *arg, int line, const char *msg);
	void *arg;
	int errors;
};

typedef int (*setter)(struct ctx *c, const char *v, char *err);

struct key {
	enum sect sect;
	const char *name;
	enum kind kind;
	size_t off;             /* in struct lb_config, frontend or pool */
	int64_t min, max;
	setter fn;
};

static void *
target(struct ctx *c, enum sect s)
{
	return s == S_GLOBAL ? (void *)c->cfg : s == S_LISTEN ? (void *)c->fe : (void *)c->pool;
}

/* ---- setters for values that are not plain numbers ---- */

static int set_bind(struct ctx *c, const char *v, char *e) { return config_add_bind(c->fe, v, e); }
static int set_mode(struct ctx *c, const char *v, char *e) { return config_set_mode(c->fe, v, e); }
static int set_route(struct ctx *c, const char *v, char *e)
{
	if (config_add_route(c->cfg, c->fe, v, e) < 0)
		return -1;
	c->fe->route[c->fe->nroutes - 1].line = c->line;
	return 0;
}
static int set_server(struct ctx *c, const char *v, char *e)
{
	if (config_add_server_line(c->cfg, c->pool, v, e) < 0)
		return -1;
	c->pool->srv[c->pool->nsrv - 1]->line = c->line;
	return 0;
}
static int set_balance(struct ctx *c, const char *v, char *e) { return config_set_balance(c->pool, v, e); }
static int set_check(struct ctx *c, const char *v, char *e) { return config_set_check(c->pool, v, e); }
static int set_expect(struct ctx *c, const char *v, char *e) { return config_set_expect(c->pool, v, e); }
static int set_admin(struct ctx *c, const char *v, char *e) { return config_set_admin(c->cfg, v, e); }
static int set_alog(struct ctx *c, const char *v, char *e) { return config_set_access_log(c->cfg, v, e); }
static int set_aformat(struct ctx *c, const char *v, char *e)
{
	return config_set_access_format(c->cfg, v, e);
}

static int
copy_str(char *dst, size_t cap, const char *v, const char *what, char *e)
{
	if (strlen(v) >= cap) {
		err_set(e, "%s too long (at most %zu characters)", what, cap - 1);
		return -1;
	}
	snprintf(dst, cap, "%s", v);
	return 0;
}

static int
set_default_pool(struct ctx *c, const char *v, char *e)
{
	return copy_str(c->fe->default_pool_name, sizeof(c->fe->default_pool_name), v,
	    "pool name", e);
}

static int
set_check_path(struct ctx *c, const char *v, char *e)
{
	if (v[0] != '/') {
		err_set(e, "check-path must start with '/'");
		return -1;
	}
	return copy_str(c->pool->check.path, sizeof(c->pool->check.path), v, "check-path", e);
}

static int
set_check_host(struct ctx *c, const char *v, char *e)
{
	return copy_str(c->pool->check.host, sizeof(c->pool->check.host), v, "check-host", e);
}

static int
set_token(struct ctx *c, const char *v, char *e)
{
	return copy_str(c->cfg->admin_token, sizeof(c->cfg->admin_token), v, "admin-token", e);
}

static int
yes_no(const char *v, int *out, char *e)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "on") == 0 || strcmp(v, "true") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0 || strcmp(v, "off") == 0 || strcmp(v, "false") == 0)
		*out = 0;
	else {
		err_set(e, "expected yes or no, not '%s'", v);
		return -1;
	}
	return 0;
}

static int set_remote(struct ctx *c, const char *v, char *e) { return yes_no(v, &c->cfg->admin_any, e); }

static int
set_journal(struct ctx *c, const char *v, char *e)
{
	if (strcmp(v, "off") == 0) {
		c->cfg->journal_off = 1;
		return 0;
	}
	c->cfg->journal_off = 0;
	return copy_str(c->cfg->journal, sizeof(c->cfg->journal), v, "journal path", e);
}

static int
set_log_level(struct ctx *c, const char *v, char *e)
{
	enum log_level lvl;

	if (log_parse_level(v, &lvl) < 0) {
		err_set(e, "unknown log level '%s' (error, warn, notice, info, debug)", v);
		return -1;
	}
	c->cfg->log_level = lvl;
	c->cfg->log_level_set = 1;
	return 0;
}

static int
set_maxconn(struct ctx *c, const char *v, char *e)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (end == v || *end || errno || n < 1 || n > 10000000) {
		err_set(e, "maxconn must be a whole number from 1 to 10000000, not '%s'", v);
		return -1;
	}
	c->cfg->maxconn = (int)n;
	c->cfg->maxconn_set = 1;
	return 0;
}

#define G(name, kind, field, min, max) \
	{ S_GLOBAL, name, kind, offsetof(struct lb_config, field), min, max, NULL }
#define L(name, kind, field, min, max) \
	{ S_LISTEN, name, kind, offsetof(struct frontend, field), min, max, NULL }
#define P(name, kind, field, min, max) \
	{ S_POOL, name, kind, offsetof(struct pool, field), min, max, NULL }
#define F(sect, name, fn) { sect, name, K_FUNC, 0, 0, 0, fn }

static const struct key keys[] = {
	G("threads", K_INT, threads, 1, 256),
	F(S_GLOBAL, "maxconn", set_maxconn),
	G("grace", K_DUR, t_grace, 0, 86400000),
	F(S_GLOBAL, "admin", set_admin),
	F(S_GLOBAL, "admin-token", set_token),
	F(S_GLOBAL, "admin-allow-remote", set_remote),
	F(S_GLOBAL, "access-log", set_alog),
	F(S_GLOBAL, "access-log-format", set_aformat),
	F(S_GLOBAL, "journal", set_journal),
	F(S_GLOBAL, "log-level", set_log_level),

	F(S_LISTEN, "bind", set_bind),
	F(S_LISTEN, "mode", set_mode),
	F(S_LISTEN, "route", set_route),
	F(S_LISTEN, "default-pool", set_default_pool),
	L("timeout-client", K_DUR, t_client, 1, 86400000),
	L("timeout-request", K_DUR, t_request, 1, 86400000),
	L("timeout-tunnel", K_DUR, t_tunnel, 1, 604800000),
	L("max-body", K_SIZE, max_body, 0, INT64_MAX),
	L("max-request-line", K_SIZE, lim.max_line, 64, 8192),
	L("max-header-size", K_SIZE, lim.max_head, 256, LB_BUFSIZE - 1024),
	L("max-headers", K_SIZE, lim.max_hdrs, 1, LB_MAX_HDRS),

	F(S_POOL, "server", set_server),
	F(S_POOL, "balance", set_balance),
	P("timeout-connect", K_DUR, t_connect, 1, 3600000),
	P("timeout-server", K_DUR, t_server, 1, 86400000),
	P("queue-timeout", K_DUR, t_queue, 1, 86400000),
	P("pool-idle", K_DUR, t_pool_idle, 1, 86400000),
	P("retries", K_INT, retries, 0, 100),
	P("max-idle", K_INT, max_idle, 0, 100000),
	F(S_POOL, "check", set_check),
	F(S_POOL, "check-path", set_check_path),
	F(S_POOL, "check-host", set_check_host),
	F(S_POOL, "check-expect", set_expect),
	P("check-interval", K_DUR, check.interval, 10, 86400000),
	P("check-timeout", K_DUR, check.timeout, 1, 3600000),
	P("rise", K_INT, check.rise, 1, 100),
	P("fall", K_INT, check.fall, 1, 100),
	P("passive-fall", K_INT, passive_fall, 0, 1000),
	P("passive-rest", K_DUR, passive_rest, 1, 86400000),
	P("slow-start", K_DUR, slow_start, 0, 86400000),
};

static const char *const sect_names[] = { "global", "listen NAME", "pool NAME" };

static void
problem(struct ctx *c, const char *fmt, ...)
{
	char msg[ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) >= (int)sizeof(msg))
		msg[sizeof(msg) - 1] = '\0';
	va_end(ap);
	c->report(c->arg, c->line, msg);
	c->errors++;
}

static void
enter_section(struct ctx *c, const char *section)
{
	char err[ERR_LEN];

	c->sect_ok = 0;
	c->fe = NULL;
	c->pool = NULL;
	if (strcmp(section, "global") == 0) {
		c->sect = S_GLOBAL;
	} else if (strncmp(section, "listen ", 7) == 0) {
		c->sect = S_LISTEN;
		if ((c->fe = config_add_frontend(c->cfg, section + 7, err)) == NULL) {
			problem(c, "[%s]: %s", section, err);
			return;
		}
		c->fe->line = c->line;
	} else if (strncmp(section, "pool ", 5) == 0) {
		c->sect = S_POOL;
		if ((c->pool = config_add_pool(c->cfg, section + 5, err)) == NULL) {
			problem(c, "[%s]: %s", section, err);
			return;
		}
		c->pool->line = c->line;
	} else {
		problem(c, "unknown section [%s] (global, listen NAME, pool NAME)", section);
		return;
	}
	c->sect_ok = 1;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct ctx *c = user;
	char err[ERR_LEN];
	const struct key *k = NULL;
	void *base;

	(void)section;                  /* the reader keeps track of sections */
	if (!c->in_section) {
		problem(c, "'%s' outside any section: start with [global], [listen NAME] or "
		    "[pool NAME]", name);
		return 1;
	}
	if (!c->sect_ok)
		return 1;               /* the section header was already reported */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].sect == c->sect && strcmp(keys[i].name, name) == 0)
			k = &keys[i];
	if (k == NULL) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(keys[i].name, name) == 0) {
				problem(c, "'%s' belongs in a [%s] section", name,
				    sect_names[keys[i].sect]);
				return 1;
			}
		problem(c, "unknown key '%s' in [%s]", name, sect_names[c->sect]);
		return 1;
	}
	if (value[0] == '\0') {
		problem(c, "%s: missing value", name);
		return 1;
	}
	base = (char *)target(c, c->sect) + k->off;
	switch (k->kind) {
	case K_FUNC:
		if (k->fn(c, value, err) < 0)
			problem(c, "%s: %s", name, err);
		break;
	case K_DUR: {
		int64_t ms;

		if (units_duration(value, &ms, err) < 0)
			problem(c, "%s: %s", name, err);
		else if (ms < k->min || ms > k->max)
			problem(c, "%s: %s is out of range", name, value);
		else
			*(int64_t *)base = ms;
		break;
	}
	case K_SIZE: {
		uint64_t v;

		if (units_size(value, &v, err) < 0)
			problem(c, "%s: %s", name, err);
		else if ((int64_t)v < k->min || v > (uint64_t)k->max)
			problem(c, "%s: %s is out of range (%lld to %lld)", name, value,
			    (long long)k->min, (long long)k->max);
		else if (k->off == offsetof(struct frontend, max_body))
			*(uint64_t *)base = v;
		else
			*(size_t *)base = (size_t)v;
		break;
	}
	case K_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (end == value || *end || errno || v < k->min || v > k->max)
			problem(c, "%s must be a whole number from %lld to %lld, not '%s'", name,
			    (long long)k->min, (long long)k->max, value);
		else
			*(int *)base = (int)v;
		break;
	}
	}
	return 1;
}

/*
 * inih's line reader, counting lines and catching what inih would take
 * quietly: over-long lines and lines with no '=' that are not sections or
 * comments. Such lines are reported and handed to inih as blank.
 */
static char *
reader(char *str, int num, void *stream)
{
	struct ctx *c = stream;
	char line[LINE_MAX_LEN + 3];    /* the text, "\r\n", '\0' */
	size_t n, text;
	const char *p;

	if (fgets(line, sizeof(line), c->f) == NULL)
		return NULL;
	c->line++;
	n = strlen(line);
	text = n;
	if (text > 0 && line[text - 1] == '\n')
		text--;
	if (text > 0 && line[text - 1] == '\r')
		text--;
	if ((n > 0 && line[n - 1] != '\n' && !feof(c->f)) || text > LINE_MAX_LEN) {
		int ch;

		problem(c, "line longer than %d characters", LINE_MAX_LEN);
		if (line[n - 1] != '\n')
			while ((ch = fgetc(c->f)) != EOF && ch != '\n')
				;
		snprintf(str, (size_t)num, "\n");
		return str;
	}
	if (n >= (size_t)num) {
		problem(c, "line longer than %d characters", num - 2);
		snprintf(str, (size_t)num, "\n");
		return str;
	}
	p = line;
	if (c->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;                 /* a UTF-8 BOM, which inih skips too */
	for (; *p == ' ' || *p == '\t'; p++)
		;
	if (*p != '\0' && *p != '\n' && *p != '\r' && *p != '#' && *p != ';') {
		const char *close = strchr(p, ']');

		if (*p == '[') {
			char name[LINE_MAX_LEN];
			const char *a = p + 1, *z = close;

			if (close == NULL) {
				problem(c, "section header without ']'");
				c->in_section = 1;
				c->sect_ok = 0;
				snprintf(str, (size_t)num, "\n");
				return str;
			}
			while (a < z && (*a == ' ' || *a == '\t'))
				a++;
			while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
				z--;
			snprintf(name, sizeof(name), "%.*s", (int)(z - a), a);
			/* "listen  web" and "listen\tweb" mean "listen web" */
			for (char *q = name; *q; q++)
				if (*q == '\t')
					*q = ' ';
			for (char *q = strchr(name, ' '); q && q[1] == ' '; )
				memmove(q, q + 1, strlen(q));
			c->in_section = 1;
			enter_section(c, name);
		}
		if (*p != '[' && strchr(p, '=') == NULL) {
			problem(c, "expected KEY = VALUE, [SECTION] or a comment");
			snprintf(str, (size_t)num, "\n");
			return str;
		}
	}
	snprintf(str, (size_t)num, "%s", line);
	return str;
}

int
config_load_file(struct lb_config *cfg, const char *path,
    void (*report)(void *arg, int line, const char *msg), void *arg, char *err)
{
	struct ctx c = { .cfg = cfg, .report = report, .arg = arg };
	int rc;

	if ((c.f = fopen(path, "re")) == NULL) {
		err_set(err, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (strlen(path) >= sizeof(cfg->path)) {
		err_set(err, "path too long: %s", path);
		fclose(c.f);
		return -1;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	/* Indentation is for people; in inih it would make continuation lines. */
	ini_allow_multiline = 0;
	/* inih's line buffer is 200 bytes unless told; ours is the limit */
	ini_max_line = LINE_MAX_LEN + 3;
	rc = ini_parse_stream(reader, &c, handler, &c);
	if (rc < 0)
		problem(&c, "cannot parse: %s", rc == -2 ? "out of memory" : "read error");
	else if (rc > 0 && c.errors == 0) {
		c.line = rc;
		problem(&c, "cannot parse this line");
	}
	if (ferror(c.f)) {
		err_set(err, "cannot read %s: %s", path, strerror(errno));
		fclose(c.f);
		return -1;
	}
	fclose(c.f);
	return c.errors;
}

int
config_check_bounds(struct lb_config *cfg, void (*report)(void *arg, int line, const char *msg),
    void *arg)
{
	struct ctx c = { .cfg = cfg, .report = report, .arg = arg };

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const struct key *key = &keys[k];
		int count = key->sect == S_GLOBAL ? 1 : key->sect == S_LISTEN ? cfg->nfe : cfg->npools;

		if (key->kind != K_DUR && key->kind != K_INT)
			continue;
		for (int i = 0; i < count; i++) {
			const char *base, *where;
			int64_t v;

			if (key->sect == S_GLOBAL) {
				base = (const char *)cfg;
				where = "";
				c.line = 0;
			} else if (key->sect == S_LISTEN) {
				base = (const char *)&cfg->fe[i];
				where = cfg->fe[i].name;
				c.line = cfg->fe[i].line;
			} else {
				base = (const char *)&cfg->pool[i];
				where = cfg->pool[i].name;
				c.line = cfg->pool[i].line;
			}
			v = key->kind == K_DUR ? *(const int64_t *)(const void *)(base + key->off) :
			    *(const int *)(const void *)(base + key->off);
			if (v >= key->min && v <= key->max)
				continue;
			if (key->kind == K_DUR) {
				char a[32], lo[32], hi[32];

				units_fmt_duration(v, a, sizeof(a));
				units_fmt_duration(key->min, lo, sizeof(lo));
				units_fmt_duration(key->max, hi, sizeof(hi));
				problem(&c, "%s%s%s%s %s is out of range (%s to %s)",
				    key->sect == S_LISTEN ? "listener '" : key->sect == S_POOL ? "pool '" : "",
				    where, key->sect == S_GLOBAL ? "" : "': ", key->name, a, lo, hi);
			} else {
				problem(&c, "%s%s%s%s %lld is out of range (%lld to %lld)",
				    key->sect == S_LISTEN ? "listener '" : key->sect == S_POOL ? "pool '" : "",
				    where, key->sect == S_GLOBAL ? "" : "': ", key->name, (long long)v,
				    (long long)key->min, (long long)key->max);
			}
		}
	}
	return c.errors;
}

/* ---- writing ---- */

static void
put_dur(FILE *out, const char *key, int64_t ms)
{
	char d[32];

	units_fmt_duration(ms, d, sizeof(d));
	fprintf(out, "%s = %s\n", key, d);
}

static void
put_size(FILE *out, const char *key, uint64_t v)
{
	if (v != 0 && v % (1024 * 1024) == 0)
		fprintf(out, "%s = %lluM\n", key, (unsigned long long)(v >> 20));
	else if (v != 0 && v % 1024 == 0)
		fprintf(out, "%s = %lluk\n", key, (unsigned long long)(v >> 10));
	else
		fprintf(out, "%s = %llu\n", key, (unsigned long long)v);
}

static const char *const level_names[] = { "error", "warn", "notice", "info", "debug" };

void
config_dump(const struct lb_config *cfg, FILE *out)
{
	fprintf(out, "# brace lb configuration%s%s\n", cfg->path[0] ? " from " : "",
	    cfg->path);
	fprintf(out, "# check with: brace lb -c FILE --check; reference: docs/lb.md\n\n");
	fprintf(out, "[global]\n");
	fprintf(out, "threads = %d\n", cfg->threads);
	if (cfg->maxconn_set)
		fprintf(out, "maxconn = %d\n", cfg->maxconn);
	else
		fprintf(out, "; maxconn = %d  (default: as many as the open files limit allows)\n",
		    cfg->maxconn);
	put_dur(out, "grace", cfg->t_grace);
	if (cfg->admin_str[0]) {
		fprintf(out, "admin = %s\n", cfg->admin_str);
		if (cfg->admin_token[0])
			fprintf(out, "admin-token = %s\n", cfg->admin_token);
		if (cfg->admin_any)
			fprintf(out, "admin-allow-remote = yes\n");
	}
	fprintf(out, "access-log = %s\n", cfg->access_log[0] ? cfg->access_log : "off");
	fprintf(out, "access-log-format = %s\n",
	    cfg->access_format == ALOG_JSON ? "json" : "combined");
	if (cfg->journal_off)
		fprintf(out, "journal = off\n");
	else if (cfg->journal[0])
		fprintf(out, "journal = %s\n", cfg->journal);
	fprintf(out, "log-level = %s\n", level_names[cfg->log_level]);

	for (int i = 0; i < cfg->nfe; i++) {
		const struct frontend *fe = &cfg->fe[i];

		fprintf(out, "\n[listen %s]\n", fe->name);
		for (int b = 0; b < fe->nbind; b++)
			fprintf(out, "bind = %s\n", fe->bind[b].str);
		fprintf(out, "mode = %s\n", config_mode_name(fe->mode));
		for (int r = 0; r < fe->nroutes; r++) {
			const struct route *rt = &fe->route[r];

			fprintf(out, "route =");
			if (rt->host[0])
				fprintf(out, " host=%s", rt->host);
			if (rt->path[0])
				fprintf(out, " path=%s", rt->path);
			fprintf(out, " pool=%s\n", rt->pool_name);
		}
		if (fe->default_pool_name[0])
			fprintf(out, "default-pool = %s\n", fe->default_pool_name);
		put_dur(out, "timeout-client", fe->t_client);
		put_dur(out, "timeout-request", fe->t_request);
		put_dur(out, "timeout-tunnel", fe->t_tunnel);
		put_size(out, "max-body", fe->max_body);
		put_size(out, "max-request-line", fe->lim.max_line);
		put_size(out, "max-header-size", fe->lim.max_head);
		fprintf(out, "max-headers = %zu\n", fe->lim.max_hdrs);
	}
	for (int i = 0; i < cfg->npools; i++) {
		const struct pool *p = &cfg->pool[i];

		fprintf(out, "\n[pool %s]\n", p->name);
		if (p->balance == BAL_HASH_HEADER)
			fprintf(out, "balance = hash-header:%s\n", p->hash_header);
		else
			fprintf(out, "balance = %s\n", config_balance_name(p->balance));
		for (int k = 0; k < p->nsrv; k++) {
			const struct server *sv = p->srv[k];

			fprintf(out, "server = %s %s", sv->name, sv->addr_str);
			if (sv->weight != 1)
				fprintf(out, " weight=%d", sv->weight);
			if (sv->maxconn != 0)
				fprintf(out, " maxconn=%d", sv->maxconn);
			fputc('\n', out);
		}
		put_dur(out, "timeout-connect", p->t_connect);
		put_dur(out, "timeout-server", p->t_server);
		put_dur(out, "queue-timeout", p->t_queue);
		put_dur(out, "pool-idle", p->t_pool_idle);
		fprintf(out, "retries = %d\n", p->retries);
		fprintf(out, "max-idle = %d\n", p->max_idle);
		fprintf(out, "check = %s\n", config_check_name(p->check.type));
		if (p->check.type == CHECK_HTTP) {
			fprintf(out, "check-path = %s\n", p->check.path);
			if (p->check.host[0])
				fprintf(out, "check-host = %s\n", p->check.host);
			if (p->check.expect < 10)
				fprintf(out, "check-expect = %dxx\n", p->check.expect);
			else
				fprintf(out, "check-expect = %d\n", p->check.expect);
		}
		put_dur(out, "check-interval", p->check.interval);
		put_dur(out, "check-timeout", p->check.timeout);
		fprintf(out, "rise = %d\n", p->check.rise);
		fprintf(out, "fall = %d\n", p->check.fall);
		fprintf(out, "passive-fall = %d\n", p->passive_fall);
		put_dur(out, "passive-rest", p->passive_rest);
		put_dur(out, "slow-start", p->slow_start);
	}
}

struct read_ctx {
	const char *path;
	int n;
};

static void
log_problem(void *arg, int line, const char *msg)
{
	struct read_ctx *r = arg;

	r->n++;
	if (line > 0)
		log_error("%s:%d: %s", r->path, line, msg);
	else
		log_error("%s: %s", r->path, msg);
}

struct lb_config *
config_file_read(const char *path, int *nerrors)
{
	struct read_ctx r = { path, 0 };
	struct lb_config *cfg = config_new();
	char err[ERR_LEN];

	if (cfg == NULL) {
		log_error("out of memory");
		*nerrors = 1;
		return NULL;
	}
	if (config_load_file(cfg, path, log_problem, &r, err) < 0) {
		log_error("%s", err);
		r.n++;
	} else {
		/* also after errors: the user gets every problem in one go */
		config_finish(cfg, log_problem, &r);
	}
	*nerrors = r.n;
	if (r.n > 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}
