import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { eventually } from './eventually.ts';
import { RawLoad, type Acked } from './intake-load.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

/*
 * A full disk: the receivers answer 503 with Retry-After and acknowledge nothing;
 * when space returns, intake resumes; after a kill -9 and a restart, every span that
 * was acknowledged is stored once. The data directory is a small tmpfs (mounting it
 * needs root, as CI has).
 */

/** Writes zeros into `path` until the file system is full; returns the file's size. */
async function fillDisk(path: string): Promise<number> {
  const handle = await open(path, 'w');
  const chunk = Buffer.alloc(1 << 20);
  let size = 0;
  try {
    for (;;) {
      const { bytesWritten } = await handle.write(chunk);
      size += bytesWritten;
      if (bytesWritten < chunk.length) break;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await handle.close();
  }
  return size;
}

describe('disk full', { timeout: 180_000 }, () => {
  let dir = '';
  let mounted = false;
  let skein: SkeinProcess | undefined;
  after(async () => {
    await skein?.stop('SIGKILL');
    if (mounted) execFileSync('umount', ['-l', dir]);
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  test('503 while the disk is full, intake resumes when space returns, nothing acknowledged lost', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to mount a small tmpfs (CI runs as root)');
      return;
    }
    dir = await mkdtemp(join(tmpdir(), 'skein-diskfull-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160m', 'tmpfs', dir]);
    mounted = true;
    const data = join(dir, 'data');
    skein = await startSkein('all', [`--storage.duckdb.path=${data}`]);
    const admin = skein.urls.get('admin')!;
    const raw = new RawLoad(`${skein.urls.get('otlp-http')}/v1/traces`, 50, 2);
    raw.start();
    await raw.acks(20);

    const filler = join(dir, 'filler');
    await fillDisk(filler);
    // The intake cannot sync: clients get 503 + Retry-After, and /ready says why.
    const refused = await eventually(
      async () => (raw.refused > 0 ? raw.refused : undefined),
      'a batch refused for the full disk',
      30_000,
    );
    assert.ok(refused > 0);
    const ready = await eventually(async () => {
      const res = await fetch(`${admin}/ready`);
      const body = (await res.json()) as { checks: Record<string, string | boolean> };
      return res.status === 503 && typeof body.checks.intake === 'string' ? body : undefined;
    }, '/ready to name the full disk');
    assert.match(String(ready.checks.intake), /disk full/);
    const refusedAnswer = await eventually(async () => {
      const res = await fetch(`${skein!.urls.get('otlp-http')}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resourceSpans: [
            {
              resource: { attributes: [{ key: 'service.name', value: { stringValue: 'probe' } }] },
              scopeSpans: [
                {
                  spans: [
                    {
                      traceId: '0af7651916cd43dd8448eb211c80319c',
                      spanId: 'b7ad6b7169203331',
                      name: 'probe',
                      startTimeUnixNano: String(Date.now() * 1e6),
                      endTimeUnixNano: String(Date.now() * 1e6 + 1000),
                    },
                  ],
                },
              ],
            },
          ],
        }),
      });
      const text = await res.text();
      return res.status === 503 ? { res, text } : undefined;
    }, 'a 503 for a new batch');
    assert.ok(Number(refusedAnswer.res.headers.get('retry-after')) >= 1, 'Retry-After is set');
    assert.match(refusedAnswer.text, /SKEIN_INTAKE_UNAVAILABLE|disk/);

    // Space returns: intake resumes without a restart.
    await unlink(filler);
    const before = raw.ackedRequests;
    await eventually(
      async () => (raw.ackedRequests > before + 5 ? true : undefined),
      'acknowledgements again after space returned',
      30_000,
    );
    await skein.stop('SIGKILL');
    await raw.stop();
    const acked: Acked = raw.acked;

    skein = await startSkein('all', [`--storage.duckdb.path=${data}`]);
    await eventually(async () => {
      const res = await fetch(`${skein!.urls.get('admin')}/ready`);
      await res.arrayBuffer();
      return res.status === 200 ? true : undefined;
    }, 'ready after restart');
    // Graceful stop once the replay backlog is written: then count in the file.
    await eventually(
      async () => {
        const res = await fetch(`${skein!.urls.get('admin')}/metrics`);
        const text = await res.text();
        const backlog = /^skein_intake_replay_backlog_batches (\d+)/m.exec(text);
        const queued = /^skein_queue_spans (\d+)/m.exec(text);
        return backlog?.[1] === '0' && queued?.[1] === '0' ? true : undefined;
      },
      'the replay backlog written',
      60_000,
    );
    assert.equal(await skein.stop(), 0);
    skein = undefined;

    const db = await DuckDBInstance.create(join(data, 'skein.duckdb'));
    const conn = await db.connect();
    try {
      await conn.run('CREATE TEMP TABLE acked (trace_id UHUGEINT, span_id UBIGINT)');
      const appender = await conn.createAppender('acked', 'main', 'temp');
      let count = 0;
      for (const [traceId, spanIds] of acked) {
        for (const spanId of spanIds) {
          appender.appendUHugeInt(BigInt('0x' + traceId));
          appender.appendUBigInt(BigInt('0x' + spanId));
          appender.endRow();
          count++;
        }
      }
      appender.closeSync();
      const lost = await conn.runAndReadAll(
        'SELECT count(*) FROM acked a ANTI JOIN spans s ON s.trace_id = a.trace_id AND s.span_id = a.span_id',
      );
      assert.equal(Number(lost.getRows()[0][0]), 0, `of ${count} acknowledged spans, none lost`);
      const dupes = await conn.runAndReadAll(
        'SELECT count(*) FROM (SELECT trace_id, span_id, count(*) AS n FROM spans GROUP BY ALL HAVING n > 1)',
      );
      assert.equal(Number(dupes.getRows()[0][0]), 0, 'none stored twice');
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
