// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// Loopback OTLP/HTTP JSON receiver for the escalate-trace tests.  It decodes
// each ExportTraceServiceRequest with the OpenTelemetry project's own
// protobuf definitions (@opentelemetry/otlp-transformer's generated root):
// OTLP JSON -> protobuf message (fromObject) -> binary -> decode -> object,
// then requires the round trip to give back exactly what was sent (so an
// unknown or misspelt field, a wrong type or a bad id fails), and checks the
// OTLP JSON rules: hex ids of the right length and not all zero, integer
// enums, 64-bit integers as decimal strings.
//   node receiver.js PORTFILE OUTFILE [FAIL_FIRST [STATUS]]
// The first FAIL_FIRST requests get STATUS (default 503) with Retry-After: 1.
// Each accepted request is appended to OUTFILE as one JSON line (ids in hex);
// a rejected one as {"error": "..."} (and answered 400).
'use strict';
const http = require('http');
const fs = require('fs');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const Req = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const [portFile, outFile, failFirstArg, statusArg] = process.argv.slice(2);
const failFirst = Number(failFirstArg || 0);
const failStatus = Number(statusArg || 503);
let nreq = 0;

function fail(msg) { throw new Error(msg); }

function hexToB64(hex, bytes, what) {
	if (typeof hex !== 'string' || !new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(hex))
		fail(`${what} is not ${bytes * 2} hex digits: ${hex}`);
	if (/^0+$/.test(hex)) fail(`${what} is all zero`);
	return Buffer.from(hex, 'hex').toString('base64');
}

function checkAnyValue(v, where) {
	if (v.intValue !== undefined && typeof v.intValue !== 'string')
		fail(`${where}: intValue must be a decimal string`);
}

// The OTLP JSON rules protobuf's own JSON mapping does not check.
function toProtoJson(req) {
	const r = JSON.parse(JSON.stringify(req));
	for (const rs of r.resourceSpans || []) {
		for (const a of (rs.resource || {}).attributes || []) checkAnyValue(a.value, a.key);
		for (const ss of rs.scopeSpans || []) {
			for (const s of ss.spans || []) {
				s.traceId = hexToB64(s.traceId, 16, 'traceId');
				s.spanId = hexToB64(s.spanId, 8, 'spanId');
				if (s.parentSpanId) s.parentSpanId = hexToB64(s.parentSpanId, 8, 'parentSpanId');
				if (!Number.isInteger(s.kind)) fail('kind must be an integer enum');
				if (s.status && s.status.code !== undefined && !Number.isInteger(s.status.code))
					fail('status.code must be an integer enum');
				for (const k of ['startTimeUnixNano', 'endTimeUnixNano'])
					if (typeof s[k] !== 'string' || !/^[0-9]+$/.test(s[k]))
						fail(`${k} must be a decimal string`);
				for (const a of s.attributes || []) checkAnyValue(a.value, a.key);
				for (const e of s.events || [])
					for (const a of e.attributes || []) checkAnyValue(a.value, a.key);
			}
		}
	}
	return r;
}

function prune(x) {
	if (Array.isArray(x)) return x.map(prune);
	if (x && typeof x === 'object') {
		const o = {};
		for (const k of Object.keys(x).sort()) {
			const v = x[k];
			if (Array.isArray(v) && !v.length) continue;
			o[k] = prune(v);
		}
		return o;
	}
	return x;
}

function decode(body) {
	const sent = JSON.parse(body);
	const pj = toProtoJson(sent);
	const err = Req.verify(Req.fromObject(pj));
	if (err) fail(`verify: ${err}`);
	const bin = Req.encode(Req.fromObject(pj)).finish();
	const back = Req.toObject(Req.decode(bin), { longs: String, enums: Number, bytes: String });
	const a = JSON.stringify(prune(pj)), b = JSON.stringify(prune(back));
	if (a !== b) fail(`round trip through the OTLP protobuf differs:\n sent ${a}\n back ${b}`);
	for (const rs of back.resourceSpans)
		for (const ss of rs.scopeSpans)
			for (const s of ss.spans) {
				s.traceId = Buffer.from(s.traceId, 'base64').toString('hex');
				s.spanId = Buffer.from(s.spanId, 'base64').toString('hex');
			}
	return back;
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		nreq++;
		if (req.method !== 'POST' || req.url !== '/v1/traces') {
			res.writeHead(404).end();
			return;
		}
		if (nreq <= failFirst) {
			fs.appendFileSync(outFile, JSON.stringify({ refused: nreq, status: failStatus }) + '\n');
			res.writeHead(failStatus, { 'Retry-After': '1' }).end();
			return;
		}
		try {
			if (!/^application\/json/.test(req.headers['content-type'] || ''))
				fail(`content-type ${req.headers['content-type']}`);
			const back = decode(Buffer.concat(chunks).toString('utf8'));
			fs.appendFileSync(outFile, JSON.stringify(back) + '\n');
			res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
		} catch (e) {
			fs.appendFileSync(outFile, JSON.stringify({ error: String(e.message) }) + '\n');
			res.writeHead(400, { 'Content-Type': 'application/json' }).end('{}');
		}
	});
});
server.listen(0, '127.0.0.1', () => {
	fs.writeFileSync(portFile, String(server.address().port));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
