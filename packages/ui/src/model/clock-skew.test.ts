import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adjustClockSkew } from './clock-skew.ts';
import { buildTraceModel } from './trace-model.ts';
import { span, trace } from './test-support/spans.ts';

describe('clock-skew adjustment', () => {
  test('a child from another process that starts before its parent is centred in it, with its subtree', () => {
    const m = buildTraceModel(
      trace(
        span('client', '', 1000, 100, { processKey: 'front', kind: 'client' }),
        span('server', 'client', 900, 60, { processKey: 'back', kind: 'server' }),
        span('db', 'server', 910, 20, { processKey: 'back' }),
      ),
    );
    const { offset, adjusted } = adjustClockSkew(m);
    assert.equal(adjusted, 1);
    assert.equal(offset[0], 0);
    // Centred: 1000 + (100 - 60) / 2 = 1020, so +120; the db span moves by the same.
    assert.equal(offset[1], 120);
    assert.equal(offset[2], 120);
  });

  test('a child longer than its parent is aligned to the parent start', () => {
    const m = buildTraceModel(
      trace(
        span('p', '', 1000, 50, { processKey: 'a' }),
        span('c', 'p', 990, 80, { processKey: 'b' }),
      ),
    );
    assert.equal(adjustClockSkew(m).offset[1], 10);
  });

  test('children inside their parent, of the same process, or async are left alone', () => {
    const m = buildTraceModel(
      trace(
        span('p', '', 1000, 100, { processKey: 'a' }),
        span('inside', 'p', 1010, 20, { processKey: 'b' }),
        span('same', 'p', 900, 20, { processKey: 'a' }),
        span('prod', 'p', 1050, 5, { processKey: 'a', kind: 'producer' }),
        span('cons', 'prod', 5000, 5, { processKey: 'c', kind: 'consumer' }),
      ),
    );
    const { offset, adjusted } = adjustClockSkew(m);
    assert.equal(adjusted, 0);
    assert.ok(offset.every((v) => v === 0));
  });
});
