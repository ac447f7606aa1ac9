/* SPDX-License-Identifier: MIT */
/* \summary: the emulator's internal header: one virtual Air602 and its engine */
#ifndef ATPROOF_EMULATOR_EMU_H
#define ATPROOF_EMULATOR_EMU_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "atproof/atproof.h"

/*
 * A virtual Air602 ("module") is a struct emu. It owns no file descriptor
 * of its own: bytes from the host go in through emu_input(), everything the
 * module sends goes out through emu_out() into an output buffer that the
 * transport (pty, TCP, or a unit test) drains. Time comes from a struct
 * emu_loop, which can be a real poll() loop or a virtual clock advanced by
 * the caller (unit tests, the fuzz target), so the same engine runs with or
 * without file descriptors.
 *
 * The module behaves as the manual says, and switches each catalogued
 * deviation of core/profile.c on where its profile has it (emu_dev()):
 * that is what makes a run of `--emulator=luat` fail exactly on luat's
 * deviations.
 *
 * Files:
 *   emu.c        lifecycle, input path, dispatch, output, log, faults
 *   loop.c       event loop (poll) and timers, real or virtual clock
 *   cmd_sys.c    §2.2.1 system commands, §2.2.2 parameters
 *   cmd_wifi.c   WSCAN WJOIN WLEAV LKSTT APLKSTT SLIST WWPS ONESHOT CUSTDATA
 *   params.c     RAM/flash parameter sets, factory values, the flash file
 *   world.c      the radio world (YAML)
 *   main.c       `atproof emu`
 *   net*.c, cmd_net*.c, cmd_http*.c, cmd_mqtt*.c   networking (other owner)
 */

/* ---------------------------------------------------------------------- */
/* Event loop and clock                                                    */
/* ---------------------------------------------------------------------- */

struct emu_loop;

#define EMU_EV_IN  0x1u           /* readable (POLLIN, also POLLHUP/POLLERR) */
#define EMU_EV_OUT 0x4u           /* writable (POLLOUT) */

typedef void emu_fd_fn(struct emu_loop *loop, int fd, unsigned revents, void *ctx);
typedef void emu_timer_fn(struct emu_loop *loop, void *ctx);

/* A loop on the real monotonic clock (virtual = 0) or on a virtual clock
 * that only emu_loop_advance() moves (virtual = 1). *out is NULL on
 * failure (ATP_ERR_NOMEM). */
int emu_loop_new(int virtual_clock, struct emu_loop **out);
/* Frees the loop; timers still armed are dropped (their callbacks do not
 * run), file descriptors are not closed. */
void emu_loop_free(struct emu_loop *loop);

/* Watches @fd for @events (EMU_EV_*); one entry per fd (adding an fd again
 * replaces its entry). Returns ATP_OK, ATP_ERR_NOMEM or ATP_ERR_LIMIT. */
int emu_loop_add_fd(struct emu_loop *loop, int fd, unsigned events, emu_fd_fn *cb, void *ctx);
/* Changes the events of a watched fd (ATP_ERR_NOTFOUND if not watched). */
int emu_loop_mod_fd(struct emu_loop *loop, int fd, unsigned events);
/* Stops watching @fd (safe inside a callback, also for another fd). */
void emu_loop_del_fd(struct emu_loop *loop, int fd);

/* Calls @cb once, @usec microseconds from now (loop time). Returns a timer
 * id > 0, or 0 when out of memory. */
uint64_t emu_timer_add(struct emu_loop *loop, uint64_t usec, emu_timer_fn *cb, void *ctx);
/* Cancels a timer that has not fired (ids of fired or cancelled timers and
 * 0 are ignored). */
void emu_timer_cancel(struct emu_loop *loop, uint64_t id);

/* The real monotonic clock, in microseconds. */
uint64_t emu_now_us(void);
/* The loop's clock (real or virtual), in microseconds. */
uint64_t emu_loop_now(const struct emu_loop *loop);

