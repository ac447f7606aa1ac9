/* SPDX-License-Identifier: MIT */
/* \summary: capture records; the pcapng writer and the pcapng/pcap reader */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "atproof/alloc.h"
#include "atproof/atproof.h"
#include "atproof/capture.h"

/*
 * pcapng as specified by draft-ietf-opsawg-pcapng (the IETF draft that
 * Wireshark and libpcap follow). Every block:
 *
 *    0                   1                   2                   3
 *   +---------------------------------------------------------------+
 *   |                          Block Type                           |
 *   +---------------------------------------------------------------+
 *   |                      Block Total Length                       |
 *   +---------------------------------------------------------------+
 *   /                 Block Body (padded to 32 bits)                /
 *   +---------------------------------------------------------------+
 *   |                      Block Total Length                       |
 *   +---------------------------------------------------------------+
 *
 * Options are <code u16><length u16><value padded to 32 bits>, ended by
 * opt_endofopt (code 0) or by the end of the block. Numbers are in the
 * byte order of the section, which the Section Header Block's byte-order
 * magic tells. The writer always writes little-endian; the reader takes
 * both.
 */
#define BT_SHB  0x0A0D0D0Au  /* a palindrome: readable in either order */
#define BT_IDB  0x00000001u
#define BT_PB   0x00000002u  /* obsolete Packet Block */
#define BT_SPB  0x00000003u
#define BT_EPB  0x00000006u
#define BOM     0x1A2B3C4Du

#define OPT_END       0
#define OPT_COMMENT   1
#define OPT_EPB_FLAGS 2     /* also the PB's pack_flags */
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME   2
#define OPT_IF_DESCRIPTION 3
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14

/* epb_flags bits 0-1: the direction (pcapng §4.3.1). */
#define EPB_DIR_INBOUND  1u
#define EPB_DIR_OUTBOUND 2u

/*
 * LINKTYPE_WIRESHARK_UPPER_PDU: the packet starts with tags, each
 * <type u16 BE><length u16 BE><value>, ended by EXP_PDU_TAG_END_OF_OPT.
 * Wireshark's exporter (epan/exported_pdu.c) pads a string value to 32
 * bits and counts the padding in the length; text2pcap -P does not pad.
 * Both advance by the length, so the reader does the same.
 */
#define EXP_PDU_TAG_END_OF_OPT      0
#define EXP_PDU_TAG_DISSECTOR_NAME  12
#define EXP_PDU_TAG_P2P_DIRECTION   36  /* int32 BE: 0 sent, 1 received */
#define EXP_PDU_DISSECTOR           "at"

/* Classic pcap magic numbers as read little-endian. */
#define PCAP_MAGIC_US      0xA1B2C3D4u
#define PCAP_MAGIC_NS      0xA1B23C4Du
#define PCAP_MAGIC_MOD     0xA1B2CD34u  /* libpcap's "modified" (Kuznetzov) pcap */
#define PCAP_HDR_LEN       24
#define PCAP_REC_HDR_LEN   16

#define READ_CHUNK (64u << 10)  /* first size of the reader's window */

static size_t
pad4(size_t n)
{
	return (n + 3u) & ~(size_t)3u;
}

