/* SPDX-License-Identifier: MIT */
/* \summary: the emulator engine: input path, dispatch, replies, faults, log */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulator/emu.h"

/*
 * The path of a byte from the host (w600-firmware.md §1.2-1.4, §6):
 *
 *   emu_input -> log -> data mode?  COUNTED: payload buffer (SKSND, §8.1)
 *                                   TRANSPARENT: the network (ENTM, §9)
 *                                   CMD: the 4 KiB ring -> atp_cmdline_next()
 *     -> one command at a time: echo, parse-stage errors (one CRLF),
 *        existence, form and minimum-argument checks, then the handler.
 *
 * While a command runs (a WJOIN takes seconds), lines wait in the ring
 * (queue-not-discard) or, as the manual says (§2.1.1.1), are discarded.
 */

struct emu_log {
	FILE *f;
	int owned;
	int with_index;
};

/* ---- random numbers for the faults (xorshift64*) -------------------- */

static uint64_t
rnd(struct emu *e)
{
	uint64_t x = e->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	e->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* A uniform number in [0, 1). */
static double
rnd01(struct emu *e)
{
	return (double)(rnd(e) >> 11) / 9007199254740992.0;
}

int
emu_dev(const struct emu *e, const char *id)
{
	return atp_profile_has_id(e->prof, id);
}

/* ---- log ---------------------------------------------------------------- */

int
emu_log_open(const char *path, int with_index, struct emu_log **out, struct atp_diag *d)
{
	struct emu_log *log;

	*out = NULL;
	log = atp_calloc(1, sizeof(*log));
	if (log == NULL)
		return atp_diag_set(d, ATP_ERR_NOMEM, "log: out of memory");
	log->with_index = with_index;
	if (path != NULL && strcmp(path, "/dev/null") == 0) {
		/* No log at all (the harness's private emulator: nobody reads
		 * it): not even the formatting is paid for. */
		atp_free(log);
		return ATP_OK;
	}
	if (path == NULL || strcmp(path, "-") == 0) {
		int fd = dup(STDERR_FILENO);

		/* A stream of our own on standard error: stderr itself is
		 * unbuffered and would write every piece of a line apart;
		 * this one writes a line at once (flushed at its end). */
		log->f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (log->f != NULL) {
			log->owned = 1;
		} else {
			if (fd >= 0)
				close(fd);
			log->f = stderr;
		}
	} else {
		log->f = fopen(path, "a");
		if (log->f == NULL) {
			int rc = atp_diag_set(d, ATP_ERR_IO, "log %s: %s", path, strerror(errno));
			if (d != NULL)
				d->sys_errno = errno;
			atp_free(log);
			return rc;
		}
		log->owned = 1;
	}
	*out = log;
	return ATP_OK;
}

void
emu_log_close(struct emu_log *log)
{
	if (log == NULL)
		return;
	if (log->owned)
		fclose(log->f);
	else
		fflush(log->f);
	atp_free(log);
}

static void
log_prefix(struct emu *e)
{
	uint64_t t = emu_now_us();

	fprintf(e->log->f, "%llu.%06llu ", (unsigned long long)(t / 1000000u),
	    (unsigned long long)(t % 1000000u));
	if (e->log->with_index)
		fprintf(e->log->f, "[%u] ", e->index);
}

void
emu_log_bytes(struct emu *e, char dir, const void *p, size_t n)
{
	const uint8_t *b = p;
	char esc[4 * 512 + 8];

	if (e->log == NULL)
		return;
	log_prefix(e);
	fprintf(e->log->f, "%c ", dir);
	/* One line per chunk, escaped in slices (atp_span_escape). */
	while (n > 0) {
		size_t k = n < 512 ? n : 512;
		atp_span_escape(atp_span_make(b, k), esc, sizeof(esc));
		fputs(esc, e->log->f);
		b += k;
		n -= k;
	}
	fputc('\n', e->log->f);
	fflush(e->log->f);
}

void
emu_log_note(struct emu *e, const char *fmt, ...)
{
	va_list ap;

	if (e->log == NULL)
		return;
	log_prefix(e);
	fputs("# ", e->log->f);
	va_start(ap, fmt);
	vfprintf(e->log->f, fmt, ap);
	va_end(ap);
	fputc('\n', e->log->f);
	fflush(e->log->f);
}

/* ---- output --------------------------------------------------------- */

/*
 * The baud fault: the line level at @t of @len bytes sent 8N1, one bit
 * lasting @bit time units, idle (1) before and after.
 */
static unsigned
line_level(const uint8_t *in, size_t len, uint64_t bit, uint64_t t)
{
	uint64_t b = t / bit, k = b / 10, j = b % 10;

	if (k >= len || j == 9)
		return 1;
	return j == 0 ? 0 : (in[k] >> (j - 1)) & 1u;
}

/*
 * What a UART at @rx baud makes of @len bytes sent at @tx baud: it waits
 * for a low line, samples the middle of its start bit, 8 data bits and
 * the stop bit at its own rate, and hands over the byte whatever the stop
 * bit was (a framing error still delivers it; a long low is a run of
 * 0x00). Time is counted in units of 1/(tx*rx) s, so that both bit times
 * are integers. Returns the bytes written to @out (at most @cap).
 */
static size_t
baud_resample(const uint8_t *in, size_t len, uint64_t tx, uint64_t rx, uint8_t *out,
    size_t cap)
{
	uint64_t tbit = rx, rbit = tx, total = (uint64_t)len * 10u * tbit, t = 0, s;
	size_t n = 0;
	unsigned m, v;

	while (n < cap && t < total) {
		if (line_level(in, len, tbit, t) != 0) {
			t = (t / tbit + 1) * tbit;    /* levels change on bit edges */
			continue;
		}
		if (line_level(in, len, tbit, t + rbit / 2) != 0) {
			t += rbit / 2;                /* too short for a start bit */
			continue;
		}
		v = 0;
		for (m = 0; m < 8; m++) {
			s = t + (m + 1u) * rbit + rbit / 2;
			v |= line_level(in, len, tbit, s) << m;
		}
		out[n++] = (uint8_t)v;
		t += 9u * rbit + rbit / 2;            /* after the stop bit's sample */
	}
	return n;
}

static void out_wire(struct emu *e, const void *bytes, size_t len);

/* The host's rate: the module's default, AT+UART §2.2.2.20. */
#define EMU_HOST_BAUD 115200u

void
emu_out(struct emu *e, const void *bytes, size_t len)
{
	uint8_t *w;
	size_t cap;

	if (e->faults->baud == 0 || len == 0) {
		out_wire(e, bytes, len);
		return;
	}
	/* A byte sent slower spans 115200/N host bit times, so at most about
	 * that many host bytes (each takes 9.5 of them); twice that is room. */
	cap = len * (size_t)(EMU_HOST_BAUD / e->faults->baud + 1u) * 2u + 2u;
	w = atp_malloc(cap);
	if (w == NULL)
		return;
	out_wire(e, w, baud_resample(bytes, len, e->faults->baud, EMU_HOST_BAUD, w, cap));
	atp_free(w);
}

static void
out_wire(struct emu *e, const void *bytes, size_t len)
{
	const struct emu_faults *f = e->faults;
	uint8_t *dst;
	size_t i;

	if (len == 0)
		return;
	if (e->outlen + len > EMU_OUT_MAX) {
		/* Nobody reads the port: drop what does not fit, as a UART
		 * with no receiver loses it, and say so once per burst. */
		if (e->out_dropped == 0)
			emu_log_note(e, "output buffer full (%d bytes): dropping output",
			    EMU_OUT_MAX);
		e->out_dropped += len;
		return;
	}
	if (e->outlen + len > e->outcap) {
		size_t cap = e->outcap ? e->outcap : 1024;
		uint8_t *n;
		while (cap < e->outlen + len)
			cap *= 2;
		n = atp_realloc(e->out, cap);
		if (n == NULL) {
			e->out_dropped += len;
			return;
		}
		e->out = n;
		e->outcap = cap;
	}
	dst = e->out + e->outlen;
	memcpy(dst, bytes, len);
	if (f->bitflip_rate > 0) {
		for (i = 0; i < len; i++)
			if (rnd01(e) < f->bitflip_rate)
				dst[i] ^= (uint8_t)(1u << (rnd(e) % 8));
	}
	e->outlen += len;
	e->out_dropped = 0;
	emu_log_bytes(e, '>', dst, len);
	if (e->on_output != NULL)
		e->on_output(e, e->on_output_ctx);
}

void
emu_out_str(struct emu *e, const char *s)
{
	emu_out(e, s, strlen(s));
}

struct atp_span
emu_output_peek(const struct emu *e)
{
	return atp_span_make(e->out, e->outlen);
}

void
emu_output_consume(struct emu *e, size_t n)
{
	if (n >= e->outlen) {
		e->outlen = 0;
		return;
	}
	memmove(e->out, e->out + n, e->outlen - n);
	e->outlen -= n;
}

size_t
emu_output_take(struct emu *e, void *buf, size_t size)
{
	size_t n = e->outlen < size ? e->outlen : size;

	if (n > 0) {
		memcpy(buf, e->out, n);
		emu_output_consume(e, n);
	}
	return n;
}

void
emu_set_output_cb(struct emu *e, emu_output_fn *fn, void *ctx)
{
	e->on_output = fn;
	e->on_output_ctx = ctx;
}

const char *
emu_term(const struct emu *e)
{
	return e->faults->drop_crlf ? "\r\n" : "\r\n\r\n";
}

/* A report the spurious-report fault slips into a response: a +SKTRPT
 * with no data, which any firmware may send at any time. */
#define SPURIOUS_LINE "+SKTRPT=1,0,192.168.1.100,1000"

/* Writes one response in one output call (a real module sends it in one
 * burst; clients such as SEEED's read until 2 ms of silence, §15.2). */
static void
send_reply(struct emu *e, const void *body, size_t len, const char *term)
{
	const struct emu_faults *f = e->faults;
	size_t tl = strlen(term), n = 0, cap;
	uint8_t *buf, g[16];

	e->nreplies++;
	if (f->garbage_rate > 0 && rnd01(e) < f->garbage_rate) {
		size_t k = 1 + (size_t)(rnd(e) % 8), i;
		for (i = 0; i < k; i++)
			g[i] = (uint8_t)rnd(e);
		emu_out(e, g, k);
	}
	cap = len + tl + sizeof(SPURIOUS_LINE) + 8;
	buf = atp_malloc(cap);
	if (buf == NULL) {
		emu_log_note(e, "out of memory: reply lost");
		return;
	}
	memcpy(buf, body, len);
	n = len;
	if (f->spurious_report > 0 && e->nreplies % f->spurious_report == 0) {
		memcpy(buf + n, "\r\n" SPURIOUS_LINE, 2 + sizeof(SPURIOUS_LINE) - 1);
		n += 2 + sizeof(SPURIOUS_LINE) - 1;
	}
	memcpy(buf + n, term, tl);
	n += tl;
	emu_out(e, buf, n);
	atp_free(buf);
}

void
emu_reply_raw(struct emu *e, const void *body, size_t len, const char *term)
{
	send_reply(e, body, len, term != NULL ? term : emu_term(e));
}

void
emu_reply_ok(struct emu *e)
{
	send_reply(e, "+OK", 3, emu_term(e));
}

void
emu_reply_okf(struct emu *e, const char *fmt, ...)
{
	char small[1024], *buf = small;
	va_list ap;
	int n;

	memcpy(small, "+OK=", 4);
	va_start(ap, fmt);
	n = vsnprintf(small + 4, sizeof(small) - 4, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small) - 4) {
		buf = atp_malloc((size_t)n + 5);
		if (buf == NULL) {
			emu_log_note(e, "out of memory: reply lost");
			return;
		}
		memcpy(buf, "+OK=", 4);
		va_start(ap, fmt);
		vsnprintf(buf + 4, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	send_reply(e, buf, (size_t)n + 4, emu_term(e));
	if (buf != small)
		atp_free(buf);
}

static long
fault_code(struct emu *e, long code)
{
	const struct emu_faults *f = e->faults;

	if (!f->wrong_error)
		return code;
	if (f->wrong_error_code != 0)
		return f->wrong_error_code;
	return code == -4 ? -2 : -4;
}

void
emu_reply_err(struct emu *e, long code)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "+ERR=%ld", fault_code(e, code));

	send_reply(e, b, (size_t)n, emu_term(e));
}

