import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { IntakeUnavailableError } from '../errors.ts';
import { WriteAheadLog } from './write-ahead-log.ts';

const logger = pino({ level: 'silent' });
const dirs: string[] = [];

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skein-wal-'));
  dirs.push(dir);
  return dir;
}

after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function payload(n: number, size = 100): Uint8Array {
  return new Uint8Array(size).fill(n & 0xff);
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort();
}

describe('WriteAheadLog', () => {
  test('what was appended and never committed comes back, in order, after a reopen', async () => {
    const dir = await freshDir();
    const { log, pending: none } = await WriteAheadLog.open({
      dir,
      segmentBytes: 1 << 20,
      retryAfterSeconds: 1,
      logger,
    });
    assert.equal(none.length, 0);
    const appended = [1, 2, 3].map((n) => log.append(payload(n, 10 * n)));
    await Promise.all(appended.map((a) => a.durable));
    assert.deepEqual(
      appended.map((a) => a.seq),
      [1, 2, 3],
    );
    log.committed(appended[1].seq);
    // No close: as after a kill -9 once the appends were acknowledged.
    const reopened = await WriteAheadLog.open({
      dir,
      segmentBytes: 1 << 20,
      retryAfterSeconds: 1,
      logger,
    });
    // The commit note had not been written yet (notes ride on the next flush), so 2 comes back too.
    assert.deepEqual(
      reopened.pending.map((p) => p.seq),
      [1, 2, 3],
    );
    const bytes = await reopened.log.readPayload(reopened.pending[2]);
    assert.deepEqual(new Uint8Array(bytes), payload(3, 30));
    // Sequence numbers continue after the highest one found.
    const next = reopened.log.append(payload(4));
    assert.equal(next.seq, 4);
    await next.durable;
    await reopened.log.close();
  });

  test('commit notes are on disk after close: committed batches are not replayed, and files go', async () => {
    const dir = await freshDir();
    const { log } = await WriteAheadLog.open({
      dir,
      segmentBytes: 1 << 20,
      retryAfterSeconds: 1,
      logger,
    });
    const a = log.append(payload(1));
    const b = log.append(payload(2));
    await b.durable;
    log.committed(a.seq);
    await log.close();
    const second = await WriteAheadLog.open({
      dir,
      segmentBytes: 1 << 20,
      retryAfterSeconds: 1,
      logger,
    });
    assert.deepEqual(
      second.pending.map((p) => p.seq),
      [b.seq],
    );
    second.log.committed(b.seq);
    await second.log.close();
    assert.deepEqual(await segmentFiles(dir), [], 'everything committed: no segment left');
    const third = await WriteAheadLog.open({
      dir,
      segmentBytes: 1 << 20,
      retryAfterSeconds: 1,
      logger,
    });
    assert.equal(third.pending.length, 0);
    await third.log.close();
  });

  test('a commit reported before the record reached the disk is noted once it did', async () => {
    const dir = await freshDir();
    const { log } = await WriteAheadLog.open({
      dir,
      segmentBytes: 1 << 20,
      retryAfterSeconds: 1,
      logger,
    });
    const a = log.append(payload(1));
    log.committed(a.seq); // storage faster than the disk
    await a.durable;
    await log.close();
    const again = await WriteAheadLog.open({
      dir,
      segmentBytes: 1 << 20,
      retryAfterSeconds: 1,
      logger,
    });
    assert.equal(again.pending.length, 0);
    await again.log.close();
  });

  test('a torn record at the end (death mid-write) is cut off; the whole ones before it survive', async () => {
    const dir = await freshDir();
    const { log } = await WriteAheadLog.open({
      dir,
      segmentBytes: 1 << 20,
      retryAfterSeconds: 1,
      logger,
    });
    await log.append(payload(1)).durable;
    await log.append(payload(2)).durable;
    const [file] = await segmentFiles(dir);
    const whole = (await stat(join(dir, file))).size;
    // Half a header and some payload of a third record.
    await appendFile(join(dir, file), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 1, 9, 9]));
    const reopened = await WriteAheadLog.open({
      dir,
      segmentBytes: 1 << 20,
      retryAfterSeconds: 1,
      logger,
    });
    assert.deepEqual(
      reopened.pending.map((p) => p.seq),
      [1, 2],
    );
    assert.equal((await stat(join(dir, file))).size, whole, 'the torn tail was cut');
    await reopened.log.close();
  });

  test('segments roll at segmentBytes and an old one is deleted once everything in it is committed', async () => {
    const dir = await freshDir();
    const { log } = await WriteAheadLog.open({
      dir,
      segmentBytes: 1000,
      retryAfterSeconds: 1,
      logger,
    });
    const appended = [];
    for (let i = 1; i <= 12; i++) appended.push(log.append(payload(i, 300)));
    await Promise.all(appended.map((a) => a.durable));
    const files = await segmentFiles(dir);
    assert.ok(
      files.length >= 4,
      `12 records of 317 bytes in 1000-byte segments: ${files.length} files`,
    );
    // Commit the first three records (the first segment): it is deleted; the others stay.
    for (const a of appended.slice(0, 3)) log.committed(a.seq);
    await log.append(payload(99)).durable; // a flush carries the notes
    const left = await segmentFiles(dir);
    assert.ok(!left.includes(files[0]), `the first segment was released: ${left.join(' ')}`);
    for (const f of files.slice(1))
      assert.ok(left.includes(f), `${f} still holds uncommitted batches`);
    await log.close();
    const reopened = await WriteAheadLog.open({
      dir,
      segmentBytes: 1000,
      retryAfterSeconds: 1,
      logger,
    });
    assert.deepEqual(
      reopened.pending.map((p) => p.seq),
      [4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
    );
    await reopened.log.close();
  });

  test('refuses with IntakeUnavailableError after a failed write, then tries the disk again', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to mount a small tmpfs (CI runs as root)');
      return;
    }
    const { execFileSync } = await import('node:child_process');
    const dir = await freshDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    try {
      const { log } = await WriteAheadLog.open({
        dir,
        segmentBytes: 1 << 20,
        retryAfterSeconds: 0.2,
        logger,
      });
      const first = log.append(payload(1, 1000));
      await first.durable;
      // 200 KB does not fit in 64 KB: the flush fails and the segment is cut back.
      const big = log.append(payload(2, 200_000));
      await assert.rejects(big.durable, (err: unknown) => err instanceof IntakeUnavailableError);
      assert.throws(() => log.append(payload(3, 10)), IntakeUnavailableError);
      assert.match(log.refusing, /disk full/);
      const [file] = await segmentFiles(dir);
      assert.equal((await stat(join(dir, file))).size, 17 + 1000, 'no torn bytes left behind');
      // After the refusal period, small writes fit again; nothing accepted before is lost.
      const deadline = Date.now() + 5000;
      let again: ReturnType<WriteAheadLog['append']> | undefined;
      while (again === undefined && Date.now() < deadline) {
        try {
          again = log.append(payload(4, 100));
        } catch {
          await new Promise((r) => setImmediate(r));
        }
      }
      assert.ok(again !== undefined, 'the log takes appends again');
      await again.durable;
      log.committed(big.seq); // a voided record's note is ignored
      await log.close();
      const reopened = await WriteAheadLog.open({
        dir,
        segmentBytes: 1 << 20,
        retryAfterSeconds: 1,
        logger,
      });
      assert.deepEqual(
        reopened.pending.map((p) => p.seq),
        [first.seq, again.seq],
      );
      await reopened.log.close();
    } finally {
      execFileSync('umount', ['-l', dir]);
    }
  });
});
