/* SPDX-License-Identifier: MIT */
/* \summary: the validator: exchanges through the real parser and framer, judged */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "atproof/atproof.h"

/*
 * Each row is one exchange: a profile, the command line the host sent and
 * the bytes the module answered. The line goes through atp_cmdline_parse(),
 * the bytes through a framer told to expect that command, and each frame
 * through the validator: the first response with atp_validate_response(),
 * anything else (later responses included) with atp_validate_other(). The findings must be exactly the row's
 * (rule, verdict) pairs, in any order.
 */

#define WANT_MAX 4
#define GOT_MAX 16

struct want {
	const char *rule;
	enum atp_verdict verdict;
};

struct row {
	const char *what;       /* the case, as a sentence */
	const char *profile;
	const char *line;       /* CR included; NULL: no command (generic checks) */
	const char *resp;
	struct want want[WANT_MAX];
};

struct got {
	const struct atp_profile *prof;
	const struct atp_cmdline *cl;
	size_t n;
	struct atp_finding f[GOT_MAX];
	size_t nresp;
	int rc;                 /* the first return that was not ATP_OK */
	int fail_alloc;         /* make allocations fail while validating */
};

static void
on_finding(void *ctx, const struct atp_finding *f)
{
	struct got *g = ctx;

	if (g->n < GOT_MAX)
		g->f[g->n] = *f;
	g->n++;
}

static void
on_frame(void *ctx, const struct atp_frame *f)
{
	struct got *g = ctx;
	int rc;

	if (g->fail_alloc)
		atp_alloc_fail_at(1);
	if (f->kind == ATP_FRAME_RESPONSE && g->nresp++ == 0)
		rc = atp_validate_response(g->cl, f, g->prof, on_finding, g);
	else
		rc = atp_validate_other(f, g->prof, on_finding, g);
	if (g->fail_alloc)
		atp_alloc_fail_at(0);
	if (rc != ATP_OK && g->rc == ATP_OK)
		g->rc = rc;
}

/* Runs the exchange of @r into @g. */
static void
run_exchange(const struct row *r, struct got *g, struct atp_cmdline *cl)
{
	struct atp_framer *fr = NULL;
	struct atp_diag d;

	memset(g, 0, sizeof(*g));
	g->prof = atp_profile_find(r->profile);
	if (g->prof == NULL)
		fail_msg("%s: no profile '%s'", r->what, r->profile);
	if (r->line != NULL) {
		atp_diag_clear(&d);
		if (atp_cmdline_parse(atp_span_str(r->line), cl, &d) != ATP_OK)
			fail_msg("%s: the line does not parse: %s", r->what, d.msg);
		g->cl = cl;
	}
	assert_int_equal(atp_framer_new(NULL, &fr), ATP_OK);
	if (g->cl != NULL && cl->cmd != NULL)
		atp_framer_expect(fr, cl->cmd, cl->form);
	assert_int_equal(atp_framer_feed(fr, r->resp, strlen(r->resp), on_frame, g), ATP_OK);
	assert_int_equal(atp_framer_flush(fr, on_frame, g), ATP_OK);
	atp_framer_free(fr);
}

static size_t
nwant(const struct row *r)
{
	size_t n = 0;

	while (n < WANT_MAX && r->want[n].rule != NULL)
		n++;
	return n;
}

/* What every finding must satisfy, whatever the row. */
static int
finding_is_well_formed(const struct got *g, const struct atp_finding *f, char *why, size_t size)
{
	if (f->rule == NULL || f->section == NULL || f->message[0] == '\0') {
		snprintf(why, size, "finding without rule, section or message");
		return 0;
	}
	if (f->deviation != NULL) {
		int has = atp_profile_has(g->prof, f->deviation);
		if (strcmp(f->rule, f->deviation->id) != 0 ||
		    strcmp(f->section, f->deviation->section) != 0) {
			snprintf(why, size, "%s: rule/section are not the deviation's", f->rule);
			return 0;
		}
		if (has ? (f->verdict != ATP_V_KNOWN || f->severity != ATP_SEV_WARNING) :
		    (f->verdict != ATP_V_FAIL || f->severity != ATP_SEV_ERROR)) {
			snprintf(why, size, "%s: verdict %s/%s with the profile %s", f->rule,
			    atp_verdict_name(f->verdict), atp_severity_name(f->severity),
			    has ? "having it" : "lacking it");
			return 0;
		}
	} else if (f->verdict == ATP_V_KNOWN) {
		snprintf(why, size, "%s: known without a deviation", f->rule);
		return 0;
	}
	return 1;
}

/* 0 if the findings of @g are exactly those of @r; else says why. */
static int
judge(const struct row *r, const struct got *g, char *why, size_t size)
{
	int used[GOT_MAX] = { 0 };
	size_t i, k, n = nwant(r);

	if (g->rc != ATP_OK) {
		snprintf(why, size, "validator returned %d", g->rc);
		return -1;
	}
	if (g->nresp == 0) {
		snprintf(why, size, "no response framed");
		return -1;
	}
	for (i = 0; i < g->n && i < GOT_MAX; i++)
		if (!finding_is_well_formed(g, &g->f[i], why, size))
			return -1;
	for (k = 0; k < n; k++) {
		for (i = 0; i < g->n && i < GOT_MAX; i++) {
			if (!used[i] && strcmp(g->f[i].rule, r->want[k].rule) == 0 &&
			    g->f[i].verdict == r->want[k].verdict) {
				used[i] = 1;
				break;
			}
		}
		if (i == g->n || i == GOT_MAX) {
			snprintf(why, size, "missing %s/%s", r->want[k].rule,
			    atp_verdict_name(r->want[k].verdict));
			return -1;
		}
	}
	if (g->n != n) {
		snprintf(why, size, "%zu findings, want %zu", g->n, n);
		return -1;
	}
	return 0;
}

static void
run_table(const struct row *rows, size_t nrows)
{
	struct atp_cmdline cl;
	struct got g;
	size_t i, k, bad = 0;

	for (i = 0; i < nrows; i++) {
		char why[256];
		run_exchange(&rows[i], &g, &cl);
		if (judge(&rows[i], &g, why, sizeof(why)) == 0)
			continue;
		bad++;
		print_error("%s [%s]: %s\n", rows[i].what, rows[i].profile, why);
		for (k = 0; k < g.n && k < GOT_MAX; k++)
			print_error("    %s/%s §%s: %s\n", g.f[k].rule, atp_verdict_name(g.f[k].verdict),
			    g.f[k].section, g.f[k].message);
	}
	assert_int_equal(bad, 0);
}

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))
#define FAILV ATP_V_FAIL
#define KNOWN ATP_V_KNOWN

