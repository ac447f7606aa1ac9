/* SPDX-License-Identifier: MIT */
/* \summary: the emulator, command by command, for each firmware profile */
/* cfmakeraw is a BSD function: the Makefile's _POSIX_C_SOURCE alone does not
 * declare it. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tests/unit/test_emu_util.h"

/* The table leaves trailing fields out on purpose (NULL: as the profile
 * before). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/*
 * Each case runs on a fresh module of each profile: its steps send a line
 * and expect the module's output byte for byte. The expected output for
 * luat defaults to manual's and g3's to luat's, so a case states exactly
 * where the profiles differ, and every difference is one of the catalogued
 * deviations of core/profile.c (named in the case). "*" skips a check.
 */

#define OK "+OK\r\n\r\n"
#define ERR(n) "+ERR=" #n "\r\n\r\n"
#define PERR(n) "+ERR=" #n "\r\n"
#define R(s) "+OK=" s "\r\n\r\n"
#define SKIP "*"

struct step {
	const char *send;
	const char *manual, *luat, *g3;   /* luat NULL: manual's; g3 NULL: luat's */
};

struct tcase {
	const char *name;
	struct step steps[10];
	/* Opens a real socket: a module on a virtual clock has none
	 * (emulator/net.c), so the case runs through the pty only;
	 * test_emu_net.c covers sockets in memory on the real clock. */
	int real_net;
};

#define LUAT_VER "H1.00.00.0000,G2.02.05@ 10:55:46 Sep 28 2018"
#define G3_VER "H1.00.00.0000,G3.04.00@ 09:30:00 Aug 27 2019"

/* Two steps: join the default world's open network (2.2.3.4 example). */
#define JOIN_OPEN { "AT+SSID=TP-LINK_HyFi_1E\r", OK }, \
	{ "AT+WJOIN\r", R("3c46d82bd81e,0,11,0,\"TP-LINK_HyFi_1E\",53") }

