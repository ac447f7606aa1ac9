/* SPDX-License-Identifier: MIT */
/* \summary: 'atproof diff': the semantic comparison of two runs' JSON reports */
#ifndef CLI_DIFF_H
#define CLI_DIFF_H

#include <stdint.h>
#include <stdio.h>

/* A JSON report larger than this is refused before it is parsed. */
#define CLI_DIFF_FILE_MAX (512UL * 1024 * 1024)

struct cli_diff_opts {
	unsigned latency_pct;      /* a percentile this much slower is a shift (20) */
	int64_t latency_floor_us;  /* ...and at least this much slower (10000) */
	FILE *text;                /* the text report goes here; NULL: none */
	const char *json_path;     /* the JSON report ("-": stdout); NULL: none */
};

/* Fills @o with the defaults: 20 %, 10000 us, text on stdout, no JSON. */
void cli_diff_defaults(struct cli_diff_opts *o);

/*
 * Compares the JSON reports @old_path and @new_path (both of `atproof run`
 * or both of `atproof analyze`, --report json:PATH) and writes the
 * differences as @o says. The hook of `run --baseline` and `analyze
 * --baseline`: write the new run's JSON report, then call this.
 * @return ATP_EXIT_PASS (NEW is not worse), ATP_EXIT_FAIL (NEW is worse),
 * ATP_EXIT_USAGE (a file is unreadable, too large, not JSON or not a
 * report; the message, with file:line:col, is on stderr) or ATP_EXIT_ENV
 * (out of memory, the report could not be written).
 */
int cli_diff_files(const char *old_path, const char *new_path, const struct cli_diff_opts *o);

#endif
