import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ThroughputRow } from '../../storage/sampling-store.ts';
import { defaultConfig } from '../../config/config.ts';
import type { AdaptiveSamplingConfig } from '../../config/config.ts';
import { compileAdaptiveSection } from './adaptive-settings.ts';
import { IDLE_INTERVALS, ProbabilityCalculator } from './probability-calculator.ts';

const SECONDS = 60;

function settings(over: Partial<AdaptiveSamplingConfig> = {}) {
  return compileAdaptiveSection({ ...defaultConfig.sampling.adaptive, enabled: true, ...over });
}

/**
 * The throughput an SDK sampling at probability `p` produces when the operation gets
 * `rate` requests per second, in expectation (exact numbers: no sampling noise here).
 */
function expected(
  service: string,
  operation: string,
  rate: number,
  p: number,
  tenant = '',
): ThroughputRow {
  const roots = rate * p * SECONDS;
  return {
    tenant,
    service,
    operation,
    roots,
    probabilistic: roots,
    estimatedTraces: rate * SECONDS,
    unadaptable: 0,
  };
}

/** Runs `n` intervals of an operation at `rate` req/s, the SDK applying the served probability. */
function run(
  c: ProbabilityCalculator,
  n: number,
  rate: number,
  service = 's',
  operation = 'op',
): number[] {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) {
    c.calculate(
      [expected(service, operation, rate, c.probabilityOf(service, operation))],
      SECONDS,
      i,
    );
    seen.push(c.probabilityOf(service, operation));
  }
  return seen;
}

