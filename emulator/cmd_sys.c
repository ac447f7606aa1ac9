/* SPDX-License-Identifier: MIT */
/* \summary: system commands (§2.2.1) and stored parameters (§2.2.2) */
#include <stdio.h>
#include <string.h>

#include "emulator/emu.h"

/*
 * Parameters have a RAM and a flash copy (w600-firmware.md §7): "=" writes
 * RAM, "=!" writes RAM and then that one field to flash, a query reads RAM
 * (or flash, for the getters of flash-read-getters). Each parameter is a
 * getter that writes the query reply from one copy and a setter that
 * checks the arguments and applies them to one copy; "=!" runs the setter
 * on RAM, then on flash, then writes the flash file.
 */

typedef int param_get_fn(struct emu *e, const struct emu_params *p);
typedef int param_set_fn(struct emu *e, const struct atp_cmdline *cl, struct emu_params *p);

/* Saves the flash copy to the flash file: 0, or -7 (FLASH error, §1.2.2). */
static int
save_flash(struct emu *e)
{
	struct atp_diag d;
	char msg[ATP_DIAG_MSG_MAX + 64];

	if (e->flash_path == NULL)
		return 0;
	atp_diag_clear(&d);
	if (emu_flash_write(e->flash_path, &e->flash, &d) != ATP_OK) {
		emu_log_note(e, "flash write failed: %s", atp_diag_format(&d, msg, sizeof(msg)));
		return -7;
	}
	return 0;
}

static int
flash_getter(const struct emu *e, const struct atp_cmd *cmd)
{
	const struct atp_deviation *dv = atp_deviation_find("flash-read-getters");

	return atp_profile_has(e->prof, dv) && atp_deviation_applies(dv, cmd, ATP_FORM_QUERY);
}

static int
param_cmd(struct emu *e, const struct atp_cmdline *cl, param_get_fn *get, param_set_fn *set)
{
	struct emu_params ram, flash;
	int rc;

	if (cl->form == ATP_FORM_BARE || cl->form == ATP_FORM_QUERY)
		return get(e, flash_getter(e, cl->cmd) ? &e->flash : &e->ram);
	ram = e->ram;
	rc = set(e, cl, &ram);
	if (rc < 0)
		return rc;
	e->ram = ram;
	if (cl->form == ATP_FORM_FLASH) {
		flash = e->flash;
		if (set(e, cl, &flash) >= 0)
			e->flash = flash;
		rc = save_flash(e);
		if (rc < 0)
			return rc;
	}
	emu_reply_ok(e);
	return 0;
}

/* Matches the arguments: 0 when they fit the pattern and every value is
 * in range, -4 otherwise. */
static int
args_ok(struct emu *e, const struct atp_cmdline *cl, struct atp_match *m)
{
	int rc = emu_args(e, cl, m);

	if (rc < 0)
		return rc;
	return m->nbad == 0 ? 0 : -4;
}

static int
has(const struct atp_match *m, const char *name)
{
	return atp_match_get(m, name) != NULL;
}

/* ---- getters and setters ------------------------------------------------ */

#define SIMPLE_UINT(fname, field)                                              \
	static int                                                             \
	get_##fname(struct emu *e, const struct emu_params *p)                 \
	{                                                                      \
		emu_reply_okf(e, "%u", p->field);                              \
		return 0;                                                      \
	}                                                                      \
	static int                                                             \
	set_##fname(struct emu *e, const struct atp_cmdline *cl, struct emu_params *p) \
	{                                                                      \
		struct atp_match m;                                            \
		const struct atp_field *f;                                     \
		int rc = args_ok(e, cl, &m);                                   \
		if (rc < 0)                                                    \
			return rc;                                             \
		f = atp_shape_field(atp_cmd_args_shape(cl->cmd), 0);          \
		p->field = (unsigned)emu_arg_num(&m, f->name);                 \
		return 0;                                                      \
	}

SIMPLE_UINT(wprt, wprt)
SIMPLE_UINT(atm, atm)
SIMPLE_UINT(watc, watc)
SIMPLE_UINT(wpsm, wpsm)
SIMPLE_UINT(brdssid, brdssid)
SIMPLE_UINT(portm, portm)
SIMPLE_UINT(atpt, atpt)

