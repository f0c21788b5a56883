/*
 * clock.h - time as brace reads, stores and prints it.
 *
 * Internally a point in time is int64 milliseconds since the Unix epoch (UTC).
 * Machines get UTC ISO 8601 ("2026-11-27T07:20:07.123Z"); people get local time
 * with the zone offset. clock_parse() reads what a person types after --since:
 * ISO 8601 with or without zone, "YYYY-MM-DD HH:MM[:SS]", a date, "now",
 * "@EPOCH", or a duration meaning that long ago ("30m", "2h", "1d").
 */
#ifndef BRACE_CLOCK_H
#define BRACE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define CLOCK_FMT_LEN 40

int64_t clock_now_ms(void);
/* Monotonic milliseconds (CLOCK_MONOTONIC), for timeouts and durations. */
int64_t clock_mono_ms(void);
/* Monotonic microseconds. */
int64_t clock_mono_us(void);

/* "2026-11-27T07:20:07.123Z" */
void clock_fmt_utc(int64_t ms, char *out, size_t n);
/* "2026-11-27T07:20:07Z" (whole seconds) */
void clock_fmt_utc_s(int64_t ms, char *out, size_t n);
/* "2026-11-27 08:20:07 +0100" */
void clock_fmt_local(int64_t ms, char *out, size_t n);

/* Parse a time; relative forms are taken back from now_ms. 0 / -1 + err. */
int clock_parse(const char *s, int64_t now_ms, int64_t *out_ms, char *err);

/*
 * Convert a broken-down civil time (year, month 1-12, day, h, m, s) in UTC to
 * seconds since the epoch, without touching the process time zone.
 */
int64_t clock_civil_to_epoch(int year, int mon, int day, int h, int m, int s);

#endif
