/* SPDX-License-Identifier: MIT */
/* \summary: the report model: runs, cases, steps, findings, measurements */
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "atproof/alloc.h"
#include "atproof/err.h"
#include "reports/rpt.h"

int
rpt_set(char **dst, const char *s)
{
	char *p = NULL;

	if (s != NULL) {
		p = atp_strdup(s);
		if (p == NULL)
			return -1;
	}
	atp_free(*dst);
	*dst = p;
	return 0;
}

/* Appends @item to a pointer array; NULL on failure (@item is then still
 * the caller's to free). */
static void *
push(void ***arr, size_t *n, void *item)
{
	void **na;

	if (item == NULL)
		return NULL;
	na = atp_realloc(*arr, (*n + 1) * sizeof(*na));
	if (na == NULL)
		return NULL;
	*arr = na;
	na[(*n)++] = item;
	return item;
}

struct rpt_run *
rpt_run_new(const char *tool)
{
	struct rpt_run *r = atp_calloc(1, sizeof(*r));
	char buf[32];
	struct tm tm;
	time_t now = time(NULL);

	if (r == NULL)
		return NULL;
	if (rpt_set(&r->tool, tool) < 0) {
		atp_free(r);
		return NULL;
	}
	if (gmtime_r(&now, &tm) != NULL && strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		(void)rpt_set(&r->started, buf);
	return r;
}

struct rpt_case *
rpt_case_add(struct rpt_run *r, const char *id, const char *file)
{
	struct rpt_case *c = atp_calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if (rpt_set(&c->id, id) < 0 || rpt_set(&c->file, file) < 0) {
		atp_free(c->id);
		atp_free(c->file);
		atp_free(c);
		return NULL;
	}
	if (push((void ***)&r->cases, &r->ncases, c) == NULL) {
		atp_free(c->id);
		atp_free(c->file);
		atp_free(c);
		return NULL;
	}
	return c;
}

struct rpt_step *
rpt_step_add(struct rpt_case *c, const char *name, const char *phase)
{
	struct rpt_step *s = atp_calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->first_us = -1;
	s->final_us = -1;
	if (rpt_set(&s->name, name) < 0 || rpt_set(&s->phase, phase) < 0) {
		atp_free(s->name);
		atp_free(s->phase);
		atp_free(s);
		return NULL;
	}
	if (push((void ***)&c->steps, &c->nsteps, s) == NULL) {
		atp_free(s->name);
		atp_free(s->phase);
		atp_free(s);
		return NULL;
	}
	return s;
}

struct rpt_measure *
rpt_measure_add(struct rpt_case *c, const char *name)
{
	struct rpt_measure *m = atp_calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	if (rpt_set(&m->name, name) < 0) {
		atp_free(m);
		return NULL;
	}
	if (push((void ***)&c->measures, &c->nmeasures, m) == NULL) {
		atp_free(m->name);
		atp_free(m);
		return NULL;
	}
	return m;
}

struct rpt_finding *
rpt_finding_add(struct rpt_run *r)
{
	struct rpt_finding *f = atp_calloc(1, sizeof(*f));

	if (f != NULL && push((void ***)&r->findings, &r->nfindings, f) == NULL) {
		atp_free(f);
		return NULL;
	}
	return f;
}

struct rpt_lat *
rpt_lat_add(struct rpt_run *r, const char *name, const int64_t *us, size_t nus)
{
	struct rpt_lat *l = atp_calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	if (rpt_set(&l->name, name) < 0 ||
	    (nus > 0 && (l->us = atp_malloc(nus * sizeof(*us))) == NULL))
		goto fail;
	if (nus > 0)
		memcpy(l->us, us, nus * sizeof(*us));
	l->nus = nus;
	if (push((void ***)&r->lats, &r->nlats, l) == NULL)
		goto fail;
	return l;
fail:
	atp_free(l->name);
	atp_free(l->us);
	atp_free(l);
	return NULL;
}

struct rpt_input *
rpt_input_add(struct rpt_run *r, const char *file, const char *format)
{
	struct rpt_input *in = atp_calloc(1, sizeof(*in));

	if (in == NULL)
		return NULL;
	if (rpt_set(&in->file, file) < 0 || rpt_set(&in->format, format) < 0 ||
	    push((void ***)&r->inputs, &r->ninputs, in) == NULL) {
		atp_free(in->file);
		atp_free(in->format);
		atp_free(in);
		return NULL;
	}
	return in;
}

struct rpt_rule *
rpt_rule_add(struct rpt_run *r, const char *rule)
{
	struct rpt_rule *ru = atp_calloc(1, sizeof(*ru));

	if (ru == NULL)
		return NULL;
	if (rpt_set(&ru->rule, rule) < 0 || push((void ***)&r->rules, &r->nrules, ru) == NULL) {
		atp_free(ru->rule);
		atp_free(ru);
		return NULL;
	}
	return ru;
}

struct rpt_event *
rpt_event_add(struct rpt_run *r)
{
	struct rpt_event *e = atp_calloc(1, sizeof(*e));

	if (e != NULL && push((void ***)&r->events, &r->nevents, e) == NULL) {
		atp_free(e);
		return NULL;
	}
	return e;
}

struct rpt_chart *
rpt_chart_add(struct rpt_run *r, const char *name)
{
	struct rpt_chart *c = atp_calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if (rpt_set(&c->name, name) < 0 || push((void ***)&r->charts, &r->ncharts, c) == NULL) {
		atp_free(c->name);
		atp_free(c);
		return NULL;
	}
	return c;
}

int
rpt_chart_msg(struct rpt_chart *c, const char *from, const char *to, const char *label,
    enum rpt_verdict v)
{
	struct rpt_msg *nm = atp_realloc(c->msgs, (c->nmsgs + 1) * sizeof(*nm));
	struct rpt_msg *m;

	if (nm == NULL)
		return -1;
	c->msgs = nm;
	m = &nm[c->nmsgs];
	memset(m, 0, sizeof(*m));
	m->verdict = v;
	if (rpt_set(&m->from, from) < 0 || rpt_set(&m->to, to) < 0 || rpt_set(&m->label, label) < 0) {
		atp_free(m->from);
		atp_free(m->to);
		atp_free(m->label);
		return -1;
	}
	c->nmsgs++;
	return 0;
}

int
rpt_stat_add(struct rpt_run *r, const char *name, uint64_t value)
{
	struct rpt_stat *ns = atp_realloc(r->stats, (r->nstats + 1) * sizeof(*ns));

	if (ns == NULL)
		return -1;
	r->stats = ns;
	ns[r->nstats].name = NULL;
	if (rpt_set(&ns[r->nstats].name, name) < 0)
		return -1;
	ns[r->nstats++].value = value;
	return 0;
}

uint64_t
rpt_stat_get(const struct rpt_run *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nstats; i++)
		if (strcmp(r->stats[i].name, name) == 0)
			return r->stats[i].value;
	return 0;
}

