import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  LOWER_BOUND,
  NOT_REPORTED,
  reportedProbability,
  thresholdProbability,
  UNADAPTABLE,
} from './reported-probability.ts';
import { rootSpan, samplerTags } from './test-support/root-span.ts';

/** The spec's encoding, written independently: T = (1 − p)·2^56 as 14 hex digits, trailing zeros dropped. */
function encodeTh(p: number): string {
  const t = BigInt(Math.round((1 - p) * 2 ** 56));
  const hex = t.toString(16).padStart(14, '0').replace(/0+$/, '');
  return hex === '' ? '0' : hex;
}

describe('reportedProbability: Jaeger sampler tags', () => {
  const cases: [string, number | boolean | string, number][] = [
    ['probabilistic', 0.25, 0.25],
    ['probabilistic', 1, 1],
    ['probabilistic', '0.001', 0.001],
    ['probabilistic', 0, NOT_REPORTED],
    ['probabilistic', 1.5, NOT_REPORTED],
    ['probabilistic', 'often', NOT_REPORTED],
    ['probabilistic', true, NOT_REPORTED],
    ['lowerbound', 0.001, LOWER_BOUND],
    ['ratelimiting', 2, UNADAPTABLE],
    ['const', true, UNADAPTABLE],
    ['const', 1, UNADAPTABLE],
    ['remote', 0.5, NOT_REPORTED],
  ];
  for (const [type, param, expected] of cases) {
    test(`sampler.type=${type} sampler.param=${JSON.stringify(param)} → ${expected}`, () => {
      const span = rootSpan({ attributes: samplerTags(type, param) });
      assert.equal(reportedProbability(span, true), expected);
    });
  }

  test('probabilistic without a param reports nothing; tags among other attributes are found', () => {
    const alone = rootSpan({
      attributes: [{ key: 'sampler.type', type: 1, value: 'probabilistic' }],
    });
    assert.equal(reportedProbability(alone, true), NOT_REPORTED);
    const mixed = rootSpan({
      attributes: [
        { key: 'http.method', type: 1, value: 'GET' },
        samplerTags('probabilistic', 0.5)[1],
        { key: 'sampler.typo', type: 1, value: 'const' },
        samplerTags('probabilistic', 0.5)[0],
      ],
    });
    assert.equal(reportedProbability(mixed, true), 0.5);
  });

  test('sampler tags win over the tracestate, which is ignored when not asked for', () => {
    const both = rootSpan({ attributes: samplerTags('probabilistic', 0.5), traceState: 'ot=th:c' });
    assert.equal(reportedProbability(both, true), 0.5);
    const th = rootSpan({ traceState: 'ot=th:c' });
    assert.equal(reportedProbability(th, true), 0.25);
    assert.equal(reportedProbability(th, false), NOT_REPORTED);
    assert.equal(reportedProbability(rootSpan(), true), NOT_REPORTED);
  });
});

describe('thresholdProbability: OpenTelemetry th', () => {
  const cases: [string, number][] = [
    ['ot=th:0', 1],
    ['ot=th:8', 0.5],
    ['ot=th:c', 0.25],
    ['ot=th:C', 0.25],
    ['ot=th:f', 1 / 16],
    ['ot=th:e', 0.125],
    ['ot=th:fff', 1 / 4096],
    ['ot=th:80000000000000', 0.5],
    ['ot=rv:0123456789abcd;th:8', 0.5],
    ['ot=th:8;rv:0123456789abcd', 0.5],
    ['vendor=abc,ot=th:c', 0.25],
    ['vendor=abc, ot=th:c,other=1', 0.25],
    ['ot=th:c,vendor=th:8', 0.25],
  ];
  for (const [state, p] of cases) {
    test(`${state} → ${p}`, () => assert.equal(thresholdProbability(state), p));
  }

  const invalid = [
    '',
    'vendor=th:8',
    'fooot=th:8',
    'ot=xth:8',
    'ot=th:',
    'ot=th:g',
    'ot=th:8g',
    'ot=th:123456789abcdef',
    'ot=rv:8',
    'ot=p:8,vendor=th:8',
  ];
  for (const state of invalid) {
    test(`${JSON.stringify(state)} reports nothing`, () =>
      assert.equal(thresholdProbability(state), NOT_REPORTED));
  }

  test('round trip with the spec encoding over many probabilities (relative error < 1e-9)', () => {
    for (let k = 0; k < 2000; k++) {
      const p = Math.pow(10, -6 * (k / 2000)) * (0.5 + (0.5 * ((k * 7919) % 1000)) / 1000);
      const state = `ot=th:${encodeTh(p)}`;
      const got = thresholdProbability(state);
      assert.ok(Math.abs(got - p) / p < 1e-9, `${state}: ${got} vs ${p}`);
    }
  });
});
