/* SPDX-License-Identifier: MIT */
/* \summary: atproof lint: check scenario files without a device */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "harness/hns.h"

#define COLLECT_DEPTH_MAX 16
#define COLLECT_FILES_MAX 100000

static int
add_path(struct hns_files *f, const char *path, const char *root)
{
	char **np, **nr;

	if (f->n >= COLLECT_FILES_MAX)
		return ATP_ERR_LIMIT;
	np = atp_realloc(f->path, (f->n + 1) * sizeof(*np));
	if (np == NULL)
		return ATP_ERR_NOMEM;
	f->path = np;
	nr = atp_realloc(f->root, (f->n + 1) * sizeof(*nr));
	if (nr == NULL)
		return ATP_ERR_NOMEM;
	f->root = nr;
	f->path[f->n] = atp_strdup(path);
	f->root[f->n] = root != NULL ? atp_strdup(root) : NULL;
	if (f->path[f->n] == NULL || (root != NULL && f->root[f->n] == NULL)) {
		atp_free(f->path[f->n]);
		atp_free(f->root[f->n]);
		return ATP_ERR_NOMEM;
	}
	f->n++;
	return ATP_OK;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
has_ext(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int
walk(struct hns_files *f, const char *dir, const char *root, unsigned depth,
    struct atp_diag *d)
{
	DIR *dp;
	struct dirent *de;
	char **names = NULL, **nn;
	size_t n = 0, i;
	int rc = ATP_OK;

	if (depth > COLLECT_DEPTH_MAX)
		return atp_diag_set(d, ATP_ERR_LIMIT, "%s: folders nested too deep", dir);
	dp = opendir(dir);
	if (dp == NULL) {
		d->sys_errno = errno;
		return atp_diag_set(d, ATP_ERR_IO, "%s: %s", dir, strerror(errno));
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		nn = atp_realloc(names, (n + 1) * sizeof(*nn));
		if (nn == NULL) {
			rc = ATP_ERR_NOMEM;
			break;
		}
		names = nn;
		names[n] = atp_strdup(de->d_name);
		if (names[n] == NULL) {
			rc = ATP_ERR_NOMEM;
			break;
		}
		n++;
	}
	closedir(dp);
	if (names != NULL)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n && rc == ATP_OK; i++) {
		char path[4096];
		struct stat st;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path))
			continue;
		if (stat(path, &st) < 0)
			continue;
		/* A folder named worlds holds the emulator's world files
		 * (scenarios/worlds/), which are no scenarios. */
		if (S_ISDIR(st.st_mode) && strcmp(names[i], "worlds") != 0)
			rc = walk(f, path, root, depth + 1, d);
		else if (S_ISREG(st.st_mode) && has_ext(names[i]))
			rc = add_path(f, path, root);
	}
	for (i = 0; i < n; i++)
		atp_free(names[i]);
	atp_free(names);
	if (rc == ATP_ERR_NOMEM)
		return atp_diag_set(d, rc, "out of memory");
	return rc;
}

int
hns_collect(const char *const *args, size_t nargs, struct hns_files *out, struct atp_diag *d)
{
	struct stat st;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < nargs; i++) {
		if (stat(args[i], &st) < 0) {
			rc = atp_diag_set(d, ATP_ERR_IO, "%s: %s", args[i], strerror(errno));
			goto fail;
		}
		if (S_ISDIR(st.st_mode)) {
			char dir[4096];
			size_t len = strlen(args[i]);
			snprintf(dir, sizeof(dir), "%s", args[i]);
			while (len > 1 && dir[len - 1] == '/')
				dir[--len] = '\0';
			rc = walk(out, dir, dir, 0, d);
		} else {
			rc = add_path(out, args[i], NULL);
		}
		if (rc < 0)
			goto fail;
	}
	return ATP_OK;
fail:
	hns_files_free(out);
	return rc;
}

void
hns_files_free(struct hns_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		atp_free(f->path[i]);
		atp_free(f->root[i]);
	}
	atp_free(f->path);
	atp_free(f->root);
	memset(f, 0, sizeof(*f));
}

