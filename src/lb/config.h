/*
 * config.h - what a load balancer is told to do: frontends, pools, servers.
 *
 *   frontend  a [listen NAME] section: addresses to bind, http or tcp, and for
 *             HTTP the routes (Host and path prefix) that pick a pool
 *   pool      a [pool NAME] section: servers, balancing, timeouts, health checks
 *   server    one line of a pool: name, address, weight, maxconn
 *
 * Every key of the file is a row of one table (config_key.h), which also
 * maps the quick command-line flags to keys: --listen/--backend and the
 * rest build one frontend "main" and one pool "default" through the same
 * parsers as the file, so every flag has a file equivalent (--dump-config
 * prints it, config_file.h).
 *
 * A configuration is immutable once config_finish() accepted it; workers
 * read it without locks. What changes at run time (health, drain, counters,
 * the wait queue) lives in the runtime states the pools and servers point
 * to (server.h), which a reload carries over by name.
 *
 * This is a leaf of the load balancer: the configuration files include no
 * header of the running proxy, so the parser builds and fuzzes on its own.
 */
#ifndef BRACE_LB_CONFIG_H
#define BRACE_LB_CONFIG_H

#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "core/err.h"
#include "core/log.h"
#include "lb/http.h"

#define LB_NAME_LEN       64
#define LB_ADDR_LEN       (INET6_ADDRSTRLEN + 8)
#define LB_MAX_LISTEN     16      /* binds per frontend */
#define LB_MAX_FRONTENDS  32
#define LB_MAX_POOLS      64
#define LB_MAX_SERVERS    256     /* across all pools */
#define LB_MAX_ROUTES     64      /* per frontend */
#define LB_HOST_LEN       128
#define LB_PATH_LEN       256
#define LB_TOKEN_LEN      128
#define LB_BUFSIZE        16384   /* bytes per socket buffer, like HAProxy's tune.bufsize */
#define LB_MAX_HDRS       100     /* header fields in a request or response head */
#define LB_MAX_CERTS      16      /* tls-cert lines per listener (each a file or a directory) */
#define LB_FILE_LEN       512     /* a certificate, key or CA file name */
#define LB_CIPHERS_LEN    512     /* an OpenSSL cipher list */
#define LB_ALPN_LEN       128     /* the ALPN protocols a listener offers, comma-separated */

/*
 * A TLS listener's suites unless tls-ciphers / tls-ciphersuites say
 * otherwise: for TLS 1.2 only AEAD ciphers with ECDHE key exchange (forward
 * secrecy, no CBC, no RSA key exchange: Mozilla's "intermediate" list
 * without its finite-field DHE suites, since the groups offered are X25519
 * and P-256); for TLS 1.3 the three suites every client has.
 */
#define LB_TLS_CIPHERS "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define LB_TLS_CIPHERSUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
	"TLS_CHACHA20_POLY1305_SHA256"

/* The names of the quick form's listener and pool. */
#define LB_QUICK_LISTEN   "main"
#define LB_QUICK_POOL     "default"

enum lb_mode { MODE_HTTP = 0, MODE_TCP };

enum lb_balance {
	BAL_ROUNDROBIN = 0, BAL_LEASTCONN, BAL_RANDOM2, BAL_HASH_SOURCE, BAL_HASH_URI,
	BAL_HASH_HEADER,
};

enum check_type { CHECK_NONE = 0, CHECK_TCP, CHECK_HTTP };

enum alog_format { ALOG_COMBINED = 0, ALOG_JSON, ALOG_COMBINED_TLS };

/* The lowest TLS version a listener accepts (tls-min). */
enum tls_min { TLS_MIN_12 = 12, TLS_MIN_13 = 13 };

struct srv_state;
struct pool_state;
struct ring_point;
struct tls_listen;
struct tls_upstream;

