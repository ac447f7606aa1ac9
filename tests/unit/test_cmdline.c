/* SPDX-License-Identifier: MIT */
/* \summary: unit tests of the command line parser, stream splitter and serializer */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "atproof/cmdline.h"
#include "atproof/shape.h"

/* Table-driven cases fail with the case named, not just the line of C. */
#define CHECK(desc, cond) do { \
		if (!(cond)) \
			fail_msg("%s: %s", (desc), #cond); \
	} while (0)

#define BARE ATP_FORM_BARE
#define SET ATP_FORM_SET
#define FLASH ATP_FORM_FLASH
#define QUERY ATP_FORM_QUERY

static int
span_is(struct atp_span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

static int
parse_str(const char *line, struct atp_cmdline *cl, struct atp_diag *d)
{
	return atp_cmdline_parse(atp_span_str(line), cl, d);
}

/* ------------------------------------------------------------------ */
/* Every command line of the manual's examples                         */
/* ------------------------------------------------------------------ */

struct example {
	const char *where;      /* manual section */
	const char *line;       /* as printed; the test appends its <CR> */
	const char *name;
	enum atp_form form;
	size_t nargs;
	const char *args[ATP_ARGS_MAX];   /* raw, as between the commas */
	unsigned issues;
};

/*
 * The "→ AT+..." lines of the examples (grep '^→' in the manual), the
 * §2.1.1.2 examples, the code blocks of §2.2.1.5 and §2.2.2.18 and the
 * walkthroughs of §3, with the manual's own slips kept: the stray spaces of
 * §2.2.1.4, §2.2.2.7, §2.2.3.2 and §2.2.3.17, and the tabs that trail the
 * MQTT example of §2.2.4.10.
 */
static const struct example examples[] = {
	{ "2.1.1.2", "AT+", "", BARE, 0, { NULL }, 0 },
	{ "2.1.1.2", "AT+WJOIN", "WJOIN", BARE, 0, { NULL }, 0 },
	{ "2.1.1.2", "AT+UART=9600,1,1,0", "UART", SET, 4, { "9600", "1", "1", "0" }, 0 },
	{ "2.1.1.2", "AT+ATPT=!500", "ATPT", FLASH, 1, { "500" }, 0 },
	{ "2.1.1.2", "AT+ATPT=?", "ATPT", QUERY, 0, { NULL }, 0 },
	{ "2.2.1.2", "AT+Z", "Z", BARE, 0, { NULL }, 0 },
	{ "2.2.1.3", "AT+E", "E", BARE, 0, { NULL }, 0 },
	{ "2.2.1.4", "AT+KEY=1,0,\"\"", "KEY", SET, 3, { "1", "0", "\"\"" }, 0 },
	{ "2.2.1.4", "AT+SKCT=0,0, 36.7.87.76,1000,2000", "SKCT", SET, 5,
	    { "0", "0", " 36.7.87.76", "1000", "2000" }, ATP_CL_SPACE },
	{ "2.2.1.4", "AT+SKSDF=1", "SKSDF", SET, 1, { "1" }, 0 },
	{ "2.2.1.4", "AT+ENTM", "ENTM", BARE, 0, { NULL }, 0 },
	{ "2.2.1.5", "AT+ENTS=0,1,1000,10000", "ENTS", SET, 4, { "0", "1", "1000", "10000" }, 0 },
	{ "2.2.1.5", "AT+ENTS=0,0,100,1000", "ENTS", SET, 4, { "0", "0", "100", "1000" }, 0 },
	{ "2.2.1.5", "AT+ENTS=1,1,1000,10000", "ENTS", SET, 4, { "1", "1", "1000", "10000" }, 0 },
	{ "2.2.1.5", "AT+ENTS=1,0,1000,10000", "ENTS", SET, 4, { "1", "0", "1000", "10000" }, 0 },
	{ "2.2.1.6", "AT+RSTF", "RSTF", BARE, 0, { NULL }, 0 },
	{ "2.2.1.7", "AT+WPRT=0", "WPRT", SET, 1, { "0" }, 0 },
	{ "2.2.1.7", "AT+SSID=TP-LINK_HyFi_1E", "SSID", SET, 1, { "TP-LINK_HyFi_1E" }, 0 },
	{ "2.2.1.7", "AT+PMTF", "PMTF", BARE, 0, { NULL }, 0 },
	{ "2.2.1.7", "AT+WPRT=!0", "WPRT", FLASH, 1, { "0" }, 0 },
	{ "2.2.1.7", "AT+SSID=!TP-LINK_HyFi_1E", "SSID", FLASH, 1, { "TP-LINK_HyFi_1E" }, 0 },
	{ "2.2.1.7", "AT+KEY=!1,0,\"\"", "KEY", FLASH, 3, { "1", "0", "\"\"" }, 0 },
	{ "2.2.1.8", "AT+QMAC", "QMAC", BARE, 0, { NULL }, 0 },
	{ "2.2.1.9", "AT+APMAC", "APMAC", BARE, 0, { NULL }, 0 },
	{ "2.2.1.10", "AT+QVER", "QVER", BARE, 0, { NULL }, 0 },
	{ "2.2.2.1", "AT+WPRT=!2", "WPRT", FLASH, 1, { "2" }, 0 },
	{ "2.2.2.2", "AT+NIP=!0", "NIP", FLASH, 1, { "0" }, 0 },
	{ "2.2.2.2", "AT+LKSTT", "LKSTT", BARE, 0, { NULL }, 0 },
	{ "2.2.2.2", "AT+NIP=?", "NIP", QUERY, 0, { NULL }, 0 },
	{ "2.2.2.3", "AT+APNIP=1,192.168.1.1,255.255.255.0,192.168.1.1,192.168.1.1", "APNIP", SET, 5,
	    { "1", "192.168.1.1", "255.255.255.0", "192.168.1.1", "192.168.1.1" }, 0 },
	{ "2.2.2.4", "AT+DNS=\"DNS-FOR-TEST\"", "DNS", SET, 1, { "\"DNS-FOR-TEST\"" }, 0 },
	{ "2.2.2.5", "AT+ATM=?", "ATM", QUERY, 0, { NULL }, 0 },
	{ "2.2.2.5", "AT+ATM=!0", "ATM", FLASH, 1, { "0" }, 0 },
	{ "2.2.2.6", "AT+ATRM=!0,0,180.97.81.180,51950", "ATRM", FLASH, 4,
	    { "0", "0", "180.97.81.180", "51950" }, 0 },
	{ "2.2.2.7", "AT+SSID=! Air_Test_WiFi", "SSID", FLASH, 1, { " Air_Test_WiFi" }, ATP_CL_SPACE },
	{ "2.2.2.8", "AT+APSSID=\"AAAA-Test-Wifi\"", "APSSID", SET, 1, { "\"AAAA-Test-Wifi\"" }, 0 },
	{ "2.2.2.9", "AT+ENCRY=?", "ENCRY", QUERY, 0, { NULL }, 0 },
	{ "2.2.2.9", "AT+ENCRY=!1", "ENCRY", FLASH, 1, { "1" }, 0 },
	{ "2.2.2.10", "AT+APENCRY=!1", "APENCRY", FLASH, 1, { "1" }, 0 },
	{ "2.2.2.11", "AT+KEY=!1,0,\"A123456\"", "KEY", FLASH, 3, { "1", "0", "\"A123456\"" }, 0 },
	{ "2.2.2.12", "AT+APKEY=!1,1,123456", "APKEY", FLASH, 3, { "1", "1", "123456" }, 0 },
	{ "2.2.2.18", "AT+WPSM=1", "WPSM", SET, 1, { "1" }, 0 },
	{ "2.2.2.18", "AT+WPSM=0", "WPSM", SET, 1, { "0" }, 0 },
	{ "2.2.3.1", "AT+PORTM=?", "PORTM", QUERY, 0, { NULL }, 0 },
	/* The text copy of the manual underlines the host (<u>...</u>); the
	 * line as meant, and the line as the text has it. */
	{ "2.2.3.2", "AT+SKGHBN= www.baidu.com", "SKGHBN", SET, 1, { " www.baidu.com" }, ATP_CL_SPACE },
	{ "2.2.3.2", "AT+SKGHBN= <u>www.baidu.com</u>", "SKGHBN", SET, 1,
	    { " <u>www.baidu.com</u>" }, ATP_CL_SPACE },
	{ "2.2.3.5", "AT+WLEAV", "WLEAV", BARE, 0, { NULL }, 0 },
	{ "2.2.3.6", "AT+WSCAN", "WSCAN", BARE, 0, { NULL }, 0 },
	{ "2.2.3.8", "AT+APSSID=!Luat_TEST_AP", "APSSID", FLASH, 1, { "Luat_TEST_AP" }, 0 },
	{ "2.2.3.8", "AT+APKEY=!1,1,\"12345\"", "APKEY", FLASH, 3, { "1", "1", "\"12345\"" }, 0 },
	{ "2.2.3.8", "AT+APLKSTT", "APLKSTT", BARE, 0, { NULL }, 0 },
	{ "2.2.3.9", "AT+SLIST", "SLIST", BARE, 0, { NULL }, 0 },
	{ "2.2.3.10", "AT+SKCT=0,0,180.97.81.180,51950,37189", "SKCT", SET, 5,
	    { "0", "0", "180.97.81.180", "51950", "37189" }, 0 },
	{ "2.2.3.11", "AT+SKSND=1,5", "SKSND", SET, 2, { "1", "5" }, 0 },
	{ "2.2.3.12", "AT+SKRCV=2,20", "SKRCV", SET, 2, { "2", "20" }, 0 },
	{ "2.2.3.13", "AT+SKSTT=1", "SKSTT", SET, 1, { "1" }, 0 },
	{ "2.2.3.14", "AT+SKCLS=1", "SKCLS", SET, 1, { "1" }, 0 },
	{ "2.2.3.16", "AT+SKSRCIP=?", "SKSRCIP", QUERY, 0, { NULL }, 0 },
	/* The firmware keeps the space in the name: " SKRPTM" is unknown. */
	{ "2.2.3.17", "AT+ SKRPTM=1", " SKRPTM", SET, 1, { "1" }, ATP_CL_SPACE | ATP_CL_UNKNOWN },
	{ "2.2.3.18", "AT+ONESHOT=1", "ONESHOT", SET, 1, { "1" }, 0 },
	{ "2.2.3.18", "AT+ONESHOT=0", "ONESHOT", SET, 1, { "0" }, 0 },
	{ "2.2.4.10", "AT+MSERVER=1883,120.55.137.106", "MSERVER", SET, 2,
	    { "1883", "120.55.137.106" }, 0 },
	{ "2.2.4.10", "AT+MLOGIN=user,password", "MLOGIN", SET, 2, { "user", "password" }, 0 },
	{ "2.2.4.10", "AT+MID=TEST_MQTT", "MID", SET, 1, { "TEST_MQTT" }, 0 },
	{ "2.2.4.10", "AT+MCONNECT", "MCONNECT", BARE, 0, { NULL }, 0 },
	{ "2.2.4.10", "AT+MSUB=HELLO_WORLD\t", "MSUB", SET, 1, { "HELLO_WORLD\t" },
	    ATP_CL_SPACE | ATP_CL_NONPRINT },
	{ "2.2.4.10", "AT+MPUB=Fred,0,0,888AAA\t", "MPUB", SET, 4, { "Fred", "0", "0", "888AAA\t" },
	    ATP_CL_SPACE | ATP_CL_NONPRINT },
	{ "2.2.4.10", "AT+MCLOSE\t", "MCLOSE\t", BARE, 0, { NULL },
	    ATP_CL_SPACE | ATP_CL_NONPRINT | ATP_CL_UNKNOWN },
	{ "3.1", "AT+WPRT=2", "WPRT", SET, 1, { "2" }, 0 },
	{ "3.1", "AT+APSSID=MyAp", "APSSID", SET, 1, { "MyAp" }, 0 },
	{ "3.1", "AT+APENCRY=1", "APENCRY", SET, 1, { "1" }, 0 },
	{ "3.1", "AT+APKEY=1,1,12345", "APKEY", SET, 3, { "1", "1", "12345" }, 0 },
	{ "3.3", "AT+SSID=TEST_AP", "SSID", SET, 1, { "TEST_AP" }, 0 },
	/* The text copy escapes the underscore for Markdown; a bare argument
	 * keeps the backslash (only quoted ones are unescaped, §3). */
	{ "3.3", "AT+SSID=TEST\\_AP", "SSID", SET, 1, { "TEST\\_AP" }, 0 },
	{ "3.3", "AT+KEY=1,0,12345678", "KEY", SET, 3, { "1", "0", "12345678" }, 0 },
	{ "3.3", "AT+NIP=0", "NIP", SET, 1, { "0" }, 0 },
	{ "3.4", "AT+WPRT=3", "WPRT", SET, 1, { "3" }, 0 },
	{ "3.4", "AT+APSSID=\"MYSoftAP\"", "APSSID", SET, 1, { "\"MYSoftAP\"" }, 0 },
	{ "3.4", "AT+APENCRY=5", "APENCRY", SET, 1, { "5" }, 0 },
	{ "3.4", "AT+APKEY=1,0,87654321", "APKEY", SET, 3, { "1", "0", "87654321" }, 0 },
	{ "3.6", "AT+WLEAV=2", "WLEAV", SET, 1, { "2" }, 0 },
	{ "3.10", "AT+SSID=airm2m_wifi", "SSID", SET, 1, { "airm2m_wifi" }, 0 },
	{ "3.10", "AT+ATM=0", "ATM", SET, 1, { "0" }, 0 },
	{ "3.10", "AT+ATRM=0,0,192.168.1.100,1000", "ATRM", SET, 4,
	    { "0", "0", "192.168.1.100", "1000" }, 0 },
};

static void
check_example(const struct example *e)
{
	struct atp_cmdline cl;
	struct atp_diag d;
	char line[256], desc[320];
	size_t i;
	int rc;

	snprintf(line, sizeof(line), "%s\r", e->line);
	snprintf(desc, sizeof(desc), "§%s %s", e->where, e->line);
	atp_diag_clear(&d);
	rc = parse_str(line, &cl, &d);
	CHECK(desc, rc == ATP_OK);
	CHECK(desc, span_is(cl.text, e->line));
	CHECK(desc, span_is(cl.term, "\r"));
	CHECK(desc, span_is(cl.name, e->name));
	CHECK(desc, cl.form == e->form);
	CHECK(desc, cl.nargs == e->nargs);
	for (i = 0; i < e->nargs; i++) {
		const struct atp_arg *a = &cl.args[i];
		CHECK(desc, span_is(a->raw, e->args[i]));
		CHECK(desc, a->raw.p == cl.text.p + a->offset);
		CHECK(desc, a->quoted == (e->args[i][0] == '"'));
		if (a->quoted) {
			CHECK(desc, a->value.p == a->raw.p + 1 && a->value.len == a->raw.len - 2);
		} else {
			CHECK(desc, a->value.p == a->raw.p && a->value.len == a->raw.len);
		}
	}
	if (cl.issues != e->issues)
		fail_msg("%s: issues 0x%x, expected 0x%x", desc, cl.issues, e->issues);
	if ((e->issues & ATP_CL_UNKNOWN) != 0) {
		CHECK(desc, cl.cmd == NULL);
	} else {
		CHECK(desc, cl.cmd != NULL);
		CHECK(desc, atp_span_eq_ci(cl.name, cl.cmd->name));
	}
}

static void
every_manual_example_parses_as_the_manual_means_it(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
		check_example(&examples[i]);
}

/* ------------------------------------------------------------------ */
/* Forms, names and arguments                                           */
/* ------------------------------------------------------------------ */

struct shape_case {
	const char *desc;
	const char *line;       /* terminator included */
	const char *name;
	enum atp_form form;
	const char *argtext;
	size_t nargs;
	const char *args[ATP_ARGS_MAX];   /* raw */
	unsigned issues;
};

static const struct shape_case shapes[] = {
	{ "set with no argument has none", "AT+SSID=\r", "SSID", SET, "", 0, { NULL }, 0 },
	{ "flash with no argument has none", "AT+SSID=!\r", "SSID", FLASH, "", 0, { NULL }, 0 },
	{ "a trailing comma is an empty last argument, not counted", "AT+WPRT=1,\r", "WPRT", SET,
	    "1,", 1, { "1" }, ATP_CL_EMPTY_LAST_ARG },
	{ "a lone comma is one empty argument and an empty last one", "AT+WPRT=,\r", "WPRT", SET,
	    ",", 1, { "" }, ATP_CL_EMPTY_LAST_ARG },
	{ "empty arguments in the middle count", "AT+SKCT=0,,x,,1\r", "SKCT", SET, "0,,x,,1", 5,
	    { "0", "", "x", "", "1" }, 0 },
	{ "the null command may take an operator", "AT+=1\r", "", SET, "1", 1, { "1" }, 0 },
	{ "the null command with a query", "AT+=?\r", "", QUERY, "", 0, { NULL }, 0 },
	{ "a query ignores what follows it", "AT+WPRT=?garbage,1\r", "WPRT", QUERY, "garbage,1", 0,
	    { NULL }, ATP_CL_QUERY_TRAIL },
	{ "a question mark suffix is part of the name", "AT+WPRT?\r", "WPRT?", BARE, "", 0, { NULL },
	    ATP_CL_UNKNOWN },
	{ "only the first equals sign is the operator", "AT+X=a=b,==\r", "X", SET, "a=b,==", 2,
	    { "a=b", "==" }, ATP_CL_UNKNOWN },
	{ "an exclamation mark after the flash operator is an argument", "AT+SSID=!!x\r", "SSID",
	    FLASH, "!x", 1, { "!x" }, 0 },
	{ "a question mark after the flash operator is an argument", "AT+SSID=!?\r", "SSID", FLASH,
	    "?", 1, { "?" }, 0 },
	{ "a lower-case prefix is noted", "at+QVER\r", "QVER", BARE, "", 0, { NULL },
	    ATP_CL_LOWER_PREFIX },
	{ "a mixed-case prefix is noted", "aT+QVER\r", "QVER", BARE, "", 0, { NULL },
	    ATP_CL_LOWER_PREFIX },
	{ "a lower-case name is found and noted", "AT+qver\r", "qver", BARE, "", 0, { NULL },
	    ATP_CL_LOWER_NAME },
	{ "a lower-case line is found and noted", "at+wprt=!1\r", "wprt", FLASH, "1", 1, { "1" },
	    ATP_CL_LOWER_PREFIX | ATP_CL_LOWER_NAME },
	{ "a name of 9 characters is allowed", "AT+ABCDEFGHI\r", "ABCDEFGHI", BARE, "", 0, { NULL },
	    ATP_CL_UNKNOWN },
	{ "a name of 10 characters is too long", "AT+ABCDEFGHIJ=1\r", "ABCDEFGHIJ", SET, "1", 1,
	    { "1" }, ATP_CL_NAME_TOO_LONG | ATP_CL_UNKNOWN },
	{ "a space after the name is in the name", "AT+APMAC \r", "APMAC ", BARE, "", 0, { NULL },
	    ATP_CL_SPACE | ATP_CL_UNKNOWN },
	{ "a space inside a quoted argument is content", "AT+SSID=\" a b \"\r", "SSID", SET,
	    "\" a b \"", 1, { "\" a b \"" }, 0 },
	{ "a trailing space of an argument is noted", "AT+WPRT=1 \r", "WPRT", SET, "1 ", 1,
	    { "1 " }, ATP_CL_SPACE },
	{ "a space before a quote makes the argument bare", "AT+SSID= \"a,b\"\r", "SSID", SET,
	    " \"a,b\"", 2, { " \"a", "b\"" }, ATP_CL_SPACE },
	{ "a number that overflows stays text", "AT+SKSND=1,99999999999999999999999999\r", "SKSND",
	    SET, "1,99999999999999999999999999", 2, { "1", "99999999999999999999999999" }, 0 },
	{ "nine arguments are allowed", "AT+X=1,2,3,4,5,6,7,8,9\r", "X", SET, "1,2,3,4,5,6,7,8,9", 9,
	    { "1", "2", "3", "4", "5", "6", "7", "8", "9" }, ATP_CL_UNKNOWN },
	{ "ten arguments keep the first nine", "AT+X=1,2,3,4,5,6,7,8,9,10\r", "X", SET,
	    "1,2,3,4,5,6,7,8,9,10", 9, { "1", "2", "3", "4", "5", "6", "7", "8", "9" },
	    ATP_CL_TOO_MANY_ARGS | ATP_CL_UNKNOWN },
	{ "nine arguments and a trailing comma are too many for the firmware",
	    "AT+X=1,2,3,4,5,6,7,8,9,\r", "X", SET, "1,2,3,4,5,6,7,8,9,", 9,
	    { "1", "2", "3", "4", "5", "6", "7", "8", "9" },
	    ATP_CL_TOO_MANY_ARGS | ATP_CL_EMPTY_LAST_ARG | ATP_CL_UNKNOWN },
	{ "eight arguments and a trailing comma are fine but noted", "AT+X=1,2,3,4,5,6,7,8,\r", "X",
	    SET, "1,2,3,4,5,6,7,8,", 8, { "1", "2", "3", "4", "5", "6", "7", "8" },
	    ATP_CL_EMPTY_LAST_ARG | ATP_CL_UNKNOWN },
	{ "twenty commas keep nine empty arguments", "AT+X=,,,,,,,,,,,,,,,,,,,,\r", "X", SET,
	    ",,,,,,,,,,,,,,,,,,,,", 9, { "", "", "", "", "", "", "", "", "" },
	    ATP_CL_TOO_MANY_ARGS | ATP_CL_UNKNOWN },
	{ "a control byte is noted", "AT+SSID=a\x01" "b\r", "SSID", SET, "a\x01" "b", 1,
	    { "a\x01" "b" }, ATP_CL_NONPRINT },
	{ "a non-ASCII byte is noted", "AT+SSID=caf\xc3\xa9\r", "SSID", SET, "caf\xc3\xa9", 1,
	    { "caf\xc3\xa9" }, ATP_CL_NONPRINT },
	{ "DEL is noted", "AT+SSID=\x7f\r", "SSID", SET, "\x7f", 1, { "\x7f" }, ATP_CL_NONPRINT },
};

static void
forms_names_and_arguments_follow_the_firmware(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape_case *s = &shapes[i];
		struct atp_cmdline cl;
		int rc = parse_str(s->line, &cl, NULL);

		CHECK(s->desc, rc == ATP_OK);
		CHECK(s->desc, span_is(cl.name, s->name));
		CHECK(s->desc, cl.form == s->form);
		CHECK(s->desc, span_is(cl.argtext, s->argtext));
		CHECK(s->desc, cl.nargs == s->nargs);
		for (k = 0; k < s->nargs; k++)
			CHECK(s->desc, span_is(cl.args[k].raw, s->args[k]));
		if (cl.issues != s->issues)
			fail_msg("%s: issues 0x%x, expected 0x%x", s->desc, cl.issues, s->issues);
	}
}

