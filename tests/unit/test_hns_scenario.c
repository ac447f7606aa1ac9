/* SPDX-License-Identifier: MIT */
/* \summary: the scenario loader: the model it builds, and what it refuses */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness/hns.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

struct msgs {
	char text[8192];
	int nerr, nwarn;
};

static void
collect(void *ctx, const char *file, unsigned long line, unsigned long col, int is_error,
    const char *msg)
{
	struct msgs *m = ctx;
	size_t n = strlen(m->text);

	if (is_error)
		m->nerr++;
	else
		m->nwarn++;
	snprintf(m->text + n, sizeof(m->text) - n, "%s:%lu:%lu: %s: %s\n", file, line, col,
	    is_error ? "error" : "warning", msg);
}

static struct hns_scenario *
load(const char *yaml, struct msgs *m)
{
	struct hns_scenario *s = NULL;

	memset(m, 0, sizeof(*m));
	(void)hns_scenario_load_mem("t.yaml", yaml, strlen(yaml), NULL, collect, m, &s);
	return s;
}

/*
 * Scenarios the loader must refuse, each with the message (and its place)
 * that a user needs to fix it.
 */
struct bad {
	const char *what;
	const char *yaml;
	const char *msg;
};

static const struct bad bads[] = {
	{ "an empty file is not a scenario", "", "t.yaml:1:1: error: the file is empty" },
	{ "a list at the top is not a scenario", "- a\n- b\n", "a scenario must be a map" },
	{ "a missing id is named", "spec: x\nsteps: [{cmd: QVER}]\n", "a scenario needs id" },
	{ "a missing spec is named", "id: a\nsteps: [{cmd: QVER}]\n", "a scenario needs spec" },
	{ "missing steps are named", "id: a\nspec: x\n", "a scenario needs steps" },
	{ "an unknown top-level key is placed", "id: a\nspec: x\nstep: []\nsteps: []\n",
	  "t.yaml:3:1: error: unknown key 'step' in a scenario" },
	{ "a duplicate key is placed", "id: a\nid: b\nspec: x\nsteps: []\n",
	  "t.yaml:2:1: error: key 'id' given twice" },
	{ "an unknown command is refused", "id: a\nspec: x\nsteps:\n  - cmd: QVRE\n",
	  "t.yaml:4:10: error: unknown command 'QVRE'" },
	{ "a form the command lacks is refused",
	  "id: a\nspec: x\nsteps:\n  - cmd: QVER\n    form: flash\n",
	  "AT+QVER does not have the flash form" },
	{ "an unknown form word is refused", "id: a\nspec: x\nsteps:\n  - cmd: WPRT\n    form: put\n",
	  "form is one of bare, set, flash, query" },
	{ "a raw line with an unknown command is refused",
	  "id: a\nspec: x\nsteps:\n  - send: \"AT+NOPE\\r\"\n", "unknown command AT+NOPE" },
	{ "a bad regex names its offset", "id: a\nspec: x\nsteps:\n  - send: \"AT+\\r\"\n"
	  "    expect: { regex: \"ab(c\" }\n", "t.yaml:5:27: error: bad regex at offset 4" },
	{ "an escape is named even when its target does not exist",
	  "id: a\nspec: x\ninclude: [a/../../../../../../../../../../../../no/such/file]\n"
	  "steps: [{cmd: QVER}]\n", "is outside the scenario root" },
	{ "a bad shape pattern is refused", "id: a\nspec: x\nsteps:\n  - cmd: QVER\n"
	  "    expect: { shape: \"+OK=<v:Dec 5..1>\" }\n", "bad shape pattern" },
	{ "an undefined variable is placed", "id: a\nspec: x\nsteps:\n  - cmd: SSID\n"
	  "    args: [\"${ssid}\"]\n", "t.yaml:5:12: error: undefined variable ${ssid}" },
	{ "an unterminated reference is refused", "id: a\nspec: x\nsteps:\n  - send: \"AT+${x\\r\"\n",
	  "unterminated ${" },
	{ "a variable is defined only after its capture",
	  "id: a\nspec: x\nsteps:\n  - cmd: SKSND\n    args: [\"${sock}\", 1]\n"
	  "  - cmd: SKCT\n    args: [0, 0, h, 1]\n    expect: { shape: \"+OK=<sock:Dec>\" }\n",
	  "undefined variable ${sock}" },
	{ "a bad duration is refused", "id: a\nspec: x\nsteps:\n  - sleep: 5 parsecs\n",
	  "sleep must be a duration" },
	{ "a duration over an hour is refused", "id: a\nspec: x\nsteps:\n  - sleep: 2h\n",
	  "sleep must be a duration" },
	{ "two actions in one step are refused", "id: a\nspec: x\nsteps:\n  - cmd: QVER\n"
	  "    sleep: 1s\n", "a step does one thing" },
	{ "a step with no action is refused", "id: a\nspec: x\nsteps:\n  - id: x\n",
	  "a step needs an action" },
	{ "a step key of another action is refused", "id: a\nspec: x\nsteps:\n  - sleep: 1s\n"
	  "    args: [1]\n", "unknown key 'args' in this step" },
	{ "retry above the ceiling is refused", "id: a\nspec: x\nsteps:\n  - cmd: QVER\n"
	  "    retry: 11\n", "retry: 11 is larger than 10" },
	{ "expect and expect_error together are refused", "id: a\nspec: x\nsteps:\n"
	  "  - cmd: QVER\n    expect: \"+OK\"\n    expect_error: -2\n", "not both" },
	{ "a report policy must be a word", "id: a\nspec: x\nreports: {\"+SKTRPT\": maybe}\n"
	  "steps: []\n", "'maybe' is not a policy" },
	{ "an unknown report is refused", "id: a\nspec: x\nreports: {\"+NOPE\": allow}\n"
	  "steps: []\n", "'+NOPE' is not a report" },
	{ "count goes with expect only", "id: a\nspec: x\nreports:\n  \"+SKTRPT\": "
	  "{policy: allow, count: 2}\nsteps: []\n", "count goes with policy: expect" },
	{ "an odd number of hex digits is refused", "id: a\nspec: x\nsteps:\n"
	  "  - send_data: { hex: \"0 01\" }\n", "an odd number of digits" },
	{ "a non-hex digit is refused", "id: a\nspec: x\nsteps:\n"
	  "  - send_data: { hex: \"zz\" }\n", "is not a hex digit" },
	{ "random needs a length", "id: a\nspec: x\nsteps:\n  - send_data: { random: {seed: 1} }\n",
	  "random needs len" },
	{ "an empty matrix dimension is refused", "id: a\nspec: x\nmatrix: {m: []}\nsteps: []\n",
	  "matrix dimension 'm' is empty" },
	{ "a huge matrix is refused", "id: a\nspec: x\nmatrix: {a: [1,2,3,4,5,6,7,8], "
	  "b: [1,2,3,4,5,6,7,8], c: [1,2,3,4,5,6,7,8], d: [1,2,3,4,5,6,7,8,9]}\nsteps: []\n",
	  "more than 4096 combinations" },
	{ "repeat 0 is refused", "id: a\nspec: x\nrepeat: 0\nsteps: []\n", "repeat is at least 1" },
	{ "an unknown block is refused", "id: a\nspec: x\nsteps:\n  - use: nope\n",
	  "no block named 'nope'" },
	{ "blocks that use each other forever are stopped", "id: a\nspec: x\nblocks:\n"
	  "  a: [{use: b}]\n  b: [{use: a}]\nsteps:\n  - use: a\n", "more than 8 deep" },
	{ "an absolute include is refused", "id: a\nspec: x\ninclude: /etc/passwd\nsteps: []\n",
	  "absolute path '/etc/passwd'" },
	{ "an anchor is refused", "id: &x a\nspec: x\nsteps: []\n",
	  "t.yaml:1:5: error: anchors are not supported" },
	{ "an alias is refused", "id: a\nspec: x\nsteps: []\ntitle: *x\n",
	  "aliases are not supported" },
	{ "a second document is refused", "id: a\nspec: x\nsteps: []\n---\nid: b\n",
	  "t.yaml:4:1: error: one scenario per file" },
	{ "a YAML syntax error is placed", "id: a\nspec: [x\nsteps: []\n", "t.yaml:" },
	{ "a tab for indentation is a YAML error", "id: a\nspec: x\nsteps:\n\t- cmd: QVER\n",
	  "t.yaml:4:" },
	{ "a NUL in a string is refused", "id: a\nspec: x\nsteps:\n  - send: \"AT+\\0\"\n",
	  "holds a NUL byte" },
	{ "nowait goes without expect", "id: a\nspec: x\nsteps:\n  - cmd: QVER\n    nowait: true\n"
	  "    expect: \"+OK\"\n", "nowait: the response goes to a later expect step" },
	{ "a peer's type is tcp-server, udp or http-server",
	  "id: a\nspec: x\npeers: {p: {type: ftp}}\nsteps: []\n",
	  "a peer's type is tcp-server, udp, http-server or mqtt" },
	{ "answers go with an HTTP peer", "id: a\nspec: x\npeers: {p: {type: udp, answers: {}}}\n"
	  "steps: []\n", "answers go with http-server" },
	{ "an answer's path starts with a slash", "id: a\nspec: x\npeers: {p: {type: http-server, "
	  "answers: {status: {status: 200}}}}\nsteps: []\n", "a path starts with /" },
	{ "a step names a peer that exists", "id: a\nspec: x\npeers: {p: {type: udp}}\nsteps:\n"
	  "  - peer_send: { peer: q, text: hi }\n", "no peer named 'q'" },
	{ "a peer step needs its peer", "id: a\nspec: x\nsteps:\n  - peer_expect: { text: hi }\n",
	  "peer_expect needs peer" },
	{ "peer goes only in peer steps", "id: a\nspec: x\nsteps:\n"
	  "  - send_data: { peer: p, text: hi }\n", "peer goes in peer_send and peer_expect" },
	{ "line sets something", "id: a\nspec: x\nsteps:\n  - line: {}\n",
	  "line sets dtr, rts or break" },
	{ "line knows its keys", "id: a\nspec: x\nsteps:\n  - line: { cts: 1 }\n",
	  "unknown key 'cts' in line" },
	{ "eol is CR and LF only", "id: a\nspec: x\nsteps:\n  - cmd: QVER\n    eol: \";\"\n",
	  "eol is made of CR and LF only" },
};

