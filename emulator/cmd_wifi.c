/* SPDX-License-Identifier: MIT */
/* \summary: Wi-Fi commands against the simulated radio world (§2.2.3) */
#include <stdio.h>
#include <string.h>

#include "emulator/emu.h"

/*
 * WSCAN, WJOIN, WLEAV, LKSTT, APLKSTT, SLIST, WWPS, ONESHOT and CUSTDATA
 * work on the world file's access points and stations. WJOIN and WSCAN
 * block for the world's join and scan times (firmware §6, §11); commands
 * sent meanwhile wait (queue-not-discard) or are dropped (the manual).
 */

static void
link_down(struct emu *e, struct emu_link *l)
{
	int was = l->up;

	memset(l, 0, sizeof(*l));
	if (was && l == &e->sta)
		emu_net_link(e, 0);
}

void
emu_wifi_reset(struct emu *e)
{
	emu_timer_cancel(e->loop, e->oneshot_timer);
	e->oneshot_timer = 0;
	emu_timer_cancel(e->loop, e->boot_timer);
	e->boot_timer = 0;
	e->oneshot_on = 0;
	link_down(e, &e->sta);
	link_down(e, &e->ap);
	memset(&e->op, 0, sizeof(e->op));
}

/* The key a host gave matches the AP's: ASCII exactly, HEX in any case. */
static int
key_matches(const struct emu_key *k, const struct emu_ap *ap)
{
	if (k->format == 0)
		return atp_span_eq_ci(atp_span_str(k->key), ap->key);
	return strcmp(k->key, ap->key) == 0;
}

/* Is the AP visible with the CHLL list and the CHL/BSSID designations? */
static int
ap_visible(const struct emu *e, const struct emu_ap *ap)
{
	const struct emu_params *p = &e->ram;

	if ((p->chll & (1u << (ap->channel - 1))) == 0)
		return 0;
	if (p->chl.mode == 1 && p->chl.channel != ap->channel)
		return 0;
	if (p->bssid_mode == 1 && memcmp(p->bssid, ap->bssid, 6) != 0)
		return 0;
	return 1;
}

/* The AP that WJOIN would pick: by BSSID when designated, else by SSID. */
static long
find_ap(const struct emu *e, unsigned wprt)
{
	const struct emu_world *w = e->world;
	unsigned type = wprt == 1 ? 1 : 2;
	size_t i;

	if (e->ram.bssid_mode == 0 && e->ram.ssid[0] == '\0')
		return -1;
	for (i = 0; i < w->naps; i++) {
		const struct emu_ap *ap = &w->aps[i];
		if (ap->type != type || !ap_visible(e, ap))
			continue;
		if (e->ram.bssid_mode == 0 && strcmp(ap->ssid, e->ram.ssid) != 0)
			continue;
		return (long)i;
	}
	return -1;
}

static void
sta_up(struct emu *e, size_t ap_index)
{
	const struct emu_ap *ap = &e->world->aps[ap_index];
	const struct emu_nip *n = &e->ram.nip;

	e->sta.up = 1;
	e->sta.ap = ap_index;
	e->sta.since_us = emu_loop_now(e->loop);
	if (n->type == 1) {
		e->sta.ip = n->ip;
		e->sta.mask = n->mask;
		e->sta.gw = n->gw;
		e->sta.dns1 = n->dns;
	} else {
		e->sta.ip = ap->ip;
		e->sta.mask = ap->mask;
		e->sta.gw = ap->gw;
		e->sta.dns1 = ap->dns;
	}
	e->sta.dns2 = 0;
	emu_net_link(e, 1);
}

static void
ap_up(struct emu *e)
{
	const struct emu_nip *n = &e->ram.apnip;

	e->ap.up = 1;
	e->ap.since_us = emu_loop_now(e->loop);
	e->ap.ip = n->ip;
	e->ap.mask = n->mask;
	e->ap.gw = n->gw;
	e->ap.dns1 = n->dns;
	e->ap.dns2 = 0;
}

/* +OK=<bssid>,<type>,<channel>,<encry>,"<ssid>",<rssi> (§2.2.3.4; the
 * BSSID in lower case, firmware §4). */
