/**
 * Zipkin JSON v2 ingest against OTLP/HTTP protobuf, end to end, in the same run:
 * one `skein all` process, this process as the load generator. Both scenarios send
 * the same spans (the OTLP payloads of bench/payloads.ts, re-encoded as Zipkin v2
 * JSON by the read API's encoder), one after the other, and each ends when skein
 * reports every span written (skein_spans_written_total). Decode-only rates of
 * both decoders over the same payloads are measured in this process as a baseline.
 *
 *   node --import tsx bench/zipkin-ingest.ts [--spans 500000] [--batch 500] [--connections 4]
 *        [--store memory|file]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeZipkinSpan } from '../packages/server/src/query/zipkin/encode-zipkin-span.ts';
import { decodeOtlpProto } from '../packages/server/src/receivers/otlp/otlp-proto-decoder.ts';
import { decodeZipkinJsonV2 } from '../packages/server/src/receivers/zipkin/zipkin-json-v2-decoder.ts';
import { startSkein } from '../packages/server/test/e2e/skein-process.ts';
import { buildOtlpRequest } from './payloads.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const totalSpans = Number(arg('spans', '500000'));
const batch = Number(arg('batch', '500'));
const connections = Number(arg('connections', '4'));
const store = arg('store', 'memory');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A scenario's requests: PAYLOADS distinct bodies whose trace ids are rewritten per round. */
interface Scenario {
  name: string;
  path: string;
  contentType: string;
  bodies: Buffer[];
  /** Byte offsets of every trace id in each body. */
  idOffsets: number[][];
  /** Writes `round` into the trace ids at `at` (binary or hex text). */
  stamp: (buf: Buffer, at: number, round: number) => void;
  decode: (buf: Buffer) => number;
}

const PAYLOADS = 100;
const nowNs = `${Date.now()}000000`;
const otlp: Scenario = {
  name: 'OTLP/HTTP protobuf',
  path: '/v1/traces',
  contentType: 'application/x-protobuf',
  bodies: [],
  idOffsets: [],
  stamp: (buf, at, round) => buf.writeUInt32BE(round, at),
  decode: (buf) => decodeOtlpProto(buf).spans.length,
};
const zipkin: Scenario = {
  name: 'Zipkin JSON v2',
  path: '/api/v2/spans',
  contentType: 'application/json',
  bodies: [],
  idOffsets: [],
  stamp: (buf, at, round) => buf.write(round.toString(16).padStart(8, '0'), at, 'latin1'),
  decode: (buf) => decodeZipkinJsonV2(JSON.parse(buf.toString('utf8'))).spans.length,
};

function offsetsOf(buf: Buffer, needles: Iterable<Buffer>): number[] {
  const out: number[] = [];
  for (const needle of needles) {
    for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) out.push(at);
  }
  return out;
}

for (let p = 0; p < PAYLOADS; p++) {
  const opts = { spans: batch, seed: p + 1, startTimeUnixNano: nowNs, serviceName: `svc-${p % 8}` };
  const proto = Buffer.from(buildOtlpRequest(opts));
  const spans = decodeOtlpProto(proto).spans;
  const traceIds = new Set(spans.map((s) => s.traceId));
  otlp.bodies.push(proto);
  otlp.idOffsets.push(
    offsetsOf(
      proto,
      [...traceIds].map((id) => Buffer.from(id, 'hex')),
    ),
  );
  const json = Buffer.from(JSON.stringify(spans.map((s) => encodeZipkinSpan(s, () => ''))));
  zipkin.bodies.push(json);
  zipkin.idOffsets.push(
    offsetsOf(
      json,
      [...traceIds].map((id) => Buffer.from(`"${id}"`)),
    ).map((at) => at + 1),
  );
}

const requests = Math.ceil(totalSpans / batch);
const spansSent = requests * batch;

