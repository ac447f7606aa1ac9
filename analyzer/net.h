/* SPDX-License-Identifier: MIT */
/* \summary: the analyzer's network side: pcap decoding, TCP reassembly, correlation */
#ifndef ATPROOF_ANALYZER_NET_H
#define ATPROOF_ANALYZER_NET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "atproof/cursor.h"
#include "atproof/err.h"

/*
 * Packets (net_pcap.c)
 *
 * A pcap read with libpcap (Ethernet, Linux cooked SLL and SLL2, raw IP,
 * BSD loopback; IPv4 and IPv6 without extension headers other than
 * hop-by-hop, routing and destination options) becomes flows: TCP
 * connections reassembled per direction into byte streams, and UDP flows
 * of datagrams. Direction 0 is from the flow's client (the sender of the
 * SYN, or of the first packet seen) to its server, 1 the other way.
 * Memory is bounded: out-of-order data waits up to NET_OOO_DIR bytes a
 * direction (NET_OOO_TOTAL in all), then the hole is declared a gap; at
 * most NET_FLOWS_MAX flows are followed (analyzer-anchors.md §5.3: match on
 * byte offsets in the reassembled stream, not per segment).
 */
#define NET_OOO_DIR   (256u << 10)
#define NET_OOO_TOTAL (16u << 20)
#define NET_FLOWS_MAX 65536u

struct ana_ep {
	uint8_t ip[16];              /* IPv4 in the first 4 bytes */
	uint8_t v6;
	uint16_t port;
};

#define NET_F_SYN     0x01u      /* the client's SYN was seen */
#define NET_F_SYNACK  0x02u
#define NET_F_RST     0x04u
#define NET_F_FIN0    0x08u      /* FIN from the client */
#define NET_F_FIN1    0x10u
#define NET_F_NOSYN   0x20u      /* the capture starts mid-connection */

struct net_seg;

struct net_tdir {
	int init;
	uint32_t base;               /* sequence number of stream offset 0 */
	uint64_t next;               /* next stream offset to deliver */
	struct net_seg *ooo;         /* out-of-order segments, by offset */
	size_t ooo_bytes;
};

struct ana_flow {
	struct ana_ep cli, srv;
	int proto;                   /* 6 TCP, 17 UDP */
	unsigned flags;              /* NET_F_* */
	uint64_t ts_first, ts_syn, ts_synack, ts_end, ts_last;
	uint64_t bytes[2];           /* delivered (TCP) or datagram bytes (UDP) */
	unsigned long pkts[2];
	unsigned long gaps[2];       /* holes in the reassembled stream */
	uint64_t gap_bytes[2];
	unsigned long dropped[2];    /* out-of-order segments over the ceiling */
	void *user;                  /* the correlator's */
	struct net_tdir d[2];
};

struct ana_net_cb {
	void *ctx;
	void (*open)(void *ctx, struct ana_flow *fl);
	/* In-order stream bytes at stream offset @off (TCP), or a datagram
	 * (UDP, @off its index). */
	void (*data)(void *ctx, struct ana_flow *fl, int dir, uint64_t off, const uint8_t *p,
	    size_t len, uint64_t ts);
	void (*gap)(void *ctx, struct ana_flow *fl, int dir, uint64_t off, uint64_t len);
};

struct ana_net_stats {
	unsigned long packets, ip, tcp, udp, other, truncated, fragments, bad;
	unsigned long flows, flows_dropped;
	uint64_t bytes;
	int linktype;
};

struct ana_pcap;
/* Opens @f (a pcap or pcapng with one link type) with libpcap; @f is
 * closed by ana_pcap_close(). ATP_OK, ATP_ERR_SYNTAX (not a capture
 * libpcap reads), ATP_ERR_UNSUPP (a link type not decoded), ATP_ERR_NOMEM. */
int ana_pcap_open(FILE *f, const struct ana_net_cb *cb, struct ana_pcap **out, struct atp_diag *d);
/* Reads every packet, then flushes what waits in reassembly. ATP_OK, or
 * ATP_ERR_SYNTAX for a corrupt capture (what came before was delivered),
 * ATP_ERR_NOMEM. */
int ana_pcap_run(struct ana_pcap *pc, struct atp_diag *d);
const struct ana_net_stats *ana_pcap_stats(const struct ana_pcap *pc);
/* Flows in the order they were first seen; valid until ana_pcap_close(). */
size_t ana_pcap_nflows(const struct ana_pcap *pc);
struct ana_flow *ana_pcap_flow(const struct ana_pcap *pc, size_t i);
void ana_pcap_close(struct ana_pcap *pc);
/* Decodes one link-layer frame (for tests and the fuzzer). */
void ana_pcap_packet(struct ana_pcap *pc, uint64_t ts, const uint8_t *p, size_t caplen,
    size_t len);
/* An opened reader over no file, decoding link type @dlt (tests). */
int ana_pcap_new(int dlt, const struct ana_net_cb *cb, struct ana_pcap **out);
void ana_pcap_flush(struct ana_pcap *pc);
/* "a.b.c.d:p" or "[v6]:p". */
void ana_ep_str(const struct ana_ep *e, char *buf, size_t size);

