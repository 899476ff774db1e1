import type { Logger } from 'pino';
import type { BufferMetrics } from './buffer-metrics.ts';
import type { NatsBuffer } from './nats-buffer.ts';

/** What the lease holder does when it gains or gives up a partition. */
export interface PartitionOwner {
  /** The lease is ours: start consuming the partition. */
  acquired(partition: number): void;
  /**
   * Stop consuming and settle once what was taken from the partition is written and
   * acknowledged (or given up); the lease is deleted after, for the next owner.
   */
  release(partition: number): Promise<void>;
  /** The lease could not be renewed in time: another ingester may own it now; stop at once. */
  lost(partition: number): void;
}

export interface PartitionLeasesOptions {
  buffer: NatsBuffer;
  /** This ingester's id, unique among the live ones. */
  id: string;
  owner: PartitionOwner;
  metrics: BufferMetrics;
  logger: Logger;
}

/** FNV-1a of a member id and a partition: the rendezvous score. */
function score(member: string, partition: number): number {
  let h = 0x811c9dc5;
  const key = `${member}/${partition}`;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}

/** The member a partition belongs to by rendezvous hashing (few partitions move when members change). */
export function partitionMember(members: readonly string[], partition: number): string {
  let best = '';
  let bestScore = -1;
  for (const m of members) {
    const s = score(m, partition);
    if (s > bestScore || (s === bestScore && m < best)) {
      best = m;
      bestScore = s;
    }
  }
  return best;
}

/**
 * Partition ownership among the live ingesters, kept in the buffer's key-value
 * bucket (whose entries expire after `leaseTtlMs`):
 *
 * - every ingester writes `m.<id>` each tick (a third of the TTL): the members;
 * - each partition belongs to one member by rendezvous hashing over the members;
 * - its owner holds `p.<partition>`, created only when absent and renewed each tick
 *   by revision (so two ingesters never both renew one lease);
 * - an ingester gives up (release, then delete) the partitions no longer its own,
 *   and claims those that are, once their old lease is gone: released by a live
 *   ingester, or expired when one died (kill -9: after the TTL).
 *
 * A lease not renewed for 80% of the TTL (NATS unreachable) counts as lost: the
 * owner stops consuming before anyone else can take the partition over. In the
 * remaining overlap, a batch may be processed twice; the pipeline's dedupe and
 * idempotent storage writes make that harmless.
 */
export class PartitionLeases {
  readonly #buffer: NatsBuffer;
  readonly #id: string;
  readonly #owner: PartitionOwner;
  readonly #metrics: BufferMetrics;
  readonly #logger: Logger;
  readonly #ttlMs: number;
  readonly #partitions: number;
  /** Held partition → lease revision and when it was last renewed. */
  readonly #held = new Map<number, { revision: number; renewedAt: number }>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #stopped = false;
  #members: string[] = [];
  #renewing = false;

  constructor(options: PartitionLeasesOptions) {
    this.#buffer = options.buffer;
    this.#id = options.id;
    this.#owner = options.owner;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.#ttlMs = options.buffer.config.leaseTtlMs;
    this.#partitions = options.buffer.config.partitions;
  }

