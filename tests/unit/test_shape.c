/* SPDX-License-Identifier: MIT */
/* \summary: typed-field patterns: compile errors, matching, constraints */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "atproof/atproof.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

/* What one captured field should hold: its value (quotes removed, escapes
 * kept) and whether its constraint holds. */
struct want {
	const char *name;
	const char *value;
	int in_range;
};

struct mcase {
	const char *what;
	const char *pattern;
	const char *text;
	size_t len;             /* 0: strlen(text) */
	int matched;
	int nbad;
	int ncap;               /* -1: not checked */
	struct want want[4];
};

static struct atp_shape *
compile_ok(const char *what, const char *pattern)
{
	struct atp_shape *s = NULL;
	struct atp_diag d;
	int rc;

	atp_diag_clear(&d);
	rc = atp_shape_compile(pattern, &s, &d);
	if (rc != ATP_OK || s == NULL)
		fail_msg("%s: '%s' does not compile: col %lu: %s", what, pattern, d.col, d.msg);
	return s;
}

static void
check_case(const struct mcase *tc)
{
	struct atp_shape *s = compile_ok(tc->what, tc->pattern);
	struct atp_match m;
	size_t len = tc->len != 0 ? tc->len : strlen(tc->text);
	size_t k;

	assert_int_equal(atp_shape_match(s, atp_span_make(tc->text, len), &m), ATP_OK);
	if (m.too_complex)
		fail_msg("%s: no verdict (too complex)", tc->what);
	if (m.matched != tc->matched)
		fail_msg("%s: matched %d, want %d (fail_at %zu)", tc->what, m.matched,
		    tc->matched, m.fail_at);
	if (m.matched && (int)m.nbad != tc->nbad)
		fail_msg("%s: nbad %zu, want %d", tc->what, m.nbad, tc->nbad);
	if (m.matched && tc->ncap >= 0 && (int)m.ncap != tc->ncap)
		fail_msg("%s: ncap %zu, want %d", tc->what, m.ncap, tc->ncap);
	for (k = 0; k < NROWS(tc->want) && tc->want[k].name != NULL; k++) {
		const struct atp_capture *c = atp_match_get(&m, tc->want[k].name);
		if (c == NULL)
			fail_msg("%s: no capture '%s'", tc->what, tc->want[k].name);
		if (!atp_span_eq(c->value, tc->want[k].value))
			fail_msg("%s: %s is '%.*s', want '%s'", tc->what, tc->want[k].name,
			    (int)c->value.len, (const char *)c->value.p, tc->want[k].value);
		if (c->in_range != tc->want[k].in_range)
			fail_msg("%s: %s in_range %d, want %d", tc->what, tc->want[k].name,
			    c->in_range, tc->want[k].in_range);
	}
	atp_shape_free(s);
}

static void
run_cases(const struct mcase *tc, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		check_case(&tc[i]);
}

