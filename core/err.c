/* SPDX-License-Identifier: MIT */
/* \summary: diagnostics and error strings */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "atproof/err.h"

void
atp_diag_clear(struct atp_diag *d)
{
	if (d == NULL)
		return;
	memset(d, 0, sizeof(*d));
}

static void
diag_vset(struct atp_diag *d, int code, const char *fmt, va_list ap)
{
	d->code = code;
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
}

int
atp_diag_set(struct atp_diag *d, int code, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return code;
	va_start(ap, fmt);
	diag_vset(d, code, fmt, ap);
	va_end(ap);
	return code;
}

int
atp_diag_at(struct atp_diag *d, int code, const char *source, unsigned long line,
    unsigned long col, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return code;
	d->source = source;
	d->line = line;
	d->col = col;
	va_start(ap, fmt);
	diag_vset(d, code, fmt, ap);
	va_end(ap);
	return code;
}

const char *
atp_diag_format(const struct atp_diag *d, char *buf, size_t size)
{
	if (size == 0)
		return buf;
	if (d == NULL) {
		buf[0] = '\0';
		return buf;
	}
	const char *msg = d->msg[0] != '\0' ? d->msg : atp_strerror(d->code);
	if (d->source != NULL && d->line > 0 && d->col > 0)
		snprintf(buf, size, "%s:%lu:%lu: %s", d->source, d->line, d->col, msg);
	else if (d->source != NULL && d->line > 0)
		snprintf(buf, size, "%s:%lu: %s", d->source, d->line, msg);
	else if (d->source != NULL)
		snprintf(buf, size, "%s: %s", d->source, msg);
	else
		snprintf(buf, size, "%s", msg);
	return buf;
}

const char *
atp_strerror(int err)
{
	switch ((enum atp_err)err) {
	case ATP_OK: return "success";
	case ATP_ERR_ARG: return "invalid argument";
	case ATP_ERR_NOMEM: return "out of memory";
	case ATP_ERR_IO: return "input/output error";
	case ATP_ERR_AGAIN: return "more bytes needed";
	case ATP_ERR_SYNTAX: return "syntax error";
	case ATP_ERR_PROTO: return "not allowed in this state";
	case ATP_ERR_LIMIT: return "limit exceeded";
	case ATP_ERR_TIMEOUT: return "timed out";
	case ATP_ERR_UNSUPP: return "not supported";
	case ATP_ERR_NOTFOUND: return "not found";
	}
	return "unknown error";
}
