import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  completenessApiUrl,
  completenessFromParams,
  completenessLookbackMs,
  completenessToParams,
  completenessUrl,
  DEFAULT_COMPLETENESS,
  lookbackLabel,
} from './completeness-query.ts';
import { parseRoute } from './route.ts';

describe('completeness URL state', () => {
  test('a full state survives a trip through the URL', () => {
    const state = {
      service: 'cart & co',
      lookback: '6h',
      cause: 'split_trace',
      serviceSort: 'rate' as const,
      serviceDesc: false,
      edgeSort: 'calls' as const,
      edgeDesc: true,
    };
    const url = completenessUrl(state);
    const route = parseRoute(url.split('?')[0], url.slice(url.indexOf('?')));
    assert.equal(route.page, 'completeness');
    assert.deepEqual(completenessFromParams((route as { params: URLSearchParams }).params), state);
  });

  test('defaults are left out of the URL; lookback is always there', () => {
    assert.equal(completenessToParams(DEFAULT_COMPLETENESS).toString(), 'lookback=1h');
    assert.deepEqual(completenessFromParams(new URLSearchParams('')), DEFAULT_COMPLETENESS);
  });

  test("Jaeger UI Quality Metrics' links open the page on their service, window and cause", () => {
    // What /api/quality-metrics puts in metricDocumentationLink (hours may be fractional).
    const s = completenessFromParams(
      new URLSearchParams('service=frontend&lookback=48h&cause=split_trace'),
    );
    assert.deepEqual([s.service, s.lookback, s.cause], ['frontend', '48h', 'split_trace']);
    const odd = completenessFromParams(new URLSearchParams('lookback=0.11666666666666667h'));
    assert.equal(odd.lookback, '0.11666666666666667h');
    assert.equal(completenessLookbackMs(odd.lookback), 420_000);
    assert.equal(lookbackLabel(odd.lookback), 'Last 0.12h');
    assert.equal(lookbackLabel('48h'), 'Last 2 days');
  });

  test('invalid values take defaults', () => {
    const s = completenessFromParams(
      new URLSearchParams('lookback=0h&cause=<b>&serviceSort=-nope&edgeSort=x'),
    );
    assert.deepEqual(s, DEFAULT_COMPLETENESS);
    for (const bad of ['', '10', '1w', '-1h', '0m', '1e3h']) {
      assert.equal(completenessLookbackMs(bad), null, bad);
    }
    assert.equal(completenessLookbackMs('7d'), 7 * 86_400_000);
  });

  test('the API URL: the window as start/end µs (the API has no days), and the service', () => {
    const now = 1_800_000_000_000;
    const url = completenessApiUrl(
      { ...DEFAULT_COMPLETENESS, lookback: '7d', service: 'a b' },
      now,
    );
    const q = new URLSearchParams(url.split('?')[1]);
    assert.equal(url.split('?')[0], '/api/completeness');
    assert.equal(q.get('end'), String(now * 1000));
    assert.equal(q.get('start'), String((now - 7 * 86_400_000) * 1000));
    assert.equal(q.get('service'), 'a b');
    assert.equal(q.has('lookback'), false);
    const all = new URLSearchParams(completenessApiUrl(DEFAULT_COMPLETENESS, now).split('?')[1]);
    assert.equal(all.has('service'), false);
  });
});
