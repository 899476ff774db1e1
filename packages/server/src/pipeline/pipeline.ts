import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { SkeinConfig } from '../config/config.ts';
import { PipelineFullError, ShuttingDownError } from '../errors.ts';
import { DEFAULT_TENANT, type Span } from '../model/span.ts';
import { encodeSpanBatch } from '../codecs/span-batch/index.ts';
import { isEncodedSpanWriter } from '../storage/span-writer.ts';
import type { EncodedSpanWriter, SpanWriter } from '../storage/span-writer.ts';
import type { IngestMetrics } from './ingest-metrics.ts';
import type { DedupeFilter } from './dedupe/index.ts';
import type { IntakeJournal } from './intake-journal.ts';
import type { ChainResult, ChainSink } from './processor-chain.ts';
import type { SpanConsumer } from './span-consumer.ts';
import { stampTenant } from './tenant-limits/stamp-tenant.ts';
import type { TenantRateLimiter } from './tenant-limits/tenant-rate-limiter.ts';

export interface PipelineOptions {
  writer: SpanWriter;
  config: SkeinConfig['pipeline'];
  metrics: IngestMetrics;
  logger: Logger;
  /** Write attempts per batch, the first included, before its spans are dropped (default 4). */
  writeAttempts?: number;
  /** Wait before the first retry; doubles per retry up to 5 s (default 100 ms). */
  retryBackoffMs?: number;
  /**
   * Runs on every accepted batch before it is queued (the processor chain): returns
   * the spans to write now and how many it holds back (they come back through
   * `sink`). Spans neither written nor held are counted as dropped (reason
   * `processor`). `drain` releases what it holds; `stop` calls it first.
   */
  processors?: PipelineProcessors;
  /**
   * Sees every accepted batch before the processors (adaptive sampling counts the
   * traffic there, so tail-sampling drops do not hide it and refused batches are not
   * counted twice). Synchronous; must not keep or change the spans.
   */
  onAccepted?: (spans: readonly Span[]) => void;
  /**
   * The durable intake: every accepted batch is recorded there before `consume`'s
   * promise settles, and noted committed once storage holds it. With a journal, a
   * failing store is retried until the pipeline stops (the batch stays in the
   * journal and is replayed on the next start) instead of dropped.
   */
  journal?: IntakeJournal;
  /**
   * Passes each span once (pipeline.dedupe): runs on every accepted (and replayed)
   * batch after the journal recorded it and before the processors, so a re-sent span
   * is neither counted nor written twice, and a batch refused by the journal is not
   * remembered (its client's retry must pass).
   */
  dedupe?: DedupeFilter;
  /**
   * Per-tenant ingest rates (`tenants.*`): checked on every batch `consume` gets with a
   * tenant, after the queue bound and before the journal; a batch over its tenant's
   * rate is refused whole with `TenantRateLimitedError`.
   */
  tenantLimits?: TenantRateLimiter;
}

/** The pipeline's view of the processor chain. */
export interface PipelineProcessors {
  process(spans: Span[], bytes: number): ChainResult;
  drain(): void;
}

/**
 * An accepted incoming batch (what the processors passed on) not yet in a write batch:
 * its spans as objects, or, for an `EncodedSpanWriter`, as one span-batch.
 */
interface Chunk {
  payload: Span[] | Uint8Array;
  count: number;
  /** Encoded bytes attributed to the spans. */
  bytes: number;
  /** `performance.now()` when accepted. */
  acceptedAt: number;
  /** Its journal sequence number; -1 when it has none (no journal, or spans a processor held). */
  seq: number;
}

/**
 * Whole chunks, oldest first, cut for one write: their spans as objects, or, for an
 * `EncodedSpanWriter`, their span-batches.
 */
interface WriteBatch {
  spans: Span[];
  encoded: Uint8Array[];
  count: number;
}

const RESOLVED = Promise.resolve();

const MAX_BACKOFF_MS = 5_000;

/**
 * The ingest pipeline: a bounded queue in front of a `SpanWriter`.
 *
 * Accepted batches wait in a queue bounded by spans and by bytes (counting spans
 * until their write finished, so in-flight writes take room too). Up to
 * `writers` write batches run at once; a write batch is cut when it reaches
 * `batch.maxSpans`, when its oldest span has waited `batch.maxDelayMs`, or on
 * `stop()`. While every writer is busy, spans keep coalescing into bigger batches.
 * A failed write is retried with doubling backoff; after `writeAttempts` failures
 * its spans are counted as dropped and logged (once per burst of failures).
 */
