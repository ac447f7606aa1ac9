/* SPDX-License-Identifier: MIT */
/* \summary: byte-stream framer for the module's output */
#include <assert.h>
#include <limits.h>
#include <string.h>

#include "atproof/alloc.h"
#include "atproof/cmd.h"
#include "atproof/cursor.h"
#include "atproof/err.h"
#include "atproof/framer.h"
#include "atproof/shape.h"

/*
 * The framer is a byte-at-a-time state machine over one pending buffer.
 * Every decision (where a line ends, when a frame is complete, where a piece
 * is cut) depends only on the bytes seen and on the calls made at stream
 * offsets (flush, expect, transparent), never on where a chunk ended: that
 * is what makes the frames independent of the chunking. Counted and
 * transparent data, and a line's text up to its CR/LF, are copied in runs
 * for speed, but cut at the same fixed counts (ATP_FRAME_DATA_MAX, the end
 * of the count, the line and frame ceilings) whatever the chunking.
 *
 * A frame's bytes stay in the buffer until the frame is complete; a frame
 * that outgrows the line or frame ceiling is emitted in pieces, so the
 * buffer never holds more than ATP_FRAME_MAX bytes.
 */

enum fr_state {
	ST_IDLE,        /* nothing pending */
	ST_STRAY,       /* CR/LF bytes that belong to no line */
	ST_TEXT,        /* in the text of a line (up to its first CR/LF) */
	ST_RUN,         /* in the run of CR/LF bytes after a line's text */
	ST_DATA,        /* counted binary data (SKRCV, +SKTRPT, +HTTPCRPT) */
	ST_TRANSP,      /* transparent mode (ENTM): every byte is data */
};

/* The line frame being built (ST_STRAY, ST_TEXT, ST_RUN). Cleared as a
 * whole when a new frame starts. */
struct pending {
	enum atp_frame_kind kind;
	int classified;         /* kind and its fields are known */
	int cut;                /* a piece of this frame was already emitted */
	size_t text_len;        /* text bytes of the current line in this piece */
	size_t body_len;        /* the piece's first line, once it ended */
	int body_done;
	size_t nlines;          /* lines started in this piece */
	size_t run_piece;       /* bytes of the current run in this piece */
	size_t run_len;         /* the current run: length, CRs, LFs, */
	size_t run_cr, run_lf;
	uint64_t run_tail;      /* and its last bytes, newest lowest */
	int is_error;
	int errcode_ok;
	long errcode;
	const struct atp_cmd *cmd;
	enum atp_form form;
	const struct atp_report *report;
	int list;               /* a list response (ATP_CMD_LIST, "+OK=") */
	int has_entry;
	uint64_t inline_left;   /* +MQD: data bytes still inside the line */
	int count_ok;           /* the frame announces counted data: */
	uint64_t count;
};

struct expect {
	const struct atp_cmd *cmd;
	enum atp_form form;
};

struct atp_framer {
	size_t line_max;
	size_t sktrpt_cap;
	uint64_t offset;        /* bytes fed so far: the offset of the next one */
	enum fr_state st;
	int in_cb;              /* inside the frame callback */

	uint8_t *buf;           /* the pending frame, piece or data piece */
	size_t len;
	uint64_t start;         /* stream offset of buf[0] */

	struct pending ln;

	uint64_t data_total;    /* ST_DATA: the count; ST_TRANSP: 0 */
	uint64_t data_done;     /* bytes delivered in emitted pieces */
	int data_cut;           /* ST_DATA: a piece was already emitted */

	struct expect exp[ATP_FRAMER_EXPECT_MAX];
	size_t exp_head, exp_n;
};

#define CRLF2 UINT64_C(0x0d0a0d0a)
#define CRLF3 UINT64_C(0x0d0a0d0a0d0a)

static int
is_eol(uint8_t b)
{
	return b == '\r' || b == '\n';
}

static int
span_starts(struct atp_span s, const char *lit, int ci)
{
	struct atp_cur c = atp_cur_make(s.p, s.len);

	return (ci ? atp_cur_lit_ci(&c, lit) : atp_cur_lit(&c, lit)) == ATP_OK;
}

static struct atp_span
span_from(struct atp_span s, size_t off)
{
	return atp_span_make(s.p + off, s.len - off);
}

