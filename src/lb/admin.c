/*
 * admin.c - see admin.h.
 *
 * Admin traffic is a scrape every few seconds and a rare POST: one thread
 * serves every connection on a poll loop of non-blocking sockets, each with
 * a deadline from its accept and a cap on how many are open, so a slow or
 * idle client never delays another (at the cap, the oldest connection still
 * sending its request is closed to make room). The proxy's workers never
 * see it. Requests are parsed with the proxy's own strict parser.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "lb/admin.h"
#include "lb/events.h"
#include "lb/gen.h"
#include "lb/server.h"
#include "lb/shed.h"
#include "lb/worker.h"

#define ADMIN_MAX_OUT      (8u << 20)
#define ADMIN_MAX_HEAD     8192         /* a request head, in bytes */
#define ADMIN_MAX_CONNS    64           /* connections at once */
#define ADMIN_DEADLINE_MS  5000         /* from accept to the last byte of the answer */
#define ADMIN_POLL_MS      200          /* how soon admin_stop() is noticed */

static int admin_fd = -1;
static pthread_t admin_th;
static int admin_running;
static _Atomic int admin_quit;
static pthread_mutex_t admin_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lb_config *admin_cfg;     /* under admin_lock */
static char admin_token[LB_TOKEN_LEN];
static int64_t admin_started;
static _Atomic uint64_t admin_evicted;  /* connections closed to make room */

static const char *const class_names[LB_CLASSES] = { "1xx", "2xx", "3xx", "4xx", "5xx", "other" };
static const char *const admin_names[] = { "ready", "drain", "maint" };