static void
test_bad_scenarios_are_refused_with_a_placed_message(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(bads); i++) {
		struct msgs m;
		struct hns_scenario *s = load(bads[i].yaml, &m);
		if (s != NULL || m.nerr == 0 || strstr(m.text, bads[i].msg) == NULL) {
			print_error("%s:\n%s\nwanted: %s\n", bads[i].what, m.text, bads[i].msg);
			hns_scenario_free(s);
			fail();
		}
	}
}

static void
test_a_full_scenario_builds_the_model(void **state)
{
	static const char yaml[] =
	    "id: full\n"
	    "title: Everything\n"
	    "spec: [\"§2.2.1.10\", \"§2.2.3.11\"]\n"
	    "tags: [factory, smoke]\n"
	    "peers: { srv: { type: tcp-server, echo: true }, u: { type: udp } }\n"
	    "requires: [profile:luat]\n"
	    "vars:\n"
	    "  ssid: lab\n"
	    "  key: { value: hunter22, secret: true }\n"
	    "matrix: { mode: [0, 1, 2] }\n"
	    "repeat: 3\n"
	    "settle: 20ms\n"
	    "reports: { \"+SKTRPT\": record, \"*\": forbid }\n"
	    "blocks:\n"
	    "  hello:\n"
	    "    - send: \"AT+\\r\"\n"
	    "setup:\n"
	    "  - use: hello\n"
	    "steps:\n"
	    "  - cmd: WPRT\n"
	    "    args: [\"${mode}\"]\n"
	    "    retry: { max: 2, delay: 10ms }\n"
	    "  - cmd: QVER\n"
	    "    expect: { shape: \"+OK=<fw:Text 1..128>\" }\n"
	    "    deadline: 1s\n"
	    "    first_byte: { max: 100ms }\n"
	    "    final_byte: { min: 10us, max: 2s }\n"
	    "  - cmd: SKSND\n"
	    "    args: [1, 4]\n"
	    "    expect: \"+OK=4\"\n"
	    "  - send_data: { hex: \"de ad be ef\" }\n"
	    "    save: payload\n"
	    "  - wait_report: +SKTRPT\n"
	    "    deadline: 2s\n"
	    "  - read_data: { var: payload, len: \"${len}\" }\n"
	    "  - measure: { name: fwlen, value: \"${fw}\", unit: chars, min: 1, max: 128 }\n"
	    "  - sleep: 150us\n"
	    "  - cmd: NOSUCH\n"
	    "    expect_error: -2\n"
	    "teardown:\n"
	    "  - reset: { settle: 100ms }\n"
	    "    optional: true\n";
	struct msgs m;
	struct hns_scenario *s = load(yaml, &m);

	(void)state;
	if (s == NULL)
		print_error("%s", m.text);
	assert_non_null(s);
	assert_string_equal(s->id, "full");
	assert_string_equal(s->spec, "§2.2.1.10; §2.2.3.11");
	assert_int_equal(s->ntags, 2);
	assert_int_equal(s->npeers, 2);
	assert_int_equal(s->peers[0].type, HNS_P_TCP_SERVER);
	assert_true(s->peers[0].echo);
	assert_int_equal(s->peers[1].type, HNS_P_UDP);
	assert_string_equal(s->tags[1], "smoke");
	assert_int_equal(s->nrequires, 1);
	assert_int_equal(s->nvars, 2);
	assert_true(s->vars[1].secret);
	assert_int_equal(s->nmatrix, 1);
	assert_int_equal(s->matrix[0].nvalues, 3);
	assert_int_equal(s->repeat, 3);
	assert_int_equal(s->settle_us, 20000);
	assert_int_equal(s->nrules, 2);
	assert_int_equal(s->rules[0].policy, HNS_RP_RECORD);
	assert_int_equal(s->rules[1].policy, HNS_RP_FORBID);
	assert_int_equal(s->nsetup, 1);
	assert_string_equal(s->setup[0].raw, "AT+\r");
	assert_int_equal(s->nsteps, 9);
	assert_int_equal(s->steps[0].form, ATP_FORM_SET);
	assert_int_equal(s->steps[0].retry, 2);
	assert_int_equal(s->steps[0].retry_delay_us, 10000);
	assert_int_equal(s->steps[0].expect.kind, HNS_M_OK);
	assert_int_equal(s->steps[1].form, ATP_FORM_BARE);
	assert_int_equal(s->steps[1].expect.kind, HNS_M_SHAPE);
	assert_non_null(s->steps[1].expect.shape);
	assert_int_equal(s->steps[1].deadline_us, 1000000);
	assert_true(s->steps[1].first.has_max && !s->steps[1].first.has_min);
	assert_int_equal(s->steps[1].final.min_us, 10);
	assert_int_equal(s->steps[3].kind, HNS_S_SEND_DATA);
	assert_int_equal(s->steps[3].data.nbytes, 4);
	assert_memory_equal(s->steps[3].data.bytes, "\xde\xad\xbe\xef", 4);
	assert_int_equal(s->steps[4].kind, HNS_S_WAIT_REPORT);
	assert_int_equal(s->steps[5].kind, HNS_S_READ_DATA);
	assert_int_equal(s->steps[5].data.src, HNS_D_VAR);
	assert_int_equal(s->steps[6].kind, HNS_S_MEASURE);
	assert_true(s->steps[6].has_mmin && s->steps[6].has_mmax);
	assert_int_equal(s->steps[7].sleep_us, 150);
	assert_int_equal(s->steps[8].expect.kind, HNS_M_ERROR);
	assert_int_equal(s->steps[8].expect.errcode, -2);
	assert_int_equal(s->nteardown, 1);
	assert_int_equal(s->teardown[0].kind, HNS_S_RESET);
	assert_int_equal(s->teardown[0].sleep_us, 100000);
	assert_true(s->teardown[0].optional);
	/* Every step keeps its place for messages. */
	assert_int_equal(s->steps[1].pos.line, 23);
	assert_int_equal(s->steps[1].pos.col, 5);
	assert_int_equal(m.nerr, 0);
	hns_scenario_free(s);
}

