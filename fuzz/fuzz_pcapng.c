/* SPDX-License-Identifier: MIT */
/* \summary: fuzz target: the pcapng/pcap reader, and the writer on what it read */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atproof/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touches every byte of a span, so ASan sees a span that lies. */
static unsigned
touch(struct atp_span s)
{
	unsigned sum = 0;
	size_t i;

	if (s.len > 0 && s.p == NULL)
		abort();
	for (i = 0; i < s.len; i++)
		sum += s.p[i];
	return sum;
}

static int
inside(struct atp_span s, const uint8_t *data, size_t size)
{
	return s.p >= data && s.len <= size && (size_t)(s.p - data) <= size - s.len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int devnull = -2;
	struct atp_pcapng_reader *r;
	struct atp_pcapng_writer *w = NULL;
	struct atp_pcapng_ifinfo inf;
	struct atp_diag d;
	struct atp_rec rec;
	volatile unsigned sink = 0;
	size_t n = 0;
	unsigned ifidx, i;
	int rc, lt;

	if (devnull == -2)
		devnull = open("/dev/null", O_WRONLY);
	atp_diag_clear(&d);
	if (atp_pcapng_reader_open_mem(data, size, "fuzz", &r, &d) != 0)
		return 0;
	if (devnull >= 0 && atp_pcapng_open_fd(devnull, NULL, &w, NULL) != 0)
		abort();
	for (;;) {
		rc = atp_pcapng_next(r, &rec, &ifidx, &lt, &d);
		if (rc != 1)
			break;
		/* Every record takes a block of at least 12 bytes (pcap: 16). */
		if (++n > size / 12)
			abort();
		if (!inside(rec.bytes, data, size) || rec.src_offset >= size ||
		    rec.dir > ATP_DIR_FROM_MODULE || rec.src_file == NULL)
			abort();
		if (rec.comment.len > 0 && !inside(rec.comment, data, size) &&
		    rec.comment.len >= size)
			abort();
		sink += touch(rec.bytes) + touch(rec.comment);
		if (atp_pcapng_reader_ifinfo(r, ifidx, &inf) != 0 || inf.linktype != lt)
			abort();
		sink += touch(inf.name) + touch(inf.description);
		if (w != NULL) {
			if (rec.comment.len > ATP_PCAPNG_COMMENT_MAX)
				rec.comment.len = ATP_PCAPNG_COMMENT_MAX;
			/* A record near the block ceiling does not fit with the
			 * exported-PDU tags added: that one is refused. */
			rc = atp_pcapng_write(w, 0, &rec, NULL);
			if (rc != 0 && rc != ATP_ERR_LIMIT)
				abort();
		}
	}
	if (rc > 1 || (rc < 0 && (d.code != rc || d.msg[0] == '\0' || d.offset > size)))
		abort();
	/* The end and every error are stable. */
	if (atp_pcapng_next(r, &rec, NULL, NULL, NULL) != rc)
		abort();
	for (i = 0; i < 4; i++)
		(void)atp_pcapng_reader_ifinfo(r, i, &inf);
	atp_pcapng_reader_close(r);
	if (atp_pcapng_close(w, NULL) != 0)
		abort();
	(void)sink;
	return 0;
}
