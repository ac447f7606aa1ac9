/* SPDX-License-Identifier: MIT */
/* \summary: the analyzer's importers: detection, directions, records of every format */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyzer/ana.h"
#include "atproof/atproof.h"

/*
 * Each import case is an input text, its format (or auto), and the records
 * it must give, one string per record: "H|M|?[i] [t=US] [l=LINE] BYTES" with
 * the bytes escaped as atp_span_escape() writes them ("i": the direction
 * was inferred; t and l only when the case checks them). A record the
 * capture cut says so always, with the bytes cut: "c=N".
 */

struct icase {
	const char *name;
	enum ana_fmt fmt;
	const char *regex;
	const char *in;
	size_t inlen;
	const char *recs[12];
};

#define IN(s) .in = (s), .inlen = sizeof(s) - 1

static const struct icase icases[] = {
	{ "arrows add the manual's terminators and split two frames printed on one line",
	  ANA_FMT_ARROWS, NULL,
	  IN("\xe2\x86\x92\tAT+Z\n\xe2\x86\x90\t+OK  ready\nprose is skipped\n-> AT+QVER\n<- +OK=1\n"),
	  { "H l=1 AT+Z\\r", "M l=2 +OK\\r\\n\\r\\nready\\r\\n\\r\\n", "H l=4 AT+QVER\\r",
	    "M l=5 +OK=1\\r\\n\\r\\n" } },
	{ "arrows raw lines keep their escaped bytes exactly",
	  ANA_FMT_ARROWS, NULL,
	  IN("> AT+SKSND=1,3\n< +OK=3\n>raw a\\r\\x00\n<raw +OK=2\\r\\n\\r\\nhi\n"),
	  { "H AT+SKSND=1,3\\r", "M +OK=3\\r\\n\\r\\n", "H a\\r\\x00", "M +OK=2\\r\\n\\r\\nhi" } },
	{ "an indented line after a module line continues it as a list entry",
	  ANA_FMT_ARROWS, NULL,
	  IN("-> AT+WSCAN\n<- +OK=a\n   b\n-> AT+E\n"),
	  { "H AT+WSCAN\\r", "M +OK=a\\r\\nb\\r\\n\\r\\n", "H AT+E\\r" } },
	{ "sscom headers give time and direction, continuation lines join the burst",
	  ANA_FMT_SSCOM, NULL,
	  IN("[10:00:00.100]\xe5\x8f\x91\xe2\x86\x92\xe2\x97\x87" "AT+QVER\xe2\x96\xa1\r\n"
	     "[10:00:00.112]\xe6\x94\xb6\xe2\x86\x90\xe2\x97\x86+OK=1\r\n\r\n\r\n"),
	  { "H t=36000100000 l=1 AT+QVER\\r\\n", "M t=36000112000 l=2 +OK=1\\r\\n\\r\\n" } },
	{ "sscom logs in GBK read the same",
	  ANA_FMT_AUTO, NULL,
	  IN("[23:59:59.900]\xb7\xa2\xa1\xfa\xa1\xf3" "AT+QVER\xa1\xf5\r\n"
	     "[00:00:00.010]\xca\xd5\xa1\xfb\xa1\xf4+OK=1\r\n\r\n\r\n"),
	  { "H t=86399900000 AT+QVER\\r\\n", "M t=86400010000 +OK=1\\r\\n\\r\\n" } },
	{ "socat's nine-digit fraction is microseconds",
	  ANA_FMT_AUTO, NULL,
	  IN("> 2026/11/24 19:19:13.000014350  length=8 from=0 to=7\n"
	     " 41 54 2b 51 56 45 52 0d                          AT+QVER.\n--\n"
	     "< 2026/11/24 19:19:13.000064602  length=7 from=0 to=6\n"
	     " 2b 4f 4b 0d 0a 0d 0a                             +OK....\n--\n"),
	  { "H t=1795547953014350 l=1 AT+QVER\\r", "M t=1795547953064602 l=4 +OK\\r\\n\\r\\n" } },
	{ "socat with the module's end first is read the right way round",
	  ANA_FMT_AUTO, NULL,
	  IN("< 2026/11/24 19:19:13.000014350  length=8 from=0 to=7\n"
	     " 41 54 2b 51 56 45 52 0d                          AT+QVER.\n--\n"
	     "> 2026/11/24 19:19:13.000064602  length=7 from=0 to=6\n"
	     " 2b 4f 4b 0d 0a 0d 0a                             +OK....\n--\n"),
	  { "H AT+QVER\\r", "M +OK\\r\\n\\r\\n" } },
	{ "jpnevulator aliases name the direction and hex rows join",
	  ANA_FMT_AUTO, NULL,
	  IN("2026-11-24 19:19:23.800285: DTE2DCE\n41 54 2B 51 56 45 52 0D    \tAT+QVER.\n"
	     "2026-11-24 19:19:24.000498: DCE2DTE\n2B 4F 4B 3D 31 0D 0A 0D    \t+OK=1...\n"
	     "0A                         \t.\n"),
	  { "H t=1795547963800285 AT+QVER\\r", "M t=1795547964000498 +OK=1\\r\\n\\r\\n" } },
	{ "interceptty bytes of one direction make one record",
	  ANA_FMT_AUTO, NULL,
	  IN("< 0x41 (A)\n< 0x54 (T)\n< 0x2b (+)\n< 0x0d [CR]\n> \t0x2b (+)\n> \t0x4f (O)\n"
	     "> \t0x4b (K)\n"),
	  { "H AT+\\r", "M +OK" } },
	{ "saleae logic 2 rows are split by analyzer name",
	  ANA_FMT_AUTO, NULL,
	  IN("name,type,start_time,duration,data\n\"TX\",\"data\",0.0001,8e-05,0x41\n"
	     "\"TX\",\"data\",0.0002,8e-05,0x54\n\"RX\",\"data\",0.0100,8e-05,0x2B\n"),
	  { "H t=100 l=2 AT", "M t=10000 l=4 +" } },
	{ "saleae logic 1 values in ASCII radix, direction inferred per line",
	  ANA_FMT_SALEAE, NULL,
	  IN("Time [s],Value,Parity Error,Framing Error\n0.1,A,,\n0.1001,T,,\n0.1002,+,,\n"
	     "0.1003,\\r,,\n0.2,+,,\n0.2001,O,,\n0.2002,K,,\n"),
	  { "Hi t=100000 AT+\\r", "Mi t=200000 +OK" } },
	{ "sigrok text bytes are cut at line ends and inferred",
	  ANA_FMT_AUTO, NULL,
	  IN("uart-1: Start bit\nuart-1: 41\nuart-1: Stop bit\nuart-1: S\nuart-1: 54\nuart-1: T\n"
	     "uart-1: 2B\nuart-1: 0D\nuart-1: 2B\nuart-1: 4F\n"),
	  { "Hi AT+\\r", "Mi +O" } },
	{ "sigrok json packets keep [0D] escapes and the TX/RX rows",
	  ANA_FMT_AUTO, NULL,
	  IN("[\n{\"ph\":\"B\",\"ts\":109.0,\"pid\":\"uart-1\",\"tid\":\"TX packets\",\"name\":\"AT+QVER[0D]\"},\n"
	     "{\"ph\":\"E\",\"ts\":800.0,\"pid\":\"uart-1\",\"tid\":\"TX packets\"},\n"
	     "{\"ph\":\"B\",\"ts\":9000.0,\"pid\":\"uart-1\",\"tid\":\"RX packets\",\"name\":\"+OK[0D][0A][0D][0A]\"}\n]\n"),
	  { "H t=109 AT+QVER\\r", "M t=9000 +OK\\r\\n\\r\\n" } },
	{ "regex named groups give time, direction and escaped data",
	  ANA_FMT_REGEX, "^(?<ts>\\S+) (?<dir>\\w+): (?<data>.*)$",
	  IN("00:00:01.5 send: AT+QVER\nnoise line\n00:00:01.6 recv: +OK=1\\r\\n\\r\\n\n"),
	  { "H t=1500000 l=1 AT+QVER\\r", "M t=1600000 l=3 +OK=1\\r\\n\\r\\n" } },
	{ "regex without a direction group infers it and adds the terminators",
	  ANA_FMT_REGEX, "^> (?<data>.*)$",
	  IN("> AT+QVER\n> +OK\n"),
	  { "Hi AT+QVER\\r", "Mi +OK\\r\\n\\r\\n" } },
	{ "a regex hex group is decoded as bytes",
	  ANA_FMT_REGEX, "^(?<dir>[IO]) (?<hex>[0-9a-f ]+)$",
	  IN("O 41 54 2b 0d\nI 2b4f4b0d0a0d0a\n"),
	  { "H AT+\\r", "M +OK\\r\\n\\r\\n" } },
	{ "a terminal log joins the module's lines and its blank lines",
	  ANA_FMT_AUTO, NULL,
	  IN("AT+QVER\n+OK=1\n\nAT+E\n+OK\n\n"),
	  { "Hi AT+QVER\\r", "Mi +OK=1\\r\\n\\r\\n", "Hi AT+E\\r", "Mi +OK\\r\\n\\r\\n" } },
	{ "sscom's hex mode gives the bytes themselves",
	  ANA_FMT_SSCOM, NULL,
	  IN("[10:00:00.100]\xe5\x8f\x91\xe2\x86\x92\xe2\x97\x87" "41 54 2B 0D \r\n"
	     "[10:00:00.112]\xe6\x94\xb6\xe2\x86\x90\xe2\x97\x86" "2B 4F 4B 0D 0A 0D 0A \r\n"),
	  { "H AT+\\r", "M +OK\\r\\n\\r\\n" } },
	{ "terminal time stamps give each line its time",
	  ANA_FMT_TERM, NULL,
	  IN("[10:00:00.100] AT+QVER\n[10:00:00.112] +OK=1\n[10:00:00.112] \n"
	     "2026-11-24 10:00:01.000 AT+E\n2026-11-24 10:00:01.010 +OK\n\n"
	     "2026-11-24 10:00:05.000 +SKCLS=1\n"),
	  { "Hi t=36000100000 AT+QVER\\r", "Mi t=36000112000 +OK=1\\r\\n\\r\\n",
	    "Hi t=1795514401000000 AT+E\\r", "Mi t=1795514401010000 +OK\\r\\n\\r\\n",
	    "Mi t=1795514405000000 +SKCLS=1\\r\\n" } },
	{ "a byte-order mark and CR LF line ends of Windows tools are read through",
	  ANA_FMT_AUTO, NULL,
	  IN("\xef\xbb\xbfname,type,start_time,duration,data\r\n\"TX\",\"data\",0.0001,8e-05,0x41\r\n"),
	  { "H t=100 l=2 A" } },
	{ "text2pcap's hexdump input: I/O headers with times, offset rows",
	  ANA_FMT_AUTO, NULL,
	  IN("O 2026-11-24T10:00:00.000000\n000000 41 54 2b 51 56 45 52 0d\n"
	     "I 2026-11-24T10:00:00.012000\n000000 2b 4f 4b 3d 31 0d 0a 0d\n000008 0a\n"),
	  { "H t=1795514400000000 AT+QVER\\r", "M t=1795514400012000 +OK=1\\r\\n\\r\\n" } },
	{ "socat -v text: escapes, LF from line breaks, the next header after the data",
	  ANA_FMT_AUTO, NULL,
	  IN("> 2026/11/24 10:00:00.000000  length=8 from=0 to=7\n"
	     "AT+QVER\\r< 2026/11/24 10:00:00.012000  length=8 from=0 to=7\n"
	     "+OK=\\\\\\a\\r\n"
	     "> 2026/11/24 10:00:00.100000  length=3 from=8 to=10\n"
	     "a\tb"),
	  { "H t=1795514400000000 AT+QVER\\r", "M t=1795514400012000 +OK=\\\\\\x07\\r\\n",
	    "H t=1795514400100000 a\\tb" } },
	{ "jpnevulator without --timing-print: a short row or a new line starts a packet",
	  ANA_FMT_AUTO, NULL,
	  IN("41 54 2B 51 56 45 52 0D                        \tAT+QVER.\n"
	     "2B 4F 4B 3D 30 30 31 45 45 33 41 38 30 31 30 32\t+OK=001EE3A80102\n"
	     "0D 0A 0D 0A                                    \t....\n"
	     "41 54 2B 5A 0D                                 \tAT+Z.\n"),
	  { "Hi AT+QVER\\r", "Mi +OK=001EE3A80102\\r\\n\\r\\n", "Hi AT+Z\\r" } },
	{ "usbmon: Bo submissions and Bi callbacks of the adapter, FTDI status dropped",
	  ANA_FMT_AUTO, NULL,
	  IN("d5ea7fc0 3575900000 C Bi:1:005:1 0 2 = 0160\n"
	     "d5ea8040 3575914555 S Bo:1:005:2 -115 8 = 41542b51 5645520d\n"
	     "d5ea8040 3575914705 C Bo:1:005:2 0 8 >\n"
	     "d5ea8042 3575914710 C Ii:1:002:1 0 8 = 00000400 00000000\n"
	     "d5ea8043 3575914711 S Bo:1:002:2 -115 2 = 4142\n"
	     "d5ea8080 3575924555 C Bi:1:005:1 0 9 = 01602b4f 4b0d0a0d 0a\n"
	     "d5ea8081 4294967000 S Bo:1:005:2 -115 3 = 41540d\n"
	     "d5ea8082 100 C Bi:1:005:1 0 40 = 01602b4f 4b0d0a0d 0a000000 00000000 "
	     "00000000 00000000 00000000 00000000\n"),
	  { "H t=3575914555 AT+QVER\\r", "M t=3575924555 +OK\\r\\n\\r\\n",
	    "H t=4294967000 AT\\r", "M t=4294967396 c=8 +OK\\r\\n\\r\\n\\x00\\x00\\x00\\x00\\x00"
	    "\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00" } },
	{ "sigrok sample numbers: an idle gap starts a new burst",
	  ANA_FMT_AUTO, NULL,
	  IN("9-78 uart-1: 41\n96-165 uart-1: 41\n1009-1078 uart-1: 42\n"),
	  { "Mi AA", "Mi B" } },
	{ "raw bytes with bare CRs are the wire's and cut after line ends",
	  ANA_FMT_AUTO, NULL,
	  IN("AT+QVER\r+OK=1\r\n\r\nAT+E\r"),
	  { "Hi AT+QVER\\r", "Mi +OK=1\\r\\n\\r\\n", "Hi AT+E\\r" } },
};