/* Runs due timers and polls the fds for at most @timeout_ms (-1: until the
 * next timer; a virtual loop never sleeps). Returns ATP_OK or ATP_ERR_IO. */
int emu_loop_run_once(struct emu_loop *loop, int timeout_ms);
/* Runs until emu_loop_stop() (from a callback or a signal handler through
 * emu_loop_stop_async()). */
int emu_loop_run(struct emu_loop *loop);
void emu_loop_stop(struct emu_loop *loop);
/* Async-signal-safe stop: writes to the loop's self-pipe. */
void emu_loop_stop_async(struct emu_loop *loop);
/* Virtual clock: moves time by @usec, firing every timer that falls due on
 * the way, in order (timers added by callbacks included), and polls the
 * fds without waiting. No effect on a real loop but the poll. */
void emu_loop_advance(struct emu_loop *loop, uint64_t usec);

/* ---------------------------------------------------------------------- */
/* The radio world (world.c)                                               */
/* ---------------------------------------------------------------------- */

#define EMU_SSID_MAX 32
#define EMU_KEY_MAX 64
#define EMU_HOST_MAX 255
#define EMU_CUSTDATA_MAX 256
#define EMU_WORLD_FILE_MAX (1024 * 1024) /* bytes of a world file */
#define EMU_WORLD_DEPTH_MAX 16           /* YAML nesting */
#define EMU_WORLD_ITEMS_MAX 1024         /* entries of each list */

struct emu_ap {                   /* an access point in range */
	char ssid[EMU_SSID_MAX + 1];
	uint8_t bssid[6];
	unsigned channel;         /* 1..14 */
	unsigned security;        /* §2.2.2.9: 0 open .. 6 WPA2-PSK(CCMP) */
	unsigned type;            /* 2 ESS (infrastructure), 1 IBSS (adhoc) */
	char key[EMU_KEY_MAX + 1];
	unsigned rssi;            /* magnitude in dB: 60 means -60 dBm */
	uint32_t ip, mask, gw, dns;  /* the DHCP lease it hands out (host order) */
};

struct emu_station {              /* a station that joins our SoftAP */
	uint8_t mac[6];
	uint32_t ip;
	uint64_t after_us;        /* joins this long after the SoftAP is up */
};

struct emu_host {                 /* name -> address, for SKGHBN */
	char name[EMU_HOST_MAX + 1];
	uint32_t ip;
};

struct emu_map {                  /* a scenario address -> loopback */
	uint32_t ip;              /* e.g. 192.168.1.100 */
	uint16_t port;            /* 0: any port */
	uint32_t to_ip;           /* normally 127.0.0.1 */
	uint16_t to_port;         /* 0: the same port */
};

struct emu_world {
	struct emu_ap *aps;
	size_t naps;
	struct emu_station *stations;
	size_t nstations;
	struct emu_host *hosts;
	size_t nhosts;
	struct emu_map *maps;
	size_t nmaps;
	/* timing (microseconds) */
	uint64_t join_us;         /* WJOIN that succeeds */
	uint64_t join_fail_us;    /* WJOIN with a wrong key or no AP: then -10 */
	uint64_t scan_us;         /* WSCAN */
	uint64_t connect_us;      /* SKCT client connect (networking) */
	uint64_t resolve_us;      /* SKGHBN (networking) */
	/* WPS (WWPS start_pin/start_pbc) */
	int wps_ok;               /* the push-button/PIN exchange succeeds */
	size_t wps_ap;            /* index into aps of the AP it joins */
	uint64_t wps_us;
	unsigned wps_pin;         /* what get_pin answers */
	/* ONESHOT (one-click configuration) */
	int oneshot_ok;
	size_t oneshot_ap;        /* index into aps of the network it gets */
	uint64_t oneshot_us;
	char custdata[EMU_CUSTDATA_MAX + 1];  /* user data it delivers */
	int has_custdata;         /* the top-level key: there from boot unless
	                           * a succeeding ONESHOT delivers it */
};

