import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testResource } from '../conformance/test-spans.ts';
import type { Scope } from '../../model/span.ts';
import { OriginBatch, OriginRegistry } from './origin-registry.ts';

const scope = (): Scope => ({
  name: 'lib',
  version: '1',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
});

describe('OriginRegistry with batches in flight', () => {
  test('a later batch borrows an uncommitted origin instead of inserting it again', () => {
    const registry = new OriginRegistry();
    const a = new OriginBatch();
    const id = registry.resolve(testResource('svc'), scope(), a);
    assert.equal(a.added.length, 1);
    registry.publish(a);
    const b = new OriginBatch();
    assert.equal(registry.resolve(testResource('svc'), scope(), b), id);
    assert.deepEqual(b.added, []);
    assert.deepEqual([...b.borrowed], [a]);
    registry.commit(a);
    assert.equal(registry.get(id)?.resource, a.added[0].resource);
    const c = new OriginBatch();
    assert.equal(registry.resolve(testResource('svc'), scope(), c), id);
    assert.equal(c.borrowed.size, 0);
    assert.deepEqual(c.added, []);
  });

  test('the origins of a batch that failed are allocated afresh, never reused', () => {
    const registry = new OriginRegistry();
    const a = new OriginBatch();
    const id = registry.resolve(testResource('svc'), scope(), a);
    registry.publish(a);
    registry.unpublish(a);
    const b = new OriginBatch();
    const again = registry.resolve(testResource('svc'), scope(), b);
    assert.notEqual(again, id);
    assert.equal(b.added.length, 1);
    assert.equal(b.borrowed.size, 0);
    assert.equal(registry.get(id), undefined);
  });
});
