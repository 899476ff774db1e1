import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Span } from '../../model/span.ts';
import type { SamplingStore } from '../../storage/sampling-store.ts';
import type { AdaptiveSettings } from './adaptive-settings.ts';
import { AdaptiveStrategySource } from './adaptive-strategy-source.ts';
import { ProbabilityCalculator } from './probability-calculator.ts';
import { ThroughputObserver } from './throughput-observer.ts';

/** The lease row's name in the store. */
export const ADAPTIVE_LEASE = 'adaptive-sampling';
/**
 * The lease lasts this many calculation intervals and is renewed every interval: a
 * holder that stops renewing is replaced within about this many intervals.
 */
export const LEASE_INTERVALS = 3;

export interface AdaptiveSamplingOptions {
  store: SamplingStore;
  settings: AdaptiveSettings;
  logger?: Logger;
  /** For the `skein_adaptive_sampling_*` metrics; absent in tests that do not look. */
  registry?: Registry;
  /** This process in the lease row; default `hostname:pid:random`. */
  holder?: string;
  /** ms since the epoch; default Date.now (tests pass a controllable clock). */
  now?: () => number;
  /**
   * Whether `start` schedules `tick` every `calculationIntervalMs` (default true).
   * Tests pass false and call `tick` themselves.
   */
  timer?: boolean;
}

/** What one tick did. */
export type TickOutcome = 'calculated' | 'followed' | 'failed';

/**
 * Adaptive sampling for one process: observes root spans (`observe`), and every
 * calculation interval (`tick`):
 *
 * 1. hands its observed throughput to the store, for whichever process computes;
 * 2. takes or renews the lease (`ADAPTIVE_LEASE`, `LEASE_INTERVALS` intervals long);
 * 3. as the holder: takes every process's throughput, calculates (resuming from the
 *    stored probabilities when it has just become the holder) and writes the result,
 *    which the store accepts only while the lease is still its own;
 *    as a follower: reads the probabilities the holder wrote;
 * 4. publishes them through `source` (an `AdaptiveStrategySource`).
 *
 * `start` first serves the stored probabilities, so a restart resumes them instead of
 * the initial probability. A failed tick (storage) is logged and leaves the served
 * strategies as they were; the next tick tries again.
 */
export class AdaptiveSampling {
  readonly source = new AdaptiveStrategySource();
  readonly #observer = new ThroughputObserver();
  readonly #calculator: ProbabilityCalculator;
  readonly #store: SamplingStore;
  readonly #logger: Logger | undefined;
  readonly #holder: string;
  readonly #now: () => number;
  readonly #useTimer: boolean;
  #settings: AdaptiveSettings;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<TickOutcome> | undefined;
  #leader = false;
  /** When the last tick ended (ms); the next tick's interval runs from here. */
  #lastTick = 0;
  #stopped = false;
  #failing = false;
  readonly #metrics: AdaptiveSamplingMetrics | undefined;
  #overflowCounted = 0;

  constructor(options: AdaptiveSamplingOptions) {
    this.#store = options.store;
    this.#settings = options.settings;
    this.#calculator = new ProbabilityCalculator(options.settings);
    this.#logger = options.logger;
    this.#holder =
      options.holder ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.#now = options.now ?? Date.now;
    this.#useTimer = options.timer ?? true;
    this.#metrics = options.registry && adaptiveSamplingMetrics(options.registry);
  }

  /** The settings in force. */
  get settings(): AdaptiveSettings {
    return this.#settings;
  }

  /** This process's name in the lease row. */
  get holder(): string {
    return this.#holder;
  }

  /** Whether this process held the lease at its last tick. */
  get isLeader(): boolean {
    return this.#leader;
  }

  /** Roots not counted because the service or operation limit was reached. */
  get overflow(): number {
    return this.#observer.overflow;
  }

  /**
   * Counts the root spans of an accepted batch. Synchronous, allocation-free per span;
   * call it with every batch the pipeline accepts (before or after storage).
   */
  observe(spans: readonly Span[]): void {
    this.#observer.observe(spans);
  }

