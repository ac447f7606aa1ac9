/* SPDX-License-Identifier: MIT */
/* \summary: scenario loader: YAML tree into the checked scenario model */
/* realpath() is XSI; the scenario-root check needs it. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/hns.h"

/*
 * The language is documented in docs/scenarios.md; this file is its
 * checker. Every problem is reported with the place of the node at fault
 * and the loader carries on, so that `atproof lint` shows all of them at
 * once. A scenario with any error is not run (exit 2).
 */

struct block {
	char *name;
	const struct hns_ynode *steps;
	const char *file;
	const char *dir;           /* for files the block's steps name */
};

struct loader {
	const struct hns_load_opts *opts;
	hns_msg_fn *msg;
	void *ctx;
	int nerr;
	int fatal;                 /* stop: memory or a ceiling */
	struct hns_scenario *s;
	const char *file;          /* current file (owned by s->files) */
	const char *dir;           /* its directory (owned by dirs) */
	char *root;                /* realpath of the scenario root */
	struct block *blocks;
	size_t nblocks;
	struct hns_ynode *trees[HNS_INCLUDE_MAX + 1];
	char *dirs[HNS_INCLUDE_MAX + 1];
	size_t ntrees;
	size_t nsteps_total;
	unsigned use_depth;
	/* names defined so far, for the undefined-variable check */
	char **names;
	size_t nnames;
};

