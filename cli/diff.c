/* SPDX-License-Identifier: MIT */
/* \summary: 'atproof diff': new and fixed failures, changed responses, latency shifts */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "atproof/atproof.h"
#include "cli/cli.h"
#include "cli/diff.h"

/*
 * The firmware release check: two JSON reports of the same scenarios (or
 * of the analyzer over two logs) are compared by meaning, not by bytes.
 * Cases pair by id, steps by (phase, name, occurrence), findings by (rule,
 * command, verdict, message). A response is compared after its volatile
 * values are replaced by placeholders: the protocol model's reply and
 * report shapes say which field is a MAC, an IP, an RSSI or a socket
 * number, so only those are masked and a changed error code or a field
 * that appeared or vanished still shows.
 */

#define NORM_MAX 8192          /* bytes of one normalised response or message */
#define REPORTS_MAX 256        /* names of the reports seen in one step */
#define LAT_CMDS_MAX 512       /* commands with latency figures per run */
#define LAT_SAMPLES_MAX 100000 /* samples kept per command */

/* ---- the normaliser --------------------------------------------------- */

struct nbuf {
	char *p;
	size_t size, len;
	int full;
};

static void
nb_put(struct nbuf *b, const void *s, size_t n)
{
	if (b->size == 0)
		return;
	if (n > b->size - 1 - b->len) {
		n = b->size - 1 - b->len;
		b->full = 1;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
nb_str(struct nbuf *b, const char *s)
{
	nb_put(b, s, strlen(s));
}

/* The inverse of atp_span_escape(): \\ \r \n \t \xHH; anything else as is. */
static size_t
unescape_text(const char *s, uint8_t *out, size_t size)
{
	size_t n = 0;

	while (*s != '\0' && n < size) {
		uint8_t c = (uint8_t)*s++;
		if (c == '\\' && *s != '\0') {
			uint8_t e = (uint8_t)*s++;
			uint64_t v;
			switch (e) {
			case 'r': c = '\r'; break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'x':
				if (ATP_ISXDIGIT(s[0]) && ATP_ISXDIGIT(s[1]) &&
				    atp_span_hex(atp_span_make(s, 2), &v, 0xff) == ATP_OK) {
					c = (uint8_t)v;
					s += 2;
				} else {
					c = 'x';
				}
				break;
			default: c = e; break;
			}
		}
		out[n++] = c;
	}
	return n;
}

/* The placeholder of a volatile field, or NULL for a stable one. In a
 * report, @in_report, the port is the peer's, often an ephemeral one. */
static const char *
volatile_tag(const struct atp_field *f, int in_report)
{
	switch (f->type) {
	case ATP_T_MAC:
	case ATP_T_DMAC:
		return "<mac>";
	case ATP_T_IP:
	case ATP_T_QIP:
		return "<ip>";
	case ATP_T_STRING:
	case ATP_T_QSTRING:
	case ATP_T_TEXT:
	case ATP_T_DEC:
	case ATP_T_SDEC:
	case ATP_T_HEX:
	case ATP_T_HOST:
	case ATP_T_ENUM:
		break;
	}
	if (f->name == NULL)
		return NULL;
	/* The signal strength changes from scan to scan (§2.2.3.6); the
	 * firmware hands out socket numbers and local ports (§2.2.3.10). */
	if (strcmp(f->name, "rssi") == 0)
		return "<rssi>";
	/* Two releases differ in their version string by definition. */
	if (strcmp(f->name, "firm") == 0)
		return "<version>";
	if (strcmp(f->name, "socket") == 0)
		return "<socket>";
	if (strcmp(f->name, "local_port") == 0 || (in_report && strcmp(f->name, "port") == 0))
		return "<port>";
	return NULL;
}

static int
is_word(uint8_t c)
{
	return ATP_ISALNUM(c) || c == '_';
}

/* Length of a dotted quad at @p (each octet 0..255), or 0. */
static size_t
scan_ip(const uint8_t *p, size_t n)
{
	size_t i = 0, part;

	for (part = 0; part < 4; part++) {
		size_t d = 0;
		unsigned v = 0;
		if (part > 0) {
			if (i >= n || p[i] != '.')
				return 0;
			i++;
		}
		while (i < n && d < 3 && ATP_ISDIGIT(p[i])) {
			v = v * 10 + (unsigned)(p[i] - '0');
			i++;
			d++;
		}
		if (d == 0 || v > 255)
			return 0;
	}
	if (i < n && (ATP_ISDIGIT(p[i]) || (p[i] == '.' && i + 1 < n && ATP_ISDIGIT(p[i + 1]))))
		return 0;
	return i;
}

/* Length of a MAC at @p: 12 hex digits, or 6 pairs joined by '-' or ':'. */
static size_t
scan_mac(const uint8_t *p, size_t n)
{
	size_t i;

	if (n >= 17 && (p[2] == '-' || p[2] == ':')) {
		for (i = 0; i < 17; i++) {
			if (i % 3 == 2 ? p[i] != p[2] : !ATP_ISXDIGIT(p[i]))
				break;
		}
		if (i == 17 && (n == 17 || !is_word(p[17])))
			return 17;
	}
	for (i = 0; i < n && i < 13 && ATP_ISXDIGIT(p[i]); i++)
		;
	if (i == 12 && (n == 12 || !is_word(p[12])))
		return 12;
	return 0;
}

/* Length of a duration at @p ("612 us", "1.5 s", "30ms"), or 0. */
static size_t
scan_duration(const uint8_t *p, size_t n)
{
	static const char *const units[] = { "us", "ms", "s" };
	size_t i = 0, k;

	while (i < n && ATP_ISDIGIT(p[i]))
		i++;
	if (i == 0)
		return 0;
	if (i + 1 < n && p[i] == '.' && ATP_ISDIGIT(p[i + 1]))
		for (i++; i < n && ATP_ISDIGIT(p[i]); i++)
			;
	if (i < n && p[i] == ' ')
		i++;
	for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
		size_t ul = strlen(units[k]);
		if (n - i >= ul && memcmp(p + i, units[k], ul) == 0 &&
		    (n - i == ul || !is_word(p[i + ul])))
			return i + ul;
	}
	return 0;
}

#define NORM_DURATIONS 0x1u

/*
 * The shape-free normaliser, for text no shape matched (a broken response,
 * a finding's message): dotted quads, MACs in either notation and, with
 * NORM_DURATIONS, measured times become placeholders.
 */
static void
norm_generic(struct atp_span s, unsigned flags, struct nbuf *out)
{
	size_t i = 0, k;

	while (i < s.len) {
		const uint8_t *p = s.p + i;
		size_t n = s.len - i;
		int start = i == 0 || !is_word(s.p[i - 1]);
		if (start && i > 0 && s.p[i - 1] == '.')
			start = 0;
		if (start && (k = scan_ip(p, n)) > 0) {
			nb_str(out, "<ip>");
			/* A port after an address is the peer's, often ephemeral. */
			if (k + 1 < n && p[k] == ':' && ATP_ISDIGIT(p[k + 1])) {
				for (k++; k < n && ATP_ISDIGIT(p[k]); k++)
					;
				nb_str(out, ":<port>");
			}
		} else if (start && (k = scan_mac(p, n)) > 0) {
			nb_str(out, "<mac>");
		} else if (start && (flags & NORM_DURATIONS) != 0 && (k = scan_duration(p, n)) > 0) {
			nb_str(out, "<time>");
		} else {
			/* Copy a whole word, so a MAC is never found inside one. */
			k = 1;
			if (is_word(p[0]))
				while (k < n && is_word(p[k]))
					k++;
			nb_put(out, p, k);
		}
		i += k;
	}
}

/* Writes @line with its volatile captures of @m replaced. */
static void
emit_masked(struct atp_span line, const struct atp_match *m, int in_report, struct nbuf *out)
{
	const uint8_t *pos = line.p, *end = line.p + line.len;
	size_t i;

	for (i = 0; i < m->ncap; i++) {
		const struct atp_capture *c = &m->cap[i];
		const char *tag = volatile_tag(c->field, in_report);
		/* A host given as an address is an address. */
		if (tag == NULL && c->field->type == ATP_T_HOST && c->value.len > 0 &&
		    scan_ip(c->value.p, c->value.len) == c->value.len)
			tag = "<ip>";
		if (tag == NULL || c->value.p < pos || c->value.p + c->value.len > end)
			continue;
		nb_put(out, pos, (size_t)(c->value.p - pos));
		nb_str(out, tag);
		pos = c->value.p + c->value.len;
	}
	nb_put(out, pos, (size_t)(end - pos));
}

/* Matches @line against @sh and writes it masked; 0 if it does not match. */
static int
try_shape(const struct atp_shape *sh, struct atp_span line, int in_report, struct nbuf *out)
{
	struct atp_match *m;
	int ok;

	if (sh == NULL)
		return 0;
	m = atp_malloc(sizeof(*m));
	if (m == NULL)
		return 0;
	ok = atp_shape_match(sh, line, m) == ATP_OK && m->matched && !m->truncated;
	if (ok)
		emit_masked(line, m, in_report, out);
	atp_free(m);
	return ok;
}

/* Whether the space-separated set @set holds @name. */
static int
set_has(const char *set, const char *name)
{
	size_t nl = strlen(name);
	const char *p = set;

	while (nl > 0 && (p = strstr(p, name)) != NULL) {
		if ((p == set || p[-1] == ' ') && (p[nl] == ' ' || p[nl] == '\0'))
			return 1;
		p += nl;
	}
	return 0;
}

/* Adds @name to the space-separated set @set (of @size bytes). */
static void
set_add(char *set, size_t size, const char *name)
{
	size_t nl = strlen(name), sl = strlen(set);

	if (set_has(set, name) || sl + nl + 2 > size)
		return;
	snprintf(set + sl, size - sl, "%s%s", sl > 0 ? " " : "", name);
}

/*
 * One line of a response of @cmd (NULL: unknown command): an error, an
 * asynchronous report (its name goes to @reports), the reply of one of the
 * command's forms or a list entry, else the generic normaliser.
 */
static void
norm_line(const struct atp_cmd *cmd, struct atp_span line, struct nbuf *out,
    char *reports, size_t rsize)
{
	static const enum atp_form forms[] = {
		ATP_FORM_SET, ATP_FORM_QUERY, ATP_FORM_BARE,
	};
	const struct atp_report *rep;
	size_t i;

	if (line.len >= 5 && memcmp(line.p, "+ERR=", 5) == 0) {
		nb_put(out, line.p, line.len);
		return;
	}
	rep = atp_report_match(line);
	if (rep != NULL) {
		if (reports != NULL)
			set_add(reports, rsize, rep->name);
		if (try_shape(atp_report_shape(rep), line, 1, out))
			return;
	} else if (cmd != NULL) {
		for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
			if (try_shape(atp_cmd_reply_shape(cmd, forms[i]), line, 0, out))
				return;
		if (try_shape(atp_cmd_entry_shape(cmd), line, 0, out))
			return;
	}
	norm_generic(line, 0, out);
}

/*
 * Length of @s without the "... (N bytes)" the harness appends to a
 * response it cut (harness/run.c, show_bytes), or strlen(@s) when it has
 * none.
 */
static size_t
cut_text_len(const char *s)
{
	static const char tail[] = " bytes)";
	size_t n = strlen(s), i;

	if (n < sizeof(tail) - 1 || strcmp(s + n - (sizeof(tail) - 1), tail) != 0)
		return n;
	i = n - (sizeof(tail) - 1);
	while (i > 0 && ATP_ISDIGIT(s[i - 1]))
		i--;
	if (i == n - (sizeof(tail) - 1) || i < 5 || memcmp(s + i - 5, "... (", 5) != 0)
		return n;
	return i - 5;
}

/*
 * Normalises the escaped response text @escaped (as the harness reports a
 * step's actual bytes) of command @cmd into @out (escaped again, NUL-
 * terminated). Report names seen go to @reports (may be NULL).
 * @return the length written.
 */
static size_t
norm_response(const struct atp_cmd *cmd, const char *escaped, char *out, size_t size,
    char *reports, size_t rsize)
{
	uint8_t *raw = atp_malloc(NORM_MAX);
	char *mid = atp_malloc(NORM_MAX);
	struct nbuf b = { mid, NORM_MAX, 0, 0 };
	size_t n, i = 0, elen = cut_text_len(escaped);
	char *head = NULL;

	if (size > 0)
		out[0] = '\0';
	if (elen < strlen(escaped) && (head = atp_malloc(elen + 1)) != NULL) {
		memcpy(head, escaped, elen);
		head[elen] = '\0';
	}
	if (raw == NULL || mid == NULL || size == 0 || (elen < strlen(escaped) && head == NULL)) {
		atp_free(raw);
		atp_free(mid);
		atp_free(head);
		return 0;
	}
	mid[0] = '\0';
	n = unescape_text(head != NULL ? head : escaped, raw, NORM_MAX);
	/*
	 * A cut response: where the cut falls, and the total, move with the
	 * length of every volatile value before it (an RSSI of 9 or 63, an
	 * address of 7 to 15 characters), so only its whole lines compare (a
	 * single long line: its whole fields). What lies past the cut is in
	 * neither report.
	 */
	if (head != NULL) {
		size_t keep = n;
		while (keep > 0 && raw[keep - 1] != '\r' && raw[keep - 1] != '\n')
			keep--;
		/* The cut may fall between a CR and its LF. */
		while (keep > 0 && (raw[keep - 1] == '\r' || raw[keep - 1] == '\n'))
			keep--;
		if (keep == 0)
			for (keep = n; keep > 0 && raw[keep - 1] != ','; keep--)
				;
		n = keep;
	}
	while (i < n) {
		size_t j = i;
		while (j < n && raw[j] != '\r' && raw[j] != '\n')
			j++;
		if (j > i)
			norm_line(cmd, atp_span_make(raw + i, j - i), &b, reports, rsize);
		/* The terminators stay as they were: a lost CR LF is a change. */
		while (j < n && (raw[j] == '\r' || raw[j] == '\n'))
			nb_put(&b, &raw[j++], 1);
		i = j;
	}
	if (head != NULL)
		nb_str(&b, "...");
	atp_span_escape(atp_span_make(mid, b.len), out, size);
	atp_free(raw);
	atp_free(mid);
	atp_free(head);
	return strlen(out);
}

/*
 * The command of a step name ("AT+QVER", "send AT+SKCT=0,0,1.2.3.4,80\r"):
 * its name in @name ("" for the null command AT+), its form in *form and
 * the span of its arguments. 0 if the step is not a command.
 */
static int
step_command(const char *step, char *name, size_t size, enum atp_form *form,
    struct atp_span *args)
{
	struct atp_cur c = atp_cur_make(step, strlen(step));
	struct atp_span nm;
	uint8_t ch;

	(void)atp_cur_lit(&c, "send ");
	if (atp_cur_lit_ci(&c, "AT+") != ATP_OK)
		return 0;
	nm.p = c.p;
	nm.len = 0;
	while (atp_cur_peek(&c, &ch) == ATP_OK && ATP_ISALNUM(ch)) {
		(void)atp_cur_u8(&c, &ch);
		nm.len++;
	}
	if (nm.len + 1 > size)
		return 0;
	for (size_t i = 0; i < nm.len; i++)
		name[i] = (char)ATP_TOUPPER(nm.p[i]);
	name[nm.len] = '\0';
	*form = ATP_FORM_BARE;
	if (atp_cur_lit(&c, "=!") == ATP_OK)
		*form = ATP_FORM_FLASH;
	else if (atp_cur_lit(&c, "=?") == ATP_OK)
		*form = ATP_FORM_QUERY;
	else if (atp_cur_lit(&c, "=") == ATP_OK)
		*form = ATP_FORM_SET;
	/* The arguments end at the escaped terminator, if the name has one. */
	args->p = c.p;
	args->len = c.left;
	for (size_t i = 0; i + 1 < c.left; i++)
		if (c.p[i] == '\\' && (c.p[i + 1] == 'r' || c.p[i + 1] == 'n')) {
			args->len = i;
			break;
		}
	return 1;
}

/* A step's name with its volatile arguments masked, through the command's
 * argument shape where it matches, else the generic normaliser. */
static void
norm_step_name(const char *step, char *out, size_t size)
{
	char name[32];
	enum atp_form form;
	struct atp_span args;
	struct nbuf b = { out, size, 0, 0 };
	const struct atp_cmd *cmd;

	if (size == 0)
		return;
	out[0] = '\0';
	if (!step_command(step, name, sizeof(name), &form, &args)) {
		norm_generic(atp_span_str(step), 0, &b);
		return;
	}
	cmd = atp_cmd_find_str(name);
	nb_put(&b, step, (size_t)((const char *)args.p - step));
	if (cmd == NULL || args.len == 0 ||
	    !try_shape(atp_cmd_args_shape(cmd), args, 0, &b))
		norm_generic(args, 0, &b);
	nb_str(&b, (const char *)args.p + args.len);
}

/* A finding's message, with addresses and measured times masked. */
static void
norm_message(const char *msg, char *out, size_t size)
{
	struct nbuf b = { out, size, 0, 0 };

	if (size == 0)
		return;
	out[0] = '\0';
	norm_generic(atp_span_str(msg != NULL ? msg : ""), NORM_DURATIONS, &b);
}

/* The outcome of a normalised response: "+ERR=-4", "+OK", or "" (none). */
static void
outcome_of(const char *norm, char *out, size_t size)
{
	const char *p = norm;

	out[0] = '\0';
	while ((p = strchr(p, '+')) != NULL) {
		if (strncmp(p, "+ERR=", 5) == 0) {
			size_t n = 5;
			if (p[n] == '-')
				n++;
			while (ATP_ISDIGIT(p[n]))
				n++;
			snprintf(out, size, "%.*s", (int)n, p);
			return;
		}
		if (strncmp(p, "+OK", 3) == 0 && (p == norm || p[-1] == 'n')) {
			snprintf(out, size, "+OK");
			return;
		}
		p++;
	}
}

/* ---- the results ------------------------------------------------------ */

enum dkind {
	DK_RUN,            /* the run's own verdict changed */
	DK_NEW_FAILURE,
	DK_FIXED,
	DK_VERDICT,        /* another verdict change (pass -> skip) */
	DK_ERROR_CODE,
	DK_RESPONSE,
	DK_NEW_REPORT,
	DK_MEASURE,
	DK_NEW_FINDING,
	DK_FIXED_FINDING,
	DK_FINDING,        /* a finding of no failing verdict came or went */
	DK_CASE_MISSING,
	DK_CASE_ADDED,
	DK_LATENCY,
	DK_LATENCY_BETTER,
};

static const char *const dkind_name[] = {
	"run", "new-failure", "fixed", "verdict", "error-code", "response",
	"new-report", "measure", "new-finding", "fixed-finding", "finding",
	"case-missing", "case-added", "latency", "latency-better",
};

enum dclass { DC_WORSE, DC_BETTER, DC_INFO };

struct pct3 {
	int64_t p[3];              /* p50 p90 p99, microseconds */
	uint64_t n;
};

struct ditem {
	enum dkind kind;
	enum dclass cls;
	char *where;               /* case / step, rule / command */
	char *old_v, *new_v;
	char *detail;
	struct pct3 lo, ln;        /* DK_LATENCY* */
};

struct dres {
	struct ditem *v;
	size_t n, cap;
	int nomem;
};

static enum dclass
dkind_class(enum dkind k)
{
	switch (k) {
	case DK_FIXED:
	case DK_FIXED_FINDING:
	case DK_LATENCY_BETTER:
		return DC_BETTER;
	case DK_VERDICT:
	case DK_FINDING:
	case DK_CASE_MISSING:
	case DK_CASE_ADDED:
		return DC_INFO;
	case DK_RUN:
	case DK_NEW_FAILURE:
	case DK_ERROR_CODE:
	case DK_RESPONSE:
	case DK_NEW_REPORT:
	case DK_MEASURE:
	case DK_NEW_FINDING:
	case DK_LATENCY:
		break;
	}
	return DC_WORSE;
}

static struct ditem *
dres_add(struct dres *r, enum dkind k, const char *where, const char *old_v,
    const char *new_v, const char *detail)
{
	struct ditem *it;

	if (r->nomem)
		return NULL;
	if (r->n == r->cap) {
		size_t nc = r->cap == 0 ? 16 : r->cap * 2;
		struct ditem *nv = atp_realloc(r->v, nc * sizeof(*nv));
		if (nv == NULL) {
			r->nomem = 1;
			return NULL;
		}
		r->v = nv;
		r->cap = nc;
	}
	it = &r->v[r->n];
	memset(it, 0, sizeof(*it));
	it->kind = k;
	it->cls = dkind_class(k);
	it->where = atp_strdup(where != NULL ? where : "");
	it->old_v = old_v != NULL ? atp_strdup(old_v) : NULL;
	it->new_v = new_v != NULL ? atp_strdup(new_v) : NULL;
	it->detail = detail != NULL ? atp_strdup(detail) : NULL;
	if (it->where == NULL || (old_v != NULL && it->old_v == NULL) ||
	    (new_v != NULL && it->new_v == NULL) || (detail != NULL && it->detail == NULL)) {
		atp_free(it->where);
		atp_free(it->old_v);
		atp_free(it->new_v);
		atp_free(it->detail);
		r->nomem = 1;
		return NULL;
	}
	r->n++;
	return it;
}

static void
dres_free(struct dres *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		atp_free(r->v[i].where);
		atp_free(r->v[i].old_v);
		atp_free(r->v[i].new_v);
		atp_free(r->v[i].detail);
	}
	atp_free(r->v);
	memset(r, 0, sizeof(*r));
}

