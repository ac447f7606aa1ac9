/* SPDX-License-Identifier: MIT */
/* \summary: capture records, the pcapng writer and the pcapng/pcap reader */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "atproof/atproof.h"

/* Block types and options, spelled out again here so that the tests check
 * the file format, not the implementation's own constants. */
#define SHB 0x0A0D0D0Au
#define IDB 1u
#define PB  2u
#define SPB 3u
#define EPB 6u
#define ISB 5u
#define CUSTOM 0x00000BADu

/*
 * Helpers
 */

static char *
tmp_path(void)
{
	const char *dir = getenv("TMPDIR");
	char *p;
	size_t n;
	int fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	n = strlen(dir) + 32;
	p = malloc(n);
	assert_non_null(p);
	snprintf(p, n, "%s/atp-capture-XXXXXX", dir);
	fd = mkstemp(p);
	assert_true(fd >= 0);
	close(fd);
	return p;
}

static void
tmp_free(char *p)
{
	unlink(p);
	free(p);
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void
spit(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	close(fd);
}

static struct atp_rec
rec_make(uint64_t ts, enum atp_dir dir, const void *p, size_t n, const char *comment)
{
	struct atp_rec r;
	memset(&r, 0, sizeof(r));
	r.ts_us = ts;
	r.dir = dir;
	r.bytes = atp_span_make(p, n);
	if (comment != NULL)
		r.comment = atp_span_str(comment);
	return r;
}

static void
assert_span(struct atp_span s, const void *p, size_t n)
{
	assert_int_equal(s.len, n);
	if (n > 0)
		assert_memory_equal(s.p, p, n);
}

static void
assert_span_str(struct atp_span s, const char *str)
{
	assert_span(s, str, strlen(str));
}

/* Reads every record of @buf/@len from memory; returns how many came
 * before the final return value, which goes to *last. */
static size_t
count_records(const void *buf, size_t len, int *last, struct atp_diag *d)
{
	struct atp_pcapng_reader *r;
	struct atp_rec rec;
	size_t n = 0;
	int rc;

	assert_int_equal(atp_pcapng_reader_open_mem(buf, len, "mem", &r, d), ATP_OK);
	for (;;) {
		rc = atp_pcapng_next(r, &rec, NULL, NULL, d);
		if (rc != 1)
			break;
		n++;
	}
	*last = rc;
	/* A final error is replayed; AGAIN and the end are stable too. */
	assert_int_equal(atp_pcapng_next(r, &rec, NULL, NULL, NULL), rc);
	atp_pcapng_reader_close(r);
	return n;
}

/*
 * A hand-made pcapng builder, in either byte order, for the files our
 * writer never makes.
 */
struct bld {
	uint8_t p[1 << 16];
	size_t len;
	int big;
	size_t blk;
};

static void
b_raw(struct bld *b, const void *p, size_t n)
{
	assert_true(b->len + n <= sizeof(b->p));
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
b16(struct bld *b, uint16_t v)
{
	uint8_t x[2];
	x[b->big ? 0 : 1] = (uint8_t)(v >> 8);
	x[b->big ? 1 : 0] = (uint8_t)v;
	b_raw(b, x, 2);
}

static void
b32(struct bld *b, uint32_t v)
{
	uint8_t x[4];
	int i;
	for (i = 0; i < 4; i++)
		x[b->big ? 3 - i : i] = (uint8_t)(v >> (8 * i));
	b_raw(b, x, 4);
}

static void
b_padded(struct bld *b, const void *p, size_t n)
{
	static const uint8_t zero[4];
	b_raw(b, p, n);
	b_raw(b, zero, (4 - n % 4) % 4);
}

static void
blk_begin(struct bld *b, uint32_t type)
{
	b->blk = b->len;
	b32(b, type);
	b32(b, 0);
}

static void
blk_end(struct bld *b)
{
	size_t save, n = b->len + 4 - b->blk;
	b32(b, (uint32_t)n);
	save = b->len;
	b->len = b->blk + 4;
	b32(b, (uint32_t)n);
	b->len = save;
}

static void
b_opt(struct bld *b, uint16_t code, const void *p, size_t n)
{
	b16(b, code);
	b16(b, (uint16_t)n);
	b_padded(b, p, n);
}

static void
b_shb(struct bld *b, int big)
{
	b->big = big;
	blk_begin(b, SHB);
	b32(b, 0x1A2B3C4Du);
	b16(b, 1);
	b16(b, 0);
	b32(b, 0xFFFFFFFFu);
	b32(b, 0xFFFFFFFFu);
	blk_end(b);
}

/* @tsresol < 0: no if_tsresol; @tsoffset 0: none. */
static void
b_idb(struct bld *b, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset,
    const char *name)
{
	blk_begin(b, IDB);
	b16(b, linktype);
	b16(b, 0);
	b32(b, snaplen);
	if (name != NULL)
		b_opt(b, 2, name, strlen(name));
	if (tsresol >= 0) {
		uint8_t v = (uint8_t)tsresol;
		b_opt(b, 9, &v, 1);
	}
	if (tsoffset != 0) {
		uint64_t u = (uint64_t)tsoffset;
		b16(b, 14);
		b16(b, 8);
		b32(b, b->big ? (uint32_t)(u >> 32) : (uint32_t)u);
		b32(b, b->big ? (uint32_t)u : (uint32_t)(u >> 32));
	}
	b32(b, 0);
	blk_end(b);
}

/* @flags < 0: no epb_flags. */
static void
b_epb(struct bld *b, uint32_t ifid, uint64_t ts, const void *p, size_t n, long flags,
    const char *comment)
{
	blk_begin(b, EPB);
	b32(b, ifid);
	b32(b, (uint32_t)(ts >> 32));
	b32(b, (uint32_t)ts);
	b32(b, (uint32_t)n);
	b32(b, (uint32_t)n);
	b_padded(b, p, n);
	if (comment != NULL)
		b_opt(b, 1, comment, strlen(comment));
	if (flags >= 0) {
		b16(b, 2);
		b16(b, 4);
		b32(b, (uint32_t)flags);
	}
	if (comment != NULL || flags >= 0)
		b32(b, 0);
	blk_end(b);
}

/*
 * The writer, read back
 */

static uint8_t all_bytes[256];

static void
fill_all_bytes(void)
{
	size_t i;
	for (i = 0; i < sizeof(all_bytes); i++)
		all_bytes[i] = (uint8_t)i;
}

/* The file @path holds @s at @off (atp_rec.data_off: the bytes are the
 * file's own, which analyze --net reads again). */
static void
assert_file_at(const char *path, uint64_t off, struct atp_span s)
{
	uint8_t buf[512];
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_true(s.len <= sizeof(buf) && off <= (uint64_t)LONG_MAX);
	assert_int_equal(fseek(f, (long)off, SEEK_SET), 0);
	assert_int_equal(fread(buf, 1, s.len, f), s.len);
	fclose(f);
	if (s.len > 0)
		assert_memory_equal(buf, s.p, s.len);
}

static void
records_round_trip_with_every_byte_value_direction_and_comment(void **state)
{
	static const int linktypes[] = { 0, ATP_LINKTYPE_UPPER_PDU, ATP_LINKTYPE_USER0 };
	struct atp_rec in[6];
	size_t i, k;
	(void)state;

	fill_all_bytes();
	in[0] = rec_make(1704067200000001ull, ATP_DIR_TO_MODULE, "AT+QVER\r", 8, NULL);
	in[1] = rec_make(1704067200000950ull, ATP_DIR_FROM_MODULE, "+OK=G3.1.2\r\n\r\n", 14,
	    "the firmware answers");
	in[2] = rec_make(1704067200001000ull, ATP_DIR_TO_MODULE, all_bytes, 256, "all bytes");
	in[3] = rec_make(1704067200002000ull, ATP_DIR_FROM_MODULE, all_bytes + 1, 255, NULL);
	in[4] = rec_make(0, ATP_DIR_UNKNOWN, all_bytes + 13, 3, "unknown direction, time 0");
	in[5] = rec_make(UINT64_MAX, ATP_DIR_FROM_MODULE, "", 0, NULL);
	for (k = 0; k < sizeof(linktypes) / sizeof(linktypes[0]); k++) {
		struct atp_pcapng_opts o = { .linktype = linktypes[k], .if_name = "/dev/ttyUSB0",
			.if_description = "115200 8N1" };
		struct atp_pcapng_writer *w;
		struct atp_pcapng_reader *r;
		struct atp_pcapng_ifinfo inf;
		struct atp_diag d;
		char *path = tmp_path();
		int want_lt = linktypes[k] != 0 ? linktypes[k] : ATP_LINKTYPE_UPPER_PDU;

		atp_diag_clear(&d);
		assert_int_equal(atp_pcapng_open(path, &o, &w, &d), ATP_OK);
		for (i = 0; i < 6; i++)
			assert_int_equal(atp_pcapng_write(w, 0, &in[i], &d), ATP_OK);
		assert_int_equal(atp_pcapng_close(w, &d), ATP_OK);

		assert_int_equal(atp_pcapng_reader_open(path, &r, &d), ATP_OK);
		assert_int_equal(atp_pcapng_reader_format(r), ATP_CAPFMT_UNKNOWN);
		for (i = 0; i < 6; i++) {
			struct atp_rec out;
			unsigned ifidx = 99;
			int lt = 0;
			assert_int_equal(atp_pcapng_next(r, &out, &ifidx, &lt, &d), 1);
			assert_int_equal(ifidx, 0);
			assert_int_equal(lt, want_lt);
			assert_true(out.ts_us == in[i].ts_us);
			assert_int_equal(out.dir, in[i].dir);
			assert_int_equal(out.flags, 0);
			assert_span(out.bytes, in[i].bytes.p, in[i].bytes.len);
			assert_span(out.comment, in[i].comment.p, in[i].comment.len);
			assert_string_equal(out.src_file, path);
			assert_int_equal(out.src_line, 0);
			assert_true(out.src_offset > 0 && out.src_offset % 4 == 0);
			assert_true(out.data_off > out.src_offset);
			assert_file_at(path, out.data_off, out.bytes);
		}
		assert_int_equal(atp_pcapng_next(r, &(struct atp_rec){ 0 }, NULL, NULL, &d), 0);
		assert_int_equal(atp_pcapng_reader_format(r), ATP_CAPFMT_PCAPNG);
		assert_int_equal(atp_pcapng_reader_ifinfo(r, 0, &inf), ATP_OK);
		assert_int_equal(inf.linktype, want_lt);
		assert_span_str(inf.name, "/dev/ttyUSB0");
		assert_span_str(inf.description, "115200 8N1");
		assert_int_equal(atp_pcapng_reader_ifinfo(r, 1, &inf), ATP_ERR_NOTFOUND);
		atp_pcapng_reader_close(r);
		tmp_free(path);
	}
}

static void
the_file_has_the_blocks_and_options_wireshark_reads(void **state)
{
	static const uint8_t at_tags[] = { 0, 12, 0, 4, 'a', 't', 0, 0, 0, 0, 0, 0 };
	struct atp_pcapng_writer *w;
	struct atp_rec rec = rec_make(0x0102030405060708ull, ATP_DIR_TO_MODULE, "AT+\r", 4, NULL);
	struct atp_pcapng_opts o = { .if_name = "pty0" };
	char *path = tmp_path();
	char appl[32];
	uint8_t *f;
	size_t len, shb, idb;
	(void)state;

	assert_int_equal(atp_pcapng_open(path, &o, &w, NULL), ATP_OK);
	assert_int_equal(atp_pcapng_write(w, 0, &rec, NULL), ATP_OK);
	rec.dir = ATP_DIR_FROM_MODULE;
	assert_int_equal(atp_pcapng_write(w, 0, &rec, NULL), ATP_OK);
	assert_int_equal(atp_pcapng_close(w, NULL), ATP_OK);
	f = slurp(path, &len);

	/* Section Header Block, little-endian, version 1.0, shb_userappl. */
	assert_true(len > 28);
	assert_memory_equal(f, "\x0a\x0d\x0d\x0a", 4);
	assert_memory_equal(f + 8, "\x4d\x3c\x2b\x1a\x01\x00\x00\x00", 8);
	shb = f[4] | (size_t)f[5] << 8;
	snprintf(appl, sizeof(appl), "atproof %s", ATPROOF_VERSION);
	assert_int_equal(f[24], 4);             /* shb_userappl */
	assert_int_equal(f[26], strlen(appl));
	assert_memory_equal(f + 28, appl, strlen(appl));

	/* Interface Description Block: UPPER_PDU, if_name, if_tsresol 6. */
	assert_int_equal(f[shb], 1);
	idb = f[shb + 4] | (size_t)f[shb + 5] << 8;
	assert_int_equal(f[shb + 8] | f[shb + 9] << 8, 252);
	assert_memory_equal(f + shb + 16, "\x02\x00\x04\x00pty0", 8);
	assert_memory_equal(f + shb + 24, "\x09\x00\x01\x00\x06\x00\x00\x00", 8);

	/* Enhanced Packet Block: time stamp high/low, tags naming "at", the
	 * bytes, then epb_flags 2 (outbound); the next one inbound (1). */
	{
		const uint8_t *e = f + shb + idb;
		size_t elen = e[4] | (size_t)e[5] << 8;
		assert_int_equal(e[0], 6);
		assert_memory_equal(e + 12, "\x04\x03\x02\x01\x08\x07\x06\x05", 8);
		assert_int_equal(e[20], 16);   /* captured: 12 bytes of tags + 4 */
		assert_int_equal(e[24], 16);
		assert_memory_equal(e + 28, at_tags, sizeof(at_tags));
		assert_memory_equal(e + 40, "AT+\r", 4);
		assert_memory_equal(e + 44, "\x02\x00\x04\x00\x02\x00\x00\x00\x00\x00\x00\x00", 12);
		assert_int_equal(elen, 60);
		assert_memory_equal(e + elen + 48, "\x01\x00\x00\x00", 4);
		assert_int_equal(shb + idb + 2 * elen, len);
	}
	free(f);
	tmp_free(path);
}

static void
a_large_record_round_trips_and_one_too_big_for_a_block_is_refused(void **state)
{
	size_t big = 4u << 20, i;
	uint8_t *p = malloc(ATP_PCAPNG_BLOCK_MAX);
	struct atp_pcapng_writer *w;
	struct atp_pcapng_reader *r;
	struct atp_rec rec, out;
	struct atp_diag d;
	char *path = tmp_path();
	(void)state;

	assert_non_null(p);
	for (i = 0; i < ATP_PCAPNG_BLOCK_MAX; i++)
		p[i] = (uint8_t)(i * 7 + (i >> 8));
	atp_diag_clear(&d);
	assert_int_equal(atp_pcapng_open(path, NULL, &w, &d), ATP_OK);
	rec = rec_make(42, ATP_DIR_FROM_MODULE, p, big, NULL);
	assert_int_equal(atp_pcapng_write(w, 0, &rec, &d), ATP_OK);
	rec.bytes.len = ATP_PCAPNG_BLOCK_MAX;
	assert_int_equal(atp_pcapng_write(w, 0, &rec, &d), ATP_ERR_LIMIT);
	assert_non_null(strstr(d.msg, "does not fit"));
	/* The biggest record that fits: block overhead 28 + 12 tags + 4 + 8 flags + 4. */
	rec.bytes.len = ATP_PCAPNG_BLOCK_MAX - 56;
	assert_int_equal(atp_pcapng_write(w, 0, &rec, &d), ATP_OK);
	rec.bytes.len++;
	assert_int_equal(atp_pcapng_write(w, 0, &rec, &d), ATP_ERR_LIMIT);
	assert_int_equal(atp_pcapng_close(w, &d), ATP_OK);

	assert_int_equal(atp_pcapng_reader_open(path, &r, &d), ATP_OK);
	assert_int_equal(atp_pcapng_next(r, &out, NULL, NULL, &d), 1);
	assert_span(out.bytes, p, big);
	assert_int_equal(atp_pcapng_next(r, &out, NULL, NULL, &d), 1);
	assert_span(out.bytes, p, ATP_PCAPNG_BLOCK_MAX - 56);
	assert_int_equal(atp_pcapng_next(r, &out, NULL, NULL, &d), 0);
	atp_pcapng_reader_close(r);
	free(p);
	tmp_free(path);
}

static void
step_comments_attach_to_the_next_record(void **state)
{
	struct atp_pcapng_writer *w;
	struct atp_pcapng_reader *r;
	struct atp_rec rec, out;
	struct atp_diag d;
	char *path = tmp_path();
	(void)state;

	atp_diag_clear(&d);
	assert_int_equal(atp_pcapng_open(path, NULL, &w, &d), ATP_OK);
	assert_int_equal(atp_pcapng_comment(w, 10, "step 1: send AT+QVER", &d), ATP_OK);
	assert_int_equal(atp_pcapng_comment(w, 11, "", &d), ATP_OK);
	assert_int_equal(atp_pcapng_comment(w, 11, NULL, &d), ATP_OK);
	rec = rec_make(20, ATP_DIR_TO_MODULE, "AT+QVER\r", 8, NULL);
	assert_int_equal(atp_pcapng_write(w, 0, &rec, &d), ATP_OK);
	rec = rec_make(30, ATP_DIR_FROM_MODULE, "+OK\r\n\r\n", 7, NULL);
	assert_int_equal(atp_pcapng_write(w, 0, &rec, &d), ATP_OK);
	assert_int_equal(atp_pcapng_comment(w, 40, "step 2", &d), ATP_OK);
	assert_int_equal(atp_pcapng_comment(w, 41, "expect +OK", &d), ATP_OK);
	rec = rec_make(50, ATP_DIR_TO_MODULE, "AT+Z\r", 5, "its own comment");
	assert_int_equal(atp_pcapng_write(w, 0, &rec, &d), ATP_OK);
	assert_int_equal(atp_pcapng_close(w, &d), ATP_OK);

	assert_int_equal(atp_pcapng_reader_open(path, &r, &d), ATP_OK);
	assert_int_equal(atp_pcapng_next(r, &out, NULL, NULL, &d), 1);
	assert_span_str(out.comment, "step 1: send AT+QVER");
	assert_span_str(out.bytes, "AT+QVER\r");
	assert_int_equal(atp_pcapng_next(r, &out, NULL, NULL, &d), 1);
	assert_int_equal(out.comment.len, 0);
	assert_int_equal(atp_pcapng_next(r, &out, NULL, NULL, &d), 1);
	assert_span_str(out.comment, "step 2\nexpect +OK\nits own comment");
	assert_span_str(out.bytes, "AT+Z\r");
	assert_int_equal(atp_pcapng_next(r, &out, NULL, NULL, &d), 0);
	atp_pcapng_reader_close(r);
	tmp_free(path);
}

static void
a_comment_left_at_close_becomes_an_empty_record(void **state)
{
	struct atp_pcapng_writer *w;
	struct atp_pcapng_reader *r;
	struct atp_rec rec, out;
	struct atp_diag d;
	unsigned if1 = 0, ifidx = 0;
	char *path = tmp_path();
	(void)state;

	atp_diag_clear(&d);
	assert_int_equal(atp_pcapng_open(path, NULL, &w, &d), ATP_OK);
	assert_int_equal(atp_pcapng_add_if(w, "second", NULL, &if1, &d), ATP_OK);
	rec = rec_make(20, ATP_DIR_FROM_MODULE, "+OK\r\n\r\n", 7, NULL);
	assert_int_equal(atp_pcapng_write(w, if1, &rec, &d), ATP_OK);
	assert_int_equal(atp_pcapng_comment(w, 77, "run aborted: port vanished", &d), ATP_OK);
	assert_int_equal(atp_pcapng_close(w, &d), ATP_OK);

	assert_int_equal(atp_pcapng_reader_open(path, &r, &d), ATP_OK);
	assert_int_equal(atp_pcapng_next(r, &out, NULL, NULL, &d), 1);
	assert_int_equal(out.comment.len, 0);
	assert_int_equal(atp_pcapng_next(r, &out, &ifidx, NULL, &d), 1);
	assert_int_equal(out.bytes.len, 0);
	assert_int_equal(out.dir, ATP_DIR_UNKNOWN);
	assert_true(out.ts_us == 77);
	assert_int_equal(ifidx, if1);
	assert_span_str(out.comment, "run aborted: port vanished");
	assert_int_equal(atp_pcapng_next(r, &out, NULL, NULL, &d), 0);
	atp_pcapng_reader_close(r);
	tmp_free(path);
}

static void
each_uart_is_an_interface_of_its_own(void **state)
{
	struct atp_pcapng_opts o = { .if_name = "/dev/ttyUSB0", .if_description = "115200 8N1" };
	struct atp_pcapng_writer *w;
	struct atp_pcapng_reader *r;
	struct atp_pcapng_ifinfo inf;
	struct atp_rec rec, out;
	struct atp_diag d;
	unsigned i, idx = 0;
	char *path = tmp_path();
	(void)state;

	atp_diag_clear(&d);
	assert_int_equal(atp_pcapng_open(path, &o, &w, &d), ATP_OK);
	assert_int_equal(atp_pcapng_add_if(w, "/dev/ttyUSB1", "921600 8N1", &idx, &d), ATP_OK);
	assert_int_equal(idx, 1);
	assert_int_equal(atp_pcapng_add_if(w, NULL, NULL, &idx, &d), ATP_OK);
	assert_int_equal(idx, 2);
	for (i = 0; i < 6; i++) {
		rec = rec_make(i, i % 2 ? ATP_DIR_FROM_MODULE : ATP_DIR_TO_MODULE, &i, 1, NULL);
		assert_int_equal(atp_pcapng_write(w, (i * 2) % 3, &rec, &d), ATP_OK);
	}
	assert_int_equal(atp_pcapng_write(w, 3, &rec, &d), ATP_ERR_ARG);
	assert_non_null(strstr(d.msg, "no interface 3"));
	assert_int_equal(atp_pcapng_close(w, &d), ATP_OK);

	assert_int_equal(atp_pcapng_reader_open(path, &r, &d), ATP_OK);
	for (i = 0; i < 6; i++) {
		assert_int_equal(atp_pcapng_next(r, &out, &idx, NULL, &d), 1);
		assert_int_equal(idx, (i * 2) % 3);
		assert_true(out.ts_us == i);
	}
	assert_int_equal(atp_pcapng_reader_ifinfo(r, 1, &inf), ATP_OK);
	assert_span_str(inf.name, "/dev/ttyUSB1");
	assert_span_str(inf.description, "921600 8N1");
	assert_int_equal(atp_pcapng_reader_ifinfo(r, 2, &inf), ATP_OK);
	assert_int_equal(inf.name.len, 0);
	assert_int_equal(atp_pcapng_next(r, &out, &idx, NULL, &d), 0);
	atp_pcapng_reader_close(r);
	tmp_free(path);
}

static void
the_writer_refuses_what_pcapng_cannot_hold(void **state)
{
	struct atp_pcapng_opts o = { .linktype = 1 };
	struct atp_pcapng_writer *w = (void *)1;
	struct atp_rec rec;
	struct atp_diag d;
	char *path = tmp_path();
	char *huge = malloc(ATP_PCAPNG_COMMENT_MAX + 2);
	unsigned i;
	(void)state;

	assert_non_null(huge);
	memset(huge, 'c', ATP_PCAPNG_COMMENT_MAX + 1);
	huge[ATP_PCAPNG_COMMENT_MAX + 1] = '\0';
	atp_diag_clear(&d);
	assert_int_equal(atp_pcapng_open(path, &o, &w, &d), ATP_ERR_ARG);
	assert_null(w);
	assert_non_null(strstr(d.msg, "link type 1"));
	o.linktype = ATP_LINKTYPE_USER15 + 1;
	assert_int_equal(atp_pcapng_open(path, &o, &w, &d), ATP_ERR_ARG);
	o.linktype = ATP_LINKTYPE_USER15;
	o.if_name = huge;
	assert_int_equal(atp_pcapng_open(path, &o, &w, &d), ATP_ERR_ARG);
	o.if_name = NULL;
	assert_int_equal(atp_pcapng_open(path, &o, &w, &d), ATP_OK);
	assert_int_equal(atp_pcapng_comment(w, 0, huge, &d), ATP_ERR_ARG);
	rec = rec_make(0, ATP_DIR_TO_MODULE, "x", 1, huge);
	assert_int_equal(atp_pcapng_write(w, 0, &rec, &d), ATP_ERR_ARG);
	huge[ATP_PCAPNG_COMMENT_MAX] = '\0';
	rec.comment.len = ATP_PCAPNG_COMMENT_MAX;
	assert_int_equal(atp_pcapng_write(w, 0, &rec, &d), ATP_OK);
	rec.bytes.p = NULL;
	assert_int_equal(atp_pcapng_write(w, 0, &rec, &d), ATP_ERR_ARG);
	assert_int_equal(atp_pcapng_write(w, 0, NULL, &d), ATP_ERR_ARG);
	/* Comments pending past one block's worth are refused, not buffered. */
	for (i = 0; i < 300; i++) {
		int rc = atp_pcapng_comment(w, 0, huge, &d);
		if (rc != ATP_OK) {
			assert_int_equal(rc, ATP_ERR_LIMIT);
			break;
		}
	}
	assert_true(i > 200 && i < 300);
	for (i = 0; i <= ATP_PCAPNG_IF_MAX; i++) {
		int rc = atp_pcapng_add_if(w, NULL, NULL, NULL, &d);
		if (rc != ATP_OK) {
			assert_int_equal(rc, ATP_ERR_LIMIT);
			break;
		}
	}
	assert_int_equal(i, ATP_PCAPNG_IF_MAX - 1);
	assert_int_equal(atp_pcapng_close(w, &d), ATP_OK);
	assert_int_equal(atp_pcapng_close(NULL, &d), ATP_OK);
	assert_int_equal(atp_pcapng_open(NULL, NULL, &w, &d), ATP_ERR_ARG);
	assert_int_equal(atp_pcapng_open_fd(-1, NULL, &w, &d), ATP_ERR_ARG);
	free(huge);
	tmp_free(path);
}

static void
a_capture_on_a_full_disk_is_an_io_error_with_errno(void **state)
{
	struct atp_pcapng_writer *w = (void *)1;
	struct atp_diag d;
	char buf[512];
	(void)state;

	atp_diag_clear(&d);
	assert_int_equal(atp_pcapng_open("/dev/full", NULL, &w, &d), ATP_ERR_IO);
	assert_null(w);
	assert_int_equal(d.code, ATP_ERR_IO);
	assert_int_equal(d.sys_errno, ENOSPC);
	atp_diag_format(&d, buf, sizeof(buf));
	assert_non_null(strstr(buf, "/dev/full"));
	assert_non_null(strstr(buf, strerror(ENOSPC)));

	atp_diag_clear(&d);
	assert_int_equal(atp_pcapng_open("/nonexistent-dir/x.pcapng", NULL, &w, &d), ATP_ERR_IO);
	assert_int_equal(d.sys_errno, ENOENT);
}

/*
 * A write that fails halfway (here: the file size limit, EFBIG) must leave
 * the blocks before it intact and no half block after them. The limit is
 * set in a child so that the test process keeps its own.
 */
static void
a_write_error_midway_leaves_a_valid_capture(void **state)
{
	char *path = tmp_path();
	pid_t pid;
	int status, last;
	size_t len, n;
	uint8_t *f;
	struct atp_diag d;
	(void)state;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 3000, 3000 };
		struct atp_pcapng_writer *w;
		struct atp_rec rec;
		uint8_t data[100];
		int i, rc = ATP_OK;

		memset(data, 'x', sizeof(data));
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0 || atp_pcapng_open(path, NULL, &w, NULL) != 0)
			_exit(100);
		/* The parent's name, not ours to keep (make valgrind: a leak in
		 * the child would turn its exit code into valgrind's). */
		free(path);
		rec = rec_make(1, ATP_DIR_TO_MODULE, data, sizeof(data), NULL);
		for (i = 0; i < 100 && rc == ATP_OK; i++) {
			atp_diag_clear(&d);
			rc = atp_pcapng_write(w, 0, &rec, &d);
		}
		if (rc != ATP_ERR_IO || d.sys_errno != EFBIG || strstr(d.msg, "valid") == NULL)
			_exit(101);
		/* Dead from now on, and says so. */
		if (atp_pcapng_write(w, 0, &rec, &d) != ATP_ERR_IO || d.sys_errno != EFBIG)
			_exit(102);
		if (atp_pcapng_comment(w, 0, "x", &d) != ATP_ERR_IO)
			_exit(103);
		if (atp_pcapng_close(w, &d) != ATP_ERR_IO)
			_exit(104);
		_exit(i - 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_true(WEXITSTATUS(status) > 10 && WEXITSTATUS(status) < 100);
	f = slurp(path, &len);
	assert_true(len <= 3000);
	atp_diag_clear(&d);
	n = count_records(f, len, &last, &d);
	assert_int_equal(last, 0);
	assert_int_equal(n, (size_t)WEXITSTATUS(status));
	free(f);
	tmp_free(path);
}

static void
a_writer_on_a_pipe_feeds_a_reader_on_the_other_end(void **state)
{
	struct atp_pcapng_writer *w;
	struct atp_pcapng_reader *r;
	struct atp_rec rec, out;
	struct atp_diag d;
	int fds[2];
	(void)state;

	assert_int_equal(pipe(fds), 0);
	atp_diag_clear(&d);
	assert_int_equal(atp_pcapng_open_fd(fds[1], &(struct atp_pcapng_opts){ .sync = 1 },
	    &w, &d), ATP_OK);
	rec = rec_make(5, ATP_DIR_FROM_MODULE, "+OK\r\n\r\n", 7, NULL);
	assert_int_equal(atp_pcapng_write(w, 0, &rec, &d), ATP_OK);
	assert_int_equal(atp_pcapng_close(w, &d), ATP_OK);
	/* The fd is still ours. */
	assert_int_equal(close(fds[1]), 0);
	assert_int_equal(atp_pcapng_reader_open_fd(fds[0], NULL, &r, &d), ATP_OK);
	assert_int_equal(atp_pcapng_next(r, &out, NULL, NULL, &d), 1);
	assert_span_str(out.bytes, "+OK\r\n\r\n");
	assert_non_null(strstr(out.src_file, "<fd "));
	assert_int_equal(atp_pcapng_next(r, &out, NULL, NULL, &d), 0);
	atp_pcapng_reader_close(r);
	assert_int_equal(close(fds[0]), 0);
}

/*
 * The reader on files it did not write
 */

static void
big_endian_sections_and_old_block_types_read_alike(void **state)
{
	static struct bld b;
	struct atp_pcapng_reader *r;
	struct atp_pcapng_ifinfo inf;
	struct atp_rec out;
	struct atp_diag d;
	unsigned ifidx;
	int lt;
	(void)state;

	memset(&b, 0, sizeof(b));
	b_shb(&b, 1);
	b_idb(&b, ATP_LINKTYPE_USER0, 0, 9, 0, "ns");          /* nanoseconds */
	b_idb(&b, ATP_LINKTYPE_USER0, 4, 0x80 | 10, 100, "b2"); /* 2^-10 s, +100 s */
	b_epb(&b, 0, 1500000001999ull, "AT+\r", 4, 2, "big-endian");
	/* An unknown block and a statistics block are skipped. */
	blk_begin(&b, CUSTOM);
	b32(&b, 32473);
	b_padded(&b, "opaque", 6);
	blk_end(&b);
	blk_begin(&b, ISB);
	b32(&b, 0);
	b32(&b, 0);
	b32(&b, 0);
	blk_end(&b);
	/* Obsolete Packet Block on interface 1: 2048 units = 2 s, + 100 s. */
	blk_begin(&b, PB);
	b16(&b, 1);
	b16(&b, 0);
	b32(&b, 0);
	b32(&b, 2048 + 512);
	b32(&b, 3);
	b32(&b, 3);
	b_padded(&b, "+OK", 3);
	b16(&b, 2);
	b16(&b, 4);
	b32(&b, 1);
	b32(&b, 0);
	blk_end(&b);
	/* Simple Packet Block: interface 0, no time, original length 10, only
	 * what the block holds. */
	blk_begin(&b, SPB);
	b32(&b, 10);
	b_padded(&b, "\r\n\r\n", 4);
	blk_end(&b);
	/* A second section, little-endian, with fresh interfaces. */
	b_shb(&b, 0);
	b_idb(&b, ATP_LINKTYPE_UPPER_PDU, 0, -1, 0, NULL);     /* default 10^-6 */
	{
		/* text2pcap's unpadded tag, another tag, P2P_DIRECTION "received",
		 * END, then the payload; tags are big-endian in any section. */
		static const uint8_t pdu[] = { 0, 12, 0, 2, 'a', 't', 0, 14, 0, 2, 'x', 'y',
			0, 36, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 'h', 'i' };
		blk_begin(&b, EPB);
		b32(&b, 0);
		b32(&b, 0);
		b32(&b, 7);
		b32(&b, sizeof(pdu));
		b32(&b, sizeof(pdu));
		b_padded(&b, pdu, sizeof(pdu));
		blk_end(&b);
	}

	atp_diag_clear(&d);
	assert_int_equal(atp_pcapng_reader_open_mem(b.p, b.len, NULL, &r, &d), ATP_OK);
	assert_int_equal(atp_pcapng_next(r, &out, &ifidx, &lt, &d), 1);
	assert_int_equal(ifidx, 0);
	assert_int_equal(lt, ATP_LINKTYPE_USER0);
	assert_true(out.ts_us == 1500000001ull);
	assert_int_equal(out.dir, ATP_DIR_TO_MODULE);
	assert_span_str(out.bytes, "AT+\r");
	assert_span_str(out.comment, "big-endian");
	assert_string_equal(out.src_file, "<memory>");
	assert_int_equal(atp_pcapng_reader_ifinfo(r, 1, &inf), ATP_OK);
	assert_span_str(inf.name, "b2");
	assert_int_equal(inf.snaplen, 4);

	assert_int_equal(atp_pcapng_next(r, &out, &ifidx, &lt, &d), 1);
	assert_int_equal(ifidx, 1);
	assert_true(out.ts_us == 102500000ull);
	assert_int_equal(out.dir, ATP_DIR_FROM_MODULE);
	assert_span_str(out.bytes, "+OK");

	assert_int_equal(atp_pcapng_next(r, &out, &ifidx, &lt, &d), 1);
	assert_int_equal(ifidx, 0);
	assert_int_equal(out.flags, ATP_RECF_NO_TIME | ATP_RECF_CUT);
	assert_true(out.cut_len == 6);   /* original length 10 */
	assert_span_str(out.bytes, "\r\n\r\n");
	assert_int_equal(out.dir, ATP_DIR_UNKNOWN);

	assert_int_equal(atp_pcapng_next(r, &out, &ifidx, &lt, &d), 1);
	assert_int_equal(lt, ATP_LINKTYPE_UPPER_PDU);
	assert_true(out.ts_us == 7);
	assert_span_str(out.bytes, "hi");
	assert_true(out.cut_len == 0);   /* whole, after a cut record */
	assert_int_equal(out.dir, ATP_DIR_FROM_MODULE);  /* from the P2P tag */
	assert_int_equal(atp_pcapng_reader_ifinfo(r, 1, &inf), ATP_ERR_NOTFOUND);
	assert_int_equal(atp_pcapng_next(r, &out, &ifidx, &lt, &d), 0);
	atp_pcapng_reader_close(r);
}

static void
time_resolutions_become_microseconds(void **state)
{
	static const struct {
		int tsresol;
		int64_t offset;
		uint64_t raw;
		int rc;
		uint64_t us;
	} rows[] = {
		{ -1, 0, 1234567, 1, 1234567 },
		{ 6, 0, UINT64_MAX, 1, UINT64_MAX },
		{ 3, 0, 1500, 1, 1500000 },
		{ 0, 0, 18446744073709ull, 1, 18446744073709000000ull },
		{ 0, 0, 18446744073710ull, ATP_ERR_LIMIT, 0 },
		{ 9, 0, 1999, 1, 1 },
		{ 19, 0, UINT64_MAX, 1, 1844674 },
		{ 127, 0, UINT64_MAX, 1, 0 },
		{ 0x80, 0, 3, 1, 3000000 },
		{ 0x80 | 20, 0, 1u << 19, 1, 500000 },
		{ 0x80 | 63, 0, UINT64_MAX, 1, 1999999 },
		{ 0x80 | 127, 0, UINT64_MAX, 1, 0 },
		{ 6, -10, 10000000, 1, 0 },
		{ 6, -10, 9999999, ATP_ERR_LIMIT, 0 },
		{ 6, 1, UINT64_MAX - 1000000, 1, UINT64_MAX },
		{ 6, 1, UINT64_MAX - 999999, ATP_ERR_LIMIT, 0 },
		{ 6, INT64_MIN, 0, ATP_ERR_LIMIT, 0 },
		{ 6, INT64_MAX, 0, ATP_ERR_LIMIT, 0 },
	};
	static struct bld b;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct atp_pcapng_reader *r;
		struct atp_rec out;
		struct atp_diag d;
		int rc;

		memset(&b, 0, sizeof(b));
		b_shb(&b, (int)(i % 2));
		b_idb(&b, ATP_LINKTYPE_USER0, 0, rows[i].tsresol, rows[i].offset, NULL);
		b_epb(&b, 0, rows[i].raw, "x", 1, -1, NULL);
		atp_diag_clear(&d);
		assert_int_equal(atp_pcapng_reader_open_mem(b.p, b.len, NULL, &r, &d), ATP_OK);
		rc = atp_pcapng_next(r, &out, NULL, NULL, &d);
		if (rc != rows[i].rc)
			fail_msg("row %zu: rc %d, want %d (%s)", i, rc, rows[i].rc, d.msg);
		if (rc == 1 && out.ts_us != rows[i].us)
			fail_msg("row %zu: %llu us, want %llu", i, (unsigned long long)out.ts_us,
			    (unsigned long long)rows[i].us);
		if (rc < 0)
			assert_non_null(strstr(d.msg, "time stamp"));
		atp_pcapng_reader_close(r);
	}
}

