/* SPDX-License-Identifier: MIT */
/* \summary: fuzz target: atproof diff's normaliser and its comparison of two reports */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * The reports diff reads hold device text (a step's actual bytes, a
 * finding's message) and may be hand-edited: both the normaliser and the
 * comparison see hostile input. The engine's functions are file-local, so
 * the target includes it (as tests/unit/test_cli_diff.c does).
 */
#include "cli/diff.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

/* Byte 0 picks the mode: even, the normalisers on the rest as text (byte
 * 1 picks the command); odd, two JSON reports split at the first NUL. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct atp_diag d;
	char *text, out[512], reps[REPORTS_MAX];

	if (!ready) {
		atp_diag_clear(&d);
		if (atp_model_init(&d) != ATP_OK)
			return 0;
		devnull = fopen("/dev/null", "w");
		ready = 1;
	}
	if (size < 2 || devnull == NULL)
		return 0;
	if ((data[0] & 1) == 0) {
		const struct atp_cmd *cmd = atp_cmd_at(data[1] % atp_cmd_count());
		text = atp_memdup0(data + 2, size - 2);
		if (text == NULL)
			return 0;
		reps[0] = '\0';
		norm_response(data[1] >= 0x80 ? NULL : cmd, text, out, sizeof(out), reps, sizeof(reps));
		if (strlen(out) >= sizeof(out) || strlen(reps) >= sizeof(reps))
			__builtin_trap();
		norm_message(text, out, sizeof(out));
		norm_step_name(text, out, sizeof(out));
		outcome_of(text, out, sizeof(out) < 32 ? sizeof(out) : 32);
		atp_free(text);
	} else {
		const uint8_t *nul = memchr(data + 1, 0, size - 1);
		json_t *a, *b;
		struct cli_diff_opts o;
		json_error_t e;
		if (nul == NULL)
			return 0;
		a = json_loadb((const char *)data + 1, (size_t)(nul - data - 1), 0, &e);
		b = json_loadb((const char *)nul + 1, size - (size_t)(nul - data) - 1, 0, &e);
		cli_diff_defaults(&o);
		o.text = devnull;
		if (a != NULL && b != NULL)
			(void)diff_json(a, b, "old", "new", &o);
		json_decref(a);
		json_decref(b);
	}
	return 0;
}
