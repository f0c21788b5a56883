/*
 * test_lb_tlscert.c - reading certificates and keys: bundles, keys of their
 * own or beside the certificate, directories, the names a certificate
 * carries, and every refusal naming its file and reason; the registry
 * reusing an unchanged file and keeping the old certificate when a changed
 * file fails to load.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "tlsgen.h"
#include "lb/tlscert.h"

#define DAY 86400L

static char *
tmp(const char *name)
{
	static char paths[8][256];
	static int next;
	char *p = paths[next++ % 8];

	unit_tmpdir_path(p, sizeof(paths[0]), name);
	return p;
}

static void
make(struct tlsgen *g, const char *names, const char *cn, long from, long to)
{
	assert_int_equal(tlsgen_make(g, names, cn, from, to, NULL), 0);
}

static void
write_pem(const char *path, const struct tlsgen *c, const struct tlsgen *chain,
    const struct tlsgen *k)
{
	assert_int_equal(tlsgen_write(path, c, chain, k), 0);
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static struct tlscert *
load_ok(const char *path, const char *key)
{
	struct tlscert *c = NULL;
	char err[ERR_LEN];

	if (tlscert_load(path, key, &c, err) != 0)
		fail_msg("%s: %s", path, err);
	return c;
}

static void
load_refused(const char *path, const char *key, const char *want)
{
	struct tlscert *c = NULL;
	char err[ERR_LEN];

	if (tlscert_load(path, key, &c, err) == 0)
		fail_msg("%s was accepted", path);
	assert_null(c);
	if (strstr(err, want) == NULL)
		fail_msg("%s: '%s' lacks '%s'", path, err, want);
}

static void
a_bundle_holds_certificate_chain_and_key(void **state)
{
	struct tlsgen ca, leaf;
	struct tlscert *c;

	make(&ca, NULL, "Test CA", 0, 30 * DAY);
	assert_int_equal(tlsgen_make(&leaf, "www.example.org,*.example.org", "www", 0, 90 * DAY,
	    &ca), 0);
	/* key first, then the certificate and its chain: any order goes */
	write_pem(tmp("k.tmp"), NULL, NULL, &leaf);
	write_pem(tmp("c.tmp"), &leaf, &ca, NULL);
	{
		FILE *o = fopen(tmp("bundle.pem"), "w");
		char line[256];
		FILE *in;

		assert_non_null(o);
		for (int i = 0; i < 2; i++) {
			in = fopen(tmp(i == 0 ? "k.tmp" : "c.tmp"), "r");
			assert_non_null(in);
			while (fgets(line, sizeof(line), in))
				fputs(line, o);
			fclose(in);
		}
		fclose(o);
	}
	c = load_ok(tmp("bundle.pem"), "");
	assert_int_equal(c->nnames, 2);
	assert_string_equal(c->names[0], "www.example.org");
	assert_string_equal(c->names[1], "*.example.org");
	assert_string_equal(c->subject, "www");
	assert_int_equal(sk_X509_num(c->chain), 1);
	assert_string_equal(c->key_path, "");
	assert_true(tlscert_days_left(c, time(NULL)) >= 89);
	assert_true(tlscert_days_left(c, time(NULL)) <= 90);
	tlscert_free(c);
	tlsgen_free(&ca);
	tlsgen_free(&leaf);
}

static void
a_key_comes_from_tls_key_or_from_beside_the_certificate(void **state)
{
	struct tlsgen g;
	struct tlscert *c;

	make(&g, "a.example.org", NULL, 0, DAY);
	write_pem(tmp("site.pem"), &g, NULL, NULL);
	write_pem(tmp("site.key"), NULL, NULL, &g);
	c = load_ok(tmp("site.pem"), "");
	assert_string_equal(c->key_path, tmp("site.key"));
	tlscert_free(c);
	/* HAProxy's NAME.pem.key */
	write_pem(tmp("other.crt"), &g, NULL, NULL);
	write_pem(tmp("other.crt.key"), NULL, NULL, &g);
	c = load_ok(tmp("other.crt"), "");
	assert_string_equal(c->key_path, tmp("other.crt.key"));
	tlscert_free(c);
	/* named: wins over the one beside it */
	write_pem(tmp("elsewhere.pem"), NULL, NULL, &g);
	c = load_ok(tmp("site.pem"), tmp("elsewhere.pem"));
	assert_string_equal(c->key_path, tmp("elsewhere.pem"));
	tlscert_free(c);
	tlsgen_free(&g);
}

