/* SPDX-License-Identifier: MIT */
/* \summary: fuzz target: command line parser, stream splitter and serializer */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "atproof/cmdline.h"
#include "atproof/shape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checked in every build, NDEBUG or not: a broken invariant is the find. */
#define REQUIRE(x) do { if (!(x)) abort(); } while (0)

/* The byte-by-byte splitter run is quadratic in the pending bytes; above
 * this it runs in chunks of 7 instead. */
#define BYTEWISE_MAX 8192
#define LINES_MAX 4096

static int
inside(struct atp_span in, struct atp_span s)
{
	return s.len <= in.len && s.p >= in.p && (size_t)(s.p - in.p) <= in.len - s.len;
}

static void
check_parse(struct atp_span in, const struct atp_cmdline *cl)
{
	size_t i;

	REQUIRE(cl->text.p == in.p);
	REQUIRE(cl->text.len + cl->term.len == in.len);
	REQUIRE(cl->term.len <= 2);
	REQUIRE(inside(cl->text, cl->name));
	REQUIRE(inside(cl->text, cl->argtext));
	REQUIRE(cl->name.p == cl->text.p + 3);
	REQUIRE(cl->name.len <= ATP_NAME_MAX || (cl->issues & ATP_CL_NAME_TOO_LONG) != 0);
	REQUIRE(cl->nargs <= ATP_ARGS_MAX);
	REQUIRE((cl->cmd == NULL) == ((cl->issues & ATP_CL_UNKNOWN) != 0));
	REQUIRE(cl->form == ATP_FORM_BARE || cl->form == ATP_FORM_SET ||
	    cl->form == ATP_FORM_FLASH || cl->form == ATP_FORM_QUERY);
	if (cl->form == ATP_FORM_BARE || cl->form == ATP_FORM_QUERY)
		REQUIRE(cl->nargs == 0);
	for (i = 0; i < cl->nargs; i++) {
		const struct atp_arg *a = &cl->args[i];
		REQUIRE(inside(cl->argtext, a->raw));
		REQUIRE(inside(a->raw, a->value));
		REQUIRE(a->raw.p == cl->text.p + a->offset);
		REQUIRE(a->quoted == (a->raw.len > 0 && a->raw.p[0] == '"'));
		if (i > 0)
			REQUIRE(a->raw.p > cl->args[i - 1].raw.p);
	}
}

/* One splitter pass; returns the number of lines, their offsets in @ev. */
static size_t
split(const uint8_t *in, size_t n, int luat, size_t chunk, size_t *ev)
{
	size_t consumed = 0, avail = 0, nev = 0;

	do {
		avail = chunk == 0 || avail + chunk > n ? n : avail + chunk;
		for (;;) {
			struct atp_cur c = atp_cur_make(in + consumed, avail - consumed);
			struct atp_span g, l, t;
			int rc = atp_cmdline_next(&c, luat, &g, &l, &t);
			size_t used = (size_t)(c.p - (in + consumed));

			REQUIRE(g.p == in + consumed);
			if (rc == ATP_ERR_AGAIN) {
				REQUIRE(used == g.len);
				consumed += used;
				break;
			}
			if (rc == ATP_OK) {
				struct atp_cmdline cl;
				REQUIRE(l.p == g.p + g.len && t.p == l.p + l.len);
				REQUIRE(t.len == 1 || t.len == 2);
				REQUIRE(used == g.len + l.len + t.len);
				REQUIRE(atp_cmdline_parse(atp_span_make(l.p, l.len + t.len), &cl,
				    NULL) == ATP_OK);
				if (nev < LINES_MAX) {
					ev[2 * nev] = (size_t)(l.p - in);
					ev[2 * nev + 1] = l.len;
				}
				nev++;
			} else {
				REQUIRE(rc == ATP_ERR_LIMIT);
				REQUIRE(used == g.len && used > ATP_LINE_MAX);
			}
			consumed += used;
		}
	} while (avail < n);
	return nev;
}

static size_t ev_whole[2 * LINES_MAX], ev_parts[2 * LINES_MAX];

