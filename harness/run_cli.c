/* SPDX-License-Identifier: MIT */
/* \summary: atproof run: options, scenario loading, transports, reports */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "harness/hns_run.h"

#define REPORTS_MAX 16

static void
run_usage(FILE *f)
{
	fprintf(f,
	    "usage: atproof run (--port DEVICE | --tcp HOST:PORT | --emulator[=PROFILE])\n"
	    "                   [options] SCENARIO|DIR...\n"
	    "\n"
	    "Runs conformance scenarios (docs/scenarios.md) against a module or the emulator.\n"
	    "\n"
	    "Transport (one of):\n"
	    "  --port DEVICE        a serial device or pty (termios)\n"
	    "  --tcp HOST:PORT      raw serial over TCP (ser2net style)\n"
	    "  --emulator[=PROFILE] start `atproof emu` on a private pty (manual by default)\n"
	    "  --world FILE         with --emulator: the emulator's world file\n"
	    "  --fault NAME[=VALUE] with --emulator: an emulator fault (repeatable)\n"
	    "  --baud N             line speed (default 115200)\n"
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
	    "\n"
	    "Variables:\n"
	    "  --var NAME=VALUE     set ${NAME} (repeatable)\n"
	    "  --secret NAME=VALUE  same, and mask VALUE as *** in every output\n"
	    "  --root DIR           includes and data files must stay under DIR\n"
	    "\n"
	    "Output:\n"
	    "  --capture FILE       write the UART traffic as pcapng as the run goes\n"
	    "  --report FMT:PATH    text, json, junit, tap or html; PATH - is stdout\n"
	    "                       (repeatable);\n"
	    "                       default: text on stdout\n"
	    "\n"
	    "Exit: 0 conforms, 1 a failure, 2 bad scenario or usage, 3 port missing or\n"
	    "vanished, 4 inconclusive only.\n");
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
	const char *backend;
	int emulator, identify;
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
			if (v == NULL || atp_span_dec(atp_span_str(v), &b, 10000000) < 0) {
				fprintf(stderr, "atproof run: --baud wants a number\n");
				return -1;
			}
			o->baud = (unsigned long)b;
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

static int
open_transport(const struct opts *o, struct hns_transport **t)
{
	struct atp_diag d;
	int rc;

	atp_diag_clear(&d);
	if (o->emulator) {
		struct hns_emu_opts eo;
		memset(&eo, 0, sizeof(eo));
		eo.profile = o->emu_profile;
		eo.world = o->world;
		eo.faults = o->faults;
		eo.nfaults = o->nfaults;
		rc = hns_emu_open(&eo, t, &d);
	} else if (o->tcp != NULL) {
		rc = hns_tcp_open(o->tcp, t, &d);
	} else {
		/* libserialport for real UARTs; termios for what it cannot open
		 * (ptys: it looks devices up in /sys/class/tty, DESIGN.md). */
		if (strcmp(o->backend, "termios") != 0) {
			rc = hns_sp_open(o->port, o->baud, t, &d);
			if (rc == ATP_OK || strcmp(o->backend, "libserialport") == 0) {
				if (rc < 0)
					fprintf(stderr, "atproof run: %s\n", d.msg);
				return rc;
			}
			atp_diag_clear(&d);
		}
		rc = hns_tty_open(o->port, o->baud, t, &d);
	}
	if (rc < 0)
		fprintf(stderr, "atproof run: %s\n", d.msg);
	return rc;
}

int
hns_run_cli(int argc, char **argv)
{
	struct opts o;
	struct hns_vars vars;
	struct hns_files files;
	struct hns_scenario **sc = NULL;
	struct hns_transport *t = NULL;
	struct hns_run_opts ro;
	struct rpt_run *rep = NULL;
	struct atp_diag d;
	const char **names = NULL;
	size_t i, nsc = 0, ntransports;
	int rc, nerr = 0, ex = ATP_EXIT_USAGE;

	memset(&o, 0, sizeof(o));
	memset(&vars, 0, sizeof(vars));
	memset(&files, 0, sizeof(files));
	o.identify = 1;
	o.baud = 115200;
	o.backend = "auto";
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
	ntransports = (size_t)((o.port != NULL) + (o.tcp != NULL) + (o.emulator != 0));
	if (ntransports != 1 || o.npaths == 0) {
		fprintf(stderr, "atproof run: %s\n", o.npaths == 0 ? "no scenario given" :
		    "give exactly one of --port, --tcp, --emulator");
		run_usage(stderr);
		goto out;
	}
	if ((o.world != NULL || o.nfaults > 0) && !o.emulator) {
		fprintf(stderr, "atproof run: --world and --fault go with --emulator\n");
		goto out;
	}
	memset(&ro, 0, sizeof(ro));
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
	if (open_transport(&o, &t) < 0) {
		ex = ATP_EXIT_ENV;
		goto out;
	}
	rep = rpt_run_new("run");
	if (rep == NULL) {
		ex = ATP_EXIT_ENV;
		goto out;
	}
	ro.tags = o.tags;
	ro.caps = o.caps;
	ro.ncaps = o.ncaps;
	ro.capture = o.capture;
	ro.identify = o.identify;
	ro.progress = isatty(2);
	ro.timeout_scale = o.scale;
	(void)rpt_set(&rep->transport, t->ops->name);
	rc = hns_run(t, sc, nsc, &vars, &ro, rep);
	hns_transport_close(t);
	t = NULL;
	if (rc < 0 && rc != ATP_ERR_IO) {
		fprintf(stderr, "atproof run: %s\n", atp_strerror(rc));
		ex = ATP_EXIT_ENV;
		goto out;
	}
	rpt_run_finish(rep);
	ex = rpt_exit_code(rep);
	if (o.nreports == 0) {
		const char *nc = getenv("NO_COLOR");
		(void)rpt_write(rep, RPT_TEXT, stdout, isatty(1) && (nc == NULL || nc[0] == '\0'));
		fflush(stdout);
	}
	for (i = 0; i < o.nreports; i++) {
		char fmt[16];
		size_t n = (size_t)(strchr(o.rfmt[i], ':') - o.rfmt[i]);
		memcpy(fmt, o.rfmt[i], n);
		fmt[n] = '\0';
		if (rpt_write_path(rep, (enum rpt_format)rpt_format_parse(fmt), o.rpath[i]) < 0) {
			fprintf(stderr, "atproof run: cannot write %s: %s\n", o.rpath[i],
			    strerror(errno));
			if (ex == ATP_EXIT_PASS)
				ex = ATP_EXIT_ENV;
		}
	}
out:
	hns_transport_close(t);
	for (i = 0; i < nsc; i++)
		hns_scenario_free(sc[i]);
	atp_free(sc);
	atp_free(names);
	hns_files_free(&files);
	rpt_run_free(rep);
	hns_vars_clear(&vars);
	atp_free(o.faults);
	atp_free(o.caps);
	atp_free(o.paths);
	return ex;
}
