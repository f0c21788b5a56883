/*
 * units.h - durations and sizes as operators write them.
 *
 * Durations: a number with a unit, "500ms", "30s", "5m", "1h", "2d", "1w",
 * fractions ("1.5s") and sums ("1h30m"). A bare number means seconds, as for
 * sleep(1) and timeout(1), except where units_duration_unit() is used. Sizes: "512", "64k", "10MB", "2GiB"; k/M/G/T are
 * powers of 1024 whatever the spelling (k, K, kB, KiB), as nginx and HAProxy
 * read them. Negative values, overflow and trailing junk are errors that name
 * the input.
 */
#ifndef BRACE_UNITS_H
#define BRACE_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Parse a duration into milliseconds. 0 / -1 with err set. */
int units_duration(const char *s, int64_t *ms, char *err);
/*
 * The same, but a bare number is an error rather than seconds: for
 * durations that delete data or wait long, where "30" meant as days and
 * read as seconds does harm (prune --older-than, --gate-timeout, ...).
 */
int units_duration_unit(const char *s, int64_t *ms, char *err);
/* Parse a size into bytes. 0 / -1 with err set. */
int units_size(const char *s, uint64_t *bytes, char *err);
/* Write a duration compactly ("250ms", "1.5s", "2m30s", "3h", "1d4h"). */
void units_fmt_duration(int64_t ms, char *out, size_t n);
/* Write a size with a binary unit ("512B", "64.0KiB", "10.0MiB"). */
void units_fmt_size(uint64_t bytes, char *out, size_t n);

#endif
