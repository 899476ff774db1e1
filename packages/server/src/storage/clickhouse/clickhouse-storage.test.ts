import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isSkeinError } from '../../errors.ts';
import { DEFAULT_TENANT } from '../../model/span.ts';
import type { Span } from '../../model/span.ts';
import { hexId, makeSpan, testResource } from '../conformance/test-spans.ts';
import { estimateAnswerBytes } from '../duckdb/span-stream.ts';
import { ReadBudget } from '../read-budget.ts';
import { runCompletenessConformance } from '../conformance/completeness-conformance.ts';
import { runMetricsConformance } from '../conformance/metrics-conformance.ts';
import { runStorageConformance } from '../conformance/storage-conformance.ts';
import {
  clickhouseInstalled,
  startClickHouseCluster,
} from '../../../test/support/clickhouse-cluster.ts';
import type { ClickHouseCluster } from '../../../test/support/clickhouse-cluster.ts';
import { ClickHouseStorage } from './clickhouse-storage.ts';

/*
 * The conformance suites on a real cluster: 2 shards × 2 replicas and one ZooKeeper
 * (test/support/clickhouse-cluster.ts), ClickHouse 18.16 from Debian. Each store the
 * suites ask for is a new database on the same cluster, created ON CLUSTER by open().
 */

let cluster: ClickHouseCluster | undefined;
let databases = 0;

function newStore(): Promise<ClickHouseStorage> {
  if (cluster === undefined) throw new Error('the ClickHouse cluster did not start');
  return Promise.resolve(
    new ClickHouseStorage({
      urls: cluster.urls,
      cluster: cluster.cluster,
      database: `skein_conformance_${process.pid}_${++databases}`,
      username: 'default',
      password: '',
      requestTimeoutMs: 30_000,
      createSchema: true,
    }),
  );
}

describe(
  'ClickHouse storage on a 2 × 2 cluster',
  {
    skip:
      !clickhouseInstalled() &&
      'clickhouse-server / zookeeper not installed (apt-get install clickhouse-server zookeeper)',
  },
  () => {
    before(async () => {
      cluster = await startClickHouseCluster();
    });
    after(async () => {
      await cluster?.stop();
    });
    runStorageConformance('clickhouse (2 shards × 2 replicas)', newStore);
    runMetricsConformance('clickhouse (2 shards × 2 replicas)', newStore);
    runCompletenessConformance('clickhouse (2 shards × 2 replicas)', newStore);

    describe('read budget (query.maxResponseBytes)', () => {
      let store: ClickHouseStorage;
      const now = Date.now() * 1000;
      const trace = (n: number, spans: number): Span[] =>
        Array.from({ length: spans }, (_, i) =>
          makeSpan({
            traceId: hexId(0xb0d9, n, 32),
            spanId: hexId(0xb0d9 + n, i + 1, 16),
            resource: testResource('budget-service'),
            startTime: now - 10_000 + n * 100 + i,
          }),
        );
      const size = (spans: Span[]): number => spans.reduce((n, s) => n + estimateAnswerBytes(s), 0);
      const traces = [trace(1, 40), trace(2, 40), trace(3, 40)];
      before(async () => {
        store = await newStore();
        await store.open();
        await store.write(traces.flat());
      });
      after(() => store?.close());

      test('a trace over the budget is AnswerTooLargeError; one within it reads whole', async () => {
        const id = traces[0][0].traceId;
        await assert.rejects(
          store.getTrace(DEFAULT_TENANT, id, undefined, new ReadBudget(size(traces[0]) - 1)),
          (err: unknown) => isSkeinError(err) && err.code === 'SKEIN_ANSWER_TOO_LARGE',
        );
        const budget = new ReadBudget(size(traces[0]));
        assert.equal(
          (await store.getTrace(DEFAULT_TENANT, id, undefined, budget))?.spans.length,
          40,
        );
        assert.equal(budget.used, size(traces[0]));
      });

      test('a search keeps the newest whole traces that fit and says it was cut', async () => {
        const budget = new ReadBudget(size(traces[2]) + size(traces[1]) + 10);
        const found = await store.findTraces(
          {
            tenant: DEFAULT_TENANT,
            serviceName: 'budget-service',
            tags: {},
            startTimeMin: now - 3_600_000_000,
            startTimeMax: now,
            limit: 10,
          },
          budget,
        );
        assert.deepEqual(
          found.map((t) => [t.traceId, t.spans.length]),
          [
            [traces[2][0].traceId, 40],
            [traces[1][0].traceId, 40],
          ],
        );
        assert.equal(budget.truncated, true);
        assert.equal(budget.used, size(traces[2]) + size(traces[1]));
      });
    });
  },
);
