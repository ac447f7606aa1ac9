/* SPDX-License-Identifier: MIT */
/* \summary: the report model and its writers (text, JSON, JUnit XML, TAP) */
#ifndef REPORTS_RPT_H
#define REPORTS_RPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * One model for every tool's results: the harness fills cases and steps,
 * the analyzer findings; both may add measurements. Writers only read it.
 * Every string is owned by the model (copied in). Text given to the model
 * must already be masked: the model cannot know the secrets.
 */
enum rpt_verdict {
	RPT_PASS,
	RPT_FAIL,
	RPT_INCONC,
	RPT_ERROR,                 /* the environment failed (port vanished) */
	RPT_SKIP,                  /* not run: tags, capability gating */
};

struct rpt_step {
	char *name;
	char *phase;               /* "setup", "steps", "teardown" */
	char *file;
	unsigned long line, col;
	enum rpt_verdict verdict;
	char *message;             /* why, when not pass */
	char *expected;            /* text as written in the scenario */
	char *actual;              /* escaped text */
	char *actual_hex;
	char *unconsumed;          /* escaped bytes no step accounted for */
	char *unconsumed_hex;
	char *before;              /* escaped: what came before it (the
	                              analyzer: the command a response answers);
	                              NULL: the step before it says */
	int64_t first_us, final_us; /* from the last byte sent; -1: none */
	unsigned attempts;
	unsigned warnings;         /* known deviations seen in the step */
};

struct rpt_measure {
	char *name;
	double value;
	char *unit;
	int has_min, has_max;
	double min, max;
	enum rpt_verdict verdict;
};

struct rpt_finding {
	char *rule;
	char *severity;            /* "info" "warning" "error" */
	char *verdict;             /* "pass" "fail" "known" "inconc" */
	char *section;
	char *file;
	unsigned long line;
	char *command;
	char *message;
	char *case_id;             /* the case it was seen in, or NULL */
	uint64_t offset;           /* byte offset in a binary input (line 0) */
	char *deviation;           /* the catalogued deviation it is, or NULL */
	uint64_t time_us;          /* on the input's clock; 0: the input has no times */
};

/* An input a tool read (the analyzer's files) and the format it was read
 * as (NULL: unknown). */
struct rpt_input {
	char *file;
	char *format;
};

/* A rule's tally over every occurrence, kept as a finding or not. */
struct rpt_rule {
	char *rule;
	char *severity;            /* the worst seen */
	char *section;
	unsigned long count, fail, known, inconc, pass;
};

/* A point of the run's timeline, in the order added (the analyzer's
 * failures, known deviations and undecided points, in session order). */
struct rpt_event {
	uint64_t time_us;          /* on the input's clock; 0: untimed */
	char *lane;                /* "uart", "net" */
	char *file;
	unsigned long line;        /* 0: a binary input (see offset) */
	uint64_t offset;
	char *verdict;
	char *what;
};

/* A message of an analyzed session's sequence chart, between lifelines
 * named "host", "module" or a network peer; from == to is a note on that
 * lifeline (a finding, with its verdict). */
struct rpt_msg {
	char *from, *to, *label;
	enum rpt_verdict verdict;
};

/* An analyzed session's sequence chart: its first messages and findings in
 * session order (a log of a million exchanges keeps only these); @total
 * messages in the whole session. */
struct rpt_chart {
	char *name;
	struct rpt_msg *msgs;
	size_t nmsgs;
	size_t total;
};

/* A named counter of the run, listed in the order added. */
struct rpt_stat {
	char *name;
	uint64_t value;
};

struct rpt_case {
	char *id;
	char *file;
	char *title;
	char *spec;
	enum rpt_verdict verdict;
	char *reason;              /* the first failure, a skip reason */
	struct rpt_step **steps;
	size_t nsteps;
	struct rpt_measure **measures;
	size_t nmeasures;
	double seconds;
};

/* Latency samples of one command, for tools that time exchanges outside
 * steps (the analyzer): the HTML report's percentiles and histogram. */
struct rpt_lat {
	char *name;
	unsigned long n;           /* exchanges timed */
	unsigned long missing;     /* sent, never answered */
	int64_t *us;               /* final-byte times (a sample when n > nus) */
	size_t nus;
	/* Percentiles of the tool's own (over every exchange, not only the
	 * sample); meaningful when n > 0. */
	int64_t p50_us, p90_us, p99_us, max_us, max_first_us;
	int64_t limit_us;          /* the limit set for this command; 0: none */
};

/*
 * How a run is organised. The harness's by cases of steps; the analyzer's
 * by findings and the rules they break. The JSON and text writers follow
 * the layout; JUnit, TAP and HTML always list cases.
 */
struct json_t;

enum rpt_layout {
	RPT_LAYOUT_CASES,
	RPT_LAYOUT_FINDINGS,
};

