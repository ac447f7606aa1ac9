/* SPDX-License-Identifier: MIT */
/* \summary: the runner against a scripted module: strictness, policies, data */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/hns_run.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The module is a child process on the other end of a socketpair. For each
 * line it reads (up to CR), it writes the next reply of the first script
 * entry whose command the line starts with; a reply of NULL closes the
 * connection (the port vanishes). Replies may carry a delay.
 */
struct reply {
	const char *cmd;          /* the line starts with this */
	const char *bytes;        /* what the module answers; NULL: hang up */
	size_t len;               /* 0: strlen */
	unsigned delay_ms;
};

struct rcase {
	const char *what;
	const char *yaml;
	struct reply script[8];
	const char *verdict;      /* the case's */
	const char *msg;          /* in the case's reason ("" for none) */
	const char *firmware;     /* --firmware, or NULL */
	int lenient;              /* --lenient */
};

static void
sleep_ms(unsigned ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static void
module(int fd, const struct reply *script)
{
	char line[1024];
	size_t n = 0, i;
	int used[8] = { 0 };

	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r <= 0)
			_exit(0);
		if (c != '\r' && n + 1 < sizeof(line)) {
			line[n++] = c;
			continue;
		}
		line[n] = '\0';
		n = 0;
		/* Several entries for one command answer in turn. */
		for (i = 0; i < 8 && script[i].cmd != NULL; i++) {
			if (strncmp(line, script[i].cmd, strlen(script[i].cmd)) != 0 || used[i])
				continue;
			if (i + 1 < 8 && script[i + 1].cmd != NULL &&
			    strcmp(script[i].cmd, script[i + 1].cmd) == 0)
				used[i] = 1;
			if (script[i].delay_ms)
				sleep_ms(script[i].delay_ms);
			if (script[i].bytes == NULL)
				_exit(0);
			(void)!write(fd, script[i].bytes, script[i].len ? script[i].len :
			    strlen(script[i].bytes));
			break;
		}
	}
}

struct outcome {
	struct rpt_run *rep;
	int rc;
};

static struct outcome
run_case(const struct rcase *rc)
{
	struct hns_scenario *s = NULL;
	struct hns_transport *t = NULL;
	struct hns_run_opts o;
	struct hns_vars globals;
	struct outcome out;
	int sv[2];
	pid_t pid;

	memset(&out, 0, sizeof(out));
	memset(&globals, 0, sizeof(globals));
	if (hns_scenario_load_mem("t.yaml", rc->yaml, strlen(rc->yaml), NULL, NULL, NULL, &s) < 0) {
		print_error("%s: the scenario does not load\n", rc->what);
		fail();
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		module(sv[1], rc->script);
		_exit(0);
	}
	close(sv[1]);
	assert_int_equal(hns_fd_open(sv[0], "pair", &t, NULL), ATP_OK);
	memset(&o, 0, sizeof(o));
	o.timeout_scale = 1.0;
	if (rc->firmware != NULL)
		o.prof = atp_profile_find(rc->firmware);
	o.lenient = rc->lenient;
	out.rep = rpt_run_new("run");
	assert_non_null(out.rep);
	out.rc = hns_run(t, &s, 1, &globals, &o, out.rep);
	rpt_run_finish(out.rep);
	hns_transport_close(t);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	hns_scenario_free(s);
	return out;
}

#define OK "+OK\r\n\r\n"

