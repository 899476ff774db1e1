import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBreakSpec, parseSkew } from './break-spec.ts';

describe('parseBreakSpec', () => {
  test('reads cause, edge and rate, with > or / between caller and callee', () => {
    assert.deepEqual(parseBreakSpec('split:frontend>catalog=0.05'), {
      cause: 'split',
      caller: 'frontend',
      callee: 'catalog',
      rate: 0.05,
    });
    assert.deepEqual(parseBreakSpec('async:checkout/shipping=0.1'), {
      cause: 'async',
      caller: 'checkout',
      callee: 'shipping',
      rate: 0.1,
    });
    assert.deepEqual(parseBreakSpec('unanswered:*>*=0.01'), {
      cause: 'unanswered',
      caller: '*',
      callee: '*',
      rate: 0.01,
    });
    assert.deepEqual(parseBreakSpec('orphan:frontend>*=1'), {
      cause: 'orphan',
      caller: 'frontend',
      callee: '*',
      rate: 1,
    });
    assert.deepEqual(parseBreakSpec('late=0.01'), {
      cause: 'late',
      caller: '*',
      callee: '*',
      rate: 0.01,
    });
  });

  test('errors list the valid causes, the services and the edges a cause applies to', () => {
    assert.throws(
      () => parseBreakSpec('drop:frontend>catalog=0.1'),
      /unknown cause "drop"; causes are split, async, unanswered, orphan, late/,
    );
    assert.throws(
      () => parseBreakSpec('split:frontend>orders=0.1'),
      /no service "orders"; services are ads, cart, catalog, checkout, frontend, payments, recommendations, search, shipping \(or \*\)/,
    );
    assert.throws(
      () => parseBreakSpec('split:checkout>shipping=0.1'),
      /no checkout>shipping call can be broken by split; split applies to .*frontend>catalog/,
    );
    assert.throws(
      () => parseBreakSpec('async:frontend>*=0.1'),
      /async applies to checkout>shipping$/,
    );
    assert.throws(() => parseBreakSpec('split:frontend>catalog'), /has no =RATE/);
    assert.throws(() => parseBreakSpec('split:frontend>catalog=5%'), /between 0 and 1, got "5%"/);
    assert.throws(() => parseBreakSpec('split:frontend>catalog=1.5'), /between 0 and 1/);
    assert.throws(() => parseBreakSpec('split=0.1'), /names no edge/);
    assert.throws(() => parseBreakSpec('split:frontend=0.1'), /"frontend" is not an edge/);
    assert.throws(() => parseBreakSpec('late:frontend>catalog=0.1'), /write late=RATE/);
  });
});

describe('parseSkew', () => {
  test('reads SERVICE=MS, negative and fractional too', () => {
    assert.deepEqual(parseSkew('catalog=5'), { service: 'catalog', ms: 5 });
    assert.deepEqual(parseSkew('shipping=-2.5'), { service: 'shipping', ms: -2.5 });
  });
  test('refuses unknown services and missing numbers', () => {
    assert.throws(() => parseSkew('postgres=5'), /no service "postgres"; services are ads,/);
    assert.throws(() => parseSkew('catalog'), /write SERVICE=MS/);
    assert.throws(() => parseSkew('catalog=soon'), /write SERVICE=MS/);
  });
});
