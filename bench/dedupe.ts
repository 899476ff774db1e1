/**
 * The dedupe filter's cost per span (pipeline/dedupe): fresh spans (every one new to
 * the window, the common case), the same spans re-sent (every one a duplicate), and a
 * loop reading the same fields as the baseline, on the ingest bench's payloads, each
 * batch timed right after it is decoded (cache-hot, as in the pipeline). Also the
 * window's memory.
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
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Decodes each batch (not timed) and times only what follows on the just-decoded,
 * cache-hot spans, as in the pipeline: `fn` over the batch.
 */
function timed(fn: (batch: Span[]) => void, resend: boolean, filter: DedupeFilter): number {
  const bytes = Buffer.from(template);
  let ns = 0;
  let n = 0;
  for (let round = 0; round * PER_REQUEST < total; round++) {
    for (const at of offsets) bytes.writeUInt32BE(round, at);
    const batch = decodeOtlpProto(bytes).spans;
    if (resend) filter.filter(batch);
    const t0 = process.hrtime.bigint();
    fn(batch);
    ns += Number(process.hrtime.bigint() - t0);
    n += batch.length;
  }
  return ns / n;
}

const template = Buffer.from(
  buildOtlpRequest({ spans: PER_REQUEST, seed: 7, startTimeUnixNano: nowNs }),
);
const offsets: number[] = [];
for (const id of new Set(decodeOtlpProto(template).spans.map((s) => s.traceId))) {
  const needle = Buffer.from(id, 'hex');
  for (let at = template.indexOf(needle); at >= 0; at = template.indexOf(needle, at + 1))
    offsets.push(at);
}

let sink = 0;
const touch = (batch: Span[]): void => {
  for (let i = 0; i < batch.length; i++) {
    const s = batch[i];
    sink += s.traceId.length + s.spanId.length + s.name.length + s.resource.serviceName.length;
  }
};
const fresh: number[] = [];
const resent: number[] = [];
const loop: number[] = [];
for (let run = 0; run < 5; run++) {
  const f = new DedupeFilter(window);
  loop.push(timed(touch, false, f));
  fresh.push(timed((b) => void f.filter(b), false, f));
  // The same spans again: each batch is decoded twice and its second copy timed.
  const g = new DedupeFilter(window);
  resent.push(timed((b) => void g.filter(b), true, g));
}
void sink;
console.log(
  `spans ${total}, window ${window} (${(FingerprintWindow.bytesFor(window) / 2 ** 20).toFixed(1)} MiB), batches of ${PER_REQUEST} just decoded, median of 5 runs`,
);
console.log('| case | ns/span |');
console.log('| --- | --- |');
console.log(
  `| reading the ids, name and service of each span (baseline) | ${median(loop).toFixed(1)} |`,
);
console.log(`| filter, every span new | ${median(fresh).toFixed(1)} |`);
console.log(`| filter, every span a re-send | ${median(resent).toFixed(1)} |`);