static void
classic_pcap_is_read_without_direction(void **state)
{
	static struct bld b;
	struct atp_pcapng_reader *r;
	struct atp_pcapng_ifinfo inf;
	struct atp_rec out;
	struct atp_diag d;
	unsigned ifidx = 9;
	int lt = 0, big;
	(void)state;

	for (big = 0; big < 2; big++) {
		memset(&b, 0, sizeof(b));
		b.big = big;
		b32(&b, big ? 0xA1B23C4Du : 0xA1B2C3D4u);     /* ns big, us little */
		b16(&b, 2);
		b16(&b, 4);
		b32(&b, 0);
		b32(&b, 0);
		b32(&b, 65535);
		b32(&b, ATP_LINKTYPE_USER0 | 0x10000000u);      /* FCS bits above */
		b32(&b, 1700000000u);
		b32(&b, big ? 123456789u : 123456u);
		b32(&b, 4);
		b32(&b, 9);
		b_raw(&b, "AT+\r", 4);
		b32(&b, 1700000001u);
		b32(&b, 0);
		b32(&b, 0);
		b32(&b, 0);
		assert_int_equal(atp_capture_sniff(b.p, b.len), ATP_CAPFMT_PCAP);

		atp_diag_clear(&d);
		assert_int_equal(atp_pcapng_reader_open_mem(b.p, b.len, "x.pcap", &r, &d), ATP_OK);
		assert_int_equal(atp_pcapng_next(r, &out, &ifidx, &lt, &d), 1);
		assert_int_equal(atp_pcapng_reader_format(r), ATP_CAPFMT_PCAP);
		assert_int_equal(ifidx, 0);
		assert_int_equal(lt, ATP_LINKTYPE_USER0);
		assert_true(out.ts_us == 1700000000123456ull);
		assert_int_equal(out.dir, ATP_DIR_UNKNOWN);
		assert_int_equal(out.flags, ATP_RECF_CUT);
		assert_true(out.cut_len == 5);   /* 9 sent, 4 captured */
		assert_span_str(out.bytes, "AT+\r");
		assert_true(out.src_offset == 24);
		assert_true(out.data_off == 40 && b.p + 40 == out.bytes.p);
		assert_int_equal(atp_pcapng_next(r, &out, &ifidx, &lt, &d), 1);
		assert_int_equal(out.bytes.len, 0);
		assert_true(out.cut_len == 0);
		assert_int_equal(atp_pcapng_next(r, &out, &ifidx, &lt, &d), 0);
		assert_int_equal(atp_pcapng_reader_ifinfo(r, 0, &inf), ATP_OK);
		assert_int_equal(inf.snaplen, 65535);
		atp_pcapng_reader_close(r);

		/* Cut inside the second record header: one record, then AGAIN. */
		assert_int_equal(atp_pcapng_reader_open_mem(b.p, b.len - 1, "x.pcap", &r, &d),
		    ATP_OK);
		assert_int_equal(atp_pcapng_next(r, &out, &ifidx, &lt, &d), 1);
		assert_int_equal(atp_pcapng_next(r, &out, &ifidx, &lt, &d), ATP_ERR_AGAIN);
		assert_int_equal(d.offset, 44);
		atp_pcapng_reader_close(r);
	}
}