static const struct tcase cases[] = {
	{ "AT+ answers +OK (2.2.1.1)", { { "AT+\r", OK } } },
	{ "AT+ with an operator is an invalid operator (firmware atcmd_nop_proc)",
	  { { "AT+=1\r", ERR(-3) } } },
	{ "a bare AT gets no answer (firmware 1.2)", { { "AT\r", "" } } },
	{ "an unknown command is not supported", { { "AT+FOO\r", ERR(-2) } } },
	/* The real firmware has these (w600-firmware.md §2-4, §12: WBGR=?
	 * gives +OK=2,25 in LUAT), the manual does not: the emulator knows
	 * the manual's table only, so they are unknown in every profile
	 * (README, atproof-emu(1)). */
	{ "commands only the firmware has are unknown in every profile",
	  { { "AT+WBGR=?\r", ERR(-2) }, { "AT+WREG\r", ERR(-2) }, { "AT+WARC=?\r", ERR(-2) },
	    { "AT+WARM=1\r", ERR(-2) }, { "AT+ATLT=?\r", ERR(-2) }, { "AT+ESPC=?\r", ERR(-2) },
	    { "AT+ESPT=?\r", ERR(-2) } } },
	{ "a name of 10 characters is a parse error with one CRLF in the firmware",
	  { { "AT+ABCDEFGHIJ\r", ERR(-2), PERR(-2) } } },
	{ "ten arguments are a parse error with one CRLF in the firmware",
	  { { "AT+SSID=1,2,3,4,5,6,7,8,9,10\r", ERR(-4), PERR(-4) } } },
	{ "a command name is case-insensitive", { { "at+qVer\r", R("AirM2M_Luat_WiFi_V008_WM"),
	  R(LUAT_VER), R(G3_VER) } } },
	{ "QVER answers the profile's version (2.2.1.10)",
	  { { "AT+QVER\r", R("AirM2M_Luat_WiFi_V008_WM"), R(LUAT_VER), R(G3_VER) } } },
	{ "QMAC is lower case without separators (2.2.1.8)", { { "AT+QMAC\r", R("286dcd004e7d") } } },
	{ "APMAC is the locally administered MAC (2.2.1.9)", { { "AT+APMAC\r", R("2a6dcd004e7d") } } },
	{ "a query form on QMAC is an extra form of the firmware (extra-forms)",
	  { { "AT+QMAC=?\r", ERR(-3), R("286dcd004e7d") } } },
	{ "a set form on QVER is -3, or -2 in the firmware (form-not-allowed-err2)",
	  { { "AT+QVER=1\r", ERR(-3), ERR(-2) } } },
	{ "a bare parameter command queries it in the firmware (extra-forms)",
	  { { "AT+WPRT\r", ERR(-3), R("0") } } },
	{ "WPRT factory value is 0, STA (firmware 12)", { { "AT+WPRT=?\r", R("0") } } },
	{ "WPRT set with = reads back from flash in the firmware (flash-read-getters)",
	  { { "AT+WPRT=2\r", OK }, { "AT+WPRT=?\r", R("2"), R("0") } } },
	{ "WPRT set with =! reads back everywhere",
	  { { "AT+WPRT=!2\r", OK }, { "AT+WPRT=?\r", R("2") } } },
	{ "WPRT out of range is an invalid parameter", { { "AT+WPRT=4\r", ERR(-4) } } },
	{ "WPRT with a word is an invalid parameter", { { "AT+WPRT=x\r", ERR(-4) } } },
	{ "WPRT without its argument is -4, or -2 in the firmware (missing-arg-err2)",
	  { { "AT+WPRT=\r", ERR(-4), ERR(-2) } } },
	{ "SSID empty reads back as +OK= (firmware 4)", { { "AT+SSID=?\r", R("") } } },
	{ "SSID quoted may hold a comma and reads back unquoted (2.2.2.7)",
	  { { "AT+SSID=\"a,b\"\r", OK }, { "AT+SSID=?\r", R("a,b") } } },
	{ "SSID unquoted with a comma is two arguments: -4 (firmware 3)",
	  { { "AT+SSID=a,b\r", ERR(-4) } } },
	{ "SSID of 0 or 33 characters is -4",
	  { { "AT+SSID=\"\"\r", ERR(-4) },
	    { "AT+SSID=123456789012345678901234567890123\r", ERR(-4) },
	    { "AT+SSID=12345678901234567890123456789012\r", OK } } },
	{ "a trailing comma is an empty last argument, which the firmware does not count (firmware 1.3)",
	  { { "AT+WPRT=!1,\r", OK }, { "AT+WPRT=?\r", R("1") }, { "AT+SSID=ab,\r", OK },
	    { "AT+SSID=?\r", R("ab") }, { "AT+SSID=\"a,b\",\r", OK }, { "AT+SSID=?\r", R("a,b") },
	    { "AT+SSID=,\r", ERR(-4) }, { "AT+SSID=a,b,\r", ERR(-4) } } },
	{ "SSID escapes are removed (firmware 3)",
	  { { "AT+SSID=\"a\\\"b\"\r", OK }, { "AT+SSID=?\r", R("a\"b") } } },
	{ "APSSID set with = reads back from flash in the firmware (flash-read-getters)",
	  { { "AT+APSSID=MyAp\r", OK }, { "AT+APSSID=?\r", R("MyAp"), R("") } } },
	{ "ENCRY accepts 7 and 8 in the firmware (encry-range-0-8)",
	  { { "AT+ENCRY=7\r", ERR(-4), OK }, { "AT+ENCRY=9\r", ERR(-4) } } },
	{ "KEY of an open network may be empty (2.2.2.11 example)",
	  { { "AT+KEY=1,0,\"\"\r", OK }, { "AT+KEY=?\r", R("1,0,") , R("0,0,") } } },
	{ "KEY length is checked against the security mode by the manual only (key-unchecked)",
	  { { "AT+ENCRY=4\r", OK }, { "AT+KEY=1,0,short\r", ERR(-4), OK },
	    { "AT+KEY=1,0,12345678\r", OK }, { "AT+KEY=0,0,12345678\r", ERR(-4), OK } } },
	{ "KEY for WEP64 is 5 ASCII or 10 hex characters (2.2.2.11 table)",
	  { { "AT+ENCRY=1\r", OK }, { "AT+KEY=1,1,12345\r", OK }, { "AT+KEY=0,1,11223344dd\r", OK },
	    { "AT+KEY=0,1,11223344dg\r", ERR(-4), OK } } },
	{ "KEY reads back from flash in the firmware (flash-read-getters)",
	  { { "AT+KEY=1,0,abc\r", OK }, { "AT+KEY=?\r", R("1,0,abc"), R("0,0,") },
	    { "AT+KEY=!1,0,abc\r", OK }, { "AT+KEY=?\r", R("1,0,abc") } } },
	{ "KEY with two arguments is -4, or -2 in the firmware (missing-arg-err2)",
	  { { "AT+KEY=1,0\r", ERR(-4), ERR(-2) } } },
	{ "BSSID mode 0 answers +OK=0 alone in the firmware (query-omits-unused)",
	  { { "AT+BSSID=?\r", R("0,000000000000"), R("0") } } },
	{ "BSSID designated reads back in lower case",
	  { { "AT+BSSID=1,001EE3A34455\r", OK }, { "AT+BSSID=?\r", R("1,001ee3a34455") } } },
	{ "BSSID 0 with an address, or 1 without, is -4 (firmware 3)",
	  { { "AT+BSSID=0,001EE3A34455\r", ERR(-4) }, { "AT+BSSID=1\r", ERR(-4) } } },
	{ "CHL mode 0 answers +OK=0 alone in the firmware (query-omits-unused)",
	  { { "AT+CHL=?\r", R("0,1"), R("0") }, { "AT+CHL=1,6\r", OK }, { "AT+CHL=?\r", R("1,6") } } },
	{ "CHL channel out of range, or missing, is -4",
	  { { "AT+CHL=1,15\r", ERR(-4) }, { "AT+CHL=1\r", ERR(-4) }, { "AT+CHL=0,3\r", ERR(-4) } } },
	{ "APCHL always reports mode 1 in the firmware (apchl-query-mode1)",
	  { { "AT+APCHL=?\r", R("0,11"), R("1,11") } } },
	{ "CHLL is a nonzero hex mask up to 3fff, read from flash in the firmware",
	  { { "AT+CHLL=?\r", R("3fff") }, { "AT+CHLL=0\r", ERR(-4) }, { "AT+CHLL=4000\r", ERR(-4) },
	    { "AT+CHLL=1fff\r", OK }, { "AT+CHLL=?\r", R("1fff"), R("3fff") } } },
	{ "UART query has a fifth field, the flow control, in the firmware (uart-query-flow)",
	  { { "AT+UART=?\r", R("115200,0,0,0"), R("115200,0,0,0,0") } } },
	{ "UART example of 2.1.1.2 (stop bit 1) is -4, or -3 in the firmware (uart-err3)",
	  { { "AT+UART=9600,1,1,0\r", ERR(-4), ERR(-3) } } },
	{ "UART accepts the firmware's rates (uart-more-rates)",
	  { { "AT+UART=9600,0,0,0\r", OK }, { "AT+UART=230400,0,2,1,1\r", ERR(-4), OK },
	    { "AT+UART=?\r", R("9600,0,0,0"), R("230400,0,2,1,1") } } },
	{ "UART with three arguments is -4, or -2 in the firmware (missing-arg-err2)",
	  { { "AT+UART=9600,0,0\r", ERR(-4), ERR(-2) } } },
	{ "WEBS off answers +OK=0 alone in the firmware (query-omits-unused)",
	  { { "AT+WEBS=?\r", R("1,80") }, { "AT+WEBS=0\r", OK }, { "AT+WEBS=?\r", R("0,80"), R("0") },
	    { "AT+WEBS=1,8080\r", OK }, { "AT+WEBS=?\r", R("1,8080") } } },
	{ "DNAME is a stub in the firmware (dname-stub)",
	  { { "AT+DNAME=?\r", R("tln13sp01"), OK }, { "AT+DNAME=abc\r", OK, ERR(-4) },
	    { "AT+DNAME=?\r", R("abc"), OK } } },
	{ "PASS is six characters, quoted in the reply (firmware 4)",
	  { { "AT+PASS=?\r", R("\"000000\"") }, { "AT+PASS=12345\r", ERR(-4) },
	    { "AT+PASS=abcdef\r", OK }, { "AT+PASS=?\r", R("\"abcdef\"") } } },
	{ "DNS is the local domain name, quoted (2.2.2.4)",
	  { { "AT+DNS=?\r", R("\"local.winnermicro\"") }, { "AT+DNS=\"DNS-FOR-TEST\"\r", OK },
	    { "AT+DNS=?\r", R("\"DNS-FOR-TEST\"") } } },
	{ "ATM and ATRM factory values (firmware 12) and the 2.2.2.6 example",
	  { { "AT+ATM=?\r", R("1") }, { "AT+ATRM=?\r", R("0,1,0,60000") },
	    { "AT+ATRM=!0,0,180.97.81.180,51950\r", OK },
	    { "AT+ATRM=?\r", R("0,0,\"180.97.81.180\",51950") } } },
	{ "NIP query gives the configured values, unquoted (2.2.2.2)",
	  { { "AT+NIP=?\r", R("0,192.168.1.1,255.255.255.0,192.168.1.1,192.168.1.1") },
	    { "AT+NIP=1,192.168.1.5,255.255.255.0,192.168.1.1,8.8.8.8\r", OK },
	    { "AT+NIP=?\r", R("1,192.168.1.5,255.255.255.0,192.168.1.1,8.8.8.8") } } },
	{ "NIP type and argument count must agree (firmware 3)",
	  { { "AT+NIP=0,1.2.3.4,255.255.255.0,1.2.3.1,1.2.3.1\r", ERR(-4) }, { "AT+NIP=1\r", ERR(-4) },
	    { "AT+NIP=1,1.2.3.400,255.255.255.0,1.2.3.1,1.2.3.1\r", ERR(-4) }, { "AT+NIP=!0\r", OK } } },
	{ "APNIP factory value is 192.168.0.1/24 with DHCP (firmware 12)",
	  { { "AT+APNIP=?\r", R("0,192.168.0.1,255.255.255.0,192.168.0.1,192.168.0.1") } } },
	{ "ENCRY, ATPT and APSSID factory values (firmware 12)",
	  { { "AT+ENCRY=?\r", R("0") }, { "AT+ATPT=?\r", R("0") }, { "AT+APSSID=?\r", R("") } } },
	{ "ATPT examples of 2.1.1.2", { { "AT+ATPT=!500\r", OK }, { "AT+ATPT=?\r", R("500") } } },
	{ "ENTS needs four arguments in range (2.2.1.5)",
	  { { "AT+ENTS=3,1,1000,10000\r", ERR(-4) }, { "AT+ENTS=0,1,1000\r", ERR(-4), ERR(-2) },
	    { "AT+ENTS=?\r", ERR(-3), ERR(-2) }, { "AT+ENTS=0,1,1000,10000\r", OK } } },
	{ "CNTPARAM gives 0, the SSID and the key (2.2.2.25)",
	  { { "AT+CNTPARAM\r", R("0,,") }, { "AT+SSID=x\r", OK }, { "AT+CNTPARAM=?\r", R("0,x,") },
	    { "AT+BSSID=1,001EE3A34455\r", OK }, { "AT+CNTPARAM\r", R("1,001ee3a34455,") } } },
	{ "CUSTDATA is empty and quoted before any one-click configuration",
	  { { "AT+CUSTDATA\r", R("\"\"") } } },
	{ "ONESHOT accepts status 2 and a query in the firmware (oneshot-mode-2, extra-forms)",
	  { { "AT+ONESHOT=2\r", ERR(-4), OK }, { "AT+ONESHOT=?\r", ERR(-3), R("2") },
	    { "AT+ONESHOT=0\r", OK } } },
	{ "PORTM factory value and the 2.2.3.1 example", { { "AT+PORTM=?\r", R("0") } } },
	{ "the legacy names do not exist in the firmware (legacy-names-absent)",
	  { { "AT+LKSTI\r", R("0"), ERR(-2) }, { "AT+QMAC2\r", R("2a6dcd004e7d"), ERR(-2) },
	    { "AT+SSID2=?\r", R(""), ERR(-2) }, { "AT+LKSTT2\r", R("0"), ERR(-2) } } },
	{ "G3 has no MQTT and no WPS (mqtt-absent, wwps-absent)",
	  { { "AT+MCLOSE\r", SKIP, SKIP, ERR(-2) }, { "AT+MID=x\r", SKIP, SKIP, ERR(-2) },
	    { "AT+WWPS=get_pin\r", R("12345670"), NULL, ERR(-2) } } },
	{ "WWPS set_pin then get_pin and the query",
	  { { "AT+WWPS=set_pin,87654321\r", OK, NULL, ERR(-2) },
	    { "AT+WWPS=get_pin\r", R("87654321"), NULL, ERR(-2) },
	    { "AT+WWPS=get_pin,1\r", ERR(-4), NULL, ERR(-2) },
	    { "AT+WWPS=?\r", R("get_pin,87654321"), NULL, ERR(-2) } } },
	{ "E toggles the echo; the line is echoed before its response (firmware 1.4)",
	  { { "AT+E\r", OK }, { "AT+\r", "AT+\r\n" OK }, { "AT+E\r", "AT+E\r\n" OK },
	    { "AT+\r", OK } } },
	{ "echo gives the line as received with CRLF (firmware 1.4)",
	  { { "AT+E\r", OK }, { "at+qmac\r", "at+qmac\r\n" R("286dcd004e7d") } } },
	{ "RSTF restores factory values in flash; at once in RAM in the firmware (rstf-immediate)",
	  { { "AT+SSID=!abc\r", OK }, { "AT+RSTF\r", OK }, { "AT+SSID=?\r", R("abc"), R("") },
	    { "AT+Z\r", OK }, { "AT+SSID=?\r", R("") } } },
	{ "PMTF saves RAM to flash, which Z reloads (2.2.1.7)",
	  { { "AT+SSID=abc\r", OK }, { "AT+PMTF\r", OK }, { "AT+SSID=def\r", OK },
	    { "AT+Z\r", OK }, { "AT+SSID=?\r", R("abc") } } },
	{ "Z reloads RAM from flash and turns the echo off (2.2.1.2)",
	  { { "AT+SSID=abc\r", OK }, { "AT+E\r", OK }, { "AT+Z\r", "AT+Z\r\n" OK },
	    { "AT+SSID=?\r", R("") } } },
	{ "=! writes only its own field to flash (firmware 7)",
	  { { "AT+SSID=abc\r", OK }, { "AT+WPRT=!2\r", OK }, { "AT+Z\r", OK },
	    { "AT+SSID=?\r", R("") }, { "AT+WPRT=?\r", R("2") } } },
	{ "WLEAV and WLEAV=2 answer +OK; another argument out of range is -4",
	  { { "AT+WLEAV\r", OK }, { "AT+WLEAV=2\r", OK }, { "AT+WLEAV=4\r", ERR(-4) } } },
	{ "LKSTT before joining is +OK=0 (2.2.3.7)", { { "AT+LKSTT\r", R("0") } } },
	{ "WJOIN on an open network of the world (2.2.3.4 example)",
	  { { "AT+SSID=TP-LINK_HyFi_1E\r", OK }, { "AT+KEY=1,0,\"\"\r", OK },
	    { "AT+WJOIN\r", R("3c46d82bd81e,0,11,0,\"TP-LINK_HyFi_1E\",53") },
	    { "AT+LKSTT\r",
	      R("1,\"192.168.1.109\",\"255.255.255.0\",\"192.168.1.1\",\"192.168.1.1\",\"0.0.0.0\"") },
	    { "AT+WJOIN\r", R("3c46d82bd81e,0,11,0,\"TP-LINK_HyFi_1E\",53") },
	    { "AT+WLEAV\r", OK }, { "AT+LKSTT\r", R("0") } } },
	{ "a command sent during WJOIN waits in the firmware; the manual discards it (queue-not-discard)",
	  { { "AT+SSID=TP-LINK_HyFi_1E\r", OK },
	    { "AT+WJOIN\rAT+LKSTT\r", R("3c46d82bd81e,0,11,0,\"TP-LINK_HyFi_1E\",53"),
	      R("3c46d82bd81e,0,11,0,\"TP-LINK_HyFi_1E\",53")
	      R("1,\"192.168.1.109\",\"255.255.255.0\",\"192.168.1.1\",\"192.168.1.1\",\"0.0.0.0\"") } } },
	{ "a command sent during WSCAN waits in the firmware; the manual discards it (queue-not-discard)",
	  { { "AT+CHLL=!400\r", OK },
	    { "AT+WSCAN\rAT+\r", R("3C46D82BD81E,2,11,0,\"TP-LINK_HyFi_1E\",53"),
	      "+OK=3C46D82BD81E,2,11,0,\"TP-LINK_HyFi_1E\",53\r\n\r\n\r\n" OK } } },
	{ "WJOIN with a wrong key fails with -10 (2.1.1.2 example 2)",
	  { { "AT+SSID=!TEST_AP\r", OK }, { "AT+ENCRY=!4\r", OK }, { "AT+KEY=!1,0,wrongwrong\r", OK },
	    { "AT+WJOIN\r", ERR(-10) }, { "AT+LKSTT\r", R("0") } } },
	{ "WJOIN with a missing network fails with -10",
	  { { "AT+SSID=nowhere\r", OK }, { "AT+WJOIN\r", ERR(-10) } } },
	{ "WJOIN takes the key from flash in the firmware (wjoin-uses-flash)",
	  { { "AT+SSID=TEST_AP\r", OK }, { "AT+ENCRY=4\r", OK }, { "AT+KEY=1,0,12345678\r", OK },
	    { "AT+WJOIN\r", R("0e5415290c52,0,6,1,\"TEST_AP\",56"), ERR(-10) } } },
	{ "WJOIN with the key in flash joins a WPA network (3.3)",
	  { { "AT+SSID=TEST_AP\r", OK }, { "AT+ENCRY=!4\r", OK }, { "AT+KEY=!1,0,12345678\r", OK },
	    { "AT+WJOIN\r", R("0e5415290c52,0,6,1,\"TEST_AP\",56") } } },
	{ "WJOIN in AP mode creates the SoftAP; SLIST lists the world's station (3.1)",
	  { { "AT+WPRT=!2\r", OK }, { "AT+APSSID=!MyAp\r", OK }, { "AT+SLIST\r", R("0"), R("0,"), R("0") },
	    { "AT+WJOIN\r", R("2a6dcd004e7d,2,11,0,\"MyAp\",0") },
	    { "AT+APLKSTT\r",
	      R("1,\"192.168.0.1\",\"255.255.255.0\",\"192.168.0.1\",\"192.168.0.1\",\"0.0.0.0\"") },
	    { "AT+SLIST\r", R("1,94-FE-22-9A-B5-28,192.168.1.2"), R("1,,94-FE-22-9A-B5-28,192.168.1.2"),
	      R("1,94-FE-22-9A-B5-28,192.168.1.2") },
	    { "AT+WLEAV=2\r", OK }, { "AT+APLKSTT\r", R("0") } } },
	{ "WJOIN in adhoc mode: no such network is -10; with WATC=1 the module creates it (2.2.2.17)",
	  { { "AT+WPRT=!1\r", OK }, { "AT+SSID=adhoc1\r", OK }, { "AT+WJOIN\r", ERR(-10) },
	    { "AT+WATC=1\r", OK }, { "AT+WJOIN\r", R("286dcd004e7d,1,1,0,\"adhoc1\",0") },
	    { "AT+LKSTT\r", R("1,\"192.168.1.1\",\"255.255.255.0\",\"0.0.0.0\",\"0.0.0.0\","
	      "\"0.0.0.0\"") } } },
	{ "WJOIN in AP mode without an SSID fails", { { "AT+WPRT=!2\r", OK }, { "AT+WJOIN\r", ERR(-10) } } },
	{ "WSCAN honours CHLL, CHL and BSSID (2.2.2.14-16)",
	  { { "AT+CHLL=!400\r", OK },
	    { "AT+WSCAN\r", R("3C46D82BD81E,2,11,0,\"TP-LINK_HyFi_1E\",53"),
	      "+OK=3C46D82BD81E,2,11,0,\"TP-LINK_HyFi_1E\",53\r\n\r\n\r\n" },
	    { "AT+CHLL=!3fff\r", OK }, { "AT+CHL=1,1\r", OK },
	    { "AT+WSCAN\r", R("828917C49D9A,2,1,1,\"AirM2M_WiFi\",70"),
	      "+OK=828917C49D9A,2,1,1,\"AirM2M_WiFi\",70\r\n\r\n\r\n",
	      "+OK=828917C49D9A,2,1,32,\"AirM2M_WiFi\",70\r\n\r\n\r\n" },
	    { "AT+CHL=0\r", OK }, { "AT+BSSID=1,0E5415290C52\r", OK },
	    { "AT+WSCAN\r", R("0E5415290C52,2,6,1,\"TEST_AP\",56"),
	      "+OK=0E5415290C52,2,6,1,\"TEST_AP\",56\r\n\r\n\r\n",
	      "+OK=0E5415290C52,2,6,8,\"TEST_AP\",56\r\n\r\n\r\n" },
	    { "AT+BSSID=1,000000000001\r", OK }, { "AT+WSCAN\r", R("") } } },
	{ "WSCAN with an argument is -3, or -2 in the firmware (form-not-allowed-err2)",
	  { { "AT+WSCAN=1\r", ERR(-3), ERR(-2) } } },
	{ "socket commands before joining: SKCT is -13, SKGHBN -4 (firmware 5)",
	  { { "AT+SKCT=0,0,127.0.0.1,9\r", ERR(-13) }, { "AT+SKGHBN=www.baidu.com\r", ERR(-4) },
	    { "AT+SKSND=1,3\r", ERR(-4) }, { "AT+SKRCV=1,3\r", ERR(-4) } } },
	{ "forms a command does not take are -3, or -2 in the firmware (firmware 2 op_flag, "
	  "form-not-allowed-err2)",
	  { { "AT+SKRPTM\r", ERR(-3), ERR(-2) }, { "AT+SKRPTM=!1\r", ERR(-3), ERR(-2) },
	    { "AT+SKSRCIP\r", ERR(-3), ERR(-2) }, { "AT+Z=1\r", ERR(-3), ERR(-2) },
	    { "AT+E=1\r", ERR(-3), ERR(-2) }, { "AT+E=?\r", ERR(-3), ERR(-2) },
	    { "AT+RSTF=?\r", ERR(-3), ERR(-2) }, { "AT+PMTF=1\r", ERR(-3), ERR(-2) },
	    { "AT+WJOIN=1\r", ERR(-3), ERR(-2) }, { "AT+ENTM=1\r", ERR(-3), ERR(-2) } } },
	{ "more forms: set-only commands bare or queried, =! on a query command, =! without "
	  "its argument (firmware 2, extra-forms, missing-arg-err2)",
	  { { "AT+SKCT\r", ERR(-3), ERR(-2) }, { "AT+SKCT=?\r", ERR(-3), ERR(-2) },
	    { "AT+SKSND=?\r", ERR(-3), ERR(-2) }, { "AT+QMAC=!1\r", ERR(-3), ERR(-2) },
	    { "AT+LKSTT=?\r", ERR(-3), R("0") }, { "AT+SSID=!\r", ERR(-4), ERR(-2) },
	    { "AT+SSID=1,2,3,4,5,6,7,8,9\r", ERR(-4) } } },
	{ "SKSND and SKRCV without a length are -4, or -2 in the firmware (missing-arg-err2)",
	  { { "AT+SKSND=1\r", ERR(-4), ERR(-2) }, { "AT+SKRCV=1\r", ERR(-4), ERR(-2) } } },
	{ "SKSTT of a socket never opened; the firmware ends its entries with a CRLF more "
	  "(list-extra-crlf)",
	  { { "AT+SKSTT=1\r", R("1,0,\"0.0.0.0\",0,0,0"), "+OK=1,0,\"0.0.0.0\",0,0,0\r\n\r\n\r\n" },
	    { "AT+SKSTT=0\r", ERR(-4) }, { "AT+SKSTT=21\r", ERR(-4) } } },
	{ "SKCLS of a socket not open is -3, out of 1..20 -4 (firmware 3)",
	  { { "AT+SKCLS=1\r", ERR(-3) }, { "AT+SKCLS=21\r", ERR(-4) } } },
	{ "SKSDF takes a socket 1..20 and has no query form (form-not-allowed-err2)",
	  { { "AT+SKSDF=1\r", OK }, { "AT+SKSDF=21\r", ERR(-4) },
	    { "AT+SKSDF=?\r", ERR(-3), ERR(-2) } } },
	{ "SKSRCIP has only its query form, 0.0.0.0 before any data (2.2.3.16)",
	  { { "AT+SKSRCIP=?\r", R("0.0.0.0") }, { "AT+SKSRCIP=1\r", ERR(-3), ERR(-2) } } },
	{ "SKRPTM query ends in a bare LF in the firmware (skrptm-query-lf)",
	  { { "AT+SKRPTM=?\r", R("0"), "+OK=0\n\r\n\r\n" }, { "AT+SKRPTM=1\r", OK },
	    { "AT+SKRPTM=?\r", R("1"), "+OK=1\n\r\n\r\n" }, { "AT+SKRPTM=2\r", ERR(-4) } } },
	{ "SKGHBN resolves the world's hosts once joined, quoted (2.2.3.2)",
	  { JOIN_OPEN, { "AT+SKGHBN=www.baidu.com\r", R("\"115.239.211.112\"") },
	    { "AT+SKGHBN=\"WWW.BAIDU.COM\"\r", R("\"115.239.211.112\"") },
	    { "AT+SKGHBN=10.1.2.3\r", R("\"10.1.2.3\"") }, { "AT+SKGHBN=nosuch.example\r", ERR(-4) } } },
	{ "a UDP client needs no peer: SKCT, SKSND with its payload, SKCLS (2.2.3.1, 2.2.3.11)",
	  { JOIN_OPEN, { "AT+SKCT=1,0,127.0.0.1,9\r", R("1") }, { "AT+SKSND=1,3\rabc", R("3") },
	    { "AT+SKSTT=1\r", SKIP },    /* the local port is the system's choice */
	    { "AT+SKCLS=1\r", OK }, { "AT+SKCLS=1\r", ERR(-3) } }, 1 },
	{ "SKCT checks its arguments and refuses an address the world does not map (firmware 5)",
	  { JOIN_OPEN, { "AT+SKCT=2,0,127.0.0.1,9\r", ERR(-4) }, { "AT+SKCT=0,0,127.0.0.1,0\r", ERR(-4) },
	    { "AT+SKCT=0,0,127.0.0.1,70000\r", ERR(-4) }, { "AT+SKCT=0,1,abc,1000\r", ERR(-4) },
	    { "AT+SKCT=0,0,10.0.0.1,1000\r", ERR(-13) } } },
	{ "ENTM needs a default socket in the manual; the firmware enters and +++ leaves "
	  "(entm-no-precheck)",
	  { { "AT+ENTM\r", ERR(-5), OK }, { "AT+QVER\r", R("AirM2M_Luat_WiFi_V008_WM"), "" },
	    { "+++", "", OK }, { "AT+\r", OK } } },
	{ "APENCRY factory value is 0, range 0..8 (2.2.2.10, firmware 12)",
	  { { "AT+APENCRY=?\r", R("0") }, { "AT+APENCRY=5\r", OK }, { "AT+APENCRY=?\r", R("5") },
	    { "AT+APENCRY=9\r", ERR(-4) } } },
	{ "APKEY reads back from flash in the firmware (flash-read-getters)",
	  { { "AT+APKEY=?\r", R("0,0,") }, { "AT+APKEY=1,0,12345678\r", OK },
	    { "AT+APKEY=?\r", R("1,0,12345678"), R("0,0,") },
	    { "AT+APKEY=1,0\r", ERR(-4), ERR(-2) } } },
	{ "BRDSSID is 1 from the factory and 0..1 (2.2.2.19, firmware 3)",
	  { { "AT+BRDSSID=?\r", R("1") }, { "AT+BRDSSID=0\r", OK }, { "AT+BRDSSID=?\r", R("0") },
	    { "AT+BRDSSID=2\r", ERR(-4) } } },
	{ "WATC is 0 from the factory and 0..1 (2.2.2.17, firmware 3)",
	  { { "AT+WATC=?\r", R("0") }, { "AT+WATC=1\r", OK }, { "AT+WATC=?\r", R("1") },
	    { "AT+WATC=2\r", ERR(-4) } } },
	{ "WPSM reads back from flash in the firmware (2.2.2.18, flash-read-getters)",
	  { { "AT+WPSM=?\r", R("0") }, { "AT+WPSM=1\r", OK }, { "AT+WPSM=?\r", R("1"), R("0") },
	    { "AT+WPSM=!1\r", OK }, { "AT+WPSM=?\r", R("1") }, { "AT+WPSM=2\r", ERR(-4) } } },
	{ "HTTPC checks its verb and wants data for POST (2.2.3.19)",
	  { { "AT+HTTPC=http://127.0.0.1:9/,5\r", ERR(-4) },
	    { "AT+HTTPC=http://127.0.0.1:9/,2\r", ERR(-4) },
	    { "AT+HTTPC=?\r", ERR(-3), ERR(-2) }, { "AT+HTTPC\r", ERR(-3), ERR(-2) } } },
	{ "MSERVER takes the port, then an address and no name (2.2.4.1, mqtt-absent)",
	  { { "AT+MSERVER=1883,120.55.137.106\r", OK, NULL, ERR(-2) },
	    { "AT+MSERVER=1883,broker.example\r", ERR(-4), NULL, ERR(-2) },
	    { "AT+MSERVER=70000,1.2.3.4\r", ERR(-4), NULL, ERR(-2) },
	    { "AT+MSERVER=1883\r", ERR(-4), ERR(-2) }, { "AT+MSERVER=?\r", ERR(-3), ERR(-2) } } },
	{ "MLOGIN and MID as in the 2.2.4.10 example (mqtt-absent)",
	  { { "AT+MLOGIN=user,password\r", OK, NULL, ERR(-2) },
	    { "AT+MID=TEST_MQTT\r", OK, NULL, ERR(-2) } } },
	{ "MSUB and MPUB before MCONNECT report -11, not connected (2.2.4.5-6, 2.2.4.9)",
	  { { "AT+MSUB=HELLO_WORLD\r", OK "+MSUB:-11\r\n\r\n", NULL, ERR(-2) },
	    { "AT+MPUB=Fred,0,0,888AAA\r", OK "+MPUB:-11\r\n\r\n", NULL, ERR(-2) },
	    { "AT+MPUB=Fred,0,0\r", ERR(-4), ERR(-2) } } },
	{ "MCONNECT without a network reports +MQTT:FAIL (2.2.4.4)",
	  { { "AT+MCONNECT\r", OK "+MQTT:FAIL\r\n\r\n", NULL, ERR(-2) },
	    { "AT+MCLOSE\r", OK, NULL, ERR(-2) } } },
	{ "the manual ends a line at CR only; the firmware also at LF (eol-any)",
	  { { "AT+QMAC\n", "", R("286dcd004e7d") }, { "\r", R("286dcd004e7d"), "" },
	    { "AT+\r\n", OK }, { "AT+\n\r", OK } } },
	{ "garbage before AT+ drops the line in LUAT only (garbage-drops-line)",
	  { { "xxAT+\r", OK, "", OK }, { "xx\rAT+\r", OK } } },
	{ "a line over 512 bytes is flushed, the next one answered (firmware 1.2)",
	  { { "AT+SSID=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	      "\rAT+\r", "" OK } } },
	{ "+++ alone in command mode: ignored by the manual, +OK in the firmware (plus-escape-in-command-mode)",
	  { { "+++", "", OK }, { "AT+\r", OK } } },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static const char *
want_for(const struct step *s, const char *prof)
{
	const char *luat = s->luat != NULL ? s->luat : s->manual;

	if (strcmp(prof, "manual") == 0)
		return s->manual;
	if (strcmp(prof, "luat") == 0)
		return luat;
	return s->g3 != NULL ? s->g3 : luat;
}

/*
 * The table walk, on either transport: @xfer sends a step's bytes and
 * returns everything the module answered (its length in *len), or NULL with
 * the reason in @why when the transport itself failed. The pty transport
 * reads until it has as many bytes as @want and then a quiet period, so it
 * is given the expected bytes; the in-memory one ignores them.
 */
typedef const char *xfer_fn(void *ctx, const char *send, const char *want, size_t *len,
    char *why, size_t wsize);

/* 0, or -1 with the difference (or the transport's failure) in @msg. */
static int
walk_case(const struct tcase *c, const char *prof, xfer_fn *xfer, void *ctx, char *msg,
    size_t msize)
{
	size_t i;

	for (i = 0; i < sizeof(c->steps) / sizeof(c->steps[0]) && c->steps[i].send != NULL; i++) {
		const char *want = want_for(&c->steps[i], prof);
		char why[256] = "";
		size_t len = 0;
		const char *got = xfer(ctx, c->steps[i].send, want, &len, why, sizeof(why));
		char e1[2048], e2[2048], e3[1024];

		atp_span_escape(atp_span_str(c->steps[i].send), e3, sizeof(e3));
		if (got == NULL) {
			snprintf(msg, msize, "case \"%s\", profile %s, step %zu\n  sent     %s\n"
			    "  %s", c->name, prof, i + 1, e3, why);
			return -1;
		}
		if (strcmp(want, SKIP) == 0)
			continue;
		if (len != strlen(want) || memcmp(got, want, len) != 0) {
			atp_span_escape(atp_span_str(want), e1, sizeof(e1));
			atp_span_escape(atp_span_make(got, len), e2, sizeof(e2));
			snprintf(msg, msize, "case \"%s\", profile %s, step %zu\n  sent     %s\n"
			    "  expected %s\n  got      %s", c->name, prof, i + 1, e3, e1, e2);
			return -1;
		}
	}
	return 0;
}

/* ---- in memory, on the virtual clock ----------------------------------- */

static const char *
mem_xfer(void *ctx, const char *send, const char *want, size_t *len, char *why, size_t wsize)
{
	struct tm *t = ctx;
	const char *got = tm_tx(t, send);

	(void)want;
	(void)why;
	(void)wsize;
	*len = t->outlen;
	return got;
}

static void
every_case_in_every_profile(void **state)
{
	static const char *const profs[] = { "manual", "luat", "g3" };
	char msg[8192];
	size_t i, p;

	(void)state;
	for (i = 0; i < NCASES; i++)
		for (p = 0; p < 3 && !cases[i].real_net; p++) {
			struct tm *t = tm_open(profs[p]);
			int rc = walk_case(&cases[i], profs[p], mem_xfer, t, msg, sizeof(msg));
			tm_close(t);
			if (rc != 0)
				fail_msg("%s", msg);
		}
}

/* ---- through the real pty of `atproof emu` ------------------------------
 *
 * The same table through a plain termios client: for each case a fresh
 * `atproof emu --pty DIR/tty --firmware P --flash DIR/flash` (a new module
 * with factory flash, as tm_open gives in memory; a restart costs a few
 * milliseconds, less than a reliable reset would), the pty opened and put
 * in raw mode with cfmakeraw, each step written and its answer read with
 * poll() until the expected bytes have come and the line stays quiet, then
 * SIGTERM, a clean exit and the symlink gone. Most of the time goes in
 * waiting (quiet periods, joins), so the cases run PTY_KIDS at a time, in
 * child processes, and the whole run takes a few seconds.
 *
 * Every case of the table runs here, those with real sockets too: the
 * blocking commands (WJOIN, WSCAN) take the default world's real times (0.2
 * to 0.5 s), well inside the per-step deadline. Nothing is left out.
 */

/* Under make valgrind (VALGRIND=1) the emulator runs under memcheck, tens
 * of times slower: the waits below are budgets, not what is tested, so they
 * widen. */
static int
pty_slow(void)
{
	const char *v = getenv("VALGRIND");

	return v != NULL && strcmp(v, "1") == 0 ? 20 : 1;
}

#define PTY_STEP_MS (3000 * pty_slow())   /* the longest a step may take: join_fail is 0.5 s */
#define PTY_QUIET_MS 40      /* silence after the expected bytes: nothing more comes */
#define PTY_SILENT_MS 200    /* silence that means "no answer" ("" and "*" steps) */
#define PTY_START_MS (3000 * pty_slow())  /* for the symlink to appear, and for the exit */
#define PTY_RESET_MS 250     /* after AT+Z's +OK: its reset comes 100 ms later */
#define PTY_SHARDS 3         /* child processes per profile, each with its own cases */
#define PTY_KIDS (3 * PTY_SHARDS)

struct pty_run {
	const char *bin, *prof;
	char dir[64], tty[128], flash[128], err[128];
	pid_t pid;
	int fd;
	char out[65536];
	size_t outlen;
};

/* The emulator's own monotonic clock (emulator/loop.c); <time.h> would
 * clash with test_emu_util.h's struct tm. */
static long
now_ms(void)
{
	return (long)(emu_now_us() / 1000);
}

static void
sleep_ms(int ms)
{
	poll(NULL, 0, ms);
}

/* Waits at most @ms for the emulator to exit; its wait status, or -1. */
static int
pty_reap(struct pty_run *r, long ms)
{
	long end = now_ms() + ms;
	int st;

	for (;;) {
		pid_t w = waitpid(r->pid, &st, WNOHANG);
		if (w == r->pid) {
			r->pid = -1;
			return st;
		}
		if (w < 0 || now_ms() > end)
			return -1;
		sleep_ms(2);
	}
}

/* After a failure: SIGKILL leaves the symlink, which we remove. */
static void
pty_kill(struct pty_run *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
		r->pid = -1;
	}
	unlink(r->tty);
}

/* Starts a fresh module: 0, or -1 with the reason in @why. */
static int
pty_start(struct pty_run *r, char *why, size_t wsize)
{
	struct termios tio;
	struct stat st;
	long end;

	unlink(r->flash);    /* factory flash, as in memory */
	fflush(NULL);
	r->pid = fork();
	if (r->pid < 0) {
		snprintf(why, wsize, "fork: %s", strerror(errno));
		return -1;
	}
	if (r->pid == 0) {
		int null = open("/dev/null", O_RDWR), err = open(r->err, O_WRONLY | O_CREAT | O_TRUNC,
		    0600);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		if (err >= 0)
			dup2(err, 2);
		execl(r->bin, r->bin, "emu", "--pty", r->tty, "--firmware", r->prof, "--flash",
		    r->flash, "--log", "/dev/null", (char *)NULL);
		_exit(127);
	}
	end = now_ms() + PTY_START_MS;
	while (lstat(r->tty, &st) != 0) {
		int rc = pty_reap(r, 0);
		if (rc != -1 || now_ms() > end) {
			char err[256] = "";
			int fd = open(r->err, O_RDONLY);
			if (fd >= 0) {
				ssize_t k = read(fd, err, sizeof(err) - 1);
				err[k > 0 ? k : 0] = '\0';
				close(fd);
			}
			snprintf(why, wsize, "%s emu did not make %s (wait status %d): %s", r->bin,
			    r->tty, rc, err);
			pty_kill(r);
			return -1;
		}
		sleep_ms(2);
	}
	r->fd = open(r->tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (r->fd < 0 || tcgetattr(r->fd, &tio) != 0) {
		snprintf(why, wsize, "open %s: %s", r->tty, strerror(errno));
		pty_kill(r);
		return -1;
	}
	cfmakeraw(&tio);
	if (tcsetattr(r->fd, TCSANOW, &tio) != 0) {
		snprintf(why, wsize, "tcsetattr %s: %s", r->tty, strerror(errno));
		pty_kill(r);
		return -1;
	}
	return 0;
}

/* SIGTERM: the emulator must exit 0 and take its symlink with it. */
static int
pty_stop(struct pty_run *r, char *why, size_t wsize)
{
	struct stat st;
	int rc;

	close(r->fd);
	r->fd = -1;
	kill(r->pid, SIGTERM);
	rc = pty_reap(r, PTY_START_MS);
	if (rc == -1) {
		snprintf(why, wsize, "the emulator did not exit %d ms after SIGTERM", PTY_START_MS);
		pty_kill(r);
		return -1;
	}
	if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
		snprintf(why, wsize, "the emulator ended with wait status %d after SIGTERM", rc);
		return -1;
	}
	if (lstat(r->tty, &st) == 0) {
		snprintf(why, wsize, "SIGTERM left the symlink %s behind", r->tty);
		unlink(r->tty);
		return -1;
	}
	return 0;
}

static const char *
pty_xfer(void *ctx, const char *send, const char *want, size_t *len, char *why, size_t wsize)
{
	struct pty_run *r = ctx;
	size_t n = strlen(send), off = 0, need = 0;
	long quiet = PTY_SILENT_MS, end;

	if (strcmp(want, SKIP) != 0 && want[0] != '\0') {
		need = strlen(want);
		quiet = PTY_QUIET_MS;
	}
	r->outlen = 0;
	while (off < n) {
		ssize_t k = write(r->fd, send + off, n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			snprintf(why, wsize, "write: %s", strerror(errno));
			return NULL;
		}
		off += (size_t)k;
	}
	end = now_ms() + PTY_STEP_MS;
	for (;;) {
		struct pollfd pfd = { r->fd, POLLIN, 0 };
		long left = end - now_ms(), wait;
		int k;

		if (left <= 0)
			break;
		wait = r->outlen >= need && quiet < left ? quiet : left;
		k = poll(&pfd, 1, (int)wait);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			snprintf(why, wsize, "poll: %s", strerror(errno));
			return NULL;
		}
		if (k == 0) {
			if (r->outlen >= need)
				break;    /* the expected length, then quiet */
			continue;
		}
		if (r->outlen == sizeof(r->out) - 1) {
			snprintf(why, wsize, "more than %zu bytes in answer", sizeof(r->out) - 1);
			return NULL;
		}
		{
			ssize_t got = read(r->fd, r->out + r->outlen, sizeof(r->out) - 1 - r->outlen);
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				/* EIO on the slave: the master is gone, so is the emulator. */
				snprintf(why, wsize, "read: %s (did the emulator die?)",
				    got < 0 ? strerror(errno) : "end of file");
				return NULL;
			}
			r->outlen += (size_t)got;
		}
	}
	r->out[r->outlen] = '\0';
	*len = r->outlen;
	/* AT+Z answers +OK and resets 100 ms later (firmware §2): a command
	 * sent before the reset is lost with it, or discarded by a busy
	 * module in the manual. A client waits for the reset, as the
	 * in-memory walk does with its 30 virtual seconds per step. */
	if (strcmp(send, "AT+Z\r") == 0)
		sleep_ms(PTY_RESET_MS);
	return r->out;
}

/* The cases of one profile numbered @shard modulo PTY_SHARDS, one emulator
 * each; the failures, one per case, appended to @msg. The number of failing
 * cases. */
static int
pty_profile(const char *bin, const char *prof, size_t shard, char *msg, size_t msize)
{
	static struct pty_run r;
	size_t i, used = 0;
	int failed = 0;

	memset(&r, 0, sizeof(r));
	r.bin = bin;
	r.prof = prof;
	r.fd = -1;
	r.pid = -1;
	msg[0] = '\0';
	snprintf(r.dir, sizeof(r.dir), "/tmp/test_emu_cmds.XXXXXX");
	if (mkdtemp(r.dir) == NULL) {
		snprintf(msg, msize, "%s: mkdtemp: %s\n", prof, strerror(errno));
		return 1;
	}
	snprintf(r.tty, sizeof(r.tty), "%s/tty", r.dir);
	snprintf(r.flash, sizeof(r.flash), "%s/flash", r.dir);
	snprintf(r.err, sizeof(r.err), "%s/emu.err", r.dir);
	for (i = shard; i < NCASES; i += PTY_SHARDS) {
		char one[8192], why[512];
		int rc;

		if (pty_start(&r, why, sizeof(why)) != 0) {
			snprintf(one, sizeof(one), "case \"%s\", profile %s: %s", cases[i].name, prof,
			    why);
			rc = -1;
		} else {
			rc = walk_case(&cases[i], prof, pty_xfer, &r, one, sizeof(one));
			if (rc != 0)
				pty_kill(&r);
			else if (pty_stop(&r, why, sizeof(why)) != 0) {
				snprintf(one, sizeof(one), "case \"%s\", profile %s: %s", cases[i].name,
				    prof, why);
				rc = -1;
			}
		}
		if (rc != 0) {
			int k = snprintf(msg + used, msize - used, "%s\n", one);
			failed++;
			if (k > 0 && (size_t)k < msize - used)
				used += (size_t)k;
		}
	}
	unlink(r.err);
	unlink(r.flash);
	rmdir(r.dir);
	return failed;
}

static void
every_case_in_every_profile_through_a_real_pty(void **state)
{
	static const char *const profs[] = { "manual", "luat", "g3" };
	static char msg[PTY_KIDS][16384];
	const char *bin = getenv("ATP_EMU_BIN");
	pid_t pid[PTY_KIDS];
	int fds[PTY_KIDS][2], st, failed = 0;
	size_t k;

	(void)state;
	/* tests/e2e/test_emu_pty_table.sh sets it; a plain unit run has no
	 * emulator binary to drive. */
	if (bin == NULL || bin[0] == '\0')
		skip();
	assert_int_equal(access(bin, X_OK), 0);
	for (k = 0; k < PTY_KIDS; k++) {
		assert_int_equal(pipe(fds[k]), 0);
		fflush(NULL);
		pid[k] = fork();
		assert_true(pid[k] >= 0);
		if (pid[k] == 0) {
			/* No cmocka in the child: the verdict goes up the pipe. */
			int n = pty_profile(bin, profs[k / PTY_SHARDS], k % PTY_SHARDS, msg[k],
			    sizeof(msg[k]));
			size_t len = strlen(msg[k]), off = 0;
			close(fds[k][0]);
			while (off < len) {
				ssize_t w = write(fds[k][1], msg[k] + off, len - off);
				if (w <= 0)
					break;
				off += (size_t)w;
			}
			_exit(n == 0 ? 0 : 1);
		}
		close(fds[k][1]);
	}
	/* Each child writes at most 16 KiB, less than a pipe holds: reading
	 * them in turn cannot block a child. */
	for (k = 0; k < PTY_KIDS; k++) {
		size_t len = 0;
		ssize_t r;
		while (len < sizeof(msg[k]) - 1 &&
		    (r = read(fds[k][0], msg[k] + len, sizeof(msg[k]) - 1 - len)) > 0)
			len += (size_t)r;
		msg[k][len] = '\0';
		close(fds[k][0]);
		assert_int_equal(waitpid(pid[k], &st, 0), pid[k]);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			failed = 1;
			if (len == 0)
				snprintf(msg[k], sizeof(msg[k]), "profile %s: the client ended with "
				    "wait status %d\n", profs[k / PTY_SHARDS], st);
		}
	}
	/* cmocka cuts long messages: the differences go to the output whole. */
	if (failed) {
		printf("through the pty:\n");
		for (k = 0; k < PTY_KIDS; k++)
			printf("%s", msg[k]);
		fail_msg("some cases differ through the pty (listed above)");
	}
}

