# SPDX-License-Identifier: MIT
# atproof: the only build entry point (plain GNU make, out-of-tree build/).
#
#   make            build build/atproof and build/libatproof.a
#   make run        the main job: conformance suite against the emulator
#   make check      build and run every test; ends with "N passed, N failed"
#   make SANITIZE=address,undefined check
#   make fuzz       libFuzzer targets into build/fuzz/ (clang)
#   make bench      the benchmark sheet: build/bench/BENCHMARKS.md (BENCH_QUICK=1: ~2 min)
#   make install PREFIX=/usr/local DESTDIR=
#
# Missing Debian packages are installed by tools/deps.sh (apt-get as root,
# sudo otherwise) before anything is compiled.

.SUFFIXES:
.DELETE_ON_ERROR:
.SECONDARY:

B        ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
PKG_CONFIG ?= pkg-config
V        ?= 0
WERROR   ?= 1
SANITIZE ?=

ifeq ($(V),0)
Q = @
quiet = @printf '  %-7s %s\n' $(1) $(2);
else
Q =
quiet =
endif

# Library flags come from pkg-config, but only after deps.sh has made sure the
# packages exist (the stamp is an order-only prerequisite of every object).
LIBS_PC   = libserialport yaml-0.1 libpcre2-8 libpcap jansson libcurl libmosquitto
PC_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
PC_LIBS   = $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null)
TEST_PC_CFLAGS = $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
TEST_PC_LIBS   = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

CFLAGS   ?= -O2 -g
CFLAGS_STD  = -std=c11 -D_POSIX_C_SOURCE=200809L
CFLAGS_WARN = -Wall -Wextra -Wpedantic -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -Wold-style-definition \
	-Wcast-qual -Wpointer-arith -Wwrite-strings -Wundef -Wformat=2 \
	-Wvla -Wconversion -Wsign-conversion -Wswitch-enum -Wimplicit-fallthrough
CFLAGS_ERR  = -Werror=implicit-function-declaration -Werror=implicit-int \
	-Werror=incompatible-pointer-types -Werror=int-conversion \
	-Werror=discarded-qualifiers -Werror=switch -Werror=return-type
# clang has it, gcc 12 does not: add it only where the compiler knows it.
MVD_FLAG := $(shell $(CC) -Werror -Wmissing-variable-declarations -x c -c -o /dev/null /dev/null 2>/dev/null && echo -Wmissing-variable-declarations)
CFLAGS_WARN += $(MVD_FLAG)
ifeq ($(WERROR),1)
CFLAGS_ERR += -Werror
endif
ifneq ($(SANITIZE),)
SAN_FLAGS = -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
ALL_CFLAGS  = $(CFLAGS_STD) $(CFLAGS_WARN) $(CFLAGS_ERR) -Iinclude -I. $(PC_CFLAGS) \
	$(SAN_FLAGS) -MMD -MP $(CFLAGS)
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)

