/*
 * test_sort.c - sort_i64 against qsort on the shapes that break quicksorts:
 * sorted, reversed, all equal, few distinct values, organ pipes, random;
 * sort_select_i64 gives the element a sort would put at every rank.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "core/sort.h"

static int
cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
check(const int64_t *in, size_t n)
{
	int64_t *a = malloc((n ? n : 1) * sizeof(*a)), *b = malloc((n ? n : 1) * sizeof(*b));

	memcpy(a, in, n * sizeof(*a));
	memcpy(b, in, n * sizeof(*b));
	sort_i64(a, n);
	qsort(b, n, sizeof(*b), cmp);
	assert_memory_equal(a, b, n * sizeof(*a));
	/* a few ranks, each on a fresh copy, and several on one array in turn */
	for (size_t r = 0; r < 5 && n > 0; r++) {
		size_t k = r == 0 ? 0 : r == 1 ? n - 1 : r == 2 ? n / 2 : (size_t)rand() % n;

		memcpy(a, in, n * sizeof(*a));
		assert_true(sort_select_i64(a, n, k) == b[k]);
	}
	memcpy(a, in, n * sizeof(*a));
	for (size_t k = 0; k < n; k += n / 7 + 1)
		assert_true(sort_select_i64(a, n, k) == b[k]);
	free(a);
	free(b);
}

static void
every_shape_sorts_like_qsort(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 15, 16, 17, 100, 1000, 4097, 100000 };
	int64_t *v = malloc(100000 * sizeof(*v));

	srand(11);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];

		for (int shape = 0; shape < 7; shape++) {
			for (size_t i = 0; i < n; i++) {
				switch (shape) {
				case 0: v[i] = (int64_t)i; break;
				case 1: v[i] = (int64_t)(n - i); break;
				case 2: v[i] = 42; break;
				case 3: v[i] = rand() % 3; break;
				case 4: v[i] = (int64_t)(i < n / 2 ? i : n - i); break;
				case 5: v[i] = ((int64_t)rand() << 32) ^ rand(); break;
				default: v[i] = i % 2 ? INT64_MAX : INT64_MIN; break;
				}
			}
			check(v, n);
		}
	}
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_shape_sorts_like_qsort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
