/* SPDX-License-Identifier: MIT */
/* \summary: station files: the units they name, and what they refuse */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/hns_run.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

struct msgs {
	char text[2048];
};

static void
collect(void *ctx, const char *file, unsigned long line, unsigned long col, int is_error,
    const char *msg)
{
	struct msgs *m = ctx;
	size_t n = strlen(m->text);

	(void)is_error;
	snprintf(m->text + n, sizeof(m->text) - n, "%s:%lu:%lu: %s\n", file, line, col, msg);
}

static void
test_units_expand_counts_and_keep_their_settings(void **state)
{
	static const char yaml[] =
	    "station: line3\n"
	    "units:\n"
	    "  - { name: dut1, port: /dev/ttyUSB0, baud: 921600 }\n"
	    "  - { name: bench, tcp: \"127.0.0.1:4001\" }\n"
	    "  - { name: emu, emulator: g3, count: 3 }\n";
	struct hns_unit *u = NULL;
	struct msgs m;
	size_t n = 0;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_int_equal(hns_station_load("s.yaml", yaml, strlen(yaml), &u, &n, collect, &m), ATP_OK);
	assert_int_equal(n, 5);
	assert_string_equal(u[0].name, "dut1");
	assert_string_equal(u[0].port, "/dev/ttyUSB0");
	assert_int_equal(u[0].baud, 921600);
	assert_string_equal(u[1].tcp, "127.0.0.1:4001");
	assert_int_equal(u[1].baud, 115200);
	assert_string_equal(u[2].name, "emu-0");
	assert_string_equal(u[4].name, "emu-2");
	assert_string_equal(u[4].emulator, "g3");
	hns_units_free(u, n);
}

static void
test_bad_station_files_are_refused_with_a_place(void **state)
{
	static const struct {
		const char *what, *yaml, *msg;
	} rows[] = {
		{ "no units", "station: x\n", "units: is a list of units" },
		{ "an empty unit list", "units: []\n", "units: is a list of units" },
		{ "an unknown top-level key", "units: [{name: a, port: /dev/x}]\nstation: x\nfoo: 1\n",
		  "s.yaml:3:1: unknown key 'foo'" },
		{ "an unknown unit key", "units:\n  - { name: a, port: /dev/x, speed: 9 }\n",
		  "s.yaml:2:30: unknown key 'speed'" },
		{ "two transports", "units:\n  - { name: a, port: /dev/x, tcp: \"h:1\" }\n",
		  "a unit has one of port, tcp, emulator" },
		{ "no transport", "units:\n  - { name: a }\n", "a unit has one of port, tcp, emulator" },
		{ "no name", "units:\n  - { port: /dev/x }\n", "a unit needs a name" },
		{ "a name with a slash", "units:\n  - { name: a/b, port: /dev/x }\n",
		  "a unit needs a name" },
		{ "count without an emulator", "units:\n  - { name: a, port: /dev/x, count: 2 }\n",
		  "count (1..256) goes with emulator" },
		{ "too many emulators", "units:\n  - { name: a, emulator: luat, count: 257 }\n",
		  "count (1..256) goes with emulator" },
		{ "an unknown profile", "units:\n  - { name: a, emulator: esp32 }\n",
		  "emulator is a firmware profile" },
		{ "a bad baud rate", "units:\n  - { name: a, port: /dev/x, baud: fast }\n",
		  "baud is a number" },
		{ "two units of one name", "units:\n  - { name: a, port: /dev/x }\n"
		  "  - { name: a, port: /dev/y }\n", "two units have the same name" },
		{ "more than 256 units", "units:\n  - { name: a, emulator: luat, count: 200 }\n"
		  "  - { name: b, emulator: luat, count: 200 }\n", "more than 256 units" },
		{ "YAML errors are placed", "units: [\n", "s.yaml:" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(rows); i++) {
		struct hns_unit *u = NULL;
		struct msgs m;
		size_t n = 0;
		int rc;
		memset(&m, 0, sizeof(m));
		rc = hns_station_load("s.yaml", rows[i].yaml, strlen(rows[i].yaml), &u, &n, collect, &m);
		if (rc == ATP_OK || u != NULL || strstr(m.text, rows[i].msg) == NULL) {
			print_error("%s: rc %d\n%s\nwanted: %s\n", rows[i].what, rc, m.text, rows[i].msg);
			hns_units_free(u, n);
			fail();
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units_expand_counts_and_keep_their_settings),
		cmocka_unit_test(test_bad_station_files_are_refused_with_a_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