static void
every_type_matches_its_own_structure(void **state)
{
	static const struct mcase rows[] = {
		{ "a bare String runs to the end", "+OK=<s:String>", "+OK=hello, world", 0, 1, 0, 1,
		  { { "s", "hello, world", 1 } } },
		{ "an empty bare String is a shape", "+OK=<s:String>", "+OK=", 0, 1, 0, 1,
		  { { "s", "", 1 } } },
		{ "a quoted String keeps its escapes", "<s:String>,<n:Dec>", "\"a\\\"b\\,c\",5", 0, 1, 0, 2,
		  { { "s", "a\\\"b\\,c", 1 }, { "n", "5", 1 } } },
		{ "a quoted String holds commas", "<a:String>,<b:String>", "\"x,y\",z", 0, 1, 0, 2,
		  { { "a", "x,y", 1 }, { "b", "z", 1 } } },
		{ "a bare String gives back text for the rest", "<a:String>,<b:Dec>", "x,y,7", 0, 1, 0, 2,
		  { { "a", "x,y", 1 }, { "b", "7", 1 } } },
		{ "a bare String never ends inside an escape", "<a:String>,<b:Dec>", "x\\,5", 0, 0, 0, -1,
		  { { NULL, NULL, 0 } } },
		{ "an escaped comma stays in a bare String", "<a:String>,<b:String>", "x\\,y,z", 0, 1, 0, 2,
		  { { "a", "x\\,y", 1 }, { "b", "z", 1 } } },
		{ "a bare String may end in a backslash", "+OK=<s:String>", "+OK=ab\\", 0, 1, 0, 1,
		  { { "s", "ab\\", 1 } } },
		{ "an unterminated quote is no String", "+OK=<s:String>", "+OK=\"abc", 0, 0, 0, -1,
		  { { NULL, NULL, 0 } } },
		{ "a quoted String must end where the field ends", "<s:String>", "\"ab\"c", 0, 0, 0, -1,
		  { { NULL, NULL, 0 } } },
		{ "a QString must be quoted", "<s:QString>", "abc", 0, 0, 0, -1, { { NULL, NULL, 0 } } },
		{ "a QString drops its quotes", "<s:QString>", "\"abc\"", 0, 1, 0, 1,
		  { { "s", "abc", 1 } } },
		{ "an empty QString", "<s:QString 0..32>", "\"\"", 0, 1, 0, 1, { { "s", "", 1 } } },
		{ "Text keeps quotes as bytes", "<t:Text>", "\"quoted\"", 0, 1, 0, 1,
		  { { "t", "\"quoted\"", 1 } } },
		{ "Dec takes digits", "<n:Dec 1..14>", "11", 0, 1, 0, 1, { { "n", "11", 1 } } },
		{ "Dec takes no sign", "<n:Dec>", "-1", 0, 0, 0, -1, { { NULL, NULL, 0 } } },
		{ "Dec at the int64 ceiling", "<n:Dec>", "9223372036854775807", 0, 1, 0, 1,
		  { { "n", "9223372036854775807", 1 } } },
		{ "Dec above int64 is no number", "<n:Dec>", "99999999999999999999", 0, 0, 0, -1,
		  { { NULL, NULL, 0 } } },
		{ "SDec takes a minus", "<r:SDec -64..-1>", "-40", 0, 1, 0, 1, { { "r", "-40", 1 } } },
		{ "SDec without digits is no number", "<r:SDec>", "-", 0, 0, 0, -1, { { NULL, NULL, 0 } } },
		{ "Hex in either case", "<m:Hex 1..3fff>", "3FfF", 0, 1, 0, 1, { { "m", "3FfF", 1 } } },
		{ "Hex of 17 digits is too long", "<m:Hex>", "11111111111111111", 0, 0, 0, -1,
		  { { NULL, NULL, 0 } } },
		{ "IP is a dotted quad", "<ip:IP>", "192.168.1.2", 0, 1, 0, 1, { { "ip", "192.168.1.2", 1 } } },
		{ "IP with three octets", "<ip:IP>", "1.2.3", 0, 0, 0, -1, { { NULL, NULL, 0 } } },
		{ "IP with a four-digit octet", "<ip:IP>", "1.2.3.4444", 0, 0, 0, -1, { { NULL, NULL, 0 } } },
		{ "IP is never quoted", "<ip:IP>", "\"1.2.3.4\"", 0, 0, 0, -1, { { NULL, NULL, 0 } } },
		{ "QIP is a quoted dotted quad", "<ip:QIP>", "\"1.2.3.4\"", 0, 1, 0, 1, { { "ip", "1.2.3.4", 1 } } },
		{ "QIP must be quoted", "<ip:QIP>", "1.2.3.4", 0, 0, 0, -1, { { NULL, NULL, 0 } } },
		{ "MAC is 12 hex digits", "<m:MAC>", "001EE3A80102", 0, 1, 0, 1, { { "m", "001EE3A80102", 1 } } },
		{ "MAC of 11 digits", "<m:MAC>", "001EE3A8010", 0, 0, 0, -1, { { NULL, NULL, 0 } } },
		{ "MAC has no separators", "<m:MAC>", "00-1E-E3-A8-01-02", 0, 0, 0, -1, { { NULL, NULL, 0 } } },
		{ "DMAC joins pairs with dashes", "<m:DMAC>", "94-fe-22-9A-B5-28", 0, 1, 0, 1,
		  { { "m", "94-fe-22-9A-B5-28", 1 } } },
		{ "DMAC is not a MAC", "<m:DMAC>", "94FE229AB528", 0, 0, 0, -1, { { NULL, NULL, 0 } } },
		{ "a quoted Host", "<h:Host>", "\"www.baidu.com\"", 0, 1, 0, 1,
		  { { "h", "www.baidu.com", 1 } } },
		{ "a bare Host", "<h:Host>,<p:Dec>", "36.7.87.106,80", 0, 1, 0, 2,
		  { { "h", "36.7.87.106", 1 }, { "p", "80", 1 } } },
		{ "a Host has no spaces", "<h:Host>", "a b", 0, 0, 0, -1, { { NULL, NULL, 0 } } },
		{ "a numeric Enum", "<t:Enum 0=TCP|1=UDP>", "1", 0, 1, 0, 1, { { "t", "1", 1 } } },
		{ "a numeric Enum compares numbers", "<t:Enum 0|1>", "01", 0, 1, 0, 1, { { "t", "01", 1 } } },
		{ "a numeric Enum is Dec-shaped", "<t:Enum 0|1>", "x", 0, 0, 0, -1, { { NULL, NULL, 0 } } },
		{ "a word Enum ignores case", "<v:Enum get_pin|set_pin>", "SET_PIN", 0, 1, 0, 1,
		  { { "v", "SET_PIN", 1 } } },
		{ "a word Enum is word-shaped", "<v:Enum get_pin|set_pin>", "-", 0, 0, 0, -1,
		  { { NULL, NULL, 0 } } },
		{ "escaped pattern characters are literals", "\\[<a:Dec>\\]\\<\\>\\{\\}", "[5]<>{}", 0, 1, 0, 1,
		  { { "a", "5", 1 } } },
		{ "literals are case-sensitive", "+OK", "+ok", 0, 0, 0, -1, { { NULL, NULL, 0 } } },
		{ "the whole text must be consumed", "+OK=<n:Dec>", "+OK=12 ", 0, 0, 0, -1,
		  { { NULL, NULL, 0 } } },
		{ "an empty pattern matches only empty text", "", "", 0, 1, 0, 0, { { NULL, NULL, 0 } } },
	};
	(void)state;
	run_cases(rows, NROWS(rows));
}

