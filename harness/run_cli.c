/* SPDX-License-Identifier: MIT */
/* \summary: atproof run: options, scenario loading, transports, reports */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "harness/hns_run.h"

#define REPORTS_MAX 16

static void
run_usage(FILE *f)
{
	fprintf(f,
	    "usage: atproof run (--port DEVICE | --tcp HOST:PORT | --emulator[=PROFILE] |\n"
	    "                    --station FILE) [options] SCENARIO|DIR...\n"
	    "\n"
	    "Runs conformance scenarios (docs/scenarios.md) against a module or the emulator.\n"
	    "\n"
	    "Transport (one of):\n"
	    "  --port DEVICE        a serial device (libserialport) or a tty/pty (termios);\n"
	    "                       a /dev/serial/by-id/ link, or usb:VID:PID[:SERIAL] to\n"
	    "                       pick a USB adapter by its IDs (atproof ports lists them)\n"
	    "  --tcp HOST:PORT      raw serial over TCP (ser2net style)\n"
	    "  --emulator[=PROFILE] start `atproof emu` on a private pty (manual by default)\n"
	    "  --station FILE       the units of a station (ports, tcp, emulators), all\n"
	    "                       tested in parallel; reports and captures per unit\n"
	    "  --world FILE         with --emulator or --station: the emulator's world\n"
	    "  --fault NAME[=VALUE] with --emulator or --station: an emulator fault\n"
	    "                       (repeatable)\n"
	    "  --baud N|auto        line speed (default 115200); auto: the first of 115200,\n"
	    "                       9600, 19200, 38400, 57600, 230400, 460800, 921600,\n"
	    "                       2000000, 4800, 2400, 1200 at which AT+ answers +OK\n"
	    "  --parity P           for --port: none (default), even, odd\n"
	    "  --flow F             for --port: none (default), rtscts, xonxoff\n"
	    "  --databits N         for --port: 8 (default), 7, 6 or 5\n"
	    "  --stopbits N         for --port: 1 (default) or 2\n"
	    "  --serial BACKEND     for --port: auto (libserialport, else termios for\n"
	    "                       ptys), libserialport or termios\n"
	    "\n"
	    "Judging:\n"
	    "  --firmware PROFILE   known deviations of PROFILE are warnings, not failures\n"
	    "  --tags EXPR          run the scenarios whose tags match, e.g.\n"
	    "                       'factory and not slow'\n"
	    "  --cap NAME           the unit has capability NAME (for requires:)\n"
	    "  --timeout-scale X    multiply every deadline by X (slow adapters)\n"
	    "  --no-identify        do not ask QVER/QMAC before the first scenario\n"
	    "  --lenient            bytes no step accounts for and reports with no\n"
	    "                       policy are warnings, not failures (smoke tests);\n"
	    "                       the protocol model still judges every response\n"
	    "\n"
	    "Variables:\n"
	    "  --var NAME=VALUE     set ${NAME} (repeatable)\n"
	    "  --secret NAME=VALUE  same, and mask VALUE as *** in every output\n"
	    "  --root DIR           includes and data files must stay under DIR\n"
	    "\n"
	    "Output:\n"
	    "  --capture FILE       write the UART traffic as pcapng as the run goes\n"
	    "  --report FMT:PATH    text, json, junit, tap or html; PATH - is stdout\n"
	    "                       (repeatable); default: text on stdout\n"
	    "  --baseline OLD.json  then compare the run's JSON report with OLD.json as\n"
	    "                       atproof diff does, print the differences; exit 1\n"
	    "                       only when this run is worse (release check)\n"
	    "\n"
	    "Exit: 0 conforms, 1 a failure (or worse than --baseline), 2 bad scenario\n"
	    "or usage, 3 port missing or vanished, 4 inconclusive only, 130/143\n"
	    "interrupted by SIGINT/SIGTERM.\n");
}

static int
want_arg(int argc, char **argv, int *a, const char *opt, const char **val)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*a], opt, n) == 0 && argv[*a][n] == '=') {
		*val = argv[*a] + n + 1;
		return 1;
	}
	if (strcmp(argv[*a], opt) != 0)
		return 0;
	if (*a + 1 >= argc) {
		*val = NULL;
		return 1;
	}
	*val = argv[++*a];
	return 1;
}

static void
print_msg(void *ctx, const char *file, unsigned long line, unsigned long col, int is_error,
    const char *msg)
{
	int *nerr = ctx;

	if (is_error)
		(*nerr)++;
	if (line > 0)
		fprintf(stderr, "%s:%lu:%lu: %s: %s\n", file, line, col,
		    is_error ? "error" : "warning", msg);
	else
		fprintf(stderr, "%s: %s: %s\n", file, is_error ? "error" : "warning", msg);
}

struct opts {
	const char *port, *tcp, *emu_profile, *world, *firmware, *tags, *capture, *root;
	const char *backend, *station, *mac;
	char parity;
	int flow, databits, stopbits;
	int emulator, identify, lenient;
	unsigned long baud;
	double scale;
	const char **faults;
	size_t nfaults;
	const char **caps;
	size_t ncaps;
	const char **paths;
	size_t npaths;
	const char *rfmt[REPORTS_MAX];
	const char *rpath[REPORTS_MAX];
	size_t nreports;
};