/* The queue: a command sent while WJOIN runs waits in the firmware and is
 * silently discarded in the manual (§2.1.1.1, queue-not-discard). */
static void
a_command_during_wjoin_is_queued_or_discarded(void **state)
{
	static const char *const profs[] = { "manual", "luat", "g3" };
	size_t p;

	(void)state;
	for (p = 0; p < 3; p++) {
		struct tm *t = tm_open(profs[p]);
		const char *join = R("3c46d82bd81e,0,11,0,\"TP-LINK_HyFi_1E\",53");
		char want[512];

		tm_expect(t, "AT+SSID=TP-LINK_HyFi_1E\r", OK);
		/* Nothing comes back before the join time has passed. */
		assert_string_equal(tm_txn(t, "AT+WJOIN\rAT+LKSTT\r", 18, 0.1), "");
		tm_txn(t, "", 0, 5);
		if (p == 0)
			snprintf(want, sizeof(want), "%s", join);
		else
			snprintf(want, sizeof(want), "%s%s", join,
			    R("1,\"192.168.1.109\",\"255.255.255.0\",\"192.168.1.1\",\"192.168.1.1\",\"0.0.0.0\""));
		assert_string_equal(t->out, want);
		tm_close(t);
	}
}

/* A payload sent with the command line is taken once the module is in
 * counted mode (firmware §8.1); the bytes after it are commands again. */
