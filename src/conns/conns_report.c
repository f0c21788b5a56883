/*
 * conns_report.c - see conns_report.h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "conns/conns_report.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/prom.h"
#include "core/term.h"
#include "core/units.h"

static const char *const status_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

const char *
conns_report_status_name(enum conns_status st)
{
	return st <= CONNS_UNKNOWN ? status_names[st] : "UNKNOWN";
}

void
conns_report_evaluate(struct conns_result *r)
{
	const struct conns_sample *s = r->s;

	if (s == NULL)
		r->status = r->failure == DB_FAIL_FULL ? CONNS_CRITICAL : CONNS_UNKNOWN;
	else if (db_threshold_alert(r->crit, s->h.used, s->h.usable))
		r->status = CONNS_CRITICAL;
	else if (db_threshold_alert(r->warn, s->h.used, s->h.usable))
		r->status = CONNS_WARNING;
	else
		r->status = CONNS_OK;
}

void
conns_report_age(double s, char *out, size_t n)
{
	if (s < 0)
		snprintf(out, n, "-");
	else
		units_fmt_duration((int64_t)llround(s * 1000.0), out, n);
}

void
conns_report_breakdown(struct buf *b, const struct conns_tally *t, size_t max)
{
	size_t i;

	for (i = 0; i < t->n && i < max; i++)
		buf_printf(b, "%s%s %lld", i ? ", " : "", t->item[i].key,
		    (long long)t->item[i].count);
	if (i < t->n || t->other > 0) {
		int64_t rest = t->other;

		for (size_t j = i; j < t->n; j++)
			rest += t->item[j].count;
		buf_printf(b, "%sothers %lld", i ? ", " : "", (long long)rest);
	}
	if (t->n == 0 && t->other == 0)
		buf_puts(b, "-");
}

void
conns_report_session(struct buf *b, const struct conns_session *x, double age_s)
{
	char age[32];

	conns_report_age(age_s, age, sizeof(age));
	buf_printf(b, "%s  pid %lld %s@%s from %s (%s)", age, (long long)x->pid, x->user,
	    x->database, x->client, x->state);
	if (x->query[0] != '\0') {
		buf_puts(b, ": ");
		/* One line: a statement's newlines and tabs become spaces. */
		for (const char *p = x->query; *p; p++)
			buf_putc(b, *p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p);
	}
}

/* "warn 80% (13.6), crit 90% (15.3)" */
static void
thresholds_text(struct buf *b, const struct conns_result *r, int64_t usable)
{
	const struct db_threshold *t[2] = { r->warn, r->crit };
	const char *names[2] = { "warn", "crit" };
	char counts[64];
	int first = 1;

	for (int i = 0; i < 2; i++) {
		if (t[i] == NULL || !t[i]->set)
			continue;
		db_threshold_format(t[i], usable, counts, sizeof(counts));
		buf_printf(b, "%s%s %s", first ? "" : ", ", names[i], t[i]->text);
		if (strcmp(counts, t[i]->text) != 0)
			buf_printf(b, " (%s)", counts);
		first = 0;
	}
}

static const char *
kind_name(const struct conns_sample *s)
{
	if (s->kind == DB_POSTGRES)
		return "PostgreSQL";
	return s->mariadb ? "MariaDB" : "MySQL";
}

#define ROW(label) buf_printf(b, "%-14s", label)

