/**
 * Span-metrics processor cost per span, and the cost of rendering `/metrics`.
 *
 *   node --import tsx bench/span-metrics.ts [--rounds 7] [--ms 300] [--compare <checkout>]
 *
 * Spans are pre-built in batches of 100 that share one resource (as one OTLP request
 * decodes). Each contender processes the same batches for `--ms` per round,
 * contenders interleaved within a round; the table shows the median ns/span over the
 * rounds. `baseline` reads the fields span metrics reads (service, name, kind,
 * status, duration, start) and sums them: the floor any per-span work pays. Every
 * span's name is its own string object, as a decoder makes them (a shared string
 * would make every name lookup a pointer comparison). With `--compare DIR` (another
 * checkout), DIR's processor in the default configuration is one more contender,
 * interleaved with the others: an A/B in the same run.
 *
 * The pre-built batches are processed again and again, so V8 has hashed their names
 * after the first pass. A last table therefore decodes `bench/payloads.ts` requests
 * (500 spans, 8 services, 10 span names, as `bench/ingest-e2e.ts` sends) and times
 * the default processor on each batch right after its decode, as the server runs it:
 * fresh, unhashed names and freshly decoded spans; with `--compare`, DIR's processor
 * runs on a second decode of each request, paired (decode and run order alternating).
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { defaultConfig } from '../packages/server/src/config/config.ts';
import type { Resource, Scope, Span } from '../packages/server/src/model/span.ts';
import { DEFAULT_TENANT, SpanKind, StatusCode } from '../packages/server/src/model/span.ts';
import {
  createSpanMetricsFactory,
  renderSpanMetrics,
} from '../packages/server/src/pipeline/processors/span-metrics/index.ts';
import type { SpanMetricsProcessor } from '../packages/server/src/pipeline/processors/span-metrics/index.ts';
import type * as SpanMetricsIndex from '../packages/server/src/pipeline/processors/span-metrics/index.ts';
import { decodeOtlpProto } from '../packages/server/src/receivers/otlp/otlp-proto-decoder.ts';
import type { SpanMetricsWriter } from '../packages/server/src/storage/span-metrics-writer.ts';
import { buildOtlpRequest } from './payloads.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    ms: { type: 'string', default: '300' },
    compare: { type: 'string' },
  },
});
type SpanMetricsModule = typeof SpanMetricsIndex;
const other: SpanMetricsModule | null =
  args.compare === undefined
    ? null
    : ((await import(
        `${args.compare}/packages/server/src/pipeline/processors/span-metrics/index.ts`
      )) as SpanMetricsModule);
const rounds = Number(args.rounds);
const roundMs = Number(args.ms);
const BATCH = 100;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Scenario {
  name: string;
  services: number;
  operationsPerService: number;
  batches: number;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'normal_prod_like (20 services × 30 ops)',
    services: 20,
    operationsPerService: 30,
    batches: 400,
  },
  { name: 'few_series (1 service × 5 ops)', services: 1, operationsPerService: 5, batches: 400 },
  {
    name: 'overflowing (2,000 services × 800 ops; limits 1000/500)',
    services: 2000,
    operationsPerService: 800,
    batches: 400,
  },
];

const scope: Scope = {
  name: 'bench',
  version: '1',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
};
const KINDS = [SpanKind.Server, SpanKind.Client, SpanKind.Internal];

function buildBatches(s: Scenario): Span[][] {
  const rnd = random(42);
  const now = Date.now() * 1000;
  const resources: Resource[] = [];
  for (let i = 0; i < s.services; i++) {
    resources.push({
      serviceName: `service-${i}`,
      tenant: DEFAULT_TENANT,
      attributes: [],
      droppedAttributesCount: 0,
      schemaUrl: '',
    });
  }
  const names: string[][] = resources.map((_, i) =>
    Array.from({ length: s.operationsPerService }, (_, j) => `GET /api/v1/resource-${i}-${j}`),
  );
  const batches: Span[][] = [];
  let id = 0;
  for (let b = 0; b < s.batches; b++) {
    const service = Math.floor(rnd() * s.services);
    const batch: Span[] = [];
    for (let k = 0; k < BATCH; k++) {
      id++;
      // Log-normal durations around 20 ms: most spans land in the lower buckets.
      const duration = Math.round(Math.exp(Math.log(20_000) + 1.2 * gaussian(rnd)));
      batch.push({
        traceId: id.toString(16).padStart(32, '0'),
        spanId: id.toString(16).padStart(16, '0'),
        parentSpanId: '',
        traceState: '',
        flags: 1,
        // A copy: its own string object, like a decoded name.
        name: Buffer.from(names[service][Math.floor(rnd() * s.operationsPerService)]).toString(),
        kind: KINDS[id % 3],
        startTime: now + k,
        duration,
        attributes: [],
        droppedAttributesCount: 0,
        events: [],
        droppedEventsCount: 0,
        links: [],
        droppedLinksCount: 0,
        statusCode: rnd() < 0.03 ? StatusCode.Error : StatusCode.Unset,
        statusMessage: '',
        resource: resources[service],
        scope,
      });
    }
    batches.push(batch);
  }
  return batches;
}

function gaussian(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());
}

const counters = { changed: () => {}, dropped: () => {} };
const discard: SpanMetricsWriter = { writeSpanMetrics: async () => {} };
const logger = pino({ level: 'silent' });

function processorWith(
  exemplars: boolean,
  writer?: SpanMetricsWriter,
  module: Pick<SpanMetricsModule, 'createSpanMetricsFactory'> = { createSpanMetricsFactory },
): SpanMetricsProcessor {
  const config = structuredClone(defaultConfig);
  config.pipeline.processors.spanMetrics.exemplars = exemplars;
  const factory = module.createSpanMetricsFactory({ logger, writer });
  return factory.create(factory.compile(config));
}

let sink = 0;
function baseline(spans: Span[]): Span[] {
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    sink +=
      s.resource.serviceName.length +
      s.name.length +
      s.kind +
      s.statusCode +
      s.duration +
      s.startTime;
  }
  return spans;
}

/** Median ns per span of each contender over the rounds (after a warm-up round). */
function nsPerSpan(batches: Span[][], fns: ((spans: Span[]) => Span[])[]): number[] {
  const results: number[][] = fns.map(() => []);
  for (let round = -1; round < rounds; round++) {
    for (let f = 0; f < fns.length; f++) {
      const fn = fns[f];
      let spans = 0;
      let b = 0;
      const t0 = performance.now();
      let elapsed = 0;
      while (elapsed < roundMs) {
        for (let i = 0; i < 20; i++) {
          spans += fn(batches[b]).length;
          b = b + 1 === batches.length ? 0 : b + 1;
        }
        elapsed = performance.now() - t0;
      }
      if (round >= 0) results[f].push((elapsed * 1e6) / spans);
    }
  }
  return results.map(median);
}

