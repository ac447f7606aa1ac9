/* SPDX-License-Identifier: MIT */
/* \summary: placeholder for 'atproof run' until its issue lands */
#include <stdio.h>

#include "atproof/err.h"
#include "cli/cli.h"

int
hns_run_cli(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "atproof run: not yet implemented\n");
	return ATP_EXIT_USAGE;
}
