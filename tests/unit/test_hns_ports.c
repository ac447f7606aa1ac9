/* SPDX-License-Identifier: MIT */
/* \summary: real adapters: usb: selectors, by-id links, station line keys and MACs, line resets */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "harness/hns_run.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

static void
test_selectors_parse_hex_ids_in_either_case(void **state)
{
	static const struct {
		const char *in;
		unsigned vid, pid;
		const char *serial;
	} ok[] = {
		{ "usb:1a86:7523", 0x1a86, 0x7523, "" },
		{ "usb:1A86:7523", 0x1a86, 0x7523, "" },
		{ "usb:0403:6001:A10K3XYZ", 0x0403, 0x6001, "A10K3XYZ" },
		{ "usb:10c4:EA60:0001", 0x10c4, 0xea60, "0001" },
		{ "usb:1:2", 1, 2, "" },
		{ "usb:ffff:ffff:a:b", 0xffff, 0xffff, "a:b" },   /* the rest is the serial */
	};
	struct hns_usb_sel sel;
	struct atp_diag d;
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(ok); i++) {
		atp_diag_clear(&d);
		assert_int_equal(hns_usb_sel_is(ok[i].in), 1);
		assert_int_equal(hns_usb_sel_parse(ok[i].in, &sel, &d), ATP_OK);
		assert_int_equal(sel.vid, ok[i].vid);
		assert_int_equal(sel.pid, ok[i].pid);
		assert_string_equal(sel.serial, ok[i].serial);
	}
	assert_int_equal(hns_usb_sel_is("/dev/ttyUSB0"), 0);
	assert_int_equal(hns_usb_sel_is("USB:1a86:7523"), 0);
}

static void
test_bad_selectors_are_refused_with_a_message(void **state)
{
	static const char *const bad[] = {
		"usb:", "usb:1a86", "usb:1a86:", "usb::7523", "usb:1a86x:7523", "usb:12345:7523",
		"usb:1a86:75230", "usb:1a86:7523:", "usb:g000:0000", "usb:1a86:-1", "dev:1a86:7523",
	};
	struct hns_usb_sel sel;
	struct atp_diag d;
	char longer[300];
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(bad); i++) {
		atp_diag_clear(&d);
		assert_int_equal(hns_usb_sel_parse(bad[i], &sel, &d), ATP_ERR_SYNTAX);
		assert_true(strlen(d.msg) > 0);
	}
	/* A serial longer than the slot is refused, not cut. */
	snprintf(longer, sizeof(longer), "usb:1a86:7523:%0200d", 7);
	atp_diag_clear(&d);
	assert_int_equal(hns_usb_sel_parse(longer, &sel, &d), ATP_ERR_SYNTAX);
}

static void
test_by_id_links_resolve_to_the_tty(void **state)
{
	char dir[] = "/tmp/atproof-ports-XXXXXX", p[512], q[512], out[512];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/serial", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/serial/by-id", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	/* udev's shape: by-id/x -> ../../tty (a name /sys/class/tty has:
	 * "tty" is there on every Linux), which is where the walk stops even
	 * though it is a link here. */
	snprintf(p, sizeof(p), "%s/serial/by-id/usb-X-if00-port0", dir);
	assert_int_equal(symlink("../../tty", p), 0);
	snprintf(q, sizeof(q), "%s/tty", dir);
	assert_int_equal(symlink("/dev/null", q), 0);
	assert_int_equal(hns_port_follow(p, out, sizeof(out)), ATP_OK);
	assert_string_equal(out, q);
	/* Two hops, with "." and "..": a/x -> ../b/./y -> ../serial/../tty. */
	snprintf(q, sizeof(q), "%s/a", dir);
	assert_int_equal(mkdir(q, 0700), 0);
	snprintf(q, sizeof(q), "%s/b", dir);
	assert_int_equal(mkdir(q, 0700), 0);
	snprintf(p, sizeof(p), "%s/a/x", dir);
	assert_int_equal(symlink("../b/./y", p), 0);
	snprintf(q, sizeof(q), "%s/b/y", dir);
	assert_int_equal(symlink("../serial/../tty", q), 0);
	assert_int_equal(hns_port_follow(p, out, sizeof(out)), ATP_OK);
	snprintf(q, sizeof(q), "%s/tty", dir);
	assert_string_equal(out, q);
	/* Links that lead to no tty name (a pty's link): the name as given. */
	snprintf(p, sizeof(p), "%s/c", dir);
	assert_int_equal(symlink("/dev/pts/7", p), 0);
	assert_int_equal(hns_port_follow(p, out, sizeof(out)), ATP_OK);
	assert_string_equal(out, p);
	/* A plain name is itself. */
	assert_int_equal(hns_port_follow("/dev/ttyUSB7", out, sizeof(out)), ATP_OK);
	assert_string_equal(out, "/dev/ttyUSB7");
	/* And a name with nothing to resolve is no alias. */
	{
		char alias[16];
		struct atp_diag d;
		atp_diag_clear(&d);
		assert_int_equal(hns_port_resolve("/dev/ttyUSB7", out, sizeof(out), alias,
		    sizeof(alias), &d), ATP_OK);
		assert_string_equal(out, "/dev/ttyUSB7");
		assert_string_equal(alias, "");
		snprintf(p, sizeof(p), "%s/serial/by-id/usb-X-if00-port0", dir);
		assert_int_equal(hns_port_resolve(p, out, sizeof(out), alias, sizeof(alias), &d),
		    ATP_ERR_LIMIT);   /* the alias does not fit 16 bytes: no silent cut */
	}
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
}