static void
the_null_command_and_known_commands_are_found_in_the_table(void **state)
{
	struct atp_cmdline cl;

	(void)state;
	assert_int_equal(parse_str("AT+\r", &cl, NULL), ATP_OK);
	assert_non_null(cl.cmd);
	assert_string_equal(cl.cmd->name, "");
	assert_int_equal(parse_str("at+wprt=?\r", &cl, NULL), ATP_OK);
	assert_non_null(cl.cmd);
	assert_string_equal(cl.cmd->name, "WPRT");
	assert_int_equal(parse_str("AT+NOSUCH\r", &cl, NULL), ATP_OK);
	assert_null(cl.cmd);
	assert_true((cl.issues & ATP_CL_UNKNOWN) != 0);
}

/* ------------------------------------------------------------------ */
/* Quoting                                                              */
/* ------------------------------------------------------------------ */

struct quote_case {
	const char *desc;
	const char *line;
	size_t nargs;
	const char *raw[4];
	const char *value[4];   /* quotes removed, escapes kept */
	const char *unescaped[4];
	int quoted[4];
	unsigned issues;
};

static const struct quote_case quotes[] = {
	{ "a quoted argument may hold commas", "AT+SSID=\"a,b,c\"\r", 1,
	    { "\"a,b,c\"" }, { "a,b,c" }, { "a,b,c" }, { 1 }, 0 },
	{ "a quoted argument ends at a quote and a comma", "AT+KEY=1,0,\"x\",\"y\"\r", 4,
	    { "1", "0", "\"x\"", "\"y\"" }, { "1", "0", "x", "y" }, { "1", "0", "x", "y" },
	    { 0, 0, 1, 1 }, 0 },
	{ "an escaped quote does not end it", "AT+SSID=\"a\\\",b\",2\r", 2,
	    { "\"a\\\",b\"", "2" }, { "a\\\",b", "2" }, { "a\",b", "2" }, { 1, 0 }, 0 },
	/* get_first_comma() looks one byte back: an escaped backslash
	 * before the quote still keeps it from ending the argument */
	{ "a quote right after any backslash does not end it", "AT+SSID=\"a\\\\\",2\r", 1,
	    { "\"a\\\\\",2" }, { "a\\\\\",2" }, { "a\\\",2" }, { 1 }, ATP_CL_OPEN_QUOTE },
	{ "an escaped comma is content", "AT+SSID=\"a\\,b\"\r", 1,
	    { "\"a\\,b\"" }, { "a\\,b" }, { "a,b" }, { 1 }, 0 },
	{ "a quote not followed by a comma does not end it", "AT+SSID=\"a\"b\",c\r", 2,
	    { "\"a\"b\"", "c" }, { "a\"b", "c" }, { "a\"b", "c" }, { 1, 0 }, 0 },
	{ "nor does one followed by text at the end", "AT+SSID=\"a\"b\r", 1,
	    { "\"a\"b" }, { "a\"b" }, { "a\"b" }, { 1 }, ATP_CL_OPEN_QUOTE },
	{ "an unterminated quote runs to the end", "AT+SSID=\"abc,1\r", 1,
	    { "\"abc,1" }, { "abc,1" }, { "abc,1" }, { 1 }, ATP_CL_OPEN_QUOTE },
	{ "a lone quote is an open empty string", "AT+SSID=\"\r", 1,
	    { "\"" }, { "" }, { "" }, { 1 }, ATP_CL_OPEN_QUOTE },
	/* atcmd_filter_quotation() looks at the last byte only */
	{ "a last argument ending in a quote is closed, a backslash before it or not",
	    "AT+SSID=\"abc\\\"\r", 1,
	    { "\"abc\\\"" }, { "abc\\" }, { "abc\\" }, { 1 }, 0 },
	{ "so is one ending in an escaped backslash", "AT+SSID=\"abc\\\\\"\r", 1,
	    { "\"abc\\\\\"" }, { "abc\\\\" }, { "abc\\" }, { 1 }, 0 },
	{ "a quote inside a bare argument is content", "AT+SSID=a\"b,c\r", 2,
	    { "a\"b", "c" }, { "a\"b", "c" }, { "a\"b", "c" }, { 0, 0 }, 0 },
	{ "an empty quoted last argument counts", "AT+KEY=1,0,\"\"\r", 3,
	    { "1", "0", "\"\"" }, { "1", "0", "" }, { "1", "0", "" }, { 0, 0, 1 }, 0 },
	{ "an unquoted comma splits even after a backslash", "AT+SSID=a\\,b\r", 2,
	    { "a\\", "b" }, { "a\\", "b" }, { "a\\", "b" }, { 0, 0 }, 0 },
};

