/* SPDX-License-Identifier: MIT */
/* \summary: socket commands (§2.2.3.10-17, SKGHBN), ENTM and automatic mode */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "emulator/net_int.h"

/*
 * The socket commands of §2.2.3.10-17 and SKGHBN (§2.2.3.2), transparent
 * mode (§2.2.1.4) and automatic mode (§2.2.2.5-6, §3.10), following the
 * manual and, where the module's profile has them, the firmware's
 * catalogued deviations (core/profile.c): sksnd-no-timeout,
 * sktrpt-cap-511, sktrpt-split, entm-no-precheck, skrptm-query-lf,
 * list-extra-crlf.
 *
 * Where the manual gives no error code, the firmware's is used in every
 * profile (w600-firmware.md §5): -4 for a socket that is not connected or
 * a name that does not resolve, -13 for a connection that fails, -3 for
 * SKCLS on a socket that is not open.
 */

#define SKSND_FW_MAX 512          /* firmware §8.1: the size is clamped */
#define SKRCV_FW_MAX 1024         /* firmware §8.2 */
#define SKSND_TIMEOUT_US 1000000u /* §2.2.3.11: "after waiting for the timeout (1s)" */
#define SERVER_IDLE_DEFAULT 120u  /* §2.2.3.10: "the default is 120 seconds" */

static const struct atp_capture *
field(const struct atp_match *m, const char *name)
{
	return atp_match_get(m, name);
}

/* A numeric field that parsed and is in its range. */
static int
num_ok(const struct atp_match *m, const char *name, uint64_t *v)
{
	const struct atp_capture *c = field(m, name);

	if (c == NULL || !c->has_num || !c->in_range || c->num < 0)
		return 0;
	*v = (uint64_t)c->num;
	return 1;
}

/* A numeric field that parsed, whatever its range (the firmware clamps). */
static int
num_any(const struct atp_match *m, const char *name, uint64_t *v)
{
	const struct atp_capture *c = field(m, name);

	if (c == NULL || !c->has_num || c->num < 0)
		return 0;
	*v = (uint64_t)c->num;
	return 1;
}

/* ---- SKCT (§2.2.3.10) ----------------------------------------------- */

#define SKCT_HOST_MAX 32          /* firmware §3 */

/* Argument @i as a decimal <= @max, as the firmware's string_to_uint()
 * reads it: digits only, no quotes (firmware §3). The range is checked
 * here again: atp_span_dec() lets a first digit above a maximum under 9
 * through. */
static int
arg_dec(const struct atp_cmdline *cl, size_t i, uint64_t max, uint64_t *v)
{
	if (i >= cl->nargs || atp_span_dec(cl->args[i].raw, v, max) != ATP_OK || *v > max)
		return -1;
	return 0;
}

static void
skct_done(struct emu_net_sock *s, int ok)
{
	struct emu *e = s->net->e;

	s->pending = 0;
	if (ok)
		emu_reply_okf(e, "%d", s->num);
	else
		emu_reply_err(e, -13);
	emu_cmd_done(e);
}

/*
 * AT+SKCT=<protocol>,<cs>,<host_timeout>,<remote_port>[,<local_port>]:
 * a client connects (blocking until it is connected or has failed, §6),
 * a server listens and answers at once. In the five-argument form a TCP
 * server's non-zero local port replaces the listen port, and the other
 * kinds need both ports (firmware §3).
 */
