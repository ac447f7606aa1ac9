/* SPDX-License-Identifier: MIT */
/* \summary: --baseline OLD.json on run and analyze: the run, then atproof diff against OLD */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atproof/alloc.h"
#include "atproof/err.h"
#include "cli/cli.h"
#include "cli/diff.h"

/*
 * The firmware release check in one command (issue 6): `atproof run
 * --baseline OLD.json ...` runs as without it, then compares the run's JSON
 * report with OLD.json as `atproof diff OLD.json NEW.json` would, prints the
 * differences, and exits 1 only when the new run is worse: failures the
 * baseline had too do not fail the release check.
 *
 * It sits here, around the subcommands, rather than in harness/ and
 * analyzer/: the diff lives in cli/, and both components' tests link
 * without it. The subcommand sees its argv without --baseline, plus a
 * `--report json:TMP` when none was asked for (and `--report text:-`, the
 * default output, when no report at all was).
 */

/* "--baseline FILE" or "--baseline=FILE" at @argv[*i]: sets *val (NULL
 * when the value is missing) and steps over it. */
static int
baseline_arg(int argc, char **argv, int *i, const char **val)
{
	static const char opt[] = "--baseline";
	const size_t n = sizeof(opt) - 1;

	if (strncmp(argv[*i], opt, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	*val = *i + 1 < argc ? argv[++*i] : NULL;
	return 1;
}

/* The value of a --report option at @argv[i] (either form), or NULL. */
static const char *
report_arg(int argc, char **argv, int i)
{
	if (strncmp(argv[i], "--report=", 9) == 0)
		return argv[i] + 9;
	if (strcmp(argv[i], "--report") == 0 && i + 1 < argc)
		return argv[i + 1];
	return NULL;
}

/* Removes @dir and the files in it (the run's temporary reports: one per
 * unit of a station). */
static void
remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			(void)unlink(path);
		}
		closedir(d);
	}
	(void)rmdir(dir);
}

int
cli_baseline(int (*fn)(int, char **), const char *name, int argc, char **argv)
{
	const char *baseline = NULL, *json = NULL, *v;
	char **nargv;
	char dir[4096] = "", tmpjson[4200], tmparg[4300];
	char opt_report[] = "--report", text_stdout[] = "text:-";
	int i, nargc = 0, given = 0, reports = 0, to_stdout = 0, ex, dx;
	struct cli_diff_opts o;
	FILE *f;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return fn(argc, argv);
		if (baseline_arg(argc, argv, &i, &v)) {
			if (v == NULL || v[0] == '\0') {
				fprintf(stderr, "atproof %s: --baseline wants OLD.json\n", name);
				return ATP_EXIT_USAGE;
			}
			baseline = v;
			given = 1;
		}
	}
	if (!given)
		return fn(argc, argv);
	/* A baseline that cannot be read fails now, not after a long run. */
	f = fopen(baseline, "r");
	if (f == NULL) {
		fprintf(stderr, "atproof %s: --baseline %s: cannot read it\n", name, baseline);
		return ATP_EXIT_USAGE;
	}
	fclose(f);
	nargv = atp_calloc((size_t)argc + 5, sizeof(*nargv));
	if (nargv == NULL) {
		fprintf(stderr, "atproof %s: out of memory\n", name);
		return ATP_EXIT_ENV;
	}
	for (i = 0; i < argc; i++) {
		if (i > 0 && strcmp(argv[i], "--") == 0) {
			/* Everything after -- is the subcommand's, as it is. */
			break;
		}
		if (i > 0 && baseline_arg(argc, argv, &i, &v))
			continue;
		if (i > 0 && (v = report_arg(argc, argv, i)) != NULL) {
			reports++;
			if (strncmp(v, "json:", 5) == 0 && strcmp(v + 5, "-") != 0 && json == NULL)
				json = v + 5;
			if (strchr(v, ':') != NULL && strcmp(strchr(v, ':') + 1, "-") == 0)
				to_stdout = 1;
		}
		nargv[nargc++] = argv[i];
	}
	if (json == NULL) {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/atproof-baseline.XXXXXX",
		    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
		if (mkdtemp(dir) == NULL) {
			fprintf(stderr, "atproof %s: --baseline: cannot make a folder for the run's "
			    "report in %s\n", name, tmp != NULL ? tmp : "/tmp");
			atp_free(nargv);
			return ATP_EXIT_ENV;
		}
		snprintf(tmpjson, sizeof(tmpjson), "%s/%s.json", dir, name);
		snprintf(tmparg, sizeof(tmparg), "json:%s", tmpjson);
		json = tmpjson;
		/* Options go before the operands; a flag of the subcommand
		 * cannot take them for its value there. */
		memmove(nargv + 3, nargv + 1, (size_t)(nargc - 1) * sizeof(*nargv));
		nargv[1] = opt_report;
		nargv[2] = tmparg;
		nargc += 2;
		if (reports == 0) {
			memmove(nargv + 3, nargv + 1, (size_t)(nargc - 1) * sizeof(*nargv));
			nargv[1] = opt_report;
			nargv[2] = text_stdout;
			nargc += 2;
			to_stdout = 1;
		}
	}
	for (; i < argc; i++)
		nargv[nargc++] = argv[i];
	nargv[nargc] = NULL;
	ex = fn(nargc, nargv);
	atp_free(nargv);
	/* A usage error or a run that could not start has no report to compare. */
	if (ex == ATP_EXIT_USAGE || access(json, R_OK) != 0) {
		if (dir[0] != '\0')
			remove_dir(dir);
		return ex;
	}
	fflush(stdout);
	cli_diff_defaults(&o);
	/* The run's own report on stdout stays parseable: the diff goes to
	 * stderr then. */
	o.text = to_stdout && reports > 0 ? stderr : stdout;
	dx = cli_diff_files(baseline, json, &o);
	fflush(o.text);
	if (dir[0] != '\0')
		remove_dir(dir);
	/* Worse than the baseline: 1. A baseline that is no report: its exit
	 * code (2, 3). An environment failure stays 3. Otherwise the failures
	 * the run has are the baseline's too, and "only new deviations fail"
	 * (DESIGN.md, firmware regression): 0, or 4 for an inconclusive run. */
	if (ex == ATP_EXIT_ENV)
		return ex;
	if (dx == ATP_EXIT_FAIL)
		return ATP_EXIT_FAIL;
	if (dx != ATP_EXIT_PASS)
		return dx;
	return ex == ATP_EXIT_FAIL ? ATP_EXIT_PASS : ex;
}
