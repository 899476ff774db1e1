import type { FastifyInstance } from 'fastify';
import { InvalidParameterError, SamplingUnavailableError } from '../../errors.ts';
import { DEFAULT_TENANT } from '../../model/span.ts';
import { identityOf } from '../../security/identity.ts';
import {
  strategyJson,
  type StrategyExplanation,
  type StrategyResolver,
} from '../../sampling/index.ts';
import type { AdaptiveOperationRate } from '../../sampling/adaptive/index.ts';
import type { TraceReader } from '../../storage/trace-reader.ts';
import { envelope, errorEnvelope } from '../jaeger/jaeger-routes.ts';
import type { QueryString } from '../query-params.ts';

export interface SamplingStrategiesRoutesOptions {
  reader: TraceReader;
  /**
   * The running sampling service's resolver, asked per request (it starts after the
   * query app in the `all` role); undefined → 501.
   */
  sampling: () =>
    Pick<StrategyResolver, 'services' | 'explain' | 'explainDefault' | 'adaptive'> | undefined;
}

/** One service's row: the strategy as SDKs receive it (Jaeger's JSON) and why. */
export interface ServedStrategyRow extends Omit<StrategyExplanation, 'strategy'> {
  strategy: unknown;
  /**
   * With an adaptive source that reports them: per root operation, the probability it
   * computed, observed and sampled traces per second and the target (also when the
   * operator's own entry is what the service is served).
   */
  adaptiveOperations?: readonly AdaptiveOperationRate[];
}

/** What an adaptive source may add to the page (AdaptiveStrategySource does). */
interface ObservedRates {
  operationRates(service: string, tenant: string): readonly AdaptiveOperationRate[];
}

function observedRates(source: unknown): ObservedRates | undefined {
  return typeof (source as Partial<ObservedRates> | undefined)?.operationRates === 'function'
    ? (source as ObservedRates)
    : undefined;
}

/** `data` of `GET /api/sampling/strategies`. */
export interface SamplingStrategiesResponse {
  /** What a service nobody wrote or computed anything for gets. */
  default: Omit<ServedStrategyRow, 'service'>;
  /** Whether an adaptive source is plugged in. */
  adaptive: boolean;
  /** One row per known service (strategies, adaptive source, stored traces), sorted by name. */
  services: ServedStrategyRow[];
}

/**
 * `GET /api/sampling/strategies[?service=NAME]` (docs/api.md#sampling-strategies): for
 * every service Skein knows (named by the strategies, computed by the adaptive source,
 * or seen in stored traces) the strategy it is served now and why: `origin` is
 * `file`, `adaptive` or `default`, `reason` says which entry or source. With
 * `service`, just that service (known or not). In Jaeger's `{data, errors}` envelope.
 * Everything is the requesting tenant's (`identityOf(req)?.tenant`, the default tenant
 * when none): its stored services, its adaptive probabilities and observed rates.
 */
export function registerSamplingStrategiesRoutes(
  app: FastifyInstance,
  opts: SamplingStrategiesRoutesOptions,
): void {
  app.get('/api/sampling/strategies', async (request, reply) => {
    const query = request.query as QueryString;
    const one = query.service;
    if (Array.isArray(one) || one === '') {
      throw new InvalidParameterError([
        'service',
        'must be one service name when given (omit it for every service)',
      ]);
    }
    const resolver = opts.sampling();
    if (resolver === undefined) {
      const err = new SamplingUnavailableError([]);
      return reply.code(err.statusCode).send(errorEnvelope(err.statusCode, err.message));
    }
    const tenant = identityOf(request.raw)?.tenant ?? DEFAULT_TENANT;
    let names: string[];
    if (one !== undefined) {
      names = [one];
    } else {
      const known = new Set([
        ...resolver.services(tenant),
        ...(await opts.reader.getServices(tenant)),
      ]);
      names = [...known].sort();
    }
    const rates = observedRates(resolver.adaptive);
    const services = names.map((service) => {
      const r = row(resolver.explain(service, tenant));
      if (rates !== undefined) r.adaptiveOperations = rates.operationRates(service, tenant);
      return r;
    });
    const fallback = resolver.explainDefault();
    const data: SamplingStrategiesResponse = {
      default: { ...fallback, strategy: JSON.parse(strategyJson(fallback.strategy)) as unknown },
      adaptive: resolver.adaptive !== undefined,
      services,
    };
    return envelope(data, services.length);
  });
}

function row(e: StrategyExplanation): ServedStrategyRow {
  return { ...e, strategy: JSON.parse(strategyJson(e.strategy)) as unknown };
}
