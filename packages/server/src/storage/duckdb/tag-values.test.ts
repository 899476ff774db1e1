import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StatusCode, ValueType } from '../../model/span.ts';
import { makeResource, makeScope, makeSpan } from '../../query/test-support/span-builders.ts';
import { isTagValueReader } from '../tag-value-reader.ts';
import { DuckDbStorage } from './duckdb-storage.ts';

const T0 = 1_700_000_000_000_000;
const WINDOW = { startTimeMin: T0 - 1, startTimeMax: T0 + 10_000_000 };

describe('DuckDbStorage as a TagValueReader', () => {
  const storage = new DuckDbStorage({ path: ':memory:' });
  const front = makeResource('front');
  const back = makeResource('back');
  const scope = makeScope();

  before(async () => {
    await storage.open();
    await storage.write([
      makeSpan({
        traceId: '1'.padStart(32, '0'),
        spanId: '1'.padStart(16, '0'),
        startTime: T0,
        resource: front,
        scope,
        attributes: [
          { key: 'peer.service', type: ValueType.String, value: 'db' },
          { key: 'http.method', type: ValueType.String, value: 'GET' },
        ],
        events: [{ time: T0 + 5, name: 'retried', attributes: [], droppedAttributesCount: 0 }],
      }),
      makeSpan({
        traceId: '2'.padStart(32, '0'),
        spanId: '2'.padStart(16, '0'),
        startTime: T0 + 100,
        resource: back,
        scope,
        statusCode: StatusCode.Error,
        attributes: [
          { key: 'peer.service', type: ValueType.String, value: 'cache' },
          { key: 'http.method', type: ValueType.String, value: 'POST' },
        ],
      }),
    ]);
  });
  after(() => storage.close());

  test('implements the capability', () => {
    assert.ok(isTagValueReader(storage));
  });

  test('getTagValues: distinct values, sorted, optionally per service', async () => {
    const all = await storage.getTagValues({ key: 'http.method', ...WINDOW, limit: 10 });
    assert.deepEqual(all, ['GET', 'POST']);
    const front = await storage.getTagValues({
      key: 'peer.service',
      serviceName: 'front',
      ...WINDOW,
      limit: 10,
    });
    assert.deepEqual(front, ['db']);
    assert.deepEqual(await storage.getTagValues({ key: 'nope', ...WINDOW, limit: 10 }), []);
    assert.deepEqual(await storage.getTagValues({ key: 'http.method', ...WINDOW, limit: 1 }), [
      'GET',
    ]);
  });

  test('findTraceIdsWithKeys: attribute keys, event names and error status', async () => {
    const find = (keys: string[], tags: Record<string, string> = {}) =>
      storage.findTraceIdsWithKeys({ ...WINDOW, tags, keys, limit: 10 });
    assert.deepEqual(await find(['http.method']), ['2'.padStart(32, '0'), '1'.padStart(32, '0')]);
    assert.deepEqual(await find(['retried']), ['1'.padStart(32, '0')]);
    assert.deepEqual(await find(['error']), ['2'.padStart(32, '0')]);
    assert.deepEqual(await find(['retried'], { 'http.method': 'GET' }), ['1'.padStart(32, '0')]);
    assert.deepEqual(await find(['retried'], { 'http.method': 'POST' }), []);
    assert.deepEqual(await find(['http']), []);
  });
});
