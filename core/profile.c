/* SPDX-License-Identifier: MIT */
/* \summary: firmware profiles and the catalogue of known deviations */
#include <string.h>

#include "atproof/profile.h"

static const struct atp_profile profiles[] = {
	{ "manual", ATP_PROFILE_MANUAL,
	  "The manual itself (Air602 AT Command User Manual V1.1): no deviations",
	  "AirM2M_Luat_WiFi_V008_WM" },
	{ "luat", ATP_PROFILE_LUAT,
	  "Luat's Air602 firmware (SDK G2.2.5, 2018), the module's own",
	  "H1.00.00.0000,G2.02.05@ 10:55:46 Sep 28 2018" },
	{ "g3", ATP_PROFILE_G3,
	  "WinnerMicro W600 SDK G3.04 (2019)",
	  "H1.00.00.0000,G3.04.00@ 09:30:00 Aug 27 2019" },
};

#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))
#define BOTH (ATP_PROFILE_LUAT | ATP_PROFILE_G3)
#define LUAT ATP_PROFILE_LUAT
#define G3 ATP_PROFILE_G3
#define ALLF 0u

/*
 * The catalogue, from w600-firmware.md §14 (LUAT vs G3) and §16 (firmware vs
 * manual). Each row: id, manual section it departs from, summary, profiles,
 * kind, commands, forms, alt, where the firmware notes establish it.
 * An id, once published, is never renamed: reports and baselines use it.
 *
 * What §14 and §16 name and the catalogue does not, and why:
 *   §14 WBGR default, ONEMODE/APWJOIN/THT: not commands of the manual, so
 *       there is nothing to depart from (an unknown name is cmd-unknown).
 *   §14 shared UART RX message id: inside the firmware; one host port
 *       cannot see it.
 *   §14 the older wm_cmdp_at.c variant (SKSND clamp 1024, unquoted SKGHBN,
 *       +SKTRPT with a u32 IP, SKRCV "%d,%d"): neither LUAT nor G3, no
 *       profile; its replies fail as any other departure does.
 *   §16.2 lower-case "at+", a bare "AT" unanswered: the manual says
 *       neither; a lower-case line is a host-side cmd-syntax finding.
 *   §16.3 SKRCV's data without a terminator, SKSND's silence after the
 *       payload: the manual's own formats (§2.2.3.11-12) say the same.
 *   §16.4 bare strings, strings quoted in some replies and not others: the
 *       manual's examples send bare strings, so the model's String type is
 *       quoted or bare (shape.h); QString/QIP only where the manual quotes.
 *   §16.6 AT+ text inside the SKSND payload is payload, the data phase on
 *       UART1: the manual reads so too / a wiring matter of the emulator.
 *   §16.7 positive WJOIN codes: an inference of the notes, not a fact; a
 *       code outside §1.2.2 stays a resp-errcode failure.
 *   §16.8 ESPC/ESPT/ATLT do not exist in the manual; it promises ATPT
 *       nothing about +++ (plus-escape-in-command-mode covers the +OK).
 *   §16.9 SKSRCIP only as =?, SKRPTM only as =: as the manual's formats.
 *   §16.10 DNS as the local domain name: what the manual's §2.2.2.4 says.
 *   §16.11 no banner after Z: the Z row's note takes the manual's format,
 *       the banner of its example optional.
 *   §16.14 MQTT in LUAT: the notes infer a later closed Luat build that the
 *       manual documents (§13); the luat profile is that module, so only
 *       g3 has mqtt-absent.
 *   §16.15 RSSI as a magnitude, MACs in either case: the manual's examples
 *       print both, and the MAC type takes either case.
 */
