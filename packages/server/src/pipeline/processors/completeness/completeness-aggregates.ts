import type {
  BreakCause,
  BreakRow,
  CompletenessDelta,
  EdgeCompletenessRow,
  RootCompletenessRow,
  ServiceCompletenessRow,
} from '../../../storage/completeness-writer.ts';

const MINUTE_US = 60_000_000;

/** The minute (µs, floored) a time in µs falls in. */
export function minuteOf(timeUs: number): number {
  return Math.floor(timeUs / MINUTE_US) * MINUTE_US;
}

/**
 * Completeness counts accumulated since the last flush, as per-minute deltas keyed
 * like the store's rows (tenant first: two tenants' counts never merge). `take` hands them out and starts over; `restore` puts back a
 * delta whose write failed (merged with what came since).
 */
export class CompletenessAggregates {
  #roots = new Map<string, RootCompletenessRow>();
  #services = new Map<string, ServiceCompletenessRow>();
  #edges = new Map<string, EdgeCompletenessRow>();
  #breaks = new Map<string, BreakRow>();
  examplesPerCause: number;

  constructor(examplesPerCause: number) {
    this.examplesPerCause = examplesPerCause;
  }

  get size(): number {
    return this.#roots.size + this.#services.size + this.#edges.size + this.#breaks.size;
  }

  root(
    tenant: string,
    minute: number,
    rootService: string,
    traces: number,
    complete: number,
  ): void {
    const key = `${tenant}\0${minute}\0${rootService}`;
    const row = this.#roots.get(key);
    if (row === undefined) this.#roots.set(key, { tenant, minute, rootService, traces, complete });
    else {
      row.traces += traces;
      row.complete += complete;
    }
  }

  service(
    tenant: string,
    minute: number,
    service: string,
    spans: number,
    spansInComplete: number,
  ): void {
    const key = `${tenant}\0${minute}\0${service}`;
    const row = this.#services.get(key);
    if (row === undefined)
      this.#services.set(key, { tenant, minute, service, spans, spansInComplete });
    else {
      row.spans += spans;
      row.spansInComplete += spansInComplete;
    }
  }

  edge(
    tenant: string,
    minute: number,
    caller: string,
    callee: string,
    calls: number,
    answered: number,
  ): void {
    const key = `${tenant}\0${minute}\0${caller}\0${callee}`;
    const row = this.#edges.get(key);
    if (row === undefined)
      this.#edges.set(key, { tenant, minute, caller, callee, calls, answered });
    else {
      row.calls += calls;
      row.answered += answered;
    }
  }

  breakOf(
    tenant: string,
    minute: number,
    cause: BreakCause,
    service: string,
    peer: string,
    count: number,
    example: string | undefined,
  ): void {
    const key = `${tenant}\0${minute}\0${cause}\0${service}\0${peer}`;
    let row = this.#breaks.get(key);
    if (row === undefined) {
      row = { tenant, minute, cause, service, peer, count: 0, examples: [] };
      this.#breaks.set(key, row);
    }
    row.count += count;
    if (
      example !== undefined &&
      row.examples.length < this.examplesPerCause &&
      !row.examples.includes(example)
    )
      row.examples.push(example);
  }

  /** Everything counted since the last take, and a fresh start. */
  take(): CompletenessDelta {
    const delta: CompletenessDelta = {
      roots: [...this.#roots.values()],
      services: [...this.#services.values()],
      edges: [...this.#edges.values()],
      breaks: [...this.#breaks.values()],
    };
    this.#roots = new Map();
    this.#services = new Map();
    this.#edges = new Map();
    this.#breaks = new Map();
    return delta;
  }

  /** Puts back a delta that could not be written. */
  restore(delta: CompletenessDelta): void {
    for (const r of delta.roots) this.root(r.tenant, r.minute, r.rootService, r.traces, r.complete);
    for (const r of delta.services)
      this.service(r.tenant, r.minute, r.service, r.spans, r.spansInComplete);
    for (const r of delta.edges)
      this.edge(r.tenant, r.minute, r.caller, r.callee, r.calls, r.answered);
    for (const r of delta.breaks) {
      this.breakOf(r.tenant, r.minute, r.cause, r.service, r.peer, r.count, undefined);
      for (const e of r.examples)
        this.breakOf(r.tenant, r.minute, r.cause, r.service, r.peer, 0, e);
    }
  }
}
