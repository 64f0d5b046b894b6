# progstats' program iterator is a light skeleton (bpftool gen skeleton -L):
# the kernel resolves its attach target, so loading it parses no kernel BTF
# in user space (a regular skeleton of a tracing program costs ~15 ms).
# Saved and restored: a target here must not become make's default goal.
progstats_goal := $(.DEFAULT_GOAL)
$(OUT)/bpf/%.lskel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-LSKL,$@)
	$(Q)$(BPFTOOL) gen skeleton -L $< > $@
$(OUT)/cmd/progstats/iter.o $(OUT)/tests/progstats_derive: $(OUT)/bpf/progstats_progs.lskel.h
# progstats_derive compiles progstats' own sources in: rebuild it with them.
$(OUT)/tests/progstats_derive: $(wildcard cmd/progstats/*.c cmd/progstats/*.h)
.DEFAULT_GOAL := $(progstats_goal)
# The live screen (tui.c) draws with ncurses.  progstats is linked
# statically, libc included: a one-shot `progstats --once` is a few
# milliseconds, and loading and relocating six shared objects (ncurses,
# tinfo, bpf, elf, z, json-c) cost ~0.7 ms of it, ld.so with libc and libm
# another 0.2-0.3 ms (bench/README.md).  static-pie keeps ASLR; progstats
# calls nothing of glibc that needs NSS or dlopen.  Sanitizer runtimes need
# a dynamic link: there only the Debian libraries are static.
ifeq ($(SANFLAGS),)
LDLIBS_progstats += -static-pie -lncurses -ltinfo
else
LDLIBS_progstats += -Wl,-Bstatic -lncurses -ltinfo -lbpf -lelf -lz -ljson-c -Wl,-Bdynamic
endif
DEB_PKGS += libncurses-dev
# The stats-holder iterator: a light skeleton too (holders.c).
progstats_goal := $(.DEFAULT_GOAL)
$(OUT)/cmd/progstats/holders.o $(OUT)/tests/progstats_derive: $(OUT)/bpf/progstats_holders.lskel.h
.DEFAULT_GOAL := $(progstats_goal)