static void lmsg(struct loader *L, const struct hns_ynode *n, int is_error,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
lmsg(struct loader *L, const struct hns_ynode *n, int is_error, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (is_error && L->nerr >= HNS_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (is_error)
		L->nerr++;
	if (L->msg != NULL)
		L->msg(L->ctx, L->file, n != NULL ? n->line : 0, n != NULL ? n->col : 0,
		    is_error, buf);
}

static void
nomem(struct loader *L, const struct hns_ynode *n)
{
	if (!L->fatal)
		lmsg(L, n, 1, "out of memory");
	L->fatal = 1;
}

static char *
xstrdup(struct loader *L, const struct hns_ynode *n, const char *s)
{
	char *p = atp_strdup(s);

	if (p == NULL)
		nomem(L, n);
	return p;
}

static int
is_scalar(struct loader *L, const struct hns_ynode *n, const char *what)
{
	if (n->type == HNS_Y_SCALAR)
		return 1;
	lmsg(L, n, 1, "%s must be a scalar, not a %s", what,
	    n->type == HNS_Y_MAP ? "map" : "list");
	return 0;
}

static char *
get_str(struct loader *L, const struct hns_ynode *n, const char *what)
{
	if (!is_scalar(L, n, what))
		return NULL;
	if (memchr(n->str, '\0', n->len) != NULL) {
		lmsg(L, n, 1, "%s holds a NUL byte (use hex: for binary data)", what);
		return NULL;
	}
	return xstrdup(L, n, n->str);
}

static int
get_uint(struct loader *L, const struct hns_ynode *n, const char *what, uint64_t max,
    uint64_t *out)
{
	int rc;

	if (!is_scalar(L, n, what))
		return -1;
	rc = atp_span_dec(atp_span_make(n->str, n->len), out, max);
	if (rc == ATP_ERR_LIMIT) {
		lmsg(L, n, 1, "%s: %s is larger than %llu", what, n->str,
		    (unsigned long long)max);
		return -1;
	}
	if (rc < 0) {
		lmsg(L, n, 1, "%s must be a whole number, not \"%s\"", what, n->str);
		return -1;
	}
	return 0;
}

/* A size: a whole number of bytes, or of KiB or MiB ("64KiB", "1MiB";
 * a space before the unit is taken), 1..@max bytes. */
static int
get_size(struct loader *L, const struct hns_ynode *n, const char *what, uint64_t max,
    uint64_t *out)
{
	struct atp_cur c;
	struct atp_span unit;
	uint64_t v, mul = 1;

	if (!is_scalar(L, n, what))
		return -1;
	c = atp_cur_make(n->str, n->len);
	if (atp_cur_dec(&c, &v, max) == ATP_ERR_LIMIT) {
		lmsg(L, n, 1, "%s: %s is larger than %llu bytes", what, n->str,
		    (unsigned long long)max);
		return -1;
	}
	unit = atp_span_make(c.p, c.left);
	while (unit.len > 0 && unit.p[0] == ' ') {
		unit.p++;
		unit.len--;
	}
	if (atp_span_eq(unit, "KiB"))
		mul = 1024u;
	else if (atp_span_eq(unit, "MiB"))
		mul = 1024u * 1024u;
	else if (unit.len > 0 && !atp_span_eq(unit, "B"))
		mul = 0;
	if (c.p == (const uint8_t *)n->str || mul == 0) {
		lmsg(L, n, 1, "%s is a size in bytes, KiB or MiB (\"1MiB\"), not \"%s\"", what,
		    n->str);
		return -1;
	}
	if (v == 0 || v > max / mul) {
		lmsg(L, n, 1, "%s must be 1 byte to %llu bytes (%llu MiB), not %s", what,
		    (unsigned long long)max, (unsigned long long)(max >> 20), n->str);
		return -1;
	}
	*out = v * mul;
	return 0;
}

static int
get_bool(struct loader *L, const struct hns_ynode *n, const char *what, int *out)
{
	static const char *const t[] = { "true", "yes", "on", "1" };
	static const char *const f[] = { "false", "no", "off", "0" };
	size_t i;

	if (!is_scalar(L, n, what))
		return -1;
	for (i = 0; i < 4; i++) {
		if (atp_span_eq_ci(atp_span_make(n->str, n->len), t[i])) {
			*out = 1;
			return 0;
		}
		if (atp_span_eq_ci(atp_span_make(n->str, n->len), f[i])) {
			*out = 0;
			return 0;
		}
	}
	lmsg(L, n, 1, "%s must be true or false, not \"%s\"", what, n->str);
	return -1;
}

int
hns_parse_duration(const char *s, uint64_t *us)
{
	struct atp_cur c = atp_cur_make(s, strlen(s));
	uint64_t v, mul;
	struct atp_span unit;

	if (atp_cur_dec(&c, &v, HNS_DEADLINE_MAX) < 0)
		return ATP_ERR_SYNTAX;
	atp_cur_until(&c, "", &unit);
	if (unit.len == 0 || atp_span_eq(unit, "ms"))
		mul = 1000;
	else if (atp_span_eq(unit, "s"))
		mul = 1000000;
	else if (atp_span_eq(unit, "us"))
		mul = 1;
	else if (atp_span_eq(unit, "min"))
		mul = 60000000;
	else
		return ATP_ERR_SYNTAX;
	if (v > HNS_DEADLINE_MAX / mul)
		return ATP_ERR_LIMIT;
	*us = v * mul;
	return ATP_OK;
}

static int
get_dur(struct loader *L, const struct hns_ynode *n, const char *what, uint64_t *out)
{
	int rc;

	if (!is_scalar(L, n, what))
		return -1;
	rc = hns_parse_duration(n->str, out);
	if (rc == ATP_ERR_LIMIT) {
		lmsg(L, n, 1, "%s: %s is longer than an hour", what, n->str);
		return -1;
	}
	if (rc < 0) {
		lmsg(L, n, 1, "%s must be a duration such as 500ms, 2s or 150us, not \"%s\"",
		    what, n->str);
		return -1;
	}
	return 0;
}

static int
get_double(struct loader *L, const struct hns_ynode *n, const char *what, double *out)
{
	char *end;

	if (!is_scalar(L, n, what))
		return -1;
	errno = 0;
	/* A scenario file is ours to read with strtod: it is not device
	 * bytes, and the scalar is NUL-terminated. */
	*out = strtod(n->str, &end);
	if (end == n->str || *end != '\0' || errno != 0) {
		lmsg(L, n, 1, "%s must be a number, not \"%s\"", what, n->str);
		return -1;
	}
	return 0;
}

static int
key_in(const char *key, const char *const *keys)
{
	size_t i;

	for (i = 0; keys[i] != NULL; i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

/* Reports keys of @m not in @keys; duplicate keys too. */
static void
check_keys(struct loader *L, const struct hns_ynode *m, const char *where,
    const char *const *keys)
{
	char list[256];
	size_t i, j, k;

	for (i = 0; i + 1 < m->nkids; i += 2) {
		const struct hns_ynode *key = m->kids[i];
		if (key->type != HNS_Y_SCALAR) {
			lmsg(L, key, 1, "keys of %s must be scalars", where);
			continue;
		}
		for (j = 0; j < i; j += 2)
			if (m->kids[j]->type == HNS_Y_SCALAR && strcmp(m->kids[j]->str, key->str) == 0)
				lmsg(L, key, 1, "key '%s' given twice in %s", key->str, where);
		if (key_in(key->str, keys))
			continue;
		list[0] = '\0';
		for (k = 0; keys[k] != NULL; k++) {
			size_t len = strlen(list);
			snprintf(list + len, sizeof(list) - len, "%s%s", k ? ", " : "", keys[k]);
		}
		lmsg(L, key, 1, "unknown key '%s' in %s (expected one of: %s)", key->str,
		    where, list);
	}
}

static int
need_map(struct loader *L, const struct hns_ynode *n, const char *what)
{
	if (n->type == HNS_Y_MAP)
		return 1;
	lmsg(L, n, 1, "%s must be a map", what);
	return 0;
}

static int
need_seq(struct loader *L, const struct hns_ynode *n, const char *what)
{
	if (n->type == HNS_Y_SEQ)
		return 1;
	lmsg(L, n, 1, "%s must be a list", what);
	return 0;
}

/* Lists of strings: a scalar counts as a list of one. */
static void
get_strlist(struct loader *L, const struct hns_ynode *n, const char *what, char ***out,
    size_t *nout)
{
	size_t i, cnt;
	char **v;

	if (n->type == HNS_Y_MAP) {
		lmsg(L, n, 1, "%s must be a list of strings", what);
		return;
	}
	cnt = n->type == HNS_Y_SCALAR ? 1 : n->nkids;
	v = atp_calloc(cnt + 1, sizeof(*v));
	if (v == NULL) {
		nomem(L, n);
		return;
	}
	for (i = 0; i < cnt; i++) {
		const struct hns_ynode *it = n->type == HNS_Y_SCALAR ? n : n->kids[i];
		v[i] = get_str(L, it, what);
		if (v[i] == NULL) {
			v[i] = xstrdup(L, it, "");
			if (v[i] == NULL)
				break;
		}
	}
	*out = v;
	*nout = i;
}

static const char *
add_file(struct loader *L, const char *path)
{
	char **f;

	f = atp_realloc(L->s->files, (L->s->nfiles + 1) * sizeof(*f));
	if (f == NULL)
		return NULL;
	L->s->files = f;
	f[L->s->nfiles] = atp_strdup(path);
	if (f[L->s->nfiles] == NULL)
		return NULL;
	return f[L->s->nfiles++];
}

/* Whether absolute path @p is @root or below it. */
static int
under_root(const char *root, const char *p)
{
	size_t rl = strlen(root);

	if (rl == 1 && root[0] == '/')
		return p[0] == '/';
	return strncmp(p, root, rl) == 0 && (p[rl] == '/' || p[rl] == '\0');
}

/*
 * Joins @rel to the real path of @dir and folds "." and ".." without
 * touching the file system, so that an escape is named as one whether or
 * not its target exists (the answer must not depend on where the checkout
 * sits). Returns 0, or -1 when the result does not fit.
 */
static int
lexical_join(const char *dir, const char *rel, char *out, size_t size)
{
	char rd[PATH_MAX];
	const char *p;
	size_t len;

	if (realpath(dir, rd) == NULL || strlen(rd) + 1 > size)
		return -1;
	len = strlen(rd);
	memcpy(out, rd, len + 1);
	if (len == 1)
		len = 0;  /* "/" */
	for (p = rel; *p != '\0';) {
		const char *e = strchr(p, '/');
		size_t cl = e != NULL ? (size_t)(e - p) : strlen(p);

		if (cl == 0 || (cl == 1 && p[0] == '.')) {
			/* empty or "." component */
		} else if (cl == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			out[len] = '\0';
		} else {
			if (len + 1 + cl + 1 > size)
				return -1;
			out[len++] = '/';
			memcpy(out + len, p, cl);
			len += cl;
			out[len] = '\0';
		}
		p += cl;
		if (*p == '/')
			p++;
	}
	if (len == 0) {
		out[0] = '/';
		out[1] = '\0';
	}
	return 0;
}

/*
 * Resolves @rel against the current file's directory. Absolute paths are
 * refused, and so is anything whose path is not under the scenario root,
 * first as written and then after symbolic links: a scenario from elsewhere
 * must not read /etc/shadow into a report.
 */
static char *
resolve(struct loader *L, const struct hns_ynode *n, const char *rel)
{
	char buf[PATH_MAX], real[PATH_MAX];

	if (rel[0] == '/') {
		lmsg(L, n, 1, "absolute path '%s': paths are relative to the scenario's "
		    "folder", rel);
		return NULL;
	}
	if (lexical_join(L->dir, rel, buf, sizeof(buf)) == 0 &&
	    !under_root(L->root, buf)) {
		lmsg(L, n, 1, "'%s' is outside the scenario root %s", rel, L->root);
		return NULL;
	}
	if ((size_t)snprintf(buf, sizeof(buf), "%s/%s", L->dir, rel) >= sizeof(buf)) {
		lmsg(L, n, 1, "path too long");
		return NULL;
	}
	if (realpath(buf, real) == NULL) {
		lmsg(L, n, 1, "cannot open '%s': %s", rel, strerror(errno));
		return NULL;
	}
	if (!under_root(L->root, real)) {
		lmsg(L, n, 1, "'%s' is outside the scenario root %s", rel, L->root);
		return NULL;
	}
	{
		char *p = atp_strdup(real);
		if (p == NULL)
			nomem(L, n);
		return p;
	}
}

static int
read_file(const char *path, char **buf, size_t *len, char *err, size_t errsize)
{
	struct stat st;
	ssize_t r;
	size_t got = 0;
	int fd;

	*buf = NULL;
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		snprintf(err, errsize, "cannot open: %s", strerror(errno));
		return ATP_ERR_IO;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "not a regular file");
		close(fd);
		return ATP_ERR_IO;
	}
	if ((uint64_t)st.st_size > HNS_FILE_MAX) {
		snprintf(err, errsize, "larger than %u bytes", (unsigned)HNS_FILE_MAX);
		close(fd);
		return ATP_ERR_LIMIT;
	}
	*buf = atp_malloc((size_t)st.st_size + 1);
	if (*buf == NULL) {
		close(fd);
		snprintf(err, errsize, "out of memory");
		return ATP_ERR_NOMEM;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, *buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	(*buf)[got] = '\0';
	*len = got;
	return ATP_OK;
}

/*
 * Names, for the undefined-variable check
 */
static void
define(struct loader *L, const char *name, size_t len)
{
	char **nn;
	size_t i;

	for (i = 0; i < L->nnames; i++)
		if (strlen(L->names[i]) == len && memcmp(L->names[i], name, len) == 0)
			return;
	if (L->nnames >= HNS_VARS_MAX * 4)
		return;
	nn = atp_realloc(L->names, (L->nnames + 1) * sizeof(*nn));
	if (nn == NULL) {
		nomem(L, NULL);
		return;
	}
	L->names = nn;
	nn[L->nnames] = atp_memdup0(name, len);
	if (nn[L->nnames] == NULL) {
		nomem(L, NULL);
		return;
	}
	L->nnames++;
}

static void
define_cb(void *ctx, const char *name, size_t len)
{
	define(ctx, name, len);
}

struct refctx {
	struct loader *L;
	const struct hns_ynode *n;
};

static void
ref_cb(void *ctx, const char *name, size_t len)
{
	struct refctx *r = ctx;
	size_t i;

	if (r->L->opts != NULL && r->L->opts->lax)
		return;
	for (i = 0; i < r->L->nnames; i++)
		if (strlen(r->L->names[i]) == len && memcmp(r->L->names[i], name, len) == 0)
			return;
	lmsg(r->L, r->n, 1, "undefined variable ${%.*s}", (int)len, name);
}

static void
check_refs(struct loader *L, const struct hns_ynode *n, const char *text)
{
	struct refctx r;
	const char *p;

	if (text == NULL)
		return;
	r.L = L;
	r.n = n;
	hns_refs(text, ref_cb, &r);
	/* A lone "${" that is not a reference is a typo more often than not. */
	for (p = strstr(text, "${"); p != NULL; p = strstr(p + 2, "${")) {
		if (p > text && p[-1] == '$')
			continue;
		if (strchr(p, '}') == NULL)
			lmsg(L, n, 1, "unterminated ${ in \"%.40s\" (write $${ for a literal)", text);
	}
}

/*
 * Matchers
 */
static void
load_matcher(struct loader *L, const struct hns_ynode *n, struct hns_matcher *m)
{
	static const char *const keys[] = { "exact", "glob", "regex", "shape", "ok", NULL };
	const struct hns_ynode *v = n;
	struct atp_diag d;

	m->pos.file = L->file;
	m->pos.line = n->line;
	m->pos.col = n->col;
	if (n->type == HNS_Y_SCALAR) {
		m->kind = HNS_M_EXACT;
	} else if (n->type == HNS_Y_MAP) {
		check_keys(L, n, "an expectation", keys);
		if (n->nkids != 2 || n->kids[0]->type != HNS_Y_SCALAR) {
			lmsg(L, n, 1, "an expectation has exactly one of exact, glob, regex, "
			    "shape, ok");
			return;
		}
		v = n->kids[1];
		if (strcmp(n->kids[0]->str, "glob") == 0)
			m->kind = HNS_M_GLOB;
		else if (strcmp(n->kids[0]->str, "regex") == 0)
			m->kind = HNS_M_REGEX;
		else if (strcmp(n->kids[0]->str, "shape") == 0)
			m->kind = HNS_M_SHAPE;
		else if (strcmp(n->kids[0]->str, "ok") == 0) {
			int b = 1;
			if (get_bool(L, v, "ok", &b) == 0 && !b)
				lmsg(L, v, 1, "ok: false means nothing; use expect_error");
			m->kind = HNS_M_OK;
			return;
		} else
			m->kind = HNS_M_EXACT;
		m->pos.line = v->line;
		m->pos.col = v->col;
	} else {
		lmsg(L, n, 1, "an expectation is a text or a map such as {glob: \"+OK=*\"}");
		return;
	}
	m->text = get_str(L, v, "an expectation");
	if (m->text == NULL)
		return;
	atp_diag_clear(&d);
	if (hns_matcher_compile(m, &d) < 0) {
		struct hns_ynode at = *v;
		/* Point at the byte at fault: PCRE2 gives an offset, the shape
		 * compiler a column. On one line that is exact; a quoted
		 * scalar starts one column after its quote. */
		size_t off = m->kind == HNS_M_REGEX ? d.offset : (d.col > 0 ? d.col - 1 : 0);
		if (strchr(m->text, '\n') == NULL)
			at.col = v->col + (v->plain ? 0 : 1) + off;
		lmsg(L, &at, 1, "%s%s", m->kind == HNS_M_SHAPE ? "bad shape pattern: " : "",
		    d.msg);
		if (d.code == ATP_ERR_NOMEM)
			L->fatal = 1;
	}
	if (m->kind == HNS_M_EXACT || m->kind == HNS_M_GLOB)
		check_refs(L, v, m->text);
}

static void
load_error(struct loader *L, const struct hns_ynode *n, struct hns_matcher *m)
{
	struct atp_span s;
	int64_t code;

	m->pos.file = L->file;
	m->pos.line = n->line;
	m->pos.col = n->col;
	if (!is_scalar(L, n, "expect_error"))
		return;
	s = atp_span_make(n->str, n->len);
	if (atp_span_eq(s, "any")) {
		m->kind = HNS_M_ANY_ERROR;
		return;
	}
	if (atp_span_sdec(s, &code, -1000000, 1000000) < 0) {
		lmsg(L, n, 1, "expect_error is an error code such as -4, or any");
		return;
	}
	m->kind = HNS_M_ERROR;
	m->errcode = (long)code;
	if (atp_errcode_find(m->errcode) == NULL)
		lmsg(L, n, 0, "error code %ld is not in the manual's list (§1.2.2)", m->errcode);
}

/*
 * Report policies: `reports: {"+SKTRPT": record, "*": forbid}`, or a map
 * value {policy: expect, count: 2}.
 */
static int
policy_word(const char *w, enum hns_rpolicy *p)
{
	static const struct { const char *w; enum hns_rpolicy p; } t[] = {
		{ "allow", HNS_RP_ALLOW }, { "record", HNS_RP_RECORD },
		{ "expect", HNS_RP_EXPECT }, { "forbid", HNS_RP_FORBID },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(w, t[i].w) == 0) {
			*p = t[i].p;
			return 0;
		}
	return -1;
}

static void
load_rules(struct loader *L, const struct hns_ynode *n, struct hns_rrule **out, size_t *nout)
{
	static const char *const keys[] = { "policy", "count", NULL };
	struct hns_rrule *r;
	size_t i, k = 0;

	if (!need_map(L, n, "reports"))
		return;
	r = atp_calloc(n->nkids / 2 + 1, sizeof(*r));
	if (r == NULL) {
		nomem(L, n);
		return;
	}
	for (i = 0; i + 1 < n->nkids; i += 2) {
		const struct hns_ynode *key = n->kids[i], *v = n->kids[i + 1];
		struct hns_rrule *rr = &r[k];
		if (!is_scalar(L, key, "a report name"))
			continue;
		if (strcmp(key->str, "*") != 0) {
			if (hns_report_find(key->str) == NULL)
				lmsg(L, key, 1, "'%s' is not a report of the protocol model "
				    "(see atproof commands)", key->str);
		}
		rr->name = xstrdup(L, key, key->str);
		rr->pos.file = L->file;
		rr->pos.line = key->line;
		rr->pos.col = key->col;
		if (v->type == HNS_Y_MAP) {
			const struct hns_ynode *p = hns_ymap_get(v, "policy");
			const struct hns_ynode *c = hns_ymap_get(v, "count");
			uint64_t cnt;
			check_keys(L, v, "a report policy", keys);
			if (p == NULL || !is_scalar(L, p, "policy") ||
			    policy_word(p->str, &rr->policy) < 0) {
				lmsg(L, p != NULL ? p : v, 1,
				    "policy is one of allow, record, expect, forbid");
			}
			if (c != NULL && get_uint(L, c, "count", 100000, &cnt) == 0) {
				rr->count = (unsigned long)cnt;
				if (rr->policy != HNS_RP_EXPECT)
					lmsg(L, c, 1, "count goes with policy: expect");
			}
		} else if (is_scalar(L, v, "a report policy") && policy_word(v->str, &rr->policy) < 0) {
			lmsg(L, v, 1, "'%s' is not a policy (allow, record, expect, forbid)", v->str);
		}
		k++;
	}
	*out = r;
	*nout = k;
}

static void
load_bound(struct loader *L, const struct hns_ynode *n, const char *what, struct hns_bound *b)
{
	static const char *const keys[] = { "min", "max", NULL };
	const struct hns_ynode *v;

	if (!need_map(L, n, what))
		return;
	check_keys(L, n, what, keys);
	v = hns_ymap_get(n, "min");
	if (v != NULL && get_dur(L, v, "min", &b->min_us) == 0)
		b->has_min = 1;
	v = hns_ymap_get(n, "max");
	if (v != NULL && get_dur(L, v, "max", &b->max_us) == 0)
		b->has_max = 1;
	if (b->has_min && b->has_max && b->min_us > b->max_us)
		lmsg(L, n, 1, "%s: min is above max", what);
}

static int
hexval(uint8_t c)
{
	if (ATP_ISDIGIT(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "00 01 ff", "0001ff", "00:01:ff": pairs of hex digits. */
static void
decode_hex(struct loader *L, const struct hns_ynode *n, struct hns_data *dt)
{
	size_t i, k = 0;
	int hi = -1, v;

	dt->bytes = atp_malloc(n->len / 2 + 1);
	if (dt->bytes == NULL) {
		nomem(L, n);
		return;
	}
	for (i = 0; i < n->len; i++) {
		uint8_t c = (uint8_t)n->str[i];
		if (c == ' ' || c == ':' || c == '\n' || c == '\t' || c == '-')
			continue;
		v = hexval(c);
		if (v < 0) {
			lmsg(L, n, 1, "hex: '%c' at offset %zu is not a hex digit",
			    ATP_ISPRINT(c) ? c : '?', i);
			return;
		}
		if (hi < 0) {
			hi = v;
		} else {
			dt->bytes[k++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		lmsg(L, n, 1, "hex: an odd number of digits");
	dt->nbytes = k;
}

/* A data source: {text|hex|file|random|var: ...} plus len for reads. */
static void
load_data(struct loader *L, const struct hns_ynode *n, const char *what, struct hns_data *dt,
    int reading)
{
	static const char *const wkeys[] = { "text", "hex", "file", "random", "var", "save",
		"len", "seed", "check_len", "peer", "topic", "qos", "retain", "connection", NULL };
	const struct hns_ynode *v;
	int nsrc = 0;

	if (n->type == HNS_Y_SCALAR) {
		dt->src = HNS_D_TEXT;
		dt->text = get_str(L, n, what);
		check_refs(L, n, dt->text);
		return;
	}
	if (!need_map(L, n, what))
		return;
	check_keys(L, n, what, wkeys);
	if ((v = hns_ymap_get(n, "text")) != NULL) {
		nsrc++;
		dt->src = HNS_D_TEXT;
		dt->text = get_str(L, v, "text");
		check_refs(L, v, dt->text);
	}
	if ((v = hns_ymap_get(n, "hex")) != NULL) {
		nsrc++;
		dt->src = HNS_D_HEX;
		if (is_scalar(L, v, "hex"))
			decode_hex(L, v, dt);
	}
	if ((v = hns_ymap_get(n, "file")) != NULL) {
		nsrc++;
		dt->src = HNS_D_FILE;
		if (is_scalar(L, v, "file"))
			dt->text = resolve(L, v, v->str);
	}
	if ((v = hns_ymap_get(n, "var")) != NULL) {
		nsrc++;
		dt->src = HNS_D_VAR;
		dt->text = get_str(L, v, "var");
		if (dt->text != NULL) {
			char ref[200];
			snprintf(ref, sizeof(ref), "${%s}", dt->text);
			check_refs(L, v, ref);
		}
	}
	if ((v = hns_ymap_get(n, "random")) != NULL) {
		static const char *const rkeys[] = { "len", "seed", NULL };
		const struct hns_ynode *x;
		nsrc++;
		dt->src = HNS_D_RANDOM;
		if (need_map(L, v, "random")) {
			check_keys(L, v, "random", rkeys);
			x = hns_ymap_get(v, "len");
			if (x == NULL)
				lmsg(L, v, 1, "random needs len");
			else {
				dt->len = get_str(L, x, "len");
				check_refs(L, x, dt->len);
			}
			x = hns_ymap_get(v, "seed");
			if (x != NULL)
				(void)get_uint(L, x, "seed", UINT64_MAX, &dt->seed);
		}
	}
	if ((v = hns_ymap_get(n, "len")) != NULL) {
		if (!reading)
			lmsg(L, v, 1, "len goes in random: {len: N, seed: S}");
		else {
			atp_free(dt->len);
			dt->len = get_str(L, v, "len");
			check_refs(L, v, dt->len);
		}
	}
	if ((v = hns_ymap_get(n, "peer")) != NULL && strncmp(what, "peer_", 5) != 0)
		lmsg(L, v, 1, "peer goes in peer_send and peer_expect");
	if ((v = hns_ymap_get(n, "topic")) != NULL && strncmp(what, "peer_", 5) != 0)
		lmsg(L, v, 1, "topic goes in a peer_send to an mqtt peer");
	if ((v = hns_ymap_get(n, "qos")) != NULL && strncmp(what, "peer_", 5) != 0)
		lmsg(L, v, 1, "qos goes in a peer_send or peer_expect of an mqtt peer");
	if ((v = hns_ymap_get(n, "retain")) != NULL && strncmp(what, "peer_", 5) != 0)
		lmsg(L, v, 1, "retain goes in a peer_send or peer_expect of an mqtt peer");
	if ((v = hns_ymap_get(n, "connection")) != NULL && strncmp(what, "peer_", 5) != 0)
		lmsg(L, v, 1, "connection goes in a peer_expect of an http-server peer");
	if (nsrc > 1)
		lmsg(L, n, 1, "%s has more than one of text, hex, file, random, var", what);
	if (nsrc == 0 && !reading)
		lmsg(L, n, 1, "%s needs one of text, hex, file, random, var", what);
	if (nsrc == 0 && reading && dt->len == NULL)
		lmsg(L, n, 1, "%s needs len, or data to compare (text, hex, file, var)", what);
}

static void
load_retry_codes(struct loader *L, const struct hns_ynode *n, struct hns_step *st)
{
	size_t i, cnt = n->type == HNS_Y_SCALAR ? 1 : n->nkids;
	int64_t code;

	if (n->type == HNS_Y_MAP) {
		lmsg(L, n, 1, "if_error is an error code or a list of them");
		return;
	}
	st->retry_codes = atp_calloc(cnt + 1, sizeof(*st->retry_codes));
	if (st->retry_codes == NULL) {
		nomem(L, n);
		return;
	}
	for (i = 0; i < cnt; i++) {
		const struct hns_ynode *it = n->type == HNS_Y_SCALAR ? n : n->kids[i];
		if (!is_scalar(L, it, "if_error"))
			continue;
		if (atp_span_sdec(atp_span_make(it->str, it->len), &code, -1000000, 1000000) < 0) {
			lmsg(L, it, 1, "if_error: '%s' is not an error code such as -8", it->str);
			continue;
		}
		st->retry_codes[st->nretry_codes++] = (long)code;
	}
}

/*
 * Steps
 */
static const char *const common_keys[] = { "id", "deadline", "first_byte", "final_byte",
	"retry", "reports", "optional", "deviation", NULL };

static const struct {
	const char *action;
	enum hns_skind kind;
	const char *const keys[10];
} actions[] = {
	{ "send", HNS_S_SEND, { "send", "expect", "expect_error", "nowait", NULL } },
	{ "cmd", HNS_S_SEND, { "cmd", "form", "args", "eol", "expect", "expect_error", "nowait",
	    NULL } },
	{ "send_data", HNS_S_SEND_DATA, { "send_data", "save", "check_len", NULL } },
	{ "read_data", HNS_S_READ_DATA, { "read_data", NULL } },
	{ "enter_transparent", HNS_S_ENTER_TRANSPARENT, { "enter_transparent", NULL } },
	{ "stream", HNS_S_STREAM, { "stream", "expect_data", NULL } },
	{ "leave_transparent", HNS_S_LEAVE_TRANSPARENT, { "leave_transparent", NULL } },
	{ "wait_report", HNS_S_WAIT_REPORT, { "wait_report", "expect", NULL } },
	{ "sleep", HNS_S_SLEEP, { "sleep", NULL } },
	{ "reset", HNS_S_RESET, { "reset", NULL } },
	{ "measure", HNS_S_MEASURE, { "measure", NULL } },
	{ "set", HNS_S_SET, { "set", NULL } },
	{ "peer_send", HNS_S_PEER_SEND, { "peer_send", NULL } },
	{ "peer_expect", HNS_S_PEER_EXPECT, { "peer_expect", NULL } },
	{ "line", HNS_S_LINE, { "line", NULL } },
	{ "baud", HNS_S_BAUD, { "baud", NULL } },
	{ "expect", HNS_S_EXPECT, { "expect", NULL } },
};
#define NACTIONS (sizeof(actions) / sizeof(actions[0]))

static int
parse_form(const char *w, enum atp_form *f)
{
	if (strcmp(w, "bare") == 0 || strcmp(w, "exec") == 0)
		*f = ATP_FORM_BARE;
	else if (strcmp(w, "set") == 0)
		*f = ATP_FORM_SET;
	else if (strcmp(w, "flash") == 0 || strcmp(w, "set_save") == 0)
		*f = ATP_FORM_FLASH;
	else if (strcmp(w, "query") == 0)
		*f = ATP_FORM_QUERY;
	else
		return -1;
	return 0;
}

static void
load_send(struct loader *L, const struct hns_ynode *n, struct hns_step *st)
{
	const struct hns_ynode *v, *e, *ee;
	size_t i;
	int negative;

	e = hns_ymap_get(n, "expect");
	ee = hns_ymap_get(n, "expect_error");
	if (e != NULL && ee != NULL)
		lmsg(L, ee, 1, "a step has expect or expect_error, not both");
	if (e != NULL)
		load_matcher(L, e, &st->expect);
	else if (ee != NULL)
		load_error(L, ee, &st->expect);
	else
		st->expect.kind = HNS_M_OK;
	negative = ee != NULL;
	if ((v = hns_ymap_get(n, "nowait")) != NULL) {
		(void)get_bool(L, v, "nowait", &st->nowait);
		if (st->nowait && (e != NULL || ee != NULL))
			lmsg(L, v, 1, "nowait: the response goes to a later expect step, so this "
			    "step has no expect or expect_error");
	}
	if ((v = hns_ymap_get(n, "send")) != NULL) {
		st->raw = get_str(L, v, "send");
		if (st->raw == NULL)
			return;
		check_refs(L, v, st->raw);
		/* A literal command line is checked like a cmd: step. */
		if (strstr(st->raw, "${") == NULL) {
			struct atp_cmdline cl;
			struct atp_span line = atp_span_str(st->raw);
			if (atp_cmdline_parse(line, &cl, NULL) == ATP_OK) {
				st->cmdp = cl.cmd;
				st->form = cl.form;
				if (cl.cmd == NULL && !negative)
					lmsg(L, v, 1, "unknown command AT+%.*s (not in the manual; "
					    "expect_error for a negative test)", (int)cl.name.len,
					    (const char *)cl.name.p);
				else if (cl.cmd != NULL && !(cl.cmd->forms & cl.form) && !negative)
					lmsg(L, v, 1, "AT+%s does not have the %s form (§%s); "
					    "expect_error for a negative test", cl.cmd->name,
					    atp_form_name(cl.form), cl.cmd->section);
			}
		}
		return;
	}
	v = hns_ymap_get(n, "cmd");
	st->cmd = get_str(L, v, "cmd");
	if (st->cmd == NULL)
		return;
	st->cmdp = atp_cmd_find_str(st->cmd);
	if (st->cmdp == NULL && !negative)
		lmsg(L, v, 1, "unknown command '%s' (see atproof commands; use expect_error "
		    "for a negative test)", st->cmd);
	if ((v = hns_ymap_get(n, "args")) != NULL) {
		const struct hns_ynode *a = v;
		if (v->type == HNS_Y_MAP) {
			lmsg(L, v, 1, "args must be a list");
		} else {
			st->nargs = v->type == HNS_Y_SCALAR ? 1 : v->nkids;
			if (st->nargs > ATP_ARGS_MAX && !negative)
				lmsg(L, v, 1, "more than %d arguments", ATP_ARGS_MAX);
			st->args = atp_calloc(st->nargs + 1, sizeof(*st->args));
			if (st->args == NULL) {
				nomem(L, v);
				st->nargs = 0;
				return;
			}
			for (i = 0; i < st->nargs; i++) {
				a = v->type == HNS_Y_SCALAR ? v : v->kids[i];
				st->args[i] = get_str(L, a, "an argument");
				if (st->args[i] == NULL)
					st->args[i] = xstrdup(L, a, "");
				check_refs(L, a, st->args[i]);
			}
		}
	}
	st->form = st->nargs > 0 ? ATP_FORM_SET : ATP_FORM_BARE;
	if ((v = hns_ymap_get(n, "form")) != NULL && is_scalar(L, v, "form")) {
		if (parse_form(v->str, &st->form) < 0)
			lmsg(L, v, 1, "form is one of bare, set, flash, query; not '%s'", v->str);
		else if ((st->form == ATP_FORM_BARE || st->form == ATP_FORM_QUERY) &&
		    st->nargs > 0)
			lmsg(L, v, 1, "the %s form takes no arguments", atp_form_name(st->form));
	}
	if (st->cmdp != NULL && !(st->cmdp->forms & st->form) && !negative)
		lmsg(L, v != NULL ? v : n, 1, "AT+%s does not have the %s form (§%s); "
		    "expect_error for a negative test", st->cmdp->name,
		    atp_form_name(st->form), st->cmdp->section);
	if ((v = hns_ymap_get(n, "eol")) != NULL) {
		st->eol = get_str(L, v, "eol");
		if (st->eol != NULL && strspn(st->eol, "\r\n") != strlen(st->eol))
			lmsg(L, v, 1, "eol is made of CR and LF only");
	}
}

static void load_steps(struct loader *L, const struct hns_ynode *n, struct hns_step **out,
    size_t *nout, size_t *cap);

static const struct hns_peerdef *
find_peer(struct loader *L, const char *name)
{
	size_t i;

	for (i = 0; i < L->s->npeers; i++)
		if (strcmp(L->s->peers[i].name, name) == 0)
			return &L->s->peers[i];
	return NULL;
}

/*
 * What a message carries beside its bytes: an MQTT publication's QoS and
 * retain flag (peer_send publishes with them, peer_expect wants them), an
 * HTTP request's connection (peer_expect: every request it takes came on
 * the peer's Nth connection, to see keep-alive at work).
 */
static void
load_peer_meta(struct loader *L, const struct hns_ynode *v, struct hns_step *st,
    const char *what)
{
	const struct hns_peerdef *pd = st->peer != NULL ? find_peer(L, st->peer) : NULL;
	const struct hns_ynode *x;
	uint64_t u;

	if ((x = hns_ymap_get(v, "qos")) != NULL) {
		if (pd != NULL && pd->type != HNS_P_MQTT)
			lmsg(L, x, 1, "qos goes with an mqtt peer ('%s' is not one)", st->peer);
		else if (get_uint(L, x, "qos", 2, &u) == 0)
			st->qos = (int)u;
	}
	if ((x = hns_ymap_get(v, "retain")) != NULL) {
		if (pd != NULL && pd->type != HNS_P_MQTT)
			lmsg(L, x, 1, "retain goes with an mqtt peer ('%s' is not one)", st->peer);
		else
			(void)get_bool(L, x, "retain", &st->retain);
	}
	if ((x = hns_ymap_get(v, "connection")) != NULL) {
		if (st->kind != HNS_S_PEER_EXPECT)
			lmsg(L, x, 1, "connection goes in %s's peer_expect, not in %s",
			    "an http-server", what);
		else if (pd != NULL && pd->type != HNS_P_HTTP)
			lmsg(L, x, 1, "connection goes with an http-server peer ('%s' is not one)",
			    st->peer);
		else if (get_uint(L, x, "connection", 1000000, &u) != 0)
			;    /* said; u is not set */
		else if (u == 0)
			lmsg(L, x, 1, "connection counts from 1 (the peer's first connection)");
		else
			st->conn = (unsigned)u;
	}
}

/*
 * Network peers: `peers: {srv: {type: tcp-server, echo: true}}`. Each is
 * started on a free loopback port; ${peers.srv.host} and ${peers.srv.port}
 * say where (the emulator's world maps the scenario's addresses there).
 */
#define HNS_PEERS_MAX 8

/* answers: {"/status": {status: 200, body: "ok", type: text/plain}} */
static void
load_answers(struct loader *L, const struct hns_ynode *n, struct hns_peerdef *pd)
{
	static const char *const keys[] = { "status", "body", "type", NULL };
	size_t i;
	uint64_t st;

	if (!need_map(L, n, "answers"))
		return;
	pd->answers = atp_calloc(n->nkids / 2 + 1, sizeof(*pd->answers));
	if (pd->answers == NULL) {
		nomem(L, n);
		return;
	}
	for (i = 0; i + 1 < n->nkids; i += 2) {
		const struct hns_ynode *k = n->kids[i], *v = n->kids[i + 1], *x;
		struct hns_http_answer *a = &pd->answers[pd->nanswers];
		if (!is_scalar(L, k, "a path") || !need_map(L, v, "an answer"))
			continue;
		if (k->str[0] != '/' && strcmp(k->str, "*") != 0) {
			lmsg(L, k, 1, "a path starts with / (or is * for any other)");
			continue;
		}
		check_keys(L, v, "an answer", keys);
		a->status = 200;
		if ((x = hns_ymap_get(v, "status")) != NULL && get_uint(L, x, "status", 599, &st) == 0)
			a->status = (unsigned)st;
		if (a->status < 100)
			lmsg(L, x, 1, "status is 100..599");
		a->path = xstrdup(L, k, k->str);
		a->body = (x = hns_ymap_get(v, "body")) != NULL ? get_str(L, x, "body") :
		    xstrdup(L, v, "");
		if ((x = hns_ymap_get(v, "type")) != NULL)
			a->type = get_str(L, x, "type");
		if (a->path == NULL || a->body == NULL) {
			atp_free(a->path);
			atp_free(a->body);
			atp_free(a->type);
			continue;
		}
		pd->nanswers++;
	}
}

static void
load_peers(struct loader *L, const struct hns_ynode *n)
{
	static const char *const keys[] = { "type", "echo", "answers", "subscribe", "port",
		"reset_after", "max_body", NULL };
	struct hns_scenario *s = L->s;
	size_t i;
	char nm[160];

	if (!need_map(L, n, "peers"))
		return;
	if (n->nkids / 2 > HNS_PEERS_MAX) {
		lmsg(L, n, 1, "more than %d peers", HNS_PEERS_MAX);
		return;
	}
	s->peers = atp_calloc(n->nkids / 2 + 1, sizeof(*s->peers));
	if (s->peers == NULL) {
		nomem(L, n);
		return;
	}
	for (i = 0; i + 1 < n->nkids; i += 2) {
		const struct hns_ynode *k = n->kids[i], *v = n->kids[i + 1], *t;
		struct hns_peerdef *pd = &s->peers[s->npeers];
		if (!is_scalar(L, k, "a peer name") || !need_map(L, v, "a peer"))
			continue;
		check_keys(L, v, "a peer", keys);
		t = hns_ymap_get(v, "type");
		if (t == NULL || !is_scalar(L, t, "type") ||
		    (strcmp(t->str, "tcp-server") != 0 && strcmp(t->str, "udp") != 0 &&
		    strcmp(t->str, "http-server") != 0 && strcmp(t->str, "mqtt") != 0)) {
			lmsg(L, t != NULL ? t : v, 1, "a peer's type is tcp-server, udp, http-server "
			    "or mqtt");
			continue;
		}
		pd->type = strcmp(t->str, "udp") == 0 ? HNS_P_UDP :
		    strcmp(t->str, "http-server") == 0 ? HNS_P_HTTP :
		    strcmp(t->str, "mqtt") == 0 ? HNS_P_MQTT : HNS_P_TCP_SERVER;
		if (hns_ymap_get(v, "echo") != NULL)
			(void)get_bool(L, hns_ymap_get(v, "echo"), "echo", &pd->echo);
		if ((t = hns_ymap_get(v, "port")) != NULL) {
			uint64_t port = 0;
			if (pd->type == HNS_P_MQTT)
				lmsg(L, t, 1, "an mqtt peer's port is a free one: port goes with "
				    "tcp-server, udp and http-server");
			else if (get_uint(L, t, "port", 65535, &port) == 0 && port == 0)
				lmsg(L, t, 1, "port must be 1..65535 (leave it out for a free one)");
			pd->port = (unsigned)port;
		}
		if ((t = hns_ymap_get(v, "reset_after")) != NULL) {
			if (pd->type != HNS_P_TCP_SERVER)
				lmsg(L, t, 1, "reset_after goes with tcp-server");
			else if (get_uint(L, t, "reset_after", HNS_DATA_MAX, &pd->reset_after) == 0 &&
			    pd->reset_after == 0)
				lmsg(L, t, 1, "reset_after must be 1 or more bytes");
		}
		/* The HTTP peer's body ceiling (64 KiB unless set), bounded by
		 * what a peer keeps for peer_expect (HNS_DATA_MAX). */
		if ((t = hns_ymap_get(v, "max_body")) != NULL) {
			if (pd->type != HNS_P_HTTP)
				lmsg(L, t, 1, "max_body goes with http-server");
			else
				(void)get_size(L, t, "max_body", HNS_HTTP_BODY_HARD_MAX,
				    &pd->max_body);
		}
		pd->name = xstrdup(L, k, k->str);
		if (pd->name == NULL)
			return;
		if (hns_ymap_get(v, "subscribe") != NULL) {
			if (pd->type != HNS_P_MQTT)
				lmsg(L, hns_ymap_get(v, "subscribe"), 1, "subscribe goes with mqtt");
			else
				get_strlist(L, hns_ymap_get(v, "subscribe"), "subscribe", &pd->topics,
				    &pd->ntopics);
		}
		if (hns_ymap_get(v, "answers") != NULL) {
			if (pd->type != HNS_P_HTTP)
				lmsg(L, hns_ymap_get(v, "answers"), 1, "answers go with http-server");
			else
				load_answers(L, hns_ymap_get(v, "answers"), pd);
		}
		pd->pos.file = L->file;
		pd->pos.line = k->line;
		pd->pos.col = k->col;
		snprintf(nm, sizeof(nm), "peers.%s.host", pd->name);
		define(L, nm, strlen(nm));
		snprintf(nm, sizeof(nm), "peers.%s.port", pd->name);
		define(L, nm, strlen(nm));
		s->npeers++;
	}
}

static const struct block *
find_block(struct loader *L, const char *name)
{
	size_t i;

	for (i = 0; i < L->nblocks; i++)
		if (strcmp(L->blocks[i].name, name) == 0)
			return &L->blocks[i];
	return NULL;
}

static void
step_name(struct hns_step *st)
{
	char buf[160];

	switch (st->kind) {
	case HNS_S_SEND:
		if (st->cmd != NULL)
			snprintf(buf, sizeof(buf), "AT+%s%s%s", st->cmd, atp_form_op(st->form),
			    st->nargs > 0 ? "..." : "");
		else
			snprintf(buf, sizeof(buf), "send %.60s", st->raw != NULL ? st->raw : "");
		break;
	case HNS_S_EXPECT: snprintf(buf, sizeof(buf), "expect"); break;
	case HNS_S_SEND_DATA: snprintf(buf, sizeof(buf), "send_data"); break;
	case HNS_S_READ_DATA: snprintf(buf, sizeof(buf), "read_data"); break;
	case HNS_S_ENTER_TRANSPARENT: snprintf(buf, sizeof(buf), "enter_transparent"); break;
	case HNS_S_STREAM: snprintf(buf, sizeof(buf), "stream"); break;
	case HNS_S_LEAVE_TRANSPARENT: snprintf(buf, sizeof(buf), "leave_transparent"); break;
	case HNS_S_WAIT_REPORT:
		snprintf(buf, sizeof(buf), "wait_report %s", st->report ? st->report : "");
		break;
	case HNS_S_SLEEP: snprintf(buf, sizeof(buf), "sleep"); break;
	case HNS_S_RESET:
		snprintf(buf, sizeof(buf), "reset%s", st->rline == 1 ? " by dtr" :
		    st->rline == 2 ? " by rts" : "");
		break;
	case HNS_S_MEASURE:
		snprintf(buf, sizeof(buf), "measure %s", st->mname ? st->mname : "");
		break;
	case HNS_S_SET: snprintf(buf, sizeof(buf), "set"); break;
	case HNS_S_PEER_SEND:
		snprintf(buf, sizeof(buf), "peer_send %s", st->peer ? st->peer : "");
		break;
	case HNS_S_PEER_EXPECT:
		snprintf(buf, sizeof(buf), "peer_expect %s", st->peer ? st->peer : "");
		break;
	case HNS_S_LINE: snprintf(buf, sizeof(buf), "line"); break;
	case HNS_S_BAUD:
		snprintf(buf, sizeof(buf), "baud %lu%s%s%s%s", st->baud,
		    st->databits == 7 ? ", 7 data bits" : st->databits == 8 ? ", 8 data bits" : "",
		    st->stopbits == 1 ? ", 1 stop bit" : st->stopbits == 2 ? ", 2 stop bits" : "",
		    st->parity == 'N' ? ", no parity" : st->parity == 'O' ? ", odd parity" : "",
		    st->parity == 'E' ? ", even parity" : "");
		break;
	}
	/* Escape CR and LF so one step stays on one line in every report. */
	{
		char esc[200];
		atp_span_escape(atp_span_str(buf), esc, sizeof(esc));
		st->name = atp_strdup(esc);
	}
}

static void
load_one_step(struct loader *L, const struct hns_ynode *n, struct hns_step *st)
{
	const char *keys[24];
	const struct hns_ynode *v;
	size_t i, k, a = NACTIONS, nact = 0;
	uint64_t u;

	st->pos.file = L->file;
	st->pos.line = n->line;
	st->pos.col = n->col;
	st->check_len = 1;
	st->qos = -1;
	st->retain = -1;
	/* The action decides the kind; `expect` alone is an action only when
	 * nothing else is. */
	for (i = 0; i < NACTIONS; i++) {
		if (hns_ymap_get(n, actions[i].action) == NULL)
			continue;
		if (i == NACTIONS - 1 && nact > 0)
			continue;
		if (nact++ == 0)
			a = i;
		else
			lmsg(L, hns_ymap_get(n, actions[i].action), 1,
			    "a step does one thing: '%s' and '%s' together", actions[a].action,
			    actions[i].action);
	}
	if (a == NACTIONS) {
		lmsg(L, n, 1, "a step needs an action: send, cmd, expect, send_data, read_data, "
		    "enter_transparent, stream, leave_transparent, wait_report, sleep, reset, "
		    "measure, set, peer_send, peer_expect, line or use");
		return;
	}
	st->kind = actions[a].kind;
	k = 0;
	for (i = 0; common_keys[i] != NULL; i++)
		keys[k++] = common_keys[i];
	for (i = 0; actions[a].keys[i] != NULL; i++)
		keys[k++] = actions[a].keys[i];
	keys[k] = NULL;
	check_keys(L, n, "this step", keys);

	if ((v = hns_ymap_get(n, "id")) != NULL)
		st->name = get_str(L, v, "id");
	if ((v = hns_ymap_get(n, "deadline")) != NULL)
		(void)get_dur(L, v, "deadline", &st->deadline_us);
	if ((v = hns_ymap_get(n, "first_byte")) != NULL)
		load_bound(L, v, "first_byte", &st->first);
	if ((v = hns_ymap_get(n, "final_byte")) != NULL)
		load_bound(L, v, "final_byte", &st->final);
	if ((v = hns_ymap_get(n, "optional")) != NULL)
		(void)get_bool(L, v, "optional", &st->optional);
	if ((v = hns_ymap_get(n, "deviation")) != NULL && is_scalar(L, v, "deviation")) {
		st->deviation = atp_deviation_find(v->str);
		if (st->deviation == NULL)
			lmsg(L, v, 1, "deviation: '%s' is no deviation of the catalogue "
			    "(atproof commands lists them)", v->str);
	}
	if ((v = hns_ymap_get(n, "reports")) != NULL)
		load_rules(L, v, &st->rules, &st->nrules);
	if ((v = hns_ymap_get(n, "retry")) != NULL) {
		static const char *const rkeys[] = { "max", "delay", "if_error", NULL };
		const struct hns_ynode *x = v, *c;
		if (v->type == HNS_Y_MAP) {
			check_keys(L, v, "retry", rkeys);
			x = hns_ymap_get(v, "max");
			/* Conditional: retry only on these error codes (a busy
			 * module's -8), never on a wrong answer. */
			if ((c = hns_ymap_get(v, "if_error")) != NULL)
				load_retry_codes(L, c, st);
			if ((v = hns_ymap_get(v, "delay")) != NULL)
				(void)get_dur(L, v, "delay", &st->retry_delay_us);
		}
		if (x == NULL)
			lmsg(L, v, 1, "retry needs max");
		else if (get_uint(L, x, "retry", HNS_RETRY_MAX, &u) == 0)
			st->retry = (unsigned)u;
		if (st->form == ATP_FORM_FLASH)
			lmsg(L, x, 0, "retrying a =! command writes flash again");
	}

	switch (st->kind) {
	case HNS_S_SEND:
		load_send(L, n, st);
		if (st->retry > 0 && st->form == ATP_FORM_FLASH)
			lmsg(L, n, 0, "retry on a =! step writes the flash on every attempt");
		break;
	case HNS_S_EXPECT:
		load_matcher(L, hns_ymap_get(n, "expect"), &st->expect);
		break;
	case HNS_S_SEND_DATA:
		load_data(L, hns_ymap_get(n, "send_data"), "send_data", &st->data, 0);
		if ((v = hns_ymap_get(n, "save")) != NULL) {
			st->save = get_str(L, v, "save");
			if (st->save != NULL)
				define(L, st->save, strlen(st->save));
		}
		if ((v = hns_ymap_get(n, "check_len")) != NULL)
			(void)get_bool(L, v, "check_len", &st->check_len);
		break;
	case HNS_S_READ_DATA:
		load_data(L, hns_ymap_get(n, "read_data"), "read_data", &st->data, 1);
		break;
	case HNS_S_ENTER_TRANSPARENT:
		st->expect.kind = HNS_M_OK;
		break;
	case HNS_S_STREAM:
		load_data(L, hns_ymap_get(n, "stream"), "stream", &st->data, 0);
		if ((v = hns_ymap_get(n, "expect_data")) != NULL)
			load_data(L, v, "expect_data", &st->want, 0);
		break;
	case HNS_S_LEAVE_TRANSPARENT:
		/* The guard silence before and after "+++": the firmware knows
		 * the escape only as a lone 3-byte burst (w600-firmware.md §9). */
		st->sleep_us = 100000;
		v = hns_ymap_get(n, "leave_transparent");
		if (v->type == HNS_Y_MAP) {
			static const char *const gkeys[] = { "guard", NULL };
			const struct hns_ynode *g = hns_ymap_get(v, "guard");
			check_keys(L, v, "leave_transparent", gkeys);
			if (g != NULL)
				(void)get_dur(L, g, "guard", &st->sleep_us);
		}
		st->expect.kind = HNS_M_OK;
		break;
	case HNS_S_WAIT_REPORT:
		v = hns_ymap_get(n, "wait_report");
		st->report = get_str(L, v, "wait_report");
		if (st->report != NULL) {
			const struct atp_report *r = hns_report_find(st->report);
			if (r == NULL)
				lmsg(L, v, 1, "'%s' is not a report of the protocol model", st->report);
			else if (atp_report_shape(r) != NULL) {
				/* The report's own fields are captured. */
				const struct atp_shape *sh = atp_report_shape(r);
				for (i = 0; i < atp_shape_nfields(sh); i++)
					define(L, atp_shape_field(sh, i)->name,
					    strlen(atp_shape_field(sh, i)->name));
			}
		}
		if ((v = hns_ymap_get(n, "expect")) != NULL)
			load_matcher(L, v, &st->expect);
		break;
	case HNS_S_SLEEP:
		(void)get_dur(L, hns_ymap_get(n, "sleep"), "sleep", &st->sleep_us);
		break;
	case HNS_S_RESET:
		st->sleep_us = 500000;
		st->pulse_us = 100000;
		st->ractive = 1;
		v = hns_ymap_get(n, "reset");
		if (v->type == HNS_Y_MAP) {
			static const char *const skeys[] = { "settle", "line", "pulse", "active", NULL };
			const struct hns_ynode *g = hns_ymap_get(v, "settle");
			check_keys(L, v, "reset", skeys);
			if (g != NULL)
				(void)get_dur(L, g, "settle", &st->sleep_us);
			/* A reset pin wired to DTR or RTS (auto-reset circuits):
			 * a pulse, then AT+ until the module answers. */
			if ((g = hns_ymap_get(v, "line")) != NULL && is_scalar(L, g, "line")) {
				if (strcmp(g->str, "dtr") == 0)
					st->rline = 1;
				else if (strcmp(g->str, "rts") == 0)
					st->rline = 2;
				else
					lmsg(L, g, 1, "reset line is dtr or rts, not \"%s\"", g->str);
			}
			if ((g = hns_ymap_get(v, "pulse")) != NULL)
				(void)get_dur(L, g, "pulse", &st->pulse_us);
			if ((g = hns_ymap_get(v, "active")) != NULL)
				(void)get_bool(L, g, "active", &st->ractive);
			if ((hns_ymap_get(v, "pulse") != NULL || hns_ymap_get(v, "active") != NULL) &&
			    hns_ymap_get(v, "line") == NULL)
				lmsg(L, v, 1, "pulse and active go with line: dtr or rts");
		}
		st->cmdp = atp_cmd_find_str("Z");
		st->form = ATP_FORM_BARE;
		st->expect.kind = HNS_M_OK;
		break;
	case HNS_S_MEASURE: {
		static const char *const mkeys[] = { "name", "value", "unit", "min", "max", NULL };
		v = hns_ymap_get(n, "measure");
		if (!need_map(L, v, "measure"))
			break;
		check_keys(L, v, "measure", mkeys);
		if (hns_ymap_get(v, "name") == NULL || hns_ymap_get(v, "value") == NULL)
			lmsg(L, v, 1, "measure needs name and value");
		if (hns_ymap_get(v, "name") != NULL)
			st->mname = get_str(L, hns_ymap_get(v, "name"), "name");
		if (hns_ymap_get(v, "value") != NULL) {
			st->mvalue = get_str(L, hns_ymap_get(v, "value"), "value");
			check_refs(L, hns_ymap_get(v, "value"), st->mvalue);
		}
		if (hns_ymap_get(v, "unit") != NULL)
			st->munit = get_str(L, hns_ymap_get(v, "unit"), "unit");
		if (hns_ymap_get(v, "min") != NULL &&
		    get_double(L, hns_ymap_get(v, "min"), "min", &st->mmin) == 0)
			st->has_mmin = 1;
		if (hns_ymap_get(v, "max") != NULL &&
		    get_double(L, hns_ymap_get(v, "max"), "max", &st->mmax) == 0)
			st->has_mmax = 1;
		break;
	}
	case HNS_S_PEER_SEND:
	case HNS_S_PEER_EXPECT: {
		const char *what = st->kind == HNS_S_PEER_SEND ? "peer_send" : "peer_expect";
		const struct hns_ynode *p;
		v = hns_ymap_get(n, what);
		load_data(L, v, what, &st->data, st->kind == HNS_S_PEER_EXPECT);
		p = v->type == HNS_Y_MAP ? hns_ymap_get(v, "peer") : NULL;
		if (p == NULL) {
			lmsg(L, v, 1, "%s needs peer: the name of one of the scenario's peers", what);
			break;
		}
		st->peer = get_str(L, p, "peer");
		if (st->peer != NULL && find_peer(L, st->peer) == NULL &&
		    !(L->opts != NULL && L->opts->lax))
			lmsg(L, p, 1, "no peer named '%s' (peers: at the top of the scenario)",
			    st->peer);
		if ((p = hns_ymap_get(v, "topic")) != NULL) {
			st->topic = get_str(L, p, "topic");
			check_refs(L, p, st->topic);
			if (st->kind != HNS_S_PEER_SEND || (st->peer != NULL &&
			    find_peer(L, st->peer) != NULL && find_peer(L, st->peer)->type != HNS_P_MQTT))
				lmsg(L, p, 1, "topic goes in a peer_send to an mqtt peer");
		} else if (st->kind == HNS_S_PEER_SEND && st->peer != NULL &&
		    find_peer(L, st->peer) != NULL && find_peer(L, st->peer)->type == HNS_P_MQTT) {
			lmsg(L, v, 1, "a peer_send to an mqtt peer needs topic");
		}
		load_peer_meta(L, v, st, what);
		break;
	}
	case HNS_S_BAUD: {
		/* AT+UART's rates as the firmware takes them (wm_uart.c:36,
		 * w600-firmware.md §3); the manual lists 1200..115200
		 * (§2.2.2.20), the rest is uart-more-rates. */
		static const unsigned long rates[] = { 600, 1200, 1800, 2400, 4800, 9600, 19200,
			38400, 57600, 115200, 230400, 460800, 921600, 1000000, 1250000, 1500000,
			2000000 };
		static const char *const bkeys[] = { "rate", "databits", "stopbits", "parity",
			NULL };
		const struct hns_ynode *x;
		v = hns_ymap_get(n, "baud");
		if (v != NULL && v->type == HNS_Y_MAP) {
			/* { rate: N, databits: 7|8, stopbits: 1|2, parity:
			 * none|odd|even }: AT+UART's data bits, stop bits and
			 * parity (§2.2.2.20) as the host sets them */
			check_keys(L, v, "baud", bkeys);
			if ((x = hns_ymap_get(v, "databits")) != NULL &&
			    get_uint(L, x, "databits", 8, &u) == 0) {
				if (u != 7 && u != 8)
					lmsg(L, x, 1, "databits is 7 or 8 (AT+UART's data bit 1 or 0)");
				st->databits = (int)u;
			}
			if ((x = hns_ymap_get(v, "stopbits")) != NULL &&
			    get_uint(L, x, "stopbits", 2, &u) == 0) {
				if (u != 1 && u != 2)
					lmsg(L, x, 1, "stopbits is 1 or 2");
				st->stopbits = (int)u;
			}
			if ((x = hns_ymap_get(v, "parity")) != NULL && is_scalar(L, x, "parity")) {
				if (strcmp(x->str, "none") == 0)
					st->parity = 'N';
				else if (strcmp(x->str, "odd") == 0)
					st->parity = 'O';
				else if (strcmp(x->str, "even") == 0)
					st->parity = 'E';
				else
					lmsg(L, x, 1, "parity is none, odd or even");
			}
			if ((v = hns_ymap_get(v, "rate")) == NULL) {
				lmsg(L, hns_ymap_get(n, "baud"), 1, "baud needs rate");
				break;
			}
		}
		if (get_uint(L, v, "baud", 4000000, &u) < 0)
			break;
		st->baud = (unsigned long)u;
		for (k = 0; k < sizeof(rates) / sizeof(rates[0]) && rates[k] != u; k++)
			;
		if (k == sizeof(rates) / sizeof(rates[0]))
			lmsg(L, v, 1, "baud: %lu is none of AT+UART's rates (600 .. 2000000, "
			    "§2.2.2.20 and wm_uart.c:36)", st->baud);
		break;
	}
	case HNS_S_LINE: {
		static const char *const lkeys[] = { "dtr", "rts", "break", NULL };
		const struct hns_ynode *x;
		st->dtr = st->rts = -1;
		v = hns_ymap_get(n, "line");
		if (!need_map(L, v, "line"))
			break;
		check_keys(L, v, "line", lkeys);
		if ((x = hns_ymap_get(v, "dtr")) != NULL)
			(void)get_bool(L, x, "dtr", &st->dtr);
		if ((x = hns_ymap_get(v, "rts")) != NULL)
			(void)get_bool(L, x, "rts", &st->rts);
		if ((x = hns_ymap_get(v, "break")) != NULL)
			(void)get_dur(L, x, "break", &st->break_us);
		if (v->nkids == 0)
			lmsg(L, v, 1, "line sets dtr, rts or break");
		break;
	}
	case HNS_S_SET:
		v = hns_ymap_get(n, "set");
		if (!need_map(L, v, "set"))
			break;
		st->sets = atp_calloc(v->nkids / 2 + 1, sizeof(*st->sets));
		if (st->sets == NULL) {
			nomem(L, v);
			break;
		}
		for (i = 0; i + 1 < v->nkids; i += 2) {
			struct hns_kv *kv = &st->sets[st->nsets];
			if (!is_scalar(L, v->kids[i], "a variable name"))
				continue;
			kv->name = xstrdup(L, v->kids[i], v->kids[i]->str);
			kv->value = get_str(L, v->kids[i + 1], "a value");
			if (kv->name == NULL || kv->value == NULL) {
				atp_free(kv->name);
				atp_free(kv->value);
				continue;
			}
			check_refs(L, v->kids[i + 1], kv->value);
			define(L, kv->name, strlen(kv->name));
			st->nsets++;
		}
		break;
	}
	/* What the step captures is defined for the steps after it. */
	hns_matcher_names(&st->expect, define_cb, L);
	if (st->name == NULL)
		step_name(st);
	if (st->name == NULL)
		nomem(L, n);
}

static void
push_step(struct loader *L, const struct hns_ynode *n, struct hns_step **out, size_t *nout,
    size_t *cap, struct hns_step **slot)
{
	struct hns_step *ns;

	*slot = NULL;
	if (L->nsteps_total >= HNS_STEPS_MAX) {
		if (!L->fatal)
			lmsg(L, n, 1, "more than %d steps (blocks expanded)", HNS_STEPS_MAX);
		L->fatal = 1;
		return;
	}
	if (*nout == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		ns = atp_realloc(*out, nc * sizeof(*ns));
		if (ns == NULL) {
			nomem(L, n);
			return;
		}
		*out = ns;
		*cap = nc;
	}
	*slot = &(*out)[(*nout)++];
	memset(*slot, 0, sizeof(**slot));
	L->nsteps_total++;
}

/* A scenario that moves the host's rate should move it back in its
 * teardown, after the AT+UART that moves the module: the runner puts the
 * host side back by itself, but only the scenario can talk the module back
 * (a module left at another rate answers nothing that follows). */
static void
check_baud_back(struct loader *L, const struct hns_ynode *root)
{
	const struct hns_scenario *s = L->s;
	size_t i;
	int moved = 0, back = 0;

	for (i = 0; i < s->nsetup; i++)
		moved |= s->setup[i].kind == HNS_S_BAUD;
	for (i = 0; i < s->nsteps; i++)
		moved |= s->steps[i].kind == HNS_S_BAUD;
	for (i = 0; i < s->nteardown; i++)
		back |= s->teardown[i].kind == HNS_S_BAUD;
	if (moved && !back && !(L->opts != NULL && L->opts->lax))
		lmsg(L, root, 0, "a baud step and no baud step in the teardown: a failure "
		    "half-way leaves the module at another rate");
}

static void
load_steps(struct loader *L, const struct hns_ynode *n, struct hns_step **out, size_t *nout,
    size_t *cap)
{
	struct hns_step *st;
	size_t i;

	if (!need_seq(L, n, "steps"))
		return;
	for (i = 0; i < n->nkids && !L->fatal; i++) {
		const struct hns_ynode *it = n->kids[i], *u;
		if (it->type != HNS_Y_MAP) {
			lmsg(L, it, 1, "a step must be a map such as {cmd: QVER}");
			continue;
		}
		if ((u = hns_ymap_get(it, "use")) != NULL) {
			const struct block *b;
			const char *sf = L->file, *sd = L->dir;
			if (it->nkids != 2)
				lmsg(L, it, 1, "a use: step has nothing else");
			if (!is_scalar(L, u, "use"))
				continue;
			b = find_block(L, u->str);
			if (b == NULL) {
				lmsg(L, u, 1, "no block named '%s' (blocks come from include:)", u->str);
				continue;
			}
			if (L->use_depth >= HNS_USE_DEPTH_MAX) {
				lmsg(L, u, 1, "blocks use each other more than %d deep (a loop?)",
				    HNS_USE_DEPTH_MAX);
				continue;
			}
			L->use_depth++;
			L->file = b->file;
			L->dir = b->dir;
			load_steps(L, b->steps, out, nout, cap);
			L->file = sf;
			L->dir = sd;
			L->use_depth--;
			continue;
		}
		push_step(L, it, out, nout, cap, &st);
		if (st == NULL)
			return;
		load_one_step(L, it, st);
	}
}

static void
add_blocks(struct loader *L, const struct hns_ynode *bl, const char *file, const char *dir)
{
	struct block *nb;
	size_t i;

	if (!need_map(L, bl, "blocks"))
		return;
	for (i = 0; i + 1 < bl->nkids; i += 2) {
		const struct hns_ynode *k = bl->kids[i];
		if (!is_scalar(L, k, "a block name"))
			continue;
		if (find_block(L, k->str) != NULL) {
			lmsg(L, k, 1, "block '%s' is defined twice", k->str);
			continue;
		}
		if (!need_seq(L, bl->kids[i + 1], "a block"))
			continue;
		nb = atp_realloc(L->blocks, (L->nblocks + 1) * sizeof(*nb));
		if (nb == NULL) {
			nomem(L, k);
			return;
		}
		L->blocks = nb;
		nb[L->nblocks].name = xstrdup(L, k, k->str);
		if (nb[L->nblocks].name == NULL)
			return;
		nb[L->nblocks].steps = bl->kids[i + 1];
		nb[L->nblocks].file = file;
		nb[L->nblocks].dir = dir;
		L->nblocks++;
	}
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return atp_strdup(".");
	if (slash == path)
		return atp_strdup("/");
	return atp_memdup0(path, (size_t)(slash - path));
}

static void
load_include(struct loader *L, const struct hns_ynode *n)
{
	static const char *const keys[] = { "blocks", NULL };
	size_t i, cnt = n->type == HNS_Y_SCALAR ? 1 : n->nkids;

	if (n->type == HNS_Y_MAP) {
		lmsg(L, n, 1, "include is a file name or a list of them");
		return;
	}
	for (i = 0; i < cnt && !L->fatal; i++) {
		const struct hns_ynode *it = n->type == HNS_Y_SCALAR ? n : n->kids[i];
		char *path, *buf = NULL, err[128];
		const char *fname, *sf = L->file;
		struct hns_ynode *root = NULL;
		struct atp_diag d;
		size_t len;

		if (!is_scalar(L, it, "include"))
			continue;
		if (L->ntrees >= HNS_INCLUDE_MAX) {
			lmsg(L, it, 1, "more than %d included files", HNS_INCLUDE_MAX);
			return;
		}
		path = resolve(L, it, it->str);
		if (path == NULL)
			continue;
		if (read_file(path, &buf, &len, err, sizeof(err)) < 0) {
			lmsg(L, it, 1, "include '%s': %s", it->str, err);
			atp_free(path);
			continue;
		}
		fname = add_file(L, path);
		atp_free(path);
		if (fname == NULL) {
			atp_free(buf);
			nomem(L, it);
			return;
		}
		atp_diag_clear(&d);
		if (hns_yaml_parse(fname, buf, len, &root, &d) < 0) {
			struct hns_ynode at;
			memset(&at, 0, sizeof(at));
			at.line = d.line;
			at.col = d.col;
			L->file = fname;
			lmsg(L, &at, 1, "%s", d.msg);
			L->file = sf;
			atp_free(buf);
			continue;
		}
		atp_free(buf);
		L->trees[L->ntrees] = root;
		L->dirs[L->ntrees] = dir_of(fname);
		if (L->dirs[L->ntrees] == NULL) {
			hns_ynode_free(root);
			nomem(L, it);
			return;
		}
		L->ntrees++;
		L->file = fname;
		if (need_map(L, root, "an included file")) {
			check_keys(L, root, "an included file", keys);
			if (hns_ymap_get(root, "blocks") != NULL)
				add_blocks(L, hns_ymap_get(root, "blocks"), fname,
				    L->dirs[L->ntrees - 1]);
		}
		L->file = sf;
	}
}

static void
load_vars(struct loader *L, const struct hns_ynode *n)
{
	static const char *const keys[] = { "value", "secret", NULL };
	struct hns_scenario *s = L->s;
	size_t i;

	if (!need_map(L, n, "vars"))
		return;
	s->vars = atp_calloc(n->nkids / 2 + 1, sizeof(*s->vars));
	if (s->vars == NULL) {
		nomem(L, n);
		return;
	}
	for (i = 0; i + 1 < n->nkids; i += 2) {
		const struct hns_ynode *k = n->kids[i], *v = n->kids[i + 1];
		struct hns_kv *kv = &s->vars[s->nvars];
		if (!is_scalar(L, k, "a variable name"))
			continue;
		if (v->type == HNS_Y_MAP) {
			check_keys(L, v, "a variable", keys);
			if (hns_ymap_get(v, "secret") != NULL)
				(void)get_bool(L, hns_ymap_get(v, "secret"), "secret", &kv->secret);
			v = hns_ymap_get(v, "value");
			if (v == NULL) {
				lmsg(L, n->kids[i + 1], 1, "a variable map needs value");
				continue;
			}
		}
		kv->value = get_str(L, v, "a variable's value");
		if (kv->value == NULL)
			continue;
		check_refs(L, v, kv->value);
		kv->name = xstrdup(L, k, k->str);
		if (kv->name == NULL) {
			atp_free(kv->value);
			continue;
		}
		kv->pos.file = L->file;
		kv->pos.line = k->line;
		kv->pos.col = k->col;
		define(L, kv->name, strlen(kv->name));
		s->nvars++;
	}
}

static void
load_matrix(struct loader *L, const struct hns_ynode *n)
{
	struct hns_scenario *s = L->s;
	uint64_t combos = 1;
	size_t i, j;

	if (!need_map(L, n, "matrix"))
		return;
	s->matrix = atp_calloc(n->nkids / 2 + 1, sizeof(*s->matrix));
	if (s->matrix == NULL) {
		nomem(L, n);
		return;
	}
	for (i = 0; i + 1 < n->nkids; i += 2) {
		const struct hns_ynode *k = n->kids[i], *v = n->kids[i + 1];
		struct hns_mvar *mv = &s->matrix[s->nmatrix];
		if (!is_scalar(L, k, "a matrix name") || !need_seq(L, v, "a matrix dimension"))
			continue;
		if (v->nkids == 0) {
			lmsg(L, v, 1, "matrix dimension '%s' is empty", k->str);
			continue;
		}
		combos *= v->nkids;
		if (combos > HNS_MATRIX_MAX) {
			lmsg(L, v, 1, "the matrix has more than %d combinations", HNS_MATRIX_MAX);
			return;
		}
		mv->name = xstrdup(L, k, k->str);
		mv->values = atp_calloc(v->nkids, sizeof(*mv->values));
		if (mv->name == NULL || mv->values == NULL) {
			atp_free(mv->name);
			atp_free(mv->values);
			nomem(L, v);
			return;
		}
		for (j = 0; j < v->nkids; j++) {
			mv->values[j] = get_str(L, v->kids[j], "a matrix value");
			if (mv->values[j] == NULL)
				mv->values[j] = xstrdup(L, v->kids[j], "");
		}
		mv->nvalues = v->nkids;
		define(L, mv->name, strlen(mv->name));
		s->nmatrix++;
	}
}

void
hns_scenario_free(struct hns_scenario *s)
{
	size_t i, j;
	struct hns_step *lists[3];
	size_t counts[3];

	if (s == NULL)
		return;
	lists[0] = s->setup;
	lists[1] = s->steps;
	lists[2] = s->teardown;
	counts[0] = s->nsetup;
	counts[1] = s->nsteps;
	counts[2] = s->nteardown;
	for (j = 0; j < 3; j++) {
		for (i = 0; i < counts[j]; i++) {
			struct hns_step *st = &lists[j][i];
			size_t k;
			atp_free(st->name);
			atp_free(st->raw);
			atp_free(st->cmd);
			for (k = 0; k < st->nargs; k++)
				atp_free(st->args[k]);
			atp_free(st->args);
			atp_free(st->eol);
			hns_matcher_free(&st->expect);
			atp_free(st->report);
			atp_free(st->data.text);
			atp_free(st->data.bytes);
			atp_free(st->data.len);
			atp_free(st->want.text);
			atp_free(st->want.bytes);
			atp_free(st->want.len);
			atp_free(st->save);
			atp_free(st->peer);
			atp_free(st->topic);
			atp_free(st->retry_codes);
			atp_free(st->mname);
			atp_free(st->mvalue);
			atp_free(st->munit);
			for (k = 0; k < st->nsets; k++) {
				atp_free(st->sets[k].name);
				atp_free(st->sets[k].value);
			}
			atp_free(st->sets);
			for (k = 0; k < st->nrules; k++)
				atp_free(st->rules[k].name);
			atp_free(st->rules);
		}
		atp_free(lists[j]);
	}
	for (i = 0; i < s->ntags; i++)
		atp_free(s->tags[i]);
	atp_free(s->tags);
	for (i = 0; i < s->nrequires; i++)
		atp_free(s->requires[i]);
	atp_free(s->requires);
	for (i = 0; i < s->nvars; i++) {
		atp_free(s->vars[i].name);
		atp_free(s->vars[i].value);
	}
	atp_free(s->vars);
	for (i = 0; i < s->nrules; i++)
		atp_free(s->rules[i].name);
	atp_free(s->rules);
	for (i = 0; i < s->nmatrix; i++) {
		for (j = 0; j < s->matrix[i].nvalues; j++)
			atp_free(s->matrix[i].values[j]);
		atp_free(s->matrix[i].values);
		atp_free(s->matrix[i].name);
	}
	atp_free(s->matrix);
	for (i = 0; i < s->naborts; i++)
		hns_matcher_free(&s->aborts[i]);
	atp_free(s->aborts);
	for (i = 0; i < s->npeers; i++) {
		for (j = 0; j < s->peers[i].nanswers; j++) {
			atp_free(s->peers[i].answers[j].path);
			atp_free(s->peers[i].answers[j].body);
			atp_free(s->peers[i].answers[j].type);
		}
		atp_free(s->peers[i].answers);
		for (j = 0; j < s->peers[i].ntopics; j++)
			atp_free(s->peers[i].topics[j]);
		atp_free(s->peers[i].topics);
		atp_free(s->peers[i].name);
	}
	atp_free(s->peers);
	for (i = 0; i < s->nfiles; i++)
		atp_free(s->files[i]);
	atp_free(s->files);
	atp_free(s->id);
	atp_free(s->title);
	atp_free(s->spec);
	atp_free(s->file);
	atp_free(s);
}

/*
 * abort: the second tier of matching (harness-anchors §0.3, chat's ABORT):
 * any line from the module that matches one of these fails the step at
 * once, whatever the step expected ("HardFault", a crash banner...).
 */
static void
load_aborts(struct loader *L, const struct hns_ynode *n)
{
	struct hns_scenario *s = L->s;
	size_t i, cnt = n->type == HNS_Y_SEQ ? n->nkids : 1;

	if (n->type == HNS_Y_MAP && hns_ymap_get(n, "exact") == NULL &&
	    hns_ymap_get(n, "glob") == NULL && hns_ymap_get(n, "regex") == NULL &&
	    hns_ymap_get(n, "shape") == NULL) {
		lmsg(L, n, 1, "abort is a list of patterns such as {glob: \"*HardFault*\"}");
		return;
	}
	s->aborts = atp_calloc(cnt + 1, sizeof(*s->aborts));
	if (s->aborts == NULL) {
		nomem(L, n);
		return;
	}
	for (i = 0; i < cnt; i++) {
		const struct hns_ynode *it = n->type == HNS_Y_SEQ ? n->kids[i] : n;
		struct hns_matcher *m = &s->aborts[s->naborts++];
		load_matcher(L, it, m);
		if (m->kind == HNS_M_OK)
			lmsg(L, it, 1, "abort takes a pattern, not ok");
		if (m->text != NULL && strstr(m->text, "${") != NULL)
			lmsg(L, it, 1, "abort patterns take no variables");
	}
}

static const char *const top_keys[] = { "id", "title", "spec", "tags", "requires", "vars",
	"include", "blocks", "reports", "setup", "steps", "teardown", "repeat", "matrix",
	"settle", "echo", "description", "peers", "abort", NULL };

static void
load_top(struct loader *L, const struct hns_ynode *root)
{
	struct hns_scenario *s = L->s;
	const struct hns_ynode *v;
	size_t cap;
	uint64_t u;
	size_t i;

	if (!need_map(L, root, "a scenario"))
		return;
	check_keys(L, root, "a scenario", top_keys);
	if ((v = hns_ymap_get(root, "id")) == NULL)
		lmsg(L, root, 1, "a scenario needs id");
	else
		s->id = get_str(L, v, "id");
	if ((v = hns_ymap_get(root, "title")) != NULL)
		s->title = get_str(L, v, "title");
	/* Traceability: every scenario names the manual section it tests. */
	if ((v = hns_ymap_get(root, "spec")) == NULL) {
		lmsg(L, root, 1, "a scenario needs spec: the manual section it checks, "
		    "e.g. spec: \"§2.2.1.10\"");
	} else if (v->type == HNS_Y_SEQ) {
		char buf[512] = "";
		for (i = 0; i < v->nkids; i++) {
			size_t len = strlen(buf);
			if (is_scalar(L, v->kids[i], "spec"))
				snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? "; " : "",
				    v->kids[i]->str);
		}
		s->spec = xstrdup(L, v, buf);
	} else {
		s->spec = get_str(L, v, "spec");
	}
	if (s->spec != NULL && s->spec[0] == '\0')
		lmsg(L, v, 1, "spec is empty");
	if ((v = hns_ymap_get(root, "tags")) != NULL)
		get_strlist(L, v, "tags", &s->tags, &s->ntags);
	if ((v = hns_ymap_get(root, "requires")) != NULL)
		get_strlist(L, v, "requires", &s->requires, &s->nrequires);
	s->repeat = 1;
	if ((v = hns_ymap_get(root, "repeat")) != NULL && get_uint(L, v, "repeat",
	    HNS_REPEAT_MAX, &u) == 0) {
		if (u == 0)
			lmsg(L, v, 1, "repeat is at least 1");
		else
			s->repeat = (unsigned long)u;
	}
	s->settle_us = 20000;
	if ((v = hns_ymap_get(root, "settle")) != NULL)
		(void)get_dur(L, v, "settle", &s->settle_us);
	if ((v = hns_ymap_get(root, "echo")) != NULL)
		(void)get_bool(L, v, "echo", &s->echo);
	if ((v = hns_ymap_get(root, "reports")) != NULL)
		load_rules(L, v, &s->rules, &s->nrules);
	if ((v = hns_ymap_get(root, "abort")) != NULL)
		load_aborts(L, v);

	/* Names defined from outside and by the harness itself. */
	for (i = 0; L->opts != NULL && i < L->opts->nvars; i++)
		define(L, L->opts->vars[i], strlen(L->opts->vars[i]));
	define(L, "unit.mac", 8);
	define(L, "unit.fw", 7);
	define(L, "unit.profile", 12);
	define(L, "iteration", 9);
	if ((v = hns_ymap_get(root, "matrix")) != NULL)
		load_matrix(L, v);
	if ((v = hns_ymap_get(root, "peers")) != NULL)
		load_peers(L, v);
	if ((v = hns_ymap_get(root, "vars")) != NULL)
		load_vars(L, v);
	if ((v = hns_ymap_get(root, "include")) != NULL)
		load_include(L, v);
	if ((v = hns_ymap_get(root, "blocks")) != NULL)
		add_blocks(L, v, L->file, L->dir);

	cap = 0;
	if ((v = hns_ymap_get(root, "setup")) != NULL)
		load_steps(L, v, &s->setup, &s->nsetup, &cap);
	cap = 0;
	if ((v = hns_ymap_get(root, "steps")) == NULL)
		lmsg(L, root, 1, "a scenario needs steps");
	else
		load_steps(L, v, &s->steps, &s->nsteps, &cap);
	cap = 0;
	if ((v = hns_ymap_get(root, "teardown")) != NULL)
		load_steps(L, v, &s->teardown, &s->nteardown, &cap);
	check_baud_back(L, root);
}

int
hns_scenario_load_mem(const char *path, const void *buf, size_t len,
    const struct hns_load_opts *opts, hns_msg_fn *msg, void *ctx, struct hns_scenario **out)
{
	struct loader L;
	struct hns_ynode *root = NULL;
	struct atp_diag d;
	char *dir = NULL;
	size_t i;
	int rc;

	*out = NULL;
	memset(&L, 0, sizeof(L));
	L.opts = opts;
	L.msg = msg;
	L.ctx = ctx;
	L.s = atp_calloc(1, sizeof(*L.s));
	if (L.s == NULL)
		return ATP_ERR_NOMEM;
	L.s->file = atp_strdup(path);
	L.file = add_file(&L, path);
	dir = dir_of(path);
	if (L.s->file == NULL || L.file == NULL || dir == NULL) {
		hns_scenario_free(L.s);
		atp_free(dir);
		return ATP_ERR_NOMEM;
	}
	L.dir = dir;
	{
		const char *r = opts != NULL && opts->root != NULL ? opts->root : dir;
		char real[PATH_MAX];
		L.root = atp_strdup(realpath(r, real) != NULL ? real :
		    "/nonexistent-scenario-root");
		if (L.root == NULL) {
			hns_scenario_free(L.s);
			atp_free(dir);
			return ATP_ERR_NOMEM;
		}
	}
	atp_diag_clear(&d);
	rc = hns_yaml_parse(L.file, buf, len, &root, &d);
	if (rc < 0) {
		struct hns_ynode at;
		memset(&at, 0, sizeof(at));
		at.line = d.line;
		at.col = d.col;
		lmsg(&L, &at, 1, "%s", d.msg);
	} else {
		load_top(&L, root);
	}
	hns_ynode_free(root);
	for (i = 0; i < L.ntrees; i++) {
		hns_ynode_free(L.trees[i]);
		atp_free(L.dirs[i]);
	}
	for (i = 0; i < L.nblocks; i++)
		atp_free(L.blocks[i].name);
	atp_free(L.blocks);
	for (i = 0; i < L.nnames; i++)
		atp_free(L.names[i]);
	atp_free(L.names);
	atp_free(L.root);
	atp_free(dir);
	if (L.nerr > 0 || L.fatal) {
		hns_scenario_free(L.s);
		return rc == ATP_ERR_NOMEM || L.fatal ? (rc < 0 ? rc : ATP_ERR_LIMIT) :
		    ATP_ERR_SYNTAX;
	}
	*out = L.s;
	return ATP_OK;
}

int
hns_scenario_load(const char *path, const struct hns_load_opts *opts, hns_msg_fn *msg,
    void *ctx, struct hns_scenario **out)
{
	char *buf = NULL, err[128];
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = read_file(path, &buf, &len, err, sizeof(err));
	if (rc < 0) {
		if (msg != NULL)
			msg(ctx, path, 0, 0, 1, err);
		return rc;
	}
	rc = hns_scenario_load_mem(path, buf, len, opts, msg, ctx, out);
	atp_free(buf);
	return rc;
}
