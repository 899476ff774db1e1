import { escapeLabelValue } from '../../../admin/metrics-format.ts';
import { MAX_BUCKET } from '../../../model/latency-histogram.ts';
import { DEFAULT_TENANT, type SpanKind, type StatusCode } from '../../../model/span.ts';

/** `span_kind` label values, by OTLP kind number (as the spanmetrics connector writes them). */
export const SPAN_KIND_LABELS = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
] as const;

/** `status_code` label values, by OTLP status number. */
export const STATUS_CODE_LABELS = [
  'STATUS_CODE_UNSET',
  'STATUS_CODE_OK',
  'STATUS_CODE_ERROR',
] as const;

/**
 * The counts of one series over (part of) one minute, not yet written to the store.
 * `latency` is dense over the `model/latency-histogram.ts` buckets and only
 * `[lowBucket, highBucket]` may be non-zero. Objects are pooled and reused.
 */
export class MinuteDelta {
  minute = 0;
  calls = 0;
  durationSum = 0;
  readonly latency = new Uint32Array(MAX_BUCKET + 1);
  lowBucket = MAX_BUCKET;
  highBucket = 0;

  /** Clears the counts for reuse. */
  reset(): void {
    if (this.lowBucket <= this.highBucket)
      this.latency.fill(0, this.lowBucket, this.highBucket + 1);
    this.calls = 0;
    this.durationSum = 0;
    this.lowBucket = MAX_BUCKET;
    this.highBucket = 0;
  }
}

/**
 * One series: a (tenant, service, operation, span kind, status code) combination, with its
 * cumulative Prometheus counters (calls, a histogram over the configured bucket
 * bounds, the latest exemplar per bucket) and its minute deltas not yet written.
 * Owned by the processor; the exposition reads it between batches.
 */
export class SpanMetricsSeries {
  /** The tenant of the spans counted (`Resource.tenant`). */
  readonly tenant: string;
  readonly service: string;
  readonly operation: string;
  readonly kind: SpanKind;
  readonly statusCode: StatusCode;
  /**
   * `service_name="…",span_name="…",span_kind="…",status_code="…"`, escaped once, and
   * `,tenant="…"` for a tenant other than the default one (Prometheus reads an absent
   * label as an empty one, so the default tenant's series keep the spanmetrics
   * connector's label set).
   */
  readonly labels: string;
  /** `labels` as UTF-8, for the exposition. */
  readonly labelBytes: Buffer;

  /** Spans counted, since the processor started. */
  calls = 0;
  /** Spans per Prometheus bucket (not cumulative); the last one is `+Inf`. Restarts with the buckets. */
  bucketCounts: Float64Array;
  /** Spans in the histogram (equals `calls` unless the buckets changed since). */
  histogramCount = 0;
  /** Sum of the histogram's durations, µs. */
  durationSumUs = 0;

  /** Latest exemplar per bucket (allocated when exemplars are on). */
  exemplarTraceIds: string[] | undefined;
  exemplarSpanIds: string[] | undefined;
  /** Its span's duration, µs. */
  exemplarDurationsUs: Float64Array | undefined;
  /** When it was recorded, ms since epoch. */
  exemplarTimes: Float64Array | undefined;
  /** The bucket of the latest exemplar recorded (the calls counter's exemplar), -1 if none. */
  lastExemplarBucket = -1;

  /** The minute delta the latest span went to (the likeliest for the next one). */
  current: MinuteDelta | undefined;
  /** Every minute delta since the last flush (usually one or two). */
  readonly pending: MinuteDelta[] = [];

  constructor(
    tenant: string,
    service: string,
    operation: string,
    kind: SpanKind,
    statusCode: StatusCode,
    bucketBounds: number,
  ) {
    this.tenant = tenant;
    this.service = service;
    this.operation = operation;
    this.kind = kind;
    this.statusCode = statusCode;
    this.labels =
      `service_name="${escapeLabelValue(service)}",span_name="${escapeLabelValue(operation)}",` +
      `span_kind="${SPAN_KIND_LABELS[kind]}",status_code="${STATUS_CODE_LABELS[statusCode]}"` +
      (tenant === DEFAULT_TENANT ? '' : `,tenant="${escapeLabelValue(tenant)}"`);
    this.labelBytes = Buffer.from(this.labels, 'utf8');
    this.bucketCounts = new Float64Array(bucketBounds + 1);
  }

  /** Starts the Prometheus histogram over for `bucketBounds` bounds (the calls counter stays). */
  restartHistogram(bucketBounds: number): void {
    this.bucketCounts = new Float64Array(bucketBounds + 1);
    this.histogramCount = 0;
    this.durationSumUs = 0;
    this.exemplarTraceIds = undefined;
    this.exemplarSpanIds = undefined;
    this.exemplarDurationsUs = undefined;
    this.exemplarTimes = undefined;
    this.lastExemplarBucket = -1;
  }

  /** Allocates the exemplar slots (once, when exemplars are first recorded). */
  allocateExemplars(): void {
    const n = this.bucketCounts.length;
    this.exemplarTraceIds = new Array<string>(n).fill('');
    this.exemplarSpanIds = new Array<string>(n).fill('');
    this.exemplarDurationsUs = new Float64Array(n);
    this.exemplarTimes = new Float64Array(n);
  }
}