static void
reply_join(struct emu *e, unsigned wprt)
{
	char mac[13];

	if (wprt == 2) {
		emu_reply_okf(e, "%s,2,%u,%u,\"%s\",0", emu_fmt_mac(e, e->apmac, 0, mac),
		    e->ram.apchl.channel, e->ram.apencry != 0 ? 1u : 0u, e->ram.apssid);
	} else if (e->sta.ap == SIZE_MAX) {
		/* An adhoc network we created (WATC=1). */
		emu_reply_okf(e, "%s,1,%u,%u,\"%s\",0", emu_fmt_mac(e, e->mac, 0, mac),
		    e->ram.chl.mode == 1 ? e->ram.chl.channel : 1u, e->ram.encry != 0 ? 1u : 0u,
		    e->ram.ssid);
	} else {
		const struct emu_ap *ap = &e->world->aps[e->sta.ap];
		emu_reply_okf(e, "%s,%u,%u,%u,\"%s\",%u", emu_fmt_mac(e, ap->bssid, 0, mac), wprt,
		    ap->channel, ap->security != 0 ? 1u : 0u, ap->ssid, ap->rssi);
	}
}

static void
join_done(struct emu_loop *loop, void *ctx)
{
	struct emu *e = ctx;
	unsigned wprt = e->op.wprt;

	(void)loop;
	e->cmd_timer = 0;
	if (!e->op.ok) {
		emu_log_note(e, "WJOIN: no such network, or the key does not fit");
		emu_reply_err(e, -10);
		emu_cmd_done(e);
		return;
	}
	if (wprt == 2) {
		ap_up(e);
	} else if (e->op.ap == SIZE_MAX) {
		e->sta.up = 1;
		e->sta.ap = SIZE_MAX;
		e->sta.since_us = emu_loop_now(e->loop);
		e->sta.ip = e->ram.nip.ip;
		e->sta.mask = e->ram.nip.mask;
	} else {
		sta_up(e, e->op.ap);
		if (wprt == 3)
			ap_up(e);
	}
	e->wprt_up = wprt;
	reply_join(e, wprt);
	emu_cmd_done(e);
}

/*
 * AT+WJOIN (§2.2.3.4): joins the configured network in STA (0), adhoc (1)
 * and APSTA (3) modes, creates the SoftAP in AP mode (2). The firmware
 * takes the network type and the key from flash (wjoin-uses-flash), the
 * SSID and BSSID from RAM (firmware §7). Already joined: the information
 * comes back at once.
 */
static int
cmd_wjoin(struct emu *e, const struct atp_cmdline *cl)
{
	const struct emu_params *src = emu_dev(e, "wjoin-uses-flash") ? &e->flash : &e->ram;
	unsigned wprt = src->wprt;
	long i;

	(void)cl;
	if (wprt == 2 ? e->ap.up : e->sta.up) {
		reply_join(e, e->wprt_up);
		return 0;
	}
	memset(&e->op, 0, sizeof(e->op));
	e->op.wprt = wprt;
	if (wprt == 2) {
		e->op.ok = e->ram.apssid[0] != '\0';
	} else {
		i = find_ap(e, wprt);
		if (i >= 0) {
			const struct emu_ap *ap = &e->world->aps[i];
			e->op.ap = (size_t)i;
			/* The station learns the AP's security from its beacon:
			 * the key decides, ENCRY does not (the §3.3 flow sets
			 * none and joins a WPA network). */
			e->op.ok = ap->security == 0 || key_matches(&src->key, ap);
		} else if (wprt == 1 && e->ram.watc && e->ram.ssid[0] != '\0') {
			e->op.ap = SIZE_MAX;    /* create the adhoc network (§2.2.2.17) */
			e->op.ok = 1;
		}
	}
	e->cmd_timer = emu_timer_add(e->loop, e->op.ok ? e->world->join_us :
	    e->world->join_fail_us, join_done, e);
	if (e->cmd_timer == 0)
		return -6;
	return EMU_PENDING;
}

static void boot_join(struct emu_loop *loop, void *ctx);

/* Arms the next attempt of automatic mode's join: after the world's join
 * time when it will succeed, after its failure time (then again) if not. */
static void
boot_arm(struct emu *e)
{
	long i = find_ap(e, e->ram.wprt);
	int ok = e->ram.wprt == 2 ? e->ram.apssid[0] != '\0' :
	    i >= 0 && (e->world->aps[i].security == 0 || key_matches(&e->ram.key, &e->world->aps[i]));

	e->boot_timer = emu_timer_add(e->loop, ok ? e->world->join_us : e->world->join_fail_us,
	    boot_join, e);
}

