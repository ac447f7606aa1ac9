/* SPDX-License-Identifier: MIT */
/* \summary: network captures: link layers, IPv4/IPv6, TCP reassembly per direction, UDP */
/* libpcap's headers use the BSD types (u_int, u_char). */
#define _DEFAULT_SOURCE 1
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "analyzer/net.h"
#include "atproof/alloc.h"

/*
 * libpcap gives the packets; everything after the link header is parsed
 * here through the bounded cursor, since a capture is untrusted input.
 * TCP is reassembled per direction on 64-bit stream offsets (sequence
 * numbers unwrapped near the next expected byte); retransmitted bytes are
 * delivered once; a hole that out-of-order data cannot fill within the
 * ceilings of net.h becomes a gap the correlator counts as unknown bytes.
 */

#define HASH_SLOTS (2u * NET_FLOWS_MAX)

/* Link types not always in old headers. */
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

struct net_seg {
	struct net_seg *next;
	uint64_t off;
	uint64_t ts;
	size_t len;
	uint8_t data[];
};

struct ana_pcap {
	pcap_t *pc;
	FILE *f;
	int dlt;
	struct ana_net_cb cb;
	struct ana_net_stats st;
	struct ana_flow **flows;     /* by first sight */
	size_t nflows, capflows;
	uint32_t *hash;              /* index + 1 into flows, 0 empty */
	size_t ooo_total;
	struct ana_flow *last;       /* the flow of the previous packet */
	char *iobuf;                 /* the FILE's buffer, freed after it */
};

/* libpcap reads each record with two freads: a large stdio buffer saves
 * the read calls of the default 4 KiB one (a quarter of the time on a
 * large capture). */
#define IOBUF_SIZE (1u << 20)

void
ana_ep_str(const struct ana_ep *e, char *buf, size_t size)
{
	if (!e->v6) {
		snprintf(buf, size, "%u.%u.%u.%u:%u", e->ip[0], e->ip[1], e->ip[2], e->ip[3], e->port);
		return;
	}
	snprintf(buf, size, "[%x:%x:%x:%x:%x:%x:%x:%x]:%u",
	    (unsigned)(e->ip[0] << 8 | e->ip[1]), (unsigned)(e->ip[2] << 8 | e->ip[3]),
	    (unsigned)(e->ip[4] << 8 | e->ip[5]), (unsigned)(e->ip[6] << 8 | e->ip[7]),
	    (unsigned)(e->ip[8] << 8 | e->ip[9]), (unsigned)(e->ip[10] << 8 | e->ip[11]),
	    (unsigned)(e->ip[12] << 8 | e->ip[13]), (unsigned)(e->ip[14] << 8 | e->ip[15]), e->port);
}

static int
ep_eq(const struct ana_ep *a, const struct ana_ep *b)
{
	return a->port == b->port && a->v6 == b->v6 && memcmp(a->ip, b->ip, 16) == 0;
}

static uint32_t
ep_hash(uint32_t h, const struct ana_ep *e)
{
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ e->ip[i]) * 16777619u;
	h = (h ^ (uint32_t)(e->port & 0xff)) * 16777619u;
	return (h ^ (uint32_t)(e->port >> 8)) * 16777619u;
}

/* The same hash for both directions of a flow. */
static uint32_t
flow_hash(int proto, const struct ana_ep *a, const struct ana_ep *b)
{
	uint32_t x = ep_hash(2166136261u, a), y = ep_hash(2166136261u, b);

	return (x ^ y) * 2654435761u + (uint32_t)proto;
}

/* The flow of a packet from @src to @dst; *dir says which way. NULL when
 * the table is full (or out of memory) and @create. */
