import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

/** The dependencies processor's Prometheus metrics (one instance per registry). */
export class DependenciesMetrics {
  readonly edges: Counter;
  readonly flushFailures: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.edges = new Counter({
      name: 'skein_dependency_edges_total',
      help: 'Cross-service parent → child spans counted for /api/dependencies.',
      registers,
    });
    this.flushFailures = new Counter({
      name: 'skein_dependency_flush_failures_total',
      help: 'Writes of dependency edge aggregates to the store that failed (kept for the next flush).',
      registers,
    });
  }
}
