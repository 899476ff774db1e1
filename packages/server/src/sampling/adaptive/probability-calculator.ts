import { DEFAULT_TENANT } from '../../model/span.ts';
import type { OperationProbabilityRow, ThroughputRow } from '../../storage/sampling-store.ts';
import { targetFor } from './adaptive-settings.ts';
import type { AdaptiveSettings } from './adaptive-settings.ts';

/**
 * Weight of the newest interval when a traffic estimate falls (exponential moving
 * average): 0.5 halves the gap each interval, so a drop is followed within ~3
 * intervals while one quiet interval does not double a probability at once.
 */
export const SMOOTHING = 0.5;
/** Standard errors of the interval's estimate a rise must exceed to be taken at once. */
export const RISE_NOISE = 3;
/** A probability at most doubles per interval (Jaeger caps increases the same way). */
export const MAX_INCREASE = 2;
/** An operation without any root for this many intervals is forgotten (its services' default applies again). */
export const IDLE_INTERVALS = 60;

interface OperationState {
  tenant: string;
  service: string;
  operation: string;
  probability: number;
  /** Smoothed traces per second, sampled or not; -1 until a first estimate. */
  tracesPerSecond: number;
  sampledPerSecond: number;
  idleIntervals: number;
  updatedAt: number;
}

/**
 * The key of a tenant's service in the calculator's maps. Tenant names hold no NUL
 * (`isTenantName`), so the first NUL ends the tenant: no two (tenant, service) pairs
 * share a key.
 */
function serviceKey(tenant: string, service: string): string {
  return `${tenant}\0${service}`;
}

/**
 * Turns root-span throughput into per-operation probabilities (issue #9).
 *
 * Each interval, per tenant, service and root operation (two tenants' services are
 * computed apart, from each one's own traffic, even with the same names):
 * 1. **Traffic**: the interval's estimate is Σ(1/p) over the roots that reported their
 *    probability p, divided by the interval's length: every such root stands for 1/p
 *    requests. The smoothed estimate takes a rise at once when it exceeds both
 *    `deltaTolerance` and `RISE_NOISE` standard errors of the estimate (3/√n for n
 *    sampled roots): a probability must come down before a traffic spike floods the
 *    store, but not for noise. Anything else is followed by an exponential moving
 *    average (`SMOOTHING`). An operation whose
 *    roots came only from samplers that ignore served probabilities (rate limiting,
 *    const, or none reported) keeps its probability. An operation without roots, or
 *    with only lower-bound ones, is treated as having no traffic this interval.
 * 2. **Probability**: target / traffic, where the target is the operation's override,
 *    its service's, or `targetSamplesPerSecond`; at most `MAX_INCREASE` times the old
 *    one (a rise rests on few sampled roots); bounded by min/maxProbability. Without
 *    any traffic estimate the old probability is doubled, so a quiet operation gets
 *    sampled.
 * 3. **Tolerance**: the old probability stays while the sampled rate it gives
 *    (old × traffic) is within `deltaTolerance` of the target, so SDKs are not sent a
 *    new value for noise.
 */
export class ProbabilityCalculator {
  #settings: AdaptiveSettings;
  /** `serviceKey(tenant, service)` → operation → state */
  readonly #state = new Map<string, Map<string, OperationState>>();

  constructor(settings: AdaptiveSettings) {
    this.#settings = settings;
  }

  get settings(): AdaptiveSettings {
    return this.#settings;
  }

  /** New targets, bounds and tolerance apply from the next calculation; probabilities are re-bounded now. */
  update(settings: AdaptiveSettings): void {
    this.#settings = settings;
    for (const ops of this.#state.values()) {
      for (const s of ops.values()) s.probability = this.#bound(s.probability);
    }
  }

