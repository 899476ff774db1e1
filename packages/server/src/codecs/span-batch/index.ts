/**
 * The compact binary span-batch codec: how Skein carries accepted batches in its
 * own write-ahead log, NATS JetStream messages and worker-thread transfers.
 * The format is described in span-batch-format.ts.
 */
export { encodeSpanBatch } from './span-batch-encoder.ts';
export { decodeSpanBatch } from './span-batch-decoder.ts';
export { FORMAT_VERSION as SPAN_BATCH_FORMAT_VERSION } from './span-batch-format.ts';
