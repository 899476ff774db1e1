/**
 * Loads the embedded DuckDB store with a realistic workload and measures it against
 * the product's storage targets.
 *
 *   node --import tsx bench/storage-load.ts --spans 1000000 --dir /tmp/skein-bench [--batch 5000] [--reps 50]
 *   node --import tsx bench/storage-load.ts --dir /tmp/skein-bench --reuse   (reads only, on a loaded dir)
 *
 * Writes `--spans` spans (24 h of timestamps ending now, in arrival order) through
 * DuckDbStorage.write in batches, closes the store (DuckDB checkpoints on close) to
 * measure bytes per span on disk, reopens it, then times each read ~`--reps` times.
 * The load's figures and sample trace ids are kept in `bench-meta.json` beside the
 * database, so `--reuse` can measure the reads again without loading again.
 */
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_TENANT } from '../packages/server/src/model/span.ts';
import type { Span } from '../packages/server/src/model/span.ts';
import { DuckDbStorage } from '../packages/server/src/storage/duckdb/duckdb-storage.ts';
import { createWorkload, rng } from './storage-workload.ts';

const { values: args } = parseArgs({
  options: {
    spans: { type: 'string', default: '1000000' },
    dir: { type: 'string', default: '/tmp/skein-storage-bench' },
    batch: { type: 'string', default: '5000' },
    reps: { type: 'string', default: '50' },
    reuse: { type: 'boolean', default: false },
  },
});
const totalSpans = Number(args.spans);
const batchSize = Number(args.batch);
const reps = Number(args.reps);
const dir = args.dir!;

const TARGETS = {
  write: '≥ 50,000 spans/s',
  bytes: '≤ 100 B/span',
  getTrace: 'p50 ≤ 5 ms',
  search: 'p50 ≤ 100 ms',
  services: '≤ 20 ms',
  operations: '≤ 20 ms',
  dependencies: '≤ 1 s',
};

const META_FILE = 'bench-meta.json';

/** What the load measured, kept for `--reuse`. */
interface LoadMeta {
  now: number;
  written: number;
  traces: number;
  sampleIds: string[];
  batchSize: number;
  writeMs: number;
  writeCpuMicros: number;
  genMs: number;
  closeMs: number;
}

function dirBytes(path: string): number {
  let total = 0;
  for (const f of readdirSync(path)) if (f !== META_FILE) total += statSync(join(path, f)).size;
  return total;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

async function time(fn: () => Promise<unknown>, n: number): Promise<{ p50: number; p95: number }> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95) };
}

async function load(): Promise<LoadMeta> {
  rmSync(dir, { recursive: true, force: true });
  const now = Date.now() * 1000;
  const windowStart = now - 24 * HOUR;
  const store = new DuckDbStorage({ path: dir });
  await store.open();
  const workload = createWorkload(42);
  const sampleIds: string[] = [];
  let written = 0;
  let traces = 0;
  let writeMs = 0;
  let writeCpuMicros = 0;
  let genMs = 0;
  let batch: Span[] = [];
  while (written < totalSpans) {
    const g0 = performance.now();
    while (batch.length < batchSize && written + batch.length < totalSpans) {
      const start = windowStart + Math.floor(((written + batch.length) / totalSpans) * 24 * HOUR);
      const trace = workload.nextTrace(start);
      if (traces++ % 97 === 0) sampleIds.push(trace[0].traceId);
      for (const s of trace) batch.push(s);
    }
    genMs += performance.now() - g0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await store.write(batch);
    const cpu = process.cpuUsage(cpu0);
    writeCpuMicros += cpu.user + cpu.system;
    writeMs += performance.now() - t0;
    written += batch.length;
    batch = [];
    if (written % (batchSize * 100) < batchSize) {
      process.stderr.write(
        `\r${written} spans, ${Math.round(written / (writeMs / 1000))} spans/s   `,
      );
    }
  }
  process.stderr.write('\n');
  const c0 = performance.now();
  await store.close();
  const closeMs = performance.now() - c0;
  const meta: LoadMeta = {
    now,
    written,
    traces,
    sampleIds,
    batchSize,
    writeMs,
    writeCpuMicros,
    genMs,
    closeMs,
  };
  writeFileSync(join(dir, META_FILE), JSON.stringify(meta));
  return meta;
}

