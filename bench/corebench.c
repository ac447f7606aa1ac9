/* SPDX-License-Identifier: MIT */
/* \summary: bench: framer, validator and command-line parser throughput */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "atproof/alloc.h"
#include "atproof/cmd.h"
#include "atproof/cmdline.h"
#include "atproof/cursor.h"
#include "atproof/err.h"
#include "atproof/framer.h"
#include "atproof/profile.h"
#include "atproof/validate.h"
#include "bench/cycle.h"

/*
 * usage: corebench [SCALE]   (1: the full sheet; 0: quick, a tenth)
 *
 * Prints "key value" lines for bench/run.sh:
 *   framer_mb_per_s     module output (the answers of a LUAT module) fed
 *                       in 4 KiB chunks, as a capture reader would
 *   framer_frames_per_s the same, in frames
 *   memchr_mb_per_s     the reference: memchr() for line feeds, same bytes
 *   validator_xchg_per_s atp_validate_cmdline + atp_validate_response of
 *                       one exchange, with the luat profile
 *   cmdline_lines_per_s atp_cmdline_parse of one command line
 * The inputs are the same command/answer cycle as bench/capgen.c.
 */


static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A sink the compiler cannot see through, so no loop is optimised away. */
static volatile unsigned long sink;

static void
count_frame(void *ctx, const struct atp_frame *f)
{
	unsigned long *n = ctx;

	(*n)++;
	sink += f->bytes.len;
}

static void
count_finding(void *ctx, const struct atp_finding *f)
{
	unsigned long *n = ctx;

	(*n)++;
	sink += f->offset;
}

static int
bench_framer(unsigned long mib)
{
	struct atp_framer *fr;
	size_t size = (size_t)mib << 20, len = 0, off;
	unsigned long frames = 0, lines = 0;
	char *buf;
	double t0, t1;
	size_t i = 0;

	buf = atp_malloc(size);
	if (buf == NULL)
		return -1;
	/* Whole answers only: the stream ends on a frame boundary. */
	for (;;) {
		size_t n = strlen(cycle[i].rsp);

		if (len + n > size)
			break;
		memcpy(buf + len, cycle[i].rsp, n);
		len += n;
		i = (i + 1) % NCYCLE;
	}
	/* The reference: a bare memchr() scan for line feeds over the same
	 * bytes in the same chunks, the least any framer must do. */
	t0 = now_s();
	for (off = 0; off < len; off += 4096) {
		size_t n = len - off < 4096 ? len - off : 4096;
		const char *p = buf + off, *end = p + n;

		while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			lines++;
			if (++p == end)
				break;
		}
	}
	t1 = now_s();
	sink += lines;
	printf("memchr_mb_per_s %.1f\n", (double)len / (1 << 20) / (t1 - t0));
	if (atp_framer_new(NULL, &fr) != ATP_OK) {
		atp_free(buf);
		return -1;
	}
	t0 = now_s();
	for (off = 0; off < len; off += 4096) {
		size_t n = len - off < 4096 ? len - off : 4096;

		if (atp_framer_feed(fr, buf + off, n, count_frame, &frames) != ATP_OK)
			break;
	}
	atp_framer_flush(fr, count_frame, &frames);
	t1 = now_s();
	atp_framer_free(fr);
	atp_free(buf);
	printf("framer_mb_per_s %.1f\n", (double)len / (1 << 20) / (t1 - t0));
	printf("framer_frames_per_s %.0f\n", (double)frames / (t1 - t0));
	return 0;
}

static int
bench_cmdline(unsigned long n)
{
	struct atp_cmdline cl;
	struct atp_diag d;
	unsigned long i, ok = 0;
	double t0, t1;

	t0 = now_s();
	for (i = 0; i < n; i++) {
		if (atp_cmdline_parse(atp_span_str(cycle[i % NCYCLE].cmd), &cl, &d) == ATP_OK)
			ok++;
		sink += cl.nargs;
	}
	t1 = now_s();
	if (ok != n) {
		fprintf(stderr, "corebench: %lu of %lu lines did not parse\n", n - ok, n);
		return -1;
	}
	printf("cmdline_lines_per_s %.0f\n", (double)n / (t1 - t0));
	return 0;
}

/* The validator's input for one exchange: the parsed command and the frame
 * of its answer, which is valid only inside the framer's callback. So the
 * timing runs there, once per cycle entry. */
struct vctx {
	const struct atp_cmdline *cl;
	const struct atp_profile *prof;
	unsigned long reps;
	unsigned long done;
	unsigned long findings;
	double secs;
};

static void
validate_frame(void *ctx, const struct atp_frame *f)
{
	struct vctx *v = ctx;
	unsigned long i;
	double t0;

	if (f->kind != ATP_FRAME_RESPONSE)
		return;
	t0 = now_s();
	for (i = 0; i < v->reps; i++) {
		atp_validate_cmdline(v->cl, 0, v->prof, count_finding, &v->findings);
		atp_validate_response(v->cl, f, v->prof, count_finding, &v->findings);
	}
	v->secs += now_s() - t0;
	v->done += v->reps;
}

static int
bench_validator(unsigned long n)
{
	struct atp_cmdline cl;
	struct atp_diag d;
	struct vctx v;
	size_t i;

	memset(&v, 0, sizeof(v));
	v.prof = atp_profile_find("luat");
	v.reps = n / NCYCLE;
	v.cl = &cl;
	for (i = 0; i < NCYCLE; i++) {
		struct atp_framer *fr;

		if (atp_cmdline_parse(atp_span_str(cycle[i].cmd), &cl, &d) != ATP_OK)
			return -1;
		if (atp_framer_new(NULL, &fr) != ATP_OK)
			return -1;
		atp_framer_expect(fr, cl.cmd, cl.form);
		atp_framer_feed(fr, cycle[i].rsp, strlen(cycle[i].rsp), validate_frame, &v);
		atp_framer_flush(fr, validate_frame, &v);
		atp_framer_free(fr);
	}
	if (v.done == 0 || v.secs <= 0)
		return -1;
	printf("validator_xchg_per_s %.0f\n", (double)v.done / v.secs);
	printf("validator_findings_per_xchg %.2f\n", (double)v.findings / (double)v.done);
	return 0;
}

int
main(int argc, char **argv)
{
	struct atp_diag d;
	unsigned long scale = 10;

	if (argc > 1 && strcmp(argv[1], "0") == 0)
		scale = 1;
	atp_diag_clear(&d);
	if (atp_model_init(&d) != ATP_OK) {
		fprintf(stderr, "corebench: %s\n", d.msg);
		return 1;
	}
	if (bench_framer(25 * scale) != 0 || bench_cmdline(1000000 * scale) != 0 ||
	    bench_validator(200000 * scale) != 0) {
		fprintf(stderr, "corebench: a benchmark could not run\n");
		atp_model_free();
		return 1;
	}
	atp_model_free();
	return 0;
}
