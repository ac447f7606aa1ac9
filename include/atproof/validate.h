/* SPDX-License-Identifier: MIT */
/* \summary: the validator: findings for a command and the response it got */
#ifndef ATPROOF_VALIDATE_H
#define ATPROOF_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "atproof/cmd.h"
#include "atproof/cmdline.h"
#include "atproof/framer.h"
#include "atproof/profile.h"

/*
 * The protocol model as an oracle. Given what the host sent and what came
 * back, the validator reports every departure from the manual as a finding,
 * whatever a scenario expected. It never fails because the device is wrong:
 * findings go to a callback, the return value is for our own errors.
 *
 * When a departure is one of the catalogued deviations (profile.h), the
 * finding carries it: its rule is the deviation's id and its section the
 * one the deviation departs from. With a profile that has the deviation the
 * verdict is ATP_V_KNOWN (a warning); without, ATP_V_FAIL.
 */

enum atp_severity { ATP_SEV_INFO, ATP_SEV_WARNING, ATP_SEV_ERROR };
enum atp_verdict { ATP_V_PASS, ATP_V_FAIL, ATP_V_KNOWN, ATP_V_INCONC };

/* The validator's own rules (ids are stable: reports and diffs use them). */
#define ATP_RULE_CMD_UNKNOWN     "cmd-unknown"      /* name not in §1.2.1/§2.2 */
#define ATP_RULE_CMD_SYNTAX      "cmd-syntax"       /* line issues (§2.1) */
#define ATP_RULE_CMD_FORM        "cmd-form"         /* form the manual does not allow */
#define ATP_RULE_CMD_ARGS        "cmd-args"         /* arguments do not fit */
#define ATP_RULE_CMD_ARG_RANGE   "cmd-arg-range"    /* an argument out of range */
#define ATP_RULE_RESP_SHAPE      "resp-shape"       /* body does not match */
#define ATP_RULE_RESP_RANGE      "resp-range"       /* a value out of range */
#define ATP_RULE_RESP_ERRCODE    "resp-errcode"     /* code not in §1.2.2 / not the command's */
#define ATP_RULE_RESP_EXPECTED_ERR "resp-expected-error" /* +OK where the manual requires +ERR */
#define ATP_RULE_RESP_TERM       "resp-terminator"  /* not CR LF CR LF (§2.1) */
#define ATP_RULE_REPORT_SHAPE    "report-shape"     /* a report's line does not match */
#define ATP_RULE_FRAME_INCOMPLETE "frame-incomplete" /* the frame never ended */
#define ATP_RULE_TEXT_UNEXPECTED "text-unexpected"  /* a line that is none of the above */
#define ATP_RULE_STRAY_BYTES     "stray-bytes"      /* CR/LF belonging to no line */

struct atp_finding {
	const char *rule;            /* ATP_RULE_* or a deviation id */
	enum atp_severity severity;
	enum atp_verdict verdict;
	const char *section;         /* manual section, e.g. "2.1" */
	const struct atp_cmd *cmd;   /* NULL when no command applies */
	const struct atp_deviation *deviation; /* NULL unless a known one */
	uint64_t offset;             /* stream offset of the bytes concerned */
	char message[256];           /* what, expected vs actual, escaped */
};

typedef void atp_finding_fn(void *ctx, const struct atp_finding *f);

/*
 * Checks a command line the host sent (@cl from atp_cmdline_parse()):
 * unknown command, form not allowed by the manual, arguments that do not fit
 * the command's pattern or are out of range, and the line issues of
 * cmdline.h. These are findings about the *host* (a scenario or a field log
 * whose host side is wrong), reported with severity WARNING.
 * @offset is where the line starts in its stream.
 */
int atp_validate_cmdline(const struct atp_cmdline *cl, uint64_t offset,
    const struct atp_profile *prof, atp_finding_fn *cb, void *ctx);

/*
 * Checks the response @resp (a RESPONSE frame) to the command @cl: the
 * body against the reply shape of the command and form, values against
 * their ranges, the error code against §1.2.2 and the command's list, the
 * terminator against CR LF CR LF, and whether the manual required an error
 * (a form it does not allow: -3; arguments that do not fit: -4) where +OK
 * came back. Catalogued deviations are recognised as described above.
 * @cl may be NULL when the command is unknown (then only generic checks run).
 */
int atp_validate_response(const struct atp_cmdline *cl, const struct atp_frame *resp,
    const struct atp_profile *prof, atp_finding_fn *cb, void *ctx);

/* Checks a REPORT frame against its pattern and terminator. */
int atp_validate_report(const struct atp_frame *rep, const struct atp_profile *prof,
    atp_finding_fn *cb, void *ctx);

/*
 * Checks any other frame that reached the host outside an exchange: TEXT
 * lines, STRAY bytes and INCOMPLETE frames become findings.
 */
int atp_validate_other(const struct atp_frame *f, const struct atp_profile *prof,
    atp_finding_fn *cb, void *ctx);

const char *atp_verdict_name(enum atp_verdict v);    /* "pass" "fail" "known" "inconc" */
const char *atp_severity_name(enum atp_severity s);  /* "info" "warning" "error" */

#endif
