/* SPDX-License-Identifier: MIT */
/* \summary: the emulator's radio world: access points, stations, hosts (YAML) */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "emulator/emu.h"

/*
 * A world file (scenarios/worlds/default.yaml is the reference):
 *
 *   timing:   { join: 0.3, join_fail: 0.5, scan: 0.2, connect: 0.05, resolve: 0.01 }
 *   aps:      - { ssid: X, bssid: 3c46d82bd81e, channel: 11, security: 0..6,
 *                 key: "", rssi: 53, type: 2,
 *                 lease: { ip: A, mask: A, gw: A, dns: A } }
 *   stations: - { mac: 94-FE-22-9A-B5-28, ip: 192.168.0.2, after: 0 }
 *   hosts:    { www.baidu.com: 115.239.211.112 }
 *   map:      - { from: "192.168.1.100:1000", to: "127.0.0.1:1000" }
 *   wps:      { ok: true, ap: SSID, pin: 12345670, time: 0.5 }
 *   oneshot:  { ok: true, ap: SSID, time: 0.5, custdata: "text" }
 *   custdata: "text"
 *
 * Times are seconds with up to 6 decimals; a scan over 5 s times out as
 * the firmware's does (+ERR=-3). Reading is strict: an unknown
 * key, a wrong type or a value out of range is an error with the file,
 * line and column. The file is read with a size ceiling and its nesting is
 * checked on the event stream before the document is built.
 */

#define EVENTS_MAX 200000

struct wp {
	yaml_document_t *doc;
	const char *name;
	struct atp_diag *d;
	int failed;
};

static int
fail_at(struct wp *w, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail_at(struct wp *w, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (w->failed)
		return ATP_ERR_SYNTAX;
	w->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	atp_diag_at(w->d, ATP_ERR_SYNTAX, w->name,
	    n != NULL ? (unsigned long)n->start_mark.line + 1 : 0,
	    n != NULL ? (unsigned long)n->start_mark.column + 1 : 0, "%s", msg);
	return ATP_ERR_SYNTAX;
}

static struct atp_span
scalar(const yaml_node_t *n)
{
	return atp_span_make(n->data.scalar.value, n->data.scalar.length);
}

static int
is_scalar(const yaml_node_t *n)
{
	return n != NULL && n->type == YAML_SCALAR_NODE;
}

/* Iterates the pairs of a mapping, refusing keys not in @allowed (a
 * space-separated list). */
static int
check_keys(struct wp *w, const yaml_node_t *map, const char *allowed, const char *what)
{
	yaml_node_pair_t *p;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return fail_at(w, map, "%s must be a mapping", what);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		struct atp_span ks;
		const char *a = allowed;
		int found = 0;

		if (!is_scalar(k))
			return fail_at(w, k, "a key of %s must be a plain name", what);
		ks = scalar(k);
		while (*a != '\0') {
			size_t len = strcspn(a, " ");
			if (len == ks.len && memcmp(a, ks.p, len) == 0)
				found = 1;
			a += len;
			while (*a == ' ')
				a++;
		}
		if (!found) {
			char kb[64];
			atp_span_escape(ks, kb, sizeof(kb));
			return fail_at(w, k, "unknown key '%s'", kb);
		}
	}
	return ATP_OK;
}

static const yaml_node_t *
get(struct wp *w, const yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		if (is_scalar(k) && atp_span_eq(scalar(k), key))
			return yaml_document_get_node(w->doc, p->value);
	}
	return NULL;
}

static int
get_uint(struct wp *w, const yaml_node_t *map, const char *key, uint64_t min, uint64_t max,
    uint64_t *out)
{
	const yaml_node_t *n = get(w, map, key);
	uint64_t v;

	if (n == NULL)
		return ATP_OK;    /* keep the default */
	if (!is_scalar(n) || atp_span_dec(scalar(n), &v, max) != ATP_OK || v < min || v > max) {
		char m[96];
		snprintf(m, sizeof(m), "%s must be a number from %llu to %llu", key,
		    (unsigned long long)min, (unsigned long long)max);
		return fail_at(w, n, "%s", m);
	}
	*out = v;
	return ATP_OK;
}

