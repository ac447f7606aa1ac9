/* SPDX-License-Identifier: MIT */
/* \summary: 'atproof commands': the protocol model's tables, as text or JSON */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "atproof/atproof.h"
#include "cli/cli.h"

static const enum atp_form all_forms[] = {
	ATP_FORM_BARE, ATP_FORM_SET, ATP_FORM_FLASH, ATP_FORM_QUERY,
};

static const char *
phase_name(enum atp_phase p)
{
	switch (p) {
	case ATP_PHASE_NONE: return "none";
	case ATP_PHASE_HOST_DATA: return "host-data";
	case ATP_PHASE_DEVICE_DATA: return "device-data";
	case ATP_PHASE_TRANSPARENT: return "transparent";
	}
	return "?";
}

/* "AT+X AT+X=... AT+X=! AT+X=?" as the user writes them. */
static void
forms_text(const struct atp_cmd *c, unsigned forms, char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(all_forms) / sizeof(all_forms[0]); i++) {
		int n;
		if ((forms & (unsigned)all_forms[i]) == 0)
			continue;
		n = snprintf(buf + used, size - used, "%sAT+%s%s", used > 0 ? " " : "", c->name,
		    atp_form_op(all_forms[i]));
		if (n < 0 || (size_t)n >= size - used)
			return;
		used += (size_t)n;
	}
}

static const char *
type_text(const struct atp_field *f, char *buf, size_t size)
{
	size_t used;
	int n = snprintf(buf, size, "%s", atp_type_name(f->type));

	used = n > 0 ? (size_t)n : 0;
	if (f->type == ATP_T_ENUM) {
		size_t i;
		for (i = 0; i < f->nvalues && used < size; i++) {
			n = snprintf(buf + used, size - used, "%s%s%s%s", i == 0 ? " " : "|",
			    f->values[i], f->labels[i][0] != '\0' ? "=" : "", f->labels[i]);
			used += n > 0 ? (size_t)n : 0;
		}
	} else if (f->has_min || f->has_max) {
		if (f->type == ATP_T_HEX)
			n = snprintf(buf + used, size - used, " %llx..", (unsigned long long)f->min);
		else
			n = snprintf(buf + used, size - used, " %lld..", (long long)f->min);
		used += n > 0 ? (size_t)n : 0;
		if (f->has_max && used < size) {
			if (f->type == ATP_T_HEX)
				snprintf(buf + used, size - used, "%llx", (unsigned long long)f->max);
			else
				snprintf(buf + used, size - used, "%lld", (long long)f->max);
		}
	}
	return buf;
}

static json_t *
args_json(const struct atp_cmd *c)
{
	const struct atp_shape *sh = atp_cmd_args_shape(c);
	json_t *arr = json_array();
	size_t i;

	if (sh == NULL)
		return arr;
	for (i = 0; i < atp_shape_nfields(sh); i++) {
		const struct atp_field *f = atp_shape_field(sh, i);
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(f->name));
		json_object_set_new(o, "type", json_string(atp_type_name(f->type)));
		if (f->type == ATP_T_ENUM) {
			json_t *vals = json_array();
			size_t k;
			for (k = 0; k < f->nvalues; k++) {
				json_t *v = json_object();
				json_object_set_new(v, "value", json_string(f->values[k]));
				if (f->labels[k][0] != '\0')
					json_object_set_new(v, "label", json_string(f->labels[k]));
				json_array_append_new(vals, v);
			}
			json_object_set_new(o, "values", vals);
		} else {
			if (f->has_min)
				json_object_set_new(o, "min", json_integer((json_int_t)f->min));
			if (f->has_max)
				json_object_set_new(o, "max", json_integer((json_int_t)f->max));
		}
		json_object_set_new(o, "optional", json_boolean(f->optional));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *
forms_json(unsigned forms)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < sizeof(all_forms) / sizeof(all_forms[0]); i++)
		if ((forms & (unsigned)all_forms[i]) != 0)
			json_array_append_new(arr, json_string(atp_form_name(all_forms[i])));
	return arr;
}

static json_t *
errors_json(const struct atp_cmd *c)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < atp_errcode_count(); i++) {
		const struct atp_errcode *e = atp_errcode_at(i);
		if (atp_cmd_error_documented(c, e->code))
			json_array_append_new(arr, json_integer(e->code));
	}
	return arr;
}

