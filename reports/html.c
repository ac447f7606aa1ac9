/* SPDX-License-Identifier: MIT */
/* \summary: the HTML report: one self-contained page (inline CSS, SVG, a little JS) */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "atproof/alloc.h"
#include "reports/rpt.h"

/*
 * One file a browser opens from a CI artefact with no network: the summary
 * first (counts, per unit), then the failures with their bytes, a message
 * sequence chart per case as inline SVG, latency per command, the
 * measurements against their limits and the findings. A run of thousands
 * of cases must stay light, so everything drawn or listed has a ceiling and
 * the page says what it left out (the JSON report has it all).
 */
#define HTML_ROWS_MAX     2000u   /* rows of the case table */
#define HTML_FAILS_MAX    200u    /* failing cases given in detail */
#define HTML_STEPS_MAX    50u     /* failing steps given in detail per case */
#define HTML_STEPS_OPEN   3u      /* of those, shown before the rest fold away */
#define HTML_CHARTS_MAX   60u     /* sequence charts drawn */
#define HTML_MSGS_MAX     120u    /* arrows in one chart */
#define HTML_LANES_MAX    8u      /* lifelines in one chart */
#define HTML_CMDS_MAX     100u    /* rows of the latency table */
#define HTML_FINDINGS_MAX 1000u
#define HTML_MEASURES_MAX 2000u
#define HTML_LABEL_MAX    34u     /* characters of an arrow's label */
#define HTML_NOTE_MAX     120u    /* characters of a note */

static const char *const vcss[] = { "pass", "fail", "inconc", "error", "skip" };

#define esc rpt_esc_markup

/* Writes at most @max characters of @s (escaped), "…" when cut. The cut
 * never splits a UTF-8 sequence. */
static void
esc_cut(FILE *f, const char *s, size_t max)
{
	char buf[256];
	size_t n;

	if (s == NULL)
		return;
	n = strlen(s);
	if (max >= sizeof(buf))
		max = sizeof(buf) - 1;
	if (n <= max) {
		esc(f, s);
		return;
	}
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(buf, s, n);
	buf[n] = '\0';
	esc(f, buf);
	fputs("\xE2\x80\xA6", f);
}

static int
is_bad(enum rpt_verdict v)
{
	return v == RPT_FAIL || v == RPT_ERROR || v == RPT_INCONC;
}

static void
write_head(const char *tool, const char *verdict, FILE *f)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width\">\n<title>atproof %s: %s</title>\n"
	    "<style>\n"
	    "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}"
	    "table{border-collapse:collapse;margin:.5em 0}"
	    "td,th{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}"
	    "th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	    ".pass{color:#070}.fail{color:#b00}.error{color:#b00;font-weight:bold}"
	    ".inconc{color:#a60}.skip{color:#077}"
	    "pre{margin:0;white-space:pre-wrap;word-break:break-all;font-size:90%%}"
	    ".counts span{display:inline-block;margin-right:1em;padding:.3em .7em;border:1px solid #ccc;"
	    "border-radius:4px}.counts b{font-size:130%%}"
	    ".failure{border-left:4px solid #b00;padding:.2em .8em;margin:1em 0;background:#fff8f8}"
	    ".kv th{width:10em}.note{color:#666;font-style:italic}"
	    "svg text{font-family:monospace;font-size:11px}svg .lane{font-family:sans-serif;"
	    "font-weight:bold;font-size:12px}details{margin:.3em 0}summary{cursor:pointer}"
	    "nav a{margin-right:1em}\n"
	    "</style></head><body>\n", tool, verdict);
}

/*
 * The summary: the counts of the run (one data-* attribute each, for tools
 * that read the page), the unit, and the verdicts per unit.
 */
static void
write_summary(const struct rpt_run *r, FILE *f, const size_t counts[5])
{
	static const char *const label[] = { "passed", "failed", "inconclusive", "errors",
		"skipped" };
	size_t v;

	fprintf(f, "<h1>atproof %s: <span class=\"%s\" id=\"verdict\">%s</span></h1>\n", r->tool,
	    vcss[r->verdict], rpt_verdict_name(r->verdict));
	fprintf(f, "<nav><a href=\"#cases\">cases</a><a href=\"#failures\">failures</a>"
	    "<a href=\"#charts\">sequence charts</a><a href=\"#latency\">latency</a>"
	    "<a href=\"#measures\">measurements</a><a href=\"#findings\">findings</a></nav>\n");
	fprintf(f, "<table class=\"kv\"><tr><th>started</th><td>");
	esc(f, r->started != NULL ? r->started : "?");
	fprintf(f, "</td></tr><tr><th>port</th><td>");
	esc(f, r->port != NULL ? r->port : "?");
	if (r->transport != NULL) {
		fprintf(f, " (");
		esc(f, r->transport);
		fprintf(f, ")");
	}
	fprintf(f, "</td></tr><tr><th>profile</th><td>");
	esc(f, r->profile != NULL ? r->profile : "none (the manual)");
	fprintf(f, "</td></tr><tr><th>duration</th><td>%.3f s, %llu bytes sent, %llu received, "
	    "%llu exchanges</td></tr>", r->seconds, (unsigned long long)r->bytes_tx,
	    (unsigned long long)r->bytes_rx, (unsigned long long)r->exchanges);
	if (r->reason != NULL) {
		fprintf(f, "<tr><th>run</th><td class=\"%s\"><b>", vcss[r->verdict]);
		esc(f, r->reason);
		fprintf(f, "</b></td></tr>");
	}
	fprintf(f, "</table>\n<div class=\"counts\" id=\"summary\" data-cases=\"%zu\"", r->ncases);
	for (v = 0; v < 5; v++)
		fprintf(f, " data-%s=\"%zu\"", label[v], counts[v]);
	fprintf(f, " data-findings=\"%zu\">", r->nfindings);
	fprintf(f, "<span>%s <b>%zu</b></span>", r->tool != NULL &&
	    strcmp(r->tool, "analyze") == 0 ? "rules" : "cases", r->ncases);
	for (v = 0; v < 5; v++)
		fprintf(f, "<span class=\"%s\">%s <b>%zu</b></span>", vcss[v], label[v], counts[v]);
	fprintf(f, "<span>findings <b>%zu</b></span></div>\n", r->nfindings);
	/* Per unit: a run is one unit (a station writes one report per unit). */
	fprintf(f, "<h2>Units</h2>\n<table id=\"units\"><tr><th>unit</th><th>MAC</th>"
	    "<th>firmware</th><th>verdict</th><th>passed</th><th>failed</th><th>inconclusive</th>"
	    "<th>errors</th><th>skipped</th></tr>\n<tr><td>");
	esc(f, r->unit_name != NULL ? r->unit_name : r->port != NULL ? r->port :
	    r->ncases > 0 && r->cases[0]->file != NULL ? r->cases[0]->file : "?");
	fprintf(f, "</td><td>");
	esc(f, r->unit_mac != NULL ? r->unit_mac : "?");
	fprintf(f, "</td><td>");
	esc(f, r->unit_fw != NULL ? r->unit_fw : "?");
	fprintf(f, "</td><td class=\"%s\">%s</td>", vcss[r->verdict], rpt_verdict_name(r->verdict));
	for (v = 0; v < 5; v++)
		fprintf(f, "<td class=\"n\">%zu</td>", counts[v]);
	fprintf(f, "</tr></table>\n");
}

