/* SPDX-License-Identifier: MIT */
/* \summary: the emulator's engine: input path, faults, log */
#include <stdlib.h>
#include <unistd.h>

#include "tests/unit/test_emu_util.h"

#define OK "+OK\r\n\r\n"

static struct tm *
with_fault(const char *profile, const char *f)
{
	const char *spec[2];

	spec[0] = f;
	spec[1] = NULL;
	return tm_open_faults(profile, spec);
}

/* ---- input path ---------------------------------------------------------- */

static void
a_line_fed_byte_by_byte_is_answered_once(void **state)
{
	struct tm *t = tm_open("luat");
	const char *line = "AT+QMAC\r";
	size_t i;

	(void)state;
	for (i = 0; line[i] != '\0'; i++)
		tm_send(t, &line[i], 1);
	emu_loop_advance(t->loop, 1000);
	assert_string_equal(tm_take(t), "+OK=286dcd004e7d\r\n\r\n");
	tm_close(t);
}

static void
commands_in_one_chunk_are_answered_in_order(void **state)
{
	struct tm *t = tm_open("g3");

	(void)state;
	tm_expect(t, "AT+\rAT+QMAC\rAT+FOO\rAT+\r",
	    OK "+OK=286dcd004e7d\r\n\r\n+ERR=-2\r\n\r\n" OK);
	tm_close(t);
}

static void
a_nul_inside_a_line_makes_it_an_unknown_command(void **state)
{
	struct tm *t = tm_open("luat");

	(void)state;
	assert_string_equal(tm_txn(t, "AT+\0QVER\r", 9, 1), "+ERR=-2\r\n\r\n");
	tm_expect(t, "AT+\r", OK);
	tm_close(t);
}

static void
more_than_4_kib_of_input_is_cut_and_the_module_recovers(void **state)
{
	static const char *const profs[] = { "manual", "luat", "g3" };
	char *junk = malloc(20000);
	size_t p, i;

	(void)state;
	for (i = 0; i < 20000; i++)
		junk[i] = (char)('a' + i % 26);
	for (p = 0; p < 3; p++) {
		struct tm *t = tm_open(profs[p]);
		tm_txn(t, junk, 20000, 1);
		assert_int_equal(t->outlen, 0);
		assert_true(t->e->inlen <= EMU_IN_MAX);
		/* A line end closes whatever garbage is left. */
		tm_expect(t, "\rAT+\r", OK);
		tm_close(t);
	}
	free(junk);
}

static void
a_full_ring_of_lines_waits_for_the_running_command(void **state)
{
	struct tm *t = tm_open("luat");
	char buf[EMU_IN_MAX * 2];
	size_t n = 0;

	(void)state;
	tm_expect(t, "AT+SSID=TP-LINK_HyFi_1E\r", OK);
	tm_txn(t, "AT+WJOIN\r", 9, 0.01);
	/* Queued behind WJOIN: 1000 commands overflow the 4 KiB ring, whose
	 * oldest bytes go; what is left still runs, line by line. */
	while (n + 4 <= sizeof(buf)) {
		memcpy(buf + n, "AT+\r", 4);
		n += 4;
	}
	tm_txn(t, buf, n, 5);
	assert_true(t->outlen > 8 * 100);
	assert_true(t->outlen < 8 * 2048);
	assert_memory_equal(t->out + t->outlen - 7, "+OK\r\n\r\n", 7);
	tm_close(t);
}

static void
a_line_of_exactly_512_bytes_runs(void **state)
{
	struct tm *t = tm_open("luat");
	char line[600];

	(void)state;
	memcpy(line, "AT+SSID=", 8);
	memset(line + 8, 'x', 504);
	line[512] = '\r';
	line[513] = '\0';
	tm_expect(t, line, "+ERR=-4\r\n\r\n");    /* too long an SSID, but a command */
	line[512] = 'x';
	line[513] = '\r';
	line[514] = '\0';
	tm_expect(t, line, "");    /* 513 bytes: flushed */
	tm_expect(t, "AT+\r", OK);
	tm_close(t);
}

