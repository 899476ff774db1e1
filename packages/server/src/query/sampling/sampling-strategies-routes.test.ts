import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { defaultConfig } from '../../config/config.ts';
import {
  FileStrategySource,
  StrategyResolver,
  type ResolvedStrategy,
  type StrategySource,
} from '../../sampling/index.ts';
import type { AdaptiveOperationRate } from '../../sampling/adaptive/index.ts';
import { Registry } from 'prom-client';
import { AdaptiveStrategySource, compileAdaptiveSection } from '../../sampling/adaptive/index.ts';
import { SecurityLayer } from '../../security/security-layer.ts';
import { DuckDbStorage } from '../../storage/duckdb/duckdb-storage.ts';
import { createQueryApp } from '../query-app.ts';
import { makeResource, makeSpan } from '../test-support/span-builders.ts';
import type { SamplingStrategiesResponse } from './sampling-strategies-routes.ts';

/*
 * GET /api/sampling/strategies over a real store (services seen in traces), the
 * operator's strategies written in the config, and an adaptive source that has a
 * strategy for two services (one of which the operator pinned).
 */

/** The adaptive side of the composition: a fixed table (the calculator is tested in adaptive/). */
class FixedAdaptiveSource implements StrategySource {
  readonly #table = new Map<string, ResolvedStrategy>([
    [
      'search',
      {
        origin: 'adaptive',
        strategy: {
          strategyType: 'PROBABILISTIC',
          operationSampling: {
            defaultSamplingProbability: 0.02,
            defaultLowerBoundTracesPerSecond: 0.1,
            perOperationStrategies: [
              { operation: 'GET /search', probabilisticSampling: { samplingRate: 0.04 } },
            ],
          },
        },
      },
    ],
    [
      'cart',
      {
        origin: 'adaptive',
        strategy: { strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 0.9 } },
      },
    ],
  ]);
  strategyFor(service: string): ResolvedStrategy | undefined {
    return this.#table.get(service);
  }
  services(): string[] {
    return [...this.#table.keys()];
  }
  operationRates(service: string): readonly AdaptiveOperationRate[] {
    return service === 'search'
      ? [
          {
            operation: 'GET /search',
            probability: 0.04,
            tracesPerSecond: 250,
            sampledPerSecond: 10,
            targetSamplesPerSecond: 10,
            updatedAt: 1_700_000_000_000,
          },
        ]
      : [];
  }
}

describe('GET /api/sampling/strategies', () => {
  let store: DuckDbStorage;
  let app: FastifyInstance;
  let withoutSampling: FastifyInstance;
  let resolver: StrategyResolver;

  before(async () => {
    store = new DuckDbStorage({ path: ':memory:' });
    await store.open();
    await store.write([
      makeSpan({
        traceId: 'a'.repeat(32),
        spanId: '00000000000000a1',
        resource: makeResource('frontend'),
      }),
      makeSpan({
        traceId: 'b'.repeat(32),
        spanId: '00000000000000b1',
        resource: makeResource('cart'),
      }),
    ]);
    const sampling = structuredClone(defaultConfig.sampling);
    sampling.strategies.defaultStrategy.param = 0.2;
    sampling.strategies.serviceStrategies = [
      { service: 'cart', type: 'ratelimiting', param: 3 },
      { service: 'payments', type: 'probabilistic', param: 1 },
    ];
    const file = new FileStrategySource(sampling, { logger: pino({ level: 'silent' }) });
    resolver = new StrategyResolver({ file });
    const base = { reader: store, defaultLimit: 20, maxLimit: 1500 };
    app = await createQueryApp({ ...base, sampling: () => resolver });
    withoutSampling = await createQueryApp(base);
  });

  after(async () => {
    await app.close();
    await withoutSampling.close();
    await store.close();
  });

  async function strategies(url = '/api/sampling/strategies'): Promise<SamplingStrategiesResponse> {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{ data: SamplingStrategiesResponse; total: number; errors: null }>();
    assert.equal(body.errors, null);
    assert.equal(body.total, body.data.services.length);
    return body.data;
  }

  test('every known service with its strategy and why: file, then adaptive, then the default', async () => {
    resolver.adaptive = new FixedAdaptiveSource();
    try {
      const data = await strategies();
      assert.equal(data.adaptive, true);
      assert.deepEqual(
        data.services.map((s) => [s.service, s.origin]),
        [
          ['cart', 'file'], // pinned by the operator, although the adaptive source has one
          ['frontend', 'default'], // only seen in traces
          ['payments', 'file'],
          ['search', 'adaptive'],
        ],
      );
      const [cart, frontend, , search] = data.services;
      assert.deepEqual(cart.strategy, {
        strategyType: 'RATE_LIMITING',
        rateLimitingSampling: { maxTracesPerSecond: 3 },
      });
      assert.equal(cart.reason, 'its own strategy in sampling.strategies');
      assert.equal(frontend.reason, 'the default strategy in sampling.strategies');
      assert.deepEqual(frontend.strategy, {
        strategyType: 'PROBABILISTIC',
        probabilisticSampling: { samplingRate: 0.2 },
      });
      assert.match(search.reason, /adaptive/);
      assert.deepEqual(
        search.adaptiveOperations?.map((o) => [
          o.operation,
          o.probability,
          o.tracesPerSecond,
          o.targetSamplesPerSecond,
        ]),
        [['GET /search', 0.04, 250, 10]],
      );
      assert.deepEqual(cart.adaptiveOperations, []);
      // As SDKs receive it: probabilisticSampling filled in from the operations' default.
      assert.deepEqual(search.strategy, {
        strategyType: 'PROBABILISTIC',
        probabilisticSampling: { samplingRate: 0.02 },
        operationSampling: {
          defaultSamplingProbability: 0.02,
          defaultLowerBoundTracesPerSecond: 0.1,
          perOperationStrategies: [
            { operation: 'GET /search', probabilisticSampling: { samplingRate: 0.04 } },
          ],
          defaultUpperBoundTracesPerSecond: 0,
        },
      });
      assert.equal(data.default.origin, 'default');
      assert.deepEqual(data.default.strategy, {
        strategyType: 'PROBABILISTIC',
        probabilisticSampling: { samplingRate: 0.2 },
      });
    } finally {
      resolver.adaptive = undefined;
    }
  });

  test('without an adaptive source, services it would compute get the default', async () => {
    const data = await strategies();
    assert.equal(data.adaptive, false);
    assert.equal(data.services[0].adaptiveOperations, undefined);
    assert.deepEqual(
      data.services.map((s) => [s.service, s.origin]),
      [
        ['cart', 'file'],
        ['frontend', 'default'],
        ['payments', 'file'],
      ],
    );
  });

  test('?service=NAME: that service only, known or not', async () => {
    const data = await strategies('/api/sampling/strategies?service=never-seen');
    assert.deepEqual(
      data.services.map((s) => [s.service, s.origin]),
      [['never-seen', 'default']],
    );
    const bad = await app.inject({ method: 'GET', url: '/api/sampling/strategies?service=' });
    assert.equal(bad.statusCode, 400);
    assert.match(
      bad.json<{ errors: { msg: string }[] }>().errors[0].msg,
      /parameter "service" must be one service name/,
    );
  });

  test('a process without the sampling service answers 501 saying where it runs', async () => {
    const res = await withoutSampling.inject({ method: 'GET', url: '/api/sampling/strategies' });
    assert.equal(res.statusCode, 501);
    assert.match(
      res.json<{ errors: { msg: string }[] }>().errors[0].msg,
      /the sampling service does not run in this process; it runs in the all and collector roles/,
    );
  });
});

