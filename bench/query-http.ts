/**
 * Query latency as users see it: through the HTTP API of a real `skein all` on a
 * store loaded by bench/storage-load.ts, compared in the same run with the same reads
 * made in-process on DuckDbStorage (same memory limit as the server's).
 *
 *   node --import tsx bench/storage-load.ts --spans 10000000 --dir /tmp/skein-10m
 *   node --import tsx bench/query-http.ts --dir /tmp/skein-10m [--reps 200] [--rounds 2]
 *        [--memory-limit-mb 128] [--threads 1] [--skein-arg --query.maxConcurrentQueries=4 ...]
 *        [--cpu-prof /tmp/prof-dir]
 *
 * Each round: the in-process reads (open, warm-up, timed reps, close), then `skein all`
 * opened on the same directory with the default config (listeners on 127.0.0.1, free
 * ports), the same reads over keep-alive HTTP, then SIGTERM. The two never hold the
 * file at once (DuckDB locks it). Reads use the load's own clock (`now` in
 * bench-meta.json), so the 1 h search windows hold spans however old the load is.
 * Prints p50/p95 per query and the HTTP/in-process ratio of p50s. `--threads` is DuckDB's
 * worker threads on both sides (storage.duckdb.threads; its default, 1, unless given).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_TENANT } from '../packages/server/src/model/span.ts';
import { encodeJaegerTrace } from '../packages/server/src/query/jaeger/encode-jaeger-trace.ts';
import { DuckDbStorage } from '../packages/server/src/storage/duckdb/duckdb-storage.ts';
import type { TraceQuery } from '../packages/server/src/storage/trace-reader.ts';
import { startSkein } from '../packages/server/test/e2e/skein-process.ts';
import { rng } from './storage-workload.ts';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string', default: '/tmp/skein-storage-bench' },
    reps: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '2' },
    'memory-limit-mb': { type: 'string', default: '128' },
    threads: { type: 'string', default: '1' },
    'skein-arg': { type: 'string', multiple: true, default: [] },
    'cpu-prof': { type: 'string' },
  },
});
const dir = args.dir!;
const reps = Number(args.reps);
const rounds = Number(args.rounds);
const memoryLimitMB = Number(args['memory-limit-mb']);
const threads = Number(args.threads);

interface Meta {
  now: number;
  written: number;
  sampleIds: string[];
}
const meta = JSON.parse(readFileSync(join(dir, 'bench-meta.json'), 'utf8')) as Meta;
const HOUR = 3_600_000_000;

/** One named read, made the same way in-process and over HTTP. */
interface Read {
  name: string;
  target: string;
  reps: number;
  inProcess: (store: DuckDbStorage) => Promise<unknown>;
  /** Path and query of the HTTP request. */
  http: () => string;
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

function reads(services: string[]): Read[] {
  const r = rng(11);
  const pick = <T>(xs: T[]): T => xs[(r() * xs.length) | 0];
  let service = '';
  const nextId = () => pick(meta.sampleIds);
  const nextService = () => (service = pick(services));
  const searchQuery = (tagged: boolean): TraceQuery => ({
    tenant: DEFAULT_TENANT,
    serviceName: service,
    tags: tagged ? { 'http.method': 'POST' } : {},
    durationMin: tagged ? 10_000 : undefined,
    startTimeMin: meta.now - HOUR,
    startTimeMax: meta.now,
    limit: 20,
  });
  const searchPath = (tagged: boolean): string => {
    const p = new URLSearchParams({
      service,
      start: String(meta.now - HOUR),
      end: String(meta.now),
      limit: '20',
    });
    if (tagged) {
      p.set('tags', JSON.stringify({ 'http.method': 'POST' }));
      p.set('minDuration', '10ms');
    }
    return '/api/traces?' + p.toString();
  };
  // In-process includes the Jaeger encoding and JSON text, as the server does.
  const encode = (traces: Awaited<ReturnType<DuckDbStorage['findTraces']>>) =>
    JSON.stringify(traces.map(encodeJaegerTrace)).length;
  return [
    {
      name: 'trace by id',
      target: 'p50 ≤ 5 ms',
      reps,
      inProcess: async (store) => {
        const t = await store.getTrace(DEFAULT_TENANT, nextId());
        return t === null ? 0 : encode([t]);
      },
      http: () => `/api/traces/${nextId()}`,
    },
    {
      name: 'search service+tag+minDuration, 1 h, limit 20',
      target: 'p50 ≤ 50 ms',
      reps: Math.max(10, reps / 4),
      inProcess: async (store) => {
        nextService();
        return encode(await store.findTraces(searchQuery(true)));
      },
      http: () => {
        nextService();
        return searchPath(true);
      },
    },
    {
      name: 'search service, 1 h, limit 20',
      target: '',
      reps: Math.max(10, reps / 4),
      inProcess: async (store) => {
        nextService();
        return encode(await store.findTraces(searchQuery(false)));
      },
      http: () => {
        nextService();
        return searchPath(false);
      },
    },
    {
      name: 'services',
      target: '',
      reps,
      inProcess: (store) => store.getServices(DEFAULT_TENANT),
      http: () => '/api/services',
    },
  ];
}

async function inProcessRound(): Promise<Map<string, { p50: number; p95: number }>> {
  const store = new DuckDbStorage({ path: dir, memoryLimitMB, threads });
  await store.open();
  const out = new Map<string, { p50: number; p95: number }>();
  try {
    // As over HTTP: after the background dependency pass (see httpRound).
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const d0 = performance.now();
    await store.getDependencies(DEFAULT_TENANT, 1000, 1000);
    backgroundPassMs.inProcess = performance.now() - d0;
    for (const read of reads(await store.getServices(DEFAULT_TENANT))) {
      for (let i = 0; i < 5; i++) await read.inProcess(store);
      out.set(read.name, await time(() => read.inProcess(store), read.reps));
    }
  } finally {
    await store.close();
  }
  return out;
}

async function httpRound(): Promise<Map<string, { p50: number; p95: number }>> {
  const cpuProf = args['cpu-prof'];
  const skein = await startSkein(
    'all',
    [
      `--storage.duckdb.path=${dir}`,
      `--storage.duckdb.memoryLimitMB=${memoryLimitMB}`,
      `--storage.duckdb.threads=${threads}`,
      ...args['skein-arg']!,
    ],
    cpuProf === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`],
  );
  const base = skein.urls.get('query')!;
  const out = new Map<string, { p50: number; p95: number }>();
  try {
    const get = async (path: string): Promise<unknown> => {
      const res = await fetch(base + path);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
      return text.length;
    };
    const services = (
      JSON.parse(await (await fetch(base + '/api/services')).text()) as {
        data: string[];
      }
    ).data;
    // The store precomputes the last day's dependency edges in the background from 5 s
    // after open (a span self-join where the dependencies processor kept no aggregates,
    // as in a store loaded by storage-load.ts: tens of seconds at 10M spans). Dependency
    // reads queue behind that pass, so an empty one (1 ms, at the epoch) returns when it
    // is over, and the reads below run on an otherwise idle server.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const d0 = performance.now();
    const deps = await fetch(base + '/api/dependencies?endTs=1&lookback=1');
    await deps.arrayBuffer();
    backgroundPassMs.http = performance.now() - d0;
    for (const read of reads(services)) {
      for (let i = 0; i < 5; i++) await get(read.http());
      out.set(read.name, await time(() => get(read.http()), read.reps));
    }
  } finally {
    const code = await skein.stop();
    if (code !== 0) console.error(`skein exited with ${code}:\n${skein.output.join('\n')}`);
  }
  return out;
}

const backgroundPassMs = { inProcess: 0, http: 0 };

const cell = (t: { p50: number; p95: number } | undefined) =>
  t === undefined ? '' : `${t.p50.toFixed(2)} / ${t.p95.toFixed(2)}`;

console.log(
  `store: ${dir}, ${meta.written} spans; DuckDB memory limit ${memoryLimitMB} MB, threads ${threads}; reps ${reps}`,
);
for (let round = 1; round <= rounds; round++) {
  const inProcess = await inProcessRound();
  const http = await httpRound();
  console.log(`\nround ${round}`);
  console.log(
    'query'.padEnd(48) +
      'in-process p50/p95 ms'.padEnd(24) +
      'HTTP p50/p95 ms'.padEnd(22) +
      'HTTP/in-process'.padEnd(17) +
      'target',
  );
  for (const read of reads([])) {
    const a = inProcess.get(read.name);
    const b = http.get(read.name);
    const ratio = a && b ? (b.p50 / a.p50).toFixed(2) + '×' : '';
    console.log(
      read.name.padEnd(48) +
        cell(a).padEnd(24) +
        cell(b).padEnd(22) +
        ratio.padEnd(17) +
        read.target,
    );
  }
  console.log(
    `waited for the background dependency pass: in-process ${backgroundPassMs.inProcess.toFixed(0)} ms, HTTP ${backgroundPassMs.http.toFixed(0)} ms`,
  );
}
