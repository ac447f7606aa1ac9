/* SPDX-License-Identifier: MIT */
/* \summary: the capture record model and atproof's pcapng writer and reader */
#ifndef ATPROOF_CAPTURE_H
#define ATPROOF_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "atproof/cursor.h"
#include "atproof/err.h"

/*
 * Captures
 *
 * Every tool speaks in records: a burst of bytes that crossed the UART in
 * one direction at one time. The harness writes them to a pcapng as the run
 * goes; the analyzer's importers (pcapng, terminal logs, hex dumps, CSV)
 * turn their input into the same records.
 *
 * libpcap cannot write pcapng and drops the direction flags and comments
 * when it reads one, so the core has its own pcapng code (DESIGN.md, "Facts
 * that shape the code"). The file layout:
 *   - a Section Header Block with shb_userappl "atproof <version>";
 *   - one Interface Description Block per UART, with if_name (the port),
 *     if_description ("115200 8N1") and if_tsresol 6 (microseconds);
 *   - one Enhanced Packet Block per record, with epb_flags carrying the
 *     direction (bits 0-1: 01 inbound = from the module, 10 outbound = to
 *     the module) and opt_comment for comments.
 * The link type is LINKTYPE_WIRESHARK_UPPER_PDU (252): each packet starts
 * with exported-PDU tags naming the dissector "at", so a plain
 * `tshark -r FILE` decodes the AT text with its direction. LINKTYPE_USER0
 * (147) is the alternative: the packet is the bare UART bytes, and Wireshark
 * needs the user_dlts preference to pick the "at" dissector.
 * (analyzer-anchors.md §1.7-1.9.)
 */

/* Link types (tcpdump.org link-layer header types). */
#define ATP_LINKTYPE_USER0      147
#define ATP_LINKTYPE_USER15     162
#define ATP_LINKTYPE_UPPER_PDU  252

/* Ceilings of the reader (and of what the writer agrees to write). */
#define ATP_PCAPNG_BLOCK_MAX    (16u << 20)  /* one block, headers included */
#define ATP_PCAPNG_IF_MAX       256          /* interfaces in one section */
#define ATP_PCAPNG_IFSTR_MAX    128          /* if_name / if_description kept */
#define ATP_PCAPNG_COMMENT_MAX  65535        /* one opt_comment (a u16 length) */

/* Which way the bytes went. pcapng calls the host's side "outbound". */
enum atp_dir {
	ATP_DIR_UNKNOWN = 0,
	ATP_DIR_TO_MODULE,      /* host -> module (DTE -> DCE), pcapng outbound */
	ATP_DIR_FROM_MODULE,    /* module -> host (DCE -> DTE), pcapng inbound */
};

/* atp_rec.flags */
#define ATP_RECF_DIR_INFERRED 0x01u /* direction guessed (e.g. from the text),
                                       not recorded; the writer drops this */
#define ATP_RECF_NO_TIME      0x02u /* the source has no timestamp (ts_us 0) */
#define ATP_RECF_CUT          0x04u /* fewer bytes captured than were sent
                                       (snap length or a cut record) */

/*
 * One record: a burst of bytes in one direction.
 *
 * The spans are not owned. A record delivered by a reader (or an importer)
 * points into the reader's memory and is valid until the next call on that
 * reader; copy what must outlive it.
 */
struct atp_rec {
	uint64_t ts_us;            /* microseconds since the Unix epoch (UTC) */
	enum atp_dir dir;
	unsigned flags;            /* ATP_RECF_* */
	struct atp_span bytes;     /* the bytes on the wire, any values */
	struct atp_span comment;   /* UTF-8 text, len 0 = none; several
	                              pcapng comments are joined with '\n' */
	/* Where the record came from, for the analyzer's findings. */
	const char *src_file;      /* file name, not owned; NULL if unknown */
	unsigned long src_line;    /* 1-based line of a text source; 0 if binary */
	uint64_t src_offset;       /* byte offset of the record in src_file */
	/* With ATP_RECF_CUT: how many bytes went over the line after these
	 * that the capture did not keep (its snap length, usbmon's 32 bytes
	 * of text); 0 when not known. */
	uint64_t cut_len;
	/* The file offset of bytes.p[0] when the bytes are the input's own,
	 * a slice of it (pcapng and pcap records, read from a file or from
	 * memory); UINT64_MAX otherwise. */
	uint64_t data_off;
};

/* "to-module", "from-module" or "unknown". */
const char *atp_dir_str(enum atp_dir dir);

/* What the first bytes of a file are. */
enum atp_capfmt {
	ATP_CAPFMT_UNKNOWN = 0,
	ATP_CAPFMT_PCAPNG,         /* starts with a Section Header Block */
	ATP_CAPFMT_PCAP,           /* classic pcap, microsecond or nanosecond */
};

