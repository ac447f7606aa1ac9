/* SPDX-License-Identifier: MIT */
/* \summary: placeholder for 'atproof lint' until its issue lands */
#include <stdio.h>

#include "atproof/err.h"
#include "cli/cli.h"

int
hns_lint_cli(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "atproof lint: not yet implemented\n");
	return ATP_EXIT_USAGE;
}