static json_t *
flags_json(unsigned flags)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ ATP_CMD_LIST, "list" }, { ATP_CMD_BLOCKING, "blocking" },
		{ ATP_CMD_SECRET, "secret" }, { ATP_CMD_RESET, "reset" },
		{ ATP_CMD_LEGACY, "legacy" }, { ATP_CMD_MQTT, "mqtt" },
		{ ATP_CMD_PARAM, "parameter" },
	};
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((flags & names[i].bit) != 0)
			json_array_append_new(arr, json_string(names[i].name));
	return arr;
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static int
print_json(void)
{
	json_t *root = json_object(), *cmds = json_array(), *reps = json_array();
	json_t *errs = json_array(), *profs = json_array(), *devs = json_array();
	size_t i;
	int rc;

	for (i = 0; i < atp_cmd_count(); i++) {
		const struct atp_cmd *c = atp_cmd_at(i);
		json_t *o = json_object(), *replies = json_object();
		size_t k;
		json_object_set_new(o, "name", json_string(c->name));
		json_object_set_new(o, "section", json_string(c->section));
		json_object_set_new(o, "summary", json_string(c->summary));
		json_object_set_new(o, "forms", forms_json(c->forms));
		json_object_set_new(o, "firmware_forms", forms_json(c->fw_forms));
		json_object_set_new(o, "arguments", args_json(c));
		json_object_set_new(o, "arguments_pattern", str_or_null(c->args));
		for (k = 0; k < sizeof(all_forms) / sizeof(all_forms[0]); k++)
			if ((c->forms & (unsigned)all_forms[k]) != 0)
				json_object_set_new(replies, atp_form_name(all_forms[k]),
				    str_or_null(atp_cmd_reply(c, all_forms[k])));
		json_object_set_new(o, "responses", replies);
		json_object_set_new(o, "list_entry", str_or_null(c->list_entry));
		json_object_set_new(o, "binary_phase", json_string(phase_name(c->phase)));
		json_object_set_new(o, "errors", errors_json(c));
		json_object_set_new(o, "flags", flags_json(c->flags));
		json_object_set_new(o, "note", str_or_null(c->note));
		json_array_append_new(cmds, o);
	}
	for (i = 0; i < atp_report_count(); i++) {
		const struct atp_report *r = atp_report_at(i);
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(r->name));
		json_object_set_new(o, "section", json_string(r->section));
		json_object_set_new(o, "summary", json_string(r->summary));
		json_object_set_new(o, "pattern", json_string(r->pattern));
		json_object_set_new(o, "data_length_field", str_or_null(r->len_field));
		json_object_set_new(o, "data", (r->flags & ATP_RPT_DATA_COUNTED) != 0 ?
		    json_string("counted") : (r->flags & ATP_RPT_DATA_INLINE) != 0 ?
		    json_string("inline") : json_null());
		json_object_set_new(o, "cause", json_string(r->cause));
		json_array_append_new(reps, o);
	}
	for (i = 0; i < atp_errcode_count(); i++) {
		const struct atp_errcode *e = atp_errcode_at(i);
		json_t *o = json_object();
		json_object_set_new(o, "code", json_integer(e->code));
		json_object_set_new(o, "name", json_string(e->name));
		json_object_set_new(o, "text", json_string(e->text));
		json_array_append_new(errs, o);
	}
	for (i = 0; i < atp_profile_count(); i++) {
		const struct atp_profile *p = atp_profile_at(i);
		json_t *o = json_object(), *ids = json_array();
		size_t k;
		for (k = 0; k < atp_deviation_count(); k++)
			if (atp_profile_has(p, atp_deviation_at(k)))
				json_array_append_new(ids, json_string(atp_deviation_at(k)->id));
		json_object_set_new(o, "name", json_string(p->name));
		json_object_set_new(o, "summary", json_string(p->summary));
		json_object_set_new(o, "version", json_string(p->version));
		json_object_set_new(o, "deviations", ids);
		json_array_append_new(profs, o);
	}
	for (i = 0; i < atp_deviation_count(); i++) {
		const struct atp_deviation *d = atp_deviation_at(i);
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(d->id));
		json_object_set_new(o, "section", json_string(d->section));
		json_object_set_new(o, "summary", json_string(d->summary));
		json_object_set_new(o, "commands", str_or_null(d->cmds));
		json_array_append_new(devs, o);
	}
	json_object_set_new(root, "manual", json_string("Air602 AT Command User Manual V1.1"));
	json_object_set_new(root, "commands", cmds);
	json_object_set_new(root, "reports", reps);
	json_object_set_new(root, "error_codes", errs);
	json_object_set_new(root, "profiles", profs);
	json_object_set_new(root, "deviations", devs);
	rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	fputc('\n', stdout);
	return rc == 0 ? ATP_EXIT_PASS : ATP_EXIT_ENV;
}