int
atp_framer_new(const struct atp_framer_opts *opts, struct atp_framer **out)
{
	struct atp_framer *fr;

	if (out == NULL)
		return ATP_ERR_ARG;
	*out = NULL;
	fr = atp_calloc(1, sizeof(*fr));
	if (fr == NULL)
		return ATP_ERR_NOMEM;
	/* One buffer at the frame ceiling, allocated once: feeding never
	 * allocates, so it cannot fail half-way through a chunk. Zeroed:
	 * frames are matched in place, and PCRE2's JIT may read a few bytes
	 * past a frame, which memcheck reports as uninitialised. */
	fr->buf = atp_calloc(1, ATP_FRAME_MAX);
	if (fr->buf == NULL) {
		atp_free(fr);
		return ATP_ERR_NOMEM;
	}
	fr->line_max = ATP_FRAME_LINE_MAX;
	if (opts != NULL && opts->line_max != 0)
		fr->line_max = opts->line_max < ATP_FRAME_MAX ? opts->line_max : ATP_FRAME_MAX;
	if (opts != NULL)
		fr->sktrpt_cap = opts->sktrpt_cap;
	fr->st = ST_IDLE;
	*out = fr;
	return ATP_OK;
}

void
atp_framer_free(struct atp_framer *fr)
{
	if (fr == NULL)
		return;
	atp_free(fr->buf);
	atp_free(fr);
}

void
atp_framer_reset(struct atp_framer *fr)
{
	if (fr == NULL)
		return;
	fr->st = ST_IDLE;
	fr->len = 0;
	fr->start = fr->offset;
	memset(&fr->ln, 0, sizeof(fr->ln));
	fr->data_total = 0;
	fr->data_done = 0;
	fr->data_cut = 0;
	fr->exp_head = 0;
	fr->exp_n = 0;
}

uint64_t
atp_framer_offset(const struct atp_framer *fr)
{
	return fr != NULL ? fr->offset : 0;
}

void
atp_framer_expect(struct atp_framer *fr, const struct atp_cmd *cmd, enum atp_form form)
{
	size_t i;

	if (fr == NULL)
		return;
	if (fr->exp_n == ATP_FRAMER_EXPECT_MAX) {
		fr->exp_head = (fr->exp_head + 1) % ATP_FRAMER_EXPECT_MAX;
		fr->exp_n--;
	}
	i = (fr->exp_head + fr->exp_n) % ATP_FRAMER_EXPECT_MAX;
	fr->exp[i].cmd = cmd;
	fr->exp[i].form = form;
	fr->exp_n++;
}

void
atp_framer_expect_clear(struct atp_framer *fr)
{
	if (fr == NULL)
		return;
	fr->exp_head = 0;
	fr->exp_n = 0;
}

static void
expect_pop(struct atp_framer *fr)
{
	if (fr->exp_n == 0)
		return;
	fr->ln.cmd = fr->exp[fr->exp_head].cmd;
	fr->ln.form = fr->exp[fr->exp_head].form;
	fr->exp_head = (fr->exp_head + 1) % ATP_FRAMER_EXPECT_MAX;
	fr->exp_n--;
}

/* Hands a frame to the caller. The buffer is released first, so that the
 * callback may switch modes (atp_framer_transparent, _expect, _reset)
 * without anything pending; the frame's bytes stay valid during the call
 * because nothing writes the buffer until the callback returns. */
static void
emit(struct atp_framer *fr, const struct atp_frame *f, atp_frame_fn *cb, void *ctx)
{
	int was = fr->in_cb;

	fr->len = 0;
	fr->in_cb = 1;
	cb(ctx, f);
	fr->in_cb = was;
}

static void
append(struct atp_framer *fr, uint8_t b)
{
	assert(fr->len < ATP_FRAME_MAX);
	if (fr->len == 0)
		fr->start = fr->offset;
	fr->buf[fr->len++] = b;
	fr->offset++;
}

/*
 * The data length a counted report announces, and where its number ends.
 * The field is the one the table names (report->len_field); its position
 * among the comma-separated fields after the prefix is its index in the
 * report's compiled pattern: +SKTRPT=<socket>,<len>,<ip>,<port> (firmware
 * §8.4), +HTTPCRPT=<session>,<len> (§10), +MQD:<len>,<data> (manual
 * §2.2.4.7). No field before the length can hold a comma.
 */
