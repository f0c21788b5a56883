/*
 * db_url.c - database URLs: parsing, writing back without the password,
 * hiding passwords in arbitrary text, reading a password file.
 *
 * The parser follows libpq's URI rules (user info, host or [IPv6], port,
 * database, query parameters, percent-encoding) with one leniency: the user
 * info ends at the last '@' before the first '?', so a password with an
 * unencoded '/', ':' or '@' in it still works (a '?' or '%' in a password must
 * be written %3F, %25). Nothing here ever copies a password into an error
 * message.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/db.h"
#include "core/db_int.h"
#include "core/err.h"

static const struct {
	const char *name;
	enum db_kind kind;
} schemes[] = {
	{ "postgresql", DB_POSTGRES },
	{ "postgres", DB_POSTGRES },
	{ "mysql", DB_MYSQL },
	{ "mariadb", DB_MYSQL },
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode s[0..n) into a new string. NULL with err naming what (never
 * the text itself, which may be a password) on bad escapes, %00 or ENOMEM.
 */
static char *
decode(const char *s, size_t n, const char *what, char *err)
{
	char *out = malloc(n + 1), *o = out;

	if (out == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
		int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			err_set(err, "invalid percent-encoding in the %s (write %%25 for a '%%')", what);
			free(out); out = NULL;
			return NULL;
		}
		*o++ = (char)(hi * 16 + lo);
		i += 2;
	}
	*o = '\0';
	return out;
}

/* Replace *slot with a decoded copy of s[0..n); 0 / -1. */
static int
set_decoded(char **slot, const char *s, size_t n, const char *what, char *err)
{
	char *v = decode(s, n, what, err);

	if (v == NULL)
		return -1;
	free(*slot); *slot = v;
	return 0;
}

static int
parse_port(const char *s, size_t n, int *port, char *err)
{
	long v = 0;

	if (n == 0 || n > 5)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			goto bad;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		goto bad;
	*port = (int)v;
	return 0;
bad:
	/*
	 * Quote it only when it looks like an attempt at a port: a "port="
	 * value runs to the next '&' and may hold what the user meant as a
	 * password.
	 */
	if (n <= 16 && strspn(s, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "+-. ") >= n)
		err_set(err, "invalid port '%.*s' (expected 1 to 65535)", (int)n, s);
	else
		err_set(err, "invalid port (expected 1 to 65535)");
	return -1;
}

/* host[:port], [v6][:port]; an empty host leaves u->host NULL. */
static int
parse_hostport(struct db_url *u, const char *s, size_t n, char *err)
{
	const char *colon = NULL;
	size_t hlen;

	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL) {
			err_set(err, "missing ']' after the IPv6 address");
			return -1;
		}
		if (set_decoded(&u->host, s + 1, (size_t)(close - s - 1), "host", err) < 0)
			return -1;
		if ((size_t)(close - s + 1) < n) {
			if (close[1] != ':') {
				err_set(err, "unexpected text after the IPv6 address");
				return -1;
			}
			return parse_port(close + 2, n - (size_t)(close - s) - 2, &u->port, err);
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i] == ':')
			colon = s + i;
	if (memchr(s, ',', n) != NULL) {
		err_set(err, "several hosts in one URL are not supported");
		return -1;
	}
	hlen = colon ? (size_t)(colon - s) : n;
	if (hlen > 0 && set_decoded(&u->host, s, hlen, "host", err) < 0)
		return -1;
	if (colon != NULL)
		return parse_port(colon + 1, n - hlen - 1, &u->port, err);
	return 0;
}

/* user[:password] */
static int
parse_userinfo(struct db_url *u, const char *s, size_t n, char *err)
{
	const char *colon = memchr(s, ':', n);
	size_t ulen = colon ? (size_t)(colon - s) : n;

	if (ulen > 0 && set_decoded(&u->user, s, ulen, "user name", err) < 0)
		return -1;
	if (colon != NULL &&
	    set_decoded(&u->password, colon + 1, n - ulen - 1, "password", err) < 0)
		return -1;
	if (u->password != NULL && strlen(u->password) >= DB_PASSWORD_MAX) {
		err_set(err, "the password is longer than %d bytes", DB_PASSWORD_MAX - 1);
		return -1;
	}
	return 0;
}

/*
 * The MySQL/MariaDB TLS parameters, named as the mysql client's options
 * (ssl-mode, ssl-ca, ...; "ssl_ca" is the same). The canonical name, or NULL.
 */
