/* SPDX-License-Identifier: MIT */
/* \summary: the emulator's world files: parsing, errors with their place, lookups */
#include <stdlib.h>

#include "tests/unit/test_emu_util.h"

#define OK "+OK\r\n\r\n"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void
the_built_in_world_is_the_default_world_file(void **state)
{
	size_t len = 0;
	char *text = slurp("scenarios/worlds/default.yaml", &len);

	(void)state;
	assert_non_null(text);
	assert_int_equal(len, strlen(emu_default_world_yaml));
	assert_memory_equal(text, emu_default_world_yaml, len);
	free(text);
}

static void
the_default_world_has_the_manuals_networks(void **state)
{
	struct emu_world *w;
	struct atp_diag d;
	uint32_t ip = 0, to = 0;
	uint16_t port = 0;

	(void)state;
	assert_int_equal(emu_world_load("scenarios/worlds/default.yaml", &w, &d), ATP_OK);
	assert_true(w->naps >= 4);
	assert_string_equal(w->aps[0].ssid, "TP-LINK_HyFi_1E");
	assert_int_equal(w->aps[0].bssid[0], 0x3c);
	assert_int_equal(w->aps[0].channel, 11);
	assert_int_equal(w->aps[0].ip, 0xc0a8016du);
	assert_int_equal(w->join_us, 300000);
	assert_int_equal(w->scan_us, 200000);
	assert_int_equal(w->nstations, 1);
	assert_int_equal(emu_world_host(w, "WWW.Baidu.com", &ip), 1);
	assert_int_equal(ip, 0x73efd370u);
	assert_int_equal(emu_world_host(w, "nowhere.example", &ip), 0);
	assert_int_equal(emu_world_map(w, 0xc0a80164u, 1000, &to, &port), 1);
	assert_int_equal(to, 0x7f000001u);
	assert_int_equal(port, 1000);
	assert_int_equal(emu_world_map(w, 0x08080808u, 53, &to, &port), 0);
	assert_true(w->wps_ok);
	assert_true(w->oneshot_ok);
	assert_string_equal(w->custdata, "hello from the app");
	emu_world_free(w);
}

static void
an_exact_mapping_wins_over_an_address_one(void **state)
{
	const char *y = "map:\n  - { from: 10.0.0.1, to: 127.0.0.1 }\n"
	    "  - { from: \"10.0.0.1:80\", to: \"127.0.0.1:8080\" }\n";
	struct emu_world *w;
	struct atp_diag d;
	uint32_t to;
	uint16_t port;

	(void)state;
	assert_int_equal(emu_world_parse(y, strlen(y), "t", &w, &d), ATP_OK);
	assert_int_equal(emu_world_map(w, 0x0a000001u, 80, &to, &port), 1);
	assert_int_equal(port, 8080);
	assert_int_equal(emu_world_map(w, 0x0a000001u, 81, &to, &port), 1);
	assert_int_equal(port, 81);
	emu_world_free(w);
}

struct bad {
	const char *yaml;
	unsigned long line, col;
	const char *msg;
};