static struct ana_flow *
flow_get(struct ana_pcap *pc, int proto, const struct ana_ep *src, const struct ana_ep *dst,
    int create, uint64_t ts, int *dir)
{
	uint32_t h;
	struct ana_flow *fl = pc->last;

	/* A capture is mostly runs of one connection's packets. */
	if (fl != NULL && fl->proto == proto) {
		if (ep_eq(&fl->cli, src) && ep_eq(&fl->srv, dst)) {
			*dir = 0;
			return fl;
		}
		if (ep_eq(&fl->cli, dst) && ep_eq(&fl->srv, src)) {
			*dir = 1;
			return fl;
		}
	}
	h = flow_hash(proto, src, dst) % HASH_SLOTS;
	for (;;) {
		uint32_t k = pc->hash[h];
		if (k == 0)
			break;
		fl = pc->flows[k - 1];
		if (fl->proto == proto && ep_eq(&fl->cli, src) && ep_eq(&fl->srv, dst)) {
			*dir = 0;
			return pc->last = fl;
		}
		if (fl->proto == proto && ep_eq(&fl->cli, dst) && ep_eq(&fl->srv, src)) {
			*dir = 1;
			return pc->last = fl;
		}
		h = (h + 1) % HASH_SLOTS;
	}
	if (!create)
		return NULL;
	if (pc->nflows >= NET_FLOWS_MAX) {
		pc->st.flows_dropped++;
		return NULL;
	}
	if (pc->nflows == pc->capflows) {
		size_t nc = pc->capflows ? pc->capflows * 2 : 64;
		struct ana_flow **nf = atp_realloc(pc->flows, nc * sizeof(*nf));
		if (nf == NULL)
			return NULL;
		pc->flows = nf;
		pc->capflows = nc;
	}
	fl = atp_calloc(1, sizeof(*fl));
	if (fl == NULL)
		return NULL;
	fl->proto = proto;
	fl->cli = *src;
	fl->srv = *dst;
	fl->ts_first = ts;
	pc->flows[pc->nflows++] = fl;
	pc->hash[h] = (uint32_t)pc->nflows;
	pc->st.flows++;
	*dir = 0;
	if (pc->cb.open != NULL)
		pc->cb.open(pc->cb.ctx, fl);
	return pc->last = fl;
}

/* TCP reassembly */

static void
deliver(struct ana_pcap *pc, struct ana_flow *fl, int dir, uint64_t off, const uint8_t *p,
    size_t len, uint64_t ts)
{
	struct net_tdir *t = &fl->d[dir];

	if (off + len <= t->next || len == 0)
		return;
	if (off < t->next) {
		p += t->next - off;
		len -= (size_t)(t->next - off);
		off = t->next;
	}
	fl->bytes[dir] += len;
	t->next = off + len;
	if (pc->cb.data != NULL)
		pc->cb.data(pc->cb.ctx, fl, dir, off, p, len, ts);
}

/* Out-of-order segments that now fit are delivered. */
static void
drain(struct ana_pcap *pc, struct ana_flow *fl, int dir)
{
	struct net_tdir *t = &fl->d[dir];

	while (t->ooo != NULL && t->ooo->off <= t->next) {
		struct net_seg *s = t->ooo;
		t->ooo = s->next;
		t->ooo_bytes -= s->len;
		pc->ooo_total -= s->len;
		deliver(pc, fl, dir, s->off, s->data, s->len, s->ts);
		atp_free(s);
	}
}

/* The hole before the first waiting segment is given up on. */
static void
skip_hole(struct ana_pcap *pc, struct ana_flow *fl, int dir)
{
	struct net_tdir *t = &fl->d[dir];

	if (t->ooo == NULL || t->ooo->off <= t->next)
		return;
	fl->gaps[dir]++;
	fl->gap_bytes[dir] += t->ooo->off - t->next;
	if (pc->cb.gap != NULL)
		pc->cb.gap(pc->cb.ctx, fl, dir, t->next, t->ooo->off - t->next);
	t->next = t->ooo->off;
	drain(pc, fl, dir);
}