static void
out_of_range_values_still_match_the_shape(void **state)
{
	static const struct mcase rows[] = {
		{ "a Dec above its maximum", "<n:Dec 1..14>", "15", 0, 1, 1, 1, { { "n", "15", 0 } } },
		{ "a Dec below its minimum", "<n:Dec 1..14>", "0", 0, 1, 1, 1, { { "n", "0", 0 } } },
		{ "a Dec without maximum", "<n:Dec 1..>", "18446744", 0, 1, 0, 1, { { "n", "18446744", 1 } } },
		{ "an SDec below its minimum", "<r:SDec -64..-1>", "-65", 0, 1, 1, 1, { { "r", "-65", 0 } } },
		{ "an SDec above a negative maximum", "<r:SDec -64..-1>", "5", 0, 1, 1, 1, { { "r", "5", 0 } } },
		{ "a Hex above its maximum", "<m:Hex 1..3fff>", "4000", 0, 1, 1, 1, { { "m", "4000", 0 } } },
		{ "a Hex of zero below 1", "<m:Hex 1..3fff>", "0", 0, 1, 1, 1, { { "m", "0", 0 } } },
		{ "an IP octet above 255", "<ip:IP>", "256.1.1.1", 0, 1, 1, 1, { { "ip", "256.1.1.1", 0 } } },
		{ "a QIP octet above 255", "<ip:QIP>", "\"1.2.3.999\"", 0, 1, 1, 1, { { "ip", "1.2.3.999", 0 } } },
		{ "an empty String below 1", "+OK=<s:String 1..32>", "+OK=", 0, 1, 1, 1, { { "s", "", 0 } } },
		{ "a String length counts escapes once", "<s:QString 0..3>", "\"a\\\"c\"", 0, 1, 0, 1,
		  { { "s", "a\\\"c", 1 } } },
		{ "a QString too long once unescaped", "<s:QString 0..3>", "\"ab\\\"c\"", 0, 1, 1, 1,
		  { { "s", "ab\\\"c", 0 } } },
		{ "a Text too long", "<t:Text 0..3>", "abcd", 0, 1, 1, 1, { { "t", "abcd", 0 } } },
		{ "a Host too long", "<h:Host 1..5>", "abcdefg", 0, 1, 1, 1, { { "h", "abcdefg", 0 } } },
		{ "an empty quoted Host below 1", "<h:Host 1..5>", "\"\"", 0, 1, 1, 1, { { "h", "", 0 } } },
		{ "a number not in the Enum", "<t:Enum 0=TCP|1=UDP>", "2", 0, 1, 1, 1, { { "t", "2", 0 } } },
		{ "a word not in the Enum", "<v:Enum get_pin|set_pin>", "get_pout", 0, 1, 1, 1,
		  { { "v", "get_pout", 0 } } },
		{ "two bad fields are counted", "<a:Dec 0..1>,<b:Dec 0..1>,<c:Dec 0..1>", "2,1,3", 0, 1, 2, 3,
		  { { "a", "2", 0 }, { "b", "1", 1 }, { "c", "3", 0 } } },
	};
	(void)state;
	run_cases(rows, NROWS(rows));
}

static void
groups_are_optional_or_repeated(void **state)
{
	static const struct mcase rows[] = {
		{ "an optional group taken", "+OK[=<n:Dec>]", "+OK=5", 0, 1, 0, 1, { { "n", "5", 1 } } },
		{ "an optional group left out", "+OK[=<n:Dec>]", "+OK", 0, 1, 0, 0, { { NULL, NULL, 0 } } },
		{ "half an optional group", "+OK[=<n:Dec>,<m:Dec>]", "+OK=5", 0, 0, 0, -1,
		  { { NULL, NULL, 0 } } },
		{ "a repeat group zero times", "<n:Dec>{,<x:Dec>}", "3", 0, 1, 0, 1, { { "n", "3", 1 } } },
		{ "nested groups", "{<a:Dec>[;<b:Dec>],}", "1;2,3,4;5,", 0, 1, 0, 5,
		  { { "a", "1", 1 }, { "b", "2", 1 } } },
		{ "a repeat of an optional body stops on empty text", "{[<a:Dec>]}x", "12x", 0, 1, 0, 1,
		  { { "a", "12", 1 } } },
		{ "a repeat of an optional body, no text", "{[<a:Dec>]}x", "x", 0, 1, 0, 0,
		  { { NULL, NULL, 0 } } },
		{ "a repeat of an optional body, wrong text", "{[<a:Dec>]}x", "y", 0, 0, 0, -1,
		  { { NULL, NULL, 0 } } },
		{ "an empty repeat group", "a{}b", "ab", 0, 1, 0, 0, { { NULL, NULL, 0 } } },
		{ "a repeat of Text ends", "{<t:Text>}", "abc", 0, 1, 0, -1, { { "t", "abc", 1 } } },
		{ "a bare String in a repeat is greedy", "<n:Dec>{,<s:String>}", "2,a,b", 0, 1, 0, 2,
		  { { "n", "2", 1 }, { "s", "a,b", 1 } } },
	};
	(void)state;
	run_cases(rows, NROWS(rows));
}

