/* SPDX-License-Identifier: MIT */
/* \summary: fuzz target: the HTTP peer's request parser on any bytes */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/hns_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The HTTP peer reads what the module's HTTP client sends, request after
 * request on one connection. The target parses the input as the peer
 * does (pipelined requests, each removed when whole) and checks that the
 * parser stays within its input and its ceilings, that a request it
 * wants more bytes for asks for more than it has (the peer waits for
 * them: asking for fewer would spin), that a whole request's every proper
 * prefix wants more, and that the decoded body does not depend on
 * whether it is copied.
 */
static uint8_t body[HNS_HTTP_BODY_MAX];

static int
within(struct atp_span s, const uint8_t *b, size_t n)
{
	return s.len == 0 || (s.p >= b && s.p + s.len <= b + n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *b = data;
	size_t n = size, k;
	struct hns_http_req r, q;
	int rc;

	for (;;) {
		rc = hns_http_parse(b, n, &r, body, sizeof(body));
		if (rc != HNS_HTTP_MORE && rc != HNS_HTTP_DONE && rc != HNS_HTTP_BAD &&
		    rc != HNS_HTTP_HEAD_BIG && rc != HNS_HTTP_BODY_BIG && rc != HNS_HTTP_UNSUPP)
			abort();
		if (rc < 0) {
			if (r.why[0] == '\0' || memchr(r.why, '\0', sizeof(r.why)) == NULL)
				abort();
			return 0;
		}
		if (rc == HNS_HTTP_MORE) {
			if (r.need <= n)
				abort();
			return 0;
		}
		if (r.len == 0 || r.len > n || r.head_len == 0 || r.head_len > r.len ||
		    r.head_len > HNS_HTTP_HEAD_MAX || r.body_len > HNS_HTTP_BODY_MAX ||
		    r.method.len == 0 || !within(r.method, b, r.head_len) ||
		    !within(r.target, b, r.head_len) ||
		    (!within(r.path, b, r.head_len) && !atp_span_eq(r.path, "/")))
			abort();
		if (!r.chunked && r.head_len + r.body_len != r.len)
			abort();
		if (hns_http_parse(b, n, &q, NULL, 0) != HNS_HTTP_DONE || q.len != r.len ||
		    q.body_len != r.body_len || q.close != r.close)
			abort();
		/* A few proper prefixes (all of them is quadratic). */
		for (k = r.len - 1; k > 0 && k + 8 > r.len; k--)
			if (hns_http_parse(b, k, &q, NULL, 0) != HNS_HTTP_MORE)
				abort();
		if (hns_http_parse(b, r.len / 2, &q, NULL, 0) != HNS_HTTP_MORE)
			abort();
		b += r.len;
		n -= r.len;
		if (r.close || n == 0)
			return 0;
	}
}
