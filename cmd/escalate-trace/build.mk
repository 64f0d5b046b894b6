# escalate-trace exports OTLP/JSON over HTTP with libcurl.
LDLIBS_escalate-trace += -lcurl
DEB_PKGS += libcurl4-openssl-dev
# Syscall names of every ABI from libaudit's tables (syscalls.c).
LDLIBS_escalate-trace += -laudit
DEB_PKGS += libaudit-dev
# The compat-syscall test builds a static i386 program (tests/53-escalate-figures.bats).
ifeq ($(ARCH),x86)
DEB_PKGS += libc6-dev-i386 gcc-multilib
endif
# --detect and --baseline take the t distribution from GSL.
LDLIBS_escalate-trace += -lgsl -lgslcblas
DEB_PKGS += libgsl-dev
# The differential test of detection (tests/56-escalate-ingest.bats) links
# detection's files: the running-sum fast path against the two-pass oracle.
ESC_DETECT_SRC := $(addprefix cmd/escalate-trace/,detect.c robust.c winsum.c)
$(OUT)/tests/test_esc_detect: tests/unit/test_esc_detect.c $(ESC_DETECT_SRC) $(LIB) \
		$(wildcard common/*.h cmd/escalate-trace/*.h) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Icmd/escalate-trace $(CFLAGS) $(LDFLAGS) $< $(ESC_DETECT_SRC) \
		$(LIB) $(LDLIBS) -lgsl -lgslcblas -o $@
# fuzz/esc_detect.c links detection, which takes the t distribution from GSL.
$(OUT)/fuzz/esc_detect-replay build/fuzz/esc_detect: LDLIBS += -lgsl -lgslcblas
