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
 */
static const char *const top_keys[] = { "station", "units", NULL };
static const char *const unit_keys[] = { "name", "port", "tcp", "emulator", "baud", "count",
	NULL };

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
	size_t i, n = 0, cap = 0;
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
		if ((s = scalar(m, "baud")) != NULL &&
		    atp_span_dec(atp_span_str(s), &baud, 10000000) < 0) {
			rc = bad(msg, ctx, path, hns_ymap_get(m, "baud"), "baud is a number");
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