/* The manual's own examples (and their formats) conform: no findings. */
static const struct row conformant[] = {
	{ "QMAC answers its MAC in lower case (§2.2.1.8)", "manual",
	  "AT+QMAC\r", "+OK=286dcd004e7d\r\n\r\n", { { NULL, 0 } } },
	{ "WJOIN answers the joined network (§2.2.3.4)", "manual",
	  "AT+WJOIN\r", "+OK=3c46d82bd81e,0,11,0,\"TP-LINK_HyFi_1E\",53\r\n\r\n", { { NULL, 0 } } },
	{ "WJOIN may fail with -10 (§2.1.1.2 example 2)", "manual",
	  "AT+WJOIN\r", "+ERR=-10\r\n\r\n", { { NULL, 0 } } },
	{ "LKSTT answers the quoted addresses (§2.2.3.7)", "manual", "AT+LKSTT\r",
	  "+OK=1,\"192.168.1.109\",\"255.255.255.0\",\"192.168.1.1\",\"192.168.1.1\",\"0.0.0.0\"\r\n\r\n",
	  { { NULL, 0 } } },
	{ "LKSTT answers the status alone when disconnected", "manual",
	  "AT+LKSTT\r", "+OK=0\r\n\r\n", { { NULL, 0 } } },
	{ "SKSTT answers the socket's state (§2.2.3.13)", "manual",
	  "AT+SKSTT=1\r", "+OK=1,2,\"36.7.87.100\",6100,59749,0\r\n\r\n", { { NULL, 0 } } },
	{ "SKSTT of a server lists its clients, then one empty line", "manual", "AT+SKSTT=1\r",
	  "+OK=1,1,\"0.0.0.0\",0,80,0\r\n2,2,\"192.168.1.9\",5000,80,12\r\n\r\n", { { NULL, 0 } } },
	{ "SKGHBN answers the quoted IP (§2.2.3.2)", "manual",
	  "AT+SKGHBN=www.baidu.com\r", "+OK=\"115.239.211.112\"\r\n\r\n", { { NULL, 0 } } },
	{ "NIP=? answers the configured addresses (§2.2.2.2)", "manual", "AT+NIP=?\r",
	  "+OK=0,192.168.1.1,255.255.255.0,192.168.1.1,192.168.1.1\r\n\r\n", { { NULL, 0 } } },
	{ "WPRT=!2 answers +OK (§2.2.2.1)", "manual",
	  "AT+WPRT=!2\r", "+OK\r\n\r\n", { { NULL, 0 } } },
	{ "KEY with an empty quoted key is a set (§2.2.2.2)", "manual",
	  "AT+KEY=!1,0,\"\"\r", "+OK\r\n\r\n", { { NULL, 0 } } },
	{ "WSCAN lists one network per line and ends with one empty line", "manual", "AT+WSCAN\r",
	  "+OK=828917C49D9A,2,1,1,\"AirM2M_WiFi\",70\r\nC4CAD90B1592,2,1,1,\"qianyue-lan\",86\r\n"
	  "3C46D82BD81E,2,11,0,\"TP-LINK_HyFi_1E\",60\r\n\r\n", { { NULL, 0 } } },
	{ "WSCAN with no network in range answers +OK=", "manual",
	  "AT+WSCAN\r", "+OK=\r\n\r\n", { { NULL, 0 } } },
	{ "SLIST in the format's single-comma form (§2.2.3.9)", "manual",
	  "AT+SLIST\r", "+OK=1,94-FE-22-9A-B5-28,192.168.1.2\r\n\r\n", { { NULL, 0 } } },
	{ "SKRCV's counted data follows its response (§2.2.3.12)", "manual",
	  "AT+SKRCV=1,5\r", "+OK=5\r\n\r\nhello", { { NULL, 0 } } },
	{ "Z may be followed by the ready banner (§2.2.1.2)", "manual",
	  "AT+Z\r", "+OK\r\n\r\nready\r\n", { { NULL, 0 } } },
	{ "an unknown command answered -2 is what the manual requires", "manual",
	  "AT+FOO\r", "+ERR=-2\r\n\r\n", { { NULL, 0 } } },
	{ "a form the command lacks answered -3 is what the manual requires", "manual",
	  "AT+QMAC=!\r", "+ERR=-3\r\n\r\n", { { NULL, 0 } } },
	{ "an out-of-range argument answered -4 is what the manual requires", "manual",
	  "AT+WPRT=5\r", "+ERR=-4\r\n\r\n", { { NULL, 0 } } },
	{ "a documented flash error of a parameter command is no finding", "manual",
	  "AT+WPRT=!1\r", "+ERR=-7\r\n\r\n", { { NULL, 0 } } },
	{ "a socket report after a response is checked and conforms", "manual", "AT+SKSDF=1\r",
	  "+OK\r\n\r\n+SKTRPT=1,5,192.168.1.100,1000\r\n\r\nhello", { { NULL, 0 } } },
	{ "a deviation's form from a profile that has it is still fine when absent", "luat",
	  "AT+SLIST\r", "+OK=0\r\n\r\n", { { NULL, 0 } } },
};

/* Every catalogued deviation of the kinds the validator recognises, with
 * the manual profile (a failure), a profile that has it (known) and, for
 * the ones of one firmware only, the other (a failure). */
