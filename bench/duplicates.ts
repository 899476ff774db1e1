/**
 * Idempotent writes and dependencies kept on write (issue 14), on the embedded store.
 *
 *   node --import tsx bench/duplicates.ts --spans 1000000 --dir /tmp/skein-dup
 *   node --import tsx bench/duplicates.ts --deps-only --spans 10000000 --days 7 --dir /tmp/skein-deps
 *     [--reuse: read a directory loaded before] [--skip-join-baseline: keep its aggregates]
 *     [--reaggregate: with --reuse, write the edges again (after a join baseline deleted them)]
 *
 * Duplicates (default mode): the same `--spans` spans (bench/storage-workload.ts, 24 h
 * of start times) written, in the same run, to four stores:
 * - `once`: through the pipeline's DedupeFilter, once;
 * - `twice`: through the DedupeFilter, twice (the retry is filtered out; `--window`,
 *   default 2,000,000, must hold all `--spans`: a FIFO window re-sent more spans than it
 *   holds forgets each one just before its copy comes, and passes them all);
 * - `twice, unfiltered`: written twice without the filter, as a store written before
 *   this change holds them (reads then rely on the read-side dedupe);
 * - `once, join only`: once, without dependency aggregates (the old read path).
 * Every store but the last also gets the edges the dependencies processor would
 * write (each trace whole, as the trace buffer assembles it). Reported per store: bytes
 * on disk, getTrace / search / 24 h getDependencies p50, and whether every answer
 * equals the `once` store's.
 *
 * `--deps-only`: `--spans` spans over `--days` days into one store with the edges kept
 * on write, then DependencyReader p50 over the whole window (what `/api/dependencies`
 * runs), then the same store with its aggregates deleted (the span join, cold and per-hour
 * cache warm) as the same-run baseline.
 */
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { DEFAULT_TENANT } from '../packages/server/src/model/span.ts';
import type { Span } from '../packages/server/src/model/span.ts';
import { DedupeFilter } from '../packages/server/src/pipeline/dedupe/dedupe-filter.ts';
import { DependencyAggregates } from '../packages/server/src/pipeline/processors/dependencies/dependency-aggregates.ts';
import { countServiceEdges } from '../packages/server/src/pipeline/processors/dependencies/service-edges.ts';
import { digestSpan } from '../packages/server/src/pipeline/span-digest.ts';
import { DuckDbStorage } from '../packages/server/src/storage/duckdb/duckdb-storage.ts';
import { createWorkload, rng } from './storage-workload.ts';

