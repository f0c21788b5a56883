/*
 * tlscert.c - see tlscert.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "lb/ossl.h"
#include "lb/sni.h"
#include "lb/tlscert.h"

static struct tlscert *registry;

const char *
tlscert_reason(char *buf, size_t n, const char *fallback)
{
	unsigned long e;
	const char *r;

	/* no OpenSSL, no error of its */
	if (!ossl_loaded()) {
		snprintf(buf, n, "%s", fallback);
		return buf;
	}
	e = ERR_get_error();
	r = e ? ERR_reason_error_string(e) : NULL;
	if (e != 0 && r == NULL)
		snprintf(buf, n, "OpenSSL error %lx", e);
	else
		snprintf(buf, n, "%s", r ? r : fallback);
	ERR_clear_error();
	return buf;
}

/* The file's identity, to see it changed; -1 with err when it cannot be looked at. */
static int
file_id(const char *path, struct tlscert_id *id, char *err)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		err_set(err, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return 0;
}

static int
same_id(const struct tlscert_id *a, const struct tlscert_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime_ns == b->mtime_ns;
}

/* The whole file, under TLSCERT_FILE_MAX, into a memory BIO; NULL with err. */
static BIO *
read_bio(const char *path, struct buf *b, char *err)
{
	FILE *f = fopen(path, "re");
	char chunk[8192];
	size_t n;
	BIO *bio;

	if (f == NULL) {
		err_set(err, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(b, chunk, n) < 0) {
			err_set(err, "%s: %s", path, errno == ENOBUFS ?
			    "larger than 1 MiB: not a certificate bundle" : strerror(errno));
			fclose(f);
			return NULL;
		}
	}
	if (ferror(f)) {
		err_set(err, "cannot read %s: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	fclose(f);
	if ((bio = BIO_new_mem_buf(b->len ? b->data : "", (int)b->len)) == NULL)
		err_set(err, "out of memory");
	return bio;
}

/* ASN1 time as seconds since the epoch. */
static int64_t
asn1_seconds(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static int
add_name(struct tlscert *c, const char *name, size_t len)
{
	char **n;

	if (c->nnames >= TLSCERT_NAMES_MAX || len == 0 || len > SNI_NAME_MAX ||
	    memchr(name, '\0', len) != NULL)
		return 0;
	if ((n = realloc(c->names, sizeof(*n) * (size_t)(c->nnames + 1))) == NULL)
		return -1;
	c->names = n;
	if ((n[c->nnames] = strndup(name, len)) == NULL)
		return -1;
	for (char *p = n[c->nnames]; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	c->nnames++;
	return 0;
}

/* The DNS names of the subjectAltName, else the subject's CN (RFC 6125 6.4.4). */
static int
read_names(struct tlscert *c)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(c->x509, NID_subject_alt_name, NULL, NULL);
	X509_NAME *subj = X509_get_subject_name(c->x509);
	int cn = subj ? X509_NAME_get_index_by_NID(subj, NID_commonName, -1) : -1;
	int rc = 0;

	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && rc == 0; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DNS)
			rc = add_name(c, (const char *)ASN1_STRING_get0_data(g->d.dNSName),
			    (size_t)ASN1_STRING_length(g->d.dNSName));
	}
	GENERAL_NAMES_free(gens);
	if (cn >= 0) {
		const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, cn));
		unsigned char *utf8 = NULL;
		int len = ASN1_STRING_to_UTF8(&utf8, s);

		if (len > 0) {
			snprintf(c->subject, sizeof(c->subject), "%.*s", len, (char *)utf8);
			if (c->nnames == 0 && rc == 0)
				rc = add_name(c, (char *)utf8, (size_t)len);
		}
		OPENSSL_free(utf8);
	}
	if (c->subject[0] == '\0' && c->nnames > 0)
		snprintf(c->subject, sizeof(c->subject), "%s", c->names[0]);
	return rc;
}

/* The certificate and what follows it in bio; -1 with err when there is none. */
static int
read_certs(struct tlscert *c, BIO *bio, char *err)
{
	X509 *x;
	char why[128];

	if ((c->x509 = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		unsigned long e = ERR_peek_last_error();

		if (ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
			err_set(err, "%s: no certificate in it (a PEM bundle starts with "
			    "-----BEGIN CERTIFICATE-----)", c->path);
		else
			err_set(err, "%s: bad certificate: %s", c->path,
			    tlscert_reason(why, sizeof(why), "unreadable"));
		ERR_clear_error();
		return -1;
	}
	if ((c->chain = sk_X509_new_null()) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(c->chain, x)) {
			X509_free(x);
			err_set(err, "out of memory");
			return -1;
		}
	}
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
		err_set(err, "%s: bad certificate in the chain: %s", c->path,
		    tlscert_reason(why, sizeof(why), "unreadable"));
		return -1;
	}
	ERR_clear_error();
	return 0;
}