const char *
atp_dir_str(enum atp_dir dir)
{
	switch (dir) {
	case ATP_DIR_TO_MODULE: return "to-module";
	case ATP_DIR_FROM_MODULE: return "from-module";
	case ATP_DIR_UNKNOWN: break;
	}
	return "unknown";
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

static uint32_t
rd32(const uint8_t *p, int big)
{
	return big ? be32(p) : le32(p);
}

static uint16_t
rd16(const uint8_t *p, int big)
{
	if (big)
		return (uint16_t)(p[0] << 8 | p[1]);
	return (uint16_t)(p[1] << 8 | p[0]);
}

enum atp_capfmt
atp_capture_sniff(const void *head, size_t len)
{
	uint32_t m;

	if (head == NULL || len < 4)
		return ATP_CAPFMT_UNKNOWN;
	m = le32(head);
	if (m == BT_SHB)
		return ATP_CAPFMT_PCAPNG;
	if (m == PCAP_MAGIC_US || be32(head) == PCAP_MAGIC_US ||
	    m == PCAP_MAGIC_NS || be32(head) == PCAP_MAGIC_NS)
		return ATP_CAPFMT_PCAP;
	return ATP_CAPFMT_UNKNOWN;
}

/*
 * Writer
 */

struct atp_pcapng_writer {
	int fd;
	int own_fd;
	int sync;
	int linktype;
	unsigned nif;
	unsigned last_if;       /* interface of the last record */
	char *name;             /* for messages */
	int failed;             /* a write failed: the writer is dead */
	int fail_errno;
	off_t good;             /* file offset after the last complete block;
	                           -1 when the fd cannot seek (a pipe) */
	uint8_t *buf;           /* the block being built */
	size_t cap;
	uint8_t *pend;          /* pending comments, encoded as options */
	size_t pend_len;
	size_t pend_cap;
	uint64_t pend_ts;
};

static void
put16(uint8_t **q, uint16_t v)
{
	(*q)[0] = (uint8_t)v;
	(*q)[1] = (uint8_t)(v >> 8);
	*q += 2;
}

static void
put32(uint8_t **q, uint32_t v)
{
	(*q)[0] = (uint8_t)v;
	(*q)[1] = (uint8_t)(v >> 8);
	(*q)[2] = (uint8_t)(v >> 16);
	(*q)[3] = (uint8_t)(v >> 24);
	*q += 4;
}

static void
put_be16(uint8_t **q, uint16_t v)
{
	(*q)[0] = (uint8_t)(v >> 8);
	(*q)[1] = (uint8_t)v;
	*q += 2;
}

/* Copies @n bytes and zeroes the padding to 32 bits. */
static void
put_padded(uint8_t **q, const void *p, size_t n)
{
	if (n > 0)
		memcpy(*q, p, n);
	memset(*q + n, 0, pad4(n) - n);
	*q += pad4(n);
}

static size_t
opt_size(size_t len)
{
	return 4 + pad4(len);
}

static void
put_opt(uint8_t **q, uint16_t code, const void *p, size_t len)
{
	put16(q, code);
	put16(q, (uint16_t)len);
	put_padded(q, p, len);
}

static int
wfail(struct atp_pcapng_writer *w, struct atp_diag *d)
{
	if (d != NULL)
		d->sys_errno = w->fail_errno;
	return atp_diag_set(d, ATP_ERR_IO, "%s: the capture failed earlier (%s); "
	    "it is valid up to its last complete block", w->name, strerror(w->fail_errno));
}

static int
wbuf_reserve(struct atp_pcapng_writer *w, size_t n, struct atp_diag *d)
{
	uint8_t *p;
	size_t cap;

	if (n <= w->cap)
		return ATP_OK;
	cap = w->cap > 0 ? w->cap : 256;
	while (cap < n)
		cap *= 2;
	p = atp_realloc(w->buf, cap);
	if (p == NULL)
		return atp_diag_set(d, ATP_ERR_NOMEM, "%s: out of memory for a %zu-byte block",
		    w->name, n);
	w->buf = p;
	w->cap = cap;
	return ATP_OK;
}

/*
 * Hands one complete block to the kernel. A single write() normally takes
 * it all; a short write is continued. If the rest fails, the bytes of the
 * partial block are cut off again (ftruncate back to the last complete
 * block), so the file stays a valid pcapng and the next reader does not
 * stumble over half a block.
 */
static int
write_block(struct atp_pcapng_writer *w, const uint8_t *p, size_t len, struct atp_diag *d)
{
	size_t done = 0;

	if (w->failed)
		return wfail(w, d);
	while (done < len) {
		ssize_t n = write(w->fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			w->failed = 1;
			w->fail_errno = e;
			if (done > 0 && w->good >= 0 && ftruncate(w->fd, w->good) == 0)
				(void)lseek(w->fd, w->good, SEEK_SET);
			if (d != NULL)
				d->sys_errno = e;
			return atp_diag_set(d, ATP_ERR_IO, "%s: cannot write the capture: %s "
			    "(it is valid up to its last complete block)", w->name, strerror(e));
		}
		done += (size_t)n;
	}
	/* A pipe or a socket cannot be synced (EINVAL): nothing to do there. */
	if (w->sync && fdatasync(w->fd) != 0 && errno != EINVAL && errno != EROFS) {
		int e = errno;
		w->failed = 1;
		w->fail_errno = e;
		if (d != NULL)
			d->sys_errno = e;
		return atp_diag_set(d, ATP_ERR_IO, "%s: cannot sync the capture: %s",
		    w->name, strerror(e));
	}
	if (w->good >= 0)
		w->good += (off_t)len;
	return ATP_OK;
}

static int
check_str(const struct atp_pcapng_writer *w, const char *what, const char *s, struct atp_diag *d)
{
	if (s != NULL && strlen(s) > ATP_PCAPNG_COMMENT_MAX)
		return atp_diag_set(d, ATP_ERR_ARG, "%s: %s longer than %u bytes", w->name, what,
		    (unsigned)ATP_PCAPNG_COMMENT_MAX);
	return ATP_OK;
}

static size_t
str_opt_size(const char *s)
{
	return s != NULL && s[0] != '\0' ? opt_size(strlen(s)) : 0;
}

static void
put_str_opt(uint8_t **q, uint16_t code, const char *s)
{
	if (s != NULL && s[0] != '\0')
		put_opt(q, code, s, strlen(s));
}

static int
write_shb(struct atp_pcapng_writer *w, const char *userappl, const char *comment,
    struct atp_diag *d)
{
	char appl[64];
	size_t len;
	uint8_t *q;
	int rc;

	if (userappl == NULL) {
		snprintf(appl, sizeof(appl), "atproof %s", ATPROOF_VERSION);
		userappl = appl;
	}
	rc = check_str(w, "shb_userappl", userappl, d);
	if (rc == ATP_OK)
		rc = check_str(w, "the section comment", comment, d);
	if (rc < 0)
		return rc;
	len = 28 + str_opt_size(comment) + str_opt_size(userappl) + 4;
	rc = wbuf_reserve(w, len, d);
	if (rc < 0)
		return rc;
	q = w->buf;
	put32(&q, BT_SHB);
	put32(&q, (uint32_t)len);
	put32(&q, BOM);
	put16(&q, 1);           /* version 1.0 */
	put16(&q, 0);
	put32(&q, 0xFFFFFFFFu); /* section length: not given */
	put32(&q, 0xFFFFFFFFu);
	put_str_opt(&q, OPT_COMMENT, comment);
	put_str_opt(&q, OPT_SHB_USERAPPL, userappl);
	put32(&q, OPT_END);
	put32(&q, (uint32_t)len);
	return write_block(w, w->buf, len, d);
}

int
atp_pcapng_add_if(struct atp_pcapng_writer *w, const char *name, const char *description,
    unsigned *ifidx, struct atp_diag *d)
{
	static const uint8_t tsresol = 6;  /* 10^-6 s: one UART byte at 115200 is 87 us */
	size_t len;
	uint8_t *q;
	int rc;

	if (w == NULL)
		return atp_diag_set(d, ATP_ERR_ARG, "no capture writer");
	if (w->failed)
		return wfail(w, d);
	if (w->nif >= ATP_PCAPNG_IF_MAX)
		return atp_diag_set(d, ATP_ERR_LIMIT, "%s: more than %u interfaces", w->name,
		    (unsigned)ATP_PCAPNG_IF_MAX);
	rc = check_str(w, "if_name", name, d);
	if (rc == ATP_OK)
		rc = check_str(w, "if_description", description, d);
	if (rc < 0)
		return rc;
	len = 20 + str_opt_size(name) + str_opt_size(description) + opt_size(1) + 4;
	rc = wbuf_reserve(w, len, d);
	if (rc < 0)
		return rc;
	q = w->buf;
	put32(&q, BT_IDB);
	put32(&q, (uint32_t)len);
	put16(&q, (uint16_t)w->linktype);
	put16(&q, 0);
	put32(&q, 0);           /* snap length: no limit */
	put_str_opt(&q, OPT_IF_NAME, name);
	put_str_opt(&q, OPT_IF_DESCRIPTION, description);
	put_opt(&q, OPT_IF_TSRESOL, &tsresol, 1);
	put32(&q, OPT_END);
	put32(&q, (uint32_t)len);
	rc = write_block(w, w->buf, len, d);
	if (rc < 0)
		return rc;
	if (ifidx != NULL)
		*ifidx = w->nif;
	w->nif++;
	return ATP_OK;
}

static int
writer_start(int fd, int own_fd, const char *name, const struct atp_pcapng_opts *opts,
    struct atp_pcapng_writer **out, struct atp_diag *d)
{
	static const struct atp_pcapng_opts defaults;
	struct atp_pcapng_writer *w;
	int rc;

	if (opts == NULL)
		opts = &defaults;
	w = atp_calloc(1, sizeof(*w));
	if (w != NULL)
		w->name = atp_strdup(name);
	if (w == NULL || w->name == NULL) {
		atp_free(w);
		if (own_fd)
			close(fd);
		return atp_diag_set(d, ATP_ERR_NOMEM, "%s: out of memory", name);
	}
	w->fd = fd;
	w->own_fd = own_fd;
	w->sync = opts->sync;
	w->linktype = opts->linktype != 0 ? opts->linktype : ATP_LINKTYPE_UPPER_PDU;
	w->good = lseek(fd, 0, SEEK_CUR);
	if (w->linktype != ATP_LINKTYPE_UPPER_PDU &&
	    (w->linktype < ATP_LINKTYPE_USER0 || w->linktype > ATP_LINKTYPE_USER15)) {
		rc = atp_diag_set(d, ATP_ERR_ARG, "%s: link type %d is neither UPPER_PDU (252) "
		    "nor USER0..USER15 (147..162)", name, opts->linktype);
		goto fail;
	}
	rc = write_shb(w, opts->userappl, opts->comment, d);
	if (rc == ATP_OK)
		rc = atp_pcapng_add_if(w, opts->if_name, opts->if_description, NULL, d);
	if (rc < 0)
		goto fail;
	*out = w;
	return ATP_OK;
fail:
	if (w->own_fd)
		close(w->fd);
	atp_free(w->buf);
	atp_free(w->name);
	atp_free(w);
	return rc;
}

int
atp_pcapng_open(const char *path, const struct atp_pcapng_opts *opts,
    struct atp_pcapng_writer **out, struct atp_diag *d)
{
	int fd;

	if (out == NULL)
		return atp_diag_set(d, ATP_ERR_ARG, "no place for the capture writer");
	*out = NULL;
	if (path == NULL)
		return atp_diag_set(d, ATP_ERR_ARG, "no capture file name");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		if (d != NULL)
			d->sys_errno = e;
		return atp_diag_set(d, ATP_ERR_IO, "%s: cannot create the capture: %s",
		    path, strerror(e));
	}
	return writer_start(fd, 1, path, opts, out, d);
}