/* Seconds, "0.3" or "2", into microseconds (at most 3600 s). */
static int
get_secs(struct wp *w, const yaml_node_t *map, const char *key, uint64_t *out)
{
	const yaml_node_t *n = get(w, map, key);
	struct atp_cur c;
	uint64_t whole, frac = 0;
	size_t digits = 0;
	uint8_t ch;

	if (n == NULL)
		return ATP_OK;
	if (!is_scalar(n))
		return fail_at(w, n, "%s must be a number of seconds", key);
	c = atp_cur_make(n->data.scalar.value, n->data.scalar.length);
	if (atp_cur_dec(&c, &whole, 3600) != ATP_OK || whole > 3600)
		return fail_at(w, n, "%s must be a number of seconds from 0 to 3600", key);
	if (atp_cur_lit(&c, ".") == ATP_OK) {
		while (atp_cur_u8(&c, &ch) == ATP_OK) {
			if (!ATP_ISDIGIT(ch) || digits == 6)
				return fail_at(w, n, "%s: at most 6 decimals", key);
			frac = frac * 10 + (uint64_t)(ch - '0');
			digits++;
		}
		if (digits == 0)
			return fail_at(w, n, "%s must be a number of seconds", key);
		for (; digits < 6; digits++)
			frac *= 10;
	}
	if (c.left != 0)
		return fail_at(w, n, "%s must be a number of seconds", key);
	*out = whole * 1000000u + frac;
	return ATP_OK;
}

static int
get_bool(struct wp *w, const yaml_node_t *map, const char *key, int *out)
{
	const yaml_node_t *n = get(w, map, key);
	struct atp_span s;

	if (n == NULL)
		return ATP_OK;
	if (!is_scalar(n))
		return fail_at(w, n, "%s must be true or false", key);
	s = scalar(n);
	if (atp_span_eq(s, "true") || atp_span_eq(s, "yes"))
		*out = 1;
	else if (atp_span_eq(s, "false") || atp_span_eq(s, "no"))
		*out = 0;
	else
		return fail_at(w, n, "%s must be true or false", key);
	return ATP_OK;
}

static int
get_str(struct wp *w, const yaml_node_t *map, const char *key, char *buf, size_t size)
{
	const yaml_node_t *n = get(w, map, key);
	struct atp_span s;

	if (n == NULL)
		return ATP_OK;
	if (!is_scalar(n))
		return fail_at(w, n, "%s must be a string", key);
	s = scalar(n);
	if (s.len >= size || memchr(s.p, 0, s.len) != NULL) {
		char m[80];
		snprintf(m, sizeof(m), "%s: longer than %zu bytes (or holds a NUL)", key, size - 1);
		return fail_at(w, n, "%s", m);
	}
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	return ATP_OK;
}

static int
parse_ip(struct atp_cur *c, uint32_t *ip)
{
	uint64_t v;
	uint32_t r = 0;
	int k;

	for (k = 0; k < 4; k++) {
		if ((k > 0 && atp_cur_lit(c, ".") != ATP_OK) || atp_cur_dec(c, &v, 255) != ATP_OK)
			return -1;
		r = (r << 8) | (uint32_t)v;
	}
	*ip = r;
	return 0;
}

static int
node_ip(struct wp *w, const yaml_node_t *n, const char *key, uint32_t *ip)
{
	struct atp_cur c;

	if (!is_scalar(n))
		return fail_at(w, n, "%s must be an IPv4 address", key);
	c = atp_cur_make(n->data.scalar.value, n->data.scalar.length);
	if (parse_ip(&c, ip) != 0 || c.left != 0)
		return fail_at(w, n, "%s must be an IPv4 address", key);
	return ATP_OK;
}

static int
get_ip(struct wp *w, const yaml_node_t *map, const char *key, uint32_t *ip)
{
	const yaml_node_t *n = get(w, map, key);

	if (n == NULL)
		return ATP_OK;
	return node_ip(w, n, key, ip);
}

