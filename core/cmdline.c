/* SPDX-License-Identifier: MIT */
/* \summary: command lines sent to the module: parser, stream splitter, serializer */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "atproof/cmdline.h"

/*
 * AT+<CMD>[op][arg{,arg}]<terminator>  (manual §2.1)
 *
 *   "AT+"     A/a, T/t, '+'                  (firmware §1.2 parse_atcmd_line)
 *   CMD       up to '=' or the end, <= 9     (firmware §1.3 tls_atcmd_parse)
 *   op        "=" set, "=!" flash, "=?" query, none: bare
 *   args      ',' separated; a '"' at the start of an argument makes it run
 *             to the next unescaped '"' followed by ',' or the end
 *   term      CR, LF, CRLF or LFCR           (firmware §1.2 find_atcmd_eol)
 *
 * The firmware is lenient, the manual is not: whatever the first takes and
 * the second would not is recorded as an ATP_CL_* issue, never an error.
 */

static int
is_eol(uint8_t ch)
{
	return ch == '\r' || ch == '\n';
}

static int
is_space(uint8_t ch)
{
	return ch == ' ' || ch == '\t';
}

/* The terminator at p[0] (an EOL byte): a CRLF or LFCR pair counts as one
 * (firmware §1.2), a lone byte at the end of the input is taken alone. */
static size_t
eol_len(const uint8_t *p, size_t n)
{
	if (n >= 2 && is_eol(p[1]) && p[1] != p[0])
		return 2;
	return 1;
}

/* The terminator that ends p[0..n), or 0 if the last byte is not CR/LF. */
static size_t
trailing_term_len(const uint8_t *p, size_t n)
{
	if (n == 0 || !is_eol(p[n - 1]))
		return 0;
	if (n >= 2 && is_eol(p[n - 2]) && p[n - 2] != p[n - 1])
		return 2;
	return 1;
}

/* Index of the first CR/LF in p[0..n), or n. */
static size_t
find_eol(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (is_eol(p[i]))
			break;
	return i;
}

/*
 * Does "AT+" (A/a, T/t) start at p? 1 yes, 0 no, -1 if the n bytes left are
 * a proper prefix of it ("A", "aT"): the next bytes may still make it one.
 */
static int
at_prefix(const uint8_t *p, size_t n)
{
	static const char at[] = "AT+";
	size_t i;

	for (i = 0; i < 3; i++) {
		if (i == n)
			return -1;
		if (ATP_TOUPPER(p[i]) != (uint8_t)at[i])
			return 0;
	}
	return 1;
}

static int
parse_error(struct atp_diag *d, int code, struct atp_span text, size_t off, const char *what)
{
	char esc[16];

	if (off < text.len)
		atp_span_escape(atp_span_make(text.p + off, 1), esc, sizeof(esc));
	else
		snprintf(esc, sizeof(esc), "end of line");
	atp_diag_at(d, code, NULL, 1, (unsigned long)off + 1, "column %lu: %s (at %s)",
	    (unsigned long)off + 1, what, esc);
	if (d != NULL)
		d->offset = off;
	return code;
}

/* ATP_CL_SPACE for an argument that a space or tab starts or ends. */
static unsigned
space_issue(struct atp_span raw)
{
	if (raw.len > 0 && (is_space(raw.p[0]) || is_space(raw.p[raw.len - 1])))
		return ATP_CL_SPACE;
	return 0;
}

/*
 * Splits out->argtext (at @base bytes from the start of the line) into
 * arguments as the module does (w600-firmware.md §1.3, §3):
 *   - get_first_comma(): an argument that starts with '"' ends at the
 *     first '",' whose quote is not preceded by a backslash. It looks one
 *     byte back and no further, so `"a\\",b` is one argument, not two: the
 *     backslash before the quote is itself escaped, but the module does not
 *     see it so;
 *   - with no such '",' the argument runs to the end of the line, and
 *     atcmd_filter_quotation() takes it as quoted when its last byte is '"'
 *     (escaped or not: `"abc\"` is closed), as open otherwise.
 * atp_cmdline_build() writes no line the two readings would split apart.
 */