int
emu_net_cmd_skct(struct emu *e, const struct atp_cmdline *cl)
{
	struct emu_net *n = e->net;
	char host[EMU_HOST_MAX + 1];
	uint64_t proto, cs, port, lport = 0, idle = SERVER_IDLE_DEFAULT;
	uint32_t ip = 0;
	uint16_t listen = 0;
	struct emu_net_sock *s;
	long hl;
	int five = cl->nargs == 5, rc;

	/* Read from the split arguments rather than the table's pattern: a
	 * server's host field may be empty (firmware §3), which the pattern's
	 * Host type does not take. */
	if ((cl->nargs != 4 && !five) || arg_dec(cl, 0, 1, &proto) != 0 ||
	    arg_dec(cl, 1, 1, &cs) != 0 || arg_dec(cl, 3, 65535, &port) != 0 ||
	    (five && arg_dec(cl, 4, 65535, &lport) != 0))
		return -4;
	hl = atp_unescape(cl->args[2].value, host, sizeof(host));
	if (hl < 0 || hl > SKCT_HOST_MAX || memchr(host, 0, (size_t)hl) != NULL)
		return -4;
	if (cs == 0 || proto == 1) {
		if (port == 0 || (five && lport == 0) || (cs == 0 && hl == 0))
			return -4;
		listen = (uint16_t)(five ? lport : port);
	} else {
		if (hl > 0 && atp_span_dec(atp_span_str(host), &idle, 10000000) != ATP_OK)
			return -4;
		listen = (uint16_t)(five && lport != 0 ? lport : port);
		if (listen == 0)
			return -4;
	}
	/* §3.9 note: the module must have joined a network first. */
	if (!emu_net_link_up(e)) {
		emu_log_note(e, "SKCT: no network (join one with WJOIN first)");
		return -13;
	}
	/* Leading spaces pass: the firmware reads the address with sscanf's
	 * %u, and §2.2.1.4's example writes "AT+SKCT=0,0, 36.7.87.76,...". */
	if (cs == 0 && emu_net_resolve(e, host + strspn(host, " "), &ip) != 0)
		return -4;
	s = emu_net_sock_alloc(n);
	if (s == NULL) {
		emu_log_note(e, "SKCT: all %d sockets are in use", EMU_NET_SOCKETS);
		return -11;
	}
	rc = emu_net_sock_open(n, s, (unsigned)proto, (unsigned)cs, ip, (uint16_t)port, listen,
	    idle, skct_done);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		emu_reply_okf(e, "%d", s->num);
		return 0;
	}
	s->pending = 1;
	return EMU_PENDING;
}

/* ---- SKSND (§2.2.3.11) ---------------------------------------------- */

static void
sksnd_data(struct emu *e, const uint8_t *p, size_t len, int timed_out, void *ctx)
{
	struct emu_net_sock *s = emu_net_sock_get(e->net, (long)(intptr_t)ctx);

	if (timed_out)
		emu_log_note(e, "SKSND: 1 s timeout, %zu bytes go", len);
	/* §2.2.3.11: "The excess data will be discarded". The firmware
	 * parses what follows the payload as commands (firmware §8.1). */
	if (!emu_dev(e, "sksnd-excess-parsed") && e->inlen > 0) {
		emu_log_note(e, "SKSND: %zu bytes after the payload discarded", e->inlen);
		emu_input_discard(e);
	}
	if (s == NULL || !emu_net_sock_can_send(s)) {
		emu_log_note(e, "SKSND: the socket closed meanwhile: %zu bytes dropped", len);
		return;
	}
	/* Fault sksnd-drop: acknowledged, one byte short on the wire (what
	 * the analyzer's --net correlation must name). */
	if (e->faults->sksnd_drop && len > 0) {
		len--;
		emu_log_note(e, "fault sksnd-drop: %zu bytes sent of %zu", len, len + 1);
	}
	emu_net_sock_send(s, p, len);
}

/*
 * AT+SKSND=<socket>,<size>: +OK=<actualsize>, then that many raw bytes
 * from the host, whatever they hold (text that looks like a command
 * included). The manual allows the whole size and ends the phase after
 * 1 s, and discards what follows the payload; the firmware clamps the
 * size to 512, waits for every byte (sksnd-no-timeout) and reads what
 * follows as commands (firmware §8.1): deviations sksnd-clamp-512 and
 * sksnd-excess-parsed. The socket becomes the default socket as with SKSDF (§8.1).
 */