/* A library holds `blocks:` and no `steps:` at its top level. The check
 * reads only the top-level keys; the blocks are checked where used. */
int
hns_is_library(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[256];
	int blocks = 0, steps = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "blocks:", 7) == 0)
			blocks = 1;
		if (strncmp(line, "steps:", 6) == 0 || strncmp(line, "id:", 3) == 0)
			steps = 1;
	}
	fclose(fp);
	return blocks && !steps;
}

static void
print_msg(void *ctx, const char *file, unsigned long line, unsigned long col, int is_error,
    const char *msg)
{
	int *nerr = ctx;

	if (is_error)
		(*nerr)++;
	if (line > 0)
		fprintf(stderr, "%s:%lu:%lu: %s: %s\n", file, line, col,
		    is_error ? "error" : "warning", msg);
	else
		fprintf(stderr, "%s: %s: %s\n", file, is_error ? "error" : "warning", msg);
}

/*
 * A block library is checked on its own through a scenario that includes
 * it and uses each of its blocks; variables and peers are the using
 * scenarios' business, so they are not checked here (lax).
 */
static void
lint_library(const char *path, const char *root, int *nerr)
{
	struct hns_load_opts lo;
	struct hns_scenario *s = NULL;
	struct hns_ynode *tree = NULL;
	const struct hns_ynode *blocks;
	struct atp_diag d;
	char *buf = NULL, *text = NULL, synth[4096];
	const char *base = strrchr(path, '/');
	size_t len = 0, cap, n, i, k;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL)
		return;
	buf = atp_malloc(HNS_FILE_MAX + 1);
	if (buf != NULL)
		len = fread(buf, 1, HNS_FILE_MAX, f);
	fclose(f);
	atp_diag_clear(&d);
	if (buf == NULL || hns_yaml_parse(path, buf, len, &tree, &d) < 0) {
		if (buf != NULL)
			print_msg(nerr, path, d.line, d.col, 1, d.msg);
		atp_free(buf);
		return;
	}
	atp_free(buf);
	blocks = hns_ymap_get(tree, "blocks");
	cap = 256 + (blocks != NULL ? blocks->nkids * 160 : 0);
	text = atp_malloc(cap);
	if (text == NULL || blocks == NULL || blocks->type != HNS_Y_MAP) {
		atp_free(text);
		hns_ynode_free(tree);
		return;
	}
	n = (size_t)snprintf(text, cap, "id: library\nspec: library\ninclude: \"%s\"\nsteps:\n",
	    base != NULL ? base + 1 : path);
	for (i = 0; i + 1 < blocks->nkids && n < cap; i += 2) {
		const struct hns_ynode *b = blocks->kids[i];
		if (b->type != HNS_Y_SCALAR)
			continue;
		n += (size_t)snprintf(text + n, cap - n, "  - use: \"");
		for (k = 0; k < b->len && n + 4 < cap && k < 100; k++) {
			char c = b->str[k];
			if (c == '"' || c == '\\')
				text[n++] = '\\';
			text[n++] = ATP_ISPRINT(c) ? c : '?';
		}
		n += (size_t)snprintf(text + n, n < cap ? cap - n : 0, "\"\n");
	}
	hns_ynode_free(tree);
	if (n >= cap) {
		atp_free(text);
		return;
	}
	/* Named as a file next to the library, so that the include resolves. */
	snprintf(synth, sizeof(synth), "%.*s/(library)", base != NULL ? (int)(base - path) : 1,
	    base != NULL ? path : ".");
	memset(&lo, 0, sizeof(lo));
	lo.root = root;
	lo.lax = 1;
	(void)hns_scenario_load_mem(synth, text, n, &lo, print_msg, nerr, &s);
	hns_scenario_free(s);
	atp_free(text);
}