static void
plus_plus_plus_inside_a_command_is_part_of_it(void **state)
{
	struct tm *t = tm_open("luat");

	(void)state;
	tm_expect(t, "AT+QV+++ER\r", "+ERR=-2\r\n\r\n");
	tm_expect(t, "AT+\r", OK);
	tm_close(t);
}

/* ---- faults -------------------------------------------------------------- */

static void
fault_delay_holds_every_response(void **state)
{
	struct tm *t = with_fault("luat", "delay=300");

	(void)state;
	assert_string_equal(tm_txn(t, "AT+\r", 4, 0.29), "");
	assert_string_equal(tm_txn(t, "", 0, 0.02), OK);
	tm_close(t);
}

static void
fault_delay_for_one_command_holds_only_it(void **state)
{
	struct tm *t = with_fault("luat", "delay=QMAC:500");

	(void)state;
	assert_string_equal(tm_txn(t, "AT+\r", 4, 0.001), OK);
	assert_string_equal(tm_txn(t, "AT+QMAC\rAT+\r", 12, 0.4), "");
	assert_string_equal(tm_txn(t, "", 0, 0.2), "+OK=286dcd004e7d\r\n\r\n" OK);
	tm_close(t);
}

static void
fault_drop_crlf_cuts_the_terminator(void **state)
{
	struct tm *t = with_fault("manual", "drop-crlf");

	(void)state;
	tm_expect(t, "AT+\r", "+OK\r\n");
	tm_expect(t, "AT+FOO\r", "+ERR=-2\r\n");
	tm_close(t);
}

static void
fault_mac_case_swaps_the_case_of_macs(void **state)
{
	struct tm *t = with_fault("luat", "mac-case");

	(void)state;
	tm_expect(t, "AT+QMAC\r", "+OK=286DCD004E7D\r\n\r\n");
	tm_expect(t, "AT+CHLL=!400\r", OK);
	tm_expect(t, "AT+WSCAN\r", "+OK=3c46d82bd81e,2,11,0,\"TP-LINK_HyFi_1E\",53\r\n\r\n\r\n");
	tm_close(t);
}

static void
fault_spurious_report_slips_a_line_into_a_response(void **state)
{
	struct tm *t = with_fault("luat", "spurious-report=2");

	(void)state;
	tm_expect(t, "AT+\r", OK);
	tm_expect(t, "AT+\r", "+OK\r\n+SKTRPT=1,0,192.168.1.100,1000\r\n\r\n");
	tm_expect(t, "AT+\r", OK);
	tm_close(t);
}

static void
fault_echo_stuck_echoes_whatever_e_says(void **state)
{
	struct tm *t = with_fault("luat", "echo-stuck");

	(void)state;
	tm_expect(t, "AT+\r", "AT+\r\n" OK);
	tm_expect(t, "AT+E\r", "AT+E\r\n" OK);
	tm_expect(t, "AT+E\r", "AT+E\r\n" OK);
	tm_close(t);
}

static void
fault_wrong_error_changes_the_code(void **state)
{
	struct tm *t = with_fault("luat", "wrong-error");
	struct tm *u = with_fault("luat", "wrong-error=-5");

	(void)state;
	tm_expect(t, "AT+FOO\r", "+ERR=-4\r\n\r\n");
	tm_expect(t, "AT+WPRT=9\r", "+ERR=-2\r\n\r\n");
	tm_expect(u, "AT+FOO\r", "+ERR=-5\r\n\r\n");
	tm_expect(u, "AT+\r", OK);
	tm_close(t);
	tm_close(u);
}

static void
fault_garbage_puts_random_bytes_before_responses(void **state)
{
	struct tm *t = with_fault("luat", "garbage=1");
	int i;

	(void)state;
	for (i = 0; i < 20; i++) {
		tm_tx(t, "AT+\r");
		assert_in_range(t->outlen, 8, 7 + 8);
		assert_memory_equal(t->out + t->outlen - 7, OK, 7);
	}
	tm_close(t);
}

