import {
  mkdir,
  open,
  readdir,
  readFile,
  unlink,
  truncate,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { IntakeUnavailableError } from '../errors.ts';
import {
  HEADER_BYTES,
  RecordType,
  committedPayload,
  parseRecords,
  readCommitted,
  recordHeader,
} from './record-format.ts';

export interface WriteAheadLogOptions {
  /** Directory of the segment files (created if missing). */
  dir: string;
  /** A segment is closed and a new one started once it holds this many bytes. */
  segmentBytes: number;
  /** After a failed write, appends are refused this long before the disk is tried again. */
  retryAfterSeconds: number;
  logger: Logger;
}

/** A batch record that storage has not committed: replayed after a restart. */
export interface PendingRecord {
  seq: number;
  /** Where its payload is. */
  path: string;
  offset: number;
  length: number;
}

/** What an append returns: the record's sequence number and when it is on disk. */
export interface Appended {
  seq: number;
  /** Settles once the record is fsync'd; rejects with `IntakeUnavailableError` if it could not be. */
  durable: Promise<void>;
}

/** Counters for /metrics and /ready. */
export interface WalStats {
  segments: number;
  bytes: number;
  /** Batch records written and not yet committed by storage. */
  pendingRecords: number;
  fsyncs: number;
  failedWrites: number;
}

class Segment {
  handle: FileHandle | undefined;
  /** Bytes on disk (written and synced). */
  size = 0;
  /** Bytes on disk plus bytes queued for it. */
  planned = 0;
  /** Batch records in it not yet committed by storage. */
  pending = 0;
  /** Highest batch sequence number assigned to it. */
  lastSeq = 0;
  constructor(
    readonly firstSeq: number,
    readonly path: string,
  ) {}
}

/** Records queued for the next flush, for one segment. */
interface QueuedWrite {
  segment: Segment;
  buffers: Uint8Array[];
  bytes: number;
  batchSeqs: number[];
}

/** One flush's waiters share a promise. */
interface Generation {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

const SEGMENT_NAME = /^(\d{20})\.wal$/;

function segmentName(firstSeq: number): string {
  return String(firstSeq).padStart(20, '0') + '.wal';
}

/**
 * Writes every buffer, in order, at the end of the file. A short write (the disk filled
 * up part way) is continued, so that the error it then meets is seen and not lost.
 */
async function writeAll(handle: FileHandle, buffers: Uint8Array[], total: number): Promise<void> {
  let written = (await handle.writev(buffers)).bytesWritten;
  while (written < total) {
    let skip = written;
    let i = 0;
    while (skip >= buffers[i].length) skip -= buffers[i++].length;
    const rest = [buffers[i].subarray(skip), ...buffers.slice(i + 1)];
    const { bytesWritten } = await handle.writev(rest);
    if (bytesWritten === 0) {
      throw Object.assign(new Error('no bytes written (no space left on device?)'), {
        code: 'ENOSPC',
      });
    }
    written += bytesWritten;
  }
}

function newGeneration(): Generation {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A waiter may be gone (its request ended): an unobserved rejection is not a crash.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/**
 * The durable intake's write-ahead log: accepted batches appended to segment files,
 * group-committed (every append made while a flush runs goes out in the next one, with
 * one `writev` and one `fdatasync`), so throughput holds while each client waits for
 * the disk only once.
 *
 * Contract:
 * - `append` returns at once; its `durable` promise settles when the record is on
 *   disk. It throws `IntakeUnavailableError` while the log refuses (for
 *   `retryAfterSeconds` after a failed write, e.g. disk full): nothing is half-written
 *   then, since a failed flush truncates the segment back to its last whole record.
 * - `committed(seq)` says storage holds every span of that batch record; it is noted on
 *   disk with the next flush (a Committed record). A segment is deleted once it and
 *   every older segment hold no uncommitted batch record (in order: a Committed record
 *   never refers to a newer segment, so deleting an old one loses no note still needed).
 * - `open` scans the directory: a torn record at the end of the last segment is cut
 *   off; it returns the batch records that were never noted as committed, oldest first.
 */
export class WriteAheadLog {
  readonly #options: WriteAheadLogOptions;
  readonly #segments: Segment[] = [];
  #nextSeq: number;
  #queue: QueuedWrite[] = [];
  #committed: number[] = [];
  #generation: Generation | undefined;
  #flushing: Promise<void> | undefined;
  #refuseUntil = 0;
  #failure = '';
  #closed = false;
  /** Sequence numbers whose records never reached the disk (a failed flush). */
  readonly #voided = new Set<number>();
  #markerTimer: NodeJS.Timeout | undefined;
  /** Every batch record up to this sequence number is on disk (or voided). */
  #durableThrough: number;
  /** Commit notes for records not yet on disk. */
  #deferred: number[] = [];
  readonly stats: WalStats = {
    segments: 0,
    bytes: 0,
    pendingRecords: 0,
    fsyncs: 0,
    failedWrites: 0,
  };

  private constructor(options: WriteAheadLogOptions, nextSeq: number) {
    this.#options = options;
    this.#nextSeq = nextSeq;
    this.#durableThrough = nextSeq - 1;
  }

  /** Opens (or creates) the log in `options.dir`; see the class contract. */
  static async open(
    options: WriteAheadLogOptions,
  ): Promise<{ log: WriteAheadLog; pending: PendingRecord[] }> {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const names = (await readdir(options.dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
    const found: { segment: Segment; batches: PendingRecord[] }[] = [];
    const committed = new Set<number>();
    let maxSeq = 0;
    for (let i = 0; i < names.length; i++) {
      const path = join(options.dir, names[i]);
      const firstSeq = Number(SEGMENT_NAME.exec(names[i])![1]);
      const data = await readFile(path);
      const { records, validBytes } = parseRecords(data);
      if (validBytes < data.length) {
        if (i === names.length - 1) {
          options.logger.warn(
            { path, cutBytes: data.length - validBytes },
            'intake: cut a torn record off the end of the log (the process died mid-write; that batch was never acknowledged)',
          );
          await truncate(path, validBytes);
        } else {
          options.logger.error(
            { path, unreadableBytes: data.length - validBytes },
            'intake: a segment has unreadable bytes before its end; replaying the records before them',
          );
        }
      }
      const segment = new Segment(firstSeq, path);
      segment.size = segment.planned = validBytes;
      const batches: PendingRecord[] = [];
      maxSeq = Math.max(maxSeq, firstSeq - 1);
      for (const r of records) {
        if (r.type === RecordType.Batch) {
          batches.push({ seq: r.seq, path, offset: r.offset, length: r.length });
          segment.lastSeq = r.seq;
          if (r.seq > maxSeq) maxSeq = r.seq;
        } else {
          for (const seq of readCommitted(data.subarray(r.offset, r.offset + r.length)))
            committed.add(seq);
        }
      }
      found.push({ segment, batches });
    }
    const log = new WriteAheadLog(options, maxSeq + 1);
    const pending: PendingRecord[] = [];
    for (const { segment, batches } of found) {
      for (const b of batches) {
        if (committed.has(b.seq)) continue;
        pending.push(b);
        segment.pending++;
      }
      log.#segments.push(segment);
      log.stats.bytes += segment.size;
    }
    log.stats.pendingRecords = pending.length;
    log.stats.segments = log.#segments.length;
    await log.#releaseCommitted();
    return { log, pending };
  }

  /** No batch record below this sequence number is on disk any more. */
  get oldestLiveSeq(): number {
    return this.#segments[0]?.firstSeq ?? this.#nextSeq;
  }

  /** The reason appends are refused right now, or '' when they are taken. */
  get refusing(): string {
    return performance.now() < this.#refuseUntil ? this.#failure : '';
  }

  /** Appends a batch record (see the class contract). */
  append(payload: Uint8Array): Appended {
    if (this.#closed) throw new Error('intake log is closed');
    if (this.#refuseUntil !== 0) {
      if (performance.now() < this.#refuseUntil) {
        throw new IntakeUnavailableError([this.#failure], {
          retryAfterSeconds: this.#options.retryAfterSeconds,
        });
      }
      this.#refuseUntil = 0;
    }
    const write = this.#queuedFor(HEADER_BYTES + payload.length);
    const seq = this.#nextSeq++;
    write.buffers.push(recordHeader(RecordType.Batch, seq, payload), payload);
    write.bytes += HEADER_BYTES + payload.length;
    write.batchSeqs.push(seq);
    write.segment.planned += HEADER_BYTES + payload.length;
    write.segment.pending++;
    write.segment.lastSeq = seq;
    this.stats.pendingRecords++;
    this.#generation ??= newGeneration();
    const durable = this.#generation.promise;
    this.#scheduleFlush();
    return { seq, durable };
  }

  /** Storage committed every span of batch record `seq` (see the class contract). */
  committed(seq: number): void {
    if (this.#voided.delete(seq)) return;
    if (seq > this.#durableThrough) {
      // Storage was faster than the disk: note it once the record itself is on disk.
      this.#deferred.push(seq);
      return;
    }
    const segment = this.#segmentOf(seq);
    if (segment === undefined) return;
    segment.pending--;
    this.stats.pendingRecords--;
    this.#committed.push(seq);
    // Notes need not be prompt: they ride on the next flush, or go out within a second.
    this.#markerTimer ??= setTimeout(this.#onMarkerTimer, 1_000);
    if (segment === this.#segments[0] && segment.pending === 0) void this.#releaseCommitted();
  }

  readonly #onMarkerTimer = (): void => {
    this.#markerTimer = undefined;
    if (this.#committed.length > 0) this.#scheduleFlush();
  };

  /** Reads a pending record's payload (for replay). */
  async readPayload(record: PendingRecord): Promise<Buffer> {
    const handle = await open(record.path, 'r');
    try {
      const payload = Buffer.allocUnsafe(record.length);
      const { bytesRead } = await handle.read(payload, 0, record.length, record.offset);
      if (bytesRead !== record.length) throw new Error(`short read of intake record ${record.seq}`);
      return payload;
    } finally {
      await handle.close();
    }
  }

  /** Writes what is queued (commit notes included) and closes the files. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearTimeout(this.#markerTimer);
    this.#markerTimer = undefined;
    while (this.#flushing !== undefined) await this.#flushing;
    if (this.#queue.length > 0 || this.#committed.length > 0) {
      this.#refuseUntil = 0;
      await this.#flush();
    }
    this.#closed = true;
    await this.#releaseCommitted();
    for (const s of this.#segments) await s.handle?.close();
  }

  /** The queued write for the newest segment, starting a new segment when it is full. */
  #queuedFor(bytes: number): QueuedWrite {
    let segment = this.#segments.at(-1);
    if (segment === undefined || segment.planned + bytes > this.#options.segmentBytes) {
      if (segment === undefined || segment.planned > 0) {
        // Named by the next batch sequence number: records in it have that one or higher.
        const firstSeq = this.#nextSeq;
        segment = new Segment(firstSeq, join(this.#options.dir, segmentName(firstSeq)));
        this.#segments.push(segment);
        this.stats.segments = this.#segments.length;
      }
    }
    const last = this.#queue.at(-1);
    if (last !== undefined && last.segment === segment) return last;
    const write: QueuedWrite = { segment, buffers: [], bytes: 0, batchSeqs: [] };
    this.#queue.push(write);
    return write;
  }

  #scheduleFlush(): void {
    if (this.#flushing !== undefined) return;
    this.#flushing = new Promise<void>((resolve) => {
      setImmediate(() => {
        void this.#flush().finally(() => {
          this.#flushing = undefined;
          resolve();
          if (this.#queue.length > 0) this.#scheduleFlush();
        });
      });
    });
  }

  /** Writes and syncs everything queued; settles the current generation. */
  async #flush(): Promise<void> {
    if (this.#committed.length > 0) {
      const payload = committedPayload(this.#committed);
      this.#committed = [];
      const write = this.#queuedFor(HEADER_BYTES + payload.length);
      write.buffers.push(recordHeader(RecordType.Committed, 0, payload), payload);
      write.bytes += HEADER_BYTES + payload.length;
      write.segment.planned += HEADER_BYTES + payload.length;
    }
    const queue = this.#queue;
    const generation = this.#generation;
    this.#queue = [];
    this.#generation = undefined;
    if (queue.length === 0) {
      generation?.resolve();
      return;
    }
    for (let i = 0; i < queue.length; i++) {
      const write = queue[i];
      const segment = write.segment;
      try {
        if (segment.handle === undefined) {
          segment.handle = await open(segment.path, 'a', 0o600);
          await this.#syncDirectory();
        }
        await writeAll(segment.handle, write.buffers, write.bytes);
        await segment.handle.datasync();
        this.stats.fsyncs++;
        segment.size += write.bytes;
        this.stats.bytes += write.bytes;
        if (write.batchSeqs.length > 0) this.#durableThrough = write.batchSeqs.at(-1)!;
        // An older segment gets no more writes once a newer one is written.
        for (const s of this.#segments) {
          if (s === segment) break;
          if (s.handle !== undefined) {
            const h = s.handle;
            s.handle = undefined;
            await h.close();
          }
        }
      } catch (err) {
        await this.#failed(queue.slice(i), err);
        generation?.reject(
          new IntakeUnavailableError([this.#failure], {
            retryAfterSeconds: this.#options.retryAfterSeconds,
            cause: err,
          }),
        );
        this.#settleDeferred();
        return;
      }
    }
    generation?.resolve();
    this.#settleDeferred();
  }

  /** Applies the commit notes that waited for their records to reach the disk. */
  #settleDeferred(): void {
    if (this.#deferred.length === 0) return;
    const deferred = this.#deferred;
    this.#deferred = [];
    for (const seq of deferred) this.committed(seq);
  }

  /** A write failed: cut the segments back to their last whole record and void what was queued. */
  async #failed(writes: QueuedWrite[], err: unknown): Promise<void> {
    this.stats.failedWrites++;
    const code = (err as NodeJS.ErrnoException).code;
    this.#failure = code === 'ENOSPC' ? 'disk full' : `${code ?? 'I/O error'}: ${String(err)}`;
    this.#refuseUntil = performance.now() + this.#options.retryAfterSeconds * 1000;
    for (const write of writes) {
      const segment = write.segment;
      segment.planned = segment.size;
      segment.pending -= write.batchSeqs.length;
      this.stats.pendingRecords -= write.batchSeqs.length;
      for (const seq of write.batchSeqs) this.#voided.add(seq);
      if (write.batchSeqs.length > 0) this.#durableThrough = write.batchSeqs.at(-1)!;
      try {
        await segment.handle?.truncate(segment.size);
      } catch (truncateErr) {
        this.#options.logger.error(
          { err: truncateErr, path: segment.path },
          'intake: could not cut a failed write off a segment; its torn tail will be cut on the next start',
        );
      }
    }
    this.#options.logger.error(
      { err, refusingSeconds: this.#options.retryAfterSeconds },
      'intake: could not write accepted batches to disk; answering 503 until the disk takes writes again',
    );
  }

  async #syncDirectory(): Promise<void> {
    const dir = await open(this.#options.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  #segmentOf(seq: number): Segment | undefined {
    const segments = this.#segments;
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (segments[mid].firstSeq <= seq) lo = mid;
      else hi = mid - 1;
    }
    const s = segments[lo];
    return s !== undefined && s.firstSeq <= seq ? s : undefined;
  }

  /** Deletes the oldest segments while they hold nothing uncommitted (never the one being written). */
  async #releaseCommitted(): Promise<void> {
    const segments = this.#segments;
    while (segments.length > 0 && segments[0].pending === 0) {
      const s = segments[0];
      const newest = segments.length === 1;
      if (newest && !this.#closed && (s.planned > s.size || this.#queue.length > 0)) break;
      if (newest && !this.#closed && s.handle !== undefined) break;
      segments.shift();
      this.stats.segments = segments.length;
      this.stats.bytes -= s.size;
      const h = s.handle;
      s.handle = undefined;
      try {
        await h?.close();
        await unlink(s.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.#options.logger.warn(
            { err, path: s.path },
            'intake: could not delete a released segment',
          );
        }
      }
    }
  }
}
