/* SPDX-License-Identifier: MIT */
/* \summary: correlation of the UART session with a network capture: sockets, MQTT, clocks */
#define _DEFAULT_SOURCE 1         /* pread, st_mtim */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <jansson.h>

#include "analyzer/ana.h"
#include "analyzer/net.h"
#include "atproof/alloc.h"
#include "atproof/profile.h"

/*
 * The UART side arrives first (the session decoder runs over every input
 * before the capture is read) and is kept per socket life: each AT+SKCT
 * answered +OK opens a "uconn" that collects what the host gave AT+SKSND
 * and what the module delivered in +SKTRPT and SKRCV data, each piece with
 * its source line. Those bytes are kept in memory up to UBUF_MAX in all;
 * past that, a side's bytes go on in blocks to one temporary file (the
 * UART side is complete before the first packet is read, so it cannot be
 * compared as it comes). SKSND payload read from a pcapng or pcap file is
 * not copied at all: where it is in the file is kept, and it is read from
 * there again (ana_net_sent_ref()). The capture is then read once; a flow is tied to
 * a uconn when it opens (the k-th AT+SKCT to port P is the k-th connection
 * to P: the emulator and real networks may map the address, the port
 * stays), and a tied flow's bytes are aligned with the UART's as they
 * arrive (§5.3 of analyzer-anchors.md: by offset, resynchronising on
 * content where a byte went missing): only the wire's bytes not yet
 * decided stay, a window of WIN_NEED, so a stream of any length is
 * compared byte for byte in bounded memory. The alignment names bytes
 * acknowledged but never sent, bytes on the wire never reported, and
 * gives the pairs of times that bound the offset between the two clocks.
 */

#define CONN_BUF_MAX (4u << 20)  /* an HTTPC or MQTT stream, parsed whole */
#define STORE_MAX (32u << 20)    /* all of those kept: with the reassembly's
                                    16 MiB and the flow table, --net stays
                                    under 100 MB (issue 8) */
#define UBUF_MAX (8u << 20)      /* UART bytes in memory, all sides */
#define WBUF_MAX (32u << 20)     /* the wire's windows, all sides */
#define UCONN_MAX 4096
#define SEGTS_MAX 65536u
#define MQ_MAX 4096
#define MQ_TEXT 256
#define RESYNC_WIN (64u << 10)
#define RESYNC_KEY 8u
#define ANN_MAX RESYNC_WIN       /* an +SKTRPT length matched as LUAT's cut */
/* The wire's bytes a decision other than "they match" waits for: the
 * resync window, its key and an announced span. */
#define WIN_NEED (RESYNC_WIN + RESYNC_KEY + ANN_MAX)
#define RWIN (2 * RESYNC_WIN + 2 * RESYNC_KEY)   /* read from the file at once */
#define CBLK 64                                 /* pieces stored as a block */
#define CENC_MAX 128                            /* a piece's bytes at most */
#define CWIN (2 * CBLK * CENC_MAX)              /* read at once, of pieces */
#define EXCERPT 64               /* bytes of a range kept for its message */
#define RANGES_MAX 4
#define TL_MAX 400

#define R_NET_SENT_MISSING "net-sent-missing"
#define R_NET_SENT_EXTRA   "net-sent-extra"
#define R_NET_RECV_UNREP   "net-recv-unreported"
#define R_NET_RECV_PHANTOM "net-recv-phantom"
#define R_NET_NO_CONN      "net-no-connection"
#define R_NET_CONN_REFUSED "net-connect-refused"
#define R_NET_GAP          "net-capture-gap"
#define R_NET_ORDER        "net-order"
#define R_NET_CLOCK        "net-clock"
#define R_NET_MQTT         "net-mqtt-unmatched"
#define R_NET_INPUT        "net-input"
#define R_NET_DNS          "net-dns-mismatch"
#define DNS_MAX 256
#define HTTP_MAX 256
#define R_NET_HTTP         "net-http-mismatch"

struct sbuf {
	uint8_t *p;
	size_t len, cap;
	uint64_t over;               /* bytes past CONN_BUF_MAX, not kept */
};

/* A side's UART bytes, in stream order, as extents: each runs from its
 * soff to the next one's (the last to total), and is in the side's memory
 * (p: up to UBUF_MAX over all sides), in the temporary file, or in a UART
 * input, where the decoder found it (kept by reference: never copied).
 * at is the kind (top 16 bits) and the offset in the memory, the file or
 * the input; r is a read window over what is not in memory. */
#define K_MEM 0u
#define K_SPILL 1u
#define K_SRC 2u                 /* + the input's index in ana_net.src */
#define FOFF_BITS 48
#define FOFF_MASK ((UINT64_C(1) << FOFF_BITS) - 1)
#define EXT_MAX (1u << 20)       /* extents of all sides: 24 MiB */
#define EXT_SPARE (1u << 16)     /* of which copies may take the last */
#define SRC_MAX 8
#define SRC_SPANS 4              /* an input's spans read: one per side read
                                    at once, each from its own place */
#define SRC_SPAN (512u << 10)    /* an input is read again by this much */

struct ublk {
	uint64_t soff;
	uint64_t at;
	/* A run: pieces of len bytes, one every step bytes of the input (a
	 * capture's SKSND records, all alike); len 0: one piece. */
	uint32_t len, step;
};

struct ustore {
	uint8_t *p;
	size_t len, cap;
	uint64_t total;
	struct ublk *b;
	size_t nb, capb;
	size_t mem_first;            /* no K_MEM extent before it */
	size_t hint;                 /* the extent us_view() found last */
	uint8_t *r;
	size_t rlen;
	uint64_t rbase;
	uint64_t over;               /* bytes that could not be kept */
};

/* A UART input read again (ana_net_sent_ref()). */
struct nsrc {
	struct ana_src id;
	char *path;
	int fd;                      /* -1: its bytes are copied */
	int bad;                     /* it changed, or a read failed */
	uint8_t *span[SRC_SPANS];
	uint64_t sbase[SRC_SPANS];
	size_t slen[SRC_SPANS];
	unsigned long sused[SRC_SPANS];
	unsigned long tick;
};

/* What the capture cut from the UART side (ana_net_cut()). */
struct ncut {
	uint64_t len;                /* bytes cut from the record; 0: not known */
	unsigned long line;          /* the record's */
	uint64_t off;
};

struct chunk {
	uint64_t off, len;           /* in the side's UART stream */
	uint64_t announced;          /* +SKTRPT's length (0: len) */
	uint64_t hole;               /* SKSND bytes the capture cut, before these */
	struct ana_loc at;
	int cont;                    /* the same SKSND, after a hole */
	int cut;                     /* the capture cut bytes of it */
	struct ncut cutat;
};

struct segts {
	uint64_t off, ts;
};

struct range {
	uint64_t off, len;
	size_t chunk;
	uint8_t ex[EXCERPT];         /* its first bytes, for the message */
	size_t exn;
};

struct side {
	struct ustore u;             /* UART: sent, or reported */
	uint64_t utotal;             /* its bytes, kept or not */
	struct ustore cs;            /* its pieces (chunk_put()) but the last, */
	struct chunk last;           /* which may still grow */
	size_t nc;
	uint64_t *ci;                /* where each block of pieces starts */
	size_t nci, capci, nenc;
	struct chunk prev;           /* the piece stored last */
	struct chunk *cd;            /* a block decoded: CBLK pieces, */
	size_t cd_blk, cd_n;         /* 1 + its number (0: none), its pieces */
	size_t npay, nbad;           /* SKSND payloads or deliveries; of which
	                                bytes did not match */
	struct segts *uh;            /* the first TL_MAX pieces' lengths (off)
	                                and times, for the timeline */
	size_t nuh, capuh;
	struct sbuf w;               /* the wire: a socket's window from wbase
	                                on, an HTTPC or MQTT stream whole */
	uint64_t wbase, wall;        /* wall: the wire's bytes so far */
	struct segts *ts;            /* the first segments (timeline, MQTT) */
	size_t nts, capts;
	struct segts *ws;            /* the segments of the window */
	size_t nws, capws;
	/* the alignment, as the wire comes */
	size_t k;                    /* the chunk being aligned, */
	struct chunk cur;            /* a copy */
	int pay_bad;                 /* bytes of its payload did not match */
	uint64_t i, j;               /* offsets reached, UART and wire */
	uint64_t hole;               /* wire bytes of a hole still to pass */
	int in_chunk, first, ann_done;
	int broken;                  /* the store failed: nothing more judged */
	/* results */
	uint64_t matched, uart_only, wire_only, truncated;
	uint64_t unverified;         /* not judged: the capture cut them */
	struct range miss[RANGES_MAX], extra[RANGES_MAX];
	size_t nmiss, nextra;
};

struct uconn {
	long sock;
	int udp, server, open, mqtt;
	/* A TCP server's accepted connection: the index of its listening
	 * uconn (SIZE_MAX: not known, any listener), and the peer the module
	 * named in +SKTRPT (port 0: not named). */
	int accepted;
	size_t parent;
	char peer[48];
	uint64_t peer_port;
	unsigned long naccepted;     /* a listener's connections tied */
	int refused;                 /* a SYN to the port that was reset: none */
	size_t peer_cur;             /* a UDP server's: 1 + the uconn of the peer
	                                its last +SKTRPT named (0: none yet) */
	int flip;                    /* the module is the flow's server side */
	size_t lis[4];               /* an accepted socket's possible servers: */
	size_t nlis;                 /* those listening when it came (0: any) */
	struct uconn *twin;          /* the other end of a connection to the
	                                module's own server (both its sockets) */
	size_t http;                 /* 1 + index of its AT+HTTPC, 0: none */
	char host[64];
	uint64_t rport;
	struct ana_loc at;
	struct ana_flow *fl;
	struct ana_ep cli, srv;      /* copied: the flow dies with the reader */
	unsigned flags;
	uint64_t ts_syn, ts_synack;
	unsigned long gaps;
	uint64_t gap_bytes;
	struct side s[2];            /* 0: module to peer (SKSND), 1: peer to module */
};

struct mq {
	enum ana_mq kind;
	char a[MQ_TEXT], b[MQ_TEXT];
	size_t alen, blen;
	struct ana_loc at;
	int matched;
	uint64_t wire_ts;
};

struct wpub {                    /* a PUBLISH or SUBSCRIBE on the wire */
	int dir, type;
	char topic[MQ_TEXT], payload[MQ_TEXT];
	size_t tlen, plen;
	uint64_t ts;
	int matched;
};

struct dnsq {                    /* AT+SKGHBN=<host> answered +OK="<ip>" */
	char host[128], ip[48];
	struct ana_loc at;
	int seen, ok;
	char got[48];                /* the answer's first address, or rcode */
	uint64_t ts;
};

struct httpq {                   /* AT+HTTPC answered +OK */
	char url[256], host[64], path[192], post[128];
	size_t plen;
	uint64_t port;
	int verb;                    /* 0 GET, 2 POST, 3 PUT */
	struct ana_loc at;
	struct sbuf body;            /* +HTTPCRPT data */
	size_t uc;                   /* its connection, SIZE_MAX: none */
	int status;                  /* the wire's status code, 0: none */
	char request[96];            /* the wire's request line */
	int req_ok, body_ok;
};

#define PEND_MAX 64

struct pend_flow {               /* a flow whose accepted socket waits */
	struct ana_flow *fl;
	size_t l;
	int flip;
};

struct ana_net {
	struct ana_report *rep;
	struct pend_flow pend[PEND_MAX];
	size_t npend;
	struct httpq *http;
	size_t nhttp;
	struct dnsq dns[DNS_MAX];
	size_t ndns;
	int luat;
	struct uconn *uc;
	size_t nuc;
	struct uconn *cur[64];       /* the open uconn of each socket number */
	struct mq *mq;
	size_t nmq;
	uint64_t mqtt_port;
	char mqtt_id[MQ_TEXT];
	struct wpub *wp;
	size_t nwp, capwp;
	int read;
	char path[256];
	struct ana_net_stats st;
	int64_t lo, hi;              /* bounds of (network clock - UART clock), µs */
	int has_lo, has_hi;
	unsigned long pairs;
	int64_t offset;
	size_t stored;
	size_t ubytes;               /* UART bytes in memory (ustore caps) */
	size_t wbytes;               /* the sockets' wire windows */
	int spill, has_spill;        /* the file of UART bytes past UBUF_MAX */
	uint64_t spill_end;
	size_t next;                 /* extents of all stores */
	struct nsrc src[SRC_MAX];
	size_t nsrc;
	int oom, ioerr;
	const char *srcerr;          /* an input that could not be read again */
};

/* Buffers */

/* Room for @need bytes in *@p (at most @max: @need is within it). */
static int
grow(struct ana_net *n, uint8_t **p, size_t *cap, size_t need, size_t max)
{
	size_t nc = *cap ? *cap : 1024;
	uint8_t *np;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	if (nc > max)
		nc = max;
	np = atp_realloc(*p, nc);
	if (np == NULL) {
		n->oom = 1;
		return -1;
	}
	*p = np;
	*cap = nc;
	return 0;
}

