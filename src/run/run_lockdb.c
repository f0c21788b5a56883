/*
 * run_lockdb.c - see run_lockdb.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "run/run_lock.h"
#include "run/run_lockdb.h"

/* Releasing the lock at the end waits at most this long for the server. */
#define RELEASE_TIMEOUT_MS 2000

/* NAME for slot 1, NAME.k for slot k, as lock files are named. */
static void
slot_name(const char *name, int slot, char *out, size_t n)
{
	if (slot == 1)
		snprintf(out, n, "%s", name);
	else
		snprintf(out, n, "%s.%d", name, slot);
}

int
run_lockdb_try(struct run_lockdb *lk, const struct db_url *u, const char *name, int slots,
    int64_t deadline_ms, int cancel_fd, enum db_failure *why, char *err)
{
	struct db_connect_opts o = {
		.timeout_ms = RUN_LOCKDB_TIMEOUT_MS, .query_timeout_ms = RUN_LOCKDB_QUERY_TIMEOUT_MS,
		.deadline_ms = deadline_ms, .cancel_fd = cancel_fd,
		.application_name = "brace run",
	};
	char slot[RUN_LOCK_NAME_MAX + 16];
	int acquired;

	*why = DB_OK;
	if (lk->d == NULL && (lk->d = db_connect(u, &o, why, err)) == NULL)
		return -1;
	db_set_deadline(lk->d, deadline_ms);
	for (int k = 1; k <= slots; k++) {
		slot_name(name, k, slot, sizeof(slot));
		if (db_lock_try(lk->d, slot, &acquired, err) < 0) {
			*why = db_connection_lost(lk->d) ? DB_FAIL_UNREACHABLE : DB_FAIL_OTHER;
			db_close(lk->d);
			lk->d = NULL;
			return -1;
		}
		if (acquired) {
			lk->slot = k;
			/* From now on each query has its own limit only. */
			db_set_deadline(lk->d, 0);
			db_set_cancel_fd(lk->d, 0);
			return 1;
		}
	}
	return 0;
}

static void
mark_lost(struct run_lockdb *lk, const char *why)
{
	uint64_t one = 1;

	snprintf(lk->why, sizeof(lk->why), "%s", why);
	atomic_store(&lk->lost, 1);
	if (lk->on_lost != NULL)
		lk->on_lost(lk->arg, lk->why);
	if (write(lk->lost_fd, &one, sizeof(one)) < 0) {
		/* an eventfd write only fails on overflow */
	}
}

/* The keeper: a heartbeat until stopped or the session is gone. */
static void *
keeper(void *arg)
{
	struct run_lockdb *lk = arg;
	struct pollfd p = { .fd = lk->stop_fd, .events = POLLIN };
	char err[ERR_LEN];
	int rc;

	for (;;) {
		rc = poll(&p, 1, RUN_LOCKDB_HEARTBEAT_MS);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc != 0)
			return NULL;    /* asked to stop */
		if (db_query(lk->d, "SELECT 1", NULL, NULL, err) == 0)
			continue;
		/* A stop that interrupted the heartbeat is not a loss. */
		if (poll(&p, 1, 0) > 0)
			return NULL;
		mark_lost(lk, err);
		return NULL;
	}
}

int
run_lockdb_keep(struct run_lockdb *lk, run_lockdb_lost_fn on_lost, void *arg, char *err)
{
	char why[ERR_LEN];

	if (lk->d == NULL || lk->keeping)
		return 0;
	/* Not fatal: the heartbeat keeps an idle session alive on its own. */
	if (db_keep_session(lk->d, why) < 0 && db_connection_lost(lk->d)) {
		err_set(err, "%s", why);
		return -1;
	}
	lk->on_lost = on_lost;
	lk->arg = arg;
	atomic_store(&lk->lost, 0);
	lk->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	lk->lost_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (lk->stop_fd < 0 || lk->lost_fd < 0) {
		err_set(err, "cannot watch the lock session: eventfd: %s", strerror(errno));
		goto fail;
	}
	db_set_cancel_fd(lk->d, lk->stop_fd);
	if ((errno = pthread_create(&lk->thread, NULL, keeper, lk)) != 0) {
		err_set(err, "cannot watch the lock session: %s", strerror(errno));
		db_set_cancel_fd(lk->d, 0);
		goto fail;
	}
	lk->keeping = 1;
	return 0;
fail:
	if (lk->stop_fd >= 0)
		close(lk->stop_fd);
	if (lk->lost_fd >= 0)
		close(lk->lost_fd);
	lk->stop_fd = lk->lost_fd = -1;
	return -1;
}

int
run_lockdb_lost_fd(const struct run_lockdb *lk)
{
	return lk->keeping ? lk->lost_fd : -1;
}

int
run_lockdb_is_lost(struct run_lockdb *lk)
{
	return lk->keeping && atomic_load(&lk->lost);
}

static void
stop_keeper(struct run_lockdb *lk)
{
	uint64_t one = 1;

	if (!lk->keeping)
		return;
	if (write(lk->stop_fd, &one, sizeof(one)) < 0) {
		/* cannot fail short of an overflow */
	}
	pthread_join(lk->thread, NULL);
	db_set_cancel_fd(lk->d, 0);
	close(lk->stop_fd);
	close(lk->lost_fd);
	lk->stop_fd = lk->lost_fd = -1;
	lk->keeping = 0;
}

void
run_lockdb_release(struct run_lockdb *lk, const char *name)
{
	char slot[RUN_LOCK_NAME_MAX + 16];

	if (lk->d == NULL)
		return;
	stop_keeper(lk);
	if (lk->slot > 0 && !db_connection_lost(lk->d)) {
		slot_name(name, lk->slot, slot, sizeof(slot));
		/* Closing the session would release it too; this says so at once. */
		db_set_deadline(lk->d, clock_mono_ms() + RELEASE_TIMEOUT_MS);
		db_lock_release(lk->d, slot, NULL);
	}
	db_close(lk->d);
	lk->d = NULL;
	lk->slot = 0;
}
