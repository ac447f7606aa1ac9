/* SPDX-License-Identifier: MIT */
/* \summary: the command, error-code and report tables, and their lookups */
#include <stdio.h>
#include <string.h>

#include "atproof/alloc.h"
#include "atproof/cmd.h"

static const struct atp_cmd cmds[] = {
#define CMD(name, section, forms, fw_forms, fw_min, flags, phase, args, rset, rquery, rbare, entry, errors, summary, note) \
	{ name, section, summary, forms, fw_forms, fw_min, flags, phase, args, rset, rquery, rbare, entry, errors, note },
#include "cmd_table.def"
#undef CMD
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* Manual §1.2.2. The names are the firmware's (w600-firmware.md §5). */
static const struct atp_errcode errcodes[] = {
	{ -1, "INV_FMT", "Invalid command format" },
	{ -2, "UNSUPP", "Command not supported" },
	{ -3, "OPS", "Invalid operator" },
	{ -4, "INV_PARAMS", "Invalid parameter" },
	{ -5, "NOT_ALLOW", "Operation not allowed" },
	{ -6, "MEM", "Not enough memory" },
	{ -7, "FLASH", "FLASH error" },
	{ -8, "BUSY", "System busy" },
	{ -10, "JOIN", "access the network failed" },
	{ -11, "NO_SKT", "No socket available" },
	{ -12, "INV_SKT", "Invalid socket" },
	{ -13, "SKT_CONN", "Socket connection failed" },
	{ -62, "SKT_SND", "Socket failed to send" },
	{ -63, "SKT_RPT", "Socket reception failed" },
	{ -64, "UNDEF", "Undefined error" },
};

/* Codes any command may return: the parser's and the system's (§1.2.2);
 * each command's row adds its own. */
static const long common_errors[] = { -1, -2, -3, -4, -5, -6, -64 };

/*
 * Asynchronous reports. Their formats: +SKTRPT is not in the manual (only
 * SKRPTM, §2.2.3.17, which enables it): the format is the firmware's
 * (w600-firmware.md §8.4). +HTTPCRPT/+HTTPCERRRPT likewise (§10 there).
 * The MQTT reports are the manual's §2.2.4.4-2.2.4.7; their result codes are
 * §2.2.4.9 (0, -1..-16).
 */
static const struct atp_report reports[] = {
	{ "+SKTRPT", "+SKTRPT=", "2.2.3.17", "Data received on a socket (SKRPTM=1)",
	  "+SKTRPT=<socket:Dec 1..20>,<len:Dec 0..65535>,<ip:IP>,<port:Dec 0..65535>", "len",
	  ATP_RPT_DATA_COUNTED, "SKRPTM" },
	{ "+HTTPCRPT", "+HTTPCRPT=", "2.2.3.19", "HTTP response body follows",
	  "+HTTPCRPT=<session:Dec 0..>,<len:Dec 0..>", "len", ATP_RPT_DATA_COUNTED, "HTTPC" },
	{ "+HTTPCERRRPT", "+HTTPCERRRPT=", "2.2.3.19", "HTTP request failed",
	  "+HTTPCERRRPT=<session:Dec 0..>,<code:SDec -1000..1000>", NULL, 0, "HTTPC" },
	{ "+MQTT", "+MQTT:", "2.2.4.4", "MQTT connection result",
	  "+MQTT:<result:Enum CONNECTED|FAIL>", NULL, 0, "MCONNECT" },
	{ "+MSUB", "+MSUB:", "2.2.4.5", "MQTT subscription result",
	  "+MSUB:<result:Text 1..8>", NULL, 0, "MSUB" },
	{ "+MPUB", "+MPUB:", "2.2.4.6", "MQTT publication result",
	  "+MPUB:<result:Text 1..8>", NULL, 0, "MPUB" },
	{ "+MTOPIC", "+MTOPIC:", "2.2.4.7", "MQTT message received: its topic",
	  "+MTOPIC:<topiclen:Dec 0..65535>,<topic:Text 0..65535>", NULL, 0, "MSUB" },
	{ "+MQD", "+MQD:", "2.2.4.7", "MQTT message received: its payload",
	  "+MQD:<len:Dec 0..65535>,<data:Text 0..>", "len", ATP_RPT_DATA_INLINE, "MSUB" },
	{ "ready", "ready", "2.2.1.2", "Banner after a reset (the AT+Z example)",
	  "ready", NULL, ATP_RPT_BANNER, "Z" },
};

#define NREPORTS (sizeof(reports) / sizeof(reports[0]))

size_t
atp_cmd_count(void)
{
	return NCMDS;
}

const struct atp_cmd *
atp_cmd_at(size_t i)
{
	return i < NCMDS ? &cmds[i] : NULL;
}

const struct atp_cmd *
atp_cmd_find(struct atp_span name)
{
	size_t i;

	/* Names are at most 9 bytes (firmware §1.3); a linear scan of 66
	 * short names is cheaper than anything fancier at this size, once
	 * the first letter turns most of them away without a call. */
	for (i = 0; i < NCMDS; i++) {
		const char *n = cmds[i].name;
		if (name.len > 0 ? ATP_TOUPPER(name.p[0]) != ATP_TOUPPER(n[0]) : n[0] != '\0')
			continue;
		if (atp_span_eq_ci(name, n))
			return &cmds[i];
	}
	return NULL;
}

const struct atp_cmd *
atp_cmd_find_str(const char *name)
{
	return atp_cmd_find(atp_span_str(name));
}

const char *
atp_form_op(enum atp_form f)
{
	switch (f) {
	case ATP_FORM_BARE: return "";
	case ATP_FORM_SET: return "=";
	case ATP_FORM_FLASH: return "=!";
	case ATP_FORM_QUERY: return "=?";
	}
	return "";
}

const char *
atp_form_name(enum atp_form f)
{
	switch (f) {
	case ATP_FORM_BARE: return "bare";
	case ATP_FORM_SET: return "set";
	case ATP_FORM_FLASH: return "flash";
	case ATP_FORM_QUERY: return "query";
	}
	return "?";
}

static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

const char *
atp_cmd_reply(const struct atp_cmd *cmd, enum atp_form form)
{
	switch (form) {
	case ATP_FORM_SET:
	case ATP_FORM_FLASH:
		return nonempty(cmd->reply_set);
	case ATP_FORM_QUERY:
		return nonempty(cmd->reply_query);
	case ATP_FORM_BARE:
		/* The firmware answers a bare parameter command like its query
		 * (w600-firmware.md §1.3: NULL and =? are the same query). */
		return nonempty(cmd->reply_bare) != NULL ? cmd->reply_bare : nonempty(cmd->reply_query);
	}
	return NULL;
}

int
atp_cmd_error_documented(const struct atp_cmd *cmd, long code)
{
	struct atp_cur c;
	size_t i;

	for (i = 0; i < sizeof(common_errors) / sizeof(common_errors[0]); i++)
		if (common_errors[i] == code)
			return 1;
	if (cmd == NULL || cmd->errors == NULL)
		return 0;
	c = atp_cur_make(cmd->errors, strlen(cmd->errors));
	while (c.left > 0) {
		struct atp_span tok;
		int64_t v;
		atp_cur_until(&c, " ", &tok);
		if (tok.len > 0 && atp_span_sdec(tok, &v, -1000, 1000) == ATP_OK && v == code)
			return 1;
		if (c.left > 0) {
			c.p++;
			c.left--;
		}
	}
	return 0;
}

size_t
atp_errcode_count(void)
{
	return sizeof(errcodes) / sizeof(errcodes[0]);
}

const struct atp_errcode *
atp_errcode_at(size_t i)
{
	return i < atp_errcode_count() ? &errcodes[i] : NULL;
}

const struct atp_errcode *
atp_errcode_find(long code)
{
	size_t i;

	for (i = 0; i < atp_errcode_count(); i++)
		if (errcodes[i].code == code)
			return &errcodes[i];
	return NULL;
}

size_t
atp_report_count(void)
{
	return NREPORTS;
}

const struct atp_report *
atp_report_at(size_t i)
{
	return i < NREPORTS ? &reports[i] : NULL;
}

const struct atp_report *
atp_report_match(struct atp_span line)
{
	size_t i;

	for (i = 0; i < NREPORTS; i++) {
		size_t n = strlen(reports[i].prefix);
		if (line.len >= n && memcmp(line.p, reports[i].prefix, n) == 0) {
			/* a banner is a whole line, not a prefix */
			if ((reports[i].flags & ATP_RPT_BANNER) != 0 && line.len != n)
				continue;
			return &reports[i];
		}
	}
	return NULL;
}

/*
 * Compiled shapes, indexed like the tables: per command the arguments, the
 * four replies and the list entry; per report its line. Built by
 * atp_model_init() (or on first use) and freed by atp_model_free().
 */
enum { SH_ARGS, SH_SET, SH_QUERY, SH_BARE, SH_ENTRY, SH_N };
static struct atp_shape *cmd_shapes[NCMDS][SH_N];
static struct atp_shape *report_shapes[NREPORTS];
static int model_ready;

static int
compile_one(const char *pattern, struct atp_shape **out, const char *what, const char *name,
    struct atp_diag *d)
{
	int rc;

	*out = NULL;
	if (pattern == NULL || pattern[0] == '\0')
		return ATP_OK;
	rc = atp_shape_compile(pattern, out, d);
	if (rc < 0 && d != NULL) {
		char msg[ATP_DIAG_MSG_MAX];
		snprintf(msg, sizeof(msg), "%s", d->msg);
		atp_diag_set(d, rc, "command table: %s of '%s': %s", what, name, msg);
	}
	return rc;
}

int
atp_model_init(struct atp_diag *d)
{
	size_t i;
	int rc = ATP_OK;

	if (model_ready)
		return ATP_OK;
	for (i = 0; i < NCMDS && rc == ATP_OK; i++) {
		const struct atp_cmd *c = &cmds[i];
		const char *reply_bare = atp_cmd_reply(c, ATP_FORM_BARE);
		rc = compile_one(c->args, &cmd_shapes[i][SH_ARGS], "arguments", c->name, d);
		if (rc == ATP_OK)
			rc = compile_one(c->reply_set, &cmd_shapes[i][SH_SET], "set reply", c->name, d);
		if (rc == ATP_OK)
			rc = compile_one(c->reply_query, &cmd_shapes[i][SH_QUERY], "query reply", c->name, d);
		if (rc == ATP_OK)
			rc = compile_one(reply_bare, &cmd_shapes[i][SH_BARE], "bare reply", c->name, d);
		if (rc == ATP_OK)
			rc = compile_one(c->list_entry, &cmd_shapes[i][SH_ENTRY], "list entry", c->name, d);
	}
	for (i = 0; i < NREPORTS && rc == ATP_OK; i++)
		rc = compile_one(reports[i].pattern, &report_shapes[i], "report", reports[i].name, d);
	if (rc != ATP_OK) {
		atp_model_free();
		return rc;
	}
	model_ready = 1;
	return ATP_OK;
}

void
atp_model_free(void)
{
	size_t i, k;

	for (i = 0; i < NCMDS; i++)
		for (k = 0; k < SH_N; k++) {
			atp_shape_free(cmd_shapes[i][k]);
			cmd_shapes[i][k] = NULL;
		}
	for (i = 0; i < NREPORTS; i++) {
		atp_shape_free(report_shapes[i]);
		report_shapes[i] = NULL;
	}
	model_ready = 0;
}

static const struct atp_shape *
cmd_shape(const struct atp_cmd *cmd, int which)
{
	size_t i;

	if (cmd == NULL || cmd < cmds || cmd >= cmds + NCMDS)
		return NULL;
	if (!model_ready && atp_model_init(NULL) != ATP_OK)
		return NULL;
	i = (size_t)(cmd - cmds);
	return cmd_shapes[i][which];
}

const struct atp_shape *
atp_cmd_args_shape(const struct atp_cmd *cmd)
{
	return cmd_shape(cmd, SH_ARGS);
}

const struct atp_shape *
atp_cmd_reply_shape(const struct atp_cmd *cmd, enum atp_form form)
{
	switch (form) {
	case ATP_FORM_SET:
	case ATP_FORM_FLASH:
		return cmd_shape(cmd, SH_SET);
	case ATP_FORM_QUERY:
		return cmd_shape(cmd, SH_QUERY);
	case ATP_FORM_BARE:
		return cmd_shape(cmd, SH_BARE);
	}
	return NULL;
}

const struct atp_shape *
atp_cmd_entry_shape(const struct atp_cmd *cmd)
{
	return cmd_shape(cmd, SH_ENTRY);
}

const struct atp_shape *
atp_report_shape(const struct atp_report *r)
{
	size_t i;

	if (r == NULL || r < reports || r >= reports + NREPORTS)
		return NULL;
	if (!model_ready && atp_model_init(NULL) != ATP_OK)
		return NULL;
	i = (size_t)(r - reports);
	return report_shapes[i];
}
