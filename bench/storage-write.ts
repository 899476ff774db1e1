/**
 * Storage write cost alone, on the ingest bench's workload: decodes the same OTLP
 * payloads as bench/ingest-e2e.ts once, then writes them through DuckDbStorage in
 * batches (no HTTP, no pipeline), so a CPU profile shows only the write path.
 *
 *   node --import tsx [--cpu-prof] bench/storage-write.ts [--spans 500000] [--batch-spans 10000]
 *        [--dir /tmp/skein-write-bench] [--memory-mb 256] [--span-batches]
 *
 * `--span-batches` does what the DuckDB thread does (storage.duckdb.workerThread): each
 * batch arrives as span-batches of 500 spans (encoded before timing, as the pipeline's
 * queue holds them) and is decoded, then written; the decode is timed with the write.
 *
 * Also printed: where the memory was when RSS was highest (this process's JS heap and
 * ArrayBuffers, and DuckDB's own accounting from `duckdb_memory()`, outside the timing).
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  decodeSpanBatch,
  encodeSpanBatch,
} from '../packages/server/src/codecs/span-batch/index.ts';
import type { Span } from '../packages/server/src/model/span.ts';
import { decodeOtlpProto } from '../packages/server/src/receivers/otlp/otlp-proto-decoder.ts';
import { DuckDbStorage } from '../packages/server/src/storage/duckdb/duckdb-storage.ts';
import { buildOtlpRequest } from './payloads.ts';

const { values: args } = parseArgs({
  options: {
    spans: { type: 'string', default: '500000' },
    'batch-spans': { type: 'string', default: '10000' },
    dir: { type: 'string', default: '/tmp/skein-write-bench' },
    'memory-mb': { type: 'string', default: '256' },
    'span-batches': { type: 'boolean', default: false },
  },
});
const totalSpans = Number(args.spans);
const batchSpans = Number(args['batch-spans']);
const dir = args.dir!;

// The ingest bench's requests (500 spans, 8 services); trace ids made unique per round.
const REQUEST_SPANS = 500;
const requests: Span[][] = [];
const nowNs = `${Date.now()}000000`;
for (let p = 0; p < 100; p++) {
  const bytes = buildOtlpRequest({
    spans: REQUEST_SPANS,
    seed: p + 1,
    startTimeUnixNano: nowNs,
    serviceName: `svc-${p % 8}`,
  });
  requests.push(decodeOtlpProto(bytes).spans);
}
function batchAt(first: number): Span[] {
  const out: Span[] = [];
  for (let i = first; out.length < batchSpans; i++) {
    const round = Math.floor(i / requests.length)
      .toString(16)
      .padStart(8, '0');
    for (const s of requests[i % requests.length]) {
      out.push({ ...s, traceId: round + s.traceId.slice(8) });
    }
  }
  return out;
}

/** CPU seconds of this process's JS thread so far (/proc; 0 where there is none). */
function jsThreadSeconds(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

rmSync(dir, { recursive: true, force: true });
const store = new DuckDbStorage({ path: dir, memoryLimitMB: Number(args['memory-mb']) });
await store.open();
let written = 0;
let writeMs = 0;
let cpuMicros = 0;
let maxRss = 0;
let jsSeconds = 0;
let atMax = '';

/** Where this process's memory is: the JS heap, ArrayBuffers, and DuckDB's own accounting. */
async function memoryParts(s: DuckDbStorage): Promise<string> {
  const m = process.memoryUsage();
  const writer = (
    s as unknown as {
      writer: {
        runAndReadAll(sql: string): Promise<{ getRowObjects(): Record<string, unknown>[] }>;
      };
    }
  ).writer;
  const rows = (
    await writer.runAndReadAll(
      `SELECT tag, memory_usage_bytes AS b FROM duckdb_memory() WHERE memory_usage_bytes > 0 ORDER BY b DESC`,
    )
  ).getRowObjects();
  const mb = (b: number | bigint) => (Number(b) / 2 ** 20).toFixed(0);
  return (
    `heap used ${mb(m.heapUsed)} / committed ${mb(m.heapTotal)} MB, external ${mb(m.external)} (ArrayBuffers ${mb(m.arrayBuffers)}) MB; ` +
    `DuckDB ${rows.map((r) => `${String(r.tag)} ${mb(r.b as bigint)}`).join(', ')} MB`
  );
}
for (let r = 0; written < totalSpans; r += batchSpans / REQUEST_SPANS) {
  let batch = batchAt(r);
  const encoded: Uint8Array[] = [];
  if (args['span-batches'])
    for (let i = 0; i < batch.length; i += REQUEST_SPANS)
      encoded.push(encodeSpanBatch(batch.slice(i, i + REQUEST_SPANS)));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const js0 = jsThreadSeconds();
  if (args['span-batches']) batch = encoded.flatMap((b) => decodeSpanBatch(b));
  await store.write(batch);
  const cpu = process.cpuUsage(cpu0);
  jsSeconds += jsThreadSeconds() - js0;
  writeMs += performance.now() - t0;
  cpuMicros += cpu.user + cpu.system;
  written += batch.length;
  const rss = process.memoryUsage.rss();
  if (rss > maxRss) {
    maxRss = rss;
    atMax = await memoryParts(store);
  }
}
await store.close();
const bytes = statSync(join(dir, 'skein.duckdb')).size;
rmSync(dir, { recursive: true, force: true });
console.log(
  `storage-write${args['span-batches'] ? ' (from span-batches)' : ''}: ${written} spans in batches of ${batchSpans}: ` +
    `${Math.round(written / (writeMs / 1000))} spans/s, ` +
    `${(cpuMicros / written).toFixed(1)} µs CPU/span (all threads; JS thread ${((jsSeconds * 1e6) / written).toFixed(1)}), ` +
    `${(writeMs / (written / batchSpans)).toFixed(0)} ms/batch, ` +
    `max RSS ${(maxRss / 2 ** 20).toFixed(0)} MB, ${(bytes / written).toFixed(1)} B/span`,
);
console.log(`at max RSS: ${atMax}`);
