import type { Logger } from 'pino';
import { latencyBucket } from '../../../model/latency-histogram.ts';
import { DEFAULT_TENANT } from '../../../model/span.ts';
import type { Resource, Span, SpanKind, StatusCode } from '../../../model/span.ts';
import type { SpanMetricsRow, SpanMetricsWriter } from '../../../storage/span-metrics-writer.ts';
import type { ProcessorCounters, SpanProcessor } from '../../processor.ts';
import { MinuteDelta, SpanMetricsSeries } from './span-metrics-series.ts';
import { sameBuckets } from './span-metrics-settings.ts';
import type { SpanMetricsSettings } from './span-metrics-settings.ts';
import { NAME_SLOTS, nameSlot as sharedNameSlot } from '../../name-slot.ts';

// A module-local binding: under tsx an imported function is reached through a getter
// and not inlined on the hot path.
const nameSlot = sharedNameSlot;

// A module-local copy of an imported binding used per span: under tsx (the server, tests,
// benches) each access to an imported binding is a getter call, which kept it from
// being inlined.
const bucketOf = latencyBucket;

const MINUTE_US = 60_000_000;
/** Spans that started more than this before their arrival count in their arrival minute. */
const PAST_WINDOW_US = 3_600_000_000;
/** Spans that start more than this after their arrival (clock skew) count in their arrival minute. */
const FUTURE_WINDOW_US = MINUTE_US;
/** The service or operation name that overflowing ones count under. */
export const OTHER = 'other';
/** Minute rows kept for retry while the store fails; beyond, the oldest are dropped (and counted). */
export const MAX_PENDING_ROWS = 100_000;
/** Pooled minute deltas kept for reuse between flushes. */
const DELTA_POOL_SIZE = 1024;
/** Kinds and statuses per operation: 6 OTLP span kinds × 3 status codes. */
const SLOTS = 18;
/** Recently used operations a service keeps by {@link nameSlot} (a power of two). */

/** A tenant's service: its operations (span names) and how many of them are tracked. */
class ServiceEntry {
  readonly tenant: string;
  readonly name: string;
  readonly operations = new Map<string, OperationEntry>();
  /**
   * Operations by {@link nameSlot} of their name, each checked against the span's name
   * before use. Span names arrive as fresh strings: a map lookup must hash every one
   * of them, while this reads six characters and compares one string.
   */
  readonly recent = new Array<OperationEntry | undefined>(NAME_SLOTS).fill(undefined);
  tracked = 0;
  constructor(tenant: string, name: string) {
    this.tenant = tenant;
    this.name = name;
  }
}

/** An operation's series, by `kind * 3 + statusCode`. */
class OperationEntry {
  readonly name: string;
  readonly series = new Array<SpanMetricsSeries | undefined>(SLOTS).fill(undefined);
  constructor(name: string) {
    this.name = name;
  }
}

export interface SpanMetricsProcessorOptions {
  logger: Logger;
  /** Where the minute aggregates go; without one they are not kept. */
  writer?: SpanMetricsWriter;
  /** The wall clock, ms (tests pass a fixed one). */
  now?: () => number;
  /** Called once by `stop()` (the factory stops rendering this processor). */
  onStop?: () => void;
  /** Minute rows kept while the store fails (default {@link MAX_PENDING_ROWS}). */
  maxPendingRows?: number;
}

/**
 * Span metrics (RED): counts every span it sees per (tenant, service, span name, span
 * kind, status code) and passes every span on unchanged. Two tenants' series never
 * merge, even with the same service and span names: each minute row carries its
 * tenant, and on `/metrics` a series of a tenant other than the default one carries a
 * `tenant` label.
 *
 * - For `/metrics`: cumulative calls and a latency histogram over the configured
 *   bucket bounds, with the latest span per bucket as exemplar (rendered by
 *   `span-metrics-exposition.ts`).
 * - For the store: per series and minute (of the span's start), the calls, the sum of
 *   durations and a log-scale latency histogram counted since the last flush, written
 *   every `flushIntervalSeconds` and by `stop()`. A failed write keeps its rows for
 *   the next flush (at most {@link MAX_PENDING_ROWS}, then the oldest are dropped and
 *   counted).
 * - Cardinality: beyond `maxServices` services (all tenants together: the bound is on
 *   memory), spans count under their tenant's service {@link OTHER}; spans of tenants
 *   beyond `maxServices` non-default tenants are not counted at all (only as service
 *   overflow: a tenant's rows never go under another tenant); beyond `maxOperationsPerService` span names in a service, under
 *   span name {@link OTHER}. Both are counted per dimension.
 */
