import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  baseProbability,
  describeStrategy,
  formatProbability,
  formatTracesPerSecond,
  operationRows,
  parseSamplingStrategies,
  parseServedStrategy,
  rateBar,
  sortOperationRows,
  strategySummary,
  targetStanding,
  type OperationRow,
  type ServiceStrategy,
} from './sampling-strategies.ts';

/** An answer shaped as docs/api.md documents it (what skein all serves with a strategies file and the adaptive calculator). */
const BODY = {
  data: {
    default: {
      origin: 'default',
      reason: 'the default strategy in /etc/skein/strategies.json',
      strategy: { strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 0.01 } },
      warnings: [],
    },
    adaptive: true,
    services: [
      {
        service: 'cart',
        origin: 'file',
        reason: 'its own strategy in /etc/skein/strategies.json',
        strategy: {
          strategyType: 'PROBABILISTIC',
          probabilisticSampling: { samplingRate: 0.1 },
          operationSampling: {
            defaultSamplingProbability: 0.1,
            defaultLowerBoundTracesPerSecond: 0.5,
            perOperationStrategies: [
              { operation: 'POST /cart/items', probabilisticSampling: { samplingRate: 0.5 } },
              { operation: 'GET /health', probabilisticSampling: { samplingRate: 0 } },
            ],
            defaultUpperBoundTracesPerSecond: 0,
          },
        },
        warnings: [],
        adaptiveOperations: [
          {
            operation: 'POST /cart/items',
            probability: 0.02,
            tracesPerSecond: 100,
            sampledPerSecond: 50,
            targetSamplesPerSecond: 2,
            updatedAt: 1_780_000_000_000,
          },
          {
            operation: 'GET /cart',
            probability: 0.2,
            tracesPerSecond: 5,
            sampledPerSecond: 0.5,
            targetSamplesPerSecond: 1,
            updatedAt: 1_780_000_000_000,
          },
        ],
      },
      {
        service: 'search',
        origin: 'file',
        reason: 'its own strategy in /etc/skein/strategies.json',
        strategy: {
          strategyType: 'RATE_LIMITING',
          rateLimitingSampling: { maxTracesPerSecond: 20 },
        },
        warnings: ['@opentelemetry/sampler-jaeger-remote ignores ratelimiting strategies'],
        adaptiveOperations: [],
      },
      {
        service: 'shop',
        origin: 'adaptive',
        reason: 'computed by the adaptive sampler from its observed traffic',
        strategy: {
          strategyType: 'PROBABILISTIC',
          probabilisticSampling: { samplingRate: 0.001 },
          operationSampling: {
            defaultSamplingProbability: 0.001,
            defaultLowerBoundTracesPerSecond: 0.0166,
            perOperationStrategies: [
              { operation: 'a', probabilisticSampling: { samplingRate: 0.25 } },
              { operation: 'b', probabilisticSampling: { samplingRate: 1 } },
            ],
            defaultUpperBoundTracesPerSecond: 0,
          },
        },
        warnings: [],
        adaptiveOperations: [
          {
            operation: 'a',
            probability: 0.25,
            tracesPerSecond: -1,
            sampledPerSecond: 0,
            targetSamplesPerSecond: 1,
            updatedAt: 1_780_000_000_000,
          },
        ],
      },
    ],
  },
  total: 3,
  limit: 0,
  offset: 0,
  errors: null,
};

const parsed = () => parseSamplingStrategies(structuredClone(BODY));
const service = (name: string): ServiceStrategy =>
  parsed().services.find((s) => s.service === name)!;