int
emu_net_cmd_sksnd(struct emu *e, const struct atp_cmdline *cl)
{
	struct emu_net *n = e->net;
	struct atp_match m;
	uint64_t num, size;
	struct emu_net_sock *s;
	uint64_t timeout;
	int rc;

	if (emu_args(e, cl, &m) < 0 || !num_ok(&m, "socket", &num) || !num_any(&m, "size", &size) ||
	    size == 0)
		return -4;
	if (emu_dev(e, "sksnd-clamp-512")) {
		if (size > SKSND_FW_MAX)
			size = SKSND_FW_MAX;
	} else if (size > EMU_COUNTED_MAX || !field(&m, "size")->in_range) {
		return -4;
	}
	s = emu_net_sock_get(n, (long)num);
	if (!emu_net_sock_can_send(s)) {
		emu_log_note(e, "SKSND: socket %llu is not connected", (unsigned long long)num);
		return -4;
	}
	n->def_sock = s->num;
	timeout = emu_dev(e, "sksnd-no-timeout") ? 0 : SKSND_TIMEOUT_US;
	emu_reply_okf(e, "%llu", (unsigned long long)size);
	rc = emu_set_mode(e, EMU_MODE_COUNTED, (size_t)size, timeout, sksnd_data,
	    (void *)(intptr_t)s->num);
	if (rc != ATP_OK)
		emu_log_note(e, "SKSND: no data phase: %s", atp_strerror(rc));
	return 0;
}

/* ---- SKRCV (§2.2.3.12) ---------------------------------------------- */

/*
 * AT+SKRCV=<socket>,<maxsize>: +OK=<n>, the terminator, then n raw bytes
 * and nothing after them (firmware §8.2). The firmware clamps maxsize to
 * 1024; the cache holds 511 bytes at most anyway.
 */
int
emu_net_cmd_skrcv(struct emu *e, const struct atp_cmdline *cl)
{
	struct atp_match m;
	uint64_t num, max;
	struct emu_net_sock *s;
	uint8_t buf[EMU_NET_RX_KEEP];
	char hdr[32];
	size_t k, out;
	int len;

	if (emu_args(e, cl, &m) < 0 || !num_ok(&m, "socket", &num) ||
	    !num_any(&m, "maxsize", &max) || max == 0)
		return -4;
	if (!emu_dev(e, "skrcv-clamp-1024") && !field(&m, "maxsize")->in_range)
		return -4;
	if (emu_dev(e, "skrcv-clamp-1024") && max > SKRCV_FW_MAX)
		max = SKRCV_FW_MAX;
	s = emu_net_sock_get(e->net, (long)num);
	if (s == NULL || !(s->state == EMU_NET_CONNECTED ||
	    (s->state == EMU_NET_CLOSED && s->rxlen > 0))) {
		emu_log_note(e, "SKRCV: socket %llu is not connected", (unsigned long long)num);
		return -4;
	}
	k = emu_net_sock_take(s, buf, max < sizeof(buf) ? (size_t)max : sizeof(buf));
	len = snprintf(hdr, sizeof(hdr), "+OK=%zu", k);
	emu_reply_raw(e, hdr, (size_t)len, NULL);
	out = k;
	if (e->faults->skrcv_short && out > 0) {
		out--;
		emu_log_note(e, "fault skrcv-short: %zu bytes announced, %zu sent", k, out);
	}
	if (out > 0)
		emu_out(e, buf, out);
	emu_net_sock_reap(s);
	return 0;
}

/* ---- SKSTT (§2.2.3.13) ---------------------------------------------- */

static unsigned
status_of(const struct emu_net_sock *s)
{
	switch (s->state) {
	case EMU_NET_LISTENING:
		return 1;
	case EMU_NET_CONNECTED:
		return 2;
	case EMU_NET_FREE:
	case EMU_NET_CONNECTING:
	case EMU_NET_CLOSED:
	default:
		return 0;
	}
}

