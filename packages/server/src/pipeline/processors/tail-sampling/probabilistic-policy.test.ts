import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { DEFAULT_HASH_SALT, ProbabilisticPolicy, thresholdOf } from './probabilistic-policy.ts';
import { randomTraceId, traceOf } from './test-support/traces.ts';
import { Fnv64 } from './trace-id-hash.ts';

/** FNV-1a 64 the plain way (BigInt), to check the two-halves arithmetic against. */
function referenceFnv1a64(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}

test('FNV-1a 64: the published test vectors', () => {
  for (const [text, want] of [
    ['', 0xcbf29ce484222325n],
    ['a', 0xaf63dc4c8601ec8cn],
    ['foobar', 0x85944171f73967e8n],
  ] as const) {
    const h = new Fnv64();
    h.text(text);
    assert.equal(h.value(), want, JSON.stringify(text));
  }
});

test('FNV-1a 64: salt then trace id bytes equals the BigInt reference on random inputs', () => {
  for (let i = 0; i < 2000; i++) {
    const id = randomBytes(16);
    const salt = randomBytes(i % 20).toString('hex');
    const h = new Fnv64();
    h.text(salt);
    h.hex(id.toString('hex'));
    assert.equal(h.value(), referenceFnv1a64(Buffer.concat([Buffer.from(salt), id])));
  }
});

test('FNV-1a 64: upper-case hex ids hash like lower-case ones', () => {
  const id = randomTraceId();
  const a = new Fnv64();
  a.hex(id);
  const b = new Fnv64();
  b.hex(id.toUpperCase());
  assert.equal(a.value(), b.value());
});

test('probabilistic: the decision is hash ≤ percentage × (2^64 − 1), as the collector decides', () => {
  const policy = new ProbabilisticPolicy('p', 30, '');
  const threshold = thresholdOf(0.3);
  for (let i = 0; i < 2000; i++) {
    const id = randomBytes(16);
    const hash = referenceFnv1a64(Buffer.concat([Buffer.from(DEFAULT_HASH_SALT), id]));
    const trace = traceOf([{}], id.toString('hex'));
    assert.equal(policy.evaluate(trace), hash <= threshold ? 'sampled' : 'not_sampled');
  }
});

test('probabilistic: the sampled share is within ±2 points of the percentage over 10,000 random trace ids', () => {
  const ids = Array.from({ length: 10_000 }, () => traceOf([{}], randomTraceId()));
  for (const percentage of [1, 10, 25, 50, 90]) {
    const policy = new ProbabilisticPolicy('p', percentage, 'skein');
    let sampled = 0;
    for (const trace of ids) if (policy.evaluate(trace) === 'sampled') sampled++;
    const share = (sampled / ids.length) * 100;
    assert.ok(Math.abs(share - percentage) <= 2, `${percentage}%: sampled ${share.toFixed(2)}%`);
  }
});

test('probabilistic: two instances (two Skein processes) decide the same for every trace id', () => {
  const a = new ProbabilisticPolicy('a', 20, 'fleet-salt');
  const b = new ProbabilisticPolicy('b', 20, 'fleet-salt');
  const other = new ProbabilisticPolicy('c', 20, 'another-salt');
  let differsFromOtherSalt = 0;
  for (let i = 0; i < 10_000; i++) {
    const trace = traceOf([{}], randomTraceId());
    const decision = a.evaluate(trace);
    assert.equal(b.evaluate(trace), decision);
    if (other.evaluate(trace) !== decision) differsFromOtherSalt++;
  }
  // Independent 20% choices disagree on 2 × 0.2 × 0.8 = 32% of ids.
  assert.ok(
    differsFromOtherSalt > 2500,
    `a different salt picks other traces (${differsFromOtherSalt})`,
  );
});

test('probabilistic: 0 % samples nothing and 100 % everything', () => {
  const none = new ProbabilisticPolicy('none', 0, '');
  const all = new ProbabilisticPolicy('all', 100, '');
  for (let i = 0; i < 1000; i++) {
    const trace = traceOf([{}], randomTraceId());
    assert.equal(none.evaluate(trace), 'not_sampled');
    assert.equal(all.evaluate(trace), 'sampled');
  }
});
