/*
 * hugemap.h - address space reserved for a table that grows to a known cap.
 *
 * A table that grows by realloc(3) copies itself at every doubling, and
 * every page it lands on is a fresh page fault: on a virtual machine a
 * fault costs several microseconds, and the few large tables of a big run
 * (brace logs' client counters, its pair tables) take hundreds of them. A
 * hugemap reserves the table's cap up front instead. The reservation is
 * only address space: pages are faulted in as they are first touched,
 * zero, and never moved. It is aligned to 2 MiB and marked MADV_HUGEPAGE,
 * so where the kernel has transparent huge pages in its "madvise" or
 * "always" mode a first touch maps 2 MiB at once; elsewhere it is an
 * ordinary mapping of small pages.
 *
 * For tables whose cap is tens of megabytes and whose pages get used: a
 * huge page is zeroed whole however little of it is touched, and with
 * vm.overcommit_memory=2 a reservation counts against the commit limit
 * (MAP_NORESERVE is ignored there), so a gigabyte "just in case" would
 * take memory other processes on the host may need.
 */
#ifndef BRACE_HUGEMAP_H
#define BRACE_HUGEMAP_H

#include <stddef.h>

#define HUGEMAP_ALIGN ((size_t)2 << 20)

/*
 * Reserve len bytes (rounded up to HUGEMAP_ALIGN), zero, aligned to
 * HUGEMAP_ALIGN. NULL when the address space cannot be had. Free it with
 * hugemap_free() and the same len.
 */
void *hugemap_new(size_t len);
void hugemap_free(void *p, size_t len);

#endif
