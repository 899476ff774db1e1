import { DEFAULT_TENANT } from '../../model/span.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { COMPLETENESS_MINUTE } from '../completeness-reader.ts';
import type { CompletenessQuery } from '../completeness-reader.ts';
import type { CompletenessDelta } from '../completeness-writer.ts';
import { runCompletenessConformance } from '../conformance/completeness-conformance.ts';
import { DuckDbStorage } from './duckdb-storage.ts';

runCompletenessConformance('duckdb (:memory:)', () =>
  Promise.resolve(new DuckDbStorage({ path: ':memory:' })),
);

const T0 = Date.UTC(2026, 1, 1, 8, 0, 0) * 1000;
const M = COMPLETENESS_MINUTE;

const DELTA: CompletenessDelta = {
  roots: [{ tenant: DEFAULT_TENANT, minute: T0, rootService: 'frontend', traces: 4, complete: 3 }],
  services: [
    { tenant: DEFAULT_TENANT, minute: T0, service: 'frontend', spans: 8, spansInComplete: 6 },
  ],
  edges: [
    {
      tenant: DEFAULT_TENANT,
      minute: T0,
      caller: 'frontend',
      callee: 'cart',
      calls: 4,
      answered: 3,
    },
  ],
  breaks: [
    {
      tenant: DEFAULT_TENANT,
      minute: T0,
      cause: 'split_trace',
      service: 'frontend',
      peer: 'cart',
      count: 1,
      examples: ["it's>a quote"],
    },
  ],
};

const QUERY: CompletenessQuery = { tenant: DEFAULT_TENANT, start: T0, end: T0 + M, step: M };

async function withRawFile(file: string, sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const c = await instance.connect();
  try {
    await c.run(sql);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

describe('completeness aggregates in a DuckDB file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-completeness-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('rows survive close and reopen', async () => {
    const path = join(dir, 'reopen');
    const first = new DuckDbStorage({ path });
    await first.open();
    await first.writeCompleteness(DELTA);
    await first.close();
    const second = new DuckDbStorage({ path });
    await second.open();
    try {
      const got = await second.completeness(QUERY);
      assert.deepEqual(got.summary, { traces: 4, complete: 3, rate: 0.75 });
      assert.deepEqual(got.causes[0].examples, [{ traceId: "it's", otherTraceId: 'a quote' }]);
    } finally {
      await second.close();
    }
  });

  test('a store made before the completeness tables existed opens and gains them', async () => {
    const path = join(dir, 'older');
    const first = new DuckDbStorage({ path });
    await first.open();
    await first.close();
    await withRawFile(
      join(path, 'skein.duckdb'),
      'DROP TABLE completeness_roots; DROP TABLE completeness_services; DROP TABLE completeness_edges; DROP TABLE completeness_breaks',
    );
    const second = new DuckDbStorage({ path });
    await second.open();
    try {
      assert.deepEqual((await second.completeness(QUERY)).summary, {
        traces: 0,
        complete: 0,
        rate: null,
      });
      await second.writeCompleteness(DELTA);
      assert.equal((await second.completeness(QUERY)).edges[0].answered, 3);
    } finally {
      await second.close();
    }
  });

  test('a service filter with SQL in it is a value, not SQL', async () => {
    const store = new DuckDbStorage({ path: ':memory:' });
    await store.open();
    try {
      await store.writeCompleteness(DELTA);
      const got = await store.completeness({ ...QUERY, service: "frontend' OR '1'='1" });
      assert.deepEqual(got.summary, { traces: 0, complete: 0, rate: null });
      assert.deepEqual(got.edges, []);
    } finally {
      await store.close();
    }
  });

  test('after close, writes and reads reject with StorageError', async () => {
    const store = new DuckDbStorage({ path: ':memory:' });
    await store.open();
    await store.close();
    await assert.rejects(store.writeCompleteness(DELTA), { code: 'SKEIN_STORAGE_ERROR' });
    await assert.rejects(store.completeness(QUERY), { code: 'SKEIN_STORAGE_ERROR' });
  });
});