static void
split_args(struct atp_cmdline *out, size_t base)
{
	const uint8_t *p = out->argtext.p;
	size_t len = out->argtext.len;
	size_t pos = 0;

	if (len == 0)
		return;    /* AT+SSID=: no argument at all (firmware §1.3) */
	for (;;) {
		struct atp_arg *a;
		size_t end, i;
		int quoted = 0, open = 0;

		/* The firmware checks its 9-argument ceiling before taking each
		 * piece, the empty one after a trailing ',' included, so
		 * "1,2,3,4,5,6,7,8,9," gives +ERR=-4 (wm_cmdp_hostif.c
		 * tls_atcmd_parse). */
		if (out->nargs == ATP_ARGS_MAX) {
			out->issues |= ATP_CL_TOO_MANY_ARGS;
			if (pos == len)
				out->issues |= ATP_CL_EMPTY_LAST_ARG;
			return;
		}
		if (pos == len) {
			out->issues |= ATP_CL_EMPTY_LAST_ARG;
			return;
		}
		if (p[pos] == '"') {
			quoted = 1;
			/* p[i - 1] of the first candidate is the opening quote */
			for (i = pos + 1; i + 1 < len; i++)
				if (p[i] == '"' && p[i + 1] == ',' && p[i - 1] != '\\')
					break;
			if (i + 1 < len) {
				end = i + 1;
			} else {
				end = len;
				open = len - pos < 2 || p[len - 1] != '"';
			}
		} else {
			const uint8_t *comma = memchr(p + pos, ',', len - pos);
			end = comma != NULL ? (size_t)(comma - p) : len;
		}
		a = &out->args[out->nargs++];
		a->raw = atp_span_make(p + pos, end - pos);
		a->quoted = quoted;
		a->offset = base + pos;
		if (!quoted)
			a->value = a->raw;
		else if (open)
			a->value = atp_span_make(p + pos + 1, end - pos - 1);
		else
			a->value = atp_span_make(p + pos + 1, end - pos - 2);
		if (open)
			out->issues |= ATP_CL_OPEN_QUOTE;
		if (!quoted)
			out->issues |= space_issue(a->raw);
		if (end == len)
			return;
		pos = end + 1;    /* past the ',' */
	}
}

/*
 * Parses one command line (see cmdline.h). A line longer than ATP_LINE_MAX
 * is still parsed in full, flagged ATP_CL_TOO_LONG, and ATP_ERR_LIMIT is
 * returned, so that an analyzer can report what the line would have been.
 */
