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

describe('kill -9 under load', { timeout: 900_000 }, () => {
  let dir = '';
  let skein: SkeinProcess | undefined;
  after(async () => {
    await skein?.stop('SIGKILL');
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  test(`${ROUNDS} kills at random moments lose no acknowledged span and store none twice`, async (t) => {
    dir = await mkdtemp(join(tmpdir(), 'skein-kill9-'));
    const all: Acked = new Map();
    let previous: Acked = new Map();
    let ackedSpans = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const started = Date.now();
      skein = await startSkein('all', [`--storage.duckdb.path=${dir}`]);
      await waitReady(skein);
      const ready = Date.now() - started;
      const query = skein.urls.get('query')!;
      // What was acknowledged before the last kill is there, once (replayed or committed).
      // (Every round's spans are checked again at the end, in the file itself.)
      const check = sample(previous, 300);
      await eventually(
        async () => ((await missing(query, check)).length === 0 ? true : undefined),
        `round ${round}: spans acknowledged before the kill to be queryable`,
        60_000,
      ).catch(async () => {
        assert.deepEqual(
          await missing(query, check),
          [],
          `round ${round}: acknowledged traces lost`,
        );
      });

      const raw = new RawLoad(`${skein.urls.get('otlp-http')}/v1/traces`);
      const otelAcked: Acked = new Map();
      const otel = new OtelLoad(`${skein.urls.get('otlp-http')}/v1/traces`, otelAcked);
      raw.start();
      otel.start();
      // A random moment: after 2 to 40 acknowledged raw requests.
      await raw.acks(2 + Math.floor(Math.random() * 39));
      await skein.stop('SIGKILL');
      await Promise.all([raw.stop(), otel.stop()]);
      previous = new Map();
      merge(previous, raw.acked);
      merge(previous, otelAcked);
      merge(all, previous);
      let spans = 0;
      for (const s of previous.values()) spans += s.size;
      ackedSpans += spans;
      t.diagnostic(
        `round ${round}: ready after ${ready} ms, ${spans} spans acknowledged, killed after ${Date.now() - started} ms`,
      );
    }
    assert.ok(ackedSpans > ROUNDS * 100, `the clients got acknowledgements (${ackedSpans} spans)`);

    // The last restart and a graceful stop: then every acknowledged span is in the file, once.
    skein = await startSkein('all', [`--storage.duckdb.path=${dir}`]);
    await waitReady(skein);
    const query = skein.urls.get('query')!;
    await eventually(
      async () => ((await missing(query, sample(previous, 300))).length === 0 ? true : undefined),
      'the last round spans after the last restart',
      60_000,
    );
    assert.equal(await skein.stop(), 0);
    skein = undefined;
    const db = await DuckDBInstance.create(join(dir, 'skein.duckdb'));
    const conn = await db.connect();
    try {
      const dupes = await conn.runAndReadAll(
        `SELECT count(*) FROM (SELECT trace_id, span_id, count(*) AS n FROM spans GROUP BY ALL HAVING n > 1)`,
      );
      assert.equal(Number(dupes.getRows()[0][0]), 0, 'no span is stored twice');
      await conn.run('CREATE TEMP TABLE acked (trace_id UHUGEINT, span_id UBIGINT)');
      const appender = await conn.createAppender('acked', 'main', 'temp');
      for (const [traceId, spanIds] of all) {
        for (const spanId of spanIds) {
          appender.appendUHugeInt(BigInt('0x' + traceId));
          appender.appendUBigInt(BigInt('0x' + spanId));
          appender.endRow();
        }
      }
      appender.closeSync();
      const lost = await conn.runAndReadAll(
        'SELECT count(*) FROM acked a ANTI JOIN spans s ON s.trace_id = a.trace_id AND s.span_id = a.span_id',
      );
      assert.equal(
        Number(lost.getRows()[0][0]),
        0,
        `of ${ackedSpans} acknowledged spans, none lost`,
      );
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});

/** Up to `n` traces of `acked`, picked at random. */
function sample(acked: Acked, n: number): Acked {
  if (acked.size <= n) return acked;
  const ids = [...acked.keys()];
  const out: Acked = new Map();
  while (out.size < n) {
    const id = ids[Math.floor(Math.random() * ids.length)];
    out.set(id, acked.get(id)!);
  }
  return out;
}
