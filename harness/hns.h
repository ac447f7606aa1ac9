/* SPDX-License-Identifier: MIT */
/* \summary: the harness's internal API: YAML tree, scenario model, runner */
#ifndef HARNESS_HNS_H
#define HARNESS_HNS_H

#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "atproof/atproof.h"

/*
 * Ceilings of the scenario loader. A scenario file is hostile input (a
 * scenario from a customer, a fuzzer): each of these makes the loader stop
 * with a file:line:col message instead of growing without bound.
 */
#define HNS_FILE_MAX      (1u << 20)  /* bytes of one YAML file */
#define HNS_DEPTH_MAX     32          /* nesting of maps and sequences */
#define HNS_NODES_MAX     200000      /* YAML nodes of one file */
#define HNS_SCALAR_MAX    65536       /* bytes of one scalar */
#define HNS_STEPS_MAX     4096        /* steps of one scenario, blocks expanded */
#define HNS_INCLUDE_MAX   16          /* files one scenario includes */
#define HNS_USE_DEPTH_MAX 8           /* blocks using blocks */
#define HNS_VARS_MAX      512         /* variables alive in one run */
#define HNS_VAR_MAX       65536       /* bytes of one variable's value */
#define HNS_REPEAT_MAX    100000      /* scenario repeat count */
#define HNS_MATRIX_MAX    4096        /* combinations of a matrix */
#define HNS_RETRY_MAX     10          /* attempts of one step */
#define HNS_DATA_MAX      (1u << 20)  /* bytes of one binary phase */
#define HNS_ERRORS_MAX    100         /* lint messages per file */
#define HNS_DEADLINE_MAX  (3600ull * 1000000ull) /* one hour, in us */

/*
 * The YAML tree
 *
 * The loader reads libyaml events into this small tree, keeping each
 * node's line and column (1-based) for messages. Anchors and aliases are
 * refused: a scenario has no use for them, and they are how a tiny file
 * becomes a huge tree ("billion laughs").
 */
enum hns_ytype { HNS_Y_SCALAR, HNS_Y_SEQ, HNS_Y_MAP };

struct hns_ynode {
	enum hns_ytype type;
	unsigned long line, col;
	char *str;                 /* scalar: NUL-terminated (may hold NULs) */
	size_t len;
	int plain;                 /* scalar: written without quotes */
	struct hns_ynode **kids;   /* seq: items; map: key, value, key, value */
	size_t nkids;
};

/* Reports a problem at a place; the loader goes on where it can. */
typedef void hns_msg_fn(void *ctx, const char *file, unsigned long line,
    unsigned long col, int is_error, const char *msg);

/* Parses @len bytes of @buf (named @file in messages) into *out.
 * @return ATP_OK, ATP_ERR_SYNTAX (with a message), ATP_ERR_LIMIT,
 * ATP_ERR_NOMEM. */
int hns_yaml_parse(const char *file, const void *buf, size_t len,
    struct hns_ynode **out, struct atp_diag *d);
void hns_ynode_free(struct hns_ynode *n);
/* The value of key @key in map @m, or NULL. */
const struct hns_ynode *hns_ymap_get(const struct hns_ynode *m, const char *key);

/*
 * The scenario model
 */
struct hns_pos {
	const char *file;          /* owned by the scenario (its file list) */
	unsigned long line, col;
};

enum hns_mkind {
	HNS_M_NONE,                /* no expectation given */
	HNS_M_OK,                  /* any +OK response */
	HNS_M_EXACT,
	HNS_M_GLOB,
	HNS_M_REGEX,
	HNS_M_SHAPE,
	HNS_M_ERROR,               /* +ERR=<code> */
	HNS_M_ANY_ERROR,           /* any +ERR= */
};

struct hns_matcher {
	enum hns_mkind kind;
	char *text;                /* pattern as written (EXACT, GLOB: ${} expanded
	                              at run time) */
	pcre2_code *re;            /* REGEX, compiled at load (JIT if possible) */
	struct atp_shape *shape;   /* SHAPE */
	long errcode;              /* ERROR */
	struct hns_pos pos;
};