/* "ip" or "ip:port" */
static int
get_addr(struct wp *w, const yaml_node_t *map, const char *key, uint32_t *ip, uint16_t *port,
    int required)
{
	const yaml_node_t *n = get(w, map, key);
	struct atp_cur c;
	uint64_t v = 0;

	if (n == NULL)
		return required ? fail_at(w, map, "missing %s", key) : ATP_OK;
	if (!is_scalar(n))
		return fail_at(w, n, "%s must be ADDRESS[:PORT]", key);
	c = atp_cur_make(n->data.scalar.value, n->data.scalar.length);
	if (parse_ip(&c, ip) != 0)
		return fail_at(w, n, "%s must be ADDRESS[:PORT]", key);
	if (atp_cur_lit(&c, ":") == ATP_OK && atp_cur_dec(&c, &v, 65535) != ATP_OK)
		return fail_at(w, n, "%s: the port must be 0..65535", key);
	if (c.left != 0)
		return fail_at(w, n, "%s must be ADDRESS[:PORT]", key);
	*port = (uint16_t)v;
	return ATP_OK;
}

/* 12 hex digits, with or without ':' or '-' between the pairs. */
static int
get_mac(struct wp *w, const yaml_node_t *map, const char *key, uint8_t mac[6], int required)
{
	const yaml_node_t *n = get(w, map, key);
	struct atp_span s;
	size_t i, k = 0;
	uint64_t v;

	if (n == NULL)
		return required ? fail_at(w, map, "missing %s", key) : ATP_OK;
	if (!is_scalar(n))
		return fail_at(w, n, "%s must be a MAC address", key);
	s = scalar(n);
	for (i = 0; i < 6; i++) {
		if (i > 0 && s.len == 17 && k < s.len && (s.p[k] == ':' || s.p[k] == '-'))
			k++;
		if (k + 2 > s.len || atp_span_hex(atp_span_make(s.p + k, 2), &v, 0xff) != ATP_OK)
			return fail_at(w, n, "%s must be a MAC address (12 hex digits)", key);
		mac[i] = (uint8_t)v;
		k += 2;
	}
	if (k != s.len)
		return fail_at(w, n, "%s must be a MAC address (12 hex digits)", key);
	return ATP_OK;
}

static int
seq_of(struct wp *w, const yaml_node_t *root, const char *key, const yaml_node_t **seq,
    size_t *n)
{
	const yaml_node_t *s = get(w, root, key);

	*seq = NULL;
	*n = 0;
	if (s == NULL)
		return ATP_OK;
	if (s->type != YAML_SEQUENCE_NODE)
		return fail_at(w, s, "%s must be a list", key);
	*seq = s;
	*n = (size_t)(s->data.sequence.items.top - s->data.sequence.items.start);
	if (*n > EMU_WORLD_ITEMS_MAX)
		return fail_at(w, s, "%s: too many entries", key);
	return ATP_OK;
}

static const yaml_node_t *
item(struct wp *w, const yaml_node_t *seq, size_t i)
{
	return yaml_document_get_node(w->doc, seq->data.sequence.items.start[i]);
}