/*
 * The case table. Past HTML_ROWS_MAX rows, passing and skipped cases give
 * way to the others; a line says how many were left out. A small script
 * filters by verdict (the table reads fine without it).
 */
static void
write_cases(const struct rpt_run *r, FILE *f)
{
	size_t i, bad = 0, shown = 0, room;

	for (i = 0; i < r->ncases; i++)
		bad += is_bad(r->cases[i]->verdict) ? 1u : 0u;
	room = r->ncases <= HTML_ROWS_MAX ? r->ncases : HTML_ROWS_MAX > bad ? HTML_ROWS_MAX - bad : 0;
	fprintf(f, "<h2 id=\"cases\">Verdicts per %s</h2>\n<p>show: "
	    "<label><input type=\"radio\" name=\"vf\" value=\"\" checked> all</label> "
	    "<label><input type=\"radio\" name=\"vf\" value=\"bad\"> not passed</label></p>\n"
	    "<table id=\"case-table\"><tr><th>%s</th><th>verdict</th><th>file</th><th>spec</th>"
	    "<th>steps</th><th>seconds</th><th>reason</th></tr>\n",
	    r->tool != NULL && strcmp(r->tool, "analyze") == 0 ? "rule" : "scenario",
	    r->tool != NULL && strcmp(r->tool, "analyze") == 0 ? "rule" : "scenario");
	for (i = 0; i < r->ncases; i++) {
		const struct rpt_case *c = r->cases[i];
		if (!is_bad(c->verdict)) {
			if (room == 0)
				continue;
			room--;
		} else if (shown >= HTML_ROWS_MAX) {
			continue;
		}
		shown++;
		fprintf(f, "<tr class=\"v-%s\"><td>", vcss[c->verdict]);
		if (is_bad(c->verdict))
			fprintf(f, "<a href=\"#case-%zu\">", i);
		esc(f, c->id);
		fprintf(f, "%s</td><td class=\"%s\">%s</td><td>", is_bad(c->verdict) ? "</a>" : "",
		    vcss[c->verdict], rpt_verdict_name(c->verdict));
		esc(f, c->file);
		fprintf(f, "</td><td>");
		esc(f, c->spec);
		fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n\">%.3f</td><td>", c->nsteps,
		    c->seconds);
		if (c->verdict != RPT_PASS)
			esc_cut(f, c->reason, 200);
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n");
	if (shown < r->ncases)
		fprintf(f, "<p class=\"note\" id=\"cases-left-out\">%zu passing or skipped cases are "
		    "not listed (the page lists at most %u; the JSON report has them all).</p>\n",
		    r->ncases - shown, HTML_ROWS_MAX);
	fprintf(f, "<script>\n"
	    "document.querySelectorAll('input[name=vf]').forEach(function(b){"
	    "b.addEventListener('change',function(){var bad=b.value==='bad';"
	    "document.querySelectorAll('#case-table tr[class^=v-]').forEach(function(t){"
	    "t.style.display=bad&&(t.className==='v-pass'||t.className==='v-skip')?'none':'';});});});\n"
	    "</script>\n");
}

/*
 * Message sequence charts
 *
 * The report model keeps steps, not the bytes of the wire, so a chart is
 * drawn from the steps: a command goes from the host to the module and its
 * response back, send/send_data go to the module, wait_report/read_data/
 * expect come from it, peer_send and peer_expect cross between the module
 * and the named network peer. The analyzer's rules become the findings of
 * each input in the order they were seen.
 */
struct lanes {
	const char *name[HTML_LANES_MAX];
	size_t n;
};

static size_t
lane(struct lanes *L, const char *name)
{
	size_t i;

	for (i = 0; i < L->n; i++)
		if (strcmp(L->name[i], name) == 0)
			return i;
	if (L->n == HTML_LANES_MAX)
		return L->n - 1;      /* more peers share the last lifeline */
	L->name[L->n] = name;
	return L->n++;
}

struct msg {
	size_t from, to;           /* from == to: a note on that lifeline */
	const char *label;
	size_t label_len;
	enum rpt_verdict verdict;
};

/* The first line of an escaped response ("+OK=1\r\n\r\n" -> "+OK=1"). */
static size_t
first_line(const char *s)
{
	const char *e = strstr(s, "\\r");

	return e != NULL ? (size_t)(e - s) : strlen(s);
}

/* The messages of one harness case; returns how many there were (more than
 * @max are counted, not kept). */