enum hns_rpolicy {
	HNS_RP_INHERIT = 0,
	HNS_RP_ALLOW,              /* accepted, not shown */
	HNS_RP_RECORD,             /* accepted and listed in the report */
	HNS_RP_EXPECT,             /* must arrive (count times) in the window */
	HNS_RP_FORBID,             /* a failure */
};

struct hns_rrule {
	char *name;                /* "+SKTRPT", "*" for every report */
	enum hns_rpolicy policy;
	unsigned long count;       /* EXPECT: how many (0: at least one) */
	struct hns_pos pos;
};

enum hns_skind {
	HNS_S_SEND,                /* raw or command line, then a response */
	HNS_S_EXPECT,              /* a frame, nothing sent */
	HNS_S_SEND_DATA,           /* raw bytes after SKSND's +OK=<n> */
	HNS_S_READ_DATA,           /* counted bytes after SKRCV / +SKTRPT */
	HNS_S_ENTER_TRANSPARENT,   /* AT+ENTM, +OK, then raw */
	HNS_S_STREAM,              /* raw bytes both ways in transparent mode */
	HNS_S_LEAVE_TRANSPARENT,   /* guard, "+++", guard, +OK */
	HNS_S_WAIT_REPORT,
	HNS_S_SLEEP,
	HNS_S_RESET,               /* AT+Z, +OK, settle; or a DTR/RTS pulse, settle,
	                              AT+ until +OK */
	HNS_S_MEASURE,
	HNS_S_SET,                 /* set variables */
	HNS_S_PEER_SEND,           /* a network peer sends */
	HNS_S_PEER_EXPECT,         /* what a network peer received */
	HNS_S_LINE,                /* DTR, RTS, break */
	HNS_S_BAUD,                /* the host side's rate (after AT+UART) */
};

enum hns_dsrc {
	HNS_D_NONE,
	HNS_D_TEXT,                /* bytes as written (${} expanded) */
	HNS_D_HEX,                 /* "00 01 ff" */
	HNS_D_FILE,                /* a file relative to the scenario */
	HNS_D_RANDOM,              /* len bytes from seed */
	HNS_D_VAR,                 /* a variable saved earlier */
};

struct hns_data {
	enum hns_dsrc src;
	char *text;                /* TEXT, FILE path (resolved), VAR name */
	uint8_t *bytes;            /* HEX decoded */
	size_t nbytes;
	char *len;                 /* RANDOM / READ: a length, may hold ${} */
	uint64_t seed;
};

struct hns_bound {
	int has_min, has_max;
	uint64_t min_us, max_us;
};

struct hns_kv {                   /* a name and a value text (may hold ${}) */
	char *name;
	char *value;
	int secret;
	struct hns_pos pos;
};

struct hns_step {
	enum hns_skind kind;
	struct hns_pos pos;
	char *name;                /* id: or a summary made at load */
	/* SEND */
	char *raw;                 /* send: text; NULL with cmd */
	char *cmd;                 /* cmd: */
	const struct atp_cmd *cmdp;
	enum atp_form form;
	char **args;
	size_t nargs;
	char *eol;                 /* what ends a cmd line: "\r" by default */
	int nowait;                /* do not wait: a later expect takes the answer */
	/* SEND, EXPECT, WAIT_REPORT, RESET */
	struct hns_matcher expect;
	char *report;              /* WAIT_REPORT: "+SKTRPT" */
	/* SEND_DATA, READ_DATA, STREAM */
	struct hns_data data;      /* what to send / compare */
	struct hns_data want;      /* STREAM: what must come back */
	char *save;                /* SEND_DATA: save payload under this name */
	int check_len;             /* SEND_DATA: payload must equal +OK=<n> */
	/* timing */
	uint64_t deadline_us;      /* 0: the default for the command */
	struct hns_bound first, final;
	uint64_t sleep_us;         /* SLEEP; RESET and LEAVE: settle/guard */
	/* MEASURE */
	char *mname, *mvalue, *munit;
	int has_mmin, has_mmax;
	double mmin, mmax;
	/* SET */
	struct hns_kv *sets;
	size_t nsets;
	/* PEER_SEND, PEER_EXPECT */
	char *peer;
	char *topic;               /* PEER_SEND to an MQTT peer */
	/* MQTT: PEER_SEND publishes with qos and retain; PEER_EXPECT wants
	 * them of every message it takes (-1: any). HTTP: PEER_EXPECT wants
	 * every request it takes on connection conn (0: any). */
	int qos, retain;
	unsigned conn;
	/* LINE */
	int dtr, rts;              /* 0, 1, -1: leave */
	uint64_t break_us;
	/* BAUD: the rate; data bits, stop bits and parity ('N', 'O', 'E')
	 * where given, 0 where they stay */
	unsigned long baud;
	int databits, stopbits;
	char parity;
	/* RESET by a modem line */
	int rline;                 /* 0 AT+Z, 1 DTR, 2 RTS */
	int ractive;               /* the line's state during the pulse: 1 asserted */
	uint64_t pulse_us;
	/* flow */
	unsigned retry;            /* extra attempts (0: none) */
	uint64_t retry_delay_us;
	long *retry_codes;         /* retry only on +ERR= with one of these */
	size_t nretry_codes;
	struct hns_rrule *rules;
	size_t nrules;
	int optional;              /* a failure is a warning (teardown) */
	/* deviation: <id>: where the firmware departs from the manual, a
	 * failure of this step is that catalogued deviation: known (a warning)
	 * when --firmware has it, a failure named after it otherwise. */
	const struct atp_deviation *deviation;
	int final_check;           /* the runner's quiet check after the last step */
};