export class Pipeline implements SpanConsumer {
  readonly #writer: SpanWriter;
  /** The writer again when it takes span-batches: then the queue holds those, not objects. */
  readonly #encodedWriter: EncodedSpanWriter | undefined;
  readonly #metrics: IngestMetrics;
  readonly #logger: Logger;
  readonly #maxQueueSpans: number;
  readonly #maxQueueBytes: number;
  readonly #batchMaxSpans: number;
  readonly #batchMaxDelayMs: number;
  readonly #writers: number;
  readonly #retryAfterSeconds: number;
  readonly #writeAttempts: number;
  readonly #retryBackoffMs: number;
  readonly #processors: PipelineProcessors | undefined;
  readonly #onAccepted: ((spans: readonly Span[]) => void) | undefined;
  readonly #journal: IntakeJournal | undefined;
  readonly #dedupe: DedupeFilter | undefined;
  readonly #tenantLimits: TenantRateLimiter | undefined;
  /** Spans per tenant of a batch that mixes tenants (reused; the NATS ingester's batches). */
  readonly #tenantCounts = new Map<string, number>();
  /** Replay waiting for queue room: resolved as writes finish. */
  #roomWaiters: { spans: number; resolve: () => void }[] = [];
  /** Spans the processors hold back (tail sampling), not yet written or dropped. */
  #heldSpans = 0;
  /** Encoded bytes per span, a running estimate for spans that come back from the processors. */
  #bytesPerSpan = 0;

  /** Accepted and not yet written or dropped. */
  #queuedSpans = 0;
  #queuedBytes = 0;
  /** Accepted and not yet in a write batch: `#chunks[#head..]`. */
  #chunks: Chunk[] = [];
  #head = 0;
  #bufferedSpans = 0;
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;

  #stopping = false;
  #stopped: Promise<void> | undefined;
  #resolveStopped: (() => void) | undefined;

  /** The current burst of write failures: from the first failure to the next success. */
  #burstErrors = 0;
  #burstDroppedBatches = 0;
  #burstDroppedSpans = 0;

  constructor(options: PipelineOptions) {
    const { config } = options;
    this.#writer = options.writer;
    this.#encodedWriter = isEncodedSpanWriter(options.writer) ? options.writer : undefined;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.#maxQueueSpans = config.queue.maxSpans;
    this.#maxQueueBytes = config.queue.maxBytes;
    this.#batchMaxSpans = Math.max(1, config.batch.maxSpans);
    this.#batchMaxDelayMs = config.batch.maxDelayMs;
    this.#writers = Math.max(1, config.writers);
    this.#retryAfterSeconds = config.retryAfterSeconds;
    this.#writeAttempts = Math.max(1, options.writeAttempts ?? 4);
    this.#retryBackoffMs = options.retryBackoffMs ?? 100;
    this.#processors = options.processors;
    this.#onAccepted = options.onAccepted;
    this.#journal = options.journal;
    this.#dedupe = options.dedupe;
    this.#tenantLimits = options.tenantLimits;
  }

  /** Spans accepted and not yet written or dropped. */
  get queuedSpans(): number {
    return this.#queuedSpans;
  }

