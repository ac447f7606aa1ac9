/* SPDX-License-Identifier: MIT */
/* \summary: the runner: steps on the wire, strict accounting, verdicts */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/hns_run.h"

/*
 * How a step window works (harness-anchors §0.2-0.4):
 *   - Before sending, whatever is already there is read and accounted:
 *     bytes no step asked for fail the step (strict by default).
 *   - The window opens after the last byte is written; timing is measured
 *     from there, on the monotonic clock, to the first byte and to the
 *     byte that completes the response.
 *   - Every frame the framer cuts is accounted: the awaited response, an
 *     echo (when echo is on), a report the policy accepts, counted data a
 *     step reads. Anything else is "unconsumed" and fails the step.
 *   - Every response also goes through atp_validate_response(), whatever
 *     the scenario expects; a finding that is a failure fails the step, a
 *     known deviation of the --firmware profile is a warning.
 */

#define DEFAULT_DEADLINE_US   2000000u   /* a plain command */
#define BLOCKING_DEADLINE_US 30000000u   /* WJOIN, SKCT, WSCAN (firmware §6) */
#define REPORT_DEADLINE_US    5000000u
#define DATA_DEADLINE_US      2000000u
#define IDLE_FLUSH_US           50000u   /* quiet time that ends a pending frame */
#define SHOW_MAX                  160u   /* bytes shown as text/hex in a report */
#define QUEUE_MAX                4096u   /* frames waiting to be accounted */
#define READ_CHUNK               4096u
#define PEER_SLICE_US            2000u   /* peers are serviced this often */

volatile sig_atomic_t hns_stop;

struct qframe {
	enum atp_frame_kind kind;
	unsigned flags;
	uint8_t *bytes;
	size_t len;
	size_t term_len;
	int is_error;
	long errcode;
	const struct atp_cmd *cmd;
	const struct atp_report *report;
	uint64_t data_total;
	uint64_t t_us;
};

enum sink { SINK_NONE, SINK_BUFFER, SINK_DISCARD };

/* A command line sent and not answered yet (the validator's FIFO). */
struct inflight {
	char buf[ATP_LINE_MAX + 8];
	struct atp_cmdline cl;    /* its spans point into buf */
};

struct runner {
	struct hns_transport *t;
	struct atp_framer *fr;
	const struct hns_run_opts *o;
	struct rpt_run *rep;
	struct hns_vars vars;
	const struct hns_vars *globals;
	struct atp_pcapng_writer *cap;
	uint64_t epoch_off;          /* realtime - monotonic, us */
	/* the case and step being run */
	const struct hns_scenario *sc;
	const struct hns_step *st;
	struct rpt_case *rc;
	struct rpt_step *rs;
	enum rpt_verdict sv;         /* the step's verdict so far */
	char why[512];               /* the step's first failure */
	char unconsumed[SHOW_MAX];   /* bytes no step accounted for */
	size_t nunconsumed;
	/* the frames */
	struct qframe *q;
	size_t qn, qcap;             /* queued; room for (grown, never shrunk) */
	int qnomem;
	/* the wire */
	uint64_t t_chunk;            /* when the bytes being fed were read */
	uint64_t t_sent;             /* last byte of the last write */
	uint64_t t_first;            /* first byte read after t_sent, 0: none */
	uint64_t t_last_rx;
	int echo;
	int transparent;
	int vanished;
	struct hns_serial_cfg run_line; /* the port's line at the start; baud 0: none */
	char vanish_msg[256];
	int quiet;                   /* identify: no findings */
	struct hns_peers *peers;     /* the case's network peers, or NULL */
	int peer_fail;               /* a peer could not start: exit 3 */
	char peer_msg[256];
	char capbuf[64];             /* capabilities found by identify */
	const char *detected[4];
	size_t ndetected;
	int undef;                   /* the step met an undefined variable */
	char abort_msg[200];         /* an abort pattern matched this */
	int banner_seen;             /* reset: the "ready" line came */
	int module_reset;            /* ... and outside a reset step: the step ends */
	int reset_tail;              /* its trailing line end may still come */
	size_t step_rx, step_odd;    /* bytes of the step no frame took; of them, not text */
	int step_proto;              /* ... and among them a "+OK" or "+ERR": the rate is right */
	int cap_failed;              /* the capture could not be written: exit 3 */
	char cap_msg[300];
	/* the commands awaiting their responses, oldest first, for the
	 * validator: the same FIFO as the framer's (atp_framer_expect), so
	 * that with two lines in flight each answer is judged against its
	 * own command, not the last one sent */
	struct inflight fl[ATP_FRAMER_EXPECT_MAX];
	size_t fl_head, fl_n;
	/* counted and transparent data */
	enum sink sink;
	uint8_t *dbuf;
	size_t dlen;
	uint64_t last_ok_n;          /* +OK=<n> of the last response, or UINT64_MAX */
	int resp_ok;                 /* the last response was +OK */
	int resp_err;                /* ... was +ERR=<resp_code> */
	long resp_code;
	char sent[ATP_LINE_MAX + 8]; /* the last line sent, without its end */
	size_t sent_len;
	int echo_pending;
	/* per-step report counters for EXPECT rules */
	unsigned long *rcount;
	size_t nrcount, rcount_cap;
};

static int
step_failed(const struct runner *R)
{
	return R->sv == RPT_FAIL || R->sv == RPT_ERROR || R->sv == RPT_INCONC;
}

