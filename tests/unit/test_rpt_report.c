/* SPDX-License-Identifier: MIT */
/* \summary: the report model's verdicts and exit codes, and every writer */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "atproof/err.h"
#include "reports/rpt.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

/* A run of three cases: one passes, one fails at a step, one skipped. */
static struct rpt_run *
sample(void)
{
	struct rpt_run *r = rpt_run_new("run");
	struct rpt_case *c;
	struct rpt_step *s;
	struct rpt_measure *m;
	struct rpt_finding *f;

	assert_non_null(r);
	assert_int_equal(rpt_set(&r->unit_mac, "286dcd004e7d"), 0);
	assert_int_equal(rpt_set(&r->unit_fw, "G2.02.05 <&\"'>"), 0);
	c = rpt_case_add(r, "basic", "scenarios/basic.yaml");
	assert_non_null(c);
	c->verdict = RPT_PASS;
	s = rpt_step_add(c, "AT+QVER", "steps");
	assert_non_null(s);
	s->verdict = RPT_PASS;
	s->final_us = 120;
	m = rpt_measure_add(c, "rssi");
	assert_non_null(m);
	m->value = -53;
	m->has_min = 1;
	m->min = -80;
	m->verdict = RPT_PASS;
	c = rpt_case_add(r, "broken", "scenarios/broken.yaml");
	assert_non_null(c);
	c->verdict = RPT_PASS;
	s = rpt_step_add(c, "AT+QMAC", "steps");
	assert_non_null(s);
	s->verdict = RPT_FAIL;
	assert_int_equal(rpt_set(&s->file, "scenarios/broken.yaml"), 0);
	s->line = 12;
	assert_int_equal(rpt_set(&s->message, "unexpected response <x> & 'y'"), 0);
	assert_int_equal(rpt_set(&s->expected, "+OK=<mac:MAC>"), 0);
	assert_int_equal(rpt_set(&s->actual, "+OK=zz\\r\\n"), 0);
	assert_int_equal(rpt_set(&s->actual_hex, "2B 4F 4B 3D 7A 7A 0D 0A"), 0);
	assert_int_equal(rpt_set(&c->reason, "scenarios/broken.yaml:12: AT+QMAC: unexpected"), 0);
	c = rpt_case_add(r, "gated", "scenarios/gated.yaml");
	assert_non_null(c);
	c->verdict = RPT_SKIP;
	assert_int_equal(rpt_set(&c->reason, "requires mqtt"), 0);
	f = rpt_finding_add(r);
	assert_non_null(f);
	assert_int_equal(rpt_set(&f->rule, "resp-shape"), 0);
	assert_int_equal(rpt_set(&f->verdict, "fail"), 0);
	assert_int_equal(rpt_set(&f->file, "scenarios/broken.yaml"), 0);
	f->line = 12;
	rpt_run_finish(r);
	return r;
}

static char *
render(const struct rpt_run *r, enum rpt_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	assert_non_null(f);
	rc = rpt_write(r, fmt, f, 0);
	fclose(f);
	if (rc != 0)
		free(buf);
	assert_int_equal(rc, 0);
	assert_non_null(buf);
	return buf;
}

static void
test_verdicts_rank_error_over_fail_over_inconc(void **state)
{
	static const struct {
		enum rpt_verdict a, b, want;
	} rows[] = {
		{ RPT_PASS, RPT_FAIL, RPT_FAIL },
		{ RPT_FAIL, RPT_ERROR, RPT_ERROR },
		{ RPT_INCONC, RPT_PASS, RPT_INCONC },
		{ RPT_FAIL, RPT_INCONC, RPT_FAIL },
		{ RPT_SKIP, RPT_PASS, RPT_PASS },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(rows); i++) {
		assert_int_equal(rpt_worse(rows[i].a, rows[i].b), rows[i].want);
		assert_int_equal(rpt_worse(rows[i].b, rows[i].a), rows[i].want);
	}
}

static void
test_a_failed_step_fails_its_case_and_the_run(void **state)
{
	struct rpt_run *r = sample();

	(void)state;
	assert_int_equal(r->cases[0]->verdict, RPT_PASS);
	assert_int_equal(r->cases[1]->verdict, RPT_FAIL);
	assert_int_equal(r->cases[2]->verdict, RPT_SKIP);
	assert_int_equal(r->verdict, RPT_FAIL);
	assert_int_equal(rpt_exit_code(r), ATP_EXIT_FAIL);
	rpt_run_free(r);
}