static void
quoted_arguments_follow_the_escape_rules(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(quotes) / sizeof(quotes[0]); i++) {
		const struct quote_case *q = &quotes[i];
		struct atp_cmdline cl;
		int rc = parse_str(q->line, &cl, NULL);

		CHECK(q->desc, rc == ATP_OK);
		CHECK(q->desc, cl.nargs == q->nargs);
		for (k = 0; k < q->nargs; k++) {
			char buf[64];
			long n;
			CHECK(q->desc, span_is(cl.args[k].raw, q->raw[k]));
			CHECK(q->desc, span_is(cl.args[k].value, q->value[k]));
			CHECK(q->desc, cl.args[k].quoted == q->quoted[k]);
			n = cl.args[k].quoted ? atp_unescape(cl.args[k].value, buf, sizeof(buf)) : -1;
			if (cl.args[k].quoted) {
				CHECK(q->desc, n >= 0 && strcmp(buf, q->unescaped[k]) == 0);
			}
		}
		if ((cl.issues & ~ATP_CL_UNKNOWN) != q->issues)
			fail_msg("%s: issues 0x%x, expected 0x%x", q->desc, cl.issues, q->issues);
	}
}

/* ------------------------------------------------------------------ */
/* Terminators and errors                                               */
/* ------------------------------------------------------------------ */

