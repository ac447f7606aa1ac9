/* SPDX-License-Identifier: MIT */
/* \summary: firmware profiles: named sets of known deviations from the manual */
#ifndef ATPROOF_PROFILE_H
#define ATPROOF_PROFILE_H

#include <stddef.h>

#include "atproof/cmd.h"

/*
 * A deviation is one documented way in which a firmware departs from the
 * manual (w600-firmware.md §14 and §16). A profile is a named set of them:
 * `manual` has none, `luat` is the Air602's own firmware (Luat G2.2.5),
 * `g3` is WinnerMicro's W600 SDK G3.04. The emulator behaves as its profile
 * says; the harness and analyzer, given a profile, report its deviations as
 * known (a warning) instead of failures.
 *
 * The kind tells the validator how to recognise a deviation by itself; a
 * BEHAVIOUR deviation shows only across several exchanges, and is named by
 * the scenario or analyzer rule that detects it.
 */
enum atp_dev_kind {
	ATP_DEV_SHAPE,      /* a reply matching pattern @alt (for a list
	                       command: @alt is the entry pattern) */
	ATP_DEV_TERM,       /* a reply ending with terminator @alt */
	ATP_DEV_ERRCODE,    /* error code @alt where the manual wants another
	                       (or +OK, for ERRCODE rows of absent commands) */
	ATP_DEV_FORM,       /* +OK to a form the manual does not list, which the
	                       firmware's op_flag allows (atp_cmd.fw_forms) */
	ATP_DEV_ACCEPTS,    /* +OK to an argument the manual rejects; @alt names
	                       the argument field */
	ATP_DEV_BEHAVIOUR,  /* state or timing, seen across exchanges */
};

struct atp_deviation {
	const char *id;          /* stable, kebab-case: "skrptm-query-lf" */
	const char *section;     /* the manual section it departs from */
	const char *summary;     /* one line */
	unsigned profiles;       /* ATP_PROFILE_* bits of the profiles that have it */
	enum atp_dev_kind kind;
	const char *cmds;        /* names of the commands it concerns, separated
	                            by spaces ("BSSID CHL"); NULL for any */
	unsigned forms;          /* enum atp_form bits, 0 for any */
	const char *alt;         /* pattern, terminator or error code (see kind) */
	const char *source;      /* where in w600-firmware.md it is established */
};

#define ATP_PROFILE_MANUAL 0x1u
#define ATP_PROFILE_LUAT   0x2u
#define ATP_PROFILE_G3     0x4u

struct atp_profile {
	const char *name;        /* "manual", "luat", "g3" */
	unsigned bit;            /* ATP_PROFILE_* */
	const char *summary;
	const char *version;     /* the QVER text this firmware answers */
};

size_t atp_profile_count(void);
const struct atp_profile *atp_profile_at(size_t i);
/* NULL if @name is no profile. */
const struct atp_profile *atp_profile_find(const char *name);

size_t atp_deviation_count(void);
const struct atp_deviation *atp_deviation_at(size_t i);
const struct atp_deviation *atp_deviation_find(const char *id);
/* 1 if profile @p has deviation @dv (p may be NULL: no profile, no deviation). */
int atp_profile_has(const struct atp_profile *p, const struct atp_deviation *dv);
/* 1 if profile @p has the deviation named @id. */
int atp_profile_has_id(const struct atp_profile *p, const char *id);
/* 1 if @dv concerns command @cmd (NULL: the unknown command) in @form. */
int atp_deviation_applies(const struct atp_deviation *dv, const struct atp_cmd *cmd,
    enum atp_form form);

#endif
