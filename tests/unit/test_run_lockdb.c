/*
 * test_run_lockdb.c - the database lock's failure paths (its success paths
 * need real servers and are in tests/integration/test_run_db.py): a server
 * that is not there is a classified failure that leaves no handle behind.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit.h"
#include "core/err.h"
#include "run/run_lockdb.h"

/* A loopback port nothing listens on. */
static int
closed_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	bind(s, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(s, (struct sockaddr *)&sa, &len);
	close(s);
	return ntohs(sa.sin_port);
}

static void
unreachable_server_is_a_classified_failure(void **state)
{
	struct run_lockdb lk = { 0 };
	struct db_url u;
	enum db_failure why;
	char url[128], err[ERR_LEN];

	snprintf(url, sizeof(url), "postgresql://app:pw@127.0.0.1:%d/appdb", closed_port());
	assert_int_equal(db_url_parse(url, &u, err), 0);
	assert_int_equal(run_lockdb_try(&lk, &u, "job", 1, 0, 0, &why, err), -1);
	assert_int_equal(why, DB_FAIL_UNREACHABLE);
	assert_null(lk.d);
	assert_null(strstr(err, ":pw@"));
	run_lockdb_release(&lk, "job");	/* nothing held: a no-op */
	db_url_release(&u);
}

static void
mysql_unreachable_server_is_a_classified_failure(void **state)
{
	struct run_lockdb lk = { 0 };
	struct db_url u;
	enum db_failure why;
	char url[128], err[ERR_LEN];

	snprintf(url, sizeof(url), "mysql://app:pw@127.0.0.1:%d/appdb", closed_port());
	assert_int_equal(db_url_parse(url, &u, err), 0);
	assert_int_equal(run_lockdb_try(&lk, &u, "job", 2, 0, 0, &why, err), -1);
	assert_int_equal(why, DB_FAIL_UNREACHABLE);
	assert_null(lk.d);
	db_url_release(&u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unreachable_server_is_a_classified_failure),
		cmocka_unit_test(mysql_unreachable_server_is_a_classified_failure),
	};

	return cmocka_run_group_tests_name("run_lockdb", tests, NULL, NULL);
}