static const struct row deviations[] = {
	/* SHAPE */
	{ "SLIST's double comma", "manual",
	  "AT+SLIST\r", "+OK=1,,94-FE-22-9A-B5-28,192.168.1.2\r\n\r\n",
	  { { "slist-double-comma", FAILV } } },
	{ "SLIST's double comma", "luat",
	  "AT+SLIST\r", "+OK=1,,94-FE-22-9A-B5-28,192.168.1.2\r\n\r\n",
	  { { "slist-double-comma", KNOWN } } },
	{ "SLIST's double comma", "g3",
	  "AT+SLIST\r", "+OK=1,,94-FE-22-9A-B5-28,192.168.1.2\r\n\r\n",
	  { { "slist-double-comma", FAILV } } },
	{ "WSCAN's auth-mode mask, once per list", "manual", "AT+WSCAN\r",
	  "+OK=828917C49D9A,2,1,4,\"AirM2M_WiFi\",70\r\nC4CAD90B1592,2,1,32,\"q\",86\r\n\r\n",
	  { { "wscan-authmode", FAILV } } },
	{ "WSCAN's auth-mode mask, once per list", "g3", "AT+WSCAN\r",
	  "+OK=828917C49D9A,2,1,4,\"AirM2M_WiFi\",70\r\nC4CAD90B1592,2,1,32,\"q\",86\r\n\r\n",
	  { { "wscan-authmode", KNOWN } } },
	{ "WSCAN's auth-mode mask, once per list", "luat", "AT+WSCAN\r",
	  "+OK=828917C49D9A,2,1,4,\"AirM2M_WiFi\",70\r\nC4CAD90B1592,2,1,32,\"q\",86\r\n\r\n",
	  { { "wscan-authmode", FAILV } } },
	{ "HTTPC's session number", "manual", "AT+HTTPC=http://example.com/,0\r",
	  "+OK=180353028\r\n\r\n", { { "httpc-ok-session", FAILV } } },
	{ "HTTPC's session number", "luat", "AT+HTTPC=http://example.com/,0\r",
	  "+OK=180353028\r\n\r\n", { { "httpc-ok-session", KNOWN } } },
	{ "DNAME's stub query", "manual", "AT+DNAME=?\r", "+OK\r\n\r\n",
	  { { "dname-stub", FAILV } } },
	{ "DNAME's stub query", "g3", "AT+DNAME=?\r", "+OK\r\n\r\n",
	  { { "dname-stub", KNOWN } } },
	{ "UART's query with flow control", "manual", "AT+UART=?\r", "+OK=115200,0,0,0,0\r\n\r\n",
	  { { "uart-query-flow", FAILV } } },
	{ "UART's query with flow control", "luat", "AT+UART=?\r", "+OK=115200,0,0,0,0\r\n\r\n",
	  { { "uart-query-flow", KNOWN } } },
	{ "BSSID's query without its unused field", "manual", "AT+BSSID=?\r", "+OK=0\r\n\r\n",
	  { { "query-omits-unused", FAILV } } },
	{ "WEBS's query without its unused field", "g3", "AT+WEBS=?\r", "+OK=0\r\n\r\n",
	  { { "query-omits-unused", KNOWN } } },
	/* TERM */
	{ "SKRPTM's query LF", "manual", "AT+SKRPTM=?\r", "+OK=1\n\r\n\r\n",
	  { { "skrptm-query-lf", FAILV } } },
	{ "SKRPTM's query LF", "luat", "AT+SKRPTM=?\r", "+OK=1\n\r\n\r\n",
	  { { "skrptm-query-lf", KNOWN } } },
	{ "the lists' extra empty line", "manual", "AT+WSCAN\r",
	  "+OK=828917C49D9A,2,1,1,\"AirM2M_WiFi\",70\r\nC4CAD90B1592,2,1,1,\"q\",86\r\n\r\n\r\n",
	  { { "list-extra-crlf", FAILV } } },
	{ "the lists' extra empty line", "g3", "AT+WSCAN\r",
	  "+OK=828917C49D9A,2,1,1,\"AirM2M_WiFi\",70\r\nC4CAD90B1592,2,1,1,\"q\",86\r\n\r\n\r\n",
	  { { "list-extra-crlf", KNOWN } } },
	{ "the lists' extra empty line after one socket", "luat", "AT+SKSTT=1\r",
	  "+OK=1,2,\"36.7.87.100\",6100,59749,0\r\n\r\n\r\n", { { "list-extra-crlf", KNOWN } } },
	{ "a parse-stage error's single CRLF", "manual", "AT+ABCDEFGHIJ\r", "+ERR=-2\r\n",
	  { { "parse-error-single-crlf", FAILV } } },
	{ "a parse-stage error's single CRLF", "luat", "AT+ABCDEFGHIJ\r", "+ERR=-2\r\n",
	  { { "parse-error-single-crlf", KNOWN } } },
	{ "a parse-stage error's single CRLF before the next response", "g3",
	  "AT+WPRT=1,2,3,4,5,6,7,8,9,10\r", "+ERR=-4\r\n+OK\r\n\r\n",
	  { { "parse-error-single-crlf", KNOWN } } },
	/* ERRCODE */
	{ "-2 for a form the command lacks", "manual", "AT+QMAC=!\r", "+ERR=-2\r\n\r\n",
	  { { "form-not-allowed-err2", FAILV } } },
	{ "-2 for a form the command lacks", "luat", "AT+QMAC=!\r", "+ERR=-2\r\n\r\n",
	  { { "form-not-allowed-err2", KNOWN } } },
	{ "-2 for a missing argument", "manual", "AT+KEY=1,0\r", "+ERR=-2\r\n\r\n",
	  { { "missing-arg-err2", FAILV } } },
	{ "-2 for a missing argument", "g3", "AT+KEY=1,0\r", "+ERR=-2\r\n\r\n",
	  { { "missing-arg-err2", KNOWN } } },
	{ "-2 for no argument at all", "luat", "AT+SSID=\r", "+ERR=-2\r\n\r\n",
	  { { "missing-arg-err2", KNOWN } } },
	{ "-3 for a bad UART parameter", "manual", "AT+UART=115200,3,0,0\r", "+ERR=-3\r\n\r\n",
	  { { "uart-err3", FAILV } } },
	{ "-3 for a bad UART parameter", "g3", "AT+UART=115200,3,0,0\r", "+ERR=-3\r\n\r\n",
	  { { "uart-err3", KNOWN } } },
	{ "a legacy name of the table answered -2", "manual", "AT+LKSTI\r", "+ERR=-2\r\n\r\n",
	  { { "legacy-names-absent", FAILV } } },
	{ "a legacy name of the table answered -2", "luat", "AT+QMAC2\r", "+ERR=-2\r\n\r\n",
	  { { "legacy-names-absent", KNOWN } } },
	{ "MQTT answered -2", "manual", "AT+MCONNECT\r", "+ERR=-2\r\n\r\n",
	  { { "mqtt-absent", FAILV } } },
	{ "MQTT answered -2", "g3", "AT+MSERVER=1883,120.55.137.106\r", "+ERR=-2\r\n\r\n",
	  { { "mqtt-absent", KNOWN } } },
	{ "MQTT answered -2", "luat", "AT+MCONNECT\r", "+ERR=-2\r\n\r\n",
	  { { "mqtt-absent", FAILV } } },
	{ "WWPS answered -2", "manual", "AT+WWPS=get_pin\r", "+ERR=-2\r\n\r\n",
	  { { "wwps-absent", FAILV } } },
	{ "WWPS answered -2", "g3", "AT+WWPS=get_pin\r", "+ERR=-2\r\n\r\n",
	  { { "wwps-absent", KNOWN } } },
	{ "WWPS answered -2", "luat", "AT+WWPS=get_pin\r", "+ERR=-2\r\n\r\n",
	  { { "wwps-absent", FAILV } } },
	/* FORM */
	{ "+OK to =? of a bare query", "manual", "AT+QMAC=?\r", "+OK=286dcd004e7d\r\n\r\n",
	  { { "extra-forms", FAILV } } },
	{ "+OK to =? of a bare query", "luat", "AT+QMAC=?\r", "+OK=286dcd004e7d\r\n\r\n",
	  { { "extra-forms", KNOWN } } },
	{ "+OK to a bare parameter query", "g3", "AT+WPRT\r", "+OK=0\r\n\r\n",
	  { { "extra-forms", KNOWN } } },
	{ "a bare UART query: the extra form and the flow field", "luat", "AT+UART\r",
	  "+OK=115200,0,0,0,0\r\n\r\n", { { "extra-forms", KNOWN }, { "uart-query-flow", KNOWN } } },
	{ "-4 to an extra form's argument: the firmware took the form", "luat",
	  "AT+ONESHOT=!7\r", "+ERR=-4\r\n\r\n", { { "extra-forms", KNOWN } } },
	{ "an extra form's reply is still checked against its shape", "luat",
	  "AT+QMAC=?\r", "+OK=286dcd004e\r\n\r\n", { { "extra-forms", KNOWN }, { "resp-shape", FAILV } } },
	/* ACCEPTS */
	{ "HTTPC's HEAD verb taken", "manual", "AT+HTTPC=http://example.com/,1\r", "+OK\r\n\r\n",
	  { { "httpc-head-verb", FAILV } } },
	{ "HTTPC's HEAD verb taken, with a session number", "luat",
	  "AT+HTTPC=http://example.com/,1\r", "+OK=180353028\r\n\r\n",
	  { { "httpc-head-verb", KNOWN }, { "httpc-ok-session", KNOWN } } },
	{ "a baud rate beyond the manual's", "manual", "AT+UART=230400,0,0,0\r", "+OK\r\n\r\n",
	  { { "uart-more-rates", FAILV } } },
	{ "a baud rate beyond the manual's", "g3", "AT+UART=!921600,0,0,0,0\r", "+OK\r\n\r\n",
	  { { "uart-more-rates", KNOWN } } },
	{ "security mode 8", "manual", "AT+ENCRY=8\r", "+OK\r\n\r\n",
	  { { "encry-range-0-8", FAILV } } },
	{ "security mode 7 of the SoftAP", "luat", "AT+APENCRY=!7\r", "+OK\r\n\r\n",
	  { { "encry-range-0-8", KNOWN } } },
	{ "SKSND of 70000 bytes clamped (manual)", "manual", "AT+SKSND=1,70000\r", "+OK=512\r\n\r\n",
	  { { "sksnd-clamp-512", FAILV } } },
	{ "SKSND of 70000 bytes clamped (g3)", "g3", "AT+SKSND=1,70000\r", "+OK=512\r\n\r\n",
	  { { "sksnd-clamp-512", KNOWN } } },
	{ "SKRCV of 70000 bytes clamped (luat)", "luat", "AT+SKRCV=1,70000\r", "+OK=0\r\n\r\n",
	  { { "skrcv-clamp-1024", KNOWN } } },
	{ "SKRCV of 70000 bytes clamped (manual)", "manual", "AT+SKRCV=1,70000\r", "+OK=0\r\n\r\n",
	  { { "skrcv-clamp-1024", FAILV } } },
	{ "security mode 7 read back (luat)", "luat", "AT+ENCRY=?\r", "+OK=7\r\n\r\n",
	  { { "encry-range-0-8", KNOWN } } },
	{ "security mode 7 read back (manual)", "manual", "AT+ENCRY=?\r", "+OK=7\r\n\r\n",
	  { { "encry-range-0-8", FAILV } } },
	{ "a key index out of range read back is no deviation", "luat", "AT+KEY=?\r",
	  "+OK=1,7,abc\r\n\r\n", { { "resp-range", FAILV } } },
	{ "one-click status 2", "manual", "AT+ONESHOT=2\r", "+OK\r\n\r\n",
	  { { "oneshot-mode-2", FAILV } } },
	{ "one-click status 2", "g3", "AT+ONESHOT=2\r", "+OK\r\n\r\n",
	  { { "oneshot-mode-2", KNOWN } } },
};

