/**
 * Jaeger ingest against OTLP/HTTP protobuf, end to end, in the same run: one
 * `skein all` process, this process as the load generator. Every scenario sends
 * the same spans (the OTLP payloads of bench/payloads.ts, converted to Jaeger the
 * way an OpenTelemetry→Jaeger exporter would) and ends when skein reports them
 * written (skein_spans_written_total). Scenarios:
 *
 * - OTLP/HTTP protobuf (the baseline), `--batch` spans per request;
 * - Jaeger thrift over HTTP (:14268, binary `Batch`), the same batches;
 * - Jaeger agent UDP, compact thrift (:6831), `--udp-batch` spans per datagram,
 *   paced at the OTLP end-to-end rate, then unpaced (as fast as this process can
 *   send). UDP has no backpressure: what the kernel or the pipeline drops is
 *   reported as the drop rate (sent - written) / sent.
 *
 * Decode-only rates of the three decoders over the same payloads are measured in
 * this process as a baseline.
 *
 *   node --import tsx bench/legacy-protocols.ts [--spans 300000] [--batch 500]
 *        [--udp-batch 100] [--connections 4] [--store memory|file]
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Attribute, Span } from '../packages/server/src/model/span.ts';
import { ValueType } from '../packages/server/src/model/span.ts';
import { decodeAgentPacket } from '../packages/server/src/receivers/jaeger/jaeger-agent-decoder.ts';
import { decodeJaegerThriftBatch } from '../packages/server/src/receivers/jaeger/jaeger-thrift-decoder.ts';
import {
  encodeBatch,
  encodeEmitBatch,
} from '../packages/server/src/receivers/jaeger/test-support/jaeger-thrift-payloads.ts';
import type {
  TestBatch,
  TestSpan,
  TestTag,
} from '../packages/server/src/receivers/jaeger/test-support/jaeger-thrift-payloads.ts';
import { decodeOtlpProto } from '../packages/server/src/receivers/otlp/otlp-proto-decoder.ts';
import { startSkein } from '../packages/server/test/e2e/skein-process.ts';
import { buildOtlpRequest } from './payloads.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const totalSpans = Number(arg('spans', '300000'));
const batch = Number(arg('batch', '500'));
const udpBatch = Number(arg('udp-batch', '100'));
const connections = Number(arg('connections', '4'));
const store = arg('store', 'memory');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const PAYLOADS = 100;
const nowNs = `${Date.now()}000000`;

// ---- the same spans in every protocol -------------------------------------------

/** A Jaeger trace id high half in [2^62, 2^63): its zigzag varint is always 10 bytes. */
const HIGH_BASE = 1n << 62n;

function tag(a: Attribute): TestTag {
  switch (a.type) {
    case ValueType.Bool:
      return { key: a.key, vType: 2, vBool: a.value };
    case ValueType.Int:
      return { key: a.key, vType: 3, vLong: BigInt(a.value) };
    case ValueType.Double:
      return { key: a.key, vType: 1, vDouble: a.value };
    default:
      return { key: a.key, vType: 0, vStr: String(a.value) };
  }
}

const KIND_TAG = ['', 'internal', 'server', 'client', 'producer', 'consumer'];

/** A span as an OpenTelemetry→Jaeger exporter sends it; trace id high half re-based. */
function jaegerSpan(s: Span, payload: number): TestSpan {
  const high = BigInt(`0x${s.traceId.slice(0, 16)}`) & 0xffffffffn;
  const tags = s.attributes.map(tag);
  tags.push({ key: 'otel.scope.name', vType: 0, vStr: s.scope.name });
  tags.push({ key: 'otel.scope.version', vType: 0, vStr: s.scope.version });
  if (s.kind !== 0) tags.push({ key: 'span.kind', vType: 0, vStr: KIND_TAG[s.kind] });
  if (s.statusCode === 2) {
    tags.push({ key: 'otel.status_code', vType: 0, vStr: 'ERROR' });
    tags.push({ key: 'error', vType: 2, vBool: true });
    tags.push({ key: 'otel.status_description', vType: 0, vStr: s.statusMessage });
  }
  return {
    traceIdHigh: HIGH_BASE + (BigInt(payload) << 40n) + high,
    traceIdLow: BigInt.asIntN(64, BigInt(`0x${s.traceId.slice(16)}`)),
    spanId: BigInt.asIntN(64, BigInt(`0x${s.spanId}`)),
    parentSpanId: s.parentSpanId === '' ? 0n : BigInt.asIntN(64, BigInt(`0x${s.parentSpanId}`)),
    operationName: s.name,
    flags: 1,
    startTime: BigInt(s.startTime),
    duration: BigInt(s.duration),
    tags,
    logs: s.events.map((e) => ({
      timestamp: BigInt(e.time),
      fields: [{ key: 'event', vType: 0, vStr: e.name }, ...e.attributes.map(tag)],
    })),
  };
}

