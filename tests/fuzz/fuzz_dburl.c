/*
 * fuzz_dburl.c - libFuzzer target for database URLs: db_url_parse(),
 * db_url_redacted() and db_redact(), with the invariant that a password
 * never appears in what they print.
 *
 * An input is either a URL, or three parts split by NUL bytes,
 * "PREFIX\0SECRET\0SUFFIX", read as the URL PREFIX SECRET SUFFIX. Checks:
 *
 *   - The password a URL's user info holds (between the first ':' and the
 *     last '@' before the query, as the parser documents it), and every
 *     "password=" / "sslpassword=" value of its query, never appear in
 *     db_redact()'s output, nor in the error of a URL that does not parse
 *     (when the same text does not appear elsewhere in the URL anyway).
 *   - A parsed password (and sslpassword) never appears in db_url_redacted().
 *   - With three parts, when SECRET is a secret (putting x in its place
 *     changes the password or an sslpassword and nothing else): the output
 *     of db_url_redacted() does not depend on it, and db_redact() shows
 *     neither SECRET nor the password it decodes to (unless the rest of the
 *     URL holds the same text). db_redact() may hide more than the secret.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "core/db.h"
#include "core/err.h"

/*
 * Shorter secrets turn up in any text by chance ("ab" in "db"); secrets with
 * a '*' are not checked either, since the "***" that hides them can spell them.
 */
#define MIN_SECRET 4

static int
contains(const char *hay, const char *needle, size_t n)
{
	return n > 0 && memmem(hay, strlen(hay), needle, n) != NULL;
}

/*
 * The secret text[at, at + n) must not be in out, unless it would be there
 * anyway: out is what redaction gave, and the same operation on the text
 * with the secret replaced by x (redact: the span as "***"; an error: the
 * parser's message for that text) holds it too, as a fixed word or from
 * elsewhere in the URL.
 */
static void
check_hidden(const char *text, size_t at, size_t n, const char *out, int is_error)
{
	size_t len = strlen(text);
	char *kept, err[ERR_LEN] = "";
	struct db_url u;

	/* A '*' in the secret can be made of the "***" that replaced it. */
	if (n < MIN_SECRET || memchr(text + at, '*', n) != NULL)
		return;
	kept = malloc(len + 4);
	CHECK(kept != NULL);
	memcpy(kept, text, len + 1);
	if (is_error) {
		memset(kept + at, 'x', n);
		if (db_url_parse(kept, &u, err) == 0)
			db_url_release(&u);
		if (!contains(err, text + at, n) && !contains(kept, text + at, n))
			CHECK(!contains(out, text + at, n));
	} else {
		memcpy(kept + at, "***", 3);
		memcpy(kept + at + 3, text + at + n, len - at - n + 1);
		if (!contains(kept, text + at, n))
			CHECK(!contains(out, text + at, n));
	}
	free(kept);
}

/* Where the secrets of text are, by the documented rules, not the parser's code. */
static void
check_spans(const char *text, const char *out, int is_error)
{
	const char *sep = strstr(text, "://"), *q, *at = NULL, *colon, *p;
	size_t len = strlen(text);

	if (sep == NULL)
		return;
	q = strchr(sep + 3, '?');
	if (q == NULL)
		q = text + len;
	for (p = sep + 3; p < q; p++)
		if (*p == '@')
			at = p;
	if (at != NULL && (colon = memchr(sep + 3, ':', (size_t)(at - sep - 3))) != NULL)
		check_hidden(text, (size_t)(colon + 1 - text), (size_t)(at - colon - 1), out,
		    is_error);
	for (p = q; *p != '\0'; p++) {
		size_t klen, vlen;

		if (*p != '?' && *p != '&')
			continue;
		if (strncmp(p + 1, "password=", 9) == 0)
			klen = 9;
		else if (strncmp(p + 1, "sslpassword=", 12) == 0)
			klen = 12;
		else
			continue;
		vlen = strcspn(p + 1 + klen, "& \t\n\v\f\r");
		check_hidden(text, (size_t)(p + 1 + klen - text), vlen, out, is_error);
	}
}

/* The sslpassword parameter's slot in u, or NULL. */
static char **
sslpassword(struct db_url *u)
{
	for (size_t i = 0; i < u->nparams; i++)
		if (strcmp(u->param_key[i], "sslpassword") == 0)
			return &u->param_val[i];
	return NULL;
}

/*
 * A parsed password (or sslpassword) is nowhere in the redacted URL, unless
 * the URL with empty secrets in their place (the same "***" marks, the same
 * other parts) prints it too.
 */
