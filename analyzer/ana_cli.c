/* SPDX-License-Identifier: MIT */
/* \summary: 'atproof analyze': options, inputs, reports, exit code */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "analyzer/ana.h"
#include "analyzer/net.h"
#include "atproof/cmd.h"
#include "atproof/cursor.h"
#include "atproof/err.h"
#include "atproof/profile.h"
#include "cli/cli.h"
#include "reports/rpt.h"

/*
 * Each FILE is decoded as its own session (its own host and module
 * streams), except "to:A from:B", two one-way raw files of one session;
 * the findings of all of them make one report. Exit codes are
 * those of DESIGN.md: 0 conforms, 1 a failure, 2 a usage error or an
 * input that cannot be opened or read (a missing file is the user's
 * mistake, not the environment's), 3 out of memory or a report that
 * cannot be written, 4 nothing failed but something is undecided.
 */

#define REPORTS_MAX 8

static int
analyze_pair(struct ana_report *rep, const char *a, const char *b,
    const struct ana_session_opts *so, struct atp_diag *d)
{
	struct ana_imp *ia = NULL, *ib = NULL;
	struct ana_session *s = NULL;
	const char *na, *nb;
	int rc;

	/* a is "to:" (the host's), b "from:" (the module's). */
	if ((rc = ana_imp_open(a, ANA_FMT_RAW, NULL, &ia, d)) != ATP_OK)
		return rc;
	if ((rc = ana_imp_open(b, ANA_FMT_RAW, NULL, &ib, d)) != ATP_OK) {
		ana_imp_close(ia);
		return rc;
	}
	rep->format = "raw";
	na = ana_report_file(rep, a + 3, "raw");
	nb = ana_report_file(rep, b + 5, "raw");
	rc = na == NULL || nb == NULL ? ATP_ERR_NOMEM : ana_session_new(so, rep, &s);
	if (rc == ATP_OK) {
		rep->st.files += 2;
		rc = ana_pair_feed(s, ia, ib, na, nb, d);
		if (rc == ATP_OK)
			rc = ana_session_end(s);
	}
	if (rc == ATP_ERR_NOMEM)
		atp_diag_set(d, rc, "out of memory");
	ana_session_free(s);
	ana_imp_close(ia);
	ana_imp_close(ib);
	return rc;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: atproof analyze [--format FMT] [--firmware PROFILE] [--limit CMD=MS]...\n"
	    "                       [--net FILE.pcap] [--report FORMAT:PATH]...\n"
	    "                       [--baseline OLD.json] FILE...\n"
	    "  FMT: auto pcapng raw arrows sscom socat jpnevulator interceptty term saleae\n"
	    "       sigrok hexdump usbmon regex:PATTERN (named groups ts, dir, data or hex)\n"
	    "  raw: FILE is one stream with no direction; to:FILE / from:FILE give it,\n"
	    "       and 'to:HOST.bin from:MODULE.bin' together make one session\n"
	    "  --limit CMD=MS: a finding when CMD takes longer (CMD '*': every command)\n"
	    "  --net FILE.pcap: a network capture of the same run (Ethernet, Linux cooked,\n"
	    "       raw IP); sockets, SKSND/SKRCV/+SKTRPT bytes and MQTT are matched to it\n"
	    "  FORMAT: text json junit tap html ('-' as PATH: standard output)\n"
	    "  --baseline OLD.json: then compare the JSON report with OLD.json as atproof\n"
	    "       diff does and print the differences; exit 1 only when this one is worse\n");
}

static int
opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		*val = NULL;
		return 1;
	}
	*val = argv[++*i];
	return 1;
}

static int
parse_limit(struct ana_report *rep, const char *v)
{
	const char *eq = strchr(v, '=');
	uint64_t ms;
	char name[ATP_NAME_MAX + 2];
	struct ana_lat *l;

	if (eq == NULL || eq == v || (size_t)(eq - v) > ATP_NAME_MAX ||
	    atp_span_dec(atp_span_str(eq + 1), &ms, 3600u * 1000u) != ATP_OK)
		return ATP_ERR_SYNTAX;
	snprintf(name, sizeof(name), "%.*s", (int)(eq - v), v);
	if (strcmp(name, "*") == 0) {
		rep->limit_all_us = ms * 1000u;
		return ATP_OK;
	}
	if (strncmp(name, "AT+", 3) == 0 || strncmp(name, "at+", 3) == 0)
		memmove(name, name + 3, strlen(name + 3) + 1);
	if (atp_cmd_find_str(name) == NULL)
		return ATP_ERR_NOTFOUND;
	l = ana_report_lat(rep, atp_cmd_find_str(name)->name);
	if (l == NULL)
		return ATP_ERR_NOMEM;
	l->limit_us = ms * 1000u;
	return ATP_OK;
}