void
emu_reply_parse_err(struct emu *e, long code)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "+ERR=%ld", fault_code(e, code));

	/* Parse-stage errors use "+ERR=%d\r\n" (firmware §1.4). */
	send_reply(e, b, (size_t)n, emu_dev(e, "parse-error-single-crlf") ? "\r\n" : emu_term(e));
}

void
emu_report(struct emu *e, const char *line, const void *data, size_t len)
{
	const char *term = emu_term(e);
	size_t ll = strlen(line), tl = strlen(term);
	uint8_t *buf = atp_malloc(ll + tl + len + 1);

	if (buf == NULL) {
		emu_log_note(e, "out of memory: report lost");
		return;
	}
	memcpy(buf, line, ll);
	memcpy(buf + ll, term, tl);
	if (len > 0)
		memcpy(buf + ll + tl, data, len);
	emu_out(e, buf, ll + tl + len);
	atp_free(buf);
}

const char *
emu_fmt_mac(const struct emu *e, const uint8_t mac[6], int upper, char *buf)
{
	if (e != NULL && e->faults->mac_case)
		upper = !upper;
	snprintf(buf, 13, upper ? "%02X%02X%02X%02X%02X%02X" : "%02x%02x%02x%02x%02x%02x",
	    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

const char *
emu_fmt_ip(uint32_t ip, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", (unsigned)(ip >> 24), (unsigned)(ip >> 16) & 0xffu,
	    (unsigned)(ip >> 8) & 0xffu, (unsigned)ip & 0xffu);
	return buf;
}

/* ---- arguments ------------------------------------------------------- */

int
emu_args(const struct emu *e, const struct atp_cmdline *cl, struct atp_match *m)
{
	const struct atp_shape *s = cl->cmd != NULL ? atp_cmd_args_shape(cl->cmd) : NULL;
	struct atp_span text = cl->argtext;

	(void)e;
	memset(m, 0, sizeof(*m));
	/* The firmware does not count an empty last argument (firmware §1.3):
	 * "AT+WPRT=1," is WPRT 1, "AT+SSID=ab," the SSID "ab". */
	if ((cl->issues & ATP_CL_EMPTY_LAST_ARG) != 0 && text.len > 0 && text.p[text.len - 1] == ',')
		text.len--;
	if (s == NULL)
		return text.len == 0 ? 0 : -4;
	/* The firmware splits at commas before it looks at values, so an
	 * unquoted SSID holding a comma is two arguments: -4 (§3). */
	if (cl->nargs > atp_shape_nfields(s))
		return -4;
	if (atp_shape_match(s, text, m) != ATP_OK || !m->matched || m->too_complex ||
	    m->truncated)
		return -4;
	return 0;
}

uint64_t
emu_arg_num(const struct atp_match *m, const char *name)
{
	const struct atp_capture *c = atp_match_get(m, name);

	return c != NULL && c->has_num && c->num >= 0 ? (uint64_t)c->num : 0;
}

long
emu_arg_str(const struct atp_match *m, const char *name, char *buf, size_t size)
{
	const struct atp_capture *c = atp_match_get(m, name);
	long n;

	if (size == 0)
		return -4;
	buf[0] = '\0';
	if (c == NULL)
		return 0;
	n = atp_unescape(c->value, buf, size);
	if (n < 0) {
		buf[0] = '\0';
		return -4;
	}
	if (memchr(buf, 0, (size_t)n) != NULL) {
		buf[0] = '\0';
		return -4;
	}
	return n;
}

int
emu_arg_ip(const struct atp_match *m, const char *name, uint32_t *ip)
{
	const struct atp_capture *c = atp_match_get(m, name);
	struct atp_cur cur;
	uint64_t v;
	uint32_t r = 0;
	int k;

	if (c == NULL)
		return -4;
	cur = atp_cur_make(c->value.p, c->value.len);
	for (k = 0; k < 4; k++) {
		if ((k > 0 && atp_cur_lit(&cur, ".") != ATP_OK) ||
		    atp_cur_dec(&cur, &v, 255) != ATP_OK)
			return -4;
		r = (r << 8) | (uint32_t)v;
	}
	if (cur.left != 0)
		return -4;
	*ip = r;
	return 0;
}

uint32_t
emu_sta_ip(const struct emu *e)
{
	return e->sta.up ? e->sta.ip : 0;
}

/* ---- dispatch ------------------------------------------------------- */

static void process(struct emu *e);

static emu_cmd_fn *
find_handler(const char *name)
{
	const struct emu_handler *tables[3];
	size_t t;

	tables[0] = emu_sys_handlers;
	tables[1] = emu_wifi_handlers;
	tables[2] = emu_net_handlers;
	for (t = 0; t < 3; t++) {
		const struct emu_handler *h;
		for (h = tables[t]; h->name != NULL; h++)
			if (strcmp(h->name, name) == 0)
				return h->fn;
	}
	return NULL;
}

static void
resume_cb(struct emu_loop *loop, void *ctx)
{
	struct emu *e = ctx;

	(void)loop;
	e->resume_timer = 0;
	process(e);
}

static void
schedule_resume(struct emu *e)
{
	if (e->resume_timer == 0)
		e->resume_timer = emu_timer_add(e->loop, 0, resume_cb, e);
}

void
emu_cmd_done(struct emu *e)
{
	e->busy = 0;
	e->pending_fn = NULL;
	schedule_resume(e);
}

static void
run_handler(struct emu *e, emu_cmd_fn *fn)
{
	int rc;

	e->busy = 1;
	rc = fn(e, &e->cl);
	if (rc == EMU_PENDING)
		return;
	if (rc < 0)
		emu_reply_err(e, rc);
	e->busy = 0;
}

static void
delay_cb(struct emu_loop *loop, void *ctx)
{
	struct emu *e = ctx;
	emu_cmd_fn *fn = e->pending_fn;

	(void)loop;
	e->cmd_timer = 0;
	e->pending_fn = NULL;
	if (fn == NULL)
		return;
	run_handler(e, fn);
	if (!e->busy)
		schedule_resume(e);
}

static unsigned
fault_delay(const struct emu *e, const char *name)
{
	const struct emu_faults *f = e->faults;
	size_t i;

	for (i = 0; i < f->ndelays; i++)
		if (atp_span_eq_ci(atp_span_str(f->delays[i].cmd), name))
			return f->delays[i].ms;
	return f->delay_ms;
}

/* Does the module (in its profile) have this command at all? */
static int
cmd_absent(const struct emu *e, const struct atp_cmd *cmd)
{
	if ((cmd->flags & ATP_CMD_LEGACY) && emu_dev(e, "legacy-names-absent"))
		return 1;
	if ((cmd->flags & ATP_CMD_MQTT) && emu_dev(e, "mqtt-absent"))
		return 1;
	if (strcmp(cmd->name, "WWPS") == 0 && emu_dev(e, "wwps-absent"))
		return 1;
	return 0;
}

/* The checks every command goes through before its handler (§1.2.2;
 * firmware §1.3 hostif_check_atcmd_opt). 0, or an error code. */
static long
precheck(const struct emu *e, const struct atp_cmdline *cl)
{
	const struct atp_cmd *cmd = cl->cmd;
	unsigned allowed;

	if (cmd == NULL || cmd_absent(e, cmd))
		return -2;
	/* AT+ with an operator: atcmd_nop_proc answers -3 in every build. */
	if (cmd->name[0] == '\0')
		return cl->form == ATP_FORM_BARE ? 0 : -3;
	allowed = cmd->forms;
	if (emu_dev(e, "extra-forms") && cmd->fw_forms != 0)
		allowed = cmd->fw_forms;
	if ((allowed & (unsigned)cl->form) == 0)
		return emu_dev(e, "form-not-allowed-err2") ? -2 : -3;
	if ((cl->form == ATP_FORM_SET || cl->form == ATP_FORM_FLASH) &&
	    emu_dev(e, "missing-arg-err2") && cl->nargs < cmd->fw_min_args)
		return -2;
	return 0;
}

static void
start_command(struct emu *e, struct atp_span line, struct atp_span term)
{
	const struct emu_faults *f = e->faults;
	emu_cmd_fn *fn;
	unsigned ms;
	long rc;

	memcpy(e->line, line.p, line.len);
	memcpy(e->line + line.len, term.p, term.len);
	if (atp_cmdline_parse(atp_span_make(e->line, line.len + term.len), &e->cl, NULL) != ATP_OK) {
		/* atp_cmdline_next() only returns lines that parse. */
		emu_log_note(e, "unparsable line dropped");
		return;
	}
	e->ncmds++;
	/* Echo: the line as received, its terminator made CRLF, before the
	 * response (firmware §1.4); decided before AT+E toggles it. */
	if (e->echo || f->echo_stuck) {
		uint8_t b[ATP_LINE_MAX + 2];
		memcpy(b, line.p, line.len);
		memcpy(b + line.len, "\r\n", 2);
		emu_out(e, b, line.len + 2);
	}
	if (f->reset_mid > 0 && e->ncmds % f->reset_mid == 0) {
		emu_log_note(e, "fault reset-mid: the module resets during this command");
		emu_reset(e, 1);
		return;
	}
	/* Parse-stage errors (firmware §1.3-1.4): a name over 9 characters
	 * is -2, more than 9 arguments -4, with one CRLF in the firmware. */
	if (e->cl.issues & ATP_CL_NAME_TOO_LONG) {
		emu_reply_parse_err(e, -2);
		return;
	}
	if (e->cl.issues & ATP_CL_TOO_MANY_ARGS) {
		emu_reply_parse_err(e, -4);
		return;
	}
	rc = precheck(e, &e->cl);
	if (rc != 0) {
		emu_reply_err(e, rc);
		return;
	}
	fn = find_handler(e->cl.cmd->name);
	if (fn == NULL) {
		emu_reply_err(e, -2);
		return;
	}
	ms = fault_delay(e, e->cl.cmd->name);
	if (ms > 0) {
		e->busy = 1;
		e->pending_fn = fn;
		e->cmd_timer = emu_timer_add(e->loop, (uint64_t)ms * 1000u, delay_cb, e);
		if (e->cmd_timer == 0) {
			e->pending_fn = NULL;
			run_handler(e, fn);
		}
		return;
	}
	run_handler(e, fn);
}

static void
in_shift(struct emu *e, size_t n)
{
	if (n >= e->inlen) {
		e->inlen = 0;
		return;
	}
	memmove(e->in, e->in + n, e->inlen - n);
	e->inlen -= n;
}

/* Runs the complete lines waiting in the ring, one at a time. */
static void
process(struct emu *e)
{
	int queue = emu_dev(e, "queue-not-discard");
	int skip_line = emu_dev(e, "garbage-drops-line");

	if (e->in_process)
		return;
	e->in_process = 1;
	while (e->mode == EMU_MODE_CMD && e->inlen > 0 && !(e->busy && queue)) {
		struct atp_cur c = atp_cur_make(e->in, e->inlen);
		struct atp_span garbage, line, term;
		uint8_t copy[ATP_LINE_MAX + 3];
		int rc;

		rc = atp_cmdline_next(&c, skip_line, &garbage, &line, &term);
		if (garbage.len > 0 && rc != ATP_ERR_LIMIT)
			emu_log_note(e, "%zu bytes before AT+ skipped", garbage.len);
		if (rc == ATP_ERR_AGAIN) {
			in_shift(e, e->inlen - c.left);
			break;
		}
		if (rc == ATP_ERR_LIMIT) {
			emu_log_note(e, "more than %d bytes without an end of line: flushed",
			    ATP_LINE_MAX);
			in_shift(e, e->inlen - c.left);
			continue;
		}
		if (rc != ATP_OK) {
			e->inlen = 0;
			break;
		}
		memcpy(copy, line.p, line.len);
		memcpy(copy + line.len, term.p, term.len);
		line = atp_span_make(copy, line.len);
		term = atp_span_make(copy + line.len, term.len);
		in_shift(e, e->inlen - c.left);
		if (e->busy) {
			/* §2.1.1.1: "silently discarded without returning". */
			emu_log_note(e, "a command arrived while another runs: discarded");
			continue;
		}
		start_command(e, line, term);
	}
	e->in_process = 0;
}

/* ---- input ------------------------------------------------------------ */

static void
finish_counted(struct emu *e, int timed_out)
{
	uint8_t *p = e->counted;
	size_t n = e->counted_len;
	emu_data_fn *fn = e->data_fn;
	void *ctx = e->data_ctx;

	e->counted = NULL;
	e->counted_len = e->counted_want = 0;
	emu_timer_cancel(e->loop, e->counted_timer);
	e->counted_timer = 0;
	e->mode = EMU_MODE_CMD;
	e->data_fn = NULL;
	e->data_ctx = NULL;
	if (fn != NULL)
		fn(e, p, n, timed_out, ctx);
	atp_free(p);
	if (e->inlen > 0)
		schedule_resume(e);
}

static void
counted_timeout(struct emu_loop *loop, void *ctx)
{
	struct emu *e = ctx;

	(void)loop;
	e->counted_timer = 0;
	if (e->mode == EMU_MODE_COUNTED) {
		emu_log_note(e, "payload timeout: %zu of %zu bytes", e->counted_len,
		    e->counted_want);
		finish_counted(e, 1);
	}
}

/* Takes up to what the payload still needs; returns the count taken. */
static size_t
counted_take(struct emu *e, const uint8_t *p, size_t n)
{
	size_t k = e->counted_want - e->counted_len;

	if (k > n)
		k = n;
	memcpy(e->counted + e->counted_len, p, k);
	e->counted_len += k;
	return k;
}

/* Appends to the ring. Over 4 KiB the oldest bytes go, 128 at a time, as
 * the UART1 ISR drops them (firmware §1.2). */
static void
ring_add(struct emu *e, const uint8_t *p, size_t n)
{
	size_t drop = 0;

	if (n > EMU_IN_MAX) {
		drop += n - EMU_IN_MAX;
		p += n - EMU_IN_MAX;
		n = EMU_IN_MAX;
	}
	while (e->inlen + n > EMU_IN_MAX) {
		size_t k = e->inlen < 128 ? e->inlen : 128;
		in_shift(e, k);
		drop += k;
	}
	if (drop > 0)
		emu_log_note(e, "input ring full: %zu oldest bytes dropped", drop);
	memcpy(e->in + e->inlen, p, n);
	e->inlen += n;
}

static void
feed_cmd(struct emu *e, const uint8_t *p, size_t n)
{
	/* "+++" alone, in command mode: the firmware answers +OK as when it
	 * leaves transparent mode (§9); the manual knows no such thing, so
	 * there it is bytes without "AT+", ignored. */
	if (n == 3 && memcmp(p, "+++", 3) == 0 && e->inlen == 0 && !e->busy &&
	    emu_dev(e, "plus-escape-in-command-mode")) {
		emu_reply_ok(e);
		return;
	}
	if (!emu_dev(e, "eol-any")) {
		/* The manual ends a command at CR only (§2.1): LF is no
		 * terminator, and is not part of the next command either. */
		uint8_t buf[512];
		size_t i, k = 0;
		for (i = 0; i < n; i++) {
			if (p[i] == '\n')
				continue;
			buf[k++] = p[i];
			if (k == sizeof(buf)) {
				ring_add(e, buf, k);
				k = 0;
			}
		}
		ring_add(e, buf, k);
	} else {
		ring_add(e, p, n);
	}
	process(e);
}

static void
feed(struct emu *e, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k;

		switch (e->mode) {
		case EMU_MODE_TRANSPARENT:
			if (e->data_fn != NULL)
				e->data_fn(e, p, n, 0, e->data_ctx);
			return;
		case EMU_MODE_COUNTED:
			k = counted_take(e, p, n);
			p += k;
			n -= k;
			if (e->counted_len == e->counted_want) {
				finish_counted(e, 0);
				/* §2.2.3.11: "The excess data will be discarded";
				 * the firmware reads it as command lines
				 * (sksnd-excess-parsed). COUNTED is SKSND's. */
				if (e->mode == EMU_MODE_CMD && n > 0 &&
				    !emu_dev(e, "sksnd-excess-parsed")) {
					emu_log_note(e, "SKSND: %zu bytes after the payload discarded", n);
					return;
				}
			}
			break;
		case EMU_MODE_CMD:
		default:
			feed_cmd(e, p, n);
			return;
		}
	}
}

