/* SPDX-License-Identifier: MIT */
/* \summary: byte-stream framer for the module's output */
#ifndef ATPROOF_FRAMER_H
#define ATPROOF_FRAMER_H

#include <stddef.h>
#include <stdint.h>

#include "atproof/cmd.h"
#include "atproof/cursor.h"
#include "atproof/err.h"

/*
 * The framer turns what the module sends (in chunks of any size: one byte
 * or megabytes) into frames: responses, asynchronous reports, echoed command
 * lines, counted binary data, other text lines and stray line-end bytes.
 * Every byte fed ends up in exactly one frame, and the frames do not depend
 * on how the input was chunked: feeding the same bytes in any chunking, with
 * flushes at the same stream offsets, yields the same frames.
 *
 * Line ends are kept exactly as seen, so a missing or extra CR/LF is
 * visible in atp_frame.term. The rules:
 *   - A line's text runs to its first CR or LF; its terminator is the run of
 *     CR/LF bytes that follows.
 *   - A response ("+OK", "+OK=...", "+ERR=...") or report line is complete
 *     when its run ends in CR LF CR LF, or when a byte that is not CR/LF
 *     follows the run, or on atp_framer_flush(). So "+OK\r\n\r\n" completes
 *     at once, "+ERR=-2\r\n" (a parse-stage error, firmware §1.4) when the
 *     next byte shows the run has ended, "+OK=1\n\r\n\r\n" (the SKRPTM query
 *     quirk) with term "\n\r\n\r\n".
 *   - A response to a list command (ATP_CMD_LIST: WSCAN, SKSTT) goes on over
 *     entry lines: a run of one line end followed by more text continues it.
 *     Once it has an entry, it is complete at CR LF CR LF CR LF (the
 *     firmware's ending), or at CR LF CR LF followed by other bytes, or on
 *     flush.
 *   - An echo (a line starting "AT+", any case) or other text line is
 *     complete at its first LF, or when a byte that is not CR/LF follows.
 *   - CR/LF bytes after a complete frame and before any other byte form a
 *     STRAY frame, complete when another byte arrives or on flush.
 *   - "+MQD:<len>,<data>" carries <len> bytes inline that may hold CR/LF.
 *   - After a report with ATP_RPT_DATA_COUNTED (+SKTRPT, +HTTPCRPT), and
 *     after the response to an expected command with ATP_PHASE_DEVICE_DATA
 *     (SKRCV "+OK=<n>"), the next <n> bytes are DATA frames, cut in pieces
 *     of at most ATP_FRAME_DATA_MAX bytes.
 *   - In transparent mode every byte is DATA, emitted in pieces of at most
 *     ATP_FRAME_DATA_MAX bytes or on flush.
 * A line longer than opts.line_max is emitted in pieces flagged
 * ATP_FRF_TRUNCATED (the first) and ATP_FRF_CONTINUED (the rest).
 *
 * flush() says "no more bytes are coming for now" (the line went idle, a
 * deadline passed, the file ended): a pending frame is emitted flagged
 * ATP_FRF_INCOMPLETE where it lacks its end, and counted data that is cut
 * short ends its data phase.
 */

enum atp_frame_kind {
	ATP_FRAME_RESPONSE,  /* +OK[=...] or +ERR=<code>, with any list entries */
	ATP_FRAME_REPORT,    /* an asynchronous report of the table */
	ATP_FRAME_ECHO,      /* an echoed command line */
	ATP_FRAME_DATA,      /* counted binary data, or transparent-mode bytes */
	ATP_FRAME_TEXT,      /* any other line (a banner, garbage, unknown '+') */
	ATP_FRAME_STRAY,     /* CR/LF bytes that belong to no line */
};