static int payload_seen;
static char payload[64];

static void
take_payload(struct emu *e, const uint8_t *p, size_t n, int timed_out, void *ctx)
{
	(void)e;
	(void)ctx;
	assert_int_equal(timed_out, 0);
	assert_true(n < sizeof(payload));
	memcpy(payload, p, n);
	payload[n] = '\0';
	payload_seen++;
}

static void
counted_mode_takes_exactly_its_bytes(void **state)
{
	struct tm *t = tm_open("luat");

	(void)state;
	tm_send(t, "kev", 3);    /* no line end: waits in the ring */
	assert_int_equal(emu_set_mode(t->e, EMU_MODE_COUNTED, 5, 0, take_payload, NULL), ATP_OK);
	assert_int_equal(payload_seen, 0);
	tm_expect(t, "inAT+\r", OK);
	assert_int_equal(payload_seen, 1);
	assert_string_equal(payload, "kevin");
	/* "AT+" text inside a payload is payload (firmware §8.1). */
	assert_int_equal(emu_set_mode(t->e, EMU_MODE_COUNTED, 4, 0, take_payload, NULL), ATP_OK);
	tm_expect(t, "AT+\r", "");
	assert_string_equal(payload, "AT+\r");
	tm_close(t);
}

static int timeouts;

static void
take_timeout(struct emu *e, const uint8_t *p, size_t n, int timed_out, void *ctx)
{
	(void)e;
	(void)p;
	(void)ctx;
	assert_int_equal(timed_out, 1);
	assert_int_equal(n, 2);
	timeouts++;
}

