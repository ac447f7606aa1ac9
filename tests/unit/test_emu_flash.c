/* SPDX-License-Identifier: MIT */
/* \summary: the emulator's flash file: format, atomic writes, strict reads */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/test_emu_util.h"

#define OK "+OK\r\n\r\n"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_emu_flashXXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	(void)state;
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
	return 0;
}

static void
changed(struct emu_params *p)
{
	emu_params_factory(p, NULL);
	p->wprt = 3;
	snprintf(p->ssid, sizeof(p->ssid), "a\\b,c\x01\xff\"");
	snprintf(p->key.key, sizeof(p->key.key), "12345678");
	p->key.format = 1;
	p->encry = 8;
	p->bssid_mode = 1;
	p->bssid[5] = 0xab;
	p->nip.type = 1;
	p->nip.ip = 0x0a000001;
	p->chll = 0x1;
	p->uart.baud = 2000000;
	p->uart.flow = 1;
	p->atpt = 10000;
	snprintf(p->atrm.host, sizeof(p->atrm.host), "www.example.com");
}

static void
the_text_format_reads_back_what_it_wrote(void **state)
{
	struct emu_params a, b;
	struct atp_diag d;
	char buf[4096];
	long n;

	(void)state;
	changed(&a);
	n = emu_flash_format(&a, buf, sizeof(buf));
	assert_true(n > 0);
	assert_memory_equal(buf, "atproof-flash 1\nwprt=3\n", 23);
	memset(&b, 0x55, sizeof(b));
	assert_int_equal(emu_flash_parse(buf, (size_t)n, &b, &d), ATP_OK);
	assert_int_equal(b.wprt, 3);
	assert_string_equal(b.ssid, a.ssid);
	assert_string_equal(b.key.key, "12345678");
	assert_int_equal(b.encry, 8);
	assert_int_equal(b.bssid[5], 0xab);
	assert_int_equal(b.nip.ip, 0x0a000001);
	assert_int_equal(b.uart.baud, 2000000);
	assert_string_equal(b.atrm.host, "www.example.com");
	assert_string_equal(b.dns, "local.winnermicro");
	/* And once more, byte for byte. */
	{
		char again[4096];
		assert_int_equal(emu_flash_format(&b, again, sizeof(again)), n);
		assert_memory_equal(buf, again, (size_t)n);
	}
}

static void
every_torn_prefix_of_the_file_is_refused(void **state)
{
	struct emu_params a, b;
	struct atp_diag d;
	char buf[4096];
	long n, k;

	(void)state;
	changed(&a);
	n = emu_flash_format(&a, buf, sizeof(buf));
	for (k = 0; k < n; k++)
		if (emu_flash_parse(buf, (size_t)k, &b, &d) == ATP_OK)
			fail_msg("a file cut at %ld of %ld bytes was accepted", k, n);
}

static void
any_changed_byte_is_refused(void **state)
{
	struct emu_params a, b;
	struct atp_diag d;
	char buf[4096];
	long n, k;

	(void)state;
	changed(&a);
	n = emu_flash_format(&a, buf, sizeof(buf));
	for (k = 0; k < n; k++) {
		buf[k] ^= 0x04;
		if (emu_flash_parse(buf, (size_t)n, &b, &d) == ATP_OK)
			fail_msg("a file with byte %ld changed was accepted", k);
		buf[k] ^= 0x04;
	}
	assert_int_equal(emu_flash_parse(buf, (size_t)n, &b, &d), ATP_OK);
}

static void
hand_edited_files_are_read_strictly(void **state)
{
	static const char *const bad[] = {
		"",
		"atproof-flash 2\n",
		"atproof-flash 1\nwprt=0\n",
		"atproof-flash 1\nnip=0,1.2.3.4,255.255.255.0,1.2.3.1,1.2.3.1\nwprt=0\n",
		"atproof-flash 1\nwprt=4\n",
		"atproof-flash 1\nchecksum=00000000\n",
	};
	struct emu_params b;
	struct atp_diag d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		atp_diag_clear(&d);
		assert_int_equal(emu_flash_parse(bad[i], strlen(bad[i]), &b, &d), ATP_ERR_SYNTAX);
		assert_true(d.msg[0] != '\0');
	}
}

static void
a_write_replaces_the_file_and_leaves_no_temp_file(void **state)
{
	struct emu_params a, b;
	struct atp_diag d;
	char path[256];
	DIR *dd;
	struct dirent *de;
	int files = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/flash", dir);
	changed(&a);
	assert_int_equal(emu_flash_write(path, &a, &d), ATP_OK);
	a.wprt = 1;
	assert_int_equal(emu_flash_write(path, &a, &d), ATP_OK);
	assert_int_equal(emu_flash_read(path, &b, &d), ATP_OK);
	assert_int_equal(b.wprt, 1);
	dd = opendir(dir);
	while ((de = readdir(dd)) != NULL)
		if (de->d_name[0] != '.')
			files++;
	closedir(dd);
	assert_int_equal(files, 1);
}

