/* SPDX-License-Identifier: MIT */
/* \summary: the framer: terminators, lists, data phases, ceilings, chunking invariance */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "atproof/atproof.h"

/*
 * Each table case is a byte stream as the module sends it, the commands the
 * host sent (the expect FIFO), the offsets where the host flushed or
 * switched transparent mode, and the frames it must give, written one per
 * string:
 *
 *   KIND body=<bytes> term=<bytes> [lines=N] [bytes=<bytes>] [err=N]
 *        [cmd=NAME] [report=NAME] [incomplete] [truncated] [continued]
 *   DATA body=<bytes> n=<done>/<total> [flags]
 *   STRAY term=<bytes> [flags]
 *
 * Bytes are raw (a NUL is written \0); bytes= appears only when the frame
 * holds more than body and term (a list's entries). The stream always ends
 * with a flush. Every case is also run in every chunking (whole, one byte
 * at a time, every split in two, random sizes) and must give the very same
 * frames, down to offsets and data counters, with no byte lost.
 */

#define MAX_OPS 256
#define NRANDOM 24

struct fcase {
	const char *name;
	const char *in;
	size_t inlen;
	const char *expect;     /* "WSCAN SKRCV= SKRPTM=? ?" (? : unknown command) */
	const char *ops;        /* "flush@5 tp-@20 x:SKRCV=@9" (tp+/tp-: transparent
	                           on/off; x:CMD: the host sends CMD) */
	size_t line_max;
	size_t cap;
	const char *frames[16];
};

#define IN(s) .in = (s), .inlen = sizeof(s) - 1

/* ------------------------------------------------------------------ */
/* Recording frames                                                     */

struct buf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 256;
		uint8_t *q;
		while (cap < b->len + n)
			cap *= 2;
		q = atp_realloc(b->p, cap);
		if (q == NULL) {
			b->oom = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Raw bytes, but a NUL as the two characters \0 so that renderings can be
 * compared with C strings. */
static void
buf_raw(struct buf *b, struct atp_span s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		if (s.p[i] == 0)
			buf_add(b, "\\0", 2);
		else
			buf_add(b, &s.p[i], 1);
	}
}

static void
buf_free(struct buf *b)
{
	atp_free(b->p);
	memset(b, 0, sizeof(*b));
}

struct rec {
	struct atp_framer *fr;
	struct buf full;        /* every field of every frame */
	struct buf compact;     /* the notation above, frames NUL-separated */
	struct buf cat;         /* the frames' bytes, concatenated */
	size_t nframes;
	uint64_t next_off;
	int auto_transparent;   /* enter transparent mode on ENTM's +OK */
	char why[256];          /* first broken invariant */
};

