/*
 * cmdline.c - see cmdline.h.
 *
 * The argument area is found in /proc/self/stat (arg_start and arg_end,
 * fields 48 and 49), and the original argument pointers are checked to lie
 * in it, so that a caller whose argv is not the process's own (a test, an
 * argv built by hand) is left alone.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/cmdline.h"

struct hidden {
	int idx;                /* which argument */
	size_t off;             /* where the hidden part starts in it */
	char *shown;
};

static struct {
	int argc;
	char **orig;            /* the original pointers, argv[1..argc) */
	char **copy;            /* their copies, same indexes */
	char **given;           /* the array handed out (getopt may reorder it) */
	struct hidden hide[CMDLINE_HIDE_MAX];
	int nhide;
} cl;

char **
cmdline_own(int argc, char **argv)
{
	char **out = calloc((size_t)argc + 1, sizeof(*out));
	char **orig = calloc((size_t)argc + 1, sizeof(*orig));

	if (out == NULL || orig == NULL)
		goto fail;
	out[0] = argv[0];
	for (int i = 1; i < argc; i++) {
		orig[i] = argv[i];
		if ((out[i] = strdup(argv[i])) == NULL)
			goto fail;
	}
	cl.argc = argc;
	cl.orig = orig;
	cl.copy = calloc((size_t)argc + 1, sizeof(*cl.copy));
	if (cl.copy == NULL)
		goto fail;
	memcpy(cl.copy, out, ((size_t)argc + 1) * sizeof(*out));
	cl.given = out;
	return out;
fail:
	for (int i = 1; out != NULL && i < argc; i++)
		free(out[i]);
	free(out);
	free(orig);
	cl.argc = 0;
	cl.orig = NULL;
	return argv;
}

void
cmdline_hide(const char *p, const char *redacted)
{
	for (int i = 1; i < cl.argc && cl.nhide < CMDLINE_HIDE_MAX; i++) {
		const char *a = cl.copy[i];
		char *shown, *o;

		if (p < a || p > a + strlen(a))
			continue;
		if ((shown = malloc(strlen(redacted) + 1)) == NULL)
			return;
		/*
		 * "***" is left out: the line must not grow (the area's size is
		 * fixed) and a secret, even of one character, is longer than nothing.
		 */
		for (o = shown; *redacted != '\0'; redacted++) {
			if (strncmp(redacted, "***", 3) == 0)
				redacted += 2;
			else
				*o++ = *redacted;
		}
		*o = '\0';
		cl.hide[cl.nhide].idx = i;
		cl.hide[cl.nhide].off = (size_t)(p - a);
		cl.hide[cl.nhide++].shown = shown;
		return;
	}
}

/* The process's argument area [start, end), from /proc/self/stat. 0 / -1. */
static int
arg_area(char **start, char **end)
{
	char stat[4096], *p;
	unsigned long long v[2];
	ssize_t n;
	int fd, field;

	if ((fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (n <= 0 || (p = memrchr(stat, ')', (size_t)n)) == NULL)
		return -1;
	stat[n] = '\0';
	/* Field 2 (comm) ends at the last ')'; arg_start is field 48. */
	for (field = 2; field < 48 && (p = strchr(p + 1, ' ')) != NULL; field++)
		;
	if (p == NULL || sscanf(p, " %llu %llu", &v[0], &v[1]) != 2 || v[1] <= v[0])
		return -1;
	*start = (char *)(uintptr_t)v[0];
	*end = (char *)(uintptr_t)v[1];
	return 0;
}

/* The shown form of argument i: its copy with the hidden parts replaced. */
static void
put_arg(struct buf *b, int i)
{
	for (int k = 0; k < cl.nhide; k++) {
		if (cl.hide[k].idx == i) {
			buf_append(b, cl.copy[i], cl.hide[k].off);
			buf_puts(b, cl.hide[k].shown);
			return;
		}
	}
	buf_puts(b, cl.copy[i]);
}

int
cmdline_publish(void)
{
	char *start, *end, *p;
	struct buf text;
	size_t size, n;
	int next = 1;

	if (cl.nhide == 0)
		return 0;
	if (cl.orig == NULL || arg_area(&start, &end) < 0)
		return -1;
	for (int i = 1; i < cl.argc; i++)
		if (cl.orig[i] < start || cl.orig[i] >= end)
			return -1;
	size = (size_t)(end - start);
	if (size < 2)
		return -1;
	buf_init(&text, size);
	/* Walk the area's strings: ours are replaced, the others (argv[0], the command) kept. */
	for (p = start; p < end; p += strlen(p) + 1) {
		if (p != start)
			buf_putc(&text, ' ');
		if (next < cl.argc && p == cl.orig[next])
			put_arg(&text, next++);
		else
			buf_puts(&text, p);
	}
	n = text.len < size - 2 ? text.len : size - 2;
	memcpy(start, text.data, n);
	memset(start + n, 0, size - n);
	/* A last byte that is not NUL: the kernel shows the area up to the first NUL only. */
	start[size - 1] = ' ';
	buf_release(&text);
	return 1;
}