/* Parses a world from YAML text; @name is used in diagnostics
 * ("file:line:col: message"). On failure *out is NULL and @d says where
 * (ATP_ERR_SYNTAX, ATP_ERR_LIMIT, ATP_ERR_NOMEM). */
int emu_world_parse(const void *text, size_t len, const char *name, struct emu_world **out,
    struct atp_diag *d);
/* Reads and parses a file (ATP_ERR_IO if it cannot be read). */
int emu_world_load(const char *path, struct emu_world **out, struct atp_diag *d);
/* The built-in default world (the same as scenarios/worlds/default.yaml). */
int emu_world_default(struct emu_world **out, struct atp_diag *d);
extern const char emu_default_world_yaml[];
void emu_world_free(struct emu_world *w);
/* The loopback address and port a scenario address maps to. Returns 1 if a
 * mapping exists (*to_ip and *to_port set), 0 if not. */
int emu_world_map(const struct emu_world *w, uint32_t ip, uint16_t port, uint32_t *to_ip,
    uint16_t *to_port);
/* The address of host @name (ASCII case-insensitive), 1 if known, else 0. */
int emu_world_host(const struct emu_world *w, const char *name, uint32_t *ip);

/* ---------------------------------------------------------------------- */
/* Faults (emu.c)                                                          */
/* ---------------------------------------------------------------------- */

#define EMU_DELAYS_MAX 16

struct emu_faults {
	unsigned delay_ms;        /* before every response (0: none) */
	struct {
		char cmd[ATP_NAME_MAX + 1];
		unsigned ms;
	} delays[EMU_DELAYS_MAX]; /* per command: delay=WJOIN:500 */
	size_t ndelays;
	int drop_crlf;            /* "\r\n\r\n" terminators lose their second CRLF */
	int mac_case;             /* MACs in the opposite case */
	unsigned spurious_report; /* every Nth response carries an async line inside */
	int echo_stuck;           /* echo always on, AT+E has no effect */
	int wrong_error;          /* error replies carry another code */
	long wrong_error_code;    /* that code; 0: a different one chosen per reply */
	int skrcv_short;          /* SKRCV data one byte shorter than announced
	                             (read by the networking code) */
	int sksnd_drop;           /* SKSND's payload goes out without its last byte */
	double garbage_rate;      /* probability per response of random bytes before it */
	unsigned reset_mid;       /* every Nth command resets the module instead */
	double bitflip_rate;      /* probability per output byte of one flipped bit */
	unsigned long baud;       /* baud=N: output sent at N, seen at 115200 (0: off) */
	uint64_t seed;            /* of the fault random generator */
};

/* Parses one --fault NAME[=VALUE] into @f (ATP_ERR_SYNTAX with a message). */
int emu_fault_parse(struct emu_faults *f, const char *spec, struct atp_diag *d);
/* Writes the documentation of every fault (for --help). */
void emu_fault_help(FILE *out);

/* ---------------------------------------------------------------------- */
/* Stored parameters (params.c)                                            */
/* ---------------------------------------------------------------------- */

struct emu_nip {                  /* NIP / APNIP (§2.2.2.2-3) */
	unsigned type;            /* 0 DHCP (server on for APNIP), 1 static */
	uint32_t ip, mask, gw, dns;
};

struct emu_key {                  /* KEY / APKEY (§2.2.2.11-12) */
	unsigned format;          /* 0 HEX, 1 ASCII */
	unsigned index;           /* 0..4 */
	char key[EMU_KEY_MAX + 1];
};

struct emu_chl {                  /* CHL / APCHL */
	unsigned mode;            /* 0 automatic, 1 designated */
	unsigned channel;
};

/* One copy (RAM or flash) of every parameter of §2.2.2 (w600-firmware.md
 * §7, §12). Strings are NUL-terminated; values holding a NUL are refused
 * when set. */