int
atp_pcapng_open_fd(int fd, const struct atp_pcapng_opts *opts,
    struct atp_pcapng_writer **out, struct atp_diag *d)
{
	char name[32];

	if (out == NULL)
		return atp_diag_set(d, ATP_ERR_ARG, "no place for the capture writer");
	*out = NULL;
	if (fd < 0)
		return atp_diag_set(d, ATP_ERR_ARG, "bad file descriptor %d", fd);
	snprintf(name, sizeof(name), "<fd %d>", fd);
	return writer_start(fd, 0, name, opts, out, d);
}

/*
 * One Enhanced Packet Block:
 *   interface id, timestamp (high, low), captured length, original length,
 *   packet data (exported-PDU tags first for UPPER_PDU), then options:
 *   the pending comments, the record's comment, epb_flags, opt_endofopt.
 */
static int
write_epb(struct atp_pcapng_writer *w, unsigned ifidx, uint64_t ts, enum atp_dir dir,
    struct atp_span bytes, struct atp_span comment, struct atp_diag *d)
{
	static const uint8_t tags_len = 12;  /* DISSECTOR_NAME "at" padded + END */
	size_t plen, opts, len;
	uint32_t flags = 0;
	uint8_t *q;
	int rc;

	if (comment.len > ATP_PCAPNG_COMMENT_MAX)
		return atp_diag_set(d, ATP_ERR_ARG, "%s: a comment of %zu bytes (at most %u)",
		    w->name, comment.len, (unsigned)ATP_PCAPNG_COMMENT_MAX);
	if (bytes.len > ATP_PCAPNG_BLOCK_MAX)
		goto too_big;
	plen = bytes.len + (w->linktype == ATP_LINKTYPE_UPPER_PDU ? tags_len : 0);
	switch (dir) {
	case ATP_DIR_TO_MODULE: flags = EPB_DIR_OUTBOUND; break;
	case ATP_DIR_FROM_MODULE: flags = EPB_DIR_INBOUND; break;
	case ATP_DIR_UNKNOWN: break;
	}
	opts = w->pend_len + (comment.len > 0 ? opt_size(comment.len) : 0) +
	    (flags != 0 ? opt_size(4) : 0);
	if (opts > 0)
		opts += 4;
	len = 28 + pad4(plen) + opts + 4;
	if (len > ATP_PCAPNG_BLOCK_MAX)
		goto too_big;
	rc = wbuf_reserve(w, len, d);
	if (rc < 0)
		return rc;
	q = w->buf;
	put32(&q, BT_EPB);
	put32(&q, (uint32_t)len);
	put32(&q, ifidx);
	put32(&q, (uint32_t)(ts >> 32));
	put32(&q, (uint32_t)ts);
	put32(&q, (uint32_t)plen);
	put32(&q, (uint32_t)plen);
	if (w->linktype == ATP_LINKTYPE_UPPER_PDU) {
		put_be16(&q, EXP_PDU_TAG_DISSECTOR_NAME);
		put_be16(&q, (uint16_t)pad4(strlen(EXP_PDU_DISSECTOR)));
		put_padded(&q, EXP_PDU_DISSECTOR, strlen(EXP_PDU_DISSECTOR));
		put_be16(&q, EXP_PDU_TAG_END_OF_OPT);
		put_be16(&q, 0);
	}
	put_padded(&q, bytes.p, bytes.len);
	if (w->pend_len > 0) {
		memcpy(q, w->pend, w->pend_len);
		q += w->pend_len;
	}
	if (comment.len > 0)
		put_opt(&q, OPT_COMMENT, comment.p, comment.len);
	if (flags != 0)
		put_opt(&q, OPT_EPB_FLAGS, (const uint8_t[4]){ (uint8_t)flags, 0, 0, 0 }, 4);
	if (opts > 0)
		put32(&q, OPT_END);
	put32(&q, (uint32_t)len);
	rc = write_block(w, w->buf, len, d);
	if (rc < 0)
		return rc;
	w->pend_len = 0;
	w->last_if = ifidx;
	return ATP_OK;
too_big:
	return atp_diag_set(d, ATP_ERR_LIMIT, "%s: a record of %zu bytes does not fit in a "
	    "block of at most %u bytes", w->name, bytes.len, (unsigned)ATP_PCAPNG_BLOCK_MAX);
}

int
atp_pcapng_write(struct atp_pcapng_writer *w, unsigned ifidx, const struct atp_rec *rec,
    struct atp_diag *d)
{
	if (w == NULL || rec == NULL || (rec->bytes.p == NULL && rec->bytes.len > 0) ||
	    (rec->comment.p == NULL && rec->comment.len > 0))
		return atp_diag_set(d, ATP_ERR_ARG, "no capture writer or record");
	if (w->failed)
		return wfail(w, d);
	if (ifidx >= w->nif)
		return atp_diag_set(d, ATP_ERR_ARG, "%s: no interface %u (there are %u)",
		    w->name, ifidx, w->nif);
	return write_epb(w, ifidx, rec->ts_us, rec->dir, rec->bytes, rec->comment, d);
}

int
atp_pcapng_comment(struct atp_pcapng_writer *w, uint64_t ts_us, const char *text,
    struct atp_diag *d)
{
	size_t len, need;
	uint8_t *q;

	if (w == NULL)
		return atp_diag_set(d, ATP_ERR_ARG, "no capture writer");
	if (w->failed)
		return wfail(w, d);
	if (text == NULL || text[0] == '\0')
		return ATP_OK;
	len = strlen(text);
	if (len > ATP_PCAPNG_COMMENT_MAX)
		return atp_diag_set(d, ATP_ERR_ARG, "%s: a comment of %zu bytes (at most %u)",
		    w->name, len, (unsigned)ATP_PCAPNG_COMMENT_MAX);
	need = w->pend_len + opt_size(len);
	/* Room for the smallest block around them (an EPB with no data). */
	if (need > ATP_PCAPNG_BLOCK_MAX - 64)
		return atp_diag_set(d, ATP_ERR_LIMIT, "%s: too many comments pending for one block",
		    w->name);
	if (need > w->pend_cap) {
		size_t cap = w->pend_cap > 0 ? w->pend_cap : 256;
		uint8_t *p;
		while (cap < need)
			cap *= 2;
		p = atp_realloc(w->pend, cap);
		if (p == NULL)
			return atp_diag_set(d, ATP_ERR_NOMEM, "%s: out of memory for a comment",
			    w->name);
		w->pend = p;
		w->pend_cap = cap;
	}
	q = w->pend + w->pend_len;
	put_opt(&q, OPT_COMMENT, text, len);
	w->pend_len = need;
	w->pend_ts = ts_us;
	return ATP_OK;
}

