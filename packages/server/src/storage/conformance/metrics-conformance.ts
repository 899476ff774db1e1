import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isSkeinError } from '../../errors.ts';
import { latencyBucket } from '../../model/latency-histogram.ts';
import type { SparseHistogram } from '../../model/latency-histogram.ts';
import { DEFAULT_TENANT, SpanKind, StatusCode } from '../../model/span.ts';
import { METRICS_MINUTE } from '../metrics-reader.ts';
import type { LatencyQuery, MetricSeries, MetricsQuery, MetricsReader } from '../metrics-reader.ts';
import type { SpanMetricsRow, SpanMetricsWriter } from '../span-metrics-writer.ts';
import type { Storage } from '../storage.ts';

/** A backend under test: a store that also keeps and reads span metrics. */
export type MetricsStorage = Storage & SpanMetricsWriter & MetricsReader;

/**
 * The span-metrics half of the conformance suite: known delta rows in, exact call and
 * error rates and quantiles (±2.5%, the histogram's bound) out, for every backend. The
 * rows and cases below are the fixture; times are minutes after T0.
 */
export function runMetricsConformance(
  name: string,
  createStorage: () => Promise<MetricsStorage>,
): void {
  describe(`span metrics conformance: ${name}`, () => {
    let store: MetricsStorage;
    before(async () => {
      store = await createStorage();
      await store.open();
      await store.writeSpanMetrics(ROWS.slice(0, 3));
      await store.writeSpanMetrics(ROWS.slice(3));
    });
    after(() => store.close());

    for (const c of CASES) {
      test(c.name, async () => {
        const q = { ...BASE, ...c.query };
        const got =
          c.metric === 'calls'
            ? await store.calls(q)
            : c.metric === 'errors'
              ? await store.errors(q)
              : await store.latencies({ quantile: 0.5, ...q } as LatencyQuery);
        assertSeries(got, c.expected, c.metric === 'latencies' ? 0.025 : 0);
      });
    }

    test('a query with more points than the limit is refused with InvalidParameterError', async () => {
      await assert.rejects(
        store.calls({ ...BASE, lookback: 24 * 3600e6 * 10, step: 1e6 }),
        (err: unknown) => isSkeinError(err) && err.code === 'SKEIN_INVALID_PARAMETER',
      );
    });

    test('a quantile outside (0, 1] is refused with InvalidParameterError', async () => {
      for (const quantile of [0, 1.5, NaN]) {
        await assert.rejects(
          store.latencies({ ...BASE, quantile }),
          (err: unknown) => isSkeinError(err) && err.code === 'SKEIN_INVALID_PARAMETER',
        );
      }
    });

    test('no service or no span kind is refused with InvalidParameterError', async () => {
      for (const q of [
        { ...BASE, services: [] },
        { ...BASE, spanKinds: [] },
      ]) {
        await assert.rejects(
          store.errors(q),
          (err: unknown) => isSkeinError(err) && err.code === 'SKEIN_INVALID_PARAMETER',
        );
      }
    });

    test('minStep is one minute', () => {
      assert.equal(store.minStep, METRICS_MINUTE);
    });
  });

  describe(`span metrics conformance: ${name}: rows written out of time order`, () => {
    let store: MetricsStorage;
    before(async () => {
      store = await createStorage();
      await store.open();
      for (const r of [...ROWS].reverse()) await store.writeSpanMetrics([r]);
    });
    after(() => store.close());

    test('give the same series as rows written in order', async () => {
      assertSeries(await store.calls(BASE), [{ service: 'cart', values: [0, 1, 2.5, 0.1] }], 0);
      assertSeries(
        await store.latencies({ ...BASE, quantile: 0.95, groupByOperation: true }),
        [
          { service: 'cart', operation: 'GET /cart', values: [NaN, 100, 1000, NaN] },
          { service: 'cart', operation: 'POST /checkout', values: [NaN, NaN, NaN, 5] },
        ],
        0.025,
      );
    });
  });

  describe(`span metrics conformance: ${name}: purge`, () => {
    let store: MetricsStorage;
    before(async () => {
      store = await createStorage();
      await store.open();
      await store.writeSpanMetrics(ROWS);
    });
    after(() => store.close());

    test('purgeBefore deletes the minutes that ended before the cutoff, keeps the rest', async () => {
      await store.purgeBefore(T0 + 2 * M);
      const got = await store.calls({ ...BASE, ratePer: 3 * M });
      // Window [t-3m, t) at T0+3 now holds only minute T0+2 (6 calls).
      assertSeries(got, [{ service: 'cart', values: [0, 0, 0, 6 / 180] }], 0);
    });

    test('purging everything leaves no series', async () => {
      await store.purgeBefore(T0 + 10 * M);
      assert.deepEqual(await store.calls(BASE), []);
      assert.deepEqual(await store.latencies({ ...BASE, quantile: 0.9 }), []);
    });
  });
}

