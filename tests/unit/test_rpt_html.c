/* SPDX-License-Identifier: MIT */
/* \summary: the HTML report: summary, failure details, sequence charts, latency, ceilings */
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

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

static char *
render(const struct rpt_run *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	assert_non_null(f);
	rc = rpt_write(r, RPT_HTML, f, 0);
	fclose(f);
	assert_int_equal(rc, 0);
	assert_non_null(buf);
	return buf;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

static struct rpt_step *
step(struct rpt_case *c, const char *name, enum rpt_verdict v, const char *actual, int64_t us)
{
	struct rpt_step *s = rpt_step_add(c, name, "steps");

	assert_non_null(s);
	s->verdict = v;
	s->final_us = us;
	assert_int_equal(rpt_set(&s->file, "s.yaml"), 0);
	if (actual != NULL)
		assert_int_equal(rpt_set(&s->actual, actual), 0);
	return s;
}

/* A case with a command, a peer round trip and a failing step. */
static struct rpt_run *
peer_run(void)
{
	struct rpt_run *r = rpt_run_new("run");
	struct rpt_case *c;
	struct rpt_step *s;

	assert_non_null(r);
	assert_int_equal(rpt_set(&r->unit_mac, "286dcd004e7d"), 0);
	c = rpt_case_add(r, "sock<1>", "sock.yaml");
	assert_non_null(c);
	step(c, "AT+SKCT=...", RPT_PASS, "+OK=1\\r\\n\\r\\n", 900);
	step(c, "peer_expect srv", RPT_PASS, NULL, -1);
	step(c, "peer_send srv", RPT_PASS, NULL, -1);
	s = step(c, "AT+SKRCV=...", RPT_FAIL, "+OK=5\\r\\n\\r\\n", 1500);
	assert_int_equal(rpt_set(&s->expected, "+OK=4"), 0);
	assert_int_equal(rpt_set(&s->actual_hex, "2B 4F 4B 3D 35 0D 0A 0D 0A"), 0);
	assert_int_equal(rpt_set(&s->message, "length 5 where 4 was expected"), 0);
	assert_int_equal(rpt_set(&s->unconsumed, "hello"), 0);
	step(c, "read_data", RPT_SKIP, NULL, -1);
	rpt_run_finish(r);
	return r;
}

static void
test_the_summary_counts_the_verdicts_and_names_the_unit(void **state)
{
	struct rpt_run *r = peer_run();
	char *h = render(r);

	(void)state;
	assert_non_null(strstr(h, "id=\"summary\" data-cases=\"1\" data-passed=\"0\" "
	    "data-failed=\"1\""));
	assert_non_null(strstr(h, "<td>286dcd004e7d</td>"));
	assert_non_null(strstr(h, "sock&lt;1&gt;"));
	assert_null(strstr(h, "sock<1>"));
	free(h);
	rpt_run_free(r);
}

static void
test_a_failure_shows_expected_actual_hex_and_the_bytes_around_it(void **state)
{
	struct rpt_run *r = peer_run();
	char *h = render(r);
	static const char *const want[] = {
		"<pre class=\"expected\">+OK=4</pre>",
		"<pre class=\"actual\">+OK=5\\r\\n\\r\\n</pre>",
		"<pre class=\"actual-hex\">2B 4F 4B 3D 35 0D 0A 0D 0A</pre>",
		"<pre class=\"message\">length 5 where 4 was expected</pre>",
		"<pre class=\"unconsumed\">hello</pre>",
		"<pre class=\"before\">",
	};
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(want); i++)
		if (strstr(h, want[i]) == NULL)
			fail_msg("no %s", want[i]);
	free(h);
	rpt_run_free(r);
}

static void
test_the_chart_has_a_lifeline_per_peer_and_an_arrow_per_message(void **state)
{
	struct rpt_run *r = peer_run();
	char *h = render(r);
	char *svg = strstr(h, "<svg class=\"msc\"");

	(void)state;
	assert_non_null(svg);
	assert_non_null(strstr(svg, ">host</text>"));
	assert_non_null(strstr(svg, ">module</text>"));
	assert_non_null(strstr(svg, ">srv</text>"));
	/* SKCT and its answer, the peer both ways, SKRCV and its answer; the
	 * skipped read_data drew nothing. */
	assert_int_equal(count(svg, "<g class=\"msg "), 6);
	assert_non_null(strstr(svg, "<g class=\"msg fail\">"));
	free(h);
	rpt_run_free(r);
}

