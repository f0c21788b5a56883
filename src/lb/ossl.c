/*
 * ossl.c - see ossl.h.
 *
 * Only libssl is named: dlsym() on its handle searches the libraries it
 * depends on as well, libcrypto among them, so one entry serves both.
 * core/dl opens it with RTLD_NOW | RTLD_LOCAL by its versioned name alone,
 * which the loader looks up as it does the libraries brace is linked with;
 * no file name from the configuration or the command line ever reaches it.
 */
#define OSSL_TABLE_ONLY
#include "core/dl.h"
#include "lb/ossl.h"

struct ossl_fns ossl;

#define OSSL_SYM(fn) DL_SYM(struct ossl_fns, fn),
static const struct dl_sym ossl_syms[] = { OSSL_FUNCS(OSSL_SYM) };
static struct dl_lib ossl_lib = DL_LIB_INIT("libssl.so.3", "libssl3", ossl_syms, &ossl);

int
ossl_load(char *err)
{
	return dl_load(&ossl_lib, err);
}

int
ossl_loaded(void)
{
	return dl_loaded(&ossl_lib);
}
