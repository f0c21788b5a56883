/*
 * conns_sample.c - see conns_sample.h. The SQL of a sample and the
 * aggregation of its rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conns/conns_sample.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"

/*
 * One row per client session, with the settings repeated on each row so
 * that the counts and max_connections come from the same snapshot. Other
 * roles' sessions have a NULL backend_type without pg_read_all_stats: they
 * are kept when they have a database, as db_headroom() counts them.
 */
static const char pg_sql[] =
    "SELECT a.pid, a.usename, a.datname, host(a.client_addr), a.application_name,"
    " a.state, extract(epoch FROM now() - a.xact_start),"
    " extract(epoch FROM now() - a.state_change),"
    " extract(epoch FROM now() - a.backend_start),"
    " a.wait_event_type = 'Lock', left(a.query, 200), a.pid = pg_backend_pid(),"
    " s.max, s.reserved, a.backend_type IS NOT NULL"
    " FROM pg_stat_activity a, (SELECT current_setting('max_connections')::int AS max,"
    " current_setting('superuser_reserved_connections')::int"
    " + coalesce(current_setting('reserved_connections', true), '0')::int AS reserved) s"
    " WHERE a.backend_type = 'client backend'"
    " OR (a.backend_type IS NULL AND a.datid IS NOT NULL)";

enum { PG_PID, PG_USER, PG_DB, PG_CLIENT, PG_APP, PG_STATE, PG_XACT, PG_STATE_AGE,
	PG_CONN_AGE, PG_WAITING, PG_QUERY, PG_SELF, PG_MAX, PG_RESERVED, PG_VISIBLE, PG_NCOL };

/* Sleeping sessions with an InnoDB transaction are idle in transaction. */
static const char my_sql[] =
    "SELECT p.ID, p.USER, p.DB, p.HOST, p.COMMAND, p.TIME, LEFT(p.INFO, 200),"
    " t.trx_state IS NOT NULL, TIMESTAMPDIFF(SECOND, t.trx_started, NOW()),"
    " (t.trx_state = 'LOCK WAIT' OR p.STATE LIKE 'Waiting for%lock%'),"
    " p.ID = CONNECTION_ID()"
    " FROM information_schema.PROCESSLIST p"
    " LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID"
    " WHERE p.COMMAND <> 'Daemon'";

/* The same without INNODB_TRX, for a role without the PROCESS privilege. */
static const char my_sql_no_trx[] =
    "SELECT p.ID, p.USER, p.DB, p.HOST, p.COMMAND, p.TIME, LEFT(p.INFO, 200),"
    " 0, NULL, p.STATE LIKE 'Waiting for%lock%', p.ID = CONNECTION_ID()"
    " FROM information_schema.PROCESSLIST p WHERE p.COMMAND <> 'Daemon'";

enum { MY_ID, MY_USER, MY_DB, MY_HOST, MY_COMMAND, MY_TIME, MY_INFO, MY_IN_TRX, MY_XACT,
	MY_WAITING, MY_SELF, MY_NCOL };

static double
num_or(const char *v, double dflt)
{
	return v != NULL && *v != '\0' ? strtod(v, NULL) : dflt;
}

static int
truthy(const char *v)
{
	return v != NULL && (strcmp(v, "t") == 0 || strcmp(v, "1") == 0);
}

static void
copy(char *dst, size_t n, const char *v, const char *dflt)
{
	snprintf(dst, n, "%s", v != NULL && *v != '\0' ? v : dflt);
}

/* Rank for the list of oldest sessions: open transactions first. */
static double
age_rank(const struct conns_session *x)
{
	if (x->xact_age_s >= 0)
		return 1e12 + x->xact_age_s;
	return x->conn_age_s >= 0 ? x->conn_age_s : x->state_age_s;
}

static void
keep_top(struct conns_sample *s, const struct conns_session *x)
{
	double r = age_rank(x);
	int i;

	if (s->ntop == CONNS_TOP_SESSIONS && r <= age_rank(&s->top[s->ntop - 1]))
		return;
	if (s->ntop < CONNS_TOP_SESSIONS)
		s->ntop++;
	for (i = s->ntop - 1; i > 0 && age_rank(&s->top[i - 1]) < r; i--)
		s->top[i] = s->top[i - 1];
	s->top[i] = *x;
}

