/*
 * dl.h - client libraries loaded on first use rather than at start.
 *
 * libpq, libmariadb and libcurl bring some thirty libraries with them
 * (Kerberos, LDAP, nghttp2, libssh2...), and the dynamic loader maps and
 * relocates every one of them before main() when the binary is linked with
 * them: about 15 ms of CPU on every start, paid by brace logs and brace lb
 * alike, though only three files call these clients. Those files reach their
 * library through a table of function pointers instead, which dl_load()
 * fills in with dlopen(3) and dlsym(3) the first time a connection or a
 * ping needs it.
 *
 * A caller declares its table as a struct whose members are typed from the
 * library's real header (DL_FN: `__typeof__(PQstatus) *PQstatus;`), so a
 * call through the table is checked against the library's prototype, and
 * lists the same names with DL_SYM for dl_load() to resolve:
 *
 *   #define PQ_FUNCS(X) X(PQstatus) X(PQfinish)
 *   static struct pq_fns { PQ_FUNCS(DL_FN) } pq;
 *   #define PQ_SYM(fn) DL_SYM(struct pq_fns, fn),
 *   static const struct dl_sym pq_syms[] = { PQ_FUNCS(PQ_SYM) };
 *   static struct dl_lib pq_lib = DL_LIB_INIT("libpq.so.5", "libpq5", pq_syms, &pq);
 *   ...
 *   if (dl_load(&pq_lib, err) < 0) return -1;
 *   pq.PQstatus(c);
 */
#ifndef BRACE_DL_H
#define BRACE_DL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "core/err.h"

/* A member of a function table: a pointer of the library function's own type. */
#define DL_FN(fn) __typeof__(fn) *fn;
/* An entry of the symbol list: the function's name and its member in the table. */
#define DL_SYM(table_type, fn) { #fn, offsetof(table_type, fn) }

/* One symbol to resolve and where in the table its address goes. */
struct dl_sym {
	const char *name;
	size_t offset;
};

/*
 * A library and its function table. Define one per library with static
 * storage and DL_LIB_INIT; the fields after table are dl.c's own.
 */
struct dl_lib {
	const char *soname;     /* the versioned name: "libpq.so.5", never "libpq.so" */
	const char *package;    /* the Debian package that ships it, for the error */
	const struct dl_sym *syms;
	size_t nsyms;
	void *table;            /* filled in by dl_load() */
	pthread_mutex_t lock;
	atomic_int state;       /* 0 not tried yet, 1 loaded, -1 failed */
	char why[ERR_LEN];      /* the failure, repeated to every later caller */
};

#define DL_LIB_INIT(soname, package, syms, table) { \
	(soname), (package), (syms), sizeof(syms) / sizeof((syms)[0]), (table), \
	PTHREAD_MUTEX_INITIALIZER, 0, "" }

/*
 * Load l->soname and resolve every symbol of l->syms into l->table, once
 * per process; later calls (from any thread) only look at the outcome. The
 * library stays loaded until the process ends. Returns 0, or -1 with err
 * naming the library, its Debian package and dlerror()'s reason, e.g.
 * "cannot load libpq.so.5 (Debian package libpq5): libpq.so.5: cannot open
 * shared object file: No such file or directory". A failure is final: every
 * later call gives the same error, and the table is left all NULL.
 */
int dl_load(struct dl_lib *l, char *err);

/*
 * Has dl_load() succeeded for l (may its table be called)? Never loads; for
 * code that may run whether or not its library was ever needed.
 */
int dl_loaded(struct dl_lib *l);

#endif
