/*
 * commands.h - the entry point of every subcommand, dispatched from main.c.
 *
 * Each takes the arguments after "brace", with argv[0] set to "brace CMD",
 * and returns the process exit status.
 */
#ifndef BRACE_COMMANDS_H
#define BRACE_COMMANDS_H

int cmd_journal(int argc, char **argv);
int cmd_lb(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_conns(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_postmortem(int argc, char **argv);

#endif
