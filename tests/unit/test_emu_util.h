/* SPDX-License-Identifier: MIT */
/* \summary: helpers of the emulator's unit tests: a module in memory */
#ifndef ATPROOF_TESTS_UNIT_TEST_EMU_UTIL_H
#define ATPROOF_TESTS_UNIT_TEST_EMU_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "emulator/emu.h"

/*
 * A module on a virtual clock, with no file descriptor: bytes go in with
 * emu_input(), time moves with emu_loop_advance(), output is taken from the
 * module's buffer. tm_tx() sends a line and returns everything the module
 * said within @secs (default 30 s of virtual time: longer than any
 * blocking command of the default world).
 *
 * The helpers allocate with calloc, not cmocka's test_calloc: under
 * injected allocation failures (make oom) a test stops at its first
 * assertion, and cmocka would turn the block it leaves into exit(-1).
 */
struct tm {
	struct emu_loop *loop;
	struct emu *e;
	struct emu_faults faults;
	struct emu_world *world;
	char flash[256];
	char out[65536];
	size_t outlen;
};

static inline void
tm_open_with(struct tm *t, const char *profile, const char *world_yaml, const char *flash_path)
{
	struct emu_config cfg;
	struct atp_diag d;

	memset(&cfg, 0, sizeof(cfg));
	atp_diag_clear(&d);
	assert_int_equal(emu_loop_new(1, &t->loop), ATP_OK);
	cfg.prof = atp_profile_find(profile);
	assert_non_null(cfg.prof);
	if (world_yaml != NULL) {
		assert_int_equal(emu_world_parse(world_yaml, strlen(world_yaml), "test", &t->world, &d),
		    ATP_OK);
		cfg.world = t->world;
	}
	cfg.faults = &t->faults;
	cfg.flash_path = flash_path;
	assert_int_equal(emu_new(t->loop, &cfg, &t->e, &d), ATP_OK);
}

static inline struct tm *
tm_open(const char *profile)
{
	struct tm *t = calloc(1, sizeof(*t));

	t->faults.seed = 1;
	tm_open_with(t, profile, NULL, NULL);
	return t;
}

/* A module with faults set up by the caller's @spec list (NULL-ended). */
static inline struct tm *
tm_open_faults(const char *profile, const char *const *spec)
{
	struct tm *t = calloc(1, sizeof(*t));
	struct atp_diag d;

	t->faults.seed = 1;
	for (; *spec != NULL; spec++)
		assert_int_equal(emu_fault_parse(&t->faults, *spec, &d), ATP_OK);
	tm_open_with(t, profile, NULL, NULL);
	return t;
}

static inline void
tm_close(struct tm *t)
{
	emu_free(t->e);
	emu_loop_free(t->loop);
	emu_world_free(t->world);
	free(t);
}

/* Everything the module has said so far, NUL-terminated in t->out. */
static inline const char *
tm_take(struct tm *t)
{
	t->outlen = emu_output_take(t->e, t->out, sizeof(t->out) - 1);
	t->out[t->outlen] = '\0';
	return t->out;
}

static inline void
tm_send(struct tm *t, const void *bytes, size_t len)
{
	emu_input(t->e, bytes, len);
}

static inline const char *
tm_txn(struct tm *t, const void *bytes, size_t len, double secs)
{
	emu_input(t->e, bytes, len);
	emu_loop_advance(t->loop, (uint64_t)(secs * 1e6));
	return tm_take(t);
}

static inline const char *
tm_tx(struct tm *t, const char *line)
{
	return tm_txn(t, line, strlen(line), 30);
}

/* Sends @in and checks the reply byte for byte (with a readable diff). */
#define tm_expect(t, in, want) do {                                           \
	const char *got_ = tm_tx((t), (in));                                  \
	if (strcmp(got_, (want)) != 0) {                                      \
		char e1_[2048], e2_[2048], e3_[1024];                         \
		atp_span_escape(atp_span_str(in), e3_, sizeof(e3_));          \
		atp_span_escape(atp_span_str(want), e1_, sizeof(e1_));        \
		atp_span_escape(atp_span_make(got_, (t)->outlen), e2_, sizeof(e2_)); \
		fail_msg("%s\n  sent     %s\n  expected %s\n  got      %s",  \
		    (t)->e->prof->name, e3_, e1_, e2_);                       \
	}                                                                     \
} while (0)

#endif