/* A finding about an input as a whole (not about the session in it). */
static int input_finding(struct ana_report *rep, const char *rule, enum atp_severity sev,
    const char *file, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int
input_finding(struct ana_report *rep, const char *rule, enum atp_severity sev, const char *file,
    uint64_t offset, const char *fmt, ...)
{
	struct ana_finding f;
	va_list ap;

	memset(&f, 0, sizeof(f));
	f.rule = rule;
	f.severity = sev;
	f.verdict = ATP_V_INCONC;
	f.file = file;
	f.offset = offset;
	va_start(ap, fmt);
	vsnprintf(f.message, sizeof(f.message), fmt, ap);
	va_end(ap);
	return ana_report_add(rep, &f);
}

/* Interfaces of a pcapng decoded as sessions of their own (more share the
 * last one). */
#define IF_SESSIONS 8

/* Decodes one input; returns ATP_OK, or an error with @d set. */
static int
analyze_file(struct ana_report *rep, const char *path, enum ana_fmt fmt, const char *regex,
    const struct ana_session_opts *so, struct atp_diag *d)
{
	struct ana_imp *im = NULL;
	struct ana_session *ss[IF_SESSIONS] = { NULL };
	const char *names[IF_SESSIONS] = { NULL };
	struct atp_rec rec;
	const char *name;
	unsigned long before;
	struct ana_session_opts fo;
	struct ana_src src;
	enum ana_fmt got;
	size_t k;
	int rc;

	rc = ana_imp_open(path, fmt, regex, &im, d);
	if (rc != ATP_OK)
		return rc;
	got = ana_imp_format(im);
	rep->format = ana_fmt_name(got);
	/* Findings name the file, not the direction prefix of raw inputs. */
	if (strncmp(path, "to:", 3) == 0)
		path += 3;
	else if (strncmp(path, "from:", 5) == 0)
		path += 5;
	name = names[0] = ana_report_file(rep, path, ana_fmt_name(got));
	fo = *so;
	/* SKSND payload is then kept as where it is in the file (net.h). */
	fo.src = ana_imp_source(im, &src) ? &src : NULL;
	/* The manual's notation, host debug logs and terminal logs show the
	 * lines, not the echoes: the echo state cannot be judged from them. */
	fo.notation = got == ANA_FMT_ARROWS || got == ANA_FMT_REGEX || got == ANA_FMT_TERM;
	if (name == NULL) {
		ana_imp_close(im);
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	}
	rep->st.files++;
	before = rep->st.records;
	for (;;) {
		rc = ana_imp_next(im, &rec, d);
		if (rc <= 0)
			break;
		k = ana_imp_ifidx(im);
		if (k >= IF_SESSIONS)
			k = IF_SESSIONS - 1;
		if (ss[k] == NULL) {
			/* Another UART of the capture: "FILE#ifN" in findings. */
			if (k > 0) {
				char nm[4096];
				snprintf(nm, sizeof(nm), "%s#if%zu", path, k);
				names[k] = ana_report_file(rep, nm, ana_fmt_name(got));
			}
			if (names[k] == NULL || ana_session_new(&fo, rep, &ss[k]) != ATP_OK) {
				rc = ATP_ERR_NOMEM;
				atp_diag_set(d, rc, "out of memory");
				break;
			}
		}
		/* Findings name the interned copy, which outlives the reader. */
		rec.src_file = names[k];
		rc = ana_session_feed(ss[k], &rec);
		if (rc != ATP_OK) {
			atp_diag_set(d, rc, "out of memory");
			break;
		}
	}
	if (rc == ATP_ERR_SYNTAX || rc == ATP_ERR_UNSUPP || rc == ATP_ERR_LIMIT) {
		/* A corrupt or cut capture: what came before it is analyzed,
		 * and the report says the input is incomplete. */
		rc = input_finding(rep, "input-corrupt", ATP_SEV_ERROR, name,
		    d != NULL ? d->offset : 0, "%s", d != NULL ? d->msg : "corrupt input");
		if (d != NULL)
			atp_diag_clear(d);
	}
	/* A network capture given as a UART one: say so rather than pass on
	 * no data. */
	if ((rc == 0 || rc == 1) && ana_imp_linktype(im) != 0)
		rc = input_finding(rep, "input-linktype", ATP_SEV_WARNING, name, 0,
		    "%s: %lu records of link type %d are not UART bytes and were skipped (a "
		    "network capture is for --net)", name, ana_imp_skipped(im), ana_imp_linktype(im));
	/* The UART itself was bad (wrong baud rate, noise): what the protocol
	 * rules say of those bytes is not sure. */
	if ((rc == 0 || rc == 1) && ana_imp_line_errors(im) > 0)
		rc = input_finding(rep, "uart-errors", ATP_SEV_WARNING, name, 0,
		    "%s: %lu bytes decoded with a parity or framing error (baud rate or format "
		    "wrong, or a noisy line)", name, ana_imp_line_errors(im));
	/* A transfer the capture tool kept less of than went over the line
	 * (usbmon's text, a pcap's snap length) is named where it is by the
	 * session (input-cut), and what it touches is undecided there. */
	/* Nothing read is no pass: most often the wrong --format. */
	if ((rc == 0 || rc == 1) && rep->st.records == before && ana_imp_linktype(im) == 0)
		rc = input_finding(rep, "input-empty", ATP_SEV_WARNING, name, 0,
		    "%s: no record read as %s (%lu lines or records skipped): an empty input, or "
		    "another format", name, ana_fmt_name(got), ana_imp_skipped(im));
	/* A session that never got a record still ends (nothing pending). */
	if ((rc == 0 || rc == 1) && ss[0] == NULL && ana_session_new(&fo, rep, &ss[0]) != ATP_OK)
		rc = ATP_ERR_NOMEM;
	for (k = 0; k < IF_SESSIONS; k++) {
		if (ss[k] != NULL && (rc == 0 || rc == 1))
			rc = ana_session_end(ss[k]);
		ana_session_free(ss[k]);
	}
	if (rc == 1)
		rc = ATP_OK;
	rep->st.skipped_lines += ana_imp_skipped(im);
	ana_imp_close(im);
	return rc;
}

/* Every format goes through the shared model of reports/ (ana_rpt.c). */
static int
write_report(const struct rpt_run *run, const char *spec)
{
	const char *colon = strchr(spec, ':');
	const char *path;
	char fmt[8];
	int rf;

	if (colon == NULL || (size_t)(colon - spec) >= sizeof(fmt))
		return ATP_ERR_SYNTAX;
	snprintf(fmt, sizeof(fmt), "%.*s", (int)(colon - spec), spec);
	path = colon + 1;
	rf = rpt_format_parse(fmt);
	if (rf < 0)
		return ATP_ERR_UNSUPP;
	if (rpt_write_path(run, (enum rpt_format)rf, path) != 0) {
		fprintf(stderr, "atproof analyze: %s: %s\n", strcmp(path, "-") == 0 ?
		    "standard output" : path, strerror(errno));
		return ATP_ERR_IO;
	}
	return ATP_OK;
}

int
ana_cli(int argc, char **argv)
{
	struct ana_report rep;
	struct ana_session_opts so;
	struct atp_diag d;
	enum ana_fmt fmt = ANA_FMT_AUTO;
	const char *regex = NULL, *val, *reports[REPORTS_MAX], *net_path = NULL;
	struct ana_net *net = NULL;
	struct rpt_run *run = NULL;
	size_t nreports = 0;
	int i, nfiles = 0, input_error = 0, rc, code;
	char buf[ATP_DIAG_MSG_MAX + 64];

	ana_report_init(&rep);
	memset(&so, 0, sizeof(so));
	atp_diag_clear(&d);
	if (atp_model_init(&d) != ATP_OK) {
		fprintf(stderr, "atproof analyze: %s\n", atp_diag_format(&d, buf, sizeof(buf)));
		return ATP_EXIT_ENV;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			ana_report_free(&rep);
			return ATP_EXIT_PASS;
		}
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			break;
		if (opt_value(argc, argv, &i, "--format", &val)) {
			if (val == NULL || ana_fmt_parse(val, &fmt, &regex) != ATP_OK) {
				fprintf(stderr, "atproof analyze: unknown --format '%s'\n",
				    val != NULL ? val : "");
				goto usage_err;
			}
		} else if (opt_value(argc, argv, &i, "--firmware", &val)) {
			if (val == NULL || (so.prof = atp_profile_find(val)) == NULL) {
				fprintf(stderr, "atproof analyze: unknown firmware profile '%s'\n",
				    val != NULL ? val : "");
				goto usage_err;
			}
			rep.profile = so.prof->name;
			/* LUAT skips a whole line of garbage before a command
			 * (w600-firmware.md §1.2). */
			so.skip_line_garbage = (so.prof->bit & ATP_PROFILE_LUAT) != 0;
		} else if (opt_value(argc, argv, &i, "--report", &val)) {
			if (val == NULL || nreports == REPORTS_MAX || strchr(val, ':') == NULL) {
				fprintf(stderr, "atproof analyze: --report FORMAT:PATH\n");
				goto usage_err;
			}
			{
				char rf[8];
				const char *colon = strchr(val, ':');
				snprintf(rf, sizeof(rf), "%.*s", (int)(colon - val), val);
				if ((size_t)(colon - val) >= sizeof(rf) || rpt_format_parse(rf) < 0) {
					fprintf(stderr, "atproof analyze: unknown report format in '%s' "
					    "(text json junit tap html)\n", val);
					goto usage_err;
				}
			}
			reports[nreports++] = val;
		} else if (opt_value(argc, argv, &i, "--net", &val)) {
			if (val == NULL || net_path != NULL) {
				fprintf(stderr, "atproof analyze: --net FILE.pcap, once\n");
				goto usage_err;
			}
			net_path = val;
		} else if (opt_value(argc, argv, &i, "--limit", &val)) {
			rc = val != NULL ? parse_limit(&rep, val) : ATP_ERR_SYNTAX;
			if (rc != ATP_OK) {
				fprintf(stderr, "atproof analyze: --limit CMD=MS: bad '%s'%s\n",
				    val != NULL ? val : "", rc == ATP_ERR_NOTFOUND ?
				    " (no such command)" : "");
				goto usage_err;
			}
		} else {
			fprintf(stderr, "atproof analyze: unknown option '%s'\n", argv[i]);
			goto usage_err;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "atproof analyze: no input FILE\n");
		goto usage_err;
	}
	if (net_path != NULL) {
		if (ana_net_new(&rep, so.prof != NULL && (so.prof->bit & ATP_PROFILE_LUAT) != 0,
		    &net) != ATP_OK) {
			fprintf(stderr, "atproof analyze: out of memory\n");
			ana_report_free(&rep);
			return ATP_EXIT_ENV;
		}
		so.net = net;
	}
	for (; i < argc; i++) {
		nfiles++;
		atp_diag_clear(&d);
		/* "to:A from:B" (either order) is one session of two files. */
		if (i + 1 < argc && ((strncmp(argv[i], "to:", 3) == 0 &&
		    strncmp(argv[i + 1], "from:", 5) == 0) || (strncmp(argv[i], "from:", 5) == 0 &&
		    strncmp(argv[i + 1], "to:", 3) == 0))) {
			int to_first = argv[i][0] == 't';
			rc = analyze_pair(&rep, to_first ? argv[i] : argv[i + 1],
			    to_first ? argv[i + 1] : argv[i], &so, &d);
			i++;
		} else {
			rc = analyze_file(&rep, argv[i], fmt, regex, &so, &d);
		}
		if (rc == ATP_ERR_NOMEM) {
			fprintf(stderr, "atproof analyze: out of memory\n");
			ana_net_free(net);
			ana_report_free(&rep);
			return ATP_EXIT_ENV;
		}
		if (rc != ATP_OK) {
			fprintf(stderr, "atproof analyze: %s\n", atp_diag_format(&d, buf, sizeof(buf)));
			input_error = 1;
		}
	}
	if (net != NULL) {
		/* After every UART input: the correlator has all their sockets. */
		atp_diag_clear(&d);
		rc = ana_net_read(net, net_path, &d);
		if (rc == ATP_ERR_NOMEM) {
			fprintf(stderr, "atproof analyze: out of memory\n");
			ana_net_free(net);
			ana_report_free(&rep);
			return ATP_EXIT_ENV;
		}
		if (rc != ATP_OK) {
			fprintf(stderr, "atproof analyze: --net %s\n",
			    atp_diag_format(&d, buf, sizeof(buf)));
			input_error = 1;
		}
		rep.net = net;
	}
	code = ATP_EXIT_PASS;
	if (ana_to_rpt(&rep, input_error, &run) != ATP_OK) {
		fprintf(stderr, "atproof analyze: out of memory\n");
		code = ATP_EXIT_ENV;
	} else if (nreports == 0) {
		if (write_report(run, "text:-") != ATP_OK)
			code = ATP_EXIT_ENV;
	}
	for (size_t k = 0; run != NULL && k < nreports; k++)
		if (write_report(run, reports[k]) != ATP_OK)
			code = ATP_EXIT_ENV;
	rpt_run_free(run);
	if (code == ATP_EXIT_PASS) {
		if (input_error)
			code = ATP_EXIT_USAGE;
		else {
			switch (ana_report_verdict(&rep)) {
			case ATP_V_FAIL:
				code = ATP_EXIT_FAIL;
				break;
			case ATP_V_INCONC:
				code = ATP_EXIT_INCONC;
				break;
			case ATP_V_PASS:
			case ATP_V_KNOWN:
				break;
			}
		}
	}
	ana_net_free(net);
	ana_report_free(&rep);
	return code;
usage_err:
	usage(stderr);
	ana_report_free(&rep);
	return ATP_EXIT_USAGE;
}
