/*
 * test_prom.c - the Prometheus text writer: names checked, label values
 * escaped, HELP/TYPE once per family, values as Prometheus reads them,
 * whole lines only when the buffer's cap is hit. Every page written here
 * also passes a strict reader of the 0.0.4 text format (below) and, when
 * it is installed, `promtool check metrics`.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "conns/conns_report.h"
#include "core/json.h"
#include "core/prom.h"

/* ---- a strict reader of the text format, for checking pages ---- */

#define MAX_SERIES 256

struct reader {
	char why[256];
	char family[PROM_NAME_MAX], type[16];
	char done[64][PROM_NAME_MAX];   /* families whose samples are over */
	int ndone;
	char series[MAX_SERIES][512];
	int nseries;
	int help_seen, type_seen;
	double last_le;                 /* histogram buckets: increasing le */
};

static int __attribute__((format(printf, 2, 3)))
bad(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return -1;
}

static size_t
name_len(const char *s, int colon)
{
	size_t n = 0;

	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || s[n] == '_' ||
	    (colon && s[n] == ':') || (n > 0 && s[n] >= '0' && s[n] <= '9'))
		n++;
	return n;
}

static int
parse_value(const char *s, size_t n, double *v)
{
	char tmp[64], *end;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (strcmp(tmp, "NaN") == 0 || strcmp(tmp, "+Inf") == 0 || strcmp(tmp, "-Inf") == 0) {
		*v = tmp[0] == 'N' ? NAN : tmp[0] == '+' ? INFINITY : -INFINITY;
		return 0;
	}
	*v = strtod(tmp, &end);
	/* Go's ParseFloat takes no hex, no "inf"/"nan" spellings, no spaces. */
	if (*end != '\0' || strpbrk(tmp, "xXnNiI ") != NULL)
		return -1;
	return 0;
}

/* The family a sample name belongs to, given the open family's type. */
static int
in_family(const struct reader *r, const char *name, size_t n, const char **suffix)
{
	size_t fl = strlen(r->family);

	*suffix = "";
	if (fl == 0 || n < fl || strncmp(name, r->family, fl) != 0)
		return 0;
	*suffix = name + fl;
	if (n == fl)
		return strcmp(r->type, "histogram") != 0;
	if ((n - fl == 4 && strncmp(name + fl, "_sum", 4) == 0) ||
	    (n - fl == 6 && strncmp(name + fl, "_count", 6) == 0))
		return strcmp(r->type, "histogram") == 0 || strcmp(r->type, "summary") == 0;
	return n - fl == 7 && strncmp(name + fl, "_bucket", 7) == 0 &&
	    strcmp(r->type, "histogram") == 0;
}

static int
read_sample(struct reader *r, const char *line)
{
	const char *p = line, *suffix;
	size_t n = name_len(p, 1), key_len;
	char key[512], le[64] = "";
	double v;

	if (n == 0)
		return bad(r, "no metric name in '%s'", line);
	if (!in_family(r, p, n, &suffix))
		return bad(r, "sample '%.*s' outside its family (open: '%s')", (int)n, p, r->family);
	for (int i = 0; i < r->ndone; i++)
		if (strcmp(r->done[i], r->family) == 0)
			return bad(r, "family %s is split", r->family);
	p += n;
	if (*p == '{') {
		p++;
		while (*p != '}') {
			size_t ln = name_len(p, 0);
			const char *lname = p;

			if (ln == 0 || p[ln] != '=' || p[ln + 1] != '"')
				return bad(r, "bad label at '%s'", p);
			p += ln + 2;
			const char *val = p;
			while (*p != '"') {
				if (*p == '\0' || *p == '\n')
					return bad(r, "unterminated label value in '%s'", line);
				if (*p == '\\') {
					if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
						return bad(r, "bad escape \\%c in '%s'", p[1], line);
					p += 2;
					continue;
				}
				size_t l = json_utf8_seq((const unsigned char *)p, strlen(p));
				if (l == 0)
					return bad(r, "label value is not UTF-8 in '%s'", line);
				p += l;
			}
			if (ln == 2 && strncmp(lname, "le", 2) == 0)
				snprintf(le, sizeof(le), "%.*s", (int)(p - val), val);
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				return bad(r, "expected , or } in '%s'", line);
		}
		p++;
	}
	if (*p != ' ')
		return bad(r, "no space before the value in '%s'", line);
	p++;
	const char *end = strchr(p, ' ');
	if (parse_value(p, end ? (size_t)(end - p) : strlen(p), &v) < 0)
		return bad(r, "bad value in '%s'", line);
	if (end != NULL) {
		char *e;

		strtoll(end + 1, &e, 10);
		if (*e != '\0' || e == end + 1)
			return bad(r, "bad timestamp in '%s'", line);
	}
	if (strcmp(suffix, "_bucket") == 0) {
		double lv;

		if (le[0] == '\0' || parse_value(le, strlen(le), &lv) < 0)
			return bad(r, "bucket without a valid le in '%s'", line);
		if (!isnan(r->last_le) && lv <= r->last_le)
			return bad(r, "le not increasing in '%s'", line);
		r->last_le = isinf(lv) ? NAN : lv;
	}
	key_len = (size_t)(p - 1 - line);
	snprintf(key, sizeof(key), "%.*s", (int)key_len, line);
	for (int i = 0; i < r->nseries; i++)
		if (strcmp(r->series[i], key) == 0)
			return bad(r, "series %s appears twice", key);
	if (r->nseries < MAX_SERIES)
		snprintf(r->series[r->nseries++], sizeof(r->series[0]), "%s", key);
	return 0;
}