  /** Encoded bytes of the spans accepted and not yet written or dropped. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * Takes a batch (see SpanConsumer): stamps `tenant` on its resources (unless
   * undefined), then refuses it by throwing (stopping, queue full, over the tenant's
   * rate, the journal's disk), or returns a promise that settles when it is durable
   * (recorded in the journal; at once without one).
   */
  consume(
    spans: Span[],
    bytes: number,
    protocol: string,
    tenant: string | undefined,
  ): Promise<void> {
    const count = spans.length;
    const metrics = this.#metrics;
    metrics.spansReceived.inc({ protocol }, count);
    // Before anything keeps the spans (the journal's record carries the tenant).
    if (tenant !== undefined) stampTenant(spans, tenant);
    if (this.#stopping) {
      this.#refused(spans, protocol, tenant, 'shutting_down');
      throw new ShuttingDownError([]);
    }
    if (count === 0) return RESOLVED;
    const overSpans = this.#queuedSpans + count > this.#maxQueueSpans;
    if (overSpans || this.#queuedBytes + bytes > this.#maxQueueBytes) {
      this.#refused(spans, protocol, tenant, 'queue_full');
      const what = overSpans
        ? `${this.#queuedSpans} spans queued + ${count} in this batch > limit of ${this.#maxQueueSpans}`
        : `${this.#queuedBytes} bytes queued + ${bytes} in this batch > limit of ${this.#maxQueueBytes}`;
      throw new PipelineFullError([what], { retryAfterSeconds: this.#retryAfterSeconds });
    }
    // Spans that already carry their tenant (replay, the NATS ingester) were admitted
    // under its rate where they came in.
    const limits = tenant === undefined ? undefined : this.#tenantLimits;
    if (limits !== undefined) {
      try {
        limits.admit(tenant!, count);
      } catch (err) {
        this.#refused(spans, protocol, tenant, 'rate_limited');
        throw err;
      }
    }
    let seq = -1;
    let durable = RESOLVED;
    let recorded: Uint8Array | undefined;
    if (this.#journal !== undefined) {
      try {
        const entry = this.#journal.record(spans);
        seq = entry.seq;
        durable = entry.durable;
        recorded = entry.batch;
      } catch (err) {
        limits?.refund(tenant!, count);
        this.#refused(spans, protocol, tenant, 'intake_unavailable');
        throw err;
      }
    }
    metrics.spansAccepted.inc({ protocol }, count);
    if (tenant !== undefined) metrics.tenantAccepted(tenant, count, bytes);
    else this.#acceptedByTenant(spans, bytes);
    // Processors run after the batch is accepted, so a refused batch (which its client
    // sends again) is never counted twice by span metrics. They run while the journal
    // syncs: the disk wait overlaps the work.
    this.#onAccepted?.(spans);
    this.#process(spans, bytes, seq, recorded);
    return durable;
  }

  /** Counts a refused batch, in total and under its tenant. */
  #refused(spans: Span[], protocol: string, tenant: string | undefined, reason: string): void {
    this.#metrics.spansRefused.inc({ protocol, reason }, spans.length);
    if (spans.length === 0) return;
    this.#metrics.tenantRefused(
      tenant ?? spans[0]?.resource.tenant ?? DEFAULT_TENANT,
      reason,
      spans.length,
    );
  }

  /** Counts a taken batch whose spans carry their tenants, per tenant. */
  #acceptedByTenant(spans: Span[], bytes: number): void {
    const count = spans.length;
    const first = spans[0].resource.tenant;
    let i = 1;
    while (i < count && spans[i].resource.tenant === first) i++;
    if (i === count) {
      this.#metrics.tenantAccepted(first, count, bytes);
      return;
    }
    const counts = this.#tenantCounts;
    for (let j = 0; j < count; j++) {
      const t = spans[j].resource.tenant;
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    for (const [t, n] of counts)
      this.#metrics.tenantAccepted(t, n, Math.round((bytes * n) / count));
    counts.clear();
  }

  /**
   * A batch the journal replays after a restart (recorded as `seq` and never
   * committed): it goes through the processors and the queue like a new one, without
   * the queue bound (wait for `whenRoom` first) and without being recorded again.
   */
  replay(spans: Span[], bytes: number, seq: number, batch?: Uint8Array): void {
    this.#metrics.spansReplayed.inc(spans.length);
    this.#process(spans, bytes, seq, batch);
  }

