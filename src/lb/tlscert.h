/*
 * tlscert.h - certificates and keys as brace lb reads them.
 *
 * A tls-cert line names a PEM bundle, as HAProxy's crt does: the
 * certificate, its chain, and the private key, in any order. The key may
 * also be a file of its own: the tls-key given after the line, else
 * NAME.key beside NAME.pem (or NAME.pem.key). A line may name a directory
 * instead: every regular file in it but hidden ones and *.key is a bundle,
 * read in name order.
 *
 * Reading a bundle checks what would otherwise fail in the middle of the
 * night, each refusal naming the file and OpenSSL's reason: a file that
 * cannot be read, one without a certificate, a key that is missing,
 * encrypted (brace lb takes no passphrase) or not the certificate's. What
 * the certificate names (its subjectAltName DNS names, or its subject's CN
 * when it has none) and when it expires come with it; whether an expired
 * certificate is an error is the caller's decision.
 *
 * The registry (tlscert_get/tlscert_put) keeps loaded certificates by file
 * name across reloads, counted by the configurations using them: a file
 * unchanged since it was read is not read again, and a changed file that
 * fails to load leaves the certificate that was loaded before in use. The
 * registry is the main thread's; the certificates themselves are read-only
 * once loaded and shared by every worker through OpenSSL's own counts.
 */
#ifndef BRACE_LB_TLSCERT_H
#define BRACE_LB_TLSCERT_H

#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/err.h"
#include "lb/config.h"

/* Largest certificate or key file read (a bundle is a few kilobytes). */
#define TLSCERT_FILE_MAX   (1024 * 1024)
/* Bundles read from one directory at most. */
#define TLSCERT_DIR_MAX    1024
/* Names kept per certificate at most (SAN lists of some hundreds exist). */
#define TLSCERT_NAMES_MAX  1000
/* A certificate that expires within this many days is warned about. */
#define TLSCERT_WARN_DAYS  14

/* Which file a certificate came from, to see it changed. */
struct tlscert_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns;
};

struct tlscert {
	struct tlscert *next;           /* the registry (main thread only) */
	int refs;                       /* registry users (main thread only) */
	char path[LB_FILE_LEN];         /* the bundle */
	char key_given[LB_FILE_LEN];    /* tls-key as configured; "" = none */
	char key_path[LB_FILE_LEN];     /* where the key was read; "" = in the bundle */
	struct tlscert_id cert_id, key_id;
	X509 *x509;                     /* the certificate */
	STACK_OF(X509) *chain;          /* what followed it in the bundle; may be empty */
	EVP_PKEY *pkey;
	char **names;                   /* lower case DNS names (SAN, else CN) */
	int nnames;
	char subject[128];              /* the CN, else the first name, for messages */
	int64_t not_before, not_after;  /* seconds since the epoch */
	int64_t loaded_ms;              /* wall clock ms it was read */
};

/*
 * Read the bundle at path, with its key from key_given ("" = in the bundle,
 * else beside it), loading OpenSSL first if it was not yet (ossl.h). 0 with
 * *out (a new certificate, tlscert_free() it), or -1 with err naming the
 * file and the reason, or the library that cannot be loaded.
 */
int tlscert_load(const char *path, const char *key_given, struct tlscert **out, char *err);
/* Free c and what it holds (OpenSSL's objects keep living while SSL_CTXs hold them). */
void tlscert_free(struct tlscert *c);

/*
 * The bundles of a tls-cert line: the file itself, or every bundle of the
 * directory, sorted by name. 0 with *files (NULL-terminated, free each and
 * the array with tlscert_files_free()) and *n, or -1 with err (the path
 * cannot be read, or the directory holds more than TLSCERT_DIR_MAX or no
 * bundle at all).
 */
int tlscert_files(const char *path, char ***files, int *n, char *err);
void tlscert_files_free(char **files);

/*
 * The registry's certificate for (path, key_given), with a reference for
 * the caller. A file read before and unchanged is not read again. A changed
 * or new file is read; if that fails and an older load of it exists, the
 * older one is returned with *kept set and err saying why the new one was
 * refused; without an older one, NULL with err. Main thread only.
 */
struct tlscert *tlscert_get(const char *path, const char *key_given, int *kept, char *err);
/* Give back a reference from tlscert_get(); the last one frees it. Main thread only. */
void tlscert_put(struct tlscert *c);

/*
 * Whole days from now (seconds since the epoch) to c's expiry, negative
 * once expired: the caller warns within TLSCERT_WARN_DAYS.
 */
int64_t tlscert_days_left(const struct tlscert *c, int64_t now);
/* ts (seconds since the epoch) as "2027-01-31 12:00 UTC", for messages. */
void tlscert_fmt_time(int64_t ts, char *out, size_t n);

/*
 * The reason of OpenSSL's oldest error in this thread's queue ("key values
 * mismatch"), or fallback when the queue is empty or OpenSSL is not loaded;
 * the queue is emptied.
 */
const char *tlscert_reason(char *buf, size_t n, const char *fallback);

#endif