static const struct rcase cases[] = {
	{ "a clean exchange passes",
	  "id: a\nspec: x\nsteps:\n  - cmd: QVER\n    expect: { shape: \"+OK=<fw:Text 1..>\" }\n",
	  { { "AT+QVER", "+OK=G3.04\r\n\r\n", 0, 0 } }, "pass", "", NULL, 0 },
	{ "bytes after the response fail the next window",
	  "id: a\nspec: x\nsettle: 30ms\nsteps:\n  - send: \"AT+\\r\"\n",
	  { { "AT+", OK "junk\r\n", 0, 0 } }, "fail", "a line no step accounted for", NULL, 0 },
	{ "a report no policy admits fails the step",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n",
	  { { "AT+", "+SKTRPT=1,0,1.2.3.4,5\r\n\r\n" OK, 0, 0 } }, "fail",
	  "report +SKTRPT that no policy allows", NULL, 0 },
	{ "a recorded report passes",
	  "id: a\nspec: x\nreports: {\"+SKTRPT\": record}\nsteps:\n  - send: \"AT+\\r\"\n",
	  { { "AT+", "+SKTRPT=1,0,1.2.3.4,5\r\n\r\n" OK, 0, 0 } }, "pass", "", NULL, 0 },
	{ "a forbidden report fails even when '*' allows",
	  "id: a\nspec: x\nreports: {\"*\": allow}\nsteps:\n  - send: \"AT+\\r\"\n"
	  "    reports: {\"+SKTRPT\": forbid}\n",
	  { { "AT+", "+SKTRPT=1,0,1.2.3.4,5\r\n\r\n" OK, 0, 0 } }, "fail", "is forbidden here", NULL, 0 },
	{ "an expected report that comes too few times fails",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n    deadline: 200ms\n"
	  "    reports: {\"+SKTRPT\": {policy: expect, count: 2}}\n",
	  { { "AT+", "+SKTRPT=1,0,1.2.3.4,5\r\n\r\n" OK, 0, 0 } }, "fail",
	  "expected 2 times, came 1 times", NULL, 0 },
	{ "an expected report may come after the response",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n"
	  "    reports: {\"+SKTRPT\": {policy: expect, count: 1}}\n",
	  { { "AT+", OK "+SKTRPT=1,0,1.2.3.4,5\r\n\r\n", 0, 0 } }, "pass", "", NULL, 0 },
	{ "an echo is accounted when echo is on",
	  "id: a\nspec: x\necho: true\nsteps:\n  - cmd: QVER\n",
	  { { "AT+QVER", "AT+QVER\r\n+OK=x\r\n\r\n", 0, 0 } }, "pass", "", NULL, 0 },
	{ "an echo fails when echo is off",
	  "id: a\nspec: x\nsteps:\n  - cmd: QVER\n",
	  { { "AT+QVER", "AT+QVER\r\n+OK=x\r\n\r\n", 0, 0 } }, "fail", "an echo with echo off", NULL, 0 },
	{ "the wrong terminator fails through the validator",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n    expect: \"+OK\"\n",
	  { { "AT+", "+OK\r\n", 0, 0 } }, "fail", "resp-terminator", NULL, 0 },
	{ "an unexpected error code fails with both codes named",
	  "id: a\nspec: x\nsteps:\n  - cmd: NOPE\n    expect_error: -2\n",
	  { { "AT+NOPE", "+ERR=-4\r\n\r\n", 0, 0 } }, "fail", "expected +ERR=-2", NULL, 0 },
	{ "no response fails at the deadline",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n    deadline: 100ms\n",
	  { { "AT+X", OK, 0, 0 } }, "fail", "no response within 100 ms", NULL, 0 },
	{ "a slow response breaks the final-byte bound",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n    final_byte: { max: 10ms }\n",
	  { { "AT+", OK, 0, 60 } }, "fail", "later than the maximum 10000 us", NULL, 0 },
	{ "a retry passes on the second attempt",
	  "id: a\nspec: x\nsteps:\n  - cmd: QVER\n    retry: { max: 2, delay: 1ms }\n",
	  { { "AT+QVER", "+ERR=-8\r\n\r\n", 0, 0 }, { "AT+QVER", "+OK=x\r\n\r\n", 0, 0 } },
	  "pass", "", NULL, 0 },
	{ "a conditional retry does not retry another error",
	  "id: a\nspec: x\nsteps:\n  - cmd: QVER\n    retry: { max: 2, delay: 1ms, if_error: [-8] }\n",
	  { { "AT+QVER", "+ERR=-4\r\n\r\n", 0, 0 }, { "AT+QVER", "+OK=x\r\n\r\n", 0, 0 } },
	  "fail", "an error where +OK was expected", NULL, 0 },
	{ "a conditional retry retries its error",
	  "id: a\nspec: x\nsteps:\n  - cmd: QVER\n    retry: { max: 2, delay: 1ms, if_error: [-8] }\n",
	  { { "AT+QVER", "+ERR=-8\r\n\r\n", 0, 0 }, { "AT+QVER", "+OK=x\r\n\r\n", 0, 0 } },
	  "pass", "", NULL, 0 },
	{ "a capability the unit lacks skips the case",
	  "id: a\nspec: x\nrequires: [mqtt]\nsteps:\n  - cmd: QVER\n",
	  { { "AT+QVER", "+OK=x\r\n\r\n", 0, 0 } }, "skip", "requires mqtt", NULL, 0 },
	{ "counted data is compared byte for byte",
	  "id: a\nspec: x\nsteps:\n  - cmd: SKRCV\n    args: [1, 5]\n    expect: \"+OK=5\"\n"
	  "  - read_data: { text: hello }\n",
	  { { "AT+SKRCV", "+OK=5\r\n\r\nhellx", 0, 0 } }, "fail", "data differs at byte 4", NULL, 0 },
	{ "counted data that matches passes",
	  "id: a\nspec: x\nsteps:\n  - cmd: SKRCV\n    args: [1, 5]\n    expect: \"+OK=5\"\n"
	  "  - read_data: { hex: \"68 00 6c 0d 0a\" }\n",
	  { { "AT+SKRCV", "+OK=5\r\n\r\nh\0l\r\n", 14, 0 } }, "pass", "", NULL, 0 },
	{ "two lines in flight: each answer is judged against its own command",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+QMAC\\r\"\n    nowait: true\n"
	  "  - send: \"AT+WPRT=?\\r\"\n    nowait: true\n"
	  "  - expect: \"+OK=286dcd004e7d\"\n    deadline: 1s\n"
	  "  - expect: \"+OK=0\"\n    deadline: 1s\n",
	  { { "AT+QMAC", "+OK=286dcd004e7d\r\n\r\n", 0, 0 },
	    { "AT+WPRT", "+OK=0\r\n\r\n", 0, 0 } }, "pass", "", NULL, 0 },
	{ "two lines in flight: a wrong answer to the first is still named",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+QMAC\\r\"\n    nowait: true\n"
	  "  - send: \"AT+WPRT=?\\r\"\n    nowait: true\n"
	  "  - expect: \"+OK=9\"\n    deadline: 1s\n"
	  "  - expect: \"+OK=0\"\n    deadline: 1s\n",
	  { { "AT+QMAC", "+OK=9\r\n\r\n", 0, 0 },
	    { "AT+WPRT", "+OK=0\r\n\r\n", 0, 0 } }, "fail", "AT+QMAC", NULL, 0 },
	{ "counted data nobody reads fails",
	  "id: a\nspec: x\nsettle: 30ms\nsteps:\n  - cmd: SKRCV\n    args: [1, 2]\n",
	  { { "AT+SKRCV", "+OK=2\r\n\r\nhi", 0, 0 } }, "fail", "data no step accounted for", NULL, 0 },
	{ "a report's data goes to read_data",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n  - wait_report: +SKTRPT\n    deadline: 1s\n"
	  "  - read_data: { text: abc, len: \"${len}\" }\n"
	  "  - measure: { name: port, value: \"${port}\", min: 1000, max: 1000 }\n",
	  { { "AT+", OK "+SKTRPT=1,3,1.2.3.4,1000\r\n\r\nabc", 0, 0 } }, "pass", "", NULL, 0 },
	{ "a send_data of the wrong size fails before sending",
	  "id: a\nspec: x\nsteps:\n  - cmd: SKSND\n    args: [1, 4]\n"
	  "  - send_data: abc\n",
	  { { "AT+SKSND", "+OK=4\r\n\r\n", 0, 0 } }, "fail", "the payload has 3", NULL, 0 },
	{ "a measure outside its limits fails",
	  "id: a\nspec: x\nsteps:\n  - cmd: QVER\n    expect: { regex: \"^\\\\+OK=(?<v>\\\\d+)$\" }\n"
	  "  - measure: { name: v, value: \"${v}\", max: 10 }\n",
	  { { "AT+QVER", "+OK=42\r\n\r\n", 0, 0 } }, "fail", "measure v = 42", NULL, 0 },
	{ "a secret never reaches a message",
	  "id: a\nspec: x\nvars: {k: {value: hunter22, secret: true}}\nsteps:\n"
	  "  - cmd: KEY\n    args: [1, 0, \"${k}\"]\n    expect: \"+OK=nope\"\n",
	  { { "AT+KEY", "+OK=hunter22\r\n\r\n", 0, 0 } }, "fail", "unexpected response +OK=***", NULL, 0 },
	{ "a key given to a secret command is masked without a secret variable",
	  "id: a\nspec: x\nsteps:\n  - cmd: KEY\n    args: [1, 0, swordfish9]\n"
	  "    expect: \"+OK=nope\"\n",
	  { { "AT+KEY", "+OK=1,0,swordfish9\r\n\r\n", 0, 0 } }, "fail",
	  "unexpected response +OK=1,0,***", NULL, 0 },
	{ "an abort pattern fails the step whatever it expected",
	  "id: a\nspec: x\nabort: [{regex: \"(?i)hardfault\"}]\nreports: {\"*\": allow}\nsteps:\n"
	  "  - send: \"AT+\\r\"\n  - send: \"AT+\\r\"\n",
	  { { "AT+", "+OK\r\n\r\n*** HardFault ***\r\n", 0, 0 } }, "fail",
	  "abort pattern (?i)hardfault matched: *** HardFault ***", NULL, 0 },
	{ "lenient: an echo nobody expected is a warning",
	  "id: a\nspec: x\nsteps:\n  - cmd: QVER\n",
	  { { "AT+QVER", "AT+QVER\r\n+OK=x\r\n\r\n", 0, 0 } }, "pass", "", NULL, 1 },
	{ "lenient: a report with no policy is a warning",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n",
	  { { "AT+", "+SKTRPT=1,0,1.2.3.4,5\r\n\r\n" OK, 0, 0 } }, "pass", "", NULL, 1 },
	{ "lenient: the protocol model still judges",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n",
	  { { "AT+", "+OK\r\n", 0, 0 } }, "fail", "resp-terminator", NULL, 1 },
	{ "a known deviation of the profile is not a failure",
	  "id: a\nspec: x\nsteps:\n  - cmd: QVER\n    form: flash\n    expect_error: any\n",
	  { { "AT+QVER", "+ERR=-2\r\n\r\n", 0, 0 } }, "pass", "", "luat", 0 },
	{ "the same deviation without the profile fails",
	  "id: a\nspec: x\nsteps:\n  - cmd: QVER\n    form: flash\n    expect_error: any\n",
	  { { "AT+QVER", "+ERR=-2\r\n\r\n", 0, 0 } }, "fail", "protocol:", NULL, 0 },
	{ "an unasked ready banner is a module reset, at once",
	  "id: a\nspec: x\nsteps:\n  - cmd: QVER\n    deadline: 60s\n",
	  { { "AT+QVER", "\r\nready\r\n", 0, 0 } }, "fail", "the module reset: its \"ready\" banner",
	  NULL, 0 },
	{ "framing garbage instead of a response is a baud-rate mismatch",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n    deadline: 300ms\n",
	  { { "AT+", "\x00\xfe\x00\xf0\x00\xfe\x00\x00\xf0\x00\xfe\xf0", 12, 0 } }, "error",
	  "the bytes look like a baud-rate mismatch (12 bytes, 12 of them not text)", NULL, 0 },
	{ "a few stray text bytes before a timeout are no baud-rate mismatch",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n    deadline: 300ms\n",
	  { { "AT+", "hello there", 0, 0 } }, "fail", "no response within 300 ms", NULL, 0 },
	{ "garbage glued to a response is a device fault, not a baud-rate mismatch",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n    deadline: 300ms\n",
	  { { "AT+", "\xdb\xcd\x02\xcf\xfb\xf3\x80+OK\r\n\r\n", 0, 0 } }, "fail",
	  "a line that is no response", NULL, 0 },
	{ "silence from the start says to check the setup",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n    deadline: 100ms\n",
	  { { "AT+X", OK, 0, 0 } }, "fail", "not one byte has come from the module", NULL, 0 },
	{ "a vanished port is an error",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n  - send: \"AT+\\r\"\n",
	  { { "AT+", NULL, 0, 0 } }, "error", "vanished", NULL, 0 },
	{ "a failed setup skips the steps but runs the teardown",
	  "id: a\nspec: x\nsetup:\n  - cmd: QVER\nsteps:\n  - cmd: QMAC\nteardown:\n  - send: \"AT+\\r\"\n",
	  { { "AT+QVER", "+ERR=-2\r\n\r\n", 0, 0 }, { "AT+\r", OK, 0, 0 }, { "AT+", OK, 0, 0 } },
	  "fail", "an error where +OK was expected", NULL, 0 },
};

