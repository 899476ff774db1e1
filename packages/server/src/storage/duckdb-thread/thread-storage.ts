import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { decodeSpanBatch, encodeSpanBatch } from '../../codecs/span-batch/index.ts';
import { StorageError } from '../../errors.ts';
import type { Span, Trace } from '../../model/span.ts';
import type {
  CompletenessQuery,
  CompletenessReader,
  CompletenessReport,
} from '../completeness-reader.ts';
import type { CompletenessDelta, CompletenessWriter } from '../completeness-writer.ts';
import type { DependencyLink } from '../dependency-reader.ts';
import type { DependencyDelta, DependencyWriter } from '../dependency-writer.ts';
import type { DuckDbStorageOptions } from '../duckdb/duckdb-storage.ts';
import { METRICS_MINUTE } from '../metrics-reader.ts';
import type { LatencyQuery, MetricSeries, MetricsQuery, MetricsReader } from '../metrics-reader.ts';
import type { ReadBudget } from '../read-budget.ts';
import type {
  OperationProbabilityRow,
  SamplingLease,
  SamplingStore,
  ThroughputRow,
} from '../sampling-store.ts';
import type { SpanMetricsRow, SpanMetricsWriter } from '../span-metrics-writer.ts';
import type { EncodedSpanWriter, IntakeReceipts } from '../span-writer.ts';
import type { PurgeScope, Storage } from '../storage.ts';
import type { KeyedTraceQuery, TagValueQuery, TagValueReader } from '../tag-value-reader.ts';
import type { Operation, OperationQuery, TimeRange, TraceQuery } from '../trace-reader.ts';
import { fromWireError } from './thread-protocol.ts';
import type {
  ThreadHeap,
  ThreadOptions,
  ThreadReply,
  ThreadRequest,
  TracesReply,
} from './thread-protocol.ts';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  budget: ReadBudget | undefined;
}

/** Distributes a request union over its members, so `Omit` keeps each member's fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

const LOG_KEYS_DROPPED = new Set(['level', 'msg', 'time', 'pid', 'hostname']);
const LEVEL_NAMES: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** The traces of a `TracesReply`: its span-batch decoded and cut back into traces. */
function tracesOf(reply: TracesReply): Trace | Trace[] | null {
  const spans = reply.batch === undefined ? [] : decodeSpanBatch(reply.batch);
  const traces: Trace[] = [];
  let at = 0;
  for (let i = 0; i < reply.traceIds.length; i++) {
    const n = reply.counts[i];
    traces.push({ traceId: reply.traceIds[i], spans: spans.slice(at, at + n) });
    at += n;
  }
  return reply.single ? (traces[0] ?? null) : traces;
}

