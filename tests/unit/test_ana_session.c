/* SPDX-License-Identifier: MIT */
/* \summary: the analyzer's session decoder and protocol-state and timing rules */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/ana.h"
#include "atproof/atproof.h"
#include "reports/rpt.h"

/*
 * Each case is a session written as records, "H" host or "M" module bytes
 * at a time in milliseconds (t < 0: the record has no time), and the
 * findings it must give, as "rule/verdict" in the order they are reported.
 * "=" alone in a case's findings means: none at all.
 */

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

struct r {
	char dir;
	int t;
	const char *b;
	size_t len;
	int cut;                  /* > 0: the capture cut the record, so many
	                             bytes; < 0: cut, how many not known */
};

#define H(t, s) { 'H', (t), (s), sizeof(s) - 1, 0 }
#define X8 "xxxxxxxx"
#define X64 X8 X8 X8 X8 X8 X8 X8 X8
#define DATA511 X64 X64 X64 X64 X64 X64 X64 X8 X8 X8 X8 X8 X8 X8 "xxxxxxx"
#define M(t, s) { 'M', (t), (s), sizeof(s) - 1, 0 }
/* A record the capture cut (usbmon's text shows 32 bytes of a transfer). */
#define HC(t, s, n) { 'H', (t), (s), sizeof(s) - 1, (n) }
#define MC(t, s, n) { 'M', (t), (s), sizeof(s) - 1, (n) }

struct scase {
	const char *name;
	const char *profile;
	const char *limit;        /* "CMD=MS" */
	struct r recs[24];
	const char *want[12];
	unsigned long commands, responses;  /* checked when non-zero */
};