static void
step_free(struct rpt_step *s)
{
	atp_free(s->name);
	atp_free(s->phase);
	atp_free(s->file);
	atp_free(s->message);
	atp_free(s->expected);
	atp_free(s->actual);
	atp_free(s->actual_hex);
	atp_free(s->unconsumed);
	atp_free(s->unconsumed_hex);
	atp_free(s->before);
	atp_free(s);
}

void
rpt_run_free(struct rpt_run *r)
{
	size_t i, j;

	if (r == NULL)
		return;
	for (i = 0; i < r->ncases; i++) {
		struct rpt_case *c = r->cases[i];
		for (j = 0; j < c->nsteps; j++)
			step_free(c->steps[j]);
		atp_free(c->steps);
		for (j = 0; j < c->nmeasures; j++) {
			atp_free(c->measures[j]->name);
			atp_free(c->measures[j]->unit);
			atp_free(c->measures[j]);
		}
		atp_free(c->measures);
		atp_free(c->id);
		atp_free(c->file);
		atp_free(c->title);
		atp_free(c->spec);
		atp_free(c->reason);
		atp_free(c);
	}
	atp_free(r->cases);
	for (i = 0; i < r->nfindings; i++) {
		struct rpt_finding *f = r->findings[i];
		atp_free(f->rule);
		atp_free(f->severity);
		atp_free(f->verdict);
		atp_free(f->section);
		atp_free(f->file);
		atp_free(f->command);
		atp_free(f->message);
		atp_free(f->case_id);
		atp_free(f->deviation);
		atp_free(f);
	}
	atp_free(r->findings);
	for (i = 0; i < r->ninputs; i++) {
		atp_free(r->inputs[i]->file);
		atp_free(r->inputs[i]->format);
		atp_free(r->inputs[i]);
	}
	atp_free(r->inputs);
	for (i = 0; i < r->nrules; i++) {
		atp_free(r->rules[i]->rule);
		atp_free(r->rules[i]->severity);
		atp_free(r->rules[i]->section);
		atp_free(r->rules[i]);
	}
	atp_free(r->rules);
	for (i = 0; i < r->nevents; i++) {
		atp_free(r->events[i]->lane);
		atp_free(r->events[i]->file);
		atp_free(r->events[i]->verdict);
		atp_free(r->events[i]->what);
		atp_free(r->events[i]);
	}
	atp_free(r->events);
	for (i = 0; i < r->ncharts; i++) {
		for (j = 0; j < r->charts[i]->nmsgs; j++) {
			atp_free(r->charts[i]->msgs[j].from);
			atp_free(r->charts[i]->msgs[j].to);
			atp_free(r->charts[i]->msgs[j].label);
		}
		atp_free(r->charts[i]->msgs);
		atp_free(r->charts[i]->name);
		atp_free(r->charts[i]);
	}
	atp_free(r->charts);
	for (i = 0; i < r->nstats; i++)
		atp_free(r->stats[i].name);
	atp_free(r->stats);
	atp_free(r->text_extra);
	atp_free(r->version);
	json_decref(r->json_extra);
	for (i = 0; i < r->nlats; i++) {
		atp_free(r->lats[i]->name);
		atp_free(r->lats[i]->us);
		atp_free(r->lats[i]);
	}
	atp_free(r->lats);
	atp_free(r->tool);
	atp_free(r->reason);
	atp_free(r->port);
	atp_free(r->transport);
	atp_free(r->profile);
	atp_free(r->unit_mac);
	atp_free(r->unit_fw);
	atp_free(r->unit_name);
	atp_free(r->started);
	atp_free(r);
}

