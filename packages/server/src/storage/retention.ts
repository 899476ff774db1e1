import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Storage } from './storage.ts';

export interface RetentionOptions {
  storage: Pick<Storage, 'purgeBefore'>;
  /** Spans that started more than this many hours ago are deleted. */
  retentionHours: number;
  /**
   * Tenants with their own retention, hours (`tenants.overrides.<name>.retentionHours`):
   * each is purged alone at its own cutoff, everyone else at `retentionHours`.
   */
  tenantRetentionHours?: ReadonlyMap<string, number>;
  /** Time between the end of one purge and the start of the next. */
  purgeIntervalMinutes: number;
  logger?: Logger;
  /** Clock in ms since the epoch (tests move it). */
  now?: () => number;
}

/** What one purge did; emitted as `purged` after every successful run. */
export interface PurgeReport {
  /** The cutoff of every tenant without its own retention (µs). */
  cutoff: number;
  /** Spans deleted, all tenants. */
  deleted: number;
  durationMs: number;
  /** Per tenant with its own retention: its cutoff (µs) and spans deleted. */
  tenants: { tenant: string; cutoff: number; deleted: number }[];
}

/**
 * Deletes spans older than the retention period: once at start, then every
 * `purgeIntervalMinutes`. Tenants with their own retention are purged one by one
 * (`purgeBefore(cutoff, {tenant})`), then everyone else in one go
 * (`purgeBefore(cutoff, {exceptTenants})`); without any, one unscoped purge. Runs never overlap (the next one is scheduled when the
 * previous ends) and the timer is unref'd, so it never keeps the process alive.
 * A failed run is logged and retried at the next interval.
 *
 * Events: `purged` (PurgeReport) after each successful run, `error` is NOT used
 * (failures are logged, so an unhandled 'error' event cannot crash the process).
 */
export class Retention extends EventEmitter {
  private readonly storage: Pick<Storage, 'purgeBefore'>;
  private readonly retentionMicros: number;
  private tenantRetentionMicros: [string, number][];
  private readonly intervalMs: number;
  private readonly logger: Logger | undefined;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(options: RetentionOptions) {
    super();
    this.storage = options.storage;
    this.retentionMicros = options.retentionHours * 3_600_000_000;
    this.tenantRetentionMicros = [];
    this.setTenantRetentionHours(options.tenantRetentionHours ?? new Map());
    // setTimeout holds at most 2^31-1 ms (~24.8 days).
    this.intervalMs = Math.min(2_147_483_647, Math.max(1, options.purgeIntervalMinutes * 60_000));
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
  }

  /** New per-tenant retention (hot reload of `tenants.overrides`), from the next purge on. */
  setTenantRetentionHours(hours: ReadonlyMap<string, number>): void {
    this.tenantRetentionMicros = [...hours].map(([tenant, h]) => [tenant, h * 3_600_000_000]);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.run();
  }

  /** Stops the schedule and waits for a purge in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Purges once now; resolves with the number of spans deleted. */
  async purgeOnce(): Promise<number> {
    const started = performance.now();
    const nowMicros = this.now() * 1000;
    const cutoff = nowMicros - this.retentionMicros;
    const tenants: PurgeReport['tenants'] = [];
    let deleted = 0;
    if (this.tenantRetentionMicros.length === 0) {
      deleted = await this.storage.purgeBefore(cutoff);
    } else {
      for (const [tenant, micros] of this.tenantRetentionMicros) {
        const own = nowMicros - micros;
        const n = await this.storage.purgeBefore(own, { tenant });
        tenants.push({ tenant, cutoff: own, deleted: n });
        deleted += n;
      }
      const exceptTenants = this.tenantRetentionMicros.map(([tenant]) => tenant);
      deleted += await this.storage.purgeBefore(cutoff, { exceptTenants });
    }
    const report: PurgeReport = {
      cutoff,
      deleted,
      durationMs: performance.now() - started,
      tenants,
    };
    if (deleted > 0) {
      this.logger?.info(
        {
          deleted,
          cutoff: new Date(cutoff / 1000).toISOString(),
          ...(tenants.length > 0 && {
            tenants: tenants.map((t) => ({
              tenant: t.tenant,
              deleted: t.deleted,
              cutoff: new Date(t.cutoff / 1000).toISOString(),
            })),
          }),
          durationMs: Math.round(report.durationMs),
        },
        'retention purged old spans',
      );
    } else {
      this.logger?.debug(
        { cutoff: new Date(cutoff / 1000).toISOString() },
        'retention: nothing to purge',
      );
    }
    this.emit('purged', report);
    return deleted;
  }

  private run(): void {
    this.timer = undefined;
    this.running = this.purgeOnce()
      .then(
        () => undefined,
        (err: unknown) => {
          this.logger?.error({ err }, 'retention purge failed; retrying at the next interval');
        },
      )
      .finally(() => {
        this.running = undefined;
        if (!this.stopped) {
          this.timer = setTimeout(() => this.run(), this.intervalMs);
          this.timer.unref();
        }
      });
  }
}