  /** Serves the stored probabilities, then (with the timer) ticks every interval. */
  async start(): Promise<void> {
    this.#lastTick = this.#now();
    try {
      this.#calculator.load(await this.#store.readSamplingProbabilities());
      this.#publish();
    } catch (err) {
      this.#logger?.warn(
        { err },
        'adaptive sampling: cannot read the stored probabilities; starting from the initial probability',
      );
    }
    this.#schedule();
  }

  /** Applies new targets, bounds and tolerance (hot reload); a new interval reschedules the timer. */
  update(settings: AdaptiveSettings): void {
    const rescheduled = settings.calculationIntervalMs !== this.#settings.calculationIntervalMs;
    this.#settings = settings;
    this.#calculator.update(settings);
    this.#publish();
    if (rescheduled && this.#timer !== undefined) this.#schedule();
  }

  #schedule(): void {
    if (!this.#useTimer || this.#stopped) return;
    clearInterval(this.#timer);
    this.#timer = setInterval(() => {
      if (this.#running === undefined) void this.tick();
    }, this.#settings.calculationIntervalMs);
    this.#timer.unref();
  }

  /** One calculation interval's work (see the class comment). Never rejects. */
  tick(): Promise<TickOutcome> {
    const run = (this.#running ?? Promise.resolve<TickOutcome>('followed'))
      .then(() => this.#tick())
      .then((outcome) => {
        this.#count(outcome);
        return outcome;
      })
      .finally(() => {
        if (this.#running === run) this.#running = undefined;
      });
    this.#running = run;
    return run;
  }

  async #tick(): Promise<TickOutcome> {
    const now = this.#now();
    const intervalMs = this.#settings.calculationIntervalMs;
    const elapsedMs = Math.max(now - this.#lastTick, 1);
    this.#lastTick = now;
    const observed = this.#observer.drain();
    if (this.#metrics !== undefined) {
      let roots = 0;
      for (const r of observed) roots += r.roots;
      this.#metrics.roots.inc(roots);
    }
    const wasLeader = this.#leader;
    try {
      await this.#store.addSamplingThroughput(this.#holder, now, observed);
      const lease = await this.#store.tryAcquireSamplingLease(
        ADAPTIVE_LEASE,
        this.#holder,
        now,
        intervalMs * LEASE_INTERVALS,
      );
      this.#leader = lease.holder === this.#holder && lease.expiresAt > now;
      if (!this.#leader) {
        if (wasLeader)
          this.#logger?.info({ holder: lease.holder }, 'adaptive sampling: lease lost');
        this.#calculator.load(await this.#store.readSamplingProbabilities());
        this.#publish();
        this.#recovered();
        return 'followed';
      }
      if (!wasLeader) {
        // Resume from what the previous holder (or this process before a restart) wrote.
        this.#calculator.load(await this.#store.readSamplingProbabilities());
        this.#logger?.info({ holder: this.#holder }, 'adaptive sampling: lease taken, computing');
      }
      // Holding on, every row not taken yet was written since the last take. A new
      // holder takes only the last interval's rows: older ones were written while
      // nobody computed, and counting them over one interval would inflate the traffic.
      const throughput = await this.#store.takeSamplingThroughput(
        wasLeader ? 0 : now - intervalMs + 1,
      );
      const seconds = (wasLeader ? elapsedMs : intervalMs) / 1000;
      this.#calculator.calculate(throughput, seconds, now);
      const written = await this.#store.writeSamplingProbabilities(
        ADAPTIVE_LEASE,
        this.#holder,
        now,
        this.#calculator.rows(),
      );
      if (!written) {
        this.#leader = false;
        this.#logger?.info('adaptive sampling: lease lost before the probabilities were written');
        this.#calculator.load(await this.#store.readSamplingProbabilities());
      }
      this.#publish();
      this.#recovered();
      return written ? 'calculated' : 'followed';
    } catch (err) {
      this.#leader = false;
      if (!this.#failing) {
        this.#failing = true;
        this.#logger?.warn(
          { err },
          'adaptive sampling: a calculation interval failed; the served strategies stay as they were until one succeeds',
        );
      }
      return 'failed';
    }
  }

  #count(outcome: TickOutcome): void {
    const m = this.#metrics;
    if (m === undefined) return;
    m.intervals.inc({ result: outcome });
    m.leader.set(this.#leader ? 1 : 0);
    m.operations.set(this.source.operationCount);
    const overflow = this.#observer.overflow;
    m.overflow.inc(overflow - this.#overflowCounted);
    this.#overflowCounted = overflow;
  }

  #recovered(): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#logger?.info('adaptive sampling: calculation intervals succeed again');
  }

  #publish(): void {
    this.source.publish(this.#calculator.rows(), this.#settings);
  }

  /** Stops ticking and, as the holder, releases the lease so a successor need not wait for it to expire. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
    if (!this.#leader) return;
    this.#leader = false;
    this.#metrics?.leader.set(0);
    try {
      await this.#store.releaseSamplingLease(ADAPTIVE_LEASE, this.#holder);
    } catch (err) {
      this.#logger?.warn(
        { err },
        'adaptive sampling: cannot release the lease; it expires on its own',
      );
    }
  }
}

interface AdaptiveSamplingMetrics {
  intervals: Counter<'result'>;
  leader: Gauge;
  operations: Gauge;
  roots: Counter;
  overflow: Counter;
}

function adaptiveSamplingMetrics(registry: Registry): AdaptiveSamplingMetrics {
  return {
    intervals: new Counter({
      name: 'skein_adaptive_sampling_intervals_total',
      help: "Adaptive sampling calculation intervals, by result: calculated (this process holds the lease), followed (read the holder's probabilities), failed (storage; the served strategies stay).",
      labelNames: ['result'],
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'skein_adaptive_sampling_leader',
      help: '1 while this process holds the adaptive sampling lease and computes the probabilities.',
      registers: [registry],
    }),
    operations: new Gauge({
      name: 'skein_adaptive_sampling_operations',
      help: 'Service root operations with an adaptive probability served.',
      registers: [registry],
    }),
    roots: new Counter({
      name: 'skein_adaptive_sampling_roots_total',
      help: 'Root spans adaptive sampling counted.',
      registers: [registry],
    }),
    overflow: new Counter({
      name: 'skein_adaptive_sampling_roots_overflow_total',
      help: 'Root spans not counted because 1000 services or 500 root operations per service were already tallied in the interval.',
      registers: [registry],
    }),
  };
}
