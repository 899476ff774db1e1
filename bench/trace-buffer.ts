/**
 * The trace buffer's cost: memory per buffered span and time per added span, on the
 * ingest bench's payloads (decoded once), against the same spans merely iterated.
 *
 *   node --expose-gc --import tsx bench/trace-buffer.ts [--spans 1000000]
 *
 * Memory is the JS heap plus ArrayBuffers (the slab) after a full GC, with every span
 * buffered and the decoded spans dropped, divided by the spans buffered.
 */
import { decodeOtlpProto } from '../packages/server/src/receivers/otlp/otlp-proto-decoder.ts';
import { TraceBuffer } from '../packages/server/src/pipeline/trace-buffer.ts';
import type { Span } from '../packages/server/src/model/span.ts';
import { buildOtlpRequest } from './payloads.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
const total = Number(arg('spans', '1000000'));
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const PER_REQUEST = 500;
const nowNs = `${Date.now()}000000`;
/** Decoded batches with distinct trace ids per batch: the round number is written into the request's trace id bytes. */
function batches(): Span[][] {
  const bytes = Buffer.from(
    buildOtlpRequest({ spans: PER_REQUEST, seed: 7, startTimeUnixNano: nowNs }),
  );
  const offsets: number[] = [];
  for (const id of new Set(decodeOtlpProto(bytes).spans.map((s) => s.traceId))) {
    const needle = Buffer.from(id, 'hex');
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1))
      offsets.push(at);
  }
  const out: Span[][] = [];
  for (let round = 0; round * PER_REQUEST < total; round++) {
    for (const at of offsets) bytes.writeUInt32BE(round, at);
    out.push(decodeOtlpProto(bytes).spans);
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const memory = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

// Time: add every span into a fresh buffer, 5 runs; baseline: the same loop touching each span.
const data = batches();
const spans = data.reduce((n, b) => n + b.length, 0);
const addNs: number[] = [];
const loopNs: number[] = [];
for (let run = 0; run < 5; run++) {
  let sink = 0;
  let t0 = performance.now();
  for (const b of data) for (let i = 0; i < b.length; i++) sink += b[i].startTime;
  loopNs.push(((performance.now() - t0) * 1e6) / spans);
  const buffer = new TraceBuffer({
    idleMs: 3_600_000,
    maxTraces: spans,
    maxSpans: spans,
    maxHeldBytes: 0,
    rememberReleased: 10,
    onRelease: () => true,
    onLateSpan: () => {},
  });
  t0 = performance.now();
  for (const b of data) for (let i = 0; i < b.length; i++) buffer.add(b[i]);
  addNs.push(((performance.now() - t0) * 1e6) / spans);
  if (sink === 42) console.log('');
}

// Memory: what a buffer holding every span adds to the heap and array buffers.
const before = memory();
const buffer = new TraceBuffer({
  idleMs: 3_600_000,
  maxTraces: spans,
  maxSpans: spans,
  maxHeldBytes: 0,
  rememberReleased: 10,
  onRelease: () => true,
  onLateSpan: () => {},
});
for (const b of data) for (let i = 0; i < b.length; i++) buffer.add(b[i]);
const after = memory();
// Keep the decoded spans alive until after the measurement (so only the buffer is counted).
if (data.length < 0) console.log(data);

const rows: [string, string][] = [
  ['spans buffered', `${buffer.spans} in ${buffer.traces} traces`],
  ['add, ns/span (median of 5)', median(addNs).toFixed(0)],
  ['baseline loop, ns/span', median(loopNs).toFixed(1)],
  [
    'memory per buffered span',
    `${((after - before) / buffer.spans).toFixed(1)} B (slab ${TraceBuffer.BYTES_PER_SPAN} B + per-trace entry and interned strings)`,
  ],
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log('\ntrace-buffer');
for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
