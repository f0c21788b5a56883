/*
 * tls.h - TLS in brace lb, through OpenSSL: listeners that terminate it,
 * servers spoken to over it, and the connections of both on the workers'
 * event loops.
 *
 * Listeners. Each TLS listener of a configuration gets one SSL_CTX per
 * certificate, all set up alike: TLS 1.2 and 1.3 (tls-min may raise it),
 * for 1.2 only the AEAD suites with ECDHE of tls-ciphers, the server's
 * order of preference, X25519 and P-256, no compression, no renegotiation,
 * ALPN from tls-alpn. The first certificate's context is the listener's;
 * the server name a client sends picks another one (sni.h). Sessions resume
 * by tickets, whose keys are shared by every worker and every generation of
 * the process and rotated (an older key still decrypts for a while, and
 * the ticket is then renewed), or from the listener's own session cache.
 *
 * Servers. A server with `tls` gets a client SSL_CTX: its certificate is
 * verified against verify= (or the system's CAs) for sni= (or the host of
 * its address) unless verify=none, and each worker keeps the last session
 * of each server to resume the next connection with; connections in the
 * idle pool stay TLS sessions.
 *
 * Connections. A struct lconn with a TLS session reads and writes through
 * tls_read() and tls_writev(), which keep lconn's contract: bytes, 0 to
 * wait (the direction's ready bit cleared once the socket said EAGAIN), -1
 * at the end or on an error. OpenSSL reads and writes the socket through a
 * BIO of brace's own that keeps the ready bits as lconn_read() would, so
 * a drained socket costs no second read. Handshakes run on the same loop,
 * without blocking (tls_handshake()). Buffers are OpenSSL's, released
 * while a connection is idle (SSL_MODE_RELEASE_BUFFERS).
 *
 * Lifetime. tls_open() builds the contexts of a configuration (its
 * listeners' tls, its servers' tls_ctx) before its workers start, and
 * tls_close() frees them after they stopped; certificates come from the
 * registry of tlscert.h, so a reload reads only the files that changed and
 * keeps a certificate whose new file fails to load. The main thread calls
 * tls_tick() every second: ticket key rotation, expiry warnings.
 *
 * OpenSSL is not linked but loaded (ossl.h), by the first tls_open() or
 * tls_check() of a configuration with TLS; a balancer without TLS never
 * maps it. tls_close(), tls_tick(), tls_metrics() and tls_session_free() of
 * a NULL session work whether or not it was loaded; the functions of a
 * connection are called only for one with a TLS session, which exists only
 * once it was.
 */
#ifndef BRACE_LB_TLS_H
#define BRACE_LB_TLS_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct frontend;
struct lb_config;
struct lconn;
struct prom;
struct server;
struct ssl_session_st;

/*
 * Build the TLS contexts of cfg (accepted by config_finish): every TLS
 * listener's certificates and every TLS server's client context. A
 * configuration without TLS has nothing to build: 0 at once, and OpenSSL is
 * not loaded. Otherwise it is loaded first, if it was not yet; that failing
 * is -1 with err naming libssl.so.3, its Debian package and the loader's
 * reason. A certificate that cannot be loaded is an error, unless an
 * earlier load of the same file exists (a reload): that one is kept, and
 * the refusal is logged and journaled. Certificates past or near their
 * expiry are warned about. 0, or -1 with err naming the file and the reason
 * (nothing kept).
 */
int tls_open(struct lb_config *cfg, char *err);
/* Free what tls_open() built for cfg (its workers have stopped). */
void tls_close(struct lb_config *cfg);

/*
 * --check: load every certificate, key and CA file of cfg afresh and set
 * up every context, reporting each problem through report() with the line
 * of its tls-cert or server (0: none), as an error (a file that cannot be
 * read, a key that does not match, an expired certificate, a cipher list
 * that selects nothing) or a warning (expiring within 14 days). Returns the
 * number of errors. Without TLS in cfg, 0 at once; OpenSSL that cannot be
 * loaded is one error (line 0), as tls_open() words it.
 */
int tls_check(const struct lb_config *cfg,
    void (*report)(void *arg, int line, int warning, const char *msg), void *arg);

/* The main thread's second: rotate ticket keys when due, warn about expiries daily. */
void tls_tick(const struct lb_config *cfg);

/* Append the TLS families of /metrics for cfg. */
void tls_metrics(struct prom *p, const struct lb_config *cfg);

/*
 * Make c (a client connection just accepted on fe, a TLS listener) a TLS
 * session waiting for its handshake. 0, or -1 (out of memory).
 */
int tls_accept(struct lconn *c, struct frontend *fe);
/*
 * Make c (a connection to sv, connected) a TLS session waiting for its
 * handshake, resuming *session if there is one; new sessions the server
 * gives replace *session (a worker's, per server: only its thread uses it).
 * counted: the handshake counts in the server's metrics (not a health
 * check's). 0, or -1 (out of memory).
 */
int tls_connect(struct lconn *c, struct server *sv, struct ssl_session_st **session,
    int counted);
/*
 * Move c's handshake on as far as its socket allows: 1 done, 0 waiting (a
 * ready bit cleared), -1 failed (counted by reason; why, for a server,
 * written into err, which may be NULL).
 */
int tls_handshake(struct lconn *c, char *err);
/* A client's handshake ran out of time (timeout-handshake): count it. */
void tls_handshake_timed_out(struct lconn *c);
/* Did a client's failed handshake begin with plain HTTP? (It is answered in plain HTTP.) */
int tls_was_plain_http(const struct lconn *c);

/* Does OpenSSL hold bytes of c already read from its socket (no edge will say so)? */
int tls_pending(const struct lconn *c);
/* lconn_read() / lconn_writev() of a TLS connection: the same contract. */
ssize_t tls_read(struct lconn *c, char *p, size_t n);
ssize_t tls_writev(struct lconn *c, const struct iovec *iov, int cnt);
/*
 * An idle pooled connection became readable: take in what TLS sends by
 * itself (session tickets). 1 still usable, 0 the server closed it or sent
 * something unasked.
 */
int tls_idle_ok(struct lconn *c);
/* Say goodbye (close_notify) if the session is in a state to, without waiting. */
void tls_shutdown(struct lconn *c);
/* Free c's TLS session (before its socket is closed); nothing if it has none. */
void tls_free(struct lconn *c);
/* Free a session kept for resumption (nothing if *s is NULL); *s is NULL afterwards. */
void tls_session_free(struct ssl_session_st **s);

/* "TLSv1.3" and "TLS_AES_128_GCM_SHA256" of an established session, else NULL. */
const char *tls_version(const struct lconn *c);
const char *tls_cipher(const struct lconn *c);

#endif
