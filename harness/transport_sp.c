/* SPDX-License-Identifier: MIT */
/* \summary: the libserialport transport for real UARTs */
#include <errno.h>
#include <libserialport.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/hns_run.h"

/*
 * Real serial ports go through libserialport: it knows the adapters
 * (USB-UART bridges, native UARTs) and their line settings, and later
 * DTR/RTS and break. It cannot open pseudo-terminals (it looks the device
 * up in /sys/class/tty and asks TIOCMGET, DESIGN.md), so `--port` tries it
 * first and falls back to termios (transport.c).
 *
 * The port lives in struct hns_transport's fd slot only for poll-free
 * bookkeeping; every read and write goes through libserialport.
 */
#define SP_WRITE_TIMEOUT_MS 2000u

struct sp_state {
	struct sp_port *port;
	struct sp_event_set *events;
};

/* One port per process is what the harness runs; a static slot keeps
 * struct hns_transport free of a libserialport type. */
static struct sp_state sp_slot;

static int
sp_fail(struct atp_diag *d, const char *name, const char *what)
{
	char *msg = sp_last_error_message();
	int e = sp_last_error_code();

	if (d != NULL)
		d->sys_errno = e;
	(void)atp_diag_set(d, ATP_ERR_IO, "port %s vanished: %s: %s", name, what,
	    msg != NULL ? msg : strerror(e));
	sp_free_error_message(msg);
	return ATP_ERR_IO;
}

static int
sp_write_all(struct hns_transport *t, const void *buf, size_t len, struct atp_diag *d)
{
	enum sp_return r;

	r = sp_blocking_write(sp_slot.port, buf, len, SP_WRITE_TIMEOUT_MS);
	t->wrote = r > 0 ? (size_t)r : 0;
	if (r < 0)
		return sp_fail(d, t->name, "write");
	if ((size_t)r < len)
		return atp_diag_set(d, ATP_ERR_TIMEOUT, "port %s: a write did not drain in %u ms",
		    t->name, SP_WRITE_TIMEOUT_MS);
	return ATP_OK;
}

static long
sp_read_some(struct hns_transport *t, void *buf, size_t len, uint64_t timeout_us,
    struct atp_diag *d)
{
	unsigned ms = timeout_us == 0 ? 0 : (unsigned)((timeout_us + 999) / 1000);
	enum sp_return r;

	if (timeout_us > 3600000000u)
		ms = 3600000;
	/* sp_wait() with 0 would wait forever: poll the port once instead. */
	if (ms > 0 && sp_wait(sp_slot.events, ms) < 0)
		return sp_fail(d, t->name, "wait");
	r = sp_nonblocking_read(sp_slot.port, buf, len);
	if (r < 0)
		return sp_fail(d, t->name, "read");
	if (r == 0 && ms > 0 && sp_input_waiting(sp_slot.port) < 0)
		return sp_fail(d, t->name, "read");
	return (long)r;
}

static void
sp_close_port(struct hns_transport *t)
{
	(void)t;
	if (sp_slot.events != NULL)
		sp_free_event_set(sp_slot.events);
	if (sp_slot.port != NULL) {
		(void)sp_close(sp_slot.port);
		sp_free_port(sp_slot.port);
	}
	memset(&sp_slot, 0, sizeof(sp_slot));
	t->fd = -1;
}

static int
sp_line(struct hns_transport *t, int dtr, int rts, uint64_t break_us, struct atp_diag *d)
{
	struct timespec ts;

	if (dtr >= 0 && sp_set_dtr(sp_slot.port, dtr ? SP_DTR_ON : SP_DTR_OFF) != SP_OK)
		return sp_fail(d, t->name, "DTR");
	if (rts >= 0 && sp_set_rts(sp_slot.port, rts ? SP_RTS_ON : SP_RTS_OFF) != SP_OK)
		return sp_fail(d, t->name, "RTS");
	if (break_us > 0) {
		if (sp_start_break(sp_slot.port) != SP_OK)
			return sp_fail(d, t->name, "break");
		ts.tv_sec = (time_t)(break_us / 1000000u);
		ts.tv_nsec = (long)(break_us % 1000000u) * 1000L;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		if (sp_end_break(sp_slot.port) != SP_OK)
			return sp_fail(d, t->name, "break");
	}
	return ATP_OK;
}

/* Another rate (and format): sp_drain() lets what was written go out at
 * the old settings first. */