CORE_SRC = $(wildcard core/*.c)
APP_SRC  = $(wildcard cli/*.c emulator/*.c harness/*.c analyzer/*.c reports/*.c)
TEST_SRC = $(wildcard tests/unit/test_*.c)
FUZZ_SRC = $(wildcard fuzz/fuzz_*.c)

CORE_OBJ = $(CORE_SRC:%.c=$(B)/obj/%.o)
APP_OBJ  = $(APP_SRC:%.c=$(B)/obj/%.o)
TEST_BIN = $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)
DEPS_STAMP = $(B)/.deps-build

.PHONY: all run check test unit fuzz fuzz-smoke install clean deps deps-check lint oom valgrind golden-update bench
all: $(B)/atproof $(B)/libatproof.a

deps: $(DEPS_STAMP)
$(DEPS_STAMP):
	$(Q)mkdir -p $(B)
	$(Q)sh tools/deps.sh build
	$(Q)touch $@

deps-check: $(DEPS_STAMP)
	$(Q)sh tools/deps.sh check

$(B)/obj/%.o: %.c | $(DEPS_STAMP)
	$(Q)mkdir -p $(dir $@)
	$(call quiet,CC,$<)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libatproof.a: $(CORE_OBJ)
	$(call quiet,AR,$@)rm -f $@ && $(AR) rcs $@ $^

$(B)/atproof: $(APP_OBJ) $(B)/libatproof.a
	$(call quiet,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $(APP_OBJ) $(B)/libatproof.a $(PC_LIBS) -lm

# Unit tests: tests/unit/test_<x>.c links the core archive and cmocka. A test
# of a component is named after its internal prefix and also links that
# component's objects: test_emu_* (emulator/), test_hns_* (harness/),
# test_ana_* (analyzer/), test_rpt_* (reports/). So a core test never waits
# for, or breaks on, application code.
comp_objs = $(filter $(B)/obj/$(1)/%,$(APP_OBJ))
test_objs = $(strip \
	$(if $(filter test_emu%,$(1)),$(call comp_objs,emulator) $(call comp_objs,reports)) \
	$(if $(filter test_hns%,$(1)),$(call comp_objs,harness) $(call comp_objs,reports)) \
	$(if $(filter test_ana%,$(1)),$(call comp_objs,analyzer) $(call comp_objs,reports)) \
	$(if $(filter test_rpt%,$(1)),$(call comp_objs,reports)))
$(B)/obj/tests/%.o: tests/%.c | $(DEPS_STAMP)
	$(Q)mkdir -p $(dir $@)
	$(call quiet,CC,$<)$(CC) $(ALL_CFLAGS) $(TEST_PC_CFLAGS) -Itests -I. -c -o $@ $<
.SECONDEXPANSION:
$(B)/tests/test_%: $(B)/obj/tests/unit/test_%.o $$(call test_objs,test_$$*) $(B)/libatproof.a
	$(Q)mkdir -p $(dir $@)
	$(call quiet,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(call test_objs,test_$*) $(B)/libatproof.a $(TEST_PC_LIBS) $(PC_LIBS) -lm

# Fuzz targets double as regression replayers: fuzz/replay.c provides main()
# and feeds every file of fuzz/regress/<target>/ and fuzz/corpus/<target>/.
REPLAY_BIN = $(FUZZ_SRC:fuzz/fuzz_%.c=$(B)/tests/replay_%)
$(B)/obj/fuzz/%.o: fuzz/%.c | $(DEPS_STAMP)
	$(Q)mkdir -p $(dir $@)
	$(call quiet,CC,$<)$(CC) $(ALL_CFLAGS) -c -o $@ $<
# fuzz_emu_* targets also link the emulator (as test_emu_* do).
replay_objs = $(call test_objs,$(patsubst test_scenario%,test_hns_scenario%,test_$(1)))
$(B)/tests/replay_%: $(B)/obj/fuzz/fuzz_%.o $(B)/obj/fuzz/replay.o $$(call replay_objs,$$*) $(B)/libatproof.a
	$(Q)mkdir -p $(dir $@)
	$(call quiet,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(B)/obj/fuzz/replay.o $(call replay_objs,$*) $(B)/libatproof.a $(PC_LIBS) -lm

unit test: check
check: deps-check all $(TEST_BIN) $(REPLAY_BIN)
	$(Q)B=$(B) sh tests/run.sh

run: all
	$(Q)B=$(B) sh tools/run-main.sh

# libFuzzer builds (clang only); the sanitizers are part of the point.
FUZZ_CC ?= clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
# Like the unit tests, a core fuzz target builds from core/ alone; targets of
# a component are named after it: fuzz_emu_* (emulator/), fuzz_scenario and
# fuzz_hns_* (harness/), fuzz_ana_* (analyzer/), each with reports/.
comp_src = $(filter $(1)/%,$(APP_SRC))
fuzz_src = $(CORE_SRC) $(strip \
	$(if $(filter fuzz_emu%,$(1)),$(call comp_src,emulator) $(call comp_src,reports)) \
	$(if $(filter fuzz_hns% fuzz_scenario%,$(1)),$(call comp_src,harness) $(call comp_src,reports)) \
	$(if $(filter fuzz_ana%,$(1)),$(call comp_src,analyzer) $(call comp_src,reports)))
# A target compiles its sources in one clang call, so it has no .d files: it
# depends on every header instead. tools/deps.sh fuzz installs clang and its
# libFuzzer runtime (libclang-rt-dev, only a Recommends of clang) if missing.
FUZZ_HDR = $(wildcard include/atproof/*.h core/*.def emulator/*.h harness/*.h analyzer/*.h \
	reports/*.h cli/*.h)
FUZZ_STAMP = $(B)/.deps-fuzz
$(FUZZ_STAMP): | $(DEPS_STAMP)
	$(Q)sh tools/deps.sh fuzz
	$(Q)touch $@
fuzz: $(FUZZ_SRC:fuzz/fuzz_%.c=$(B)/fuzz/fuzz_%)
$(B)/fuzz/fuzz_%: fuzz/fuzz_%.c $$(call fuzz_src,fuzz_$$*) $(FUZZ_HDR) | $(FUZZ_STAMP)
	$(Q)mkdir -p $(dir $@)
	$(call quiet,FUZZCC,$@)$(FUZZ_CC) $(CFLAGS_STD) -Iinclude -I. $(PC_CFLAGS) $(FUZZ_FLAGS) -o $@ $< $(call fuzz_src,fuzz_$*) $(PC_LIBS) -lm

# Every target runs FUZZ_SECONDS (issue 7: at least 60 s each) even when an
# earlier one found something, so one run lists every finding; a crash,
# leak or timeout input is left in $(B)/fuzz/work/ (artifact_prefix) for
# fuzz/regress/<target>/.
FUZZ_SECONDS ?= 60
fuzz-smoke: fuzz
	$(Q)bad=""; for t in $(FUZZ_SRC:fuzz/fuzz_%.c=%); do \
		mkdir -p $(B)/fuzz/work/$$t; \
		echo "fuzz $$t ($(FUZZ_SECONDS)s)"; \
		$(B)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(B)/fuzz/work/$$t- \
			$(B)/fuzz/work/$$t fuzz/corpus/$$t >$(B)/fuzz/work/$$t.log 2>&1 \
			|| { tail -40 $(B)/fuzz/work/$$t.log; bad="$$bad $$t"; }; \
		grep -E '^stat::number_of_executed_units' $(B)/fuzz/work/$$t.log; \
	done; \
	if [ -n "$$bad" ]; then echo "fuzz-smoke: findings in:$$bad"; exit 1; fi

lint:
	$(Q)sh tools/stylecheck.sh

# Regenerates the analyzer's golden outputs (tests/golden/); review the diff.
golden-update: all
	$(Q)ATPROOF=$(B)/atproof sh tools/golden-update.sh

# Allocation failure injection over the unit tests (tools/oom.sh); best run
# with SANITIZE=address,undefined so a mishandled NULL is caught at once.
oom: all $(TEST_BIN)
	$(Q)B=$(B) sh tools/oom.sh

# The unit tests, fuzz replays and e2e scripts under valgrind (memcheck,
# leaks included; the scripts' atproof and the emulators it starts too, see
# tests/run.sh). E2E='test_run_*' E2E_ONLY=1 narrows it.
valgrind: all $(TEST_BIN) $(REPLAY_BIN)
	$(Q)B=$(B) VALGRIND=1 sh tests/run.sh

# The benchmark sheet. bench/<x>.c are small programs on the core archive
# (pty echo, capture generator, core throughput); bench/run.sh times them and
# the atproof binary and writes $(B)/bench/BENCHMARKS.md. Never part of check.
BENCH_BIN = $(patsubst bench/%.c,$(B)/bench/bin/%,$(wildcard bench/*.c))
$(B)/bench/bin/%: $(B)/obj/bench/%.o $(B)/libatproof.a
	$(Q)mkdir -p $(dir $@)
	$(call quiet,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(B)/libatproof.a $(PC_LIBS) -lm
BENCH_QUICK ?= 0
bench: all $(BENCH_BIN)
	$(Q)B=$(B) BENCH_QUICK=$(BENCH_QUICK) sh bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/atproof
	install -m 755 $(B)/atproof $(DESTDIR)$(PREFIX)/bin/atproof
	install -m 644 $(B)/libatproof.a $(DESTDIR)$(PREFIX)/lib/libatproof.a
	install -m 644 include/atproof/*.h $(DESTDIR)$(PREFIX)/include/atproof/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 docs/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf $(B)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