struct rpt_run {
	char *tool;                /* "run", "analyze" */
	enum rpt_verdict verdict;
	char *reason;              /* run-level: "port vanished: ..." */
	char *port;
	char *transport;           /* "libserialport", "tty", "tcp", "emu" */
	char *profile;             /* --firmware */
	char *unit_mac, *unit_fw;  /* identity of the unit, when known */
	char *unit_name;           /* the station's name for the unit, or NULL */
	struct rpt_case **cases;
	size_t ncases;
	struct rpt_finding **findings;
	size_t nfindings;
	struct rpt_lat **lats;
	size_t nlats;
	uint64_t bytes_tx, bytes_rx;
	uint64_t exchanges;
	double seconds;
	char *started;             /* ISO 8601 UTC */
	enum rpt_layout layout;
	char *version;             /* the tool's, for the findings layout */
	struct rpt_input **inputs;
	size_t ninputs;
	struct rpt_rule **rules;
	size_t nrules;
	struct rpt_stat *stats;
	size_t nstats;
	struct rpt_event **events;
	size_t nevents;
	struct rpt_chart **charts; /* the analyzer's, one per session */
	size_t ncharts;
	size_t sessions;           /* the analyzer's sessions, charted or not
	                              (its charts have a ceiling) */
	/* A section the text report prints as it is, after the findings
	 * (the analyzer's network summary and its timeline), or NULL. */
	char *text_extra;
	/* Members the JSON report adds to its root after its own (the
	 * analyzer's "network"); owned (a reference), or NULL. */
	struct json_t *json_extra;
};

struct rpt_run *rpt_run_new(const char *tool);
void rpt_run_free(struct rpt_run *r);
/* Copies @s into *dst (freeing the old value); NULL clears. -1 on NOMEM. */
int rpt_set(char **dst, const char *s);

struct rpt_case *rpt_case_add(struct rpt_run *r, const char *id, const char *file);
struct rpt_step *rpt_step_add(struct rpt_case *c, const char *name, const char *phase);
struct rpt_measure *rpt_measure_add(struct rpt_case *c, const char *name);
struct rpt_finding *rpt_finding_add(struct rpt_run *r);
struct rpt_input *rpt_input_add(struct rpt_run *r, const char *file, const char *format);
struct rpt_rule *rpt_rule_add(struct rpt_run *r, const char *rule);
struct rpt_event *rpt_event_add(struct rpt_run *r);
struct rpt_chart *rpt_chart_add(struct rpt_run *r, const char *name);
/* Appends a message to @c (the strings copied); -1 on NOMEM. */
int rpt_chart_msg(struct rpt_chart *c, const char *from, const char *to, const char *label,
    enum rpt_verdict v);
/* Appends a counter; -1 on NOMEM. */
int rpt_stat_add(struct rpt_run *r, const char *name, uint64_t value);
/* The value of counter @name, 0 when there is none. */
uint64_t rpt_stat_get(const struct rpt_run *r, const char *name);
/* Copies @nus samples of @us. NULL on NOMEM. */
struct rpt_lat *rpt_lat_add(struct rpt_run *r, const char *name, const int64_t *us, size_t nus);

/* The worse of two verdicts: error > fail > inconc > pass > skip. */
enum rpt_verdict rpt_worse(enum rpt_verdict a, enum rpt_verdict b);
const char *rpt_verdict_name(enum rpt_verdict v);
/* Sets each case's verdict from its steps and measures where it is PASS,
 * then the run's from its cases and findings. */
void rpt_run_finish(struct rpt_run *r);
/* The process exit code for the run's verdict (enum atp_exit). */
int rpt_exit_code(const struct rpt_run *r);

enum rpt_format { RPT_TEXT, RPT_JSON, RPT_JUNIT, RPT_TAP, RPT_HTML };
/* "text" "json" "junit" "tap" "html"; -1 for anything else. */
int rpt_format_parse(const char *name);

/*
 * Writes @r in @fmt to @f. @color: use ANSI colours (text only).
 * @return 0, or -1 with errno on a write error.
 */
int rpt_write(const struct rpt_run *r, enum rpt_format fmt, FILE *f, int color);
/* The HTML page (html.c); 0, or -1 on a write error. */
int rpt_write_html(const struct rpt_run *r, FILE *f);
/* The page of a station: @sum is the summary JSON of `run --station`
 * (units, cases with "unit"); @path names the page, for the links to each
 * unit's own ("run.html" -> "run-UNIT.html"). 0, or -1 on a write error. */
int rpt_write_station_html(const struct json_t *sum, const char *path, FILE *f);
/* Writes to @path ("-": standard output). -1 with errno on failure. */
int rpt_write_path(const struct rpt_run *r, enum rpt_format fmt, const char *path);

/* Writes @s into XML or HTML markup, escaped (the JUnit and HTML writers). */
void rpt_esc_markup(FILE *f, const char *s);

#endif
