/*
 * cli.h - what every subcommand shares on its command line.
 *
 * Exit codes: 0 success, 1 a runtime failure (cannot bind, cannot open the
 * journal), 2 a usage error (unknown option, bad value). Subcommands with a
 * contract of their own (Nagios plugins, brace run) document theirs.
 * Each subcommand parses its options with getopt_long; main() sets argv[0]
 * to "brace CMD" so getopt's own messages name the command.
 */
#ifndef BRACE_CLI_H
#define BRACE_CLI_H

#include <stdint.h>

#include "core/term.h"

#define EXIT_USAGE 2

/*
 * The options every command shares, as getopt_long values outside the range
 * of short options: put CLI_VERSION_OPTION (and, for a command that prints
 * for people, CLI_COLOR_OPTION) in the command's option table and answer
 * them with cli_print_version() and cli_color().
 */
enum { CLI_OPT_VERSION = 0x10000, CLI_OPT_COLOR };
#define CLI_VERSION_OPTION { "version", no_argument, NULL, CLI_OPT_VERSION }
#define CLI_COLOR_OPTION { "color", required_argument, NULL, CLI_OPT_COLOR }

/* Print "brace VERSION" on stdout and exit 0 (--version, on every command). */
void cli_print_version(void) __attribute__((noreturn));
/* The value of --color (auto, always, never); a usage error otherwise. */
enum term_color cli_color(const char *val);

/*
 * The exit status of usage errors, 2 unless a command sets its own (brace
 * run exits 125, as timeout(1) does, so that its errors are never taken
 * for the job's).
 */
void cli_set_usage_status(int status);
/* Print "brace CMD: message" and the --help hint on stderr, then exit 2. */
void cli_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* Print the --help hint after getopt has printed its message; exit 2. */
void cli_try_help(void) __attribute__((noreturn));
/* Print a usage text on stdout and exit 0 (for --help). */
void cli_print_help(const char *usage) __attribute__((noreturn));

/* Option value parsers that exit 2 with a message naming the option. */
int64_t cli_duration(const char *opt, const char *val);
/* A duration that must have a unit (units_duration_unit()). */
int64_t cli_duration_unit(const char *opt, const char *val);
uint64_t cli_size(const char *opt, const char *val);
long cli_long(const char *opt, const char *val, long min, long max);
/* A time as clock_parse() reads it (relative forms from now), in ms. */
int64_t cli_time(const char *opt, const char *val);

#endif
