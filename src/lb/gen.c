/*
 * gen.c - see gen.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "lb/admin.h"
#include "lb/alog.h"
#include "lb/config.h"
#include "lb/config_file.h"
#include "lb/events.h"
#include "lb/gen.h"
#include "lb/health.h"
#include "lb/sample.h"
#include "lb/server.h"
#include "lb/tls.h"
#include "lb/worker.h"

_Atomic uint64_t gen_reloads;
_Atomic uint64_t gen_reload_failures;

struct gen {
	struct gen *next;               /* older generations, still draining */
	struct lb_config *cfg;
	struct worker *w;
	int n;
	struct health *hc;
};

static struct gen *current;
static int64_t sample_due;              /* monotonic ms of the next sample; 0: none planned */

/* Make room for maxconn clients, their server connections and the workers' pipes. */
static void
raise_fd_limit(struct lb_config *cfg)
{
	struct rlimit rl;
	rlim_t reserve = 256 + (rlim_t)cfg->threads * (16 + (cfg->splice ? LB_MAX_PIPES * 2 : 0));
	rlim_t want = (rlim_t)cfg->maxconn * 2 + reserve;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < want) {
		int fit = rl.rlim_cur > reserve ? (int)((rl.rlim_cur - reserve) / 2) : 1;

		if (fit < 1)
			fit = 1;
		if (cfg->maxconn_set) {
			/* Chosen: kept. Past the limit accepts pause (EMFILE), nothing breaks. */
			log_warn("the open files limit (%lu) is enough for about %d client "
			    "connections, not maxconn %d; raise it (LimitNOFILE=, ulimit -n)",
			    (unsigned long)rl.rlim_cur, fit, cfg->maxconn);
			return;
		}
		log_info("maxconn %d (what the open files limit allows)", fit);
		cfg->maxconn = fit;
	}
}

/*
 * Is l's address free? Every listening socket of brace lb has SO_REUSEPORT,
 * so a second brace lb (of the same user) could bind the address beside a
 * running one and silently share its clients. A socket without it cannot
 * bind beside them: try one, then give the address back.
 */
