/*
 * config_key.h - every key of the load balancer's configuration, one row
 * each, in the manner of nginx's ngx_command_t and HAProxy's cfg_kw_list.
 *
 * A row says where a key is allowed (its section), where its value lands
 * (an offset in struct lb_config, frontend or pool, or a setter), the
 * value's type and bounds, whether the key repeats, its quick-form flag and
 * help text, and how it is written back. From the table come:
 *
 *   - the file parser's dispatch (config_file.c),
 *   - the quick-form flags of `brace lb` and their --help lines (lb.c),
 *   - --dump-config (config_file.c), which prints every key of a
 *     configuration so that reading the dump gives the same configuration,
 *   - the bounds config_finish() holds every number to.
 *
 * A flag and its key go through the same parser, so they accept and refuse
 * the same values. Options of a server line (weight=N, maxconn=N) are rows
 * of a second table of the same shape (config_key_server_option).
 *
 * Adding a key is one row here (plus the field it lands in):
 *   - a number, duration, size, yes/no, word or text field: one of the
 *     KIND_* below, with its bounds;
 *   - a repeatable one stored in an array (bind, or a per-listener list of
 *     files): KEY_REPEAT with the array's count field and capacity;
 *   - anything with a syntax of its own: KIND_FUNC with a setter and a dumper.
 */
#ifndef BRACE_LB_CONFIG_KEY_H
#define BRACE_LB_CONFIG_KEY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lb/config.h"

enum config_sect { SECT_GLOBAL = 0, SECT_LISTEN, SECT_POOL, SECT_COUNT };

enum config_kind {
	KIND_INT,       /* a whole number from min to max (an int, or a size_t field) */
	KIND_DUR,       /* a duration, stored in ms (int64_t), from min to max */
	KIND_SIZE,      /* bytes: 512, 64k, 10M (size_t or uint64_t), from min to max */
	KIND_BOOL,      /* yes/on/true or no/off/false (int) */
	KIND_STR,       /* text of min to max characters, into a char array of size bytes */
	KIND_ENUM,      /* one of names[], into an int-sized enum */
	KIND_ADDR,      /* ADDR:PORT to listen on, into a struct lb_listen */
	KIND_FUNC,      /* set() parses, dump() writes back */
};

/* Row flags. */
#define KEY_REPEAT     0x01  /* each line adds one; otherwise the last one wins */
#define KEY_QUIET      0x02  /* KIND_BOOL: left out of the dump while "no" */
#define KEY_WITH_FILE  0x04  /* the flag also goes with -c FILE, and wins over the file */
#define KEY_ALSO_IF_0  0x08  /* the flag's `also` applies only while that key is 0 */
#define KEY_SPEC_ONLY  0x10  /* a server option only --backend's form takes (name=) */
#define KEY_ANY_CASE   0x20  /* KIND_ENUM: the words match in any case (log levels) */
#define KEY_SECRET     0x40  /* the flag's value is hidden from ps (core/cmdline) */

/* Where a key is being set: the configuration and the section's object. */
struct config_at {
	struct lb_config *cfg;
	struct frontend *fe;            /* [listen NAME] */
	struct pool *pool;              /* [pool NAME] */
	int line;                       /* in the file; 0 = the command line */
};

/* A word of a KIND_ENUM key and its value; later words with a value already named are aliases. */
struct config_name {
	const char *name;
	int value;
};

struct config_key {
	const char *name;
	enum config_sect sect;
	enum config_kind kind;
	size_t off;                     /* the field (the array, for KEY_REPEAT) in the section's struct */
	size_t size;                    /* the field's size (one element's, for KEY_REPEAT) */
	int64_t min, max;               /* numbers: the bounds; KIND_STR: the length */
	unsigned flags;                 /* KEY_* */
	size_t count_off;               /* KEY_REPEAT arrays: the int that counts the elements */
	int nmax;                       /* KEY_REPEAT arrays: how many the array holds */
	size_t set_off;                 /* an int set to 1 when the key is given (0: none) */
	const struct config_name *names;   /* KIND_ENUM, ended by a NULL name */
	int (*check)(const char *v, char *err);    /* KIND_STR: more than the length */
	const char *empty;              /* KIND_STR: the word that means "" (off) */
	/* KIND_FUNC: parse v into the section at `at` / write the key's lines */
	int (*set)(const struct config_at *at, const char *v, char *err);
	void (*dump)(const struct config_at *at, const struct config_key *k, FILE *out);
	const char *note;               /* dumped as a comment with this note until given */
	const char *example;            /* a good value other than the default (tests, docs) */
	/* the quick form */
	const char *flag;               /* "check-interval" for --check-interval; NULL: none */
	char short_flag;                /* 'l' for -l; 0: none */
	const char *arg;                /* what the flag takes, for --help ("DUR"); NULL for
					 * a KIND_BOOL key's flag, which takes none (given: yes) */
	const char *help;               /* the flag's --help text; '\n' starts a new line */
	int (*flag_set)(const struct config_at *at, const char *v, char *err); /* own syntax */
	const char *flag_example;       /* with flag_set: a good value in that syntax */
	const char *also;               /* "KEY=VALUE" the flag sets first (--check-path: check=http) */
};

/* The table, in the order keys are dumped within their section; and its length. */
extern const struct config_key config_keys[];
extern const size_t config_nkeys;
/* The options of a server line, in the order they are dumped. */
extern const struct config_key config_server_opts[];
extern const size_t config_nserver_opts;

/* The section names as the file writes them ("global", "listen NAME", "pool NAME"). */
extern const char *const config_sect_names[SECT_COUNT];

/* The row of key name in section sect, or NULL. */
const struct config_key *config_key_find(enum config_sect sect, const char *name);
/* The first row of that name in any section, or NULL (to say where a key belongs). */
const struct config_key *config_key_named(const char *name);

/*
 * Set k to value v in the section at `at` (which must be of k's section).
 * subject names the key in messages ("timeout-server", "--timeout-server").
 * 0, or -1 with a message in err that names the subject; what was there
 * before stays (a repeatable key adds nothing).
 */
int config_key_set(const struct config_at *at, const struct config_key *k, const char *v,
    const char *subject, char *err);
/*
 * A quick-form flag: set k to v in the quick listener "main", the quick pool
 * "default" (both made on first use) or the global section, after the
 * flag's `also` key. Messages name the flag. 0, or -1 with err set.
 */
int config_key_flag(struct lb_config *cfg, const struct config_key *k, const char *v, char *err);
/* Write k's lines ("key = value", one per element of a repeatable key) for the section at `at`. */
void config_key_dump(const struct config_at *at, const struct config_key *k, FILE *out);
/*
 * Report every number of cfg outside its key's bounds (set by code that
 * bypassed the parsers); returns how many were reported.
 */
int config_key_check_bounds(struct lb_config *cfg,
    void (*report)(void *arg, int line, const char *msg), void *arg);
/* The --help lines of the quick-form flags: listener, pool, then global ones. */
void config_key_help(FILE *out);

/*
 * One option of a server line, "weight=3" (opt is modified). spec_form:
 * --backend's form, where name=NAME is an option too. 0, or -1 with err.
 */
int config_key_server_option(struct server *sv, char *opt, int spec_form, char *err);
/* Write " name=value" for each option of sv that differs from config_server_defaults. */
void config_key_server_options_dump(const struct server *sv, FILE *out);

#endif
