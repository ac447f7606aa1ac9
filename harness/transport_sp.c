/* SPDX-License-Identifier: MIT */
/* \summary: the libserialport transport for real UARTs */
#include <errno.h>
#include <libserialport.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

static const struct hns_transport_ops sp_ops = { "libserialport", sp_write_all, sp_read_some,
	sp_close_port, sp_line };

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
	/* 8 bits, 1 stop bit; parity and flow control as asked (the module's
	 * default is 8N1 without flow control, AT+UART §2.2.2.3). */
	if (sp_new_config(&cfg) != SP_OK ||
	    sp_get_config(sp_slot.port, cfg) != SP_OK ||
	    sp_set_config_baudrate(cfg, (int)baud) != SP_OK ||
	    sp_set_config_bits(cfg, 8) != SP_OK ||
	    sp_set_config_parity(cfg, sc->parity == 'E' ? SP_PARITY_EVEN :
	    sc->parity == 'O' ? SP_PARITY_ODD : SP_PARITY_NONE) != SP_OK ||
	    sp_set_config_stopbits(cfg, 1) != SP_OK ||
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
	snprintf(desc, sizeof(desc), "%lu 8%c1%s", baud, sc->parity,
	    sc->flow == 1 ? " rtscts" : sc->flow == 2 ? " xonxoff" : "");
	t = atp_calloc(1, sizeof(*t));
	if (t == NULL) {
		sp_close_port(&(struct hns_transport){ .fd = -1 });
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	}
	t->ops = &sp_ops;
	t->fd = -1;
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