static void
rec_text(const struct atp_rec *r, int want_t, int want_l, char *buf, size_t size)
{
	char esc[512], t[48] = "", l[32] = "", c[32] = "";

	atp_span_escape(r->bytes, esc, sizeof(esc));
	if ((r->flags & ATP_RECF_CUT) != 0)
		snprintf(c, sizeof(c), " c=%llu", (unsigned long long)r->cut_len);
	if (want_t)
		snprintf(t, sizeof(t), " t=%llu", (unsigned long long)r->ts_us);
	if (want_l)
		snprintf(l, sizeof(l), " l=%lu", r->src_line);
	snprintf(buf, size, "%s%s%s%s%s %s", r->dir == ATP_DIR_TO_MODULE ? "H" :
	    r->dir == ATP_DIR_FROM_MODULE ? "M" : "?",
	    (r->flags & ATP_RECF_DIR_INFERRED) != 0 ? "i" : "", t, l, c, esc);
}

static void
importers_give_the_records_of_each_format(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(icases) / sizeof(icases[0]); i++) {
		const struct icase *c = &icases[i];
		struct ana_imp *im = NULL;
		struct atp_diag d;
		struct atp_rec r;
		int rc;

		atp_diag_clear(&d);
		rc = ana_imp_open_mem(c->in, c->inlen, "case", c->fmt, c->regex, &im, &d);
		if (rc != ATP_OK)
			fail_msg("%s: open: %s", c->name, d.msg);
		for (k = 0; (rc = ana_imp_next(im, &r, &d)) == 1; k++) {
			char got[700];
			const char *want = k < 12 ? c->recs[k] : NULL;
			if (want == NULL)
				fail_msg("%s: extra record %zu", c->name, k);
			rec_text(&r, strstr(want, " t=") != NULL, strstr(want, " l=") != NULL, got,
			    sizeof(got));
			if (strcmp(got, want) != 0)
				fail_msg("%s: record %zu\n  got  %s\n  want %s", c->name, k, got, want);
		}
		if (rc != 0)
			fail_msg("%s: error %d: %s", c->name, rc, d.msg);
		if (k < 12 && c->recs[k] != NULL)
			fail_msg("%s: record %zu missing: %s", c->name, k, c->recs[k]);
		ana_imp_close(im);
	}
}

