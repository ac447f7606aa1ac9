/* SPDX-License-Identifier: MIT */
/* \summary: the analyzer's report as the shared model of reports/ (every format) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analyzer/ana.h"
#include "analyzer/net.h"
#include "atproof/alloc.h"
#include "atproof/atproof.h"
#include "atproof/validate.h"
#include "reports/rpt.h"

/*
 * One model feeds every format (issue 8). The analyzer's run has the
 * findings layout: its findings (with their source file:line or byte
 * offset, time and deviation), the tally of each rule, its inputs, its
 * counters and its timing rows; the JSON and text writers print those. For
 * the writers that list cases (JUnit, TAP, HTML) each rule is also a case
 * (a JUnit testcase per rule, as CI systems list them) and each occurrence
 * kept a step at its source line, and the per-command timing the measures
 * of a case "timing" (its maximum is the --limit, when set).
 */

static enum rpt_verdict
rv(enum atp_verdict v)
{
	switch (v) {
	case ATP_V_FAIL:
		return RPT_FAIL;
	case ATP_V_INCONC:
		return RPT_INCONC;
	case ATP_V_PASS:
	case ATP_V_KNOWN:
		break;
	}
	return RPT_PASS;
}

static int
add_finding(struct rpt_run *run, const struct ana_finding *f)
{
	struct rpt_finding *rf = rpt_finding_add(run);

	if (rf == NULL)
		return -1;
	if (rpt_set(&rf->rule, f->rule) || rpt_set(&rf->severity, atp_severity_name(f->severity)) ||
	    rpt_set(&rf->verdict, atp_verdict_name(f->verdict)) || rpt_set(&rf->section, f->section) ||
	    rpt_set(&rf->file, f->file) || rpt_set(&rf->command, f->command[0] ? f->command : NULL) ||
	    rpt_set(&rf->message, f->message) || rpt_set(&rf->case_id, f->rule))
		return -1;
	rf->line = f->line;
	rf->offset = f->offset;
	rf->time_us = f->ts_us;
	if (f->deviation[0] != '\0' && rpt_set(&rf->deviation, f->deviation))
		return -1;
	return 0;
}

/* An occurrence as a step of its rule's case (JUnit, TAP, HTML). */
static int
add_step(struct rpt_case *c, const struct ana_finding *f)
{
	struct rpt_step *s = rpt_step_add(c, f->rule, "findings");

	if (s == NULL || rpt_set(&s->file, f->file) || rpt_set(&s->message, f->message))
		return -1;
	if (f->actual[0] != '\0' && (rpt_set(&s->actual, f->actual) ||
	    rpt_set(&s->actual_hex, f->actual_hex)))
		return -1;
	if (f->before_text[0] != '\0' && rpt_set(&s->before, f->before_text))
		return -1;
	s->line = f->line;
	s->verdict = rv(f->verdict);
	s->warnings = f->verdict == ATP_V_KNOWN;
	s->first_us = s->final_us = -1;
	return 0;
}

/* The reservoir of a timing row, for the HTML report's histogram. */
static int
add_lat(struct rpt_run *run, const struct ana_lat *l)
{
	int64_t us[ANA_LAT_KEEP];
	struct rpt_lat *rl;
	size_t i, n = l->nkept < ANA_LAT_KEEP ? l->nkept : ANA_LAT_KEEP;

	for (i = 0; i < n; i++)
		us[i] = l->final_us[i];
	rl = rpt_lat_add(run, l->name, us, n);
	if (rl == NULL)
		return -1;
	rl->n = l->n;
	rl->missing = l->missing;
	rl->p50_us = (int64_t)ana_lat_pct(l, 50);
	rl->p90_us = (int64_t)ana_lat_pct(l, 90);
	rl->p99_us = (int64_t)ana_lat_pct(l, 99);
	rl->max_us = (int64_t)l->max_final;
	rl->max_first_us = (int64_t)l->max_first;
	rl->limit_us = (int64_t)l->limit_us;
	return 0;
}

