/*
 * test_format.c - format detection on samples of every format, and the
 * fields each parser takes out of a line.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"
#include "logs/format.h"

#define NOW 1795764000000LL	/* 2026-11-27T07:20:00Z */

static enum format_id
detect(const char *const *lines)
{
	struct timestamp_ctx tc;
	size_t lens[32], n = 0;

	timestamp_ctx_init(&tc, NOW);
	for (; lines[n] != NULL; n++)
		lens[n] = strlen(lines[n]);
	return format_detect(&tc, lines, lens, n);
}

static const char *const combined[] = {
	"10.0.0.5 - - [27/Nov/2026:07:20:00 +0000] \"GET /api/users/42 HTTP/1.1\" 200 512 \"-\" \"curl/8.0\"",
	"10.0.0.6 - bob [27/Nov/2026:07:20:01 +0000] \"POST /login HTTP/1.1\" 302 0 \"https://x/\" \"Mozilla/5.0 (X11)\"",
	NULL,
};
static const char *const common[] = {
	"10.0.0.5 - - [27/Nov/2026:07:20:00 +0000] \"GET / HTTP/1.0\" 200 512",
	"10.0.0.7 - - [27/Nov/2026:07:20:03 +0000] \"GET /a.css HTTP/1.0\" 304 -",
	NULL,
};
static const char *const syslog3164[] = {
	"Nov 27 07:20:00 web1 sshd[1234]: Failed password for root from 10.0.0.9 port 4242 ssh2",
	"Nov 27 07:20:01 web1 CRON[99]: (root) CMD (run-parts /etc/cron.hourly)",
	"<34>Nov 27 07:20:02 web1 su: 'su root' failed for bob on /dev/pts/8",
	NULL,
};
static const char *const rfc5424[] = {
	"<34>1 2026-11-27T07:20:00.003Z web1 su - ID47 - 'su root' failed for bob",
	"<165>1 2026-11-27T07:20:01Z web1 evntslog - ID47 [exampleSDID@32473 iut=\"3\"] An application event",
	NULL,
};
static const char *const journal_short[] = {
	"-- Journal begins at Mon 2026-11-23 10:00:00 UTC, ends at Fri 2026-11-27 07:20:02 UTC. --",
	"Nov 27 07:20:00 web1 systemd[1]: Started Session 4 of user bob.",
	"Nov 27 07:20:01 web1 kernel: usb 1-1: new high-speed USB device number 2",
	NULL,
};
static const char *const journal_iso[] = {
	"-- Logs begin at Mon 2026-11-23 10:00:00 UTC, end at Fri 2026-11-27 07:20:02 UTC. --",
	"2026-11-27T07:20:00+0000 web1 systemd[1]: Started Session 4 of user bob.",
	"2026-11-27T07:20:01+0000 web1 sshd[77]: Accepted publickey for bob from 10.0.0.2 port 5000 ssh2",
	NULL,
};
static const char *const postgres[] = {
	"2026-11-27 07:20:00.123 UTC [4242] LOG:  database system is ready to accept connections",
	"2026-11-27 07:20:01.500 UTC [4250] FATAL:  sorry, too many clients already",
	"2026-11-27 07:20:02.000 UTC [4251] ERROR:  relation \"users\" does not exist at character 15",
	NULL,
};
static const char *const mysql[] = {
	"2026-11-27T07:20:00.123456Z 0 [System] [MY-010116] [Server] /usr/sbin/mysqld (mysqld 8.0.34) starting as process 1",
	"2026-11-27  7:20:01 0 [Note] InnoDB: Buffer pool(s) load completed at 261127  7:20:01",
	"2026-11-27  7:20:02 12 [Warning] Aborted connection 12 to db: 'app' user: 'app' host: 'localhost' (Got timeout reading communication packets)",
	NULL,
};
static const char *const slow[] = {
	"# Time: 2026-11-27T07:20:00.123456Z",
	"# User@Host: app[app] @ localhost []  Id:    12",
	"# Query_time: 2.000150  Lock_time: 0.000100 Rows_sent: 1  Rows_examined: 100000",
	"SET timestamp=1795764000;",
	"SELECT * FROM orders WHERE customer_id = 42;",
	NULL,
};
static const char *const jsonl[] = {
	"{\"time\":\"2026-11-27T07:20:00Z\",\"level\":\"info\",\"msg\":\"request done\",\"ms\":12}",
	"{\"ts\":1795764001.5,\"severity\":\"error\",\"message\":\"db timeout after 30s\"}",
	NULL,
};
static const char *const generic[] = {
	"2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.MRAppMaster: Created MRAppMaster",
	"2015-10-18 18:01:48,963 WARN [main] org.apache.hadoop.MRAppMaster: Executing with tokens:",
	NULL,
};