static void
what_is_not_a_capture_is_named(void **state)
{
	static const struct {
		const char *what;
		const char *bytes;
		size_t len;
		int rc;
		const char *msg;
	} rows[] = {
		{ "empty", "", 0, ATP_ERR_AGAIN, "empty" },
		{ "3 bytes", "\x0a\x0d\x0d", 3, ATP_ERR_AGAIN, "too short" },
		{ "a terminal log", "AT+QVER\r\n+OK=G3\r\n\r\n", 19, ATP_ERR_SYNTAX,
			"starts 41 54 2b 51" },
		{ "modified pcap", "\x34\xcd\xb2\xa1", 4, ATP_ERR_UNSUPP, "modified" },
		{ "pcap 1.0", "\xd4\xc3\xb2\xa1\x01\x00\x00\x00" "0123456789abcdef", 24,
			ATP_ERR_UNSUPP, "pcap version 1.0" },
		{ "pcap header cut", "\xd4\xc3\xb2\xa1\x02\x00", 6, ATP_ERR_AGAIN, "pcap header" },
		{ "bad byte-order magic", "\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1b", 12,
			ATP_ERR_SYNTAX, "byte-order magic" },
		{ "pcapng 2.0", "\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a\x02\x00\x00\x00"
			"\xff\xff\xff\xff\xff\xff\xff\xff\x1c\x00\x00\x00", 28, ATP_ERR_UNSUPP,
			"version 2.0" },
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct atp_diag d;
		int last;
		atp_diag_clear(&d);
		assert_int_equal(count_records(rows[i].bytes, rows[i].len, &last, &d), 0);
		if (last != rows[i].rc || strstr(d.msg, rows[i].msg) == NULL)
			fail_msg("%s: rc %d (want %d), '%s'", rows[i].what, last, rows[i].rc, d.msg);
		assert_int_equal(d.offset, 0);
		assert_non_null(strstr(d.msg, "mem: offset 0: "));
	}
	assert_int_equal(atp_capture_sniff("\x0a\x0d\x0d\x0a", 4), ATP_CAPFMT_PCAPNG);
	assert_int_equal(atp_capture_sniff("\x0a\x0d\x0d", 3), ATP_CAPFMT_UNKNOWN);
	assert_int_equal(atp_capture_sniff("\xa1\xb2\x3c\x4d", 4), ATP_CAPFMT_PCAP);
	assert_int_equal(atp_capture_sniff(NULL, 4), ATP_CAPFMT_UNKNOWN);
}