void
emu_input(struct emu *e, const void *buf, size_t len)
{
	if (e == NULL || len == 0)
		return;
	emu_log_bytes(e, '<', buf, len);
	if (e->sleeping == 2) {
		/* ENTS with the timer: the UART sleeps with the rest, so the
		 * host's bytes are lost until the timer fires. */
		emu_log_note(e, "asleep (ENTS timer): %zu input bytes lost", len);
		return;
	}
	if (e->sleeping) {
		/* ENTS with the wake-up pin: the host's bytes stand for the pin
		 * (the module resets on waking, §2.2.1.5 attention 2). */
		emu_log_note(e, "asleep (ENTS): input wakes the module, which resets");
		emu_reset(e, 0);
		return;
	}
	feed(e, buf, len);
}

void
emu_input_discard(struct emu *e)
{
	if (e->inlen > 0)
		emu_log_note(e, "%zu input bytes discarded", e->inlen);
	e->inlen = 0;
}

int
emu_set_mode(struct emu *e, enum emu_mode mode, size_t count, uint64_t timeout_us,
    emu_data_fn *fn, void *ctx)
{
	size_t k;

	if (e->mode == EMU_MODE_COUNTED) {
		atp_free(e->counted);
		e->counted = NULL;
		e->counted_len = e->counted_want = 0;
		emu_timer_cancel(e->loop, e->counted_timer);
		e->counted_timer = 0;
	}
	switch (mode) {
	case EMU_MODE_CMD:
		e->mode = EMU_MODE_CMD;
		e->data_fn = NULL;
		e->data_ctx = NULL;
		if (e->inlen > 0)
			schedule_resume(e);
		return ATP_OK;
	case EMU_MODE_COUNTED:
		if (count == 0 || count > EMU_COUNTED_MAX || fn == NULL)
			return ATP_ERR_ARG;
		e->counted = atp_malloc(count);
		if (e->counted == NULL)
			return ATP_ERR_NOMEM;
		e->counted_want = count;
		e->counted_len = 0;
		e->mode = EMU_MODE_COUNTED;
		e->data_fn = fn;
		e->data_ctx = ctx;
		if (timeout_us > 0)
			e->counted_timer = emu_timer_add(e->loop, timeout_us, counted_timeout, e);
		/* The payload may already wait in the ring (§8.1). */
		k = counted_take(e, e->in, e->inlen);
		in_shift(e, k);
		if (e->counted_len == e->counted_want)
			finish_counted(e, 0);
		return ATP_OK;
	case EMU_MODE_TRANSPARENT:
		if (fn == NULL)
			return ATP_ERR_ARG;
		e->mode = EMU_MODE_TRANSPARENT;
		e->data_fn = fn;
		e->data_ctx = ctx;
		if (e->inlen > 0) {
			size_t n = e->inlen;
			e->inlen = 0;
			fn(e, e->in, n, 0, ctx);
		}
		return ATP_OK;
	default:
		return ATP_ERR_ARG;
	}
}