const M = METRICS_MINUTE;
/** 2026-01-01T12:00:00Z, µs. */
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0) * 1000;

/** A histogram of `count` durations of `ms` each, for each pair. */
function hist(...pairs: [ms: number, count: number][]): SparseHistogram {
  const byBucket = new Map<number, number>();
  for (const [ms, count] of pairs) {
    const b = latencyBucket(ms * 1000);
    byBucket.set(b, (byBucket.get(b) ?? 0) + count);
  }
  const buckets = [...byBucket.keys()].sort((a, b) => a - b);
  return { buckets, counts: buckets.map((b) => byBucket.get(b)!) };
}

function row(
  minute: number,
  service: string,
  operation: string,
  kind: SpanKind,
  statusCode: StatusCode,
  ...pairs: [ms: number, count: number][]
): SpanMetricsRow {
  let calls = 0;
  let durationSum = 0;
  for (const [ms, count] of pairs) {
    calls += count;
    durationSum += ms * 1000 * count;
  }
  return {
    tenant: DEFAULT_TENANT,
    minute: T0 + minute * M,
    service,
    operation,
    kind,
    statusCode,
    calls,
    durationSum,
    latency: hist(...pairs),
  };
}

const { Server, Client } = SpanKind;
const { Unset, Ok, Error: Err } = StatusCode;

/**
 * cart server, per minute:     T0: 60 calls (50×10 ms, 10×100 ms), no errors
 *   GET /cart                  T0+1: 150 calls: two delta rows of 60×20 ms (one OK) and
 *                                    30 errors of 1000 ms
 *   POST /checkout             T0+2: 6 calls of 5 ms, 3 of them errors
 * cart client GET /cart        T0: 600 calls of 2 ms
 * payment server charge        T0: 12 calls of 40 ms
 */
const ROWS: SpanMetricsRow[] = [
  row(0, 'cart', 'GET /cart', Server, Unset, [10, 50], [100, 10]),
  row(1, 'cart', 'GET /cart', Server, Unset, [20, 60]),
  row(1, 'cart', 'GET /cart', Server, Ok, [20, 60]),
  row(1, 'cart', 'GET /cart', Server, Err, [1000, 30]),
  row(2, 'cart', 'POST /checkout', Server, Unset, [5, 3]),
  row(2, 'cart', 'POST /checkout', Server, Err, [5, 3]),
  row(0, 'cart', 'GET /cart', Client, Unset, [2, 600]),
  row(0, 'payment', 'charge', Server, Unset, [40, 12]),
];

/** Points at T0, T0+1m, T0+2m, T0+3m; each over the minute before it. */
const BASE: MetricsQuery = {
  tenant: DEFAULT_TENANT,
  services: ['cart'],
  groupByOperation: false,
  spanKinds: [Server],
  endTime: T0 + 3 * M,
  lookback: 3 * M,
  step: M,
  ratePer: M,
};

interface ExpectedSeries {
  service: string;
  operation?: string;
  /** One value per point; NaN where the window has no value. */
  values: number[];
}

interface MetricsCase {
  name: string;
  metric: 'calls' | 'errors' | 'latencies';
  query: Partial<LatencyQuery>;
  expected: ExpectedSeries[];
}

