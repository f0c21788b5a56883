/*
 * path.h - is a directory safe to keep locks and state in?
 *
 * A lock or state directory another user can write to (or that another
 * user created first, in /tmp) lets that user hold our locks, swap our
 * files or read what we record. Before using one, brace checks who owns it
 * and who may write to it, and refuses with a message that names the
 * directory, its owner and its mode rather than trusting it.
 */
#ifndef BRACE_PATH_H
#define BRACE_PATH_H

/*
 * dir must be a directory (not a symbolic link) owned by this user (the
 * effective uid) and closed to everyone else: no group or other
 * permission at all. For a directory of ours in a place everyone can write
 * (/tmp/brace-UID). 0 / -1 + err naming dir, its owner and mode.
 */
int path_check_private(const char *dir, const char *what, char *err);

/*
 * dir must be a directory owned by this user or by root that not every
 * user can write to, unless it is sticky (as /tmp is: others cannot remove
 * or replace our files there). A group may write to it: an administrator
 * who shares a lock directory with a group means it. For the default lock
 * directories (/run/brace/locks, $XDG_RUNTIME_DIR/brace/locks) and the
 * journal's default directories. 0 / -1 + err.
 */
int path_check_safe(const char *dir, const char *what, char *err);

/*
 * For a directory an administrator named (--lock-dir, --journal,
 * BRACE_LOCK_DIR, BRACE_JOURNAL): whoever owns it, it must not be writable
 * by every user unless sticky. 0 / -1 + err.
 */
int path_check_chosen(const char *dir, const char *what, char *err);

#endif
