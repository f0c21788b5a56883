/*
 * cmdline.h - keeping secrets given on the command line out of ps(1).
 *
 * A password in a URL argument is visible to every user in
 * /proc/PID/cmdline for as long as the process runs. Overwriting it in
 * place (with x's) still tells how long it is. So the command line is
 * rewritten whole, once, as setproctitle(3) does: the arguments are first
 * copied to the heap (the command parses and uses the copies), then the
 * kernel's argument area is overwritten with the arguments joined by
 * spaces, each secret left out ("postgresql://app:@db1/appdb"), a NUL, and
 * a non-zero last byte. The kernel then shows the text up to that NUL only,
 * and nothing in it depends on the secrets' lengths. (A placeholder such as
 * "***" would not fit in the area where a secret was shorter than it.) ps(1) shows the same words; the
 * price is that /proc/PID/cmdline becomes one string instead of
 * NUL-separated arguments.
 *
 * Used by brace conns and brace run for database URLs and --ping URLs; any
 * command with a secret option can use it the same way.
 */
#ifndef BRACE_CMDLINE_H
#define BRACE_CMDLINE_H

/* Most arguments that can be hidden in one process. */
#define CMDLINE_HIDE_MAX 16

/*
 * Copy argv[1..argc) to the heap and return an array of the copies (argv[0]
 * stays as given, argv[argc] is NULL), to be parsed and used instead of
 * argv from then on. The copies live as long as the process. When memory
 * runs out, argv itself is returned (and nothing will be hidden).
 */
char **cmdline_own(int argc, char **argv);

/*
 * Show, from the next cmdline_publish() on, the argument that holds p (a
 * pointer into one of the copies, e.g. optarg, possibly past "--opt=") with
 * the text from p to its end replaced by redacted (as db_redact() writes
 * it, each secret "***"; shown without it). Up to CMDLINE_HIDE_MAX arguments; p
 * outside the copies is ignored.
 */
void cmdline_hide(const char *p, const char *redacted);

/*
 * Rewrite the process's command line as described above, if anything is
 * to be hidden. Returns 1 when it was rewritten, 0 when there was nothing
 * to hide, -1 when the argument area could not be found (the secrets then
 * stay visible; the caller may warn).
 */
int cmdline_publish(void);

#endif