/* Tells a pcapng or a classic pcap from anything else by its first bytes
 * (at least 4 are needed; fewer give ATP_CAPFMT_UNKNOWN). */
enum atp_capfmt atp_capture_sniff(const void *head, size_t len);

/*
 * Writer
 *
 * Each block is built in memory and handed to the kernel with a single
 * write() before the call returns, never buffered in stdio: a run that is
 * killed leaves a readable file up to its last complete block. When a write
 * fails (ENOSPC, EFBIG, EIO...), the call returns ATP_ERR_IO with errno in
 * the diagnostic, the file is cut back to the end of the last complete
 * block where it can be (a regular file), and every later call returns
 * ATP_ERR_IO at once: what was written stays a valid pcapng.
 *
 * A writer is not thread-safe; use one per thread or lock around it.
 */
struct atp_pcapng_writer;

struct atp_pcapng_opts {
	int linktype;              /* ATP_LINKTYPE_UPPER_PDU (also when 0) or
	                              ATP_LINKTYPE_USER0..USER15 */
	const char *if_name;       /* interface 0: the port ("/dev/ttyUSB0");
	                              NULL: no if_name */
	const char *if_description; /* interface 0: "115200 8N1"; NULL: none */
	const char *userappl;      /* NULL: "atproof " ATPROOF_VERSION */
	const char *comment;       /* section comment (e.g. the command line);
	                              NULL: none */
	int sync;                  /* non-zero: fdatasync() after each block, so
	                              blocks also survive a power loss (slow) */
};

/*
 * Creates (or truncates) @path, writes the Section Header Block and the
 * Interface Description Block of interface 0. @opts may be NULL (all
 * defaults). On success *out is a writer to pass to atp_pcapng_close().
 *
 * @return ATP_OK; ATP_ERR_IO (cannot create or write: errno in the
 * diagnostic), ATP_ERR_ARG (a link type other than those above, a string
 * longer than ATP_PCAPNG_COMMENT_MAX), ATP_ERR_NOMEM. *out is NULL on
 * failure; a file created before a failed write is left as it is.
 */
int atp_pcapng_open(const char *path, const struct atp_pcapng_opts *opts,
    struct atp_pcapng_writer **out, struct atp_diag *d);

/* Same, writing to @fd (a file, pipe or socket), which stays the caller's:
 * atp_pcapng_close() does not close it. */
int atp_pcapng_open_fd(int fd, const struct atp_pcapng_opts *opts,
    struct atp_pcapng_writer **out, struct atp_diag *d);

/*
 * Adds an interface (another UART of the station) and sets *ifidx (may be
 * NULL) to its index for atp_pcapng_write(). Interface 0 exists from the
 * start. @name and @description may be NULL.
 * @return ATP_OK; ATP_ERR_LIMIT past ATP_PCAPNG_IF_MAX interfaces;
 * ATP_ERR_ARG, ATP_ERR_NOMEM, ATP_ERR_IO.
 */
int atp_pcapng_add_if(struct atp_pcapng_writer *w, const char *name,
    const char *description, unsigned *ifidx, struct atp_diag *d);

/*
 * Writes @rec as one Enhanced Packet Block on interface @ifidx: its
 * timestamp, its direction (epb_flags; none for ATP_DIR_UNKNOWN), its bytes
 * and, as opt_comment options, first the comments pending from
 * atp_pcapng_comment() and then rec->comment. The source fields and
 * ATP_RECF_DIR_INFERRED are not stored.
 * @return ATP_OK; ATP_ERR_ARG (unknown @ifidx, a comment longer than
 * ATP_PCAPNG_COMMENT_MAX); ATP_ERR_LIMIT (the block would exceed
 * ATP_PCAPNG_BLOCK_MAX: cut big bursts into several records);
 * ATP_ERR_NOMEM; ATP_ERR_IO (see above). On failure the pending comments
 * are kept for the next record.
 */
int atp_pcapng_write(struct atp_pcapng_writer *w, unsigned ifidx,
    const struct atp_rec *rec, struct atp_diag *d);

/*
 * Records a comment (a step boundary, "step 3: expect +OK") at time @ts_us.
 * It is attached to the next record written. If no record follows before
 * atp_pcapng_close(), the pending comments are written as an Enhanced
 * Packet Block with no bytes, the time of the last comment and the
 * interface of the last record. An empty or NULL @text does nothing.
 * @return ATP_OK; ATP_ERR_ARG (longer than ATP_PCAPNG_COMMENT_MAX);
 * ATP_ERR_LIMIT (the comments pending would not fit in one block);
 * ATP_ERR_NOMEM; ATP_ERR_IO (the writer failed earlier).
 */
int atp_pcapng_comment(struct atp_pcapng_writer *w, uint64_t ts_us,
    const char *text, struct atp_diag *d);