struct emu_params {
	unsigned wprt;
	struct emu_nip nip, apnip;
	char dns[32];                   /* the module's local domain name */
	unsigned atm;
	struct {
		unsigned proto, cs;
		char host[33];          /* host, or a timeout for a TCP server */
		unsigned port;
	} atrm;
	char ssid[EMU_SSID_MAX + 1], apssid[EMU_SSID_MAX + 1];
	unsigned encry, apencry;
	struct emu_key key, apkey;
	unsigned bssid_mode;
	uint8_t bssid[6];
	struct emu_chl chl, apchl;
	unsigned chll;
	unsigned watc, wpsm, brdssid;
	struct {
		unsigned baud, databit, stopbit, parity, flow;
	} uart;
	unsigned webs, webs_port;
	char dname[33];
	char pass[7];
	unsigned portm;
	unsigned atpt;
	unsigned oneshot;
};

/* The factory values for @prof (w600-firmware.md §12). */
void emu_params_factory(struct emu_params *p, const struct atp_profile *prof);

/* The flash file: "atproof-flash 1", key=value lines, "checksum=<crc32>".
 * Written atomically (temp file in the same folder, fsync, rename, fsync
 * of the folder). Reading is strict: anything torn, unknown or out of range
 * is ATP_ERR_SYNTAX with the line in @d. */
int emu_flash_write(const char *path, const struct emu_params *p, struct atp_diag *d);
int emu_flash_read(const char *path, struct emu_params *p, struct atp_diag *d);
/* The serialized text, for tests (returns its length, or ATP_ERR_LIMIT). */
long emu_flash_format(const struct emu_params *p, char *buf, size_t size);
int emu_flash_parse(const char *text, size_t len, struct emu_params *p, struct atp_diag *d);

/* ---------------------------------------------------------------------- */
/* The module                                                              */
/* ---------------------------------------------------------------------- */

#define EMU_IN_MAX 4096            /* the firmware's RX ring (§1.2) */
#define EMU_OUT_MAX (1024 * 1024)  /* output not yet taken by the transport */
#define EMU_COUNTED_MAX 65536      /* a counted payload (SKSND) */
#define EMU_SCAN_MAX 64            /* entries of a WSCAN reply */

/* How bytes from the host are read (firmware §1.2, §8.1, §9). */
enum emu_mode {
	EMU_MODE_CMD,             /* command lines */
	EMU_MODE_COUNTED,         /* exactly N bytes of payload (SKSND) */
	EMU_MODE_TRANSPARENT,     /* every byte is data (ENTM) until +++ */
};

struct emu;

/*
 * A data consumer (COUNTED, TRANSPARENT). COUNTED: called once with the whole
 * payload when its count is reached, or with what came when the timeout ran
 * out (timed_out = 1); the module is back in command mode before the call.
 * TRANSPARENT: called with every chunk exactly as emu_input() received it
 * (so "+++" alone in one chunk is visible as such); timed_out is 0.
 */
typedef void emu_data_fn(struct emu *e, const uint8_t *p, size_t n, int timed_out, void *ctx);

/* Called when output was appended (so a transport can start writing). */
typedef void emu_output_fn(struct emu *e, void *ctx);

/* Handler of a command: see "Dispatch" below. */
typedef int emu_cmd_fn(struct emu *e, const struct atp_cmdline *cl);

struct emu_handler {
	const char *name;         /* command name as in the table ("SKCT") */
	emu_cmd_fn *fn;
};

struct emu_log;                   /* shared by the modules of one process */

struct emu_config {
	const struct atp_profile *prof;   /* NULL: luat */
	const struct emu_world *world;    /* NULL: the built-in default; not copied */
	const struct emu_faults *faults;  /* NULL: none; not copied */
	const char *flash_path;           /* NULL: flash kept in memory only */
	struct emu_log *log;              /* NULL: no log */
	unsigned index;                   /* module number (MAC, log prefix) */
	int allow_net;                    /* non-loopback addresses allowed */
};