static void
test_retrying_a_flash_write_is_a_warning_not_an_error(void **state)
{
	struct msgs m;
	struct hns_scenario *s = load("id: a\nspec: x\nsteps:\n  - cmd: WPRT\n    form: flash\n"
	    "    args: [0]\n    retry: 2\n", &m);

	(void)state;
	assert_non_null(s);
	assert_true(m.nwarn >= 1);
	assert_non_null(strstr(m.text, "warning: retry on a =! step"));
	hns_scenario_free(s);
}

/* The baud step (AT+UART §2.2.2.20): a rate, or a rate with a format; a
 * rate AT+UART does not have is refused, a teardown that does not move
 * the rate back is a warning. */
static void
test_the_baud_step_takes_a_rate_and_a_format(void **state)
{
	struct msgs m;
	struct hns_scenario *s = load("id: a\nspec: x\nsteps:\n  - baud: 9600\n"
	    "  - baud: { rate: 1200, databits: 7, stopbits: 2, parity: odd }\n"
	    "teardown:\n  - baud: 115200\n", &m);

	(void)state;
	assert_non_null(s);
	assert_int_equal(m.nerr, 0);
	assert_int_equal(m.nwarn, 0);
	assert_int_equal(s->nsteps, 2);
	assert_int_equal(s->steps[0].kind, HNS_S_BAUD);
	assert_int_equal(s->steps[0].baud, 9600);
	assert_int_equal(s->steps[0].databits, 0);
	assert_int_equal(s->steps[0].parity, 0);
	assert_int_equal(s->steps[1].baud, 1200);
	assert_int_equal(s->steps[1].databits, 7);
	assert_int_equal(s->steps[1].stopbits, 2);
	assert_int_equal(s->steps[1].parity, 'O');
	assert_string_equal(s->steps[1].name, "baud 1200, 7 data bits, 2 stop bits, odd parity");
	assert_int_equal(s->teardown[0].baud, 115200);
	hns_scenario_free(s);

	s = load("id: a\nspec: x\nsteps:\n  - baud: 14400\n  - baud: { rate: 600, parity: space }\n"
	    "  - baud: fast\n", &m);
	assert_int_equal(m.nerr, 3);
	assert_non_null(strstr(m.text, "t.yaml:4:11: error: baud: 14400 is none of AT+UART's rates"));
	assert_non_null(strstr(m.text, "error: parity is none, odd or even"));
	assert_non_null(strstr(m.text, "error: baud must be a whole number"));
	hns_scenario_free(s);

	s = load("id: a\nspec: x\nsteps:\n  - baud: 2000000\n", &m);
	assert_non_null(s);
	assert_int_equal(m.nerr, 0);
	assert_non_null(strstr(m.text, "warning: a baud step and no baud step in the teardown"));
	hns_scenario_free(s);
}

