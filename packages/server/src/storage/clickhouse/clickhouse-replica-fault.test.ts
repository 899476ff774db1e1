import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../../../test/e2e/eventually.ts';
import {
  clickhouseInstalled,
  startClickHouseCluster,
} from '../../../test/support/clickhouse-cluster.ts';
import type { ClickHouseCluster } from '../../../test/support/clickhouse-cluster.ts';
import { DEFAULT_TENANT } from '../../model/span.ts';
import type { Span } from '../../model/span.ts';
import { hexId, makeSpan, testResource } from '../conformance/test-spans.ts';
import { ClickHouseStorage } from './clickhouse-storage.ts';

/*
 * A replica killed with SIGKILL while batches are written, then restarted: every batch
 * whose write resolved is read back whole, and every span once, although batches that
 * failed were written again (as an ingester does until a write resolves) and some
 * were re-delivered after they had succeeded.
 */

const BATCHES = 30;
const TRACES_PER_BATCH = 10;
const SPANS_PER_TRACE = 5;

function batch(n: number, now: number): Span[] {
  const resource = testResource('fault-service');
  const spans: Span[] = [];
  for (let t = 0; t < TRACES_PER_BATCH; t++) {
    const traceId = hexId(0xfa17, n * TRACES_PER_BATCH + t + 1, 32);
    for (let s = 0; s < SPANS_PER_TRACE; s++) {
      spans.push(
        makeSpan({
          traceId,
          spanId: hexId(0xfa17 + t, n * 100 + s + 1, 16),
          parentSpanId: s === 0 ? '' : hexId(0xfa17 + t, n * 100 + 1, 16),
          resource,
          name: `op-${s}`,
          startTime: now - 60_000_000 + n * 1000 + t * 10 + s,
        }),
      );
    }
  }
  return spans;
}

/** Writes until the write resolves (the batch is then acknowledged); counts failures. */
async function writeUntilStored(store: ClickHouseStorage, spans: Span[]): Promise<number> {
  for (let failures = 0; ; failures++) {
    try {
      await store.write(spans);
      return failures;
    } catch (err) {
      if (failures > 200) throw err;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

function options(urls: string[]): ConstructorParameters<typeof ClickHouseStorage>[0] {
  return {
    urls,
    cluster: 'skein',
    database: 'skein_fault',
    username: 'default',
    password: '',
    requestTimeoutMs: 10_000,
    createSchema: true,
  };
}

describe(
  'ClickHouse: kill -9 a replica while writing, restart it',
  { skip: !clickhouseInstalled() && 'clickhouse-server / zookeeper not installed' },
  () => {
    let cluster: ClickHouseCluster;
    let store: ClickHouseStorage;
    before(async () => {
      cluster = await startClickHouseCluster();
      store = new ClickHouseStorage(options(cluster.urls));
      await store.open();
    });
    after(async () => {
      await store?.close();
      await cluster?.stop();
    });

    test('no acknowledged span is lost, none is read twice', async () => {
      const now = Date.now() * 1000;
      const victim = cluster.nodes[0]; // shard 1, replica 1: the node the store talks to first
      const acknowledged: Span[] = [];
      let failures = 0; // writes that failed and were retried, for the message below
      for (let n = 0; n < BATCHES; n++) {
        if (n === 10) {
          // Readiness: a store that reaches only the victim says so once it is dead;
          // ours, which knows every node, still answers.
          const only = new ClickHouseStorage(options([victim.url]));
          await only.open();
          assert.equal(await only.ping(), true);
          cluster.killNode(victim);
          await eventually(
            async () => ((await only.ping()) !== true ? true : undefined),
            'the dead node to be seen as unreachable',
          );
          assert.match(String(await only.ping()), /not reachable/);
          assert.equal(await store.ping(), true);
          await only.close();
        }
        if (n === 20) await cluster.restartNode(victim);
        const spans = batch(n, now);
        failures += await writeUntilStored(store, spans);
        acknowledged.push(...spans);
        // At-least-once delivery: every third batch arrives again after it was stored.
        if (n % 3 === 0) failures += await writeUntilStored(store, spans);
      }
      // Redelivery in another batch composition (not a byte-identical block).
      failures += await writeUntilStored(store, [...batch(4, now).slice(7), ...batch(25, now)]);

      const expected = new Map<string, Set<string>>();
      for (const s of acknowledged) {
        const set = expected.get(s.traceId) ?? new Set<string>();
        set.add(s.spanId);
        expected.set(s.traceId, set);
      }
      const query = {
        tenant: DEFAULT_TENANT,
        serviceName: 'fault-service',
        tags: {},
        startTimeMin: now - 3_600_000_000,
        startTimeMax: now,
        limit: BATCHES * TRACES_PER_BATCH * 2,
      };
      // The restarted replica catches up by fetching parts: wait until reads see it all.
      const traces = await eventually(
        async () => {
          const found = await store.findTraces(query);
          const spans = found.reduce((n, t) => n + t.spans.length, 0);
          return found.length === expected.size && spans === acknowledged.length
            ? found
            : undefined;
        },
        'every acknowledged span to be readable',
        60_000,
      );
      assert.ok(failures < BATCHES * 10, `${failures} failed writes`);
      for (const t of traces) {
        const ids = t.spans.map((s) => s.spanId);
        assert.equal(new Set(ids).size, ids.length, `a span of ${t.traceId} is read twice`);
        assert.deepEqual(new Set(ids), expected.get(t.traceId), `spans of ${t.traceId}`);
      }
      // Also through get-trace, on each replica once the victim is back.
      const sample = [...expected.keys()].filter((_, i) => i % 37 === 0);
      for (const id of sample) {
        const t = await store.getTrace(DEFAULT_TENANT, id);
        assert.equal(t?.spans.length, SPANS_PER_TRACE, id);
      }
      // The victim fetched what its sibling replica took while it was down.
      const localCount = async (url: string): Promise<number> =>
        Number(
          await (
            await fetch(
              `${url}/?query=${encodeURIComponent('SELECT count() FROM skein_fault.spans_local')}`,
            )
          ).text(),
        );
      const sibling = cluster.nodes[1];
      await eventually(
        async () => {
          const [a, b] = [await localCount(victim.url), await localCount(sibling.url)];
          return a === b && a > 0 ? true : undefined;
        },
        'the restarted replica to catch up with its sibling',
        60_000,
      );
    });
  },
);