static int
add_var(struct hns_vars *vs, const char *arg, int secret)
{
	const char *eq = strchr(arg, '=');
	char name[128];
	size_t n;

	if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(name)) {
		fprintf(stderr, "atproof run: --var wants NAME=VALUE, not '%s'\n", arg);
		return -1;
	}
	n = (size_t)(eq - arg);
	memcpy(name, arg, n);
	name[n] = '\0';
	if (hns_vars_set(vs, name, eq + 1, strlen(eq + 1), secret) < 0) {
		fprintf(stderr, "atproof run: too many or too long variables\n");
		return -1;
	}
	return 0;
}

static int
parse_opts(int argc, char **argv, struct opts *o, struct hns_vars *vars)
{
	const char *v;
	int a;

	for (a = 1; a < argc; a++) {
		char *arg = argv[a];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			run_usage(stdout);
			return 1;
		}
		if (strcmp(arg, "--emulator") == 0) {
			o->emulator = 1;
			continue;
		}
		if (strncmp(arg, "--emulator=", 11) == 0) {
			o->emulator = 1;
			o->emu_profile = arg + 11;
			continue;
		}
		if (strcmp(arg, "--no-identify") == 0) {
			o->identify = 0;
			continue;
		}
		if (strcmp(arg, "--lenient") == 0) {
			o->lenient = 1;
			continue;
		}
		if (arg[0] != '-' || arg[1] == '\0') {
			o->paths[o->npaths++] = arg;
			continue;
		}
		v = NULL;
		if (want_arg(argc, argv, &a, "--port", &v))
			o->port = v;
		else if (want_arg(argc, argv, &a, "--tcp", &v))
			o->tcp = v;
		else if (want_arg(argc, argv, &a, "--serial", &v)) {
			if (v != NULL && strcmp(v, "auto") != 0 && strcmp(v, "libserialport") != 0 &&
			    strcmp(v, "termios") != 0) {
				fprintf(stderr, "atproof run: --serial is auto, libserialport or "
				    "termios\n");
				return -1;
			}
			o->backend = v;
		}
		else if (want_arg(argc, argv, &a, "--world", &v))
			o->world = v;
		else if (want_arg(argc, argv, &a, "--station", &v))
			o->station = v;
		else if (want_arg(argc, argv, &a, "--parity", &v)) {
			if (v == NULL || (strcmp(v, "none") != 0 && strcmp(v, "even") != 0 &&
			    strcmp(v, "odd") != 0)) {
				fprintf(stderr, "atproof run: --parity is none, even or odd\n");
				return -1;
			}
			o->parity = (char)(v[0] == 'n' ? 'N' : v[0] == 'e' ? 'E' : 'O');
		} else if (want_arg(argc, argv, &a, "--flow", &v)) {
			if (v == NULL || (strcmp(v, "none") != 0 && strcmp(v, "rtscts") != 0 &&
			    strcmp(v, "xonxoff") != 0)) {
				fprintf(stderr, "atproof run: --flow is none, rtscts or xonxoff\n");
				return -1;
			}
			o->flow = v[0] == 'n' ? 0 : v[0] == 'r' ? 1 : 2;
		}
		else if (want_arg(argc, argv, &a, "--fault", &v))
			o->faults[o->nfaults++] = v;
		else if (want_arg(argc, argv, &a, "--firmware", &v))
			o->firmware = v;
		else if (want_arg(argc, argv, &a, "--tags", &v))
			o->tags = v;
		else if (want_arg(argc, argv, &a, "--capture", &v))
			o->capture = v;
		else if (want_arg(argc, argv, &a, "--root", &v))
			o->root = v;
		else if (want_arg(argc, argv, &a, "--cap", &v))
			o->caps[o->ncaps++] = v;
		else if (want_arg(argc, argv, &a, "--var", &v)) {
			if (v != NULL && add_var(vars, v, 0) < 0)
				return -1;
		} else if (want_arg(argc, argv, &a, "--secret", &v)) {
			if (v != NULL && add_var(vars, v, 1) < 0)
				return -1;
		} else if (want_arg(argc, argv, &a, "--baud", &v)) {
			uint64_t b;
			if (v != NULL && strcmp(v, "auto") == 0) {
				o->baud = HNS_BAUD_AUTO;
				continue;
			}
			if (v == NULL || atp_span_dec(atp_span_str(v), &b, 10000000) < 0 || b == 0) {
				fprintf(stderr, "atproof run: --baud wants a number or auto\n");
				return -1;
			}
			o->baud = (unsigned long)b;
			continue;
		} else if (want_arg(argc, argv, &a, "--databits", &v) ||
		    want_arg(argc, argv, &a, "--stopbits", &v)) {
			int stop = strncmp(arg, "--stopbits", 10) == 0;
			uint64_t b;
			if (v == NULL || atp_span_dec(atp_span_str(v), &b, 8) < 0 ||
			    (stop ? (b != 1 && b != 2) : b < 5)) {
				fprintf(stderr, "atproof run: %s\n", stop ? "--stopbits is 1 or 2" :
				    "--databits is 5, 6, 7 or 8");
				return -1;
			}
			if (stop)
				o->stopbits = (int)b;
			else
				o->databits = (int)b;
			continue;
		} else if (want_arg(argc, argv, &a, "--timeout-scale", &v)) {
			double x;
			if (v == NULL || hns_parse_number(atp_span_str(v), &x) < 0 || x <= 0 ||
			    x > 1000) {
				fprintf(stderr, "atproof run: --timeout-scale wants a number in "
				    "(0, 1000]\n");
				return -1;
			}
			o->scale = x;
			continue;
		} else if (want_arg(argc, argv, &a, "--report", &v)) {
			const char *colon = v != NULL ? strchr(v, ':') : NULL;
			char fmt[16];
			if (colon == NULL || (size_t)(colon - v) >= sizeof(fmt)) {
				fprintf(stderr, "atproof run: --report wants FORMAT:PATH\n");
				return -1;
			}
			memcpy(fmt, v, (size_t)(colon - v));
			fmt[colon - v] = '\0';
			if (rpt_format_parse(fmt) < 0) {
				fprintf(stderr, "atproof run: report format '%s' is not one of text, "
				    "json, junit, tap, html\n", fmt);
				return -1;
			}
			if (o->nreports >= REPORTS_MAX) {
				fprintf(stderr, "atproof run: more than %d --report\n", REPORTS_MAX);
				return -1;
			}
			o->rfmt[o->nreports] = v;
			o->rpath[o->nreports++] = colon + 1;
			continue;
		} else {
			fprintf(stderr, "atproof run: unknown option '%s'\n", arg);
			run_usage(stderr);
			return -1;
		}
		if (v == NULL) {
			fprintf(stderr, "atproof run: %s needs a value\n", arg);
			return -1;
		}
	}
	return 0;
}