const { values: args } = parseArgs({
  options: {
    spans: { type: 'string', default: '1000000' },
    days: { type: 'string', default: '1' },
    dir: { type: 'string', default: '/tmp/skein-dup-bench' },
    batch: { type: 'string', default: '5000' },
    reps: { type: 'string', default: '30' },
    window: { type: 'string', default: '2000000' },
    'deps-only': { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
    'skip-join-baseline': { type: 'boolean', default: false },
    reaggregate: { type: 'boolean', default: false },
  },
});
const totalSpans = Number(args.spans);
const batchSize = Number(args.batch);
const reps = Number(args.reps);
const HOUR = 3_600_000_000;
const MINUTE = 60_000_000;
const windowUs = (args['deps-only'] ? Number(args.days) * 24 : 24) * HOUR;

function dirBytes(path: string): number {
  let total = 0;
  for (const f of readdirSync(path)) total += statSync(join(path, f)).size;
  return total;
}

async function time(fn: () => Promise<unknown>, n: number): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

/** The batches of the workload: whole traces, start times spread over the window ending at `now`. */
function* batches(now: number): Generator<Span[]> {
  const workload = createWorkload(42);
  const start0 = now - windowUs;
  let made = 0;
  let batch: Span[] = [];
  while (made < totalSpans) {
    const trace = workload.nextTrace(start0 + Math.floor((made / totalSpans) * windowUs));
    for (const s of trace) batch.push(s);
    made += trace.length;
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** The dependencies processor's delta for a batch of whole traces. */
function edgesOf(batch: Span[]): ReturnType<DependencyAggregates['take']> {
  const agg = new DependencyAggregates();
  const byTrace = new Map<string, Span[]>();
  for (const s of batch) {
    const list = byTrace.get(s.traceId);
    if (list === undefined) byTrace.set(s.traceId, [s]);
    else list.push(s);
  }
  for (const trace of byTrace.values()) countServiceEdges(trace.map(digestSpan), agg);
  return agg.take();
}

interface Variant {
  name: string;
  passes: number;
  filter: boolean;
  aggregates: boolean;
}

async function loadStore(
  path: string,
  now: number,
  v: Variant,
): Promise<{ written: number; sample: string[] }> {
  rmSync(path, { recursive: true, force: true });
  const store = new DuckDbStorage({ path });
  await store.open();
  const filter = v.filter ? new DedupeFilter(Number(args.window)) : undefined;
  const sample: string[] = [];
  let written = 0;
  let n = 0;
  for (let pass = 0; pass < v.passes; pass++) {
    for (const batch of batches(now)) {
      if (pass === 0 && n++ % 20 === 0) sample.push(batch[0].traceId);
      const kept = filter === undefined ? batch : filter.filter(batch);
      if (kept.length > 0) {
        await store.write(kept);
        written += kept.length;
        // A re-sent span that got past the filter reaches the processor as a late span
        // of a trace already assembled: not counted again.
        if (v.aggregates && pass === 0) await store.writeDependencies(edgesOf(kept));
      }
      if (n % 200 === 0) process.stderr.write(`\r${v.name}: ${written} spans written   `);
    }
  }
  process.stderr.write('\n');
  if (v.aggregates) {
    // A processor running the whole time vouched for every minute of the window.
    const minutes: number[] = [];
    for (let m = Math.floor((now - windowUs) / MINUTE) * MINUTE; m < now; m += MINUTE)
      minutes.push(m);
    await store.writeDependencies({ edges: [], minutes });
  }
  await store.close();
  return { written, sample };
}

/** Load average when measured: the box is shared. */
const uptime = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

if (!args['deps-only']) {
  const now = Date.now() * 1000;
  const variants: Variant[] = [
    { name: 'once', passes: 1, filter: true, aggregates: true },
    { name: 'twice', passes: 2, filter: true, aggregates: true },
    { name: 'twice, unfiltered', passes: 2, filter: false, aggregates: true },
    { name: 'once, join only', passes: 1, filter: true, aggregates: false },
  ];
  const rows: string[][] = [];
  let reference: Record<string, string> | undefined;
  for (const [i, v] of variants.entries()) {
    const path = join(args.dir!, `store-${i}`);
    const { written, sample } = await loadStore(path, now, v);
    const bytes = dirBytes(path);
    const store = new DuckDbStorage({ path });
    await store.open();
    const r = rng(7);
    const pick = <T>(xs: T[]): T => xs[(r() * xs.length) | 0];
    const services = await store.getServices(DEFAULT_TENANT);
    const d0 = performance.now();
    await store.getDependencies(DEFAULT_TENANT, now, 24 * HOUR);
    const depsCold = performance.now() - d0;
    const depsWarm = await time(() => store.getDependencies(DEFAULT_TENANT, now, 24 * HOUR), reps);
    const trace = await time(() => store.getTrace(DEFAULT_TENANT, pick(sample)), reps);
    const search = await time(
      () =>
        store.findTraces({
          tenant: DEFAULT_TENANT,
          serviceName: pick(services),
          tags: { 'http.method': 'POST' },
          durationMin: 10_000,
          startTimeMin: now - HOUR,
          startTimeMax: now,
          limit: 20,
        }),
      reps,
    );
    // Every answer of this store, to compare with `once`.
    const parts = {
      deps: await store.getDependencies(DEFAULT_TENANT, now, 24 * HOUR),
      traces: await Promise.all(
        sample.slice(0, 50).map((id) => store.getTrace(DEFAULT_TENANT, id)),
      ),
      search: await store.findTraces({
        tenant: DEFAULT_TENANT,
        serviceName: services[0],
        tags: {},
        startTimeMin: now - 24 * HOUR,
        startTimeMax: now,
        limit: 100,
      }),
      services,
    };
    const answers: Record<string, string> = {};
    for (const [k, val] of Object.entries(parts)) answers[k] = JSON.stringify(val);
    reference ??= answers;
    const differing = Object.keys(answers).filter((k) => answers[k] !== reference![k]);
    await store.close();
    rows.push([
      v.name,
      String(written),
      `${(bytes / 1e6).toFixed(1)} MB`,
      `${depsCold.toFixed(1)} ms`,
      `${depsWarm.toFixed(1)} ms`,
      `${trace.toFixed(2)} ms`,
      `${search.toFixed(1)} ms`,
      differing.length === 0 ? 'same' : `DIFFERENT: ${differing.join(', ')}`,
    ]);
    rmSync(path, { recursive: true, force: true });
  }
  console.log(`spans ${totalSpans} (x passes), load ${uptime()}, p50 of ${reps}`);
  console.log(
    '| store | rows written | on disk | deps 24 h first | deps 24 h p50 | getTrace p50 | search p50 | answers vs once |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
} else {
  const path = args.dir!;
  const metaFile = `${path}.meta.json`;
  let meta: { now: number; written: number; loadS: number };
  if (args.reuse) meta = JSON.parse(readFileSync(metaFile, 'utf8')) as typeof meta;
  else {
    const now = Date.now() * 1000;
    const t0 = performance.now();
    const { written } = await loadStore(path, now, {
      name: `${args.days} d`,
      passes: 1,
      filter: false,
      aggregates: true,
    });
    meta = { now, written, loadS: (performance.now() - t0) / 1000 };
    writeFileSync(metaFile, JSON.stringify(meta));
  }
  const { now, written, loadS } = meta;
  if (args.reaggregate) {
    const store = new DuckDbStorage({ path });
    await store.open();
    for (const batch of batches(now)) await store.writeDependencies(edgesOf(batch));
    const minutes: number[] = [];
    for (let m = Math.floor((now - windowUs) / MINUTE) * MINUTE; m < now; m += MINUTE)
      minutes.push(m);
    await store.writeDependencies({ edges: [], minutes });
    await store.close();
  }
  const store = new DuckDbStorage({ path });
  await store.open();
  const d0 = performance.now();
  const first = await store.getDependencies(DEFAULT_TENANT, now, windowUs);
  const aggFirst = performance.now() - d0;
  const aggP50 = await time(() => store.getDependencies(DEFAULT_TENANT, now, windowUs), reps);
  const day = await time(() => store.getDependencies(DEFAULT_TENANT, now, 24 * HOUR), reps);
  await store.close();
  console.log(
    `spans ${written} over ${args.days} d (load ${loadS.toFixed(0)} s), load avg ${uptime()}, p50 of ${reps}`,
  );
  console.log('| read | time |');
  console.log('| --- | --- |');
  console.log(
    `| getDependencies ${args.days} d from edges kept on write, first | ${aggFirst.toFixed(1)} ms |`,
  );
  console.log(
    `| getDependencies ${args.days} d from edges kept on write, p50 | ${aggP50.toFixed(1)} ms |`,
  );
  console.log(`| getDependencies 24 h from edges kept on write, p50 | ${day.toFixed(1)} ms |`);
  if (args['skip-join-baseline']) process.exit(0);
  // The same store without its aggregates: the span join, as before this change.
  const raw = await DuckDBInstance.create(join(path, 'skein.duckdb'));
  const c = await raw.connect();
  await c.run('DELETE FROM dependency_edges');
  await c.run('DELETE FROM dependency_minutes');
  c.closeSync();
  raw.closeSync();
  const joined = new DuckDbStorage({ path });
  await joined.open();
  const j0 = performance.now();
  const viaJoin = await joined.getDependencies(DEFAULT_TENANT, now, windowUs);
  const joinCold = performance.now() - j0;
  const joinWarm = await time(
    () => joined.getDependencies(DEFAULT_TENANT, now, windowUs),
    Math.min(reps, 5),
  );
  await joined.close();
  console.log(
    `| getDependencies ${args.days} d, span join (no aggregates), first | ${joinCold.toFixed(0)} ms |`,
  );
  console.log(
    `| getDependencies ${args.days} d, span join, per-hour cache warm p50 | ${joinWarm.toFixed(1)} ms |`,
  );
  console.log(
    `edges: ${first.length}; same answer from both paths: ${JSON.stringify(first) === JSON.stringify(viaJoin)}`,
  );
}
