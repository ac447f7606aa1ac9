/* SPDX-License-Identifier: MIT */
/* \summary: fuzz target: the emulator's flash file on any bytes */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/emu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The flash file (emu --flash) survives between runs and may be torn by a
 * crash or edited by hand; reading it is strict. The target checks that no
 * input crashes, and that whatever the parser accepts formats back to a
 * text that parses to the same parameters (a round trip: the writer never
 * produces a file the reader refuses).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct emu_params p, q;
	struct atp_diag d;
	static char buf[65536];
	long n;

	memset(&p, 0, sizeof(p));
	atp_diag_clear(&d);
	if (emu_flash_parse((const char *)data, size, &p, &d) != ATP_OK)
		return 0;
	n = emu_flash_format(&p, buf, sizeof(buf));
	if (n < 0)
		abort();
	memset(&q, 0, sizeof(q));
	atp_diag_clear(&d);
	if (emu_flash_parse(buf, (size_t)n, &q, &d) != ATP_OK)
		abort();
	if (emu_flash_format(&q, buf + 32768, sizeof(buf) - 32768) != n ||
	    memcmp(buf, buf + 32768, (size_t)n) != 0)
		abort();
	return 0;
}