/* A network peer the harness starts on a free loopback port. */
enum hns_ptype { HNS_P_TCP_SERVER, HNS_P_UDP, HNS_P_HTTP, HNS_P_MQTT };

struct hns_http_answer {          /* an HTTP peer's answer to one path */
	char *path;                /* "/status"; "*" for any other */
	unsigned status;
	char *body;
	char *type;                /* Content-Type, NULL: none */
};

/* The most an http-server peer's max_body may say: what a peer keeps of
 * what it received for peer_expect (the peer also holds a request up to
 * six times it as sent, chunked). */
#define HNS_HTTP_BODY_HARD_MAX HNS_DATA_MAX

struct hns_peerdef {
	char *name;
	enum hns_ptype type;
	int echo;                  /* send back what arrives */
	unsigned port;             /* port: N, or 0 for a free one */
	uint64_t reset_after;      /* tcp-server: RST a connection after N bytes; 0 never */
	uint64_t max_body;         /* http-server: a request body's ceiling; 0 HNS_HTTP_BODY_MAX */
	struct hns_http_answer *answers;
	size_t nanswers;
	char **topics;             /* MQTT: what the harness's client subscribes */
	size_t ntopics;
	struct hns_pos pos;
};

struct hns_mvar {                 /* a matrix dimension */
	char *name;
	char **values;
	size_t nvalues;
};

struct hns_scenario {
	char *file;                /* as given */
	char *id, *title, *spec;
	char **tags;
	size_t ntags;
	char **requires;
	size_t nrequires;
	struct hns_kv *vars;
	size_t nvars;
	struct hns_step *setup, *steps, *teardown;
	size_t nsetup, nsteps, nteardown;
	struct hns_rrule *rules;   /* scenario-wide report policy */
	size_t nrules;
	unsigned long repeat;      /* >= 1 */
	struct hns_mvar *matrix;
	size_t nmatrix;
	struct hns_peerdef *peers;
	size_t npeers;
	struct hns_matcher *aborts; /* a frame matching one fails at once */
	size_t naborts;
	uint64_t settle_us;        /* quiet time checked at the end */
	int echo;                  /* 1: the module echoes at the start */
	char **files;              /* every file name used in positions */
	size_t nfiles;
};

/* Loader options. */
struct hns_load_opts {
	const char *const *vars;   /* names defined from outside (--var) */
	size_t nvars;
	const char *root;          /* includes and data files must stay under
	                              it; NULL: the scenario's folder */
	int lax;                   /* a block library on its own: names and
	                              peers come from the scenarios using it */
};

/*
 * Loads the scenario in @path. Every problem goes to @msg (file:line:col);
 * the loader goes on after most of them to report as many as it can.
 * @return ATP_OK with *out set; ATP_ERR_SYNTAX when at least one error was
 * reported (*out NULL); ATP_ERR_IO, ATP_ERR_NOMEM, ATP_ERR_LIMIT with a
 * message through @msg too.
 */
