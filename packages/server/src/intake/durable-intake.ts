import type { Logger } from 'pino';
import { Gauge, Counter, type Registry } from 'prom-client';
import { decodeSpanBatch, encodeSpanBatch } from '../codecs/span-batch/index.ts';
import type { Span } from '../model/span.ts';
import type { IntakeJournal, JournalEntry } from '../pipeline/intake-journal.ts';
import type { IntakeReceipts } from '../storage/span-writer.ts';
import { WriteAheadLog, type PendingRecord } from './write-ahead-log.ts';

export interface DurableIntakeOptions {
  dir: string;
  segmentBytes: number;
  retryAfterSeconds: number;
  logger: Logger;
  registry: Registry;
  /**
   * The store's receipts, when it keeps them (SpanWriter.write): batches it lists are
   * not replayed even if the log's own commit note was lost in the crash.
   */
  receipts?: IntakeReceipts;
}

/** How often receipts the log no longer needs are pruned from the store. */
const PRUNE_INTERVAL_MS = 60_000;

/** Where replayed batches go: the pipeline's replay door. */
export interface ReplayTarget {
  /** Settles once the queue has room for `spans` more. */
  whenRoom(spans: number): Promise<void>;
  /** `batch` is the record's payload, the span-batch `spans` were decoded from. */
  replay(spans: Span[], bytes: number, seq: number, batch: Uint8Array): void;
}

/**
 * The durable intake: accepted batches, encoded with the span-batch codec, in a
 * write-ahead log on disk before the client is answered, and replayed into the
 * pipeline after a crash (see write-ahead-log.ts for the log's guarantees and
 * docs/operations.md for what Skein promises).
 */
export class DurableIntake implements IntakeJournal {
  readonly #log: WriteAheadLog;
  readonly #logger: Logger;
  #pending: PendingRecord[];
  #replayed = 0;
  #stopReplay = false;
  #replaying: Promise<void> | undefined;
  readonly #receipts: IntakeReceipts | undefined;
  readonly #pruneTimer: NodeJS.Timeout | undefined;

  private constructor(log: WriteAheadLog, pending: PendingRecord[], options: DurableIntakeOptions) {
    this.#log = log;
    this.#pending = pending;
    this.#logger = options.logger;
    this.#receipts = options.receipts;
    if (options.receipts !== undefined) {
      this.#pruneTimer = setInterval(() => void this.#prune(), PRUNE_INTERVAL_MS);
      this.#pruneTimer.unref();
    }
    const registers = [options.registry];
    const stats = log.stats;
    new Gauge({
      name: 'skein_intake_bytes',
      help: 'Bytes of the durable intake on disk (segments not yet released).',
      registers,
      collect() {
        this.set(stats.bytes);
      },
    });
    new Gauge({
      name: 'skein_intake_segments',
      help: 'Segment files of the durable intake on disk.',
      registers,
      collect() {
        this.set(stats.segments);
      },
    });
    new Gauge({
      name: 'skein_intake_pending_batches',
      help: 'Accepted batches in the durable intake that storage has not committed yet.',
      registers,
      collect() {
        this.set(stats.pendingRecords);
      },
    });
    const replayLeft = () => this.replayBacklog;
    new Gauge({
      name: 'skein_intake_replay_backlog_batches',
      help: 'Batches found in the durable intake at start and not yet handed to the pipeline again.',
      registers,
      collect() {
        this.set(replayLeft());
      },
    });
    new Counter({
      name: 'skein_intake_fsyncs_total',
      help: 'Group commits of the durable intake (one writev + fdatasync each).',
      registers,
      collect() {
        this.reset();
        this.inc(stats.fsyncs);
      },
    });
    new Counter({
      name: 'skein_intake_write_failures_total',
      help: 'Durable intake writes that failed (disk full, I/O error); their batches were answered 503.',
      registers,
      collect() {
        this.reset();
        this.inc(stats.failedWrites);
      },
    });
  }

