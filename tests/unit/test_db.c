/*
 * test_db.c - the database module without a server: URLs, password
 * redaction, password files, thresholds, lock keys, headroom arithmetic,
 * and the failures that need no server (closed port, bad option).
 * The integration tests cover the rest against real servers.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit.h"
#include "core/buf.h"
#include "core/db.h"
#include "core/err.h"

static struct db_url
parse_ok(const char *text)
{
	struct db_url u;
	char err[ERR_LEN] = "";

	if (db_url_parse(text, &u, err) != 0)
		fail_msg("parse of %s failed: %s", text, err);
	return u;
}

static void
parse_bad(const char *text, const char *want_in_err)
{
	struct db_url u;
	char err[ERR_LEN] = "";

	assert_int_equal(db_url_parse(text, &u, err), -1);
	if (strstr(err, want_in_err) == NULL)
		fail_msg("error for %s is '%s', wanted '%s' in it", text, err, want_in_err);
	/* No error message ever quotes a password. */
	assert_null(strstr(err, "s3cret"));
}

static void
url_full_postgres_parses_every_part(void **state)
{
	struct db_url u = parse_ok("postgresql://app:s3cret@db.example:6432/appdb?sslmode=require"
	    "&application_name=web%20app");

	assert_int_equal(u.kind, DB_POSTGRES);
	assert_string_equal(u.scheme, "postgresql");
	assert_string_equal(u.user, "app");
	assert_string_equal(u.password, "s3cret");
	assert_string_equal(u.host, "db.example");
	assert_int_equal(u.port, 6432);
	assert_string_equal(u.dbname, "appdb");
	assert_int_equal(u.nparams, 2);
	assert_string_equal(u.param_key[0], "sslmode");
	assert_string_equal(u.param_val[0], "require");
	assert_string_equal(u.param_val[1], "web app");
	assert_int_equal(db_url_is_socket(&u), 0);
	db_url_release(&u);
}

static void
url_schemes_map_to_kinds(void **state)
{
	const struct { const char *url; enum db_kind kind; } cases[] = {
		{ "postgres://h/d", DB_POSTGRES }, { "POSTGRESQL://h/d", DB_POSTGRES },
		{ "mysql://h/d", DB_MYSQL }, { "mariadb://h/d", DB_MYSQL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct db_url u = parse_ok(cases[i].url);

		assert_int_equal(u.kind, cases[i].kind);
		db_url_release(&u);
	}
}

static void
url_missing_parts_stay_null_for_library_defaults(void **state)
{
	struct db_url u = parse_ok("postgresql://");

	assert_null(u.user);
	assert_null(u.password);
	assert_null(u.host);
	assert_int_equal(u.port, 0);
	assert_null(u.dbname);
	db_url_release(&u);
	u = parse_ok("postgresql://app@/appdb");
	assert_string_equal(u.user, "app");
	assert_null(u.password);
	assert_null(u.host);
	assert_string_equal(u.dbname, "appdb");
	db_url_release(&u);
	/* An empty password is not an absent one. */
	u = parse_ok("mysql://app:@h/d");
	assert_string_equal(u.password, "");
	db_url_release(&u);
}

static void
url_socket_path_as_host_in_three_spellings(void **state)
{
	struct db_url u = parse_ok("postgresql://app@%2Frun%2Fpostgresql:5433/appdb");

	assert_string_equal(u.host, "/run/postgresql");
	assert_int_equal(u.port, 5433);
	assert_int_equal(db_url_is_socket(&u), 1);
	db_url_release(&u);
	u = parse_ok("postgresql:///appdb?host=/run/postgresql");
	assert_string_equal(u.host, "/run/postgresql");
	assert_int_equal(u.nparams, 0);
	db_url_release(&u);
	u = parse_ok("mysql://app@/appdb?socket=/run/mysqld/mysqld.sock");
	assert_string_equal(u.host, "/run/mysqld/mysqld.sock");
	assert_int_equal(db_url_is_socket(&u), 1);
	db_url_release(&u);
}

static void
url_ipv6_host_in_brackets(void **state)
{
	struct db_url u = parse_ok("postgresql://[::1]:5432/d");
	char out[DB_URL_MAX];

	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 5432);
	db_url_redacted(&u, out, sizeof(out));
	assert_string_equal(out, "postgresql://[::1]:5432/d");
	db_url_release(&u);
}

