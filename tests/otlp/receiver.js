// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// Loopback OTLP/HTTP JSON receiver for the escalate-trace tests (127.0.0.1,
// an ephemeral port written to PORTFILE).
//
// Decoding: each ExportTraceServiceRequest / ExportLogsServiceRequest is
// decoded with the OpenTelemetry project's own protobuf definitions
// (@opentelemetry/otlp-transformer's generated protobufjs root: the
// opentelemetry-proto messages): OTLP JSON -> message (fromObject) ->
// binary -> decode -> object.
//
// Acceptance follows the Collector's OTLP/HTTP receiver (otlphttp.go,
// pdata's JSON decoding): POST only (405), Content-Type application/json
// (415), Content-Encoding gzip or none, a body over --max-body (default the
// Collector's 20 MiB) gets 413, ids must be hex of the exact length (an empty
// string is a zero id), enums integers or names, 64-bit integers numbers or
// decimal strings; anything else is a 400.  Unknown fields are ignored by the
// Collector but would be lost, so a field that does not survive the round
// trip is a 400 here too.  What the OTLP spec asks beyond what the Collector
// enforces (integer enums, 64-bit integers as strings, ids not all zero) is
// listed in the record's _meta.spec instead, for the tests to assert.
//
//   node receiver.js PORTFILE OUTFILE [FAIL_FIRST [STATUS]] [--plan JSON]
//                    [--max-body BYTES] [--traces-path P] [--logs-path P]
// FAIL_FIRST/STATUS: the first FAIL_FIRST requests get STATUS (default 503)
// with Retry-After: 1.  --plan: a JSON array, one answer per request in turn:
// {"status":N, "retryAfter":"2" | "date+2" (an HTTP-date 2 s ahead) | none,
//  "rejected":N, "message":"..." (a 200 with a partialSuccess)}; then 200.
// Each request appends one JSON line to OUTFILE: the decoded request (ids
// in hex) with _meta {path, signal, t_ms, wire_bytes, body_bytes, encoding,
// headers, spec}; {"refused":N,...} for a planned refusal; {"error":...}
// for a rejected one.
'use strict';
const http = require('http');
const fs = require('fs');
const zlib = require('zlib');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const pb = root.opentelemetry.proto;
const argv = process.argv.slice(2);
const [portFile, outFile] = argv;
const opt = { plan: [], maxBody: 20 << 20, tracesPath: '/v1/traces', logsPath: '/v1/logs' };
const legacy = [];
for (let i = 2; i < argv.length; i++) {
	const a = argv[i];
	if (a === '--plan') opt.plan = JSON.parse(argv[++i]);
	else if (a === '--max-body') opt.maxBody = Number(argv[++i]);
	else if (a === '--traces-path') opt.tracesPath = argv[++i];
	else if (a === '--logs-path') opt.logsPath = argv[++i];
	else legacy.push(a);
}
if (legacy.length) {
	const n = Number(legacy[0] || 0), status = Number(legacy[1] || 503);
	for (let i = 0; i < n; i++) opt.plan.push({ status, retryAfter: '1' });
}
const signals = {
	[opt.tracesPath]: { name: 'traces', Req: pb.collector.trace.v1.ExportTraceServiceRequest,
		res: 'resourceSpans', scope: 'scopeSpans', items: 'spans', rejected: 'rejectedSpans' },
	[opt.logsPath]: { name: 'logs', Req: pb.collector.logs.v1.ExportLogsServiceRequest,
		res: 'resourceLogs', scope: 'scopeLogs', items: 'logRecords',
		rejected: 'rejectedLogRecords' },
};
let nreq = 0;

class Reject extends Error {
	constructor(status, msg) { super(msg); this.status = status; }
}
function fail(msg) { throw new Reject(400, msg); }

// The Collector's bytesid: hex of exactly the id's length; "" is a zero id.
function idToB64(hex, bytes, what, spec) {
	if (hex === undefined || hex === '') return undefined;
	if (typeof hex !== 'string' || !new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(hex))
		fail(`${what}: length mismatch or not hex: ${JSON.stringify(hex)}`);
	if (/^0+$/.test(hex)) spec.push(`${what} is all zero`);
	return Buffer.from(hex, 'hex').toString('base64');
}

