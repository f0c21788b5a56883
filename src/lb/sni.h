/*
 * sni.h - which certificate of a TLS listener answers a client's server
 * name (SNI).
 *
 * A table maps the DNS names certificates carry (their subjectAltName DNS
 * names, or the subject's CN when there is none) to the certificate's
 * index. Names match without regard to case and to a final dot; a wildcard
 * "*.example.org" matches exactly one label in its place ("a.example.org",
 * not "example.org" nor "a.b.example.org", RFC 6125 6.4.3), and an exact
 * name wins over a wildcard. When two certificates name the same host, the
 * one added first (the listener's earlier tls-cert) answers. A name the
 * table does not know gets the listener's default certificate: the caller's
 * choice, not the table's.
 *
 * The table is built once (sni_add, then sni_finish) and then only read,
 * by every worker at once without a lock: two sorted arrays searched by
 * bisection, so a listener with thousands of names costs a dozen string
 * comparisons per handshake.
 */
#ifndef BRACE_LB_SNI_H
#define BRACE_LB_SNI_H

#include <stddef.h>

#include "core/err.h"

/* The longest DNS name (RFC 1035: 253 characters without the final dot). */
#define SNI_NAME_MAX 253
/* Names one table holds at most (certificates with hundreds of names exist). */
#define SNI_MAX_NAMES 100000

struct sni_entry {
	char *name;             /* lower case; a wildcard is kept as its suffix "example.org" */
	int cert;               /* the caller's index */
};

struct sni_table {
	struct sni_entry *exact, *wild;
	size_t nexact, nwild, capexact, capwild;
};

/* An empty table (a zeroed one is empty too). */
void sni_init(struct sni_table *t);
/*
 * Add name, from certificate number cert. Accepted: a DNS name of letters,
 * digits, '-', '_' and dots, or "*." followed by one. 0; or -1 with err
 * saying why the name cannot match anything (a partial wildcard "w*.x.org",
 * an empty label, a character a host name cannot have, too long) or that
 * the table is full (SNI_MAX_NAMES) or memory is out.
 */
int sni_add(struct sni_table *t, const char *name, int cert, char *err);
/* Sort the table for sni_lookup (after the last sni_add). */
void sni_finish(struct sni_table *t);
/*
 * The certificate for the server name a client sent (any case, an optional
 * final dot), or -1 when no name matches or the name is not a host name.
 */
int sni_lookup(const struct sni_table *t, const char *name);
/* Free what the table holds; it is then empty. */
void sni_release(struct sni_table *t);

/*
 * name as the table compares it, into out (SNI_NAME_MAX + 1 bytes): lower
 * case, without a final dot. 0, or -1 when it is not a host name (empty,
 * too long, an empty label, a character other than letters, digits, '-',
 * '_' and '.').
 */
int sni_normalize(const char *name, char *out);

#endif
