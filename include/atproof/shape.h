/* SPDX-License-Identifier: MIT */
/* \summary: typed-field patterns: argument lists, response shapes, matchers */
#ifndef ATPROOF_SHAPE_H
#define ATPROOF_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "atproof/cursor.h"
#include "atproof/err.h"

/*
 * One small pattern language describes everything typed in the protocol
 * model: the arguments of a command, the body of each response and report,
 * and the typed expectations of scenarios (`+OK=<mac:MAC>,<n:Dec 1..14>`).
 *
 *   pattern := item*
 *   item    := literal-char | '\' any-char | field
 *            | '[' pattern ']'          optional group
 *            | '{' pattern '}'          group repeated zero or more times
 *   field   := '<' name ':' type [' ' constraint] '>'
 *
 * Types (enum atp_type), and what a constraint means for each:
 *   String   text, either "quoted" (backslash escapes \" \\ \,) or bare;
 *            a bare one ends where the rest of the pattern can match.
 *            Constraint N..M: length of the unquoted value.
 *   QString  must be quoted.                       N..M: length
 *   Text     raw bytes, no quote processing.       N..M: length
 *   Dec      unsigned decimal digits.              N..M: value
 *   SDec     optional '-' then digits.             N..M: value (may be negative)
 *   Hex      hex digits, either case.              N..M: value, written in hex
 *   IP       dotted quad, each octet 0..255, no quotes
 *   QIP      dotted quad in double quotes
 *   MAC      12 hex digits, no separators (001EE3A80102)
 *   DMAC     6 hex pairs joined by '-' (94-FE-22-9A-B5-28)
 *   Host     an IP, a domain name or a number, quotes optional. N..M: length
 *   Enum     one of a list: `0=TCP|1=UDP` (the labels after '=' are names
 *            for people). All-digit values compare as numbers, others as
 *            ASCII case-insensitive words.
 * An omitted N means 0, an omitted M means no maximum (`Dec 1..`).
 *
 * Matching is two-staged so that a report can tell "wrong shape" from
 * "right shape, value out of range": the structure (digits, quotes, dots,
 * literals) decides the match; the constraints are then checked on each
 * captured field and reported per field (atp_capture.in_range).
 */

enum atp_type {
	ATP_T_STRING,
	ATP_T_QSTRING,
	ATP_T_TEXT,
	ATP_T_DEC,
	ATP_T_SDEC,
	ATP_T_HEX,
	ATP_T_IP,
	ATP_T_QIP,
	ATP_T_MAC,
	ATP_T_DMAC,
	ATP_T_HOST,
	ATP_T_ENUM,
};

/* One field of a compiled pattern, for introspection (commands listing,
 * emulator argument checks). Strings point into the compiled shape. */
struct atp_field {
	const char *name;
	enum atp_type type;
	int has_min, has_max;
	int64_t min, max;         /* value range, or length range for strings */
	size_t nvalues;           /* Enum only */
	const char *const *values;        /* Enum values, e.g. "0" */
	const char *const *labels;        /* Enum labels, "" where none */
	int optional;             /* inside an optional or repeated group */
	int repeated;             /* inside a repeated group */
};

struct atp_shape;             /* compiled pattern, opaque */

#define ATP_SHAPE_PATTERN_MAX 4096
#define ATP_MATCH_CAP_MAX 64
/* The matcher backtracks; this bounds its work on hostile input. */
#define ATP_MATCH_STEPS_MAX 200000

/*
 * Compiles @pattern (NUL-terminated, at most ATP_SHAPE_PATTERN_MAX bytes).
 * On success *out owns a new shape (free with atp_shape_free()). On failure
 * *out is NULL, @d says what is wrong and at which column of the pattern,
 * and ATP_ERR_SYNTAX (or ATP_ERR_NOMEM, ATP_ERR_LIMIT) is returned.
 */
int atp_shape_compile(const char *pattern, struct atp_shape **out, struct atp_diag *d);
void atp_shape_free(struct atp_shape *s);

/* The pattern text the shape was compiled from. */
const char *atp_shape_pattern(const struct atp_shape *s);
size_t atp_shape_nfields(const struct atp_shape *s);
const struct atp_field *atp_shape_field(const struct atp_shape *s, size_t i);
/* Index of the field named @name, or -1. */
long atp_shape_find(const struct atp_shape *s, const char *name);

/* One captured field of a successful match. */
struct atp_capture {
	const struct atp_field *field;  /* its definition in the shape */
	struct atp_span raw;    /* the bytes as they stood (quotes included) */
	struct atp_span value;  /* without the quotes; escapes NOT removed */
	int quoted;             /* the value was in double quotes */
	int has_num;            /* Dec, SDec, Hex, numeric Enum: num is valid */
	int64_t num;
	unsigned rep;           /* 0-based repetition index inside {...} */
	int in_range;           /* the constraint holds (1 if there is none) */
};

struct atp_match {
	int matched;            /* 1: the structure matched the whole text */
	int truncated;          /* more captures than ATP_MATCH_CAP_MAX */
	int too_complex;        /* ATP_MATCH_STEPS_MAX ran out: no verdict */
	size_t ncap;
	struct atp_capture cap[ATP_MATCH_CAP_MAX];
	size_t nbad;            /* captures with in_range == 0 */
	size_t fail_at;         /* on no match: furthest byte offset reached */
};

/*
 * Matches the whole of @text against @s and fills @m (always, even on no
 * match: then m->matched is 0 and m->fail_at says how far it got). Returns
 * ATP_OK whatever the verdict; an error only for bad arguments.
 */
int atp_shape_match(const struct atp_shape *s, struct atp_span text, struct atp_match *m);

/* The first capture of field @name (by repetition 0), or NULL. */
const struct atp_capture *atp_match_get(const struct atp_match *m, const char *name);

/*
 * Decodes a String/QString value: removes the backslash escapes of the
 * firmware (w600-firmware.md §3: a backslash keeps the next byte literally)
 * into @buf of @size bytes (NUL-terminated). Returns the decoded length, or
 * ATP_ERR_LIMIT if it does not fit.
 */
long atp_unescape(struct atp_span value, char *buf, size_t size);

/* The type's name as written in patterns ("Dec", "MAC"...). */
const char *atp_type_name(enum atp_type t);

#endif