void
conns_report_table(struct buf *b, const struct conns_result *r, int color)
{
	const struct conns_sample *s = r->s;
	const char *st = conns_report_status_name(r->status);
	char ver[32];

	if (s == NULL) {
		buf_printf(b, "%s\n", r->url);
		ROW("status");
		term_paint(b, color, term_status_seq(st), st);
		buf_printf(b, " (%s)\n", db_failure_name(r->failure));
		ROW("reason");
		buf_printf(b, "%s\n", r->reason);
		return;
	}
	conns_sample_version(s, ver, sizeof(ver));
	buf_printf(b, "%s  (%s %s)\n", r->url, kind_name(s), ver);
	ROW("status");
	term_paint(b, color, term_status_seq(st), st);
	buf_puts(b, "  ");
	thresholds_text(b, r, s->h.usable);
	buf_putc(b, '\n');
	ROW("used");
	buf_printf(b, "%lld of %lld usable (%.1f%%), %lld free\n", (long long)s->h.used,
	    (long long)s->h.usable, s->h.percent,
	    (long long)(s->h.usable > s->h.used ? s->h.usable - s->h.used : 0));
	ROW("max");
	if (s->kind == DB_POSTGRES)
		buf_printf(b, "%lld max_connections, %lld reserved for superusers\n",
		    (long long)s->h.max, (long long)s->h.reserved);
	else
		buf_printf(b, "%lld max_connections (+1 for an administrator), "
		    "%lld at most since start\n", (long long)s->h.max, (long long)s->h.max_used);
	if (s->kind == DB_MYSQL) {
		ROW("refused");
		buf_printf(b, "%lld for max_connections since start, %lld aborted connects\n",
		    (long long)s->h.errors_max_connections, (long long)s->h.aborted_connects);
		ROW("running");
		buf_printf(b, "%lld threads\n", (long long)s->h.threads_running);
	}
	ROW("by state");
	conns_report_breakdown(b, &s->by_state, 8);
	buf_putc(b, '\n');
	ROW("by user");
	conns_report_breakdown(b, &s->by_user, 8);
	buf_putc(b, '\n');
	ROW("by database");
	conns_report_breakdown(b, &s->by_database, 8);
	buf_putc(b, '\n');
	ROW("by client");
	conns_report_breakdown(b, &s->by_client, 8);
	buf_putc(b, '\n');
	if (s->kind == DB_POSTGRES) {
		ROW("by app");
		conns_report_breakdown(b, &s->by_application, 8);
		buf_putc(b, '\n');
	}
	ROW("lock waits");
	buf_printf(b, "%lld sessions waiting on a lock\n", (long long)s->waiting_on_lock);
	ROW("oldest xact");
	if (s->oldest_xact_s >= 0)
		conns_report_session(b, &s->oldest_xact, s->oldest_xact_s);
	else
		buf_puts(b, "-");
	buf_putc(b, '\n');
	ROW("idle in xact");
	if (s->longest_idle_xact_s >= 0)
		conns_report_session(b, &s->longest_idle_xact, s->longest_idle_xact_s);
	else
		buf_puts(b, "-");
	buf_putc(b, '\n');
	if (s->hidden > 0) {
		ROW("note");
		buf_printf(b, "%lld sessions of other roles are not visible in detail; grant %s\n",
		    (long long)s->hidden, s->kind == DB_POSTGRES ? "pg_monitor to this role" :
		    "PROCESS to this user");
	}
}

static void
json_tally(struct buf *b, int *first, const char *key, const struct conns_tally *t)
{
	int f = 1;

	json_key(b, first, key);
	buf_putc(b, '{');
	for (size_t i = 0; i < t->n; i++) {
		json_key(b, &f, t->item[i].key);
		json_int(b, t->item[i].count);
	}
	if (t->other > 0) {
		json_key(b, &f, "(others)");
		json_int(b, t->other);
	}
	buf_putc(b, '}');
}

static void
json_age(struct buf *b, double s)
{
	if (s < 0)
		buf_puts(b, "null");
	else
		buf_printf(b, "%.3f", s);
}

static void
json_session(struct buf *b, const struct conns_session *x, int present)
{
	int f = 1;

	if (!present) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '{');
	json_key(b, &f, "pid");
	json_int(b, x->pid);
	json_key(b, &f, "user");
	json_str(b, x->user);
	json_key(b, &f, "database");
	json_str(b, x->database);
	json_key(b, &f, "client");
	json_str(b, x->client);
	json_key(b, &f, "application");
	json_str(b, x->application[0] ? x->application : NULL);
	json_key(b, &f, "state");
	json_str(b, x->state);
	json_key(b, &f, "transaction_s");
	json_age(b, x->xact_age_s);
	json_key(b, &f, "state_s");
	json_age(b, x->state_age_s);
	json_key(b, &f, "connected_s");
	json_age(b, x->conn_age_s);
	json_key(b, &f, "waiting");
	buf_puts(b, x->waiting ? "true" : "false");
	json_key(b, &f, "query");
	json_str(b, x->query);
	buf_putc(b, '}');
}

