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