function int64(o, k, where, spec) {
	if (o[k] === undefined) return;
	if (typeof o[k] === 'number' && Number.isInteger(o[k])) spec.push(`${where}.${k} is a number, not a string`);
	else if (typeof o[k] !== 'string' || !/^-?[0-9]+$/.test(o[k])) fail(`${where}.${k}: not an integer`);
}

function enumField(o, k, E, where, spec) {
	const v = o[k];
	if (v === undefined) return;
	if (typeof v === 'string') {
		if (!Object.prototype.hasOwnProperty.call(E, v)) fail(`${where}.${k}: unknown enum name ${v}`);
		spec.push(`${where}.${k} is a name, not an integer`);
	} else if (!Number.isInteger(v)) fail(`${where}.${k}: not an enum`);
}

function anyValue(v, where, spec) {
	if (!v || typeof v !== 'object') fail(`${where}: value is not an AnyValue`);
	int64(v, 'intValue', where, spec);
	if (v.arrayValue) for (const x of v.arrayValue.values || []) anyValue(x, where + '[]', spec);
	if (v.kvlistValue) attrs(v.kvlistValue.values, where, spec);
}

function attrs(list, where, spec) {
	for (const a of list || []) anyValue(a.value, `${where}/${a.key}`, spec);
}

// Collector-side checks; returns the protobuf-JSON form (ids base64).
function toProtoJson(sig, req, spec) {
	const r = JSON.parse(JSON.stringify(req));
	for (const rs of r[sig.res] || []) {
		attrs((rs.resource || {}).attributes, 'resource', spec);
		for (const ss of rs[sig.scope] || []) {
			for (const it of ss[sig.items] || []) {
				const w = sig.items;
				it.traceId = idToB64(it.traceId, 16, 'traceId', spec);
				it.spanId = idToB64(it.spanId, 8, 'spanId', spec);
				if (sig.name === 'traces') {
					if (!it.traceId || !it.spanId) spec.push('span without trace or span id');
					it.parentSpanId = idToB64(it.parentSpanId, 8, 'parentSpanId', spec);
					enumField(it, 'kind', pb.trace.v1.Span.SpanKind, w, spec);
					if (it.status) enumField(it.status, 'code', pb.trace.v1.Status.StatusCode, w + '.status', spec);
					for (const k of ['startTimeUnixNano', 'endTimeUnixNano']) int64(it, k, w, spec);
					for (const e of it.events || []) {
						int64(e, 'timeUnixNano', w + '.events', spec);
						attrs(e.attributes, w + '.events', spec);
					}
				} else {
					enumField(it, 'severityNumber', pb.logs.v1.SeverityNumber, w, spec);
					for (const k of ['timeUnixNano', 'observedTimeUnixNano']) int64(it, k, w, spec);
				}
				attrs(it.attributes, w, spec);
			}
		}
	}
	return r;
}

// Every field sent must come back from the binary form (none unknown or lost).
function survived(sent, back, where) {
	if (Array.isArray(sent)) {
		if (!Array.isArray(back) || back.length !== sent.length) fail(`${where}: array lost`);
		sent.forEach((x, i) => survived(x, back[i], `${where}[${i}]`));
		return;
	}
	if (sent && typeof sent === 'object') {
		for (const k of Object.keys(sent)) {
			const v = sent[k];
			if (v === undefined || (Array.isArray(v) && !v.length)) continue;
			if (!back || !(k in back)) {
				if (v === 0 || v === '0' || v === '' || v === false) continue;  // proto3 default
				fail(`${where}.${k}: unknown field, lost in decoding`);
			}
			survived(v, back[k], `${where}.${k}`);
		}
		return;
	}
	if (typeof sent !== 'string' || typeof back !== 'number')   // enum names come back as numbers
		if (String(sent) !== String(back)) fail(`${where}: sent ${sent}, decoded ${back}`);
}