static void
counted_mode_ends_at_its_timeout(void **state)
{
	struct tm *t = tm_open("manual");

	(void)state;
	assert_int_equal(emu_set_mode(t->e, EMU_MODE_COUNTED, 5, 1000000, take_timeout, NULL),
	    ATP_OK);
	tm_txn(t, "ab", 2, 0.5);
	assert_int_equal(timeouts, 0);
	tm_txn(t, "", 0, 0.6);
	assert_int_equal(timeouts, 1);
	tm_expect(t, "AT+\r", OK);
	tm_close(t);
}

static size_t chunks;
static char chunk_log[256];
static size_t chunk_len;

static void
take_chunk(struct emu *e, const uint8_t *p, size_t n, int timed_out, void *ctx)
{
	(void)e;
	(void)timed_out;
	(void)ctx;
	chunks++;
	assert_true(chunk_len + n + 2 < sizeof(chunk_log));
	memcpy(chunk_log + chunk_len, p, n);
	chunk_len += n;
	chunk_log[chunk_len++] = '|';
	chunk_log[chunk_len] = '\0';
}

static void
transparent_mode_passes_chunks_as_they_come(void **state)
{
	struct tm *t = tm_open("luat");

	(void)state;
	assert_int_equal(emu_set_mode(t->e, EMU_MODE_TRANSPARENT, 0, 0, take_chunk, NULL), ATP_OK);
	tm_txn(t, "AT+QVER\r", 8, 0.1);
	tm_txn(t, "+++", 3, 0.1);
	assert_int_equal(chunks, 2);
	assert_string_equal(chunk_log, "AT+QVER\r|+++|");
	assert_string_equal(tm_take(t), "");
	assert_int_equal(emu_set_mode(t->e, EMU_MODE_CMD, 0, 0, NULL, NULL), ATP_OK);
	tm_expect(t, "AT+\r", OK);
	tm_close(t);
}