static int
probe_free(const struct lb_listen *l, char *err)
{
	int fd, one = 1, rc;

	if ((fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		err_set(err, "cannot create a socket for %s: %s", l->str, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	rc = bind(fd, (const struct sockaddr *)&l->addr, l->addrlen);
	if (rc < 0 && errno == EADDRINUSE)
		err_set(err, "cannot bind %s: %s: another brace lb, or another program, "
		    "already serves it", l->str, strerror(errno));
	else if (rc < 0)
		err_set(err, "cannot bind %s: %s", l->str, strerror(errno));
	close(fd);
	return rc;
}

/* A listening socket for l; probe: first make sure nobody serves it yet. */
static int
open_listener(const struct lb_listen *l, int probe, char *err)
{
	int fd, one = 1;

	if (probe && probe_free(l, err) < 0)
		return -1;
	fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set(err, "cannot create a socket for %s: %s", l->str, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* Accepted sockets inherit it: answers go out without Nagle's delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) < 0) {
		err_set(err, "cannot bind %s: %s", l->str, strerror(errno));
		close(fd);
		return -1;
	}
	if (listen(fd, 4096) < 0) {
		err_set(err, "cannot listen on %s: %s", l->str, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int
same_sockaddr(const struct sockaddr_storage *a, socklen_t al, const struct sockaddr_storage *b,
    socklen_t bl)
{
	return al == bl && memcmp(a, b, al) == 0;
}

/* Does a listening socket of the old generation have l's address? */
static int
held(struct listener **olds, int nold, const struct lb_listen *l)
{
	for (int k = 0; k < nold; k++) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);

		if (olds[k]->c.fd >= 0 &&
		    getsockname(olds[k]->c.fd, (struct sockaddr *)&sa, &sl) == 0 &&
		    same_sockaddr(&sa, sl, &l->addr, l->addrlen))
			return 1;
	}
	return 0;
}

static int
add_listener(struct worker *w, struct frontend *fe, int fd)
{
	struct listener *n = realloc(w->listeners, sizeof(*n) * (size_t)(w->nlisteners + 1));
	/* An HTTP client speaks first, and so does a TLS one: accept once its
	 * request or ClientHello is there. A TCP protocol may have the server
	 * speak first (MySQL): accept at once. */
	int defer = fe->mode == MODE_HTTP || fe->ntls_cert > 0 ? 1 : 0;

	if (n == NULL)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer));
	w->listeners = n;
	memset(&n[w->nlisteners], 0, sizeof(*n));
	n[w->nlisteners].c.fd = fd;
	n[w->nlisteners].fe = fe;
	w->nlisteners++;
	return 0;
}

/*
 * Give every worker of g a socket for every bind address. Sockets of the old
 * generation are taken over (dup) where the address is still wanted, so the
 * clients in their backlogs are served by the new workers; an old socket with
 * no counterpart still goes to some new worker, for the same reason.
 */
static int
open_listeners(struct gen *g, struct gen *old, char *err)
{
	struct lb_config *cfg = g->cfg;
	int nold = 0, *used = NULL;
	struct listener **olds = NULL;

	if (old != NULL) {
		for (int i = 0; i < old->n; i++)
			nold += old->w[i].nlisteners;
		olds = calloc((size_t)nold + 1, sizeof(*olds));
		used = calloc((size_t)nold + 1, sizeof(*used));
		if (olds == NULL || used == NULL)
			goto nomem;
		nold = 0;
		for (int i = 0; i < old->n; i++)
			for (int k = 0; k < old->w[i].nlisteners; k++)
				olds[nold++] = &old->w[i].listeners[k];
	}
	for (int i = 0; i < g->n; i++) {
		for (int f = 0; f < cfg->nfe; f++) {
			struct frontend *fe = &cfg->fe[f];

			for (int b = 0; b < fe->nbind; b++) {
				const struct lb_listen *l = &fe->bind[b];
				int fd = -1;

				for (int k = 0; k < nold && fd < 0; k++) {
					struct sockaddr_storage sa;
					socklen_t sl = sizeof(sa);

					if (used[k] || olds[k]->c.fd < 0 ||
					    getsockname(olds[k]->c.fd, (struct sockaddr *)&sa, &sl) < 0 ||
					    !same_sockaddr(&sa, sl, &l->addr, l->addrlen))
						continue;
					fd = fcntl(olds[k]->c.fd, F_DUPFD_CLOEXEC, 0);
					used[k] = 1;
				}
				/* The first socket of an address nobody of ours holds yet
				 * must find it free; the next ones join it. */
				if (fd < 0 && (fd = open_listener(l, i == 0 && !held(olds, nold, l),
				    err)) < 0)
					goto fail;
				if (add_listener(&g->w[i], fe, fd) < 0) {
					close(fd);
					goto nomem;
				}
			}
		}
	}
	/* Old sockets nobody took: keep their backlogs alive if the address stays. */
	for (int k = 0, i = 0; k < nold; k++) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);

		if (used[k] || olds[k]->c.fd < 0 ||
		    getsockname(olds[k]->c.fd, (struct sockaddr *)&sa, &sl) < 0)
			continue;
		for (int f = 0; f < cfg->nfe; f++) {
			for (int b = 0; b < cfg->fe[f].nbind; b++) {
				if (used[k] || !same_sockaddr(&sa, sl, &cfg->fe[f].bind[b].addr,
				    cfg->fe[f].bind[b].addrlen))
					continue;
				int fd = fcntl(olds[k]->c.fd, F_DUPFD_CLOEXEC, 0);

				if (fd >= 0 && add_listener(&g->w[i++ % g->n], &cfg->fe[f], fd) < 0)
					close(fd);
				used[k] = 1;
			}
		}
	}
	free(olds);
	free(used);
	return 0;
nomem:
	err_set(err, "out of memory");
fail:
	for (int i = 0; i < g->n; i++) {
		for (int k = 0; k < g->w[i].nlisteners; k++)
			close(g->w[i].listeners[k].c.fd);
		g->w[i].nlisteners = 0;
	}
	free(olds);
	free(used);
	return -1;
}