static size_t
case_msgs(const struct rpt_case *c, struct lanes *L, struct msg *m, size_t max)
{
	size_t j, n = 0, host = lane(L, "host"), mod = lane(L, "module");

#define PUT(F, T, LB, LN, V) do { \
		if (n < max) { \
			m[n].from = (F); m[n].to = (T); m[n].label = (LB); \
			m[n].label_len = (LN); m[n].verdict = (V); \
		} \
		n++; \
	} while (0)
	for (j = 0; j < c->nsteps; j++) {
		const struct rpt_step *s = c->steps[j];
		const char *nm = s->name != NULL ? s->name : "?";
		enum rpt_verdict v = s->verdict;
		if (v == RPT_SKIP)
			continue;       /* not run: nothing crossed the wire */
		if (strncmp(nm, "peer_send ", 10) == 0) {
			PUT(lane(L, nm + 10), mod, "data", 4, v);
		} else if (strncmp(nm, "peer_expect ", 12) == 0) {
			PUT(mod, lane(L, nm + 12), "data", 4, v);
		} else if (strncmp(nm, "wait_report ", 12) == 0) {
			const char *a = s->actual != NULL ? s->actual : nm + 12;
			PUT(mod, host, a, first_line(a), v);
		} else if (strcmp(nm, "read_data") == 0 || strcmp(nm, "expect") == 0) {
			const char *a = s->actual != NULL ? s->actual : nm;
			PUT(mod, host, a, first_line(a), v);
		} else if (strncmp(nm, "AT", 2) == 0 || strncmp(nm, "at", 2) == 0 ||
		    strncmp(nm, "send", 4) == 0 || strcmp(nm, "stream") == 0 ||
		    strstr(nm, "transparent") != NULL) {
			PUT(host, mod, nm, strlen(nm), s->actual != NULL ? RPT_PASS : v);
			if (s->actual != NULL)
				PUT(mod, host, s->actual, first_line(s->actual), v);
			else if (is_bad(v) && s->message != NULL)
				PUT(mod, mod, s->message, strlen(s->message), v);
		} else if (is_bad(v) || strcmp(nm, "sleep") != 0) {
			/* quiet, line, reset, measure, set...: a note, with
			 * the reason when it failed. */
			const char *t = is_bad(v) && s->message != NULL ? s->message : nm;
			PUT(is_bad(v) ? mod : host, is_bad(v) ? mod : host, t, strlen(t), v);
		}
	}
#undef PUT
	return n;
}