int
atp_cmdline_parse(struct atp_span line, struct atp_cmdline *out, struct atp_diag *d)
{
	struct atp_span text;
	const uint8_t *eq;
	size_t tl, i, rest;

	if (out == NULL || (line.p == NULL && line.len > 0))
		return atp_diag_set(d, ATP_ERR_ARG, "atp_cmdline_parse: no line or no output");
	memset(out, 0, sizeof(*out));
	tl = trailing_term_len(line.p, line.len);
	text = atp_span_make(line.p, line.len - tl);
	out->text = text;
	out->term = atp_span_make(line.p + text.len, tl);

	for (i = 0; i < 3; i++) {
		if (i == text.len || ATP_TOUPPER(text.p[i]) != (uint8_t)"AT+"[i])
			return parse_error(d, ATP_ERR_SYNTAX, text, i, "a command line starts with AT+");
		if (ATP_ISLOWER(text.p[i]))
			out->issues |= ATP_CL_LOWER_PREFIX;
	}
	for (i = 3; i < text.len; i++) {
		uint8_t ch = text.p[i];
		if (is_eol(ch))
			return parse_error(d, ATP_ERR_SYNTAX, text, i,
			    "line end inside a command line");
		if (ch == 0)
			out->issues |= ATP_CL_NUL;
		else if (!ATP_ISPRINT(ch))
			out->issues |= ATP_CL_NONPRINT;
	}

	if (tl == 0)
		out->issues |= ATP_CL_NO_TERM;
	else if (tl != 1 || line.p[text.len] != '\r')
		out->issues |= ATP_CL_TERM_NOT_CR;    /* §2.1: <CR> only */

	/* The name runs to '=' or the end; the firmware upper-cases it, the
	 * manual writes it in upper case (§1.2.1). */
	rest = text.len - 3;
	eq = memchr(text.p + 3, '=', rest);
	out->name = atp_span_make(text.p + 3, eq != NULL ? (size_t)(eq - text.p) - 3 : rest);
	for (i = 0; i < out->name.len; i++) {
		if (ATP_ISLOWER(out->name.p[i]))
			out->issues |= ATP_CL_LOWER_NAME;
		if (is_space(out->name.p[i]))
			out->issues |= ATP_CL_SPACE;
	}
	if (out->name.len > ATP_NAME_MAX)
		out->issues |= ATP_CL_NAME_TOO_LONG;
	out->cmd = atp_cmd_find(out->name);
	if (out->cmd == NULL)
		out->issues |= ATP_CL_UNKNOWN;

	if (eq == NULL) {
		out->form = ATP_FORM_BARE;
		out->argtext = atp_span_make(text.p + text.len, 0);
	} else {
		size_t at = (size_t)(eq - text.p) + 1;
		out->form = ATP_FORM_SET;
		if (at < text.len && text.p[at] == '!') {
			out->form = ATP_FORM_FLASH;
			at++;
		} else if (at < text.len && text.p[at] == '?') {
			out->form = ATP_FORM_QUERY;
			at++;
		}
		out->argtext = atp_span_make(text.p + at, text.len - at);
		/* "=?" is a query whatever follows: the firmware does not parse
		 * its arguments at all (§1.3, `if (tok->op & 0x9) return 0`). */
		if (out->form == ATP_FORM_QUERY) {
			if (out->argtext.len > 0)
				out->issues |= ATP_CL_QUERY_TRAIL;
		} else {
			split_args(out, at);
		}
	}

	if (text.len > ATP_LINE_MAX) {
		out->issues |= ATP_CL_TOO_LONG;
		return parse_error(d, ATP_ERR_LIMIT, text, ATP_LINE_MAX,
		    "command line longer than 512 bytes (firmware flushes it)");
	}
	return ATP_OK;
}

/*
 * The stream splitter. It is stateless (the cursor is all it knows), so it
 * keeps the result independent of how the bytes were chunked: fed whole or
 * a byte at a time, the same lines come out. Two consequences:
 *   - LUAT garbage runs to the next end of line. When that is not there
 *     yet, nothing is consumed (the firmware would drop what it has
 *     buffered, which depends on timing no caller can reproduce).
 *   - A line, or a LUAT garbage line, is cut at ATP_LINE_MAX + 1 bytes
 *     without an end of line, as soon as that many are there and whether
 *     or not an end of line follows later (firmware §1.2 modify_atcmd_tail:
 *     more than 512 bytes flush the buffer).
 */
int
atp_cmdline_next(struct atp_cur *c, int skip_line_garbage, struct atp_span *garbage,
    struct atp_span *line, struct atp_span *term)
{
	struct atp_span g_, l_, t_;
	const uint8_t *p;
	size_t n, pos = 0, k, max;

	if (garbage == NULL)
		garbage = &g_;
	if (line == NULL)
		line = &l_;
	if (term == NULL)
		term = &t_;
	if (c == NULL)
		return ATP_ERR_ARG;
	p = c->p;
	n = c->left;
	*garbage = atp_span_make(p, 0);
	*line = atp_span_make(p, 0);
	*term = atp_span_make(p, 0);

