/* SPDX-License-Identifier: MIT */
/* \summary: fuzz target: arbitrary host bytes into a virtual Air602 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/emu.h"

/*
 * Input layout: byte 0 picks the profile (manual, luat, g3), byte 1 the
 * chunk size (1..64) the rest is cut into; between chunks virtual time
 * moves by byte 1 times 10 ms, so blocking commands end in the middle of
 * the input as well as after it. Whatever came in, the module must not
 * crash, and once its data mode is back to commands, its pending line
 * ended and its running commands over, it must answer AT+ with +OK.
 */

static struct emu_world *world;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const profs[] = { "manual", "luat", "g3" };
	static const char ok[] = "+OK\r\n\r\n", echo_ok[] = "AT+\r\n+OK\r\n\r\n";
	struct emu_loop *loop;
	struct emu_config cfg;
	struct emu *e;
	struct atp_span out;
	size_t chunk, i;
	uint64_t step;

	if (size < 2)
		return 0;
	if (world == NULL && emu_world_default(&world, NULL) != ATP_OK)
		abort();
	if (emu_loop_new(1, &loop) != ATP_OK)
		abort();
	memset(&cfg, 0, sizeof(cfg));
	cfg.prof = atp_profile_find(profs[data[0] % 3]);
	cfg.world = world;
	if (emu_new(loop, &cfg, &e, NULL) != ATP_OK)
		abort();
	chunk = 1 + data[1] % 64;
	step = (uint64_t)data[1] * 10000u;
	for (i = 2; i < size; i += chunk) {
		size_t n = size - i < chunk ? size - i : chunk;
		emu_input(e, data + i, n);
		emu_loop_advance(loop, step);
		emu_output_consume(e, emu_output_peek(e).len);
	}
	/* Back to commands, the pending line ended, everything finished. */
	if (e->mode != EMU_MODE_CMD)
		emu_set_mode(e, EMU_MODE_CMD, 0, 0, NULL, NULL);
	emu_input(e, "\r", 1);
	emu_loop_advance(loop, 120000000u);
	if (e->mode != EMU_MODE_CMD) {
		emu_set_mode(e, EMU_MODE_CMD, 0, 0, NULL, NULL);
		emu_loop_advance(loop, 1000000u);
	}
	if (e->sleeping) {
		/* ENTS with the wake-up pin: a byte wakes it (and is lost). */
		emu_input(e, "\r", 1);
		emu_loop_advance(loop, 1000000u);
	}
	emu_output_consume(e, emu_output_peek(e).len);
	emu_input(e, "AT+\r", 4);
	emu_loop_advance(loop, 1000000u);
	out = emu_output_peek(e);
	if (e->echo ? !atp_span_eq(out, echo_ok) : !atp_span_eq(out, ok)) {
		char esc[256];
		atp_span_escape(out, esc, sizeof(esc));
		fprintf(stderr, "fuzz_emu_input: AT+ got \"%s\" (echo %d, mode %d, busy %d, "
		    "%zu bytes waiting)\n", esc, e->echo, (int)e->mode, e->busy, e->inlen);
		abort();
	}
	emu_free(e);
	emu_loop_free(loop);
	return 0;
}