function decode(sig, text, spec) {
	let sent;
	try { sent = JSON.parse(text); } catch (e) { fail(`not JSON: ${e.message}`); }
	const pj = toProtoJson(sig, sent, spec);
	let msg;
	try { msg = sig.Req.fromObject(pj); } catch (e) { fail(`fromObject: ${e.message}`); }
	const err = sig.Req.verify(msg);
	if (err) fail(`verify: ${err}`);
	const back = sig.Req.toObject(sig.Req.decode(sig.Req.encode(msg).finish()),
		{ longs: String, enums: Number, bytes: String });
	survived(pj, back, 'request');
	const hex = (b) => Buffer.from(b, 'base64').toString('hex');
	for (const rs of back[sig.res] || [])
		for (const ss of rs[sig.scope] || [])
			for (const it of ss[sig.items] || []) {
				if (it.traceId) it.traceId = hex(it.traceId);
				if (it.spanId) it.spanId = hex(it.spanId);
				if (it.parentSpanId) it.parentSpanId = hex(it.parentSpanId);
			}
	return back;
}

function httpDate(secondsAhead) {
	return new Date(Date.now() + secondsAhead * 1000).toUTCString();
}

function answer(res, sig, step) {
	const headers = { 'Content-Type': 'application/json' };
	if (step.retryAfter !== undefined) {
		const m = /^date\+([0-9]+)$/.exec(step.retryAfter);
		headers['Retry-After'] = m ? httpDate(Number(m[1])) : String(step.retryAfter);
	}
	let body = {};
	if (step.rejected !== undefined || step.message !== undefined)
		body = { partialSuccess: { [sig.rejected]: String(step.rejected || 0),
			errorMessage: step.message || '' } };
	res.writeHead(step.status || 200, headers).end(JSON.stringify(body));
}

function record(obj) { fs.appendFileSync(outFile, JSON.stringify(obj) + '\n'); }

const server = http.createServer((req, res) => {
	const chunks = [];
	let wire = 0;
	req.on('data', (c) => { wire += c.length; if (wire <= opt.maxBody + 1) chunks.push(c); });
	req.on('end', () => {
		const t_ms = Number(process.hrtime.bigint() / 1000n) / 1000;
		const sig = signals[req.url];
		const meta = { path: req.url, t_ms, wire_bytes: wire,
			encoding: req.headers['content-encoding'] || 'identity',
			headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-'))) };
		nreq++;
		try {
			if (req.method !== 'POST') throw new Reject(405, `method ${req.method}`);
			if (!sig) throw new Reject(404, `path ${req.url}`);
			meta.signal = sig.name;
			const step = opt.plan[nreq - 1] || {};
			if (step.status && step.status !== 200) {
				record({ refused: nreq, status: step.status, _meta: meta });
				answer(res, sig, step);
				return;
			}
			if (!/^application\/json/.test(req.headers['content-type'] || ''))
				throw new Reject(415, `content-type ${req.headers['content-type']}`);
			if (wire > opt.maxBody) throw new Reject(413, `body of ${wire} bytes over ${opt.maxBody}`);
			let buf = Buffer.concat(chunks);
			if (meta.encoding === 'gzip') {
				try { buf = zlib.gunzipSync(buf, { maxOutputLength: opt.maxBody }); } catch (e) {
					throw new Reject(400, `gzip: ${e.message}`);
				}
			} else if (meta.encoding !== 'identity') throw new Reject(415, `encoding ${meta.encoding}`);
			meta.body_bytes = buf.length;
			meta.spec = [];
			const back = decode(sig, buf.toString('utf8'), meta.spec);
			back._meta = meta;
			record(back);
			answer(res, sig, step);
		} catch (e) {
			record({ error: String(e.message), status: e.status || 500, _meta: meta });
			res.writeHead(e.status || 500, { 'Content-Type': 'application/json' }).end('{}');
		}
	});
});
server.listen(0, '127.0.0.1', () => {
	fs.writeFileSync(portFile, String(server.address().port));
});
for (const s of ["SIGTERM", "SIGINT"]) process.on(s, () => process.exit(0));