/* A transport over one end of a socket pair; *peer is the other end. */
static struct hns_transport *
pair_transport(int *peer)
{
	struct hns_transport *t = NULL;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(hns_fd_open(sv[0], "pair", &t, NULL), ATP_OK);
	*peer = sv[1];
	return t;
}

/*
 * The transport waits on an edge-triggered epoll set (transport.c): a read
 * that fills the caller's buffer must not leave the rest of what came
 * waiting for an edge that never comes. 10,000 bytes are there at once;
 * three reads of 4,096 must give them all, each at once.
 */
static void
test_a_full_read_leaves_no_bytes_behind(void **state)
{
	static uint8_t out[10000], in[4096];
	struct hns_transport *t;
	size_t got = 0, i;
	int peer;

	(void)state;
	for (i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7u);
	t = pair_transport(&peer);
	assert_int_equal(write(peer, out, sizeof(out)), (ssize_t)sizeof(out));
	for (i = 0; i < 3; i++) {
		long n = t->ops->read(t, in, sizeof(in), 2000000u, NULL);
		if (n <= 0)
			fail_msg("read %zu gave %ld with %zu of %zu bytes still there", i + 1, n,
			    sizeof(out) - got, sizeof(out));
		assert_memory_equal(in, out + got, (size_t)n);
		got += (size_t)n;
	}
	assert_int_equal(got, sizeof(out));
	hns_transport_close(t);
	close(peer);
}