describe('GET /api/sampling/strategies per tenant', () => {
  let store: DuckDbStorage;
  let app: FastifyInstance;
  let security: SecurityLayer;

  before(async () => {
    store = new DuckDbStorage({ path: ':memory:' });
    await store.open();
    const acme = { ...makeResource('acme-only'), tenant: 'acme' };
    await store.write([
      makeSpan({
        traceId: 'c'.repeat(32),
        spanId: '00000000000000c1',
        resource: makeResource('shop'),
      }),
      // The same trace and span ids in acme, from a service only acme has.
      makeSpan({ traceId: 'c'.repeat(32), spanId: '00000000000000c1', resource: acme }),
    ]);
    const sampling = structuredClone(defaultConfig.sampling);
    const file = new FileStrategySource(sampling, { logger: pino({ level: 'silent' }) });
    const adaptive = new AdaptiveStrategySource();
    adaptive.publish(
      [
        ['', 0.002],
        ['acme', 0.04],
      ].map(([tenant, probability]) => ({
        tenant: tenant as string,
        service: 'shop',
        operation: 'GET /cart',
        probability: probability as number,
        tracesPerSecond: 100,
        sampledPerSecond: 1,
        updatedAt: 0,
      })),
      compileAdaptiveSection({ ...defaultConfig.sampling.adaptive, enabled: true }),
    );
    const resolver = new StrategyResolver({ file, adaptive });
    const logger = pino({ level: 'silent' });
    // Auth off (no tokens): the tenant comes from the X-Scope-OrgID header, as the guard resolves it.
    security = new SecurityLayer({ config: defaultConfig, registry: new Registry(), logger });
    app = await createQueryApp({
      reader: store,
      defaultLimit: 20,
      maxLimit: 1500,
      sampling: () => resolver,
      protect: (a) => security.fastify(a, 'query'),
    });
  });

  after(async () => {
    await app.close();
    await store.close();
    security.close();
  });

  async function asTenant(tenant: string | undefined): Promise<SamplingStrategiesResponse> {
    const res = await app.inject({
      method: 'GET',
      url: '/api/sampling/strategies',
      headers: tenant === undefined ? {} : { 'x-scope-orgid': tenant },
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ data: SamplingStrategiesResponse }>().data;
  }

  test('each tenant sees its own services, its own adaptive probabilities and rates', async () => {
    const mine = await asTenant(undefined);
    const acme = await asTenant('acme');
    assert.deepEqual(
      mine.services.map((s) => [s.service, s.origin]),
      [['shop', 'adaptive']],
    );
    assert.deepEqual(
      acme.services.map((s) => [s.service, s.origin]),
      [
        ['acme-only', 'default'],
        ['shop', 'adaptive'],
      ],
    );
    const rate = (data: SamplingStrategiesResponse) =>
      data.services.find((s) => s.service === 'shop')?.adaptiveOperations?.[0]?.probability;
    assert.equal(rate(mine), 0.002);
    assert.equal(rate(acme), 0.04);
    const globex = await asTenant('globex');
    assert.deepEqual(globex.services, [], 'nothing stored or computed for globex');
  });
});
