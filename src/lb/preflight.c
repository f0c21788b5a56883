/*
 * preflight.c - see preflight.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/journal.h"
#include "core/log.h"
#include "lb/admin.h"
#include "lb/config.h"
#include "lb/preflight.h"

/* The directory part of path ("/" for "/x", "." for "x"), into dir. */
static void
parent_of(const char *path, char *dir, size_t n)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, n, ".");
	else if (slash == path)
		snprintf(dir, n, "/");
	else
		snprintf(dir, n, "%.*s", (int)(slash - path), path);
}

/* A directory this process may create entries in: 0, or -1 with err. */
static int
dir_writable(const char *dir, char *err)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		err_set(err, "directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		err_set(err, "%s is not a directory", dir);
		return -1;
	}
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0) {
		err_set(err, "directory %s cannot be written: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
preflight_writable(const char *path, int make_dirs, char *err)
{
	char dir[PATH_MAX];
	struct stat st;

	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			err_set(err, "%s is a directory", path);
			return -1;
		}
		if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) < 0) {
			err_set(err, "%s cannot be written: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		err_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	parent_of(path, dir, sizeof(dir));
	while (make_dirs && stat(dir, &st) < 0 && errno == ENOENT && strcmp(dir, "/") != 0 &&
	    strcmp(dir, ".") != 0) {
		char up[PATH_MAX];

		parent_of(dir, up, sizeof(up));
		snprintf(dir, sizeof(dir), "%s", up);
	}
	if (!make_dirs && stat(dir, &st) < 0 && errno == ENOENT) {
		err_set(err, "directory %s does not exist", dir);
		return -1;
	}
	return dir_writable(dir, err);
}

/* Warn when path (holding what) may be read by users other than its owner and group. */
static int
warn_if_public(const char *path, const char *what)
{
	struct stat st;

	if (stat(path, &st) < 0 || !(st.st_mode & S_IROTH))
		return 0;
	log_warn("%s holds %s and every user of this machine may read it (mode %04o): "
	    "chmod o-r %s", path, what, (unsigned)(st.st_mode & 07777), path);
	return 1;
}

int
preflight_secrets(const struct lb_config *cfg)
{
	int n = 0;

	if (cfg->path[0] && cfg->admin_token[0])
		n += warn_if_public(cfg->path, "admin-token");
	if (cfg->admin_token_file[0])
		n += warn_if_public(cfg->admin_token_file, "the admin token");
	return n;
}

int
preflight_check(const struct lb_config *cfg)
{
	char err[ERR_LEN], path[PATH_MAX];
	int errors = 0;

	if (cfg->access_log[0] && strcmp(cfg->access_log, "syslog") != 0 &&
	    preflight_writable(cfg->access_log, 0, err) < 0) {
		log_error("access log %s: %s", cfg->access_log, err);
		errors++;
	}
	/* A journal that cannot be had never stops the balancer: a warning. */
	if (!cfg->journal_off) {
		struct stat st;
		char dir[PATH_MAX];

		/* SQLite writes its -wal and -shm files beside the journal: its
		 * directory must be writable too. */
		if (journal_resolve_path(cfg->journal[0] ? cfg->journal : NULL, path, sizeof(path),
		    err) < 0)
			log_warn("journal: %s; brace lb would run without recording events", err);
		else if (!journal_is_off(path) && (preflight_writable(path, 1, err) < 0 ||
		    (stat(path, &st) == 0 && (parent_of(path, dir, sizeof(dir)),
		    dir_writable(dir, err)) < 0)))
			log_warn("journal: %s; brace lb would run without recording events", err);
	}
	if (cfg->admin_token_file[0]) {
		char token[LB_TOKEN_LEN];

		if (admin_read_token(cfg->admin_token_file, token, sizeof(token), err) < 0) {
			log_error("%s", err);
			errors++;
		}
		explicit_bzero(token, sizeof(token));
	}
	preflight_secrets(cfg);
	return errors;
}
