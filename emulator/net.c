/* SPDX-License-Identifier: MIT */
/* \summary: networking commands: placeholder until the networking half lands */
#include "emulator/emu.h"

/*
 * The networking half of the emulator (sockets, transparent mode, HTTPC,
 * MQTT) replaces this file. Until then its commands answer -2 (not
 * supported), as a firmware built without them would, and the hooks do
 * nothing.
 */

static int
not_yet(struct emu *e, const struct atp_cmdline *cl)
{
	(void)e;
	(void)cl;
	return -2;
}

const struct emu_handler emu_net_handlers[] = {
	{ "SKCT", not_yet },
	{ "SKSND", not_yet },
	{ "SKRCV", not_yet },
	{ "SKSTT", not_yet },
	{ "SKCLS", not_yet },
	{ "SKSDF", not_yet },
	{ "SKSRCIP", not_yet },
	{ "SKRPTM", not_yet },
	{ "SKGHBN", not_yet },
	{ "ENTM", not_yet },
	{ "HTTPC", not_yet },
	{ "MSERVER", not_yet },
	{ "MLOGIN", not_yet },
	{ "MID", not_yet },
	{ "MCONNECT", not_yet },
	{ "MSUB", not_yet },
	{ "MPUB", not_yet },
	{ "MCLOSE", not_yet },
	{ NULL, NULL },
};

int
emu_net_attach(struct emu *e)
{
	e->net = NULL;
	return ATP_OK;
}

void
emu_net_detach(struct emu *e)
{
	(void)e;
}

void
emu_net_reset(struct emu *e)
{
	(void)e;
}

void
emu_net_boot(struct emu *e)
{
	(void)e;
}

void
emu_net_link(struct emu *e, int up)
{
	(void)e;
	(void)up;
}
