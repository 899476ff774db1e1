/**
 * Tail-sampling decision cost per trace, against OTLP protobuf decoding of the same
 * traces (the baseline, measured in the same run).
 *
 *   node --expose-gc --import tsx bench/tail-sampling.ts [--rounds 9] [--requests 200]
 *
 * Traces come from bench/payloads.ts: 100-span requests of 10-span traces (a server
 * root with client and internal children, 10 attributes of mixed types per span, one
 * resource, ~1 span in 10 with an error status and an exception event); every request
 * has its own seed, so trace ids differ. Spans are decoded once, grouped by trace id
 * into held traces, then `decide` runs over every trace per round (a new policy set
 * per round, so rate budgets start full). The table shows the median CPU ns per trace
 * (process CPU time, so other load on the machine disturbs it less) and the decode
 * time per trace of the same spans.
 *
 * Sets (the "3 policies" in two flavours, plus what each part costs):
 * - no policies: only the debug check (`jaeger-debug-id` on every span);
 * - errors + slow + 10 %: statusCode ERROR, latency ≥ 500 ms, probabilistic 10 %;
 * - drop health (regex) + errors + rate limit: a drop policy with an unanchored regex on
 *   http.route, statusCode ERROR, rateLimiting 10,000 spans/s;
 * - string attribute on a missing key: the worst case of an attribute policy (every
 *   attribute of every span and resource compared).
 */
import { parseArgs } from 'node:util';
import type { Span } from '../packages/server/src/model/span.ts';
import {
  compileTailSamplingPolicies,
  decide,
  type HeldTrace,
  type TailSamplingPolicy,
} from '../packages/server/src/pipeline/processors/tail-sampling/index.ts';
import { decodeOtlpProto } from '../packages/server/src/receivers/otlp/otlp-proto-decoder.ts';
import { buildOtlpRequest } from './payloads.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    requests: { type: 'string', default: '200' },
  },
});
const rounds = Number(args.rounds);
const requests = Number(args.requests);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** CPU time (user + system) since `t0`, ns. */
function cpuNs(t0: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(t0);
  return (used.user + used.system) * 1000;
}
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});
async function settle(): Promise<void> {
  collect();
  await new Promise((resolve) => setTimeout(resolve, 100));
}

const BODIES = Array.from({ length: requests }, (_, i) => buildOtlpRequest({ seed: i + 1 }));

function heldTraces(spans: Span[]): HeldTrace[] {
  const byId = new Map<string, Span[]>();
  for (const span of spans) {
    const list = byId.get(span.traceId);
    if (list === undefined) byId.set(span.traceId, [span]);
    else list.push(span);
  }
  return [...byId].map(([traceId, list]) => ({ tenant: '', traceId, spans: list }));
}

const TRACES = BODIES.flatMap((body) => heldTraces(decodeOtlpProto(body).spans));
const SPANS = TRACES.reduce((n, t) => n + t.spans.length, 0);

const SETS: [string, () => TailSamplingPolicy[]][] = [
  ['no policies (debug check only)', () => []],
  [
    'errors + slow + 10 %',
    () =>
      compileTailSamplingPolicies({
        enabled: true,
        policies: [
          { name: 'errors', type: 'statusCode', statusCodes: ['ERROR'] },
          { name: 'slow', type: 'latency', thresholdMs: 500 },
          { name: 'ten-percent', type: 'probabilistic', samplingPercentage: 10 },
        ],
      }),
  ],
  [
    'drop health (regex) + errors + rate limit',
    () =>
      compileTailSamplingPolicies({
        enabled: true,
        policies: [
          {
            name: 'no-health',
            type: 'drop',
            policies: [
              {
                name: 'health',
                type: 'stringAttribute',
                key: 'http.route',
                values: ['health'],
                regex: true,
              },
            ],
          },
          { name: 'errors', type: 'statusCode', statusCodes: ['ERROR'] },
          { name: 'budget', type: 'rateLimiting', spansPerSecond: 10_000 },
        ],
      }),
  ],
  [
    'string attribute on a missing key',
    () =>
      compileTailSamplingPolicies({
        enabled: true,
        policies: [{ name: 'vip', type: 'stringAttribute', key: 'customer.tier', values: ['vip'] }],
      }),
  ],
];

/** Median CPU ns per trace of deciding every trace. */
async function decideNs(make: () => TailSamplingPolicy[]): Promise<{ ns: number; kept: number }> {
  const samples: number[] = [];
  let kept = 0;
  for (let round = -2; round < rounds; round++) {
    const policies = make();
    await settle();
    let k = 0;
    const t0 = process.cpuUsage();
    const nowMs = Date.now();
    for (let i = 0; i < TRACES.length; i++) if (decide(policies, TRACES[i], nowMs).keep) k++;
    const ns = cpuNs(t0);
    if (round >= 0) samples.push(ns / TRACES.length);
    kept = k;
  }
  return { ns: median(samples), kept };
}

/** Median CPU ns per trace of decoding the same spans (the baseline). */
async function decodeNs(): Promise<number> {
  const samples: number[] = [];
  for (let round = -2; round < rounds; round++) {
    await settle();
    const t0 = process.cpuUsage();
    for (const body of BODIES) decodeOtlpProto(body);
    const ns = cpuNs(t0);
    if (round >= 0) samples.push(ns / TRACES.length);
  }
  return median(samples);
}

const decode = await decodeNs();
console.log(
  `${TRACES.length} traces, ${SPANS} spans (${(SPANS / TRACES.length).toFixed(1)} per trace), ${rounds} rounds`,
);
console.log(`baseline: OTLP protobuf decode ${decode.toFixed(0)} ns/trace\n`);
console.log('| policy set | ns/trace | ns/span | vs decode | traces kept |');
console.log('| --- | --- | --- | --- | --- |');
for (const [name, make] of SETS) {
  const { ns, kept } = await decideNs(make);
  const perSpan = ns / (SPANS / TRACES.length);
  console.log(
    `| ${name} | ${ns.toFixed(0)} | ${perSpan.toFixed(1)} | ${((ns / decode) * 100).toFixed(1)} % | ${((kept / TRACES.length) * 100).toFixed(1)} % |`,
  );
}