/* Count one session in every breakdown; self is the sampler's own session. */
static void
account(struct conns_sample *s, const struct conns_session *x, int self)
{
	char key[3 * 64 + 4];

	s->seen++;
	conns_tally_add(&s->by_state, x->state, 1);
	conns_tally_add(&s->by_user, x->user, 1);
	conns_tally_add(&s->by_database, x->database, 1);
	conns_tally_add(&s->by_client, x->client, 1);
	if (s->kind == DB_POSTGRES)
		conns_tally_add(&s->by_application, x->application, 1);
	snprintf(key, sizeof(key), "%s\x1f%s\x1f%s", x->state, x->user, x->database);
	conns_tally_add(&s->by_state_user_db, key, 1);
	if (x->waiting)
		s->waiting_on_lock++;
	if (self)
		return;
	if (x->xact_age_s >= 0 && x->xact_age_s > s->oldest_xact_s) {
		s->oldest_xact_s = x->xact_age_s;
		s->oldest_xact = *x;
	}
	if (strncmp(x->state, "idle in transaction", 19) == 0 &&
	    x->state_age_s > s->longest_idle_xact_s) {
		s->longest_idle_xact_s = x->state_age_s;
		s->longest_idle_xact = *x;
	}
	keep_top(s, x);
}

static int
pg_row(void *arg, int ncol, const char *const *v)
{
	struct conns_sample *s = arg;
	struct conns_session x = { 0 };
	int visible;

	if (ncol < PG_NCOL)
		return 1;
	visible = truthy(v[PG_VISIBLE]);
	s->h.max = (int64_t)num_or(v[PG_MAX], 0);
	s->h.reserved = (int64_t)num_or(v[PG_RESERVED], 0);
	s->h.used++;
	x.pid = (int64_t)num_or(v[PG_PID], 0);
	copy(x.user, sizeof(x.user), v[PG_USER], "unknown");
	copy(x.database, sizeof(x.database), v[PG_DB], "unknown");
	copy(x.client, sizeof(x.client), v[PG_CLIENT], visible ? "local" : "unknown");
	copy(x.application, sizeof(x.application), v[PG_APP], "(none)");
	copy(x.state, sizeof(x.state), visible ? v[PG_STATE] : NULL, "unknown");
	x.xact_age_s = num_or(v[PG_XACT], -1);
	x.state_age_s = num_or(v[PG_STATE_AGE], -1);
	x.conn_age_s = num_or(v[PG_CONN_AGE], -1);
	x.waiting = truthy(v[PG_WAITING]);
	copy(x.query, sizeof(x.query), visible ? v[PG_QUERY] : NULL, "");
	if (!visible)
		s->hidden++;
	account(s, &x, truthy(v[PG_SELF]));
	return 0;
}

/* "10.0.0.7:53122" -> "10.0.0.7"; "localhost" (a unix socket) -> "local". */
static void
my_client(char *out, size_t n, const char *host)
{
	const char *colon;
	size_t len;

	if (host == NULL || *host == '\0') {
		snprintf(out, n, "unknown");
		return;
	}
	if (strcmp(host, "localhost") == 0) {
		snprintf(out, n, "local");
		return;
	}
	len = strlen(host);
	colon = strrchr(host, ':');
	if (colon != NULL && colon[1] != '\0' && strspn(colon + 1, "0123456789") == strlen(colon + 1))
		len = (size_t)(colon - host);
	if (len > 2 && host[0] == '[' && host[len - 1] == ']')
		snprintf(out, n, "%.*s", (int)(len - 2), host + 1);
	else
		snprintf(out, n, "%.*s", (int)len, host);
}

