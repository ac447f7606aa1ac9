/* SPDX-License-Identifier: MIT */
/* \summary: matchers, variables, masking, tag expressions, durations */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/hns.h"
#include "harness/hns_run.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

static void
test_globs_match_whole_texts(void **state)
{
	static const struct {
		const char *pat, *text;
		int want;
	} rows[] = {
		{ "+OK", "+OK", 1 },
		{ "+OK", "+OK=1", 0 },
		{ "+OK=*", "+OK=1,2", 1 },
		{ "+OK=*", "+OK", 0 },
		{ "+OK=?", "+OK=7", 1 },
		{ "+OK=?", "+OK=77", 0 },
		{ "*,*,*", "a,b,c", 1 },
		{ "*,*,*", "a,b", 0 },
		{ "a*b*c", "aXXbYYbZc", 1 },
		{ "\\*", "*", 1 },
		{ "\\*", "x", 0 },
		{ "\\?x", "?x", 1 },
		{ "*", "", 1 },
		{ "", "", 1 },
		{ "", "x", 0 },
		{ "**a", "bba", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(rows); i++) {
		int got = hns_glob(rows[i].pat, (const uint8_t *)rows[i].text, strlen(rows[i].text));
		if (got != rows[i].want) {
			print_error("glob %s on %s: %d\n", rows[i].pat, rows[i].text, got);
			fail();
		}
	}
}

static void
test_a_glob_on_hostile_text_ends_quickly(void **state)
{
	static char text[200001];

	/* No clock here (no timing in make check): a backtracking matcher
	 * would try about 200000^8 splits and never return, which the test
	 * runner's timeout turns into a failure; a linear one returns at once. */
	(void)state;
	memset(text, 'a', sizeof(text) - 1);
	assert_false(hns_glob("*a*a*a*a*a*a*a*a*b", (const uint8_t *)text, sizeof(text) - 1));
}

/* A variable's value; fails the test (rather than crashing) if it is not
 * there, as under allocation failure injection. */
static const char *
val(const struct hns_vars *vs, const char *name)
{
	const struct hns_var *v = hns_vars_get(vs, name);

	assert_non_null(v);
	return v->value;
}

static int
run_match(struct hns_matcher *m, const char *pat, const char *text, int is_error, long code,
    struct hns_vars *vs, char *why, size_t whysize)
{
	int matched = -1;

	assert_int_equal(hns_matcher_match(m, pat, atp_span_str(text), is_error, code, vs,
	    &matched, why, whysize), ATP_OK);
	return matched;
}

static void
test_a_regex_captures_its_named_groups(void **state)
{
	struct hns_matcher m;
	struct hns_vars vs;
	struct atp_diag d;
	char why[200];

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(&vs, 0, sizeof(vs));
	m.kind = HNS_M_REGEX;
	m.text = atp_strdup("^\\+OK=(?<mac>[0-9a-f]{12}),(?<n>\\d+)$");
	assert_int_equal(hns_matcher_compile(&m, &d), ATP_OK);
	assert_int_equal(run_match(&m, NULL, "+OK=286dcd004e7d,7", 0, 0, &vs, why, sizeof(why)), 1);
	assert_string_equal(val(&vs, "mac"), "286dcd004e7d");
	assert_string_equal(val(&vs, "n"), "7");
	assert_int_equal(run_match(&m, NULL, "+OK=286DCD004E7D,7", 0, 0, &vs, why, sizeof(why)), 0);
	/* Bytes, not UTF-8: a stray 0xff does not make the matcher fail. */
	assert_int_equal(run_match(&m, NULL, "+OK=\xff", 0, 0, &vs, why, sizeof(why)), 0);
	hns_matcher_free(&m);
	hns_vars_clear(&vs);
}

static void
test_a_bad_regex_says_where(void **state)
{
	struct hns_matcher m;
	struct atp_diag d;

	(void)state;
	memset(&m, 0, sizeof(m));
	atp_diag_clear(&d);
	m.kind = HNS_M_REGEX;
	m.text = atp_strdup("+OK(");
	assert_int_equal(hns_matcher_compile(&m, &d), ATP_ERR_SYNTAX);
	assert_int_equal(d.offset, 0);
	assert_non_null(strstr(d.msg, "bad regex at offset 0"));
	hns_matcher_free(&m);
}

static void
test_a_shape_checks_types_and_ranges_and_captures_fields(void **state)
{
	struct hns_matcher m;
	struct hns_vars vs;
	struct atp_diag d;
	char why[200];

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(&vs, 0, sizeof(vs));
	m.kind = HNS_M_SHAPE;
	m.text = atp_strdup("+OK=<mac:MAC>,<ch:Dec 1..14>,<ssid:QString>");
	assert_int_equal(hns_matcher_compile(&m, &d), ATP_OK);
	assert_int_equal(run_match(&m, NULL, "+OK=3c46d82bd81e,11,\"a\\\"b\"", 0, 0, &vs, why,
	    sizeof(why)), 1);
	assert_string_equal(val(&vs, "mac"), "3c46d82bd81e");
	assert_string_equal(val(&vs, "ch"), "11");
	/* Quoted strings are stored unquoted and unescaped. */
	assert_string_equal(val(&vs, "ssid"), "a\"b");
	assert_int_equal(run_match(&m, NULL, "+OK=3c46d82bd81e,15,\"x\"", 0, 0, &vs, why,
	    sizeof(why)), 0);
	assert_non_null(strstr(why, "field <ch> out of range"));
	assert_int_equal(run_match(&m, NULL, "+OK=3c46d8,1,\"x\"", 0, 0, &vs, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "shape does not match"));
	hns_matcher_free(&m);
	hns_vars_clear(&vs);
}

static void
test_error_matchers_look_at_the_code(void **state)
{
	struct hns_matcher m;
	char why[200];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.kind = HNS_M_ERROR;
	m.errcode = -4;
	assert_int_equal(run_match(&m, NULL, "+ERR=-4", 1, -4, NULL, why, sizeof(why)), 1);
	assert_int_equal(run_match(&m, NULL, "+ERR=-2", 1, -2, NULL, why, sizeof(why)), 0);
	assert_string_equal(why, "expected +ERR=-4");
	assert_int_equal(run_match(&m, NULL, "+OK", 0, 0, NULL, why, sizeof(why)), 0);
	m.kind = HNS_M_ANY_ERROR;
	assert_int_equal(run_match(&m, NULL, "+ERR=-2", 1, -2, NULL, why, sizeof(why)), 1);
	assert_int_equal(run_match(&m, NULL, "+OK", 0, 0, NULL, why, sizeof(why)), 0);
	m.kind = HNS_M_OK;
	assert_int_equal(run_match(&m, NULL, "+OK=1", 0, 0, NULL, why, sizeof(why)), 1);
	assert_int_equal(run_match(&m, NULL, "+ERR=-1", 1, -1, NULL, why, sizeof(why)), 0);
	m.kind = HNS_M_EXACT;
	assert_int_equal(run_match(&m, "+OK=1", "+OK=1", 0, 0, NULL, why, sizeof(why)), 1);
	assert_int_equal(run_match(&m, "+OK=1", "+OK=12", 0, 0, NULL, why, sizeof(why)), 0);
}

static void
test_variables_expand_with_escapes_and_the_environment(void **state)
{
	struct hns_vars vs;
	struct atp_diag d;
	char *out = NULL;
	size_t len;

	(void)state;
	memset(&vs, 0, sizeof(vs));
	assert_int_equal(hns_vars_set(&vs, "a", "x", 1, 0), ATP_OK);
	assert_int_equal(hns_vars_set(&vs, "b.c", "yy", 2, 0), ATP_OK);
	setenv("ATP_TEST_ENV", "env!", 1);
	assert_int_equal(hns_expand(&vs, "${a}-${b.c}-$${a}-${env.ATP_TEST_ENV}", &out, &len, &d),
	    ATP_OK);
	assert_non_null(out);
	assert_string_equal(out, "x-yy-${a}-env!");
	assert_int_equal(len, strlen(out));
	atp_free(out);
	atp_diag_clear(&d);
	assert_int_equal(hns_expand(&vs, "${nope}", &out, &len, &d), ATP_ERR_NOTFOUND);
	assert_non_null(strstr(d.msg, "${nope} is not defined"));
	assert_int_equal(hns_expand(&vs, "${env.ATP_NO_SUCH_VAR_X}", &out, &len, &d),
	    ATP_ERR_NOTFOUND);
	assert_int_equal(hns_expand(&vs, "${a", &out, &len, &d), ATP_ERR_SYNTAX);
	/* Overwriting keeps one variable. */
	assert_int_equal(hns_vars_set(&vs, "a", "z", 1, 0), ATP_OK);
	assert_string_equal(val(&vs, "a"), "z");
	assert_int_equal(vs.n, 2);
	hns_vars_clear(&vs);
}

static void
test_an_expansion_cannot_grow_without_bound(void **state)
{
	struct hns_vars vs;
	struct atp_diag d;
	static char big[HNS_VAR_MAX];
	char *out = NULL;

	(void)state;
	memset(&vs, 0, sizeof(vs));
	memset(big, 'x', sizeof(big));
	assert_int_equal(hns_vars_set(&vs, "big", big, sizeof(big), 0), ATP_OK);
	assert_int_equal(hns_vars_set(&vs, "bigger", big, sizeof(big) + 1, 0), ATP_ERR_LIMIT);
	assert_int_equal(hns_expand(&vs, "${big}${big}", &out, NULL, &d), ATP_ERR_LIMIT);
	assert_null(out);
	hns_vars_clear(&vs);
}

static void
test_secrets_are_masked_everywhere_even_after_a_change(void **state)
{
	struct hns_vars vs;
	char *m;
	size_t len;

	(void)state;
	memset(&vs, 0, sizeof(vs));
	assert_int_equal(hns_vars_set(&vs, "key", "hunter22", 8, 1), ATP_OK);
	assert_int_equal(hns_vars_add_secret(&vs, "pass", 4), ATP_OK);
	m = hns_mask(&vs, "AT+KEY=1,0,hunter22\r and password", 33, &len);
	assert_non_null(m);
	assert_string_equal(m, "AT+KEY=1,0,***\r and ***word");
	atp_free(m);
	/* A secret stays masked once its variable changes. */
	assert_int_equal(hns_vars_set(&vs, "key", "other", 5, 0), ATP_OK);
	m = hns_mask(&vs, "hunter22 other", 14, &len);
	assert_non_null(m);
	assert_string_equal(m, "*** ***");
	atp_free(m);
	/* The longest secret wins where two overlap. */
	assert_int_equal(hns_vars_add_secret(&vs, "password", 8), ATP_OK);
	m = hns_mask(&vs, "password", 8, &len);
	assert_non_null(m);
	assert_string_equal(m, "***");
	atp_free(m);
	hns_vars_clear(&vs);
}

/* Clear text goes in runs (hns_expand, hns_mask): a '$' that starts no
 * reference, a run around a secret and binary bytes come out unchanged. */
static void
test_clear_text_between_references_and_secrets_is_kept_whole(void **state)
{
	static const char bin[] = "+OK\0\x01\xff$ ok\r\n";
	struct hns_vars vs;
	struct atp_diag d;
	char *out = NULL;
	size_t len;

	(void)state;
	memset(&vs, 0, sizeof(vs));
	assert_int_equal(hns_vars_set(&vs, "a", "x", 1, 0), ATP_OK);
	assert_int_equal(hns_expand(&vs, "cost $5, ${a}$ and $${a}$", &out, &len, &d), ATP_OK);
	assert_string_equal(out, "cost $5, x$ and ${a}$");
	assert_int_equal(len, 21);
	atp_free(out);
	/* No secret at all: the bytes as they are, NUL included. */
	out = hns_mask(&vs, bin, sizeof(bin) - 1, &len);
	assert_non_null(out);
	assert_int_equal(len, sizeof(bin) - 1);
	assert_memory_equal(out, bin, sizeof(bin) - 1);
	atp_free(out);
	/* A secret in the middle of clear runs, twice. */
	assert_int_equal(hns_vars_set(&vs, "k", "s3cr", 4, 1), ATP_OK);
	out = hns_mask(&vs, "ab s3cr cd\0s3cr", 16, &len);
	assert_non_null(out);
	assert_int_equal(len, 14);
	assert_memory_equal(out, "ab *** cd\0***", 14);
	atp_free(out);
	hns_vars_clear(&vs);
}

static void
collect_ref(void *ctx, const char *name, size_t len)
{
	char *buf = ctx;
	size_t n = strlen(buf);

	snprintf(buf + n, 200 - n, "[%.*s]", (int)len, name);
}

static void
test_references_are_listed_but_not_the_environment(void **state)
{
	char buf[200] = "";

	(void)state;
	hns_refs("${a} $${b} ${env.HOME} ${c.d} ${", collect_ref, buf);
	assert_string_equal(buf, "[a][c.d]");
}

static void
test_tag_expressions_follow_precedence(void **state)
{
	static const char *const tags[] = { "factory", "smoke" };
	static const struct {
		const char *expr;
		int want;
	} rows[] = {
		{ "factory", 1 },
		{ "slow", 0 },
		{ "not slow", 1 },
		{ "factory and not slow", 1 },
		{ "factory and slow", 0 },
		{ "slow or smoke", 1 },
		{ "slow or smoke and factory", 1 },
		{ "(slow or smoke) and not factory", 0 },
		{ "not not factory", 1 },
		{ "  factory  ", 1 },
	};
	struct atp_diag d;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < NROWS(rows); i++) {
		r = -1;
		assert_int_equal(hns_tags_match(rows[i].expr, tags, 2, &r, &d), ATP_OK);
		if (r != rows[i].want) {
			print_error("%s: %d\n", rows[i].expr, r);
			fail();
		}
	}
	assert_int_equal(hns_tags_match("factory and", tags, 2, &r, &d), ATP_ERR_SYNTAX);
	assert_int_equal(hns_tags_match("(factory", tags, 2, &r, &d), ATP_ERR_SYNTAX);
	assert_int_equal(hns_tags_match("factory %", tags, 2, &r, &d), ATP_ERR_SYNTAX);
	{
		char deep[200];
		memset(deep, '(', sizeof(deep) - 1);
		deep[sizeof(deep) - 1] = '\0';
		assert_int_equal(hns_tags_match(deep, tags, 2, &r, &d), ATP_ERR_LIMIT);
	}
}