static int
read_comment(struct reader *r, const char *line)
{
	const char *p = line + 2;
	int is_type = strncmp(p, "TYPE ", 5) == 0;
	size_t n;

	if (strncmp(p, "HELP ", 5) != 0 && !is_type)
		return 0;               /* any other comment */
	p += 5;
	n = name_len(p, 1);
	if (n == 0 || n >= PROM_NAME_MAX || (p[n] != ' ' && p[n] != '\0'))
		return bad(r, "bad name in '%s'", line);
	if (strncmp(r->family, p, n) != 0 || r->family[n] != '\0') {
		for (int i = 0; i < r->ndone; i++)
			if (strlen(r->done[i]) == n && strncmp(r->done[i], p, n) == 0)
				return bad(r, "family %.*s appears twice", (int)n, p);
		if (r->family[0] != '\0' && r->ndone < 64)
			snprintf(r->done[r->ndone++], PROM_NAME_MAX, "%s", r->family);
		snprintf(r->family, sizeof(r->family), "%.*s", (int)n, p);
		snprintf(r->type, sizeof(r->type), "untyped");
		r->help_seen = r->type_seen = 0;
		r->last_le = NAN;
	}
	if (is_type) {
		const char *t = p + n + 1;

		if (r->type_seen++)
			return bad(r, "second TYPE for %s", r->family);
		if (strcmp(t, "counter") && strcmp(t, "gauge") && strcmp(t, "histogram") &&
		    strcmp(t, "summary") && strcmp(t, "untyped"))
			return bad(r, "unknown type in '%s'", line);
		snprintf(r->type, sizeof(r->type), "%s", t);
	} else {
		if (r->help_seen++)
			return bad(r, "second HELP for %s", r->family);
		for (const char *q = p + n; *q; q++) {
			if (*q != '\\')
				continue;
			if (q[1] != '\\' && q[1] != 'n')
				return bad(r, "bad escape in HELP '%s'", line);
			q++;
		}
	}
	return 0;
}

/* 0 when page is a valid exposition; -1 with the reason in why. */
static int
check_page(const char *page, char *why, size_t whylen)
{
	struct reader *r = calloc(1, sizeof(*r));
	const char *p = page;
	int rc = 0;

	r->last_le = NAN;
	while (*p && rc == 0) {
		const char *nl = strchr(p, '\n');
		char line[4096];

		if (nl == NULL) {
			rc = bad(r, "the page does not end with a newline");
			break;
		}
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		if (line[0] == '#')
			rc = read_comment(r, line);
		else if (line[0] != '\0')
			rc = read_sample(r, line);
		p = nl + 1;
	}
	snprintf(why, whylen, "%s", r->why);
	free(r);
	return rc;
}

/* `promtool check metrics` on the page, when promtool is installed: 0 when it agrees. */
static int
promtool_accepts(const char *page)
{
	char path[] = "/tmp/brace-prom-XXXXXX", cmd[256];
	FILE *f;
	int fd, rc;

	if (system("command -v promtool >/dev/null 2>&1") != 0)
		return 0;
	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL)
		return -1;
	fputs(page, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	rc = system(cmd);
	unlink(path);
	return rc == 0 ? 0 : -1;
}