static struct emu_nip *
nip_of(const struct atp_cmdline *cl, struct emu_params *p)
{
	return strcmp(cl->cmd->name, "APNIP") == 0 ? &p->apnip : &p->nip;
}

static int
get_nip(struct emu *e, const struct emu_params *p)
{
	const struct emu_nip *n = strcmp(e->cl.cmd->name, "APNIP") == 0 ? &p->apnip : &p->nip;
	char a[16], b[16], c[16], d[16];

	/* The configured values, unquoted, not the lease (§2.2.2.2 note). */
	emu_reply_okf(e, "%u,%s,%s,%s,%s", n->type, emu_fmt_ip(n->ip, a), emu_fmt_ip(n->mask, b),
	    emu_fmt_ip(n->gw, c), emu_fmt_ip(n->dns, d));
	return 0;
}

/* NIP=0 (DHCP) or NIP=1,ip,mask,gw,dns (firmware §3: 1 or 5 arguments). */
static int
set_nip(struct emu *e, const struct atp_cmdline *cl, struct emu_params *p)
{
	struct emu_nip *n = nip_of(cl, p);
	struct atp_match m;
	unsigned type;
	int rc = args_ok(e, cl, &m);

	if (rc < 0)
		return rc;
	type = (unsigned)emu_arg_num(&m, "type");
	if (cl->nargs == 1) {
		if (type != 0)
			return -4;
		n->type = 0;
		return 0;
	}
	if (cl->nargs != 5 || type != 1)
		return -4;
	if (emu_arg_ip(&m, "ip", &n->ip) || emu_arg_ip(&m, "netmask", &n->mask) ||
	    emu_arg_ip(&m, "gateway", &n->gw) || emu_arg_ip(&m, "dns", &n->dns))
		return -4;
	n->type = 1;
	return 0;
}

static int
nip_cmd(struct emu *e, const struct atp_cmdline *cl)
{
	int rc = param_cmd(e, cl, get_nip, set_nip);

	if (rc == 0 && cl->form != ATP_FORM_QUERY && cl->form != ATP_FORM_BARE) {
		/* A static address applies at once to a live link (the
		 * firmware calls tls_dhcp_start or sets the netif). */
		int ap = strcmp(cl->cmd->name, "APNIP") == 0;
		const struct emu_nip *n = ap ? &e->ram.apnip : &e->ram.nip;
		struct emu_link *l = ap ? &e->ap : &e->sta;
		if (l->up && n->type == 1) {
			l->ip = n->ip;
			l->mask = n->mask;
			l->gw = n->gw;
			l->dns1 = n->dns;
		}
	}
	return rc;
}

static int
get_dns(struct emu *e, const struct emu_params *p)
{
	emu_reply_okf(e, "\"%s\"", p->dns);    /* quoted (firmware §4, manual) */
	return 0;
}

static int
set_string(struct emu *e, const struct atp_cmdline *cl, char *dst, size_t size)
{
	struct atp_match m;
	const struct atp_field *f;
	char buf[EMU_HOST_MAX + 1];
	long n;
	int rc = args_ok(e, cl, &m);

	if (rc < 0)
		return rc;
	f = atp_shape_field(atp_cmd_args_shape(cl->cmd), 0);
	n = emu_arg_str(&m, f->name, buf, sizeof(buf));
	if (n < 0 || (size_t)n >= size)
		return -4;
	memcpy(dst, buf, (size_t)n + 1);
	return 0;
}

static int
set_dns(struct emu *e, const struct atp_cmdline *cl, struct emu_params *p)
{
	return set_string(e, cl, p->dns, sizeof(p->dns));
}

static int
get_atrm(struct emu *e, const struct emu_params *p)
{
	/* Firmware §4: the host quoted for a client, the timeout bare for a
	 * server; both fit the manual's Host field. */
	if (p->atrm.cs == 0)
		emu_reply_okf(e, "%u,%u,\"%s\",%u", p->atrm.proto, p->atrm.cs, p->atrm.host,
		    p->atrm.port);
	else
		emu_reply_okf(e, "%u,%u,%s,%u", p->atrm.proto, p->atrm.cs, p->atrm.host,
		    p->atrm.port);
	return 0;
}

