/**
 * The storage thread: owns the `DuckDbStorage` (the DuckDB instance, its appenders and
 * connections) and runs each call the main thread sends (thread-protocol.ts). Chunk
 * filling, appends, commits and read decoding run here, off the main thread.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { decodeSpanBatch, encodeSpanBatch } from '../../codecs/span-batch/index.ts';
import type { Span, Trace } from '../../model/span.ts';
import { DuckDbStorage } from '../duckdb/duckdb-storage.ts';
import { ReadBudget } from '../read-budget.ts';
import type {
  BudgetUse,
  ThreadHeap,
  ThreadOptions,
  ThreadReply,
  ThreadRequest,
} from './thread-protocol.ts';
import { toWireError } from './thread-protocol.ts';

const port = parentPort;
if (port === null) throw new Error('thread-main.ts runs only as a worker thread');
const options = workerData as ThreadOptions;

function send(reply: ThreadReply): void {
  port!.postMessage(reply);
}

const logger = pino(
  { level: options.logLevel, base: undefined, timestamp: false },
  { write: (line: string) => send({ kind: 'log', line }) },
);

const storage = new DuckDbStorage({
  path: options.path,
  memoryLimitMB: options.memoryLimitMB,
  threads: options.threads,
  logger,
});

/**
 * For benchmarks (bench/profile-main.ts sets SKEIN_CPU_PROF_DIR for the main thread):
 * this thread's V8 CPU profile, written there as `skein-<pid>-storage.cpuprofile` when
 * the store closes. Off unless the variable is set.
 */
const profileDir = process.env.SKEIN_CPU_PROF_DIR;
const profiler = profileDir ? new Session() : undefined;
if (profiler !== undefined) {
  profiler.connect();
  profiler.post('Profiler.enable');
  profiler.post('Profiler.setSamplingInterval', {
    interval: Number(process.env.SKEIN_CPU_PROF_INTERVAL_US ?? 1000),
  });
  profiler.post('Profiler.start');
}

function writeProfile(): Promise<void> {
  return new Promise((resolve) => {
    if (profiler === undefined) return resolve();
    profiler.post('Profiler.stop', (err, result) => {
      if (err === null && result !== undefined)
        writeFileSync(
          join(profileDir!, `skein-${process.pid}-storage.cpuprofile`),
          JSON.stringify(result.profile),
        );
      resolve();
    });
  });
}

type Method = (...args: unknown[]) => Promise<unknown>;

function run(request: ThreadRequest): Promise<unknown> {
  if (request.kind === 'write') {
    const { batches } = request;
    const spans = decodeSpanBatch(batches[0]);
    for (let i = 1; i < batches.length; i++) {
      const more = decodeSpanBatch(batches[i]);
      for (let j = 0; j < more.length; j++) spans.push(more[j]);
    }
    return storage.write(spans, request.receipts);
  }
  if (request.method === 'close') return storage.close().then(writeProfile);
  const method = (storage as unknown as Record<string, unknown>)[request.method];
  if (typeof method !== 'function') {
    return Promise.reject(new Error(`the storage thread has no method ${request.method}`));
  }
  return (method as Method).apply(storage, request.args);
}

const TRACE_READS = new Set(['getTrace', 'findTraces']);

/** This thread's heap, sent with each answer but a trace read's (a few µs). */
function heapNow(): ThreadHeap {
  const h = getHeapStatistics();
  return { used: h.used_heap_size, total: h.total_heap_size, external: h.external_memory };
}

/** A trace read's answer as one transferred span-batch (thread-protocol.ts `TracesReply`). */
function sendTraces(
  id: number,
  single: boolean,
  value: Trace | Trace[] | null,
  budget: BudgetUse | undefined,
): void {
  const traces = value === null ? [] : Array.isArray(value) ? value : [value];
  const spans: Span[] = [];
  const counts: number[] = [];
  for (const t of traces) {
    counts.push(t.spans.length);
    for (const s of t.spans) spans.push(s);
  }
  const batch = spans.length === 0 ? undefined : encodeSpanBatch(spans);
  const reply: ThreadReply = {
    kind: 'traces',
    id,
    single,
    traceIds: traces.map((t) => t.traceId),
    counts,
    batch,
    budget,
  };
  port!.postMessage(reply, batch === undefined ? [] : [batch.buffer as ArrayBuffer]);
}

port.on('message', (request: ThreadRequest) => {
  let budget: ReadBudget | undefined;
  if (request.kind === 'budgeted') {
    budget = new ReadBudget(request.maxBytes);
    budget.charge(request.used);
    request.args.push(budget);
  }
  // A throw anywhere (a batch that does not decode, an answer that does not encode or
  // clone) rejects the call; it must not end the thread.
  Promise.resolve(request)
    .then(run)
    .then((value) => {
      const use = budget && { used: budget.used, truncated: budget.truncated };
      if (request.kind !== 'write' && TRACE_READS.has(request.method)) {
        sendTraces(request.id, request.method === 'getTrace', value as Trace | Trace[] | null, use);
      } else {
        send({ kind: 'result', id: request.id, value, budget: use, heap: heapNow() });
      }
      // After close, nothing keeps the thread: its event loop empties and it exits.
      if (request.kind === 'call' && request.method === 'close') port.close();
    })
    .catch((err: unknown) => send({ kind: 'error', id: request.id, error: toWireError(err) }));
});