/*
 * Correlation (net_corr.c)
 *
 * The session decoder tells the correlator what the host and the module
 * said about sockets, names and MQTT (the UART side); the capture is then
 * read and each UART event is matched to its packets (analyzer-anchors.md
 * §5.3): connections by order of AT+SKCT to the same port, sent and
 * received bytes by alignment of the two byte streams, names to DNS
 * answers, MQTT commands and reports to PUBLISH and SUBSCRIBE packets.
 */
struct ana_report;
struct ana_net;

struct ana_loc {
	const char *file;            /* interned in the report */
	unsigned long line;
	uint64_t off;
	uint64_t ts;
	int timed;
};

enum ana_mq { ANA_MQ_SERVER, ANA_MQ_ID, ANA_MQ_PUB, ANA_MQ_SUB, ANA_MQ_TOPIC, ANA_MQ_DATA };

int ana_net_new(struct ana_report *rep, int luat, struct ana_net **out);
void ana_net_free(struct ana_net *n);
/* AT+SKCT answered +OK=<sock>: @udp, @server from its arguments. */
void ana_net_skct(struct ana_net *n, long sock, int udp, int server, struct atp_span host,
    uint64_t rport, const struct ana_loc *at);
void ana_net_skcls(struct ana_net *n, long sock);
/* +SKTRPT=<sock>,<len>,<ip>,<port> named socket @sock's peer. A socket
 * number the host never opened, while a TCP server listens, is one of its
 * accepted connections (§2.2.3.10, §2.2.3.13); SKSND and the reports on
 * it make one too. For a server, ana_net_skct's @rport is the port it
 * listens on. */
void ana_net_peer(struct ana_net *n, long sock, struct atp_span ip, uint64_t port,
    const struct ana_loc *at);
/* SKSND payload bytes; @first: the first piece of one AT+SKSND. */
void ana_net_sent(struct ana_net *n, long sock, const uint8_t *p, size_t len, int first,
    const struct ana_loc *at);
/* A UART input whose records' bytes are the file's own (a pcapng or pcap
 * read from a regular file): what it was when decoded, so that it is read
 * again only if it is still the same file. */
struct ana_src {
	const char *path;
	uint64_t dev, ino, size;
	int64_t mtime_s, mtime_ns;
};
/* The same, @p being the @len bytes at offset @foff of @src (NULL: not a
 * file's bytes): the correlator keeps where they are rather than a copy,
 * and reads them again from the file when it compares. */
void ana_net_sent_ref(struct ana_net *n, long sock, const uint8_t *p, size_t len, int first,
    const struct ana_loc *at, const struct ana_src *src, uint64_t foff);
/* Bytes the module reported: @first starts a delivery (an +SKTRPT, whose
 * header announced @announced bytes, or an SKRCV response). */
void ana_net_recv(struct ana_net *n, long sock, uint64_t announced, const uint8_t *p, size_t len,
    int first, const struct ana_loc *at);
/* The capture cut bytes of a transfer (ATP_RECF_CUT, @cut_len bytes, 0: not
 * known, the record at @cut_at): @dir 0, @hole bytes of socket @sock's
 * SKSND payload, where its next bytes go (their place on the wire is
 * passed over, not compared); @dir 1, the delivery just reported lost
 * bytes. Differences next to it are undecided (inconc), not failed. */
void ana_net_cut(struct ana_net *n, long sock, int dir, uint64_t hole, uint64_t cut_len,
    const struct ana_loc *cut_at);
/* AT+HTTPC=<url>,<verb>[,<postdata>] answered +OK (§2.2.3.19); then the
 * data of its +HTTPCRPT reports. */
void ana_net_httpc(struct ana_net *n, struct atp_span url, uint64_t verb, struct atp_span post,
    const struct ana_loc *at);
void ana_net_http_body(struct ana_net *n, const uint8_t *p, size_t len);
void ana_net_dns(struct ana_net *n, struct atp_span host, struct atp_span ip,
    const struct ana_loc *at);
void ana_net_mqtt(struct ana_net *n, enum ana_mq kind, struct atp_span a, struct atp_span b,
    const struct ana_loc *at);
/* Reads @path and correlates; findings go to the report. ATP_OK or an
 * error with @d set (cannot open: ATP_ERR_IO). */
int ana_net_read(struct ana_net *n, const char *path, struct atp_diag *d);
/* Same from @f (closed), named @path in the report. */
int ana_net_read_file(struct ana_net *n, FILE *f, const char *path, struct atp_diag *d);
/* Writers: the "network" object of the JSON report (a json_t *), and the
 * network part of the text report with the interleaved timeline. */
void *ana_net_json(const struct ana_net *n);
/* The network summary (per socket) as text. */
void ana_net_text(const struct ana_net *n, FILE *out);
/* The correlation's events on the UART clock (network ones moved by the
 * clock offset), in time order, each given to @cb ("uart  AT+SKCT ...",
 * "net   TCP SYN ..."); at most 400. Returns how many. */
size_t ana_net_events(const struct ana_net *n, void (*cb)(void *ctx, uint64_t t_us, const char *what),
    void *ctx);

#endif
