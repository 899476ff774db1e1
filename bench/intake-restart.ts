/**
 * Restart to ready after a crash with spans waiting in the durable intake.
 *
 *   node --import tsx bench/intake-restart.ts [--spans 1000000] [--batch 500] [--reps 3]
 *
 * Writes `--spans` spans (bench/payloads.ts, in batches of `--batch`) into a data
 * directory's intake log exactly as `skein all` records accepted batches, none
 * committed: what a kill -9 leaves when storage was behind. Then, per repetition,
 * starts `skein all` on that directory and times process start → `/ready` 200, and
 * on until the replayed backlog is written (queryable). The same-run baseline is the
 * same start on the same store with an empty intake.
 *
 * Run it on a build (`npm run build`) to time a start as `npm start` makes it:
 *   SKEIN_MAIN=packages/server/dist/cli/main.js node --import tsx bench/intake-restart.ts
 * (without SKEIN_MAIN it starts the TypeScript sources through tsx, which adds the
 * transpile time to every start).
 */
import { mkdtempSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { encodeSpanBatch } from '../packages/server/src/codecs/span-batch/index.ts';
import { WriteAheadLog } from '../packages/server/src/intake/write-ahead-log.ts';
import { decodeOtlpProto } from '../packages/server/src/receivers/otlp/otlp-proto-decoder.ts';
import { startSkein } from '../packages/server/test/e2e/skein-process.ts';
import { buildOtlpRequest } from './payloads.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const totalSpans = Number(arg('spans', '1000000'));
const batch = Number(arg('batch', '500'));
const reps = Number(arg('reps', '3'));

async function prepare(dir: string, spans: number): Promise<void> {
  const { log } = await WriteAheadLog.open({
    dir: join(dir, 'intake'),
    segmentBytes: 64 * 1024 * 1024,
    retryAfterSeconds: 1,
    logger: pino({ level: 'silent' }),
  });
  for (let i = 0; i * batch < spans; i++) {
    const decoded = decodeOtlpProto(buildOtlpRequest({ spans: batch, seed: i + 1 }));
    const { durable } = log.append(encodeSpanBatch(decoded.spans));
    if (i % 64 === 63) await durable;
  }
  await log.close();
}

async function metric(admin: string, name: string): Promise<number> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)`, 'm').exec(text);
  return m === null ? NaN : Number(m[1]);
}

async function once(dir: string): Promise<{ readyMs: number; writtenMs: number }> {
  const started = performance.now();
  const skein = await startSkein('all', [`--storage.duckdb.path=${dir}`]);
  const admin = skein.urls.get('admin')!;
  for (;;) {
    const res = await fetch(`${admin}/ready`);
    await res.arrayBuffer();
    if (res.status === 200) break;
  }
  const readyMs = performance.now() - started;
  for (;;) {
    const backlog = await metric(admin, 'skein_intake_replay_backlog_batches');
    const queued = await metric(admin, 'skein_queue_spans');
    if (backlog === 0 && queued === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const writtenMs = performance.now() - started;
  await skein.stop('SIGKILL');
  return { readyMs, writtenMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const root = mkdtempSync(join(tmpdir(), 'skein-intake-restart-'));
try {
  const template = join(root, 'template');
  const t0 = performance.now();
  await prepare(template, totalSpans);
  console.log(
    `wrote ${totalSpans} spans into the intake in ${Math.round(performance.now() - t0)} ms`,
  );
  const withBacklog = { ready: [] as number[], written: [] as number[] };
  const empty = { ready: [] as number[], written: [] as number[] };
  for (let r = 0; r < reps; r++) {
    const full = join(root, `full-${r}`);
    cpSync(template, full, { recursive: true });
    const a = await once(full);
    withBacklog.ready.push(a.readyMs);
    withBacklog.written.push(a.writtenMs);
    const blank = join(root, `empty-${r}`);
    const b = await once(blank);
    empty.ready.push(b.readyMs);
    empty.written.push(b.writtenMs);
    rmSync(full, { recursive: true, force: true });
    rmSync(blank, { recursive: true, force: true });
  }
  console.log(`intake-restart (${totalSpans} spans waiting, ${reps} reps, median)`);
  console.log(
    `  start -> /ready 200, ${totalSpans} spans waiting: ${Math.round(median(withBacklog.ready))} ms  (${withBacklog.ready.map(Math.round).join(', ')})`,
  );
  console.log(
    `  start -> /ready 200, empty intake:          ${Math.round(median(empty.ready))} ms  (${empty.ready.map(Math.round).join(', ')})`,
  );
  console.log(
    `  start -> backlog written (queryable):        ${Math.round(median(withBacklog.written))} ms  (${withBacklog.written.map(Math.round).join(', ')})`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
