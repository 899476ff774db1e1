import { DEFAULT_TENANT } from '../model/span.ts';
import { BUILT_IN_PROBABILITY } from './compiled-strategies.ts';
import type { FileStrategySource } from './file-strategy-source.ts';
import type {
  ResolvedStrategy,
  SamplingStrategyResponse,
  StrategyOrigin,
  StrategySource,
} from './strategy-source.ts';

/** What one service gets and why (`GET /api/sampling/strategies`). */
export interface StrategyExplanation {
  service: string;
  origin: StrategyOrigin;
  /** In words: which entry of which file, the adaptive calculator, or the built-in default. */
  reason: string;
  strategy: SamplingStrategyResponse;
  /** Where SDKs will apply something other than what is written (see compiled-strategies.ts). */
  warnings: readonly string[];
}

/**
 * The strategy each service is served, from the sources in order:
 *
 * 1. the operator's strategy for that service (strategies file or YAML, origin `file`);
 * 2. the adaptive source's, when one is plugged in and has one for the service
 *    (origin `adaptive`);
 * 3. the operator's default strategy (origin `default`);
 * 4. Jaeger's built-in default, probabilistic 0.001 (origin `default`), when the
 *    strategies file has no `default_strategy`.
 *
 * A strategy written for a service always wins over a computed one: the operator
 * pinned it. Serving a strategy only advises SDKs: nothing downstream re-applies it
 * to spans that arrive, so a trace an SDK sampled is never dropped because the
 * strategy in force would not have sampled it.
 *
 * `strategyFor` allocates nothing: it returns the sources' shared objects.
 *
 * Per tenant: the operator's strategies are every tenant's; the adaptive source's are
 * computed from each tenant's own traffic, so a tenant is served its own probabilities
 * (`tenant` defaults to `DEFAULT_TENANT`).
 */
export class StrategyResolver {
  readonly #file: FileStrategySource;
  #adaptive: StrategySource | undefined;

  constructor(options: { file: FileStrategySource; adaptive?: StrategySource }) {
    this.#file = options.file;
    this.#adaptive = options.adaptive;
  }

  /** The adaptive source, between the operator's service strategies and the default; undefined removes it. */
  set adaptive(source: StrategySource | undefined) {
    this.#adaptive = source;
  }

  get adaptive(): StrategySource | undefined {
    return this.#adaptive;
  }

  /** The strategy `service` of `tenant` is served now. The returned object is shared: do not modify it. */
  strategyFor(service: string, tenant: string = DEFAULT_TENANT): ResolvedStrategy {
    return (
      this.#file.strategyFor(service) ??
      this.#adaptive?.strategyFor(service, tenant) ??
      this.#file.defaultStrategy()
    );
  }

  /** Services of `tenant` some source has something specific for, sorted. */
  services(tenant: string = DEFAULT_TENANT): string[] {
    const names = new Set(this.#file.services());
    for (const name of this.#adaptive?.services(tenant) ?? []) names.add(name);
    return [...names].sort();
  }

  /** What a service no source has anything specific for gets, and why. */
  explainDefault(): Omit<StrategyExplanation, 'service'> {
    const file = this.#file;
    const resolved = file.defaultStrategy();
    return file.hasDefault
      ? {
          origin: resolved.origin,
          reason: `the default strategy in ${file.location}`,
          strategy: resolved.strategy,
          warnings: file.warnings(''),
        }
      : {
          origin: resolved.origin,
          reason: `the built-in default (probabilistic ${BUILT_IN_PROBABILITY}; ${file.location} has no default_strategy)`,
          strategy: resolved.strategy,
          warnings: [],
        };
  }

  /** What `service` of `tenant` gets and why. */
  explain(service: string, tenant: string = DEFAULT_TENANT): StrategyExplanation {
    const resolved = this.strategyFor(service, tenant);
    const file = this.#file;
    let reason: string;
    let warnings: readonly string[] = [];
    switch (resolved.origin) {
      case 'file':
        reason = `its own strategy in ${file.location}`;
        warnings = file.warnings(service);
        break;
      case 'adaptive':
        reason = 'computed by the adaptive sampler from its observed traffic';
        break;
      default:
        if (resolved !== file.defaultStrategy()) {
          reason = 'the default strategy of the adaptive sampler';
        } else {
          return { service, ...this.explainDefault() };
        }
    }
    return { service, origin: resolved.origin, reason, strategy: resolved.strategy, warnings };
  }
}