function jaegerBatch(spans: Span[], payload: number): TestBatch {
  const resource = spans[0].resource;
  return {
    process: {
      serviceName: resource.serviceName,
      tags: resource.attributes.filter((a) => a.key !== 'service.name').map(tag),
    },
    spans: spans.map((s) => jaegerSpan(s, payload)),
  };
}

/** Byte offsets of every occurrence of each needle. */
function offsetsOf(buf: Buffer, needles: Iterable<Buffer>): number[] {
  const out: number[] = [];
  for (const needle of needles) {
    for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) out.push(at);
  }
  return out;
}

function zigzagVarint(n: bigint): Buffer {
  let v = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}

/** Distinct bodies; `stamp` rewrites the trace ids in place so every round is new. */
interface Payloads {
  bodies: Buffer[];
  /** Per body, offsets of the trace ids' first 4 bytes (OTLP, binary thrift) or varints (compact). */
  offsets: number[][];
  /** Per body, the original high halves at those offsets (compact only). */
  highs: bigint[][];
  spansPerBody: number;
  stamp(body: number, round: number): Buffer;
}

function binaryStamped(bodies: Buffer[], offsets: number[][], spansPerBody: number): Payloads {
  return {
    bodies,
    offsets,
    highs: [],
    spansPerBody,
    stamp(body, round) {
      const buf = bodies[body];
      // The second 4 bytes of the id (the first carry the re-basing).
      for (const at of offsets[body]) buf.writeUInt32BE(round, at + 4);
      return buf;
    },
  };
}

const otlpBodies: Buffer[] = [];
const otlpOffsets: number[][] = [];
const httpBodies: Buffer[] = [];
const httpOffsets: number[][] = [];
const udpBodies: Buffer[] = [];
const udpOffsets: number[][] = [];
const udpHighs: bigint[][] = [];
for (let p = 0; p < PAYLOADS; p++) {
  const opts = { spans: batch, seed: p + 1, startTimeUnixNano: nowNs, serviceName: `svc-${p % 8}` };
  const proto = Buffer.from(buildOtlpRequest(opts));
  const spans = decodeOtlpProto(proto).spans;
  const traceIds = [...new Set(spans.map((s) => s.traceId))];
  otlpBodies.push(proto);
  otlpOffsets.push(
    offsetsOf(
      proto,
      traceIds.map((id) => Buffer.from(id, 'hex')),
    ),
  );

  const jb = jaegerBatch(spans, p);
  const highs = [...new Set(jb.spans.map((s) => s.traceIdHigh))];
  const http = encodeBatch('binary', jb);
  httpBodies.push(http);
  httpOffsets.push(
    offsetsOf(
      http,
      highs.map((h) => {
        const b = Buffer.alloc(8);
        b.writeBigInt64BE(h);
        return b;
      }),
    ),
  );
  for (let from = 0; from < spans.length && udpBodies.length < PAYLOADS; from += udpBatch) {
    const part = jaegerBatch(spans.slice(from, from + udpBatch), p);
    const packet = encodeEmitBatch('compact', part);
    if (packet.length > 65_000)
      throw new Error(`--udp-batch ${udpBatch} makes ${packet.length}-byte packets`);
    const partHighs = [...new Set(part.spans.map((s) => s.traceIdHigh))];
    const at: number[] = [];
    const values: bigint[] = [];
    for (const h of partHighs) {
      for (const o of offsetsOf(packet, [zigzagVarint(h)])) {
        at.push(o);
        values.push(h);
      }
    }
    udpBodies.push(packet);
    udpOffsets.push(at);
    udpHighs.push(values);
  }
}

const scenarios = {
  otlp: binaryStamped(otlpBodies, otlpOffsets, batch),
  jaegerHttp: binaryStamped(httpBodies, httpOffsets, batch),
  jaegerUdp: {
    bodies: udpBodies,
    offsets: udpOffsets,
    highs: udpHighs,
    spansPerBody: udpBatch,
    stamp(body: number, round: number) {
      const buf = udpBodies[body];
      const at = udpOffsets[body];
      const highs = udpHighs[body];
      // Still in [2^62, 2^63), so still a 10-byte varint: rewritten in place.
      for (let i = 0; i < at.length; i++) {
        zigzagVarint(highs[i] + (BigInt(round) << 32n)).copy(buf, at[i]);
      }
      return buf;
    },
  } satisfies Payloads,
};