struct emu_net;                   /* networking state, owned by net.c */

/* The link state of an interface. */
struct emu_link {
	int up;
	uint32_t ip, mask, gw, dns1, dns2;
	size_t ap;                /* station: index of the joined AP in world->aps */
	uint64_t since_us;        /* loop time it came up */
};

struct emu {
	const struct atp_profile *prof;
	struct emu_loop *loop;
	const struct emu_world *world;
	const struct emu_faults *faults;
	struct emu_faults nofaults;
	struct emu_world *own_world;      /* the default world, when we made it */
	struct emu_log *log;
	unsigned index;
	int allow_net;

	/* state */
	struct emu_params ram, flash;
	char *flash_path;                 /* NULL: in memory */
	uint8_t mac[6], apmac[6];
	int echo;                         /* AT+E (RAM only, off at boot) */
	/* The rate the UART runs at now (AT+UART §2.2.2.20): flash's at boot;
	 * AT+UART= moves it at once unless the profile has uart-after-restart. */
	unsigned line_baud;
	struct emu_link sta, ap;          /* station and SoftAP */
	unsigned wprt_up;                 /* the network type WJOIN used */
	char custdata[EMU_CUSTDATA_MAX + 1];
	char wps_mode[16];
	unsigned wps_pin;
	int oneshot_on;
	uint64_t oneshot_timer;
	uint64_t boot_timer;              /* automatic mode's join at boot */
	int sleeping;                     /* ENTS standby/sleep: 1 the host's bytes wake
	                                   * it (pin), 2 they are lost (timer) */
	struct {
		int ok;                   /* the operation will succeed */
		size_t ap;                /* index of the AP it joins */
		unsigned wprt;            /* the network type it works in */
	} op;                             /* the WJOIN or WWPS in progress */

	/* input */
	uint8_t in[EMU_IN_MAX];
	size_t inlen;
	enum emu_mode mode;
	emu_data_fn *data_fn;
	void *data_ctx;
	uint8_t *counted;                 /* COUNTED payload being collected */
	size_t counted_len, counted_want;
	uint64_t counted_timer;

	/* the command being run */
	int busy;                         /* a command has not completed yet */
	int in_process;                   /* inside the input processing loop */
	uint8_t line[ATP_LINE_MAX + 3];   /* copy of its line (cl spans point here) */
	struct atp_cmdline cl;
	emu_cmd_fn *pending_fn;           /* delay fault: the handler to run later */
	uint64_t cmd_timer;               /* the command's own timer (join, scan...) */
	uint64_t resume_timer;
	unsigned long ncmds;              /* commands run since start (faults) */
	unsigned long nreplies;

	/* output */
	uint8_t *out;
	size_t outlen, outcap;
	unsigned long out_dropped;
	emu_output_fn *on_output;
	void *on_output_ctx;
	uint64_t rng;                     /* fault random generator state */

	struct emu_net *net;
};

/*
 * Creates a module in its boot state: RAM loaded from flash (the flash file
 * if it exists and reads back, factory values otherwise, with a log line),
 * echo off, nothing connected. The loop, world, faults and log must outlive
 * it. *out is NULL on failure.
 */
int emu_new(struct emu_loop *loop, const struct emu_config *cfg, struct emu **out,
    struct atp_diag *d);
/* Frees a module (timers cancelled, networking closed). NULL is allowed. */
void emu_free(struct emu *e);

/* The host sends bytes. Never fails: what the module cannot take (over the
 * 4 KiB ceiling) is dropped as the firmware drops it, with a log line. */
void emu_input(struct emu *e, const void *buf, size_t len);
/* Drops the bytes waiting in the input buffer (ENTM empties the ring, §9). */
void emu_input_discard(struct emu *e);