static size_t
stt_entry(const struct emu_net_sock *s, char *buf, size_t size)
{
	char ip[16];
	int quiet = s->state == EMU_NET_LISTENING || s->state == EMU_NET_FREE;
	uint32_t rip = quiet ? 0 : s->rip;
	unsigned rport = quiet ? 0u : s->rport;
	int k;

	k = snprintf(buf, size, "%d,%u,\"%s\",%u,%u,%zu", s->num, status_of(s), emu_fmt_ip(rip, ip),
	    rport, s->state == EMU_NET_FREE ? 0u : (unsigned)s->lport, s->rxlen);
	return k < 0 || (size_t)k >= size ? 0 : (size_t)k;
}

/*
 * AT+SKSTT=<socket>: the socket's line, then for a TCP server one line per
 * client (§2.2.3.13). The manual ends the list with one empty line; the
 * firmware ends every entry with CR LF before its CR LF CR LF
 * (list-extra-crlf, firmware §4).
 */
int
emu_net_cmd_skstt(struct emu *e, const struct atp_cmdline *cl)
{
	struct emu_net *n = e->net;
	struct atp_match m;
	uint64_t num;
	struct emu_net_sock *s;
	char buf[8 + (EMU_NET_SOCKETS + 1) * 64];
	size_t len = 4, i, k;
	int extra = emu_dev(e, "list-extra-crlf");

	if (emu_args(e, cl, &m) < 0 || !num_ok(&m, "socket", &num))
		return -4;
	s = emu_net_sock_get(n, (long)num);
	if (s == NULL)
		return -4;
	memcpy(buf, "+OK=", 4);
	len += stt_entry(s, buf + len, sizeof(buf) - len);
	if (extra) {
		memcpy(buf + len, "\r\n", 2);
		len += 2;
	}
	if (s->proto == 0 && s->cs == 1 && s->parent == 0 && s->state == EMU_NET_LISTENING) {
		for (i = 0; i < EMU_NET_SOCKETS; i++) {
			const struct emu_net_sock *c = &n->socks[i];
			if (c->state == EMU_NET_FREE || c->parent != s->num)
				continue;
			if (!extra) {
				memcpy(buf + len, "\r\n", 2);
				len += 2;
			}
			k = stt_entry(c, buf + len, sizeof(buf) - len - 2);
			len += k;
			if (extra) {
				memcpy(buf + len, "\r\n", 2);
				len += 2;
			}
		}
	}
	emu_reply_raw(e, buf, len, NULL);
	return 0;
}

/* ---- SKCLS, SKSDF, SKSRCIP, SKRPTM ----------------------------------- */

int
emu_net_cmd_skcls(struct emu *e, const struct atp_cmdline *cl)
{
	struct emu_net *n = e->net;
	struct atp_match m;
	uint64_t num;
	struct emu_net_sock *s;

	if (emu_args(e, cl, &m) < 0 || !num_ok(&m, "socket", &num))
		return -4;
	s = emu_net_sock_get(n, (long)num);
	if (s == NULL || s->state == EMU_NET_FREE) {
		/* tls_socket_close() fails, mapped to -3 (firmware §5). */
		emu_log_note(e, "SKCLS: socket %llu is not open", (unsigned long long)num);
		return -3;
	}
	if (s->num == n->auto_sock)
		n->auto_sock = 0;
	emu_net_sock_close(s, "SKCLS");
	emu_reply_ok(e);
	return 0;
}

int
emu_net_cmd_sksdf(struct emu *e, const struct atp_cmdline *cl)
{
	struct atp_match m;
	uint64_t num;

	if (emu_args(e, cl, &m) < 0 || !num_ok(&m, "socket", &num))
		return -4;
	e->net->def_sock = (int)num;
	emu_reply_ok(e);
	return 0;
}

/* AT+SKSRCIP=?: the source of the last data received, unquoted; the
 * firmware clears it once read (firmware §4). */
int
emu_net_cmd_sksrcip(struct emu *e, const struct atp_cmdline *cl)
{
	char ip[16];

	(void)cl;
	emu_reply_okf(e, "%s", emu_fmt_ip(e->net->last_src, ip));
	e->net->last_src = 0;
	return 0;
}