/* Automatic mode (ATM=0, §3.10): after a reset the module joins the
 * network stored in flash by itself; a wrong key keeps it trying. */
static void
automatic_mode_joins_the_stored_network_after_a_reset(void **state)
{
	static const char *const profs[] = { "manual", "luat", "g3" };
	size_t p;

	(void)state;
	for (p = 0; p < 3; p++) {
		struct tm *t = tm_open(profs[p]);
		tm_expect(t, "AT+SSID=airm2m_wifi\r", OK);
		tm_expect(t, "AT+KEY=1,0,wrongwrong\r", OK);
		/* A UDP client needs no peer: the ATRM socket opens quietly. */
		tm_expect(t, "AT+ATRM=1,0,127.0.0.1,9\r", OK);
		tm_expect(t, "AT+ATM=0\r", OK);
		tm_expect(t, "AT+PMTF\r", OK);
		tm_expect(t, "AT+Z\r", OK);
		assert_int_equal(t->e->sta.up, 0);
		/* Fix the key in flash as a power cycle would find it. */
		snprintf(t->e->flash.key.key, sizeof(t->e->flash.key.key), "12345678");
		emu_reset(t->e, 0);
		emu_loop_advance(t->loop, 200000);
		assert_int_equal(t->e->sta.up, 0);
		emu_loop_advance(t->loop, 200000);
		assert_int_equal(t->e->sta.up, 1);
		assert_string_equal(t->e->world->aps[t->e->sta.ap].ssid, "airm2m_wifi");
		tm_close(t);
	}
}