/* ---- lifecycle ------------------------------------------------------- */

/* Loads flash from the file, or keeps factory values with a log line. */
static void
load_flash(struct emu *e)
{
	struct atp_diag d;
	struct emu_params p;
	char msg[ATP_DIAG_MSG_MAX + 64];
	int rc;

	emu_params_factory(&e->flash, e->prof);
	if (e->flash_path == NULL)
		return;
	atp_diag_clear(&d);
	rc = emu_flash_read(e->flash_path, &p, &d);
	if (rc == ATP_OK) {
		e->flash = p;
		return;
	}
	if (rc == ATP_ERR_NOTFOUND)
		emu_log_note(e, "flash %s: none yet, factory values", e->flash_path);
	else
		emu_log_note(e, "flash unreadable, factory values: %s",
		    atp_diag_format(&d, msg, sizeof(msg)));
}

void
emu_reset(struct emu *e, int banner)
{
	emu_timer_cancel(e->loop, e->cmd_timer);
	emu_timer_cancel(e->loop, e->resume_timer);
	emu_timer_cancel(e->loop, e->counted_timer);
	e->cmd_timer = e->resume_timer = e->counted_timer = 0;
	atp_free(e->counted);
	e->counted = NULL;
	e->counted_len = e->counted_want = 0;
	e->mode = EMU_MODE_CMD;
	e->data_fn = NULL;
	e->data_ctx = NULL;
	e->busy = 0;
	e->pending_fn = NULL;
	e->inlen = 0;
	e->sleeping = 0;
	emu_wifi_reset(e);
	emu_net_reset(e);
	/* Boot: the parameters come back from flash; echo is off (§1.4). */
	e->ram = e->flash;
	e->line_baud = e->flash.uart.baud;
	e->echo = 0;
	if (banner)
		emu_out_str(e, "ready\r\n\r\n");
	emu_net_boot(e);
	emu_wifi_boot(e);
}