export class SpanMetricsProcessor implements SpanProcessor<SpanMetricsSettings> {
  readonly level = 'span' as const;
  readonly name = 'spanMetrics' as const;
  readonly #logger: Logger;
  readonly #writer: SpanMetricsWriter | undefined;
  readonly #now: () => number;
  readonly #onStop: (() => void) | undefined;
  readonly #maxPendingRows: number;

  #settings: SpanMetricsSettings;
  /** The bucket bounds in µs, for the per-span scan. */
  #boundsUs: Float64Array;
  /** {@link DEFAULT_TENANT}'s services by name. */
  readonly #services = new Map<string, ServiceEntry>();
  /** Every other tenant's services by name, by tenant. */
  readonly #tenantServices = new Map<string, Map<string, ServiceEntry>>();
  #trackedServices = 0;
  /** Every series, in creation order (what the exposition and the flush walk). */
  readonly #series: SpanMetricsSeries[] = [];
  /** Series with minute deltas since the last flush (what the flush walks). */
  #dirty: SpanMetricsSeries[] = [];

  #serviceOverflow = 0;
  #operationOverflow = 0;

  readonly #deltaPool: MinuteDelta[] = [];
  #backlog: SpanMetricsRow[] = [];
  #writing: Promise<void> | undefined;
  #writeErrors = 0;
  #rowsDropped = 0;
  #failing = false;
  #dropLogged = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped: Promise<void> | undefined;

  constructor(settings: SpanMetricsSettings, options: SpanMetricsProcessorOptions) {
    this.#settings = settings;
    this.#boundsUs = boundsInMicroseconds(settings);
    this.#logger = options.logger;
    this.#writer = options.writer;
    this.#now = options.now ?? Date.now;
    this.#onStop = options.onStop;
    this.#maxPendingRows = options.maxPendingRows ?? MAX_PENDING_ROWS;
    this.#startTimer();
  }

  get settings(): SpanMetricsSettings {
    return this.#settings;
  }

  /** Every series so far, in creation order. Read-only for callers. */
  get series(): readonly SpanMetricsSeries[] {
    return this.#series;
  }

  /** Spans counted under service `other` because `maxServices` was reached. */
  get serviceOverflow(): number {
    return this.#serviceOverflow;
  }

  /** Spans counted under span name `other` because `maxOperationsPerService` was reached. */
  get operationOverflow(): number {
    return this.#operationOverflow;
  }

  /** Failed writes of minute rows to the store. */
  get writeErrors(): number {
    return this.#writeErrors;
  }

  /** Minute rows dropped because the store kept failing and the backlog was full. */
  get rowsDropped(): number {
    return this.#rowsDropped;
  }

  /** Minute rows collected and not yet written. */
  get rowsPending(): number {
    return this.#backlog.length;
  }

  process(spans: Span[], counters: ProcessorCounters): Span[] {
    void counters; // span metrics changes and drops nothing
    const nowMs = this.#now();
    const nowUs = nowMs * 1000;
    const earliest = nowUs - PAST_WINDOW_US;
    const latest = nowUs + FUTURE_WINDOW_US;
    const arrivalMinute = nowUs - (nowUs % MINUTE_US);
    const bounds = this.#boundsUs;
    const nBounds = bounds.length;
    const exemplars = this.#settings.exemplars;
    const minutes = this.#writer !== undefined;

    let resource: Resource | undefined;
    let service: ServiceEntry | undefined;
    let serviceOverflowing = 0;
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i];
      if (span.resource !== resource || service === undefined) {
        resource = span.resource;
        const tenant = resource.tenant;
        const services = tenant === DEFAULT_TENANT ? this.#services : this.#servicesOf(tenant);
        if (services === undefined) {
          // More tenants than services may be tracked: this one's spans are not counted.
          this.#serviceOverflow++;
          service = undefined;
          continue;
        }
        service = services.get(resource.serviceName);
        serviceOverflowing = 0;
        if (service === undefined) {
          if (this.#trackedServices < this.#settings.maxServices) {
            service = new ServiceEntry(tenant, resource.serviceName);
            services.set(service.name, service);
            this.#trackedServices++;
          } else {
            service = this.#otherService(services, tenant);
            serviceOverflowing = 1;
          }
        }
      }
      this.#serviceOverflow += serviceOverflowing;