// ---- decode-only baselines --------------------------------------------------------

function decodeRate(p: Payloads, decode: (b: Buffer) => number): number {
  // Stamped before timing: the decoder alone is measured.
  const bodies = p.bodies.map((_, i) => Buffer.from(p.stamp(i, 0)));
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    let spans = 0;
    for (let i = 0; i < 200; i++) spans += decode(bodies[i % bodies.length]);
    rates.push(spans / ((performance.now() - t0) / 1000));
  }
  return median(rates);
}

const decodeOtlp = decodeRate(scenarios.otlp, (b) => decodeOtlpProto(b).spans.length);
const decodeHttp = decodeRate(scenarios.jaegerHttp, (b) => decodeJaegerThriftBatch(b).spans.length);
const decodeUdp = decodeRate(
  scenarios.jaegerUdp,
  (b) => decodeAgentPacket(b, 'compact').spans.length,
);

// ---- the server -------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'skein-bench-'));
const skein = await startSkein('all', [
  `--storage.duckdb.path=${store === 'memory' ? ':memory:' : dir}`,
]);
const admin = skein.urls.get('admin')!.replace(/\/metrics$/, '');
const otlpUrl = new URL(skein.urls.get('otlp-http')!);
const jaegerHttpUrl = new URL(skein.urls.get('jaeger-thrift-http')!);
const udpPort = Number(new URL(skein.urls.get('jaeger-agent-compact')!).port);
const agent = new Agent({ keepAlive: true, maxSockets: connections });

