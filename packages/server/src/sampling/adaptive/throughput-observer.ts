import { SpanKind } from '../../model/span.ts';
import type { Span } from '../../model/span.ts';
import type { ThroughputRow } from '../../storage/sampling-store.ts';
import { LOWER_BOUND, NOT_REPORTED, reportedProbability } from './reported-probability.ts';

/** Services tallied at most per interval (all tenants together); roots of further services are counted as overflow. */
export const MAX_SERVICES = 1000;
/** Root operations tallied at most per service and interval. */
export const MAX_OPERATIONS_PER_SERVICE = 500;

/** One operation's counts for the current interval (reused across intervals). */
interface Tally {
  roots: number;
  probabilistic: number;
  estimatedTraces: number;
  unadaptable: number;
}

/**
 * Counts root spans per tenant, service and root operation, and the traffic they stand for
 * (sum of 1/p over the roots that report their sampling probability p), until
 * `drain` hands the interval's counts over and starts the next interval.
 *
 * A root is a span without a parent (its own sampler tags or, failing those, the
 * tracestate's `th` say how it was sampled), or a SERVER / CONSUMER span with a parent
 * that carries Jaeger sampler tags (a Jaeger client that made its own decision under
 * a remote parent). Spans with an empty service or name are not counted.
 *
 * Synchronous and allocation-free per span: counters live in objects made once per
 * operation and interval. Memory is bounded by `MAX_SERVICES` × `MAX_OPERATIONS_PER_SERVICE`.
 * Two tenants' services are tallied apart even when their names are the same.
 */
export class ThroughputObserver {
  /** tenant → service → operation → tally */
  readonly #tenants = new Map<string, Map<string, Map<string, Tally>>>();
  /** Services tallied now, over every tenant. */
  #serviceCount = 0;
  /** The services of the tenant of the last root counted (a batch is one tenant's). */
  #lastTenant: string | undefined;
  #lastServices: Map<string, Map<string, Tally>> | undefined;
  /** Roots not tallied because the service or operation limit was reached (cumulative). */
  overflow = 0;

  observe(spans: readonly Span[]): void {
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i];
      let p: number;
      if (span.parentSpanId === '') {
        p = reportedProbability(span, true);
      } else if (span.kind === SpanKind.Server || span.kind === SpanKind.Consumer) {
        p = reportedProbability(span, false);
        if (p === NOT_REPORTED) continue;
      } else {
        continue;
      }
      const service = span.resource.serviceName;
      const operation = span.name;
      if (service === '' || operation === '') continue;
      const tally = this.#tally(span.resource.tenant, service, operation);
      if (tally === undefined) {
        this.overflow++;
        continue;
      }
      tally.roots++;
      if (p > 0) {
        tally.probabilistic++;
        tally.estimatedTraces += 1 / p;
      } else if (p !== LOWER_BOUND) {
        // UNADAPTABLE, or NOT_REPORTED: nothing says the SDK follows served probabilities.
        tally.unadaptable++;
      }
    }
  }

  #tally(tenant: string, service: string, operation: string): Tally | undefined {
    let services = this.#lastServices;
    if (services === undefined || tenant !== this.#lastTenant) {
      services = this.#tenants.get(tenant);
      if (services === undefined) {
        services = new Map();
        this.#tenants.set(tenant, services);
      }
      this.#lastTenant = tenant;
      this.#lastServices = services;
    }
    let operations = services.get(service);
    if (operations === undefined) {
      if (this.#serviceCount >= MAX_SERVICES) return undefined;
      operations = new Map();
      services.set(service, operations);
      this.#serviceCount++;
    }
    let tally = operations.get(operation);
    if (tally === undefined) {
      if (operations.size >= MAX_OPERATIONS_PER_SERVICE) return undefined;
      tally = { roots: 0, probabilistic: 0, estimatedTraces: 0, unadaptable: 0 };
      operations.set(operation, tally);
    }
    return tally;
  }

  /**
   * The counts since the previous drain, one row per operation that had roots; the
   * counters start again from zero. Operations without roots in the interval are
   * forgotten, so memory follows the live operations.
   */
  drain(): ThroughputRow[] {
    const rows: ThroughputRow[] = [];
    for (const [tenant, services] of this.#tenants) {
      this.#drainTenant(tenant, services, rows);
      if (services.size === 0) {
        this.#tenants.delete(tenant);
        if (services === this.#lastServices) {
          this.#lastServices = undefined;
          this.#lastTenant = undefined;
        }
      }
    }
    return rows;
  }

  #drainTenant(
    tenant: string,
    services: Map<string, Map<string, Tally>>,
    rows: ThroughputRow[],
  ): void {
    for (const [service, operations] of services) {
      for (const [operation, t] of operations) {
        if (t.roots === 0) {
          operations.delete(operation);
          continue;
        }
        rows.push({
          tenant,
          service,
          operation,
          roots: t.roots,
          probabilistic: t.probabilistic,
          estimatedTraces: t.estimatedTraces,
          unadaptable: t.unadaptable,
        });
        t.roots = 0;
        t.probabilistic = 0;
        t.estimatedTraces = 0;
        t.unadaptable = 0;
      }
      if (operations.size === 0) {
        services.delete(service);
        this.#serviceCount--;
      }
    }
  }
}
