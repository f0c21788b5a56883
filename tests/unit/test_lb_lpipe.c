/*
 * test_lb_lpipe.c - the workers' pipes: the pool's caps and reuse, and
 * moving bytes socket -> pipe -> socket with splice(2) on real loopback TCP
 * connections, with the readiness bookkeeping the event loop relies on.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit.h"
#include "lb/lpipe.h"

/* A connected loopback TCP pair, both ends non-blocking: fd[0] connects, fd[1] accepted. */
static void
tcp_pair(int fd[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
	fd[0] = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd[0], (struct sockaddr *)&a, sizeof(a)), 0);
	fd[1] = accept(l, NULL, NULL);
	assert_true(fd[1] >= 0);
	close(l);
	for (int i = 0; i < 2; i++)
		assert_int_equal(fcntl(fd[i], F_SETFL, O_NONBLOCK), 0);
}

/* Wait (5 s at most) until fd shows all of events: what the peer wrote has arrived. */
static void
wait_for(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (int i = 0; i < 50; i++) {
		assert_true(poll(&pfd, 1, 100) >= 0);
		if ((pfd.revents & events) == events)
			return;
	}
	fail_msg("the loopback peer's bytes never arrived");
}

static struct lconn
conn_of(int fd, uint8_t ready)
{
	struct lconn c = { .fd = fd, .type = LC_SERVER, .ready = ready };

	return c;
}

/* Read everything fd has until n bytes came (blocking briefly per read). */
static size_t
drain(int fd, char *out, size_t n)
{
	size_t got = 0;

	for (int spins = 0; got < n && spins < 100000; spins++) {
		ssize_t r = read(fd, out + got, n - got);

		if (r > 0)
			got += (size_t)r;
		else if (r == 0)
			break;
		else if (errno == EAGAIN)
			usleep(100);
	}
	return got;
}

static void
the_pool_hands_out_at_most_its_cap(void **state)
{
	struct lpipe_pool pp;
	struct lpipe *p[3];

	lpipe_pool_init(&pp, 2);
	p[0] = lpipe_get(&pp);
	p[1] = lpipe_get(&pp);
	assert_non_null(p[0]);
	assert_non_null(p[1]);
	assert_null(lpipe_get(&pp));
	lpipe_release(&pp, p[0]);
	p[2] = lpipe_get(&pp);
	assert_ptr_equal(p[2], p[0]);           /* the free one, not a new pipe */
	lpipe_release(&pp, p[1]);
	lpipe_release(&pp, p[2]);
	assert_int_equal(pp.nused, 0);
	assert_int_equal(pp.nfree, 2);
	lpipe_pool_release(&pp);
	assert_int_equal(pp.nfree, 0);
}

static void
a_pool_with_cap_zero_hands_out_nothing(void **state)
{
	struct lpipe_pool pp;

	lpipe_pool_init(&pp, 0);
	assert_null(lpipe_get(&pp));
	lpipe_pool_release(&pp);
}

static void
a_pipe_holds_at_least_the_splicing_threshold(void **state)
{
	struct lpipe_pool pp;
	struct lpipe *p;

	lpipe_pool_init(&pp, 1);
	p = lpipe_get(&pp);
	assert_non_null(p);
	assert_int_equal(p->len, 0);
	assert_true(p->cap >= LB_SPLICE_MIN);
	assert_int_equal((uint32_t)fcntl(p->fd[1], F_GETPIPE_SZ), p->cap);
	lpipe_release(&pp, p);
	lpipe_pool_release(&pp);
}

static void
free_pipes_past_the_pool_limit_are_closed(void **state)
{
	struct lpipe_pool pp;
	struct lpipe *p[LB_FREE_PIPES + 4];
	int n = (int)(sizeof(p) / sizeof(p[0]));

	lpipe_pool_init(&pp, n);
	for (int i = 0; i < n; i++)
		assert_non_null(p[i] = lpipe_get(&pp));
	for (int i = 0; i < n; i++)
		lpipe_release(&pp, p[i]);
	assert_int_equal(pp.nfree, LB_FREE_PIPES);
	assert_int_equal(pp.nused, 0);
	lpipe_pool_release(&pp);
}