int
emu_new(struct emu_loop *loop, const struct emu_config *cfg, struct emu **out,
    struct atp_diag *d)
{
	struct emu *e;
	unsigned seq;
	int rc;

	*out = NULL;
	if (loop == NULL || cfg == NULL)
		return atp_diag_set(d, ATP_ERR_ARG, "emu_new: no loop or no configuration");
	rc = atp_model_init(d);
	if (rc != ATP_OK)
		return rc;
	e = atp_calloc(1, sizeof(*e));
	if (e == NULL)
		return atp_diag_set(d, ATP_ERR_NOMEM, "emulator: out of memory");
	e->loop = loop;
	e->prof = cfg->prof != NULL ? cfg->prof : atp_profile_find("luat");
	e->faults = cfg->faults != NULL ? cfg->faults : &e->nofaults;
	e->log = cfg->log;
	e->index = cfg->index;
	e->allow_net = cfg->allow_net;
	if (cfg->world != NULL) {
		e->world = cfg->world;
	} else {
		rc = emu_world_default(&e->own_world, d);
		if (rc != ATP_OK)
			goto fail;
		e->world = e->own_world;
	}
	if (cfg->flash_path != NULL) {
		e->flash_path = atp_strdup(cfg->flash_path);
		if (e->flash_path == NULL) {
			rc = atp_diag_set(d, ATP_ERR_NOMEM, "emulator: out of memory");
			goto fail;
		}
	}
	e->rng = (e->faults->seed ^ (0x9e3779b97f4a7c15ull * (cfg->index + 1u))) | 1u;
	/* MACs after the manual's examples: 286dcd004e7d (§2.2.1.8) and the
	 * SoftAP's, locally administered, 2a6dcd004e7d (§2.2.1.9). */
	seq = 0x4e7du + cfg->index;
	e->mac[0] = 0x28;
	e->mac[1] = 0x6d;
	e->mac[2] = 0xcd;
	e->mac[3] = (uint8_t)(seq >> 16);
	e->mac[4] = (uint8_t)(seq >> 8);
	e->mac[5] = (uint8_t)seq;
	memcpy(e->apmac, e->mac, 6);
	e->apmac[0] |= 0x02;
	snprintf(e->wps_mode, sizeof(e->wps_mode), "get_pin");
	e->wps_pin = e->world->wps_pin;
	if (e->world->has_custdata && !e->world->oneshot_ok)
		snprintf(e->custdata, sizeof(e->custdata), "%s", e->world->custdata);
	load_flash(e);
	e->ram = e->flash;
	e->line_baud = e->flash.uart.baud;
	rc = emu_net_attach(e);
	if (rc != ATP_OK) {
		atp_diag_set(d, rc, "emulator: networking could not start");
		goto fail;
	}
	emu_net_boot(e);
	emu_wifi_boot(e);
	*out = e;
	return ATP_OK;
fail:
	emu_world_free(e->own_world);
	atp_free(e->flash_path);
	atp_free(e);
	return rc;
}