static const struct {
	const char *head;
	enum ana_fmt fmt;
} dcases[] = {
	{ "\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a", ANA_FMT_PCAPNG },
	{ "\xd4\xc3\xb2\xa1\x02\x00\x04\x00", ANA_FMT_PCAPNG },
	{ "Time [s],Value,Parity Error,Framing Error\n", ANA_FMT_SALEAE },
	{ "name,type,start_time,duration,data\n", ANA_FMT_SALEAE },
	{ "109-179 uart-1: 41\n", ANA_FMT_SIGROK },
	{ "[15:37:11.116]\xe5\x8f\x91\xe2\x86\x92\xe2\x97\x87" "AT+X\n", ANA_FMT_SSCOM },
	{ "> 2026/11/24 19:19:13.000014350  length=8 from=0 to=7\n", ANA_FMT_SOCAT },
	{ "O 12.5\n000000 41 54 2b 0d\n", ANA_FMT_HEXDUMP },
	{ "41 54 0D         \tAT.\n2B 4F 4B 0D 0A 0D 0A\t+OK....\n", ANA_FMT_JPNEVULATOR },
	{ "DTE2DCE\n41 54 0D\nDCE2DTE\n2B 4F 4B 0D 0A 0D 0A\n", ANA_FMT_JPNEVULATOR },
	{ "d5ea8040 3575914555 S Bo:1:005:2 -115 8 = 41542b51 5645520d\n", ANA_FMT_USBMON },
	{ "2026-11-24 19:19:23.800285: DTE2DCE\n", ANA_FMT_JPNEVULATOR },
	{ "[12345678:123456] < 0x41 (A)\n", ANA_FMT_INTERCEPTTY },
	{ "intro\n\xe2\x86\x92 AT+QVER\n", ANA_FMT_ARROWS },
	{ "<html>\n<body>\n", ANA_FMT_TERM },
	{ "AT+QVER\n+OK=1\n\n", ANA_FMT_TERM },
	{ "AT+QVER\r+OK", ANA_FMT_RAW },
	{ "\x01\x02\x03\x00\x00\x05", ANA_FMT_RAW },
};

