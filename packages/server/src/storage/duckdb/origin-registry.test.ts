import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testResource } from '../conformance/test-spans.ts';
import type { Scope } from '../../model/span.ts';
import { tagTerm } from './attribute-codec.ts';
import { decodeResource, OriginBatch, OriginRegistry } from './origin-registry.ts';

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

describe('OriginRegistry with tenants', () => {
  test('the same resource sent by two tenants is two origins, each decoding to its tenant', () => {
    const registry = new OriginRegistry();
    const batch = new OriginBatch();
    const acme = registry.resolve(testResource('svc', 'acme'), scope(), batch);
    const globex = registry.resolve(testResource('svc', 'globex'), scope(), batch);
    const none = registry.resolve(testResource('svc'), scope(), batch);
    assert.equal(new Set([acme, globex, none]).size, 3);
    registry.publish(batch);
    registry.commit(batch);
    for (const [id, tenant] of [
      [acme, 'acme'],
      [globex, 'globex'],
      [none, ''],
    ] as const) {
      const row = registry.get(id)!;
      assert.equal(row.tenant, tenant);
      assert.deepEqual(decodeResource(row.resource, row.tenant), testResource('svc', tenant));
    }
    // A resource tag condition resolves to the asking tenant's origins only.
    const term = tagTerm('service.name', 'svc');
    assert.deepEqual(registry.idsWithTerm(term, 'acme'), [acme]);
    assert.deepEqual(registry.idsWithTerm(term, 'globex'), [globex]);
    assert.deepEqual(registry.idsWithTerm(term, 'other'), []);
    // Reloaded from rows (a reopened store), the identities hold.
    const reloaded = new OriginRegistry();
    reloaded.load([registry.get(acme)!, registry.get(globex)!, registry.get(none)!]);
    assert.equal(
      reloaded.resolve(testResource('svc', 'globex'), scope(), new OriginBatch()),
      globex,
    );
  });
});
