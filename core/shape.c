/* SPDX-License-Identifier: MIT */
/* \summary: typed-field patterns: compiler and bounded backtracking matcher */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "atproof/alloc.h"
#include "atproof/cursor.h"
#include "atproof/err.h"
#include "atproof/shape.h"

/*
 * A pattern compiles to a small program for a backtracking machine, in the
 * style of a regex backtracker (an explicit stack of choice points, no
 * recursion, so a long repeated list cannot overflow the C stack):
 *
 *   LIT  a=pool offset b=length       exact bytes
 *   FIELD a=field index               a typed field (fields[a])
 *   SPLIT a=target                    optional group: try the body (pc+1)
 *                                     first, else continue at a
 *   REP_INIT a=slot                   repeat group: iteration counter := 0
 *   REP_LOOP a=slot b=exit            try one more iteration (pc+1), else b
 *   REP_NEXT a=slot b=loop            count the iteration, back to the loop
 *   END                               success if the whole text is consumed
 *
 * Repeat counters live in one slot per repeat nesting level (at most
 * GROUP_DEPTH_MAX): two repeat groups at the same level are never active at
 * once, and every change of a slot is undone on backtracking through an
 * UNDO entry of the stack (a Prolog-style trail).
 *
 * Only bare String and Text fields have more than one way to match (where
 * they end); every other type takes the longest run its structure allows
 * (a Dec takes all the digits). Ends of bare fields are tried longest
 * first, and only where the next literal's first byte stands, which keeps
 * the common `<a:String>,<b:...>` linear.
 */

#define GROUP_DEPTH_MAX 8
#define NONE SIZE_MAX
/* Bytes scanned inside a field count as one step per this many bytes. */
#define SCAN_PER_STEP 16
#define STACK_LOCAL 256

enum op {
	OP_LIT,
	OP_FIELD,
	OP_SPLIT,
	OP_REP_INIT,
	OP_REP_LOOP,
	OP_REP_NEXT,
	OP_END,
};

struct insn {
	enum op op;
	uint32_t a, b;
};

/* Per-field facts the matcher needs and the public struct does not hold. */
struct fieldx {
	int rep_slot;           /* innermost repeat level, -1 outside any */
	int enum_numeric;       /* every Enum value is all digits */
	const int64_t *nums;    /* numeric Enum values */
};

struct atp_shape {
	char *pattern;
	struct insn *prog;
	size_t nprog;
	struct atp_field *fields;
	struct fieldx *fx;
	size_t nfields;
	char *pool;             /* literals, names, Enum values and labels */
	size_t npool;
	const char **vals;
	const char **labels;
	int64_t *nums;
	size_t nvals;
};