static void
each_sample_is_detected(void **state)
{
	assert_int_equal(detect(combined), FORMAT_COMBINED);
	assert_int_equal(detect(common), FORMAT_COMMON);
	assert_int_equal(detect(syslog3164), FORMAT_SYSLOG);
	assert_int_equal(detect(rfc5424), FORMAT_RFC5424);
	assert_int_equal(detect(journal_short), FORMAT_JOURNAL);
	assert_int_equal(detect(journal_iso), FORMAT_JOURNAL_ISO);
	assert_int_equal(detect(postgres), FORMAT_POSTGRES);
	assert_int_equal(detect(mysql), FORMAT_MYSQL);
	assert_int_equal(detect(slow), FORMAT_MYSQL_SLOW);
	assert_int_equal(detect(jsonl), FORMAT_JSONL);
	assert_int_equal(detect(generic), FORMAT_GENERIC);
}

static void
garbage_and_empty_fall_back_to_generic(void **state)
{
	const char *const junk[] = { "\x01\x02\xff\xfe", "", "}{][", NULL };
	const char *const none[] = { NULL };

	assert_int_equal(detect(junk), FORMAT_GENERIC);
	assert_int_equal(detect(none), FORMAT_GENERIC);
}

static void
parse(enum format_id f, const char *line, struct format_rec *r, int expect)
{
	struct timestamp_ctx tc;
	struct buf scratch = BUF_INIT(1 << 20);

	timestamp_ctx_init(&tc, NOW);
	assert_int_equal(format_parse(f, &tc, line, strlen(line), r, &scratch), expect);
	buf_release(&scratch);
}

static void
access_fields(void **state)
{
	struct format_rec r;

	parse(FORMAT_COMBINED, combined[1], &r, 0);
	assert_int_equal(r.ts, NOW + 1000);
	assert_int_equal(r.status, 302);
	assert_true(r.access);
	assert_memory_equal(r.client, "10.0.0.6", r.client_len);
	assert_memory_equal(r.method, "POST", r.method_len);
	assert_memory_equal(r.path, "/login", r.path_len);
	assert_memory_equal(r.ua, "Mozilla/5.0 (X11)", r.ua_len);
	/* a broken line still gives a record, flagged as not matching */
	parse(FORMAT_COMBINED, "10.0.0.6 - - [27/Nov/2026:07:20:01 +0000] \"GET", &r, -1);
	assert_int_equal(r.access, 0);
}

static void
syslog_and_database_messages(void **state)
{
	struct format_rec r;

	parse(FORMAT_SYSLOG, syslog3164[0], &r, 0);
	assert_int_equal(r.ts, NOW);
	assert_memory_equal(r.msg, "sshd[1234]: Failed", 18);
	parse(FORMAT_POSTGRES, postgres[1], &r, 0);
	assert_memory_equal(r.level, "FATAL", r.level_len);
	assert_memory_equal(r.msg, "FATAL:  sorry", 13);
	parse(FORMAT_MYSQL, mysql[2], &r, 0);
	assert_memory_equal(r.level, "Warning", r.level_len);
	parse(FORMAT_RFC5424, rfc5424[1], &r, 0);
	assert_memory_equal(r.msg, "An application event", r.msg_len);
	parse(FORMAT_MYSQL_SLOW, slow[3], &r, 0);
	assert_null(r.msg);
	assert_int_equal(r.ts, NOW);
}

static void
jsonl_fields_and_escapes(void **state)
{
	struct format_rec r;

	parse(FORMAT_JSONL, jsonl[1], &r, 0);
	assert_int_equal(r.ts, NOW + 1500);
	assert_memory_equal(r.msg, "db timeout after 30s", r.msg_len);
	assert_memory_equal(r.level, "error", r.level_len);
	{
		struct timestamp_ctx tc;
		struct buf scratch = BUF_INIT(1 << 20);
		const char *l = "{\"msg\":\"a \\\"quoted\\\" \\u00e9\",\"nested\":{\"x\":[1,{\"y\":2}]}}";

		timestamp_ctx_init(&tc, NOW);
		assert_int_equal(format_parse(FORMAT_JSONL, &tc, l, strlen(l), &r, &scratch), 0);
		assert_int_equal(r.msg_len, strlen("a \"quoted\" \xc3\xa9"));
		assert_memory_equal(r.msg, "a \"quoted\" \xc3\xa9", r.msg_len);
		buf_release(&scratch);
	}
	parse(FORMAT_JSONL, "{\"msg\": \"unterminated", &r, -1);
}

