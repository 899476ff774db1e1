import type { IngestMetrics } from '../pipeline/ingest-metrics.ts';
import type { TruncationCounter, TruncationReason } from './span-limits.ts';

/** Counts one receiver's cut spans as `skein_spans_truncated_total{protocol, reason}`. */
export class TruncationMetrics implements TruncationCounter {
  readonly #metrics: IngestMetrics;
  readonly #protocol: string;

  constructor(metrics: IngestMetrics, protocol: string) {
    this.#metrics = metrics;
    this.#protocol = protocol;
  }

  truncated(reason: TruncationReason, spans: number): void {
    this.#metrics.spansTruncated.inc({ protocol: this.#protocol, reason }, spans);
  }
}