static const struct scase scases[] = {
	{ "a conforming exchange gives no finding and is timed", NULL, NULL,
	  { H(0, "AT+QVER\r"), M(12, "+OK=G3.1.2\r\n\r\n"), H(100, "AT+LKSTT\r"),
	    M(109, "+OK=0\r\n\r\n") },
	  { "=" }, 2, 2 },
	{ "a command the log ends before answering is inconclusive", NULL, NULL,
	  { H(0, "AT+QVER\r") },
	  { "resp-missing/inconc" }, 0, 0 },
	{ "a response no command asked for fails", NULL, NULL,
	  { H(0, "AT+QVER\r"), M(5, "+OK=1\r\n\r\n"), M(500, "+OK\r\n\r\n") },
	  { "resp-unsolicited/fail" }, 0, 0 },
	{ "output before the first command is a resync, not a failure", NULL, NULL,
	  { M(0, "=1\r\n\r\n"), M(1, "+OK\r\n\r\n"), H(10, "AT+QVER\r"), M(20, "+OK=1\r\n\r\n") },
	  { "resync/pass" }, 1, 2 },
	{ "SKSND bytes are consumed by the length the module allowed", NULL, NULL,
	  { H(0, "AT+SKCT=0,0,10.0.0.1,80\r"), M(50, "+OK=1\r\n\r\n"), H(60, "AT+SKSND=1,5\r"),
	    M(70, "+OK=5\r\n\r\n"), H(71, "AT+E"), H(72, "\r"), H(200, "AT+QVER\r"),
	    M(210, "+OK=1\r\n\r\n") },
	  { "=" }, 3, 3 },
	{ "bytes past the announced length are data-long", NULL, NULL,
	  { H(0, "AT+SKCT=0,0,10.0.0.1,80\r"), M(50, "+OK=1\r\n\r\n"), H(60, "AT+SKSND=1,2\r"),
	    M(70, "+OK=2\r\n\r\n"), H(71, "abcd") },
	  { "data-long/fail" }, 0, 0 },
	{ "a response while payload is still owed is data-short", NULL, NULL,
	  { H(0, "AT+SKCT=0,0,10.0.0.1,80\r"), M(50, "+OK=1\r\n\r\n"), H(60, "AT+SKSND=1,9\r"),
	    M(70, "+OK=9\r\n\r\n"), H(71, "abc"), M(90, "+OK\r\n\r\n") },
	  { "data-short/fail", "resp-unsolicited/fail" }, 0, 0 },
	{ "in a timed capture a command line in the payload is payload", NULL, NULL,
	  { H(0, "AT+SKCT=0,0,10.0.0.1,80\r"), M(50, "+OK=1\r\n\r\n"), H(60, "AT+SKSND=1,9\r"),
	    M(70, "+OK=9\r\n\r\n"), H(300, "AT+QVER\r"), M(310, "+OK=1\r\n\r\n") },
	  { "data-short/fail", "resp-unsolicited/fail" }, 2, 3 },
	{ "in an untimed notation a payload left out is data-short", NULL, NULL,
	  { H(-1, "AT+SKCT=0,0,10.0.0.1,80\r"), M(-1, "+OK=1\r\n\r\n"), H(-1, "AT+SKSND=1,9\r"),
	    M(-1, "+OK=9\r\n\r\n"), H(-1, "AT+QVER\r"), M(-1, "+OK=1\r\n\r\n") },
	  { "data-short/fail" }, 3, 3 },
	{ "an SKSND never answered does not hold the host's bytes for ever", NULL, NULL,
	  { H(0, "AT+SKCT=0,0,10.0.0.1,80\r"), M(50, "+OK=1\r\n\r\n"), H(60, "AT+SKSND=1,5\r"),
	    H(3000, "AT+QVER\r"), M(3010, "+OK=1\r\n\r\n"), H(3100, "AT+QMAC\r"),
	    M(3110, "+OK=001EE3A80102\r\n\r\n") },
	  { "resp-missing/fail" }, 4, 3 },
	{ "SKRCV data is framed by the count, whatever it holds", NULL, NULL,
	  { H(0, "AT+SKCT=0,0,10.0.0.1,80\r"), M(50, "+OK=1\r\n\r\n"), H(60, "AT+SKRCV=1,20\r"),
	    M(70, "+OK=6\r\n\r\n+OK\r\n\r"), H(80, "AT+QVER\r"), M(90, "+OK=1\r\n\r\n") },
	  { "=" }, 3, 3 },
	{ "SKRCV data short of its count is cut when the module goes quiet", NULL, NULL,
	  { H(0, "AT+SKCT=0,0,10.0.0.1,80\r"), M(50, "+OK=1\r\n\r\n"), H(60, "AT+SKRCV=1,20\r"),
	    M(70, "+OK=6\r\n\r\nabcde"), H(200, "AT+QVER\r"), M(210, "+OK=1\r\n\r\n") },
	  { "frame-incomplete/fail" }, 3, 3 },
	{ "transparent mode passes bytes both ways until +++", NULL, NULL,
	  { H(0, "AT+ENTM\r"), M(5, "+OK\r\n\r\n"), H(10, "AT+QVER\r"), M(20, "garbage\r\n"),
	    H(2000, "+++"), M(2010, "+OK\r\n\r\n"), H(3100, "AT+QVER\r"), M(3110, "+OK=1\r\n\r\n") },
	  { "=" }, 2, 3 },
	{ "+++ in command mode is an exchange the firmware answers", NULL, NULL,
	  { H(0, "+++"), M(10, "+OK\r\n\r\n"), H(100, "AT+QVER\r"), M(110, "+OK=1\r\n\r\n") },
	  { "=" }, 1, 2 },
	{ "a socket used after SKCLS fails, worse if the module said +OK", NULL, NULL,
	  { H(0, "AT+SKCT=0,0,10.0.0.1,80\r"), M(50, "+OK=1\r\n\r\n"), H(60, "AT+SKCLS=1\r"),
	    M(70, "+OK\r\n\r\n"), H(80, "AT+SKRCV=1,5\r"), M(90, "+OK=0\r\n\r\n") },
	  { "sock-after-close/fail" }, 0, 0 },
	{ "a socket this log never opened is inconclusive", NULL, NULL,
	  { H(0, "AT+SKCLS=3\r"), M(10, "+ERR=-12\r\n\r\n") },
	  { "sock-not-open/inconc" }, 0, 0 },
	{ "WJOIN's error against a link that is up fails", NULL, NULL,
	  { H(0, "AT+WJOIN\r"), M(3000, "+ERR=-10\r\n\r\n"), H(3100, "AT+LKSTT\r"),
	    M(3110, "+OK=1,\"1.2.3.4\",\"255.0.0.0\",\"1.2.3.1\",\"1.2.3.1\",\"0.0.0.0\"\r\n\r\n") },
	  { "wjoin-lkstt/fail" }, 0, 0 },
	{ "a flash value lost across AT+Z fails", NULL, NULL,
	  { H(0, "AT+WPRT=!2\r"), M(10, "+OK\r\n\r\n"), H(100, "AT+Z\r"), M(110, "+OK\r\n\r\n"),
	    H(1000, "AT+WPRT=?\r"), M(1010, "+OK=0\r\n\r\n") },
	  { "flash-lost/fail" }, 0, 0 },
	{ "a flash value kept across AT+Z and a RAM value lost are fine", NULL, NULL,
	  { H(0, "AT+WPRT=!2\r"), M(10, "+OK\r\n\r\n"), H(20, "AT+ATM=1\r"), M(30, "+OK\r\n\r\n"),
	    H(100, "AT+Z\r"), M(110, "+OK\r\n\r\n"), H(1000, "AT+WPRT=?\r"), M(1010, "+OK=2\r\n\r\n"),
	    H(1100, "AT+ATM=?\r"), M(1110, "+OK=0\r\n\r\n") },
	  { "=" }, 0, 0 },
	{ "a RAM value the query does not read back fails", NULL, NULL,
	  { H(0, "AT+ATM=1\r"), M(10, "+OK\r\n\r\n"), H(20, "AT+ATM=?\r"), M(30, "+OK=0\r\n\r\n") },
	  { "param-readback/fail" }, 0, 0 },
	{ "a RAM value read back from flash is the known flash-read-getters", "luat", NULL,
	  { H(0, "AT+WPRT=!0\r"), M(10, "+OK\r\n\r\n"), H(20, "AT+WPRT=2\r"), M(30, "+OK\r\n\r\n"),
	    H(40, "AT+WPRT=?\r"), M(50, "+OK=0\r\n\r\n") },
	  { "flash-read-getters/known" }, 0, 0 },
	{ "a RAM value read back is fine", NULL, NULL,
	  { H(0, "AT+WPRT=!0\r"), M(10, "+OK\r\n\r\n"), H(20, "AT+WPRT=2\r"), M(30, "+OK\r\n\r\n"),
	    H(40, "AT+WPRT=?\r"), M(50, "+OK=2\r\n\r\n") },
	  { "=" }, 0, 0 },
	{ "LUAT's +SKTRPT carries 511 bytes whatever it announces", "luat", NULL,
	  { H(0, "AT+QVER\r"), M(10, "+OK=1\r\n\r\n"),
	    M(500, "+SKTRPT=1,600,1.2.3.4,80\r\n\r\n"), M(501, DATA511),
	    H(600, "AT+QVER\r"), M(610, "+OK=1\r\n\r\n") },
	  { "=" }, 2, 2 },
	{ "PMTF saves RAM values to flash", NULL, NULL,
	  { H(0, "AT+WPRT=1\r"), M(10, "+OK\r\n\r\n"), H(20, "AT+PMTF\r"), M(30, "+OK\r\n\r\n"),
	    H(100, "AT+Z\r"), M(110, "+OK\r\n\r\n"), H(1000, "AT+WPRT=?\r"), M(1010, "+OK=0\r\n\r\n") },
	  { "flash-lost/fail" }, 0, 0 },
	{ "a command sent while a blocking one runs is named with its fate", NULL, NULL,
	  { H(0, "AT+WJOIN\r"), H(100, "AT+QMAC\r"),
	    M(2000, "+OK=001EE3A80102,0,11,0,\"x\",50\r\n\r\n"), M(2010, "+OK=001EE3A80102\r\n\r\n") },
	  { "cmd-while-busy/fail", "queue-not-discard/fail" }, 2, 2 },
	{ "a firmware that queues it is known with its profile", "luat", NULL,
	  { H(0, "AT+WJOIN\r"), H(100, "AT+QMAC\r"),
	    M(2000, "+OK=001EE3A80102,0,11,0,\"x\",50\r\n\r\n"), M(2010, "+OK=001EE3A80102\r\n\r\n") },
	  { "cmd-while-busy/fail", "queue-not-discard/known" }, 2, 2 },
	{ "a command discarded as the manual says is not unanswered", NULL, NULL,
	  { H(0, "AT+WJOIN\r"), H(100, "AT+QMAC\r"),
	    M(2000, "+OK=001EE3A80102,0,11,0,\"x\",50\r\n\r\n"), H(2100, "AT+LKSTT\r"),
	    M(2110, "+OK=1,\"1.2.3.4\",\"255.0.0.0\",\"1.2.3.1\",\"1.2.3.1\",\"0.0.0.0\"\r\n\r\n") },
	  { "cmd-while-busy/fail" }, 3, 2 },
	{ "a latency limit names the slow exchange", NULL, "QVER=10",
	  { H(0, "AT+QVER\r"), M(5, "+OK=1\r\n\r\n"), H(100, "AT+QVER\r"), M(150, "+OK=1\r\n\r\n") },
	  { "latency-limit/fail" }, 0, 0 },
	{ "an echo that is not the line sent fails", NULL, NULL,
	  { H(0, "AT+QVER\r"), M(1, "AT+QMAC\r\n+OK=1\r\n\r\n") },
	  { "echo-mismatch/fail" }, 0, 0 },
	{ "echo after AT+E turned it off fails", NULL, NULL,
	  { H(0, "AT+QVER\r"), M(1, "AT+QVER\r\n+OK=1\r\n\r\n"), H(10, "AT+E\r"),
	    M(11, "AT+E\r\n+OK\r\n\r\n"), H(20, "AT+QVER\r"), M(21, "AT+QVER\r\n+OK=1\r\n\r\n") },
	  { "echo-state/fail" }, 3, 3 },
	{ "AT+E turns echo on, and it stays on", NULL, NULL,
	  { H(0, "AT+QVER\r"), M(1, "+OK=1\r\n\r\n"), H(10, "AT+E\r"), M(11, "+OK\r\n\r\n"),
	    H(20, "AT+QVER\r"), M(21, "AT+QVER\r\n+OK=1\r\n\r\n"), H(30, "AT+QMAC\r"),
	    M(31, "+OK=001EE3A80102\r\n\r\n") },
	  { "echo-state/fail" }, 4, 4 },
	{ "after a reset the echo is off", NULL, NULL,
	  { H(0, "AT+Z\r"), M(1, "+OK\r\n\r\n"), M(500, "ready\r\n"), H(600, "AT+QVER\r"),
	    M(601, "+OK=1\r\n\r\n") },
	  { "=" }, 2, 2 },
	{ "an echo of the line sent is fine", NULL, NULL,
	  { H(0, "AT+QVER\r"), M(1, "AT+QVER\r\n+OK=1\r\n\r\n") },
	  { "=" }, 0, 0 },
	{ "a stale command is declared unanswered so pairing does not slip", NULL, NULL,
	  { H(0, "AT+QVER\r"), H(5000, "AT+QMAC\r"), M(5010, "+OK=001EE3A80102\r\n\r\n") },
	  { "resp-missing/fail" }, 2, 1 },
	{ "untimed logs read as a dialogue: a new command ends the last", NULL, NULL,
	  { H(-1, "AT+Z\r"), M(-1, "+OK  ready\r\n\r\n"), H(-1, "AT+QVER\r"), M(-1, "+OK=1\r\n\r\n") },
	  { "text-unexpected/fail", "stray-bytes/fail", "resp-missing/fail" }, 2, 1 },
	{ "a list response ends when the host speaks after CR LF CR LF", NULL, NULL,
	  { H(0, "AT+WSCAN\r"), M(2000, "+OK=001EE3A80102,0,6,1,\"a\",60\r\n001EE3A80103,0,6,1,\"b\",60\r\n\r\n"),
	    H(2100, "AT+QVER\r"), M(2110, "+OK=1\r\n\r\n") },
	  { "=" }, 2, 2 },
	{ "a known deviation is known with its profile", "luat", NULL,
	  { H(0, "AT+SLIST\r"), M(10, "+OK=1,,94-FE-22-9A-B5-28,192.168.1.2\r\n\r\n") },
	  { "slist-double-comma/known" }, 0, 0 },
	{ "the same deviation fails without the profile", NULL, NULL,
	  { H(0, "AT+SLIST\r"), M(10, "+OK=1,,94-FE-22-9A-B5-28,192.168.1.2\r\n\r\n") },
	  { "slist-double-comma/fail" }, 0, 0 },
	{ "host bytes that are no command line are named", NULL, NULL,
	  { H(0, "AT+QVER\r"), M(10, "+OK=1\r\n\r\n"), H(20, "hello\r"), H(30, "AT+QVER\r"),
	    M(40, "+OK=1\r\n\r\n") },
	  { "host-garbage/fail" }, 2, 2 },
	/* Bytes the capture cut (usbmon's text shows 32 of a transfer): what
	 * they touch is undecided, never failed; the same bytes uncut fail. */
	{ "a response the capture cut is undecided", NULL, NULL,
	  { H(0, "AT+LKSTT\r"), MC(9, "+OK=1,\"192.168.1.5\",\"255.255.255", 45) },
	  { "input-cut/inconc", "frame-incomplete/inconc" }, 1, 1 },
	{ "the same response not cut by the capture is incomplete", NULL, NULL,
	  { H(0, "AT+LKSTT\r"), M(9, "+OK=1,\"192.168.1.5\",\"255.255.255") },
	  { "frame-incomplete/fail" }, 1, 1 },
	{ "after a cut response the next exchanges are judged again", NULL, NULL,
	  { H(0, "AT+LKSTT\r"), MC(9, "+OK=1,\"192.168.1.5\",\"255.255.255", 45),
	    H(100, "AT+QVER\r"), M(110, "+OK=1\r\n\r\n"), M(700, "+OK\r\n\r\n") },
	  { "input-cut/inconc", "frame-incomplete/inconc", "resp-unsolicited/fail" }, 2, 3 },
	{ "a cut response whose end came in the next transfer", NULL, NULL,
	  { H(0, "AT+LKSTT\r"), MC(9, "+OK=1,\"192.168.1.5\",\"255.255.255", 12),
	    M(10, "\"0.0.0.0\"\r\n\r\n"), H(100, "AT+QVER\r"), M(110, "+OK=1\r\n\r\n") },
	  { "input-cut/inconc", "resp-shape/inconc" }, 2, 2 },
	{ "a cut of unknown length is undecided too", NULL, NULL,
	  { H(0, "AT+LKSTT\r"), MC(9, "+OK=1,\"192.168.1.5\",\"255.255.255", -1) },
	  { "input-cut/inconc", "frame-incomplete/inconc" }, 1, 1 },
	{ "a command line the capture cut is answered and undecided", NULL, NULL,
	  { H(0, "AT+QVER\r"), M(5, "+OK=1\r\n\r\n"),
	    HC(100, "AT+SKCT=0,0,\"host.example.co", 12), M(300, "+OK=1\r\n\r\n"),
	    H(400, "AT+QVER\r"), M(410, "+OK=1\r\n\r\n") },
	  { "input-cut/inconc", "cmd-syntax/inconc", "cmd-syntax/inconc", "cmd-args/inconc",
	    "resp-expected-error/inconc" }, 3, 3 },
	{ "an echo of a command line the capture cut is undecided", NULL, NULL,
	  { H(0, "AT+E\r"), M(5, "+OK\r\n\r\n"),
	    HC(100, "AT+SKCT=0,0,\"host.example.co", 12),
	    M(101, "AT+SKCT=0,0,\"host.example.com\",80\r\n"), M(300, "+OK=1\r\n\r\n"),
	    H(400, "AT+QVER\r"), M(410, "AT+QVER\r\n+OK=1\r\n\r\n") },
	  { "input-cut/inconc", "cmd-syntax/inconc", "cmd-syntax/inconc", "cmd-args/inconc",
	    "echo-mismatch/inconc", "resp-expected-error/inconc", "echo-state/inconc" }, 3, 3 },
	{ "a command the capture cut whole is undecided when answered", NULL, NULL,
	  { HC(0, "AT+QVER\r", 8), M(5, "+OK=1\r\n\r\n"), M(6, "+OK=001EE3A80102\r\n\r\n"),
	    H(100, "AT+QVER\r"), M(110, "+OK=1\r\n\r\n") },
	  { "input-cut/inconc", "resp-unsolicited/inconc" }, 2, 3 },
	{ "SKSND payload the capture cut is counted, not short", NULL, NULL,
	  { H(0, "AT+SKCT=0,0,10.0.0.1,80\r"), M(50, "+OK=1\r\n\r\n"), H(60, "AT+SKSND=1,40\r"),
	    M(70, "+OK=40\r\n\r\n"), HC(71, X8 X8 X8 X8, 8), H(200, "AT+QVER\r"),
	    M(210, "+OK=1\r\n\r\n") },
	  { "input-cut/inconc" }, 3, 3 },
	{ "SKSND payload held for its response, cut, is counted too", NULL, NULL,
	  { H(0, "AT+SKCT=0,0,10.0.0.1,80\r"), M(50, "+OK=1\r\n\r\n"), H(60, "AT+SKSND=1,40\r"),
	    HC(61, X8 X8 X8 X8, 8), M(70, "+OK=40\r\n\r\n"), H(200, "AT+QVER\r"),
	    M(210, "+OK=1\r\n\r\n") },
	  { "input-cut/inconc" }, 3, 3 },
	{ "SKSND payload short with no cut still fails", NULL, NULL,
	  { H(0, "AT+SKCT=0,0,10.0.0.1,80\r"), M(50, "+OK=1\r\n\r\n"), H(60, "AT+SKSND=1,40\r"),
	    M(70, "+OK=40\r\n\r\n"), H(71, X8 X8 X8 X8), M(210, "+OK=1\r\n\r\n") },
	  { "data-short/fail", "resp-unsolicited/fail" }, 2, 3 },
};