static int
parse_aps(struct wp *w, const yaml_node_t *root, struct emu_world *wd)
{
	const yaml_node_t *seq;
	size_t n, i;
	int rc = seq_of(w, root, "aps", &seq, &n);

	if (rc != ATP_OK || n == 0)
		return rc;
	wd->aps = atp_calloc(n, sizeof(*wd->aps));
	if (wd->aps == NULL)
		return atp_diag_set(w->d, ATP_ERR_NOMEM, "world: out of memory");
	for (i = 0; i < n; i++) {
		const yaml_node_t *a = item(w, seq, i), *lease;
		struct emu_ap *ap = &wd->aps[i];
		uint64_t v;

		ap->channel = 1;
		ap->type = 2;
		ap->rssi = 50;
		ap->mask = 0xffffff00u;
		if (check_keys(w, a, "ssid bssid channel security key rssi type lease", "an ap") ||
		    get_str(w, a, "ssid", ap->ssid, sizeof(ap->ssid)) ||
		    get_mac(w, a, "bssid", ap->bssid, 1) ||
		    get_str(w, a, "key", ap->key, sizeof(ap->key)))
			return ATP_ERR_SYNTAX;
		if (get(w, a, "ssid") == NULL)
			return fail_at(w, a, "%s", "an ap needs an ssid");
		v = ap->channel;
		if (get_uint(w, a, "channel", 1, 14, &v))
			return ATP_ERR_SYNTAX;
		ap->channel = (unsigned)v;
		v = 0;
		if (get_uint(w, a, "security", 0, 6, &v))
			return ATP_ERR_SYNTAX;
		ap->security = (unsigned)v;
		v = ap->rssi;
		if (get_uint(w, a, "rssi", 0, 255, &v))
			return ATP_ERR_SYNTAX;
		ap->rssi = (unsigned)v;
		v = ap->type;
		if (get_uint(w, a, "type", 1, 2, &v))
			return ATP_ERR_SYNTAX;
		ap->type = (unsigned)v;
		/* A lease in the AP's own /24 unless the file says otherwise. */
		ap->ip = 0xc0a80100u + 100u + (uint32_t)i;
		ap->gw = 0xc0a80101u;
		ap->dns = 0xc0a80101u;
		lease = get(w, a, "lease");
		if (lease != NULL &&
		    (check_keys(w, lease, "ip mask gw dns", "lease") ||
		     get_ip(w, lease, "ip", &ap->ip) || get_ip(w, lease, "mask", &ap->mask) ||
		     get_ip(w, lease, "gw", &ap->gw) || get_ip(w, lease, "dns", &ap->dns)))
			return ATP_ERR_SYNTAX;
		wd->naps++;
	}
	return ATP_OK;
}

static int
parse_stations(struct wp *w, const yaml_node_t *root, struct emu_world *wd)
{
	const yaml_node_t *seq;
	size_t n, i;
	int rc = seq_of(w, root, "stations", &seq, &n);

	if (rc != ATP_OK || n == 0)
		return rc;
	wd->stations = atp_calloc(n, sizeof(*wd->stations));
	if (wd->stations == NULL)
		return atp_diag_set(w->d, ATP_ERR_NOMEM, "world: out of memory");
	for (i = 0; i < n; i++) {
		const yaml_node_t *s = item(w, seq, i);
		struct emu_station *st = &wd->stations[i];

		st->ip = 0xc0a80002u + (uint32_t)i;
		if (check_keys(w, s, "mac ip after", "a station") ||
		    get_mac(w, s, "mac", st->mac, 1) || get_ip(w, s, "ip", &st->ip) ||
		    get_secs(w, s, "after", &st->after_us))
			return ATP_ERR_SYNTAX;
		wd->nstations++;
	}
	return ATP_OK;
}

static int
parse_hosts(struct wp *w, const yaml_node_t *root, struct emu_world *wd)
{
	const yaml_node_t *m = get(w, root, "hosts");
	yaml_node_pair_t *p;
	size_t n;

	if (m == NULL)
		return ATP_OK;
	if (m->type != YAML_MAPPING_NODE)
		return fail_at(w, m, "%s must be a mapping of names to addresses", "hosts");
	n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
	if (n > EMU_WORLD_ITEMS_MAX)
		return fail_at(w, m, "%s: too many entries", "hosts");
	if (n == 0)
		return ATP_OK;
	wd->hosts = atp_calloc(n, sizeof(*wd->hosts));
	if (wd->hosts == NULL)
		return atp_diag_set(w->d, ATP_ERR_NOMEM, "world: out of memory");
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		struct emu_host *h = &wd->hosts[wd->nhosts];
		struct atp_span ks;

		if (!is_scalar(k))
			return fail_at(w, k, "%s: a host name must be 1..255 bytes", "hosts");
		ks = scalar(k);
		if (ks.len == 0 || ks.len > EMU_HOST_MAX || memchr(ks.p, 0, ks.len) != NULL)
			return fail_at(w, k, "%s: a host name must be 1..255 bytes", "hosts");
		memcpy(h->name, ks.p, ks.len);
		h->name[ks.len] = '\0';
		if (node_ip(w, v, "a host's address", &h->ip))
			return ATP_ERR_SYNTAX;
		wd->nhosts++;
	}
	return ATP_OK;
}