static int
rank(enum rpt_verdict v)
{
	switch (v) {
	case RPT_SKIP: return 0;
	case RPT_PASS: return 1;
	case RPT_INCONC: return 2;
	case RPT_FAIL: return 3;
	case RPT_ERROR: return 4;
	}
	return 0;
}

enum rpt_verdict
rpt_worse(enum rpt_verdict a, enum rpt_verdict b)
{
	return rank(a) >= rank(b) ? a : b;
}

const char *
rpt_verdict_name(enum rpt_verdict v)
{
	switch (v) {
	case RPT_PASS: return "pass";
	case RPT_FAIL: return "fail";
	case RPT_INCONC: return "inconc";
	case RPT_ERROR: return "error";
	case RPT_SKIP: return "skip";
	}
	return "?";
}

void
rpt_run_finish(struct rpt_run *r)
{
	enum rpt_verdict v = RPT_SKIP;
	size_t i, j;

	for (i = 0; i < r->ncases; i++) {
		struct rpt_case *c = r->cases[i];
		if (c->verdict == RPT_PASS) {
			for (j = 0; j < c->nsteps; j++)
				c->verdict = rpt_worse(c->verdict,
				    c->steps[j]->verdict == RPT_SKIP ? RPT_PASS : c->steps[j]->verdict);
			for (j = 0; j < c->nmeasures; j++)
				c->verdict = rpt_worse(c->verdict, c->measures[j]->verdict);
		}
		v = rpt_worse(v, c->verdict);
	}
	for (i = 0; i < r->nfindings; i++)
		if (r->findings[i]->verdict != NULL && strcmp(r->findings[i]->verdict, "fail") == 0)
			v = rpt_worse(v, RPT_FAIL);
	/* Nothing ran at all (everything skipped) is not a pass. */
	if (v == RPT_SKIP)
		v = r->ncases > 0 ? RPT_INCONC : RPT_PASS;
	r->verdict = rpt_worse(v, r->verdict);
}

int
rpt_exit_code(const struct rpt_run *r)
{
	switch (r->verdict) {
	case RPT_PASS: return ATP_EXIT_PASS;
	case RPT_FAIL: return ATP_EXIT_FAIL;
	case RPT_INCONC: return ATP_EXIT_INCONC;
	case RPT_ERROR: return ATP_EXIT_ENV;
	case RPT_SKIP: return ATP_EXIT_INCONC;
	}
	return ATP_EXIT_FAIL;
}

int
rpt_format_parse(const char *name)
{
	if (strcmp(name, "text") == 0)
		return RPT_TEXT;
	if (strcmp(name, "json") == 0)
		return RPT_JSON;
	if (strcmp(name, "junit") == 0)
		return RPT_JUNIT;
	if (strcmp(name, "tap") == 0)
		return RPT_TAP;
	if (strcmp(name, "html") == 0)
		return RPT_HTML;
	return -1;
}

int
rpt_write_path(const struct rpt_run *r, enum rpt_format fmt, const char *path)
{
	FILE *f;
	int rc, e;

	if (strcmp(path, "-") == 0) {
		rc = rpt_write(r, fmt, stdout, 0);
		if (fflush(stdout) != 0)
			rc = -1;
		return rc;
	}
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	rc = rpt_write(r, fmt, f, 0);
	e = errno;
	if (fclose(f) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	errno = e;
	return rc;
}