static int
sp_baud(struct hns_transport *t, const struct hns_serial_cfg *to, struct atp_diag *d)
{
	if (to->baud == 0 || to->baud > 0x7fffffffu)
		return atp_diag_set(d, ATP_ERR_ARG, "port %s: baud rate %lu is not supported",
		    t->name, to->baud);
	if (sp_drain(sp_slot.port) != SP_OK)
		return sp_fail(d, t->name, "drain");
	if (sp_set_baudrate(sp_slot.port, (int)to->baud) != SP_OK ||
	    (to->databits != 0 && sp_set_bits(sp_slot.port, to->databits) != SP_OK) ||
	    (to->stopbits != 0 && sp_set_stopbits(sp_slot.port, to->stopbits) != SP_OK) ||
	    (to->parity != 0 && sp_set_parity(sp_slot.port, to->parity == 'E' ? SP_PARITY_EVEN :
	    to->parity == 'O' ? SP_PARITY_ODD : SP_PARITY_NONE) != SP_OK))
		return sp_fail(d, t->name, "line settings");
	hns_transport_line(t, to);
	return ATP_OK;
}

static const struct hns_transport_ops sp_ops = { "libserialport", sp_write_all, sp_read_some,
	sp_close_port, sp_line, sp_baud };

int
hns_sp_open(const char *path, const struct hns_serial_cfg *sc, struct hns_transport **out,
    struct atp_diag *d)
{
	unsigned long baud = sc->baud;
	struct hns_transport *t;
	struct sp_port_config *cfg = NULL;
	char desc[48];
	char *msg;

	*out = NULL;
	if (sp_slot.port != NULL)
		return atp_diag_set(d, ATP_ERR_UNSUPP, "one libserialport port at a time");
	if (baud == 0 || baud > 0x7fffffffu)
		return atp_diag_set(d, ATP_ERR_ARG, "baud rate %lu is not supported", baud);
	if (sp_get_port_by_name(path, &sp_slot.port) != SP_OK) {
		sp_slot.port = NULL;
		return atp_diag_set(d, ATP_ERR_IO, "libserialport does not know %s (it looks "
		    "ports up in /sys/class/tty)", path);
	}
	if (sp_open(sp_slot.port, SP_MODE_READ_WRITE) != SP_OK)
		goto fail;
	/* Data bits, parity, stop bits and flow control as asked (the
	 * module's default is 8N1 without flow control, AT+UART §2.2.2.20). */
	if (sp_new_config(&cfg) != SP_OK ||
	    sp_get_config(sp_slot.port, cfg) != SP_OK ||
	    sp_set_config_baudrate(cfg, (int)baud) != SP_OK ||
	    sp_set_config_bits(cfg, sc->databits != 0 ? sc->databits : 8) != SP_OK ||
	    sp_set_config_parity(cfg, sc->parity == 'E' ? SP_PARITY_EVEN :
	    sc->parity == 'O' ? SP_PARITY_ODD : SP_PARITY_NONE) != SP_OK ||
	    sp_set_config_stopbits(cfg, sc->stopbits != 0 ? sc->stopbits : 1) != SP_OK ||
	    sp_set_config_flowcontrol(cfg, sc->flow == 1 ? SP_FLOWCONTROL_RTSCTS :
	    sc->flow == 2 ? SP_FLOWCONTROL_XONXOFF : SP_FLOWCONTROL_NONE) != SP_OK ||
	    sp_set_config(sp_slot.port, cfg) != SP_OK)
		goto fail;
	sp_free_config(cfg);
	cfg = NULL;
	if (sp_new_event_set(&sp_slot.events) != SP_OK ||
	    sp_add_port_events(sp_slot.events, sp_slot.port,
	    (enum sp_event)(SP_EVENT_RX_READY | SP_EVENT_ERROR)) != SP_OK)
		goto fail;
	snprintf(desc, sizeof(desc), "%lu %d%c%d%s", baud, sc->databits != 0 ? sc->databits : 8,
	    sc->parity, sc->stopbits != 0 ? sc->stopbits : 1,
	    sc->flow == 1 ? " rtscts" : sc->flow == 2 ? " xonxoff" : "");
	t = atp_calloc(1, sizeof(*t));
	if (t == NULL) {
		sp_close_port(&(struct hns_transport){ .fd = -1 });
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	}
	t->ops = &sp_ops;
	t->fd = -1;
	t->ep = -1;
	t->line = *sc;
	t->line.databits = sc->databits != 0 ? sc->databits : 8;
	t->line.stopbits = sc->stopbits != 0 ? sc->stopbits : 1;
	t->name = atp_strdup(path);
	t->desc = atp_strdup(desc);
	if (t->name == NULL || t->desc == NULL) {
		hns_transport_close(t);
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	}
	*out = t;
	return ATP_OK;
fail:
	msg = sp_last_error_message();
	(void)atp_diag_set(d, ATP_ERR_IO, "libserialport cannot open %s: %s", path,
	    msg != NULL ? msg : "no such serial port");
	sp_free_error_message(msg);
	if (cfg != NULL)
		sp_free_config(cfg);
	sp_close_port(&(struct hns_transport){ .fd = -1 });
	return ATP_ERR_IO;
}

