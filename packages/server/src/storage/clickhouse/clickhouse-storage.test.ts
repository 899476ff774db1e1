import { after, before, describe } from 'node:test';
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
  },
);
