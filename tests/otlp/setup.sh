#!/usr/bin/env bash
# Install the OpenTelemetry JS definitions the loopback receiver decodes with
# into $1 (default build/otlp-node).  Exit 77 when npm or the registry is
# unavailable, so the test can skip with the reason.
set -u
dir=${1:-build/otlp-node}
pkg=@opentelemetry/otlp-transformer@0.52.1
command -v node >/dev/null && command -v npm >/dev/null || { echo "node/npm not installed"; exit 77; }
[ -f "$dir/node_modules/@opentelemetry/otlp-transformer/build/src/generated/root.js" ] && exit 0
mkdir -p "$dir"
timeout 300 npm install --prefix "$dir" --no-audit --no-fund --silent "$pkg" >"$dir/npm.log" 2>&1 ||
	{ echo "npm install $pkg failed: $(tail -1 "$dir/npm.log")"; exit 77; }
