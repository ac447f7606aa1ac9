/* SPDX-License-Identifier: MIT */
/* \summary: fuzz target: the emulator's world file (YAML) on any bytes */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/emu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A world file comes from the command line (emu --world), so it is input
 * the emulator must survive: the ceilings (file size, nesting, entries of
 * each list, string lengths) keep a hostile file from taking it down. The
 * target checks that no input crashes or leaks, that a parsed world is
 * exactly the success case, and that what it holds is inside the bounds the
 * rest of the emulator relies on (indices into aps, channel range).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct emu_world *w = NULL;
	struct atp_diag d;
	uint32_t ip;
	uint16_t port;
	size_t i;
	int rc;

	atp_diag_clear(&d);
	rc = emu_world_parse(data, size, "fuzz.yaml", &w, &d);
	if ((rc == ATP_OK) != (w != NULL))
		abort();
	if (rc != ATP_OK && d.code == ATP_OK)
		abort();
	if (w == NULL)
		return 0;
	if (w->naps > EMU_WORLD_ITEMS_MAX || w->nstations > EMU_WORLD_ITEMS_MAX ||
	    w->nhosts > EMU_WORLD_ITEMS_MAX || w->nmaps > EMU_WORLD_ITEMS_MAX)
		abort();
	for (i = 0; i < w->naps; i++)
		if (memchr(w->aps[i].ssid, 0, sizeof(w->aps[i].ssid)) == NULL ||
		    memchr(w->aps[i].key, 0, sizeof(w->aps[i].key)) == NULL)
			abort();
	for (i = 0; i < w->nhosts; i++) {
		if (memchr(w->hosts[i].name, 0, sizeof(w->hosts[i].name)) == NULL)
			abort();
		/* Every host the file names must be found by that name. */
		if (!emu_world_host(w, w->hosts[i].name, &ip))
			abort();
	}
	for (i = 0; i < w->nmaps; i++)
		if (!emu_world_map(w, w->maps[i].ip, w->maps[i].port != 0 ? w->maps[i].port : 1,
		    &ip, &port))
			abort();
	if (w->has_custdata && memchr(w->custdata, 0, sizeof(w->custdata)) == NULL)
		abort();
	emu_world_free(w);
	return 0;
}
