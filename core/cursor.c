/* SPDX-License-Identifier: MIT */
/* \summary: bounded cursor over untrusted bytes */
#include <stdio.h>
#include <string.h>

#include "atproof/cursor.h"
#include "atproof/err.h"

struct atp_span
atp_span_str(const char *s)
{
	return atp_span_make(s, s != NULL ? strlen(s) : 0);
}

int
atp_cur_u8(struct atp_cur *c, uint8_t *out)
{
	if (c->left == 0)
		return ATP_ERR_AGAIN;
	*out = c->p[0];
	c->p++;
	c->left--;
	return ATP_OK;
}

int
atp_cur_peek(const struct atp_cur *c, uint8_t *out)
{
	if (c->left == 0)
		return ATP_ERR_AGAIN;
	*out = c->p[0];
	return ATP_OK;
}

static int
cur_lit(struct atp_cur *c, const char *lit, int ci)
{
	size_t n = strlen(lit);
	size_t i;

	for (i = 0; i < n && i < c->left; i++) {
		uint8_t a = c->p[i], b = (uint8_t)lit[i];
		if (ci ? ATP_TOUPPER(a) != ATP_TOUPPER(b) : a != b)
			return ATP_ERR_SYNTAX;
	}
	if (i < n)
		return ATP_ERR_AGAIN;
	c->p += n;
	c->left -= n;
	return ATP_OK;
}

int
atp_cur_lit(struct atp_cur *c, const char *lit)
{
	return cur_lit(c, lit, 0);
}

int
atp_cur_lit_ci(struct atp_cur *c, const char *lit)
{
	return cur_lit(c, lit, 1);
}

void
atp_cur_until(struct atp_cur *c, const char *stops, struct atp_span *out)
{
	size_t i;

	for (i = 0; i < c->left; i++)
		if (c->p[i] != 0 && strchr(stops, c->p[i]) != NULL)
			break;
	out->p = c->p;
	out->len = i;
	c->p += i;
	c->left -= i;
}

static int
digit_val(uint8_t ch, unsigned base)
{
	if (ATP_ISDIGIT(ch))
		return ch - '0';
	if (base == 16 && ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (base == 16 && ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The curl str_num_base shape: refuse before the multiplication overflows. */
static int
cur_num(struct atp_cur *c, uint64_t *out, uint64_t max, unsigned base, size_t maxdigits)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < c->left; i++) {
		int d = digit_val(c->p[i], base);
		if (d < 0)
			break;
		if (i >= maxdigits)
			return ATP_ERR_LIMIT;
		/* d > max first: max - d would wrap for a one-digit number */
		if ((uint64_t)d > max || v > (max - (uint64_t)d) / base)
			return ATP_ERR_LIMIT;
		v = v * base + (uint64_t)d;
	}
	if (i == 0)
		return c->left == 0 ? ATP_ERR_AGAIN : ATP_ERR_SYNTAX;
	*out = v;
	c->p += i;
	c->left -= i;
	return ATP_OK;
}

int
atp_cur_dec(struct atp_cur *c, uint64_t *out, uint64_t max)
{
	return cur_num(c, out, max, 10, 20);
}

int
atp_cur_hex(struct atp_cur *c, uint64_t *out, uint64_t max)
{
	return cur_num(c, out, max, 16, 16);
}

int
atp_span_eq(struct atp_span a, const char *lit)
{
	size_t n = strlen(lit);
	return a.len == n && (n == 0 || memcmp(a.p, lit, n) == 0);
}

int
atp_span_eq_ci(struct atp_span a, const char *lit)
{
	size_t n = strlen(lit);
	size_t i;

	if (a.len != n)
		return 0;
	for (i = 0; i < n; i++)
		if (ATP_TOUPPER(a.p[i]) != ATP_TOUPPER(lit[i]))
			return 0;
	return 1;
}

int
atp_span_eq_span(struct atp_span a, struct atp_span b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static int
span_num(struct atp_span s, uint64_t *out, uint64_t max, unsigned base)
{
	struct atp_cur c = atp_cur_make(s.p, s.len);
	int rc = cur_num(&c, out, max, base, base == 10 ? 20 : 16);

	if (rc == ATP_ERR_AGAIN)
		return ATP_ERR_SYNTAX;
	if (rc < 0)
		return rc;
	return c.left == 0 ? ATP_OK : ATP_ERR_SYNTAX;
}

int
atp_span_dec(struct atp_span s, uint64_t *out, uint64_t max)
{
	return span_num(s, out, max, 10);
}

int
atp_span_hex(struct atp_span s, uint64_t *out, uint64_t max)
{
	return span_num(s, out, max, 16);
}

int
atp_span_sdec(struct atp_span s, int64_t *out, int64_t min, int64_t max)
{
	int neg = s.len > 0 && s.p[0] == '-';
	struct atp_span mag = atp_span_make(s.p + neg, s.len - (size_t)neg);
	uint64_t lim = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
	uint64_t v;
	int64_t r;
	int rc = span_num(mag, &v, lim, 10);

	if (rc < 0)
		return rc;
	if (neg)
		r = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
	else
		r = (int64_t)v;
	if (r < min || r > max)
		return ATP_ERR_LIMIT;
	*out = r;
	return ATP_OK;
}

size_t
atp_span_escape(struct atp_span s, char *buf, size_t size)
{
	size_t need = 0, i;
	char tmp[8];

	for (i = 0; i < s.len; i++) {
		uint8_t ch = s.p[i];
		const char *piece;
		size_t plen;

		if (ch == '\\')
			piece = "\\\\";
		else if (ch == '\r')
			piece = "\\r";
		else if (ch == '\n')
			piece = "\\n";
		else if (ch == '\t')
			piece = "\\t";
		else if (ATP_ISPRINT(ch)) {
			tmp[0] = (char)ch;
			tmp[1] = '\0';
			piece = tmp;
		} else {
			snprintf(tmp, sizeof(tmp), "\\x%02X", ch);
			piece = tmp;
		}
		plen = strlen(piece);
		if (size > 0 && need + plen < size)
			memcpy(buf + need, piece, plen);
		else if (size > 0 && need < size)
			size = need + 1; /* stop writing: keep it a clean cut */
		need += plen;
	}
	if (size > 0)
		buf[need < size ? need : size - 1] = '\0';
	return need;
}

size_t
atp_span_hex_dump(struct atp_span s, char *buf, size_t size)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t need = 0, i;

	for (i = 0; i < s.len; i++) {
		char piece[3];
		size_t plen = 0, k;
		if (i > 0)
			piece[plen++] = ' ';
		piece[plen++] = hexd[s.p[i] >> 4];
		piece[plen++] = hexd[s.p[i] & 15];
		for (k = 0; k < plen; k++, need++)
			if (need + 1 < size)
				buf[need] = piece[k];
	}
	if (size > 0)
		buf[need < size ? need : size - 1] = '\0';
	return need;
}
