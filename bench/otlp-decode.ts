/**
 * OTLP decode throughput: Skein's hand-written protobuf decoder against protobufjs
 * (the baseline, measured in the same run) and against the JSON path.
 *
 *   node --import tsx bench/otlp-decode.ts [--rounds 7] [--ms 300]
 *
 * Each contender decodes the same request repeatedly for `--ms` per round; the
 * table shows the median spans/s over `--rounds` rounds. A second table measures
 * the string-decoding strategies the protobuf reader chooses between.
 */
import { parseArgs } from 'node:util';
import { decodeOtlpJson } from '../packages/server/src/receivers/otlp/otlp-json-decoder.ts';
import { decodeOtlpProto } from '../packages/server/src/receivers/otlp/otlp-proto-decoder.ts';
import {
  referenceDecodeOtlpProto,
  requestType,
} from '../packages/server/src/receivers/otlp/test-support/reference-otlp.ts';
import type { OtlpRequestOptions } from './payloads.ts';
import { buildOtlpJsonRequest, buildOtlpRequest } from './payloads.ts';

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

/**
 * Median operations per second of each function over the rounds, after one
 * warm-up round. Contenders take turns within a round, so load from other
 * processes on the machine hits them alike.
 */
function opsPerSecond(fns: (() => unknown)[]): number[] {
  const rates: number[][] = fns.map(() => []);
  for (let round = -1; round < rounds; round++) {
    for (let f = 0; f < fns.length; f++) {
      const fn = fns[f];
      let ops = 0;
      const t0 = performance.now();
      let elapsed = 0;
      while (elapsed < roundMs) {
        for (let i = 0; i < 10; i++) fn();
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
  { name: 'attribute_heavy (100 spans, 40 attrs)', opts: { attributesPerSpan: 40 } },
  { name: 'small_batches (5 spans, 10 attrs)', opts: { spans: 5 } },
];

const protobufjsType = requestType();
const rows: Record<string, string>[] = [];
for (const { name, opts } of SCENARIOS) {
  const bytes = buildOtlpRequest(opts);
  const jsonText = JSON.stringify(buildOtlpJsonRequest(opts));
  const spans = decodeOtlpProto(bytes).spans.length;
  const contenders: [string, () => unknown][] = [
    ['decodeOtlpProto', () => decodeOtlpProto(bytes)],
    ['protobufjs decode only', () => protobufjsType.decode(bytes)],
    ['protobufjs decode + toObject + model', () => referenceDecodeOtlpProto(bytes)],
    ['decodeOtlpJson(JSON.parse)', () => decodeOtlpJson(JSON.parse(jsonText))],
  ];
  const rates = opsPerSecond(contenders.map(([, fn]) => fn)).map((r) => r * spans);
  const baseline = rates[1];
  contenders.forEach(([contender], i) => {
    rows.push({
      scenario: name,
      decoder: contender,
      'body bytes': String(contender.startsWith('decodeOtlpJson') ? jsonText.length : bytes.length),
      'spans/s (median)': Math.round(rates[i]).toLocaleString('en-US'),
      'vs protobufjs decode': `${(rates[i] / baseline).toFixed(2)}x`,
    });
  });
}
console.table(rows);

// ---- string decoding strategies -------------------------------------------------

interface Utf8SliceBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
}

const words = ['GET', 'http.route', 'cache.hit', 'server.port', 'db.system', 'ok', 'app.custom.3'];
const longWords = ['user_agent.original', '/api/orders/123456', 'http.response.status_code'];
function stringTable(list: string[]) {
  const encoded = list.map((w) => Buffer.from(w));
  const buf = Buffer.concat(encoded) as Utf8SliceBuffer;
  const u8 = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const bounds: number[] = [];
  let at = 0;
  for (const e of encoded) {
    bounds.push(at, at + e.length);
    at += e.length;
  }
  return { buf, u8, bounds };
}

const decoder = new TextDecoder();
const stringRows: Record<string, string>[] = [];
for (const [label, list] of [
  ['short ASCII (<= 12 bytes)', words],
  ['longer ASCII (18-25 bytes)', longWords],
] as const) {
  const { buf, u8, bounds } = stringTable([...list]);
  const strategies: [string, (s: number, e: number) => string][] = [
    [
      'char-by-char concat',
      (s, e) => {
        let str = '';
        for (let i = s; i < e; i++) str += String.fromCharCode(u8[i]);
        return str;
      },
    ],
    ['Buffer#utf8Slice', (s, e) => buf.utf8Slice(s, e)],
    ['TextDecoder#decode', (s, e) => decoder.decode(u8.subarray(s, e))],
  ];
  const rates = opsPerSecond(
    strategies.map(([, fn]) => () => {
      for (let i = 0; i < bounds.length; i += 2) fn(bounds[i], bounds[i + 1]);
    }),
  );
  strategies.forEach(([strategy], i) => {
    stringRows.push({
      strings: label,
      strategy,
      'strings/s (median)': Math.round((rates[i] * bounds.length) / 2).toLocaleString('en-US'),
    });
  });
}
console.table(stringRows);