static void
svg_text(FILE *f, const char *s, size_t len, size_t max)
{
	char buf[HTML_NOTE_MAX + 1];
	size_t n;

	if (max > HTML_NOTE_MAX)
		max = HTML_NOTE_MAX;
	n = len < max ? len : max;

	while (n > 0 && n < len && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(buf, s, n);
	buf[n] = '\0';
	esc(f, buf);
	if (n < len)
		fputs("\xE2\x80\xA6", f);
}

static void
draw_chart(FILE *f, size_t id, const struct lanes *L, const struct msg *m, size_t n,
    size_t total)
{
	const unsigned lw = 240, top = 34, row = 24;
	/* Notes span the chart: at least three lifelines wide. */
	unsigned w = (unsigned)(L->n < 3 ? 3 : L->n) * lw, h = top + (unsigned)n * row + 16;
	size_t i;

	fprintf(f, "<svg class=\"msc\" width=\"%u\" "
	    "height=\"%u\" viewBox=\"0 0 %u %u\" data-messages=\"%zu\">\n<defs><marker "
	    "id=\"ah%zu\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
	    "markerHeight=\"7\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#444\"/>"
	    "</marker></defs>\n", w, h, w, h, total, id);
	for (i = 0; i < L->n; i++) {
		unsigned x = (unsigned)i * lw + lw / 2;
		fprintf(f, "<text class=\"lane\" x=\"%u\" y=\"16\" text-anchor=\"middle\">", x);
		esc(f, L->name[i]);
		fprintf(f, "</text><line x1=\"%u\" y1=\"22\" x2=\"%u\" y2=\"%u\" stroke=\"#999\" "
		    "stroke-dasharray=\"4 3\"/>\n", x, x, h - 4);
	}
	for (i = 0; i < n; i++) {
		unsigned y = top + (unsigned)i * row + 12;
		unsigned x1 = (unsigned)m[i].from * lw + lw / 2, x2 = (unsigned)m[i].to * lw + lw / 2;
		const char *col = is_bad(m[i].verdict) ? "#b00" : "#444";
		if (m[i].from == m[i].to) {
			fprintf(f, "<g class=\"note %s\"><rect x=\"%u\" y=\"%u\" width=\"%u\" "
			    "height=\"18\" fill=\"%s\" stroke=\"%s\"/><text x=\"%u\" y=\"%u\">",
			    vcss[m[i].verdict], 6u, y - 12, w - 12,
			    is_bad(m[i].verdict) ? "#fee" : "#f6f6e8", col, 10u, y + 1);
			svg_text(f, m[i].label, m[i].label_len, (w - 24) / 7);
			fprintf(f, "</text></g>\n");
			continue;
		}
		fprintf(f, "<g class=\"msg %s\"><line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" "
		    "stroke=\"%s\" stroke-width=\"%s\" marker-end=\"url(#ah%zu)\"/><text x=\"%u\" "
		    "y=\"%u\" text-anchor=\"middle\" fill=\"%s\">", vcss[m[i].verdict], x1, y, x2, y,
		    col, is_bad(m[i].verdict) ? "2" : "1", id, (x1 + x2) / 2, y - 3, col);
		svg_text(f, m[i].label, m[i].label_len, HTML_LABEL_MAX);
		fprintf(f, "</text></g>\n");
	}
	fprintf(f, "</svg>\n");
	if (total > n)
		fprintf(f, "<p class=\"note\">%zu of %zu messages drawn (the first ones); the "
		    "capture has them all.</p>\n", n, total);
}

static void
case_chart(FILE *f, const struct rpt_case *c, size_t id)
{
	struct msg m[HTML_MSGS_MAX];
	struct lanes L;
	size_t n;

	memset(&L, 0, sizeof(L));
	n = case_msgs(c, &L, m, HTML_MSGS_MAX);
	draw_chart(f, id, &L, m, n < HTML_MSGS_MAX ? n : HTML_MSGS_MAX, n);
}

/*
 * The analyzer's sessions: the messages it kept of each (the first ones,
 * with the findings where they arose as notes; with --net, the network
 * peers' lifelines), in session order.
 */
static void
session_charts(const struct rpt_run *r, FILE *f)
{
	struct msg m[HTML_MSGS_MAX];
	size_t i, j, total;

	for (i = 0; i < r->ncharts && i < HTML_CHARTS_MAX; i++) {
		const struct rpt_chart *c = r->charts[i];
		struct lanes L;
		size_t n = 0;

		memset(&L, 0, sizeof(L));
		(void)lane(&L, "host");
		(void)lane(&L, "module");
		for (j = 0; j < c->nmsgs && n < HTML_MSGS_MAX; j++) {
			const struct rpt_msg *g = &c->msgs[j];
			const char *lb = g->label != NULL ? g->label : "";
			m[n].from = lane(&L, g->from != NULL ? g->from : "module");
			m[n].to = lane(&L, g->to != NULL ? g->to : "module");
			m[n].label = lb;
			m[n].label_len = strlen(lb);
			m[n].verdict = g->verdict;
			n++;
		}
		fprintf(f, "<details class=\"chart\"%s><summary>session ", i < 4 ? " open" : "");
		esc(f, c->name);
		fprintf(f, "</summary>\n");
		draw_chart(f, i, &L, m, n, c->total > n ? c->total : n);
		fprintf(f, "</details>\n");
	}
	/* The analyzer keeps a chart of its first sessions only: the note
	 * counts them all. */
	total = r->sessions > r->ncharts ? r->sessions : r->ncharts;
	if (total > i)
		fprintf(f, "<p class=\"note\">%zu of %zu sessions drawn.</p>\n", i, total);
}

/* The analyzer without sessions: one chart per input, its findings in
 * order (a command from the host, the finding as a note on the module's
 * lifeline). */
static void
finding_charts(const struct rpt_run *r, FILE *f)
{
	struct msg m[HTML_MSGS_MAX];
	size_t i, j, charts = 0;

	for (i = 0; i < r->nfindings && charts < HTML_CHARTS_MAX; i++) {
		const char *file = r->findings[i]->file;
		struct lanes L;
		size_t n = 0, host, mod, seen = 0;
		if (file == NULL)
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = r->findings[j]->file != NULL && strcmp(r->findings[j]->file, file) == 0;
		if (seen)
			continue;
		memset(&L, 0, sizeof(L));
		host = lane(&L, "host");
		mod = lane(&L, "module");
		for (j = i; j < r->nfindings; j++) {
			const struct rpt_finding *fd = r->findings[j];
			enum rpt_verdict v = fd->verdict == NULL ? RPT_PASS :
			    strcmp(fd->verdict, "fail") == 0 ? RPT_FAIL :
			    strcmp(fd->verdict, "inconc") == 0 ? RPT_INCONC : RPT_PASS;
			if (fd->file == NULL || strcmp(fd->file, file) != 0)
				continue;
			if (fd->command != NULL) {
				if (n < HTML_MSGS_MAX)
					m[n] = (struct msg){ host, mod, fd->command, strlen(fd->command),
						RPT_PASS };
				n++;
			}
			if (fd->message != NULL) {
				if (n < HTML_MSGS_MAX)
					m[n] = (struct msg){ mod, mod, fd->message, strlen(fd->message), v };
				n++;
			}
		}
		fprintf(f, "<details%s><summary>session ", charts < 4 ? " open" : "");
		esc(f, file);
		fprintf(f, "</summary>\n");
		draw_chart(f, charts, &L, m, n < HTML_MSGS_MAX ? n : HTML_MSGS_MAX, n);
		fprintf(f, "</details>\n");
		charts++;
	}
	if (charts == 0)
		fprintf(f, "<p class=\"note\">No findings: nothing to draw.</p>\n");
}

/*
 * Failures: the step, where, why, what was expected, what came (text and
 * hex), and the bytes around it: the step before it (what the module said
 * last) and the bytes no step accounted for.
 */
static void
write_failures(const struct rpt_run *r, FILE *f)
{
	size_t i, j, k, shown = 0, bad = 0, nbad, done;

	fprintf(f, "<h2 id=\"failures\">Failures</h2>\n");
	for (i = 0; i < r->ncases; i++) {
		const struct rpt_case *c = r->cases[i];
		if (!is_bad(c->verdict))
			continue;
		if (++bad > HTML_FAILS_MAX)
			continue;
		shown++;
		fprintf(f, "<section class=\"failure\" id=\"case-%zu\"><h3><span class=\"%s\">%s"
		    "</span> ", i, vcss[c->verdict], rpt_verdict_name(c->verdict));
		esc(f, c->id);
		fprintf(f, "</h3>\n<p>");
		esc(f, c->file);
		if (c->spec != NULL) {
			fprintf(f, " &middot; ");
			esc(f, c->spec);
		}
		if (c->title != NULL) {
			fprintf(f, " &middot; ");
			esc(f, c->title);
		}
		fprintf(f, "</p>\n");
		if (c->reason != NULL) {
			fprintf(f, "<pre class=\"reason\">");
			esc(f, c->reason);
			fprintf(f, "</pre>\n");
		}
		/* A long case (an analyzer rule of thousands of occurrences, a
		 * flow of a hundred steps) shows its first failing steps, folds
		 * the next ones away and counts the rest: the failing step is
		 * found wherever it is in the case. */
		for (j = 0, nbad = 0; j < c->nsteps; j++)
			nbad += is_bad(c->steps[j]->verdict) ? 1u : 0u;
		for (j = 0, done = 0; j < c->nsteps && done < HTML_STEPS_MAX; j++) {
			const struct rpt_step *s = c->steps[j];
			if (!is_bad(s->verdict))
				continue;
			if (done++ == HTML_STEPS_OPEN)
				fprintf(f, "<details class=\"more-steps\"><summary>%zu more failing "
				    "steps</summary>\n", (nbad < HTML_STEPS_MAX ? nbad : HTML_STEPS_MAX) -
				    HTML_STEPS_OPEN);
			fprintf(f, "<table class=\"kv step\"><tr><th>step</th><td>");
			esc(f, s->file != NULL ? s->file : "?");
			/* A binary input has no lines (its findings table gives
			 * the offsets). */
			if (s->line > 0)
				fprintf(f, ":%lu", s->line);
			fprintf(f, ": ");
			if (s->phase != NULL) {
				esc(f, s->phase);
				fprintf(f, " ");
			}
			fprintf(f, "<b class=\"step-name\">");
			esc(f, s->name);
			fprintf(f, "</b> <span class=\"%s\">%s</span></td></tr>\n", vcss[s->verdict],
			    rpt_verdict_name(s->verdict));
#define ROW(K, V, CL) do { \
				if ((V) != NULL) { \
					fprintf(f, "<tr><th>%s</th><td><pre class=\"%s\">", K, CL); \
					esc(f, V); \
					fprintf(f, "</pre></td></tr>\n"); \
				} \
			} while (0)
			ROW("why", s->message, "message");
			ROW("expected", s->expected, "expected");
			ROW("actual", s->actual, "actual");
			ROW("actual (hex)", s->actual_hex, "actual-hex");
			/* What came before it: as the step says (the command an
			 * analyzed response answers), else, in a run, what the
			 * module said last before this step (an analyzer's
			 * steps are findings, not a sequence). */
			if (s->before != NULL) {
				fprintf(f, "<tr><th>before it</th><td><pre class=\"before\">");
				esc(f, s->before);
				fprintf(f, "</pre></td></tr>\n");
			}
			k = 0;
			if (s->before == NULL && r->layout != RPT_LAYOUT_FINDINGS)
				for (k = j; k > 0 && c->steps[k - 1]->actual == NULL; k--)
					;
			if (k > 0) {
				const struct rpt_step *p = c->steps[k - 1];
				fprintf(f, "<tr><th>before it</th><td><pre class=\"before\">");
				esc(f, p->name);
				fprintf(f, " &rarr; ");
				esc(f, p->actual);
				if (p->actual_hex != NULL) {
					fprintf(f, "\n");
					esc(f, p->actual_hex);
				}
				fprintf(f, "</pre></td></tr>\n");
			}
			ROW("unconsumed", s->unconsumed, "unconsumed");
			ROW("unconsumed (hex)", s->unconsumed_hex, "unconsumed-hex");
#undef ROW
			if (s->attempts > 1)
				fprintf(f, "<tr><th>attempts</th><td>%u</td></tr>\n", s->attempts);
			if (s->final_us >= 0)
				fprintf(f, "<tr><th>timing</th><td>first byte %lld &micro;s, final byte "
				    "%lld &micro;s</td></tr>\n", (long long)s->first_us,
				    (long long)s->final_us);
			fprintf(f, "</table>\n");
		}
		if (done > HTML_STEPS_OPEN)
			fprintf(f, "</details>\n");
		if (nbad > done)
			fprintf(f, "<p class=\"note\">%zu more failing steps are not detailed here "
			    "(at most %u a case; see the JSON report).</p>\n", nbad - done,
			    HTML_STEPS_MAX);
		fprintf(f, "</section>\n");
	}
	if (bad == 0)
		fprintf(f, "<p class=\"pass\">No failures.</p>\n");
	else if (shown < bad)
		fprintf(f, "<p class=\"note\">%zu more failing cases are not detailed here (the page "
		    "details at most %u; see the case table and the JSON report).</p>\n",
		    bad - shown, HTML_FAILS_MAX);
}