/*
 * The private key of bio (a bundle or a key file): 1 read, 0 none there,
 * -1 error. The PEM blocks are looked at one by one, so that a bundle's
 * certificates are never mistaken for a key that failed to decode, and an
 * encrypted key is refused rather than prompted for.
 */
static int
read_key(struct tlscert *c, BIO *bio, const char *path, char *err)
{
	char *name = NULL, *header = NULL, why[128];
	unsigned char *data = NULL;
	long len = 0;
	int rc = 0;

	ERR_clear_error();
	while (rc == 0 && PEM_read_bio(bio, &name, &header, &data, &len) == 1) {
		size_t n = strlen(name);

		if (n >= 11 && strcmp(name + n - 11, "PRIVATE KEY") == 0) {
			const unsigned char *p = data;

			if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0 ||
			    strstr(header, "ENCRYPTED") != NULL) {
				err_set(err, "%s: the private key is encrypted; brace lb needs it "
				    "without a passphrase (openssl pkey -in KEY -out PLAIN)", path);
				rc = -1;
			} else if ((c->pkey = d2i_AutoPrivateKey(NULL, &p, len)) == NULL) {
				err_set(err, "%s: bad private key: %s", path, tlscert_reason(why,
				    sizeof(why), "unreadable"));
				rc = -1;
			} else {
				rc = 1;
			}
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		if (data != NULL)
			OPENSSL_clear_free(data, (size_t)len);
		name = header = NULL;
		data = NULL;
	}
	ERR_clear_error();
	return rc;
}

/* NAME.key beside NAME.pem, then NAME.pem.key (HAProxy's way); "" when neither exists. */
static void
key_beside(const char *path, char *out, size_t n)
{
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');

	out[0] = '\0';
	if (dot != NULL && (slash == NULL || dot > slash + 1)) {
		snprintf(out, n, "%.*s.key", (int)(dot - path), path);
		if (access(out, F_OK) == 0)
			return;
	}
	if ((size_t)snprintf(out, n, "%s.key", path) >= n || access(out, F_OK) != 0)
		out[0] = '\0';
}

/* Find and read c's key: the one given, the bundle's own, or one beside it. */
static int
load_key(struct tlscert *c, BIO *bundle, char *err)
{
	struct buf kb = BUF_INIT(TLSCERT_FILE_MAX);
	BIO *bio;
	int rc;

	if (c->key_given[0] == '\0') {
		if ((rc = read_key(c, bundle, c->path, err)) != 0)
			return rc < 0 ? -1 : 0;
		key_beside(c->path, c->key_path, sizeof(c->key_path));
		if (c->key_path[0] == '\0') {
			err_set(err, "%s: no private key in it, and no key file beside it "
			    "(NAME.key); name one with tls-key", c->path);
			return -1;
		}
	} else {
		snprintf(c->key_path, sizeof(c->key_path), "%s", c->key_given);
	}
	if (file_id(c->key_path, &c->key_id, err) < 0 || (bio = read_bio(c->key_path, &kb, err)) ==
	    NULL) {
		buf_release(&kb);
		return -1;
	}
	rc = read_key(c, bio, c->key_path, err);
	BIO_free(bio);
	OPENSSL_cleanse(kb.data, kb.len);
	buf_release(&kb);
	if (rc == 0)
		err_set(err, "%s: no private key in it", c->key_path);
	return rc > 0 ? 0 : -1;
}

int
tlscert_load(const char *path, const char *key_given, struct tlscert **out, char *err)
{
	struct buf b = BUF_INIT(TLSCERT_FILE_MAX);
	struct tlscert *c;
	BIO *bio = NULL;
	char why[128];

	*out = NULL;
	if (ossl_load(err) < 0)
		return -1;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	if (strlen(path) >= sizeof(c->path) || strlen(key_given) >= sizeof(c->key_given)) {
		err_set(err, "%.64s...: file name too long", path);
		goto fail;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->key_given, sizeof(c->key_given), "%s", key_given);
	if (file_id(path, &c->cert_id, err) < 0 || (bio = read_bio(path, &b, err)) == NULL ||
	    read_certs(c, bio, err) < 0)
		goto fail;
	BIO_reset(bio);
	if (load_key(c, bio, err) < 0)
		goto fail;
	if (X509_check_private_key(c->x509, c->pkey) != 1) {
		err_set(err, "%s does not match the certificate in %s: %s",
		    c->key_path[0] ? c->key_path : "the key in the bundle", path,
		    tlscert_reason(why, sizeof(why), "key values mismatch"));
		goto fail;
	}
	if (read_names(c) < 0) {
		err_set(err, "out of memory");
		goto fail;
	}
	if (c->nnames == 0) {
		err_set(err, "%s: the certificate names no host (no DNS subjectAltName, no CN)",
		    path);
		goto fail;
	}
	c->not_before = asn1_seconds(X509_get0_notBefore(c->x509));
	c->not_after = asn1_seconds(X509_get0_notAfter(c->x509));
	c->loaded_ms = clock_now_ms();
	BIO_free(bio);
	OPENSSL_cleanse(b.data, b.len);
	buf_release(&b);
	*out = c;
	return 0;
fail:
	BIO_free(bio);
	if (b.data != NULL)
		OPENSSL_cleanse(b.data, b.len);
	buf_release(&b);
	tlscert_free(c);
	ERR_clear_error();
	return -1;
}

