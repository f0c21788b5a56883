/*
 * health.c - see health.h.
 *
 * Probes are non-blocking sockets in the checker's own epoll loop, so a
 * hundred servers that time out cost one thread a timeout, not a hundred.
 * Probe start times are spread over the interval so checks of many servers
 * do not arrive at once.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "lb/events.h"
#include "lb/health.h"
#include "lb/server.h"

enum { P_IDLE = 0, P_CONNECTING, P_SENDING, P_READING };

struct probe {
	struct server *sv;
	int fd;
	int state;
	int view;               /* the checker's idea of check_down */
	int64_t next;           /* when to start the next probe (ms) */
	int64_t deadline;       /* when the current one fails (ms) */
	char buf[512];
	size_t len, sent;
};

struct health {
	pthread_t th;
	_Atomic int stop;
	int epfd;
	struct probe *probes;
	int n;
};

static void
probe_close(struct health *h, struct probe *p)
{
	if (p->fd >= 0) {
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, p->fd, NULL);
		close(p->fd);
	}
	p->fd = -1;
	p->state = P_IDLE;
}

/* Record a probe's verdict and move the server up or down. */
static void
verdict(struct health *h, struct probe *p, int ok, const char *why, int64_t now)
{
	struct server *sv = p->sv;
	struct srv_state *st = sv->st;
	const struct check_cfg *c = &sv->pool->check;
	int down = atomic_load(&st->check_down);

	probe_close(h, p);
	p->next = now + c->interval;
	snprintf(st->check_msg, sizeof(st->check_msg), "%s", why);
	if (down != p->view) {
		/* Requests marked it down meanwhile: count the rise from zero. */
		p->view = down;
		st->check_ok = st->check_ko = 0;
	}
	if (ok) {
		st->check_ko = 0;
		if (down && ++st->check_ok >= c->rise) {
			atomic_store(&st->fails, 0);
			atomic_store(&st->down_until, 0);
			atomic_store(&st->up_since, now);
			atomic_store(&st->check_down, 0);
			p->view = 0;
			st->check_ok = 0;
			events_server(sv, 1, "health check passed %d time%s (%s)", c->rise,
			    c->rise == 1 ? "" : "s", why);
			server_pool_check(sv->pool, now);
		}
		return;
	}
	st->check_ok = 0;
	if (!down && ++st->check_ko >= c->fall) {
		atomic_store(&st->check_down, 1);
		atomic_fetch_add(&st->downs, 1);
		p->view = 1;
		st->check_ko = 0;
		events_server(sv, 0, "health check failed %d time%s: %s", c->fall,
		    c->fall == 1 ? "" : "s", why);
		server_pool_check(sv->pool, now);
	}
}

static void
probe_start(struct health *h, struct probe *p, int64_t now)
{
	struct server *sv = p->sv;
	const struct check_cfg *c = &sv->pool->check;
	struct epoll_event ev;
	int one = 1;

	p->fd = socket(sv->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		verdict(h, p, 0, strerror(errno), now);
		return;
	}
	setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	p->deadline = now + c->timeout;
	p->len = p->sent = 0;
	if (connect(p->fd, (struct sockaddr *)&sv->addr, sv->addrlen) < 0 && errno != EINPROGRESS) {
		verdict(h, p, 0, strerror(errno), now);
		return;
	}
	p->state = P_CONNECTING;
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
	ev.data.ptr = p;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, p->fd, &ev) < 0)
		verdict(h, p, 0, strerror(errno), now);
}

static int
status_ok(int expect, int status)
{
	return expect < 10 ? status / 100 == expect : status == expect;
}