/* Response lines of the manual (Air602 AT V1.1) and of the firmware notes. */
static void
real_response_lines_match_their_shapes(void **state)
{
	static const struct mcase rows[] = {
		{ "WJOIN (§2.2.2.23)",
		  "+OK=<bssid:MAC>,<type:Enum 0|1|2|3>,<channel:Dec 1..14>,<encry:Enum 0|1>,"
		  "<ssid:QString 0..32>,<rssi:Dec 0..255>",
		  "+OK=3c46d82bd81e,0,11,0,\"TP-LINK_HyFi_1E\",53", 0, 1, 0, 6,
		  { { "bssid", "3c46d82bd81e", 1 }, { "channel", "11", 1 }, { "ssid", "TP-LINK_HyFi_1E", 1 },
		    { "rssi", "53", 1 } } },
		{ "WJOIN with spaces in the SSID",
		  "+OK=<bssid:MAC>,<type:Enum 0|1|2|3>,<channel:Dec 1..14>,<encry:Enum 0|1>,"
		  "<ssid:QString 0..32>,<rssi:Dec 0..255>",
		  "+OK=3c46d82bd81e,0,11,0,\"TP-LINK_ Luat_AP \",51", 0, 1, 0, 6,
		  { { "ssid", "TP-LINK_ Luat_AP ", 1 } } },
		{ "LKSTT connected (§2.2.2.25)",
		  "+OK=<status:Enum 0|1>[,<ip:QIP>,<netmask:QIP>,<gateway:QIP>,<dns1:QIP>,<dns2:QIP>]",
		  "+OK=1,\"192.168.1.109\",\"255.255.255.0\",\"192.168.1.1\",\"192.168.1.1\",\"0.0.0.0\"",
		  0, 1, 0, 6,
		  { { "status", "1", 1 }, { "ip", "192.168.1.109", 1 }, { "dns2", "0.0.0.0", 1 } } },
		{ "LKSTT disconnected",
		  "+OK=<status:Enum 0|1>[,<ip:QIP>,<netmask:QIP>,<gateway:QIP>,<dns1:QIP>,<dns2:QIP>]",
		  "+OK=0", 0, 1, 0, 1, { { "status", "0", 1 } } },
		{ "NIP query, unquoted addresses",
		  "+OK=<type:Enum 0|1>,<ip:IP>,<netmask:IP>,<gateway:IP>,<dns:IP>",
		  "+OK=0,192.168.1.1,255.255.255.0,192.168.1.1,192.168.1.1", 0, 1, 0, 5,
		  { { "netmask", "255.255.255.0", 1 } } },
		{ "SKSTT (§2.2.3.3)",
		  "+OK=<socket:Dec 1..20>,<status:Enum 0|1|2>,<host:QIP>,<host_port:Dec 0..65535>,"
		  "<local_port:Dec 0..65535>,<rx_data:Dec 0..>",
		  "+OK=1,2,\"36.7.87.100\",6100,59749,0", 0, 1, 0, 6,
		  { { "host", "36.7.87.100", 1 }, { "local_port", "59749", 1 } } },
		{ "SKGHBN, quoted", "+OK=<ip:QIP>", "+OK=\"115.239.211.112\"", 0, 1, 0, 1,
		  { { "ip", "115.239.211.112", 1 } } },
		{ "QMAC, lowercase", "+OK=<mac:MAC>", "+OK=286dcd004e7d", 0, 1, 0, 1,
		  { { "mac", "286dcd004e7d", 1 } } },
		{ "SKSND", "+OK=<actualsize:Dec 0..65535>", "+OK=500", 0, 1, 0, 1,
		  { { "actualsize", "500", 1 } } },
		{ "CHLL", "+OK=<channel_list:Hex 1..3fff>", "+OK=3fff", 0, 1, 0, 1,
		  { { "channel_list", "3fff", 1 } } },
		{ "QVER, G3", "+OK=<hw:String>,<fw:Text>", "+OK=H1.00.00.0000,G3.04.00@ 10:55:46 Sep 28 2018",
		  0, 1, 0, 2, { { "hw", "H1.00.00.0000", 1 }, { "fw", "G3.04.00@ 10:55:46 Sep 28 2018", 1 } } },
		{ "WSCAN entry with an empty SSID",
		  "<bssid:MAC>,<type:Enum 0|1|2|3>,<ch:Dec 1..14>,<enc:Enum 0|1>,<ssid:QString 0..32>,"
		  "<rssi:Dec 0..255>",
		  "7C11CB04F7B5,2,6,0,\"\",74", 0, 1, 0, 6, { { "ssid", "", 1 }, { "ch", "6", 1 } } },
		{ "SLIST of two stations",
		  "+OK=<n:Dec 0..8>{,<mac:DMAC>,<ip:IP>}",
		  "+OK=2,94-FE-22-9A-B5-28,192.168.1.2,94-FE-22-9A-B5-29,192.168.1.3", 0, 1, 0, 5,
		  { { "n", "2", 1 }, { "mac", "94-FE-22-9A-B5-28", 1 }, { "ip", "192.168.1.2", 1 } } },
		{ "SLIST empty", "+OK=<n:Dec 0..8>{,<mac:DMAC>,<ip:IP>}", "+OK=0", 0, 1, 0, 1,
		  { { "n", "0", 1 } } },
		{ "SLIST of LUAT, double comma (w600-firmware.md §4)",
		  "+OK=<n:Dec 0..8>{,<mac:DMAC>,<ip:IP>}", "+OK=1,,94-FE-22-9A-B5-28,192.168.1.2", 0, 0, 0, -1,
		  { { NULL, NULL, 0 } } },
		{ "SSID query, unquoted with a comma", "+OK=<ssid:String 0..32>", "+OK=my,ap", 0, 1, 0, 1,
		  { { "ssid", "my,ap", 1 } } },
		{ "+HTTPCERRRPT", "+HTTPCERRRPT=<session:Dec 0..>,<code:SDec -1000..1000>",
		  "+HTTPCERRRPT=123456789,-1", 0, 1, 0, 2, { { "code", "-1", 1 } } },
	};
	(void)state;
	run_cases(rows, NROWS(rows));
}

