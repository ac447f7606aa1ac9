/* SPDX-License-Identifier: MIT */
/* \summary: fuzz the analyzer's network side: pcap files, link layers, TCP reassembly, correlation */
#define _DEFAULT_SOURCE 1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analyzer/ana.h"
#include "analyzer/net.h"
#include "atproof/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Bit 0 of the first byte picks the input:
 *   0: the rest is a capture file, read by libpcap and correlated with a
 *      UART side that opened TCP and UDP sockets to ports 80 and 53, sent
 *      and got bytes on them, resolved a name, made an HTTP request to
 *      port 80, spoke MQTT to port 1883, and listened as a TCP server on
 *      port 8000 (two accepted sockets: one named by +SKTRPT's peer
 *      10.0.0.1:40000, one not) and a UDP server on port 9000 (a peer
 *      named, 10.0.0.1:41000, after a datagram with none) (so every
 *      matcher, the DNS, HTTP and MQTT parsers see the flows);
 *   1: the rest is frames, each a 2-byte big-endian length and its bytes,
 *      of the link type picked by the first byte's upper bits, fed straight
 *      to the decoder (no file framing in the way of the reassembly).
 * Each stream's bytes must come in order, without overlap, and the
 * reassembly's own ceilings must hold.
 */

static const int dlts[] = { 1, 113, 276, 12, 101, 228, 229, 0 };

static void
c_data(void *ctx, struct ana_flow *fl, int dir, uint64_t off, const uint8_t *p, size_t len,
    uint64_t ts)
{
	(void)ctx;
	(void)p;
	(void)ts;
	if (len == 0 && fl->proto == 6)
		abort();
	/* In-order delivery: never before what was given. */
	if (fl->proto == 6 && off < fl->d[dir].next - len)
		abort();
	if (fl->d[dir].ooo_bytes > NET_OOO_DIR)
		abort();
}

static void
frames(const uint8_t *data, size_t size)
{
	struct ana_net_cb cb = { NULL, NULL, c_data, NULL };
	struct ana_pcap *pc;
	uint64_t ts = 0;

	if (ana_pcap_new(dlts[(data[0] >> 1) % (sizeof(dlts) / sizeof(dlts[0]))], &cb, &pc) !=
	    ATP_OK)
		return;
	data++;
	size--;
	while (size >= 2) {
		size_t l = (size_t)(data[0] << 8 | data[1]);
		if (l > size - 2)
			l = size - 2;
		ana_pcap_packet(pc, ts++, data + 2, l, l + (data[0] & 1));
		data += 2 + l;
		size -= 2 + l;
	}
	ana_pcap_flush(pc);
	ana_pcap_close(pc);
}

/* The timeline's events, written where nothing reads them. */
static void
ev_sink(void *ctx, uint64_t t_us, const char *what)
{
	fprintf(ctx, "%llu %s\n", (unsigned long long)t_us, what);
}

static void
file(const uint8_t *data, size_t size)
{
	struct ana_report rep;
	struct ana_net *n;
	struct ana_loc at = { "uart", 1, 0, 1000000, 1 };
	struct atp_diag d;
	FILE *f;

	ana_report_init(&rep);
	if (ana_net_new(&rep, data[0] & 2, &n) != ATP_OK) {
		ana_report_free(&rep);
		return;
	}
	ana_net_skct(n, 1, 0, 0, atp_span_str("10.0.0.2"), 80, &at);
	ana_net_sent(n, 1, (const uint8_t *)"GET / HTTP/1.0\r\n\r\n", 18, 1, &at);
	ana_net_recv(n, 1, 600, (const uint8_t *)"HTTP/1.0 200 OK\r\n", 17, 1, &at);
	ana_net_recv(n, 1, 0, (const uint8_t *)"body", 4, 1, &at);
	ana_net_skct(n, 2, 1, 0, atp_span_str("10.0.0.3"), 53, &at);
	ana_net_sent(n, 2, (const uint8_t *)"q", 1, 1, &at);
	ana_net_dns(n, atp_span_str("example.com"), atp_span_str("\"1.2.3.4\""), &at);
	ana_net_httpc(n, atp_span_str("http://10.0.0.2/x"), 0, atp_span_str(""), &at);
	ana_net_http_body(n, (const uint8_t *)"body", 4);
	ana_net_mqtt(n, ANA_MQ_SERVER, atp_span_str("1883"), atp_span_str("10.0.0.4"), &at);
	ana_net_mqtt(n, ANA_MQ_ID, atp_span_str("unit42"), atp_span_str(""), &at);
	ana_net_mqtt(n, ANA_MQ_PUB, atp_span_str("dev/x"), atp_span_str("hello"), &at);
	ana_net_mqtt(n, ANA_MQ_SUB, atp_span_str("cmd/#"), atp_span_str(""), &at);
	ana_net_mqtt(n, ANA_MQ_TOPIC, atp_span_str("5"), atp_span_str("cmd/x"), &at);
	ana_net_mqtt(n, ANA_MQ_DATA, atp_span_str("2"), atp_span_str("on"), &at);
	ana_net_skct(n, 3, 0, 1, atp_span_str("0"), 8000, &at);
	ana_net_peer(n, 4, atp_span_str("\"10.0.0.1\""), 40000, &at);
	ana_net_recv(n, 4, 4, (const uint8_t *)"ping", 4, 1, &at);
	ana_net_sent(n, 4, (const uint8_t *)"pong", 4, 1, &at);
	ana_net_sent(n, 6, (const uint8_t *)"hi", 2, 1, &at);
	ana_net_skct(n, 5, 1, 1, atp_span_str(""), 9000, &at);
	ana_net_recv(n, 5, 4, (const uint8_t *)"ping", 4, 1, &at);
	ana_net_peer(n, 5, atp_span_str("10.0.0.1"), 41000, &at);
	ana_net_recv(n, 5, 4, (const uint8_t *)"ping", 4, 1, &at);
	ana_net_sent(n, 5, (const uint8_t *)"pong", 4, 1, &at);
	f = fmemopen((void *)(uintptr_t)(data + 1), size - 1, "rb");
	if (f != NULL) {
		FILE *sink = fopen("/dev/null", "w");
		atp_diag_clear(&d);
		(void)ana_net_read_file(n, f, "fuzz.pcap", &d);
		if (sink != NULL) {
			ana_net_text(n, sink);
			(void)ana_net_events(n, ev_sink, sink);
			fclose(sink);
		}
		json_decref((json_t *)ana_net_json(n));
	}
	ana_net_free(n);
	ana_report_free(&rep);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (data[0] & 1)
		frames(data, size);
	else
		file(data, size);
	return 0;
}
