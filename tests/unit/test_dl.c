/*
 * test_dl.c - loading a library on first use: the table is filled in from
 * the real library, a missing library or symbol is an error naming the
 * library, its package and the loader's reason (and stays one), threads
 * that ask at the same time all get the one outcome, and dl_loaded() says
 * whether the table may be called without loading anything.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "unit.h"
#include "core/dl.h"
#include "core/err.h"

#define M_FUNCS(X) X(cos) X(sqrt)
struct m_fns { M_FUNCS(DL_FN) };
#define M_SYM(fn) DL_SYM(struct m_fns, fn),
static const struct dl_sym m_syms[] = { M_FUNCS(M_SYM) };

static void
functions_resolve_to_the_library_s_own(void **state)
{
	struct m_fns m = { 0 };
	struct dl_lib lib = DL_LIB_INIT("libm.so.6", "libc6", m_syms, &m);
	char err[ERR_LEN] = "";

	assert_int_equal(dl_load(&lib, err), 0);
	assert_non_null(m.cos);
	assert_true(m.cos(0.0) == 1.0);
	assert_true(m.sqrt(16.0) == 4.0);
	/* A second call only looks at the outcome. */
	assert_int_equal(dl_load(&lib, NULL), 0);
}

static void
a_missing_library_names_itself_its_package_and_the_loader_s_reason(void **state)
{
	struct m_fns m = { 0 };
	struct dl_lib lib = DL_LIB_INIT("libbrace-no-such.so.7", "libbrace-no-such7", m_syms, &m);
	char err[ERR_LEN] = "", again[ERR_LEN] = "";

	assert_int_equal(dl_load(&lib, err), -1);
	assert_non_null(strstr(err,
	    "cannot load libbrace-no-such.so.7 (Debian package libbrace-no-such7): "));
	assert_non_null(strstr(err, "cannot open shared object file"));
	assert_null(m.cos);
	/* The failure is final, and said the same way to every later caller. */
	assert_int_equal(dl_load(&lib, again), -1);
	assert_string_equal(err, again);
	assert_int_equal(dl_load(&lib, NULL), -1);
}

static void
a_missing_symbol_leaves_the_whole_table_empty(void **state)
{
	static const struct dl_sym syms[] = {
		DL_SYM(struct m_fns, cos),
		{ "brace_no_such_function", offsetof(struct m_fns, sqrt) },
	};
	struct m_fns m = { 0 };
	struct dl_lib lib = DL_LIB_INIT("libm.so.6", "libc6", syms, &m);
	char err[ERR_LEN] = "";

	assert_int_equal(dl_load(&lib, err), -1);
	assert_non_null(strstr(err, "cannot load libm.so.6 (Debian package libc6): "));
	assert_non_null(strstr(err, "brace_no_such_function"));
	/* cos was found first, but a half-filled table is never left behind. */
	assert_null(m.cos);
	assert_null(m.sqrt);
}

static void
loaded_says_yes_only_after_a_load_that_succeeded(void **state)
{
	struct m_fns m = { 0 }, none = { 0 };
	struct dl_lib lib = DL_LIB_INIT("libm.so.6", "libc6", m_syms, &m);
	struct dl_lib missing = DL_LIB_INIT("libbrace-no-such.so.7", "libbrace-no-such7", m_syms,
	    &none);

	assert_false(dl_loaded(&lib));
	assert_null(m.cos);             /* asking loads nothing */
	assert_int_equal(dl_load(&lib, NULL), 0);
	assert_true(dl_loaded(&lib));
	assert_int_equal(dl_load(&missing, NULL), -1);
	assert_false(dl_loaded(&missing));
}

#define RACERS 8

static struct m_fns race_m;
static struct dl_lib race_lib = DL_LIB_INIT("libm.so.6", "libc6", m_syms, &race_m);
static pthread_barrier_t race_start;

static void *
racer(void *arg)
{
	int *rc = arg;

	pthread_barrier_wait(&race_start);
	*rc = dl_load(&race_lib, NULL);
	/* Whoever returns 0 sees the whole table. */
	if (*rc == 0 && (race_m.cos == NULL || race_m.sqrt == NULL))
		*rc = -2;
	return NULL;
}

static void
threads_asking_at_once_all_get_the_loaded_table(void **state)
{
	pthread_t th[RACERS];
	int rc[RACERS];

	assert_int_equal(pthread_barrier_init(&race_start, NULL, RACERS), 0);
	for (int i = 0; i < RACERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, racer, &rc[i]), 0);
	for (int i = 0; i < RACERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(rc[i], 0);
	}
	pthread_barrier_destroy(&race_start);
	assert_true(race_m.sqrt(9.0) == 3.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(functions_resolve_to_the_library_s_own),
		cmocka_unit_test(a_missing_library_names_itself_its_package_and_the_loader_s_reason),
		cmocka_unit_test(a_missing_symbol_leaves_the_whole_table_empty),
		cmocka_unit_test(loaded_says_yes_only_after_a_load_that_succeeded),
		cmocka_unit_test(threads_asking_at_once_all_get_the_loaded_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