static void
captures_carry_numbers_quotes_and_repetitions(void **state)
{
	struct atp_shape *s = compile_ok("SLIST", "+OK=<n:Dec 0..8>{,<mac:DMAC>,<ip:IP>}");
	const char *t = "+OK=2,94-FE-22-9A-B5-28,192.168.1.2,94-FE-22-9A-B5-29,256.168.1.3";
	struct atp_match m;
	(void)state;

	assert_int_equal(atp_shape_match(s, atp_span_str(t), &m), ATP_OK);
	assert_int_equal(m.matched, 1);
	assert_int_equal(m.ncap, 5);
	assert_int_equal(m.nbad, 1);
	assert_int_equal(m.cap[0].rep, 0);
	assert_int_equal(m.cap[0].has_num, 1);
	assert_true(m.cap[0].num == 2);
	assert_string_equal(m.cap[1].field->name, "mac");
	assert_int_equal(m.cap[1].rep, 0);
	assert_int_equal(m.cap[3].rep, 1);
	assert_int_equal(m.cap[4].rep, 1);
	assert_int_equal(m.cap[4].in_range, 0);
	assert_true(atp_span_eq(m.cap[3].value, "94-FE-22-9A-B5-29"));
	assert_int_equal(m.cap[1].has_num, 0);
	atp_shape_free(s);

	s = compile_ok("quoted", "<s:String>,<q:QIP>,<r:SDec>,<h:Hex>,<e:Enum 0|7>");
	t = "\"a,b\",\"1.2.3.4\",-9223372036854775808,7fffffffffffffff,07";
	assert_int_equal(atp_shape_match(s, atp_span_str(t), &m), ATP_OK);
	assert_int_equal(m.matched, 1);
	assert_int_equal(m.cap[0].quoted, 1);
	assert_true(atp_span_eq(m.cap[0].raw, "\"a,b\""));
	assert_true(atp_span_eq(m.cap[0].value, "a,b"));
	assert_int_equal(m.cap[1].quoted, 1);
	assert_true(atp_span_eq(m.cap[1].raw, "\"1.2.3.4\""));
	assert_true(m.cap[2].num == INT64_MIN);
	assert_int_equal(m.cap[2].quoted, 0);
	assert_true(m.cap[3].num == INT64_MAX);
	assert_int_equal(m.cap[4].has_num, 1);
	assert_true(m.cap[4].num == 7);
	assert_int_equal(m.cap[4].in_range, 1);
	atp_shape_free(s);

	/* Nested repeats: the innermost group's count. */
	s = compile_ok("nested", "{<a:Dec>:{<b:Dec>,};}");
	assert_int_equal(atp_shape_match(s, atp_span_str("1:5,6,;2:;3:7,;"), &m), ATP_OK);
	assert_int_equal(m.matched, 1);
	assert_int_equal(m.ncap, 6);
	assert_int_equal(m.cap[0].rep, 0);      /* a=1 */
	assert_int_equal(m.cap[1].rep, 0);      /* b=5 */
	assert_int_equal(m.cap[2].rep, 1);      /* b=6 */
	assert_int_equal(m.cap[3].rep, 1);      /* a=2 */
	assert_int_equal(m.cap[4].rep, 2);      /* a=3 */
	assert_int_equal(m.cap[5].rep, 0);      /* b=7 */
	atp_shape_free(s);
}

static void
a_failed_match_says_how_far_it_got(void **state)
{
	static const struct { const char *pattern, *text; size_t fail_at; } rows[] = {
		{ "+OK=<n:Dec 1..14>", "+OK=x", 4 },
		{ "+OK=", "+OK:", 3 },
		{ "+OK=<n:Dec>", "+OK=12 ", 6 },
		{ "+OK=<n:Dec 0..8>{,<mac:DMAC>,<ip:IP>}", "+OK=1,,94-FE-22-9A-B5-28,192.168.1.2", 6 },
		{ "+OK=<bssid:MAC>,<type:Enum 0|1|2|3>,<channel:Dec 1..14>,<encry:Enum 0|1>,"
		  "<ssid:QString 0..32>,<rssi:Dec 0..255>", "+OK=3c46d82bd81e,0,11,0,TP-LINK,53", 24 },
		{ "+OK", "", 0 },
		{ "", "x", 0 },
	};
	size_t i;
	(void)state;

	for (i = 0; i < NROWS(rows); i++) {
		struct atp_shape *s = compile_ok(rows[i].pattern, rows[i].pattern);
		struct atp_match m;
		assert_int_equal(atp_shape_match(s, atp_span_str(rows[i].text), &m), ATP_OK);
		assert_int_equal(m.matched, 0);
		assert_int_equal(m.too_complex, 0);
		assert_int_equal(m.ncap, 0);
		if (m.fail_at != rows[i].fail_at)
			fail_msg("'%s' vs '%s': fail_at %zu, want %zu", rows[i].pattern, rows[i].text,
			    m.fail_at, rows[i].fail_at);
		assert_null(atp_match_get(&m, "n"));
		atp_shape_free(s);
	}
}

