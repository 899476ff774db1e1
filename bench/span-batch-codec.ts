/**
 * The span-batch codec (packages/server/src/codecs/span-batch): ns per span to
 * encode and to decode, and bytes per span against the OTLP protobuf request the
 * same spans came from. Baselines measured in the same run: Skein's own OTLP
 * protobuf decoder on that request, and Node's structured-clone serializer
 * (v8.serialize / v8.deserialize) on the same span objects.
 *
 *   node --import tsx bench/span-batch-codec.ts [--rounds 7] [--ms 300]
 *
 * Contenders take turns within a round; the table shows medians over the rounds
 * after one warm-up round.
 */
import { parseArgs } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import {
  decodeSpanBatch,
  encodeSpanBatch,
} from '../packages/server/src/codecs/span-batch/index.ts';
import { decodeOtlpProto } from '../packages/server/src/receivers/otlp/otlp-proto-decoder.ts';
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median ns per call of each function. */
function nsPerCall(fns: (() => unknown)[]): number[] {
  const samples: number[][] = fns.map(() => []);
  for (let round = -1; round < rounds; round++) {
    for (let f = 0; f < fns.length; f++) {
      const fn = fns[f];
      let calls = 0;
      const t0 = performance.now();
      let elapsed = 0;
      while (elapsed < roundMs) {
        for (let i = 0; i < 10; i++) fn();
        calls += 10;
        elapsed = performance.now() - t0;
      }
      if (round >= 0) samples[f].push((elapsed * 1e6) / calls);
    }
  }
  return samples.map(median);
}

const SCENARIOS: { name: string; opts: OtlpRequestOptions }[] = [
  { name: 'normal_prod_like (100 spans, 10 attrs)', opts: {} },
  { name: 'attribute_heavy (100 spans, 40 attrs)', opts: { attributesPerSpan: 40 } },
  { name: 'large_batch (1000 spans, 10 attrs)', opts: { spans: 1000 } },
  { name: 'small_batches (5 spans, 10 attrs)', opts: { spans: 5 } },
];

const rows: Record<string, string>[] = [];
for (const { name, opts } of SCENARIOS) {
  const request = buildOtlpRequest(opts);
  const spans = decodeOtlpProto(request).spans;
  const n = spans.length;
  const batch = encodeSpanBatch(spans);
  const cloned = serialize(spans);
  const [encode, decode, otlpDecode, v8Serialize, v8Deserialize] = nsPerCall([
    () => encodeSpanBatch(spans),
    () => decodeSpanBatch(batch),
    () => decodeOtlpProto(request),
    () => serialize(spans),
    () => deserialize(cloned),
  ]);
  const per = (ns: number): string => (ns / n).toFixed(0);
  rows.push({
    scenario: name,
    'encode ns/span': per(encode),
    'decode ns/span': per(decode),
    'enc+dec ns/span': per(encode + decode),
    'bytes/span': (batch.byteLength / n).toFixed(0),
    'OTLP bytes/span': (request.byteLength / n).toFixed(0),
    'OTLP decode ns/span': per(otlpDecode),
    'v8 ser+deser ns/span': per(v8Serialize + v8Deserialize),
    'v8 bytes/span': (cloned.byteLength / n).toFixed(0),
  });
}
console.table(rows);