int hns_scenario_load(const char *path, const struct hns_load_opts *opts,
    hns_msg_fn *msg, void *ctx, struct hns_scenario **out);
/* Same, from memory (@path names it and anchors includes). */
int hns_scenario_load_mem(const char *path, const void *buf, size_t len,
    const struct hns_load_opts *opts, hns_msg_fn *msg, void *ctx,
    struct hns_scenario **out);
void hns_scenario_free(struct hns_scenario *s);

/* "2s", "150ms", "20us", a bare number is milliseconds. */
int hns_parse_duration(const char *s, uint64_t *us);

/* Tag expressions: "factory and not slow", "(a or b) and c". */
int hns_tags_match(const char *expr, const char *const *tags, size_t ntags,
    int *result, struct atp_diag *d);

/*
 * Variables
 */
struct hns_var {
	char *name;
	char *value;
	size_t len;
	int secret;
};

struct hns_vars {
	struct hns_var *v;
	size_t n;
};

int hns_vars_set(struct hns_vars *vs, const char *name, const void *value,
    size_t len, int secret);
const struct hns_var *hns_vars_get(const struct hns_vars *vs, const char *name);
void hns_vars_clear(struct hns_vars *vs);
/* Marks @value as a secret to mask, even without a variable. */
int hns_vars_add_secret(struct hns_vars *vs, const void *value, size_t len);

/*
 * Expands ${name} and ${env.NAME} in @in; "$${" is a literal "${". The
 * result is allocated in *out (NUL-terminated, length in *outlen).
 * @return ATP_OK; ATP_ERR_NOTFOUND (an undefined name, in @d);
 * ATP_ERR_LIMIT (longer than HNS_VAR_MAX); ATP_ERR_NOMEM.
 */
int hns_expand(const struct hns_vars *vs, const char *in, char **out,
    size_t *outlen, struct atp_diag *d);
/* Calls @fn for each ${name} referenced by @in (not env.*). */
void hns_refs(const char *in, void (*fn)(void *ctx, const char *name, size_t len),
    void *ctx);
/* A copy of @len bytes at @p with every secret value replaced by "***". */
char *hns_mask(const struct hns_vars *vs, const void *p, size_t len, size_t *outlen);

/*
 * Matchers
 */
/* Compiles @m's REGEX or SHAPE. @return ATP_OK or ATP_ERR_SYNTAX with the
 * column of the fault (0-based offset into the pattern in d->offset). */
int hns_matcher_compile(struct hns_matcher *m, struct atp_diag *d);
void hns_matcher_free(struct hns_matcher *m);
/* Glob: '*' any run, '?' one byte, '\' quotes the next. */
int hns_glob(const char *pat, const uint8_t *s, size_t len);

/*
 * Matches @text against @m (EXACT and GLOB patterns already expanded in
 * @pat). Named regex groups and shape fields are stored in @vs. Sets
 * *matched. @return ATP_OK or ATP_ERR_NOMEM/LIMIT.
 */
int hns_matcher_match(const struct hns_matcher *m, const char *pat,
    struct atp_span text, int is_error, long errcode, struct hns_vars *vs,
    int *matched, char *why, size_t whysize);
/* The report of the protocol model named @name ("+SKTRPT"), or NULL. */
const struct atp_report *hns_report_find(const char *name);
/* Names a matcher captures, for lint's undefined-variable check. */
void hns_matcher_names(const struct hns_matcher *m,
    void (*fn)(void *ctx, const char *name, size_t len), void *ctx);

/*
 * Scenario files named on the command line: files as given, folders
 * searched (sorted, depth-bounded) for *.yaml and *.yml. Library files
 * (a top-level `blocks:` and no `steps:`) are listed with *is_lib set.
 */
struct hns_files {
	char **path;
	char **root;               /* the folder named on the command line, or NULL */
	size_t n;
};
int hns_collect(const char *const *args, size_t nargs, struct hns_files *out,
    struct atp_diag *d);
void hns_files_free(struct hns_files *f);
/* 1 if @path is a block library rather than a scenario. */
int hns_is_library(const char *path);

#endif
