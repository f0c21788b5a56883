/*
 * sort.c - see sort.h.
 */
#include "core/sort.h"

#define SORT_SMALL 16

static inline void
swap(int64_t *a, int64_t *b)
{
	int64_t t = *a;

	*a = *b;
	*b = t;
}

static void
insertion(int64_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		int64_t x = v[i];
		size_t j = i;

		while (j > 0 && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

static void
sift_down(int64_t *v, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;

		if (c >= n)
			return;
		if (c + 1 < n && v[c + 1] > v[c])
			c++;
		if (v[root] >= v[c])
			return;
		swap(&v[root], &v[c]);
		root = c;
	}
}

static void
heapsort_i64(int64_t *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (size_t i = n; i-- > 1;) {
		swap(&v[0], &v[i]);
		sift_down(v, 0, i);
	}
}

/*
 * Partition v[0..n) (n > 2) around the median of its first, middle and last
 * elements, by Hoare's scheme (the ends stop both scans). Returns j with
 * v[0..j] <= pivot <= v[j+1..n).
 */
static size_t
partition(int64_t *v, size_t n)
{
	size_t i = 0, j = n - 1, m = n / 2;
	int64_t pivot;

	/* median of three to v[m], the smallest and largest to the ends */
	if (v[m] < v[0])
		swap(&v[m], &v[0]);
	if (v[n - 1] < v[m])
		swap(&v[n - 1], &v[m]);
	if (v[m] < v[0])
		swap(&v[m], &v[0]);
	pivot = v[m];
	for (;;) {
		do
			i++;
		while (v[i] < pivot);
		do
			j--;
		while (v[j] > pivot);
		if (i >= j)
			return j;
		swap(&v[i], &v[j]);
	}
}

static void
intro(int64_t *v, size_t n, int depth)
{
	while (n > SORT_SMALL) {
		size_t j;

		if (depth-- == 0) {
			heapsort_i64(v, n);
			return;
		}
		j = partition(v, n);
		/* recurse into the smaller side */
		if (j + 1 < n - j - 1) {
			intro(v, j + 1, depth);
			v += j + 1;
			n -= j + 1;
		} else {
			intro(v + j + 1, n - j - 1, depth);
			n = j + 1;
		}
	}
	insertion(v, n);
}

void
sort_i64(int64_t *v, size_t n)
{
	int depth = 0;

	for (size_t k = n; k > 1; k >>= 1)
		depth += 2;
	if (n > 1)
		intro(v, n, depth);
}

int64_t
sort_select_i64(int64_t *v, size_t n, size_t k)
{
	int depth = 0;

	for (size_t m = n; m > 1; m >>= 1)
		depth += 2;
	/* quickselect: partition as intro() does, go on into the side that holds k */
	while (n > SORT_SMALL) {
		size_t j;

		if (depth-- == 0) {
			heapsort_i64(v, n);	/* a hostile order: O(n log n) still */
			return v[k];
		}
		j = partition(v, n);
		if (k <= j) {
			n = j + 1;
		} else {
			v += j + 1;
			n -= j + 1;
			k -= j + 1;
		}
	}
	insertion(v, n);
	return v[k];
}
