import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import {
  clickhouseInstalled,
  startClickHouseCluster,
} from '../../test/support/clickhouse-cluster.ts';
import type { ClickHouseCluster } from '../../test/support/clickhouse-cluster.ts';
import { parseArgs } from './args.ts';
import { schemaCommand } from './schema-command.ts';

const run = promisify(execFile);
const MAIN = new URL('./main.ts', import.meta.url).pathname;

async function tables(url: string, database: string): Promise<string[]> {
  const sql = `SELECT name, engine FROM system.tables WHERE database = '${database}' ORDER BY name FORMAT TSV`;
  const r = await fetch(`${url}/?query=${encodeURIComponent(sql)}`);
  return (await r.text()).trim().split('\n').filter(Boolean);
}

test('skein schema init parses; a bare "schema" says what to add', () => {
  assert.deepEqual(parseArgs(['schema', 'init', '--config', 'x.yaml']), {
    command: 'schema',
    subcommand: 'init',
    configFile: 'x.yaml',
    options: {},
  });
  assert.throws(() => parseArgs(['schema']), /skein schema init/);
  assert.throws(() => parseArgs(['schema', 'drop']), /skein schema init/);
});

test('skein schema init refuses the duckdb backend (exit 2)', async () => {
  assert.equal(await schemaCommand(undefined, { 'storage.backend': 'duckdb' }), 2);
  assert.equal(
    await schemaCommand(undefined, {
      'storage.backend': 'clickhouse',
      'storage.clickhouse.database': 'bad-name; DROP',
    }),
    2,
  );
});

describe(
  'skein schema init on a real cluster',
  { skip: !clickhouseInstalled() && 'clickhouse-server / zookeeper not installed' },
  () => {
    let cluster: ClickHouseCluster;
    before(async () => {
      cluster = await startClickHouseCluster();
    });
    after(() => cluster?.stop());

    test('ON CLUSTER: replicated local tables and Distributed tables on every node; idempotent', async () => {
      const args = [
        '--import',
        'tsx',
        MAIN,
        'schema',
        'init',
        '--storage.backend=clickhouse',
        `--storage.clickhouse.urls=${cluster.urls.join(',')}`,
        `--storage.clickhouse.cluster=${cluster.cluster}`,
        '--storage.clickhouse.database=skein_cli',
      ];
      const first = await run(process.execPath, args);
      assert.match(first.stdout, /schema ready: database skein_cli on cluster skein/);
      const expected = await tables(cluster.urls[0], 'skein_cli');
      assert.ok(expected.includes('spans\tDistributed'), expected.join(', '));
      assert.ok(expected.includes('spans_local\tReplicatedMergeTree'), expected.join(', '));
      assert.ok(expected.includes('trace_index_local\tReplicatedMergeTree'));
      assert.ok(expected.includes('operations_local\tReplicatedReplacingMergeTree'));
      for (const url of cluster.urls) assert.deepEqual(await tables(url, 'skein_cli'), expected);
      // Again: nothing changes, nothing fails.
      const second = await run(process.execPath, args);
      assert.match(second.stdout, /schema ready/);
      for (const url of cluster.urls) assert.deepEqual(await tables(url, 'skein_cli'), expected);
    });

    test('without a cluster: plain MergeTree tables on the one server', async () => {
      const code = await schemaCommand(undefined, {
        'storage.backend': 'clickhouse',
        'storage.clickhouse.urls': cluster.urls[3],
        'storage.clickhouse.database': 'skein_single',
      });
      assert.equal(code, 0);
      const list = await tables(cluster.urls[3], 'skein_single');
      assert.ok(list.includes('spans\tMergeTree'), list.join(', '));
      assert.ok(!list.some((t) => t.includes('Distributed')));
      assert.deepEqual(await tables(cluster.urls[0], 'skein_single'), []);
    });
  },
);
