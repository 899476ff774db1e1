import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  chartRange,
  DEFAULT_MONITOR,
  goDurationFromMs,
  metricsUrl,
  monitorFromParams,
  monitorToParams,
  searchUrlFor,
  stepFor,
  tableRange,
  windowOf,
} from './monitor-query.ts';
import { formFromParams, summariesQuery } from './search-query.ts';
import { parseRoute } from './route.ts';

describe('monitor URL state', () => {
  test('a full state survives a trip through the URL', () => {
    const state = {
      service: 'cart & co',
      lookback: '6h',
      spanKind: 'client' as const,
      end: 1_780_000_000_000,
      sort: 'p95' as const,
      desc: false,
    };
    const params = monitorToParams(state);
    assert.equal(params.get('service'), 'cart & co');
    assert.deepEqual(monitorFromParams(new URLSearchParams(params.toString())), state);
  });

  test('defaults are left out of the URL, and invalid values fall back to them', () => {
    assert.equal(
      monitorToParams({ ...DEFAULT_MONITOR, service: 'a' }).toString(),
      'service=a&lookback=1h',
    );
    assert.deepEqual(
      monitorFromParams(
        new URLSearchParams('lookback=3y&spanKind=weird&sort=nope&end=yesterday&order=sideways'),
      ),
      { ...DEFAULT_MONITOR, desc: true },
    );
  });

  test('a column named without an order: names ascending, numbers descending', () => {
    assert.equal(monitorFromParams(new URLSearchParams('sort=operation')).desc, false);
    assert.equal(monitorFromParams(new URLSearchParams('sort=errorRate')).desc, true);
    assert.equal(monitorFromParams(new URLSearchParams('sort=errorRate&order=asc')).desc, false);
  });

  test('/monitor is a route of its own', () => {
    const r = parseRoute('/monitor/', '?service=x');
    assert.equal(r.page, 'monitor');
    assert.equal((r as { params: URLSearchParams }).params.get('service'), 'x');
  });
});

describe('step choice', () => {
  test('round steps giving at most 60 points, never below the server minimum', () => {
    assert.equal(stepFor(5 * 60_000, 60_000), 60_000, '5 points of a minute, not 5 s steps');
    assert.equal(stepFor(3_600_000, 60_000), 60_000);
    assert.equal(stepFor(2 * 3_600_000, 60_000), 2 * 60_000);
    assert.equal(stepFor(6 * 3_600_000, 60_000), 10 * 60_000);
    assert.equal(stepFor(24 * 3_600_000, 60_000), 30 * 60_000);
    assert.equal(stepFor(48 * 3_600_000, 60_000), 3_600_000);
    for (const w of [5, 15, 30, 60, 120, 360, 720, 1440, 2880]) {
      const step = stepFor(w * 60_000, 60_000);
      assert.ok((w * 60_000) / step <= 60, `${w}m → ${step}`);
    }
  });

  test('a larger server minimum is honoured, in multiples of itself', () => {
    assert.equal(stepFor(3_600_000, 300_000), 300_000);
    assert.equal(stepFor(3_600_000, 90_000), 90_000);
    assert.equal(stepFor(48 * 3_600_000, 7 * 3_600_000), 7 * 3_600_000);
    assert.equal(stepFor(3_600_000, 45_000), 60_000, 'a round step above the minimum');
    assert.equal(stepFor(3_600_000, 0), 60_000);
  });
});