static void
boot_join(struct emu_loop *loop, void *ctx)
{
	struct emu *e = ctx;
	unsigned wprt = e->ram.wprt;
	long i;

	(void)loop;
	e->boot_timer = 0;
	if (e->ram.atm != 0 || (wprt == 2 ? e->ap.up : e->sta.up))
		return;
	if (wprt == 2) {
		if (e->ram.apssid[0] == '\0')
			return;
		ap_up(e);
		e->wprt_up = 2;
		emu_log_note(e, "automatic mode: SoftAP \"%s\" up", e->ram.apssid);
		return;
	}
	i = find_ap(e, wprt);
	if (i >= 0 && (e->world->aps[i].security == 0 ||
	    key_matches(&e->ram.key, &e->world->aps[i]))) {
		sta_up(e, (size_t)i);
		if (wprt == 3)
			ap_up(e);
		e->wprt_up = wprt;
		emu_log_note(e, "automatic mode: joined \"%s\"", e->world->aps[i].ssid);
		return;
	}
	emu_log_note(e, "automatic mode: cannot join \"%s\", trying again", e->ram.ssid);
	boot_arm(e);
}

/*
 * Automatic mode (ATM=0, §2.2.2.5, §3.10): after a reset the module joins
 * the network stored in flash by itself, and keeps trying; the networking
 * code opens the ATRM socket once the link is up (emu_net_link).
 */
void
emu_wifi_boot(struct emu *e)
{
	emu_timer_cancel(e->loop, e->boot_timer);
	e->boot_timer = 0;
	if (e->ram.atm != 0)
		return;
	boot_arm(e);
}

/* The encryption field of a WSCAN entry: 0/1 (manual), or the auth-mode
 * bit mask of G3's enum tls_wifi_auth_mode (wscan-authmode). */
static unsigned
scan_encry(const struct emu *e, unsigned security)
{
	static const unsigned authmode[] = { 0, 3, 3, 4, 8, 16, 32 };

	if (emu_dev(e, "wscan-authmode"))
		return security < 7 ? authmode[security] : 0;
	return security != 0;
}

#define WSCAN_WAIT_US (5u * 1000000u)

/* A scan slower than the firmware's 5 s wait: +ERR=-3 and no list
 * (firmware §5, §11). */
static void
scan_timeout(struct emu_loop *loop, void *ctx)
{
	struct emu *e = ctx;

	(void)loop;
	e->cmd_timer = 0;
	emu_log_note(e, "WSCAN: the scan takes longer than 5 s: timed out");
	emu_reply_err(e, -3);
	emu_cmd_done(e);
}

static void
scan_done(struct emu_loop *loop, void *ctx)
{
	struct emu *e = ctx;
	const struct emu_world *w = e->world;
	size_t i, n = 0, len, cap = 8 + (size_t)EMU_SCAN_MAX * 96;
	char *buf;

	(void)loop;
	e->cmd_timer = 0;
	buf = atp_malloc(cap);
	if (buf == NULL) {
		emu_reply_err(e, -6);
		emu_cmd_done(e);
		return;
	}
	memcpy(buf, "+OK=", 4);
	len = 4;
	/* Entries: BSSID in upper case, type, channel, encryption, the SSID
	 * quoted, RSSI as a positive magnitude (firmware §11). */
	for (i = 0; i < w->naps && n < EMU_SCAN_MAX; i++) {
		const struct emu_ap *ap = &w->aps[i];
		char mac[13];
		int k;
		if (!ap_visible(e, ap))
			continue;
		k = snprintf(buf + len, cap - len, "%s%s,%u,%u,%u,\"%s\",%u", n > 0 ? "\r\n" : "",
		    emu_fmt_mac(e, ap->bssid, 1, mac), ap->type, ap->channel,
		    scan_encry(e, ap->security), ap->ssid, ap->rssi);
		if (k < 0 || (size_t)k >= cap - len)
			break;
		len += (size_t)k;
		n++;
	}
	/* The manual ends the list with one empty line; the firmware's entries
	 * each end with CR LF before its CR LF CR LF (list-extra-crlf). */
	if (n > 0 && emu_dev(e, "list-extra-crlf") && len + 2 < cap) {
		memcpy(buf + len, "\r\n", 2);
		len += 2;
	}
	emu_reply_raw(e, buf, len, NULL);
	atp_free(buf);
	emu_cmd_done(e);
}

static int
cmd_wscan(struct emu *e, const struct atp_cmdline *cl)
{
	(void)cl;
	/* The firmware waits 5 s at most for the scan (firmware §11). */
	if (e->world->scan_us > WSCAN_WAIT_US)
		e->cmd_timer = emu_timer_add(e->loop, WSCAN_WAIT_US, scan_timeout, e);
	else
		e->cmd_timer = emu_timer_add(e->loop, e->world->scan_us, scan_done, e);
	if (e->cmd_timer == 0)
		return -6;
	return EMU_PENDING;
}

/* AT+WLEAV leaves the station's network; AT+WLEAV=2 stops the SoftAP
 * (§3.6; firmware §2: anything else leaves STA). */