/* Opens the serial device @dev with @sc: libserialport for real UARTs,
 * termios for what it cannot open (ptys: it looks devices up in
 * /sys/class/tty, DESIGN.md). */
static int
open_serial(const struct opts *o, const char *dev, const struct hns_serial_cfg *sc,
    struct hns_transport **t, struct atp_diag *d)
{
	int rc;

	if (strcmp(o->backend, "termios") != 0) {
		rc = hns_sp_open(dev, sc, t, d);
		if (rc == ATP_OK || strcmp(o->backend, "libserialport") == 0)
			return rc;
		atp_diag_clear(d);
	}
	return hns_tty_open(dev, sc, t, d);
}

#define PROBE_WAIT_US 500000u   /* AT+ answers in a few ms at any rate */

/*
 * One AT+ on @t: 1 if +OK came back, 0 if not, ATP_ERR_IO. What was
 * waiting before (a late answer to the rate before) is read away first.
 * A CR goes first: the Luat firmware drops a line that does not start
 * with AT+ up to its end (firmware §1.2), so the garbage of the rates
 * before would otherwise swallow the AT+ at the right one.
 */
static int
probe_once(struct hns_transport *t, struct atp_diag *d)
{
	static const char probe[] = "\rAT+\r";
	char buf[256];
	size_t got = 0;
	uint64_t end;
	long n;

	while ((n = t->ops->read(t, buf, sizeof(buf), 0, d)) > 0)
		;
	if (n < 0 || t->ops->write(t, probe, sizeof(probe) - 1, d) < 0)
		return ATP_ERR_IO;
	end = hns_now_us() + PROBE_WAIT_US;
	while (got + 1 < sizeof(buf)) {
		uint64_t now = hns_now_us();
		if (now >= end)
			break;
		n = t->ops->read(t, buf + got, sizeof(buf) - 1 - got, end - now, d);
		if (n < 0)
			return ATP_ERR_IO;
		got += (size_t)n;
		buf[got] = '\0';
		/* +OK at the start of a line: not inside garbage that happens
		 * to spell it mid-line. */
		if ((got >= 3 && memcmp(buf, "+OK", 3) == 0) || strstr(buf, "\n+OK") != NULL)
			return 1;
	}
	return 0;
}

/*
 * --baud auto: sends AT+ (the bare command, §2.2.1.1) at each rate of
 * hns_baud_rates and takes the first that answers +OK twice (once could
 * be a late answer to the rate before). At a wrong rate the module reads
 * framing garbage and answers nothing (or garbage), so only +OK decides.
 * @tried lists the rates tried.
 */
static int
probe_baud(const struct opts *o, const char *dev, struct hns_serial_cfg *sc, char *tried,
    size_t tsize, struct atp_diag *d)
{
	size_t i, tl = 0;

	tried[0] = '\0';
	for (i = 0; i < hns_nbaud_rates && !hns_stop; i++) {
		struct hns_transport *t = NULL;
		int ok;

		sc->baud = hns_baud_rates[i];
		if (tl + 12 < tsize)
			tl += (size_t)snprintf(tried + tl, tsize - tl, "%s%lu", i > 0 ? ", " : "",
			    sc->baud);
		atp_diag_clear(d);
		if (open_serial(o, dev, sc, &t, d) < 0) {
			/* A missing port fails at the first rate; a rate the
			 * adapter cannot do is skipped. */
			if (i == 0 && d->code != ATP_ERR_ARG)
				return d->code;
			continue;
		}
		ok = probe_once(t, d);
		if (ok == 1)
			ok = probe_once(t, d);
		hns_transport_close(t);
		if (ok < 0)
			return ok;
		if (ok == 1)
			return ATP_OK;
	}
	return atp_diag_set(d, ATP_ERR_NOTFOUND, "--baud auto: no answer to AT+ at %s baud",
	    tried);
}