/* ENTS (§2.2.1.5): type 0 turns Wi-Fi off (the link goes); standby and
 * sleep stop the module, which loses what the host sends until its timer
 * wakes it, or which the host's bytes wake (the WAKEUP pin); waking resets
 * it (attention 2: RAM values are gone). */
static void
ents_sleeps_until_its_timer_or_the_host_wakes_it(void **state)
{
	static const char *const profs[] = { "manual", "luat", "g3" };
	size_t p;

	(void)state;
	for (p = 0; p < 3; p++) {
		struct tm *t = tm_open(profs[p]);
		tm_expect(t, "AT+SSID=TP-LINK_HyFi_1E\r", OK);
		tm_expect(t, "AT+WJOIN\r", R("3c46d82bd81e,0,11,0,\"TP-LINK_HyFi_1E\",53"));
		tm_expect(t, "AT+ENTS=0,1,1000,10000\r", OK);
		tm_expect(t, "AT+LKSTT\r", R("0"));
		tm_expect(t, "AT+SSID=?\r", R("TP-LINK_HyFi_1E"));    /* no reset */
		/* Timer wake-up after 2 s: what comes before is lost. */
		assert_string_equal(tm_txn(t, "AT+ENTS=1,1,1000,2000\r", 22, 0.01), OK);
		assert_string_equal(tm_txn(t, "AT+QMAC\r", 8, 1.9), "");
		assert_string_equal(tm_txn(t, "", 0, 0.2), "");
		tm_expect(t, "AT+SSID=?\r", R(""));                   /* reset: RAM gone */
		/* Pin wake-up: the host's bytes wake it and are lost with the reset. */
		tm_expect(t, "AT+SSID=abc\r", OK);
		assert_string_equal(tm_txn(t, "AT+ENTS=2,0,1000,2000\r", 22, 0.01), OK);
		assert_string_equal(tm_txn(t, "AT+QMAC\r", 8, 5), "");
		tm_expect(t, "AT+SSID=?\r", R(""));
		tm_close(t);
	}
}