static const char *const type_names[] = {
	[ATP_T_STRING] = "String",
	[ATP_T_QSTRING] = "QString",
	[ATP_T_TEXT] = "Text",
	[ATP_T_DEC] = "Dec",
	[ATP_T_SDEC] = "SDec",
	[ATP_T_HEX] = "Hex",
	[ATP_T_IP] = "IP",
	[ATP_T_QIP] = "QIP",
	[ATP_T_MAC] = "MAC",
	[ATP_T_DMAC] = "DMAC",
	[ATP_T_HOST] = "Host",
	[ATP_T_ENUM] = "Enum",
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

const char *
atp_type_name(enum atp_type t)
{
	if ((size_t)t >= NTYPES)
		return "?";
	return type_names[t];
}

/* ------------------------------------------------------------------ */
/* Compiler                                                            */

struct group {
	char kind;              /* '[' or '{' */
	size_t col;
	uint32_t at;            /* the SPLIT or REP_LOOP instruction */
};

struct comp {
	const char *p;
	size_t len;
	size_t i;
	struct atp_shape *s;
	struct atp_diag *d;
	struct group g[GROUP_DEPTH_MAX];
	int depth;              /* open groups */
	int rdepth;             /* open repeat groups */
	int lit_open;           /* the last instruction is a LIT we may extend */
	size_t cap_prog, cap_fields, cap_vals, cap_pool;
};

#define IS_NAME(ch) (ATP_ISALNUM(ch) || (ch) == '_')

/* A byte of the pattern as people should read it in a message. */
static const char *
show(char ch, char buf[8])
{
	uint8_t u = (uint8_t)ch;

	if (u == 0)
		snprintf(buf, 8, "end");
	else if (ATP_ISPRINT(u))
		snprintf(buf, 8, "'%c'", ch);
	else
		snprintf(buf, 8, "\\x%02X", u);
	return buf;
}

static int
cerr(struct comp *c, int code, size_t idx, const char *what)
{
	return atp_diag_at(c->d, code, NULL, 1, (unsigned long)idx + 1, "%s", what);
}

static int
emit(struct comp *c, enum op op, uint32_t a, uint32_t b)
{
	struct insn *in;

	if (c->s->nprog >= c->cap_prog)
		return cerr(c, ATP_ERR_LIMIT, c->i, "pattern too complex");
	in = &c->s->prog[c->s->nprog++];
	in->op = op;
	in->a = a;
	in->b = b;
	c->lit_open = op == OP_LIT;
	return ATP_OK;
}

static int
emit_lit(struct comp *c, char ch)
{
	struct atp_shape *s = c->s;

	if (s->npool >= c->cap_pool)
		return cerr(c, ATP_ERR_LIMIT, c->i, "pattern too complex");
	if (c->lit_open && s->nprog > 0 && s->prog[s->nprog - 1].op == OP_LIT) {
		s->pool[s->npool++] = ch;
		s->prog[s->nprog - 1].b++;
		return ATP_OK;
	}
	s->pool[s->npool] = ch;
	if (emit(c, OP_LIT, (uint32_t)s->npool, 1) < 0)
		return ATP_ERR_LIMIT;
	s->npool++;
	return ATP_OK;
}

/* Appends @n bytes and a NUL to the pool; NULL if it is full. */
static char *
pool_add(struct comp *c, const char *src, size_t n)
{
	struct atp_shape *s = c->s;
	char *at;

	if (n + 1 > c->cap_pool - s->npool)
		return NULL;
	at = s->pool + s->npool;
	memcpy(at, src, n);
	at[n] = '\0';
	s->npool += n + 1;
	return at;
}

/*
 * One bound of a constraint at c->i: a length or a Dec value (unsigned
 * decimal), an SDec value (optional '-') or a Hex value (hex digits, as the
 * firmware's strtohex reads CHLL and ESPC, w600-firmware.md §3).
 * *present is 0 when there are no digits at all (an omitted bound).
 */
static int
parse_bound(struct comp *c, enum atp_type t, int64_t *out, int *present)
{
	unsigned base = t == ATP_T_HEX ? 16 : 10;
	size_t start = c->i, i = c->i;
	int neg = 0;
	uint64_t v = 0, lim = (uint64_t)INT64_MAX;

	if (t == ATP_T_SDEC && c->p[i] == '-') {
		neg = 1;
		lim = (uint64_t)INT64_MAX + 1u;
		i++;
	}
	*present = 0;
	for (;; i++) {
		uint8_t ch = (uint8_t)c->p[i];
		unsigned dv;
		if (ATP_ISDIGIT(ch))
			dv = (unsigned)(ch - '0');
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			dv = (unsigned)(ch - 'a' + 10);
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			dv = (unsigned)(ch - 'A' + 10);
		else
			break;
		if (v > (lim - dv) / base)
			return cerr(c, ATP_ERR_SYNTAX, start, "bound out of range");
		v = v * base + dv;
		*present = 1;
	}
	if (neg && !*present)
		return cerr(c, ATP_ERR_SYNTAX, start, "'-' without digits");
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	c->i = i;
	return ATP_OK;
}

/* `N..M`, `N..`, `..M` then '>'. An omitted N means 0 (shape.h). */
static int
parse_range(struct comp *c, struct atp_field *f)
{
	size_t start = c->i;
	int have;
	int64_t v;
	char b[8];

	if (parse_bound(c, f->type, &v, &have) < 0)
		return ATP_ERR_SYNTAX;
	f->has_min = 1;
	f->min = have ? v : 0;
	if (c->p[c->i] != '.' || c->p[c->i + 1] != '.')
		return atp_diag_at(c->d, ATP_ERR_SYNTAX, NULL, 1, (unsigned long)c->i + 1,
		    "expected N..M after %s, found %s", type_names[f->type], show(c->p[c->i], b));
	c->i += 2;
	if (parse_bound(c, f->type, &v, &have) < 0)
		return ATP_ERR_SYNTAX;
	if (have) {
		f->has_max = 1;
		f->max = v;
		if (f->max < f->min)
			return cerr(c, ATP_ERR_SYNTAX, start, "bad range: minimum above maximum");
	}
	while (c->p[c->i] == ' ')
		c->i++;
	if (c->p[c->i] != '>')
		return atp_diag_at(c->d, ATP_ERR_SYNTAX, NULL, 1, (unsigned long)c->i + 1,
		    "expected '>' after the range, found %s", show(c->p[c->i], b));
	return ATP_OK;
}

/*
 * `v[=label]|v[=label]...` then '>'. Values are words of [A-Za-z0-9_], the
 * characters a device can answer where an enumerated value stands; labels
 * run to the next '|' or '>' ('\' escapes one character).
 */
static int
parse_enum(struct comp *c, struct atp_field *f, struct fieldx *fx)
{
	struct atp_shape *s = c->s;
	size_t first = s->nvals, k, j;
	char lab[ATP_SHAPE_PATTERN_MAX + 1];
	char b[8];

	fx->enum_numeric = 1;
	for (;;) {
		size_t vstart = c->i, n = 0;
		const char *val, *label = "";
		while (IS_NAME((uint8_t)c->p[c->i]))
			c->i++;
		if (c->i == vstart)
			return atp_diag_at(c->d, ATP_ERR_SYNTAX, NULL, 1, (unsigned long)vstart + 1,
			    "empty enum value (found %s)", show(c->p[c->i], b));
		if (s->nvals >= c->cap_vals)
			return cerr(c, ATP_ERR_LIMIT, vstart, "too many enum values");
		val = pool_add(c, c->p + vstart, c->i - vstart);
		if (val == NULL)
			return cerr(c, ATP_ERR_LIMIT, vstart, "pattern too complex");
		for (k = vstart; k < c->i; k++)
			if (!ATP_ISDIGIT(c->p[k]))
				fx->enum_numeric = 0;
		if (c->p[c->i] == '=') {
			c->i++;
			while (c->p[c->i] != '|' && c->p[c->i] != '>' && c->p[c->i] != '\0') {
				if (c->p[c->i] == '\\' && c->p[c->i + 1] != '\0')
					c->i++;
				lab[n++] = c->p[c->i++];
			}
			label = pool_add(c, lab, n);
			if (label == NULL)
				return cerr(c, ATP_ERR_LIMIT, vstart, "pattern too complex");
		}
		s->vals[s->nvals] = val;
		s->labels[s->nvals] = label;
		s->nvals++;
		if (c->p[c->i] == '>')
			break;
		if (c->p[c->i] != '|')
			return atp_diag_at(c->d, ATP_ERR_SYNTAX, NULL, 1, (unsigned long)c->i + 1,
			    "expected '|' or '>' in the enum, found %s", show(c->p[c->i], b));
		c->i++;
	}
	f->nvalues = s->nvals - first;
	f->values = s->vals + first;
	f->labels = s->labels + first;
	if (fx->enum_numeric) {
		for (k = first; k < s->nvals; k++) {
			uint64_t v;
			if (atp_span_dec(atp_span_str(s->vals[k]), &v, (uint64_t)INT64_MAX) < 0)
				return cerr(c, ATP_ERR_SYNTAX, c->i, "enum value out of range");
			s->nums[k] = (int64_t)v;
		}
		fx->nums = s->nums + first;
	}
	for (k = first; k < s->nvals; k++)
		for (j = first; j < k; j++) {
			int same = fx->enum_numeric ? s->nums[j] == s->nums[k] :
			    atp_span_eq_ci(atp_span_str(s->vals[j]), s->vals[k]);
			if (same)
				return atp_diag_at(c->d, ATP_ERR_SYNTAX, NULL, 1, (unsigned long)c->i + 1,
				    "duplicate enum value '%s'", s->vals[k]);
		}
	return ATP_OK;
}

/* `<name:Type[ constraint]>` at c->i (the '<'); leaves c->i after the '>'. */
static int
parse_field(struct comp *c)
{
	struct atp_shape *s = c->s;
	size_t open = c->i, nstart, tstart, k;
	struct atp_field *f;
	struct fieldx *fx;
	const char *p = c->p;
	char b[8];
	int rc = ATP_OK;

	if (s->nfields >= c->cap_fields)
		return cerr(c, ATP_ERR_LIMIT, open, "too many fields");
	f = &s->fields[s->nfields];
	fx = &s->fx[s->nfields];
	memset(f, 0, sizeof(*f));
	memset(fx, 0, sizeof(*fx));
	if (strchr(p + open, '>') == NULL)
		return cerr(c, ATP_ERR_SYNTAX, open, "unclosed '<'");

	c->i = nstart = open + 1;
	while (IS_NAME((uint8_t)p[c->i]))
		c->i++;
	if (c->i == nstart)
		return cerr(c, ATP_ERR_SYNTAX, c->i, "field name missing");
	if (p[c->i] != ':')
		return atp_diag_at(c->d, ATP_ERR_SYNTAX, NULL, 1, (unsigned long)c->i + 1,
		    "expected ':' after the field name, found %s", show(p[c->i], b));
	f->name = pool_add(c, p + nstart, c->i - nstart);
	if (f->name == NULL)
		return cerr(c, ATP_ERR_LIMIT, nstart, "pattern too complex");

	c->i = tstart = c->i + 1;
	while (ATP_ISALPHA(p[c->i]))
		c->i++;
	for (k = 0; k < NTYPES; k++)
		if (strlen(type_names[k]) == c->i - tstart &&
		    memcmp(type_names[k], p + tstart, c->i - tstart) == 0)
			break;
	if (k == NTYPES) {
		if (c->i == tstart)
			return cerr(c, ATP_ERR_SYNTAX, tstart, "field type missing");
		return atp_diag_at(c->d, ATP_ERR_SYNTAX, NULL, 1, (unsigned long)tstart + 1,
		    "unknown type '%.*s'", (int)(c->i - tstart), p + tstart);
	}
	f->type = (enum atp_type)k;
	f->optional = c->depth > 0;
	f->repeated = c->rdepth > 0;
	fx->rep_slot = c->rdepth - 1;

	if (p[c->i] == ' ') {
		while (p[c->i] == ' ')
			c->i++;
		switch (f->type) {
		case ATP_T_STRING:
		case ATP_T_QSTRING:
		case ATP_T_TEXT:
		case ATP_T_DEC:
		case ATP_T_SDEC:
		case ATP_T_HEX:
		case ATP_T_HOST:
			rc = parse_range(c, f);
			break;
		case ATP_T_ENUM:
			rc = parse_enum(c, f, fx);
			break;
		case ATP_T_IP:
		case ATP_T_QIP:
		case ATP_T_MAC:
		case ATP_T_DMAC:
		default:
			if (p[c->i] == '>')
				break;
			return atp_diag_at(c->d, ATP_ERR_SYNTAX, NULL, 1, (unsigned long)c->i + 1,
			    "type %s takes no constraint", type_names[f->type]);
		}
		if (rc < 0)
			return rc;
	} else if (p[c->i] != '>') {
		return atp_diag_at(c->d, ATP_ERR_SYNTAX, NULL, 1, (unsigned long)c->i + 1,
		    "expected ' ' or '>' after the type, found %s", show(p[c->i], b));
	}
	if (f->type == ATP_T_ENUM && f->nvalues == 0)
		return cerr(c, ATP_ERR_SYNTAX, c->i, "empty enum: Enum needs a list of values");
	c->i++;         /* the '>' */
	rc = emit(c, OP_FIELD, (uint32_t)s->nfields, 0);
	if (rc < 0)
		return rc;
	s->nfields++;
	return ATP_OK;
}

static int
open_group(struct comp *c, char kind)
{
	struct group *g;
	int rc;

	if (c->depth >= GROUP_DEPTH_MAX)
		return cerr(c, ATP_ERR_LIMIT, c->i, "groups nested too deep");
	g = &c->g[c->depth];
	g->kind = kind;
	g->col = c->i + 1;
	if (kind == '{') {
		rc = emit(c, OP_REP_INIT, (uint32_t)c->rdepth, 0);
		if (rc == ATP_OK)
			rc = emit(c, OP_REP_LOOP, (uint32_t)c->rdepth, 0);
		c->rdepth++;
	} else {
		rc = emit(c, OP_SPLIT, 0, 0);
	}
	if (rc < 0)
		return rc;
	g->at = (uint32_t)(c->s->nprog - 1);
	c->depth++;
	c->i++;
	c->lit_open = 0;
	return ATP_OK;
}

static int
close_group(struct comp *c, char kind)
{
	char open = kind == ']' ? '[' : '{';
	struct group *g;
	int rc;

	if (c->depth == 0)
		return atp_diag_at(c->d, ATP_ERR_SYNTAX, NULL, 1, (unsigned long)c->i + 1,
		    "unexpected '%c': no group is open (write \\%c for the character)",
		    kind, kind);
	g = &c->g[c->depth - 1];
	if (g->kind != open)
		return atp_diag_at(c->d, ATP_ERR_SYNTAX, NULL, 1, (unsigned long)c->i + 1,
		    "unexpected '%c': the '%c' at column %zu is not closed", kind, g->kind, g->col);
	if (kind == '}') {
		c->rdepth--;
		rc = emit(c, OP_REP_NEXT, (uint32_t)c->rdepth, g->at);
		if (rc < 0)
			return rc;
		c->s->prog[g->at].b = (uint32_t)c->s->nprog;
	} else {
		c->s->prog[g->at].a = (uint32_t)c->s->nprog;
	}
	c->depth--;
	c->i++;
	c->lit_open = 0;
	return ATP_OK;
}

static int
compile(struct comp *c)
{
	int rc;

	while (c->i < c->len) {
		char ch = c->p[c->i];
		switch (ch) {
		case '\\':
			if (c->i + 1 >= c->len)
				return cerr(c, ATP_ERR_SYNTAX, c->i, "dangling '\\' at the end");
			c->i++;
			rc = emit_lit(c, c->p[c->i]);
			c->i++;
			break;
		case '<':
			rc = parse_field(c);
			break;
		case '[':
		case '{':
			rc = open_group(c, ch);
			break;
		case ']':
		case '}':
			rc = close_group(c, ch);
			break;
		default:
			rc = emit_lit(c, ch);
			c->i++;
			break;
		}
		if (rc < 0)
			return rc;
	}
	if (c->depth > 0) {
		struct group *g = &c->g[c->depth - 1];
		return atp_diag_at(c->d, ATP_ERR_SYNTAX, NULL, 1, (unsigned long)g->col,
		    "unclosed '%c'", g->kind);
	}
	return emit(c, OP_END, 0, 0);
}

int
atp_shape_compile(const char *pattern, struct atp_shape **out, struct atp_diag *d)
{
	struct atp_shape *s;
	struct comp c;
	size_t len, i, nlt = 0, npipe = 0, ncurly = 0;
	int rc;

	if (out == NULL)
		return atp_diag_set(d, ATP_ERR_ARG, "no output shape");
	*out = NULL;
	if (pattern == NULL)
		return atp_diag_set(d, ATP_ERR_ARG, "no pattern");
	len = strnlen(pattern, ATP_SHAPE_PATTERN_MAX + 1);
	if (len > ATP_SHAPE_PATTERN_MAX)
		return atp_diag_at(d, ATP_ERR_LIMIT, NULL, 1, ATP_SHAPE_PATTERN_MAX + 1,
		    "pattern longer than %d bytes", ATP_SHAPE_PATTERN_MAX);

	/* Upper bounds of what the pattern can produce, so compiling never
	 * reallocates: a byte gives at most one instruction ('{' two). */
	for (i = 0; i < len; i++) {
		nlt += (size_t)(pattern[i] == '<');
		npipe += (size_t)(pattern[i] == '|');
		ncurly += (size_t)(pattern[i] == '{');
	}
	memset(&c, 0, sizeof(c));
	c.p = pattern;
	c.len = len;
	c.d = d;
	c.cap_prog = len + ncurly + 1;
	c.cap_fields = nlt;
	c.cap_vals = npipe + nlt;
	c.cap_pool = 2 * len + 2;

	s = atp_calloc(1, sizeof(*s));
	if (s == NULL)
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory compiling a pattern");
	c.s = s;
	s->pattern = atp_memdup0(pattern, len);
	s->prog = atp_calloc(c.cap_prog, sizeof(*s->prog));
	s->pool = atp_malloc(c.cap_pool);
	if (nlt > 0) {
		s->fields = atp_calloc(nlt, sizeof(*s->fields));
		s->fx = atp_calloc(nlt, sizeof(*s->fx));
	}
	if (c.cap_vals > 0 && nlt > 0) {
		s->vals = atp_calloc(c.cap_vals, sizeof(*s->vals));
		s->labels = atp_calloc(c.cap_vals, sizeof(*s->labels));
		s->nums = atp_calloc(c.cap_vals, sizeof(*s->nums));
	}
	if (s->pattern == NULL || s->prog == NULL || s->pool == NULL ||
	    (nlt > 0 && (s->fields == NULL || s->fx == NULL || s->vals == NULL ||
	    s->labels == NULL || s->nums == NULL))) {
		atp_shape_free(s);
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory compiling a pattern");
	}
	rc = compile(&c);
	if (rc < 0) {
		atp_shape_free(s);
		return rc;
	}
	*out = s;
	return ATP_OK;
}

void
atp_shape_free(struct atp_shape *s)
{
	if (s == NULL)
		return;
	atp_free(s->pattern);
	atp_free(s->prog);
	atp_free(s->fields);
	atp_free(s->fx);
	atp_free(s->pool);
	atp_free(s->vals);
	atp_free(s->labels);
	atp_free(s->nums);
	atp_free(s);
}

const char *
atp_shape_pattern(const struct atp_shape *s)
{
	return s != NULL ? s->pattern : NULL;
}

size_t
atp_shape_nfields(const struct atp_shape *s)
{
	return s != NULL ? s->nfields : 0;
}

const struct atp_field *
atp_shape_field(const struct atp_shape *s, size_t i)
{
	if (s == NULL || i >= s->nfields)
		return NULL;
	return &s->fields[i];
}

long
atp_shape_find(const struct atp_shape *s, const char *name)
{
	size_t i;

	if (s == NULL || name == NULL)
		return -1;
	for (i = 0; i < s->nfields; i++)
		if (strcmp(s->fields[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Matcher                                                             */

enum bt_kind {
	BT_ALT,                 /* resume at pc, pos a, ncap b */
	BT_UNDO,                /* restore slot pc to count a, start b */
	BT_RETRY,               /* bare field at insn pc, started at a: try ends <= b; ncap c */
};

struct bt {
	enum bt_kind kind;
	uint32_t pc;
	size_t a, b, c;
};

struct mstate {
	const struct atp_shape *s;
	const uint8_t *t;
	size_t n;
	struct atp_match *m;
	size_t ncap;
	unsigned long steps;
	int out_of_steps;
	size_t fail_at;
	unsigned cnt[GROUP_DEPTH_MAX];
	size_t start[GROUP_DEPTH_MAX];
	struct bt *stk;
	size_t nstk, capstk;
	struct bt *heap;
};

static void
charge(struct mstate *ms, size_t bytes)
{
	ms->steps += (unsigned long)(bytes / SCAN_PER_STEP) + 1;
	if (ms->steps > ATP_MATCH_STEPS_MAX)
		ms->out_of_steps = 1;
}

static void
reached(struct mstate *ms, size_t pos)
{
	if (pos > ms->fail_at)
		ms->fail_at = pos;
}

/* Pushes a choice point; 0 when the stack cannot grow (then: too complex).
 * The first STACK_LOCAL entries live on the caller's stack, so ordinary
 * matches never allocate. */
static int
push(struct mstate *ms, enum bt_kind kind, uint32_t pc, size_t a, size_t b, size_t c)
{
	struct bt *e;

	if (ms->nstk == ms->capstk) {
		size_t ncap = ms->capstk * 2;
		struct bt *h;
		if (ncap > 2 * (size_t)ATP_MATCH_STEPS_MAX + STACK_LOCAL)
			return 0;
		h = atp_realloc(ms->heap, ncap * sizeof(*h));
		if (h == NULL)
			return 0;
		if (ms->heap == NULL)
			memcpy(h, ms->stk, ms->nstk * sizeof(*h));
		ms->heap = h;
		ms->stk = h;
		ms->capstk = ncap;
	}
	e = &ms->stk[ms->nstk++];
	e->kind = kind;
	e->pc = pc;
	e->a = a;
	e->b = b;
	e->c = c;
	return 1;
}

static int
set_slot(struct mstate *ms, uint32_t slot, unsigned cnt, size_t start)
{
	if (!push(ms, BT_UNDO, slot, ms->cnt[slot], ms->start[slot], 0))
		return 0;
	ms->cnt[slot] = cnt;
	ms->start[slot] = start;
	return 1;
}

static int
hexval(uint8_t ch)
{
	if (ATP_ISDIGIT(ch))
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * The longest run of digits (base 10 or 16) at @s: 1..@maxd of them, worth
 * at most @lim. 0 if the run is empty, longer than @maxd or overflows.
 */
static int
digits(const uint8_t *t, size_t n, size_t s, unsigned base, size_t maxd,
    uint64_t lim, uint64_t *out, size_t *end)
{
	uint64_t v = 0;
	size_t i;

	for (i = s; i < n; i++) {
		int dv = base == 16 ? hexval(t[i]) : (ATP_ISDIGIT(t[i]) ? t[i] - '0' : -1);
		if (dv < 0)
			break;
		if (i - s >= maxd)
			return 0;
		if (v > (lim - (uint64_t)dv) / base)
			return 0;
		v = v * base + (uint64_t)dv;
	}
	if (i == s)
		return 0;
	*out = v;
	*end = i;
	return 1;
}

/* A dotted quad at @s. Octets are 1..3 digits; one above 255 is a value
 * out of range, decided later (in_range), not a wrong shape. */
static int
ipv4_at(const uint8_t *t, size_t n, size_t s, size_t *end)
{
	uint64_t v;
	int k;

	for (k = 0; k < 4; k++) {
		if (k > 0) {
			if (s >= n || t[s] != '.')
				return 0;
			s++;
		}
		if (!digits(t, n, s, 10, 3, 999, &v, &s))
			return 0;
	}
	*end = s;
	return 1;
}

/* A quoted string at @s (t[s] is '"'): ends at the first '"' not escaped by
 * a backslash (w600-firmware.md §3). */
static int
quoted_at(struct mstate *ms, size_t s, size_t *end)
{
	const uint8_t *t = ms->t;
	size_t i = s + 1;

	while (i < ms->n && t[i] != '"')
		i += t[i] == '\\' ? 2 : 1;
	charge(ms, i - s);
	if (i >= ms->n)
		return 0;
	*end = i + 1;
	return 1;
}

#define IS_HOST(ch) (ATP_ISALNUM(ch) || (ch) == '.' || (ch) == '_' || (ch) == '-')

static size_t
run(const uint8_t *t, size_t n, size_t s, int host)
{
	size_t i = s;

	if (host)
		while (i < n && IS_HOST(t[i]))
			i++;
	else
		while (i < n && IS_NAME(t[i]))
			i++;
	return i;
}

/* Whether a bare String may end at @e: not between a backslash and the byte
 * it escapes, i.e. the backslashes just before @e (from @s) are even. The
 * firmware's argument splitter keeps `\,` inside one argument
 * (w600-firmware.md §3), so `x\,5` is one String, not "x\" and 5. */
static int
escape_ok(struct mstate *ms, size_t s, size_t e)
{
	size_t k = e;

	while (k > s && ms->t[k - 1] == '\\')
		k--;
	if (k != e)
		charge(ms, e - k);
	return (e - k) % 2 == 0;
}

/*
 * The longest end <= @from, at or after @s, of a bare String or Text that
 * the next instruction could accept: where the next literal's first byte
 * stands, or only the end of the text before END. NONE if there is none.
 */
static size_t
bare_end(struct mstate *ms, uint32_t pc, enum atp_type type, size_t s, size_t from)
{
	const struct insn *next = &ms->s->prog[pc + 1];
	const uint8_t *t = ms->t;
	size_t e = from;
	int want = -1;

	if (from == NONE || from < s)
		return NONE;
	/* At the end of the text a trailing backslash escapes nothing and is
	 * kept (atp_unescape() does the same). */
	if (next->op == OP_END)
		return from == ms->n ? from : NONE;
	if (next->op == OP_LIT)
		want = (uint8_t)ms->s->pool[next->a];
	for (;;) {
		if (want < 0 || (e < ms->n && t[e] == want)) {
			if (type != ATP_T_STRING || escape_ok(ms, s, e)) {
				charge(ms, from - e);
				return e;
			}
			if (ms->out_of_steps)
				return NONE;
		}
		if (e == s)
			break;
		e--;
	}
	charge(ms, from - s);
	return NONE;
}

/* Where a capture goes: its slot in m->cap, or a scratch entry once the
 * array is full (the match goes on and m->truncated is set). */
static struct atp_capture *
cap_slot(struct mstate *ms, struct atp_capture *scratch)
{
	return ms->ncap < ATP_MATCH_CAP_MAX ? &ms->m->cap[ms->ncap] : scratch;
}

static void
cap_fill(struct mstate *ms, struct atp_capture *c, size_t fi, size_t s, size_t e,
    size_t vs, size_t ve)
{
	const struct fieldx *fx = &ms->s->fx[fi];

	c->field = &ms->s->fields[fi];
	c->raw = atp_span_make(ms->t + s, e - s);
	c->value = atp_span_make(ms->t + vs, ve - vs);
	c->quoted = vs != s;
	c->rep = fx->rep_slot >= 0 ? ms->cnt[fx->rep_slot] : 0;
	c->in_range = 1;
}

/*
 * The structure of field @fi at @s for every type but bare String and
 * Text. Returns 1 with the capture filled and *end set, 0 for no match.
 */
static int
field_at(struct mstate *ms, size_t fi, size_t s, struct atp_capture *c, size_t *end)
{
	const struct atp_field *f = &ms->s->fields[fi];
	const struct fieldx *fx = &ms->s->fx[fi];
	const uint8_t *t = ms->t;
	size_t n = ms->n, e = s, k;
	uint64_t v;
	int neg = 0;

	c->has_num = 0;
	c->num = 0;
	switch (f->type) {
	case ATP_T_STRING:
	case ATP_T_QSTRING:
		if (s >= n || t[s] != '"' || !quoted_at(ms, s, &e))
			return 0;
		cap_fill(ms, c, fi, s, e, s + 1, e - 1);
		break;
	case ATP_T_TEXT:
		return 0;
	case ATP_T_SDEC:
		neg = s < n && t[s] == '-';
		if (!digits(t, n, s + (size_t)neg, 10, 20,
		    neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX, &v, &e))
			return 0;
		cap_fill(ms, c, fi, s, e, s, e);
		c->has_num = 1;
		if (neg)
			c->num = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
		else
			c->num = (int64_t)v;
		break;
	case ATP_T_DEC:
	case ATP_T_HEX:
		if (!digits(t, n, s, f->type == ATP_T_HEX ? 16 : 10,
		    f->type == ATP_T_HEX ? 16 : 20, (uint64_t)INT64_MAX, &v, &e))
			return 0;
		cap_fill(ms, c, fi, s, e, s, e);
		c->has_num = 1;
		c->num = (int64_t)v;
		break;
	case ATP_T_ENUM:
		/* Numeric lists are Dec-shaped, word lists word-shaped: a value
		 * outside the list is then "out of range", not "wrong shape". */
		if (fx->enum_numeric) {
			if (!digits(t, n, s, 10, 20, (uint64_t)INT64_MAX, &v, &e))
				return 0;
			cap_fill(ms, c, fi, s, e, s, e);
			c->has_num = 1;
			c->num = (int64_t)v;
			break;
		}
		e = run(t, n, s, 0);
		charge(ms, e - s);
		if (e == s)
			return 0;
		cap_fill(ms, c, fi, s, e, s, e);
		break;
	case ATP_T_IP:
		if (!ipv4_at(t, n, s, &e))
			return 0;
		cap_fill(ms, c, fi, s, e, s, e);
		break;
	case ATP_T_QIP:
		if (s >= n || t[s] != '"' || !ipv4_at(t, n, s + 1, &e) || e >= n || t[e] != '"')
			return 0;
		e++;
		cap_fill(ms, c, fi, s, e, s + 1, e - 1);
		break;
	case ATP_T_MAC:
		if (n - s < 12)
			return 0;
		for (k = 0; k < 12; k++)
			if (hexval(t[s + k]) < 0)
				return 0;
		e = s + 12;
		cap_fill(ms, c, fi, s, e, s, e);
		break;
	case ATP_T_DMAC:
		/* XX-XX-XX-XX-XX-XX, as SLIST prints station MACs (§2.2.2.32). */
		if (n - s < 17)
			return 0;
		for (k = 0; k < 17; k++)
			if (k % 3 == 2 ? t[s + k] != '-' : hexval(t[s + k]) < 0)
				return 0;
		e = s + 17;
		cap_fill(ms, c, fi, s, e, s, e);
		break;
	case ATP_T_HOST:
		if (s < n && t[s] == '"') {
			e = run(t, n, s + 1, 1);
			if (e >= n || t[e] != '"')
				return 0;
			e++;
			cap_fill(ms, c, fi, s, e, s + 1, e - 1);
		} else {
			e = run(t, n, s, 1);
			if (e == s)
				return 0;
			cap_fill(ms, c, fi, s, e, s, e);
		}
		charge(ms, e - s);
		break;
	default:
		return 0;
	}
	*end = e;
	return 1;
}

/* Length of a String value once its backslash escapes are removed. */
static size_t
unescaped_len(struct atp_span v)
{
	size_t i, n = 0;

	for (i = 0; i < v.len; i++, n++)
		if (v.p[i] == '\\' && i + 1 < v.len)
			i++;
	return n;
}

static int
len_ok(const struct atp_field *f, size_t len)
{
	if (f->has_min && f->min > 0 && len < (uint64_t)f->min)
		return 0;
	if (f->has_max && (f->max < 0 || len > (uint64_t)f->max))
		return 0;
	return 1;
}

/* The constraint stage (shape.h): values of a structurally right match. */
static int
in_range(const struct atp_shape *s, const struct atp_capture *c)
{
	const struct atp_field *f = c->field;
	const struct fieldx *fx = &s->fx[f - s->fields];
	struct atp_cur cur;
	uint64_t v;
	size_t k;

	switch (f->type) {
	case ATP_T_STRING:
	case ATP_T_QSTRING:
		return len_ok(f, unescaped_len(c->value));
	case ATP_T_TEXT:
	case ATP_T_HOST:
		return len_ok(f, c->value.len);
	case ATP_T_DEC:
	case ATP_T_SDEC:
	case ATP_T_HEX:
		return !(f->has_min && c->num < f->min) && !(f->has_max && c->num > f->max);
	case ATP_T_IP:
	case ATP_T_QIP:
		cur = atp_cur_make(c->value.p, c->value.len);
		for (k = 0; k < 4; k++)
			if ((k > 0 && atp_cur_lit(&cur, ".") < 0) ||
			    atp_cur_dec(&cur, &v, 255) < 0)
				return 0;
		return 1;
	case ATP_T_ENUM:
		for (k = 0; k < f->nvalues; k++) {
			if (fx->enum_numeric ? c->num == fx->nums[k] :
			    atp_span_eq_ci(c->value, f->values[k]))
				return 1;
		}
		return 0;
	case ATP_T_MAC:
	case ATP_T_DMAC:
	default:
		return 1;
	}
}

/* Takes a bare String or Text ending at @e: capture, retry point, go on. */
static int
take_bare(struct mstate *ms, uint32_t pc, size_t s, size_t e, size_t ncap,
    struct atp_capture *scratch)
{
	const struct insn *in = &ms->s->prog[pc];

	if (e > s && !push(ms, BT_RETRY, pc, s, e - 1, ncap))
		return 0;
	cap_fill(ms, cap_slot(ms, scratch), in->a, s, e, s, e);
	cap_slot(ms, scratch)->has_num = 0;
	cap_slot(ms, scratch)->num = 0;
	ms->ncap++;
	return 1;
}

int
atp_shape_match(const struct atp_shape *s, struct atp_span text, struct atp_match *m)
{
	struct bt local[STACK_LOCAL];
	struct atp_capture scratch;
	struct mstate ms;
	uint32_t pc = 0;
	size_t pos = 0, k;
	int ok = 0;

	if (s == NULL || m == NULL || (text.p == NULL && text.len > 0))
		return ATP_ERR_ARG;
	m->matched = 0;
	m->truncated = 0;
	m->too_complex = 0;
	m->ncap = 0;
	m->nbad = 0;
	m->fail_at = 0;

	memset(&ms, 0, sizeof(ms));
	ms.s = s;
	ms.t = text.p;
	ms.n = text.len;
	ms.m = m;
	ms.stk = local;
	ms.capstk = STACK_LOCAL;

	for (;;) {
		const struct insn *in = &s->prog[pc];
		const struct atp_field *f;
		size_t e;

		if (ms.out_of_steps || ++ms.steps > ATP_MATCH_STEPS_MAX) {
			ms.out_of_steps = 1;
			break;
		}
		reached(&ms, pos);
		switch (in->op) {
		case OP_LIT:
			if (ms.n - pos >= in->b && memcmp(ms.t + pos, s->pool + in->a, in->b) == 0) {
				pos += in->b;
				pc++;
				continue;
			}
			for (k = 0; pos + k < ms.n && k < in->b &&
			    ms.t[pos + k] == (uint8_t)s->pool[in->a + k]; k++)
				;
			reached(&ms, pos + k);
			goto fail;
		case OP_FIELD:
			f = &s->fields[in->a];
			if ((f->type == ATP_T_STRING && (pos >= ms.n || ms.t[pos] != '"')) ||
			    f->type == ATP_T_TEXT) {
				e = bare_end(&ms, pc, f->type, pos, ms.n);
				if (e == NONE)
					goto fail;
				if (!take_bare(&ms, pc, pos, e, ms.ncap, &scratch))
					goto exhausted;
			} else {
				if (!field_at(&ms, in->a, pos, cap_slot(&ms, &scratch), &e))
					goto fail;
				ms.ncap++;
			}
			pos = e;
			pc++;
			continue;
		case OP_SPLIT:
			if (!push(&ms, BT_ALT, in->a, pos, ms.ncap, 0))
				goto exhausted;
			pc++;
			continue;
		case OP_REP_INIT:
			if (!set_slot(&ms, in->a, 0, NONE))
				goto exhausted;
			pc++;
			continue;
		case OP_REP_LOOP:
			/* An iteration that consumed nothing would repeat forever. */
			if (ms.cnt[in->a] > 0 && ms.start[in->a] == pos) {
				pc = in->b;
				continue;
			}
			if (!push(&ms, BT_ALT, in->b, pos, ms.ncap, 0) ||
			    !set_slot(&ms, in->a, ms.cnt[in->a], pos))
				goto exhausted;
			pc++;
			continue;
		case OP_REP_NEXT:
			if (!set_slot(&ms, in->a, ms.cnt[in->a] + 1, ms.start[in->a]))
				goto exhausted;
			pc = in->b;
			continue;
		case OP_END:
			if (pos == ms.n) {
				ok = 1;
				break;
			}
			goto fail;
		default:
			goto fail;
		}
		break;
fail:
		/* Backtrack to the latest choice point, undoing slot changes. */
		for (;;) {
			struct bt *b;
			if (ms.nstk == 0 || ms.out_of_steps)
				goto done;
			if (++ms.steps > ATP_MATCH_STEPS_MAX) {
				ms.out_of_steps = 1;
				goto done;
			}
			b = &ms.stk[--ms.nstk];
			if (b->kind == BT_UNDO) {
				ms.cnt[b->pc] = (unsigned)b->a;
				ms.start[b->pc] = b->b;
				continue;
			}
			if (b->kind == BT_ALT) {
				pc = b->pc;
				pos = b->a;
				ms.ncap = b->b;
				break;
			}
			/* BT_RETRY: the same bare field, ending earlier. */
			{
				size_t fs = b->a, from = b->b, nc = b->c;
				uint32_t fpc = b->pc;
				f = &s->fields[s->prog[fpc].a];
				e = bare_end(&ms, fpc, f->type, fs, from);
				if (e == NONE)
					continue;
				ms.ncap = nc;
				if (!take_bare(&ms, fpc, fs, e, nc, &scratch))
					goto exhausted;
				pc = fpc + 1;
				pos = e;
				break;
			}
		}
		continue;
exhausted:
		ms.out_of_steps = 1;
		break;
	}
done:
	if (ms.heap != NULL)
		atp_free(ms.heap);
	m->fail_at = ms.fail_at;
	if (ms.out_of_steps) {
		m->too_complex = 1;
		return ATP_OK;
	}
	if (!ok)
		return ATP_OK;
	m->matched = 1;
	m->fail_at = 0;
	m->truncated = ms.ncap > ATP_MATCH_CAP_MAX;
	m->ncap = ms.ncap > ATP_MATCH_CAP_MAX ? ATP_MATCH_CAP_MAX : ms.ncap;
	for (k = 0; k < m->ncap; k++) {
		m->cap[k].in_range = in_range(s, &m->cap[k]);
		if (!m->cap[k].in_range)
			m->nbad++;
	}
	return ATP_OK;
}

const struct atp_capture *
atp_match_get(const struct atp_match *m, const char *name)
{
	size_t i;

	if (m == NULL || name == NULL || !m->matched)
		return NULL;
	for (i = 0; i < m->ncap && i < ATP_MATCH_CAP_MAX; i++)
		if (strcmp(m->cap[i].field->name, name) == 0)
			return &m->cap[i];
	return NULL;
}

long
atp_unescape(struct atp_span value, char *buf, size_t size)
{
	size_t i, n = 0;

	if (buf == NULL)
		return ATP_ERR_ARG;
	if (size == 0)
		return ATP_ERR_LIMIT;
	for (i = 0; i < value.len; i++) {
		uint8_t ch = value.p[i];
		/* A backslash keeps the next byte literally (w600-firmware.md
		 * §3); a lone one at the very end is kept as it is. */
		if (ch == '\\' && i + 1 < value.len)
			ch = value.p[++i];
		if (n + 1 >= size) {
			buf[0] = '\0';
			return ATP_ERR_LIMIT;
		}
		buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	return (long)n;
}