static void
pattern_errors_name_their_column(void **state)
{
	static const struct { const char *pattern; int rc; unsigned long col; const char *msg; } rows[] = {
		{ "<n:Foo>", ATP_ERR_SYNTAX, 4, "unknown type" },
		{ "+OK=<n:Dec", ATP_ERR_SYNTAX, 5, "unclosed '<'" },
		{ "[abc", ATP_ERR_SYNTAX, 1, "unclosed '['" },
		{ "x{a", ATP_ERR_SYNTAX, 2, "unclosed '{'" },
		{ "<n:Dec 5..3>", ATP_ERR_SYNTAX, 8, "bad range" },
		{ "<n:Enum >", ATP_ERR_SYNTAX, 9, "empty enum" },
		{ "<n:Enum>", ATP_ERR_SYNTAX, 8, "empty enum" },
		{ "<n:Enum 0||1>", ATP_ERR_SYNTAX, 11, "empty enum" },
		{ "<:Dec>", ATP_ERR_SYNTAX, 2, "field name missing" },
		{ "<n-x:Dec>", ATP_ERR_SYNTAX, 3, "expected ':'" },
		{ "<n:>", ATP_ERR_SYNTAX, 4, "field type missing" },
		{ "<n:Dec 1-5>", ATP_ERR_SYNTAX, 9, "expected N..M" },
		{ "<ip:IP 1..2>", ATP_ERR_SYNTAX, 8, "takes no constraint" },
		{ "abc]", ATP_ERR_SYNTAX, 4, "no group is open" },
		{ "[a}", ATP_ERR_SYNTAX, 3, "column 1 is not closed" },
		{ "abc\\", ATP_ERR_SYNTAX, 4, "dangling" },
		{ "<n:Dec 1..2 x>", ATP_ERR_SYNTAX, 13, "expected '>'" },
		{ "<n:Dec 99999999999999999999..>", ATP_ERR_SYNTAX, 8, "out of range" },
		{ "<n:SDec -..3>", ATP_ERR_SYNTAX, 9, "'-' without digits" },
		{ "<n:Enum 1|01>", ATP_ERR_SYNTAX, 13, "duplicate" },
		{ "<n:Enum a|A>", ATP_ERR_SYNTAX, 12, "duplicate" },
		{ "<n:Enum a.b>", ATP_ERR_SYNTAX, 10, "expected '|' or '>'" },
		{ "<n:Dec;>", ATP_ERR_SYNTAX, 7, "expected ' ' or '>'" },
		{ "<n:dec>", ATP_ERR_SYNTAX, 4, "unknown type 'dec'" },
		{ "[[[[[[[[[x]]]]]]]]]", ATP_ERR_LIMIT, 9, "nested too deep" },
	};
	size_t i;
	(void)state;

	for (i = 0; i < NROWS(rows); i++) {
		struct atp_shape *s = (struct atp_shape *)&s;
		struct atp_diag d;
		int rc;
		atp_diag_clear(&d);
		rc = atp_shape_compile(rows[i].pattern, &s, &d);
		if (rc != rows[i].rc || d.code != rows[i].rc)
			fail_msg("'%s': rc %d (diag %d), want %d", rows[i].pattern, rc, d.code, rows[i].rc);
		assert_null(s);
		if (d.col != rows[i].col || d.line != 1)
			fail_msg("'%s': line %lu col %lu, want 1:%lu (%s)", rows[i].pattern, d.line, d.col,
			    rows[i].col, d.msg);
		if (strstr(d.msg, rows[i].msg) == NULL)
			fail_msg("'%s': message '%s' lacks '%s'", rows[i].pattern, d.msg, rows[i].msg);
	}
}

static void
patterns_at_the_limits_compile_or_refuse(void **state)
{
	char *big = malloc(ATP_SHAPE_PATTERN_MAX + 2);
	struct atp_shape *s;
	struct atp_diag d;
	(void)state;

	assert_non_null(big);
	memset(big, 'a', ATP_SHAPE_PATTERN_MAX + 1);
	big[ATP_SHAPE_PATTERN_MAX + 1] = '\0';
	assert_int_equal(atp_shape_compile(big, &s, &d), ATP_ERR_LIMIT);
	assert_null(s);
	big[ATP_SHAPE_PATTERN_MAX] = '\0';
	assert_int_equal(atp_shape_compile(big, &s, NULL), ATP_OK);
	atp_shape_free(s);
	free(big);

	/* Eight levels are allowed, nine are not (see the error table). */
	assert_int_equal(atp_shape_compile("[[[[{{{{<a:Dec>}}}}]]]]", &s, NULL), ATP_OK);
	atp_shape_free(s);

	assert_int_equal(atp_shape_compile(NULL, &s, NULL), ATP_ERR_ARG);
	assert_null(s);
	assert_int_equal(atp_shape_compile("x", NULL, NULL), ATP_ERR_ARG);
}

static void
compiled_fields_can_be_listed(void **state)
{
	static const char pat[] = "+OK=<status:Enum 0=disconnected|1=connected>"
	    "[,<ip:QIP>,<netmask:QIP>,<gateway:QIP>]{,<n:Dec 1..>}<r:SDec -64..-1>"
	    "<h:Hex ..3fff><s:String 1..32><w:Enum a=first \\| or \\> label|b>";
	struct atp_shape *s = compile_ok("listing", pat);
	const struct atp_field *f;
	(void)state;

	assert_string_equal(atp_shape_pattern(s), pat);
	assert_int_equal(atp_shape_nfields(s), 9);
	assert_int_equal(atp_shape_find(s, "gateway"), 3);
	assert_int_equal(atp_shape_find(s, "nope"), -1);
	assert_null(atp_shape_field(s, 9));

	f = atp_shape_field(s, 0);
	assert_string_equal(f->name, "status");
	assert_int_equal(f->type, ATP_T_ENUM);
	assert_int_equal(f->nvalues, 2);
	assert_string_equal(f->values[1], "1");
	assert_string_equal(f->labels[0], "disconnected");
	assert_int_equal(f->optional, 0);

	f = atp_shape_field(s, 1);
	assert_int_equal(f->type, ATP_T_QIP);
	assert_int_equal(f->optional, 1);
	assert_int_equal(f->repeated, 0);
	assert_int_equal(f->has_min, 0);

	f = atp_shape_field(s, 4);
	assert_int_equal(f->optional, 1);
	assert_int_equal(f->repeated, 1);
	assert_int_equal(f->has_min, 1);
	assert_true(f->min == 1);
	assert_int_equal(f->has_max, 0);

	f = atp_shape_field(s, 5);
	assert_true(f->min == -64 && f->max == -1);

	f = atp_shape_field(s, 6);
	assert_int_equal(f->has_min, 1);
	assert_true(f->min == 0 && f->max == 0x3fff);

	f = atp_shape_field(s, 7);
	assert_true(f->min == 1 && f->max == 32);

	f = atp_shape_field(s, 8);
	assert_int_equal(f->nvalues, 2);
	assert_string_equal(f->labels[0], "first | or > label");
	assert_string_equal(f->labels[1], "");
	atp_shape_free(s);
}