static void
a_certificate_without_san_is_named_by_its_cn(void **state)
{
	struct tlsgen g;
	struct tlscert *c;

	make(&g, NULL, "Legacy.Example.ORG", 0, DAY);
	write_pem(tmp("legacy.pem"), &g, NULL, &g);
	c = load_ok(tmp("legacy.pem"), "");
	assert_int_equal(c->nnames, 1);
	assert_string_equal(c->names[0], "legacy.example.org");
	tlscert_free(c);
	tlsgen_free(&g);
}

static void
refusals_name_the_file_and_the_reason(void **state)
{
	struct tlsgen a, b;

	make(&a, "a.example.org", NULL, 0, DAY);
	make(&b, "b.example.org", NULL, 0, DAY);
	load_refused(tmp("missing.pem"), "", "cannot read");
	load_refused(tmp("missing.pem"), "", "missing.pem: No such file or directory");
	write_text(tmp("text.pem"), "hello\n");
	load_refused(tmp("text.pem"), "", "text.pem: no certificate in it");
	write_text(tmp("broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n"
	    "-----END CERTIFICATE-----\n");
	load_refused(tmp("broken.pem"), "", "broken.pem: bad certificate");
	/* no key anywhere */
	write_pem(tmp("nokey.pem"), &a, NULL, NULL);
	load_refused(tmp("nokey.pem"), "", "no private key in it, and no key file beside it");
	/* the wrong key, in the bundle and in a file of its own */
	write_pem(tmp("wrong.pem"), &a, NULL, &b);
	load_refused(tmp("wrong.pem"), "", "the key in the bundle does not match the "
	    "certificate in");
	load_refused(tmp("wrong.pem"), "", "key values mismatch");
	write_pem(tmp("b.key"), NULL, NULL, &b);
	load_refused(tmp("nokey.pem"), tmp("b.key"), "b.key does not match the certificate in");
	load_refused(tmp("nokey.pem"), tmp("nothere.key"), "nothere.key: No such file");
	write_pem(tmp("notakey.key"), &a, NULL, NULL);
	load_refused(tmp("nokey.pem"), tmp("notakey.key"), "notakey.key: no private key in it");
	/* an encrypted key: no passphrase is asked for */
	{
		FILE *f = fopen(tmp("enc.key"), "w");

		assert_non_null(f);
		assert_int_equal(PEM_write_PrivateKey(f, a.key, EVP_aes_128_cbc(), NULL, 0, NULL,
		    (void *)"secret"), 1);
		fclose(f);
	}
	load_refused(tmp("nokey.pem"), tmp("enc.key"), "the private key is encrypted");
	/* unreadable (as root every file is readable: skip that case then) */
	if (geteuid() != 0) {
		write_pem(tmp("locked.pem"), &a, NULL, &a);
		chmod(tmp("locked.pem"), 0);
		load_refused(tmp("locked.pem"), "", "Permission denied");
	}
	tlsgen_free(&a);
	tlsgen_free(&b);
}

static void
expiry_is_counted_in_days_either_side_of_now(void **state)
{
	struct tlsgen g;
	struct tlscert *c;
	char when[64];

	make(&g, "old.example.org", NULL, -30 * DAY, -DAY - 60);
	write_pem(tmp("old.pem"), &g, NULL, &g);
	c = load_ok(tmp("old.pem"), "");
	assert_int_equal(tlscert_days_left(c, time(NULL)), -2);
	tlscert_fmt_time(c->not_after, when, sizeof(when));
	assert_non_null(strstr(when, " UTC"));
	tlscert_free(c);
	tlsgen_free(&g);
	tlscert_fmt_time(0, when, sizeof(when));
	assert_string_equal(when, "1970-01-01 00:00 UTC");
}

static void
a_directory_gives_its_bundles_in_name_order_without_keys_and_hidden_files(void **state)
{
	struct tlsgen g;
	char dir[256], path[300], **files, err[ERR_LEN];
	int n;

	make(&g, "d.example.org", NULL, 0, DAY);
	snprintf(dir, sizeof(dir), "%s", tmp("certs"));
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(tlscert_files(dir, &files, &n, err), -1);
	assert_non_null(strstr(err, "holds no certificate bundle"));
	for (const char *const *name = (const char *const[]){ "b.pem", "a.pem", "a.key",
	    ".hidden.pem", "c.crt", NULL }; *name; name++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *name);
		write_pem(path, &g, NULL, &g);
	}
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(tlscert_files(dir, &files, &n, err), 0);
	assert_int_equal(n, 3);
	snprintf(path, sizeof(path), "%s/a.pem", dir);
	assert_string_equal(files[0], path);
	snprintf(path, sizeof(path), "%s/b.pem", dir);
	assert_string_equal(files[1], path);
	snprintf(path, sizeof(path), "%s/c.crt", dir);
	assert_string_equal(files[2], path);
	assert_null(files[3]);
	tlscert_files_free(files);
	/* a file is itself */
	assert_int_equal(tlscert_files(path, &files, &n, err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(files[0], path);
	tlscert_files_free(files);
	assert_int_equal(tlscert_files(tmp("nothing"), &files, &n, err), -1);
	assert_non_null(strstr(err, "No such file"));
	tlsgen_free(&g);
}

/* Bump a file's modification time, as a renewal rewriting it would. */
static void
touch_later(const char *path, int s)
{
	struct timespec ts[2];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec += s;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void
the_registry_reuses_an_unchanged_file_and_keeps_the_old_when_a_new_one_fails(void **state)
{
	struct tlsgen g1, g2;
	struct tlscert *a, *b, *c, *d;
	char err[ERR_LEN];
	int kept;

	make(&g1, "r.example.org", NULL, 0, DAY);
	make(&g2, "r.example.org", NULL, 0, 2 * DAY);
	write_pem(tmp("r.pem"), &g1, NULL, &g1);
	a = tlscert_get(tmp("r.pem"), "", &kept, err);
	assert_non_null(a);
	assert_false(kept);
	b = tlscert_get(tmp("r.pem"), "", &kept, err);
	assert_ptr_equal(a, b);                 /* not read again */
	assert_int_equal(a->refs, 2);
	/* renewed: a new certificate */
	write_pem(tmp("r.pem"), &g2, NULL, &g2);
	touch_later(tmp("r.pem"), 1);
	c = tlscert_get(tmp("r.pem"), "", &kept, err);
	assert_non_null(c);
	assert_false(kept);
	assert_ptr_not_equal(c, a);
	assert_true(c->not_after > a->not_after);
	/* broken by a bad renewal: the last good one stays */
	write_text(tmp("r.pem"), "garbage\n");
	touch_later(tmp("r.pem"), 2);
	d = tlscert_get(tmp("r.pem"), "", &kept, err);
	assert_ptr_equal(d, c);
	assert_true(kept);
	assert_non_null(strstr(err, "no certificate in it"));
	/* a file never loaded that fails: nothing to keep */
	assert_null(tlscert_get(tmp("never.pem"), "", &kept, err));
	assert_false(kept);
	tlscert_put(a);
	tlscert_put(b);
	tlscert_put(c);
	tlscert_put(d);
	tlsgen_free(&g1);
	tlsgen_free(&g2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_bundle_holds_certificate_chain_and_key),
		cmocka_unit_test(a_key_comes_from_tls_key_or_from_beside_the_certificate),
		cmocka_unit_test(a_certificate_without_san_is_named_by_its_cn),
		cmocka_unit_test(refusals_name_the_file_and_the_reason),
		cmocka_unit_test(expiry_is_counted_in_days_either_side_of_now),
		cmocka_unit_test(a_directory_gives_its_bundles_in_name_order_without_keys_and_hidden_files),
		cmocka_unit_test(the_registry_reuses_an_unchanged_file_and_keeps_the_old_when_a_new_one_fails),
	};

	return cmocka_run_group_tests_name("lb_tlscert", tests, unit_tmpdir_setup,
	    unit_tmpdir_teardown);
}
