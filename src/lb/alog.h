/*
 * alog.h - the access log: one line per HTTP request.
 *
 * combined (the default) is the Apache/nginx combined format with three
 * fields added, as nginx's $upstream_addr $upstream_response_time
 * $request_time give them:
 *
 *   203.0.113.7 - - [27/Nov/2026:07:20:07 +0000] "GET /a HTTP/1.1" 200 612
 *   "https://ref/" "curl/8.0" 10.0.0.11:8080 0.004 0.005
 *
 * combined-tls adds two fields at the end: the TLS version and cipher of
 * the client's connection ("TLSv1.3 TLS_AES_128_GCM_SHA256", "- -" for
 * plain HTTP). json writes one JSON object per line instead, the TLS
 * fields included. Lines go to a file (opened
 * with O_APPEND, reopened on SIGUSR1 for logrotate) or to syslog. Each
 * worker buffers its lines and writes them whole, at most a second late.
 */
#ifndef BRACE_LB_ALOG_H
#define BRACE_LB_ALOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "lb/config.h"

struct http_msg;
struct stream;
struct worker;

/* What one line of the access log says. */
struct alog_line {
	const char *client;             /* the client's address */
	const char *request;            /* method, target (cut at 400 bytes) and version */
	const char *host, *referer, *user_agent;        /* "" or NULL: absent */
	const char *frontend;
	const char *pool, *server, *upstream;           /* NULL: none (no server asked) */
	int status;
	uint64_t bytes;                 /* body bytes sent to the client */
	int64_t time_ms;                /* wall clock when the request ended (json) */
	double upstream_time;           /* seconds; < 0: no server was asked */
	double request_time;            /* seconds */
	const char *tls_version;        /* "TLSv1.3"; NULL: plain HTTP */
	const char *tls_cipher;         /* "TLS_AES_128_GCM_SHA256"; NULL: plain HTTP */
};

/*
 * Open cfg's access log, if any (a file in append mode, created 0640, or
 * syslog), before the workers start. 0, or -1 with err set.
 */
int alog_open(struct lb_config *cfg, char *err);
/* A reload: follow a changed path or format (off/syslog/file changes need a restart: logged). */
void alog_configure(struct lb_config *cfg);
/* SIGUSR1: open the file again under its name; atomic for the workers (dup2). */
void alog_reopen(void);
/* After the workers' last flush: stop logging and close. */
void alog_close(void);

/* Keep what the log line needs from the request head (called in start_txn). */
void alog_capture(struct stream *s, const struct http_msg *m);
/* A request refused before its head was parsed: keep what line there was. */
void alog_capture_raw(struct stream *s, const char *p, size_t n);
/* Log the stream's current request with this status (once). */
void alog_request(struct stream *s, int status);
/* Write out the worker's buffered lines (force, or when due). */
void alog_flush(struct worker *w, int force);

/*
 * Append l to b as one line, '\n' included, in format fmt. The combined
 * format takes its time stamp as given (alog_stamp()); its quoted fields
 * escape '"' and '\' and write control bytes as \xHH. 0, or -1 when b
 * cannot take the whole line: b is then as it was (no half line, ever).
 */
int alog_format(struct buf *b, enum alog_format fmt, const struct alog_line *l,
    const char *stamp);
/* The combined format's time stamp of ms since the epoch, in local time:
 * "[27/Nov/2026:07:20:07 +0000]". */
void alog_stamp(int64_t ms, char *out, size_t n);

#endif
