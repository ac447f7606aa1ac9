/* SPDX-License-Identifier: MIT */
/* \summary: session decoder: exchanges, binary phases, protocol-state and timing rules */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "analyzer/ana.h"
#include "analyzer/net.h"
#include "atproof/alloc.h"
#include "atproof/cmd.h"
#include "atproof/cmdline.h"
#include "atproof/cursor.h"
#include "atproof/framer.h"
#include "atproof/validate.h"

/*
 * The host's bytes go through the firmware's own line splitter
 * (atp_cmdline_next), the module's through the core's framer; each command
 * sent is announced to the framer (atp_framer_expect) so that list
 * responses and SKRCV's data frame right, and kept in a FIFO of pending
 * exchanges that the responses pop. Everything the core's validator says
 * about a line or a frame becomes a finding, placed at the source line of
 * the record that carried it; the rules below add what only shows across
 * exchanges (DESIGN.md, "Strict by default").
 */

#define PEND_MAX ATP_FRAMER_EXPECT_MAX
#define LOC_RING 64
#define HOST_BUF (64u << 10)   /* a line, or an SKSND payload held for its +OK=n */
#define SOCK_MAX 64
#define PARAM_MAX 64
#define VAL_MAX 96
/* A non-blocking command still unanswered when the next one is sent this
 * much later is taken as never answered (the firmware answers such
 * commands in milliseconds, w600-firmware.md §1). */
#define STALE_US (2u * 1000000u)
#define QUIET_US 50000u

/* The analyzer's own rules (ids are stable; docs/analyzer.md lists them). */
#define R_RESP_MISSING    "resp-missing"
#define R_RESP_UNSOL      "resp-unsolicited"
#define R_RESYNC          "resync"
#define R_BUSY            "cmd-while-busy"
#define R_SOCK_UNOPENED   "sock-not-open"
#define R_SOCK_CLOSED     "sock-after-close"
#define R_DATA_SHORT      "data-short"
#define R_DATA_LONG       "data-long"
#define R_WJOIN_LKSTT     "wjoin-lkstt"
#define R_FLASH_LOST      "flash-lost"
#define R_LATENCY         "latency-limit"
#define R_ECHO            "echo-mismatch"
#define R_HOST_GARBAGE    "host-garbage"
#define R_DIR_INFERRED    "dir-inferred"
#define R_TRANSP_EXIT     "transparent-exit"
#define R_READBACK        "param-readback"
#define R_ECHO_STATE      "echo-state"
#define R_INPUT_CUT       "input-cut"

/* Holes in the module's stream not yet behind the framer. */
#define HOLE_MAX 8

struct loc {
	const char *file;
	unsigned long line;
	uint64_t off;
	uint64_t ts;
	int timed;
};

/*
 * A transfer the capture did not keep whole (ATP_RECF_CUT: usbmon's text
 * shows 32 bytes of each, a pcap keeps its snap length): bytes went over
 * the line after its last one that no one can judge. A frame or an exchange
 * they belong to is undecided, not failed: the module did nothing wrong
 * that the log can show (DESIGN.md, exit 4).
 */
struct cut {
	int set;
	struct loc at;               /* the record cut */
	uint64_t len;                /* bytes cut; 0: not known */
	uint64_t off;                /* module stream offset of the hole */
};

struct pend {
	char text[ATP_LINE_MAX + 4];
	size_t len;
	struct atp_cmdline cl;       /* spans into text */
	size_t plen;                 /* text[0..plen) was parsed: line and terminator */
	uint64_t hash;               /* memo_hash_ends() of text[0..plen) */
	int parsed;
	struct loc at;               /* the command line's record */
	const char *busy_with;       /* a blocking command was running */
	int echoed;                  /* its echo came back */
	uint64_t sksnd_size;
	struct cut cut;              /* its line lost bytes in the capture */
};

enum sock_state { SK_UNKNOWN, SK_OPEN, SK_CLOSED };

/*
 * What the validator said of a command line, and of a response to a line,
 * kept for the next time the same bytes come: field logs and test loops
 * repeat a few exchanges many times, and the validator is a pure function
 * of the line, the frame and the profile (validate.h), so the findings are
 * replayed instead of recomputed. The whole key is compared, never only its
 * hash; a key too long, or a call with too many findings, is not kept.
 */
#define MEMO_SETS 16             /* a power of two */
#define MEMO_WAYS 4              /* entries a set, replaced in turn */
#define MEMO_FIND 4
#define LAT_CACHE 64             /* names of the timing table, by address */
#define MEMO_CKEY 192            /* a command line and its terminator */
#define MEMO_RKEY 448            /* that line and the response's bytes */

struct memo_find {
	size_t n;
	int full;                    /* more findings than MEMO_FIND */
	struct atp_finding f[MEMO_FIND];
};

struct cmd_memo {
	size_t len;                  /* 0: empty slot */
	uint8_t key[MEMO_CKEY];
	int parsed;
	struct atp_cmdline cl;       /* spans into key */
	struct memo_find mf;
};

struct rsp_memo {
	size_t len;                  /* 0: empty slot */
	size_t cl_len;               /* key[0..cl_len): the line (parsed or not) */
	int parsed;
	unsigned flags;
	size_t body_len, term_off, term_len, nlines;
	int is_error, errcode_ok;
	long errcode;
	const struct atp_cmd *cmd;
	enum atp_form form;
	const struct atp_report *report;
	uint8_t key[MEMO_RKEY];
	struct memo_find mf;
};

struct param {
	char name[ATP_NAME_MAX + 2];
	char ram[VAL_MAX], flash[VAL_MAX];
	int has_flash, ram_differs, calibrated, after_reset;
};

struct ana_session {
	struct ana_session_opts o;
	struct ana_report *rep;
	/* What validator findings concern while they are reported: the
	 * frame or the command line, and the command a response answers. */
	struct atp_span vbytes, vbefore;
	size_t chart_i;              /* its sequence chart, rep->charts[chart_i] */
	int has_chart;               /* 0: past ANA_CHARTS_MAX, not drawn */
	struct atp_framer *fr;
	/* host side */
	uint8_t hb[HOST_BUF];
	uint8_t hb2[HOST_BUF];       /* held bytes, replayed */
	size_t hlen;
	uint64_t host_off;           /* stream offset of hb[0] */
	uint64_t data_left, data_total, data_done;  /* SKSND payload */
	struct loc data_at;
	int await_sksnd;             /* SKSND sent: its payload waits for +OK=n */
	int held;                    /* host bytes held for that response */
	/* The record host_bytes() reads, when its bytes are the input
	 * file's at ref_off (o.src): SKSND payload goes by reference. */
	const uint8_t *ref_p;
	size_t ref_len;
	uint64_t ref_off;
	int transparent;
	int seen_cmd;
	int echo_known, echo_on;     /* the echo state (§2.2.1.3), once known */
	struct loc echo_at;          /* what made it known */
	/* pending exchanges */
	struct pend pend[PEND_MAX];
	size_t phead, pcount;
	char last_sent[ATP_LINE_MAX + 4];
	size_t last_sent_len;
	/* module side */
	struct loc ring[LOC_RING];
	uint64_t ring_off[LOC_RING];
	size_t rhead, rcount;
	struct loc cur;              /* the record being fed */
	uint32_t mtail;              /* the last 4 module bytes, newest lowest */
	struct loc mlast;            /* the last module record */
	struct loc vloc;             /* where the validator's findings go */
	const char *vcmd;
	int last_data_ctx;           /* 0 none, 1 SKRCV, 2 +SKTRPT/+HTTPCRPT */
	/* state rules */
	enum sock_state sock[SOCK_MAX];
	int wjoin;                   /* -1 none, 0 failed, 1 joined */
	struct loc wjoin_at;
	struct param params[PARAM_MAX];
	size_t nparams;
	int inferred_noted;
	unsigned resync_noted;
	uint32_t lcg;
	int oom;
	/* what the network correlator is told (net.h) */
	long tx_sock, rx_sock;
	int tx_first, rx_first;
	uint64_t rx_announced;
	struct loc tx_at;
	/* the validator's findings, replayed for repeated exchanges */
	struct cmd_memo cmemo[MEMO_SETS][MEMO_WAYS];
	struct rsp_memo rmemo[MEMO_SETS][MEMO_WAYS];
	uint8_t cnext[MEMO_SETS], rnext[MEMO_SETS];  /* the way replaced next */
	/* where the timing table keeps a name (its entries never move) */
	struct {
		const char *name;
		size_t idx;
	} latc[LAT_CACHE];
	struct memo_find *recording;  /* findings go here too (NULL: not kept) */
	/* bytes the capture cut (struct cut) */
	struct cut taint;            /* the findings now made are undecided */
	struct cut holes[HOLE_MAX];  /* in the module's stream, oldest first */
	size_t hole_head, nholes;
	int mcut_open;               /* the module's last record was cut: where
	                                its output ended is not known */
	struct cut hgap;             /* host bytes cut after the held ones */
	struct cut hlost;            /* host bytes cut that no line took */
	struct cut data_cut;         /* SKSND's payload lost bytes */
	struct cut sent_cut;         /* the last line sent lost bytes */
	struct cut line_cut;         /* host_line(): the line lost bytes */
};

/* Findings */

/* " at line 23" or " at offset 1192": where a record is. */
static void
loc_text(const struct loc *l, char *buf, size_t size)
{
	if (l->line != 0)
		snprintf(buf, size, " at line %lu", l->line);
	else
		snprintf(buf, size, " at offset %llu", (unsigned long long)l->off);
}

/* A failure in bytes the capture cut (s->taint) is undecided: the verdict
 * becomes inconc and the message says which transfer lost how much. */
static void
undecided(const struct ana_session *s, struct ana_finding *f)
{
	char where[48], note[128];
	size_t n, m;

	if (!s->taint.set || f->verdict != ATP_V_FAIL)
		return;
	f->verdict = ATP_V_INCONC;
	loc_text(&s->taint.at, where, sizeof(where));
	if (s->taint.len > 0)
		snprintf(note, sizeof(note), " (undecided: the capture cut %llu bytes of the "
		    "transfer%s)", (unsigned long long)s->taint.len, where);
	else
		snprintf(note, sizeof(note), " (undecided: the capture cut the end of the "
		    "transfer%s)", where);
	/* The note is kept whole; a long message gives way. */
	n = strlen(f->message);
	m = strlen(note);
	if (n + m >= sizeof(f->message))
		n = sizeof(f->message) - 1 - m;
	memcpy(f->message + n, note, m + 1);
}

/* Findings from here on are undecided by @c (when set, and nothing else
 * made them so); returns what was in force, to be put back. */
static struct cut
taint_push(struct ana_session *s, const struct cut *c)
{
	struct cut old = s->taint;

	if (c->set && !s->taint.set)
		s->taint = *c;
	return old;
}

/* snprintf(dst, size, "%s", src) without the formatting machinery: a
 * repeated exchange's findings are replayed by the thousand (issue 8). */
