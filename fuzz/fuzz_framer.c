/* SPDX-License-Identifier: MIT */
/* \summary: fuzz the framer: same frames in every chunking, no byte lost */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atproof/alloc.h"
#include "atproof/cmd.h"
#include "atproof/cursor.h"
#include "atproof/framer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The first byte sets the scene: bits 0-1 the expected command (none, WSCAN,
 * SKRCV, ENTM: a list, a device data phase, transparent mode entered from
 * the callback), bits 2-3 the line ceiling, bit 4 the LUAT +SKTRPT cap,
 * bits 5-7 a flush stride. The rest is the module's output, fed whole, one
 * byte at a time, and in chunks whose sizes come from the bytes themselves.
 * Any difference between the three, or any byte lost, aborts.
 */

struct out {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

struct run {
	struct atp_framer *fr;
	struct out frames;      /* every field of every frame */
	struct out cat;         /* the frames' bytes, concatenated */
	uint64_t next_off;
};

static void
out_add(struct out *o, const void *p, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n > o->cap) {
		size_t cap = o->cap != 0 ? o->cap : 1024;
		uint8_t *q;
		while (cap < o->len + n)
			cap *= 2;
		q = atp_realloc(o->p, cap);
		if (q == NULL) {
			o->oom = 1;
			return;
		}
		o->p = q;
		o->cap = cap;
	}
	if (n > 0)
		memcpy(o->p + o->len, p, n);
	o->len += n;
}

static void
die(const char *why)
{
	fprintf(stderr, "fuzz_framer: %s\n", why);
	abort();
}

static void
check(const struct run *r, const struct atp_frame *f)
{
	struct atp_span line, term;

	if (f->offset != r->next_off)
		die("frames are not contiguous");
	if (f->bytes.len == 0 || f->bytes.len > ATP_FRAME_MAX)
		die("frame size out of bounds");
	if (f->body.p != f->bytes.p || f->body.len > f->bytes.len ||
	    f->term.len > f->bytes.len || f->term.p + f->term.len != f->bytes.p + f->bytes.len)
		die("body or term outside the frame");
	switch (f->kind) {
	case ATP_FRAME_DATA:
		if (f->body.len != f->bytes.len || f->bytes.len > ATP_FRAME_DATA_MAX || f->nlines != 0)
			die("bad DATA frame");
		if (f->data_total != 0 && f->data_done > f->data_total)
			die("more data than announced");
		break;
	case ATP_FRAME_STRAY:
		if (f->term.len != f->bytes.len || f->nlines != 0)
			die("bad STRAY frame");
		break;
	case ATP_FRAME_RESPONSE:
	case ATP_FRAME_REPORT:
	case ATP_FRAME_ECHO:
	case ATP_FRAME_TEXT:
		if (f->nlines == 0 ||
		    atp_frame_line(f, 0, &line, NULL) != ATP_OK || line.len != f->body.len ||
		    atp_frame_line(f, f->nlines - 1, &line, &term) != ATP_OK ||
		    term.len != f->term.len || term.p != f->term.p ||
		    atp_frame_line(f, f->nlines, &line, &term) != ATP_ERR_ARG)
			die("lines do not walk back to body and term");
		break;
	}
}

static void
on_frame(void *ctx, const struct atp_frame *f)
{
	struct run *r = ctx;
	char hdr[256];
	int n;

	check(r, f);
	r->next_off = f->offset + f->bytes.len;
	n = snprintf(hdr, sizeof(hdr), "%d %x %llu %zu %zu %zu %zu %d %ld %d %s %d %s %llu %llu:",
	    (int)f->kind, f->flags, (unsigned long long)f->offset, f->bytes.len, f->body.len,
	    f->term.len, f->nlines, f->is_error, f->errcode, f->errcode_ok,
	    f->cmd != NULL ? f->cmd->name : "-", (int)f->form,
	    f->report != NULL ? f->report->name : "-",
	    (unsigned long long)f->data_total, (unsigned long long)f->data_done);
	if (n > 0)
		out_add(&r->frames, hdr, (size_t)n < sizeof(hdr) ? (size_t)n : sizeof(hdr) - 1);
	out_add(&r->frames, f->bytes.p, f->bytes.len);
	out_add(&r->cat, f->bytes.p, f->bytes.len);
	if (atp_framer_feed(r->fr, "x", 1, on_frame, r) != ATP_ERR_ARG)
		die("feed accepted from inside the callback");
	if (f->kind == ATP_FRAME_RESPONSE && f->cmd != NULL &&
	    f->cmd->phase == ATP_PHASE_TRANSPARENT && !f->is_error &&
	    (f->flags & ATP_FRF_INCOMPLETE) == 0)
		(void)atp_framer_transparent(r->fr, 1, on_frame, r);
}

