# escalate-trace exports OTLP/JSON over HTTP with libcurl.
LDLIBS_escalate-trace += -lcurl
DEB_PKGS += libcurl4-openssl-dev
# --detect and --baseline take the t distribution from GSL.
LDLIBS_escalate-trace += -lgsl -lgslcblas
DEB_PKGS += libgsl-dev
