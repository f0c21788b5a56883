/*
 * config_file.h - the load balancer's configuration file: reading, checking
 * and writing it back (docs/lb.md is the reference of its syntax and keys).
 */
#ifndef BRACE_LB_CONFIG_FILE_H
#define BRACE_LB_CONFIG_FILE_H

#include <stdio.h>

#include "lb/config.h"

/*
 * Read a configuration file into cfg (which holds defaults). Every error is
 * reported through report() with its line; returns the number of errors,
 * or -1 when the file cannot be read (err says why).
 */
int config_load_file(struct lb_config *cfg, const char *path,
    void (*report)(void *arg, int line, const char *msg), void *arg, char *err);
/* Write cfg as a configuration file that config_load_file() reads back. */
void config_dump(const struct lb_config *cfg, FILE *out);

/*
 * Read and check a configuration file as brace lb does at start and at
 * each reload: a new configuration, or NULL with every problem logged as
 * "FILE:LINE: reason" (or "FILE: reason") and their number in *nerrors.
 */
struct lb_config *config_file_read(const char *path, int *nerrors);

#endif