struct term_case {
	const char *desc;
	const char *line;
	const char *term;
	unsigned issues;
};

static const struct term_case terms[] = {
	{ "CR is the manual's terminator", "AT+QVER\r", "\r", 0 },
	{ "LF is taken and noted", "AT+QVER\n", "\n", ATP_CL_TERM_NOT_CR },
	{ "CRLF is taken and noted", "AT+QVER\r\n", "\r\n", ATP_CL_TERM_NOT_CR },
	{ "LFCR is taken and noted", "AT+QVER\n\r", "\n\r", ATP_CL_TERM_NOT_CR },
	{ "no terminator is taken and noted", "AT+QVER", "", ATP_CL_NO_TERM },
};

static void
every_terminator_is_taken_and_all_but_cr_are_noted(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
		struct atp_cmdline cl;
		int rc = parse_str(terms[i].line, &cl, NULL);
		CHECK(terms[i].desc, rc == ATP_OK);
		CHECK(terms[i].desc, span_is(cl.text, "AT+QVER"));
		CHECK(terms[i].desc, span_is(cl.term, terms[i].term));
		CHECK(terms[i].desc, span_is(cl.name, "QVER"));
		CHECK(terms[i].desc, cl.issues == terms[i].issues);
	}
}

struct error_case {
	const char *desc;
	const char *line;
	size_t len;             /* 0: strlen(line) */
	int rc;
	unsigned long col;
};

static const struct error_case errors[] = {
	{ "an empty line is not a command", "", 0, ATP_ERR_SYNTAX, 1 },
	{ "a bare terminator is not a command", "\r", 0, ATP_ERR_SYNTAX, 1 },
	{ "a plain AT is not a command (no reply, §1.2)", "AT\r", 0, ATP_ERR_SYNTAX, 3 },
	{ "AT with something else than a plus is not", "ATI\r", 0, ATP_ERR_SYNTAX, 3 },
	{ "a leading space is not a command", " AT+QVER\r", 0, ATP_ERR_SYNTAX, 1 },
	{ "garbage before the prefix is not a command", "xAT+QVER\r", 0, ATP_ERR_SYNTAX, 1 },
	{ "a lone CR in the middle is a second line", "AT+WPRT=1\r2\r", 0, ATP_ERR_SYNTAX, 10 },
	{ "a lone LF in the middle is a second line", "AT+SSID=a\nb", 0, ATP_ERR_SYNTAX, 10 },
	{ "two CRs are two terminators", "AT+QVER\r\r", 0, ATP_ERR_SYNTAX, 8 },
	{ "two CRLFs are two terminators", "AT+QVER\r\n\r\n", 0, ATP_ERR_SYNTAX, 8 },
	{ "a CR in the prefix is an error there", "A\rT+QVER\r", 0, ATP_ERR_SYNTAX, 2 },
	{ "a NUL in the prefix is an error there", "AT\0+QVER\r", 9, ATP_ERR_SYNTAX, 3 },
};

