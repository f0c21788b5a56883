/*
 * array.h - room for one more element at the end of a growable array.
 *
 * ARRAY_GROW(a, n, cap, first): when n == cap, realloc a to twice cap
 * elements (first when cap is 0) and update cap. Evaluates to 0, or to -1
 * when memory runs out, in which case a and cap are left as they were. The
 * caller owns the cap on n; the arguments are evaluated more than once.
 */
#ifndef BRACE_ARRAY_H
#define BRACE_ARRAY_H

#include <stdlib.h>

#define ARRAY_GROW(a, n, cap, first) __extension__ ({				\
	int array_rc_ = 0;							\
	if ((size_t)(n) >= (size_t)(cap)) {					\
		size_t array_nc_ = (cap) ? (size_t)(cap) * 2 : (size_t)(first);	\
		__typeof__(a) array_p_ = realloc((a), array_nc_ * sizeof(*(a)));	\
		if (array_p_ == NULL) {						\
			array_rc_ = -1;						\
		} else {							\
			(a) = array_p_;						\
			(cap) = array_nc_;					\
		}								\
	}									\
	array_rc_;								\
})

#endif