describe('ProbabilityCalculator', () => {
  test('converges on target / traffic, rising at most ×2 per interval, stopping within tolerance', () => {
    // 100 req/s, target 1/s → 0.01; from the initial 0.001: 0.002, 0.004, 0.008. At 0.008
    // the sampled rate is 0.8/s, 20% off: within the default 30% tolerance, it stays.
    const loose = new ProbabilityCalculator(settings({ targetSamplesPerSecond: 1 }));
    assert.deepEqual(run(loose, 6, 100), [0.002, 0.004, 0.008, 0.008, 0.008, 0.008]);
    // With a 10% tolerance it goes on to 0.01 and stays there.
    const tight = new ProbabilityCalculator(
      settings({ targetSamplesPerSecond: 1, deltaTolerance: 0.1 }),
    );
    const seen = run(tight, 6, 100);
    assert.deepEqual(seen.slice(0, 3), [0.002, 0.004, 0.008]);
    assert.ok(Math.abs(seen[3] - 0.01) < 1e-12, `reaches 0.01: ${seen[3]}`);
    assert.deepEqual(seen.slice(4), [seen[3], seen[3]], 'stays once on target');
  });

  test('a traffic rise lowers the probability in one interval; a fall is followed smoothly', () => {
    const c = new ProbabilityCalculator(
      settings({ targetSamplesPerSecond: 1, deltaTolerance: 0.1 }),
    );
    run(c, 6, 100);
    const [afterRise] = run(c, 1, 1000);
    assert.ok(Math.abs(afterRise - 0.001) < 1e-12, `10× traffic → 10× lower at once: ${afterRise}`);
    // Back to 100 req/s: the estimate falls by half the gap each interval (1000 → 550 →
    // 325 → ...), and the probability may at most double per interval.
    const fall = run(c, 12, 100);
    assert.ok(Math.abs(fall[0] - 1 / 550) < 1e-12, `first interval after the fall: ${fall[0]}`);
    assert.ok(
      fall[1] > fall[0] && fall[1] <= 2 * fall[0],
      `rises at most ×2: ${fall[0]} → ${fall[1]}`,
    );
    assert.ok(Math.abs(fall[11] - 0.01) / 0.01 <= 0.1, `back near 0.01: ${fall[11]}`);
  });

  test('a rise that sampling noise explains is smoothed, not taken at once', () => {
    const c = new ProbabilityCalculator(settings({ targetSamplesPerSecond: 1 }));
    const row = {
      tenant: '',
      service: 's',
      operation: 'op',
      probability: 0.01,
      tracesPerSecond: 100,
      sampledPerSecond: 1,
      updatedAt: 0,
    };
    c.load([row]);
    // +50% from 10 sampled roots: 3/√10 = 95% of noise, so the estimate moves half-way
    // (125 req/s) and 1.25/s is within the 30% tolerance: the probability stays.
    c.calculate(
      [
        {
          tenant: '',
          service: 's',
          operation: 'op',
          roots: 10,
          probabilistic: 10,
          estimatedTraces: 150 * SECONDS,
          unadaptable: 0,
        },
      ],
      SECONDS,
      1,
    );
    assert.equal(c.rows()[0].tracesPerSecond, 125);
    assert.equal(c.probabilityOf('s', 'op'), 0.01);
    // The same +50% from 900 roots (3/√900 = 10%) is real: taken at once → 1/150.
    c.load([row]);
    c.calculate(
      [
        {
          tenant: '',
          service: 's',
          operation: 'op',
          roots: 900,
          probabilistic: 900,
          estimatedTraces: 150 * SECONDS,
          unadaptable: 0,
        },
      ],
      SECONDS,
      1,
    );
    assert.equal(c.rows()[0].tracesPerSecond, 150);
    assert.ok(
      Math.abs(c.probabilityOf('s', 'op') - 1 / 150) < 1e-12,
      `${c.probabilityOf('s', 'op')}`,
    );
  });

  test('bounded by minProbability and maxProbability', () => {
    const c = new ProbabilityCalculator(settings({ minProbability: 0.0001, maxProbability: 0.5 }));
    run(c, 2, 1_000_000);
    assert.equal(c.probabilityOf('s', 'op'), 0.0001);
    run(c, 40, 0.01);
    assert.equal(c.probabilityOf('s', 'op'), 0.5);
  });

  test('left alone while the sampled rate is within deltaTolerance of the target', () => {
    const c = new ProbabilityCalculator(
      settings({ targetSamplesPerSecond: 1, deltaTolerance: 0.3 }),
    );
    c.load([
      {
        tenant: '',
        service: 's',
        operation: 'op',
        probability: 0.01,
        tracesPerSecond: 100,
        sampledPerSecond: 1,
        updatedAt: 0,
      },
    ]);
    // 125 req/s at 0.01 → 1.25/s sampled: 25% off, kept.
    c.calculate([expected('s', 'op', 125, 0.01)], SECONDS, 1);
    assert.equal(c.probabilityOf('s', 'op'), 0.01);
    // The smoothed estimate is now 112.5 req/s. 135 req/s is not 30% above it: smoothed
    // to 123.75 → 1.24/s sampled, still kept.
    c.calculate([expected('s', 'op', 135, 0.01)], SECONDS, 2);
    assert.equal(c.probabilityOf('s', 'op'), 0.01);
    // 170 req/s is more than 30% above 123.75: taken at once, 1.7/s is 70% off → 1/170.
    c.calculate([expected('s', 'op', 170, 0.01)], SECONDS, 3);
    assert.ok(Math.abs(c.probabilityOf('s', 'op') - 1 / 170) < 1e-12);
  });

  test('per-operation override beats the per-service one, which beats the global target', () => {
    const c = new ProbabilityCalculator(
      settings({
        targetSamplesPerSecond: 1,
        overrides: [
          { service: 'checkout', targetSamplesPerSecond: 5 },
          { service: 'checkout', operation: 'POST /pay', targetSamplesPerSecond: 20 },
        ],
      }),
    );
    c.load(
      [
        ['checkout', 'POST /pay'],
        ['checkout', 'GET /cart'],
        ['search', 'GET /q'],
      ].map(([service, operation]) => ({
        tenant: '',
        service,
        operation,
        probability: 0.5,
        tracesPerSecond: 1000,
        sampledPerSecond: 500,
        updatedAt: 0,
      })),
    );
    c.calculate(
      [
        expected('checkout', 'POST /pay', 1000, 0.5),
        expected('checkout', 'GET /cart', 1000, 0.5),
        expected('search', 'GET /q', 1000, 0.5),
      ],
      SECONDS,
      1,
    );
    assert.equal(c.probabilityOf('checkout', 'POST /pay'), 20 / 1000);
    assert.equal(c.probabilityOf('checkout', 'GET /cart'), 5 / 1000);
    assert.equal(c.probabilityOf('search', 'GET /q'), 1 / 1000);
  });

  test('operations whose SDK ignores served probabilities are not adapted', () => {
    const c = new ProbabilityCalculator(settings());
    const unadaptable = {
      tenant: '',
      service: 's',
      operation: 'rl',
      roots: 120,
      probabilistic: 0,
      estimatedTraces: 0,
      unadaptable: 120,
    };
    c.calculate([unadaptable], SECONDS, 1);
    assert.deepEqual(c.rows(), [], 'not taken on as an adaptive operation');
    c.load([
      {
        tenant: '',
        service: 's',
        operation: 'rl',
        probability: 0.2,
        tracesPerSecond: 5,
        sampledPerSecond: 1,
        updatedAt: 0,
      },
    ]);
    c.calculate([unadaptable], SECONDS, 2);
    assert.equal(c.probabilityOf('s', 'rl'), 0.2, 'probability kept');
  });

  test('an operation without roots doubles, and is forgotten after IDLE_INTERVALS', () => {
    const c = new ProbabilityCalculator(settings({ initialProbability: 0.001 }));
    // Lower-bound roots only: the probabilistic draw never hit; the operation is taken on.
    c.calculate(
      [
        {
          tenant: '',
          service: 's',
          operation: 'op',
          roots: 2,
          probabilistic: 0,
          estimatedTraces: 0,
          unadaptable: 0,
        },
      ],
      SECONDS,
      1,
    );
    assert.equal(c.probabilityOf('s', 'op'), 0.002);
    c.calculate([], SECONDS, 2);
    assert.equal(c.probabilityOf('s', 'op'), 0.004);
    // That was the first idle interval; the operation is kept until IDLE_INTERVALS of them.
    for (let i = 2; i < IDLE_INTERVALS; i++) c.calculate([], SECONDS, i + 1);
    assert.equal(c.rows().length, 1);
    c.calculate([], SECONDS, IDLE_INTERVALS + 1);
    assert.deepEqual(c.rows(), []);
  });

  test('rows from several processes add up', () => {
    const c = new ProbabilityCalculator(
      settings({ targetSamplesPerSecond: 1, initialProbability: 0.01 }),
    );
    c.load([
      {
        tenant: '',
        service: 's',
        operation: 'op',
        probability: 0.01,
        tracesPerSecond: 100,
        sampledPerSecond: 1,
        updatedAt: 0,
      },
    ]);
    // Two collectors each see half of 400 req/s.
    c.calculate([expected('s', 'op', 200, 0.01), expected('s', 'op', 200, 0.01)], SECONDS, 1);
    assert.equal(c.probabilityOf('s', 'op'), 1 / 400);
  });

  test("each tenant's operations are computed from its own traffic, even with the same names", () => {
    const c = new ProbabilityCalculator(
      settings({ targetSamplesPerSecond: 1, initialProbability: 0.01 }),
    );
    c.load(
      ['', 'acme'].map((tenant) => ({
        tenant,
        service: 's',
        operation: 'op',
        probability: 0.01,
        tracesPerSecond: 100,
        sampledPerSecond: 1,
        updatedAt: 0,
      })),
    );
    // The default tenant's 'op' gets 400 req/s, acme's 'op' 1000 req/s.
    c.calculate(
      [expected('s', 'op', 400, 0.01), expected('s', 'op', 1000, 0.01, 'acme')],
      SECONDS,
      1,
    );
    assert.equal(c.probabilityOf('s', 'op'), 1 / 400);
    assert.equal(c.probabilityOf('s', 'op', 'acme'), 1 / 1000);
    assert.equal(c.probabilityOf('s', 'op', 'globex'), 0.01, 'unknown to globex: the initial one');
    assert.deepEqual(
      c
        .rows()
        .map((r) => [r.tenant, r.service, r.operation])
        .sort(),
      [
        ['', 's', 'op'],
        ['acme', 's', 'op'],
      ],
    );
  });

  test('update applies new bounds to the served probabilities at once', () => {
    const c = new ProbabilityCalculator(settings());
    c.load([
      {
        tenant: '',
        service: 's',
        operation: 'op',
        probability: 0.9,
        tracesPerSecond: 1,
        sampledPerSecond: 0.9,
        updatedAt: 0,
      },
    ]);
    c.update(settings({ maxProbability: 0.5 }));
    assert.equal(c.probabilityOf('s', 'op'), 0.5);
    assert.equal(
      c.probabilityOf('s', 'unknown'),
      0.001,
      'unknown operations get the initial probability',
    );
  });
});