static void
assert_valid_page(const char *page)
{
	char why[256];

	if (check_page(page, why, sizeof(why)) < 0)
		fail_msg("invalid exposition: %s\n%s", why, page);
	assert_int_equal(promtool_accepts(page), 0);
}

/* ---- the writer ---- */

static void
family_header_comes_once_before_its_samples(void **state)
{
	struct buf b = BUF_INIT(4096);
	struct prom p;

	prom_init(&p, &b);
	for (int i = 0; i < 3; i++) {
		char n[32];

		snprintf(n, sizeof(n), "s%d", i);
		assert_int_equal(prom_family(&p, "brace_things_total", PROM_COUNTER,
		    "Things seen."), 0);
		prom_begin(&p, NULL);
		prom_label(&p, "server", n);
		prom_end_u64(&p, (uint64_t)i * 10);
	}
	assert_int_equal(prom_finish(&p, NULL), 0);
	assert_string_equal(buf_str(&b),
	    "# HELP brace_things_total Things seen.\n"
	    "# TYPE brace_things_total counter\n"
	    "brace_things_total{server=\"s0\"} 0\n"
	    "brace_things_total{server=\"s1\"} 10\n"
	    "brace_things_total{server=\"s2\"} 20\n");
	assert_valid_page(buf_str(&b));
	buf_release(&b);
}

static void
label_values_are_escaped(void **state)
{
	struct buf b = BUF_INIT(4096);
	struct prom p;

	prom_init(&p, &b);
	prom_family(&p, "brace_x", PROM_GAUGE, "Back\\slash and\nnewline in help.");
	prom_begin(&p, NULL);
	prom_label(&p, "user", "we\"ird\\name\nline");
	prom_label(&p, "bytes", "bad \xff byte");
	prom_end(&p, 1);
	assert_int_equal(prom_finish(&p, NULL), 0);
	assert_string_equal(buf_str(&b),
	    "# HELP brace_x Back\\\\slash and\\nnewline in help.\n"
	    "# TYPE brace_x gauge\n"
	    "brace_x{user=\"we\\\"ird\\\\name\\nline\",bytes=\"bad \xef\xbf\xbd byte\"} 1\n");
	assert_valid_page(buf_str(&b));
	buf_release(&b);
}

static void
bad_names_drop_the_line_and_are_reported(void **state)
{
	struct buf b = BUF_INIT(4096);
	struct prom p;
	char err[ERR_LEN];

	assert_true(prom_valid_metric_name("brace_db:rate5m"));
	assert_false(prom_valid_metric_name("9lives"));
	assert_false(prom_valid_metric_name("with space"));
	assert_false(prom_valid_metric_name(""));
	assert_true(prom_valid_label_name("le"));
	assert_false(prom_valid_label_name("__name__"));
	assert_false(prom_valid_label_name("a:b"));
	assert_false(prom_valid_label_name("a-b"));

	prom_init(&p, &b);
	assert_int_equal(prom_family(&p, "brace bad", PROM_GAUGE, "x"), -1);
	prom_begin(&p, NULL);           /* no family open: dropped */
	prom_end(&p, 1);
	prom_family(&p, "brace_ok", PROM_GAUGE, "Fine.");
	prom_begin(&p, NULL);
	prom_label(&p, "a-b", "v");     /* dropped whole */
	prom_end(&p, 1);
	prom_begin(&p, "_bucket");      /* not a gauge's sample */
	prom_end(&p, 1);
	prom_begin(&p, NULL);
	prom_label(&p, "a_b", "v");
	prom_end(&p, 2);
	assert_int_equal(prom_finish(&p, err), -1);
	assert_string_equal(err, "'brace bad' is not a valid metric name");
	assert_string_equal(buf_str(&b),
	    "# HELP brace_ok Fine.\n# TYPE brace_ok gauge\nbrace_ok{a_b=\"v\"} 2\n");
	assert_valid_page(buf_str(&b));
	buf_release(&b);
}

