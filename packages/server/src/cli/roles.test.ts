import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveOrder } from './app.ts';
import { modules, roles } from './roles.ts';

describe('role table', () => {
  test('every role resolves without a cycle, each module after what it depends on', () => {
    for (const [role, wanted] of Object.entries(roles)) {
      const order = resolveOrder(modules, wanted);
      for (const [i, name] of order.entries()) {
        for (const dep of modules[name].dependsOn) {
          assert.ok(order.indexOf(dep) < i, `${role}: ${dep} starts before ${name}`);
        }
      }
    }
  });

  test('all is the union of collector and query', () => {
    const all = new Set(resolveOrder(modules, roles.all));
    const union = new Set([
      ...resolveOrder(modules, roles.collector),
      ...resolveOrder(modules, roles.query),
    ]);
    assert.deepEqual([...all].sort(), [...union].sort());
  });

  test('the query role starts no receiver and no pipeline; the collector serves no query API', () => {
    const query = resolveOrder(modules, roles.query);
    assert.deepEqual(
      query.filter(
        (m) => m.includes('otlp') || m.includes('jaeger') || m === 'zipkin' || m === 'pipeline',
      ),
      [],
    );
    assert.ok(!resolveOrder(modules, roles.collector).includes('query'));
  });

  test('the ingester starts no receiver and no query API; its pipeline starts after the buffer', () => {
    const ingester = resolveOrder(modules, roles.ingester);
    assert.deepEqual(
      ingester.filter(
        (m) => m.includes('otlp') || m.includes('jaeger') || m === 'zipkin' || m === 'query',
      ),
      [],
    );
    assert.ok(
      ingester.includes('pipeline'),
      'the ingester runs the pipeline (trace-level processors)',
    );
    assert.ok(ingester.indexOf('buffer') < ingester.indexOf('pipeline'));
    assert.ok(ingester.indexOf('storage') < ingester.indexOf('pipeline'));
  });

  test('the admin port starts first, so it stops last', () => {
    for (const wanted of Object.values(roles)) {
      const order = resolveOrder(modules, wanted);
      assert.ok(order.indexOf('admin') < order.indexOf('storage'));
    }
  });

  test('a dependency cycle is reported, not looped on', () => {
    const table = { a: { dependsOn: ['b'] as const }, b: { dependsOn: ['a'] as const } };
    assert.throws(
      () => resolveOrder<'a' | 'b'>(table, ['a']),
      /module dependency cycle: a -> b -> a/,
    );
  });
});
