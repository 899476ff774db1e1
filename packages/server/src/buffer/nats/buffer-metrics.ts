import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** Metrics of the NATS JetStream buffer, on both sides (docs/scale-out.md lists them). */
export class BufferMetrics {
  readonly connected: Gauge;
  readonly publishedBatches: Counter<'partition'>;
  readonly publishedSpans: Counter;
  readonly publishFailures: Counter<'reason'>;
  readonly publishDuration: Histogram;
  readonly consumedBatches: Counter<'partition'>;
  readonly consumedSpans: Counter;
  readonly redeliveries: Counter<'partition'>;
  readonly corruptBatches: Counter;
  readonly batchSpans: Histogram<'side'>;
  readonly consumerLag: Gauge<'partition'>;
  readonly ackDelay: Histogram;
  readonly partitionsOwned: Gauge;
  readonly leaseChanges: Counter<'change'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.connected = new Gauge({
      name: 'skein_buffer_connected',
      help: 'Whether this process is connected to NATS and the stream is there (1) or not (0).',
      registers,
    });
    this.publishedBatches = new Counter({
      name: 'skein_buffer_published_batches_total',
      help: 'Batches (one per partition of an accepted request) JetStream acknowledged, by partition.',
      labelNames: ['partition'],
      registers,
    });
    this.publishedSpans = new Counter({
      name: 'skein_buffer_published_spans_total',
      help: 'Spans in batches JetStream acknowledged.',
      registers,
    });
    this.publishFailures = new Counter({
      name: 'skein_buffer_publish_failures_total',
      help: 'Requests answered 503 because JetStream did not acknowledge, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.publishDuration = new Histogram({
      name: 'skein_buffer_publish_duration_seconds',
      help: 'From handing a request to JetStream to its last acknowledgement.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
    this.consumedBatches = new Counter({
      name: 'skein_buffer_consumed_batches_total',
      help: 'Batches an ingester took from JetStream, by partition.',
      labelNames: ['partition'],
      registers,
    });
    this.consumedSpans = new Counter({
      name: 'skein_buffer_consumed_spans_total',
      help: 'Spans in batches an ingester took from JetStream.',
      registers,
    });
    this.redeliveries = new Counter({
      name: 'skein_buffer_redeliveries_total',
      help: 'Batches JetStream delivered again (an ingester died or was slow to acknowledge), by partition.',
      labelNames: ['partition'],
      registers,
    });
    this.corruptBatches = new Counter({
      name: 'skein_buffer_corrupt_batches_total',
      help: 'Messages that did not decode as a span batch (acknowledged and dropped; the log says why).',
      registers,
    });
    this.batchSpans = new Histogram({
      name: 'skein_buffer_batch_spans',
      help: 'Spans per JetStream message, as published (side="publish") and consumed (side="consume").',
      labelNames: ['side'],
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
      registers,
    });
    this.consumerLag = new Gauge({
      name: 'skein_buffer_consumer_lag_batches',
      help: 'Batches waiting in JetStream for a partition this ingester owns, as of its last fetch.',
      labelNames: ['partition'],
      registers,
    });
    this.ackDelay = new Histogram({
      name: 'skein_buffer_ack_delay_seconds',
      help: 'From an ingester receiving a batch to acknowledging it (written to storage).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.partitionsOwned = new Gauge({
      name: 'skein_buffer_partitions_owned',
      help: 'Partitions this ingester holds the lease of.',
      registers,
    });
    this.leaseChanges = new Counter({
      name: 'skein_buffer_lease_changes_total',
      help: 'Partition leases acquired, released (rebalance, shutdown) or lost (not renewed in time).',
      labelNames: ['change'],
      registers,
    });
  }
}