/* A hang-up that comes with the last bytes is one edge: the read after
 * those bytes must see the end at once, not sleep out its wait. */
static void
test_a_hang_up_after_the_last_bytes_is_seen(void **state)
{
	struct hns_transport *t;
	struct atp_diag d;
	uint8_t in[64];
	long n;
	int peer;

	(void)state;
	t = pair_transport(&peer);
	assert_int_equal(write(peer, "+OK\r\n\r\n", 7), 7);
	close(peer);
	n = t->ops->read(t, in, sizeof(in), 2000000u, NULL);
	assert_int_equal(n, 7);
	atp_diag_clear(&d);
	n = t->ops->read(t, in, sizeof(in), 2000000u, &d);
	if (n >= 0)
		fail_msg("the read after the last bytes gave %ld, not the hang-up", n);
	assert_non_null(strstr(d.msg, "vanished"));
	hns_transport_close(t);
}

static void
test_the_runner_judges_every_byte(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(cases); i++) {
		struct outcome o;
		const struct rpt_case *c;
		o = run_case(&cases[i]);
		assert_int_equal(o.rep->ncases, 1);
		c = o.rep->cases[0];
		if (strcmp(rpt_verdict_name(c->verdict), cases[i].verdict) != 0 ||
		    (cases[i].msg[0] != '\0' && (c->reason == NULL ||
		    strstr(c->reason, cases[i].msg) == NULL))) {
			print_error("%s: %s: %s\n", cases[i].what, rpt_verdict_name(c->verdict),
			    c->reason != NULL ? c->reason : "(no reason)");
			rpt_run_free(o.rep);
			fail();
		}
		if (strcmp(cases[i].verdict, "error") == 0)
			assert_int_equal(o.rc, ATP_ERR_IO);
		else
			assert_int_equal(o.rc, ATP_OK);
		rpt_run_free(o.rep);
	}
}