static void
sb_put(struct ana_net *n, struct sbuf *b, const uint8_t *p, size_t len)
{
	if (b->len + len > CONN_BUF_MAX || n->stored + len > STORE_MAX) {
		size_t k = CONN_BUF_MAX - b->len;
		if (k > STORE_MAX - n->stored)
			k = STORE_MAX - n->stored;
		if (k > len)
			k = len;
		b->over += len - k;
		len = k;
	}
	if (len == 0)
		return;
	if (grow(n, &b->p, &b->cap, b->len + len, CONN_BUF_MAX) != 0) {
		b->over += len;
		return;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	n->stored += len;
}

/* The UART bytes of a side (struct ustore). */

static uint64_t
us_total(const struct ustore *s)
{
	return s->total;
}

static unsigned
blk_kind(const struct ublk *b)
{
	return (unsigned)(b->at >> FOFF_BITS);
}

static uint64_t
blk_foff(const struct ublk *b)
{
	return b->at & FOFF_MASK;
}

static uint64_t
blk_end(const struct ustore *s, size_t i)
{
	return i + 1 < s->nb ? s->b[i + 1].soff : s->total;
}

/* @len bytes at @foff of @kind go at the end of the stream: the last
 * extent grows when they follow it there, else a new one (while fewer
 * than @max are in all stores). */
static int
blk_add(struct ana_net *n, struct ustore *s, unsigned kind, uint64_t foff, uint64_t len,
    size_t max)
{
	if (s->nb > 0) {
		struct ublk *l = &s->b[s->nb - 1];
		uint64_t have = s->total - l->soff;
		if (blk_kind(l) == kind && l->len == 0 && blk_foff(l) + have == foff) {
			s->total += len;
			return 0;
		}
		/* An input's pieces alike and evenly spaced: one run. */
		if (blk_kind(l) == kind && kind >= K_SRC && l->len == 0 && have == len &&
		    len <= UINT32_MAX &&
		    foff > blk_foff(l) + have && foff - blk_foff(l) <= UINT32_MAX) {
			l->len = (uint32_t)len;
			l->step = (uint32_t)(foff - blk_foff(l));
			s->total += len;
			return 0;
		}
		if (blk_kind(l) == kind && l->len != 0 && len == l->len &&
		    foff == blk_foff(l) + have / l->len * l->step) {
			s->total += len;
			return 0;
		}
	}
	if (n->next >= max || foff > FOFF_MASK)
		return -1;
	if (s->nb == s->capb) {
		size_t nc = s->capb ? s->capb * 2 : 16;
		struct ublk *b = atp_realloc(s->b, nc * sizeof(*b));
		if (b == NULL) {
			n->oom = 1;
			return -1;
		}
		s->b = b;
		s->capb = nc;
	}
	s->b[s->nb].soff = s->total;
	s->b[s->nb].at = (uint64_t)kind << FOFF_BITS | foff;
	s->b[s->nb].len = 0;
	s->b[s->nb].step = 0;
	s->nb++;
	n->next++;
	s->total += len;
	return 0;
}

/* The temporary file, in $TMPDIR (else /tmp), gone from the directory at
 * once (tmpfile(3) would ignore TMPDIR). */
static int
spill_open(void)
{
	const char *dir = getenv("TMPDIR");
	char path[512];
	int fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/atproof-net-XXXXXX", dir) >= sizeof(path))
		return -1;
	fd = mkstemp(path);
	if (fd >= 0)
		(void)unlink(path);
	return fd;
}

/* @len bytes at @off of @fd read into @rd, or (@rd NULL) written from
 * @wr: 0, or -1 (an error, or the file ends before them). */
static int
pio_all(int fd, uint8_t *rd, const uint8_t *wr, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t k = rd != NULL ? pread(fd, rd, len, (off_t)off) :
		    pwrite(fd, wr, len, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		if (rd != NULL)
			rd += k;
		else
			wr += k;
		len -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

/* The side's bytes in memory go to the end of the temporary file, their
 * extents with them, and their buffer is given back. */
static int
us_spill(struct ana_net *n, struct ustore *s)
{
	size_t i;

	if (!n->has_spill) {
		if ((n->spill = spill_open()) < 0) {
			n->ioerr = 1;
			return -1;
		}
		n->has_spill = 1;
	}
	if (pio_all(n->spill, NULL, s->p, s->len, n->spill_end) != 0) {
		n->ioerr = 1;
		return -1;
	}
	for (i = s->mem_first; i < s->nb; i++)
		if (blk_kind(&s->b[i]) == K_MEM)
			s->b[i].at = (uint64_t)K_SPILL << FOFF_BITS | (blk_foff(&s->b[i]) + n->spill_end);
	s->mem_first = s->nb;
	n->spill_end += s->len;
	s->len = 0;
	n->ubytes -= s->cap;
	atp_free(s->p);
	s->p = NULL;
	s->cap = 0;
	return 0;
}

/* A copy of @len bytes at @p. */
static void
us_put(struct ana_net *n, struct ustore *s, const uint8_t *p, size_t len)
{
	while (len > 0 && s->over == 0) {
		size_t k;
		/* Memory first, while all sides' stay under UBUF_MAX. */
		if (s->len > 0 && (s->len == UBUF_MAX || n->ubytes > UBUF_MAX)) {
			if (us_spill(n, s) != 0)
				break;
		}
		k = UBUF_MAX - s->len < len ? UBUF_MAX - s->len : len;
		n->ubytes -= s->cap;
		k = grow(n, &s->p, &s->cap, s->len + k, UBUF_MAX) == 0 ? k : 0;
		n->ubytes += s->cap;
		if (k == 0 || blk_add(n, s, K_MEM, s->len, k, EXT_MAX) != 0)
			break;
		memcpy(s->p + s->len, p, k);
		s->len += k;
		p += k;
		len -= k;
	}
	/* Past a failure the stream's offsets would be wrong: the rest is
	 * not kept at all, and not judged. */
	s->over += len;
}

/* The same bytes, @p, being those at @foff of input @src: where they are
 * is kept, or, past EXT_MAX - EXT_SPARE extents, a copy. */
static void
us_put_ref(struct ana_net *n, struct ustore *s, size_t src, uint64_t foff, const uint8_t *p,
    size_t len)
{
	if (s->over > 0 || len == 0) {
		s->over += len;
		return;
	}
	if (blk_add(n, s, K_SRC + (unsigned)src, foff, len, EXT_MAX - EXT_SPARE) != 0)
		us_put(n, s, p, len);
}

static int
src_same(const struct stat *st, const struct ana_src *id)
{
	return (uint64_t)st->st_dev == id->dev && (uint64_t)st->st_ino == id->ino &&
	    (uint64_t)st->st_size == id->size && (int64_t)st->st_mtim.tv_sec == id->mtime_s &&
	    (int64_t)st->st_mtim.tv_nsec == id->mtime_ns;
}

/* The index of input @id, opened again read-only; SIZE_MAX when its bytes
 * are to be copied (not the file that was decoded, no room). */
static size_t
src_get(struct ana_net *n, const struct ana_src *id)
{
	struct nsrc *x;
	struct stat st;
	size_t i;

	for (i = 0; i < n->nsrc; i++) {
		x = &n->src[i];
		if (x->id.dev == id->dev && x->id.ino == id->ino && x->id.size == id->size &&
		    x->id.mtime_s == id->mtime_s && x->id.mtime_ns == id->mtime_ns)
			return x->fd >= 0 ? i : SIZE_MAX;
	}
	if (n->nsrc == SRC_MAX || id->path == NULL)
		return SIZE_MAX;
	x = &n->src[n->nsrc++];
	x->id = *id;
	x->fd = -1;
	x->path = atp_strdup(id->path);
	x->id.path = x->path;
	if (x->path == NULL)
		return SIZE_MAX;
	x->fd = open(id->path, O_RDONLY | O_CLOEXEC);
	if (x->fd >= 0 && (fstat(x->fd, &st) != 0 || !src_same(&st, id))) {
		close(x->fd);
		x->fd = -1;
	}
	return x->fd >= 0 ? n->nsrc - 1 : SIZE_MAX;
}

/* @len bytes at @foff of input @i into @dst, from one of its spans, read
 * again (from @foff on) when none holds them: 0, or -1 when the file is
 * no longer the one decoded or ends before them. */
static int
src_read(struct ana_net *n, size_t i, uint64_t foff, uint8_t *dst, size_t len)
{
	struct nsrc *x = &n->src[i];
	struct stat st;
	size_t k, pick = 0;

	if (x->bad)
		return -1;
	x->tick++;
	for (k = 0; k < SRC_SPANS; k++) {
		if (x->span[k] != NULL && foff >= x->sbase[k] && foff - x->sbase[k] <= x->slen[k] &&
		    len <= x->slen[k] - (foff - x->sbase[k])) {
			memcpy(dst, x->span[k] + (foff - x->sbase[k]), len);
			x->sused[k] = x->tick;
			return 0;
		}
		if (x->sused[k] < x->sused[pick])
			pick = k;
	}
	/* Each new span: the file must still be the one decoded. */
	if (fstat(x->fd, &st) != 0 || !src_same(&st, &x->id) || foff > x->id.size ||
	    len > x->id.size - foff)
		goto bad;
	if (len >= SRC_SPAN) {
		if (pio_all(x->fd, dst, NULL, len, foff) != 0)
			goto bad;
		return 0;
	}
	if (x->span[pick] == NULL && (x->span[pick] = atp_malloc(SRC_SPAN)) == NULL) {
		n->oom = 1;
		return -1;
	}
	x->slen[pick] = 0;
	k = x->id.size - foff < SRC_SPAN ? (size_t)(x->id.size - foff) : SRC_SPAN;
	if (pio_all(x->fd, x->span[pick], NULL, k, foff) != 0)
		goto bad;
	x->sbase[pick] = foff;
	x->slen[pick] = k;
	x->sused[pick] = x->tick;
	memcpy(dst, x->span[pick], len);
	return 0;
bad:
	x->bad = 1;
	n->srcerr = x->path;
	return -1;
}

/* Extent @b's bytes from @foff on into @dst. */
static int
blk_read(struct ana_net *n, const struct ustore *s, const struct ublk *b, uint64_t foff,
    uint8_t *dst, size_t len)
{
	unsigned kind = blk_kind(b);

	if (kind == K_MEM) {
		memcpy(dst, s->p + foff, len);
		return 0;
	}
	if (kind == K_SPILL) {
		if (pio_all(n->spill, dst, NULL, len, foff) != 0) {
			n->ioerr = 1;
			return -1;
		}
		return 0;
	}
	return src_read(n, kind - K_SRC, foff, dst, len);
}

/* The extent that holds stream offset @off (< total). */
static size_t
blk_find(struct ustore *s, uint64_t off)
{
	size_t lo = 0, hi = s->nb, h = s->hint;

	/* Read in order, mostly: the last one, or the next. */
	if (h < s->nb && s->b[h].soff <= off && off < blk_end(s, h))
		return h;
	if (h + 1 < s->nb && s->b[h + 1].soff <= off && off < blk_end(s, h + 1))
		return s->hint = h + 1;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (s->b[mid].soff <= off)
			lo = mid;
		else
			hi = mid;
	}
	return s->hint = lo;
}

/* Bytes [@off, ...) of the stream, contiguous: *@avail of them, at least
 * min(@win / 2, what is left) (0 at the end, or when a file cannot be
 * read); @win is the read window's size, the same for a store each time.
 * The window is filled extent by extent, an input's from spans of
 * SRC_SPAN read at once (its records are in stream order). */
static const uint8_t *
us_view(struct ana_net *n, struct ustore *s, uint64_t off, size_t win, size_t *avail)
{
	uint64_t total = s->total, pos;
	size_t fill = 0, i;

	*avail = 0;
	if (off >= total)
		return NULL;
	i = blk_find(s, off);
	if (blk_kind(&s->b[i]) == K_MEM) {
		uint64_t e = blk_end(s, i);
		if (e == total || e - off >= win / 2) {
			*avail = (size_t)(e - off);
			return s->p + blk_foff(&s->b[i]) + (off - s->b[i].soff);
		}
	}
	if (s->r != NULL && off >= s->rbase && off < s->rbase + s->rlen &&
	    (s->rbase + s->rlen == total || s->rbase + s->rlen - off >= win / 2)) {
		*avail = (size_t)(s->rbase + s->rlen - off);
		return s->r + (off - s->rbase);
	}
	if (s->r == NULL && (s->r = atp_malloc(win)) == NULL) {
		n->oom = 1;
		return NULL;
	}
	/* What the window holds from @off on is not read again. */
	if (s->rlen > 0 && off >= s->rbase && off < s->rbase + s->rlen) {
		fill = (size_t)(s->rbase + s->rlen - off);
		memmove(s->r, s->r + (off - s->rbase), fill);
	}
	s->rbase = off;
	s->rlen = 0;
	for (pos = off + fill; fill < win && pos < total;) {
		size_t want = win - fill;
		uint64_t e;
		const struct ublk *b;
		uint64_t foff, in;
		i = blk_find(s, pos);
		b = &s->b[i];
		e = blk_end(s, i);
		in = pos - b->soff;
		foff = blk_foff(b) + in;
		if (b->len != 0) {
			/* Within a run: to the end of its piece. */
			foff = blk_foff(b) + in / b->len * b->step + in % b->len;
			e = pos + (b->len - in % b->len);
		}
		if (want > e - pos)
			want = (size_t)(e - pos);
		if (blk_read(n, s, b, foff, s->r + fill, want) != 0)
			return NULL;
		fill += want;
		pos += want;
	}
	s->rlen = fill;
	*avail = fill;
	return s->r;
}

/* The read window goes (a store read again later gets a new one). */
static void
us_unwin(struct ustore *s)
{
	atp_free(s->r);
	s->r = NULL;
	s->rlen = 0;
}

static void
us_free(struct ana_net *n, struct ustore *s)
{
	n->ubytes -= s->cap;
	n->next -= s->nb;
	atp_free(s->p);
	atp_free(s->b);
	atp_free(s->r);
	memset(s, 0, sizeof(*s));
}

int
ana_net_new(struct ana_report *rep, int luat, struct ana_net **out)
{
	struct ana_net *n = atp_calloc(1, sizeof(*n));

	*out = NULL;
	if (n == NULL)
		return ATP_ERR_NOMEM;
	n->uc = atp_calloc(UCONN_MAX, sizeof(*n->uc));
	n->mq = atp_calloc(MQ_MAX, sizeof(*n->mq));
	n->http = atp_calloc(HTTP_MAX, sizeof(*n->http));
	if (n->uc == NULL || n->mq == NULL || n->http == NULL) {
		ana_net_free(n);
		return ATP_ERR_NOMEM;
	}
	n->rep = rep;
	n->luat = luat;
	*out = n;
	return ATP_OK;
}

void
ana_net_free(struct ana_net *n)
{
	size_t i;
	int k;

	if (n == NULL)
		return;
	for (i = 0; n->uc != NULL && i < n->nuc; i++)
		for (k = 0; k < 2; k++) {
			us_free(n, &n->uc[i].s[k].u);
			us_free(n, &n->uc[i].s[k].cs);
			atp_free(n->uc[i].s[k].ci);
			atp_free(n->uc[i].s[k].cd);
			atp_free(n->uc[i].s[k].uh);
			atp_free(n->uc[i].s[k].w.p);
			atp_free(n->uc[i].s[k].ts);
			atp_free(n->uc[i].s[k].ws);
		}
	for (i = 0; n->http != NULL && i < n->nhttp; i++)
		atp_free(n->http[i].body.p);
	atp_free(n->http);
	atp_free(n->uc);
	atp_free(n->mq);
	atp_free(n->wp);
	if (n->has_spill)
		close(n->spill);
	for (i = 0; i < n->nsrc; i++) {
		for (k = 0; k < SRC_SPANS; k++)
			atp_free(n->src[i].span[k]);
		if (n->src[i].fd >= 0)
			close(n->src[i].fd);
		atp_free(n->src[i].path);
	}
	atp_free(n);
}

/* UART side */

static struct uconn *
sock_cur(struct ana_net *n, long sock)
{
	return sock >= 0 && sock < 64 ? n->cur[sock] : NULL;
}

void
ana_net_skct(struct ana_net *n, long sock, int udp, int server, struct atp_span host,
    uint64_t rport, const struct ana_loc *at)
{
	struct uconn *u;

	if (n->nuc == UCONN_MAX || sock < 0 || sock >= 64)
		return;
	u = &n->uc[n->nuc++];
	u->sock = sock;
	u->udp = udp;
	u->server = server;
	u->open = 1;
	/* A server's host field is its idle timeout (§2.2.3.10): no host. */
	if (server)
		host = atp_span_make(NULL, 0);
	snprintf(u->host, sizeof(u->host), "%.*s", (int)(host.len < 63 ? host.len : 63),
	    host.p != NULL ? (const char *)host.p : "");
	u->rport = rport;
	u->at = *at;
	u->parent = SIZE_MAX;
	n->cur[sock] = u;
}

/* An open TCP listener, the newest (SIZE_MAX: none). */
static size_t
listener(const struct ana_net *n)
{
	size_t i, pick = SIZE_MAX;

	for (i = 0; i < n->nuc; i++) {
		const struct uconn *u = &n->uc[i];
		if (u->server && !u->udp && u->sock >= 0 && n->cur[u->sock] == u)
			pick = i;
	}
	return pick;
}

/* Socket @sock names no socket life of the host's: while a TCP server
 * listens, it is one of the connections it accepted (§2.2.3.13: they take
 * numbers of their own, which the host learns from +SKTRPT or SKSTT). */
static struct uconn *
accepted(struct ana_net *n, long sock, const struct ana_loc *at)
{
	size_t l = listener(n), i, open = 0;
	struct uconn *u;

	if (l == SIZE_MAX || n->nuc == UCONN_MAX || sock < 0 || sock >= 64)
		return NULL;
	for (i = 0; i < n->nuc; i++)
		open += n->uc[i].server && !n->uc[i].udp && n->uc[i].sock >= 0 &&
		    n->cur[n->uc[i].sock] == &n->uc[i];
	u = &n->uc[n->nuc++];
	u->sock = sock;
	u->open = 1;
	u->accepted = 1;
	/* With two servers listening, any of them may have accepted it: the
	 * capture says which (the port its client's SYN went to). */
	u->parent = open == 1 ? l : SIZE_MAX;
	u->rport = open == 1 ? n->uc[l].rport : 0;
	for (i = 0; open > 1 && open <= 4 && i < n->nuc; i++)
		if (n->uc[i].server && !n->uc[i].udp && n->uc[i].sock >= 0 &&
		    n->cur[n->uc[i].sock] == &n->uc[i])
			u->lis[u->nlis++] = i;
	snprintf(u->host, sizeof(u->host), "%s", "");
	u->at = *at;
	n->cur[sock] = u;
	return u;
}

/* A UDP server's datagrams come from any peer and it answers the last
 * one (§2.2.3.10; the emulator's choice, firmware §3): each peer its
 * +SKTRPT names gets a uconn of its own, which the data that follows and
 * the SKSNDs after it go to, until another peer is named. */
static void
udp_peer(struct ana_net *n, struct uconn *srv, struct atp_span ip, uint64_t port,
    const struct ana_loc *at)
{
	size_t i, l = (size_t)(srv - n->uc);
	struct uconn *c;

	for (i = 0; i < n->nuc; i++) {
		c = &n->uc[i];
		if (c->accepted && c->udp && c->parent == l && c->peer_port == port &&
		    strlen(c->peer) == ip.len && (ip.len == 0 || memcmp(c->peer, ip.p, ip.len) == 0)) {
			srv->peer_cur = i + 1;
			return;
		}
	}
	if (n->nuc == UCONN_MAX || ip.len >= sizeof(c->peer))
		return;
	c = &n->uc[n->nuc++];
	c->sock = srv->sock;
	c->udp = 1;
	c->open = 1;
	c->accepted = 1;
	c->parent = l;
	c->rport = srv->rport;
	snprintf(c->peer, sizeof(c->peer), "%.*s", (int)ip.len, (const char *)ip.p);
	snprintf(c->host, sizeof(c->host), "%s", c->peer);
	c->peer_port = port;
	c->at = *at;
	srv->peer_cur = n->nuc;
}

/* The uconn socket @sock's bytes go to: a UDP server's current peer. */
static struct uconn *
sock_data(struct ana_net *n, long sock, const struct ana_loc *at)
{
	struct uconn *u = sock_cur(n, sock);

	if (u == NULL)
		return accepted(n, sock, at);
	if (u->server && u->udp && u->peer_cur != 0)
		return &n->uc[u->peer_cur - 1];
	return u;
}

void
ana_net_peer(struct ana_net *n, long sock, struct atp_span ip, uint64_t port,
    const struct ana_loc *at)
{
	struct uconn *u = sock_cur(n, sock);

	if (ip.len >= 2 && ip.p[0] == '"' && ip.p[ip.len - 1] == '"')
		ip = atp_span_make(ip.p + 1, ip.len - 2);
	if (u != NULL && u->server && u->udp) {
		udp_peer(n, u, ip, port, at);
		return;
	}
	/* Another peer on an accepted socket's number: the module freed the
	 * number when the last client left and gave it to a new one. */
	if (u != NULL && u->accepted && u->peer_port != 0 && (u->peer_port != port ||
	    strlen(u->peer) != ip.len || (ip.len > 0 && memcmp(u->peer, ip.p, ip.len) != 0))) {
		n->cur[sock] = NULL;
		u = NULL;
	}
	if (u == NULL)
		u = accepted(n, sock, at);
	if (u == NULL || !u->accepted || u->peer_port != 0)
		return;
	snprintf(u->peer, sizeof(u->peer), "%.*s", (int)(ip.len < 47 ? ip.len : 47),
	    (const char *)ip.p);
	snprintf(u->host, sizeof(u->host), "%s", u->peer);
	u->peer_port = port;
}

void
ana_net_skcls(struct ana_net *n, long sock)
{
	if (sock >= 0 && sock < 64)
		n->cur[sock] = NULL;
}

static int seg_add(struct ana_net *n, struct segts **t, size_t *nt, size_t *cap, uint64_t off,
    uint64_t ts);

/* Pieces are stored in blocks of CBLK, each piece as the differences from
 * the one before it in its block, in varints (12 bytes or so where a copy
 * took 104): 400,000 SKSNDs stay in memory. ci holds where each block
 * starts; cd is the block last decoded. */

static void
vput(uint8_t **q, uint64_t v)
{
	while (v >= 0x80) {
		*(*q)++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*(*q)++ = (uint8_t)v;
}

/* A difference, either way (zigzag). */
static void
vput_d(uint8_t **q, uint64_t a, uint64_t b)
{
	uint64_t d = a - b;

	vput(q, (d << 1) ^ (uint64_t)-(int64_t)(d >> 63));
}

/* 0, or -1 when the varint runs past @end or is too long. */
static int
vget(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	unsigned sh = 0;

	*v = 0;
	while (*p < end && sh < 64) {
		uint8_t b = *(*p)++;
		*v |= (uint64_t)(b & 0x7f) << sh;
		if (b < 0x80)
			return 0;
		sh += 7;
	}
	return -1;
}

static int
vget_d(const uint8_t **p, const uint8_t *end, uint64_t base, uint64_t *v)
{
	uint64_t z;

	if (vget(p, end, &z) != 0)
		return -1;
	*v = base + ((z >> 1) ^ (uint64_t)-(int64_t)(z & 1));
	return 0;
}

enum { CF_TIMED = 1, CF_CONT = 2, CF_CUT = 4, CF_FILE = 8, CF_CUTAT = 16 };

/* The last piece to the store: a new block every CBLK. */
static void
chunk_put(struct ana_net *n, struct side *sd, const struct chunk *c)
{
	static const struct chunk zero;
	const struct chunk *p = sd->nenc % CBLK == 0 ? &zero : &sd->prev;
	uint8_t buf[CENC_MAX], *q = buf;
	uint64_t f = 0;

	if (sd->nenc % CBLK == 0) {
		if (sd->nci == sd->capci) {
			size_t nc = sd->capci ? sd->capci * 2 : 16;
			uint64_t *ci = atp_realloc(sd->ci, nc * sizeof(*ci));
			if (ci == NULL) {
				/* Nothing more is kept (nor judged). */
				n->oom = 1;
				sd->cs.over++;
				sd->nenc++;
				return;
			}
			sd->ci = ci;
			sd->capci = nc;
		}
		sd->ci[sd->nci++] = us_total(&sd->cs);
	}
	f |= c->at.timed ? CF_TIMED : 0;
	f |= c->cont ? CF_CONT : 0;
	f |= c->cut ? CF_CUT : 0;
	f |= c->at.file != p->at.file ? CF_FILE : 0;
	f |= c->cutat.len != 0 || c->cutat.line != 0 || c->cutat.off != 0 ? CF_CUTAT : 0;
	vput(&q, f);
	vput_d(&q, c->off, p->off + p->len);
	vput(&q, c->len);
	vput(&q, c->announced);
	vput(&q, c->hole);
	vput_d(&q, c->at.line, p->at.line);
	vput_d(&q, c->at.off, p->at.off);
	vput_d(&q, c->at.ts, p->at.ts);
	if (f & CF_FILE) {
		memcpy(q, &c->at.file, sizeof(c->at.file));
		q += sizeof(c->at.file);
	}
	if (f & CF_CUTAT) {
		vput(&q, c->cutat.len);
		vput(&q, c->cutat.line);
		vput(&q, c->cutat.off);
	}
	us_put(n, &sd->cs, buf, (size_t)(q - buf));
	sd->prev = *c;
	sd->nenc++;
}

/* Block @b of the side's pieces into sd->cd: 0, or -1. */
static int
chunk_block(struct ana_net *n, struct side *sd, size_t b)
{
	static const struct chunk zero;
	const struct chunk *p = &zero;
	const uint8_t *v, *end;
	size_t avail, i, cnt;

	if (sd->cd_blk == b + 1)
		return 0;
	sd->cd_blk = 0;
	if (b >= sd->nci)
		return -1;
	if (sd->cd == NULL && (sd->cd = atp_malloc(CBLK * sizeof(*sd->cd))) == NULL) {
		n->oom = 1;
		return -1;
	}
	v = us_view(n, &sd->cs, sd->ci[b], CWIN, &avail);
	if (v == NULL)
		return -1;
	end = v + avail;
	cnt = sd->nenc - b * CBLK < CBLK ? sd->nenc - b * CBLK : CBLK;
	for (i = 0; i < cnt; p = &sd->cd[i++]) {
		struct chunk *c = &sd->cd[i];
		uint64_t f, line, timed;
		memset(c, 0, sizeof(*c));
		/* The store's end before a piece's: those after it could not
		 * be kept (ustore.over). */
		if (vget(&v, end, &f) != 0 || vget_d(&v, end, p->off + p->len, &c->off) != 0 ||
		    vget(&v, end, &c->len) != 0 || vget(&v, end, &c->announced) != 0 ||
		    vget(&v, end, &c->hole) != 0 || vget_d(&v, end, p->at.line, &line) != 0 ||
		    vget_d(&v, end, p->at.off, &c->at.off) != 0 ||
		    vget_d(&v, end, p->at.ts, &c->at.ts) != 0)
			break;
		c->at.line = (unsigned long)line;
		timed = f & CF_TIMED;
		c->at.timed = timed != 0;
		c->cont = (f & CF_CONT) != 0;
		c->cut = (f & CF_CUT) != 0;
		c->at.file = p->at.file;
		if (f & CF_FILE) {
			if ((size_t)(end - v) < sizeof(c->at.file))
				break;
			memcpy(&c->at.file, v, sizeof(c->at.file));
			v += sizeof(c->at.file);
		}
		if (f & CF_CUTAT) {
			if (vget(&v, end, &c->cutat.len) != 0 || vget(&v, end, &line) != 0 ||
			    vget(&v, end, &c->cutat.off) != 0)
				break;
			c->cutat.line = (unsigned long)line;
		}
	}
	sd->cd_n = i;
	sd->cd_blk = b + 1;
	return 0;
}

/* Piece @k of a side: the last from memory, the others from the store
 * (0, or -1 with *@out zero when it cannot be read). */
static int
chunk_get(struct ana_net *n, struct side *sd, size_t k, struct chunk *out)
{
	memset(out, 0, sizeof(*out));
	if (k >= sd->nc)
		return -1;
	if (k + 1 == sd->nc) {
		*out = sd->last;
		return 0;
	}
	if (chunk_block(n, sd, k / CBLK) != 0 || k % CBLK >= sd->cd_n)
		return -1;
	*out = sd->cd[k % CBLK];
	return 0;
}

/* The side's pieces are done with, but for their store. */
static void
chunk_unwin(struct side *sd)
{
	us_unwin(&sd->cs);
	atp_free(sd->cd);
	sd->cd = NULL;
	sd->cd_blk = 0;
}

/* A new piece; the last one goes to the store, which past UBUF_MAX is the
 * temporary file: a million SKSNDs cost no memory. */
static void
add_chunk(struct ana_net *n, struct side *sd, uint64_t announced, const struct ana_loc *at)
{
	if (sd->nc > 0)
		chunk_put(n, sd, &sd->last);
	memset(&sd->last, 0, sizeof(sd->last));
	sd->last.off = us_total(&sd->u);
	sd->last.announced = announced;
	sd->last.at = *at;
	sd->nc++;
	sd->npay++;
	if (sd->nuh < TL_MAX)
		(void)seg_add(n, &sd->uh, &sd->nuh, &sd->capuh, 0, at->ts);
}

/* @len bytes at @p, which are those at @foff of input @src (SIZE_MAX:
 * none, a copy is kept). */
static void
uart_bytes(struct ana_net *n, struct side *sd, uint64_t announced, const uint8_t *p, size_t len,
    int first, const struct ana_loc *at, size_t src, uint64_t foff)
{
	uint64_t before = us_total(&sd->u);

	if (first || sd->nc == 0)
		add_chunk(n, sd, announced, at);
	if (src != SIZE_MAX)
		us_put_ref(n, &sd->u, src, foff, p, len);
	else
		us_put(n, &sd->u, p, len);
	sd->utotal += len;
	if (sd->nc > 0 && sd->last.off + sd->last.len == before)
		sd->last.len += us_total(&sd->u) - before;
	if (sd->nc > 0 && sd->nc == sd->nuh)
		sd->uh[sd->nuh - 1].off = sd->last.len;
}

void
ana_net_sent(struct ana_net *n, long sock, const uint8_t *p, size_t len, int first,
    const struct ana_loc *at)
{
	struct uconn *u = sock_data(n, sock, at);

	if (u != NULL)
		uart_bytes(n, &u->s[0], 0, p, len, first, at, SIZE_MAX, 0);
}

void
ana_net_sent_ref(struct ana_net *n, long sock, const uint8_t *p, size_t len, int first,
    const struct ana_loc *at, const struct ana_src *src, uint64_t foff)
{
	struct uconn *u = sock_data(n, sock, at);

	if (u != NULL)
		uart_bytes(n, &u->s[0], 0, p, len, first, at, src != NULL ? src_get(n, src) : SIZE_MAX,
		    foff);
}

void
ana_net_recv(struct ana_net *n, long sock, uint64_t announced, const uint8_t *p, size_t len,
    int first, const struct ana_loc *at)
{
	struct uconn *u = sock_data(n, sock, at);

	if (u != NULL)
		uart_bytes(n, &u->s[1], announced, p, len, first, at, SIZE_MAX, 0);
}

void
ana_net_cut(struct ana_net *n, long sock, int dir, uint64_t hole, uint64_t cut_len,
    const struct ana_loc *cut_at)
{
	struct uconn *u = sock_data(n, sock, cut_at);
	struct side *sd;
	struct chunk *c;

	if (u == NULL || dir < 0 || dir > 1)
		return;
	sd = &u->s[dir];
	if (sd->nc == 0)
		return;
	c = &sd->last;
	if (dir == 0 && hole > 0) {
		/* The SKSND's bytes after the hole make a piece of their own,
		 * which the wire's bytes of the hole come before. */
		struct ana_loc at = c->at;
		add_chunk(n, sd, 0, &at);
		c->hole = hole;
		c->cont = 1;
		sd->npay--;
		if (sd->nuh == sd->nc)
			sd->nuh--;           /* the timeline has the SKSND once */
	}
	c->cut = 1;
	c->cutat.len = cut_len;
	c->cutat.line = cut_at->line;
	c->cutat.off = cut_at->off;
}

void
ana_net_dns(struct ana_net *n, struct atp_span host, struct atp_span ip, const struct ana_loc *at)
{
	struct dnsq *q;

	if (n->ndns == DNS_MAX)
		return;
	if (ip.len >= 2 && ip.p[0] == '"' && ip.p[ip.len - 1] == '"')
		ip = atp_span_make(ip.p + 1, ip.len - 2);
	q = &n->dns[n->ndns++];
	memset(q, 0, sizeof(*q));
	snprintf(q->host, sizeof(q->host), "%.*s", (int)(host.len < 127 ? host.len : 127),
	    (const char *)host.p);
	snprintf(q->ip, sizeof(q->ip), "%.*s", (int)(ip.len < 47 ? ip.len : 47), (const char *)ip.p);
	q->at = *at;
}

void
ana_net_httpc(struct ana_net *n, struct atp_span url, uint64_t verb, struct atp_span post,
    const struct ana_loc *at)
{
	struct httpq *h;
	const char *p, *e, *colon;
	uint64_t port = 80;

	if (n->nhttp == HTTP_MAX)
		return;
	h = &n->http[n->nhttp];
	memset(h, 0, sizeof(*h));
	snprintf(h->url, sizeof(h->url), "%.*s", (int)(url.len < 255 ? url.len : 255),
	    (const char *)url.p);
	/* http://host[:port][/path] */
	p = strstr(h->url, "://");
	p = p != NULL ? p + 3 : h->url;
	e = strchr(p, '/');
	if (e == NULL)
		e = p + strlen(p);
	colon = memchr(p, ':', (size_t)(e - p));
	if (colon != NULL && atp_span_dec(atp_span_make(colon + 1, (size_t)(e - colon - 1)), &port,
	    65535) != ATP_OK)
		return;
	snprintf(h->host, sizeof(h->host), "%.*s",
	    (int)((colon != NULL ? colon : e) - p < 63 ? (colon != NULL ? colon : e) - p : 63), p);
	snprintf(h->path, sizeof(h->path), "%s", *e != '\0' ? e : "/");
	h->port = port;
	h->verb = (int)verb;
	h->plen = post.len < sizeof(h->post) ? post.len : sizeof(h->post);
	if (h->plen > 0)
		memcpy(h->post, post.p, h->plen);
	h->at = *at;
	h->uc = SIZE_MAX;
	n->nhttp++;
}

void
ana_net_http_body(struct ana_net *n, const uint8_t *p, size_t len)
{
	if (n->nhttp > 0)
		sb_put(n, &n->http[n->nhttp - 1].body, p, len);
}

void
ana_net_mqtt(struct ana_net *n, enum ana_mq kind, struct atp_span a, struct atp_span b,
    const struct ana_loc *at)
{
	struct mq *m;
	uint64_t v;

	if (kind == ANA_MQ_SERVER) {
		if (atp_span_dec(a, &v, 65535) == ATP_OK)
			n->mqtt_port = v;
		return;
	}
	if (kind == ANA_MQ_ID) {
		snprintf(n->mqtt_id, sizeof(n->mqtt_id), "%.*s",
		    (int)(a.len < MQ_TEXT - 1 ? a.len : MQ_TEXT - 1), (const char *)a.p);
	}
	if (n->nmq == MQ_MAX)
		return;
	m = &n->mq[n->nmq++];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->alen = a.len < MQ_TEXT ? a.len : MQ_TEXT;
	m->blen = b.len < MQ_TEXT ? b.len : MQ_TEXT;
	if (m->alen > 0)
		memcpy(m->a, a.p, m->alen);
	if (m->blen > 0)
		memcpy(m->b, b.p, m->blen);
	m->at = *at;
	/* +MQD's topic is the +MTOPIC before it. */
	if (kind == ANA_MQ_DATA) {
		size_t i = n->nmq - 1;
		while (i > 0 && n->mq[i - 1].kind != ANA_MQ_TOPIC)
			i--;
		if (i > 0) {
			memcpy(m->a, n->mq[i - 1].b, n->mq[i - 1].blen);
			m->alen = n->mq[i - 1].blen;
		} else {
			m->alen = 0;
		}
	}
}

/* Capture side */

static int
ep_is(const struct ana_ep *e, const char *host)
{
	char buf[64], *colon;

	ana_ep_str(e, buf, sizeof(buf));
	colon = strrchr(buf, ':');
	if (colon != NULL)
		*colon = '\0';
	return strcmp(buf, host) == 0;
}

/* A flow to a port the module listened on (§2.2.3.10, cs=1): a TCP
 * connection is tied to the accepted socket whose +SKTRPT named its
 * client's port, else to the next one the host learned of by order; one
 * the host never learned of gets a uconn of its own, so that the bytes it
 * carried are named as never reported. A UDP server is tied to its first
 * flow. The module is the flow's server side (flip), unless the capture
 * began mid-connection and took the module for the client. */
/* Whether accepted socket @u may be one of listener @l's: its parent, or
 * one of the servers that listened when the host first heard of it. */
static int
may_be_of(const struct uconn *u, size_t l)
{
	size_t i;

	if (u->parent != SIZE_MAX || u->nlis == 0)
		return u->parent == l || u->parent == SIZE_MAX;
	for (i = 0; i < u->nlis; i++)
		if (u->lis[i] == l)
			return 1;
	return 0;
}

/* Accepted uconn @pick takes flow @fl of listener @l: the server is the
 * one whose port the connection went to, whatever was guessed before. */
static void
tie_accepted(struct ana_net *n, size_t pick, struct ana_flow *fl, size_t l, int flip)
{
	if (pick == SIZE_MAX) {
		if (n->nuc == UCONN_MAX)
			return;
		pick = n->nuc++;
		n->uc[pick].sock = -1;
		n->uc[pick].udp = fl->proto == 17;
		n->uc[pick].accepted = 1;
		n->uc[pick].at = n->uc[l].at;
		n->uc[pick].at.timed = 0;
		n->uc[pick].at.ts = 0;
	}
	n->uc[pick].parent = l;
	n->uc[pick].rport = n->uc[l].rport;
	n->uc[pick].flip = flip;
	n->uc[l].naccepted++;
	n->uc[pick].fl = fl;
	fl->user = &n->uc[pick];
}

/* A flow to a port the module listened on (§2.2.3.10, cs=1): the server
 * is the one whose port the client's SYN went to (the first packet's
 * sender taken for the client only when no SYN was seen). A TCP
 * connection is tied to the accepted socket whose +SKTRPT named its
 * client's port, else to the next one the host learned of by order; one
 * the host never learned of gets a uconn of its own, so that the bytes it
 * carried are named as never reported. When sockets of more than one
 * listening server are still free and unnamed, the flow waits for its
 * first bytes (pend_tie()). A UDP server is tied to its first flow. The
 * module is the flow's server side (flip), unless the capture began
 * mid-connection and took the module for the client. */
#define TIE_LATER (SIZE_MAX - 1)

static size_t
on_open_server(struct ana_net *n, struct ana_flow *fl)
{
	size_t i, l = SIZE_MAX, pick = SIZE_MAX, unknown = 0;
	int flip = 1, pass;

	for (pass = 0; pass < 2 && l == SIZE_MAX; pass++)
		for (i = 0; i < n->nuc && l == SIZE_MAX; i++) {
			const struct uconn *u = &n->uc[i];
			if (!u->server || u->udp != (fl->proto == 17))
				continue;
			if (pass == 0 && u->rport == fl->srv.port)
				l = i, flip = 1;
			else if (pass == 1 && u->rport == fl->cli.port &&
			    (fl->proto == 17 || (fl->flags & NET_F_NOSYN)))
				l = i, flip = 0;
		}
	if (l == SIZE_MAX)
		return SIZE_MAX;
	if (fl->proto == 17 && n->uc[l].peer_cur == 0) {
		/* No peer named: the server itself, with its first flow. */
		if (n->uc[l].fl != NULL)
			return SIZE_MAX;
		n->uc[l].flip = flip;
		return l;
	}
	{
		uint16_t peer = flip ? fl->cli.port : fl->srv.port;
		for (i = 0; i < n->nuc; i++) {
			const struct uconn *u = &n->uc[i];
			if (!u->accepted || u->fl != NULL || !may_be_of(u, l) ||
			    u->udp != (fl->proto == 17) || (u->udp && u->peer_port != peer))
				continue;
			if (u->peer_port == peer) {
				pick = i;
				break;
			}
			if (u->peer_port == 0 && u->parent == SIZE_MAX)
				unknown++;
			if (u->peer_port == 0 && pick == SIZE_MAX)
				pick = i;
		}
	}
	if (pick != SIZE_MAX && n->uc[pick].peer_port == 0 && unknown > 0 && n->npend < PEND_MAX) {
		n->pend[n->npend].fl = fl;
		n->pend[n->npend].l = l;
		n->pend[n->npend].flip = flip;
		n->npend++;
		return TIE_LATER;
	}
	tie_accepted(n, pick, fl, l, flip);
	return TIE_LATER;
}

/* A flow that waited (on_open_server()) is tied on its first bytes: to
 * the free accepted socket whose first UART bytes that direction are
 * these, else to the first by order (@p NULL: the capture ended). */
static struct uconn *
pend_tie(struct ana_net *n, struct ana_flow *fl, int dir, const uint8_t *p, size_t len)
{
	size_t k, i, first = SIZE_MAX, pick = SIZE_MAX;
	struct pend_flow pf;

	for (k = 0; k < n->npend && n->pend[k].fl != fl; k++)
		;
	if (k == n->npend)
		return NULL;
	pf = n->pend[k];
	n->pend[k] = n->pend[--n->npend];
	for (i = 0; i < n->nuc && pick == SIZE_MAX; i++) {
		struct uconn *u = &n->uc[i];
		struct ustore *us;
		const uint8_t *up;
		size_t ua;
		if (!u->accepted || u->fl != NULL || !may_be_of(u, pf.l) || u->peer_port != 0 ||
		    u->udp != (fl->proto == 17))
			continue;
		if (first == SIZE_MAX)
			first = i;
		if (p == NULL)
			break;
		us = &u->s[dir ^ pf.flip].u;
		up = us_view(n, us, 0, RWIN, &ua);
		if (up != NULL && len > 0 && memcmp(up, p, ua < len ? ua : len) == 0)
			pick = i;
	}
	tie_accepted(n, pick != SIZE_MAX ? pick : first, fl, pf.l, pf.flip);
	return fl->user;
}

/* Both ends of @fl on one address: a host talking to itself. */
static int
same_host(const struct ana_flow *fl)
{
	return fl->cli.v6 == fl->srv.v6 && memcmp(fl->cli.ip, fl->srv.ip, sizeof(fl->cli.ip)) == 0;
}

static void
on_open(void *ctx, struct ana_flow *fl)
{
	struct ana_net *n = ctx;
	size_t i, pick = SIZE_MAX;

	for (i = 0; i < n->nuc; i++) {
		struct uconn *u = &n->uc[i];
		if (u->fl != NULL || u->server || u->accepted || u->udp != (fl->proto == 17) ||
		    u->rport != fl->srv.port)
			continue;
		/* The address named, else the first by order (a mapped one). */
		if (ep_is(&fl->srv, u->host)) {
			pick = i;
			break;
		}
		if (pick == SIZE_MAX)
			pick = i;
	}
	if (pick != SIZE_MAX && fl->proto == 6 && same_host(fl)) {
		/* The module connected to its own server: both ends are its
		 * sockets. The client socket takes the flow as its client, the
		 * accepted one as its server (each socket's two directions are
		 * judged once; each byte on the wire so twice, as one's SKSND
		 * and as the other's report). Ties by port and order only: the
		 * bytes are the client's too. */
		struct uconn *cu = &n->uc[pick];
		size_t saved = n->npend;
		cu->fl = fl;
		fl->user = cu;
		n->npend = PEND_MAX;
		(void)on_open_server(n, fl);
		n->npend = saved;
		if (fl->user != cu && fl->user != NULL) {
			cu->twin = fl->user;
			cu->twin->twin = cu;
		}
		fl->user = cu;
		return;
	}
	if (pick == SIZE_MAX)
		pick = on_open_server(n, fl);
	if (pick == TIE_LATER)
		return;
	for (i = 0; pick == SIZE_MAX && fl->proto == 6 && i < n->nhttp && n->nuc < UCONN_MAX; i++) {
		/* AT+HTTPC's connection: the first to its port not yet taken. */
		if (n->http[i].uc != SIZE_MAX || n->http[i].port != fl->srv.port)
			continue;
		pick = n->nuc++;
		n->uc[pick].http = i + 1;
		n->uc[pick].sock = -1;
		n->uc[pick].rport = fl->srv.port;
		n->http[i].uc = pick;
	}
	if (pick == SIZE_MAX && fl->proto == 6 && n->mqtt_port != 0 && fl->srv.port == n->mqtt_port &&
	    n->nuc < UCONN_MAX) {
		/* An MQTT connection: its bytes are parsed after the read. */
		pick = n->nuc++;
		n->uc[pick].mqtt = 1;
		n->uc[pick].sock = -1;
		n->uc[pick].rport = fl->srv.port;
	}
	if (pick == SIZE_MAX)
		return;
	n->uc[pick].fl = fl;
	fl->user = &n->uc[pick];
}

/* A DNS name at @i of the message (RFC 1035 §4.1.4: labels, or a
 * pointer); @out gets it dotted. Returns the offset after the name in
 * place, or 0 when it does not parse. */
static size_t
dns_name(const uint8_t *m, size_t len, size_t i, char *out, size_t size)
{
	size_t o = 0, after = 0, hops = 0;

	out[0] = '\0';
	while (i < len) {
		size_t l = m[i];
		if ((l & 0xc0) == 0xc0) {
			if (i + 1 >= len || ++hops > 16)
				return 0;
			if (after == 0)
				after = i + 2;
			i = (l & 0x3f) << 8 | m[i + 1];
			continue;
		}
		if (l == 0) {
			if (o > 0)
				out[o - 1] = '\0';
			return after != 0 ? after : i + 1;
		}
		if (i + 1 + l > len || o + l + 1 >= size)
			return 0;
		memcpy(out + o, m + i + 1, l);
		o += l;
		out[o++] = '.';
		out[o] = '\0';
		i += 1 + l;
	}
	return 0;
}

static int
name_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (ATP_TOLOWER(*a) != ATP_TOLOWER(*b))
			return 0;
	return *a == *b;
}

/* A DNS response (§5.3): its question and A answers against SKGHBN. */
static void
dns_answer(struct ana_net *n, const uint8_t *m, size_t len, uint64_t ts)
{
	char qn[128], an[128], ip[48];
	size_t i, k, qd, ancount;
	unsigned rcode;
	struct dnsq *q = NULL;

	if (len < 12 || (m[2] & 0x80) == 0)
		return;
	rcode = m[3] & 15u;
	qd = (size_t)(m[4] << 8 | m[5]);
	ancount = (size_t)(m[6] << 8 | m[7]);
	if (qd != 1 || (i = dns_name(m, len, 12, qn, sizeof(qn))) == 0 || i + 4 > len)
		return;
	i += 4;
	for (k = 0; k < n->ndns; k++)
		if (!n->dns[k].seen && name_eq(n->dns[k].host, qn)) {
			q = &n->dns[k];
			break;
		}
	if (q == NULL)
		return;
	q->seen = 1;
	q->ts = ts;
	snprintf(q->got, sizeof(q->got), "rcode %u", rcode);
	for (k = 0; k < ancount && i < len; k++) {
		size_t rl;
		if ((i = dns_name(m, len, i, an, sizeof(an))) == 0 || i + 10 > len)
			return;
		rl = (size_t)(m[i + 8] << 8 | m[i + 9]);
		if (i + 10 + rl > len)
			return;
		if (m[i] == 0 && m[i + 1] == 1 && rl == 4) {
			snprintf(ip, sizeof(ip), "%u.%u.%u.%u", m[i + 10], m[i + 11], m[i + 12],
			    m[i + 13]);
			if (k == 0 || strncmp(q->got, "rcode", 5) == 0)
				snprintf(q->got, sizeof(q->got), "%s", ip);
			if (strcmp(ip, q->ip) == 0)
				q->ok = 1;
		}
		i += 10 + rl;
	}
}

/* The time the wire carried byte @off: the segment of @t that holds it. */
static uint64_t
seg_ts(const struct segts *t, size_t nt, uint64_t off)
{
	size_t lo = 0, hi = nt;

	if (nt == 0)
		return 0;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (t[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return t[lo].ts;
}

/* A stream kept whole (MQTT), and a socket's window. */
static uint64_t
wire_ts(const struct side *sd, uint64_t off)
{
	return seg_ts(sd->ts, sd->nts, off);
}

static uint64_t
win_ts(const struct side *sd, uint64_t off)
{
	return seg_ts(sd->ws, sd->nws, off);
}

/* Alignment */

/* A range of missing or extra bytes, merged with the last when it goes
 * on from it; @p its bytes (the first EXCERPT are kept). */
static void
note_range(struct range *r, size_t *nr, uint64_t off, uint64_t len, size_t chunk, const uint8_t *p,
    size_t plen)
{
	struct range *x;

	if (*nr > 0 && r[*nr - 1].off + r[*nr - 1].len == off && r[*nr - 1].chunk == chunk) {
		x = &r[*nr - 1];
		x->len += len;
	} else {
		if (*nr == RANGES_MAX)
			return;
		x = &r[(*nr)++];
		x->off = off;
		x->len = len;
		x->chunk = chunk;
		x->exn = 0;
	}
	if (plen > len)
		plen = (size_t)len;
	if (plen > EXCERPT - x->exn)
		plen = EXCERPT - x->exn;
	if (plen > 0 && p != NULL) {
		memcpy(x->ex + x->exn, p, plen);
		x->exn += plen;
	}
}

static const uint8_t *
find(const uint8_t *hay, size_t hl, const uint8_t *nd, size_t nl)
{
	size_t i;

	if (nl == 0 || nl > hl)
		return NULL;
	for (i = 0; i + nl <= hl; i++)
		if (hay[i] == nd[0] && memcmp(hay + i, nd, nl) == 0)
			return hay + i;
	return NULL;
}

/* The length of the common prefix of @a and @b: whole blocks by memcmp
 * first (streams mostly match, and this runs over megabytes). */
static size_t
common(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t n = al < bl ? al : bl, k = 0;

	if (n > 0 && memcmp(a, b, n) == 0)
		return n;
	while (n - k >= 64 && memcmp(a + k, b + k, 64) == 0)
		k += 64;
	while (k < n && a[k] == b[k])
		k++;
	return k;
}

/* One clock pair: @uart_first says the UART event caused the wire one. */
static void
pair(struct ana_net *n, uint64_t uart_ts, uint64_t net_ts, int uart_first)
{
	int64_t d;

	if (uart_ts == 0 || net_ts == 0)
		return;
	d = (int64_t)net_ts - (int64_t)uart_ts;
	n->pairs++;
	if (uart_first) {
		if (!n->has_hi || d < n->hi)
			n->hi = d;
		n->has_hi = 1;
	} else {
		if (!n->has_lo || d > n->lo)
			n->lo = d;
		n->has_lo = 1;
	}
}

/* Aligns a side's UART stream with the wire's as far as the wire has come
 * (@final: the capture ended). Matching bytes are taken as they come; any
 * other decision waits until WIN_NEED of the wire's bytes are there, so
 * that it is the one the whole streams would give. */
static void
align_run(struct ana_net *n, struct side *sd, int dir, int final)
{
	for (;;) {
		uint64_t wl = sd->wall, end;
		const uint8_t *W = sd->w.p != NULL ? sd->w.p + (sd->j - sd->wbase) : NULL;
		size_t wa = (size_t)(wl - sd->j), ua;
		const uint8_t *U;
		struct chunk *c;

		if (sd->k >= sd->nc) {
			/* Past the UART's last byte: the rest of the wire. */
			if (wa == 0)
				return;
			if (sd->u.over > 0 || sd->broken) {
				sd->unverified += wa;
			} else {
				sd->wire_only += wa;
				note_range(sd->extra, &sd->nextra, sd->j, wa, SIZE_MAX, W, wa);
			}
			sd->j = wl;
			return;
		}
		c = &sd->cur;
		if (!sd->in_chunk) {
			if (chunk_get(n, sd, sd->k, c) != 0) {
				/* The store failed: the rest is not judged. */
				n->ioerr = 1;
				sd->k = sd->nc;
				sd->broken = 1;
				continue;
			}
			if (!c->cont)
				sd->pay_bad = 0;
			sd->in_chunk = 1;
			sd->i = c->off;
			sd->first = 1;
			sd->ann_done = 0;
			sd->hole = c->hole;
		}
		if (sd->hole > 0) {
			/* Bytes the capture cut from the SKSND: the wire's are
			 * passed over, not judged. */
			uint64_t skip = sd->hole < wa ? sd->hole : wa;
			sd->unverified += skip;
			sd->hole -= skip;
			sd->j += skip;
			if (sd->hole > 0 && !final)
				return;
			sd->hole = 0;
			continue;
		}
		end = c->off + c->len;
		if (end > us_total(&sd->u))
			end = us_total(&sd->u);
		/* LUAT's +SKTRPT: the announced segment, of which only the
		 * last bytes came (deviation sktrpt-cap-511). */
		if (!sd->ann_done && dir == 1 && c->len > 0 && c->announced > c->len &&
		    c->announced <= ANN_MAX && sd->i == c->off) {
			if (wa < c->announced && !final)
				return;
			sd->ann_done = 1;
			U = us_view(n, &sd->u, sd->i, RWIN, &ua);
			if (wa >= c->announced && ua >= c->len &&
			    memcmp(W + c->announced - c->len, U, (size_t)c->len) == 0) {
				sd->truncated += c->announced - c->len;
				sd->matched += c->len;
				pair(n, c->at.ts, win_ts(sd, sd->j + c->announced - 1), 0);
				sd->j += c->announced;
				sd->k++;
				sd->in_chunk = 0;
				continue;
			}
		}
		sd->ann_done = 1;
		while (sd->i < end) {
			size_t run;
			uint64_t ul;
			W = sd->w.p != NULL ? sd->w.p + (sd->j - sd->wbase) : NULL;
			wa = (size_t)(wl - sd->j);
			U = us_view(n, &sd->u, sd->i, RWIN, &ua);
			if (U == NULL) {
				/* The temporary file or the input failed us: as
				 * with the pieces (above), the rest is not judged,
				 * the wire's bytes unverified. */
				sd->broken = 1;
				sd->i = end;
				sd->k = sd->nc - 1;
				break;
			}
			ul = end - sd->i < ua ? end - sd->i : ua;
			run = W != NULL ? common(U, (size_t)ul, W, wa) : 0;
			if (run > 0) {
				if (sd->first)
					pair(n, c->at.ts, win_ts(sd, dir == 0 ? sd->j : sd->j + run - 1),
					    dir == 0);
				sd->first = 0;
				sd->matched += run;
				sd->i += run;
				sd->j += run;
				continue;
			}
			if (!final && wa < WIN_NEED)
				return;
			{
				size_t key = ul < RESYNC_KEY ? (size_t)ul : RESYNC_KEY;
				size_t win = wa < RESYNC_WIN ? wa : RESYNC_WIN;
				const uint8_t *at = W != NULL ? find(W, win, U, key) : NULL;
				if (at != NULL) {
					size_t skip = (size_t)(at - W);
					sd->wire_only += skip;
					note_range(sd->extra, &sd->nextra, sd->j, skip, sd->k, W, skip);
					sd->j += skip;
					continue;
				}
				/* Else the wire's next bytes further on in this
				 * piece: the UART bytes before them never went
				 * (so a lost run is named whole, not by keys). */
				key = wa < RESYNC_KEY ? wa : RESYNC_KEY;
				at = key >= RESYNC_KEY / 2 && ul > 1 ? find(U + 1,
				    ul - 1 < RESYNC_WIN ? (size_t)ul - 1 : RESYNC_WIN, W, key) : NULL;
				if (at != NULL)
					key = (size_t)(at - U);
				else
					key = ul < RESYNC_KEY ? (size_t)ul : RESYNC_KEY;
				sd->uart_only += key;
				if (!sd->pay_bad)
					sd->nbad++;
				sd->pay_bad = 1;
				note_range(sd->miss, &sd->nmiss, sd->i, key, sd->k, U, key);
				sd->i += key;
			}
		}
		sd->k++;
		sd->in_chunk = 0;
	}
}

/* The wire's bytes before the alignment's offset are done with: the
 * window keeps what is left (WIN_NEED and a segment at most). */
static void
win_trim(struct side *sd)
{
	size_t drop = (size_t)(sd->j - sd->wbase), k = 0;

	if (drop == 0 || (drop < (64u << 10) && drop < sd->w.len))
		return;
	memmove(sd->w.p, sd->w.p + drop, sd->w.len - drop);
	sd->w.len -= drop;
	sd->wbase = sd->j;
	while (k + 1 < sd->nws && sd->ws[k + 1].off <= sd->j)
		k++;
	if (k > 0) {
		memmove(sd->ws, sd->ws + k, (sd->nws - k) * sizeof(*sd->ws));
		sd->nws -= k;
	}
}

static int
seg_add(struct ana_net *n, struct segts **t, size_t *nt, size_t *cap, uint64_t off, uint64_t ts)
{
	if (*nt == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct segts *p = atp_realloc(*t, nc * sizeof(*p));
		if (p == NULL) {
			n->oom = 1;
			return -1;
		}
		*t = p;
		*cap = nc;
	}
	(*t)[*nt].off = off;
	(*t)[*nt].ts = ts;
	(*nt)++;
	return 0;
}

static void
side_wire(struct ana_net *n, struct uconn *u, struct side *sd, int dir, const uint8_t *p,
    size_t len, uint64_t ts)
{
	/* A socket's only serve the timeline. */
	if (sd->nts < (u->mqtt || u->http != 0 ? SEGTS_MAX : TL_MAX) &&
	    seg_add(n, &sd->ts, &sd->nts, &sd->capts, sd->wall, ts) != 0)
		return;
	if (u->mqtt || u->http != 0) {
		/* Parsed whole after the read. */
		sb_put(n, &sd->w, p, len);
		sd->wall += len;
		return;
	}
	if (seg_add(n, &sd->ws, &sd->nws, &sd->capws, sd->wall, ts) != 0)
		return;
	n->wbytes -= sd->w.cap;
	if (grow(n, &sd->w.p, &sd->w.cap, sd->w.len + len, SIZE_MAX) != 0) {
		n->wbytes += sd->w.cap;
		return;
	}
	n->wbytes += sd->w.cap;
	memcpy(sd->w.p + sd->w.len, p, len);
	sd->w.len += len;
	sd->wall += len;
	/* Windows waiting for more than WBUF_MAX in all decide now. */
	align_run(n, sd, dir, n->wbytes > WBUF_MAX);
	win_trim(sd);
}

static void
on_data(void *ctx, struct ana_flow *fl, int dir, uint64_t off, const uint8_t *p, size_t len,
    uint64_t ts)
{
	struct ana_net *n = ctx;
	struct uconn *u = fl->user;

	(void)off;
	/* From port 53, whichever side the flow saw first. */
	if (fl->proto == 17 && (dir == 0 ? fl->cli.port : fl->srv.port) == 53 && n->ndns > 0)
		dns_answer(n, p, len, ts);
	if (u == NULL && n->npend > 0)
		u = pend_tie(n, fl, dir, p, len);
	if (u == NULL)
		return;
	side_wire(n, u, &u->s[dir ^ u->flip], dir ^ u->flip, p, len, ts);
	/* A connection to the module's own server: its other socket sees
	 * the same bytes the other way round. */
	if (u->twin != NULL)
		side_wire(n, u->twin, &u->twin->s[dir ^ u->twin->flip], dir ^ u->twin->flip, p, len,
		    ts);
}

static void
on_gap(void *ctx, struct ana_flow *fl, int dir, uint64_t off, uint64_t len)
{
	struct uconn *u = fl->user;

	(void)ctx;
	(void)dir;
	(void)off;
	if (u == NULL)
		return;
	u->gaps++;
	u->gap_bytes += len;
	if (u->twin != NULL) {
		u->twin->gaps++;
		u->twin->gap_bytes += len;
	}
}

/* The capture ended: each side is aligned to its end, and the UART's
 * bytes are let go. */
static void
align_end(struct ana_net *n, struct side *sd, int dir)
{
	align_run(n, sd, dir, 1);
	if (sd->k < sd->nc) {
		/* Unreachable: with the wire at its end every piece is
		 * decided. */
		sd->k = sd->nc;
	}
	sd->unverified += sd->u.over;
	us_free(n, &sd->u);
	chunk_unwin(sd);
	n->wbytes -= sd->w.cap;
	atp_free(sd->w.p);
	memset(&sd->w, 0, sizeof(sd->w));
	atp_free(sd->ws);
	sd->ws = NULL;
	sd->nws = sd->capws = 0;
}

/* Findings */

static void nfind(struct ana_net *n, const char *rule, enum atp_severity sev,
    enum atp_verdict vd, const char *section, const char *cmd, const struct ana_loc *at,
    const char *fmt, ...) __attribute__((format(printf, 8, 9)));

static void
nfind(struct ana_net *n, const char *rule, enum atp_severity sev, enum atp_verdict vd,
    const char *section, const char *cmd, const struct ana_loc *at, const char *fmt, ...)
{
	struct ana_finding f;
	va_list ap;

	memset(&f, 0, sizeof(f));
	f.rule = rule;
	f.severity = sev;
	f.verdict = vd;
	snprintf(f.section, sizeof(f.section), "%s", section);
	snprintf(f.command, sizeof(f.command), "%s", cmd != NULL ? cmd : "");
	if (at != NULL) {
		f.file = at->file;
		f.line = at->line;
		f.offset = at->off;
		f.ts_us = at->timed ? at->ts : 0;
	}
	va_start(ap, fmt);
	vsnprintf(f.message, sizeof(f.message), fmt, ap);
	va_end(ap);
	if (ana_report_add(n->rep, &f) != ATP_OK)
		n->oom = 1;
}

static void
show(const uint8_t *p, size_t len, char *buf, size_t size)
{
	atp_span_escape(atp_span_make(p, len), buf, size);
}

/* The piece whose cut (ana_net_cut()) explains a range found while
 * aligning piece @chunk (SIZE_MAX: after the last), or NULL. Sent: the
 * hole's bytes were passed over by their count, so only the piece right
 * after the hole and the one after it (the module may have sent fewer
 * than were cut); the bytes the capture kept before the hole are judged.
 * Received: the delivery, or one next to it (where the bytes went is not
 * known). */
static const struct chunk *
cut_near(struct ana_net *n, struct side *sd, size_t chunk, int dir, struct chunk *out)
{
	size_t k = chunk < sd->nc ? chunk : sd->nc, lo = k > 0 ? k - 1 : 0;

	for (; lo <= k + (dir == 1) && lo < sd->nc; lo++)
		if (chunk_get(n, sd, lo, out) == 0 && out->cut)
			return out;
	return NULL;
}

/* The note a finding the cut explains ends with, as the session's do. */
static void
cut_note(const struct chunk *c, char *buf, size_t size)
{
	char where[48];

	buf[0] = '\0';
	if (c == NULL)
		return;
	if (c->cutat.line != 0)
		snprintf(where, sizeof(where), " at line %lu", c->cutat.line);
	else
		snprintf(where, sizeof(where), " at offset %llu", (unsigned long long)c->cutat.off);
	if (c->cutat.len > 0)
		snprintf(buf, size, " (undecided: the capture cut %llu bytes of the transfer%s)",
		    (unsigned long long)c->cutat.len, where);
	else
		snprintf(buf, size, " (undecided: the capture cut the end of the transfer%s)", where);
}

static void
conn_findings(struct ana_net *n, struct uconn *u)
{
	char peer[80], buf[64], who[80], note[128];
	size_t i;
	struct side *tx = &u->s[0], *rx = &u->s[1];
	enum atp_verdict vd;

	snprintf(peer, sizeof(peer), "%s:%llu", u->host, (unsigned long long)u->rport);
	if (u->sock >= 0)
		snprintf(who, sizeof(who), "socket %ld", u->sock);
	else
		snprintf(who, sizeof(who), "a connection to server port %llu the host never heard of",
		    (unsigned long long)u->rport);
	if (u->accepted) {
		if (u->peer_port != 0)
			snprintf(peer, sizeof(peer), "%s:%llu", u->peer,
			    (unsigned long long)u->peer_port);
		else
			snprintf(peer, sizeof(peer), "the client of port %llu",
			    (unsigned long long)u->rport);
	}
	/* A TCP server's peers come to it: each accepted connection is judged
	 * on its own. */
	if ((u->server && !u->udp) || u->refused)
		return;
	if (u->fl == NULL && u->server) {
		if (u->s[0].nc > 0 || u->s[1].nc > 0)
			nfind(n, R_NET_NO_CONN, ATP_SEV_WARNING, ATP_V_INCONC, "2.2.3.10", "SKCT", &u->at,
			    "socket %ld (UDP server on port %llu): no datagram to or from that port in "
			    "the capture (capture filter, or another interface)", u->sock,
			    (unsigned long long)u->rport);
		return;
	}
	if (u->fl == NULL && u->accepted && u->rport == 0) {
		/* Which of the servers listening then, nothing said. */
		nfind(n, R_NET_NO_CONN, ATP_SEV_WARNING, ATP_V_INCONC, "2.2.3.10", "SKCT", &u->at,
		    "socket %ld (accepted by one of the TCP servers listening): no connection to "
		    "their ports in the capture left for it (capture filter, or another interface)",
		    u->sock);
		return;
	}
	if (u->fl == NULL && u->accepted) {
		nfind(n, R_NET_NO_CONN, ATP_SEV_WARNING, ATP_V_INCONC, "2.2.3.10", "SKCT", &u->at,
		    "socket %ld (accepted by a TCP server on port %llu, peer %s): no connection to "
		    "that port in the capture (capture filter, or another interface)", u->sock,
		    (unsigned long long)u->rport, peer);
		return;
	}
	if (u->fl == NULL) {
		if (!u->udp || tx->nc > 0)
			nfind(n, R_NET_NO_CONN, ATP_SEV_WARNING, ATP_V_INCONC, "2.2.3.10", "SKCT", &u->at,
			    "socket %ld (%s %s): no %s in the capture (capture filter, or another "
			    "interface)", u->sock, u->udp ? "UDP" : "TCP", peer,
			    u->udp ? "datagram to that port" : "connection to that port");
		return;
	}
	if (!u->udp && !u->accepted && (u->flags & NET_F_RST) && !(u->flags & NET_F_SYNACK))
		nfind(n, R_NET_CONN_REFUSED, ATP_SEV_ERROR, ATP_V_FAIL, "2.2.3.10", "SKCT", &u->at,
		    "socket %ld: AT+SKCT answered +OK but the peer %s refused the connection (RST)",
		    u->sock, peer);
	if (u->gaps > 0)
		nfind(n, R_NET_GAP, ATP_SEV_WARNING, ATP_V_INCONC, "2.2.3.11", NULL, &u->at,
		    "%s: %lu holes (%llu bytes) in the captured stream: those bytes cannot "
		    "be matched", who, u->gaps, (unsigned long long)u->gap_bytes);
	/* With holes in the capture, a byte not seen may just not be captured. */
	vd = u->gaps > 0 ? ATP_V_INCONC : ATP_V_FAIL;
	for (i = 0; i < tx->nmiss; i++) {
		const struct range *r = &tx->miss[i];
		struct chunk c, near;
		const struct chunk *cut = cut_near(n, tx, r->chunk, 0, &near);
		(void)chunk_get(n, tx, r->chunk, &c);
		show(r->ex, r->exn, buf, sizeof(buf));
		cut_note(cut, note, sizeof(note));
		nfind(n, R_NET_SENT_MISSING, ATP_SEV_ERROR, cut != NULL ? ATP_V_INCONC : vd, "2.2.3.11",
		    "SKSND", &c.at, "%s: %llu bytes at offset %llu of the sent stream (\"%s\"), "
		    "acknowledged by AT+SKSND's +OK, never went to %s%s", who,
		    (unsigned long long)r->len, (unsigned long long)r->off, buf, peer, note);
	}
	for (i = 0; i < tx->nextra; i++) {
		const struct range *r = &tx->extra[i];
		struct chunk near;
		const struct chunk *cut = cut_near(n, tx, r->chunk, 0, &near);
		show(r->ex, r->exn, buf, sizeof(buf));
		cut_note(cut, note, sizeof(note));
		nfind(n, R_NET_SENT_EXTRA, ATP_SEV_ERROR, cut != NULL ? ATP_V_INCONC : ATP_V_FAIL,
		    "2.2.3.11", "SKSND", cut != NULL ? &cut->at : &u->at, "%s: %llu bytes at offset "
		    "%llu on the wire to %s (\"%s\") that the host never gave AT+SKSND%s", who,
		    (unsigned long long)r->len, (unsigned long long)r->off, peer, buf, note);
	}
	for (i = 0; i < rx->nextra; i++) {
		const struct range *r = &rx->extra[i];
		const struct chunk *last = rx->nc > 0 ? &rx->last : NULL;
		struct chunk c, near;
		const struct ana_loc *at = chunk_get(n, rx, r->chunk, &c) == 0 ? &c.at :
		    last != NULL ? &last->at : &u->at;
		const struct chunk *cut = cut_near(n, rx, r->chunk, 1, &near);
		/* Bytes after the last delivery may still wait in the module's
		 * cache, unless that delivery itself came short of its count. */
		int tail = r->chunk >= rx->nc && (last == NULL || last->announced <= last->len);
		show(r->ex, r->exn, buf, sizeof(buf));
		cut_note(cut, note, sizeof(note));
		nfind(n, R_NET_RECV_UNREP, ATP_SEV_ERROR, tail || cut != NULL ? ATP_V_INCONC : vd,
		    "2.2.3.17", "SKRCV", at, "%s: %llu bytes at offset %llu of the stream from %s "
		    "(\"%s\") were never reported to the host (+SKTRPT or SKRCV)%s%s", who,
		    (unsigned long long)r->len, (unsigned long long)r->off, peer, buf,
		    tail && cut == NULL ? "; the log may end before the host read them" : "", note);
	}
	for (i = 0; i < rx->nmiss; i++) {
		const struct range *r = &rx->miss[i];
		struct chunk c, near;
		const struct chunk *cut = cut_near(n, rx, r->chunk, 1, &near);
		(void)chunk_get(n, rx, r->chunk, &c);
		show(r->ex, r->exn, buf, sizeof(buf));
		cut_note(cut, note, sizeof(note));
		nfind(n, R_NET_RECV_PHANTOM, ATP_SEV_ERROR, cut != NULL ? ATP_V_INCONC : vd, "2.2.3.17",
		    "SKRCV", &c.at, "%s: %llu bytes reported to the host (\"%s\") "
		    "that %s never sent%s", who, (unsigned long long)r->len, buf, peer, note);
	}
	if (rx->truncated > 0) {
		const struct atp_deviation *dv = atp_deviation_find("sktrpt-cap-511");
		nfind(n, dv != NULL ? dv->id : "sktrpt-cap-511", n->luat ? ATP_SEV_WARNING : ATP_SEV_ERROR,
		    n->luat ? ATP_V_KNOWN : ATP_V_FAIL, "2.2.3.17", "SKTRPT", &u->at,
		    "%s: %llu bytes on the wire cut from long +SKTRPT reports (only "
		    "their last 511 bytes reached the host)", who,
		    (unsigned long long)rx->truncated);
	}
	chunk_unwin(tx);
	chunk_unwin(rx);
}

/* MQTT 3.1.1 (§2.2.4): the fixed header, then PUBLISH and SUBSCRIBE. */

static void
wp_add(struct ana_net *n, int dir, int type, const uint8_t *t, size_t tl, const uint8_t *p,
    size_t pl, uint64_t ts)
{
	struct wpub *w;

	if (n->nwp == n->capwp) {
		size_t nc = n->capwp ? n->capwp * 2 : 32;
		if (nc > MQ_MAX * 4 || (w = atp_realloc(n->wp, nc * sizeof(*w))) == NULL)
			return;
		n->wp = w;
		n->capwp = nc;
	}
	w = &n->wp[n->nwp++];
	memset(w, 0, sizeof(*w));
	w->dir = dir;
	w->type = type;
	w->tlen = tl < MQ_TEXT ? tl : MQ_TEXT;
	w->plen = pl < MQ_TEXT ? pl : MQ_TEXT;
	memcpy(w->topic, t, w->tlen);
	if (w->plen > 0)
		memcpy(w->payload, p, w->plen);
	w->ts = ts;
}

static void
mqtt_parse(struct ana_net *n, struct uconn *u, int dir, int *is_module)
{
	struct side *sd = &u->s[dir];
	struct atp_cur c = atp_cur_make(sd->w.p, sd->w.len);

	while (c.left >= 2) {
		uint8_t h, b;
		uint64_t rl = 0, mult = 1;
		size_t hdr = 1, at = sd->w.len - c.left;
		struct atp_span body, t;
		struct atp_cur bc;
		uint16_t tl;
		int k;

		(void)atp_cur_u8(&c, &h);
		for (k = 0; k < 4; k++) {
			if (atp_cur_u8(&c, &b) != ATP_OK)
				return;
			hdr++;
			rl += (uint64_t)(b & 0x7f) * mult;
			mult *= 128;
			if ((b & 0x80) == 0)
				break;
		}
		if (k == 4 || atp_cur_take(&c, (size_t)rl, &body) != ATP_OK)
			return;
		bc = atp_cur_make(body.p, body.len);
		switch (h >> 4) {
		case 1:   /* CONNECT: protocol name, level, flags, keepalive, id */
			if (body.len >= 12) {
				size_t pn = (size_t)(body.p[0] << 8 | body.p[1]);
				if (pn + 8 <= body.len) {
					size_t il = (size_t)(body.p[pn + 6] << 8 | body.p[pn + 7]);
					if (pn + 8 + il <= body.len && n->mqtt_id[0] != '\0')
						*is_module = strlen(n->mqtt_id) == il &&
						    memcmp(body.p + pn + 8, n->mqtt_id, il) == 0;
				}
			}
			break;
		case 3:   /* PUBLISH: topic, packet id if QoS > 0, payload */
		case 8:   /* SUBSCRIBE: packet id, then topic + QoS pairs */
			if ((h >> 4) == 8 && atp_cur_take(&bc, 2, &t) != ATP_OK)
				break;
			if (atp_cur_take(&bc, 2, &t) != ATP_OK)
				break;
			tl = (uint16_t)(t.p[0] << 8 | t.p[1]);
			if (atp_cur_take(&bc, tl, &t) != ATP_OK)
				break;
			if ((h >> 4) == 3 && ((h >> 1) & 3) != 0) {
				struct atp_span id;
				if (atp_cur_take(&bc, 2, &id) != ATP_OK)
					break;
			}
			if (*is_module)
				wp_add(n, dir, h >> 4, t.p, t.len, (h >> 4) == 3 ? bc.p : NULL,
				    (h >> 4) == 3 ? bc.left : 0, wire_ts(sd, at + hdr));
			break;
		default:
			break;
		}
	}
}

static int
mq_eq(const char *a, size_t al, const char *b, size_t bl)
{
	return al == bl && memcmp(a, b, al) == 0;
}

static void
mqtt_match(struct ana_net *n)
{
	size_t i, j;
	const char *last_topic = NULL;
	size_t last_tl = 0;

	for (i = 0; i < n->nmq; i++) {
		struct mq *m = &n->mq[i];
		int dir, type;
		const char *t, *p;
		size_t tl, pl;

		switch (m->kind) {
		case ANA_MQ_PUB:
			dir = 0, type = 3, t = m->a, tl = m->alen, p = m->b, pl = m->blen;
			break;
		case ANA_MQ_SUB:
			dir = 0, type = 8, t = m->a, tl = m->alen, p = NULL, pl = 0;
			break;
		case ANA_MQ_TOPIC:
			last_topic = m->b;
			last_tl = m->blen;
			continue;
		case ANA_MQ_DATA:
			dir = 1, type = 3, t = last_topic, tl = last_tl, p = m->b, pl = m->blen;
			break;
		case ANA_MQ_SERVER:
		case ANA_MQ_ID:
		default:
			continue;
		}
		for (j = 0; j < n->nwp; j++) {
			struct wpub *w = &n->wp[j];
			if (w->matched || w->dir != dir || w->type != type ||
			    (t != NULL && !mq_eq(w->topic, w->tlen, t, tl)) ||
			    (type == 3 && !mq_eq(w->payload, w->plen, p, pl)))
				continue;
			w->matched = m->matched = 1;
			m->wire_ts = w->ts;
			pair(n, m->at.ts, w->ts, dir == 0);
			break;
		}
		if (!m->matched)
			nfind(n, R_NET_MQTT, ATP_SEV_ERROR, ATP_V_FAIL, m->kind == ANA_MQ_PUB ? "2.2.4.6" :
			    m->kind == ANA_MQ_SUB ? "2.2.4.5" : "2.2.4.7",
			    m->kind == ANA_MQ_PUB ? "MPUB" : "MSUB", &m->at,
			    "%s \"%.*s\" %s", m->kind == ANA_MQ_PUB ? "AT+MPUB of" :
			    m->kind == ANA_MQ_SUB ? "AT+MSUB of" : "+MQD with", (int)pl, p != NULL ? p : t,
			    m->kind == ANA_MQ_DATA ? "matches no PUBLISH from the broker" :
			    "matches no MQTT packet the module sent");
	}
	for (j = 0; j < n->nwp; j++)
		if (!n->wp[j].matched && n->wp[j].dir == 1)
			nfind(n, R_NET_MQTT, ATP_SEV_ERROR, ATP_V_FAIL, "2.2.4.7", "MSUB", NULL,
			    "a PUBLISH from the broker on \"%.*s\" (\"%.*s\") was never reported to the "
			    "host as +MTOPIC/+MQD", (int)n->wp[j].tlen, n->wp[j].topic,
			    (int)n->wp[j].plen, n->wp[j].payload);
}

/* §2.2.3.19: the request line the module sent, and the response body
 * against what +HTTPCRPT carried (the whole body, or its first part). */
static void
http_match(struct ana_net *n, struct httpq *h, struct uconn *u)
{
	static const char *const verbs[] = { "GET", "?", "POST", "PUT" };
	const struct sbuf *q = &u->s[0].w, *r = &u->s[1].w;
	const uint8_t *eol, *hdr_end, *body = NULL;
	char want[224], buf[64];
	size_t blen = 0;
	uint64_t code = 0;

	eol = q->len > 0 ? memchr(q->p, '\r', q->len) : NULL;
	if (eol != NULL)
		snprintf(h->request, sizeof(h->request), "%.*s",
		    (int)((size_t)(eol - q->p) < 95 ? (size_t)(eol - q->p) : 95), (const char *)q->p);
	snprintf(want, sizeof(want), "%s %s HTTP/", verbs[h->verb & 3], h->path);
	h->req_ok = strncmp(h->request, want, strlen(want)) == 0;
	if (r->len >= 12 && memcmp(r->p, "HTTP/1.", 7) == 0 &&
	    atp_span_dec(atp_span_make(r->p + 9, 3), &code, 999) == ATP_OK)
		h->status = (int)code;
	hdr_end = r->len >= 4 ? (const uint8_t *)find(r->p, r->len, (const uint8_t *)"\r\n\r\n", 4) :
	    NULL;
	if (hdr_end != NULL) {
		body = hdr_end + 4;
		blen = r->len - (size_t)(body - r->p);
	}
	h->body_ok = body != NULL && h->body.len <= blen &&
	    (h->body.len == 0 || memcmp(h->body.p, body, h->body.len) == 0);
	if (h->request[0] != '\0' && !h->req_ok)
		nfind(n, R_NET_HTTP, ATP_SEV_ERROR, ATP_V_FAIL, "2.2.3.19", "HTTPC", &h->at,
		    "AT+HTTPC %s: the module sent \"%s\", not \"%s...\"", h->url, h->request, want);
	if (!h->body_ok && h->body.len > 0) {
		show(h->body.p, h->body.len, buf, sizeof(buf));
		nfind(n, R_NET_HTTP, ATP_SEV_ERROR, ATP_V_FAIL, "2.2.3.19", "HTTPC", &h->at,
		    "AT+HTTPC %s: +HTTPCRPT carried %zu bytes (\"%s\") that are not the body of "
		    "the response on the wire (%zu bytes, status %d)", h->url, h->body.len, buf,
		    blen, h->status);
	}
}

int
ana_net_read(struct ana_net *n, const char *path, struct atp_diag *d)
{
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return atp_diag_set(d, ATP_ERR_IO, "%s: cannot open", path);
	return ana_net_read_file(n, f, path, d);
}

int
ana_net_read_file(struct ana_net *n, FILE *f, const char *path, struct atp_diag *d)
{
	struct ana_net_cb cb;
	struct ana_pcap *pc = NULL;
	size_t i;
	int rc;

	snprintf(n->path, sizeof(n->path), "%s", path);
	memset(&cb, 0, sizeof(cb));
	cb.ctx = n;
	cb.open = on_open;
	cb.data = on_data;
	cb.gap = on_gap;
	rc = ana_pcap_open(f, &cb, &pc, d);
	if (rc != ATP_OK)
		return rc;
	rc = ana_pcap_run(pc, d);
	/* Flows that waited for bytes that never came: by order. */
	while (n->npend > 0)
		(void)pend_tie(n, n->pend[0].fl, 0, NULL, 0);
	n->st = *ana_pcap_stats(pc);
	n->read = 1;
	if (rc == ATP_ERR_SYNTAX) {
		nfind(n, R_NET_INPUT, ATP_SEV_ERROR, ATP_V_INCONC, "", NULL, NULL, "%s: %s", path,
		    d->msg);
		atp_diag_clear(d);
		rc = ATP_OK;
	}
	/* The flows die with the reader: keep what the report needs. */
	for (i = 0; i < n->nuc; i++) {
		struct uconn *u = &n->uc[i];
		if (u->fl == NULL)
			continue;
		if (u->accepted && u->sock < 0 && (u->fl->flags & NET_F_SYN) &&
		    !(u->fl->flags & NET_F_SYNACK) && u->fl->bytes[0] == 0 && u->fl->bytes[1] == 0) {
			/* A SYN nobody answered (reset: the port did not
			 * listen yet, or any more) was never a connection. */
			n->uc[u->parent].naccepted--;
			u->fl->user = NULL;
			u->fl = NULL;
			u->refused = 1;
			continue;
		}
		u->cli = u->fl->cli;
		u->srv = u->fl->srv;
		u->flags = u->fl->flags;
		u->ts_syn = u->fl->ts_syn;
		u->ts_synack = u->fl->ts_synack;
		if (!u->udp && (u->flags & NET_F_SYNACK) && u->accepted) {
			/* The host heard of the accepted socket after its SYN.
			 * (Listening came before it too, but clients come when
			 * they will: no tight bound to estimate the offset by.) */
			if (u->sock >= 0)
				pair(n, u->at.ts, u->ts_syn, 0);
		} else if (!u->udp && (u->flags & NET_F_SYN)) {
			pair(n, u->at.ts, u->ts_syn, 1);
		}
	}
	ana_pcap_close(pc);
	for (i = 0; i < n->nuc; i++) {
		struct uconn *u = &n->uc[i];
		if (u->http != 0) {
			http_match(n, &n->http[u->http - 1], u);
			u->fl = NULL;
			continue;
		}
		if (u->mqtt) {
			int mod = n->mqtt_id[0] == '\0';
			mqtt_parse(n, u, 0, &mod);
			mqtt_parse(n, u, 1, &mod);
			continue;
		}
		if (u->fl != NULL) {
			align_end(n, &u->s[0], 0);
			align_end(n, &u->s[1], 1);
		}
		conn_findings(n, u);
		u->fl = NULL;
	}
	mqtt_match(n);
	for (i = 0; i < n->nhttp; i++)
		if (n->http[i].uc == SIZE_MAX)
			nfind(n, R_NET_NO_CONN, ATP_SEV_WARNING, ATP_V_INCONC, "2.2.3.19", "HTTPC",
			    &n->http[i].at, "AT+HTTPC %s: no connection to port %llu in the capture",
			    n->http[i].url, (unsigned long long)n->http[i].port);
	for (i = 0; i < n->ndns; i++) {
		struct dnsq *q = &n->dns[i];
		if (q->seen)
			pair(n, q->at.ts, q->ts, 1);
		if (q->seen && !q->ok)
			nfind(n, R_NET_DNS, ATP_SEV_ERROR, ATP_V_FAIL, "2.2.3.2", "SKGHBN", &q->at,
			    "AT+SKGHBN=%s answered \"%s\", but the DNS answer on the wire says %s",
			    q->host, q->ip, q->got);
	}
	/* §5.3: a UART command precedes its network effect (hi bounds the
	 * offset from above), a packet precedes its report (lo from below). */
	if (n->has_lo && n->has_hi && n->lo > n->hi + 1000)
		nfind(n, R_NET_ORDER, ATP_SEV_ERROR, ATP_V_FAIL, "2.2.3.17", NULL, NULL,
		    "ordering that cannot be: aligned on the commands that caused packets, some "
		    "data reached the host %lld µs before its packet was on the wire",
		    (long long)(n->lo - n->hi));
	/* The lower envelope of command-to-packet delays (the module acts
	 * within milliseconds; a report may wait long for an SKRCV), kept
	 * within the bound the reports give. */
	n->offset = n->has_hi ? (n->has_lo && n->lo > n->hi ? n->lo : n->hi) :
	    n->has_lo ? n->lo : 0;
	for (i = 0; i < n->nuc; i++)
		if (n->uc[i].mqtt)
			n->uc[i].fl = NULL;
	if (n->ioerr)
		nfind(n, R_NET_INPUT, ATP_SEV_ERROR, ATP_V_INCONC, "", NULL, NULL, "the temporary file "
		    "that holds the UART's socket bytes past %u MiB (in TMPDIR, else /tmp) could not "
		    "be written or read: the bytes it should have held are not judged (unverified)",
		    UBUF_MAX >> 20);
	if (n->srcerr != NULL)
		nfind(n, R_NET_INPUT, ATP_SEV_ERROR, ATP_V_INCONC, "", NULL, NULL, "%s: the UART "
		    "input changed, or could not be read again, after it was decoded: the SKSND "
		    "bytes to be read from it again are not judged (unverified)", n->srcerr);
	if (n->oom)
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	return rc;
}

/* Output */

static json_t *
side_json(const struct side *sd, int dir)
{
	size_t ok = sd->npay - sd->nbad;

	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    dir == 0 ? "sksnd" : "deliveries", (json_int_t)sd->npay,
	    dir == 0 ? "sksnd_matched" : "deliveries_matched", (json_int_t)ok,
	    dir == 0 ? "uart_sent" : "uart_reported", (json_int_t)sd->utotal,
	    "wire", (json_int_t)sd->wall,
	    "matched", (json_int_t)sd->matched,
	    dir == 0 ? "unsent" : "phantom", (json_int_t)sd->uart_only,
	    dir == 0 ? "extra" : "unreported", (json_int_t)sd->wire_only,
	    "truncated", (json_int_t)sd->truncated,
	    "unverified", (json_int_t)sd->unverified);
}

void *
ana_net_json(const struct ana_net *n)
{
	json_t *o, *conns, *mq;
	size_t i;
	char a[80], b[80];

	if (n == NULL || !n->read)
		return NULL;
	o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:i,s:I,s:b}", "file", n->path,
	    "packets", (json_int_t)n->st.packets, "tcp", (json_int_t)n->st.tcp,
	    "udp", (json_int_t)n->st.udp, "flows", (json_int_t)n->st.flows,
	    "truncated", (json_int_t)n->st.truncated, "linktype", n->st.linktype,
	    "clock_offset_us", (json_int_t)n->offset, "clock_aligned", n->pairs > 0);
	conns = json_array();
	mq = json_array();
	if (o == NULL || conns == NULL || mq == NULL) {
		json_decref(o);
		json_decref(conns);
		json_decref(mq);
		return NULL;
	}
	json_object_set_new(o, "clock_pairs", json_integer((json_int_t)n->pairs));
	json_object_set_new(o, "clock_bounds_us", json_pack("[o,o]",
	    n->has_lo ? json_integer((json_int_t)n->lo) : json_null(),
	    n->has_hi ? json_integer((json_int_t)n->hi) : json_null()));
	for (i = 0; i < n->nuc; i++) {
		const struct uconn *u = &n->uc[i];
		json_t *c;
		if (u->mqtt || u->http != 0 || u->refused)
			continue;
		ana_ep_str(&u->cli, a, sizeof(a));
		ana_ep_str(&u->srv, b, sizeof(b));
		c = json_pack("{s:I,s:s,s:s,s:I,s:s,s:I,s:b,s:o,s:o}", "socket", (json_int_t)u->sock,
		    "proto", u->udp ? "udp" : "tcp", "host", u->host, "port", (json_int_t)u->rport,
		    "source", u->at.file != NULL ? u->at.file : "", "line", (json_int_t)u->at.line,
		    "matched", u->cli.port != 0, "sent", side_json(&u->s[0], 0),
		    "received", side_json(&u->s[1], 1));
		if (c == NULL)
			continue;
		json_object_set_new(c, "role", json_string(u->accepted ? "accepted" :
		    u->server ? "server" : "client"));
		if (u->server)
			json_object_set_new(c, "accepted", json_integer((json_int_t)u->naccepted));
		if (u->twin != NULL)
			json_object_set_new(c, "self", json_integer((json_int_t)u->twin->sock));
		if (u->accepted) {
			json_object_set_new(c, "parent", u->parent != SIZE_MAX ?
			    json_integer((json_int_t)n->uc[u->parent].sock) : json_null());
			if (u->peer_port != 0)
				json_object_set_new(c, "peer", json_pack("{s:s,s:I}", "ip", u->peer,
				    "port", (json_int_t)u->peer_port));
		}
		if (u->cli.port != 0) {
			json_object_set_new(c, "client", json_string(a));
			json_object_set_new(c, "server", json_string(b));
			json_object_set_new(c, "handshake", json_pack("{s:b,s:b,s:b}", "syn",
			    (u->flags & NET_F_SYN) != 0, "synack", (u->flags & NET_F_SYNACK) != 0,
			    "rst", (u->flags & NET_F_RST) != 0));
			json_object_set_new(c, "gaps", json_integer((json_int_t)u->gaps));
		}
		json_array_append_new(conns, c);
	}
	for (i = 0; i < n->nmq; i++) {
		const struct mq *m = &n->mq[i];
		static const char *kinds[] = { "server", "id", "publish", "subscribe", "topic", "data" };
		if (m->kind == ANA_MQ_SERVER || m->kind == ANA_MQ_ID || m->kind == ANA_MQ_TOPIC)
			continue;
		json_array_append_new(mq, json_pack("{s:s,s:s%,s:s%,s:b,s:I}", "kind",
		    kinds[m->kind], "topic", m->a, m->alen, "payload", m->b, m->blen,
		    "matched", m->matched, "line", (json_int_t)m->at.line));
	}
	{
		json_t *dn = json_array();
		for (i = 0; dn != NULL && i < n->ndns; i++)
			json_array_append_new(dn, json_pack("{s:s,s:s,s:b,s:b,s:s,s:I}", "host",
			    n->dns[i].host, "ip", n->dns[i].ip, "query_seen", n->dns[i].seen,
			    "matched", n->dns[i].ok, "answer", n->dns[i].got,
			    "line", (json_int_t)n->dns[i].at.line));
		if (dn != NULL)
			json_object_set_new(o, "dns", dn);
	}
	{
		json_t *ha = json_array();
		for (i = 0; ha != NULL && i < n->nhttp; i++) {
			const struct httpq *h = &n->http[i];
			json_array_append_new(ha, json_pack("{s:s,s:i,s:b,s:s,s:b,s:i,s:I,s:b,s:I}",
			    "url", h->url, "verb", h->verb, "matched", h->uc != SIZE_MAX,
			    "request", h->request, "request_matched", h->req_ok, "status", h->status,
			    "body_reported", (json_int_t)h->body.len, "body_matched", h->body_ok,
			    "line", (json_int_t)h->at.line));
		}
		if (ha != NULL)
			json_object_set_new(o, "http", ha);
	}
	json_object_set_new(o, "connections", conns);
	json_object_set_new(o, "mqtt", mq);
	return o;
}

struct tl {
	uint64_t t;
	char what[120];
};

static int
tl_cmp(const void *a, const void *b)
{
	const struct tl *x = a, *y = b;

	return x->t < y->t ? -1 : x->t > y->t;
}

void
ana_net_text(const struct ana_net *n, FILE *out)
{
	size_t i;
	char a[80], b[80];

	if (n == NULL || !n->read)
		return;
	fprintf(out, "\nnetwork: %s: %lu packets (%lu TCP, %lu UDP), %lu flows; clock offset "
	    "%+lld µs from %lu matched events\n", n->path, n->st.packets, n->st.tcp, n->st.udp,
	    n->st.flows, (long long)n->offset, n->pairs);
	for (i = 0; i < n->nuc; i++) {
		const struct uconn *u = &n->uc[i];
		if (u->mqtt || u->http != 0 || u->refused)
			continue;
		ana_ep_str(&u->cli, a, sizeof(a));
		ana_ep_str(&u->srv, b, sizeof(b));
		if (u->server && !u->udp) {
			fprintf(out, "  socket %ld tcp server on port %llu: connections accepted: %lu\n",
			    u->sock, (unsigned long long)u->rport, u->naccepted);
			continue;
		}
		if (u->accepted) {
			char who[96];
			if (u->parent != SIZE_MAX)
				snprintf(who, sizeof(who), "accepted by socket %ld on port %llu",
				    n->uc[u->parent].sock, (unsigned long long)u->rport);
			else if (u->rport != 0)
				snprintf(who, sizeof(who), "accepted on port %llu",
				    (unsigned long long)u->rport);
			else
				snprintf(who, sizeof(who), "accepted by one of the servers");
			fprintf(out, "  socket %ld %s %s <- %s: sent %llu/%llu matched, %llu unsent; "
			    "received %llu/%llu matched, %llu unreported\n", u->sock,
			    u->udp ? "udp" : "tcp", who,
			    u->cli.port != 0 ? a : "(no flow)", (unsigned long long)u->s[0].matched,
			    (unsigned long long)u->s[0].utotal, (unsigned long long)u->s[0].uart_only,
			    (unsigned long long)u->s[1].matched, (unsigned long long)u->s[1].wall,
			    (unsigned long long)u->s[1].wire_only);
			continue;
		}
		fprintf(out, "  socket %ld %s%s %s:%llu -> %s: sent %llu/%llu matched, %llu unsent; "
		    "received %llu/%llu matched, %llu unreported, %llu truncated\n", u->sock,
		    u->udp ? "udp" : "tcp", u->server ? " server" : "", u->host, (unsigned long long)u->rport,
		    u->cli.port != 0 ? a : "(no flow)", (unsigned long long)u->s[0].matched,
		    (unsigned long long)u->s[0].utotal, (unsigned long long)u->s[0].uart_only,
		    (unsigned long long)u->s[1].matched, (unsigned long long)u->s[1].wall,
		    (unsigned long long)u->s[1].wire_only, (unsigned long long)u->s[1].truncated);
	}
}

/* The timeline goes through the report model (ana_rpt.c), interleaved
 * there with the session's findings. */
size_t
ana_net_events(const struct ana_net *n, void (*cb)(void *ctx, uint64_t t_us, const char *what),
    void *ctx)
{
	size_t i, nt = 0, k;
	struct tl *t;
	char a[80];

	if (n == NULL || !n->read)
		return 0;
	t = atp_calloc(TL_MAX, sizeof(*t));
	if (t == NULL)
		return 0;
	/* UART events on their clock, network ones moved onto it. */
	for (i = 0; i < n->nuc && nt + 4 < TL_MAX; i++) {
		const struct uconn *u = &n->uc[i];
		if (u->mqtt || u->http != 0 || u->refused)
			continue;
		ana_ep_str(&u->cli, a, sizeof(a));
		if (u->at.timed && !u->accepted) {
			t[nt].t = u->at.ts;
			snprintf(t[nt++].what, sizeof(t[0].what), "uart  AT+SKCT -> socket %ld (%s:%llu)",
			    u->sock, u->server ? "server" : u->host, (unsigned long long)u->rport);
		}
		if (u->ts_syn != 0) {
			t[nt].t = (uint64_t)((int64_t)u->ts_syn - n->offset);
			snprintf(t[nt++].what, sizeof(t[0].what), "net   TCP SYN %s", a);
		}
		for (k = 0; k < 2; k++) {
			size_t c;
			const struct side *sd = &u->s[k];
			for (c = 0; c < sd->nuh && nt + 2 < TL_MAX; c++) {
				t[nt].t = sd->uh[c].ts;
				snprintf(t[nt++].what, sizeof(t[0].what), "uart  %s socket %ld: %llu bytes",
				    k == 0 ? "SKSND" : "report", u->sock, (unsigned long long)sd->uh[c].off);
			}
			for (c = 0; c < sd->nts && nt + 2 < TL_MAX; c++) {
				uint64_t nx = c + 1 < sd->nts ? sd->ts[c + 1].off : sd->wall;
				t[nt].t = (uint64_t)((int64_t)sd->ts[c].ts - n->offset);
				snprintf(t[nt++].what, sizeof(t[0].what), "net   socket %ld %s: %llu bytes",
				    u->sock, k == 0 ? "to peer" : "from peer",
				    (unsigned long long)(nx - sd->ts[c].off));
			}
		}
	}
	for (i = 0; i < n->nmq && nt < TL_MAX; i++) {
		const struct mq *m = &n->mq[i];
		if (m->kind != ANA_MQ_PUB && m->kind != ANA_MQ_DATA && m->kind != ANA_MQ_SUB)
			continue;
		t[nt].t = m->at.ts;
		snprintf(t[nt++].what, sizeof(t[0].what), "uart  %s \"%.*s\"%s",
		    m->kind == ANA_MQ_PUB ? "MPUB" : m->kind == ANA_MQ_SUB ? "MSUB" : "+MQD",
		    (int)(m->kind == ANA_MQ_SUB ? m->alen : m->blen), m->kind == ANA_MQ_SUB ? m->a : m->b,
		    m->matched ? "" : " (no packet)");
		if (m->matched && nt < TL_MAX) {
			t[nt].t = (uint64_t)((int64_t)m->wire_ts - n->offset);
			snprintf(t[nt++].what, sizeof(t[0].what), "net   MQTT %s",
			    m->kind == ANA_MQ_SUB ? "SUBSCRIBE" : "PUBLISH");
		}
	}
	qsort(t, nt, sizeof(*t), tl_cmp);
	for (i = 0; i < nt; i++)
		cb(ctx, t[i].t, t[i].what);
	atp_free(t);
	return nt;
}
