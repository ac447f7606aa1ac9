/* SPDX-License-Identifier: MIT */
/* \summary: the harness's transports and runner (internal) */
#ifndef HARNESS_HNS_RUN_H
#define HARNESS_HNS_RUN_H

#include <stdint.h>
#include <sys/types.h>

#include "harness/hns.h"
#include "reports/rpt.h"

/*
 * Transports
 *
 * Every way of reaching a module is a byte pipe behind one small ops table
 * (aesthetics §10.1: libserialport's backends behind one internal header):
 *   - tty: termios on a tty or pty (the emulator's, a USB adapter);
 *   - tcp: ser2net-style raw serial over TCP;
 *   - emu: a tty whose other end is an `atproof emu` child we started.
 * A libserialport backend for real UARTs (break, DTR/RTS, flow control)
 * slots in as one more ops table; libserialport cannot open ptys
 * (DESIGN.md), so the tty backend stays the fallback.
 */
struct hns_transport;

/* Line settings of a serial port (the module's default is 115200 8N1,
 * AT+UART §2.2.2.20). */
struct hns_serial_cfg {
	unsigned long baud;
	char parity;               /* 'N', 'E', 'O' */
	int flow;                  /* 0 none, 1 RTS/CTS, 2 XON/XOFF */
	int databits;              /* 5..8; 0: 8 */
	int stopbits;              /* 1, 2; 0: 1 */
};

struct hns_transport_ops {
	const char *name;
	/* Writes all of @len bytes (bounded wait). ATP_ERR_IO: the port vanished. */
	int (*write)(struct hns_transport *t, const void *buf, size_t len, struct atp_diag *d);
	/* Reads what is there, waiting at most @timeout_us. Returns the byte
	 * count, 0 on timeout, ATP_ERR_IO when the port vanished (EOF, EIO,
	 * HUP), with the reason in @d. */
	long (*read)(struct hns_transport *t, void *buf, size_t len, uint64_t timeout_us,
	    struct atp_diag *d);
	void (*close)(struct hns_transport *t);
	/* Modem lines and break (NULL where the transport has none): @dtr and
	 * @rts are 0, 1 or -1 (leave), @break_us 0 for none. ATP_ERR_UNSUPP
	 * when the device cannot (a pty). */
	int (*line)(struct hns_transport *t, int dtr, int rts, uint64_t break_us,
	    struct atp_diag *d);
	/* The host side's line (the `baud` step; AT+UART §2.2.2.20): waits for
	 * what was written to go out at the old settings, then moves the port
	 * to @to's rate, and its data bits, parity and stop bits where they
	 * are not 0 (on the emulator's pty, the termios the emulator reads;
	 * @to->flow is not used). NULL where the transport has no rate (TCP);
	 * ATP_ERR_ARG for a rate the device cannot take. */
	int (*baud)(struct hns_transport *t, const struct hns_serial_cfg *to,
	    struct atp_diag *d);
};

#define HNS_MORE_FULL 1u          /* the last read filled its buffer */
#define HNS_MORE_HUP 2u           /* the port hung up (kept) */

struct hns_transport {
	const struct hns_transport_ops *ops;
	int fd;
	int ep;                    /* epoll over fd for reads: -1 until the first
	                              wait, -2 when epoll cannot watch fd (poll());
	                              closed with fd (transport.c) */
	unsigned more;             /* HNS_MORE_*: read before waiting again */
	int sock;                  /* fd is a socket: send() without SIGPIPE */
	char *name;                /* what the report calls the port */
	char *desc;                /* "115200 8N1", "tcp" */
	pid_t child;               /* emu: the emulator, or 0 */
	char *tmpdir;              /* emu: its private folder */
	char *ptypath;
	char *logpath;
	size_t wrote;              /* bytes the last write handed over, also when it failed */
	struct hns_serial_cfg line; /* the host side's line now (databits, stopbits
	                              and parity filled in); baud 0: none (TCP) */
};

int hns_tty_open(const char *path, const struct hns_serial_cfg *cfg,
    struct hns_transport **out, struct atp_diag *d);
int hns_tcp_open(const char *hostport, struct hns_transport **out, struct atp_diag *d);
/* libserialport (transport_sp.c); ATP_ERR_IO when it cannot open @path
 * (a pty, an unknown device): the caller falls back to hns_tty_open(). */
int hns_sp_open(const char *path, const struct hns_serial_cfg *cfg,
    struct hns_transport **out, struct atp_diag *d);
/* Wraps @fd, which the transport then owns (closes). */
int hns_fd_open(int fd, const char *name, struct hns_transport **out, struct atp_diag *d);