	for (;;) {
		int m;

		if (pos == n)
			goto again;
		m = at_prefix(p + pos, n - pos);
		if (m > 0)
			break;
		if (m < 0)
			goto again;    /* "A" or "AT" at the end: keep it */
		if (!skip_line_garbage) {
			pos++;    /* G3: one byte at a time (firmware §1.2) */
			continue;
		}
		/* LUAT: the rest of the line is garbage (firmware §1.2). */
		max = n - pos < ATP_LINE_MAX + 1 ? n - pos : ATP_LINE_MAX + 1;
		k = find_eol(p + pos, max);
		if (k == max) {
			if (n - pos > ATP_LINE_MAX)
				goto limit;
			goto again;
		}
		pos += k + eol_len(p + pos + k, n - pos - k);
	}

	/* A line starts at pos; find its end within the ceiling. */
	max = n - pos < ATP_LINE_MAX + 1 ? n - pos : ATP_LINE_MAX + 1;
	k = find_eol(p + pos, max);
	if (k == max) {
		if (n - pos > ATP_LINE_MAX)
			goto limit;
		goto again;
	}
	*garbage = atp_span_make(p, pos);
	*line = atp_span_make(p + pos, k);
	*term = atp_span_make(p + pos + k, eol_len(p + pos + k, n - pos - k));
	c->p += pos + k + term->len;
	c->left -= pos + k + term->len;
	return ATP_OK;

again:
	*garbage = atp_span_make(p, pos);
	c->p += pos;
	c->left -= pos;
	return ATP_ERR_AGAIN;

limit:
	*garbage = atp_span_make(p, pos + ATP_LINE_MAX + 1);
	c->p += garbage->len;
	c->left -= garbage->len;
	return ATP_ERR_LIMIT;
}

/* A bounded writer into the caller's buffer. */
struct wbuf {
	char *p;
	size_t size;
	size_t len;
	int over;
};