/* AT+SKRPTM=<mode> and AT+SKRPTM=?; the value lives in RAM only and is 0
 * after boot (firmware §8.3). */
int
emu_net_cmd_skrptm(struct emu *e, const struct atp_cmdline *cl)
{
	struct atp_match m;
	uint64_t mode;
	char body[16];
	int len;

	if (cl->form == ATP_FORM_QUERY) {
		if (emu_dev(e, "skrptm-query-lf")) {
			len = snprintf(body, sizeof(body), "+OK=%u\n", e->net->rptmode);
			emu_reply_raw(e, body, (size_t)len, NULL);
		} else {
			emu_reply_okf(e, "%u", e->net->rptmode);
		}
		return 0;
	}
	if (emu_args(e, cl, &m) < 0 || !num_ok(&m, "mode", &mode))
		return -4;
	e->net->rptmode = (unsigned)mode;
	emu_reply_ok(e);
	return 0;
}

/* ---- SKGHBN (§2.2.3.2) ---------------------------------------------- */

static void
ghbn_done(struct emu_loop *loop, void *ctx)
{
	struct emu *e = ctx;
	char ip[16];

	(void)loop;
	e->net->cmd_timer = 0;
	emu_reply_okf(e, "\"%s\"", emu_fmt_ip(e->net->ghbn_ip, ip));
	emu_cmd_done(e);
}

/* AT+SKGHBN=<name>: +OK="<ip>" (quoted, as the manual's example) after the
 * world's resolve time; -4 when the name does not resolve (firmware §5). */
int
emu_net_cmd_skghbn(struct emu *e, const struct atp_cmdline *cl)
{
	struct emu_net *n = e->net;
	struct atp_match m;
	char host[EMU_HOST_MAX + 1];
	char ip[16];

	if (emu_args(e, cl, &m) < 0 || m.nbad != 0 ||
	    emu_arg_str(&m, "url", host, sizeof(host)) <= 0)
		return -4;
	if (!emu_net_link_up(e)) {
		emu_log_note(e, "SKGHBN: no network to ask");
		return -4;
	}
	if (emu_net_resolve(e, host, &n->ghbn_ip) != 0)
		return -4;
	emu_log_note(e, "SKGHBN: %s is %s", host, emu_fmt_ip(n->ghbn_ip, ip));
	if (e->world->resolve_us > 0) {
		n->cmd_timer = emu_timer_add(e->loop, e->world->resolve_us, ghbn_done, e);
		if (n->cmd_timer != 0)
			return EMU_PENDING;
	}
	emu_reply_okf(e, "\"%s\"", ip);
	return 0;
}

/* ---- received data ---------------------------------------------------- */

static void
cache_add(struct emu_net_sock *s, const uint8_t *p, size_t len)
{
	size_t lost = 0;

	if (len >= EMU_NET_RX_KEEP) {
		lost = s->rxlen + len - EMU_NET_RX_KEEP;
		memcpy(s->rx, p + len - EMU_NET_RX_KEEP, EMU_NET_RX_KEEP);
		s->rxlen = EMU_NET_RX_KEEP;
	} else {
		if (s->rxlen + len > EMU_NET_RX_KEEP) {
			lost = s->rxlen + len - EMU_NET_RX_KEEP;
			memmove(s->rx, s->rx + lost, s->rxlen - lost);
			s->rxlen -= lost;
		}
		memcpy(s->rx + s->rxlen, p, len);
		s->rxlen += len;
	}
	if (lost > 0)
		emu_log_note(s->net->e, "socket %d: receive cache full: %zu oldest bytes lost",
		    s->num, lost);
}

/*
 * Data from the network. In transparent mode it goes to the UART raw, from
 * every socket (firmware §9). With SKRPTM=1 it comes as
 *     +SKTRPT=<socket>,<len>,<ip>,<port>\r\n\r\n<len bytes>
 * (firmware §8.4): header and data in one write, or in two with
 * sktrpt-split (G3), and with sktrpt-cap-511 (LUAT) a segment over 511
 * bytes announces its length but carries its last 511 bytes. Otherwise it
 * waits in the socket's cache for SKRCV.
 */