/* ---- reading the reports ---------------------------------------------- */

static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s;
}

static int64_t
jint(const json_t *o, const char *key, int64_t dflt)
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* How bad a verdict is: skip and pass 0, inconc 1, fail 2, error 3. */
static int
vrank(const char *v)
{
	if (v == NULL)
		return 0;
	if (strcmp(v, "error") == 0)
		return 3;
	if (strcmp(v, "fail") == 0)
		return 2;
	if (strcmp(v, "inconc") == 0)
		return 1;
	return 0;
}

static int
vrank_skip(const char *v)
{
	return v != NULL && strcmp(v, "skip") == 0;
}

static json_t *
load_report(const char *path, const char **kind)
{
	struct stat st;
	json_error_t e;
	json_t *j;
	const char *tool;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "atproof diff: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "atproof diff: %s: not a regular file\n", path);
		return NULL;
	}
	if ((uintmax_t)st.st_size > CLI_DIFF_FILE_MAX) {
		fprintf(stderr, "atproof diff: %s: %jd bytes, more than the %lu MiB a report "
		    "may have\n", path, (intmax_t)st.st_size, CLI_DIFF_FILE_MAX >> 20);
		return NULL;
	}
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL) {
		fprintf(stderr, "%s:%d:%d: %s\n", path, e.line, e.column, e.text);
		return NULL;
	}
	tool = jstr(j, "tool");
	if (!json_is_object(j) || tool == NULL || !json_is_array(json_object_get(j, "findings"))) {
		fprintf(stderr, "%s:1:1: not a JSON report of atproof run or analyze "
		    "(no \"tool\" or \"findings\")\n", path);
		json_decref(j);
		return NULL;
	}
	*kind = strcmp(tool, "run") == 0 ? "run" : strstr(tool, "analyze") != NULL ? "analyze" : NULL;
	if (*kind == NULL) {
		fprintf(stderr, "%s:1:1: a report of '%s', not of run or analyze\n", path, tool);
		json_decref(j);
		return NULL;
	}
	return j;
}

