/*
 * tlsgen.h - certificates made by the tests themselves, through OpenSSL:
 * a P-256 key, a certificate for some DNS names (or a CN alone) valid
 * between two times relative to now, self-signed or signed by a test CA,
 * written as PEM files. Nothing here is for production use.
 */
#ifndef BRACE_TLSGEN_H
#define BRACE_TLSGEN_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* A key and its certificate. */
struct tlsgen {
	EVP_PKEY *key;
	X509 *cert;
};

/*
 * A certificate for names (comma-separated DNS names: the subjectAltName;
 * or NULL with cn: a subject CN and no SAN), valid from from_s to to_s
 * seconds from now, signed by ca (NULL: self-signed). 0, or -1.
 */
static inline int
tlsgen_make(struct tlsgen *g, const char *names, const char *cn, long from_s, long to_s,
    const struct tlsgen *ca)
{
	X509_NAME *subj;
	static long serial = 1;

	memset(g, 0, sizeof(*g));
	if ((g->key = EVP_EC_gen("P-256")) == NULL || (g->cert = X509_new()) == NULL)
		return -1;
	X509_set_version(g->cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(g->cert), serial++);
	X509_gmtime_adj(X509_getm_notBefore(g->cert), from_s);
	X509_gmtime_adj(X509_getm_notAfter(g->cert), to_s);
	X509_set_pubkey(g->cert, g->key);
	subj = X509_get_subject_name(g->cert);
	X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
	    (const unsigned char *)(cn ? cn : "brace test"), -1, -1, 0);
	X509_set_issuer_name(g->cert, ca ? X509_get_subject_name(ca->cert) : subj);
	if (names != NULL) {
		char san[1024], *p, *save = NULL, copy[512];
		size_t len = 0;
		X509_EXTENSION *ext;
		X509V3_CTX ctx;

		snprintf(copy, sizeof(copy), "%s", names);
		san[0] = '\0';
		for (p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
			len += (size_t)snprintf(san + len, sizeof(san) - len, "%sDNS:%s",
			    len ? "," : "", p);
		X509V3_set_ctx(&ctx, ca ? ca->cert : g->cert, g->cert, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
		if (ext == NULL)
			return -1;
		X509_add_ext(g->cert, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (ca == NULL) {
		X509V3_CTX ctx;
		X509_EXTENSION *ext;

		X509V3_set_ctx(&ctx, g->cert, g->cert, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
		X509_add_ext(g->cert, ext, -1);
		X509_EXTENSION_free(ext);
	}
	return X509_sign(g->cert, ca ? ca->key : g->key, EVP_sha256()) > 0 ? 0 : -1;
}

static inline void
tlsgen_free(struct tlsgen *g)
{
	EVP_PKEY_free(g->key);
	X509_free(g->cert);
	memset(g, 0, sizeof(*g));
}

/* Write to path: the certificate (cert), a chain certificate after it (chain, or NULL),
 * and the key (key, or NULL). 0, or -1. */
static inline int
tlsgen_write(const char *path, const struct tlsgen *cert, const struct tlsgen *chain,
    const struct tlsgen *key)
{
	FILE *f = fopen(path, "w");
	int ok = f != NULL;

	if (ok && cert)
		ok = PEM_write_X509(f, cert->cert) == 1;
	if (ok && chain)
		ok = PEM_write_X509(f, chain->cert) == 1;
	if (ok && key)
		ok = PEM_write_PrivateKey(f, key->key, NULL, NULL, 0, NULL, NULL) == 1;
	if (f != NULL && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

#endif
