/* SPDX-License-Identifier: MIT */
/* \summary: fuzz every importer of the analyzer and the session decoder behind them */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/ana.h"
#include "atproof/alloc.h"
#include "atproof/cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The first byte picks the importer (its value modulo the number of
 * formats plus one, auto-detection included) and, in bit 7, the LUAT
 * profile; the rest is the input file. The extra choice is the pair of
 * one-way raw files (to:/from:), split at the first NUL byte. Every record is checked against the record
 * model's promises (a direction, bytes within the ceiling, a 1-based line
 * for text formats) and fed to a session decoder, whose findings go to a
 * report. Nothing may crash, leak or grow past the ceilings.
 */

static const enum ana_fmt fmts[] = {
	ANA_FMT_AUTO, ANA_FMT_PCAPNG, ANA_FMT_RAW, ANA_FMT_ARROWS, ANA_FMT_SSCOM,
	ANA_FMT_SOCAT, ANA_FMT_JPNEVULATOR, ANA_FMT_INTERCEPTTY, ANA_FMT_TERM,
	ANA_FMT_SALEAE, ANA_FMT_SIGROK, ANA_FMT_REGEX, ANA_FMT_HEXDUMP, ANA_FMT_USBMON,
};

#define NFMT (sizeof(fmts) / sizeof(fmts[0]))

static int
pair(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data + 1, 0, size - 1);
	size_t hl = nul != NULL ? (size_t)(nul - (data + 1)) : size - 1;
	struct ana_imp *h = NULL, *m = NULL;
	struct ana_session *s = NULL;
	struct ana_session_opts o;
	struct ana_report rep;

	memset(&o, 0, sizeof(o));
	ana_report_init(&rep);
	if (ana_imp_open_mem_raw(data + 1, hl, "h", ATP_DIR_TO_MODULE, &h, NULL) != ATP_OK ||
	    ana_imp_open_mem_raw(data + 1 + hl, size - 1 - hl, "m", ATP_DIR_FROM_MODULE, &m,
	    NULL) != ATP_OK || ana_session_new(&o, &rep, &s) != ATP_OK)
		abort();
	if (ana_pair_feed(s, h, m, "h", "m", NULL) != ATP_OK || ana_session_end(s) != ATP_OK)
		abort();
	if (rep.st.bytes_to != hl || rep.st.bytes_from != size - 1 - hl)
		abort();   /* every byte of both files reaches the decoder */
	ana_session_free(s);
	ana_imp_close(h);
	ana_imp_close(m);
	ana_report_free(&rep);
	return 0;
}

static const char regex[] =
    "^(?:(?<ts>[0-9:.]+) )?(?<dir>[<>]|TX|RX)?:? ?(?:(?<hex>(?:[0-9a-f]{2} )+)|(?<data>.*))$";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ana_imp *im = NULL;
	struct ana_session *s = NULL;
	struct ana_session_opts o;
	struct ana_report rep;
	struct atp_rec r;
	enum ana_fmt fmt;
	int rc;

	if (size < 1)
		return 0;
	if (atp_model_init(NULL) != ATP_OK)
		abort();
	if ((data[0] & 0x7fu) % (NFMT + 1) == NFMT)
		return pair(data, size);
	fmt = fmts[(data[0] & 0x7fu) % (NFMT + 1)];
	memset(&o, 0, sizeof(o));
	if ((data[0] & 0x80u) != 0) {
		o.prof = atp_profile_find("luat");
		o.skip_line_garbage = 1;
	}
	ana_report_init(&rep);
	if (ana_imp_open_mem(data + 1, size - 1, "fuzz", fmt, regex, &im, NULL) != ATP_OK) {
		ana_report_free(&rep);
		return 0;
	}
	if (ana_session_new(&o, &rep, &s) != ATP_OK)
		abort();
	while ((rc = ana_imp_next(im, &r, NULL)) == 1) {
		if (r.dir != ATP_DIR_TO_MODULE && r.dir != ATP_DIR_FROM_MODULE &&
		    r.dir != ATP_DIR_UNKNOWN)
			abort();
		if (r.bytes.len > ANA_REC_SOFT + ANA_LINE_MAX + 64 && ana_imp_format(im) != ANA_FMT_PCAPNG)
			abort();
		if (r.bytes.len > 0 && r.bytes.p == NULL)
			abort();
		if (ana_session_feed(s, &r) != ATP_OK)
			abort();
	}
	if (rc > 1)
		abort();
	if (ana_session_end(s) != ATP_OK)
		abort();
	if (ana_report_verdict(&rep) > ATP_V_INCONC)
		abort();
	ana_session_free(s);
	ana_imp_close(im);
	ana_report_free(&rep);
	return 0;
}