/* ---- cases and steps (atproof run) ------------------------------------ */

/*
 * The pairing keys of @steps (phase, normalised name, occurrence: the
 * second "AT+QVER" of the steps is "steps/AT+QVER#2"), as an object key ->
 * index, so that pairing stays linear in the steps. NULL on NOMEM.
 */
static json_t *
step_index(const json_t *steps)
{
	json_t *idx = json_object(), *occ = json_object();
	char nm[512], key[600];
	size_t i;

	if (idx == NULL || occ == NULL)
		goto fail;
	for (i = 0; i < json_array_size(steps); i++) {
		const json_t *st = json_array_get(steps, i);
		const char *phase = jstr(st, "phase"), *name = jstr(st, "name");
		json_int_t n;
		norm_step_name(name != NULL ? name : "", nm, sizeof(nm));
		snprintf(key, sizeof(key), "%s/%s", phase != NULL ? phase : "", nm);
		n = json_integer_value(json_object_get(occ, key)) + 1;
		if (json_object_set_new_nocheck(occ, key, json_integer(n)) != 0)
			goto fail;
		if (n > 1) {
			size_t kl = strlen(key);
			snprintf(key + kl, sizeof(key) - kl, "#%lld", (long long)n);
		}
		if (json_object_set_new_nocheck(idx, key, json_integer((json_int_t)i)) != 0)
			goto fail;
	}
	json_decref(occ);
	return idx;
fail:
	json_decref(idx);
	json_decref(occ);
	return NULL;
}