static void
url_password_may_hold_unencoded_at_slash_colon(void **state)
{
	struct db_url u = parse_ok("mysql://app:p@ss/w:rd@127.0.0.1:3306/appdb");

	assert_string_equal(u.user, "app");
	assert_string_equal(u.password, "p@ss/w:rd");
	assert_string_equal(u.host, "127.0.0.1");
	db_url_release(&u);
	u = parse_ok("mysql://app:p%3Fss%25@h/d");
	assert_string_equal(u.password, "p?ss%");
	db_url_release(&u);
}

static void
url_query_params_override_authority(void **state)
{
	struct db_url u = parse_ok("postgresql://a:x@h:1/d?user=b&password=y&port=2&dbname=e");

	assert_string_equal(u.user, "b");
	assert_string_equal(u.password, "y");
	assert_int_equal(u.port, 2);
	assert_string_equal(u.dbname, "e");
	assert_int_equal(u.nparams, 0);
	db_url_release(&u);
	u = parse_ok("mariadb://h/?database=shop");
	assert_string_equal(u.dbname, "shop");
	db_url_release(&u);
}

static void
url_bad_input_is_refused_with_reason(void **state)
{
	parse_bad("http://h/d", "unknown URL scheme 'http'");
	parse_bad("app:s3cret@h/d", "not a database URL");
	parse_bad("app:s3cret@h://d", "unknown URL scheme (expected");
	parse_bad("postgresql://h:0/d", "invalid port '0'");
	parse_bad("postgresql://h:65536/d", "invalid port");
	parse_bad("postgresql://h:54x/d", "invalid port '54x'");
	parse_bad("postgresql://app:s3cret%zz@h/d", "invalid percent-encoding in the password");
	parse_bad("postgresql://app:s3cret%00@h/d", "percent-encoding");
	parse_bad("postgresql://[::1/d", "missing ']'");
	parse_bad("postgresql://h1,h2/d", "several hosts");
	parse_bad("mysql://h/d?sslmode=require", "unknown parameter 'sslmode'");
	parse_bad("postgresql://h/d?novalue", "has no value");
	parse_bad("mysql://h/d?socket=relative.sock", "absolute path");
}

static void
url_bad_parameters_are_refused_before_connecting(void **state)
{
	struct db_url u;
	char err[ERR_LEN];

	parse_bad("postgresql://h/d?bogus=1", "unknown parameter 'bogus'");
	parse_bad("postgresql://h/d?sslmode=sometimes", "sslmode 'sometimes'");
	parse_bad("postgresql://h/d?connect_timeout=5s", "not a whole number");
	parse_bad("mysql://h/d?ssl-mode=PREFERRED", "ssl-mode 'PREFERRED'");
	parse_bad("mysql://h/d?ssl-ca=/nonexistent/ca.pem", "cannot read /nonexistent/ca.pem");
	assert_int_equal(db_url_parse("postgresql://h/d?sslmode=verify-full&connect_timeout=3"
	    "&application_name=x", &u, err), 0);
	db_url_release(&u);
	assert_int_equal(db_url_parse("mysql://h/d?ssl_mode=verify_identity&ssl-ca=/dev/null",
	    &u, err), 0);
	assert_int_equal((int)u.nparams, 2);
	assert_string_equal(u.param_key[0], "ssl-mode");
	assert_string_equal(u.param_key[1], "ssl-ca");
	db_url_release(&u);
}

static void
url_override_replaces_host_and_port(void **state)
{
	struct db_url u;
	char err[ERR_LEN], target[128];

	assert_int_equal(db_url_parse("postgresql://app@h1:5432/appdb", &u, err), 0);
	assert_int_equal(db_url_override(&u, "db2", "5433", err), 0);
	db_url_target(&u, target, sizeof(target));
	assert_string_equal(target, "db2:5433/appdb");
	assert_int_equal(db_url_override(&u, NULL, "0", err), -1);
	assert_non_null(strstr(err, "--port"));
	db_url_release(&u);
}

