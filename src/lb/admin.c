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
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "lb/admin.h"
#include "lb/events.h"
#include "lb/metrics.h"
#include "lb/server.h"

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
	    found->addr_str, metrics_admin_name(want));
	*status = 200;
	buf_printf(out, "{\"pool\":\"%s\",\"server\":\"%s\",\"state\":\"%s\",\"active\":%d}\n",
	    found->pool->name, found->name, metrics_admin_name(want), atomic_load(&found->st->active));
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
	struct metrics_process pr = { admin_started, atomic_load(&admin_evicted) };
	char path[512], err[ERR_LEN];
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
			if (metrics_page(&body, admin_cfg, &pr, err) < 0) {
				/* never half a page served as if it were all of it */
				static struct log_limit said = LOG_LIMIT_INIT;

				log_limited(&said, LOG_LVL_WARN, "admin: /metrics: %s", err);
				buf_reset(&body);
				status = 500;
				ctype = "application/json";
				buf_puts(&body, "{\"error\":\"the metrics page is too large\"}\n");
			}
		} else if (strcmp(path, "/stats") == 0 && m.method_len == 3 &&
		    memcmp(m.method, "GET", 3) == 0) {
			metrics_stats(&body, admin_cfg, &pr);
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
	    status == 409 ? "Conflict" : status == 500 ? "Internal Server Error" :
	    status == 503 ? "Service Unavailable" : "Bad Request";
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