static const char *
my_tls_param(const char *key)
{
	static const char *const names[] = {
		"ssl-mode", "ssl-ca", "ssl-capath", "ssl-cert", "ssl-key",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *a = names[i], *b = key;

		while (*a != '\0' && (*a == *b || (*a == '-' && *b == '_'))) {
			a++;
			b++;
		}
		if (*a == '\0' && *b == '\0')
			return names[i];
	}
	return NULL;
}

/* Is v one of the words in list (a NULL-terminated array)? */
static int
one_of(const char *v, const char *const *list, int nocase)
{
	for (; *list != NULL; list++)
		if ((nocase ? strcasecmp(v, *list) : strcmp(v, *list)) == 0)
			return 1;
	return 0;
}

/*
 * Values that can be checked before connecting, so that a typo is a usage
 * error at once rather than a failure at connect time (or a gate that
 * waits for a database that will never let it in).
 */
static int
check_param_value(enum db_kind kind, const char *key, const char *val, char *err)
{
	static const char *const my_modes[] = {
		"DISABLED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY", NULL,
	};
	static const char *const pg_sslmodes[] = {
		"disable", "allow", "prefer", "require", "verify-ca", "verify-full", NULL,
	};
	static const char *const pg_gssmodes[] = { "disable", "prefer", "require", NULL };
	static const char *const pg_attrs[] = {
		"any", "read-write", "read-only", "primary", "standby", "prefer-standby", NULL,
	};
	static const char *const pg_ints[] = {
		"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
		"keepalives_count", "tcp_user_timeout", NULL,
	};
	char shown[ERR_LEN];

	/* A value quoted in a message may hold a pasted "?password=...": hide it. */
	db_redact(val, shown, sizeof(shown));

	if (kind == DB_MYSQL) {
		if (strcmp(key, "ssl-mode") == 0 && !one_of(val, my_modes, 1)) {
			err_set(err, "ssl-mode '%s' is not one of DISABLED, REQUIRED, VERIFY_CA, "
			    "VERIFY_IDENTITY", shown);
			return -1;
		}
		if (strcmp(key, "ssl-mode") != 0 && access(val, R_OK) < 0) {
			err_set(err, "%s: cannot read %s: %s", key, shown, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "sslmode") == 0 && !one_of(val, pg_sslmodes, 0)) {
		err_set(err, "sslmode '%s' is not one of disable, allow, prefer, require, "
		    "verify-ca, verify-full", shown);
		return -1;
	}
	if (strcmp(key, "gssencmode") == 0 && !one_of(val, pg_gssmodes, 0)) {
		err_set(err, "gssencmode '%s' is not one of disable, prefer, require", shown);
		return -1;
	}
	if (strcmp(key, "target_session_attrs") == 0 && !one_of(val, pg_attrs, 0)) {
		err_set(err, "target_session_attrs '%s' is not one of any, read-write, read-only, "
		    "primary, standby, prefer-standby", shown);
		return -1;
	}
	if (one_of(key, pg_ints, 0) && (val[0] == '\0' || strspn(val, "0123456789") != strlen(val))) {
		err_set(err, "%s '%s' is not a whole number", key, shown);
		return -1;
	}
	return 0;
}

/* One key=value of the query string; the well-known keys fill the fields. */
static int
parse_param(struct db_url *u, const char *s, size_t n, char *err)
{
	const char *eq = memchr(s, '=', n);
	char *key = NULL, *val = NULL;

	if (n == 0)
		return 0;
	if (eq == NULL) {
		err_set(err, "parameter '%.*s' has no value (expected key=value)",
		    (int)(n > 40 ? 40 : n), s);
		return -1;
	}
	if ((key = decode(s, (size_t)(eq - s), "parameter name", err)) == NULL)
		return -1;
	if ((val = decode(eq + 1, n - (size_t)(eq - s) - 1,
	    strcmp(key, "password") == 0 ? "password" : "parameter value", err)) == NULL)
		goto fail;

	if (strcmp(key, "host") == 0 || (u->kind == DB_MYSQL && strcmp(key, "socket") == 0)) {
		free(u->host); u->host = val;
		val = NULL;
		if (u->kind == DB_MYSQL && strcmp(key, "socket") == 0 && u->host[0] != '/') {
			err_set(err, "socket must be an absolute path");
			goto fail;
		}
	} else if (strcmp(key, "port") == 0) {
		if (parse_port(val, strlen(val), &u->port, err) < 0)
			goto fail;
	} else if (strcmp(key, "user") == 0) {
		free(u->user); u->user = val;
		val = NULL;
	} else if (strcmp(key, "password") == 0) {
		if (strlen(val) >= DB_PASSWORD_MAX) {
			err_set(err, "the password is longer than %d bytes", DB_PASSWORD_MAX - 1);
			goto fail;
		}
		free(u->password); u->password = val;
		val = NULL;
	} else if (strcmp(key, "dbname") == 0 ||
	    (u->kind == DB_MYSQL && strcmp(key, "database") == 0)) {
		free(u->dbname); u->dbname = val;
		val = NULL;
	} else if (u->kind == DB_MYSQL && my_tls_param(key) == NULL) {
		err_set(err, "unknown parameter '%s' for a MySQL/MariaDB URL (known: host, "
		    "socket, port, user, password, database, ssl-mode, ssl-ca, ssl-capath, "
		    "ssl-cert, ssl-key)", key);
		goto fail;
	} else if (u->kind == DB_POSTGRES && !db_pg_known_param(key)) {
		err_set(err, "unknown parameter '%s' for a PostgreSQL URL (not a libpq "
		    "connection keyword)", key);
		goto fail;
	} else {
		if (u->kind == DB_MYSQL) {
			char *canon = strdup(my_tls_param(key));

			free(key);
			if ((key = canon) == NULL) {
				err_set(err, "out of memory");
				goto fail;
			}
		}
		if (check_param_value(u->kind, key, val, err) < 0)
			goto fail;
		if (u->nparams >= DB_URL_MAX_PARAMS) {
			err_set(err, "more than %d parameters", DB_URL_MAX_PARAMS);
			goto fail;
		}
		u->param_key[u->nparams] = key;
		u->param_val[u->nparams] = val;
		u->nparams++;
		return 0;
	}
	free(key); key = NULL;
	free(val); val = NULL;
	return 0;
fail:
	free(key); key = NULL;
	free(val); val = NULL;
	return -1;
}

/*
 * Where the parts of a URL are, without decoding anything: shared by the
 * parser and by the redaction of text that may not parse. Offsets into text.
 */
struct url_parts {
	size_t auth;            /* start of the authority (after "://") */
	size_t at;              /* the '@' ending the user info, or SIZE_MAX */
	size_t query;           /* the '?', or the length of text */
};

static int
url_split(const char *text, struct url_parts *p)
{
	const char *sep = strstr(text, "://");
	size_t len = strlen(text);

	if (sep == NULL)
		return -1;
	p->auth = (size_t)(sep - text) + 3;
	p->at = (size_t)-1;
	p->query = len;
	/* The query starts at the first '?'; the user info ends at the last '@' before it. */
	for (size_t i = p->auth; i < len; i++) {
		if (text[i] == '?') {
			p->query = i;
			break;
		}
		if (text[i] == '@')
			p->at = i;
	}
	return 0;
}

int
db_url_parse(const char *text, struct db_url *u, char *err)
{
	struct url_parts p;
	size_t len = strlen(text), hs, he, i;

	memset(u, 0, sizeof(*u));
	if (len >= DB_URL_MAX) {
		err_set(err, "the URL is longer than %d bytes", DB_URL_MAX - 1);
		return -1;
	}
	if (url_split(text, &p) < 0) {
		err_set(err, "not a database URL (expected postgresql://, mysql:// or mariadb://)");
		return -1;
	}
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].name) == p.auth - 3 &&
		    strncasecmp(text, schemes[i].name, p.auth - 3) == 0) {
			u->kind = schemes[i].kind;
			snprintf(u->scheme, sizeof(u->scheme), "%s", schemes[i].name);
			break;
		}
	}
	if (u->kind == 0) {
		/* Quote the scheme only if it looks like one: it might be a mistyped password. */
		size_t n = p.auth - 3;
		int plain = n > 0 && n <= 20 &&
		    strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") == n;

		err_set(err, "unknown URL scheme%s%.*s%s (expected postgresql, postgres, mysql "
		    "or mariadb)", plain ? " '" : "", plain ? (int)n : 0, text, plain ? "'" : "");
		return -1;
	}
	if (p.at != (size_t)-1 &&
	    parse_userinfo(u, text + p.auth, p.at - p.auth, err) < 0)
		goto fail;
	hs = p.at == (size_t)-1 ? p.auth : p.at + 1;
	for (he = hs; he < p.query && text[he] != '/'; he++)
		;
	if (parse_hostport(u, text + hs, he - hs, err) < 0)
		goto fail;
	if (he < p.query && he + 1 < p.query &&
	    set_decoded(&u->dbname, text + he + 1, p.query - he - 1, "database name", err) < 0)
		goto fail;
	for (i = p.query + 1; i < len;) {
		const char *amp = strchr(text + i, '&');
		size_t n = amp ? (size_t)(amp - text) - i : len - i;

		if (parse_param(u, text + i, n, err) < 0)
			goto fail;
		i += n + 1;
	}
	if (u->host != NULL && u->host[0] == '\0') {
		free(u->host); u->host = NULL;
	}
	return 0;
