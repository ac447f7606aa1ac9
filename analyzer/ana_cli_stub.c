/* SPDX-License-Identifier: MIT */
/* \summary: placeholder for 'atproof analyze' until its issue lands */
#include <stdio.h>

#include "atproof/err.h"
#include "cli/cli.h"

int
ana_cli(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "atproof analyze: not yet implemented\n");
	return ATP_EXIT_USAGE;
}