/* Output waiting for the transport: a view, and how much of it was sent. */
struct atp_span emu_output_peek(const struct emu *e);
void emu_output_consume(struct emu *e, size_t n);
/* Copies and consumes up to @size bytes; returns the count. */
size_t emu_output_take(struct emu *e, void *buf, size_t size);
void emu_set_output_cb(struct emu *e, emu_output_fn *fn, void *ctx);

/*
 * Resets the module as a power cycle or AT+Z does: RAM reloaded from flash,
 * echo off, links down, networking reset, input dropped, data mode back to
 * commands. With @banner, prints the "ready" banner (reset-mid fault).
 */
void emu_reset(struct emu *e, int banner);

/* 1 if the module's profile has the deviation @id of core/profile.c. */
int emu_dev(const struct emu *e, const char *id);

/* ---------------------------------------------------------------------- */
/* Output                                                                  */
/* ---------------------------------------------------------------------- */

/* Everything the module sends goes through here (log, bit flips, the
 * output buffer and its ceiling). */
void emu_out(struct emu *e, const void *bytes, size_t len);
void emu_out_str(struct emu *e, const char *s);

/*
 * Replies. Each writes one complete response with the terminator of §2.1
 * (CR LF CR LF; the drop-crlf fault cuts it to CR LF) and applies the
 * response faults (spurious-report, garbage):
 *   emu_reply_ok(e)                  +OK
 *   emu_reply_okf(e, "%u", v)        +OK=<formatted>
 *   emu_reply_err(e, -4)             +ERR=-4 (wrong-error may change it)
 *   emu_reply_raw(e, body, n, term)  <body><term> as given (term NULL:
 *                                    the standard one), e.g. the SKRPTM
 *                                    query quirk "+OK=1\n" + "\r\n\r\n"
 * emu_reply_parse_err() is for parse-stage errors: one CRLF where the
 * profile has parse-error-single-crlf.
 */
