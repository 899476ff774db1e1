import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_FORM,
  formFromParams,
  formToParams,
  parseLogfmt,
  sortSummaries,
  summariesQuery,
  type TraceSummary,
} from './search-query.ts';

describe('search form', () => {
  test('logfmt tags: plain and quoted values, escapes, errors that say what to write', () => {
    assert.deepEqual(
      parseLogfmt(' error=true  http.status_code=500 msg="out of \\"stock\\"" empty= '),
      {
        ok: true,
        tags: { error: 'true', 'http.status_code': '500', msg: 'out of "stock"', empty: '' },
      },
    );
    const bad = parseLogfmt('error');
    assert.equal(bad.ok, false);
    assert.match((bad as { error: string }).error, /key=value/);
    assert.equal(parseLogfmt('a="open').ok, false);
  });

  test('the form survives a trip through the URL, defaults left out', () => {
    const form = {
      ...DEFAULT_FORM,
      service: 'cart',
      tags: 'error=true',
      lookback: 'custom',
      start: 10,
      end: 20,
      sort: 'longest' as const,
    };
    const params = formToParams(form);
    assert.equal(params.get('limit'), null);
    assert.deepEqual(formFromParams(params), form);
    assert.deepEqual(
      formFromParams(new URLSearchParams('lookback=1y&limit=-3&sort=weird')),
      DEFAULT_FORM,
    );
  });

  test('the api_v3 query: all services when none is chosen, window from the lookback', () => {
    const now = Date.UTC(2026, 10, 21, 9, 0, 0);
    const q = summariesQuery(
      { ...DEFAULT_FORM, lookback: '2h', tags: 'error=true', minDuration: '10ms' },
      now,
    );
    assert.equal(q.get('query.serviceName'), null);
    assert.equal(q.get('query.startTimeMin'), '2026-11-21T07:00:00.000Z');
    assert.equal(q.get('query.startTimeMax'), '2026-11-21T09:00:00.000Z');
    assert.equal(q.get('query.attributes'), '{"error":"true"}');
    assert.equal(q.get('query.durationMin'), '10ms');
    assert.equal(q.get('query.searchDepth'), '20');
    assert.throws(() => summariesQuery({ ...DEFAULT_FORM, tags: 'oops' }, now), /key=value/);
  });

  test('sort orders', () => {
    const s = (
      traceId: string,
      startTime: number,
      duration: number,
      spanCount: number,
    ): TraceSummary => ({
      traceId,
      rootService: '',
      rootOperation: '',
      startTime,
      duration,
      spanCount,
      errorCount: 0,
      orphanCount: 0,
      services: [],
    });
    const list = () => [s('a', 1, 30, 5), s('b', 3, 10, 9), s('c', 2, 20, 1)];
    assert.deepEqual(
      sortSummaries(list(), 'recent').map((x) => x.traceId),
      ['b', 'c', 'a'],
    );
    assert.deepEqual(
      sortSummaries(list(), 'longest').map((x) => x.traceId),
      ['a', 'c', 'b'],
    );
    assert.deepEqual(
      sortSummaries(list(), 'shortest').map((x) => x.traceId),
      ['b', 'c', 'a'],
    );
    assert.deepEqual(
      sortSummaries(list(), 'most-spans').map((x) => x.traceId),
      ['b', 'a', 'c'],
    );
  });
});
