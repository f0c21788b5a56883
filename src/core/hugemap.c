/*
 * hugemap.c - see hugemap.h.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "core/hugemap.h"

static size_t
rounded(size_t len)
{
	return (len + HUGEMAP_ALIGN - 1) & ~(HUGEMAP_ALIGN - 1);
}

void *
hugemap_new(size_t len)
{
	size_t n = rounded(len), lead;
	char *p, *base;

	if (n == 0 || n > SIZE_MAX - HUGEMAP_ALIGN)
		return NULL;
	/* MAP_NORESERVE: a cap is a bound, not a commitment to use it */
	p = mmap(NULL, n + HUGEMAP_ALIGN, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* keep the aligned part only */
	base = (char *)(((uintptr_t)p + HUGEMAP_ALIGN - 1) & ~(uintptr_t)(HUGEMAP_ALIGN - 1));
	lead = (size_t)(base - p);
	if (lead > 0)
		munmap(p, lead);
	munmap(base + n, HUGEMAP_ALIGN - lead);
	madvise(base, n, MADV_HUGEPAGE);	/* a hint: without it, small pages */
	return base;
}

void
hugemap_free(void *p, size_t len)
{
	if (p != NULL)
		munmap(p, rounded(len));
}
