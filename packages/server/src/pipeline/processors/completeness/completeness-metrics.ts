import { Counter, type Registry } from 'prom-client';

/** Distinct label sets per series family before new ones count under `other`. */
const MAX_SERIES = 1000;
/** The `tenant` label value of series counted once the family is full (as the tenant counters name it). */
const OTHER_TENANT = '(other)';

/**
 * Completeness on `/metrics`: `skein_traces_assembled_total{tenant,root_service,complete}`,
 * `skein_trace_breaks_total{tenant,service,peer,cause}` (bounded: past 1000 label sets new
 * services and peers count as `other`, tenants as `(other)`; `tenant=""` is the default tenant).
 * Counts are made when a trace is assembled; a later split pairing corrects the
 * stored aggregates, not these counters.
 */
export class CompletenessMetrics {
  readonly assembled: Counter<'tenant' | 'root_service' | 'complete'>;
  readonly breaks: Counter<'tenant' | 'service' | 'peer' | 'cause'>;
  readonly flushFailures: Counter;
  /** Counter children by label set, resolved once (label hashing per trace would cost more than the count). */
  readonly #roots = new Map<string, { inc(): void }>();
  readonly #breaks = new Map<string, { inc(): void }>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.assembled = new Counter({
      name: 'skein_traces_assembled_total',
      help: 'Traces assembled and judged by the completeness processor, by tenant, root service and whether complete.',
      labelNames: ['tenant', 'root_service', 'complete'],
      registers,
    });
    this.breaks = new Counter({
      name: 'skein_trace_breaks_total',
      help: 'Trace breaks by tenant, service at fault, the other side (peer) and cause.',
      labelNames: ['tenant', 'service', 'peer', 'cause'],
      registers,
    });
    this.flushFailures = new Counter({
      name: 'skein_completeness_flush_failures_total',
      help: 'Failed writes of completeness aggregates to the store (retried at the next flush).',
      registers,
    });
  }

  traceAssembled(tenant: string, rootService: string, complete: boolean): void {
    const key = `${complete ? 1 : 0}${tenant}\0${rootService}`;
    let child = this.#roots.get(key);
    if (child === undefined) {
      const full = this.#roots.size >= MAX_SERIES;
      child = this.assembled.labels({
        tenant: full ? OTHER_TENANT : tenant,
        root_service: full ? 'other' : rootService,
        complete: complete ? 'true' : 'false',
      });
      if (this.#roots.size < MAX_SERIES) this.#roots.set(key, child);
    }
    child.inc();
  }

  traceBreak(tenant: string, service: string, peer: string, cause: string): void {
    const key = `${tenant}\0${service}\0${peer}\0${cause}`;
    let child = this.#breaks.get(key);
    if (child === undefined) {
      const full = this.#breaks.size >= MAX_SERIES;
      child = this.breaks.labels({
        tenant: full ? OTHER_TENANT : tenant,
        service: full ? 'other' : service,
        peer: full ? 'other' : peer,
        cause,
      });
      if (!full) this.#breaks.set(key, child);
    }
    child.inc();
  }
}