static int
set_atrm(struct emu *e, const struct atp_cmdline *cl, struct emu_params *p)
{
	struct atp_match m;
	char host[EMU_HOST_MAX + 1];
	long n;
	int rc = args_ok(e, cl, &m);

	if (rc < 0)
		return rc;
	n = emu_arg_str(&m, "host_timeout", host, sizeof(host));
	if (n < 0 || (size_t)n >= sizeof(p->atrm.host))
		return -4;
	p->atrm.proto = (unsigned)emu_arg_num(&m, "protocol");
	p->atrm.cs = (unsigned)emu_arg_num(&m, "cs");
	if (p->atrm.cs == 1 && p->atrm.proto == 0) {
		/* A TCP server's field is a timeout, 0..10000000 s (§2.2.2.6). */
		uint64_t t;
		if (atp_span_dec(atp_span_str(host), &t, 10000000) != ATP_OK)
			return -4;
	}
	memcpy(p->atrm.host, host, (size_t)n + 1);
	p->atrm.port = (unsigned)emu_arg_num(&m, "port");
	return 0;
}

static int
get_ssid(struct emu *e, const struct emu_params *p)
{
	const char *s = strcmp(e->cl.cmd->name, "SSID") == 0 ? p->ssid : p->apssid;

	emu_reply_okf(e, "%s", s);    /* unquoted; empty gives "+OK=" (firmware §4) */
	return 0;
}

static int
set_ssid(struct emu *e, const struct atp_cmdline *cl, struct emu_params *p)
{
	if (strcmp(cl->cmd->name, "SSID") == 0)
		return set_string(e, cl, p->ssid, sizeof(p->ssid));
	return set_string(e, cl, p->apssid, sizeof(p->apssid));
}

static int
get_encry(struct emu *e, const struct emu_params *p)
{
	emu_reply_okf(e, "%u", strcmp(e->cl.cmd->name, "ENCRY") == 0 ? p->encry : p->apencry);
	return 0;
}

static int
set_encry(struct emu *e, const struct atp_cmdline *cl, struct emu_params *p)
{
	struct atp_match m;
	uint64_t v;
	int rc = emu_args(e, cl, &m);

	if (rc < 0)
		return rc;
	v = emu_arg_num(&m, "encry_mode");
	/* Modes 7 and 8 (WPA/WPA2 auto) exist in the firmware (§3). */
	if (m.nbad != 0 && !(emu_dev(e, "encry-range-0-8") && v <= 8))
		return -4;
	if (strcmp(cl->cmd->name, "ENCRY") == 0)
		p->encry = (unsigned)v;
	else
		p->apencry = (unsigned)v;
	return 0;
}

static int
get_key(struct emu *e, const struct emu_params *p)
{
	const struct emu_key *k = strcmp(e->cl.cmd->name, "KEY") == 0 ? &p->key : &p->apkey;

	emu_reply_okf(e, "%u,%u,%s", k->format, k->index, k->key);
	return 0;
}

static int
all_hex(const char *s)
{
	for (; *s != '\0'; s++)
		if (!ATP_ISXDIGIT(*s))
			return 0;
	return 1;
}

/* The key table of §2.2.2.11: length and alphabet by security mode. */
static int
key_fits(unsigned encry, unsigned format, const char *key)
{
	size_t len = strlen(key);

	switch (encry) {
	case 0:
		return 1;
	case 1:
		return format == 0 ? len == 10 && all_hex(key) : len == 5;
	case 2:
		return format == 0 ? len == 26 && all_hex(key) : len == 13;
	default:
		return format == 0 ? len == 64 && all_hex(key) : len >= 8 && len <= 63;
	}
}