void
emu_free(struct emu *e)
{
	if (e == NULL)
		return;
	emu_timer_cancel(e->loop, e->cmd_timer);
	emu_timer_cancel(e->loop, e->resume_timer);
	emu_timer_cancel(e->loop, e->counted_timer);
	emu_wifi_reset(e);
	emu_net_detach(e);
	atp_free(e->counted);
	atp_free(e->out);
	atp_free(e->flash_path);
	emu_world_free(e->own_world);
	atp_free(e);
}

/* ---- faults ----------------------------------------------------------- */

static const struct {
	const char *name;
	const char *value;
	const char *help;
} fault_docs[] = {
	{ "delay", "MS | CMD:MS",
	  "wait MS milliseconds before running every command (and so before its\n"
	  "response), or only command CMD (delay=WJOIN:500); repeatable" },
	{ "drop-crlf", NULL,
	  "end responses with one CR LF instead of CR LF CR LF" },
	{ "mac-case", NULL,
	  "print MAC addresses in the other case (QMAC upper, WSCAN lower...)" },
	{ "spurious-report", "N",
	  "every Nth response (default 1: all) carries an asynchronous line\n"
	  "(" SPURIOUS_LINE ") between its first and second CR LF" },
	{ "echo-stuck", NULL,
	  "echo is always on; AT+E answers +OK but changes nothing" },
	{ "wrong-error", "CODE",
	  "error responses carry CODE instead of the right one (default: -4\n"
	  "becomes -2, every other code -4)" },
	{ "skrcv-short", NULL,
	  "SKRCV sends one data byte fewer than its +OK=<n> announces" },
	{ "sksnd-drop", NULL,
	  "SKSND acknowledges its whole payload but sends it to the peer\n"
	  "without its last byte" },
	{ "garbage", "P",
	  "with probability P (default 0.2) per response, 1 to 8 random bytes\n"
	  "come before it" },
	{ "reset-mid", "N",
	  "every Nth command (default 5) resets the module instead of answering:\n"
	  "it prints the \"ready\" banner and loses its RAM state (flash is kept)" },
	{ "bitflip", "RATE",
	  "flip one bit of each output byte with probability RATE (e.g. 0.001)" },
	{ "baud", "N",
	  "the module sends at N baud while the host listens at 115200: every\n"
	  "output byte is what a UART sampling at the wrong rate reads (framing\n"
	  "garbage, runs of 0x00); input is still read right" },
	{ "seed", "N",
	  "seed of the random faults (garbage, bitflip); default 1" },
};

