import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { errorCatalog, InvalidParameterError, isSkeinError, PipelineFullError } from './errors.ts';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

test('docs/errors.md lists exactly the coded errors, with their HTTP status', () => {
  const rows = new Map<string, string>();
  for (const line of doc.split('\n')) {
    const m = /^\| (SKEIN_[A-Z_]+) \| ([^|]+) \|/.exec(line);
    if (m) rows.set(m[1], m[2].trim());
  }
  const codes = errorCatalog.map((e) => e.code).sort();
  assert.deepEqual([...rows.keys()].sort(), codes);
  for (const e of errorCatalog) {
    const expected = e.code === 'SKEIN_CONFIG_INVALID' ? '—' : String(e.statusCode);
    assert.equal(rows.get(e.code), expected, `${e.code} status in docs/errors.md`);
  }
});

test('coded errors carry code, status, message and retry hint', () => {
  const full = new PipelineFullError(['10000 spans queued'], { retryAfterSeconds: 2 });
  assert.ok(isSkeinError(full));
  assert.equal(full.code, 'SKEIN_PIPELINE_FULL');
  assert.equal(full.statusCode, 429);
  assert.equal(full.retryAfterSeconds, 2);
  assert.match(full.message, /ingest queue is full \(10000 spans queued\); retry later/);
  const cause = new Error('boom');
  const bad = new InvalidParameterError(['limit', 'must be a positive integer'], { cause });
  assert.equal(bad.cause, cause);
  assert.equal(bad.message, 'parameter "limit" must be a positive integer');
  assert.ok(!isSkeinError(cause));
});