  /** Partitions held now, ascending. */
  get held(): number[] {
    return [...this.#held.keys()].sort((a, b) => a - b);
  }

  /** Live ingesters as of the last tick. */
  get members(): readonly string[] {
    return this.#members;
  }

  start(): void {
    const tick = (): void => {
      this.#ticking = this.#tick().finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, Math.floor(this.#ttlMs / 3));
      });
    };
    tick();
  }

  async #tick(): Promise<void> {
    const now = Date.now();
    this.#dropStale(now);
    if (!this.#buffer.ready) return;
    try {
      const kv = this.#buffer.leases;
      await kv.put(`m.${this.#id}`, this.#id);
      const members: string[] = [];
      for await (const key of await kv.keys('m.*')) members.push(key.slice(2));
      if (!members.includes(this.#id)) members.push(this.#id);
      members.sort();
      this.#members = members;
      // Every held lease is renewed first (a release below may wait for writes), then
      // those no longer ours are released one by one, renewed again between releases.
      const leaving: number[] = [];
      for (const partition of [...this.#held.keys()]) {
        if (partitionMember(members, partition) !== this.#id) leaving.push(partition);
      }
      await this.#renewAll();
      for (const partition of leaving) {
        if (this.#stopped) return;
        const lease = this.#held.get(partition);
        if (lease === undefined) continue;
        await this.#release(partition, lease.revision);
        await this.#renewAll();
      }
      for (let partition = 0; partition < this.#partitions; partition++) {
        if (this.#stopped) return;
        if (this.#held.has(partition) || partitionMember(members, partition) !== this.#id) continue;
        try {
          const revision = await kv.create(`p.${partition}`, this.#id);
          this.#held.set(partition, { revision, renewedAt: Date.now() });
          this.#metrics.leaseChanges.inc({ change: 'acquired' });
          this.#metrics.partitionsOwned.set(this.#held.size);
          this.#logger.info({ partition }, 'partition lease acquired');
          this.#owner.acquired(partition);
        } catch (err) {
          // Held by its previous owner until released or expired: try again next tick.
          if (!this.#isConflict(err)) throw err;
        }
      }
    } catch (err) {
      this.#logger.warn({ err }, 'partition lease round failed; retrying');
    }
  }

  async #renewAll(): Promise<void> {
    if (this.#renewing || !this.#buffer.ready) return;
    this.#renewing = true;
    try {
      await this.#renewEach();
    } finally {
      this.#renewing = false;
    }
  }

  async #renewEach(): Promise<void> {
    const kv = this.#buffer.leases;
    for (const [partition, lease] of [...this.#held]) {
      try {
        lease.revision = await kv.update(`p.${partition}`, this.#id, lease.revision);
        lease.renewedAt = Date.now();
      } catch (err) {
        if (this.#isConflict(err)) this.#lose(partition, 'taken by another ingester');
        // Otherwise a transient failure: kept until it is stale (#dropStale).
      }
    }
  }

  #isConflict(err: unknown): boolean {
    return /wrong last sequence|key exists/i.test((err as Error).message);
  }

  #dropStale(now: number): void {
    for (const [partition, lease] of [...this.#held]) {
      if (now - lease.renewedAt > this.#ttlMs * 0.8) this.#lose(partition, 'not renewed in time');
    }
  }

  #lose(partition: number, why: string): void {
    this.#held.delete(partition);
    this.#metrics.leaseChanges.inc({ change: 'lost' });
    this.#metrics.partitionsOwned.set(this.#held.size);
    this.#logger.warn({ partition, why }, 'partition lease lost; stopped consuming it');
    this.#owner.lost(partition);
  }

  async #release(partition: number, revision: number): Promise<void> {
    // Writing what was taken may outlast the TTL: keep every lease (this one too) alive meanwhile.
    const keepAlive = setInterval(() => void this.#renewAll(), Math.floor(this.#ttlMs / 3));
    try {
      await this.#owner.release(partition);
    } finally {
      clearInterval(keepAlive);
    }
    // Renewed meanwhile: delete the revision it has now.
    const current = this.#held.get(partition)?.revision ?? revision;
    this.#held.delete(partition);
    this.#metrics.leaseChanges.inc({ change: 'released' });
    this.#metrics.partitionsOwned.set(this.#held.size);
    try {
      await this.#buffer.leases.delete(`p.${partition}`, { previousSeq: current });
      this.#logger.info({ partition }, 'partition lease released');
    } catch (err) {
      // Already gone (it expired while what was taken was being written) is fine.
      if (!this.#isConflict(err)) {
        this.#logger.warn({ err, partition }, 'could not delete a released lease; it expires');
      }
    }
  }

  /** Releases every partition (each written and acknowledged first) and leaves the members. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#ticking;
    for (const [partition, lease] of [...this.#held])
      await this.#release(partition, lease.revision);
    if (this.#buffer.ready) {
      try {
        await this.#buffer.leases.delete(`m.${this.#id}`);
      } catch (err) {
        this.#logger.warn({ err }, 'could not leave the ingester members; the entry expires');
      }
    }
  }
}