static void
fault_reset_mid_prints_ready_and_loses_ram(void **state)
{
	struct tm *t = with_fault("luat", "reset-mid=3");

	(void)state;
	tm_expect(t, "AT+SSID=abc\r", OK);
	tm_expect(t, "AT+SSID=?\r", "+OK=abc\r\n\r\n");
	tm_expect(t, "AT+QMAC\r", "ready\r\n\r\n");
	tm_expect(t, "AT+SSID=?\r", "+OK=\r\n\r\n");
	tm_close(t);
}

static void
fault_bitflip_flips_one_bit_per_byte_at_rate_one(void **state)
{
	struct tm *t = with_fault("luat", "bitflip=1");
	size_t i;

	(void)state;
	tm_tx(t, "AT+QMAC\r");
	assert_int_equal(t->outlen, strlen("+OK=286dcd004e7d\r\n\r\n"));
	for (i = 0; i < t->outlen; i++) {
		unsigned x = (unsigned)((uint8_t)t->out[i] ^ (uint8_t)"+OK=286dcd004e7d\r\n\r\n"[i]);
		assert_true(x != 0 && (x & (x - 1)) == 0);
	}
	tm_close(t);
}

static void
fault_bitflip_is_reproducible_with_a_seed(void **state)
{
	const char *spec[] = { "bitflip=0.3", "seed=42", NULL };
	struct tm *a = tm_open_faults("luat", spec), *b = tm_open_faults("luat", spec);

	(void)state;
	tm_tx(a, "AT+QVER\r");
	tm_tx(b, "AT+QVER\r");
	assert_int_equal(a->outlen, b->outlen);
	assert_memory_equal(a->out, b->out, a->outlen);
	tm_close(a);
	tm_close(b);
}

static void
fault_skrcv_short_is_a_flag_for_the_networking_code(void **state)
{
	struct tm *t = with_fault("luat", "skrcv-short");

	(void)state;
	assert_int_equal(t->e->faults->skrcv_short, 1);
	tm_close(t);
}

static void
bad_fault_specs_are_refused_with_a_message(void **state)
{
	static const char *const bad[] = {
		"nosuch", "delay", "delay=x", "delay=:5", "delay=ABCDEFGHIJK:5", "bitflip",
		"bitflip=2", "bitflip=0.5x", "drop-crlf=1", "wrong-error=5", "wrong-error=-65",
		"reset-mid=0", "spurious-report=x", "garbage=1.5", "seed=",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct emu_faults f;
		struct atp_diag d;
		memset(&f, 0, sizeof(f));
		atp_diag_clear(&d);
		if (emu_fault_parse(&f, bad[i], &d) != ATP_ERR_SYNTAX)
			fail_msg("--fault %s was accepted", bad[i]);
		assert_non_null(strstr(d.msg, bad[i]));
	}
}

static void
the_help_documents_every_fault(void **state)
{
	static const char *const names[] = {
		"delay=", "drop-crlf", "mac-case", "spurious-report", "echo-stuck", "wrong-error",
		"skrcv-short", "sksnd-drop", "garbage", "reset-mid", "bitflip", "baud=", "seed",
	};
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	emu_fault_help(f);
	fclose(f);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strstr(buf, names[i]) == NULL)
			fail_msg("--help does not document %s", names[i]);
	free(buf);
}

/* ---- log ----------------------------------------------------------------- */