/* Departures no deviation explains, and deviations that do not fit the
 * situation although their code or ending does. */
static const struct row failures[] = {
	/* values and shapes */
	{ "a channel out of 1..14", "manual", "AT+WJOIN\r",
	  "+OK=3c46d82bd81e,0,15,0,\"TP-LINK_HyFi_1E\",53\r\n\r\n", { { "resp-range", FAILV } } },
	{ "an IP octet above 255", "luat", "AT+LKSTT\r",
	  "+OK=1,\"192.168.1.300\",\"255.255.255.0\",\"192.168.1.1\",\"192.168.1.1\",\"0.0.0.0\"\r\n\r\n",
	  { { "resp-range", FAILV } } },
	{ "a socket state out of range in a list entry", "g3", "AT+SKSTT=1\r",
	  "+OK=1,1,\"0.0.0.0\",0,80,0\r\n2,7,\"192.168.1.9\",5000,80,12\r\n\r\n",
	  { { "resp-range", FAILV } } },
	{ "a MAC one digit short", "luat", "AT+QMAC\r", "+OK=286dcd004e7\r\n\r\n",
	  { { "resp-shape", FAILV } } },
	{ "a reply to a set that carries a value", "manual", "AT+WPRT=1\r", "+OK=1\r\n\r\n",
	  { { "resp-shape", FAILV } } },
	{ "an unquoted SKGHBN address", "luat", "AT+SKGHBN=www.baidu.com\r",
	  "+OK=115.239.211.112\r\n\r\n", { { "resp-shape", FAILV } } },
	{ "SLIST's double comma is a failure where the firmware lacks it", "g3",
	  "AT+SLIST\r", "+OK=1,,94-FE-22-9A-B5-28,192.168.1.2\r\n\r\n",
	  { { "slist-double-comma", FAILV } } },
	/* +OK where the manual requires an error */
	{ "+OK to an unknown command", "luat", "AT+FOO\r", "+OK\r\n\r\n",
	  { { "resp-expected-error", FAILV } } },
	{ "+OK to a form the firmware lacks too", "luat", "AT+SKRPTM\r", "+OK=0\r\n\r\n",
	  { { "resp-expected-error", FAILV } } },
	{ "+OK to an out-of-range type", "luat", "AT+WPRT=5\r", "+OK\r\n\r\n",
	  { { "resp-expected-error", FAILV } } },
	{ "+OK to stop bit 1, which no deviation names", "luat", "AT+UART=9600,0,1,0\r",
	  "+OK\r\n\r\n", { { "resp-expected-error", FAILV } } },
	{ "+OK to arguments that do not fit", "g3", "AT+KEY=1,0\r", "+OK\r\n\r\n",
	  { { "resp-expected-error", FAILV } } },
	/* error codes */
	{ "-9 is no code of §1.2.2", "manual", "AT+QMAC\r", "+ERR=-9\r\n\r\n",
	  { { "resp-errcode", FAILV } } },
	{ "a positive code is no code of §1.2.2", "luat", "AT+WJOIN\r", "+ERR=1\r\n\r\n",
	  { { "resp-errcode", FAILV } } },
	{ "a flash error from a command with no flash", "manual", "AT+QMAC\r", "+ERR=-7\r\n\r\n",
	  { { "resp-errcode", FAILV } } },
	{ "an unreadable error code", "manual", "AT+QMAC\r", "+ERR=x1\r\n\r\n",
	  { { "resp-errcode", FAILV } } },
	{ "-3 where -4 is required, outside UART", "g3", "AT+WPRT=5\r", "+ERR=-3\r\n\r\n",
	  { { "resp-errcode", FAILV } } },
	{ "-2 for an out-of-range argument is no missing argument", "luat", "AT+WPRT=5\r",
	  "+ERR=-2\r\n\r\n", { { "resp-errcode", FAILV } } },
	{ "-3 for too few UART arguments is no UART parameter error", "luat", "AT+UART=115200\r",
	  "+ERR=-3\r\n\r\n", { { "resp-errcode", FAILV } } },
	{ "-2 for a missing argument is no form error", "luat", "AT+SKCT=0,0,1.2.3.4\r",
	  "+ERR=-2\r\n\r\n", { { "missing-arg-err2", KNOWN } } },
	{ "-4 where the manual requires -3 for a form the firmware lacks", "luat", "AT+QMAC=!\r",
	  "+ERR=-4\r\n\r\n", { { "resp-errcode", FAILV } } },
	/* terminators */
	{ "one CRLF after +OK", "luat", "AT+QMAC\r", "+OK=286dcd004e7d\r\n",
	  { { "resp-terminator", FAILV } } },
	{ "two bare LFs", "manual", "AT+QMAC\r", "+OK=286dcd004e7d\n\n",
	  { { "resp-terminator", FAILV } } },
	{ "SKRPTM's LF on a set, where the quirk does not apply", "luat", "AT+SKRPTM=1\r",
	  "+OK\n\r\n\r\n", { { "resp-terminator", FAILV } } },
	{ "a list's extra CRLF on a command that is no list", "g3", "AT+QMAC\r",
	  "+OK=286dcd004e7d\r\n\r\n\r\n", { { "stray-bytes", FAILV } } },
	{ "a response that never ended", "manual", "AT+QMAC\r", "+OK=286dcd004e7d",
	  { { "frame-incomplete", FAILV } } },
	/* around the response */
	{ "a line that is nothing the model knows", "manual", "AT+QMAC\r",
	  "+OK=286dcd004e7d\r\n\r\nhello world\r\n", { { "text-unexpected", FAILV } } },
	{ "counted data cut short", "manual", "AT+SKRCV=1,5\r", "+OK=5\r\n\r\nhel",
	  { { "frame-incomplete", FAILV } } },
	{ "a socket report with socket 25", "luat", "AT+SKSDF=1\r",
	  "+OK\r\n\r\n+SKTRPT=25,5,192.168.1.100,1000\r\n\r\nhello", { { "resp-range", FAILV } } },
	{ "an MQTT result that is neither CONNECTED nor FAIL", "manual", "AT+MCONNECT\r",
	  "+OK\r\n\r\n+MQTT:MAYBE\r\n\r\n", { { "resp-range", FAILV } } },
	{ "a report with one CRLF", "manual", "AT+MCONNECT\r",
	  "+OK\r\n\r\n+MQTT:CONNECTED\r\n+OK\r\n\r\n", { { "resp-terminator", FAILV } } },
};