static void
stash(struct ana_pcap *pc, struct ana_flow *fl, int dir, uint64_t off, const uint8_t *p,
    size_t len, uint64_t ts)
{
	struct net_tdir *t = &fl->d[dir];
	struct net_seg **pp, *s;

	while (t->ooo != NULL && (t->ooo_bytes + len > NET_OOO_DIR ||
	    pc->ooo_total + len > NET_OOO_TOTAL))
		skip_hole(pc, fl, dir);
	if (off <= t->next) {
		deliver(pc, fl, dir, off, p, len, ts);
		drain(pc, fl, dir);
		return;
	}
	if (len > NET_OOO_DIR || pc->ooo_total + len > NET_OOO_TOTAL ||
	    (s = atp_malloc(sizeof(*s) + len)) == NULL) {
		fl->dropped[dir]++;
		return;
	}
	s->off = off;
	s->len = len;
	s->ts = ts;
	memcpy(s->data, p, len);
	for (pp = &t->ooo; *pp != NULL && (*pp)->off <= off; pp = &(*pp)->next)
		;
	s->next = *pp;
	*pp = s;
	t->ooo_bytes += len;
	pc->ooo_total += len;
}

static void
tcp_segment(struct ana_pcap *pc, const struct ana_ep *src, const struct ana_ep *dst,
    uint32_t seq, uint8_t fl8, const uint8_t *p, size_t len, uint64_t ts)
{
	int syn = (fl8 & 0x02) != 0, ack = (fl8 & 0x10) != 0;
	int dir = 0;
	struct ana_flow *fl;
	struct net_tdir *t;
	uint64_t off;
	uint32_t rel;

	fl = flow_get(pc, 6, src, dst, 0, ts, &dir);
	if (fl == NULL) {
		/* A SYN-ACK first: its receiver is the client. */
		if (syn && ack)
			fl = flow_get(pc, 6, dst, src, 1, ts, &dir), dir = 1;
		else
			fl = flow_get(pc, 6, src, dst, 1, ts, &dir);
		if (fl == NULL)
			return;
		if (!syn)
			fl->flags |= NET_F_NOSYN;
	}
	fl->ts_last = ts;
	fl->pkts[dir]++;
	t = &fl->d[dir];
	if (syn) {
		if (!ack && dir == 0) {
			fl->flags |= NET_F_SYN;
			fl->ts_syn = ts;
		} else if (ack && dir == 1) {
			fl->flags |= NET_F_SYNACK;
			fl->ts_synack = ts;
		}
		if (!t->init) {
			t->init = 1;
			t->base = seq + 1;
		}
		seq++;
	}
	if (fl8 & 0x04) {
		fl->flags |= NET_F_RST;
		fl->ts_end = ts;
	}
	if (fl8 & 0x01) {
		fl->flags |= dir == 0 ? NET_F_FIN0 : NET_F_FIN1;
		fl->ts_end = ts;
	}
	if (len == 0)
		return;
	if (!t->init) {
		t->init = 1;
		t->base = seq;
	}
	/* Unwrap: the 64-bit offset nearest the next expected one. */
	rel = seq - t->base;
	off = (t->next & ~(uint64_t)0xffffffffu) | rel;
	if (off > t->next + 0x80000000u && off >= 0x100000000u)
		off -= 0x100000000u;
	else if (off + 0x80000000u < t->next)
		off += 0x100000000u;
	stash(pc, fl, dir, off, p, len, ts);
}

static void
udp_datagram(struct ana_pcap *pc, const struct ana_ep *src, const struct ana_ep *dst,
    const uint8_t *p, size_t len, uint64_t ts)
{
	int dir = 0;
	struct ana_flow *fl = flow_get(pc, 17, src, dst, 1, ts, &dir);

	if (fl == NULL)
		return;
	fl->ts_last = ts;
	fl->bytes[dir] += len;
	if (pc->cb.data != NULL)
		pc->cb.data(pc->cb.ctx, fl, dir, fl->pkts[dir], p, len, ts);
	fl->pkts[dir]++;
}

/* Layers */

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
transport(struct ana_pcap *pc, int proto, struct ana_ep *src, struct ana_ep *dst,
    const uint8_t *p, size_t len, uint64_t ts)
{
	if (proto == 6) {
		size_t hl;
		if (len < 20 || (hl = (size_t)(p[12] >> 4) * 4) < 20 || hl > len) {
			pc->st.bad++;
			return;
		}
		pc->st.tcp++;
		src->port = be16(p);
		dst->port = be16(p + 2);
		tcp_segment(pc, src, dst, be32(p + 4), p[13], p + hl, len - hl, ts);
	} else if (proto == 17) {
		size_t ul;
		if (len < 8 || (ul = be16(p + 4)) < 8) {
			pc->st.bad++;
			return;
		}
		pc->st.udp++;
		src->port = be16(p);
		dst->port = be16(p + 2);
		/* A datagram cut by the snap length keeps what was captured. */
		udp_datagram(pc, src, dst, p + 8, (ul < len ? ul : len) - 8, ts);
	} else {
		pc->st.other++;
	}
}

