/* SPDX-License-Identifier: MIT */
/* \summary: command lines sent to the module: parser and serializer */
#ifndef ATPROOF_CMDLINE_H
#define ATPROOF_CMDLINE_H

#include <stddef.h>

#include "atproof/cmd.h"
#include "atproof/cursor.h"
#include "atproof/err.h"

/*
 * A command line is `AT+<CMD>[op][arg{,arg}]<terminator>` (manual §2.1).
 * The parser follows the firmware where the manual is silent
 * (w600-firmware.md §1.2-1.3):
 *   - the prefix is A/a, T/t, '+'; the name runs up to '=' or the end and
 *     is compared case-insensitively; it may be at most 9 characters;
 *   - after '=', '!' means the flash form, '?' the query form (nothing after
 *     it is parsed), anything else the set form;
 *   - arguments are split at ','; an argument that starts with '"' runs to
 *     the next '",' whose quote does not follow a backslash (one byte back
 *     only: `"a\\",b` is one argument), so quoted strings may hold commas;
 *     without one it runs to the end, closed when it ends with '"';
 *   - at most 9 arguments; an empty last argument is not counted;
 *   - the terminator is CR, LF, CRLF or LFCR.
 * What the manual would reject but the firmware takes is not an error: it is
 * recorded in atp_cmdline.issues so that a harness, analyzer or lint can
 * report it. Errors are kept for lines that cannot be commands at all.
 */

#define ATP_LINE_MAX 512          /* firmware flushes longer lines (§1.2) */
#define ATP_NAME_MAX 9            /* ATCMD_NAME_MAX_LEN - 1 (§1.3) */
#define ATP_ARGS_MAX 9            /* ATCMD_MAX_ARG - 1 (§1.3) */

/* atp_cmdline.issues bits: things a strict reader should note. */
#define ATP_CL_LOWER_PREFIX   0x0001u /* "at+" or "At+" */
#define ATP_CL_LOWER_NAME     0x0002u /* name not in upper case */
#define ATP_CL_NAME_TOO_LONG  0x0004u /* > ATP_NAME_MAX: firmware +ERR=-2 */
#define ATP_CL_TOO_MANY_ARGS  0x0008u /* > ATP_ARGS_MAX: firmware +ERR=-4 */
#define ATP_CL_OPEN_QUOTE     0x0010u /* an argument's quote is not closed */
#define ATP_CL_NUL            0x0020u /* a NUL byte in the line */
#define ATP_CL_NONPRINT       0x0040u /* another control or non-ASCII byte */
#define ATP_CL_TERM_NOT_CR    0x0080u /* terminated by something else than CR */
#define ATP_CL_NO_TERM        0x0100u /* no terminator (end of input) */
#define ATP_CL_QUERY_TRAIL    0x0200u /* bytes after "=?" (firmware ignores them) */
#define ATP_CL_UNKNOWN        0x0400u /* name not in the command table */
#define ATP_CL_EMPTY_LAST_ARG 0x0800u /* a trailing ',' (empty last argument) */
#define ATP_CL_SPACE          0x1000u /* a space around an argument or name */
#define ATP_CL_TOO_LONG       0x2000u /* line longer than ATP_LINE_MAX */

struct atp_arg {
	struct atp_span raw;      /* as it stood between the commas */
	struct atp_span value;    /* quotes removed; escapes kept */
	int quoted;
	size_t offset;            /* of raw, from the start of the line */
};

struct atp_cmdline {
	struct atp_span text;     /* the line, terminator excluded */
	struct atp_span name;     /* the command name as sent (may be empty) */
	enum atp_form form;
	struct atp_span argtext;  /* everything after the operator */
	size_t nargs;
	struct atp_arg args[ATP_ARGS_MAX];
	struct atp_span term;     /* the terminator as seen (may be empty) */
	unsigned issues;          /* ATP_CL_* */
	const struct atp_cmd *cmd;  /* the table's entry, or NULL */
};

/*
 * Parses one command line. @line holds the line and optionally its
 * terminator at the end (CR, LF, CRLF, LFCR); nothing may follow the
 * terminator. On success fills @out (its spans point into @line) and
 * returns ATP_OK. Returns ATP_ERR_SYNTAX, with the column in @d, when the
 * line does not start with "AT+" or holds a terminator before its end;
 * ATP_ERR_LIMIT if it is longer than ATP_LINE_MAX plus a terminator.
 */
int atp_cmdline_parse(struct atp_span line, struct atp_cmdline *out, struct atp_diag *d);

/*
 * Splits a host byte stream into command lines with the firmware's framing
 * (w600-firmware.md §1.2). @c is advanced past what was consumed.
 *   - Bytes before "AT+" are skipped: with @skip_line_garbage (LUAT) up to
 *     the next end of line, otherwise (G3, manual) one byte at a time until
 *     an "AT+" starts. What was skipped is returned in @garbage (may be
 *     empty); it is contiguous and ends where the line starts.
 *   - On ATP_OK, @line is the line without terminator and @term its
 *     terminator (CR, LF, CRLF or LFCR; a CR or LF at the very end of the
 *     input is taken alone, since the next byte may never come).
 *   - ATP_ERR_AGAIN: no complete line yet (c is left at the start of the
 *     partial line, garbage already consumed and reported).
 *   - ATP_ERR_LIMIT: more than ATP_LINE_MAX bytes without an end of line;
 *     the bytes are consumed and returned in @garbage (firmware flushes).
 */
int atp_cmdline_next(struct atp_cur *c, int skip_line_garbage, struct atp_span *garbage,
    struct atp_span *line, struct atp_span *term);

/* Serializer flags. */
#define ATP_CLB_QUOTE_ALL   0x01u /* quote every string argument */
#define ATP_CLB_NO_TERM     0x02u /* do not append the CR */
#define ATP_CLB_LF          0x04u /* end with LF instead of CR */
#define ATP_CLB_CRLF        0x08u /* end with CRLF */

/*
 * Renders `AT+<name><op><args><CR>` into @buf (@size bytes, NUL-terminated).
 * Arguments are written bare when they are safe, and otherwise quoted with
 * backslash escapes (a comma, quote, backslash, leading/trailing space or a
 * control byte makes an argument unsafe); ATP_CLB_QUOTE_ALL quotes all.
 * A value ending in a backslash is quoted only as the last argument (the
 * module would not end it at its closing quote); before another it is
 * written bare, or refused when it cannot be.
 * @args may be NULL when @nargs is 0. Returns the length written (without
 * the NUL), ATP_ERR_LIMIT if it does not fit or exceeds ATP_LINE_MAX, or
 * ATP_ERR_ARG for more than ATP_ARGS_MAX arguments, a form with args it
 * cannot carry, or an argument no line can carry.
 */
long atp_cmdline_build(char *buf, size_t size, const char *name, enum atp_form form,
    const char *const *args, size_t nargs, unsigned flags);

#endif