static int
set_key(struct emu *e, const struct atp_cmdline *cl, struct emu_params *p)
{
	int sta = strcmp(cl->cmd->name, "KEY") == 0;
	struct emu_key *k = sta ? &p->key : &p->apkey;
	struct emu_key nk;
	struct atp_match m;
	long n;
	int rc = args_ok(e, cl, &m);

	if (rc < 0)
		return rc;
	if (cl->nargs != 3)
		return -4;
	nk.format = (unsigned)emu_arg_num(&m, "format");
	nk.index = (unsigned)emu_arg_num(&m, "index");
	n = emu_arg_str(&m, "key", nk.key, sizeof(nk.key));
	if (n < 0)
		return -4;
	if (!emu_dev(e, "key-unchecked") &&
	    !key_fits(sta ? e->ram.encry : e->ram.apencry, nk.format, nk.key))
		return -4;
	*k = nk;
	return 0;
}

static int
get_bssid(struct emu *e, const struct emu_params *p)
{
	char mac[13];

	if (p->bssid_mode == 0 && emu_dev(e, "query-omits-unused"))
		emu_reply_okf(e, "0");
	else
		emu_reply_okf(e, "%u,%s", p->bssid_mode, emu_fmt_mac(e, p->bssid, 0, mac));
	return 0;
}

static int
set_bssid(struct emu *e, const struct atp_cmdline *cl, struct emu_params *p)
{
	const struct atp_capture *c;
	struct atp_match m;
	unsigned mode;
	size_t i;
	int rc = args_ok(e, cl, &m);

	if (rc < 0)
		return rc;
	mode = (unsigned)emu_arg_num(&m, "mode");
	c = atp_match_get(&m, "bssid");
	if ((mode == 0) != (c == NULL))
		return -4;    /* 0 alone, or 1 with a BSSID (firmware §3) */
	p->bssid_mode = mode;
	if (c != NULL) {
		for (i = 0; i < 6; i++) {
			uint64_t v;
			if (atp_span_hex(atp_span_make(c->value.p + 2 * i, 2), &v, 0xff) != ATP_OK)
				return -4;
			p->bssid[i] = (uint8_t)v;
		}
	}
	return 0;
}

static int
get_chl(struct emu *e, const struct emu_params *p)
{
	int ap = strcmp(e->cl.cmd->name, "APCHL") == 0;
	const struct emu_chl *c = ap ? &p->apchl : &p->chl;

	if (ap && emu_dev(e, "apchl-query-mode1"))
		emu_reply_okf(e, "1,%u", c->channel);
	else if (!ap && c->mode == 0 && emu_dev(e, "query-omits-unused"))
		emu_reply_okf(e, "0");
	else
		emu_reply_okf(e, "%u,%u", c->mode, c->channel);
	return 0;
}

static int
set_chl(struct emu *e, const struct atp_cmdline *cl, struct emu_params *p)
{
	struct emu_chl *c = strcmp(cl->cmd->name, "APCHL") == 0 ? &p->apchl : &p->chl;
	struct atp_match m;
	unsigned mode;
	int rc = args_ok(e, cl, &m);

	if (rc < 0)
		return rc;
	mode = (unsigned)emu_arg_num(&m, "mode");
	if ((mode == 0) != !has(&m, "channel"))
		return -4;
	c->mode = mode;
	if (mode == 1)
		c->channel = (unsigned)emu_arg_num(&m, "channel");
	return 0;
}

static int
get_chll(struct emu *e, const struct emu_params *p)
{
	emu_reply_okf(e, "%04x", p->chll);
	return 0;
}

static int
set_chll(struct emu *e, const struct atp_cmdline *cl, struct emu_params *p)
{
	struct atp_match m;
	int rc = args_ok(e, cl, &m);

	if (rc < 0)
		return rc;
	p->chll = (unsigned)emu_arg_num(&m, "channel_list");
	return 0;
}

static int
get_uart(struct emu *e, const struct emu_params *p)
{
	if (emu_dev(e, "uart-query-flow"))
		emu_reply_okf(e, "%u,%u,%u,%u,%u", p->uart.baud, p->uart.databit, p->uart.stopbit,
		    p->uart.parity, p->uart.flow);
	else
		emu_reply_okf(e, "%u,%u,%u,%u", p->uart.baud, p->uart.databit, p->uart.stopbit,
		    p->uart.parity);
	return 0;
}