static int
cmd_wleav(struct emu *e, const struct atp_cmdline *cl)
{
	struct atp_match m;

	if (cl->form != ATP_FORM_BARE) {
		if (emu_args(e, cl, &m) < 0 || m.nbad != 0)
			return -4;
		if (emu_arg_num(&m, "type") == 2) {
			link_down(e, &e->ap);
			emu_reply_ok(e);
			return 0;
		}
	}
	link_down(e, &e->sta);
	emu_reply_ok(e);
	return 0;
}

/* +OK=0, or +OK=1,"ip","mask","gw","dns1","dns2" (quoted, as every
 * example; firmware §4). */
static void
reply_link(struct emu *e, const struct emu_link *l)
{
	char a[16], b[16], c[16], d[16], f[16];

	if (!l->up) {
		emu_reply_okf(e, "0");
		return;
	}
	emu_reply_okf(e, "1,\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"", emu_fmt_ip(l->ip, a),
	    emu_fmt_ip(l->mask, b), emu_fmt_ip(l->gw, c), emu_fmt_ip(l->dns1, d),
	    emu_fmt_ip(l->dns2, f));
}

static int
cmd_lkstt(struct emu *e, const struct atp_cmdline *cl)
{
	(void)cl;
	reply_link(e, &e->sta);
	return 0;
}

static int
cmd_aplkstt(struct emu *e, const struct atp_cmdline *cl)
{
	(void)cl;
	reply_link(e, &e->ap);
	return 0;
}

/* AT+SLIST (§2.2.3.9): the world's stations that have joined the SoftAP,
 * MACs as XX-XX-XX-XX-XX-XX. LUAT prints "+OK=%hhu,%s" over a list that
 * starts with a comma: the double comma (slist-double-comma). */
static int
cmd_slist(struct emu *e, const struct atp_cmdline *cl)
{
	const struct emu_world *w = e->world;
	int dbl = emu_dev(e, "slist-double-comma");
	char buf[64 * 40], mac[13];
	size_t i, n = 0, len = 0;
	uint64_t up_for;

	(void)cl;
	up_for = e->ap.up ? emu_loop_now(e->loop) - e->ap.since_us : 0;
	for (i = 0; e->ap.up && i < w->nstations && n < 32; i++) {
		const struct emu_station *s = &w->stations[i];
		char ip[16];
		int k;
		if (s->after_us > up_for)
			continue;
		emu_fmt_mac(e, s->mac, 1, mac);
		k = snprintf(buf + len, sizeof(buf) - len, ",%.2s-%.2s-%.2s-%.2s-%.2s-%.2s,%s",
		    mac, mac + 2, mac + 4, mac + 6, mac + 8, mac + 10, emu_fmt_ip(s->ip, ip));
		if (k < 0 || (size_t)k >= sizeof(buf) - len)
			break;
		len += (size_t)k;
		n++;
	}
	buf[len] = '\0';
	if (dbl)
		emu_reply_okf(e, "%zu,%s", n, buf);
	else
		emu_reply_okf(e, "%zu%s", n, buf);
	return 0;
}

static void
wps_done(struct emu_loop *loop, void *ctx)
{
	struct emu *e = ctx;
	const struct emu_world *w = e->world;

	(void)loop;
	e->cmd_timer = 0;
	if (!w->wps_ok || w->wps_ap >= w->naps) {
		emu_log_note(e, "WWPS: no registrar answered");
		emu_reply_err(e, -10);
	} else {
		const struct emu_ap *ap = &w->aps[w->wps_ap];
		/* WPS hands over the network's SSID and key (into RAM). */
		snprintf(e->ram.ssid, sizeof(e->ram.ssid), "%s", ap->ssid);
		snprintf(e->ram.key.key, sizeof(e->ram.key.key), "%s", ap->key);
		e->ram.key.format = 1;
		e->ram.key.index = 0;
		e->ram.encry = ap->security;
		sta_up(e, w->wps_ap);
		e->wprt_up = 0;
		emu_reply_ok(e);
	}
	emu_cmd_done(e);
}