async function metric(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  const escaped = `${name}${labels}`.replace(/[{}"]/g, (c) => `\\${c}`);
  const m = new RegExp(`^${escaped} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

function post(url: URL, path: string, type: string, body: Buffer) {
  return new Promise<{ status: number; retryAfter: number }>((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': type, 'content-length': body.length },
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

/** Sends `spans` over HTTP with `connections` workers; spans/s until all written. */
async function runHttp(
  p: Payloads,
  url: URL,
  path: string,
  type: string,
  roundBase: number,
): Promise<{ rate: number; refused: number }> {
  const requests = Math.ceil(totalSpans / p.spansPerBody);
  const before = await metric('skein_spans_written_total');
  let next = 0;
  let refused = 0;
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      const round = roundBase + Math.floor(i / p.bodies.length);
      for (;;) {
        const res = await post(url, path, type, p.stamp(i % p.bodies.length, round));
        if (res.status === 200 || res.status === 202) break;
        if (res.status !== 429 && res.status !== 503)
          throw new Error(`${path} ${i}: HTTP ${res.status}`);
        refused++;
        await new Promise((r) => setTimeout(r, res.retryAfter * 1000));
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const sent = requests * p.spansPerBody;
  while ((await metric('skein_spans_written_total')) < before + sent) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return { rate: sent / ((performance.now() - t0) / 1000), refused };
}

const QUEUE_FULL = '{protocol="jaeger_agent_compact",reason="udp_queue_full"}';

/**
 * Sends datagrams paced at `targetRate` spans/s (Infinity: as fast as possible),
 * then waits until the pipeline is idle; rate = spans written / time.
 */
async function runUdp(targetRate: number, roundBase: number) {
  const p = scenarios.jaegerUdp;
  const packets = Math.ceil(totalSpans / p.spansPerBody);
  const socket = createSocket('udp4');
  const writtenBefore = await metric('skein_spans_written_total');
  const receivedBefore = await metric(
    'skein_spans_received_total',
    '{protocol="jaeger_agent_compact"}',
  );
  const queueDropsBefore = await metric('skein_receiver_requests_refused_total', QUEUE_FULL);
  const t0 = performance.now();
  let sentPackets = 0;
  while (sentPackets < packets) {
    // Pacing: never ahead of the target rate; send() callbacks keep the socket queue short.
    const due =
      targetRate === Infinity
        ? packets
        : Math.min(
            packets,
            Math.floor(((performance.now() - t0) / 1000) * (targetRate / p.spansPerBody)) + 1,
          );
    const inFlight: Promise<void>[] = [];
    for (; sentPackets < due && inFlight.length < 64; sentPackets++) {
      const i = sentPackets;
      const round = roundBase + Math.floor(i / p.bodies.length);
      // A copy: the next stamp must not change a datagram not sent yet.
      const body = Buffer.from(p.stamp(i % p.bodies.length, round));
      inFlight.push(
        new Promise((resolve, reject) =>
          socket.send(body, udpPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
        ),
      );
    }
    await Promise.all(inFlight);
    if (sentPackets < due || targetRate === Infinity) continue;
    await new Promise((r) => setTimeout(r, 2));
  }
  const sendSeconds = (performance.now() - t0) / 1000;
  socket.close();
  // Idle: nothing queued and the written count stopped moving.
  let last = -1;
  let written = await metric('skein_spans_written_total');
  let lastChange = performance.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    written = await metric('skein_spans_written_total');
    if (written !== last) {
      last = written;
      lastChange = performance.now();
    }
    const queued = await metric('skein_queue_spans');
    if (queued === 0 && performance.now() - lastChange > 500) break;
  }
  const received =
    (await metric('skein_spans_received_total', '{protocol="jaeger_agent_compact"}')) -
    receivedBefore;
  const queueDrops =
    ((await metric('skein_receiver_requests_refused_total', QUEUE_FULL)) - queueDropsBefore) *
    p.spansPerBody;
  const sent = packets * p.spansPerBody;
  const stored = written - writtenBefore;
  return {
    offered: sent / sendSeconds,
    rate: stored / ((lastChange - t0) / 1000),
    dropRate: (sent - stored) / sent,
    queueDropRate: queueDrops / sent,
    kernelDropRate: (sent - received - queueDrops) / sent,
  };
}

const otlpRun = await runHttp(scenarios.otlp, otlpUrl, '/v1/traces', 'application/x-protobuf', 0);
const httpRun = await runHttp(
  scenarios.jaegerHttp,
  jaegerHttpUrl,
  '/api/traces',
  'application/x-thrift',
  1 << 20,
);
const udpPaced = await runUdp(otlpRun.rate, 2 << 20);
const udpFlat = await runUdp(Infinity, 3 << 20);
// OTLP again at the end: the machine is shared, so the baseline is the mean of both runs.
const otlpAgain = await runHttp(
  scenarios.otlp,
  otlpUrl,
  '/v1/traces',
  'application/x-protobuf',
  4 << 20,
);
const otlpRate = (otlpRun.rate + otlpAgain.rate) / 2;
const exitCode = await skein.stop();
agent.destroy();
rmSync(dir, { recursive: true, force: true });

const kib = (bodies: Buffer[]) =>
  (bodies.reduce((n, b) => n + b.length, 0) / bodies.length / 1024).toFixed(1);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const ratio = (x: number) => `${(x / otlpRate).toFixed(3)} of OTLP`;
const rows: [string, string][] = [
  ['spans per scenario', `${totalSpans}, store=${store}, ${connections} HTTP connections`],
  [
    'request size OTLP / Jaeger HTTP / UDP',
    `${kib(otlpBodies)} / ${kib(httpBodies)} KiB (${batch} spans); ${kib(udpBodies)} KiB (${udpBatch} spans)`,
  ],
  ['decode-only OTLP protobuf', `${Math.round(decodeOtlp)} spans/s`],
  ['decode-only Jaeger thrift binary (HTTP)', `${Math.round(decodeHttp)} spans/s`],
  ['decode-only Jaeger thrift compact (UDP)', `${Math.round(decodeUdp)} spans/s`],
  [
    'end to end OTLP/HTTP protobuf (first, last run)',
    `${Math.round(otlpRun.rate)}, ${Math.round(otlpAgain.rate)} spans/s (${otlpRun.refused + otlpAgain.refused} 429 retried)`,
  ],
  [
    'end to end Jaeger thrift HTTP',
    `${Math.round(httpRun.rate)} spans/s (${httpRun.refused} 429 retried), ${ratio(httpRun.rate)}`,
  ],
  [
    'end to end Jaeger UDP compact, paced',
    `offered ${Math.round(udpPaced.offered)}, stored ${Math.round(udpPaced.rate)} spans/s, ${ratio(udpPaced.rate)}; dropped ${pct(udpPaced.dropRate)} (kernel ${pct(udpPaced.kernelDropRate)}, skein's UDP queue ${pct(udpPaced.queueDropRate)})`,
  ],
  [
    'end to end Jaeger UDP compact, unpaced',
    `offered ${Math.round(udpFlat.offered)}, stored ${Math.round(udpFlat.rate)} spans/s, ${ratio(udpFlat.rate)}; dropped ${pct(udpFlat.dropRate)} (kernel ${pct(udpFlat.kernelDropRate)}, skein's UDP queue ${pct(udpFlat.queueDropRate)})`,
  ],
  ['server exit code', String(exitCode)],
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log('\nlegacy-protocols (Jaeger)');
for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
