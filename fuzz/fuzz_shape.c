/* SPDX-License-Identifier: MIT */
/* \summary: fuzz target: shape patterns and the texts matched against them */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "atproof/alloc.h"
#include "atproof/shape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Real shapes of the command table (core/cmd_table.def), so that device
 * bytes meet the patterns they will meet in the analyzer. */
static const char *const fixed[] = {
	"+OK=<bssid:MAC>,<type:Enum 0|1|2|3>,<channel:Dec 1..14>,<encry:Enum 0|1>,"
	"<ssid:QString 0..32>,<rssi:Dec 0..255>",
	"+OK=<status:Enum 0|1>[,<ip:QIP>,<netmask:QIP>,<gateway:QIP>,<dns1:QIP>,<dns2:QIP>]",
	"+OK=<sta_number:Dec 0..32>{,<sta_mac:DMAC>,<sta_ip:IP>}",
	"+OK=<format:Enum 0|1>,<index:Dec 0..4>,<key:String 0..64>",
	"<protocol:Enum 0=TCP|1=UDP>,<cs:Enum 0|1>,<host:Host 0..32>,<port:Dec 0..65535>"
	"[,<local_port:Dec 0..65535>]",
	"<mode:Enum get_pin|set_pin|start_pin|start_pbc>[,<pin:Dec 0..99999999>]",
	"+HTTPCERRRPT=<session:Dec 0..>,<code:SDec -1000..1000>",
	"<url:String 1..255>,<verb:Enum 0|2|3>[,<postdata:Text 0..512>]",
	"+OK=<channel_list:Hex 1..3fff>",
	"{<a:String>,}<b:Text>",
};

#define NFIXED (sizeof(fixed) / sizeof(fixed[0]))
static struct atp_shape *compiled[NFIXED];

/* Invariants every verdict must keep, whatever the input. */
static void
check(const struct atp_shape *s, const uint8_t *t, size_t n)
{
	struct atp_match m;
	size_t i, bad = 0;
	char buf[64];

	if (atp_shape_match(s, atp_span_make(t, n), &m) != 0)
		abort();
	if (m.fail_at > n || m.ncap > ATP_MATCH_CAP_MAX)
		abort();
	if (!m.matched) {
		if (m.ncap != 0 || atp_match_get(&m, "a") != NULL)
			abort();
		return;
	}
	for (i = 0; i < m.ncap; i++) {
		const struct atp_capture *c = &m.cap[i];
		if (c->raw.p < t || c->raw.len > n || (size_t)(c->raw.p - t) > n - c->raw.len)
			abort();
		if (c->value.p < c->raw.p || c->value.len > c->raw.len ||
		    (size_t)(c->value.p - c->raw.p) > c->raw.len - c->value.len)
			abort();
		if (c->field == NULL || atp_match_get(&m, c->field->name) == NULL)
			abort();
		bad += (size_t)(c->in_range == 0);
		(void)atp_unescape(c->value, buf, sizeof(buf));
	}
	if (bad != m.nbad)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct atp_shape *s = NULL;
	size_t cut, i;
	char *pat;

	for (cut = 0; cut < size && data[cut] != '\0' && data[cut] != '\n'; cut++)
		;
	pat = atp_memdup0(data, cut);
	if (pat != NULL && atp_shape_compile(pat, &s, NULL) == 0) {
		const uint8_t *text = cut < size ? data + cut + 1 : data + size;
		size_t tlen = cut < size ? size - cut - 1 : 0;
		for (i = 0; i < atp_shape_nfields(s); i++)
			if (atp_shape_find(s, atp_shape_field(s, i)->name) < 0)
				abort();
		check(s, text, tlen);
		atp_shape_free(s);
	}
	atp_free(pat);

	/* Compiled once and kept: they are reachable, not leaked. */
	for (i = 0; i < NFIXED; i++) {
		if (compiled[i] == NULL && atp_shape_compile(fixed[i], &compiled[i], NULL) != 0)
			abort();
		check(compiled[i], data, size);
	}
	return 0;
}
