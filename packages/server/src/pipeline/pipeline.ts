import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { SkeinConfig } from '../config/config.ts';
import { PipelineFullError, ShuttingDownError } from '../errors.ts';
import type { Span } from '../model/span.ts';
import type { SpanWriter } from '../storage/span-writer.ts';
import type { IngestMetrics } from './ingest-metrics.ts';
import type { ChainResult, ChainSink } from './processor-chain.ts';
import type { SpanConsumer } from './span-consumer.ts';

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
}

/** The pipeline's view of the processor chain. */
export interface PipelineProcessors {
  process(spans: Span[], bytes: number): ChainResult;
  drain(): void;
}

/** An accepted incoming batch whose spans from `start` on are not yet in a write batch. */
interface Chunk {
  spans: Span[];
  start: number;
  /** Encoded bytes still attributed to the spans from `start` on. */
  bytes: number;
  /** `performance.now()` when accepted. */
  acceptedAt: number;
}

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
  }

  /** Spans accepted and not yet written or dropped. */
  get queuedSpans(): number {
    return this.#queuedSpans;
  }

  /** Encoded bytes of the spans accepted and not yet written or dropped. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  consume(spans: Span[], bytes: number, protocol: string): void {
    const count = spans.length;
    const metrics = this.#metrics;
    metrics.spansReceived.inc({ protocol }, count);
    if (this.#stopping) {
      metrics.spansRefused.inc({ protocol, reason: 'shutting_down' }, count);
      throw new ShuttingDownError([]);
    }
    if (count === 0) return;
    const overSpans = this.#queuedSpans + count > this.#maxQueueSpans;
    if (overSpans || this.#queuedBytes + bytes > this.#maxQueueBytes) {
      metrics.spansRefused.inc({ protocol, reason: 'queue_full' }, count);
      const what = overSpans
        ? `${this.#queuedSpans} spans queued + ${count} in this batch > limit of ${this.#maxQueueSpans}`
        : `${this.#queuedBytes} bytes queued + ${bytes} in this batch > limit of ${this.#maxQueueBytes}`;
      throw new PipelineFullError([what], { retryAfterSeconds: this.#retryAfterSeconds });
    }
    metrics.spansAccepted.inc({ protocol }, count);
    // Processors run after the batch is accepted, so a refused batch (which its client
    // sends again) is never counted twice by span metrics.
    this.#bytesPerSpan = bytes / count;
    this.#onAccepted?.(spans);
    let kept = spans;
    if (this.#processors !== undefined) {
      const result = this.#processors.process(spans, bytes);
      kept = result.spans;
      this.#heldSpans += result.held;
      const dropped = count - kept.length - result.held;
      if (dropped > 0) metrics.spansDropped.inc({ reason: 'processor' }, dropped);
      if (kept.length !== count) {
        if (kept.length === 0) {
          this.#updateQueueGauges();
          return;
        }
        bytes = Math.round((bytes * kept.length) / count);
      }
    }
    this.#enqueue(kept, bytes);
  }

  /**
   * Where the processors return spans they held (kept by tail sampling) and report
   * those they dropped. Spans come back even while stopping: they were accepted.
   */
  readonly sink: ChainSink = {
    enqueue: (spans: Span[]) => {
      this.#heldSpans -= spans.length;
      this.#enqueue(spans, Math.round(spans.length * this.#bytesPerSpan));
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

  #enqueue(kept: Span[], bytes: number): void {
    this.#chunks.push({ spans: kept, start: 0, bytes, acceptedAt: performance.now() });
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

  /** Takes up to `batch.maxSpans` buffered spans, oldest first, and starts writing them. */
  #cutBatch(): void {
    const size = Math.min(this.#bufferedSpans, this.#batchMaxSpans);
    const first = this.#chunks[this.#head];
    let batch: Span[];
    let bytes: number;
    if (first.start === 0 && first.spans.length === size) {
      // The common case of one incoming batch that fits: write it without copying.
      batch = first.spans;
      bytes = first.bytes;
      this.#head++;
    } else {
      batch = new Array<Span>(size);
      bytes = 0;
      let filled = 0;
      while (filled < size) {
        const chunk = this.#chunks[this.#head];
        const remaining = chunk.spans.length - chunk.start;
        const take = Math.min(remaining, size - filled);
        for (let i = 0; i < take; i++) batch[filled + i] = chunk.spans[chunk.start + i];
        filled += take;
        if (take === remaining) {
          bytes += chunk.bytes;
          this.#head++;
        } else {
          const share = Math.round((chunk.bytes * take) / remaining);
          bytes += share;
          chunk.bytes -= share;
          chunk.start += take;
        }
      }
    }
    this.#bufferedSpans -= size;
    this.#compactChunks();
    this.#inFlight++;
    void this.#write(batch, bytes);
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

  async #write(batch: Span[], bytes: number): Promise<void> {
    const metrics = this.#metrics;
    let backoff = this.#retryBackoffMs;
    for (let attempt = 1; ; attempt++) {
      const endTimer = metrics.writeBatchDuration.startTimer();
      try {
        await this.#writer.write(batch);
        endTimer();
        metrics.spansWritten.inc(batch.length);
        this.#endBurst();
        break;
      } catch (err) {
        endTimer();
        metrics.storageWriteErrors.inc();
        if (attempt >= this.#writeAttempts) {
          this.#drop(batch.length, err);
          break;
        }
        if (this.#burstErrors++ === 0) {
          this.#logger.warn(
            { err, spans: batch.length, attempt },
            'storage write failed; retrying with backoff (further failures are summarised when writes succeed again)',
          );
        }
        await delay(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
    this.#queuedSpans -= batch.length;
    this.#queuedBytes -= bytes;
    this.#updateQueueGauges();
    this.#inFlight--;
    if (this.#stopping && this.#inFlight === 0 && this.#bufferedSpans === 0) this.#endBurst();
    this.#pump();
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

  #updateQueueGauges(): void {
    this.#metrics.queueSpans.set(this.#queuedSpans);
    this.#metrics.queueBytes.set(this.#queuedBytes);
  }
}