  /** Opens the log in `dir` and finds what a previous run left uncommitted. */
  static async open(options: DurableIntakeOptions): Promise<DurableIntake> {
    const opened = await WriteAheadLog.open(options);
    const { log } = opened;
    let { pending } = opened;
    if (pending.length > 0 && options.receipts !== undefined) {
      // Committed by the store, but the log's note did not reach the disk before the crash.
      const stored = new Set(await options.receipts.intakeReceipts(pending[0].seq));
      const committed = pending.filter((p) => stored.has(p.seq));
      pending = pending.filter((p) => !stored.has(p.seq));
      for (const p of committed) log.committed(p.seq);
      if (committed.length > 0) {
        options.logger.info(
          { batches: committed.length },
          'intake: the store had committed batches whose commit notes were lost; not replaying them',
        );
      }
    }
    if (pending.length > 0) {
      options.logger.info(
        { batches: pending.length, dir: options.dir },
        'intake: found accepted batches that were not committed before the last stop; replaying them',
      );
    }
    const intake = new DurableIntake(log, pending, options);
    await intake.#prune();
    return intake;
  }

  /** Lets the store forget receipts of batches no longer in the log. */
  async #prune(): Promise<void> {
    if (this.#receipts === undefined) return;
    const below = Math.min(this.#log.oldestLiveSeq, this.#pending[this.#replayed]?.seq ?? Infinity);
    try {
      await this.#receipts.forgetIntakeReceipts(below);
    } catch (err) {
      this.#logger.warn({ err }, 'intake: could not prune old receipts from the store; will retry');
    }
  }

  record(spans: readonly Span[]): JournalEntry {
    const batch = encodeSpanBatch(spans);
    const { seq, durable } = this.#log.append(batch);
    return { seq, durable, batch };
  }

  committed(seq: number): void {
    this.#log.committed(seq);
  }

  /** Batches found at start still to be handed to the pipeline. */
  get replayBacklog(): number {
    return this.#pending.length - this.#replayed;
  }

  /** Why the intake refuses appends right now ('' when it takes them). */
  get refusing(): string {
    return this.#log.refusing;
  }

  /**
   * Hands every batch a previous run left uncommitted to `target`, oldest first, each
   * as soon as the queue has room for it. Returns when done or when `stop` is called
   * (what is left stays on disk for the next start).
   */
  replay(target: ReplayTarget): Promise<void> {
    this.#replaying ??= this.#replayAll(target);
    return this.#replaying;
  }

  async #replayAll(target: ReplayTarget): Promise<void> {
    const started = performance.now();
    let spans = 0;
    const pending = this.#pending;
    while (this.#replayed < pending.length && !this.#stopReplay) {
      const record = pending[this.#replayed];
      let batch: Span[];
      let bytes: number;
      let payload: Uint8Array;
      try {
        payload = await this.#log.readPayload(record);
        bytes = payload.length;
        batch = decodeSpanBatch(payload);
      } catch (err) {
        // Whole records passed their checksum: this is a bug or a codec change, not a torn write.
        this.#logger.error(
          { err, seq: record.seq, path: record.path },
          'intake: a recorded batch does not decode; it is skipped and kept on disk',
        );
        this.#replayed++;
        continue;
      }
      await target.whenRoom(batch.length);
      if (this.#stopReplay) break;
      this.#replayed++;
      spans += batch.length;
      target.replay(batch, bytes, record.seq, payload);
    }
    if (pending.length > 0) {
      this.#logger.info(
        {
          batches: this.#replayed,
          spans,
          seconds: Math.round(performance.now() - started) / 1000,
          left: pending.length - this.#replayed,
        },
        this.#stopReplay && this.#replayed < pending.length
          ? 'intake: replay stopped by shutdown; the rest stays on disk'
          : 'intake: replayed what the last run left',
      );
    }
    this.#pending = [];
    this.#replayed = 0;
  }

  /** Stops handing replayed batches on (call before stopping the pipeline). */
  async stopReplay(): Promise<void> {
    this.#stopReplay = true;
    await this.#replaying;
  }

  /** Writes the last commit notes and closes the files. */
  close(): Promise<void> {
    clearInterval(this.#pruneTimer);
    return this.#log.close();
  }
}