static void
rec_fail(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
rec_fail(struct rec *r, const char *fmt, ...)
{
	va_list ap;

	if (r->why[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

static int
span_is(struct atp_span a, struct atp_span b)
{
	return a.len == b.len && (a.len == 0 || a.p == b.p);
}

static void
render_compact(struct buf *b, const struct atp_frame *f)
{
	const char *k = atp_frame_kind_name(f->kind);
	size_t i;

	for (i = 0; k[i] != '\0'; i++) {
		uint8_t c = (uint8_t)ATP_TOUPPER(k[i]);
		buf_add(b, &c, 1);
	}
	if (f->kind == ATP_FRAME_DATA) {
		buf_add(b, " body=", 6);
		buf_raw(b, f->body);
		buf_printf(b, " n=%llu/%llu", (unsigned long long)f->data_done,
		    (unsigned long long)f->data_total);
	} else if (f->kind == ATP_FRAME_STRAY) {
		buf_add(b, " term=", 6);
		buf_raw(b, f->term);
	} else {
		buf_add(b, " body=", 6);
		buf_raw(b, f->body);
		buf_add(b, " term=", 6);
		buf_raw(b, f->term);
		if (f->nlines != 1)
			buf_printf(b, " lines=%zu", f->nlines);
		if (f->body.len + f->term.len != f->bytes.len) {
			buf_add(b, " bytes=", 7);
			buf_raw(b, f->bytes);
		}
		if (f->is_error && f->errcode_ok)
			buf_printf(b, " err=%ld", f->errcode);
		else if (f->is_error)
			buf_add(b, " err=?", 6);
		if (f->cmd != NULL)
			buf_printf(b, " cmd=%s", f->cmd->name);
		if (f->report != NULL)
			buf_printf(b, " report=%s", f->report->name);
	}
	if (f->flags & ATP_FRF_INCOMPLETE)
		buf_add(b, " incomplete", 11);
	if (f->flags & ATP_FRF_TRUNCATED)
		buf_add(b, " truncated", 10);
	if (f->flags & ATP_FRF_CONTINUED)
		buf_add(b, " continued", 10);
	if (f->flags & ATP_FRF_LAST)
		buf_add(b, " last", 5);
}

static void
render_full(struct buf *b, const struct atp_frame *f)
{
	buf_printf(b, "%d %x @%llu [%zu] body=%zu+%zu term=%zu+%zu lines=%zu err=%d,%ld,%d "
	    "cmd=%s form=%d rpt=%s data=%llu/%llu :",
	    (int)f->kind, f->flags, (unsigned long long)f->offset, f->bytes.len,
	    (size_t)(f->body.p - f->bytes.p), f->body.len,
	    (size_t)(f->term.p - f->bytes.p), f->term.len, f->nlines,
	    f->is_error, f->errcode, f->errcode_ok,
	    f->cmd != NULL ? f->cmd->name : "-", (int)f->form,
	    f->report != NULL ? f->report->name : "-",
	    (unsigned long long)f->data_done, (unsigned long long)f->data_total);
	buf_add(b, f->bytes.p, f->bytes.len);
	buf_add(b, "\n", 1);
}

/* Checks what must hold for every frame, whatever the input. */
static void
check_frame(struct rec *r, const struct atp_frame *f)
{
	struct atp_span line, term;
	size_t i;

	if (f->offset != r->next_off)
		rec_fail(r, "frame %zu at offset %llu, want %llu", r->nframes,
		    (unsigned long long)f->offset, (unsigned long long)r->next_off);
	if (f->bytes.len == 0 || f->bytes.p == NULL)
		rec_fail(r, "frame %zu is empty", r->nframes);
	if (f->body.p != f->bytes.p || f->body.len > f->bytes.len)
		rec_fail(r, "frame %zu: body is not at the start of bytes", r->nframes);
	if (f->term.len > f->bytes.len || f->term.p + f->term.len != f->bytes.p + f->bytes.len)
		rec_fail(r, "frame %zu: term is not at the end of bytes", r->nframes);
	if (f->bytes.len > ATP_FRAME_MAX)
		rec_fail(r, "frame %zu: %zu bytes, above the ceiling", r->nframes, f->bytes.len);
	switch (f->kind) {
	case ATP_FRAME_DATA:
		if (!span_is(f->body, f->bytes) || f->nlines != 0 || f->bytes.len > ATP_FRAME_DATA_MAX)
			rec_fail(r, "frame %zu: bad DATA frame", r->nframes);
		break;
	case ATP_FRAME_STRAY:
		if (!span_is(f->term, f->bytes) || f->nlines != 0)
			rec_fail(r, "frame %zu: bad STRAY frame", r->nframes);
		for (i = 0; i < f->bytes.len; i++)
			if (f->bytes.p[i] != '\r' && f->bytes.p[i] != '\n')
				rec_fail(r, "frame %zu: STRAY holds a non line-end byte", r->nframes);
		break;
	case ATP_FRAME_RESPONSE:
	case ATP_FRAME_REPORT:
	case ATP_FRAME_ECHO:
	case ATP_FRAME_TEXT:
		if (f->nlines == 0) {
			rec_fail(r, "frame %zu: no lines", r->nframes);
			break;
		}
		if (atp_frame_line(f, 0, &line, NULL) != ATP_OK || !span_is(line, f->body))
			rec_fail(r, "frame %zu: line 0 is not the body", r->nframes);
		if (atp_frame_line(f, f->nlines - 1, &line, &term) != ATP_OK || !span_is(term, f->term))
			rec_fail(r, "frame %zu: the last line's end is not term", r->nframes);
		if (atp_frame_line(f, f->nlines, &line, &term) != ATP_ERR_ARG)
			rec_fail(r, "frame %zu: line past the end accepted", r->nframes);
		break;
	}
	if (f->kind != ATP_FRAME_RESPONSE && f->cmd != NULL)
		rec_fail(r, "frame %zu: a %s took a command", r->nframes, atp_frame_kind_name(f->kind));
}

static void
on_frame(void *ctx, const struct atp_frame *f)
{
	struct rec *r = ctx;

	check_frame(r, f);
	r->next_off = f->offset + f->bytes.len;
	buf_add(&r->cat, f->bytes.p, f->bytes.len);
	render_full(&r->full, f);
	render_compact(&r->compact, f);
	buf_add(&r->compact, "", 1);
	r->nframes++;
	/* The framer is not re-entrant for bytes. */
	if (atp_framer_feed(r->fr, "x", 1, on_frame, r) != ATP_ERR_ARG ||
	    atp_framer_flush(r->fr, on_frame, r) != ATP_ERR_ARG)
		rec_fail(r, "feed or flush accepted from inside the callback");
	/* What a harness does on ENTM's answer (manual §2.2.1.4). */
	if (r->auto_transparent && f->kind == ATP_FRAME_RESPONSE && f->cmd != NULL &&
	    f->cmd->phase == ATP_PHASE_TRANSPARENT && !f->is_error &&
	    (f->flags & ATP_FRF_INCOMPLETE) == 0 &&
	    atp_framer_transparent(r->fr, 1, on_frame, r) != ATP_OK)
		rec_fail(r, "entering transparent mode failed");
}

static void
rec_free(struct rec *r)
{
	atp_framer_free(r->fr);
	buf_free(&r->full);
	buf_free(&r->compact);
	buf_free(&r->cat);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------ */
/* Running a stream in a chunking                                       */

struct stream {
	const uint8_t *in;
	size_t len;
	const char *expect;
	const char *ops;
	size_t line_max;
	size_t cap;
};

enum chunking { CH_WHOLE, CH_BYTES, CH_SPLIT, CH_RANDOM };

struct op {
	size_t off;
	int what;               /* 'f' flush, '+' / '-' transparent, 'x' expect */
	char cmd[16];           /* 'x': the command, as push_expects() reads it */
};

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t
parse_ops(const char *s, struct op *ops)
{
	size_t n = 0;

	while (s != NULL && *s != '\0' && n < MAX_OPS) {
		int what = 0;
		size_t off = 0;
		memset(&ops[n], 0, sizeof(ops[n]));
		if (strncmp(s, "flush@", 6) == 0) {
			what = 'f';
			s += 6;
		} else if (strncmp(s, "x:", 2) == 0) {
			size_t l = strcspn(s + 2, "@");
			what = 'x';
			assert_true(l < sizeof(ops[n].cmd) && s[2 + l] == '@');
			memcpy(ops[n].cmd, s + 2, l);
			s += 2 + l + 1;
		} else if (strncmp(s, "tp+@", 4) == 0 || strncmp(s, "tp-@", 4) == 0) {
			what = s[2];
			s += 4;
		} else {
			fail_msg("bad op '%s'", s);
		}
		while (ATP_ISDIGIT(*s))
			off = off * 10 + (size_t)(*s++ - '0');
		while (*s == ' ')
			s++;
		ops[n].off = off;
		ops[n].what = what;
		n++;
	}
	return n;
}

static void
push_expects(struct atp_framer *fr, const char *s)
{
	while (s != NULL && *s != '\0') {
		size_t n = strcspn(s, " ");
		size_t name = strcspn(s, "= ");
		enum atp_form form = ATP_FORM_BARE;
		const struct atp_cmd *cmd = NULL;
		if (n > name + 1 && s[name + 1] == '?')
			form = ATP_FORM_QUERY;
		else if (n > name + 1 && s[name + 1] == '!')
			form = ATP_FORM_FLASH;
		else if (n > name)
			form = ATP_FORM_SET;
		if (!(name == 1 && s[0] == '?')) {
			cmd = atp_cmd_find(atp_span_make(s, name));
			if (cmd == NULL)
				fail_msg("no command '%.*s' in the table", (int)name, s);
		}
		atp_framer_expect(fr, cmd, form);
		s += n;
		while (*s == ' ')
			s++;
	}
}

static void
feed_chunked(struct rec *r, const uint8_t *p, size_t n, enum chunking ch, uint64_t *seed,
    size_t split)
{
	size_t i = 0;

	switch (ch) {
	case CH_WHOLE:
		assert_int_equal(atp_framer_feed(r->fr, p, n, on_frame, r), ATP_OK);
		break;
	case CH_BYTES:
		for (i = 0; i < n; i++)
			assert_int_equal(atp_framer_feed(r->fr, p + i, 1, on_frame, r), ATP_OK);
		break;
	case CH_SPLIT:
		if (split > n)
			split = n;
		assert_int_equal(atp_framer_feed(r->fr, p, split, on_frame, r), ATP_OK);
		assert_int_equal(atp_framer_feed(r->fr, p + split, n - split, on_frame, r), ATP_OK);
		break;
	case CH_RANDOM:
		while (i < n) {
			/* mostly small chunks, sometimes big, sometimes empty */
			uint64_t x = rnd(seed);
			size_t k = (x & 3) == 0 ? (size_t)(x >> 8) % 9000 : (size_t)(x >> 8) % 17;
			if (k > n - i)
				k = n - i;
			assert_int_equal(atp_framer_feed(r->fr, p + i, k, on_frame, r), ATP_OK);
			i += k;
		}
		break;
	}
}

/* Runs @s into @r (which it initialises); the caller frees @r. */
static void
run_stream(struct rec *r, const struct stream *s, enum chunking ch, uint64_t seed, size_t split)
{
	struct atp_framer_opts opts;
	struct op ops[MAX_OPS];
	size_t nops = parse_ops(s->ops, ops), k, at = 0;
	uint64_t st = seed * 0x9e3779b97f4a7c15u + 1;

	memset(r, 0, sizeof(*r));
	memset(&opts, 0, sizeof(opts));
	opts.line_max = s->line_max;
	opts.sktrpt_cap = s->cap;
	assert_int_equal(atp_framer_new(&opts, &r->fr), ATP_OK);
	r->auto_transparent = 1;
	push_expects(r->fr, s->expect);
	for (k = 0; k <= nops; k++) {
		size_t end = k < nops ? ops[k].off : s->len;
		assert_true(end >= at && end <= s->len);
		/* every split point is taken inside each segment in turn */
		feed_chunked(r, s->in + at, end - at, ch, &st, split >= at ? split - at : 0);
		at = end;
		if (k == nops)
			break;
		if (ops[k].what == 'f')
			assert_int_equal(atp_framer_flush(r->fr, on_frame, r), ATP_OK);
		else if (ops[k].what == 'x')
			push_expects(r->fr, ops[k].cmd);
		else
			assert_int_equal(atp_framer_transparent(r->fr, ops[k].what == '+', on_frame, r),
			    ATP_OK);
	}
	assert_int_equal(atp_framer_flush(r->fr, on_frame, r), ATP_OK);
	assert_true(atp_framer_offset(r->fr) == s->len);
	assert_false(r->full.oom || r->compact.oom || r->cat.oom);
	if (r->why[0] != '\0')
		fail_msg("%s", r->why);
	/* Never lose a byte: the frames are the input, in order. */
	assert_int_equal(r->cat.len, s->len);
	assert_true(s->len == 0 || memcmp(r->cat.p, s->in, s->len) == 0);
}

static void
print_escaped(const char *what, const uint8_t *p, size_t n)
{
	char tmp[600];

	atp_span_escape(atp_span_make(p, n), tmp, sizeof(tmp));
	print_message("  %s: %s\n", what, tmp);
}

/* The first frame where two full renderings differ, for the message. */
static void
report_divergence(const struct buf *a, const struct buf *b)
{
	size_t i = 0, line = 0, start = 0;

	while (i < a->len && i < b->len && a->p[i] == b->p[i]) {
		if (a->p[i] == '\n') {
			line++;
			start = i + 1;
		}
		i++;
	}
	print_message("frame %zu differs\n", line);
	print_escaped("whole", a->p + start, a->len - start < 200 ? a->len - start : 200);
	print_escaped("other", b->p + start, b->len - start < 200 ? b->len - start : 200);
}

/* Runs @s in every chunking; all must agree with the whole feed, which is
 * left in @whole. */
static void
check_invariance(const struct stream *s, struct rec *whole)
{
	struct rec other;
	size_t k;
	int pass;

	run_stream(whole, s, CH_WHOLE, 0, 0);
	for (pass = 0; pass < 2 + NRANDOM; pass++) {
		if (pass == 0)
			run_stream(&other, s, CH_BYTES, 0, 0);
		else if (pass == 1)
			run_stream(&other, s, CH_SPLIT, 0, s->len / 2);
		else
			run_stream(&other, s, CH_RANDOM, (uint64_t)pass, 0);
		if (other.full.len != whole->full.len ||
		    memcmp(other.full.p, whole->full.p, whole->full.len) != 0) {
			report_divergence(&whole->full, &other.full);
			rec_free(&other);
			fail_msg("chunking %d gives other frames", pass);
		}
		rec_free(&other);
	}
	/* every split in two, for streams short enough */
	for (k = 0; s->len <= 600 && k <= s->len; k++) {
		run_stream(&other, s, CH_SPLIT, 0, k);
		if (other.full.len != whole->full.len ||
		    memcmp(other.full.p, whole->full.p, whole->full.len) != 0) {
			report_divergence(&whole->full, &other.full);
			rec_free(&other);
			fail_msg("split at %zu gives other frames", k);
		}
		rec_free(&other);
	}
}

/* ------------------------------------------------------------------ */
/* The table                                                            */

static const struct fcase cases[] = {
	{ "a plain +OK completes at its CRLF CRLF",
	  IN("+OK\r\n\r\n"), "WPRT=", NULL, 0, 0,
	  { "RESPONSE body=+OK term=\r\n\r\n cmd=WPRT" } },
	{ "an exec error +ERR=-4 carries its code and CRLF CRLF",
	  IN("+ERR=-4\r\n\r\n"), "WPRT=", NULL, 0, 0,
	  { "RESPONSE body=+ERR=-4 term=\r\n\r\n err=-4 cmd=WPRT" } },
	{ "a parse-stage +ERR=-2 ends at its single CRLF when the next response starts",
	  IN("+ERR=-2\r\n+OK\r\n\r\n"), "? WPRT=", NULL, 0, 0,
	  { "RESPONSE body=+ERR=-2 term=\r\n err=-2",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=WPRT" } },
	{ "a parse-stage error at the end of the stream is complete on flush",
	  IN("+ERR=-4\r\n"), "SSID=", NULL, 0, 0,
	  { "RESPONSE body=+ERR=-4 term=\r\n err=-4 cmd=SSID" } },
	{ "an unreadable error code is flagged, not guessed",
	  IN("+ERR=x4\r\n\r\n"), "SSID=", NULL, 0, 0,
	  { "RESPONSE body=+ERR=x4 term=\r\n\r\n err=? cmd=SSID" } },
	{ "the SKRPTM query keeps its LF before CRLF CRLF in the terminator",
	  IN("+OK=1\n\r\n\r\n+OK\r\n\r\n"), "SKRPTM=? SKRPTM=", NULL, 0, 0,
	  { "RESPONSE body=+OK=1 term=\n\r\n\r\n cmd=SKRPTM",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=SKRPTM" } },
	{ "a WSCAN list with the firmware's ending is one frame",
	  IN("+OK=828917C49D9A,2,1,1,\"AirM2M_WiFi\",70\r\n"
	     "C4CAD90B1592,2,1,1,\"qianyue-lan\",86\r\n\r\n\r\n+OK\r\n\r\n"), "WSCAN WPRT=", NULL, 0, 0,
	  { "RESPONSE body=+OK=828917C49D9A,2,1,1,\"AirM2M_WiFi\",70 term=\r\n\r\n\r\n lines=2 "
	    "bytes=+OK=828917C49D9A,2,1,1,\"AirM2M_WiFi\",70\r\n"
	    "C4CAD90B1592,2,1,1,\"qianyue-lan\",86\r\n\r\n\r\n cmd=WSCAN",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=WPRT" } },
	{ "a WSCAN list with the manual's ending completes when the next frame starts",
	  IN("+OK=A,1\r\nB,2\r\nC,3\r\n\r\n+OK\r\n\r\n"), "WSCAN WPRT=", NULL, 0, 0,
	  { "RESPONSE body=+OK=A,1 term=\r\n\r\n lines=3 bytes=+OK=A,1\r\nB,2\r\nC,3\r\n\r\n cmd=WSCAN",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=WPRT" } },
	{ "a WSCAN list with the manual's ending completes on flush",
	  IN("+OK=A,1\r\nB,2\r\n\r\n"), "WSCAN", NULL, 0, 0,
	  { "RESPONSE body=+OK=A,1 term=\r\n\r\n lines=2 bytes=+OK=A,1\r\nB,2\r\n\r\n cmd=WSCAN" } },
	{ "an empty WSCAN list ends at CRLF CRLF",
	  IN("+OK=\r\n\r\n+OK\r\n\r\n"), "WSCAN WPRT=", NULL, 0, 0,
	  { "RESPONSE body=+OK= term=\r\n\r\n cmd=WSCAN",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=WPRT" } },
	{ "a one-entry WSCAN list waits for the third CRLF",
	  IN("+OK=A,1\r\n\r\n\r\n+OK\r\n\r\n"), "WSCAN WPRT=", NULL, 0, 0,
	  { "RESPONSE body=+OK=A,1 term=\r\n\r\n\r\n cmd=WSCAN",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=WPRT" } },
	{ "a list whose first entry comes on the next line still continues",
	  IN("+OK=\r\nA,1\r\n\r\n\r\n"), "WSCAN", NULL, 0, 0,
	  { "RESPONSE body=+OK= term=\r\n\r\n\r\n lines=2 bytes=+OK=\r\nA,1\r\n\r\n\r\n cmd=WSCAN" } },
	{ "a busy WSCAN error is not a list",
	  IN("+ERR=-8\r\n\r\n+OK\r\n\r\n"), "WSCAN WPRT=", NULL, 0, 0,
	  { "RESPONSE body=+ERR=-8 term=\r\n\r\n err=-8 cmd=WSCAN",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=WPRT" } },
	{ "SKSTT lists its sockets like WSCAN",
	  IN("+OK=1,1,\"0.0.0.0\",0,60000,0\r\n2,2,\"192.168.1.100\",1000,60000,0\r\n\r\n\r\n"),
	  "SKSTT=", NULL, 0, 0,
	  { "RESPONSE body=+OK=1,1,\"0.0.0.0\",0,60000,0 term=\r\n\r\n\r\n lines=2 "
	    "bytes=+OK=1,1,\"0.0.0.0\",0,60000,0\r\n2,2,\"192.168.1.100\",1000,60000,0\r\n\r\n\r\n "
	    "cmd=SKSTT" } },
	{ "a list without its command expected is a response, text and stray line ends",
	  IN("+OK=A,1\r\nB,2\r\n\r\n\r\n"), NULL, NULL, 0, 0,
	  { "RESPONSE body=+OK=A,1 term=\r\n",
	    "TEXT body=B,2 term=\r\n",
	    "STRAY term=\r\n\r\n" } },
	{ "a list entry line may end in a lone LF",
	  IN("+OK=A\nB\r\n\r\n\r\n"), "WSCAN", NULL, 0, 0,
	  { "RESPONSE body=+OK=A term=\r\n\r\n\r\n lines=2 bytes=+OK=A\nB\r\n\r\n\r\n cmd=WSCAN" } },
	{ "a list flushed inside an entry is incomplete",
	  IN("+OK=A\r\nB"), "WSCAN", NULL, 0, 0,
	  { "RESPONSE body=+OK=A term= lines=2 bytes=+OK=A\r\nB cmd=WSCAN incomplete" } },
	{ "SKRCV data holding \\r\\n+OK\\r\\n\\r\\n stays data",
	  IN("+OK=11\r\n\r\nxy\r\n+OK\r\n\r\n+OK\r\n\r\n"), "SKRCV= SKCLS=", NULL, 0, 0,
	  { "RESPONSE body=+OK=11 term=\r\n\r\n cmd=SKRCV",
	    "DATA body=xy\r\n+OK\r\n\r\n n=11/11 last",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=SKCLS" } },
	{ "SKRCV data may start with line ends",
	  IN("+OK=2\r\n\r\n\r\n+OK\r\n\r\n"), "SKRCV= SKCLS=", NULL, 0, 0,
	  { "RESPONSE body=+OK=2 term=\r\n\r\n cmd=SKRCV",
	    "DATA body=\r\n n=2/2 last",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=SKCLS" } },
	{ "an SKRCV answer missing its second CRLF still starts the data at the next byte",
	  IN("+OK=3\r\nabc+OK\r\n\r\n"), "SKRCV= SKCLS=", NULL, 0, 0,
	  { "RESPONSE body=+OK=3 term=\r\n cmd=SKRCV",
	    "DATA body=abc n=3/3 last",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=SKCLS" } },
	{ "an SKRCV of zero bytes has no data phase",
	  IN("+OK=0\r\n\r\n+OK\r\n\r\n"), "SKRCV= SKCLS=", NULL, 0, 0,
	  { "RESPONSE body=+OK=0 term=\r\n\r\n cmd=SKRCV",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=SKCLS" } },
	{ "an SKRCV error has no data phase",
	  IN("+ERR=-4\r\n\r\n+OK\r\n\r\n"), "SKRCV= SKCLS=", NULL, 0, 0,
	  { "RESPONSE body=+ERR=-4 term=\r\n\r\n err=-4 cmd=SKRCV",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=SKCLS" } },
	{ "+SKTRPT carries its counted data, line ends included",
	  IN("+SKTRPT=1,5,192.168.1.100,1000\r\n\r\nhe\r\n\n+OK\r\n\r\n"), "SKCLS=", NULL, 0, 0,
	  { "REPORT body=+SKTRPT=1,5,192.168.1.100,1000 term=\r\n\r\n report=+SKTRPT",
	    "DATA body=he\r\n\n n=5/5 last",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=SKCLS" } },
	{ "+SKTRPT data is capped as LUAT does when a cap is set",
	  IN("+SKTRPT=1,5,1.2.3.4,80\r\n\r\nabc+OK\r\n\r\n"), NULL, NULL, 0, 3,
	  { "REPORT body=+SKTRPT=1,5,1.2.3.4,80 term=\r\n\r\n report=+SKTRPT",
	    "DATA body=abc n=3/3 last",
	    "RESPONSE body=+OK term=\r\n\r\n" } },
	{ "a report before a pending response does not take its command",
	  IN("+SKTRPT=1,2,1.2.3.4,80\r\n\r\nhi+OK=1\r\n\r\n"), "SKCT=", NULL, 0, 0,
	  { "REPORT body=+SKTRPT=1,2,1.2.3.4,80 term=\r\n\r\n report=+SKTRPT",
	    "DATA body=hi n=2/2 last",
	    "RESPONSE body=+OK=1 term=\r\n\r\n cmd=SKCT" } },
	{ "a counted report with an unreadable length has no data phase",
	  IN("+SKTRPT=1,5x,1.2.3.4,80\r\n\r\nabc\r\n"), NULL, NULL, 0, 0,
	  { "REPORT body=+SKTRPT=1,5x,1.2.3.4,80 term=\r\n\r\n report=+SKTRPT",
	    "TEXT body=abc term=\r\n" } },
	{ "a counted report missing its length field has no data phase",
	  IN("+SKTRPT=1\r\n\r\nab\r\n"), NULL, NULL, 0, 0,
	  { "REPORT body=+SKTRPT=1 term=\r\n\r\n report=+SKTRPT",
	    "TEXT body=ab term=\r\n" } },
	{ "+HTTPCRPT is followed by its raw body",
	  IN("+HTTPCRPT=123456789,9\r\n\r\n<p>\r\nhi\r\n+OK\r\n\r\n"), NULL, NULL, 0, 0,
	  { "REPORT body=+HTTPCRPT=123456789,9 term=\r\n\r\n report=+HTTPCRPT",
	    "DATA body=<p>\r\nhi\r\n n=9/9 last",
	    "RESPONSE body=+OK term=\r\n\r\n" } },
	{ "+HTTPCERRRPT carries no data",
	  IN("+HTTPCERRRPT=123456789,7\r\n\r\n+OK\r\n\r\n"), NULL, NULL, 0, 0,
	  { "REPORT body=+HTTPCERRRPT=123456789,7 term=\r\n\r\n report=+HTTPCERRRPT",
	    "RESPONSE body=+OK term=\r\n\r\n" } },
	{ "+MQD keeps the CR/LF inside its data in the line",
	  IN("+MTOPIC:11,HELLO_WORLD\r\n\r\n+MQD:6,a\r\n\r\nb\r\n\r\n"), NULL, NULL, 0, 0,
	  { "REPORT body=+MTOPIC:11,HELLO_WORLD term=\r\n\r\n report=+MTOPIC",
	    "REPORT body=+MQD:6,a\r\n\r\nb term=\r\n\r\n report=+MQD" } },
	{ "+MQD data that ends in a line end is still data",
	  IN("+MQD:2,\r\n\r\n\r\n"), NULL, NULL, 0, 0,
	  { "REPORT body=+MQD:2,\r\n term=\r\n\r\n report=+MQD" } },
	{ "+MQD without a length or a comma is an ordinary report line",
	  IN("+MQD:5\r\n\r\n+MQD:\r\n\r\n"), NULL, NULL, 0, 0,
	  { "REPORT body=+MQD:5 term=\r\n\r\n report=+MQD",
	    "REPORT body=+MQD: term=\r\n\r\n report=+MQD" } },
	{ "+MQD that announces more than it sends is incomplete on flush",
	  IN("+MQD:10,abc\r\n\r\n"), NULL, NULL, 0, 0,
	  { "REPORT body=+MQD:10,abc\r\n\r\n term= report=+MQD incomplete" } },
	{ "echoed command lines come before their response",
	  IN("AT+QMAC\r\n+OK=001ee3a80102\r\n\r\nat+wprt=?\r\n+OK=0\r\n\r\n"), "QMAC WPRT=?", NULL, 0, 0,
	  { "ECHO body=AT+QMAC term=\r\n",
	    "RESPONSE body=+OK=001ee3a80102 term=\r\n\r\n cmd=QMAC",
	    "ECHO body=at+wprt=? term=\r\n",
	    "RESPONSE body=+OK=0 term=\r\n\r\n cmd=WPRT" } },
	{ "an echo ended by a lone CR completes at the next text byte",
	  IN("AT+E\r+OK\r\n\r\n"), "E", NULL, 0, 0,
	  { "ECHO body=AT+E term=\r",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=E" } },
	{ "the ready banner after a reset is text",
	  IN("+OK\r\n\r\nready\r\n"), "Z", NULL, 0, 0,
	  { "RESPONSE body=+OK term=\r\n\r\n cmd=Z",
	    "TEXT body=ready term=\r\n report=ready" } },
	{ "stray line ends form their own frames",
	  IN("\r\n+OK\r\n\r\n\r\n\n"), "WPRT=", NULL, 0, 0,
	  { "STRAY term=\r\n",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=WPRT",
	    "STRAY term=\r\n\n" } },
	{ "garbage bytes are text",
	  IN("\xff\xfe#garbage\x7f\r\n+OK\r\n\r\n"), "WPRT=", NULL, 0, 0,
	  { "TEXT body=\xff\xfe#garbage\x7f term=\r\n",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=WPRT" } },
	{ "NUL bytes are text bytes",
	  IN("\0a\0\r\n\0"), NULL, NULL, 0, 0,
	  { "TEXT body=\\0a\\0 term=\r\n",
	    "TEXT body=\\0 term= incomplete" } },
	{ "a text line ends at its first LF",
	  IN("abc\r\r\n\r\n"), NULL, NULL, 0, 0,
	  { "TEXT body=abc term=\r\r\n",
	    "STRAY term=\r\n" } },
	{ "a text line ended by a lone CR completes at the next text byte",
	  IN("abc\rdef\n"), NULL, NULL, 0, 0,
	  { "TEXT body=abc term=\r",
	    "TEXT body=def term=\n" } },
	{ "unknown + lines and +OK lookalikes are text",
	  IN("+FOO=1\r\n+OKAY\r\n+ERR\r\n"), "WPRT=", NULL, 0, 0,
	  { "TEXT body=+FOO=1 term=\r\n",
	    "TEXT body=+OKAY term=\r\n",
	    "TEXT body=+ERR term=\r\n" } },
	{ "a response missing its second CRLF completes when the next response starts",
	  IN("+OK\r\n+OK=1\r\n\r\n"), "WPRT= WPRT", NULL, 0, 0,
	  { "RESPONSE body=+OK term=\r\n cmd=WPRT",
	    "RESPONSE body=+OK=1 term=\r\n\r\n cmd=WPRT" } },
	{ "a run of CRs after +OK lasts until a byte that is not a line end",
	  IN("+OK\r\r\r\nX"), NULL, NULL, 0, 0,
	  { "RESPONSE body=+OK term=\r\r\r\n",
	    "TEXT body=X term= incomplete" } },
	{ "a response without any expected command has none",
	  IN("+OK\r\n\r\n"), NULL, NULL, 0, 0,
	  { "RESPONSE body=+OK term=\r\n\r\n" } },
	{ "a flush in the middle of a response marks it incomplete",
	  IN("+OK=1\r\n\r\n"), "WPRT", "flush@5", 0, 0,
	  { "RESPONSE body=+OK=1 term= cmd=WPRT incomplete",
	    "STRAY term=\r\n\r\n" } },
	{ "a flush after one CRLF completes the response",
	  IN("+OK\r\n\r\n"), "WPRT= WPRT=", "flush@5", 0, 0,
	  { "RESPONSE body=+OK term=\r\n cmd=WPRT",
	    "STRAY term=\r\n" } },
	{ "a flush in the middle of counted data ends the data phase",
	  IN("+OK=10\r\n\r\nabc+OK\r\n\r\n"), "SKRCV= SKCLS=", "flush@13", 0, 0,
	  { "RESPONSE body=+OK=10 term=\r\n\r\n cmd=SKRCV",
	    "DATA body=abc n=3/10 incomplete",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=SKCLS" } },
	{ "a flushed incomplete SKRCV answer starts no data phase",
	  IN("+OK=2\r\n\r\n+OK\r\n\r\n"), "SKRCV= SKCLS=", "flush@5", 0, 0,
	  { "RESPONSE body=+OK=2 term= cmd=SKRCV incomplete",
	    "STRAY term=\r\n\r\n",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=SKCLS" } },
	{ "transparent mode makes every byte data until it is left",
	  IN("+OK\r\n\r\nhello\r\n+OK\r\n\r\nAT+X+++" "+OK\r\n\r\n"), "ENTM", "flush@17 tp-@28", 0, 0,
	  { "RESPONSE body=+OK term=\r\n\r\n cmd=ENTM",
	    "DATA body=hello\r\n+OK n=10/0",
	    "DATA body=\r\n\r\nAT+X+++ n=21/0",
	    "RESPONSE body=+OK term=\r\n\r\n" } },
	{ "transparent switches that change nothing are harmless",
	  IN("+OK\r\n\r\nab+OK\r\n\r\n"), "ENTM", "tp+@7 tp+@8 tp-@9 tp-@9", 0, 0,
	  { "RESPONSE body=+OK term=\r\n\r\n cmd=ENTM",
	    "DATA body=ab n=2/0",
	    "RESPONSE body=+OK term=\r\n\r\n" } },
	{ "entering transparent mode emits what was pending",
	  IN("+OK=1\r\nabc"), NULL, "tp+@7", 0, 0,
	  { "RESPONSE body=+OK=1 term=\r\n",
	    "DATA body=abc n=3/0" } },
	{ "an overlong line is cut into pieces at the line ceiling",
	  IN("abcdefghij\r\n"), NULL, NULL, 4, 0,
	  { "TEXT body=abcd term= truncated",
	    "TEXT body=efgh term= continued",
	    "TEXT body=ij term=\r\n continued" } },
	{ "a line exactly at the ceiling is not cut",
	  IN("abcd\r\nabcde\r\n"), NULL, NULL, 4, 0,
	  { "TEXT body=abcd term=\r\n",
	    "TEXT body=abcd term= truncated",
	    "TEXT body=e term=\r\n continued" } },
	{ "a response cut at the ceiling keeps its command in every piece",
	  IN("+OK=123456\r\n\r\n+OK\r\n\r\n"), "WPRT WPRT=", NULL, 4, 0,
	  { "RESPONSE body=+OK= term= cmd=WPRT truncated",
	    "RESPONSE body=1234 term= cmd=WPRT continued",
	    "RESPONSE body=56 term=\r\n\r\n cmd=WPRT continued",
	    "RESPONSE body=+OK term=\r\n\r\n cmd=WPRT" } },
	{ "a list entry over the ceiling cuts the list",
	  IN("+OK=A\r\nBCDEFGHI\r\n\r\n\r\n"), "WSCAN", NULL, 6, 0,
	  { "RESPONSE body=+OK=A term= lines=2 bytes=+OK=A\r\nBCDEFG cmd=WSCAN truncated",
	    "RESPONSE body=HI term=\r\n\r\n\r\n cmd=WSCAN continued" } },
	{ "+MQD data running past the line ceiling keeps its count",
	  IN("+MQD:10,ab\r\ncdefgh\r\n\r\n"), NULL, NULL, 8, 0,
	  { "REPORT body=+MQD:10, term= report=+MQD truncated",
	    "REPORT body=ab\r\ncdef term= report=+MQD continued",
	    "REPORT body=gh term=\r\n\r\n report=+MQD continued" } },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static void
run_case(void **state)
{
	const struct fcase *c = *state;
	struct stream s;
	struct rec r;
	struct buf want;
	size_t i;

	memset(&want, 0, sizeof(want));
	for (i = 0; c->frames[i] != NULL; i++)
		buf_add(&want, c->frames[i], strlen(c->frames[i]) + 1);
	s.in = (const uint8_t *)c->in;
	s.len = c->inlen;
	s.expect = c->expect;
	s.ops = c->ops;
	s.line_max = c->line_max;
	s.cap = c->cap;
	check_invariance(&s, &r);
	if (r.compact.len != want.len || memcmp(r.compact.p, want.p, want.len) != 0) {
		size_t at = 0, n = 0;
		print_message("got %zu frames:\n", r.nframes);
		while (at < r.compact.len) {
			size_t l = strlen((const char *)r.compact.p + at);
			print_escaped("got ", r.compact.p + at, l);
			at += l + 1;
		}
		for (i = 0; c->frames[i] != NULL; i++, n++)
			print_escaped("want", (const uint8_t *)c->frames[i], strlen(c->frames[i]));
		buf_free(&want);
		rec_free(&r);
		fail_msg("frames differ (%zu wanted)", n);
	}
	buf_free(&want);
	rec_free(&r);
}

/* ------------------------------------------------------------------ */
/* Generated streams: ceilings and long data                            */

/* Counts the frames of @r by kind and flags, from the compact rendering. */
static size_t
count_frames(const struct rec *r, const char *prefix, const char *flag)
{
	size_t at = 0, n = 0;

	while (at < r->compact.len) {
		const char *f = (const char *)r->compact.p + at;
		size_t l = strlen(f);
		if (strncmp(f, prefix, strlen(prefix)) == 0 && (flag == NULL || strstr(f, flag) != NULL))
			n++;
		at += l + 1;
	}
	return n;
}

/* Whether the full rendering (raw bytes, not NUL-terminated) holds @s. */
static int
full_has(const struct rec *r, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i + n <= r->full.len; i++)
		if (memcmp(r->full.p + i, s, n) == 0)
			return 1;
	return 0;
}

static void
check_stream(const uint8_t *in, size_t len, const char *expect, const char *ops, struct rec *r)
{
	struct stream s;

	memset(&s, 0, sizeof(s));
	s.in = in;
	s.len = len;
	s.expect = expect;
	s.ops = ops;
	check_invariance(&s, r);
}

static void
long_line_is_cut_at_the_default_ceiling(void **state)
{
	uint8_t *in = atp_malloc(10002);
	struct rec r;
	size_t i;
	(void)state;
	assert_non_null(in);
	for (i = 0; i < 10000; i++)
		in[i] = (uint8_t)('a' + i % 26);
	in[10000] = '\r';
	in[10001] = '\n';
	check_stream(in, 10002, NULL, NULL, &r);
	assert_int_equal(r.nframes, 3);
	assert_int_equal(count_frames(&r, "TEXT", " truncated"), 1);
	assert_int_equal(count_frames(&r, "TEXT", " continued"), 2);
	/* pieces of 4096, 4096 and 1808 + CRLF */
	assert_true(full_has(&r, "[4096]"));
	assert_true(full_has(&r, "[1810]"));
	rec_free(&r);
	atp_free(in);
}

static void
long_list_is_cut_at_the_frame_ceiling(void **state)
{
	const char *entry = "828917C49D9A,2,1,1,\"AirM2M_WiFi\",70\r\n";
	size_t el = strlen(entry), n = 2000, i, len = 4 + n * el + 4;
	uint8_t *in = atp_malloc(len);
	struct rec r;
	(void)state;
	assert_non_null(in);
	memcpy(in, "+OK=", 4);
	for (i = 0; i < n; i++)
		memcpy(in + 4 + i * el, entry, el);
	memcpy(in + 4 + n * el, "\r\n\r\n", 4);
	check_stream(in, len, "WSCAN", NULL, &r);
	/* 76008 bytes: one piece at the ceiling, the rest with the ending */
	assert_int_equal(r.nframes, 2);
	assert_int_equal(count_frames(&r, "RESPONSE", " truncated"), 1);
	assert_int_equal(count_frames(&r, "RESPONSE", " continued"), 1);
	assert_int_equal(count_frames(&r, "RESPONSE", "term=\r\n\r\n\r\n"), 1);
	assert_true(full_has(&r, "[65536]"));
	rec_free(&r);
	atp_free(in);
}

static void
long_runs_of_line_ends_are_cut_at_the_frame_ceiling(void **state)
{
	size_t len = 3 + 70000 + 1 + 70000;
	uint8_t *in = atp_malloc(len);
	struct rec r;
	(void)state;
	assert_non_null(in);
	memcpy(in, "+OK", 3);
	memset(in + 3, '\r', 70000);
	in[70003] = 'x';
	memset(in + 70004, '\n', 70000);
	check_stream(in, len, NULL, NULL, &r);
	/* +OK and 65533 CRs; 4467 CRs; x with LF; 69999 LFs as STRAY */
	assert_int_equal(count_frames(&r, "RESPONSE", " truncated"), 1);
	assert_int_equal(count_frames(&r, "RESPONSE", " continued"), 1);
	assert_int_equal(count_frames(&r, "TEXT body=x term=\n", NULL), 1);
	assert_int_equal(count_frames(&r, "STRAY", " truncated"), 1);
	assert_int_equal(count_frames(&r, "STRAY", " continued"), 1);
	assert_int_equal(r.nframes, 5);
	rec_free(&r);
	atp_free(in);
}

static void
long_counted_data_comes_in_pieces(void **state)
{
	const char *hdr = "+OK=10000\r\n\r\n";
	size_t hl = strlen(hdr), len = hl + 10000 + 7, i;
	uint8_t *in = atp_malloc(len);
	struct rec r;
	(void)state;
	assert_non_null(in);
	memcpy(in, hdr, hl);
	for (i = 0; i < 10000; i++)
		in[hl + i] = (uint8_t)(i * 7);
	memcpy(in + hl + 10000, "+OK\r\n\r\n", 7);
	check_stream(in, len, "SKRCV= SKCLS=", NULL, &r);
	assert_int_equal(r.nframes, 5);
	assert_int_equal(count_frames(&r, "DATA", NULL), 3);
	assert_int_equal(count_frames(&r, "DATA", " continued"), 2);
	assert_int_equal(count_frames(&r, "DATA", "n=4096/10000"), 1);
	assert_int_equal(count_frames(&r, "DATA", "n=8192/10000"), 1);
	assert_int_equal(count_frames(&r, "DATA", "n=10000/10000 continued last"), 1);
	assert_int_equal(count_frames(&r, "RESPONSE body=+OK term=\r\n\r\n cmd=SKCLS", NULL), 1);
	rec_free(&r);
	atp_free(in);
}

static void
transparent_data_comes_in_pieces(void **state)
{
	size_t len = 7 + 10000, i;
	uint8_t *in = atp_malloc(len);
	struct rec r;
	(void)state;
	assert_non_null(in);
	memcpy(in, "+OK\r\n\r\n", 7);
	for (i = 0; i < 10000; i++)
		in[7 + i] = (uint8_t)(i % 251);
	check_stream(in, len, "ENTM", "flush@5000", &r);
	/* 4096, then 897 at the flush, then 4096 and 911 */
	assert_int_equal(count_frames(&r, "DATA", NULL), 4);
	assert_int_equal(count_frames(&r, "DATA", "n=4993/0"), 1);
	assert_int_equal(count_frames(&r, "DATA", "n=10000/0"), 1);
	rec_free(&r);
	atp_free(in);
}

/*
 * A session written from the manual's examples (§2.2, §3.9, §2.2.4.10) in
 * the firmware's byte format (w600-firmware.md §1.4, §4, §8, §11): echo off,
 * then on, sockets, a scan, reports, errors of both stages.
 */
struct exchange {
	const char *expect;     /* the command sent, as push_expects() reads it */
	const char *out;        /* what the module sent back */
};

static const struct exchange session[] = {
	{ "?", "+OK\r\n\r\n" },                                         /* AT+ */
	{ "QMAC", "+OK=001ee3a80102\r\n\r\n" },
	{ "QVER", "+OK=H1.00.00.0000,G2.02.05@ 10:55:46 Sep 28 2018\r\n\r\n" },
	{ "WPRT=", "+OK\r\n\r\n" },
	{ "SSID=", "+OK\r\n\r\n" },
	{ "KEY=", "+OK\r\n\r\n" },
	{ "WSCAN", "+OK=828917C49D9A,2,1,1,\"AirM2M_WiFi\",70\r\n"
	           "C4CAD90B1592,2,1,1,\"qianyue-lan\",86\r\n"
	           "3C46D82BD81E,2,11,0,\"TP-LINK_HyFi_1E\",60\r\n\r\n\r\n" },
	{ "WJOIN", "+OK=3c46d82bd81e,0,11,0,\"TP-LINK_HyFi_1E\",53\r\n\r\n" },
	{ "LKSTT", "+OK=1,\"192.168.1.109\",\"255.255.255.0\",\"192.168.1.1\","
	           "\"192.168.1.1\",\"0.0.0.0\"\r\n\r\n" },
	{ "SKCT=", "+OK=1\r\n\r\n" },
	{ "SKSND=", "+OK=5\r\n\r\n" },
	{ "SKRCV=", "+OK=5\r\n\r\nhello" },
	{ "SKSTT=", "+OK=1,2,\"192.168.1.100\",1000,1024,0\r\n\r\n\r\n" },
	{ "SKRPTM=", "+OK\r\n\r\n" },
	{ "SKRPTM=?", "+SKTRPT=1,7,192.168.1.100,1000\r\n\r\nworld\r\n+OK=1\n\r\n\r\n" },
	{ "?", "+ERR=-2\r\n" },                                          /* AT+WPRTXXXXXX */
	{ "SSID=", "+ERR=-4\r\n\r\n" },
	{ "E", "+OK\r\n\r\n" },
	{ "WPRT=?", "AT+WPRT=?\r\n+OK=0\r\n\r\n" },
	{ "E", "AT+E\r\n+OK\r\n\r\n" },
	{ "SKCLS=", "+OK\r\n\r\n" },
	{ "Z", "+OK\r\n\r\nready\r\n" },
};

static void
a_captured_session_frames_the_same_in_every_chunking(void **state)
{
	struct buf in, ops;
	struct rec r;
	size_t i;
	(void)state;
	memset(&in, 0, sizeof(in));
	memset(&ops, 0, sizeof(ops));
	/* each command is sent just before its answer starts */
	for (i = 0; i < sizeof(session) / sizeof(session[0]); i++) {
		buf_printf(&ops, "x:%s@%zu ", session[i].expect, in.len);
		buf_add(&in, session[i].out, strlen(session[i].out));
	}
	buf_add(&ops, "", 1);
	assert_false(in.oom || ops.oom);
	check_stream(in.p, in.len, NULL, (const char *)ops.p, &r);
	assert_int_equal(count_frames(&r, "RESPONSE", NULL), 22);
	assert_int_equal(count_frames(&r, "RESPONSE", "cmd="), 20);
	assert_int_equal(count_frames(&r, "RESPONSE", " lines=3 "), 1);
	assert_int_equal(count_frames(&r, "RESPONSE", "term=\r\n err=-2"), 1);
	assert_int_equal(count_frames(&r, "RESPONSE body=+OK=1 term=\n\r\n\r\n cmd=SKRPTM", NULL), 1);
	assert_int_equal(count_frames(&r, "DATA body=hello n=5/5 last", NULL), 1);
	assert_int_equal(count_frames(&r, "DATA body=world\r\n n=7/7 last", NULL), 1);
	assert_int_equal(count_frames(&r, "REPORT", " report=+SKTRPT"), 1);
	assert_int_equal(count_frames(&r, "ECHO", NULL), 2);
	assert_int_equal(count_frames(&r, "TEXT body=ready", NULL), 1);
	assert_int_equal(r.nframes, 22 + 2 + 1 + 2 + 1);
	rec_free(&r);
	buf_free(&in);
	buf_free(&ops);
}

/*
 * A recorded run: tests/data/flows-manual.pcapng is the capture of a
 * passing run of
 *   atproof run --emulator --capture FILE scenarios/flows
 * (the manual's chapter 3 flows: SoftAP, scan, STA, automatic mode with
 * its transparent data and +++, sockets with SKSND/SKRCV data and +SKTRPT
 * reports, HTTP, MQTT). The module's bytes are fed in every chunking, the
 * host's command lines expected where they went out in the capture, +++
 * leaving transparent mode; every chunking must give the same frames.
 */
#define CAPTURE_FILE "tests/data/flows-manual.pcapng"

static void
a_recorded_run_frames_the_same_in_every_chunking(void **state)
{
	struct atp_pcapng_reader *rd = NULL;
	struct atp_diag d;
	struct atp_rec rec;
	struct buf in, ops;
	struct rec r;
	size_t nops = 0, nhost = 0;
	int rc;
	(void)state;

	memset(&in, 0, sizeof(in));
	memset(&ops, 0, sizeof(ops));
	atp_diag_clear(&d);
	if (atp_pcapng_reader_open(CAPTURE_FILE, &rd, &d) != ATP_OK)
		fail_msg("%s: %s", CAPTURE_FILE, d.msg);
	while ((rc = atp_pcapng_next(rd, &rec, NULL, NULL, &d)) == 1) {
		struct atp_span garbage, line, term;
		struct atp_cur c;
		if (rec.dir == ATP_DIR_FROM_MODULE) {
			buf_add(&in, rec.bytes.p, rec.bytes.len);
			continue;
		}
		if (rec.dir != ATP_DIR_TO_MODULE)
			continue;
		nhost++;
		if (rec.bytes.len == 3 && memcmp(rec.bytes.p, "+++", 3) == 0) {
			buf_printf(&ops, "tp-@%zu ", in.len);
			nops++;
			continue;
		}
		/* payload (SKSND, transparent data) holds no AT+ line */
		c = atp_cur_make(rec.bytes.p, rec.bytes.len);
		while (atp_cmdline_next(&c, 0, &garbage, &line, &term) == ATP_OK) {
			struct atp_cmdline cl;
			assert_true(term.p == line.p + line.len);
			assert_int_equal(atp_cmdline_parse(atp_span_make(line.p, line.len + term.len), &cl,
			    NULL), ATP_OK);
			/* "?": a command the framer has no row for (AT+ included) */
			if (cl.cmd == NULL || cl.cmd->name[0] == '\0')
				buf_printf(&ops, "x:?@%zu ", in.len);
			else
				buf_printf(&ops, "x:%s%s@%zu ", cl.cmd->name, atp_form_op(cl.form), in.len);
			nops++;
		}
	}
	atp_pcapng_reader_close(rd);
	if (rc != 0)
		fail_msg("%s: %s", CAPTURE_FILE, d.msg);
	buf_add(&ops, "", 1);
	assert_false(in.oom || ops.oom);
	assert_true(nops <= MAX_OPS);
	assert_true(nhost >= 100);
	check_stream(in.p, in.len, NULL, (const char *)ops.p, &r);
	/* the run is what the comment says it is */
	assert_true(count_frames(&r, "RESPONSE", "cmd=") >= 100);
	assert_true(count_frames(&r, "RESPONSE", "cmd=WSCAN") >= 1);
	assert_true(count_frames(&r, "DATA", NULL) >= 3);
	assert_true(count_frames(&r, "REPORT", "report=+SKTRPT") >= 1);
	assert_true(count_frames(&r, "REPORT", "report=+MQTT") >= 1);
	assert_true(count_frames(&r, "REPORT", "report=+MTOPIC") >= 1);
	print_message("%s: %zu bytes from the module, %zu host records, %zu frames\n", CAPTURE_FILE,
	    in.len, nhost, r.nframes);
	rec_free(&r);
	buf_free(&in);
	buf_free(&ops);
}

/* ------------------------------------------------------------------ */
/* The API around the bytes                                             */

static void
frame_lines_walk_a_list(void **state)
{
	static const char in[] = "+OK=A,1\r\nB,2\n\r\n\r\n";
	struct stream s = { (const uint8_t *)in, sizeof(in) - 1, "WSCAN", NULL, 0, 0 };
	struct rec r;
	(void)state;
	/* the recorder checked line 0 and the last; look at the middle one */
	run_stream(&r, &s, CH_WHOLE, 0, 0);
	assert_int_equal(r.nframes, 1);
	assert_int_equal(count_frames(&r, "RESPONSE body=+OK=A,1 term=\n\r\n\r\n lines=2", NULL), 1);
	rec_free(&r);
	{
		struct atp_frame f;
		struct atp_span line, term;
		memset(&f, 0, sizeof(f));
		f.kind = ATP_FRAME_RESPONSE;
		f.bytes = atp_span_str("+OK=A\r\nB\r\nC\r\n\r\n\r\n");
		f.body = atp_span_make(f.bytes.p, 5);
		f.nlines = 3;
		assert_int_equal(atp_frame_line(&f, 1, &line, &term), ATP_OK);
		assert_true(atp_span_eq(line, "B") && atp_span_eq(term, "\r\n"));
		assert_int_equal(atp_frame_line(&f, 2, &line, &term), ATP_OK);
		assert_true(atp_span_eq(line, "C") && atp_span_eq(term, "\r\n\r\n\r\n"));
		assert_int_equal(atp_frame_line(&f, 3, &line, &term), ATP_ERR_ARG);
		f.nlines = 4;
		assert_int_equal(atp_frame_line(&f, 3, &line, &term), ATP_ERR_ARG);
		assert_int_equal(atp_frame_line(NULL, 0, &line, &term), ATP_ERR_ARG);
	}
}

static void
expect_fifo_drops_the_oldest_when_full(void **state)
{
	struct rec r;
	size_t i;
	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(atp_framer_new(NULL, &r.fr), ATP_OK);
	atp_framer_expect(r.fr, atp_cmd_find_str("SSID"), ATP_FORM_SET);
	for (i = 0; i < ATP_FRAMER_EXPECT_MAX; i++)
		atp_framer_expect(r.fr, atp_cmd_find_str("WPRT"), ATP_FORM_SET);
	assert_int_equal(atp_framer_feed(r.fr, "+OK\r\n\r\n", 7, on_frame, &r), ATP_OK);
	assert_int_equal(count_frames(&r, "RESPONSE body=+OK term=\r\n\r\n cmd=WPRT", NULL), 1);
	atp_framer_expect_clear(r.fr);
	assert_int_equal(atp_framer_feed(r.fr, "+OK\r\n\r\n", 7, on_frame, &r), ATP_OK);
	assert_int_equal(count_frames(&r, "RESPONSE body=+OK term=\r\n\r\n", NULL), 2);
	assert_int_equal(count_frames(&r, "RESPONSE", "cmd="), 1);
	assert_string_equal(r.why, "");
	rec_free(&r);
}

static void
reset_drops_pending_bytes_and_keeps_the_offset(void **state)
{
	struct rec r;
	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(atp_framer_new(NULL, &r.fr), ATP_OK);
	atp_framer_expect(r.fr, atp_cmd_find_str("SKRCV"), ATP_FORM_SET);
	assert_int_equal(atp_framer_feed(r.fr, "+OK=5\r\n\r\nab", 11, on_frame, &r), ATP_OK);
	assert_int_equal(r.nframes, 1);
	atp_framer_reset(r.fr);
	assert_true(atp_framer_offset(r.fr) == 11);
	r.next_off = 11;
	/* no data phase, no expected command any more */
	assert_int_equal(atp_framer_feed(r.fr, "+OK\r\n\r\n", 7, on_frame, &r), ATP_OK);
	assert_int_equal(r.nframes, 2);
	assert_int_equal(count_frames(&r, "RESPONSE body=+OK term=\r\n\r\n", NULL), 1);
	assert_int_equal(count_frames(&r, "RESPONSE", "cmd="), 1);
	assert_string_equal(r.why, "");
	rec_free(&r);
}

static void
bad_arguments_are_refused(void **state)
{
	struct atp_framer *fr = NULL;
	struct rec r;
	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(atp_framer_new(NULL, NULL), ATP_ERR_ARG);
	assert_int_equal(atp_framer_new(NULL, &fr), ATP_OK);
	assert_int_equal(atp_framer_feed(NULL, "x", 1, on_frame, &r), ATP_ERR_ARG);
	assert_int_equal(atp_framer_feed(fr, NULL, 1, on_frame, &r), ATP_ERR_ARG);
	assert_int_equal(atp_framer_feed(fr, "x", 1, NULL, &r), ATP_ERR_ARG);
	assert_int_equal(atp_framer_feed(fr, NULL, 0, on_frame, &r), ATP_OK);
	assert_int_equal(atp_framer_flush(NULL, on_frame, &r), ATP_ERR_ARG);
	assert_int_equal(atp_framer_transparent(NULL, 1, on_frame, &r), ATP_ERR_ARG);
	assert_true(atp_framer_offset(NULL) == 0);
	assert_string_equal(atp_frame_kind_name(ATP_FRAME_RESPONSE), "response");
	assert_string_equal(atp_frame_kind_name(ATP_FRAME_STRAY), "stray");
	atp_framer_expect(NULL, NULL, ATP_FORM_BARE);
	atp_framer_expect_clear(NULL);
	atp_framer_reset(NULL);
	atp_framer_free(NULL);
	atp_framer_free(fr);
}

static void
allocation_failures_leave_no_framer(void **state)
{
	struct atp_framer *fr;
	unsigned long n;
	(void)state;
	for (n = 1; n <= 2; n++) {
		fr = (struct atp_framer *)(uintptr_t)1;
		atp_alloc_fail_at(n);
		assert_int_equal(atp_framer_new(NULL, &fr), ATP_ERR_NOMEM);
		assert_null(fr);
		atp_alloc_fail_at(0);
	}
}

int
main(void)
{
	struct CMUnitTest tests[NCASES + 12];
	size_t i, n = 0;

	for (i = 0; i < NCASES; i++) {
		tests[n].name = cases[i].name;
		tests[n].test_func = run_case;
		tests[n].setup_func = NULL;
		tests[n].teardown_func = NULL;
		tests[n].initial_state = (void *)(uintptr_t)&cases[i];
		n++;
	}
	{
		const struct CMUnitTest more[] = {
			cmocka_unit_test(long_line_is_cut_at_the_default_ceiling),
			cmocka_unit_test(long_list_is_cut_at_the_frame_ceiling),
			cmocka_unit_test(long_runs_of_line_ends_are_cut_at_the_frame_ceiling),
			cmocka_unit_test(long_counted_data_comes_in_pieces),
			cmocka_unit_test(transparent_data_comes_in_pieces),
			cmocka_unit_test(a_captured_session_frames_the_same_in_every_chunking),
			cmocka_unit_test(a_recorded_run_frames_the_same_in_every_chunking),
			cmocka_unit_test(frame_lines_walk_a_list),
			cmocka_unit_test(expect_fifo_drops_the_oldest_when_full),
			cmocka_unit_test(reset_drops_pending_bytes_and_keeps_the_offset),
			cmocka_unit_test(bad_arguments_are_refused),
			cmocka_unit_test(allocation_failures_leave_no_framer),
		};
		for (i = 0; i < sizeof(more) / sizeof(more[0]); i++)
			tests[n++] = more[i];
	}
	return _cmocka_run_group_tests("framer", tests, n, NULL, NULL);
}