static void
conformant_exchanges_of_the_manual_give_no_findings(void **state)
{
	(void)state;
	run_table(conformant, NROWS(conformant));
}

static void
each_deviation_is_known_with_its_profile_and_fails_without(void **state)
{
	(void)state;
	run_table(deviations, NROWS(deviations));
}

static void
departures_no_deviation_explains_fail(void **state)
{
	(void)state;
	run_table(failures, NROWS(failures));
}

/* Is (id, verdict) wanted by a row of @profile? */
static int
table_has(const char *profile, const char *id, enum atp_verdict v)
{
	size_t i, k;

	for (i = 0; i < NROWS(deviations); i++) {
		if (strcmp(deviations[i].profile, profile) != 0)
			continue;
		for (k = 0; k < nwant(&deviations[i]); k++)
			if (strcmp(deviations[i].want[k].rule, id) == 0 && deviations[i].want[k].verdict == v)
				return 1;
	}
	return 0;
}

static void
the_deviation_table_covers_every_recognisable_deviation(void **state)
{
	size_t i, p;
	int known;
	(void)state;

	for (i = 0; i < atp_deviation_count(); i++) {
		const struct atp_deviation *dv = atp_deviation_at(i);
		if (dv->kind == ATP_DEV_BEHAVIOUR)
			continue;
		known = 0;
		for (p = 0; p < atp_profile_count(); p++) {
			const struct atp_profile *prof = atp_profile_at(p);
			if (atp_profile_has(prof, dv))
				known |= table_has(prof->name, dv->id, ATP_V_KNOWN);
			else if (!table_has(prof->name, dv->id, ATP_V_FAIL))
				fail_msg("%s: no failing row with profile %s", dv->id, prof->name);
		}
		if (!known)
			fail_msg("%s: no known row with a profile that has it", dv->id);
	}
}

