/*
 * metrics.c - see metrics.h.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/prom.h"
#include "lb/gen.h"
#include "lb/metrics.h"
#include "lb/server.h"
#include "lb/shed.h"
#include "lb/worker.h"

static const char *const class_names[LB_CLASSES] = { "1xx", "2xx", "3xx", "4xx", "5xx", "other" };
static const char *const admin_names[] = { "ready", "drain", "maint" };

const char *
metrics_admin_name(int state)
{
	return state >= 0 && state < 3 ? admin_names[state] : "?";
}

static int
srv_health(const struct server *sv, int64_t now)
{
	return !atomic_load(&sv->st->check_down) && atomic_load(&sv->st->down_until) <= now;
}

/* ---- /metrics ---- */

static void
srv_labels(struct prom *p, const struct server *sv)
{
	prom_label(p, "pool", sv->pool->name);
	prom_label(p, "server", sv->name);
}

/* A family of one unlabelled sample. */
static void
single(struct prom *p, const char *name, enum prom_type t, const char *help, double v)
{
	prom_family(p, name, t, help);
	prom_begin(p, NULL);
	prom_end(p, v);
}

/* End the sample with the atomic at offset off of state: an int, or a uint64_t counter. */
static void
end_atomic(struct prom *p, const void *state, size_t off, int is_int)
{
	const char *f = (const char *)state + off;

	if (is_int)
		prom_end_i64(p, atomic_load((_Atomic int *)(uintptr_t)f));
	else
		prom_end_u64(p, atomic_load((_Atomic uint64_t *)(uintptr_t)f));
}

/* One line per server for an atomic counter or gauge at offset off in srv_state. */
static void
per_server(struct prom *p, const struct lb_config *cfg, const char *name, enum prom_type t,
    const char *help, size_t off, int is_int)
{
	prom_family(p, name, t, help);
	for (int i = 0; i < cfg->nservers; i++) {
		prom_begin(p, NULL);
		srv_labels(p, &cfg->servers[i]);
		end_atomic(p, cfg->servers[i].st, off, is_int);
	}
}

/* One line per pool for an atomic counter or gauge at offset off in pool_state. */
static void
per_pool(struct prom *p, const struct lb_config *cfg, const char *name, enum prom_type t,
    const char *help, size_t off, int is_int)
{
	prom_family(p, name, t, help);
	for (int i = 0; i < cfg->npools; i++) {
		prom_begin(p, NULL);
		prom_label(p, "pool", cfg->pool[i].name);
		end_atomic(p, cfg->pool[i].st, off, is_int);
	}
}

static void
histogram(struct prom *p, const struct lb_config *cfg, const char *name, const char *help,
    int resp)
{
	prom_family(p, name, PROM_HISTOGRAM, help);
	for (int i = 0; i < cfg->npools; i++) {
		const struct pool_state *ps = cfg->pool[i].st;
		const _Atomic uint64_t *h = resp ? ps->resp_hist : ps->queue_hist;
		uint64_t cum = 0;

		for (int k = 0; k <= LB_HIST_BUCKETS; k++) {
			cum += atomic_load(&h[k]);
			prom_begin(p, "_bucket");
			prom_label(p, "pool", cfg->pool[i].name);
			prom_label_float(p, "le", k < LB_HIST_BUCKETS ? server_hist_bounds[k] : INFINITY);
			prom_end_u64(p, cum);
		}
		prom_begin(p, "_sum");
		prom_label(p, "pool", cfg->pool[i].name);
		prom_end(p, (double)atomic_load(resp ? &ps->resp_sum_us : &ps->queue_sum_us) / 1e6);
		prom_begin(p, "_count");
		prom_label(p, "pool", cfg->pool[i].name);
		prom_end_u64(p, cum);
	}
}

/* The process and its clients. */
static void
process_families(struct prom *p, const struct lb_config *cfg, const struct metrics_process *pr)
{
	prom_family(p, "brace_build_info", PROM_GAUGE, "Version of brace lb.");
	prom_begin(p, NULL);
	prom_label(p, "version", BRACE_VERSION);
	prom_end(p, 1);
	single(p, "brace_start_time_seconds", PROM_GAUGE, "When brace lb started (Unix time).",
	    (double)pr->started_ms / 1000);
	single(p, "brace_client_connections", PROM_GAUGE, "Client connections open now.",
	    atomic_load(&worker_nclients));
	single(p, "brace_client_connections_max", PROM_GAUGE, "The cap on client connections.",
	    cfg->maxconn);
	single(p, "brace_client_refused_total", PROM_COUNTER,
	    "Clients answered at once past maxconn (503, or closed in TCP mode).",
	    (double)atomic_load(&shed_refused));
	single(p, "brace_client_idle_closed_total", PROM_COUNTER,
	    "Idle keep-alive clients closed to make room for new ones at maxconn.",
	    (double)atomic_load(&shed_idle_closed));
	single(p, "brace_reloads_total", PROM_COUNTER, "Configuration reloads that took effect.",
	    (double)atomic_load(&gen_reloads));
	single(p, "brace_reload_failures_total", PROM_COUNTER,
	    "Reloads refused (bad configuration).", (double)atomic_load(&gen_reload_failures));
	single(p, "brace_admin_connections_evicted_total", PROM_COUNTER,
	    "Admin connections closed unanswered to make room for new ones (at most 64 open).",
	    (double)pr->admin_evicted);
}

