/* SPDX-License-Identifier: MIT */
/* \summary: bench: writes large AT captures with the core writer; counts a capture's bytes */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "atproof/capture.h"
#include "atproof/cursor.h"
#include "atproof/err.h"
#include "bench/cycle.h"

/*
 * usage: capgen records FILE N     N records (N/2 exchanges) into FILE
 *        capgen mbytes FILE M      exchanges until FILE holds M MiB
 *        capgen bytes FILE         prints "records R", "bytes_to T",
 *                                  "bytes_from F" of a capture
 *
 * The exchanges are a fixed cycle of commands and the answers a LUAT module
 * gives (w600-firmware.md), each a record of its own, one millisecond
 * apart, so the analyzer and tshark see ordinary command/response traffic.
 */

static int
put(struct atp_pcapng_writer *w, uint64_t ts, enum atp_dir dir, const char *s)
{
	struct atp_diag d;
	struct atp_rec r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.ts_us = ts;
	r.dir = dir;
	r.bytes = atp_span_str(s);
	atp_diag_clear(&d);
	rc = atp_pcapng_write(w, 0, &r, &d);
	if (rc != ATP_OK)
		fprintf(stderr, "capgen: %s\n", d.msg);
	return rc;
}

/* Writes exchanges until @nrec records or @nbytes bytes (0: no limit). */
static int
generate(const char *path, uint64_t nrec, uint64_t nbytes)
{
	struct atp_pcapng_opts o;
	struct atp_pcapng_writer *w;
	struct atp_diag d;
	uint64_t ts = 1700000000000000ull, recs = 0;
	struct stat st;
	int full = 0;
	size_t i = 0;

	memset(&o, 0, sizeof(o));
	o.linktype = ATP_LINKTYPE_UPPER_PDU;
	o.if_name = "/dev/ttyUSB0";
	o.if_description = "115200 8N1";
	o.comment = "atproof bench: generated traffic";
	atp_diag_clear(&d);
	if (atp_pcapng_open(path, &o, &w, &d) != ATP_OK) {
		fprintf(stderr, "capgen: %s\n", d.msg);
		return 1;
	}
	while ((nrec == 0 || recs < nrec) && !full) {
		const struct xchg *x = &cycle[i];

		if (put(w, ts, ATP_DIR_TO_MODULE, x->cmd) != ATP_OK ||
		    put(w, ts + 400, ATP_DIR_FROM_MODULE, x->rsp) != ATP_OK) {
			atp_pcapng_close(w, NULL);
			return 1;
		}
		recs += 2;
		/* Each block is on disk when the call returns (capture.h), so
		 * the file's size says how far we are. */
		if (nbytes != 0 && recs % 4096 == 0)
			full = stat(path, &st) == 0 && (uint64_t)st.st_size >= nbytes;
		ts += 1000;
		i = (i + 1) % NCYCLE;
	}
	if (atp_pcapng_close(w, &d) != ATP_OK) {
		fprintf(stderr, "capgen: %s\n", d.msg);
		return 1;
	}
	printf("records %llu\n", (unsigned long long)recs);
	return 0;
}

static int
count(const char *path)
{
	struct atp_pcapng_reader *r;
	struct atp_diag d;
	struct atp_rec rec;
	uint64_t recs = 0, to = 0, from = 0;
	int rc;

	atp_diag_clear(&d);
	if (atp_pcapng_reader_open(path, &r, &d) != ATP_OK) {
		fprintf(stderr, "capgen: %s\n", d.msg);
		return 1;
	}
	while ((rc = atp_pcapng_next(r, &rec, NULL, NULL, &d)) == 1) {
		recs++;
		if (rec.dir == ATP_DIR_FROM_MODULE)
			from += rec.bytes.len;
		else
			to += rec.bytes.len;
	}
	atp_pcapng_reader_close(r);
	if (rc != 0) {
		fprintf(stderr, "capgen: %s\n", d.msg);
		return 1;
	}
	printf("records %llu\nbytes_to %llu\nbytes_from %llu\n", (unsigned long long)recs,
	    (unsigned long long)to, (unsigned long long)from);
	return 0;
}

int
main(int argc, char **argv)
{
	uint64_t n = 0;

	if (argc == 3 && strcmp(argv[1], "bytes") == 0)
		return count(argv[2]);
	if (argc != 4 || atp_span_dec(atp_span_str(argv[3]), &n, UINT64_C(1) << 40) != 0 ||
	    n == 0)
		goto usage;
	if (strcmp(argv[1], "records") == 0)
		return generate(argv[2], n, 0);
	if (strcmp(argv[1], "mbytes") == 0)
		return generate(argv[2], 0, n << 20);
usage:
	fprintf(stderr, "usage: capgen records FILE N | capgen mbytes FILE M | capgen bytes FILE\n");
	return 2;
}