fail:
	db_url_release(u);
	return -1;
}

int
db_url_override(struct db_url *u, const char *host, const char *port, char *err)
{
	if (port != NULL && parse_port(port, strlen(port), &u->port, err) < 0) {
		err_prefix(err, "--port");
		return -1;
	}
	if (host != NULL) {
		char *copy;

		if (host[0] == '\0') {
			err_set(err, "--hostname: empty host");
			return -1;
		}
		if ((copy = strdup(host)) == NULL) {
			err_set(err, "out of memory");
			return -1;
		}
		free(u->host);
		u->host = copy;
	}
	return 0;
}

void
db_url_release(struct db_url *u)
{
	free(u->user); u->user = NULL;
	if (u->password != NULL)
		explicit_bzero(u->password, strlen(u->password));
	free(u->password); u->password = NULL;
	free(u->host); u->host = NULL;
	free(u->dbname); u->dbname = NULL;
	for (size_t i = 0; i < u->nparams; i++) {
		if (strcmp(u->param_key[i], "sslpassword") == 0)
			explicit_bzero(u->param_val[i], strlen(u->param_val[i]));
		free(u->param_key[i]); u->param_key[i] = NULL;
		free(u->param_val[i]); u->param_val[i] = NULL;
	}
	u->nparams = 0;
}

