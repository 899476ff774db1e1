import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from './token-bucket.ts';

test('starts full, refills at the rate up to the burst, and says how long to wait', () => {
  const b = new TokenBucket(100, 50, 0);
  assert.equal(b.take(50, 0), 0);
  // Empty: 20 spans need 0.2 s, rounded up to 1 (Retry-After is whole seconds).
  assert.equal(b.take(20, 0), 1);
  assert.equal(b.tokens(100), 10);
  assert.equal(b.take(10, 100), 0);
  // Never more than the burst, however long it was idle.
  assert.equal(b.tokens(60_000), 50);
  const slow = new TokenBucket(2, 10, 0);
  slow.take(10, 0);
  assert.equal(slow.take(9, 0), 5, '9 spans at 2/s: 4.5 s, rounded up');
});

test('a batch bigger than the burst passes when the bucket is full, leaving it in debt', () => {
  const b = new TokenBucket(10, 10, 0);
  assert.equal(b.take(25, 0), 0);
  assert.equal(b.tokens(0), -15);
  assert.equal(b.take(1, 0), 2, '16 tokens short at 10/s: 1.6 s, rounded up');
  assert.equal(b.take(1, 1000), 1, 'still 6 short after 1 s');
  assert.equal(b.take(1, 1600), 0);
});

test('refund gives back what a later refusal did not use, up to the burst', () => {
  const b = new TokenBucket(10, 10, 0);
  b.take(8, 0);
  b.refund(8);
  assert.equal(b.tokens(0), 10);
  b.refund(5);
  assert.equal(b.tokens(0), 10);
});
