/*
 * err.c - helpers for the ERR_LEN message buffers described in err.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

void
err_set(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, ERR_LEN, fmt, ap);
	va_end(ap);
}

void
err_prefix(char *err, const char *fmt, ...)
{
	char old[ERR_LEN], pre[ERR_LEN];
	va_list ap;

	if (err == NULL)
		return;
	memcpy(old, err, ERR_LEN);
	old[ERR_LEN - 1] = '\0';
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	/* A message cut at ERR_LEN is still a message: truncation is fine here. */
	if (snprintf(err, ERR_LEN, "%s: %s", pre, old) >= ERR_LEN)
		err[ERR_LEN - 1] = '\0';
}