static void
print_pattern_fields(const char *label, const struct atp_shape *sh)
{
	size_t i;
	char tbuf[512];

	if (sh == NULL)
		return;
	for (i = 0; i < atp_shape_nfields(sh); i++) {
		const struct atp_field *f = atp_shape_field(sh, i);
		printf("    %-9s %-14s %s%s\n", i == 0 ? label : "", f->name,
		    type_text(f, tbuf, sizeof(tbuf)), f->optional ? " (optional)" : "");
	}
}

static int
print_text(void)
{
	size_t i, k;
	char forms[256];

	printf("Air602 AT Command User Manual V1.1: %zu commands, %zu reports\n\n",
	    atp_cmd_count(), atp_report_count());
	for (i = 0; i < atp_cmd_count(); i++) {
		const struct atp_cmd *c = atp_cmd_at(i);
		forms_text(c, c->forms, forms, sizeof(forms));
		printf("AT+%-9s §%-9s %s\n", c->name, c->section, c->summary);
		printf("    forms     %s\n", forms);
		print_pattern_fields("args", atp_cmd_args_shape(c));
		for (k = 0; k < sizeof(all_forms) / sizeof(all_forms[0]); k++) {
			const char *r;
			if ((c->forms & (unsigned)all_forms[k]) == 0)
				continue;
			r = atp_cmd_reply(c, all_forms[k]);
			if (r != NULL && (all_forms[k] != ATP_FORM_FLASH || (c->forms & ATP_FORM_SET) == 0))
				printf("    %-9s %s\n", all_forms[k] == ATP_FORM_QUERY ? "query" :
				    all_forms[k] == ATP_FORM_BARE ? "reply" : "set reply", r);
		}
		if (c->list_entry != NULL && c->list_entry[0] != '\0')
			printf("    entries   %s (one per line)\n", c->list_entry);
		if (c->phase != ATP_PHASE_NONE)
			printf("    then      %s\n", phase_name(c->phase));
		printf("    errors   ");
		for (k = 0; k < atp_errcode_count(); k++)
			if (atp_cmd_error_documented(c, atp_errcode_at(k)->code))
				printf(" %ld", atp_errcode_at(k)->code);
		printf("\n");
		if (c->note != NULL)
			printf("    note      %s\n", c->note);
		printf("\n");
	}
	printf("Asynchronous reports\n");
	for (i = 0; i < atp_report_count(); i++) {
		const struct atp_report *r = atp_report_at(i);
		printf("  %-13s §%-9s %s\n    %s%s\n", r->name, r->section, r->summary, r->pattern,
		    r->len_field != NULL ? " (then <len> bytes)" : "");
	}
	printf("\nError codes (§1.2.2)\n");
	for (i = 0; i < atp_errcode_count(); i++)
		printf("  %4ld  %-10s %s\n", atp_errcode_at(i)->code, atp_errcode_at(i)->name,
		    atp_errcode_at(i)->text);
	printf("\nFirmware profiles\n");
	for (i = 0; i < atp_profile_count(); i++) {
		const struct atp_profile *p = atp_profile_at(i);
		size_t n = 0;
		for (k = 0; k < atp_deviation_count(); k++)
			n += (size_t)atp_profile_has(p, atp_deviation_at(k));
		printf("  %-7s %zu deviations: %s\n", p->name, n, p->summary);
	}
	printf("\nKnown deviations\n");
	for (i = 0; i < atp_deviation_count(); i++) {
		const struct atp_deviation *d = atp_deviation_at(i);
		printf("  %-24s §%-9s %s%s%s\n", d->id, d->section,
		    (d->profiles & ATP_PROFILE_LUAT) != 0 ? "[luat]" : "",
		    (d->profiles & ATP_PROFILE_G3) != 0 ? "[g3] " : " ", d->summary);
	}
	return ATP_EXIT_PASS;
}

int
cli_commands(int argc, char **argv)
{
	struct atp_diag d;
	int json = 0, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: atproof commands [--json]\n\n"
			    "Prints the protocol model: every command of the Air602 AT manual V1.1\n"
			    "with its forms, arguments, response shapes, error codes and manual\n"
			    "section; the asynchronous reports; the error codes; the firmware\n"
			    "profiles and their known deviations. --json prints the same as JSON.\n");
			return ATP_EXIT_PASS;
		} else {
			fprintf(stderr, "atproof commands: unknown option '%s' (expected --json)\n", argv[i]);
			return ATP_EXIT_USAGE;
		}
	}
	atp_diag_clear(&d);
	if (atp_model_init(&d) != ATP_OK) {
		fprintf(stderr, "atproof commands: %s\n", d.msg);
		return ATP_EXIT_ENV;
	}
	i = json ? print_json() : print_text();
	atp_model_free();
	return i;
}