/* AT+UART moves the line (§2.2.2.20): the manual's = and =! at once, after
 * the +OK has gone out at the old rate; the firmware only at the next
 * restart (uart-after-restart), which always comes back at flash's rate. */
static void
uart_moves_the_line_as_the_profile_says(void **state)
{
	struct tm *t = tm_open("manual");

	(void)state;
	assert_int_equal(t->e->line_baud, 115200);
	assert_string_equal(tm_tx(t, "AT+UART=9600,0,0,0\r"), "+OK\r\n\r\n");
	assert_int_equal(t->e->line_baud, 9600);
	assert_string_equal(tm_tx(t, "AT+UART=!19200,0,0,0\r"), "+OK\r\n\r\n");
	assert_int_equal(t->e->line_baud, 19200);
	assert_string_equal(tm_tx(t, "AT+UART=57600,0,0,0\r"), "+OK\r\n\r\n");
	assert_string_equal(tm_tx(t, "AT+Z\r"), "+OK\r\n\r\n");
	assert_int_equal(t->e->line_baud, 19200);     /* flash's, not memory's */
	assert_string_equal(tm_tx(t, "AT+UART=14400,0,0,0\r"), "+ERR=-4\r\n\r\n");
	assert_int_equal(t->e->line_baud, 19200);
	assert_string_equal(tm_tx(t, "AT+RSTF\r"), "+OK\r\n\r\n");
	assert_int_equal(t->e->line_baud, 19200);     /* RSTF: at the restart */
	assert_string_equal(tm_tx(t, "AT+Z\r"), "+OK\r\n\r\n");
	assert_int_equal(t->e->line_baud, 115200);
	tm_close(t);

	t = tm_open("luat");
	assert_string_equal(tm_tx(t, "AT+UART=9600,0,0,0\r"), "+OK\r\n\r\n");
	assert_int_equal(t->e->line_baud, 115200);
	assert_string_equal(tm_tx(t, "AT+UART=?\r"), "+OK=9600,0,0,0,0\r\n\r\n");
	assert_string_equal(tm_tx(t, "AT+Z\r"), "+OK\r\n\r\n");
	assert_int_equal(t->e->line_baud, 115200);    /* = was memory only */
	assert_string_equal(tm_tx(t, "AT+UART=!2000000,0,0,0\r"), "+OK\r\n\r\n");
	assert_int_equal(t->e->line_baud, 115200);
	assert_string_equal(tm_tx(t, "AT+Z\r"), "+OK\r\n\r\n");
	assert_int_equal(t->e->line_baud, 2000000);
	tm_close(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_case_in_every_profile),
		cmocka_unit_test(every_case_in_every_profile_through_a_real_pty),
		cmocka_unit_test(a_command_during_wjoin_is_queued_or_discarded),
		cmocka_unit_test(counted_mode_takes_exactly_its_bytes),
		cmocka_unit_test(counted_mode_ends_at_its_timeout),
		cmocka_unit_test(transparent_mode_passes_chunks_as_they_come),
		cmocka_unit_test(automatic_mode_joins_the_stored_network_after_a_reset),
		cmocka_unit_test(uart_moves_the_line_as_the_profile_says),
		cmocka_unit_test(ents_sleeps_until_its_timer_or_the_host_wakes_it),
	};

	/* 0 or 1: failures are counted in the output (tests/run.sh); a small
	 * exit code keeps them apart from crashes (tools/oom.sh). */
	return cmocka_run_group_tests(tests, NULL, NULL) == 0 ? 0 : 1;
}
