/* SPDX-License-Identifier: MIT */
/* \summary: the emulator judged by the protocol model: deviations and nothing else */
#include "tests/unit/test_emu_util.h"

/*
 * The rule that makes `--emulator=luat` useful: judged against the manual
 * (the validator with no profile), the manual profile's answers raise no
 * failure at all, and each failure of the luat and g3 profiles is one of
 * the catalogued deviations that profile has. A session of commands goes
 * through each profile; every response is framed (core framer) and
 * validated (core validator).
 *
 * A value a deviation let in (ENCRY=7, encry-range-0-8) also makes later
 * queries answer it, outside the manual's range; the session sets such
 * values back before it queries them. The networking commands belong to
 * emulator/net*.c and are judged by their own tests.
 */

static const char *const session[] = {
	"AT+", "AT+=1", "AT+FOO", "AT+ABCDEFGHIJ", "AT+SSID=1,2,3,4,5,6,7,8,9,10",
	"AT+QVER", "AT+QVER=?", "AT+QVER=1", "AT+QMAC", "AT+QMAC=?", "AT+APMAC",
	"AT+WPRT", "AT+WPRT=?", "AT+WPRT=4", "AT+WPRT=", "AT+WPRT=x", "AT+WPRT=!0",
	"AT+SSID=?", "AT+SSID=a,b", "AT+SSID=\"a,b\"", "AT+SSID=?", "AT+APSSID=?",
	"AT+ENCRY=7", "AT+ENCRY=0", "AT+ENCRY=?", "AT+KEY=?", "AT+KEY=1,0", "AT+APKEY=?",
	"AT+BSSID=?", "AT+BSSID=1,001EE3A34455", "AT+BSSID=?", "AT+BSSID=0",
	"AT+CHL=?", "AT+CHL=1,6", "AT+CHL=?", "AT+CHL=0", "AT+APCHL=?", "AT+CHLL=?",
	"AT+WATC=?", "AT+WPSM=?", "AT+BRDSSID=?",
	"AT+UART=?", "AT+UART=9600,1,1,0", "AT+UART=230400,0,0,0", "AT+UART=9600,0,0",
	"AT+WEBS=?", "AT+WEBS=0", "AT+WEBS=?", "AT+WEBS=1", "AT+DNAME=?", "AT+DNAME=abc",
	"AT+PASS=?", "AT+DNS=?", "AT+ATM=?", "AT+ATRM=?", "AT+ATRM=0,0,192.168.1.100,1000",
	"AT+ATRM=?", "AT+NIP=?", "AT+APNIP=?", "AT+ATPT=?", "AT+ENTS=?", "AT+PORTM=?",
	"AT+CNTPARAM", "AT+CNTPARAM=?", "AT+CUSTDATA", "AT+ONESHOT=2", "AT+ONESHOT=0",
	"AT+LKSTI", "AT+QMAC2", "AT+SSID2=?", "AT+LKSTT2", "AT+WWPS=get_pin",
	"AT+WSCAN", "AT+WSCAN=1", "AT+SSID=TP-LINK_HyFi_1E", "AT+WJOIN",
	"AT+LKSTT", "AT+APLKSTT", "AT+SLIST", "AT+WLEAV", "AT+WPRT=!2", "AT+APSSID=!MyAp",
	"AT+WJOIN", "AT+SLIST", "AT+APLKSTT", "AT+WLEAV=2", "AT+E", "AT+QMAC", "AT+E",
	"AT+RSTF", "AT+PMTF", "AT+Z",
};

#define NSESSION (sizeof(session) / sizeof(session[0]))

struct judge {
	const struct atp_profile *prof;   /* the module's profile */
	const struct atp_cmdline *cl;
	const char *line;
	size_t responses;
	char failures[4096];
	size_t flen;
};

static void
on_finding(void *ctx, const struct atp_finding *f)
{
	struct judge *j = ctx;
	int ok;

	if (f->verdict != ATP_V_FAIL)
		return;
	/* Judged against the manual: fine only if it is a deviation the
	 * module's profile has. */
	ok = f->deviation != NULL && atp_profile_has(j->prof, f->deviation);
	if (!ok) {
		int n = snprintf(j->failures + j->flen, sizeof(j->failures) - j->flen,
		    "  %s (%s): %s: %s\n", j->line, j->prof->name, f->rule, f->message);
		if (n > 0 && (size_t)n < sizeof(j->failures) - j->flen)
			j->flen += (size_t)n;
	}
}

static void
on_frame(void *ctx, const struct atp_frame *f)
{
	struct judge *j = ctx;

	switch (f->kind) {
	case ATP_FRAME_RESPONSE:
		j->responses++;
		assert_int_equal(atp_validate_response(j->cl, f, NULL, on_finding, j), ATP_OK);
		break;
	case ATP_FRAME_ECHO:
		break;
	case ATP_FRAME_REPORT:
	case ATP_FRAME_DATA:
	case ATP_FRAME_TEXT:
	case ATP_FRAME_STRAY:
	default:
		assert_int_equal(atp_validate_other(f, NULL, on_finding, j), ATP_OK);
		break;
	}
}

static void
judge_profile(const char *name)
{
	struct tm *t = tm_open(name);
	struct atp_framer *fr;
	struct judge j;
	size_t i;

	memset(&j, 0, sizeof(j));
	j.prof = t->e->prof;
	assert_int_equal(atp_framer_new(NULL, &fr), ATP_OK);
	for (i = 0; i < NSESSION; i++) {
		char line[600];
		struct atp_cmdline cl;
		int n = snprintf(line, sizeof(line), "%s\r", session[i]);

		assert_int_equal(atp_cmdline_parse(atp_span_make(line, (size_t)n), &cl, NULL), ATP_OK);
		j.cl = &cl;
		j.line = session[i];
		j.responses = 0;
		atp_framer_expect_clear(fr);
		atp_framer_expect(fr, cl.cmd, cl.form);
		tm_tx(t, line);
		assert_int_equal(atp_framer_feed(fr, t->out, t->outlen, on_frame, &j), ATP_OK);
		assert_int_equal(atp_framer_flush(fr, on_frame, &j), ATP_OK);
		if (j.responses != 1)
			fail_msg("%s (%s): %zu responses", session[i], name, j.responses);
	}
	atp_framer_free(fr);
	tm_close(t);
	if (j.flen > 0)
		fail_msg("findings the profile does not explain:\n%s", j.failures);
}

static void
the_manual_profile_conforms_to_the_manual(void **state)
{
	(void)state;
	judge_profile("manual");
}

static void
luat_departs_only_by_its_deviations(void **state)
{
	(void)state;
	judge_profile("luat");
}

static void
g3_departs_only_by_its_deviations(void **state)
{
	(void)state;
	judge_profile("g3");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_manual_profile_conforms_to_the_manual),
		cmocka_unit_test(luat_departs_only_by_its_deviations),
		cmocka_unit_test(g3_departs_only_by_its_deviations),
	};

	/* 0 or 1: failures are counted in the output (tests/run.sh); a small
	 * exit code keeps them apart from crashes (tools/oom.sh). */
	return cmocka_run_group_tests(tests, NULL, NULL) == 0 ? 0 : 1;
}
