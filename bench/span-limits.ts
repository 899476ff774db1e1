/**
 * What `limits.span` costs on the ingest path: OTLP protobuf decode with the
 * shipped limits applied against the same decode with `apply` skipped (the
 * baseline, measured in the same run, contenders taking turns per round).
 *
 *   node --import tsx bench/span-limits.ts [--rounds 7] [--ms 300]
 *
 * Spans are within the limits here (what production traffic is); the cost
 * measured is the check, the size estimate and the marker look-up per span.
 */
import { parseArgs } from 'node:util';
import { defaultConfig } from '../packages/server/src/config/config.ts';
import type { Span } from '../packages/server/src/model/span.ts';
import { decodeOtlpProto } from '../packages/server/src/receivers/otlp/otlp-proto-decoder.ts';
import { SpanLimits } from '../packages/server/src/receivers/span-limits.ts';
import type { OtlpRequestOptions } from './payloads.ts';
import { buildOtlpRequest } from './payloads.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    ms: { type: 'string', default: '300' },
  },
});
const rounds = Number(args.rounds);
const roundMs = Number(args.ms);

/** The same limits with `apply` skipped: the decode alone (its list caps still checked). */
class SkippedLimits extends SpanLimits {
  override apply(_spans: Span[]): number {
    return 0;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function opsPerSecond(fns: (() => unknown)[]): number[] {
  const rates: number[][] = fns.map(() => []);
  for (let round = -1; round < rounds; round++) {
    for (let f = 0; f < fns.length; f++) {
      let ops = 0;
      const t0 = performance.now();
      let elapsed = 0;
      while (elapsed < roundMs) {
        for (let i = 0; i < 10; i++) fns[f]();
        ops += 10;
        elapsed = performance.now() - t0;
      }
      if (round >= 0) rates[f].push((ops * 1000) / elapsed);
    }
  }
  return rates.map(median);
}

const SCENARIOS: { name: string; opts: OtlpRequestOptions }[] = [
  { name: 'normal_prod_like (100 spans, 10 attrs)', opts: {} },
  { name: 'attribute_heavy (100 spans, 60 attrs)', opts: { attributesPerSpan: 60 } },
];

const limits = new SpanLimits(defaultConfig.limits.span);
const skipped = new SkippedLimits(defaultConfig.limits.span);
console.log(
  '| scenario | decode, apply skipped (spans/s) | decode + limits (spans/s) | ratio | apply alone (ns/span) |',
);
console.log('| --- | --- | --- | --- | --- |');
for (const { name, opts } of SCENARIOS) {
  const body = buildOtlpRequest(opts);
  const decoded = decodeOtlpProto(body).spans;
  const spans = decoded.length;
  // Spans within the limits are not changed by apply, so one batch serves every call.
  const [base, limited, applied] = opsPerSecond([
    () => decodeOtlpProto(body, skipped),
    () => decodeOtlpProto(body, limits),
    () => limits.apply(decoded),
  ]);
  console.log(
    `| ${name} | ${Math.round(base * spans).toLocaleString('en')} | ${Math.round(limited * spans).toLocaleString('en')} | ${(limited / base).toFixed(2)}x | ${(1e9 / (applied * spans)).toFixed(0)} |`,
  );
}
