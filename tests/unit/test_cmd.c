/* SPDX-License-Identifier: MIT */
/* \summary: the command table, reports, error codes and profiles as data */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "atproof/atproof.h"

/* Every name of the manual's §1.2.1 table (entry 1 is the null command). */
static const char *const table_121[] = {
	"", "ATM", "ATRM", "BSSID", "BRDSSID", "CHL", "CHLL", "CNTPARAM", "CUSTDATA",
	"DNAME", "DNS", "E", "ENCRY", "ENTM", "ENTS", "HTTPC", "KEY", "LKSTI", "LKSTT2",
	"NIP", "ONESHOT", "PASS", "PMTF", "PORTM", "QMAC", "QMAC2", "QVER", "RSTF",
	"SKCLS", "SKCT", "SKGHBN", "SKRCV", "SKRPTM", "SKSDF", "SKSND", "SKSRCIP",
	"SKSTT", "SLIST", "SSID", "SSID2", "UART", "WATC", "WEBS", "WJOIN", "WLEAV",
	"WPRT", "WPSM", "WSCAN", "WWPS", "Z",
};

/* Every command heading of §2.2 that the table does not already name. */
static const char *const headings_22[] = {
	"APMAC", "APNIP", "APSSID", "APENCRY", "APKEY", "APCHL", "LKSTT", "APLKSTT",
	"MSERVER", "MLOGIN", "MID", "MCONNECT", "MSUB", "MPUB", "MCLOSE",
};

static int
setup(void **state)
{
	struct atp_diag d;
	(void)state;
	atp_diag_clear(&d);
	if (atp_model_init(&d) != ATP_OK) {
		print_error("model init: %s\n", d.msg);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	atp_model_free();
	return 0;
}

static void
every_command_of_the_manual_table_is_present(void **state)
{
	size_t i;
	(void)state;
	assert_int_equal(sizeof(table_121) / sizeof(table_121[0]), 50);
	for (i = 0; i < sizeof(table_121) / sizeof(table_121[0]); i++) {
		const struct atp_cmd *c = atp_cmd_find_str(table_121[i]);
		if (c == NULL)
			fail_msg("§1.2.1 command '%s' missing", table_121[i]);
		assert_string_equal(c->name, table_121[i]);
	}
}

static void
every_section_22_heading_is_present(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(headings_22) / sizeof(headings_22[0]); i++) {
		const struct atp_cmd *c = atp_cmd_find_str(headings_22[i]);
		if (c == NULL)
			fail_msg("§2.2 command '%s' missing", headings_22[i]);
		assert_true(strncmp(c->section, "2.2.", 4) == 0);
	}
	assert_true(atp_cmd_count() > 60);
}

static void
lookup_is_case_insensitive_and_exact(void **state)
{
	(void)state;
	assert_non_null(atp_cmd_find_str("wprt"));
	assert_ptr_equal(atp_cmd_find_str("wPrT"), atp_cmd_find_str("WPRT"));
	assert_null(atp_cmd_find_str("WPRT?"));
	assert_null(atp_cmd_find_str("WPR"));
	assert_null(atp_cmd_find_str("CWJAP"));
	assert_non_null(atp_cmd_find(atp_span_make("SKSNDxx", 5)));
}

static void
every_row_is_complete_and_its_patterns_compile(void **state)
{
	static const enum atp_form forms[] = {
		ATP_FORM_BARE, ATP_FORM_SET, ATP_FORM_FLASH, ATP_FORM_QUERY,
	};
	size_t i, k;
	(void)state;
	for (i = 0; i < atp_cmd_count(); i++) {
		const struct atp_cmd *c = atp_cmd_at(i);
		assert_non_null(c->section);
		assert_true(c->section[0] >= '1' && c->section[0] <= '3');
		assert_true(strlen(c->summary) > 5);
		assert_true(c->forms != 0);
		assert_true(strlen(c->name) <= ATP_NAME_MAX);
		for (k = 0; k < 4; k++) {
			if ((c->forms & (unsigned)forms[k]) == 0)
				continue;
			if (atp_cmd_reply(c, forms[k]) == NULL)
				fail_msg("AT+%s%s has no reply shape", c->name, atp_form_op(forms[k]));
			assert_non_null(atp_cmd_reply_shape(c, forms[k]));
		}
		/* a form with arguments has an argument pattern, and back */
		if ((c->forms & ATP_FORM_SET) != 0)
			assert_non_null(atp_cmd_args_shape(c));
		else
			assert_null(atp_cmd_args_shape(c));
		if ((c->flags & ATP_CMD_LIST) != 0)
			assert_non_null(atp_cmd_entry_shape(c));
	}
}