static void
json_threshold(struct buf *b, int *first, const char *key, const struct db_threshold *t,
    int64_t usable, int have_usable)
{
	char counts[64];

	json_key(b, first, key);
	if (t == NULL || !t->set) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '{');
	int f = 1;
	json_key(b, &f, "threshold");
	json_str(b, t->text);
	json_key(b, &f, "range");
	if (have_usable) {
		db_threshold_format(t, usable, counts, sizeof(counts));
		json_str(b, counts);
	} else {
		buf_puts(b, "null");
	}
	buf_putc(b, '}');
}

void
conns_report_json(struct buf *b, const struct conns_result *r)
{
	const struct conns_sample *s = r->s;
	char ts[CLOCK_FMT_LEN], ver[32];
	int first = 1;

	clock_fmt_utc(s ? s->ts_ms : clock_now_ms(), ts, sizeof(ts));
	buf_putc(b, '{');
	json_key(b, &first, "time");
	json_str(b, ts);
	json_key(b, &first, "url");
	json_str(b, r->url);
	json_key(b, &first, "server");
	json_str(b, r->target);
	json_key(b, &first, "status");
	json_str(b, conns_report_status_name(r->status));
	json_threshold(b, &first, "warn", r->warn, s ? s->h.usable : 0, s != NULL);
	json_threshold(b, &first, "crit", r->crit, s ? s->h.usable : 0, s != NULL);
	if (s == NULL) {
		json_key(b, &first, "failure");
		json_str(b, db_failure_name(r->failure));
		json_key(b, &first, "error");
		json_str(b, r->reason);
		buf_puts(b, "}\n");
		return;
	}
	conns_sample_version(s, ver, sizeof(ver));
	json_key(b, &first, "kind");
	json_str(b, s->kind == DB_POSTGRES ? "postgresql" : s->mariadb ? "mariadb" : "mysql");
	json_key(b, &first, "version");
	json_str(b, ver);
	json_key(b, &first, "used");
	json_int(b, s->h.used);
	json_key(b, &first, "max");
	json_int(b, s->h.max);
	json_key(b, &first, "reserved");
	json_int(b, s->h.reserved);
	json_key(b, &first, "usable");
	json_int(b, s->h.usable);
	json_key(b, &first, "free");
	json_int(b, s->h.usable > s->h.used ? s->h.usable - s->h.used : 0);
	json_key(b, &first, "percent");
	buf_printf(b, "%.2f", s->h.percent);
	if (s->kind == DB_MYSQL) {
		json_key(b, &first, "max_used_connections");
		json_int(b, s->h.max_used);
		json_key(b, &first, "threads_running");
		json_int(b, s->h.threads_running);
		json_key(b, &first, "connection_errors_max_connections");
		json_int(b, s->h.errors_max_connections);
		json_key(b, &first, "aborted_connects");
		json_int(b, s->h.aborted_connects);
	}
	json_tally(b, &first, "by_state", &s->by_state);
	json_tally(b, &first, "by_user", &s->by_user);
	json_tally(b, &first, "by_database", &s->by_database);
	json_tally(b, &first, "by_client", &s->by_client);
	json_tally(b, &first, "by_application", &s->by_application);
	json_key(b, &first, "waiting_on_lock");
	json_int(b, s->waiting_on_lock);
	json_key(b, &first, "hidden_sessions");
	json_int(b, s->hidden);
	json_key(b, &first, "oldest_transaction_s");
	json_age(b, s->oldest_xact_s);
	json_key(b, &first, "oldest_transaction");
	json_session(b, &s->oldest_xact, s->oldest_xact_s >= 0);
	json_key(b, &first, "longest_idle_in_transaction_s");
	json_age(b, s->longest_idle_xact_s);
	json_key(b, &first, "longest_idle_in_transaction");
	json_session(b, &s->longest_idle_xact, s->longest_idle_xact_s >= 0);
	json_key(b, &first, "oldest_sessions");
	buf_putc(b, '[');
	for (int i = 0; i < s->ntop; i++) {
		if (i)
			buf_putc(b, ',');
		json_session(b, &s->top[i], 1);
	}
	buf_putc(b, ']');
	json_key(b, &first, "sample_ms");
	buf_printf(b, "%.3f", s->elapsed_ms);
	buf_puts(b, "}\n");
}