/** The storage thread's entry: the built .js beside this file, or the .ts source under tsx. */
function startThread(workerData: ThreadOptions): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './thread-main.ts' : './thread-main.js', import.meta.url);
  if (!fromSource) return new Worker(entry, { workerData });
  // tsx does not hook worker threads on Node 20: the thread loads its source through
  // tsx's API (a dev dependency; the build runs the .js directly).
  const bootstrap = `import('tsx/esm/api').then((m) => m.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/**
 * The embedded DuckDB store, run on a thread of its own (`storage.duckdb.workerThread`):
 * the same `DuckDbStorage`, behind the same interfaces, so the main thread keeps only
 * receiving, decoding and the processors while the thread fills DuckDB's chunks,
 * appends, commits and decodes what reads return.
 *
 * A write crosses as one span-batch (codecs/span-batch), its buffer transferred; other
 * calls' arguments and answers are structured-cloned. Errors come back as the same
 * `SkeinError` classes (thread-protocol.ts). The contracts are `DuckDbStorage`'s; in
 * addition: if the thread dies, every pending and later call rejects with
 * `StorageError` naming why.
 */
export class DuckDbThreadStorage
  implements
    Storage,
    TagValueReader,
    SpanMetricsWriter,
    MetricsReader,
    CompletenessWriter,
    CompletenessReader,
    DependencyWriter,
    SamplingStore,
    IntakeReceipts,
    EncodedSpanWriter
{
  readonly name = 'duckdb';
  readonly minStep = METRICS_MINUTE;
  readonly #options: DuckDbStorageOptions;
  readonly #logger: Logger | undefined;
  #worker: Worker | undefined;
  #exited: Promise<void> | undefined;
  /** Why the thread is gone (set when it exits or fails); later calls reject with it. */
  #gone: string | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();

  readonly #onThread: ((worker: Worker) => void) | undefined;
  /** The thread's heap as its last answer reported it. */
  #heap: ThreadHeap | undefined;

  /**
   * `registry`: where the thread's heap gauges go (`skein_storage_thread_heap_*`, set
   * from its answers: opening and each write report the heap). `onThread` is for tests: it receives the thread when it
   * starts (to end it for real).
   */
  constructor(
    options: DuckDbStorageOptions,
    hooks: { registry?: Registry; onThread?: (worker: Worker) => void } = {},
  ) {
    this.#options = options;
    this.#logger = options.logger;
    this.#onThread = hooks.onThread;
    if (hooks.registry !== undefined) this.#heapGauges(hooks.registry);
  }

  /** The thread's V8 heap as its last answer reported it (undefined before `open`). */
  get threadHeap(): ThreadHeap | undefined {
    return this.#heap;
  }

  #heapGauges(registry: Registry): void {
    const heap = () => this.#heap;
    const gauges: [string, string, keyof ThreadHeap][] = [
      [
        'skein_storage_thread_heap_used_bytes',
        'V8 heap used on the DuckDB storage thread.',
        'used',
      ],
      [
        'skein_storage_thread_heap_size_bytes',
        'V8 heap committed on the DuckDB storage thread.',
        'total',
      ],
      [
        'skein_storage_thread_external_memory_bytes',
        "Memory outside the DuckDB storage thread's V8 heap held by its objects (buffers).",
        'external',
      ],
    ];
    for (const [name, help, field] of gauges) {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const h = heap();
          if (h !== undefined) this.set(h[field]);
        },
      });
    }
  }

  async open(): Promise<void> {
    if (this.#worker !== undefined)
      throw new StorageError(['open the DuckDB store', 'it is already open']);
    const worker = startThread({
      path: this.#options.path,
      memoryLimitMB: this.#options.memoryLimitMB,
      threads: this.#options.threads,
      logLevel: this.#logger?.level ?? 'silent',
    });
    this.#worker = worker;
    this.#onThread?.(worker);
    this.#exited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        this.#fail(`its thread exited (code ${code})`);
        resolve();
      });
    });
    worker.on('error', (err) => {
      this.#logger?.error({ err }, 'duckdb storage thread failed');
      this.#fail(`its thread failed: ${err.message}`);
    });
    worker.on('message', (reply: ThreadReply) => this.#onReply(reply));
    try {
      await this.#call('open', []);
    } catch (err) {
      await worker.terminate();
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.#worker === undefined || this.#gone !== undefined) return;
    try {
      await this.#call('close', []);
    } finally {
      // The thread ends itself after closing; terminate only if it failed to.
      if (this.#gone === undefined) await this.#worker.terminate();
      await this.#exited;
    }
  }

  write(spans: readonly Span[], receipts?: readonly number[]): Promise<void> {
    if (spans.length === 0) return Promise.resolve();
    let batch: Uint8Array;
    try {
      batch = encodeSpanBatch(spans);
    } catch (err) {
      return Promise.reject(
        new StorageError(['encode spans for the storage thread', String(err)], { cause: err }),
      );
    }
    return this.#send({ kind: 'write', batches: [batch], receipts }, [batch.buffer as ArrayBuffer]);
  }

  /** Copies the batches to the thread (the caller keeps them, to retry). */
  writeEncoded(batches: readonly Uint8Array[], receipts?: readonly number[]): Promise<void> {
    if (batches.length === 0) return Promise.resolve();
    return this.#send({ kind: 'write', batches, receipts });
  }

  intakeReceipts(from: number): Promise<number[]> {
    return this.#call('intakeReceipts', [from]);
  }

  forgetIntakeReceipts(below: number): Promise<void> {
    return this.#call('forgetIntakeReceipts', [below]);
  }

  getTrace(
    tenant: string,
    traceId: string,
    range?: TimeRange,
    budget?: ReadBudget,
  ): Promise<Trace | null> {
    if (budget === undefined) return this.#call('getTrace', [tenant, traceId, range]);
    return this.#budgeted('getTrace', [tenant, traceId, range], budget);
  }

  findTraces(q: TraceQuery, budget?: ReadBudget): Promise<Trace[]> {
    if (budget === undefined) return this.#call('findTraces', [q]);
    return this.#budgeted('findTraces', [q], budget);
  }

  findTraceIds(q: TraceQuery): Promise<string[]> {
    return this.#call('findTraceIds', [q]);
  }

  getServices(tenant: string): Promise<string[]> {
    return this.#call('getServices', [tenant]);
  }

  getOperations(q: OperationQuery): Promise<Operation[]> {
    return this.#call('getOperations', [q]);
  }

  getDependencies(tenant: string, endTs: number, lookback: number): Promise<DependencyLink[]> {
    return this.#call('getDependencies', [tenant, endTs, lookback]);
  }

  getTagValues(q: TagValueQuery): Promise<string[]> {
    return this.#call('getTagValues', [q]);
  }

  findTraceIdsWithKeys(q: KeyedTraceQuery): Promise<string[]> {
    return this.#call('findTraceIdsWithKeys', [q]);
  }

  writeSpanMetrics(rows: readonly SpanMetricsRow[]): Promise<void> {
    return this.#call('writeSpanMetrics', [rows]);
  }

  calls(q: MetricsQuery): Promise<MetricSeries[]> {
    return this.#call('calls', [q]);
  }

  errors(q: MetricsQuery): Promise<MetricSeries[]> {
    return this.#call('errors', [q]);
  }

  latencies(q: LatencyQuery): Promise<MetricSeries[]> {
    return this.#call('latencies', [q]);
  }

  writeCompleteness(delta: CompletenessDelta): Promise<void> {
    return this.#call('writeCompleteness', [delta]);
  }

  completeness(q: CompletenessQuery): Promise<CompletenessReport> {
    return this.#call('completeness', [q]);
  }

  writeDependencies(delta: DependencyDelta): Promise<void> {
    return this.#call('writeDependencies', [delta]);
  }

  tryAcquireSamplingLease(
    name: string,
    holder: string,
    now: number,
    ttlMs: number,
  ): Promise<SamplingLease> {
    return this.#call('tryAcquireSamplingLease', [name, holder, now, ttlMs]);
  }

  releaseSamplingLease(name: string, holder: string): Promise<void> {
    return this.#call('releaseSamplingLease', [name, holder]);
  }

  writeSamplingProbabilities(
    lease: string,
    holder: string,
    now: number,
    rows: readonly OperationProbabilityRow[],
  ): Promise<boolean> {
    return this.#call('writeSamplingProbabilities', [lease, holder, now, rows]);
  }

  readSamplingProbabilities(): Promise<OperationProbabilityRow[]> {
    return this.#call('readSamplingProbabilities', []);
  }

  addSamplingThroughput(holder: string, at: number, rows: readonly ThroughputRow[]): Promise<void> {
    return this.#call('addSamplingThroughput', [holder, at, rows]);
  }

  takeSamplingThroughput(since: number): Promise<ThroughputRow[]> {
    return this.#call('takeSamplingThroughput', [since]);
  }

  purgeBefore(cutoff: number, scope?: PurgeScope): Promise<number> {
    return this.#call('purgeBefore', [cutoff, scope]);
  }

  #call<T>(method: string, args: unknown[]): Promise<T> {
    return this.#send({ kind: 'call', method, args });
  }

  #budgeted<T>(method: 'getTrace' | 'findTraces', args: unknown[], budget: ReadBudget): Promise<T> {
    return this.#send(
      { kind: 'budgeted', method, args, maxBytes: budget.maxBytes, used: budget.used },
      [],
      budget,
    );
  }

  #send<T>(
    request: WithoutId<ThreadRequest>,
    transfer: ArrayBuffer[] = [],
    budget?: ReadBudget,
  ): Promise<T> {
    const worker = this.#worker;
    if (worker === undefined || this.#gone !== undefined) {
      const why = this.#gone ?? 'it is not open';
      return Promise.reject(new StorageError(['use the DuckDB store', why]));
    }
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, budget });
      try {
        worker.postMessage({ ...request, id } as ThreadRequest, transfer);
      } catch (err) {
        // Arguments that cannot be cloned: this call fails, the thread is fine.
        this.#pending.delete(id);
        reject(
          new StorageError(['send a call to the storage thread', String(err)], { cause: err }),
        );
      }
    });
  }

  #onReply(reply: ThreadReply): void {
    if (reply.kind === 'log') {
      this.#log(reply.line);
      return;
    }
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (reply.kind === 'result' && reply.heap !== undefined) this.#heap = reply.heap;
    if (reply.kind === 'error') {
      pending.reject(fromWireError(reply.error));
      return;
    }
    let value: unknown;
    if (reply.kind === 'traces') {
      try {
        value = tracesOf(reply);
      } catch (err) {
        pending.reject(
          new StorageError(['read traces from the storage thread', String(err)], { cause: err }),
        );
        return;
      }
    } else {
      value = reply.value;
    }
    if (pending.budget !== undefined && reply.budget !== undefined) {
      const delta = reply.budget.used - pending.budget.used;
      if (delta >= 0) pending.budget.charge(delta);
      else pending.budget.refund(-delta);
      if (reply.budget.truncated) pending.budget.truncated = true;
    }
    pending.resolve(value);
  }

  /** A log line of the thread's pino, written through the main logger. */
  #log(line: string): void {
    const logger = this.#logger;
    if (logger === undefined) return;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      logger.warn({ line }, 'duckdb storage thread wrote a log line that is not JSON');
      return;
    }
    const level = LEVEL_NAMES[record.level as number] ?? 'info';
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) if (!LOG_KEYS_DROPPED.has(k)) fields[k] = v;
    logger[level](fields, typeof record.msg === 'string' ? record.msg : '');
  }

  /** For `/ready`: true while the thread runs, else why it is gone. */
  ping(): Promise<true | string> {
    if (this.#worker === undefined) return Promise.resolve('the DuckDB store is not open');
    return Promise.resolve(
      this.#gone === undefined ? true : `the DuckDB storage thread is gone: ${this.#gone}`,
    );
  }

  /** The thread is gone: every pending call rejects, and so does every later one. */
  #fail(why: string): void {
    this.#gone ??= why;
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(new StorageError(['finish a storage call', why]));
    }
  }
}