/* A generation of cfg->threads workers, not started; NULL with err set. */
static struct gen *
gen_new(struct lb_config *cfg, char *err)
{
	struct gen *g = calloc(1, sizeof(*g));

	if (g == NULL || (g->w = calloc((size_t)cfg->threads, sizeof(*g->w))) == NULL) {
		err_set(err, "out of memory for %d workers", cfg->threads);
		free(g);
		return NULL;
	}
	g->cfg = cfg;
	g->n = cfg->threads;
	for (int i = 0; i < g->n; i++) {
		g->w[i].id = i;
		g->w[i].cfg = cfg;
		g->w[i].epfd = -1;
		g->w[i].wake.fd = -1;
		pthread_mutex_init(&g->w[i].inbox_lock, NULL);
	}
	return g;
}

static int
gen_run(struct gen *g, char *err)
{
	for (int i = 0; i < g->n; i++) {
		if (worker_start(&g->w[i]) < 0) {
			err_set(err, "cannot start worker %d: %s", i, strerror(errno));
			/* workers already started stop at once: nothing reached them yet */
			for (int k = 0; k < i; k++) {
				atomic_store(&g->w[k].stop_req, 1);
				worker_wake(&g->w[k]);
				pthread_join(g->w[k].th, NULL);
			}
			return -1;
		}
	}
	g->hc = health_start(g->cfg);
	return 0;
}

static void
gen_stop(struct gen *g)
{
	health_stop(g->hc);
	g->hc = NULL;
	for (int i = 0; i < g->n; i++) {
		atomic_store(&g->w[i].stop_req, 1);
		worker_wake(&g->w[i]);
	}
}

/* Free a generation whose workers have all been joined. */
static void
gen_free(struct gen *g)
{
	for (int i = 0; i < g->n; i++) {
		sample_retire(&g->w[i]);        /* what it counted stays in the samples */
		worker_release(&g->w[i]);
	}
	admin_forget(g->cfg);
	tls_close(g->cfg);
	server_states_detach(g->cfg);
	config_free(g->cfg);
	free(g->w);
	free(g);
}

/* Join what the old generations have finished; free a generation once done. */
static void
reap(int wait)
{
	struct gen **pp = &current->next;

	while (*pp != NULL) {
		struct gen *g = *pp;
		int live = 0;

		for (int i = 0; i < g->n; i++) {
			if (g->w[i].th == 0)
				continue;
			if (wait ? pthread_join(g->w[i].th, NULL) == 0 :
			    pthread_tryjoin_np(g->w[i].th, NULL) == 0)
				g->w[i].th = 0;
			else
				live++;
		}
		if (live == 0) {
			*pp = g->next;
			gen_free(g);
		} else {
			pp = &g->next;
		}
	}
}

/* Close the listening sockets a generation that never ran was given. */
static void
close_listeners(struct gen *g)
{
	for (int i = 0; i < g->n; i++) {
		for (int k = 0; k < g->w[i].nlisteners; k++)
			close(g->w[i].listeners[k].c.fd);
		g->w[i].nlisteners = 0;
	}
}

int
gen_open(struct lb_config *cfg, char *err)
{
	struct gen *g;

	raise_fd_limit(cfg);
	if (server_states_attach(cfg, err) < 0 || tls_open(cfg, err) < 0 ||
	    (g = gen_new(cfg, err)) == NULL) {
		tls_close(cfg);
		server_states_detach(cfg);
		return -1;
	}
	if (open_listeners(g, NULL, err) < 0) {
		for (int i = 0; i < g->n; i++)
			worker_release(&g->w[i]);
		tls_close(cfg);
		server_states_detach(cfg);
		free(g->w);
		free(g);
		return -1;
	}
	current = g;
	return 0;
}