static void fail(struct runner *R, enum rpt_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A variable that is not there: in a teardown, the step that sets it did
 * not run, and the step is skipped rather than failed. */
static void
undefined(struct runner *R, const struct atp_diag *d)
{
	if (d->code == ATP_ERR_NOTFOUND)
		R->undef = 1;
	fail(R, RPT_INCONC, "%s", d->msg);
}

static void
fail(struct runner *R, enum rpt_verdict v, const char *fmt, ...)
{
	char msg[400];
	size_t n = strlen(R->why);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The first failure leads; later ones follow it, so that a message
	 * names every symptom the step saw (bounded by the buffer). */
	if (n == 0)
		snprintf(R->why, sizeof(R->why), "%s", msg);
	else if (strstr(R->why, msg) == NULL && n + 8 < sizeof(R->why))
		snprintf(R->why + n, sizeof(R->why) - n, "; also: %s", msg);
	R->sv = rpt_worse(R->sv, v);
}

/*
 * A failed step that names a deviation (deviation: <id>): the failure is
 * that departure of the firmware from the manual. It is reported under the
 * deviation's id and manual section; with a --firmware profile that has it,
 * it is known (a warning) and the step passes, otherwise the step fails.
 */
static void rset(struct runner *R, char **dst, const char *s);

static void
judge_deviation(struct runner *R, const struct hns_step *st)
{
	const struct atp_deviation *dv = st->deviation;
	int known = atp_profile_has(R->o->prof, dv);
	struct rpt_finding *rf = rpt_finding_add(R->rep);
	char msg[sizeof(R->why) + 160];

	snprintf(msg, sizeof(msg), "%s (%s): %s", dv->id, dv->summary, R->why);
	if (rf != NULL) {
		(void)rpt_set(&rf->rule, dv->id);
		(void)rpt_set(&rf->severity, atp_severity_name(known ? ATP_SEV_WARNING : ATP_SEV_ERROR));
		(void)rpt_set(&rf->verdict, atp_verdict_name(known ? ATP_V_KNOWN : ATP_V_FAIL));
		(void)rpt_set(&rf->section, dv->section);
		(void)rpt_set(&rf->file, st->pos.file);
		rf->line = st->pos.line;
		rset(R, &rf->command, st->name);
		rset(R, &rf->message, msg);
		if (R->rc != NULL)
			(void)rpt_set(&rf->case_id, R->rc->id);
	}
	if (known) {
		R->sv = RPT_PASS;
		if (R->rs != NULL)
			R->rs->warnings++;
		snprintf(msg, sizeof(msg), "known deviation %s (§%s): %s", dv->id, dv->section, R->why);
	} else {
		snprintf(msg, sizeof(msg), "deviation %s (§%s): %s", dv->id, dv->section, R->why);
	}
	snprintf(R->why, sizeof(R->why), "%s", msg);
}

/* Every text that reaches a report goes through here: secrets become ***. */
static void
rset(struct runner *R, char **dst, const char *s)
{
	char *m;

	if (s == NULL) {
		(void)rpt_set(dst, NULL);
		return;
	}
	m = hns_mask(&R->vars, s, strlen(s), NULL);
	(void)rpt_set(dst, m != NULL ? m : "***");
	atp_free(m);
}

/* Masked, escaped text and hex of device bytes, bounded. */
static void
show_bytes(struct runner *R, const uint8_t *p, size_t len, char **text, char **hex)
{
	char tb[SHOW_MAX * 4 + 32], hb[SHOW_MAX * 3 + 32];
	size_t mlen, n;
	char *m = hns_mask(&R->vars, p, len, &mlen);
	struct atp_span s;

	if (m == NULL)
		return;
	n = mlen > SHOW_MAX ? SHOW_MAX : mlen;
	s = atp_span_make(m, n);
	atp_span_escape(s, tb, sizeof(tb));
	if (mlen > n)
		snprintf(tb + strlen(tb), sizeof(tb) - strlen(tb), "... (%zu bytes)", mlen);
	atp_span_hex_dump(s, hb, sizeof(hb));
	(void)rpt_set(text, tb);
	if (hex != NULL)
		(void)rpt_set(hex, hb);
	atp_free(m);
}

/*
 * Capture: every byte both ways as it goes (DESIGN.md "Never lose the
 * bytes"). Secrets are overwritten with '*' of the same length, so that
 * offsets and lengths in the file stay those of the wire.
 */
static void
capture_failed(struct runner *R, const struct atp_diag *d)
{
	/* A full disk (ENOSPC) or a size limit (EFBIG) ends the capture, not
	 * the run: the writer leaves the file valid up to its last complete
	 * block, the run goes on and its reports say why it is exit 3. */
	fprintf(stderr, "atproof run: capture %s; the capture stops here, the run goes on\n",
	    d->msg);
	if (!R->cap_failed)
		snprintf(R->cap_msg, sizeof(R->cap_msg), "capture %s", d->msg);
	R->cap_failed = 1;
	(void)atp_pcapng_close(R->cap, NULL);
	R->cap = NULL;
}

static void
capture(struct runner *R, enum atp_dir dir, const void *p, size_t len, uint64_t t)
{
	struct atp_rec rec;
	struct atp_diag d;
	uint8_t *m;
	size_t i, k;

	if (R->cap == NULL || len == 0)
		return;
	m = atp_malloc(len);
	if (m == NULL)
		return;
	memcpy(m, p, len);
	for (k = 0; k < R->vars.n; k++) {
		const struct hns_var *v = &R->vars.v[k];
		if (!v->secret || v->len == 0 || v->len > len)
			continue;
		for (i = 0; i + v->len <= len; i++)
			if (memcmp(m + i, v->value, v->len) == 0)
				memset(m + i, '*', v->len);
	}
	memset(&rec, 0, sizeof(rec));
	rec.ts_us = t + R->epoch_off;
	rec.dir = dir;
	rec.bytes = atp_span_make(m, len);
	atp_diag_clear(&d);
	if (atp_pcapng_write(R->cap, 0, &rec, &d) < 0)
		capture_failed(R, &d);
	atp_free(m);
}

static void
capture_comment(struct runner *R, const char *text)
{
	struct atp_diag d;
	char *m;

	if (R->cap == NULL)
		return;
	m = hns_mask(&R->vars, text, strlen(text), NULL);
	atp_diag_clear(&d);
	if (m != NULL && atp_pcapng_comment(R->cap, hns_now_us() + R->epoch_off, m, &d) < 0)
		capture_failed(R, &d);
	atp_free(m);
}

/*
 * Findings of the validator: each goes to the report, and a failure fails
 * the step (the protocol model is the oracle, DESIGN.md).
 */
static void
on_finding(void *ctx, const struct atp_finding *f)
{
	struct runner *R = ctx;
	struct rpt_finding *rf;

	if (f->verdict == ATP_V_PASS || R->quiet)
		return;
	rf = rpt_finding_add(R->rep);
	if (rf != NULL) {
		(void)rpt_set(&rf->rule, f->rule);
		(void)rpt_set(&rf->severity, atp_severity_name(f->severity));
		(void)rpt_set(&rf->verdict, atp_verdict_name(f->verdict));
		(void)rpt_set(&rf->section, f->section);
		if (R->st != NULL) {
			(void)rpt_set(&rf->file, R->st->pos.file);
			rf->line = R->st->pos.line;
			rset(R, &rf->command, R->st->name);
		}
		rset(R, &rf->message, f->message);
		if (R->rc != NULL)
			(void)rpt_set(&rf->case_id, R->rc->id);
	}
	if (f->verdict == ATP_V_KNOWN) {
		if (R->rs != NULL)
			R->rs->warnings++;
	} else if (f->verdict == ATP_V_FAIL) {
		char *m = hns_mask(&R->vars, f->message, strlen(f->message), NULL);
		fail(R, RPT_FAIL, "protocol: %s (§%s): %s", f->rule,
		    f->section != NULL ? f->section : "?", m != NULL ? m : "***");
		atp_free(m);
	} else if (f->verdict == ATP_V_INCONC) {
		fail(R, RPT_INCONC, "protocol: %s: %s", f->rule, f->message);
	}
}

/* The abort tier: any line matching an abort pattern fails the step. */
static void
check_abort(struct runner *R, const struct atp_frame *f)
{
	struct hns_vars scratch;
	struct atp_span text = atp_span_make(f->bytes.p, f->bytes.len -
	    (f->term.len <= f->bytes.len ? f->term.len : 0));
	char why[64];
	size_t i;
	int matched;

	memset(&scratch, 0, sizeof(scratch));
	for (i = 0; i < R->sc->naborts; i++) {
		const struct hns_matcher *m = &R->sc->aborts[i];
		matched = 0;
		(void)hns_matcher_match(m, m->text, text, f->is_error, f->errcode, &scratch, &matched,
		    why, sizeof(why));
		if (matched) {
			char esc[120];
			atp_span_escape(text, esc, sizeof(esc));
			snprintf(R->abort_msg, sizeof(R->abort_msg), "abort pattern %s matched: %s",
			    m->text != NULL ? m->text : "?", esc);
			break;
		}
	}
	hns_vars_clear(&scratch);
}

/* Forgets the commands in flight, the framer's and the validator's alike
 * (a reset, a new case, the end of transparent mode): what answers after
 * this is judged without a command rather than against the wrong one. */
static void
inflight_clear(struct runner *R)
{
	R->fl_head = R->fl_n = 0;
	atp_framer_expect_clear(R->fr);
}

/* Called by the framer: validate now (the frame is valid only now), and
 * queue a copy for the step to account. */
static void
on_frame(void *ctx, const struct atp_frame *f)
{
	struct runner *R = ctx;
	struct qframe *q, *nq;

	if (f->kind == ATP_FRAME_RESPONSE) {
		const struct atp_cmdline *cl = NULL;
		if (R->fl_n > 0) {
			cl = &R->fl[R->fl_head].cl;
			R->fl_head = (R->fl_head + 1) % ATP_FRAMER_EXPECT_MAX;
			R->fl_n--;
		}
		(void)atp_validate_response(cl, f, R->o->prof, on_finding, R);
	} else if (f->kind == ATP_FRAME_REPORT) {
		(void)atp_validate_report(f, R->o->prof, on_finding, R);
	}
	if (R->sc != NULL && R->sc->naborts > 0 && f->kind != ATP_FRAME_DATA &&
	    R->abort_msg[0] == '\0')
		check_abort(R, f);
	if (R->qn >= QUEUE_MAX) {
		R->qnomem = 1;
		return;
	}
	if (R->qn == R->qcap) {
		/* Grown by doubling: a frame a response must not cost a realloc. */
		size_t cap = R->qcap != 0 ? R->qcap * 2 : 16;
		nq = atp_realloc(R->q, cap * sizeof(*nq));
		if (nq == NULL) {
			R->qnomem = 1;
			return;
		}
		R->q = nq;
		R->qcap = cap;
	}
	q = &R->q[R->qn];
	memset(q, 0, sizeof(*q));
	q->bytes = (uint8_t *)atp_memdup0(f->kind == ATP_FRAME_DATA ? f->body.p : f->bytes.p,
	    f->kind == ATP_FRAME_DATA ? f->body.len : f->bytes.len);
	if (q->bytes == NULL) {
		R->qnomem = 1;
		return;
	}
	q->kind = f->kind;
	q->flags = f->flags;
	q->len = f->kind == ATP_FRAME_DATA ? f->body.len : f->bytes.len;
	q->term_len = f->term.len <= q->len ? f->term.len : 0;
	q->is_error = f->is_error;
	q->errcode = f->errcode;
	q->cmd = f->cmd;
	q->report = f->report;
	q->data_total = f->data_total;
	q->t_us = R->t_chunk;
	R->qn++;
}

static void
qpop(struct runner *R)
{
	atp_free(R->q[0].bytes);
	memmove(R->q, R->q + 1, (R->qn - 1) * sizeof(*R->q));
	R->qn--;
}

/*
 * Reads once (waiting at most @wait_us) and feeds the framer. Returns 1
 * with bytes, 0 without, -1 when the port vanished.
 */
static int
pump(struct runner *R, uint64_t wait_us)
{
	uint8_t buf[READ_CHUNK];
	struct atp_diag d;
	long n;

	if (R->vanished)
		return -1;
	if (hns_stop) {
		R->vanished = 1;
		snprintf(R->vanish_msg, sizeof(R->vanish_msg), "interrupted by %s",
		    hns_stop == SIGINT ? "SIGINT" : hns_stop == SIGTERM ? "SIGTERM" : "a signal");
		return -1;
	}
	atp_diag_clear(&d);
	if (R->peers != NULL) {
		/* Peers are serviced between short reads of the port, so that an
		 * echo peer answers within a couple of milliseconds. */
		uint64_t end = hns_now_us() + wait_us, now;
		for (;;) {
			hns_peers_service(R->peers);
			now = hns_now_us();
			n = R->t->ops->read(R->t, buf, sizeof(buf),
			    end > now ? (end - now > PEER_SLICE_US ? PEER_SLICE_US : end - now) : 0, &d);
			if (n != 0 || hns_now_us() >= end)
				break;
		}
	} else {
		n = R->t->ops->read(R->t, buf, sizeof(buf), wait_us, &d);
	}
	if (n < 0) {
		R->vanished = 1;
		snprintf(R->vanish_msg, sizeof(R->vanish_msg), "%s", d.msg);
		(void)atp_framer_flush(R->fr, on_frame, R);
		return -1;
	}
	if (n == 0)
		return 0;
	R->t_chunk = hns_now_us();
	R->t_last_rx = R->t_chunk;
	if (R->t_first == 0 && R->t_sent != 0)
		R->t_first = R->t_chunk;
	R->rep->bytes_rx += (uint64_t)n;
	capture(R, ATP_DIR_FROM_MODULE, buf, (size_t)n, R->t_chunk);
	if (atp_framer_feed(R->fr, buf, (size_t)n, on_frame, R) < 0)
		R->qnomem = 1;
	return 1;
}

static int
send_bytes(struct runner *R, const void *p, size_t len)
{
	struct atp_diag d;
	int rc;

	atp_diag_clear(&d);
	R->t->wrote = 0;
	rc = R->t->ops->write(R->t, p, len, &d);
	if (rc < 0) {
		/* What the port took before it failed left the harness: it is
		 * counted and captured like any other byte. */
		if (R->t->wrote > 0 && R->t->wrote <= len) {
			R->rep->bytes_tx += R->t->wrote;
			capture(R, ATP_DIR_TO_MODULE, p, R->t->wrote, hns_now_us());
		}
		if (rc == ATP_ERR_IO) {
			R->vanished = 1;
			snprintf(R->vanish_msg, sizeof(R->vanish_msg), "%s", d.msg);
		} else {
			fail(R, RPT_FAIL, "%s", d.msg);
		}
		return rc;
	}
	R->t_sent = hns_now_us();
	R->t_first = 0;
	R->rep->bytes_tx += len;
	capture(R, ATP_DIR_TO_MODULE, p, len, R->t_sent);
	return ATP_OK;
}

/* The rule for report @name: the step's, then the scenario's; '*' last. */
static const struct hns_rrule *
find_rule(const struct hns_rrule *rules, size_t n, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rules[i].name, name) == 0) {
			*idx = i;
			return &rules[i];
		}
	for (i = 0; i < n; i++)
		if (strcmp(rules[i].name, "*") == 0) {
			*idx = i;
			return &rules[i];
		}
	return NULL;
}