static void
check_redacted(struct db_url *u, const char *out)
{
	char without[DB_URL_MAX * 3], empty[1] = "";
	char **ssl = sslpassword(u);
	const char *secrets[2] = { u->password, ssl ? *ssl : NULL };
	char *saved[2] = { u->password, ssl ? *ssl : NULL };

	if (u->password != NULL)
		u->password = empty;
	if (ssl != NULL)
		*ssl = empty;
	db_url_redacted(u, without, sizeof(without));
	u->password = saved[0];
	if (ssl != NULL)
		*ssl = saved[1];
	for (int i = 0; i < 2; i++) {
		size_t n = secrets[i] ? strlen(secrets[i]) : 0;

		if (n >= MIN_SECRET && !contains(without, secrets[i], n) &&
		    strchr(secrets[i], '*') == NULL)
			CHECK(!contains(out, secrets[i], n));
	}
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * a and b differ in the text of their password or sslpassword, and in
 * nothing else (a password present in one is present in the other).
 */
static int
only_secret_differs(const struct db_url *a, const struct db_url *b)
{
	int secret = !same_str(a->password, b->password);

	if ((a->password == NULL) != (b->password == NULL) || a->kind != b->kind || strcmp(a->scheme, b->scheme) != 0 || a->port != b->port ||
	    !same_str(a->user, b->user) || !same_str(a->host, b->host) ||
	    !same_str(a->dbname, b->dbname) || a->nparams != b->nparams)
		return 0;
	for (size_t i = 0; i < a->nparams; i++) {
		if (strcmp(a->param_key[i], b->param_key[i]) != 0)
			return 0;
		if (strcmp(a->param_val[i], b->param_val[i]) == 0)
			continue;
		if (strcmp(a->param_key[i], "sslpassword") != 0)
			return 0;
		secret = 1;
	}
	return secret;
}

/* Parse, redact both ways and check; the outputs are returned for comparison. */
static int
one(const char *text, struct db_url *u, char *redacted, char *redacted_text)
{
	char err[ERR_LEN];
	int ok = db_url_parse(text, u, err) == 0;

	db_redact(text, redacted_text, DB_URL_MAX * 2);
	check_spans(text, redacted_text, 0);
	if (!ok) {
		check_spans(text, err, 1);
		return 0;
	}
	db_url_redacted(u, redacted, DB_URL_MAX * 3);
	check_redacted(u, redacted);
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char r1[DB_URL_MAX * 3], r2[DB_URL_MAX * 3], t1[DB_URL_MAX * 2],
	    t2[DB_URL_MAX * 2];
	const uint8_t *z1 = memchr(data, 0, size), *z2 = NULL;
	struct db_url u1, u2;
	char *text, *other;
	size_t plen, slen;
	int ok1, ok2;

	if (size > DB_URL_MAX + 16)
		return 0;
	if (z1 != NULL)
		z2 = memchr(z1 + 1, 0, size - (size_t)(z1 + 1 - data));
	if ((text = malloc(size + 1)) == NULL || (other = malloc(size + 1)) == NULL)
		abort();
	if (z2 == NULL) {
		/* A URL alone (cut at a NUL, as a C string would be). */
		memcpy(text, data, size);
		text[size] = '\0';
		if (one(text, &u1, r1, t1))
			db_url_release(&u1);
		free(text);
		free(other);
		return 0;
	}
	/* PREFIX SECRET SUFFIX, and the same with x in place of SECRET. */
	plen = (size_t)(z1 - data);
	slen = (size_t)(z2 - z1 - 1);
	memcpy(text, data, plen);
	memcpy(text + plen, z1 + 1, slen);
	memcpy(text + plen + slen, z2 + 1, size - (size_t)(z2 + 1 - data));
	text[size - 2] = '\0';
	memcpy(other, text, size - 1);
	memset(other + plen, 'x', slen);
	ok1 = one(text, &u1, r1, t1);
	ok2 = one(other, &u2, r2, t2);
	if (ok1 && ok2 && only_secret_differs(&u1, &u2)) {
		const char *pw = u1.password ? u1.password : "";

		CHECK(strcmp(r1, r2) == 0);
		/*
		 * db_redact() may hide more than the secret (text around it that
		 * looks like one), never less: neither SECRET as written nor the
		 * password it decodes to shows, unless the rest of the URL holds it.
		 */
		if (slen >= MIN_SECRET && !contains(other, text + plen, slen) &&
		    memchr(text + plen, '*', slen) == NULL)
			CHECK(!contains(t1, text + plen, slen));
		if (strlen(pw) >= MIN_SECRET && !contains(other, pw, strlen(pw)) &&
		    strchr(pw, '*') == NULL)
			CHECK(!contains(t1, pw, strlen(pw)));
	}
	if (ok1)
		db_url_release(&u1);
	if (ok2)
		db_url_release(&u2);
	free(text);
	free(other);
	return 0;
}