void
tlscert_free(struct tlscert *c)
{
	if (c == NULL)
		return;
	X509_free(c->x509);
	sk_X509_pop_free(c->chain, X509_free);
	EVP_PKEY_free(c->pkey);
	for (int i = 0; i < c->nnames; i++)
		free(c->names[i]);
	free(c->names);
	free(c);
}

/* ---- directories ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file of a certificate directory that is not a bundle: hidden, or a key. */
static int
skipped(const char *name)
{
	size_t n = strlen(name);

	return name[0] == '.' || (n > 4 && strcmp(name + n - 4, ".key") == 0);
}

void
tlscert_files_free(char **files)
{
	for (int i = 0; files != NULL && files[i] != NULL; i++)
		free(files[i]);
	free(files);
}

int
tlscert_files(const char *path, char ***files, int *n, char *err)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **list;
	int count = 0;

	*files = NULL;
	*n = 0;
	if (stat(path, &st) < 0) {
		err_set(err, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if ((list = calloc(S_ISDIR(st.st_mode) ? TLSCERT_DIR_MAX + 1 : 2, sizeof(*list))) == NULL)
		goto nomem;
	if (!S_ISDIR(st.st_mode)) {
		if ((list[0] = strdup(path)) == NULL)
			goto nomem;
		*files = list;
		*n = 1;
		return 0;
	}
	if ((d = opendir(path)) == NULL) {
		err_set(err, "cannot read directory %s: %s", path, strerror(errno));
		free(list);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char full[LB_FILE_LEN];
		struct stat fs;

		if (skipped(e->d_name))
			continue;
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", path, e->d_name) >= sizeof(full) ||
		    stat(full, &fs) < 0 || !S_ISREG(fs.st_mode))
			continue;
		if (count >= TLSCERT_DIR_MAX) {
			err_set(err, "%s: more than %d bundles in one directory", path,
			    TLSCERT_DIR_MAX);
			closedir(d);
			tlscert_files_free(list);
			return -1;
		}
		if ((list[count++] = strdup(full)) == NULL) {
			closedir(d);
			tlscert_files_free(list);
			goto nomem_nolist;
		}
	}
	closedir(d);
	if (count == 0) {
		err_set(err, "directory %s holds no certificate bundle", path);
		free(list);
		return -1;
	}
	qsort(list, (size_t)count, sizeof(*list), cmp_str);
	*files = list;
	*n = count;
	return 0;
nomem:
	free(list);
nomem_nolist:
	err_set(err, "out of memory");
	return -1;
}

/* ---- the registry ---- */

/* Is c what its files hold now? */
static int
unchanged(const struct tlscert *c)
{
	struct tlscert_id id;

	if (file_id(c->path, &id, NULL) < 0 || !same_id(&id, &c->cert_id))
		return 0;
	if (c->key_path[0] && (file_id(c->key_path, &id, NULL) < 0 || !same_id(&id, &c->key_id)))
		return 0;
	return 1;
}

struct tlscert *
tlscert_get(const char *path, const char *key_given, int *kept, char *err)
{
	struct tlscert *old, *c;

	*kept = 0;
	for (old = registry; old != NULL; old = old->next)
		if (strcmp(old->path, path) == 0 && strcmp(old->key_given, key_given) == 0)
			break;
	if (old != NULL && unchanged(old)) {
		old->refs++;
		return old;
	}
	if (tlscert_load(path, key_given, &c, err) < 0) {
		if (old == NULL)
			return NULL;
		*kept = 1;
		old->refs++;
		return old;
	}
	/* the older one stays listed until its last user lets it go, but is found no more */
	c->next = registry;
	registry = c;
	c->refs = 1;
	return c;
}

void
tlscert_put(struct tlscert *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	for (struct tlscert **pp = &registry; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	tlscert_free(c);
}

int64_t
tlscert_days_left(const struct tlscert *c, int64_t now)
{
	int64_t left = c->not_after - now;

	return left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
}

void
tlscert_fmt_time(int64_t ts, char *out, size_t n)
{
	time_t t = (time_t)ts;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, n, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, n, "%lld", (long long)ts);
}