static int
parse_maps(struct wp *w, const yaml_node_t *root, struct emu_world *wd)
{
	const yaml_node_t *seq;
	size_t n, i;
	int rc = seq_of(w, root, "map", &seq, &n);

	if (rc != ATP_OK || n == 0)
		return rc;
	wd->maps = atp_calloc(n, sizeof(*wd->maps));
	if (wd->maps == NULL)
		return atp_diag_set(w->d, ATP_ERR_NOMEM, "world: out of memory");
	for (i = 0; i < n; i++) {
		const yaml_node_t *m = item(w, seq, i);
		struct emu_map *mp = &wd->maps[i];

		mp->to_ip = 0x7f000001u;
		if (check_keys(w, m, "from to", "a map entry") ||
		    get_addr(w, m, "from", &mp->ip, &mp->port, 1) ||
		    get_addr(w, m, "to", &mp->to_ip, &mp->to_port, 0))
			return ATP_ERR_SYNTAX;
		wd->nmaps++;
	}
	return ATP_OK;
}

/* The index of the AP named by key @key of @map (its SSID). */
static int
get_ap_ref(struct wp *w, const yaml_node_t *map, const char *key, const struct emu_world *wd,
    size_t *idx)
{
	const yaml_node_t *n = get(w, map, key);
	size_t i;

	if (n == NULL)
		return ATP_OK;
	if (!is_scalar(n))
		return fail_at(w, n, "%s must be the SSID of an ap", key);
	for (i = 0; i < wd->naps; i++) {
		if (atp_span_eq(scalar(n), wd->aps[i].ssid)) {
			*idx = i;
			return ATP_OK;
		}
	}
	return fail_at(w, n, "%s: no ap has this SSID", key);
}

static int
parse_root(struct wp *w, const yaml_node_t *root, struct emu_world *wd)
{
	const yaml_node_t *t, *wps, *os;
	uint64_t v;

	if (root == NULL)
		return ATP_OK;    /* an empty file: an empty world */
	if (check_keys(w, root, "timing aps stations hosts map wps oneshot custdata", "the world"))
		return ATP_ERR_SYNTAX;
	t = get(w, root, "timing");
	if (t != NULL &&
	    (check_keys(w, t, "join join_fail scan connect resolve", "timing") ||
	     get_secs(w, t, "join", &wd->join_us) || get_secs(w, t, "join_fail", &wd->join_fail_us) ||
	     get_secs(w, t, "scan", &wd->scan_us) || get_secs(w, t, "connect", &wd->connect_us) ||
	     get_secs(w, t, "resolve", &wd->resolve_us)))
		return ATP_ERR_SYNTAX;
	if (parse_aps(w, root, wd) || parse_stations(w, root, wd) || parse_hosts(w, root, wd) ||
	    parse_maps(w, root, wd))
		return w->failed ? ATP_ERR_SYNTAX : ATP_ERR_NOMEM;
	wps = get(w, root, "wps");
	if (wps != NULL) {
		v = wd->wps_pin;
		if (check_keys(w, wps, "ok ap pin time", "wps") || get_bool(w, wps, "ok", &wd->wps_ok) ||
		    get_ap_ref(w, wps, "ap", wd, &wd->wps_ap) ||
		    get_uint(w, wps, "pin", 0, 99999999, &v) || get_secs(w, wps, "time", &wd->wps_us))
			return ATP_ERR_SYNTAX;
		wd->wps_pin = (unsigned)v;
		if (wd->wps_ok && wd->naps == 0)
			return fail_at(w, wps, "%s: ok needs an ap", "wps");
	}
	os = get(w, root, "oneshot");
	if (os != NULL) {
		if (check_keys(w, os, "ok ap time custdata", "oneshot") ||
		    get_bool(w, os, "ok", &wd->oneshot_ok) ||
		    get_ap_ref(w, os, "ap", wd, &wd->oneshot_ap) ||
		    get_secs(w, os, "time", &wd->oneshot_us) ||
		    get_str(w, os, "custdata", wd->custdata, sizeof(wd->custdata)))
			return ATP_ERR_SYNTAX;
		if (wd->oneshot_ok && wd->naps == 0)
			return fail_at(w, os, "%s: ok needs an ap", "oneshot");
		/* What the app would send: it arrives only with a configuration
		 * that succeeds, never from boot (has_custdata is the top-level
		 * key's). */
	}
	if (get(w, root, "custdata") != NULL) {
		/* The module holds one CUSTDATA: from boot (this key) or from
		 * a ONESHOT that succeeds, not both. */
		if (os != NULL && get(w, os, "custdata") != NULL)
			return fail_at(w, get(w, root, "custdata"),
			    "%s: given at the top and under oneshot; the module holds one "
			    "(from boot, or from the ONESHOT that succeeds)", "custdata");
		if (get_str(w, root, "custdata", wd->custdata, sizeof(wd->custdata)))
			return ATP_ERR_SYNTAX;
		wd->has_custdata = 1;
	}
	return ATP_OK;
}