static void
binary_phases_are_where_the_manual_puts_them(void **state)
{
	(void)state;
	assert_int_equal(atp_cmd_find_str("SKSND")->phase, ATP_PHASE_HOST_DATA);
	assert_int_equal(atp_cmd_find_str("SKRCV")->phase, ATP_PHASE_DEVICE_DATA);
	assert_int_equal(atp_cmd_find_str("ENTM")->phase, ATP_PHASE_TRANSPARENT);
	assert_int_equal(atp_cmd_find_str("QVER")->phase, ATP_PHASE_NONE);
	assert_true((atp_cmd_find_str("WSCAN")->flags & ATP_CMD_LIST) != 0);
	assert_true((atp_cmd_find_str("SKSTT")->flags & ATP_CMD_LIST) != 0);
	assert_true((atp_cmd_find_str("KEY")->flags & ATP_CMD_SECRET) != 0);
	assert_true((atp_cmd_find_str("MLOGIN")->flags & ATP_CMD_SECRET) != 0);
}

static void
argument_fields_carry_types_and_ranges(void **state)
{
	const struct atp_shape *sh = atp_cmd_args_shape(atp_cmd_find_str("CHL"));
	const struct atp_field *f;
	long i;
	(void)state;
	i = atp_shape_find(sh, "channel");
	assert_true(i >= 0);
	f = atp_shape_field(sh, (size_t)i);
	assert_int_equal(f->type, ATP_T_DEC);
	assert_int_equal(f->min, 1);
	assert_int_equal(f->max, 14);
	assert_true(f->optional);
	sh = atp_cmd_args_shape(atp_cmd_find_str("SKCT"));
	f = atp_shape_field(sh, (size_t)atp_shape_find(sh, "protocol"));
	assert_int_equal(f->type, ATP_T_ENUM);
	assert_int_equal(f->nvalues, 2);
	assert_string_equal(f->labels[0], "TCP");
}

static void
documented_errors_follow_the_command(void **state)
{
	(void)state;
	assert_true(atp_cmd_error_documented(atp_cmd_find_str("WJOIN"), -10));
	assert_false(atp_cmd_error_documented(atp_cmd_find_str("QMAC"), -10));
	assert_true(atp_cmd_error_documented(atp_cmd_find_str("QMAC"), -2));
	assert_true(atp_cmd_error_documented(atp_cmd_find_str("SKCT"), -13));
	assert_false(atp_cmd_error_documented(atp_cmd_find_str("SKCT"), -9));
	assert_false(atp_cmd_error_documented(NULL, -10));
	assert_int_equal(atp_errcode_count(), 15);
	assert_null(atp_errcode_find(-9));
	assert_string_equal(atp_errcode_find(-4)->text, "Invalid parameter");
}

static void
reports_are_recognised_by_prefix(void **state)
{
	static const struct { const char *line; const char *name; } rows[] = {
		{ "+SKTRPT=1,5,192.168.1.100,1000", "+SKTRPT" },
		{ "+HTTPCRPT=12345678,1024", "+HTTPCRPT" },
		{ "+HTTPCERRRPT=12345678,7", "+HTTPCERRRPT" },
		{ "+MQTT:CONNECTED", "+MQTT" },
		{ "+MSUB:OK", "+MSUB" },
		{ "+MPUB:OK", "+MPUB" },
		{ "+MTOPIC:11,HELLO_WORLD", "+MTOPIC" },
		{ "+MQD:10,12345_test", "+MQD" },
		{ "ready", "ready" },
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct atp_span line = atp_span_str(rows[i].line);
		const struct atp_report *r = atp_report_match(line);
		struct atp_match m;
		assert_non_null(r);
		assert_string_equal(r->name, rows[i].name);
		assert_int_equal(atp_shape_match(atp_report_shape(r), line, &m), ATP_OK);
		if (!m.matched || m.nbad != 0)
			fail_msg("report line '%s' does not match %s", rows[i].line, r->pattern);
	}
	assert_null(atp_report_match(atp_span_str("+OK")));
	assert_null(atp_report_match(atp_span_str("ready now")));
	assert_true((atp_report_match(atp_span_str("+SKTRPT=1"))->flags & ATP_RPT_DATA_COUNTED) != 0);
}

