import { BufferUnavailableError } from '../../errors.ts';
import { DEFAULT_TENANT, type Span } from '../../model/span.ts';
import type { IngestMetrics } from '../../pipeline/ingest-metrics.ts';
import type { SpanConsumer } from '../../pipeline/span-consumer.ts';
import { stampTenant } from '../../pipeline/tenant-limits/stamp-tenant.ts';
import type { TenantRateLimiter } from '../../pipeline/tenant-limits/tenant-rate-limiter.ts';
import { encodeSpanBatch } from '../../codecs/span-batch/index.ts';
import type { BufferMetrics } from './buffer-metrics.ts';
import type { NatsBuffer } from './nats-buffer.ts';
import { partitionOf } from './partition-of.ts';

/**
 * The collector side of the buffer: a SpanConsumer that publishes each accepted
 * batch to JetStream, split by trace-id partition (one message per partition,
 * encoded with the span-batch codec), and settles once JetStream acknowledged
 * every part, which is when the receiver answers its client.
 *
 * Contract (SpanConsumer's, with the buffer as the durable store):
 * - Refuses the whole batch by throwing BufferUnavailableError (503 + Retry-After)
 *   while NATS is unreachable or the stream missing; nothing is published then.
 * - The promise rejects with BufferUnavailableError when a part was not
 *   acknowledged (timeout, stream full, connection lost). Parts already stored stay
 *   stored: the client's retry publishes them again, and the ingesters' dedupe and
 *   idempotent writes make that harmless.
 * - Stamps the request's tenant on the spans' resources (the span-batch codec carries
 *   it to the ingesters) and refuses a batch over its tenant's rate with
 *   `TenantRateLimitedError` before publishing anything: collectors enforce the
 *   per-tenant limits (each collector its own buckets), ingesters do not.
 */
export class NatsSpanPublisher implements SpanConsumer {
  readonly #buffer: NatsBuffer;
  readonly #metrics: BufferMetrics;
  readonly #ingest: IngestMetrics;
  readonly #partitions: number;
  readonly #retryAfterSeconds: number;
  readonly #timeout: number;
  /** Reused per call: the spans of each partition (cleared after each batch). */
  readonly #groups: Span[][];
  readonly #tenantLimits: TenantRateLimiter | undefined;
  #stopping = false;

  constructor(
    buffer: NatsBuffer,
    metrics: BufferMetrics,
    ingest: IngestMetrics,
    tenantLimits?: TenantRateLimiter,
  ) {
    this.#tenantLimits = tenantLimits;
    this.#buffer = buffer;
    this.#metrics = metrics;
    this.#ingest = ingest;
    this.#partitions = buffer.config.partitions;
    this.#retryAfterSeconds = buffer.config.retryAfterSeconds;
    this.#timeout = buffer.config.publishTimeoutMs;
    this.#groups = Array.from({ length: this.#partitions }, () => []);
  }

  consume(
    spans: Span[],
    bytes: number,
    protocol: string,
    tenant: string | undefined,
  ): Promise<void> {
    const ingest = this.#ingest;
    const count = spans.length;
    ingest.spansReceived.inc({ protocol }, count);
    if (tenant !== undefined) stampTenant(spans, tenant);
    const label = tenant ?? spans[0]?.resource.tenant ?? DEFAULT_TENANT;
    if (!this.#buffer.ready || this.#stopping) {
      ingest.spansRefused.inc({ protocol, reason: 'buffer_unavailable' }, count);
      ingest.tenantRefused(label, 'buffer_unavailable', count);
      this.#metrics.publishFailures.inc({ reason: 'not_ready' });
      throw new BufferUnavailableError(
        [this.#stopping ? 'this collector is stopping' : this.#buffer.problem],
        {
          retryAfterSeconds: this.#retryAfterSeconds,
        },
      );
    }
    if (count === 0) return Promise.resolve();
    const limits = tenant === undefined ? undefined : this.#tenantLimits;
    if (limits !== undefined) {
      try {
        limits.admit(label, count);
      } catch (err) {
        ingest.spansRefused.inc({ protocol, reason: 'rate_limited' }, count);
        ingest.tenantRefused(label, 'rate_limited', count);
        throw err;
      }
    }
    const groups = this.#groups;
    const partitions = this.#partitions;
    for (let i = 0; i < count; i++) {
      groups[partitionOf(spans[i].traceId, partitions)].push(spans[i]);
    }
    const js = this.#buffer.js;
    const acks: Promise<unknown>[] = [];
    try {
      for (let p = 0; p < partitions; p++) {
        const group = groups[p];
        if (group.length === 0) continue;
        const payload = encodeSpanBatch(group);
        this.#metrics.batchSpans.observe({ side: 'publish' }, group.length);
        this.#metrics.publishedBatches.inc({ partition: String(p) });
        acks.push(js.publish(this.#buffer.subject(p), payload, { timeout: this.#timeout }));
      }
    } finally {
      for (let p = 0; p < partitions; p++) groups[p].length = 0;
    }
    const endTimer = this.#metrics.publishDuration.startTimer();
    return Promise.all(acks).then(
      () => {
        endTimer();
        ingest.spansAccepted.inc({ protocol }, count);
        ingest.tenantAccepted(label, count, bytes);
        this.#metrics.publishedSpans.inc(count);
      },
      (err: unknown) => {
        endTimer();
        ingest.spansRefused.inc({ protocol, reason: 'buffer_unavailable' }, count);
        ingest.tenantRefused(label, 'buffer_unavailable', count);
        limits?.refund(label, count);
        this.#metrics.publishFailures.inc({ reason: 'not_acknowledged' });
        throw new BufferUnavailableError([(err as Error).message], {
          retryAfterSeconds: this.#retryAfterSeconds,
          cause: err,
        });
      },
    );
  }

  /** From now on every batch is refused with 503 (the collector is stopping). */
  stop(): void {
    this.#stopping = true;
  }
}