describe('parsing /api/sampling/strategies', () => {
  test('every documented field is read', () => {
    const r = parsed();
    assert.equal(r.adaptive, true);
    assert.deepEqual(r.default, {
      origin: 'default',
      reason: 'the default strategy in /etc/skein/strategies.json',
      strategy: {
        type: 'PROBABILISTIC',
        probability: 0.01,
        maxTracesPerSecond: null,
        operationSampling: null,
      },
      warnings: [],
    });
    assert.deepEqual(
      r.services.map((s) => [s.service, s.origin]),
      [
        ['cart', 'file'],
        ['search', 'file'],
        ['shop', 'adaptive'],
      ],
    );
    const cart = r.services[0];
    assert.equal(cart.reason, 'its own strategy in /etc/skein/strategies.json');
    assert.deepEqual(cart.strategy.operationSampling, {
      defaultProbability: 0.1,
      lowerBound: 0.5,
      upperBound: 0,
      operations: [
        { operation: 'POST /cart/items', probability: 0.5 },
        { operation: 'GET /health', probability: 0 },
      ],
    });
    assert.deepEqual(cart.adaptiveOperations?.[0], {
      operation: 'POST /cart/items',
      probability: 0.02,
      tracesPerSecond: 100,
      sampledPerSecond: 50,
      targetSamplesPerSecond: 2,
      updatedAt: 1_780_000_000_000,
    });
    assert.deepEqual(r.services[1].strategy, {
      type: 'RATE_LIMITING',
      probability: null,
      maxTracesPerSecond: 20,
      operationSampling: null,
    });
    assert.deepEqual(r.services[1].warnings, [
      '@opentelemetry/sampler-jaeger-remote ignores ratelimiting strategies',
    ]);
    assert.deepEqual(r.services[1].adaptiveOperations, []);
  });

  test('an observed rate of -1 (no estimate yet) is read as unknown', () => {
    assert.equal(service('shop').adaptiveOperations?.[0].tracesPerSecond, null);
  });

  test('without the adaptive calculator, adaptiveOperations is absent and adaptive false', () => {
    const body = structuredClone(BODY) as { data: Record<string, unknown> };
    delete body.data.adaptive;
    for (const s of body.data.services as Record<string, unknown>[]) delete s.adaptiveOperations;
    const r = parseSamplingStrategies(body);
    assert.equal(r.adaptive, false);
    assert.ok(r.services.every((s) => s.adaptiveOperations === null));
  });

  test('a missing lower or upper bound reads as 0, Jaeger`s default', () => {
    const s = parseServedStrategy(
      {
        strategyType: 'PROBABILISTIC',
        operationSampling: { defaultSamplingProbability: 0.2, perOperationStrategies: [] },
      },
      'x',
    );
    assert.equal(s.probability, null);
    assert.deepEqual(s.operationSampling, {
      defaultProbability: 0.2,
      lowerBound: 0,
      upperBound: 0,
      operations: [],
    });
  });

  test('each wrong field is named in the error', () => {
    const cases: [(b: any) => void, RegExp][] = [
      [(b) => (b.data = null), /no object at data;/],
      [(b) => delete b.data.default, /no object at data\.default;/],
      [(b) => (b.data.services = {}), /no list at data\.services;/],
      [(b) => (b.data.services[1].service = 7), /no text at data\.services\[1\]\.service;/],
      [(b) => delete b.data.services[0].origin, /no text at data\.services\[0\]\.origin;/],
      [(b) => (b.data.services[0].reason = null), /no text at data\.services\[0\]\.reason;/],
      [
        (b) => (b.data.services[0].strategy.strategyType = 1),
        /no text at data\.services\[0\]\.strategy\.strategyType;/,
      ],
      [
        (b) => (b.data.services[1].strategy.rateLimitingSampling.maxTracesPerSecond = '20'),
        /no number at data\.services\[1\]\.strategy\.rateLimitingSampling\.maxTracesPerSecond;/,
      ],
      [
        (b) => (b.data.default.strategy.probabilisticSampling = 0.1),
        /no object at data\.default\.strategy\.probabilisticSampling;/,
      ],
      [
        (b) =>
          (b.data.services[0].strategy.operationSampling.perOperationStrategies[1].probabilisticSampling.samplingRate =
            NaN),
        /no number at data\.services\[0\]\.strategy\.operationSampling\.perOperationStrategies\[1\]\.probabilisticSampling\.samplingRate;/,
      ],
      [
        (b) => delete b.data.services[0].strategy.operationSampling.defaultSamplingProbability,
        /no number at data\.services\[0\]\.strategy\.operationSampling\.defaultSamplingProbability;/,
      ],
      [
        (b) => (b.data.services[0].warnings = [3]),
        /no text at data\.services\[0\]\.warnings\[0\];/,
      ],
      [
        (b) => (b.data.services[0].adaptiveOperations[1].targetSamplesPerSecond = null),
        /no number at data\.services\[0\]\.adaptiveOperations\[1\]\.targetSamplesPerSecond;/,
      ],
      [
        (b) => delete b.data.services[0].adaptiveOperations[0].tracesPerSecond,
        /no number at data\.services\[0\]\.adaptiveOperations\[0\]\.tracesPerSecond;/,
      ],
    ];
    for (const [spoil, message] of cases) {
      const body = structuredClone(BODY);
      spoil(body);
      assert.throws(() => parseSamplingStrategies(body), message);
    }
  });
});