void
emu_net_deliver(struct emu_net_sock *s, const uint8_t *p, size_t len, uint32_t src_ip,
    uint16_t src_port)
{
	struct emu_net *n = s->net;
	struct emu *e = n->e;
	char hdr[64], ip[16];

	n->last_src = src_ip;
	emu_log_note(e, "socket %d: %zu bytes from %s:%u", s->num, len, emu_fmt_ip(src_ip, ip),
	    (unsigned)src_port);
	if (n->trans.on && e->mode == EMU_MODE_TRANSPARENT) {
		emu_out(e, p, len);
		return;
	}
	if (!n->rptmode) {
		cache_add(s, p, len);
		return;
	}
	snprintf(hdr, sizeof(hdr), "+SKTRPT=%d,%zu,%s,%u", s->num, len, ip, (unsigned)src_port);
	if (emu_dev(e, "sktrpt-split")) {
		emu_report(e, hdr, NULL, 0);
		emu_out(e, p, len);
	} else if (emu_dev(e, "sktrpt-cap-511") && len > EMU_NET_RX_KEEP) {
		emu_report(e, hdr, p + len - EMU_NET_RX_KEEP, EMU_NET_RX_KEEP);
	} else {
		emu_report(e, hdr, p, len);
	}
}

/* ---- transparent mode (§2.2.1.4, firmware §9) -------------------------- */

static void trans_data(struct emu *e, const uint8_t *p, size_t len, int timed_out, void *ctx);

/* Sends the bytes packed so far on the default socket; with no usable
 * default socket they are dropped, as the firmware drops them (§9). */
static void
pack_send(struct emu_net *n)
{
	struct emu_net_trans *t = &n->trans;
	struct emu_net_sock *s = emu_net_sock_get(n, n->def_sock);

	if (t->packlen == 0)
		return;
	if (emu_net_sock_can_send(s))
		emu_net_sock_send(s, t->pack, t->packlen);
	else
		emu_log_note(n->e, "transparent mode: no connected default socket: %zu bytes "
		    "dropped", t->packlen);
	t->packlen = 0;
}

static void
pack_idle(struct emu_loop *loop, void *ctx)
{
	struct emu_net *n = ctx;

	(void)loop;
	n->trans.pack_timer = 0;
	pack_send(n);
}

static void
pack_add(struct emu_net *n, const uint8_t *p, size_t len)
{
	struct emu_net_trans *t = &n->trans;
	struct emu *e = n->e;

	while (len > 0) {
		size_t k = EMU_NET_PACK - t->packlen;
		if (k > len)
			k = len;
		memcpy(t->pack + t->packlen, p, k);
		t->packlen += k;
		p += k;
		len -= k;
		if (t->packlen == EMU_NET_PACK)
			pack_send(n);
	}
	emu_timer_cancel(e->loop, t->pack_timer);
	t->pack_timer = 0;
	if (t->packlen > 0)
		t->pack_timer = emu_timer_add(e->loop, t->idle_us, pack_idle, n);
}

static void
trans_leave(struct emu_net *n)
{
	struct emu_net_trans *t = &n->trans;
	struct emu *e = n->e;

	emu_timer_cancel(e->loop, t->pack_timer);
	emu_timer_cancel(e->loop, t->esc_timer);
	t->pack_timer = t->esc_timer = 0;
	t->esc_held = 0;
	t->on = 0;
}

/* "+++": what came before it goes out, then back to commands, +OK. */
static void
trans_escape(struct emu_net *n)
{
	struct emu *e = n->e;

	pack_send(n);
	trans_leave(n);
	emu_log_note(e, "+++: transparent mode ends");
	emu_set_mode(e, EMU_MODE_CMD, 0, 0, NULL, NULL);
	emu_reply_ok(e);
}