static void
run_case(const struct scase *c, struct ana_report *rep)
{
	struct ana_session_opts o;
	struct ana_session *s = NULL;
	size_t i;

	memset(&o, 0, sizeof(o));
	ana_report_init(rep);
	if (c->profile != NULL) {
		o.prof = atp_profile_find(c->profile);
		assert_non_null(o.prof);
	}
	if (c->limit != NULL) {
		struct ana_lat *l;
		char name[16];
		const char *eq = strchr(c->limit, '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq - c->limit), c->limit);
		l = ana_report_lat(rep, name);
		assert_non_null(l);
		l->limit_us = 1000u * (uint64_t)(eq[1] - '0') * 10u;
	}
	assert_int_equal(ana_session_new(&o, rep, &s), ATP_OK);
	for (i = 0; i < 24 && c->recs[i].b != NULL; i++) {
		struct atp_rec r;
		memset(&r, 0, sizeof(r));
		r.dir = c->recs[i].dir == 'H' ? ATP_DIR_TO_MODULE : ATP_DIR_FROM_MODULE;
		if (c->recs[i].t < 0)
			r.flags = ATP_RECF_NO_TIME;
		else
			r.ts_us = 1000000000000ull + (uint64_t)c->recs[i].t * 1000u;
		r.bytes = atp_span_make(c->recs[i].b, c->recs[i].len);
		if (c->recs[i].cut != 0) {
			r.flags |= ATP_RECF_CUT;
			r.cut_len = c->recs[i].cut > 0 ? (uint64_t)c->recs[i].cut : 0;
		}
		r.src_file = "case";
		r.src_line = i + 1;
		assert_int_equal(ana_session_feed(s, &r), ATP_OK);
	}
	assert_int_equal(ana_session_end(s), ATP_OK);
	ana_session_free(s);
}

static void
sessions_give_the_findings_of_their_rules(void **state)
{
	size_t i, k;

	(void)state;
	assert_int_equal(atp_model_init(NULL), ATP_OK);
	for (i = 0; i < sizeof(scases) / sizeof(scases[0]); i++) {
		const struct scase *c = &scases[i];
		struct ana_report rep;
		char got[1024] = "", want[1024] = "";

		run_case(c, &rep);
		for (k = 0; k < rep.nf; k++) {
			/* The note that directions were inferred is not a rule
			 * of the session; none of these cases infers. */
			size_t n = strlen(got);
			snprintf(got + n, sizeof(got) - n, "%s%s/%s", n ? " " : "", rep.f[k].rule,
			    atp_verdict_name(rep.f[k].verdict));
		}
		for (k = 0; k < 12 && c->want[k] != NULL; k++) {
			size_t n = strlen(want);
			if (strcmp(c->want[k], "=") == 0)
				break;
			snprintf(want + n, sizeof(want) - n, "%s%s", n ? " " : "", c->want[k]);
		}
		if (strcmp(got, want) != 0)
			fail_msg("%s:\n  got  [%s]\n  want [%s]\n  first: %s", c->name, got, want,
			    rep.nf > 0 ? rep.f[0].message : "");
		if (c->commands != 0 && rep.st.commands != c->commands)
			fail_msg("%s: %lu commands, want %lu", c->name, rep.st.commands, c->commands);
		if (c->responses != 0 && rep.st.responses != c->responses)
			fail_msg("%s: %lu responses, want %lu", c->name, rep.st.responses, c->responses);
		ana_report_free(&rep);
	}
}

static void
findings_carry_the_source_line_and_the_command(void **state)
{
	struct ana_report rep;

	(void)state;
	run_case(&scases[2], &rep);
	assert_int_equal(rep.nf, 1);
	assert_string_equal(rep.f[0].file, "case");
	assert_int_equal(rep.f[0].line, 3);
	assert_string_equal(rep.f[0].section, "2.1");
	ana_report_free(&rep);
	run_case(&scases[5], &rep);
	assert_int_equal(rep.nf, 1);
	assert_string_equal(rep.f[0].command, "SKSND");
	assert_int_equal(rep.f[0].line, 5);
	ana_report_free(&rep);
}

/*
 * A repeated exchange gives the findings of its first time, each at its own
 * record: the session replays what the validator said of the same line and
 * response (issue 8) instead of asking again.
 */
static const struct scase repeated = {
	"four times the same two exchanges", "luat", NULL,
	{ H(0, "at+QVER\r"), M(10, "+OK=1\r\n\r\n"), H(100, "AT+UART=?\r"),
	  M(110, "+OK=115200,0,0,0,0\r\n\r\n"),
	  H(200, "at+QVER\r"), M(210, "+OK=1\r\n\r\n"), H(300, "AT+UART=?\r"),
	  M(310, "+OK=115200,0,0,0,0\r\n\r\n"),
	  H(400, "at+QVER\r"), M(410, "+OK=1\r\n\r\n"), H(500, "AT+UART=?\r"),
	  M(510, "+OK=115200,0,0,0,0\r\n\r\n"),
	  H(600, "at+QVER\r"), M(610, "+OK=1\r\n\r\n"), H(700, "AT+UART=?\r"),
	  M(710, "+OK=115200,0,0,0,0\r\n\r\n") },
	{ NULL }, 4, 4 };

static void
a_repeated_exchange_gives_its_findings_each_time_at_its_own_record(void **state)
{
	struct ana_report rep;
	size_t k, per;

	(void)state;
	run_case(&repeated, &rep);
	/* The first time: the host's lower-case prefix, and LUAT's UART
	 * query format (a known deviation). */
	assert_true(rep.nf >= 2);
	assert_int_equal(rep.nf % 4, 0);
	per = rep.nf / 4;
	for (k = 0; k < rep.nf; k++) {
		const struct ana_finding *f = &rep.f[k], *first = &rep.f[k % per];
		assert_string_equal(f->rule, first->rule);
		assert_int_equal(f->verdict, first->verdict);
		assert_string_equal(f->message, first->message);
		assert_string_equal(f->command, first->command);
		/* Its own record: four lines on from the same finding before. */
		assert_int_equal(f->line, first->line + 4 * (k / per));
		assert_int_equal(f->ts_us, first->ts_us + 200000u * (k / per));
	}
	assert_string_equal(rep.f[0].rule, "cmd-syntax");
	assert_int_equal(rep.f[0].line, 1);
	assert_string_equal(rep.f[per - 1].rule, "uart-query-flow");
	assert_int_equal(rep.f[per - 1].verdict, ATP_V_KNOWN);
	assert_int_equal(rep.f[per - 1].line, 4);
	ana_report_free(&rep);
}

static void
timing_rows_give_percentiles_of_the_final_byte(void **state)
{
	struct ana_report rep;
	size_t i;
	struct ana_lat *l = NULL;

	(void)state;
	run_case(&scases[0], &rep);
	for (i = 0; i < rep.nlat; i++)
		if (strcmp(rep.lat[i].name, "QVER") == 0)
			l = &rep.lat[i];
	assert_non_null(l);
	assert_int_equal(l->n, 1);
	assert_int_equal(ana_lat_pct(l, 50), 12000);
	assert_int_equal(l->max_final, 12000);
	ana_report_free(&rep);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* A percentile is the nearest rank of the sorted reservoir, whatever its
 * values: all equal, a few distinct, spread, sorted either way. */
static void
percentiles_are_nearest_ranks_of_the_sorted_times(void **state)
{
	static uint32_t keep[ANA_LAT_KEEP], sorted[ANA_LAT_KEEP];
	uint32_t x = 12345;
	size_t n, i, shape;
	unsigned p;

	(void)state;
	for (shape = 0; shape < 5; shape++) {
		for (n = 1; n <= ANA_LAT_KEEP; n = n * 3 + 1) {
			struct ana_lat l;
			memset(&l, 0, sizeof(l));
			l.final_us = keep;
			l.nkept = n;
			for (i = 0; i < n; i++) {
				x = x * 1103515245u + 12345u;
				keep[i] = shape == 0 ? 7000u : shape == 1 ? (x >> 8) % 3u :
				    shape == 2 ? x >> 8 : shape == 3 ? (uint32_t)i : (uint32_t)(n - i);
			}
			memcpy(sorted, keep, n * sizeof(keep[0]));
			qsort(sorted, n, sizeof(sorted[0]), cmp_u32);
			for (p = 1; p <= 100; p++) {
				size_t idx = (n * p + 99) / 100;
				idx = idx > 0 ? idx - 1 : 0;
				if (idx >= n)
					idx = n - 1;
				if (ana_lat_pct(&l, p) != sorted[idx])
					fail_msg("shape %zu, %zu values: p%u is %llu, want %u", shape, n, p,
					    (unsigned long long)ana_lat_pct(&l, p), sorted[idx]);
			}
		}
	}
}

static void
the_verdict_is_the_worst_and_known_does_not_fail(void **state)
{
	struct ana_report rep;
	struct ana_finding f;

	(void)state;
	ana_report_init(&rep);
	assert_int_equal(ana_report_verdict(&rep), ATP_V_PASS);
	memset(&f, 0, sizeof(f));
	f.rule = "x";
	f.verdict = ATP_V_KNOWN;
	assert_int_equal(ana_report_add(&rep, &f), ATP_OK);
	assert_int_equal(ana_report_verdict(&rep), ATP_V_PASS);
	f.verdict = ATP_V_INCONC;
	assert_int_equal(ana_report_add(&rep, &f), ATP_OK);
	assert_int_equal(ana_report_verdict(&rep), ATP_V_INCONC);
	f.rule = "y";
	f.verdict = ATP_V_FAIL;
	assert_int_equal(ana_report_add(&rep, &f), ATP_OK);
	assert_int_equal(ana_report_verdict(&rep), ATP_V_FAIL);
	ana_report_free(&rep);
}

static void
findings_are_kept_up_to_a_ceiling_per_rule_and_counted_beyond(void **state)
{
	struct ana_report rep;
	struct ana_finding f;
	unsigned long i;

	(void)state;
	ana_report_init(&rep);
	memset(&f, 0, sizeof(f));
	f.rule = "many";
	f.verdict = ATP_V_FAIL;
	for (i = 0; i < ANA_FINDINGS_MAX + 50; i++)
		assert_int_equal(ana_report_add(&rep, &f), ATP_OK);
	assert_int_equal(rep.nf, ANA_FINDINGS_MAX);
	assert_int_equal(rep.dropped, 50);
	assert_int_equal(rep.rules[0].n, ANA_FINDINGS_MAX + 50);
	ana_report_free(&rep);
}

/*
 * The session's sequence chart: its messages in order (the host's lines
 * and payload, the module's responses and data), each failing finding as
 * a note where it arose; past ANA_CHART_MSGS only counted. The report
 * model gets them with their lifelines.
 */
static void
the_chart_keeps_the_first_messages_with_the_findings_where_they_arose(void **state)
{
	static const struct { unsigned from, to; const char *what; } want[] = {
		{ ANA_LANE_HOST, ANA_LANE_MODULE, "AT+SKCT=0,0,10.0.0.1,80" },
		{ ANA_LANE_MODULE, ANA_LANE_HOST, "+OK=1" },
		{ ANA_LANE_HOST, ANA_LANE_MODULE, "AT+SKSND=1,9" },
		{ ANA_LANE_MODULE, ANA_LANE_HOST, "+OK=9" },
		{ ANA_LANE_HOST, ANA_LANE_MODULE, "data, 3 bytes" },
		{ ANA_LANE_MODULE, ANA_LANE_HOST, "+OK" },
		{ ANA_LANE_MODULE, ANA_LANE_MODULE, "data-short: AT+SKSND: 3 of 9 announced" },
		{ ANA_LANE_MODULE, ANA_LANE_MODULE, "resp-unsolicited: " },
	};
	struct ana_report rep;
	struct ana_session *s = NULL;
	struct ana_session_opts o;
	struct rpt_run *run = NULL;
	size_t i;

	(void)state;
	/* scases[6]: a response while SKSND payload is still owed. */
	assert_string_equal(scases[6].name, "a response while payload is still owed is data-short");
	run_case(&scases[6], &rep);
	assert_int_equal(rep.ncharts, 1);
	assert_string_equal(rep.charts[0].name, "case");
	assert_int_equal(rep.charts[0].n, NROWS(want));
	assert_int_equal(rep.charts[0].total, NROWS(want) - 2);
	for (i = 0; i < NROWS(want); i++) {
		const struct ana_msc *m = &rep.charts[0].m[i];
		if (m->from != want[i].from || m->to != want[i].to ||
		    strncmp(m->what, want[i].what, strlen(want[i].what)) != 0)
			fail_msg("message %zu: %u->%u '%s', want %u->%u '%s'", i, m->from, m->to,
			    m->what, want[i].from, want[i].to, want[i].what);
	}
	assert_int_equal(rep.charts[0].m[6].verdict, ATP_V_FAIL);
	assert_int_equal(rep.charts[0].m[1].ts_us, 1000000000000ull + 50000u);
	assert_int_equal(ana_to_rpt(&rep, 0, &run), ATP_OK);
	assert_int_equal(run->ncharts, 1);
	assert_int_equal(run->charts[0]->nmsgs, NROWS(want));
	assert_string_equal(run->charts[0]->msgs[0].from, "host");
	assert_string_equal(run->charts[0]->msgs[0].to, "module");
	assert_string_equal(run->charts[0]->msgs[1].from, "module");
	assert_string_equal(run->charts[0]->msgs[5].label, "+OK");
	assert_int_equal(run->charts[0]->msgs[6].verdict, RPT_FAIL);
	assert_int_equal(run->charts[0]->msgs[5].verdict, RPT_PASS);
	rpt_run_free(run);
	ana_report_free(&rep);

	/* A long session: the first messages are kept, all are counted; a
	 * second session has a chart of its own. */
	memset(&o, 0, sizeof(o));
	ana_report_init(&rep);
	assert_int_equal(ana_session_new(&o, &rep, &s), ATP_OK);
	for (i = 0; i < 2 * ANA_CHART_MSGS; i++) {
		struct atp_rec r;
		memset(&r, 0, sizeof(r));
		r.dir = i % 2 == 0 ? ATP_DIR_TO_MODULE : ATP_DIR_FROM_MODULE;
		r.ts_us = 1000000000000ull + i * 1000u;
		r.bytes = atp_span_str(i % 2 == 0 ? "AT+QVER\r" : "+OK=1\r\n\r\n");
		r.src_file = "long";
		assert_int_equal(ana_session_feed(s, &r), ATP_OK);
	}
	assert_int_equal(ana_session_end(s), ATP_OK);
	ana_session_free(s);
	assert_int_equal(ana_session_new(&o, &rep, &s), ATP_OK);
	ana_session_free(s);
	assert_int_equal(rep.ncharts, 2);
	assert_int_equal(rep.charts[0].n, ANA_CHART_MSGS);
	assert_int_equal(rep.charts[0].total, 2 * ANA_CHART_MSGS);
	assert_string_equal(rep.charts[0].m[ANA_CHART_MSGS - 1].what, "+OK=1");
	assert_int_equal(rep.charts[1].n, 0);
	/* A session with nothing to draw gives no chart. */
	assert_int_equal(ana_to_rpt(&rep, 0, &run), ATP_OK);
	assert_int_equal(run->ncharts, 1);
	assert_int_equal(run->charts[0]->total, 2 * ANA_CHART_MSGS);
	assert_int_equal(run->sessions, 1);
	rpt_run_free(run);
	ana_report_free(&rep);

	/* Sessions past the charts' ceiling are analyzed and counted, so
	 * the page can say how many it does not draw. */
	ana_report_init(&rep);
	for (i = 0; i < ANA_CHARTS_MAX + 6; i++) {
		struct atp_rec r;
		memset(&r, 0, sizeof(r));
		r.dir = ATP_DIR_TO_MODULE;
		r.ts_us = 1000000000000ull;
		r.bytes = atp_span_str("AT+QVER\r");
		r.src_file = "many";
		assert_int_equal(ana_session_new(&o, &rep, &s), ATP_OK);
		assert_int_equal(ana_session_feed(s, &r), ATP_OK);
		assert_int_equal(ana_session_end(s), ATP_OK);
		ana_session_free(s);
	}
	assert_int_equal(rep.ncharts, ANA_CHARTS_MAX);
	assert_int_equal(rep.nsessions, ANA_CHARTS_MAX + 6);
	assert_int_equal(ana_to_rpt(&rep, 0, &run), ATP_OK);
	assert_int_equal(run->ncharts, ANA_CHARTS_MAX);
	assert_int_equal(run->sessions, ANA_CHARTS_MAX + 6);
	rpt_run_free(run);
	ana_report_free(&rep);
}

/*
 * A kept finding carries the bytes it concerns as text and hex (the first
 * 32 bytes), and for a response the command line it answers; a finding on
 * the host's line carries that line.
 */
static void
a_kept_finding_has_its_bytes_and_the_command_before_it(void **state)
{
	static const struct scase c = {
		"bytes", NULL, NULL,
		{ H(0, "AT+WPRT=7\r"), M(10, "+OK\r\n\r\n"), H(100, "AT+FOO\r"),
		  M(110, "+ERR=-2\r\n\r\n"), H(200, "AT+WPRT=9\r"),
		  M(210, "+OK=0123456789012345678901234567890123456789\r\n\r\n") },
		{ NULL }, 0, 0 };
	struct ana_report rep;
	const struct ana_finding *exp = NULL, *unk = NULL, *lng = NULL;
	size_t i;

	(void)state;
	run_case(&c, &rep);
	for (i = 0; i < rep.nf; i++) {
		const struct ana_finding *f = &rep.f[i];
		if (strcmp(f->rule, "resp-expected-error") == 0 && f->line == 2)
			exp = f;
		else if (strcmp(f->rule, "cmd-unknown") == 0)
			unk = f;
		else if (f->line == 6 && lng == NULL)
			lng = f;
		/* No span outlives the session's buffers. */
		assert_int_equal(f->bytes.len, 0);
		assert_int_equal(f->before.len, 0);
	}
	assert_non_null(exp);
	assert_string_equal(exp->actual, "+OK\\r\\n\\r\\n");
	assert_string_equal(exp->actual_hex, "2B 4F 4B 0D 0A 0D 0A");
	assert_string_equal(exp->before_text, "AT+WPRT=7");
	assert_non_null(unk);
	assert_string_equal(unk->actual, "AT+FOO\\r");
	assert_string_equal(unk->before_text, "");
	assert_non_null(lng);
	assert_string_equal(lng->before_text, "AT+WPRT=9");
	assert_int_equal(strlen(lng->actual_hex), 32 * 3 - 1 + 4);
	assert_non_null(strstr(lng->actual_hex, "2B 4F 4B 3D 30 31 "));
	assert_non_null(strstr(lng->actual_hex, " ..."));
	ana_report_free(&rep);
}

/* Every allocation of an importer, a session and a report may fail: each
 * failure gives ATP_ERR_NOMEM (or a smaller report), never a crash or a
 * leak (run under the sanitizers). */
static void
allocation_failures_are_errors_not_crashes(void **state)
{
	static const char in[] = "2026-11-24 10:00:00.000000: DTE2DCE\n41 54 2B 51 56 45 52 0D\n"
	    "2026-11-24 10:00:00.012000: DCE2DTE\n2B 4F 4B 3D 31 0D 0A 0D 0A\n"
	    "2026-11-24 10:00:01.000000: DTE2DCE\n41 54 2B 51 56 45 52 0D\n";
	unsigned long n;
	int completed = 0;

	(void)state;
	assert_int_equal(atp_model_init(NULL), ATP_OK);
	for (n = 1; n < 200 && !completed; n++) {
		struct ana_imp *im = NULL;
		struct ana_session *s = NULL;
		struct ana_report rep;
		struct atp_rec r;
		int rc = ATP_OK;

		ana_report_init(&rep);
		atp_alloc_fail_at(n);
		if (ana_imp_open_mem(in, sizeof(in) - 1, "m", ANA_FMT_AUTO, NULL, &im, NULL) != ATP_OK) {
			assert_null(im);
			goto next;
		}
		if (ana_session_new(NULL, &rep, &s) != ATP_OK) {
			assert_null(s);
			goto next;
		}
		while (rc == ATP_OK && ana_imp_next(im, &r, NULL) == 1)
			rc = ana_session_feed(s, &r);
		if (rc == ATP_OK)
			rc = ana_session_end(s);
		assert_true(rc == ATP_OK || rc == ATP_ERR_NOMEM);
		completed = rc == ATP_OK;
next:
		atp_alloc_fail_at(0);
		ana_session_free(s);
		ana_imp_close(im);
		ana_report_free(&rep);
	}
	/* Some n lets everything through: the loop saw every allocation. */
	assert_true(completed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sessions_give_the_findings_of_their_rules),
		cmocka_unit_test(findings_carry_the_source_line_and_the_command),
		cmocka_unit_test(a_repeated_exchange_gives_its_findings_each_time_at_its_own_record),
		cmocka_unit_test(timing_rows_give_percentiles_of_the_final_byte),
		cmocka_unit_test(percentiles_are_nearest_ranks_of_the_sorted_times),
		cmocka_unit_test(the_verdict_is_the_worst_and_known_does_not_fail),
		cmocka_unit_test(findings_are_kept_up_to_a_ceiling_per_rule_and_counted_beyond),
		cmocka_unit_test(the_chart_keeps_the_first_messages_with_the_findings_where_they_arose),
		cmocka_unit_test(a_kept_finding_has_its_bytes_and_the_command_before_it),
		cmocka_unit_test(allocation_failures_are_errors_not_crashes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