      const name = span.name;
      const recent = nameSlot(name);
      let operation = service.recent[recent];
      if (operation === undefined || operation.name !== name) {
        operation = service.operations.get(name);
        if (operation === undefined) operation = this.#newOperation(service, name);
        service.recent[recent] = operation;
      }
      // Codes outside OTLP's ranges count as unspecified kind / unset status.
      const kind = span.kind >= 0 && span.kind <= 5 ? span.kind : 0;
      const status = span.statusCode >= 0 && span.statusCode <= 2 ? span.statusCode : 0;
      const slot = kind * 3 + status;
      let series = operation.series[slot];
      if (series === undefined) series = this.#newSeries(service, operation, slot);

      let duration = span.duration;
      if (!(duration >= 0)) duration = 0; // a NaN or negative duration must not poison the sums
      let b = 0;
      while (b < nBounds && duration > bounds[b]) b++;
      series.calls++;
      series.histogramCount++;
      series.bucketCounts[b]++;
      series.durationSumUs += duration;
      if (exemplars) {
        if (series.exemplarTraceIds === undefined) series.allocateExemplars();
        (series.exemplarTraceIds as string[])[b] = span.traceId;
        (series.exemplarSpanIds as string[])[b] = span.spanId;
        (series.exemplarDurationsUs as Float64Array)[b] = duration;
        (series.exemplarTimes as Float64Array)[b] = nowMs;
        series.lastExemplarBucket = b;
      }

