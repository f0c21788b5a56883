/*
 * path.c - see path.h.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/path.h"

/* "user mallory (uid 1001)", or "uid 1001" when the name is unknown. */
static void
owner_name(uid_t uid, char *out, size_t n)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
		snprintf(out, n, "user %s (uid %lu)", res->pw_name, (unsigned long)uid);
	else
		snprintf(out, n, "uid %lu", (unsigned long)uid);
}

static int
look(const char *dir, const char *what, struct stat *st, char *err)
{
	if (lstat(dir, st) < 0) {
		err_set(err, "cannot check %s %s: %s", what, dir, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st->st_mode)) {
		err_set(err, "%s %s is a symbolic link, not a directory: refusing it (someone "
		    "may be redirecting it)", what, dir);
		return -1;
	}
	if (!S_ISDIR(st->st_mode)) {
		err_set(err, "%s %s exists and is not a directory", what, dir);
		return -1;
	}
	return 0;
}

int
path_check_private(const char *dir, const char *what, char *err)
{
	struct stat st;
	char owner[300];

	if (look(dir, what, &st, err) < 0)
		return -1;
	if (st.st_uid != geteuid()) {
		owner_name(st.st_uid, owner, sizeof(owner));
		err_set(err, "%s %s is not a private directory of this user: it belongs to %s, "
		    "who may have created it to hold or replace our locks; remove it, or choose "
		    "another with --lock-dir or BRACE_LOCK_DIR", what, dir, owner);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		err_set(err, "%s %s is not a private directory of this user: mode %04o lets "
		    "others in (0700 expected); chmod 700 it", what, dir,
		    (unsigned int)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* Not writable by every user, unless sticky: 0 / -1 + err. */
static int
not_open_to_all(const char *dir, const char *what, const struct stat *st, char *err)
{
	if ((st->st_mode & 002) != 0 && !(st->st_mode & S_ISVTX)) {
		err_set(err, "%s %s can be written by every user (mode %04o): refusing it; "
		    "chmod o-w it", what, dir, (unsigned int)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

int
path_check_safe(const char *dir, const char *what, char *err)
{
	struct stat st;
	char owner[300];

	if (look(dir, what, &st, err) < 0)
		return -1;
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		owner_name(st.st_uid, owner, sizeof(owner));
		err_set(err, "%s %s belongs to %s, not to this user or root: refusing it", what,
		    dir, owner);
		return -1;
	}
	return not_open_to_all(dir, what, &st, err);
}

int
path_check_chosen(const char *dir, const char *what, char *err)
{
	struct stat st;

	if (look(dir, what, &st, err) < 0)
		return -1;
	return not_open_to_all(dir, what, &st, err);
}