static void
test_exit_codes_follow_the_design(void **state)
{
	struct rpt_run *r = rpt_run_new("run");
	struct rpt_case *c;

	(void)state;
	assert_non_null(r);
	rpt_run_finish(r);
	assert_int_equal(rpt_exit_code(r), ATP_EXIT_PASS);
	c = rpt_case_add(r, "a", "a.yaml");
	assert_non_null(c);
	c->verdict = RPT_SKIP;
	r->verdict = RPT_PASS;
	rpt_run_finish(r);
	/* Everything skipped is not a pass. */
	assert_int_equal(rpt_exit_code(r), ATP_EXIT_INCONC);
	c->verdict = RPT_INCONC;
	r->verdict = RPT_PASS;
	rpt_run_finish(r);
	assert_int_equal(rpt_exit_code(r), ATP_EXIT_INCONC);
	c->verdict = RPT_ERROR;
	rpt_run_finish(r);
	assert_int_equal(rpt_exit_code(r), ATP_EXIT_ENV);
	rpt_run_free(r);
}

static void
test_a_measure_out_of_its_limits_fails_the_case(void **state)
{
	struct rpt_run *r = rpt_run_new("run");
	struct rpt_case *c;
	struct rpt_measure *m;

	(void)state;
	assert_non_null(r);
	c = rpt_case_add(r, "m", "m.yaml");
	assert_non_null(c);
	m = rpt_measure_add(c, "rssi");
	assert_non_null(m);
	c->verdict = RPT_PASS;
	m->verdict = RPT_FAIL;
	rpt_run_finish(r);
	assert_int_equal(c->verdict, RPT_FAIL);
	rpt_run_free(r);
}

static void
test_json_has_the_keys_of_the_design(void **state)
{
	struct rpt_run *r = sample();
	char *text = render(r, RPT_JSON);
	json_error_t err;
	json_t *j, *cases, *c1, *st;

	(void)state;
	assert_non_null(text);
	j = json_loads(text, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "fail");
	cases = json_object_get(j, "cases");
	assert_int_equal(json_array_size(cases), 3);
	c1 = json_array_get(cases, 1);
	assert_string_equal(json_string_value(json_object_get(c1, "id")), "broken");
	assert_string_equal(json_string_value(json_object_get(c1, "file")), "scenarios/broken.yaml");
	assert_string_equal(json_string_value(json_object_get(c1, "verdict")), "fail");
	st = json_array_get(json_object_get(c1, "steps"), 0);
	assert_string_equal(json_string_value(json_object_get(st, "actual_hex")),
	    "2B 4F 4B 3D 7A 7A 0D 0A");
	assert_int_equal(json_integer_value(json_object_get(st, "line")), 12);
	assert_true(json_is_array(json_object_get(j, "findings")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "stats"),
	    "failed")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "unit"), "mac")),
	    "286dcd004e7d");
	json_decref(j);
	free(text);
	rpt_run_free(r);
}

static void
test_junit_escapes_and_carries_the_unit(void **state)
{
	struct rpt_run *r = sample();
	char *text = render(r, RPT_JUNIT);

	(void)state;
	assert_non_null(strstr(text, "<testcase classname=\"scenarios/basic.yaml\" name=\"basic\""));
	assert_non_null(strstr(text, "<property name=\"unit.mac\" value=\"286dcd004e7d\"/>"));
	assert_non_null(strstr(text, "value=\"G2.02.05 &lt;&amp;&quot;&apos;&gt;\""));
	assert_non_null(strstr(text, "<failure message=\"scenarios/broken.yaml:12: AT+QMAC"));
	assert_non_null(strstr(text, "unexpected response &lt;x&gt; &amp; &apos;y&apos;"));
	assert_non_null(strstr(text, "<skipped message=\"requires mqtt\"/>"));
	assert_null(strstr(text, "<x>"));
	free(text);
	rpt_run_free(r);
}

static void
test_tap_numbers_cases_and_skips(void **state)
{
	struct rpt_run *r = sample();
	char *text = render(r, RPT_TAP);

	(void)state;
	assert_non_null(strstr(text, "TAP version 13\n1..3\nok 1 - basic\nnot ok 2 - broken\n"));
	assert_non_null(strstr(text, "ok 3 - gated # SKIP requires mqtt\n"));
	assert_non_null(strstr(text, "  expected: '+OK=<mac:MAC>'\n"));
	free(text);
	rpt_run_free(r);
}