/*
 * Opens the unit's transport. For --port, *@serial gets what the JSON
 * report says of the line (the report's "serial"): the device, the name
 * the user gave for it, the rate and whether --baud auto found it.
 */
static int
open_transport(const struct opts *o, struct hns_transport **t, json_t **serial)
{
	struct hns_serial_cfg sc;
	struct atp_diag d;
	char dev[4096], alias[4096], tried[160];
	int rc;

	sc.baud = o->baud;
	sc.parity = o->parity;
	sc.flow = o->flow;
	sc.databits = o->databits;
	sc.stopbits = o->stopbits;
	atp_diag_clear(&d);
	if (o->emulator) {
		struct hns_emu_opts eo;
		memset(&eo, 0, sizeof(eo));
		eo.profile = o->emu_profile;
		eo.world = o->world;
		eo.faults = o->faults;
		eo.nfaults = o->nfaults;
		eo.mac = o->mac;
		/* The emulator runs at the run's rate (--baud auto: the
		 * factory 115200), so a `baud` step that leaves it behind
		 * is not understood, as on a real module. */
		eo.baud = o->baud == HNS_BAUD_AUTO ? 115200ul : o->baud;
		rc = hns_emu_open(&eo, t, &d);
	} else if (o->tcp != NULL) {
		rc = hns_tcp_open(o->tcp, t, &d);
	} else {
		/* A by-id link or a usb: selector names the device. */
		rc = hns_port_resolve(o->port, dev, sizeof(dev), alias, sizeof(alias), &d);
		if (rc == ATP_OK && o->baud == HNS_BAUD_AUTO) {
			rc = probe_baud(o, dev, &sc, tried, sizeof(tried), &d);
			if (rc == ATP_OK)
				fprintf(stderr, "atproof run: %s answers at %lu baud (tried %s)\n",
				    dev, sc.baud, tried);
		}
		if (rc == ATP_OK)
			rc = open_serial(o, dev, &sc, t, &d);
		if (rc == ATP_OK)
			*serial = json_pack("{s:s, s:s?, s:I, s:b, s:s}", "device", dev, "name",
			    alias[0] != '\0' ? alias : NULL, "baud", (json_int_t)sc.baud, "baud_auto",
			    o->baud == HNS_BAUD_AUTO, "line", (*t)->desc);
		if (rc == ATP_OK && (alias[0] != '\0' || o->baud == HNS_BAUD_AUTO)) {
			/* The report names the device and what the user called
			 * it; the line settings say a rate was found. */
			size_t n = strlen(dev) + strlen(alias) + 4;
			char *nm = atp_malloc(n), *desc = atp_malloc(strlen((*t)->desc) + 24);
			if (nm == NULL || desc == NULL) {
				atp_free(nm);
				atp_free(desc);
				hns_transport_close(*t);
				*t = NULL;
				rc = atp_diag_set(&d, ATP_ERR_NOMEM, "out of memory");
			} else {
				if (alias[0] != '\0')
					snprintf(nm, n, "%s (%s)", dev, alias);
				else
					snprintf(nm, n, "%s", dev);
				snprintf(desc, strlen((*t)->desc) + 24, "%s%s", (*t)->desc,
				    o->baud == HNS_BAUD_AUTO ? " (baud auto)" : "");
				atp_free((*t)->name);
				atp_free((*t)->desc);
				(*t)->name = nm;
				(*t)->desc = desc;
			}
		}
	}
	if (rc < 0)
		fprintf(stderr, "atproof run: %s\n", d.msg);
	return rc;
}

/* "out/run.json" for unit "dut1": "out/run-dut1.json". */
static void
unit_path(const char *path, const char *unit, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash != NULL ? slash : path, '.');

	if (unit == NULL)
		snprintf(buf, size, "%s", path);
	else if (dot == NULL || dot == path || (slash != NULL && dot == slash + 1))
		snprintf(buf, size, "%s-%s", path, unit);
	else
		snprintf(buf, size, "%.*s-%s%s", (int)(dot - path), path, unit, dot);
}

/*
 * One unit: open its transport, run every scenario, write the reports.
 * @unit names it in a station (file names get "-<unit>"; reports to
 * standard output are the station's, not the unit's); @json_out, if
 * given, receives the JSON report too.
 */