static void
bad_world_files_are_refused_with_their_place(void **state)
{
	static const struct bad bad[] = {
		{ "aps: [\n", 2, 1, "" },
		{ "nosuch: 1\n", 1, 1, "unknown key 'nosuch'" },
		{ "- 1\n", 1, 1, "must be a mapping" },
		{ "aps:\n  - ssid: a\n    bssid: 0011223344\n", 3, 12, "bssid" },
		{ "aps:\n  - ssid: a\n    bssid: 001122334455\n    channel: 15\n", 4, 14, "channel" },
		{ "aps:\n  - ssid: a\n    bssid: 001122334455\n    security: 7\n", 4, 15, "security" },
		{ "aps:\n  - { ssid: a, bssid: 001122334455, lease: { ip: 1.2.3.256 } }\n", 2, 50,
		  "ip" },
		{ "aps:\n  - { bssid: 001122334455 }\n", 2, 5, "ssid" },
		{ "aps:\n  - { ssid: 123456789012345678901234567890123, bssid: 001122334455 }\n", 2, 13,
		  "ssid" },
		{ "timing: { join: 0.1234567 }\n", 1, 17, "decimals" },
		{ "timing: { join: 3601 }\n", 1, 17, "join" },
		{ "timing: { join: -1 }\n", 1, 17, "join" },
		{ "stations: [ { mac: zz-11-22-33-44-55 } ]\n", 1, 20, "mac" },
		{ "hosts: { a: 1.2.3 }\n", 1, 13, "address" },
		{ "map: [ { from: \"1.2.3.4:70000\" } ]\n", 1, 16, "port" },
		{ "map: [ { to: 1.2.3.4 } ]\n", 1, 8, "from" },
		{ "wps: { ok: maybe }\n", 1, 12, "ok" },
		{ "wps: { ok: true }\n", 1, 6, "needs an ap" },
		{ "aps: [ { ssid: a, bssid: 001122334455 } ]\nwps: { ap: b }\n", 2, 12, "no ap" },
		{ "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]\n", 1, 17, "nested deeper" },
		{ "aps: [ { ssid: a, bssid: 001122334455 } ]\n"
		  "oneshot: { ok: true, ap: a, custdata: x }\ncustdata: y\n", 3, 11,
		  "at the top and under oneshot" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct emu_world *w = (struct emu_world *)1;
		struct atp_diag d;
		char msg[512];
		atp_diag_clear(&d);
		if (emu_world_parse(bad[i].yaml, strlen(bad[i].yaml), "w.yaml", &w, &d) == ATP_OK)
			fail_msg("accepted: %s", bad[i].yaml);
		assert_null(w);
		atp_diag_format(&d, msg, sizeof(msg));
		if (d.line != bad[i].line || d.col != bad[i].col || strstr(d.msg, bad[i].msg) == NULL ||
		    strncmp(msg, "w.yaml:", 7) != 0)
			fail_msg("%s\n  got %s (line %lu col %lu), expected line %lu col %lu with '%s'",
			    bad[i].yaml, msg, d.line, d.col, bad[i].line, bad[i].col, bad[i].msg);
	}
}

static void
a_world_file_over_the_size_ceiling_is_refused(void **state)
{
	size_t n = EMU_WORLD_FILE_MAX + 1;
	char *big = malloc(n);
	struct emu_world *w;
	struct atp_diag d;

	(void)state;
	memset(big, '#', n);
	assert_int_equal(emu_world_parse(big, n, "big.yaml", &w, &d), ATP_ERR_LIMIT);
	free(big);
	assert_int_equal(emu_world_load("/nonexistent/world.yaml", &w, &d), ATP_ERR_IO);
	assert_non_null(strstr(d.source, "/nonexistent/world.yaml"));
}

static void
an_empty_world_has_no_networks(void **state)
{
	struct tm *t = calloc(1, sizeof(*t));

	(void)state;
	tm_open_with(t, "manual", "# nothing\n", NULL);
	tm_expect(t, "AT+WSCAN\r", "+OK=\r\n\r\n");
	tm_expect(t, "AT+SSID=TP-LINK_HyFi_1E\r", OK);
	tm_expect(t, "AT+WJOIN\r", "+ERR=-10\r\n\r\n");
	tm_close(t);
}

static void
a_world_sets_the_timing_and_the_networks(void **state)
{
	const char *y =
	    "timing: { join: 2, join_fail: 1.5, scan: 4.5 }\n"
	    "aps:\n"
	    "  - { ssid: Home, bssid: \"AA:BB:CC:DD:EE:01\", channel: 3, security: 6, key: secret99,\n"
	    "      rssi: 40, lease: { ip: 10.1.1.50, mask: 255.255.0.0, gw: 10.1.0.1, dns: 9.9.9.9 } }\n"
	    "stations: [ { mac: 02-00-00-00-00-01, ip: 192.168.0.9, after: 1 } ]\n"
	    "custdata: from the world\n";
	struct tm *t = calloc(1, sizeof(*t));

	(void)state;
	tm_open_with(t, "luat", y, NULL);
	tm_expect(t, "AT+CUSTDATA\r", "+OK=\"from the world\"\r\n\r\n");
	assert_string_equal(tm_txn(t, "AT+WSCAN\r", 9, 4.4), "");
	assert_string_equal(tm_txn(t, "", 0, 0.2), "+OK=AABBCCDDEE01,2,3,1,\"Home\",40\r\n\r\n\r\n");
	tm_expect(t, "AT+SSID=Home\r", OK);
	tm_expect(t, "AT+ENCRY=!6\r", OK);
	tm_expect(t, "AT+KEY=!1,0,secret00\r", OK);
	assert_string_equal(tm_txn(t, "AT+WJOIN\r", 9, 1.4), "");
	assert_string_equal(tm_txn(t, "", 0, 0.2), "+ERR=-10\r\n\r\n");
	tm_expect(t, "AT+KEY=!1,0,secret99\r", OK);
	assert_string_equal(tm_txn(t, "AT+WJOIN\r", 9, 1.9), "");
	assert_string_equal(tm_txn(t, "", 0, 0.2), "+OK=aabbccddee01,0,3,1,\"Home\",40\r\n\r\n");
	tm_expect(t, "AT+LKSTT\r",
	    "+OK=1,\"10.1.1.50\",\"255.255.0.0\",\"10.1.0.1\",\"9.9.9.9\",\"0.0.0.0\"\r\n\r\n");
	/* The station joins the SoftAP one second after it is up. */
	tm_expect(t, "AT+WPRT=!2\r", OK);
	tm_expect(t, "AT+APSSID=!Mine\r", OK);
	assert_string_equal(tm_txn(t, "AT+WJOIN\r", 9, 2.0),
	    "+OK=2a6dcd004e7d,2,11,0,\"Mine\",0\r\n\r\n");
	assert_string_equal(tm_txn(t, "AT+SLIST\r", 9, 0.001), "+OK=0,\r\n\r\n");
	emu_loop_advance(t->loop, 1000000);
	tm_expect(t, "AT+SLIST\r", "+OK=1,,02-00-00-00-00-01,192.168.0.9\r\n\r\n");
	tm_close(t);
}

static void
oneshot_delivers_the_network_and_the_user_data(void **state)
{
	struct tm *t = tm_open("manual");

	(void)state;
	tm_expect(t, "AT+CUSTDATA\r", "+OK=\"\"\r\n\r\n");
	tm_expect(t, "AT+ONESHOT=1\r", OK);
	tm_expect(t, "AT+CUSTDATA\r", "+OK=\"hello from the app\"\r\n\r\n");
	tm_expect(t, "AT+SSID=?\r", "+OK=TP-LINK_HyFi_1E\r\n\r\n");
	tm_expect(t, "AT+LKSTT\r",
	    "+OK=1,\"192.168.1.109\",\"255.255.255.0\",\"192.168.1.1\",\"192.168.1.1\",\"0.0.0.0\"\r\n\r\n");
	tm_close(t);
}

static void
wps_push_button_joins_the_worlds_registrar(void **state)
{
	struct tm *t = tm_open("luat");

	(void)state;
	tm_expect(t, "AT+WWPS=start_pbc\r", OK);
	tm_expect(t, "AT+LKSTT\r",
	    "+OK=1,\"192.168.1.109\",\"255.255.255.0\",\"192.168.1.1\",\"192.168.1.1\",\"0.0.0.0\"\r\n\r\n");
	tm_close(t);
}

/* NIP=1 (§2.2.2.2): the station takes the static address, not the AP's
 * lease; back to DHCP it takes the lease again. */
static void
a_static_ip_replaces_the_lease(void **state)
{
	static const char *const profs[] = { "manual", "luat", "g3" };
	size_t p;

	(void)state;
	for (p = 0; p < 3; p++) {
		struct tm *t = tm_open(profs[p]);
		tm_expect(t, "AT+NIP=1,192.168.1.5,255.255.255.0,192.168.1.254,8.8.8.8\r", OK);
		tm_expect(t, "AT+SSID=TP-LINK_HyFi_1E\r", OK);
		tm_expect(t, "AT+WJOIN\r", "+OK=3c46d82bd81e,0,11,0,\"TP-LINK_HyFi_1E\",53\r\n\r\n");
		tm_expect(t, "AT+LKSTT\r", "+OK=1,\"192.168.1.5\",\"255.255.255.0\",\"192.168.1.254\","
		    "\"8.8.8.8\",\"0.0.0.0\"\r\n\r\n");
		tm_expect(t, "AT+WLEAV\r", OK);
		tm_expect(t, "AT+NIP=0\r", OK);
		tm_expect(t, "AT+WJOIN\r", "+OK=3c46d82bd81e,0,11,0,\"TP-LINK_HyFi_1E\",53\r\n\r\n");
		tm_expect(t, "AT+LKSTT\r", "+OK=1,\"192.168.1.109\",\"255.255.255.0\",\"192.168.1.1\","
		    "\"192.168.1.1\",\"0.0.0.0\"\r\n\r\n");
		tm_close(t);
	}
}

/* CHL, CHLL and BSSID (§2.2.2.13-16) choose what WJOIN may join, as they
 * choose what WSCAN lists: a designated BSSID wins over the SSID. */
static void
wjoin_honours_the_channel_and_bssid_filters(void **state)
{
	static const char *const profs[] = { "manual", "luat", "g3" };
	static const char join[] = "+OK=3c46d82bd81e,0,11,0,\"TP-LINK_HyFi_1E\",53\r\n\r\n";
	size_t p;

	(void)state;
	for (p = 0; p < 3; p++) {
		struct tm *t = tm_open(profs[p]);
		tm_expect(t, "AT+SSID=TP-LINK_HyFi_1E\r", OK);
		tm_expect(t, "AT+CHL=1,6\r", OK);             /* the AP is on 11 */
		tm_expect(t, "AT+WJOIN\r", "+ERR=-10\r\n\r\n");
		tm_expect(t, "AT+CHL=1,11\r", OK);
		tm_expect(t, "AT+WJOIN\r", join);
		tm_expect(t, "AT+WLEAV\r", OK);
		tm_expect(t, "AT+CHL=0\r", OK);
		tm_expect(t, "AT+CHLL=!3ff\r", OK);           /* channels 1 to 10 */
		tm_expect(t, "AT+WJOIN\r", "+ERR=-10\r\n\r\n");
		tm_expect(t, "AT+CHLL=!3fff\r", OK);
		tm_expect(t, "AT+SSID=elsewhere\r", OK);
		tm_expect(t, "AT+BSSID=1,3C46D82BD81E\r", OK);
		tm_expect(t, "AT+WJOIN\r", join);
		tm_expect(t, "AT+WLEAV\r", OK);
		tm_expect(t, "AT+BSSID=1,3c46d82bd81f\r", OK);
		tm_expect(t, "AT+WJOIN\r", "+ERR=-10\r\n\r\n");
		tm_expect(t, "AT+LKSTT\r", "+OK=0\r\n\r\n");
		tm_close(t);
	}
}

/* The world decides how WPS and ONESHOT end, and when (§2.2.3.3, §2.2.3.18). */
static void
wps_and_oneshot_outcomes_come_from_the_world(void **state)
{
	const char *fail =
	    "aps: [ { ssid: Home, bssid: aabbccddee01, channel: 3, security: 0, rssi: 40,\n"
	    "         lease: { ip: 10.1.1.50, mask: 255.255.0.0, gw: 10.1.0.1, dns: 10.1.0.1 } } ]\n"
	    "wps: { ok: false, ap: Home, time: 2 }\n"
	    "oneshot: { ok: false, ap: Home, time: 3, custdata: never delivered }\n";
	const char *good =
	    "aps: [ { ssid: Home, bssid: aabbccddee01, channel: 3, security: 6, key: secret99,\n"
	    "         rssi: 40, lease: { ip: 10.1.1.50, mask: 255.255.0.0, gw: 10.1.0.1,\n"
	    "         dns: 10.1.0.1 } } ]\n"
	    "wps: { ok: true, ap: Home, time: 2 }\n"
	    "oneshot: { ok: true, ap: Home, time: 3, custdata: app data }\n";
	const char *up = "+OK=1,\"10.1.1.50\",\"255.255.0.0\",\"10.1.0.1\",\"10.1.0.1\",\"0.0.0.0\"\r\n\r\n";
	struct tm *t = calloc(1, sizeof(*t));

	(void)state;
	tm_open_with(t, "luat", fail, NULL);
	assert_string_equal(tm_txn(t, "AT+WWPS=start_pbc\r", 18, 1.9), "");
	assert_string_equal(tm_txn(t, "", 0, 0.2), "+ERR=-10\r\n\r\n");
	tm_expect(t, "AT+LKSTT\r", "+OK=0\r\n\r\n");
	tm_expect(t, "AT+ONESHOT=1\r", OK);
	tm_expect(t, "AT+CUSTDATA\r", "+OK=\"\"\r\n\r\n");
	tm_expect(t, "AT+LKSTT\r", "+OK=0\r\n\r\n");
	tm_expect(t, "AT+SSID=?\r", "+OK=\r\n\r\n");
	tm_close(t);

	t = calloc(1, sizeof(*t));
	tm_open_with(t, "luat", good, NULL);
	assert_string_equal(tm_txn(t, "AT+WWPS=start_pin\r", 18, 1.9), "");
	assert_string_equal(tm_txn(t, "", 0, 0.2), OK);
	tm_expect(t, "AT+LKSTT\r", up);
	tm_expect(t, "AT+SSID=?\r", "+OK=Home\r\n\r\n");
	tm_close(t);

	t = calloc(1, sizeof(*t));
	tm_open_with(t, "manual", good, NULL);
	assert_string_equal(tm_txn(t, "AT+ONESHOT=1\r", 13, 0.001), OK);
	assert_string_equal(tm_txn(t, "AT+CUSTDATA\r", 12, 2.8), "+OK=\"\"\r\n\r\n");
	emu_loop_advance(t->loop, 200000);
	tm_expect(t, "AT+CUSTDATA\r", "+OK=\"app data\"\r\n\r\n");
	tm_expect(t, "AT+LKSTT\r", up);
	tm_close(t);
}

/* A scan slower than 5 s: the firmware stops waiting and answers -3 with
 * no list (firmware §11); the world's time up to 5 s is the scan's. */
static void
a_scan_over_5_s_times_out(void **state)
{
	const char *y =
	    "timing: { scan: 6 }\n"
	    "aps: [ { ssid: Home, bssid: aabbccddee01, channel: 3, security: 0, rssi: 40 } ]\n";
	struct tm *t = calloc(1, sizeof(*t));

	(void)state;
	tm_open_with(t, "g3", y, NULL);
	assert_string_equal(tm_txn(t, "AT+WSCAN\r", 9, 4.9), "");
	assert_string_equal(tm_txn(t, "", 0, 0.2), "+ERR=-3\r\n\r\n");
	tm_expect(t, "AT+\r", OK);
	tm_close(t);
}

/* SKGHBN takes the world's resolve time; the connect time is read too
 * (SKCT's, which test_emu_net.c runs on a real clock). */
static void
the_world_times_name_lookups_and_connections(void **state)
{
	const char *y =
	    "timing: { join: 0.1, resolve: 1.5, connect: 1.25 }\n"
	    "aps: [ { ssid: Home, bssid: aabbccddee01, channel: 3, security: 0, rssi: 40 } ]\n"
	    "hosts: { peer.test: 192.168.1.100 }\n";
	struct tm *t = calloc(1, sizeof(*t));

	(void)state;
	tm_open_with(t, "g3", y, NULL);
	assert_int_equal(t->world->connect_us, 1250000);
	tm_expect(t, "AT+SSID=Home\r", OK);
	tm_expect(t, "AT+WJOIN\r", "+OK=aabbccddee01,0,3,0,\"Home\",40\r\n\r\n");
	assert_string_equal(tm_txn(t, "AT+SKGHBN=peer.test\r", 20, 1.4), "");
	assert_string_equal(tm_txn(t, "", 0, 0.2), "+OK=\"192.168.1.100\"\r\n\r\n");
	tm_close(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_built_in_world_is_the_default_world_file),
		cmocka_unit_test(the_default_world_has_the_manuals_networks),
		cmocka_unit_test(an_exact_mapping_wins_over_an_address_one),
		cmocka_unit_test(bad_world_files_are_refused_with_their_place),
		cmocka_unit_test(a_world_file_over_the_size_ceiling_is_refused),
		cmocka_unit_test(an_empty_world_has_no_networks),
		cmocka_unit_test(a_world_sets_the_timing_and_the_networks),
		cmocka_unit_test(oneshot_delivers_the_network_and_the_user_data),
		cmocka_unit_test(wps_push_button_joins_the_worlds_registrar),
		cmocka_unit_test(a_static_ip_replaces_the_lease),
		cmocka_unit_test(wjoin_honours_the_channel_and_bssid_filters),
		cmocka_unit_test(wps_and_oneshot_outcomes_come_from_the_world),
		cmocka_unit_test(the_world_times_name_lookups_and_connections),
		cmocka_unit_test(a_scan_over_5_s_times_out),
	};

	/* 0 or 1: failures are counted in the output (tests/run.sh); a small
	 * exit code keeps them apart from crashes (tools/oom.sh). */
	return cmocka_run_group_tests(tests, NULL, NULL) == 0 ? 0 : 1;
}
