/* SPDX-License-Identifier: MIT */
/* \summary: two one-way raw files interleaved into one session by the protocol */
#include <string.h>

#include "analyzer/ana.h"
#include "atproof/alloc.h"
#include "atproof/cmd.h"
#include "atproof/cursor.h"

/* A record that starts a response: "+OK" or "+ERR". */
static int
is_response(const struct atp_rec *r)
{
	struct atp_span b = r->bytes;
	return (b.len >= 3 && memcmp(b.p, "+OK", 3) == 0) || (b.len >= 4 && memcmp(b.p, "+ERR", 4) == 0);
}

/* The command of the last command line in a host record (payload bytes
 * may come before it in the same record), or NULL. */
static const struct atp_cmd *
last_cmd(const struct atp_rec *r)
{
	size_t i = r->bytes.len;
	struct atp_cur c;
	struct atp_span name;

	/* i is one past the '+' of the last "AT+" (any case). */
	for (; i >= 3; i--)
		if (ATP_TOUPPER(r->bytes.p[i - 3]) == 'A' && ATP_TOUPPER(r->bytes.p[i - 2]) == 'T' &&
		    r->bytes.p[i - 1] == '+')
			break;
	if (i < 3)
		return NULL;
	c = atp_cur_make(r->bytes.p + i, r->bytes.len - i);
	atp_cur_until(&c, "=\r\n", &name);
	return atp_cmd_find(name);
}

static int
ends_frame(const struct atp_rec *r)
{
	struct atp_span b = r->bytes;
	return b.len >= 4 && memcmp(b.p + b.len - 4, "\r\n\r\n", 4) == 0;
}

/*
 * Two one-way raw files (slsnif -i/-o, a tee per direction) have no times,
 * so their interleaving is rebuilt from the protocol: a host line, then the
 * module's lines up to the end of the response that answers it (a list goes
 * on to its CR LF CR LF; SKRCV's +OK=<n> takes its <n> bytes too), as the
 * firmware answers one command at a time (w600-firmware.md §1.2).
 */
int
ana_pair_feed(struct ana_session *s, struct ana_imp *host, struct ana_imp *mod,
    const char *hname, const char *mname, struct atp_diag *d)
{
	uint8_t *rest = atp_malloc(ANA_RAW_BLOCK);   /* the bytes after SKRCV's data */
	size_t rest_len = 0;
	uint64_t rest_off = 0;
	struct atp_rec r, rr;
	int hrc = 1, mrc = 1, rc = ATP_OK;

	if (rest == NULL)
		return ATP_ERR_NOMEM;

	while (hrc == 1 || mrc == 1 || rest_len > 0) {
		int skrcv = 0, in_resp = 0, list = 0;
		uint64_t want = 0, got = 0;

		if (hrc == 1) {
			hrc = ana_imp_next(host, &r, d);
			if (hrc < 0) {
				rc = hrc;
				goto out;
			}
			if (hrc == 1) {
				r.src_file = hname;
				const struct atp_cmd *c = last_cmd(&r);
				skrcv = c != NULL && strcmp(c->name, "SKRCV") == 0;
				list = c != NULL && (c->flags & ATP_CMD_LIST) != 0;
				if ((rc = ana_session_feed(s, &r)) != ATP_OK)
					goto out;
				/* Payload with no line end (SKSND data) is answered by
				 * nothing; a line is a command to answer. */
				if (r.bytes.len == 0 || (r.bytes.p[r.bytes.len - 1] != '\r' &&
				    r.bytes.p[r.bytes.len - 1] != '\n'))
					continue;
			}
		}
		for (;;) {
			if (rest_len > 0) {
				memset(&rr, 0, sizeof(rr));
				rr.dir = ATP_DIR_FROM_MODULE;
				rr.flags = ATP_RECF_NO_TIME;
				rr.bytes = atp_span_make(rest, rest_len);
				rr.src_offset = rest_off;
				r = rr;
				rest_len = 0;
			} else if (mrc == 1) {
				mrc = ana_imp_next(mod, &r, d);
				if (mrc < 0) {
					rc = mrc;
					goto out;
				}
				if (mrc == 0)
					break;
			} else {
				break;
			}
			r.src_file = mname;
			if (want > 0 && got + r.bytes.len > want) {
				/* SKRCV's data ends inside this record: the rest
				 * waits for the next command. */
				size_t keep = (size_t)(want - got);
				rest_len = r.bytes.len - keep;
				rest_off = r.src_offset + keep;
				memmove(rest, r.bytes.p + keep, rest_len);
				r.bytes.len = keep;
			}
			if (r.bytes.len > 0 && (rc = ana_session_feed(s, &r)) != ATP_OK)
				goto out;
			if (want > 0) {
				got += r.bytes.len;
				if (got >= want)
					break;
				continue;
			}
			if (is_response(&r))
				in_resp = 1;
			if (in_resp && skrcv && r.bytes.len > 4 && memcmp(r.bytes.p, "+OK=", 4) == 0) {
				struct atp_cur c = atp_cur_make(r.bytes.p + 4, r.bytes.len - 4);
				if (atp_cur_dec(&c, &want, 1u << 20) == ATP_OK && want > 0)
					continue;
				want = 0;
			}
			/* A list goes on to its CR LF CR LF; any other response
			 * ends the exchange, whatever its terminator. */
			if (in_resp && (!list || ends_frame(&r)) && hrc == 1)
				break;
		}
		if (hrc != 1 && mrc != 1 && rest_len == 0)
			break;
	}
	rc = ATP_OK;
out:
	atp_free(rest);
	return rc;
}