/* A capture of a few records of mixed sizes, as our writer makes it, and
 * where its blocks end. */
struct layout {
	size_t end[16];         /* where each block ends */
	int is_pkt[16];
	size_t nblk;
	size_t pkt_end[16];     /* where each packet block ends */
	size_t npkt;
};

static uint8_t *
sample_capture(size_t *len, struct layout *lay)
{
	struct atp_pcapng_opts o = { .if_name = "pty", .comment = "atproof run x" };
	struct atp_pcapng_writer *w;
	char *path = tmp_path();
	uint8_t *f;
	size_t i, off;

	fill_all_bytes();
	assert_int_equal(atp_pcapng_open(path, &o, &w, NULL), ATP_OK);
	assert_int_equal(atp_pcapng_comment(w, 1, "step 1", NULL), ATP_OK);
	for (i = 0; i < 5; i++) {
		struct atp_rec rec = rec_make(i * 1000, i % 2 ? ATP_DIR_FROM_MODULE :
		    ATP_DIR_TO_MODULE, all_bytes + i, i * 13 + 1, i == 3 ? "three" : NULL);
		assert_int_equal(atp_pcapng_write(w, 0, &rec, NULL), ATP_OK);
	}
	assert_int_equal(atp_pcapng_comment(w, 9, "the end", NULL), ATP_OK);
	assert_int_equal(atp_pcapng_close(w, NULL), ATP_OK);
	f = slurp(path, len);
	tmp_free(path);
	memset(lay, 0, sizeof(*lay));
	for (off = 0; off < *len; ) {
		uint32_t type = (uint32_t)f[off] | (uint32_t)f[off + 1] << 8;
		uint32_t blen = (uint32_t)f[off + 4] | (uint32_t)f[off + 5] << 8 |
		    (uint32_t)f[off + 6] << 16;
		off += blen;
		assert_true(lay->nblk < 16);
		lay->end[lay->nblk] = off;
		lay->is_pkt[lay->nblk++] = type == EPB;
		if (type == EPB)
			lay->pkt_end[lay->npkt++] = off;
	}
	assert_int_equal(off, *len);
	return f;
}

