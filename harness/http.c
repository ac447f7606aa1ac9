/* SPDX-License-Identifier: MIT */
/* \summary: the HTTP peer's request parser: HTTP/1.1 on bounded input */
#include <stdio.h>
#include <string.h>

#include "harness/hns_run.h"

/*
 * What the module's HTTP client sends (HTTPC, w600-firmware.md §10) is
 * untrusted bytes: the request line, the headers and the body are read
 * through the cursor, within HNS_HTTP_HEAD_MAX and a body ceiling
 * (HNS_HTTP_BODY_MAX unless the peer's max_body says more, up to
 * HNS_HTTP_BODY_HARD_MAX; RFC 9112). The parser keeps no state: it reads the buffer from its
 * start and says whether a whole request is there, how long it is, and
 * where the next read is worth trying (need), so that a body arriving in
 * pieces is not parsed again at every piece.
 */
#define CHUNK_LINE_MAX 256   /* a chunk-size line, extensions included */

static int
bad(struct hns_http_req *r, int rc, const char *why)
{
	snprintf(r->why, sizeof(r->why), "%s", why);
	return rc;
}

/* A line up to LF, without its CR. 0, or AGAIN when no LF came yet. */
static int
line(struct atp_cur *c, struct atp_span *out)
{
	struct atp_cur t = *c;
	uint8_t lf;

	atp_cur_until(&t, "\n", out);
	if (atp_cur_u8(&t, &lf) != ATP_OK)
		return ATP_ERR_AGAIN;
	if (out->len > 0 && out->p[out->len - 1] == '\r')
		out->len--;
	*c = t;
	return ATP_OK;
}

