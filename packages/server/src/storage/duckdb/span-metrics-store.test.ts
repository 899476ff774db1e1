import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { DEFAULT_TENANT, SpanKind, StatusCode } from '../../model/span.ts';
import { runMetricsConformance } from '../conformance/metrics-conformance.ts';
import { METRICS_MINUTE } from '../metrics-reader.ts';
import type { MetricsQuery } from '../metrics-reader.ts';
import type { SpanMetricsRow } from '../span-metrics-writer.ts';
import { DuckDbStorage } from './duckdb-storage.ts';

runMetricsConformance('duckdb (:memory:)', () =>
  Promise.resolve(new DuckDbStorage({ path: ':memory:' })),
);

const T0 = Date.UTC(2026, 1, 1, 8, 0, 0) * 1000;

const ROW: SpanMetricsRow = {
  tenant: DEFAULT_TENANT,
  minute: T0,
  service: 'svc',
  operation: 'op',
  kind: SpanKind.Server,
  statusCode: StatusCode.Unset,
  calls: 120,
  durationSum: 120 * 3000,
  latency: { buckets: [164], counts: [120] },
};

const QUERY: MetricsQuery = {
  tenant: DEFAULT_TENANT,
  services: ['svc'],
  groupByOperation: true,
  spanKinds: [SpanKind.Server],
  endTime: T0 + METRICS_MINUTE,
  lookback: 0,
  step: METRICS_MINUTE,
  ratePer: METRICS_MINUTE,
};

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

describe('span metrics in a DuckDB file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-span-metrics-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('rows survive close and reopen', async () => {
    const path = join(dir, 'reopen');
    const first = new DuckDbStorage({ path });
    await first.open();
    await first.writeSpanMetrics([ROW]);
    await first.close();
    const second = new DuckDbStorage({ path });
    await second.open();
    try {
      const calls = await second.calls(QUERY);
      assert.deepEqual(calls, [
        { service: 'svc', operation: 'op', points: [{ time: T0 + METRICS_MINUTE, value: 2 }] },
      ]);
    } finally {
      await second.close();
    }
  });

  test('a store made before span_metrics existed opens and gains the table', async () => {
    const path = join(dir, 'older');
    const first = new DuckDbStorage({ path });
    await first.open();
    await first.close();
    await withRawFile(join(path, 'skein.duckdb'), 'DROP TABLE span_metrics');
    const second = new DuckDbStorage({ path });
    await second.open();
    try {
      assert.deepEqual(await second.calls(QUERY), []);
      await second.writeSpanMetrics([ROW]);
      assert.equal((await second.calls(QUERY))[0].points[0].value, 2);
    } finally {
      await second.close();
    }
  });

  test('after close, writes and reads reject with StorageError', async () => {
    const store = new DuckDbStorage({ path: ':memory:' });
    await store.open();
    await store.close();
    await assert.rejects(store.writeSpanMetrics([ROW]), { code: 'SKEIN_STORAGE_ERROR' });
    await assert.rejects(store.calls(QUERY), { code: 'SKEIN_STORAGE_ERROR' });
  });
});