/* A gauge with one sample, labelled with the server. */
static void
prom_gauge(struct prom *p, const char *name, const char *help, const char *server, double v)
{
	prom_family(p, name, PROM_GAUGE, help);
	prom_begin(p, NULL);
	prom_label(p, "server", server);
	prom_end(p, v);
}

/* One labelled series per tally item: brace_db_connections_by_user{user="app"}. */
static void
prom_tally(struct prom *p, const char *name, const char *label, const char *help,
    const char *server, const struct conns_tally *t)
{
	prom_family(p, name, PROM_GAUGE, help);
	for (size_t i = 0; i <= t->n; i++) {
		if (i == t->n && t->other == 0)
			break;
		prom_begin(p, NULL);
		prom_label(p, "server", server);
		prom_label(p, label, i < t->n ? t->item[i].key : "(others)");
		prom_end_i64(p, i < t->n ? t->item[i].count : t->other);
	}
}

int
conns_report_prometheus(struct buf *b, const struct conns_result *r, char *err)
{
	const struct conns_sample *s = r->s;
	const char *srv = r->target;
	struct prom p;

	prom_init(&p, b);
	prom_gauge(&p, "brace_db_connections_up",
	    "1 when brace could connect to the server and sample it.", srv, s != NULL);
	prom_gauge(&p, "brace_db_connections_refused_full", "1 when the server refused brace "
	    "for lack of connection slots.", srv, s == NULL && r->failure == DB_FAIL_FULL);
	prom_gauge(&p, "brace_db_connections_status",
	    "Check status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.", srv, r->status);
	if (s == NULL)
		return prom_finish(&p, err);
	/* The labelled total: one series per state, user and database. */
	prom_family(&p, "brace_db_connections", PROM_GAUGE,
	    "Client connections by state, user and database.");
	for (size_t i = 0; i < s->by_state_user_db.n; i++) {
		char parts[CONNS_KEY_LEN], *user, *dbn;

		snprintf(parts, sizeof(parts), "%s", s->by_state_user_db.item[i].key);
		if ((user = strchr(parts, '\x1f')) == NULL || (dbn = strchr(user + 1, '\x1f')) == NULL)
			continue;
		*user++ = '\0';
		*dbn++ = '\0';
		prom_begin(&p, NULL);
		prom_label(&p, "server", srv);
		prom_label(&p, "state", parts);
		prom_label(&p, "user", user);
		prom_label(&p, "database", dbn);
		prom_end_i64(&p, s->by_state_user_db.item[i].count);
	}
	prom_gauge(&p, "brace_db_connections_used",
	    "Client connections in use, brace's own included.", srv, (double)s->h.used);
	prom_gauge(&p, "brace_db_connections_max", "max_connections.", srv, (double)s->h.max);
	prom_gauge(&p, "brace_db_connections_reserved", "Connection slots reserved for superusers.",
	    srv, (double)s->h.reserved);
	prom_gauge(&p, "brace_db_connections_usable", "Connection slots ordinary roles can use.",
	    srv, (double)s->h.usable);
	prom_gauge(&p, "brace_db_connections_used_ratio", "used / usable.", srv,
	    s->h.usable > 0 ? (double)s->h.used / (double)s->h.usable : 1.0);
	prom_tally(&p, "brace_db_connections_by_state", "state", "Client connections by state.",
	    srv, &s->by_state);
	prom_tally(&p, "brace_db_connections_by_user", "user", "Client connections by user.", srv,
	    &s->by_user);
	prom_tally(&p, "brace_db_connections_by_database", "database",
	    "Client connections by database.", srv, &s->by_database);
	prom_tally(&p, "brace_db_connections_by_client", "client",
	    "Client connections by client address.", srv, &s->by_client);
	if (s->kind == DB_POSTGRES)
		prom_tally(&p, "brace_db_connections_by_application", "application",
		    "Client connections by application name.", srv, &s->by_application);
	prom_gauge(&p, "brace_db_connections_waiting_on_lock", "Sessions waiting on a lock.", srv,
	    (double)s->waiting_on_lock);
	prom_gauge(&p, "brace_db_connections_oldest_transaction_seconds", "Age of the oldest "
	    "open transaction (0 when none).", srv, s->oldest_xact_s > 0 ? s->oldest_xact_s : 0);
	prom_gauge(&p, "brace_db_connections_longest_idle_in_transaction_seconds", "Longest time "
	    "a session has been idle in transaction (0 when none).", srv,
	    s->longest_idle_xact_s > 0 ? s->longest_idle_xact_s : 0);
	if (s->kind == DB_MYSQL) {
		prom_gauge(&p, "brace_db_connections_max_used",
		    "Max_used_connections since the server started.", srv, (double)s->h.max_used);
		prom_gauge(&p, "brace_db_connections_threads_running", "Threads_running.", srv,
		    (double)s->h.threads_running);
		prom_family(&p, "brace_db_connections_errors_max_connections_total", PROM_COUNTER,
		    "Connections refused for max_connections (Connection_errors_max_connections).");
		prom_begin(&p, NULL);
		prom_label(&p, "server", srv);
		prom_end_i64(&p, s->h.errors_max_connections);
		prom_family(&p, "brace_db_connections_aborted_connects_total", PROM_COUNTER,
		    "Aborted_connects.");
		prom_begin(&p, NULL);
		prom_label(&p, "server", srv);
		prom_end_i64(&p, s->h.aborted_connects);
	}
	prom_gauge(&p, "brace_db_connections_sample_seconds", "Time the sample's queries took.",
	    srv, s->elapsed_ms / 1000.0);
	return prom_finish(&p, err);
}