static const struct atp_deviation deviations[] = {
	{ "queue-not-discard", "2.1.1.1",
	  "A command arriving while another runs is queued and run afterwards, not silently discarded",
	  BOTH, ATP_DEV_BEHAVIOUR, NULL, ALLF, NULL, "§6, §16.1" },
	{ "eol-any", "2.1",
	  "LF, CRLF and LFCR end a command line as well as CR",
	  BOTH, ATP_DEV_BEHAVIOUR, NULL, ALLF, NULL, "§1.2, §16.2" },
	{ "garbage-drops-line", "2.1",
	  "Bytes before AT+ make the module drop the rest of the line (xxAT+QVER is lost)",
	  LUAT, ATP_DEV_BEHAVIOUR, NULL, ALLF, NULL, "§1.2, §14" },
	{ "parse-error-single-crlf", "2.1",
	  "Errors found while parsing a line (name too long, too many arguments) end with one CRLF, not two",
	  BOTH, ATP_DEV_TERM, NULL, ALLF, "\r\n", "§1.4, §16.3" },
	{ "form-not-allowed-err2", "1.2.2",
	  "A form the command does not allow answers -2 (not supported) instead of -3 (invalid operator)",
	  BOTH, ATP_DEV_ERRCODE, NULL, ALLF, "-2", "§1.3" },
	{ "missing-arg-err2", "1.2.2",
	  "Too few arguments answer -2 (not supported) instead of -4 (invalid parameter)",
	  BOTH, ATP_DEV_ERRCODE, NULL, ALLF, "-2", "§1.3, §16.7" },
	{ "extra-forms", "2.1",
	  "Forms the manual does not list are accepted: a bare AT+X queries a parameter, =? works on query commands, =! on SKRPTM's neighbours",
	  BOTH, ATP_DEV_FORM, NULL, ALLF, NULL, "§1.3, §2" },
	{ "skrptm-query-lf", "2.2.3.17",
	  "AT+SKRPTM=? answers +OK=<mode>\\n\\r\\n\\r\\n: a bare LF before the terminator",
	  BOTH, ATP_DEV_TERM, "SKRPTM", ATP_FORM_QUERY, "\n\r\n\r\n", "§4, §16.3" },
	{ "list-extra-crlf", "2.2.3.6",
	  "WSCAN and SKSTT lists end with two empty lines (CRLF CRLF CRLF after the last entry), not one",
	  BOTH, ATP_DEV_TERM, "WSCAN SKSTT", ALLF, "\r\n\r\n\r\n", "§11, §16.3" },
	{ "sksnd-no-timeout", "2.2.3.11",
	  "The SKSND data phase has no 1 s timeout: the module waits for all the announced bytes",
	  BOTH, ATP_DEV_BEHAVIOUR, "SKSND", ALLF, NULL, "§8.1, §16.6" },
	{ "plus-escape-in-command-mode", "2.2.1.4",
	  "A '+++' burst in command mode is answered +OK, as when it ends transparent mode",
	  BOTH, ATP_DEV_BEHAVIOUR, NULL, ALLF, NULL, "§9" },
	{ "sksnd-clamp-512", "2.2.3.11",
	  "SKSND takes any size and clamps it to 512 (+OK=512), beyond the manual's range too",
	  BOTH, ATP_DEV_ACCEPTS, "SKSND", ALLF, "size", "§8.1, §16.6" },
	{ "sksnd-excess-parsed", "2.2.3.11",
	  "Bytes after an SKSND payload are read as command lines, not discarded",
	  BOTH, ATP_DEV_BEHAVIOUR, "SKSND", ALLF, NULL, "§8.1" },
	{ "skrcv-clamp-1024", "2.2.3.12",
	  "SKRCV takes any maxsize and clamps it to 1024, beyond the manual's range too",
	  BOTH, ATP_DEV_ACCEPTS, "SKRCV", ALLF, "maxsize", "§8.2" },
	{ "flash-read-getters", "2.1",
	  "Queries of WPRT, KEY, CHLL, WPSM, PORTM, APSSID and APKEY read the flash copy: a value set with = does not read back",
	  BOTH, ATP_DEV_BEHAVIOUR, "WPRT KEY CHLL WPSM PORTM APSSID APKEY", ALLF, NULL, "§7, §16.5" },
	{ "wjoin-uses-flash", "2.2.3.4",
	  "WJOIN uses the network type and key stored in flash, not those set with =",
	  BOTH, ATP_DEV_BEHAVIOUR, "WJOIN", ALLF, NULL, "§7" },
	{ "rstf-immediate", "2.2.1.6",
	  "RSTF restores the factory values in memory at once, not only after a restart",
	  BOTH, ATP_DEV_BEHAVIOUR, "RSTF", ALLF, NULL, "§2, §16.11" },
	{ "flash-fail-err3", "2.2.1.7",
	  "A flash write that fails answers PMTF and RSTF with -3 (invalid operation), not -7 (FLASH error)",
	  BOTH, ATP_DEV_BEHAVIOUR, "PMTF RSTF", ALLF, NULL, "§5" },
	{ "slist-double-comma", "2.2.3.9",
	  "SLIST puts a double comma after the station count (+OK=1,,MAC,ip), as the manual's example does but not its format",
	  LUAT, ATP_DEV_SHAPE, "SLIST", ATP_FORM_BARE | ATP_FORM_QUERY,
	  "+OK=<sta_number:Dec 0..32>,{,<sta_mac:DMAC>,<sta_ip:IP>}", "§4, §14, §16.13" },
	{ "wscan-authmode", "2.2.3.6",
	  "WSCAN's encryption field is the auth-mode bit mask (0, 3, 4, 8, 12, 16, 32, 48...) instead of 0/1",
	  G3, ATP_DEV_SHAPE, "WSCAN", ALLF,
	  "<bssid:MAC>,<type:Enum 0|1|2|3>,<channel:Dec 1..14>,<encry:Dec 0..255>,<ssid:QString 0..32>,<rssi:Dec 0..255>",
	  "§11, §16.15" },
	{ "httpc-ok-session", "2.2.3.19",
	  "HTTPC answers +OK=<session> (a session number) instead of +OK",
	  BOTH, ATP_DEV_SHAPE, "HTTPC", ALLF, "+OK=<session:Dec 0..>", "§4, §10" },
	{ "httpc-head-verb", "2.2.3.19",
	  "HTTPC accepts verb 1 (HEAD), which the manual lists as '-'",
	  BOTH, ATP_DEV_ACCEPTS, "HTTPC", ALLF, "verb", "§3" },
	{ "dname-stub", "2.2.2.22",
	  "DNAME is a stub: any argument answers -4 and the query answers a bare +OK",
	  BOTH, ATP_DEV_SHAPE, "DNAME", ATP_FORM_BARE | ATP_FORM_QUERY, "+OK", "§4, §16.10" },
	{ "entm-no-precheck", "2.2.1.4",
	  "ENTM answers +OK without a network, a socket or a default socket (the data is then dropped)",
	  BOTH, ATP_DEV_BEHAVIOUR, "ENTM", ALLF, NULL, "§9" },
	{ "uart-more-rates", "2.2.2.20",
	  "UART accepts baud rates beyond the manual's list (600, 1800, 230400 ... 2000000)",
	  BOTH, ATP_DEV_ACCEPTS, "UART", ALLF, "baudrate", "§3" },
	{ "uart-err3", "2.2.2.20",
	  "An invalid UART parameter answers -3 (invalid operator) instead of -4",
	  BOTH, ATP_DEV_ERRCODE, "UART", ALLF, "-3", "§3, §16.7" },
	{ "uart-after-restart", "2.2.2.20",
	  "An AT+UART setting changes the line's rate only at the next restart (=! then AT+Z); = alone never does",
	  BOTH, ATP_DEV_BEHAVIOUR, "UART", ALLF, NULL, "§3, §16.12" },
	{ "uart-query-flow", "2.2.2.20",
	  "The UART query reports a fifth field, the flow control",
	  BOTH, ATP_DEV_SHAPE, "UART", ATP_FORM_BARE | ATP_FORM_QUERY,
	  "+OK=<baudrate:Dec 600..2000000>,<databit:Enum 0|1>,<stopbit:Enum 0|2>,<parity:Enum 0|1|2>,<flowcontrol:Enum 0|1>",
	  "§4" },
	{ "query-omits-unused", "2.2.2.13",
	  "BSSID, CHL and WEBS queries answer +OK=0 alone when the mode is 0 (no BSSID, channel or port)",
	  BOTH, ATP_DEV_SHAPE, "BSSID CHL WEBS", ATP_FORM_BARE | ATP_FORM_QUERY, "+OK=0", "§4" },
	{ "apchl-query-mode1", "2.2.2.15",
	  "The APCHL query always reports mode 1 with the channel, whatever mode was set",
	  BOTH, ATP_DEV_BEHAVIOUR, "APCHL", ALLF, NULL, "§4" },
	{ "encry-range-0-8", "2.2.2.9",
	  "ENCRY and APENCRY accept modes 7 and 8, beyond the manual's 0..6",
	  BOTH, ATP_DEV_ACCEPTS, "ENCRY APENCRY", ALLF, "encry_mode", "§3" },
	{ "oneshot-mode-2", "2.2.3.18",
	  "ONESHOT accepts status 2, beyond the manual's 0/1",
	  BOTH, ATP_DEV_ACCEPTS, "ONESHOT", ALLF, "status", "§3" },
	{ "key-unchecked", "2.2.2.11",
	  "KEY and APKEY accept a key whose length or alphabet does not fit the security mode",
	  BOTH, ATP_DEV_BEHAVIOUR, "KEY APKEY", ALLF, NULL, "§3" },
	{ "legacy-names-absent", "1.2.1",
	  "LKSTI, LKSTT2, QMAC2 and SSID2 of the command table do not exist: they answer -2",
	  BOTH, ATP_DEV_ERRCODE, "LKSTI LKSTT2 QMAC2 SSID2", ALLF, "-2", "§2" },
	{ "mqtt-absent", "2.2.4",
	  "The MQTT commands do not exist in this firmware: they answer -2",
	  G3, ATP_DEV_ERRCODE, "MSERVER MLOGIN MID MCONNECT MSUB MPUB MCLOSE", ALLF, "-2", "§2, §13" },
	{ "wwps-absent", "2.2.3.3",
	  "WWPS does not exist in this build (WPS is compiled out): it answers -2",
	  G3, ATP_DEV_ERRCODE, "WWPS", ALLF, "-2", "§2, §14" },
	{ "sktrpt-cap-511", "2.2.3.17",
	  "+SKTRPT announces the full length of a segment over 511 bytes but carries only its last 511 bytes",
	  LUAT, ATP_DEV_BEHAVIOUR, NULL, ALLF, NULL, "§8.4" },
	{ "sktrpt-split", "2.2.3.17",
	  "+SKTRPT's header and its data are written separately, so other output may fall between them",
	  G3, ATP_DEV_BEHAVIOUR, NULL, ALLF, NULL, "§1.4, §8.4, §14" },
};