/* The normalised response of a step (actual, then unconsumed bytes). */
static void
step_response(const json_t *s, char *out, size_t size, char *reports, size_t rsize)
{
	const char *name = jstr(s, "name");
	char cmdname[32];
	enum atp_form form;
	struct atp_span args;
	const struct atp_cmd *cmd = NULL;
	size_t n;

	if (name != NULL && step_command(name, cmdname, sizeof(cmdname), &form, &args))
		cmd = atp_cmd_find_str(cmdname);
	out[0] = '\0';
	n = jstr(s, "actual") != NULL ?
	    norm_response(cmd, jstr(s, "actual"), out, size, reports, rsize) : 0;
	if (jstr(s, "unconsumed") != NULL && n + 4 < size) {
		snprintf(out + n, size - n, " | ");
		norm_response(NULL, jstr(s, "unconsumed"), out + n + 3, size - n - 3, reports, rsize);
	}
}

/* The reports a step's message quotes ("report +SKTRPT that no policy
 * allows: +SKTRPT=1,0,..."): the harness names there what arrived
 * between steps. */
static void
message_reports(const char *msg, char *reports, size_t rsize)
{
	const char *p = msg;

	while (p != NULL && (p = strchr(p, '+')) != NULL) {
		const struct atp_report *rep = atp_report_match(atp_span_str(p));
		if (rep != NULL)
			set_add(reports, rsize, rep->name);
		p++;
	}
}