const HOUR = 3_600_000_000;
const meta: LoadMeta = args.reuse
  ? (JSON.parse(readFileSync(join(dir, META_FILE), 'utf8')) as LoadMeta)
  : await load();
const { now, written, traces, sampleIds, writeMs, writeCpuMicros, genMs, closeMs } = meta;
const bytes = dirBytes(dir);

const store = new DuckDbStorage({ path: dir });
const o0 = performance.now();
await store.open();
const openMs = performance.now() - o0;

const r = rng(7);
const services = await store.getServices(DEFAULT_TENANT);
const pick = <T>(xs: T[]): T => xs[(r() * xs.length) | 0];
const results: [string, string, string, string][] = [];
const row = (name: string, target: string, t: { p50: number; p95: number }): void => {
  results.push([name, t.p50.toFixed(2) + ' ms', t.p95.toFixed(2) + ' ms', target]);
};
let searchHits = 0;
// First, before the store's background pass (5 s after open) fills the per-hour
// dependency cache: this is the cold cost, and afterwards that pass has nothing left
// to join, so it does not compete with the reads measured below.
const d0 = performance.now();
await store.getDependencies(DEFAULT_TENANT, now, 24 * HOUR);
results.push([
  'getDependencies 24 h, first call (cold)',
  (performance.now() - d0).toFixed(2) + ' ms',
  '',
  '',
]);
row(
  'getTrace (random known id)',
  TARGETS.getTrace,
  await time(() => store.getTrace(DEFAULT_TENANT, pick(sampleIds)), reps),
);
row(
  'findTraces service+tag+minDuration, 1 h, limit 20',
  TARGETS.search,
  await time(async () => {
    const found = await store.findTraces({
      tenant: DEFAULT_TENANT,
      serviceName: pick(services),
      tags: { 'http.method': 'POST' },
      durationMin: 10_000,
      startTimeMin: now - HOUR,
      startTimeMax: now,
      limit: 20,
    });
    searchHits += found.length;
  }, reps),
);
row('getServices', TARGETS.services, await time(() => store.getServices(DEFAULT_TENANT), reps));
row(
  'getOperations',
  TARGETS.operations,
  await time(
    () => store.getOperations({ tenant: DEFAULT_TENANT, serviceName: pick(services) }),
    reps,
  ),
);
row(
  'getDependencies 24 h (per-hour cache warm)',
  TARGETS.dependencies,
  await time(
    () => store.getDependencies(DEFAULT_TENANT, now, 24 * HOUR),
    Math.max(5, Math.floor(reps / 5)),
  ),
);
const deps = await store.getDependencies(DEFAULT_TENANT, now, 24 * HOUR);
await store.close();

const table: [string, string, string, string][] = [
  ['measure', 'value', '', 'target'],
  ['spans written', String(written), `${traces} traces`, ''],
  [
    'write throughput',
    `${Math.round(written / (writeMs / 1000))} spans/s`,
    `batch ${meta.batchSize}`,
    TARGETS.write,
  ],
  [
    'write CPU, all threads',
    `${(writeCpuMicros / written).toFixed(1)} µs/span`,
    `${(writeCpuMicros / 1000 / writeMs).toFixed(2)} cores busy`,
    '',
  ],
  ['generation (not in write)', `${Math.round(written / (genMs / 1000))} spans/s`, '', ''],
  ['close (checkpoint)', `${closeMs.toFixed(0)} ms`, '', ''],
  ['reopen', `${openMs.toFixed(0)} ms`, '', ''],
  [
    'bytes on disk',
    `${(bytes / written).toFixed(1)} B/span`,
    `${(bytes / 1e6).toFixed(1)} MB`,
    TARGETS.bytes,
  ],
  ['read', 'p50', 'p95', 'target'],
  ...results,
  ['search hits (avg traces)', (searchHits / reps).toFixed(1), '', ''],
  ['dependency edges', String(deps.length), '', ''],
];
const widths = [0, 1, 2, 3].map((i) => Math.max(...table.map((t) => t[i].length)));
for (const t of table) console.log(t.map((c, i) => c.padEnd(widths[i])).join('  '));
