/* SPDX-License-Identifier: MIT */
/* \summary: importers: captures, hex dumps, serial-tool and terminal logs, CSV into records */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "analyzer/ana.h"
#include "analyzer/net.h"
#include "atproof/alloc.h"
#include "atproof/capture.h"
#include "atproof/cursor.h"
#include "atproof/err.h"

/*
 * One importer reads one input. Binary captures go through the core's
 * pcapng reader; everything else is read a line at a time (raw files a
 * block at a time) and each line is turned by its format's parser into at
 * most one "piece": bytes with a direction and a time, which either starts
 * a new record or continues the current one. The merger below gathers the
 * pieces into records and hands one out when the next starts, so a record
 * never holds more than ANA_REC_SOFT bytes plus one line
 * (analyzer-anchors.md §2.2: one importer per field format, one record
 * model behind them).
 */

#define ACC_CAP (ANA_REC_SOFT + ANA_LINE_MAX + 64)
#define PIECE_CAP (ANA_LINE_MAX + 64)
#define RD_BUF (ANA_LINE_MAX + 4096)
/* Bytes of a line-per-byte source (CSV, interceptty) idle for longer than
 * this start a new record: 2 ms is about 23 byte times at 115200 baud. */
#define BYTE_GAP_US 2000u

struct piece {
	int brk;                 /* starts a new record */
	int cont;                /* continues the current record, whatever its
	                            direction (a wrapped or continued line) */
	enum atp_dir dir;
	unsigned flags;
	uint64_t cut;            /* bytes sent after these but not captured
	                            (ATP_RECF_CUT; 0: none or not known) */
	uint64_t ts_us;
	int has_ts;
	size_t len;
	const char *tail;        /* added when the record ends, if it does not
	                            already end in a line end (synthesized
	                            terminators of text notations) */
	int strip_eol;           /* drop the last line end of the record (the
	                            log's own line break, SSCOM) */
};

struct ana_imp {
	enum ana_fmt fmt;
	char *name;
	/* input */
	FILE *fp;
	const uint8_t *mem;
	size_t mem_len, mem_off;
	int eof;
	uint8_t *rd;             /* read buffer */
	size_t rd_off, rd_len;
	uint64_t file_off;       /* offset of rd[rd_off] in the file */
	unsigned long lineno;
	unsigned long skipped;
	int skip_rest;           /* the rest of a cut line is to be skipped */
	struct atp_pcapng_reader *pr;
	int other_lt;            /* a link type that is no UART's, seen */
	unsigned ifidx;          /* interface of the last pcapng record */
	enum atp_dir raw_dir;    /* raw "to:"/"from:" */
	/* merger */
	uint8_t *acc;            /* the record being gathered */
	size_t acc_len;
	int acc_open;
	enum atp_dir acc_dir;
	unsigned acc_flags;
	uint64_t acc_cut;        /* the record's atp_rec.cut_len */
	uint64_t acc_ts;
	int acc_has_ts;
	unsigned long acc_line;
	uint64_t acc_off;
	const char *acc_tail;
	int acc_strip;
	uint64_t acc_last_ts;
	uint8_t *out;            /* the record handed out */
	size_t out_len;
	uint8_t *pc;             /* bytes of the current line's piece */
	/* format state */
	uint64_t day_us;         /* time-of-day formats: midnight roll-overs */
	uint64_t last_tod;
	int in_module_line;      /* arrows: the last line was the module's */
	int sig_kind;            /* sigrok JSON: 0 unknown, 1 data, 2 packets */
	uint64_t sig_end;        /* sigrok text: last sample of the last byte */
	int csv_time, csv_data, csv_name, csv_type, csv_cols;
	int csv_header;
	int csv_err[4], csv_nerr;    /* error columns */
	unsigned long line_errors;   /* bytes with a parity/framing error */
	int socat_swap;              /* '>' is the module's side */
	int socat_text;              /* -v without -x: the data as text */
	int socat_new;               /* text: the next data starts a block */
	enum atp_dir socat_dir;      /* text: the block's direction and time */
	uint64_t socat_ts;
	uint64_t socat_left;         /* text: bytes of the block still to come */
	int jpn_hdr;                 /* jpnevulator: 0 none yet, 1 untimed, 2 timed */
	size_t jpn_width;            /* bare rows: the widest seen (--width) */
	int jpn_short;               /* bare rows: the last one ended a packet */
	int usb_dev_set, usb_ftdi;   /* usbmon: the adapter, and whether an FTDI */
	uint64_t usb_bus, usb_dev;
	uint64_t usb_last_ts, usb_epoch;
	uint8_t last_byte;
	enum atp_dir last_dir;
	pcre2_code *re;
	pcre2_match_data *md;
	int re_ts, re_dir, re_data, re_hex;
};

/* Formats */

static const struct {
	enum ana_fmt fmt;
	const char *name;
} fmt_names[] = {
	{ ANA_FMT_AUTO, "auto" },
	{ ANA_FMT_PCAPNG, "pcapng" },
	{ ANA_FMT_RAW, "raw" },
	{ ANA_FMT_ARROWS, "arrows" },
	{ ANA_FMT_SSCOM, "sscom" },
	{ ANA_FMT_SOCAT, "socat" },
	{ ANA_FMT_JPNEVULATOR, "jpnevulator" },
	{ ANA_FMT_INTERCEPTTY, "interceptty" },
	{ ANA_FMT_TERM, "term" },
	{ ANA_FMT_SALEAE, "saleae" },
	{ ANA_FMT_SIGROK, "sigrok" },
	{ ANA_FMT_REGEX, "regex" },
	{ ANA_FMT_HEXDUMP, "hexdump" },
	{ ANA_FMT_USBMON, "usbmon" },
};

const char *
ana_fmt_name(enum ana_fmt f)
{
	size_t i;

	for (i = 0; i < sizeof(fmt_names) / sizeof(fmt_names[0]); i++)
		if (fmt_names[i].fmt == f)
			return fmt_names[i].name;
	return "?";
}

int
ana_fmt_parse(const char *s, enum ana_fmt *out, const char **regex)
{
	size_t i;

	*regex = NULL;
	if (strncmp(s, "regex:", 6) == 0) {
		*out = ANA_FMT_REGEX;
		*regex = s + 6;
		return ATP_OK;
	}
	/* "pcap" is the same reader as "pcapng". */
	if (strcmp(s, "pcap") == 0) {
		*out = ANA_FMT_PCAPNG;
		return ATP_OK;
	}
	for (i = 0; i < sizeof(fmt_names) / sizeof(fmt_names[0]); i++)
		if (fmt_names[i].fmt != ANA_FMT_REGEX && strcmp(s, fmt_names[i].name) == 0) {
			*out = fmt_names[i].fmt;
			return ATP_OK;
		}
	return ATP_ERR_NOTFOUND;
}

/* Small text helpers over spans. */

static int
starts(struct atp_span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len >= n && memcmp(s.p, lit, n) == 0;
}

static int
starts_ci(struct atp_span s, const char *lit)
{
	size_t n = strlen(lit), i;

	if (s.len < n)
		return 0;
	for (i = 0; i < n; i++)
		if (ATP_TOUPPER(s.p[i]) != ATP_TOUPPER((uint8_t)lit[i]))
			return 0;
	return 1;
}

static struct atp_span
skip(struct atp_span s, size_t n)
{
	if (n > s.len)
		n = s.len;
	return atp_span_make(s.p + n, s.len - n);
}

static struct atp_span
ltrim(struct atp_span s)
{
	while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t'))
		s = skip(s, 1);
	return s;
}

static struct atp_span
rtrim(struct atp_span s)
{
	while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t' ||
	    s.p[s.len - 1] == '\r' || s.p[s.len - 1] == '\n'))
		s.len--;
	return s;
}

static int
find(struct atp_span s, const char *lit, size_t *at)
{
	size_t n = strlen(lit), i;

	if (n == 0 || s.len < n)
		return 0;
	for (i = 0; i + n <= s.len; i++)
		if (memcmp(s.p + i, lit, n) == 0) {
			*at = i;
			return 1;
		}
	return 0;
}