static void
test_a_failed_setup_leaves_the_steps_skipped(void **state)
{
	struct outcome o = run_case(&cases[NROWS(cases) - 1]);
	const struct rpt_case *c = o.rep->cases[0];

	(void)state;
	assert_int_equal(c->nsteps, 4);     /* setup, step, teardown, the quiet check */
	assert_int_equal(c->steps[0]->verdict, RPT_FAIL);
	assert_int_equal(c->steps[1]->verdict, RPT_SKIP);
	assert_string_equal(c->steps[2]->phase, "teardown");
	assert_int_equal(c->steps[2]->verdict, RPT_PASS);
	rpt_run_free(o.rep);
}

static void
test_a_retry_is_reported_with_its_attempts(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(cases); i++)
		if (strcmp(cases[i].what, "a retry passes on the second attempt") == 0)
			break;
	{
		struct outcome o = run_case(&cases[i]);
		const struct rpt_step *s = o.rep->cases[0]->steps[0];
		assert_int_equal(s->attempts, 2);
		assert_non_null(s->message);
		assert_string_equal(s->message, "passed on attempt 2 of 3");
		rpt_run_free(o.rep);
	}
}

static void
test_timing_is_measured_from_the_last_byte_sent(void **state)
{
	static const struct rcase slow = {
		"slow", "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n",
		{ { "AT+", OK, 0, 40 } }, "pass", "", NULL, 0,
	};
	struct outcome o = run_case(&slow);
	const struct rpt_step *s = o.rep->cases[0]->steps[0];

	(void)state;
	assert_int_equal(o.rep->cases[0]->verdict, RPT_PASS);
	assert_true(s->final_us >= 40000);
	assert_true(s->final_us < 2000000);
	assert_true(s->first_us >= 40000 && s->first_us <= s->final_us);
	rpt_run_free(o.rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_full_read_leaves_no_bytes_behind),
		cmocka_unit_test(test_a_hang_up_after_the_last_bytes_is_seen),
		cmocka_unit_test(test_the_runner_judges_every_byte),
		cmocka_unit_test(test_a_failed_setup_leaves_the_steps_skipped),
		cmocka_unit_test(test_a_retry_is_reported_with_its_attempts),
		cmocka_unit_test(test_timing_is_measured_from_the_last_byte_sent),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
