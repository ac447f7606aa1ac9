/* SPDX-License-Identifier: MIT */
/* \summary: bench: a network pcap and the UART capture that caused it, for analyze --net */
#include <stdio.h>
#include <string.h>

#include "atproof/capture.h"
#include "atproof/cursor.h"
#include "atproof/err.h"

/*
 * usage: netgen NET.pcap UART.pcapng M
 *
 * Writes about M MiB of TCP traffic (classic pcap, Ethernet, microsecond
 * times) and the UART side of the same story (pcapng, core writer): the
 * module joins, opens socket 1 to 192.168.1.100:8080 (SKCT) and sends
 * 512-byte payloads (SKSND, the firmware's ceiling, w600-firmware.md), each
 * of which leaves as one TCP segment from 192.168.1.101 and is
 * acknowledged. `atproof analyze --net NET.pcap UART.pcapng` has every
 * SKSND to match to its segment; `tshark -q -z conv,tcp` reads NET.pcap.
 */

#define PAYLOAD 512
#define MOD_IP  0xc0a80165u  /* 192.168.1.101, the module */
#define SRV_IP  0xc0a80164u  /* 192.168.1.100, the peer */
#define MOD_PORT 50000
#define SRV_PORT 8080

static unsigned char pkt[14 + 20 + 20 + PAYLOAD];

static void
be16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void
be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t
sum16(const unsigned char *p, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)(p[len - 1] << 8);
	return s;
}

static unsigned
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

/* One Ethernet/IPv4/TCP packet with @len payload bytes (already in place). */
static int
put_tcp(FILE *f, uint64_t ts, int from_module, uint32_t seq, uint32_t ack,
    unsigned flags, size_t len)
{
	unsigned char *ip = pkt + 14, *tcp = pkt + 34, hdr[16], ph[12];
	uint32_t src = from_module ? MOD_IP : SRV_IP, dst = from_module ? SRV_IP : MOD_IP;
	size_t total = 14 + 20 + 20 + len;
	static unsigned id;

	memset(pkt, 0, 14 + 20 + 20);
	memcpy(pkt, from_module ? "\x02\x00\x00\x00\x00\x64" : "\x28\x6d\xcd\x00\x4e\x7d", 6);
	memcpy(pkt + 6, from_module ? "\x28\x6d\xcd\x00\x4e\x7d" : "\x02\x00\x00\x00\x00\x64", 6);
	be16(pkt + 12, 0x0800);
	ip[0] = 0x45;
	be16(ip + 2, (unsigned)(20 + 20 + len));
	be16(ip + 4, id++ & 0xffff);
	ip[6] = 0x40;              /* don't fragment */
	ip[8] = 64;
	ip[9] = 6;
	be32(ip + 12, src);
	be32(ip + 16, dst);
	be16(ip + 10, fold(sum16(ip, 20, 0)));
	be16(tcp, from_module ? MOD_PORT : SRV_PORT);
	be16(tcp + 2, from_module ? SRV_PORT : MOD_PORT);
	be32(tcp + 4, seq);
	be32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = (unsigned char)flags;
	be16(tcp + 14, 5840);
	be32(ph, src);
	be32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = 6;
	be16(ph + 10, (unsigned)(20 + len));
	be16(tcp + 16, fold(sum16(tcp, 20 + len, sum16(ph, 12, 0))));
	le32(hdr, (uint32_t)(ts / 1000000));
	le32(hdr + 4, (uint32_t)(ts % 1000000));
	le32(hdr + 8, (uint32_t)total);
	le32(hdr + 12, (uint32_t)total);
	if (fwrite(hdr, 1, 16, f) != 16 || fwrite(pkt, 1, total, f) != total)
		return -1;
	return 0;
}

static int
put_rec(struct atp_pcapng_writer *w, uint64_t ts, enum atp_dir dir, const void *p,
    size_t len)
{
	struct atp_diag d;
	struct atp_rec r;

	memset(&r, 0, sizeof(r));
	r.ts_us = ts;
	r.dir = dir;
	r.bytes = atp_span_make(p, len);
	atp_diag_clear(&d);
	if (atp_pcapng_write(w, 0, &r, &d) != ATP_OK) {
		fprintf(stderr, "netgen: %s\n", d.msg);
		return -1;
	}
	return 0;
}