static void
url_too_long_and_too_many_params_hit_caps(void **state)
{
	char *big = malloc(DB_URL_MAX + 64);
	size_t n;

	n = (size_t)snprintf(big, DB_URL_MAX + 64, "postgresql://h/d?");
	while (n < DB_URL_MAX + 10)
		big[n++] = 'a';
	big[n] = '\0';
	parse_bad(big, "longer than");
	n = (size_t)snprintf(big, DB_URL_MAX + 64, "postgresql://h/d?");
	for (int i = 0; i <= DB_URL_MAX_PARAMS; i++)
		n += (size_t)snprintf(big + n, DB_URL_MAX + 64 - n, "options=v%d&", i);
	parse_bad(big, "more than 32 parameters");
	free(big); big = NULL;
}

static void
redacted_url_hides_password_and_round_trips(void **state)
{
	struct db_url u = parse_ok("postgresql://app:s3cret@127.0.0.1:5432/appdb?sslmode=disable");
	struct db_url back;
	char out[DB_URL_MAX], err[ERR_LEN];

	db_url_redacted(&u, out, sizeof(out));
	assert_string_equal(out, "postgresql://app:***@127.0.0.1:5432/appdb?sslmode=disable");
	db_url_release(&u);
	/* Socket hosts come back as a readable parameter that parses again. */
	u = parse_ok("mysql://root:s3cret@%2Frun%2Fmysqld%2Fmysqld.sock/shop");
	db_url_redacted(&u, out, sizeof(out));
	assert_string_equal(out, "mysql://root:***@/shop?socket=/run/mysqld/mysqld.sock");
	assert_int_equal(db_url_parse(out, &back, err), 0);
	assert_string_equal(back.host, "/run/mysqld/mysqld.sock");
	db_url_release(&back);
	db_url_release(&u);
	/* A user name with reserved characters is encoded. */
	u = parse_ok("postgresql://a%40b@h/d");
	db_url_redacted(&u, out, sizeof(out));
	assert_string_equal(out, "postgresql://a%40b@h/d");
	db_url_release(&u);
}

static void
target_names_server_without_credentials(void **state)
{
	struct db_url u = parse_ok("postgresql://app:s3cret@10.0.0.5:5432/appdb");
	char out[256];

	db_url_target(&u, out, sizeof(out));
	assert_string_equal(out, "10.0.0.5:5432/appdb");
	db_url_release(&u);
	u = parse_ok("postgresql:///appdb?host=/run/postgresql");
	db_url_target(&u, out, sizeof(out));
	assert_string_equal(out, "/run/postgresql/appdb");
	db_url_release(&u);
}

static void
redact_text_hides_userinfo_and_password_params(void **state)
{
	char out[DB_URL_MAX];

	db_redact("postgresql://app:s3cret@h/d", out, sizeof(out));
	assert_string_equal(out, "postgresql://app:***@h/d");
	db_redact("postgresql://h/d?user=a&password=s3cret&sslmode=x", out, sizeof(out));
	assert_string_equal(out, "postgresql://h/d?user=a&password=***&sslmode=x");
	/* Text that does not parse is still redacted. */
	db_redact("htp://app:s3cret@h:99999/d", out, sizeof(out));
	assert_string_equal(out, "htp://app:***@h:99999/d");
	db_redact("host=h password=s3cret dbname=d", out, sizeof(out));
	assert_string_equal(out, "host=h password=*** dbname=d");
	db_redact("mysql://app@h/d", out, sizeof(out));
	assert_string_equal(out, "mysql://app@h/d");
}

/*
 * Found by fuzz_dburl: a bad value is quoted in the error, and a value that
 * holds "?password=..." (a second query string pasted in) printed it.
 */
static void
a_bad_value_quoted_in_an_error_hides_a_password_in_it(void **state)
{
	struct db_url u;
	char err[ERR_LEN];

	assert_int_equal(db_url_parse("postgresql://h/d?sslmode=re/d?password=s3cret-pw&x=1",
	    &u, err), -1);
	assert_non_null(strstr(err, "sslmode 're/d?password=***' is not one of"));
	assert_null(strstr(err, "s3cret-pw"));
	assert_int_equal(db_url_parse("mysql://h/d?ssl-mode=x&password=s3cret-pw", &u, err), -1);
	assert_non_null(strstr(err, "ssl-mode 'x' is not one of"));
	assert_int_equal(db_url_parse("mysql://h/d?ssl-ca=/no/such?password=s3cret-pw", &u, err),
	    -1);
	assert_null(strstr(err, "s3cret-pw"));
}

/*
 * Found by fuzz_dburl: a "password=" value that runs over a URL's user info
 * made the spans overlap, and every password after them was printed.
 */