describe('formats', () => {
  test('probabilities keep small values readable', () => {
    assert.deepEqual(
      [1, 0.5, 0.1, 0.01, 0.001, 0.0005, 1 / 3, 0.123456, 0, null].map(formatProbability),
      ['100%', '50%', '10%', '1%', '0.1%', '0.05%', '33.3%', '12.3%', '0%', '–'],
    );
  });

  test('traces per second', () => {
    assert.deepEqual([20, 123.4, 12.34, 1.234, 0.25, 0.0166, 0, null].map(formatTracesPerSecond), [
      '20',
      '123',
      '12.3',
      '1.23',
      '0.25',
      '0.017',
      '0',
      '–',
    ]);
  });
});

describe('the strategy in plain words', () => {
  test('each kind of strategy', () => {
    const r = parsed();
    assert.equal(strategySummary(r.default), 'probabilistic 1% (default)');
    assert.equal(
      strategySummary(service('cart')),
      'per operation: 2 operations, others 10% (file)',
    );
    assert.equal(strategySummary(service('search')), 'rate limiting, 20 traces/s (file)');
    assert.equal(strategySummary(service('shop')), 'adaptive, 2 operations (adaptive)');
  });

  test('one operation is singular; a rate limit served beside operations is described by the operations', () => {
    const s = parseServedStrategy(
      {
        strategyType: 'RATE_LIMITING',
        rateLimitingSampling: { maxTracesPerSecond: 5 },
        operationSampling: {
          defaultSamplingProbability: 0.001,
          perOperationStrategies: [{ operation: 'x', probabilisticSampling: { samplingRate: 1 } }],
        },
      },
      's',
    );
    assert.equal(describeStrategy(s, 'file'), 'per operation: 1 operation, others 0.1%');
    assert.equal(describeStrategy(s, 'adaptive'), 'adaptive, 1 operation');
  });

  test('an unknown strategy type from a newer server is shown as its name', () => {
    const s = parseServedStrategy({ strategyType: 'TAIL_WAGGING' }, 's');
    assert.equal(describeStrategy(s, 'file'), 'tail wagging');
  });

  test('the probability an SDK starts from', () => {
    assert.equal(baseProbability(service('cart').strategy), 0.1);
    assert.equal(baseProbability(service('search').strategy), null);
    assert.equal(baseProbability(parsed().default.strategy), 0.01);
  });
});

describe('operation rows', () => {
  test('listed and adaptive operations merged by name, each with what SDKs apply', () => {
    assert.deepEqual(operationRows(service('cart')), [
      {
        // Reported by the calculator, not listed: the operations' default probability.
        operation: 'GET /cart',
        served: 0.1,
        servedFrom: 'operations-default',
        computed: 0.2,
        observed: 5,
        sampled: 0.5,
        target: 1,
      },
      {
        operation: 'GET /health',
        served: 0,
        servedFrom: 'operation',
        computed: null,
        observed: null,
        sampled: null,
        target: null,
      },
      {
        // Pinned by the file at 50% although the calculator computed 2%.
        operation: 'POST /cart/items',
        served: 0.5,
        servedFrom: 'operation',
        computed: 0.02,
        observed: 100,
        sampled: 50,
        target: 2,
      },
    ]);
  });

  test('without operation sampling: the service probability, or no probability under a rate limit', () => {
    const withOp = (s: ServiceStrategy): ServiceStrategy => ({
      ...s,
      adaptiveOperations: [
        {
          operation: 'q',
          probability: 0.3,
          tracesPerSecond: 4,
          sampledPerSecond: 1,
          targetSamplesPerSecond: 1,
          updatedAt: 0,
        },
      ],
    });
    const [limited] = operationRows(withOp(service('search')));
    assert.equal(limited.served, null);
    assert.equal(limited.servedFrom, 'rate-limit');
    const plain = withOp({ ...service('search'), strategy: parsed().default.strategy });
    const [row] = operationRows(plain);
    assert.equal(row.served, 0.01);
    assert.equal(row.servedFrom, 'service');
    assert.deepEqual(operationRows(service('search')), []);
  });
});

