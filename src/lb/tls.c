/*
 * tls.c - see tls.h.
 *
 * Contents: the BIO that reads and writes a struct lconn's socket; ticket
 * keys; counters; the contexts of listeners and servers (built for a run or
 * for --check); connections; the main thread's tick; metrics.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/prom.h"
#include "lb/config.h"
#include "lb/events.h"
#include "lb/lconn.h"
#include "lb/ossl.h"
#include "lb/server.h"
#include "lb/sni.h"
#include "lb/tls.h"
#include "lb/tlscert.h"

/* Sessions a listener's cache holds (OpenSSL evicts the oldest past it). */
#define TLS_CACHE_SIZE  20000
/* Certificates one listener serves at most (its lines and their directories). */
#define TLS_MAX_SITES   4096
/* The groups offered for key exchange, in order of preference. */
#define TLS_GROUPS      "X25519:P-256"
/* Bytes of one TLS record: writes are cut into records of this size at most. */
#define TLS_RECORD      16384

/* lconn.tls bits. */
#define TLS_FATAL       0x01    /* a fatal error: no close_notify may follow */
#define TLS_DONE        0x02    /* the handshake completed */
#define TLS_PLAIN_HTTP  0x04    /* the client spoke plain HTTP */
#define TLS_SHUT        0x08    /* close_notify sent */

/* Why client handshakes fail, as /metrics labels them. */
enum {
	TF_TIMEOUT, TF_CLOSED, TF_PLAIN_HTTP, TF_VERSION, TF_CIPHER, TF_MALFORMED, TF_ALERT,
	TF_OTHER, TF_COUNT
};

static const char *const fail_names[TF_COUNT] = {
	"timeout", "closed", "plain_http", "version", "no_shared_cipher", "malformed", "alert",
	"other",
};

/* TLS versions counted. */
enum { TV_12, TV_13, TV_COUNT };
static const char *const version_names[TV_COUNT] = { "1.2", "1.3" };

/* A listener's counters, carried over reloads by its name (main thread: the registry). */
struct tls_stats {
	struct tls_stats *next;
	int refs;
	char name[LB_NAME_LEN];
	_Atomic uint64_t done[TV_COUNT];
	_Atomic uint64_t resumed;
	_Atomic uint64_t failed[TF_COUNT];
};

/* One certificate of a listener and the context that serves it. */
struct tls_site {
	SSL_CTX *ctx;
	struct tlscert *cert;
	int line;                       /* its tls-cert line */
};

struct tls_listen {
	const struct frontend *fe;
	struct tls_site *site;          /* site[0]: the default */
	int nsite;
	struct sni_table sni;
	unsigned char alpn[LB_ALPN_LEN + 1];    /* wire format: length-prefixed names */
	unsigned int alpn_len;
	struct tls_stats *st;
	int registry;                   /* certificates come from the registry (not --check) */
};

struct tls_upstream {
	SSL_CTX *ctx;
	char name[LB_HOST_LEN];         /* sent as SNI (unless an IP) and verified */
	int is_ip;
	int verify;
};

static BIO_METHOD *lconn_bio;
static int session_slot_idx = -1;       /* SSL ex_data: the worker's session slot */
static struct tls_stats *stats_list;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* ---- the BIO: a struct lconn's socket, keeping its ready bits ---- */

static int
bio_read(BIO *b, char *p, int n)
{
	struct lconn *c = BIO_get_data(b);
	ssize_t r;

	BIO_clear_retry_flags(b);
	do
		r = read(c->fd, p, (size_t)n);
	while (r < 0 && errno == EINTR);
	if (r > 0) {
		/* short: the socket is drained, unless the FIN came with the edge */
		if (r < n && !(c->ready & RD_HUP))
			c->ready &= (uint8_t)~RD_IN;
		return (int)r;
	}
	if (r < 0 && errno == EAGAIN) {
		c->ready &= (uint8_t)~RD_IN;
		BIO_set_retry_read(b);
		return -1;
	}
	c->ready &= (uint8_t)~RD_IN;
	if (r == 0)
		errno = 0;
	return r == 0 ? 0 : -1;
}

