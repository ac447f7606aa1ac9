/* SPDX-License-Identifier: MIT */
/* \summary: the analyzer's findings as the shared report model (JUnit, TAP, HTML) */
#include <stdio.h>
#include <string.h>

#include "analyzer/ana.h"
#include "atproof/validate.h"
#include "reports/rpt.h"

/*
 * The shared model of reports/ is built for the harness's cases and steps.
 * For the analyzer each rule is a case (a JUnit testcase per rule, as CI
 * systems list them) and each occurrence kept is a step at its source line;
 * the findings also go in as findings, and the per-command timing as the
 * measures of a case "timing" (its maximum is the --limit, when set).
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
add_finding(struct rpt_run *run, struct rpt_case *c, const struct ana_finding *f)
{
	struct rpt_finding *rf = rpt_finding_add(run);
	struct rpt_step *s = rpt_step_add(c, f->rule, "findings");

	if (rf == NULL || s == NULL)
		return -1;
	if (rpt_set(&rf->rule, f->rule) || rpt_set(&rf->severity, atp_severity_name(f->severity)) ||
	    rpt_set(&rf->verdict, atp_verdict_name(f->verdict)) || rpt_set(&rf->section, f->section) ||
	    rpt_set(&rf->file, f->file) || rpt_set(&rf->command, f->command[0] ? f->command : NULL) ||
	    rpt_set(&rf->message, f->message) || rpt_set(&rf->case_id, f->rule))
		return -1;
	rf->line = f->line;
	if (rpt_set(&s->file, f->file) || rpt_set(&s->message, f->message))
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
	return 0;
}

int
ana_to_rpt(const struct ana_report *r, int input_error, struct rpt_run **out)
{
	struct rpt_run *run = rpt_run_new("analyze");
	size_t i, j;
	char spec[32];

	*out = NULL;
	if (run == NULL || rpt_set(&run->profile, r->profile))
		goto oom;
	for (i = 0; i < r->nrules; i++) {
		const struct ana_rule_count *rc = &r->rules[i];
		struct rpt_case *c = rpt_case_add(run, rc->rule, r->nfiles > 0 ? r->files[0] : NULL);
		if (c == NULL)
			goto oom;
		snprintf(spec, sizeof(spec), "§%s", rc->section);
		if (rpt_set(&c->spec, spec) || rpt_set(&c->title, rc->rule))
			goto oom;
		for (j = 0; j < r->nf; j++)
			if (strcmp(r->f[j].rule, rc->rule) == 0 && add_finding(run, c, &r->f[j]) != 0)
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

			if (l->n == 0)
				continue;
			if (add_lat(run, l) != 0)
				goto oom;
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
	run->bytes_tx = r->st.bytes_to;
	run->bytes_rx = r->st.bytes_from;
	run->exchanges = r->st.responses;
	if (r->st.last_ts > r->st.first_ts)
		run->seconds = (double)(r->st.last_ts - r->st.first_ts) / 1e6;
	if (input_error) {
		run->verdict = RPT_ERROR;
		if (rpt_set(&run->reason, "an input could not be read"))
			goto oom;
	}
	rpt_run_finish(run);
	/* The model fails a run on fail findings; inconclusive ones are the
	 * analyzer's to add. */
	if (run->verdict == RPT_PASS && ana_report_verdict(r) == ATP_V_INCONC)
		run->verdict = RPT_INCONC;
	*out = run;
	return ATP_OK;
oom:
	rpt_run_free(run);
	return ATP_ERR_NOMEM;
}
