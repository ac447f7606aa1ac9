/* SPDX-License-Identifier: MIT */
/* \summary: atproof diff: the normaliser of volatile values, outcomes, latency shifts */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/*
 * The Makefile links no cli/ objects into unit tests, and the normaliser
 * is file-local: the test includes the engine itself.
 */
#include "cli/diff.c"

static int
setup_model(void **state)
{
	struct atp_diag d;

	(void)state;
	atp_diag_clear(&d);
	return atp_model_init(&d) == ATP_OK ? 0 : -1;
}

static int
teardown_model(void **state)
{
	(void)state;
	atp_model_free();
	return 0;
}

static void
responses_lose_exactly_their_volatile_fields(void **state)
{
	/* command | escaped response | normalised | reports seen */
	static const struct { const char *cmd, *in, *want, *reports; } rows[] = {
		{ "QMAC", "+OK=286dcd004e7d\\r\\n\\r\\n", "+OK=<mac>\\r\\n\\r\\n", "" },
		{ "QMAC", "+OK=286DCD004E7D\\r\\n\\r\\n", "+OK=<mac>\\r\\n\\r\\n", "" },
		/* A lost terminator is a change, so it stays. */
		{ "QMAC", "+OK=286dcd004e7d\\r\\n", "+OK=<mac>\\r\\n", "" },
		{ "QVER", "+OK=AirM2M_Luat_WiFi_V008_WM\\r\\n\\r\\n", "+OK=<version>\\r\\n\\r\\n", "" },
		{ "QVER", "+ERR=-4\\r\\n\\r\\n", "+ERR=-4\\r\\n\\r\\n", "" },
		{ "SKCT", "+OK=3\\r\\n\\r\\n", "+OK=<socket>\\r\\n\\r\\n", "" },
		/* SKSND's count is not volatile: only the socket is. */
		{ "SKSND", "+OK=5\\r\\n\\r\\n", "+OK=5\\r\\n\\r\\n", "" },
		{ "LKSTT", "+OK=1,\"192.168.1.5\",\"255.255.255.0\",\"192.168.1.1\","
		  "\"192.168.1.1\",\"0.0.0.0\"\\r\\n\\r\\n",
		  "+OK=1,\"<ip>\",\"<ip>\",\"<ip>\",\"<ip>\",\"<ip>\"\\r\\n\\r\\n", "" },
		{ "LKSTT", "+OK=0\\r\\n\\r\\n", "+OK=0\\r\\n\\r\\n", "" },
		/* Through the shape, an SSID of twelve hex digits is no MAC. */
		{ "WSCAN", "+OK=001EE3A80102,2,6,1,\"a1b2c3d4e5f6\",187\\r\\n"
		  "9C216A7C5ED0,2,11,0,\"guest\",160\\r\\n\\r\\n",
		  "+OK=<mac>,2,6,1,\"a1b2c3d4e5f6\",<rssi>\\r\\n<mac>,2,11,0,\"guest\",<rssi>\\r\\n\\r\\n",
		  "" },
		{ "SKSTT", "+OK=1,2,\"10.0.0.7\",80,51234,0\\r\\n\\r\\n",
		  "+OK=<socket>,2,\"<ip>\",80,<port>,0\\r\\n\\r\\n", "" },
		/* An asynchronous report inside a response is masked by its own
		 * shape and recorded. */
		{ "QVER", "+OK=v1\\r\\n+SKTRPT=1,0,192.168.1.100,1000\\r\\n\\r\\n",
		  "+OK=<version>\\r\\n+SKTRPT=<socket>,0,<ip>,<port>\\r\\n\\r\\n", "+SKTRPT" },
		/* No shape matches: the generic masks still apply. */
		{ NULL, "+OK=10.0.0.1,94-FE-22-9A-B5-28\\r\\n", "+OK=<ip>,<mac>\\r\\n", "" },
		{ NULL, "\\x00\\xFFok\\r\\n", "\\x00\\xFFok\\r\\n", "" },
		{ NULL, "", "", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[1024], reps[REPORTS_MAX] = "";
		const struct atp_cmd *cmd = rows[i].cmd != NULL ? atp_cmd_find_str(rows[i].cmd) : NULL;
		assert_true(rows[i].cmd == NULL || cmd != NULL);
		norm_response(cmd, rows[i].in, out, sizeof(out), reps, sizeof(reps));
		if (strcmp(out, rows[i].want) != 0)
			fail_msg("row %zu: '%s' became '%s', want '%s'", i, rows[i].in, out, rows[i].want);
		assert_string_equal(reps, rows[i].reports);
	}
}

static void
the_generic_masks_keep_words_and_numbers_that_are_no_address(void **state)
{
	static const struct { const char *in, *want; } rows[] = {
		{ "got 192.168.1.100:44381/status", "got <ip>:<port>/status" },
		{ "1.2.3.4.5 is no address", "1.2.3.4.5 is no address" },
		{ "256.1.1.1", "256.1.1.1" },
		{ "mac 00:1e:e3:a8:01:02.", "mac <mac>." },
		{ "mac 00:1e-e3:a8:01:02", "mac 00:1e-e3:a8:01:02" },
		{ "x001EE3A80102 001EE3A801023", "x001EE3A80102 001EE3A801023" },
		{ "answered after 612345 us, later than 500 ms", "answered after <time>, later than <time>" },
		{ "1.5s and 3 sockets", "<time> and 3 sockets" },
		{ "AT+UART=9600,1,1,0: stopbit=1", "AT+UART=9600,1,1,0: stopbit=1" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[256];
		norm_message(rows[i].in, out, sizeof(out));
		if (strcmp(out, rows[i].want) != 0)
			fail_msg("'%s' became '%s', want '%s'", rows[i].in, out, rows[i].want);
	}
}

static void
step_names_lose_sockets_and_addresses_through_the_argument_shape(void **state)
{
	static const struct { const char *in, *want; } rows[] = {
		{ "AT+SKSND=3,4", "AT+SKSND=<socket>,4" },
		{ "AT+SKCT=0,0,192.168.1.100,80", "AT+SKCT=0,0,<ip>,80" },
		{ "AT+SKCT=0,0,example.com,80,5000", "AT+SKCT=0,0,example.com,80,<port>" },
		{ "send AT+SKCLS=2\\r", "send AT+SKCLS=<socket>\\r" },
		{ "AT+QVER", "AT+QVER" },
		{ "wait_report +SKTRPT", "wait_report +SKTRPT" },
		{ "measure rssi from 10.1.1.1", "measure rssi from <ip>" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[256];
		norm_step_name(rows[i].in, out, sizeof(out));
		if (strcmp(out, rows[i].want) != 0)
			fail_msg("'%s' became '%s', want '%s'", rows[i].in, out, rows[i].want);
	}
}

static void
a_step_names_its_command_and_form(void **state)
{
	static const struct { const char *in; int ok; const char *name; enum atp_form form; } rows[] = {
		{ "AT+QVER", 1, "QVER", ATP_FORM_BARE },
		{ "send AT+\\r", 1, "", ATP_FORM_BARE },
		{ "AT+wprt=!1", 1, "WPRT", ATP_FORM_FLASH },
		{ "AT+WPRT=?", 1, "WPRT", ATP_FORM_QUERY },
		{ "AT+SKSND=1,4", 1, "SKSND", ATP_FORM_SET },
		{ "measure mac_len", 0, NULL, ATP_FORM_BARE },
		{ "AT+ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ", 0, NULL, ATP_FORM_BARE },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char name[32];
		enum atp_form form = ATP_FORM_BARE;
		struct atp_span args;
		int ok = step_command(rows[i].in, name, sizeof(name), &form, &args);
		assert_int_equal(ok, rows[i].ok);
		if (ok) {
			assert_string_equal(name, rows[i].name);
			assert_int_equal(form, rows[i].form);
		}
	}
}

static void
the_outcome_is_the_first_ok_or_error_line(void **state)
{
	static const struct { const char *in, *want; } rows[] = {
		{ "+ERR=-4\\r\\n\\r\\n", "+ERR=-4" },
		{ "+OK=<mac>\\r\\n\\r\\n", "+OK" },
		{ "AT+QMAC\\r\\n+OK=1\\r\\n", "+OK" },
		{ "ready\\r\\n", "" },
		{ "", "" },
		{ "+SKTRPT=<socket>\\r\\n+ERR=-12\\r\\n", "+ERR=-12" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[32];
		outcome_of(rows[i].in, out, sizeof(out));
		if (strcmp(out, rows[i].want) != 0)
			fail_msg("'%s': outcome '%s', want '%s'", rows[i].in, out, rows[i].want);
	}
}

static void
percentiles_are_nearest_rank(void **state)
{
	struct latset s = { NULL, 0, 0 };
	int64_t i;

	(void)state;
	for (i = 100; i >= 1; i--)
		lat_push(&s, "QVER", i * 1000);
	lat_push(&s, "QMAC", 7);
	assert_int_equal(s.n, 2);
	assert_false(s.nomem);
	lat_finish(&s.l[0]);
	lat_finish(&s.l[1]);
	assert_true(s.l[0].pc.n == 100);
	assert_true(s.l[0].pc.p[0] == 50000);
	assert_true(s.l[0].pc.p[1] == 90000);
	assert_true(s.l[0].pc.p[2] == 99000);
	assert_true(s.l[1].pc.p[0] == 7 && s.l[1].pc.p[2] == 7);
	latset_free(&s);
}

static void
a_latency_shift_needs_the_percentage_the_floor_and_the_samples(void **state)
{
	/* old p50 p90 p99 | new p50 p90 p99 | samples | pct | floor | want */
	static const struct {
		int64_t a[3], b[3];
		uint64_t n;
		unsigned pct;
		int64_t floor;
		int want;
	} rows[] = {
		{ { 100000, 100000, 100000 }, { 119000, 119000, 119000 }, 100, 20, 1000, 0 },
		{ { 100000, 100000, 100000 }, { 121000, 100000, 100000 }, 1, 20, 1000, 1 },
		{ { 100000, 100000, 100000 }, { 100000, 100000, 130000 }, 100, 20, 1000, 1 },
		/* With fewer samples, p99 and p90 are the maximum: not judged. */
		{ { 100000, 100000, 100000 }, { 100000, 100000, 130000 }, 99, 20, 1000, 0 },
		{ { 100000, 100000, 100000 }, { 100000, 130000, 130000 }, 10, 20, 1000, 1 },
		{ { 100000, 100000, 100000 }, { 100000, 130000, 130000 }, 9, 20, 1000, 0 },
		/* 9 us to 50 us is +455 % but only 41 us: timer noise. */
		{ { 9, 9, 9 }, { 50, 50, 50 }, 100, 20, 10000, 0 },
		{ { 9, 9, 9 }, { 150009, 150009, 150009 }, 1, 20, 10000, 1 },
		{ { 200000, 200000, 200000 }, { 9, 9, 9 }, 1, 20, 10000, -1 },
		{ { 100000, 100000, 100000 }, { 150000, 150000, 150000 }, 100, 60, 1000, 0 },
		{ { 0, 0, 0 }, { 20000, 0, 0 }, 1, 20, 10000, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pct3 a, b;
		struct cli_diff_opts o;
		cli_diff_defaults(&o);
		o.latency_pct = rows[i].pct;
		o.latency_floor_us = rows[i].floor;
		memcpy(a.p, rows[i].a, sizeof(a.p));
		memcpy(b.p, rows[i].b, sizeof(b.p));
		a.n = b.n = rows[i].n;
		if (lat_shift(&a, &b, &o) != rows[i].want)
			fail_msg("row %zu: shift %d, want %d", i, lat_shift(&a, &b, &o), rows[i].want);
	}
}

static void
the_unescaper_inverts_the_escaper(void **state)
{
	static const uint8_t bytes[] = { '+', 'O', 'K', '\r', '\n', 0, 0x7f, 0xff, '\\', '"', '\t' };
	char esc[128];
	uint8_t back[64];
	size_t n;

	(void)state;
	atp_span_escape(atp_span_make(bytes, sizeof(bytes)), esc, sizeof(esc));
	n = unescape_text(esc, back, sizeof(back));
	assert_int_equal(n, sizeof(bytes));
	assert_memory_equal(back, bytes, sizeof(bytes));
	/* A broken escape is kept as text, never read past. */
	n = unescape_text("\\x4", back, sizeof(back));
	assert_int_equal(n, 2);
	assert_memory_equal(back, "x4", 2);
	/* The output is bounded. */
	assert_int_equal(unescape_text("abcdef", back, 3), 3);
}

static void
the_output_buffer_is_bounded_and_terminated(void **state)
{
	char out[8];

	(void)state;
	norm_response(atp_cmd_find_str("QMAC"), "+OK=286dcd004e7d\\r\\n\\r\\n", out, sizeof(out),
	    NULL, 0);
	assert_true(strlen(out) < sizeof(out));
	norm_message("10.0.0.1 10.0.0.2 10.0.0.3", out, sizeof(out));
	assert_true(strlen(out) < sizeof(out));
	assert_string_equal(out, "<ip> <i");
}

/*
 * The harness cuts a long response and appends "... (N bytes)": where it
 * cuts moves with the length of the volatile values before the cut, so
 * two scans whose RSSIs differ in digits are the same response, while a
 * change in a whole line before the cut still shows.
 */
static void
a_cut_response_compares_by_its_whole_lines(void **state)
{
	static const char old_scan[] =
	    "+OK=3C46D82BD81E,2,11,0,\"TP-LINK_HyFi_1E\",53\\r\\n"
	    "828917C49D9A,2,1,1,\"AirM2M_WiFi\",70\\r\\n286C076... (215 bytes)";
	static const char new_scan[] =
	    "+OK=3C46D82BD8FF,2,11,0,\"TP-LINK_HyFi_1E\",9\\r\\n"
	    "828917C49D00,2,1,1,\"AirM2M_WiFi\",70\\r\\n286C0764... (214 bytes)";
	static const char cut_at_cr[] =
	    "+OK=3C46D82BD81E,2,11,0,\"TP-LINK_HyFi_1E\",53\\r\\n"
	    "828917C49D9A,2,1,1,\"AirM2M_WiFi\",170\\r... (216 bytes)";
	static const char other_channel[] =
	    "+OK=3C46D82BD81E,2,6,0,\"TP-LINK_HyFi_1E\",53\\r\\n"
	    "828917C49D9A,2,1,1,\"AirM2M_WiFi\",70\\r\\n286C076... (215 bytes)";
	const struct atp_cmd *scan = atp_cmd_find_str("WSCAN");
	char a[1024], b[1024];

	(void)state;
	assert_non_null(scan);
	norm_response(scan, old_scan, a, sizeof(a), NULL, 0);
	assert_string_equal(a, "+OK=<mac>,2,11,0,\"TP-LINK_HyFi_1E\",<rssi>\\r\\n"
	    "<mac>,2,1,1,\"AirM2M_WiFi\",<rssi>...");
	norm_response(scan, new_scan, b, sizeof(b), NULL, 0);
	assert_string_equal(a, b);
	/* A cut between a CR and its LF. */
	norm_response(scan, cut_at_cr, b, sizeof(b), NULL, 0);
	assert_string_equal(a, b);
	/* A stable field before the cut still counts. */
	norm_response(scan, other_channel, b, sizeof(b), NULL, 0);
	assert_string_not_equal(a, b);
	/* One long line: its whole fields. */
	norm_response(NULL, "+OK=1,22,333,44... (300 bytes)", a, sizeof(a), NULL, 0);
	assert_string_equal(a, "+OK=1,22,333,...");
	/* No suffix, or text that only looks like one: as it is. */
	norm_response(NULL, "+OK=(7 bytes)", a, sizeof(a), NULL, 0);
	assert_string_equal(a, "+OK=(7 bytes)");
	norm_response(NULL, "x... ( bytes)", a, sizeof(a), NULL, 0);
	assert_string_equal(a, "x... ( bytes)");
}

static void
the_report_set_holds_each_name_once(void **state)
{
	char set[32] = "";

	(void)state;
	set_add(set, sizeof(set), "+SKTRPT");
	set_add(set, sizeof(set), "+SKTRPT");
	set_add(set, sizeof(set), "+MQD");
	assert_string_equal(set, "+SKTRPT +MQD");
	assert_true(set_has(set, "+MQD"));
	assert_false(set_has(set, "+SKT"));
	assert_false(set_has(set, ""));
	/* A name that does not fit is dropped, the set stays terminated. */
	set_add(set, sizeof(set), "+AVERYLONGREPORTNAMEXXXXX");
	assert_string_equal(set, "+SKTRPT +MQD");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(responses_lose_exactly_their_volatile_fields),
		cmocka_unit_test(the_generic_masks_keep_words_and_numbers_that_are_no_address),
		cmocka_unit_test(step_names_lose_sockets_and_addresses_through_the_argument_shape),
		cmocka_unit_test(a_step_names_its_command_and_form),
		cmocka_unit_test(the_outcome_is_the_first_ok_or_error_line),
		cmocka_unit_test(percentiles_are_nearest_rank),
		cmocka_unit_test(a_latency_shift_needs_the_percentage_the_floor_and_the_samples),
		cmocka_unit_test(the_unescaper_inverts_the_escaper),
		cmocka_unit_test(the_output_buffer_is_bounded_and_terminated),
		cmocka_unit_test(the_report_set_holds_each_name_once),
		cmocka_unit_test(a_cut_response_compares_by_its_whole_lines),
	};
	return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