static void
write_charts(const struct rpt_run *r, FILE *f)
{
	size_t i, drawn = 0, pass;

	fprintf(f, "<h2 id=\"charts\">Message sequence charts</h2>\n");
	if (r->tool != NULL && strcmp(r->tool, "analyze") == 0) {
		if (r->ncharts > 0)
			session_charts(r, f);
		else
			finding_charts(r, f);
		return;
	}
	/* Failures first, then the others while there is room. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < r->ncases && drawn < HTML_CHARTS_MAX; i++) {
			const struct rpt_case *c = r->cases[i];
			if ((pass == 0) != is_bad(c->verdict) || c->nsteps == 0)
				continue;
			fprintf(f, "<details class=\"chart\"%s><summary><span class=\"%s\">%s</span> ",
			    pass == 0 ? " open" : "", vcss[c->verdict], rpt_verdict_name(c->verdict));
			esc(f, c->id);
			fprintf(f, "</summary>\n");
			case_chart(f, c, drawn);
			fprintf(f, "</details>\n");
			drawn++;
		}
	if (drawn < r->ncases)
		fprintf(f, "<p class=\"note\">%zu of %zu cases drawn (failures first; at most %u).</p>\n",
		    drawn, r->ncases, HTML_CHARTS_MAX);
}

/*
 * Latency per command: the final-byte times of every step that has one,
 * grouped by the command's name (a step's name up to '=' or "..."), with
 * percentiles and a histogram on a logarithmic scale.
 */
struct cmdlat {
	char name[24];
	int64_t *v;
	size_t n, cap;
};

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
cmd_key(const char *name, char *out, size_t size)
{
	size_t i;

	for (i = 0; name[i] != '\0' && name[i] != '=' && name[i] != '.' && name[i] != ' ' &&
	    i + 1 < size; i++)
		out[i] = name[i];
	out[i] = '\0';
}

static const char *const hb_label[] = { "<100µs", "<1ms", "<10ms", "<100ms", "<1s", "≥1s" };

static size_t
bucket(int64_t us)
{
	size_t b = 0;
	int64_t lim = 100;

	while (b < 5 && us >= lim) {
		b++;
		lim *= 10;
	}
	return b;
}

static void
write_histogram(FILE *f, const int64_t *v, size_t n)
{
	size_t h[6] = { 0 }, i, max = 1;

	for (i = 0; i < n; i++)
		h[bucket(v[i])]++;
	for (i = 0; i < 6; i++)
		if (h[i] > max)
			max = h[i];
	fprintf(f, "<svg class=\"hist\" width=\"300\" "
	    "height=\"54\" viewBox=\"0 0 300 54\">");
	for (i = 0; i < 6; i++) {
		unsigned bh = (unsigned)(h[i] * 36 / max);
		fprintf(f, "<rect x=\"%zu\" y=\"%u\" width=\"44\" height=\"%u\" fill=\"#58a\">"
		    "<title>%s: %zu</title></rect><text x=\"%zu\" y=\"52\" font-size=\"9\" "
		    "text-anchor=\"middle\">%s</text>", i * 50 + 2, 40 - bh, bh, hb_label[i], h[i],
		    i * 50 + 24, hb_label[i]);
	}
	fprintf(f, "</svg>");
}

/* Adds @us to the row of @key (made on first use); -1 on NOMEM, 1 when
 * the table is full. */
static int
lat_put(struct cmdlat **cl, size_t *ncl, const char *key, int64_t us)
{
	size_t k;

	for (k = 0; k < *ncl && strcmp((*cl)[k].name, key) != 0; k++)
		;
	if (k == *ncl) {
		struct cmdlat *n;
		if (*ncl == HTML_CMDS_MAX)
			return 1;
		n = atp_realloc(*cl, (*ncl + 1) * sizeof(*n));
		if (n == NULL)
			return -1;
		*cl = n;
		memset(&n[k], 0, sizeof(n[k]));
		snprintf(n[k].name, sizeof(n[k].name), "%s", key);
		(*ncl)++;
	}
	if ((*cl)[k].n == (*cl)[k].cap) {
		size_t nc = (*cl)[k].cap ? (*cl)[k].cap * 2 : 16;
		int64_t *nv = atp_realloc((*cl)[k].v, nc * sizeof(*nv));
		if (nv == NULL)
			return -1;
		(*cl)[k].v = nv;
		(*cl)[k].cap = nc;
	}
	(*cl)[k].v[(*cl)[k].n++] = us;
	return 0;
}

static void
write_latency(const struct rpt_run *r, FILE *f)
{
	struct cmdlat *cl = NULL;
	size_t ncl = 0, i, j, k, left = 0;
	char key[24];
	int rc;

	fprintf(f, "<h2 id=\"latency\">Latency per command</h2>\n");
	/* The analyzer hands its samples over; the harness's are its steps. */
	for (i = 0; i < r->nlats; i++) {
		const struct rpt_lat *l = r->lats[i];
		for (j = 0; j < l->nus; j++) {
			rc = lat_put(&cl, &ncl, l->name, l->us[j]);
			if (rc < 0)
				goto out;
			left += rc > 0;
		}
	}
	for (i = 0; r->nlats == 0 && i < r->ncases; i++)
		for (j = 0; j < r->cases[i]->nsteps; j++) {
			const struct rpt_step *s = r->cases[i]->steps[j];
			if (s->final_us < 0 || s->name == NULL)
				continue;
			cmd_key(s->name, key, sizeof(key));
			rc = lat_put(&cl, &ncl, key, s->final_us);
			if (rc < 0)
				goto out;
			left += rc > 0;
		}
	if (ncl == 0) {
		fprintf(f, "<p class=\"note\">No timed exchanges.</p>\n");
		goto out;
	}
	fprintf(f, "<p>Final byte of the response, from the last byte sent (&micro;s).</p>\n"
	    "<table id=\"latency-table\"><tr><th>command</th><th>n</th><th>min</th><th>p50</th>"
	    "<th>p90</th><th>p99</th><th>max</th><th>histogram</th></tr>\n");
	for (k = 0; k < ncl; k++) {
		const int64_t *v = cl[k].v;
		size_t n = cl[k].n;
		const struct rpt_lat *l = NULL;
		for (i = 0; i < r->nlats && l == NULL; i++)
			if (strcmp(r->lats[i]->name, cl[k].name) == 0)
				l = r->lats[i];
		qsort(cl[k].v, n, sizeof(*v), cmp_i64);
		fprintf(f, "<tr><td>");
		esc(f, cl[k].name);
		fprintf(f, "</td><td class=\"n\">%lu", l != NULL ? l->n : (unsigned long)n);
		if (l != NULL && l->n > n)
			fprintf(f, " (a sample of %zu)", n);
		if (l != NULL && l->missing > 0)
			fprintf(f, ", %lu unanswered", l->missing);
		fprintf(f, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld"
		    "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
		    "<td>", (long long)v[0], (long long)v[(n - 1) / 2],
		    (long long)v[(n - 1) * 9 / 10], (long long)v[(n - 1) * 99 / 100],
		    (long long)v[n - 1]);
		write_histogram(f, v, n);
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n");
	if (left > 0)
		fprintf(f, "<p class=\"note\">%zu timed exchanges of further commands left out (at "
		    "most %u commands).</p>\n", left, HTML_CMDS_MAX);
out:
	for (k = 0; k < ncl; k++)
		atp_free(cl[k].v);
	atp_free(cl);
}

static void
write_measures(const struct rpt_run *r, FILE *f)
{
	size_t i, j, n = 0, total = 0;

	for (i = 0; i < r->ncases; i++)
		total += r->cases[i]->nmeasures;
	fprintf(f, "<h2 id=\"measures\">Measurements</h2>\n");
	if (total == 0) {
		fprintf(f, "<p class=\"note\">No measurements in this run.</p>\n");
		return;
	}
	fprintf(f, "<table id=\"measure-table\"><tr><th>unit</th><th>case</th><th>measure</th>"
	    "<th>value</th><th>min</th><th>max</th><th>verdict</th></tr>\n");
	for (i = 0; i < r->ncases; i++)
		for (j = 0; j < r->cases[i]->nmeasures && n < HTML_MEASURES_MAX; j++, n++) {
			const struct rpt_measure *m = r->cases[i]->measures[j];
			fprintf(f, "<tr><td>");
			esc(f, r->unit_name != NULL ? r->unit_name : r->unit_mac != NULL ?
			    r->unit_mac : "?");
			fprintf(f, "</td><td>");
			esc(f, r->cases[i]->id);
			fprintf(f, "</td><td>");
			esc(f, m->name);
			fprintf(f, "</td><td class=\"n\">%g ", m->value);
			esc(f, m->unit);
			fprintf(f, "</td><td class=\"n\">");
			if (m->has_min)
				fprintf(f, "%g", m->min);
			fprintf(f, "</td><td class=\"n\">");
			if (m->has_max)
				fprintf(f, "%g", m->max);
			fprintf(f, "</td><td class=\"%s\">%s</td></tr>\n", vcss[m->verdict],
			    rpt_verdict_name(m->verdict));
		}
	fprintf(f, "</table>\n");
	if (n < total)
		fprintf(f, "<p class=\"note\">%zu of %zu measurements listed.</p>\n", n, total);
}

static void
write_findings(const struct rpt_run *r, FILE *f)
{
	size_t i;

	fprintf(f, "<h2 id=\"findings\">Findings</h2>\n");
	if (r->nfindings == 0) {
		fprintf(f, "<p class=\"note\">No findings.</p>\n");
		return;
	}
	fprintf(f, "<table id=\"finding-table\"><tr><th>place</th><th>verdict</th><th>rule</th>"
	    "<th>section</th><th>command</th><th>message</th></tr>\n");
	for (i = 0; i < r->nfindings && i < HTML_FINDINGS_MAX; i++) {
		const struct rpt_finding *fd = r->findings[i];
		fprintf(f, "<tr><td>");
		esc(f, fd->file);
		/* A binary input has offsets, not lines. */
		if (r->layout == RPT_LAYOUT_FINDINGS && fd->line == 0)
			fprintf(f, "@%llu", (unsigned long long)fd->offset);
		else
			fprintf(f, ":%lu", fd->line);
		fprintf(f, "</td><td class=\"%s\">",
		    fd->verdict != NULL && strcmp(fd->verdict, "fail") == 0 ? "fail" : "");
		esc(f, fd->verdict);
		fprintf(f, "</td><td>");
		esc(f, fd->rule);
		fprintf(f, "</td><td>");
		if (fd->section != NULL) {
			fprintf(f, "&sect;");
			esc(f, fd->section);
		}
		fprintf(f, "</td><td>");
		esc(f, fd->command);
		fprintf(f, "</td><td>");
		esc_cut(f, fd->message, 240);
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n");
	if (r->nfindings > HTML_FINDINGS_MAX)
		fprintf(f, "<p class=\"note\">%zu of %zu findings listed.</p>\n",
		    (size_t)HTML_FINDINGS_MAX, r->nfindings);
}

/* The run's timeline (the analyzer's: findings and, with --net, the
 * sockets' UART and network events), when it has one. */
static void
write_timeline(const struct rpt_run *r, FILE *f)
{
	size_t i;

	if (r->nevents == 0)
		return;
	fprintf(f, "<h2 id=\"timeline\">Timeline</h2>\n<table id=\"timeline-table\"><tr>"
	    "<th>time</th><th>place</th><th>verdict</th><th>event</th></tr>\n");
	for (i = 0; i < r->nevents && i < HTML_FINDINGS_MAX; i++) {
		const struct rpt_event *e = r->events[i];
		fprintf(f, "<tr><td>");
		if (e->time_us != 0) {
			uint64_t s = e->time_us / 1000000u;
			fprintf(f, "%02u:%02u:%02u.%06u", (unsigned)(s / 3600 % 24),
			    (unsigned)(s / 60 % 60), (unsigned)(s % 60),
			    (unsigned)(e->time_us % 1000000u));
		}
		fprintf(f, "</td><td>");
		if (e->file != NULL) {
			esc(f, e->file);
			if (e->line != 0)
				fprintf(f, ":%lu", e->line);
			else
				fprintf(f, "@%llu", (unsigned long long)e->offset);
		} else {
			esc(f, e->lane);
		}
		fprintf(f, "</td><td class=\"%s\">",
		    e->verdict != NULL && strcmp(e->verdict, "fail") == 0 ? "fail" : "");
		esc(f, e->verdict);
		fprintf(f, "</td><td>");
		esc_cut(f, e->what, 240);
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n");
	if (r->nevents > HTML_FINDINGS_MAX)
		fprintf(f, "<p class=\"note\">%zu of %zu events listed.</p>\n",
		    (size_t)HTML_FINDINGS_MAX, r->nevents);
}

int
rpt_write_html(const struct rpt_run *r, FILE *f)
{
	size_t i, counts[5] = { 0 };

	for (i = 0; i < r->ncases; i++)
		counts[r->cases[i]->verdict]++;
	write_head(r->tool, rpt_verdict_name(r->verdict), f);
	write_summary(r, f, counts);
	write_cases(r, f);
	write_failures(r, f);
	write_charts(r, f);
	write_latency(r, f);
	write_measures(r, f);
	write_findings(r, f);
	write_timeline(r, f);
	fprintf(f, "<p class=\"note\">atproof %s report; self-contained: no file or address "
	    "outside this page is needed.</p>\n</body></html>\n", r->tool);
	return ferror(f) ? -1 : 0;
}

/*
 * A station (factory acceptance): the summary JSON of `run --station` as a
 * page of its own: the units with their verdicts and a link to each unit's
 * page, then a table of units by measurement, each value against its
 * limits, then the cases that did not pass.
 */
#define HTML_STATION_COLS 40u

static const char *
jss(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "";
}

static long long
jsi(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static const char *
vclass(const char *v)
{
	size_t i;

	for (i = 0; i < 5; i++)
		if (strcmp(v, vcss[i]) == 0)
			return vcss[i];
	return "error";
}

/* "out/run.html" for unit "dut1": "run-dut1.html" (the harness's rule,
 * relative to the station's page). */
static void
unit_page(const char *path, const char *unit, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/'), *base = slash != NULL ? slash + 1 : path;
	const char *dot = strrchr(base, '.');

	if (dot == NULL || dot == base)
		snprintf(buf, size, "%s-%s", base, unit);
	else
		snprintf(buf, size, "%.*s-%s%s", (int)(dot - base), base, unit, dot);
}

static void
station_measures(const json_t *sum, FILE *f)
{
	const json_t *units = json_object_get(sum, "units"), *cases = json_object_get(sum, "cases");
	const json_t *u, *c, *m;
	const char *col[HTML_STATION_COLS];
	const json_t *lim[HTML_STATION_COLS];
	size_t i, j, k, ncol = 0, left = 0;

	/* The columns: case and measure names, in order of first sight. */
	json_array_foreach(cases, i, c) {
		json_array_foreach(json_object_get(c, "measures"), j, m) {
			for (k = 0; k < ncol; k++)
				if (strcmp(col[k], jss(m, "name")) == 0 &&
				    strcmp(jss(lim[k], "id"), jss(c, "id")) == 0)
					break;
			if (k < ncol)
				continue;
			if (ncol == HTML_STATION_COLS) {
				left++;
				continue;
			}
			col[ncol] = jss(m, "name");
			lim[ncol] = c;
			ncol++;
		}
	}
	fprintf(f, "<h2 id=\"measures\">Measurements</h2>\n");
	if (ncol == 0) {
		fprintf(f, "<p class=\"note\">No measurements in this run.</p>\n");
		return;
	}
	fprintf(f, "<table id=\"measure-table\"><tr><th>unit</th>");
	for (k = 0; k < ncol; k++) {
		fprintf(f, "<th>");
		esc(f, col[k]);
		fprintf(f, "<br><small>");
		esc(f, jss(lim[k], "id"));
		/* The limits, as the first unit's case gives them. */
		json_array_foreach(json_object_get(lim[k], "measures"), j, m) {
			if (strcmp(jss(m, "name"), col[k]) != 0)
				continue;
			fprintf(f, " [");
			if (json_is_number(json_object_get(m, "min")))
				fprintf(f, "%g", json_number_value(json_object_get(m, "min")));
			fprintf(f, "..");
			if (json_is_number(json_object_get(m, "max")))
				fprintf(f, "%g", json_number_value(json_object_get(m, "max")));
			fprintf(f, "] ");
			esc(f, jss(m, "unit"));
			break;
		}
		fprintf(f, "</small></th>");
	}
	fprintf(f, "</tr>\n");
	json_array_foreach(units, i, u) {
		fprintf(f, "<tr><td>");
		esc(f, jss(u, "name"));
		fprintf(f, "</td>");
		for (k = 0; k < ncol; k++) {
			const json_t *hit = NULL;
			json_array_foreach(cases, j, c) {
				size_t l;
				if (hit != NULL || strcmp(jss(c, "unit"), jss(u, "name")) != 0 ||
				    strcmp(jss(c, "id"), jss(lim[k], "id")) != 0)
					continue;
				json_array_foreach(json_object_get(c, "measures"), l, m)
					if (hit == NULL && strcmp(jss(m, "name"), col[k]) == 0)
						hit = m;
			}
			if (hit == NULL) {
				fprintf(f, "<td class=\"n skip\">&ndash;</td>");
				continue;
			}
			fprintf(f, "<td class=\"n %s\" title=\"%s\">%g</td>",
			    vclass(jss(hit, "verdict")), vclass(jss(hit, "verdict")),
			    json_number_value(json_object_get(hit, "value")));
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n");
	if (left > 0)
		fprintf(f, "<p class=\"note\">%zu further measurements are not columns here (at most "
		    "%u); the units' pages have them.</p>\n", left, HTML_STATION_COLS);
}

int
rpt_write_station_html(const struct json_t *sum, const char *path, FILE *f)
{
	const json_t *units = json_object_get(sum, "units"), *cases = json_object_get(sum, "cases");
	const json_t *u, *c, *st;
	const char *verdict = jss(sum, "verdict");
	size_t i, counts[5] = { 0 }, bad = 0;
	char page[4096];

	json_array_foreach(units, i, u) {
		const char *v = vclass(jss(u, "verdict"));
		for (size_t k = 0; k < 5; k++)
			if (v == vcss[k])
				counts[k]++;
	}
	write_head("station", verdict, f);
	fprintf(f, "<h1>atproof station ");
	esc(f, jss(sum, "station"));
	fprintf(f, ": <span class=\"%s\" id=\"verdict\">", vclass(verdict));
	esc(f, verdict);
	fprintf(f, "</span></h1>\n<div class=\"counts\" id=\"summary\" data-units=\"%zu\" "
	    "data-passed=\"%zu\" data-failed=\"%zu\" data-inconclusive=\"%zu\" data-errors=\"%zu\">"
	    "<span>units <b>%zu</b></span><span class=\"pass\">passed <b>%zu</b></span>"
	    "<span class=\"fail\">failed <b>%zu</b></span><span class=\"inconc\">inconclusive "
	    "<b>%zu</b></span><span class=\"error\">errors <b>%zu</b></span></div>\n",
	    json_array_size(units), counts[RPT_PASS], counts[RPT_FAIL], counts[RPT_INCONC],
	    counts[RPT_ERROR], json_array_size(units), counts[RPT_PASS], counts[RPT_FAIL],
	    counts[RPT_INCONC], counts[RPT_ERROR]);
	fprintf(f, "<h2>Units</h2>\n<table id=\"units\"><tr><th>unit</th><th>port</th><th>MAC</th>"
	    "<th>firmware</th><th>verdict</th><th>passed</th><th>failed</th><th>inconclusive</th>"
	    "<th>errors</th><th>skipped</th><th>exit</th></tr>\n");
	json_array_foreach(units, i, u) {
		st = json_object_get(u, "stats");
		unit_page(path, jss(u, "name"), page, sizeof(page));
		/* A relative link to the unit's own page, next to this one. */
		fprintf(f, "<tr><td><a href=\"");
		esc(f, page);
		fprintf(f, "\">");
		esc(f, jss(u, "name"));
		fprintf(f, "</a></td><td>");
		esc(f, jss(u, "port"));
		fprintf(f, "</td><td>");
		esc(f, jss(u, "mac"));
		fprintf(f, "</td><td>");
		esc(f, jss(u, "firmware"));
		fprintf(f, "</td><td class=\"%s\">", vclass(jss(u, "verdict")));
		esc(f, jss(u, "verdict"));
		fprintf(f, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld"
		    "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
		    "</tr>\n", jsi(st, "passed"), jsi(st, "failed"), jsi(st, "inconclusive"),
		    jsi(st, "errors"), jsi(st, "skipped"), jsi(u, "exit"));
	}
	fprintf(f, "</table>\n");
	station_measures(sum, f);
	fprintf(f, "<h2 id=\"failures\">Cases that did not pass</h2>\n<table id=\"case-table\">"
	    "<tr><th>unit</th><th>case</th><th>verdict</th><th>reason</th></tr>\n");
	json_array_foreach(cases, i, c) {
		const char *v = vclass(jss(c, "verdict"));
		if (v == vcss[RPT_PASS] || v == vcss[RPT_SKIP] || ++bad > HTML_ROWS_MAX)
			continue;
		fprintf(f, "<tr class=\"v-%s\"><td>", v);
		esc(f, jss(c, "unit"));
		fprintf(f, "</td><td>");
		esc(f, jss(c, "id"));
		fprintf(f, "</td><td class=\"%s\">%s</td><td>", v, v);
		esc_cut(f, jss(c, "reason"), 200);
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n");
	if (bad > HTML_ROWS_MAX)
		fprintf(f, "<p class=\"note\">%zu of %zu listed.</p>\n", (size_t)HTML_ROWS_MAX, bad);
	fprintf(f, "<p class=\"note\">atproof station report; each unit's page has its failures, "
	    "sequence charts and latency.</p>\n</body></html>\n");
	return ferror(f) ? -1 : 0;
}
