/* SPDX-License-Identifier: MIT */
/* \summary: the emulator's networking half: state shared by its files */
#ifndef ATPROOF_EMULATOR_NET_INT_H
#define ATPROOF_EMULATOR_NET_INT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "emulator/emu.h"

/*
 * Networking of one virtual module: its socket table (SKCT...), the data
 * modes that carry socket data (SKSND, transparent mode, automatic mode),
 * the HTTP client (HTTPC, libcurl) and the MQTT client (§2.2.4,
 * libmosquitto). Everything runs on the module's event loop, on real
 * non-blocking sockets; nothing here blocks except the system resolver,
 * which only --allow-net enables.
 *
 * Cross-file names carry the emulator's prefix: emu_net_* functions and
 * types, EMU_NET_* constants.
 *
 * Files:
 *   net.c        handler table, lifecycle hooks, addresses and the world
 *   net_sock.c   the socket table: connect, listen, accept, receive, send
 *   cmd_net.c    SKCT SKSND SKRCV SKSTT SKCLS SKSDF SKSRCIP SKRPTM SKGHBN,
 *                ENTM and transparent mode, automatic mode (ATM=0)
 *   cmd_http.c   HTTPC
 *   cmd_mqtt.c   MSERVER MLOGIN MID MCONNECT MSUB MPUB MCLOSE
 */

#define EMU_NET_SOCKETS 20            /* TLS_MAX_NETCONN_NUM (firmware §3) */
#define EMU_NET_RX_KEEP 511           /* a 512-byte ring keeps 511 (firmware §8.2) */
#define EMU_NET_SEG_MAX 1460          /* bytes taken per read: one TCP segment */
#define EMU_NET_TX_MAX (64 * 1024)    /* bytes queued on a socket the peer is slow on */
#define EMU_NET_PACK 512              /* transparent mode: bytes per packet (§9) */
#define EMU_NET_CONNECT_US (25u * 1000000u) /* SKCT gives up after 25 s (§5, §6) */
#define EMU_NET_RECONNECT_US (10u * 1000000u) /* automatic mode retries (§9) */

enum emu_net_state {
	EMU_NET_FREE,                 /* slot unused */
	EMU_NET_CONNECTING,           /* TCP client, connect() in progress */
	EMU_NET_LISTENING,            /* TCP server, or UDP server with no peer yet */
	EMU_NET_CONNECTED,
	EMU_NET_CLOSED,               /* the peer closed; data still to be read */
};

struct emu_net;
struct emu_net_sock;

/* Called once when a TCP connect is over (@ok 1: connected). On failure
 * the slot is freed after the call. */
typedef void emu_net_conn_fn(struct emu_net_sock *s, int ok);

struct emu_net_sock {
	struct emu_net *net;
	int num;                  /* 1..20 */
	enum emu_net_state state;
	int fd;                   /* -1 when none */
	unsigned proto;           /* 0 TCP, 1 UDP */
	unsigned cs;              /* 0 client, 1 server */
	int parent;               /* accepted by TCP server socket <parent>, or 0 */
	int automatic;            /* opened by automatic mode (ATRM) */
	int pending;              /* SKCT waits for this socket's connect */
	uint32_t rip;             /* the peer as the module sees it (scenario */
	uint16_t rport;           /*   address, before the world's map) */
	uint16_t lport;           /* local port as the module sees it */
	struct sockaddr_in peer;  /* where datagrams go (UDP), real address */
	uint8_t rx[EMU_NET_RX_KEEP];  /* receive cache: the last 511 bytes */
	size_t rxlen;
	uint8_t *tx;              /* bytes the kernel did not take yet */
	size_t txlen;
	uint64_t idle_s;          /* TCP server: clients idle this long are closed */
	uint64_t idle_timer;
	uint64_t conn_timer;      /* connect timeout */
	uint64_t delay_timer;     /* the world's connect time */
	int conn_result;          /* 0 pending, 1 connected, -1 failed */
	int delay_over;
	emu_net_conn_fn *on_done;
};

/* Transparent mode (§2.2.1.4, firmware §9). */
struct emu_net_trans {
	int on;
	uint8_t pack[EMU_NET_PACK];   /* UART bytes not yet sent */
	size_t packlen;
	uint64_t pack_timer;      /* idle flush */
	uint64_t idle_us;         /* 512 * 10 / baud + 5 ms */
	int esc_held;             /* a trailing "+++" waits for silence */
	uint64_t esc_timer;
	uint64_t esc_us;          /* 4 character times */
};

struct emu_net_http;
struct emu_net_mqtt;

