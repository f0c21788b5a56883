/*
 * config_file.c - reading and writing the load balancer's configuration file.
 *
 *   [global]            threads, maxconn, grace, admin, access-log, journal, ...
 *   [listen NAME]       bind (repeatable), mode, route (repeatable), default-pool, ...
 *   [pool NAME]         server (repeatable), balance, timeouts, checks, ...
 *
 * The lines are read here, as git, nginx and HAProxy read theirs, rather
 * than through an INI library: every error must name its line and the
 * reading must go on to find the next one; over-long lines and lines that
 * are neither a section, a key nor a comment are errors rather than skipped
 * or cut. A line is, once trimmed of white space: empty; a comment ('#' or
 * ';' first); "[SECTION]"; or "KEY = VALUE", where " ;" (a semicolon after
 * white space) starts a comment. The key's row in config_key.c does the
 * rest, as it does for the command-line flags. docs/lb.md is the reference.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "lb/config.h"
#include "lb/config_file.h"
#include "lb/config_key.h"

#define LINE_MAX_LEN 1024

struct ctx {
	struct config_at at;            /* cfg, the section's object, the line */
	FILE *f;
	enum config_sect sect;
	int sect_ok;                    /* the current section header was good */
	int in_section;                 /* a section header has been seen */
	void (*report)(void *arg, int line, const char *msg);
	void *arg;
	int errors;
};

static void
problem(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
problem(struct ctx *c, const char *fmt, ...)
{
	char msg[ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) >= (int)sizeof(msg))
		msg[sizeof(msg) - 1] = '\0';
	va_end(ap);
	c->report(c->arg, c->at.line, msg);
	c->errors++;
}

/*
 * Read the next line into buf (cap bytes), without its "\n" or "\r\n":
 * 1 and its length in *len, 0 at the end of the file, -1 on a read error.
 * A line longer than LINE_MAX_LEN, or holding a NUL byte, is read to its
 * end (the next line is counted right) and reported.
 */
static int
read_line(struct ctx *c, char *buf, size_t cap, size_t *len)
{
	size_t n = 0, total = 0;
	int ch, last = 0, nul = 0;

	while ((ch = getc(c->f)) != EOF && ch != '\n') {
		if (n < cap - 1)
			buf[n++] = (char)ch;
		nul |= ch == '\0';
		last = ch;
		total++;
	}
	if (ch == EOF && (total == 0 || ferror(c->f)))
		return ferror(c->f) ? -1 : 0;
	c->at.line++;
	if (last == '\r')
		total--;
	buf[n] = '\0';
	*len = n;
	if (total > LINE_MAX_LEN) {
		problem(c, "line longer than %d characters", LINE_MAX_LEN);
		*len = 0;
	} else if (nul) {
		problem(c, "a NUL byte in the line");
		*len = 0;
	} else if (last == '\r') {
		buf[--n] = '\0';
		*len = n;
	}
	buf[*len] = '\0';
	return 1;
}

/* Trim white space at both ends of [p, p + strlen(p)), in place. */
static char *
trim(char *p)
{
	char *e = p + strlen(p);

	while (isspace((unsigned char)*p))
		p++;
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	*e = '\0';
	return p;
}

static void
enter_section(struct ctx *c, const char *section)
{
	char err[ERR_LEN];

	c->in_section = 1;
	c->sect_ok = 0;
	c->at.fe = NULL;
	c->at.pool = NULL;
	if (strcmp(section, "global") == 0) {
		c->sect = SECT_GLOBAL;
	} else if (strncmp(section, "listen ", 7) == 0) {
		c->sect = SECT_LISTEN;
		if ((c->at.fe = config_add_frontend(c->at.cfg, section + 7, err)) == NULL) {
			problem(c, "[%s]: %s", section, err);
			return;
		}
		c->at.fe->line = c->at.line;
	} else if (strncmp(section, "pool ", 5) == 0) {
		c->sect = SECT_POOL;
		if ((c->at.pool = config_add_pool(c->at.cfg, section + 5, err)) == NULL) {
			problem(c, "[%s]: %s", section, err);
			return;
		}
		c->at.pool->line = c->at.line;
	} else {
		problem(c, "unknown section [%s] (global, listen NAME, pool NAME)", section);
		return;
	}
	c->sect_ok = 1;
}

