/* SPDX-License-Identifier: MIT */
/* \summary: report writers: text, JSON (jansson), JUnit XML, TAP (HTML: html.c) */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "atproof/alloc.h"
#include "reports/rpt.h"

/*
 * Text: one line per case, the details of each failure under it (file:line,
 * step, expected and actual as text and hex, the bytes left unconsumed),
 * then the findings and a summary (harness-anchors §0.5: Hurl-style
 * places, pytest-embedded's "what was in the buffer").
 */
static const char *
vcolor(enum rpt_verdict v, int color)
{
	if (!color)
		return "";
	switch (v) {
	case RPT_PASS: return "\033[32m";
	case RPT_FAIL: return "\033[31m";
	case RPT_ERROR: return "\033[1;31m";
	case RPT_INCONC: return "\033[33m";
	case RPT_SKIP: return "\033[36m";
	}
	return "";
}

static void
upper(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		buf[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	buf[i] = '\0';
}

static void
write_step_detail(FILE *f, const struct rpt_step *s)
{
	fprintf(f, "    %s:%lu: %s step '%s': %s\n", s->file != NULL ? s->file : "?", s->line,
	    s->phase != NULL ? s->phase : "", s->name,
	    s->message != NULL ? s->message : rpt_verdict_name(s->verdict));
	if (s->expected != NULL)
		fprintf(f, "      expected:   %s\n", s->expected);
	if (s->actual != NULL)
		fprintf(f, "      actual:     %s\n", s->actual);
	if (s->actual_hex != NULL && s->actual_hex[0] != '\0')
		fprintf(f, "      actual hex: %s\n", s->actual_hex);
	if (s->unconsumed != NULL)
		fprintf(f, "      unconsumed: %s\n", s->unconsumed);
	if (s->unconsumed_hex != NULL && s->unconsumed_hex[0] != '\0')
		fprintf(f, "      unconsumed hex: %s\n", s->unconsumed_hex);
	if (s->attempts > 1)
		fprintf(f, "      attempts:   %u\n", s->attempts);
}

static void
write_text(const struct rpt_run *r, FILE *f, int color)
{
	const char *off = color ? "\033[0m" : "";
	size_t i, j, counts[5] = { 0 };
	char vn[16];

	for (i = 0; i < r->ncases; i++) {
		const struct rpt_case *c = r->cases[i];
		counts[c->verdict]++;
		upper(rpt_verdict_name(c->verdict), vn, sizeof(vn));
		fprintf(f, "%s%-6s%s %s  (%s, %.3fs)", vcolor(c->verdict, color), vn, off, c->id,
		    c->file, c->seconds);
		if (c->reason != NULL && c->verdict != RPT_PASS)
			fprintf(f, ": %s", c->reason);
		fputc('\n', f);
		for (j = 0; j < c->nsteps; j++) {
			const struct rpt_step *s = c->steps[j];
			if (s->verdict == RPT_FAIL || s->verdict == RPT_ERROR ||
			    s->verdict == RPT_INCONC)
				write_step_detail(f, s);
		}
		for (j = 0; j < c->nmeasures; j++) {
			const struct rpt_measure *m = c->measures[j];
			fprintf(f, "    measure %s = %g %s", m->name, m->value,
			    m->unit != NULL ? m->unit : "");
			if (m->has_min || m->has_max) {
				fprintf(f, " [");
				if (m->has_min)
					fprintf(f, "%g", m->min);
				fprintf(f, "..");
				if (m->has_max)
					fprintf(f, "%g", m->max);
				fprintf(f, "]");
			}
			fprintf(f, " %s\n", rpt_verdict_name(m->verdict));
		}
	}
	for (i = 0; i < r->nfindings; i++) {
		const struct rpt_finding *fd = r->findings[i];
		fprintf(f, "%s:%lu: %s %s%s%s%s: %s\n", fd->file != NULL ? fd->file : "?",
		    fd->line, fd->verdict != NULL ? fd->verdict : "",
		    fd->rule != NULL ? fd->rule : "",
		    fd->section != NULL ? " [§" : "", fd->section != NULL ? fd->section : "",
		    fd->section != NULL ? "]" : "",
		    fd->message != NULL ? fd->message : "");
	}
	if (r->reason != NULL)
		fprintf(f, "%s%s%s\n", vcolor(r->verdict, color), r->reason, off);
	upper(rpt_verdict_name(r->verdict), vn, sizeof(vn));
	fprintf(f, "%s%s%s: %zu passed, %zu failed, %zu inconclusive, %zu error, %zu skipped",
	    vcolor(r->verdict, color), vn, off, counts[RPT_PASS], counts[RPT_FAIL],
	    counts[RPT_INCONC], counts[RPT_ERROR], counts[RPT_SKIP]);
	if (r->unit_mac != NULL || r->unit_fw != NULL)
		fprintf(f, " (unit %s, firmware %s)", r->unit_mac != NULL ? r->unit_mac : "?",
		    r->unit_fw != NULL ? r->unit_fw : "?");
	fprintf(f, " in %.3fs\n", r->seconds);
}

/*
 * JSON. The keys of DESIGN.md ("verdict", "cases" with id/file/verdict/
 * steps, "findings", "stats") are a contract; others may be added.
 */
static json_t *
jstr(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Timing over repeats (harness-anchors §4.5): the final-byte times of each
 * step (by file and line) across every case that ran it, as n, min, p50,
 * p90, max in microseconds. Only steps run more than once are listed.
 */
static json_t *
build_timing(const struct rpt_run *r)
{
	json_t *arr = json_array();
	size_t i, j, k, l, total = 0;
	int64_t *v;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < r->ncases; i++)
		total += r->cases[i]->nsteps;
	/* The grouping is quadratic: past this many steps the table is left
	 * out rather than slowing the report down. */
	if (total > 20000)
		return arr;
	v = atp_malloc((total + 1) * sizeof(*v));
	if (v == NULL)
		return arr;
	for (i = 0; i < r->ncases; i++) {
		for (j = 0; j < r->cases[i]->nsteps; j++) {
			const struct rpt_step *s = r->cases[i]->steps[j];
			size_t n = 0, seen = 0;
			json_t *o;
			if (s->final_us < 0 || s->file == NULL)
				continue;
			/* Only the first occurrence of a (file, line) lists it. */
			for (k = 0; k <= i && !seen; k++)
				for (l = 0; l < r->cases[k]->nsteps; l++) {
					const struct rpt_step *t = r->cases[k]->steps[l];
					if (k == i && l == j)
						break;
					if (t->final_us >= 0 && t->file != NULL && t->line == s->line &&
					    strcmp(t->file, s->file) == 0) {
						seen = 1;
						break;
					}
				}
			if (seen)
				continue;
			for (k = i; k < r->ncases; k++)
				for (l = 0; l < r->cases[k]->nsteps; l++) {
					const struct rpt_step *t = r->cases[k]->steps[l];
					if (t->final_us >= 0 && t->file != NULL && t->line == s->line &&
					    strcmp(t->file, s->file) == 0)
						v[n++] = t->final_us;
				}
			if (n < 2)
				continue;
			qsort(v, n, sizeof(*v), cmp_i64);
			o = json_object();
			json_object_set_new(o, "file", json_string(s->file));
			json_object_set_new(o, "line", json_integer((json_int_t)s->line));
			json_object_set_new(o, "step", json_string(s->name));
			json_object_set_new(o, "n", json_integer((json_int_t)n));
			json_object_set_new(o, "min_us", json_integer(v[0]));
			json_object_set_new(o, "p50_us", json_integer(v[(n - 1) / 2]));
			json_object_set_new(o, "p90_us", json_integer(v[(n - 1) * 9 / 10]));
			json_object_set_new(o, "max_us", json_integer(v[n - 1]));
			json_array_append_new(arr, o);
		}
	}
	atp_free(v);
	return arr;
}

static json_t *
build_json(const struct rpt_run *r)
{
	json_t *root = json_object(), *cases = json_array(), *finds = json_array();
	json_t *stats = json_object(), *unit = json_object();
	size_t i, j, counts[5] = { 0 };

	if (root == NULL || cases == NULL || finds == NULL || stats == NULL || unit == NULL) {
		json_decref(root);
		json_decref(cases);
		json_decref(finds);
		json_decref(stats);
		json_decref(unit);
		return NULL;
	}
	json_object_set_new(root, "tool", jstr(r->tool));
	json_object_set_new(root, "verdict", json_string(rpt_verdict_name(r->verdict)));
	if (r->reason != NULL)
		json_object_set_new(root, "reason", json_string(r->reason));
	json_object_set_new(root, "started", jstr(r->started));
	json_object_set_new(root, "port", jstr(r->port));
	json_object_set_new(root, "transport", jstr(r->transport));
	json_object_set_new(root, "profile", jstr(r->profile));
	if (r->unit_name != NULL)
		json_object_set_new(unit, "name", json_string(r->unit_name));
	json_object_set_new(unit, "mac", jstr(r->unit_mac));
	json_object_set_new(unit, "firmware", jstr(r->unit_fw));
	json_object_set_new(root, "unit", unit);
	for (i = 0; i < r->ncases; i++) {
		const struct rpt_case *c = r->cases[i];
		json_t *jc = json_object(), *steps = json_array(), *ms = json_array();
		counts[c->verdict]++;
		json_object_set_new(jc, "id", jstr(c->id));
		json_object_set_new(jc, "file", jstr(c->file));
		json_object_set_new(jc, "title", jstr(c->title));
		json_object_set_new(jc, "spec", jstr(c->spec));
		json_object_set_new(jc, "verdict", json_string(rpt_verdict_name(c->verdict)));
		if (c->reason != NULL)
			json_object_set_new(jc, "reason", json_string(c->reason));
		json_object_set_new(jc, "seconds", json_real(c->seconds));
		for (j = 0; j < c->nsteps; j++) {
			const struct rpt_step *s = c->steps[j];
			json_t *js = json_object();
			json_object_set_new(js, "name", jstr(s->name));
			json_object_set_new(js, "phase", jstr(s->phase));
			json_object_set_new(js, "file", jstr(s->file));
			json_object_set_new(js, "line", json_integer((json_int_t)s->line));
			json_object_set_new(js, "verdict", json_string(rpt_verdict_name(s->verdict)));
			if (s->message != NULL)
				json_object_set_new(js, "message", json_string(s->message));
			if (s->expected != NULL)
				json_object_set_new(js, "expected", json_string(s->expected));
			if (s->actual != NULL)
				json_object_set_new(js, "actual", json_string(s->actual));
			if (s->actual_hex != NULL)
				json_object_set_new(js, "actual_hex", json_string(s->actual_hex));
			if (s->unconsumed != NULL)
				json_object_set_new(js, "unconsumed", json_string(s->unconsumed));
			if (s->unconsumed_hex != NULL)
				json_object_set_new(js, "unconsumed_hex", json_string(s->unconsumed_hex));
			if (s->first_us >= 0)
				json_object_set_new(js, "first_byte_us", json_integer(s->first_us));
			if (s->final_us >= 0)
				json_object_set_new(js, "final_byte_us", json_integer(s->final_us));
			json_object_set_new(js, "attempts", json_integer(s->attempts));
			json_object_set_new(js, "warnings", json_integer(s->warnings));
			json_array_append_new(steps, js);
		}
		json_object_set_new(jc, "steps", steps);
		for (j = 0; j < c->nmeasures; j++) {
			const struct rpt_measure *m = c->measures[j];
			json_t *jm = json_object();
			json_object_set_new(jm, "name", jstr(m->name));
			json_object_set_new(jm, "value", json_real(m->value));
			json_object_set_new(jm, "unit", jstr(m->unit));
			json_object_set_new(jm, "min", m->has_min ? json_real(m->min) : json_null());
			json_object_set_new(jm, "max", m->has_max ? json_real(m->max) : json_null());
			json_object_set_new(jm, "verdict", json_string(rpt_verdict_name(m->verdict)));
			json_array_append_new(ms, jm);
		}
		json_object_set_new(jc, "measures", ms);
		json_array_append_new(cases, jc);
	}
	json_object_set_new(root, "cases", cases);
	for (i = 0; i < r->nfindings; i++) {
		const struct rpt_finding *f = r->findings[i];
		json_t *jf = json_object(), *src = json_object();
		json_object_set_new(jf, "rule", jstr(f->rule));
		json_object_set_new(jf, "severity", jstr(f->severity));
		json_object_set_new(jf, "verdict", jstr(f->verdict));
		json_object_set_new(jf, "section", jstr(f->section));
		json_object_set_new(src, "file", jstr(f->file));
		json_object_set_new(src, "line", json_integer((json_int_t)f->line));
		json_object_set_new(jf, "source", src);
		json_object_set_new(jf, "command", jstr(f->command));
		json_object_set_new(jf, "message", jstr(f->message));
		json_object_set_new(jf, "case", jstr(f->case_id));
		json_array_append_new(finds, jf);
	}
	json_object_set_new(root, "findings", finds);
	json_object_set_new(stats, "cases", json_integer((json_int_t)r->ncases));
	json_object_set_new(stats, "passed", json_integer((json_int_t)counts[RPT_PASS]));
	json_object_set_new(stats, "failed", json_integer((json_int_t)counts[RPT_FAIL]));
	json_object_set_new(stats, "inconclusive", json_integer((json_int_t)counts[RPT_INCONC]));
	json_object_set_new(stats, "errors", json_integer((json_int_t)counts[RPT_ERROR]));
	json_object_set_new(stats, "skipped", json_integer((json_int_t)counts[RPT_SKIP]));
	json_object_set_new(stats, "findings", json_integer((json_int_t)r->nfindings));
	json_object_set_new(stats, "bytes_tx", json_integer((json_int_t)r->bytes_tx));
	json_object_set_new(stats, "bytes_rx", json_integer((json_int_t)r->bytes_rx));
	json_object_set_new(stats, "exchanges", json_integer((json_int_t)r->exchanges));
	json_object_set_new(stats, "seconds", json_real(r->seconds));
	json_object_set_new(root, "stats", stats);
	json_object_set_new(root, "timing", build_timing(r));
	if (r->json_extra != NULL) {    /* the harness's "serial" */
		const char *k;
		json_t *v;
		json_object_foreach(r->json_extra, k, v)
			json_object_set(root, k, v);
	}
	return root;
}


/*
 * Text of the findings layout (the analyzer): the verdict and counts first
 * (TTCN-3 style, analyzer-anchors.md §4), then the rules with their counts,
 * the findings grouped by rule with their source lines, a timeline of the
 * failures and undecided points in input order, the tool's own section
 * (the network side) and the timing table.
 */
#define SHOW_PER_RULE 20
#define TIMELINE_MAX 60

static void
write_place(FILE *f, const struct rpt_finding *fd)
{
	if (fd->line != 0)
		fprintf(f, "%s:%lu", fd->file != NULL ? fd->file : "?", fd->line);
	else
		fprintf(f, "%s@%llu", fd->file != NULL ? fd->file : "?",
		    (unsigned long long)fd->offset);
}

/* The run's timeline: what an engineer reads next to the log, with the
 * time of day where the input has times. */
static void
write_timeline(const struct rpt_run *r, FILE *f)
{
	size_t i, shown = 0, left = 0;

	if (r->nevents > 0)
		fprintf(f, "\ntimeline:\n");
	for (i = 0; i < r->nevents; i++) {
		const struct rpt_event *e = r->events[i];
		/* The first findings, and every event of the correlation
		 * (bounded where it is made). */
		if (e->file != NULL && shown >= TIMELINE_MAX) {
			left++;
			continue;
		}
		shown += e->file != NULL;
		fprintf(f, "  ");
		if (e->time_us != 0) {
			uint64_t s = e->time_us / 1000000u;
			fprintf(f, "%02u:%02u:%02u.%03u ", (unsigned)(s / 3600 % 24),
			    (unsigned)(s / 60 % 60), (unsigned)(s % 60),
			    (unsigned)(e->time_us % 1000000u / 1000u));
		}
		if (e->file == NULL) {
			fprintf(f, "%s\n", e->what != NULL ? e->what : "");
			continue;
		}
		if (e->line != 0)
			fprintf(f, "%s:%lu", e->file, e->line);
		else
			fprintf(f, "%s@%llu", e->file, (unsigned long long)e->offset);
		fprintf(f, "  %-6s %s\n", e->verdict != NULL ? e->verdict : "",
		    e->what != NULL ? e->what : "");
	}
	if (left > 0)
		fprintf(f, "  ... and %zu more\n", left);
}

static void
write_text_findings(const struct rpt_run *r, FILE *f)
{
	size_t i, j;

	if (r->verdict == RPT_ERROR && r->reason != NULL)
		fprintf(f, "verdict: error (%s)", r->reason);
	else
		fprintf(f, "verdict: %s", rpt_verdict_name(r->verdict));
	fprintf(f, " (profile %s)\n", r->profile != NULL ? r->profile : "?");
	fprintf(f, "inputs: %llu file(s), %llu records (%llu with inferred direction), "
	    "%llu bytes to the module, %llu from it\n",
	    (unsigned long long)rpt_stat_get(r, "files"),
	    (unsigned long long)rpt_stat_get(r, "records"),
	    (unsigned long long)rpt_stat_get(r, "records_dir_inferred"),
	    (unsigned long long)rpt_stat_get(r, "bytes_to_module"),
	    (unsigned long long)rpt_stat_get(r, "bytes_from_module"));
	for (i = 0; i < r->ninputs && i < 10; i++)
		fprintf(f, "  %s (%s)\n", r->inputs[i]->file,
		    r->inputs[i]->format != NULL ? r->inputs[i]->format : "?");
	if (r->ninputs > 10)
		fprintf(f, "  ... and %zu more\n", r->ninputs - 10);
	fprintf(f, "exchanges: %llu commands, %llu responses, %llu reports, %llu unanswered, "
	    "%llu unsolicited\n", (unsigned long long)rpt_stat_get(r, "commands"),
	    (unsigned long long)rpt_stat_get(r, "responses"),
	    (unsigned long long)rpt_stat_get(r, "reports"),
	    (unsigned long long)rpt_stat_get(r, "unanswered"),
	    (unsigned long long)rpt_stat_get(r, "unsolicited"));
	if (r->nrules > 0)
		fprintf(f, "\nrules:\n");
	for (i = 0; i < r->nrules; i++) {
		const struct rpt_rule *ru = r->rules[i];
		int sec = ru->section != NULL && ru->section[0] != '\0';
		fprintf(f, "  %-26s %-7s %s%-9s %5lu  (fail %lu, known %lu, inconc %lu)\n",
		    ru->rule, ru->severity != NULL ? ru->severity : "", sec ? "§" : " ",
		    sec ? ru->section : "-", ru->count, ru->fail, ru->known, ru->inconc);
	}
	for (i = 0; i < r->nrules; i++) {
		const struct rpt_rule *ru = r->rules[i];
		unsigned long shown = 0;

		fprintf(f, "\n%s:\n", ru->rule);
		for (j = 0; j < r->nfindings && shown < SHOW_PER_RULE; j++) {
			const struct rpt_finding *fd = r->findings[j];
			if (fd->rule == NULL || strcmp(fd->rule, ru->rule) != 0)
				continue;
			shown++;
			fprintf(f, "  ");
			write_place(f, fd);
			fprintf(f, ": %s [%s]%s%s\n", fd->message != NULL ? fd->message : "",
			    fd->verdict != NULL ? fd->verdict : "",
			    fd->deviation != NULL ? " known: " : "",
			    fd->deviation != NULL ? fd->deviation : "");
		}
		if (ru->count > shown)
			fprintf(f, "  ... and %lu more\n", ru->count - shown);
	}
	write_timeline(r, f);
	if (r->text_extra != NULL)
		fputs(r->text_extra, f);
	if (r->nlats > 0) {
		fprintf(f, "\nlatency (ms, last byte sent to last byte of the response):\n");
		fprintf(f, "  %-10s %7s %9s %9s %9s %9s %5s\n", "command", "n", "p50", "p90",
		    "p99", "max", "lost");
	}
	for (i = 0; i < r->nlats; i++) {
		const struct rpt_lat *l = r->lats[i];
		fprintf(f, "  %-10s %7lu %9.3f %9.3f %9.3f %9.3f %5lu\n", l->name, l->n,
		    (double)l->p50_us / 1000.0, (double)l->p90_us / 1000.0,
		    (double)l->p99_us / 1000.0, (double)l->max_us / 1000.0, l->missing);
	}
}

/*
 * JSON of the findings layout (the analyzer). The keys of DESIGN.md
 * ("verdict", "findings" with rule, severity, verdict, source {file, line},
 * command, message, and "stats") plus the inputs, the per-rule counts and
 * the per-command timing. Unlike the cases layout, a value that cannot be
 * made (text that is not UTF-8) fails the whole report: NULL.
 */
static int
jset(json_t *o, const char *k, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(o, k, v);
}

static json_t *
finding_json(const struct rpt_finding *f)
{
	json_t *o = json_object(), *src = json_object();
	int bad = 0;

	if (o == NULL || src == NULL) {
		json_decref(o);
		json_decref(src);
		return NULL;
	}
	bad |= jset(src, "file", jstr(f->file));
	bad |= jset(src, "line", json_integer((json_int_t)f->line));
	bad |= jset(src, "offset", json_integer((json_int_t)f->offset));
	bad |= jset(o, "rule", jstr(f->rule));
	bad |= jset(o, "severity", jstr(f->severity));
	bad |= jset(o, "verdict", jstr(f->verdict));
	bad |= jset(o, "section", jstr(f->section));
	bad |= jset(o, "source", src);
	bad |= jset(o, "command", jstr(f->command));
	if (f->deviation != NULL)
		bad |= jset(o, "deviation", json_string(f->deviation));
	if (f->time_us != 0)
		bad |= jset(o, "time_us", json_integer((json_int_t)f->time_us));
	bad |= jset(o, "message", jstr(f->message));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
lat_json(const struct rpt_lat *l)
{
	json_t *e = json_object();
	int bad = e == NULL;

	if (bad)
		return NULL;
	bad |= jset(e, "command", json_string(l->name));
	bad |= jset(e, "timed", json_integer((json_int_t)l->n));
	bad |= jset(e, "unanswered", json_integer((json_int_t)l->missing));
	if (l->n > 0) {
		bad |= jset(e, "p50_us", json_integer(l->p50_us));
		bad |= jset(e, "p90_us", json_integer(l->p90_us));
		bad |= jset(e, "p99_us", json_integer(l->p99_us));
		bad |= jset(e, "max_us", json_integer(l->max_us));
		bad |= jset(e, "max_first_byte_us", json_integer(l->max_first_us));
	}
	if (l->limit_us != 0)
		bad |= jset(e, "limit_us", json_integer(l->limit_us));
	if (bad) {
		json_decref(e);
		return NULL;
	}
	return e;
}

static json_t *
build_json_findings(const struct rpt_run *r)
{
	json_t *o = json_object(), *fa = json_array(), *ra = json_array(), *in = json_array();
	json_t *st = json_object(), *lat = json_array();
	char tool[64];
	size_t i;
	int bad = 0;

	if (o == NULL || fa == NULL || ra == NULL || in == NULL || st == NULL || lat == NULL) {
		json_decref(o);
		json_decref(fa);
		json_decref(ra);
		json_decref(in);
		json_decref(st);
		json_decref(lat);
		return NULL;
	}
	snprintf(tool, sizeof(tool), "atproof %s", r->tool != NULL ? r->tool : "");
	bad |= jset(o, "tool", json_string(tool));
	if (r->version != NULL)
		bad |= jset(o, "version", json_string(r->version));
	bad |= jset(o, "verdict", json_string(rpt_verdict_name(r->verdict)));
	bad |= jset(o, "profile", jstr(r->profile));
	for (i = 0; i < r->ninputs; i++)
		bad |= json_array_append_new(in, json_pack("{s:s,s:o}", "file", r->inputs[i]->file,
		    "format", jstr(r->inputs[i]->format)));
	bad |= jset(o, "inputs", in);
	for (i = 0; i < r->nfindings; i++)
		bad |= json_array_append_new(fa, finding_json(r->findings[i]));
	bad |= jset(o, "findings", fa);
	for (i = 0; i < r->nrules; i++) {
		const struct rpt_rule *ru = r->rules[i];
		bad |= json_array_append_new(ra, json_pack("{s:s,s:o,s:o,s:I,s:I,s:I,s:I,s:I}",
		    "rule", ru->rule, "severity", jstr(ru->severity), "section", jstr(ru->section),
		    "count", (json_int_t)ru->count, "fail", (json_int_t)ru->fail,
		    "known", (json_int_t)ru->known, "inconc", (json_int_t)ru->inconc,
		    "pass", (json_int_t)ru->pass));
	}
	bad |= jset(o, "rules", ra);
	for (i = 0; i < r->nstats; i++)
		bad |= jset(st, r->stats[i].name, json_integer((json_int_t)r->stats[i].value));
	for (i = 0; i < r->nlats; i++)
		bad |= json_array_append_new(lat, lat_json(r->lats[i]));
	bad |= jset(st, "latency", lat);
	bad |= jset(o, "stats", st);
	if (r->json_extra != NULL) {
		const char *k;
		json_t *v;
		json_object_foreach(r->json_extra, k, v)
			bad |= json_object_set(o, k, v);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * Text into XML or HTML markup: the five special characters as entities
 * (&apos; for the quote: XML has it, and so has HTML5), a control byte other than
 * LF and TAB as '?': XML 1.0 has no place for most of them, and the text
 * is already escaped, so they never come from a device.
 */
void
rpt_esc_markup(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			fputc(c < 0x20 && c != '\n' && c != '\t' ? '?' : c, f);
		}
	}
}

#define xml_esc rpt_esc_markup

static void
write_junit(const struct rpt_run *r, FILE *f)
{
	size_t i, j, fails = 0, errs = 0, skips = 0;

	for (i = 0; i < r->ncases; i++) {
		fails += r->cases[i]->verdict == RPT_FAIL;
		errs += r->cases[i]->verdict == RPT_ERROR || r->cases[i]->verdict == RPT_INCONC;
		skips += r->cases[i]->verdict == RPT_SKIP;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	/* Jenkins' junit-10 schema: no "skipped" on the root, no properties
	 * inside a testcase (tests/data/junit.xsd). */
	fprintf(f, "<testsuites name=\"atproof\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
	    "time=\"%.3f\">\n", r->ncases, fails, errs, r->seconds);
	fprintf(f, "  <testsuite name=\"atproof %s", r->tool);
	if (r->unit_name != NULL) {
		fprintf(f, " ");
		xml_esc(f, r->unit_name);
	}
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
	    "skipped=\"%zu\" time=\"%.3f\"", r->ncases, fails, errs, skips, r->seconds);
	if (r->started != NULL) {
		fprintf(f, " timestamp=\"");
		xml_esc(f, r->started);
		fprintf(f, "\"");
	}
	fprintf(f, ">\n    <properties>\n");
	fprintf(f, "      <property name=\"unit.mac\" value=\"");
	xml_esc(f, r->unit_mac != NULL ? r->unit_mac : "");
	fprintf(f, "\"/>\n      <property name=\"unit.firmware\" value=\"");
	xml_esc(f, r->unit_fw != NULL ? r->unit_fw : "");
	fprintf(f, "\"/>\n      <property name=\"port\" value=\"");
	xml_esc(f, r->port != NULL ? r->port : "");
	fprintf(f, "\"/>\n      <property name=\"profile\" value=\"");
	xml_esc(f, r->profile != NULL ? r->profile : "");
	fprintf(f, "\"/>\n    </properties>\n");
	for (i = 0; i < r->ncases; i++) {
		const struct rpt_case *c = r->cases[i];
		fprintf(f, "    <testcase classname=\"");
		xml_esc(f, c->file);
		fprintf(f, "\" name=\"");
		xml_esc(f, c->id);
		fprintf(f, "\" time=\"%.3f\">\n", c->seconds);
		if (c->spec != NULL) {
			fprintf(f, "      <system-out>spec: ");
			xml_esc(f, c->spec);
			fprintf(f, "</system-out>\n");
		}
		if (c->verdict == RPT_SKIP) {
			fprintf(f, "      <skipped message=\"");
			xml_esc(f, c->reason);
			fprintf(f, "\"/>\n");
		} else if (c->verdict != RPT_PASS) {
			const char *tag = c->verdict == RPT_FAIL ? "failure" : "error";
			fprintf(f, "      <%s message=\"", tag);
			xml_esc(f, c->reason);
			fprintf(f, "\" type=\"%s\">", rpt_verdict_name(c->verdict));
			for (j = 0; j < c->nsteps; j++) {
				const struct rpt_step *s = c->steps[j];
				if (s->verdict == RPT_PASS || s->verdict == RPT_SKIP)
					continue;
				xml_esc(f, s->file != NULL ? s->file : "?");
				fprintf(f, ":%lu: ", s->line);
				xml_esc(f, s->name);
				fprintf(f, ": ");
				xml_esc(f, s->message);
				if (s->expected != NULL) {
					fprintf(f, "\nexpected: ");
					xml_esc(f, s->expected);
				}
				if (s->actual != NULL) {
					fprintf(f, "\nactual: ");
					xml_esc(f, s->actual);
				}
				if (s->actual_hex != NULL) {
					fprintf(f, "\nactual hex: ");
					xml_esc(f, s->actual_hex);
				}
				fprintf(f, "\n");
			}
			fprintf(f, "</%s>\n", tag);
		}
		fprintf(f, "    </testcase>\n");
	}
	fprintf(f, "  </testsuite>\n</testsuites>\n");
}

static void
yaml_line(FILE *f, const char *key, const char *v)
{
	/* TAP's YAML block: single-quoted scalars, quotes doubled. */
	if (v == NULL)
		return;
	fprintf(f, "  %s: '", key);
	for (; *v != '\0'; v++) {
		if (*v == '\'')
			fputc('\'', f);
		fputc(*v == '\n' ? ' ' : *v, f);
	}
	fprintf(f, "'\n");
}

static void
write_tap(const struct rpt_run *r, FILE *f)
{
	size_t i, j;

	fprintf(f, "TAP version 13\n1..%zu\n", r->ncases);
	for (i = 0; i < r->ncases; i++) {
		const struct rpt_case *c = r->cases[i];
		int ok = c->verdict == RPT_PASS || c->verdict == RPT_SKIP;
		fprintf(f, "%s %zu - %s", ok ? "ok" : "not ok", i + 1, c->id);
		if (c->verdict == RPT_SKIP)
			fprintf(f, " # SKIP %s", c->reason != NULL ? c->reason : "");
		fputc('\n', f);
		if (ok)
			continue;
		fprintf(f, "  ---\n");
		yaml_line(f, "verdict", rpt_verdict_name(c->verdict));
		yaml_line(f, "file", c->file);
		yaml_line(f, "message", c->reason);
		for (j = 0; j < c->nsteps; j++) {
			const struct rpt_step *s = c->steps[j];
			char at[64];
			if (s->verdict == RPT_PASS || s->verdict == RPT_SKIP)
				continue;
			snprintf(at, sizeof(at), "%lu", s->line);
			yaml_line(f, "step", s->name);
			yaml_line(f, "line", at);
			yaml_line(f, "expected", s->expected);
			yaml_line(f, "actual", s->actual);
			break;
		}
		fprintf(f, "  ...\n");
	}
}

int
rpt_write(const struct rpt_run *r, enum rpt_format fmt, FILE *f, int color)
{
	json_t *j;
	int rc = 0;

	errno = 0;
	switch (fmt) {
	case RPT_TEXT:
		if (r->layout == RPT_LAYOUT_FINDINGS)
			write_text_findings(r, f);
		else
			write_text(r, f, color);
		break;
	case RPT_JSON:
		j = r->layout == RPT_LAYOUT_FINDINGS ? build_json_findings(r) : build_json(r);
		if (j == NULL) {
			errno = ENOMEM;
			return -1;
		}
		/* The findings carry bytes of the device's: kept ASCII so that
		 * any viewer shows them the same. */
		rc = json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
		    (r->layout == RPT_LAYOUT_FINDINGS ? JSON_ENSURE_ASCII : 0)) < 0 ? -1 : 0;
		fputc('\n', f);
		json_decref(j);
		break;
	case RPT_JUNIT:
		write_junit(r, f);
		break;
	case RPT_TAP:
		write_tap(r, f);
		break;
	case RPT_HTML:
		rc = rpt_write_html(r, f);
		break;
	}
	if (ferror(f))
		rc = -1;
	return rc;
}
