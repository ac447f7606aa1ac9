/* SPDX-License-Identifier: MIT */
/* \summary: the analyzer's readable text summary */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/ana.h"
#include "analyzer/net.h"
#include "atproof/alloc.h"
#include "atproof/validate.h"

/*
 * Summary first (verdict and counts, TTCN-3 style: analyzer-anchors.md §4),
 * then the rules with their counts, the findings grouped by rule with
 * their source lines, and the timing table.
 */

#define SHOW_PER_RULE 20
#define TIMELINE_MAX 60

/* Findings in the order of the session: by input, then by position (the
 * array's order breaks ties, so equal places keep their order). */
static int
by_place(const void *a, const void *b)
{
	const struct ana_finding *x = *(const struct ana_finding *const *)a;
	const struct ana_finding *y = *(const struct ana_finding *const *)b;
	int c = strcmp(x->file != NULL ? x->file : "", y->file != NULL ? y->file : "");

	if (c != 0)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * The session's failures and undecided points in the order they happened,
 * with the time of day where the input has times: what an engineer reads
 * next to the log.
 */
static void
timeline(const struct ana_report *r, FILE *out)
{
	const struct ana_finding **idx;
	size_t i, n = 0;

	idx = atp_calloc(r->nf > 0 ? r->nf : 1, sizeof(*idx));
	if (idx == NULL)
		return;
	for (i = 0; i < r->nf; i++)
		if (r->f[i].verdict == ATP_V_FAIL || r->f[i].verdict == ATP_V_INCONC ||
		    r->f[i].verdict == ATP_V_KNOWN)
			idx[n++] = &r->f[i];
	if (n > 0) {
		qsort(idx, n, sizeof(*idx), by_place);
		fprintf(out, "\ntimeline:\n");
	}
	for (i = 0; i < n && i < TIMELINE_MAX; i++) {
		const struct ana_finding *f = idx[i];
		char when[32] = "";
		if (f->ts_us != 0) {
			uint64_t s = f->ts_us / 1000000u;
			snprintf(when, sizeof(when), "%02u:%02u:%02u.%03u ", (unsigned)(s / 3600 % 24),
			    (unsigned)(s / 60 % 60), (unsigned)(s % 60),
			    (unsigned)(f->ts_us % 1000000u / 1000u));
		}
		if (f->line != 0)
			fprintf(out, "  %s%s:%lu", when, f->file != NULL ? f->file : "?", f->line);
		else
			fprintf(out, "  %s%s@%llu", when, f->file != NULL ? f->file : "?",
			    (unsigned long long)f->offset);
		fprintf(out, "  %-6s %s: %s\n", atp_verdict_name(f->verdict), f->rule, f->message);
	}
	if (n > TIMELINE_MAX)
		fprintf(out, "  ... and %zu more\n", n - TIMELINE_MAX);
	atp_free((void *)idx);
}

int
ana_write_text(const struct ana_report *r, FILE *out, int input_error)
{
	const struct ana_stats *st = &r->st;
	size_t i, j;

	fprintf(out, "verdict: %s (profile %s)\n", input_error ? "error (an input could not be read)" :
	    atp_verdict_name(ana_report_verdict(r)), r->profile);
	fprintf(out, "inputs: %lu file(s), %lu records (%lu with inferred direction), "
	    "%llu bytes to the module, %llu from it\n", st->files, st->records,
	    st->records_inferred, (unsigned long long)st->bytes_to,
	    (unsigned long long)st->bytes_from);
	for (i = 0; i < r->nfiles && i < 10; i++)
		fprintf(out, "  %s (%s)\n", r->files[i], r->file_fmts[i] != NULL ? r->file_fmts[i] : "?");
	if (r->nfiles > 10)
		fprintf(out, "  ... and %zu more\n", r->nfiles - 10);
	fprintf(out, "exchanges: %lu commands, %lu responses, %lu reports, %lu unanswered, "
	    "%lu unsolicited\n", st->commands, st->responses, st->reports, st->unanswered,
	    st->unsolicited);
	if (r->nrules > 0)
		fprintf(out, "\nrules:\n");
	for (i = 0; i < r->nrules; i++) {
		const struct ana_rule_count *rc = &r->rules[i];
		fprintf(out, "  %-26s %-7s %s%-9s %5lu  (fail %lu, known %lu, inconc %lu)\n",
		    rc->rule, atp_severity_name(rc->severity), rc->section[0] ? "§" : " ",
		    rc->section[0] ? rc->section : "-", rc->n,
		    rc->by_verdict[ATP_V_FAIL], rc->by_verdict[ATP_V_KNOWN],
		    rc->by_verdict[ATP_V_INCONC]);
	}
	for (i = 0; i < r->nrules; i++) {
		const struct ana_rule_count *rc = &r->rules[i];
		unsigned long shown = 0;

		fprintf(out, "\n%s:\n", rc->rule);
		for (j = 0; j < r->nf && shown < SHOW_PER_RULE; j++) {
			const struct ana_finding *f = &r->f[j];
			if (strcmp(f->rule, rc->rule) != 0)
				continue;
			shown++;
			if (f->line != 0)
				fprintf(out, "  %s:%lu: ", f->file != NULL ? f->file : "?", f->line);
			else
				fprintf(out, "  %s@%llu: ", f->file != NULL ? f->file : "?",
				    (unsigned long long)f->offset);
			fprintf(out, "%s [%s]%s%s\n", f->message, atp_verdict_name(f->verdict),
			    f->deviation[0] != '\0' ? " known: " : "", f->deviation);
		}
		if (rc->n > shown)
			fprintf(out, "  ... and %lu more\n", rc->n - shown);
	}
	timeline(r, out);
	ana_net_text(r->net, out);
	if (r->nlat > 0) {
		fprintf(out, "\nlatency (ms, last byte sent to last byte of the response):\n");
		fprintf(out, "  %-10s %7s %9s %9s %9s %9s %5s\n", "command", "n", "p50", "p90",
		    "p99", "max", "lost");
		for (i = 0; i < r->nlat; i++) {
			const struct ana_lat *l = &r->lat[i];
			fprintf(out, "  %-10s %7lu %9.3f %9.3f %9.3f %9.3f %5lu\n", l->name, l->n,
			    (double)ana_lat_pct(l, 50) / 1000.0, (double)ana_lat_pct(l, 90) / 1000.0,
			    (double)ana_lat_pct(l, 99) / 1000.0, (double)l->max_final / 1000.0,
			    l->missing);
		}
	}
	return ferror(out) ? ATP_ERR_IO : ATP_OK;
}
