/*
 * unit.h - what every cmocka unit test includes, in the order cmocka needs,
 * and the fixtures tests share.
 *
 * A private temporary directory: unit_tmpdir_setup() creates one (mkdtemp
 * in $TMPDIR, else /tmp) and can be a cmocka setup function itself, for a
 * group or a test; unit_tmpdir() names it, unit_tmpdir_path() joins a file
 * name to it, and unit_tmpdir_teardown() removes it with all it holds,
 * depth first with nftw(3) (never following a symbolic link out of it).
 * One directory at a time per test program.
 *
 * unit_utc_setup() puts the test in UTC (a cmocka setup function);
 * unit_uniform() is a fixed-seed xorshift: [0, 1), the same on every run.
 */
#ifndef BRACE_UNIT_H
#define BRACE_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

/* Longest directory name; a longer $TMPDIR fails the setup. */
#define UNIT_TMPDIR_MAX 128

/* The directory's name ("" before unit_tmpdir_setup()). */
static inline char *
unit_tmpdir(void)
{
	static char dir[UNIT_TMPDIR_MAX];

	return dir;
}

static inline int
unit_tmpdir_setup(void **state)
{
	const char *base = getenv("TMPDIR");
	char *dir = unit_tmpdir();

	(void)state;
	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (snprintf(dir, UNIT_TMPDIR_MAX, "%s/brace-unit-XXXXXX", base) >= UNIT_TMPDIR_MAX) {
		dir[0] = '\0';
		return -1;
	}
	return mkdtemp(dir) == NULL ? -1 : 0;
}

/* out = the directory + "/" + name. */
static inline void
unit_tmpdir_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", unit_tmpdir(), name);
}

static inline int
unit_tmpdir_remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 ? 0 : -1;
}

static inline int
unit_tmpdir_teardown(void **state)
{
	char *dir = unit_tmpdir();
	int rc;

	(void)state;
	if (dir[0] == '\0')
		return 0;
	rc = nftw(dir, unit_tmpdir_remove_one, 16, FTW_DEPTH | FTW_PHYS);
	dir[0] = '\0';
	return rc == 0 ? 0 : -1;
}

static inline int
unit_utc_setup(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static inline double
unit_uniform(void)
{
	static uint64_t rng = 88172645463325252ULL;

	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

#endif
