/* SPDX-License-Identifier: MIT */
/* \summary: bounded cursor, spans, diagnostics and the allocator */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "atproof/atproof.h"

static void
decimal_reads_stop_before_overflow(void **state)
{
	static const struct { const char *in; uint64_t max; int rc; uint64_t v; size_t left; } rows[] = {
		{ "0", 10, ATP_OK, 0, 0 },
		{ "42,", 100, ATP_OK, 42, 1 },
		{ "18446744073709551615", UINT64_MAX, ATP_OK, UINT64_MAX, 0 },
		{ "18446744073709551616", UINT64_MAX, ATP_ERR_LIMIT, 0, 20 },
		{ "256", 255, ATP_ERR_LIMIT, 0, 3 },
		{ "255", 255, ATP_OK, 255, 0 },
		{ "7", 6, ATP_ERR_LIMIT, 0, 1 },
		{ "6", 6, ATP_OK, 6, 0 },
		{ "1", 0, ATP_ERR_LIMIT, 0, 1 },
		{ "x1", 10, ATP_ERR_SYNTAX, 0, 2 },
		{ "", 10, ATP_ERR_AGAIN, 0, 0 },
		{ "-1", 10, ATP_ERR_SYNTAX, 0, 2 },
		{ "000000000000000000007", 10, ATP_ERR_LIMIT, 0, 21 },
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct atp_cur c = atp_cur_make(rows[i].in, strlen(rows[i].in));
		uint64_t v = 0;
		int rc = atp_cur_dec(&c, &v, rows[i].max);
		if (rc != rows[i].rc)
			fail_msg("'%s': rc %d, want %d", rows[i].in, rc, rows[i].rc);
		if (rc == ATP_OK)
			assert_true(v == rows[i].v);
		assert_int_equal(c.left, rows[i].left);
	}
}

static void
signed_decimals_respect_their_range(void **state)
{
	int64_t v;
	(void)state;
	assert_int_equal(atp_span_sdec(atp_span_str("-4"), &v, -64, 0), ATP_OK);
	assert_true(v == -4);
	assert_int_equal(atp_span_sdec(atp_span_str("-65"), &v, -64, 0), ATP_ERR_LIMIT);
	assert_int_equal(atp_span_sdec(atp_span_str("1"), &v, -64, 0), ATP_ERR_LIMIT);
	assert_int_equal(atp_span_sdec(atp_span_str("-"), &v, -64, 0), ATP_ERR_SYNTAX);
	assert_int_equal(atp_span_sdec(atp_span_str("-9223372036854775808"), &v, INT64_MIN, 0), ATP_OK);
	assert_true(v == INT64_MIN);
	assert_int_equal(atp_span_sdec(atp_span_str("9223372036854775808"), &v, 0, INT64_MAX),
	    ATP_ERR_LIMIT);
	assert_int_equal(atp_span_sdec(atp_span_str("4 "), &v, 0, 10), ATP_ERR_SYNTAX);
}

static void
hex_reads_either_case(void **state)
{
	uint64_t v;
	(void)state;
	assert_int_equal(atp_span_hex(atp_span_str("3fff"), &v, 0x3fff), ATP_OK);
	assert_true(v == 0x3fff);
	assert_int_equal(atp_span_hex(atp_span_str("3FFF"), &v, 0xffff), ATP_OK);
	assert_int_equal(atp_span_hex(atp_span_str("4000"), &v, 0x3fff), ATP_ERR_LIMIT);
	assert_int_equal(atp_span_hex(atp_span_str("g"), &v, 0x3fff), ATP_ERR_SYNTAX);
	assert_int_equal(atp_span_hex(atp_span_str("11111111111111111"), &v, UINT64_MAX), ATP_ERR_LIMIT);
}

static void
literals_tell_again_from_syntax(void **state)
{
	struct atp_cur c = atp_cur_make("+O", 2);
	(void)state;
	assert_int_equal(atp_cur_lit(&c, "+OK"), ATP_ERR_AGAIN);
	assert_int_equal(c.left, 2);
	assert_int_equal(atp_cur_lit(&c, "+E"), ATP_ERR_SYNTAX);
	assert_int_equal(atp_cur_lit(&c, "+O"), ATP_OK);
	assert_int_equal(c.left, 0);
	c = atp_cur_make("at+qver", 7);
	assert_int_equal(atp_cur_lit_ci(&c, "AT+"), ATP_OK);
	assert_true(atp_span_eq_ci(atp_span_make(c.p, c.left), "QVER"));
}

static void
escaping_shows_every_byte_and_reports_the_full_length(void **state)
{
	char buf[64];
	static const uint8_t raw[] = { '+', 'O', 'K', '\r', '\n', 0, 0xff, '\\' };
	size_t n;
	(void)state;
	n = atp_span_escape(atp_span_make(raw, sizeof(raw)), buf, sizeof(buf));
	assert_string_equal(buf, "+OK\\r\\n\\x00\\xFF\\\\");
	assert_int_equal(n, strlen(buf));
	n = atp_span_escape(atp_span_make(raw, sizeof(raw)), buf, 6);
	assert_int_equal(n, 17);
	assert_string_equal(buf, "+OK\\r");
	atp_span_hex_dump(atp_span_make(raw, 4), buf, sizeof(buf));
	assert_string_equal(buf, "2B 4F 4B 0D");
}

static void
diagnostics_format_their_place(void **state)
{
	struct atp_diag d;
	char buf[128];
	(void)state;
	atp_diag_clear(&d);
	assert_int_equal(atp_diag_at(&d, ATP_ERR_SYNTAX, "a.yaml", 3, 7, "expected %s", "a map"),
	    ATP_ERR_SYNTAX);
	assert_string_equal(atp_diag_format(&d, buf, sizeof(buf)), "a.yaml:3:7: expected a map");
	assert_int_equal(atp_diag_set(NULL, ATP_ERR_IO, "x"), ATP_ERR_IO);
	atp_diag_clear(&d);
	d.code = ATP_ERR_NOMEM;
	assert_string_equal(atp_diag_format(&d, buf, sizeof(buf)), "out of memory");
	assert_string_equal(atp_strerror(ATP_ERR_LIMIT), "limit exceeded");
	assert_string_equal(atp_strerror(12345), "unknown error");
}

static void
allocation_failure_injection_fails_the_nth_call(void **state)
{
	void *a, *b;
	(void)state;
	atp_alloc_fail_at(2);
	a = atp_malloc(8);
	b = atp_malloc(8);
	assert_non_null(a);
	assert_null(b);
	assert_null(atp_strdup("x"));
	atp_alloc_fail_at(0);
	b = atp_strdup("abc");
	assert_string_equal(b, "abc");
	atp_free(a);
	atp_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decimal_reads_stop_before_overflow),
		cmocka_unit_test(signed_decimals_respect_their_range),
		cmocka_unit_test(hex_reads_either_case),
		cmocka_unit_test(literals_tell_again_from_syntax),
		cmocka_unit_test(escaping_shows_every_byte_and_reports_the_full_length),
		cmocka_unit_test(diagnostics_format_their_place),
		cmocka_unit_test(allocation_failure_injection_fails_the_nth_call),
	};
	return cmocka_run_group_tests_name("cursor", tests, NULL, NULL);
}
