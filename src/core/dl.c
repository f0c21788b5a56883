/*
 * dl.c - see dl.h.
 *
 * The library is opened RTLD_NOW, so that a dependency it cannot find or a
 * symbol it lacks is an error here, at a point where it can be reported,
 * rather than a crash at the first call; and RTLD_LOCAL, so that its
 * symbols (and those of the libraries it brings) do not become visible to
 * whatever is loaded afterwards. The handle is never closed: the table
 * points into the library for the rest of the process.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "core/dl.h"
#include "core/err.h"

/* Keep the reason, in the words dl.h promises. */
static void
failed(struct dl_lib *l, const char *why)
{
	snprintf(l->why, sizeof(l->why), "cannot load %s (Debian package %s): %s", l->soname,
	    l->package, why ? why : "unknown error");
}

/* Resolve every symbol; on failure the table is left as it was found, all NULL. */
static int
resolve(struct dl_lib *l, void *handle)
{
	static void *const none;

	for (size_t i = 0; i < l->nsyms; i++) {
		void *p;

		dlerror();
		if ((p = dlsym(handle, l->syms[i].name)) == NULL) {
			failed(l, dlerror());
			for (size_t j = 0; j < i; j++)
				memcpy((char *)l->table + l->syms[j].offset, &none, sizeof(none));
			return -1;
		}
		/* POSIX: the object pointer dlsym() returns converts to a function pointer. */
		memcpy((char *)l->table + l->syms[i].offset, &p, sizeof(p));
	}
	return 0;
}

static int
load(struct dl_lib *l)
{
	void *handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);

	if (handle == NULL) {
		failed(l, dlerror());
		return -1;
	}
	if (resolve(l, handle) < 0) {
		dlclose(handle);
		return -1;
	}
	return 0;
}

int
dl_load(struct dl_lib *l, char *err)
{
	int st = atomic_load_explicit(&l->state, memory_order_acquire);

	if (st == 0) {
		pthread_mutex_lock(&l->lock);
		st = atomic_load_explicit(&l->state, memory_order_relaxed);
		if (st == 0) {
			st = load(l) == 0 ? 1 : -1;
			atomic_store_explicit(&l->state, st, memory_order_release);
		}
		pthread_mutex_unlock(&l->lock);
	}
	if (st < 0) {
		err_set(err, "%s", l->why);
		return -1;
	}
	return 0;
}

int
dl_loaded(struct dl_lib *l)
{
	return atomic_load_explicit(&l->state, memory_order_acquire) == 1;
}