static void
ip_packet(struct ana_pcap *pc, const uint8_t *p, size_t len, uint64_t ts)
{
	struct ana_ep src, dst;

	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	if (len < 1) {
		pc->st.bad++;
		return;
	}
	if ((p[0] >> 4) == 4) {
		size_t hl = (size_t)(p[0] & 15) * 4, tl;
		if (len < 20 || hl < 20 || hl > len) {
			pc->st.bad++;
			return;
		}
		pc->st.ip++;
		tl = be16(p + 2);
		if (tl < hl) {
			pc->st.bad++;
			return;
		}
		if (tl < len)
			len = tl;   /* Ethernet padding */
		if ((be16(p + 6) & 0x3fff) != 0) {
			/* Fragments are not reassembled (the module's MSS keeps
			 * its segments whole). */
			pc->st.fragments++;
			return;
		}
		memcpy(src.ip, p + 12, 4);
		memcpy(dst.ip, p + 16, 4);
		transport(pc, p[9], &src, &dst, p + hl, len - hl, ts);
	} else if ((p[0] >> 4) == 6) {
		size_t off = 40, pl;
		int nh;
		if (len < 40) {
			pc->st.bad++;
			return;
		}
		pc->st.ip++;
		pl = be16(p + 4);
		if (40 + pl < len)
			len = 40 + pl;
		nh = p[6];
		/* Hop-by-hop, routing, destination options: skipped. */
		while (nh == 0 || nh == 43 || nh == 60) {
			size_t el;
			if (off + 8 > len) {
				pc->st.bad++;
				return;
			}
			el = ((size_t)p[off + 1] + 1) * 8;
			nh = p[off];
			if (off + el > len) {
				pc->st.bad++;
				return;
			}
			off += el;
		}
		if (nh == 44) {
			pc->st.fragments++;
			return;
		}
		src.v6 = dst.v6 = 1;
		memcpy(src.ip, p + 8, 16);
		memcpy(dst.ip, p + 24, 16);
		transport(pc, nh, &src, &dst, p + off, len - off, ts);
	} else {
		pc->st.other++;
	}
}

static void
ether(struct ana_pcap *pc, uint16_t type, const uint8_t *p, size_t len, uint64_t ts)
{
	while ((type == 0x8100 || type == 0x88a8) && len >= 4) {
		type = be16(p + 2);
		p += 4;
		len -= 4;
	}
	if (type == 0x0800 || type == 0x86dd)
		ip_packet(pc, p, len, ts);
	else
		pc->st.other++;
}

void
ana_pcap_packet(struct ana_pcap *pc, uint64_t ts, const uint8_t *p, size_t caplen, size_t len)
{
	pc->st.packets++;
	pc->st.bytes += caplen;
	if (caplen < len)
		pc->st.truncated++;
	switch (pc->dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			break;
		ether(pc, be16(p + 12), p + 14, caplen - 14, ts);
		return;
	case DLT_LINUX_SLL:
		if (caplen < 16)
			break;
		ether(pc, be16(p + 14), p + 16, caplen - 16, ts);
		return;
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			break;
		ether(pc, be16(p), p + 20, caplen - 20, ts);
		return;
	case DLT_NULL:
	case DLT_LOOP:
		if (caplen < 4)
			break;
		ip_packet(pc, p + 4, caplen - 4, ts);
		return;
	default:
		/* DLT_RAW, DLT_IPV4, DLT_IPV6 */
		ip_packet(pc, p, caplen, ts);
		return;
	}
	pc->st.bad++;
}

static int
dlt_ok(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 ||
	    dlt == DLT_RAW || dlt == 12 || dlt == 14 || dlt == DLT_IPV4 || dlt == DLT_IPV6 ||
	    dlt == DLT_NULL || dlt == DLT_LOOP;
}