static void
put(struct wbuf *w, const char *s, size_t n)
{
	if (w->over || n >= w->size - w->len) {
		w->over = 1;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
put_str(struct wbuf *w, const char *s)
{
	put(w, s, strlen(s));
}

static int
all_digits(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!ATP_ISDIGIT(s[i]))
			return 0;
	return i > 0;
}

/*
 * Whether argument @i must be quoted so that the parser (and the firmware)
 * gives it back unchanged: a comma, quote or backslash; a space at either
 * end (the firmware keeps it, but it reads as a mistake, ATP_CL_SPACE); a
 * control byte; an empty last argument (the firmware does not count it,
 * §1.3); a first set argument starting with '!' or '?' (it would read as
 * the operator). ATP_CLB_QUOTE_ALL quotes every string, which is every
 * argument but a decimal number (manual §2.1 "Data Type": String vs Dec);
 * the empty string included.
 */
static int
needs_quotes(const char *a, size_t i, size_t nargs, enum atp_form form, unsigned flags)
{
	size_t len = strlen(a), k;

	if ((flags & ATP_CLB_QUOTE_ALL) != 0 && !all_digits(a))
		return 1;
	if (len == 0)
		return i + 1 == nargs;
	if (a[0] == ' ' || a[len - 1] == ' ')
		return 1;
	if (i == 0 && form == ATP_FORM_SET && (a[0] == '!' || a[0] == '?'))
		return 1;
	for (k = 0; k < len; k++) {
		uint8_t ch = (uint8_t)a[k];
		if (ch == ',' || ch == '"' || ch == '\\' || ch < 0x20 || ch == 0x7f)
			return 1;
	}
	return 0;
}

/*
 * How argument @i is written: 1 quoted, 0 bare, -1 not at all. Quoted, a
 * value ending in a backslash ends in `\\"`, and the module does not end an
 * argument at a '",' right after a backslash (split_args()): so it is
 * quoted only as the last argument. Before another it goes bare, where the
 * module reads it back whole (no comma, no leading quote or operator, no
 * blank at an end), or is refused; so is it under ATP_CLB_QUOTE_ALL.
 */
static int
arg_quoting(const char *a, size_t i, size_t nargs, enum atp_form form, unsigned flags)
{
	size_t len = strlen(a);

	if (!needs_quotes(a, i, nargs, form, flags))
		return 0;
	if (i + 1 == nargs || len == 0 || a[len - 1] != '\\')
		return 1;
	if ((flags & ATP_CLB_QUOTE_ALL) != 0 || strchr(a, ',') != NULL || a[0] == '"' ||
	    is_space((uint8_t)a[0]) || is_space((uint8_t)a[len - 1]) ||
	    (i == 0 && form == ATP_FORM_SET && (a[0] == '!' || a[0] == '?')))
		return -1;
	return 0;
}

/* Writes @a between quotes, with '"' and '\\' escaped (firmware §3). */
static void
put_quoted(struct wbuf *w, const char *a)
{
	size_t k;

	put(w, "\"", 1);
	for (k = 0; a[k] != '\0'; k++) {
		if (a[k] == '"' || a[k] == '\\')
			put(w, "\\", 1);
		put(w, &a[k], 1);
	}
	put(w, "\"", 1);
}

long
atp_cmdline_build(char *buf, size_t size, const char *name, enum atp_form form,
    const char *const *args, size_t nargs, unsigned flags)
{
	const unsigned terms = ATP_CLB_NO_TERM | ATP_CLB_LF | ATP_CLB_CRLF;
	struct wbuf w;
	const char *op;
	size_t i, textlen;

	if (buf == NULL || name == NULL || (args == NULL && nargs > 0))
		return ATP_ERR_ARG;
	if ((flags & ~(ATP_CLB_QUOTE_ALL | terms)) != 0)
		return ATP_ERR_ARG;
	if ((flags & terms) != 0 && ((flags & terms) & ((flags & terms) - 1)) != 0)
		return ATP_ERR_ARG;    /* more than one terminator choice */
	if (nargs > ATP_ARGS_MAX)
		return ATP_ERR_ARG;
	switch (form) {
	case ATP_FORM_BARE:
	case ATP_FORM_QUERY:
		if (nargs > 0)
			return ATP_ERR_ARG;
		break;
	case ATP_FORM_SET:
	case ATP_FORM_FLASH:
		break;
	default:
		return ATP_ERR_ARG;
	}
	/* A name holding '=' or a line end cannot come back from the parser;
	 * an argument holding a line end cannot be sent at all (firmware
	 * §1.2 ends the line there, quotes or not). */
	if (strpbrk(name, "=\r\n") != NULL)
		return ATP_ERR_ARG;
	for (i = 0; i < nargs; i++)
		if (args[i] == NULL || strpbrk(args[i], "\r\n") != NULL ||
		    arg_quoting(args[i], i, nargs, form, flags) < 0)
			return ATP_ERR_ARG;

	if (size > 0)
		buf[0] = '\0';
	w.p = buf;
	w.size = size;
	w.len = 0;
	w.over = size == 0;
	op = atp_form_op(form);
	put(&w, "AT+", 3);
	put_str(&w, name);
	put_str(&w, op);
	for (i = 0; i < nargs; i++) {
		if (i > 0)
			put(&w, ",", 1);
		if (arg_quoting(args[i], i, nargs, form, flags) > 0)
			put_quoted(&w, args[i]);
		else
			put_str(&w, args[i]);
	}
	textlen = w.len;
	if ((flags & ATP_CLB_LF) != 0)
		put(&w, "\n", 1);
	else if ((flags & ATP_CLB_CRLF) != 0)
		put(&w, "\r\n", 2);
	else if ((flags & ATP_CLB_NO_TERM) == 0)
		put(&w, "\r", 1);    /* §2.1: <CR> */
	if (w.over || textlen > ATP_LINE_MAX) {
		if (size > 0)
			buf[0] = '\0';
		return ATP_ERR_LIMIT;
	}
	buf[w.len] = '\0';
	return (long)w.len;
}