static int
report_count(const struct atp_report *r, struct atp_span line, uint64_t *n, size_t *end)
{
	const struct atp_shape *sh;
	struct atp_cur c;
	struct atp_span skip;
	long idx, k;

	if (r->len_field == NULL)
		return ATP_ERR_NOTFOUND;
	sh = atp_report_shape(r);
	idx = atp_shape_find(sh, r->len_field);
	if (idx < 0)
		return ATP_ERR_NOTFOUND;
	c = atp_cur_make(line.p, line.len);
	if (atp_cur_lit(&c, r->prefix) != ATP_OK)
		return ATP_ERR_SYNTAX;
	for (k = 0; k < idx; k++) {
		atp_cur_until(&c, ",", &skip);
		if (atp_cur_lit(&c, ",") != ATP_OK)
			return ATP_ERR_SYNTAX;
	}
	if (atp_cur_dec(&c, n, UINT64_MAX) != ATP_OK)
		return ATP_ERR_SYNTAX;
	*end = line.len - c.left;
	return ATP_OK;
}

static void
classify_report(struct atp_framer *fr, const struct atp_report *r, struct atp_span line)
{
	struct pending *ln = &fr->ln;
	uint64_t n;
	size_t end;

	ln->kind = ATP_FRAME_REPORT;
	ln->report = r;
	if ((r->flags & (ATP_RPT_DATA_COUNTED | ATP_RPT_DATA_INLINE)) == 0 ||
	    report_count(r, line, &n, &end) != ATP_OK)
		return;
	if ((r->flags & ATP_RPT_DATA_COUNTED) != 0) {
		/* The number must be a whole field: "+SKTRPT=1,5x,..." is not
		 * a count we dare to skip data by. */
		if (end < line.len && line.p[end] != ',')
			return;
		/* LUAT sends min(len, 511) bytes after a header that
		 * announces the full length (firmware §8.4). */
		if (fr->sktrpt_cap != 0 && strcmp(r->name, "+SKTRPT") == 0 && n > fr->sktrpt_cap)
			n = fr->sktrpt_cap;
		ln->count_ok = 1;
		ln->count = n;
		return;
	}
	/* +MQD:<len>,<data>: the data starts after the comma and may hold
	 * CR/LF, so the line cannot end before <len> bytes of it. */
	if (end >= line.len || line.p[end] != ',')
		return;
	end++;
	if (n > line.len - end)
		ln->inline_left = n - (line.len - end);
}

/*
 * Decides what the pending line is, from its text so far: called once per
 * frame, at the first CR/LF of its first line, when that line is cut at the
 * ceiling, or on flush. The buffer then holds exactly that text. A response
 * takes the oldest expected command (manual §2.1.1.1: one response per
 * command, in order).
 */
static void
classify(struct atp_framer *fr)
{
	struct pending *ln = &fr->ln;
	struct atp_span line = atp_span_make(fr->buf, fr->len);
	const struct atp_report *r;

	ln->classified = 1;
	if (span_starts(line, "+OK", 0) && (line.len == 3 || line.p[3] == '=')) {
		ln->kind = ATP_FRAME_RESPONSE;
		expect_pop(fr);
		if (ln->cmd == NULL || line.len < 4)
			return;
		/* WSCAN/SKSTT: "+OK=<e1>\r\n<e2>\r\n..." (firmware §11, §4) */
		if ((ln->cmd->flags & ATP_CMD_LIST) != 0) {
			ln->list = 1;
			ln->has_entry = line.len > 4;
		}
		/* SKRCV: "+OK=<n>\r\n\r\n" then n raw bytes (firmware §8.2) */
		if (ln->cmd->phase == ATP_PHASE_DEVICE_DATA &&
		    atp_span_dec(span_from(line, 4), &ln->count, UINT64_MAX) == ATP_OK)
			ln->count_ok = 1;
		return;
	}
	if (span_starts(line, "+ERR=", 0)) {
		int64_t v;
		ln->kind = ATP_FRAME_RESPONSE;
		ln->is_error = 1;
		if (atp_span_sdec(span_from(line, 5), &v, LONG_MIN, LONG_MAX) == ATP_OK) {
			ln->errcode = (long)v;
			ln->errcode_ok = 1;
		}
		expect_pop(fr);
		return;
	}
	/* Echo: the received command line sent back, original case
	 * (firmware §1.4). */
	if (span_starts(line, "AT+", 1)) {
		ln->kind = ATP_FRAME_ECHO;
		return;
	}
	r = atp_report_match(line);
	if (r != NULL && (r->flags & ATP_RPT_BANNER) == 0) {
		classify_report(fr, r, line);
		return;
	}
	/* "ready" after AT+Z (manual §2.2.1.2) is text, not a '+' report;
	 * the report tells the caller which banner it is. */
	ln->kind = ATP_FRAME_TEXT;
	ln->report = r;
}

