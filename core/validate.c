/* SPDX-License-Identifier: MIT */
/* \summary: the validator: the protocol model as an oracle over exchanges */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "atproof/validate.h"

/*
 * How a response is judged (validate.h): first work out what the manual
 * requires for the line that was sent (an error code, or the reply shape of
 * the command's form), then compare what came back with it: error code,
 * body, values, terminator. Every departure is a finding; a departure that
 * is one of the catalogued deviations (profile.h) is reported under the
 * deviation's id, as known if the profile has it and as a failure if not.
 *
 * The manual itself never lists the error a malformed line gets; the model
 * reads §1.2.2 literally: a form the command does not have is an "invalid
 * operator" (-3), arguments that do not fit or are out of range are an
 * "invalid parameter" (-4), and a name that is no command is "not
 * supported" (-2).
 */

#define TERM_MANUAL "\r\n\r\n"   /* §2.1: <CR><LF><CR><LF> */
#define DONE_MAX 32              /* distinct findings kept per frame */
#define ESC_MAX 96               /* escaped device text in a message */

/* Why the manual requires an error, or W_NONE when it requires success. */
enum why {
	W_NONE,
	W_UNKNOWN,     /* the name is not in §1.2.1/§2.2: -2 */
	W_FORM,        /* a form the command does not have: -3 */
	W_FEW,         /* fewer arguments than the pattern requires: -4 */
	W_ARGS,        /* arguments that do not fit the pattern: -4 */
	W_RANGE,       /* an argument out of its range: -4 */
	W_UNDECIDED,   /* the matcher gave up: no expectation */
};

/* Situations an ERRCODE deviation may explain (bits of enum why). */
#define WHEN(w) (1u << (w))
#define WHEN_ANY 0xffffu

struct expect {
	const struct atp_cmd *cmd;   /* NULL: unknown, or no command known */
	enum atp_form form;
	enum why why;
	long code;                   /* the error required; 0 for success */
	enum why fw_why;             /* W_FORM on a form the firmware has:
	                                what its arguments alone would give */
	const struct atp_cmdline *cl;
	struct atp_match am;         /* the arguments' match (set forms) */
	int am_valid;
	uint8_t argbuf[ATP_LINE_MAX + 1];  /* the arguments am points into */
	char label[64];              /* the exchange, as messages name it: */
	int label_done;              /* made by label() when a message needs it */
};

struct vctx {
	const struct atp_profile *prof;
	atp_finding_fn *cb;
	void *ctx;
	const struct atp_cmd *cmd;
	uint64_t off;
	size_t ndone;
	const char *done_rule[DONE_MAX];
	const char *done_key[DONE_MAX];
};

static void
vctx_init(struct vctx *v, const struct atp_profile *prof, atp_finding_fn *cb, void *ctx,
    const struct atp_cmd *cmd, uint64_t off)
{
	/* Not a memset: done_rule and done_key are read up to ndone only. */
	v->ndone = 0;
	v->prof = prof;
	v->cb = cb;
	v->ctx = ctx;
	v->cmd = cmd;
	v->off = off;
}

