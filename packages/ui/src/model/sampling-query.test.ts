import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRoute } from './route.ts';
import {
  DEFAULT_SAMPLING,
  samplingApiUrl,
  samplingFromParams,
  samplingToParams,
  samplingUrl,
} from './sampling-query.ts';

describe('sampling URL state', () => {
  test('a full state survives a trip through the URL', () => {
    const state = { service: 'cart & co/ü', sort: 'observed' as const, desc: true };
    const url = samplingUrl(state);
    assert.equal(url, '/sampling?service=cart+%26+co%2F%C3%BC&sort=observed&order=desc');
    const route = parseRoute('/sampling', url.slice(url.indexOf('?')));
    assert.equal(route.page, 'sampling');
    assert.deepEqual(samplingFromParams((route as { params: URLSearchParams }).params), state);
  });

  test('defaults are left out; the bare page is /sampling', () => {
    assert.equal(samplingUrl(DEFAULT_SAMPLING), '/sampling');
    assert.equal(samplingToParams({ ...DEFAULT_SAMPLING, service: 'a' }).toString(), 'service=a');
    assert.deepEqual(samplingFromParams(new URLSearchParams('')), DEFAULT_SAMPLING);
    assert.deepEqual(parseRoute('/sampling/', ''), {
      page: 'sampling',
      params: new URLSearchParams(''),
    });
  });

  test('invalid values fall back; a column without an order sorts names A→Z, numbers high first', () => {
    assert.deepEqual(samplingFromParams(new URLSearchParams('sort=nope&order=sideways')), {
      service: '',
      sort: 'operation',
      desc: false,
    });
    assert.equal(samplingFromParams(new URLSearchParams('sort=target')).desc, true);
    assert.equal(samplingFromParams(new URLSearchParams('sort=operation')).desc, false);
    assert.equal(samplingFromParams(new URLSearchParams('sort=served&order=asc')).desc, false);
    assert.equal(samplingFromParams(new URLSearchParams('sort=operation&order=desc')).desc, true);
  });

  test('the API URL asks for one service, or every known service', () => {
    assert.equal(samplingApiUrl(DEFAULT_SAMPLING), '/api/sampling/strategies');
    assert.equal(
      samplingApiUrl({ ...DEFAULT_SAMPLING, service: 'a b&c', sort: 'target', desc: true }),
      '/api/sampling/strategies?service=a+b%26c',
    );
  });
});
