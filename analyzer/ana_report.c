/* SPDX-License-Identifier: MIT */
/* \summary: the analyzer's findings, rule counts and timing rows */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/ana.h"
#include "atproof/alloc.h"

/*
 * The counting while the session runs (bounded: findings kept per rule,
 * a reservoir per command); ana_rpt.c turns the result into the shared
 * report model of reports/ that writes every format.
 */

void
ana_report_init(struct ana_report *r)
{
	memset(r, 0, sizeof(*r));
	r->profile = "manual";
}

void
ana_report_free(struct ana_report *r)
{
	size_t i;

	for (i = 0; i < r->nfiles; i++)
		atp_free(r->files[i]);
	atp_free(r->files);
	atp_free(r->file_fmts);
	for (i = 0; i < r->nlat; i++)
		atp_free(r->lat[i].final_us);
	atp_free(r->lat);
	atp_free(r->f);
	atp_free(r->charts);
	memset(r, 0, sizeof(*r));
}

const char *
ana_report_file(struct ana_report *r, const char *name, const char *fmt)
{
	size_t i;
	char **nf;
	const char **ff;

	for (i = 0; i < r->nfiles; i++)
		if (strcmp(r->files[i], name) == 0)
			return r->files[i];
	nf = atp_realloc(r->files, (r->nfiles + 1) * sizeof(*nf));
	if (nf == NULL)
		return NULL;
	r->files = nf;
	ff = atp_realloc(r->file_fmts, (r->nfiles + 1) * sizeof(*ff));
	if (ff == NULL)
		return NULL;
	r->file_fmts = ff;
	nf[r->nfiles] = atp_strdup(name);
	if (nf[r->nfiles] == NULL)
		return NULL;
	ff[r->nfiles] = fmt;
	return nf[r->nfiles++];
}

static struct ana_rule_count *
rule_row(struct ana_report *r, const struct ana_finding *f)
{
	size_t i;

	for (i = 0; i < r->nrules; i++)
		if (strcmp(r->rules[i].rule, f->rule) == 0)
			return &r->rules[i];
	if (r->nrules >= ANA_RULES_MAX)
		return NULL;
	memset(&r->rules[r->nrules], 0, sizeof(r->rules[0]));
	r->rules[r->nrules].rule = f->rule;
	r->rules[r->nrules].severity = f->severity;
	snprintf(r->rules[r->nrules].section, sizeof(r->rules[0].section), "%s", f->section);
	return &r->rules[r->nrules++];
}

int
ana_report_add(struct ana_report *r, const struct ana_finding *f)
{
	struct ana_rule_count *rc = rule_row(r, f);
	struct ana_finding *nf;

	if (rc != NULL) {
		rc->n++;
		if (f->severity > rc->severity)
			rc->severity = f->severity;
		if ((unsigned)f->verdict < 4)
			rc->by_verdict[f->verdict]++;
		if (rc->kept >= ANA_FINDINGS_MAX) {
			r->dropped++;
			return ATP_OK;
		}
		rc->kept++;
	} else {
		/* More distinct rules than rows: the finding is still kept
		 * (rules are a fixed set; this is a safety net). */
		if (r->nf >= ANA_FINDINGS_MAX * ANA_RULES_MAX) {
			r->dropped++;
			return ATP_OK;
		}
	}
	if (r->nf == r->capf) {
		size_t cap = r->capf != 0 ? r->capf * 2 : 64;
		nf = atp_realloc(r->f, cap * sizeof(*nf));
		if (nf == NULL)
			return ATP_ERR_NOMEM;
		r->f = nf;
		r->capf = cap;
	}
	nf = &r->f[r->nf++];
	*nf = *f;
	/* Only a kept finding pays for its bytes as text and hex. */
	if (f->bytes.len > 0) {
		struct atp_span h = f->bytes;
		size_t n;
		if (h.len > 32)
			h.len = 32;
		(void)atp_span_escape(f->bytes, nf->actual, sizeof(nf->actual));
		n = atp_span_hex_dump(h, nf->actual_hex, sizeof(nf->actual_hex));
		if (f->bytes.len > h.len && n + 4 < sizeof(nf->actual_hex))
			memcpy(nf->actual_hex + n, " ...", 5);
	}
	if (f->before.len > 0)
		(void)atp_span_escape(f->before, nf->before_text, sizeof(nf->before_text));
	/* The spans point into the session's buffers. */
	nf->bytes = nf->before = atp_span_make(NULL, 0);
	return ATP_OK;
}

struct ana_lat *
ana_report_lat(struct ana_report *r, const char *name)
{
	size_t i;
	struct ana_lat *nl;

	for (i = 0; i < r->nlat; i++)
		if (strcmp(r->lat[i].name, name) == 0)
			return &r->lat[i];
	nl = atp_realloc(r->lat, (r->nlat + 1) * sizeof(*nl));
	if (nl == NULL)
		return NULL;
	r->lat = nl;
	memset(&nl[r->nlat], 0, sizeof(nl[0]));
	snprintf(nl[r->nlat].name, sizeof(nl[0].name), "%s", name);
	nl[r->nlat].final_us = atp_calloc(ANA_LAT_KEEP, sizeof(uint32_t));
	if (nl[r->nlat].final_us == NULL)
		return NULL;
	return &nl[r->nlat++];
}

enum atp_verdict
ana_report_verdict(const struct ana_report *r)
{
	size_t i;
	int inconc = 0;

	for (i = 0; i < r->nrules; i++) {
		if (r->rules[i].by_verdict[ATP_V_FAIL] > 0)
			return ATP_V_FAIL;
		if (r->rules[i].by_verdict[ATP_V_INCONC] > 0)
			inconc = 1;
	}
	return inconc ? ATP_V_INCONC : ATP_V_PASS;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * The value of rank @k (0-based) of @a, as a sort would put it: a
 * quickselect with a three-way partition (reservoirs of equal times are
 * the usual case), the reservoir sorted after as many rounds as a sort
 * would take. A report asks three percentiles of every command: sorting
 * 4096 values each time was a tenth of analyzing 100,000 records (issue 8).
 */
static uint32_t
rank_of(uint32_t *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n, rounds = 0;

	while (hi - lo > 1) {
		uint32_t x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1], piv, t;
		size_t lt = lo, i = lo, gt = hi;

		if (++rounds > 64) {
			qsort(a + lo, hi - lo, sizeof(a[0]), cmp_u32);
			return a[k];
		}
		/* The median of three. */
		piv = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		while (i < gt) {
			if (a[i] < piv) {
				t = a[lt];
				a[lt++] = a[i];
				a[i++] = t;
			} else if (a[i] > piv) {
				t = a[--gt];
				a[gt] = a[i];
				a[i] = t;
			} else {
				i++;
			}
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return piv;
	}
	return a[lo];
}

uint64_t
ana_lat_pct(const struct ana_lat *l, unsigned p)
{
	uint32_t tmp[ANA_LAT_KEEP];
	size_t idx;

	if (l->nkept == 0)
		return 0;
	memcpy(tmp, l->final_us, l->nkept * sizeof(tmp[0]));
	/* Nearest rank. */
	idx = (l->nkept * p + 99) / 100;
	if (idx > 0)
		idx--;
	if (idx >= l->nkept)
		idx = l->nkept - 1;
	return rank_of(tmp, l->nkept, idx);
}