const header = [
  'scenario',
  'baseline',
  'counts + histogram',
  '+ exemplars',
  '+ minute aggregates (default)',
  ...(other === null ? [] : ['--compare: default']),
  'series',
];
console.log(`| ${header.join(' | ')} |`);
console.log(`| ${header.map(() => '---').join(' | ')} |`);
const renderRows: string[] = [];
for (const scenario of SCENARIOS) {
  const batches = buildBatches(scenario);
  const plain = processorWith(false);
  const withExemplars = processorWith(true);
  const full = processorWith(true, discard);
  const theirs = other === null ? null : processorWith(true, discard, other);
  const [base, p, e, m, o] = nsPerSpan(batches, [
    baseline,
    (spans) => plain.process(spans, counters),
    (spans) => withExemplars.process(spans, counters),
    (spans) => full.process(spans, counters),
    ...(theirs === null ? [] : [(spans: Span[]) => theirs.process(spans, counters)]),
  ]);
  const f = (ns: number): string => `${ns.toFixed(1)} ns`;
  const compared = o === undefined ? '' : ` ${f(o)} (this ${(m / o).toFixed(2)}x) |`;
  console.log(
    `| ${scenario.name} | ${f(base)} | ${f(p)} | ${f(e)} | ${f(m)} |${compared} ${full.series.length} |`,
  );
  await theirs?.stop();

  // The flush (minute deltas → rows) and a /metrics render, once the series exist.
  const t0 = performance.now();
  await full.flush();
  const flushMs = performance.now() - t0;
  const renders: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 5; i++) {
    const t1 = performance.now();
    bytes = renderSpanMetrics(full, 'openmetrics').length;
    renders.push(performance.now() - t1);
  }
  const renderMs = median(renders);
  renderRows.push(
    `| ${scenario.name} | ${full.series.length} | ${flushMs.toFixed(1)} ms | ${renderMs.toFixed(1)} ms | ${(bytes / 1024).toFixed(0)} KiB |`,
  );
  await plain.stop();
  await withExemplars.stop();
  await full.stop();
}
console.log(
  '\n| scenario | series | flush (collect rows) | render /metrics (OpenMetrics, median of 5) | body |',
);
console.log('| --- | --- | --- | --- | --- |');
for (const row of renderRows) console.log(row);
if (sink === 42) console.log('');

// ---- fresh: decoded requests, each batch processed right after its decode
const nowNs = `${Date.now()}000000`;
const bodies = Array.from({ length: 100 }, (_, i) =>
  buildOtlpRequest({
    spans: 500,
    seed: i + 1,
    serviceName: `svc-${i % 8}`,
    startTimeUnixNano: nowNs,
  }),
);
const freshProcessors = [processorWith(true, discard)];
if (other !== null) freshProcessors.push(processorWith(true, discard, other));
const freshSamples: number[][] = freshProcessors.map(() => []);
const freshRatios: number[] = [];
for (let round = -1; round < rounds; round++) {
  const ns = freshProcessors.map(() => 0);
  let spans = 0;
  for (let b = 0; b < bodies.length; b++) {
    const order = freshProcessors.length === 1 || (b + round) % 2 === 0 ? [0, 1] : [1, 0];
    const batches: Span[][] = [];
    for (const p of order)
      if (p < freshProcessors.length) batches[p] = decodeOtlpProto(bodies[b]).spans;
    for (const p of order) {
      if (p >= freshProcessors.length) continue;
      const t0 = process.cpuUsage();
      freshProcessors[p].process(batches[p], counters);
      const used = process.cpuUsage(t0);
      ns[p] += (used.user + used.system) * 1000;
    }
    spans += batches[0].length;
  }
  if (round < 0) continue;
  ns.forEach((n, p) => freshSamples[p].push(n / spans));
  if (ns.length > 1) freshRatios.push(ns[0] / ns[1]);
}
console.log(
  '\n| fresh decoded requests (default settings), CPU ns/span | this checkout | --compare | this / --compare |',
);
console.log('| --- | --- | --- | --- |');
console.log(
  `| 500-span requests, 8 services × 10 names, ${freshProcessors[0].series.length} series | ${median(freshSamples[0]).toFixed(0)} | ` +
    (other === null
      ? '— | — |'
      : `${median(freshSamples[1]).toFixed(0)} | ${median(freshRatios).toFixed(2)}x |`),
);
for (const p of freshProcessors) await p.stop();
