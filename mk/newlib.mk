# newlib for the guest: built once from Debian's newlib-source into
# $(BUILD)/newlib, with the host gcc acting as an x86_64-elf compiler.
#
#   $(BUILD)/newlib/
#     src/        the tarball, unpacked (top directory stripped)
#     obj/        configure + build tree
#     install/    make install-target-newlib:
#       x86_64-elf/include/   -> NEWLIB_INCDIR
#       x86_64-elf/lib/       -> NEWLIB_LIBDIR (libc.a, libm.a)
#     installed.stamp         newlib built, installed, free of host libc
#     smoke/      tests/newlib/smoke.c linked against it, run on the host
#     syscalls-needed.txt     what libc.a leaves undefined for that program
#     built.stamp             -> NEWLIB_STAMP: all of the above succeeded
#     build.log   everything the steps printed
#
# The Makefile uses NEWLIB_STAMP, NEWLIB_INCDIR and NEWLIB_LIBDIR.  newlib is
# rebuilt from scratch (about a minute on 2 cores) only when this file, the
# build script or the tarball changes.
#
# minnow must define the syscalls under their plain POSIX names (write,
# sbrk, ...; not _write): newlib's configure.host defines
# MISSING_SYSCALL_NAMES for every target it has no port for, x86_64-elf
# included.  printf/snprintf/malloc/free/strtoul/qsort need: _exit close
# fstat getpid isatty kill lseek read sbrk write (kill, getpid and _exit
# because %f formatting can reach abort()); syscalls-needed.txt is the
# measured list.  The global `int errno` they may set is libc.a's own.

NEWLIB_TARBALL ?= /usr/src/newlib/newlib-3.3.0.tar.xz
NEWLIB_DIR     := $(BUILD)/newlib
NEWLIB_TARGET  := x86_64-elf
NEWLIB_INCDIR  := $(NEWLIB_DIR)/install/$(NEWLIB_TARGET)/include
NEWLIB_LIBDIR  := $(NEWLIB_DIR)/install/$(NEWLIB_TARGET)/lib
NEWLIB_STAMP   := $(NEWLIB_DIR)/built.stamp

# Code generation must agree with the kernel (GUEST_CFLAGS in Makefile):
#   -mno-red-zone    Xen delivers events and exceptions taken in guest kernel
#                    mode onto the current stack, below rsp: a leaf function's
#                    red zone would be overwritten.
#   -fno-pic -fno-pie -mcmodel=small
#                    Debian's gcc defaults to PIE; minnow is one static image
#                    linked at 0x100000 (1 MiB, linker.ld), so absolute 32-bit
#                    addressing, no GOT.
#   -fno-stack-protector   nothing sets up %fs:0x28 (no TLS segment at all).
#   -fno-omit-frame-pointer -fno-asynchronous-unwind-tables
#                    as in the kernel: panic backtraces walk rbp chains, also
#                    through libc frames; no .eh_frame to carry around.
#   -nostdinc -isystem <gcc's include dir>
#                    only newlib's own headers (put first by its build) and
#                    gcc's stddef.h/stdarg.h/limits.h; /usr/include (glibc)
#                    is never searched.
# Not used: -ffreestanding (newlib already compiles itself with -fno-builtin,
# which is the part that matters for a libc; freestanding adds nothing) and
# -mgeneral-regs-only (doubles travel in xmm registers, so libm and
# printf's %f need SSE).  gcc -O2 also vectorises integer code here (malloc,
# free and vfprintf use xmm registers), so the kernel must have SSE usable
# before its first malloc or snprintf, save the SSE state on trap and event
# entry, and keep rsp 16-byte aligned at calls as the ABI says.
NEWLIB_CFLAGS  := -O2 -g -mno-red-zone -fno-pic -fno-pie -mcmodel=small \
                  -fno-stack-protector -fno-omit-frame-pointer \
                  -fno-asynchronous-unwind-tables \
                  -nostdinc -isystem $(shell $(CC) -print-file-name=include)

# configure options (defaults are kept unless there is a reason):
#   --disable-multilib          one ABI only (no -m32 / x32 variants).
#   --disable-libgloss          minnow provides the syscalls itself.
#   --disable-newlib-supplied-syscalls
#                               no-op for x86_64-elf (newlib has no syscall
#                               layer for it); says the intent.
#   --enable-newlib-io-long-long    %lld/%llx in printf and scanf.
#   --enable-newlib-io-c99-formats  %zu %jd %td %hhd.
#   --disable-newlib-multithread    one vCPU and cooperative threads: no
#                               locks in malloc/stdio (__SINGLE_THREAD__).
#                               errno and stdio state live in the one global
#                               struct _reent (_impure_ptr): correct as long as
#                               no thread yields inside a libc call (write()
#                               to the console must not block in schedule()
#                               while another thread uses the same FILE).
#   default malloc (not nano):  dlmalloc on top of sbrk(): binned, reuses
#                               freed memory and trims the top; nano-malloc
#                               is a first-fit list meant for tiny-RAM parts.
#   not --enable-newlib-reent-small: would shrink struct _reent (1864 bytes,
#                               one instance) but makes stdio allocate its
#                               FILEs lazily with malloc.
#   --disable-nls               no message catalogues.
NEWLIB_CONFIGURE_OPTS := --disable-multilib --disable-libgloss --disable-nls \
                         --disable-newlib-supplied-syscalls \
                         --enable-newlib-io-long-long \
                         --enable-newlib-io-c99-formats \
                         --disable-newlib-multithread

# Two steps, so that editing the smoke test does not rebuild newlib itself.
NEWLIB_INSTALLED := $(NEWLIB_DIR)/installed.stamp
NEWLIB_SCRIPT    := scripts/build-newlib.sh
NEWLIB_ENV       := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
                    NEWLIB_CC="$(CC)" NEWLIB_TARGET="$(NEWLIB_TARGET)"

$(NEWLIB_INSTALLED): mk/newlib.mk $(NEWLIB_SCRIPT) $(NEWLIB_TARBALL)
	@echo "  NEWLIB  $(NEWLIB_DIR) (about a minute; log: $(NEWLIB_DIR)/build.log)"
	$(Q)$(NEWLIB_ENV) NEWLIB_DEPS="$^" NEWLIB_CFLAGS="$(NEWLIB_CFLAGS)" \
	    NEWLIB_CONFIGURE_OPTS="$(NEWLIB_CONFIGURE_OPTS)" \
	    $(NEWLIB_SCRIPT) build $(NEWLIB_TARBALL) $(NEWLIB_DIR)

# The smoke program is compiled with the kernel's own flags, so the check
# also proves that newlib's headers are clean under -Werror and
# -mgeneral-regs-only.
$(NEWLIB_STAMP): $(NEWLIB_INSTALLED) tests/newlib/smoke.c tests/newlib/smoke-sys.c
	@echo "  NEWLIB  smoke test"
	$(Q)$(NEWLIB_ENV) NEWLIB_DEPS="$^" NEWLIB_SMOKE_CFLAGS="$(GUEST_CFLAGS)" \
	    $(NEWLIB_SCRIPT) check $(NEWLIB_DIR) tests/newlib

# Only reached when the tarball is missing (an existing file needs no rule).
$(NEWLIB_TARBALL):
	@echo "newlib source $@ is missing: run 'make deps'" \
	      "(scripts/setup.sh installs Debian's newlib-source)" >&2
	@exit 1

newlib: $(NEWLIB_STAMP)
.PHONY: newlib