static void
test_a_negative_test_may_use_unknown_commands_and_forms(void **state)
{
	struct msgs m;
	struct hns_scenario *s = load("id: a\nspec: x\nsteps:\n  - cmd: NOPE\n    expect_error: -2\n"
	    "  - cmd: QVER\n    form: flash\n    expect_error: any\n"
	    "  - send: \"AT+FOO=?\\r\"\n    expect_error: -2\n", &m);

	(void)state;
	if (s == NULL)
		print_error("%s", m.text);
	assert_non_null(s);
	assert_null(s->steps[0].cmdp);
	assert_int_equal(s->steps[1].expect.kind, HNS_M_ANY_ERROR);
	hns_scenario_free(s);
}

static void
test_outside_names_and_environment_are_defined(void **state)
{
	static const char *const names[] = { "ssid" };
	struct hns_load_opts lo;
	struct hns_scenario *s = NULL;
	struct msgs m;
	static const char yaml[] = "id: a\nspec: x\nsteps:\n  - cmd: SSID\n"
	    "    args: [\"${ssid}\", \"${env.HOME}\", \"$${literal}\", \"${unit.mac}\"]\n"
	    "    expect_error: any\n";

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(&lo, 0, sizeof(lo));
	lo.vars = names;
	lo.nvars = 1;
	assert_int_equal(hns_scenario_load_mem("t.yaml", yaml, strlen(yaml), &lo, collect, &m,
	    &s), ATP_OK);
	hns_scenario_free(s);
	s = load(yaml, &m);
	assert_null(s);
	assert_int_equal(m.nerr, 1);
}

