/* SPDX-License-Identifier: MIT */
/* \summary: expectation matchers: exact, glob, PCRE2 regex, typed shapes */
#include <stdio.h>
#include <string.h>

#include "harness/hns.h"

/*
 * PCRE2 patterns are compiled once, when the scenario loads, so that a bad
 * regex is a scenario error (exit 2) and not a failure in the middle of a
 * run (harness-anchors §6). They match bytes, with no UTF checking: the
 * module's output is any bytes. JIT is used where the platform has it;
 * without it the interpreter gives the same answers.
 */
#define MATCH_LIMIT 1000000u   /* bounds backtracking on hostile output */

int
hns_matcher_compile(struct hns_matcher *m, struct atp_diag *d)
{
	int errcode = 0;
	PCRE2_SIZE erroff = 0;
	PCRE2_UCHAR msg[160];

	switch (m->kind) {
	case HNS_M_REGEX:
		m->re = pcre2_compile((PCRE2_SPTR)m->text, PCRE2_ZERO_TERMINATED,
		    PCRE2_DOLLAR_ENDONLY, &errcode, &erroff, NULL);
		if (m->re == NULL) {
			pcre2_get_error_message(errcode, msg, sizeof(msg));
			if (d != NULL)
				d->offset = erroff;
			return atp_diag_set(d, ATP_ERR_SYNTAX,
			    "bad regex at offset %zu: %s", (size_t)erroff, (const char *)msg);
		}
		/* JIT failing (no support, no executable memory) is not an
		 * error: pcre2_match() then interprets the pattern. */
		(void)pcre2_jit_compile(m->re, PCRE2_JIT_COMPLETE);
		return ATP_OK;
	case HNS_M_SHAPE:
		return atp_shape_compile(m->text, &m->shape, d);
	case HNS_M_NONE:
	case HNS_M_OK:
	case HNS_M_EXACT:
	case HNS_M_GLOB:
	case HNS_M_ERROR:
	case HNS_M_ANY_ERROR:
		break;
	}
	return ATP_OK;
}

void
hns_matcher_free(struct hns_matcher *m)
{
	if (m->re != NULL)
		pcre2_code_free(m->re);
	atp_shape_free(m->shape);
	atp_free(m->text);
	m->re = NULL;
	m->shape = NULL;
	m->text = NULL;
}

/*
 * Glob with '*' and '?', and '\' quoting the next pattern byte. Iterative
 * with one backtrack point (the last '*'), so it is linear-ish and never
 * recurses on hostile input.
 */
int
hns_glob(const char *pat, const uint8_t *s, size_t len)
{
	size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0;
	size_t plen = strlen(pat);

	while (si < len) {
		if (pi < plen && pat[pi] == '*') {
			star_p = ++pi;
			star_s = si;
			continue;
		}
		if (pi < plen && (pat[pi] == '?' ||
		    (pat[pi] == '\\' && pi + 1 < plen && (uint8_t)pat[pi + 1] == s[si]) ||
		    (pat[pi] != '\\' && (uint8_t)pat[pi] == s[si]))) {
			pi += pat[pi] == '\\' ? 2 : 1;
			si++;
			continue;
		}
		if (star_p == (size_t)-1)
			return 0;
		pi = star_p;
		si = ++star_s;
	}
	while (pi < plen && pat[pi] == '*')
		pi++;
	return pi == plen;
}

static int
store_regex_groups(const struct hns_matcher *m, pcre2_match_data *md, struct atp_span text,
    struct hns_vars *vs)
{
	uint32_t count = 0, entry;
	PCRE2_SPTR table, e;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	uint32_t i;
	int rc;

	(void)pcre2_pattern_info(m->re, PCRE2_INFO_NAMECOUNT, &count);
	(void)pcre2_pattern_info(m->re, PCRE2_INFO_NAMEENTRYSIZE, &entry);
	(void)pcre2_pattern_info(m->re, PCRE2_INFO_NAMETABLE, &table);
	for (i = 0; i < count; i++) {
		e = table + (size_t)i * entry;
		uint32_t g = ((uint32_t)e[0] << 8) | e[1];
		PCRE2_SIZE a = ov[2 * g], b = ov[2 * g + 1];
		if (a == PCRE2_UNSET || b < a || b > text.len)
			continue;
		rc = hns_vars_set(vs, (const char *)e + 2, text.p + a, b - a, 0);
		if (rc < 0)
			return rc;
	}
	return ATP_OK;
}

static int
store_shape_fields(const struct atp_match *mt, struct hns_vars *vs)
{
	char buf[1024];
	size_t i;
	long n;
	int rc;

	for (i = 0; i < mt->ncap; i++) {
		const struct atp_capture *c = &mt->cap[i];
		if (c->rep != 0 || c->field->name == NULL || c->field->name[0] == '\0')
			continue;
		/* Quoted strings are stored without their quotes and escapes,
		 * as a later step would write them. */
		if (c->quoted) {
			n = atp_unescape(c->value, buf, sizeof(buf));
			if (n >= 0) {
				rc = hns_vars_set(vs, c->field->name, buf, (size_t)n, 0);
				if (rc < 0)
					return rc;
				continue;
			}
		}
		rc = hns_vars_set(vs, c->field->name, c->value.p, c->value.len, 0);
		if (rc < 0)
			return rc;
	}
	return ATP_OK;
}