/* The state of a new line frame, every member set by name: a memset()
 * here became a "rep stos", whose start-up cost showed per frame (issue
 * 8). A member added to struct pending is to be set here too. */
static void
line_begin(struct atp_framer *fr, enum fr_state st)
{
	struct pending *ln = &fr->ln;
	int stray = st == ST_STRAY;

	fr->st = st;
	ln->kind = stray ? ATP_FRAME_STRAY : ATP_FRAME_TEXT;
	ln->classified = stray;
	ln->cut = 0;
	ln->text_len = 0;
	ln->body_len = 0;
	ln->body_done = stray;
	ln->nlines = stray ? 0 : 1;
	ln->run_piece = 0;
	ln->run_len = 0;
	ln->run_cr = 0;
	ln->run_lf = 0;
	ln->run_tail = 0;
	ln->is_error = 0;
	ln->errcode_ok = 0;
	ln->errcode = 0;
	ln->cmd = NULL;
	ln->form = (enum atp_form)0;
	ln->report = NULL;
	ln->list = 0;
	ln->has_entry = 0;
	ln->inline_left = 0;
	ln->count_ok = 0;
	ln->count = 0;
}

/*
 * Emits the pending line frame (or STRAY): the whole of it when @final,
 * else a piece cut at the ceiling, after which the frame goes on in the
 * same state. A complete frame that announces counted data starts the data
 * phase; one flushed before its end (ATP_FRF_INCOMPLETE) does not.
 */
static void
emit_line(struct atp_framer *fr, int final, unsigned flags, atp_frame_fn *cb, void *ctx)
{
	struct pending *ln = &fr->ln;
	size_t body_len = ln->body_done ? ln->body_len : fr->len;
	size_t term_len = fr->st == ST_RUN ? ln->run_piece : 0;
	int rsp = ln->kind == ATP_FRAME_RESPONSE;
	struct atp_frame f;

	if (!final)
		flags |= ln->cut ? ATP_FRF_CONTINUED : ATP_FRF_TRUNCATED;
	else if (ln->cut)
		flags |= ATP_FRF_CONTINUED;
	if (ln->kind == ATP_FRAME_STRAY) {
		body_len = 0;
		term_len = fr->len;
	}
	/* Every member by name, as in line_begin(). */
	f.kind = ln->kind;
	f.flags = flags;
	f.offset = fr->start;
	f.bytes = atp_span_make(fr->buf, fr->len);
	f.body = atp_span_make(fr->buf, body_len);
	f.term = atp_span_make(fr->buf + fr->len - term_len, term_len);
	f.nlines = ln->kind == ATP_FRAME_STRAY ? 0 : ln->nlines;
	f.is_error = rsp ? ln->is_error : 0;
	f.errcode = rsp ? ln->errcode : 0;
	f.errcode_ok = rsp ? ln->errcode_ok : 0;
	f.cmd = rsp ? ln->cmd : NULL;
	f.form = rsp ? ln->form : (enum atp_form)0;
	f.report = ln->report;
	f.data_total = 0;
	f.data_done = 0;
	if (final) {
		if ((flags & ATP_FRF_INCOMPLETE) == 0 && ln->count_ok && ln->count > 0) {
			fr->st = ST_DATA;
			fr->data_total = ln->count;
			fr->data_done = 0;
			fr->data_cut = 0;
		} else {
			fr->st = ST_IDLE;
		}
	} else {
		ln->cut = 1;
		ln->text_len = 0;
		ln->body_len = 0;
		ln->body_done = fr->st != ST_TEXT;
		ln->nlines = 1;
		ln->run_piece = 0;
	}
	emit(fr, &f, cb, ctx);
}

