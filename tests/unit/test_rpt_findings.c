/* SPDX-License-Identifier: MIT */
/* \summary: the report model's findings layout (the analyzer's): JSON keys, text sections, timeline */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "reports/rpt.h"

/* Two inputs, two rules, three findings (one of them at a byte offset of
 * a binary input, one a known deviation), a timing row, a timeline. */
static struct rpt_run *
sample(size_t nevents)
{
	struct rpt_run *r = rpt_run_new("analyze");
	struct rpt_finding *f;
	struct rpt_rule *ru;
	struct rpt_lat *l;
	struct rpt_event *e;
	int64_t us[3] = { 9000, 12000, 30000 };
	size_t i;

	assert_non_null(r);
	r->layout = RPT_LAYOUT_FINDINGS;
	r->verdict = RPT_FAIL;
	assert_int_equal(rpt_set(&r->profile, "g3"), 0);
	assert_int_equal(rpt_set(&r->version, "9.9"), 0);
	assert_non_null(rpt_input_add(r, "log.txt", "jpnevulator"));
	assert_non_null(rpt_input_add(r, "cap.pcapng", NULL));
	f = rpt_finding_add(r);
	assert_non_null(f);
	assert_int_equal(rpt_set(&f->rule, "resp-missing") | rpt_set(&f->severity, "error") |
	    rpt_set(&f->verdict, "fail") | rpt_set(&f->section, "2.1") |
	    rpt_set(&f->file, "log.txt") | rpt_set(&f->command, "QMAC") |
	    rpt_set(&f->message, "AT+QMAC: never answered \xc2\xb5"), 0);
	f->line = 12;
	f->time_us = 36000400000ull;
	f = rpt_finding_add(r);
	assert_non_null(f);
	assert_int_equal(rpt_set(&f->rule, "slist-double-comma") | rpt_set(&f->severity, "warning") |
	    rpt_set(&f->verdict, "known") | rpt_set(&f->section, "2.2.3.6") |
	    rpt_set(&f->file, "cap.pcapng") | rpt_set(&f->deviation, "slist-double-comma") |
	    rpt_set(&f->message, "double comma"), 0);
	f->offset = 4698;
	f = rpt_finding_add(r);
	assert_non_null(f);
	assert_int_equal(rpt_set(&f->rule, "resp-missing") | rpt_set(&f->severity, "error") |
	    rpt_set(&f->verdict, "inconc") | rpt_set(&f->section, "2.1") |
	    rpt_set(&f->file, "log.txt") | rpt_set(&f->message, "AT+QVER: the log ends"), 0);
	f->line = 40;
	ru = rpt_rule_add(r, "resp-missing");
	assert_non_null(ru);
	assert_int_equal(rpt_set(&ru->severity, "error") | rpt_set(&ru->section, "2.1"), 0);
	ru->count = 5;                /* more than kept: counted, not all shown */
	ru->fail = 4;
	ru->inconc = 1;
	ru = rpt_rule_add(r, "slist-double-comma");
	assert_non_null(ru);
	assert_int_equal(rpt_set(&ru->severity, "warning") | rpt_set(&ru->section, "2.2.3.6"), 0);
	ru->count = 1;
	ru->known = 1;
	assert_int_equal(rpt_stat_add(r, "files", 2), 0);
	assert_int_equal(rpt_stat_add(r, "records", 77), 0);
	assert_int_equal(rpt_stat_add(r, "commands", 5), 0);
	l = rpt_lat_add(r, "QVER", us, 3);
	assert_non_null(l);
	l->n = 3;
	l->p50_us = 12000;
	l->p90_us = l->p99_us = l->max_us = 30000;
	l->max_first_us = 2000;
	l->limit_us = 25000;
	l = rpt_lat_add(r, "QMAC", NULL, 0);
	assert_non_null(l);
	l->missing = 1;
	for (i = 0; i < nevents; i++) {
		e = rpt_event_add(r);
		assert_non_null(e);
		e->line = i + 1;
		e->time_us = i == 0 ? 36000400000ull : 0;
		assert_int_equal(rpt_set(&e->lane, "uart") | rpt_set(&e->file, "log.txt") |
		    rpt_set(&e->verdict, "fail") | rpt_set(&e->what, "resp-missing: x"), 0);
	}
	e = rpt_event_add(r);
	assert_non_null(e);
	e->time_us = 36000500000ull;
	assert_int_equal(rpt_set(&e->lane, "net") | rpt_set(&e->what, "net   TCP SYN 10.0.0.2:5"), 0);
	r->json_extra = json_pack("{s:{s:i}}", "network", "packets", 5);
	assert_non_null(r->json_extra);
	return r;
}

static char *
render(const struct rpt_run *r, enum rpt_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(rpt_write(r, fmt, f, 0), 0);
	fclose(f);
	return buf;
}