/* AT+WWPS (§2.2.3.3): get_pin, set_pin,<pin>, start_pin, start_pbc. */
static int
cmd_wwps(struct emu *e, const struct atp_cmdline *cl)
{
	struct atp_match m;
	const struct atp_capture *mode;

	if (cl->form == ATP_FORM_QUERY || cl->form == ATP_FORM_BARE) {
		emu_reply_okf(e, "%s,%08u", e->wps_mode, e->wps_pin);
		return 0;
	}
	if (emu_args(e, cl, &m) < 0 || m.nbad != 0)
		return -4;
	mode = atp_match_get(&m, "mode");
	if (mode == NULL)
		return -4;
	if (atp_span_eq_ci(mode->value, "set_pin")) {
		if (atp_match_get(&m, "pin") == NULL)
			return -4;
		e->wps_pin = (unsigned)emu_arg_num(&m, "pin");
		snprintf(e->wps_mode, sizeof(e->wps_mode), "set_pin");
		emu_reply_ok(e);
		return 0;
	}
	if (atp_match_get(&m, "pin") != NULL)
		return -4;
	if (atp_span_eq_ci(mode->value, "get_pin")) {
		snprintf(e->wps_mode, sizeof(e->wps_mode), "get_pin");
		emu_reply_okf(e, "%08u", e->wps_pin);
		return 0;
	}
	snprintf(e->wps_mode, sizeof(e->wps_mode), "%s",
	    atp_span_eq_ci(mode->value, "start_pin") ? "start_pin" : "start_pbc");
	link_down(e, &e->sta);
	e->cmd_timer = emu_timer_add(e->loop, e->world->wps_us, wps_done, e);
	if (e->cmd_timer == 0)
		return -6;
	return EMU_PENDING;
}

static void
oneshot_done(struct emu_loop *loop, void *ctx)
{
	struct emu *e = ctx;
	const struct emu_world *w = e->world;
	const struct emu_ap *ap;

	(void)loop;
	e->oneshot_timer = 0;
	e->oneshot_on = 0;
	if (!w->oneshot_ok || w->oneshot_ap >= w->naps) {
		emu_log_note(e, "ONESHOT: no configuration received");
		return;
	}
	ap = &w->aps[w->oneshot_ap];
	emu_log_note(e, "ONESHOT: configuration received for \"%s\"", ap->ssid);
	snprintf(e->custdata, sizeof(e->custdata), "%s", w->custdata);
	snprintf(e->ram.ssid, sizeof(e->ram.ssid), "%s", ap->ssid);
	snprintf(e->ram.key.key, sizeof(e->ram.key.key), "%s", ap->key);
	e->ram.key.format = 1;
	e->ram.key.index = 0;
	e->ram.encry = ap->security;
	if (!e->sta.up) {
		sta_up(e, w->oneshot_ap);
		e->wprt_up = 0;
	}
}

/* AT+ONESHOT=1 (§2.2.3.18): the one-click configuration runs in the
 * background; after the world's delay the network and the user data of
 * the app arrive (then AT+CUSTDATA has them). */
static int
cmd_oneshot(struct emu *e, const struct atp_cmdline *cl)
{
	struct atp_match m;
	uint64_t v;

	if (cl->form == ATP_FORM_QUERY || cl->form == ATP_FORM_BARE) {
		emu_reply_okf(e, "%u", e->ram.oneshot);
		return 0;
	}
	if (emu_args(e, cl, &m) < 0)
		return -4;
	v = emu_arg_num(&m, "status");
	if (m.nbad != 0 && !(v == 2 && emu_dev(e, "oneshot-mode-2")))
		return -4;
	e->ram.oneshot = (unsigned)v;
	if (cl->form == ATP_FORM_FLASH) {
		struct atp_diag d;
		e->flash.oneshot = (unsigned)v;
		if (e->flash_path != NULL && emu_flash_write(e->flash_path, &e->flash, &d) != ATP_OK)
			return -7;
	}
	emu_timer_cancel(e->loop, e->oneshot_timer);
	e->oneshot_timer = 0;
	e->oneshot_on = v != 0;
	if (v != 0)
		e->oneshot_timer = emu_timer_add(e->loop, e->world->oneshot_us, oneshot_done, e);
	emu_reply_ok(e);
	return 0;
}

static int
cmd_custdata(struct emu *e, const struct atp_cmdline *cl)
{
	(void)cl;
	emu_reply_okf(e, "\"%s\"", e->custdata);    /* quoted (firmware §4) */
	return 0;
}

const struct emu_handler emu_wifi_handlers[] = {
	{ "WJOIN", cmd_wjoin },
	{ "WSCAN", cmd_wscan },
	{ "WLEAV", cmd_wleav },
	{ "LKSTT", cmd_lkstt },
	{ "LKSTI", cmd_lkstt },
	{ "APLKSTT", cmd_aplkstt },
	{ "LKSTT2", cmd_aplkstt },
	{ "SLIST", cmd_slist },
	{ "WWPS", cmd_wwps },
	{ "ONESHOT", cmd_oneshot },
	{ "CUSTDATA", cmd_custdata },
	{ NULL, NULL },
};