static void
type_names_read_as_in_patterns(void **state)
{
	static const char *const names[] = {
		"String", "QString", "Text", "Dec", "SDec", "Hex", "IP", "QIP", "MAC", "DMAC", "Host", "Enum",
	};
	size_t i;
	(void)state;

	for (i = 0; i < NROWS(names); i++) {
		char pat[64];
		struct atp_shape *s;
		assert_string_equal(atp_type_name((enum atp_type)i), names[i]);
		snprintf(pat, sizeof(pat), "<x:%s%s>", names[i], i == ATP_T_ENUM ? " 1" : "");
		s = compile_ok(names[i], pat);
		assert_int_equal(atp_shape_field(s, 0)->type, (enum atp_type)i);
		atp_shape_free(s);
	}
	assert_string_equal(atp_type_name((enum atp_type)99), "?");
}

static void
unescape_removes_firmware_backslashes(void **state)
{
	static const struct { const char *in; const char *out; long rc; size_t size; } rows[] = {
		{ "a\\\"b\\\\c\\,d", "a\"b\\c,d", 7, 64 },
		{ "ab\\", "ab\\", 3, 64 },
		{ "", "", 0, 1 },
		{ "abc", "abc", 3, 4 },
		{ "abcd", "", ATP_ERR_LIMIT, 4 },
		{ "a\\bc", "abc", 3, 4 },
	};
	char buf[64];
	size_t i;
	(void)state;

	for (i = 0; i < NROWS(rows); i++) {
		long rc = atp_unescape(atp_span_str(rows[i].in), buf, rows[i].size);
		if (rc != rows[i].rc)
			fail_msg("'%s': rc %ld, want %ld", rows[i].in, rc, rows[i].rc);
		if (rc >= 0)
			assert_string_equal(buf, rows[i].out);
	}
	assert_int_equal(atp_unescape(atp_span_str("x"), NULL, 4), ATP_ERR_ARG);
	assert_int_equal(atp_unescape(atp_span_str("x"), buf, 0), ATP_ERR_LIMIT);
}

