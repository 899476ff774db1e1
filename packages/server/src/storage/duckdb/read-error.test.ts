import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnswerTooLargeError, StorageBusyError, StorageError } from '../../errors.ts';
import { readError } from './read-error.ts';

test("DuckDB's out-of-memory becomes StorageBusyError: 503 with Retry-After, the engine text kept as cause", () => {
  const engine = new Error(
    'Out of Memory Error: could not allocate block of size 256.0 KiB (121.8 MiB/122.0 MiB used)',
  );
  const err = readError('read a trace', engine);
  assert.ok(err instanceof StorageBusyError);
  assert.equal(err.statusCode, 503);
  assert.equal(err.retryAfterSeconds, 2);
  assert.equal(err.cause, engine);
  assert.match(err.message, /storage could not read a trace now/);
});

test('other engine failures become StorageError; coded errors pass through', () => {
  const err = readError('search traces', new Error('IO Error: disk gone'));
  assert.ok(err instanceof StorageError);
  assert.equal(err.statusCode, 500);
  const tooLarge = new AnswerTooLargeError(['trace 1', 10]);
  assert.equal(readError('read a trace', tooLarge), tooLarge);
});
