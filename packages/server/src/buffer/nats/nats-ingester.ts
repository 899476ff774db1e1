import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import type { Consumer, JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { decodeSpanBatch } from '../../codecs/span-batch/index.ts';
import { CorruptBatchError, isSkeinError } from '../../errors.ts';
import type { Span } from '../../model/span.ts';
import type { IntakeJournal, JournalEntry } from '../../pipeline/intake-journal.ts';
import type { BufferMetrics } from './buffer-metrics.ts';
import type { NatsBuffer } from './nats-buffer.ts';
import type { PartitionOwner } from './partition-leases.ts';

const RESOLVED = Promise.resolve();
/** A fetch waits at most this long for messages, so a released partition stops soon. */
const FETCH_EXPIRES_MS = 1000;

/** What the ingester feeds: the pipeline (its queue bound and its processors). */
export interface IngestTarget {
  consume(spans: Span[], bytes: number, protocol: string, tenant: undefined): Promise<void>;
  whenRoom(spans: number): Promise<void>;
}

interface PartitionLoop {
  partition: number;
  label: string;
  stopped: boolean;
  /** Batches taken from JetStream and not yet acknowledged. */
  inFlight: number;
  wake: (() => void) | undefined;
  done: Promise<void>;
}

interface PendingBatch {
  msg: JsMsg;
  loop: PartitionLoop;
  receivedAt: number;
}

export interface NatsIngesterOptions {
  buffer: NatsBuffer;
  metrics: BufferMetrics;
  logger: Logger;
}

/**
 * The ingester side of the buffer. For each partition it holds the lease of, it
 * pulls batches from the partition's durable consumer, decodes them and hands them
 * to the pipeline; it acknowledges a batch to JetStream only when the pipeline
 * reports it committed by storage. It is the pipeline's journal (IntakeJournal):
 * JetStream already holds every batch durably, so `record` only notes which
 * message a batch came from, and `committed` acknowledges it.
 *
 * Delivery is at least once: a batch not acknowledged within `ackWaitSeconds`
 * (the ingester died, or lost the lease) is delivered again, to whoever owns the
 * partition then. Spans a trace-level processor holds back for a decision (tail
 * sampling) are not covered by the acknowledgement, as with the durable intake.
 */
export class NatsIngester implements IntakeJournal, PartitionOwner {
  readonly #buffer: NatsBuffer;
  readonly #metrics: BufferMetrics;
  readonly #logger: Logger;
  readonly #loops = new Map<number, PartitionLoop>();
  readonly #pending = new Map<number, PendingBatch>();
  #seq = 0;
  #current: PendingBatch | undefined;
  #target: IngestTarget | undefined;

  constructor(options: NatsIngesterOptions) {
    this.#buffer = options.buffer;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
  }

  /** The pipeline, once it exists (it is built with this ingester as its journal). */
  set target(target: IngestTarget) {
    this.#target = target;
  }

  /** Batches taken and not yet acknowledged, over every partition. */
  get inFlight(): number {
    return this.#pending.size;
  }

  // ---- IntakeJournal ---------------------------------------------------------------

  record(): JournalEntry {
    const seq = this.#seq++;
    const current = this.#current;
    if (current === undefined) return { seq, durable: RESOLVED };
    this.#pending.set(seq, current);
    // The message is the span-batch the spans were decoded from (the tenant stamped
    // at the collector): the pipeline may queue it as is.
    return { seq, durable: RESOLVED, batch: current.msg.data };
  }

  committed(seq: number): void {
    const pending = this.#pending.get(seq);
    if (pending === undefined) return;
    this.#pending.delete(seq);
    pending.msg.ack();
    this.#metrics.ackDelay.observe((performance.now() - pending.receivedAt) / 1000);
    this.#settled(pending.loop);
  }

  // ---- PartitionOwner --------------------------------------------------------------

  acquired(partition: number): void {
    const loop: PartitionLoop = {
      partition,
      label: String(partition),
      stopped: false,
      inFlight: 0,
      wake: undefined,
      done: RESOLVED,
    };
    this.#loops.set(partition, loop);
    loop.done = this.#run(loop);
  }

  async release(partition: number): Promise<void> {
    const loop = this.#loops.get(partition);
    if (loop === undefined) return;
    loop.stopped = true;
    loop.wake?.();
    await loop.done;
    // What was taken is written and acknowledged before the lease goes to another
    // ingester (or JetStream redelivers it to them after ackWaitSeconds).
    const deadline = Date.now() + this.#buffer.config.ackWaitSeconds * 1000;
    while (loop.inFlight > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        loop.wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    this.#loops.delete(partition);
    this.#metrics.consumerLag.remove({ partition: loop.label });
  }

  lost(partition: number): void {
    const loop = this.#loops.get(partition);
    if (loop === undefined) return;
    loop.stopped = true;
    loop.wake?.();
    this.#loops.delete(partition);
    this.#metrics.consumerLag.remove({ partition: loop.label });
  }

  // ---- consuming -------------------------------------------------------------------

  #settled(loop: PartitionLoop): void {
    loop.inFlight--;
    const wake = loop.wake;
    loop.wake = undefined;
    wake?.();
  }

  /** The partition's durable consumer, created when missing. */
  async #consumer(partition: number): Promise<Consumer> {
    const { stream, ackWaitSeconds, fetchBatches } = this.#buffer.config;
    const name = `p${partition}`;
    const jsm = this.#buffer.jsm;
    try {
      await jsm.consumers.info(stream, name);
    } catch (err) {
      if (!/consumer not found/i.test((err as Error).message)) throw err;
      await jsm.consumers.add(stream, {
        durable_name: name,
        filter_subject: this.#buffer.subject(partition),
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: ackWaitSeconds * 1_000_000_000,
        max_ack_pending: fetchBatches * 4,
      });
    }
    return this.#buffer.js.consumers.get(stream, name);
  }

  async #run(loop: PartitionLoop): Promise<void> {
    const max = this.#buffer.config.fetchBatches;
    let consumer: Consumer | undefined;
    let failures = 0;
    while (!loop.stopped) {
      try {
        if (!this.#buffer.ready) {
          await Promise.race([this.#buffer.whenReady(), this.#pause(loop, 500)]);
          continue;
        }
        consumer ??= await this.#consumer(loop.partition);
        if (loop.inFlight >= max) {
          await this.#pause(loop, 1000);
          continue;
        }
        const messages = await consumer.fetch({
          max_messages: max - loop.inFlight,
          expires: FETCH_EXPIRES_MS,
        });
        let got = 0;
        for await (const msg of messages) {
          got++;
          await this.#take(loop, msg);
        }
        if (got === 0) this.#metrics.consumerLag.set({ partition: loop.label }, 0);
        failures = 0;
      } catch (err) {
        consumer = undefined;
        if (failures++ === 0) {
          this.#logger.warn(
            { err, partition: loop.partition },
            'fetching from JetStream failed; retrying',
          );
        }
        await this.#pause(loop, Math.min(100 * 2 ** failures, 2000));
      }
    }
  }

  /** Waits `ms`, or less when the loop is woken (a batch settled, or stop). */
  #pause(loop: PartitionLoop, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      loop.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #take(loop: PartitionLoop, msg: JsMsg): Promise<void> {
    const metrics = this.#metrics;
    metrics.consumerLag.set({ partition: loop.label }, msg.info.pending);
    if (msg.redelivered) metrics.redeliveries.inc({ partition: loop.label });
    if (loop.stopped) {
      // Fetched after the lease went: back to JetStream for the next owner.
      msg.nak();
      return;
    }
    let spans: Span[];
    try {
      spans = decodeSpanBatch(msg.data);
    } catch (err) {
      if (!(err instanceof CorruptBatchError)) throw err;
      metrics.corruptBatches.inc();
      this.#logger.error(
        { err, partition: loop.partition, streamSequence: msg.info.streamSequence },
        'dropped a JetStream message that is not a span batch',
      );
      msg.term();
      return;
    }
    metrics.consumedBatches.inc({ partition: loop.label });
    metrics.consumedSpans.inc(spans.length);
    metrics.batchSpans.observe({ side: 'consume' }, spans.length);
    if (spans.length === 0) {
      msg.ack();
      return;
    }
    const target = this.#target;
    if (target === undefined) throw new Error('NATS ingester: no pipeline to feed (wiring bug)');
    await target.whenRoom(spans.length);
    const pending: PendingBatch = { msg, loop, receivedAt: performance.now() };
    this.#current = pending;
    loop.inFlight++;
    try {
      // Settles at once (record() says the batch is durable: JetStream holds it);
      // committed() acknowledges it later.
      // The spans carry their tenant (the span-batch codec): stamped and rate-limited
      // at the collector.
      void target.consume(spans, msg.data.byteLength, 'nats', undefined);
    } catch (err) {
      // Refused (queue full, stopping): back to JetStream, delivered again shortly.
      this.#settled(loop);
      msg.nak(1000);
      if (!isSkeinError(err)) throw err;
    } finally {
      this.#current = undefined;
    }
  }
}
