/* SPDX-License-Identifier: MIT */
/* \summary: the command table: every command and report of the manual */
#ifndef ATPROOF_CMD_H
#define ATPROOF_CMD_H

#include <stddef.h>

#include "atproof/cursor.h"
#include "atproof/err.h"
#include "atproof/shape.h"

/*
 * The protocol model's knowledge of the Air602 AT command set, as data
 * (core/cmd_table.def, one X-macro row per command). Each command records
 * the forms the manual allows, its arguments and response shapes as
 * shape.h patterns, the error codes it may return, whether a binary phase
 * follows, and the manual section it comes from
 * ("Air602 AT Command User Manual V1.1", cited as §x.y.z).
 */

/* The four forms of a command (manual §2.1). The bit values are those of
 * the firmware's op_flag (w600-firmware.md §2), so a firmware mask and a
 * manual mask can be compared directly. */
enum atp_form {
	ATP_FORM_BARE = 0x01,   /* AT+X */
	ATP_FORM_SET = 0x02,    /* AT+X=args   (RAM only) */
	ATP_FORM_FLASH = 0x04,  /* AT+X=!args  (RAM and flash) */
	ATP_FORM_QUERY = 0x08,  /* AT+X=?      (query) */
};
#define ATP_FORMS_ALL (ATP_FORM_BARE | ATP_FORM_SET | ATP_FORM_FLASH | ATP_FORM_QUERY)
#define ATP_FORMS_PARAM (ATP_FORM_SET | ATP_FORM_FLASH | ATP_FORM_QUERY)

/* The operator text of a form: "", "=", "=!", "=?". */
const char *atp_form_op(enum atp_form f);
/* A short name of a form: "bare", "set", "flash", "query". */
const char *atp_form_name(enum atp_form f);

/* What follows a successful response. */
enum atp_phase {
	ATP_PHASE_NONE,
	ATP_PHASE_HOST_DATA,    /* SKSND: the host sends +OK=<n> raw bytes */
	ATP_PHASE_DEVICE_DATA,  /* SKRCV: the module sends +OK=<n> raw bytes */
	ATP_PHASE_TRANSPARENT,  /* ENTM: raw both ways until "+++" */
};

/* Command flags. */
#define ATP_CMD_LIST     0x001u /* reply continues on lines of list_entry */
#define ATP_CMD_BLOCKING 0x002u /* takes time on a real module (join, scan, connect) */
#define ATP_CMD_SECRET   0x004u /* arguments hold a key or password: mask them */
#define ATP_CMD_RESET    0x008u /* the module resets after replying */
#define ATP_CMD_LEGACY   0x010u /* named in the §1.2.1 table only; no definition */
#define ATP_CMD_MQTT     0x020u /* MQTT set (§2.2.4), in no public firmware */
#define ATP_CMD_PARAM    0x040u /* a stored parameter with RAM and flash copies */

struct atp_cmd {
	const char *name;         /* "WPRT"; "" for the null command AT+ */
	const char *section;      /* manual section, "2.2.2.1" */
	const char *summary;      /* one line */
	unsigned forms;           /* enum atp_form bits the manual allows */
	unsigned fw_forms;        /* op_flag of the firmware (luat/g3) */
	unsigned fw_min_args;     /* firmware: fewer args with =/=! gives -2 */
	unsigned flags;           /* ATP_CMD_* */
	enum atp_phase phase;
	const char *args;         /* pattern of the arguments of = and =! ("" none) */
	const char *reply_set;    /* reply to = and =! */
	const char *reply_query;  /* reply to =? */
	const char *reply_bare;   /* reply to AT+X */
	const char *list_entry;   /* ATP_CMD_LIST: pattern of each entry */
	const char *errors;       /* error codes the manual lets it return, "-2 -4" */
	const char *note;         /* the model's reading where the manual is unclear */
};

/* The number of commands and the i-th (in table order). */
size_t atp_cmd_count(void);
const struct atp_cmd *atp_cmd_at(size_t i);
/* Looks a command up by name, ASCII case-insensitive (firmware §1.3 upper-
 * cases names). NULL if it is not in the manual. */
const struct atp_cmd *atp_cmd_find(struct atp_span name);
const struct atp_cmd *atp_cmd_find_str(const char *name);

/* The reply pattern of @cmd for @form (reply_bare falls back to
 * reply_query for parameter commands), or NULL if the form has none. */
const char *atp_cmd_reply(const struct atp_cmd *cmd, enum atp_form form);

/*
 * Compiled shapes of a command, built once on first use and kept for the
 * life of the process (thread-safe after atp_model_init()). NULL where the
 * pattern is empty. atp_model_init() compiles every pattern of the tables
 * and fails if one is malformed, which makes a table typo a test failure.
 */
int atp_model_init(struct atp_diag *d);
void atp_model_free(void);
const struct atp_shape *atp_cmd_args_shape(const struct atp_cmd *cmd);
const struct atp_shape *atp_cmd_reply_shape(const struct atp_cmd *cmd, enum atp_form form);
const struct atp_shape *atp_cmd_entry_shape(const struct atp_cmd *cmd);

/* True if @code is in the command's documented error list. */
int atp_cmd_error_documented(const struct atp_cmd *cmd, long code);

/* The error codes of §1.2.2. */
struct atp_errcode {
	long code;
	const char *name;         /* "INV_PARAMS" */
	const char *text;         /* the manual's description */
};
size_t atp_errcode_count(void);
const struct atp_errcode *atp_errcode_at(size_t i);
const struct atp_errcode *atp_errcode_find(long code);   /* NULL: not in §1.2.2 */

/* Asynchronous reports (unsolicited lines from the module). */
#define ATP_RPT_DATA_COUNTED 0x01u /* <len> raw bytes follow the terminator */
#define ATP_RPT_DATA_INLINE  0x02u /* <len> bytes stand inside the line (+MQD) */
#define ATP_RPT_BANNER       0x04u /* not a '+' line ("ready" after a reset) */

struct atp_report {
	const char *name;         /* "+SKTRPT" */
	const char *prefix;       /* what the line starts with: "+SKTRPT=" */
	const char *section;
	const char *summary;
	const char *pattern;      /* the whole line, as a shape pattern */
	const char *len_field;    /* the field holding the data length, or NULL */
	unsigned flags;           /* ATP_RPT_* */
	const char *cause;        /* the command that enables or triggers it */
};
size_t atp_report_count(void);
const struct atp_report *atp_report_at(size_t i);
/* The report whose prefix the line starts with (case-sensitive), or NULL. */
const struct atp_report *atp_report_match(struct atp_span line);
const struct atp_shape *atp_report_shape(const struct atp_report *r);

#endif