int
atp_pcapng_close(struct atp_pcapng_writer *w, struct atp_diag *d)
{
	int rc = ATP_OK;

	if (w == NULL)
		return ATP_OK;
	if (w->pend_len > 0 && !w->failed)
		rc = write_epb(w, w->last_if, w->pend_ts, ATP_DIR_UNKNOWN,
		    atp_span_make(NULL, 0), atp_span_make(NULL, 0), d);
	else if (w->failed)
		rc = wfail(w, d);
	if (w->own_fd && close(w->fd) != 0 && rc == ATP_OK) {
		int e = errno;
		if (d != NULL)
			d->sys_errno = e;
		rc = atp_diag_set(d, ATP_ERR_IO, "%s: cannot close the capture: %s", w->name,
		    strerror(e));
	}
	atp_free(w->pend);
	atp_free(w->buf);
	atp_free(w->name);
	atp_free(w);
	return rc;
}

/*
 * Reader
 *
 * The reader keeps a window over the input: [pos, end) of buf holds bytes
 * not yet parsed, buf[0] is at file offset base. A block is parsed in place
 * once the window holds all of it; the window grows to the largest block
 * seen (at most ATP_PCAPNG_BLOCK_MAX), so memory does not depend on the
 * file's size. A memory reader's window is the caller's buffer.
 */

struct rif {
	int linktype;
	uint32_t snaplen;
	uint8_t tsresol;        /* raw if_tsresol; 6 when absent */
	int64_t tsoffset;       /* if_tsoffset, seconds */
	size_t name_len;
	size_t desc_len;
	uint8_t name[ATP_PCAPNG_IFSTR_MAX];
	uint8_t desc[ATP_PCAPNG_IFSTR_MAX];
};

struct atp_pcapng_reader {
	int fd;                 /* -1: memory */
	int own_fd;
	char *name;
	const uint8_t *mem;
	uint8_t *buf;
	size_t cap;
	size_t pos;
	size_t end;
	uint64_t base;
	enum atp_capfmt fmt;
	int big;                /* byte order of the section (or pcap file) */
	int in_section;         /* a Section Header Block was read */
	unsigned nif;
	struct rif *ifs;        /* ATP_PCAPNG_IF_MAX of them */
	int pcap_nsec;
	int pcap_linktype;
	uint32_t pcap_snaplen;
	uint8_t *cmt;           /* comments joined */
	size_t cmt_cap;
	int failed;             /* a final error: replayed by every call */
	uint64_t fail_off;
	char fail_msg[ATP_DIAG_MSG_MAX];
};

static const uint8_t *
win(const struct atp_pcapng_reader *r)
{
	return r->mem != NULL ? r->mem + r->pos : r->buf + r->pos;
}

/* The input's offset of @p, a byte of the window. */
static uint64_t
in_off(const struct atp_pcapng_reader *r, const uint8_t *p)
{
	return r->base + (uint64_t)(p - (r->mem != NULL ? r->mem : r->buf));
}