struct hns_emu_opts {
	const char *profile;       /* NULL: manual */
	const char *world;
	const char *const *faults;
	size_t nfaults;
	const char *exe;           /* NULL: /proc/self/exe */
	const char *mac;           /* NULL: the emulator's own; "28:6d:cd:00:4e:7d" */
	unsigned long baud;        /* 0: 115200. The emulator runs with --baud: its
	                              flash holds the rate, and a host at another
	                              rate is not understood (the `baud` step) */
};
int hns_emu_open(const struct hns_emu_opts *o, struct hns_transport **out, struct atp_diag *d);
/* Records that the port now runs with @to (t->line, and t->desc's rate
 * and format); @to's zero fields leave those settings as they are. */
void hns_transport_line(struct hns_transport *t, const struct hns_serial_cfg *to);
/* Closes and frees; stops an emulator child. NULL is allowed. */
void hns_transport_close(struct hns_transport *t);

/* Monotonic microseconds. */
uint64_t hns_now_us(void);

/* Set to the signal's number by SIGINT/SIGTERM (run_cli.c): the runner ends
 * the run at once, as for a vanished port, and still writes its reports and
 * capture; the exit code is 128 + it. */
#include <signal.h>
extern volatile sig_atomic_t hns_stop;

/*
 * The runner
 */
struct hns_run_opts {
	const struct atp_profile *prof;   /* --firmware */
	const char *tags;                 /* --tags expression or NULL */
	const char *const *caps;          /* --cap, plus what identify finds */
	size_t ncaps;
	const char *capture;              /* --capture FILE.pcapng or NULL */
	int identify;                     /* ask QVER/QMAC before the first case */
	int progress;                     /* a live line on stderr */
	double timeout_scale;             /* multiplies every deadline */
	int lenient;                      /* unaccounted bytes and reports with no
	                                     policy are warnings (smoke, factory) */
};

/*
 * Runs @n scenarios over @t, filling @rep. @globals holds --var values.
 * Returns ATP_OK when the run went to its end (whatever the verdicts),
 * ATP_ERR_IO when the port vanished (rep says so), ATP_ERR_NOMEM.
 */
int hns_run(struct hns_transport *t, struct hns_scenario *const *sc, size_t n,
    const struct hns_vars *globals, const struct hns_run_opts *o, struct rpt_run *rep);

/*
 * Network peers (peers.c)
 */
struct hns_peers;
/* Binds every peer on 127.0.0.1 (a free port each). ATP_ERR_IO: one could
 * not start (exit 3). */
int hns_peers_start(const struct hns_peerdef *defs, size_t n, struct hns_peers **out,
    struct atp_diag *d);
void hns_peers_stop(struct hns_peers *ps);
unsigned hns_peers_port(const struct hns_peers *ps, size_t i);
/* Accepts, reads, echoes; never blocks. */
void hns_peers_service(struct hns_peers *ps);
/* How long an MQTT peer waits for its broker's PUBACK (QoS 1) or PUBCOMP
 * (QoS 2) after a peer_send: HNS_PEER_ACK_US, which the runner scales by
 * --timeout-scale as every other deadline. */
#define HNS_PEER_ACK_US 5000000u
void hns_peers_set_ack_wait(struct hns_peers *ps, uint64_t us);
/* Sends @b: on every connection of a TCP peer, to the last sender of a UDP
 * peer; an MQTT peer publishes it on @topic with @qos (0..2) and @retain,
 * and waits for the broker's acknowledgement when qos > 0. */
int hns_peers_send(struct hns_peers *ps, const char *name, const char *topic, int qos,
    int retain, const void *b, size_t n, struct atp_diag *d);
const uint8_t *hns_peers_rx(struct hns_peers *ps, const char *name, size_t *len,
    int *overflow);
void hns_peers_consume(struct hns_peers *ps, const char *name, size_t n);
const char *hns_peers_unread(struct hns_peers *ps, size_t *len);
/* One message in what a peer received (an HTTP request, an MQTT
 * publication): its record is [off, off + len) of hns_peers_rx(). */
struct hns_peer_msg {
	size_t off, len;
	unsigned conn;             /* HTTP: its connection, 1 for the peer's first */
	unsigned seq;              /* HTTP: its place on that connection, from 1 */
	int qos, retain;           /* MQTT: as the module published it */
};
/* The messages of an HTTP or MQTT peer still in hns_peers_rx(), oldest
 * first (a message partly consumed starts at 0). */
size_t hns_peers_msgs(struct hns_peers *ps, const char *name,
    const struct hns_peer_msg **out);
/* The first protocol fault a peer saw (a malformed or oversized HTTP
 * request) that no step reported yet, as text; it is then reported. NULL:
 * none. @name NULL: any peer. */
const char *hns_peers_fault(struct hns_peers *ps, const char *name);
/* Whether peer @name has such a fault, leaving it to tell. */
int hns_peers_faulty(struct hns_peers *ps, const char *name);