static void
test_every_error_is_reported_not_only_the_first(void **state)
{
	struct msgs m;
	struct hns_scenario *s = load("id: a\nspec: x\nsteps:\n  - cmd: A1\n  - cmd: A2\n"
	    "  - cmd: A3\n  - sleep: x\n", &m);

	(void)state;
	assert_null(s);
	assert_int_equal(m.nerr, 4);
}

/*
 * Hostile YAML: each must be refused (or loaded) quickly and without
 * growing memory beyond the ceilings.
 */
static char *
repeat_text(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t len = strlen(head) + strlen(unit) * n + strlen(tail) + 1, i;
	char *p = malloc(len), *q;

	assert_non_null(p);
	q = p;
	q += sprintf(q, "%s", head);
	for (i = 0; i < n; i++) {
		memcpy(q, unit, strlen(unit));
		q += strlen(unit);
	}
	strcpy(q, tail);
	return p;
}

static void
test_hostile_yaml_is_bounded(void **state)
{
	struct {
		const char *what;
		char *yaml;
		const char *msg;
	} rows[5];
	size_t i;

	(void)state;
	rows[0].what = "a nesting bomb";
	rows[0].yaml = repeat_text("id: a\nspec: x\nsteps: ", "[", 100000, "");
	rows[0].msg = "nested deeper than 32 levels";
	rows[1].what = "a huge scalar";
	rows[1].yaml = repeat_text("id: a\nspec: x\nsteps: [{send: \"", "A", 70000, "\"}]\n");
	rows[1].msg = "a scalar longer than 65536 bytes";
	rows[2].what = "an alias bomb";
	rows[2].yaml = repeat_text("id: a\nspec: x\nx: &a [1,1,1,1,1,1,1,1]\n", "y: [*a,*a]\n", 10,
	    "steps: []\n");
	rows[2].msg = "anchors are not supported";
	rows[3].what = "too many steps";
	rows[3].yaml = repeat_text("id: a\nspec: x\nsteps:\n", "  - sleep: 1ms\n", 5000, "");
	rows[3].msg = "more than 4096 steps";
	rows[4].what = "a file over the size ceiling";
	rows[4].yaml = repeat_text("id: a\nspec: x\nsteps: []\n", "#                          \n",
	    HNS_FILE_MAX / 28 + 10, "");
	rows[4].msg = "file larger than";
	for (i = 0; i < NROWS(rows); i++) {
		struct msgs m;
		struct hns_scenario *s = load(rows[i].yaml, &m);
		if (s != NULL || strstr(m.text, rows[i].msg) == NULL) {
			print_error("%s:\n%.2000s\nwanted: %s\n", rows[i].what, m.text, rows[i].msg);
			hns_scenario_free(s);
			fail();
		}
		free(rows[i].yaml);
	}
}