static int rerr(struct atp_pcapng_reader *r, struct atp_diag *d, int code, uint64_t off,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Reports an error at file offset @off. Every error but ATP_ERR_AGAIN (a
 * truncated input, which may still grow) is final and is replayed by
 * every later call.
 */
static int
rerr(struct atp_pcapng_reader *r, struct atp_diag *d, int code, uint64_t off,
    const char *fmt, ...)
{
	char what[ATP_DIAG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (code != ATP_ERR_AGAIN && code != ATP_ERR_NOMEM) {
		r->failed = code;
		r->fail_off = off;
		snprintf(r->fail_msg, sizeof(r->fail_msg), "%s", what);
	}
	if (d != NULL)
		d->offset = (size_t)off;
	return atp_diag_set(d, code, "%s: offset %llu: %s", r->name, (unsigned long long)off, what);
}

/* Makes the window hold at least @need bytes. ATP_ERR_AGAIN at the end of
 * the input, with what it holds unchanged. */
static int
fill(struct atp_pcapng_reader *r, size_t need, struct atp_diag *d)
{
	if (r->end - r->pos >= need)
		return ATP_OK;
	if (r->mem != NULL)
		return ATP_ERR_AGAIN;
	if (r->cap - r->pos < need) {
		if (r->pos > 0) {
			memmove(r->buf, r->buf + r->pos, r->end - r->pos);
			r->base += r->pos;
			r->end -= r->pos;
			r->pos = 0;
		}
		if (r->cap < need) {
			size_t cap = r->cap > 0 ? r->cap : READ_CHUNK;
			uint8_t *p;
			while (cap < need)
				cap *= 2;
			p = atp_realloc(r->buf, cap);
			if (p == NULL)
				return rerr(r, d, ATP_ERR_NOMEM, r->base + r->pos,
				    "out of memory for a %zu-byte block", need);
			r->buf = p;
			r->cap = cap;
		}
	}
	while (r->end - r->pos < need) {
		ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			if (d != NULL)
				d->sys_errno = e;
			return rerr(r, d, ATP_ERR_IO, r->base + r->end, "cannot read: %s",
			    strerror(e));
		}
		if (n == 0)
			return ATP_ERR_AGAIN;
		r->end += (size_t)n;
	}
	return ATP_OK;
}

/* Reads numbers of the section's byte order through the bounded cursor. */
static int
cur_u16(struct atp_cur *c, int big, uint16_t *v)
{
	struct atp_span s;
	int rc = atp_cur_take(c, 2, &s);
	if (rc == ATP_OK)
		*v = rd16(s.p, big);
	return rc;
}

static int
cur_u32(struct atp_cur *c, int big, uint32_t *v)
{
	struct atp_span s;
	int rc = atp_cur_take(c, 4, &s);
	if (rc == ATP_OK)
		*v = rd32(s.p, big);
	return rc;
}

/*
 * Takes the next option: 1 with @code and @val, 0 at opt_endofopt or at
 * the end of the block, ATP_ERR_SYNTAX when an option runs past the block.
 */
static int
opt_next(struct atp_cur *c, int big, uint16_t *code, struct atp_span *val)
{
	/* Kept as two scalars: a copy of the whole cursor, just written
	 * field by field, stalls on the store forwarding (issue 8). */
	const uint8_t *save_p = c->p;
	size_t save_left = c->left;
	struct atp_span pad;
	uint16_t len;

	if (c->left == 0)
		return 0;
	if (cur_u16(c, big, code) != ATP_OK || cur_u16(c, big, &len) != ATP_OK) {
		c->p = save_p;
		c->left = save_left;
		return ATP_ERR_SYNTAX;
	}
	if (*code == OPT_END)
		return 0;
	if (atp_cur_take(c, len, val) != ATP_OK || atp_cur_take(c, pad4(len) - len, &pad) != ATP_OK) {
		c->p = save_p;
		c->left = save_left;
		return ATP_ERR_SYNTAX;
	}
	return 1;
}

static uint64_t
pow10u(unsigned n)
{
	uint64_t v = 1;
	while (n-- > 0)
		v *= 10;
	return v;
}

/*
 * A pcapng time stamp to microseconds since the epoch. if_tsresol: the
 * most significant bit clear means units of 10^-n s, set means 2^-n s.
 * Everything is kept in 64 bits: for 2^-n the fraction is cut to 44 bits
 * before it is scaled by 10^6 (< 2^20), which loses nothing a microsecond
 * can show.
 */
static int
ts_to_us(uint64_t raw, uint8_t tsresol, int64_t tsoffset, uint64_t *out)
{
	unsigned n = tsresol & 0x7fu;
	uint64_t us;

	if (tsresol & 0x80u) {
		uint64_t sec = n >= 64 ? 0 : raw >> n;
		uint64_t frac = n >= 64 ? raw : raw & ((UINT64_C(1) << n) - 1);
		unsigned bits = n;
		if (bits > 44) {
			frac = bits - 44 >= 64 ? 0 : frac >> (bits - 44);
			bits = 44;
		}
		frac = (frac * 1000000u) >> bits;
		if (sec > (UINT64_MAX - frac) / 1000000u)
			return ATP_ERR_LIMIT;
		us = sec * 1000000u + frac;
	} else if (n == 6) {
		us = raw;    /* the default resolution, and the usual one */
	} else if (n < 6) {
		uint64_t m = pow10u(6 - n);
		if (raw > UINT64_MAX / m)
			return ATP_ERR_LIMIT;
		us = raw * m;
	} else {
		us = n - 6 > 19 ? 0 : raw / pow10u(n - 6);
	}
	if (tsoffset != 0) {
		/* |tsoffset| in microseconds, without overflowing either way. */
		uint64_t mag = tsoffset < 0 ? (uint64_t)(-(tsoffset + 1)) + 1 : (uint64_t)tsoffset;
		if (mag > UINT64_MAX / 1000000u)
			return ATP_ERR_LIMIT;
		mag *= 1000000u;
		if (tsoffset > 0 && us > UINT64_MAX - mag)
			return ATP_ERR_LIMIT;
		if (tsoffset < 0 && us < mag)
			return ATP_ERR_LIMIT;
		us = tsoffset > 0 ? us + mag : us - mag;
	}
	*out = us;
	return ATP_OK;
}

static const char *
block_name(uint32_t type)
{
	switch (type) {
	case BT_SHB: return "Section Header Block";
	case BT_IDB: return "Interface Description Block";
	case BT_PB: return "Packet Block";
	case BT_SPB: return "Simple Packet Block";
	case BT_EPB: return "Enhanced Packet Block";
	default: return "block";
	}
}

static int
read_shb(struct atp_pcapng_reader *r, struct atp_cur *c, uint64_t off, struct atp_diag *d)
{
	uint16_t major = 0, minor = 0, code;
	struct atp_span skip, val;
	int rc;

	if (atp_cur_take(c, 4, &skip) != ATP_OK || cur_u16(c, r->big, &major) != ATP_OK ||
	    cur_u16(c, r->big, &minor) != ATP_OK || atp_cur_take(c, 8, &skip) != ATP_OK)
		return rerr(r, d, ATP_ERR_SYNTAX, off, "Section Header Block too short");
	/* Wireshark reads 1.0 and 1.2 (written by some old tools) alike. */
	if (major != 1 || (minor != 0 && minor != 2))
		return rerr(r, d, ATP_ERR_UNSUPP, off, "pcapng version %u.%u (only 1.0 is read)",
		    major, minor);
	do
		rc = opt_next(c, r->big, &code, &val);
	while (rc > 0);
	if (rc < 0)
		return rerr(r, d, ATP_ERR_SYNTAX, off, "an option runs past the end of the "
		    "Section Header Block");
	r->in_section = 1;
	r->nif = 0;
	return ATP_OK;
}

static int
read_idb(struct atp_pcapng_reader *r, struct atp_cur *c, uint64_t off, struct atp_diag *d)
{
	struct rif *f;
	uint16_t lt = 0, reserved, code;
	uint32_t snap = 0;
	struct atp_span val;
	int rc;

	if (r->nif >= ATP_PCAPNG_IF_MAX)
		return rerr(r, d, ATP_ERR_LIMIT, off, "more than %u interfaces in one section",
		    (unsigned)ATP_PCAPNG_IF_MAX);
	if (cur_u16(c, r->big, &lt) != ATP_OK || cur_u16(c, r->big, &reserved) != ATP_OK ||
	    cur_u32(c, r->big, &snap) != ATP_OK)
		return rerr(r, d, ATP_ERR_SYNTAX, off, "Interface Description Block too short");
	f = &r->ifs[r->nif];
	memset(f, 0, sizeof(*f));
	f->linktype = lt;
	f->snaplen = snap;
	f->tsresol = 6;
	for (;;) {
		rc = opt_next(c, r->big, &code, &val);
		if (rc <= 0)
			break;
		switch (code) {
		case OPT_IF_NAME:
			f->name_len = val.len < sizeof(f->name) ? val.len : sizeof(f->name);
			memcpy(f->name, val.p, f->name_len);
			break;
		case OPT_IF_DESCRIPTION:
			f->desc_len = val.len < sizeof(f->desc) ? val.len : sizeof(f->desc);
			memcpy(f->desc, val.p, f->desc_len);
			break;
		case OPT_IF_TSRESOL:
			if (val.len != 1)
				return rerr(r, d, ATP_ERR_SYNTAX, off, "if_tsresol of %zu bytes "
				    "(must be 1)", val.len);
			f->tsresol = val.p[0];
			break;
		case OPT_IF_TSOFFSET:
			if (val.len != 8)
				return rerr(r, d, ATP_ERR_SYNTAX, off, "if_tsoffset of %zu bytes "
				    "(must be 8)", val.len);
			{
				uint64_t hi = rd32(val.p + (r->big ? 0 : 4), r->big);
				uint64_t lo = rd32(val.p + (r->big ? 4 : 0), r->big);
				uint64_t u = hi << 32 | lo;
				/* Two's complement without relying on the conversion. */
				f->tsoffset = u > (uint64_t)INT64_MAX ?
				    -(int64_t)(~u) - 1 : (int64_t)u;
			}
			break;
		default:
			break;
		}
	}
	if (rc < 0)
		return rerr(r, d, ATP_ERR_SYNTAX, off, "an option runs past the end of the "
		    "Interface Description Block");
	r->nif++;
	return ATP_OK;
}

/*
 * The options of a packet block: every opt_comment (joined with '\n' when
 * there are several) and the flags.
 */
static int
packet_opts(struct atp_pcapng_reader *r, const uint8_t *p, size_t left, uint64_t off,
    uint32_t *flags, struct atp_span *comment, struct atp_diag *d)
{
	struct atp_cur c = atp_cur_make(p, left);
	struct atp_span val;
	size_t n = 0, total = 0;
	uint16_t code;
	int rc;

	*flags = 0;
	*comment = atp_span_make(NULL, 0);
	for (;;) {
		rc = opt_next(&c, r->big, &code, &val);
		if (rc <= 0)
			break;
		if (code == OPT_COMMENT) {
			if (n == 0)
				*comment = val;
			total += val.len + (n > 0);
			n++;
		} else if (code == OPT_EPB_FLAGS) {
			if (val.len != 4)
				return rerr(r, d, ATP_ERR_SYNTAX, off, "epb_flags of %zu bytes "
				    "(must be 4)", val.len);
			*flags = rd32(val.p, r->big);
		}
	}
	if (rc < 0)
		return rerr(r, d, ATP_ERR_SYNTAX, off, "an option runs past the end of the block");
	if (n > 1) {
		uint8_t *q;
		/* total < block length <= ATP_PCAPNG_BLOCK_MAX */
		if (total > r->cmt_cap) {
			uint8_t *nc = atp_realloc(r->cmt, total);
			if (nc == NULL)
				return rerr(r, d, ATP_ERR_NOMEM, off, "out of memory for comments");
			r->cmt = nc;
			r->cmt_cap = total;
		}
		q = r->cmt;
		c = atp_cur_make(p, left);
		n = 0;
		while (opt_next(&c, r->big, &code, &val) > 0) {
			if (code != OPT_COMMENT)
				continue;
			if (n++ > 0)
				*q++ = '\n';
			if (val.len > 0)
				memcpy(q, val.p, val.len);
			q += val.len;
		}
		*comment = atp_span_make(r->cmt, total);
	}
	return ATP_OK;
}

/*
 * Strips the exported-PDU tags of a LINKTYPE_WIRESHARK_UPPER_PDU packet,
 * taking the direction from a P2P_DIRECTION tag when the flags gave none.
 */
static int
strip_upper_pdu(struct atp_pcapng_reader *r, struct atp_span *bytes, enum atp_dir *dir,
    uint64_t off, struct atp_diag *d)
{
	struct atp_cur c = atp_cur_make(bytes->p, bytes->len);
	uint16_t type, len;
	struct atp_span val;

	for (;;) {
		if (cur_u16(&c, 1, &type) != ATP_OK || cur_u16(&c, 1, &len) != ATP_OK ||
		    atp_cur_take(&c, len, &val) != ATP_OK)
			return rerr(r, d, ATP_ERR_SYNTAX, off, "exported-PDU tags run past the "
			    "packet (link type 252)");
		if (type == EXP_PDU_TAG_END_OF_OPT)
			break;
		if (type == EXP_PDU_TAG_P2P_DIRECTION && len == 4 && *dir == ATP_DIR_UNKNOWN) {
			uint32_t v = be32(val.p);
			/* Wireshark's P2P_DIR_SENT (0) is the DTE's side: the host. */
			if (v == 0)
				*dir = ATP_DIR_TO_MODULE;
			else if (v == 1)
				*dir = ATP_DIR_FROM_MODULE;
		}
	}
	*bytes = atp_span_make(c.p, c.left);
	return ATP_OK;
}

static enum atp_dir
dir_of(uint32_t flags)
{
	switch (flags & 3u) {
	case EPB_DIR_INBOUND: return ATP_DIR_FROM_MODULE;
	case EPB_DIR_OUTBOUND: return ATP_DIR_TO_MODULE;
	default: return ATP_DIR_UNKNOWN;
	}
}

/* EPB, PB or SPB: 1 with a record in @rec, or an error (@rec untouched:
 * the record is written at the end, from scalars, which also spares the
 * reader a struct copy that stalled on the store forwarding). */
static int
read_packet(struct atp_pcapng_reader *r, uint32_t type, struct atp_cur *c, uint64_t off,
    struct atp_rec *rec, unsigned *ifidx, struct atp_diag *d)
{
	uint32_t id = 0, hi = 0, lo = 0, caplen = 0, origlen = 0, flags = 0;
	struct atp_span data, pad, comment = { NULL, 0 };
	enum atp_dir dir = ATP_DIR_UNKNOWN;
	unsigned rflags = 0;
	uint64_t ts = 0;
	const struct rif *f;
	int rc;

	if (type == BT_SPB) {
		if (cur_u32(c, r->big, &origlen) != ATP_OK)
			return rerr(r, d, ATP_ERR_SYNTAX, off, "Simple Packet Block too short");
		if (r->nif == 0)
			return rerr(r, d, ATP_ERR_SYNTAX, off, "Simple Packet Block before any "
			    "Interface Description Block");
		/* No captured length: the data is what fits, and at most the snap
		 * length (pcapng §4.4). */
		caplen = origlen;
		if (caplen > c->left)
			caplen = (uint32_t)c->left;
		if (r->ifs[0].snaplen != 0 && caplen > r->ifs[0].snaplen)
			caplen = r->ifs[0].snaplen;
		(void)atp_cur_take(c, caplen, &data);
		rflags |= ATP_RECF_NO_TIME;
	} else {
		struct atp_span h;
		/* The fixed fields in one take: the interface (a PB's 16 bits
		 * and its drop count), the time stamp, the two lengths. */
		if (atp_cur_take(c, 20, &h) != ATP_OK)
			return rerr(r, d, ATP_ERR_SYNTAX, off, "%s too short", block_name(type));
		id = type == BT_PB ? rd16(h.p, r->big) : rd32(h.p, r->big);
		hi = rd32(h.p + 4, r->big);
		lo = rd32(h.p + 8, r->big);
		caplen = rd32(h.p + 12, r->big);
		origlen = rd32(h.p + 16, r->big);
		if (id >= r->nif)
			return rerr(r, d, ATP_ERR_SYNTAX, off, "%s on interface %u, but the section "
			    "has %u", block_name(type), id, r->nif);
		if (atp_cur_take(c, caplen, &data) != ATP_OK || atp_cur_take(c, pad4(caplen) - caplen, &pad) != ATP_OK)
			return rerr(r, d, ATP_ERR_SYNTAX, off, "%s: %u captured bytes do not fit "
			    "in the block", block_name(type), caplen);
		rc = packet_opts(r, c->p, c->left, off, &flags, &comment, d);
		if (rc < 0)
			return rc;
		f = &r->ifs[id];
		if (ts_to_us((uint64_t)hi << 32 | lo, f->tsresol, f->tsoffset, &ts) != ATP_OK)
			return rerr(r, d, ATP_ERR_LIMIT, off, "time stamp out of range "
			    "(if_tsresol %u, if_tsoffset %lld)", f->tsresol, (long long)f->tsoffset);
		dir = dir_of(flags);
	}
	rec->cut_len = 0;
	if (origlen > caplen) {
		rflags |= ATP_RECF_CUT;
		rec->cut_len = origlen - caplen;
	}
	if (r->ifs[id].linktype == ATP_LINKTYPE_UPPER_PDU) {
		rc = strip_upper_pdu(r, &data, &dir, off, d);
		if (rc < 0)
			return rc;
	}
	/* Member by member: a copy of a whole span just written as two
	 * words stalls on the store forwarding. */
	rec->ts_us = ts;
	rec->dir = dir;
	rec->flags = rflags;
	rec->bytes.p = data.p;
	rec->bytes.len = data.len;
	rec->comment.p = comment.p;
	rec->comment.len = comment.len;
	rec->src_file = r->name;
	rec->src_line = 0;
	rec->src_offset = off;
	rec->data_off = in_off(r, data.p);
	*ifidx = id;
	return 1;
}

/* One pcapng block: 1 with a record, 0 if it was another block, 2 at the
 * end of the input, or an error. */
static int
pcapng_block(struct atp_pcapng_reader *r, struct atp_rec *rec, unsigned *ifidx,
    struct atp_diag *d)
{
	uint64_t off = r->base + r->pos;
	const uint8_t *p;
	uint32_t type, len, trailer;
	struct atp_cur c;
	int rc, big = r->big;

	rc = fill(r, 8, d);
	if (rc == ATP_ERR_AGAIN && r->end == r->pos)
		return 2;
	if (rc == ATP_ERR_AGAIN)
		return rerr(r, d, rc, off, "the file ends inside a block header "
		    "(%zu of 8 bytes)", r->end - r->pos);
	if (rc < 0)
		return rc;
	p = win(r);
	type = rd32(p, big);
	if (type == BT_SHB) {
		/* A new section: its byte-order magic decides how to read it,
		 * the length included. */
		rc = fill(r, 12, d);
		if (rc == ATP_ERR_AGAIN)
			return rerr(r, d, rc, off, "the file ends inside a Section Header Block "
			    "(%zu of 12 bytes)", r->end - r->pos);
		if (rc < 0)
			return rc;
		p = win(r);
		if (le32(p + 8) == BOM)
			big = 0;
		else if (be32(p + 8) == BOM)
			big = 1;
		else
			return rerr(r, d, ATP_ERR_SYNTAX, off, "bad byte-order magic "
			    "%02x %02x %02x %02x", p[8], p[9], p[10], p[11]);
	} else if (!r->in_section) {
		return rerr(r, d, ATP_ERR_SYNTAX, off, "the file does not start with a "
		    "Section Header Block");
	}
	len = rd32(p + 4, big);
	if (len < 12 || len % 4 != 0)
		return rerr(r, d, ATP_ERR_SYNTAX, off, "%s with a bad length %u "
		    "(a multiple of 4, at least 12)", block_name(type), len);
	if (len > ATP_PCAPNG_BLOCK_MAX)
		return rerr(r, d, ATP_ERR_LIMIT, off, "%s of %u bytes (at most %u)",
		    block_name(type), len, (unsigned)ATP_PCAPNG_BLOCK_MAX);
	rc = fill(r, len, d);
	if (rc == ATP_ERR_AGAIN)
		return rerr(r, d, rc, off, "the file ends inside this %s (%zu of %u bytes)",
		    block_name(type), r->end - r->pos, len);
	if (rc < 0)
		return rc;
	p = win(r);
	trailer = rd32(p + len - 4, big);
	if (trailer != len)
		return rerr(r, d, ATP_ERR_SYNTAX, off, "%s: the trailing length %u differs "
		    "from the leading %u", block_name(type), trailer, len);
	c = atp_cur_make(p + 8, len - 12);
	/* Consumed now: the record's spans stay valid until the next fill. */
	r->pos += len;
	switch (type) {
	case BT_SHB:
		r->big = big;
		rc = read_shb(r, &c, off, d);
		return rc < 0 ? rc : 0;
	case BT_IDB:
		rc = read_idb(r, &c, off, d);
		return rc < 0 ? rc : 0;
	case BT_EPB:
	case BT_PB:
	case BT_SPB:
		return read_packet(r, type, &c, off, rec, ifidx, d);
	default:
		return 0;  /* statistics, name resolution, custom blocks... */
	}
}

/* Classic pcap: a 24-byte file header, then 16-byte record headers. */
static int
pcap_header(struct atp_pcapng_reader *r, struct atp_diag *d)
{
	const uint8_t *p;
	uint16_t major;
	uint32_t magic;
	int rc;

	rc = fill(r, PCAP_HDR_LEN, d);
	if (rc == ATP_ERR_AGAIN)
		return rerr(r, d, rc, 0, "the file ends inside the pcap header "
		    "(%zu of %d bytes)", r->end - r->pos, PCAP_HDR_LEN);
	if (rc < 0)
		return rc;
	p = win(r);
	magic = le32(p);
	r->big = magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS;
	magic = rd32(p, r->big);
	r->pcap_nsec = magic == PCAP_MAGIC_NS;
	major = rd16(p + 4, r->big);
	if (major != 2)
		return rerr(r, d, ATP_ERR_UNSUPP, 0, "pcap version %u.%u (only 2.x is read)",
		    major, rd16(p + 6, r->big));
	r->pcap_snaplen = rd32(p + 16, r->big);
	/* The upper bits of the link type field carry FCS information. */
	r->pcap_linktype = (int)(rd32(p + 20, r->big) & 0xFFFFu);
	r->pos += PCAP_HDR_LEN;
	return ATP_OK;
}

static int
pcap_record(struct atp_pcapng_reader *r, struct atp_rec *rec, struct atp_diag *d)
{
	uint64_t off = r->base + r->pos;
	uint32_t sec, frac, caplen, origlen;
	const uint8_t *p;
	int rc;

	rc = fill(r, PCAP_REC_HDR_LEN, d);
	if (rc == ATP_ERR_AGAIN && r->end == r->pos)
		return 2;
	if (rc == ATP_ERR_AGAIN)
		return rerr(r, d, rc, off, "the file ends inside a record header "
		    "(%zu of %d bytes)", r->end - r->pos, PCAP_REC_HDR_LEN);
	if (rc < 0)
		return rc;
	p = win(r);
	sec = rd32(p, r->big);
	frac = rd32(p + 4, r->big);
	caplen = rd32(p + 8, r->big);
	origlen = rd32(p + 12, r->big);
	if (caplen > ATP_PCAPNG_BLOCK_MAX - PCAP_REC_HDR_LEN)
		return rerr(r, d, ATP_ERR_LIMIT, off, "a pcap record of %u bytes (at most %u)",
		    caplen, (unsigned)(ATP_PCAPNG_BLOCK_MAX - PCAP_REC_HDR_LEN));
	rc = fill(r, PCAP_REC_HDR_LEN + (size_t)caplen, d);
	if (rc == ATP_ERR_AGAIN)
		return rerr(r, d, rc, off, "the file ends inside a record (%zu of %u bytes)",
		    r->end - r->pos, PCAP_REC_HDR_LEN + caplen);
	if (rc < 0)
		return rc;
	p = win(r);
	memset(rec, 0, sizeof(*rec));
	rec->ts_us = (uint64_t)sec * 1000000u + (r->pcap_nsec ? frac / 1000u : frac);
	rec->bytes = atp_span_make(p + PCAP_REC_HDR_LEN, caplen);
	if (origlen > caplen) {
		rec->flags |= ATP_RECF_CUT;
		rec->cut_len = origlen - caplen;
	}
	rec->src_file = r->name;
	rec->src_offset = off;
	r->pos += PCAP_REC_HDR_LEN + (size_t)caplen;
	if (r->pcap_linktype == ATP_LINKTYPE_UPPER_PDU) {
		rc = strip_upper_pdu(r, &rec->bytes, &rec->dir, off, d);
		if (rc < 0)
			return rc;
	}
	rec->data_off = in_off(r, rec->bytes.p);
	return 1;
}

/* Looks at the first four bytes to choose between pcapng and pcap. */
static int
start(struct atp_pcapng_reader *r, struct atp_diag *d)
{
	const uint8_t *p;
	int rc;

	rc = fill(r, 4, d);
	if (rc == ATP_ERR_AGAIN)
		return rerr(r, d, rc, 0, r->end == r->pos ? "the file is empty" :
		    "the file is too short for a capture");
	if (rc < 0)
		return rc;
	p = win(r);
	if (le32(p) == PCAP_MAGIC_MOD || be32(p) == PCAP_MAGIC_MOD)
		return rerr(r, d, ATP_ERR_UNSUPP, 0, "libpcap's modified pcap format "
		    "(convert it with editcap)");
	r->fmt = atp_capture_sniff(p, 4);
	switch (r->fmt) {
	case ATP_CAPFMT_PCAPNG:
		return ATP_OK;
	case ATP_CAPFMT_PCAP:
		rc = pcap_header(r, d);
		if (rc < 0)
			r->fmt = ATP_CAPFMT_UNKNOWN;
		return rc;
	case ATP_CAPFMT_UNKNOWN:
		break;
	}
	return rerr(r, d, ATP_ERR_SYNTAX, 0, "neither a pcapng nor a pcap file "
	    "(it starts %02x %02x %02x %02x)", p[0], p[1], p[2], p[3]);
}

int
atp_pcapng_next(struct atp_pcapng_reader *r, struct atp_rec *out, unsigned *ifidx,
    int *linktype, struct atp_diag *d)
{
	struct atp_rec rec;
	unsigned id = 0;
	int rc;

	if (r == NULL || out == NULL)
		return atp_diag_set(d, ATP_ERR_ARG, "no capture reader or record");
	if (r->failed) {
		if (d != NULL)
			d->offset = (size_t)r->fail_off;
		return atp_diag_set(d, r->failed, "%s: offset %llu: %s", r->name,
		    (unsigned long long)r->fail_off, r->fail_msg);
	}
	if (r->fmt == ATP_CAPFMT_UNKNOWN) {
		rc = start(r, d);
		if (rc < 0)
			return rc;
	}
	for (;;) {
		/* A pcapng record is written to @out only once it is whole. */
		if (r->fmt == ATP_CAPFMT_PCAP)
			rc = pcap_record(r, &rec, d);
		else
			rc = pcapng_block(r, out, &id, d);
		if (rc < 0)
			return rc;
		if (rc == 2)
			return 0;
		if (rc == 1)
			break;
	}
	if (r->fmt == ATP_CAPFMT_PCAP)
		*out = rec;
	if (ifidx != NULL)
		*ifidx = id;
	if (linktype != NULL)
		*linktype = r->fmt == ATP_CAPFMT_PCAP ? r->pcap_linktype : r->ifs[id].linktype;
	return 1;
}

static int
reader_new(int fd, int own_fd, const void *mem, size_t len, const char *name,
    struct atp_pcapng_reader **out, struct atp_diag *d)
{
	struct atp_pcapng_reader *r = atp_calloc(1, sizeof(*r));

	if (r != NULL) {
		r->name = atp_strdup(name);
		r->ifs = atp_calloc(ATP_PCAPNG_IF_MAX, sizeof(*r->ifs));
	}
	if (r == NULL || r->name == NULL || r->ifs == NULL) {
		if (r != NULL) {
			atp_free(r->name);
			atp_free(r->ifs);
		}
		atp_free(r);
		if (own_fd)
			close(fd);
		return atp_diag_set(d, ATP_ERR_NOMEM, "%s: out of memory", name);
	}
	r->fd = fd;
	r->own_fd = own_fd;
	if (mem != NULL) {
		r->mem = mem;
		r->end = len;
	}
	*out = r;
	return ATP_OK;
}

int
atp_pcapng_reader_open(const char *path, struct atp_pcapng_reader **out, struct atp_diag *d)
{
	int fd;

	if (out == NULL)
		return atp_diag_set(d, ATP_ERR_ARG, "no place for the capture reader");
	*out = NULL;
	if (path == NULL)
		return atp_diag_set(d, ATP_ERR_ARG, "no capture file name");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (d != NULL)
			d->sys_errno = e;
		return atp_diag_set(d, ATP_ERR_IO, "%s: cannot open: %s", path, strerror(e));
	}
	return reader_new(fd, 1, NULL, 0, path, out, d);
}

