# escalate-trace exports OTLP/JSON over HTTP with libcurl.
LDLIBS_escalate-trace += -lcurl
DEB_PKGS += libcurl4-openssl-dev