static void
diff_steps(struct dres *r, const char *cid, const json_t *os, const json_t *ns)
{
	char *on = atp_malloc(NORM_MAX), *nn = atp_malloc(NORM_MAX);
	char where[800], oo[32], no[32];
	char orep[REPORTS_MAX], nrep[REPORTS_MAX];
	json_t *oi = step_index(os), *ni = step_index(ns), *v;
	const char *key;

	if (on == NULL || nn == NULL || oi == NULL || ni == NULL) {
		r->nomem = 1;
		goto out;
	}
	json_object_foreach(ni, key, v) {
		const json_t *n = json_array_get(ns, (size_t)json_integer_value(v)), *o;
		const json_t *ov = json_object_get(oi, key);
		const char *p, *q;
		struct ditem *it;
		o = ov != NULL ? json_array_get(os, (size_t)json_integer_value(ov)) : NULL;
		/* A step one run did not reach has nothing to compare: its
		 * case's verdict already tells. */
		if (o == NULL || vrank_skip(jstr(o, "verdict")) || vrank_skip(jstr(n, "verdict")))
			continue;
		snprintf(where, sizeof(where), "%s: %s", cid, jstr(n, "name") != NULL ?
		    jstr(n, "name") : "?");
		orep[0] = nrep[0] = '\0';
		step_response(o, on, NORM_MAX, orep, sizeof(orep));
		step_response(n, nn, NORM_MAX, nrep, sizeof(nrep));
		message_reports(jstr(o, "message"), orep, sizeof(orep));
		message_reports(jstr(n, "message"), nrep, sizeof(nrep));
		outcome_of(on, oo, sizeof(oo));
		outcome_of(nn, no, sizeof(no));
		it = NULL;
		if (strcmp(oo, no) != 0 && (oo[0] == '+' || no[0] == '+') &&
		    (strncmp(oo, "+ERR", 4) == 0 || strncmp(no, "+ERR", 4) == 0))
			it = dres_add(r, DK_ERROR_CODE, where, oo[0] != '\0' ? oo : "(none)",
			    no[0] != '\0' ? no : "(none)", NULL);
		else if (strcmp(on, nn) != 0 && (on[0] != '\0' || nn[0] != '\0'))
			it = dres_add(r, DK_RESPONSE, where, on, nn, NULL);
		/* A change that fixed the step is part of the fix. */
		if (it != NULL && vrank(jstr(n, "verdict")) < vrank(jstr(o, "verdict")))
			it->cls = DC_BETTER;
		/* Each report the new run saw and the old did not. */
		for (p = nrep; *p != '\0'; p = q) {
			char one[64];
			size_t len;
			q = strchr(p, ' ');
			len = q != NULL ? (size_t)(q - p) : strlen(p);
			q = q != NULL ? q + 1 : p + len;
			snprintf(one, sizeof(one), "%.*s", (int)len, p);
			if (!set_has(orep, one))
				dres_add(r, DK_NEW_REPORT, where, NULL, one,
				    jstr(n, "message") != NULL ? jstr(n, "message") : nn);
		}
	}
out:
	json_decref(oi);
	json_decref(ni);
	atp_free(on);
	atp_free(nn);
}

static void
diff_measures(struct dres *r, const char *cid, const json_t *om, const json_t *nm)
{
	size_t i, j;

	for (i = 0; i < json_array_size(nm); i++) {
		const json_t *n = json_array_get(nm, i);
		const char *name = jstr(n, "name");
		for (j = 0; name != NULL && j < json_array_size(om); j++) {
			const json_t *o = json_array_get(om, j);
			char where[600], ov[96], nv[96];
			if (jstr(o, "name") == NULL || strcmp(jstr(o, "name"), name) != 0)
				continue;
			if (vrank(jstr(n, "verdict")) > vrank(jstr(o, "verdict"))) {
				snprintf(where, sizeof(where), "%s: measure %s", cid, name);
				snprintf(ov, sizeof(ov), "%g %s (%s)", json_number_value(json_object_get(o, "value")),
				    jstr(o, "unit") != NULL ? jstr(o, "unit") : "", jstr(o, "verdict"));
				snprintf(nv, sizeof(nv), "%g %s (%s)", json_number_value(json_object_get(n, "value")),
				    jstr(n, "unit") != NULL ? jstr(n, "unit") : "", jstr(n, "verdict"));
				dres_add(r, DK_MEASURE, where, ov, nv, NULL);
			}
			break;
		}
	}
}

/* A case's pairing key: its id, after its unit's name in a station's
 * summary (every unit runs the same cases). NULL: no id. */
static const char *
case_key(const json_t *c, char *buf, size_t size)
{
	const char *id = jstr(c, "id"), *unit = jstr(c, "unit");

	if (id == NULL || unit == NULL)
		return id;
	snprintf(buf, size, "%s/%s", unit, id);
	return buf;
}

/* The cases by key: an object key -> index (the first case of a key). */
static json_t *
case_index(const json_t *cases)
{
	json_t *idx = json_object();
	char buf[256];
	size_t i;

	for (i = 0; idx != NULL && i < json_array_size(cases); i++) {
		const char *id = case_key(json_array_get(cases, i), buf, sizeof(buf));
		if (id == NULL || json_object_get(idx, id) != NULL)
			continue;
		if (json_object_set_new_nocheck(idx, id, json_integer((json_int_t)i)) != 0) {
			json_decref(idx);
			return NULL;
		}
	}
	return idx;
}

static void
diff_cases(struct dres *r, const json_t *oc, const json_t *nc)
{
	json_t *oi = case_index(oc), *ni = case_index(nc);
	char buf[256];
	size_t i;

	if (oi == NULL || ni == NULL) {
		r->nomem = 1;
		goto out;
	}
	for (i = 0; i < json_array_size(nc); i++) {
		const json_t *n = json_array_get(nc, i), *o, *ix;
		const char *id = case_key(n, buf, sizeof(buf)), *ov, *nv;
		int orank, nrank;
		if (id == NULL)
			continue;
		ix = json_object_get(oi, id);
		o = ix != NULL ? json_array_get(oc, (size_t)json_integer_value(ix)) : NULL;
		nv = jstr(n, "verdict");
		if (o == NULL) {
			dres_add(r, vrank(nv) > 0 ? DK_NEW_FAILURE : DK_CASE_ADDED, id, NULL, nv,
			    jstr(n, "reason"));
			continue;
		}
		ov = jstr(o, "verdict");
		orank = vrank(ov);
		nrank = vrank(nv);
		if (nrank > orank)
			dres_add(r, DK_NEW_FAILURE, id, ov, nv, jstr(n, "reason"));
		else if (nrank < orank)
			dres_add(r, nrank == 0 && nv != NULL && strcmp(nv, "skip") == 0 ? DK_VERDICT :
			    DK_FIXED, id, ov, nv, jstr(o, "reason"));
		else if (ov != NULL && nv != NULL && strcmp(ov, nv) != 0)
			dres_add(r, DK_VERDICT, id, ov, nv, jstr(n, "reason"));
		diff_steps(r, id, json_object_get(o, "steps"), json_object_get(n, "steps"));
		diff_measures(r, id, json_object_get(o, "measures"), json_object_get(n, "measures"));
	}
	for (i = 0; i < json_array_size(oc); i++) {
		const char *id = case_key(json_array_get(oc, i), buf, sizeof(buf));
		if (id != NULL && json_object_get(ni, id) == NULL)
			dres_add(r, DK_CASE_MISSING, id, jstr(json_array_get(oc, i), "verdict"), NULL, NULL);
	}
out:
	json_decref(oi);
	json_decref(ni);
}

/* ---- findings (both tools) -------------------------------------------- */

static int
finding_failing(const char *verdict)
{
	return verdict != NULL && (strcmp(verdict, "fail") == 0 || strcmp(verdict, "inconc") == 0);
}

static void
finding_key(const json_t *f, char *key, size_t size)
{
	char msg[1024];

	norm_message(jstr(f, "message"), msg, sizeof(msg));
	snprintf(key, size, "%s\x1f%s\x1f%s\x1f%s", jstr(f, "rule") != NULL ? jstr(f, "rule") : "",
	    jstr(f, "command") != NULL ? jstr(f, "command") : "",
	    jstr(f, "verdict") != NULL ? jstr(f, "verdict") : "", msg);
}

