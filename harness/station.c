/* SPDX-License-Identifier: MIT */
/* \summary: station files: the units one run tests in parallel */
#include <stdio.h>
#include <string.h>

#include "harness/hns_run.h"

/*
 * A station maps many devices (harness-anchors §5.1, Twister's hardware
 * map): the same suite runs on each, in parallel, each with its own
 * capture, reports and verdict.
 *
 *   station: line3-st2
 *   units:
 *     - { name: dut1, port: /dev/ttyUSB0, baud: 115200 }
 *     - { name: bench, tcp: "127.0.0.1:4001" }
 *     - { name: emu, emulator: luat, count: 32 }    # emu-0 .. emu-31
 *     - { name: old, port: "usb:1a86:7523:A1", baud: auto, parity: even,
 *         flow: rtscts, databits: 8, stopbits: 2 }
 *
 * Every emulated unit gets a MAC of its own (the emulator's first one,
 * 28:6d:cd:00:4e:7d, plus the unit's place among the station's emulated
 * units), so that the summary tells them apart as it does real modules.
 */
#define EMU_MAC_SEQ 0x4e7du      /* the emulator's first MAC ends 4e:7d */

static const char *const top_keys[] = { "station", "units", NULL };
static const char *const unit_keys[] = { "name", "port", "tcp", "emulator", "baud", "count",
	"parity", "flow", "databits", "stopbits", NULL };

static int bad(hns_msg_fn *msg, void *ctx, const char *file, const struct hns_ynode *n,
    const char *m);

/* @s among @names ("none", "even", ...): its index, or -1. */
static int
one_of(const char *s, const char *const *names)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/*
 * The serial line keys of unit @m into @u: parity, flow, databits,
 * stopbits (for a port: a tcp or emulated unit has no line settings).
 * 0, or -1 after a message.
 */
static int
line_keys(hns_msg_fn *msg, void *ctx, const char *file, const struct hns_ynode *m,
    int is_port, struct hns_unit *u)
{
	static const char *const parities[] = { "none", "even", "odd", NULL };
	static const char *const flows[] = { "none", "rtscts", "xonxoff", NULL };
	static const char *const keys[] = { "parity", "flow", "databits", "stopbits", NULL };
	const struct hns_ynode *v;
	uint64_t n;
	size_t k;
	int i;

	for (k = 0; keys[k] != NULL; k++) {
		char buf[96];
		if ((v = hns_ymap_get(m, keys[k])) == NULL)
			continue;
		if (!is_port) {
			snprintf(buf, sizeof(buf), "%s goes with port (a serial line)", keys[k]);
			(void)bad(msg, ctx, file, v, buf);
			return -1;
		}
		if (v->type != HNS_Y_SCALAR) {
			(void)bad(msg, ctx, file, v, "a line setting is a scalar");
			return -1;
		}
		if (k == 0 && (i = one_of(v->str, parities)) >= 0)
			u->parity = "NEO"[i];
		else if (k == 1 && (i = one_of(v->str, flows)) >= 0)
			u->flow = i;
		else if (k == 2 && atp_span_dec(atp_span_str(v->str), &n, 8) == ATP_OK && n >= 5)
			u->databits = (int)n;
		else if (k == 3 && atp_span_dec(atp_span_str(v->str), &n, 2) == ATP_OK && n >= 1)
			u->stopbits = (int)n;
		else {
			static const char *const want[] = { "parity is none, even or odd",
				"flow is none, rtscts or xonxoff", "databits is 5, 6, 7 or 8",
				"stopbits is 1 or 2" };
			(void)bad(msg, ctx, file, v, want[k]);
			return -1;
		}
	}
	return 0;
}

static int
bad(hns_msg_fn *msg, void *ctx, const char *file, const struct hns_ynode *n, const char *m)
{
	if (msg != NULL)
		msg(ctx, file, n != NULL ? n->line : 0, n != NULL ? n->col : 0, 1, m);
	return ATP_ERR_SYNTAX;
}

static int
keys_ok(hns_msg_fn *msg, void *ctx, const char *file, const struct hns_ynode *m,
    const char *const *keys)
{
	size_t i, k;
	int ok = 1;

	for (i = 0; i + 1 < m->nkids; i += 2) {
		char buf[160];
		if (m->kids[i]->type != HNS_Y_SCALAR) {
			ok = bad(msg, ctx, file, m->kids[i], "keys must be scalars") == 0;
			continue;
		}
		for (k = 0; keys[k] != NULL && strcmp(keys[k], m->kids[i]->str) != 0; k++)
			;
		if (keys[k] == NULL) {
			snprintf(buf, sizeof(buf), "unknown key '%.60s' in a station file",
			    m->kids[i]->str);
			ok = bad(msg, ctx, file, m->kids[i], buf) == 0;
		}
	}
	return ok;
}

static const char *
scalar(const struct hns_ynode *m, const char *key)
{
	const struct hns_ynode *v = hns_ymap_get(m, key);

	return v != NULL && v->type == HNS_Y_SCALAR ? v->str : NULL;
}

void
hns_units_free(struct hns_unit *u, size_t n)
{
	size_t i;

	for (i = 0; u != NULL && i < n; i++) {
		atp_free(u[i].port);
		atp_free(u[i].tcp);
		atp_free(u[i].emulator);
	}
	atp_free(u);
}

