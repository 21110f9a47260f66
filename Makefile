# minnow: a tiny Xen x86_64 PV unikernel.
#
#   make            build build/minnow, build/minnow-test, build/libminnow.a
#                   (and newlib, once)
#   make run        boot minnow as dom0 under Xen in QEMU and show its boot
#   make run-domu   boot Xen + Linux dom0 + xl, start minnow as a domU, show
#                   its console (DOMU_ARGS="...", DOMU_SECS=60)
#   make test       tree checks (runs.conf, layers, no tests in build/minnow),
#                   host unit tests, in-guest tests (+ toolstack checks)
#   make conformance  the hypervisor ABI suite on three Xens (XEN=path: on one)
#   make bench      benchmarks
#   make pictures   boot minnow (dom0 shapes, a domU under xl) and draw its
#                   memory into build/pictures/ (PICTURES_FROM=docs/pictures/data:
#                   draw the committed data, no boot)
#   make lab        walk through docs/lab.md's exercises (scripts/lab.sh)
#
# Everything goes to build/.  The first build also builds newlib (mk/newlib.mk).

BUILD    ?= build
CC       := gcc
LD       := ld
HOSTCC   := gcc
V        ?= 0
Q        := $(if $(filter 1,$(V)),,@)

all: $(BUILD)/minnow $(BUILD)/minnow-test $(BUILD)/minnow-conformance examples

include mk/newlib.mk

# ---------------------------------------------------------------- guest build
GCC_INC := $(shell $(CC) -print-file-name=include)

# Without this the Xen headers default to the 2005 interface (version 0),
# e.g. event_channel_op silently becomes the old "compat" hypercall.
XEN_INTERFACE  := -D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__

# <xen/...> comes from libxen-dev through a one-entry include dir, so the
# host's glibc headers can never leak into the guest build.
XEN_INCDIR     := $(BUILD)/xen-include
GUEST_CPPFLAGS := -nostdinc -isystem $(NEWLIB_INCDIR) -isystem $(GCC_INC) \
                  -isystem $(XEN_INCDIR) -Iinclude -Iarch/x86_64/include \
                  $(XEN_INTERFACE)
GUEST_CFLAGS   := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
                  -ffreestanding -fno-builtin-printf -fno-stack-protector \
                  -fno-pic -fno-pie -mcmodel=small -mno-red-zone \
                  -mgeneral-regs-only -fno-omit-frame-pointer \
                  -fno-asynchronous-unwind-tables -fno-common
GUEST_ASFLAGS  := -D__ASSEMBLY__ $(GUEST_CPPFLAGS)

# The unikernel is a library: every product object goes into libminnow.a,
# and an image is an application linked against it.
#   build/minnow        the default application (kernel/boot/app.c)
#   build/minnow-test   the in-guest test suite (tests/guest/, app_main in runner.c)
#   build/minnow-conformance  the hypervisor ABI suite (tests/conformance/),
#                       run by the same runner
# A stub domain links its own objects the same way: make app APP_OBJS="..."
LIB_SRCS  := $(wildcard arch/x86_64/*.c arch/x86_64/*.S kernel/*.c kernel/boot/*.c \
                        mm/*.c drivers/*/*.c)