static void
msg_sink(void *ctx, const char *file, unsigned long line, unsigned long col, int is_error,
    const char *msg)
{
	char *buf = ctx;
	size_t n = strlen(buf);

	(void)file;
	(void)col;
	(void)is_error;
	snprintf(buf + n, 2048 - n, "%lu: %s\n", line, msg);
}

static void
test_station_units_get_line_settings_and_distinct_macs(void **state)
{
	static const char yaml[] =
	    "station: s\n"
	    "units:\n"
	    "  - { name: a, port: \"usb:1a86:7523:A1\", baud: auto, parity: even, flow: rtscts,"
	    " databits: 7, stopbits: 2 }\n"
	    "  - { name: b, port: /dev/ttyUSB1 }\n"
	    "  - { name: e, emulator: luat, count: 3 }\n"
	    "  - { name: f, emulator: g3 }\n";
	static const char *const bad[] = {
	    "units:\n  - { name: a, port: /dev/x, parity: mark }\n",
	    "units:\n  - { name: a, port: /dev/x, stopbits: 3 }\n",
	    "units:\n  - { name: a, port: /dev/x, databits: 4 }\n",
	    "units:\n  - { name: a, port: /dev/x, flow: dsrdtr }\n",
	    "units:\n  - { name: a, tcp: \"127.0.0.1:1\", parity: odd }\n",
	    "units:\n  - { name: a, emulator: luat, baud: auto }\n",
	};
	struct hns_unit *u = NULL;
	char msgs[2048] = "";
	size_t n = 0, i;

	(void)state;
	assert_int_equal(hns_station_load("s.yaml", yaml, strlen(yaml), &u, &n, msg_sink, msgs),
	    ATP_OK);
	assert_int_equal(n, 6);
	assert_int_equal(u[0].baud, HNS_BAUD_AUTO);
	assert_int_equal(u[0].parity, 'E');
	assert_int_equal(u[0].flow, 1);
	assert_int_equal(u[0].databits, 7);
	assert_int_equal(u[0].stopbits, 2);
	/* Not given: as on the command line. */
	assert_int_equal(u[1].parity, 0);
	assert_int_equal(u[1].flow, -1);
	assert_int_equal(u[1].databits, 0);
	assert_string_equal(u[1].mac, "");
	/* Emulated units: the emulator's first MAC, then one more each. */
	assert_string_equal(u[2].mac, "28:6d:cd:00:4e:7d");
	assert_string_equal(u[3].mac, "28:6d:cd:00:4e:7e");
	assert_string_equal(u[4].mac, "28:6d:cd:00:4e:7f");
	assert_string_equal(u[5].mac, "28:6d:cd:00:4e:80");
	hns_units_free(u, n);
	for (i = 0; i < NROWS(bad); i++) {
		msgs[0] = '\0';
		assert_int_equal(hns_station_load("s.yaml", bad[i], strlen(bad[i]), &u, &n, msg_sink,
		    msgs), ATP_ERR_SYNTAX);
		assert_non_null(strstr(msgs, "2: "));
	}
}

static void
test_reset_steps_by_a_modem_line_load_their_keys(void **state)
{
	static const char yaml[] =
	    "id: r\n"
	    "title: resets\n"
	    "spec: \"§2.2.1.3\"\n"
	    "steps:\n"
	    "  - reset: { settle: 100ms }\n"
	    "  - reset: { line: dtr }\n"
	    "  - reset: { line: rts, pulse: 20ms, active: off, settle: 1s }\n";
	struct hns_scenario *sc = NULL;
	char msgs[2048] = "";

	(void)state;
	assert_int_equal(hns_scenario_load_mem("r.yaml", yaml, strlen(yaml), NULL, msg_sink, msgs,
	    &sc), ATP_OK);
	assert_int_equal(sc->nsteps, 3);
	assert_int_equal(sc->steps[0].rline, 0);            /* AT+Z */
	assert_int_equal(sc->steps[0].sleep_us, 100000);
	assert_int_equal(sc->steps[1].rline, 1);
	assert_int_equal(sc->steps[1].ractive, 1);          /* the defaults */
	assert_int_equal(sc->steps[1].pulse_us, 100000);
	assert_int_equal(sc->steps[1].sleep_us, 500000);
	assert_string_equal(sc->steps[1].name, "reset by dtr");
	assert_int_equal(sc->steps[2].rline, 2);
	assert_int_equal(sc->steps[2].ractive, 0);
	assert_int_equal(sc->steps[2].pulse_us, 20000);
	assert_int_equal(sc->steps[2].sleep_us, 1000000);
	hns_scenario_free(sc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selectors_parse_hex_ids_in_either_case),
		cmocka_unit_test(test_bad_selectors_are_refused_with_a_message),
		cmocka_unit_test(test_by_id_links_resolve_to_the_tty),
		cmocka_unit_test(test_station_units_get_line_settings_and_distinct_macs),
		cmocka_unit_test(test_reset_steps_by_a_modem_line_load_their_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