static void
redact_hides_passwords_after_overlapping_spans(void **state)
{
	char out[DB_URL_MAX];

	db_redact("password=x;postgresql://u:pw@h/db?sslmode=require&password=topsecret", out,
	    sizeof(out));
	assert_null(strstr(out, "topsecret"));
	assert_string_equal(out, "password=***&password=***");
	/* An empty password next to a real one. */
	db_redact("postgresql://u:@h/db?password=topsecret", out, sizeof(out));
	assert_string_equal(out, "postgresql://u:***@h/db?password=***");
}

/*
 * Found by fuzz_dburl: in a URL's query a value ends at '&' (as the parser
 * reads it), not at a space, so a password with a space in it was half shown
 * by db_redact() (which is also what ps(1) shows, through core/cmdline).
 */
static void
password_with_a_space_is_hidden_whole(void **state)
{
	char out[DB_URL_MAX];
	const char *arg = "postgresql://h/d?password=correct horse&sslmode=x";

	db_redact(arg, out, sizeof(out));
	assert_string_equal(out, "postgresql://h/d?password=***&sslmode=x");
	/* Outside a URL a space still ends a value (libpq's key=value strings). */
	db_redact("host=h password=s3cret dbname=d", out, sizeof(out));
	assert_string_equal(out, "host=h password=*** dbname=d");
}

/*
 * Found by fuzz_dburl: a bad port was quoted in the error, and a port value
 * runs to the next '&', so it could hold a "password=" the user meant.
 */
static void
bad_port_error_quotes_no_secret(void **state)
{
	struct db_url u;
	char err[ERR_LEN];

	assert_int_equal(db_url_parse("postgresql://h/d?port=x?password=s3cret", &u, err), -1);
	assert_null(strstr(err, "s3cr"));
	assert_string_equal(err, "invalid port (expected 1 to 65535)");
	assert_int_equal(db_url_parse("postgresql://h:65536/d", &u, err), -1);
	assert_string_equal(err, "invalid port '65536' (expected 1 to 65535)");
}

/* Found by fuzz_dburl: past 16 "password=" the rest were printed. */
static void
redact_hides_passwords_past_the_span_cap(void **state)
{
	char text[1024], out[DB_URL_MAX];
	struct buf b = BUF_INIT(sizeof(text));

	buf_puts(&b, "postgresql://h/d?sslmode=x");
	for (int i = 0; i < 20; i++)
		buf_printf(&b, "&password=secret%02d", i);
	snprintf(text, sizeof(text), "%s", buf_str(&b));
	buf_release(&b);
	db_redact(text, out, sizeof(out));
	assert_null(strstr(out, "secret"));
	assert_non_null(strstr(out, "postgresql://h/d?sslmode=x&password=***&"));
}

static void
write_file(const char *path, const char *content, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, n, f), n);
	fclose(f);
}

static void
password_file_first_line_without_newline(void **state)
{
	char path[] = "/tmp/brace-unit-pw-XXXXXX", pw[DB_PASSWORD_MAX], err[ERR_LEN];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	write_file(path, "s3cret\r\nsecond line\n", 20);
	assert_int_equal(db_read_password_file(path, pw, sizeof(pw), err), 0);
	assert_string_equal(pw, "s3cret");
	write_file(path, "no-newline", 10);
	assert_int_equal(db_read_password_file(path, pw, sizeof(pw), err), 0);
	assert_string_equal(pw, "no-newline");
	write_file(path, "\nlater", 6);
	assert_int_equal(db_read_password_file(path, pw, sizeof(pw), err), -1);
	assert_non_null(strstr(err, "is empty"));
	write_file(path, "toolong\n", 8);
	assert_int_equal(db_read_password_file(path, pw, 4, err), -1);
	assert_non_null(strstr(err, "longer than"));
	unlink(path);
	assert_int_equal(db_read_password_file(path, pw, sizeof(pw), err), -1);
	assert_non_null(strstr(err, "cannot open password file"));
}

static struct db_threshold
thr(const char *s, int ranges)
{
	struct db_threshold t;
	char err[ERR_LEN] = "";

	if (db_threshold_parse(s, ranges, &t, err) != 0)
		fail_msg("threshold %s: %s", s, err);
	return t;
}