/*
 * The Monitoring Plugins line: "CONNS STATUS: text | 'used'=N;warn;crit;0;usable",
 * then a few more perfdata values. U stands for a value that could not be
 * measured.
 */
void
conns_report_nagios(struct buf *b, const struct conns_result *r)
{
	const struct conns_sample *s = r->s;
	char w[64] = "", c[64] = "";

	buf_printf(b, "CONNS %s: ", conns_report_status_name(r->status));
	if (s == NULL) {
		/* Percent thresholds cannot be resolved without usable. */
		if (r->warn && r->warn->set && !r->warn->lo_pct && !r->warn->hi_pct)
			db_threshold_format(r->warn, 0, w, sizeof(w));
		if (r->crit && r->crit->set && !r->crit->lo_pct && !r->crit->hi_pct)
			db_threshold_format(r->crit, 0, c, sizeof(c));
		buf_printf(b, "%s: %s on %s | 'used'=U;%s;%s;0;\n", db_failure_name(r->failure),
		    r->reason, r->target, w, c);
		return;
	}
	db_threshold_format(r->warn, s->h.usable, w, sizeof(w));
	db_threshold_format(r->crit, s->h.usable, c, sizeof(c));
	buf_printf(b, "%lld of %lld usable connections in use (%.1f%%) on %s",
	    (long long)s->h.used, (long long)s->h.usable, s->h.percent, r->target);
	if (r->status != CONNS_OK) {
		buf_puts(b, ", ");
		thresholds_text(b, r, s->h.usable);
	}
	if (s->longest_idle_xact_s >= 0)
		buf_printf(b, ", %lld idle in transaction",
		    (long long)(conns_tally_get(&s->by_state, "idle in transaction") +
		    conns_tally_get(&s->by_state, "idle in transaction (aborted)")));
	buf_printf(b, " | 'used'=%lld;%s;%s;0;%lld 'max'=%lld 'active'=%lld 'idle'=%lld "
	    "'idle_in_transaction'=%lld 'waiting_on_lock'=%lld 'oldest_transaction'=%.3fs\n",
	    (long long)s->h.used, w, c, (long long)s->h.usable, (long long)s->h.max,
	    (long long)conns_tally_get(&s->by_state, "active"),
	    (long long)conns_tally_get(&s->by_state, "idle"),
	    (long long)(conns_tally_get(&s->by_state, "idle in transaction") +
	    conns_tally_get(&s->by_state, "idle in transaction (aborted)")),
	    (long long)s->waiting_on_lock, s->oldest_xact_s > 0 ? s->oldest_xact_s : 0.0);
}
