import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  hasValues,
  maxValue,
  operationRows,
  parseMetricFamily,
  sortOperationRows,
  type MetricSeries,
  type OperationRow,
} from './metric-series.ts';

const T0 = Date.parse('2026-05-01T10:00:00Z');
const MIN = 60_000;

/** A MetricFamily as Jaeger's query service writes it (protobuf JSON). */
function family(name: string, series: { op?: string; values: (number | string | null)[] }[]) {
  return {
    name,
    type: 'GAUGE',
    help: `${name} help`,
    metrics: series.map((s) => ({
      labels: [
        { name: 'service_name', value: 'cart' },
        ...(s.op !== undefined ? [{ name: 'operation', value: s.op }] : []),
      ],
      metricPoints: s.values.map((v, i) => ({
        gaugeValue: v === null ? {} : { doubleValue: v },
        timestamp: new Date(T0 + i * MIN).toISOString(),
      })),
    })),
  };
}

function series(op: string, values: (number | null)[]): MetricSeries {
  return { service: 'cart', operation: op, points: values.map((v, i) => ({ t: T0 + i * MIN, v })) };
}

describe('MetricFamily parsing', () => {
  test('labels, ISO timestamps and values, as Jaeger UI reads them', () => {
    const parsed = parseMetricFamily(
      family('service_operation_call_rate', [{ op: 'GET /cart', values: [1.5, 2, 0] }]),
    );
    assert.deepEqual(parsed, [
      {
        service: 'cart',
        operation: 'GET /cart',
        points: [
          { t: T0, v: 1.5 },
          { t: T0 + MIN, v: 2 },
          { t: T0 + 2 * MIN, v: 0 },
        ],
      },
    ]);
  });

  test('NaN and Infinity (strings in protobuf JSON) and missing values become gaps', () => {
    const [s] = parseMetricFamily(
      family('service_error_rate', [{ values: ['NaN', 0.25, 'Infinity', null, '0.5'] }]),
    );
    assert.equal(s.operation, '');
    assert.deepEqual(
      s.points.map((p) => p.v),
      [null, 0.25, null, null, 0.5],
    );
  });

  test('points are put in time order; points without a time are left out', () => {
    const body = family('service_call_rate', [{ values: [1, 2] }]);
    body.metrics[0].metricPoints.reverse();
    body.metrics[0].metricPoints.push({ gaugeValue: { doubleValue: 9 }, timestamp: 'soon' });
    const [s] = parseMetricFamily(body);
    assert.deepEqual(
      s.points.map((p) => p.v),
      [1, 2],
    );
  });

  test('an empty family (metrics left out, null or []) has no series; a non-family throws', () => {
    assert.deepEqual(parseMetricFamily({ name: 'x', type: 'GAUGE', metrics: [] }), []);
    assert.deepEqual(parseMetricFamily({ name: 'x', type: 'GAUGE', metrics: null }), []);
    assert.throws(() => parseMetricFamily({ data: [] }), /no "metrics" list/);
    assert.throws(() => parseMetricFamily(null), /no "metrics" list/);
    assert.throws(() => parseMetricFamily({ metrics: 'x' }), /not a list/);
  });

  test('max and presence of values', () => {
    const s = [series('a', [1, null, 3]), series('b', [null, 7])];
    assert.equal(maxValue(s), 7);
    assert.equal(hasValues(s), true);
    assert.equal(hasValues([series('a', [null, null])]), false);
    assert.equal(maxValue([]), 0);
  });
});

describe('per-operation rows', () => {
  test('calls, errors and quantiles merge by operation; weighted by each step\u2019s calls', () => {
    const rows = operationRows({
      // "checkout" is busy in minute 0 and quiet in minute 1.
      calls: [series('checkout', [3, 1]), series('list', [2, 2])],
      errors: [series('checkout', [0, 1]), series('list', [0, null])],
      p50: [series('checkout', [10, 50])],
      p95: [series('checkout', [20, 100]), series('list', [5, 5])],
      p99: [series('checkout', [30, 200])],
    });
    const checkout = rows.find((r) => r.operation === 'checkout')!;
    assert.equal(checkout.rate, 2);
    assert.equal(checkout.errorRate, 0.25, '1 failed of 4 calls');
    assert.equal(checkout.p50, 20);
    assert.equal(checkout.p95, 40);
    assert.equal(checkout.p99, 72.5);
    const list = rows.find((r) => r.operation === 'list')!;
    assert.deepEqual(list, {
      operation: 'list',
      rate: 2,
      errorRate: 0,
      p50: null,
      p95: 5,
      p99: null,
    });
  });

  test('an operation seen only in one answer still gets a row; no calls → plain mean', () => {
    const rows = operationRows({
      calls: [],
      errors: [series('odd', [0.5, 1])],
      p50: [],
      p95: [],
      p99: [],
    });
    assert.deepEqual(rows, [
      { operation: 'odd', rate: null, errorRate: 0.75, p50: null, p95: null, p99: null },
    ]);
  });

  test('one point per series (one step over the window) is taken as it is', () => {
    const [row] = operationRows({
      calls: [series('x', [4.2])],
      errors: [series('x', [0.1])],
      p50: [series('x', [1])],
      p95: [series('x', [2])],
      p99: [series('x', [3])],
    });
    assert.deepEqual(row, { operation: 'x', rate: 4.2, errorRate: 0.1, p50: 1, p95: 2, p99: 3 });
  });
});

describe('sorting rows', () => {
  const row = (operation: string, rate: number | null, errorRate: number | null): OperationRow => ({
    operation,
    rate,
    errorRate,
    p50: null,
    p95: null,
    p99: null,
  });
  const rows = () => [row('b', 5, 0.1), row('a', 5, null), row('c', 1, 0.5), row('d', null, 0)];
  const names = (r: OperationRow[]) => r.map((x) => x.operation).join('');

  test('by a number: either direction, ties by name, missing values last', () => {
    assert.equal(names(sortOperationRows(rows(), 'rate', true)), 'abcd');
    assert.equal(names(sortOperationRows(rows(), 'rate', false)), 'cabd');
    assert.equal(names(sortOperationRows(rows(), 'errorRate', true)), 'cbda');
    assert.equal(names(sortOperationRows(rows(), 'errorRate', false)), 'dbca');
  });

  test('by name', () => {
    assert.equal(names(sortOperationRows(rows(), 'operation', false)), 'abcd');
    assert.equal(names(sortOperationRows(rows(), 'operation', true)), 'dcba');
  });
});
