/* SPDX-License-Identifier: MIT */
/* \summary: fuzz target: ${} expansion and secret masking on any bytes */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/hns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Scenario text is expanded with values that come from the device
 * (captures) and the command line, and every output is masked; a secret
 * that slips through the mask is a leak. Input: lines "name=value" (a
 * leading '!' makes it secret; a repeated name changes the value, and the
 * old secret must stay masked), up to the first empty line; the rest is a
 * template. The target checks that expansion never crashes, and that no
 * secret without a '*' (the mask's own byte) is left in the masked output.
 */
static int
contains(const char *h, size_t hl, const char *n, size_t nl)
{
	size_t i;

	for (i = 0; nl > 0 && i + nl <= hl; i++)
		if (memcmp(h + i, n, nl) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hns_vars vs = { NULL, 0 };
	struct atp_diag d;
	const char *p = (const char *)data, *end = p + size, *nl, *eq;
	char name[64], *tmpl, *out = NULL, *m;
	size_t outlen = 0, mlen = 0, i;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL && nl > p) {
		int secret = p[0] == '!';
		const char *n0 = p + secret;
		eq = memchr(n0, '=', (size_t)(nl - n0));
		if (eq != NULL && eq > n0 && (size_t)(eq - n0) < sizeof(name) &&
		    memchr(n0, 0, (size_t)(eq - n0)) == NULL) {
			memcpy(name, n0, (size_t)(eq - n0));
			name[eq - n0] = '\0';
			(void)hns_vars_set(&vs, name, eq + 1, (size_t)(nl - eq - 1), secret);
		}
		p = nl + 1;
	}
	if (p < end && *p == '\n')
		p++;
	tmpl = atp_malloc((size_t)(end - p) + 1);
	if (tmpl == NULL)
		abort();
	memcpy(tmpl, p, (size_t)(end - p));
	tmpl[end - p] = '\0';
	atp_diag_clear(&d);
	if (hns_expand(&vs, tmpl, &out, &outlen, &d) == ATP_OK) {
		if (out == NULL || strlen(out) > outlen)
			abort();
		m = hns_mask(&vs, out, outlen, &mlen);
		if (m == NULL)
			abort();
		for (i = 0; i < vs.n; i++)
			if (vs.v[i].secret && memchr(vs.v[i].value, '*', vs.v[i].len) == NULL &&
			    contains(m, mlen, vs.v[i].value, vs.v[i].len))
				abort();
		atp_free(m);
		atp_free(out);
	} else if (out != NULL) {
		abort();
	}
	atp_free(tmpl);
	hns_vars_clear(&vs);
	return 0;
}