/*
 * Stable names. A USB-UART's /dev/ttyUSBn changes with the order adapters
 * are plugged in; udev's /dev/serial/by-id/ links and the adapter's USB
 * VID, PID and serial number do not. `--port` takes either and resolves
 * it to the device libserialport opens.
 */

/* AT+UART's rates (§2.2.2.20) the firmware accepts, the factory default
 * first, then the faster ones W600 boards run at. */
const unsigned long hns_baud_rates[] = { 115200, 9600, 19200, 38400, 57600, 230400, 460800,
	921600, 2000000, 4800, 2400, 1200 };
const size_t hns_nbaud_rates = sizeof(hns_baud_rates) / sizeof(hns_baud_rates[0]);

int
hns_usb_sel_is(const char *s)
{
	return strncmp(s, "usb:", 4) == 0;
}

int
hns_usb_sel_parse(const char *s, struct hns_usb_sel *out, struct atp_diag *d)
{
	struct atp_cur c = atp_cur_make(s, strlen(s));
	struct atp_span v, p;
	uint64_t vid, pid;

	memset(out, 0, sizeof(*out));
	if (atp_cur_lit(&c, "usb:") != ATP_OK)
		return atp_diag_set(d, ATP_ERR_SYNTAX, "'%.60s' is not usb:VID:PID[:SERIAL]", s);
	atp_cur_until(&c, ":", &v);
	if (atp_cur_lit(&c, ":") != ATP_OK)
		return atp_diag_set(d, ATP_ERR_SYNTAX, "'%.60s': usb:VID:PID[:SERIAL] needs a PID",
		    s);
	atp_cur_until(&c, ":", &p);
	if (v.len == 0 || v.len > 4 || atp_span_hex(v, &vid, 0xffff) != ATP_OK ||
	    p.len == 0 || p.len > 4 || atp_span_hex(p, &pid, 0xffff) != ATP_OK)
		return atp_diag_set(d, ATP_ERR_SYNTAX, "'%.60s': VID and PID are 1 to 4 hex digits "
		    "(usb:1a86:7523)", s);
	out->vid = (unsigned)vid;
	out->pid = (unsigned)pid;
	if (c.left == 0)
		return ATP_OK;
	(void)atp_cur_lit(&c, ":");
	if (c.left == 0 || c.left >= sizeof(out->serial))
		return atp_diag_set(d, ATP_ERR_SYNTAX, "'%.60s': the serial after the PID is 1 to "
		    "%zu characters", s, sizeof(out->serial) - 1);
	memcpy(out->serial, c.p, c.left);
	out->serial[c.left] = '\0';
	return ATP_OK;
}