static void
test_durations_and_numbers_parse_strictly(void **state)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t us;
	} rows[] = {
		{ "500", ATP_OK, 500000 },
		{ "500ms", ATP_OK, 500000 },
		{ "2s", ATP_OK, 2000000 },
		{ "150us", ATP_OK, 150 },
		{ "1min", ATP_OK, 60000000 },
		{ "0us", ATP_OK, 0 },
		{ "2h", ATP_ERR_SYNTAX, 0 },
		{ "-1s", ATP_ERR_SYNTAX, 0 },
		{ "1.5s", ATP_ERR_SYNTAX, 0 },
		{ "", ATP_ERR_SYNTAX, 0 },
		{ "3601s", ATP_ERR_LIMIT, 0 },
		{ "99999999999999999999s", ATP_ERR_SYNTAX, 0 },
	};
	size_t i;
	uint64_t us;
	double v;

	(void)state;
	for (i = 0; i < NROWS(rows); i++) {
		int rc;
		us = 0;
		rc = hns_parse_duration(rows[i].s, &us);
		if ((rc < 0) != (rows[i].rc < 0) || (rc == 0 && us != rows[i].us)) {
			print_error("%s: rc %d us %llu\n", rows[i].s, rc, (unsigned long long)us);
			fail();
		}
	}
	assert_int_equal(hns_parse_number(atp_span_str("-53"), &v), ATP_OK);
	assert_true(v == -53.0);
	assert_int_equal(hns_parse_number(atp_span_str("12.25"), &v), ATP_OK);
	assert_true(v == 12.25);
	assert_int_equal(hns_parse_number(atp_span_str("12."), &v), ATP_ERR_SYNTAX);
	assert_int_equal(hns_parse_number(atp_span_str("1e3"), &v), ATP_ERR_SYNTAX);
	assert_int_equal(hns_parse_number(atp_span_str(""), &v), ATP_ERR_SYNTAX);
	assert_int_equal(hns_parse_number(atp_span_str("0x10"), &v), ATP_ERR_SYNTAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_globs_match_whole_texts),
		cmocka_unit_test(test_a_glob_on_hostile_text_ends_quickly),
		cmocka_unit_test(test_a_regex_captures_its_named_groups),
		cmocka_unit_test(test_a_bad_regex_says_where),
		cmocka_unit_test(test_a_shape_checks_types_and_ranges_and_captures_fields),
		cmocka_unit_test(test_error_matchers_look_at_the_code),
		cmocka_unit_test(test_variables_expand_with_escapes_and_the_environment),
		cmocka_unit_test(test_an_expansion_cannot_grow_without_bound),
		cmocka_unit_test(test_secrets_are_masked_everywhere_even_after_a_change),
		cmocka_unit_test(test_clear_text_between_references_and_secrets_is_kept_whole),
		cmocka_unit_test(test_references_are_listed_but_not_the_environment),
		cmocka_unit_test(test_tag_expressions_follow_precedence),
		cmocka_unit_test(test_durations_and_numbers_parse_strictly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