static void
threshold_count_and_percent_alert_above(void **state)
{
	struct db_threshold t = thr("15", 0);

	assert_int_equal(db_threshold_alert(&t, 15, 100), 0);
	assert_int_equal(db_threshold_alert(&t, 16, 100), 1);
	t = thr("80%", 0);
	/* 80% of 17 is 13.6: 13 is fine, 14 alerts. */
	assert_int_equal(db_threshold_alert(&t, 13, 17), 0);
	assert_int_equal(db_threshold_alert(&t, 14, 17), 1);
	assert_int_equal(db_threshold_limit(&t, 17), 13);
	assert_int_equal(db_threshold_limit(&t, 20), 16);
	t = thr("2.5", 0);
	assert_int_equal(db_threshold_limit(&t, 20), 2);
	struct db_threshold unset = { 0 };
	assert_int_equal(db_threshold_alert(&unset, 1000, 1), 0);
	assert_int_equal(db_threshold_limit(&unset, 10), -1);
}

static void
threshold_plugin_ranges(void **state)
{
	struct db_threshold t = thr("10:", 1);

	assert_int_equal(db_threshold_alert(&t, 9, 20), 1);
	assert_int_equal(db_threshold_alert(&t, 10, 20), 0);
	assert_int_equal(db_threshold_alert(&t, 1000, 20), 0);
	t = thr("~:10", 1);
	assert_int_equal(db_threshold_alert(&t, 10, 20), 0);
	assert_int_equal(db_threshold_alert(&t, 11, 20), 1);
	assert_int_equal(db_threshold_alert(&t, 0, 20), 0);
	t = thr("10:20", 1);
	assert_int_equal(db_threshold_alert(&t, 9, 50), 1);
	assert_int_equal(db_threshold_alert(&t, 15, 50), 0);
	assert_int_equal(db_threshold_alert(&t, 21, 50), 1);
	t = thr("@10:20", 1);
	assert_int_equal(db_threshold_alert(&t, 9, 50), 0);
	assert_int_equal(db_threshold_alert(&t, 10, 50), 1);
	assert_int_equal(db_threshold_alert(&t, 20, 50), 1);
	assert_int_equal(db_threshold_alert(&t, 21, 50), 0);
	t = thr("50%:90%", 1);
	assert_int_equal(db_threshold_alert(&t, 4, 10), 1);
	assert_int_equal(db_threshold_alert(&t, 5, 10), 0);
	assert_int_equal(db_threshold_alert(&t, 10, 10), 1);
	assert_int_equal(db_threshold_limit(&t, 10), -1);
	t = thr(":10", 1);
	assert_int_equal(db_threshold_limit(&t, 10), 10);
}

static void
threshold_bad_input_is_refused(void **state)
{
	const char *bad_plain[] = { "", "abc", "-5", "10:", "5%%", "1.2.3", "%", "10 " };
	const char *bad_range[] = { "", "~:", "@", "20:10", "a:b", "10:x", "~", "@~:" };
	struct db_threshold t;
	char err[ERR_LEN];

	for (size_t i = 0; i < sizeof(bad_plain) / sizeof(bad_plain[0]); i++) {
		if (db_threshold_parse(bad_plain[i], 0, &t, err) != -1)
			fail_msg("'%s' was accepted as a plain threshold", bad_plain[i]);
	}
	for (size_t i = 0; i < sizeof(bad_range) / sizeof(bad_range[0]); i++) {
		if (db_threshold_parse(bad_range[i], 1, &t, err) != -1)
			fail_msg("'%s' was accepted as a range", bad_range[i]);
	}
	assert_int_equal(db_threshold_parse("20:10", 1, &t, err), -1);
	assert_non_null(strstr(err, "start is above the end"));
	assert_int_equal(db_threshold_parse("0123456789012345678901234567890123", 1, &t, err), -1);
}