static void
esc_idle(struct emu_loop *loop, void *ctx)
{
	struct emu_net *n = ctx;

	(void)loop;
	n->trans.esc_timer = 0;
	n->trans.esc_held = 0;
	trans_escape(n);
}

/*
 * The firmware recognises "+++" only when exactly those three bytes come
 * in one RX FIFO batch: three '+' followed by 4 character times of silence,
 * with nothing else in the batch (firmware §9). The transport hands the
 * chunks it read, so:
 *   - a chunk that is exactly "+++" is the escape;
 *   - a chunk that ends with "+++" may be data and an escape the transport
 *     read together: the "+++" is held back, and is the escape if nothing
 *     follows within 4 character times, data otherwise;
 *   - "+++" split over chunks, or followed by more bytes, is data.
 */
static void
trans_data(struct emu *e, const uint8_t *p, size_t len, int timed_out, void *ctx)
{
	struct emu_net *n = ctx;
	struct emu_net_trans *t = &n->trans;

	(void)timed_out;
	if (!t->on)
		return;
	if (t->esc_held) {
		emu_timer_cancel(e->loop, t->esc_timer);
		t->esc_timer = 0;
		t->esc_held = 0;
		pack_add(n, (const uint8_t *)"+++", 3);
	}
	if (len == 3 && memcmp(p, "+++", 3) == 0) {
		trans_escape(n);
		return;
	}
	if (len > 3 && memcmp(p + len - 3, "+++", 3) == 0) {
		pack_add(n, p, len - 3);
		t->esc_timer = emu_timer_add(e->loop, t->esc_us, esc_idle, n);
		if (t->esc_timer != 0) {
			t->esc_held = 1;
			return;
		}
		pack_add(n, p + len - 3, 3);
		return;
	}
	pack_add(n, p, len);
}

/* Enters transparent mode: packets of 512 bytes, or what came once the line
 * was idle for 512 * 10 / baud + 5 ms (firmware §9: 49 ms at 115200). The
 * firmware computes it once at boot from flash's rate, the rate its line
 * runs at until the next restart (uart-after-restart); the manual's line
 * moves with AT+UART at once. Either way: the line's rate. */
static void
trans_enter(struct emu_net *n)
{
	struct emu *e = n->e;
	struct emu_net_trans *t = &n->trans;
	uint64_t baud = e->line_baud != 0 ? e->line_baud : 115200u;

	trans_leave(n);
	t->packlen = 0;
	t->idle_us = (512u * (10u * 1000000u / baud) / 1000u + 5u) * 1000u;
	t->esc_us = 4u * 10u * 1000000u / baud;
	if (t->esc_us < 1000u)
		t->esc_us = 1000u;
	t->on = 1;
	emu_set_mode(e, EMU_MODE_TRANSPARENT, 0, 0, trans_data, n);
}

void
emu_net_trans_reset(struct emu_net *n)
{
	trans_leave(n);
	n->trans.packlen = 0;
}

/*
 * AT+ENTM (§2.2.1.4). The manual wants a network, a socket and a default
 * socket first and the model answers -5 without them; the firmware
 * answers +OK regardless and drops the data (entm-no-precheck). The input
 * ring is emptied before +OK (firmware §9).
 */
int
emu_net_cmd_entm(struct emu *e, const struct atp_cmdline *cl)
{
	struct emu_net *n = e->net;

	(void)cl;
	if (!emu_dev(e, "entm-no-precheck") &&
	    (!emu_net_link_up(e) || !emu_net_sock_can_send(emu_net_sock_get(n, n->def_sock)))) {
		emu_log_note(e, "ENTM: no network or no connected default socket (SKSDF)");
		return -5;
	}
	emu_input_discard(e);
	emu_reply_ok(e);
	trans_enter(n);
	emu_log_note(e, "transparent mode: idle flush after %llu ms",
	    (unsigned long long)(n->trans.idle_us / 1000u));
	return 0;
}

