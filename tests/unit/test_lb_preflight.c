/*
 * test_lb_preflight.c - what --check looks at beyond the file: whether a
 * path could be written (or created), and the admin token file.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "core/err.h"
#include "lb/admin.h"
#include "lb/config.h"
#include "lb/preflight.h"

struct dir {
	char path[64];
};

static int
setup(void **state)
{
	static struct dir d;

	snprintf(d.path, sizeof(d.path), "/tmp/brace-preflight-XXXXXX");
	if (mkdtemp(d.path) == NULL)
		return -1;
	*state = &d;
	return 0;
}

static void
put(const char *dir, const char *name, const char *text, char *out, size_t n)
{
	FILE *f;

	snprintf(out, n, "%s/%s", dir, name);
	f = fopen(out, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
teardown(void **state)
{
	struct dir *d = *state;
	const char *names[] = { "token", "long", "spaced", "crlf", "empty", "file", "sub" };
	char p[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", d->path, names[i]);
		unlink(p);
		rmdir(p);
	}
	return rmdir(d->path);
}

static void
a_file_that_exists_or_could_be_created_is_writable(void **state)
{
	struct dir *d = *state;
	char err[ERR_LEN], p[128];

	put(d->path, "file", "x", p, sizeof(p));
	assert_int_equal(preflight_writable(p, 0, err), 0);
	snprintf(p, sizeof(p), "%s/new.log", d->path);
	assert_int_equal(preflight_writable(p, 0, err), 0);
	assert_int_equal(access(p, F_OK), -1);          /* looked at, not created */
}

static void
a_missing_directory_is_named_unless_it_would_be_made(void **state)
{
	struct dir *d = *state;
	char err[ERR_LEN], p[128];

	snprintf(p, sizeof(p), "%s/a/b/new.log", d->path);
	assert_int_equal(preflight_writable(p, 0, err), -1);
	assert_non_null(strstr(err, "/a/b does not exist"));
	/* the journal makes its directories: the nearest one that exists counts */
	assert_int_equal(preflight_writable(p, 1, err), 0);
	snprintf(p, sizeof(p), "%s/a", d->path);
	assert_int_equal(access(p, F_OK), -1);
}

static void
a_directory_is_not_a_file_and_a_file_is_not_a_directory(void **state)
{
	struct dir *d = *state;
	char err[ERR_LEN], p[128];

	assert_int_equal(preflight_writable(d->path, 0, err), -1);
	assert_non_null(strstr(err, "is a directory"));
	put(d->path, "file", "x", p, sizeof(p));
	strncat(p, "/under", sizeof(p) - strlen(p) - 1);
	assert_int_equal(preflight_writable(p, 0, err), -1);
	assert_non_null(strstr(err, "Not a directory"));
}

static void
the_token_is_the_first_line_without_its_line_ending(void **state)
{
	struct dir *d = *state;
	char err[ERR_LEN], p[128], tok[LB_TOKEN_LEN];

	put(d->path, "token", "s3cret-token\nsecond line\n", p, sizeof(p));
	assert_int_equal(admin_read_token(p, tok, sizeof(tok), err), 0);
	assert_string_equal(tok, "s3cret-token");
	put(d->path, "crlf", "abc \r\n", p, sizeof(p));
	assert_int_equal(admin_read_token(p, tok, sizeof(tok), err), 0);
	assert_string_equal(tok, "abc");
	put(d->path, "token", "no-newline-at-all", p, sizeof(p));
	assert_int_equal(admin_read_token(p, tok, sizeof(tok), err), 0);
	assert_string_equal(tok, "no-newline-at-all");
}

static void
a_bad_token_file_says_what_is_wrong(void **state)
{
	struct dir *d = *state;
	char err[ERR_LEN], p[128], tok[LB_TOKEN_LEN], big[LB_TOKEN_LEN + 10];

	memset(big, 'a', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	put(d->path, "long", big, p, sizeof(p));
	assert_int_equal(admin_read_token(p, tok, sizeof(tok), err), -1);
	assert_non_null(strstr(err, "longer than 127 characters"));
	put(d->path, "empty", "\nsecret on line two\n", p, sizeof(p));
	assert_int_equal(admin_read_token(p, tok, sizeof(tok), err), -1);
	assert_non_null(strstr(err, "the first line is empty"));
	put(d->path, "spaced", "two words\n", p, sizeof(p));
	assert_int_equal(admin_read_token(p, tok, sizeof(tok), err), -1);
	assert_non_null(strstr(err, "a space"));
	snprintf(p, sizeof(p), "%s/missing", d->path);
	assert_int_equal(admin_read_token(p, tok, sizeof(tok), err), -1);
	assert_non_null(strstr(err, "No such file"));
	assert_non_null(strstr(err, p));
}

static void
secrets_readable_by_everyone_are_counted(void **state)
{
	struct dir *d = *state;
	struct lb_config *cfg = config_new();
	char p[128];

	put(d->path, "token", "tok\n", p, sizeof(p));
	snprintf(cfg->admin_token_file, sizeof(cfg->admin_token_file), "%s", p);
	chmod(p, 0640);
	assert_int_equal(preflight_secrets(cfg), 0);
	chmod(p, 0644);
	assert_int_equal(preflight_secrets(cfg), 1);
	/* the configuration file counts only when it holds the token itself */
	put(d->path, "file", "[global]\n", p, sizeof(p));
	chmod(p, 0644);
	snprintf(cfg->path, sizeof(cfg->path), "%s", p);
	assert_int_equal(preflight_secrets(cfg), 1);
	snprintf(cfg->admin_token, sizeof(cfg->admin_token), "inline");
	assert_int_equal(preflight_secrets(cfg), 2);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_file_that_exists_or_could_be_created_is_writable),
		cmocka_unit_test(a_missing_directory_is_named_unless_it_would_be_made),
		cmocka_unit_test(a_directory_is_not_a_file_and_a_file_is_not_a_directory),
		cmocka_unit_test(the_token_is_the_first_line_without_its_line_ending),
		cmocka_unit_test(a_bad_token_file_says_what_is_wrong),
		cmocka_unit_test(secrets_readable_by_everyone_are_counted),
	};

	return cmocka_run_group_tests_name("lb_preflight", tests, setup, teardown);
}
