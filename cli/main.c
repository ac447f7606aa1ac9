/* SPDX-License-Identifier: MIT */
/* \summary: atproof's command line: one binary, git-style subcommands */
#include <stdio.h>
#include <string.h>

#include "atproof/atproof.h"
#include "cli/cli.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *usage;
} subcommands[] = {
	{ "emu", emu_cli,
	  "emu      [--pty PATH] [--tcp HOST:PORT] [--firmware PROFILE] [--world FILE]\n"
	  "         [--flash FILE] [--fault NAME[=VALUE]]...   a virtual Air602" },
	{ "run", hns_run_cli,
	  "run      (--port DEVICE | --tcp HOST:PORT | --emulator[=PROFILE]) [--baud N|auto]\n"
	  "         [--firmware PROFILE] [--tags EXPR] [--var NAME=VALUE]...\n"
	  "         [--capture FILE.pcapng] [--report FORMAT:PATH]... [--baseline OLD.json]\n"
	  "         SCENARIO|DIR...                         run conformance scenarios" },
	{ "analyze", ana_cli,
	  "analyze  [--format FORMAT] [--firmware PROFILE] [--limit CMD=MS]...\n"
	  "         [--report FORMAT:PATH]... [--baseline OLD.json]\n"
	  "         FILE...                                 check a log or capture" },
	{ "lint", hns_lint_cli,
	  "lint     [--var NAME[=VALUE]]... [--root DIR] SCENARIO|DIR...\n"
	  "                                                 check scenario files" },
	{ "commands", cli_commands,
	  "commands [--json]                                the protocol model's command table" },
	{ "diff", cli_diff,
	  "diff     [--latency-threshold PCT] [--latency-floor US] [--report FORMAT:PATH]...\n"
	  "         OLD.json NEW.json                       compare two runs (release check)" },
	{ "ports", cli_ports,
	  "ports    [--json]                                serial ports, USB IDs, by-id names" },
};

#define NSUB (sizeof(subcommands) / sizeof(subcommands[0]))

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: atproof SUBCOMMAND [OPTIONS]\n\n"
	    "A conformance harness, emulator and analyzer for the Air602 (W600) AT protocol.\n\n");
	/* Continuation lines of a row line up under its options. */
	for (i = 0; i < NSUB; i++) {
		const char *u = subcommands[i].usage, *nl;
		fputs("  atproof ", f);
		while ((nl = strchr(u, '\n')) != NULL) {
			fprintf(f, "%.*s\n          ", (int)(nl - u), u);
			u = nl + 1;
		}
		fprintf(f, "%s\n", u);
	}
	fprintf(f, "\n  atproof SUBCOMMAND --help    options of one subcommand\n"
	    "  atproof --version\n\n"
	    "Exit codes: 0 conforms, 1 does not conform, 2 usage or invalid input file,\n"
	    "3 environment failure (port, permission, peer), 4 inconclusive.\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return ATP_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return ATP_EXIT_PASS;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("atproof %s\n", ATPROOF_VERSION);
		return ATP_EXIT_PASS;
	}
	for (i = 0; i < NSUB; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0) {
			/* run and analyze take --baseline OLD.json. */
			if (subcommands[i].fn == hns_run_cli || subcommands[i].fn == ana_cli)
				return cli_baseline(subcommands[i].fn, argv[1], argc - 1, argv + 1);
			return subcommands[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "atproof: '%s' is not a subcommand (expected one of emu, run, "
	    "analyze, lint, commands, diff, ports)\n", argv[1]);
	usage(stderr);
	return ATP_EXIT_USAGE;
}
