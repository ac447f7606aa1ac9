/* SPDX-License-Identifier: MIT */
/* \summary: fuzz target: the station file loader on any bytes */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/hns_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A station file (run --station) names the units one run tests in
 * parallel. The target checks that no input crashes or leaks, that units
 * come back exactly when no error was reported, and that each unit has a
 * name and exactly one way to reach it.
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
	struct hns_unit *u = NULL;
	size_t n = 0, i;
	unsigned long nerr = 0;
	int rc;

	rc = hns_station_load("fuzz-station.yaml", data, size, &u, &n, count, &nerr);
	if (rc == ATP_OK && nerr != 0)
		abort();
	if (rc != ATP_OK && (u != NULL || nerr == 0))
		abort();
	for (i = 0; i < n && u != NULL; i++) {
		int ways = (u[i].port != NULL) + (u[i].tcp != NULL) + (u[i].emulator != NULL);
		if (ways != 1 || memchr(u[i].name, 0, sizeof(u[i].name)) == NULL ||
		    u[i].name[0] == '\0')
			abort();
	}
	hns_units_free(u, n);
	return 0;
}