#define ATP_FRF_INCOMPLETE 0x01u /* flushed before its end was seen */
#define ATP_FRF_TRUNCATED  0x02u /* cut at the line or frame ceiling */
#define ATP_FRF_CONTINUED  0x04u /* a later piece of a cut line or data */
#define ATP_FRF_LAST       0x08u /* DATA: the last piece of its count */

#define ATP_FRAME_DATA_MAX 4096
#define ATP_FRAME_LINE_MAX 4096  /* default opts.line_max */
#define ATP_FRAME_MAX 65536      /* ceiling of one frame (a long WSCAN list) */
#define ATP_FRAMER_EXPECT_MAX 16 /* commands awaiting their response */

struct atp_frame {
	enum atp_frame_kind kind;
	unsigned flags;              /* ATP_FRF_* */
	uint64_t offset;             /* stream offset of bytes.p[0] */
	struct atp_span bytes;       /* every byte of the frame, line ends included */
	struct atp_span body;        /* the first line without its terminator;
	                                DATA: the data bytes */
	struct atp_span term;        /* the line ends after the last line */
	size_t nlines;               /* lines: 1, or 1 + entries of a list */
	/* RESPONSE */
	int is_error;                /* +ERR= */
	long errcode;                /* the code after +ERR= (0 if unreadable) */
	int errcode_ok;              /* errcode was a well-formed signed decimal */
	const struct atp_cmd *cmd;   /* the command it answers, if expected */
	enum atp_form form;
	/* REPORT */
	const struct atp_report *report;
	/* DATA */
	uint64_t data_total;         /* the announced count (0: transparent) */
	uint64_t data_done;          /* bytes of the count delivered so far,
	                                this piece included */
};

/*
 * Line @i (0-based, < nlines) of a RESPONSE/REPORT/TEXT/ECHO frame, without
 * its line end, and the line end after it in @term (NULL allowed). Returns
 * ATP_ERR_ARG if @i is out of range.
 */
int atp_frame_line(const struct atp_frame *f, size_t i, struct atp_span *line, struct atp_span *term);

struct atp_framer_opts {
	size_t line_max;        /* 0: ATP_FRAME_LINE_MAX */
	size_t sktrpt_cap;      /* LUAT caps +SKTRPT data at 511 bytes while
	                           announcing the full length; 0: no cap */
};

struct atp_framer;

/* Called for each complete frame; the frame and its bytes are valid only
 * during the call. */
typedef void atp_frame_fn(void *ctx, const struct atp_frame *f);

/* Creates a framer (opts may be NULL). *out is NULL on failure. */
int atp_framer_new(const struct atp_framer_opts *opts, struct atp_framer **out);
void atp_framer_free(struct atp_framer *fr);
/* Back to the initial state (pending bytes are dropped, offset kept). */
void atp_framer_reset(struct atp_framer *fr);

/* Feeds bytes; calls @cb for each frame completed by them. Returns ATP_OK or
 * ATP_ERR_NOMEM. */
int atp_framer_feed(struct atp_framer *fr, const void *buf, size_t len, atp_frame_fn *cb, void *ctx);
/* Emits whatever is pending (see above). */
int atp_framer_flush(struct atp_framer *fr, atp_frame_fn *cb, void *ctx);

/* Tells the framer a command was sent: the next RESPONSE frame answers it
 * (a FIFO of ATP_FRAMER_EXPECT_MAX; older entries drop when full). This is
 * how it knows list responses and SKRCV's data phase. */
void atp_framer_expect(struct atp_framer *fr, const struct atp_cmd *cmd, enum atp_form form);
/* Forgets the expected commands. */
void atp_framer_expect_clear(struct atp_framer *fr);
/* Enters (on=1) or leaves transparent mode; leaving emits pending data. */
int atp_framer_transparent(struct atp_framer *fr, int on, atp_frame_fn *cb, void *ctx);
/* Total bytes fed so far. */
uint64_t atp_framer_offset(const struct atp_framer *fr);

const char *atp_frame_kind_name(enum atp_frame_kind k);

#endif