int
hns_station_load(const char *path, const void *buf, size_t len, struct hns_unit **out,
    size_t *nout, hns_msg_fn *msg, void *ctx)
{
	struct hns_ynode *root = NULL;
	const struct hns_ynode *units;
	struct hns_unit *u = NULL;
	struct atp_diag d;
	size_t i, n = 0, cap = 0, nemu = 0;
	int rc = ATP_OK;

	*out = NULL;
	*nout = 0;
	atp_diag_clear(&d);
	if (hns_yaml_parse(path, buf, len, &root, &d) < 0) {
		if (msg != NULL)
			msg(ctx, path, d.line, d.col, 1, d.msg);
		return d.code;
	}
	if (root->type != HNS_Y_MAP) {
		rc = bad(msg, ctx, path, root, "a station file is a map with units:");
		goto out;
	}
	if (!keys_ok(msg, ctx, path, root, top_keys)) {
		rc = ATP_ERR_SYNTAX;
		goto out;
	}
	units = hns_ymap_get(root, "units");
	if (units == NULL || units->type != HNS_Y_SEQ || units->nkids == 0) {
		rc = bad(msg, ctx, path, units != NULL ? units : root, "units: is a list of units");
		goto out;
	}
	for (i = 0; i < units->nkids; i++) {
		const struct hns_ynode *m = units->kids[i];
		const char *name, *port, *tcp, *emu, *s;
		uint64_t count = 1, baud = 115200, k;
		struct hns_unit line;
		int ways;

		if (m->type != HNS_Y_MAP) {
			rc = bad(msg, ctx, path, m, "a unit is a map: {name: ..., port: ...}");
			continue;
		}
		if (!keys_ok(msg, ctx, path, m, unit_keys)) {
			rc = ATP_ERR_SYNTAX;
			continue;
		}
		name = scalar(m, "name");
		port = scalar(m, "port");
		tcp = scalar(m, "tcp");
		emu = scalar(m, "emulator");
		ways = (port != NULL) + (tcp != NULL) + (emu != NULL);
		if (name == NULL || name[0] == '\0' || strlen(name) >= sizeof(u->name) - 8 ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
		    != strlen(name)) {
			rc = bad(msg, ctx, path, m, "a unit needs a name of letters, digits, _ - .");
			continue;
		}
		if (ways != 1) {
			rc = bad(msg, ctx, path, m, "a unit has one of port, tcp, emulator");
			continue;
		}
		if ((s = scalar(m, "count")) != NULL &&
		    (atp_span_dec(atp_span_str(s), &count, 256) < 0 || count == 0 ||
		    emu == NULL)) {
			rc = bad(msg, ctx, path, hns_ymap_get(m, "count"),
			    "count (1..256) goes with emulator");
			continue;
		}
		if ((s = scalar(m, "baud")) != NULL && strcmp(s, "auto") == 0 && port != NULL)
			baud = HNS_BAUD_AUTO;
		else if (s != NULL && (atp_span_dec(atp_span_str(s), &baud, 10000000) < 0 ||
		    baud == 0)) {
			rc = bad(msg, ctx, path, hns_ymap_get(m, "baud"),
			    "baud is a number (or auto, for a port)");
			continue;
		}
		memset(&line, 0, sizeof(line));
		line.flow = -1;
		if (line_keys(msg, ctx, path, m, port != NULL, &line) < 0) {
			rc = ATP_ERR_SYNTAX;
			continue;
		}
		if (emu != NULL && atp_profile_find(emu) == NULL) {
			rc = bad(msg, ctx, path, hns_ymap_get(m, "emulator"),
			    "emulator is a firmware profile: manual, luat or g3");
			continue;
		}
		for (k = 0; k < count; k++) {
			struct hns_unit *nu;
			if (n >= HNS_UNITS_MAX) {
				rc = bad(msg, ctx, path, m, "more than 256 units");
				goto out;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				nu = atp_realloc(u, cap * sizeof(*u));
				if (nu == NULL) {
					rc = ATP_ERR_NOMEM;
					goto out;
				}
				u = nu;
			}
			memset(&u[n], 0, sizeof(u[n]));
			if (count > 1)
				snprintf(u[n].name, sizeof(u[n].name), "%s-%llu", name,
				    (unsigned long long)k);
			else
				snprintf(u[n].name, sizeof(u[n].name), "%s", name);
			u[n].baud = (unsigned long)baud;
			u[n].parity = line.parity;
			u[n].flow = line.flow;
			u[n].databits = line.databits;
			u[n].stopbits = line.stopbits;
			if (emu != NULL) {
				unsigned seq = EMU_MAC_SEQ + (unsigned)nemu++;
				snprintf(u[n].mac, sizeof(u[n].mac), "28:6d:cd:%02x:%02x:%02x",
				    (seq >> 16) & 0xffu, (seq >> 8) & 0xffu, seq & 0xffu);
			}
			u[n].port = port != NULL ? atp_strdup(port) : NULL;
			u[n].tcp = tcp != NULL ? atp_strdup(tcp) : NULL;
			u[n].emulator = emu != NULL ? atp_strdup(emu) : NULL;
			n++;
			if ((port != NULL && u[n - 1].port == NULL) ||
			    (tcp != NULL && u[n - 1].tcp == NULL) ||
			    (emu != NULL && u[n - 1].emulator == NULL)) {
				rc = ATP_ERR_NOMEM;
				goto out;
			}
		}
	}
	for (i = 0; rc == ATP_OK && i < n; i++) {
		size_t j;
		for (j = 0; j < i; j++)
			if (strcmp(u[i].name, u[j].name) == 0) {
				rc = bad(msg, ctx, path, units, "two units have the same name");
				break;
			}
	}
out:
	hns_ynode_free(root);
	if (rc < 0) {
		hns_units_free(u, n);
		return rc;
	}
	*out = u;
	*nout = n;
	return ATP_OK;
}
