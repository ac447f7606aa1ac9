/* SPDX-License-Identifier: MIT */
/* \summary: the analyzer's internal API: importers, session decoder, findings */
#ifndef ATPROOF_ANALYZER_ANA_H
#define ATPROOF_ANALYZER_ANA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "atproof/capture.h"
#include "atproof/cmd.h"
#include "atproof/err.h"
#include "atproof/profile.h"
#include "atproof/validate.h"

/*
 * Importers
 *
 * Every input format becomes one stream of struct atp_rec (capture.h): a
 * burst of bytes in one direction, its time and where it came from. Text
 * formats are read a line at a time through a bounded buffer, binary ones a
 * block at a time, so memory does not grow with the file
 * (analyzer-anchors.md §2.2: field logs are big and come in many shapes).
 */
enum ana_fmt {
	ANA_FMT_AUTO = 0,
	ANA_FMT_PCAPNG,       /* pcapng or classic pcap (the core's reader) */
	ANA_FMT_RAW,          /* bare bytes: "to:FILE", "from:FILE" or FILE */
	ANA_FMT_ARROWS,       /* the manual's notation: "→ AT+...", "← +OK" */
	ANA_FMT_SSCOM,        /* "[hh:mm:ss.mmm]发→◇..." / "收←◆" */
	ANA_FMT_SOCAT,        /* socat -v dump, hex (-x) or text */
	ANA_FMT_JPNEVULATOR,  /* jpnevulator hex dump, with --timing-print or bare */
	ANA_FMT_INTERCEPTTY,  /* interceptty: "< 0x41 (A)" one byte a line */
	ANA_FMT_TERM,         /* a terminal log: lines with no direction */
	ANA_FMT_SALEAE,       /* Saleae Logic 1 or Logic 2 CSV export */
	ANA_FMT_SIGROK,       /* sigrok-cli uart decoder output (text or JSON trace) */
	ANA_FMT_REGEX,        /* regex:PATTERN, named groups ts, dir, data */
	ANA_FMT_HEXDUMP,      /* text2pcap's input: "I|O <time>", "000000 41 54" */
	ANA_FMT_USBMON,       /* usbmon text of a USB-serial adapter: Bo/Bi data words */
};

/* The name used by --format ("pcapng", "arrows"...). */
const char *ana_fmt_name(enum ana_fmt f);
/* Parses a --format value; for "regex:P" *regex points at P. Returns
 * ATP_OK or ATP_ERR_NOTFOUND. */
int ana_fmt_parse(const char *s, enum ana_fmt *out, const char **regex);
/* Guesses the format of a file from its first bytes (the analyzer gives it
 * up to 64 KiB) (ANA_FMT_TERM when
 * nothing more specific fits, ANA_FMT_RAW when the bytes are not text). */
enum ana_fmt ana_fmt_detect(const uint8_t *head, size_t len);

/* Ceilings. */
#define ANA_LINE_MAX   (64u << 10)   /* one text line; longer ones are cut */
#define ANA_REC_SOFT   (16u << 10)   /* a record is handed out past this */
#define ANA_RAW_BLOCK  4096u         /* raw files are read in such blocks */
#define ANA_REGEX_MAX  4096u         /* length of a regex: pattern */

struct ana_imp;

/*
 * Opens @path (or, for ANA_FMT_RAW, "to:PATH" / "from:PATH" to give the
 * direction of every byte of the file) as format @fmt (ANA_FMT_AUTO:
 * detected). @regex is the pattern for ANA_FMT_REGEX. The reader keeps
 * @path for the records' src_file.
 * @return ATP_OK; ATP_ERR_IO (cannot open or read), ATP_ERR_SYNTAX (a bad
 * regex), ATP_ERR_NOMEM; the diagnostic says why.
 */
int ana_imp_open(const char *path, enum ana_fmt fmt, const char *regex, struct ana_imp **out,
    struct atp_diag *d);
/* Same over @len bytes at @p (not copied), named @name. */
int ana_imp_open_mem(const void *p, size_t len, const char *name, enum ana_fmt fmt,
    const char *regex, struct ana_imp **out, struct atp_diag *d);
/* The next record: 1 with a record (valid until the next call), 0 at the
 * end, or a negative atp_err with @d set (a corrupt capture). */
int ana_imp_next(struct ana_imp *im, struct atp_rec *out, struct atp_diag *d);
enum ana_fmt ana_imp_format(const struct ana_imp *im);
/* Lines (text) or records (binary) that could not be read and were skipped. */
unsigned long ana_imp_skipped(const struct ana_imp *im);
struct ana_src;
/* 1 with @out (its path the input's name) when the records' bytes are
 * slices of a regular file, at their atp_rec.data_off (a pcapng or pcap
 * read from a file); 0 otherwise. */