/* Pass one, on events: nesting and size, before anything is built. */
static int
prescan(const void *text, size_t len, const char *name, struct atp_diag *d)
{
	yaml_parser_t p;
	yaml_event_t ev;
	unsigned long depth = 0, nev = 0;
	int rc = ATP_OK, done = 0;

	if (!yaml_parser_initialize(&p))
		return atp_diag_set(d, ATP_ERR_NOMEM, "world: out of memory");
	yaml_parser_set_input_string(&p, text, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = atp_diag_at(d, ATP_ERR_SYNTAX, name, (unsigned long)p.problem_mark.line + 1,
			    (unsigned long)p.problem_mark.column + 1, "%s%s%s",
			    p.problem != NULL ? p.problem : "YAML error",
			    p.context != NULL ? " " : "", p.context != NULL ? p.context : "");
			break;
		}
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			depth++;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_NO_EVENT:
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
		case YAML_ALIAS_EVENT:
		case YAML_SCALAR_EVENT:
		default:
			break;
		}
		if (depth > EMU_WORLD_DEPTH_MAX || ++nev > EVENTS_MAX) {
			rc = atp_diag_at(d, ATP_ERR_LIMIT, name, (unsigned long)ev.start_mark.line + 1,
			    (unsigned long)ev.start_mark.column + 1,
			    depth > EMU_WORLD_DEPTH_MAX ? "nested deeper than %d levels" :
			    "more than %d YAML events", depth > EMU_WORLD_DEPTH_MAX ?
			    EMU_WORLD_DEPTH_MAX : EVENTS_MAX);
			done = 1;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

int
emu_world_parse(const void *text, size_t len, const char *name, struct emu_world **out,
    struct atp_diag *d)
{
	yaml_parser_t p;
	yaml_document_t doc;
	struct emu_world *wd;
	struct wp w;
	int rc;

	*out = NULL;
	if (len > EMU_WORLD_FILE_MAX)
		return atp_diag_at(d, ATP_ERR_LIMIT, name, 0, 0, "larger than %d bytes",
		    EMU_WORLD_FILE_MAX);
	rc = prescan(text, len, name, d);
	if (rc != ATP_OK)
		return rc;
	wd = atp_calloc(1, sizeof(*wd));
	if (wd == NULL)
		return atp_diag_set(d, ATP_ERR_NOMEM, "world: out of memory");
	/* Short defaults keep tests fast (the real firmware takes seconds). */
	wd->join_us = 300000;
	wd->join_fail_us = 500000;
	wd->scan_us = 200000;
	wd->connect_us = 50000;
	wd->resolve_us = 10000;
	wd->wps_us = 500000;
	wd->wps_pin = 12345670;
	wd->oneshot_us = 500000;
	if (!yaml_parser_initialize(&p)) {
		atp_free(wd);
		return atp_diag_set(d, ATP_ERR_NOMEM, "world: out of memory");
	}
	yaml_parser_set_input_string(&p, text, len);
	if (!yaml_parser_load(&p, &doc)) {
		rc = atp_diag_at(d, p.error == YAML_MEMORY_ERROR ? ATP_ERR_NOMEM : ATP_ERR_SYNTAX,
		    name, (unsigned long)p.problem_mark.line + 1,
		    (unsigned long)p.problem_mark.column + 1, "%s",
		    p.problem != NULL ? p.problem : "YAML error");
		yaml_parser_delete(&p);
		atp_free(wd);
		return rc;
	}
	w.doc = &doc;
	w.name = name;
	w.d = d;
	w.failed = 0;
	rc = parse_root(&w, yaml_document_get_root_node(&doc), wd);
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	if (rc != ATP_OK) {
		emu_world_free(wd);
		return rc;
	}
	*out = wd;
	return ATP_OK;
}

int
emu_world_load(const char *path, struct emu_world **out, struct atp_diag *d)
{
	FILE *f;
	char *buf;
	size_t n;
	int rc;

	*out = NULL;
	f = fopen(path, "rb");
	if (f == NULL) {
		rc = atp_diag_at(d, ATP_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
		if (d != NULL)
			d->sys_errno = errno;
		return rc;
	}
	buf = atp_malloc(EMU_WORLD_FILE_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		return atp_diag_set(d, ATP_ERR_NOMEM, "world: out of memory");
	}
	n = fread(buf, 1, EMU_WORLD_FILE_MAX + 1, f);
	if (ferror(f)) {
		rc = atp_diag_at(d, ATP_ERR_IO, path, 0, 0, "cannot read: %s", strerror(errno));
	} else if (n > EMU_WORLD_FILE_MAX) {
		rc = atp_diag_at(d, ATP_ERR_LIMIT, path, 0, 0, "larger than %d bytes",
		    EMU_WORLD_FILE_MAX);
	} else {
		rc = emu_world_parse(buf, n, path, out, d);
	}
	fclose(f);
	atp_free(buf);
	return rc;
}

void
emu_world_free(struct emu_world *w)
{
	if (w == NULL)
		return;
	atp_free(w->aps);
	atp_free(w->stations);
	atp_free(w->hosts);
	atp_free(w->maps);
	atp_free(w);
}

int
emu_world_map(const struct emu_world *w, uint32_t ip, uint16_t port, uint32_t *to_ip,
    uint16_t *to_port)
{
	size_t i;

	if (w == NULL)
		return 0;
	/* An exact ip:port entry wins over an ip-only one. */
	for (i = 0; i < w->nmaps; i++) {
		if (w->maps[i].ip == ip && w->maps[i].port == port && port != 0) {
			*to_ip = w->maps[i].to_ip;
			*to_port = w->maps[i].to_port != 0 ? w->maps[i].to_port : port;
			return 1;
		}
	}
	for (i = 0; i < w->nmaps; i++) {
		if (w->maps[i].ip == ip && w->maps[i].port == 0) {
			*to_ip = w->maps[i].to_ip;
			*to_port = w->maps[i].to_port != 0 ? w->maps[i].to_port : port;
			return 1;
		}
	}
	return 0;
}

int
emu_world_host(const struct emu_world *w, const char *name, uint32_t *ip)
{
	size_t i;

	if (w == NULL || name == NULL)
		return 0;
	for (i = 0; i < w->nhosts; i++) {
		if (atp_span_eq_ci(atp_span_str(w->hosts[i].name), name)) {
			*ip = w->hosts[i].ip;
			return 1;
		}
	}
	return 0;
}

int
emu_world_default(struct emu_world **out, struct atp_diag *d)
{
	return emu_world_parse(emu_default_world_yaml, strlen(emu_default_world_yaml),
	    "<built-in default world>", out, d);
}
