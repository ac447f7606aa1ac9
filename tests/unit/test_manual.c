/* SPDX-License-Identifier: MIT */
/* \summary: every example exchange of the manual, through parser, framer and validator */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "atproof/atproof.h"

/*
 * tests/data/manual-examples.txt holds the manual's examples verbatim with
 * the findings the model must report for each (its header explains the
 * format). This test runs each exchange through the real pipeline: the
 * command-line parser, the framer fed the module's bytes, and the validator
 * with the manual profile; the set of rules reported must equal the set
 * the data file states. Every decision where the manual contradicts itself
 * is a commented row of that file.
 */

#define DATA_FILE "tests/data/manual-examples.txt"
#define MAX_BYTES 8192
#define MAX_RULES 16

struct exchange {
	unsigned long line;         /* of the '>' line */
	char section[16];
	char host[1024];            /* the command line, CR included */
	size_t host_len;
	uint8_t dev[MAX_BYTES];
	size_t dev_len;
	char expect[512];           /* the '=' rules, space separated */
	int has_host;
};

struct run {
	const struct atp_profile *prof;
	char got[MAX_RULES][64];
	size_t ngot;
	char messages[2048];
	size_t nframes;
	size_t nresponses;
	size_t ndata;
	size_t nreports;
	const struct atp_cmdline *cl;
};

static size_t
unescape(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (*s != '\0' && n < max) {
		if (s[0] == '\\' && s[1] == 'r') {
			out[n++] = '\r';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'n') {
			out[n++] = '\n';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'x' && s[2] != '\0' && s[3] != '\0') {
			char hex[3] = { s[2], s[3], '\0' };
			out[n++] = (uint8_t)strtoul(hex, NULL, 16);
			s += 4;
		} else {
			out[n++] = (uint8_t)*s++;
		}
	}
	return n;
}

static void
on_finding(void *ctx, const struct atp_finding *f)
{
	struct run *r = ctx;
	size_t used = strlen(r->messages);

	if (f->verdict == ATP_V_PASS)
		return;
	if (r->ngot < MAX_RULES)
		snprintf(r->got[r->ngot++], sizeof(r->got[0]), "%s", f->rule);
	snprintf(r->messages + used, sizeof(r->messages) - used, "\n      %s: %s", f->rule, f->message);
}