static void
out_of_descriptors_no_new_pipe_is_tried_for_a_while(void **state)
{
	struct lpipe_pool pp;
	struct rlimit old, low;
	struct lpipe *p;
	int fd = dup(0);

	/* a limit just above the descriptors open now: pipe() needs two */
	assert_true(fd >= 0);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)fd + 1;
	close(fd);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	lpipe_pool_init(&pp, 4);
	p = lpipe_get(&pp);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_null(p);
	assert_int_equal(pp.nused, 0);
	assert_int_equal(pp.cooldown, LB_PIPE_COOLDOWN);
	/* descriptors are back, but the pool does not try again at once */
	for (int i = 0; i < LB_PIPE_COOLDOWN; i++)
		assert_null(lpipe_get(&pp));
	assert_non_null(p = lpipe_get(&pp));
	lpipe_release(&pp, p);
	/* a free pipe is handed out whatever the cooldown */
	pp.cooldown = 5;
	assert_ptr_equal(lpipe_get(&pp), p);
	assert_int_equal(pp.cooldown, 5);
	lpipe_release(&pp, p);
	lpipe_pool_release(&pp);
}

static void
bytes_cross_from_socket_to_socket_exactly(void **state)
{
	int a[2], b[2];
	struct lpipe_pool pp;
	struct lpipe *p;
	static char out[200000], in[200000];
	struct lconn from, to;
	size_t sent = 0, got = 0;

	tcp_pair(a);
	tcp_pair(b);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + i / 251);
	lpipe_pool_init(&pp, 1);
	p = lpipe_get(&pp);
	from = conn_of(a[1], RD_IN);
	to = conn_of(b[0], RD_OUT);
	/* a writer, the proxy in the middle, a reader: all in this thread */
	for (int spins = 0; got < sizeof(in) && spins < 200000; spins++) {
		ssize_t n;

		if (sent < sizeof(out) && (n = write(a[0], out + sent, sizeof(out) - sent)) > 0)
			sent += (size_t)n;
		from.ready |= RD_IN;
		to.ready |= RD_OUT;
		n = lpipe_fill(p, &from, sizeof(out));
		assert_true(n >= 0);
		assert_true(p->len <= p->cap);
		assert_true(lpipe_flush(p, &to) >= 0);
		if ((n = read(b[1], in + got, sizeof(in) - got)) > 0)
			got += (size_t)n;
	}
	assert_int_equal(got, sizeof(in));
	assert_memory_equal(in, out, sizeof(out));
	assert_int_equal(p->len, 0);
	lpipe_release(&pp, p);
	lpipe_pool_release(&pp);
	close(a[0]); close(a[1]); close(b[0]); close(b[1]);
}

static void
a_fill_takes_no_more_than_max_leaving_the_rest_in_the_socket(void **state)
{
	int a[2];
	struct lpipe_pool pp;
	struct lpipe *p;
	struct lconn from;
	char rest[100];

	tcp_pair(a);
	assert_int_equal(write(a[0], "0123456789abcdef", 16), 16);
	wait_for(a[1], POLLIN);
	lpipe_pool_init(&pp, 1);
	p = lpipe_get(&pp);
	from = conn_of(a[1], RD_IN);
	assert_int_equal(lpipe_fill(p, &from, 10), 10);
	assert_int_equal(p->len, 10);
	assert_true(from.ready & RD_IN);        /* not drained: the caller stopped */
	assert_int_equal(drain(a[1], rest, 6), 6);
	assert_memory_equal(rest, "abcdef", 6);
	lpipe_release(&pp, p);                  /* 10 bytes left in it: closed */
	assert_int_equal(pp.nfree, 0);
	assert_int_equal(pp.nused, 0);
	lpipe_pool_release(&pp);
	close(a[0]); close(a[1]);
}

static void
an_empty_socket_and_an_empty_pipe_mean_wait_for_the_next_edge(void **state)
{
	int a[2];
	struct lpipe_pool pp;
	struct lpipe *p;
	struct lconn from;

	tcp_pair(a);
	lpipe_pool_init(&pp, 1);
	p = lpipe_get(&pp);
	from = conn_of(a[1], RD_IN);
	assert_int_equal(lpipe_fill(p, &from, 1000), 0);
	assert_false(from.ready & RD_IN);
	assert_int_equal(p->wait_room, 0);
	/* not readable: no system call, nothing moves */
	assert_int_equal(lpipe_fill(p, &from, 1000), 0);
	lpipe_release(&pp, p);
	lpipe_pool_release(&pp);
	close(a[0]); close(a[1]);
}