static void
test_latency_is_grouped_by_command_with_percentiles(void **state)
{
	struct rpt_run *r = rpt_run_new("run");
	struct rpt_case *c;
	char *h;
	int i;

	(void)state;
	assert_non_null(r);
	c = rpt_case_add(r, "t", "t.yaml");
	assert_non_null(c);
	for (i = 1; i <= 100; i++)
		step(c, i % 2 ? "AT+QVER" : "AT+QVER=...", RPT_PASS, "+OK", i * 10);
	rpt_run_finish(r);
	h = render(r);
	/* One row for both forms: n 100, min 10, p50 500, p90 900, p99 990. */
	assert_non_null(strstr(h, "<td>AT+QVER</td><td class=\"n\">100</td><td class=\"n\">10</td>"
	    "<td class=\"n\">500</td><td class=\"n\">900</td><td class=\"n\">990</td>"));
	assert_non_null(strstr(h, "<svg class=\"hist\""));
	free(h);
	rpt_run_free(r);
}

static void
test_the_analyzer_samples_make_the_latency_table(void **state)
{
	struct rpt_run *r = rpt_run_new("analyze");
	static const int64_t us[] = { 300, 100, 200 };
	struct rpt_lat *l;
	char *h;

	(void)state;
	assert_non_null(r);
	l = rpt_lat_add(r, "QMAC", us, NROWS(us));
	assert_non_null(l);
	l->n = 10;
	l->missing = 2;
	rpt_run_finish(r);
	h = render(r);
	assert_non_null(strstr(h, "<td>QMAC</td><td class=\"n\">10 (a sample of 3), 2 unanswered"
	    "</td><td class=\"n\">100</td><td class=\"n\">200</td>"));
	free(h);
	rpt_run_free(r);
}

/*
 * Thousands of cases: the page lists the failures, draws a bounded number
 * of charts, says what it left out, and stays small.
 */
static void
test_a_big_run_is_capped_and_says_what_it_left_out(void **state)
{
	struct rpt_run *r = rpt_run_new("run");
	char id[32], *h;
	size_t i, j, len;

	(void)state;
	assert_non_null(r);
	for (i = 0; i < 6000; i++) {
		struct rpt_case *c;
		snprintf(id, sizeof(id), "case-%zu", i);
		c = rpt_case_add(r, id, "big.yaml");
		assert_non_null(c);
		for (j = 0; j < 20; j++)
			step(c, "AT+QVER", i % 20 == 0 && j == 19 ? RPT_FAIL : RPT_PASS,
			    "+OK=1.0\\r\\n\\r\\n", (int64_t)(i + j));
	}
	rpt_run_finish(r);
	/* The page's size is bounded (its render time is bench material,
	 * not a test's: no timing assertion here). */
	h = render(r);
	len = strlen(h);
	assert_true(len < 4u * 1024 * 1024);
	assert_non_null(strstr(h, "data-cases=\"6000\" data-passed=\"5700\" data-failed=\"300\""));
	/* Every failing case has a row; the rows stop at 2000. */
	assert_non_null(strstr(h, ">case-5980</a>"));
	assert_int_equal(count(h, "<tr class=\"v-"), 2000);
	assert_non_null(strstr(h, "id=\"cases-left-out\">4000 passing"));
	assert_int_equal(count(h, "<section class=\"failure\""), 200);
	assert_non_null(strstr(h, "100 more failing cases are not detailed"));
	assert_int_equal(count(h, "<svg class=\"msc\""), 60);
	assert_non_null(strstr(h, "60 of 6000 cases drawn"));
	free(h);
	rpt_run_free(r);
}

/*
 * A failing step late in a long case is detailed; a case of many failing
 * steps shows the first ones, folds the next ones away and counts the
 * rest.
 */