/* RFC 9110 §5.6.2 token characters. */
static int
tchar(uint8_t ch)
{
	return ATP_ISALNUM(ch) || (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static struct atp_span
trim(struct atp_span s)
{
	while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}

/* Whether the comma-separated list @v holds the token @tok. */
static int
has_token(struct atp_span v, const char *tok)
{
	struct atp_cur c = atp_cur_make(v.p, v.len);
	struct atp_span item;
	uint8_t comma;

	while (c.left > 0) {
		atp_cur_until(&c, ",", &item);
		(void)atp_cur_u8(&c, &comma);
		if (atp_span_eq_ci(trim(item), tok))
			return 1;
	}
	return 0;
}

/* METHOD SP request-target SP HTTP/1.x (RFC 9112 §3). */
static int
request_line(struct atp_span l, struct hns_http_req *r)
{
	struct atp_cur c = atp_cur_make(l.p, l.len);
	struct atp_span t;
	uint64_t minor;
	size_t i;

	atp_cur_until(&c, " ", &r->method);
	if (r->method.len == 0 || atp_cur_lit(&c, " ") != ATP_OK)
		return -1;
	for (i = 0; i < r->method.len; i++)
		if (!tchar(r->method.p[i]))
			return -1;
	atp_cur_until(&c, " ", &r->target);
	if (r->target.len == 0 || atp_cur_lit(&c, " ") != ATP_OK ||
	    atp_cur_lit(&c, "HTTP/1.") != ATP_OK || atp_cur_dec(&c, &minor, 9) != ATP_OK ||
	    c.left != 0)
		return -1;
	for (i = 0; i < r->target.len; i++)
		if (!ATP_ISPRINT(r->target.p[i]))
			return -1;
	r->minor = (int)minor;
	/* The path: absolute-form (a proxy's) loses its scheme and
	 * authority; the query goes. */
	t = r->target;
	c = atp_cur_make(t.p, t.len);
	if (atp_cur_lit_ci(&c, "http://") == ATP_OK) {
		struct atp_span auth;
		atp_cur_until(&c, "/?", &auth);
		t = atp_span_make(c.p, c.left);
	}
	c = atp_cur_make(t.p, t.len);
	atp_cur_until(&c, "?#", &r->path);
	/* No path after the authority is "/" (RFC 9112 §3.2.2): the answer
	 * for "/" is what such a client wants. */
	if (r->path.len == 0)
		r->path = atp_span_str("/");
	return 0;
}

/* One header field; the ones that frame the request or end it. */
static int
header(struct atp_span l, struct hns_http_req *r, size_t max_body, int *have_cl, uint64_t *cl,
    int *te, int *keep)
{
	struct atp_cur c = atp_cur_make(l.p, l.len);
	struct atp_span name, v;
	uint64_t n;
	size_t i;

	/* obs-fold (a line that starts with a space) is refused, as RFC 9112
	 * §5.2 lets a server do. */
	atp_cur_until(&c, ":", &name);
	if (name.len == 0 || atp_cur_lit(&c, ":") != ATP_OK)
		return bad(r, HNS_HTTP_BAD, "a header line without a name and a colon");
	for (i = 0; i < name.len; i++)
		if (!tchar(name.p[i]))
			return bad(r, HNS_HTTP_BAD, "a header name with a space or a control byte");
	v = trim(atp_span_make(c.p, c.left));
	if (atp_span_eq_ci(name, "Content-Length")) {
		int rc = atp_span_dec(v, &n, max_body);
		if (rc == ATP_ERR_LIMIT)
			return bad(r, HNS_HTTP_BODY_BIG, "a Content-Length over the body ceiling");
		if (rc != ATP_OK)
			return bad(r, HNS_HTTP_BAD, "a Content-Length that is not a number");
		if (*have_cl && n != *cl)
			return bad(r, HNS_HTTP_BAD, "two Content-Length headers that differ");
		*have_cl = 1;
		*cl = n;
	} else if (atp_span_eq_ci(name, "Transfer-Encoding")) {
		/* chunked alone: a compressed body is not what a module sends. */
		if (!atp_span_eq_ci(v, "chunked"))
			return bad(r, HNS_HTTP_UNSUPP, "a Transfer-Encoding other than chunked");
		*te = 1;
	} else if (atp_span_eq_ci(name, "Connection")) {
		if (has_token(v, "close"))
			r->close = 1;
		if (has_token(v, "keep-alive"))
			*keep = 1;
	} else if (atp_span_eq_ci(name, "Expect")) {
		if (atp_span_eq_ci(v, "100-continue"))
			r->expect_continue = 1;
	}
	return HNS_HTTP_DONE;
}

/* A chunked body from @c (RFC 9112 §7.1), decoded into @body. */
static int
chunked(const uint8_t *b, struct atp_cur *c, struct hns_http_req *r, uint8_t *body,
    size_t cap, size_t max_body)
{
	struct atp_span l, data;
	struct atp_cur lc;
	uint64_t size;
	size_t trailers = 0;
	const uint8_t *start;
	uint8_t ch;
	int rc;

	for (;;) {
		start = c->p;
		if (line(c, &l) != ATP_OK) {
			if (c->left > CHUNK_LINE_MAX)
				return bad(r, HNS_HTTP_BAD, "a chunk-size line over 256 bytes");
			r->need = (size_t)(c->p - b) + c->left + 1;
			return HNS_HTTP_MORE;
		}
		/* The same ceiling on a line that ended (its bytes before the
		 * LF, as counted above): a request must not pass whole and
		 * fail in pieces, or the verdict hangs on how TCP cut it. */
		if ((size_t)(c->p - start) - 1 > CHUNK_LINE_MAX)
			return bad(r, HNS_HTTP_BAD, "a chunk-size line over 256 bytes");
		lc = atp_cur_make(l.p, l.len);
		rc = atp_cur_hex(&lc, &size, max_body);
		if (rc == ATP_ERR_LIMIT)
			return bad(r, HNS_HTTP_BODY_BIG, "a chunk over the body ceiling");
		if (rc != ATP_OK || (atp_cur_peek(&lc, &ch) == ATP_OK && ch != ';' && ch != ' ' &&
		    ch != '\t'))
			return bad(r, HNS_HTTP_BAD, "a chunk size that is not hex digits");
		if (r->body_len + size > max_body)
			return bad(r, HNS_HTTP_BODY_BIG, "chunks over the body ceiling");
		if (size == 0)
			break;
		if (atp_cur_take(c, (size_t)size, &data) != ATP_OK) {
			r->need = (size_t)(c->p - b) + (size_t)size + 2;
			return HNS_HTTP_MORE;
		}
		if (body != NULL && r->body_len + data.len <= cap)
			memcpy(body + r->body_len, data.p, data.len);
		r->body_len += data.len;
		rc = atp_cur_lit(c, "\r\n");
		if (rc == ATP_ERR_SYNTAX)
			rc = atp_cur_lit(c, "\n");
		if (rc == ATP_ERR_AGAIN) {
			r->need = (size_t)(c->p - b) + 2;
			return HNS_HTTP_MORE;
		}
		if (rc != ATP_OK)
			return bad(r, HNS_HTTP_BAD, "a chunk longer than its size");
	}
	/* Trailer fields, read and dropped, up to the empty line. */
	for (;;) {
		if (line(c, &l) != ATP_OK) {
			if (trailers + c->left > HNS_HTTP_HEAD_MAX)
				return bad(r, HNS_HTTP_HEAD_BIG, "trailers over the header ceiling");
			r->need = (size_t)(c->p - b) + c->left + 1;
			return HNS_HTTP_MORE;
		}
		trailers += l.len + 2;
		if (trailers > HNS_HTTP_HEAD_MAX)
			return bad(r, HNS_HTTP_HEAD_BIG, "trailers over the header ceiling");
		if (l.len == 0)
			break;
	}
	r->len = (size_t)(c->p - b);
	return HNS_HTTP_DONE;
}

int
hns_http_parse(const uint8_t *b, size_t n, struct hns_http_req *r, uint8_t *body, size_t cap)
{
	return hns_http_parse_max(b, n, r, body, cap, HNS_HTTP_BODY_MAX);
}

int
hns_http_parse_max(const uint8_t *b, size_t n, struct hns_http_req *r, uint8_t *body,
    size_t cap, size_t max_body)
{
	struct atp_cur c = atp_cur_make(b, n);
	struct atp_span l;
	uint64_t cl = 0;
	int have_cl = 0, te = 0, keep = 0, rc;
	size_t nlines = 0;

	memset(r, 0, sizeof(*r));
	/* Empty lines before the request line are ignored (RFC 9112 §2.2):
	 * a client may send a CRLF after a POST body. */
	while (atp_cur_lit(&c, "\r\n") == ATP_OK || atp_cur_lit(&c, "\n") == ATP_OK)
		;
	for (;;) {
		if (line(&c, &l) != ATP_OK) {
			if ((size_t)(c.p - b) + c.left > HNS_HTTP_HEAD_MAX)
				return bad(r, HNS_HTTP_HEAD_BIG, "headers over the header ceiling");
			r->need = n + 1;
			return HNS_HTTP_MORE;
		}
		if ((size_t)(c.p - b) > HNS_HTTP_HEAD_MAX)
			return bad(r, HNS_HTTP_HEAD_BIG, "headers over the header ceiling");
		if (nlines++ == 0) {
			if (request_line(l, r) < 0)
				return bad(r, HNS_HTTP_BAD, "a request line that is not "
				    "METHOD SP target SP HTTP/1.x");
			continue;
		}
		if (l.len == 0)
			break;
		if (l.p[0] == ' ' || l.p[0] == '\t')
			return bad(r, HNS_HTTP_BAD, "a folded header line (obs-fold)");
		rc = header(l, r, max_body, &have_cl, &cl, &te, &keep);
		if (rc != HNS_HTTP_DONE)
			return rc;
	}
	r->head_len = (size_t)(c.p - b);
	/* HTTP/1.0 closes unless it asked to stay (RFC 9112 §9.3). */
	if (r->minor == 0 && !keep)
		r->close = 1;
	if (te && have_cl)
		return bad(r, HNS_HTTP_BAD, "both Content-Length and Transfer-Encoding");
	if (te) {
		r->chunked = 1;
		return chunked(b, &c, r, body, cap, max_body);
	}
	if (c.left < cl) {
		r->need = r->head_len + (size_t)cl;
		return HNS_HTTP_MORE;
	}
	if (body != NULL && cl <= cap)
		memcpy(body, c.p, (size_t)cl);
	r->body_len = (size_t)cl;
	r->len = r->head_len + (size_t)cl;
	return HNS_HTTP_DONE;
}
