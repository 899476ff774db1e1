import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * The dedupe filter's Prometheus metrics, registered in the registry passed in (one
 * instance per registry, like `IngestMetrics`).
 */
export class DedupeMetrics {
  readonly spansDeduplicated: Counter;

  constructor(registry: Registry) {
    this.spansDeduplicated = new Counter({
      name: 'skein_spans_deduplicated_total',
      help: 'Accepted spans passed over because the same span (ids and content) was accepted shortly before (pipeline.dedupe).',
      registers: [registry],
    });
  }
}