/* Reads a file to its end: the number of records, the last return value. */
static size_t
count_file_records(const char *path, int *last)
{
	struct atp_pcapng_reader *r;
	struct atp_rec out;
	size_t n = 0;
	int rc;

	assert_int_equal(atp_pcapng_reader_open(path, &r, NULL), ATP_OK);
	for (;;) {
		rc = atp_pcapng_next(r, &out, NULL, NULL, NULL);
		if (rc != 1)
			break;
		n++;
	}
	atp_pcapng_reader_close(r);
	*last = rc;
	return n;
}

static void
a_file_cut_anywhere_gives_its_complete_records_then_again(void **state)
{
	struct layout lay;
	size_t len, cut, i;
	uint8_t *f = sample_capture(&len, &lay);
	char *path = tmp_path();
	(void)state;

	assert_int_equal(lay.npkt, 6);
	assert_int_equal(lay.nblk, 8);
	for (cut = 0; cut <= len; cut++) {
		struct atp_diag d;
		size_t n, want = 0, start = 0;
		int last, at_boundary = 0;
		uint8_t *copy;

		for (i = 0; i < lay.nblk && lay.end[i] <= cut; i++) {
			want += (size_t)lay.is_pkt[i];
			start = lay.end[i];
			at_boundary |= lay.end[i] == cut;
		}
		/* Exactly the bytes up to the cut, so ASan sees any overread. */
		copy = malloc(cut + 1);
		assert_non_null(copy);
		memcpy(copy, f, cut);
		atp_diag_clear(&d);
		n = count_records(copy, cut, &last, &d);
		free(copy);
		if (n != want)
			fail_msg("cut at %zu: %zu records, want %zu", cut, n, want);
		if (at_boundary) {
			if (last != 0)
				fail_msg("cut at %zu (a block boundary): rc %d (%s)", cut, last, d.msg);
		} else {
			/* The error names the block being read when the file ended. */
			if (last != ATP_ERR_AGAIN || d.offset != start)
				fail_msg("cut at %zu: rc %d at offset %zu, want AGAIN at %zu (%s)",
				    cut, last, d.offset, start, d.msg);
			assert_non_null(strstr(d.msg, "mem: offset "));
		}

		/* The same cut through a file, every 7th offset (a file reader
		 * reads in chunks: other code runs). */
		if (cut % 7 == 0 || cut == len) {
			spit(path, f, cut);
			assert_int_equal(count_file_records(path, &last), want);
			assert_int_equal(last, at_boundary ? 0 : ATP_ERR_AGAIN);
		}
	}
	free(f);
	tmp_free(path);
}