int ana_imp_source(const struct ana_imp *im, struct ana_src *out);
/* The first link type of a capture that is not UART bytes (its records
 * are skipped), or 0. */
int ana_imp_linktype(const struct ana_imp *im);
/* The interface (in its section) of the last record of a pcapng: each
 * interface is a UART of its own; 0 for every other format. */
unsigned ana_imp_ifidx(const struct ana_imp *im);
/* Bytes a logic-analyzer export marks with a parity or framing error. */
unsigned long ana_imp_line_errors(const struct ana_imp *im);
void ana_imp_close(struct ana_imp *im);

/*
 * Infers the direction of a line of protocol text that carries none: a
 * command line ("AT+", any case) is the host's, anything else (+OK, +ERR,
 * reports, banners) the module's (§2.1). Returns ATP_DIR_UNKNOWN for an
 * empty or blank line.
 */
enum atp_dir ana_infer_dir(const uint8_t *p, size_t len);

/* Direction words of the text formats: "->", "TX", "send", "发", "DTE"...
 * Returns ATP_DIR_UNKNOWN when @p is none of them. */
enum atp_dir ana_dir_word(const uint8_t *p, size_t len);

/*
 * Findings
 *
 * What the session decoder finds (ana_rpt.c hands it to the shared report
 * model of reports/, which writes every format): each finding says
 * which rule, how bad, the verdict, the manual section, the command, where
 * in which input file and what happened. Rules are counted always; the
 * findings themselves are kept up to ANA_FINDINGS_MAX per rule, so a log of
 * a million identical mistakes does not take a million records of memory.
 */
#define ANA_FINDINGS_MAX 200
#define ANA_RULES_MAX 96

struct ana_finding {
	const char *rule;            /* static string */
	enum atp_severity severity;
	enum atp_verdict verdict;
	char section[16];
	char command[16];            /* "SKSND", "" when none */
	const char *file;            /* owned by the findings list */
	unsigned long line;          /* 0: a binary source (see offset) */
	uint64_t offset;             /* byte offset in the file */
	uint64_t ts_us;
	char deviation[48];          /* a known deviation's id, or "" */
	char message[320];
	/* The bytes concerned (a response, a report, a command line) and the
	 * command line a response answers, while the finding is reported
	 * (may be empty); a kept finding has them as text and hex. */
	struct atp_span bytes, before;
	char actual[100];            /* escaped, cut */
	char actual_hex[104];        /* the first 32 bytes */
	char before_text[72];        /* escaped, cut */
};

struct ana_rule_count {
	const char *rule;
	enum atp_severity severity;  /* worst seen */
	char section[16];
	unsigned long n;
	unsigned long kept;
	unsigned long by_verdict[4]; /* indexed by enum atp_verdict */
};

/* Per-command timing: latencies in microseconds, kept in a bounded
 * reservoir for the percentiles. */
#define ANA_LAT_KEEP 4096
struct ana_lat {
	char name[16];
	unsigned long n;
	unsigned long missing;       /* sent, never answered */
	uint64_t max_first, max_final;
	size_t nkept;
	uint32_t *final_us;          /* ANA_LAT_KEEP entries */
	uint64_t limit_us;           /* --limit CMD=MS, 0: none */
};

struct ana_stats {
	unsigned long files;
	unsigned long records;
	unsigned long records_inferred;  /* direction inferred */
	uint64_t bytes_to, bytes_from;
	unsigned long commands, responses, reports, echoes, data_frames, text_frames;
	unsigned long exchanges_timed;
	unsigned long unanswered, unsolicited;
	uint64_t sksnd_bytes, skrcv_bytes, sktrpt_bytes, transparent_bytes;
	unsigned long skipped_lines;
	uint64_t first_ts, last_ts;
};

/*
 * Sequence charts: the first messages of each session (commands,
 * responses, reports, data) with its findings where they arose, for the
 * HTML report; a log of a million exchanges keeps only these.
 */
#define ANA_CHART_MSGS 120
#define ANA_CHARTS_MAX 64
enum ana_lane { ANA_LANE_HOST, ANA_LANE_MODULE };

struct ana_msc {
	unsigned char from, to;      /* enum ana_lane; equal: a finding's note */
	enum atp_verdict verdict;    /* of a note */
	uint64_t ts_us;              /* 0: untimed */
	char what[120];
};

