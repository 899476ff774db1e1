/**
 * The NATS JetStream buffer between the collector and ingester roles
 * (docs/scale-out.md): collectors publish accepted batches by trace-id partition,
 * ingesters own partitions through leases and acknowledge after storage wrote.
 */
export { BufferMetrics } from './buffer-metrics.ts';
export { NatsBuffer } from './nats-buffer.ts';
export type { NatsBufferOptions } from './nats-buffer.ts';
export { NatsIngester } from './nats-ingester.ts';
export type { IngestTarget, NatsIngesterOptions } from './nats-ingester.ts';
export { NatsSpanPublisher } from './nats-span-publisher.ts';
export { PartitionLeases, partitionMember } from './partition-leases.ts';
export type { PartitionOwner, PartitionLeasesOptions } from './partition-leases.ts';
export { partitionOf } from './partition-of.ts';