void emu_reply_ok(struct emu *e);
void emu_reply_okf(struct emu *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void emu_reply_err(struct emu *e, long code);
void emu_reply_parse_err(struct emu *e, long code);
void emu_reply_raw(struct emu *e, const void *body, size_t len, const char *term);
/* An unsolicited line ("+SKTRPT=..."): @line then CR LF CR LF, plus @data
 * (may be NULL) written in the same output call. */
void emu_report(struct emu *e, const char *line, const void *data, size_t len);
/* The standard terminator after the faults ("\r\n\r\n" or "\r\n"). */
const char *emu_term(const struct emu *e);

/* A MAC as 12 hex digits (upper or lower case; mac-case swaps it). @buf
 * holds at least 13 bytes. */
const char *emu_fmt_mac(const struct emu *e, const uint8_t mac[6], int upper, char *buf);
/* An IPv4 address (host order) as a dotted quad; @buf >= 16 bytes. */
const char *emu_fmt_ip(uint32_t ip, char *buf);

/* ---------------------------------------------------------------------- */
/* Dispatch                                                                */
/* ---------------------------------------------------------------------- */

/*
 * Before a handler runs, the engine has checked that the command exists in
 * the profile (mqtt-absent, wwps-absent, legacy-names-absent), that the
 * form is allowed (the manual's forms, or the firmware's op_flag with
 * extra-forms; -3, or -2 with form-not-allowed-err2) and, for = and =!
 * with missing-arg-err2, the firmware's minimum argument count (-2). It has
 * echoed the line if echo is on. The handler checks its arguments
 * (emu_args()) and returns:
 *   0            done: it wrote its reply (emu_reply_*);
 *   EMU_PENDING  it continues (a timer, a socket) and calls emu_cmd_done()
 *                after writing its reply; commands arriving meanwhile are
 *                queued (queue-not-discard) or discarded (manual);
 *   < 0          a §1.2.2 error code: the engine replies +ERR=<code>.
 * @cl and the line it points into stay valid until emu_cmd_done().
 */
#define EMU_PENDING 1

/* Called once the pending command has replied: the next queued command
 * runs (from a zero-delay timer, never inside the caller). */
void emu_cmd_done(struct emu *e);

/* The handlers of the networking commands (SKCT SKSND SKRCV SKSTT SKCLS
 * SKSDF SKSRCIP SKRPTM SKGHBN ENTM HTTPC and the MQTT set), defined in
 * emulator/net.c, terminated by { NULL, NULL }. */
extern const struct emu_handler emu_net_handlers[];

/* Networking lifecycle hooks, defined in emulator/net.c. */
int emu_net_attach(struct emu *e);    /* emu_new: set up e->net (ATP_OK or NOMEM) */
void emu_net_detach(struct emu *e);   /* emu_free: close and free everything */
void emu_net_reset(struct emu *e);    /* module reset: close sockets, MQTT, HTTP */
void emu_net_boot(struct emu *e);     /* after boot: automatic mode (ATM=0) starts */
void emu_net_link(struct emu *e, int up); /* the station link came up / went down */

/*
 * Argument helpers. emu_args() matches cl->argtext against the command's
 * argument pattern (atp_cmd_args_shape): -4 if the structure does not fit
 * or there are more arguments than fields, otherwise 0 with @m filled
 * (ranges in m->cap[i].in_range and m->nbad, for the handler to judge,
 * since deviations accept values the manual refuses).
 */
int emu_args(const struct emu *e, const struct atp_cmdline *cl, struct atp_match *m);
/* The numeric value of field @name (0 if absent: check with atp_match_get). */
uint64_t emu_arg_num(const struct atp_match *m, const char *name);
/* The unescaped string of field @name into @buf: its length, or -4 if it
 * does not fit or holds a NUL, or 0 with "" if absent. */
long emu_arg_str(const struct atp_match *m, const char *name, char *buf, size_t size);
/* The IPv4 value of an IP/QIP field (host order): 0 or -4. */
int emu_arg_ip(const struct atp_match *m, const char *name, uint32_t *ip);

/* The station's current address (0 if the link is down). */
uint32_t emu_sta_ip(const struct emu *e);

/* ---------------------------------------------------------------------- */
/* Data modes                                                              */
/* ---------------------------------------------------------------------- */

/*
 * Switches how input is read. COUNTED: the next @count bytes (<=
 * EMU_COUNTED_MAX) go to @fn as one payload, then the module is back in
 * command mode; @timeout_us > 0 ends the phase early with what came (the
 * manual's 1 s SKSND timeout; 0: none, as the firmware). TRANSPARENT: every
 * chunk goes to @fn until the caller switches back with EMU_MODE_CMD.
 * Bytes already waiting in the input buffer are fed to the new mode at once
 * (the host may send the payload right after the command line, §8.1).
 */
int emu_set_mode(struct emu *e, enum emu_mode mode, size_t count, uint64_t timeout_us,
    emu_data_fn *fn, void *ctx);

/* ---------------------------------------------------------------------- */
/* Log (every byte in and out, microsecond timestamps)                     */
/* ---------------------------------------------------------------------- */

/* Opens a log on @path ("-" or NULL: standard error). *out is NULL on
 * failure. */
int emu_log_open(const char *path, int with_index, struct emu_log **out, struct atp_diag *d);
void emu_log_close(struct emu_log *log);
/* "<ts> [i] < AT+QVER\r" (host to module) or "... > +OK\r\n\r\n". */
void emu_log_bytes(struct emu *e, char dir, const void *p, size_t n);
/* "<ts> [i] # message" */
void emu_log_note(struct emu *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------------- */
/* Command handlers of this side (cmd_sys.c, cmd_wifi.c)                   */
/* ---------------------------------------------------------------------- */

extern const struct emu_handler emu_sys_handlers[];
extern const struct emu_handler emu_wifi_handlers[];

/* cmd_wifi.c: state changes the engine triggers. */
void emu_wifi_reset(struct emu *e);   /* links down, timers cancelled */
void emu_wifi_boot(struct emu *e);    /* ATM=0: join the stored network */

#endif
