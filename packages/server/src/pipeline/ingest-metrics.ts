import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { TenantLabels } from './tenant-limits/tenant-labels.ts';

/** Why spans were refused at the front door (`skein_spans_refused_total{reason}`). */
export type RefusalReason = 'queue_full' | 'shutting_down' | 'invalid' | 'invalid_time';

/** `tenants.maxTrackedTenants`' default: distinct `tenant` label values before `(other)`. */
const DEFAULT_MAX_TENANT_LABELS = 10_000;

/**
 * The ingest path's Prometheus metrics, registered in the registry passed in (never
 * the global default one, so tests and roles stay isolated). One instance per
 * registry: registering the same names twice throws.
 *
 * Counting rule: every span a receiver decodes, or a decoder reports as rejected,
 * is `received`; each received span ends up `accepted` or `refused`. Accepted spans
 * end up `written` or `dropped`. Requests refused before any span could be counted
 * (unreadable body, wrong content type, too large) are counted per request in
 * `skein_receiver_requests_refused_total`.
 *
 * Per tenant (label `tenant`, the default tenant as `tenant=""`, at most
 * `maxTenantLabels` values, later tenants as `tenant="(other)"`): spans and bytes a
 * consumer took (`skein_tenant_spans_accepted_total`, `skein_tenant_bytes_accepted_total`)
 * and spans it refused (`skein_tenant_spans_refused_total{reason}`: rate_limited,
 * queue_full, shutting_down, intake_unavailable, buffer_unavailable).
 */
export class IngestMetrics {
  readonly spansReceived: Counter<'protocol'>;
  readonly spansAccepted: Counter<'protocol'>;
  readonly spansRefused: Counter<'protocol' | 'reason'>;
  readonly spansDropped: Counter<'reason'>;
  readonly spansWritten: Counter;
  readonly spansReplayed: Counter;
  readonly storageWriteErrors: Counter;
  readonly requestsRefused: Counter<'protocol' | 'reason'>;
  /** Accepted spans cut to `limits.span` (receivers/span-limits.ts), per reason. */
  readonly spansTruncated: Counter<'protocol' | 'reason'>;
  readonly queueSpans: Gauge;
  readonly queueBytes: Gauge;
  readonly writeBatchDuration: Histogram;
  readonly tenantSpansAccepted: Counter<'tenant'>;
  readonly tenantBytesAccepted: Counter<'tenant'>;
  readonly tenantSpansRefused: Counter<'tenant' | 'reason'>;
  readonly #tenantLabels: TenantLabels;

  constructor(registry: Registry, maxTenantLabels = DEFAULT_MAX_TENANT_LABELS) {
    const registers = [registry];
    this.#tenantLabels = new TenantLabels(maxTenantLabels);
    this.tenantSpansAccepted = new Counter({
      name: 'skein_tenant_spans_accepted_total',
      help: 'Spans taken, per tenant (tenant="" is the default tenant; "(other)" past tenants.maxTrackedTenants).',
      labelNames: ['tenant'],
      registers,
    });
    this.tenantBytesAccepted = new Counter({
      name: 'skein_tenant_bytes_accepted_total',
      help: 'Encoded bytes of the spans taken, per tenant.',
      labelNames: ['tenant'],
      registers,
    });
    this.tenantSpansRefused = new Counter({
      name: 'skein_tenant_spans_refused_total',
      help: 'Spans refused at the front door, per tenant and reason (rate_limited, queue_full, shutting_down, intake_unavailable, buffer_unavailable).',
      labelNames: ['tenant', 'reason'],
      registers,
    });
    this.spansReceived = new Counter({
      name: 'skein_spans_received_total',
      help: 'Spans that reached a receiver (accepted + refused).',
      labelNames: ['protocol'],
      registers,
    });
    this.spansAccepted = new Counter({
      name: 'skein_spans_accepted_total',
      help: 'Spans the pipeline took ownership of.',
      labelNames: ['protocol'],
      registers,
    });
    this.spansRefused = new Counter({
      name: 'skein_spans_refused_total',
      help: 'Spans refused at the front door; the client was told (4xx/5xx or partial_success).',
      labelNames: ['protocol', 'reason'],
      registers,
    });
    this.spansDropped = new Counter({
      name: 'skein_spans_dropped_total',
      help: 'Accepted spans that were never written (e.g. storage kept failing).',
      labelNames: ['reason'],
      registers,
    });
    this.spansWritten = new Counter({
      name: 'skein_spans_written_total',
      help: 'Spans written to storage.',
      registers,
    });
    this.spansReplayed = new Counter({
      name: 'skein_spans_replayed_total',
      help: 'Spans the durable intake replayed after a restart (accepted before it, never committed).',
      registers,
    });
    this.storageWriteErrors = new Counter({
      name: 'skein_storage_write_errors_total',
      help: 'Failed write attempts to storage (each retry counts).',
      registers,
    });
    this.requestsRefused = new Counter({
      name: 'skein_receiver_requests_refused_total',
      help: 'Requests a receiver refused as a whole (reason = error code, e.g. SKEIN_INVALID_PAYLOAD).',
      labelNames: ['protocol', 'reason'],
      registers,
    });
    this.spansTruncated = new Counter({
      name: 'skein_spans_truncated_total',
      help: 'Spans stored cut to limits.span (reason: attributes, events, links, event_attributes, link_attributes, value_length, span_size); a span cut for two reasons counts in both.',
      labelNames: ['protocol', 'reason'],
      registers,
    });
    this.queueSpans = new Gauge({
      name: 'skein_queue_spans',
      help: 'Spans accepted and not yet written or dropped.',
      registers,
    });
    this.queueBytes = new Gauge({
      name: 'skein_queue_bytes',
      help: 'Encoded bytes of the spans accepted and not yet written or dropped.',
      registers,
    });
    this.writeBatchDuration = new Histogram({
      name: 'skein_write_batch_duration_seconds',
      help: 'Duration of one write attempt of a batch to storage.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
  }

  /**
   * For receivers: spans a decoder returned as rejected (reported to the client as
   * partial_success); `invalid_time` for unusable times, `invalid` for the rest.
   */
  invalidSpans(protocol: string, count: number, reason: RefusalReason = 'invalid'): void {
    if (count === 0) return;
    this.spansReceived.inc({ protocol }, count);
    this.spansRefused.inc({ protocol, reason }, count);
  }

  /** A batch of `tenant`'s taken by a consumer. */
  tenantAccepted(tenant: string, spans: number, bytes: number): void {
    const label = this.#tenantLabels.of(tenant);
    this.tenantSpansAccepted.inc({ tenant: label }, spans);
    this.tenantBytesAccepted.inc({ tenant: label }, bytes);
  }

  /** A batch of `tenant`'s refused as a whole, for `reason`. */
  tenantRefused(tenant: string, reason: string, spans: number): void {
    this.tenantSpansRefused.inc({ tenant: this.#tenantLabels.of(tenant), reason }, spans);
  }

  /** For receivers: a request refused as a whole; `reason` is the error code. */
  requestRefused(protocol: string, reason: string): void {
    this.requestsRefused.inc({ protocol, reason });
  }
}
