/* SPDX-License-Identifier: MIT */
/* \summary: bounded, length-carrying cursor over untrusted bytes */
#ifndef ATPROOF_CURSOR_H
#define ATPROOF_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "atproof/err.h"

/*
 * Every parser of device output, captures and scenario text reads through a
 * struct atp_cur: a pointer and the number of bytes left, never an end
 * pointer, so bounds checks are length comparisons. Spans carry their length
 * and are never NUL-terminated.
 *
 * A call that fails does not advance the cursor, so calls chain with ||:
 *     if (atp_cur_lit(&c, "+OK=") || atp_cur_dec(&c, &n, 20)) ...
 * Functions return ATP_OK, ATP_ERR_AGAIN (not enough bytes yet: the input may
 * still be valid once more arrives), ATP_ERR_SYNTAX (cannot match) or
 * ATP_ERR_LIMIT (a number overflowed its maximum).
 */
struct atp_cur {          /* public, but access via functions */
	const uint8_t *p;
	size_t left;
};

struct atp_span {         /* bytes and their length; not NUL-terminated */
	const uint8_t *p;
	size_t len;
};

/* Locale-independent ASCII classes for device bytes (never <ctype.h>). */
#define ATP_ISDIGIT(c) ((uint8_t)(c) >= '0' && (uint8_t)(c) <= '9')
#define ATP_ISUPPER(c) ((uint8_t)(c) >= 'A' && (uint8_t)(c) <= 'Z')
#define ATP_ISLOWER(c) ((uint8_t)(c) >= 'a' && (uint8_t)(c) <= 'z')
#define ATP_ISALPHA(c) (ATP_ISUPPER(c) || ATP_ISLOWER(c))
#define ATP_ISALNUM(c) (ATP_ISALPHA(c) || ATP_ISDIGIT(c))
#define ATP_ISXDIGIT(c) (ATP_ISDIGIT(c) || ((uint8_t)(c) >= 'a' && (uint8_t)(c) <= 'f') || \
	((uint8_t)(c) >= 'A' && (uint8_t)(c) <= 'F'))
#define ATP_ISPRINT(c) ((uint8_t)(c) >= 0x20 && (uint8_t)(c) < 0x7f)
#define ATP_TOUPPER(c) ((uint8_t)(ATP_ISLOWER(c) ? (uint8_t)(c) - 32 : (uint8_t)(c)))
#define ATP_TOLOWER(c) ((uint8_t)(ATP_ISUPPER(c) ? (uint8_t)(c) + 32 : (uint8_t)(c)))

/* Inline: the reader, the framer and the line splitter make several a
 * record, and a call each was a few per cent of the analyzer (issue 8). */
static inline struct atp_cur
atp_cur_make(const void *p, size_t len)
{
	struct atp_cur c;

	c.p = p;
	c.left = p != NULL ? len : 0;
	return c;
}

static inline struct atp_span
atp_span_make(const void *p, size_t len)
{
	struct atp_span s;

	s.p = p;
	s.len = p != NULL ? len : 0;
	return s;
}

/* A span over a NUL-terminated literal (for tests and tables). */
struct atp_span atp_span_str(const char *s);

/* Takes one byte. */
int atp_cur_u8(struct atp_cur *c, uint8_t *out);
/* Looks at the next byte without taking it. */
int atp_cur_peek(const struct atp_cur *c, uint8_t *out);
/* Takes exactly @n bytes into @out (AGAIN if fewer are left). Inline: a
 * pcapng record takes a dozen (issue 8, the reader's speed). */
static inline int
atp_cur_take(struct atp_cur *c, size_t n, struct atp_span *out)
{
	if (c->left < n)
		return ATP_ERR_AGAIN;
	out->p = c->p;
	out->len = n;
	c->p += n;
	c->left -= n;
	return ATP_OK;
}
/* Takes the literal @lit (exact bytes). AGAIN if the bytes left are a proper
 * prefix of it, SYNTAX if they differ. */
int atp_cur_lit(struct atp_cur *c, const char *lit);
/* Same, ASCII case-insensitive. */
int atp_cur_lit_ci(struct atp_cur *c, const char *lit);
/* Takes bytes up to (not including) the first byte in @stops, or all that is
 * left. Always succeeds (the span may be empty). */
void atp_cur_until(struct atp_cur *c, const char *stops, struct atp_span *out);
/* Takes 1..20 decimal digits as an unsigned value <= @max (LIMIT above it,
 * checked before it overflows). No sign, no spaces. */
int atp_cur_dec(struct atp_cur *c, uint64_t *out, uint64_t max);
/* Takes 1..16 hex digits (either case) as a value <= @max. */
int atp_cur_hex(struct atp_cur *c, uint64_t *out, uint64_t max);

/* Span helpers. */
int atp_span_eq(struct atp_span a, const char *lit);      /* exact */
int atp_span_eq_ci(struct atp_span a, const char *lit);   /* ASCII case-insensitive */
int atp_span_eq_span(struct atp_span a, struct atp_span b);
/* A whole span as a decimal / hex number <= max (SYNTAX if anything trails). */
int atp_span_dec(struct atp_span s, uint64_t *out, uint64_t max);
int atp_span_hex(struct atp_span s, uint64_t *out, uint64_t max);
/* A signed decimal ("-4", "12") within [min, max]. */
int atp_span_sdec(struct atp_span s, int64_t *out, int64_t min, int64_t max);

/*
 * Writes @s into @buf (size @size, always NUL-terminated) as printable text:
 * printable ASCII as is (backslash doubled), \r \n \t as escapes, every other
 * byte as \xHH. Returns the length the full escaped text needs (like
 * snprintf), so a caller can tell it was cut.
 */
size_t atp_span_escape(struct atp_span s, char *buf, size_t size);
/* Writes @s as hex pairs separated by spaces, like snprintf. */
size_t atp_span_hex_dump(struct atp_span s, char *buf, size_t size);

#endif