const CASES: MetricsCase[] = [
  {
    name: 'calls: per second over each minute, delta rows of a minute summed',
    metric: 'calls',
    query: {},
    expected: [{ service: 'cart', values: [0, 1, 2.5, 0.1] }],
  },
  {
    name: 'calls: a two-minute rate window averages two minutes',
    metric: 'calls',
    query: { ratePer: 2 * M },
    expected: [{ service: 'cart', values: [0, 0.5, 210 / 120, 156 / 120] }],
  },
  {
    name: 'calls: ratePer is rounded up to whole minutes (90 s → 2 min)',
    metric: 'calls',
    query: { ratePer: 90e6 },
    expected: [{ service: 'cart', values: [0, 0.5, 210 / 120, 156 / 120] }],
  },
  {
    name: 'calls: grouped by operation, sorted by operation',
    metric: 'calls',
    query: { groupByOperation: true },
    expected: [
      { service: 'cart', operation: 'GET /cart', values: [0, 1, 2.5, 0] },
      { service: 'cart', operation: 'POST /checkout', values: [0, 0, 0, 0.1] },
    ],
  },
  {
    name: 'calls: the span kind filter (client only)',
    metric: 'calls',
    query: { spanKinds: [Client] },
    expected: [{ service: 'cart', values: [0, 10, 0, 0] }],
  },
  {
    name: 'calls: several span kinds add up',
    metric: 'calls',
    query: { spanKinds: [Server, Client] },
    expected: [{ service: 'cart', values: [0, 11, 2.5, 0.1] }],
  },
  {
    name: 'calls: several services, one series each, sorted by service',
    metric: 'calls',
    query: { services: ['payment', 'cart'] },
    expected: [
      { service: 'cart', values: [0, 1, 2.5, 0.1] },
      { service: 'payment', values: [0, 0.2, 0, 0] },
    ],
  },
  {
    name: 'calls: an unknown service has no series',
    metric: 'calls',
    query: { services: ['nobody'] },
    expected: [],
  },
  {
    name: 'calls: a range whose windows hold no minute with calls has no series',
    metric: 'calls',
    query: { endTime: T0 + 60 * M, lookback: 10 * M },
    expected: [],
  },
  {
    name: 'calls: a point between minutes covers the minutes starting in [t - W, t)',
    metric: 'calls',
    query: { endTime: T0 + 90e6, lookback: 0 },
    expected: [{ service: 'cart', values: [2.5] }],
  },
  {
    name: 'calls: steps finer than a minute repeat the window until it moves',
    metric: 'calls',
    query: { endTime: T0 + 2 * M, lookback: 60e6, step: 30e6 },
    expected: [{ service: 'cart', values: [1, 2.5, 2.5] }],
  },
  {
    name: 'errors: fraction of calls with status ERROR, NaN where a window has no calls',
    metric: 'errors',
    query: {},
    expected: [{ service: 'cart', values: [NaN, 0, 0.2, 0.5] }],
  },
  {
    name: 'errors: grouped by operation',
    metric: 'errors',
    query: { groupByOperation: true },
    expected: [
      { service: 'cart', operation: 'GET /cart', values: [NaN, 0, 0.2, NaN] },
      { service: 'cart', operation: 'POST /checkout', values: [NaN, NaN, NaN, 0.5] },
    ],
  },
  {
    name: 'errors: a service without errors has a zero error rate',
    metric: 'errors',
    query: { services: ['payment'] },
    expected: [{ service: 'payment', values: [NaN, 0, NaN, NaN] }],
  },
  {
    name: 'latencies: p50 in ms, NaN where a window has no calls',
    metric: 'latencies',
    query: { quantile: 0.5 },
    expected: [{ service: 'cart', values: [NaN, 10, 20, 5] }],
  },
  {
    name: 'latencies: p95 over merged delta rows (error rows included)',
    metric: 'latencies',
    query: { quantile: 0.95 },
    expected: [{ service: 'cart', values: [NaN, 100, 1000, 5] }],
  },
  {
    name: 'latencies: p75 over a two-minute window merges both minutes',
    metric: 'latencies',
    // Sorted durations per window: T0+1: 50×10, 10×100 (rank 45 → 10 ms); T0+2: 50×10,
    // 120×20, 10×100, 30×1000 (rank 158 → 20 ms); T0+3: 6×5, 120×20, 30×1000 (rank 117 → 20 ms).
    query: { quantile: 0.75, ratePer: 2 * M },
    expected: [{ service: 'cart', values: [NaN, 10, 20, 20] }],
  },
  {
    name: 'latencies: grouped by operation, client kind',
    metric: 'latencies',
    query: { quantile: 0.99, groupByOperation: true, spanKinds: [Client] },
    expected: [{ service: 'cart', operation: 'GET /cart', values: [NaN, 2, NaN, NaN] }],
  },
];

function assertSeries(got: MetricSeries[], expected: ExpectedSeries[], tolerance: number): void {
  assert.deepEqual(
    got.map((s) => [s.service, s.operation]),
    expected.map((s) => [s.service, s.operation]),
    'series (service, operation)',
  );
  for (let i = 0; i < expected.length; i++) {
    const g = got[i];
    const e = expected[i];
    const label = `${e.service}${e.operation === undefined ? '' : ' / ' + e.operation}`;
    assert.equal(g.points.length, e.values.length, `${label}: number of points`);
    for (let k = 0; k < e.values.length; k++) {
      const actual = g.points[k].value;
      const want = e.values[k];
      if (k > 0) {
        assert.ok(g.points[k].time > g.points[k - 1].time, `${label}: times ascend`);
      }
      if (Number.isNaN(want)) {
        assert.ok(Number.isNaN(actual), `${label} point ${k}: expected NaN, got ${actual}`);
      } else if (tolerance === 0) {
        assert.ok(
          Math.abs(actual - want) <= 1e-12 * Math.max(1, Math.abs(want)),
          `${label} point ${k}: expected ${want}, got ${actual}`,
        );
      } else {
        assert.ok(
          Math.abs(actual - want) <= tolerance * want,
          `${label} point ${k}: expected ${want} ±${tolerance * 100}%, got ${actual}`,
        );
      }
    }
  }
}
