/* SPDX-License-Identifier: MIT */
/* \summary: fuzz target: the scenario loader on any bytes */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/hns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The loader's ceilings (file size, nesting, nodes, scalars, steps,
 * matrix) are what keep a hostile scenario from taking the harness down;
 * the fuzzer checks that no input crashes it, leaks, or builds a model
 * that the free function cannot take apart. Includes resolve under a root
 * that does not exist, so the target never reads the disk.
 */
static void
count(void *ctx, const char *file, unsigned long line, unsigned long col, int is_error,
    const char *msg)
{
	unsigned long *n = ctx;

	(void)file;
	(void)line;
	(void)col;
	(void)msg;
	if (is_error)
		(*n)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hns_scenario *s = NULL;
	struct hns_load_opts lo;
	unsigned long nerr = 0;
	int rc;

	memset(&lo, 0, sizeof(lo));
	lo.root = "/nonexistent-fuzz-root";
	rc = hns_scenario_load_mem("/nonexistent-fuzz-root/fuzz.yaml", data, size, &lo, count,
	    &nerr, &s);
	/* A scenario comes back exactly when no error was reported. */
	if ((rc == ATP_OK) != (s != NULL) || (s != NULL && nerr != 0))
		abort();
	if (s != NULL && (s->id == NULL || s->spec == NULL || s->repeat == 0))
		abort();
	hns_scenario_free(s);
	return 0;
}
