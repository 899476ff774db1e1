/**
 * Sums a V8 CPU profile (bench/profile-main.ts: the main thread's, and the DuckDB storage
 * thread's `-storage` one) by ingest stage: each sample goes to the
 * nearest frame on its stack whose script names a stage (so native calls and library
 * code count toward the Skein module that called them), and prints µs per span.
 *
 *   node --import tsx bench/profile-stages.ts <file.cpuprofile> <spans> [--top 25]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** Stage of a script URL (first match wins); undefined: not decisive, look at the caller. */
const STAGES: [RegExp, string][] = [
  [/receivers\/otlp\/otlp-proto-decoder|receivers\/otlp\/otlp-json|protobufjs/, 'decode'],
  [
    /receivers\/|@grpc\/grpc-js|node:_http|node:http|node:net|node:zlib|node:stream|node:internal\/(http|streams|stream_base|net|zlib)/,
    'receive',
  ],
  [/codecs\/span-batch\/span-batch-decoder/, 'decode (span-batch)'],
  [/\/intake\/|pipeline\/intake-journal|span-batch-codec/, 'intake (journal encode + WAL)'],
  [
    /pipeline\/processors\/|pipeline\/dedupe|pipeline\/tenant-limits|processor-chain|trace-buffer|span-digest/,
    'processors',
  ],
  [/pipeline\/pipeline\.ts|pipeline\/ingest-metrics|prom-client/, 'pipeline (queue, metrics)'],
  [
    /storage\/duckdb\/span-encoder|storage\/duckdb\/string-vector|attribute-codec|storage\/span-extra|origin-registry|storage\/duckdb\/ids/,
    'encode (DuckDB chunk filling)',
  ],
  [/storage\/duckdb-thread\//, 'hand-off to the DuckDB thread (postMessage)'],
  [/storage\/duckdb\/|@duckdb\/node-api|storage\//, 'commit (appends, transaction, other storage)'],
];

function stageOf(url: string): string | undefined {
  for (const [re, stage] of STAGES) if (re.test(url)) return stage;
  return undefined;
}

const [file, spansArg] = process.argv.slice(2);
const spans = Number(spansArg);
const topIdx = process.argv.indexOf('--top');
const top = topIdx > 0 ? Number(process.argv[topIdx + 1]) : 25;
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map<number, Node>();
const parent = new Map<number, number>();
for (const n of profile.nodes) {
  byId.set(n.id, n);
  for (const c of n.children ?? []) parent.set(c, n.id);
}
const memo = new Map<number, string>();
function stageOfNode(id: number): string {
  const known = memo.get(id);
  if (known !== undefined) return known;
  const n = byId.get(id)!;
  const name = n.callFrame.functionName;
  let stage: string | undefined;
  if (name === '(garbage collector)') stage = 'GC (this thread)';
  else if (name === '(idle)') stage = 'idle';
  else if (name === '(program)') stage = 'program (native, unattributed)';
  else stage = stageOf(n.callFrame.url);
  if (stage === undefined) {
    const p = parent.get(id);
    stage = p === undefined ? 'other' : stageOfNode(p);
  }
  memo.set(id, stage);
  return stage;
}

const byStage = new Map<string, number>();
const selfByFn = new Map<string, number>();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const us = profile.timeDeltas[i] ?? 0;
  const id = profile.samples[i];
  const stage = stageOfNode(id);
  byStage.set(stage, (byStage.get(stage) ?? 0) + us);
  if (stage !== 'idle') total += us;
  const n = byId.get(id)!;
  const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(packages|node_modules)\//, '')}:${n.callFrame.lineNumber + 1} [${stage}]`;
  selfByFn.set(key, (selfByFn.get(key) ?? 0) + us);
}
console.log(
  `${file.endsWith('-storage.cpuprofile') ? 'storage thread' : 'main thread'}, ${(total / 1e6).toFixed(1)} s busy (wall time in samples that are not idle) over ${spans} spans = ${(total / spans).toFixed(2)} µs/span`,
);
for (const [stage, us] of [...byStage].sort((a, b) => b[1] - a[1]))
  console.log(
    `  ${stage.padEnd(46)} ${(us / spans).toFixed(2).padStart(7)} µs/span  ${((100 * us) / total).toFixed(1).padStart(5)} %`,
  );
console.log(`top ${top} functions by self time:`);
for (const [k, us] of [...selfByFn].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${(us / spans).toFixed(3).padStart(7)} µs/span  ${k}`);