static void
scopy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * The session's sequence chart (ANA_CHART_MSGS messages and notes, then
 * only counted): a slot for a message from lane @from to lane @to (equal:
 * a finding's note, chart_note()), or NULL past the ceiling.
 */
/* By index: another session may grow the array. */
static struct ana_chart *
chart_of(const struct ana_session *s)
{
	return s->has_chart ? &s->rep->charts[s->chart_i] : NULL;
}

static struct ana_msc *
chart_slot(struct ana_session *s, unsigned from, unsigned to, const struct loc *at)
{
	struct ana_chart *c = chart_of(s);
	struct ana_msc *m;

	if (c == NULL)
		return NULL;
	if (from != to)
		c->total++;
	if (c->n >= ANA_CHART_MSGS)
		return NULL;
	if (c->name == NULL)
		c->name = at->file;
	m = &c->m[c->n++];
	m->from = (unsigned char)from;
	m->to = (unsigned char)to;
	m->verdict = ATP_V_PASS;
	m->ts_us = at->timed ? at->ts : 0;
	return m;
}

static void
chart_text(struct ana_session *s, unsigned from, unsigned to, const struct loc *at,
    struct atp_span text)
{
	struct ana_msc *m = chart_slot(s, from, to, at);

	if (m != NULL)
		(void)atp_span_escape(text, m->what, sizeof(m->what));
}

static void
chart_data(struct ana_session *s, unsigned from, unsigned to, const struct loc *at, size_t n)
{
	struct ana_msc *m = chart_slot(s, from, to, at);

	if (m != NULL)
		snprintf(m->what, sizeof(m->what), "data, %zu bytes", n);
}

/* A finding that fails or is undecided (or known) as a note. */
static void
chart_note(struct ana_session *s, const struct ana_finding *f)
{
	struct ana_msc *m;
	struct loc at;
	size_t k;

	if (chart_of(s) == NULL || chart_of(s)->n >= ANA_CHART_MSGS || f->verdict == ATP_V_PASS)
		return;
	at.file = f->file;
	at.ts = f->ts_us;
	at.timed = f->ts_us != 0;
	m = chart_slot(s, ANA_LANE_MODULE, ANA_LANE_MODULE, &at);
	if (m == NULL)
		return;
	m->verdict = f->verdict;
	snprintf(m->what, sizeof(m->what), "%s: ", f->rule);
	k = strlen(m->what);
	scopy(m->what + k, sizeof(m->what) - k, f->message);
}

static void add(struct ana_session *s, const char *rule, enum atp_severity sev,
    enum atp_verdict vd, const char *section, const char *cmd, const struct loc *at,
    const char *fmt, ...) __attribute__((format(printf, 8, 9)));

static void
add(struct ana_session *s, const char *rule, enum atp_severity sev, enum atp_verdict vd,
    const char *section, const char *cmd, const struct loc *at, const char *fmt, ...)
{
	struct ana_finding f;
	va_list ap;

	memset(&f, 0, sizeof(f));
	f.rule = rule;
	f.severity = sev;
	f.verdict = vd;
	snprintf(f.section, sizeof(f.section), "%s", section != NULL ? section : "");
	snprintf(f.command, sizeof(f.command), "%s", cmd != NULL ? cmd : "");
	if (at != NULL) {
		f.file = at->file;
		f.line = at->line;
		f.offset = at->off;
		f.ts_us = at->timed ? at->ts : 0;
	}
	va_start(ap, fmt);
	vsnprintf(f.message, sizeof(f.message), fmt, ap);
	va_end(ap);
	undecided(s, &f);
	if (ana_report_add(s->rep, &f) != ATP_OK)
		s->oom = 1;
	chart_note(s, &f);
}

/* A catalogued deviation seen by a rule of the analyzer (a BEHAVIOUR
 * deviation, profile.h): known with a profile that has it, else a failure,
 * under the deviation's own id and section. */
static void add_dev(struct ana_session *s, const struct atp_deviation *dv, int known,
    const char *cmd, const struct loc *at, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void
add_dev(struct ana_session *s, const struct atp_deviation *dv, int known, const char *cmd,
    const struct loc *at, const char *fmt, ...)
{
	struct ana_finding f;
	va_list ap;

	if (dv == NULL)
		return;
	memset(&f, 0, sizeof(f));
	f.rule = dv->id;
	f.severity = known ? ATP_SEV_WARNING : ATP_SEV_ERROR;
	f.verdict = known ? ATP_V_KNOWN : ATP_V_FAIL;
	snprintf(f.section, sizeof(f.section), "%s", dv->section);
	snprintf(f.command, sizeof(f.command), "%s", cmd != NULL ? cmd : "");
	snprintf(f.deviation, sizeof(f.deviation), "%s", dv->id);
	f.file = at->file;
	f.line = at->line;
	f.offset = at->off;
	f.ts_us = at->timed ? at->ts : 0;
	va_start(ap, fmt);
	vsnprintf(f.message, sizeof(f.message), fmt, ap);
	va_end(ap);
	undecided(s, &f);
	if (ana_report_add(s->rep, &f) != ATP_OK)
		s->oom = 1;
	chart_note(s, &f);
}

static void
on_finding(void *ctx, const struct atp_finding *vf)
{
	struct ana_session *s = ctx;
	struct ana_finding f;

	memset(&f, 0, sizeof(f));
	f.rule = vf->rule;
	f.severity = vf->severity;
	f.verdict = vf->verdict;
	scopy(f.section, sizeof(f.section), vf->section != NULL ? vf->section : "");
	if (vf->cmd != NULL)
		scopy(f.command, sizeof(f.command), vf->cmd->name);
	else if (s->vcmd != NULL)
		scopy(f.command, sizeof(f.command), s->vcmd);
	if (vf->deviation != NULL)
		scopy(f.deviation, sizeof(f.deviation), vf->deviation->id);
	f.file = s->vloc.file;
	f.line = s->vloc.line;
	f.offset = s->vloc.off;
	f.ts_us = s->vloc.timed ? s->vloc.ts : 0;
	f.bytes = s->vbytes;
	f.before = s->vbefore;
	scopy(f.message, sizeof(f.message), vf->message);
	if (s->taint.set)
		undecided(s, &f);
	if (ana_report_add(s->rep, &f) != ATP_OK)
		s->oom = 1;
	chart_note(s, &f);
	if (s->recording != NULL) {
		if (s->recording->n < MEMO_FIND)
			s->recording->f[s->recording->n++] = *vf;
		else
			s->recording->full = 1;
	}
}

/* Memo of the validator (see struct cmd_memo) */

static uint64_t
memo_hash(uint64_t h, const uint8_t *p, size_t n)
{
	uint64_t w;
	size_t i;

	/* Eight bytes a step: it only picks the set; the key itself is
	 * compared. */
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * UINT64_C(0x100000001b3);
		h ^= h >> 29;
	}
	/* The tail a byte at a time: a short memcpy into w and the load
	 * of w stall the store forwarding. */
	for (w = n; i < n; i++)
		w = (w << 8) | p[i];
	h = (h ^ w) * UINT64_C(0x100000001b3);
	return h ^ (h >> 32);
}

/* memo_hash() of a key's length, first and last 24 bytes: what tells the
 * exchanges of a log apart, in a third of the time for a long response. */
static uint64_t
memo_hash_ends(uint64_t h, const uint8_t *p, size_t n)
{
	if (n <= 48)
		return memo_hash(h, p, n);
	h = memo_hash(h ^ n, p, 24);
	return memo_hash(h, p + n - 24, 24);
}

/* The way of a set to be replaced now: each in turn. */
static size_t
way_next(uint8_t *next)
{
	size_t w = *next;

	*next = (uint8_t)((w + 1) % MEMO_WAYS);
	return w;
}

/* Findings of a memo entry, as the validator gave them. Its offsets are
 * those of the first time, and stay so: on_finding() places a finding at
 * s->vloc, never at the validator's offset. */
static void
memo_replay(struct ana_session *s, const struct memo_find *mf)
{
	size_t i;

	for (i = 0; i < mf->n; i++)
		on_finding(s, &mf->f[i]);
}

/* A span of a line parsed at @from, moved to the same bytes at @to. */
static void
rebase(struct atp_span *sp, const void *from, const void *to, size_t len)
{
	uintptr_t off;

	if (sp->p == NULL)
		return;
	off = (uintptr_t)sp->p - (uintptr_t)from;
	if (off <= len)
		sp->p = (const uint8_t *)to + off;
}

/* @src, parsed at @from, as a parse of the same bytes at @to. Only the
 * arguments the line has are copied (cmdline.h: args[0..nargs)): a copy
 * of the whole struct was most of the cost of a repeated line. */
static void
cmdline_copy(struct atp_cmdline *dst, const struct atp_cmdline *src, const void *from,
    const void *to, size_t len)
{
	size_t i, n = src->nargs < ATP_ARGS_MAX ? src->nargs : ATP_ARGS_MAX;

	dst->text = src->text;
	dst->name = src->name;
	dst->form = src->form;
	dst->argtext = src->argtext;
	dst->nargs = src->nargs;
	dst->term = src->term;
	dst->issues = src->issues;
	dst->cmd = src->cmd;
	rebase(&dst->text, from, to, len);
	rebase(&dst->name, from, to, len);
	rebase(&dst->argtext, from, to, len);
	rebase(&dst->term, from, to, len);
	for (i = 0; i < n; i++) {
		dst->args[i] = src->args[i];
		rebase(&dst->args[i].raw, from, to, len);
		rebase(&dst->args[i].value, from, to, len);
	}
}

/* Where module stream offset @off came from: the newest record that starts
 * at or before it (older than the ring: the oldest kept). */
static struct loc
module_loc(const struct ana_session *s, uint64_t off)
{
	size_t i;

	for (i = 0; i < s->rcount; i++) {
		size_t k = (s->rhead + LOC_RING - 1 - i) % LOC_RING;
		if (s->ring_off[k] <= off || i + 1 == s->rcount)
			return s->ring[k];
	}
	return s->cur;
}

static const char *
cmd_name(const struct pend *p)
{
	if (p->parsed && p->cl.cmd != NULL)
		return p->cl.cmd->name;
	return "";
}

/* The name of an exchange in the timing table: the command, "AT+" for the
 * null command, "+++" for the escape. */
static const char *
lat_name(const struct pend *p)
{
	if (p->parsed && p->cl.cmd != NULL)
		return p->cl.cmd->name[0] != '\0' ? p->cl.cmd->name : "AT+";
	if (!p->parsed && p->len == 3 && memcmp(p->text, "+++", 3) == 0)
		return "+++";
	return "?";
}

static int
name_is(const struct atp_cmd *c, const char *name)
{
	/* The first letter settles most of the many calls per response. */
	return c->name[0] == name[0] && strcmp(c->name, name) == 0;
}

static int
is_cmd(const struct pend *p, const char *name)
{
	return p->parsed && p->cl.cmd != NULL && name_is(p->cl.cmd, name);
}

/* The first argument as a socket number, or -1. */
static long
sock_arg(const struct pend *p)
{
	uint64_t n;

	if (!p->parsed || p->cl.nargs < 1 || atp_span_dec(p->cl.args[0].value, &n, SOCK_MAX - 1) != ATP_OK)
		return -1;
	return (long)n;
}

/* Printable form of a command line for messages; secrets masked. */
static const char *
show_cmd(const struct pend *p, char *buf, size_t size)
{
	if (p->parsed && p->cl.cmd != NULL && (p->cl.cmd->flags & ATP_CMD_SECRET) != 0)
		snprintf(buf, size, "AT+%s%s...", p->cl.cmd->name, atp_form_op(p->cl.form));
	else
		atp_span_escape(atp_span_make(p->text, p->len), buf, size);
	return buf;
}

/* Timing */

/* ana_report_lat() without its walk over the table for a name seen before
 * (names are the command table's, or literals: their address is theirs). */
static struct ana_lat *
lat_of(struct ana_session *s, const char *name)
{
	size_t k = (size_t)(((uint64_t)(uintptr_t)name * UINT64_C(0x9e3779b97f4a7c15)) >> 58) %
	    LAT_CACHE;
	struct ana_lat *l;

	if (s->latc[k].name == name && s->latc[k].idx < s->rep->nlat &&
	    s->rep->lat[s->latc[k].idx].name[0] == name[0])
		return &s->rep->lat[s->latc[k].idx];
	l = ana_report_lat(s->rep, name);
	if (l != NULL) {
		s->latc[k].name = name;
		s->latc[k].idx = (size_t)(l - s->rep->lat);
	}
	return l;
}

static uint32_t
lcg_next(struct ana_session *s)
{
	s->lcg = s->lcg * 1103515245u + 12345u;
	return s->lcg >> 8;
}

static void
time_exchange(struct ana_session *s, const struct pend *p, const struct loc *first,
    const struct loc *final)
{
	struct ana_lat *l;
	uint64_t lf, ll, lim;
	char buf[96];

	if (!p->at.timed || !first->timed || !final->timed || first->ts < p->at.ts ||
	    final->ts < p->at.ts)
		return;
	lf = first->ts - p->at.ts;
	ll = final->ts - p->at.ts;
	l = lat_of(s, lat_name(p));
	if (l == NULL) {
		s->oom = 1;
		return;
	}
	s->rep->st.exchanges_timed++;
	l->n++;
	if (lf > l->max_first)
		l->max_first = lf;
	if (ll > l->max_final)
		l->max_final = ll;
	/* A reservoir keeps the percentiles' memory bounded; the generator is
	 * fixed so that reports are reproducible. */
	if (l->nkept < ANA_LAT_KEEP)
		l->final_us[l->nkept++] = ll > UINT32_MAX ? UINT32_MAX : (uint32_t)ll;
	else {
		uint32_t k = lcg_next(s) % (uint32_t)l->n;
		if (k < ANA_LAT_KEEP)
			l->final_us[k] = ll > UINT32_MAX ? UINT32_MAX : (uint32_t)ll;
	}
	lim = l->limit_us != 0 ? l->limit_us : s->rep->limit_all_us;
	if (lim != 0 && ll > lim)
		add(s, R_LATENCY, ATP_SEV_WARNING, ATP_V_FAIL, p->parsed && p->cl.cmd != NULL ?
		    p->cl.cmd->section : "", l->name, final,
		    "%s: answered after %llu.%03llu ms, over the limit of %llu ms",
		    show_cmd(p, buf, sizeof(buf)), (unsigned long long)(ll / 1000),
		    (unsigned long long)(ll % 1000), (unsigned long long)(lim / 1000));
}

/* Flash-state rule */

static void
norm(struct atp_span v, char *out, size_t size)
{
	size_t i, n = 0;

	/* Quotes and spaces are how the value is written, not what it is. */
	for (i = 0; i < v.len && n + 1 < size; i++)
		if (v.p[i] != '"' && v.p[i] != ' ')
			out[n++] = (char)ATP_TOUPPER(v.p[i]);
	out[n] = '\0';
}

/* A value (a string of VAL_MAX at most) into a parameter's copy: up to its
 * NUL, not the whole array, as this runs on every answer to a setter. */
static void
val_set(char *dst, const char *v)
{
	memcpy(dst, v, strlen(v) + 1);
}

static struct param *
param_get(struct ana_session *s, const char *name, int create)
{
	size_t i;

	for (i = 0; i < s->nparams; i++)
		if (strcmp(s->params[i].name, name) == 0)
			return &s->params[i];
	if (!create || s->nparams >= PARAM_MAX)
		return NULL;
	memset(&s->params[s->nparams], 0, sizeof(s->params[0]));
	snprintf(s->params[s->nparams].name, sizeof(s->params[0].name), "%s", name);
	return &s->params[s->nparams++];
}

static int
same_value(const char *want, const char *got)
{
	size_t n = strlen(want);

	/* A query may answer more fields than were set (AT+NIP=!0 is
	 * answered +OK=0,<ip>,...): the value set must lead. */
	return strncmp(want, got, n) == 0 && (got[n] == '\0' || got[n] == ',');
}

static void
param_rule(struct ana_session *s, const struct pend *p, const struct atp_frame *f,
    const struct loc *at)
{
	const struct atp_cmd *c = p->parsed ? p->cl.cmd : NULL;
	struct param *pm;
	char v[VAL_MAX];
	size_t i;

	if (c == NULL || f->is_error)
		return;
	if (name_is(c, "Z")) {
		/* A reset keeps what is in flash and loses the rest (§2.1). */
		for (i = 0; i < s->nparams;) {
			pm = &s->params[i];
			if (!pm->has_flash) {
				s->params[i] = s->params[--s->nparams];
				continue;
			}
			memcpy(pm->ram, pm->flash, sizeof(pm->ram));
			pm->ram_differs = 0;
			pm->after_reset = 1;
			i++;
		}
		for (i = 0; i < SOCK_MAX; i++)
			if (s->sock[i] == SK_OPEN)
				s->sock[i] = SK_CLOSED;
		return;
	}
	if (name_is(c, "RSTF")) {
		s->nparams = 0;
		return;
	}
	if (name_is(c, "PMTF")) {
		/* §2.2.1.7: every parameter in RAM is saved to flash. */
		for (i = 0; i < s->nparams; i++) {
			memcpy(s->params[i].flash, s->params[i].ram, sizeof(s->params[i].ram));
			s->params[i].has_flash = 1;
			s->params[i].ram_differs = 0;
		}
		return;
	}
	if ((c->flags & ATP_CMD_PARAM) == 0)
		return;
	if (p->cl.form == ATP_FORM_SET || p->cl.form == ATP_FORM_FLASH) {
		pm = param_get(s, c->name, 1);
		if (pm == NULL)
			return;
		norm(p->cl.argtext, v, sizeof(v));
		val_set(pm->ram, v);
		pm->calibrated = 0;
		pm->after_reset = 0;
		if (p->cl.form == ATP_FORM_FLASH) {
			val_set(pm->flash, v);
			pm->has_flash = 1;
			pm->ram_differs = 0;
		} else {
			pm->ram_differs = !pm->has_flash || strcmp(pm->flash, v) != 0;
		}
		return;
	}
	if (p->cl.form != ATP_FORM_QUERY && p->cl.form != ATP_FORM_BARE)
		return;
	pm = param_get(s, c->name, 0);
	if (pm == NULL || f->body.len < 4)
		return;
	norm(atp_span_make(f->body.p + 4, f->body.len - 4), v, sizeof(v));
	if (!pm->after_reset && pm->ram_differs && !same_value(pm->ram, v)) {
		/* §2.1: "=" sets the value in RAM, and a query reads it back.
		 * The firmware reads some of them from flash (the deviation
		 * flash-read-getters). */
		const struct atp_deviation *dv = atp_deviation_find("flash-read-getters");
		char shown[VAL_MAX + 8];

		if ((c->flags & ATP_CMD_SECRET) != 0)
			snprintf(shown, sizeof(shown), "%s", "another value");
		else
			snprintf(shown, sizeof(shown), "\"%s\"", v);
		if (dv != NULL && atp_deviation_applies(dv, c, p->cl.form) &&
		    (!pm->has_flash || same_value(pm->flash, v)))
			add_dev(s, dv, atp_profile_has(s->o.prof, dv), c->name, at,
			    "AT+%s: set with = (RAM), the query answers %s: the flash copy", c->name,
			    shown);
		else
			add(s, R_READBACK, ATP_SEV_ERROR, ATP_V_FAIL, "2.1", c->name, at,
			    "AT+%s: set with = to what the query does not answer (it answers %s)",
			    c->name, shown);
		pm->ram_differs = 0;
		val_set(pm->ram, v);
		return;
	}
	if (!pm->has_flash)
		return;
	if (!pm->after_reset) {
		/* The module's own way of writing the value, learnt before the
		 * reset, is what to compare with after it. */
		if (!pm->ram_differs && !pm->calibrated && same_value(pm->flash, v)) {
			val_set(pm->flash, v);
			val_set(pm->ram, v);
			pm->calibrated = 1;
		}
		return;
	}
	if (!(pm->calibrated ? strcmp(pm->flash, v) == 0 : same_value(pm->flash, v))) {
		if ((c->flags & ATP_CMD_SECRET) != 0)
			add(s, R_FLASH_LOST, ATP_SEV_ERROR, ATP_V_FAIL, "2.1", c->name, at,
			    "AT+%s: the value saved with =! before AT+Z is not what the module "
			    "answers after it", c->name);
		else
			add(s, R_FLASH_LOST, ATP_SEV_ERROR, ATP_V_FAIL, "2.1", c->name, at,
			    "AT+%s: saved to flash as \"%s\" before AT+Z, answered \"%s\" after it",
			    c->name, pm->flash, v);
	}
	pm->after_reset = 0;
}

/* +SKTRPT=<sock>,...: the module names a live socket, which a TCP
 * server's accepted connection is without any AT+SKCT of the host's
 * (§2.2.3.13: they take numbers of their own). */
static void
report_opens(struct ana_session *s, const struct atp_frame *f)
{
	const uint8_t *b = f->body.p, *eq, *comma;
	uint64_t n;

	if (f->report == NULL || strcmp(f->report->name, "+SKTRPT") != 0 ||
	    (eq = memchr(b, '=', f->body.len)) == NULL ||
	    (comma = memchr(eq, ',', f->body.len - (size_t)(eq - b))) == NULL)
		return;
	if (atp_span_dec(atp_span_make(eq + 1, (size_t)(comma - eq - 1)), &n, SOCK_MAX - 1) ==
	    ATP_OK)
		s->sock[n] = SK_OPEN;
}

static int skstt_entry(const struct atp_frame *f, size_t i, uint64_t *sock,
    struct atp_span *host, uint64_t *port);

/* Protocol-state rules on a response */

static void
state_rules(struct ana_session *s, struct pend *p, const struct atp_frame *f,
    const struct loc *at)
{
	long sk = sock_arg(p);
	char buf[96];
	uint64_t n;

	if (!p->parsed || p->cl.cmd == NULL)
		return;
	if (is_cmd(p, "SKCT")) {
		if (!f->is_error && f->body.len > 4 &&
		    atp_span_dec(atp_span_make(f->body.p + 4, f->body.len - 4), &n, SOCK_MAX - 1) == ATP_OK)
			s->sock[n] = SK_OPEN;
		return;
	}
	if (sk >= 0 && (is_cmd(p, "SKSND") || is_cmd(p, "SKRCV") || is_cmd(p, "SKCLS") ||
	    is_cmd(p, "SKSDF") || is_cmd(p, "SKSTT"))) {
		enum sock_state st = s->sock[sk];
		/* §2.2.3.11-15: a socket number is what AT+SKCT returned. */
		if (st == SK_CLOSED || (st == SK_UNKNOWN && !is_cmd(p, "SKSTT")))
			show_cmd(p, buf, sizeof(buf));
		if (st == SK_CLOSED)
			add(s, R_SOCK_CLOSED, f->is_error ? ATP_SEV_WARNING : ATP_SEV_ERROR, ATP_V_FAIL,
			    p->cl.cmd->section, p->cl.cmd->name, &p->at,
			    f->is_error ? "%s: socket %ld was closed before (the module refused it)" :
			    "%s: socket %ld was closed before, yet the module answered +OK", buf, sk);
		else if (st == SK_UNKNOWN && !is_cmd(p, "SKSTT"))
			add(s, R_SOCK_UNOPENED, ATP_SEV_WARNING, ATP_V_INCONC, p->cl.cmd->section,
			    p->cl.cmd->name, &p->at,
			    "%s: socket %ld was not opened by AT+SKCT in this log (%s)", buf, sk,
			    f->is_error ? "the module refused it" : "the module answered +OK");
		if (is_cmd(p, "SKCLS") && !f->is_error)
			s->sock[sk] = SK_CLOSED;
		/* A server's accepted sockets, listed after it, are open. */
		if (is_cmd(p, "SKSTT") && !f->is_error) {
			struct atp_span host;
			uint64_t acc, port;
			size_t i;
			for (i = 1; i < f->nlines; i++)
				if (skstt_entry(f, i, &acc, &host, &port))
					s->sock[acc] = SK_OPEN;
		}
	}
	if (is_cmd(p, "WJOIN")) {
		s->wjoin = f->is_error ? 0 : 1;
		s->wjoin_at = *at;
		return;
	}
	if (is_cmd(p, "WLEAV")) {
		s->wjoin = -1;
		return;
	}
	if (is_cmd(p, "LKSTT") && s->wjoin >= 0 && !f->is_error && f->body.len > 4) {
		/* §2.2.3.4/§2.2.3.7: a join that answered +OK leaves the link up;
		 * one that answered +ERR leaves it down. */
		int up = f->body.p[4] == '1';
		if (up != s->wjoin)
			add(s, R_WJOIN_LKSTT, ATP_SEV_ERROR, ATP_V_FAIL, "2.2.3.7", "LKSTT", at,
			    "AT+WJOIN answered %s but the following AT+LKSTT says the link is %s",
			    s->wjoin ? "+OK" : "+ERR", up ? "up" : "down");
		s->wjoin = -1;
	}
}

/* Pending exchanges */

static struct pend *
pend_at(struct ana_session *s, size_t i)
{
	return &s->pend[(s->phead + i) % PEND_MAX];
}

static void
pend_drop_oldest(struct ana_session *s)
{
	s->phead = (s->phead + 1) % PEND_MAX;
	s->pcount--;
}

static void
missing(struct ana_session *s, struct pend *p, int at_end)
{
	char buf[96];
	struct ana_lat *l;
	struct cut old = taint_push(s, &p->cut);

	show_cmd(p, buf, sizeof(buf));
	if (p->busy_with != NULL) {
		/* §2.1.1.1: a command that arrives while another is being
		 * processed is silently discarded. The host should not have
		 * sent it; the module did what the manual says. */
		add(s, R_BUSY, ATP_SEV_WARNING, ATP_V_FAIL, "2.1.1.1", cmd_name(p), &p->at,
		    "%s: sent while AT+%s was still running; discarded without a response, as "
		    "the manual says", buf, p->busy_with);
		s->taint = old;
		return;
	}
	s->rep->st.unanswered++;
	l = lat_of(s, lat_name(p));
	if (l != NULL)
		l->missing++;
	if (at_end)
		add(s, R_RESP_MISSING, ATP_SEV_WARNING, ATP_V_INCONC, "2.1", cmd_name(p), &p->at,
		    "%s: no response before the log ends", buf);
	else
		add(s, R_RESP_MISSING, ATP_SEV_ERROR, ATP_V_FAIL, "2.1", cmd_name(p), &p->at,
		    "%s: never answered (the next command was sent)", buf);
	s->taint = old;
}

/* Re-tells the framer which commands are pending after one was dropped. */
static void
reexpect(struct ana_session *s)
{
	size_t i;

	atp_framer_expect_clear(s->fr);
	for (i = 0; i < s->pcount; i++) {
		struct pend *p = pend_at(s, i);
		if (p->parsed && p->cl.cmd != NULL)
			atp_framer_expect(s->fr, p->cl.cmd, p->cl.form);
		else
			atp_framer_expect(s->fr, NULL, ATP_FORM_BARE);
	}
}

static void on_frame(void *ctx, const struct atp_frame *f);

/*
 * Echo state (§2.2.1.3; w600-firmware.md §1: off at boot, toggled by AT+E,
 * not kept in flash; the line is echoed on receipt, so AT+E is echoed when
 * it turns echo off, not when it turns it on). Known after a reset, or from
 * the first exchange seen; each exchange must then follow it.
 */
static void
echo_rule(struct ana_session *s, const struct pend *p, const struct atp_frame *f)
{
	char buf[96];

	if (!p->parsed || s->transparent || s->o.notation)
		return;
	if (s->echo_known && p->echoed != s->echo_on) {
		show_cmd(p, buf, sizeof(buf));
		add(s, R_ECHO_STATE, ATP_SEV_ERROR, ATP_V_FAIL, "2.2.1.3", cmd_name(p), &p->at,
		    p->echoed ? "%s: echoed although echo is off (since %s:%lu)" :
		    "%s: not echoed although echo is on (since %s:%lu)", buf,
		    s->echo_at.file != NULL ? s->echo_at.file : "?", s->echo_at.line);
	}
	/* An exchange the capture cut says nothing sure of the state. */
	if (s->taint.set)
		return;
	s->echo_known = 1;
	s->echo_on = p->echoed;
	s->echo_at = p->at;
	if (is_cmd(p, "E") && !f->is_error)
		s->echo_on = !p->echoed;
	if (is_cmd(p, "Z") && !f->is_error)
		s->echo_on = 0;   /* the module boots with echo off */
}

/* Whether response @f has the shape of a reply to @p (an error fits any
 * command; an unknown command fits anything). */
static int
fits(const struct pend *p, const struct atp_frame *f)
{
	const struct atp_shape *sh;
	struct atp_match m;

	if (f->is_error || !p->parsed || p->cl.cmd == NULL)
		return 1;
	sh = atp_cmd_reply_shape(p->cl.cmd, p->cl.form);
	if (sh == NULL)
		return 1;
	if (atp_shape_match(sh, f->body, &m) != ATP_OK)
		return 1;
	return m.matched || m.too_complex;
}

/* The network correlator */

static struct ana_loc
nloc(const struct loc *l)
{
	struct ana_loc a;

	a.file = l->file;
	a.line = l->line;
	a.off = l->off;
	a.ts = l->ts;
	a.timed = l->timed;
	return a;
}

static struct atp_span
arg(const struct pend *p, size_t i)
{
	return i < p->cl.nargs ? p->cl.args[i].value : atp_span_make(NULL, 0);
}

/* Entry @i (>= 1) of AT+SKSTT's answer: a TCP server's accepted socket,
 * <socket>,<status>,<host>,<HostPort>,... (§2.2.3.13). 0 when it does not
 * read so. */
static int
skstt_entry(const struct atp_frame *f, size_t i, uint64_t *sock, struct atp_span *host,
    uint64_t *port)
{
	struct atp_span l, fld[4];
	struct atp_cur c;
	size_t k;

	if (atp_frame_line(f, i, &l, NULL) != ATP_OK)
		return 0;
	c = atp_cur_make(l.p, l.len);
	for (k = 0; k < 4; k++) {
		const uint8_t *comma = c.left > 0 ? memchr(c.p, ',', c.left) : NULL;
		size_t fl = comma != NULL ? (size_t)(comma - c.p) : c.left;
		if (atp_cur_take(&c, fl, &fld[k]) != ATP_OK || (k < 3 && comma == NULL))
			return 0;
		if (comma != NULL)
			(void)atp_cur_lit(&c, ",");
	}
	*host = fld[2];
	return atp_span_dec(fld[0], sock, SOCK_MAX - 1) == ATP_OK &&
	    atp_span_dec(fld[3], port, 65535) == ATP_OK;
}

/* The accepted sockets AT+SKSTT listed: their numbers and peers tie them
 * to connections. */
static void
net_skstt(struct ana_net *n, const struct atp_frame *f, const struct ana_loc *at)
{
	struct atp_span host;
	uint64_t sock, port;
	size_t i;

	for (i = 1; i < f->nlines; i++)
		if (skstt_entry(f, i, &sock, &host, &port))
			ana_net_peer(n, (long)sock, host, port, at);
}

/* A command answered +OK: what it says about sockets, names and MQTT
 * (§2.2.3, §2.2.4) goes to the correlator. */
static void
net_response(struct ana_session *s, const struct pend *p, const struct atp_frame *f)
{
	struct ana_net *n = s->o.net;
	struct ana_loc at;
	uint64_t v = 0, proto = 0, cs = 0, port = 0, lport = 0;

	if (n == NULL || f->is_error || !p->parsed || p->cl.cmd == NULL)
		return;
	at = nloc(&p->at);
	if (is_cmd(p, "SKCT")) {
		if (f->body.len > 4 && atp_span_dec(atp_span_make(f->body.p + 4, f->body.len - 4), &v,
		    SOCK_MAX - 1) == ATP_OK && p->cl.nargs >= 4 &&
		    atp_span_dec(arg(p, 0), &proto, 1) == ATP_OK &&
		    atp_span_dec(arg(p, 1), &cs, 1) == ATP_OK &&
		    atp_span_dec(arg(p, 3), &port, 65535) == ATP_OK) {
			/* A server listens on its local port when it has one
			 * (firmware §3: the five-argument form). */
			if (cs == 1 && atp_span_dec(arg(p, 4), &lport, 65535) == ATP_OK && lport != 0)
				port = lport;
			ana_net_skct(n, (long)v, proto == 1, cs == 1, arg(p, 2), port, &at);
		}
	} else if (is_cmd(p, "SKCLS")) {
		ana_net_skcls(n, sock_arg(p));
	} else if (is_cmd(p, "SKSTT")) {
		net_skstt(n, f, &at);
	} else if (is_cmd(p, "SKSND")) {
		s->tx_sock = sock_arg(p);
		s->tx_first = 1;
		s->tx_at = p->at;
	} else if (is_cmd(p, "SKRCV")) {
		s->rx_sock = sock_arg(p);
		s->rx_first = 1;
		s->rx_announced = 0;
	} else if (is_cmd(p, "SKGHBN")) {
		ana_net_dns(n, arg(p, 0), f->body.len > 4 ?
		    atp_span_make(f->body.p + 4, f->body.len - 4) : atp_span_make(NULL, 0), &at);
	} else if (is_cmd(p, "HTTPC")) {
		if (atp_span_dec(arg(p, 1), &v, 9) == ATP_OK)
			ana_net_httpc(n, arg(p, 0), v, arg(p, 2), &at);
	} else if (is_cmd(p, "MSERVER")) {
		ana_net_mqtt(n, ANA_MQ_SERVER, arg(p, 0), arg(p, 1), &at);
	} else if (is_cmd(p, "MID")) {
		ana_net_mqtt(n, ANA_MQ_ID, arg(p, 0), atp_span_make(NULL, 0), &at);
	} else if (is_cmd(p, "MPUB")) {
		ana_net_mqtt(n, ANA_MQ_PUB, arg(p, 0), arg(p, 3), &at);
	} else if (is_cmd(p, "MSUB")) {
		ana_net_mqtt(n, ANA_MQ_SUB, arg(p, 0), atp_span_make(NULL, 0), &at);
	}
}

/* "+SKTRPT=<sock>,<len>,..." (§2.2.3.17), "+MTOPIC:<len>,<topic>",
 * "+MQD:<len>,<data>" (§2.2.4.7): the fields the correlator needs. */
static void
net_report(struct ana_session *s, const struct atp_frame *f)
{
	struct ana_loc at = nloc(&s->vloc);
	const uint8_t *b = f->body.p, *c1, *c2;
	size_t len = f->body.len, k;
	uint64_t sock = 0, n = 0;

	if (s->o.net == NULL || f->report == NULL)
		return;
	for (k = 0; k < len && b[k] != '=' && b[k] != ':'; k++)
		;
	if (k == len)
		return;
	c1 = memchr(b + k, ',', len - k);
	if (strcmp(f->report->name, "+SKTRPT") == 0) {
		s->rx_sock = -1;
		if (c1 == NULL)
			return;
		c2 = memchr(c1 + 1, ',', len - (size_t)(c1 + 1 - b));
		if (atp_span_dec(atp_span_make(b + k + 1, (size_t)(c1 - (b + k + 1))), &sock,
		    SOCK_MAX - 1) != ATP_OK ||
		    atp_span_dec(atp_span_make(c1 + 1, (size_t)((c2 != NULL ? c2 : b + len) - (c1 + 1))),
		    &n, 1u << 20) != ATP_OK)
			return;
		s->rx_sock = (long)sock;
		s->rx_first = 1;
		s->rx_announced = n;
		/* <ip>,<port>: the peer, which ties a server's accepted socket. */
		if (c2 != NULL) {
			const uint8_t *c3 = memchr(c2 + 1, ',', len - (size_t)(c2 + 1 - b));
			uint64_t pp = 0;
			if (c3 != NULL && atp_span_dec(atp_span_make(c3 + 1, len - (size_t)(c3 + 1 - b)),
			    &pp, 65535) == ATP_OK)
				ana_net_peer(s->o.net, s->rx_sock, atp_span_make(c2 + 1,
				    (size_t)(c3 - (c2 + 1))), pp, &at);
		}
	} else if (strcmp(f->report->name, "+MTOPIC") == 0 && c1 != NULL) {
		ana_net_mqtt(s->o.net, ANA_MQ_TOPIC, atp_span_make(b + k + 1, (size_t)(c1 - (b + k + 1))),
		    atp_span_make(c1 + 1, len - (size_t)(c1 + 1 - b)), &at);
	} else if (strcmp(f->report->name, "+MQD") == 0 && c1 != NULL) {
		ana_net_mqtt(s->o.net, ANA_MQ_DATA, atp_span_make(b + k + 1, (size_t)(c1 - (b + k + 1))),
		    atp_span_make(c1 + 1, len - (size_t)(c1 + 1 - b)), &at);
	} else if (strcmp(f->report->name, "+HTTPCRPT") == 0) {
		s->rx_sock = -2;   /* the body of the last AT+HTTPC */
	} else if ((f->report->flags & ATP_RPT_DATA_COUNTED) != 0) {
		s->rx_sock = -1;
	}
}

/* Whether @m holds the line of @p (its first @cl_len bytes) and frame @f. */
static int
rsp_memo_is(const struct rsp_memo *m, const struct pend *p, size_t cl_len, int parsed,
    const struct atp_frame *f, size_t term_off)
{
	return m->len == cl_len + f->bytes.len && m->cl_len == cl_len && m->parsed == parsed &&
	    m->flags == f->flags && m->body_len == f->body.len && m->term_off == term_off &&
	    m->term_len == f->term.len && m->nlines == f->nlines && m->is_error == f->is_error &&
	    m->errcode_ok == f->errcode_ok && m->errcode == f->errcode && m->cmd == f->cmd &&
	    m->form == f->form && m->report == f->report &&
	    memcmp(m->key, p->text, cl_len) == 0 &&
	    memcmp(m->key + cl_len, f->bytes.p, f->bytes.len) == 0;
}

/* The validator on the response @f to @p, or what it said of the same line
 * and frame before. */
static void
check_response(struct ana_session *s, const struct pend *p, const struct atp_frame *f)
{
	const struct atp_cmdline *cl = p->parsed ? &p->cl : NULL;
	size_t cl_len = cl != NULL ? p->plen : 0;
	size_t term_off = 0;
	struct rsp_memo *m = NULL;
	size_t set, w;

	if (f->body.p == f->bytes.p && f->body.len <= f->bytes.len && f->term.p != NULL &&
	    f->term.p >= f->bytes.p && f->term.len <= f->bytes.len &&
	    (size_t)(f->term.p - f->bytes.p) <= f->bytes.len - f->term.len &&
	    f->bytes.len > 0 && cl_len + f->bytes.len <= MEMO_RKEY) {
		term_off = (size_t)(f->term.p - f->bytes.p);
		set = memo_hash_ends(cl != NULL ? p->hash : 0, f->bytes.p, f->bytes.len) &
		    (MEMO_SETS - 1);
		for (w = 0; w < MEMO_WAYS; w++) {
			m = &s->rmemo[set][w];
			if (rsp_memo_is(m, p, cl_len, cl != NULL, f, term_off)) {
				memo_replay(s, &m->mf);
				return;
			}
		}
		m = &s->rmemo[set][way_next(&s->rnext[set])];
		m->len = 0;
		memset(&m->mf, 0, sizeof(m->mf));
	}
	s->recording = m != NULL ? &m->mf : NULL;
	if (atp_validate_response(cl, f, s->o.prof, on_finding, s) != ATP_OK && m != NULL)
		m->mf.full = 1;
	s->recording = NULL;
	if (m == NULL || m->mf.full)
		return;
	memcpy(m->key, p->text, cl_len);
	memcpy(m->key + cl_len, f->bytes.p, f->bytes.len);
	m->cl_len = cl_len;
	m->parsed = cl != NULL;
	m->flags = f->flags;
	m->body_len = f->body.len;
	m->term_off = term_off;
	m->term_len = f->term.len;
	m->nlines = f->nlines;
	m->is_error = f->is_error;
	m->errcode_ok = f->errcode_ok;
	m->errcode = f->errcode;
	m->cmd = f->cmd;
	m->form = f->form;
	m->report = f->report;
	m->len = cl_len + f->bytes.len;
}

static void
on_response(struct ana_session *s, const struct atp_frame *f)
{
	struct loc first = module_loc(s, f->offset);
	struct pend *p;
	char buf[96];
	int resync_framer = 0;

	s->rep->st.responses++;
	s->vloc = first;
	s->vcmd = NULL;
	if (s->data_left > 0) {
		/* The module answered while the host still owed SKSND bytes: the
		 * firmware would have taken what followed as data. */
		struct cut old = taint_push(s, &s->data_cut);
		add(s, R_DATA_SHORT, ATP_SEV_ERROR, ATP_V_FAIL, "2.2.3.11", "SKSND", &s->data_at,
		    "AT+SKSND: %llu of %llu announced bytes sent before the next exchange",
		    (unsigned long long)s->data_done, (unsigned long long)s->data_total);
		s->taint = old;
		s->data_left = 0;
	}
	if (s->pcount == 0) {
		if (!s->seen_cmd) {
			if (!s->resync_noted++)
				add(s, R_RESYNC, ATP_SEV_INFO, ATP_V_PASS, "2.1", NULL, &first,
				    "a response before the first command of the log: the log "
				    "starts mid-exchange; decoding starts at the first command");
			return;
		}
		/* Host bytes the capture cut, that no line took, may have
		 * been the command this answers. */
		(void)taint_push(s, &s->hlost);   /* on_frame() puts it back */
		s->hlost.set = 0;
		s->rep->st.unsolicited++;
		add(s, R_RESP_UNSOL, ATP_SEV_ERROR, ATP_V_FAIL, "2.1", NULL, &first,
		    "a response no command asked for: \"%s\"",
		    (atp_span_escape(f->body, buf, sizeof(buf)), buf));
		atp_validate_response(NULL, f, s->o.prof, on_finding, s);
		return;
	}
	/* A command sent while a blocking one ran may have been discarded
	 * (§2.1.1.1): when this response is not its shape but is the next
	 * command's, the module discarded it. */
	while (s->pcount >= 2 && pend_at(s, 0)->busy_with != NULL && !fits(pend_at(s, 0), f) &&
	    fits(pend_at(s, 1), f)) {
		missing(s, pend_at(s, 0), 0);
		pend_drop_oldest(s);
		resync_framer = 1;
	}
	p = pend_at(s, 0);
	(void)taint_push(s, &p->cut);   /* on_frame() puts it back */
	s->vcmd = cmd_name(p);
	s->vbefore = atp_span_make(p->text, p->len);
	check_response(s, p, f);
	/* A response whose end the capture cut is flushed when the host next
	 * speaks: it ended no later than the module's last record. */
	time_exchange(s, p, &first, s->mcut_open && (f->flags & ATP_FRF_INCOMPLETE) != 0 ?
	    &s->mlast : &s->cur);
	if (p->busy_with != NULL) {
		/* The host should have waited; and the module, by §2.1.1.1,
		 * should have discarded the command, not answered it (the
		 * firmware queues it: the deviation queue-not-discard). */
		const struct atp_deviation *dv = atp_deviation_find("queue-not-discard");
		int known = dv != NULL && atp_profile_has(s->o.prof, dv);

		show_cmd(p, buf, sizeof(buf));
		add(s, R_BUSY, ATP_SEV_WARNING, ATP_V_FAIL, "2.1.1.1", cmd_name(p), &p->at,
		    "%s: sent while AT+%s was still running", buf, p->busy_with);
		add_dev(s, dv, known, cmd_name(p), &first,
		    "%s: answered (%s) though sent while AT+%s was running: the manual discards it",
		    buf, f->is_error ? "an error" : "+OK", p->busy_with);
	}
	echo_rule(s, p, f);
	state_rules(s, p, f, &first);
	param_rule(s, p, f, &first);
	net_response(s, p, f);
	if (is_cmd(p, "SKSND") && s->await_sksnd) {
		uint64_t n = 0;
		s->await_sksnd = 0;
		if (!f->is_error && f->body.len > 4 &&
		    atp_span_dec(atp_span_make(f->body.p + 4, f->body.len - 4), &n, 1u << 20) == ATP_OK &&
		    n > 0) {
			s->data_left = n;
			s->data_total = n;
			s->data_done = 0;
			s->data_cut.set = 0;
		}
	}
	if (is_cmd(p, "SKRCV"))
		s->last_data_ctx = 1;
	if (is_cmd(p, "ENTM") && !f->is_error) {
		/* §2.2.1.4: from here every byte is data until "+++". */
		s->transparent = 1;
		if (atp_framer_transparent(s->fr, 1, on_frame, s) != ATP_OK)
			s->oom = 1;
	}
	pend_drop_oldest(s);
	/* The framer paired this response with the command dropped above:
	 * tell it again which commands are still to be answered. */
	if (resync_framer)
		reexpect(s);
}

/* Whether frame @f holds the place of bytes the capture cut from the
 * module's stream: its findings are then undecided (s->taint). Holes
 * before the frame are behind the framer and dropped. */
static void
frame_cut(struct ana_session *s, const struct atp_frame *f)
{
	uint64_t a = f->offset, e = f->offset + f->bytes.len;

	while (s->nholes > 0) {
		struct cut *h = &s->holes[s->hole_head];
		if (h->off < a) {
			s->hole_head = (s->hole_head + 1) % HOLE_MAX;
			s->nholes--;
			continue;
		}
		/* Inside it, at its start (its first bytes may be what was
		 * cut), or at the end of a frame that never ended (what was
		 * cut was its end). */
		if (h->off < e || (h->off == e && (f->flags & ATP_FRF_INCOMPLETE) != 0)) {
			if (!s->taint.set)
				s->taint = *h;
			if (h->off == e) {
				s->hole_head = (s->hole_head + 1) % HOLE_MAX;
				s->nholes--;
			}
		}
		break;
	}
}

static void on_frame_kind(struct ana_session *s, const struct atp_frame *f);

static void
on_frame(void *ctx, const struct atp_frame *f)
{
	struct ana_session *s = ctx;
	struct cut old = s->taint;

	if (s->nholes > 0)
		frame_cut(s, f);
	s->vbytes = f->bytes;
	on_frame_kind(s, f);
	s->vbytes = s->vbefore = atp_span_make(NULL, 0);
	s->taint = old;
}

static void
on_frame_kind(struct ana_session *s, const struct atp_frame *f)
{
	struct ana_stats *st = &s->rep->st;
	char buf[96];

	/* The module's side of the chart (an echo is the host's line). */
	if (s->has_chart && f->kind != ATP_FRAME_ECHO) {
		if (chart_of(s)->n >= ANA_CHART_MSGS) {
			chart_of(s)->total++;
		} else {
			struct loc at = module_loc(s, f->offset);
			if (f->kind == ATP_FRAME_DATA)
				chart_data(s, ANA_LANE_MODULE, ANA_LANE_HOST, &at, f->body.len);
			else
				chart_text(s, ANA_LANE_MODULE, ANA_LANE_HOST, &at, f->body);
		}
	}
	switch (f->kind) {
	case ATP_FRAME_RESPONSE:
		on_response(s, f);
		return;
	case ATP_FRAME_REPORT:
		st->reports++;
		s->vloc = module_loc(s, f->offset);
		s->vcmd = NULL;
		if (f->report != NULL && (f->report->flags & ATP_RPT_DATA_COUNTED) != 0)
			s->last_data_ctx = 2;
		atp_validate_report(f, s->o.prof, on_finding, s);
		report_opens(s, f);
		net_report(s, f);
		return;
	case ATP_FRAME_ECHO:
		st->echoes++;
		s->vloc = module_loc(s, f->offset);
		/* The line the host sent lost bytes in the capture: the echo
		 * cannot be held against it. */
		(void)taint_push(s, &s->sent_cut);
		/* §2.2.1.3: with echo on, the module repeats the line it got. */
		if (s->last_sent_len > 0 && (f->flags & (ATP_FRF_CONTINUED | ATP_FRF_TRUNCATED)) == 0 &&
		    !atp_span_eq_span(f->body, atp_span_make(s->last_sent, s->last_sent_len)))
			add(s, R_ECHO, ATP_SEV_ERROR, ATP_V_FAIL, "2.2.1.3", NULL, &s->vloc,
			    "the echo \"%s\" is not the line the host sent",
			    (atp_span_escape(f->body, buf, sizeof(buf)), buf));
		else {
			/* The first pending command with this line was echoed. */
			size_t i;
			for (i = 0; i < s->pcount; i++) {
				struct pend *q = pend_at(s, i);
				if (!q->echoed && atp_span_eq_span(f->body, atp_span_make(q->text, q->len))) {
					q->echoed = 1;
					break;
				}
			}
		}
		atp_validate_other(f, s->o.prof, on_finding, s);
		return;
	case ATP_FRAME_DATA:
		st->data_frames++;
		if (s->transparent)
			st->transparent_bytes += f->body.len;
		else if (s->last_data_ctx == 1)
			st->skrcv_bytes += f->body.len;
		else
			st->sktrpt_bytes += f->body.len;
		s->vloc = module_loc(s, f->offset);
		if (s->o.net != NULL && !s->transparent && s->rx_sock == -2)
			ana_net_http_body(s->o.net, f->body.p, f->body.len);
		if (s->o.net != NULL && !s->transparent && s->rx_sock >= 0) {
			struct ana_loc at = nloc(&s->vloc);
			/* SKRCV: its +OK=<n>, as the framer counts the data. */
			ana_net_recv(s->o.net, s->rx_sock, s->rx_announced != 0 ? s->rx_announced :
			    f->data_total, f->body.p, f->body.len, s->rx_first, &at);
			s->rx_first = 0;
			if (s->taint.set) {
				/* The capture cut bytes of this delivery. */
				struct ana_loc cut = nloc(&s->taint.at);
				ana_net_cut(s->o.net, s->rx_sock, 1, 0, s->taint.len, &cut);
			}
		}
		atp_validate_other(f, s->o.prof, on_finding, s);
		return;
	case ATP_FRAME_TEXT:
	case ATP_FRAME_STRAY:
		st->text_frames++;
		s->vloc = module_loc(s, f->offset);
		s->vcmd = NULL;
		if (!s->seen_cmd) {
			if (!s->resync_noted++)
				add(s, R_RESYNC, ATP_SEV_INFO, ATP_V_PASS, "2.1", NULL, &s->vloc,
				    "module output before the first command of the log: the log "
				    "starts mid-stream; decoding starts at the first command");
			return;
		}
		atp_validate_other(f, s->o.prof, on_finding, s);
		return;
	}
}

/* Host side */

/* memcpy() of a command line, kept out of line: inlined, the compiler made
 * it a "rep movs", whose start-up cost was most of host_line() for the
 * short lines of a log (issue 8). */
static void __attribute__((noinline))
copy_text(char *dst, const uint8_t *src, size_t n)
{
	memcpy(dst, src, n);
}

/* Parses and validates the command line of @p (text[0..plen)), or replays
 * what was said of the same bytes before. */
static void
host_parse(struct ana_session *s, struct pend *p)
{
	struct cmd_memo *m = NULL;
	struct atp_diag d;
	size_t set, w;

	p->hash = memo_hash_ends(0, (const uint8_t *)p->text, p->plen);
	if (p->plen > 0 && p->plen <= MEMO_CKEY) {
		set = p->hash & (MEMO_SETS - 1);
		for (w = 0; w < MEMO_WAYS; w++) {
			m = &s->cmemo[set][w];
			if (m->len != p->plen || memcmp(m->key, p->text, p->plen) != 0)
				continue;
			p->parsed = m->parsed;
			cmdline_copy(&p->cl, &m->cl, m->key, p->text, p->plen);
			s->vcmd = p->parsed && p->cl.cmd != NULL ? p->cl.cmd->name : NULL;
			if (p->parsed)
				memo_replay(s, &m->mf);
			return;
		}
		m = &s->cmemo[set][way_next(&s->cnext[set])];
		m->len = 0;
		memset(&m->mf, 0, sizeof(m->mf));
	}
	atp_diag_clear(&d);
	if (atp_cmdline_parse(atp_span_make(p->text, p->plen), &p->cl, &d) == ATP_OK)
		p->parsed = 1;
	s->vcmd = p->parsed && p->cl.cmd != NULL ? p->cl.cmd->name : NULL;
	s->recording = m != NULL ? &m->mf : NULL;
	if (p->parsed)
		atp_validate_cmdline(&p->cl, s->host_off, s->o.prof, on_finding, s);
	s->recording = NULL;
	if (m != NULL && !m->mf.full) {
		memcpy(m->key, p->text, p->plen);
		m->parsed = p->parsed;
		cmdline_copy(&m->cl, &p->cl, p->text, m->key, p->plen);
		m->len = p->plen;
	}
}

static void
host_line(struct ana_session *s, struct atp_span line, struct atp_span term)
{
	struct pend *p;
	struct cut old;
	size_t i;

	s->rep->st.commands++;
	s->seen_cmd = 1;
	/* A command left unanswered for long while a new one goes out was
	 * never answered: drop it so the pairing does not slip. */
	while (s->pcount > 0) {
		struct pend *o = pend_at(s, 0);
		int blocking = o->parsed && o->cl.cmd != NULL && (o->cl.cmd->flags & ATP_CMD_BLOCKING);
		/* With no times (a text notation), the log is read as the
		 * half-duplex dialogue it prints: a new command means the
		 * module had nothing more to say to the last one. */
		int untimed = !o->at.timed && !s->cur.timed;
		if (!untimed && (blocking || !o->at.timed || !s->cur.timed ||
		    s->cur.ts < o->at.ts || s->cur.ts - o->at.ts < STALE_US))
			break;
		missing(s, o, 0);
		pend_drop_oldest(s);
		reexpect(s);
	}
	if (s->pcount == PEND_MAX) {
		missing(s, pend_at(s, 0), 0);
		pend_drop_oldest(s);
	}
	p = &s->pend[(s->phead + s->pcount) % PEND_MAX];
	/* Field by field: the text and the parse are written below, and
	 * clearing the whole slot was a tenth of the work per command. */
	p->parsed = 0;
	p->busy_with = NULL;
	p->echoed = 0;
	p->sksnd_size = 0;
	/* A line the capture cut (host_gap()) carries the cut along. */
	p->cut = s->line_cut;
	s->line_cut.set = 0;
	s->sent_cut = p->cut;
	/* The host speaks again: what was cut before is behind it. */
	s->hlost.set = 0;
	p->len = line.len < ATP_LINE_MAX ? line.len : ATP_LINE_MAX;
	copy_text(p->text, line.p, p->len);
	p->at = s->cur;
	copy_text(s->last_sent, line.p, p->len);
	s->last_sent_len = p->len;
	/* Parsed with its terminator, as the firmware got it; the spans
	 * point into the slot's own copy. */
	for (i = 0; i < term.len && i < 2; i++)
		p->text[p->len + i] = (char)term.p[i];
	p->plen = p->len + i;
	s->vloc = s->cur;
	chart_text(s, ANA_LANE_HOST, ANA_LANE_MODULE, &s->cur, line);
	old = taint_push(s, &p->cut);
	s->vbytes = atp_span_make(p->text, p->plen);
	host_parse(s, p);
	s->vbytes = atp_span_make(NULL, 0);
	s->taint = old;
	/* A blocking command (join, scan, connect) still running. */
	for (i = 0; i < s->pcount; i++) {
		struct pend *o = pend_at(s, i);
		if (o->parsed && o->cl.cmd != NULL && (o->cl.cmd->flags & ATP_CMD_BLOCKING) != 0) {
			p->busy_with = o->cl.cmd->name;
			break;
		}
	}
	s->pcount++;
	atp_framer_expect(s->fr, p->parsed ? p->cl.cmd : NULL, p->parsed ? p->cl.form : ATP_FORM_BARE);
	if (is_cmd(p, "SKSND")) {
		s->await_sksnd = 1;
		s->data_at = s->cur;
	}
}

static int
starts_cmd(const uint8_t *p, size_t len)
{
	return len >= 3 && ATP_TOUPPER(p[0]) == 'A' && ATP_TOUPPER(p[1]) == 'T' && p[2] == '+';
}

/* The host sent "+++": a pending exchange with no command line. */
static void
escape_sent(struct ana_session *s)
{
	struct pend *p;

	if (s->pcount == PEND_MAX) {
		missing(s, pend_at(s, 0), 0);
		pend_drop_oldest(s);
	}
	p = &s->pend[(s->phead + s->pcount) % PEND_MAX];
	memset(p, 0, sizeof(*p));
	memcpy(p->text, "+++", 3);
	p->len = 3;
	p->at = s->cur;
	s->pcount++;
	atp_framer_expect(s->fr, NULL, ATP_FORM_BARE);
}

/* @p is one command line and its terminator, nothing else. */
static int
is_whole_cmd(const uint8_t *p, size_t len)
{
	size_t body = len;

	if (!starts_cmd(p, len) || len > ATP_LINE_MAX + 2)
		return 0;
	while (body > 0 && (p[body - 1] == '\r' || p[body - 1] == '\n'))
		body--;
	return body < len && len - body <= 2 && memchr(p, '\r', body) == NULL &&
	    memchr(p, '\n', body) == NULL;
}

static void
host_garbage(struct ana_session *s, struct atp_span g)
{
	size_t i;
	char buf[96];

	for (i = 0; i < g.len; i++)
		if (g.p[i] != '\r' && g.p[i] != '\n' && g.p[i] != ' ')
			break;
	if (i == g.len || !s->seen_cmd)
		return;
	add(s, R_HOST_GARBAGE, ATP_SEV_WARNING, ATP_V_FAIL, "2.1", NULL, &s->cur,
	    "the host sent %zu bytes that are no command line: \"%s\"", g.len,
	    (atp_span_escape(g, buf, sizeof(buf)), buf));
}

static void
host_bytes(struct ana_session *s, const uint8_t *p, size_t len)
{
	while (len > 0) {
		struct atp_cur c;
		struct atp_span g, line, term;
		size_t n, used;
		int rc;

		/* "+++" alone leaves transparent mode (§2.2.1.4); the firmware
		 * answers it with +OK, in command mode too (w600-firmware.md
		 * §8, "Leaving with +++"): it is an exchange of its own. */
		if (s->hlen == 0 && s->data_left == 0 && len == 3 && memcmp(p, "+++", 3) == 0) {
			if (s->transparent) {
				s->transparent = 0;
				if (atp_framer_transparent(s->fr, 0, on_frame, s) != ATP_OK)
					s->oom = 1;
			}
			escape_sent(s);
			return;
		}
		if (s->transparent) {
			/* In a log with no times, a whole command line is taken
			 * as the end of the mode, with a finding: such logs
			 * often leave the "+++" out (the manual's own examples
			 * do). A timed capture is read as the firmware would:
			 * the line is data. */
			if (s->hlen == 0 && !s->cur.timed && is_whole_cmd(p, len)) {
				add(s, R_TRANSP_EXIT, ATP_SEV_WARNING, ATP_V_INCONC, "2.2.1.4", "ENTM",
				    &s->cur, "a command line in transparent mode with no \"+++\" "
				    "before it: taken as the end of transparent mode");
				s->transparent = 0;
				if (atp_framer_transparent(s->fr, 0, on_frame, s) != ATP_OK)
					s->oom = 1;
				continue;
			}
			s->rep->st.transparent_bytes += len;
			return;
		}
		if (s->data_left > 0 && s->data_done == 0 && s->hlen == 0 && !s->cur.timed &&
		    is_whole_cmd(p, len)) {
			/* In a text notation with no times, a whole command
			 * line where the payload should start means the log
			 * left the payload out (the firmware would take the
			 * line as data, and a timed capture is read so). */
			add(s, R_DATA_SHORT, ATP_SEV_ERROR, ATP_V_FAIL, "2.2.3.11", "SKSND", &s->data_at,
			    "AT+SKSND: none of the %llu announced bytes were sent before the next "
			    "command line", (unsigned long long)s->data_total);
			s->data_left = 0;
		}
		if (s->data_left > 0) {
			n = len < s->data_left ? len : (size_t)s->data_left;
			s->data_left -= n;
			s->data_done += n;
			s->rep->st.sksnd_bytes += n;
			chart_data(s, ANA_LANE_HOST, ANA_LANE_MODULE, &s->cur, n);
			if (s->o.net != NULL && s->tx_sock >= 0) {
				struct ana_loc at = nloc(&s->tx_at);
				/* Held bytes (replay_held()) are a copy: by value. */
				uintptr_t a = (uintptr_t)p, b = (uintptr_t)s->ref_p;
				if (s->ref_p != NULL && a >= b && a - b <= s->ref_len &&
				    n <= s->ref_len - (a - b))
					ana_net_sent_ref(s->o.net, s->tx_sock, p, n, s->tx_first, &at,
					    s->o.src, s->ref_off + (a - b));
				else
					ana_net_sent(s->o.net, s->tx_sock, p, n, s->tx_first, &at);
				s->tx_first = 0;
			}
			s->host_off += n;
			p += n;
			len -= n;
			if (s->data_left == 0 && len > 0 && !starts_cmd(p, len)) {
				char buf[96];
				add(s, R_DATA_LONG, ATP_SEV_WARNING, ATP_V_FAIL, "2.2.3.11", "SKSND",
				    &s->cur, "AT+SKSND: %zu bytes more than the %llu announced: \"%s\"",
				    len, (unsigned long long)s->data_total,
				    (atp_span_escape(atp_span_make(p, len), buf, sizeof(buf)), buf));
				s->host_off += len;
				return;
			}
			continue;
		}
		if (s->hlen == 0 && !s->await_sksnd && len <= HOST_BUF) {
			/* Nothing held: the lines are split where they are, as
			 * they would be in hb, and only what is left of a line
			 * to be ended by a later record is kept. */
			c = atp_cur_make(p, len);
			for (;;) {
				size_t before = c.left;
				rc = atp_cmdline_next(&c, s->o.skip_line_garbage, &g, &line, &term);
				used = before - c.left;
				if (g.len > 0)
					host_garbage(s, g);
				if (rc == ATP_OK)
					host_line(s, line, term);
				s->host_off += used;
				if (rc != ATP_OK || used == 0 || s->await_sksnd)
					break;
			}
			if (c.left > 0)
				memcpy(s->hb, c.p, c.left);
			s->hlen = c.left;
			if (s->await_sksnd)
				s->held = s->hlen > 0;
			return;
		}
		n = HOST_BUF - s->hlen;
		if (n > len)
			n = len;
		memcpy(s->hb + s->hlen, p, n);
		s->hlen += n;
		p += n;
		len -= n;
		if (s->await_sksnd) {
			/* Payload: it waits for the response that says how much. */
			s->held = 1;
			if (n == 0)
				return;
			continue;
		}
		for (;;) {
			c = atp_cur_make(s->hb, s->hlen);
			rc = atp_cmdline_next(&c, s->o.skip_line_garbage, &g, &line, &term);
			used = s->hlen - c.left;
			if (g.len > 0)
				host_garbage(s, g);
			if (rc == ATP_OK)
				host_line(s, line, term);
			s->host_off += used;
			memmove(s->hb, s->hb + used, s->hlen - used);
			s->hlen -= used;
			if (rc != ATP_OK || used == 0)
				break;
			if (s->await_sksnd) {
				s->held = s->hlen > 0;
				break;
			}
		}
	}
}

/* Where a record is. */
static void
loc_of(struct loc *l, const struct atp_rec *rec)
{
	l->file = rec->src_file;
	l->line = rec->src_line;
	l->off = rec->src_offset;
	l->timed = (rec->flags & ATP_RECF_NO_TIME) == 0;
	l->ts = rec->ts_us;
}

/* Bytes the capture cut (struct cut) */

/* The finding that says where a transfer was cut, and by how much. */
static void
input_cut(struct ana_session *s, const struct cut *c, size_t kept)
{
	if (c->len > 0)
		add(s, R_INPUT_CUT, ATP_SEV_WARNING, ATP_V_INCONC, "", NULL, &c->at,
		    "the capture kept %zu of the %llu bytes of this transfer (usbmon's text shows "
		    "32 of each, a pcap its snap length): what the %llu cut carried, and the "
		    "exchange they belong to, are undecided", kept,
		    (unsigned long long)(kept + c->len), (unsigned long long)c->len);
	else
		add(s, R_INPUT_CUT, ATP_SEV_WARNING, ATP_V_INCONC, "", NULL, &c->at,
		    "the capture kept %zu bytes of this transfer and cut the rest: the exchange "
		    "it belongs to is undecided", kept);
}

/* The host's bytes after those seen went missing (@c): SKSND payload
 * first, then the end of the line being gathered, which goes out as the
 * host's, its findings undecided. Cut bytes no line takes are remembered:
 * they may have been a whole command, and an answer with no command is
 * then undecided too. */
static void
host_gap(struct ana_session *s, const struct cut *c)
{
	uint64_t left = c->len;

	if (s->data_left > 0) {
		/* Not known how many: the payload is taken as whole. */
		uint64_t n = left > 0 && left < s->data_left ? left : s->data_left;
		s->data_left -= n;
		s->data_done += n;
		s->rep->st.sksnd_bytes += n;
		s->host_off += n;
		s->data_cut = *c;
		if (s->o.net != NULL && s->tx_sock >= 0) {
			/* The correlator passes over their place on the wire. */
			struct ana_loc at = nloc(&s->tx_at), cut = nloc(&c->at);
			ana_net_sent(s->o.net, s->tx_sock, NULL, 0, s->tx_first, &at);
			s->tx_first = 0;
			ana_net_cut(s->o.net, s->tx_sock, 0, n, c->len, &cut);
		}
		if (left == 0 || left == n)
			return;
		left -= n;
	}
	if (s->hlen > 0) {
		size_t n = s->hlen;
		s->line_cut = *c;
		s->hlen = 0;
		host_line(s, atp_span_make(s->hb, n), atp_span_make(NULL, 0));
		s->line_cut.set = 0;
		s->host_off += n + left;
	} else {
		s->hlost = *c;
		s->host_off += left;
	}
}

/* Host bytes held for SKSND's response go on now, and after them the
 * bytes the capture cut from their record, if it did. */
static void
replay_held(struct ana_session *s)
{
	size_t n = s->hlen;

	memcpy(s->hb2, s->hb, n);
	s->hlen = 0;
	s->held = 0;
	host_bytes(s, s->hb2, n);
	if (s->hgap.set) {
		struct cut g = s->hgap;
		s->hgap.set = 0;
		host_gap(s, &g);
	}
}

/* The record just fed (@rec) was cut: see struct cut. */
static void
record_cut(struct ana_session *s, const struct atp_rec *rec)
{
	struct cut c;

	memset(&c, 0, sizeof(c));
	c.set = 1;
	c.at = s->cur;
	c.len = rec->cut_len;
	input_cut(s, &c, rec->bytes.len);
	if (rec->dir != ATP_DIR_TO_MODULE) {
		/* A hole in the module's stream at the framer's offset; the
		 * frame around it is undecided (frame_cut()), and where the
		 * module's output ended is not known until the host speaks. */
		c.off = atp_framer_offset(s->fr);
		if (s->nholes == HOLE_MAX) {
			s->hole_head = (s->hole_head + 1) % HOLE_MAX;
			s->nholes--;
		}
		s->holes[(s->hole_head + s->nholes) % HOLE_MAX] = c;
		s->nholes++;
		s->mcut_open = 1;
		return;
	}
	/* In transparent mode every byte is data: nothing to judge. */
	if (s->transparent)
		return;
	if (s->await_sksnd) {
		/* Held for SKSND's response: the gap follows what is held. */
		s->hgap = c;
		s->held = 1;
		return;
	}
	host_gap(s, &c);
}

/* Public */

int
ana_session_new(const struct ana_session_opts *o, struct ana_report *rep,
    struct ana_session **out)
{
	struct ana_session *s;
	struct atp_framer_opts fo;

	*out = NULL;
	s = atp_calloc(1, sizeof(*s));
	if (s == NULL)
		return ATP_ERR_NOMEM;
	if (o != NULL)
		s->o = *o;
	s->rep = rep;
	/* A chart per session, up to ANA_CHARTS_MAX (an input with many
	 * UARTs, many inputs): later sessions are analyzed, not drawn. */
	if (rep->ncharts < ANA_CHARTS_MAX) {
		struct ana_chart *nc = atp_realloc(rep->charts, (rep->ncharts + 1) * sizeof(*nc));
		if (nc == NULL) {
			atp_free(s);
			return ATP_ERR_NOMEM;
		}
		rep->charts = nc;
		memset(&nc[rep->ncharts], 0, sizeof(*nc));
		s->chart_i = rep->ncharts++;
		s->has_chart = 1;
	}
	s->wjoin = -1;
	s->lcg = 1;
	s->tx_sock = s->rx_sock = -1;
	/* LUAT's +SKTRPT carries at most 511 bytes whatever it announces
	 * (deviation sktrpt-cap-511): frame its data so with that profile. */
	memset(&fo, 0, sizeof(fo));
	if (atp_profile_has_id(s->o.prof, "sktrpt-cap-511"))
		fo.sktrpt_cap = 511;
	if (atp_framer_new(&fo, &s->fr) != ATP_OK) {
		atp_free(s);
		return ATP_ERR_NOMEM;
	}
	rep->nsessions++;
	*out = s;
	return ATP_OK;
}

void
ana_session_free(struct ana_session *s)
{
	if (s == NULL)
		return;
	atp_framer_free(s->fr);
	atp_free(s);
}

int
ana_session_feed(struct ana_session *s, const struct atp_rec *rec)
{
	struct ana_stats *st = &s->rep->st;
	size_t i;

	st->records++;
	loc_of(&s->cur, rec);
	if (s->cur.timed) {
		if (st->first_ts == 0 || rec->ts_us < st->first_ts)
			st->first_ts = rec->ts_us;
		if (rec->ts_us > st->last_ts)
			st->last_ts = rec->ts_us;
	}
	if ((rec->flags & ATP_RECF_DIR_INFERRED) != 0) {
		st->records_inferred++;
		if (!s->inferred_noted) {
			s->inferred_noted = 1;
			add(s, R_DIR_INFERRED, ATP_SEV_INFO, ATP_V_PASS, "2.1", NULL, &s->cur,
			    "the input does not say which way the bytes went: the direction is "
			    "inferred from the protocol (AT+ lines are the host's)");
		}
	}
	switch (rec->dir) {
	case ATP_DIR_TO_MODULE:
		st->bytes_to += rec->bytes.len;
		/* SKSND's response never came (2 s, or at once in a log with no
		 * times): stop holding the host's bytes for it and read on. */
		if (s->await_sksnd && (!s->cur.timed || !s->data_at.timed ||
		    s->cur.ts < s->data_at.ts || s->cur.ts - s->data_at.ts > STALE_US)) {
			s->await_sksnd = 0;
			if (s->held)
				replay_held(s);
		}
		/* The host speaks after the module ended with CR LF CR LF: the
		 * module's frame is over (a list response ends at CR LF CR LF
		 * followed by anything, framer.h), so it need not wait for the
		 * module's next byte. */
		/* Likewise when the module's output ended a line and then
		 * went quiet: with no times, the log reads as a half-duplex
		 * dialogue (see host_line); with times, 50 ms of silence is
		 * hundreds of byte times at any baud rate the module offers. */
		int ended = (s->mtail & 0xffu) == 0x0du || (s->mtail & 0xffu) == 0x0au;
		int timed_quiet = s->cur.timed && s->mlast.timed && s->cur.ts >= s->mlast.ts &&
		    s->cur.ts - s->mlast.ts >= QUIET_US;
		int quiet = !s->cur.timed || !s->mlast.timed || timed_quiet;
		/* With times, a module silent that long has stopped whatever
		 * it was sending, mid-line or mid-data (SKRCV short of its
		 * count): the frame is cut there, not filled from the next
		 * response. */
		/* The capture cut the module's last record: its output
		 * ended where no one saw, and the host speaking says it did
		 * (a frame left open would swallow the next response). */
		if (!s->transparent && (s->mcut_open || (s->mtail != 0 &&
		    (s->mtail == 0x0d0a0d0au || (ended && quiet) || timed_quiet)))) {
			if (atp_framer_flush(s->fr, on_frame, s) != ATP_OK)
				return ATP_ERR_NOMEM;
			s->mtail = 0;
			s->mcut_open = 0;
			s->nholes = 0;
		}
		if (s->o.src != NULL && s->o.net != NULL && rec->data_off != UINT64_MAX) {
			s->ref_p = rec->bytes.p;
			s->ref_len = rec->bytes.len;
			s->ref_off = rec->data_off;
		}
		host_bytes(s, rec->bytes.p, rec->bytes.len);
		s->ref_p = NULL;
		if ((rec->flags & ATP_RECF_CUT) != 0)
			record_cut(s, rec);
		break;
	case ATP_DIR_FROM_MODULE:
	case ATP_DIR_UNKNOWN:
		st->bytes_from += rec->bytes.len;
		/* A host payload still owed when the module speaks: see
		 * on_response(). */
		/* From the record, not copied from s->cur: a copy of what was
		 * just written field by field stalls (issue 8). */
		loc_of(&s->mlast, rec);
		loc_of(&s->ring[s->rhead], rec);
		s->ring_off[s->rhead] = atp_framer_offset(s->fr);
		s->rhead = (s->rhead + 1) % LOC_RING;
		if (s->rcount < LOC_RING)
			s->rcount++;
		if (atp_framer_feed(s->fr, rec->bytes.p, rec->bytes.len, on_frame, s) != ATP_OK)
			return ATP_ERR_NOMEM;
		for (i = rec->bytes.len > 4 ? rec->bytes.len - 4 : 0; i < rec->bytes.len; i++)
			s->mtail = (s->mtail << 8) | rec->bytes.p[i];
		if ((rec->flags & ATP_RECF_CUT) != 0)
			record_cut(s, rec);
		/* A payload that waited for SKSND's response can go now. */
		if (!s->await_sksnd && s->held)
			replay_held(s);
		break;
	}
	return s->oom ? ATP_ERR_NOMEM : ATP_OK;
}

int
ana_session_end(struct ana_session *s)
{
	if (atp_framer_flush(s->fr, on_frame, s) != ATP_OK)
		return ATP_ERR_NOMEM;
	if (s->data_left > 0)
		add(s, R_DATA_SHORT, ATP_SEV_WARNING, ATP_V_INCONC, "2.2.3.11", "SKSND", &s->data_at,
		    "AT+SKSND: %llu of %llu announced bytes sent before the log ends",
		    (unsigned long long)s->data_done, (unsigned long long)s->data_total);
	while (s->pcount > 0) {
		missing(s, pend_at(s, 0), 1);
		pend_drop_oldest(s);
	}
	return s->oom ? ATP_ERR_NOMEM : ATP_OK;
}