int
db_url_is_socket(const struct db_url *u)
{
	return u->host != NULL && u->host[0] == '/';
}

/* Append s percent-encoding what would change the meaning of a URL part. */
static void
put_encoded(struct buf *b, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p > 0x20 && *p < 0x7f && strchr("%@:/?&=#[] ", *p) == NULL)
			buf_putc(b, (char)*p);
		else if (*p >= 0x80 || (keep != NULL && *p != '\0' && strchr(keep, *p) != NULL))
			buf_putc(b, (char)*p);
		else {
			buf_putc(b, '%');
			buf_putc(b, hex[*p >> 4]);
			buf_putc(b, hex[*p & 15]);
		}
	}
}

void
db_url_redacted(const struct db_url *u, char *out, size_t n)
{
	struct buf b = BUF_INIT(DB_URL_MAX * 3);
	int sock = db_url_is_socket(u), q = 0;

	buf_printf(&b, "%s://", u->scheme);
	if (u->user != NULL)
		put_encoded(&b, u->user, NULL);
	if (u->password != NULL)
		buf_puts(&b, ":***");
	if (u->user != NULL || u->password != NULL)
		buf_putc(&b, '@');
	if (u->host != NULL && !sock) {
		if (strchr(u->host, ':') != NULL)
			buf_printf(&b, "[%s]", u->host);
		else
			put_encoded(&b, u->host, NULL);
	}
	if (u->port != 0)
		buf_printf(&b, ":%d", u->port);
	buf_putc(&b, '/');
	if (u->dbname != NULL)
		put_encoded(&b, u->dbname, NULL);
	if (sock) {
		buf_printf(&b, "?%s=", u->kind == DB_MYSQL ? "socket" : "host");
		put_encoded(&b, u->host, "/");
		q = 1;
	}
	for (size_t i = 0; i < u->nparams; i++) {
		buf_putc(&b, q++ ? '&' : '?');
		put_encoded(&b, u->param_key[i], NULL);
		buf_putc(&b, '=');
		if (strcmp(u->param_key[i], "sslpassword") == 0)
			buf_puts(&b, "***");
		else
			put_encoded(&b, u->param_val[i], "/:");
	}
	snprintf(out, n, "%s", buf_str(&b));
	buf_release(&b);
}

void
db_url_target(const struct db_url *u, char *out, size_t n)
{
	const char *host = u->host ? u->host : (u->kind == DB_MYSQL ? "localhost" : "");
	int v6 = strchr(host, ':') != NULL && !db_url_is_socket(u);
	char port[16] = "";

	if (u->port != 0)
		snprintf(port, sizeof(port), ":%d", u->port);
	snprintf(out, n, "%s%s%s%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "", port,
	    u->dbname ? "/" : "", u->dbname ? u->dbname : "");
}

/*
 * Find the password spans in text: the password of a URL's user info and
 * the value of every "password=" / "sslpassword=" parameter (in a URL query
 * or a libpq key=value string). Up to max spans as (start, length) pairs,
 * which may overlap; when there are more, the last one runs to the end of
 * the text, so that nothing after it shows.
 */
