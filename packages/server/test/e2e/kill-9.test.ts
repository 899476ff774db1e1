import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { eventually } from './eventually.ts';
import { OtelLoad, RawLoad, type Acked } from './intake-load.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

/*
 * Nothing acknowledged is ever lost: clients send at full rate, the server is killed
 * with SIGKILL at random moments and restarted on the same data directory, and after
 * each restart every span a client saw acknowledged is queryable, exactly once.
 */

const ROUNDS = 20;

async function waitReady(skein: SkeinProcess): Promise<void> {
  const admin = skein.urls.get('admin')!;
  await eventually(async () => {
    const res = await fetch(`${admin}/ready`).catch(() => undefined);
    return res?.status === 200 ? true : undefined;
  }, 'skein to be ready');
}

/** Trace ids of `acked` whose acknowledged spans are not all in the store yet. */
async function missing(query: string, acked: Acked): Promise<string[]> {
  const out: string[] = [];
  for (const [traceId, spanIds] of acked) {
    const res = await fetch(`${query}/api/traces/${traceId}`);
    if (res.status !== 200) {
      await res.arrayBuffer();
      out.push(traceId);
      continue;
    }
    const body = (await res.json()) as { data: { spans: { spanID: string }[] }[] };
    const seen = new Map<string, number>();
    for (const s of body.data[0]?.spans ?? []) seen.set(s.spanID, (seen.get(s.spanID) ?? 0) + 1);
    for (const id of spanIds) {
      const n = seen.get(id) ?? 0;
      assert.ok(n <= 1, `span ${traceId}/${id} is shown ${n} times`);
      if (n === 0) {
        out.push(traceId);
        break;
      }
    }
  }
  return out;
}

function merge(into: Acked, from: Acked): void {
  for (const [t, spans] of from) {
    let set = into.get(t);
    if (set === undefined) into.set(t, (set = new Set()));
    for (const s of spans) set.add(s);
  }
}

describe('kill -9 under load', { timeout: 300_000 }, () => {
  let dir = '';
  let skein: SkeinProcess | undefined;
  after(async () => {
    await skein?.stop('SIGKILL');
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  test(`${ROUNDS} kills at random moments lose no acknowledged span and store none twice`, async () => {
    dir = await mkdtemp(join(tmpdir(), 'skein-kill9-'));
    const all: Acked = new Map();
    let ackedSpans = 0;
    for (let round = 0; round < ROUNDS; round++) {
      skein = await startSkein('all', [`--storage.duckdb.path=${dir}`]);
      await waitReady(skein);
      const query = skein.urls.get('query')!;
      // Everything acknowledged in earlier rounds is there, once (replayed or committed).
      const lost = await eventually(async () => {
        const m = await missing(query, all);
        return m.length === 0 ? m : undefined;
      }, `round ${round}: acknowledged spans of earlier rounds to be queryable`).catch(async () =>
        missing(query, all),
      );
      assert.deepEqual(lost, [], `round ${round}: acknowledged traces missing after restart`);

      const raw = new RawLoad(`${skein.urls.get('otlp-http')}/v1/traces`);
      const otelAcked: Acked = new Map();
      const otel = new OtelLoad(`${skein.urls.get('otlp-http')}/v1/traces`, otelAcked);
      raw.start();
      otel.start();
      // A random moment: after 2 to 40 acknowledged raw requests.
      await raw.acks(2 + Math.floor(Math.random() * 39));
      await skein.stop('SIGKILL');
      await Promise.all([raw.stop(), otel.stop()]);
      merge(all, raw.acked);
      merge(all, otelAcked);
      for (const spans of raw.acked.values()) ackedSpans += spans.size;
      for (const spans of otelAcked.values()) ackedSpans += spans.size;
    }
    assert.ok(ackedSpans > ROUNDS * 100, `the clients got acknowledgements (${ackedSpans} spans)`);

    // The last restart, then a graceful stop: every acknowledged span is in the file once.
    skein = await startSkein('all', [`--storage.duckdb.path=${dir}`]);
    await waitReady(skein);
    const query = skein.urls.get('query')!;
    await eventually(
      async () => ((await missing(query, all)).length === 0 ? true : undefined),
      'every acknowledged span after the last restart',
      60_000,
    );
    assert.equal(await skein.stop(), 0);
    skein = undefined;
    const db = await DuckDBInstance.create(join(dir, 'skein.duckdb'));
    const conn = await db.connect();
    const dupes = await conn.runAndReadAll(
      `SELECT count(*) FROM (SELECT trace_id, span_id, count(*) AS n FROM spans GROUP BY ALL HAVING n > 1)`,
    );
    const stored = await conn.runAndReadAll(`SELECT count(*) FROM spans`);
    conn.closeSync();
    db.closeSync();
    assert.equal(Number(dupes.getRows()[0][0]), 0, 'no span is stored twice');
    assert.ok(Number(stored.getRows()[0][0]) >= ackedSpans, 'every acknowledged span is stored');
  });
});
