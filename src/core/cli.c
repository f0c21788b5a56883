/*
 * cli.c - see cli.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/cli.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/units.h"

static int usage_status = EXIT_USAGE;

void
cli_set_usage_status(int status)
{
	usage_status = status;
}

void
cli_usage_error(const char *fmt, ...)
{
	char msg[ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", log_prog(), msg);
	cli_try_help();
}

void
cli_try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", log_prog());
	exit(usage_status);
}

void
cli_print_help(const char *usage)
{
	fputs(usage, stdout);
	exit(0);
}

void
cli_print_version(void)
{
	printf("brace %s\n", BRACE_VERSION);
	exit(fflush(stdout) == 0 ? 0 : 1);
}

enum term_color
cli_color(const char *val)
{
	enum term_color c;

	if (term_color_parse(val, &c) < 0)
		cli_usage_error("--color: use auto, always or never, not '%s'", val);
	return c;
}

int64_t
cli_duration(const char *opt, const char *val)
{
	char err[ERR_LEN];
	int64_t ms;

	if (units_duration(val, &ms, err) < 0)
		cli_usage_error("%s: %s", opt, err);
	return ms;
}

int64_t
cli_duration_unit(const char *opt, const char *val)
{
	char err[ERR_LEN];
	int64_t ms;

	if (units_duration_unit(val, &ms, err) < 0)
		cli_usage_error("%s: %s", opt, err);
	return ms;
}

uint64_t
cli_size(const char *opt, const char *val)
{
	char err[ERR_LEN];
	uint64_t v;

	if (units_size(val, &v, err) < 0)
		cli_usage_error("%s: %s", opt, err);
	return v;
}

long
cli_long(const char *opt, const char *val, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (end == val || *end != '\0' || errno != 0)
		cli_usage_error("%s: '%s' is not a whole number", opt, val);
	if (v < min || v > max)
		cli_usage_error("%s: %ld is out of range (%ld to %ld)", opt, v, min, max);
	return v;
}

int64_t
cli_time(const char *opt, const char *val)
{
	char err[ERR_LEN];
	int64_t ms;

	if (clock_parse(val, clock_now_ms(), &ms, err) < 0)
		cli_usage_error("%s: %s", opt, err);
	return ms;
}