static int
my_row(void *arg, int ncol, const char *const *v)
{
	struct conns_sample *s = arg;
	struct conns_session x = { 0 };
	int sleeping;

	if (ncol < MY_NCOL)
		return 1;
	x.pid = (int64_t)num_or(v[MY_ID], 0);
	copy(x.user, sizeof(x.user), v[MY_USER], "unknown");
	copy(x.database, sizeof(x.database), v[MY_DB], "(none)");
	my_client(x.client, sizeof(x.client), v[MY_HOST]);
	sleeping = v[MY_COMMAND] != NULL && strcmp(v[MY_COMMAND], "Sleep") == 0;
	copy(x.state, sizeof(x.state),
	    !sleeping ? "active" : truthy(v[MY_IN_TRX]) ? "idle in transaction" : "idle", "");
	x.xact_age_s = truthy(v[MY_IN_TRX]) ? num_or(v[MY_XACT], 0) : -1;
	x.state_age_s = num_or(v[MY_TIME], -1);
	x.conn_age_s = -1;
	x.waiting = truthy(v[MY_WAITING]);
	copy(x.query, sizeof(x.query), v[MY_INFO], "");
	account(s, &x, truthy(v[MY_SELF]));
	return 0;
}

static void
reset(struct conns_sample *s, enum db_kind kind)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->oldest_xact_s = -1;
	s->longest_idle_xact_s = -1;
}

static int
take_pg(db *d, struct conns_sample *s, char *err)
{
	s->h.max_used = s->h.threads_running = s->h.errors_max_connections =
	    s->h.aborted_connects = -1;
	if (db_server_version(d) < 100000) {
		err_set(err, "PostgreSQL %d.%d is too old (10 or later is needed)",
		    db_server_version(d) / 10000, db_server_version(d) / 100 % 100);
		return -1;
	}
	if (db_query(d, pg_sql, pg_row, s, err) < 0)
		return -1;
	if (s->h.max <= 0) {
		err_set(err, "pg_stat_activity did not list this session");
		return -1;
	}
	return 0;
}

static int
take_my(db *d, struct conns_sampler *sp, struct conns_sample *s, char *err)
{
	if (db_headroom(d, &s->h, err) < 0)
		return -1;
	if (!sp->no_innodb_trx) {
		struct db_headroom h;
		int64_t ts;
		int version, mariadb;

		if (db_query(d, my_sql, my_row, s, err) == 0 || db_connection_lost(d))
			return db_connection_lost(d) ? -1 : 0;
		/*
		 * Most likely no PROCESS privilege for INNODB_TRX: do without it
		 * from now on, starting the rows again with the headroom kept.
		 */
		sp->no_innodb_trx = 1;
		h = s->h;
		ts = s->ts_ms;
		version = s->server_version;
		mariadb = s->mariadb;
		reset(s, DB_MYSQL);
		s->h = h;
		s->ts_ms = ts;
		s->server_version = version;
		s->mariadb = mariadb;
	}
	return db_query(d, my_sql_no_trx, my_row, s, err);
}

int
conns_sample_take(db *d, struct conns_sampler *sp, struct conns_sample *s, char *err)
{
	int64_t t0 = clock_mono_us();
	int rc;

	reset(s, db_kind_of(d));
	s->ts_ms = clock_now_ms();
	s->server_version = db_server_version(d);
	s->mariadb = db_is_mariadb(d);
	rc = s->kind == DB_POSTGRES ? take_pg(d, s, err) : take_my(d, sp, s, err);
	if (rc < 0)
		return -1;
	/* Sessions the role cannot list (MySQL without PROCESS) are still connections. */
	if (s->h.used > s->seen) {
		s->hidden += s->h.used - s->seen;
		conns_tally_add(&s->by_state, "unknown", s->h.used - s->seen);
	}
	db_headroom_compute(&s->h);
	conns_tally_sort(&s->by_state);
	conns_tally_sort(&s->by_user);
	conns_tally_sort(&s->by_database);
	conns_tally_sort(&s->by_client);
	conns_tally_sort(&s->by_application);
	conns_tally_sort(&s->by_state_user_db);
	s->elapsed_ms = (double)(clock_mono_us() - t0) / 1000.0;
	return 0;
}

void
conns_sample_version(const struct conns_sample *s, char *out, size_t n)
{
	int v = s->server_version;

	if (s->kind == DB_POSTGRES && v >= 100000)
		snprintf(out, n, "%d.%d", v / 10000, v % 10000);
	else
		snprintf(out, n, "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
}
