import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultConfig } from '../config/config.ts';
import { ConfigError } from '../errors.ts';
import { compileStrategies, type CompiledStrategies } from './compiled-strategies.ts';
import type { SamplingStrategyResponse } from './strategy-source.ts';

/*
 * The shapes of Jaeger's file-provider test data (per-operation inheritance and
 * merging, rate-limited services, missing types), with what Jaeger serves for them,
 * and the files Skein refuses.
 */

function compile(doc: unknown): CompiledStrategies {
  return compileStrategies(doc, 'strategies.json', 'snake');
}

function service(c: CompiledStrategies, name: string): SamplingStrategyResponse {
  const s = c.services.get(name);
  assert.ok(s, `${name} has a strategy`);
  return s;
}

function operations(s: SamplingStrategyResponse): [string, number][] {
  return (s.operationSampling?.perOperationStrategies ?? []).map((o) => [
    o.operation,
    o.probabilisticSampling.samplingRate,
  ]);
}

describe('compileStrategies (Jaeger strategies files)', () => {
  test('services and a default: probabilistic and ratelimiting', () => {
    const c = compile({
      default_strategy: { type: 'probabilistic', param: 0.5 },
      service_strategies: [
        { service: 'foo', type: 'probabilistic', param: 0.8 },
        { service: 'bar', type: 'ratelimiting', param: 5 },
      ],
    });
    assert.deepEqual(service(c, 'foo'), {
      strategyType: 'PROBABILISTIC',
      probabilisticSampling: { samplingRate: 0.8 },
    });
    assert.deepEqual(service(c, 'bar'), {
      strategyType: 'RATE_LIMITING',
      rateLimitingSampling: { maxTracesPerSecond: 5 },
    });
    assert.deepEqual(c.defaultStrategy, {
      strategyType: 'PROBABILISTIC',
      probabilisticSampling: { samplingRate: 0.5 },
    });
    assert.equal(c.hasDefault, true);
    assert.equal(c.warnings.size, 0);
  });

  test('operation strategies: a service lists its own first, then the default ones it does not name', () => {
    const c = compile({
      default_strategy: {
        type: 'probabilistic',
        param: 0.5,
        operation_strategies: [
          { operation: 'op0', type: 'probabilistic', param: 0.2 },
          { operation: 'op6', type: 'probabilistic', param: 0 },
          { operation: 'spam', type: 'ratelimiting', param: 1 },
          { operation: 'op7', type: 'probabilistic', param: 1 },
        ],
      },
      service_strategies: [
        {
          service: 'foo',
          type: 'probabilistic',
          param: 0.8,
          operation_strategies: [
            { operation: 'op6', type: 'probabilistic', param: 0.5 },
            { operation: 'op1', type: 'probabilistic', param: 0.2 },
            { operation: 'op2', type: 'ratelimiting', param: 10 },
          ],
        },
        {
          service: 'bar',
          type: 'ratelimiting',
          param: 5,
          operation_strategies: [
            { operation: 'op3', type: 'probabilistic', param: 0.3 },
            { operation: 'op4', type: 'ratelimiting', param: 100 },
            { operation: 'op5', type: 'probabilistic', param: 0.4 },
          ],
        },
      ],
    });
    const foo = service(c, 'foo');
    assert.deepEqual(foo.probabilisticSampling, { samplingRate: 0.8 });
    assert.equal(foo.operationSampling?.defaultSamplingProbability, 0.8);
    assert.deepEqual(operations(foo), [
      ['op6', 0.5],
      ['op1', 0.2],
      ['op0', 0.2],
      ['op7', 1],
    ]);
    const bar = service(c, 'bar');
    assert.deepEqual(bar.rateLimitingSampling, { maxTracesPerSecond: 5 });
    // Jaeger: a rate-limited service's operations default to the built-in probability.
    assert.equal(bar.operationSampling?.defaultSamplingProbability, 0.001);
    assert.deepEqual(operations(bar), [
      ['op3', 0.3],
      ['op5', 0.4],
      ['op0', 0.2],
      ['op6', 0],
      ['op7', 1],
    ]);
    assert.deepEqual(c.defaultStrategy, {
      strategyType: 'PROBABILISTIC',
      probabilisticSampling: { samplingRate: 0.5 },
      operationSampling: {
        defaultSamplingProbability: 0.5,
        defaultLowerBoundTracesPerSecond: 0,
        perOperationStrategies: [
          { operation: 'op0', probabilisticSampling: { samplingRate: 0.2 } },
          { operation: 'op6', probabilisticSampling: { samplingRate: 0 } },
          { operation: 'op7', probabilisticSampling: { samplingRate: 1 } },
        ],
        defaultUpperBoundTracesPerSecond: 0,
      },
    });
    // Skipped rate-limited operations are said, and so is the rate limit SDKs will ignore.
    assert.match(
      c.warnings.get('')?.join('\n') ?? '',
      /operation "spam": ratelimiting is not served/,
    );
    assert.match(c.warnings.get('foo')?.join('\n') ?? '', /operation "op2"/);
    const barWarnings = c.warnings.get('bar')?.join('\n') ?? '';
    assert.match(barWarnings, /operation "op4"/);
    assert.match(barWarnings, /ignore the rate limit/);
  });

  test('a service without operation strategies inherits the default ones, with its own probability', () => {
    const c = compile({
      service_strategies: [
        { service: 'ServiceA', type: 'probabilistic', param: 1.0 },
        { service: 'ServiceB', type: 'ratelimiting', param: 3 },
      ],
      default_strategy: {
        type: 'probabilistic',
        param: 0.2,
        operation_strategies: [{ operation: '/health', type: 'probabilistic', param: 0.1 }],
      },
    });
    const a = service(c, 'ServiceA');
    assert.deepEqual(a.operationSampling, {
      defaultSamplingProbability: 1,
      defaultLowerBoundTracesPerSecond: 0,
      perOperationStrategies: [
        { operation: '/health', probabilisticSampling: { samplingRate: 0.1 } },
      ],
      defaultUpperBoundTracesPerSecond: 0,
    });
    const b = service(c, 'ServiceB');
    assert.deepEqual(b.rateLimitingSampling, { maxTracesPerSecond: 3 });
    // The default's operation sampling as it is (Jaeger's "bugfix-5270" behaviour).
    assert.equal(b.operationSampling?.defaultSamplingProbability, 0.2);
    assert.deepEqual(operations(b), [['/health', 0.1]]);
    assert.match(c.warnings.get('ServiceB')?.join('\n') ?? '', /ignore the rate limit/);
  });

  test('a service entry without type and param takes the default strategy (Jaeger would serve 0.001)', () => {
    const c = compile({
      default_strategy: { type: 'probabilistic', param: 0.5 },
      service_strategies: [
        {
          service: 'foo',
          operation_strategies: [{ operation: 'op1', type: 'probabilistic', param: 0.2 }],
        },
      ],
    });
    const foo = service(c, 'foo');
    assert.deepEqual(foo.probabilisticSampling, { samplingRate: 0.5 });
    assert.equal(foo.operationSampling?.defaultSamplingProbability, 0.5);
    assert.deepEqual(operations(foo), [['op1', 0.2]]);
  });

  test('no default strategy (or a null document): Jaeger built-in probabilistic 0.001', () => {
    for (const doc of [null, {}, { service_strategies: [] }]) {
      const c = compile(doc);
      assert.equal(c.hasDefault, false);
      assert.deepEqual(c.defaultStrategy, {
        strategyType: 'PROBABILISTIC',
        probabilisticSampling: { samplingRate: 0.001 },
      });
    }
  });

  test('the per-operation lower bound (a Skein extension) is served, a service overriding the default', () => {
    const c = compile({
      default_strategy: {
        type: 'probabilistic',
        param: 0.1,
        default_lower_bound_traces_per_second: 0.5,
        operation_strategies: [{ operation: 'a', type: 'probabilistic', param: 1 }],
      },
      service_strategies: [
        { service: 'x', type: 'probabilistic', param: 0.2 },
        {
          service: 'y',
          type: 'probabilistic',
          param: 0.2,
          default_lower_bound_traces_per_second: 2,
        },
      ],
    });
    assert.equal(service(c, 'x').operationSampling?.defaultLowerBoundTracesPerSecond, 0.5);
    assert.equal(service(c, 'y').operationSampling?.defaultLowerBoundTracesPerSecond, 2);
  });

  test("Skein's YAML form (camelCase): the config default is Jaeger's 0.001", () => {
    const c = compileStrategies(defaultConfig.sampling.strategies, 'sampling.strategies', 'camel');
    assert.deepEqual(c.defaultStrategy, {
      strategyType: 'PROBABILISTIC',
      probabilisticSampling: { samplingRate: 0.001 },
    });
    const yaml = compileStrategies(
      {
        defaultStrategy: { type: 'probabilistic', param: 0.25, operationStrategies: [] },
        serviceStrategies: [
          {
            service: 'cart',
            type: 'probabilistic',
            param: 1,
            operationStrategies: [{ operation: 'GET /health', type: 'probabilistic', param: 0 }],
          },
        ],
      },
      'sampling.strategies',
      'camel',
    );
    assert.deepEqual(operations(service(yaml, 'cart')), [['GET /health', 0]]);
    assert.throws(
      () =>
        compileStrategies(
          {
            serviceStrategies: [
              { service: 'x', type: 'probabilistic', param: 0.1, operation_strategies: [] },
            ],
          },
          'sampling.strategies',
          'camel',
        ),
      /sampling\.strategies: serviceStrategies\[0\]\.operation_strategies: unknown key; known keys here: service, type, param, operationStrategies/,
    );
  });

  const refused: [string, unknown, RegExp][] = [
    [
      'not an object',
      'nonsense',
      /strategies\.json: expected an object with default_strategy and service_strategies/,
    ],
    [
      'an unknown top-level key (a typo)',
      { default_strategy: { type: 'probabilistic', param: 0.1 }, service_strategy: [] },
      /strategies\.json\.service_strategy: unknown key; known keys here: default_strategy, service_strategies/,
    ],
    [
      'an unknown type',
      { default_strategy: { type: 'probabalistic', param: 0.1 } },
      /default_strategy\.type: must be "probabilistic" or "ratelimiting", got "probabalistic"/,
    ],
    [
      'a probability above 1',
      { service_strategies: [{ service: 'a', type: 'probabilistic', param: 50 }] },
      /service_strategies\[0\]\.param: a probability must be from 0 to 1, got 50 \(for 50% write 0\.5\)/,
    ],
    [
      'a negative probability',
      { default_strategy: { type: 'probabilistic', param: -0.1 } },
      /default_strategy\.param: a probability must be from 0 to 1, got -0\.1/,
    ],
    [
      'a fractional rate limit',
      { default_strategy: { type: 'ratelimiting', param: 0.5 } },
      /ratelimiting takes a whole number of traces per second, 0 or more .*got 0\.5/,
    ],
    [
      'a type without a param',
      { default_strategy: { type: 'probabilistic' } },
      /default_strategy\.param: a number is required \(the probability, 0 to 1\), got null/,
    ],
    [
      'a param given as a string',
      { default_strategy: { type: 'probabilistic', param: '0.1' } },
      /default_strategy\.param: a number is required/,
    ],
    [
      'a service twice',
      {
        service_strategies: [
          { service: 'a', type: 'probabilistic', param: 0.1 },
          { service: 'a', type: 'probabilistic', param: 0.2 },
        ],
      },
      /service_strategies\[1\]\.service: "a" already has a strategy above/,
    ],
    [
      'a service without a name',
      { service_strategies: [{ type: 'probabilistic', param: 0.1 }] },
      /service_strategies\[0\]\.service: the service name is required/,
    ],
    [
      'an operation twice',
      {
        default_strategy: {
          type: 'probabilistic',
          param: 0.1,
          operation_strategies: [
            { operation: 'x', type: 'probabilistic', param: 0.1 },
            { operation: 'x', type: 'probabilistic', param: 0.2 },
          ],
        },
      },
      /operation_strategies\[1\]\.operation: "x" already has a strategy above/,
    ],
    [
      'an operation probability out of range',
      {
        service_strategies: [
          {
            service: 'a',
            type: 'probabilistic',
            param: 0.1,
            operation_strategies: [{ operation: 'x', type: 'probabilistic', param: 2 }],
          },
        ],
      },
      /service_strategies\[0\]\.operation_strategies\[0\]\.param: a probability must be from 0 to 1, got 2/,
    ],
    [
      'a camelCase key in the JSON file',
      { defaultStrategy: { type: 'probabilistic', param: 0.1 } },
      /strategies\.json\.defaultStrategy: unknown key; known keys here: default_strategy, service_strategies/,
    ],
    [
      'a negative lower bound',
      {
        default_strategy: {
          type: 'probabilistic',
          param: 0.1,
          default_lower_bound_traces_per_second: -1,
        },
      },
      /default_lower_bound_traces_per_second: must be a number of traces per second, 0 or more, got -1/,
    ],
  ];
  for (const [what, doc, message] of refused) {
    test(`refused: ${what}`, () => {
      assert.throws(
        () => compile(doc),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }
});
