/*
 * run_lockdb.c - see run_lockdb.h.
 */
#include <stdio.h>

#include "core/err.h"
#include "run/run_lock.h"
#include "run/run_lockdb.h"

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
    enum db_failure *why, char *err)
{
	struct db_connect_opts o = {
		.timeout_ms = RUN_LOCKDB_TIMEOUT_MS, .query_timeout_ms = RUN_LOCKDB_TIMEOUT_MS,
		.application_name = "brace run",
	};
	char slot[RUN_LOCK_NAME_MAX + 16];
	int acquired;

	*why = DB_OK;
	if (lk->d == NULL && (lk->d = db_connect(u, &o, why, err)) == NULL)
		return -1;
	for (int k = 1; k <= slots; k++) {
		slot_name(name, k, slot, sizeof(slot));
		if (db_lock_try(lk->d, slot, &acquired, err) < 0) {
			*why = DB_FAIL_OTHER;
			db_close(lk->d);
			lk->d = NULL;
			return -1;
		}
		if (acquired) {
			lk->slot = k;
			return 1;
		}
	}
	return 0;
}

void
run_lockdb_release(struct run_lockdb *lk, const char *name)
{
	char slot[RUN_LOCK_NAME_MAX + 16];

	if (lk->d == NULL)
		return;
	if (lk->slot > 0) {
		slot_name(name, lk->slot, slot, sizeof(slot));
		/* Closing the session would release it too; this says so at once. */
		db_lock_release(lk->d, slot, NULL);
	}
	db_close(lk->d);
	lk->d = NULL;
	lk->slot = 0;
}
