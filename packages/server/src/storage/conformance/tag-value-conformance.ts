import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_TENANT, StatusCode, ValueType } from '../../model/span.ts';
import type { Storage } from '../storage.ts';
import { isTagValueReader } from '../tag-value-reader.ts';
import type { TagValueReader } from '../tag-value-reader.ts';
import { hexId, makeSpan, testResource } from './test-spans.ts';

const T0 = 1_700_000_000_000_000;
const WINDOW = { startTimeMin: T0 - 1, startTimeMax: T0 + 10_000_000 };
const trace = (n: number) => hexId(0x7a6, n, 32);

/**
 * Conformance cases of the optional TagValueReader capability; a backend that does
 * not implement it skips them (and Zipkin's API then offers no autocomplete values,
 * remote services or bare-word annotation queries).
 */
export function tagValueReaderCases(createStorage: () => Promise<Storage>): void {
  describe('TagValueReader (optional capability)', () => {
    let store: Storage;
    let reader: TagValueReader | undefined;

    before(async () => {
      store = await createStorage();
      await store.open();
      reader = isTagValueReader(store) ? store : undefined;
      if (reader === undefined) return;
      const front = makeSpan({
        traceId: trace(1),
        spanId: hexId(0x7a6, 1, 16),
        resource: testResource('front'),
        startTime: T0,
      });
      front.attributes.push(
        { key: 'peer.service', type: ValueType.String, value: 'db' },
        { key: 'http.method', type: ValueType.String, value: 'GET' },
        { key: 'http.status_code', type: ValueType.Int, value: 200 },
      );
      front.events.push({
        time: T0 + 5,
        name: 'retried',
        attributes: [],
        droppedAttributesCount: 0,
      });
      const back = makeSpan({
        traceId: trace(2),
        spanId: hexId(0x7a6, 2, 16),
        resource: testResource('back'),
        startTime: T0 + 100,
        statusCode: StatusCode.Error,
      });
      back.attributes.push(
        { key: 'peer.service', type: ValueType.String, value: 'cache' },
        { key: 'http.method', type: ValueType.String, value: 'POST' },
      );
      back.events.push({
        time: T0 + 105,
        name: 'log',
        attributes: [{ key: 'http.method', type: ValueType.String, value: 'PUT' }],
        droppedAttributesCount: 0,
      });
      await store.write([front, back]);
    });
    after(() => store.close());

    test('getTagValues: distinct values of span and event attributes, sorted, per service, limited', async (t) => {
      if (reader === undefined) return t.skip('not implemented by this backend');
      const values = (key: string, extra: { serviceName?: string; limit?: number } = {}) =>
        reader!.getTagValues({ tenant: DEFAULT_TENANT, key, ...WINDOW, limit: 10, ...extra });
      assert.deepEqual(await values('http.method'), ['GET', 'POST', 'PUT']);
      assert.deepEqual(await values('http.status_code'), ['200']);
      assert.deepEqual(await values('peer.service', { serviceName: 'front' }), ['db']);
      assert.deepEqual(await values('http.method', { limit: 1 }), ['GET']);
      assert.deepEqual(await values('service.name'), [], 'resource attributes do not count');
      assert.deepEqual(await values('nope'), []);
      const later = await reader.getTagValues({
        tenant: DEFAULT_TENANT,
        key: 'http.method',
        startTimeMin: T0 + 50,
        startTimeMax: T0 + 200,
        limit: 10,
      });
      assert.deepEqual(later, ['POST', 'PUT']);
    });

    test('findTraceIdsWithKeys: attribute keys, event names, error status, with other conditions', async (t) => {
      if (reader === undefined) return t.skip('not implemented by this backend');
      const find = (keys: string[], tags: Record<string, string> = {}, serviceName?: string) =>
        reader!.findTraceIdsWithKeys({
          tenant: DEFAULT_TENANT,
          ...WINDOW,
          tags,
          keys,
          serviceName,
          limit: 10,
        });
      assert.deepEqual(await find(['http.method']), [trace(2), trace(1)]);
      assert.deepEqual(await find(['retried']), [trace(1)]);
      assert.deepEqual(await find(['error']), [trace(2)]);
      assert.deepEqual(await find(['retried'], { 'http.method': 'GET' }), [trace(1)]);
      assert.deepEqual(await find(['retried'], { 'http.method': 'POST' }), []);
      assert.deepEqual(await find(['peer.service', 'log'], {}, 'back'), [trace(2)]);
      assert.deepEqual(await find(['http']), [], 'a key prefix is not a key');
    });
  });
}