static void
every_shape_deviation_pattern_compiles(void **state)
{
	size_t i;
	(void)state;

	for (i = 0; i < atp_deviation_count(); i++) {
		const struct atp_deviation *dv = atp_deviation_at(i);
		struct atp_shape *sh = NULL;
		struct atp_diag d;
		if (dv->kind != ATP_DEV_SHAPE)
			continue;
		atp_diag_clear(&d);
		if (atp_shape_compile(dv->alt, &sh, &d) != ATP_OK)
			fail_msg("%s: %s", dv->id, d.msg);
		atp_shape_free(sh);
	}
}

/* Host-side rows: the command line alone. */
struct cl_row {
	const char *what;
	const char *profile;
	const char *line;
	const char *rules[WANT_MAX];
};

static const struct cl_row cl_rows[] = {
	{ "a plain query is fine", "manual", "AT+QMAC\r", { NULL } },
	{ "a set with a quoted empty key is fine", "manual", "AT+KEY=1,0,\"\"\r", { NULL } },
	{ "an unknown name", "manual", "AT+FOO\r", { "cmd-unknown" } },
	{ "a form the command lacks", "luat", "AT+QMAC=!\r", { "cmd-form" } },
	{ "too few arguments", "manual", "AT+KEY=1,0\r", { "cmd-args" } },
	{ "a word where a number belongs", "manual", "AT+WPRT=x\r", { "cmd-args" } },
	{ "arguments to a command that takes none, in a form it lacks", "manual",
	  "AT+Z=1\r", { "cmd-form" } },
	{ "an argument out of range", "manual", "AT+WPRT=5\r", { "cmd-arg-range" } },
	{ "two arguments out of range", "manual", "AT+UART=300,0,1,0\r",
	  { "cmd-arg-range", "cmd-arg-range" } },
	{ "lower case prefix and name", "manual", "at+qmac\r", { "cmd-syntax", "cmd-syntax" } },
	{ "a line ended by LF, even where the firmware takes it", "luat", "AT+QMAC\n",
	  { "cmd-syntax" } },
	{ "a trailing comma is one issue, not also bad arguments", "manual", "AT+WPRT=1,\r",
	  { "cmd-syntax" } },
	{ "bytes after =?", "manual", "AT+WPRT=?x\r", { "cmd-syntax" } },
	{ "a space before an argument is one issue", "manual", "AT+SKCT=0,0, 1.2.3.4,80\r",
	  { "cmd-syntax" } },
	{ "a name too long", "manual", "AT+ABCDEFGHIJ\r", { "cmd-syntax", "cmd-unknown" } },
	{ "ten arguments", "manual", "AT+WPRT=1,2,3,4,5,6,7,8,9,10\r", { "cmd-syntax", "cmd-args" } },
	{ "an open quote", "manual", "AT+SSID=\"abc\r", { "cmd-syntax", "cmd-args" } },
};

static void
command_lines_that_break_the_manual_are_host_warnings(void **state)
{
	size_t i, k, bad = 0;
	(void)state;

	for (i = 0; i < NROWS(cl_rows); i++) {
		const struct cl_row *r = &cl_rows[i];
		struct atp_cmdline cl;
		struct got g;
		size_t n = 0;
		int used[GOT_MAX] = { 0 };

		memset(&g, 0, sizeof(g));
		g.prof = atp_profile_find(r->profile);
		assert_int_equal(atp_cmdline_parse(atp_span_str(r->line), &cl, NULL), ATP_OK);
		assert_int_equal(atp_validate_cmdline(&cl, 100, g.prof, on_finding, &g), ATP_OK);
		while (n < WANT_MAX && r->rules[n] != NULL)
			n++;
		for (k = 0; k < g.n && k < GOT_MAX; k++) {
			size_t j;
			assert_int_equal(g.f[k].severity, ATP_SEV_WARNING);
			assert_int_equal(g.f[k].verdict, ATP_V_FAIL);
			assert_null(g.f[k].deviation);
			assert_true(g.f[k].offset == 100);
			for (j = 0; j < n; j++)
				if (!used[j] && strcmp(r->rules[j], g.f[k].rule) == 0)
					break;
			if (j < n)
				used[j] = 1;
			else
				n = SIZE_MAX;
		}
		if (n != g.n) {
			bad++;
			print_error("%s: want %zu findings\n", r->what, n == SIZE_MAX ? 0 : n);
			for (k = 0; k < g.n && k < GOT_MAX; k++)
				print_error("    %s: %s\n", g.f[k].rule, g.f[k].message);
		}
	}
	assert_int_equal(bad, 0);
}

/* Runs one line and response; returns the findings. */
static void
one(const char *profile, const char *line, const char *resp, struct got *g)
{
	static struct atp_cmdline cl;
	struct row r;

	memset(&r, 0, sizeof(r));
	r.what = line;
	r.profile = profile;
	r.line = line;
	r.resp = resp;
	run_exchange(&r, g, &cl);
	assert_int_equal(g->rc, ATP_OK);
}

static void
messages_say_what_was_expected_and_what_came(void **state)
{
	struct got g;
	(void)state;

	one("manual", "AT+WJOIN\r", "+OK=3c46d82bd81e,0,15,0,\"x\",53\r\n\r\n", &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.f[0].section, "2.2.3.4");
	assert_non_null(strstr(g.f[0].message, "channel=15"));
	assert_non_null(strstr(g.f[0].message, "1..14"));
	assert_ptr_equal(g.f[0].cmd, atp_cmd_find_str("WJOIN"));

	one("manual", "AT+QMAC\r", "+OK=28\x01z\r\n\r\n", &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.f[0].rule, ATP_RULE_RESP_SHAPE);
	assert_non_null(strstr(g.f[0].message, "+OK=<mac:MAC>"));
	assert_non_null(strstr(g.f[0].message, "\\x01"));
	assert_non_null(strstr(g.f[0].message, "column 5"));

	one("manual", "AT+QMAC\r", "+OK=286dcd004e7d\r\n", &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.f[0].section, "2.1");
	assert_non_null(strstr(g.f[0].message, "\\r\\n"));

	one("manual", "AT+WPRT=5\r", "+ERR=-3\r\n\r\n", &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.f[0].section, "1.2.2");
	assert_non_null(strstr(g.f[0].message, "+ERR=-4"));
	assert_non_null(strstr(g.f[0].message, "+ERR=-3"));

	one("luat", "AT+SKRPTM=?\r", "+OK=1\n\r\n\r\n", &g);
	assert_int_equal(g.n, 1);
	assert_ptr_equal(g.f[0].deviation, atp_deviation_find("skrptm-query-lf"));
	assert_string_equal(g.f[0].section, "2.2.3.17");
	assert_non_null(strstr(g.f[0].message, "\\n\\r\\n\\r\\n"));
}