static void
eagain_with_bytes_in_the_pipe_waits_for_a_flush_not_an_edge(void **state)
{
	int a[2], b[2];
	struct lpipe_pool pp;
	struct lpipe *p;
	struct lconn from, to;
	char buf[8];

	tcp_pair(a);
	tcp_pair(b);
	lpipe_pool_init(&pp, 1);
	p = lpipe_get(&pp);
	from = conn_of(a[1], RD_IN);
	to = conn_of(b[0], RD_OUT);
	assert_int_equal(write(a[0], "abc", 3), 3);
	wait_for(a[1], POLLIN);
	assert_int_equal(lpipe_fill(p, &from, 1000), 3);
	/* the socket is empty now, but with bytes in the pipe EAGAIN could mean "pipe full" */
	assert_int_equal(lpipe_fill(p, &from, 1000), 0);
	assert_true(from.ready & RD_IN);
	assert_int_equal(p->wait_room, 1);
	assert_int_equal(lpipe_fill(p, &from, 1000), 0);   /* waits: no retry before a flush */
	assert_int_equal(lpipe_flush(p, &to), 3);
	assert_int_equal(p->wait_room, 0);
	assert_int_equal(p->len, 0);
	assert_int_equal(drain(b[1], buf, 3), 3);
	assert_memory_equal(buf, "abc", 3);
	/* now an empty pipe: EAGAIN means drained */
	assert_int_equal(lpipe_fill(p, &from, 1000), 0);
	assert_false(from.ready & RD_IN);
	lpipe_release(&pp, p);
	lpipe_pool_release(&pp);
	close(a[0]); close(a[1]); close(b[0]); close(b[1]);
}

static void
the_end_of_the_stream_is_minus_one_with_errno_zero(void **state)
{
	int a[2];
	struct lpipe_pool pp;
	struct lpipe *p;
	struct lconn from;

	tcp_pair(a);
	assert_int_equal(write(a[0], "xy", 2), 2);
	shutdown(a[0], SHUT_WR);
	wait_for(a[1], POLLIN | POLLRDHUP);
	lpipe_pool_init(&pp, 1);
	p = lpipe_get(&pp);
	from = conn_of(a[1], RD_IN | RD_HUP);
	assert_int_equal(lpipe_fill(p, &from, 1000), 2);
	errno = EINVAL;
	assert_int_equal(lpipe_fill(p, &from, 1000), -1);
	assert_int_equal(errno, 0);
	assert_false(from.ready & RD_IN);
	assert_int_equal(p->len, 2);
	lpipe_release(&pp, p);
	lpipe_pool_release(&pp);
	close(a[0]); close(a[1]);
}

static void
a_full_receiver_makes_the_flush_short_and_clears_writable(void **state)
{
	int a[2], b[2], small = 4096;
	struct lpipe_pool pp;
	struct lpipe *p;
	struct lconn from, to;
	static char block[65536];
	ssize_t n;
	int stuck = 0;

	tcp_pair(a);
	tcp_pair(b);
	setsockopt(b[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(b[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	lpipe_pool_init(&pp, 1);
	p = lpipe_get(&pp);
	from = conn_of(a[1], RD_IN);
	to = conn_of(b[0], RD_OUT);
	/* nobody reads b[1]: sooner or later the pipe cannot empty itself */
	for (int i = 0; i < 200 && !stuck; i++) {
		if (write(a[0], block, sizeof(block)) < 0 && errno != EAGAIN)
			fail();
		from.ready |= RD_IN;
		p->wait_room = 0;
		(void)lpipe_fill(p, &from, sizeof(block));
		to.ready |= RD_OUT;
		n = lpipe_flush(p, &to);
		assert_true(n >= 0);
		if (p->len > 0 && !(to.ready & RD_OUT))
			stuck = 1;
	}
	assert_true(stuck);
	assert_true(p->len <= p->cap);
	/* while not writable, a flush makes no system call and moves nothing */
	assert_int_equal(lpipe_flush(p, &to), 0);
	lpipe_release(&pp, p);
	lpipe_pool_release(&pp);
	close(a[0]); close(a[1]); close(b[0]); close(b[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_pool_hands_out_at_most_its_cap),
		cmocka_unit_test(a_pool_with_cap_zero_hands_out_nothing),
		cmocka_unit_test(a_pipe_holds_at_least_the_splicing_threshold),
		cmocka_unit_test(out_of_descriptors_no_new_pipe_is_tried_for_a_while),
		cmocka_unit_test(free_pipes_past_the_pool_limit_are_closed),
		cmocka_unit_test(bytes_cross_from_socket_to_socket_exactly),
		cmocka_unit_test(a_fill_takes_no_more_than_max_leaving_the_rest_in_the_socket),
		cmocka_unit_test(an_empty_socket_and_an_empty_pipe_mean_wait_for_the_next_edge),
		cmocka_unit_test(eagain_with_bytes_in_the_pipe_waits_for_a_flush_not_an_edge),
		cmocka_unit_test(the_end_of_the_stream_is_minus_one_with_errno_zero),
		cmocka_unit_test(a_full_receiver_makes_the_flush_short_and_clears_writable),
	};

	return cmocka_run_group_tests_name("lb_lpipe", tests, NULL, NULL);
}