static void
emit_data(struct atp_framer *fr, unsigned flags, atp_frame_fn *cb, void *ctx)
{
	struct atp_frame f;

	memset(&f, 0, sizeof(f));
	f.kind = ATP_FRAME_DATA;
	f.offset = fr->start;
	f.bytes = atp_span_make(fr->buf, fr->len);
	f.body = f.bytes;
	f.term = atp_span_make(fr->buf + fr->len, 0);
	fr->data_done += fr->len;
	f.data_done = fr->data_done;
	if (fr->st == ST_DATA) {
		if (fr->data_cut)
			flags |= ATP_FRF_CONTINUED;
		if (fr->data_done == fr->data_total)
			flags |= ATP_FRF_LAST;
		f.data_total = fr->data_total;
		fr->data_cut = 1;
		if ((flags & (ATP_FRF_LAST | ATP_FRF_INCOMPLETE)) != 0)
			fr->st = ST_IDLE;
	}
	f.flags = flags;
	emit(fr, &f, cb, ctx);
}

/* The run is one line end ("\r\n", or a lone CR or LF, or "\n\r"): in a
 * list it separates two entries. */
static int
run_is_one_eol(const struct pending *ln)
{
	return ln->run_len <= 2 && ln->run_cr <= 1 && ln->run_lf <= 1;
}

/* The run just grown ends the line frame (see framer.h for the rules). */
static int
run_completes(const struct pending *ln)
{
	switch (ln->kind) {
	case ATP_FRAME_TEXT:
	case ATP_FRAME_ECHO:
		return (ln->run_tail & 0xff) == '\n';
	case ATP_FRAME_RESPONSE:
		/* A list with entries ends with the entry's CRLF plus the
		 * usual CRLF CRLF (firmware §11: "...\r\n\r\n\r\n"). */
		if (ln->list && ln->has_entry)
			return ln->run_len >= 6 && (ln->run_tail & UINT64_C(0xffffffffffff)) == CRLF3;
		return ln->run_len >= 4 && (ln->run_tail & UINT64_C(0xffffffff)) == CRLF2;
	case ATP_FRAME_REPORT:
		return ln->run_len >= 4 && (ln->run_tail & UINT64_C(0xffffffff)) == CRLF2;
	case ATP_FRAME_DATA:
	case ATP_FRAME_STRAY:
		break;
	}
	return 0;
}

/*
 * Takes one byte in a line state. Returns 1 if the byte was consumed, 0 if
 * the state changed (or a frame or piece was emitted) and the byte must be
 * looked at again in the new state. Each 0 moves closer to a 1: the state
 * only goes IDLE -> STRAY/TEXT, TEXT -> RUN, RUN -> TEXT/IDLE/DATA, and
 * a cut empties the buffer.
 */
static int
line_byte(struct atp_framer *fr, uint8_t b, atp_frame_fn *cb, void *ctx)
{
	struct pending *ln = &fr->ln;
	int eol = is_eol(b);

	switch (fr->st) {
	case ST_IDLE:
		line_begin(fr, eol ? ST_STRAY : ST_TEXT);
		return 0;
	case ST_STRAY:
		if (!eol) {
			emit_line(fr, 1, 0, cb, ctx);
			return 0;
		}
		if (fr->len == ATP_FRAME_MAX) {
			emit_line(fr, 0, 0, cb, ctx);
			return 0;
		}
		append(fr, b);
		return 1;
	case ST_TEXT:
		if (eol && ln->inline_left == 0) {
			if (!ln->classified) {
				classify(fr);
				if (ln->inline_left > 0)
					return 0;
			}
			if (!ln->body_done) {
				ln->body_len = fr->len;
				ln->body_done = 1;
			}
			fr->st = ST_RUN;
			ln->run_piece = 0;
			ln->run_len = 0;
			ln->run_cr = 0;
			ln->run_lf = 0;
			ln->run_tail = 0;
			return 0;
		}
		if (ln->text_len == fr->line_max || fr->len == ATP_FRAME_MAX) {
			if (!ln->classified)
				classify(fr);
			emit_line(fr, 0, 0, cb, ctx);
			return 0;
		}
		append(fr, b);
		ln->text_len++;
		if (ln->inline_left > 0)
			ln->inline_left--;
		return 1;
	case ST_RUN:
		if (eol) {
			if (fr->len == ATP_FRAME_MAX) {
				emit_line(fr, 0, 0, cb, ctx);
				return 0;
			}
			append(fr, b);
			ln->run_piece++;
			ln->run_len++;
			if (b == '\r')
				ln->run_cr++;
			else
				ln->run_lf++;
			ln->run_tail = (ln->run_tail << 8) | b;
			if (run_completes(ln))
				emit_line(fr, 1, 0, cb, ctx);
			return 1;
		}
		/* "a run of one line end followed by more text continues it" */
		if (ln->kind == ATP_FRAME_RESPONSE && ln->list && run_is_one_eol(ln)) {
			ln->nlines++;
			ln->has_entry = 1;
			ln->text_len = 0;
			ln->run_piece = 0;
			fr->st = ST_TEXT;
			return 0;
		}
		emit_line(fr, 1, 0, cb, ctx);
		return 0;
	case ST_DATA:
	case ST_TRANSP:
		break;
	}
	return 0;
}