/* ---- automatic mode (§2.2.2.5-6, §3.10; firmware §9) -------------------- */

static void auto_connect(struct emu_net *n);

static void
auto_fire(struct emu_loop *loop, void *ctx)
{
	struct emu_net *n = ctx;

	(void)loop;
	n->auto_timer = 0;
	auto_connect(n);
}

static void
auto_retry(struct emu_net *n)
{
	struct emu *e = n->e;

	if (!n->auto_on || n->auto_timer != 0)
		return;
	emu_log_note(e, "automatic mode: next attempt in %llu ms",
	    (unsigned long long)(n->reconnect_us / 1000u));
	n->auto_timer = emu_timer_add(e->loop, n->reconnect_us, auto_fire, n);
}

static void
auto_done(struct emu_net_sock *s, int ok)
{
	struct emu_net *n = s->net;

	if (ok) {
		n->def_sock = s->num;
		emu_log_note(n->e, "automatic mode: socket %d is the default socket", s->num);
		return;
	}
	n->auto_sock = 0;
	auto_retry(n);
}

/* Opens the ATRM socket (§2.2.2.6) as the default socket. */
static void
auto_connect(struct emu_net *n)
{
	struct emu *e = n->e;
	const struct emu_params *p = &e->ram;
	struct emu_net_sock *s;
	uint32_t ip = 0;
	uint64_t idle = SERVER_IDLE_DEFAULT;
	int rc;

	if (!n->auto_on || n->auto_sock != 0 || !emu_net_link_up(e))
		return;
	if (p->atrm.cs == 0 && (p->atrm.port == 0 || emu_net_resolve(e, p->atrm.host, &ip) != 0)) {
		emu_log_note(e, "automatic mode: ATRM host '%s' port %u unusable", p->atrm.host,
		    p->atrm.port);
		auto_retry(n);
		return;
	}
	if (p->atrm.cs == 1 && p->atrm.proto == 0 && p->atrm.host[0] != '\0' &&
	    atp_span_dec(atp_span_str(p->atrm.host), &idle, 10000000) != ATP_OK)
		idle = SERVER_IDLE_DEFAULT;
	s = emu_net_sock_alloc(n);
	if (s == NULL) {
		emu_log_note(e, "automatic mode: no free socket");
		auto_retry(n);
		return;
	}
	s->automatic = 1;
	rc = emu_net_sock_open(n, s, p->atrm.proto, p->atrm.cs, ip, (uint16_t)p->atrm.port,
	    (uint16_t)p->atrm.port, idle, auto_done);
	if (rc < 0) {
		auto_retry(n);
		return;
	}
	n->auto_sock = s->num;
	if (rc == 0)
		n->def_sock = s->num;
}

void
emu_net_auto_boot(struct emu_net *n)
{
	emu_log_note(n->e, "automatic mode (ATM=0): transparent mode, ATRM socket once "
	    "the network is up");
	n->auto_on = 1;
	trans_enter(n);
	auto_connect(n);
}

void
emu_net_auto_link(struct emu_net *n, int up)
{
	if (!n->auto_on)
		return;
	if (up) {
		auto_connect(n);
		return;
	}
	/* Its socket closed with the network; try again when it is back. */
	n->auto_sock = 0;
	emu_timer_cancel(n->e->loop, n->auto_timer);
	n->auto_timer = 0;
}

void
emu_net_auto_reset(struct emu_net *n)
{
	emu_timer_cancel(n->e->loop, n->auto_timer);
	n->auto_timer = 0;
	n->auto_on = 0;
	n->auto_sock = 0;
}

void
emu_net_sock_gone(struct emu_net_sock *s)
{
	struct emu_net *n = s->net;

	if (n->auto_on && s->num == n->auto_sock) {
		n->auto_sock = 0;
		auto_retry(n);
	}
}

void
emu_net_sock_joined(struct emu_net_sock *s)
{
	/* An automatic TCP server sends the UART's data to its newest client. */
	if (s->automatic)
		s->net->def_sock = s->num;
}
