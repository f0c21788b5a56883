/*
 * config_file.h - the load balancer's configuration file: reading it,
 * checking it, and writing a configuration back as a file (--dump-config).
 * docs/lb.md is the reference of its syntax and keys.
 */
#ifndef BRACE_LB_CONFIG_FILE_H
#define BRACE_LB_CONFIG_FILE_H

#include <stdio.h>

#include "lb/config.h"

/*
 * Read the file at path into cfg (which holds defaults, and then cfg->path
 * too). Every problem is reported through report() with its line, and
 * reading goes on to find the next; returns the number of problems, or -1
 * with err set when the file cannot be read. config_finish() is the
 * caller's.
 */
int config_file_load(struct lb_config *cfg, const char *path,
    void (*report)(void *arg, int line, const char *msg), void *arg, char *err);
/*
 * Write cfg as a configuration file: every key of every section, generated
 * from the key table, so that config_file_load() of the output gives the
 * same configuration (and the same dump). The first line names cfg->path.
 */
void config_file_dump(const struct lb_config *cfg, FILE *out);
/*
 * Read and check a configuration file as brace lb does at start and at
 * each reload: a new configuration (the caller's to free), or NULL with
 * every problem logged as "FILE:LINE: reason" (or "FILE: reason") and their
 * number in *nerrors.
 */
struct lb_config *config_file_read(const char *path, int *nerrors);

#endif