static void
a_missing_folder_is_a_flash_error(void **state)
{
	struct emu_params a;
	struct atp_diag d;
	struct tm *t;
	int i;

	(void)state;
	emu_params_factory(&a, NULL);
	assert_int_equal(emu_flash_write("/nonexistent-dir/x/flash", &a, &d), ATP_ERR_IO);
	/* -7, the manual's FLASH error; PMTF and RSTF answer -3 in the
	 * firmware (flash-fail-err3). */
	for (i = 0; i < 2; i++) {
		const char *whole = i == 0 ? "+ERR=-7\r\n\r\n" : "+ERR=-3\r\n\r\n";
		t = calloc(1, sizeof(*t));
		tm_open_with(t, i == 0 ? "manual" : "luat", NULL, "/nonexistent-dir/x/flash");
		tm_expect(t, "AT+SSID=x\r", OK);
		tm_expect(t, "AT+SSID=!x\r", "+ERR=-7\r\n\r\n");
		tm_expect(t, "AT+PMTF\r", whole);
		tm_expect(t, "AT+RSTF\r", whole);
		tm_close(t);
	}
}

static struct tm *
boot(const char *profile, const char *path)
{
	struct tm *t = calloc(1, sizeof(*t));

	tm_open_with(t, profile, NULL, path);
	return t;
}

static void
flash_survives_a_power_cycle(void **state)
{
	char path[256];
	struct tm *t;

	(void)state;
	snprintf(path, sizeof(path), "%s/flash", dir);
	t = boot("luat", path);
	tm_expect(t, "AT+SSID=!kept\r", OK);
	tm_expect(t, "AT+APSSID=lost\r", OK);
	tm_expect(t, "AT+WPRT=2\r", OK);
	tm_close(t);
	t = boot("luat", path);
	tm_expect(t, "AT+SSID=?\r", "+OK=kept\r\n\r\n");
	tm_expect(t, "AT+APSSID=?\r", "+OK=\r\n\r\n");
	tm_expect(t, "AT+WPRT=?\r", "+OK=0\r\n\r\n");
	tm_expect(t, "AT+WPRT=3\r", OK);
	tm_expect(t, "AT+PMTF\r", OK);
	tm_close(t);
	t = boot("manual", path);
	tm_expect(t, "AT+WPRT=?\r", "+OK=3\r\n\r\n");
	tm_expect(t, "AT+RSTF\r", OK);
	tm_expect(t, "AT+WPRT=?\r", "+OK=3\r\n\r\n");    /* manual: after a restart */
	tm_close(t);
	t = boot("manual", path);
	tm_expect(t, "AT+WPRT=?\r", "+OK=0\r\n\r\n");
	tm_expect(t, "AT+SSID=?\r", "+OK=\r\n\r\n");
	tm_close(t);
}

static void
a_torn_flash_file_boots_with_factory_values(void **state)
{
	char path[256];
	struct tm *t;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/flash", dir);
	t = boot("luat", path);
	tm_expect(t, "AT+SSID=!kept\r", OK);
	tm_close(t);
	assert_int_equal(truncate(path, 40), 0);
	t = boot("luat", path);
	tm_expect(t, "AT+SSID=?\r", "+OK=\r\n\r\n");
	tm_close(t);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage", 7), 7);
	close(fd);
	t = boot("g3", path);
	tm_expect(t, "AT+QVER\r", "+OK=H1.00.00.0000,G3.04.00@ 09:30:00 Aug 27 2019\r\n\r\n");
	tm_expect(t, "AT+SSID=?\r", "+OK=\r\n\r\n");
	tm_close(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_text_format_reads_back_what_it_wrote),
		cmocka_unit_test(every_torn_prefix_of_the_file_is_refused),
		cmocka_unit_test(any_changed_byte_is_refused),
		cmocka_unit_test(hand_edited_files_are_read_strictly),
		cmocka_unit_test_setup_teardown(a_write_replaces_the_file_and_leaves_no_temp_file, setup,
		    teardown),
		cmocka_unit_test(a_missing_folder_is_a_flash_error),
		cmocka_unit_test_setup_teardown(flash_survives_a_power_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(a_torn_flash_file_boots_with_factory_values, setup,
		    teardown),
	};

	/* 0 or 1: failures are counted in the output (tests/run.sh); a small
	 * exit code keeps them apart from crashes (tools/oom.sh). */
	return cmocka_run_group_tests(tests, NULL, NULL) == 0 ? 0 : 1;
}