/* Servers: what they answered, their connections, health and states. */
static void
server_families(struct prom *p, const struct lb_config *cfg)
{
	int64_t now = clock_mono_ms();

	prom_family(p, "brace_requests_total", PROM_COUNTER,
	    "Answers from servers, by pool, server and status class.");
	for (int i = 0; i < cfg->nservers; i++) {
		for (int k = 0; k < LB_CLASSES; k++) {
			prom_begin(p, NULL);
			srv_labels(p, &cfg->servers[i]);
			prom_label(p, "code", class_names[k]);
			prom_end_u64(p, atomic_load(&cfg->servers[i].st->responses[k]));
		}
	}
	per_server(p, cfg, "brace_server_sent_total", PROM_COUNTER,
	    "Requests or connections sent to a server.", offsetof(struct srv_state, requests), 0);
	per_server(p, cfg, "brace_server_active_connections", PROM_GAUGE,
	    "Connections serving a request or session now.", offsetof(struct srv_state, active), 1);
	per_server(p, cfg, "brace_server_idle_connections", PROM_GAUGE,
	    "Idle keep-alive connections kept for reuse.", offsetof(struct srv_state, idle), 1);
	per_server(p, cfg, "brace_server_failures_total", PROM_COUNTER,
	    "Connect errors, resets, invalid answers and timeouts.",
	    offsetof(struct srv_state, failures), 0);
	per_server(p, cfg, "brace_server_retries_total", PROM_COUNTER,
	    "Requests sent to another server after this one failed.",
	    offsetof(struct srv_state, retries), 0);
	per_server(p, cfg, "brace_server_downs_total", PROM_COUNTER,
	    "Times the server was taken out.", offsetof(struct srv_state, downs), 0);
	per_server(p, cfg, "brace_bytes_in_total", PROM_COUNTER,
	    "Bytes from clients passed to the server.", offsetof(struct srv_state, bytes_in), 0);
	per_server(p, cfg, "brace_bytes_out_total", PROM_COUNTER,
	    "Bytes from the server passed to clients.", offsetof(struct srv_state, bytes_out), 0);
	prom_family(p, "brace_server_up", PROM_GAUGE, "1 if the server is healthy, 0 if it is down.");
	for (int i = 0; i < cfg->nservers; i++) {
		const struct server *sv = &cfg->servers[i];

		prom_begin(p, NULL);
		srv_labels(p, sv);
		prom_label(p, "address", sv->addr_str);
		prom_end_i64(p, srv_health(sv, now));
	}
	prom_family(p, "brace_server_state", PROM_GAUGE,
	    "What an operator set: ready, drain or maint (1 for the current one).");
	for (int i = 0; i < cfg->nservers; i++) {
		int a = atomic_load(&cfg->servers[i].st->admin);

		for (int k = 0; k < 3; k++) {
			prom_begin(p, NULL);
			srv_labels(p, &cfg->servers[i]);
			prom_label(p, "state", admin_names[k]);
			prom_end_i64(p, a == k);
		}
	}
}

int
metrics_page(struct buf *b, const struct lb_config *cfg, const struct metrics_process *pr,
    char *err)
{
	struct prom p;

	prom_init(&p, b);
	process_families(&p, cfg, pr);
	server_families(&p, cfg);
	per_pool(&p, cfg, "brace_queue_length", PROM_GAUGE, "Requests waiting for a server slot.",
	    offsetof(struct pool_state, q.n), 1);
	per_pool(&p, cfg, "brace_queue_timeouts_total", PROM_COUNTER,
	    "Requests that waited past the queue timeout (503 or closed).",
	    offsetof(struct pool_state, queue_timeouts), 0);
	per_pool(&p, cfg, "brace_pool_panic", PROM_GAUGE,
	    "1 while too few servers of the pool are healthy and it balances over all of them.",
	    offsetof(struct pool_state, panic), 1);
	per_pool(&p, cfg, "brace_pool_panics_total", PROM_COUNTER,
	    "Times the pool went into panic.", offsetof(struct pool_state, panics), 0);
	histogram(&p, cfg, "brace_queue_time_seconds", "Time requests waited for a server slot.", 0);
	histogram(&p, cfg, "brace_response_time_seconds",
	    "Time from sending a request to a server to its answer's head.", 1);
	return prom_finish(&p, err);
}

/* ---- /stats ---- */

void
metrics_stats(struct buf *b, const struct lb_config *cfg, const struct metrics_process *pr)
{
	int64_t now = clock_mono_ms();
	char ts[CLOCK_FMT_LEN];
	int first = 1;

	clock_fmt_utc(pr->started_ms, ts, sizeof(ts));
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