static int
put_str(struct atp_pcapng_writer *w, uint64_t ts, enum atp_dir dir, const char *s)
{
	return put_rec(w, ts, dir, s, strlen(s));
}

int
main(int argc, char **argv)
{
	static const unsigned char ghdr[24] = {
		0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff, 0, 0, 1, 0, 0, 0,   /* snaplen 65535, Ethernet */
	};
	struct atp_pcapng_writer *w;
	struct atp_diag d;
	uint64_t mib = 0, ts = 1700000000000000ull, size = 24, n = 0;
	uint32_t mseq = 1000, sseq = 5000;
	char line[64];
	FILE *f;
	int rc = 1;

	if (argc != 4 || atp_span_dec(atp_span_str(argv[3]), &mib, 1u << 20) != 0 || mib == 0) {
		fprintf(stderr, "usage: netgen NET.pcap UART.pcapng M\n");
		return 2;
	}
	f = fopen(argv[1], "wb");
	if (f == NULL) {
		perror(argv[1]);
		return 1;
	}
	atp_diag_clear(&d);
	if (atp_pcapng_open(argv[2], NULL, &w, &d) != ATP_OK) {
		fprintf(stderr, "netgen: %s\n", d.msg);
		fclose(f);
		return 1;
	}
	if (fwrite(ghdr, 1, sizeof(ghdr), f) != sizeof(ghdr))
		goto out;
	/* The connection: SKCT on the UART, the handshake on the network. */
	if (put_str(w, ts, ATP_DIR_TO_MODULE, "AT+SKCT=0,0,192.168.1.100,8080\r") != 0 ||
	    put_tcp(f, ts + 100, 1, mseq, 0, 0x02, 0) != 0 ||
	    put_tcp(f, ts + 200, 0, sseq, mseq + 1, 0x12, 0) != 0 ||
	    put_tcp(f, ts + 300, 1, mseq + 1, sseq + 1, 0x10, 0) != 0 ||
	    put_str(w, ts + 400, ATP_DIR_FROM_MODULE, "+OK=1\r\n\r\n") != 0)
		goto out;
	mseq++;
	sseq++;
	ts += 1000;
	while (size < mib << 20) {
		size_t i;

		for (i = 0; i < PAYLOAD; i++)
			pkt[54 + i] = (unsigned char)(n * 131 + i * 7);
		snprintf(line, sizeof(line), "AT+SKSND=1,%d\r", PAYLOAD);
		if (put_str(w, ts, ATP_DIR_TO_MODULE, line) != 0)
			goto out;
		snprintf(line, sizeof(line), "+OK=%d\r\n\r\n", PAYLOAD);
		if (put_str(w, ts + 100, ATP_DIR_FROM_MODULE, line) != 0 ||
		    put_rec(w, ts + 200, ATP_DIR_TO_MODULE, pkt + 54, PAYLOAD) != 0)
			goto out;
		/* put_tcp() rebuilds the headers in front of the payload. */
		if (put_tcp(f, ts + 300, 1, mseq, sseq, 0x18, PAYLOAD) != 0 ||
		    put_tcp(f, ts + 400, 0, sseq, mseq + PAYLOAD, 0x10, 0) != 0)
			goto out;
		mseq += PAYLOAD;
		size += 2 * (16 + 54) + PAYLOAD;
		ts += 1000;
		n++;
	}
	if (put_str(w, ts, ATP_DIR_TO_MODULE, "AT+SKCLS=1\r") != 0 ||
	    put_tcp(f, ts + 100, 1, mseq, sseq, 0x11, 0) != 0 ||
	    put_tcp(f, ts + 200, 0, sseq, mseq + 1, 0x11, 0) != 0 ||
	    put_tcp(f, ts + 300, 1, mseq + 1, sseq + 1, 0x10, 0) != 0 ||
	    put_str(w, ts + 400, ATP_DIR_FROM_MODULE, "+OK\r\n\r\n") != 0)
		goto out;
	rc = 0;
	printf("sends %llu\n", (unsigned long long)n);
out:
	if (fclose(f) != 0 && rc == 0) {
		perror(argv[1]);
		rc = 1;
	}
	if (atp_pcapng_close(w, &d) != ATP_OK && rc == 0) {
		fprintf(stderr, "netgen: %s\n", d.msg);
		rc = 1;
	}
	return rc;
}