static void
check_split(const uint8_t *data, size_t size)
{
	int luat;

	for (luat = 0; luat <= 1; luat++) {
		size_t chunk = size <= BYTEWISE_MAX ? 1 : 7;
		size_t a = split(data, size, luat, 0, ev_whole);
		size_t b = split(data, size, luat, chunk, ev_parts);
		REQUIRE(a == b);
		if (a > LINES_MAX)
			a = LINES_MAX;
		REQUIRE(memcmp(ev_whole, ev_parts, 2 * a * sizeof(ev_whole[0])) == 0);
	}
}

/* Builds the line again from what the parser read and parses that. */
static void
check_round_trip(const struct atp_cmdline *cl, unsigned flags)
{
	char vals[ATP_ARGS_MAX][ATP_LINE_MAX + 1], name[ATP_LINE_MAX + 1];
	static char out[4 * ATP_LINE_MAX];
	const char *args[ATP_ARGS_MAX];
	struct atp_cmdline again;
	size_t i;
	long n;

	if (cl->name.len > ATP_LINE_MAX || memchr(cl->name.p, 0, cl->name.len) != NULL)
		return;
	memcpy(name, cl->name.p, cl->name.len);
	name[cl->name.len] = '\0';
	for (i = 0; i < cl->nargs; i++) {
		const struct atp_arg *a = &cl->args[i];
		if (a->quoted) {
			n = atp_unescape(a->value, vals[i], sizeof(vals[i]));
			REQUIRE(n >= 0);
		} else {
			memcpy(vals[i], a->value.p, a->value.len);
			vals[i][a->value.len] = '\0';
			n = (long)a->value.len;
		}
		if (memchr(vals[i], 0, (size_t)n) != NULL)
			return;    /* a C string cannot carry it */
		args[i] = vals[i];
	}
	n = atp_cmdline_build(out, sizeof(out), name, cl->form, args, cl->nargs, flags);
	if (n == ATP_ERR_LIMIT)
		return;    /* quoting made it longer than a line may be */
	if (n == ATP_ERR_ARG) {
		/* refused only for a value ending in a backslash before another
		 * argument that cannot go bare (cmdline.h) */
		int why = 0;
		for (i = 0; i + 1 < cl->nargs; i++) {
			size_t l = strlen(vals[i]);
			if (l > 0 && vals[i][l - 1] == '\\')
				why = 1;
		}
		REQUIRE(why);
		return;
	}
	REQUIRE(n > 0);
	REQUIRE(atp_cmdline_parse(atp_span_make(out, (size_t)n), &again, NULL) == ATP_OK);
	REQUIRE(atp_span_eq_span(again.name, cl->name));
	REQUIRE(again.form == cl->form);
	REQUIRE(again.nargs == cl->nargs);
	REQUIRE((again.issues & (ATP_CL_OPEN_QUOTE | ATP_CL_TOO_MANY_ARGS |
	    ATP_CL_EMPTY_LAST_ARG | ATP_CL_QUERY_TRAIL)) == 0);
	for (i = 0; i < again.nargs; i++) {
		char back[ATP_LINE_MAX + 1];
		const struct atp_arg *a = &again.args[i];
		if (a->quoted) {
			n = atp_unescape(a->value, back, sizeof(back));
			REQUIRE(n >= 0);
			REQUIRE(strcmp(back, vals[i]) == 0);
		} else {
			/* bare under quote-all: only a decimal number */
			REQUIRE((flags & ATP_CLB_QUOTE_ALL) == 0 || (a->value.len > 0 &&
			    strspn(vals[i], "0123456789") == a->value.len));
			REQUIRE(a->value.len == strlen(vals[i]));
			REQUIRE(memcmp(a->value.p, vals[i], a->value.len) == 0);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct atp_span in = atp_span_make(data, size);
	struct atp_cmdline cl;
	struct atp_diag d;
	int rc;

	atp_diag_clear(&d);
	rc = atp_cmdline_parse(in, &cl, &d);
	REQUIRE(rc == ATP_OK || rc == ATP_ERR_SYNTAX || rc == ATP_ERR_LIMIT);
	if (rc != ATP_OK)
		REQUIRE(d.code == rc && d.col >= 1);
	if (rc == ATP_OK || rc == ATP_ERR_LIMIT)
		check_parse(in, &cl);
	if (rc == ATP_OK) {
		check_round_trip(&cl, 0);
		check_round_trip(&cl, ATP_CLB_QUOTE_ALL | ATP_CLB_CRLF);
	}
	check_split(data, size);
	return 0;
}
