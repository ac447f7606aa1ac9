/* SPDX-License-Identifier: MIT */
/* \summary: the analyzer's JSON report (jansson), until reports/ takes it over */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "analyzer/ana.h"
#include "analyzer/net.h"
#include "atproof/atproof.h"
#include "atproof/validate.h"

/*
 * The keys DESIGN.md promises ("verdict", "findings" with rule, severity,
 * verdict, source {file, line}, command, message, and "stats"), plus the
 * per-rule counts and per-command timing. This whole file is the one place
 * that will move to the shared report model of reports/.
 */

static const char *
verdict_str(enum atp_verdict v)
{
	return atp_verdict_name(v);
}

static int
set(json_t *o, const char *k, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(o, k, v);
}

static json_t *
finding_json(const struct ana_finding *f)
{
	json_t *o = json_object(), *src = json_object();
	int bad = 0;

	if (o == NULL || src == NULL) {
		json_decref(o);
		json_decref(src);
		return NULL;
	}
	bad |= set(src, "file", f->file != NULL ? json_string(f->file) : json_null());
	bad |= set(src, "line", json_integer((json_int_t)f->line));
	bad |= set(src, "offset", json_integer((json_int_t)f->offset));
	bad |= set(o, "rule", json_string(f->rule));
	bad |= set(o, "severity", json_string(atp_severity_name(f->severity)));
	bad |= set(o, "verdict", json_string(verdict_str(f->verdict)));
	bad |= set(o, "section", json_string(f->section));
	bad |= set(o, "source", src);
	bad |= set(o, "command", f->command[0] != '\0' ? json_string(f->command) : json_null());
	if (f->deviation[0] != '\0')
		bad |= set(o, "deviation", json_string(f->deviation));
	if (f->ts_us != 0)
		bad |= set(o, "time_us", json_integer((json_int_t)f->ts_us));
	bad |= set(o, "message", json_stringn(f->message, strlen(f->message)));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
stats_json(const struct ana_report *r)
{
	const struct ana_stats *st = &r->st;
	json_t *o = json_object(), *lat = json_array();
	size_t i;
	int bad = 0;

	if (o == NULL || lat == NULL) {
		json_decref(o);
		json_decref(lat);
		return NULL;
	}
#define N(k, v) bad |= set(o, k, json_integer((json_int_t)(v)))
	N("files", st->files);
	N("records", st->records);
	N("records_dir_inferred", st->records_inferred);
	N("bytes_to_module", st->bytes_to);
	N("bytes_from_module", st->bytes_from);
	N("commands", st->commands);
	N("responses", st->responses);
	N("reports", st->reports);
	N("echoes", st->echoes);
	N("data_frames", st->data_frames);
	N("other_frames", st->text_frames);
	N("exchanges_timed", st->exchanges_timed);
	N("unanswered", st->unanswered);
	N("unsolicited", st->unsolicited);
	N("sksnd_bytes", st->sksnd_bytes);
	N("skrcv_bytes", st->skrcv_bytes);
	N("report_data_bytes", st->sktrpt_bytes);
	N("transparent_bytes", st->transparent_bytes);
	N("input_lines_skipped", st->skipped_lines);
	N("findings", r->nf + r->dropped);
	N("findings_dropped", r->dropped);
	if (st->last_ts != 0)
		N("duration_us", st->last_ts - st->first_ts);
#undef N
	for (i = 0; i < r->nlat; i++) {
		const struct ana_lat *l = &r->lat[i];
		json_t *e = json_object();
		if (e == NULL || json_array_append_new(lat, e) != 0) {
			bad = 1;
			break;
		}
		bad |= set(e, "command", json_string(l->name));
		bad |= set(e, "timed", json_integer((json_int_t)l->n));
		bad |= set(e, "unanswered", json_integer((json_int_t)l->missing));
		if (l->n > 0) {
			bad |= set(e, "p50_us", json_integer((json_int_t)ana_lat_pct(l, 50)));
			bad |= set(e, "p90_us", json_integer((json_int_t)ana_lat_pct(l, 90)));
			bad |= set(e, "p99_us", json_integer((json_int_t)ana_lat_pct(l, 99)));
			bad |= set(e, "max_us", json_integer((json_int_t)l->max_final));
			bad |= set(e, "max_first_byte_us", json_integer((json_int_t)l->max_first));
		}
		if (l->limit_us != 0)
			bad |= set(e, "limit_us", json_integer((json_int_t)l->limit_us));
	}
	bad |= set(o, "latency", lat);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
report_json(const struct ana_report *r, int input_error)
{
	json_t *o = json_object(), *fa = json_array(), *ra = json_array(), *in = json_array();
	size_t i;
	int bad = 0;

	if (o == NULL || fa == NULL || ra == NULL || in == NULL) {
		json_decref(o);
		json_decref(fa);
		json_decref(ra);
		json_decref(in);
		return NULL;
	}
	bad |= set(o, "tool", json_string("atproof analyze"));
	bad |= set(o, "version", json_string(ATPROOF_VERSION));
	bad |= set(o, "verdict", json_string(input_error ? "error" :
	    verdict_str(ana_report_verdict(r))));
	bad |= set(o, "profile", json_string(r->profile));
	for (i = 0; i < r->nfiles; i++) {
		json_t *e = json_object();
		if (e == NULL || json_array_append_new(in, e) != 0) {
			bad = 1;
			break;
		}
		bad |= set(e, "file", json_string(r->files[i]));
		bad |= set(e, "format", r->file_fmts[i] != NULL ? json_string(r->file_fmts[i]) :
		    json_null());
	}
	bad |= set(o, "inputs", in);
	for (i = 0; i < r->nf; i++)
		bad |= json_array_append_new(fa, finding_json(&r->f[i]));
	bad |= set(o, "findings", fa);
	for (i = 0; i < r->nrules; i++) {
		const struct ana_rule_count *rc = &r->rules[i];
		json_t *e = json_object();
		if (e == NULL || json_array_append_new(ra, e) != 0) {
			bad = 1;
			break;
		}
		bad |= set(e, "rule", json_string(rc->rule));
		bad |= set(e, "severity", json_string(atp_severity_name(rc->severity)));
		bad |= set(e, "section", json_string(rc->section));
		bad |= set(e, "count", json_integer((json_int_t)rc->n));
		bad |= set(e, "fail", json_integer((json_int_t)rc->by_verdict[ATP_V_FAIL]));
		bad |= set(e, "known", json_integer((json_int_t)rc->by_verdict[ATP_V_KNOWN]));
		bad |= set(e, "inconc", json_integer((json_int_t)rc->by_verdict[ATP_V_INCONC]));
		bad |= set(e, "pass", json_integer((json_int_t)rc->by_verdict[ATP_V_PASS]));
	}
	bad |= set(o, "rules", ra);
	bad |= set(o, "stats", stats_json(r));
	if (r->net != NULL)
		bad |= set(o, "network", ana_net_json(r->net));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
ana_write_json(const struct ana_report *r, FILE *out, struct atp_diag *d)
{
	json_t *o = report_json(r, d != NULL && d->code != ATP_OK);
	int rc;

	if (o == NULL)
		return ATP_ERR_NOMEM;
	rc = json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(o);
	if (rc != 0 || fputc('\n', out) == EOF)
		return ATP_ERR_IO;
	return ATP_OK;
}
