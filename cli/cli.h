/* SPDX-License-Identifier: MIT */
/* \summary: entry points of the subcommands, one per component */
#ifndef ATPROOF_CLI_H
#define ATPROOF_CLI_H

/*
 * Each subcommand gets argv with argv[0] set to its own name ("emu") and
 * returns an exit code of enum atp_exit. Each lives in its component.
 */
int emu_cli(int argc, char **argv);        /* emulator/ */
int hns_run_cli(int argc, char **argv);    /* harness/ */
int hns_lint_cli(int argc, char **argv);   /* harness/ */
int ana_cli(int argc, char **argv);        /* analyzer/ */
int cli_commands(int argc, char **argv);   /* cli/commands.c */
int cli_diff(int argc, char **argv);       /* cli/diff.c */
int cli_ports(int argc, char **argv);      /* cli/ports.c */
/* Runs @fn (run, analyze) and, given --baseline OLD.json, compares its
 * JSON report with OLD (cli/baseline.c): exit 1 when it is worse. */
int cli_baseline(int (*fn)(int, char **), const char *name, int argc, char **argv);

#endif