static void
probe_event(struct health *h, struct probe *p, uint32_t events, int64_t now)
{
	const struct check_cfg *c = &p->sv->pool->check;

	if (p->state == P_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0) {
			verdict(h, p, 0, strerror(err), now);
			return;
		}
		if (!(events & EPOLLOUT))
			return;
		if (c->type == CHECK_TCP) {
			verdict(h, p, 1, "connect ok", now);
			return;
		}
		p->len = (size_t)snprintf(p->buf, sizeof(p->buf),
		    "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: brace-lb-check\r\n"
		    "Connection: close\r\n\r\n", c->path, c->host[0] ? c->host : p->sv->addr_str);
		p->state = P_SENDING;
	}
	if (p->state == P_SENDING) {
		ssize_t n = write(p->fd, p->buf + p->sent, p->len - p->sent);

		if (n < 0 && errno != EAGAIN) {
			verdict(h, p, 0, strerror(errno), now);
			return;
		}
		if (n > 0)
			p->sent += (size_t)n;
		if (p->sent < p->len)
			return;
		p->state = P_READING;
		p->len = 0;
		/* level-triggered: stop asking for writability, or it fires for ever */
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = p };

		epoll_ctl(h->epfd, EPOLL_CTL_MOD, p->fd, &ev);
		return;
	}
	if (p->state == P_READING) {
		ssize_t n = read(p->fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
		char *nl;
		int status;
		char why[64];

		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0 && p->len == 0) {
			verdict(h, p, 0, n == 0 ? "closed without an answer" : strerror(errno), now);
			return;
		}
		if (n > 0)
			p->len += (size_t)n;
		p->buf[p->len] = '\0';
		if ((nl = strchr(p->buf, '\n')) == NULL && n > 0 && p->len < sizeof(p->buf) - 1)
			return;
		if (sscanf(p->buf, "HTTP/1.%*c %3d", &status) != 1) {
			verdict(h, p, 0, "not an HTTP answer", now);
			return;
		}
		snprintf(why, sizeof(why), "HTTP %d", status);
		verdict(h, p, status_ok(c->expect, status), why, now);
	}
}

static void *
health_main(void *arg)
{
	struct health *h = arg;
	struct epoll_event evs[64];

	while (!atomic_load(&h->stop)) {
		int64_t now = clock_mono_ms(), next = now + 100;
		int n;

		for (int i = 0; i < h->n; i++) {
			struct probe *p = &h->probes[i];

			if (p->state == P_IDLE && p->next <= now)
				probe_start(h, p, now);
			else if (p->state != P_IDLE && p->deadline <= now)
				verdict(h, p, 0, "timeout", now);
			if (p->state == P_IDLE && p->next < next)
				next = p->next;
			else if (p->state != P_IDLE && p->deadline < next)
				next = p->deadline;
		}
		n = epoll_wait(h->epfd, evs, 64, next > now ? (int)(next - now) : 0);
		now = clock_mono_ms();
		for (int i = 0; i < n; i++)
			probe_event(h, evs[i].data.ptr, evs[i].events, now);
	}
	for (int i = 0; i < h->n; i++)
		probe_close(h, &h->probes[i]);
	return NULL;
}

struct health *
health_start(struct lb_config *cfg)
{
	struct health *h;
	int64_t now = clock_mono_ms();
	int n = 0;

	for (int i = 0; i < cfg->nservers; i++)
		if (cfg->servers[i].pool->check.type != CHECK_NONE)
			n++;
	if (n == 0)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->probes = calloc((size_t)n, sizeof(*h->probes))) == NULL) {
		log_error("health checks: out of memory");
		free(h);
		return NULL;
	}
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < cfg->nservers; i++) {
		struct server *sv = &cfg->servers[i];
		struct probe *p;

		if (sv->pool->check.type == CHECK_NONE)
			continue;
		p = &h->probes[h->n++];
		p->sv = sv;
		p->fd = -1;
		p->view = atomic_load(&sv->st->check_down);
		/* spread the first probes over the interval */
		p->next = now + sv->pool->check.interval * (h->n - 1) / n;
	}
	if (h->epfd < 0 || pthread_create(&h->th, NULL, health_main, h) != 0) {
		log_error("health checks: cannot start: %s", strerror(errno));
		if (h->epfd >= 0)
			close(h->epfd);
		free(h->probes);
		free(h);
		return NULL;
	}
	return h;
}

void
health_stop(struct health *h)
{
	if (h == NULL)
		return;
	atomic_store(&h->stop, 1);
	pthread_join(h->th, NULL);
	close(h->epfd);
	free(h->probes);
	free(h);
}
