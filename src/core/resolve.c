/*
 * resolve.c - see resolve.h.
 *
 * A lookup is a struct shared by the caller and the thread, with a
 * reference count of two: whoever lets go last frees it. The thread writes
 * to an eventfd when it is done, which is what the caller polls.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/resolve.h"
#include "core/wait.h"

struct lookup {
	atomic_int refs;
	atomic_int abandoned;   /* the caller gave up waiting */
	int efd;                /* written once the answer is in */
	int rc;                 /* getaddrinfo's return */
	int errnum;             /* errno for EAI_SYSTEM */
	struct resolve_result res;
	char host[];
};

static atomic_int abandoned;

static void
lookup_put(struct lookup *l)
{
	if (atomic_fetch_sub(&l->refs, 1) == 1) {
		if (atomic_load(&l->abandoned))
			atomic_fetch_sub(&abandoned, 1);
		close(l->efd);
		free(l);
	}
}

/* Has collect() kept this address already (one per socket type, on some systems)? */
static int
seen(const struct lookup *l, const char *addr)
{
	for (int i = 0; i < l->res.n; i++)
		if (strcmp(l->res.addr[i], addr) == 0)
			return 1;
	return 0;
}

static void
collect(struct lookup *l, const struct addrinfo *ai)
{
	l->res.n = 0;
	for (; ai != NULL && l->res.n < RESOLVE_MAX_ADDRS; ai = ai->ai_next) {
		char *slot = l->res.addr[l->res.n];
		const void *a;

		if (ai->ai_family == AF_INET)
			a = &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
		else if (ai->ai_family == AF_INET6)
			a = &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(ai->ai_family, a, slot, INET6_ADDRSTRLEN) != NULL && !seen(l, slot))
			l->res.n++;
	}
}

static void *
lookup_thread(void *arg)
{
	struct lookup *l = arg;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *ai = NULL;
	uint64_t one = 1;

	l->rc = getaddrinfo(l->host, NULL, &hints, &ai);
	l->errnum = errno;
	if (l->rc == 0) {
		collect(l, ai);
		freeaddrinfo(ai);
		if (l->res.n == 0)
			l->rc = EAI_NONAME;
	}
	if (write(l->efd, &one, sizeof(one)) < 0) {
		/* the caller polls with a deadline anyway */
	}
	lookup_put(l);
	return NULL;
}

int
resolve_is_numeric(const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

static enum resolve_status
finish(struct lookup *l, struct resolve_result *out, char *err)
{
	if (l->rc != 0) {
		err_set(err, "cannot resolve %s: %s", l->host,
		    l->rc == EAI_SYSTEM ? strerror(l->errnum) : gai_strerror(l->rc));
		return RESOLVE_FAILED;
	}
	*out = l->res;
	return RESOLVE_OK;
}

enum resolve_status
resolve_host(const char *host, int64_t deadline_ms, int cancel_fd, volatile int *cancel,
    struct resolve_result *out, char *err)
{
	size_t len = strlen(host);
	struct lookup *l;
	pthread_attr_t attr;
	pthread_t t;
	int64_t t0 = clock_mono_ms();
	int rc;

	if (resolve_is_numeric(host)) {
		if (len >= INET6_ADDRSTRLEN) {
			err_set(err, "cannot resolve %s: address too long", host);
			return RESOLVE_FAILED;
		}
		out->n = 1;
		memcpy(out->addr[0], host, len + 1);
		return RESOLVE_OK;
	}
	if (atomic_load(&abandoned) >= RESOLVE_MAX_ABANDONED) {
		err_set(err, "name resolution of %s timed out (%d earlier lookups still hang)",
		    host, RESOLVE_MAX_ABANDONED);
		return RESOLVE_TIMEOUT;
	}
	if ((l = calloc(1, sizeof(*l) + len + 1)) == NULL) {
		err_set(err, "out of memory");
		return RESOLVE_FAILED;
	}
	memcpy(l->host, host, len + 1);
	atomic_init(&l->refs, 2);
	if ((l->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		err_set(err, "cannot resolve %s: eventfd: %s", host, strerror(errno));
		free(l);
		return RESOLVE_FAILED;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, lookup_thread, l);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		err_set(err, "cannot resolve %s: cannot start a thread: %s", host, strerror(rc));
		close(l->efd);
		free(l);
		return RESOLVE_FAILED;
	}
	rc = wait_fd(l->efd, POLLIN, deadline_ms, cancel_fd, cancel);
	if (rc > 0) {
		enum resolve_status st = finish(l, out, err);

		lookup_put(l);
		return st;
	}
	if (rc == 0)
		err_set(err, "name resolution of %s timed out after %lld ms", host,
		    (long long)(clock_mono_ms() - t0));
	else
		err_set(err, "name resolution of %s interrupted", host);
	/* The thread finishes on its own; it is counted until it does. */
	atomic_fetch_add(&abandoned, 1);
	atomic_store(&l->abandoned, 1);
	lookup_put(l);
	return rc == 0 ? RESOLVE_TIMEOUT : RESOLVE_CANCELLED;
}