static int
bio_write(BIO *b, const char *p, int n)
{
	struct lconn *c = BIO_get_data(b);
	ssize_t r;

	BIO_clear_retry_flags(b);
	if (!(c->ready & RD_OUT)) {
		BIO_set_retry_write(b);
		return -1;
	}
	do
		r = write(c->fd, p, (size_t)n);
	while (r < 0 && errno == EINTR);
	if (r >= 0 && r < n)
		c->ready &= (uint8_t)~RD_OUT;
	if (r < 0 && errno == EAGAIN) {
		c->ready &= (uint8_t)~RD_OUT;
		BIO_set_retry_write(b);
	}
	return (int)r;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int
bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void
init_once(void)
{
	lconn_bio = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "brace lconn");
	if (lconn_bio != NULL) {
		BIO_meth_set_read(lconn_bio, bio_read);
		BIO_meth_set_write(lconn_bio, bio_write);
		BIO_meth_set_ctrl(lconn_bio, bio_ctrl);
		BIO_meth_set_create(lconn_bio, bio_create);
	}
	session_slot_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* ---- ticket keys: one set for the process, rotated ---- */

#define TK_KEYS 3               /* the current key, and two older ones that still decrypt */

struct ticket_key {
	unsigned char name[16], aes[32], hmac[32];
	int set;
};

static struct ticket_key tkeys[TK_KEYS];        /* tkeys[0]: the current one */
static pthread_rwlock_t tk_lock = PTHREAD_RWLOCK_INITIALIZER;
static int64_t tk_born;                 /* monotonic ms the current key was made */
static int64_t tk_period = 300000;      /* how long a key encrypts (main thread) */

/* A new current key; the oldest goes. Main thread. 0, or -1 when the RNG fails. */
static int
ticket_rotate(void)
{
	struct ticket_key k = { .set = 1 };

	if (RAND_bytes(k.name, sizeof(k.name)) != 1 || RAND_bytes(k.aes, sizeof(k.aes)) != 1 ||
	    RAND_bytes(k.hmac, sizeof(k.hmac)) != 1) {
		ERR_clear_error();
		return -1;
	}
	pthread_rwlock_wrlock(&tk_lock);
	OPENSSL_cleanse(&tkeys[TK_KEYS - 1], sizeof(tkeys[0]));
	memmove(&tkeys[1], &tkeys[0], sizeof(tkeys[0]) * (TK_KEYS - 1));
	tkeys[0] = k;
	pthread_rwlock_unlock(&tk_lock);
	OPENSSL_cleanse(&k, sizeof(k));
	tk_born = clock_mono_ms();
	return 0;
}

/*
 * OpenSSL's ticket callback: encrypt with the current key; decrypt with the
 * key the ticket names while it is kept (2: an older key, so OpenSSL sends
 * a fresh ticket), else 0 (a full handshake).
 */
static int
ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *ectx,
    EVP_MAC_CTX *hctx, int enc)
{
	struct ticket_key k;
	OSSL_PARAM params[3];
	int which = -1;

	pthread_rwlock_rdlock(&tk_lock);
	if (enc)
		which = tkeys[0].set ? 0 : -1;
	for (int i = 0; !enc && i < TK_KEYS; i++)
		if (tkeys[i].set && memcmp(tkeys[i].name, name, 16) == 0)
			which = i;
	if (which >= 0)
		k = tkeys[which];
	pthread_rwlock_unlock(&tk_lock);
	if (which < 0)
		return enc ? -1 : 0;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, k.hmac, sizeof(k.hmac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (enc) {
		memcpy(name, k.name, 16);
		if (RAND_bytes(iv, 16) != 1 ||
		    EVP_EncryptInit_ex(ectx, EVP_aes_256_cbc(), NULL, k.aes, iv) != 1 ||
		    EVP_MAC_CTX_set_params(hctx, params) != 1)
			which = -2;
	} else if (EVP_MAC_CTX_set_params(hctx, params) != 1 ||
	    EVP_DecryptInit_ex(ectx, EVP_aes_256_cbc(), NULL, k.aes, iv) != 1) {
		which = -2;
	}
	OPENSSL_cleanse(&k, sizeof(k));
	if (which == -2)
		return -1;
	return enc || which == 0 ? 1 : 2;
}

/* ---- counters ---- */

static struct tls_stats *
stats_attach(const char *name)
{
	struct tls_stats *st;

	for (st = stats_list; st != NULL; st = st->next)
		if (strcmp(st->name, name) == 0)
			break;
	if (st == NULL) {
		if ((st = calloc(1, sizeof(*st))) == NULL)
			return NULL;
		snprintf(st->name, sizeof(st->name), "%s", name);
		st->next = stats_list;
		stats_list = st;
	}
	st->refs++;
	return st;
}

static void
stats_detach(struct tls_stats *st)
{
	if (st == NULL || --st->refs > 0)
		return;
	for (struct tls_stats **pp = &stats_list; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	}
	free(st);
}

/* ---- contexts ---- */

/* How contexts are built: for a run (the registry, events) or for --check. */
struct build {
	int check;
	void (*report)(void *arg, int line, int warning, const char *msg);
	void *arg;
	int errors;
	int64_t now;                    /* seconds since the epoch */
};

static void
problem(struct build *b, int line, int warning, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
problem(struct build *b, int line, int warning, const char *fmt, ...)
{
	char msg[ERR_LEN * 2];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) >= (int)sizeof(msg))
		msg[sizeof(msg) - 1] = '\0';
	va_end(ap);
	if (!warning)
		b->errors++;
	if (b->report != NULL)
		b->report(b->arg, line, warning, msg);
}

static int
sni_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls_listen *tl = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	int i;

	/* an unknown or odd name gets the default certificate, never an alert */
	if (name != NULL && tl->nsite > 1 && (i = sni_lookup(&tl->sni, name)) > 0)
		SSL_set_SSL_CTX(ssl, tl->site[i].ctx);
	return SSL_TLSEXT_ERR_OK;
}

