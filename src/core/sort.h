/*
 * sort.h - sorting arrays of integers in place, without qsort's indirect
 * call per comparison.
 *
 * The period finder sorts the intervals of every template and every
 * (client, path) pair it tracks, thousands of arrays per report: qsort()
 * with a comparison function spends most of its time in the calls.
 * sort_i64() is an introsort (quicksort on the median of three, heapsort
 * past 2 log2 n levels, insertion sort below 16 elements): O(n log n) in
 * the worst case, not stable (equal integers are indistinguishable).
 * sort_select_i64() finds one order statistic (a median) the same way
 * without sorting the rest: O(n) on average, O(n log n) at worst.
 */
#ifndef BRACE_CORE_SORT_H
#define BRACE_CORE_SORT_H

#include <stddef.h>
#include <stdint.h>

void sort_i64(int64_t *v, size_t n);
/*
 * The k-th smallest of v[0..n) (k < n), as v[k] would be after sort_i64();
 * v is left permuted.
 */
int64_t sort_select_i64(int64_t *v, size_t n, size_t k);

#endif