static void
test_a_long_case_details_its_late_failure_and_folds_the_rest(void **state)
{
	struct rpt_run *r = rpt_run_new("run");
	struct rpt_case *c;
	char name[32], *h, *sec, *end;
	size_t i;

	(void)state;
	assert_non_null(r);
	c = rpt_case_add(r, "long-flow", "long.yaml");
	assert_non_null(c);
	for (i = 0; i < 80; i++) {
		snprintf(name, sizeof(name), "AT+QVER #%zu", i);
		step(c, name, i == 70 ? RPT_FAIL : RPT_PASS, "+OK=1.0\\r\\n\\r\\n", 100);
	}
	c = rpt_case_add(r, "many-fails", "many.yaml");
	assert_non_null(c);
	for (i = 0; i < 120; i++) {
		snprintf(name, sizeof(name), "rule #%zu", i);
		step(c, name, RPT_FAIL, NULL, -1)->line = 0;
	}
	rpt_run_finish(r);
	h = render(r);
	sec = strstr(h, "<section class=\"failure\" id=\"case-0\">");
	assert_non_null(sec);
	end = strstr(sec, "</section>");
	assert_non_null(end);
	*end = '\0';
	assert_non_null(strstr(sec, "<b class=\"step-name\">AT+QVER #70</b>"));
	assert_int_equal(count(sec, "<table class=\"kv step\">"), 1);
	assert_null(strstr(sec, "<details"));
	sec = strstr(end + 1, "<section class=\"failure\" id=\"case-1\">");
	assert_non_null(sec);
	end = strstr(sec, "</section>");
	assert_non_null(end);
	*end = '\0';
	assert_int_equal(count(sec, "<table class=\"kv step\">"), 50);
	/* Three before the fold, 47 in it, 70 counted. */
	assert_non_null(strstr(sec, "<b class=\"step-name\">rule #2</b>"));
	assert_non_null(strstr(sec, "rule #2</b> <span class=\"fail\">fail</span></td></tr>\n"));
	assert_true(strstr(sec, "<details class=\"more-steps\"><summary>47 more failing steps") >
	    strstr(sec, "rule #2</b>"));
	assert_true(strstr(sec, "<details class=\"more-steps\">") < strstr(sec, "rule #3</b>"));
	assert_non_null(strstr(sec, "rule #49</b>"));
	assert_null(strstr(sec, "rule #50</b>"));
	assert_non_null(strstr(sec, "70 more failing steps are not detailed"));
	/* A step of a binary input (line 0) has no ":0". */
	assert_non_null(strstr(sec, "<td>s.yaml: steps <b"));
	assert_null(strstr(sec, "s.yaml:0:"));
	free(h);
	rpt_run_free(r);
}

/*
 * An analyzed session: its chart has the host, the module and each network
 * peer as lifelines, an arrow per message, a finding as a failing note,
 * and says how much of the session it shows.
 */
static void
test_an_analyzed_session_is_drawn_with_its_network_peers(void **state)
{
	struct rpt_run *r = rpt_run_new("analyze");
	struct rpt_chart *c;
	char *h, *svg, *end;

	(void)state;
	assert_non_null(r);
	r->layout = RPT_LAYOUT_FINDINGS;
	c = rpt_chart_add(r, "cap<1>.pcapng");
	assert_non_null(c);
	assert_int_equal(rpt_chart_msg(c, "host", "module", "AT+SKCT=0,0,10.0.0.2,80", RPT_PASS), 0);
	assert_int_equal(rpt_chart_msg(c, "module", "socket 1 peer", "TCP SYN", RPT_PASS), 0);
	assert_int_equal(rpt_chart_msg(c, "module", "host", "+OK=1", RPT_PASS), 0);
	assert_int_equal(rpt_chart_msg(c, "socket 1 peer", "module", "socket 1 from peer: 5 bytes",
	    RPT_PASS), 0);
	assert_int_equal(rpt_chart_msg(c, "module", "host", "+SKTRPT=1,5", RPT_PASS), 0);
	assert_int_equal(rpt_chart_msg(c, "module", "module", "resp-errcode: -4 for -2", RPT_FAIL),
	    0);
	c->total = 1000000;
	rpt_run_finish(r);
	h = render(r);
	assert_non_null(strstr(h, "<summary>session cap&lt;1&gt;.pcapng</summary>"));
	svg = strstr(h, "<svg class=\"msc\"");
	assert_non_null(svg);
	end = strstr(svg, "</svg>");
	assert_non_null(end);
	assert_null(strstr(end, "<svg class=\"msc\""));
	end[0] = '\0';
	assert_non_null(strstr(svg, ">host</text>"));
	assert_non_null(strstr(svg, ">module</text>"));
	assert_non_null(strstr(svg, ">socket 1 peer</text>"));
	assert_int_equal(count(svg, "<g class=\"msg "), 5);
	/* The peer's arrow runs from its lifeline (the third) to the module's. */
	assert_non_null(strstr(svg, "<line x1=\"600\" y1=\"118\" x2=\"360\" y2=\"118\""));
	assert_non_null(strstr(svg, "<g class=\"note fail\">"));
	assert_non_null(strstr(svg, "resp-errcode: -4 for -2"));
	assert_non_null(strstr(end + 1, "6 of 1000000 messages drawn"));
	free(h);
	rpt_run_free(r);
}