/* The findings by key: an object key -> [count, index of the first]. */
static json_t *
finding_index(const json_t *fs)
{
	json_t *idx = json_object();
	char key[1200];
	size_t i;

	for (i = 0; idx != NULL && i < json_array_size(fs); i++) {
		json_t *e;
		finding_key(json_array_get(fs, i), key, sizeof(key));
		e = json_object_get(idx, key);
		if (e != NULL) {
			json_array_set_new(e, 0, json_integer(json_integer_value(json_array_get(e, 0)) + 1));
			continue;
		}
		e = json_pack("[I,I]", (json_int_t)1, (json_int_t)i);
		if (e == NULL || json_object_set_new_nocheck(idx, key, e) != 0) {
			json_decref(idx);
			return NULL;
		}
	}
	return idx;
}

/* Reports each key whose count rose in @b over @a (once per key). */
static void
diff_findings_dir(struct dres *r, const json_t *a, const json_t *b, int added)
{
	json_t *ai = finding_index(a), *bi = finding_index(b), *e;
	char where[600], ocnt[32], ncnt[32];
	const char *key;

	if (ai == NULL || bi == NULL) {
		r->nomem = 1;
		goto out;
	}
	json_object_foreach(bi, key, e) {
		json_int_t cb = json_integer_value(json_array_get(e, 0));
		json_int_t ca = json_integer_value(json_array_get(json_object_get(ai, key), 0));
		const json_t *f = json_array_get(b, (size_t)json_integer_value(json_array_get(e, 1)));
		int failing = finding_failing(jstr(f, "verdict"));
		if (cb <= ca)
			continue;
		snprintf(where, sizeof(where), "%s %s", jstr(f, "rule") != NULL ? jstr(f, "rule") : "?",
		    jstr(f, "command") != NULL ? jstr(f, "command") : "");
		snprintf(ocnt, sizeof(ocnt), "%lld", (long long)(added ? ca : cb));
		snprintf(ncnt, sizeof(ncnt), "%lld", (long long)(added ? cb : ca));
		dres_add(r, !failing ? DK_FINDING : added ? DK_NEW_FINDING : DK_FIXED_FINDING,
		    where, ocnt, ncnt, jstr(f, "message"));
	}
out:
	json_decref(ai);
	json_decref(bi);
}

/* ---- latency ---------------------------------------------------------- */

struct lat {
	char cmd[32];
	int64_t *v;
	size_t n, cap;
	struct pct3 pc;
};

struct latset {
	struct lat *l;
	size_t n;
	int nomem;
};

static struct lat *
lat_get(struct latset *s, const char *cmd)
{
	size_t i;
	struct lat *nl;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->l[i].cmd, cmd) == 0)
			return &s->l[i];
	if (s->n >= LAT_CMDS_MAX)
		return NULL;
	nl = atp_realloc(s->l, (s->n + 1) * sizeof(*nl));
	if (nl == NULL) {
		s->nomem = 1;
		return NULL;
	}
	s->l = nl;
	memset(&s->l[s->n], 0, sizeof(s->l[0]));
	snprintf(s->l[s->n].cmd, sizeof(s->l[0].cmd), "%s", cmd);
	return &s->l[s->n++];
}