static void
a_family_cannot_come_back_later(void **state)
{
	struct buf b = BUF_INIT(4096);
	struct prom p;
	char err[ERR_LEN];

	prom_init(&p, &b);
	prom_family(&p, "brace_alpha", PROM_GAUGE, "A.");
	prom_begin(&p, NULL);
	prom_end(&p, 1);
	prom_family(&p, "brace_beta", PROM_GAUGE, "B.");
	prom_begin(&p, NULL);
	prom_end(&p, 2);
	assert_int_equal(prom_family(&p, "brace_alpha", PROM_GAUGE, "A."), -1);
	prom_begin(&p, NULL);
	prom_end(&p, 3);
	assert_int_equal(prom_finish(&p, err), -1);
	assert_string_equal(err, "family brace_alpha appears twice on the page");
	assert_null(strstr(buf_str(&b), "brace_alpha 3"));
	assert_valid_page(buf_str(&b));
	buf_release(&b);
}

static void
histogram_buckets_sum_and_count(void **state)
{
	static const double bounds[] = { 0.005, 0.25, 1, INFINITY };
	struct buf b = BUF_INIT(4096);
	struct prom p;

	prom_init(&p, &b);
	prom_family(&p, "brace_response_time_seconds", PROM_HISTOGRAM, "Response times.");
	for (int i = 0; i < 4; i++) {
		prom_begin(&p, "_bucket");
		prom_label(&p, "pool", "app");
		prom_label_float(&p, "le", bounds[i]);
		prom_end_u64(&p, (uint64_t)(i + 1) * 3);
	}
	prom_begin(&p, "_sum");
	prom_label(&p, "pool", "app");
	prom_end(&p, 1.75);
	prom_begin(&p, "_count");
	prom_label(&p, "pool", "app");
	prom_end_u64(&p, 12);
	prom_begin(&p, NULL);           /* a histogram has no bare samples */
	prom_end(&p, 1);
	assert_int_equal(prom_finish(&p, NULL), -1);
	assert_non_null(strstr(buf_str(&b),
	    "brace_response_time_seconds_bucket{pool=\"app\",le=\"0.005\"} 3\n"));
	assert_non_null(strstr(buf_str(&b),
	    "brace_response_time_seconds_bucket{pool=\"app\",le=\"+Inf\"} 12\n"));
	assert_non_null(strstr(buf_str(&b), "brace_response_time_seconds_sum{pool=\"app\"} 1.75\n"));
	assert_valid_page(buf_str(&b));
	buf_release(&b);
}

static void
floats_are_formatted_as_prometheus_reads_them(void **state)
{
	static const struct { double v; const char *s; } cases[] = {
		{ 0, "0" }, { 42, "42" }, { -7, "-7" }, { 0.1, "0.1" }, { 1.5e-7, "1.5e-07" },
		{ 1.0 / 3, "0.3333333333333333" }, { 9007199254740993.0, "9007199254740992" },
		{ 1e300, "1e+300" }, { 2.5, "2.5" },
	};
	char s[PROM_FLOAT_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		prom_fmt_float(cases[i].v, s, sizeof(s));
		assert_string_equal(s, cases[i].s);
		assert_true(strtod(s, NULL) == cases[i].v);
	}
	prom_fmt_float(NAN, s, sizeof(s));
	assert_string_equal(s, "NaN");
	prom_fmt_float(INFINITY, s, sizeof(s));
	assert_string_equal(s, "+Inf");
	prom_fmt_float(-INFINITY, s, sizeof(s));
	assert_string_equal(s, "-Inf");
}

static void
special_values_pass_the_reader(void **state)
{
	struct buf b = BUF_INIT(4096);
	struct prom p;

	prom_init(&p, &b);
	prom_family(&p, "brace_ratio", PROM_GAUGE, "Special values.");
	prom_begin(&p, NULL);
	prom_label(&p, "k", "nan");
	prom_end(&p, NAN);
	prom_begin(&p, NULL);
	prom_label(&p, "k", "inf");
	prom_end(&p, INFINITY);
	prom_begin(&p, NULL);
	prom_label(&p, "k", "max");
	prom_end_u64(&p, UINT64_MAX);
	prom_begin(&p, NULL);
	prom_label(&p, "k", "min");
	prom_end_i64(&p, INT64_MIN);
	assert_int_equal(prom_finish(&p, NULL), 0);
	assert_non_null(strstr(buf_str(&b), "brace_ratio{k=\"nan\"} NaN\n"));
	assert_non_null(strstr(buf_str(&b), "brace_ratio{k=\"max\"} 18446744073709551615\n"));
	assert_valid_page(buf_str(&b));
	buf_release(&b);
}