LIB_OBJS  := $(patsubst %,$(BUILD)/guest/%.o,$(basename $(LIB_SRCS)))
TEST_SRCS := $(wildcard tests/guest/*.c)
TEST_OBJS := $(patsubst %,$(BUILD)/guest/%.o,$(basename $(TEST_SRCS)))
CONF_SRCS := $(wildcard tests/conformance/*.c)
CONF_OBJS := $(patsubst %,$(BUILD)/guest/%.o,$(basename $(CONF_SRCS))) \
             $(BUILD)/guest/tests/guest/runner.o $(BUILD)/guest/tests/guest/xs_probe.o
GUEST_OBJS := $(LIB_OBJS) $(TEST_OBJS) $(CONF_OBJS)
LIBGCC    := $(shell $(CC) -print-libgcc-file-name)

# ld: an application's objects, then libminnow.a (its app_main() wins over
# the default one, which then stays in the archive) grouped with newlib and
# libgcc (newlib calls minnow's syscalls back).  -u _start pulls the entry
# point (head.S) and with it the whole kernel.
link_image = $(LD) -nostdlib -z max-page-size=4096 -z noexecstack -T linker.ld \
             -u _start -o $(1) $(2) --start-group $(BUILD)/libminnow.a \
             $(NEWLIB_LIBDIR)/libc.a $(NEWLIB_LIBDIR)/libm.a $(LIBGCC) --end-group

$(XEN_INCDIR)/xen:
	@mkdir -p $(XEN_INCDIR)
	$(Q)ln -sfn /usr/include/xen $@

$(BUILD)/guest/%.o: %.c $(NEWLIB_STAMP) | $(XEN_INCDIR)/xen
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/guest/%.o: %.S $(NEWLIB_STAMP) | $(XEN_INCDIR)/xen
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(GUEST_ASFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libminnow.a: $(LIB_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/minnow: $(BUILD)/libminnow.a linker.ld $(NEWLIB_STAMP)
	@echo "  LD      $@"
	$(Q)$(call link_image,$@,)

$(BUILD)/minnow-test: $(TEST_OBJS) $(BUILD)/libminnow.a linker.ld $(NEWLIB_STAMP)
	@echo "  LD      $@"
	$(Q)$(call link_image,$@,$(TEST_OBJS))

$(BUILD)/minnow-conformance: $(CONF_OBJS) $(BUILD)/libminnow.a linker.ld $(NEWLIB_STAMP)
	@echo "  LD      $@"
	$(Q)$(call link_image,$@,$(CONF_OBJS))

# A stub domain: make app APP_OBJS="my.o other.o" [APP=build/myapp]
APP ?= $(BUILD)/app
app: $(BUILD)/libminnow.a linker.ld $(NEWLIB_STAMP)
	@test -n "$(APP_OBJS)" || { echo "make app: set APP_OBJS to your objects" >&2; exit 2; }
	@echo "  LD      $(APP)"
	$(Q)$(call link_image,$(APP),$(APP_OBJS))

# The example stub domains (examples/), each linked by `make app` as any
# stub domain is: build/vchan-echo (README: "Write your own stub domain").
VCHAN_ECHO_OBJS := $(patsubst %.c,$(BUILD)/guest/%.o,$(wildcard examples/vchan-echo/*.c))
$(BUILD)/vchan-echo: $(VCHAN_ECHO_OBJS) $(BUILD)/libminnow.a linker.ld $(NEWLIB_STAMP)
	$(Q)$(MAKE) --no-print-directory app APP_OBJS="$(VCHAN_ECHO_OBJS)" APP=$@
examples: $(BUILD)/vchan-echo

# ---------------------------------------------------------------- host tests
# Everything in mm/ must compile on the host: Xen is reached only through the
# port include/minnow/xen_mm.h, which tests/unit/sim/ implements as an
# in-process model of the hypervisor.  Of arch/, host code uses only
# <arch/page.h> and <arch/barrier.h>.  Each host test tests/unit/test_NAME.c
# has a fragment tests/unit/test_NAME.mk that lists the sources it links
# (only what it tests, plus the model):
#     test_NAME_SRCS := mm/foo.c tests/unit/sim/bar.c
HOST_TEST_NAMES := $(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c))
HOST_TESTS      := $(patsubst %,$(BUILD)/host/tests/test_%,$(HOST_TEST_NAMES))
HOST_CFLAGS     := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
                   -I. -Iinclude -Iarch/x86_64/include -Itests/unit -DMINNOW_HOST_TEST $(XEN_INTERFACE)
HOST_LDLIBS     := -lcmocka -lm
-include $(wildcard tests/unit/*.mk)

$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

define host_test_rule
$(BUILD)/host/tests/test_$(1): $(BUILD)/host/tests/unit/test_$(1).o \
        $$(patsubst %.c,$(BUILD)/host/%.o,$$(test_$(1)_SRCS))
	@mkdir -p $$(dir $$@)
	@echo "  HOSTLD  $$@"
	$$(Q)$$(HOSTCC) $$^ -o $$@ $$(HOST_LDLIBS)
endef
$(foreach t,$(HOST_TEST_NAMES),$(eval $(call host_test_rule,$(t))))

host-tests: $(HOST_TESTS)

# Host benchmarks: tests/bench/bench_NAME.c + tests/bench/bench_NAME.mk
# (bench_NAME_SRCS := ...), built like the host tests but with -O2 and no cmocka.
BENCH_NAMES := $(patsubst tests/bench/bench_%.c,%,$(wildcard tests/bench/bench_*.c))
BENCHES     := $(patsubst %,$(BUILD)/host/bench/bench_%,$(BENCH_NAMES))
-include $(wildcard tests/bench/*.mk)

define bench_rule
$(BUILD)/host/bench/bench_$(1): $(BUILD)/host/tests/bench/bench_$(1).o \
        $$(patsubst %.c,$(BUILD)/host/%.o,$$(bench_$(1)_SRCS))
	@mkdir -p $$(dir $$@)
	@echo "  HOSTLD  $$@"
	$$(Q)$$(HOSTCC) $$^ -o $$@ -lm
endef
$(foreach b,$(BENCH_NAMES),$(eval $(call bench_rule,$(b))))

host-benches: $(BENCHES)

# ---------------------------------------------------------------- running
deps:
	$(Q)scripts/setup.sh

# What `make run` passes to minnow; e.g. make run RUN_ARGS="tests=timer_sleep_10ms p2m_dump"
RUN_ARGS ?= tests=all

run: deps all
	$(Q)scripts/run-dom0.sh --show $(BUILD)/minnow-test $(RUN_ARGS)

# What `make run-domu` passes to minnow (xl's extra=) and how long it watches.
DOMU_ARGS ?=
DOMU_SECS ?= 60

run-domu: deps all
	$(Q)scripts/run-toolstack.sh --domu $(DOMU_SECS) --extra "$(DOMU_ARGS)"

test: deps all host-tests
	$(Q)scripts/run-tests.sh

# The hypervisor ABI conformance suite (tests/conformance/, scripts/conformance.sh)
# on Xen 4.17, Debian 13's 4.20 and a debug=y 4.17 side by side, or on
# XEN=path/to/xen alone; SELFTEST=1 adds the runner's self-tests.  Results:
# build/conformance/results.json; exit status as xtf-runner's.
XEN      ?=
SELFTEST ?=
conformance: deps all
	$(Q)scripts/conformance.sh $(if $(XEN),--xen $(XEN)) $(if $(filter 1,$(SELFTEST)),--selftest)

# A hypervisor built from Debian's xen source with one config tweak, cached
# in build/xen-src/VARIANT/xen (scripts/build-xen.sh): shadow (PV log-dirty,
# for xl migrate; make test builds it for the migrate check) or debug.
XEN_VARIANT ?= shadow
xen: deps
	$(Q)scripts/build-xen.sh $(XEN_VARIANT)

# libFuzzer runs, FUZZ_TIME seconds per target (scripts/fuzz.sh: the E820
# sanitizer + planner, blkfront's response handling, the reading of
# xenstored's replies); make test runs bounded ones.
FUZZ_TIME ?= 300
fuzz:
	$(Q)scripts/fuzz.sh --time $(FUZZ_TIME)

bench: deps all host-benches
	$(Q)scripts/run-bench.sh

# Pictures of minnow's memory (scripts/pictures/pictures.sh, docs/lab.md).
PICTURES_FROM ?=
pictures: deps all
	$(Q)scripts/pictures/pictures.sh $(if $(PICTURES_FROM),--from $(PICTURES_FROM))

lab: deps all
	$(Q)scripts/lab.sh

clean:
	rm -rf $(BUILD)/guest $(BUILD)/host $(BUILD)/minnow $(BUILD)/minnow-test $(BUILD)/minnow-conformance \
	       $(BUILD)/vchan-echo \
	       $(BUILD)/libminnow.a

distclean:
	rm -rf $(BUILD)

.PHONY: all app examples deps run run-domu test xen conformance bench fuzz clean distclean host-tests pictures lab
-include $(shell find $(BUILD)/guest $(BUILD)/host -name '*.d' 2>/dev/null)