struct ana_chart {
	const char *name;            /* the session's first input (interned) */
	struct ana_msc m[ANA_CHART_MSGS];
	size_t n;
	unsigned long total;         /* messages of the whole session */
};

struct ana_report {
	struct ana_finding *f;
	size_t nf, capf;
	struct ana_rule_count rules[ANA_RULES_MAX];
	size_t nrules;
	unsigned long dropped;       /* findings counted but not kept */
	char **files;                /* input names, owned */
	const char **file_fmts;      /* the format each was read as (static) */
	size_t nfiles;
	struct ana_lat *lat;
	size_t nlat;
	struct ana_stats st;
	const char *profile;         /* --firmware, or "manual" */
	const char *format;          /* the last input's format */
	uint64_t limit_all_us;       /* --limit '*'=MS, 0: none */
	const struct ana_net *net;   /* --net's correlation, or NULL */
	struct ana_chart *charts;    /* one per session, in the order they began */
	size_t ncharts;              /* at most ANA_CHARTS_MAX */
	size_t nsessions;            /* sessions begun, charted or not */
};

void ana_report_init(struct ana_report *r);
void ana_report_free(struct ana_report *r);
/* Adds a finding (copied); returns ATP_OK or ATP_ERR_NOMEM. */
int ana_report_add(struct ana_report *r, const struct ana_finding *f);
/* Interns an input name read as format @fmt (a static name, may be NULL);
 * returns the stored copy or NULL (no memory). */
const char *ana_report_file(struct ana_report *r, const char *name, const char *fmt);
/* The timing row of command @name (created on first use), or NULL. */
struct ana_lat *ana_report_lat(struct ana_report *r, const char *name);
/* The overall verdict: fail > inconc > pass (known and pass findings do not
 * fail a log). */
enum atp_verdict ana_report_verdict(const struct ana_report *r);
/* Percentile @p (0..100) of a timing row's final-byte latency, in µs. */
uint64_t ana_lat_pct(const struct ana_lat *l, unsigned p);

/* The report as the shared model of reports/ (rpt.h), which writes every
 * format: the findings layout (findings, rule tallies, inputs, counters,
 * timing rows, the network section), and for the writers that list cases
 * a case per rule, a step per finding kept, the timing as measures.
 * @input_error: an input could not be read (the verdict is "error").
 * ATP_OK or ATP_ERR_NOMEM; free *out with rpt_run_free(). */
struct rpt_run;
int ana_to_rpt(const struct ana_report *r, int input_error, struct rpt_run **out);

/*
 * Session decoder (ana_session.c)
 *
 * Takes the records of one input in order and rebuilds the exchanges: host
 * bytes through the command-line splitter, module bytes through the core's
 * framer, each response paired with the command it answers, binary phases
 * consumed by length, transparent spans, reports, and the protocol-state
 * and timing rules on top. Findings go into @rep.
 */
struct ana_session;
struct ana_net;

struct ana_session_opts {
	const struct atp_profile *prof;   /* NULL: the manual */
	int skip_line_garbage;            /* LUAT's splitter (cmdline.h) */
	int notation;                     /* the input is a notation that does
	                                     not show echoes (arrows, regex,
	                                     term): no echo-state rule */
	struct ana_net *net;              /* --net: the correlator told of
	                                     sockets, names, MQTT (net.h) */
	const struct ana_src *src;        /* the input, when its records'
	                                     bytes are the file's (net.h):
	                                     SKSND payload is passed by
	                                     reference; NULL: copied */
};

int ana_session_new(const struct ana_session_opts *o, struct ana_report *rep,
    struct ana_session **out);
/* Feeds one record. Returns ATP_OK or ATP_ERR_NOMEM. */
int ana_session_feed(struct ana_session *s, const struct atp_rec *rec);
/* The input ended: pending frames are flushed, unanswered commands named. */
int ana_session_end(struct ana_session *s);
void ana_session_free(struct ana_session *s);

/*
 * Feeds two one-way raw inputs (@host from "to:", @mod from "from:", both
 * ANA_FMT_RAW) to @s in the order the protocol implies: a host line, then
 * the module's lines up to the end of its response (ana_pair.c). Records
 * are named @hname and @mname. ATP_OK or the first error.
 */
int ana_pair_feed(struct ana_session *s, struct ana_imp *host, struct ana_imp *mod,
    const char *hname, const char *mname, struct atp_diag *d);
/* Like ana_imp_open_mem() for raw bytes all of direction @dir. */
int ana_imp_open_mem_raw(const void *p, size_t len, const char *name, enum atp_dir dir,
    struct ana_imp **out, struct atp_diag *d);

/* Time helpers shared by the text importers. */
/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t ana_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
