/*
 * test_sdnotify.c - systemd's notify protocol: the address forms of
 * $NOTIFY_SOCKET, and datagrams that reach a real socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "unit.h"
#include "core/err.h"
#include "core/sdnotify.h"

static void
a_path_counts_its_terminating_nul(void **state)
{
	struct sockaddr_un sun;
	size_t len = sdnotify_address("/run/systemd/notify", &sun);

	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 20);
	assert_string_equal(sun.sun_path, "/run/systemd/notify");
}

static void
an_abstract_name_starts_with_a_nul_and_counts_none(void **state)
{
	struct sockaddr_un sun;
	size_t len = sdnotify_address("@brace/notify", &sun);

	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 13);
	assert_int_equal(sun.sun_path[0], '\0');
	assert_memory_equal(sun.sun_path + 1, "brace/notify", 12);
}

static void
other_values_are_refused(void **state)
{
	struct sockaddr_un sun;
	char big[200];

	memset(big, 'x', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sdnotify_address("relative/path", &sun), 0);
	assert_int_equal(sdnotify_address("@", &sun), 0);
	assert_int_equal(sdnotify_address("", &sun), 0);
	assert_int_equal(sdnotify_address(NULL, &sun), 0);
	assert_int_equal(sdnotify_address(big, &sun), 0);
}

static void
without_the_variable_nothing_is_sent_and_nothing_fails(void **state)
{
	char err[ERR_LEN];

	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sdnotify("READY=1", err), 0);
}

/* A bound datagram socket at value; the datagram it receives next. */
static void
round_trip(const char *value, int reloading)
{
	struct sockaddr_un sun;
	socklen_t len = (socklen_t)sdnotify_address(value, &sun);
	char got[256], err[ERR_LEN];
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ssize_t n;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, len), 0);
	setenv("NOTIFY_SOCKET", value, 1);
	if (reloading)
		assert_int_equal(sdnotify_reloading(err), 0);
	else
		assert_int_equal(sdnotifyf(err, "READY=1\nSTATUS=serving %d", 3), 0);
	n = recv(fd, got, sizeof(got) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	got[n] = '\0';
	if (reloading) {
		assert_true(strncmp(got, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0);
		assert_true(strtoull(got + 27, NULL, 10) > 0);
	} else {
		assert_string_equal(got, "READY=1\nSTATUS=serving 3");
	}
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	if (value[0] == '/')
		unlink(value);
}

static void
a_datagram_reaches_a_socket_by_path(void **state)
{
	char dir[] = "/tmp/brace-sdnotify-XXXXXX", path[64];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	round_trip(path, 0);
	round_trip(path, 1);
	rmdir(dir);
}

static void
a_datagram_reaches_an_abstract_socket(void **state)
{
	char name[64];

	snprintf(name, sizeof(name), "@brace-sdnotify-test-%d", (int)getpid());
	round_trip(name, 0);
}

static void
a_socket_nobody_listens_on_is_an_error_naming_it(void **state)
{
	char err[ERR_LEN];

	setenv("NOTIFY_SOCKET", "/nonexistent/brace/notify", 1);
	assert_int_equal(sdnotify("READY=1", err), -1);
	assert_non_null(strstr(err, "/nonexistent/brace/notify"));
	setenv("NOTIFY_SOCKET", "not-a-socket", 1);
	assert_int_equal(sdnotify("READY=1", err), -1);
	assert_non_null(strstr(err, "not a socket path"));
	unsetenv("NOTIFY_SOCKET");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_path_counts_its_terminating_nul),
		cmocka_unit_test(an_abstract_name_starts_with_a_nul_and_counts_none),
		cmocka_unit_test(other_values_are_refused),
		cmocka_unit_test(without_the_variable_nothing_is_sent_and_nothing_fails),
		cmocka_unit_test(a_datagram_reaches_a_socket_by_path),
		cmocka_unit_test(a_datagram_reaches_an_abstract_socket),
		cmocka_unit_test(a_socket_nobody_listens_on_is_an_error_naming_it),
	};

	return cmocka_run_group_tests_name("sdnotify", tests, NULL, NULL);
}