/*
 * Writes the pending comments (if any), closes the file (not an fd given to
 * atp_pcapng_open_fd()) and frees @w, whatever happens. NULL is allowed.
 * @return ATP_OK or the first error (ATP_ERR_IO): the caller must know that
 * the capture's end is missing.
 */
int atp_pcapng_close(struct atp_pcapng_writer *w, struct atp_diag *d);

/*
 * Reader
 *
 * Reads pcapng (both byte orders, any number of sections and interfaces;
 * Enhanced, Simple and obsolete Packet Blocks; other blocks are skipped)
 * and classic pcap (microsecond and nanosecond, both byte orders; no
 * direction), one record per call, in memory bounded by the largest block
 * (at most ATP_PCAPNG_BLOCK_MAX) whatever the file size.
 *
 * What a record gets from a pcapng:
 *   - ts_us from the interface's if_tsresol (powers of 10 and of 2) and
 *     if_tsoffset; a Simple Packet Block has no time (ATP_RECF_NO_TIME);
 *   - dir from epb_flags (obsolete Packet Block: pack_flags); for link type
 *     252 also from an exported-PDU P2P_DIRECTION tag when the flags say
 *     nothing;
 *   - bytes: the packet data; for link type 252 the exported-PDU tags are
 *     stripped and bytes is the payload after them;
 *   - comment: every opt_comment of the block, joined with '\n';
 *   - src_file the reader's name, src_offset the block's offset, src_line 0.
 *
 * Errors carry the byte offset of the block at fault (atp_diag.offset, and
 * in the message). Every complete record before the fault is delivered
 * first. A file that ends inside a block (a capture still being written, or
 * a run killed mid-write) gives ATP_ERR_AGAIN; the reader keeps its place,
 * so with a file or fd a later call picks up the bytes appended since.
 * Other errors are final: every later call returns the same error.
 *
 * A reader is not thread-safe.
 */
struct atp_pcapng_reader;

/* Opens @path for reading. The name used in records and diagnostics is
 * @path (copied). @return ATP_OK, ATP_ERR_IO, ATP_ERR_NOMEM; *out NULL on
 * failure. */
int atp_pcapng_reader_open(const char *path, struct atp_pcapng_reader **out,
    struct atp_diag *d);

/* Reads from @fd (a file or a pipe), which stays the caller's. @name (may
 * be NULL: "<fd N>") is copied. */
int atp_pcapng_reader_open_fd(int fd, const char *name,
    struct atp_pcapng_reader **out, struct atp_diag *d);

/* Reads @len bytes at @p, which are not copied and must outlive the reader.
 * @name may be NULL ("<memory>"). */
int atp_pcapng_reader_open_mem(const void *p, size_t len, const char *name,
    struct atp_pcapng_reader **out, struct atp_diag *d);

/* Closes the file opened by atp_pcapng_reader_open() and frees @r. NULL is
 * allowed. */
void atp_pcapng_reader_close(struct atp_pcapng_reader *r);

/*
 * Delivers the next record into @out, the index of its interface in its
 * section into *ifidx and its link type into *linktype (either may be NULL;
 * classic pcap: interface 0 and the file's link type).
 *
 * @return 1 with a record; 0 at the end of the input (after a complete
 * block); ATP_ERR_AGAIN (the input ends inside a block, or is empty);
 * ATP_ERR_SYNTAX (not a capture, a corrupt block); ATP_ERR_UNSUPP (a pcapng
 * version other than 1.0/1.2, a pcap variant we cannot read); ATP_ERR_LIMIT
 * (a block over ATP_PCAPNG_BLOCK_MAX, too many interfaces, a time stamp
 * past 2^64 microseconds); ATP_ERR_IO; ATP_ERR_NOMEM. *out is unchanged
 * unless 1 is returned.
 */
int atp_pcapng_next(struct atp_pcapng_reader *r, struct atp_rec *out,
    unsigned *ifidx, int *linktype, struct atp_diag *d);

/* What the reader knows of an interface of the current section. */
struct atp_pcapng_ifinfo {
	int linktype;
	uint32_t snaplen;          /* 0: no limit */
	struct atp_span name;      /* if_name, at most ATP_PCAPNG_IFSTR_MAX
	                              bytes; empty if absent */
	struct atp_span description; /* if_description, likewise */
};

/* Fills @out for interface @ifidx of the section of the last record. The
 * spans are valid until the next section starts or the reader is closed.
 * @return ATP_OK or ATP_ERR_NOTFOUND. */
int atp_pcapng_reader_ifinfo(const struct atp_pcapng_reader *r, unsigned ifidx,
    struct atp_pcapng_ifinfo *out);

/* The format being read: ATP_CAPFMT_UNKNOWN until the first call to
 * atp_pcapng_next() has seen the file's first bytes. */
enum atp_capfmt atp_pcapng_reader_format(const struct atp_pcapng_reader *r);

#endif