int
ana_pcap_new(int dlt, const struct ana_net_cb *cb, struct ana_pcap **out)
{
	struct ana_pcap *pc = atp_calloc(1, sizeof(*pc));

	*out = NULL;
	if (pc == NULL)
		return ATP_ERR_NOMEM;
	pc->hash = atp_calloc(HASH_SLOTS, sizeof(*pc->hash));
	if (pc->hash == NULL) {
		atp_free(pc);
		return ATP_ERR_NOMEM;
	}
	pc->dlt = dlt;
	pc->st.linktype = dlt;
	if (cb != NULL)
		pc->cb = *cb;
	*out = pc;
	return ATP_OK;
}

int
ana_pcap_open(FILE *f, const struct ana_net_cb *cb, struct ana_pcap **out, struct atp_diag *d)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	char *iobuf;
	int rc, dlt;

	*out = NULL;
	err[0] = '\0';
	iobuf = atp_malloc(IOBUF_SIZE);
	if (iobuf != NULL && setvbuf(f, iobuf, _IOFBF, IOBUF_SIZE) != 0) {
		atp_free(iobuf);
		iobuf = NULL;
	}
	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, err);
	if (p == NULL) {
		fclose(f);
		atp_free(iobuf);
		return atp_diag_set(d, ATP_ERR_SYNTAX, "not a capture libpcap reads: %s", err);
	}
	dlt = pcap_datalink(p);
	if (!dlt_ok(dlt)) {
		pcap_close(p);
		atp_free(iobuf);
		return atp_diag_set(d, ATP_ERR_UNSUPP, "link type %d is not decoded (Ethernet, "
		    "Linux cooked SLL/SLL2, raw IP, loopback)", dlt);
	}
	if ((rc = ana_pcap_new(dlt, cb, out)) != ATP_OK) {
		pcap_close(p);
		atp_free(iobuf);
		return atp_diag_set(d, rc, "out of memory");
	}
	(*out)->pc = p;
	(*out)->iobuf = iobuf;
	return ATP_OK;
}

void
ana_pcap_flush(struct ana_pcap *pc)
{
	size_t i;
	int dir;

	for (i = 0; i < pc->nflows; i++)
		for (dir = 0; dir < 2; dir++)
			while (pc->flows[i]->d[dir].ooo != NULL)
				skip_hole(pc, pc->flows[i], dir);
}

int
ana_pcap_run(struct ana_pcap *pc, struct atp_diag *d)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int r;

	while ((r = pcap_next_ex(pc->pc, &h, &data)) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		ana_pcap_packet(pc, ts, data, h->caplen, h->len);
	}
	ana_pcap_flush(pc);
	if (r == PCAP_ERROR)
		return atp_diag_set(d, ATP_ERR_SYNTAX, "capture cut or corrupt after %lu packets: %s",
		    pc->st.packets, pcap_geterr(pc->pc));
	return ATP_OK;
}

const struct ana_net_stats *
ana_pcap_stats(const struct ana_pcap *pc)
{
	return &pc->st;
}

size_t
ana_pcap_nflows(const struct ana_pcap *pc)
{
	return pc->nflows;
}

struct ana_flow *
ana_pcap_flow(const struct ana_pcap *pc, size_t i)
{
	return i < pc->nflows ? pc->flows[i] : NULL;
}

void
ana_pcap_close(struct ana_pcap *pc)
{
	size_t i;
	int dir;

	if (pc == NULL)
		return;
	for (i = 0; i < pc->nflows; i++) {
		for (dir = 0; dir < 2; dir++) {
			struct net_seg *s = pc->flows[i]->d[dir].ooo;
			while (s != NULL) {
				struct net_seg *nx = s->next;
				atp_free(s);
				s = nx;
			}
		}
		atp_free(pc->flows[i]);
	}
	atp_free(pc->flows);
	atp_free(pc->hash);
	if (pc->pc != NULL)
		pcap_close(pc->pc);
	atp_free(pc->iobuf);         /* after the FILE pcap_close closed */
	atp_free(pc);
}
