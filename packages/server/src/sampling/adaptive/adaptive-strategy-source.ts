import { DEFAULT_TENANT } from '../../model/span.ts';
import type { OperationProbabilityRow } from '../../storage/sampling-store.ts';
import type {
  OperationSamplingStrategy,
  ResolvedStrategy,
  StrategySource,
} from '../strategy-source.ts';
import { targetFor } from './adaptive-settings.ts';
import type { AdaptiveSettings } from './adaptive-settings.ts';

/** One root operation as adaptive sampling sees it (for the strategies page). */
export interface AdaptiveOperationRate {
  operation: string;
  /** The probability served. */
  probability: number;
  /** Estimated root traces per second, sampled or not (smoothed); -1 before a first estimate. */
  tracesPerSecond: number;
  /** Sampled root traces per second that reached Skein (smoothed). */
  sampledPerSecond: number;
  /** The target that applies (override or global). */
  targetSamplesPerSecond: number;
  /** When it was last calculated (ms since the epoch). */
  updatedAt: number;
}

/**
 * The adaptive probabilities as Jaeger strategies: per service, a probabilistic
 * strategy with `operationSampling` (one entry per root operation, the initial
 * probability for operations not listed, and `minSamplesPerSecond` as the lower bound),
 * as Jaeger's adaptive provider serves them. Only services with computed operations
 * are answered; others fall through to the next source. Per tenant: a tenant is served
 * the probabilities computed from its own traffic, and another tenant's service of the
 * same name falls through to the next source until its own traffic was computed.
 *
 * `publish` swaps in a new immutable map, so `strategyFor` is a map lookup and the
 * objects it returns are never modified afterwards.
 */
export class AdaptiveStrategySource implements StrategySource {
  /** tenant → service → strategy */
  #strategies = new Map<string, Map<string, ResolvedStrategy>>();
  /** tenant → service → rates */
  #rates = new Map<string, Map<string, AdaptiveOperationRate[]>>();

  strategyFor(service: string, tenant: string = DEFAULT_TENANT): ResolvedStrategy | undefined {
    return this.#strategies.get(tenant)?.get(service);
  }

  services(tenant: string = DEFAULT_TENANT): string[] {
    return [...(this.#strategies.get(tenant)?.keys() ?? [])].sort();
  }

  /** Observed and target rates per root operation of a service of `tenant`, by operation name; [] when unknown. */
  operationRates(
    service: string,
    tenant: string = DEFAULT_TENANT,
  ): readonly AdaptiveOperationRate[] {
    return this.#rates.get(tenant)?.get(service) ?? [];
  }

  /** Service root operations with a computed probability (every tenant's). */
  get operationCount(): number {
    let n = 0;
    for (const services of this.#rates.values())
      for (const rates of services.values()) n += rates.length;
    return n;
  }

  publish(rows: readonly OperationProbabilityRow[], settings: AdaptiveSettings): void {
    const byTenant = new Map<string, Map<string, OperationProbabilityRow[]>>();
    for (const r of rows) {
      let byService = byTenant.get(r.tenant);
      if (byService === undefined) {
        byService = new Map();
        byTenant.set(r.tenant, byService);
      }
      const list = byService.get(r.service);
      if (list === undefined) byService.set(r.service, [r]);
      else list.push(r);
    }
    const strategies = new Map<string, Map<string, ResolvedStrategy>>();
    const rates = new Map<string, Map<string, AdaptiveOperationRate[]>>();
    for (const [tenant, byService] of byTenant) {
      const tenantStrategies = new Map<string, ResolvedStrategy>();
      const tenantRates = new Map<string, AdaptiveOperationRate[]>();
      publishTenant(byService, settings, tenantStrategies, tenantRates);
      strategies.set(tenant, tenantStrategies);
      rates.set(tenant, tenantRates);
    }
    this.#strategies = strategies;
    this.#rates = rates;
  }
}

/** One tenant's strategies and rates, by service. */
function publishTenant(
  byService: Map<string, OperationProbabilityRow[]>,
  settings: AdaptiveSettings,
  strategies: Map<string, ResolvedStrategy>,
  rates: Map<string, AdaptiveOperationRate[]>,
): void {
  for (const [service, list] of byService) {
    list.sort((a, b) => (a.operation < b.operation ? -1 : a.operation > b.operation ? 1 : 0));
    const perOperationStrategies: OperationSamplingStrategy[] = list.map((r) => ({
      operation: r.operation,
      probabilisticSampling: { samplingRate: r.probability },
    }));
    strategies.set(service, {
      origin: 'adaptive',
      strategy: {
        strategyType: 'PROBABILISTIC',
        // For clients that read only the service-wide probability.
        probabilisticSampling: { samplingRate: settings.initialProbability },
        operationSampling: {
          defaultSamplingProbability: settings.initialProbability,
          defaultLowerBoundTracesPerSecond: settings.minSamplesPerSecond,
          perOperationStrategies,
        },
      },
    });
    rates.set(
      service,
      list.map((r) => ({
        operation: r.operation,
        probability: r.probability,
        tracesPerSecond: r.tracesPerSecond,
        sampledPerSecond: r.sampledPerSecond,
        targetSamplesPerSecond: targetFor(settings, service, r.operation),
        updatedAt: r.updatedAt,
      })),
    );
  }
}