static void
the_log_has_every_byte_with_a_timestamp(void **state)
{
	char path[] = "/tmp/test_emu_logXXXXXX", line[512];
	struct emu_loop *loop;
	struct emu_log *log;
	struct emu_config cfg;
	struct emu *e;
	struct atp_diag d;
	FILE *f;
	int fd = mkstemp(path), in = 0, out = 0;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(emu_loop_new(1, &loop), ATP_OK);
	assert_int_equal(emu_log_open(path, 1, &log, &d), ATP_OK);
	memset(&cfg, 0, sizeof(cfg));
	cfg.log = log;
	cfg.index = 7;
	assert_int_equal(emu_new(loop, &cfg, &e, &d), ATP_OK);
	emu_input(e, "AT+QMAC\r", 8);
	emu_loop_advance(loop, 1000);
	emu_free(e);
	emu_log_close(log);
	emu_loop_free(loop);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = line;
		while (ATP_ISDIGIT(*p))
			p++;
		assert_true(p > line && *p == '.');
		p++;
		assert_true(ATP_ISDIGIT(p[0]) && ATP_ISDIGIT(p[5]) && p[6] == ' ');
		p += 7;
		assert_memory_equal(p, "[7] ", 4);
		p += 4;
		if (strcmp(p, "< AT+QMAC\\r\n") == 0)
			in++;
		if (strcmp(p, "> +OK=286dcd004e84\\r\\n\\r\\n\n") == 0)
			out++;
	}
	fclose(f);
	if (getenv("KEEP") == NULL)
		unlink(path);
	else
		print_message("log in %s\n", path);
	assert_int_equal(in, 1);
	assert_int_equal(out, 1);
}

/* ---- loop ---------------------------------------------------------------- */

static int fired[4];

static void
mark(struct emu_loop *loop, void *ctx)
{
	(void)loop;
	fired[(int *)ctx - fired]++;
}

static void
timers_fire_in_order_and_cancel(void **state)
{
	struct emu_loop *loop;
	uint64_t a, b;

	(void)state;
	assert_int_equal(emu_loop_new(1, &loop), ATP_OK);
	a = emu_timer_add(loop, 1000, mark, &fired[0]);
	b = emu_timer_add(loop, 2000, mark, &fired[1]);
	emu_timer_add(loop, 3000, mark, &fired[2]);
	assert_true(a != 0 && b != 0 && a != b);
	emu_timer_cancel(loop, b);
	emu_loop_advance(loop, 1500);
	assert_int_equal(fired[0], 1);
	assert_int_equal(fired[2], 0);
	emu_loop_advance(loop, 2000);
	assert_int_equal(fired[1], 0);
	assert_int_equal(fired[2], 1);
	emu_timer_cancel(loop, a);    /* already fired: ignored */
	emu_loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_line_fed_byte_by_byte_is_answered_once),
		cmocka_unit_test(commands_in_one_chunk_are_answered_in_order),
		cmocka_unit_test(a_nul_inside_a_line_makes_it_an_unknown_command),
		cmocka_unit_test(more_than_4_kib_of_input_is_cut_and_the_module_recovers),
		cmocka_unit_test(a_full_ring_of_lines_waits_for_the_running_command),
		cmocka_unit_test(a_line_of_exactly_512_bytes_runs),
		cmocka_unit_test(plus_plus_plus_inside_a_command_is_part_of_it),
		cmocka_unit_test(fault_delay_holds_every_response),
		cmocka_unit_test(fault_delay_for_one_command_holds_only_it),
		cmocka_unit_test(fault_drop_crlf_cuts_the_terminator),
		cmocka_unit_test(fault_mac_case_swaps_the_case_of_macs),
		cmocka_unit_test(fault_spurious_report_slips_a_line_into_a_response),
		cmocka_unit_test(fault_echo_stuck_echoes_whatever_e_says),
		cmocka_unit_test(fault_wrong_error_changes_the_code),
		cmocka_unit_test(fault_garbage_puts_random_bytes_before_responses),
		cmocka_unit_test(fault_reset_mid_prints_ready_and_loses_ram),
		cmocka_unit_test(fault_bitflip_flips_one_bit_per_byte_at_rate_one),
		cmocka_unit_test(fault_bitflip_is_reproducible_with_a_seed),
		cmocka_unit_test(fault_skrcv_short_is_a_flag_for_the_networking_code),
		cmocka_unit_test(bad_fault_specs_are_refused_with_a_message),
		cmocka_unit_test(the_help_documents_every_fault),
		cmocka_unit_test(the_log_has_every_byte_with_a_timestamp),
		cmocka_unit_test(timers_fire_in_order_and_cancel),
	};

	/* 0 or 1: failures are counted in the output (tests/run.sh); a small
	 * exit code keeps them apart from crashes (tools/oom.sh). */
	return cmocka_run_group_tests(tests, NULL, NULL) == 0 ? 0 : 1;
}
