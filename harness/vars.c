/* SPDX-License-Identifier: MIT */
/* \summary: scenario variables: store, ${} expansion, secret masking */
#include <stdlib.h>
#include <string.h>

#include "harness/hns.h"

/* A name is [A-Za-z0-9_.-]+; "env." names read the environment. */
static int
name_char(uint8_t c)
{
	return ATP_ISALNUM(c) || c == '_' || c == '.' || c == '-';
}

const struct hns_var *
hns_vars_get(const struct hns_vars *vs, const char *name)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		if (vs->v[i].name != NULL && strcmp(vs->v[i].name, name) == 0)
			return &vs->v[i];
	return NULL;
}

static int
vars_slot(struct hns_vars *vs, struct hns_var **out)
{
	struct hns_var *nv;

	if (vs->n >= HNS_VARS_MAX)
		return ATP_ERR_LIMIT;
	nv = atp_realloc(vs->v, (vs->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return ATP_ERR_NOMEM;
	vs->v = nv;
	*out = &vs->v[vs->n++];
	memset(*out, 0, sizeof(**out));
	return ATP_OK;
}

int
hns_vars_set(struct hns_vars *vs, const char *name, const void *value, size_t len,
    int secret)
{
	struct hns_var *v = NULL;
	char *val, *nm = NULL;
	size_t i;
	int rc;

	if (len > HNS_VAR_MAX)
		return ATP_ERR_LIMIT;
	val = atp_memdup0(value, len);
	if (val == NULL)
		return ATP_ERR_NOMEM;
	for (i = 0; i < vs->n; i++)
		if (vs->v[i].name != NULL && strcmp(vs->v[i].name, name) == 0)
			v = &vs->v[i];
	if (v == NULL) {
		nm = atp_strdup(name);
		if (nm == NULL) {
			atp_free(val);
			return ATP_ERR_NOMEM;
		}
		rc = vars_slot(vs, &v);
		if (rc < 0) {
			atp_free(nm);
			atp_free(val);
			return rc;
		}
		v->name = nm;
	} else if (v->secret) {
		/* A secret stays a secret once set: its old value may still
		 * appear in earlier bytes, so it goes on being masked under no
		 * name. */
		struct hns_var *old;
		size_t idx = (size_t)(v - vs->v);
		rc = vars_slot(vs, &old);
		if (rc < 0) {
			atp_free(val);
			return rc;
		}
		v = &vs->v[idx];
		old->value = v->value;
		old->len = v->len;
		old->secret = 1;
		v->value = NULL;
	}
	atp_free(v->value);
	v->value = val;
	v->len = len;
	v->secret = v->secret || secret;
	return ATP_OK;
}

int
hns_vars_add_secret(struct hns_vars *vs, const void *value, size_t len)
{
	struct hns_var *v;
	size_t i;
	int rc;

	if (len == 0)
		return ATP_OK;
	for (i = 0; i < vs->n; i++)
		if (vs->v[i].secret && vs->v[i].len == len &&
		    memcmp(vs->v[i].value, value, len) == 0)
			return ATP_OK;
	rc = vars_slot(vs, &v);
	if (rc < 0)
		return rc;
	v->value = atp_memdup0(value, len);
	if (v->value == NULL) {
		vs->n--;
		return ATP_ERR_NOMEM;
	}
	v->len = len;
	v->secret = 1;
	return ATP_OK;
}

void
hns_vars_clear(struct hns_vars *vs)
{
	size_t i;

	for (i = 0; i < vs->n; i++) {
		atp_free(vs->v[i].name);
		atp_free(vs->v[i].value);
	}
	atp_free(vs->v);
	vs->v = NULL;
	vs->n = 0;
}

struct growbuf {
	char *p;
	size_t len, cap;
	int err;
	size_t max;
};

static void
gb_add(struct growbuf *g, const void *p, size_t n)
{
	char *np;
	size_t cap;

	if (g->err)
		return;
	if (g->len + n > (g->max != 0 ? g->max : HNS_VAR_MAX)) {
		g->err = ATP_ERR_LIMIT;
		return;
	}
	if (g->len + n + 1 > g->cap) {
		cap = g->cap ? g->cap : 64;
		while (cap < g->len + n + 1)
			cap *= 2;
		np = atp_realloc(g->p, cap);
		if (np == NULL) {
			g->err = ATP_ERR_NOMEM;
			return;
		}
		g->p = np;
		g->cap = cap;
	}
	memcpy(g->p + g->len, p, n);
	g->len += n;
	g->p[g->len] = '\0';
}

int
hns_expand(const struct hns_vars *vs, const char *in, char **out, size_t *outlen,
    struct atp_diag *d)
{
	struct growbuf g = { NULL, 0, 0, 0, 0 };
	const char *p = in;
	char name[128];
	size_t n;

	*out = NULL;
	gb_add(&g, "", 0);
	while (*p != '\0' && !g.err) {
		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			gb_add(&g, "${", 2);
			p += 3;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			/* Up to the next '$' in one piece, not byte by byte. */
			n = 1 + strcspn(p + 1, "$");
			gb_add(&g, p, n);
			p += n;
			continue;
		}
		for (n = 0; name_char((uint8_t)p[2 + n]); n++)
			;
		if (p[2 + n] != '}' || n == 0 || n >= sizeof(name)) {
			atp_free(g.p);
			return atp_diag_set(d, ATP_ERR_SYNTAX, "malformed variable reference "
			    "at \"%.20s\" (write ${name}, or $${ for a literal)", p);
		}
		memcpy(name, p + 2, n);
		name[n] = '\0';
		if (strncmp(name, "env.", 4) == 0) {
			const char *e = getenv(name + 4);
			if (e == NULL) {
				atp_free(g.p);
				return atp_diag_set(d, ATP_ERR_NOTFOUND,
				    "environment variable %s is not set", name + 4);
			}
			gb_add(&g, e, strlen(e));
		} else {
			const struct hns_var *v = hns_vars_get(vs, name);
			if (v == NULL) {
				atp_free(g.p);
				return atp_diag_set(d, ATP_ERR_NOTFOUND,
				    "variable ${%s} is not defined", name);
			}
			gb_add(&g, v->value, v->len);
		}
		p += 3 + n;
	}
	if (g.err) {
		atp_free(g.p);
		return atp_diag_set(d, g.err, g.err == ATP_ERR_LIMIT ?
		    "expanded text longer than %u bytes" : "out of memory",
		    (unsigned)HNS_VAR_MAX);
	}
	*out = g.p;
	if (outlen != NULL)
		*outlen = g.len;
	return ATP_OK;
}

void
hns_refs(const char *in, void (*fn)(void *ctx, const char *name, size_t len), void *ctx)
{
	const char *p = in;
	size_t n;

	while (*p != '\0') {
		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			p += 3;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			p++;
			continue;
		}
		for (n = 0; name_char((uint8_t)p[2 + n]); n++)
			;
		if (p[2 + n] == '}' && n > 0 && !(n > 4 && strncmp(p + 2, "env.", 4) == 0))
			fn(ctx, p + 2, n);
		p += 2 + n;
	}
}

