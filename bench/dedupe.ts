/**
 * The dedupe filter's cost per span (pipeline/dedupe): fresh spans (every one new to
 * the window, the common case), the same spans re-sent (every one a duplicate), and a
 * loop merely touching each span as the baseline, on the ingest bench's payloads
 * (decoded once). Also the window's memory.
 *
 *   node --import tsx bench/dedupe.ts [--spans 1000000] [--window 1000000]
 */
import { DedupeFilter } from '../packages/server/src/pipeline/dedupe/dedupe-filter.ts';
import { FingerprintWindow } from '../packages/server/src/pipeline/dedupe/fingerprint-window.ts';
import { decodeOtlpProto } from '../packages/server/src/receivers/otlp/otlp-proto-decoder.ts';
import type { Span } from '../packages/server/src/model/span.ts';
import { buildOtlpRequest } from './payloads.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
const total = Number(arg('spans', '1000000'));
const window = Number(arg('window', '1000000'));

const PER_REQUEST = 500;
const nowNs = `${Date.now()}000000`;
/** Decoded batches with distinct trace ids per batch (the round number written into the trace id bytes). */
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
const data = batches();
const spans = data.reduce((n, b) => n + b.length, 0);
const fresh: number[] = [];
const resent: number[] = [];
const loop: number[] = [];
let passed = 0;
let sink = 0;
for (let run = 0; run < 5; run++) {
  let t0 = performance.now();
  for (const b of data) for (let i = 0; i < b.length; i++) sink += b[i].startTime;
  loop.push(((performance.now() - t0) * 1e6) / spans);
  const f = new DedupeFilter(window);
  t0 = performance.now();
  for (const b of data) passed += f.filter(b).length;
  fresh.push(((performance.now() - t0) * 1e6) / spans);
  // Re-sent: the last `window` spans again (all still in the window when it holds them all).
  t0 = performance.now();
  for (const b of data) passed += f.filter(b).length;
  resent.push(((performance.now() - t0) * 1e6) / spans);
}
void sink;
console.log(
  `spans ${spans}, window ${window} (${(FingerprintWindow.bytesFor(window) / 2 ** 20).toFixed(1)} MiB), median of 5 runs`,
);
console.log('| case | ns/span |');
console.log('| --- | --- |');
console.log(`| loop touching each span (baseline) | ${median(loop).toFixed(1)} |`);
console.log(`| filter, every span new | ${median(fresh).toFixed(1)} |`);
console.log(`| filter, every span a re-send | ${median(resent).toFixed(1)} |`);
console.log(`(passed ${passed} spans in all runs)`);