static void
detection_names_the_format_from_the_first_bytes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const char *h = dcases[i].head;
		size_t len = strlen(h);
		/* the binary heads hold NULs: use their known lengths */
		if (i == 0)
			len = 12;
		else if (i == 1)
			len = 8;
		else if (dcases[i].fmt == ANA_FMT_RAW && h[0] == 1)
			len = 6;
		if (ana_fmt_detect((const uint8_t *)h, len) != dcases[i].fmt)
			fail_msg("case %zu: detected %s, want %s", i,
			    ana_fmt_name(ana_fmt_detect((const uint8_t *)h, len)),
			    ana_fmt_name(dcases[i].fmt));
	}
}

static void
direction_words_and_inference_follow_the_protocol(void **state)
{
	static const struct {
		const char *w;
		enum atp_dir dir;
	} words[] = {
		{ "->", ATP_DIR_TO_MODULE }, { "<-", ATP_DIR_FROM_MODULE },
		{ "TX", ATP_DIR_TO_MODULE }, { "rx:", ATP_DIR_FROM_MODULE },
		{ "send", ATP_DIR_TO_MODULE }, { "recv", ATP_DIR_FROM_MODULE },
		{ "DTE2DCE", ATP_DIR_TO_MODULE }, { "DCE2DTE", ATP_DIR_FROM_MODULE },
		{ "\xe5\x8f\x91", ATP_DIR_TO_MODULE }, { "\xe6\x94\xb6", ATP_DIR_FROM_MODULE },
		{ "banana", ATP_DIR_UNKNOWN },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		assert_int_equal(ana_dir_word((const uint8_t *)words[i].w, strlen(words[i].w)),
		    words[i].dir);
	assert_int_equal(ana_infer_dir((const uint8_t *)"at+qver\r", 8), ATP_DIR_TO_MODULE);
	assert_int_equal(ana_infer_dir((const uint8_t *)"+++", 3), ATP_DIR_TO_MODULE);
	assert_int_equal(ana_infer_dir((const uint8_t *)"+OK=1", 5), ATP_DIR_FROM_MODULE);
	assert_int_equal(ana_infer_dir((const uint8_t *)"ready", 5), ATP_DIR_FROM_MODULE);
	assert_int_equal(ana_infer_dir((const uint8_t *)" \r\n", 3), ATP_DIR_UNKNOWN);
}

static void
format_names_parse_and_bad_ones_are_refused(void **state)
{
	enum ana_fmt f;
	const char *re;

	(void)state;
	assert_int_equal(ana_fmt_parse("sscom", &f, &re), ATP_OK);
	assert_int_equal(f, ANA_FMT_SSCOM);
	assert_int_equal(ana_fmt_parse("pcap", &f, &re), ATP_OK);
	assert_int_equal(f, ANA_FMT_PCAPNG);
	assert_int_equal(ana_fmt_parse("regex:a(?<data>b)", &f, &re), ATP_OK);
	assert_int_equal(f, ANA_FMT_REGEX);
	assert_string_equal(re, "a(?<data>b)");
	assert_int_equal(ana_fmt_parse("regex", &f, &re), ATP_ERR_NOTFOUND);
	assert_int_equal(ana_fmt_parse("wireshark", &f, &re), ATP_ERR_NOTFOUND);
}

static void
bad_regexes_are_input_errors_with_a_reason(void **state)
{
	struct ana_imp *im = NULL;
	struct atp_diag d;

	(void)state;
	atp_diag_clear(&d);
	assert_int_equal(ana_imp_open_mem("x", 1, "m", ANA_FMT_REGEX, "(?<data>", &im, &d),
	    ATP_ERR_SYNTAX);
	assert_null(im);
	assert_non_null(strstr(d.msg, "regex"));
	assert_int_equal(ana_imp_open_mem("x", 1, "m", ANA_FMT_REGEX, "^(.*)$", &im, &d),
	    ATP_ERR_SYNTAX);
	assert_non_null(strstr(d.msg, "data"));
}

/* A file much bigger than the read buffer, with a line longer than the
 * line ceiling in the middle: every other line still comes out, with its
 * own line number, and the long one is counted as skipped. */
static void
long_inputs_stream_with_line_numbers_and_cut_long_lines(void **state)
{
	size_t n = 3000, i, len = 0, cap = n * 32 + ANA_LINE_MAX * 2;
	char *buf = test_malloc(cap);
	struct ana_imp *im = NULL;
	struct atp_rec r;
	unsigned long recs = 0, last_line = 0;
	int rc;

	(void)state;
	for (i = 0; i < n; i++) {
		if (i == n / 2) {
			memcpy(buf + len, "-> AT+", 6);
			memset(buf + len + 6, 'X', ANA_LINE_MAX + 100);
			len += 6 + ANA_LINE_MAX + 100;
			buf[len++] = '\n';
		}
		len += (size_t)snprintf(buf + len, cap - len, "-> AT+QVER\n<- +OK=%zu\n", i);
	}
	assert_int_equal(ana_imp_open_mem(buf, len, "big", ANA_FMT_ARROWS, NULL, &im, NULL), ATP_OK);
	while ((rc = ana_imp_next(im, &r, NULL)) == 1) {
		recs++;
		assert_true(r.src_line > last_line);
		last_line = r.src_line;
		assert_true(r.bytes.len <= ANA_REC_SOFT + ANA_LINE_MAX + 8);
	}
	assert_int_equal(rc, 0);
	/* 2 records a pair, plus the long line's cut piece. */
	assert_int_equal(recs, 2 * n + 1);
	assert_int_equal(last_line, 2 * n + 1);
	assert_int_equal(ana_imp_skipped(im), 1);
	ana_imp_close(im);
	test_free(buf);
}

static void
a_cut_capture_gives_its_records_then_an_error(void **state)
{
	/* SHB + IDB (USER0) + one EPB with "AT+\r" outbound, then a cut. */
	static const uint8_t cap[] = {
		0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
		1, 0, 0, 0, 20, 0, 0, 0, 147, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0,
		6, 0, 0, 0, 48, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0,
		4, 0, 0, 0, 'A', 'T', '+', '\r', 2, 0, 4, 0, 2, 0, 0, 0, 0, 0, 0, 0, 48, 0, 0, 0,
		6, 0, 0, 0, 48, 0, 0,
	};
	struct ana_imp *im = NULL;
	struct atp_rec r;
	struct atp_diag d;

	(void)state;
	atp_diag_clear(&d);
	assert_int_equal(ana_imp_open_mem(cap, sizeof(cap), "cut", ANA_FMT_AUTO, NULL, &im, &d), ATP_OK);
	assert_int_equal(ana_imp_format(im), ANA_FMT_PCAPNG);
	assert_int_equal(ana_imp_next(im, &r, &d), 1);
	assert_int_equal(r.dir, ATP_DIR_TO_MODULE);
	assert_int_equal(r.bytes.len, 4);
	assert_int_equal(ana_imp_next(im, &r, &d), ATP_ERR_SYNTAX);
	assert_non_null(strstr(d.msg, "cut short"));
	ana_imp_close(im);
}

/* What the harness writes (the core's pcapng writer, UPPER_PDU by
 * default) comes back with its times, directions and bytes. */
static void
captures_written_by_the_core_read_back_exactly(void **state)
{
	char path[] = "/tmp/test_ana_import_XXXXXX";
	int fd = mkstemp(path);
	struct atp_pcapng_writer *w = NULL;
	struct atp_rec r, in;
	struct ana_imp *im = NULL;
	static const char *const bytes[] = { "AT+QVER\r", "+OK=1\r\n\r\n", "AT+E\r" };
	size_t i;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(atp_pcapng_open_fd(fd, NULL, &w, NULL), ATP_OK);
	for (i = 0; i < 3; i++) {
		memset(&r, 0, sizeof(r));
		r.ts_us = 1795000000000000ull + i * 1000u;
		r.dir = i == 1 ? ATP_DIR_FROM_MODULE : ATP_DIR_TO_MODULE;
		r.bytes = atp_span_str(bytes[i]);
		assert_int_equal(atp_pcapng_write(w, 0, &r, NULL), ATP_OK);
	}
	assert_int_equal(atp_pcapng_close(w, NULL), ATP_OK);
	close(fd);
	assert_int_equal(ana_imp_open(path, ANA_FMT_AUTO, NULL, &im, NULL), ATP_OK);
	assert_int_equal(ana_imp_format(im), ANA_FMT_PCAPNG);
	for (i = 0; i < 3; i++) {
		assert_int_equal(ana_imp_next(im, &in, NULL), 1);
		assert_int_equal(in.ts_us, 1795000000000000ull + i * 1000u);
		assert_int_equal(in.dir, i == 1 ? ATP_DIR_FROM_MODULE : ATP_DIR_TO_MODULE);
		assert_true(atp_span_eq(in.bytes, bytes[i]));
		assert_string_equal(in.src_file, path);
	}
	assert_int_equal(ana_imp_next(im, &in, NULL), 0);
	assert_int_equal(ana_imp_linktype(im), 0);
	ana_imp_close(im);
	unlink(path);
}

static void
line_errors_of_logic_analyzer_exports_are_counted(void **state)
{
	static const char csv[] = "Time [s],Value,Parity Error,Framing Error\n0.1,0x41,,\n"
	    "0.1001,0x54,,Error\n0.1002,0x2B,Error,\n";
	static const char sig[] = "uart-1: 41\nuart-1: Frame error\nuart-1: 54\n";
	struct ana_imp *im = NULL;
	struct atp_rec r;

	(void)state;
	assert_int_equal(ana_imp_open_mem(csv, sizeof(csv) - 1, "c", ANA_FMT_AUTO, NULL, &im, NULL), ATP_OK);
	while (ana_imp_next(im, &r, NULL) == 1)
		;
	assert_int_equal(ana_imp_line_errors(im), 2);
	ana_imp_close(im);
	assert_int_equal(ana_imp_open_mem(sig, sizeof(sig) - 1, "s", ANA_FMT_AUTO, NULL, &im, NULL), ATP_OK);
	assert_int_equal(ana_imp_next(im, &r, NULL), 1);
	assert_true(atp_span_eq(r.bytes, "AT"));
	assert_int_equal(ana_imp_line_errors(im), 1);
	ana_imp_close(im);
}

static void
missing_files_are_io_errors(void **state)
{
	struct ana_imp *im = NULL;
	struct atp_diag d;

	(void)state;
	atp_diag_clear(&d);
	assert_int_equal(ana_imp_open("/nonexistent/log.txt", ANA_FMT_AUTO, NULL, &im, &d), ATP_ERR_IO);
	assert_null(im);
	assert_non_null(strstr(d.msg, "/nonexistent/log.txt"));
}

static void
civil_days_count_from_the_epoch(void **state)
{
	(void)state;
	assert_int_equal(ana_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(ana_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(ana_days_from_civil(2026, 11, 24), 20781);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(importers_give_the_records_of_each_format),
		cmocka_unit_test(detection_names_the_format_from_the_first_bytes),
		cmocka_unit_test(direction_words_and_inference_follow_the_protocol),
		cmocka_unit_test(format_names_parse_and_bad_ones_are_refused),
		cmocka_unit_test(bad_regexes_are_input_errors_with_a_reason),
		cmocka_unit_test(long_inputs_stream_with_line_numbers_and_cut_long_lines),
		cmocka_unit_test(a_cut_capture_gives_its_records_then_an_error),
		cmocka_unit_test(captures_written_by_the_core_read_back_exactly),
		cmocka_unit_test(line_errors_of_logic_analyzer_exports_are_counted),
		cmocka_unit_test(missing_files_are_io_errors),
		cmocka_unit_test(civil_days_count_from_the_epoch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