#define NDEVIATIONS (sizeof(deviations) / sizeof(deviations[0]))

size_t
atp_profile_count(void)
{
	return NPROFILES;
}

const struct atp_profile *
atp_profile_at(size_t i)
{
	return i < NPROFILES ? &profiles[i] : NULL;
}

const struct atp_profile *
atp_profile_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < NPROFILES; i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
}

size_t
atp_deviation_count(void)
{
	return NDEVIATIONS;
}

const struct atp_deviation *
atp_deviation_at(size_t i)
{
	return i < NDEVIATIONS ? &deviations[i] : NULL;
}

const struct atp_deviation *
atp_deviation_find(const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < NDEVIATIONS; i++)
		if (strcmp(deviations[i].id, id) == 0)
			return &deviations[i];
	return NULL;
}

int
atp_profile_has(const struct atp_profile *p, const struct atp_deviation *dv)
{
	return p != NULL && dv != NULL && (dv->profiles & p->bit) != 0;
}

int
atp_profile_has_id(const struct atp_profile *p, const char *id)
{
	return atp_profile_has(p, atp_deviation_find(id));
}

/* Is @name one of the space-separated words of @list? */
static int
in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *w = list;

	while (*w != '\0') {
		size_t k = strcspn(w, " ");
		if (k == n && strncmp(w, name, n) == 0)
			return 1;
		w += k;
		while (*w == ' ')
			w++;
	}
	return 0;
}

int
atp_deviation_applies(const struct atp_deviation *dv, const struct atp_cmd *cmd, enum atp_form form)
{
	if (dv == NULL)
		return 0;
	if (dv->forms != 0 && (dv->forms & (unsigned)form) == 0)
		return 0;
	if (dv->cmds == NULL)
		return 1;
	return cmd != NULL && in_list(dv->cmds, cmd->name);
}
