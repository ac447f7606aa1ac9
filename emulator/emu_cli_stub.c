/* SPDX-License-Identifier: MIT */
/* \summary: placeholder for 'atproof emu' until its issue lands */
#include <stdio.h>

#include "atproof/err.h"
#include "cli/cli.h"

int
emu_cli(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "atproof emu: not yet implemented\n");
	return ATP_EXIT_USAGE;
}