static int
run_one(const struct opts *o, struct hns_scenario *const *sc, size_t nsc,
    const struct hns_vars *vars, const struct hns_run_opts *base, const char *unit,
    const char *json_out)
{
	struct hns_transport *t = NULL;
	struct hns_run_opts ro = *base;
	struct rpt_run *rep;
	char cap[4096];
	size_t i;
	int rc, ex;

	json_t *serial = NULL;

	if (open_transport(o, &t, &serial) < 0)
		return ATP_EXIT_ENV;
	rep = rpt_run_new("run");
	if (rep == NULL) {
		json_decref(serial);
		hns_transport_close(t);
		return ATP_EXIT_ENV;
	}
	if (serial != NULL) {
		rep->json_extra = json_object();
		if (rep->json_extra != NULL)
			json_object_set_new(rep->json_extra, "serial", serial);   /* takes it */
		else
			json_decref(serial);
	}
	if (o->capture != NULL) {
		unit_path(o->capture, unit, cap, sizeof(cap));
		ro.capture = cap;
	}
	ro.progress = unit == NULL && isatty(2);
	(void)rpt_set(&rep->transport, t->ops->name);
	(void)rpt_set(&rep->unit_name, unit);
	rc = hns_run(t, sc, nsc, vars, &ro, rep);
	hns_transport_close(t);
	if (rc < 0 && rc != ATP_ERR_IO) {
		fprintf(stderr, "atproof run: %s\n", atp_strerror(rc));
		rpt_run_free(rep);
		return ATP_EXIT_ENV;
	}
	rpt_run_finish(rep);
	ex = rpt_exit_code(rep);
	if (o->nreports == 0 && unit == NULL) {
		const char *nc = getenv("NO_COLOR");
		(void)rpt_write(rep, RPT_TEXT, stdout, isatty(1) && (nc == NULL || nc[0] == '\0'));
		fflush(stdout);
	}
	for (i = 0; i < o->nreports; i++) {
		char fmt[16], path[4096];
		size_t n = (size_t)(strchr(o->rfmt[i], ':') - o->rfmt[i]);
		memcpy(fmt, o->rfmt[i], n);
		fmt[n] = '\0';
		if (unit != NULL && strcmp(o->rpath[i], "-") == 0)
			continue;
		unit_path(o->rpath[i], unit, path, sizeof(path));
		if (rpt_write_path(rep, (enum rpt_format)rpt_format_parse(fmt), path) < 0) {
			fprintf(stderr, "atproof run: cannot write %s: %s\n", path, strerror(errno));
			if (ex == ATP_EXIT_PASS)
				ex = ATP_EXIT_ENV;
		}
	}
	if (json_out != NULL && rpt_write_path(rep, RPT_JSON, json_out) < 0 && ex == ATP_EXIT_PASS)
		ex = ATP_EXIT_ENV;
	rpt_run_free(rep);
	return ex;
}

/* The signal itself, so that the run can say which and exit 128 + it. */
static void
on_stop(int sig)
{
	hns_stop = sig;
}

/*
 * The station's JUnit file: one <testsuite> per unit (each unit's own
 * file, "-<unit>", holds it), so that CI shows every unit in one report.
 */
static int
merge_junit(const char *path, const struct hns_unit *u, size_t nu)
{
	FILE *out = fopen(path, "w");
	size_t i, len;
	char up[4096], *buf;
	int rc = 0;

	if (out == NULL)
		return -1;
	buf = atp_malloc(HNS_FILE_MAX * 4 + 1);
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"atproof "
	    "station\">\n");
	for (i = 0; buf != NULL && i < nu; i++) {
		FILE *f;
		char *a, *b;
		unit_path(path, u[i].name, up, sizeof(up));
		f = fopen(up, "r");
		if (f == NULL) {
			/* A unit that could not run still shows, as an error. */
			fprintf(out, "  <testsuite name=\"atproof run %s\" tests=\"1\" failures=\"0\" "
			    "errors=\"1\"><testcase name=\"unit %s\"><error message=\"the unit did "
			    "not run\"/></testcase></testsuite>\n", u[i].name, u[i].name);
			continue;
		}
		len = fread(buf, 1, HNS_FILE_MAX * 4, f);
		fclose(f);
		buf[len] = '\0';
		a = strstr(buf, "  <testsuite ");
		b = a != NULL ? strstr(a, "</testsuite>\n") : NULL;
		if (a != NULL && b != NULL)
			fwrite(a, 1, (size_t)(b - a) + 13, out);
	}
	fprintf(out, "</testsuites>\n");
	if (buf == NULL || ferror(out))
		rc = -1;
	if (fclose(out) != 0)
		rc = -1;
	atp_free(buf);
	return rc;
}

static int
exit_rank(int ex)
{
	switch (ex) {
	case ATP_EXIT_PASS: return 0;
	case ATP_EXIT_INCONC: return 1;
	case ATP_EXIT_FAIL: return 2;
	case ATP_EXIT_ENV: return 3;
	default: return 4;
	}
}

/*
 * A station: every unit runs the same scenarios in its own process, in
 * parallel, with its own transport (an emulator each where asked), capture
 * and reports ("-<unit>" in file names). The station's summary has one line
 * (and one JSON entry) per unit with its MAC, firmware and verdict; the
 * exit code is the worst unit's.
 */
