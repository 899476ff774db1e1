import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QueryBusyError } from '../errors.ts';
import { QueryGate } from './query-gate.ts';

function held(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

test('runs at most maxConcurrent at once, the next waiting in order', async () => {
  const gate = new QueryGate({ maxConcurrent: 2, maxQueued: 2, queueTimeoutMs: 60_000 });
  const a = held();
  const b = held();
  const order: string[] = [];
  const ra = gate.run(async () => {
    order.push('a');
    await a.promise;
  });
  const rb = gate.run(async () => {
    order.push('b');
    await b.promise;
  });
  const rc = gate.run(async () => {
    order.push('c');
  });
  const rd = gate.run(async () => {
    order.push('d');
  });
  assert.equal(gate.active, 2);
  assert.equal(gate.waiting, 2);
  await Promise.resolve();
  assert.deepEqual(order, ['a', 'b']);
  b.release();
  await rb;
  await rc;
  await rd;
  assert.deepEqual(order, ['a', 'b', 'c', 'd']);
  a.release();
  await ra;
  assert.equal(gate.active, 0);
  assert.equal(gate.refused, 0);
});

test('refuses at once with QueryBusyError (503, Retry-After) when the queue is full', async () => {
  const gate = new QueryGate({ maxConcurrent: 1, maxQueued: 0, queueTimeoutMs: 60_000 });
  const a = held();
  const ra = gate.run(() => a.promise);
  let called = false;
  await assert.rejects(
    gate.run(async () => {
      called = true;
    }),
    (err: unknown) =>
      err instanceof QueryBusyError &&
      err.statusCode === 503 &&
      err.retryAfterSeconds === 1 &&
      /1 queries running and 0 waiting/.test(err.message),
  );
  assert.equal(called, false);
  assert.equal(gate.refused, 1);
  a.release();
  await ra;
  // The turn came back: the next one runs.
  assert.equal(await gate.run(async () => 'ok'), 'ok');
});

test('a query waiting longer than queueTimeoutMs is refused and leaves the queue', async () => {
  const gate = new QueryGate({ maxConcurrent: 1, maxQueued: 4, queueTimeoutMs: 20 });
  const a = held();
  const ra = gate.run(() => a.promise);
  await assert.rejects(
    gate.run(async () => 'late'),
    QueryBusyError,
  );
  assert.equal(gate.waiting, 0);
  a.release();
  await ra;
  assert.equal(gate.active, 0);
});

test('a failing query gives its turn back', async () => {
  const gate = new QueryGate({ maxConcurrent: 1, maxQueued: 0, queueTimeoutMs: 1000 });
  await assert.rejects(
    gate.run(() => Promise.reject(new Error('boom'))),
    /boom/,
  );
  assert.equal(gate.active, 0);
  assert.equal(await gate.run(async () => 1), 1);
});