static void
keys_and_passwords_stay_out_of_messages(void **state)
{
	struct atp_cmdline cl;
	struct got g;
	size_t k;
	(void)state;

	memset(&g, 0, sizeof(g));
	assert_int_equal(atp_cmdline_parse(atp_span_str("AT+KEY=1,9,\"hunter22\"\r"), &cl, NULL), ATP_OK);
	assert_int_equal(atp_validate_cmdline(&cl, 0, NULL, on_finding, &g), ATP_OK);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.f[0].rule, ATP_RULE_CMD_ARG_RANGE);
	assert_null(strstr(g.f[0].message, "hunter22"));

	one("manual", "AT+KEY=?\r", "+OK=x,0,hunter22\r\n\r\n", &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.f[0].rule, ATP_RULE_RESP_SHAPE);
	for (k = 0; k < g.n && k < GOT_MAX; k++)
		assert_null(strstr(g.f[k].message, "hunter22"));
}

static void
findings_carry_the_offset_of_their_frame(void **state)
{
	struct got g;
	(void)state;

	/* an echo (9 bytes) before the response */
	one("manual", "AT+QMAC\r", "AT+QMAC\r\n+OK=bad\r\n\r\n", &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.f[0].rule, ATP_RULE_RESP_SHAPE);
	assert_true(g.f[0].offset == 9);
}

static void
a_line_longer_than_the_framer_ceiling_is_one_finding(void **state)
{
	static char resp[ATP_FRAME_LINE_MAX * 2 + 16];
	struct got g;
	(void)state;

	memset(resp, 'x', sizeof(resp) - 1);
	memcpy(resp, "+OK=", 4);
	memcpy(resp + sizeof(resp) - 5, "\r\n\r\n", 4);
	one("manual", "AT+QVER\r", resp, &g);
	assert_true(g.nresp >= 2);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.f[0].rule, ATP_RULE_RESP_SHAPE);
	assert_true(g.f[0].offset == 0);
}

/* The finding of @g with @rule whose message holds @text, or fails. */
static const struct atp_finding *
finding_with(const struct got *g, const char *rule, const char *text)
{
	size_t k;

	for (k = 0; k < g->n && k < GOT_MAX; k++)
		if (strcmp(g->f[k].rule, rule) == 0 && strstr(g->f[k].message, text) != NULL)
			return &g->f[k];
	for (k = 0; k < g->n && k < GOT_MAX; k++)
		print_error("    %s @%llu: %s\n", g->f[k].rule, (unsigned long long)g->f[k].offset,
		    g->f[k].message);
	fail_msg("no %s finding saying \"%s\"", rule, text);
	return NULL;
}

/*
 * Issue 2's bad input: an overlong line, a NUL, a lone CR, an unterminated
 * quote and a number that overflows, from the host and from the module.
 * Each is an error with its column (a line that cannot be a command) or a
 * finding that says where: the column in the line, the offset in the stream.
 */
static void
bad_input_is_a_finding_or_an_error_with_its_place(void **state)
{
	static char longline[ATP_LINE_MAX + 32];
	static const char nul_line[] = "AT+SSID=ab\0c\r";
	static const char nul_resp[] = "AT+QVER\r\n+OK=1.0\0.07\r\n\r\n";
	struct atp_framer *fr = NULL;
	struct atp_cmdline cl;
	struct atp_diag d;
	struct got g;
	(void)state;

	/* host: a line over the firmware's 512 bytes is an error at column
	 * 513, and still parsed, so its finding says the column too */
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "AT+SSID=", 8);
	longline[sizeof(longline) - 2] = '\r';
	atp_diag_clear(&d);
	assert_int_equal(atp_cmdline_parse(atp_span_make(longline, sizeof(longline) - 1), &cl, &d),
	    ATP_ERR_LIMIT);
	assert_int_equal(d.col, ATP_LINE_MAX + 1);
	memset(&g, 0, sizeof(g));
	assert_int_equal(atp_validate_cmdline(&cl, 7, NULL, on_finding, &g), ATP_OK);
	assert_true(finding_with(&g, ATP_RULE_CMD_SYNTAX, "512 bytes (column 513)")->offset == 7);

	/* host: a lone CR inside a line is an error at its column */
	atp_diag_clear(&d);
	assert_int_equal(atp_cmdline_parse(atp_span_str("AT+QV\rER\r"), &cl, &d), ATP_ERR_SYNTAX);
	assert_int_equal(d.col, 6);

	/* host: a NUL, an open quote, an overflowing number: findings */
	assert_int_equal(atp_cmdline_parse(atp_span_make(nul_line, sizeof(nul_line) - 1), &cl, NULL),
	    ATP_OK);
	memset(&g, 0, sizeof(g));
	assert_int_equal(atp_validate_cmdline(&cl, 0, NULL, on_finding, &g), ATP_OK);
	finding_with(&g, ATP_RULE_CMD_SYNTAX, "NUL byte in the line (column 11)");
	assert_int_equal(atp_cmdline_parse(atp_span_str("AT+SSID=\"abc\r"), &cl, NULL), ATP_OK);
	memset(&g, 0, sizeof(g));
	assert_int_equal(atp_validate_cmdline(&cl, 0, NULL, on_finding, &g), ATP_OK);
	finding_with(&g, ATP_RULE_CMD_SYNTAX, "not closed (column 9)");
	assert_int_equal(atp_cmdline_parse(atp_span_str("AT+SKCT=0,0,1.2.3.4,80,99999999999999999999999\r"),
	    &cl, NULL), ATP_OK);
	memset(&g, 0, sizeof(g));
	assert_int_equal(atp_validate_cmdline(&cl, 0, NULL, on_finding, &g), ATP_OK);
	finding_with(&g, ATP_RULE_CMD_ARGS, "from column 16 of the arguments");

	/* module: a NUL inside a reply (QVER's Text field would take it),
	 * after the echo */
	assert_int_equal(atp_cmdline_parse(atp_span_str("AT+QVER\r"), &cl, NULL), ATP_OK);
	memset(&g, 0, sizeof(g));
	g.prof = atp_profile_find("luat");
	g.cl = &cl;
	assert_int_equal(atp_framer_new(NULL, &fr), ATP_OK);
	atp_framer_expect(fr, cl.cmd, cl.form);
	assert_int_equal(atp_framer_feed(fr, nul_resp, sizeof(nul_resp) - 1, on_frame, &g), ATP_OK);
	assert_int_equal(atp_framer_flush(fr, on_frame, &g), ATP_OK);
	atp_framer_free(fr);
	assert_int_equal(g.n, 1);
	assert_true(finding_with(&g, ATP_RULE_RESP_SHAPE, "NUL byte at column 8")->offset == 9);

	/* module: a lone CR cuts the reply; what follows is text, each said
	 * at its offset */
	one("manual", "AT+QVER\r", "+OK=ab\rc\r\n\r\n", &g);
	assert_true(finding_with(&g, ATP_RULE_RESP_TERM, "\"+OK=ab\" ends with \"\\r\"")->offset == 0);
	assert_true(finding_with(&g, ATP_RULE_TEXT_UNEXPECTED, "c")->offset == 7);

	/* module: an open quote and an overflowing number, from their column */
	one("manual", "AT+SSID=?\r", "+OK=\"abc\r\n\r\n", &g);
	assert_int_equal(g.n, 1);
	finding_with(&g, ATP_RULE_RESP_SHAPE, "(from column 5)");
	one("manual", "AT+SKCT=0,0,1.2.3.4,80\r", "+OK=99999999999999999999999\r\n\r\n", &g);
	assert_int_equal(g.n, 1);
	finding_with(&g, ATP_RULE_RESP_SHAPE, "(from column 5)");
}