function bodyFor(s: Scenario, i: number, roundBase: number): Buffer {
  const p = i % PAYLOADS;
  const round = roundBase + Math.floor(i / PAYLOADS);
  const buf = s.bodies[p];
  for (const at of s.idOffsets[p]) s.stamp(buf, at, round);
  return buf;
}

function decodeRate(s: Scenario): number {
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    const n = Math.min(requests, 200);
    const t0 = performance.now();
    let spans = 0;
    for (let i = 0; i < n; i++) spans += s.decode(bodyFor(s, i, 0));
    rates.push(spans / ((performance.now() - t0) / 1000));
  }
  return median(rates);
}

const dir = mkdtempSync(join(tmpdir(), 'skein-bench-'));
const skein = await startSkein('all', [
  `--storage.duckdb.path=${store === 'memory' ? ':memory:' : dir}`,
  '--receivers.zipkin.port=0',
  '--receivers.zipkin.host=127.0.0.1',
]);
const admin = skein.urls.get('admin')!.replace(/\/metrics$/, '');
const urls: Record<string, URL> = {
  [otlp.name]: new URL(skein.urls.get('otlp-http')!),
  [zipkin.name]: new URL(skein.urls.get('zipkin')!),
};
const agent = new Agent({ keepAlive: true, maxSockets: connections });

function post(
  url: URL,
  s: Scenario,
  body: Buffer,
): Promise<{ status: number; retryAfter: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: s.path,
        method: 'POST',
        agent,
        headers: { 'content-type': s.contentType, 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: Number(res.headers['retry-after'] ?? 1),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function written(): Promise<number> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  const m = /^skein_spans_written_total (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** Sends every request of the scenario and waits until skein wrote them all; spans/s. */
async function run(s: Scenario, roundBase: number): Promise<{ rate: number; refused: number }> {
  const url = urls[s.name];
  const before = await written();
  let next = 0;
  let refused = 0;
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      for (;;) {
        const res = await post(url, s, bodyFor(s, i, roundBase));
        if (res.status === 200 || res.status === 202) break;
        if (res.status !== 429 && res.status !== 503)
          throw new Error(`${s.name} ${i}: HTTP ${res.status}`);
        refused++;
        await new Promise((r) => setTimeout(r, res.retryAfter * 1000));
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  while ((await written()) < before + spansSent) await new Promise((r) => setTimeout(r, 50));
  return { rate: spansSent / ((performance.now() - t0) / 1000), refused };
}

const otlpDecode = decodeRate(otlp);
const zipkinDecode = decodeRate(zipkin);
// Distinct round ranges keep the two scenarios' traces apart.
const otlpRun = await run(otlp, 0);
const zipkinRun = await run(zipkin, 1 << 20);
const exitCode = await skein.stop();
agent.destroy();
rmSync(dir, { recursive: true, force: true });

const kib = (bodies: Buffer[]) =>
  (bodies.reduce((n, b) => n + b.length, 0) / bodies.length / 1024).toFixed(1);
const rows: [string, string][] = [
  [
    'spans per scenario',
    `${spansSent} in ${requests} requests of ${batch} spans, ${connections} connections, store=${store}`,
  ],
  ['request size OTLP / Zipkin', `${kib(otlp.bodies)} / ${kib(zipkin.bodies)} KiB`],
  ['decode-only OTLP protobuf', `${Math.round(otlpDecode)} spans/s`],
  ['decode-only Zipkin JSON v2 (incl. JSON.parse)', `${Math.round(zipkinDecode)} spans/s`],
  [
    'end to end OTLP protobuf',
    `${Math.round(otlpRun.rate)} spans/s (${otlpRun.refused} 429/503 retried)`,
  ],
  [
    'end to end Zipkin JSON v2',
    `${Math.round(zipkinRun.rate)} spans/s (${zipkinRun.refused} 429/503 retried)`,
  ],
  ['Zipkin / OTLP end to end', (zipkinRun.rate / otlpRun.rate).toFixed(3)],
  ['server exit code', String(exitCode)],
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log('\nzipkin-ingest');
for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