int
atp_pcapng_reader_open_fd(int fd, const char *name, struct atp_pcapng_reader **out,
    struct atp_diag *d)
{
	char buf[32];

	if (out == NULL)
		return atp_diag_set(d, ATP_ERR_ARG, "no place for the capture reader");
	*out = NULL;
	if (fd < 0)
		return atp_diag_set(d, ATP_ERR_ARG, "bad file descriptor %d", fd);
	if (name == NULL) {
		snprintf(buf, sizeof(buf), "<fd %d>", fd);
		name = buf;
	}
	return reader_new(fd, 0, NULL, 0, name, out, d);
}

int
atp_pcapng_reader_open_mem(const void *p, size_t len, const char *name,
    struct atp_pcapng_reader **out, struct atp_diag *d)
{
	static const uint8_t empty[1];

	if (out == NULL)
		return atp_diag_set(d, ATP_ERR_ARG, "no place for the capture reader");
	*out = NULL;
	if (p == NULL && len > 0)
		return atp_diag_set(d, ATP_ERR_ARG, "no memory to read");
	return reader_new(-1, 0, p != NULL ? p : empty, p != NULL ? len : 0,
	    name != NULL ? name : "<memory>", out, d);
}

void
atp_pcapng_reader_close(struct atp_pcapng_reader *r)
{
	if (r == NULL)
		return;
	if (r->own_fd)
		close(r->fd);
	atp_free(r->cmt);
	atp_free(r->buf);
	atp_free(r->ifs);
	atp_free(r->name);
	atp_free(r);
}

int
atp_pcapng_reader_ifinfo(const struct atp_pcapng_reader *r, unsigned ifidx,
    struct atp_pcapng_ifinfo *out)
{
	const struct rif *f;

	if (r == NULL || out == NULL)
		return ATP_ERR_ARG;
	if (r->fmt == ATP_CAPFMT_PCAP && ifidx == 0) {
		memset(out, 0, sizeof(*out));
		out->linktype = r->pcap_linktype;
		out->snaplen = r->pcap_snaplen;
		return ATP_OK;
	}
	if (r->fmt != ATP_CAPFMT_PCAPNG || ifidx >= r->nif)
		return ATP_ERR_NOTFOUND;
	f = &r->ifs[ifidx];
	out->linktype = f->linktype;
	out->snaplen = f->snaplen;
	out->name = atp_span_make(f->name, f->name_len);
	out->description = atp_span_make(f->desc, f->desc_len);
	return ATP_OK;
}

enum atp_capfmt
atp_pcapng_reader_format(const struct atp_pcapng_reader *r)
{
	return r != NULL ? r->fmt : ATP_CAPFMT_UNKNOWN;
}