static void
lines_that_cannot_be_commands_are_errors_with_their_column(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		const struct error_case *e = &errors[i];
		struct atp_cmdline cl;
		struct atp_diag d;
		size_t len = e->len != 0 ? e->len : strlen(e->line);
		int rc;

		atp_diag_clear(&d);
		rc = atp_cmdline_parse(atp_span_make(e->line, len), &cl, &d);
		if (rc != e->rc)
			fail_msg("%s: rc %d, expected %d", e->desc, rc, e->rc);
		CHECK(e->desc, d.code == e->rc);
		if (d.col != e->col)
			fail_msg("%s: column %lu, expected %lu (%s)", e->desc, d.col, e->col, d.msg);
		CHECK(e->desc, d.offset + 1 == e->col);
		CHECK(e->desc, d.msg[0] != '\0');
	}
}

static void
a_nul_byte_is_kept_and_noted(void **state)
{
	static const char line[] = "AT+SSID=a\0b,c\r";
	struct atp_cmdline cl;

	(void)state;
	assert_int_equal(atp_cmdline_parse(atp_span_make(line, sizeof(line) - 1), &cl, NULL), ATP_OK);
	assert_int_equal(cl.nargs, 2);
	assert_int_equal(cl.args[0].raw.len, 3);
	assert_memory_equal(cl.args[0].raw.p, "a\0b", 3);
	assert_int_equal(cl.issues, ATP_CL_NUL);
	assert_int_equal(cl.text.len, sizeof(line) - 2);
}

static void
a_line_over_the_ceiling_is_a_limit_error_but_still_parsed(void **state)
{
	char line[ATP_LINE_MAX + 8];
	struct atp_cmdline cl;
	struct atp_diag d;
	size_t n;

	(void)state;
	/* 512 bytes of text and a CR: the longest line the firmware takes. */
	memcpy(line, "AT+SSID=", 8);
	memset(line + 8, 'a', ATP_LINE_MAX - 8);
	line[ATP_LINE_MAX] = '\r';
	n = ATP_LINE_MAX + 1;
	assert_int_equal(atp_cmdline_parse(atp_span_make(line, n), &cl, NULL), ATP_OK);
	assert_int_equal(cl.text.len, ATP_LINE_MAX);
	assert_int_equal(cl.issues & ATP_CL_TOO_LONG, 0);
	/* Also with CRLF: the ceiling is on the text. */
	line[ATP_LINE_MAX + 1] = '\n';
	assert_int_equal(atp_cmdline_parse(atp_span_make(line, n + 1), &cl, NULL), ATP_OK);

	/* One more byte of text. */
	line[ATP_LINE_MAX] = 'a';
	line[ATP_LINE_MAX + 1] = '\r';
	atp_diag_clear(&d);
	assert_int_equal(atp_cmdline_parse(atp_span_make(line, n + 1), &cl, &d), ATP_ERR_LIMIT);
	assert_int_equal(d.code, ATP_ERR_LIMIT);
	assert_int_equal(d.col, ATP_LINE_MAX + 1);
	assert_true((cl.issues & ATP_CL_TOO_LONG) != 0);
	assert_true(span_is(cl.name, "SSID"));
	assert_int_equal(cl.nargs, 1);
	assert_int_equal(cl.args[0].raw.len, ATP_LINE_MAX + 1 - 8);
}

static void
bad_arguments_are_refused(void **state)
{
	struct atp_cmdline cl;

	(void)state;
	assert_int_equal(atp_cmdline_parse(atp_span_str("AT+\r"), NULL, NULL), ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_parse(atp_span_make(NULL, 0), &cl, NULL), ATP_ERR_SYNTAX);
}

/* ------------------------------------------------------------------ */
/* The stream splitter                                                  */
/* ------------------------------------------------------------------ */

#define EV_MAX 256

/* One event of the splitter, as offsets into the whole input. */
struct ev {
	int rc;                 /* ATP_OK or ATP_ERR_LIMIT */
	size_t off, len;        /* OK: the line; LIMIT: the garbage */
	size_t tlen;            /* OK: the terminator */
};

/*
 * Feeds @in to the splitter in pieces (chunk 0: whole; otherwise pieces of
 * chunk bytes, or random 1..17 when chunk is (size_t)-1), the way a caller
 * does: the unconsumed bytes stay, new ones are appended, next() is called
 * until it wants more. Checks that every byte is accounted for and that
 * garbage, line and terminator are contiguous. Returns the event count.
 */
static size_t
run_split(const uint8_t *in, size_t n, int luat, size_t chunk, uint64_t *rng, struct ev *ev,
    size_t *left_over)
{
	size_t consumed = 0, avail = 0, nev = 0;

	do {
		size_t step = chunk == 0 ? n : chunk;
		if (chunk == (size_t)-1) {
			*rng = *rng * 6364136223846793005u + 1442695040888963407u;
			step = 1 + (size_t)(*rng >> 60);
		}
		avail = avail + step > n ? n : avail + step;
		for (;;) {
			struct atp_cur c = atp_cur_make(in + consumed, avail - consumed);
			struct atp_span g, l, t;
			int rc = atp_cmdline_next(&c, luat, &g, &l, &t);
			size_t used = (size_t)(c.p - (in + consumed));

			assert_true(g.p == in + consumed);
			assert_int_equal(c.left, avail - consumed - used);
			if (rc == ATP_ERR_AGAIN) {
				assert_int_equal(used, g.len);
				consumed += used;
				break;
			}
			assert_true(nev < EV_MAX);
			if (rc == ATP_OK) {
				assert_true(l.p == g.p + g.len);
				assert_true(t.p == l.p + l.len);
				assert_true(t.len == 1 || t.len == 2);
				assert_int_equal(used, g.len + l.len + t.len);
				ev[nev].off = (size_t)(l.p - in);
				ev[nev].len = l.len;
				ev[nev].tlen = t.len;
			} else {
				assert_int_equal(rc, ATP_ERR_LIMIT);
				assert_int_equal(used, g.len);
				assert_true(used > ATP_LINE_MAX);
				ev[nev].off = (size_t)(g.p - in);
				ev[nev].len = g.len;
				ev[nev].tlen = 0;
			}
			ev[nev].rc = rc;
			nev++;
			consumed += used;
		}
	} while (avail < n);
	*left_over = n - consumed;
	return nev;
}

/* Lines (not garbage, not terminators: a CRLF split across reads gives a
 * CR line and a garbage LF) must not depend on the chunking. */
static void
assert_same_lines(const char *desc, const struct ev *a, size_t na, const struct ev *b, size_t nb)
{
	size_t i, j;

	for (i = 0, j = 0; i < na || j < nb; i++, j++) {
		while (i < na && a[i].rc != ATP_OK)
			i++;
		while (j < nb && b[j].rc != ATP_OK)
			j++;
		if (i == na || j == nb) {
			CHECK(desc, i == na && j == nb);
			break;
		}
		CHECK(desc, a[i].off == b[j].off && a[i].len == b[j].len);
	}
}

struct split_case {
	const char *desc;
	const char *in;
	int luat;
	size_t nlines;
	const char *lines[4];
	size_t left;            /* bytes not consumed at the end */
};