static void
lat_push(struct latset *s, const char *cmd, int64_t us)
{
	struct lat *l = lat_get(s, cmd);

	if (l == NULL || l->n >= LAT_SAMPLES_MAX)
		return;
	if (l->n == l->cap) {
		size_t nc = l->cap == 0 ? 16 : l->cap * 2;
		int64_t *nv = atp_realloc(l->v, nc * sizeof(*nv));
		if (nv == NULL) {
			s->nomem = 1;
			return;
		}
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = us;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentiles, as the analyzer computes them. */
static void
lat_finish(struct lat *l)
{
	static const unsigned ps[3] = { 50, 90, 99 };
	size_t k;

	l->pc.n = l->n;
	if (l->n == 0)
		return;
	qsort(l->v, l->n, sizeof(l->v[0]), cmp_i64);
	for (k = 0; k < 3; k++) {
		size_t idx = (l->n * ps[k] + 99) / 100;
		if (idx > 0)
			idx--;
		if (idx >= l->n)
			idx = l->n - 1;
		l->pc.p[k] = l->v[idx];
	}
}

static void
latset_free(struct latset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		atp_free(s->l[i].v);
	atp_free(s->l);
	memset(s, 0, sizeof(*s));
}

/* A harness run: the final-byte time of each step that sent a command. */
static void
lat_from_cases(struct latset *s, const json_t *cases)
{
	size_t i, j;

	for (i = 0; i < json_array_size(cases); i++) {
		const json_t *steps = json_object_get(json_array_get(cases, i), "steps");
		for (j = 0; j < json_array_size(steps); j++) {
			const json_t *st = json_array_get(steps, j);
			char name[32];
			enum atp_form form;
			struct atp_span args;
			int64_t us = jint(st, "final_byte_us", -1);
			if (us < 0 || jstr(st, "name") == NULL ||
			    !step_command(jstr(st, "name"), name, sizeof(name), &form, &args))
				continue;
			lat_push(s, name[0] != '\0' ? name : "AT+", us);
		}
	}
	for (i = 0; i < s->n; i++)
		lat_finish(&s->l[i]);
}

/* An analyzer run: its own percentiles (stats.latency). */
static void
lat_from_stats(struct latset *s, const json_t *arr)
{
	size_t i;

	for (i = 0; i < json_array_size(arr); i++) {
		const json_t *e = json_array_get(arr, i);
		struct lat *l;
		if (jstr(e, "command") == NULL || jint(e, "timed", 0) <= 0)
			continue;
		l = lat_get(s, jstr(e, "command"));
		if (l == NULL)
			continue;
		l->pc.n = (uint64_t)jint(e, "timed", 0);
		l->pc.p[0] = jint(e, "p50_us", 0);
		l->pc.p[1] = jint(e, "p90_us", 0);
		l->pc.p[2] = jint(e, "p99_us", 0);
	}
}

static void
lat_load(struct latset *s, const json_t *j)
{
	const json_t *arr = json_object_get(json_object_get(j, "stats"), "latency");

	if (json_is_array(arr))
		lat_from_stats(s, arr);
	else
		lat_from_cases(s, json_object_get(j, "cases"));
}

/*
 * +1: a percentile of @b is slower than @a beyond the threshold; -1:
 * faster beyond it (and none slower); 0: within it. A percentile is judged
 * only where both runs have the samples to support it (p90 from 10, p99
 * from 100): below that it is the maximum, and one late answer of a busy
 * host would decide.
 */
static int
lat_shift(const struct pct3 *a, const struct pct3 *b, const struct cli_diff_opts *o)
{
	static const uint64_t min_n[3] = { 1, 10, 100 };
	int k, faster = 0;

	for (k = 0; k < 3; k++) {
		double lim;
		if (a->n < min_n[k] || b->n < min_n[k])
			continue;
		lim = (double)a->p[k] * (1.0 + o->latency_pct / 100.0);
		if ((double)b->p[k] > lim && b->p[k] - a->p[k] >= o->latency_floor_us)
			return 1;
		lim = (double)b->p[k] * (1.0 + o->latency_pct / 100.0);
		if ((double)a->p[k] > lim && a->p[k] - b->p[k] >= o->latency_floor_us)
			faster = 1;
	}
	return faster ? -1 : 0;
}

static void
diff_latency(struct dres *r, const json_t *oj, const json_t *nj, const struct cli_diff_opts *o)
{
	struct latset a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
	size_t i, j;

	lat_load(&a, oj);
	lat_load(&b, nj);
	if (a.nomem || b.nomem)
		r->nomem = 1;
	for (i = 0; i < b.n; i++) {
		for (j = 0; j < a.n; j++) {
			struct ditem *it;
			int sh;
			if (strcmp(a.l[j].cmd, b.l[i].cmd) != 0)
				continue;
			if (a.l[j].pc.n == 0 || b.l[i].pc.n == 0)
				break;
			sh = lat_shift(&a.l[j].pc, &b.l[i].pc, o);
			if (sh == 0)
				break;
			it = dres_add(r, sh > 0 ? DK_LATENCY : DK_LATENCY_BETTER, b.l[i].cmd,
			    NULL, NULL, NULL);
			if (it != NULL) {
				it->lo = a.l[j].pc;
				it->ln = b.l[i].pc;
			}
			break;
		}
	}
	latset_free(&a);
	latset_free(&b);
}

/* ---- output ----------------------------------------------------------- */

static void
write_text(const struct dres *r, FILE *f, const char *op, const char *np, size_t counts[3])
{
	static const char *const cls[] = { "WORSE ", "BETTER", "INFO  " };
	size_t i;

	fprintf(f, "atproof diff %s %s\n", op, np);
	for (i = 0; i < r->n; i++) {
		const struct ditem *it = &r->v[i];
		fprintf(f, "%s %-14s %s", cls[it->cls], dkind_name[it->kind], it->where);
		if (it->kind == DK_LATENCY || it->kind == DK_LATENCY_BETTER) {
			static const char *const pn[3] = { "p50", "p90", "p99" };
			int k;
			fprintf(f, ":");
			for (k = 0; k < 3; k++)
				fprintf(f, "%s %s %" PRId64 " -> %" PRId64 " us", k > 0 ? "," : "", pn[k],
				    it->lo.p[k], it->ln.p[k]);
			fprintf(f, " (%" PRIu64 " -> %" PRIu64 " samples)\n", it->lo.n, it->ln.n);
			continue;
		}
		if (it->kind == DK_NEW_FINDING || it->kind == DK_FIXED_FINDING ||
		    it->kind == DK_FINDING) {
			fprintf(f, ": %s -> %s times: %s\n", it->old_v, it->new_v,
			    it->detail != NULL ? it->detail : "");
			continue;
		}
		if (it->old_v != NULL || it->new_v != NULL)
			fprintf(f, ": %s -> %s", it->old_v != NULL ? it->old_v : "(absent)",
			    it->new_v != NULL ? it->new_v : "(absent)");
		if (it->detail != NULL)
			fprintf(f, "\n       %s", it->detail);
		fputc('\n', f);
	}
	fprintf(f, "%zu worse, %zu better, %zu other changes: %s\n", counts[DC_WORSE],
	    counts[DC_BETTER], counts[DC_INFO],
	    counts[DC_WORSE] > 0 ? "NEW is worse than OLD" : "NEW is not worse than OLD");
}

static json_t *
pct_json(const struct pct3 *p)
{
	return json_pack("{s:I,s:I,s:I,s:I}", "samples", (json_int_t)p->n,
	    "p50_us", (json_int_t)p->p[0], "p90_us", (json_int_t)p->p[1],
	    "p99_us", (json_int_t)p->p[2]);
}

static int
write_json(const struct dres *r, const char *path, const char *op, const char *np,
    const size_t counts[3], const struct cli_diff_opts *o)
{
	static const char *const cls[] = { "worse", "better", "info" };
	json_t *root, *arr;
	size_t i;
	int rc;

	root = json_pack("{s:s,s:s,s:s,s:b,s:{s:I,s:I,s:I},s:{s:I,s:I},s:[]}",
	    "tool", "diff", "old", op, "new", np, "worse", counts[DC_WORSE] > 0,
	    "counts", "worse", (json_int_t)counts[DC_WORSE], "better", (json_int_t)counts[DC_BETTER],
	    "info", (json_int_t)counts[DC_INFO],
	    "latency_threshold", "percent", (json_int_t)o->latency_pct,
	    "floor_us", (json_int_t)o->latency_floor_us, "changes");
	arr = json_object_get(root, "changes");
	if (root == NULL || arr == NULL) {
		json_decref(root);
		return -1;
	}
	for (i = 0; i < r->n; i++) {
		const struct ditem *it = &r->v[i];
		json_t *e = json_pack("{s:s,s:s,s:s}", "kind", dkind_name[it->kind],
		    "class", cls[it->cls], "where", it->where);
		if (e == NULL || json_array_append_new(arr, e) != 0) {
			json_decref(root);
			return -1;
		}
		if (it->kind == DK_LATENCY || it->kind == DK_LATENCY_BETTER) {
			json_object_set_new(e, "old", pct_json(&it->lo));
			json_object_set_new(e, "new", pct_json(&it->ln));
			continue;
		}
		json_object_set_new(e, "old", it->old_v != NULL ? json_string(it->old_v) : json_null());
		json_object_set_new(e, "new", it->new_v != NULL ? json_string(it->new_v) : json_null());
		if (it->detail != NULL)
			json_object_set_new(e, "detail", json_string(it->detail));
	}
	if (strcmp(path, "-") == 0) {
		rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	}
	json_decref(root);
	return rc;
}

/* ---- entry points ----------------------------------------------------- */

void
cli_diff_defaults(struct cli_diff_opts *o)
{
	const char *env = getenv("ATPROOF_LATENCY_FLOOR_US");

	o->latency_pct = 20;
	o->latency_floor_us = 10000;
	/* A run whose timing is not the device's (under valgrind, a loaded
	 * CI host) raises the default floor for every diff it makes, --baseline
	 * included; a --latency-floor option still wins. */
	if (env != NULL && *env != '\0') {
		char *end = NULL;
		unsigned long long v;
		errno = 0;
		v = strtoull(env, &end, 10);
		if (errno == 0 && end != NULL && *end == '\0' && env[0] != '-' &&
		    v <= 3600000000ULL)
			o->latency_floor_us = (int64_t)v;
	}
	o->text = stdout;
	o->json_path = NULL;
}

static int
diff_json(const json_t *oj, const json_t *nj, const char *op, const char *np,
    const struct cli_diff_opts *o)
{
	struct dres r = { NULL, 0, 0, 0 };
	size_t counts[3] = { 0, 0, 0 }, i;
	const char *ov = jstr(oj, "verdict"), *nv = jstr(nj, "verdict");
	int rc = ATP_EXIT_PASS;

	diff_cases(&r, json_object_get(oj, "cases"), json_object_get(nj, "cases"));
	diff_findings_dir(&r, json_object_get(oj, "findings"), json_object_get(nj, "findings"), 1);
	diff_findings_dir(&r, json_object_get(nj, "findings"), json_object_get(oj, "findings"), 0);
	diff_latency(&r, oj, nj, o);
	for (i = 0; i < r.n; i++)
		counts[r.v[i].cls]++;
	/* A run that got worse with nothing above to show for it (the port
	 * vanished, an input could not be read) still counts. */
	if (vrank(nv) > vrank(ov) && counts[DC_WORSE] == 0) {
		dres_add(&r, DK_RUN, "run", ov, nv, jstr(nj, "reason"));
		counts[DC_WORSE]++;
	}
	if (r.nomem) {
		fprintf(stderr, "atproof diff: out of memory\n");
		dres_free(&r);
		return ATP_EXIT_ENV;
	}
	if (o->text != NULL)
		write_text(&r, o->text, op, np, counts);
	if (o->json_path != NULL && write_json(&r, o->json_path, op, np, counts, o) != 0) {
		fprintf(stderr, "atproof diff: %s: %s\n", o->json_path, strerror(errno));
		rc = ATP_EXIT_ENV;
	}
	if (rc == ATP_EXIT_PASS && counts[DC_WORSE] > 0)
		rc = ATP_EXIT_FAIL;
	dres_free(&r);
	return rc;
}

int
cli_diff_files(const char *old_path, const char *new_path, const struct cli_diff_opts *o)
{
	const char *ok = NULL, *nk = NULL;
	json_t *oj, *nj;
	struct atp_diag d;
	int rc;

	atp_diag_clear(&d);
	if (atp_model_init(&d) != ATP_OK) {
		fprintf(stderr, "atproof diff: the protocol model: %s\n", d.msg);
		return ATP_EXIT_ENV;
	}
	oj = load_report(old_path, &ok);
	if (oj == NULL)
		return ATP_EXIT_USAGE;
	nj = load_report(new_path, &nk);
	if (nj == NULL) {
		json_decref(oj);
		return ATP_EXIT_USAGE;
	}
	if (strcmp(ok, nk) != 0) {
		fprintf(stderr, "atproof diff: %s is a report of %s, %s of %s: they do not compare\n",
		    old_path, ok, new_path, nk);
		rc = ATP_EXIT_USAGE;
	} else {
		rc = diff_json(oj, nj, old_path, new_path, o);
	}
	json_decref(oj);
	json_decref(nj);
	return rc;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: atproof diff [--latency-threshold PCT] [--latency-floor US]\n"
	    "                    [--report FMT:PATH]... OLD.json NEW.json\n\n"
	    "Compares two JSON reports of atproof run (or of atproof analyze) by meaning:\n"
	    "new and fixed failures, changed error codes and response shapes, new\n"
	    "asynchronous reports, new and fixed findings, latency shifts. MACs, IPs,\n"
	    "RSSIs, socket numbers and measured times are masked first, through the\n"
	    "protocol model's field types.\n\n"
	    "  --latency-threshold PCT  a p50, p90 or p99 this many percent slower is a\n"
	    "                           shift (default 20)\n"
	    "  --latency-floor US       ...and at least this many microseconds slower\n"
	    "                           (default 10000: scheduling noise is no shift;\n"
	    "                           ATPROOF_LATENCY_FLOOR_US in the environment sets\n"
	    "                           the default, for run --baseline too)\n"
	    "  --report FMT:PATH        text or json; PATH - is stdout (repeatable);\n"
	    "                           default: text on stdout\n\n"
	    "Exit: 0 NEW is not worse than OLD, 1 NEW is worse, 2 usage or an unreadable,\n"
	    "oversized (over 512 MiB) or invalid report, 3 out of memory or a report\n"
	    "could not be written.\n");
}

/* A whole decimal argument within [0, max], with an optional '%'. */
static int
arg_num(const char *s, uint64_t max, uint64_t *out)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '%')
		n--;
	return n > 0 && atp_span_dec(atp_span_make(s, n), out, max) == ATP_OK;
}