static int
str_eq0(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * One finding per rule (and key: a field, a deviation) and frame: a list
 * of forty WSCAN entries with the same quirk is one finding, not forty.
 * Returns 0 when (rule, key) was already reported.
 */
static int
first_time(struct vctx *v, const char *rule, const char *key)
{
	size_t i;

	for (i = 0; i < v->ndone; i++)
		if (strcmp(v->done_rule[i], rule) == 0 && str_eq0(v->done_key[i], key))
			return 0;
	if (v->ndone >= DONE_MAX)
		return 0;
	v->done_rule[v->ndone] = rule;
	v->done_key[v->ndone] = key;
	v->ndone++;
	return 1;
}

static void emit(struct vctx *v, const char *rule, enum atp_severity sev, enum atp_verdict vd,
    const char *section, const struct atp_deviation *dv, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static void
emit(struct vctx *v, const char *rule, enum atp_severity sev, enum atp_verdict vd,
    const char *section, const struct atp_deviation *dv, const char *fmt, ...)
{
	struct atp_finding f;
	va_list ap;

	memset(&f, 0, sizeof(f));
	f.rule = rule;
	f.severity = sev;
	f.verdict = vd;
	f.section = section;
	f.cmd = v->cmd;
	f.deviation = dv;
	f.offset = v->off;
	va_start(ap, fmt);
	vsnprintf(f.message, sizeof(f.message), fmt, ap);
	va_end(ap);
	v->cb(v->ctx, &f);
}

/* A device failure the catalogue does not explain. */
#define FAIL(v, rule, section, ...) \
	emit((v), (rule), ATP_SEV_ERROR, ATP_V_FAIL, (section), NULL, __VA_ARGS__)

static void report_dev(struct vctx *v, const struct atp_deviation *dv, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A catalogued deviation: known (a warning) if the profile has it. */
static void
report_dev(struct vctx *v, const struct atp_deviation *dv, const char *fmt, ...)
{
	struct atp_finding f;
	va_list ap;
	int known = atp_profile_has(v->prof, dv);

	if (!first_time(v, dv->id, NULL))
		return;
	memset(&f, 0, sizeof(f));
	f.rule = dv->id;
	f.severity = known ? ATP_SEV_WARNING : ATP_SEV_ERROR;
	f.verdict = known ? ATP_V_KNOWN : ATP_V_FAIL;
	f.section = dv->section;
	f.cmd = v->cmd;
	f.deviation = dv;
	f.offset = v->off;
	va_start(ap, fmt);
	vsnprintf(f.message, sizeof(f.message), fmt, ap);
	va_end(ap);
	v->cb(v->ctx, &f);
}

/* Device bytes as printable text, cut with "..." at @size. */
static const char *
esc(struct atp_span s, char *buf, size_t size)
{
	size_t need = atp_span_escape(s, buf, size);

	if (need >= size && size > 4)
		memcpy(buf + size - 4, "...", 4);
	return buf;
}

/* The text of a reply or argument, or a placeholder for secret commands
 * (keys and passwords stay out of reports). */
static const char *
show(const struct atp_cmd *cmd, struct atp_span s, char *buf, size_t size)
{
	if (cmd != NULL && (cmd->flags & ATP_CMD_SECRET) != 0) {
		snprintf(buf, size, "<%zu bytes, hidden>", s.len);
		return buf;
	}
	return esc(s, buf, size);
}

/* The forms a mask allows, as the manual writes them: "AT+X, AT+X=?". */
static const char *
forms_text(const struct atp_cmd *cmd, unsigned forms, char *buf, size_t size)
{
	static const enum atp_form all[] = {
		ATP_FORM_BARE, ATP_FORM_SET, ATP_FORM_FLASH, ATP_FORM_QUERY,
	};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		int k;
		if ((forms & (unsigned)all[i]) == 0)
			continue;
		k = snprintf(buf + n, size - n, "%sAT+%s%s", n > 0 ? ", " : "", cmd->name,
		    atp_form_op(all[i]));
		if (k < 0 || (size_t)k >= size - n)
			break;
		n += (size_t)k;
	}
	return buf;
}

/* What a field's constraint allows, for messages: "1..14", "one of 0|1". */
static const char *
range_text(const struct atp_field *f, char *buf, size_t size)
{
	char lo[24] = "", hi[24] = "";
	size_t i, n = 0;
	int k;

	if (f->has_min)
		snprintf(lo, sizeof(lo), f->type == ATP_T_HEX ? "%llx" : "%lld", (long long)f->min);
	if (f->has_max)
		snprintf(hi, sizeof(hi), f->type == ATP_T_HEX ? "%llx" : "%lld", (long long)f->max);
	buf[0] = '\0';
	switch (f->type) {
	case ATP_T_ENUM:
		k = snprintf(buf, size, "one of ");
		n = k > 0 ? (size_t)k : 0;
		for (i = 0; i < f->nvalues && n < size; i++) {
			k = snprintf(buf + n, size - n, "%s%s", i > 0 ? "|" : "", f->values[i]);
			if (k < 0)
				break;
			n += (size_t)k;
		}
		break;
	case ATP_T_STRING:
	case ATP_T_QSTRING:
	case ATP_T_TEXT:
	case ATP_T_HOST:
		snprintf(buf, size, "length %s..%s", f->has_min ? lo : "0", hi);
		break;
	case ATP_T_DEC:
	case ATP_T_SDEC:
	case ATP_T_HEX:
		snprintf(buf, size, "%s..%s", lo, hi);
		break;
	case ATP_T_IP:
	case ATP_T_QIP:
		snprintf(buf, size, "octets 0..255");
		break;
	case ATP_T_MAC:
	case ATP_T_DMAC:
		break;
	}
	return buf;
}

static const char *
why_text(enum why w)
{
	switch (w) {
	case W_NONE: return "success";
	case W_UNKNOWN: return "not a command of the manual";
	case W_FORM: return "a form the manual does not give";
	case W_FEW: return "too few arguments";
	case W_ARGS: return "arguments that do not fit";
	case W_RANGE: return "an argument out of range";
	case W_UNDECIDED: return "undecided";
	}
	return "?";
}

/* §1.2.2 code the manual's reading requires for @w (see the top). */
static long
why_code(enum why w)
{
	switch (w) {
	case W_UNKNOWN: return -2;
	case W_FORM: return -3;
	case W_FEW:
	case W_ARGS:
	case W_RANGE: return -4;
	case W_NONE:
	case W_UNDECIDED: return 0;
	}
	return 0;
}

/* Number of fields the pattern cannot do without. */
static size_t
required_fields(const struct atp_shape *sh)
{
	size_t i, n = 0;

	for (i = 0; i < atp_shape_nfields(sh); i++)
		if (!atp_shape_field(sh, i)->optional)
			n++;
	return n;
}

static int
is_blank(uint8_t ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * The arguments of @cl as the pattern is to see them: the arguments the
 * parser split, joined by ',', with the blanks around unquoted ones left
 * out. Blanks (ATP_CL_SPACE) and a trailing ',' (ATP_CL_EMPTY_LAST_ARG,
 * which the firmware does not count) are the line's issues, reported once
 * as such; the arguments are then judged on what they say. With more than
 * nine arguments the parser kept only nine: the whole text is judged.
 */
static struct atp_span
arg_text(const struct atp_cmdline *cl, uint8_t *buf, size_t size)
{
	size_t i, n = 0;

	if ((cl->issues & ATP_CL_TOO_MANY_ARGS) != 0 || cl->nargs > ATP_ARGS_MAX)
		return cl->argtext;
	for (i = 0; i < cl->nargs; i++) {
		struct atp_span a = cl->args[i].raw;
		if (!cl->args[i].quoted) {
			while (a.len > 0 && is_blank(a.p[0])) {
				a.p++;
				a.len--;
			}
			while (a.len > 0 && is_blank(a.p[a.len - 1]))
				a.len--;
		}
		if (n + a.len + 1 > size)
			return cl->argtext;
		if (i > 0)
			buf[n++] = ',';
		if (a.len > 0)
			memcpy(buf + n, a.p, a.len);
		n += a.len;
	}
	return atp_span_make(buf, n);
}

/* Checks the arguments of a set line (= or =!) against the command's
 * pattern; fills e->am. */
static enum why
check_args(struct expect *e, const struct atp_cmdline *cl)
{
	const struct atp_shape *sh;
	struct atp_span text;

	e->am_valid = 0;
	if (e->form != ATP_FORM_SET && e->form != ATP_FORM_FLASH)
		return W_NONE;
	text = arg_text(cl, e->argbuf, sizeof(e->argbuf));
	sh = atp_cmd_args_shape(e->cmd);
	if (sh == NULL)
		return text.len == 0 ? W_NONE : W_ARGS;
	if (atp_shape_match(sh, text, &e->am) != ATP_OK)
		return W_ARGS;
	e->am_valid = 1;
	/* Counted first: "AT+SSID=" fits <ssid:String 1..32> as an empty
	 * string out of range, but it is an argument missing. */
	if (cl->nargs < required_fields(sh))
		return W_FEW;
	if (e->am.too_complex)
		return W_UNDECIDED;
	if (!e->am.matched)
		return W_ARGS;
	return e->am.nbad > 0 ? W_RANGE : W_NONE;
}

/* What the manual requires in answer to @cl (or, without it, to the command
 * the framer matched the response with). */
static void
expect_compute(struct expect *e, const struct atp_cmdline *cl, const struct atp_frame *resp)
{
	/* Member by member: am and argbuf (two kilobytes) are only read once
	 * check_args() filled them (am_valid), and clearing them showed per
	 * exchange (issue 8). */
	e->cmd = NULL;
	e->form = (enum atp_form)0;
	e->why = W_NONE;
	e->code = 0;
	e->fw_why = W_NONE;
	e->am_valid = 0;
	e->label[0] = '\0';
	e->label_done = 0;
	e->cl = cl;
	if (cl != NULL) {
		e->form = cl->form;
		e->cmd = cl->cmd != NULL ? cl->cmd : atp_cmd_find(cl->name);
	} else if (resp != NULL) {
		e->cmd = resp->cmd;
		e->form = resp->form;
	}
	if (e->cmd == NULL) {
		e->why = cl != NULL ? W_UNKNOWN : W_NONE;
	} else if ((e->cmd->forms & (unsigned)e->form) == 0) {
		e->why = W_FORM;
		/* What the firmware does once it takes the form (extra-forms). */
		if (cl != NULL && (e->cmd->fw_forms & (unsigned)e->form) != 0)
			e->fw_why = check_args(e, cl);
	} else if (cl != NULL) {
		e->why = check_args(e, cl);
	}
	e->code = why_code(e->why);
}

/*
 * The exchange as messages name it: the line sent (its arguments hidden for
 * keys and passwords), or the command and form the framer matched. Made
 * the first time a message needs it, not for every exchange: most give no
 * message, and escaping the line was a tenth of validating one (issue 8).
 */
static const char *
label(struct expect *e)
{
	const struct atp_cmdline *cl = e->cl;

	if (e->label_done)
		return e->label;
	e->label_done = 1;
	if (cl != NULL && !(e->cmd != NULL && (e->cmd->flags & ATP_CMD_SECRET) != 0))
		esc(cl->text, e->label, sizeof(e->label));
	else if (e->cmd != NULL)
		snprintf(e->label, sizeof(e->label), "AT+%s%s%s", e->cmd->name, atp_form_op(e->form),
		    cl != NULL && (e->form == ATP_FORM_SET || e->form == ATP_FORM_FLASH) ? "..." : "");
	else
		snprintf(e->label, sizeof(e->label), "response");
	return e->label;
}

/* Iteration over the catalogue: the next deviation of @kind that concerns
 * the command and form, from index *i on. */
static const struct atp_deviation *
next_dev(const struct expect *e, enum atp_dev_kind kind, size_t *i)
{
	while (*i < atp_deviation_count()) {
		const struct atp_deviation *dv = atp_deviation_at((*i)++);
		if (dv->kind == kind && atp_deviation_applies(dv, e->cmd, e->form))
			return dv;
	}
	return NULL;
}

/* Of two candidate deviations, the better explanation: one the profile
 * has, then one that names its commands (more specific than "any"). */
static const struct atp_deviation *
better(const struct vctx *v, const struct atp_deviation *a, const struct atp_deviation *b)
{
	int ha, hb;

	if (a == NULL)
		return b;
	if (b == NULL)
		return a;
	ha = atp_profile_has(v->prof, a);
	hb = atp_profile_has(v->prof, b);
	if (ha != hb)
		return ha ? a : b;
	if ((a->cmds != NULL) != (b->cmds != NULL))
		return a->cmds != NULL ? a : b;
	return a;
}

/* The deviation (kind ACCEPTS) that explains an out-of-range value of
 * field @c: its alt names the field. NULL when none applies. */
static const struct atp_deviation *
accepting_dev(const struct vctx *v, const struct expect *e, const struct atp_capture *c)
{
	const struct atp_deviation *dv, *found = NULL;
	size_t i = 0;

	while ((dv = next_dev(e, ATP_DEV_ACCEPTS, &i)) != NULL)
		if (dv->alt != NULL && strcmp(dv->alt, c->field->name) == 0)
			found = better(v, found, dv);
	return found;
}

/*
 * ERRCODE deviations by the situation they explain. A code alone is not
 * enough: -2 for a missing argument is missing-arg-err2, -2 for a form is
 * form-not-allowed-err2, and -3 is uart-err3 only for bad UART arguments.
 * Rows not listed here (the absent commands: their firmware answers -2 to
 * everything, success included) explain any situation.
 */
static const struct {
	const char *id;
	unsigned when;
} errcode_when[] = {
	{ "form-not-allowed-err2", WHEN(W_FORM) },
	{ "missing-arg-err2", WHEN(W_FEW) },
	{ "uart-err3", WHEN(W_ARGS) | WHEN(W_RANGE) },
};

static unsigned
dev_when(const struct atp_deviation *dv)
{
	size_t i;

	for (i = 0; i < sizeof(errcode_when) / sizeof(errcode_when[0]); i++)
		if (strcmp(errcode_when[i].id, dv->id) == 0)
			return errcode_when[i].when;
	return WHEN_ANY;
}

static const struct atp_deviation *
errcode_dev(const struct vctx *v, const struct expect *e, long code)
{
	const struct atp_deviation *dv, *best = NULL;
	size_t i = 0;

	while ((dv = next_dev(e, ATP_DEV_ERRCODE, &i)) != NULL) {
		int64_t alt;
		if (dv->alt == NULL || atp_span_sdec(atp_span_str(dv->alt), &alt, -1000, 1000) != ATP_OK)
			continue;
		if (alt != code || (dev_when(dv) & WHEN(e->why)) == 0)
			continue;
		best = better(v, best, dv);
	}
	return best;
}

/*
 * TERM deviations that only concern one kind of response: the parse-stage
 * errors end in one CRLF (firmware §1.4); SKRPTM's LF and the lists' extra
 * CRLF belong to their +OK formats.
 */
static const struct {
	const char *id;
	int is_error;
} term_kind[] = {
	{ "parse-error-single-crlf", 1 },
	{ "skrptm-query-lf", 0 },
	{ "list-extra-crlf", 0 },
};

static const struct atp_deviation *
term_dev(const struct vctx *v, const struct expect *e, const struct atp_frame *f)
{
	const struct atp_deviation *dv, *best = NULL;
	size_t i = 0, k;

	while ((dv = next_dev(e, ATP_DEV_TERM, &i)) != NULL) {
		int ok = dv->alt != NULL && atp_span_eq(f->term, dv->alt);
		for (k = 0; ok && k < sizeof(term_kind) / sizeof(term_kind[0]); k++)
			if (strcmp(term_kind[k].id, dv->id) == 0 && term_kind[k].is_error != f->is_error)
				ok = 0;
		if (ok)
			best = better(v, best, dv);
	}
	return best;
}

/*
 * The SHAPE deviation whose pattern the line matches with every value in
 * range, or NULL. For a list command the alternative pattern is that of an
 * entry (profile.h), which on the first line stands after "+OK=". The
 * patterns are compiled per use: this runs only on lines that already
 * failed the manual's shape, and it keeps the validator free of state.
 */
static int
shape_dev(const struct vctx *v, const struct expect *e, struct atp_span line, int first,
    const struct atp_deviation **out)
{
	const struct atp_deviation *dv;
	size_t i = 0;
	int list = (e->cmd->flags & ATP_CMD_LIST) != 0;

	*out = NULL;
	if (list && first) {
		struct atp_cur c = atp_cur_make(line.p, line.len);
		if (atp_cur_lit(&c, "+OK=") != ATP_OK)
			return ATP_OK;
		line = atp_span_make(c.p, c.left);
	}
	while ((dv = next_dev(e, ATP_DEV_SHAPE, &i)) != NULL) {
		struct atp_shape *sh;
		struct atp_match m;
		int rc;
		if (dv->alt == NULL)
			continue;
		rc = atp_shape_compile(dv->alt, &sh, NULL);
		if (rc != ATP_OK)
			return rc;
		rc = atp_shape_match(sh, line, &m);
		atp_shape_free(sh);
		if (rc != ATP_OK)
			return rc;
		if (m.matched && m.nbad == 0 && !m.too_complex)
			*out = better(v, *out, dv);
	}
	return ATP_OK;
}

/*
 * One line of a response against its shape: line 0 against the reply of
 * the form, the others against the list entry. A line that fails the
 * manual's pattern but fits a deviation's is that deviation.
 */
static int
check_line(struct vctx *v, struct expect *e, const struct atp_shape *sh,
    struct atp_span line, size_t index, size_t nlines)
{
	const struct atp_deviation *dv;
	struct atp_match m;
	char txt[ESC_MAX], rng[96];
	const uint8_t *nul;
	size_t k;
	int rc;

	if (sh == NULL) {
		if (first_time(v, ATP_RULE_RESP_SHAPE, NULL))
			FAIL(v, ATP_RULE_RESP_SHAPE, e->cmd->section,
			    "%s: line %zu of %zu (\"%s\") is not part of its reply", label(e), index + 1,
			    nlines, show(e->cmd, line, txt, sizeof(txt)));
		return ATP_OK;
	}
	/* The firmware prints its replies as C strings (w600-firmware.md §4):
	 * a NUL cannot be part of one, whatever the shape's field would take
	 * (a Text or a bare String does). Said with its column. */
	nul = memchr(line.p, 0, line.len);
	if (nul != NULL) {
		if (first_time(v, ATP_RULE_RESP_SHAPE, NULL))
			FAIL(v, ATP_RULE_RESP_SHAPE, e->cmd->section,
			    "%s: line %zu \"%s\" holds a NUL byte at column %zu", label(e), index + 1,
			    show(e->cmd, line, txt, sizeof(txt)), (size_t)(nul - line.p) + 1);
		return ATP_OK;
	}
	rc = atp_shape_match(sh, line, &m);
	if (rc != ATP_OK)
		return rc;
	if (m.too_complex) {
		if (first_time(v, ATP_RULE_RESP_SHAPE, NULL))
			emit(v, ATP_RULE_RESP_SHAPE, ATP_SEV_WARNING, ATP_V_INCONC, e->cmd->section, NULL,
			    "%s: the matcher gave up on \"%s\" (too complex): no verdict", label(e),
			    show(e->cmd, line, txt, sizeof(txt)));
		return ATP_OK;
	}
	if (m.matched && m.nbad == 0)
		return ATP_OK;
	rc = shape_dev(v, e, line, index == 0, &dv);
	if (rc != ATP_OK)
		return rc;
	if (dv != NULL) {
		report_dev(v, dv, "%s: line %zu \"%s\" has the firmware's format, not the manual's %s",
		    label(e), index + 1, show(e->cmd, line, txt, sizeof(txt)), atp_shape_pattern(sh));
		return ATP_OK;
	}
	if (!m.matched) {
		if (first_time(v, ATP_RULE_RESP_SHAPE, NULL))
			FAIL(v, ATP_RULE_RESP_SHAPE, e->cmd->section,
			    "%s: line %zu \"%s\" does not match %s (from column %zu)", label(e), index + 1,
			    show(e->cmd, line, txt, sizeof(txt)), atp_shape_pattern(sh), m.fail_at + 1);
		return ATP_OK;
	}
	for (k = 0; k < m.ncap && k < ATP_MATCH_CAP_MAX; k++) {
		const struct atp_capture *c = &m.cap[k];
		const struct atp_deviation *found;
		if (c->in_range || !first_time(v, ATP_RULE_RESP_RANGE, c->field->name))
			continue;
		/* A firmware that accepts a value the manual refuses
		 * (encry-range-0-8...) also reads it back: the same deviation. */
		found = accepting_dev(v, e, c);
		if (found != NULL) {
			report_dev(v, found, "%s: %s=%s reads back outside the manual's range (%s)",
			    label(e), c->field->name, show(e->cmd, c->raw, txt, sizeof(txt)),
			    range_text(c->field, rng, sizeof(rng)));
			continue;
		}
		FAIL(v, ATP_RULE_RESP_RANGE, e->cmd->section, "%s: %s=%s is out of range (%s)", label(e),
		    c->field->name, show(e->cmd, c->raw, txt, sizeof(txt)),
		    range_text(c->field, rng, sizeof(rng)));
	}
	return ATP_OK;
}

/* The body (and, for a list, every entry) against the manual's shapes. */
static int
check_shapes(struct vctx *v, struct expect *e, const struct atp_frame *f)
{
	const struct atp_shape *reply, *entry;
	size_t i;
	int rc;

	if (e->cmd == NULL)
		return ATP_OK;
	reply = atp_cmd_reply_shape(e->cmd, e->form);
	if (reply == NULL)
		return ATP_OK;     /* a form without a reply of its own */
	entry = (e->cmd->flags & ATP_CMD_LIST) != 0 ? atp_cmd_entry_shape(e->cmd) : NULL;
	for (i = 0; i < f->nlines || i == 0; i++) {
		struct atp_span line;
		/* A cut-off last line (no line end: flushed or truncated) is
		 * the incompleteness finding's business, not the shape's. */
		if (atp_frame_line(f, i, &line, NULL) != ATP_OK)
			line = f->body;
		if ((f->flags & (ATP_FRF_INCOMPLETE | ATP_FRF_TRUNCATED)) != 0 && f->term.len == 0 &&
		    i + 1 >= f->nlines)
			break;
		rc = check_line(v, e, i == 0 ? reply : entry, line, i, f->nlines > 0 ? f->nlines : 1);
		if (rc != ATP_OK)
			return rc;
	}
	return ATP_OK;
}

/* +ERR=<code>: the code against what the manual requires and §1.2.2. */
static void
check_error(struct vctx *v, struct expect *e, const struct atp_frame *f)
{
	const struct atp_deviation *dv;
	char txt[ESC_MAX];
	long code = f->errcode;

	if (!f->errcode_ok) {
		FAIL(v, ATP_RULE_RESP_ERRCODE, "1.2.2", "%s: unreadable error code in \"%s\"",
		    label(e), esc(f->body, txt, sizeof(txt)));
		return;
	}
	if (e->code != 0 && code == e->code)
		return;
	dv = errcode_dev(v, e, code);
	if (dv != NULL) {
		if (e->code != 0)
			report_dev(v, dv, "%s: +ERR=%ld where the manual requires +ERR=%ld (%s)", label(e),
			    code, e->code, why_text(e->why));
		else
			report_dev(v, dv, "%s: +ERR=%ld to a command of the manual", label(e), code);
		return;
	}
	if (e->code != 0) {
		/* A form the firmware has (extra-forms), whose arguments it then
		 * rejects or whose operation fails: its answer is that of the
		 * form, not the -3 the manual's reading requires. */
		const struct atp_deviation *fd = NULL;
		size_t i = 0;
		if (e->why == W_FORM && e->cmd != NULL && (e->cmd->fw_forms & (unsigned)e->form) != 0) {
			long fw = why_code(e->fw_why);
			if (fw != 0 ? code == fw : (code != -2 && code != -3 &&
			    atp_errcode_find(code) != NULL && atp_cmd_error_documented(e->cmd, code)))
				fd = next_dev(e, ATP_DEV_FORM, &i);
		}
		if (fd != NULL) {
			report_dev(v, fd, "%s: a form the manual does not give (it requires +ERR=-3); "
			    "the firmware took it and answered +ERR=%ld", label(e), code);
			return;
		}
		FAIL(v, ATP_RULE_RESP_ERRCODE, "1.2.2",
		    "%s: the manual requires +ERR=%ld (%s), got +ERR=%ld%s", label(e), e->code,
		    why_text(e->why), code, atp_errcode_find(code) == NULL ? " (not in §1.2.2)" : "");
		return;
	}
	/*
	 * Success was possible, yet a device may fail an operation: whether an
	 * error was wanted is the scenario's call. The validator only checks
	 * that the code is one the manual defines, and one this command may
	 * give (cmd.h: the common codes and the command's own).
	 */
	if (atp_errcode_find(code) == NULL)
		FAIL(v, ATP_RULE_RESP_ERRCODE, "1.2.2", "%s: +ERR=%ld is not an error code of §1.2.2",
		    label(e), code);
	else if (e->cmd != NULL && !atp_cmd_error_documented(e->cmd, code))
		FAIL(v, ATP_RULE_RESP_ERRCODE, "1.2.2",
		    "%s: +ERR=%ld is not among the codes %s may return (-1..-6, -64%s%s)", label(e), code,
		    e->cmd->name, e->cmd->errors != NULL && e->cmd->errors[0] != '\0' ? " and " : "",
		    e->cmd->errors != NULL ? e->cmd->errors : "");
}

/*
 * +OK where the manual requires an error. Explained by extra-forms when the
 * firmware has the form, and by an ACCEPTS deviation when every argument
 * out of range is one that a deviation names. Returns 1 if the body is to
 * be checked against the reply shape (the exchange went on as a success).
 */
static int
check_ok_expected_error(struct vctx *v, struct expect *e)
{
	const struct atp_deviation *dv;
	char txt[ESC_MAX], rng[96], allowed[128];
	enum why why = e->why;
	size_t i, k;

	if (why == W_FORM) {
		i = 0;
		dv = (e->cmd->fw_forms & (unsigned)e->form) != 0 ? next_dev(e, ATP_DEV_FORM, &i) : NULL;
		if (dv == NULL) {
			FAIL(v, ATP_RULE_RESP_EXPECTED_ERR, e->cmd->section,
			    "%s: +OK to a form the manual does not give (it requires +ERR=-3; forms: %s)",
			    label(e), forms_text(e->cmd, e->cmd->forms, allowed, sizeof(allowed)));
			return 0;
		}
		report_dev(v, dv, "%s: +OK to a form the manual does not give (forms: %s)", label(e),
		    forms_text(e->cmd, e->cmd->forms, allowed, sizeof(allowed)));
		why = e->fw_why;   /* the form is taken: now its arguments */
		if (why == W_NONE || why == W_UNDECIDED)
			return 1;
	}
	if (why == W_RANGE && e->am_valid) {
		const struct atp_capture *bad = NULL;
		for (k = 0; k < e->am.ncap && k < ATP_MATCH_CAP_MAX && bad == NULL; k++) {
			const struct atp_capture *c = &e->am.cap[k];
			if (!c->in_range && accepting_dev(v, e, c) == NULL)
				bad = c;
		}
		if (bad == NULL) {
			for (k = 0; k < e->am.ncap && k < ATP_MATCH_CAP_MAX; k++) {
				const struct atp_capture *c = &e->am.cap[k];
				if (c->in_range)
					continue;
				report_dev(v, accepting_dev(v, e, c),
				    "%s: +OK to %s=%s, outside the manual's range (%s)",
				    label(e), c->field->name, show(e->cmd, c->raw, txt, sizeof(txt)),
				    range_text(c->field, rng, sizeof(rng)));
			}
			return 1;
		}
		FAIL(v, ATP_RULE_RESP_EXPECTED_ERR, e->cmd->section,
		    "%s: +OK although %s=%s is out of range (%s): the manual requires +ERR=-4", label(e),
		    bad->field->name, show(e->cmd, bad->raw, txt, sizeof(txt)),
		    range_text(bad->field, rng, sizeof(rng)));
		return 0;
	}
	if (e->cmd == NULL) {
		FAIL(v, ATP_RULE_RESP_EXPECTED_ERR, "1.2.1",
		    "%s: +OK to a command that is not in the manual (it requires +ERR=-2)", label(e));
		return 0;
	}
	FAIL(v, ATP_RULE_RESP_EXPECTED_ERR, e->cmd->section,
	    "%s: +OK to %s (the manual requires +ERR=%ld; arguments: %s)", label(e), why_text(why),
	    why_code(why), atp_cmd_args_shape(e->cmd) != NULL ?
	    atp_shape_pattern(atp_cmd_args_shape(e->cmd)) : "none");
	return 0;
}

/* The line ends after the last line: the manual's CR LF CR LF, a catalogued
 * ending, or a frame that never ended. */
static void
check_term(struct vctx *v, struct expect *e, const struct atp_frame *f)
{
	const struct atp_deviation *dv;
	char txt[ESC_MAX], body[ESC_MAX];

	if (atp_span_eq(f->term, TERM_MANUAL))
		return;
	dv = term_dev(v, e, f);
	if (dv != NULL) {
		report_dev(v, dv, "%s: \"%s\" ends with \"%s\", not \\r\\n\\r\\n", label(e),
		    show(e->cmd, f->body, body, sizeof(body)), esc(f->term, txt, sizeof(txt)));
		return;
	}
	if ((f->flags & ATP_FRF_INCOMPLETE) != 0) {
		FAIL(v, ATP_RULE_FRAME_INCOMPLETE, "2.1",
		    "%s: the response \"%s\" stopped after \"%s\", before its \\r\\n\\r\\n", label(e),
		    show(e->cmd, f->body, body, sizeof(body)), esc(f->term, txt, sizeof(txt)));
		return;
	}
	FAIL(v, ATP_RULE_RESP_TERM, "2.1", "%s: \"%s\" ends with \"%s\", not \\r\\n\\r\\n", label(e),
	    show(e->cmd, f->body, body, sizeof(body)), esc(f->term, txt, sizeof(txt)));
}

int
atp_validate_response(const struct atp_cmdline *cl, const struct atp_frame *resp,
    const struct atp_profile *prof, atp_finding_fn *cb, void *ctx)
{
	struct expect e;
	struct vctx v;
	int rc = ATP_OK;

	if (resp == NULL || cb == NULL || resp->kind != ATP_FRAME_RESPONSE)
		return ATP_ERR_ARG;
	expect_compute(&e, cl, resp);
	vctx_init(&v, prof, cb, ctx, e.cmd, resp->offset);
	/* A line longer than the framer's ceiling comes in pieces: it is no
	 * reply of the manual (none is that long), said once, on the first. */
	if ((resp->flags & ATP_FRF_CONTINUED) != 0)
		return ATP_OK;
	if ((resp->flags & ATP_FRF_TRUNCATED) != 0) {
		char txt[ESC_MAX];
		FAIL(&v, ATP_RULE_RESP_SHAPE, e.cmd != NULL ? e.cmd->section : "2.1",
		    "%s: a response line longer than %zu bytes (\"%s\"), cut by the framer",
		    label(&e), resp->bytes.len, show(e.cmd, resp->body, txt, sizeof(txt)));
		return ATP_OK;
	}
	if (resp->is_error) {
		check_error(&v, &e, resp);
	} else if (e.code == 0 || check_ok_expected_error(&v, &e)) {
		rc = check_shapes(&v, &e, resp);
	}
	if (rc != ATP_OK)
		return rc;
	check_term(&v, &e, resp);
	return ATP_OK;
}

/* The line issues of cmdline.h, as the host-side findings say them. */
static const struct {
	unsigned bit;
	const char *text;
} issue_text[] = {
	{ ATP_CL_LOWER_PREFIX, "the prefix is not upper-case AT+" },
	{ ATP_CL_LOWER_NAME, "the command name is not in upper case" },
	{ ATP_CL_NAME_TOO_LONG, "the name is longer than 9 characters" },
	{ ATP_CL_TOO_MANY_ARGS, "more than 9 arguments" },
	{ ATP_CL_OPEN_QUOTE, "an argument's double quote is not closed" },
	{ ATP_CL_NUL, "a NUL byte in the line" },
	{ ATP_CL_NONPRINT, "a control or non-ASCII byte in the line" },
	{ ATP_CL_TERM_NOT_CR, "the line ends with something else than <CR>" },
	{ ATP_CL_NO_TERM, "the line has no <CR> at its end" },
	{ ATP_CL_QUERY_TRAIL, "bytes after =?" },
	{ ATP_CL_EMPTY_LAST_ARG, "a trailing comma (an empty last argument)" },
	{ ATP_CL_SPACE, "a space around the name or an argument" },
	{ ATP_CL_TOO_LONG, "the line is longer than 512 bytes" },
};

/*
 * Where in the line an issue stands (1-based), for the issues that have one
 * place: a bad byte, the argument whose quote never closes, the ceiling.
 * 0 for the others (a case or terminator rule is about the whole line).
 */
static size_t
issue_column(const struct atp_cmdline *cl, unsigned bit)
{
	size_t i;

	switch (bit) {
	case ATP_CL_NUL:
	case ATP_CL_NONPRINT:
		for (i = 0; i < cl->text.len; i++) {
			uint8_t ch = cl->text.p[i];
			if (bit == ATP_CL_NUL ? ch == 0 : ch != 0 && !ATP_ISPRINT(ch))
				return i + 1;
		}
		return 0;
	case ATP_CL_OPEN_QUOTE:
		/* an open quoted argument lost only its opening quote (cmdline.c) */
		for (i = 0; i < cl->nargs; i++)
			if (cl->args[i].quoted && cl->args[i].value.len + 1 == cl->args[i].raw.len)
				return cl->args[i].offset + 1;
		return 0;
	case ATP_CL_TOO_LONG:
		return ATP_LINE_MAX + 1;
	default:
		return 0;
	}
}

/* A finding about the host (validate.h: WARNING, and a failure: a host
 * that breaks the manual is not excused by a firmware that copes). */
#define HOST(v, rule, section, ...) \
	emit((v), (rule), ATP_SEV_WARNING, ATP_V_FAIL, (section), NULL, __VA_ARGS__)

int
atp_validate_cmdline(const struct atp_cmdline *cl, uint64_t offset,
    const struct atp_profile *prof, atp_finding_fn *cb, void *ctx)
{
	struct expect e;
	struct vctx v;
	char line[ESC_MAX], txt[ESC_MAX], rng[96], allowed[128];
	size_t i;

	if (cl == NULL || cb == NULL)
		return ATP_ERR_ARG;
	expect_compute(&e, cl, NULL);
	vctx_init(&v, prof, cb, ctx, e.cmd, offset);
	/* The line as messages show it, when there will be a message. */
	line[0] = '\0';
	if (cl->issues != 0 || e.why != W_NONE) {
		if (e.cmd != NULL && (e.cmd->flags & ATP_CMD_SECRET) != 0)
			snprintf(line, sizeof(line), "AT+%s%s...", e.cmd->name, atp_form_op(e.form));
		else
			esc(cl->text, line, sizeof(line));
	}
	for (i = 0; i < sizeof(issue_text) / sizeof(issue_text[0]); i++) {
		size_t col;
		if ((cl->issues & issue_text[i].bit) == 0)
			continue;
		col = issue_column(cl, issue_text[i].bit);
		if (col != 0)
			HOST(&v, ATP_RULE_CMD_SYNTAX, "2.1", "%s: %s (column %zu)", line,
			    issue_text[i].text, col);
		else
			HOST(&v, ATP_RULE_CMD_SYNTAX, "2.1", "%s: %s", line, issue_text[i].text);
	}
	switch (e.why) {
	case W_NONE:
		break;
	case W_UNKNOWN:
		HOST(&v, ATP_RULE_CMD_UNKNOWN, "1.2.1", "%s: AT+%s is not a command of the manual",
		    line, esc(cl->name, txt, sizeof(txt)));
		break;
	case W_FORM:
		HOST(&v, ATP_RULE_CMD_FORM, e.cmd->section,
		    "%s: not a form of %s in the manual (forms: %s)", line, e.cmd->name,
		    forms_text(e.cmd, e.cmd->forms, allowed, sizeof(allowed)));
		break;
	case W_FEW:
	case W_ARGS:
		if (atp_cmd_args_shape(e.cmd) == NULL)
			HOST(&v, ATP_RULE_CMD_ARGS, e.cmd->section, "%s: %s takes no arguments", line,
			    e.cmd->name);
		else if (e.why == W_FEW)
			HOST(&v, ATP_RULE_CMD_ARGS, e.cmd->section,
			    "%s: too few arguments for %s (%zu given, %zu required)", line,
			    atp_shape_pattern(atp_cmd_args_shape(e.cmd)), cl->nargs,
			    required_fields(atp_cmd_args_shape(e.cmd)));
		else
			HOST(&v, ATP_RULE_CMD_ARGS, e.cmd->section,
			    "%s: arguments do not fit %s (from column %zu of the arguments)", line,
			    atp_shape_pattern(atp_cmd_args_shape(e.cmd)),
			    e.am_valid ? e.am.fail_at + 1 : 1);
		break;
	case W_RANGE:
		for (i = 0; i < e.am.ncap && i < ATP_MATCH_CAP_MAX; i++) {
			const struct atp_capture *c = &e.am.cap[i];
			if (c->in_range)
				continue;
			HOST(&v, ATP_RULE_CMD_ARG_RANGE, e.cmd->section, "%s: %s=%s is out of range (%s)",
			    line, c->field->name, show(e.cmd, c->raw, txt, sizeof(txt)),
			    range_text(c->field, rng, sizeof(rng)));
		}
		break;
	case W_UNDECIDED:
		emit(&v, ATP_RULE_CMD_ARGS, ATP_SEV_WARNING, ATP_V_INCONC, e.cmd->section, NULL,
		    "%s: the matcher gave up on the arguments (too complex): no verdict", line);
		break;
	}
	return ATP_OK;
}

/* A report's line (or a banner's) against its pattern and terminator. */
static int
check_report(struct vctx *v, const struct atp_frame *rep, const struct atp_report *r)
{
	const struct atp_shape *sh;
	struct atp_match m;
	char txt[ESC_MAX], rng[96];
	size_t k;
	int rc;

	if ((rep->flags & ATP_FRF_CONTINUED) != 0)
		return ATP_OK;
	if ((rep->flags & ATP_FRF_TRUNCATED) != 0) {
		FAIL(v, ATP_RULE_REPORT_SHAPE, r->section,
		    "%s: a report line longer than %zu bytes (\"%s\"), cut by the framer", r->name,
		    rep->bytes.len, esc(rep->body, txt, sizeof(txt)));
		return ATP_OK;
	}
	sh = atp_report_shape(r);
	if (sh != NULL && !((rep->flags & ATP_FRF_INCOMPLETE) != 0 && rep->term.len == 0)) {
		rc = atp_shape_match(sh, rep->body, &m);
		if (rc != ATP_OK)
			return rc;
		if (m.too_complex) {
			emit(v, ATP_RULE_REPORT_SHAPE, ATP_SEV_WARNING, ATP_V_INCONC, r->section, NULL,
			    "%s: the matcher gave up on \"%s\" (too complex): no verdict", r->name,
			    esc(rep->body, txt, sizeof(txt)));
		} else if (!m.matched) {
			FAIL(v, ATP_RULE_REPORT_SHAPE, r->section,
			    "%s: \"%s\" does not match %s (from column %zu)", r->name,
			    esc(rep->body, txt, sizeof(txt)), r->pattern, m.fail_at + 1);
		} else {
			for (k = 0; k < m.ncap && k < ATP_MATCH_CAP_MAX; k++) {
				const struct atp_capture *c = &m.cap[k];
				if (c->in_range || !first_time(v, ATP_RULE_RESP_RANGE, c->field->name))
					continue;
				FAIL(v, ATP_RULE_RESP_RANGE, r->section, "%s: %s=%s is out of range (%s)",
				    r->name, c->field->name, esc(c->raw, txt, sizeof(txt)),
				    range_text(c->field, rng, sizeof(rng)));
			}
		}
	}
	/* Reports end like responses (§2.2.4.4: +MQTT:CONNECTED<CR><LF><CR><LF>;
	 * +SKTRPT and +HTTPCRPT likewise in the firmware). The banner has no
	 * format in the manual: one line end or two. */
	if (atp_span_eq(rep->term, TERM_MANUAL) ||
	    ((r->flags & ATP_RPT_BANNER) != 0 && atp_span_eq(rep->term, "\r\n")))
		return ATP_OK;
	if ((rep->flags & ATP_FRF_INCOMPLETE) != 0)
		FAIL(v, ATP_RULE_FRAME_INCOMPLETE, "2.1",
		    "%s: the report \"%s\" stopped after \"%s\", before its \\r\\n\\r\\n", r->name,
		    esc(rep->body, txt, sizeof(txt)), esc(rep->term, rng, sizeof(rng)));
	else
		FAIL(v, ATP_RULE_RESP_TERM, "2.1", "%s: the report ends with \"%s\", not \\r\\n\\r\\n",
		    r->name, esc(rep->term, txt, sizeof(txt)));
	return ATP_OK;
}

int
atp_validate_report(const struct atp_frame *rep, const struct atp_profile *prof,
    atp_finding_fn *cb, void *ctx)
{
	const struct atp_report *r;
	struct vctx v;
	char txt[ESC_MAX];

	if (rep == NULL || cb == NULL || rep->kind != ATP_FRAME_REPORT)
		return ATP_ERR_ARG;
	vctx_init(&v, prof, cb, ctx, NULL, rep->offset);
	r = rep->report != NULL ? rep->report : atp_report_match(rep->body);
	if (r == NULL) {
		FAIL(&v, ATP_RULE_REPORT_SHAPE, "2.1", "\"%s\" is no report of the manual",
		    esc(rep->body, txt, sizeof(txt)));
		return ATP_OK;
	}
	return check_report(&v, rep, r);
}

/*
 * Frames outside an exchange. Responses and reports are passed on to their
 * own checks (a response with no command gets the generic ones), so a
 * caller may hand every frame it does not pair with a command to this one.
 */
int
atp_validate_other(const struct atp_frame *f, const struct atp_profile *prof,
    atp_finding_fn *cb, void *ctx)
{
	struct vctx v;
	char txt[ESC_MAX];

	if (f == NULL || cb == NULL)
		return ATP_ERR_ARG;
	vctx_init(&v, prof, cb, ctx, NULL, f->offset);
	switch (f->kind) {
	case ATP_FRAME_RESPONSE:
		return atp_validate_response(NULL, f, prof, cb, ctx);
	case ATP_FRAME_REPORT:
		return atp_validate_report(f, prof, cb, ctx);
	case ATP_FRAME_TEXT:
		/* A banner ("ready" after AT+Z, §2.2.1.2) is a line the model
		 * knows; the framer names it in f->report. */
		if (f->report != NULL && (f->report->flags & ATP_RPT_BANNER) != 0)
			return check_report(&v, f, f->report);
		/* The later pieces of a cut line belong to the first's finding. */
		if ((f->flags & ATP_FRF_CONTINUED) == 0)
			FAIL(&v, ATP_RULE_TEXT_UNEXPECTED, "2.1",
			    "a line that is no response, report or echo: \"%s\"",
			    esc(f->body, txt, sizeof(txt)));
		break;
	case ATP_FRAME_STRAY:
		FAIL(&v, ATP_RULE_STRAY_BYTES, "2.1", "line-end bytes outside any line: \"%s\"",
		    esc(f->bytes, txt, sizeof(txt)));
		break;
	case ATP_FRAME_ECHO:
		if ((f->flags & ATP_FRF_INCOMPLETE) != 0)
			FAIL(&v, ATP_RULE_FRAME_INCOMPLETE, "2.1",
			    "the echoed line \"%s\" never ended", esc(f->body, txt, sizeof(txt)));
		break;
	case ATP_FRAME_DATA:
		if ((f->flags & ATP_FRF_INCOMPLETE) != 0)
			FAIL(&v, ATP_RULE_FRAME_INCOMPLETE, "2.1",
			    "counted data cut short: %llu of %llu bytes came",
			    (unsigned long long)f->data_done, (unsigned long long)f->data_total);
		break;
	}
	return ATP_OK;
}

const char *
atp_verdict_name(enum atp_verdict v)
{
	switch (v) {
	case ATP_V_PASS: return "pass";
	case ATP_V_FAIL: return "fail";
	case ATP_V_KNOWN: return "known";
	case ATP_V_INCONC: return "inconc";
	}
	return "?";
}

const char *
atp_severity_name(enum atp_severity s)
{
	switch (s) {
	case ATP_SEV_INFO: return "info";
	case ATP_SEV_WARNING: return "warning";
	case ATP_SEV_ERROR: return "error";
	}
	return "?";
}