/* The rates of the firmware's table (wm_uart.c:36). */
static int
fw_rate(uint64_t b)
{
	static const unsigned rates[] = {
		2000000, 1500000, 1250000, 1000000, 921600, 460800, 230400, 115200, 57600,
		38400, 19200, 9600, 4800, 2400, 1800, 1200, 600,
	};
	size_t i;

	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (b == rates[i])
			return 1;
	return 0;
}

static int
set_uart(struct emu *e, const struct atp_cmdline *cl, struct emu_params *p)
{
	/* Every invalid value is -3 in the firmware (§3: uart_proc maps
	 * tls_cmd_set_uart_params' failure to CMD_ERR_OPS). */
	int bad = emu_dev(e, "uart-err3") ? -3 : -4;
	struct atp_match m;
	uint64_t baud;
	size_t i;

	if (emu_args(e, cl, &m) < 0 || (cl->nargs != 4 && cl->nargs != 5))
		return bad;
	baud = emu_arg_num(&m, "baudrate");
	for (i = 0; i < m.ncap; i++) {
		if (m.cap[i].in_range)
			continue;
		if (strcmp(m.cap[i].field->name, "baudrate") == 0 && emu_dev(e, "uart-more-rates") &&
		    fw_rate(baud))
			continue;
		return bad;
	}
	p->uart.baud = (unsigned)baud;
	p->uart.databit = (unsigned)emu_arg_num(&m, "databit");
	p->uart.stopbit = (unsigned)emu_arg_num(&m, "stopbit");
	p->uart.parity = (unsigned)emu_arg_num(&m, "parity");
	p->uart.flow = (unsigned)emu_arg_num(&m, "flowcontrol");
	return 0;
}

static int
get_webs(struct emu *e, const struct emu_params *p)
{
	if (p->webs == 0 && emu_dev(e, "query-omits-unused"))
		emu_reply_okf(e, "0");
	else
		emu_reply_okf(e, "%u,%u", p->webs, p->webs_port);
	return 0;
}

static int
set_webs(struct emu *e, const struct atp_cmdline *cl, struct emu_params *p)
{
	struct atp_match m;
	int rc = args_ok(e, cl, &m);

	if (rc < 0)
		return rc;
	p->webs = (unsigned)emu_arg_num(&m, "enable");
	p->webs_port = has(&m, "port") ? (unsigned)emu_arg_num(&m, "port") : 80;
	return 0;
}

static int
get_dname(struct emu *e, const struct emu_params *p)
{
	if (emu_dev(e, "dname-stub"))
		emu_reply_ok(e);    /* a stub (firmware §4, §16.10) */
	else
		emu_reply_okf(e, "%s", p->dname);
	return 0;
}

static int
set_dname(struct emu *e, const struct atp_cmdline *cl, struct emu_params *p)
{
	if (emu_dev(e, "dname-stub"))
		return -4;
	return set_string(e, cl, p->dname, sizeof(p->dname));
}

static int
get_pass(struct emu *e, const struct emu_params *p)
{
	emu_reply_okf(e, "\"%s\"", p->pass);    /* quoted (firmware §4) */
	return 0;
}

static int
set_pass(struct emu *e, const struct atp_cmdline *cl, struct emu_params *p)
{
	return set_string(e, cl, p->pass, sizeof(p->pass));
}

#define PARAM_HANDLER(fname, get, set)                                         \
	static int                                                             \
	cmd_##fname(struct emu *e, const struct atp_cmdline *cl)               \
	{                                                                      \
		return param_cmd(e, cl, get, set);                             \
	}