static int
alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
    unsigned int inlen, void *arg)
{
	struct tls_listen *tl = arg;
	unsigned char *o;

	/* nothing in common: carry on without ALPN rather than refuse (HTTP/1.1 is assumed) */
	if (tl->alpn_len == 0 || SSL_select_next_proto(&o, outlen, tl->alpn, tl->alpn_len, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = o;
	return SSL_TLSEXT_ERR_OK;
}

/* What a listener's and a server's contexts share. */
static void
common_setup(SSL_CTX *ctx, int min)
{
	SSL_CTX_set_min_proto_version(ctx, min == TLS_MIN_13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	/* renegotiation: none at all (OpenSSL 3 already refuses a client's) */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* a whole socket read at a time, not a record header and then its body */
	SSL_CTX_set_read_ahead(ctx, 1);
}

/* The context of one certificate of listener tl; NULL with err. */
static SSL_CTX *
site_ctx(struct tls_listen *tl, struct tlscert *c, char *err)
{
	const struct frontend *fe = tl->fe;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	unsigned char sid[SSL_MAX_SID_CTX_LENGTH];
	char why[128];
	size_t n = strlen(fe->name);

	if (ctx == NULL) {
		err_set(err, "cannot set up TLS: %s", tlscert_reason(why, sizeof(why),
		    "out of memory"));
		return NULL;
	}
	common_setup(ctx, fe->tls_min);
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
	if (SSL_CTX_set_cipher_list(ctx, fe->tls_ciphers) != 1) {
		err_set(err, "tls-ciphers '%s' selects no cipher", fe->tls_ciphers);
		goto fail;
	}
	if (SSL_CTX_set_ciphersuites(ctx, fe->tls_ciphersuites) != 1) {
		err_set(err, "tls-ciphersuites '%s' selects no TLS 1.3 suite", fe->tls_ciphersuites);
		goto fail;
	}
	if (SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) != 1 ||
	    SSL_CTX_use_certificate(ctx, c->x509) != 1 || SSL_CTX_use_PrivateKey(ctx, c->pkey) != 1 ||
	    SSL_CTX_set1_chain(ctx, c->chain) != 1) {
		err_set(err, "%s: %s", c->path, tlscert_reason(why, sizeof(why),
		    "cannot be used"));
		goto fail;
	}
	/* sessions resume on the listener that made them, whichever certificate served them */
	memset(sid, 0, sizeof(sid));
	memcpy(sid, fe->name, n < sizeof(sid) ? n : sizeof(sid));
	SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid));
	if (fe->tls_session_timeout > 0) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
		SSL_CTX_sess_set_cache_size(ctx, TLS_CACHE_SIZE);
		SSL_CTX_set_timeout(ctx, (long)(fe->tls_session_timeout / 1000 > 0 ?
		    fe->tls_session_timeout / 1000 : 1));
		SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
		SSL_CTX_set_num_tickets(ctx, 1);
	} else {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, 0);
	}
	SSL_CTX_set_tlsext_servername_callback(ctx, sni_cb);
	SSL_CTX_set_tlsext_servername_arg(ctx, tl);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, tl);
	return ctx;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

/* tls-alpn "h2,http/1.1" in ALPN's wire format. */
static void
alpn_wire(struct tls_listen *tl, const char *list)
{
	unsigned int len = 0;

	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");

		if (n > 0 && n < 256 && len + 1 + n <= sizeof(tl->alpn)) {
			tl->alpn[len++] = (unsigned char)n;
			memcpy(tl->alpn + len, p, n);
			len += (unsigned int)n;
		}
		p += n + (p[n] == ',');
	}
	tl->alpn_len = len;
}

static void
listen_free(struct tls_listen *tl)
{
	if (tl == NULL)
		return;
	for (int i = 0; i < tl->nsite; i++) {
		SSL_CTX_free(tl->site[i].ctx);
		if (tl->registry)
			tlscert_put(tl->site[i].cert);
		else
			tlscert_free(tl->site[i].cert);
	}
	free(tl->site);
	sni_release(&tl->sni);
	stats_detach(tl->st);
	free(tl);
}

/* Say what is wrong with c's dates: expired is an error for --check, a warning at run. */
static void
check_dates(struct build *b, const struct frontend *fe, const struct tlscert *c, int line)
{
	int64_t days = tlscert_days_left(c, b->now);
	char when[64];

	tlscert_fmt_time(c->not_after, when, sizeof(when));
	if (c->not_after <= b->now)
		problem(b, line, !b->check, "certificate %s (%s) expired on %s", c->path,
		    c->subject, when);
	else if (days < TLSCERT_WARN_DAYS)
		problem(b, line, 1, "certificate %s (%s) expires in %lld day%s, on %s", c->path,
		    c->subject, (long long)days, days == 1 ? "" : "s", when);
	if (c->not_before > b->now) {
		tlscert_fmt_time(c->not_before, when, sizeof(when));
		problem(b, line, 1, "certificate %s (%s) is not valid before %s", c->path,
		    c->subject, when);
	}
}

/* Journal a certificate just read (not one reused unchanged), and its expiry. */
static void
cert_events(const struct frontend *fe, const struct tlscert *c)
{
	char when[64];
	int64_t days = tlscert_days_left(c, clock_now_ms() / 1000);

	tlscert_fmt_time(c->not_after, when, sizeof(when));
	events_record("tls_cert_loaded", "notice", c->path, "certificate for %s%s (%d name%s) "
	    "loaded for listener %s; it expires on %s", c->subject, c->nnames > 1 ? " and others" :
	    "", c->nnames, c->nnames == 1 ? "" : "s", fe->name, when);
	if (days < TLSCERT_WARN_DAYS)
		events_record("tls_cert_expiring", "warning", c->path, "certificate for %s %s %s",
		    c->subject, days < 0 ? "expired on" : "expires on", when);
}