/*
 * The analyzer charts its first sessions only: the page draws at most 60
 * and counts every session, those past the analyzer's ceiling too.
 */
static void
test_the_charts_count_every_session(void **state)
{
	struct rpt_run *r = rpt_run_new("analyze");
	struct rpt_chart *c;
	char name[32], *h;
	size_t i;

	(void)state;
	assert_non_null(r);
	r->layout = RPT_LAYOUT_FINDINGS;
	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "in%zu.txt", i);
		c = rpt_chart_add(r, name);
		assert_non_null(c);
		assert_int_equal(rpt_chart_msg(c, "host", "module", "AT+QVER", RPT_PASS), 0);
	}
	r->sessions = 70;
	rpt_run_finish(r);
	h = render(r);
	assert_int_equal(count(h, "<svg class=\"msc\""), 60);
	assert_non_null(strstr(h, "60 of 70 sessions drawn."));
	free(h);
	rpt_run_free(r);
}

/*
 * An analyzer's failing step shows its bytes and the command before it as
 * the step says; its steps are findings, not a sequence, so the step
 * before it never stands in for what came before.
 */
static void
test_an_analyzer_step_shows_its_own_bytes_and_command(void **state)
{
	struct rpt_run *r = rpt_run_new("analyze");
	struct rpt_case *c;
	struct rpt_step *s;
	char *h;

	(void)state;
	assert_non_null(r);
	r->layout = RPT_LAYOUT_FINDINGS;
	c = rpt_case_add(r, "resp-expected-error", "log.txt");
	assert_non_null(c);
	s = step(c, "resp-expected-error", RPT_FAIL, "+OK\\r\\n\\r\\n", -1);
	assert_int_equal(rpt_set(&s->actual_hex, "2B 4F 4B 0D 0A 0D 0A"), 0);
	assert_int_equal(rpt_set(&s->before, "AT+WPRT=7"), 0);
	step(c, "resp-expected-error", RPT_FAIL, NULL, -1);
	rpt_run_finish(r);
	h = render(r);
	assert_non_null(strstr(h, "<pre class=\"actual-hex\">2B 4F 4B 0D 0A 0D 0A</pre>"));
	assert_non_null(strstr(h, "<tr><th>before it</th><td><pre class=\"before\">AT+WPRT=7</pre>"));
	/* The second finding has no bytes: no "before it" from the first. */
	assert_int_equal(count(h, "<th>before it</th>"), 1);
	free(h);
	rpt_run_free(r);
}