/*
 * Masks every secret: the longest secret first where two overlap, so that
 * "pass" inside "password" leaves no tail of the longer one.
 */
char *
hns_mask(const struct hns_vars *vs, const void *p, size_t len, size_t *outlen)
{
	struct growbuf g = { NULL, 0, 0, 0, 0 };
	const uint8_t *s = p;
	size_t i = 0, k, best, run = 0;
	int hit;

	g.max = len * 3 + 16;
	gb_add(&g, "", 0);
	for (k = 0; vs != NULL && k < vs->n && !vs->v[k].secret; k++)
		;
	if (vs == NULL || k == vs->n)
		i = len;        /* no secret at all: one copy, no search */
	while (i < len && !g.err) {
		best = 0;
		hit = 0;
		for (k = 0; vs != NULL && k < vs->n; k++) {
			const struct hns_var *v = &vs->v[k];
			if (!v->secret || v->len == 0 || v->len > len - i || v->len <= best)
				continue;
			if (memcmp(s + i, v->value, v->len) == 0) {
				best = v->len;
				hit = 1;
			}
		}
		if (hit) {
			/* The clear bytes before the secret, then its mask. */
			gb_add(&g, s + run, i - run);
			gb_add(&g, "***", 3);
			i += best;
			run = i;
		} else {
			i++;
		}
	}
	/* Clear bytes go in runs, not one by one (every response is masked). */
	gb_add(&g, s + run, i - run);
	if (g.err) {
		atp_free(g.p);
		/* Never hand out the unmasked bytes: a fixed text instead. */
		g.p = atp_strdup("***");
		g.len = g.p != NULL ? 3 : 0;
	}
	if (outlen != NULL)
		*outlen = g.len;
	return g.p;
}