/* Add certificate c (loaded from a file of line) to tl: a context, and its names. */
static int
add_site(struct build *b, struct tls_listen *tl, struct tlscert *c, int line, char *err)
{
	struct tls_site *s;
	char e[ERR_LEN];

	if (tl->nsite >= TLS_MAX_SITES) {
		err_set(err, "listener '%s': more than %d certificates", tl->fe->name, TLS_MAX_SITES);
		return -1;
	}
	if ((s = realloc(tl->site, sizeof(*s) * (size_t)(tl->nsite + 1))) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	tl->site = s;
	s = &tl->site[tl->nsite];
	if ((s->ctx = site_ctx(tl, c, err)) == NULL)
		return -1;
	s->cert = c;
	s->line = line;
	for (int i = 0; i < c->nnames; i++)
		if (sni_add(&tl->sni, c->names[i], tl->nsite, e) < 0)
			problem(b, line, 1, "%s: name %s", c->path, e);
	tl->nsite++;
	return 0;
}

/* The certificates of one tls-cert line into tl. -1 with err: fatal for a run. */
static int
add_line(struct build *b, struct tls_listen *tl, const struct tls_cert_cfg *cc, char *err)
{
	char **files, e[ERR_LEN];
	int n, rc = 0;

	if (tlscert_files(cc->cert, &files, &n, err) < 0)
		return -1;
	for (int i = 0; i < n && rc == 0; i++) {
		struct tlscert *c;
		int kept = 0;

		if (b->check) {
			rc = tlscert_load(files[i], n == 1 ? cc->key : "", &c, err);
		} else {
			c = tlscert_get(files[i], n == 1 ? cc->key : "", &kept, e);
			if (c == NULL) {
				err_set(err, "%s", e);
				rc = -1;
			} else if (kept) {
				char when[64];

				clock_fmt_utc_s(c->loaded_ms, when, sizeof(when));
				events_record("tls_cert_reload_failed", "error", files[i], "%s; keeping "
				    "the certificate loaded at %s", e, when);
			} else if (c->refs == 1) {
				cert_events(tl->fe, c);
			}
		}
		if (rc == 0) {
			check_dates(b, tl->fe, c, cc->line);
			if (add_site(b, tl, c, cc->line, err) < 0) {
				if (b->check)
					tlscert_free(c);
				else
					tlscert_put(c);
				rc = -1;
			}
		}
	}
	tlscert_files_free(files);
	return rc;
}

/* A TLS listener's contexts; NULL with err. */
static struct tls_listen *
listen_new(struct build *b, const struct frontend *fe, char *err)
{
	struct tls_listen *tl = calloc(1, sizeof(*tl));

	if (tl == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	tl->fe = fe;
	tl->registry = !b->check;
	sni_init(&tl->sni);
	alpn_wire(tl, fe->tls_alpn);
	if (!b->check && (tl->st = stats_attach(fe->name)) == NULL) {
		err_set(err, "out of memory");
		goto fail;
	}
	for (int i = 0; i < fe->ntls_cert; i++) {
		if (add_line(b, tl, &fe->tls_cert[i], err) < 0) {
			if (!b->check)
				goto fail;
			problem(b, fe->tls_cert[i].line, 0, "%s", err);
		}
	}
	sni_finish(&tl->sni);
	return tl;
fail:
	listen_free(tl);
	return NULL;
}

/* The host of "host:port" or "[v6]:port", and whether it is an IP address. */
static void
address_host(const char *addr, char *out, size_t n, int *is_ip)
{
	unsigned char tmp[sizeof(struct in6_addr)];
	const char *colon = strrchr(addr, ':');
	size_t len = colon ? (size_t)(colon - addr) : strlen(addr);

	if (addr[0] == '[' && len >= 2 && addr[len - 1] == ']')
		snprintf(out, n, "%.*s", (int)(len - 2), addr + 1);
	else
		snprintf(out, n, "%.*s", (int)len, addr);
	*is_ip = inet_pton(AF_INET, out, tmp) == 1 || inet_pton(AF_INET6, out, tmp) == 1;
}

static int
new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	SSL_SESSION **slot = SSL_get_ex_data(ssl, session_slot_idx);

	SSL_SESSION *copy;

	if (slot == NULL || !SSL_SESSION_is_resumable(sess))
		return 0;
	/*
	 * A copy: the session of a TLS 1.3 ticket is the connection's own, and
	 * OpenSSL marks it not resumable when that connection later ends
	 * without close_notify (a server that just closes its idle connection),
	 * which would cost the next connection a full handshake.
	 */
	if ((copy = SSL_SESSION_dup(sess)) == NULL)
		return 0;
	SSL_SESSION_free(*slot);
	*slot = copy;
	return 0;               /* the connection keeps its own reference */
}

static void
upstream_free(struct tls_upstream *u)
{
	if (u == NULL)
		return;
	SSL_CTX_free(u->ctx);
	free(u);
}

/* The client context of server sv; NULL with err. */
static struct tls_upstream *
upstream_new(const struct server *sv, char *err)
{
	struct tls_upstream *u = calloc(1, sizeof(*u));
	char why[128];

	if (u == NULL || (u->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		err_set(err, "out of memory");
		free(u);
		return NULL;
	}
	common_setup(u->ctx, TLS_MIN_12);
	u->verify = strcmp(sv->verify, "none") != 0;
	if (sv->sni[0]) {
		snprintf(u->name, sizeof(u->name), "%s", sv->sni);
		u->is_ip = 0;
	} else {
		address_host(sv->addr_str, u->name, sizeof(u->name), &u->is_ip);
	}
	if (u->verify) {
		SSL_CTX_set_verify(u->ctx, SSL_VERIFY_PEER, NULL);
		if (sv->verify[0] ? SSL_CTX_load_verify_locations(u->ctx, sv->verify, NULL) != 1 :
		    SSL_CTX_set_default_verify_paths(u->ctx) != 1) {
			err_set(err, "server '%s': cannot load the CAs of %s: %s", sv->name,
			    sv->verify[0] ? sv->verify : "the system", tlscert_reason(why, sizeof(why),
			    "unreadable"));
			upstream_free(u);
			return NULL;
		}
	}
	SSL_CTX_set_session_cache_mode(u->ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(u->ctx, new_session_cb);
	return u;
}

/* Build (or, for --check, try) every context of cfg. */
static int
build_all(struct build *b, struct lb_config *cfg, char *err)
{
	pthread_once(&once, init_once);
	if (lconn_bio == NULL || session_slot_idx < 0) {
		err_set(err, "cannot set up TLS: out of memory");
		return -1;
	}
	b->now = clock_now_ms() / 1000;
	for (int i = 0; i < cfg->nfe; i++) {
		struct frontend *fe = &cfg->fe[i];
		struct tls_listen *tl;

		if (fe->ntls_cert == 0)
			continue;
		if ((tl = listen_new(b, fe, err)) == NULL)
			return -1;
		if (b->check)
			listen_free(tl);
		else
			fe->tls = tl;
	}
	for (int i = 0; i < cfg->nservers; i++) {
		struct server *sv = &cfg->servers[i];
		struct tls_upstream *u;

		if (!sv->tls)
			continue;
		if ((u = upstream_new(sv, err)) == NULL) {
			if (!b->check)
				return -1;
			problem(b, sv->line, 0, "%s", err);
			continue;
		}
		if (b->check)
			upstream_free(u);
		else
			sv->tls_ctx = u;
	}
	return 0;
}

/* Does cfg have anything to build: a listener with a certificate, a server with tls? */
static int
has_tls(const struct lb_config *cfg)
{
	for (int i = 0; i < cfg->nfe; i++)
		if (cfg->fe[i].ntls_cert > 0)
			return 1;
	for (int i = 0; i < cfg->nservers; i++)
		if (cfg->servers[i].tls)
			return 1;
	return 0;
}

/* A run's problems go to the log: errors are only warnings once the file is accepted. */
static void
log_problem(void *arg, int line, int warning, const char *msg)
{
	if (warning)
		log_warn("%s", msg);
	else
		log_error("%s", msg);
}

int
tls_open(struct lb_config *cfg, char *err)
{
	struct build b = { .check = 0, .report = log_problem };
	int64_t period = 0;

	/* OpenSSL is loaded by the first configuration that uses it, not before */
	if (!has_tls(cfg))
		return 0;
	if (ossl_load(err) < 0)
		return -1;
	if (build_all(&b, cfg, err) < 0) {
		tls_close(cfg);
		return -1;
	}
	for (int i = 0; i < cfg->nfe; i++)
		if (cfg->fe[i].tls != NULL && cfg->fe[i].tls_session_timeout > period)
			period = cfg->fe[i].tls_session_timeout;
	/* a key encrypts for the longest session life, then decrypts for two more */
	tk_period = period > 60000 ? period : 60000;
	if (!tkeys[0].set && ticket_rotate() < 0) {
		err_set(err, "cannot make TLS ticket keys: no randomness");
		tls_close(cfg);
		return -1;
	}
	return 0;
}

void
tls_close(struct lb_config *cfg)
{
	for (int i = 0; i < cfg->nfe; i++) {
		listen_free(cfg->fe[i].tls);
		cfg->fe[i].tls = NULL;
	}
	for (int i = 0; i < cfg->nservers; i++) {
		upstream_free(cfg->servers[i].tls_ctx);
		cfg->servers[i].tls_ctx = NULL;
	}
}

int
tls_check(const struct lb_config *cfg,
    void (*report)(void *arg, int line, int warning, const char *msg), void *arg)
{
	struct build b = { .check = 1, .report = report, .arg = arg };
	char err[ERR_LEN];

	if (!has_tls(cfg))
		return 0;
	if (ossl_load(err) < 0) {
		problem(&b, 0, 0, "%s", err);
		return b.errors;
	}
	if (build_all(&b, (struct lb_config *)cfg, err) < 0)
		problem(&b, 0, 0, "%s", err);
	return b.errors;
}

/* ---- the main thread's tick ---- */

void
tls_tick(const struct lb_config *cfg)
{
	static int64_t last_check;
	int64_t now = clock_mono_ms();

	if (tkeys[0].set && now - tk_born >= tk_period && ticket_rotate() < 0)
		log_warn("cannot make a new TLS ticket key: no randomness; keeping the current one");
	/* expiries: once at start (tls_open said it), then once a day */
	if (last_check == 0)
		last_check = now;
	if (cfg == NULL || now - last_check < 86400000)
		return;
	last_check = now;
	for (int i = 0; i < cfg->nfe; i++) {
		const struct tls_listen *tl = cfg->fe[i].tls;

		for (int k = 0; tl != NULL && k < tl->nsite; k++) {
			const struct tlscert *c = tl->site[k].cert;
			char when[64];
			int64_t days = tlscert_days_left(c, clock_now_ms() / 1000);

			if (days >= TLSCERT_WARN_DAYS)
				continue;
			tlscert_fmt_time(c->not_after, when, sizeof(when));
			events_record("tls_cert_expiring", days < 0 ? "error" : "warning", c->path,
			    "certificate for %s %s %s", c->subject, days < 0 ? "expired on" :
			    "expires on", when);
		}
	}
}

/* ---- connections ---- */

static SSL *
new_ssl(SSL_CTX *ctx, struct lconn *c)
{
	SSL *ssl = SSL_new(ctx);
	BIO *bio;

	if (ssl == NULL)
		return NULL;
	if ((bio = BIO_new(lconn_bio)) == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	BIO_set_data(bio, c);
	SSL_set_bio(ssl, bio, bio);
	c->ssl = ssl;
	c->tls = 0;
	return ssl;
}

int
tls_accept(struct lconn *c, struct frontend *fe)
{
	SSL *ssl = new_ssl(fe->tls->site[0].ctx, c);

	if (ssl == NULL) {
		ERR_clear_error();
		return -1;
	}
	SSL_set_app_data(ssl, fe->tls);
	SSL_set_accept_state(ssl);
	return 0;
}

int
tls_connect(struct lconn *c, struct server *sv, SSL_SESSION **session, int counted)
{
	struct tls_upstream *u = sv->tls_ctx;
	SSL *ssl = new_ssl(u->ctx, c);

	if (ssl == NULL)
		goto fail;
	SSL_set_app_data(ssl, counted ? sv : NULL);
	SSL_set_ex_data(ssl, session_slot_idx, session);
	SSL_set_connect_state(ssl);
	if (!u->is_ip && SSL_set_tlsext_host_name(ssl, u->name) != 1)
		goto fail;
	if (u->verify) {
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (u->is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), u->name) != 1 :
		    SSL_set1_host(ssl, u->name) != 1)
			goto fail;
	}
	if (*session != NULL)
		SSL_set_session(ssl, *session);
	return 0;
fail:
	ERR_clear_error();
	tls_free(c);
	return -1;
}

/* The class of a client's failed handshake, from OpenSSL's error queue (emptied). */
static int
fail_class(SSL *ssl, int ret, int *plain_http)
{
	int e = SSL_get_error(ssl, ret);
	unsigned long code = ERR_peek_error();
	int reason = ERR_GET_REASON(code), cls = TF_OTHER;

	ERR_clear_error();
	if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN)
		return TF_CLOSED;
	if (ERR_GET_LIB(code) != ERR_LIB_SSL)
		return TF_OTHER;
	switch (reason) {
	case SSL_R_HTTP_REQUEST:
	case SSL_R_HTTPS_PROXY_REQUEST:
		*plain_http = 1;
		return TF_PLAIN_HTTP;
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_VERSION_TOO_LOW:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
		return TF_VERSION;
	case SSL_R_NO_SHARED_CIPHER:
	case SSL_R_NO_SUITABLE_KEY_SHARE:
	case SSL_R_NO_SHARED_GROUPS:
	case SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS:
	case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
		return TF_CIPHER;
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
	case SSL_R_RECORD_LENGTH_MISMATCH:
	case SSL_R_LENGTH_MISMATCH:
	case SSL_R_LENGTH_TOO_SHORT:
	case SSL_R_BAD_PACKET_LENGTH:
	case SSL_R_BAD_EXTENSION:
	case SSL_R_UNEXPECTED_MESSAGE:
	case SSL_R_UNEXPECTED_RECORD:
	case SSL_R_BAD_LENGTH:
	case SSL_R_BAD_PACKET:
	case SSL_R_EXCESSIVE_MESSAGE_SIZE:
	case SSL_R_TLSV1_ALERT_DECODE_ERROR:
		return TF_MALFORMED;
	default:
		if (reason >= SSL_AD_REASON_OFFSET)
			cls = TF_ALERT;
		return cls;
	}
}

static int
version_index(const SSL *ssl)
{
	return SSL_version(ssl) == TLS1_3_VERSION ? TV_13 : TV_12;
}

/* A server's handshake failed: why, for the log (the queue is emptied). */
static void
server_failure(SSL *ssl, int ret, char *err)
{
	long vr = SSL_get_verify_result(ssl);
	int e = SSL_get_error(ssl, ret);
	char why[128];

	if (vr != X509_V_OK)
		err_set(err, "certificate verify failed: %s", X509_verify_cert_error_string(vr));
	else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN)
		err_set(err, "the server closed the connection during the TLS handshake");
	else
		err_set(err, "TLS handshake: %s", tlscert_reason(why, sizeof(why), "failed"));
	ERR_clear_error();
}