static const struct split_case splits[] = {
	{ "G3 finds a command after garbage", "xxAT+QVER\r", 0, 1, { "AT+QVER" }, 0 },
	{ "LUAT loses a command after garbage on its line", "xxAT+QVER\r", 1, 0, { NULL }, 0 },
	{ "LUAT finds the command on the next line", "xx\rAT+QVER\r", 1, 1, { "AT+QVER" }, 0 },
	{ "LUAT finds it after a garbage line ended by CRLF", "xx\r\nAT+QVER\r", 1, 1,
	    { "AT+QVER" }, 0 },
	{ "every terminator ends a line (G3)", "AT+A\rAT+B\nAT+C\r\nAT+D\n\rAT+E", 0, 4,
	    { "AT+A", "AT+B", "AT+C", "AT+D" }, 4 },
	{ "every terminator ends a line (LUAT)", "AT+A\rAT+B\nAT+C\r\nAT+D\n\rAT+E", 1, 4,
	    { "AT+A", "AT+B", "AT+C", "AT+D" }, 4 },
	{ "a plain AT line is skipped (G3)", "AT\rAT+Z\r", 0, 1, { "AT+Z" }, 0 },
	{ "a plain AT line is skipped (LUAT)", "AT\rAT+Z\r", 1, 1, { "AT+Z" }, 0 },
	{ "a lower-case prefix starts a line", "at+qver\r", 1, 1, { "at+qver" }, 0 },
	{ "a partial A at the end is kept (G3)", "xxA", 0, 0, { NULL }, 1 },
	{ "a partial AT at the end is kept (G3)", "xxAt", 0, 0, { NULL }, 2 },
	{ "a partial AT at the start is kept (LUAT)", "aT", 1, 0, { NULL }, 2 },
	{ "LUAT keeps garbage until its line ends", "xxA", 1, 0, { NULL }, 3 },
	{ "an empty line between commands is garbage", "AT+A\r\r\rAT+B\r", 1, 2,
	    { "AT+A", "AT+B" }, 0 },
	{ "A then garbage is garbage (G3)", "AxAT+Z\r", 0, 1, { "AT+Z" }, 0 },
	{ "AT+ inside a command line is not a new line", "AT+SSID=AT+Z\r", 0, 1,
	    { "AT+SSID=AT+Z" }, 0 },
	{ "an unfinished line is kept whole", "AT+SSID=abc", 0, 0, { NULL }, 11 },
};

static void
the_splitter_frames_lines_by_both_garbage_policies(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
		const struct split_case *s = &splits[i];
		const uint8_t *in = (const uint8_t *)s->in;
		size_t n = strlen(s->in), na, nb, nr, la, lb, lr, nl = 0;
		struct ev a[EV_MAX], b[EV_MAX], r[EV_MAX];
		uint64_t rng = i + 1;

		na = run_split(in, n, s->luat, 0, &rng, a, &la);
		nb = run_split(in, n, s->luat, 1, &rng, b, &lb);
		nr = run_split(in, n, s->luat, (size_t)-1, &rng, r, &lr);
		for (k = 0; k < na; k++) {
			CHECK(s->desc, a[k].rc == ATP_OK);
			CHECK(s->desc, nl < s->nlines);
			CHECK(s->desc, a[k].len == strlen(s->lines[nl]) &&
			    memcmp(in + a[k].off, s->lines[nl], a[k].len) == 0);
			nl++;
		}
		CHECK(s->desc, nl == s->nlines);
		CHECK(s->desc, la == s->left);
		CHECK(s->desc, lb == s->left && lr == s->left);
		assert_same_lines(s->desc, a, na, b, nb);
		assert_same_lines(s->desc, a, na, r, nr);
	}
}

static void
a_cr_at_the_end_of_input_is_taken_alone(void **state)
{
	static const char in[] = "AT+QVER\r";
	struct atp_cur c = atp_cur_make(in, sizeof(in) - 1);
	struct atp_span g, l, t;

	(void)state;
	assert_int_equal(atp_cmdline_next(&c, 0, &g, &l, &t), ATP_OK);
	assert_true(span_is(l, "AT+QVER"));
	assert_true(span_is(t, "\r"));
	assert_int_equal(g.len, 0);
	assert_int_equal(c.left, 0);
	assert_int_equal(atp_cmdline_next(&c, 0, &g, &l, &t), ATP_ERR_AGAIN);
	/* With its LF there, the pair is one terminator. */
	c = atp_cur_make("AT+QVER\r\nAT+Z\r", 14);
	assert_int_equal(atp_cmdline_next(&c, 1, &g, &l, &t), ATP_OK);
	assert_true(span_is(t, "\r\n"));
	assert_int_equal(atp_cmdline_next(&c, 1, &g, &l, &t), ATP_OK);
	assert_true(span_is(l, "AT+Z"));
	assert_int_equal(g.len, 0);
}

static void
a_line_over_the_ceiling_is_flushed_as_garbage(void **state)
{
	static uint8_t in[2 * ATP_LINE_MAX];
	size_t i, n, left, na, nb;
	struct ev a[EV_MAX], b[EV_MAX];
	uint64_t rng = 7;
	int luat;

	(void)state;
	for (luat = 0; luat <= 1; luat++) {
		/* "AT+" and 600 bytes, then a good line. */
		memcpy(in, "AT+", 3);
		memset(in + 3, 'x', 600);
		memcpy(in + 603, "\rAT+Z\r", 6);
		n = 609;
		na = run_split(in, n, luat, 0, &rng, a, &left);
		assert_int_equal(left, 0);
		assert_true(na >= 2);
		assert_int_equal(a[0].rc, ATP_ERR_LIMIT);
		assert_int_equal(a[0].off, 0);
		assert_int_equal(a[0].len, ATP_LINE_MAX + 1);
		assert_int_equal(a[na - 1].rc, ATP_OK);
		assert_int_equal(a[na - 1].off, 604);
		nb = run_split(in, n, luat, 1, &rng, b, &left);
		assert_same_lines("overlong line", a, na, b, nb);
		for (i = 0; i < na && i < nb; i++)
			assert_int_equal(a[i].rc, b[i].rc);

		/* Without an end of line: flushed once the ceiling is passed,
		 * and not before. */
		na = run_split(in, ATP_LINE_MAX, luat, 0, &rng, a, &left);
		assert_int_equal(na, 0);
		assert_int_equal(left, ATP_LINE_MAX);
		na = run_split(in, ATP_LINE_MAX + 1, luat, 0, &rng, a, &left);
		assert_int_equal(na, 1);
		assert_int_equal(a[0].rc, ATP_ERR_LIMIT);
		assert_int_equal(left, 0);

		/* 512 bytes of text and a CR: the longest line taken. */
		in[ATP_LINE_MAX] = '\r';
		na = run_split(in, ATP_LINE_MAX + 1, luat, 1, &rng, a, &left);
		assert_int_equal(na, 1);
		assert_int_equal(a[0].rc, ATP_OK);
		assert_int_equal(a[0].len, ATP_LINE_MAX);
	}

	/* LUAT garbage has the same ceiling. */
	memset(in, 'x', 600);
	memcpy(in + 600, "\rAT+Z\r", 6);
	na = run_split(in, 606, 1, 0, &rng, a, &left);
	assert_int_equal(na, 2);
	assert_int_equal(a[0].rc, ATP_ERR_LIMIT);
	assert_int_equal(a[1].rc, ATP_OK);
	assert_int_equal(a[1].off, 601);
}