PARAM_HANDLER(wprt, get_wprt, set_wprt)
PARAM_HANDLER(atm, get_atm, set_atm)
PARAM_HANDLER(watc, get_watc, set_watc)
PARAM_HANDLER(wpsm, get_wpsm, set_wpsm)
PARAM_HANDLER(brdssid, get_brdssid, set_brdssid)
PARAM_HANDLER(portm, get_portm, set_portm)
PARAM_HANDLER(atpt, get_atpt, set_atpt)
PARAM_HANDLER(dns, get_dns, set_dns)
PARAM_HANDLER(atrm, get_atrm, set_atrm)
PARAM_HANDLER(ssid, get_ssid, set_ssid)
PARAM_HANDLER(encry, get_encry, set_encry)
PARAM_HANDLER(key, get_key, set_key)
PARAM_HANDLER(bssid, get_bssid, set_bssid)
PARAM_HANDLER(chl, get_chl, set_chl)
PARAM_HANDLER(chll, get_chll, set_chll)
/*
 * AT+UART also moves the line. The firmware only stores the setting: the
 * UART is set up from flash at boot, so =! followed by AT+Z is the way
 * (w600-firmware.md §3, §16.12: uart-after-restart), and emu_reset()
 * takes flash's rate. The firmware notes are silent on anything else, so
 * the manual's reading stands for the manual profile: "=" saves in memory
 * and takes effect (§2.1; w600-firmware.md §16.5), =! as well and keeps
 * it, so the rate changes at once. Either way the +OK goes out at the old
 * rate: param_cmd() has sent it when the rate moves.
 */
static int
cmd_uart(struct emu *e, const struct atp_cmdline *cl)
{
	int rc = param_cmd(e, cl, get_uart, set_uart);

	if (rc == 0 && (cl->form == ATP_FORM_SET || cl->form == ATP_FORM_FLASH) &&
	    !emu_dev(e, "uart-after-restart") && e->line_baud != e->ram.uart.baud) {
		emu_log_note(e, "UART now at %u baud", e->ram.uart.baud);
		e->line_baud = e->ram.uart.baud;
	}
	return rc;
}
PARAM_HANDLER(webs, get_webs, set_webs)
PARAM_HANDLER(dname, get_dname, set_dname)
PARAM_HANDLER(pass, get_pass, set_pass)

/* SSID2 is read as APSSID (the model's reading of §1.2.1), on the APSSID
 * fields; the name check in get_ssid/set_ssid sends it there. */

/* ---- system commands (§2.2.1) ------------------------------------------ */

static int
cmd_nop(struct emu *e, const struct atp_cmdline *cl)
{
	(void)cl;
	emu_reply_ok(e);
	return 0;
}

static void
z_reset(struct emu_loop *loop, void *ctx)
{
	struct emu *e = ctx;

	(void)loop;
	e->cmd_timer = 0;
	emu_log_note(e, "AT+Z: reset");
	emu_reset(e, 0);
	emu_cmd_done(e);
}

/* AT+Z: +OK, then a reset 100 ms later (HZ/10, firmware §2), with no
 * banner on the AT port (§16.11). */
static int
cmd_z(struct emu *e, const struct atp_cmdline *cl)
{
	(void)cl;
	emu_reply_ok(e);
	e->cmd_timer = emu_timer_add(e->loop, 100000, z_reset, e);
	if (e->cmd_timer == 0) {
		emu_reset(e, 0);
		return 0;
	}
	return EMU_PENDING;
}

static int
cmd_e(struct emu *e, const struct atp_cmdline *cl)
{
	(void)cl;
	if (!e->faults->echo_stuck)
		e->echo = !e->echo;
	emu_reply_ok(e);
	return 0;
}

static void
ents_wake(struct emu_loop *loop, void *ctx)
{
	struct emu *e = ctx;

	(void)loop;
	e->cmd_timer = 0;
	emu_log_note(e, "ENTS: timer wake-up, the module resets");
	emu_reset(e, 0);
}

/* AT+ENTS (§2.2.1.5): Wi-Fi off drops the links; standby and sleep also
 * stop the module until it wakes, and waking resets it (attention 2). */
static int
cmd_ents(struct emu *e, const struct atp_cmdline *cl)
{
	struct atp_match m;
	unsigned type, wake;
	int rc = args_ok(e, cl, &m);

	if (rc < 0)
		return rc;
	type = (unsigned)emu_arg_num(&m, "ps_type");
	wake = (unsigned)emu_arg_num(&m, "wake_type");
	emu_reply_ok(e);
	emu_wifi_reset(e);
	emu_net_reset(e);
	if (type == 0)
		return 0;
	/* wake_type 0 is the WAKEUP pin, 1 the timer (§2.2.1.5 table): only a
	 * pin-woken module can be woken by the host (see emu_input). */
	e->sleeping = wake == 1 ? 2 : 1;
	if (wake == 1)
		e->cmd_timer = emu_timer_add(e->loop, emu_arg_num(&m, "wake_time") * 1000u,
		    ents_wake, e);
	return 0;
}