/* Every byte sequence is whole UTF-8 (a cut never splits a character). */
static int
utf8_ok(const unsigned char *p)
{
	while (*p != '\0') {
		size_t n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 :
		    (*p & 0xF8) == 0xF0 ? 4 : 0;
		size_t i;
		if (n == 0)
			return 0;
		for (i = 1; i < n; i++)
			if ((p[i] & 0xC0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

static void
test_cut_text_stays_utf8_and_control_bytes_do_not_reach_the_page(void **state)
{
	struct rpt_run *r = rpt_run_new("run");
	struct rpt_case *c;
	struct rpt_step *s;
	char longs[700], ctl[] = "bad\001byte\033[31m";
	size_t i;
	char *h;

	(void)state;
	assert_non_null(r);
	c = rpt_case_add(r, "u", "u.yaml");
	assert_non_null(c);
	/* 2-byte characters at odd offsets: 'x' then "é" repeated. */
	longs[0] = 'x';
	for (i = 1; i + 2 < sizeof(longs); i += 2) {
		longs[i] = (char)0xC3;
		longs[i + 1] = (char)0xA9;
	}
	longs[i] = '\0';
	assert_int_equal(rpt_set(&c->reason, longs), 0);
	s = step(c, longs, RPT_FAIL, longs, 10);
	assert_int_equal(rpt_set(&s->message, ctl), 0);
	rpt_run_finish(r);
	h = render(r);
	assert_true(utf8_ok((const unsigned char *)h));
	assert_null(strchr(h, '\001'));
	assert_null(strchr(h, '\033'));
	assert_non_null(strstr(h, "bad?byte?[31m"));
	free(h);
	rpt_run_free(r);
}

static void
test_a_station_page_tables_units_by_measurement_against_limits(void **state)
{
	static const char sum_text[] =
	    "{\"tool\":\"run\",\"verdict\":\"fail\",\"station\":\"line<1>\",\"units\":["
	    "{\"name\":\"u1\",\"port\":\"/dev/ttyUSB0\",\"verdict\":\"pass\",\"exit\":0,"
	    "\"mac\":\"286dcd004e7d\",\"firmware\":\"fw\",\"stats\":{\"passed\":1}},"
	    "{\"name\":\"u2\",\"port\":\"/dev/ttyUSB1\",\"verdict\":\"fail\",\"exit\":1,"
	    "\"mac\":null,\"firmware\":null,\"stats\":{\"failed\":1}}],\"cases\":["
	    "{\"id\":\"rf\",\"unit\":\"u1\",\"verdict\":\"pass\",\"measures\":[{\"name\":"
	    "\"rssi\",\"value\":-50,\"unit\":\"dBm\",\"min\":-70,\"max\":null,\"verdict\":"
	    "\"pass\"}]},"
	    "{\"id\":\"rf\",\"unit\":\"u2\",\"verdict\":\"fail\",\"reason\":\"rssi low\","
	    "\"measures\":[{\"name\":\"rssi\",\"value\":-80,\"unit\":\"dBm\",\"min\":-70,"
	    "\"max\":null,\"verdict\":\"fail\"}]}]}";
	json_t *sum = json_loads(sum_text, 0, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(sum);
	assert_non_null(f);
	assert_int_equal(rpt_write_station_html(sum, "out/st.html", f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "line&lt;1&gt;"));
	assert_non_null(strstr(buf, "data-units=\"2\" data-passed=\"1\" data-failed=\"1\""));
	assert_non_null(strstr(buf, "<a href=\"st-u2.html\">u2</a>"));
	/* One column (the same measure of the same case on both units), the
	 * limits in its header, each unit's value with its verdict. */
	assert_int_equal(count(buf, "<th>rssi"), 1);
	assert_non_null(strstr(buf, "[-70..] dBm"));
	assert_non_null(strstr(buf, "<tr><td>u1</td><td class=\"n pass\" title=\"pass\">-50</td>"));
	assert_non_null(strstr(buf, "<tr><td>u2</td><td class=\"n fail\" title=\"fail\">-80</td>"));
	assert_non_null(strstr(buf, "rssi low"));
	free(buf);
	json_decref(sum);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_summary_counts_the_verdicts_and_names_the_unit),
		cmocka_unit_test(test_a_failure_shows_expected_actual_hex_and_the_bytes_around_it),
		cmocka_unit_test(test_the_chart_has_a_lifeline_per_peer_and_an_arrow_per_message),
		cmocka_unit_test(test_latency_is_grouped_by_command_with_percentiles),
		cmocka_unit_test(test_the_analyzer_samples_make_the_latency_table),
		cmocka_unit_test(test_a_big_run_is_capped_and_says_what_it_left_out),
		cmocka_unit_test(test_a_long_case_details_its_late_failure_and_folds_the_rest),
		cmocka_unit_test(test_an_analyzed_session_is_drawn_with_its_network_peers),
		cmocka_unit_test(test_the_charts_count_every_session),
		cmocka_unit_test(test_an_analyzer_step_shows_its_own_bytes_and_command),
		cmocka_unit_test(test_cut_text_stays_utf8_and_control_bytes_do_not_reach_the_page),
		cmocka_unit_test(test_a_station_page_tables_units_by_measurement_against_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
