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
 * are answered; others fall through to the next source.
 *
 * `publish` swaps in a new immutable map, so `strategyFor` is a map lookup and the
 * objects it returns are never modified afterwards.
 */
export class AdaptiveStrategySource implements StrategySource {
  #strategies = new Map<string, ResolvedStrategy>();
  #rates = new Map<string, AdaptiveOperationRate[]>();

  strategyFor(service: string): ResolvedStrategy | undefined {
    return this.#strategies.get(service);
  }

  services(): string[] {
    return [...this.#strategies.keys()].sort();
  }

  /** Observed and target rates per root operation of a service, by operation name; [] when unknown. */
  operationRates(service: string): readonly AdaptiveOperationRate[] {
    return this.#rates.get(service) ?? [];
  }

  /** Service root operations with a computed probability. */
  get operationCount(): number {
    let n = 0;
    for (const rates of this.#rates.values()) n += rates.length;
    return n;
  }

  publish(rows: readonly OperationProbabilityRow[], settings: AdaptiveSettings): void {
    const byService = new Map<string, OperationProbabilityRow[]>();
    for (const r of rows) {
      const list = byService.get(r.service);
      if (list === undefined) byService.set(r.service, [r]);
      else list.push(r);
    }
    const strategies = new Map<string, ResolvedStrategy>();
    const rates = new Map<string, AdaptiveOperationRate[]>();
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
    this.#strategies = strategies;
    this.#rates = rates;
  }
}