static void
lint_usage(FILE *f)
{
	fprintf(f, "usage: atproof lint [--var NAME[=VALUE]]... [--root DIR] SCENARIO|DIR...\n"
	    "\n"
	    "Checks scenario files without a device: YAML syntax, unknown keys, wrong\n"
	    "types, bad regexes and shape patterns, unknown commands or forms,\n"
	    "undefined variables. Each problem is printed as file:line:col: message.\n"
	    "\n"
	    "  --var NAME[=VALUE]  a variable that will be given with run --var\n"
	    "  --root DIR          includes and data files must stay under DIR\n"
	    "                      (default: the folder named, or the scenario's)\n"
	    "\n"
	    "Exit: 0 clean (warnings allowed), 2 at least one error.\n");
}

int
hns_lint_cli(int argc, char **argv)
{
	struct hns_load_opts lo;
	struct hns_files files;
	struct atp_diag d;
	const char **vars = NULL, **paths = NULL;
	char **names = NULL;
	const char *root = NULL;
	size_t nvars = 0, npaths = 0, i;
	int nerr = 0, rc = ATP_EXIT_PASS, a;

	vars = atp_calloc((size_t)argc + 1, sizeof(*vars));
	paths = atp_calloc((size_t)argc + 1, sizeof(*paths));
	if (vars == NULL || paths == NULL) {
		fprintf(stderr, "atproof lint: out of memory\n");
		atp_free(vars);
		atp_free(paths);
		return ATP_EXIT_ENV;
	}
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
			lint_usage(stdout);
			goto out;
		} else if (strcmp(argv[a], "--var") == 0 && a + 1 < argc) {
			vars[nvars++] = argv[++a];
		} else if (strncmp(argv[a], "--var=", 6) == 0) {
			vars[nvars++] = argv[a] + 6;
		} else if (strcmp(argv[a], "--root") == 0 && a + 1 < argc) {
			root = argv[++a];
		} else if (argv[a][0] == '-' && argv[a][1] != '\0') {
			fprintf(stderr, "atproof lint: unknown option '%s'\n", argv[a]);
			lint_usage(stderr);
			rc = ATP_EXIT_USAGE;
			goto out;
		} else {
			paths[npaths++] = argv[a];
		}
	}
	if (npaths == 0) {
		lint_usage(stderr);
		rc = ATP_EXIT_USAGE;
		goto out;
	}
	/* --var NAME=VALUE: only the name matters here. */
	names = atp_calloc(nvars + 1, sizeof(*names));
	if (names == NULL) {
		rc = ATP_EXIT_ENV;
		goto out;
	}
	for (i = 0; i < nvars; i++) {
		const char *eq = strchr(vars[i], '=');
		names[i] = eq != NULL ? atp_memdup0(vars[i], (size_t)(eq - vars[i])) :
		    atp_strdup(vars[i]);
		if (names[i] == NULL) {
			fprintf(stderr, "atproof lint: out of memory\n");
			rc = ATP_EXIT_ENV;
			goto out;
		}
	}
	atp_diag_clear(&d);
	if (hns_collect(paths, npaths, &files, &d) < 0) {
		fprintf(stderr, "atproof lint: %s\n", d.msg);
		rc = ATP_EXIT_USAGE;
		goto out;
	}
	if (files.n == 0) {
		fprintf(stderr, "atproof lint: no scenario files (*.yaml, *.yml) found\n");
		rc = ATP_EXIT_USAGE;
	}
	for (i = 0; i < files.n; i++) {
		struct hns_scenario *s = NULL;
		if (hns_is_library(files.path[i])) {
			lint_library(files.path[i], root != NULL ? root : files.root[i], &nerr);
			continue;
		}
		memset(&lo, 0, sizeof(lo));
		lo.vars = (const char *const *)names;
		lo.nvars = nvars;
		lo.root = root != NULL ? root : files.root[i];
		(void)hns_scenario_load(files.path[i], &lo, print_msg, &nerr, &s);
		hns_scenario_free(s);
	}
	if (nerr > 0) {
		fprintf(stderr, "atproof lint: %d error%s\n", nerr, nerr == 1 ? "" : "s");
		rc = ATP_EXIT_USAGE;
	}
	hns_files_free(&files);
out:
	for (i = 0; names != NULL && i < nvars; i++)
		atp_free(names[i]);
	atp_free(names);
	atp_free(vars);
	atp_free(paths);
	return rc;
}