enum chunking { WHOLE, BYTES, DERIVED };

static void
feed(struct run *r, const uint8_t *p, size_t n, enum chunking ch, size_t *k)
{
	size_t i = 0;

	while (i < n) {
		size_t c = n - i;
		if (ch == BYTES)
			c = 1;
		else if (ch == DERIVED) {
			/* a chunk size from the stream itself: small mostly,
			 * sometimes empty, sometimes large */
			uint8_t b = p[*k % n];
			*k += 1;
			c = (b & 0x80) != 0 ? (size_t)(b & 0x7f) * 37 : (size_t)(b & 0x0f);
			if (c > n - i)
				c = n - i;
			if (c == 0) {
				if (atp_framer_feed(r->fr, p + i, 0, on_frame, r) != ATP_OK)
					die("empty feed failed");
				c = 1;
			}
		}
		if (atp_framer_feed(r->fr, p + i, c, on_frame, r) != ATP_OK)
			die("feed failed");
		i += c;
	}
}

static int
run_one(struct run *r, const uint8_t *data, size_t size, enum chunking ch)
{
	static const size_t line_max[4] = { 0, 8, 64, 300 };
	static const char *const names[4] = { NULL, "WSCAN", "SKRCV", "ENTM" };
	struct atp_framer_opts opts;
	const struct atp_cmd *cmd;
	const uint8_t *p = data + 1;
	size_t n = size - 1, stride, at = 0, k = 0, i;

	memset(r, 0, sizeof(*r));
	memset(&opts, 0, sizeof(opts));
	opts.line_max = line_max[(data[0] >> 2) & 3];
	opts.sktrpt_cap = (data[0] & 0x10) != 0 ? 3 : 0;
	if (atp_framer_new(&opts, &r->fr) != ATP_OK)
		return -1;
	cmd = names[data[0] & 3] != NULL ? atp_cmd_find_str(names[data[0] & 3]) : NULL;
	for (i = 0; cmd != NULL && i < 3; i++)
		atp_framer_expect(r->fr, cmd, cmd->phase == ATP_PHASE_DEVICE_DATA ?
		    ATP_FORM_SET : ATP_FORM_BARE);
	stride = (size_t)(data[0] >> 5) * 13;
	while (at < n) {
		size_t end = stride != 0 && n - at > stride ? at + stride : n;
		feed(r, p + at, end - at, ch, &k);
		at = end;
		if (atp_framer_flush(r->fr, on_frame, r) != ATP_OK)
			die("flush failed");
	}
	if (atp_framer_flush(r->fr, on_frame, r) != ATP_OK)
		die("flush failed");
	if (atp_framer_offset(r->fr) != n)
		die("offset is not the byte count");
	if (!r->cat.oom && (r->cat.len != n || (n > 0 && memcmp(r->cat.p, p, n) != 0)))
		die("the frames are not the input");
	return 0;
}

static void
run_free(struct run *r)
{
	atp_framer_free(r->fr);
	atp_free(r->frames.p);
	atp_free(r->cat.p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run a, b;
	int ch;

	if (size < 1)
		return 0;
	if (run_one(&a, data, size, WHOLE) != 0) {
		run_free(&a);
		return 0;
	}
	for (ch = BYTES; ch <= DERIVED; ch++) {
		if (run_one(&b, data, size, (enum chunking)ch) != 0) {
			run_free(&b);
			continue;
		}
		if (!a.frames.oom && !b.frames.oom &&
		    (a.frames.len != b.frames.len ||
		    (a.frames.len > 0 && memcmp(a.frames.p, b.frames.p, a.frames.len) != 0)))
			die(ch == BYTES ? "byte-at-a-time frames differ" : "chunked frames differ");
		run_free(&b);
	}
	run_free(&a);
	return 0;
}
