/*
 * test_lb_tls.c - OpenSSL is loaded by brace lb for TLS only: a
 * configuration without TLS builds nothing and loads nothing, and every
 * function that runs for such a configuration (close, tick, metrics, a
 * worker's empty session slot, a connection without a session) works with
 * OpenSSL never loaded; the first configuration with TLS loads it.
 *
 * The load is once per process: the tests run in the order listed, the one
 * without TLS first. This program links OpenSSL itself (tlsgen.h makes the
 * certificate), which says nothing of brace's own table: ossl_loaded() does.
 */
#include <string.h>

#include "unit.h"
#include "tlsgen.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/prom.h"
#include "lb/config.h"
#include "lb/lconn.h"
#include "lb/tls.h"
#include "lb/tlscert.h"
/* ossl_loaded() only: OpenSSL's names stay the linked library's here */
#define OSSL_TABLE_ONLY
#include "lb/ossl.h"

static void
count_problem(void *arg, int line, int warning, const char *msg)
{
	(*(int *)arg)++;
}

/* A listener and a pool with one server, neither speaking TLS. */
static struct lb_config *
plain_config(void)
{
	struct lb_config *cfg = config_new();
	char err[ERR_LEN];
	struct pool *p;

	assert_non_null(cfg);
	assert_non_null(config_add_frontend(cfg, "web", err));
	assert_non_null(p = config_add_pool(cfg, "app", err));
	assert_int_equal(config_add_server_line(cfg, p, "web1 127.0.0.1:8001", err), 0);
	return cfg;
}

static void
without_tls_nothing_is_built_and_openssl_is_never_loaded(void **state)
{
	struct lb_config *cfg = plain_config();
	struct ssl_session_st *session = NULL;
	struct lconn c = { .fd = -1 };
	struct buf out = BUF_INIT(1 << 16);
	struct prom p;
	char err[ERR_LEN] = "", why[64];
	int problems = 0;

	assert_false(ossl_loaded());
	assert_int_equal(tls_check(cfg, count_problem, &problems), 0);
	assert_int_equal(problems, 0);
	assert_int_equal(tls_open(cfg, err), 0);
	assert_null(cfg->fe[0].tls);
	assert_null(cfg->servers[0].tls_ctx);
	/* what the main thread and the workers call whatever the configuration */
	tls_tick(cfg);
	tls_tick(NULL);
	prom_init(&p, &out);
	tls_metrics(&p, cfg);
	assert_int_equal(out.len, 0);
	tls_session_free(&session);
	assert_null(session);
	tls_handshake_timed_out(&c);
	tls_shutdown(&c);
	tls_free(&c);
	assert_false(tls_pending(&c));
	assert_null(tls_version(&c));
	assert_null(tls_cipher(&c));
	assert_string_equal(tlscert_reason(why, sizeof(why), "no reason"), "no reason");
	tls_close(cfg);
	assert_false(ossl_loaded());
	buf_release(&out);
	config_free(cfg);
}

static void
a_listener_with_a_certificate_loads_openssl_and_gets_its_context(void **state)
{
	struct lb_config *cfg = plain_config();
	struct frontend *fe = &cfg->fe[0];
	struct buf out = BUF_INIT(1 << 16);
	struct tlsgen g;
	struct prom p;
	char err[ERR_LEN] = "";

	unit_tmpdir_path(fe->tls_cert[0].cert, sizeof(fe->tls_cert[0].cert), "site.pem");
	fe->ntls_cert = 1;
	assert_int_equal(tlsgen_make(&g, "site.test", NULL, 0, 30 * 86400L, NULL), 0);
	assert_int_equal(tlsgen_write(fe->tls_cert[0].cert, &g, NULL, &g), 0);
	tlsgen_free(&g);
	assert_false(ossl_loaded());
	if (tls_open(cfg, err) < 0)
		fail_msg("%s", err);
	assert_true(ossl_loaded());
	assert_non_null(fe->tls);
	prom_init(&p, &out);
	tls_metrics(&p, cfg);
	assert_non_null(strstr(buf_str(&out), "brace_tls_handshakes_total{listen=\"web\","));
	tls_close(cfg);
	assert_null(fe->tls);
	buf_release(&out);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(without_tls_nothing_is_built_and_openssl_is_never_loaded),
		cmocka_unit_test(a_listener_with_a_certificate_loads_openssl_and_gets_its_context),
	};

	return cmocka_run_group_tests(tests, unit_tmpdir_setup, unit_tmpdir_teardown);
}