static void
a_capture_still_being_written_is_read_as_it_grows(void **state)
{
	struct layout lay;
	size_t len, nrec, *ends = lay.pkt_end;
	uint8_t *f = sample_capture(&len, &lay);
	struct atp_pcapng_reader *r;
	struct atp_rec out;
	struct atp_diag d;
	char *path = tmp_path();
	int fd;
	(void)state;

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	atp_diag_clear(&d);
	assert_int_equal(atp_pcapng_reader_open(path, &r, &d), ATP_OK);
	assert_int_equal(atp_pcapng_next(r, &out, NULL, NULL, &d), ATP_ERR_AGAIN);
	assert_non_null(strstr(d.msg, "empty"));
	/* The header and a part of the first record. */
	assert_int_equal(write(fd, f, ends[0] - 10), (ssize_t)(ends[0] - 10));
	assert_int_equal(atp_pcapng_next(r, &out, NULL, NULL, &d), ATP_ERR_AGAIN);
	assert_non_null(strstr(d.msg, "Enhanced Packet Block"));
	assert_int_equal(write(fd, f + ends[0] - 10, 12), 12);
	assert_int_equal(atp_pcapng_next(r, &out, NULL, NULL, &d), 1);
	assert_span(out.bytes, all_bytes, 1);
	assert_span_str(out.comment, "step 1");
	assert_int_equal(atp_pcapng_next(r, &out, NULL, NULL, &d), ATP_ERR_AGAIN);
	assert_int_equal(write(fd, f + ends[0] + 2, len - ends[0] - 2),
	    (ssize_t)(len - ends[0] - 2));
	nrec = 1;
	while (atp_pcapng_next(r, &out, NULL, NULL, &d) == 1)
		nrec++;
	assert_int_equal(nrec, 6);
	assert_span_str(out.comment, "the end");
	atp_pcapng_reader_close(r);
	close(fd);
	free(f);
	tmp_free(path);
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * Corruptions of the sample capture: each is found at the offset of the
 * block concerned, after the records before it.
 */
static void
corrupt_blocks_are_reported_at_their_offset(void **state)
{
	enum { SECOND = 1, FOURTH = 3 };
	static const struct {
		const char *what;
		int rec;        /* the packet block changed (0-based) */
		size_t at;      /* byte within the block */
		uint32_t val;   /* little-endian u32 written there */
		int rc;
		const char *msg;
	} rows[] = {
		{ "length not a multiple of 4", SECOND, 4, 61, ATP_ERR_SYNTAX, "bad length 61" },
		{ "length below 12", SECOND, 4, 8, ATP_ERR_SYNTAX, "bad length 8" },
		{ "length past 16 MiB", SECOND, 4, (16u << 20) + 4, ATP_ERR_LIMIT, "at most" },
		{ "length past the file", FOURTH, 4, 1u << 20, ATP_ERR_AGAIN, "ends inside" },
		{ "trailing length", SECOND, 0xFFFF, 0x99, ATP_ERR_SYNTAX, "trailing length" },
		{ "unknown interface", SECOND, 8, 3, ATP_ERR_SYNTAX, "interface 3" },
		{ "captured length past the block", SECOND, 20, 4096, ATP_ERR_SYNTAX,
			"do not fit" },
		{ "captured length 2^32-1", FOURTH, 20, 0xFFFFFFFFu, ATP_ERR_SYNTAX, "do not fit" },
		{ "exported-PDU tag length", SECOND, 28, 0x00F00C00u, ATP_ERR_SYNTAX,
			"exported-PDU" },
		{ "option length past the block", SECOND, 0xFFF0, 0x01000002u, ATP_ERR_SYNTAX,
			"option runs past" },
		{ "epb_flags of 2 bytes", SECOND, 0xFFF0, 0x00020002u, ATP_ERR_SYNTAX,
			"epb_flags of 2 bytes" },
	};
	struct layout lay;
	size_t len, i, *ends = lay.pkt_end;
	uint8_t *f = sample_capture(&len, &lay);
	uint8_t *copy = malloc(len);
	(void)state;

	assert_non_null(copy);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t start = ends[rows[i].rec - 1], blen = ends[rows[i].rec] - start, at;
		struct atp_diag d;
		int last;
		size_t n;

		memcpy(copy, f, len);
		/* 0xFFFF: the trailing length; 0xFFF0: the flags option (the
		 * last option of these blocks: code 2, length 4, value). */
		at = rows[i].at == 0xFFFF ? blen - 4 : rows[i].at == 0xFFF0 ? blen - 16 : rows[i].at;
		if (rows[i].at == 0xFFF0)
			assert_int_equal(copy[start + at], 2);
		put_le32(copy + start + at, rows[i].val);
		atp_diag_clear(&d);
		n = count_records(copy, len, &last, &d);
		if (last != rows[i].rc || strstr(d.msg, rows[i].msg) == NULL)
			fail_msg("%s: rc %d (want %d), '%s'", rows[i].what, last, rows[i].rc, d.msg);
		if (n != (size_t)rows[i].rec || d.offset != start)
			fail_msg("%s: %zu records, offset %zu (want %d, %zu)", rows[i].what, n,
			    d.offset, rows[i].rec, start);
	}

	/* A block before the first section header. */
	{
		static struct bld b;
		struct atp_diag d;
		int last;
		memset(&b, 0, sizeof(b));
		b_raw(&b, "\x0a\x0d\x0d\x0a", 4);
		b.len = 0;
		b_shb(&b, 0);
		b_epb(&b, 0, 0, "x", 1, -1, NULL);
		atp_diag_clear(&d);
		assert_int_equal(count_records(b.p, b.len, &last, &d), 0);
		assert_int_equal(last, ATP_ERR_SYNTAX);
		assert_non_null(strstr(d.msg, "interface 0, but the section has 0"));
		assert_int_equal(d.offset, 28);

		memset(&b, 0, sizeof(b));
		b_shb(&b, 0);
		blk_begin(&b, SPB);
		b32(&b, 1);
		b32(&b, 0);
		blk_end(&b);
		assert_int_equal(count_records(b.p, b.len, &last, &d), 0);
		assert_non_null(strstr(d.msg, "before any Interface"));
	}
	free(copy);
	free(f);
}