static uint64_t
rnd(uint64_t *s)
{
	/* xorshift64*: a fixed seed keeps every run the same. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717u;
}

static void
the_splitter_does_not_depend_on_how_the_bytes_arrive(void **state)
{
	static const char *const tokens[] = {
		"AT+", "at+", "A", "T", "+", "\r", "\n", "\r\n", "\n\r", "x", ",", "AT+QVER",
		"=1", "AT", "\"", "\0",
	};
	static uint8_t in[3000];
	struct ev a[EV_MAX], b[EV_MAX], r[EV_MAX];
	uint64_t s = 0x5eed0001u;
	size_t iter;

	(void)state;
	for (iter = 0; iter < 3000; iter++) {
		size_t n = 0, na, nb, nr, la, lb, lr, k;
		int luat = (int)(iter & 1);
		size_t ntok = 1 + (size_t)(rnd(&s) % 60);

		for (k = 0; k < ntok; k++) {
			size_t t = (size_t)(rnd(&s) % (sizeof(tokens) / sizeof(tokens[0])));
			size_t tl = t == 15 ? 1 : strlen(tokens[t]);
			if (rnd(&s) % 97 == 0) {
				/* now and then a run long enough to pass the ceiling */
				size_t run = 300 + (size_t)(rnd(&s) % 400);
				if (n + run > sizeof(in))
					break;
				memset(in + n, 'y', run);
				n += run;
				continue;
			}
			if (n + tl > sizeof(in))
				break;
			memcpy(in + n, tokens[t], tl);
			n += tl;
		}
		na = run_split(in, n, luat, 0, &s, a, &la);
		nb = run_split(in, n, luat, 1, &s, b, &lb);
		nr = run_split(in, n, luat, (size_t)-1, &s, r, &lr);
		assert_same_lines("random stream, bytewise", a, na, b, nb);
		assert_same_lines("random stream, random chunks", a, na, r, nr);
		assert_int_equal(la, lb);
		assert_int_equal(la, lr);
		/* Every line the splitter gives is a command line to the parser. */
		for (k = 0; k < na; k++) {
			struct atp_cmdline cl;
			if (a[k].rc != ATP_OK)
				continue;
			assert_int_equal(atp_cmdline_parse(atp_span_make(in + a[k].off,
			    a[k].len + a[k].tlen), &cl, NULL), ATP_OK);
		}
	}
}

static void
the_splitter_refuses_a_null_cursor_and_waits_on_empty_input(void **state)
{
	struct atp_cur c = atp_cur_make(NULL, 0);
	struct atp_span g, l, t;

	(void)state;
	assert_int_equal(atp_cmdline_next(NULL, 0, &g, &l, &t), ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_next(&c, 0, &g, &l, &t), ATP_ERR_AGAIN);
	assert_int_equal(atp_cmdline_next(&c, 1, NULL, NULL, NULL), ATP_ERR_AGAIN);
}

/* ------------------------------------------------------------------ */
/* The serializer                                                       */
/* ------------------------------------------------------------------ */

struct build_case {
	const char *desc;
	const char *name;
	enum atp_form form;
	size_t nargs;
	const char *args[ATP_ARGS_MAX];
	unsigned flags;
	const char *want;
};

static const struct build_case builds[] = {
	{ "a bare command", "QVER", BARE, 0, { NULL }, 0, "AT+QVER\r" },
	{ "the null command", "", BARE, 0, { NULL }, 0, "AT+\r" },
	{ "a query", "WPRT", QUERY, 0, { NULL }, 0, "AT+WPRT=?\r" },
	{ "a set with numbers", "UART", SET, 4, { "9600", "1", "1", "0" }, 0, "AT+UART=9600,1,1,0\r" },
	{ "a flash set", "ATPT", FLASH, 1, { "500" }, 0, "AT+ATPT=!500\r" },
	{ "a set with no argument", "SSID", SET, 0, { NULL }, 0, "AT+SSID=\r" },
	{ "a comma forces quotes", "SSID", SET, 1, { "a,b" }, 0, "AT+SSID=\"a,b\"\r" },
	{ "quotes and backslashes are escaped", "SSID", SET, 1, { "a\"b\\c" }, 0,
	    "AT+SSID=\"a\\\"b\\\\c\"\r" },
	{ "a quote at the start forces quotes", "SSID", SET, 1, { "\"x" }, 0, "AT+SSID=\"\\\"x\"\r" },
	{ "a last value ending in a backslash is quoted", "KEY", SET, 2, { "1", "a b\\" }, 0,
	    "AT+KEY=1,\"a b\\\\\"\r" },
	{ "before another it goes bare (\\\",\" would not end it)", "KEY", SET, 2, { "a b\\", "1" },
	    0, "AT+KEY=a b\\,1\r" },
	{ "a leading space forces quotes", "SSID", SET, 1, { " x" }, 0, "AT+SSID=\" x\"\r" },
	{ "a trailing space forces quotes", "SSID", SET, 1, { "x " }, 0, "AT+SSID=\"x \"\r" },
	{ "a tab forces quotes", "SSID", SET, 1, { "a\tb" }, 0, "AT+SSID=\"a\tb\"\r" },
	{ "an empty last argument is quoted", "KEY", SET, 3, { "1", "0", "" }, 0,
	    "AT+KEY=1,0,\"\"\r" },
	{ "an empty middle argument is not", "SKCT", SET, 3, { "0", "", "1" }, 0, "AT+SKCT=0,,1\r" },
	{ "a lone empty argument is quoted", "SSID", SET, 1, { "" }, 0, "AT+SSID=\"\"\r" },
	{ "a first set argument starting with ! is quoted", "SSID", SET, 1, { "!x" }, 0,
	    "AT+SSID=\"!x\"\r" },
	{ "a first set argument starting with ? is quoted", "SSID", SET, 1, { "?" }, 0,
	    "AT+SSID=\"?\"\r" },
	{ "after the flash operator it is not", "SSID", FLASH, 1, { "!x" }, 0, "AT+SSID=!!x\r" },
	{ "a later argument starting with ! is not", "KEY", SET, 3, { "1", "0", "!x" }, 0,
	    "AT+KEY=1,0,!x\r" },
	{ "quote-all leaves numbers bare", "KEY", FLASH, 3, { "1", "0", "A123456" },
	    ATP_CLB_QUOTE_ALL, "AT+KEY=!1,0,\"A123456\"\r" },
	{ "quote-all quotes an IP", "SKCT", SET, 4, { "0", "0", "1.2.3.4", "80" }, ATP_CLB_QUOTE_ALL,
	    "AT+SKCT=0,0,\"1.2.3.4\",80\r" },
	{ "LF on request", "QVER", BARE, 0, { NULL }, ATP_CLB_LF, "AT+QVER\n" },
	{ "CRLF on request", "QVER", BARE, 0, { NULL }, ATP_CLB_CRLF, "AT+QVER\r\n" },
	{ "no terminator on request", "QVER", BARE, 0, { NULL }, ATP_CLB_NO_TERM, "AT+QVER" },
	{ "non-ASCII stays bare", "SSID", SET, 1, { "caf\xc3\xa9" }, 0, "AT+SSID=caf\xc3\xa9\r" },
};

static void
the_serializer_writes_bare_when_safe_and_quotes_otherwise(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(builds) / sizeof(builds[0]); i++) {
		const struct build_case *b = &builds[i];
		char buf[128];
		long n = atp_cmdline_build(buf, sizeof(buf), b->name, b->form,
		    b->nargs > 0 ? b->args : NULL, b->nargs, b->flags);
		if (n < 0 || strcmp(buf, b->want) != 0)
			fail_msg("%s: got %ld \"%s\"", b->desc, n, n >= 0 ? buf : "");
		CHECK(b->desc, (size_t)n == strlen(b->want));
	}
}