int
gen_start(char *err)
{
	return gen_run(current, err);
}

const struct lb_config *
gen_config(void)
{
	return current != NULL ? current->cfg : NULL;
}

static void
reload_failed(const char *file, const char *why)
{
	atomic_fetch_add(&gen_reload_failures, 1);
	events_record("reload_failed", "error", file, "%s; the running configuration is kept", why);
}

int
gen_reload(void)
{
	const char *file = current->cfg->path;
	struct lb_config *cfg;
	struct gen *g, *old = current;
	char err[ERR_LEN];
	int nerr;

	if (file[0] == '\0') {
		log_notice("SIGHUP: started from the command line, nothing to reload");
		return -1;
	}
	log_notice("SIGHUP: reloading %s", file);
	if ((cfg = config_file_read(file, &nerr)) == NULL) {
		err_set(err, "%d error%s in %s", nerr, nerr == 1 ? "" : "s", file);
		reload_failed(file, err);
		return -1;
	}
	raise_fd_limit(cfg);
	if (cfg->log_level_set)
		log_set_level(cfg->log_level);
	if (server_states_attach(cfg, err) < 0 || tls_open(cfg, err) < 0 ||
	    (g = gen_new(cfg, err)) == NULL) {
		reload_failed(file, err);
		tls_close(cfg);
		server_states_detach(cfg);
		config_free(cfg);
		return -1;
	}
	if (open_listeners(g, old, err) < 0 || gen_run(g, err) < 0) {
		reload_failed(file, err);
		close_listeners(g);
		gen_free(g);
		return -1;
	}
	alog_configure(cfg);
	admin_use(cfg);
	g->next = old;
	current = g;
	gen_stop(old);
	atomic_fetch_add(&gen_reloads, 1);
	events_record("reload", "notice", file, "configuration reloaded: %d listener%s, %d pool%s, "
	    "%d server%s", cfg->nfe, cfg->nfe == 1 ? "" : "s", cfg->npools,
	    cfg->npools == 1 ? "" : "s", cfg->nservers, cfg->nservers == 1 ? "" : "s");
	return 0;
}

void
gen_reap(void)
{
	reap(0);
}

/* Add up what every running worker counted and write the current configuration's sample. */
static void
sample_now(void)
{
	for (struct gen *g = current; g != NULL; g = g->next)
		sample_collect_start(g->cfg);
	for (struct gen *g = current; g != NULL; g = g->next)
		for (int i = 0; i < g->n; i++)
			sample_collect_worker(&g->w[i]);
	sample_write(current->cfg, clock_now_ms());
}

int64_t
gen_tick(int64_t now)
{
	int64_t interval, wait = 1000;

	if (current == NULL)
		return wait;
	for (int i = 0; i < current->cfg->npools; i++)
		server_pool_check(&current->cfg->pool[i], now);
	interval = current->cfg->sample_interval;
	if (interval <= 0 || !events_on()) {
		sample_due = 0;
		return wait;
	}
	if (sample_due == 0)
		sample_due = now + interval;
	if (now >= sample_due) {
		sample_now();
		/* on the interval's beat; after a stall, from now */
		sample_due += interval;
		if (sample_due <= now)
			sample_due = now + interval;
	}
	return sample_due - now < wait ? sample_due - now : wait;
}

void
gen_stop_all(void)
{
	if (current == NULL)
		return;
	atomic_store(&worker_shutdown, 1);
	for (struct gen *g = current; g != NULL; g = g->next)
		gen_stop(g);
	for (struct gen *g = current; g != NULL; g = g->next)
		for (int i = 0; i < g->n; i++)
			if (g->w[i].th != 0) {
				pthread_join(g->w[i].th, NULL);
				g->w[i].th = 0;
			}
	/* the last, shorter interval: what came after the last sample is not lost */
	if (sample_due != 0)
		sample_now();
	sample_due = 0;
	reap(1);
	gen_free(current);
	current = NULL;
}