/* AT+RSTF (§2.2.1.6): factory values to flash, effective after a restart;
 * the firmware also loads them into RAM at once (rstf-immediate). */
static int
cmd_rstf(struct emu *e, const struct atp_cmdline *cl)
{
	int rc;

	(void)cl;
	emu_params_factory(&e->flash, e->prof);
	if (emu_dev(e, "rstf-immediate"))
		e->ram = e->flash;
	rc = save_flash(e);
	if (rc < 0)
		return emu_dev(e, "flash-fail-err3") ? -3 : rc;
	emu_reply_ok(e);
	return 0;
}

/* AT+PMTF (§2.2.1.7). A failed write is -7 in the manual; the firmware maps
 * the failure of its proc to -3 (flash-fail-err3, firmware §5). */
static int
cmd_pmtf(struct emu *e, const struct atp_cmdline *cl)
{
	int rc;

	(void)cl;
	e->flash = e->ram;
	rc = save_flash(e);
	if (rc < 0)
		return emu_dev(e, "flash-fail-err3") ? -3 : rc;
	emu_reply_ok(e);
	return 0;
}

static int
cmd_qmac(struct emu *e, const struct atp_cmdline *cl)
{
	char mac[13];
	int ap = strcmp(cl->cmd->name, "QMAC") != 0;    /* APMAC, QMAC2 */

	/* Lower case, no separators (firmware §4). */
	emu_reply_okf(e, "%s", emu_fmt_mac(e, ap ? e->apmac : e->mac, 0, mac));
	return 0;
}

static int
cmd_qver(struct emu *e, const struct atp_cmdline *cl)
{
	(void)cl;
	emu_reply_okf(e, "%s", e->prof->version);
	return 0;
}

static int
cmd_cntparam(struct emu *e, const struct atp_cmdline *cl)
{
	const struct emu_params *p = &e->ram;
	char mac[13];

	(void)cl;
	/* Three fields, as the text says (cmd_table.def note). */
	if (p->bssid_mode == 1)
		emu_reply_okf(e, "1,%s,%s", emu_fmt_mac(e, p->bssid, 0, mac), p->key.key);
	else
		emu_reply_okf(e, "0,%s,%s", p->ssid, p->key.key);
	return 0;
}

const struct emu_handler emu_sys_handlers[] = {
	{ "", cmd_nop },
	{ "Z", cmd_z },
	{ "E", cmd_e },
	{ "ENTS", cmd_ents },
	{ "RSTF", cmd_rstf },
	{ "PMTF", cmd_pmtf },
	{ "QMAC", cmd_qmac },
	{ "APMAC", cmd_qmac },
	{ "QMAC2", cmd_qmac },
	{ "QVER", cmd_qver },
	{ "WPRT", cmd_wprt },
	{ "NIP", nip_cmd },
	{ "APNIP", nip_cmd },
	{ "DNS", cmd_dns },
	{ "ATM", cmd_atm },
	{ "ATRM", cmd_atrm },
	{ "SSID", cmd_ssid },
	{ "APSSID", cmd_ssid },
	{ "SSID2", cmd_ssid },
	{ "ENCRY", cmd_encry },
	{ "APENCRY", cmd_encry },
	{ "KEY", cmd_key },
	{ "APKEY", cmd_key },
	{ "BSSID", cmd_bssid },
	{ "CHL", cmd_chl },
	{ "APCHL", cmd_chl },
	{ "CHLL", cmd_chll },
	{ "WATC", cmd_watc },
	{ "WPSM", cmd_wpsm },
	{ "BRDSSID", cmd_brdssid },
	{ "UART", cmd_uart },
	{ "WEBS", cmd_webs },
	{ "DNAME", cmd_dname },
	{ "PASS", cmd_pass },
	{ "CNTPARAM", cmd_cntparam },
	{ "PORTM", cmd_portm },
	{ "ATPT", cmd_atpt },
	{ NULL, NULL },
};