/* Takes up to @n data bytes; returns how many (0 only if the state was
 * left, then the caller looks again). Pieces end at ATP_FRAME_DATA_MAX or
 * at the end of the count, never where a chunk happens to end. */
static size_t
data_bytes(struct atp_framer *fr, const uint8_t *p, size_t n, atp_frame_fn *cb, void *ctx)
{
	size_t k = ATP_FRAME_DATA_MAX - fr->len;

	if (n < k)
		k = n;
	if (fr->st == ST_DATA) {
		uint64_t left = fr->data_total - fr->data_done - fr->len;
		if (left < k)
			k = (size_t)left;
		if (k == 0) {
			fr->st = ST_IDLE;
			return 0;
		}
	}
	if (fr->len == 0)
		fr->start = fr->offset;
	memcpy(fr->buf + fr->len, p, k);
	fr->len += k;
	fr->offset += k;
	if (fr->len == ATP_FRAME_DATA_MAX ||
	    (fr->st == ST_DATA && fr->data_done + fr->len == fr->data_total))
		emit_data(fr, 0, cb, ctx);
	return k;
}

/*
 * ST_TEXT: takes the bytes before the next CR/LF at once, as line_byte()
 * would one by one, up to where it would cut (the line or frame ceiling).
 * Returns how many; 0 when line_byte() must look at p[0] (a CR/LF, inline
 * data, a ceiling reached).
 */
static size_t
text_run(struct atp_framer *fr, const uint8_t *p, size_t n)
{
	struct pending *ln = &fr->ln;
	size_t k = n, room;
	const uint8_t *cr, *lf;

	if (ln->inline_left > 0)
		return 0;
	room = fr->line_max - ln->text_len;
	if (room < k)
		k = room;
	room = ATP_FRAME_MAX - fr->len;
	if (room < k)
		k = room;
	if (k == 0)
		return 0;
	cr = memchr(p, '\r', k);
	if (cr != NULL)
		k = (size_t)(cr - p);
	lf = memchr(p, '\n', k);
	if (lf != NULL)
		k = (size_t)(lf - p);
	if (k == 0)
		return 0;
	if (fr->len == 0)
		fr->start = fr->offset;
	memcpy(fr->buf + fr->len, p, k);
	fr->len += k;
	fr->offset += k;
	ln->text_len += k;
	return k;
}

int
atp_framer_feed(struct atp_framer *fr, const void *buf, size_t len, atp_frame_fn *cb, void *ctx)
{
	const uint8_t *p = buf;
	size_t i = 0, k;

	if (fr == NULL || cb == NULL || (buf == NULL && len > 0) || fr->in_cb)
		return ATP_ERR_ARG;
	while (i < len) {
		if (fr->st == ST_DATA || fr->st == ST_TRANSP)
			i += data_bytes(fr, p + i, len - i, cb, ctx);
		else if (fr->st == ST_TEXT && (k = text_run(fr, p + i, len - i)) > 0)
			i += k;
		else if (line_byte(fr, p[i], cb, ctx))
			i++;
	}
	return ATP_OK;
}