describe('SPM API requests', () => {
  const window = windowOf({ ...DEFAULT_MONITOR, lookback: '15m', end: 1_000_000_000 }, 5);

  test('the window ends at the pinned end, else now', () => {
    assert.deepEqual(window, { startMs: 1_000_000_000 - 900_000, endMs: 1_000_000_000 });
    assert.deepEqual(windowOf(DEFAULT_MONITOR, 7_200_000), {
      startMs: 3_600_000,
      endMs: 7_200_000,
    });
  });

  test('Jaeger UI parameter names and units (ms), the service escaped', () => {
    const url = metricsUrl('a&b c', 'server', chartRange(window, 60_000), {
      metric: 'latencies',
      quantile: 0.95,
      groupByOperation: true,
    });
    const [path, query] = url.split('?');
    assert.equal(path, '/api/metrics/latencies');
    const p = new URLSearchParams(query);
    assert.deepEqual(p.getAll('service'), ['a&b c']);
    assert.equal(p.get('quantile'), '0.95');
    assert.equal(p.get('groupByOperation'), 'true');
    assert.equal(p.get('endTs'), '1000000000');
    assert.equal(p.get('lookback'), '900000');
    assert.equal(p.get('step'), '60000');
    assert.equal(p.get('ratePer'), '60000');
    assert.equal(p.get('spanKind'), 'server');
    const calls = new URLSearchParams(
      metricsUrl('s', 'client', chartRange(window, 60_000), {
        metric: 'calls',
        groupByOperation: false,
      }).split('?')[1],
    );
    assert.equal(calls.get('quantile'), null);
    assert.equal(calls.get('groupByOperation'), null);
    assert.equal(calls.get('spanKind'), 'client');
  });

  test('charts: a point per step, each over its own step', () => {
    const day = { startMs: 0, endMs: 86_400_000 };
    assert.deepEqual(chartRange(day, 60_000), {
      endTs: 86_400_000,
      lookback: 86_400_000,
      step: 1_800_000,
      ratePer: 1_800_000,
    });
  });

  test('table: one point at the end over the whole window', () => {
    assert.deepEqual(tableRange(window, 60_000), {
      endTs: 1_000_000_000,
      lookback: 0,
      step: 60_000,
      ratePer: 900_000,
    });
  });
});

describe('click-through to search', () => {
  const window = { startMs: 1_700_000_000_000, endMs: 1_700_000_900_000 };

  test('p95 in ms as a Go duration, rounded down to the µs', () => {
    assert.equal(goDurationFromMs(12.3456), '12.345ms');
    assert.equal(goDurationFromMs(250), '250ms');
    assert.equal(goDurationFromMs(0.5), '500us');
    assert.equal(goDurationFromMs(1500.0004), '1500ms');
    assert.equal(goDurationFromMs(-1), '0us');
  });

  test('slow: service, operation, the window, minDuration = p95 less its tolerance, longest first', () => {
    // A p95 of 123.4567 ms may stand for a duration 2.5% below it: 120.370… ms.
    const url = searchUrlFor('cart', 'GET /cart?x=1', window, 'slow', 123.4567);
    assert.match(url, /^\/search\?/);
    const form = formFromParams(new URLSearchParams(url.split('?')[1]));
    assert.equal(form.service, 'cart');
    assert.equal(form.operation, 'GET /cart?x=1');
    assert.equal(form.minDuration, '120.37ms');
    assert.equal(form.tags, '');
    assert.equal(form.sort, 'longest');
    assert.equal(form.lookback, 'custom');
    // The search page turns it into the same window.
    const q = summariesQuery(form, 0);
    assert.equal(q.get('query.startTimeMin'), new Date(window.startMs).toISOString());
    assert.equal(q.get('query.startTimeMax'), new Date(window.endMs).toISOString());
    assert.equal(q.get('query.durationMin'), '120.37ms');
    assert.equal(q.get('query.operationName'), 'GET /cart?x=1');
  });

  test('failed: error=true and no duration bound', () => {
    const url = searchUrlFor('cart', 'checkout', window, 'failed', 99);
    const form = formFromParams(new URLSearchParams(url.split('?')[1]));
    assert.equal(form.tags, 'error=true');
    assert.equal(form.minDuration, '');
    assert.equal(form.sort, 'recent');
    assert.equal(summariesQuery(form, 0).get('query.attributes'), '{"error":"true"}');
  });

  test('slow without a p95 still narrows to the operation and window', () => {
    const form = formFromParams(
      new URLSearchParams(searchUrlFor('s', 'o', window, 'slow', null).split('?')[1]),
    );
    assert.equal(form.minDuration, '');
    assert.equal(form.operation, 'o');
  });
});
