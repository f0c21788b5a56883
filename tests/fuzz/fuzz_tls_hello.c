/*
 * fuzz_tls_hello.c - libFuzzer target for what a TLS client's first bytes
 * reach in brace lb: OpenSSL's record and ClientHello parsing as brace lb
 * sets it up, and brace's own code it calls back (the BIO over the
 * socket, the server name lookup with two certificates, a wildcard among
 * them, ALPN selection, the ticket key callback for a ticket in a
 * pre_shared_key or session_ticket extension, and the classification of a
 * failed handshake).
 *
 * A listener is set up once with tls_open() on two certificates made at
 * start (P-256, self-signed: "default.test" and "*.example.org"). Each
 * input is written into one end of a socket pair, which is then shut for
 * writing, and tls_handshake() runs on the other end as a worker runs it
 * until it fails or waits for bytes that will never come. Checks:
 *
 * - the handshake never completes (no input can hold a client Finished
 *   that verifies), and never crashes, leaks or trips a sanitizer;
 * - tls_handshake() answers -1, 0 or 1 only, and a failure leaves the
 *   session unusable (tls_read() reports the end).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "fuzz.h"
#include "lb/config.h"
#include "lb/events.h"
#include "lb/lconn.h"
#include "lb/tls.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The journal is not part of this target: events are dropped. */
void
events_record(const char *kind, const char *severity, const char *subject,
    const char *fmt, ...)
{
}

static struct lb_config *cfg;

/* A self-signed P-256 certificate for name, key included, written to path. */
static void
make_bundle(const char *path, const char *name)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	char san[128];
	FILE *f;

	CHECK(key != NULL && x != NULL);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	snprintf(san, sizeof(san), "DNS:%s", name);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
	CHECK(ext != NULL);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	CHECK(X509_sign(x, key, EVP_sha256()) > 0);
	f = fopen(path, "w");
	CHECK(f != NULL);
	CHECK(PEM_write_X509(f, x) == 1 && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
	    NULL) == 1);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(key);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/brace-fuzz-tls-XXXXXX", err[ERR_LEN];
	struct frontend *fe;

	CHECK(mkdtemp(dir) != NULL);
	cfg = config_new();
	CHECK(cfg != NULL);
	fe = config_add_frontend(cfg, "fuzz", err);
	CHECK(fe != NULL);
	snprintf(fe->tls_cert[0].cert, sizeof(fe->tls_cert[0].cert), "%s/default.pem", dir);
	snprintf(fe->tls_cert[1].cert, sizeof(fe->tls_cert[1].cert), "%s/wild.pem", dir);
	fe->ntls_cert = 2;
	snprintf(fe->tls_alpn, sizeof(fe->tls_alpn), "h2,http/1.1");
	make_bundle(fe->tls_cert[0].cert, "default.test");
	make_bundle(fe->tls_cert[1].cert, "*.example.org");
	if (tls_open(cfg, err) < 0) {
		fprintf(stderr, "fuzz_tls_hello: %s\n", err);
		abort();
	}
	/* the files are read: the directory is not needed any more */
	unlink(fe->tls_cert[0].cert);
	unlink(fe->tls_cert[1].cert);
	rmdir(dir);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2], rc = 0;
	struct lconn c = { 0 };
	char sink[4096];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return 0;
	for (size_t off = 0; off < size;) {
		ssize_t n = write(sv[1], data + off, size - off);

		if (n <= 0)
			break;          /* the socket buffer is full: the rest is cut */
		off += (size_t)n;
	}
	shutdown(sv[1], SHUT_WR);
	c.fd = sv[0];
	c.type = LC_CLIENT;
	CHECK(tls_accept(&c, &cfg->fe[0]) == 0);
	for (int turn = 0; turn < 16; turn++) {
		c.ready |= RD_IN | RD_OUT;
		rc = tls_handshake(&c, NULL);
		CHECK(rc == -1 || rc == 0 || rc == 1);
		CHECK(rc != 1);
		if (rc < 0)
			break;
		/* what the server said goes nowhere */
		while (read(sv[1], sink, sizeof(sink)) > 0)
			;
	}
	if (rc < 0) {
		c.ready |= RD_IN;
		CHECK(tls_read(&c, sink, sizeof(sink)) <= 0);
	}
	tls_shutdown(&c);
	tls_free(&c);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