/* Findings in the order of the session: by input, then by position (the
 * array's order breaks ties, so equal places keep their order). */
static int
by_place(const void *a, const void *b)
{
	const struct ana_finding *const *pa = a, *const *pb = b;
	const struct ana_finding *x = *pa, *y = *pb;
	int c = strcmp(x->file != NULL ? x->file : "", y->file != NULL ? y->file : "");

	if (c != 0)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* The correlator's events (--net), gathered for the merge. */
#define NET_EV_MAX 400
struct net_ev {
	uint64_t t;
	char what[120];
};

struct net_evs {
	struct net_ev *ev;
	size_t n;
};

static void
net_ev_put(void *ctx, uint64_t t_us, const char *what)
{
	struct net_evs *ne = ctx;

	if (ne->n >= NET_EV_MAX)
		return;
	ne->ev[ne->n].t = t_us;
	snprintf(ne->ev[ne->n].what, sizeof(ne->ev[0].what), "%s", what);
	ne->n++;
}

static int
add_event(struct rpt_run *run, const struct ana_finding *f, const struct net_ev *nv)
{
	struct rpt_event *e = rpt_event_add(run);
	char what[400];

	if (e == NULL)
		return -1;
	if (nv != NULL) {
		e->time_us = nv->t;
		return rpt_set(&e->lane, strncmp(nv->what, "net", 3) == 0 ? "net" : "uart") ||
		    rpt_set(&e->what, nv->what);
	}
	snprintf(what, sizeof(what), "%s: %s", f->rule, f->message);
	e->time_us = f->ts_us;
	e->line = f->line;
	e->offset = f->offset;
	return rpt_set(&e->lane, "uart") || rpt_set(&e->file, f->file) ||
	    rpt_set(&e->verdict, atp_verdict_name(f->verdict)) || rpt_set(&e->what, what);
}

/*
 * The session's timeline: its failures, known deviations and undecided
 * points in the order they happened, with their time where the input has
 * one (what an engineer reads next to the log); with --net, the sockets'
 * UART and network events interleaved with them on the UART clock.
 */
static int
add_timeline(struct rpt_run *run, const struct ana_report *r)
{
	const struct ana_finding **idx;
	struct net_evs ne = { NULL, 0 };
	size_t i, j = 0, n = 0;
	int rc = 0;

	idx = atp_calloc(r->nf > 0 ? r->nf : 1, sizeof(*idx));
	if (idx == NULL)
		return -1;
	if (r->net != NULL) {
		ne.ev = atp_calloc(NET_EV_MAX, sizeof(*ne.ev));
		if (ne.ev == NULL) {
			atp_free((void *)idx);
			return -1;
		}
		(void)ana_net_events(r->net, net_ev_put, &ne);
	}
	for (i = 0; i < r->nf; i++)
		if (r->f[i].verdict == ATP_V_FAIL || r->f[i].verdict == ATP_V_INCONC ||
		    r->f[i].verdict == ATP_V_KNOWN)
			idx[n++] = &r->f[i];
	qsort(idx, n, sizeof(*idx), by_place);
	/* Both lists are in time order (the findings in the session's); a
	 * finding with no time goes where the session put it. */
	for (i = 0; rc == 0 && (i < n || j < ne.n);) {
		if (i < n && (j >= ne.n || idx[i]->ts_us == 0 || idx[i]->ts_us <= ne.ev[j].t))
			rc = add_event(run, idx[i++], NULL);
		else
			rc = add_event(run, NULL, &ne.ev[j++]);
	}
	atp_free(ne.ev);
	atp_free((void *)idx);
	return rc;
}

/* The socket an event names ("... socket 1 ..."), or -1. */
static long
ev_socket(const char *what)
{
	const char *p = strstr(what, "socket ");
	long sock = 0;

	if (p == NULL || p[7] < '0' || p[7] > '9')
		return -1;
	for (p += 7; *p >= '0' && *p <= '9' && sock < 100000; p++)
		sock = sock * 10 + (*p - '0');
	return sock;
}

/*
 * A network event as an arrow between the module and its peer's lifeline
 * ("net   socket 1 to peer: 5 bytes"): a lifeline per socket's peer (a
 * connection's SYN goes to the socket the last AT+SKCT opened, *@skct),
 * the MQTT broker's. UART events only move *@skct.
 */
static int
chart_net(struct rpt_chart *c, const struct net_ev *nv, long *skct)
{
	char lane[32];
	long sock = ev_socket(nv->what);

	if (strncmp(nv->what, "uart", 4) == 0) {
		if (strstr(nv->what, "AT+SKCT") != NULL)
			*skct = sock;
		return 0;
	}
	if (strstr(nv->what, "MQTT") != NULL)
		snprintf(lane, sizeof(lane), "MQTT broker");
	else if (sock >= 0 || (strstr(nv->what, "SYN") != NULL && (sock = *skct) >= 0))
		snprintf(lane, sizeof(lane), "socket %ld peer", sock);
	else
		snprintf(lane, sizeof(lane), "network");
	/* "net   " then the event. */
	if (strstr(nv->what, "from peer") != NULL)
		return rpt_chart_msg(c, lane, "module", nv->what + 6, RPT_PASS);
	return rpt_chart_msg(c, "module", lane, nv->what + 6, RPT_PASS);
}

/*
 * A sequence chart per session: the messages it kept with its findings in
 * between; with --net, the network side of the first session interleaved
 * by time (the correlator's events on the UART clock), a lifeline per
 * socket's peer.
 */
static int
add_charts(struct rpt_run *run, const struct ana_report *r)
{
	static const char *const lanes[] = { "host", "module" };
	struct net_evs ne = { NULL, 0 };
	size_t i, j, k;
	long skct = -1;
	int rc = 0;

	/* Sessions past the charts' ceiling are counted; an empty one
	 * (nothing to draw) is not. */
	run->sessions = r->nsessions;
	for (i = 0; i < r->ncharts && rc == 0; i++) {
		const struct ana_chart *ac = &r->charts[i];
		struct rpt_chart *c;
		if (ac->n == 0) {
			run->sessions -= run->sessions > 0 ? 1u : 0u;
			continue;
		}
		c = rpt_chart_add(run, ac->name != NULL ? ac->name : "?");
		if (c == NULL)
			return -1;
		c->total = ac->total;
		ne.n = 0;
		if (i == 0 && r->net != NULL) {
			ne.ev = atp_calloc(NET_EV_MAX, sizeof(*ne.ev));
			if (ne.ev == NULL)
				return -1;
			(void)ana_net_events(r->net, net_ev_put, &ne);
		}
		for (j = 0, k = 0; j < ac->n && rc == 0; j++) {
			const struct ana_msc *m = &ac->m[j];
			while (rc == 0 && k < ne.n && m->ts_us != 0 && ne.ev[k].t < m->ts_us)
				rc = chart_net(c, &ne.ev[k++], &skct);
			if (rc == 0)
				rc = rpt_chart_msg(c, lanes[m->from & 1], lanes[m->to & 1], m->what,
				    m->from == m->to ? rv(m->verdict) : RPT_PASS);
		}
		/* The network's last events, when the session was kept whole. */
		for (; rc == 0 && ac->total <= ANA_CHART_MSGS && k < ne.n; k++)
			rc = chart_net(c, &ne.ev[k], &skct);
		atp_free(ne.ev);
		ne.ev = NULL;
	}
	return rc;
}

static int
add_stats(struct rpt_run *run, const struct ana_report *r)
{
	const struct ana_stats *st = &r->st;
	int bad = 0;

	/* The JSON report's "stats" keys, in its order. */
	bad |= rpt_stat_add(run, "files", st->files);
	bad |= rpt_stat_add(run, "records", st->records);
	bad |= rpt_stat_add(run, "records_dir_inferred", st->records_inferred);
	bad |= rpt_stat_add(run, "bytes_to_module", st->bytes_to);
	bad |= rpt_stat_add(run, "bytes_from_module", st->bytes_from);
	bad |= rpt_stat_add(run, "commands", st->commands);
	bad |= rpt_stat_add(run, "responses", st->responses);
	bad |= rpt_stat_add(run, "reports", st->reports);
	bad |= rpt_stat_add(run, "echoes", st->echoes);
	bad |= rpt_stat_add(run, "data_frames", st->data_frames);
	bad |= rpt_stat_add(run, "other_frames", st->text_frames);
	bad |= rpt_stat_add(run, "exchanges_timed", st->exchanges_timed);
	bad |= rpt_stat_add(run, "unanswered", st->unanswered);
	bad |= rpt_stat_add(run, "unsolicited", st->unsolicited);
	bad |= rpt_stat_add(run, "sksnd_bytes", st->sksnd_bytes);
	bad |= rpt_stat_add(run, "skrcv_bytes", st->skrcv_bytes);
	bad |= rpt_stat_add(run, "report_data_bytes", st->sktrpt_bytes);
	bad |= rpt_stat_add(run, "transparent_bytes", st->transparent_bytes);
	bad |= rpt_stat_add(run, "input_lines_skipped", st->skipped_lines);
	bad |= rpt_stat_add(run, "findings", r->nf + r->dropped);
	bad |= rpt_stat_add(run, "findings_dropped", r->dropped);
	if (st->last_ts != 0)
		bad |= rpt_stat_add(run, "duration_us", st->last_ts - st->first_ts);
	return bad;
}

/* The network side (net_corr.c writes its own summary): its JSON object
 * under "network", its text as the text report's extra section. */
static int
add_net(struct rpt_run *run, const struct ana_net *net)
{
	json_t *nj;
	char *buf;
	size_t len;
	long pos;
	FILE *mf;
	int rc;

	if (net == NULL)
		return 0;
	nj = ana_net_json(net);
	if (nj != NULL) {
		run->json_extra = json_object();
		if (run->json_extra == NULL) {
			json_decref(nj);
			return -1;
		}
		if (json_object_set_new(run->json_extra, "network", nj) != 0)
			return -1;
	}
	/* A temporary file, not a memory stream: the buffer must come from
	 * atp_malloc (failure injection). */
	mf = tmpfile();
	if (mf == NULL)
		return -1;
	ana_net_text(net, mf);
	pos = ftell(mf);
	rc = -1;
	if (pos >= 0 && !ferror(mf) && fseek(mf, 0, SEEK_SET) == 0) {
		len = (size_t)pos;
		buf = atp_malloc(len + 1);
		if (buf != NULL && fread(buf, 1, len, mf) == len) {
			buf[len] = '\0';
			run->text_extra = len > 0 ? buf : NULL;
			buf = len > 0 ? NULL : buf;
			rc = 0;
		}
		atp_free(buf);
	}
	fclose(mf);
	return rc;
}

int
ana_to_rpt(const struct ana_report *r, int input_error, struct rpt_run **out)
{
	struct rpt_run *run = rpt_run_new("analyze");
	size_t i, j;
	char spec[32];

	*out = NULL;
	if (run == NULL || rpt_set(&run->profile, r->profile) ||
	    rpt_set(&run->version, ATPROOF_VERSION))
		goto oom;
	run->layout = RPT_LAYOUT_FINDINGS;
	for (i = 0; i < r->nfiles; i++)
		if (rpt_input_add(run, r->files[i], r->file_fmts[i]) == NULL)
			goto oom;
	/* In the order they were found (the session's). */
	for (i = 0; i < r->nf; i++)
		if (add_finding(run, &r->f[i]) != 0)
			goto oom;
	for (i = 0; i < r->nrules; i++) {
		const struct ana_rule_count *rc = &r->rules[i];
		struct rpt_case *c = rpt_case_add(run, rc->rule, r->nfiles > 0 ? r->files[0] : NULL);
		struct rpt_rule *ru = rpt_rule_add(run, rc->rule);
		if (c == NULL || ru == NULL)
			goto oom;
		if (rpt_set(&ru->severity, atp_severity_name(rc->severity)) ||
		    rpt_set(&ru->section, rc->section))
			goto oom;
		ru->count = rc->n;
		ru->fail = rc->by_verdict[ATP_V_FAIL];
		ru->known = rc->by_verdict[ATP_V_KNOWN];
		ru->inconc = rc->by_verdict[ATP_V_INCONC];
		ru->pass = rc->by_verdict[ATP_V_PASS];
		/* From every occurrence, not only the steps kept. */
		c->verdict = ru->fail > 0 ? RPT_FAIL : ru->inconc > 0 ? RPT_INCONC : RPT_PASS;
		snprintf(spec, sizeof(spec), "§%s", rc->section);
		if (rpt_set(&c->spec, spec) || rpt_set(&c->title, rc->rule))
			goto oom;
		for (j = 0; j < r->nf; j++)
			if (strcmp(r->f[j].rule, rc->rule) == 0 && add_step(c, &r->f[j]) != 0)
				goto oom;
		/* The case says how often, the steps show the first ones. */
		if (rc->by_verdict[ATP_V_FAIL] > 0 || rc->by_verdict[ATP_V_INCONC] > 0) {
			char why[96];
			snprintf(why, sizeof(why), "%lu occurrence(s): %lu fail, %lu inconclusive",
			    rc->n, rc->by_verdict[ATP_V_FAIL], rc->by_verdict[ATP_V_INCONC]);
			if (rpt_set(&c->reason, why))
				goto oom;
		}
	}
	if (r->nlat > 0) {
		struct rpt_case *c = rpt_case_add(run, "timing", r->nfiles > 0 ? r->files[0] : NULL);
		if (c == NULL || rpt_set(&c->title, "latency per command (final byte)"))
			goto oom;
		for (i = 0; i < r->nlat; i++) {
			const struct ana_lat *l = &r->lat[i];
			uint64_t lim = l->limit_us != 0 ? l->limit_us : r->limit_all_us;
			struct rpt_measure *m;
			char name[48];

			if (add_lat(run, l) != 0)
				goto oom;
			if (l->n == 0)
				continue;
			snprintf(name, sizeof(name), "%s p99", l->name);
			m = rpt_measure_add(c, name);
			if (m == NULL || rpt_set(&m->unit, "ms"))
				goto oom;
			m->value = (double)ana_lat_pct(l, 99) / 1000.0;
			snprintf(name, sizeof(name), "%s max", l->name);
			m = rpt_measure_add(c, name);
			if (m == NULL || rpt_set(&m->unit, "ms"))
				goto oom;
			m->value = (double)l->max_final / 1000.0;
			if (lim != 0) {
				m->has_max = 1;
				m->max = (double)lim / 1000.0;
				m->verdict = l->max_final > lim ? RPT_FAIL : RPT_PASS;
			}
		}
	}
	if (add_stats(run, r) != 0 || add_timeline(run, r) != 0 || add_net(run, r->net) != 0 ||
	    add_charts(run, r) != 0)
		goto oom;
	run->bytes_tx = r->st.bytes_to;
	run->bytes_rx = r->st.bytes_from;
	run->exchanges = r->st.responses;
	if (r->st.last_ts > r->st.first_ts)
		run->seconds = (double)(r->st.last_ts - r->st.first_ts) / 1e6;
	if (input_error && rpt_set(&run->reason, "an input could not be read"))
		goto oom;
	rpt_run_finish(run);
	/* The analyzer's verdict counts every occurrence, the model only the
	 * findings kept (and knows nothing of inconclusive ones or of an
	 * input that could not be read): the analyzer's stands. */
	run->verdict = input_error ? RPT_ERROR : rv(ana_report_verdict(r));
	*out = run;
	return ATP_OK;
oom:
	rpt_run_free(run);
	return ATP_ERR_NOMEM;
}
