/*
 * run_lock.c - see run_lock.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/path.h"
#include "run/run_lock.h"

int
run_lock_check_name(const char *name, char *err)
{
	size_t n = strlen(name);

	if (n == 0 || n > RUN_LOCK_NAME_MAX) {
		err_set(err, "name '%s' must be 1 to %d characters", name, RUN_LOCK_NAME_MAX);
		return -1;
	}
	if (name[0] == '.') {
		err_set(err, "name '%s' must not start with '.'", name);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-' || c == '@' || c == '+')
			continue;
		err_set(err, "name '%s' has a character other than letters, digits and . _ - @ +",
		    name);
		return -1;
	}
	return 0;
}

/* mkdir that accepts an existing directory. */
static int
make_dir(const char *path, mode_t mode, char *err)
{
	struct stat st;

	if (mkdir(path, mode) == 0 || errno == EEXIST) {
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		err_set(err, "%s exists and is not a directory", path);
		return -1;
	}
	err_set(err, "cannot create lock directory %s: %s", path, strerror(errno));
	return -1;
}

/* base/brace/locks: create both levels; private ones get 0700. */
static int
under_base(const char *base, int private_dir, char *out, size_t n, char *err)
{
	mode_t mode = private_dir ? 0700 : 0755;
	int w;

	w = snprintf(out, n, "%s/brace", base);
	if (w < 0 || (size_t)w >= n) {
		err_set(err, "lock directory path too long");
		return -1;
	}
	if (make_dir(out, mode, err) < 0 ||
	    (private_dir ? path_check_private(out, "lock directory", err) :
	    path_check_safe(out, "lock directory", err)) < 0)
		return -1;
	w = snprintf(out, n, "%s/brace/locks", base);
	if (w < 0 || (size_t)w >= n) {
		err_set(err, "lock directory path too long");
		return -1;
	}
	if (make_dir(out, mode, err) < 0)
		return -1;
	return path_check_safe(out, "lock directory", err);
}

int
run_lock_dir(const char *explicit_dir, char *out, size_t n, char *err)
{
	const char *env = getenv("BRACE_LOCK_DIR"), *xdg = getenv("XDG_RUNTIME_DIR");
	char base[64];
	int w;

	if (explicit_dir == NULL && env != NULL && *env != '\0')
		explicit_dir = env;
	if (explicit_dir != NULL) {
		w = snprintf(out, n, "%s", explicit_dir);
		if (w < 0 || (size_t)w >= n) {
			err_set(err, "lock directory path too long");
			return -1;
		}
		if (make_dir(out, 0755, err) < 0)
			return -1;
		return path_check_chosen(out, "lock directory", err);
	}
	if (geteuid() == 0)
		return under_base("/run", 0, out, n, err);
	if (xdg != NULL && xdg[0] == '/')
		return under_base(xdg, 0, out, n, err);
	snprintf(base, sizeof(base), "/tmp/brace-%lu", (unsigned long)getuid());
	if (make_dir(base, 0700, err) < 0 || path_check_private(base, "lock directory", err) < 0)
		return -1;
	w = snprintf(out, n, "%s/locks", base);
	if (w < 0 || (size_t)w >= n) {
		err_set(err, "lock directory path too long");
		return -1;
	}
	if (make_dir(out, 0700, err) < 0)
		return -1;
	return path_check_private(out, "lock directory", err);
}

static void
slot_path(const char *dir, const char *name, int slot, char *out, size_t n)
{
	if (slot == 1)
		snprintf(out, n, "%s/%s.lock", dir, name);
	else
		snprintf(out, n, "%s/%s.%d.lock", dir, name, slot);
}

/* The pid a holder wrote into its slot file, or 0. */
static pid_t
read_holder(int fd)
{
	char txt[24];
	ssize_t r = pread(fd, txt, sizeof(txt) - 1, 0);

	if (r <= 0)
		return 0;
	txt[r] = '\0';
	return (pid_t)strtol(txt, NULL, 10);
}

/* Note our pid in the file, for the message another run prints when it skips. */
static void
write_holder(int fd)
{
	char txt[24];
	int w = snprintf(txt, sizeof(txt), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == 0 && pwrite(fd, txt, (size_t)w, 0) < 0)
		return;
}

int
run_lock_try(const char *dir, const char *name, int slots, struct run_lock *lk,
    pid_t *holder, char *err)
{
	char path[PATH_MAX];
	int fd;

	*holder = 0;
	lk->fd = -1;
	if (strlen(dir) + strlen(name) + 16 >= sizeof(path)) {
		err_set(err, "lock path too long");
		return -1;
	}
	for (int slot = 1; slot <= slots; slot++) {
		slot_path(dir, name, slot, path, sizeof(path));
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
		if (fd < 0) {
			err_set(err, "cannot open lock file %s: %s", path, strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			write_holder(fd);
			lk->fd = fd;
			lk->slot = slot;
			snprintf(lk->path, sizeof(lk->path), "%s", path);
			return 1;
		}
		if (errno != EWOULDBLOCK) {
			err_set(err, "cannot lock %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (slot == 1)
			*holder = read_holder(fd);
		close(fd);
	}
	return 0;
}

void
run_lock_release(struct run_lock *lk)
{
	if (lk->fd < 0)
		return;
	/* Closing drops the flock; the file stays for the next run. */
	close(lk->fd);
	lk->fd = -1;
}