/* Drops "." and "dir/.." from an absolute path, in place. */
static void
normalize(char *path)
{
	char *out = path, *in = path;

	while (*in != '\0') {
		size_t n;
		while (*in == '/')
			in++;
		n = strcspn(in, "/");
		if (n == 0)
			break;
		if (n == 1 && in[0] == '.') {
			in += n;
			continue;
		}
		if (n == 2 && in[0] == '.' && in[1] == '.') {
			while (out > path && *--out != '/')
				;
			in += n;
			continue;
		}
		*out++ = '/';
		memmove(out, in, n);
		out += n;
		in += n;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

/* 1 if the kernel lists @path's last component as a tty. */
static int
is_tty_name(const char *path)
{
	const char *base = strrchr(path, '/');
	char sys[PATH_MAX + 16];
	struct stat st;

	base = base != NULL ? base + 1 : path;
	if (base[0] == '\0' || strlen(base) >= PATH_MAX)
		return 0;
	snprintf(sys, sizeof(sys), "/sys/class/tty/%s", base);
	return lstat(sys, &st) == 0;
}

int
hns_port_follow(const char *path, char *out, size_t size)
{
	char cur[PATH_MAX], link[PATH_MAX], next[2 * PATH_MAX + 2];
	struct stat st;
	ssize_t n;
	int hops;

	if (snprintf(cur, sizeof(cur), "%s", path) >= (int)sizeof(cur))
		return ATP_ERR_LIMIT;
	/* A bounded walk: udev's links are one hop (../../ttyUSB0). */
	for (hops = 0; hops < 8; hops++) {
		if (is_tty_name(cur) || lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
			break;
		n = readlink(cur, link, sizeof(link) - 1);
		if (n <= 0)
			break;
		link[n] = '\0';
		if (link[0] == '/') {
			snprintf(next, sizeof(next), "%s", link);
		} else {
			char *slash = strrchr(cur, '/');
			snprintf(next, sizeof(next), "%.*s/%s", slash != NULL ? (int)(slash - cur) : 1,
			    slash != NULL ? cur : ".", link);
		}
		if (next[0] == '/')
			normalize(next);
		if (strlen(next) >= sizeof(cur))
			return ATP_ERR_LIMIT;
		memcpy(cur, next, strlen(next) + 1);
	}
	/* Only a name the kernel lists as a tty is worth the change: a link
	 * to a pty (the emulator's) stays as given. */
	if (!is_tty_name(cur))
		memcpy(cur, path, strlen(path) + 1);
	if (snprintf(out, size, "%s", cur) >= (int)size)
		return ATP_ERR_LIMIT;
	return ATP_OK;
}

int
hns_sp_port_cmp(const void *a, const void *b)
{
	return strcmp(sp_get_port_name(*(struct sp_port *const *)a),
	    sp_get_port_name(*(struct sp_port *const *)b));
}

int
hns_port_resolve(const char *spec, char *dev, size_t devsize, char *alias, size_t aliassize,
    struct atp_diag *d)
{
	struct sp_port **list = NULL;
	struct hns_usb_sel sel;
	char cands[160];
	size_t i, nmatch = 0, cl = 0;
	int rc;

	alias[0] = '\0';
	cands[0] = '\0';
	if (!hns_usb_sel_is(spec)) {
		if (hns_port_follow(spec, dev, devsize) < 0)
			return atp_diag_set(d, ATP_ERR_LIMIT, "port name %.60s is too long", spec);
		if (strcmp(dev, spec) != 0 &&
		    snprintf(alias, aliassize, "%s", spec) >= (int)aliassize) {
			alias[0] = '\0';
			return atp_diag_set(d, ATP_ERR_LIMIT, "port name %.60s is too long", spec);
		}
		return ATP_OK;
	}
	rc = hns_usb_sel_parse(spec, &sel, d);
	if (rc < 0)
		return rc;
	if (sp_list_ports(&list) != SP_OK)
		return atp_diag_set(d, ATP_ERR_IO, "libserialport cannot list the serial ports");
	for (i = 0; list[i] != NULL; i++)
		;
	qsort(list, i, sizeof(*list), hns_sp_port_cmp);
	for (i = 0; list[i] != NULL; i++) {
		int vid = -1, pid = -1;
		const char *ser, *name = sp_get_port_name(list[i]);
		if (sp_get_port_transport(list[i]) != SP_TRANSPORT_USB ||
		    sp_get_port_usb_vid_pid(list[i], &vid, &pid) != SP_OK)
			continue;
		ser = sp_get_port_usb_serial(list[i]);
		if ((unsigned)vid != sel.vid || (unsigned)pid != sel.pid)
			continue;
		/* Every port of the VID:PID is a candidate the message names. */
		if (cl + 4 < sizeof(cands))
			cl += (size_t)snprintf(cands + cl, sizeof(cands) - cl, "%s%s (serial %s)",
			    cl > 0 ? ", " : "", name, ser != NULL ? ser : "none");
		if (cl >= sizeof(cands))
			cl = sizeof(cands) - 1;
		if (sel.serial[0] != '\0' && (ser == NULL || strcmp(ser, sel.serial) != 0))
			continue;
		if (nmatch++ == 0)
			snprintf(dev, devsize, "%s", name);
	}
	sp_free_port_list(list);
	if (nmatch == 0)
		return atp_diag_set(d, ATP_ERR_NOTFOUND, "no serial port matches %.150s%s%s", spec,
		    cands[0] != '\0' ? "; with that VID:PID: " : " (atproof ports lists them)",
		    cands);
	if (nmatch > 1)
		return atp_diag_set(d, ATP_ERR_LIMIT, "%zu ports match %.60s, add :SERIAL: %s", nmatch,
		    spec, cands);
	if (snprintf(alias, aliassize, "%s", spec) >= (int)aliassize)
		return atp_diag_set(d, ATP_ERR_LIMIT, "port name %.60s is too long", spec);
	return ATP_OK;
}