/* "[ listen   web ]" is [listen web]: spaces and tabs inside count as one space. */
static void
section_line(struct ctx *c, char *p)
{
	char *close = strchr(p, ']'), *name, *w;

	if (close == NULL) {
		problem(c, "section header without ']'");
		c->in_section = 1;
		c->sect_ok = 0;
		return;
	}
	*close = '\0';
	name = trim(p + 1);
	for (char *r = w = name; *r; r++) {
		if (*r == ' ' || *r == '\t') {
			if (w > name && w[-1] == ' ')
				continue;
			*w++ = ' ';
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	enter_section(c, name);
}

/* A line of the current section was refused: what it would have added is missing. */
static void
refused(struct ctx *c)
{
	if (c->at.fe != NULL)
		c->at.fe->refused++;
	if (c->at.pool != NULL)
		c->at.pool->refused++;
}

static void
key_line(struct ctx *c, const char *name, const char *value)
{
	const struct config_key *k;
	char err[ERR_LEN];

	if (!c->in_section) {
		problem(c, "'%s' outside any section: start with [global], [listen NAME] or "
		    "[pool NAME]", name);
		return;
	}
	if (!c->sect_ok)
		return;                 /* the section header was already reported */
	if ((k = config_key_find(c->sect, name)) == NULL) {
		if ((k = config_key_named(name)) != NULL)
			problem(c, "'%s' belongs in a [%s] section", name, config_sect_names[k->sect]);
		else
			problem(c, "unknown key '%s' in [%s]", name, config_sect_names[c->sect]);
		refused(c);
		return;
	}
	if (config_key_set(&c->at, k, value, name, err) < 0) {
		problem(c, "%s", err);
		refused(c);
	}
}

static void
parse_line(struct ctx *c, char *line)
{
	char *p = line, *eq;

	if (c->at.line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;                 /* a UTF-8 byte order mark */
	p = trim(p);
	if (*p == '\0' || *p == '#' || *p == ';')
		return;
	if (*p == '[') {
		section_line(c, p);
		return;
	}
	for (char *q = p + 1; *q; q++) {
		if (*q == ';' && isspace((unsigned char)q[-1])) {
			*q = '\0';
			break;
		}
	}
	if ((eq = strchr(p, '=')) == NULL || eq == p) {
		problem(c, "expected KEY = VALUE, [SECTION] or a comment");
		return;
	}
	*eq = '\0';
	key_line(c, trim(p), trim(eq + 1));
}

int
config_file_load(struct lb_config *cfg, const char *path,
    void (*report)(void *arg, int line, const char *msg), void *arg, char *err)
{
	struct ctx c = { .at.cfg = cfg, .report = report, .arg = arg };
	char line[LINE_MAX_LEN + 2];
	size_t len;
	int rc;

	if (strlen(path) >= sizeof(cfg->path)) {
		err_set(err, "path too long: %s", path);
		return -1;
	}
	if ((c.f = fopen(path, "re")) == NULL) {
		err_set(err, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	while ((rc = read_line(&c, line, sizeof(line), &len)) > 0)
		parse_line(&c, line);
	if (rc < 0) {
		err_set(err, "cannot read %s: %s", path, strerror(errno));
		fclose(c.f);
		return -1;
	}
	fclose(c.f);
	return c.errors;
}

/* A section header and every key of the section, for the object at `at`. */
static void
dump_section(const struct config_at *at, enum config_sect sect, const char *name, FILE *out)
{
	fprintf(out, "[%.*s%s]\n", (int)strcspn(config_sect_names[sect], " "),
	    config_sect_names[sect], name);
	for (size_t k = 0; k < config_nkeys; k++)
		if (config_keys[k].sect == sect)
			config_key_dump(at, &config_keys[k], out);
}

void
config_file_dump(const struct lb_config *cfg, FILE *out)
{
	struct config_at at = { .cfg = (struct lb_config *)cfg };
	char name[LB_NAME_LEN + 1];

	fprintf(out, "# brace lb configuration%s%s\n", cfg->path[0] ? " from " : "", cfg->path);
	fprintf(out, "# check with: brace lb -c FILE --check; reference: docs/lb.md\n\n");
	dump_section(&at, SECT_GLOBAL, "", out);
	for (int i = 0; i < cfg->nfe; i++) {
		at.fe = (struct frontend *)&cfg->fe[i];
		snprintf(name, sizeof(name), " %s", at.fe->name);
		fputc('\n', out);
		dump_section(&at, SECT_LISTEN, name, out);
	}
	at.fe = NULL;
	for (int i = 0; i < cfg->npools; i++) {
		at.pool = (struct pool *)&cfg->pool[i];
		snprintf(name, sizeof(name), " %s", at.pool->name);
		fputc('\n', out);
		dump_section(&at, SECT_POOL, name, out);
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
	if (config_file_load(cfg, path, log_problem, &r, err) < 0) {
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