struct emu_net {
	struct emu *e;
	int offline;              /* a virtual clock: no real network (net.c) */
	struct emu_net_sock socks[EMU_NET_SOCKETS];
	unsigned rptmode;         /* SKRPTM (RAM only, 0 at boot: §8.3) */
	int def_sock;             /* SKSDF, 0 for none */
	uint32_t last_src;        /* SKSRCIP */
	uint64_t cmd_timer;       /* SKGHBN's resolve time */
	uint32_t ghbn_ip;
	struct emu_net_trans trans;
	/* automatic mode (ATM=0, §3.10) */
	int auto_on;
	int auto_sock;            /* its socket, 0 while none */
	uint64_t auto_timer;      /* next attempt */
	uint64_t reconnect_us;
	struct emu_net_http *http;
	struct emu_net_mqtt *mqtt;
};

/* net.c: addresses and the world. */
int emu_net_is_loopback(uint32_t ip);
/* Parses a dotted quad (no spaces, each octet 0..255); 0 or -1. */
int emu_net_parse_ip(const char *s, uint32_t *ip);
/*
 * The real address to connect to for scenario address ip:port: loopback
 * as it is, an address the world maps, anything with --allow-net. Returns
 * 0, or -1 with a log line saying why it is refused (@what names the user).
 */
int emu_net_route(struct emu *e, uint32_t ip, uint16_t port, struct sockaddr_in *sa,
    const char *what);
/* A host name or dotted quad to an address: literal, the world's hosts,
 * then (--allow-net only) the system resolver. 0, or -1 (logged). */
int emu_net_resolve(struct emu *e, const char *host, uint32_t *ip);
/* 0 when real sockets may be used; -1 (logged) on a virtual clock. */
int emu_net_online(struct emu *e, const char *what);
/* Is an interface up (station joined, or SoftAP up)? */
int emu_net_link_up(const struct emu *e);
/* The module's own address (station, else SoftAP, else 0). */
uint32_t emu_net_own_ip(const struct emu *e);
void emu_net_fmt_sa(const struct sockaddr_in *sa, char *buf, size_t size);

/* emu_net_sock.c: the socket table. */
struct emu_net_sock *emu_net_sock_get(struct emu_net *n, long num);
struct emu_net_sock *emu_net_sock_alloc(struct emu_net *n);
/* Opens a socket as SKCT describes it (@host_ip already resolved for a
 * client; @timeout_s for a TCP server). Returns a §1.2.2 code (< 0), 0
 * when done (@s connected, listening or bound), or 1 when a TCP connect is
 * under way (@on_done is then called once with the outcome). */
int emu_net_sock_open(struct emu_net *n, struct emu_net_sock *s, unsigned proto, unsigned cs,
    uint32_t host_ip, uint16_t port, uint16_t listen_port, uint64_t timeout_s,
    emu_net_conn_fn *on_done);
/* Closes a socket, its clients when it is a TCP server, and frees the slot. */
void emu_net_sock_close(struct emu_net_sock *s, const char *why);
void emu_net_sock_close_all(struct emu_net *n, const char *why);
/* Sends bytes on a connected socket (queued when the kernel is full).
 * Returns 0, or -1 when the socket cannot send (logged). */
int emu_net_sock_send(struct emu_net_sock *s, const uint8_t *p, size_t len);
/* Takes up to @max bytes of the receive cache into @buf. */
size_t emu_net_sock_take(struct emu_net_sock *s, uint8_t *buf, size_t max);
/* Frees a slot the peer closed once its cache is empty. */
void emu_net_sock_reap(struct emu_net_sock *s);
int emu_net_sock_can_send(const struct emu_net_sock *s);

/* cmd_net.c: what the socket layer hands up. */
void emu_net_deliver(struct emu_net_sock *s, const uint8_t *p, size_t len, uint32_t src_ip,
    uint16_t src_port);
void emu_net_sock_gone(struct emu_net_sock *s);  /* the peer closed or the socket failed */
void emu_net_sock_joined(struct emu_net_sock *s); /* a TCP server accepted client @s */
void emu_net_trans_reset(struct emu_net *n);
void emu_net_auto_reset(struct emu_net *n);
void emu_net_auto_boot(struct emu_net *n);          /* ATM=0 at boot */
void emu_net_auto_link(struct emu_net *n, int up);  /* an interface came up / went down */

/* cmd_http.c and cmd_mqtt.c */
void emu_net_http_free(struct emu_net *n);
void emu_net_mqtt_free(struct emu_net *n);

int emu_net_cmd_skct(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_sksnd(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_skrcv(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_skstt(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_skcls(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_sksdf(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_sksrcip(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_skrptm(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_skghbn(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_entm(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_httpc(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_mserver(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_mlogin(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_mid(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_mconnect(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_msub(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_mpub(struct emu *e, const struct atp_cmdline *cl);
int emu_net_cmd_mclose(struct emu *e, const struct atp_cmdline *cl);

#endif