static void
without_a_command_only_generic_checks_run(void **state)
{
	struct got g;
	(void)state;

	one("manual", NULL, "+OK=whatever\r\n\r\n", &g);
	assert_int_equal(g.n, 0);
	one("manual", NULL, "+ERR=-9\r\n\r\n", &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.f[0].rule, ATP_RULE_RESP_ERRCODE);
	one("manual", NULL, "+ERR=-13\r\n\r\n", &g);
	assert_int_equal(g.n, 0);
	one("luat", NULL, "+ERR=-2\r\n", &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.f[0].rule, "parse-error-single-crlf");
	assert_int_equal(g.f[0].verdict, ATP_V_KNOWN);
	one("manual", NULL, "+OK\r\n", &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.f[0].rule, ATP_RULE_RESP_TERM);
}

static void
out_of_memory_is_our_error_not_a_finding(void **state)
{
	static struct atp_cmdline cl;
	struct row r;
	struct got g;
	(void)state;

	memset(&r, 0, sizeof(r));
	r.what = "SLIST under allocation failure";
	r.profile = "luat";
	r.line = "AT+SLIST\r";
	r.resp = "+OK=1,,94-FE-22-9A-B5-28,192.168.1.2\r\n\r\n";
	memset(&g, 0, sizeof(g));
	assert_int_equal(atp_cmdline_parse(atp_span_str(r.line), &cl, NULL), ATP_OK);
	{
		struct atp_framer *fr;
		assert_int_equal(atp_framer_new(NULL, &fr), ATP_OK);
		atp_framer_expect(fr, cl.cmd, cl.form);
		g.prof = atp_profile_find(r.profile);
		g.cl = &cl;
		g.fail_alloc = 1;
		atp_framer_feed(fr, r.resp, strlen(r.resp), on_frame, &g);
		atp_framer_flush(fr, on_frame, &g);
		atp_framer_free(fr);
	}
	assert_int_equal(g.rc, ATP_ERR_NOMEM);
	assert_int_equal(g.n, 0);
}

static void
wrong_arguments_are_refused(void **state)
{
	struct atp_frame f;
	struct got g;
	(void)state;

	memset(&f, 0, sizeof(f));
	memset(&g, 0, sizeof(g));
	f.kind = ATP_FRAME_TEXT;
	assert_int_equal(atp_validate_response(NULL, NULL, NULL, on_finding, &g), ATP_ERR_ARG);
	assert_int_equal(atp_validate_response(NULL, &f, NULL, on_finding, &g), ATP_ERR_ARG);
	assert_int_equal(atp_validate_report(&f, NULL, on_finding, &g), ATP_ERR_ARG);
	f.kind = ATP_FRAME_RESPONSE;
	assert_int_equal(atp_validate_response(NULL, &f, NULL, NULL, &g), ATP_ERR_ARG);
	assert_int_equal(atp_validate_cmdline(NULL, 0, NULL, on_finding, &g), ATP_ERR_ARG);
	assert_int_equal(atp_validate_other(NULL, NULL, on_finding, &g), ATP_ERR_ARG);
	assert_int_equal(g.n, 0);
}

static void
verdict_and_severity_names_are_stable(void **state)
{
	(void)state;
	assert_string_equal(atp_verdict_name(ATP_V_PASS), "pass");
	assert_string_equal(atp_verdict_name(ATP_V_FAIL), "fail");
	assert_string_equal(atp_verdict_name(ATP_V_KNOWN), "known");
	assert_string_equal(atp_verdict_name(ATP_V_INCONC), "inconc");
	assert_string_equal(atp_severity_name(ATP_SEV_INFO), "info");
	assert_string_equal(atp_severity_name(ATP_SEV_WARNING), "warning");
	assert_string_equal(atp_severity_name(ATP_SEV_ERROR), "error");
}

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(conformant_exchanges_of_the_manual_give_no_findings),
		cmocka_unit_test(each_deviation_is_known_with_its_profile_and_fails_without),
		cmocka_unit_test(departures_no_deviation_explains_fail),
		cmocka_unit_test(the_deviation_table_covers_every_recognisable_deviation),
		cmocka_unit_test(every_shape_deviation_pattern_compiles),
		cmocka_unit_test(command_lines_that_break_the_manual_are_host_warnings),
		cmocka_unit_test(messages_say_what_was_expected_and_what_came),
		cmocka_unit_test(keys_and_passwords_stay_out_of_messages),
		cmocka_unit_test(findings_carry_the_offset_of_their_frame),
		cmocka_unit_test(a_line_longer_than_the_framer_ceiling_is_one_finding),
		cmocka_unit_test(bad_input_is_a_finding_or_an_error_with_its_place),
		cmocka_unit_test(without_a_command_only_generic_checks_run),
		cmocka_unit_test(out_of_memory_is_our_error_not_a_finding),
		cmocka_unit_test(wrong_arguments_are_refused),
		cmocka_unit_test(verdict_and_severity_names_are_stable),
	};
	return cmocka_run_group_tests_name("validate", tests, setup, teardown);
}