static void
on_frame(void *ctx, const struct atp_frame *f)
{
	struct run *r = ctx;

	r->nframes++;
	switch (f->kind) {
	case ATP_FRAME_RESPONSE:
		r->nresponses++;
		atp_validate_response(r->cl, f, r->prof, on_finding, r);
		break;
	case ATP_FRAME_REPORT:
		r->nreports++;
		atp_validate_report(f, r->prof, on_finding, r);
		break;
	case ATP_FRAME_DATA:
		r->ndata++;
		break;
	case ATP_FRAME_ECHO:
	case ATP_FRAME_TEXT:
	case ATP_FRAME_STRAY:
		atp_validate_other(f, r->prof, on_finding, r);
		break;
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Runs one exchange; returns 0 if the findings are the expected ones. */
static int
check_exchange(const struct exchange *ex, char *why, size_t whysize)
{
	struct atp_cmdline cl;
	struct atp_diag d;
	struct atp_framer *fr = NULL;
	struct run r;
	char want[MAX_RULES][64];
	size_t nwant = 0, i;
	char tmp[512];
	char *tok, *save = NULL;

	memset(&r, 0, sizeof(r));
	r.prof = atp_profile_find("manual");
	atp_diag_clear(&d);
	if (atp_cmdline_parse(atp_span_make(ex->host, ex->host_len), &cl, &d) != ATP_OK) {
		snprintf(why, whysize, "command line does not parse: %s", d.msg);
		return -1;
	}
	r.cl = &cl;
	atp_validate_cmdline(&cl, 0, r.prof, on_finding, &r);
	if (atp_framer_new(NULL, &fr) != ATP_OK)
		return -1;
	atp_framer_expect(fr, cl.cmd, cl.form);
	atp_framer_feed(fr, ex->dev, ex->dev_len, on_frame, &r);
	atp_framer_flush(fr, on_frame, &r);
	atp_framer_free(fr);
	if (r.nresponses != 1) {
		snprintf(why, whysize, "%zu responses framed, want 1", r.nresponses);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s", ex->expect);
	for (tok = strtok_r(tmp, " ", &save); tok != NULL && nwant < MAX_RULES;
	    tok = strtok_r(NULL, " ", &save))
		snprintf(want[nwant++], sizeof(want[0]), "%s", tok);
	qsort(want, nwant, sizeof(want[0]), cmp_str);
	qsort(r.got, r.ngot, sizeof(r.got[0]), cmp_str);
	if (nwant == r.ngot) {
		for (i = 0; i < nwant; i++)
			if (strcmp(want[i], r.got[i]) != 0)
				break;
		if (i == nwant)
			return 0;
	}
	{
		size_t used = (size_t)snprintf(why, whysize, "want [");
		for (i = 0; i < nwant && used < whysize; i++)
			used += (size_t)snprintf(why + used, whysize - used, "%s%s", i ? " " : "", want[i]);
		if (used < whysize)
			used += (size_t)snprintf(why + used, whysize - used, "] got [");
		for (i = 0; i < r.ngot && used < whysize; i++)
			used += (size_t)snprintf(why + used, whysize - used, "%s%s", i ? " " : "", r.got[i]);
		if (used < whysize)
			snprintf(why + used, whysize - used, "]%s", r.messages);
	}
	return -1;
}

static void
every_manual_example_is_judged_as_the_data_file_says(void **state)
{
	FILE *f = fopen(DATA_FILE, "r");
	char line[8192];
	unsigned long lineno = 0, nex = 0, nbad = 0;
	struct exchange *ex = calloc(1, sizeof(*ex));
	char section[16] = "";
	(void)state;

	assert_non_null(f);
	assert_non_null(ex);
	for (;;) {
		char *got = fgets(line, sizeof(line), f);
		size_t n = got != NULL ? strlen(line) : 0;
		int flush = got == NULL || (line[0] == '>' && line[1] == ' ') || line[0] == '@';

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (flush && ex->has_host) {
			char why[4096];
			nex++;
			if (check_exchange(ex, why, sizeof(why)) != 0) {
				nbad++;
				print_error("%s:%lu (§%s) %.*s: %s\n", DATA_FILE, ex->line, ex->section,
				    (int)ex->host_len - 1, ex->host, why);
			}
			memset(ex, 0, sizeof(*ex));
		}
		if (got == NULL)
			break;
		if (line[0] == '@') {
			snprintf(section, sizeof(section), "%.15s", line + 2);
		} else if (line[0] == '>' && line[1] == ' ') {
			ex->line = lineno;
			ex->has_host = 1;
			snprintf(ex->section, sizeof(ex->section), "%s", section);
			ex->host_len = (size_t)snprintf(ex->host, sizeof(ex->host), "%.1000s\r", line + 2);
		} else if (strncmp(line, "<raw ", 5) == 0) {
			ex->dev_len += unescape(line + 5, ex->dev + ex->dev_len, MAX_BYTES - ex->dev_len);
		} else if (line[0] == '<' && line[1] == ' ') {
			/* the manual prints no terminators: add the format's (§2.1) */
			size_t k = strlen(line + 2);
			if (ex->dev_len + k + 4 < MAX_BYTES) {
				memcpy(ex->dev + ex->dev_len, line + 2, k);
				memcpy(ex->dev + ex->dev_len + k, "\r\n\r\n", 4);
				ex->dev_len += k + 4;
			}
		} else if (line[0] == '=' && line[1] == ' ') {
			snprintf(ex->expect, sizeof(ex->expect), "%.500s", line + 2);
		}
	}
	fclose(f);
	free(ex);
	print_message("%lu manual exchanges checked, %lu judged otherwise\n", nex, nbad);
	assert_true(nex >= 90);
	assert_int_equal(nbad, 0);
}

static void
binary_and_report_frames_of_the_examples_are_whole(void **state)
{
	/* SKRCV: +OK=17 then exactly the 17 bytes of the example. */
	static const char skrcv[] = "+OK=17\r\n\r\nHELLO WIFI MODULE";
	struct atp_framer *fr;
	struct run r;
	(void)state;

	memset(&r, 0, sizeof(r));
	r.prof = atp_profile_find("manual");
	assert_int_equal(atp_framer_new(NULL, &fr), ATP_OK);
	atp_framer_expect(fr, atp_cmd_find_str("SKRCV"), ATP_FORM_SET);
	atp_framer_feed(fr, skrcv, sizeof(skrcv) - 1, on_frame, &r);
	atp_framer_flush(fr, on_frame, &r);
	assert_int_equal(r.nresponses, 1);
	assert_int_equal(r.ndata, 1);
	assert_int_equal(r.ngot, 0);
	atp_framer_free(fr);
}

static int
setup(void **state)
{
	(void)state;
	return atp_model_init(NULL) == ATP_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	atp_model_free();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_manual_example_is_judged_as_the_data_file_says),
		cmocka_unit_test(binary_and_report_frames_of_the_examples_are_whole),
	};
	return cmocka_run_group_tests_name("manual", tests, setup, teardown);
}