static void
a_capped_page_holds_whole_lines_and_says_so(void **state)
{
	struct buf b = BUF_INIT(300);
	struct prom p;
	char err[ERR_LEN];

	prom_init(&p, &b);
	prom_family(&p, "brace_server_up", PROM_GAUGE, "1 if the server is healthy.");
	for (int i = 0; i < 50; i++) {
		char n[32];

		snprintf(n, sizeof(n), "server%d", i);
		prom_begin(&p, NULL);
		prom_label(&p, "server", n);
		prom_end(&p, 1);
	}
	assert_int_equal(prom_finish(&p, err), -1);
	assert_string_equal(err, "the metrics page is larger than its cap of 300 bytes");
	assert_true(b.len <= 300);
	assert_int_equal(b.data[b.len - 1], '\n');
	assert_valid_page(buf_str(&b));
	buf_release(&b);
}

/* conns' page, through the shared writer, is a valid exposition. */
static void
conns_page_is_valid(void **state)
{
	struct conns_sample *s = calloc(1, sizeof(*s));
	struct db_threshold warn, crit;
	struct conns_result r = { .url = "mysql://app:***@db:3306/shop",
	    .target = "db:3306/shop", .warn = &warn, .crit = &crit };
	struct buf b = BUF_INIT(1 << 16);
	char err[ERR_LEN];

	assert_int_equal(db_threshold_parse("80%", 1, &warn, err), 0);
	assert_int_equal(db_threshold_parse("90%", 1, &crit, err), 0);
	s->kind = DB_MYSQL;
	s->h = (struct db_headroom){ .used = 7, .max = 151, .max_used = 9, .threads_running = 2,
	    .errors_max_connections = 3, .aborted_connects = 4 };
	db_headroom_compute(&s->h);
	conns_tally_add(&s->by_state, "idle", 7);
	conns_tally_add(&s->by_user, "a\"b", 7);
	conns_tally_add(&s->by_state_user_db, "idle\x1f" "a\"b\x1f" "shop", 7);
	s->elapsed_ms = 1.25;
	r.s = s;
	conns_report_evaluate(&r);
	assert_int_equal(conns_report_prometheus(&b, &r, err), 0);
	assert_non_null(strstr(buf_str(&b),
	    "# TYPE brace_db_connections_aborted_connects_total counter\n"));
	assert_non_null(strstr(buf_str(&b),
	    "brace_db_connections_sample_seconds{server=\"db:3306/shop\"} 0.00125\n"));
	assert_valid_page(buf_str(&b));
	buf_reset(&b);
	r.s = NULL;
	r.failure = DB_FAIL_FULL;
	conns_report_evaluate(&r);
	assert_int_equal(conns_report_prometheus(&b, &r, err), 0);
	assert_non_null(strstr(buf_str(&b),
	    "brace_db_connections_refused_full{server=\"db:3306/shop\"} 1\n"));
	assert_valid_page(buf_str(&b));
	buf_release(&b);
	free(s);
}

/* The reader itself refuses what Prometheus refuses. */
static void
reader_refuses_broken_pages(void **state)
{
	static const char *const broken[] = {
		"brace_x 1\n",                                          /* no family */
		"# TYPE brace_x gauge\nbrace_x{a=\"b\\t\"} 1\n",        /* bad escape */
		"# TYPE brace_x gauge\nbrace_x 1\nbrace_x 2\n",         /* duplicate series */
		"# TYPE brace_x gauge\nbrace_x inf\n",                  /* bad value */
		"# TYPE brace_x gauge\n# TYPE brace_x gauge\n",         /* second TYPE */
		"# TYPE brace_x gauge\nbrace_x 1\n# TYPE brace_y gauge\nbrace_y 1\n"
		    "# TYPE brace_x gauge\n",                          /* split family */
		"# TYPE brace_x gauge\nbrace_x 1",                      /* no final newline */
	};
	char why[256];

	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++)
		assert_int_equal(check_page(broken[i], why, sizeof(why)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(family_header_comes_once_before_its_samples),
		cmocka_unit_test(label_values_are_escaped),
		cmocka_unit_test(bad_names_drop_the_line_and_are_reported),
		cmocka_unit_test(a_family_cannot_come_back_later),
		cmocka_unit_test(histogram_buckets_sum_and_count),
		cmocka_unit_test(floats_are_formatted_as_prometheus_reads_them),
		cmocka_unit_test(special_values_pass_the_reader),
		cmocka_unit_test(a_capped_page_holds_whole_lines_and_says_so),
		cmocka_unit_test(conns_page_is_valid),
		cmocka_unit_test(reader_refuses_broken_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