static void
the_serializer_refuses_what_it_cannot_write(void **state)
{
	static const char *const ten[] = { "1", "2", "3", "4", "5", "6", "7", "8", "9", "10" };
	static const char *const cr[] = { "a\rb" };
	static const char *const lf[] = { "a\nb" };
	static const char *const comma_bs[] = { "a,b\\", "1" };
	static const char *const space_bs[] = { " a\\", "1" };
	static const char *const plain_bs[] = { "ab\\", "1" };
	static const char *const one[] = { "1" };
	static const char *const null_arg[] = { NULL };
	char big[600], buf[1024];
	const char *const long_arg[] = { big };

	(void)state;
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "X", SET, ten, 10, 0), ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "X", SET, ten, 9, 0), 23);
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "X", BARE, one, 1, 0), ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "X", QUERY, one, 1, 0), ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "X", (enum atp_form)3, NULL, 0, 0),
	    ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "X", SET, cr, 1, 0), ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "X", SET, lf, 1, 0), ATP_ERR_ARG);
	/* a value ending in a backslash before another that cannot go bare */
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "X", SET, comma_bs, 2, 0), ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "X", SET, space_bs, 2, 0), ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "X", SET, plain_bs, 2,
	    ATP_CLB_QUOTE_ALL), ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "X", SET, plain_bs, 2, 0), 11);
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "X", SET, null_arg, 1, 0), ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "X", SET, NULL, 1, 0), ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "A=B", BARE, NULL, 0, 0), ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), NULL, BARE, NULL, 0, 0), ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_build(NULL, 10, "X", BARE, NULL, 0, 0), ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "X", BARE, NULL, 0,
	    ATP_CLB_LF | ATP_CLB_CRLF), ATP_ERR_ARG);
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "X", BARE, NULL, 0, 0x80u), ATP_ERR_ARG);

	/* Too small a buffer: "AT+QVER\r" needs 9 bytes with its NUL. */
	assert_int_equal(atp_cmdline_build(buf, 8, "QVER", BARE, NULL, 0, 0), ATP_ERR_LIMIT);
	assert_string_equal(buf, "");
	assert_int_equal(atp_cmdline_build(buf, 9, "QVER", BARE, NULL, 0, 0), 8);
	assert_int_equal(atp_cmdline_build(buf, 0, "QVER", BARE, NULL, 0, 0), ATP_ERR_LIMIT);

	/* 512 bytes of text is the ceiling, whatever the buffer. */
	memset(big, 'a', sizeof(big));
	big[ATP_LINE_MAX - 8] = '\0';     /* "AT+SSID=" + 504 */
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "SSID", SET, long_arg, 1, 0),
	    ATP_LINE_MAX + 1);
	big[ATP_LINE_MAX - 8] = 'a';
	big[ATP_LINE_MAX - 7] = '\0';
	assert_int_equal(atp_cmdline_build(buf, sizeof(buf), "SSID", SET, long_arg, 1, 0),
	    ATP_ERR_LIMIT);
}

/* The consumer's reading of a value: quoted ones lose their escapes. */
static int
value_is(const struct atp_arg *a, const char *want)
{
	char buf[ATP_LINE_MAX + 1];
	long n;

	if (!a->quoted)
		return span_is(a->value, want);
	n = atp_unescape(a->value, buf, sizeof(buf));
	return n >= 0 && (size_t)n == strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

static void
parsing_what_the_serializer_wrote_gives_the_arguments_back(void **state)
{
	/* Bytes chosen to hit every rule: separators, quotes, escapes,
	 * operators, spaces, controls, non-ASCII; everything but NUL, CR, LF. */
	static const char special[] = ",\"\\ !?=\t\x01\x1f\x7f\x80\xff" "aZ09";
	static const char namech[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789&";
	static const enum atp_form forms[] = { BARE, SET, FLASH, QUERY };
	static const unsigned termflags[] = { 0, ATP_CLB_LF, ATP_CLB_CRLF, ATP_CLB_NO_TERM };
	char argbuf[ATP_ARGS_MAX][24], name[ATP_NAME_MAX + 1], out[ATP_LINE_MAX + 4];
	const char *args[ATP_ARGS_MAX];
	uint64_t s = 0xc0ffee1234u;
	size_t iter, cases = 0, refused = 0;

	(void)state;
	for (iter = 0; iter < 5000; iter++) {
		enum atp_form form = forms[rnd(&s) % 4];
		unsigned flags = termflags[rnd(&s) % 4] | (rnd(&s) % 3 == 0 ? ATP_CLB_QUOTE_ALL : 0);
		size_t nargs = 0, namelen = (size_t)(rnd(&s) % (ATP_NAME_MAX + 1)), i, k;
		struct atp_cmdline cl;
		char desc[64];
		long n;

		for (i = 0; i < namelen; i++)
			name[i] = namech[rnd(&s) % (sizeof(namech) - 1)];
		name[namelen] = '\0';
		if (form == SET || form == FLASH)
			nargs = (size_t)(rnd(&s) % (ATP_ARGS_MAX + 1));
		for (i = 0; i < nargs; i++) {
			size_t len = (size_t)(rnd(&s) % 20);
			for (k = 0; k < len; k++) {
				if (rnd(&s) % 2 == 0)
					argbuf[i][k] = special[rnd(&s) % (sizeof(special) - 1)];
				else
					argbuf[i][k] = (char)(1 + rnd(&s) % 255);
				if (argbuf[i][k] == '\r' || argbuf[i][k] == '\n')
					argbuf[i][k] = 'r';
			}
			argbuf[i][len] = '\0';
			args[i] = argbuf[i];
		}
		snprintf(desc, sizeof(desc), "round trip %zu", iter);
		n = atp_cmdline_build(out, sizeof(out), name, form, args, nargs, flags);
		if (n == ATP_ERR_ARG) {
			/* only a value that ends in a backslash before another
			 * argument, and cannot go bare, has no line (cmdline.h) */
			int why = 0;
			for (i = 0; i + 1 < nargs; i++) {
				size_t l = strlen(args[i]);
				if (l > 0 && args[i][l - 1] == '\\' && ((flags & ATP_CLB_QUOTE_ALL) != 0 ||
				    strchr(args[i], ',') != NULL || args[i][0] == '"' || args[i][0] == ' ' ||
				    args[i][0] == '\t' ||
				    (i == 0 && form == SET && strchr("!?", args[i][0]) != NULL)))
					why = 1;
			}
			CHECK(desc, why);
			refused++;
			continue;
		}
		CHECK(desc, n > 0);
		CHECK(desc, atp_cmdline_parse(atp_span_make(out, (size_t)n), &cl, NULL) == ATP_OK);
		CHECK(desc, span_is(cl.name, name));
		CHECK(desc, cl.form == form);
		CHECK(desc, cl.nargs == nargs);
		for (i = 0; i < nargs; i++)
			CHECK(desc, value_is(&cl.args[i], args[i]));
		CHECK(desc, (cl.issues & (ATP_CL_OPEN_QUOTE | ATP_CL_TOO_MANY_ARGS |
		    ATP_CL_EMPTY_LAST_ARG | ATP_CL_QUERY_TRAIL | ATP_CL_SPACE |
		    ATP_CL_NAME_TOO_LONG | ATP_CL_LOWER_PREFIX | ATP_CL_LOWER_NAME)) == 0);
		CHECK(desc, ((cl.issues & ATP_CL_NO_TERM) != 0) == ((flags & ATP_CLB_NO_TERM) != 0));
		if ((flags & ATP_CLB_QUOTE_ALL) != 0)
			for (i = 0; i < nargs; i++)
				CHECK(desc, cl.args[i].quoted || (args[i][0] != '\0' &&
				    strspn(args[i], "0123456789") == strlen(args[i])));
		cases++;
	}
	/* both kinds happen with this seed */
	assert_int_equal(cases + refused, 5000);
	assert_true(refused > 0 && cases > 4000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_manual_example_parses_as_the_manual_means_it),
		cmocka_unit_test(forms_names_and_arguments_follow_the_firmware),
		cmocka_unit_test(the_null_command_and_known_commands_are_found_in_the_table),
		cmocka_unit_test(quoted_arguments_follow_the_escape_rules),
		cmocka_unit_test(every_terminator_is_taken_and_all_but_cr_are_noted),
		cmocka_unit_test(lines_that_cannot_be_commands_are_errors_with_their_column),
		cmocka_unit_test(a_nul_byte_is_kept_and_noted),
		cmocka_unit_test(a_line_over_the_ceiling_is_a_limit_error_but_still_parsed),
		cmocka_unit_test(bad_arguments_are_refused),
		cmocka_unit_test(the_splitter_frames_lines_by_both_garbage_policies),
		cmocka_unit_test(a_cr_at_the_end_of_input_is_taken_alone),
		cmocka_unit_test(a_line_over_the_ceiling_is_flushed_as_garbage),
		cmocka_unit_test(the_splitter_does_not_depend_on_how_the_bytes_arrive),
		cmocka_unit_test(the_splitter_refuses_a_null_cursor_and_waits_on_empty_input),
		cmocka_unit_test(the_serializer_writes_bare_when_safe_and_quotes_otherwise),
		cmocka_unit_test(the_serializer_refuses_what_it_cannot_write),
		cmocka_unit_test(parsing_what_the_serializer_wrote_gives_the_arguments_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