/* Emits what is pending as flush() describes; also used on entering
 * transparent mode. */
static void
flush_pending(struct atp_framer *fr, atp_frame_fn *cb, void *ctx)
{
	switch (fr->st) {
	case ST_IDLE:
		break;
	case ST_STRAY:
	case ST_RUN:
		/* A line whose run has started is complete on flush: the
		 * caller knows no more bytes came to end it otherwise. */
		if (fr->len == 0)
			fr->st = ST_IDLE;
		else
			emit_line(fr, 1, 0, cb, ctx);
		break;
	case ST_TEXT:
		if (fr->len == 0) {
			fr->st = ST_IDLE;
			break;
		}
		if (!fr->ln.classified)
			classify(fr);
		emit_line(fr, 1, ATP_FRF_INCOMPLETE, cb, ctx);
		break;
	case ST_DATA:
		/* Counted data cut short ends its phase: the module is not
		 * going to send the rest after a silence (manual §2.1.1.1,
		 * "or until the waiting timeout"). */
		if (fr->len == 0)
			fr->st = ST_IDLE;
		else
			emit_data(fr, ATP_FRF_INCOMPLETE, cb, ctx);
		break;
	case ST_TRANSP:
		if (fr->len > 0)
			emit_data(fr, 0, cb, ctx);
		break;
	}
}

int
atp_framer_flush(struct atp_framer *fr, atp_frame_fn *cb, void *ctx)
{
	if (fr == NULL || cb == NULL || fr->in_cb)
		return ATP_ERR_ARG;
	flush_pending(fr, cb, ctx);
	return ATP_OK;
}

/*
 * Transparent mode (manual §2.2.1.4, firmware §9): after ENTM's "+OK" every
 * byte from the module is network data, with no framing at all, until the
 * host leaves with "+++". Whatever was pending before is emitted first, as
 * on flush. May be called from the frame callback (on ENTM's response).
 */
int
atp_framer_transparent(struct atp_framer *fr, int on, atp_frame_fn *cb, void *ctx)
{
	if (fr == NULL || cb == NULL)
		return ATP_ERR_ARG;
	if (on) {
		if (fr->st == ST_TRANSP)
			return ATP_OK;
		flush_pending(fr, cb, ctx);
		fr->st = ST_TRANSP;
		fr->len = 0;
		fr->data_total = 0;
		fr->data_done = 0;
		fr->data_cut = 0;
		return ATP_OK;
	}
	if (fr->st != ST_TRANSP)
		return ATP_OK;
	if (fr->len > 0)
		emit_data(fr, 0, cb, ctx);
	fr->st = ST_IDLE;
	return ATP_OK;
}

/*
 * Walks the lines of a frame: line 0 is the body (which alone may hold CR/LF
 * bytes, +MQD's inline data); each later line runs to its first CR/LF and
 * its line end is the whole run after it, as the framer cut them.
 */
int
atp_frame_line(const struct atp_frame *f, size_t i, struct atp_span *line, struct atp_span *term)
{
	struct atp_cur c;
	struct atp_span text, run;
	size_t k;

	if (f == NULL || line == NULL || i >= f->nlines || f->body.len > f->bytes.len)
		return ATP_ERR_ARG;
	c = atp_cur_make(f->bytes.p, f->bytes.len);
	(void)atp_cur_take(&c, f->body.len, &text);
	for (k = 0;; k++) {
		size_t n = 0;
		while (n < c.left && is_eol(c.p[n]))
			n++;
		(void)atp_cur_take(&c, n, &run);
		if (k == i)
			break;
		if (c.left == 0)
			return ATP_ERR_ARG;
		atp_cur_until(&c, "\r\n", &text);
	}
	*line = text;
	if (term != NULL)
		*term = run;
	return ATP_OK;
}

const char *
atp_frame_kind_name(enum atp_frame_kind k)
{
	switch (k) {
	case ATP_FRAME_RESPONSE:
		return "response";
	case ATP_FRAME_REPORT:
		return "report";
	case ATP_FRAME_ECHO:
		return "echo";
	case ATP_FRAME_DATA:
		return "data";
	case ATP_FRAME_TEXT:
		return "text";
	case ATP_FRAME_STRAY:
		return "stray";
	}
	return "?";
}