int
hns_matcher_match(const struct hns_matcher *m, const char *pat, struct atp_span text,
    int is_error, long errcode, struct hns_vars *vs, int *matched, char *why,
    size_t whysize)
{
	pcre2_match_data *md;
	pcre2_match_context *mc;
	struct atp_match *mt;
	int rc = ATP_OK, r;

	*matched = 0;
	if (whysize > 0)
		why[0] = '\0';
	switch (m->kind) {
	case HNS_M_NONE:
		*matched = 1;
		return ATP_OK;
	case HNS_M_OK:
		*matched = !is_error;
		if (is_error)
			snprintf(why, whysize, "an error where +OK was expected");
		return ATP_OK;
	case HNS_M_ERROR:
		*matched = is_error && errcode == m->errcode;
		if (!*matched)
			snprintf(why, whysize, "expected +ERR=%ld", m->errcode);
		return ATP_OK;
	case HNS_M_ANY_ERROR:
		*matched = is_error;
		if (!*matched)
			snprintf(why, whysize, "expected an +ERR= response");
		return ATP_OK;
	case HNS_M_EXACT:
		*matched = strlen(pat) == text.len && memcmp(pat, text.p, text.len) == 0;
		return ATP_OK;
	case HNS_M_GLOB:
		*matched = hns_glob(pat, text.p, text.len);
		return ATP_OK;
	case HNS_M_REGEX:
		md = pcre2_match_data_create_from_pattern(m->re, NULL);
		mc = pcre2_match_context_create(NULL);
		if (md == NULL || mc == NULL) {
			pcre2_match_data_free(md);
			pcre2_match_context_free(mc);
			return ATP_ERR_NOMEM;
		}
		pcre2_set_match_limit(mc, MATCH_LIMIT);
		r = pcre2_match(m->re, text.p != NULL ? text.p : (PCRE2_SPTR)"", text.len, 0,
		    0, md, mc);
		if (r >= 0) {
			*matched = 1;
			rc = store_regex_groups(m, md, text, vs);
		} else if (r != PCRE2_ERROR_NOMATCH) {
			PCRE2_UCHAR msg[120];
			pcre2_get_error_message(r, msg, sizeof(msg));
			snprintf(why, whysize, "regex gave up: %s", (const char *)msg);
		}
		pcre2_match_data_free(md);
		pcre2_match_context_free(mc);
		return rc;
	case HNS_M_SHAPE:
		mt = atp_malloc(sizeof(*mt));
		if (mt == NULL)
			return ATP_ERR_NOMEM;
		rc = atp_shape_match(m->shape, text, mt);
		if (rc == ATP_OK && mt->matched && mt->nbad == 0) {
			*matched = 1;
			rc = store_shape_fields(mt, vs);
		} else if (rc == ATP_OK && mt->matched) {
			size_t i;
			for (i = 0; i < mt->ncap; i++)
				if (!mt->cap[i].in_range)
					break;
			snprintf(why, whysize, "field <%s> out of range: %.*s",
			    i < mt->ncap ? mt->cap[i].field->name : "?",
			    i < mt->ncap ? (int)(mt->cap[i].raw.len > 60 ? 60 : mt->cap[i].raw.len) : 0,
			    i < mt->ncap ? (const char *)mt->cap[i].raw.p : "");
		} else if (rc == ATP_OK && mt->too_complex) {
			snprintf(why, whysize, "the shape matcher gave up (too complex)");
		} else if (rc == ATP_OK) {
			snprintf(why, whysize, "shape does not match from byte %zu", mt->fail_at);
		}
		atp_free(mt);
		return rc;
	}
	return ATP_OK;
}

void
hns_matcher_names(const struct hns_matcher *m, void (*fn)(void *ctx, const char *name,
    size_t len), void *ctx)
{
	uint32_t count = 0, entry = 0, i;
	PCRE2_SPTR table, e;
	size_t k;

	if (m->kind == HNS_M_REGEX && m->re != NULL) {
		(void)pcre2_pattern_info(m->re, PCRE2_INFO_NAMECOUNT, &count);
		(void)pcre2_pattern_info(m->re, PCRE2_INFO_NAMEENTRYSIZE, &entry);
		(void)pcre2_pattern_info(m->re, PCRE2_INFO_NAMETABLE, &table);
		for (i = 0; i < count; i++) {
			e = table + (size_t)i * entry;
			fn(ctx, (const char *)e + 2, strlen((const char *)e + 2));
		}
	} else if (m->kind == HNS_M_SHAPE && m->shape != NULL) {
		for (k = 0; k < atp_shape_nfields(m->shape); k++) {
			const struct atp_field *f = atp_shape_field(m->shape, k);
			if (f->name != NULL && f->name[0] != '\0')
				fn(ctx, f->name, strlen(f->name));
		}
	}
}

const struct atp_report *
hns_report_find(const char *name)
{
	size_t i;

	for (i = 0; i < atp_report_count(); i++)
		if (strcmp(atp_report_at(i)->name, name) == 0)
			return atp_report_at(i);
	return NULL;
}