static int
password_spans(const char *text, size_t (*spans)[2], int max)
{
	struct url_parts p;
	size_t len = strlen(text);
	int count = 0, url = url_split(text, &p) == 0;

	if (url && p.at != (size_t)-1) {
		const char *colon = memchr(text + p.auth, ':', p.at - p.auth);

		if (colon != NULL && count < max) {
			spans[count][0] = (size_t)(colon - text) + 1;
			spans[count][1] = p.at - spans[count][0];
			count++;
		}
	}
	for (const char *s = text; (s = strstr(s, "password=")) != NULL; s++) {
		size_t at = (size_t)(s - text), end;

		if (at > 0 && strchr("?& \t", text[at - 1]) == NULL &&
		    !(at >= 3 && strncmp(text + at - 3, "ssl", 3) == 0))
			continue;
		if (count == max) {
			/* More than max: hide everything from the last span on. */
			spans[count - 1][1] = len - spans[count - 1][0];
			break;
		}
		at += strlen("password=");
		/*
		 * In a URL's query a value ends at '&' only, as the parser reads
		 * it (spaces included); elsewhere (libpq's key=value) at a space.
		 */
		for (end = at; end < len && text[end] != '&' &&
		    ((url && at > p.query) || !isspace((unsigned char)text[end])); end++)
			;
		spans[count][0] = at;
		spans[count][1] = end - at;
		count++;
	}
	return count;
}

#define MAX_SPANS 16

void
db_redact(const char *text, char *out, size_t n)
{
	size_t spans[MAX_SPANS][2];
	int count = password_spans(text, spans, MAX_SPANS), k = 0;
	struct buf b = BUF_INIT(DB_URL_MAX * 2);
	size_t len = strlen(text);

	/* Spans come in two ascending runs (user info first); sort them. */
	for (int i = 1; i < count; i++) {
		for (int j = i; j > 0 && spans[j - 1][0] > spans[j][0]; j--) {
			size_t t0 = spans[j][0], t1 = spans[j][1];

			spans[j][0] = spans[j - 1][0];
			spans[j][1] = spans[j - 1][1];
			spans[j - 1][0] = t0;
			spans[j - 1][1] = t1;
		}
	}
	for (size_t i = 0; i < len;) {
		if (k < count && spans[k][0] <= i) {
			size_t end = i;

			/*
			 * Spans can overlap (a "password=" value running over a URL's
			 * user info): hide them as one, and go on to the next span
			 * that starts after them.
			 */
			for (; k < count && spans[k][0] <= end; k++)
				if (spans[k][0] + spans[k][1] > end)
					end = spans[k][0] + spans[k][1];
			buf_puts(&b, "***");
			i = end;
			continue;
		}
		if (buf_putc(&b, text[i]) < 0)
			break;
		i++;
	}
	snprintf(out, n, "%s", buf_str(&b));
	buf_release(&b);
}

int
db_read_password_file(const char *path, char *out, size_t n, char *err)
{
	char tmp[DB_PASSWORD_MAX + 2];
	ssize_t got;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		err_set(err, "cannot open password file %s: %s", path, strerror(errno));
		return -1;
	}
	while (len < sizeof(tmp) && (got = read(fd, tmp + len, sizeof(tmp) - len)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			err_set(err, "cannot read password file %s: %s", path, strerror(errno));
			close(fd);
			explicit_bzero(tmp, sizeof(tmp));
			return -1;
		}
		len += (size_t)got;
		if (memchr(tmp, '\n', len) != NULL)
			break;
	}
	close(fd);
	char *nl = memchr(tmp, '\n', len);
	if (nl != NULL)
		len = (size_t)(nl - tmp);
	if (len > 0 && tmp[len - 1] == '\r')
		len--;
	if (nl == NULL && len == sizeof(tmp)) {
		err_set(err, "password file %s: the password is longer than %d bytes", path,
		    DB_PASSWORD_MAX - 1);
		explicit_bzero(tmp, sizeof(tmp));
		return -1;
	}
	if (len == 0) {
		err_set(err, "password file %s is empty", path);
		return -1;
	}
	if (memchr(tmp, '\0', len) != NULL) {
		err_set(err, "password file %s contains a NUL byte", path);
		explicit_bzero(tmp, sizeof(tmp));
		return -1;
	}
	if (len >= n) {
		err_set(err, "password file %s: the password is longer than %zu bytes", path, n - 1);
		explicit_bzero(tmp, sizeof(tmp));
		return -1;
	}
	memcpy(out, tmp, len);
	out[len] = '\0';
	explicit_bzero(tmp, sizeof(tmp));
	return 0;
}