int
admin_open(struct lb_config *cfg, char *err)
{
	int one = 1;

	admin_cfg = cfg;
	admin_started = clock_now_ms();
	if (cfg->admin.str[0] == '\0')
		return 0;
	if (cfg->admin_token_file[0]) {
		if (admin_read_token(cfg->admin_token_file, admin_token, sizeof(admin_token),
		    err) < 0)
			return -1;
	} else {
		snprintf(admin_token, sizeof(admin_token), "%s", cfg->admin_token);
	}
	admin_fd = socket(cfg->admin.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (admin_fd < 0) {
		err_set(err, "admin: cannot create a socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(admin_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(admin_fd, (struct sockaddr *)&cfg->admin.addr, cfg->admin.addrlen) < 0 ||
	    listen(admin_fd, 64) < 0) {
		err_set(err, "cannot bind admin %s: %s", cfg->admin.str, strerror(errno));
		close(admin_fd);
		admin_fd = -1;
		return -1;
	}
	return 0;
}

void
admin_use(struct lb_config *cfg)
{
	pthread_mutex_lock(&admin_lock);
	admin_cfg = cfg;
	pthread_mutex_unlock(&admin_lock);
}

void
admin_forget(struct lb_config *cfg)
{
	pthread_mutex_lock(&admin_lock);
	if (admin_cfg == cfg)
		admin_cfg = NULL;
	pthread_mutex_unlock(&admin_lock);
}

/* ---- /metrics ---- */

static void
esc_label(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_putc(b, '\\');
		if (*s == '\n') {
			buf_puts(b, "\\n");
			continue;
		}
		buf_putc(b, *s);
	}
}

static void
srv_labels(struct buf *b, const struct server *sv)
{
	buf_puts(b, "pool=\"");
	esc_label(b, sv->pool->name);
	buf_puts(b, "\",server=\"");
	esc_label(b, sv->name);
	buf_putc(b, '"');
}

static int
srv_health(const struct server *sv, int64_t now)
{
	return !atomic_load(&sv->st->check_down) && atomic_load(&sv->st->down_until) <= now;
}

static void
help(struct buf *b, const char *name, const char *type, const char *text)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* One line per server for an atomic counter or gauge at offset off in srv_state. */
static void
per_server(struct buf *b, const struct lb_config *cfg, const char *name, const char *type,
    const char *text, size_t off, int is_int)
{
	help(b, name, type, text);
	for (int i = 0; i < cfg->nservers; i++) {
		const struct server *sv = &cfg->servers[i];
		const char *p = (const char *)sv->st + off;

		buf_printf(b, "%s{", name);
		srv_labels(b, sv);
		if (is_int)
			buf_printf(b, "} %d\n", atomic_load((_Atomic int *)p));
		else
			buf_printf(b, "} %llu\n",
			    (unsigned long long)atomic_load((_Atomic uint64_t *)p));
	}
}

static void
histogram(struct buf *b, const struct lb_config *cfg, const char *name, const char *text,
    int resp)
{
	help(b, name, "histogram", text);
	for (int i = 0; i < cfg->npools; i++) {
		const struct pool_state *ps = cfg->pool[i].st;
		const _Atomic uint64_t *h = resp ? ps->resp_hist : ps->queue_hist;
		uint64_t cum = 0;

		for (int k = 0; k <= LB_HIST_BUCKETS; k++) {
			cum += atomic_load(&h[k]);
			buf_printf(b, "%s_bucket{pool=\"", name);
			esc_label(b, cfg->pool[i].name);
			if (k < LB_HIST_BUCKETS)
				buf_printf(b, "\",le=\"%g\"} %llu\n", server_hist_bounds[k],
				    (unsigned long long)cum);
			else
				buf_printf(b, "\",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
		}
		buf_printf(b, "%s_sum{pool=\"", name);
		esc_label(b, cfg->pool[i].name);
		buf_printf(b, "\"} %.6f\n", (double)atomic_load(resp ? &ps->resp_sum_us :
		    &ps->queue_sum_us) / 1e6);
		buf_printf(b, "%s_count{pool=\"", name);
		esc_label(b, cfg->pool[i].name);
		buf_printf(b, "\"} %llu\n", (unsigned long long)cum);
	}
}

void
admin_metrics(struct buf *b, const struct lb_config *cfg)
{
	int64_t now = clock_mono_ms();

	help(b, "brace_build_info", "gauge", "Version of brace lb.");
	buf_printf(b, "brace_build_info{version=\"%s\"} 1\n", BRACE_VERSION);
	help(b, "brace_start_time_seconds", "gauge", "When brace lb started (Unix time).");
	buf_printf(b, "brace_start_time_seconds %.3f\n", (double)admin_started / 1000);
	help(b, "brace_client_connections", "gauge", "Client connections open now.");
	buf_printf(b, "brace_client_connections %d\n", atomic_load(&worker_nclients));
	help(b, "brace_client_connections_max", "gauge", "The cap on client connections.");
	buf_printf(b, "brace_client_connections_max %d\n", cfg->maxconn);
	help(b, "brace_client_refused_total", "counter",
	    "Clients answered at once past maxconn (503, or closed in TCP mode).");
	buf_printf(b, "brace_client_refused_total %llu\n",
	    (unsigned long long)atomic_load(&shed_refused));
	help(b, "brace_client_idle_closed_total", "counter",
	    "Idle keep-alive clients closed to make room for new ones at maxconn.");
	buf_printf(b, "brace_client_idle_closed_total %llu\n",
	    (unsigned long long)atomic_load(&shed_idle_closed));
	help(b, "brace_reloads_total", "counter", "Configuration reloads that took effect.");
	buf_printf(b, "brace_reloads_total %llu\n", (unsigned long long)atomic_load(&gen_reloads));
	help(b, "brace_reload_failures_total", "counter", "Reloads refused (bad configuration).");
	buf_printf(b, "brace_reload_failures_total %llu\n",
	    (unsigned long long)atomic_load(&gen_reload_failures));

	help(b, "brace_requests_total", "counter",
	    "Answers from servers, by pool, server and status class.");
	for (int i = 0; i < cfg->nservers; i++) {
		const struct server *sv = &cfg->servers[i];

		for (int k = 0; k < LB_CLASSES; k++) {
			buf_puts(b, "brace_requests_total{");
			srv_labels(b, sv);
			buf_printf(b, ",code=\"%s\"} %llu\n", class_names[k],
			    (unsigned long long)atomic_load(&sv->st->responses[k]));
		}
	}
	per_server(b, cfg, "brace_server_sent_total", "counter",
	    "Requests or connections sent to a server.", offsetof(struct srv_state, requests), 0);
	per_server(b, cfg, "brace_server_active_connections", "gauge",
	    "Connections serving a request or session now.", offsetof(struct srv_state, active), 1);
	per_server(b, cfg, "brace_server_idle_connections", "gauge",
	    "Idle keep-alive connections kept for reuse.", offsetof(struct srv_state, idle), 1);
	per_server(b, cfg, "brace_server_failures_total", "counter",
	    "Connect errors, resets, invalid answers and timeouts.",
	    offsetof(struct srv_state, failures), 0);
	per_server(b, cfg, "brace_server_retries_total", "counter",
	    "Requests sent to another server after this one failed.",
	    offsetof(struct srv_state, retries), 0);
	per_server(b, cfg, "brace_server_downs_total", "counter",
	    "Times the server was taken out.", offsetof(struct srv_state, downs), 0);
	per_server(b, cfg, "brace_bytes_in_total", "counter",
	    "Bytes from clients passed to the server.", offsetof(struct srv_state, bytes_in), 0);
	per_server(b, cfg, "brace_bytes_out_total", "counter",
	    "Bytes from the server passed to clients.", offsetof(struct srv_state, bytes_out), 0);
	help(b, "brace_server_up", "gauge", "1 if the server is healthy, 0 if it is down.");
	for (int i = 0; i < cfg->nservers; i++) {
		const struct server *sv = &cfg->servers[i];

		buf_puts(b, "brace_server_up{");
		srv_labels(b, sv);
		buf_puts(b, ",address=\"");
		esc_label(b, sv->addr_str);
		buf_printf(b, "\"} %d\n", srv_health(sv, now));
	}
	help(b, "brace_server_state", "gauge",
	    "What an operator set: ready, drain or maint (1 for the current one).");
	for (int i = 0; i < cfg->nservers; i++) {
		const struct server *sv = &cfg->servers[i];
		int a = atomic_load(&sv->st->admin);

		for (int k = 0; k < 3; k++) {
			buf_puts(b, "brace_server_state{");
			srv_labels(b, sv);
			buf_printf(b, ",state=\"%s\"} %d\n", admin_names[k], a == k);
		}
	}
	help(b, "brace_queue_length", "gauge", "Requests waiting for a server slot.");
	for (int i = 0; i < cfg->npools; i++) {
		buf_puts(b, "brace_queue_length{pool=\"");
		esc_label(b, cfg->pool[i].name);
		buf_printf(b, "\"} %d\n", atomic_load(&cfg->pool[i].st->q.n));
	}
	help(b, "brace_queue_timeouts_total", "counter",
	    "Requests that waited past the queue timeout (503 or closed).");
	for (int i = 0; i < cfg->npools; i++) {
		buf_puts(b, "brace_queue_timeouts_total{pool=\"");
		esc_label(b, cfg->pool[i].name);
		buf_printf(b, "\"} %llu\n",
		    (unsigned long long)atomic_load(&cfg->pool[i].st->queue_timeouts));
	}
	help(b, "brace_pool_panic", "gauge",
	    "1 while too few servers of the pool are healthy and it balances over all of them.");
	for (int i = 0; i < cfg->npools; i++) {
		buf_puts(b, "brace_pool_panic{pool=\"");
		esc_label(b, cfg->pool[i].name);
		buf_printf(b, "\"} %d\n", server_pool_panic(&cfg->pool[i]));
	}
	help(b, "brace_pool_panics_total", "counter", "Times the pool went into panic.");
	for (int i = 0; i < cfg->npools; i++) {
		buf_puts(b, "brace_pool_panics_total{pool=\"");
		esc_label(b, cfg->pool[i].name);
		buf_printf(b, "\"} %llu\n", (unsigned long long)atomic_load(&cfg->pool[i].st->panics));
	}
	histogram(b, cfg, "brace_queue_time_seconds", "Time requests waited for a server slot.", 0);
	histogram(b, cfg, "brace_response_time_seconds",
	    "Time from sending a request to a server to its answer's head.", 1);
}

/* ---- /stats ---- */

static void
stats(struct buf *b, const struct lb_config *cfg)
{
	int64_t now = clock_mono_ms();
	char ts[CLOCK_FMT_LEN];
	int first = 1;

	clock_fmt_utc(admin_started, ts, sizeof(ts));
	buf_putc(b, '{');
	json_key(b, &first, "version");
	json_str(b, BRACE_VERSION);
	json_key(b, &first, "started");
	json_str(b, ts);
	json_key(b, &first, "config");
	json_str(b, cfg->path[0] ? cfg->path : NULL);
	json_key(b, &first, "client_connections");
	json_int(b, atomic_load(&worker_nclients));
	json_key(b, &first, "maxconn");
	json_int(b, cfg->maxconn);
	json_key(b, &first, "client_refused");
	json_int(b, (int64_t)atomic_load(&shed_refused));
	json_key(b, &first, "client_idle_closed");
	json_int(b, (int64_t)atomic_load(&shed_idle_closed));
	json_key(b, &first, "reloads");
	json_int(b, (int64_t)atomic_load(&gen_reloads));
	json_key(b, &first, "pools");
	buf_putc(b, '[');
	for (int i = 0; i < cfg->npools; i++) {
		const struct pool *p = &cfg->pool[i];
		int pf = 1;

		if (i > 0)
			buf_putc(b, ',');
		buf_putc(b, '{');
		json_key(b, &pf, "name");
		json_str(b, p->name);
		json_key(b, &pf, "balance");
		json_str(b, config_balance_name(p->balance));
		json_key(b, &pf, "queue");
		json_int(b, atomic_load(&p->st->q.n));
		json_key(b, &pf, "queue_timeouts");
		json_int(b, (int64_t)atomic_load(&p->st->queue_timeouts));
		json_key(b, &pf, "panic");
		buf_puts(b, server_pool_panic(p) ? "true" : "false");
		json_key(b, &pf, "servers");
		buf_putc(b, '[');
		for (int k = 0; k < p->nsrv; k++) {
			const struct server *sv = p->srv[k];
			const struct srv_state *st = sv->st;
			int sf = 1, cf = 1;

			if (k > 0)
				buf_putc(b, ',');
			buf_putc(b, '{');
			json_key(b, &sf, "name");
			json_str(b, sv->name);
			json_key(b, &sf, "address");
			json_str(b, sv->addr_str);
			json_key(b, &sf, "up");
			buf_puts(b, srv_health(sv, now) ? "true" : "false");
			json_key(b, &sf, "state");
			json_str(b, admin_names[atomic_load(&st->admin)]);
			json_key(b, &sf, "check");
			json_str(b, p->check.type == CHECK_NONE ? NULL : st->check_msg);
			json_key(b, &sf, "weight");
			json_int(b, sv->weight);
			json_key(b, &sf, "maxconn");
			json_int(b, sv->maxconn);
			json_key(b, &sf, "active");
			json_int(b, atomic_load(&st->active));
			json_key(b, &sf, "idle");
			json_int(b, atomic_load(&st->idle));
			json_key(b, &sf, "sent");
			json_int(b, (int64_t)atomic_load(&st->requests));
			json_key(b, &sf, "responses");
			buf_putc(b, '{');
			for (int c = 0; c < LB_CLASSES; c++) {
				json_key(b, &cf, class_names[c]);
				json_int(b, (int64_t)atomic_load(&st->responses[c]));
			}
			buf_putc(b, '}');
			json_key(b, &sf, "failures");
			json_int(b, (int64_t)atomic_load(&st->failures));
			json_key(b, &sf, "retries");
			json_int(b, (int64_t)atomic_load(&st->retries));
			json_key(b, &sf, "downs");
			json_int(b, (int64_t)atomic_load(&st->downs));
			json_key(b, &sf, "bytes_in");
			json_int(b, (int64_t)atomic_load(&st->bytes_in));
			json_key(b, &sf, "bytes_out");
			json_int(b, (int64_t)atomic_load(&st->bytes_out));
			buf_putc(b, '}');
		}
		buf_puts(b, "]}");
	}
	buf_puts(b, "]}\n");
}

/* ---- server controls ---- */

static int
control(const struct lb_config *cfg, const char *path, struct buf *out, int *status)
{
	char pool[LB_NAME_LEN] = "", name[LB_NAME_LEN] = "", action[16] = "";
	const struct server *found = NULL;
	char subject[LB_NAME_LEN * 2 + 2];
	int matches = 0, want;

	if (sscanf(path, "/pools/%63[^/]/servers/%63[^/]/%15s", pool, name, action) != 3 &&
	    sscanf(path, "/servers/%63[^/]/%15s", name, action) != 2) {
		*status = 404;
		buf_puts(out, "{\"error\":\"no such endpoint\"}\n");
		return 0;
	}
	if (strcmp(action, "drain") == 0)
		want = ADM_DRAIN;
	else if (strcmp(action, "disable") == 0)
		want = ADM_MAINT;
	else if (strcmp(action, "enable") == 0)
		want = ADM_READY;
	else {
		*status = 404;
		buf_puts(out, "{\"error\":\"actions are drain, disable and enable\"}\n");
		return 0;
	}
	for (int i = 0; i < cfg->nservers; i++) {
		const struct server *sv = &cfg->servers[i];

		if (strcmp(sv->name, name) == 0 && (pool[0] == '\0' || strcmp(sv->pool->name, pool) == 0)) {
			found = sv;
			matches++;
		}
	}
	if (matches != 1) {
		*status = matches == 0 ? 404 : 409;
		buf_printf(out, "{\"error\":\"%s\"}\n", matches == 0 ? "no such server" :
		    "that name is in several pools: use /pools/POOL/servers/NAME/ACTION");
		return 0;
	}
	atomic_store(&found->st->admin, want);
	server_pool_check(found->pool, clock_mono_ms());
	snprintf(subject, sizeof(subject), "%s/%s", found->pool->name, found->name);
	events_record(want == ADM_DRAIN ? "server_drain" : want == ADM_MAINT ? "server_disable" :
	    "server_enable", want == ADM_READY ? "notice" : "warning", subject,
	    "server %s/%s (%s) set to %s through the admin API", found->pool->name, found->name,
	    found->addr_str, admin_names[want]);
	*status = 200;
	buf_printf(out, "{\"pool\":\"%s\",\"server\":\"%s\",\"state\":\"%s\",\"active\":%d}\n",
	    found->pool->name, found->name, admin_names[want], atomic_load(&found->st->active));
	return 0;
}

/* ---- the token ---- */

int
admin_read_token(const char *path, char *out, size_t n, char *err)
{
	char buf[LB_TOKEN_LEN + 2];
	ssize_t got = 0, r;
	size_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		err_set(err, "admin-token-file %s: %s", path, strerror(errno));
		return -1;
	}
	/* The first line is the token; a longer one is refused, not cut. */
	while ((size_t)got < sizeof(buf) - 1 &&
	    (r = read(fd, buf + got, sizeof(buf) - 1 - (size_t)got)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set(err, "admin-token-file %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		got += r;
		if (memchr(buf, '\n', (size_t)got) != NULL)
			break;
	}
	close(fd);
	buf[got] = '\0';
	len = strcspn(buf, "\n");
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (len == 0) {
		err_set(err, "admin-token-file %s: the first line is empty", path);
		return -1;
	}
	if (len >= n || len > LB_TOKEN_LEN - 1) {
		err_set(err, "admin-token-file %s: the token is longer than %d characters", path,
		    LB_TOKEN_LEN - 1);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)buf[i] <= ' ' || (unsigned char)buf[i] >= 0x7f) {
			err_set(err, "admin-token-file %s: the token has a space or a character "
			    "other than printable ASCII", path);
			return -1;
		}
	}
	memcpy(out, buf, len);
	out[len] = '\0';
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* ---- a request ---- */

static int
token_ok(const struct http_msg *m)
{
	size_t tl = strlen(admin_token);
	unsigned diff = 0;

	if (tl == 0)
		return 1;
	for (size_t i = 0; i < m->nhdrs; i++) {
		const struct http_hdr *h = &m->hdrs[i];

		if (h->name_len != 13 || !http_token_eq(h->name, 13, "authorization"))
			continue;
		if (h->value_len != 7 + tl || strncasecmp(h->value, "Bearer ", 7) != 0)
			return 0;
		for (size_t k = 0; k < tl; k++)
			diff |= (unsigned)(h->value[7 + k] ^ admin_token[k]);
		return diff == 0;
	}
	return 0;
}

/* The answer to the request head in req[0..len) (or to a bad one): head and body into out. */
static void
answer(const char *req, size_t len, struct buf *out)
{
	struct http_limits lim = { 4096, ADMIN_MAX_HEAD, 64 };
	struct http_hdr hdrs[64];
	struct http_msg m = { .hdrs = hdrs };
	struct buf body = BUF_INIT(ADMIN_MAX_OUT);
	char path[512];
	int status = 200;
	const char *ctype = "application/json", *reason;

	if (len == 0 || http_parse_request(req, len, &lim, &m) < 0) {
		status = 400;
		buf_puts(&body, "{\"error\":\"bad request\"}\n");
	} else if (snprintf(path, sizeof(path), "%.*s", (int)m.target_len, m.target),
	    !token_ok(&m)) {
		status = 401;
		buf_puts(&body, "{\"error\":\"a valid bearer token is required\"}\n");
	} else {
		pthread_mutex_lock(&admin_lock);
		if (admin_cfg == NULL) {
			status = 503;
			buf_puts(&body, "{\"error\":\"reloading\"}\n");
		} else if (strcmp(path, "/metrics") == 0 && m.method_len == 3 &&
		    memcmp(m.method, "GET", 3) == 0) {
			ctype = "text/plain; version=0.0.4";
			admin_metrics(&body, admin_cfg);
		} else if (strcmp(path, "/stats") == 0 && m.method_len == 3 &&
		    memcmp(m.method, "GET", 3) == 0) {
			stats(&body, admin_cfg);
		} else if (strncmp(path, "/servers/", 9) == 0 || strncmp(path, "/pools/", 7) == 0) {
			if (m.method_len == 4 && memcmp(m.method, "POST", 4) == 0) {
				control(admin_cfg, path, &body, &status);
			} else {
				status = 405;
				buf_puts(&body, "{\"error\":\"use POST\"}\n");
			}
		} else {
			status = 404;
			buf_puts(&body, "{\"error\":\"try /metrics, /stats or POST "
			    "/servers/NAME/drain\"}\n");
		}
		pthread_mutex_unlock(&admin_lock);
	}
	reason = status == 200 ? "OK" : status == 401 ? "Unauthorized" :
	    status == 404 ? "Not Found" : status == 405 ? "Method Not Allowed" :
	    status == 409 ? "Conflict" : status == 503 ? "Service Unavailable" : "Bad Request";
	buf_init(out, ADMIN_MAX_OUT + 512);
	buf_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n%s\r\n", status, reason, ctype, body.len,
	    status == 401 ? "WWW-Authenticate: Bearer\r\n" : "");
	buf_append(out, body.data, body.len);
	buf_release(&body);
}

/* ---- connections, on one poll loop ---- */

/*
 * One admin connection: reading its head, then writing the answer. Every
 * connection has a deadline from its accept; at the cap, the oldest one
 * still reading makes way for a new one, so idle connections can never keep
 * a scrape out.
 */
struct admin_conn {
	int fd;                         /* -1: free slot */
	int64_t deadline;               /* monotonic ms */
	int64_t since;                  /* monotonic ms of the accept */
	char req[ADMIN_MAX_HEAD];
	size_t len, scan;
	struct buf out;                 /* the answer, once the head is in */
	size_t sent;
	int writing;
};

static struct admin_conn admin_conns[ADMIN_MAX_CONNS];

static void
conn_close(struct admin_conn *c)
{
	close(c->fd);
	c->fd = -1;
	buf_release(&c->out);
}

/* Read what is there; once the head is complete (or cannot be), make the answer. */
static void
conn_read(struct admin_conn *c)
{
	for (;;) {
		ssize_t n;

		if (c->len == sizeof(c->req)) {
			answer(c->req, 0, &c->out);     /* a head past the limit: 400 */
			c->writing = 1;
			return;
		}
		n = read(c->fd, c->req + c->len, sizeof(c->req) - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->len += (size_t)n;
		if (http_head_end(c->req, c->len, &c->scan) > 0) {
			answer(c->req, c->len, &c->out);
			c->writing = 1;
			return;
		}
	}
}

static void
conn_write(struct admin_conn *c)
{
	while (c->sent < c->out.len) {
		ssize_t n = write(c->fd, c->out.data + c->sent, c->out.len - c->sent);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			log_info("admin: cannot answer: %s", strerror(errno));
			break;
		}
		c->sent += (size_t)n;
	}
	conn_close(c);
}

/* A free slot, making one at the cap: the oldest connection still reading goes. */
static struct admin_conn *
conn_slot(void)
{
	struct admin_conn *oldest = NULL;

	for (int i = 0; i < ADMIN_MAX_CONNS; i++) {
		struct admin_conn *c = &admin_conns[i];

		if (c->fd < 0)
			return c;
		if (!c->writing && (oldest == NULL || c->since < oldest->since))
			oldest = c;
	}
	if (oldest != NULL) {
		atomic_fetch_add(&admin_evicted, 1);
		conn_close(oldest);
	}
	return oldest;
}

static void
accept_all(void)
{
	for (;;) {
		struct admin_conn *c;
		int fd = accept4(admin_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return;
		if ((c = conn_slot()) == NULL) {
			close(fd);              /* every slot is busy answering */
			continue;
		}
		c->fd = fd;
		c->since = clock_mono_ms();
		c->deadline = c->since + ADMIN_DEADLINE_MS;
		c->len = c->scan = c->sent = 0;
		c->writing = 0;
		conn_read(c);
		if (c->fd >= 0 && c->writing)
			conn_write(c);
	}
}

static void *
admin_main(void *arg)
{
	struct pollfd pfd[ADMIN_MAX_CONNS + 1];
	struct admin_conn *who[ADMIN_MAX_CONNS + 1];

	(void)arg;
	for (int i = 0; i < ADMIN_MAX_CONNS; i++)
		admin_conns[i].fd = -1;
	while (!atomic_load(&admin_quit)) {
		int64_t now = clock_mono_ms(), wait = ADMIN_POLL_MS;
		nfds_t n = 1;

		pfd[0] = (struct pollfd){ admin_fd, POLLIN, 0 };
		for (int i = 0; i < ADMIN_MAX_CONNS; i++) {
			struct admin_conn *c = &admin_conns[i];

			if (c->fd < 0)
				continue;
			if (now >= c->deadline) {
				conn_close(c);          /* too slow: the deadline is the same for all */
				continue;
			}
			if (c->deadline - now < wait)
				wait = c->deadline - now;
			who[n] = c;
			pfd[n++] = (struct pollfd){ c->fd, c->writing ? POLLOUT : POLLIN, 0 };
		}
		if (poll(pfd, n, (int)wait) <= 0)
			continue;
		for (nfds_t i = 1; i < n; i++) {
			struct admin_conn *c = who[i];

			if (pfd[i].revents == 0 || c->fd != pfd[i].fd)
				continue;
			if (!c->writing)
				conn_read(c);
			if (c->fd >= 0 && c->writing)
				conn_write(c);
		}
		if (pfd[0].revents & POLLIN)
			accept_all();
	}
	for (int i = 0; i < ADMIN_MAX_CONNS; i++)
		if (admin_conns[i].fd >= 0)
			conn_close(&admin_conns[i]);
	return NULL;
}

void
admin_start(void)
{
	if (admin_fd < 0)
		return;
	if (pthread_create(&admin_th, NULL, admin_main, NULL) == 0)
		admin_running = 1;
	else
		log_error("admin: cannot start its thread");
}

void
admin_stop(void)
{
	if (admin_running) {
		atomic_store(&admin_quit, 1);
		pthread_join(admin_th, NULL);
		admin_running = 0;
	}
	if (admin_fd >= 0)
		close(admin_fd);
	admin_fd = -1;
	explicit_bzero(admin_token, sizeof(admin_token));
}