int
tls_handshake(struct lconn *c, char *err)
{
	SSL *ssl = c->ssl;
	int ret = SSL_do_handshake(ssl);

	if (ret == 1) {
		c->tls |= TLS_DONE;
		if (SSL_is_server(ssl)) {
			struct tls_listen *tl = SSL_get_app_data(ssl);

			atomic_fetch_add_explicit(&tl->st->done[version_index(ssl)], 1,
			    memory_order_relaxed);
			if (SSL_session_reused(ssl))
				atomic_fetch_add_explicit(&tl->st->resumed, 1, memory_order_relaxed);
		} else if (SSL_get_app_data(ssl) != NULL) {
			struct server *sv = SSL_get_app_data(ssl);

			atomic_fetch_add_explicit(&sv->st->tls_handshakes, 1, memory_order_relaxed);
			if (SSL_session_reused(ssl))
				atomic_fetch_add_explicit(&sv->st->tls_resumed, 1, memory_order_relaxed);
		}
		return 1;
	}
	switch (SSL_get_error(ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return 0;
	case SSL_ERROR_WANT_WRITE:
		return 0;
	default:
		break;
	}
	c->tls |= TLS_FATAL;
	if (SSL_is_server(ssl)) {
		struct tls_listen *tl = SSL_get_app_data(ssl);
		int plain = 0;

		atomic_fetch_add_explicit(&tl->st->failed[fail_class(ssl, ret, &plain)], 1,
		    memory_order_relaxed);
		if (plain)
			c->tls |= TLS_PLAIN_HTTP;
		if (err != NULL)
			err_set(err, "TLS handshake failed");
	} else {
		char e[ERR_LEN];

		server_failure(ssl, ret, e);
		if (err != NULL)
			err_set(err, "%s", e);
	}
	return -1;
}

void
tls_handshake_timed_out(struct lconn *c)
{
	struct tls_listen *tl;

	if (c->ssl == NULL || !SSL_is_server(c->ssl) || (c->tls & TLS_DONE))
		return;
	tl = SSL_get_app_data(c->ssl);
	atomic_fetch_add_explicit(&tl->st->failed[TF_TIMEOUT], 1, memory_order_relaxed);
	c->tls |= TLS_FATAL;
}

int
tls_was_plain_http(const struct lconn *c)
{
	return (c->tls & TLS_PLAIN_HTTP) != 0;
}

/* After SSL_read/SSL_write failed with ret: 0 to wait, -1 at the end or on an error. */
static int
io_failed(struct lconn *c, int ret)
{
	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		/* close_notify: the end of the peer's data */
		c->ready &= (uint8_t)~RD_IN;
		errno = 0;
		return -1;
	case SSL_ERROR_SYSCALL:
		/* a socket error, or the end without close_notify (errno 0) */
		c->tls |= TLS_FATAL;
		c->ready &= (uint8_t)~RD_IN;
		ERR_clear_error();
		return -1;
	default:
		c->tls |= TLS_FATAL;
		c->ready &= (uint8_t)~RD_IN;
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

int
tls_pending(const struct lconn *c)
{
	return c->ssl != NULL && SSL_has_pending(c->ssl);
}

ssize_t
tls_read(struct lconn *c, char *p, size_t n)
{
	size_t got = 0;

	/* bytes OpenSSL already holds need no edge: read them whatever RD_IN says */
	while (got < n && ((c->ready & RD_IN) || SSL_has_pending(c->ssl))) {
		size_t r;
		int ret = SSL_read_ex(c->ssl, p + got, n - got, &r);

		if (ret == 1) {
			got += r;
			continue;
		}
		if (io_failed(c, ret) < 0)
			return got > 0 ? (ssize_t)got : -1;
		break;
	}
	return (ssize_t)got;
}

ssize_t
tls_writev(struct lconn *c, const struct iovec *iov, int cnt)
{
	static __thread char rec[TLS_RECORD];
	size_t total = 0, done = 0;
	int i = 0;
	size_t off = 0;                 /* into iov[i] */

	for (int k = 0; k < cnt; k++)
		total += iov[k].iov_len;
	while (done < total && (c->ready & RD_OUT)) {
		const char *p;
		size_t len, w;
		int ret;

		/* one record at a time; the pieces of a small answer go out as one */
		if (iov[i].iov_len - off >= TLS_RECORD || i == cnt - 1) {
			p = (const char *)iov[i].iov_base + off;
			len = iov[i].iov_len - off < TLS_RECORD ? iov[i].iov_len - off : TLS_RECORD;
		} else {
			size_t k = (size_t)i, o = off;

			len = 0;
			while (k < (size_t)cnt && len < TLS_RECORD) {
				size_t take = iov[k].iov_len - o;

				if (take > TLS_RECORD - len)
					take = TLS_RECORD - len;
				memcpy(rec + len, (const char *)iov[k].iov_base + o, take);
				len += take;
				o += take;
				if (o == iov[k].iov_len) {
					k++;
					o = 0;
				}
			}
			p = rec;
		}
		ret = SSL_write_ex(c->ssl, p, len, &w);
		if (ret != 1) {
			if (io_failed(c, ret) < 0)
				return done > 0 ? (ssize_t)done : -1;
			c->ready &= (uint8_t)~RD_OUT;
			break;
		}
		done += w;
		/* move (i, off) on by w */
		while (w > 0) {
			size_t left = iov[i].iov_len - off;

			if (w < left) {
				off += w;
				w = 0;
			} else {
				w -= left;
				i++;
				off = 0;
			}
		}
		while (i < cnt && iov[i].iov_len == 0)
			i++;
	}
	return (ssize_t)done;
}

int
tls_idle_ok(struct lconn *c)
{
	char b;
	size_t r;
	int ret;

	ERR_clear_error();
	ret = SSL_read_ex(c->ssl, &b, 1, &r);
	if (ret == 1)
		return 0;               /* data nobody asked for */
	return SSL_get_error(c->ssl, ret) == SSL_ERROR_WANT_READ ? (ERR_clear_error(), 1) :
	    (io_failed(c, ret), 0);
}

void
tls_shutdown(struct lconn *c)
{
	if (c->ssl == NULL || (c->tls & (TLS_FATAL | TLS_SHUT)) || !(c->tls & TLS_DONE))
		return;
	c->tls |= TLS_SHUT;
	/* once, without waiting: what the socket cannot take now is not sent */
	if (SSL_shutdown(c->ssl) < 0)
		ERR_clear_error();
}

void
tls_free(struct lconn *c)
{
	if (c->ssl == NULL)
		return;
	SSL_free(c->ssl);
	c->ssl = NULL;
	c->tls = 0;
}

void
tls_session_free(SSL_SESSION **s)
{
	/* a worker of a configuration without TLS has none, and OpenSSL may not be loaded */
	if (*s == NULL)
		return;
	SSL_SESSION_free(*s);
	*s = NULL;
}

const char *
tls_version(const struct lconn *c)
{
	return c->ssl != NULL && (c->tls & TLS_DONE) ? SSL_get_version(c->ssl) : NULL;
}

const char *
tls_cipher(const struct lconn *c)
{
	return c->ssl != NULL && (c->tls & TLS_DONE) ? SSL_get_cipher_name(c->ssl) : NULL;
}

/* ---- metrics ---- */

/*
 * One family of per-listener counters: n counters at offset off in each TLS
 * listener's tls_stats, labelled label=names[k] (no label when n is 1).
 */
static void
listen_family(struct prom *p, const struct lb_config *cfg, const char *name, const char *help,
    size_t off, int n, const char *label, const char *const *names)
{
	prom_family(p, name, PROM_COUNTER, help);
	for (int i = 0; i < cfg->nfe; i++) {
		const struct tls_listen *tl = cfg->fe[i].tls;
		const _Atomic uint64_t *v;

		if (tl == NULL)
			continue;
		v = (const _Atomic uint64_t *)(const void *)((const char *)tl->st + off);
		for (int k = 0; k < n; k++) {
			prom_begin(p, NULL);
			prom_label(p, "listen", cfg->fe[i].name);
			if (label != NULL)
				prom_label(p, label, names[k]);
			prom_end_u64(p, atomic_load(&v[k]));
		}
	}
}

/* One family of a counter of every tls server, at offset off in its srv_state. */
static void
server_family(struct prom *p, const struct lb_config *cfg, const char *name, const char *help,
    size_t off)
{
	prom_family(p, name, PROM_COUNTER, help);
	for (int i = 0; i < cfg->nservers; i++) {
		const struct server *sv = &cfg->servers[i];

		if (!sv->tls)
			continue;
		prom_begin(p, NULL);
		prom_label(p, "pool", sv->pool->name);
		prom_label(p, "server", sv->name);
		prom_end_u64(p, atomic_load((const _Atomic uint64_t *)(const void *)
		    ((const char *)sv->st + off)));
	}
}

void
tls_metrics(struct prom *p, const struct lb_config *cfg)
{
	int any = 0;

	for (int i = 0; i < cfg->nfe; i++)
		any |= cfg->fe[i].tls != NULL;
	if (any) {
		listen_family(p, cfg, "brace_tls_handshakes_total",
		    "TLS handshakes clients completed, by listener and TLS version.",
		    offsetof(struct tls_stats, done), TV_COUNT, "version", version_names);
		listen_family(p, cfg, "brace_tls_resumed_handshakes_total",
		    "Of those, handshakes that resumed a session (ticket or cache).",
		    offsetof(struct tls_stats, resumed), 1, NULL, NULL);
		listen_family(p, cfg, "brace_tls_handshake_failures_total",
		    "Client TLS handshakes that failed, by listener and reason.",
		    offsetof(struct tls_stats, failed), TF_COUNT, "reason", fail_names);
		prom_family(p, "brace_tls_certificate_expiry_timestamp_seconds", PROM_GAUGE,
		    "When each certificate a listener serves expires (Unix time).");
		for (int i = 0; i < cfg->nfe; i++) {
			const struct tls_listen *tl = cfg->fe[i].tls;

			for (int k = 0; tl != NULL && k < tl->nsite; k++) {
				prom_begin(p, NULL);
				prom_label(p, "listen", cfg->fe[i].name);
				prom_label(p, "cert", tl->site[k].cert->path);
				prom_end_i64(p, tl->site[k].cert->not_after);
			}
		}
	}
	any = 0;
	for (int i = 0; i < cfg->nservers; i++)
		any |= cfg->servers[i].tls;
	if (!any)
		return;
	server_family(p, cfg, "brace_server_tls_handshakes_total",
	    "TLS handshakes with a server, new connections only (pooled ones need none).",
	    offsetof(struct srv_state, tls_handshakes));
	server_family(p, cfg, "brace_server_tls_resumed_handshakes_total",
	    "Of those, handshakes that resumed the worker's last session with the server.",
	    offsetof(struct srv_state, tls_resumed));
}