static void
hostile_bytes_are_matched_safely(void **state)
{
	static const char *const pats[] = {
		"+OK=<s:String>", "<t:Text>", "<n:Dec>", "<h:Host>,<p:Dec>", "<m:DMAC>{,<i:IP>}",
		"[<a:QString>]<b:Text 0..3>", "<e:Enum a|b>", "{<s:String>,}",
	};
	uint8_t all[256];
	struct atp_match m;
	struct atp_shape *s;
	size_t i;
	(void)state;

	s = compile_ok("NUL", "<t:Text>");
	assert_int_equal(atp_shape_match(s, atp_span_make("a\0b", 3), &m), ATP_OK);
	assert_int_equal(m.matched, 1);
	assert_int_equal(m.cap[0].value.len, 3);
	atp_shape_free(s);

	s = compile_ok("NUL", "+OK=<s:String>,<n:Dec>");
	assert_int_equal(atp_shape_match(s, atp_span_make("+OK=\0\xff,\"1", 9), &m), ATP_OK);
	assert_int_equal(m.matched, 0);
	assert_int_equal(atp_shape_match(s, atp_span_make("+OK=\0\xff,1", 8), &m), ATP_OK);
	assert_int_equal(m.matched, 1);
	assert_int_equal(m.cap[0].value.len, 2);
	atp_shape_free(s);

	s = compile_ok("NUL", "<n:Dec>");
	assert_int_equal(atp_shape_match(s, atp_span_make("1\0", 2), &m), ATP_OK);
	assert_int_equal(m.matched, 0);
	assert_int_equal(m.fail_at, 1);
	assert_int_equal(atp_shape_match(s, atp_span_make(NULL, 0), &m), ATP_OK);
	assert_int_equal(m.matched, 0);
	assert_int_equal(atp_shape_match(NULL, atp_span_make(NULL, 0), &m), ATP_ERR_ARG);
	assert_int_equal(atp_shape_match(s, atp_span_make(NULL, 0), NULL), ATP_ERR_ARG);
	atp_shape_free(s);

	for (i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	for (i = 0; i < NROWS(pats); i++) {
		size_t off;
		s = compile_ok(pats[i], pats[i]);
		for (off = 0; off < 256; off += 17) {
			assert_int_equal(atp_shape_match(s, atp_span_make(all + off, 256 - off), &m), ATP_OK);
			assert_true(m.fail_at <= 256 - off);
		}
		atp_shape_free(s);
	}
}

static double
seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
long_and_pathological_texts_end_within_the_budget(void **state)
{
	const size_t big = 64 * 1024;
	uint8_t *t = malloc(big + 8);
	struct atp_match m;
	struct atp_shape *s;
	double t0;
	size_t i;
	(void)state;

	assert_non_null(t);
	/* 64 KiB in one quoted string: matches, too long for its constraint. */
	t[0] = '+'; t[1] = 'O'; t[2] = 'K'; t[3] = '='; t[4] = '"';
	memset(t + 5, 'a', big);
	t[5 + big] = '"';
	s = compile_ok("big", "+OK=<s:QString 0..32>");
	assert_int_equal(atp_shape_match(s, atp_span_make(t, big + 6), &m), ATP_OK);
	assert_int_equal(m.matched, 1);
	assert_int_equal(m.nbad, 1);
	assert_int_equal(m.cap[0].value.len, big);
	atp_shape_free(s);

	/* Many bare Strings against a long comma-free text. */
	memset(t, 'x', big);
	s = compile_ok("no commas", "<a:String>,<b:String>,<c:String>,<d:String>,<e:String>!");
	t0 = seconds();
	assert_int_equal(atp_shape_match(s, atp_span_make(t, big), &m), ATP_OK);
	assert_int_equal(m.matched, 0);
	/* Only commas: exponentially many splits, none ending in '!'. */
	memset(t, ',', 2000);
	assert_int_equal(atp_shape_match(s, atp_span_make(t, 2000), &m), ATP_OK);
	assert_int_equal(m.matched, 0);
	assert_int_equal(m.too_complex, 1);
	assert_int_equal(m.ncap, 0);
	assert_true(seconds() - t0 < 2.0);
	atp_shape_free(s);

	/* Runs of backslashes make every candidate end expensive to check. */
	memset(t, '\\', big);
	s = compile_ok("backslashes", "{<a:String>\\\\}<b:Dec>");
	t0 = seconds();
	assert_int_equal(atp_shape_match(s, atp_span_make(t, big), &m), ATP_OK);
	assert_int_equal(m.matched, 0);
	assert_true(seconds() - t0 < 2.0);
	atp_shape_free(s);

	/* A long list: more captures than ATP_MATCH_CAP_MAX, more choice
	 * points than the matcher keeps on its own stack. */
	for (i = 0; i + 2 <= 10000; i += 2) {
		t[i] = (uint8_t)('0' + i % 10);
		t[i + 1] = ',';
	}
	s = compile_ok("list", "{<x:Dec>,}");
	assert_int_equal(atp_shape_match(s, atp_span_make(t, 10000), &m), ATP_OK);
	assert_int_equal(m.matched, 1);
	assert_int_equal(m.truncated, 1);
	assert_int_equal(m.ncap, ATP_MATCH_CAP_MAX);
	assert_int_equal(m.cap[63].rep, 63);
	assert_int_equal(m.nbad, 0);

	/* With the allocator failing, the long list gets no verdict. */
	atp_alloc_fail_at(1);
	assert_int_equal(atp_shape_match(s, atp_span_make(t, 10000), &m), ATP_OK);
	atp_alloc_fail_at(0);
	assert_int_equal(m.matched, 0);
	assert_int_equal(m.too_complex, 1);
	/* A short text needs no allocation at all. */
	atp_alloc_fail_at(1);
	assert_int_equal(atp_shape_match(s, atp_span_make(t, 20), &m), ATP_OK);
	atp_alloc_fail_at(0);
	assert_int_equal(m.matched, 1);
	atp_shape_free(s);
	free(t);
}

static void
compile_survives_every_allocation_failure(void **state)
{
	const char *pat = "+OK=<status:Enum 0|1>[,<ip:QIP>]{,<n:Dec>}";
	unsigned long n;
	int done = 0;
	(void)state;

	for (n = 1; n < 50 && !done; n++) {
		struct atp_shape *s = (struct atp_shape *)&s;
		struct atp_diag d;
		int rc;
		atp_diag_clear(&d);
		atp_alloc_fail_at(n);
		rc = atp_shape_compile(pat, &s, &d);
		atp_alloc_fail_at(0);
		if (rc == ATP_OK) {
			assert_non_null(s);
			atp_shape_free(s);
			done = 1;
		} else {
			assert_int_equal(rc, ATP_ERR_NOMEM);
			assert_int_equal(d.code, ATP_ERR_NOMEM);
			assert_null(s);
		}
	}
	assert_true(done);
	assert_true(n > 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_type_matches_its_own_structure),
		cmocka_unit_test(out_of_range_values_still_match_the_shape),
		cmocka_unit_test(groups_are_optional_or_repeated),
		cmocka_unit_test(real_response_lines_match_their_shapes),
		cmocka_unit_test(captures_carry_numbers_quotes_and_repetitions),
		cmocka_unit_test(a_failed_match_says_how_far_it_got),
		cmocka_unit_test(pattern_errors_name_their_column),
		cmocka_unit_test(patterns_at_the_limits_compile_or_refuse),
		cmocka_unit_test(compiled_fields_can_be_listed),
		cmocka_unit_test(type_names_read_as_in_patterns),
		cmocka_unit_test(unescape_removes_firmware_backslashes),
		cmocka_unit_test(hostile_bytes_are_matched_safely),
		cmocka_unit_test(long_and_pathological_texts_end_within_the_budget),
		cmocka_unit_test(compile_survives_every_allocation_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