struct lb_listen {
	char str[LB_ADDR_LEN];          /* as written */
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

struct pool;

struct server {
	char name[LB_NAME_LEN];
	char addr_str[LB_ADDR_LEN];     /* "host:port" as written */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int index;                      /* position in cfg->servers: unique in a config */
	int weight;                     /* 0-256; 0 takes no new requests */
	int maxconn;                    /* 0 = no cap */
	int tls;                        /* speak TLS to it */
	char verify[LB_FILE_LEN];       /* CA file its certificate must chain to; "" = the
	                                 * system's; "none" = not verified */
	char sni[LB_HOST_LEN];          /* name sent and verified; "" = the address's host */
	struct pool *pool;
	struct srv_state *st;           /* runtime state (server.h) */
	struct tls_upstream *tls_ctx;   /* runtime (tls.h): its TLS client context, when tls */
	int line;                       /* where it was defined; 0 = command line */
};

struct check_cfg {
	enum check_type type;
	char path[LB_PATH_LEN];         /* HTTP: what to ask for ["/"] */
	char host[LB_HOST_LEN];         /* HTTP: Host header ["" = the server address] */
	int expect;                     /* 1-5: a status class (2 = 2xx); 100-599: a code */
	int64_t interval;               /* ms */
	int64_t timeout;                /* ms */
	int timeout_set;                /* given: else config_finish keeps it below interval */
	int rise;                       /* successes that bring a server back */
	int fall;                       /* failures that take it out */
};

struct pool {
	char name[LB_NAME_LEN];
	int index;
	struct server *srv[LB_MAX_SERVERS];
	int nsrv;
	enum lb_balance balance;
	char hash_header[LB_NAME_LEN];  /* lower case */
	struct ring_point *ring;        /* built by config_finish for hash-* (ring.h) */
	int nring;
	int64_t t_queue, t_connect, t_server, t_pool_idle;
	int retries;
	int max_idle;                   /* idle connections per server per worker */
	struct check_cfg check;
	int passive_fall;               /* consecutive failures that mark down; 0 = off */
	int passive_5xx;                /* 5xx answers count as failures too */
	int panic_threshold;            /* % of servers healthy below which health is ignored; 0 = off */
	int64_t passive_rest;           /* a passively failed server rests this long (no check) */
	int64_t slow_start;             /* weight ramps up over this after recovery; 0 = off */
	struct pool_state *st;          /* runtime state (server.h) */
	int line;
	int refused;                    /* lines of its section the file reader refused */
};

struct route {
	char host[LB_HOST_LEN];         /* "" any; "*.example.org" a suffix; else exact */
	char path[LB_PATH_LEN];         /* a prefix; "" any */
	char pool_name[LB_NAME_LEN];    /* resolved to pool by config_finish */
	struct pool *pool;
	int line;
};

/* A tls-cert line: a PEM bundle (certificate, chain, key) or a directory of them. */
struct tls_cert_cfg {
	char cert[LB_FILE_LEN];
	char key[LB_FILE_LEN];          /* tls-key: "" = in the bundle, or NAME.key beside it */
	int line;
};

struct frontend {
	char name[LB_NAME_LEN];
	int index;
	enum lb_mode mode;
	struct lb_listen bind[LB_MAX_LISTEN];
	int nbind;
	struct route route[LB_MAX_ROUTES];
	int nroutes;
	char default_pool_name[LB_NAME_LEN];
	struct pool *default_pool;      /* resolved by config_finish */
	int64_t t_client, t_request, t_tunnel;
	uint64_t max_body;              /* request body bytes; 0 = no limit (413 past it) */
	struct http_limits lim;
	int redirect_https;             /* answer every request with a redirect to https:// */
	/* TLS: on when tls_cert has lines; the rest has no effect without them */
	struct tls_cert_cfg tls_cert[LB_MAX_CERTS];
	int ntls_cert;
	int tls_min;                    /* enum tls_min */
	char tls_ciphers[LB_CIPHERS_LEN];       /* TLS 1.2 suites, an OpenSSL cipher list */
	char tls_ciphersuites[LB_CIPHERS_LEN];  /* TLS 1.3 suites */
	char tls_alpn[LB_ALPN_LEN];     /* protocols offered, comma-separated; "" = none */
	int64_t tls_session_timeout;    /* ms a session may be resumed; 0 = no resumption */
	int64_t t_handshake;            /* a client's whole handshake, from its accept */
	struct tls_listen *tls;         /* runtime (tls.h): contexts and certificates */
	int line;
	int refused;                    /* lines of its section the file reader refused */
};

struct lb_config {
	struct frontend fe[LB_MAX_FRONTENDS];
	int nfe;
	struct pool pool[LB_MAX_POOLS];
	int npools;
	struct server servers[LB_MAX_SERVERS];
	int nservers;
	/* [global] */
	int threads;
	int threads_set;                /* chosen, not the default (dumped as a comment) */
	int maxconn;
	int maxconn_set;                /* chosen, not the default: warn if it cannot be had */
	int64_t t_grace;
	struct lb_listen admin;         /* str "" = no admin listener */
	char admin_token[LB_TOKEN_LEN]; /* as the file or flag gives it; "" = none */
	char admin_token_file[PATH_MAX];        /* the token's own file (read at start); "" = none */
	int admin_any;                  /* admin may listen beyond loopback */
	char access_log[PATH_MAX];      /* "" off, "syslog", or a file */
	enum alog_format access_format;
	char journal[PATH_MAX];         /* "" = the default journal path */
	int journal_off;
	int64_t sample_interval;        /* ms between two samples in the journal; 0 = none */
	enum log_level log_level;
	int log_level_set;
	int splice;                     /* large plaintext bodies move by splice(2) */
	char path[PATH_MAX];            /* the file it came from; "" = command line */
};

/*
 * Builders, used by the keys' parsers (config_key.c) and by tests. Each
 * returns 0 or a pointer, or -1 or NULL with a reason in err (no file or
 * line: the caller adds them).
 */
/* A configuration with every default; NULL when out of memory. */
struct lb_config *config_new(void);
/* Free cfg and what it owns (hash rings; not the runtime states); cfg may be NULL. */
void config_free(struct lb_config *cfg);
/*
 * A new [listen NAME] / [pool NAME] with its defaults; NULL if the name is
 * bad, taken, or one too many.
 */
struct frontend *config_add_frontend(struct lb_config *cfg, const char *name, char *err);
struct pool *config_add_pool(struct lb_config *cfg, const char *name, char *err);
/* The listener / pool of that name, or NULL. */
struct frontend *config_find_frontend(struct lb_config *cfg, const char *name);
struct pool *config_find_pool(struct lb_config *cfg, const char *name);
/* Is name a good name for a listener, pool or server? 1, or 0 with err set. */
int config_valid_name(const char *name, char *err);
/* "NAME HOST:PORT [OPTION=VALUE ...]" (the file's server key) */
int config_add_server_line(struct lb_config *cfg, struct pool *p, const char *line, char *err);
/* "HOST:PORT[,OPTION=VALUE ...][,name=NAME]" (--backend) */
int config_add_server_spec(struct lb_config *cfg, struct pool *p, const char *spec, char *err);
/* The values a server has until an option says otherwise (weight 1). */
extern const struct server config_server_defaults;
/* "[host=H] [path=/P] pool=NAME" */
int config_add_route(struct frontend *fe, const char *spec, char *err);
/* roundrobin, leastconn, random2 (random), hash-source, hash-uri, hash-header:NAME */
int config_set_balance(struct pool *p, const char *v, char *err);
/* 2xx, 3xx, ... or a code: 200 */
int config_set_expect(struct pool *p, const char *v, char *err);
/*
 * Resolve "HOST:PORT", "[v6]:PORT" (first address only); passive: an empty
 * or "*" host is any IPv4 address. 0, or -1 with err naming spec.
 */
int config_parse_hostport(const char *spec, int passive, struct sockaddr_storage *ss,
    socklen_t *len, char *err);

/*
 * Check the whole (frontends bind somewhere, routes name pools that exist,
 * pools have servers, a tcp frontend has no routes, numbers within their
 * keys' bounds, ...) and settle what is derived (default pools, a check
 * timeout not given is kept below the interval, hash rings). Every problem
 * is reported through report(), with the line it comes from (0 = command
 * line); returns the number of problems. Safe to call again.
 */
int config_finish(struct lb_config *cfg,
    void (*report)(void *arg, int line, const char *msg), void *arg);

/* Text names of enums, as the file spells them. */
const char *config_balance_name(enum lb_balance b);
const char *config_mode_name(enum lb_mode m);

#endif