static void
test_running_out_of_memory_fails_cleanly(void **state)
{
	static const char yaml[] = "id: a\nspec: x\nvars: {a: b}\nmatrix: {m: [1, 2]}\n"
	    "reports: {\"*\": allow}\nblocks:\n  b: [{sleep: 1ms}]\nsteps:\n  - use: b\n"
	    "  - cmd: QVER\n    expect: { regex: \"^\\\\+OK=(?<v>.*)$\" }\n"
	    "  - send_data: { hex: \"00\" }\n  - set: { x: \"${v}\" }\n";
	unsigned long n, total;

	(void)state;
	atp_alloc_fail_at(0);
	{
		struct msgs m;
		struct hns_scenario *s = load(yaml, &m);
		if (s == NULL)
			print_error("%s", m.text);
		assert_non_null(s);
		hns_scenario_free(s);
	}
	total = atp_alloc_fail_at(0);
	for (n = 1; n <= total + 1; n++) {
		struct msgs m;
		struct hns_scenario *s;
		atp_alloc_fail_at(n);
		s = load(yaml, &m);
		atp_alloc_fail_at(0);
		/* Either it loaded before the failure point, or it failed. */
		hns_scenario_free(s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_scenarios_are_refused_with_a_placed_message),
		cmocka_unit_test(test_a_full_scenario_builds_the_model),
		cmocka_unit_test(test_retrying_a_flash_write_is_a_warning_not_an_error),
		cmocka_unit_test(test_the_baud_step_takes_a_rate_and_a_format),
		cmocka_unit_test(test_a_negative_test_may_use_unknown_commands_and_forms),
		cmocka_unit_test(test_outside_names_and_environment_are_defined),
		cmocka_unit_test(test_every_error_is_reported_not_only_the_first),
		cmocka_unit_test(test_hostile_yaml_is_bounded),
		cmocka_unit_test(test_running_out_of_memory_fails_cleanly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