describe('sorting operations', () => {
  const rows = (): OperationRow[] => operationRows(service('cart'));
  const names = (r: OperationRow[]) => r.map((x) => x.operation);

  test('by name either way', () => {
    assert.deepEqual(names(sortOperationRows(rows(), 'operation', false)), [
      'GET /cart',
      'GET /health',
      'POST /cart/items',
    ]);
    assert.deepEqual(names(sortOperationRows(rows(), 'operation', true)), [
      'POST /cart/items',
      'GET /health',
      'GET /cart',
    ]);
  });

  test('by a number, rows without it last in either direction', () => {
    assert.deepEqual(names(sortOperationRows(rows(), 'observed', true)), [
      'POST /cart/items',
      'GET /cart',
      'GET /health',
    ]);
    assert.deepEqual(names(sortOperationRows(rows(), 'observed', false)), [
      'GET /cart',
      'POST /cart/items',
      'GET /health',
    ]);
    assert.deepEqual(names(sortOperationRows(rows(), 'served', true)), [
      'POST /cart/items',
      'GET /cart',
      'GET /health',
    ]);
    assert.deepEqual(names(sortOperationRows(rows(), 'computed', false)), [
      'POST /cart/items',
      'GET /cart',
      'GET /health',
    ]);
  });

  test('ties by name, so refreshes keep the order', () => {
    const base = rows()[0];
    const tied = ['c', 'a', 'b'].map((operation) => ({ ...base, operation, target: 1 }));
    assert.deepEqual(names(sortOperationRows(tied, 'target', true)), ['a', 'b', 'c']);
    assert.deepEqual(names(sortOperationRows(tied, 'target', false)), ['a', 'b', 'c']);
  });
});

describe('the rate bar and the standing against the target', () => {
  const row = (
    observed: number | null,
    sampled: number | null,
    target: number | null,
    served = 0.1,
  ) => ({
    operation: 'x',
    served,
    servedFrom: 'operation' as const,
    computed: null,
    observed,
    sampled,
    target,
  });

  test('sampled against the target, the larger of the two at 80% of the bar', () => {
    assert.deepEqual(rateBar(row(200, 2, 2)), { sampled: 0.8, target: 0.8 });
    assert.deepEqual(rateBar(row(3, 3, 5)), { sampled: 0.48, target: 0.8 });
    assert.deepEqual(rateBar(row(100, 50, 2)), { sampled: 0.8, target: 0.032 });
    assert.deepEqual(rateBar(row(null, 0.5, null)), { sampled: 0.8, target: null });
    assert.deepEqual(rateBar(row(10, 0, 1)), { sampled: 0, target: 0.8 });
    assert.equal(rateBar(row(100, null, 1)), null);
    assert.equal(rateBar(row(0, 0, 0)), null);
  });

  test('on target within the tolerance; below with traffic under the target and everything kept is "all"', () => {
    assert.equal(targetStanding(row(100, 1.2, 1)), 'on');
    assert.equal(targetStanding(row(100, 0.75, 1)), 'on');
    assert.equal(targetStanding(row(100, 0.5, 1)), 'below');
    assert.equal(targetStanding(row(0.5, 0.5, 1, 1)), 'all');
    assert.equal(targetStanding(row(100, 2, 1)), 'above');
    assert.equal(targetStanding(row(100, 1.05, 1), 0.01), 'above');
    assert.equal(targetStanding(row(100, null, 1)), null);
    assert.equal(targetStanding(row(100, 1, 0)), null);
    assert.equal(targetStanding(row(null, 0, 1)), null);
  });
});
