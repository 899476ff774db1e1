import {
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { KV } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { BufferConfig } from '../../config/config.ts';
import type { BufferMetrics } from './buffer-metrics.ts';

const NANOS_PER_MS = 1_000_000;

export interface NatsBufferOptions {
  config: BufferConfig['nats'];
  /** Shown to NATS as the client name (e.g. "skein collector 1234"). */
  name: string;
  metrics: BufferMetrics;
  logger: Logger;
}

/**
 * One connection to NATS for a role, and the JetStream objects both sides use: the
 * stream of accepted batches (subjects `<subjectPrefix>.<partition>`, work-queue
 * retention: a batch is gone once an ingester acknowledged it) and the key-value
 * bucket of partition leases.
 *
 * Contract:
 * - `start` returns at once; the connection is made (and remade) in the background,
 *   forever. `ready` is true only while connected and the stream exists: a collector
 *   refuses batches otherwise, and the admin port's /ready says why (`problem`).
 * - The stream and bucket are created when missing, with the configured limits; an
 *   existing stream is used as it is (changing `partitions` needs an empty stream).
 */
export class NatsBuffer {
  readonly config: BufferConfig['nats'];
  readonly #name: string;
  readonly #metrics: BufferMetrics;
  readonly #logger: Logger;
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #jsm: JetStreamManager | undefined;
  #leases: KV | undefined;
  #ready = false;
  #problem = 'not connected to NATS yet';
  #closed = false;
  #connecting: Promise<void> | undefined;
  #readyWaiters: (() => void)[] = [];

  constructor(options: NatsBufferOptions) {
    this.config = options.config;
    this.#name = options.name;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.#metrics.connected.set(0);
  }

  /** True while connected with the stream in place. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Why the buffer is not ready ('' when it is). */
  get problem(): string {
    return this.#ready ? '' : this.#problem;
  }

  get js(): JetStreamClient {
    if (this.#js === undefined) throw new Error('NATS buffer: not connected yet');
    return this.#js;
  }

  get jsm(): JetStreamManager {
    if (this.#jsm === undefined) throw new Error('NATS buffer: not connected yet');
    return this.#jsm;
  }

  /** The partition-lease bucket (`<stream>-leases`). */
  get leases(): KV {
    if (this.#leases === undefined) throw new Error('NATS buffer: not connected yet');
    return this.#leases;
  }

  subject(partition: number): string {
    return `${this.config.subjectPrefix}.${partition}`;
  }

  start(): void {
    this.#connecting = this.#connect();
  }

  /** Settles once the buffer is ready (or the buffer is closed). */
  whenReady(): Promise<void> {
    if (this.#ready || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  async #connect(): Promise<void> {
    let nc: NatsConnection | undefined;
    for (let attempt = 0; nc === undefined; attempt++) {
      if (this.#closed) return;
      try {
        nc = await connect({
          servers: this.config.urls,
          name: this.#name,
          reconnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 250,
          pingInterval: 5000,
          maxPingOut: 2,
        });
      } catch (err) {
        this.#problem = `cannot connect to NATS at ${this.config.urls.join(', ')}: ${(err as Error).message}`;
        if (attempt === 0) this.#logger.warn({ err }, `${this.#problem}; retrying`);
        await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 2000)));
      }
    }
    if (this.#closed) {
      await nc.close();
      return;
    }
    this.#nc = nc;
    this.#js = jetstream(nc, { timeout: this.config.publishTimeoutMs });
    this.#logger.info({ server: nc.getServer() }, 'connected to NATS');
    void this.#watch(nc);
    await this.#prepare();
  }

  /** Follows the connection's status: ready again (stream checked) after each reconnect. */
  async #watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.#setUnready(`disconnected from NATS (${nc.getServer()}); reconnecting`);
        this.#logger.warn('disconnected from NATS; reconnecting');
      } else if (status.type === 'reconnect') {
        this.#logger.info({ server: nc.getServer() }, 'reconnected to NATS');
        void this.#prepare();
      }
    }
  }

  /** Makes sure the stream and bucket exist; retried until it works or the buffer closes. */
  async #prepare(): Promise<void> {
    const nc = this.#nc;
    if (nc === undefined) return;
    for (let attempt = 0; !this.#closed && !nc.isClosed(); attempt++) {
      try {
        const jsm = await jetstreamManager(nc, { timeout: this.config.publishTimeoutMs });
        await this.#ensureStream(jsm);
        const kvm = new Kvm(nc);
        this.#leases = await kvm.create(`${this.config.stream}-leases`, {
          history: 1,
          ttl: this.config.leaseTtlMs,
          replicas: this.config.replicas,
          storage: StorageType.File,
        });
        this.#jsm = jsm;
        if (nc.isClosed() || this.#closed) return;
        this.#ready = true;
        this.#metrics.connected.set(1);
        for (const wake of this.#readyWaiters.splice(0)) wake();
        return;
      } catch (err) {
        this.#setUnready(`JetStream is not usable: ${(err as Error).message}`);
        if (attempt === 0) this.#logger.warn({ err }, this.#problem);
        await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 2000)));
      }
    }
  }

  async #ensureStream(jsm: JetStreamManager): Promise<void> {
    const c = this.config;
    try {
      await jsm.streams.info(c.stream);
      return;
    } catch (err) {
      if (!/stream not found/i.test((err as Error).message)) throw err;
    }
    await jsm.streams.add({
      name: c.stream,
      subjects: [`${c.subjectPrefix}.*`],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: c.replicas,
      max_age: c.maxAgeHours * 3600 * 1000 * NANOS_PER_MS,
      max_bytes: c.maxBytes === 0 ? -1 : c.maxBytes,
      discard: DiscardPolicy.New,
    });
    this.#logger.info(
      { stream: c.stream, partitions: c.partitions },
      'created the JetStream stream',
    );
  }

  #setUnready(problem: string): void {
    this.#ready = false;
    this.#problem = problem;
    this.#metrics.connected.set(0);
  }

  /** Drains and closes the connection (pending acknowledgements are flushed first). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#setUnready('closed');
    for (const wake of this.#readyWaiters.splice(0)) wake();
    await this.#connecting;
    const nc = this.#nc;
    if (nc === undefined || nc.isClosed()) return;
    try {
      await nc.drain();
    } catch {
      await nc.close();
    }
  }
}