static int
hexval(uint8_t c)
{
	if (ATP_ISDIGIT(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Takes exactly @n digits as a number. */
static int
digits(struct atp_span *s, size_t n, uint64_t *out)
{
	size_t i;
	uint64_t v = 0;

	if (s->len < n)
		return 0;
	for (i = 0; i < n; i++) {
		if (!ATP_ISDIGIT(s->p[i]))
			return 0;
		v = v * 10 + (uint64_t)(s->p[i] - '0');
	}
	*out = v;
	*s = skip(*s, n);
	return 1;
}

/* Takes 1..max digits. */
static int
number(struct atp_span *s, size_t max, uint64_t *out, size_t *ndig)
{
	size_t i = 0;
	uint64_t v = 0;

	while (i < s->len && i < max && ATP_ISDIGIT(s->p[i])) {
		v = v * 10 + (uint64_t)(s->p[i] - '0');
		i++;
	}
	if (i == 0)
		return 0;
	*out = v;
	if (ndig != NULL)
		*ndig = i;
	*s = skip(*s, i);
	return 1;
}

/* A fraction of a second as microseconds (".5" = 500000), any digits. */
static uint64_t
frac_us(struct atp_span *s)
{
	uint64_t v = 0, scale = 100000;
	size_t i = 0;

	while (i < s->len && ATP_ISDIGIT(s->p[i])) {
		v += (uint64_t)(s->p[i] - '0') * scale;
		scale /= 10;
		i++;
	}
	*s = skip(*s, i);
	return v;
}

int64_t
ana_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* H. Hinnant's days_from_civil, for the proleptic Gregorian calendar. */
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD hh:mm:ss[.f]" or with '/' or 'T' (dates before 1970 are
 * refused: the record model counts from the epoch). */
static int
parse_datetime(struct atp_span *s, uint64_t *us)
{
	struct atp_span c = *s;
	uint64_t y, mo, d, h, mi, se, f = 0;
	int64_t days;

	if (!digits(&c, 4, &y) || c.len == 0 || (c.p[0] != '-' && c.p[0] != '/'))
		return 0;
	c = skip(c, 1);
	if (!digits(&c, 2, &mo) || c.len == 0 || (c.p[0] != '-' && c.p[0] != '/'))
		return 0;
	c = skip(c, 1);
	if (!digits(&c, 2, &d) || c.len == 0 || (c.p[0] != ' ' && c.p[0] != 'T'))
		return 0;
	c = skip(c, 1);
	if (!digits(&c, 2, &h) || !starts(c, ":"))
		return 0;
	c = skip(c, 1);
	if (!digits(&c, 2, &mi) || !starts(c, ":"))
		return 0;
	c = skip(c, 1);
	if (!digits(&c, 2, &se))
		return 0;
	if (starts(c, ".") || starts(c, ",")) {
		c = skip(c, 1);
		f = frac_us(&c);
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return 0;
	days = ana_days_from_civil((int64_t)y, (unsigned)mo, (unsigned)d);
	*us = ((uint64_t)days * 86400u + h * 3600u + mi * 60u + se) * 1000000u + f;
	*s = c;
	return 1;
}

/* "hh:mm:ss[.f]": microseconds since midnight. */
static int
parse_tod(struct atp_span *s, uint64_t *us)
{
	struct atp_span c = *s;
	uint64_t h, mi, se, f = 0;
	size_t n;

	if (!number(&c, 2, &h, &n) || !starts(c, ":"))
		return 0;
	c = skip(c, 1);
	if (!digits(&c, 2, &mi) || !starts(c, ":"))
		return 0;
	c = skip(c, 1);
	if (!digits(&c, 2, &se))
		return 0;
	if (starts(c, ".") || starts(c, ",")) {
		c = skip(c, 1);
		f = frac_us(&c);
	}
	if (h > 23 || mi > 59 || se > 60)
		return 0;
	*us = (h * 3600u + mi * 60u + se) * 1000000u + f;
	*s = c;
	return 1;
}

/* Seconds with a fraction ("0.042909760", "12.5"), or "ssss:uuuuuu". */
static int
parse_secs(struct atp_span *s, uint64_t *us)
{
	struct atp_span c = *s;
	uint64_t se, f = 0;

	if (!number(&c, 12, &se, NULL))
		return 0;
	if (starts(c, ".")) {
		c = skip(c, 1);
		f = frac_us(&c);
	} else if (starts(c, ":")) {
		c = skip(c, 1);
		if (!number(&c, 6, &f, NULL))
			return 0;
	}
	*us = se * 1000000u + f;
	*s = c;
	return 1;
}

/* A time of day rolls over at midnight: a time more than 12 hours before
 * the last one is taken as the next day. */
static uint64_t
tod_fix(struct ana_imp *im, uint64_t tod)
{
	if (im->last_tod > tod && im->last_tod - tod > 43200ull * 1000000u)
		im->day_us += 86400ull * 1000000u;
	im->last_tod = tod;
	return im->day_us + tod;
}

/* Any of the time forms above, whole span. */
static int
parse_any_time(struct ana_imp *im, struct atp_span s, uint64_t *us)
{
	struct atp_span c = rtrim(ltrim(s));
	uint64_t t;

	if (starts(c, "["))
		c = skip(c, 1);
	if (parse_datetime(&c, us))
		return 1;
	if (parse_tod(&c, &t)) {
		*us = tod_fix(im, t);
		return 1;
	}
	return parse_secs(&c, us);
}

/* Direction words */

enum atp_dir
ana_dir_word(const uint8_t *p, size_t len)
{
	static const char *const to[] = {
		"\xe2\x86\x92", "->", ">", "-->", "tx", "send", "sent", "snd", "out", "o",
		"w", "write", "host", "dte", "dte2dce", "h2m", "to", "to-module", "req", "cmd",
		"\xe5\x8f\x91", "\xb7\xa2", /* 发 in UTF-8 and GBK */
	};
	static const char *const from[] = {
		"\xe2\x86\x90", "<-", "<", "<--", "rx", "recv", "received", "rcv", "in", "i",
		"r", "read", "module", "dce", "dce2dte", "m2h", "from", "from-module", "rsp",
		"resp", "urc", "dev", "device",
		"\xe6\x94\xb6", "\xca\xd5", /* 收 */
	};
	struct atp_span s = rtrim(ltrim(atp_span_make(p, len)));
	size_t i;

	while (s.len > 0 && (s.p[s.len - 1] == ':' || s.p[s.len - 1] == ']'))
		s.len--;
	if (s.len > 0 && s.p[0] == '[')
		s = skip(s, 1);
	for (i = 0; i < sizeof(to) / sizeof(to[0]); i++)
		if (atp_span_eq_ci(s, to[i]))
			return ATP_DIR_TO_MODULE;
	for (i = 0; i < sizeof(from) / sizeof(from[0]); i++)
		if (atp_span_eq_ci(s, from[i]))
			return ATP_DIR_FROM_MODULE;
	/* Names of analyzer channels and aliases: "TX (host)", "uart rx",
	 * "DTE2DCE", "module_out". */
	if (starts_ci(s, "tx") || starts_ci(s, "dte") || starts_ci(s, "host"))
		return ATP_DIR_TO_MODULE;
	if (starts_ci(s, "rx") || starts_ci(s, "dce") || starts_ci(s, "module"))
		return ATP_DIR_FROM_MODULE;
	return ATP_DIR_UNKNOWN;
}

enum atp_dir
ana_infer_dir(const uint8_t *p, size_t len)
{
	struct atp_span s = ltrim(atp_span_make(p, len));

	while (s.len > 0 && (s.p[0] == '\r' || s.p[0] == '\n'))
		s = skip(s, 1);
	if (s.len == 0)
		return ATP_DIR_UNKNOWN;
	/* §2.1: every command line starts "AT+"; the firmware takes any case
	 * (w600-firmware.md §1.2). "+++" leaves transparent mode (§2.2.1.4). */
	if (starts_ci(s, "AT+") || atp_span_eq(rtrim(s), "+++"))
		return ATP_DIR_TO_MODULE;
	return ATP_DIR_FROM_MODULE;
}

/* Detection: the first lines of a file decide; a document with prose
 * before its arrows (the manual itself) needs a longer look. */
#define DETECT_BYTES (64u << 10)
#define DETECT_LINES 2000

static int
is_sscom_marker(struct atp_span s)
{
	return starts(s, "\xe5\x8f\x91\xe2\x86\x92") || starts(s, "\xe6\x94\xb6\xe2\x86\x90") ||
	    starts(s, "\xb7\xa2\xa1\xfa") || starts(s, "\xca\xd5\xa1\xfb");
}

static int
sscom_header(struct atp_span s, uint64_t *tod, struct atp_span *rest)
{
	struct atp_span c = s;
	uint64_t t;

	if (!starts(c, "["))
		return 0;
	c = skip(c, 1);
	if (!parse_tod(&c, &t) || !starts(c, "]"))
		return 0;
	c = skip(c, 1);
	if (!is_sscom_marker(c))
		return 0;
	*tod = t;
	*rest = c;
	return 1;
}

/* "> 2026/11/24 19:19:13.000014350  length=8 from=0 to=7"; @len (may be
 * NULL) gets the block's length. */
static int
socat_header(struct atp_span s, enum atp_dir *dir, uint64_t *us, uint64_t *len)
{
	struct atp_span c = s;
	uint64_t y, mo, d, h, mi, se, f, f2;
	int64_t days;

	if (c.len < 2 || (c.p[0] != '>' && c.p[0] != '<') || c.p[1] != ' ')
		return 0;
	*dir = c.p[0] == '>' ? ATP_DIR_TO_MODULE : ATP_DIR_FROM_MODULE;
	c = skip(c, 2);
	if (!digits(&c, 4, &y) || !starts(c, "/"))
		return 0;
	c = skip(c, 1);
	if (!digits(&c, 2, &mo) || !starts(c, "/"))
		return 0;
	c = skip(c, 1);
	if (!digits(&c, 2, &d) || !starts(c, " "))
		return 0;
	c = skip(c, 1);
	if (!digits(&c, 2, &h) || !starts(c, ":"))
		return 0;
	c = skip(c, 1);
	if (!digits(&c, 2, &mi) || !starts(c, ":"))
		return 0;
	c = skip(c, 1);
	if (!digits(&c, 2, &se) || !starts(c, "."))
		return 0;
	c = skip(c, 1);
	/* socat 1.7.4 prints microseconds in a 9-digit field
	 * (analyzer-anchors.md §2.1): the number is µs, not a fraction. */
	if (!number(&c, 9, &f, NULL))
		return 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || f >= 1000000u)
		return 0;
	c = ltrim(c);
	if (!starts(c, "length="))
		return 0;
	c = skip(c, 7);
	if (!number(&c, 12, &f2, NULL))
		return 0;
	if (len != NULL)
		*len = f2;
	days = ana_days_from_civil((int64_t)y, (unsigned)mo, (unsigned)d);
	*us = ((uint64_t)days * 86400u + h * 3600u + mi * 60u + se) * 1000000u + f;
	return 1;
}

/* "2026-11-24 19:19:23.800285: DTE2DCE" */
static int
jpn_header(struct atp_span s, uint64_t *us, struct atp_span *alias)
{
	struct atp_span c = s;

	if (!parse_datetime(&c, us) || !starts(c, ": "))
		return 0;
	*alias = rtrim(skip(c, 2));
	return 1;
}

/* "[ssssssss:uuuuuu] < 0x41 (A)" or "< 0x41 (A)" */
static int
icpt_line(struct atp_span s, enum atp_dir *dir, uint8_t *byte, uint64_t *us, int *has_ts)
{
	struct atp_span c = s;
	int hi, lo;

	*has_ts = 0;
	if (starts(c, "[")) {
		c = skip(c, 1);
		if (!parse_secs(&c, us) || !starts(c, "]"))
			return 0;
		c = ltrim(skip(c, 1));
		*has_ts = 1;
	}
	if (c.len == 0 || (c.p[0] != '<' && c.p[0] != '>'))
		return 0;
	/* interceptty: '<' app -> device, '>' device -> app. */
	*dir = c.p[0] == '<' ? ATP_DIR_TO_MODULE : ATP_DIR_FROM_MODULE;
	c = ltrim(skip(c, 1));
	if (c.len < 4 || c.p[0] != '0' || (c.p[1] != 'x' && c.p[1] != 'X'))
		return 0;
	hi = hexval(c.p[2]);
	lo = hexval(c.p[3]);
	if (hi < 0 || lo < 0)
		return 0;
	*byte = (uint8_t)(hi * 16 + lo);
	return 1;
}

/* text2pcap's classic input (analyzer-anchors.md §1.9): a line "I <time>"
 * or "O <time>" (inbound = from the module, outbound = the host's) before
 * offset rows "000000 41 54 2b". */
static int
hexdump_header(struct ana_imp *im, struct atp_span s, enum atp_dir *dir, uint64_t *us, int *has_ts)
{
	struct atp_span t;

	if (s.len < 1 || (s.p[0] != 'I' && s.p[0] != 'O') || (s.len > 1 && s.p[1] != ' '))
		return 0;
	*dir = s.p[0] == 'O' ? ATP_DIR_TO_MODULE : ATP_DIR_FROM_MODULE;
	t = rtrim(ltrim(skip(s, 1)));
	*has_ts = t.len > 0 && parse_any_time(im, t, us);
	return 1;
}

static int
hexdump_row(struct atp_span s, struct atp_span *hex)
{
	size_t i = 0;

	while (i < s.len && ATP_ISXDIGIT(s.p[i]))
		i++;
	if (i < 2 || i >= s.len || s.p[i] != ' ')
		return 0;
	*hex = skip(s, i);
	return 1;
}

/* "109-179 uart-1: 41" (--protocol-decoder-samplenum: the annotation's
 * first and last sample) or "uart-1: 41"; @sn (may be NULL) gets the
 * sample numbers, [0] 0 and [1] 0 when there are none. */
static int
sigrok_text(struct atp_span s, struct atp_span *val, uint64_t *sn)
{
	struct atp_span c = s;
	uint64_t a = 0, b = 0;
	size_t at;

	if (number(&c, 20, &a, NULL)) {
		if (!starts(c, "-"))
			return 0;
		c = skip(c, 1);
		if (!number(&c, 20, &b, NULL) || !starts(c, " "))
			return 0;
		c = skip(c, 1);
	}
	if (!starts(c, "uart") || !find(c, ": ", &at))
		return 0;
	*val = skip(c, at + 2);
	if (sn != NULL) {
		sn[0] = a;
		sn[1] = b;
	}
	return 1;
}

static int
arrow_marker(struct atp_span s, enum atp_dir *dir, int *raw, size_t *mlen)
{
	static const struct {
		const char *m;
		enum atp_dir dir;
		int raw;
	} marks[] = {
		{ "\xe2\x86\x92", ATP_DIR_TO_MODULE, 0 },   /* → */
		{ "\xe2\x86\x90", ATP_DIR_FROM_MODULE, 0 }, /* ← */
		{ ">raw ", ATP_DIR_TO_MODULE, 1 },
		{ "<raw ", ATP_DIR_FROM_MODULE, 1 },
		{ "->", ATP_DIR_TO_MODULE, 0 },
		{ "<-", ATP_DIR_FROM_MODULE, 0 },
		{ "TX:", ATP_DIR_TO_MODULE, 0 },
		{ "RX:", ATP_DIR_FROM_MODULE, 0 },
		{ "tx:", ATP_DIR_TO_MODULE, 0 },
		{ "rx:", ATP_DIR_FROM_MODULE, 0 },
		{ "> ", ATP_DIR_TO_MODULE, 0 },
		{ "< ", ATP_DIR_FROM_MODULE, 0 },
		{ ">\t", ATP_DIR_TO_MODULE, 0 },
		{ "<\t", ATP_DIR_FROM_MODULE, 0 },
	};
	size_t i;

	/* A bare '<' or '>' needs a blank after it: "<bssid>" is not one. */
	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (starts(s, marks[i].m)) {
			*dir = marks[i].dir;
			*raw = marks[i].raw;
			*mlen = strlen(marks[i].m);
			return 1;
		}
	return 0;
}

static size_t jpn_row(struct atp_span s, uint8_t *out, size_t cap);

/* "d5ea89a0 3575914555 S Bo:1:005:2 ...": a usbmon text line. */
static int
usbmon_line(struct atp_span s)
{
	size_t i = 0;
	uint64_t v;

	while (i < s.len && hexval(s.p[i]) >= 0)
		i++;
	if (i == 0 || i > 16 || i >= s.len || s.p[i] != ' ')
		return 0;
	s = skip(s, i + 1);
	if (!number(&s, 20, &v, NULL) || s.len < 7 || s.p[0] != ' ' ||
	    (s.p[1] != 'S' && s.p[1] != 'C' && s.p[1] != 'E') || s.p[2] != ' ')
		return 0;
	s = skip(s, 3);
	return (s.p[0] == 'B' || s.p[0] == 'C' || s.p[0] == 'I' || s.p[0] == 'Z') &&
	    (s.p[1] == 'i' || s.p[1] == 'o') && s.p[2] == ':' && ATP_ISDIGIT(s.p[3]);
}

enum ana_fmt
ana_fmt_detect(const uint8_t *head, size_t len)
{
	struct atp_span all = atp_span_make(head, len), line;
	size_t i, nonprint = 0, lines = 0, rows = 0, others = 0, hdrs = 0;
	int arrows = 0, maybe_arrow, prev_io = 0, prev_other = 0;

	if (atp_capture_sniff(head, len) != ATP_CAPFMT_UNKNOWN)
		return ANA_FMT_PCAPNG;
	/* Windows tools start UTF-8 text with a byte-order mark. */
	if (len >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0) {
		head += 3;
		len -= 3;
		all = atp_span_make(head, len);
	}
	for (i = 0; i < len; i++)
		if (head[i] == 0 || (head[i] < 0x20 && head[i] != '\r' && head[i] != '\n' &&
		    head[i] != '\t'))
			nonprint++;
	if (len > 0 && nonprint * 8 > len)
		return ANA_FMT_RAW;
	while (all.len > 0 && lines < DETECT_LINES) {
		struct atp_cur c = atp_cur_make(all.p, all.len);
		enum atp_dir dir;
		uint64_t t;
		int raw, has_ts;
		size_t ml;
		uint8_t b;
		struct atp_span rest;

		atp_cur_until(&c, "\n", &line);
		all = skip(all, line.len + 1);
		line = rtrim(line);
		if (line.len == 0)
			continue;
		lines++;
		if (starts(line, "Time [s]") || starts(line, "name,type,start_time"))
			return ANA_FMT_SALEAE;
		if (find(line, "\"ph\"", &i) && find(line, "\"tid\"", &i))
			return ANA_FMT_SIGROK;
		if (sigrok_text(line, &rest, NULL))
			return ANA_FMT_SIGROK;
		if (sscom_header(line, &t, &rest))
			return ANA_FMT_SSCOM;
		if (socat_header(line, &dir, &t, NULL))
			return ANA_FMT_SOCAT;
		if (jpn_header(line, &t, &rest))
			return ANA_FMT_JPNEVULATOR;
		if (icpt_line(line, &dir, &b, &t, &has_ts))
			return ANA_FMT_INTERCEPTTY;
		if (usbmon_line(line))
			return ANA_FMT_USBMON;
		if (prev_io && line.len >= 8 && ATP_ISDIGIT(line.p[0]) && hexdump_row(line, &rest) &&
		    ltrim(rest).len > 0 && ATP_ISXDIGIT(ltrim(rest).p[0]))
			return ANA_FMT_HEXDUMP;
		prev_io = line.len >= 2 && (line.p[0] == 'I' || line.p[0] == 'O') && line.p[1] == ' ';
		/* jpnevulator without --timing-print: bare rows, perhaps with
		 * a tty's name before each packet. */
		if (jpn_row(line, &b, 1) > 0) {
			rows++;
			hdrs += prev_other ? 1u : 0u;
			prev_other = 0;
		} else {
			others++;
			prev_other = line.len <= 64;
		}
		/* Arrows need the protocol after the marker: a bare '>' or '<'
		 * is too common in other text to decide on. */
		maybe_arrow = arrow_marker(ltrim(line), &dir, &raw, &ml);
		if (maybe_arrow) {
			rest = ltrim(skip(ltrim(line), ml));
			if (raw || starts_ci(rest, "AT+") || starts(rest, "+"))
				arrows++;
		}
		if (arrows >= 2)
			return ANA_FMT_ARROWS;
	}
	if (rows >= 2 && (others - hdrs) * 4 <= rows)
		return ANA_FMT_JPNEVULATOR;
	if (arrows > 0)
		return ANA_FMT_ARROWS;
	/* A CR that does not end a CR LF is a command's own terminator: the
	 * bytes are the wire's, not a terminal's rendering of them. */
	for (i = 0; i + 1 < len; i++)
		if (head[i] == '\r' && head[i + 1] != '\n' && head[i + 1] != '\r')
			return ANA_FMT_RAW;
	return ANA_FMT_TERM;
}

/* Input */

/* Refills the read buffer; returns the bytes available. */
static size_t
fill(struct ana_imp *im, struct atp_diag *d, int *err)
{
	size_t n;

	*err = ATP_OK;
	if (im->rd_off > 0 && im->rd_off < im->rd_len)
		memmove(im->rd, im->rd + im->rd_off, im->rd_len - im->rd_off);
	im->rd_len -= im->rd_off;
	im->rd_off = 0;
	if (im->eof)
		return im->rd_len;
	if (im->fp != NULL) {
		n = fread(im->rd + im->rd_len, 1, RD_BUF - im->rd_len, im->fp);
		if (n == 0) {
			if (ferror(im->fp)) {
				*err = atp_diag_at(d, ATP_ERR_IO, im->name, 0, 0, "%s: read: %s",
				    im->name, strerror(errno));
				if (d != NULL)
					d->sys_errno = errno;
			}
			im->eof = 1;
		}
	} else {
		n = im->mem_len - im->mem_off;
		if (n > RD_BUF - im->rd_len)
			n = RD_BUF - im->rd_len;
		if (n > 0)
			memcpy(im->rd + im->rd_len, im->mem + im->mem_off, n);
		im->mem_off += n;
		if (n == 0)
			im->eof = 1;
	}
	im->rd_len += n;
	return im->rd_len;
}

/*
 * The next line, its end-of-line bytes excluded (given in @eol), a line
 * longer than ANA_LINE_MAX is cut there and the rest skipped.
 * Returns 1, 0 at the end, or an error.
 */
static int
next_line(struct ana_imp *im, struct atp_span *line, struct atp_span *eol, uint64_t *off,
    struct atp_diag *d)
{
	int err, cut = 0;

	while (im->skip_rest) {
		const uint8_t *q;
		if (im->rd_off >= im->rd_len) {
			if (im->eof)
				return 0;
			fill(im, d, &err);
			if (err != ATP_OK)
				return err;
			continue;
		}
		q = memchr(im->rd + im->rd_off, '\n', im->rd_len - im->rd_off);
		if (q != NULL) {
			size_t k = (size_t)(q - (im->rd + im->rd_off)) + 1;
			im->rd_off += k;
			im->file_off += k;
			im->skip_rest = 0;
			break;
		}
		im->file_off += im->rd_len - im->rd_off;
		im->rd_off = im->rd_len;
	}
	for (;;) {
		const uint8_t *p = im->rd + im->rd_off;
		size_t avail = im->rd_len - im->rd_off, i;
		const uint8_t *nl = memchr(p, '\n', avail < ANA_LINE_MAX + 2 ? avail : ANA_LINE_MAX + 2);

		if (nl != NULL || (im->eof && avail > 0) || avail > ANA_LINE_MAX + 1) {
			size_t len = nl != NULL ? (size_t)(nl - p) : avail;
			size_t take = nl != NULL ? len + 1 : len;
			size_t tlen = len;

			if (len > ANA_LINE_MAX) {
				tlen = ANA_LINE_MAX;
				take = ANA_LINE_MAX;
				cut = 1;
			}
			i = tlen;
			while (i > 0 && p[i - 1] == '\r')
				i--;
			*line = atp_span_make(p, i);
			*eol = atp_span_make(p + i, (nl != NULL && !cut ? take : tlen) - i);
			if (im->lineno == 0 && line->len >= 3 && memcmp(line->p, "\xef\xbb\xbf", 3) == 0)
				*line = atp_span_make(line->p + 3, line->len - 3);
			*off = im->file_off;
			im->rd_off += take;
			im->file_off += take;
			im->lineno++;
			if (cut) {
				/* The rest of the long line is skipped on the next call
				 * (not now: a refill would move the line's bytes). */
				im->skipped++;
				im->skip_rest = 1;
			}
			return 1;
		}
		if (im->eof && avail == 0)
			return 0;
		fill(im, d, &err);
		if (err != ATP_OK)
			return err;
	}
}

/* Merger */

static int
acc_ends_line(const struct ana_imp *im)
{
	return im->acc_len > 0 && (im->acc[im->acc_len - 1] == '\r' ||
	    im->acc[im->acc_len - 1] == '\n');
}

/* Closes the record being gathered: it becomes the output record. */
static void
acc_close(struct ana_imp *im, struct atp_rec *out)
{
	if (im->acc_strip && im->acc_len > 0 && im->acc[im->acc_len - 1] == '\n') {
		im->acc_len--;
		if (im->acc_len > 0 && im->acc[im->acc_len - 1] == '\r')
			im->acc_len--;
	}
	if (im->acc_tail != NULL && !acc_ends_line(im)) {
		size_t n = strlen(im->acc_tail);
		memcpy(im->acc + im->acc_len, im->acc_tail, n);
		im->acc_len += n;
	}
	if (im->acc_dir == ATP_DIR_UNKNOWN) {
		im->acc_dir = ana_infer_dir(im->acc, im->acc_len);
		im->acc_flags |= ATP_RECF_DIR_INFERRED;
	}
	memcpy(im->out, im->acc, im->acc_len);
	im->out_len = im->acc_len;
	memset(out, 0, sizeof(*out));
	out->ts_us = im->acc_has_ts ? im->acc_ts : 0;
	out->dir = im->acc_dir;
	out->flags = im->acc_flags | (im->acc_has_ts ? 0u : ATP_RECF_NO_TIME);
	out->bytes = atp_span_make(im->out, im->out_len);
	out->src_file = im->name;
	out->src_line = im->acc_line;
	out->src_offset = im->acc_off;
	out->data_off = UINT64_MAX;
	out->cut_len = im->acc_cut;
	im->acc_len = 0;
	im->acc_open = 0;
	im->acc_tail = NULL;
	im->acc_strip = 0;
}

/* Adds the current line's piece; returns 1 when a record was closed into
 * @out by it. */
static int
acc_add(struct ana_imp *im, const struct piece *pc, uint64_t off, struct atp_rec *out)
{
	int closed = 0;
	size_t n;

	if (im->acc_open && !pc->cont && (pc->brk || pc->dir != im->acc_dir)) {
		acc_close(im, out);
		closed = 1;
	}
	if (!im->acc_open) {
		if (pc->len == 0 && pc->cont)
			return closed;
		im->acc_open = 1;
		im->acc_dir = pc->dir;
		im->acc_flags = pc->flags;
		im->acc_cut = 0;
		im->acc_ts = pc->ts_us;
		im->acc_has_ts = pc->has_ts;
		im->acc_line = im->lineno;
		im->acc_off = off;
		im->acc_tail = pc->tail;
		im->acc_strip = pc->strip_eol;
	}
	if (pc->has_ts)
		im->acc_last_ts = pc->ts_us;
	/* A cut piece (usbmon's) is a record of its own: its cut bytes
	 * are the record's last. */
	im->acc_flags |= pc->flags & ATP_RECF_CUT;
	im->acc_cut += pc->cut;
	/* Pieces are at most a line and a few bytes, and a record is handed
	 * out past ANA_REC_SOFT, so this never cuts; it keeps the bound
	 * local (and the tail's room) whatever a parser does. */
	n = pc->len;
	if (n > ACC_CAP - 8 - im->acc_len) {
		n = ACC_CAP - 8 - im->acc_len;
		im->acc_flags |= ATP_RECF_CUT;
	}
	memcpy(im->acc + im->acc_len, im->pc, n);
	im->acc_len += n;
	return closed;
}

/* Escapes "\r \n \t \\ \xHH" of the arrows raw lines and regex data. */
static size_t
unescape(struct atp_span s, uint8_t *out, size_t cap)
{
	size_t i = 0, n = 0;

	while (i < s.len && n < cap) {
		uint8_t c = s.p[i++];
		if (c != '\\' || i >= s.len) {
			out[n++] = c;
			continue;
		}
		c = s.p[i++];
		switch (c) {
		case 'r': out[n++] = '\r'; break;
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case '0': out[n++] = 0; break;
		case 'x':
			if (i + 1 < s.len && hexval(s.p[i]) >= 0 && hexval(s.p[i + 1]) >= 0) {
				out[n++] = (uint8_t)(hexval(s.p[i]) * 16 + hexval(s.p[i + 1]));
				i += 2;
			} else {
				out[n++] = '\\';
				if (n < cap)
					out[n++] = 'x';
			}
			break;
		default:
			out[n++] = c;
			break;
		}
	}
	return n;
}

/* Hex pairs separated by single spaces, as socat and jpnevulator print
 * them; stops at the first thing that is not one (the ASCII column). */
static size_t
hex_pairs(struct atp_span s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	s = ltrim(s);
	while (s.len >= 2 && n < cap) {
		int hi = hexval(s.p[0]), lo = hexval(s.p[1]);
		if (hi < 0 || lo < 0)
			break;
		if (s.len > 2 && s.p[2] != ' ' && s.p[2] != '\t')
			break;
		out[n++] = (uint8_t)(hi * 16 + lo);
		s = skip(s, 2);
		if (s.len >= 2 && s.p[0] == ' ' && s.p[1] != ' ' && s.p[1] != '\t')
			s = skip(s, 1);
		else
			break;
	}
	return n;
}

/* One byte of a byte-per-line source (CSV, interceptty, sigrok). Bytes of
 * an unknown direction are cut into lines so that each line's direction
 * can be inferred. */
static void
byte_piece(struct ana_imp *im, struct piece *pc, enum atp_dir dir, uint64_t ts, int has_ts,
    uint8_t b)
{
	pc->dir = dir;
	pc->ts_us = ts;
	pc->has_ts = has_ts;
	im->pc[0] = b;
	pc->len = 1;
	if (dir != im->last_dir)
		pc->brk = 1;
	else if (has_ts && im->acc_open && ts > im->acc_last_ts + BYTE_GAP_US)
		pc->brk = 1;
	else if (dir == ATP_DIR_UNKNOWN && (im->last_byte == '\n' || im->last_byte == '\r') &&
	    b != '\r' && b != '\n')
		pc->brk = 1;
	im->last_dir = dir;
	im->last_byte = b;
}

/* Text after a direction marker, as the manual prints it: without line
 * ends, which are added (§2.1: CR after a command; CR LF CR LF after a
 * response). */
static void
text_piece(struct ana_imp *im, struct piece *pc, enum atp_dir dir, struct atp_span text)
{
	size_t n = text.len < ANA_LINE_MAX ? text.len : ANA_LINE_MAX;

	memcpy(im->pc, text.p, n);
	pc->len = n;
	pc->dir = dir;
	pc->brk = 1;
	pc->tail = dir == ATP_DIR_TO_MODULE ? "\r" : "\r\n\r\n";
}

/*
 * The manual prints two frames on one line with two spaces between them
 * ("+OK  ready" for AT+Z, §2.2.1.2; "+OK  +MQTT:CONNECTED", §2.2.4): a
 * response followed, outside quotes, by a run of spaces and then a report
 * or a word is taken as two frames.
 */
static void
split_frames(struct ana_imp *im, struct piece *pc)
{
	size_t i, j;
	int inq = 0;

	if (!(pc->len >= 3 && memcmp(im->pc, "+OK", 3) == 0) &&
	    !(pc->len >= 4 && memcmp(im->pc, "+ERR", 4) == 0))
		return;
	for (i = 0; i + 2 < pc->len; i++) {
		if (im->pc[i] == '"')
			inq = !inq;
		if (inq || im->pc[i] != ' ' || im->pc[i + 1] != ' ')
			continue;
		j = i;
		while (j < pc->len && im->pc[j] == ' ')
			j++;
		if (j >= pc->len || !(im->pc[j] == '+' || ATP_ISALPHA(im->pc[j])))
			return;
		/* "A  B" becomes "A\r\n\r\nB": two more bytes than the spaces
		 * when there are two; the piece buffer has room for them. */
		memmove(im->pc + i + 4, im->pc + j, pc->len - j);
		memcpy(im->pc + i, "\r\n\r\n", 4);
		pc->len = i + 4 + (pc->len - j);
		return;
	}
}

/* Line parsers: each fills @pc from one line; returns 1 if the line gave
 * a piece, 0 if it is to be skipped (a comment, a header, an unreadable
 * line: counted when @bad). */

static int
p_arrows(struct ana_imp *im, struct atp_span line, struct piece *pc, int *bad)
{
	struct atp_span s = ltrim(line);
	enum atp_dir dir;
	int raw;
	size_t ml;

	(void)bad;
	if (!arrow_marker(s, &dir, &raw, &ml)) {
		/* An indented line right after a module line continues it
		 * (a list entry printed on its own line). */
		if (im->in_module_line && line.len > 0 && (line.p[0] == ' ' || line.p[0] == '\t') &&
		    rtrim(s).len > 0) {
			im->pc[0] = '\r';
			im->pc[1] = '\n';
			s = rtrim(s);
			memcpy(im->pc + 2, s.p, s.len);
			pc->len = s.len + 2;
			pc->cont = 1;
			return 1;
		}
		im->in_module_line = 0;
		return 0;
	}
	s = skip(s, ml);
	if (raw) {
		pc->len = unescape(s, im->pc, PIECE_CAP);
		pc->dir = dir;
		pc->brk = 1;
	} else {
		s = rtrim(ltrim(s));
		if (s.len == 0)
			return 0;
		text_piece(im, pc, dir, s);
		if (dir == ATP_DIR_FROM_MODULE)
			split_frames(im, pc);
	}
	im->in_module_line = dir == ATP_DIR_FROM_MODULE;
	return 1;
}

static int
p_sscom(struct ana_imp *im, struct atp_span line, struct atp_span eol, struct piece *pc, int *bad)
{
	struct atp_span rest, s;
	uint64_t tod;
	size_t n = 0, i;

	(void)bad;
	if (sscom_header(line, &tod, &rest)) {
		/* 发→◇ / 收←◆ in UTF-8 (3+3+3 bytes) or GBK (2+2+2). */
		int gbk = rest.p[0] == 0xb7 || rest.p[0] == 0xca;
		pc->dir = (rest.p[0] == 0xe5 || rest.p[0] == 0xb7) ? ATP_DIR_TO_MODULE :
		    ATP_DIR_FROM_MODULE;
		s = skip(rest, gbk ? 4 : 6);
		if (starts(s, "\xe2\x97\x87") || starts(s, "\xe2\x97\x86"))
			s = skip(s, 3);
		else if (starts(s, "\xa1\xf3") || starts(s, "\xa1\xf4"))
			s = skip(s, 2);
		pc->brk = 1;
		pc->has_ts = 1;
		pc->ts_us = tod_fix(im, tod);
		pc->strip_eol = 1;
		pc->tail = pc->dir == ATP_DIR_TO_MODULE ? "\r" : NULL;
	} else {
		s = line;
		pc->cont = 1;
	}
	/* In hex mode SSCOM writes the bytes as "55 AA 01 " (upper case,
	 * each pair followed by a space). */
	if (pc->brk && s.len >= 3 && s.len % 3 == 0) {
		size_t k;
		for (k = 0; k < s.len; k += 3)
			if (!(ATP_ISXDIGIT(s.p[k]) && ATP_ISXDIGIT(s.p[k + 1]) && s.p[k + 2] == ' ') ||
			    ATP_ISLOWER(s.p[k]) || ATP_ISLOWER(s.p[k + 1]))
				break;
		if (k == s.len) {
			pc->len = hex_pairs(s, im->pc, PIECE_CAP);
			pc->tail = NULL;
			pc->strip_eol = 0;
			return 1;
		}
	}
	/* "□" is how SSCOM shows a line end it sent (its "add CR LF"). */
	for (i = 0; i < s.len && n < ANA_LINE_MAX;) {
		struct atp_span t = skip(s, i);
		if (starts(t, "\xe2\x96\xa1")) {
			im->pc[n++] = '\r';
			im->pc[n++] = '\n';
			i += 3;
		} else if (starts(t, "\xa1\xf5")) {
			im->pc[n++] = '\r';
			im->pc[n++] = '\n';
			i += 2;
		} else {
			im->pc[n++] = s.p[i++];
		}
	}
	memcpy(im->pc + n, eol.p, eol.len);
	pc->len = n + eol.len;
	return pc->len > 0 || pc->brk;
}

/*
 * socat -v without -x (the text form): the header, then the block's bytes
 * as text: CR and a few other controls as "\r"-style escapes, a backslash
 * doubled, LF as the log's own line break, other bytes that are not
 * printable as '.' (lost). Nothing ends a block but its length, so the next
 * header may follow the data on the same line ("AT\r> 2026/...",
 * analyzer-anchors.md §2.1): the length given by the header is counted
 * down, byte by byte.
 */
static void
socat_block(struct ana_imp *im, enum atp_dir dir, uint64_t us, uint64_t len)
{
	if (im->socat_swap)
		dir = dir == ATP_DIR_TO_MODULE ? ATP_DIR_FROM_MODULE : ATP_DIR_TO_MODULE;
	im->socat_dir = dir;
	im->socat_ts = us;
	im->socat_left = len;
	im->socat_new = 1;
	im->last_dir = dir;
}

static int
p_socat_text(struct ana_imp *im, struct atp_span line, struct piece *pc, int *bad)
{
	size_t i = 0, n = 0;
	enum atp_dir dir;
	uint64_t us, len;

	/* A header at the start of a line is one even when the count says
	 * otherwise (a log cut or edited): the count resynchronises. */
	if (socat_header(line, &dir, &us, &len)) {
		if (im->socat_left > 0)
			*bad = 1;
		socat_block(im, dir, us, len);
		return 0;
	}
	pc->dir = im->socat_dir;
	pc->ts_us = im->socat_ts;
	pc->has_ts = 1;
	pc->brk = im->socat_new;
	pc->cont = !im->socat_new;
	while (im->socat_left > 0 && i < line.len) {
		uint8_t c = line.p[i++];
		if (c == '\\' && i < line.len) {
			switch (line.p[i]) {
			case 'r': c = '\r'; i++; break;
			case 'a': c = 0x07; i++; break;
			case 'b': c = 0x08; i++; break;
			case 'v': c = 0x0b; i++; break;
			case 'f': c = 0x0c; i++; break;
			case '\\': i++; break;
			default: break;
			}
		}
		im->pc[n++] = c;
		im->socat_left--;
	}
	if (im->socat_left == 0 && i < line.len) {
		/* The next header, after the data on the same line. */
		if (socat_header(skip(line, i), &dir, &us, &len)) {
			if (n > 0) {
				pc->len = n;
				im->socat_new = 0;
				socat_block(im, dir, us, len);
				return 1;
			}
			socat_block(im, dir, us, len);
			return 0;
		}
		*bad = 1;
	} else if (im->socat_left > 0) {
		/* The log's line break is a LF of the data. */
		im->pc[n++] = '\n';
		im->socat_left--;
	} else if (n == 0 && rtrim(line).len > 0) {
		*bad = 1;
	}
	if (n > 0)
		im->socat_new = 0;
	pc->len = n;
	return n > 0;
}

static int
p_socat(struct ana_imp *im, struct atp_span line, struct piece *pc, int *bad)
{
	enum atp_dir dir;
	uint64_t us;

	if (im->socat_text)
		return p_socat_text(im, line, pc, bad);
	if (socat_header(line, &dir, &us, NULL)) {
		if (im->socat_swap)
			dir = dir == ATP_DIR_TO_MODULE ? ATP_DIR_FROM_MODULE : ATP_DIR_TO_MODULE;
		pc->brk = 1;
		pc->dir = dir;
		pc->ts_us = us;
		pc->has_ts = 1;
		im->last_dir = dir;
		return 1;
	}
	if (line.len > 1 && line.p[0] == ' ') {
		pc->len = hex_pairs(line, im->pc, PIECE_CAP);
		pc->cont = 1;
		return pc->len > 0;
	}
	if (!atp_span_eq(rtrim(line), "--") && rtrim(line).len > 0)
		*bad = 1;
	return 0;
}

/*
 * A row of jpnevulator's hex dump: "41 54 2B 0D" (upper case as it prints
 * them), then blanks and the ASCII column with --ascii. Returns the number
 * of bytes, 0 when the line is no row.
 */
static size_t
jpn_row(struct atp_span s, uint8_t *out, size_t cap)
{
	if (s.len < 2 || hexval(s.p[0]) < 0 || hexval(s.p[1]) < 0 ||
	    (s.len > 2 && s.p[2] != ' ' && s.p[2] != '\t'))
		return 0;
	return hex_pairs(s, out, cap);
}

/*
 * jpnevulator. With --timing-print each packet has a header "<time>: ALIAS";
 * without it there is a header "ALIAS" (or "ALIAS:") only when it reads
 * more than one tty, and none at all for one: then the dump is bare rows,
 * a packet (bytes with less than --timing-delta between them) starting a
 * new row. A row shorter than the widest seen ended its packet; a packet
 * that ended a line and a row that starts another are cut apart too, so
 * that each is read for its direction.
 */
static int
p_jpn(struct ana_imp *im, struct atp_span line, struct piece *pc, int *bad)
{
	struct atp_span alias;
	uint64_t us;
	size_t n;

	if (jpn_header(line, &us, &alias)) {
		pc->brk = 1;
		pc->dir = ana_dir_word(alias.p, alias.len);
		pc->ts_us = us;
		pc->has_ts = 1;
		im->jpn_hdr = 2;
		return 1;
	}
	n = jpn_row(line, im->pc, PIECE_CAP);
	if (n == 0) {
		alias = rtrim(line);
		if (alias.len > 0 && alias.p[alias.len - 1] == ':')
			alias.len--;
		if (im->jpn_hdr != 2 && alias.len > 0 && alias.len <= 64) {
			/* An untimed header: the tty's name or alias. */
			pc->brk = 1;
			pc->dir = ana_dir_word(alias.p, alias.len);
			im->jpn_hdr = 1;
			return 1;
		}
		if (rtrim(line).len > 0)
			*bad = 1;
		return 0;
	}
	pc->len = n;
	if (im->jpn_hdr != 0) {
		pc->cont = 1;
		return 1;
	}
	pc->dir = ATP_DIR_UNKNOWN;
	if (im->jpn_width == 0)
		im->jpn_width = 16;          /* jpnevulator's default --width */
	if (n > im->jpn_width)
		im->jpn_width = n;
	if (!im->acc_open || im->jpn_short || ((im->last_byte == '\r' || im->last_byte == '\n') &&
	    im->pc[0] != '\r' && im->pc[0] != '\n'))
		pc->brk = 1;
	else
		pc->cont = 1;
	im->jpn_short = n < im->jpn_width;
	im->last_byte = im->pc[n - 1];
	return 1;
}

static int
p_icpt(struct ana_imp *im, struct atp_span line, struct piece *pc, int *bad)
{
	enum atp_dir dir;
	uint8_t b;
	uint64_t us = 0;
	int has_ts;

	if (!icpt_line(line, &dir, &b, &us, &has_ts)) {
		if (rtrim(line).len > 0)
			*bad = 1;
		return 0;
	}
	byte_piece(im, pc, dir, us, has_ts, b);
	return 1;
}

static int
p_hexdump(struct ana_imp *im, struct atp_span line, struct piece *pc, int *bad)
{
	struct atp_span hex;
	enum atp_dir dir;
	uint64_t us = 0;
	int has_ts = 0;

	line = rtrim(line);
	if (line.len == 0 || line.p[0] == '#')
		return 0;
	if (hexdump_header(im, line, &dir, &us, &has_ts)) {
		pc->brk = 1;
		pc->dir = dir;
		pc->ts_us = us;
		pc->has_ts = has_ts;
		return 1;
	}
	if (hexdump_row(line, &hex)) {
		pc->len = hex_pairs(hex, im->pc, PIECE_CAP);
		pc->cont = 1;
		return pc->len > 0;
	}
	*bad = 1;
	return 0;
}

/*
 * usbmon's text interface (/sys/kernel/debug/usb/usbmon/Nu, the kernel's
 * Documentation/usb/usbmon.rst) over a USB-serial adapter: the bulk
 * endpoints carry the UART's bytes (analyzer-anchors.md §1.7, §2.2).
 *   "d5ea89a0 3575914555 S Bo:1:005:2 -115 9 = 41542b51 56455230 0d"
 * A URB tag, a time in µs (kept in 32 bits by the kernel: it wraps every
 * 71 minutes), the event (S submit, C callback, E error), the address word
 * (type and direction, bus, device, endpoint; older kernels leave the bus
 * out), the status, the length, then '=' and the data as words of up to 4
 * bytes. What the host writes is the data of a Bo submission, what it reads
 * that of a Bi callback with status 0. The text interface shows at most
 * 32 bytes of a URB: a longer one is cut (ATP_RECF_CUT). The first device
 * with bulk data is the adapter; other devices are left out. An FTDI chip
 * starts every IN packet with two status bytes, and sends them alone when
 * idle: a 2-byte Bi completion ("01 60") marks the adapter as one, and
 * those bytes are dropped.
 */
#define USBMON_WRAP (1ull << 32)

static struct atp_span
usb_tok(struct atp_span *s)
{
	struct atp_span t;
	size_t i = 0;

	*s = ltrim(*s);
	while (i < s->len && s->p[i] != ' ' && s->p[i] != '\t')
		i++;
	t = atp_span_make(s->p, i);
	*s = skip(*s, i);
	return t;
}

static int
usb_num(struct atp_span t, uint64_t *v)
{
	size_t nd;

	return number(&t, 20, v, &nd) && t.len == 0;
}

static int
p_usbmon(struct ana_imp *im, struct atp_span line, struct piece *pc, int *bad)
{
	struct atp_span c = rtrim(line), tag, t, ev, addr, st, ln, eq;
	uint64_t ts, len, bus = 0, dev, ep, v;
	size_t i, n = 0, k;
	int in;

	if (c.len == 0)
		return 0;
	tag = usb_tok(&c);
	t = usb_tok(&c);
	ev = usb_tok(&c);
	addr = usb_tok(&c);
	for (i = 0; i < tag.len && hexval(tag.p[i]) >= 0; i++)
		;
	if (tag.len == 0 || i != tag.len || !usb_num(t, &ts) || ev.len != 1 || addr.len < 6 ||
	    addr.p[2] != ':') {
		*bad = 1;
		return 0;
	}
	/* "Bo:1:005:2" (bus, device, endpoint) or "Bo:005:2". */
	{
		struct atp_span a = skip(addr, 3);
		uint64_t f[3];
		size_t nf = 0;
		while (nf < 3 && number(&a, 10, &f[nf], NULL)) {
			nf++;
			if (a.len == 0 || a.p[0] != ':')
				break;
			a = skip(a, 1);
		}
		if (a.len != 0 || nf < 2) {
			*bad = 1;
			return 0;
		}
		if (nf == 3)
			bus = f[0];
		dev = f[nf - 2];
		ep = f[nf - 1];
		(void)ep;
	}
	/* Control, interrupt and isochronous URBs, and errors: nothing
	 * of the UART's. */
	if (addr.p[0] != 'B' || (addr.p[1] != 'i' && addr.p[1] != 'o') || ev.p[0] == 'E')
		return 0;
	in = addr.p[1] == 'i';
	if ((in && ev.p[0] != 'C') || (!in && ev.p[0] != 'S'))
		return 0;
	st = usb_tok(&c);
	ln = usb_tok(&c);
	eq = usb_tok(&c);
	if (!usb_num(ln, &len)) {
		*bad = 1;
		return 0;
	}
	/* A callback's status is 0 when the data came; -115 (in progress)
	 * on a submission. */
	if (in && !atp_span_eq(st, "0"))
		return 0;
	if (!atp_span_eq(eq, "="))
		return 0;
	if (!im->usb_dev_set) {
		im->usb_dev_set = 1;
		im->usb_bus = bus;
		im->usb_dev = dev;
	} else if (im->usb_bus != bus || im->usb_dev != dev) {
		return 0;
	}
	for (;;) {
		struct atp_span w = usb_tok(&c);
		if (w.len == 0)
			break;
		if (w.len % 2 != 0 || w.len > 8) {
			*bad = 1;
			return 0;
		}
		for (k = 0; k + 1 < w.len && n < PIECE_CAP; k += 2) {
			int hi = hexval(w.p[k]), lo = hexval(w.p[k + 1]);
			if (hi < 0 || lo < 0) {
				*bad = 1;
				return 0;
			}
			im->pc[n++] = (uint8_t)(hi * 16 + lo);
		}
	}
	if (n > len)
		n = (size_t)len;
	if (in && len == 2 && n == 2 && (im->pc[0] & 0x0fu) == 0x01u && (im->pc[1] & 0x60u) != 0)
		im->usb_ftdi = 1;
	if (in && im->usb_ftdi) {
		if (n <= 2)
			return 0;
		memmove(im->pc, im->pc + 2, n - 2);
		n -= 2;
		len -= 2;
	}
	if (n == 0)
		return 0;
	if (ts < im->usb_last_ts && im->usb_last_ts - ts > USBMON_WRAP / 2)
		im->usb_epoch += USBMON_WRAP;
	im->usb_last_ts = ts;
	v = ts + im->usb_epoch;
	pc->len = n;
	pc->dir = in ? ATP_DIR_FROM_MODULE : ATP_DIR_TO_MODULE;
	pc->ts_us = v;
	pc->has_ts = 1;
	pc->brk = 1;
	if (len > n) {
		pc->flags |= ATP_RECF_CUT;
		pc->cut = len - n;
	}
	return 1;
}

/*
 * A time stamp a terminal program put before the line (Tera Term, minicom,
 * grabserial, ts(1)): "[hh:mm:ss.mmm] ", "[2026-11-24 10:00:00.123] ",
 * "2026-11-24 10:00:00.123 " or "[12.345678] ". Strips it and returns 1
 * with its time.
 */
static int
term_stamp(struct ana_imp *im, struct atp_span *line, uint64_t *us)
{
	struct atp_span c = *line;
	uint64_t t;

	if (starts(c, "[")) {
		size_t at;
		if (!find(atp_span_make(c.p, c.len < 48 ? c.len : 48), "]", &at))
			return 0;
		if (!parse_any_time(im, atp_span_make(c.p + 1, at - 1), us))
			return 0;
		c = skip(c, at + 1);
	} else if (parse_datetime(&c, us)) {
		/* done */
	} else if (parse_tod(&c, &t)) {
		*us = tod_fix(im, t);
	} else {
		return 0;
	}
	if (c.len > 0 && c.p[0] != ' ' && c.p[0] != '\t' && c.p[0] != ':')
		return 0;
	if (starts(c, ":"))
		c = skip(c, 1);
	if (starts(c, " ") || starts(c, "\t"))
		c = skip(c, 1);
	*line = c;
	return 1;
}

static int
p_term(struct ana_imp *im, struct atp_span line, struct atp_span eol, struct piece *pc, int *bad)
{
	enum atp_dir dir;

	(void)bad;
	if (term_stamp(im, &line, &pc->ts_us))
		pc->has_ts = 1;
	dir = ana_infer_dir(line.p, line.len);
	/* A blank line belongs to whatever came before it: the second half of
	 * a response's CR LF CR LF. */
	if (dir == ATP_DIR_UNKNOWN) {
		if (eol.len == 0)
			return 0;
		im->pc[0] = '\r';
		im->pc[1] = '\n';
		pc->len = 2;
		pc->cont = 1;
		pc->has_ts = 0;
		return 1;
	}
	memcpy(im->pc, line.p, line.len);
	pc->len = line.len;
	pc->dir = dir;
	pc->flags = ATP_RECF_DIR_INFERRED;
	if (dir == ATP_DIR_TO_MODULE) {
		im->pc[pc->len++] = '\r';
		pc->brk = 1;
	} else {
		if (eol.len > 0) {
			im->pc[pc->len++] = '\r';
			im->pc[pc->len++] = '\n';
		}
		/* A module line stamped well after the last one is a burst of
		 * its own, so that its time is kept. */
		if (pc->has_ts && im->acc_open && pc->ts_us > im->acc_last_ts + BYTE_GAP_US)
			pc->brk = 1;
	}
	return 1;
}

/* A CSV field (quotes removed; no embedded newlines in these exports). */
static int
csv_field(struct atp_span line, int idx, struct atp_span *out)
{
	struct atp_cur c = atp_cur_make(line.p, line.len);
	struct atp_span f;
	int i;

	for (i = 0;; i++) {
		uint8_t ch;
		if (c.left > 0 && c.p[0] == '"') {
			atp_cur_u8(&c, &ch);
			atp_cur_until(&c, "\"", &f);
			atp_cur_u8(&c, &ch);
			atp_cur_until(&c, ",", &out[0]);
		} else {
			atp_cur_until(&c, ",", &f);
		}
		if (i == idx) {
			*out = rtrim(ltrim(f));
			return 1;
		}
		if (atp_cur_u8(&c, &ch) != ATP_OK)
			return 0;
	}
}

/* A Saleae value: 0x41, 65, 'A', A, \n, ' ' (Logic 1 ASCII radix). */
static int
csv_byte(struct atp_span v, uint8_t *b)
{
	uint64_t n;

	if (starts_ci(v, "0x") && atp_span_hex(skip(v, 2), &n, 255) == ATP_OK) {
		*b = (uint8_t)n;
		return 1;
	}
	if (v.len >= 3 && v.p[0] == '\'' && v.p[v.len - 1] == '\'')
		v = atp_span_make(v.p + 1, v.len - 2);
	if (v.len == 2 && v.p[0] == '\\') {
		switch (v.p[1]) {
		case 'n': *b = '\n'; return 1;
		case 'r': *b = '\r'; return 1;
		case 't': *b = '\t'; return 1;
		case '0': *b = 0; return 1;
		case '\\': *b = '\\'; return 1;
		default: return 0;
		}
	}
	if (v.len > 1 && atp_span_dec(v, &n, 255) == ATP_OK) {
		*b = (uint8_t)n;
		return 1;
	}
	if (v.len == 1) {
		*b = v.p[0];
		return 1;
	}
	if (atp_span_eq_ci(v, "SP") || atp_span_eq(v, "' '")) {
		*b = ' ';
		return 1;
	}
	if (atp_span_eq_ci(v, "CR")) {
		*b = '\r';
		return 1;
	}
	if (atp_span_eq_ci(v, "LF")) {
		*b = '\n';
		return 1;
	}
	return 0;
}

static int
p_saleae(struct ana_imp *im, struct atp_span line, struct piece *pc, int *bad)
{
	struct atp_span f, name;
	uint64_t us = 0;
	uint8_t b;
	enum atp_dir dir = ATP_DIR_UNKNOWN;
	int i;
	size_t at;

	line = rtrim(line);
	if (line.len == 0)
		return 0;
	if (!im->csv_header) {
		/* Logic 1: "Time [s],Value,Parity Error,Framing Error";
		 * Logic 2: "name,type,start_time,duration,data[,error]". */
		im->csv_time = im->csv_data = im->csv_name = im->csv_type = -1;
		for (i = 0; i < 32 && csv_field(line, i, &f); i++) {
			if (starts_ci(f, "Time") || atp_span_eq_ci(f, "start_time"))
				im->csv_time = i;
			else if (atp_span_eq_ci(f, "Value") || atp_span_eq_ci(f, "data"))
				im->csv_data = i;
			else if (atp_span_eq_ci(f, "name") || starts_ci(f, "Analyzer") ||
			    atp_span_eq_ci(f, "Channel"))
				im->csv_name = i;
			else if (atp_span_eq_ci(f, "type"))
				im->csv_type = i;
			else if (find(f, "rror", &at) && im->csv_nerr < 4)
				im->csv_err[im->csv_nerr++] = i;   /* "Parity Error", "error" */
		}
		im->csv_header = 1;
		if (im->csv_data < 0)
			*bad = 1;
		return 0;
	}
	if (im->csv_data < 0 || !csv_field(line, im->csv_data, &f)) {
		*bad = 1;
		return 0;
	}
	if (im->csv_type >= 0 && csv_field(line, im->csv_type, &name) && !atp_span_eq(name, "data"))
		return 0;
	if (!csv_byte(f, &b)) {
		*bad = 1;
		return 0;
	}
	/* A parity or framing error on the line: the byte is what the
	 * analyzer decoded, not surely what was sent. */
	for (i = 0; i < im->csv_nerr; i++)
		if (csv_field(line, im->csv_err[i], &name) && name.len > 0) {
			im->line_errors++;
			break;
		}
	if (im->csv_name >= 0 && csv_field(line, im->csv_name, &name))
		dir = ana_dir_word(name.p, name.len);
	if (im->csv_time >= 0 && csv_field(line, im->csv_time, &f)) {
		struct atp_span t = f;
		if (!parse_secs(&t, &us)) {
			*bad = 1;
			return 0;
		}
		byte_piece(im, pc, dir, us, 1, b);
	} else {
		byte_piece(im, pc, dir, 0, 0, b);
	}
	return 1;
}

/* Text with sigrok's "[0D]" escapes of control bytes. */
static size_t
sigrok_unbracket(struct atp_span s, uint8_t *out, size_t cap)
{
	size_t i = 0, n = 0;

	while (i < s.len && n < cap) {
		if (s.p[i] == '[' && i + 3 < s.len && s.p[i + 3] == ']' && hexval(s.p[i + 1]) >= 0 &&
		    hexval(s.p[i + 2]) >= 0) {
			out[n++] = (uint8_t)(hexval(s.p[i + 1]) * 16 + hexval(s.p[i + 2]));
			i += 4;
		} else {
			out[n++] = s.p[i++];
		}
	}
	return n;
}

static int
p_sigrok(struct ana_imp *im, struct atp_span line, struct piece *pc, int *bad)
{
	struct atp_span s = rtrim(ltrim(line)), val;
	uint64_t n, sn[2];

	if (starts(s, "[") || starts(s, ","))
		s = ltrim(skip(s, 1));
	while (s.len > 0 && (s.p[s.len - 1] == ',' || s.p[s.len - 1] == ']'))
		s.len--;
	if (s.len == 0)
		return 0;
	if (starts(s, "{")) {
		/* --protocol-decoder-jsontrace: Chrome trace events, ts in µs,
		 * tid "TX data", "RX packets"... TX is taken as the host's
		 * line (docs/analyzer.md). */
		json_error_t je;
		json_t *o = json_loadb((const char *)s.p, s.len, 0, &je);
		const char *ph, *tid, *name;
		json_t *ts;
		int kind, ok = 0;

		if (o == NULL) {
			*bad = 1;
			return 0;
		}
		ph = json_string_value(json_object_get(o, "ph"));
		tid = json_string_value(json_object_get(o, "tid"));
		name = json_string_value(json_object_get(o, "name"));
		ts = json_object_get(o, "ts");
		if (ph == NULL || tid == NULL || name == NULL || strcmp(ph, "B") != 0) {
			json_decref(o);
			return 0;
		}
		kind = strstr(tid, "packet") != NULL ? 2 : strstr(tid, "data") != NULL ? 1 : 0;
		if (kind != 0 && im->sig_kind == 0)
			im->sig_kind = kind;
		if (kind != 0 && kind == im->sig_kind) {
			enum atp_dir dir = ana_dir_word((const uint8_t *)tid, 2);
			double t = json_is_number(ts) ? json_number_value(ts) : 0.0;
			uint64_t us = t > 0 && t < 1e15 ? (uint64_t)t : 0;
			struct atp_span v = atp_span_str(name);

			if (kind == 1) {
				if (atp_span_hex(v, &n, 255) == ATP_OK) {
					byte_piece(im, pc, dir, us, 1, (uint8_t)n);
					ok = 1;
				} else {
					*bad = 1;
				}
			} else {
				pc->len = sigrok_unbracket(v, im->pc, PIECE_CAP);
				pc->dir = dir;
				pc->ts_us = us;
				pc->has_ts = 1;
				pc->brk = 1;
				ok = 1;
			}
		}
		json_decref(o);
		return ok;
	}
	if (!sigrok_text(s, &val, sn)) {
		*bad = 1;
		return 0;
	}
	/* "uart-1: 41" one byte, or a packet "AT+QVER[0D]"; no direction
	 * and no time in sigrok's text output (§2.1). Sample numbers are no
	 * time either (the sample rate is not printed), but a byte that
	 * starts more than two byte-lengths after the last one ended came
	 * after an idle line: a new burst. */
	if (val.len == 2 && atp_span_hex(val, &n, 255) == ATP_OK) {
		byte_piece(im, pc, ATP_DIR_UNKNOWN, 0, 0, (uint8_t)n);
		if (sn[1] > sn[0]) {
			if (im->sig_end != 0 && sn[0] > im->sig_end &&
			    sn[0] - im->sig_end > 2 * (sn[1] - sn[0]))
				pc->brk = 1;
			im->sig_end = sn[1];
		}
		return 1;
	}
	/* The decoder's other annotations (with no class filter given):
	 * start, stop and parity bits, idle, breaks, framing errors, in
	 * their long and short forms. */
	if (starts_ci(val, "Frame error") || starts_ci(val, "Framing error") ||
	    starts_ci(val, "Parity error") || atp_span_eq_ci(val, "FE") || atp_span_eq_ci(val, "PE")) {
		im->line_errors++;
		return 0;
	}
	if (val.len <= 1 || starts_ci(val, "Start bit") || starts_ci(val, "Stop bit") ||
	    starts_ci(val, "Parity") || atp_span_eq_ci(val, "Idle") || atp_span_eq_ci(val, "Break") ||
	    starts_ci(val, "Frame error") || starts_ci(val, "Framing error") ||
	    atp_span_eq_ci(val, "PE") || atp_span_eq_ci(val, "SE") || atp_span_eq_ci(val, "FE") ||
	    atp_span_eq_ci(val, "BRK") || starts_ci(val, "Warning"))
		return 0;
	pc->len = sigrok_unbracket(val, im->pc, PIECE_CAP);
	pc->brk = 1;
	pc->dir = ATP_DIR_UNKNOWN;
	return 1;
}

static int
p_regex(struct ana_imp *im, struct atp_span line, struct piece *pc, int *bad)
{
	int rc;
	PCRE2_SIZE *ov, a, b;
	struct atp_span ts, dir, data;
	enum atp_dir dr = ATP_DIR_UNKNOWN;

	rc = pcre2_jit_match(im->re, line.p, line.len, 0, 0, im->md, NULL);
	if (rc == PCRE2_ERROR_JIT_BADOPTION)
		rc = pcre2_match(im->re, line.p, line.len, 0, 0, im->md, NULL);
	if (rc < 0) {
		if (rc != PCRE2_ERROR_NOMATCH || rtrim(line).len > 0)
			*bad = rc != PCRE2_ERROR_NOMATCH;
		return 0;
	}
	ov = pcre2_get_ovector_pointer(im->md);
#define GROUP(idx, out) \
	(out) = atp_span_make(NULL, 0); \
	if ((idx) > 0 && (uint32_t)(idx) < pcre2_get_ovector_count(im->md)) { \
		a = ov[2 * (idx)]; b = ov[2 * (idx) + 1]; \
		if (a != PCRE2_UNSET && b >= a && b <= line.len) \
			(out) = atp_span_make(line.p + a, b - a); \
	}
	GROUP(im->re_ts, ts);
	GROUP(im->re_dir, dir);
	if (im->re_hex > 0) {
		GROUP(im->re_hex, data);
		if (data.len > 0) {
			pc->len = hex_pairs(data, im->pc, PIECE_CAP);
			if (pc->len == 0) {
				size_t i;
				for (i = 0; i + 1 < data.len && hexval(data.p[i]) >= 0 &&
				    hexval(data.p[i + 1]) >= 0; i += 2)
					im->pc[pc->len++] = (uint8_t)(hexval(data.p[i]) * 16 +
					    hexval(data.p[i + 1]));
			}
			goto have;
		}
	}
	GROUP(im->re_data, data);
#undef GROUP
	pc->len = unescape(data, im->pc, PIECE_CAP);
	if (pc->len == 0)
		return 0;
have:
	if (dir.len > 0)
		dr = ana_dir_word(dir.p, dir.len);
	pc->dir = dr;
	pc->brk = 1;
	if (ts.len > 0 && parse_any_time(im, ts, &pc->ts_us))
		pc->has_ts = 1;
	if (im->re_hex <= 0 || data.len == 0) {
		enum atp_dir eff = dr != ATP_DIR_UNKNOWN ? dr : ana_infer_dir(im->pc, pc->len);
		pc->tail = eff == ATP_DIR_TO_MODULE ? "\r" : "\r\n\r\n";
	}
	return 1;
}

/* Opening */

static int
compile_regex(struct ana_imp *im, const char *pat, struct atp_diag *d)
{
	int errc;
	PCRE2_SIZE erroff;
	PCRE2_UCHAR msg[160];

	if (pat == NULL || strlen(pat) == 0 || strlen(pat) > ANA_REGEX_MAX)
		return atp_diag_set(d, ATP_ERR_SYNTAX, "regex: an empty or too long pattern");
	im->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &errc, &erroff, NULL);
	if (im->re == NULL) {
		pcre2_get_error_message(errc, msg, sizeof(msg));
		return atp_diag_at(d, ATP_ERR_SYNTAX, "regex", 1, (unsigned long)erroff + 1,
		    "regex: %s", (const char *)msg);
	}
	(void)pcre2_jit_compile(im->re, PCRE2_JIT_COMPLETE);
	im->md = pcre2_match_data_create_from_pattern(im->re, NULL);
	if (im->md == NULL)
		return atp_diag_set(d, ATP_ERR_NOMEM, "regex: out of memory");
	im->re_ts = pcre2_substring_number_from_name(im->re, (PCRE2_SPTR)"ts");
	im->re_dir = pcre2_substring_number_from_name(im->re, (PCRE2_SPTR)"dir");
	im->re_data = pcre2_substring_number_from_name(im->re, (PCRE2_SPTR)"data");
	im->re_hex = pcre2_substring_number_from_name(im->re, (PCRE2_SPTR)"hex");
	if (im->re_data <= 0 && im->re_hex <= 0)
		return atp_diag_set(d, ATP_ERR_SYNTAX,
		    "regex: the pattern needs a named group (?<data>...) or (?<hex>...)");
	return ATP_OK;
}

/*
 * socat prints '>' for what went from its first address to its second: the
 * host's side when the host's end was given first, which is a convention,
 * not a fact. The first records of the file decide: if what '>' carries
 * reads as the module's (+OK, +ERR, reports) and '<' as commands, the sides
 * are swapped.
 */
static void
socat_sides(struct ana_imp *im)
{
	struct atp_span all = atp_span_make(im->rd, im->rd_len), line;
	int votes = 0, want = 0, first = 1;
	enum atp_dir dir = ATP_DIR_UNKNOWN;
	uint64_t us;

	while (all.len > 0) {
		struct atp_cur c = atp_cur_make(all.p, all.len);
		uint8_t b[4];
		size_t k, n;

		atp_cur_until(&c, "\n", &line);
		all = skip(all, line.len + 1);
		if (want && first) {
			/* The first block's data tells the form: hex rows
			 * (" 41 54 ...") with -x, text without. */
			first = 0;
			im->socat_text = !(line.len >= 3 && line.p[0] == ' ' && hexval(line.p[1]) >= 0 &&
			    hexval(line.p[2]) >= 0 && (line.len == 3 || line.p[3] == ' '));
		}
		if (want) {
			want = 0;
			n = im->socat_text ? (line.len < 3 ? line.len : 3) :
			    hex_pairs(line, b, sizeof(b));
			if (im->socat_text)
				memcpy(b, line.p, n);
			if (n >= 3)
				votes += ana_infer_dir(b, 3) == dir ? 1 : -1;
		}
		/* A header at the start of the line, or (text) after data. */
		for (k = 0; k < line.len; k++) {
			if ((line.p[k] == '>' || line.p[k] == '<') &&
			    socat_header(skip(line, k), &dir, &us, NULL)) {
				want = 1;
				break;
			}
			if (!im->socat_text && !first)
				break;
		}
	}
	im->socat_swap = votes < 0;
}

static int
imp_setup(struct ana_imp *im, enum ana_fmt fmt, const char *regex, struct atp_diag *d)
{
	int err = ATP_OK;

	/* Zeroed: PCRE2's JIT may read a few bytes past the subject (the line
	 * in rd), which memcheck otherwise reports as uninitialised. */
	im->rd = atp_calloc(1, RD_BUF);
	im->acc = atp_malloc(ACC_CAP);
	im->out = atp_malloc(ACC_CAP);
	im->pc = atp_malloc(PIECE_CAP + 8);
	if (im->rd == NULL || im->acc == NULL || im->out == NULL || im->pc == NULL)
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	if (fmt == ANA_FMT_AUTO) {
		size_t n = fill(im, d, &err);
		if (err != ATP_OK)
			return err;
		fmt = ana_fmt_detect(im->rd, n < DETECT_BYTES ? n : DETECT_BYTES);
	}
	im->fmt = fmt;
	if (fmt == ANA_FMT_REGEX)
		return compile_regex(im, regex, d);
	if (fmt == ANA_FMT_SOCAT) {
		if (im->rd_len == 0 && fill(im, d, &err) == 0 && err != ATP_OK)
			return err;
		socat_sides(im);
	}
	if (fmt == ANA_FMT_PCAPNG) {
		/* The core's reader works on its own: hand it the file. */
		if (im->fp != NULL) {
			int fd;
			if (im->fp == stdin)
				return atp_diag_set(d, ATP_ERR_UNSUPP,
				    "%s: a pcapng or pcap is read from a file, not a pipe", im->name);
			if (fseek(im->fp, 0, SEEK_SET) != 0)
				return atp_diag_at(d, ATP_ERR_IO, im->name, 0, 0, "%s: %s", im->name,
				    strerror(errno));
			fd = fileno(im->fp);
			return atp_pcapng_reader_open_fd(fd, im->name, &im->pr, d);
		}
		return atp_pcapng_reader_open_mem(im->mem, im->mem_len, im->name, &im->pr, d);
	}
	return ATP_OK;
}

static struct ana_imp *
imp_alloc(const char *name)
{
	struct ana_imp *im = atp_calloc(1, sizeof(*im));

	if (im == NULL)
		return NULL;
	im->name = atp_strdup(name);
	if (im->name == NULL) {
		atp_free(im);
		return NULL;
	}
	im->last_dir = (enum atp_dir)-1;
	return im;
}

int
ana_imp_open(const char *path, enum ana_fmt fmt, const char *regex, struct ana_imp **out,
    struct atp_diag *d)
{
	struct ana_imp *im;
	enum atp_dir rawdir = ATP_DIR_UNKNOWN;
	int err;

	*out = NULL;
	if (strncmp(path, "to:", 3) == 0 || strncmp(path, "from:", 5) == 0) {
		rawdir = path[0] == 't' ? ATP_DIR_TO_MODULE : ATP_DIR_FROM_MODULE;
		path += path[0] == 't' ? 3 : 5;
		fmt = ANA_FMT_RAW;
	}
	im = imp_alloc(path);
	if (im == NULL)
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	im->raw_dir = rawdir;
	/* "-" is standard input (a log piped in); a pcapng needs a file,
	 * since its reader starts again from the first byte. */
	im->fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (im->fp == NULL) {
		err = atp_diag_at(d, ATP_ERR_IO, im->name, 0, 0, "%s: %s", path, strerror(errno));
		if (d != NULL) {
			d->sys_errno = errno;
			d->source = NULL;
		}
		ana_imp_close(im);
		return err;
	}
	err = imp_setup(im, fmt, regex, d);
	if (err != ATP_OK) {
		if (d != NULL)
			d->source = NULL;
		ana_imp_close(im);
		return err;
	}
	*out = im;
	return ATP_OK;
}

int
ana_imp_open_mem(const void *p, size_t len, const char *name, enum ana_fmt fmt,
    const char *regex, struct ana_imp **out, struct atp_diag *d)
{
	struct ana_imp *im;
	int err;

	*out = NULL;
	im = imp_alloc(name != NULL ? name : "<memory>");
	if (im == NULL)
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	im->mem = p;
	im->mem_len = p != NULL ? len : 0;
	err = imp_setup(im, fmt, regex, d);
	if (err != ATP_OK) {
		if (d != NULL)
			d->source = NULL;
		ana_imp_close(im);
		return err;
	}
	*out = im;
	return ATP_OK;
}

int
ana_imp_open_mem_raw(const void *p, size_t len, const char *name, enum atp_dir dir,
    struct ana_imp **out, struct atp_diag *d)
{
	int rc = ana_imp_open_mem(p, len, name, ANA_FMT_RAW, NULL, out, d);

	if (rc == ATP_OK)
		(*out)->raw_dir = dir;
	return rc;
}

void
ana_imp_close(struct ana_imp *im)
{
	if (im == NULL)
		return;
	atp_pcapng_reader_close(im->pr);
	if (im->fp != NULL && im->fp != stdin)
		fclose(im->fp);
	if (im->md != NULL)
		pcre2_match_data_free(im->md);
	if (im->re != NULL)
		pcre2_code_free(im->re);
	atp_free(im->rd);
	atp_free(im->acc);
	atp_free(im->out);
	atp_free(im->pc);
	atp_free(im->name);
	atp_free(im);
}

enum ana_fmt
ana_imp_format(const struct ana_imp *im)
{
	return im->fmt;
}

unsigned long
ana_imp_skipped(const struct ana_imp *im)
{
	return im->skipped;
}

/*
 * Which records of a capture are UART bytes (analyzer-anchors.md §1.7):
 * USER0..15 and UPPER_PDU (atproof's own, and text2pcap -P at) as they are;
 * RTAC_SERIAL (250) after its 12-byte header, whose event type gives the
 * direction (DATA_TX_* = the host's line, DATA_RX_* = the module's; status,
 * error and loss events carry no data). Any other link type (a network
 * capture given by mistake) is skipped, and named once (ana_imp_linktype).
 */
#define LT_RTAC_SERIAL 250
#define RTAC_HDR 12

static int
uart_record(struct ana_imp *im, struct atp_rec *r, int lt)
{
	if ((lt >= ATP_LINKTYPE_USER0 && lt <= ATP_LINKTYPE_USER15) || lt == ATP_LINKTYPE_UPPER_PDU)
		return 1;
	if (lt == LT_RTAC_SERIAL && r->bytes.len > RTAC_HDR) {
		uint8_t ev = r->bytes.p[8];
		/* Event types in the order the dissector lists them:
		 * 0 STATUS_CHANGE, 1 DATA_TX_START, 2 DATA_RX_START,
		 * 3 DATA_TX_END, 4 DATA_RX_END. */
		if (ev == 1 || ev == 3 || ev == 2 || ev == 4) {
			if (r->dir == ATP_DIR_UNKNOWN)
				r->dir = (ev == 1 || ev == 3) ? ATP_DIR_TO_MODULE : ATP_DIR_FROM_MODULE;
			r->bytes = atp_span_make(r->bytes.p + RTAC_HDR, r->bytes.len - RTAC_HDR);
			if (r->data_off != UINT64_MAX)
				r->data_off += RTAC_HDR;
			return 1;
		}
		return 0;
	}
	if (lt == LT_RTAC_SERIAL)
		return 0;
	if (im->other_lt == 0)
		im->other_lt = lt;
	im->skipped++;
	return 0;
}

int
ana_imp_source(const struct ana_imp *im, struct ana_src *out)
{
	struct stat st;

	memset(out, 0, sizeof(*out));
	/* The core's reader reads the file itself from its first byte: the
	 * records' bytes are the file's. Memory and pipes are not read
	 * again. */
	if (im->fmt != ANA_FMT_PCAPNG || im->fp == NULL || im->fp == stdin ||
	    fstat(fileno(im->fp), &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	out->path = im->name;
	out->dev = (uint64_t)st.st_dev;
	out->ino = (uint64_t)st.st_ino;
	out->size = (uint64_t)st.st_size;
	out->mtime_s = (int64_t)st.st_mtim.tv_sec;
	out->mtime_ns = (int64_t)st.st_mtim.tv_nsec;
	return 1;
}

unsigned
ana_imp_ifidx(const struct ana_imp *im)
{
	return im->fmt == ANA_FMT_PCAPNG ? im->ifidx : 0;
}

unsigned long
ana_imp_line_errors(const struct ana_imp *im)
{
	return im->line_errors;
}

int
ana_imp_linktype(const struct ana_imp *im)
{
	return im->other_lt;
}

/* Raw bytes: with a direction ("to:", "from:") in blocks; without, cut at
 * line ends so that each line's direction can be inferred. */
static int
next_raw(struct ana_imp *im, struct atp_rec *out, struct atp_diag *d)
{
	int err;
	size_t avail, n, i;
	const uint8_t *p;

	avail = im->rd_len - im->rd_off;
	if (avail < ANA_RAW_BLOCK && !im->eof) {
		avail = fill(im, d, &err);
		if (err != ATP_OK)
			return err;
	}
	if (avail == 0)
		return 0;
	p = im->rd + im->rd_off;
	n = avail < ANA_RAW_BLOCK ? avail : ANA_RAW_BLOCK;
	memset(out, 0, sizeof(*out));
	out->dir = im->raw_dir;
	/* Cut after a run of line ends (kept with its line): a command ends
	 * with CR alone, a response with CR LF CR LF. Lines let a stream
	 * with no direction be told apart, and two one-way files be
	 * interleaved (ana_cli.c). */
	for (i = 0; i < n; i++)
		if (p[i] == '\r' || p[i] == '\n')
			break;
	if (i < n) {
		while (i < avail && i < ANA_RAW_BLOCK && (p[i] == '\r' || p[i] == '\n'))
			i++;
		n = i;
	}
	if (im->raw_dir == ATP_DIR_UNKNOWN) {
		out->dir = ana_infer_dir(p, n);
		out->flags |= ATP_RECF_DIR_INFERRED;
		if (out->dir == ATP_DIR_UNKNOWN)
			out->dir = ATP_DIR_FROM_MODULE;
	}
	memcpy(im->out, p, n);
	out->bytes = atp_span_make(im->out, n);
	out->flags |= ATP_RECF_NO_TIME;
	out->src_file = im->name;
	out->src_offset = im->file_off;
	out->data_off = UINT64_MAX;
	im->rd_off += n;
	im->file_off += n;
	return 1;
}

int
ana_imp_next(struct ana_imp *im, struct atp_rec *out, struct atp_diag *d)
{
	struct atp_span line, eol;
	uint64_t off = 0;
	int rc;

	if (im->fmt == ANA_FMT_PCAPNG) {
		for (;;) {
			int lt = 0;
			rc = atp_pcapng_next(im->pr, out, &im->ifidx, &lt, d);
			/* A capture cut inside a block: its records so far are
			 * read; the rest is reported as an error of the input. */
			if (rc == ATP_ERR_AGAIN)
				return atp_diag_at(d, ATP_ERR_SYNTAX, im->name, 0, 0,
				    "%s: the capture ends inside a block (cut short)", im->name);
			if (rc != 1 || uart_record(im, out, lt))
				return rc;
		}
	}
	if (im->fmt == ANA_FMT_RAW)
		return next_raw(im, out, d);
	for (;;) {
		struct piece pc;
		int bad = 0, got = 0;

		if (im->acc_open && im->acc_len >= ANA_REC_SOFT) {
			acc_close(im, out);
			return 1;
		}
		rc = next_line(im, &line, &eol, &off, d);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			if (im->acc_open) {
				acc_close(im, out);
				return 1;
			}
			return 0;
		}
		memset(&pc, 0, sizeof(pc));
		switch (im->fmt) {
		case ANA_FMT_ARROWS:
			got = p_arrows(im, line, &pc, &bad);
			break;
		case ANA_FMT_SSCOM:
			got = p_sscom(im, line, eol, &pc, &bad);
			break;
		case ANA_FMT_SOCAT:
			got = p_socat(im, line, &pc, &bad);
			break;
		case ANA_FMT_JPNEVULATOR:
			got = p_jpn(im, line, &pc, &bad);
			break;
		case ANA_FMT_INTERCEPTTY:
			got = p_icpt(im, line, &pc, &bad);
			break;
		case ANA_FMT_SALEAE:
			got = p_saleae(im, line, &pc, &bad);
			break;
		case ANA_FMT_SIGROK:
			got = p_sigrok(im, line, &pc, &bad);
			break;
		case ANA_FMT_REGEX:
			got = p_regex(im, line, &pc, &bad);
			break;
		case ANA_FMT_TERM:
			got = p_term(im, line, eol, &pc, &bad);
			break;
		case ANA_FMT_HEXDUMP:
			got = p_hexdump(im, line, &pc, &bad);
			break;
		case ANA_FMT_USBMON:
			got = p_usbmon(im, line, &pc, &bad);
			break;
		case ANA_FMT_AUTO:
		case ANA_FMT_PCAPNG:
		case ANA_FMT_RAW:
			break;
		}
		if (bad)
			im->skipped++;
		if (!got)
			continue;
		if (pc.cont && !im->acc_open)
			continue;
		if (acc_add(im, &pc, off, out))
			return 1;
	}
}