static void
profiles_and_deviations_are_consistent(void **state)
{
	size_t i, nluat = 0, ng3 = 0;
	(void)state;
	assert_int_equal(atp_profile_count(), 3);
	assert_non_null(atp_profile_find("manual"));
	assert_null(atp_profile_find("esp8266"));
	for (i = 0; i < atp_deviation_count(); i++) {
		const struct atp_deviation *dv = atp_deviation_at(i);
		size_t k;
		assert_ptr_equal(atp_deviation_find(dv->id), dv);
		assert_false(atp_profile_has(atp_profile_find("manual"), dv));
		assert_false(atp_profile_has(NULL, dv));
		nluat += (size_t)atp_profile_has(atp_profile_find("luat"), dv);
		ng3 += (size_t)atp_profile_has(atp_profile_find("g3"), dv);
		assert_true(dv->profiles != 0);
		assert_true(strlen(dv->summary) > 10);
		/* the section exists: it is a command's or a chapter of the manual */
		assert_true(dv->section[0] >= '1' && dv->section[0] <= '3');
		/* every command it names is in the table */
		if (dv->cmds != NULL) {
			struct atp_cur c = atp_cur_make(dv->cmds, strlen(dv->cmds));
			while (c.left > 0) {
				struct atp_span w;
				atp_cur_until(&c, " ", &w);
				if (atp_cmd_find(w) == NULL)
					fail_msg("deviation %s names unknown command '%.*s'", dv->id,
					    (int)w.len, (const char *)w.p);
				if (c.left > 0) {
					c.p++;
					c.left--;
				}
			}
		}
		/* the alternatives of SHAPE deviations are valid patterns */
		if (dv->kind == ATP_DEV_SHAPE) {
			struct atp_shape *sh = NULL;
			struct atp_diag d;
			if (atp_shape_compile(dv->alt, &sh, &d) != ATP_OK)
				fail_msg("deviation %s: %s", dv->id, d.msg);
			atp_shape_free(sh);
		}
		for (k = 0; k < i; k++)
			assert_string_not_equal(atp_deviation_at(k)->id, dv->id);
	}
	assert_true(nluat >= 20);
	assert_true(ng3 >= 20);
	assert_true(atp_profile_has_id(atp_profile_find("luat"), "slist-double-comma"));
	assert_false(atp_profile_has_id(atp_profile_find("g3"), "slist-double-comma"));
	assert_true(atp_profile_has_id(atp_profile_find("g3"), "mqtt-absent"));
	assert_false(atp_profile_has_id(atp_profile_find("luat"), "no-such-deviation"));
	assert_true(atp_deviation_applies(atp_deviation_find("query-omits-unused"),
	    atp_cmd_find_str("CHL"), ATP_FORM_QUERY));
	assert_false(atp_deviation_applies(atp_deviation_find("query-omits-unused"),
	    atp_cmd_find_str("CHL"), ATP_FORM_SET));
	assert_false(atp_deviation_applies(atp_deviation_find("query-omits-unused"),
	    atp_cmd_find_str("CHLL"), ATP_FORM_QUERY));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_command_of_the_manual_table_is_present),
		cmocka_unit_test(every_section_22_heading_is_present),
		cmocka_unit_test(lookup_is_case_insensitive_and_exact),
		cmocka_unit_test(every_row_is_complete_and_its_patterns_compile),
		cmocka_unit_test(binary_phases_are_where_the_manual_puts_them),
		cmocka_unit_test(argument_fields_carry_types_and_ranges),
		cmocka_unit_test(documented_errors_follow_the_command),
		cmocka_unit_test(reports_are_recognised_by_prefix),
		cmocka_unit_test(profiles_and_deviations_are_consistent),
	};
	return cmocka_run_group_tests_name("cmd", tests, setup, teardown);
}