static void
interfaces_past_the_ceiling_are_refused(void **state)
{
	static struct bld b;
	struct atp_diag d;
	int last;
	size_t i;
	(void)state;

	memset(&b, 0, sizeof(b));
	b_shb(&b, 1);
	for (i = 0; i <= ATP_PCAPNG_IF_MAX; i++)
		b_idb(&b, ATP_LINKTYPE_USER0, 0, -1, 0, NULL);
	atp_diag_clear(&d);
	assert_int_equal(count_records(b.p, b.len, &last, &d), 0);
	assert_int_equal(last, ATP_ERR_LIMIT);
	assert_non_null(strstr(d.msg, "interfaces"));
	assert_int_equal(d.offset, 28 + ATP_PCAPNG_IF_MAX * 24);

	/* A new section starts counting again. */
	b.len = 28 + ATP_PCAPNG_IF_MAX * 24;
	b_shb(&b, 0);
	b_idb(&b, ATP_LINKTYPE_USER0, 0, -1, 0, NULL);
	b_epb(&b, 0, 0, "x", 1, -1, NULL);
	assert_int_equal(count_records(b.p, b.len, &last, &d), 1);
	assert_int_equal(last, 0);
}

static void
every_allocation_failure_is_reported(void **state)
{
	struct layout lay;
	size_t len;
	uint8_t *f = sample_capture(&len, &lay);
	char *path = tmp_path();
	unsigned long n;
	int done_w = 0, done_r = 0;
	(void)state;

	for (n = 1; n < 50 && !(done_w && done_r); n++) {
		struct atp_pcapng_writer *w = NULL;
		struct atp_pcapng_reader *r = NULL;
		struct atp_rec rec = rec_make(1, ATP_DIR_TO_MODULE, "AT\r", 3, NULL), out;
		struct atp_diag d;
		int rc, rc2 = ATP_OK;
		size_t k = 0;

		atp_diag_clear(&d);
		atp_alloc_fail_at(n);
		rc = atp_pcapng_open(path, NULL, &w, &d);
		if (rc == ATP_OK)
			rc = atp_pcapng_comment(w, 1, "c", &d);
		if (rc == ATP_OK)
			rc = atp_pcapng_write(w, 0, &rec, &d);
		if (rc == ATP_OK)
			rc = atp_pcapng_comment(w, 1, "at the end", &d);
		if (w != NULL)
			rc2 = atp_pcapng_close(w, &d);
		atp_alloc_fail_at(0);
		if (rc != ATP_OK || rc2 != ATP_OK)
			assert_int_equal(rc != ATP_OK ? rc : rc2, ATP_ERR_NOMEM);
		else
			done_w = 1;

		atp_alloc_fail_at(n);
		rc = atp_pcapng_reader_open_mem(f, len, NULL, &r, &d);
		while (rc == ATP_OK) {
			rc = atp_pcapng_next(r, &out, NULL, NULL, &d);
			if (rc == 1) {
				k++;
				rc = ATP_OK;
			} else if (rc == 0) {
				break;
			}
		}
		atp_pcapng_reader_close(r);
		atp_alloc_fail_at(0);
		if (rc != 0)
			assert_int_equal(rc, ATP_ERR_NOMEM);
		else if (k == lay.npkt)
			done_r = 1;
	}
	assert_true(done_w && done_r);
	free(f);
	tmp_free(path);
}

