/* SPDX-License-Identifier: MIT */
/* \summary: fuzz target: a command line and the module's bytes, through framer and validator */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "atproof/atproof.h"

/*
 * The input's first line (up to the first LF) is a command line sent by the
 * host; the rest is what the module sent back. Both go through the whole
 * pipeline (parser, framer with the command expected, validator) under each
 * profile. Any crash, hang or sanitizer report is a bug; findings are not.
 */

static unsigned long nfindings;

static void
on_finding(void *ctx, const struct atp_finding *f)
{
	(void)ctx;
	/* a finding always names its rule and has a message */
	if (f->rule == NULL || f->message[sizeof(f->message) - 1] != '\0')
		abort();
	nfindings++;
}

struct ctx {
	const struct atp_cmdline *cl;
	const struct atp_profile *prof;
};

static void
on_frame(void *vctx, const struct atp_frame *f)
{
	struct ctx *c = vctx;

	switch (f->kind) {
	case ATP_FRAME_RESPONSE:
		atp_validate_response(c->cl, f, c->prof, on_finding, NULL);
		break;
	case ATP_FRAME_REPORT:
		atp_validate_report(f, c->prof, on_finding, NULL);
		break;
	case ATP_FRAME_DATA:
	case ATP_FRAME_ECHO:
	case ATP_FRAME_TEXT:
	case ATP_FRAME_STRAY:
		atp_validate_other(f, c->prof, on_finding, NULL);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl != NULL ? (size_t)(nl - data) + 1 : size;
	struct atp_cmdline cl;
	struct ctx c;
	size_t i;

	if (atp_model_init(NULL) != ATP_OK)
		abort();
	memset(&cl, 0, sizeof(cl));
	c.cl = atp_cmdline_parse(atp_span_make(data, hlen), &cl, NULL) == ATP_OK ? &cl : NULL;
	for (i = 0; i < atp_profile_count() + 1; i++) {
		struct atp_framer *fr = NULL;
		c.prof = atp_profile_at(i); /* the last round: no profile */
		if (c.cl != NULL)
			atp_validate_cmdline(c.cl, 0, c.prof, on_finding, NULL);
		if (atp_framer_new(NULL, &fr) != ATP_OK)
			return 0;
		if (c.cl != NULL)
			atp_framer_expect(fr, c.cl->cmd, c.cl->form);
		atp_framer_feed(fr, data + hlen, size - hlen, on_frame, &c);
		atp_framer_flush(fr, on_frame, &c);
		atp_framer_free(fr);
	}
	return 0;
}