void
emu_fault_help(FILE *out)
{
	size_t i;

	fprintf(out, "Faults (--fault NAME[=VALUE], repeatable), for testing a harness:\n");
	for (i = 0; i < sizeof(fault_docs) / sizeof(fault_docs[0]); i++) {
		const char *h = fault_docs[i].help;
		char head[64];
		snprintf(head, sizeof(head), "%s%s%s", fault_docs[i].name,
		    fault_docs[i].value != NULL ? "=" : "",
		    fault_docs[i].value != NULL ? fault_docs[i].value : "");
		fprintf(out, "  %-22s ", head);
		while (*h != '\0') {
			size_t k = strcspn(h, "\n");
			fprintf(out, "%.*s\n", (int)k, h);
			h += k;
			if (*h == '\n') {
				h++;
				fprintf(out, "  %-22s ", "");
			}
		}
	}
}

static int
parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	int rc = atp_span_dec(atp_span_str(s), out, max);

	return rc == ATP_OK && *out > max ? ATP_ERR_LIMIT : rc;
}

/* A probability "0.25", "1", "1e-3" is not taken: plain decimals only. */
static int
parse_prob(const char *s, double *out)
{
	struct atp_cur c = atp_cur_make(s, strlen(s));
	uint64_t whole;
	double v, scale = 0.1;
	uint8_t ch;

	if (atp_cur_dec(&c, &whole, 1) != ATP_OK)
		return -1;
	v = (double)whole;
	if (atp_cur_lit(&c, ".") == ATP_OK) {
		if (c.left == 0 || c.left > 12)
			return -1;
		while (atp_cur_u8(&c, &ch) == ATP_OK) {
			if (!ATP_ISDIGIT(ch))
				return -1;
			v += scale * (ch - '0');
			scale /= 10;
		}
	}
	if (c.left != 0 || v > 1.0)
		return -1;
	*out = v;
	return 0;
}