static void
test_text_shows_place_expected_actual_and_hex(void **state)
{
	struct rpt_run *r = sample();
	char *text = render(r, RPT_TEXT);

	(void)state;
	assert_non_null(strstr(text, "FAIL   broken  (scenarios/broken.yaml"));
	assert_non_null(strstr(text, "scenarios/broken.yaml:12: steps step 'AT+QMAC'"));
	assert_non_null(strstr(text, "expected:   +OK=<mac:MAC>"));
	assert_non_null(strstr(text, "actual hex: 2B 4F 4B"));
	assert_non_null(strstr(text, "measure rssi = -53"));
	assert_null(strstr(text, "\033["));
	free(text);
	rpt_run_free(r);
}

static void
test_html_is_one_escaped_page(void **state)
{
	struct rpt_run *r = sample();
	char *text = render(r, RPT_HTML);

	(void)state;
	assert_non_null(strstr(text, "<!DOCTYPE html>"));
	assert_non_null(strstr(text, "</html>"));
	assert_non_null(strstr(text, "G2.02.05 &lt;&amp;"));
	/* Inline script only: nothing the page would fetch. */
	assert_null(strstr(text, "<script src"));
	assert_null(strstr(text, "src=\"http"));
	assert_null(strstr(text, "href=\"http"));
	free(text);
	rpt_run_free(r);
}

static void
test_json_gives_timing_percentiles_over_repeats(void **state)
{
	struct rpt_run *r = rpt_run_new("run");
	static const int64_t us[] = { 30, 10, 20 };
	json_t *j, *t;
	json_error_t err;
	char *text;
	size_t i;

	(void)state;
	assert_non_null(r);
	for (i = 0; i < 3; i++) {
		struct rpt_case *c = rpt_case_add(r, "rep", "r.yaml");
		struct rpt_step *s;
		assert_non_null(c);
		s = rpt_step_add(c, "AT+QVER", "steps");
		assert_non_null(s);
		assert_int_equal(rpt_set(&s->file, "r.yaml"), 0);
		s->line = 7;
		s->final_us = us[i];
		c->verdict = RPT_PASS;
	}
	rpt_run_finish(r);
	text = render(r, RPT_JSON);
	j = json_loads(text, 0, &err);
	assert_non_null(j);
	t = json_object_get(j, "timing");
	assert_int_equal(json_array_size(t), 1);
	t = json_array_get(t, 0);
	assert_int_equal(json_integer_value(json_object_get(t, "n")), 3);
	assert_int_equal(json_integer_value(json_object_get(t, "min_us")), 10);
	assert_int_equal(json_integer_value(json_object_get(t, "p50_us")), 20);
	assert_int_equal(json_integer_value(json_object_get(t, "max_us")), 30);
	assert_int_equal(json_integer_value(json_object_get(t, "line")), 7);
	json_decref(j);
	free(text);
	rpt_run_free(r);
}

static void
test_formats_are_named(void **state)
{
	(void)state;
	assert_int_equal(rpt_format_parse("text"), RPT_TEXT);
	assert_int_equal(rpt_format_parse("json"), RPT_JSON);
	assert_int_equal(rpt_format_parse("junit"), RPT_JUNIT);
	assert_int_equal(rpt_format_parse("tap"), RPT_TAP);
	assert_int_equal(rpt_format_parse("html"), RPT_HTML);
	assert_int_equal(rpt_format_parse("xml"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts_rank_error_over_fail_over_inconc),
		cmocka_unit_test(test_a_failed_step_fails_its_case_and_the_run),
		cmocka_unit_test(test_exit_codes_follow_the_design),
		cmocka_unit_test(test_a_measure_out_of_its_limits_fails_the_case),
		cmocka_unit_test(test_json_has_the_keys_of_the_design),
		cmocka_unit_test(test_junit_escapes_and_carries_the_unit),
		cmocka_unit_test(test_tap_numbers_cases_and_skips),
		cmocka_unit_test(test_text_shows_place_expected_actual_and_hex),
		cmocka_unit_test(test_html_is_one_escaped_page),
		cmocka_unit_test(test_json_gives_timing_percentiles_over_repeats),
		cmocka_unit_test(test_formats_are_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