static void
threshold_formats_as_perfdata_counts(void **state)
{
	const struct { const char *in; const char *out; } cases[] = {
		{ "80%", "13.6" }, { "15", "15" }, { "10:", "10:" }, { "~:10", "~:10" },
		{ "@10:20", "@10:20" }, { "50%:100%", "8.5:17" }, { "3.333", "3.33" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct db_threshold t = thr(cases[i].in, 1);

		db_threshold_format(&t, 17, out, sizeof(out));
		assert_string_equal(out, cases[i].out);
	}
	struct db_threshold unset = { 0 };
	db_threshold_format(&unset, 17, out, sizeof(out));
	assert_string_equal(out, "");
}

static void
lock_key_is_fnv1a_and_stable(void **state)
{
	/* FNV-1a 64 of "" is the offset basis; of "a" a published test vector. */
	assert_true((uint64_t)db_lock_key("") == 0xcbf29ce484222325ULL);
	assert_true((uint64_t)db_lock_key("a") == 0xaf63dc4c8601ec8cULL);
	assert_true(db_lock_key("nightly-report") != db_lock_key("nightly-reporT"));
}

static void
headroom_usable_subtracts_reserved(void **state)
{
	struct db_headroom h = { .used = 5, .max = 20, .reserved = 3 };

	db_headroom_compute(&h);
	assert_int_equal(h.usable, 17);
	assert_true(h.percent > 29.41 && h.percent < 29.42);
	h = (struct db_headroom){ .used = 21, .max = 20, .reserved = 0 };
	db_headroom_compute(&h);
	assert_int_equal(h.usable, 20);
	assert_true(h.percent == 105.0);
}

static void
failure_names_are_short_words(void **state)
{
	assert_string_equal(db_failure_name(DB_FAIL_FULL), "server full");
	assert_string_equal(db_failure_name(DB_FAIL_AUTH), "login refused");
	assert_string_equal(db_failure_name(DB_FAIL_UNREACHABLE), "unreachable");
	assert_string_equal(db_failure_name(DB_FAIL_BAD_URL), "bad URL");
	assert_string_equal(db_failure_name(DB_FAIL_OTHER), "error");
}

/* A loopback port nobody listens on: bind, read the port, close. */
static int
closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void
closed_port_is_unreachable_for_both_kinds(void **state)
{
	const char *schemes[] = { "postgresql", "mysql" };

	for (int i = 0; i < 2; i++) {
		char url[128], err[ERR_LEN] = "";
		enum db_failure why = DB_OK;
		struct db_url u;

		snprintf(url, sizeof(url), "%s://app:s3cret@127.0.0.1:%d/appdb", schemes[i],
		    closed_port());
		u = parse_ok(url);
		assert_null(db_connect(&u, &(struct db_connect_opts){ .timeout_ms = 5000 }, &why,
		    err));
		assert_int_equal(why, DB_FAIL_UNREACHABLE);
		assert_non_null(strstr(err, "127.0.0.1"));
		assert_null(strstr(err, "s3cret"));
		db_url_release(&u);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(url_full_postgres_parses_every_part),
		cmocka_unit_test(url_schemes_map_to_kinds),
		cmocka_unit_test(url_missing_parts_stay_null_for_library_defaults),
		cmocka_unit_test(url_socket_path_as_host_in_three_spellings),
		cmocka_unit_test(url_ipv6_host_in_brackets),
		cmocka_unit_test(url_password_may_hold_unencoded_at_slash_colon),
		cmocka_unit_test(url_query_params_override_authority),
		cmocka_unit_test(url_bad_input_is_refused_with_reason),
		cmocka_unit_test(url_too_long_and_too_many_params_hit_caps),
		cmocka_unit_test(url_bad_parameters_are_refused_before_connecting),
		cmocka_unit_test(url_override_replaces_host_and_port),
		cmocka_unit_test(redacted_url_hides_password_and_round_trips),
		cmocka_unit_test(target_names_server_without_credentials),
		cmocka_unit_test(redact_text_hides_userinfo_and_password_params),
		cmocka_unit_test(a_bad_value_quoted_in_an_error_hides_a_password_in_it),
		cmocka_unit_test(redact_hides_passwords_after_overlapping_spans),
		cmocka_unit_test(password_with_a_space_is_hidden_whole),
		cmocka_unit_test(redact_hides_passwords_past_the_span_cap),
		cmocka_unit_test(bad_port_error_quotes_no_secret),
		cmocka_unit_test(password_file_first_line_without_newline),
		cmocka_unit_test(threshold_count_and_percent_alert_above),
		cmocka_unit_test(threshold_plugin_ranges),
		cmocka_unit_test(threshold_bad_input_is_refused),
		cmocka_unit_test(threshold_formats_as_perfdata_counts),
		cmocka_unit_test(lock_key_is_fnv1a_and_stable),
		cmocka_unit_test(headroom_usable_subtracts_reserved),
		cmocka_unit_test(failure_names_are_short_words),
		cmocka_unit_test(closed_port_is_unreachable_for_both_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
