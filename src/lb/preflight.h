/*
 * preflight.h - what `brace lb --check` looks at beyond the file: what the
 * start would open, and secrets left where other users can read them.
 *
 * The file itself is checked by config_file_read(); a configuration it
 * accepts can still fail to start (an access log in a directory that does
 * not exist or cannot be written) or run without its journal. preflight
 * looks at those places without creating or binding anything, so --check
 * is safe to run beside a running balancer (systemd's ExecReload does), and
 * says one thing per cause.
 */
#ifndef BRACE_LB_PREFLIGHT_H
#define BRACE_LB_PREFLIGHT_H

struct lb_config;

/*
 * Look at what the start of cfg would open: the access log (its file, or
 * the directory it would be created in, must be writable: an error) and the
 * journal (a problem is a warning: brace lb runs without recording events),
 * the admin-token-file (readable, holding a good token: an error), plus
 * preflight_secrets(). Errors are logged with log_error, warnings with
 * log_warn; returns the number of errors.
 */
int preflight_check(const struct lb_config *cfg);
/*
 * Warn (log_warn) when a secret sits in a file other users may read: the
 * configuration file when it holds admin-token itself, and the
 * admin-token-file. Returns the number of warnings.
 */
int preflight_secrets(const struct lb_config *cfg);
/*
 * Could this process write path (create it, when it does not exist)? 0, or
 * -1 with the reason in err. make_dirs: missing directories would be made
 * (the journal does), so the nearest one that exists must be writable;
 * else the file's own directory must exist and be writable.
 */
int preflight_writable(const char *path, int make_dirs, char *err);

#endif