static void
test_json_has_the_analyzers_keys(void **state)
{
	struct rpt_run *r = sample(1);
	char *s = render(r, RPT_JSON);
	json_error_t je;
	json_t *o = json_loads(s, 0, &je), *f, *lat;
	const char *keys[] = { "tool", "version", "verdict", "profile", "inputs", "findings",
	    "rules", "stats", "network" };
	const char *k;
	json_t *v;
	size_t i = 0;

	(void)state;
	assert_non_null(o);
	/* The keys in their order (the goldens compare bytes). */
	json_object_foreach(o, k, v) {
		assert_true(i < sizeof(keys) / sizeof(keys[0]));
		assert_string_equal(k, keys[i]);
		i++;
	}
	assert_int_equal(i, sizeof(keys) / sizeof(keys[0]));
	assert_string_equal(json_string_value(json_object_get(o, "tool")), "atproof analyze");
	assert_string_equal(json_string_value(json_object_get(o, "verdict")), "fail");
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(o, "inputs"), 1),
	    "format")));
	f = json_array_get(json_object_get(o, "findings"), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "source"), "line")),
	    12);
	assert_int_equal(json_integer_value(json_object_get(f, "time_us")), 36000400000ll);
	assert_null(json_object_get(f, "deviation"));
	f = json_array_get(json_object_get(o, "findings"), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "source"),
	    "offset")), 4698);
	assert_true(json_is_null(json_object_get(f, "command")));
	assert_string_equal(json_string_value(json_object_get(f, "deviation")),
	    "slist-double-comma");
	assert_null(json_object_get(f, "time_us"));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(o,
	    "rules"), 0), "count")), 5);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "stats"),
	    "records")), 77);
	lat = json_object_get(json_object_get(o, "stats"), "latency");
	assert_int_equal(json_array_size(lat), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(lat, 0), "limit_us")),
	    25000);
	/* A row never timed has no percentiles. */
	assert_null(json_object_get(json_array_get(lat, 1), "p50_us"));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(lat, 1), "unanswered")),
	    1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "network"),
	    "packets")), 5);
	/* Device text stays ASCII in the file: the µ escaped. */
	for (i = 0; s[i] != '\0'; i++)
		assert_true((unsigned char)s[i] < 0x80);
	assert_non_null(strstr(s, "never answered \\u00"));
	json_decref(o);
	free(s);
	rpt_run_free(r);
}

static void
test_text_groups_by_rule_and_keeps_places(void **state)
{
	struct rpt_run *r = sample(1);
	char *s;

	(void)state;
	assert_int_equal(rpt_set(&r->reason, "an input could not be read"), 0);
	r->verdict = RPT_ERROR;
	s = render(r, RPT_TEXT);
	assert_non_null(strstr(s, "verdict: error (an input could not be read) (profile g3)\n"));
	assert_non_null(strstr(s, "inputs: 2 file(s), 77 records"));
	assert_non_null(strstr(s, "  cap.pcapng (?)\n"));
	assert_non_null(strstr(s, "\nresp-missing:\n  log.txt:12: AT+QMAC"));
	/* 5 counted, 2 kept. */
	assert_non_null(strstr(s, "  ... and 3 more\n"));
	assert_non_null(strstr(s, "  cap.pcapng@4698: double comma [known] known: slist-double-comma"));
	assert_non_null(strstr(s, "\ntimeline:\n  10:00:00.400 log.txt:1  fail   resp-missing: x\n"
	    "  10:00:00.500 net   TCP SYN 10.0.0.2:5\n"));
	assert_non_null(strstr(s, "  QVER             3    12.000    30.000    30.000    30.000     0"));
	free(s);
	rpt_run_free(r);
}

static void
test_timeline_shows_the_first_findings_and_every_network_event(void **state)
{
	struct rpt_run *r = sample(70);
	char *s = render(r, RPT_TEXT);

	(void)state;
	assert_non_null(strstr(s, "log.txt:60  fail"));
	assert_null(strstr(s, "log.txt:61  fail"));
	assert_non_null(strstr(s, "net   TCP SYN"));
	assert_non_null(strstr(s, "  ... and 10 more\n"));
	free(s);
	rpt_run_free(r);
}

/* The HTML page shows the timeline, and binary places as offsets. */
static void
test_html_has_the_timeline(void **state)
{
	struct rpt_run *r = sample(2);
	char *s = render(r, RPT_HTML);

	(void)state;
	assert_non_null(strstr(s, "id=\"timeline-table\""));
	assert_non_null(strstr(s, "<td>10:00:00.500000</td><td>net</td>"));
	assert_non_null(strstr(s, "cap.pcapng@4698"));
	free(s);
	rpt_run_free(r);
}

/* The findings layout changes only the JSON and text: JUnit lists cases. */
static void
test_junit_still_lists_cases(void **state)
{
	struct rpt_run *r = sample(0);
	struct rpt_case *c = rpt_case_add(r, "resp-missing", "log.txt");
	char *s;

	(void)state;
	assert_non_null(c);
	c->verdict = RPT_FAIL;
	s = render(r, RPT_JUNIT);
	assert_non_null(strstr(s, "name=\"resp-missing\""));
	assert_null(strstr(s, "\"findings\""));
	free(s);
	rpt_run_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_has_the_analyzers_keys),
		cmocka_unit_test(test_text_groups_by_rule_and_keeps_places),
		cmocka_unit_test(test_timeline_shows_the_first_findings_and_every_network_event),
		cmocka_unit_test(test_html_has_the_timeline),
		cmocka_unit_test(test_junit_still_lists_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