      if (minutes) {
        const start = span.startTime;
        let delta = series.current;
        if (delta === undefined || !(start >= delta.minute && start < delta.minute + MINUTE_US)) {
          const minute =
            start >= earliest && start < latest ? start - (start % MINUTE_US) : arrivalMinute;
          delta = this.#deltaFor(series, minute);
        }
        delta.calls++;
        delta.durationSum += duration;
        const lb = bucketOf(duration);
        delta.latency[lb]++;
        if (lb < delta.lowBucket) delta.lowBucket = lb;
        if (lb > delta.highBucket) delta.highBucket = lb;
      }
    }
    return spans;
  }

  update(settings: SpanMetricsSettings): void {
    const previous = this.#settings;
    this.#settings = settings;
    if (!sameBuckets(previous, settings)) {
      // Counts per old bucket cannot be split into new buckets: the histograms start
      // over (Prometheus treats it as a counter reset). Calls and minute aggregates stay.
      this.#boundsUs = boundsInMicroseconds(settings);
      for (const series of this.#series) series.restartHistogram(settings.bucketsMs.length);
    }
    if (settings.flushIntervalMs !== previous.flushIntervalMs) this.#startTimer();
  }

  /**
   * Writes the minute aggregates counted so far (and any rows kept from failed
   * writes). Resolves when the write finished, whether it succeeded or not (a failure
   * is counted and logged, and its rows kept for the next flush). Never rejects.
   */
  async flush(): Promise<void> {
    if (this.#writer === undefined) return;
    this.#collect();
    while (this.#writing !== undefined) await this.#writing;
    if (this.#backlog.length === 0) return;
    const writing = this.#write(this.#writer);
    this.#writing = writing;
    try {
      await writing;
    } finally {
      this.#writing = undefined;
    }
  }

  /** Stops the flush timer and writes what is left. Idempotent. */
  stop(): Promise<void> {
    if (this.#stopped === undefined) {
      if (this.#timer !== undefined) clearInterval(this.#timer);
      this.#timer = undefined;
      this.#onStop?.();
      this.#stopped = this.flush().then(() => {
        if (this.#backlog.length > 0) {
          this.#logger.error(
            { rows: this.#backlog.length },
            'span metrics: the store did not take the last minute aggregates at stop; they are lost (Prometheus counters were not affected)',
          );
        }
      });
    }
    return this.#stopped;
  }

  #startTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#writer === undefined) return;
    this.#timer = setInterval(() => void this.flush(), this.#settings.flushIntervalMs);
    this.#timer.unref();
  }

  /**
   * The services of `tenant` (not the default one), made on its first span; undefined
   * once `maxServices` other tenants are tracked (each costs at least one series).
   */
  #servicesOf(tenant: string): Map<string, ServiceEntry> | undefined {
    let services = this.#tenantServices.get(tenant);
    if (services === undefined) {
      if (this.#tenantServices.size >= this.#settings.maxServices) return undefined;
      services = new Map();
      this.#tenantServices.set(tenant, services);
    }
    return services;
  }

  #otherService(services: Map<string, ServiceEntry>, tenant: string): ServiceEntry {
    let other = services.get(OTHER);
    if (other === undefined) {
      other = new ServiceEntry(tenant, OTHER);
      services.set(OTHER, other);
    }
    return other;
  }

  #newOperation(service: ServiceEntry, name: string): OperationEntry {
    if (service.tracked < this.#settings.maxOperationsPerService) {
      const operation = new OperationEntry(name);
      service.operations.set(name, operation);
      service.tracked++;
      return operation;
    }
    this.#operationOverflow++;
    let other = service.operations.get(OTHER);
    if (other === undefined) {
      other = new OperationEntry(OTHER);
      service.operations.set(OTHER, other);
    }
    return other;
  }

  #newSeries(service: ServiceEntry, operation: OperationEntry, slot: number): SpanMetricsSeries {
    const series = new SpanMetricsSeries(
      service.tenant,
      service.name,
      operation.name,
      Math.floor(slot / 3) as SpanKind,
      (slot % 3) as StatusCode,
      this.#boundsUs.length,
    );
    operation.series[slot] = series;
    this.#series.push(series);
    return series;
  }

  #deltaFor(series: SpanMetricsSeries, minute: number): MinuteDelta {
    const pending = series.pending;
    for (let i = 0; i < pending.length; i++) {
      if (pending[i].minute === minute) {
        series.current = pending[i];
        return pending[i];
      }
    }
    const delta = this.#deltaPool.pop() ?? new MinuteDelta();
    delta.minute = minute;
    if (pending.length === 0) this.#dirty.push(series);
    pending.push(delta);
    series.current = delta;
    return delta;
  }

  /** Moves every series' minute deltas into the backlog as rows. */
  #collect(): void {
    const backlog = this.#backlog;
    const dirty = this.#dirty;
    this.#dirty = [];
    for (const series of dirty) {
      const pending = series.pending;
      for (const delta of pending) {
        const buckets: number[] = [];
        const counts: number[] = [];
        for (let b = delta.lowBucket; b <= delta.highBucket; b++) {
          const c = delta.latency[b];
          if (c !== 0) {
            buckets.push(b);
            counts.push(c);
          }
        }
        backlog.push({
          tenant: series.tenant,
          minute: delta.minute,
          service: series.service,
          operation: series.operation,
          kind: series.kind,
          statusCode: series.statusCode,
          calls: delta.calls,
          durationSum: delta.durationSum,
          latency: { buckets, counts },
        });
        delta.reset();
        if (this.#deltaPool.length < DELTA_POOL_SIZE) this.#deltaPool.push(delta);
      }
      pending.length = 0;
      series.current = undefined;
    }
    this.#trimBacklog();
  }

  async #write(writer: SpanMetricsWriter): Promise<void> {
    const rows = this.#backlog;
    this.#backlog = [];
    try {
      await writer.writeSpanMetrics(rows);
      if (this.#failing) {
        this.#logger.info({ rows: rows.length }, 'span metrics: writing minute aggregates again');
      }
      this.#failing = false;
      this.#dropLogged = false;
    } catch (err) {
      this.#writeErrors++;
      // Keep the rows (oldest first) for the next flush.
      this.#backlog = rows.concat(this.#backlog);
      this.#trimBacklog();
      if (!this.#failing) {
        this.#failing = true;
        this.#logger.error(
          { err, rows: rows.length },
          'span metrics: writing minute aggregates failed; keeping them for the next flush (further failures are counted in skein_span_metrics_write_errors_total until one succeeds)',
        );
      }
    }
  }

  #trimBacklog(): void {
    const excess = this.#backlog.length - this.#maxPendingRows;
    if (excess <= 0) return;
    this.#backlog.splice(0, excess);
    this.#rowsDropped += excess;
    if (!this.#dropLogged) {
      this.#dropLogged = true;
      this.#logger.error(
        { dropped: excess, kept: this.#maxPendingRows },
        'span metrics: too many minute aggregates waiting for the store; dropped the oldest (counted in skein_span_metrics_rows_dropped_total)',
      );
    }
  }
}

function boundsInMicroseconds(settings: SpanMetricsSettings): Float64Array {
  return Float64Array.from(settings.bucketsMs, (ms) => ms * 1000);
}