int
emu_fault_parse(struct emu_faults *f, const char *spec, struct atp_diag *d)
{
	const char *eq = strchr(spec, '=');
	size_t nl = eq != NULL ? (size_t)(eq - spec) : strlen(spec);
	const char *val = eq != NULL ? eq + 1 : NULL;
	struct atp_span name = atp_span_make(spec, nl);
	uint64_t v;

#define BAD(what) atp_diag_set(d, ATP_ERR_SYNTAX, "--fault %s: %s", spec, what)
	if (atp_span_eq(name, "delay")) {
		const char *colon;
		if (val == NULL)
			return BAD("needs a value: delay=MS or delay=CMD:MS");
		colon = strchr(val, ':');
		if (colon == NULL) {
			if (parse_uint(val, 600000, &v) != ATP_OK)
				return BAD("MS must be 0..600000");
			f->delay_ms = (unsigned)v;
			return ATP_OK;
		}
		if (colon == val || (size_t)(colon - val) > ATP_NAME_MAX)
			return BAD("CMD must be a command name of 1 to 9 characters");
		if (parse_uint(colon + 1, 600000, &v) != ATP_OK)
			return BAD("MS must be 0..600000");
		if (f->ndelays == EMU_DELAYS_MAX)
			return BAD("too many per-command delays");
		snprintf(f->delays[f->ndelays].cmd, sizeof(f->delays[0].cmd), "%.*s",
		    (int)(colon - val), val);
		f->delays[f->ndelays].ms = (unsigned)v;
		f->ndelays++;
		return ATP_OK;
	}
	if (atp_span_eq(name, "drop-crlf") || atp_span_eq(name, "mac-case") ||
	    atp_span_eq(name, "echo-stuck") || atp_span_eq(name, "skrcv-short") ||
	    atp_span_eq(name, "sksnd-drop")) {
		if (val != NULL)
			return BAD("takes no value");
		if (atp_span_eq(name, "drop-crlf"))
			f->drop_crlf = 1;
		else if (atp_span_eq(name, "mac-case"))
			f->mac_case = 1;
		else if (atp_span_eq(name, "echo-stuck"))
			f->echo_stuck = 1;
		else if (atp_span_eq(name, "sksnd-drop"))
			f->sksnd_drop = 1;
		else
			f->skrcv_short = 1;
		return ATP_OK;
	}
	if (atp_span_eq(name, "spurious-report") || atp_span_eq(name, "reset-mid")) {
		int spur = atp_span_eq(name, "spurious-report");
		v = spur ? 1 : 5;
		if (val != NULL && (parse_uint(val, 1000000, &v) != ATP_OK || v == 0))
			return BAD("N must be 1..1000000");
		if (spur)
			f->spurious_report = (unsigned)v;
		else
			f->reset_mid = (unsigned)v;
		return ATP_OK;
	}
	if (atp_span_eq(name, "wrong-error")) {
		int64_t code = 0;
		if (val != NULL && atp_span_sdec(atp_span_str(val), &code, -64, -1) != ATP_OK)
			return BAD("CODE must be -64..-1");
		f->wrong_error = 1;
		f->wrong_error_code = (long)code;
		return ATP_OK;
	}
	if (atp_span_eq(name, "garbage")) {
		double p = 0.2;
		if (val != NULL && parse_prob(val, &p) != 0)
			return BAD("P must be a decimal from 0 to 1");
		f->garbage_rate = p;
		return ATP_OK;
	}
	if (atp_span_eq(name, "bitflip")) {
		double p;
		if (val == NULL || parse_prob(val, &p) != 0)
			return BAD("RATE must be a decimal from 0 to 1 (bitflip=0.001)");
		f->bitflip_rate = p;
		return ATP_OK;
	}
	if (atp_span_eq(name, "baud")) {
		if (val == NULL || parse_uint(val, 4000000, &v) != ATP_OK || v < 300)
			return BAD("N must be a rate from 300 to 4000000 (baud=9600)");
		f->baud = (unsigned long)v;
		return ATP_OK;
	}
	if (atp_span_eq(name, "seed")) {
		if (val == NULL || parse_uint(val, UINT64_MAX, &v) != ATP_OK)
			return BAD("N must be a number");
		f->seed = v;
		return ATP_OK;
	}
#undef BAD
	return atp_diag_set(d, ATP_ERR_SYNTAX, "--fault %s: no such fault (see atproof emu --help)",
	    spec);
}
