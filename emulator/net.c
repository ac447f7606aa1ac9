/* SPDX-License-Identifier: MIT */
/* \summary: networking: handler table, lifecycle hooks, addresses and the world */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emulator/net_int.h"

/*
 * The module reaches its network only through loopback: a scenario's
 * address (192.168.1.100:1000 in §3.9) is mapped by the world file onto a
 * loopback port where the test's peer listens. Any other address is
 * refused with the error the firmware gives for an unreachable peer, and
 * a log line, unless --allow-net.
 */

const struct emu_handler emu_net_handlers[] = {
	{ "SKCT", emu_net_cmd_skct },
	{ "SKSND", emu_net_cmd_sksnd },
	{ "SKRCV", emu_net_cmd_skrcv },
	{ "SKSTT", emu_net_cmd_skstt },
	{ "SKCLS", emu_net_cmd_skcls },
	{ "SKSDF", emu_net_cmd_sksdf },
	{ "SKSRCIP", emu_net_cmd_sksrcip },
	{ "SKRPTM", emu_net_cmd_skrptm },
	{ "SKGHBN", emu_net_cmd_skghbn },
	{ "ENTM", emu_net_cmd_entm },
	{ "HTTPC", emu_net_cmd_httpc },
	{ "MSERVER", emu_net_cmd_mserver },
	{ "MLOGIN", emu_net_cmd_mlogin },
	{ "MID", emu_net_cmd_mid },
	{ "MCONNECT", emu_net_cmd_mconnect },
	{ "MSUB", emu_net_cmd_msub },
	{ "MPUB", emu_net_cmd_mpub },
	{ "MCLOSE", emu_net_cmd_mclose },
	{ NULL, NULL },
};

/* ATP_EMU_RECONNECT_MS shortens automatic mode's 10 s retry for tests. */
static uint64_t
reconnect_period(void)
{
	const char *s = getenv("ATP_EMU_RECONNECT_MS");
	uint64_t ms;

	if (s != NULL && atp_span_dec(atp_span_str(s), &ms, 3600000) == ATP_OK && ms > 0)
		return ms * 1000u;
	return EMU_NET_RECONNECT_US;
}

/*
 * A loop on a virtual clock (unit tests, the fuzz target) moves only when
 * told to and never waits for a file descriptor, so the outcome of real
 * network I/O would land at whatever moment the kernel delivers it. On
 * such a loop the module has no network: connections fail as unreachable
 * ones do, which keeps every run of an input identical. The clock is
 * virtual if it stands still while the real one moves.
 */
static int
clock_is_virtual(const struct emu_loop *loop)
{
	uint64_t v0 = emu_loop_now(loop), r0 = emu_now_us();

	while (emu_now_us() == r0)
		;
	return emu_loop_now(loop) == v0;
}

int
emu_net_online(struct emu *e, const char *what)
{
	if (!e->net->offline)
		return 0;
	emu_log_note(e, "%s: a virtual clock has no real network: unreachable", what);
	return -1;
}

int
emu_net_attach(struct emu *e)
{
	struct emu_net *n;
	size_t i;

	n = atp_calloc(1, sizeof(*n));
	if (n == NULL) {
		e->net = NULL;
		return ATP_ERR_NOMEM;
	}
	n->e = e;
	for (i = 0; i < EMU_NET_SOCKETS; i++) {
		n->socks[i].net = n;
		n->socks[i].num = (int)i + 1;
		n->socks[i].fd = -1;
	}
	n->reconnect_us = reconnect_period();
	n->offline = clock_is_virtual(e->loop);
	e->net = n;
	return ATP_OK;
}

void
emu_net_reset(struct emu *e)
{
	struct emu_net *n = e->net;

	if (n == NULL)
		return;
	emu_net_auto_reset(n);
	emu_net_trans_reset(n);
	emu_net_sock_close_all(n, "module reset");
	emu_net_http_free(n);
	emu_net_mqtt_free(n);
	emu_timer_cancel(e->loop, n->cmd_timer);
	n->cmd_timer = 0;
	n->rptmode = 0;
	n->def_sock = 0;
	n->last_src = 0;
}

