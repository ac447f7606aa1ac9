/* SPDX-License-Identifier: MIT */
/* \summary: tag expressions for --tags: and, or, not, parentheses */
#include <string.h>

#include "harness/hns.h"

/*
 *   expr := term { "or" term }
 *   term := factor { "and" factor }
 *   factor := "not" factor | "(" expr ")" | TAG
 * A TAG is [A-Za-z0-9_.:-]+. Depth is bounded; the expression comes from
 * the command line but may come from a CI file someone else wrote.
 */
#define TAGS_DEPTH_MAX 32

struct tp {
	const char *p;
	const char *const *tags;
	size_t ntags;
	int err;
	unsigned depth;
	struct atp_diag *d;
	const char *start;
};

static int
tag_char(uint8_t c)
{
	return ATP_ISALNUM(c) || c == '_' || c == '.' || c == ':' || c == '-';
}

static void
skip_ws(struct tp *t)
{
	while (*t->p == ' ' || *t->p == '\t')
		t->p++;
}

static int
word(struct tp *t, const char *w)
{
	size_t n = strlen(w);

	skip_ws(t);
	if (strncmp(t->p, w, n) == 0 && !tag_char((uint8_t)t->p[n])) {
		t->p += n;
		return 1;
	}
	return 0;
}

static int expr(struct tp *t);

static int
factor(struct tp *t)
{
	const char *s;
	size_t n, i;
	int v;

	if (t->err)
		return 0;
	if (++t->depth > TAGS_DEPTH_MAX) {
		t->err = atp_diag_set(t->d, ATP_ERR_LIMIT, "tag expression nested too deep");
		return 0;
	}
	skip_ws(t);
	if (word(t, "not")) {
		v = !factor(t);
	} else if (*t->p == '(') {
		t->p++;
		v = expr(t);
		skip_ws(t);
		if (*t->p != ')' && !t->err)
			t->err = atp_diag_set(t->d, ATP_ERR_SYNTAX,
			    "tags: ')' expected at column %zu", (size_t)(t->p - t->start) + 1);
		else
			t->p++;
	} else {
		s = t->p;
		while (tag_char((uint8_t)*t->p))
			t->p++;
		n = (size_t)(t->p - s);
		if (n == 0) {
			if (!t->err)
				t->err = atp_diag_set(t->d, ATP_ERR_SYNTAX,
				    "tags: a tag expected at column %zu", (size_t)(s - t->start) + 1);
			v = 0;
		} else {
			v = 0;
			for (i = 0; i < t->ntags; i++)
				if (strlen(t->tags[i]) == n && memcmp(t->tags[i], s, n) == 0)
					v = 1;
		}
	}
	t->depth--;
	return v;
}

static int
term(struct tp *t)
{
	int v = factor(t);

	while (!t->err && word(t, "and"))
		v = factor(t) && v;
	return v;
}

static int
expr(struct tp *t)
{
	int v = term(t);

	while (!t->err && word(t, "or"))
		v = term(t) || v;
	return v;
}

int
hns_tags_match(const char *e, const char *const *tags, size_t ntags, int *result,
    struct atp_diag *d)
{
	struct tp t;
	int v;

	memset(&t, 0, sizeof(t));
	t.p = t.start = e;
	t.tags = tags;
	t.ntags = ntags;
	t.d = d;
	v = expr(&t);
	skip_ws(&t);
	if (!t.err && *t.p != '\0')
		t.err = atp_diag_set(d, ATP_ERR_SYNTAX, "tags: unexpected '%c' at column %zu",
		    *t.p, (size_t)(t.p - e) + 1);
	if (t.err)
		return t.err;
	*result = v;
	return ATP_OK;
}