int
cli_diff(int argc, char **argv)
{
	struct cli_diff_opts o;
	const char *files[2] = { NULL, NULL };
	const char *text_path = NULL;
	FILE *tf = NULL;
	int i, nfiles = 0, rc, any_report = 0;

	cli_diff_defaults(&o);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		uint64_t v;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return ATP_EXIT_PASS;
		}
		if ((strcmp(a, "--latency-threshold") == 0 || strcmp(a, "--latency-floor") == 0) &&
		    i + 1 < argc) {
			int pct = a[10] == 't';
			if (!arg_num(argv[++i], pct ? 100000 : 3600000000ULL, &v)) {
				fprintf(stderr, "atproof diff: %s: '%s' is not a number%s\n", a, argv[i],
				    pct ? " of percent (0..100000)" : " of microseconds");
				return ATP_EXIT_USAGE;
			}
			if (pct)
				o.latency_pct = (unsigned)v;
			else
				o.latency_floor_us = (int64_t)v;
		} else if (strcmp(a, "--report") == 0 && i + 1 < argc) {
			const char *spec = argv[++i], *colon = strchr(spec, ':');
			if (colon == NULL || colon[1] == '\0') {
				fprintf(stderr, "atproof diff: --report %s: expected FMT:PATH\n", spec);
				return ATP_EXIT_USAGE;
			}
			any_report = 1;
			if ((size_t)(colon - spec) == 4 && strncmp(spec, "json", 4) == 0) {
				o.json_path = colon + 1;
			} else if ((size_t)(colon - spec) == 4 && strncmp(spec, "text", 4) == 0) {
				text_path = colon + 1;
			} else {
				fprintf(stderr, "atproof diff: --report %s: the format is text or json\n",
				    spec);
				return ATP_EXIT_USAGE;
			}
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "atproof diff: unknown option or missing value: %s\n", a);
			usage(stderr);
			return ATP_EXIT_USAGE;
		} else if (nfiles < 2) {
			files[nfiles++] = a;
		} else {
			fprintf(stderr, "atproof diff: more than two reports given (%s)\n", a);
			return ATP_EXIT_USAGE;
		}
	}
	if (nfiles != 2) {
		usage(stderr);
		return ATP_EXIT_USAGE;
	}
	o.text = NULL;
	if (text_path != NULL && strcmp(text_path, "-") != 0) {
		tf = fopen(text_path, "w");
		if (tf == NULL) {
			fprintf(stderr, "atproof diff: %s: %s\n", text_path, strerror(errno));
			return ATP_EXIT_ENV;
		}
		o.text = tf;
	} else if (text_path != NULL || !any_report) {
		o.text = stdout;
	}
	rc = cli_diff_files(files[0], files[1], &o);
	if (tf != NULL && fclose(tf) != 0 && rc != ATP_EXIT_USAGE) {
		fprintf(stderr, "atproof diff: %s: %s\n", text_path, strerror(errno));
		rc = ATP_EXIT_ENV;
	}
	return rc;
}
