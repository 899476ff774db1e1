import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findInTrace } from './find-in-trace.ts';
import { buildTraceModel } from './trace-model.ts';
import { span, trace } from './test-support/spans.ts';

const model = buildTraceModel(
  trace(
    span('aaaa000000000001', '', 0, 100, { service: 'frontend', operation: 'GET /checkout' }),
    span('aaaa000000000002', 'aaaa000000000001', 20, 10, {
      service: 'cart',
      operation: 'AddItem',
      tags: [{ key: 'http.status_code', type: 'int64', value: 500 }],
    }),
    span('aaaa000000000003', 'aaaa000000000001', 10, 10, {
      service: 'payment',
      operation: 'Charge',
      events: [
        {
          time: 12,
          name: 'exception',
          fields: [{ key: 'exception.message', type: 'string', value: 'Card Declined' }],
        },
      ],
    }),
  ),
);

describe('find in trace', () => {
  test('matches service, operation, span id, key=value tags and events, case-insensitively', () => {
    assert.deepEqual(Array.from(findInTrace(model, 'CART').list), [1]);
    assert.deepEqual(Array.from(findInTrace(model, 'checkout').list), [0]);
    assert.deepEqual(Array.from(findInTrace(model, '000000000003').list), [2]);
    assert.deepEqual(Array.from(findInTrace(model, 'http.status_code=500').list), [1]);
    assert.deepEqual(Array.from(findInTrace(model, 'card declined').list), [2]);
  });

  test('every term must match; the list is in display order; flags mark the matches', () => {
    const r = findInTrace(model, 'aaaa');
    assert.deepEqual(
      Array.from(r.list),
      [0, 2, 1],
      'payment starts first, so it is shown before cart',
    );
    assert.deepEqual(Array.from(r.matched), [1, 1, 1]);
    assert.deepEqual(Array.from(findInTrace(model, 'cart 500').list), [1]);
    assert.deepEqual(Array.from(findInTrace(model, 'cart 404').list), []);
  });

  test('an empty or blank query matches nothing', () => {
    assert.equal(findInTrace(model, '').list.length, 0);
    assert.equal(
      findInTrace(model, '   ').matched.reduce((a, b) => a + b, 0),
      0,
    );
  });
});