/*
 * The HTTP peer's request parser (http.c), on bounded input: a request
 * line and headers up to HNS_HTTP_HEAD_MAX, a body (Content-Length or
 * chunked, decoded) up to HNS_HTTP_BODY_MAX, or up to the peer's
 * max_body (at most HNS_HTTP_BODY_HARD_MAX, hns.h) with hns_http_parse_max().
 */
#define HNS_HTTP_HEAD_MAX 8192u
#define HNS_HTTP_BODY_MAX 65536u
enum {
	HNS_HTTP_MORE = 0,          /* not whole yet: try again at need bytes */
	HNS_HTTP_DONE = 1,          /* a whole request of len bytes */
	HNS_HTTP_BAD = -1,          /* malformed (400) */
	HNS_HTTP_HEAD_BIG = -2,     /* headers over the ceiling (431) */
	HNS_HTTP_BODY_BIG = -3,     /* a body over the ceiling (413) */
	HNS_HTTP_UNSUPP = -4        /* a transfer coding other than chunked (501) */
};
struct hns_http_req {
	struct atp_span method, target, path;  /* path: the target without query */
	int minor;                 /* HTTP/1.<minor> */
	int close;                 /* the connection ends after the answer */
	int chunked;
	int expect_continue;       /* Expect: 100-continue */
	size_t head_len;           /* request line and headers (0: not all here) */
	size_t len;                /* the whole request as sent (DONE) */
	size_t body_len;           /* the body, decoded */
	size_t need;               /* MORE: bytes worth waiting for */
	char why[96];              /* what is wrong (BAD, HEAD_BIG, ...) */
};
/* Parses the request at the start of @b. The decoded body goes to @body
 * (NULL: nowhere) when it fits @cap; HNS_HTTP_BODY_MAX always does. */
int hns_http_parse(const uint8_t *b, size_t n, struct hns_http_req *r, uint8_t *body,
    size_t cap);
/* The same with a body ceiling of @max_body bytes (a body over it is
 * HNS_HTTP_BODY_BIG). */
int hns_http_parse_max(const uint8_t *b, size_t n, struct hns_http_req *r, uint8_t *body,
    size_t cap, size_t max_body);
/* How many connections the peers reset (reset_after), and in @buf what
 * the last peer that did says about it. */
size_t hns_peers_resets(const struct hns_peers *ps, char *buf, size_t size);

/*
 * Stations (station.c): the units of one run.
 */
#define HNS_UNITS_MAX 256

struct hns_unit {
	char name[64];
	char *port, *tcp, *emulator;   /* exactly one is set */
	unsigned long baud;            /* 0: found by probing (baud: auto) */
	/* As in struct hns_serial_cfg; 0 (flow -1): as on the command line. */
	char parity;
	int flow, databits, stopbits;
	char mac[18];                  /* emulator: its MAC, distinct per unit */
};

/* Parses a station file (@buf, named @path in messages). */
int hns_station_load(const char *path, const void *buf, size_t len, struct hns_unit **out,
    size_t *nout, hns_msg_fn *msg, void *ctx);
void hns_units_free(struct hns_unit *u, size_t n);

/*
 * Serial ports by stable names (ports.c, transport_sp.c)
 */
#define HNS_BAUD_AUTO 0ul        /* --baud auto: probe the rates of hns_baud_rates */

/* `usb:VID:PID[:SERIAL]`: hex VID and PID (case-insensitive). */
struct hns_usb_sel {
	unsigned vid, pid;
	char serial[128];          /* "" when not given */
};
/* 1 if @s is a selector (starts with "usb:"), 0 if not. */
int hns_usb_sel_is(const char *s);
/* Parses @s. ATP_ERR_SYNTAX with a message in @d. */
int hns_usb_sel_parse(const char *s, struct hns_usb_sel *out, struct atp_diag *d);
/*
 * What --port names: a device, a /dev/serial/by-id/ link or a usb:
 * selector, made the device libserialport knows (*dev) and, when the user
 * gave another name for it, that name (*alias: the by-id link, or the
 * selector). ATP_ERR_NOTFOUND (no port matches) or ATP_ERR_LIMIT (more
 * than one matches), with a message naming the candidates in @d.
 */
int hns_port_resolve(const char *spec, char *dev, size_t devsize, char *alias,
    size_t aliassize, struct atp_diag *d);
/* Follows symlinks from @path to a name /sys/class/tty knows:
 * "/dev/serial/by-id/usb-X-if00-port0" -> "/dev/ttyUSB0". @path itself
 * when the links lead to no such name (a link to a pty). */
int hns_port_follow(const char *path, char *out, size_t size);
/* qsort() order of a libserialport port list (struct sp_port *[]): by name. */
int hns_sp_port_cmp(const void *a, const void *b);
/* The rates --baud auto tries, in order, and how many. */
extern const unsigned long hns_baud_rates[];
extern const size_t hns_nbaud_rates;

/* A decimal number from device text: [-]digits[.digits]. */
int hns_parse_number(struct atp_span s, double *out);

#endif