/*
 * The known session of tests/e2e/test_capture_tshark.sh: written to
 * $ATP_CAPTURE_OUT when it is set (else to a temporary file), and read back
 * here either way.
 */
static void
the_known_session_is_written_for_tshark(void **state)
{
	static const struct {
		enum atp_dir dir;
		const char *bytes;
		size_t len;
		const char *comment;
	} session[] = {
		{ ATP_DIR_TO_MODULE, "AT+QVER\r", 8, "step 1: AT+QVER" },
		{ ATP_DIR_FROM_MODULE, "+OK=G3.1.2\r\n\r\n", 14, NULL },
		{ ATP_DIR_TO_MODULE, "AT+SKSND=1,5\r", 13, "step 2: send 5 bytes" },
		{ ATP_DIR_FROM_MODULE, "+OK=5\r\n\r\n", 9, NULL },
		{ ATP_DIR_TO_MODULE, "\x00\x01\x02\x0d\xff", 5, NULL },
		{ ATP_DIR_FROM_MODULE, "+ERR=-2\r\n\r\n", 11, NULL },
	};
	const char *env = getenv("ATP_CAPTURE_OUT");
	char *tmp = env != NULL && env[0] != '\0' ? NULL : tmp_path();
	const char *path = tmp != NULL ? tmp : env;
	struct atp_pcapng_opts o = { .if_name = "/dev/pts/7", .if_description = "115200 8N1" };
	struct atp_pcapng_writer *w;
	struct atp_pcapng_reader *r;
	struct atp_rec rec;
	struct atp_diag d;
	size_t i;
	(void)state;

	atp_diag_clear(&d);
	assert_int_equal(atp_pcapng_open(path, &o, &w, &d), ATP_OK);
	for (i = 0; i < sizeof(session) / sizeof(session[0]); i++) {
		uint64_t ts = 1704067200000000ull + i * 1000;
		if (session[i].comment != NULL)
			assert_int_equal(atp_pcapng_comment(w, ts, session[i].comment, &d), ATP_OK);
		rec = rec_make(ts, session[i].dir, session[i].bytes, session[i].len, NULL);
		assert_int_equal(atp_pcapng_write(w, 0, &rec, &d), ATP_OK);
	}
	assert_int_equal(atp_pcapng_comment(w, 1704067200009000ull, "end of run", &d), ATP_OK);
	assert_int_equal(atp_pcapng_close(w, &d), ATP_OK);

	assert_int_equal(atp_pcapng_reader_open(path, &r, &d), ATP_OK);
	for (i = 0; i < sizeof(session) / sizeof(session[0]); i++) {
		assert_int_equal(atp_pcapng_next(r, &rec, NULL, NULL, &d), 1);
		assert_int_equal(rec.dir, session[i].dir);
		assert_span(rec.bytes, session[i].bytes, session[i].len);
	}
	assert_int_equal(atp_pcapng_next(r, &rec, NULL, NULL, &d), 1);
	assert_span_str(rec.comment, "end of run");
	assert_int_equal(atp_pcapng_next(r, &rec, NULL, NULL, &d), 0);
	atp_pcapng_reader_close(r);
	if (tmp != NULL)
		tmp_free(tmp);
}

static void
directions_have_names(void **state)
{
	(void)state;
	assert_string_equal(atp_dir_str(ATP_DIR_TO_MODULE), "to-module");
	assert_string_equal(atp_dir_str(ATP_DIR_FROM_MODULE), "from-module");
	assert_string_equal(atp_dir_str(ATP_DIR_UNKNOWN), "unknown");
	assert_string_equal(atp_dir_str((enum atp_dir)7), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records_round_trip_with_every_byte_value_direction_and_comment),
		cmocka_unit_test(the_file_has_the_blocks_and_options_wireshark_reads),
		cmocka_unit_test(a_large_record_round_trips_and_one_too_big_for_a_block_is_refused),
		cmocka_unit_test(step_comments_attach_to_the_next_record),
		cmocka_unit_test(a_comment_left_at_close_becomes_an_empty_record),
		cmocka_unit_test(each_uart_is_an_interface_of_its_own),
		cmocka_unit_test(the_writer_refuses_what_pcapng_cannot_hold),
		cmocka_unit_test(a_capture_on_a_full_disk_is_an_io_error_with_errno),
		cmocka_unit_test(a_write_error_midway_leaves_a_valid_capture),
		cmocka_unit_test(a_writer_on_a_pipe_feeds_a_reader_on_the_other_end),
		cmocka_unit_test(big_endian_sections_and_old_block_types_read_alike),
		cmocka_unit_test(time_resolutions_become_microseconds),
		cmocka_unit_test(classic_pcap_is_read_without_direction),
		cmocka_unit_test(what_is_not_a_capture_is_named),
		cmocka_unit_test(a_file_cut_anywhere_gives_its_complete_records_then_again),
		cmocka_unit_test(a_capture_still_being_written_is_read_as_it_grows),
		cmocka_unit_test(corrupt_blocks_are_reported_at_their_offset),
		cmocka_unit_test(interfaces_past_the_ceiling_are_refused),
		cmocka_unit_test(every_allocation_failure_is_reported),
		cmocka_unit_test(the_known_session_is_written_for_tshark),
		cmocka_unit_test(directions_have_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
