/*
 * fuzz_config.c - libFuzzer target for the load balancer's configuration
 * file (config_file_load, config_finish, config_file_dump).
 *
 * The input is a configuration file. It is written to a memfd and read
 * through /proc/self/fd, as brace lb reads a file. Besides crashes, leaks
 * and sanitizer reports, the target checks:
 *
 * - config_file_load never fails to read a readable file, and returns the
 *   number of problems it reported;
 * - every problem is a non-empty sentence on a line of the input (or line 0
 *   for config_finish's problems about the whole);
 * - a configuration accepted by both config_file_load and config_finish
 *   dumps to a file that reads back with no problem and dumps the same
 *   again (what --dump-config promises).
 *
 * Host names would make getaddrinfo ask DNS for every mutation, which is
 * slow and sends queries off the machine: below, getaddrinfo is replaced in
 * this harness by one that takes numeric addresses only (a name is
 * "not known"), which is also what the seed corpus uses.
 */
#include <dlfcn.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lb/config.h"
#include "lb/config_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the harness's getaddrinfo: numeric hosts only ---- */

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *,
    struct addrinfo **);

int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
    struct addrinfo **res)
{
	static gai_fn real;
	struct addrinfo h;

	if (real == NULL && (real = (gai_fn)dlsym(RTLD_NEXT, "getaddrinfo")) == NULL)
		abort();
	memset(&h, 0, sizeof(h));
	if (hints != NULL)
		h = *hints;
	h.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
	return real(node, service, &h, res);
}

/* ---- the target ---- */

struct count {
	int n;
	int max_line;           /* lines in the input */
};

static void
report(void *arg, int line, const char *msg)
{
	struct count *c = arg;

	if (line < 0 || line > c->max_line || msg == NULL || msg[0] == '\0' ||
	    strlen(msg) >= ERR_LEN)
		abort();
	c->n++;
}

/* Put data in the memfd and return the path that reads it. */
static const char *
stage(int fd, const void *data, size_t size)
{
	static char path[64];

	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return path;
}

/* Load and finish the file at path; the number of problems (-1: unreadable). */
static int
load(struct lb_config *cfg, const char *path, int lines)
{
	struct count c = { 0, lines };
	char err[ERR_LEN];
	int n = config_file_load(cfg, path, report, &c, err);

	if (n < 0 || n != c.n)
		abort();
	if (config_finish(cfg, report, &c) != c.n - n)
		abort();
	return c.n;
}

/* The dump without its first line, which names the file it came from. */
static char *
dump_body(const struct lb_config *cfg, size_t *len)
{
	char *text = NULL, *nl;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	if (f == NULL)
		abort();
	config_file_dump(cfg, f);
	if (fclose(f) != 0 || (nl = strchr(text, '\n')) == NULL)
		abort();
	*len = n - (size_t)(nl + 1 - text);
	memmove(text, nl + 1, *len + 1);
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static FILE *devnull;
	struct lb_config *cfg, *again;
	char *first, *second;
	size_t len1, len2;
	int lines = 1;

	if (fd < 0 && ((fd = memfd_create("fuzz_config", MFD_CLOEXEC)) < 0 ||
	    (devnull = fopen("/dev/null", "w")) == NULL))
		abort();
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if ((cfg = config_new()) == NULL)
		abort();
	if (load(cfg, stage(fd, data, size), lines) > 0) {
		/* a configuration with errors still dumps without harm */
		config_file_dump(cfg, devnull);
		config_free(cfg);
		return 0;
	}
	first = dump_body(cfg, &len1);
	config_free(cfg);

	/* accepted: its dump must read back, and dump the same */
	lines = 1;
	for (size_t i = 0; i < len1; i++)
		lines += first[i] == '\n';
	if ((again = config_new()) == NULL)
		abort();
	if (load(again, stage(fd, first, len1), lines + 2) != 0) {
		fprintf(stderr, "the dump of an accepted file is refused:\n%s", first);
		abort();
	}
	second = dump_body(again, &len2);
	if (len1 != len2 || memcmp(first, second, len1) != 0) {
		fprintf(stderr, "dumps differ:\n--- first\n%s--- second\n%s", first, second);
		abort();
	}
	free(first);
	free(second);
	config_free(again);
	return 0;
}
