#!/usr/bin/env bash
# Install the OpenTelemetry JS definitions the loopback receiver decodes with
# into $1 (default build/otlp-node), once per version (a stamp file says which).
# @opentelemetry/otlp-transformer 0.214.0 is the newest release that still
# ships the generated protobufjs root of opentelemetry-proto with the logs
# messages (LogRecord.event_name); later releases hand-write their encoders.
# Exit 77 when node/npm or the registry is unavailable, so the test can skip
# with the reason.
set -u
dir=${1:-build/otlp-node}
pkg=@opentelemetry/otlp-transformer@0.214.0
command -v node >/dev/null && command -v npm >/dev/null || { echo "node/npm not installed"; exit 77; }
[ "$(cat "$dir/stamp" 2>/dev/null)" = "$pkg" ] && exit 0
rm -rf "$dir"
mkdir -p "$dir"
timeout 300 npm install --prefix "$dir" --no-audit --no-fund --no-save --silent --ignore-scripts "$pkg" \
	>"$dir/npm.log" 2>&1 || { echo "npm install $pkg failed: $(tail -1 "$dir/npm.log")"; exit 77; }
NODE_PATH=$dir/node_modules node -e '
	const r = require("@opentelemetry/otlp-transformer/build/src/generated/root");
	if (!r.opentelemetry.proto.logs.v1.LogRecord.prototype.hasOwnProperty("eventName")) process.exit(1);' ||
	{ echo "$pkg has no LogRecord.eventName"; exit 1; }
echo "$pkg" > "$dir/stamp"