  /** Replaces the state with stored rows (a restart, a follower, a new lease holder). */
  load(rows: readonly OperationProbabilityRow[]): void {
    this.#state.clear();
    for (const r of rows) {
      if (!(r.probability > 0 && r.probability <= 1)) continue;
      this.#put({
        tenant: r.tenant,
        service: r.service,
        operation: r.operation,
        probability: this.#bound(r.probability),
        tracesPerSecond: r.tracesPerSecond >= 0 ? r.tracesPerSecond : -1,
        sampledPerSecond: r.sampledPerSecond >= 0 ? r.sampledPerSecond : 0,
        idleIntervals: 0,
        updatedAt: r.updatedAt,
      });
    }
  }

  /** The probability served for an operation (the initial one for an unknown operation). */
  probabilityOf(service: string, operation: string, tenant: string = DEFAULT_TENANT): number {
    return (
      this.#state.get(serviceKey(tenant, service))?.get(operation)?.probability ??
      this.#settings.initialProbability
    );
  }

  /**
   * One calculation over the throughput of an interval `seconds` long that ended at
   * `now` (ms). Rows may repeat an operation (several processes): they add up.
   */
  calculate(throughput: readonly ThroughputRow[], seconds: number, now: number): void {
    const sums = new Map<string, Map<string, ThroughputRow>>();
    for (const r of throughput) {
      const key = serviceKey(r.tenant, r.service);
      let ops = sums.get(key);
      if (ops === undefined) {
        ops = new Map();
        sums.set(key, ops);
      }
      const sum = ops.get(r.operation);
      if (sum === undefined) {
        ops.set(r.operation, { ...r });
      } else {
        sum.roots += r.roots;
        sum.probabilistic += r.probabilistic;
        sum.estimatedTraces += r.estimatedTraces;
        sum.unadaptable += r.unadaptable;
      }
    }
    // New operations: only those whose SDK follows probabilities (probabilistic or lower-bound roots).
    for (const [key, ops] of sums) {
      for (const [operation, t] of ops) {
        if (this.#state.get(key)?.has(operation) === true) continue;
        if (t.roots - t.unadaptable <= 0) continue;
        this.#put({
          tenant: t.tenant,
          service: t.service,
          operation,
          probability: this.#settings.initialProbability,
          tracesPerSecond: -1,
          sampledPerSecond: 0,
          idleIntervals: 0,
          updatedAt: now,
        });
      }
    }
    for (const [key, ops] of this.#state) {
      for (const [operation, s] of ops) {
        const t = sums.get(key)?.get(operation);
        if (t === undefined && ++s.idleIntervals >= IDLE_INTERVALS) {
          ops.delete(operation);
          continue;
        }
        if (t !== undefined) s.idleIntervals = 0;
        this.#step(s, t, seconds, now);
      }
      if (ops.size === 0) this.#state.delete(key);
    }
  }

  #step(s: OperationState, t: ThroughputRow | undefined, seconds: number, now: number): void {
    const { deltaTolerance } = this.#settings;
    const sampled = t === undefined ? 0 : t.roots / seconds;
    s.sampledPerSecond += SMOOTHING * (sampled - s.sampledPerSecond);
    s.updatedAt = now;
    if (t !== undefined && t.probabilistic === 0 && t.unadaptable > 0) {
      // The SDK is not (or not only) applying served probabilities: nothing to learn.
      return;
    }
    const observed = t === undefined ? 0 : t.estimatedTraces / seconds;
    // A rise is taken at once only when neither the tolerance nor sampling noise explains
    // it: an estimate from n sampled roots is off by ~1/√n (Poisson), and taking every
    // upward fluctuation at once would bias the probability low.
    const noise =
      t === undefined || t.probabilistic === 0 ? 0 : RISE_NOISE / Math.sqrt(t.probabilistic);
    if (
      s.tracesPerSecond < 0 ||
      observed > s.tracesPerSecond * (1 + Math.max(deltaTolerance, noise))
    ) {
      s.tracesPerSecond = observed;
    } else {
      s.tracesPerSecond += SMOOTHING * (observed - s.tracesPerSecond);
    }
    const target = targetFor(this.#settings, s.service, s.operation);
    const old = s.probability;
    const traffic = s.tracesPerSecond;
    if (traffic > 0 && Math.abs(old * traffic - target) / target <= deltaTolerance) return;
    const wanted = traffic > 0 ? target / traffic : old * MAX_INCREASE;
    s.probability = this.#bound(Math.min(wanted, old * MAX_INCREASE));
  }

  #bound(p: number): number {
    const { minProbability, maxProbability } = this.#settings;
    return p < minProbability ? minProbability : p > maxProbability ? maxProbability : p;
  }

  #put(s: OperationState): void {
    const key = serviceKey(s.tenant, s.service);
    let ops = this.#state.get(key);
    if (ops === undefined) {
      ops = new Map();
      this.#state.set(key, ops);
    }
    ops.set(s.operation, s);
  }

  /** The current state as rows to store or serve (a fresh array of fresh objects). */
  rows(): OperationProbabilityRow[] {
    const rows: OperationProbabilityRow[] = [];
    for (const ops of this.#state.values()) {
      for (const s of ops.values()) {
        rows.push({
          tenant: s.tenant,
          service: s.service,
          operation: s.operation,
          probability: s.probability,
          tracesPerSecond: s.tracesPerSecond,
          sampledPerSecond: s.sampledPerSecond,
          updatedAt: s.updatedAt,
        });
      }
    }
    return rows;
  }
}