  /** Settles once the queue has room for `spans` more (at once when it is empty). */
  whenRoom(spans: number): Promise<void> {
    if (this.#queuedSpans === 0 || this.#queuedSpans + spans <= this.#maxQueueSpans)
      return RESOLVED;
    return new Promise((resolve) => this.#roomWaiters.push({ spans, resolve }));
  }

  /**
   * Dedupe, the processors, then the queue. `recorded` is the span-batch the journal
   * recorded for these spans: queued as is when every span goes on unchanged, which
   * saves encoding the batch a second time.
   */
  #process(spans: Span[], bytes: number, seq: number, recorded?: Uint8Array): void {
    if (this.#dedupe !== undefined) {
      const before = spans.length;
      spans = this.#dedupe.filter(spans);
      if (spans.length === 0) {
        if (seq >= 0) this.#journal?.committed(seq);
        return;
      }
      if (spans.length !== before) {
        bytes = Math.round((bytes * spans.length) / before);
        recorded = undefined;
      }
    }
    const count = spans.length;
    this.#bytesPerSpan = bytes / count;
    let kept = spans;
    if (this.#processors !== undefined) {
      const result = this.#processors.process(spans, bytes);
      kept = result.spans;
      if (result.unchanged !== true || kept.length !== count) recorded = undefined;
      this.#heldSpans += result.held;
      const dropped = count - kept.length - result.held;
      if (dropped > 0) this.#metrics.spansDropped.inc({ reason: 'processor' }, dropped);
      if (kept.length !== count) {
        if (kept.length === 0) {
          if (seq >= 0) this.#journal?.committed(seq);
          this.#updateQueueGauges();
          return;
        }
        bytes = Math.round((bytes * kept.length) / count);
      }
    }
    this.#enqueue(kept, bytes, seq, recorded);
  }

  /**
   * Where the processors return spans they held (kept by tail sampling) and report
   * those they dropped. Spans come back even while stopping: they were accepted.
   */
  readonly sink: ChainSink = {
    enqueue: (spans: Span[]) => {
      this.#heldSpans -= spans.length;
      this.#enqueue(spans, Math.round(spans.length * this.#bytesPerSpan), -1);
    },
    dropped: (count: number) => {
      this.#heldSpans -= count;
      this.#metrics.spansDropped.inc({ reason: 'processor' }, count);
      this.#updateQueueGauges();
    },
  };

  /** Spans held by the processors until their trace is decided. */
  get heldSpans(): number {
    return this.#heldSpans;
  }

  #enqueue(kept: Span[], bytes: number, seq: number, recorded?: Uint8Array): void {
    let payload: Span[] | Uint8Array = kept;
    if (recorded !== undefined && this.#encodedWriter !== undefined) {
      // A view into a bigger buffer (a WAL read, a NATS message) would take all of that
      // buffer along when the writer clones it: keep only its own bytes.
      payload =
        recorded.byteOffset === 0 && recorded.byteLength === recorded.buffer.byteLength
          ? recorded
          : recorded.slice();
    } else if (this.#encodedWriter !== undefined) {
      try {
        payload = encodeSpanBatch(kept);
      } catch (err) {
        // Spans outside the model's contract (only a processor's bug makes them): no
        // writer could store them, and a retry or a replay would fail the same way.
        this.#logger.error({ err, spans: kept.length }, 'spans cannot be encoded; dropped');
        this.#metrics.spansDropped.inc({ reason: 'invalid' }, kept.length);
        if (seq >= 0) this.#journal?.committed(seq);
        this.#updateQueueGauges();
        return;
      }
    }
    this.#chunks.push({
      payload,
      count: kept.length,
      bytes,
      acceptedAt: performance.now(),
      seq,
    });
    this.#bufferedSpans += kept.length;
    this.#queuedSpans += kept.length;
    this.#queuedBytes += bytes;
    this.#updateQueueGauges();
    this.#pump();
  }

  /**
   * Stops accepting (`consume` throws `ShuttingDownError` from now on), writes
   * everything already accepted, and resolves once every write has finished
   * (written or, after its retries, dropped). Idempotent.
   */
  stop(): Promise<void> {
    if (this.#stopped === undefined) {
      this.#stopping = true;
      this.#stopped = new Promise((resolve) => {
        this.#resolveStopped = resolve;
      });
      // Spans the processors hold were accepted: decide them now, so they are written too.
      this.#processors?.drain();
      this.#pump();
    }
    return this.#stopped;
  }

  /** Starts write batches while writers are free and a batch is due; otherwise arms the timer. */
  #pump(): void {
    while (this.#inFlight < this.#writers && this.#bufferedSpans > 0) {
      const due =
        this.#stopping ||
        this.#bufferedSpans >= this.#batchMaxSpans ||
        performance.now() - this.#chunks[this.#head].acceptedAt >= this.#batchMaxDelayMs;
      if (!due) break;
      this.#cutBatch();
    }
    if (this.#bufferedSpans > 0 && this.#inFlight < this.#writers) {
      this.#armTimer();
    } else if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#stopping && this.#bufferedSpans === 0 && this.#inFlight === 0) {
      this.#resolveStopped?.();
    }
  }

  #armTimer(): void {
    if (this.#timer !== undefined) return;
    const waited = performance.now() - this.#chunks[this.#head].acceptedAt;
    this.#timer = setTimeout(this.#onTimer, Math.max(0, this.#batchMaxDelayMs - waited));
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#pump();
  };

  /**
   * Takes whole accepted batches, oldest first, up to `batch.maxSpans` spans (at least
   * one batch, however big), and starts writing them. Batches are never split, so each
   * one commits in one storage transaction and its journal note is exact.
   */
  #cutBatch(): void {
    const chunks = this.#chunks;
    const start = this.#head;
    let count = chunks[start].count;
    let end = start + 1;
    while (end < chunks.length && count + chunks[end].count <= this.#batchMaxSpans) {
      count += chunks[end].count;
      end++;
    }
    let bytes = 0;
    let seqs: number[] | undefined;
    const batch: WriteBatch = { spans: [], encoded: [], count };
    for (let c = start; c < end; c++) {
      const chunk = chunks[c];
      bytes += chunk.bytes;
      if (chunk.seq >= 0) (seqs ??= []).push(chunk.seq);
      const payload = chunk.payload;
      if (payload instanceof Uint8Array) batch.encoded.push(payload);
      else if (end - start === 1) batch.spans = payload;
      else for (const span of payload) batch.spans.push(span);
    }
    this.#head = end;
    this.#bufferedSpans -= count;
    this.#compactChunks();
    this.#inFlight++;
    void this.#write(batch, bytes, seqs);
  }

  /** Drops consumed chunks from the front without shifting on every cut. */
  #compactChunks(): void {
    if (this.#head === this.#chunks.length) {
      this.#chunks.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#chunks.length) {
      this.#chunks.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #writeBatch(batch: WriteBatch, seqs: number[] | undefined): Promise<void> {
    return this.#encodedWriter !== undefined
      ? this.#encodedWriter.writeEncoded(batch.encoded, seqs)
      : this.#writer.write(batch.spans, seqs);
  }

  async #write(batch: WriteBatch, bytes: number, seqs: number[] | undefined): Promise<void> {
    const metrics = this.#metrics;
    let backoff = this.#retryBackoffMs;
    for (let attempt = 1; ; attempt++) {
      const endTimer = metrics.writeBatchDuration.startTimer();
      try {
        await this.#writeBatch(batch, seqs);
        endTimer();
        metrics.spansWritten.inc(batch.count);
        if (seqs !== undefined) for (const seq of seqs) this.#journal!.committed(seq);
        this.#endBurst();
        break;
      } catch (err) {
        endTimer();
        metrics.storageWriteErrors.inc();
        if (attempt >= this.#writeAttempts) {
          if (this.#journal !== undefined && seqs !== undefined && seqs.length > 0) {
            // Journalled: never dropped. Keep trying until stopping; then it stays in
            // the journal and the next start replays it.
            if (this.#stopping) {
              this.#leftInJournal(batch.count, err);
              break;
            }
          } else {
            this.#drop(batch.count, err);
            break;
          }
        }
        if (this.#burstErrors++ === 0) {
          this.#logger.warn(
            { err, spans: batch.count, attempt },
            'storage write failed; retrying with backoff (further failures are summarised when writes succeed again)',
          );
        }
        await delay(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
    this.#queuedSpans -= batch.count;
    this.#queuedBytes -= bytes;
    this.#updateQueueGauges();
    this.#inFlight--;
    this.#wakeRoomWaiters();
    if (this.#stopping && this.#inFlight === 0 && this.#bufferedSpans === 0) this.#endBurst();
    this.#pump();
  }

  #leftInJournal(count: number, err: unknown): void {
    this.#logger.error(
      { err, spans: count },
      'storage write failed while stopping; the batch stays in the durable intake and is written on the next start',
    );
  }

  #drop(count: number, err: unknown): void {
    this.#metrics.spansDropped.inc({ reason: 'write_error' }, count);
    this.#burstErrors++;
    if (this.#burstDroppedBatches++ === 0) {
      this.#logger.error(
        { err, spans: count, attempts: this.#writeAttempts },
        'storage write failed on every attempt; dropped the batch (see skein_spans_dropped_total)',
      );
    }
    this.#burstDroppedSpans += count;
  }

  /** Summarises a burst of failures once writes succeed again (or the pipeline stops). */
  #endBurst(): void {
    if (this.#burstErrors === 0) return;
    this.#logger.warn(
      {
        failedAttempts: this.#burstErrors,
        droppedBatches: this.#burstDroppedBatches,
        droppedSpans: this.#burstDroppedSpans,
      },
      this.#stopping && this.#inFlight === 0
        ? 'pipeline stopped after storage write failures'
        : 'storage writes succeed again after failures',
    );
    this.#burstErrors = 0;
    this.#burstDroppedBatches = 0;
    this.#burstDroppedSpans = 0;
  }

  #wakeRoomWaiters(): void {
    const waiters = this.#roomWaiters;
    while (waiters.length > 0) {
      const w = waiters[0];
      if (this.#queuedSpans !== 0 && this.#queuedSpans + w.spans > this.#maxQueueSpans) break;
      waiters.shift();
      w.resolve();
    }
  }

  #updateQueueGauges(): void {
    this.#metrics.queueSpans.set(this.#queuedSpans);
    this.#metrics.queueBytes.set(this.#queuedBytes);
  }
}