static int
run_station(const struct opts *o, struct hns_scenario *const *sc, size_t nsc,
    const struct hns_vars *vars, const struct hns_run_opts *ro)
{
	struct hns_unit *u = NULL;
	char dir[] = "/tmp/atproof-station-XXXXXX", jpath[128], *buf = NULL;
	size_t nu = 0, len = 0, i;
	pid_t *pids = NULL;
	int *codes = NULL, nerr = 0, ex = ATP_EXIT_PASS, rc;
	FILE *f;
	json_t *sum = NULL, *units = NULL, *cases = NULL, *finds = NULL;

	f = fopen(o->station, "r");
	if (f == NULL) {
		fprintf(stderr, "atproof run: %s: %s\n", o->station, strerror(errno));
		return ATP_EXIT_USAGE;
	}
	buf = atp_malloc(HNS_FILE_MAX + 1);
	if (buf != NULL)
		len = fread(buf, 1, HNS_FILE_MAX + 1, f);
	fclose(f);
	if (buf == NULL || len > HNS_FILE_MAX) {
		fprintf(stderr, "atproof run: %s: too large or out of memory\n", o->station);
		atp_free(buf);
		return ATP_EXIT_USAGE;
	}
	rc = hns_station_load(o->station, buf, len, &u, &nu, print_msg, &nerr);
	atp_free(buf);
	if (rc < 0)
		return rc == ATP_ERR_NOMEM ? ATP_EXIT_ENV : ATP_EXIT_USAGE;
	pids = atp_calloc(nu, sizeof(*pids));
	codes = atp_calloc(nu, sizeof(*codes));
	if (pids == NULL || codes == NULL || mkdtemp(dir) == NULL) {
		fprintf(stderr, "atproof run: cannot set the station up: %s\n", strerror(errno));
		ex = ATP_EXIT_ENV;
		goto out;
	}
	fflush(NULL);
	for (i = 0; i < nu; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			codes[i] = ATP_EXIT_ENV;
			continue;
		}
		if (pids[i] == 0) {
			struct opts uo = *o;
			(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
			uo.station = NULL;
			uo.port = u[i].port;
			uo.tcp = u[i].tcp;
			uo.emulator = u[i].emulator != NULL;
			uo.emu_profile = u[i].emulator;
			uo.baud = u[i].baud;
			if (u[i].parity != 0)
				uo.parity = u[i].parity;
			if (u[i].flow >= 0)
				uo.flow = u[i].flow;
			if (u[i].databits != 0)
				uo.databits = u[i].databits;
			if (u[i].stopbits != 0)
				uo.stopbits = u[i].stopbits;
			uo.mac = u[i].mac[0] != '\0' ? u[i].mac : NULL;
			snprintf(jpath, sizeof(jpath), "%s/unit-%zu.json", dir, i);
			rc = run_one(&uo, sc, nsc, vars, ro, u[i].name, jpath);
			fflush(NULL);
			/* Our copies of the parent's lists: freed so that memcheck
			 * sees a clean unit process (make valgrind). */
			hns_units_free(u, nu);
			atp_free(pids);
			atp_free(codes);
			_exit(rc);
		}
	}
	for (i = 0; i < nu; i++) {
		int st = 0;
		pid_t w;
		if (pids[i] <= 0)
			continue;
		/* A signal to the station is passed on to every unit, which then
		 * ends its run and writes its reports. */
		while ((w = waitpid(pids[i], &st, 0)) < 0 && errno == EINTR) {
			size_t k;
			if (hns_stop)
				for (k = 0; k < nu; k++)
					if (pids[k] > 0)
						(void)kill(pids[k], SIGTERM);
		}
		if (w < 0 || !WIFEXITED(st))
			codes[i] = ATP_EXIT_ENV;
		else
			codes[i] = WEXITSTATUS(st);
		if (exit_rank(codes[i]) > exit_rank(ex))
			ex = codes[i];
	}

	/* The summary, per unit; the units' own reports have the details. */
	sum = json_object();
	units = json_array();
	cases = json_array();
	finds = json_array();
	for (i = 0; i < nu; i++) {
		json_t *j, *ju = json_object(), *unit, *c, *fd;
		size_t k;
		const char *verdict = "error", *mac = NULL, *fw = NULL;
		snprintf(jpath, sizeof(jpath), "%s/unit-%zu.json", dir, i);
		j = json_load_file(jpath, 0, NULL);
		(void)unlink(jpath);
		if (j != NULL) {
			verdict = json_string_value(json_object_get(j, "verdict"));
			unit = json_object_get(j, "unit");
			mac = json_string_value(json_object_get(unit, "mac"));
			fw = json_string_value(json_object_get(unit, "firmware"));
			json_array_foreach(json_object_get(j, "cases"), k, c) {
				json_t *cc = json_deep_copy(c);
				json_object_set_new(cc, "unit", json_string(u[i].name));
				json_array_append_new(cases, cc);
			}
			json_array_foreach(json_object_get(j, "findings"), k, fd) {
				json_t *fc = json_deep_copy(fd);
				json_object_set_new(fc, "unit", json_string(u[i].name));
				json_array_append_new(finds, fc);
			}
		}
		json_object_set_new(ju, "name", json_string(u[i].name));
		json_object_set_new(ju, "port", json_string(u[i].port != NULL ? u[i].port :
		    u[i].tcp != NULL ? u[i].tcp : u[i].emulator));
		json_object_set_new(ju, "verdict", json_string(verdict != NULL ? verdict : "error"));
		json_object_set_new(ju, "exit", json_integer(codes[i]));
		json_object_set_new(ju, "mac", mac != NULL ? json_string(mac) : json_null());
		json_object_set_new(ju, "firmware", fw != NULL ? json_string(fw) : json_null());
		json_object_set_new(ju, "stats", j != NULL ? json_deep_copy(json_object_get(j, "stats")) :
		    json_null());
		json_array_append_new(units, ju);
		if (o->nreports == 0)
			printf("%-6s unit %-12s %-22s mac %-14s firmware %s (exit %d)\n",
			    verdict != NULL ? verdict : "error", u[i].name,
			    u[i].port != NULL ? u[i].port : u[i].tcp != NULL ? u[i].tcp : "emulator",
			    mac != NULL ? mac : "?", fw != NULL ? fw : "?", codes[i]);
		json_decref(j);
	}
	json_object_set_new(sum, "tool", json_string("run"));
	json_object_set_new(sum, "verdict", json_string(ex == ATP_EXIT_PASS ? "pass" :
	    ex == ATP_EXIT_FAIL ? "fail" : ex == ATP_EXIT_INCONC ? "inconc" : "error"));
	json_object_set_new(sum, "station", json_string(o->station));
	json_object_set_new(sum, "units", units);
	json_object_set_new(sum, "cases", cases);
	json_object_set_new(sum, "findings", finds);
	{
		json_t *st = json_object();
		json_object_set_new(st, "units", json_integer((json_int_t)nu));
		json_object_set_new(st, "cases", json_integer((json_int_t)json_array_size(cases)));
		json_object_set_new(sum, "stats", st);
	}
	if (o->nreports == 0)
		printf("%s: %zu units\n", ex == ATP_EXIT_PASS ? "PASS" : "NOT PASS", nu);
	for (i = 0; i < o->nreports; i++) {
		if (strncmp(o->rfmt[i], "junit:", 6) == 0 && strcmp(o->rpath[i], "-") != 0 &&
		    merge_junit(o->rpath[i], u, nu) < 0) {
			fprintf(stderr, "atproof run: cannot write %s\n", o->rpath[i]);
			if (ex == ATP_EXIT_PASS)
				ex = ATP_EXIT_ENV;
		}
		/* The station's page: its units, their measurements, links to
		 * each unit's own page. */
		if (strncmp(o->rfmt[i], "html:", 5) == 0 && strcmp(o->rpath[i], "-") != 0) {
			FILE *hf = fopen(o->rpath[i], "w");
			rc = hf == NULL ? -1 : rpt_write_station_html(sum, o->rpath[i], hf);
			if (hf != NULL && fclose(hf) != 0)
				rc = -1;
			if (rc < 0) {
				fprintf(stderr, "atproof run: cannot write %s\n", o->rpath[i]);
				if (ex == ATP_EXIT_PASS)
					ex = ATP_EXIT_ENV;
			}
		}
		if (strncmp(o->rfmt[i], "json:", 5) != 0)
			continue;
		if (strcmp(o->rpath[i], "-") == 0)
			rc = json_dumpf(sum, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		else
			rc = json_dump_file(sum, o->rpath[i], JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (rc < 0) {
			fprintf(stderr, "atproof run: cannot write %s\n", o->rpath[i]);
			if (ex == ATP_EXIT_PASS)
				ex = ATP_EXIT_ENV;
		}
	}
	fflush(stdout);
out:
	json_decref(sum);
	if (dir[sizeof(dir) - 7] != 'X')
		(void)rmdir(dir);
	atp_free(pids);
	atp_free(codes);
	hns_units_free(u, nu);
	return ex;
}

int
hns_run_cli(int argc, char **argv)
{
	struct opts o;
	struct hns_vars vars;
	struct hns_files files;
	struct hns_scenario **sc = NULL;
	struct hns_run_opts ro;
	struct atp_diag d;
	const char **names = NULL;
	size_t i, nsc = 0, ntransports;
	int rc, nerr = 0, ex = ATP_EXIT_USAGE;

	memset(&ro, 0, sizeof(ro));
	memset(&o, 0, sizeof(o));
	memset(&vars, 0, sizeof(vars));
	memset(&files, 0, sizeof(files));
	o.identify = 1;
	o.baud = 115200;
	o.backend = "auto";
	o.parity = 'N';
	o.scale = 1.0;
	o.faults = atp_calloc((size_t)argc + 1, sizeof(*o.faults));
	o.caps = atp_calloc((size_t)argc + 8, sizeof(*o.caps));
	o.paths = atp_calloc((size_t)argc + 1, sizeof(*o.paths));
	if (o.faults == NULL || o.caps == NULL || o.paths == NULL) {
		fprintf(stderr, "atproof run: out of memory\n");
		ex = ATP_EXIT_ENV;
		goto out;
	}
	rc = parse_opts(argc, argv, &o, &vars);
	if (rc != 0) {
		ex = rc > 0 ? ATP_EXIT_PASS : ATP_EXIT_USAGE;
		goto out;
	}
	ntransports = (size_t)((o.port != NULL) + (o.tcp != NULL) + (o.emulator != 0) +
	    (o.station != NULL));
	if (ntransports != 1 || o.npaths == 0) {
		fprintf(stderr, "atproof run: %s\n", o.npaths == 0 ? "no scenario given" :
		    "give exactly one of --port, --tcp, --emulator, --station");
		run_usage(stderr);
		goto out;
	}
	if ((o.world != NULL || o.nfaults > 0) && !o.emulator && o.station == NULL) {
		fprintf(stderr, "atproof run: --world and --fault go with --emulator\n");
		goto out;
	}
	if (o.firmware != NULL) {
		ro.prof = atp_profile_find(o.firmware);
		if (ro.prof == NULL) {
			fprintf(stderr, "atproof run: no firmware profile '%s' (manual, luat, g3)\n",
			    o.firmware);
			goto out;
		}
		/* The profile's name is a capability: requires: [profile:luat]. */
		{
			static char capbuf[64];
			snprintf(capbuf, sizeof(capbuf), "profile:%s", ro.prof->name);
			o.caps[o.ncaps++] = capbuf;
		}
	}
	if (o.emu_profile != NULL && atp_profile_find(o.emu_profile) == NULL) {
		fprintf(stderr, "atproof run: no firmware profile '%s' for the emulator\n",
		    o.emu_profile);
		goto out;
	}
	if (o.tags != NULL) {
		int dummy;
		atp_diag_clear(&d);
		if (hns_tags_match(o.tags, NULL, 0, &dummy, &d) < 0) {
			fprintf(stderr, "atproof run: %s\n", d.msg);
			goto out;
		}
	}
	atp_diag_clear(&d);
	if (atp_model_init(&d) < 0) {
		fprintf(stderr, "atproof run: protocol model: %s\n", d.msg);
		ex = ATP_EXIT_ENV;
		goto out;
	}

	/* Load every scenario before touching the port: a bad file is exit 2
	 * without a byte sent. */
	if (hns_collect(o.paths, o.npaths, &files, &d) < 0) {
		fprintf(stderr, "atproof run: %s\n", d.msg);
		goto out;
	}
	names = atp_calloc(vars.n + 1, sizeof(*names));
	sc = atp_calloc(files.n + 1, sizeof(*sc));
	if (names == NULL || sc == NULL) {
		fprintf(stderr, "atproof run: out of memory\n");
		ex = ATP_EXIT_ENV;
		goto out;
	}
	for (i = 0; i < vars.n; i++)
		names[i] = vars.v[i].name;
	for (i = 0; i < files.n; i++) {
		struct hns_load_opts lo;
		if (hns_is_library(files.path[i]))
			continue;
		memset(&lo, 0, sizeof(lo));
		lo.vars = names;
		lo.nvars = vars.n;
		lo.root = o.root != NULL ? o.root : files.root[i];
		if (hns_scenario_load(files.path[i], &lo, print_msg, &nerr, &sc[nsc]) == ATP_OK)
			nsc++;
	}
	if (nerr > 0 || nsc == 0) {
		fprintf(stderr, "atproof run: %s\n", nsc == 0 && nerr == 0 ?
		    "no scenario files (*.yaml, *.yml) found" : "invalid scenario; nothing was run");
		goto out;
	}

	(void)signal(SIGPIPE, SIG_IGN);
	/* A file size limit (ulimit -f) must fail the write with EFBIG, which
	 * the capture writer reports, rather than kill the run. */
	(void)signal(SIGXFSZ, SIG_IGN);
	{
		/* No SA_RESTART: a wait in poll() returns at once and the runner
		 * sees hns_stop; the emulator and peers are stopped on the way out. */
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGINT, &sa, NULL);
		(void)sigaction(SIGTERM, &sa, NULL);
	}
	ro.tags = o.tags;
	ro.caps = o.caps;
	ro.ncaps = o.ncaps;
	ro.identify = o.identify;
	ro.timeout_scale = o.scale;
	ro.lenient = o.lenient;
	if (o.station != NULL)
		ex = run_station(&o, sc, nsc, &vars, &ro);
	else
		ex = run_one(&o, sc, nsc, &vars, &ro, NULL, NULL);
	/* Interrupted (reports and capture finished): 128 + the signal, the
	 * shell's convention, 130 for SIGINT and 143 for SIGTERM. */
	if (hns_stop != 0) {
		ex = ATP_EXIT_SIGNAL + hns_stop;
		fprintf(stderr, "atproof run: interrupted by %s; reports and capture written "
		    "(exit %d)\n", hns_stop == SIGINT ? "SIGINT" : "SIGTERM", ex);
	}
out:
	for (i = 0; i < nsc; i++)
		hns_scenario_free(sc[i]);
	atp_free(sc);
	atp_free(names);
	hns_files_free(&files);
	hns_vars_clear(&vars);
	atp_free(o.faults);
	atp_free(o.caps);
	atp_free(o.paths);
	return ex;
}