static void
access_times_after_the_format(void **state)
{
	struct format_rec r;

	/* brace lb's combined log: upstream address, upstream time, request time */
	parse(FORMAT_COMBINED, "10.0.0.5 - - [27/Nov/2026:07:20:00 +0000] \"GET /a HTTP/1.1\" 200 5 "
	    "\"-\" \"curl/8.0\" 10.0.0.9:8080 0.250 0.252", &r, 0);
	assert_int_equal(r.req_us, 252000);
	assert_int_equal(r.up_us, 250000);
	assert_memory_equal(r.ua, "curl/8.0", r.ua_len);
	/* no times: nothing */
	parse(FORMAT_COMBINED, combined[0], &r, 0);
	assert_int_equal(r.req_us, -1);
	assert_int_equal(r.up_us, -1);
	assert_int_equal(r.bare_int, -1);
	/* Common Log Format with Apache's %D */
	parse(FORMAT_COMMON, "10.0.0.5 - - [27/Nov/2026:07:20:00 +0000] \"GET / HTTP/1.0\" 200 512 "
	    "53012", &r, 0);
	assert_int_equal(r.bare_int, 53012);
	assert_int_equal(r.req_us, -1);
	/* a line that does not match the format has no times */
	parse(FORMAT_COMBINED, "not an access line 0.250", &r, -1);
	assert_int_equal(r.req_us, -1);
}

static void
apache_percent_t_is_told_from_percent_d(void **state)
{
	struct timestamp_ctx tc;
	const char *secs[] = {
		"10.0.0.5 - - [27/Nov/2026:07:20:00 +0000] \"GET / HTTP/1.0\" 200 512 0",
		"10.0.0.5 - - [27/Nov/2026:07:20:01 +0000] \"GET / HTTP/1.0\" 200 512 0",
		"10.0.0.5 - - [27/Nov/2026:07:20:02 +0000] \"GET / HTTP/1.0\" 200 512 3",
	};
	const char *us[] = {
		"10.0.0.5 - - [27/Nov/2026:07:20:00 +0000] \"GET / HTTP/1.0\" 200 512 530",
		"10.0.0.5 - - [27/Nov/2026:07:20:01 +0000] \"GET / HTTP/1.0\" 200 512 91002",
	};
	size_t ls[3], lu[2];

	timestamp_ctx_init(&tc, NOW);
	for (int i = 0; i < 3; i++)
		ls[i] = strlen(secs[i]);
	for (int i = 0; i < 2; i++)
		lu[i] = strlen(us[i]);
	assert_int_equal(format_int_secs(FORMAT_COMMON, &tc, secs, ls, 3), 1);
	assert_int_equal(format_int_secs(FORMAT_COMMON, &tc, us, lu, 2), 0);
	assert_int_equal(format_int_secs(FORMAT_SYSLOG, &tc, secs, ls, 3), 0);
}

static void
jsonl_request_times_with_units(void **state)
{
	struct format_rec r;

	parse(FORMAT_JSONL, "{\"ts\":1795764000,\"msg\":\"GET /report\",\"duration_ms\":1250,"
	    "\"upstream_time\":\"1.2s\"}", &r, 0);
	assert_int_equal(r.req_us, 1250000);
	assert_int_equal(r.up_us, 1200000);
	parse(FORMAT_JSONL, "{\"msg\":\"x\",\"request_time\":0.004}", &r, 0);
	assert_int_equal(r.req_us, 4000);
	assert_int_equal(r.up_us, -1);
	/* Traefik: nanoseconds */
	parse(FORMAT_JSONL, "{\"msg\":\"x\",\"Duration\":2500000}", &r, 0);
	assert_int_equal(r.req_us, 2500);
	/* a time that is no duration */
	parse(FORMAT_JSONL, "{\"msg\":\"x\",\"latency\":\"slow\"}", &r, 0);
	assert_int_equal(r.req_us, -1);
}

static void
names_round_trip(void **state)
{
	enum format_id f;

	for (int i = 0; i < FORMAT_COUNT; i++) {
		if (i == FORMAT_HEADER)
			continue;
		assert_int_equal(format_by_name(format_name((enum format_id)i), &f), 0);
		assert_int_equal(f, i);
	}
	assert_int_equal(format_by_name("nginx", &f), 0);
	assert_int_equal(f, FORMAT_COMBINED);
	assert_int_equal(format_by_name("nope", &f), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_sample_is_detected),
		cmocka_unit_test(garbage_and_empty_fall_back_to_generic),
		cmocka_unit_test(access_fields),
		cmocka_unit_test(syslog_and_database_messages),
		cmocka_unit_test(jsonl_fields_and_escapes),
		cmocka_unit_test(access_times_after_the_format),
		cmocka_unit_test(apache_percent_t_is_told_from_percent_d),
		cmocka_unit_test(jsonl_request_times_with_units),
		cmocka_unit_test(names_round_trip),
	};

	return cmocka_run_group_tests_name("format", tests, unit_utc_setup, NULL);
}
