/*
 * main.c - the brace binary: a table of subcommands and nothing clever.
 *
 * To add a subcommand: write src/NAME/ with an int cmd_NAME(int, char **),
 * declare it in commands.h and add a line to the table below. The Makefile
 * picks up the new sources by itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "core/cli.h"
#include "core/log.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd commands[] = {
	{ "lb", cmd_lb, "HTTP/1.1 and TCP load balancer that caps and queues backend connections" },
	{ "conns", cmd_conns, "database connection headroom: check, metrics, live view" },
	{ "run", cmd_run, "run a cron job: no overlap, jitter, gates, timeout, history" },
	{ "logs", cmd_logs, "dig logs for templates, periodic jobs, bursts and top talkers" },
	{ "journal", cmd_journal, "record and read the shared event journal" },
	{ "postmortem", cmd_postmortem, "draft an incident's postmortem from the journal and the logs" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: brace COMMAND [OPTIONS] [ARGS]\n"
	    "\n"
	    "brace keeps a web and database stack standing on a bad night.\n"
	    "\n"
	    "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
	    "\n"
	    "  brace help COMMAND     show the usage of COMMAND (also: brace COMMAND --help)\n"
	    "  brace --version        print the version (also: brace COMMAND --version)\n"
	    "\n"
	    "Exit status: 0 on success, 1 on failure, 2 on a usage error; some commands\n"
	    "(conns, run) document their own.\n");
}

static const struct cmd *
find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int
run_command(const struct cmd *c, int argc, char **argv)
{
	static char prog[64];

	snprintf(prog, sizeof(prog), "brace %s", c->name);
	log_init(prog);
	argv[0] = prog;
	return c->fn(argc, argv);
}

int
main(int argc, char **argv)
{
	const struct cmd *c;

	log_init("brace");
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		cli_print_version();
	if (strcmp(argv[1], "help") == 0) {
		char help[] = "--help";
		char *hargv[3];

		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		if ((c = find_command(argv[2])) == NULL)
			cli_usage_error("unknown command '%s'", argv[2]);
		hargv[0] = argv[2];
		hargv[1] = help;
		hargv[2] = NULL;
		return run_command(c, 2, hargv);
	}
	if (argv[1][0] == '-')
		cli_usage_error("unknown option '%s'", argv[1]);
	if ((c = find_command(argv[1])) == NULL)
		cli_usage_error("unknown command '%s'", argv[1]);
	return run_command(c, argc - 1, argv + 1);
}