static void warn(struct runner *R, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --lenient: what strictness would fail is a warning in the report. */
static void
warn(struct runner *R, const char *rule, const char *fmt, ...)
{
	struct rpt_finding *rf = rpt_finding_add(R->rep);
	char msg[400];
	va_list ap;

	if (R->rs != NULL)
		R->rs->warnings++;
	if (rf == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)rpt_set(&rf->rule, rule);
	(void)rpt_set(&rf->severity, "warning");
	(void)rpt_set(&rf->verdict, "pass");
	if (R->st != NULL) {
		(void)rpt_set(&rf->file, R->st->pos.file);
		rf->line = R->st->pos.line;
		rset(R, &rf->command, R->st->name);
	}
	rset(R, &rf->message, msg);
	if (R->rc != NULL)
		(void)rpt_set(&rf->case_id, R->rc->id);
}

static void
note_unconsumed(struct runner *R, const struct qframe *q, const char *what)
{
	size_t n = q->len, i;

	/* Lines and line ends nobody took: what a wrong baud rate makes of
	 * every response. Counted data (SKRCV, +SKTRPT) never comes here. */
	if (q->kind == ATP_FRAME_TEXT || q->kind == ATP_FRAME_STRAY) {
		R->step_rx += q->len;
		for (i = 0; i < q->len; i++)
			if (q->bytes[i] >= 0x7f || (q->bytes[i] < 0x20 && q->bytes[i] != '\r' &&
			    q->bytes[i] != '\n' && q->bytes[i] != '\t'))
				R->step_odd++;
		/* Protocol text survived: noise around a response (a garbled
		 * line, stray bytes), not a line at the wrong rate, where no
		 * byte of "+OK" comes through intact. */
		for (i = 0; i + 3 <= q->len && !R->step_proto; i++)
			if (q->bytes[i] == '+' && ((q->bytes[i + 1] == 'O' && q->bytes[i + 2] == 'K') ||
			    (q->bytes[i + 1] == 'E' && q->bytes[i + 2] == 'R')))
				R->step_proto = 1;
	}

	if (R->nunconsumed < sizeof(R->unconsumed)) {
		if (n > sizeof(R->unconsumed) - R->nunconsumed)
			n = sizeof(R->unconsumed) - R->nunconsumed;
		memcpy(R->unconsumed + R->nunconsumed, q->bytes, n);
		R->nunconsumed += n;
	}
	{
		char esc[200];
		char *m = hns_mask(&R->vars, q->bytes, q->len, NULL);
		atp_span_escape(atp_span_make(m != NULL ? m : "***", m != NULL ? strlen(m) : 3),
		    esc, sizeof(esc));
		if (R->o->lenient)
			warn(R, "unconsumed", "%s no step accounted for (%s, %zu bytes): %s", what,
			    atp_frame_kind_name(q->kind), q->len, esc);
		else
			fail(R, RPT_FAIL, "%s no step accounted for (%s, %zu bytes): %s", what,
			    atp_frame_kind_name(q->kind), q->len, esc);
		atp_free(m);
	}
}

static void
record_report(struct runner *R, const struct qframe *q)
{
	struct rpt_finding *rf = rpt_finding_add(R->rep);
	char esc[200];
	char *m;

	if (rf == NULL)
		return;
	m = hns_mask(&R->vars, q->bytes, q->len - q->term_len, NULL);
	atp_span_escape(atp_span_str(m != NULL ? m : "***"), esc, sizeof(esc));
	atp_free(m);
	(void)rpt_set(&rf->rule, "report-recorded");
	(void)rpt_set(&rf->severity, "info");
	(void)rpt_set(&rf->verdict, "pass");
	(void)rpt_set(&rf->section, q->report->section);
	if (R->st != NULL) {
		(void)rpt_set(&rf->file, R->st->pos.file);
		rf->line = R->st->pos.line;
	}
	(void)rpt_set(&rf->message, esc);
	if (R->rc != NULL)
		(void)rpt_set(&rf->case_id, R->rc->id);
}

/*
 * Accounts one frame that is not what the step waits for. Reports go by
 * policy; data by the current sink; an echo is fine when echo is on;
 * anything else is unconsumed.
 */
static void
account(struct runner *R, const struct qframe *q)
{
	const struct hns_rrule *r = NULL;
	size_t idx = 0;

	switch (q->kind) {
	case ATP_FRAME_REPORT:
		if ((q->report->flags & ATP_RPT_BANNER) != 0 && R->st != NULL &&
		    R->st->kind == HNS_S_RESET)
			return;
		if (R->st != NULL)
			r = find_rule(R->st->rules, R->st->nrules, q->report->name, &idx);
		if (r != NULL && r->policy == HNS_RP_EXPECT && idx < R->nrcount)
			R->rcount[idx]++;
		if ((r == NULL || r->policy == HNS_RP_INHERIT) && R->sc != NULL)
			r = find_rule(R->sc->rules, R->sc->nrules, q->report->name, &idx);
		/* Strict: a report that no policy admits is a failure (lenient:
		 * it is recorded with a warning). */
		if (r == NULL && R->o->lenient) {
			char esc[200];
			atp_span_escape(atp_span_make(q->bytes, q->len - q->term_len), esc, sizeof(esc));
			warn(R, "report-unexpected", "report %s with no policy: %s", q->report->name, esc);
			if ((q->report->flags & ATP_RPT_DATA_COUNTED) != 0) {
				R->sink = SINK_DISCARD;
				R->dlen = 0;
			}
			return;
		}
		if (r == NULL || r->policy == HNS_RP_FORBID) {
			char esc[200];
			atp_span_escape(atp_span_make(q->bytes, q->len - q->term_len), esc, sizeof(esc));
			fail(R, RPT_FAIL, "report %s %s: %s", q->report->name,
			    r == NULL ? "that no policy allows (reports: in the scenario)" :
			    "is forbidden here", esc);
			return;
		}
		if (r->policy == HNS_RP_RECORD)
			record_report(R, q);
		if ((q->report->flags & ATP_RPT_DATA_COUNTED) != 0) {
			R->sink = SINK_DISCARD;
			R->dlen = 0;
		}
		return;
	case ATP_FRAME_DATA:
		if (R->sink == SINK_DISCARD) {
			if (q->flags & ATP_FRF_LAST)
				R->sink = SINK_NONE;
			return;
		}
		if (R->sink == SINK_BUFFER) {
			uint8_t *nb;
			if (R->dlen + q->len > HNS_DATA_MAX) {
				fail(R, RPT_FAIL, "more than %u bytes of data", HNS_DATA_MAX);
				return;
			}
			nb = atp_realloc(R->dbuf, R->dlen + q->len + 1);
			if (nb == NULL) {
				R->qnomem = 1;
				return;
			}
			R->dbuf = nb;
			memcpy(R->dbuf + R->dlen, q->bytes, q->len);
			R->dlen += q->len;
			return;
		}
		note_unconsumed(R, q, "data");
		return;
	case ATP_FRAME_ECHO:
		/* With echo on, the module sends back the line it got, its
		 * terminator made CR LF (firmware §1.4), once. */
		if (R->echo && R->echo_pending &&
		    q->len - q->term_len == R->sent_len &&
		    memcmp(q->bytes, R->sent, R->sent_len) == 0) {
			R->echo_pending = 0;
			return;
		}
		note_unconsumed(R, q, R->echo ? "an echo of another line" : "an echo with echo off");
		return;
	case ATP_FRAME_RESPONSE:
		note_unconsumed(R, q, "a response");
		return;
	case ATP_FRAME_TEXT:
	case ATP_FRAME_STRAY: {
		struct atp_frame f;
		/* The "ready" banner after a reset is a line of its own (the
		 * framer makes it TEXT); a reset step expects it. */
		if (q->kind == ATP_FRAME_STRAY && R->st != NULL && R->st->kind == HNS_S_RESET &&
		    R->banner_seen)
			return;
		/* The line end that follows an unasked banner is part of it. */
		if (q->kind == ATP_FRAME_STRAY && R->reset_tail) {
			R->reset_tail = 0;
			return;
		}
		if (q->kind == ATP_FRAME_TEXT && R->st != NULL) {
			const struct atp_report *b = atp_report_match(atp_span_make(q->bytes,
			    q->len - q->term_len));
			if (b != NULL && (b->flags & ATP_RPT_BANNER) != 0) {
				if (R->st->kind == HNS_S_RESET) {
					R->banner_seen = 1;
					return;
				}
				/* Unasked, the banner means the module restarted: the
				 * command in flight is lost with its RAM state, and no
				 * response will come (the step ends now, no timeout). */
				if (!R->module_reset)
					fail(R, RPT_FAIL, "the module reset: its \"ready\" banner came "
					    "in the middle of the step; the command was lost with the "
					    "module's RAM state (echo, Wi-Fi, sockets)");
				R->module_reset = 1;
				R->reset_tail = 1;
				R->echo = 0;
				R->echo_pending = 0;
			}
		}
		memset(&f, 0, sizeof(f));
		f.kind = q->kind;
		f.flags = q->flags;
		f.bytes = atp_span_make(q->bytes, q->len);
		f.body = atp_span_make(q->bytes, q->len - q->term_len);
		f.term = atp_span_make(q->bytes + q->len - q->term_len, q->term_len);
		f.nlines = 1;
		if (!R->o->lenient)
			(void)atp_validate_other(&f, R->o->prof, on_finding, R);
		note_unconsumed(R, q, q->kind == ATP_FRAME_TEXT ? "a line" : "line-end bytes");
		return;
	}
	}
}

/* Accounts every queued frame. */
static void
account_all(struct runner *R)
{
	while (R->qn > 0) {
		account(R, &R->q[0]);
		qpop(R);
	}
}

/* Reads and accounts whatever arrives for @us (strict quiet check). */
static void
settle(struct runner *R, uint64_t us)
{
	uint64_t end = hns_now_us() + us, now, quiet_from = hns_now_us();
	int flushed = 0;

	for (;;) {
		now = hns_now_us();
		if (now >= end || R->vanished)
			break;
		if (pump(R, end - now) > 0) {
			quiet_from = hns_now_us();
			flushed = 0;
		} else if (!flushed && hns_now_us() - quiet_from >= IDLE_FLUSH_US &&
		    R->sink != SINK_BUFFER) {
			(void)atp_framer_flush(R->fr, on_frame, R);
			flushed = 1;
		}
		account_all(R);
	}
	if (!R->vanished && R->sink != SINK_BUFFER)
		(void)atp_framer_flush(R->fr, on_frame, R);
	account_all(R);
}

/* Counted data that came and that no read_data took is unconsumed. */
static void
unread_data(struct runner *R)
{
	struct qframe q;

	if (R->transparent || R->sink != SINK_BUFFER)
		return;
	if (R->dlen > 0) {
		memset(&q, 0, sizeof(q));
		q.kind = ATP_FRAME_DATA;
		q.bytes = R->dbuf;
		q.len = R->dlen;
		note_unconsumed(R, &q, "data");
	}
	R->dlen = 0;
	R->sink = SINK_NONE;
}

/* Reads what is already there without waiting, and accounts it. */
static void
predrain(struct runner *R)
{
	while (!R->vanished && pump(R, 0) > 0)
		;
	account_all(R);
	unread_data(R);
}

static uint64_t
scaled(const struct runner *R, uint64_t us)
{
	double v = (double)us * (R->o->timeout_scale > 0 ? R->o->timeout_scale : 1.0);

	return v > (double)HNS_DEADLINE_MAX ? HNS_DEADLINE_MAX : (uint64_t)v;
}

static uint64_t
step_deadline(const struct runner *R, uint64_t dflt)
{
	return scaled(R, R->st->deadline_us != 0 ? R->st->deadline_us : dflt);
}

static void
check_bound(struct runner *R, const char *what, const struct hns_bound *b, uint64_t us)
{
	if (b->has_min && us < b->min_us)
		fail(R, RPT_FAIL, "%s after %llu us, sooner than the minimum %llu us", what,
		    (unsigned long long)us, (unsigned long long)b->min_us);
	if (b->has_max && us > b->max_us)
		fail(R, RPT_FAIL, "%s after %llu us, later than the maximum %llu us", what,
		    (unsigned long long)us, (unsigned long long)b->max_us);
}

/* "+OK=<n>" as a number (SKSND's accepted size, SKRCV's count). */
static uint64_t
ok_number(const struct qframe *q)
{
	struct atp_cur c = atp_cur_make(q->bytes, q->len);
	uint64_t n;

	if (atp_cur_lit(&c, "+OK=") < 0 || atp_cur_dec(&c, &n, HNS_DATA_MAX) < 0)
		return UINT64_MAX;
	return n;
}

static int
expect_rules_met(const struct runner *R)
{
	size_t i;

	for (i = 0; i < R->st->nrules && i < R->nrcount; i++) {
		const struct hns_rrule *r = &R->st->rules[i];
		if (r->policy != HNS_RP_EXPECT)
			continue;
		if (r->count == 0 ? R->rcount[i] == 0 : R->rcount[i] < r->count)
			return 0;
	}
	return 1;
}

static void
check_expect_rules(struct runner *R)
{
	size_t i;

	for (i = 0; i < R->st->nrules && i < R->nrcount; i++) {
		const struct hns_rrule *r = &R->st->rules[i];
		if (r->policy != HNS_RP_EXPECT)
			continue;
		if (r->count == 0 && R->rcount[i] == 0)
			fail(R, RPT_FAIL, "report %s expected in this step, none came", r->name);
		else if (r->count != 0 && R->rcount[i] != r->count)
			fail(R, RPT_FAIL, "report %s expected %lu times, came %lu times", r->name,
			    r->count, R->rcount[i]);
	}
}

/*
 * Waits for the response to what was just sent, accounting every other
 * frame, until the step's deadline. Fills the report's actual fields.
 * Returns the response's +OK=<n> number (UINT64_MAX if none).
 */
/*
 * No response, and what came instead is mostly not text: a UART at the
 * wrong rate makes framing garbage of every byte (0x00, 0xF0, 0xFE...),
 * so no later step can work either. The run ends as for a vanished port
 * (exit 3, an environment failure), with the cause named. Returns 1 then.
 */
static int
baud_mismatch(struct runner *R)
{
	if (R->step_rx < 4 || R->step_odd * 4 < R->step_rx || R->step_proto)
		return 0;
	R->vanished = 1;
	snprintf(R->vanish_msg, sizeof(R->vanish_msg), "no valid response: the bytes look like "
	    "a baud-rate mismatch (%zu bytes, %zu of them not text); check --baud",
	    R->step_rx, R->step_odd);
	return 1;
}

static int
await_response(struct runner *R, const struct hns_matcher *m, uint64_t deadline_us)
{
	uint64_t end = R->t_sent + deadline_us, now, quiet_from = hns_now_us();
	int got = 0, flushed = 0, matched;
	char *pat = NULL, why[200];
	struct atp_diag d;

	R->last_ok_n = UINT64_MAX;
	R->resp_ok = 0;
	R->resp_err = 0;
	for (;;) {
		/* The window closes with the response (and the reports the step
		 * expects): what follows is the next step's to account. */
		while (R->qn > 0 && !(got && expect_rules_met(R))) {
			struct qframe *q = &R->q[0];
			if (!got && q->kind == ATP_FRAME_RESPONSE) {
				struct atp_span text = atp_span_make(q->bytes, q->len - q->term_len);
				got = 1;
				if (R->t_first != 0)
					R->rs->first_us = (int64_t)(R->t_first - R->t_sent);
				R->rs->final_us = (int64_t)(q->t_us - R->t_sent);
				show_bytes(R, q->bytes, q->len, &R->rs->actual, &R->rs->actual_hex);
				atp_diag_clear(&d);
				if ((m->kind == HNS_M_EXACT || m->kind == HNS_M_GLOB) &&
				    hns_expand(&R->vars, m->text, &pat, NULL, &d) < 0) {
					fail(R, RPT_INCONC, "expectation: %s", d.msg);
				} else if (hns_matcher_match(m, pat, text, q->is_error, q->errcode,
				    &R->vars, &matched, why, sizeof(why)) < 0) {
					fail(R, RPT_ERROR, "out of memory");
				} else if (!matched) {
					char esc[120];
					size_t ml = 0;
					char *mk = hns_mask(&R->vars, text.p, text.len, &ml);
					atp_span_escape(mk != NULL ? atp_span_make(mk, ml) : atp_span_str("***"),
					    esc, sizeof(esc));
					atp_free(mk);
					fail(R, RPT_FAIL, "unexpected response %s: %s", esc,
					    why[0] ? why : "it does not match the expectation");
				}
				atp_free(pat);
				pat = NULL;
				R->resp_ok = !q->is_error;
				R->resp_err = q->is_error;
				R->resp_code = q->errcode;
				if (!q->is_error)
					R->last_ok_n = ok_number(q);
				if (!q->is_error && q->cmd != NULL &&
				    q->cmd->phase == ATP_PHASE_DEVICE_DATA) {
					R->sink = SINK_BUFFER;
					R->dlen = 0;
				}
				qpop(R);
				continue;
			}
			account(R, q);
			qpop(R);
		}
		if (got && expect_rules_met(R))
			break;
		now = hns_now_us();
		if (now >= end || R->vanished || (R->module_reset && !got))
			break;
		if (pump(R, end - now > IDLE_FLUSH_US ? IDLE_FLUSH_US : end - now) > 0) {
			quiet_from = R->t_chunk;    /* pump's clock reading of the bytes */
			flushed = 0;
		} else if (!flushed && hns_now_us() - quiet_from >= IDLE_FLUSH_US) {
			/* "+ERR=-2\r\n" (a parse-stage error, firmware §1.4) is
			 * complete only once the line goes quiet. */
			(void)atp_framer_flush(R->fr, on_frame, R);
			flushed = 1;
		}
	}
	if (R->vanished)
		return -1;
	if (!got) {
		if (R->t_first != 0)
			R->rs->first_us = (int64_t)(R->t_first - R->t_sent);
		if (R->module_reset)
			return 0;
		if (baud_mismatch(R))
			return -1;
		/* Not one byte since the run began: more likely the setup than
		 * the device (no power, TX/RX swapped, both ends at other rates,
		 * where the module hears garbage and stays silent). */
		fail(R, RPT_FAIL, "no response within %llu ms%s",
		    (unsigned long long)(deadline_us / 1000), R->rep->bytes_rx == 0 ?
		    " (not one byte has come from the module since the run began: check its "
		    "power, the wiring and --baud)" : "");
		return 0;
	}
	check_expect_rules(R);
	return 1;
}

/* Masks the argument of a command that carries a key or password. The
 * last argument is the secret in every such command of the table (KEY,
 * APKEY, PASS, MLOGIN). */
static void
mask_secret_args(struct runner *R, const struct atp_cmd *cmd, char **args, size_t nargs)
{
	if (cmd == NULL || (cmd->flags & ATP_CMD_SECRET) == 0 || nargs == 0)
		return;
	(void)hns_vars_add_secret(&R->vars, args[nargs - 1], strlen(args[nargs - 1]));
}

static int
render(struct runner *R, char *line, size_t size, size_t *len)
{
	const struct hns_step *st = R->st;
	struct atp_diag d;
	char *args[ATP_ARGS_MAX + 1];
	char *raw;
	size_t i, n = 0;
	long w;
	unsigned flags = 0;

	atp_diag_clear(&d);
	if (st->raw != NULL) {
		if (hns_expand(&R->vars, st->raw, &raw, &n, &d) < 0) {
			undefined(R, &d);
			return -1;
		}
		if (n >= size) {
			atp_free(raw);
			fail(R, RPT_INCONC, "send: text longer than %zu bytes", size);
			return -1;
		}
		memcpy(line, raw, n);
		line[n] = '\0';
		atp_free(raw);
		*len = n;
		return 0;
	}
	if (st->nargs > ATP_ARGS_MAX) {
		/* A negative test with too many arguments: build by hand. */
		n = (size_t)snprintf(line, size, "AT+%s%s", st->cmd, atp_form_op(st->form));
	}
	for (i = 0; i < st->nargs; i++) {
		if (hns_expand(&R->vars, st->args[i], &args[i < ATP_ARGS_MAX ? i : ATP_ARGS_MAX],
		    NULL, &d) < 0) {
			size_t k;
			for (k = 0; k < i && k < ATP_ARGS_MAX; k++)
				atp_free(args[k]);
			undefined(R, &d);
			return -1;
		}
		if (i >= ATP_ARGS_MAX) {
			n += (size_t)snprintf(line + n, n < size ? size - n : 0, "%s%s",
			    i ? "," : "", args[ATP_ARGS_MAX]);
			atp_free(args[ATP_ARGS_MAX]);
		} else if (st->nargs > ATP_ARGS_MAX) {
			n += (size_t)snprintf(line + n, n < size ? size - n : 0, "%s%s",
			    i ? "," : "", args[i]);
		}
	}
	mask_secret_args(R, st->cmdp, args, st->nargs < ATP_ARGS_MAX ? st->nargs : ATP_ARGS_MAX);
	if (st->nargs > ATP_ARGS_MAX) {
		for (i = 0; i < ATP_ARGS_MAX; i++)
			atp_free(args[i]);
		n += (size_t)snprintf(line + n, n < size ? size - n : 0, "%s",
		    st->eol != NULL ? st->eol : "\r");
		if (n >= size) {
			fail(R, RPT_INCONC, "command line too long");
			return -1;
		}
		*len = n;
		return 0;
	}
	if (st->eol != NULL)
		flags |= ATP_CLB_NO_TERM;
	w = atp_cmdline_build(line, size, st->cmdp != NULL ? st->cmdp->name : st->cmd, st->form,
	    (const char *const *)args, st->nargs, flags);
	for (i = 0; i < st->nargs; i++)
		atp_free(args[i]);
	if (w < 0) {
		fail(R, RPT_INCONC, "cannot render the command line: %s", atp_strerror((int)w));
		return -1;
	}
	n = (size_t)w;
	if (st->eol != NULL) {
		if (n + strlen(st->eol) >= size) {
			fail(R, RPT_INCONC, "command line too long");
			return -1;
		}
		memcpy(line + n, st->eol, strlen(st->eol) + 1);
		n += strlen(st->eol);
	}
	*len = n;
	return 0;
}

/* Sends a command line and tells the framer and validator about it. */
static int
send_line(struct runner *R, const char *line, size_t len, const struct atp_cmdline **cl_out)
{
	struct atp_span s;
	size_t tl = len;

	/* The parser wants the line and at most its terminator. */
	while (tl > 0 && (line[tl - 1] == '\r' || line[tl - 1] == '\n') &&
	    len - tl < 2)
		tl--;
	if (cl_out != NULL)
		*cl_out = NULL;
	if (len < sizeof(R->fl[0].buf)) {
		struct inflight *in;
		if (R->fl_n == ATP_FRAMER_EXPECT_MAX) {
			/* full: the oldest drops, as in the framer */
			R->fl_head = (R->fl_head + 1) % ATP_FRAMER_EXPECT_MAX;
			R->fl_n--;
		}
		in = &R->fl[(R->fl_head + R->fl_n) % ATP_FRAMER_EXPECT_MAX];
		memcpy(in->buf, line, len);
		s = atp_span_make(in->buf, len);
		if (atp_cmdline_parse(s, &in->cl, NULL) == ATP_OK) {
			R->fl_n++;
			if (cl_out != NULL)
				*cl_out = &in->cl;
			/* The host side is the scenario's: a negative test sends
			 * lines the manual forbids on purpose, so they are not
			 * judged here (lint checks the commands and forms). */
			atp_framer_expect(R->fr, in->cl.cmd, in->cl.form);
		}
	}
	R->sent_len = tl < sizeof(R->sent) ? tl : sizeof(R->sent) - 1;
	memcpy(R->sent, line, R->sent_len);
	R->echo_pending = 1;
	R->rep->exchanges++;
	return send_bytes(R, line, len);
}

static void
exec_send(struct runner *R)
{
	char line[ATP_LINE_MAX * 2 + 16];
	size_t len = 0;
	const struct atp_cmd *cmd;
	const struct atp_cmdline *sent = NULL;
	int was_echo = R->echo, rc;

	predrain(R);
	if (step_failed(R) || R->vanished)
		return;
	if (render(R, line, sizeof(line), &len) < 0)
		return;
	cmd = R->st->cmdp;
	if (send_line(R, line, len, &sent) < 0)
		return;
	if (R->st->nowait)
		return;
	if (R->st->raw != NULL) {
		/* send_line() parsed the same bytes for the validator: its
		 * result, not a second parse, unless the line did not fit. */
		struct atp_cmdline cl;
		if (sent != NULL)
			cmd = sent->cmd;
		else if (len >= sizeof(R->fl[0].buf) &&
		    atp_cmdline_parse(atp_span_make(line, len), &cl, NULL) == ATP_OK)
			cmd = cl.cmd;
	}
	rc = await_response(R, &R->st->expect, step_deadline(R, cmd != NULL &&
	    (cmd->flags & ATP_CMD_BLOCKING) ? BLOCKING_DEADLINE_US : DEFAULT_DEADLINE_US));
	/* The step waited for its own line, the newest in flight: whatever
	 * is still unanswered now was discarded by a busy module (§2.1.1.1)
	 * or answered out of the step's sight, so a late answer is judged
	 * without a command rather than against an older one. */
	R->fl_head = R->fl_n = 0;
	if (rc < 0)
		return;
	check_bound(R, "first byte", &R->st->first, R->rs->first_us < 0 ? 0 :
	    (uint64_t)R->rs->first_us);
	if (R->rs->final_us >= 0)
		check_bound(R, "final byte", &R->st->final, (uint64_t)R->rs->final_us);
	/* AT+E toggles echo (firmware §1.4) when it answers +OK, whatever else
	 * failed in the step; a reset turns it off. */
	if (cmd != NULL && strcmp(cmd->name, "E") == 0 && R->resp_ok)
		R->echo = !was_echo;
	if (cmd != NULL && (cmd->flags & ATP_CMD_RESET) != 0 && R->resp_ok)
		R->echo = 0;
}

static void
exec_expect(struct runner *R)
{
	uint64_t end = hns_now_us() + step_deadline(R, DEFAULT_DEADLINE_US), now;
	char *pat = NULL, why[200];
	struct atp_diag d;
	int matched = 0, flushed = 0;
	uint64_t quiet_from = hns_now_us();

	R->t_sent = hns_now_us();
	for (;;) {
		while (R->qn > 0 && !matched) {
			struct qframe *q = &R->q[0];
			struct atp_span text = atp_span_make(q->bytes, q->len - q->term_len);
			if (q->kind == ATP_FRAME_DATA) {
				account(R, q);
				qpop(R);
				continue;
			}
			atp_diag_clear(&d);
			if ((R->st->expect.kind == HNS_M_EXACT || R->st->expect.kind == HNS_M_GLOB) &&
			    hns_expand(&R->vars, R->st->expect.text, &pat, NULL, &d) < 0) {
				fail(R, RPT_INCONC, "expectation: %s", d.msg);
				return;
			}
			(void)hns_matcher_match(&R->st->expect, pat, text, q->is_error, q->errcode,
			    &R->vars, &matched, why, sizeof(why));
			atp_free(pat);
			pat = NULL;
			if (matched) {
				show_bytes(R, q->bytes, q->len, &R->rs->actual, &R->rs->actual_hex);
				R->rs->final_us = (int64_t)(q->t_us - R->t_sent);
			} else {
				account(R, q);
			}
			qpop(R);
		}
		if (matched)
			return;
		now = hns_now_us();
		if (now >= end || R->vanished)
			break;
		if (pump(R, end - now > IDLE_FLUSH_US ? IDLE_FLUSH_US : end - now) > 0) {
			quiet_from = hns_now_us();
			flushed = 0;
		} else if (!flushed && hns_now_us() - quiet_from >= IDLE_FLUSH_US) {
			(void)atp_framer_flush(R->fr, on_frame, R);
			flushed = 1;
		}
	}
	if (!R->vanished)
		fail(R, RPT_FAIL, "nothing matching came within the deadline");
}

/* The bytes of a data source: text, hex, file, seeded random, variable. */
static int
data_bytes(struct runner *R, const struct hns_data *dt, uint8_t **out, size_t *len)
{
	struct atp_diag d;
	char *s = NULL;
	size_t n = 0;

	*out = NULL;
	*len = 0;
	atp_diag_clear(&d);
	switch (dt->src) {
	case HNS_D_NONE:
		return 0;
	case HNS_D_TEXT:
		if (hns_expand(&R->vars, dt->text, &s, &n, &d) < 0) {
			fail(R, RPT_INCONC, "%s", d.msg);
			return -1;
		}
		*out = (uint8_t *)s;
		*len = n;
		return 0;
	case HNS_D_HEX:
		*out = atp_malloc(dt->nbytes + 1);
		if (*out == NULL)
			return -1;
		memcpy(*out, dt->bytes, dt->nbytes);
		*len = dt->nbytes;
		return 0;
	case HNS_D_VAR: {
		const struct hns_var *v = hns_vars_get(&R->vars, dt->text);
		if (v == NULL) {
			fail(R, RPT_INCONC, "variable ${%s} is not defined", dt->text);
			return -1;
		}
		*out = (uint8_t *)atp_memdup0(v->value, v->len);
		*len = v->len;
		return *out != NULL ? 0 : -1;
	}
	case HNS_D_FILE: {
		int fd = open(dt->text, O_RDONLY);
		uint8_t *b;
		ssize_t r;
		if (fd < 0) {
			fail(R, RPT_INCONC, "cannot open %s: %s", dt->text, strerror(errno));
			return -1;
		}
		b = atp_malloc(HNS_DATA_MAX);
		if (b == NULL) {
			close(fd);
			return -1;
		}
		while (n < HNS_DATA_MAX) {
			r = read(fd, b + n, HNS_DATA_MAX - n);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			n += (size_t)r;
		}
		close(fd);
		*out = b;
		*len = n;
		return 0;
	}
	case HNS_D_RANDOM: {
		uint64_t want, x;
		size_t i;
		if (hns_expand(&R->vars, dt->len, &s, NULL, &d) < 0 ||
		    atp_span_dec(atp_span_str(s), &want, HNS_DATA_MAX) < 0) {
			fail(R, RPT_INCONC, "random: len %s", d.msg[0] ? d.msg : "is not a number "
			    "up to 1 MiB");
			atp_free(s);
			return -1;
		}
		atp_free(s);
		*out = atp_malloc((size_t)want + 1);
		if (*out == NULL)
			return -1;
		/* splitmix64: the same seed gives the same bytes everywhere. */
		x = dt->seed;
		for (i = 0; i < want; i++) {
			uint64_t z;
			if ((i & 7) == 0) {
				x += 0x9e3779b97f4a7c15ull;
				z = x;
				z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
				z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
				z ^= z >> 31;
				memcpy(*out + i, &z, want - i >= 8 ? 8 : want - i);
			}
		}
		*len = (size_t)want;
		return 0;
	}
	}
	return 0;
}

static void
exec_send_data(struct runner *R)
{
	uint8_t *p;
	size_t n;

	if (data_bytes(R, &R->st->data, &p, &n) < 0)
		return;
	/* SKSND announced what it accepts (+OK=<n>, clamped at 512 by the
	 * firmware, §8.1): a payload of another size is a scenario error
	 * unless check_len: false (extra bytes are parsed as AT text). */
	if (R->st->check_len && R->last_ok_n != UINT64_MAX && R->last_ok_n != n) {
		fail(R, RPT_FAIL, "the module accepts %llu bytes (+OK=%llu), the payload has %zu",
		    (unsigned long long)R->last_ok_n, (unsigned long long)R->last_ok_n, n);
		atp_free(p);
		return;
	}
	if (R->st->save != NULL && hns_vars_set(&R->vars, R->st->save, p, n, 0) < 0)
		fail(R, RPT_ERROR, "cannot save the payload");
	(void)send_bytes(R, p, n);
	atp_free(p);
	R->last_ok_n = UINT64_MAX;
}

static void
compare_data(struct runner *R, const uint8_t *want, size_t wn, const uint8_t *got, size_t gn)
{
	size_t i;

	if (wn == gn && memcmp(want, got, wn) == 0)
		return;
	for (i = 0; i < wn && i < gn && want[i] == got[i]; i++)
		;
	show_bytes(R, want, wn, &R->rs->expected, NULL);
	show_bytes(R, got, gn, &R->rs->actual, &R->rs->actual_hex);
	fail(R, RPT_FAIL, "data differs at byte %zu (expected %zu bytes, got %zu)", i, wn, gn);
}

/* Waits until @want bytes of data are buffered, or the deadline. */
static void
wait_data(struct runner *R, size_t want, uint64_t deadline_us, int flush_idle)
{
	uint64_t end = hns_now_us() + deadline_us, now, quiet_from = hns_now_us();
	int flushed = 0;

	account_all(R);
	while (R->dlen < want && !R->vanished) {
		now = hns_now_us();
		if (now >= end)
			break;
		if (pump(R, end - now > IDLE_FLUSH_US ? IDLE_FLUSH_US : end - now) > 0) {
			quiet_from = hns_now_us();
			flushed = 0;
		} else if (flush_idle && !flushed && hns_now_us() - quiet_from >= IDLE_FLUSH_US / 2) {
			(void)atp_framer_flush(R->fr, on_frame, R);
			flushed = 1;
		}
		account_all(R);
	}
	/* At the deadline, what came so far is what the module sent: end the
	 * data phase so that the step can say how many bytes arrived. */
	if (R->dlen < want && !R->vanished) {
		(void)atp_framer_flush(R->fr, on_frame, R);
		account_all(R);
	}
}

static void
exec_read_data(struct runner *R)
{
	uint8_t *want = NULL;
	size_t wn = 0;
	uint64_t len = UINT64_MAX;
	char *s = NULL;
	struct atp_diag d;

	if (R->sink != SINK_BUFFER) {
		fail(R, RPT_INCONC, "read_data without a data phase before it (SKRCV, "
		    "wait_report +SKTRPT)");
		return;
	}
	if (data_bytes(R, &R->st->data, &want, &wn) < 0)
		return;
	atp_diag_clear(&d);
	if (R->st->data.len != NULL) {
		if (hns_expand(&R->vars, R->st->data.len, &s, NULL, &d) < 0 ||
		    atp_span_dec(atp_span_str(s), &len, HNS_DATA_MAX) < 0) {
			fail(R, RPT_INCONC, "read_data: len %s", d.msg[0] ? d.msg : "is not a number");
			atp_free(s);
			atp_free(want);
			return;
		}
		atp_free(s);
	} else {
		len = wn;
	}
	wait_data(R, (size_t)len, step_deadline(R, DATA_DEADLINE_US), 0);
	if (R->vanished) {
		atp_free(want);
		return;
	}
	if (R->dlen < len)
		fail(R, RPT_FAIL, "%zu of %llu data bytes came within the deadline (a short "
		    "count)", R->dlen, (unsigned long long)len);
	else if (R->st->data.src != HNS_D_NONE)
		compare_data(R, want, wn, R->dbuf, (size_t)len);
	if (R->dlen > len) {
		struct qframe q;
		memset(&q, 0, sizeof(q));
		q.kind = ATP_FRAME_DATA;
		q.bytes = R->dbuf + len;
		q.len = R->dlen - (size_t)len;
		note_unconsumed(R, &q, "data beyond the count");
	}
	R->dlen = 0;
	if (!R->transparent)
		R->sink = SINK_NONE;
	atp_free(want);
}

static void
exec_enter_transparent(struct runner *R)
{
	static const char line[] = "AT+ENTM\r";

	predrain(R);
	if (step_failed(R) || R->vanished)
		return;
	if (send_line(R, line, sizeof(line) - 1, NULL) < 0)
		return;
	if (await_response(R, &R->st->expect, step_deadline(R, DEFAULT_DEADLINE_US)) <= 0)
		return;
	if (step_failed(R))
		return;
	(void)atp_framer_transparent(R->fr, 1, on_frame, R);
	R->transparent = 1;
	R->sink = SINK_BUFFER;
	R->dlen = 0;
}

static void
exec_stream(struct runner *R)
{
	uint8_t *p = NULL, *want = NULL;
	size_t n = 0, wn = 0;

	if (!R->transparent) {
		fail(R, RPT_INCONC, "stream outside transparent mode (enter_transparent first)");
		return;
	}
	if (data_bytes(R, &R->st->data, &p, &n) < 0)
		return;
	if (n > 0 && send_bytes(R, p, n) < 0) {
		atp_free(p);
		return;
	}
	atp_free(p);
	if (R->st->want.src == HNS_D_NONE)
		return;
	if (data_bytes(R, &R->st->want, &want, &wn) < 0)
		return;
	wait_data(R, wn, step_deadline(R, DATA_DEADLINE_US), 1);
	if (!R->vanished) {
		if (R->dlen < wn)
			fail(R, RPT_FAIL, "%zu of %zu bytes came back within the deadline", R->dlen, wn);
		else
			compare_data(R, want, wn, R->dbuf, wn);
		if (R->dlen > wn) {
			memmove(R->dbuf, R->dbuf + wn, R->dlen - wn);
			R->dlen -= wn;
		} else {
			R->dlen = 0;
		}
	}
	atp_free(want);
}

static void
exec_leave_transparent(struct runner *R)
{
	static const char esc[] = "+++";
	uint64_t guard = scaled(R, R->st->sleep_us);

	if (!R->transparent)
		fail(R, RPT_INCONC, "leave_transparent outside transparent mode");
	/* Guard silence before: the firmware takes "+++" as the escape only
	 * as a lone 3-byte burst (w600-firmware.md §9). We send nothing; what
	 * the module sends meanwhile is data. */
	settle(R, guard);
	if (R->dlen > 0) {
		struct qframe q;
		memset(&q, 0, sizeof(q));
		q.kind = ATP_FRAME_DATA;
		q.bytes = R->dbuf;
		q.len = R->dlen;
		note_unconsumed(R, &q, "transparent data");
		R->dlen = 0;
	}
	if (R->vanished)
		return;
	(void)atp_framer_transparent(R->fr, 0, on_frame, R);
	account_all(R);
	R->transparent = 0;
	R->sink = SINK_NONE;
	inflight_clear(R);
	if (send_bytes(R, esc, 3) < 0)
		return;
	(void)await_response(R, &R->st->expect, guard + step_deadline(R, DEFAULT_DEADLINE_US));
}

static void
exec_wait_report(struct runner *R)
{
	uint64_t end = hns_now_us() + step_deadline(R, REPORT_DEADLINE_US), now;
	const struct atp_report *rep = hns_report_find(R->st->report);
	char *pat = NULL, why[200];
	struct atp_diag d;
	int got = 0, matched;

	R->t_sent = hns_now_us();
	while (!got) {
		while (R->qn > 0 && !got) {
			struct qframe *q = &R->q[0];
			struct atp_span text = atp_span_make(q->bytes, q->len - q->term_len);
			if (q->kind != ATP_FRAME_REPORT || q->report != rep) {
				account(R, q);
				qpop(R);
				continue;
			}
			matched = 1;
			if (R->st->expect.kind != HNS_M_NONE) {
				atp_diag_clear(&d);
				if ((R->st->expect.kind == HNS_M_EXACT ||
				    R->st->expect.kind == HNS_M_GLOB) &&
				    hns_expand(&R->vars, R->st->expect.text, &pat, NULL, &d) < 0) {
					fail(R, RPT_INCONC, "expectation: %s", d.msg);
					return;
				}
				(void)hns_matcher_match(&R->st->expect, pat, text, 0, 0, &R->vars,
				    &matched, why, sizeof(why));
				atp_free(pat);
				pat = NULL;
			}
			if (!matched) {
				account(R, q);
				qpop(R);
				continue;
			}
			got = 1;
			R->rs->final_us = (int64_t)(q->t_us - R->t_sent);
			show_bytes(R, q->bytes, q->len, &R->rs->actual, &R->rs->actual_hex);
			/* The report's own fields become variables. */
			if (atp_report_shape(rep) != NULL) {
				struct hns_matcher m;
				memset(&m, 0, sizeof(m));
				m.kind = HNS_M_SHAPE;
				m.shape = (struct atp_shape *)(uintptr_t)atp_report_shape(rep);
				(void)hns_matcher_match(&m, NULL, text, 0, 0, &R->vars, &matched, why,
				    sizeof(why));
			}
			if ((rep->flags & ATP_RPT_DATA_COUNTED) != 0) {
				R->sink = SINK_BUFFER;
				R->dlen = 0;
			}
			qpop(R);
		}
		if (got)
			break;
		now = hns_now_us();
		if (now >= end || R->vanished)
			break;
		(void)pump(R, end - now);
	}
	if (!got && !R->vanished)
		fail(R, RPT_FAIL, "no %s report within %llu ms", R->st->report,
		    (unsigned long long)(step_deadline(R, REPORT_DEADLINE_US) / 1000));
}

#define RESET_DEADLINE_US 5000000u   /* a line reset: the module boots, then answers */
#define PROBE_US           300000u   /* one AT+ of the wait for it */

/* Drives the reset step's line to @active (1 asserted). 0, or -1 after
 * failing the step: inconclusive where the transport has no modem lines. */
static int
reset_line_set(struct runner *R, int active)
{
	struct atp_diag d;
	int dtr = -1, rts = -1;

	if (R->st->rline == 1)
		dtr = active;
	else
		rts = active;
	atp_diag_clear(&d);
	if (R->t->ops->line == NULL) {
		fail(R, RPT_INCONC, "the %s transport has no modem lines to reset by",
		    R->t->ops->name);
		return -1;
	}
	if (R->t->ops->line(R->t, dtr, rts, 0, &d) < 0) {
		fail(R, d.code == ATP_ERR_UNSUPP ? RPT_INCONC : RPT_ERROR, "%s", d.msg);
		return -1;
	}
	return 0;
}

/*
 * reset: { line: dtr|rts, pulse, active, settle }: the module's reset pin
 * is wired to a modem line (auto-reset circuits). The line is held at its
 * active state for the pulse, released, and after settle the module is
 * asked AT+ (§2.2.1.1) until it answers +OK, within the step's deadline.
 * The "ready" banner of its boot is accepted on the way.
 */
static void
exec_reset_line(struct runner *R)
{
	static const char probe[] = "AT+\r";
	uint64_t end, now;
	unsigned tries = 0;

	R->banner_seen = 0;
	if (reset_line_set(R, R->st->ractive) < 0)
		return;
	settle(R, scaled(R, R->st->pulse_us));
	if (reset_line_set(R, !R->st->ractive) < 0)
		return;
	R->echo = 0;
	R->transparent = 0;
	R->sink = SINK_NONE;
	inflight_clear(R);
	settle(R, scaled(R, R->st->sleep_us));
	end = hns_now_us() + step_deadline(R, RESET_DEADLINE_US);
	while (!step_failed(R) && !R->vanished && (now = hns_now_us()) < end) {
		uint64_t until = now + (end - now < PROBE_US ? end - now : PROBE_US);
		tries++;
		if (send_line(R, probe, sizeof(probe) - 1, NULL) < 0)
			return;
		while (!R->vanished && !step_failed(R)) {
			while (R->qn > 0) {
				struct qframe *q = &R->q[0];
				if (q->kind == ATP_FRAME_RESPONSE) {
					int ok = !q->is_error;
					if (!ok)
						fail(R, RPT_FAIL, "the module answered AT+ with +ERR=%ld "
						    "after the reset", q->errcode);
					qpop(R);
					if (ok)
						return;
					continue;
				}
				account(R, q);
				qpop(R);
			}
			now = hns_now_us();
			if (now >= until)
				break;
			if (pump(R, until - now) <= 0 && hns_now_us() >= until)
				(void)atp_framer_flush(R->fr, on_frame, R);
		}
	}
	if (!step_failed(R) && !R->vanished)
		fail(R, RPT_FAIL, "no +OK to AT+ within %llu ms of the %s pulse (%u tries)",
		    (unsigned long long)(step_deadline(R, RESET_DEADLINE_US) / 1000),
		    R->st->rline == 1 ? "DTR" : "RTS", tries);
}

static void
exec_reset(struct runner *R)
{
	static const char line[] = "AT+Z\r";

	predrain(R);
	if (step_failed(R) || R->vanished)
		return;
	if (R->st->rline != 0) {
		exec_reset_line(R);
		return;
	}
	R->banner_seen = 0;
	if (send_line(R, line, sizeof(line) - 1, NULL) < 0)
		return;
	if (await_response(R, &R->st->expect, step_deadline(R, DEFAULT_DEADLINE_US)) <= 0)
		return;
	settle(R, scaled(R, R->st->sleep_us));
	R->echo = 0;
	R->transparent = 0;
	R->sink = SINK_NONE;
	inflight_clear(R);
}

int
hns_parse_number(struct atp_span s, double *out)
{
	struct atp_cur c = atp_cur_make(s.p, s.len);
	uint64_t ip = 0, fp = 0;
	double v, scale = 1;
	uint8_t ch;
	int neg = 0;
	size_t digits = 0;

	if (atp_cur_lit(&c, "-") == ATP_OK)
		neg = 1;
	if (atp_cur_dec(&c, &ip, 1000000000000000ull) < 0)
		return ATP_ERR_SYNTAX;
	if (atp_cur_lit(&c, ".") == ATP_OK) {
		while (atp_cur_peek(&c, &ch) == ATP_OK && ATP_ISDIGIT(ch) && digits < 15) {
			(void)atp_cur_u8(&c, &ch);
			fp = fp * 10 + (uint64_t)(ch - '0');
			scale *= 10;
			digits++;
		}
		if (digits == 0)
			return ATP_ERR_SYNTAX;
	}
	if (c.left != 0)
		return ATP_ERR_SYNTAX;
	v = (double)ip + (double)fp / scale;
	*out = neg ? -v : v;
	return ATP_OK;
}

static void
exec_measure(struct runner *R)
{
	struct rpt_measure *m;
	struct atp_diag d;
	char *s = NULL;
	double v;

	atp_diag_clear(&d);
	if (hns_expand(&R->vars, R->st->mvalue, &s, NULL, &d) < 0) {
		fail(R, RPT_INCONC, "measure %s: %s", R->st->mname, d.msg);
		return;
	}
	if (hns_parse_number(atp_span_str(s), &v) < 0) {
		fail(R, RPT_FAIL, "measure %s: \"%.40s\" is not a number", R->st->mname, s);
		atp_free(s);
		return;
	}
	atp_free(s);
	m = rpt_measure_add(R->rc, R->st->mname);
	if (m == NULL) {
		fail(R, RPT_ERROR, "out of memory");
		return;
	}
	m->value = v;
	(void)rpt_set(&m->unit, R->st->munit);
	m->has_min = R->st->has_mmin;
	m->has_max = R->st->has_mmax;
	m->min = R->st->mmin;
	m->max = R->st->mmax;
	m->verdict = RPT_PASS;
	if ((m->has_min && v < m->min) || (m->has_max && v > m->max)) {
		m->verdict = RPT_FAIL;
		fail(R, RPT_FAIL, "measure %s = %g %s is outside its limits", R->st->mname, v,
		    R->st->munit != NULL ? R->st->munit : "");
	}
}

static void
exec_set(struct runner *R)
{
	struct atp_diag d;
	size_t i, n;
	char *s;

	for (i = 0; i < R->st->nsets; i++) {
		atp_diag_clear(&d);
		if (hns_expand(&R->vars, R->st->sets[i].value, &s, &n, &d) < 0) {
			fail(R, RPT_INCONC, "set %s: %s", R->st->sets[i].name, d.msg);
			return;
		}
		(void)hns_vars_set(&R->vars, R->st->sets[i].name, s, n, 0);
		atp_free(s);
	}
}

static void
exec_peer_send(struct runner *R)
{
	struct atp_diag d;
	uint8_t *p;
	size_t n;

	char *topic = NULL;

	if (data_bytes(R, &R->st->data, &p, &n) < 0)
		return;
	atp_diag_clear(&d);
	if (R->st->topic != NULL && hns_expand(&R->vars, R->st->topic, &topic, NULL, &d) < 0) {
		undefined(R, &d);
		atp_free(p);
		return;
	}
	if (hns_peers_send(R->peers, R->st->peer, topic, R->st->qos > 0 ? R->st->qos : 0,
	    R->st->retain > 0, p, n, &d) < 0)
		fail(R, RPT_FAIL, "%s", d.msg);
	atp_free(topic);
	atp_free(p);
	/* What the module does with the bytes (a report, data) is the next
	 * step's to account. */
}

/*
 * What the messages a peer_expect takes carry beside their bytes: the
 * QoS and retain flag the module published with (MQTT), the connection a
 * request came on (HTTP keep-alive). Each message that starts in the
 * first @len bytes must have what the step asks.
 */
static void
peer_meta(struct runner *R, size_t len)
{
	const struct hns_step *st = R->st;
	const struct hns_peer_msg *m;
	size_t i, n;

	if (st->qos < 0 && st->retain < 0 && st->conn == 0)
		return;
	n = hns_peers_msgs(R->peers, st->peer, &m);
	for (i = 0; i < n && m[i].off < len; i++) {
		if (st->qos >= 0 && m[i].qos != st->qos) {
			fail(R, RPT_FAIL, "peer %s: message %zu came with QoS %d, not %d", st->peer,
			    i + 1, m[i].qos, st->qos);
			return;
		}
		if (st->retain >= 0 && m[i].retain != st->retain) {
			fail(R, RPT_FAIL, "peer %s: message %zu came with retain %d, not %d",
			    st->peer, i + 1, m[i].retain, st->retain);
			return;
		}
		if (st->conn > 0 && m[i].conn != st->conn) {
			fail(R, RPT_FAIL, "peer %s: request %zu came on connection %u (request %u "
			    "there), not on connection %u", st->peer, i + 1, m[i].conn, m[i].seq,
			    st->conn);
			return;
		}
	}
	if (i == 0 && len > 0)
		fail(R, RPT_FAIL, "peer %s: the bytes taken are no message's start, so %s "
		    "cannot be checked", st->peer, st->conn > 0 ? "the connection" : "QoS and retain");
}

static void
exec_peer_expect(struct runner *R)
{
	uint64_t end = hns_now_us() + step_deadline(R, DATA_DEADLINE_US), now;
	uint8_t *want = NULL;
	const uint8_t *rx;
	size_t wn = 0, rxlen = 0, len;
	uint64_t n;
	int overflow = 0;
	char *s = NULL;
	const char *fault;
	struct atp_diag d;

	if (data_bytes(R, &R->st->data, &want, &wn) < 0)
		return;
	len = wn;
	atp_diag_clear(&d);
	if (R->st->data.len != NULL) {
		if (hns_expand(&R->vars, R->st->data.len, &s, NULL, &d) < 0 ||
		    atp_span_dec(atp_span_str(s), &n, HNS_DATA_MAX) < 0) {
			fail(R, RPT_INCONC, "peer_expect: len %s", d.msg[0] ? d.msg : "is not a number");
			atp_free(s);
			atp_free(want);
			return;
		}
		atp_free(s);
		len = (size_t)n;
	}
	for (;;) {
		hns_peers_service(R->peers);
		rx = hns_peers_rx(R->peers, R->st->peer, &rxlen, &overflow);
		/* A request the peer refused: what was to come will not. */
		if (rxlen >= len || overflow || hns_peers_faulty(R->peers, R->st->peer))
			break;
		now = hns_now_us();
		if (now >= end || R->vanished)
			break;
		(void)pump(R, end - now > IDLE_FLUSH_US ? IDLE_FLUSH_US : end - now);
		account_all(R);
	}
	rx = hns_peers_rx(R->peers, R->st->peer, &rxlen, &overflow);
	if (R->vanished) {
		atp_free(want);
		return;
	}
	if ((fault = hns_peers_fault(R->peers, R->st->peer)) != NULL)
		fail(R, RPT_FAIL, "%s", fault);
	else if (overflow)
		fail(R, RPT_FAIL, "peer %s received more than %u bytes", R->st->peer, HNS_DATA_MAX);
	else if (rxlen < len)
		fail(R, RPT_FAIL, "peer %s received %zu of %zu bytes within the deadline",
		    R->st->peer, rxlen, len);
	else if (R->st->data.src != HNS_D_NONE)
		compare_data(R, want, wn, rx, len);
	if (!step_failed(R))
		peer_meta(R, len);
	hns_peers_consume(R->peers, R->st->peer, len);
	atp_free(want);
}

/* DTR, RTS, break: what a transport without modem lines (TCP, a pty)
 * cannot do leaves the step undecided, not failed. */
static void
exec_line(struct runner *R)
{
	struct atp_diag d;

	predrain(R);
	if (R->t->ops->line == NULL) {
		fail(R, RPT_INCONC, "the %s transport has no modem lines", R->t->ops->name);
		return;
	}
	atp_diag_clear(&d);
	if (R->t->ops->line(R->t, R->st->dtr, R->st->rts, scaled(R, R->st->break_us), &d) < 0)
		fail(R, d.code == ATP_ERR_UNSUPP ? RPT_INCONC : RPT_ERROR, "%s", d.msg);
}

/* The host side's rate, after an AT+UART moved the module's (§2.2.2.20).
 * A transport without a rate (TCP) leaves the step undecided, as `line`. */
static void
exec_baud(struct runner *R)
{
	struct hns_serial_cfg to;
	struct atp_diag d;

	predrain(R);
	if (R->t->ops->baud == NULL) {
		fail(R, RPT_INCONC, "the %s transport has no baud rate", R->t->ops->name);
		return;
	}
	memset(&to, 0, sizeof(to));
	to.baud = R->st->baud;
	to.databits = R->st->databits;
	to.stopbits = R->st->stopbits;
	to.parity = R->st->parity;
	atp_diag_clear(&d);
	if (R->t->ops->baud(R->t, &to, &d) < 0)
		fail(R, RPT_ERROR, "%s", d.msg);
}

static void
exec_step(struct runner *R)
{
	switch (R->st->kind) {
	case HNS_S_SEND: exec_send(R); break;
	case HNS_S_EXPECT: exec_expect(R); break;
	case HNS_S_SEND_DATA: exec_send_data(R); break;
	case HNS_S_READ_DATA: exec_read_data(R); break;
	case HNS_S_ENTER_TRANSPARENT: exec_enter_transparent(R); break;
	case HNS_S_STREAM: exec_stream(R); break;
	case HNS_S_LEAVE_TRANSPARENT: exec_leave_transparent(R); break;
	case HNS_S_WAIT_REPORT: exec_wait_report(R); break;
	case HNS_S_SLEEP:
		settle(R, scaled(R, R->st->sleep_us));
		if (R->st->final_check) {
			const char *pn;
			size_t pl;
			unread_data(R);
			if ((pn = hns_peers_fault(R->peers, NULL)) != NULL)
				fail(R, RPT_FAIL, "%s", pn);
			pn = hns_peers_unread(R->peers, &pl);
			if (pn != NULL)
				fail(R, RPT_FAIL, "peer %s received %zu bytes that no peer_expect took",
				    pn, pl);
		}
		break;
	case HNS_S_RESET: exec_reset(R); break;
	case HNS_S_MEASURE: exec_measure(R); break;
	case HNS_S_SET: exec_set(R); break;
	case HNS_S_PEER_SEND: exec_peer_send(R); break;
	case HNS_S_PEER_EXPECT: exec_peer_expect(R); break;
	case HNS_S_LINE: exec_line(R); break;
	case HNS_S_BAUD: exec_baud(R); break;
	}
	if (R->qnomem)
		fail(R, RPT_ERROR, "out of memory (or more than %u frames queued)", QUEUE_MAX);
	if (R->abort_msg[0] != '\0') {
		fail(R, RPT_FAIL, "%s", R->abort_msg);
		R->abort_msg[0] = '\0';
	}
}

static void
progress(struct runner *R, size_t ci, size_t nc, const char *what)
{
	char *m;

	if (!R->o->progress)
		return;
	m = hns_mask(&R->vars, what, strlen(what), NULL);
	fprintf(stderr, "\r\033[K[%zu/%zu] %s: %.60s", ci + 1, nc, R->rc->id,
	    m != NULL ? m : "");
	atp_free(m);
}

/* A conditional retry: only when the response was one of the codes. */
static int
retry_wanted(const struct runner *R, const struct hns_step *st)
{
	size_t i;

	if (!R->resp_err)
		return 0;
	for (i = 0; i < st->nretry_codes; i++)
		if (st->retry_codes[i] == R->resp_code)
			return 1;
	return 0;
}

/* Runs one step with its retries. Returns 0, or -1 if the port vanished. */
static int
run_step(struct runner *R, const struct hns_step *st, const char *phase)
{
	unsigned attempt;
	char note[600];

	R->st = st;
	R->rs = rpt_step_add(R->rc, st->name, phase);
	if (R->rs == NULL)
		return -1;
	(void)rpt_set(&R->rs->file, st->pos.file);
	R->rs->line = st->pos.line;
	R->rs->col = st->pos.col;
	if (st->expect.text != NULL && st->kind != HNS_S_READ_DATA)
		rset(R, &R->rs->expected, st->expect.text);
	else if (st->expect.kind == HNS_M_ERROR) {
		char e[32];
		snprintf(e, sizeof(e), "+ERR=%ld", st->expect.errcode);
		(void)rpt_set(&R->rs->expected, e);
	}
	if (R->rcount == NULL || st->nrules + 1 > R->rcount_cap) {
		/* Kept from step to step (zeroed per attempt below). */
		atp_free(R->rcount);
		R->rcount = atp_calloc(st->nrules + 1, sizeof(*R->rcount));
		R->rcount_cap = R->rcount != NULL ? st->nrules + 1 : 0;
	}
	R->nrcount = R->rcount != NULL ? st->nrules : 0;
	for (attempt = 0; attempt <= st->retry; attempt++) {
		char cm[300];
		R->sv = RPT_PASS;
		R->why[0] = '\0';
		R->nunconsumed = 0;
		R->undef = 0;
		R->module_reset = 0;
		R->step_rx = 0;
		R->step_odd = 0;
		R->step_proto = 0;
		if (R->rcount != NULL)
			memset(R->rcount, 0, (st->nrules + 1) * sizeof(*R->rcount));
		if (R->cap != NULL) {
			/* Formatted only for a capture: it costs a sixth of an
			 * exchange's own work otherwise. */
			snprintf(cm, sizeof(cm), "%s: %s step %s (%s:%lu)%s", R->rc->id, phase,
			    st->name, st->pos.file, st->pos.line, attempt > 0 ? " retry" : "");
			capture_comment(R, cm);
		}
		R->rs->attempts = attempt + 1;
		exec_step(R);
		if (R->vanished)
			break;
		if (!step_failed(R))
			break;
		if (st->nretry_codes > 0 && !retry_wanted(R, st))
			break;
		if (attempt < st->retry) {
			/* Bounded and visible: every retry is in the report. */
			settle(R, scaled(R, st->retry_delay_us));
			if (R->vanished)
				break;
		}
	}
	/* A connection a peer reset on purpose explains what the module did
	 * next (a closed socket, +ERR, missing data): the failure says so. */
	if (step_failed(R) && !R->vanished && R->peers != NULL) {
		char pn[200];
		if (hns_peers_resets(R->peers, pn, sizeof(pn)) > 0)
			fail(R, R->sv, "%s", pn);
	}
	if (R->vanished) {
		R->sv = RPT_ERROR;
		snprintf(R->why, sizeof(R->why), "%s", R->vanish_msg);
	}
	if (st->deviation != NULL && R->sv == RPT_FAIL)
		judge_deviation(R, st);
	if (st->optional && R->sv == RPT_FAIL)
		R->sv = RPT_PASS;
	if (R->undef && strcmp(phase, "teardown") == 0 && R->sv == RPT_INCONC) {
		R->sv = RPT_SKIP;
		snprintf(note, sizeof(note), "not run: %s (the step that sets it did not run)",
		    R->why);
		note[sizeof(R->why) - 1] = '\0';
		memcpy(R->why, note, strlen(note) + 1);
	}
	R->rs->verdict = R->sv;
	if (R->why[0] != '\0') {
		if (R->rs->attempts > 1 && R->sv != RPT_PASS)
			snprintf(note, sizeof(note), "%s (after %u attempts)", R->why, R->rs->attempts);
		else
			snprintf(note, sizeof(note), "%s", R->why);
		rset(R, &R->rs->message, note);
	} else if (R->rs->attempts > 1) {
		snprintf(note, sizeof(note), "passed on attempt %u of %u", R->rs->attempts,
		    st->retry + 1);
		(void)rpt_set(&R->rs->message, note);
	}
	if (R->nunconsumed > 0)
		show_bytes(R, (const uint8_t *)R->unconsumed, R->nunconsumed, &R->rs->unconsumed,
		    &R->rs->unconsumed_hex);
	if (R->rs->verdict != RPT_PASS && R->rc->reason == NULL) {
		char r[700];
		snprintf(r, sizeof(r), "%s:%lu: %s: %s", st->pos.file, st->pos.line, st->name,
		    R->rs->message != NULL ? R->rs->message : rpt_verdict_name(R->rs->verdict));
		(void)rpt_set(&R->rc->reason, r);
	}
	R->st = NULL;
	return R->vanished ? -1 : 0;
}

static void
skip_steps(struct runner *R, const struct hns_step *steps, size_t from, size_t n,
    const char *phase)
{
	size_t i;

	for (i = from; i < n; i++) {
		struct rpt_step *s = rpt_step_add(R->rc, steps[i].name, phase);
		if (s == NULL)
			return;
		(void)rpt_set(&s->file, steps[i].pos.file);
		s->line = steps[i].pos.line;
		s->verdict = RPT_SKIP;
	}
}

/* Runs a list; stops at the first failure unless @all (teardown). */
static int
run_list(struct runner *R, const struct hns_step *steps, size_t n, const char *phase, int all,
    int *failed, size_t ci, size_t nc)
{
	size_t i;

	for (i = 0; i < n; i++) {
		progress(R, ci, nc, steps[i].name);
		if (run_step(R, &steps[i], phase) < 0) {
			skip_steps(R, steps, i + 1, n, phase);
			return -1;
		}
		if (R->rs->verdict != RPT_PASS && R->rs->verdict != RPT_SKIP) {
			*failed = 1;
			if (!all) {
				skip_steps(R, steps, i + 1, n, phase);
				return 0;
			}
		}
	}
	return 0;
}

static int
has_cap(const struct runner *R, const char *cap)
{
	size_t i;

	for (i = 0; i < R->o->ncaps; i++)
		if (strcmp(R->o->caps[i], cap) == 0)
			return 1;
	for (i = 0; i < R->ndetected; i++)
		if (strcmp(R->detected[i], cap) == 0)
			return 1;
	return 0;
}

static int
setup_vars(struct runner *R, const struct hns_scenario *sc, const size_t *combo,
    unsigned long iter)
{
	struct atp_diag d;
	size_t i, n;
	char *s, buf[32];
	int rc;

	hns_vars_clear(&R->vars);
	for (i = 0; i < R->globals->n; i++)
		if (R->globals->v[i].name != NULL && hns_vars_set(&R->vars,
		    R->globals->v[i].name, R->globals->v[i].value, R->globals->v[i].len,
		    R->globals->v[i].secret) < 0)
			return ATP_ERR_NOMEM;
	if (R->rep->unit_mac != NULL)
		(void)hns_vars_set(&R->vars, "unit.mac", R->rep->unit_mac, strlen(R->rep->unit_mac), 0);
	if (R->rep->unit_fw != NULL)
		(void)hns_vars_set(&R->vars, "unit.fw", R->rep->unit_fw, strlen(R->rep->unit_fw), 0);
	if (R->o->prof != NULL)
		(void)hns_vars_set(&R->vars, "unit.profile", R->o->prof->name,
		    strlen(R->o->prof->name), 0);
	snprintf(buf, sizeof(buf), "%lu", iter);
	(void)hns_vars_set(&R->vars, "iteration", buf, strlen(buf), 0);
	for (i = 0; R->peers != NULL && i < sc->npeers; i++) {
		char nm[160], port[16];
		snprintf(nm, sizeof(nm), "peers.%s.host", sc->peers[i].name);
		(void)hns_vars_set(&R->vars, nm, "127.0.0.1", 9, 0);
		snprintf(nm, sizeof(nm), "peers.%s.port", sc->peers[i].name);
		snprintf(port, sizeof(port), "%u", hns_peers_port(R->peers, i));
		(void)hns_vars_set(&R->vars, nm, port, strlen(port), 0);
	}
	for (i = 0; i < sc->nmatrix; i++)
		if (hns_vars_set(&R->vars, sc->matrix[i].name, sc->matrix[i].values[combo[i]],
		    strlen(sc->matrix[i].values[combo[i]]), 0) < 0)
			return ATP_ERR_NOMEM;
	for (i = 0; i < sc->nvars; i++) {
		/* --var wins over the scenario's default. */
		if (hns_vars_get(R->globals, sc->vars[i].name) != NULL) {
			if (sc->vars[i].secret) {
				const struct hns_var *g = hns_vars_get(&R->vars, sc->vars[i].name);
				(void)hns_vars_add_secret(&R->vars, g->value, g->len);
			}
			continue;
		}
		atp_diag_clear(&d);
		rc = hns_expand(&R->vars, sc->vars[i].value, &s, &n, &d);
		if (rc < 0) {
			(void)rpt_set(&R->rc->reason, d.msg);
			return rc;
		}
		rc = hns_vars_set(&R->vars, sc->vars[i].name, s, n, sc->vars[i].secret);
		atp_free(s);
		if (rc < 0)
			return rc;
	}
	return ATP_OK;
}

static void
run_case(struct runner *R, const struct hns_scenario *sc, const size_t *combo,
    unsigned long iter, size_t ci, size_t nc)
{
	char id[512];
	size_t i, len;
	uint64_t t0 = hns_now_us();
	int failed = 0, tags_ok = 1;
	struct atp_diag d;

	len = (size_t)snprintf(id, sizeof(id), "%s", sc->id);
	for (i = 0; i < sc->nmatrix && len < sizeof(id); i++)
		len += (size_t)snprintf(id + len, sizeof(id) - len, "%s%s=%s", i ? "," : "[",
		    sc->matrix[i].name, sc->matrix[i].values[combo[i]]);
	if (sc->nmatrix > 0 && len < sizeof(id))
		len += (size_t)snprintf(id + len, sizeof(id) - len, "]");
	if (sc->repeat > 1 && len < sizeof(id))
		snprintf(id + len, sizeof(id) - len, "#%lu", iter + 1);
	R->sc = sc;
	R->abort_msg[0] = '\0';
	R->rc = rpt_case_add(R->rep, id, sc->file);
	if (R->rc == NULL)
		return;
	(void)rpt_set(&R->rc->title, sc->title);
	(void)rpt_set(&R->rc->spec, sc->spec);
	R->rc->verdict = RPT_PASS;
	if (R->o->tags != NULL) {
		atp_diag_clear(&d);
		(void)hns_tags_match(R->o->tags, (const char *const *)sc->tags, sc->ntags,
		    &tags_ok, &d);
		if (!tags_ok) {
			R->rc->verdict = RPT_SKIP;
			(void)rpt_set(&R->rc->reason, "tags do not match");
			return;
		}
	}
	for (i = 0; i < sc->nrequires; i++)
		if (!has_cap(R, sc->requires[i])) {
			char r[200];
			snprintf(r, sizeof(r), "requires %s, which the unit does not have",
			    sc->requires[i]);
			R->rc->verdict = RPT_SKIP;
			(void)rpt_set(&R->rc->reason, r);
			return;
		}
	if (sc->npeers > 0) {
		atp_diag_clear(&d);
		if (hns_peers_start(sc->peers, sc->npeers, &R->peers, &d) < 0) {
			R->rc->verdict = RPT_ERROR;
			(void)rpt_set(&R->rc->reason, d.msg);
			R->peer_fail = 1;
			snprintf(R->peer_msg, sizeof(R->peer_msg), "%s", d.msg);
			return;
		}
		hns_peers_set_ack_wait(R->peers, scaled(R, HNS_PEER_ACK_US));
	}
	if (setup_vars(R, sc, combo, iter) < 0) {
		R->rc->verdict = RPT_INCONC;
		if (R->rc->reason == NULL)
			(void)rpt_set(&R->rc->reason, "cannot set the variables up");
		hns_peers_stop(R->peers);
		R->peers = NULL;
		return;
	}
	R->echo = sc->echo;
	R->transparent = 0;
	R->sink = SINK_NONE;
	R->dlen = 0;
	inflight_clear(R);

	if (run_list(R, sc->setup, sc->nsetup, "setup", 0, &failed, ci, nc) < 0)
		goto vanished;
	if (!failed) {
		if (run_list(R, sc->steps, sc->nsteps, "steps", 0, &failed, ci, nc) < 0)
			goto vanished;
	} else {
		skip_steps(R, sc->steps, 0, sc->nsteps, "steps");
	}
	/* A step that failed in transparent mode left the module there: its
	 * teardown's commands would go out as data (and, with automatic mode
	 * in flash, stay so across restarts). The runner leaves first, with
	 * the guard silences of "+++" (w600-firmware.md §9), and says so. */
	if (failed && R->transparent && !R->vanished) {
		static const struct hns_step leave = { .kind = HNS_S_LEAVE_TRANSPARENT };
		struct hns_step lv = leave;
		lv.name = (char *)(uintptr_t)"the runner: leave transparent mode before the teardown";
		lv.pos.file = sc->file;
		if (sc->nsteps > 0)
			lv.pos = sc->steps[sc->nsteps - 1].pos;
		lv.sleep_us = 100000;
		lv.expect.kind = HNS_M_OK;
		lv.optional = 1;
		if (run_step(R, &lv, "teardown") < 0)
			goto vanished;
	}
	/* Teardown always runs, every step of it. */
	if (run_list(R, sc->teardown, sc->nteardown, "teardown", 1, &failed, ci, nc) < 0)
		goto vanished;
	/* A case that left the port at another rate (a failure between
	 * its `baud` steps, or a teardown without one) hands the next case
	 * the run's rate: the runner's own step says so in the report. */
	if (R->run_line.baud != 0 && (R->t->line.baud != R->run_line.baud ||
	    R->t->line.databits != R->run_line.databits ||
	    R->t->line.stopbits != R->run_line.stopbits ||
	    R->t->line.parity != R->run_line.parity)) {
		static const struct hns_step back = { .kind = HNS_S_BAUD };
		struct hns_step b = back;
		char nm[80];
		snprintf(nm, sizeof(nm), "the runner: baud back to %lu %d%c%d, the run's line",
		    R->run_line.baud, R->run_line.databits, R->run_line.parity,
		    R->run_line.stopbits);
		b.name = nm;
		b.baud = R->run_line.baud;
		b.databits = R->run_line.databits;
		b.stopbits = R->run_line.stopbits;
		b.parity = R->run_line.parity;
		b.pos.file = sc->file;
		if (sc->nsteps > 0)
			b.pos = sc->steps[sc->nsteps - 1].pos;
		if (sc->nteardown > 0)
			b.pos = sc->teardown[sc->nteardown - 1].pos;
		if (run_step(R, &b, "teardown") < 0)
			goto vanished;
	}
	/* Strict to the end: bytes after the last step fail the case. */
	{
		static const struct hns_step quiet = { .kind = HNS_S_SLEEP };
		struct hns_step q = quiet;
		q.name = (char *)(uintptr_t)"quiet after the last step";
		q.pos.file = sc->file;
		q.final_check = 1;
		if (sc->nsteps > 0)
			q.pos = sc->steps[sc->nsteps - 1].pos;
		if (sc->nteardown > 0)
			q.pos = sc->teardown[sc->nteardown - 1].pos;
		q.sleep_us = sc->settle_us;
		if (R->transparent)
			q.sleep_us = 0;
		if (run_step(R, &q, "end") < 0)
			goto vanished;
	}
	R->rc->seconds = (double)(hns_now_us() - t0) / 1e6;
	hns_peers_stop(R->peers);
	R->peers = NULL;
	return;
vanished:
	hns_peers_stop(R->peers);
	R->peers = NULL;
	R->rc->seconds = (double)(hns_now_us() - t0) / 1e6;
	R->rc->verdict = RPT_ERROR;
	(void)rpt_set(&R->rc->reason, R->vanish_msg);
}

/*
 * Who is on the other end: QVER and QMAC, before the first case, so that
 * every report carries the unit's identity (factory records are keyed on
 * it) and `requires:` can be decided. No verdict comes of it.
 */
static void
identify(struct runner *R, const char *line, char **dst)
{
	uint64_t end, quiet_from;
	size_t i;
	int got = 0, flushed = 0;

	R->quiet = 1;
	while (!R->vanished && pump(R, 0) > 0)
		;
	while (R->qn > 0)
		qpop(R);
	if (send_bytes(R, line, strlen(line)) < 0) {
		R->quiet = 0;
		return;
	}
	end = hns_now_us() + scaled(R, 1000000);
	quiet_from = hns_now_us();
	while (!R->vanished && !got && hns_now_us() < end) {
		if (pump(R, IDLE_FLUSH_US) > 0) {
			quiet_from = hns_now_us();
			flushed = 0;
		} else if (!flushed && hns_now_us() - quiet_from >= IDLE_FLUSH_US) {
			(void)atp_framer_flush(R->fr, on_frame, R);
			flushed = 1;
		}
		for (i = 0; i < R->qn && !got; i++) {
			if (R->q[i].kind != ATP_FRAME_RESPONSE)
				continue;
			got = 1;
			if (!R->q[i].is_error && R->q[i].len > 4 + R->q[i].term_len) {
				char esc[200];
				atp_span_escape(atp_span_make(R->q[i].bytes + 4,
				    R->q[i].len - 4 - R->q[i].term_len), esc, sizeof(esc));
				(void)rpt_set(dst, esc);
			}
		}
	}
	/* Whatever else came (an echo, a banner) is not the scenarios' to
	 * account: the identity exchange is outside every case. */
	while (!R->vanished && pump(R, 0) > 0)
		;
	if (!R->vanished)
		(void)atp_framer_flush(R->fr, on_frame, R);
	while (R->qn > 0)
		qpop(R);
	inflight_clear(R);
	R->quiet = 0;
}

/*
 * Capabilities from what the unit says it is: fw:<profile> when its QVER
 * text is a profile's, and mqtt with the manual's command set (§2.2.4;
 * no public firmware has it, w600-firmware.md §13).
 */
static void
detect_caps(struct runner *R)
{
	size_t i;

	if (R->rep->unit_fw == NULL)
		return;
	for (i = 0; i < atp_profile_count(); i++) {
		const struct atp_profile *p = atp_profile_at(i);
		if (p->version == NULL || strcmp(p->version, R->rep->unit_fw) != 0)
			continue;
		snprintf(R->capbuf, sizeof(R->capbuf), "fw:%s", p->name);
		R->detected[R->ndetected++] = R->capbuf;
		if (p->bit == ATP_PROFILE_MANUAL)
			R->detected[R->ndetected++] = "mqtt";
		return;
	}
}

int
hns_run(struct hns_transport *t, struct hns_scenario *const *sc, size_t n,
    const struct hns_vars *globals, const struct hns_run_opts *o, struct rpt_run *rep)
{
	struct runner R;
	struct timespec rt;
	size_t i, ci = 0, nc = 0;
	uint64_t t0 = hns_now_us();
	int rc = ATP_OK;

	memset(&R, 0, sizeof(R));
	R.t = t;
	R.run_line = t->line;
	R.o = o;
	R.rep = rep;
	R.globals = globals;
	clock_gettime(CLOCK_REALTIME, &rt);
	R.epoch_off = ((uint64_t)rt.tv_sec * 1000000u + (uint64_t)rt.tv_nsec / 1000u) - hns_now_us();
	if (atp_framer_new(NULL, &R.fr) < 0)
		return ATP_ERR_NOMEM;
	(void)rpt_set(&rep->port, t->name);
	if (o->prof != NULL)
		(void)rpt_set(&rep->profile, o->prof->name);
	if (o->capture != NULL) {
		struct atp_pcapng_opts po;
		struct atp_diag d;
		memset(&po, 0, sizeof(po));
		po.if_name = t->name;
		po.if_description = t->desc;
		po.comment = "atproof run";
		atp_diag_clear(&d);
		if (atp_pcapng_open(o->capture, &po, &R.cap, &d) < 0) {
			/* Nothing runs without the capture asked for: exit 3, and
			 * the report says why (not an empty pass). */
			char m[300];
			snprintf(m, sizeof(m), "capture %s; nothing was run", d.msg);
			fprintf(stderr, "atproof run: %s\n", m);
			rep->verdict = RPT_ERROR;
			(void)rpt_set(&rep->reason, m);
			atp_framer_free(R.fr);
			return ATP_ERR_IO;
		}
	}
	for (i = 0; i < n; i++) {
		size_t k, combos = 1;
		for (k = 0; k < sc[i]->nmatrix; k++)
			combos *= sc[i]->matrix[k].nvalues;
		nc += sc[i]->repeat * combos;
	}
	if (o->identify) {
		identify(&R, "AT+QVER\r", &rep->unit_fw);
		identify(&R, "AT+QMAC\r", &rep->unit_mac);
		detect_caps(&R);
	}
	for (i = 0; i < n && !R.vanished; i++) {
		size_t combo[64], k;
		unsigned long it;
		int more = 1;
		memset(combo, 0, sizeof(combo));
		while (more && !R.vanished) {
			for (it = 0; it < sc[i]->repeat && !R.vanished; it++)
				run_case(&R, sc[i], combo, it, ci++, nc);
			/* Next combination of the matrix, odometer-style. */
			more = 0;
			for (k = 0; k < sc[i]->nmatrix && k < 64; k++) {
				if (++combo[k] < sc[i]->matrix[k].nvalues) {
					more = 1;
					break;
				}
				combo[k] = 0;
			}
		}
	}
	if (o->progress)
		fprintf(stderr, "\r\033[K");
	if (R.peer_fail && !R.vanished) {
		rep->verdict = RPT_ERROR;
		(void)rpt_set(&rep->reason, R.peer_msg);
	}
	if (R.cap_failed && !R.vanished && !R.peer_fail) {
		rep->verdict = RPT_ERROR;
		(void)rpt_set(&rep->reason, R.cap_msg);
	}
	if (R.vanished) {
		rc = ATP_ERR_IO;
		rep->verdict = RPT_ERROR;
		(void)rpt_set(&rep->reason, R.vanish_msg);
		/* The scenarios not reached are in the report as not run. */
		for (; i < n; i++) {
			struct rpt_case *c = rpt_case_add(rep, sc[i]->id, sc[i]->file);
			if (c != NULL) {
				c->verdict = RPT_SKIP;
				char nr[300];
				snprintf(nr, sizeof(nr), "not run: %s", R.vanish_msg);
				(void)rpt_set(&c->reason, nr);
			}
		}
	}
	rep->seconds = (double)(hns_now_us() - t0) / 1e6;
	if (R.cap != NULL) {
		struct atp_diag d;
		atp_diag_clear(&d);
		if (atp_pcapng_close(R.cap, &d) < 0)
			fprintf(stderr, "atproof run: capture: %s\n", d.msg);
	}
	while (R.qn > 0)
		qpop(&R);
	atp_free(R.q);
	atp_free(R.dbuf);
	atp_free(R.rcount);
	hns_vars_clear(&R.vars);
	atp_framer_free(R.fr);
	return rc;
}