void
emu_net_detach(struct emu *e)
{
	if (e->net == NULL)
		return;
	emu_net_reset(e);
	atp_free(e->net);
	e->net = NULL;
}

/*
 * After boot (power on, AT+Z, a reset fault): with ATM=0 the module starts
 * in transparent mode and opens the ATRM socket once an interface is up
 * (§2.2.2.5-6, §3.10; firmware §9 "ATM=0").
 */
void
emu_net_boot(struct emu *e)
{
	if (e->net == NULL || e->ram.atm != 0)
		return;
	emu_net_auto_boot(e->net);
}

void
emu_net_link(struct emu *e, int up)
{
	struct emu_net *n = e->net;

	if (n == NULL)
		return;
	if (up) {
		emu_net_auto_link(n, 1);
		return;
	}
	/* The station left its network. Sockets die with the interface they
	 * used; with the SoftAP still up they carry on (§2.2.3.5). */
	if (!e->ap.up) {
		emu_net_sock_close_all(n, "the network went down");
		emu_net_auto_link(n, 0);
	}
}

/* ---- addresses ---------------------------------------------------- */

int
emu_net_is_loopback(uint32_t ip)
{
	return (ip >> 24) == 127;
}

int
emu_net_parse_ip(const char *s, uint32_t *ip)
{
	struct atp_cur c = atp_cur_make(s, strlen(s));
	uint32_t r = 0;
	uint64_t v;
	int k;

	for (k = 0; k < 4; k++) {
		if ((k > 0 && atp_cur_lit(&c, ".") != ATP_OK) || c.left == 0 ||
		    !ATP_ISDIGIT(c.p[0]) || atp_cur_dec(&c, &v, 255) != ATP_OK)
			return -1;
		r = (r << 8) | (uint32_t)v;
	}
	if (c.left != 0)
		return -1;
	*ip = r;
	return 0;
}

void
emu_net_fmt_sa(const struct sockaddr_in *sa, char *buf, size_t size)
{
	char ip[16];

	snprintf(buf, size, "%s:%u", emu_fmt_ip(ntohl(sa->sin_addr.s_addr), ip),
	    (unsigned)ntohs(sa->sin_port));
}

int
emu_net_route(struct emu *e, uint32_t ip, uint16_t port, struct sockaddr_in *sa, const char *what)
{
	uint32_t to = ip;
	uint16_t to_port = port;
	char a[16];

	if (!emu_net_is_loopback(ip))
		(void)emu_world_map(e->world, ip, port, &to, &to_port);
	/* Where it really goes decides, not what the module asked: a world
	 * file is data and must not open a way out (map to: 8.8.8.8). */
	if (!emu_net_is_loopback(to) && !e->allow_net) {
		emu_log_note(e, "%s: %s:%u refused: not loopback and not mapped to loopback by "
		    "the world (--allow-net lets it out)", what, emu_fmt_ip(ip, a), (unsigned)port);
		return -1;
	}
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(to);
	sa->sin_port = htons(to_port);
	return 0;
}

int
emu_net_resolve(struct emu *e, const char *host, uint32_t *ip)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	if (host[0] == '\0')
		return -1;
	if (emu_net_parse_ip(host, ip) == 0)
		return 0;
	if (emu_world_host(e->world, host, ip))
		return 0;
	if (!e->allow_net) {
		emu_log_note(e, "cannot resolve '%s': not in the world's hosts "
		    "(--allow-net asks the system resolver)", host);
		return -1;
	}
	/* Blocking, as gethostbyname() blocks the firmware's AT task (§6). */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || res == NULL) {
		emu_log_note(e, "cannot resolve '%s': %s", host, gai_strerror(rc));
		if (res != NULL)
			freeaddrinfo(res);
		return -1;
	}
	*ip = ntohl(((const struct sockaddr_in *)(const void *)res->ai_addr)->sin_addr.s_addr);
	freeaddrinfo(res);
	return 0;
}

int
emu_net_link_up(const struct emu *e)
{
	return e->sta.up || e->ap.up;
}

uint32_t
emu_net_own_ip(const struct emu *e)
{
	if (e->sta.up)
		return e->sta.ip;
	if (e->ap.up)
		return e->ap.ip;
	return 0;
}
